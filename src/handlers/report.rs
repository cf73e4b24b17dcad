//! `GET /{bucket}?origin-report` (an originstore extension, bucket owner only): every key
//! of the migration — its state, bytes, whether the last verification proved it, the last
//! failure recorded for it — streamed as CSV (`format=csv`, the default) or JSON Lines
//! (`format=jsonl`), optionally under `prefix=`. Rows come a page at a time from
//! [`crate::origin::passes::report`]; this renders them.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use futures::StreamExt as _;
use http::StatusCode;

use super::context::RequestContext;
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::passes::report::{rows, Known, Row};
use crate::origin::passes::{listable_rule, PassKind};
use crate::router::Query;
use crate::state::AppState;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

pub async fn handle_get_bucket_origin_report(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let query = Query::parse(ctx.parts.uri.query());
    let format = match query.get("format") {
        None | Some("csv") => Format::Csv,
        Some("jsonl") => Format::JsonLines,
        Some(other) => {
            return Err(S3Error::invalid_argument(format!(
                "format {other:?} is not csv or jsonl"
            )))
        }
    };
    let prefix = query.get("prefix").unwrap_or("").to_owned();
    let config = state.origin.required_config(bucket)?;
    let rule = listable_rule(&config, &prefix).cloned().ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::InvalidRequest,
            "A report lists the origin: it needs a rule whose hosts are S3-compatible (PrivateHost) and that does not rewrite keys",
        )
    })?;
    let verify = state.passes.get(bucket, PassKind::Verify)?;
    let mut failures = Vec::new();
    if let Some(backfill) = state.backfills.get(bucket)? {
        failures.extend(backfill.failures.iter().cloned());
    }
    for kind in [PassKind::Delta, PassKind::Verify] {
        if let Some(job) = state.passes.get(bucket, kind)? {
            failures.extend(job.failures);
        }
    }
    let known = Known::new(verify, failures);
    let pages = rows(state.origin.clone(), bucket, config, &rule, &prefix, known);
    let header = match format {
        Format::Csv => Some(Ok(bytes::Bytes::from_static(
            b"key,state,bytes,verified,reason\n",
        ))),
        Format::JsonLines => None,
    };
    let body = futures::stream::iter(header).chain(pages.map(move |page| {
        page.map(|rows| render(format, &rows)).map_err(|e| {
            tracing::warn!(error = ?e, "origin report cut short");
            std::io::Error::other("the report could not be completed")
        })
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(
            http::header::CONTENT_TYPE,
            match format {
                Format::Csv => "text/csv; charset=utf-8",
                Format::JsonLines => "application/x-ndjson",
            },
        )
        .body(Body::from_stream(body))
        .map_err(S3Error::internal)
}

fn render(format: Format, rows: &[Row]) -> bytes::Bytes {
    let mut out = String::new();
    for row in rows {
        match format {
            Format::Csv => {
                out.push_str(&csv_field(&row.key));
                out.push(',');
                out.push_str(row.state);
                out.push(',');
                out.push_str(&row.bytes.to_string());
                out.push(',');
                out.push_str(row.verified);
                out.push(',');
                out.push_str(&csv_field(row.reason.as_deref().unwrap_or("")));
            }
            Format::JsonLines => {
                out.push_str(&serde_json::to_string(row).unwrap_or_default());
            }
        }
        out.push('\n');
    }
    bytes::Bytes::from(out)
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_render_as_csv_and_json_lines() {
        let rows = [Row {
            key: "a,\"b\"\nc".into(),
            state: "stale",
            bytes: 12,
            verified: "no",
            reason: None,
        }];
        assert_eq!(
            render(Format::Csv, &rows),
            "\"a,\"\"b\"\"\nc\",stale,12,no,\n"
        );
        assert_eq!(
            render(Format::JsonLines, &rows),
            "{\"key\":\"a,\\\"b\\\"\\nc\",\"state\":\"stale\",\"bytes\":12,\"verified\":\"no\"}\n"
        );
    }
}
