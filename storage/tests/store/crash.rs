//! kill -9 crash test. The parent re-executes this test binary running only `crash_child`,
//! which loops put / overwrite / multipart writes of deterministic content, logging an
//! `intent` line before and an fsynced `ack` line after each acknowledged write. The parent
//! SIGKILLs it at random moments, reopens the store and checks that every acknowledged
//! write is present and intact (or replaced by a later intended version), nothing partial is
//! visible, and the sweep leaves no temp file and no unreferenced blob.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use storage::{CompletedPart, Expect, ObjectAttrs, Store, StoreOptions, UploadQuery};

use super::{blob_files, content, get, rt, temp_files};

pub(super) const DIR_ENV: &str = "STORAGE_CRASH_CHILD_DIR";
pub(super) const START_ENV: &str = "STORAGE_CRASH_CHILD_START";
const KEYS: u64 = 6;
const ROUNDS: u64 = 8;

/// Objects up to this size are inline (no blob file): a share of the writes are.
const INLINE_MAX: usize = 8 * 1024;
/// Objects above `INLINE_MAX` and up to this size are appended to pack files (no blob file
/// either): another share, so a kill lands in the middle of group appends too.
const PACK_MAX: usize = 40 * 1024;

fn options() -> StoreOptions {
    StoreOptions {
        min_part_size: 1024,
        read_chunk: 64 * 1024,
        write_buffer: 16 * 1024,
        inline_max: INLINE_MAX,
        pack_max: PACK_MAX,
        meta_cache_bytes: 8 * 1024 * 1024,
        ..Default::default()
    }
}

fn key_name(key: u64) -> String {
    format!("dir/key {key}")
}

/// Every third version is multipart; in odd rounds (start 1_000_000, 3_000_000, ...)
/// every version is, so that more kills land inside a completion.
fn is_multipart(version: u64) -> bool {
    version % 3 == 0 || (version / 1_000_000) % 2 == 1
}

/// The bytes of `version` of `key`: deterministic, so the parent can regenerate them.
fn version_content(key: u64, version: u64) -> Vec<u8> {
    let mut len = ((version.wrapping_mul(7919) + key * 104_729) % 200_000) as usize;
    if is_multipart(version) {
        len = len.max(2500);
    }
    content((version << 8) | key, len)
}

#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(DIR_ENV) else {
        return; // only meaningful when re-executed by `kill_9_keeps_acknowledged_writes`
    };
    let dir = PathBuf::from(dir);
    let start: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    rt().block_on(async {
        let store = Store::open(dir.join("store"), options()).unwrap();
        match store.create_bucket("bkt", "me", "r").await {
            Ok(_) | Err(storage::Error::BucketAlreadyOwnedByYou) => {}
            Err(e) => panic!("{e}"),
        }
        let mut log = ChildLog::open(&dir.join("log"));
        for version in start.. {
            let key = version % KEYS;
            let name = key_name(key);
            let data = version_content(key, version);
            let mut attrs = ObjectAttrs::default();
            attrs
                .user_metadata
                .insert("version".into(), version.to_string().into());
            log.line(format_args!("intent {key} {version}"));
            if is_multipart(version) {
                let up = store
                    .create_upload("bkt", &name, "me", attrs, None)
                    .await
                    .unwrap();
                let mut done = Vec::new();
                for (i, chunk) in [&data[..1024], &data[1024..2048], &data[2048..]]
                    .into_iter()
                    .enumerate()
                {
                    let mut w = store.blob_writer(&[]).unwrap();
                    w.write(chunk).await.unwrap();
                    let blob = w.finish(&Expect::default()).await.unwrap();
                    let p = store
                        .commit_part("bkt", &name, &up.upload_id, i as u32 + 1, blob)
                        .await
                        .unwrap();
                    done.push(CompletedPart {
                        part_number: p.part_number,
                        etag: p.etag,
                    });
                }
                log.line(format_args!("complete {key} {version}"));
                store
                    .complete_upload("bkt", &name, &up.upload_id, &done)
                    .await
                    .unwrap();
            } else {
                store
                    .put_object(
                        "bkt",
                        &name,
                        attrs,
                        super::body(&data),
                        &Expect {
                            size: Some(data.len() as u64),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
            }
            log.line(format_args!("ack {key} {version}"));
            log.sync();
        }
    });
}

#[derive(Default, Debug)]
struct History {
    acked: Option<u64>,
    intended: BTreeSet<u64>,
    /// Multipart versions whose completion was called.
    completing: BTreeSet<u64>,
}

fn read_log(path: &Path) -> BTreeMap<u64, History> {
    let mut out: BTreeMap<u64, History> = BTreeMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for line in complete_lines(&text) {
        let f: Vec<&str> = line.split(' ').collect();
        let [kind, key, version] = f[..] else {
            continue;
        };
        let (Ok(key), Ok(version)) = (key.parse::<u64>(), version.parse::<u64>()) else {
            continue;
        };
        let h = out.entry(key).or_default();
        match kind {
            "intent" => {
                h.intended.insert(version);
            }
            "complete" => {
                h.completing.insert(version);
            }
            "ack" => h.acked = h.acked.max(Some(version)),
            _ => {}
        }
    }
    out
}

async fn verify(dir: &Path) -> usize {
    let store_dir = dir.join("store");
    let store = Store::open(&store_dir, options()).unwrap();
    let report = store.recovery_report();
    let log = read_log(&dir.join("log"));
    let mut acks = 0;
    if store.head_bucket("bkt").is_err() {
        // Killed before the bucket was durable: then nothing was acknowledged either.
        assert!(
            log.values().all(|h| h.acked.is_none()),
            "acknowledged writes without a bucket"
        );
        assert_eq!(temp_files(&store_dir), 0);
        assert!(blob_files(&store_dir).is_empty());
        return 0;
    }
    for key in 0..KEYS {
        let name = key_name(key);
        let h = log.get(&key);
        let acked = h.and_then(|h| h.acked);
        acks += usize::from(acked.is_some());
        let Some(data) = get(&store, "bkt", &name).await else {
            assert!(
                acked.is_none(),
                "{name}: acknowledged version {acked:?} lost"
            );
            continue;
        };
        let meta = store.head_object("bkt", &name).unwrap();
        let version: u64 = meta.attrs.user_metadata["version"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let h = h.expect("an object exists only if a write was intended");
        assert!(
            Some(version) == acked || (Some(version) > acked && h.intended.contains(&version)),
            "{name}: found version {version}, acked {acked:?}"
        );
        let expected = version_content(key, version);
        assert_eq!(meta.size, expected.len() as u64, "{name} v{version}: size");
        assert!(data == expected, "{name} v{version}: content differs");
        if !is_multipart(version) {
            use md5::Digest as _;
            assert_eq!(
                meta.etag,
                hex::encode(md5::Md5::digest(&expected)),
                "{name} v{version}: md5"
            );
        }
    }

    // Completion is atomic: an interrupted upload is never also the object (both), and a
    // kill inside a completion leaves the object or an upload that still completes
    // (neither is lost).
    assert_eq!(temp_files(&store_dir), 0);
    let mut retried = 0;
    for key in 0..KEYS {
        let name = key_name(key);
        let h = log.get(&key);
        let acked = h.and_then(|h| h.acked);
        let current: Option<u64> = store.head_object("bkt", &name).ok().map(|m| {
            m.attrs.user_metadata["version"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        });
        let uploads = store
            .list_uploads(
                "bkt",
                &UploadQuery {
                    prefix: name.clone(),
                    max_uploads: 1000,
                    ..Default::default()
                },
            )
            .unwrap();
        // Versions present after recovery: the object's, and each retried completion.
        let mut present: BTreeSet<u64> = current.into_iter().collect();
        for up in uploads.uploads.iter().filter(|u| u.key == name) {
            let version: u64 = up.attrs.user_metadata["version"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_ne!(
                Some(version),
                current,
                "{name} v{version}: both the object and its upload exist"
            );
            let completing = h.is_some_and(|h| h.completing.contains(&version));
            if !completing || Some(version) < acked {
                continue;
            }
            // Killed inside the completion, before its commit: the upload must still
            // complete, as a client's retry would, into exactly that version.
            let parts = store
                .list_parts("bkt", &name, &up.upload_id, 0, 10_000)
                .unwrap()
                .parts;
            assert_eq!(
                parts.len(),
                3,
                "{name} v{version}: parts of a completing upload"
            );
            let done: Vec<CompletedPart> = parts
                .into_iter()
                .map(|p| CompletedPart {
                    part_number: p.part_number,
                    etag: p.etag,
                })
                .collect();
            store
                .complete_upload("bkt", &name, &up.upload_id, &done)
                .await
                .unwrap();
            assert!(
                get(&store, "bkt", &name).await.unwrap() == version_content(key, version),
                "{name} v{version}: retried completion"
            );
            present.insert(version);
            retried += 1;
        }
        // The last logged completion that was never acknowledged is the object or an
        // upload: never neither.
        if let Some(h) = h {
            if let Some(&v) = h.completing.iter().next_back() {
                if Some(v) > acked && h.intended.iter().next_back() == Some(&v) {
                    assert!(
                        present.contains(&v),
                        "{name} v{v}: a kill during completion lost both upload and object"
                    );
                }
            }
        }
    }
    if retried > 0 {
        eprintln!("crash round: {retried} upload(s) interrupted inside completion, retried");
    }

    // The sweep left no temp file and no unreferenced blob: every blob file belongs to an
    // object (one per part) or to a staged part of an interrupted upload.
    let mut referenced = 0;
    for key in 0..KEYS {
        if let Ok(meta) = store.head_object("bkt", &key_name(key)) {
            let small = meta.part_sizes.is_empty() && meta.size <= PACK_MAX as u64;
            if !small {
                referenced += meta.part_sizes.len().max(1);
            }
        }
    }
    let uploads = store
        .list_uploads(
            "bkt",
            &UploadQuery {
                max_uploads: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    for up in &uploads.uploads {
        referenced += store
            .list_parts("bkt", &up.key, &up.upload_id, 0, 10_000)
            .unwrap()
            .parts
            .len();
    }
    assert_eq!(
        blob_files(&store_dir).len(),
        referenced,
        "orphan blobs after recovery ({report:?})"
    );
    eprintln!(
        "crash round verified: {acks} keys acknowledged, {} blob files, {} interrupted uploads, sweep {report:?}",
        referenced,
        uploads.uploads.len()
    );
    drop(store);
    // A second open finds nothing more to sweep.
    let store = Store::open(&store_dir, options()).unwrap();
    assert_eq!(store.recovery_report(), storage::RecoveryReport::default());
    acks
}

/// Poll the log's new lines until the `n`-th `complete` line appears; returns the time
/// it took. The poll is a 200 µs sleep, shorter than a completion's metadata flush.
fn wait_for_completion(log: &Path, n: usize) -> Duration {
    let started = std::time::Instant::now();
    let from = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0) as usize;
    loop {
        let text = std::fs::read(log).unwrap_or_default();
        let seen = text
            .get(from..)
            .unwrap_or_default()
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"complete "))
            .count();
        if seen >= n {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the crash child never reached a completion"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The crash child's log. Each line reaches the file in one `write`: `writeln!` on a file
/// writes every fragment of the format separately, and a kill between two of them left a
/// torn line that the next round's first line ran into (CI saw an in-flight put read as
/// never written). A kill inside one `write` that crosses a page could still tear a line,
/// so `open` drops an unterminated tail, as a log's reader drops a torn record, and
/// `complete_lines` reads only whole lines.
pub(super) struct ChildLog(std::fs::File);

impl ChildLog {
    pub(super) fn open(path: &Path) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        let text = std::fs::read(path).unwrap();
        let whole = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        file.set_len(whole as u64).unwrap();
        ChildLog(file)
    }

    pub(super) fn line(&mut self, line: std::fmt::Arguments<'_>) {
        let mut text = line.to_string();
        text.push('\n');
        self.0.write_all(text.as_bytes()).unwrap();
    }

    pub(super) fn sync(&mut self) {
        self.0.sync_data().unwrap();
    }
}

/// The newline-terminated lines of a child's log; a torn last line is not one.
pub(super) fn complete_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
        .filter_map(|l| l.strip_suffix('\n'))
}

/// Re-execute this test binary running only the crash child `test` on `dir`, numbering its
/// writes from `start`.
pub(super) fn spawn_child(test: &str, dir: &Path, start: u64) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(DIR_ENV, dir)
        .env(START_ENV, start.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// A seed from the clock, for kill timings that differ from run to run.
pub(super) fn clock_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1
}

/// xorshift step.
pub(super) fn next_seed(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn kill_9_keeps_acknowledged_writes() {
    if std::env::var(DIR_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut seed = clock_seed();
    let mut acks = 0;
    for round in 0..ROUNDS {
        let mut child = spawn_child("crash::crash_child", dir.path(), round * 1_000_000);
        next_seed(&mut seed);
        let wait = if round % 2 == 1 {
            // Odd rounds aim at a completion: kill as soon as the child logs that it calls
            // complete_upload for the (1 + seed % 4)-th time, i.e. inside or just after it.
            wait_for_completion(&dir.path().join("log"), 1 + (seed % 4) as usize)
        } else {
            let wait = Duration::from_millis(100 + seed % 300);
            std::thread::sleep(wait);
            wait
        };
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the crash child exited early: {status}");
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        acks = rt().block_on(verify(dir.path()));
        eprintln!("round {round}: killed after {wait:?}");
    }
    assert!(
        acks > 0,
        "the child never acknowledged a write; the test proved nothing"
    );
}
