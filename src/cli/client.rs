//! The client side of the `originstore` subcommands that talk to a running server: signed
//! requests (SigV4, the server's own verifier on the other end) with the aws CLI's
//! environment — `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL` (default
//! `http://127.0.0.1:9000`) and `AWS_REGION` / `AWS_DEFAULT_REGION`.

use anyhow::{bail, Context};
use http::{HeaderMap, Method};

use crate::origin::sign::{sign_origin_request, SigningKeys};

pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    access_key: String,
    secret_key: String,
    region: String,
}

impl Client {
    pub fn from_env() -> anyhow::Result<Client> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Client {
            http: reqwest::Client::new(),
            endpoint: var("AWS_ENDPOINT_URL")
                .unwrap_or_else(|| "http://127.0.0.1:9000".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            access_key: var("AWS_ACCESS_KEY_ID").context("AWS_ACCESS_KEY_ID is not set")?,
            secret_key: var("AWS_SECRET_ACCESS_KEY").context("AWS_SECRET_ACCESS_KEY is not set")?,
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_owned()),
        })
    }

    /// A signed request to `/{bucket}?{query}`; the answer, or the server's error as one.
    pub async fn request(
        &self,
        method: Method,
        bucket: &str,
        query: &str,
        body: String,
    ) -> anyhow::Result<reqwest::Response> {
        self.request_to(method, &format!("/{bucket}?{query}"), body)
            .await
    }

    /// A signed request to `path_and_query` (from `/`); the answer, or the server's error
    /// (an S3 error document, or the admin API's JSON one) as one.
    pub async fn request_to(
        &self,
        method: Method,
        path_and_query: &str,
        body: String,
    ) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}{path_and_query}", self.endpoint);
        let mut headers = HeaderMap::new();
        let keys = SigningKeys {
            region: &self.region,
            access_key: &self.access_key,
            secret_key: &self.secret_key,
        };
        sign_origin_request(
            &method,
            &url,
            &mut headers,
            &keys,
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| anyhow::anyhow!("signing the request: {e}"))?;
        let response = self
            .http
            .request(method, &url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .with_context(|| format!("sending to {url}"))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("{url}: {status}: {}", error_message(&text));
        }
        Ok(response)
    }

    /// [`Client::request`], its answer as text.
    pub async fn send(
        &self,
        method: Method,
        bucket: &str,
        query: &str,
        body: String,
    ) -> anyhow::Result<String> {
        self.request(method, bucket, query, body)
            .await?
            .text()
            .await
            .context("reading the answer")
    }
}

/// `Code: Message` of an S3 error document or of the admin API's JSON error, or the text
/// as it came.
fn error_message(text: &str) -> String {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let field = |name| json.get(name).and_then(serde_json::Value::as_str);
        if let (Some(code), Some(message)) = (field("code"), field("message")) {
            return format!("{code}: {message}");
        }
    }
    match crate::xml::ErrorDocument::parse(text.as_bytes()) {
        Some(e) if !e.code.is_empty() => format!("{}: {}", e.code, e.message),
        _ => text.to_owned(),
    }
}

/// `s` escaped for an XML element's text.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
