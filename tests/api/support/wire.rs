//! Hand-made requests on the wire: a SigV4 signer built from `originstore::auth::sigv4`'s
//! building blocks that produces REAL seed, chunk and trailer signatures, aws-chunked
//! encoders, and a raw HTTP/1.1 client over a `TcpStream` (so a test can send a body that
//! lies about its length, or stop half-way).
//!
//! The point is to let a test build a valid request and then tamper with exactly one thing.
//! Nothing here trusts the server's decoder: the framing is written out by hand.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use originstore::auth::{sigv4, ChunkSigner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::server::{ACCESS_KEY, SECRET_KEY};

/// A request head being built: method, path and query as sent, headers in order.
pub struct Head {
    pub method: &'static str,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn new(method: &'static str, path_and_query: &str, host: &str) -> Head {
        Head {
            method,
            path_and_query: path_and_query.to_owned(),
            headers: vec![("host".to_owned(), host.to_owned())],
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Head {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Signs every header present now (add unsigned ones, such as Content-Length, after)
    /// with `payload_hash` as `x-amz-content-sha256`, as the first test user. Returns the
    /// chunk signer seeded with this request's signature, for aws-chunked bodies.
    pub fn sign(&mut self, payload_hash: &str) -> ChunkSigner {
        self.sign_as(payload_hash, ACCESS_KEY, SECRET_KEY)
    }

    pub fn sign_as(&mut self, payload_hash: &str, access_key: &str, secret: &str) -> ChunkSigner {
        let now = time::OffsetDateTime::now_utc();
        let datetime = now
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .expect("format date");
        let date = datetime[..8].to_owned();
        self.headers
            .push(("x-amz-date".to_owned(), datetime.clone()));
        self.headers
            .push(("x-amz-content-sha256".to_owned(), payload_hash.to_owned()));

        let mut builder = http::Request::builder()
            .method(self.method)
            .uri(&self.path_and_query);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let (parts, ()) = builder.body(()).expect("request head").into_parts();
        let mut signed: Vec<String> = self.headers.iter().map(|(n, _)| n.clone()).collect();
        signed.sort();
        signed.dedup();
        let request = sigv4::canonical_request(
            self.method,
            &sigv4::canonical_uri(parts.uri.path()),
            &sigv4::canonical_query(parts.uri.query().unwrap_or(""), false, false),
            &sigv4::canonical_headers(&parts, &signed),
            &signed.join(";"),
            payload_hash,
        );
        let scope = format!("{date}/us-east-1/s3/aws4_request");
        let key = sigv4::signing_key(secret, &date, "us-east-1", "s3");
        let string_to_sign = sigv4::string_to_sign(&datetime, &scope, &request);
        let seed = hex::encode(sigv4::hmac_sha256(&key, string_to_sign.as_bytes()));
        self.headers.push((
            "authorization".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={}, Signature={seed}",
                signed.join(";")
            ),
        ));
        ChunkSigner::new(key, datetime, scope, seed)
    }

    /// The head as HTTP/1.1 text, with `Connection: close`.
    pub fn to_http(&self) -> String {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.path_and_query);
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("connection: close\r\n\r\n");
        out
    }
}

/// The signature of the next chunk in the chain, advancing the chain.
pub fn chunk_signature(signer: &mut ChunkSigner, data: &[u8]) -> String {
    let hash = sigv4::sha256(data);
    let signature = signer.expected_chunk_signature(&hash);
    signer
        .verify_chunk(&hash, &signature)
        .expect("our own signature verifies");
    signature
}

/// One signed chunk: `hex-size;chunk-signature=sig\r\n data \r\n`. An empty `data` is the
/// final chunk (followed by the trailer section or the closing `\r\n`, not added here).
pub fn signed_chunk(signer: &mut ChunkSigner, data: &[u8]) -> Vec<u8> {
    let signature = chunk_signature(signer, data);
    let mut out = format!("{:x};chunk-signature={signature}\r\n", data.len()).into_bytes();
    if !data.is_empty() {
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A whole `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body of `data` cut into `chunk`-byte chunks.
pub fn signed_body(signer: &mut ChunkSigner, data: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        out.extend(signed_chunk(signer, piece));
    }
    out.extend(signed_chunk(signer, b""));
    out.extend_from_slice(b"\r\n");
    out
}

/// A `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` body with one signed trailer.
pub fn signed_trailer_body(
    signer: &mut ChunkSigner,
    data: &[u8],
    chunk: usize,
    trailer: (&str, &str),
) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        out.extend(signed_chunk(signer, piece));
    }
    out.extend(signed_chunk(signer, b""));
    let (name, value) = trailer;
    let canonical = format!("{name}:{value}\n");
    let signature = signer.expected_trailer_signature(canonical.as_bytes());
    out.extend_from_slice(
        format!("{name}:{value}\r\nx-amz-trailer-signature:{signature}\r\n\r\n").as_bytes(),
    );
    out
}

/// A `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body with one trailer, as boto3 and the SDKs send.
pub fn unsigned_trailer_body(data: &[u8], chunk: usize, trailer: (&str, &str)) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    let (name, value) = trailer;
    out.extend_from_slice(format!("0\r\n{name}:{value}\r\n\r\n").as_bytes());
    out
}

/// Base64 CRC32 of `data`, as in `x-amz-checksum-crc32` (storage's checksummer: the tests
/// through the SDKs cross-check it against independent implementations).
pub fn crc32_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(storage::Checksummer::digest(
        storage::ChecksumAlgorithm::Crc32,
        data,
    ))
}

/// A response read off the wire. `status` is 0 when the server closed the connection
/// without answering.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    #[allow(dead_code)] // read by tests that check response headers
    pub head: String,
    pub body: String,
}

impl RawResponse {
    pub fn code(&self) -> String {
        crate::support::server::xml_code(&self.body)
    }
}

/// Sends `head` then `body` on a fresh connection and reads the response until the server
/// closes it. A write error (the server answered early and closed) is not fatal: the answer
/// is still read.
pub async fn send(addr: SocketAddr, head: &Head, body: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let _ = stream.write_all(head.to_http().as_bytes()).await;
    let _ = stream.write_all(body).await;
    read_response(stream).await
}

/// Sends `head` then `body`, then shuts the write half: for heads whose Content-Length
/// promises more than `body`.
pub async fn send_and_hang_up(addr: SocketAddr, head: &Head, body: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let _ = stream.write_all(head.to_http().as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
    read_response(stream).await
}

pub async fn read_response(mut stream: TcpStream) -> RawResponse {
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw)).await;
    assert!(
        read.is_ok(),
        "the server neither answered nor closed in 20 s"
    );
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    RawResponse {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}
