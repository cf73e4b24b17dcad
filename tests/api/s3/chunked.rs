//! Request bodies on the wire: aws-chunked with signed chunks and trailers, unsigned trailers,
//! plain bodies with a hex SHA-256, HTTP `Transfer-Encoding: chunked`; and every way such a
//! body can be wrong (tampered chunk signature, wrong trailer checksum, missing final chunk,
//! short body, hash mismatch, anonymous write). After each refusal the previous object is
//! intact and no partial object (or temp file) is left behind.
//!
//! Requests are hand-built with [`crate::wire`], which signs them for real, then tampered.

use std::time::Duration;

use originstore::auth::sigv4::{
    sha256_hex, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER,
    UNSIGNED_PAYLOAD,
};

use crate::support::server::{pattern, TestServer};
use crate::support::wire::{
    crc32_b64, send, send_and_hang_up, signed_body, signed_chunk, signed_trailer_body,
    unsigned_trailer_body, Head,
};

const OLD: &[u8] = b"the previous version";

/// A server with `bkt/k` holding [`OLD`].
async fn server_with_old_object() -> TestServer {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "k", OLD).await;
    s
}

fn host(s: &TestServer) -> String {
    s.addr.to_string()
}

/// The previous version still reads back whole, `bkt` holds only `k`, and no temp file of
/// the refused body is left (its writer deletes it when dropped; allow it a moment).
async fn assert_intact(s: &TestServer) {
    assert_eq!(
        s.get_bytes("bkt", "k").await,
        OLD,
        "previous version intact"
    );
    assert_eq!(s.keys("bkt").await, ["k"], "no other object appeared");
    let tmp = s.dir.path().join("data").join("tmp");
    for _ in 0..100 {
        let left = std::fs::read_dir(&tmp).map_or(0, |d| d.count());
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "a temp file of the refused body was left in {}",
        tmp.display()
    );
}

/// A signed aws-chunked PUT head for `bkt/k`, signed, with the framing headers.
fn chunked_head(
    s: &TestServer,
    payload: &str,
    decoded_len: usize,
    trailer: Option<&str>,
) -> (Head, originstore::auth::ChunkSigner) {
    let mut head = Head::new("PUT", "/bkt/k", &host(s))
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", decoded_len.to_string());
    if let Some(name) = trailer {
        head = head.header("x-amz-trailer", name);
    }
    let signer = head.sign(payload);
    (head, signer)
}

/// Send a PUT that must be refused with `status` (when given) and the S3 error `code` (when
/// given), then check that the previous object is intact.
async fn refused(s: &TestServer, head: Head, body: &[u8], status: Option<u16>, code: Option<&str>) {
    let resp = send(s.addr, &with_length(head, body.len()), body).await;
    if let Some(status) = status {
        assert_eq!(resp.status, status, "{resp:?}");
    }
    if let Some(code) = code {
        assert_eq!(resp.code(), code, "{resp:?}");
    }
    assert_intact(s).await;
}

/// [`chunked_head`] announcing an `x-amz-checksum-crc32` trailer.
fn crc32_trailer_head(
    s: &TestServer,
    payload: &str,
    decoded_len: usize,
) -> (Head, originstore::auth::ChunkSigner) {
    chunked_head(s, payload, decoded_len, Some("x-amz-checksum-crc32"))
}

fn with_length(mut head: Head, len: usize) -> Head {
    head.headers
        .push(("content-length".to_owned(), len.to_string()));
    head
}

#[tokio::test]
async fn hand_signed_chunked_bodies_are_accepted() {
    let s = server_with_old_object().await;
    let data = pattern(200_000, 1);

    // Signed chunks, no trailer; chunks of 64 KiB and a short last one.
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, data.len(), None);
    let body = signed_body(&mut signer, &data, 65_536);
    let resp = send(s.addr, &with_length(head, body.len()), &body).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(s.get_bytes("bkt", "k").await, data);

    // Signed chunks with a signed CRC32 trailer: the checksum is stored.
    let data = pattern(70_000, 2);
    let crc = crc32_b64(&data);
    let (head, mut signer) = crc32_trailer_head(&s, STREAMING_SIGNED_TRAILER, data.len());
    let body = signed_trailer_body(&mut signer, &data, 8192, ("x-amz-checksum-crc32", &crc));
    let resp = send(s.addr, &with_length(head, body.len()), &body).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let got = s
        .client
        .head_object()
        .bucket("bkt")
        .key("k")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    assert_eq!(got.checksum_crc32(), Some(crc.as_str()));
    assert_eq!(s.get_bytes("bkt", "k").await, data);

    // Unsigned chunks with a CRC32 trailer, as boto3 and the SDKs send over https.
    let data = pattern(5, 3);
    let (head, _) = crc32_trailer_head(&s, STREAMING_UNSIGNED_TRAILER, data.len());
    let body = unsigned_trailer_body(&data, 2, ("x-amz-checksum-crc32", &crc32_b64(&data)));
    let resp = send(s.addr, &with_length(head, body.len()), &body).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(s.get_bytes("bkt", "k").await, data);

    // An empty object: just the final chunk.
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, 0, None);
    let body = signed_body(&mut signer, b"", 1);
    let resp = send(s.addr, &with_length(head, body.len()), &body).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(s.get_bytes("bkt", "k").await, b"");
}

#[tokio::test]
async fn tampered_chunk_signature_is_signature_does_not_match() {
    let s = server_with_old_object().await;
    let data = pattern(3000, 4);
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, data.len(), None);
    let mut body = signed_body(&mut signer, &data, 1000);
    // Flip one hex digit of the SECOND chunk's signature: the first chunk verified and was
    // already handed to storage, so this also proves nothing is committed after a late error.
    let second = body
        .windows(16)
        .enumerate()
        .filter(|(_, w)| w == b"chunk-signature=")
        .nth(1)
        .map(|(i, _)| i + 16)
        .expect("a second chunk");
    body[second] = if body[second] == b'0' { b'1' } else { b'0' };
    refused(&s, head, &body, Some(403), Some("SignatureDoesNotMatch")).await;

    // Same data, chunks re-signed under the wrong seed (another request's signature).
    let (_, mut other) = chunked_head(&s, STREAMING_SIGNED, data.len() + 1, None);
    let (head, _) = chunked_head(&s, STREAMING_SIGNED, data.len(), None);
    let body = signed_body(&mut other, &data, 1000);
    refused(&s, head, &body, None, Some("SignatureDoesNotMatch")).await;

    // Chunk data altered after signing.
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, data.len(), None);
    let mut body = signed_body(&mut signer, &data, 1000);
    let last_data = body.len() - 200;
    body[last_data] ^= 0x01;
    refused(&s, head, &body, None, Some("SignatureDoesNotMatch")).await;
}

#[tokio::test]
async fn tampered_trailer_is_refused() {
    let s = server_with_old_object().await;
    let data = pattern(5000, 5);
    // Signed trailer whose signature does not cover the value sent.
    let (head, mut signer) = crc32_trailer_head(&s, STREAMING_SIGNED_TRAILER, data.len());
    let good = crc32_b64(&data);
    let body = signed_trailer_body(&mut signer, &data, 4096, ("x-amz-checksum-crc32", &good));
    let wrong = crc32_b64(b"something else");
    let body = String::from_utf8_lossy(&body)
        .replace(&good, &wrong)
        .into_bytes();
    refused(&s, head, &body, None, Some("SignatureDoesNotMatch")).await;
}

#[tokio::test]
async fn wrong_trailer_checksum_is_bad_digest() {
    let s = server_with_old_object().await;
    let data = pattern(5000, 6);
    let wrong = crc32_b64(b"not the body");

    // Unsigned chunks: the trailer is all that protects the body.
    let (head, _) = crc32_trailer_head(&s, STREAMING_UNSIGNED_TRAILER, data.len());
    let body = unsigned_trailer_body(&data, 4096, ("x-amz-checksum-crc32", &wrong));
    refused(&s, head, &body, Some(400), Some("BadDigest")).await;

    // Signed chunks and a correctly signed trailer that carries the wrong checksum.
    let (head, mut signer) = crc32_trailer_head(&s, STREAMING_SIGNED_TRAILER, data.len());
    let body = signed_trailer_body(&mut signer, &data, 4096, ("x-amz-checksum-crc32", &wrong));
    refused(&s, head, &body, None, Some("BadDigest")).await;

    // A trailer announced in x-amz-trailer but missing from the body.
    let (head, _) = crc32_trailer_head(&s, STREAMING_UNSIGNED_TRAILER, data.len());
    let mut body = unsigned_trailer_body(&data, 4096, ("x", "y"));
    let cut = body.len() - b"x:y\r\n\r\n".len();
    body.truncate(cut);
    body.extend_from_slice(b"\r\n");
    refused(&s, head, &body, Some(400), None).await;
}

#[tokio::test]
async fn missing_final_chunk_is_incomplete_body() {
    let s = server_with_old_object().await;
    let data = pattern(3000, 7);
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, data.len(), None);
    let mut body = Vec::new();
    for piece in data.chunks(1000) {
        body.extend(signed_chunk(&mut signer, piece));
    }
    // Every data chunk, no `0;chunk-signature=...` chunk: framing is complete as far as
    // HTTP knows (Content-Length matches), but the aws-chunked body is not.
    refused(&s, head, &body, Some(400), Some("IncompleteBody")).await;

    // The same for unsigned chunks with a trailer.
    let (head, _) = crc32_trailer_head(&s, STREAMING_UNSIGNED_TRAILER, data.len());
    let full = unsigned_trailer_body(&data, 1000, ("x-amz-checksum-crc32", &crc32_b64(&data)));
    let end = full
        .windows(3)
        .rposition(|w| w == b"0\r\n")
        .expect("final chunk");
    let body = &full[..end];
    refused(&s, head, body, None, Some("IncompleteBody")).await;
}

#[tokio::test]
async fn chunks_shorter_than_decoded_length_are_incomplete_body() {
    let s = server_with_old_object().await;
    let data = pattern(3000, 8);
    // Well-formed, correctly signed, but x-amz-decoded-content-length promises 10 more bytes.
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, data.len() + 10, None);
    let body = signed_body(&mut signer, &data, 1000);
    refused(&s, head, &body, Some(400), Some("IncompleteBody")).await;

    // And longer than it.
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, data.len() - 10, None);
    let body = signed_body(&mut signer, &data, 1000);
    refused(&s, head, &body, Some(400), None).await;
}

#[tokio::test]
async fn chunk_longer_than_announced_is_refused() {
    let s = server_with_old_object().await;
    let data = pattern(100, 9);
    let (head, _) = crc32_trailer_head(&s, STREAMING_UNSIGNED_TRAILER, data.len());
    // Announces 0x50 bytes, carries 100.
    let mut body = b"50\r\n".to_vec();
    body.extend_from_slice(&data);
    body.extend_from_slice(b"\r\n0\r\nx-amz-checksum-crc32:");
    body.extend_from_slice(crc32_b64(&data).as_bytes());
    body.extend_from_slice(b"\r\n\r\n");
    refused(&s, head, &body, Some(400), None).await;
}

#[tokio::test]
async fn connection_closed_before_content_length_stores_nothing() {
    let s = server_with_old_object().await;
    let data = pattern(3000, 10);

    // aws-chunked: Content-Length promises the whole body; half of it is sent, then FIN.
    let (head, mut signer) = chunked_head(&s, STREAMING_SIGNED, data.len(), None);
    let body = signed_body(&mut signer, &data, 1000);
    let resp = send_and_hang_up(s.addr, &with_length(head, body.len()), &body[..1500]).await;
    // The server may answer IncompleteBody or just close: never a success.
    assert!(
        resp.status == 0 || (resp.status == 400 && resp.code() == "IncompleteBody"),
        "{resp:?}"
    );
    assert_intact(&s).await;

    // A plain UNSIGNED-PAYLOAD body the same way.
    let mut head = Head::new("PUT", "/bkt/k", &host(&s));
    head.sign(UNSIGNED_PAYLOAD);
    let head = with_length(head, data.len());
    let resp = send_and_hang_up(s.addr, &head, &data[..1000]).await;
    assert!(
        resp.status == 0 || (resp.status == 400 && resp.code() == "IncompleteBody"),
        "{resp:?}"
    );
    assert_intact(&s).await;
}

#[tokio::test]
async fn hex_sha256_mismatch_is_x_amz_content_sha256_mismatch() {
    let s = server_with_old_object().await;
    let data = pattern(4000, 11);
    let mut head = Head::new("PUT", "/bkt/k", &host(&s));
    head.sign(&sha256_hex(b"another body"));
    refused(
        &s,
        head,
        &data,
        Some(400),
        Some("XAmzContentSHA256Mismatch"),
    )
    .await;

    // The right hash is accepted.
    let mut head = Head::new("PUT", "/bkt/k2", &host(&s));
    head.sign(&sha256_hex(&data));
    let resp = send(s.addr, &with_length(head, data.len()), &data).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(s.get_bytes("bkt", "k2").await, data);
}

#[tokio::test]
async fn anonymous_put_is_access_denied() {
    let s = server_with_old_object().await;
    let data = b"anonymous bytes";
    for payload in [None, Some(UNSIGNED_PAYLOAD)] {
        let mut head = Head::new("PUT", "/bkt/k", &host(&s));
        if let Some(p) = payload {
            head = head.header("x-amz-content-sha256", p);
        }
        refused(&s, head, data, Some(403), Some("AccessDenied")).await;
    }
    // Anonymous unsigned aws-chunked with a valid trailer: still not a write permission.
    let head = Head::new("PUT", "/bkt/k", &host(&s))
        .header("x-amz-content-sha256", STREAMING_UNSIGNED_TRAILER)
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", data.len().to_string())
        .header("x-amz-trailer", "x-amz-checksum-crc32");
    let body = unsigned_trailer_body(data, 4, ("x-amz-checksum-crc32", &crc32_b64(data)));
    refused(&s, head, &body, None, Some("AccessDenied")).await;
}

/// HTTP/1.1 `Transfer-Encoding: chunked` framing of `data`.
fn http_chunked(data: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[tokio::test]
async fn transfer_encoding_chunked_put_works() {
    let s = server_with_old_object().await;
    let data = pattern(300_000, 12);

    let mut head = Head::new("PUT", "/bkt/unsigned", &host(&s));
    head.sign(UNSIGNED_PAYLOAD);
    head.headers
        .push(("transfer-encoding".to_owned(), "chunked".to_owned()));
    let resp = send(s.addr, &head, &http_chunked(&data, 10_000)).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(s.get_bytes("bkt", "unsigned").await, data);

    let mut head = Head::new("PUT", "/bkt/hashed", &host(&s));
    head.sign(&sha256_hex(&data));
    head.headers
        .push(("transfer-encoding".to_owned(), "chunked".to_owned()));
    let resp = send(s.addr, &head, &http_chunked(&data, 65_536)).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(s.get_bytes("bkt", "hashed").await, data);

    // With the wrong hash, nothing is stored.
    let mut head = Head::new("PUT", "/bkt/k", &host(&s));
    head.sign(&sha256_hex(b"other"));
    head.headers
        .push(("transfer-encoding".to_owned(), "chunked".to_owned()));
    let resp = send(s.addr, &head, &http_chunked(&data, 65_536)).await;
    assert_eq!(resp.code(), "XAmzContentSHA256Mismatch", "{resp:?}");
    s.client
        .delete_object()
        .bucket("bkt")
        .key("unsigned")
        .send()
        .await
        .expect("delete");
    s.client
        .delete_object()
        .bucket("bkt")
        .key("hashed")
        .send()
        .await
        .expect("delete");
    assert_intact(&s).await;
}

/// Regression: the server sized an aws-chunked body by its Content-Length when
/// x-amz-decoded-content-length was missing, and failed it late with IncompleteBody.
#[tokio::test]
async fn aws_chunked_without_decoded_length_is_missing_content_length() {
    let s = server_with_old_object().await;
    let data = pattern(3000, 13);
    let mut head = Head::new("PUT", "/bkt/k", &host(&s)).header("content-encoding", "aws-chunked");
    let mut signer = head.sign(STREAMING_SIGNED);
    let body = signed_body(&mut signer, &data, 1000);
    refused(&s, head, &body, Some(411), Some("MissingContentLength")).await;
}
