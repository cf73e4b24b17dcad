//! The load client: reqwest with a connection pool and `TCP_NODELAY`, every request
//! SigV4-signed (`UNSIGNED-PAYLOAD`) with the server's own origin signer, bodies read as they
//! stream (never buffered whole).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};

/// Who the client signs as.
pub struct Credentials {
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

#[derive(Clone)]
pub struct S3 {
    http: reqwest::Client,
    base: String,
    credentials: Arc<Credentials>,
}

impl S3 {
    pub fn new(addr: SocketAddr, credentials: Credentials) -> S3 {
        S3 {
            http: http_client(),
            base: format!("http://{addr}"),
            credentials: Arc::new(credentials),
        }
    }

    /// The same server and credentials over new connections (a workload then does not
    /// inherit the previous one's connections and their TCP state).
    pub fn fresh(&self) -> S3 {
        S3 {
            http: http_client(),
            base: self.base.clone(),
            credentials: self.credentials.clone(),
        }
    }

    /// A signed request to this server.
    pub fn request(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path_and_query}", self.base);
        let mut headers = HeaderMap::new();
        originstore::origin::sign::sign_origin_request(
            &method,
            &url,
            &mut headers,
            &originstore::origin::sign::SigningKeys {
                region: &self.credentials.region,
                access_key: &self.credentials.access_key,
                secret_key: &self.credentials.secret_key,
            },
            time::OffsetDateTime::now_utc(),
        )
        .expect("sign request");
        self.http.request(method, url).headers(headers)
    }

    pub async fn put(&self, path: &str, body: Bytes) -> Result<u64, String> {
        let len = body.len() as u64;
        sent(self.request(Method::PUT, path).body(body), path, len).await
    }

    /// PUT `body` made unique to object `n`: the first 16 bytes of every MiB are `n` and the
    /// MiB's index, so a server that stores content-addressed blocks (Garage: 1 MiB blocks,
    /// deduplicated) stores every object, as it would real data, instead of one block for
    /// all. The rest is `body`'s bytes, sent without copying.
    pub async fn put_unique(&self, path: &str, body: Bytes, n: u64) -> Result<u64, String> {
        const MIB: usize = 1024 * 1024;
        let len = body.len();
        let mut chunks: Vec<std::io::Result<Bytes>> = Vec::new();
        for (block, at) in (0..len).step_by(MIB).enumerate() {
            let end = (at + MIB).min(len);
            let mut head = [0u8; 16];
            head[..8].copy_from_slice(&n.to_le_bytes());
            head[8..].copy_from_slice(&(block as u64).to_le_bytes());
            let unique = 16.min(end - at);
            chunks.push(Ok(Bytes::copy_from_slice(&head[..unique])));
            if at + unique < end {
                chunks.push(Ok(body.slice(at + unique..end)));
            }
        }
        let request = self
            .request(Method::PUT, path)
            .header(http::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)));
        sent(request, path, len as u64).await
    }

    /// GET, reading the body as it streams; returns its length and the
    /// `x-originstore-origin` header.
    pub async fn get(&self, path: &str) -> Result<(u64, Option<String>), String> {
        drain(self.request(Method::GET, path), path).await
    }

    /// An unsigned GET of any URL (the stub origin, read directly for a baseline).
    pub async fn get_url(&self, url: &str) -> Result<(u64, Option<String>), String> {
        drain(self.http.get(url), url).await
    }
}

/// Send a PUT of `len` bytes; `len` once the server took it, its answer otherwise.
async fn sent(request: reqwest::RequestBuilder, path: &str, len: u64) -> Result<u64, String> {
    let resp = request.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("PUT {path}: {status} {text}"));
    }
    Ok(len)
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        // A wedged server fails the run instead of hanging it.
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client")
}

async fn drain(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<(u64, Option<String>), String> {
    let mut resp = request.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let tag = resp
        .headers()
        .get("x-originstore-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut len = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        len += chunk.len() as u64;
    }
    if !status.is_success() {
        return Err(format!("GET {what}: {status}"));
    }
    Ok((len, tag))
}
