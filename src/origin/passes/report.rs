//! The migration report: every key of the walk (the origin's listing merged with the
//! bucket's), with its state, its bytes, whether the last verification proved its copy,
//! and the last failure recorded for it — as a stream of [`Row`]s, a page at a time, so a
//! report of millions of keys is never held whole. Rendering (CSV, JSON Lines) is the
//! handler's.

use std::collections::HashMap;
use std::sync::Arc;

use futures::Stream;

use super::classify::classify;
use super::document::{Class, PassJob, PassKind};
use super::walk::Walk;
use crate::error::S3Error;
use crate::origin::backfill::BackfillState;
use crate::origin::document::{OriginConfiguration, OriginRule};
use crate::origin::engine::OriginEngine;

/// One key of the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub key: String,
    /// `copied` (the copy matches the origin's listing), `missing` (at the origin, not
    /// here), `stale` (copied from an object the origin has since changed),
    /// `origin-deleted` (a copy of an object the origin no longer has), `local-write`,
    /// `deleted-here`.
    pub state: &'static str,
    pub bytes: u64,
    /// `yes` (the last verification hashed it and it matched, and it has not changed
    /// since), `mismatch`, or `no`.
    pub verified: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the last verification says of keys, and the failures jobs recorded.
pub struct Known {
    verify: Option<PassJob>,
    mismatched: HashMap<String, String>,
    failed: HashMap<String, String>,
}

impl Known {
    /// From the bucket's last jobs (any may be absent).
    pub fn new(
        verify: Option<PassJob>,
        failures: impl IntoIterator<Item = (String, String)>,
    ) -> Known {
        let mismatched = verify
            .as_ref()
            .map(|v| v.mismatches.iter().cloned().collect())
            .unwrap_or_default();
        Known {
            verify,
            mismatched,
            failed: failures.into_iter().collect(),
        }
    }

    fn verified(&self, key: &str, local_modified_ns: Option<u64>) -> &'static str {
        let Some(verify) = &self.verify else {
            return "no";
        };
        if self.mismatched.contains_key(key) {
            return "mismatch";
        }
        let reached = match verify.state {
            BackfillState::Completed | BackfillState::CompletedWithFailures => true,
            _ => verify.last_key.as_deref().is_some_and(|at| key <= at),
        };
        let unchanged_since = local_modified_ns.is_some_and(|m| m < verify.started_ns);
        if reached && unchanged_since && !self.failed.contains_key(key) {
            "yes"
        } else {
            "no"
        }
    }
}

fn state_of(class: Class) -> &'static str {
    match class {
        Class::New => "missing",
        Class::Changed | Class::Mismatch => "stale",
        Class::Unchanged | Class::Unverifiable => "copied",
        Class::GoneDeleted | Class::GoneKept => "origin-deleted",
        Class::LocalWrite => "local-write",
        Class::DeletedHere => "deleted-here",
    }
}

struct Cursor {
    engine: Arc<OriginEngine>,
    bucket: String,
    config: Arc<OriginConfiguration>,
    rule: OriginRule,
    walk: Walk,
    known: Known,
    done: bool,
}

/// The report of `bucket`'s keys under `prefix` by `rule`, a page at a time.
pub fn rows(
    engine: Arc<OriginEngine>,
    bucket: &str,
    config: Arc<OriginConfiguration>,
    rule: &OriginRule,
    prefix: &str,
    known: Known,
) -> impl Stream<Item = Result<Vec<Row>, S3Error>> + Send + 'static {
    let cursor = Cursor {
        engine,
        bucket: bucket.to_owned(),
        config,
        rule: rule.clone(),
        walk: Walk::new(rule, prefix, None),
        known,
        done: false,
    };
    futures::stream::unfold(cursor, |mut cursor| async move {
        if cursor.done {
            return None;
        }
        match page(&mut cursor).await {
            Ok(rows) if rows.is_empty() => None,
            Ok(rows) => Some((Ok(rows), cursor)),
            Err(e) => {
                cursor.done = true;
                Some((Err(e), cursor))
            }
        }
    })
}

async fn page(cursor: &mut Cursor) -> Result<Vec<Row>, S3Error> {
    let engine = cursor.engine.clone();
    let batch = cursor
        .walk
        .next_batch(&engine, &cursor.bucket, &cursor.config, 1000)
        .await?;
    let mut rows = Vec::with_capacity(batch.len());
    for pair in batch {
        let found = classify(
            PassKind::Delta,
            &engine,
            &cursor.rule,
            &cursor.bucket,
            &pair,
        )
        .await?;
        let Some(found) = found else { continue };
        let bytes = pair
            .local
            .as_ref()
            .map(|l| l.size)
            .or(pair.origin.as_ref().map(|o| o.size))
            .unwrap_or(0);
        let modified = pair
            .local
            .as_ref()
            .map(|l| crate::origin::nanos(l.last_modified));
        // Only a copy of what the origin lists can have been proven.
        let verified = match found.class {
            Class::Unchanged => cursor.known.verified(&pair.key, modified),
            _ if cursor.known.mismatched.contains_key(&pair.key) => "mismatch",
            _ => "no",
        };
        rows.push(Row {
            verified,
            reason: cursor
                .known
                .mismatched
                .get(&pair.key)
                .or(cursor.known.failed.get(&pair.key))
                .cloned(),
            key: pair.key,
            state: state_of(found.class),
            bytes,
        });
    }
    Ok(rows)
}
