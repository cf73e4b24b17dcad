//! The admin API: users and access keys changed while the server runs, JSON over HTTP under
//! `/_admin/v1/` (no bucket is named `_admin`: `_` is not allowed in bucket names), signed
//! like any S3 request (SigV4) by a configuration user, the bootstrap admins. Every change
//! is durable before it is answered, effective on the next request, logged (target
//! `originstore::audit`: who, what, when) and counted (`originstore_admin_changes_total`).
//! Bucket quotas are the store's (`storage::Quota`): every write that would grow a bucket
//! past its quota is refused with `403 QuotaExceeded`.
//!
//! | request | does |
//! |---|---|
//! | `GET /_admin/v1/users` | every user: `{"users": [{name, enabled, created, access_keys, admin}]}` |
//! | `POST /_admin/v1/users` `{"name": N}` | creates N with one key: `{user, access_key, secret_key}` (the only time the secret is shown) |
//! | `DELETE /_admin/v1/users/N` | removes N and its keys |
//! | `POST /_admin/v1/users/N/disable`, `.../enable` | N's keys stop (start again) signing |
//! | `GET /_admin/v1/users/N/keys` | `{"keys": [{access_key, created}]}` |
//! | `POST /_admin/v1/users/N/keys` | a second key for N (at most two: rotation without downtime) |
//! | `DELETE /_admin/v1/keys/K` | removes key K |
//! | `GET /_admin/v1/users/N/policies` | N's identity policies: `{"policies": {name: document}}` |
//! | `PUT /_admin/v1/users/N/policies/P` (the IAM JSON) | attaches (or replaces) policy P |
//! | `DELETE /_admin/v1/users/N/policies/P` | detaches P |
//! | `GET /_admin/v1/groups`, `POST /_admin/v1/groups` `{"name": G}`, `DELETE /_admin/v1/groups/G` | groups |
//! | `PUT` / `DELETE /_admin/v1/groups/G/members/N` | N joins (leaves) G |
//! | `GET`, `PUT`, `DELETE /_admin/v1/groups/G/policies[/P]` | G's policies, held by its members |
//! | `GET /_admin/v1/buckets/B/quota` | `{bucket, quota: {max_bytes, max_objects} or null, usage: {bytes, objects}}` |
//! | `PUT /_admin/v1/buckets/B/quota` `{"max_bytes": N, "max_objects": N}` | B's hard quota (a bound left out: none) |
//! | `DELETE /_admin/v1/buckets/B/quota` | no quota |
//! | `GET /_admin/v1/notify/targets` | bucket notification targets: `{"targets": [{id, kind, arn, waiting, delivered, dead_letters, lag_seconds, last_error}]}` |
//! | `POST /_admin/v1/notify/targets/T/redrive` | T's dead letters back into its queue: `{target, requeued}` |
//!
//! Errors are JSON too: `{"code": ..., "message": ...}` with 400 (`InvalidName`), 403
//! (`AccessDenied`), 404 (`NoSuchUser`, `NoSuchKey`), 409 (`UserExists`, `KeyLimit`,
//! `NotManaged`: a configuration user), 501 (a quota in cluster mode, where no node counts
//! the cluster's objects) or 500. In cluster mode users, groups and sessions are every
//! node's: published to the cluster first, followed by every node within its settings
//! refresh interval.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::metrics::AdminLabels;
use crate::state::AppState;
use crate::users::{DirectoryError, Holder};

/// The admin API's path prefix.
pub const PREFIX: &str = "/_admin/";
const V1: &str = "/_admin/v1/";
/// The largest request body the admin API reads.
pub const MAX_BODY: usize = 64 * 1024;

/// Is `path` the admin API's?
pub fn is_admin_path(path: &str) -> bool {
    path.starts_with(PREFIX)
}

fn reply(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}

fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    reply(
        status,
        &json!({ "code": code, "message": message.to_string() }),
    )
}

fn refused(e: &DirectoryError) -> Response {
    let (status, code) = match e {
        DirectoryError::NoSuchUser(_) => (StatusCode::NOT_FOUND, "NoSuchUser"),
        DirectoryError::NoSuchKey(_) => (StatusCode::NOT_FOUND, "NoSuchKey"),
        DirectoryError::UserExists(_) => (StatusCode::CONFLICT, "UserExists"),
        DirectoryError::InvalidName(_) => (StatusCode::BAD_REQUEST, "InvalidName"),
        DirectoryError::InvalidPolicy(_) => (StatusCode::BAD_REQUEST, "MalformedPolicy"),
        DirectoryError::NoSuchGroup(_) => (StatusCode::NOT_FOUND, "NoSuchGroup"),
        DirectoryError::NoSuchPolicy(_) => (StatusCode::NOT_FOUND, "NoSuchPolicy"),
        DirectoryError::GroupExists(_) => (StatusCode::CONFLICT, "GroupExists"),
        DirectoryError::Limit(_) => (StatusCode::CONFLICT, "KeyLimit"),
        DirectoryError::NotManaged(_) => (StatusCode::CONFLICT, "NotManaged"),
        DirectoryError::Store(_) => {
            tracing::error!(error = %e, "admin change failed");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "the change could not be stored",
            );
        }
    };
    error(status, code, e)
}

/// A quota bound as the API shows it: `null` for none.
fn bound(n: u64) -> Value {
    if n == u64::MAX {
        Value::Null
    } else {
        json!(n)
    }
}

fn store_refused(e: &storage::Error) -> Response {
    match e {
        storage::Error::NoSuchBucket => error(StatusCode::NOT_FOUND, "NoSuchBucket", e),
        _ => {
            tracing::error!(error = %e, "admin change failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "the change could not be stored",
            )
        }
    }
}

/// The `name` of a `{"name": ...}` body.
fn name_in(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
}

fn holder<'a>(kind: &str, name: &'a str) -> Holder<'a> {
    if kind == "groups" {
        Holder::Group(name)
    } else {
        Holder::User(name)
    }
}

/// One admin change, done: logged for the audit and counted.
fn audited(state: &AppState, caller: &str, action: &'static str, subject: &str) {
    tracing::info!(target: "originstore::audit", admin = caller, action, subject, "admin change");
    state
        .metrics
        .admin_changes
        .get_or_create(&AdminLabels { action })
        .inc();
}

/// Answer an admin request from `caller` (the verified identity; `None`: anonymous) with
/// its `body` (read whole: at most [`MAX_BODY`] bytes).
pub async fn handle(
    state: &Arc<AppState>,
    method: &Method,
    path: &str,
    caller: Option<&str>,
    body: &[u8],
) -> Response {
    let Some(caller) = caller.filter(|c| state.directory.is_admin(c)) else {
        return error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "the admin API is for the configuration's users",
        );
    };
    // Cluster mode: a node's usage counts its cache, not the cluster's objects, so no node
    // could hold a quota.
    if state.backend.is_some() && path.ends_with("/quota") && *method != Method::GET {
        return error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "bucket quotas are not available in cluster mode (no node counts the cluster's objects)",
        );
    }
    let Some(rest) = path.strip_prefix(V1) else {
        return error(
            StatusCode::NOT_FOUND,
            "NoSuchRoute",
            "unknown admin API version",
        );
    };
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let directory = &state.directory;
    match (method, segments.as_slice()) {
        (&Method::GET, ["users"]) => reply(StatusCode::OK, &json!({ "users": directory.list() })),
        (&Method::GET, ["notify", "targets"]) => reply(
            StatusCode::OK,
            &json!({ "targets": state.notify.targets() }),
        ),
        (&Method::POST, ["notify", "targets", id, "redrive"]) => {
            match state.notify.redrive(id).await {
                Ok(Some(moved)) => {
                    audited(state, caller, "notify_redrive", id);
                    reply(StatusCode::OK, &json!({ "target": id, "requeued": moved }))
                }
                Ok(None) => error(
                    StatusCode::NOT_FOUND,
                    "NoSuchTarget",
                    format!("no target {id}"),
                ),
                Err(e) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    e.message,
                ),
            }
        }
        (&Method::POST, ["users"]) => {
            let Some(name) = name_in(body) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "MalformedRequest",
                    "the body must be {\"name\": \"...\"}",
                );
            };
            match directory.add_user(&name).await {
                Ok(key) => {
                    audited(state, caller, "user_add", &name);
                    reply(StatusCode::OK, &json!(key))
                }
                Err(e) => refused(&e),
            }
        }
        (&Method::DELETE, ["users", name]) => match directory.remove_user(name).await {
            Ok(()) => {
                audited(state, caller, "user_remove", name);
                reply(StatusCode::OK, &json!({ "removed": name }))
            }
            Err(e) => refused(&e),
        },
        (&Method::POST, ["users", name, switch @ ("enable" | "disable")]) => {
            let enabled = *switch == "enable";
            match directory.set_enabled(name, enabled).await {
                Ok(()) => {
                    let action = if enabled {
                        "user_enable"
                    } else {
                        "user_disable"
                    };
                    audited(state, caller, action, name);
                    reply(StatusCode::OK, &json!({ "name": name, "enabled": enabled }))
                }
                Err(e) => refused(&e),
            }
        }
        (&Method::GET, ["users", name, "keys"]) => match directory.keys_of(name) {
            Ok(keys) => {
                let keys: Vec<Value> = keys
                    .into_iter()
                    .map(|(access_key, created)| json!({ "access_key": access_key, "created": created }))
                    .collect();
                reply(StatusCode::OK, &json!({ "keys": keys }))
            }
            Err(e) => refused(&e),
        },
        (&Method::POST, ["users", name, "keys"]) => match directory.add_key(name).await {
            Ok(key) => {
                audited(state, caller, "key_add", name);
                reply(StatusCode::OK, &json!(key))
            }
            Err(e) => refused(&e),
        },
        (&Method::GET, [kind @ ("users" | "groups"), name, "policies"]) => {
            match directory.attached(holder(kind, name)) {
                Ok(policies) => reply(StatusCode::OK, &json!({ "policies": policies })),
                Err(e) => refused(&e),
            }
        }
        (&Method::PUT, [kind @ ("users" | "groups"), name, "policies", policy]) => {
            let text = String::from_utf8_lossy(body);
            match directory
                .attach_policy(holder(kind, name), policy, &text)
                .await
            {
                Ok(()) => {
                    audited(state, caller, "policy_attach", &format!("{name}/{policy}"));
                    reply(StatusCode::OK, &json!({ "attached": policy, "to": name }))
                }
                Err(e) => refused(&e),
            }
        }
        (&Method::DELETE, [kind @ ("users" | "groups"), name, "policies", policy]) => {
            match directory.detach_policy(holder(kind, name), policy).await {
                Ok(()) => {
                    audited(state, caller, "policy_detach", &format!("{name}/{policy}"));
                    reply(StatusCode::OK, &json!({ "detached": policy, "from": name }))
                }
                Err(e) => refused(&e),
            }
        }
        (&Method::GET, ["groups"]) => {
            reply(StatusCode::OK, &json!({ "groups": directory.groups() }))
        }
        (&Method::POST, ["groups"]) => {
            let Some(name) = name_in(body) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "MalformedRequest",
                    "the body must be {\"name\": \"...\"}",
                );
            };
            match directory.add_group(&name).await {
                Ok(()) => {
                    audited(state, caller, "group_add", &name);
                    reply(StatusCode::OK, &json!({ "name": name }))
                }
                Err(e) => refused(&e),
            }
        }
        (&Method::DELETE, ["groups", name]) => match directory.remove_group(name).await {
            Ok(()) => {
                audited(state, caller, "group_remove", name);
                reply(StatusCode::OK, &json!({ "removed": name }))
            }
            Err(e) => refused(&e),
        },
        (method @ (&Method::PUT | &Method::DELETE), ["groups", group, "members", user]) => {
            let member = *method == Method::PUT;
            match directory.set_member(group, user, member).await {
                Ok(()) => {
                    let action = if member {
                        "member_add"
                    } else {
                        "member_remove"
                    };
                    audited(state, caller, action, &format!("{group}/{user}"));
                    reply(
                        StatusCode::OK,
                        &json!({ "group": group, "user": user, "member": member }),
                    )
                }
                Err(e) => refused(&e),
            }
        }
        (&Method::GET, ["buckets", bucket, "quota"]) => {
            let store = &state.store;
            match (store.quota(bucket), store.bucket_usage(bucket)) {
                (Ok(quota), Ok(usage)) => reply(
                    StatusCode::OK,
                    &json!({
                        "bucket": bucket,
                        "quota": quota.map(|q| json!({
                            "max_bytes": bound(q.max_bytes),
                            "max_objects": bound(q.max_objects),
                        })),
                        "usage": { "bytes": usage.bytes, "objects": usage.objects },
                    }),
                ),
                (Err(e), _) | (_, Err(e)) => store_refused(&e),
            }
        }
        (&Method::PUT, ["buckets", bucket, "quota"]) => {
            let doc: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let limit = |name: &str| match doc.get(name) {
                None | Some(Value::Null) => Some(u64::MAX),
                Some(v) => v.as_u64(),
            };
            let (Some(max_bytes), Some(max_objects)) = (limit("max_bytes"), limit("max_objects"))
            else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "MalformedRequest",
                    "the body must be {\"max_bytes\": N, \"max_objects\": N} (either may be left out)",
                );
            };
            let quota = storage::Quota {
                max_bytes,
                max_objects,
            };
            match state.store.set_quota(bucket, Some(quota)).await {
                Ok(()) => {
                    audited(state, caller, "quota_set", bucket);
                    reply(StatusCode::OK, &json!({ "bucket": bucket }))
                }
                Err(e) => store_refused(&e),
            }
        }
        (&Method::DELETE, ["buckets", bucket, "quota"]) => {
            match state.store.set_quota(bucket, None).await {
                Ok(()) => {
                    audited(state, caller, "quota_clear", bucket);
                    reply(StatusCode::OK, &json!({ "bucket": bucket }))
                }
                Err(e) => store_refused(&e),
            }
        }
        (&Method::DELETE, ["keys", access_key]) => match directory.remove_key(access_key).await {
            Ok(user) => {
                audited(state, caller, "key_remove", &user);
                reply(
                    StatusCode::OK,
                    &json!({ "removed": access_key, "user": user }),
                )
            }
            Err(e) => refused(&e),
        },
        _ => error(
            StatusCode::NOT_FOUND,
            "NoSuchRoute",
            format!("no admin route for {method} {path}"),
        ),
    }
}
