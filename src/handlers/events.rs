//! The bucket events a successful request caused ([`crate::notify`]), worked out from the
//! operation and its answer and queued durably before the answer leaves: a write whose
//! event could not be queued is answered 500 (the client retries), never acknowledged.
//!
//! | operation | event |
//! |---|---|
//! | PutObject, CopyObject, CompleteMultipartUpload, PostObject | `s3:ObjectCreated:Put`, `:Copy`, `:CompleteMultipartUpload`, `:Post` |
//! | DeleteObject, DeleteObjects (each key deleted) | `s3:ObjectRemoved:Delete`, or `:DeleteMarkerCreated` when a marker was made |
//! | PutObjectTagging, DeleteObjectTagging, PutObjectAcl | `s3:ObjectTagging:Put`, `:Delete`, `s3:ObjectAcl:Put` |
//!
//! Lifecycle expirations and origin fills are emitted where they happen.

use axum::response::Response;

use super::context::RequestContext;
use super::headers::VERSION_ID_HEADER;
use crate::error::DELETE_MARKER_HEADER;
use crate::notify::Event;
use crate::router::{BucketOperation, ObjectOperation, Operation};
use crate::state::AppState;

/// The key a form upload wrote (known only once its form was read).
#[derive(Clone)]
pub struct PostedKey(pub String);

/// What DeleteObjects removed: each key, the version the answer is about, and whether a
/// delete marker was made.
#[derive(Clone, Default)]
pub struct Removed(pub Vec<(String, Option<String>, bool)>);

/// What a request may cause, decided before the operation is consumed.
pub enum Planned {
    Created {
        bucket: String,
        key: Option<String>,
        name: &'static str,
    },
    Removed {
        bucket: String,
        key: String,
    },
    RemovedMany {
        bucket: String,
    },
    Changed {
        bucket: String,
        key: String,
        name: &'static str,
    },
}

impl Planned {
    fn bucket(&self) -> &str {
        match self {
            Planned::Created { bucket, .. }
            | Planned::Removed { bucket, .. }
            | Planned::RemovedMany { bucket }
            | Planned::Changed { bucket, .. } => bucket,
        }
    }
}

/// What `op` may cause, when anything listens to its bucket's events.
pub fn plan(state: &AppState, op: &Operation) -> Option<Planned> {
    plan_of(op).filter(|p| state.notify.wants(p.bucket()))
}

fn plan_of(op: &Operation) -> Option<Planned> {
    match op {
        Operation::Object { bucket, key, op } => {
            let (bucket, key) = (bucket.clone(), key.clone());
            let created = |name| {
                Some(Planned::Created {
                    bucket: bucket.clone(),
                    key: Some(key.clone()),
                    name,
                })
            };
            let changed = |name| {
                Some(Planned::Changed {
                    bucket: bucket.clone(),
                    key: key.clone(),
                    name,
                })
            };
            match op {
                ObjectOperation::PutObject => created("s3:ObjectCreated:Put"),
                ObjectOperation::CopyObject { .. } => created("s3:ObjectCreated:Copy"),
                ObjectOperation::CompleteMultipartUpload { .. } => {
                    created("s3:ObjectCreated:CompleteMultipartUpload")
                }
                ObjectOperation::DeleteObject { .. } => Some(Planned::Removed { bucket, key }),
                ObjectOperation::PutObjectTagging { .. } => changed("s3:ObjectTagging:Put"),
                ObjectOperation::DeleteObjectTagging { .. } => changed("s3:ObjectTagging:Delete"),
                ObjectOperation::PutObjectAcl { .. } => changed("s3:ObjectAcl:Put"),
                _ => None,
            }
        }
        Operation::Bucket {
            bucket,
            op: BucketOperation::PostObject,
        } => Some(Planned::Created {
            bucket: bucket.clone(),
            key: None,
            name: "s3:ObjectCreated:Post",
        }),
        Operation::Bucket {
            bucket,
            op: BucketOperation::DeleteObjects,
        } => Some(Planned::RemovedMany {
            bucket: bucket.clone(),
        }),
        _ => None,
    }
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

fn event(ctx: &RequestContext, bucket: &str, key: &str, name: &'static str) -> Event {
    let mut e = Event::new(bucket, key, name);
    e.principal = ctx.user.clone();
    e.source_ip = ctx.source_ip;
    e.request_id = ctx.request_id.clone();
    e
}

/// Size, ETag and version of the version an answer is about (as the store holds it).
fn describe(state: &AppState, e: &mut Event, version: Option<&str>) {
    let meta = state
        .store
        .head_object_version(&e.bucket, &e.key, version)
        .or_else(|_| state.store.head_object(&e.bucket, &e.key));
    if let Ok(meta) = meta {
        e.size = Some(meta.size);
        e.etag = Some(meta.etag);
        e.version_id = meta.version_id;
    }
}

/// The events of a successful `response` to the planned operation (none for a failure).
/// Worked out apart from queueing them: an answer's body is not `Sync`, so no future may
/// hold a reference to it.
pub fn events_of(
    state: &AppState,
    planned: Planned,
    ctx: &RequestContext,
    response: &Response,
) -> Vec<Event> {
    // A form upload with success_action_redirect answers 303.
    if !response.status().is_success() && !response.status().is_redirection() {
        return Vec::new();
    }
    let version = header(response, VERSION_ID_HEADER).map(str::to_owned);
    match planned {
        Planned::Created { bucket, key, name } => {
            let key = key.or_else(|| {
                response
                    .extensions()
                    .get::<PostedKey>()
                    .map(|k| k.0.clone())
            });
            let Some(key) = key else { return Vec::new() };
            let mut e = event(ctx, &bucket, &key, name);
            describe(state, &mut e, version.as_deref());
            vec![e]
        }
        Planned::Changed { bucket, key, name } => {
            let mut e = event(ctx, &bucket, &key, name);
            describe(state, &mut e, version.as_deref());
            vec![e]
        }
        Planned::Removed { bucket, key } => {
            let marker = header(response, DELETE_MARKER_HEADER) == Some("true");
            let name = if marker {
                "s3:ObjectRemoved:DeleteMarkerCreated"
            } else {
                "s3:ObjectRemoved:Delete"
            };
            let mut e = event(ctx, &bucket, &key, name);
            e.version_id = version;
            vec![e]
        }
        Planned::RemovedMany { bucket } => response
            .extensions()
            .get::<Removed>()
            .map(|removed| {
                removed
                    .0
                    .iter()
                    .map(|(key, version, marker)| {
                        let name = if *marker {
                            "s3:ObjectRemoved:DeleteMarkerCreated"
                        } else {
                            "s3:ObjectRemoved:Delete"
                        };
                        let mut e = event(ctx, &bucket, key, name);
                        e.version_id = version.clone();
                        e
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}
