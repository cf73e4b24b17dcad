//! What a pass makes of one key of its walk: its [`Class`], and for a mismatch what
//! differs. Looks only (a verification reads and hashes the local copy); acting on the
//! class is [`super::act`]'s.

use storage::{ObjectMeta, Store};

use super::document::{Class, PassKind};
use super::verify::{verify, Verdict};
use super::walk::{Listed, Pair};
use crate::error::S3Error;
use crate::origin::document::{OnOriginDelete, OriginRule};
use crate::origin::engine::OriginEngine;

/// The class of a key, what differs (a mismatch or a missing copy), and the bytes hashed.
pub struct Found {
    pub class: Class,
    pub detail: Option<String>,
    pub hashed: u64,
}

impl Found {
    fn plain(class: Class) -> Option<Found> {
        Some(Found {
            class,
            detail: None,
            hashed: 0,
        })
    }
}

/// Whether the key was deleted here (a tombstone, or a delete marker as current version).
pub fn deleted_here(store: &Store, bucket: &str, key: &str) -> Result<bool, S3Error> {
    match store.head_object(bucket, key) {
        Err(storage::Error::DeleteMarker { .. }) => return Ok(true),
        Err(storage::Error::NoSuchKey) | Ok(_) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(store.tombstone(bucket, key)?.is_some())
}

/// Whether `local` is the copy of what the origin lists now: filled from an object of the
/// same ETag and size.
pub fn same_as_listed(local: &ObjectMeta, listed: &Listed) -> bool {
    let Some(stamp) = &local.attrs.origin else {
        return false;
    };
    let filled_from = stamp
        .etag
        .as_deref()
        .map(|e| e.trim().trim_start_matches("W/").trim_matches('"'));
    filled_from == Some(listed.etag.trim_matches('"')) && local.size == listed.size
}

/// The class of `pair` for a pass of `kind` by `rule`; `None`: not the pass's business (a
/// key only here, for a verification).
pub async fn classify(
    kind: PassKind,
    engine: &OriginEngine,
    rule: &OriginRule,
    bucket: &str,
    pair: &Pair,
) -> Result<Option<Found>, S3Error> {
    let store = engine.store();
    match (&pair.origin, &pair.local) {
        (Some(_), None) => {
            if deleted_here(store, bucket, &pair.key)? {
                return Ok(Found::plain(Class::DeletedHere));
            }
            Ok(Some(Found {
                class: Class::New,
                detail: (kind == PassKind::Verify).then(|| "missing here".to_owned()),
                hashed: 0,
            }))
        }
        (Some(_), Some(local)) if local.attrs.origin.is_none() => {
            Ok(Found::plain(Class::LocalWrite))
        }
        (Some(listed), Some(local)) => match kind {
            PassKind::Delta if same_as_listed(local, listed) => Ok(Found::plain(Class::Unchanged)),
            PassKind::Delta => Ok(Found::plain(Class::Changed)),
            PassKind::Verify => {
                let (verdict, hashed) = verify(engine, rule, bucket, local, listed).await?;
                Ok(Some(match verdict {
                    Verdict::Matches => Found {
                        class: Class::Unchanged,
                        detail: None,
                        hashed,
                    },
                    Verdict::Differs(what) => Found {
                        class: Class::Mismatch,
                        detail: Some(what),
                        hashed,
                    },
                    Verdict::Unverifiable => Found {
                        class: Class::Unverifiable,
                        detail: None,
                        hashed,
                    },
                }))
            }
        },
        (None, Some(_)) if kind == PassKind::Verify => Ok(None),
        (None, Some(local)) if local.attrs.origin.is_none() => Ok(Found::plain(Class::LocalWrite)),
        (None, Some(_)) => {
            let delete = rule
                .parameter
                .freshness
                .as_ref()
                .is_some_and(|f| f.on_origin_delete == OnOriginDelete::Delete);
            Ok(Found::plain(if delete {
                Class::GoneDeleted
            } else {
                Class::GoneKept
            }))
        }
        (None, None) => Ok(None),
    }
}
