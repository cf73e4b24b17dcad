//! Acting on what a pass found, one planned key at a time: a delta pass fills what is new,
//! pulls again what changed and drops copies of what went (`OnOriginDelete` Delete); a
//! verification with `Repair` pulls again what is missing or mismatches. Every pull goes
//! through the key's single flight (a client's miss and the pass share one fetch), after
//! the client misses waiting for the origin. Acting again on a planned key after a restart
//! does no harm and counts the same.

use std::sync::Arc;
use std::time::Duration;

use super::document::{Class, PassKind, Planned};
use crate::origin::document::OriginRule;
use crate::origin::engine::OriginEngine;
use crate::origin::flight::{self, Failure, Flight, FlightState};

/// What acting on one key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    Nothing,
    /// Filled or refreshed: the bytes pulled.
    Pulled(u64),
    Dropped,
    Failed(String),
}

/// Act on `planned` (a key of `bucket` under `rule`) for a pass of `kind` started at
/// `started_ns`.
pub async fn act(
    engine: &Arc<OriginEngine>,
    kind: PassKind,
    repair: bool,
    rule: &OriginRule,
    bucket: &str,
    started_ns: u64,
    planned: &Planned,
) -> Acted {
    let pulls = match (kind, planned.class) {
        (PassKind::Delta, Class::New | Class::Changed) => true,
        (PassKind::Verify, Class::New | Class::Mismatch) => repair,
        (PassKind::Delta, Class::GoneDeleted) => return drop_copy(engine, bucket, planned).await,
        _ => false,
    };
    if !pulls {
        return Acted::Nothing;
    }
    let store = engine.store();
    let local = match store.head_object(bucket, &planned.key) {
        Ok(meta) => Some(meta),
        Err(storage::Error::NoSuchKey | storage::Error::DeleteMarker { .. }) => None,
        Err(e) => return Acted::Failed(e.to_string()),
    };
    if let Some(local) = &local {
        // A local write meanwhile wins; a pull since the pass started (this pass's before
        // a restart, or a client's miss) is done.
        let Some(stamp) = &local.attrs.origin else {
            return Acted::Nothing;
        };
        let pulled_since = stamp.validated_ns >= started_ns;
        let as_listed = planned.origin_etag.as_deref().is_some_and(|etag| {
            stamp.etag.as_deref().map(|e| e.trim_matches('"')) == Some(etag.trim_matches('"'))
        });
        if pulled_since && (as_listed || planned.class == Class::Mismatch) {
            return Acted::Pulled(local.size);
        }
    } else if planned.class != Class::New {
        // Changed or mismatching, and gone here meanwhile: a local delete wins.
        return Acted::Nothing;
    }
    pull(engine, bucket, &planned.key, rule, local.as_ref()).await
}

async fn drop_copy(engine: &OriginEngine, bucket: &str, planned: &Planned) -> Acted {
    match engine.store().head_object(bucket, &planned.key) {
        Ok(local) if local.attrs.origin.is_some() => {
            match engine
                .drop_origin_copy(bucket, &planned.key, &local.etag)
                .await
            {
                Ok(true) => Acted::Dropped,
                Ok(false) => Acted::Nothing,
                Err(e) => Acted::Failed(e.to_string()),
            }
        }
        // Gone already, or replaced by a local write: nothing to drop.
        Ok(_) | Err(storage::Error::NoSuchKey | storage::Error::DeleteMarker { .. }) => {
            Acted::Nothing
        }
        Err(e) => Acted::Failed(e.to_string()),
    }
}

/// Fill `key` (or refresh `replacing`) through its single flight, after client misses.
async fn pull(
    engine: &Arc<OriginEngine>,
    bucket: &str,
    key: &str,
    rule: &OriginRule,
    replacing: Option<&storage::ObjectMeta>,
) -> Acted {
    while engine.fetch_permits_free() * 4 < engine.fetch_permits_total() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rx = match engine.flights().lead_or_join(bucket, key) {
        Flight::Join(rx) => rx,
        Flight::Lead(guard) => {
            let rx = guard.subscribe();
            match replacing {
                Some(local) => engine.spawn_refresh(guard, bucket, local, rule),
                None => engine.spawn_background_fill(guard, bucket, key, rule),
            }
            rx
        }
    };
    match flight::final_state(rx).await {
        FlightState::Failed(Failure::NotFound) => {
            Acted::Failed("not found at the origin".to_owned())
        }
        FlightState::Failed(f) => Acted::Failed(f.to_string()),
        FlightState::Done { written } => Acted::Pulled(written),
        FlightState::Fetching | FlightState::Streaming { .. } => {
            Acted::Failed("the fill ended without an outcome".to_owned())
        }
    }
}
