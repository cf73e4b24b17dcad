//! `GET /{bucket}?origin-status` (an originstore extension, bucket owner only): how the
//! migration of each origin rule is going, since the server started — hits, misses, fills and
//! the bytes they pulled, revalidations, refreshes, stale answers, the last fill and the last
//! failure, the breaker state of each origin host, the backfill job's, the last delta pass's
//! and the last verification's statuses, and the cut-over verdict joined from them. The same
//! counters are in `/metrics`
//! (`originstore_origin_rule_*`, labelled by bucket and rule).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use serde::Serialize;

use super::reply::xml_response;
use crate::error::S3Error;
use crate::metrics::origin_rules::Moment;
use crate::origin::passes::{cutover, Cutover, PassKind, PassStatus};
use crate::state::AppState;
use crate::xml;

#[derive(Serialize)]
#[serde(rename = "OriginStatus", rename_all = "PascalCase")]
struct OriginStatus {
    #[serde(rename = "Rule")]
    rules: Vec<RuleStatus>,
    /// The bucket's backfill job, if it ever had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    backfill: Option<crate::origin::backfill::BackfillStatus>,
    /// The last delta pass and verification, if any ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<PassStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<PassStatus>,
    /// May the old store be switched off?
    cutover: Cutover,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RuleStatus {
    rule_priority: u32,
    prefix: String,
    hits: u64,
    misses: u64,
    filled: u64,
    bytes_pulled: u64,
    revalidated: u64,
    refreshed: u64,
    stale: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_fill: Option<MomentXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_failure: Option<MomentXml>,
    #[serde(rename = "Host")]
    hosts: Vec<HostStatus>,
    /// The rule's throttle: its limits, what waited for it, the origin's back-off.
    #[serde(skip_serializing_if = "Option::is_none")]
    throttle: Option<ThrottleStatus>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ThrottleStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    requests_per_second: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    concurrency: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_per_second: Option<u64>,
    /// Requests (and body pieces) that waited, and how long in all.
    waits: u64,
    waited_milliseconds: u64,
    /// Until when the origin asked (429 / 503 with Retry-After) to be left alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    backed_off_until: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MomentXml {
    key: String,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct HostStatus {
    name: String,
    breaker: &'static str,
}

impl From<Moment> for MomentXml {
    fn from(m: Moment) -> MomentXml {
        MomentXml {
            key: m.key,
            time: xml::timestamp(m.at),
            reason: m.reason,
        }
    }
}

pub async fn handle_get_bucket_origin_status(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    let config = state.origin.required_config(bucket)?;
    let stats = &state.metrics.origin_rules;
    let rules = config
        .rules
        .iter()
        .map(|rule| {
            let report = stats.report(bucket, rule.priority);
            let mut hosts = Vec::new();
            for info in &rule.hosts {
                let names = info
                    .private_host
                    .as_ref()
                    .map(|p| p.host.clone())
                    .or_else(|| info.host_name.clone())
                    .into_iter()
                    .chain(info.standby.iter().map(|s| s.host_name.clone()));
                for name in names {
                    hosts.push(HostStatus {
                        breaker: state.origin.host_state(&name),
                        name,
                    });
                }
            }
            let limits = rule.parameter.throttle;
            let made = state.origin.throttle_state(bucket, rule.priority);
            let touched = made
                .as_ref()
                .is_some_and(|t| t.waits.get() > 0 || t.backed_off_until().is_some());
            let throttle = (limits != Default::default() || touched).then(|| ThrottleStatus {
                requests_per_second: limits.requests_per_second,
                concurrency: limits.concurrency,
                bytes_per_second: limits.bytes_per_second,
                waits: made.as_ref().map_or(0, |t| t.waits.get()),
                waited_milliseconds: made.as_ref().map_or(0, |t| t.waited_ms.get()),
                backed_off_until: made
                    .as_ref()
                    .and_then(|t| t.backed_off_until())
                    .map(xml::timestamp),
            });
            RuleStatus {
                throttle,
                rule_priority: rule.priority,
                prefix: rule.condition.prefix.clone(),
                hits: report.hits,
                misses: report.misses,
                filled: report.fills,
                bytes_pulled: report.bytes_pulled,
                revalidated: report.revalidated,
                refreshed: report.refreshed,
                stale: report.stale,
                last_fill: report.last_fill.map(Into::into),
                last_failure: report.last_failure.map(Into::into),
                hosts,
            }
        })
        .collect();
    let backfill = state.backfills.get(bucket)?;
    let delta = state.passes.get(bucket, PassKind::Delta)?;
    let verify = state.passes.get(bucket, PassKind::Verify)?;
    let cutover = cutover(
        backfill.as_deref(),
        delta.as_ref(),
        verify.as_ref(),
        crate::origin::backfill::now_ns(),
    );
    xml_response(
        StatusCode::OK,
        &OriginStatus {
            rules,
            backfill: backfill.map(|job| job.status()),
            delta: delta.map(|job| job.status()),
            verify: verify.map(|job| job.status()),
            cutover,
        },
    )
}
