//! The cut-over verdict: one answer to "may the old store be switched off?", joined from
//! the bucket's last jobs. `Ready` only when the last delta pass completed and found nothing
//! to do, a verification since then completed and found no mismatch and no missing copy,
//! no job failed a key, and none is running; else `NotReady`, with a reason for each
//! condition that does not hold.

use serde::Serialize;

use super::document::{Class, PassJob};
use crate::origin::backfill::{time_of, BackfillJob, BackfillState};
use crate::xml;

/// The `<Cutover>` of `?origin-status`.
#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Cutover {
    pub verdict: &'static str,
    #[serde(rename = "Reason")]
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_backfill: Option<JobSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_delta: Option<JobSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_verify: Option<JobSummary>,
    /// Keys the last delta pass found at the origin and not here.
    pub missing_here: u64,
    /// Copies the last delta pass found filled from an object the origin has since changed.
    pub stale_copies: u64,
    /// Mismatches the last verification found.
    pub mismatches: u64,
    /// Keys the last jobs failed.
    pub failed_keys: u64,
}

/// One job, in a line.
#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct JobSummary {
    pub state: &'static str,
    pub started_at: String,
    pub updated_at: String,
    /// Seconds since it last moved (its end, once it ended).
    pub age_seconds: u64,
}

fn summary(state: BackfillState, started_ns: u64, updated_ns: u64, now_ns: u64) -> JobSummary {
    JobSummary {
        state: state.as_str(),
        started_at: xml::timestamp(time_of(started_ns)),
        updated_at: xml::timestamp(time_of(updated_ns)),
        age_seconds: now_ns.saturating_sub(updated_ns) / 1_000_000_000,
    }
}

/// The verdict on the bucket's last `backfill`, `delta` pass and `verify`cation, at
/// `now_ns`.
pub fn cutover(
    backfill: Option<&BackfillJob>,
    delta: Option<&PassJob>,
    verify: Option<&PassJob>,
    now_ns: u64,
) -> Cutover {
    let mut reasons = Vec::new();
    let running = backfill.is_some_and(|b| b.state == BackfillState::Running)
        || delta.is_some_and(|d| d.state == BackfillState::Running)
        || verify.is_some_and(|v| v.state == BackfillState::Running);
    if running {
        reasons.push("a migration job is running".to_owned());
    }
    match delta {
        None => reasons.push("no delta pass has run".to_owned()),
        Some(d) if d.state != BackfillState::Completed && d.state != BackfillState::Running => {
            reasons.push(format!("the last delta pass ended {}", d.state.as_str()))
        }
        Some(d) if d.state == BackfillState::Completed && d.work_found() > 0 => reasons.push(
            format!(
                "the last delta pass found {} keys to bring over (new {}, changed {}, gone {}): run another",
                d.work_found(),
                d.count(Class::New),
                d.count(Class::Changed),
                d.count(Class::GoneDeleted)
            ),
        ),
        Some(_) => {}
    }
    match verify {
        None => reasons.push("no verification has run".to_owned()),
        Some(v) if v.state != BackfillState::Completed && v.state != BackfillState::Running => {
            reasons.push(format!("the last verification ended {}", v.state.as_str()))
        }
        Some(v) if v.state == BackfillState::Completed && v.work_found() > 0 => {
            reasons.push(format!(
                "the last verification found {} mismatching and {} missing copies",
                v.count(Class::Mismatch),
                v.count(Class::New)
            ))
        }
        Some(v) => {
            if delta.is_some_and(|d| v.started_ns < d.started_ns) {
                reasons.push("the last verification is older than the last delta pass".to_owned());
            }
        }
    }
    let failed_keys = delta.map_or(0, |d| d.failed) + verify.map_or(0, |v| v.failed);
    if failed_keys > 0 {
        reasons.push(format!("{failed_keys} keys failed in the last passes"));
    }
    Cutover {
        verdict: if reasons.is_empty() {
            "Ready"
        } else {
            "NotReady"
        },
        reasons,
        last_backfill: backfill.map(|b| summary(b.state, b.started_ns, b.updated_ns, now_ns)),
        last_delta: delta.map(|d| summary(d.state, d.started_ns, d.updated_ns, now_ns)),
        last_verify: verify.map(|v| summary(v.state, v.started_ns, v.updated_ns, now_ns)),
        missing_here: delta.map_or(0, |d| d.count(Class::New)),
        stale_copies: delta.map_or(0, |d| d.count(Class::Changed)),
        mismatches: verify.map_or(0, |v| v.count(Class::Mismatch) + v.count(Class::New)),
        failed_keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::passes::{PassKind, PassRequest};

    fn pass(kind: PassKind, state: BackfillState, started_ns: u64) -> PassJob {
        let mut job = PassJob::start(PassRequest::parse(kind, b"").expect("defaults"));
        job.state = state;
        job.started_ns = started_ns;
        job.updated_ns = started_ns + 1;
        job
    }

    #[test]
    fn ready_only_after_a_clean_delta_and_a_clean_verification_since() {
        let delta = pass(PassKind::Delta, BackfillState::Completed, 10);
        let verify = pass(PassKind::Verify, BackfillState::Completed, 20);
        let ready = cutover(None, Some(&delta), Some(&verify), 30);
        assert_eq!(
            (ready.verdict, ready.reasons.len()),
            ("Ready", 0),
            "{ready:?}"
        );

        assert_eq!(cutover(None, None, None, 30).reasons.len(), 2);
        let older = pass(PassKind::Verify, BackfillState::Completed, 5);
        let not = cutover(None, Some(&delta), Some(&older), 30);
        assert_eq!(not.verdict, "NotReady");
        assert!(not.reasons[0].contains("older"), "{not:?}");

        let mut dirty = delta.clone();
        *dirty.classes.entry(Class::New).or_default() += 3;
        let not = cutover(None, Some(&dirty), Some(&verify), 30);
        assert_eq!(not.missing_here, 3);
        assert!(not.reasons[0].contains("run another"), "{not:?}");

        let mut mismatching = verify.clone();
        *mismatching.classes.entry(Class::Mismatch).or_default() += 1;
        assert_eq!(
            cutover(None, Some(&delta), Some(&mismatching), 30).mismatches,
            1
        );

        let running = pass(PassKind::Verify, BackfillState::Running, 25);
        assert_eq!(
            cutover(None, Some(&delta), Some(&running), 30).verdict,
            "NotReady"
        );

        let mut failing = delta.clone();
        failing.fail("k", "origin down".into());
        assert_eq!(
            cutover(None, Some(&failing), Some(&verify), 30).failed_keys,
            1
        );
    }
}
