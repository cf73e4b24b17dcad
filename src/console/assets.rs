//! The console's files, embedded at compile time: the page, its modules and styles, and the
//! vendored chart library (uPlot, MIT, refreshed by `assets/vendor/refresh.sh`). Every other
//! console address answers the page, which routes in the browser.

use axum::body::Body;
use axum::response::Response;

use crate::error::{S3Error, S3ErrorCode};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// `/console/assets/<name>`: its content and type.
const FILES: &[(&str, &str, &str)] = &[
    ("console.css", include_str!("assets/console.css"), CSS),
    ("js/app.js", include_str!("assets/js/app.js"), JS),
    ("js/api.js", include_str!("assets/js/api.js"), JS),
    ("js/ui.js", include_str!("assets/js/ui.js"), JS),
    ("js/buckets.js", include_str!("assets/js/buckets.js"), JS),
    ("js/objects.js", include_str!("assets/js/objects.js"), JS),
    ("js/versions.js", include_str!("assets/js/versions.js"), JS),
    ("js/object.js", include_str!("assets/js/object.js"), JS),
    ("js/settings.js", include_str!("assets/js/settings.js"), JS),
    (
        "js/migration.js",
        include_str!("assets/js/migration.js"),
        JS,
    ),
    ("js/metrics.js", include_str!("assets/js/metrics.js"), JS),
    ("js/events.js", include_str!("assets/js/events.js"), JS),
    ("js/admin.js", include_str!("assets/js/admin.js"), JS),
    (
        "vendor/uplot.iife.min.js",
        include_str!("assets/vendor/uplot.iife.min.js"),
        JS,
    ),
    (
        "vendor/uplot.min.css",
        include_str!("assets/vendor/uplot.min.css"),
        CSS,
    ),
];

const INDEX: &str = include_str!("assets/index.html");
const ASSETS: &str = "/console/assets/";

/// A console address read with GET: an asset, or the page.
pub fn answer(path: &str) -> Result<Response, S3Error> {
    match path.strip_prefix(ASSETS) {
        Some(name) => match FILES.iter().find(|(n, _, _)| *n == name) {
            Some((_, text, content_type)) => file(text, content_type),
            None => Err(S3Error::new(S3ErrorCode::NoSuchKey, "No such console file")),
        },
        None => file(INDEX, HTML),
    }
}

fn file(text: &'static str, content_type: &'static str) -> Result<Response, S3Error> {
    Response::builder()
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::CACHE_CONTROL, "no-cache")
        .header("x-frame-options", "DENY")
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'",
        )
        .body(Body::from(text))
        .map_err(S3Error::internal)
}
