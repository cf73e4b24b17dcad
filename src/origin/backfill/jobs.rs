//! [`Backfills`]: the backfill jobs, one per bucket — each a bucket setting (cached) — and
//! the cancel flag of each job running in this process. Starts, cancels, resumes after a
//! restart and reports jobs; the [`super::runner`] does the work, through the origin engine.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::document::{BackfillJob, BackfillRequest, BackfillSource, BackfillState};
use super::runner;
use crate::bucket_setting::{BucketSettings, CachedSetting};
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::engine::OriginEngine;

pub struct Backfills {
    /// Fills go through the engine, as a client's miss does.
    engine: Arc<OriginEngine>,
    jobs: CachedSetting<BackfillJob>,
    running: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

impl Backfills {
    pub fn new(engine: Arc<OriginEngine>, settings: Arc<BucketSettings>) -> Arc<Backfills> {
        Arc::new(Backfills {
            engine,
            jobs: CachedSetting::new(settings),
            running: Mutex::new(HashMap::new()),
        })
    }

    /// Start a backfill of `bucket`: refused while one runs (409), without an origin
    /// configuration, or with a List source and no rule that can be listed.
    pub async fn start(
        self: &Arc<Self>,
        bucket: &str,
        request: BackfillRequest,
    ) -> Result<BackfillJob, S3Error> {
        let config = self.engine.required_config(bucket)?;
        if request.source == BackfillSource::List
            && runner::listable_rule(&config, &request.prefix).is_none()
        {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                "A List backfill needs a rule whose hosts are S3-compatible (PrivateHost) and that does not rewrite keys; use a Manifest",
            ));
        }
        if let BackfillSource::Manifest { key } = &request.source {
            check_manifest(self.engine.store(), bucket, key).await?;
        }
        let running = self.running().contains_key(bucket)
            || self
                .jobs
                .get(bucket)?
                .is_some_and(|j| j.state == BackfillState::Running);
        if running {
            return Err(S3Error::new(
                S3ErrorCode::OperationAborted,
                "A backfill of this bucket is running; cancel it or wait for it to end",
            ));
        }
        let job = BackfillJob::start(request);
        self.jobs.set(bucket, Some(&job)).await?;
        self.spawn(bucket);
        Ok(job)
    }

    /// Whether a backfill of `bucket` runs in this process.
    pub fn is_running(&self, bucket: &str) -> bool {
        self.running().contains_key(bucket)
    }

    /// The bucket's backfill job (running or ended), if it ever had one.
    pub fn get(&self, bucket: &str) -> Result<Option<Arc<BackfillJob>>, S3Error> {
        self.jobs.get(bucket)
    }

    /// Cancel the bucket's running backfill (the runner records `Cancelled` after its
    /// current batch); a job left running by a stopped server is marked so at once.
    pub async fn cancel(&self, bucket: &str) -> Result<(), S3Error> {
        if let Some(flag) = self.running().get(bucket) {
            flag.store(true, Ordering::SeqCst);
            return Ok(());
        }
        if let Some(job) = self.jobs.get(bucket)? {
            if job.state == BackfillState::Running {
                let mut job = (*job).clone();
                job.state = BackfillState::Cancelled;
                self.jobs.set(bucket, Some(&job)).await?;
            }
        }
        Ok(())
    }

    /// Resume every job that was running when the server stopped.
    pub async fn resume_all(self: &Arc<Self>) -> Result<usize, S3Error> {
        let mut resumed = 0;
        for bucket in self.engine.store().list_buckets()? {
            if let Some(job) = self.jobs.get(&bucket.name)? {
                if job.state == BackfillState::Running {
                    self.spawn(&bucket.name);
                    resumed += 1;
                }
            }
        }
        Ok(resumed)
    }

    /// The bucket went away: drop its cached job.
    pub fn forget(&self, bucket: &str) {
        self.jobs.forget(bucket);
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<AtomicBool>>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Run the bucket's backfill job in its own task, and record how it ended.
    fn spawn(self: &Arc<Self>, bucket: &str) {
        let cancel = Arc::new(AtomicBool::new(false));
        self.running().insert(bucket.to_owned(), cancel.clone());
        let (backfills, bucket) = (self.clone(), bucket.to_owned());
        tokio::spawn(async move {
            if let Ok(Some(job)) = backfills.jobs.get(&bucket) {
                let (engine, jobs) = (&backfills.engine, &backfills.jobs);
                let job = runner::run(engine, jobs, &bucket, (*job).clone(), &cancel).await;
                if let Err(e) = jobs.set(&bucket, Some(&job)).await {
                    tracing::warn!(%bucket, error = %e, "backfill state not saved");
                }
            }
            backfills.running().remove(&bucket);
        });
    }
}

/// A manifest must exist and read as text (one key per line): checked before a job starts,
/// so a mistake is the request's error, not a failed job's.
async fn check_manifest(store: &storage::Store, bucket: &str, key: &str) -> Result<(), S3Error> {
    use futures::StreamExt as _;
    let (_, mut reader) = match store.get_object(bucket, key, None) {
        Ok(found) => found,
        Err(storage::Error::NoSuchKey) => {
            return Err(S3Error::invalid_argument(format!(
                "Backfill/ManifestKey {key:?}: the bucket has no such object"
            )))
        }
        Err(e) => return Err(e.into()),
    };
    // The first piece decides: text is UTF-8 without NUL bytes (a piece may end inside a
    // character).
    if let Some(piece) = reader.next().await {
        let piece = piece.map_err(S3Error::internal)?;
        let head = &piece[..piece.len().min(64 * 1024)];
        let text = match std::str::from_utf8(head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
        };
        if !text || head.contains(&0) {
            return Err(S3Error::invalid_argument(format!(
                "Backfill/ManifestKey {key:?} is not text: a manifest has one key per line"
            )));
        }
    }
    Ok(())
}
