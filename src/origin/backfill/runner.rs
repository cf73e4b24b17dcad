//! The backfill runner: one task per running job, batch by batch, checkpointing after each;
//! every key is filled through the origin engine's single flight.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;

use super::document::{now_ns, BackfillJob, BackfillSource, BackfillState};
use crate::bucket_setting::CachedSetting;
use crate::error::S3Error;
use crate::origin::document::{OriginConfiguration, OriginRule};
use crate::origin::engine::OriginEngine;
use crate::origin::flight::{self, Failure, Flight, FlightState};
use crate::origin::list::{list_page, OriginEntry, OriginListQuery};

/// Keys handed to the fills per batch, per unit of concurrency.
const BATCH_PER_WORKER: usize = 4;

/// What became of one key.
enum Done {
    /// Filled during the job's life (by it, or by a client miss it joined).
    Filled(u64),
    /// Already local, tombstoned or delete-marked: skipped.
    Local,
    Failed(String),
}

/// Run `job` of `bucket` until it ends or `cancel` is set, checkpointing it in `jobs` after
/// each batch; returns the job as it ended.
pub(super) async fn run(
    engine: &Arc<OriginEngine>,
    jobs: &CachedSetting<BackfillJob>,
    bucket: &str,
    mut job: BackfillJob,
    cancel: &AtomicBool,
) -> BackfillJob {
    if let Err(e) = drive(engine, jobs, bucket, &mut job, cancel).await {
        job.state = BackfillState::Failed;
        job.error = Some(e.source.clone().unwrap_or(e.message));
    }
    job.updated_ns = now_ns();
    job
}

async fn drive(
    engine: &Arc<OriginEngine>,
    jobs: &CachedSetting<BackfillJob>,
    bucket: &str,
    job: &mut BackfillJob,
    cancel: &AtomicBool,
) -> Result<(), S3Error> {
    let config = engine
        .stored_config(bucket)?
        .ok_or_else(|| S3Error::internal("the bucket's origin configuration went away"))?;
    let mut keys = match &job.source {
        BackfillSource::List => {
            let rule = listable_rule(&config, &job.request_prefix)
                .ok_or_else(|| S3Error::internal("no rule of the bucket can be listed"))?
                .clone();
            Keys::List(Box::new(ListKeys {
                rule,
                prefix: job.request_prefix.clone(),
                start_after: job.last_key.clone(),
                token: None,
                buffer: VecDeque::new(),
                done: false,
            }))
        }
        BackfillSource::Manifest { key } => {
            Keys::Manifest(ManifestKeys::open(engine, bucket, key, job.lines_done)?)
        }
    };
    let batch_size = job.concurrency * BATCH_PER_WORKER;
    loop {
        if cancel.load(Ordering::SeqCst) {
            job.state = BackfillState::Cancelled;
            return Ok(());
        }
        let (mut batch, consumed) = keys.next_batch(engine, bucket, &config, batch_size).await?;
        // Manifest lines outside the job's prefix are read past.
        batch.retain(|k| k.starts_with(&job.request_prefix));
        if batch.is_empty() && consumed == 0 {
            job.state = if job.failed > 0 {
                BackfillState::CompletedWithFailures
            } else {
                BackfillState::Completed
            };
            return Ok(());
        }
        job.listed += batch.len() as u64;
        let started = job.started_ns;
        let results: Vec<(String, Done)> = futures::stream::iter(batch.clone())
            .map(|key| {
                let config = config.clone();
                async move {
                    let done = one_key(engine, bucket, &config, &key, started).await;
                    (key, done)
                }
            })
            .buffer_unordered(job.concurrency)
            .collect()
            .await;
        for (key, done) in results {
            match done {
                Done::Filled(size) => {
                    job.filled += 1;
                    job.bytes += size;
                }
                Done::Local => job.already_local += 1,
                Done::Failed(reason) => job.fail(&key, reason),
            }
        }
        match &mut keys {
            Keys::List(_) => job.last_key = batch.last().cloned().or(job.last_key.take()),
            Keys::Manifest(_) => job.lines_done += consumed,
        }
        job.updated_ns = now_ns();
        // The checkpoint: everything up to here is done and counted.
        if !cancel.load(Ordering::SeqCst) {
            jobs.set(bucket, Some(job)).await?;
        }
    }
}

/// The rule a List backfill walks: the first (by priority) that can be listed (its hosts are
/// S3-compatible, no key rewrite) and can hold keys under `prefix`.
pub fn listable_rule<'a>(config: &'a OriginConfiguration, prefix: &str) -> Option<&'a OriginRule> {
    let mut rules: Vec<&OriginRule> = config.rules.iter().collect();
    rules.sort_by_key(|r| r.priority);
    rules.into_iter().find(|r| {
        let p = r.condition.prefix.as_str();
        !r.hosts.is_empty()
            && r.hosts.iter().all(|h| h.private_host.is_some())
            && r.file_info == Default::default()
            && (p.starts_with(prefix) || prefix.starts_with(p))
    })
}

/// Fill one key unless it is local already.
async fn one_key(
    engine: &Arc<OriginEngine>,
    bucket: &str,
    config: &OriginConfiguration,
    key: &str,
    started_ns: u64,
) -> Done {
    let store = engine.store();
    if let Some(done) = local_state(engine, bucket, key, started_ns) {
        return done;
    }
    let Some(rule) = config.rule_for(key) else {
        return Done::Failed("no origin rule matches the key".into());
    };
    // Client misses go first.
    while engine.fetch_permits_free() * 4 < engine.fetch_permits_total() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rx = match engine.flights().lead_or_join(bucket, key) {
        Flight::Join(rx) => rx,
        Flight::Lead(guard) => {
            if store.head_object(bucket, key).is_ok() {
                guard.publish(FlightState::Done { written: 0 });
                return local_state(engine, bucket, key, started_ns).unwrap_or(Done::Local);
            }
            let rx = guard.subscribe();
            engine.spawn_background_fill(guard, bucket, key, rule);
            rx
        }
    };
    match flight::final_state(rx).await {
        FlightState::Failed(Failure::NotFound) => Done::Failed("not found at the origin".into()),
        FlightState::Failed(f) => Done::Failed(f.to_string()),
        _ => local_state(engine, bucket, key, started_ns)
            .unwrap_or_else(|| Done::Failed("the fill committed nothing".into())),
    }
}

/// `Some` when the key needs no fill: filled since the job started, or local otherwise
/// (a local write, an older fill, a tombstone or a delete marker).
fn local_state(engine: &OriginEngine, bucket: &str, key: &str, started_ns: u64) -> Option<Done> {
    let store = engine.store();
    match store.head_object(bucket, key) {
        Ok(meta) => Some(match &meta.attrs.origin {
            Some(stamp) if stamp.validated_ns >= started_ns => Done::Filled(meta.size),
            _ => Done::Local,
        }),
        Err(storage::Error::DeleteMarker { .. }) => Some(Done::Local),
        Err(storage::Error::NoSuchKey) => match store.tombstone(bucket, key) {
            Ok(Some(_)) => Some(Done::Local),
            Ok(None) => None,
            Err(e) => Some(Done::Failed(e.to_string())),
        },
        Err(e) => Some(Done::Failed(e.to_string())),
    }
}

enum Keys {
    List(Box<ListKeys>),
    Manifest(ManifestKeys),
}

impl Keys {
    /// Up to `n` keys, and how many manifest lines were consumed for them.
    async fn next_batch(
        &mut self,
        engine: &OriginEngine,
        bucket: &str,
        config: &OriginConfiguration,
        n: usize,
    ) -> Result<(Vec<String>, u64), S3Error> {
        match self {
            Keys::List(list) => Ok((list.next_batch(engine, bucket, config, n).await?, 0)),
            Keys::Manifest(manifest) => manifest.next_batch(n).await,
        }
    }
}

struct ListKeys {
    rule: OriginRule,
    prefix: String,
    start_after: Option<String>,
    token: Option<String>,
    buffer: VecDeque<String>,
    done: bool,
}

impl ListKeys {
    async fn next_batch(
        &mut self,
        engine: &OriginEngine,
        bucket: &str,
        config: &OriginConfiguration,
        n: usize,
    ) -> Result<Vec<String>, S3Error> {
        while self.buffer.len() < n && !self.done {
            let _admission = engine.throttle(bucket, &self.rule).admit(true).await;
            let query = OriginListQuery {
                prefix: &self.prefix,
                delimiter: None,
                start_after: self.start_after.as_deref(),
                token: self.token.as_deref(),
                max_keys: 1000,
            };
            let page = list_page(engine.client(), &self.rule, &query)
                .await
                .map_err(|why| {
                    S3Error::internal("the origin could not be listed").with_source(why)
                })?;
            for entry in page.entries {
                if let OriginEntry::Object { key, .. } = entry {
                    if config.rule_for(&key).map(|r| r.priority) == Some(self.rule.priority) {
                        self.buffer.push_back(key);
                    }
                }
            }
            match page.next_token {
                Some(token) => self.token = Some(token),
                None => self.done = true,
            }
        }
        let take = n.min(self.buffer.len());
        Ok(self.buffer.drain(..take).collect())
    }
}

/// The keys of a manifest object, one per line, read as a stream.
struct ManifestKeys {
    reader: storage::ObjectReader,
    pending: Vec<u8>,
    /// Lines still to skip (done before a restart).
    skip: u64,
    eof: bool,
}

impl ManifestKeys {
    fn open(
        engine: &OriginEngine,
        bucket: &str,
        key: &str,
        lines_done: u64,
    ) -> Result<ManifestKeys, S3Error> {
        let (_, reader) = engine.store().get_object(bucket, key, None)?;
        Ok(ManifestKeys {
            reader,
            pending: Vec::new(),
            skip: lines_done,
            eof: false,
        })
    }

    async fn next_batch(&mut self, n: usize) -> Result<(Vec<String>, u64), S3Error> {
        let mut keys = Vec::new();
        let mut consumed = 0;
        while keys.len() < n {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                if self.skip > 0 {
                    self.skip -= 1;
                    continue;
                }
                consumed += 1;
                let text = String::from_utf8_lossy(&line[..line.len() - 1]);
                let key = text.trim_end_matches('\r');
                if !key.is_empty() {
                    keys.push(key.to_owned());
                }
                continue;
            }
            if self.eof {
                if !self.pending.is_empty() {
                    // A last line without its newline.
                    self.pending.push(b'\n');
                    continue;
                }
                break;
            }
            match self.reader.next().await {
                Some(chunk) => self
                    .pending
                    .extend_from_slice(&chunk.map_err(S3Error::internal)?),
                None => self.eof = true,
            }
        }
        Ok((keys, consumed))
    }
}
