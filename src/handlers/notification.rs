//! PutBucketNotificationConfiguration and GetBucketNotificationConfiguration (validated by
//! [`crate::notify::document`]; a new configuration sends `s3:TestEvent` to each target it
//! names, as S3 does), and the live stream `GET /{bucket}?events` (an originstore
//! extension, authorised like ListBucket): the bucket's events as they happen, one JSON
//! record per line (`application/x-ndjson`), optionally only keys under `prefix` and ending
//! with `suffix`; an empty line every 15 s keeps idle connections open.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html>

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response, MAX_XML_BODY};
use crate::error::S3Error;
use crate::notify::NotificationConfiguration;
use crate::state::AppState;

pub async fn handle_put(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    let doc = NotificationConfiguration::parse(&body, &|arn| state.notify.known(arn))?;
    let empty = doc.destinations().next().is_none();
    state
        .notify
        .configs()
        .set(bucket, (!empty).then_some(&doc))
        .await?;
    if ctx.header("x-amz-skip-destination-validation") != Some("true") {
        state.notify.test(bucket, &doc, &ctx.request_id).await?;
    }
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get(state: &Arc<AppState>, bucket: &str) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let doc = state.notify.configs().get(bucket)?;
    let empty = NotificationConfiguration::default();
    xml_response(StatusCode::OK, doc.as_deref().unwrap_or(&empty))
}

const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn handle_listen(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let query = crate::router::Query::parse(ctx.parts.uri.query());
    let prefix = query.get("prefix").unwrap_or_default().to_owned();
    let suffix = query.get("suffix").unwrap_or_default().to_owned();
    let bucket = bucket.to_owned();
    let receiver = state.notify.subscribe();
    let stream = futures::stream::unfold(receiver, move |mut receiver| {
        let (bucket, prefix, suffix) = (bucket.clone(), prefix.clone(), suffix.clone());
        async move {
            loop {
                let next = tokio::time::timeout(HEARTBEAT, receiver.recv()).await;
                let line = match next {
                    Err(_) => "\n".to_owned(),
                    Ok(Ok(event)) => {
                        if event.bucket != bucket
                            || !event.key.starts_with(&prefix)
                            || !event.key.ends_with(&suffix)
                        {
                            continue;
                        }
                        format!("{}\n", event.line)
                    }
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => {
                        format!("{{\"lagged\":{n}}}\n")
                    }
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return None,
                };
                return Some((Ok::<_, std::io::Error>(bytes::Bytes::from(line)), receiver));
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/x-ndjson")
        .header(http::header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .map_err(S3Error::internal)
}
