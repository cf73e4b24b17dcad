//! Revalidation of stale copies: a hit on a copy its rule's `Freshness` says is stale asks
//! the origin once per key (a conditional request, however many readers), then serves the
//! copy (unchanged, or stale by the rule), streams the changed object, or drops the copy the
//! origin no longer has.

use std::sync::Arc;
use std::time::Duration;

use http::Method;

use super::document::{Freshness, OnOriginDelete, OriginConfiguration, OriginRule};
use super::engine::{self, Miss, OriginEngine};
use super::failure::failure_error;
use super::fill::Refresh;
use super::flight::{self, Failure, Flight, FlightState};
use super::freshness;
use super::outcome::{status, Outcome};
use crate::error::S3Error;
use crate::metrics::origin_rules::Event;

impl OriginEngine {
    /// How long past fresh the local copy `meta` of `key` is by its rule's `Freshness`;
    /// `None` when fresh, not an origin copy, or the rule has no `Freshness`.
    pub fn stale_for(
        &self,
        config: &OriginConfiguration,
        key: &str,
        meta: &storage::ObjectMeta,
    ) -> Option<Duration> {
        let freshness = config.rule_for(key)?.parameter.freshness.as_ref()?;
        // Cluster mode: a copy vouched for before this process started may have missed a
        // write through another node while this one was down.
        if self.read_configs.is_some() {
            if let Some(stamp) = meta.attrs.origin.as_ref() {
                if stamp.validated_ns < self.started_ns {
                    return Some(Duration::ZERO);
                }
            }
        }
        freshness::stale_for(meta, freshness, std::time::SystemTime::now())
    }

    /// A hit on a copy `stale` past fresh: revalidate it with the origin (one conditional
    /// request per key, however many readers), then answer by the rule's `Freshness`.
    pub async fn on_stale(
        self: &Arc<Self>,
        miss: Miss<'_>,
        meta: &storage::ObjectMeta,
        stale: Duration,
    ) -> Result<Outcome, S3Error> {
        let Some(rule) = miss.config.rule_for(miss.key) else {
            return Ok(Outcome::Local(status::HIT));
        };
        let Some(freshness) = rule.parameter.freshness.clone() else {
            return Ok(Outcome::Local(status::HIT));
        };
        let Some(stamp) = meta.attrs.origin.as_ref() else {
            return Ok(Outcome::Local(status::HIT));
        };
        let rx = match self.flights.lead_or_join(miss.bucket, miss.key) {
            Flight::Join(rx) => rx,
            Flight::Lead(guard) => {
                let rx = guard.subscribe();
                let mut refresh_job = engine::job(&miss, rule);
                refresh_job.refresh = Some(Refresh {
                    local_etag: meta.etag.clone(),
                    origin_etag: stamp.etag.clone(),
                    origin_last_modified: stamp.last_modified.clone(),
                    url: stamp.url.clone(),
                    delete_on_404: freshness.on_origin_delete == OnOriginDelete::Delete,
                });
                self.spawn_fill(guard, refresh_job);
                rx
            }
        };
        if freshness.stale_while_revalidate {
            self.metrics
                .origin_rules
                .count(miss.bucket, rule.priority, Event::Stale);
            return Ok(Outcome::Local(status::STALE));
        }
        let state = flight::first_bytes(&mut rx.clone()).await;
        match state {
            FlightState::Streaming { .. } if miss.method != Method::HEAD => {
                self.answer_from_flight(rx, &miss, rule, status::REFRESHED)
                    .await
            }
            FlightState::Fetching | FlightState::Streaming { .. } => {
                match flight::final_state(rx).await {
                    FlightState::Failed(f) => {
                        self.stale_failure(f, &freshness, miss.bucket, rule, stale)
                    }
                    FlightState::Done { written: 0 } => Ok(Outcome::Local(status::REVALIDATED)),
                    _ => Ok(Outcome::Local(status::REFRESHED)),
                }
            }
            FlightState::Done { written: 0 } => Ok(Outcome::Local(status::REVALIDATED)),
            FlightState::Done { .. } => Ok(Outcome::Local(status::REFRESHED)),
            FlightState::Failed(f) => self.stale_failure(f, &freshness, miss.bucket, rule, stale),
        }
    }

    /// The revalidation of a stale copy failed: an origin 404 keeps or drops the copy
    /// (`OnOriginDelete`); any other failure serves the copy within `StaleIfErrorSeconds`,
    /// else answers the usual origin error.
    fn stale_failure(
        &self,
        failure: Failure,
        freshness: &Freshness,
        bucket: &str,
        rule: &OriginRule,
        stale: Duration,
    ) -> Result<Outcome, S3Error> {
        let serve_stale = match failure {
            Failure::NotFound => freshness.on_origin_delete == OnOriginDelete::Keep,
            _ => freshness::within_stale_if_error(freshness, stale),
        };
        if serve_stale {
            self.metrics
                .origin_rules
                .count(bucket, rule.priority, Event::Stale);
            return Ok(Outcome::Local(status::STALE));
        }
        Err(failure_error(&failure, rule, &self.settings))
    }
}
