//! kill -9 of the real server, many times (50 per run; `ORIGINSTORE_CRASH_KILLS` for a long
//! run by hand), while several clients PUT, overwrite, DELETE, copy and complete multipart
//! uploads on keys of their own, in a plain and in a versioned bucket, and read keys that
//! slow origin fills bring in. After every restart: each key holds its last acknowledged
//! content or one still in flight at the kill (never anything else, never a resurrected
//! delete), origin keys are whole, no temp file is left, and the blob files are exactly those
//! of the versions and incomplete uploads.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use md5::Digest as _;

use crate::support::process::ServeProcess;

const CLIENTS: usize = 4;
const KEYS_PER_CLIENT: usize = 6;
/// Keys the origin of bucket `crash` serves under `o/`, slowly.
const ORIGIN_KEYS: usize = 12;
const ORIGIN_SIZE: usize = 200_000;

/// A client's key `n`: the first half in the plain bucket, the rest in the versioned one.
fn key_name(client: usize, n: u64) -> String {
    let bucket = if (n as usize) < KEYS_PER_CLIENT / 2 {
        "crash"
    } else {
        "crashv"
    };
    format!("{bucket}/c{client}-k{n}")
}

fn origin_body(i: usize) -> Vec<u8> {
    (0..ORIGIN_SIZE).map(|j| (i * 7 + j) as u8).collect()
}

/// The blob files the store should hold: every version of both buckets (an unversioned
/// object is its null version) that has files — the parts of a multipart object, an origin
/// fill — and every part of an upload a kill left incomplete. (A PUT or a copy of these
/// sizes is appended to a pack file instead: no file of its own.)
async fn expected_blobs(ep: &str) -> usize {
    let mut blobs = 0;
    for bucket in ["crash", "crashv"] {
        let versions =
            crate::origin::signed_to(ep, http::Method::GET, &format!("/{bucket}?versions"))
                .send()
                .await
                .expect("sent")
                .text()
                .await
                .expect("body");
        assert!(
            !versions.contains("<IsTruncated>true"),
            "one page of versions"
        );
        let with_files = versions
            .split("<Version>")
            .skip(1)
            .filter(|v| {
                let etag = v
                    .split_once("<ETag>")
                    .and_then(|(_, rest)| rest.split_once("</ETag>"))
                    .map_or("", |(etag, _)| etag);
                v.contains("<Key>o/") || etag.contains('-')
            })
            .count();
        blobs += with_files + pending_parts(ep, bucket).await;
    }
    blobs
}

/// Every origin key is absent or whole (read through a fill if absent).
async fn verify_origin_keys(ep: &str, round: usize) {
    for i in 0..ORIGIN_KEYS {
        let resp = crate::origin::signed_to(ep, http::Method::GET, &format!("/crash/o/{i}"))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 200, "round {round}: o/{i}");
        let body = resp.bytes().await.expect("body");
        assert!(
            body.as_ref() == origin_body(i).as_slice(),
            "round {round}: o/{i} is not whole"
        );
    }
}

/// What a key may hold: an MD5 of its content, or `None` (absent).
type Content = Option<[u8; 16]>;

#[derive(Default, Clone)]
struct KeyState {
    /// What happened to the key, for a failure's message.
    history: Vec<String>,
    acknowledged: Content,
    /// Writes sent but not acknowledged when the server died: any may have landed.
    in_flight: Vec<Content>,
}

type Model = Arc<Mutex<HashMap<String, KeyState>>>;

fn md5(data: &[u8]) -> [u8; 16] {
    md5::Md5::digest(data).into()
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                count_files(&path)
            } else {
                1
            }
        })
        .sum()
}

/// One client's traffic until the server dies.
/// Writes and deletes the server acknowledged, over the whole run.
static ACKNOWLEDGED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn client(ep: String, id: usize, model: Model, seed: u64) {
    let mut x = seed | 1;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    loop {
        let key = key_name(id, next(KEYS_PER_CLIENT as u64));
        // Now and then a read of an origin key: a fill the kill may interrupt.
        if next(8) == 0 {
            let path = format!("/crash/o/{}", next(ORIGIN_KEYS as u64));
            let _ = crate::origin::signed_to(&ep, http::Method::GET, &path)
                .send()
                .await;
            continue;
        }
        let op = next(10);
        let size = next(64 * 1024) as usize;
        let body: Vec<u8> = (0..size)
            .map(|i| (i as u64 ^ x_of(&key, op)) as u8)
            .collect();
        // A copy from another key of this client's (settled: this client writes it alone).
        let source = key_name(id, next(KEYS_PER_CLIENT as u64));
        let source_content = model
            .lock()
            .expect("model")
            .get(&source)
            .and_then(|s| s.acknowledged);
        let op = if op == 7 && (source == key || source_content.is_none()) {
            0
        } else {
            op
        };
        let expected: Content = match op {
            5 | 6 => None,
            7 => source_content,
            _ => Some(md5(&body)),
        };
        model
            .lock()
            .expect("model")
            .entry(key.clone())
            .or_default()
            .in_flight
            .push(expected);
        let ok = match op {
            5 | 6 => {
                let resp = crate::origin::signed_to(&ep, http::Method::DELETE, &format!("/{key}"))
                    .send()
                    .await;
                resp.is_ok_and(|r| r.status().is_success())
            }
            7 => {
                let mut headers = http::HeaderMap::new();
                headers.insert(
                    "x-amz-copy-source",
                    format!("/{source}").parse().expect("header"),
                );
                let resp = crate::support::server::signed_request(
                    &ep,
                    (crate::support::process::AK, crate::support::process::SK),
                    http::Method::PUT,
                    &format!("/{key}"),
                    headers,
                )
                .send()
                .await;
                resp.is_ok_and(|r| r.status().is_success())
            }
            8 | 9 => multipart(&ep, &key, body).await,
            _ => put(&ep, &key, body).await,
        };
        if !ok {
            return; // the server is gone: what was in flight stays in flight
        }
        ACKNOWLEDGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut model = model.lock().expect("model");
        let state = model.entry(key).or_default();
        state
            .history
            .push(format!("op {op} acked {:?}", expected.map(|d| d[0])));
        state.acknowledged = expected;
        state.in_flight.clear();
    }
}

fn x_of(key: &str, op: u64) -> u64 {
    key.bytes()
        .fold(op, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)))
}

async fn put(ep: &str, key: &str, body: Vec<u8>) -> bool {
    crate::origin::signed_to(ep, http::Method::PUT, &format!("/{key}"))
        .body(body)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

async fn multipart(ep: &str, key: &str, body: Vec<u8>) -> bool {
    let path = format!("/{key}");
    let Ok(created) = crate::origin::signed_to(ep, http::Method::POST, &format!("{path}?uploads"))
        .send()
        .await
    else {
        return false;
    };
    let Ok(text) = created.text().await else {
        return false;
    };
    let Some(upload_id) = text
        .split("<UploadId>")
        .nth(1)
        .and_then(|s| s.split("</UploadId>").next())
    else {
        return false;
    };
    let Ok(part) = crate::origin::signed_to(
        ep,
        http::Method::PUT,
        &format!("{path}?partNumber=1&uploadId={upload_id}"),
    )
    .body(body)
    .send()
    .await
    else {
        return false;
    };
    let Some(etag) = part
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return false;
    };
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    crate::origin::signed_to(
        ep,
        http::Method::POST,
        &format!("{path}?uploadId={upload_id}"),
    )
    .body(complete)
    .send()
    .await
    .is_ok_and(|r| r.status().is_success())
}

/// Parts held by multipart uploads a kill left incomplete (their blobs are live too).
async fn pending_parts(ep: &str, bucket: &str) -> usize {
    let listing = crate::origin::signed_to(ep, http::Method::GET, &format!("/{bucket}?uploads"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    let mut parts = 0;
    for upload in listing.split("<Upload>").skip(1) {
        let field = |name: &str| {
            upload
                .split(&format!("<{name}>"))
                .nth(1)
                .and_then(|s| s.split(&format!("</{name}>")).next())
                .unwrap_or_default()
                .to_owned()
        };
        let path = format!("/{bucket}/{}?uploadId={}", field("Key"), field("UploadId"));
        let listed = crate::origin::signed_to(ep, http::Method::GET, &path)
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("body");
        parts += listed.matches("<Part>").count();
    }
    parts
}

/// Check every key against the model after a restart; returns how many keys hold objects.
async fn verify(ep: &str, model: &Model, round: usize) -> usize {
    let keys: Vec<String> = model.lock().expect("model").keys().cloned().collect();
    let mut live = 0;
    for key in keys {
        let resp = crate::origin::signed_to(ep, http::Method::GET, &format!("/{key}"))
            .send()
            .await
            .expect("the restarted server answers");
        let found: Content = match resp.status().as_u16() {
            200 => Some(md5(&resp.bytes().await.expect("body"))),
            404 => None,
            other => panic!("round {round}: {key}: status {other}"),
        };
        let mut model = model.lock().expect("model");
        let state = model.get_mut(&key).expect("known key");
        assert!(
            found == state.acknowledged || state.in_flight.contains(&found),
            "round {round}: {key} holds neither its acknowledged content nor one in flight: found {:?}, acknowledged {:?}, in flight {:?}, history {:?}",
            found.map(|d| d[0]),
            state.acknowledged.map(|d| d[0]),
            state.in_flight,
            state.history
        );
        state
            .history
            .push(format!("round {round}: found {:?}", found.map(|d| d[0])));
        state.acknowledged = found;
        state.in_flight.clear();
        if found.is_some() {
            live += 1;
        }
    }
    live
}

#[tokio::test]
async fn fifty_kills_keep_every_acknowledged_write() {
    let kills: usize = std::env::var("ORIGINSTORE_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let model: Model = Arc::default();
    let origin = crate::support::stub_origin::StubOrigin::start().await;
    for i in 0..ORIGIN_KEYS {
        origin.route(
            &format!("/o/{i}"),
            crate::support::stub_origin::Behavior::Slow {
                body: origin_body(i),
                chunks: 8,
                delay: std::time::Duration::from_millis(15),
            },
        );
    }
    let mut seed = crate::support::server::clock_seed();
    let started = Instant::now();
    for round in 0..kills {
        let server = ServeProcess::start(&data);
        let ep = server.endpoint.clone();
        if round == 0 {
            let resp = crate::origin::signed_to(&ep, http::Method::PUT, "/crashv")
                .send()
                .await
                .expect("sent");
            assert_eq!(resp.status(), 200);
            let enable =
                "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
            let resp = crate::origin::signed_to(&ep, http::Method::PUT, "/crashv?versioning")
                .body(enable)
                .send()
                .await
                .expect("sent");
            assert_eq!(resp.status(), 200);
            let resp = crate::origin::signed_to(&ep, http::Method::PUT, "/crash")
                .send()
                .await
                .expect("sent");
            assert_eq!(resp.status(), 200);
            let rule = crate::origin::Rule {
                prefix: "o/",
                ..crate::origin::Rule::mirror(&origin.host())
            };
            let resp = crate::origin::signed_to(&ep, http::Method::PUT, "/crash?origin")
                .body(crate::origin::document(&[rule]))
                .send()
                .await
                .expect("sent");
            assert_eq!(resp.status(), 200);
        } else {
            assert_eq!(
                count_files(&data.join("tmp")),
                0,
                "round {round}: temp files left"
            );
            verify(&ep, &model, round).await;
            if round % 10 == 0 {
                verify_origin_keys(&ep, round).await;
            }
            assert_eq!(
                count_files(&data.join("blobs")),
                expected_blobs(&ep).await,
                "round {round}: blob files are exactly those of the versions and parts"
            );
        }
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|id| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                tokio::spawn(client(ep.clone(), id, model.clone(), seed))
            })
            .collect();
        let traffic = Duration::from_millis(150 + (seed >> 33) % 250);
        tokio::time::sleep(traffic).await;
        drop(server); // kill -9
        for task in tasks {
            let _ = task.await;
        }
    }
    let server = ServeProcess::start(&data);
    let live = verify(&server.endpoint, &model, kills).await;
    verify_origin_keys(&server.endpoint, kills).await;
    assert_eq!(
        count_files(&data.join("blobs")),
        expected_blobs(&server.endpoint).await
    );
    let acknowledged = ACKNOWLEDGED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "crash: {kills} kills in {:?}: {acknowledged} acknowledged writes and deletes checked, {live} live keys at the end",
        started.elapsed()
    );
    assert!(
        acknowledged > kills,
        "the clients did work between the kills"
    );
}
