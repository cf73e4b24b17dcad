//! The read path's origin engine: what a GET or HEAD miss in a bucket with an origin does,
//! in each of the three modes (Mirror, Proxy, Redirect).
//!
//! - **One fetch per key** ([`super::flight`]): concurrent misses of a key share one origin
//!   fill; every client — the first, those that join, late joiners — is streamed live from
//!   the fill's growing file, and a Range is answered `206` at once when the origin declared
//!   the length.
//! - **The fill runs in its own task**, not in a request: a client that disconnects does not
//!   cut it short, and a cancelled handler cannot strand a flight.
//! - **Verify before commit**: the fill goes through storage's fill writer and is committed
//!   only after a clean end whose length, Content-MD5 and (S3 origins) ETag check out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use base64::Engine as _;
use futures::StreamExt as _;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use storage::{Expect, ObjectAttrs, OriginStamp, Store};
use tokio::sync::{watch, Semaphore};

use super::config::{OriginConfiguration, OriginRule, OriginType};
use super::fetch::{FetchError, FetchRequest, Fetched, OriginClient};
use super::flight::{self, Flight, FlightGuard, FlightState, Flights, StreamInfo};
use super::notify::{EventOutcome, Notifier, OriginEvent};
use super::rules;
use crate::config::OriginSettings;
use crate::error::{S3Error, S3ErrorCode};
use crate::metrics::Metrics;

/// Response header telling how a GET/HEAD of an origin bucket was served.
pub const ORIGIN_STATUS_HEADER: &str = "x-originstore-origin";

/// Values of [`ORIGIN_STATUS_HEADER`].
pub mod status {
    /// Served from local storage.
    pub const HIT: &str = "hit";
    /// A miss, fetched from the origin and stored (or joined a fetch that stored it).
    pub const MISS_FILLED: &str = "miss-filled";
    /// A miss answered from the origin without storing (HEAD, CopyOriginData=false).
    pub const MISS_PROXIED: &str = "miss-proxied";
    /// A miss answered with a redirect to the origin (Proxy and Redirect modes).
    pub const REDIRECTED: &str = "redirected";
    /// A miss the origin could not serve (404 or failure).
    pub const MISS: &str = "miss";
}

/// Origin response headers kept on the stored object and passed to the client.
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// What the GET/HEAD handler should do after a miss.
pub enum Outcome {
    /// Send this response (a stream from the origin, a redirect, a HEAD answer).
    Respond(Response),
    /// The object is now stored locally (or a local write won the race): serve it from
    /// storage as usual.
    Local,
}

/// One missed request, as the engine needs it.
pub struct Miss<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub config: &'a OriginConfiguration,
    pub method: Method,
    /// The client's Range, answered from the growing fill when the length is known.
    pub range: Option<storage::ByteRange>,
    /// The client set conditions, a partNumber or response overrides: it is served from
    /// storage once the fill completed, so the stored object answers them exactly.
    pub needs_local: bool,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub https: bool,
}

impl Miss<'_> {
    fn request<'r>(&'r self, rule: &'r OriginRule, method: Method) -> FetchRequest<'r> {
        FetchRequest {
            method,
            rule,
            key: self.key,
            client_query: self.query,
            client_headers: self.headers,
            client_https: self.https,
        }
    }
}

/// Why a pull failed, in a form every waiter of a flight can turn into its own error.
#[derive(Debug, Clone)]
pub(super) enum Failure {
    NotFound,
    Fetch(FetchError),
    /// The origin answered an unfollowed redirect.
    Redirect {
        status: u16,
        location: String,
    },
    /// Storage or body problems: cut body, digest mismatch, too large, disk error.
    Fill(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotFound => f.write_str("the origin has no such object"),
            Failure::Fetch(e) => write!(f, "{e:?}"),
            Failure::Redirect { status, .. } => write!(f, "the origin redirected ({status})"),
            Failure::Fill(reason) => f.write_str(reason),
        }
    }
}

/// Head of a streamed origin answer.
#[derive(Debug)]
pub(super) struct StreamHead {
    content_length: Option<u64>,
    headers: Vec<(String, String)>,
}

pub struct OriginEngine {
    client: OriginClient,
    store: Store,
    settings: OriginSettings,
    flights: Flights,
    negative: Mutex<HashMap<(String, String), Instant>>,
    permits: Arc<Semaphore>,
    /// Parsed configurations per bucket (`None`: the bucket has no origin), so GETs neither
    /// read nor parse the stored XML. Invalidated by [`OriginEngine::forget_bucket`].
    configs: Mutex<ConfigCache>,
    metrics: Arc<Metrics>,
    notifier: Option<Arc<Notifier>>,
}

#[derive(Default)]
struct ConfigCache {
    by_bucket: HashMap<String, Option<Arc<OriginConfiguration>>>,
    /// Bumped by every invalidation; a load that raced with one is not cached.
    generation: u64,
}

/// Bucket setting holding the origin configuration (normalised XML).
pub const ORIGIN_SETTING: &str = "origin";

/// A committed fill.
struct Filled {
    size: u64,
    /// `None` when a local write won the race and the fill was discarded.
    etag: Option<String>,
    url: String,
}

/// Everything a fill task needs, owned (it outlives the request).
struct FillJob {
    bucket: String,
    key: String,
    rule: OriginRule,
    query: Option<String>,
    headers: HeaderMap,
    https: bool,
}

impl OriginEngine {
    /// `region` is reported in notifications.
    pub fn new(
        store: Store,
        settings: &OriginSettings,
        region: &str,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<OriginEngine> {
        Ok(OriginEngine {
            client: OriginClient::new(settings)?,
            notifier: Notifier::start(store.clone(), settings, region)?,
            store,
            settings: settings.clone(),
            flights: Flights::default(),
            negative: Mutex::new(HashMap::new()),
            permits: Arc::new(Semaphore::new(settings.max_concurrent_fetches.max(1))),
            configs: Mutex::new(ConfigCache::default()),
            metrics,
        })
    }

    /// Handle a GET or HEAD of a key with no local object.
    pub async fn on_miss(self: &Arc<Self>, miss: Miss<'_>) -> Result<Outcome, S3Error> {
        self.metrics
            .origin_misses
            .get_or_create(&Metrics::bucket(miss.bucket))
            .inc();
        let rule = match miss.config.rule_for(miss.key) {
            Some(rule) if rules::is_pullable_key(miss.key) => rule,
            _ => return Err(no_such_key()),
        };
        // A key deleted locally stays deleted.
        if self.store.tombstone(miss.bucket, miss.key)?.is_some() {
            return Err(no_such_key());
        }
        if self.negatively_cached(miss.bucket, miss.key) {
            return Err(no_such_key());
        }
        match rule.origin_type {
            // HEAD answers from an origin HEAD and stores nothing (`aws s3 cp` sends HEAD
            // before GET); in the redirecting modes HEAD is redirected like GET.
            OriginType::Mirror if miss.method == Method::HEAD => self.head(&miss, rule).await,
            OriginType::Proxy | OriginType::Redirect if miss.method == Method::HEAD => {
                redirect(&miss, rule)
            }
            OriginType::Mirror if !rule.parameter.copy_origin_data => self.proxy(&miss, rule).await,
            OriginType::Mirror => self.mirror(&miss, rule).await,
            OriginType::Proxy | OriginType::Redirect => {
                if rule.origin_type == OriginType::Proxy || rule.parameter.copy_origin_data {
                    if let Flight::Lead(guard) = self.flights.lead_or_join(miss.bucket, miss.key) {
                        self.spawn_fill(guard, job(&miss, rule));
                    }
                }
                redirect(&miss, rule)
            }
        }
    }

    /// Mirror: lead or join the key's flight, and answer from it.
    async fn mirror(
        self: &Arc<Self>,
        miss: &Miss<'_>,
        rule: &OriginRule,
    ) -> Result<Outcome, S3Error> {
        let rx = match self.flights.lead_or_join(miss.bucket, miss.key) {
            Flight::Join(rx) => {
                self.metrics
                    .origin_joined_waiters
                    .get_or_create(&Metrics::bucket(miss.bucket))
                    .inc();
                rx
            }
            Flight::Lead(guard) => {
                // The object may have been committed between our miss and taking the lead.
                if self.store.head_object(miss.bucket, miss.key).is_ok() {
                    guard.publish(FlightState::Done { written: 0 });
                    return Ok(Outcome::Local);
                }
                let rx = guard.subscribe();
                self.spawn_fill(guard, job(miss, rule));
                rx
            }
        };
        self.answer_from_flight(rx, miss, rule).await
    }

    /// Stream a client's answer from a flight's growing file, or fall back to the stored
    /// object (conditions, partNumber, overrides, a Range of unknown total length, or a
    /// flight that already finished).
    async fn answer_from_flight(
        &self,
        mut rx: watch::Receiver<FlightState>,
        miss: &Miss<'_>,
        rule: &OriginRule,
    ) -> Result<Outcome, S3Error> {
        let state = rx
            .wait_for(|s| !matches!(s, FlightState::Fetching))
            .await
            .map(|s| s.clone())
            .unwrap_or(FlightState::Failed(Failure::Fill(
                "the fill was abandoned".into(),
            )));
        let info = match state {
            FlightState::Streaming { info, .. } => info,
            FlightState::Fetching | FlightState::Done { .. } | FlightState::Failed(_) => {
                return self.wait(rx, rule).await
            }
        };
        if miss.needs_local || (miss.range.is_some() && info.total.is_none()) {
            return self.wait(rx, rule).await;
        }
        let (status, start, end) = match (miss.range, info.total) {
            (Some(range), Some(total)) => {
                let (first, last) = range.resolve(total)?;
                (StatusCode::PARTIAL_CONTENT, first, Some(last + 1))
            }
            _ => (StatusCode::OK, 0, None),
        };
        let body = match flight::growing_file(&info, rx.clone(), start, end).await {
            Ok(body) => body,
            // The file was renamed into place (committed) or removed (failed) meanwhile.
            Err(_) => return self.wait(rx, rule).await,
        };
        let mut response =
            stream_response(&info.head, Body::from_stream(body), status::MISS_FILLED)?;
        if let (Some(total), Some(end)) = (info.total, end) {
            *response.status_mut() = status;
            let headers = response.headers_mut();
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(end - start));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{total}", end - 1)) {
                headers.insert(http::header::CONTENT_RANGE, v);
            }
        }
        Ok(Outcome::Respond(response))
    }

    /// Mirror with CopyOriginData=false: stream the origin's answer, store nothing.
    async fn proxy(&self, miss: &Miss<'_>, rule: &OriginRule) -> Result<Outcome, S3Error> {
        let fetched = self
            .fetch(miss.bucket, miss.request(rule, Method::GET))
            .await
            .map_err(|f| failure_error(&f, rule, &self.settings))?;
        let head = stream_head(&fetched, None);
        let stream = fetched
            .response
            .bytes_stream()
            .map(|r| r.map_err(std::io::Error::other));
        Ok(Outcome::Respond(stream_response(
            &head,
            Body::from_stream(stream),
            status::MISS_PROXIED,
        )?))
    }

    /// HEAD miss: answer from an origin HEAD, store nothing (`aws s3 cp` sends HEAD first).
    async fn head(&self, miss: &Miss<'_>, rule: &OriginRule) -> Result<Outcome, S3Error> {
        let fetched = self
            .fetch(miss.bucket, miss.request(rule, Method::HEAD))
            .await
            .map_err(|f| failure_error(&f, rule, &self.settings))?;
        let content_length = fetched
            .response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let mut head = stream_head(&fetched, None);
        head.content_length = content_length;
        Ok(Outcome::Respond(stream_response(
            &head,
            Body::empty(),
            status::MISS_PROXIED,
        )?))
    }

    async fn fetch(&self, bucket: &str, request: FetchRequest<'_>) -> Result<Fetched, Failure> {
        let labels = Metrics::bucket(bucket);
        self.metrics.origin_requests.get_or_create(&labels).inc();
        let started = Instant::now();
        let fetched = self.client.fetch(&request).await;
        self.metrics
            .origin_latency
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
        let fetched = fetched.map_err(|e| self.fetch_failure(bucket, request.key, e))?;
        check_redirect(&fetched)?;
        Ok(fetched)
    }

    fn fetch_failure(&self, bucket: &str, key: &str, e: FetchError) -> Failure {
        match e {
            FetchError::NotFound { status: 404 } => {
                let until = Instant::now() + Duration::from_secs(self.settings.negative_cache_secs);
                if self.settings.negative_cache_secs > 0 {
                    self.negative
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert((bucket.to_owned(), key.to_owned()), until);
                }
                Failure::NotFound
            }
            e => Failure::Fetch(e),
        }
    }

    fn negatively_cached(&self, bucket: &str, key: &str) -> bool {
        let mut map = self
            .negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let k = (bucket.to_owned(), key.to_owned());
        match map.get(&k) {
            Some(until) if Instant::now() < *until => true,
            Some(_) => {
                map.remove(&k);
                false
            }
            None => false,
        }
    }

    /// Wait for a flight's outcome; a filled object is then served from storage.
    async fn wait(
        &self,
        rx: watch::Receiver<FlightState>,
        rule: &OriginRule,
    ) -> Result<Outcome, S3Error> {
        match flight::final_state(rx).await {
            FlightState::Failed(f) => Err(failure_error(&f, rule, &self.settings)),
            _ => Ok(Outcome::Local),
        }
    }

    /// The bucket's origin configuration, if it has one.
    pub fn bucket_config(&self, bucket: &str) -> Result<Option<Arc<OriginConfiguration>>, S3Error> {
        let generation = {
            let cache = self
                .configs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(config) = cache.by_bucket.get(bucket) {
                return Ok(config.clone());
            }
            cache.generation
        };
        let config = match self.store.bucket_setting(bucket, ORIGIN_SETTING) {
            Ok(Some(stored)) => Some(Arc::new(super::parse(&stored).map_err(|e| {
                S3Error::internal(format!(
                    "stored origin configuration of {bucket} does not parse: {e}"
                ))
            })?)),
            Ok(None) | Err(storage::Error::NoSuchBucket) => None,
            Err(e) => return Err(e.into()),
        };
        let mut cache = self
            .configs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.generation == generation {
            cache.by_bucket.insert(bucket.to_owned(), config.clone());
        }
        Ok(config)
    }

    /// The bucket's configuration changed or the bucket went away: drop what is cached of it
    /// (parsed configuration, negative-cache entries).
    pub fn forget_bucket(&self, bucket: &str) {
        {
            let mut cache = self
                .configs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            cache.by_bucket.remove(bucket);
            cache.generation += 1;
        }
        self.negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|(b, _), _| b != bucket);
    }

    fn spawn_fill(self: &Arc<Self>, guard: FlightGuard, job: FillJob) {
        let engine = self.clone();
        tokio::spawn(async move {
            let outcome = engine.fill(&job, &guard).await;
            let labels = Metrics::bucket(&job.bucket);
            match &outcome {
                Ok(filled) => {
                    engine.metrics.origin_fills.get_or_create(&labels).inc();
                    guard.publish(FlightState::Done {
                        written: filled.size,
                    });
                }
                Err(failure) => {
                    if !matches!(failure, Failure::NotFound) {
                        engine
                            .metrics
                            .origin_fill_failures
                            .get_or_create(&labels)
                            .inc();
                        tracing::warn!(bucket = %job.bucket, key = %job.key, %failure, "origin fill failed");
                    }
                    guard.publish(FlightState::Failed(failure.clone()));
                }
            }
            // Waiters are answered first; the notification is queued after.
            drop(guard);
            if let Some(notifier) = &engine.notifier {
                let reason;
                let (outcome, url) = match &outcome {
                    Ok(filled) => (
                        EventOutcome::Filled {
                            size: filled.size,
                            etag: filled.etag.as_deref(),
                        },
                        Some(filled.url.as_str()),
                    ),
                    // An origin without the object is a miss, not a failed fill.
                    Err(Failure::NotFound) => return,
                    Err(failure) => {
                        reason = failure.to_string();
                        (EventOutcome::Failed { reason: &reason }, None)
                    }
                };
                notifier
                    .emit(OriginEvent {
                        bucket: &job.bucket,
                        key: &job.key,
                        outcome,
                        url,
                    })
                    .await;
            }
        });
    }

    /// Fetch, write through the fill writer while publishing progress, verify, commit.
    async fn fill(&self, job: &FillJob, guard: &FlightGuard) -> Result<Filled, Failure> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Failure::Fill(e.to_string()))?;
        let request = FetchRequest {
            method: Method::GET,
            rule: &job.rule,
            key: &job.key,
            client_query: job.query.as_deref(),
            client_headers: &job.headers,
            client_https: job.https,
        };
        let fetched = self.fetch(&job.bucket, request).await?;
        let fetched_url = fetched.url.clone();
        let expect = expectation(&fetched);
        let attrs = attrs_of(&fetched);
        let fill_error = |e: storage::Error| Failure::Fill(e.to_string());
        let mut writer = self
            .store
            .fill_writer(&job.bucket, &job.key, &[])
            .map_err(fill_error)?;
        let info = Arc::new(StreamInfo {
            head: stream_head(&fetched, expect.md5),
            temp_path: writer.temp_path().to_owned(),
            total: expect.size,
        });
        guard.publish(FlightState::Streaming {
            info: info.clone(),
            written: 0,
        });
        let pulled = self
            .metrics
            .origin_bytes_pulled
            .get_or_create(&Metrics::bucket(&job.bucket))
            .clone();
        let mut stream = fetched.response.bytes_stream();
        while let Some(item) = stream.next().await {
            let chunk = item.map_err(|e| Failure::Fill(format!("origin body: {e}")))?;
            writer.write(&chunk).await.map_err(fill_error)?;
            pulled.inc_by(chunk.len() as u64);
            if writer.written() > self.settings.max_object_size {
                return Err(Failure::Fill(format!(
                    "origin object larger than {} bytes",
                    self.settings.max_object_size
                )));
            }
            // Readers stream the temp file: make the bytes visible, then say so.
            writer.flush().await.map_err(fill_error)?;
            guard.publish(FlightState::Streaming {
                info: info.clone(),
                written: writer.written(),
            });
        }
        let size = writer.written();
        let committed = writer.commit(attrs, &expect).await.map_err(fill_error)?;
        Ok(Filled {
            size,
            etag: committed.map(|meta| meta.etag),
            url: fetched_url,
        })
    }
}

fn job(miss: &Miss<'_>, rule: &OriginRule) -> FillJob {
    FillJob {
        bucket: miss.bucket.to_owned(),
        key: miss.key.to_owned(),
        rule: rule.clone(),
        query: miss.query.map(str::to_owned),
        headers: miss.headers.clone(),
        https: miss.https,
    }
}

fn check_redirect(fetched: &Fetched) -> Result<(), Failure> {
    let status = fetched.response.status();
    if status.is_redirection() {
        let location = fetched
            .response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        return Err(Failure::Redirect {
            status: status.as_u16(),
            location,
        });
    }
    Ok(())
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

fn attrs_of(fetched: &Fetched) -> ObjectAttrs {
    let headers = fetched.response.headers();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut attrs = ObjectAttrs {
        content_type: text("content-type"),
        cache_control: text("cache-control"),
        content_disposition: text("content-disposition"),
        content_encoding: text("content-encoding"),
        content_language: text("content-language"),
        expires: text("expires"),
        origin: Some(OriginStamp {
            etag: text("etag"),
            last_modified: text("last-modified"),
            url: fetched.url.clone(),
        }),
        ..Default::default()
    };
    for (name, value) in headers {
        if let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") {
            attrs.user_metadata.insert(
                meta.to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            );
        }
    }
    attrs
}

/// The ETag of an answer streamed from the origin: the MD5 the stored object will have when
/// it is known in advance, else the origin's own ETag, else one made up from the origin's
/// URL, length and Last-Modified. S3 always sends an ETag and clients rely on it (s3cmd
/// fails with `KeyError: 'etag'` on a HEAD without one). The made-up one ends in `-1`, the
/// form S3 clients read as "not the MD5 of the body" (as for multipart objects), so none of
/// them checks the body against it; it is stable across repeated HEADs of the same origin
/// object. Once the object is stored, its ETag is the MD5 of its bytes.
fn miss_etag(fetched: &Fetched, md5: Option<[u8; 16]>) -> String {
    use md5::Digest as _;
    if let Some(md5) = md5 {
        return format!("\"{}\"", hex::encode(md5));
    }
    let headers = fetched.response.headers();
    let text = |name: http::header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let origin_etag = text(http::header::ETAG);
    if !origin_etag.is_empty() {
        return origin_etag.to_owned();
    }
    let mut hasher = md5::Md5::new();
    for part in [
        fetched.url.as_str(),
        text(http::header::CONTENT_LENGTH),
        text(http::header::LAST_MODIFIED),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    format!("\"{}-1\"", hex::encode(hasher.finalize()))
}

/// The head of a streamed answer: kept headers, `x-amz-meta-*`, Last-Modified, and an ETag
/// ([`miss_etag`]).
fn stream_head(fetched: &Fetched, md5: Option<[u8; 16]>) -> StreamHead {
    let source = fetched.response.headers();
    let mut headers = Vec::new();
    for (name, value) in source {
        let n = name.as_str();
        if KEPT_HEADERS.contains(&n) || n.starts_with("x-amz-meta-") || n == "last-modified" {
            if let Ok(v) = value.to_str() {
                headers.push((n.to_owned(), v.to_owned()));
            }
        }
    }
    headers.push(("etag".into(), miss_etag(fetched, md5)));
    // S3 clients require Last-Modified (the aws CLI fails without it): an origin that sends
    // none gets the time of the pull, which is what the stored copy will carry.
    if !headers.iter().any(|(n, _)| n == "last-modified") {
        headers.push((
            "last-modified".into(),
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        ));
    }
    StreamHead {
        content_length: fetched.response.content_length(),
        headers,
    }
}

fn stream_response(
    head: &StreamHead,
    body: Body,
    origin_status: &'static str,
) -> Result<Response, S3Error> {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(ORIGIN_STATUS_HEADER, origin_status);
    if !head.headers.iter().any(|(n, _)| n == "content-type") {
        builder = builder.header(http::header::CONTENT_TYPE, "binary/octet-stream");
    }
    for (name, value) in &head.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(name, v);
        }
    }
    if let Some(len) = head.content_length {
        builder = builder.header(http::header::CONTENT_LENGTH, len);
    }
    builder.body(body).map_err(S3Error::internal)
}

/// Proxy / Redirect modes: send the client to the object on the origin.
fn redirect(miss: &Miss<'_>, rule: &OriginRule) -> Result<Outcome, S3Error> {
    let hosts = rule.hosts_in_order(miss.key);
    let host = hosts
        .first()
        .ok_or_else(|| S3Error::internal("origin rule without a host"))?;
    let location = rules::origin_url(rule, host, miss.key, miss.query, miss.https);
    let status =
        StatusCode::from_u16(rule.parameter.http_redirect_code).unwrap_or(StatusCode::FOUND);
    let response = Response::builder()
        .status(status)
        .header(http::header::LOCATION, location)
        .header(ORIGIN_STATUS_HEADER, status::REDIRECTED)
        .body(Body::empty())
        .map_err(S3Error::internal)?;
    Ok(Outcome::Respond(response))
}

fn no_such_key() -> S3Error {
    S3Error::new(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

/// The client's error for a failed pull, honouring the rule's TransparentErrorCode and the
/// server's failure status.
fn failure_error(f: &Failure, rule: &OriginRule, settings: &OriginSettings) -> S3Error {
    match f {
        Failure::NotFound => no_such_key(),
        Failure::Redirect { status, location } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::FOUND);
            S3Error::new(
                S3ErrorCode::NoSuchKey,
                "The object is at another location on the origin.",
            )
            .with_status(status)
            .with_header("location", location.clone())
            .with_header(ORIGIN_STATUS_HEADER, status::REDIRECTED)
        }
        Failure::Fetch(FetchError::NotFound { status })
            if rule.parameter.transparent_error_code =>
        {
            transparent(*status, "The origin refused the request.")
        }
        Failure::Fetch(FetchError::NotFound { .. }) => no_such_key(),
        Failure::Fetch(FetchError::Unavailable {
            status: Some(s), ..
        }) if rule.parameter.transparent_error_code => {
            transparent(*s, "The origin answered with an error.")
        }
        Failure::Fetch(FetchError::Forbidden { reason }) => S3Error::new(
            S3ErrorCode::AccessDenied,
            "The origin address is forbidden by the server's network policy.",
        )
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
        .with_source(reason),
        Failure::Fetch(FetchError::Unavailable { reason, .. }) => {
            unavailable(settings).with_source(reason)
        }
        Failure::Fill(reason) => unavailable(settings).with_source(reason),
    }
}

fn transparent(status: u16, message: &str) -> S3Error {
    let code = match status {
        403 => S3ErrorCode::AccessDenied,
        404 => S3ErrorCode::NoSuchKey,
        s if s >= 500 => S3ErrorCode::ServiceUnavailable,
        _ => S3ErrorCode::InvalidRequest,
    };
    S3Error::new(code, format!("{message} (origin status {status})"))
        .with_status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY))
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

/// Every origin host failed: a retryable error clients back off from (`SlowDown`).
fn unavailable(settings: &OriginSettings) -> S3Error {
    S3Error::new(
        S3ErrorCode::SlowDown,
        "The origin is unavailable; please retry.",
    )
    .with_status(
        StatusCode::from_u16(settings.failure_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
    )
    .with_header("retry-after", settings.retry_after_secs.to_string())
    .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}
