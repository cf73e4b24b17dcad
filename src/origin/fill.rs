//! The fill: an origin answer's body written through storage's fill writer while every
//! client of the flight streams it, then verified (length, Content-MD5, an S3 origin's
//! single-part ETag) and committed with the object attributes the origin sent. In cluster
//! mode a fill from the bucket's own origin (the cluster did not have the key) also streams
//! to the cluster, and is kept only once the cluster acknowledged it.
//!
//! Runs inside the fill task the engine spawns ([`super::engine`]), never in a request, so a
//! client that disconnects cannot cut it short.

use std::sync::Arc;

use base64::Engine as _;
use futures::StreamExt as _;
use http::HeaderMap;
use prometheus_client::metrics::counter::Counter;
use storage::{Expect, ObjectAttrs, Store};

use super::document::OriginRule;
use super::fetch::Fetched;
use super::flight::{Failure, FlightGuard, FlightState, StreamInfo};
use super::head::{attrs_of, OriginHead};
use crate::backend::tee::Tee;

/// How long the origin may pause before the bytes received so far are written out for the
/// flight's readers (a slow origin still streams to clients promptly).
const IDLE_FLUSH: std::time::Duration = std::time::Duration::from_millis(20);
/// The longest readers wait for news of bytes already received from an origin that sends a
/// little at a time without pausing.
const MAX_LAG: std::time::Duration = std::time::Duration::from_millis(100);

/// A committed fill.
pub(super) struct Filled {
    pub(super) size: u64,
    /// `None` when a local write won the race and the fill was discarded.
    pub(super) etag: Option<String>,
    pub(super) url: String,
    /// A revalidation the origin answered 304: nothing was written.
    pub(super) revalidated: bool,
}

/// Everything a fill task needs, owned (it outlives the request).
pub(super) struct FillJob {
    pub(super) bucket: String,
    pub(super) key: String,
    pub(super) rule: OriginRule,
    /// Cluster mode: the bucket's own rule, asked when the cluster (`rule`) lacks the key.
    pub(super) fallback: Option<OriginRule>,
    pub(super) query: Option<String>,
    pub(super) headers: HeaderMap,
    pub(super) https: bool,
    /// A refresh of a stale copy: what it is (its validators and ETag) and what an origin
    /// 404 then does.
    pub(super) refresh: Option<Refresh>,
    /// A job's fill (backfill, delta pass, verification), not a client's miss.
    pub(super) background: bool,
}

/// The copy a refresh revalidates.
#[derive(Clone)]
pub(super) struct Refresh {
    /// The local copy's ETag: the refresh replaces that copy only.
    pub(super) local_etag: String,
    /// The origin's ETag and Last-Modified kept at fill, sent as `If-None-Match` and
    /// `If-Modified-Since`.
    pub(super) origin_etag: Option<String>,
    pub(super) origin_last_modified: Option<String>,
    /// The stamp the copy carries (its URL is kept when a 304 renews it).
    pub(super) url: String,
    pub(super) delete_on_404: bool,
}

/// An origin's answer to fill from, and where else its body goes (cluster mode: the
/// cluster's tee and its URL of the key).
pub(super) struct Fetch {
    pub(super) fetched: Fetched,
    pub(super) through: Option<(Tee, String)>,
}

/// Write `fetched`'s body into a fill of `job`'s key, publishing progress on the flight;
/// verify and commit it, with `lock` (the bucket's default retention). Bodies larger than
/// `max_size` are refused.
pub(super) async fn write(
    store: &Store,
    job: &FillJob,
    fetch: Fetch,
    guard: &FlightGuard,
    max_size: u64,
    lock: storage::ObjectLock,
    pulled: &Counter,
) -> Result<Filled, Failure> {
    let Fetch {
        mut fetched,
        mut through,
    } = fetch;
    // The rule's throttle: the body's bytes take their share of its byte rate, and its
    // concurrency slot is held until the fill ends.
    let admission = fetched.admission.take();
    let fetched_url = fetched.url.clone();
    let expect = expectation(&fetched);
    let mut attrs = attrs_of_fill(&fetched);
    attrs.lock = lock;
    if let Some((tee, _)) = through.as_mut() {
        tee.set_length(fetched.response.content_length());
    }
    let fill_error = Failure::of_store;
    let mut writer = store
        .fill_writer(&job.bucket, &job.key, &[])
        .map_err(fill_error)?;
    if let Some(refresh) = &job.refresh {
        writer.replacing(&refresh.local_etag);
    }
    let info = Arc::new(StreamInfo {
        head: OriginHead::of(&fetched, expect.md5),
        temp_path: writer.temp_path().to_owned(),
        recent: Default::default(),
    });
    guard.publish(FlightState::Streaming {
        info: info.clone(),
        written: 0,
    });
    let mut stream = fetched.response.bytes_stream();
    let mut published = 0;
    let mut last_news = std::time::Instant::now();
    loop {
        // While the origin keeps sending, buffers are written behind the network (never one
        // blocking write per chunk); when it pauses, everything received is made visible.
        let item = match tokio::time::timeout(IDLE_FLUSH, stream.next()).await {
            Ok(item) => item,
            Err(_) => {
                writer.flush().await.map_err(fill_error)?;
                if publish(guard, &info, &mut published, writer.written()) {
                    last_news = std::time::Instant::now();
                }
                stream.next().await
            }
        };
        let Some(item) = item else { break };
        let chunk = item.map_err(|e| Failure::Body(format!("origin body: {e}")))?;
        if let Some(admission) = &admission {
            admission.bytes(chunk.len()).await;
        }
        info.recent.push(writer.written(), chunk.clone());
        writer.write(&chunk).await.map_err(fill_error)?;
        if let Some((tee, _)) = through.as_mut() {
            if tee.send(chunk.clone()).await.is_err() {
                return Err(cluster_refused(through).await);
            }
        }
        pulled.inc_by(chunk.len() as u64);
        if writer.written() > max_size {
            return Err(Failure::Body(format!(
                "origin object larger than {max_size} bytes"
            )));
        }
        let mut visible = writer.visible().await.map_err(fill_error)?;
        if visible == published && last_news.elapsed() >= MAX_LAG {
            // A trickling origin that never pauses long enough for the idle flush.
            writer.flush().await.map_err(fill_error)?;
            visible = writer.written();
        }
        if publish(guard, &info, &mut published, visible) {
            last_news = std::time::Instant::now();
        }
    }
    let size = writer.written();
    let verified = writer.verify(&expect).await.map_err(fill_error)?;
    if let Some((tee, url)) = through {
        // Verified here: the cluster may complete it. Kept only once it did, and as the
        // cluster's object from then on (revalidated against it, not against the origin).
        let acknowledged = tee
            .finish()
            .await
            .map_err(|e| Failure::Body(format!("the cluster refused the fill: {e}")))?;
        attrs.origin = Some(acknowledged.stamp(url));
    }
    let committed = verified.commit(attrs).await.map_err(fill_error)?;
    Ok(Filled {
        size,
        etag: committed.map(|meta| meta.etag),
        url: fetched_url,
        revalidated: false,
    })
}

/// The cluster stopped reading a fill's body: why, as the fill's failure.
async fn cluster_refused(through: Option<(Tee, String)>) -> Failure {
    let reason = match through {
        Some((tee, _)) => match tee.answer().await {
            Err(e) => e.to_string(),
            Ok(_) => "it answered before the body ended".to_owned(),
        },
        None => "no cluster".to_owned(),
    };
    Failure::Body(format!("the cluster refused the fill: {reason}"))
}

/// Tells the flight's readers that `visible` bytes of the temp file are readable, if that is
/// news (returns whether it was).
fn publish(guard: &FlightGuard, info: &Arc<StreamInfo>, published: &mut u64, visible: u64) -> bool {
    if visible <= *published {
        return false;
    }
    *published = visible;
    guard.publish(FlightState::Streaming {
        info: info.clone(),
        written: visible,
    });
    true
}

/// Length and digests the origin's body must match before it is committed.
fn expectation(fetched: &Fetched) -> Expect {
    let headers = fetched.response.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut md5 = text("content-md5").and_then(|v| {
        base64::engine::general_purpose::STANDARD
            .decode(v.trim())
            .ok()
            .and_then(|raw| <[u8; 16]>::try_from(raw).ok())
    });
    // An S3-compatible origin's ETag of a single-part object is its MD5 (multipart ETags
    // carry "-N" and are not digests of the body).
    let s3_like = fetched.private || headers.contains_key("x-amz-request-id");
    if md5.is_none() && s3_like {
        md5 = text("etag")
            .map(|e| e.trim().trim_matches('"'))
            .and_then(|e| {
                let raw = hex::decode(e).ok()?;
                <[u8; 16]>::try_from(raw).ok()
            });
    }
    Expect {
        size: fetched.response.content_length(),
        md5,
        checksums: Vec::new(),
    }
}

/// What the stored copy carries: the origin's headers ([`attrs_of`]) and the origin's
/// validators, for revalidation.
fn attrs_of_fill(fetched: &Fetched) -> ObjectAttrs {
    let headers = fetched.response.headers();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    ObjectAttrs {
        origin: Some(super::freshness::stamp(
            text("etag"),
            text("last-modified"),
            fetched.url.clone(),
            headers,
            std::time::SystemTime::now(),
        )),
        ..attrs_of(headers)
    }
}
