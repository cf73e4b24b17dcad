//! The runner of a pass: its walk a batch at a time — classify every key of the batch
//! (concurrently: a verification reads and hashes), keep the plan in the checkpoint, act
//! on it, count, checkpoint again. After a restart (kill -9 included) a planned batch is
//! acted on again and counted from its plan, so the totals stay exact.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::StreamExt as _;

use super::act::{act, Acted};
use super::classify::classify;
use super::document::{Class, PassJob, Planned, MAX_LISTED};
use super::walk::Walk;
use crate::error::S3Error;
use crate::origin::backfill::{listable_rule, now_ns, BackfillState};
use crate::origin::document::OriginRule;
use crate::origin::engine::OriginEngine;

/// Keys per batch, per unit of concurrency.
const BATCH_PER_WORKER: usize = 16;

/// Where the runner keeps its checkpoints.
pub trait Checkpoints: Send + Sync {
    fn save<'a>(
        &'a self,
        bucket: &'a str,
        job: &'a PassJob,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), S3Error>> + Send + 'a>>;
}

/// Run `job` of `bucket` until it ends or `cancel` is set; returns the job as it ended.
pub async fn run(
    engine: &Arc<OriginEngine>,
    checkpoints: &dyn Checkpoints,
    bucket: &str,
    mut job: PassJob,
    cancel: &AtomicBool,
) -> PassJob {
    if let Err(e) = drive(engine, checkpoints, bucket, &mut job, cancel).await {
        job.state = BackfillState::Failed;
        job.error = Some(e.source.clone().unwrap_or(e.message));
    }
    job.updated_ns = now_ns();
    job
}

async fn drive(
    engine: &Arc<OriginEngine>,
    checkpoints: &dyn Checkpoints,
    bucket: &str,
    job: &mut PassJob,
    cancel: &AtomicBool,
) -> Result<(), S3Error> {
    let config = engine
        .stored_config(bucket)?
        .ok_or_else(|| S3Error::internal("the bucket's origin configuration went away"))?;
    let rule = listable_rule(&config, &job.request_prefix)
        .ok_or_else(|| S3Error::internal("no rule of the bucket can be listed"))?
        .clone();
    // A batch planned before a restart is acted on first.
    if !job.pending.is_empty() {
        act_on_plan(engine, &rule, bucket, job).await;
        checkpoints.save(bucket, job).await?;
    }
    let mut walk = Walk::new(&rule, &job.request_prefix, job.last_key.clone());
    let batch_size = job.concurrency * BATCH_PER_WORKER;
    loop {
        if cancel.load(Ordering::SeqCst) {
            job.state = BackfillState::Cancelled;
            return Ok(());
        }
        let batch = walk.next_batch(engine, bucket, &config, batch_size).await?;
        let Some(last) = batch.last().map(|p| p.key.clone()) else {
            job.state = if job.failed > 0 {
                BackfillState::CompletedWithFailures
            } else {
                BackfillState::Completed
            };
            return Ok(());
        };
        let (kind, rule) = (job.kind, &rule);
        let found: Vec<_> = futures::stream::iter(batch)
            .map(|pair| async move {
                let found = classify(kind, engine, rule, bucket, &pair).await;
                (pair, found)
            })
            .buffered(job.concurrency)
            .collect()
            .await;
        let mut plan = Vec::with_capacity(found.len());
        for (pair, found) in found {
            match found {
                Ok(Some(found)) => {
                    job.hashed_bytes += found.hashed;
                    plan.push(Planned {
                        key: pair.key,
                        class: found.class,
                        detail: found.detail,
                        origin_etag: pair.origin.map(|o| o.etag),
                        last: false,
                    });
                }
                Ok(None) => {}
                Err(e) => job.fail(&pair.key, e.source.clone().unwrap_or(e.message)),
            }
        }
        // The batch's last key closes it even when the pass has nothing to say of it.
        plan.push(Planned {
            key: last,
            class: Class::Unchanged,
            detail: None,
            origin_etag: None,
            last: true,
        });
        job.pending = plan;
        job.updated_ns = now_ns();
        checkpoints.save(bucket, job).await?;
        act_on_plan(engine, rule, bucket, job).await;
        checkpoints.save(bucket, job).await?;
    }
}

/// Act on the job's pending plan, count it, and move the checkpoint past it.
async fn act_on_plan(
    engine: &Arc<OriginEngine>,
    rule: &OriginRule,
    bucket: &str,
    job: &mut PassJob,
) {
    let plan = std::mem::take(&mut job.pending);
    let (kind, repair, started) = (job.kind, job.repair, job.started_ns);
    let acted: Vec<(Planned, Acted)> = futures::stream::iter(plan)
        .map(|planned| async move {
            let acted = if planned.last {
                Acted::Nothing
            } else {
                act(engine, kind, repair, rule, bucket, started, &planned).await
            };
            (planned, acted)
        })
        .buffered(job.concurrency)
        .collect()
        .await;
    for (planned, acted) in acted {
        if planned.last {
            job.last_key = Some(planned.key);
            continue;
        }
        *job.classes.entry(planned.class).or_default() += 1;
        if let Some(detail) = &planned.detail {
            if job.mismatches.len() < MAX_LISTED {
                job.mismatches.push((planned.key.clone(), detail.clone()));
            }
        }
        match acted {
            Acted::Pulled(bytes) => {
                job.pulled += 1;
                job.bytes += bytes;
            }
            Acted::Failed(reason) => job.fail(&planned.key, reason),
            Acted::Nothing | Acted::Dropped => {}
        }
        if let Some(at) = job.last_key.as_deref() {
            debug_assert!(planned.key.as_str() > at, "a pass's keys go in order");
        }
    }
    job.updated_ns = now_ns();
}
