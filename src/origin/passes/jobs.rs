//! [`Passes`]: the last delta pass and the last verification of each bucket — each a bucket
//! setting (cached) — and the cancel flag of each pass running in this process. Starts,
//! cancels, resumes after a restart and reports passes; the [`super::runner`] does the work.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::document::{DeltaJob, PassJob, PassKind, PassRequest, VerifyJob};
use super::runner::{self, Checkpoints};
use crate::bucket_setting::{BucketSettings, CachedSetting};
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::backfill::BackfillState;
use crate::origin::engine::OriginEngine;

pub struct Passes {
    engine: Arc<OriginEngine>,
    deltas: CachedSetting<DeltaJob>,
    verifications: CachedSetting<VerifyJob>,
    running: Mutex<HashMap<String, (PassKind, Arc<AtomicBool>)>>,
}

impl Checkpoints for Passes {
    fn save<'a>(
        &'a self,
        bucket: &'a str,
        job: &'a PassJob,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), S3Error>> + Send + 'a>> {
        Box::pin(async move {
            match job.kind {
                PassKind::Delta => self.deltas.set(bucket, Some(&DeltaJob(job.clone()))).await,
                PassKind::Verify => {
                    self.verifications
                        .set(bucket, Some(&VerifyJob(job.clone())))
                        .await
                }
            }
        })
    }
}

impl Passes {
    pub fn new(engine: Arc<OriginEngine>, settings: Arc<BucketSettings>) -> Arc<Passes> {
        Arc::new(Passes {
            engine,
            deltas: CachedSetting::new(settings.clone()),
            verifications: CachedSetting::new(settings),
            running: Mutex::new(HashMap::new()),
        })
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, (PassKind, Arc<AtomicBool>)>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a pass of `bucket` runs in this process.
    pub fn is_running(&self, bucket: &str) -> bool {
        self.running().contains_key(bucket)
    }

    /// Start a pass of `bucket`. Refused (nothing started) without an origin
    /// configuration, without a rule that can be listed, or while another job of the
    /// bucket runs (`busy`: a backfill).
    pub async fn start(
        self: &Arc<Self>,
        bucket: &str,
        request: PassRequest,
        busy: bool,
    ) -> Result<PassJob, S3Error> {
        let config = self.engine.required_config(bucket)?;
        if crate::origin::backfill::listable_rule(&config, &request.prefix).is_none() {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                format!(
                    "A {} pass lists the origin: it needs a rule whose hosts are S3-compatible (PrivateHost) and that does not rewrite keys",
                    request.kind.element()
                ),
            ));
        }
        let stored_running = [PassKind::Delta, PassKind::Verify]
            .into_iter()
            .map(|kind| self.get(bucket, kind))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .any(|job| job.state == BackfillState::Running);
        if busy || self.is_running(bucket) || stored_running {
            return Err(S3Error::new(
                S3ErrorCode::OperationAborted,
                "A migration job of this bucket is running; cancel it or wait for it to end",
            ));
        }
        let job = PassJob::start(request);
        self.save(bucket, &job).await?;
        self.spawn(bucket, job.kind);
        Ok(job)
    }

    /// The bucket's last pass of `kind` (running or ended), if it ever had one.
    pub fn get(&self, bucket: &str, kind: PassKind) -> Result<Option<PassJob>, S3Error> {
        Ok(match kind {
            PassKind::Delta => self.deltas.get(bucket)?.map(|j| j.0.clone()),
            PassKind::Verify => self.verifications.get(bucket)?.map(|j| j.0.clone()),
        })
    }

    /// Cancel the bucket's running pass of `kind` (the runner records `Cancelled` after
    /// its current batch); one left running by a stopped server is marked so at once.
    pub async fn cancel(&self, bucket: &str, kind: PassKind) -> Result<(), S3Error> {
        if let Some((running, flag)) = self.running().get(bucket) {
            if *running == kind {
                flag.store(true, Ordering::SeqCst);
                return Ok(());
            }
        }
        if let Some(mut job) = self.get(bucket, kind)? {
            if job.state == BackfillState::Running {
                job.state = BackfillState::Cancelled;
                self.save(bucket, &job).await?;
            }
        }
        Ok(())
    }

    /// Resume every pass that was running when the server stopped.
    pub async fn resume_all(self: &Arc<Self>) -> Result<usize, S3Error> {
        let mut resumed = 0;
        for bucket in self.engine.store().list_buckets()? {
            for kind in [PassKind::Delta, PassKind::Verify] {
                if let Some(job) = self.get(&bucket.name, kind)? {
                    if job.state == BackfillState::Running && !self.is_running(&bucket.name) {
                        self.spawn(&bucket.name, kind);
                        resumed += 1;
                    }
                }
            }
        }
        Ok(resumed)
    }

    /// The bucket went away: drop its cached passes.
    pub fn forget(&self, bucket: &str) {
        self.deltas.forget(bucket);
        self.verifications.forget(bucket);
    }

    /// Run the bucket's pass of `kind` in its own task, and record how it ended.
    fn spawn(self: &Arc<Self>, bucket: &str, kind: PassKind) {
        let cancel = Arc::new(AtomicBool::new(false));
        self.running()
            .insert(bucket.to_owned(), (kind, cancel.clone()));
        let (passes, bucket) = (self.clone(), bucket.to_owned());
        tokio::spawn(async move {
            if let Ok(Some(job)) = passes.get(&bucket, kind) {
                let job = runner::run(&passes.engine, passes.as_ref(), &bucket, job, &cancel).await;
                if let Err(e) = passes.save(&bucket, &job).await {
                    tracing::warn!(%bucket, error = %e, "migration pass state not saved");
                }
            }
            passes.running().remove(&bucket);
        });
    }
}
