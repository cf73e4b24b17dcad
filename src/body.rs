//! The request body as a stream of *verified* data chunks.
//!
//! [`RequestBody`] wraps the `axum` body and the [`Payload`] decided by [`crate::auth`]: it
//! decodes aws-chunked framing, checks chunk and trailer signatures, the whole-body SHA-256
//! and the declared length. Data is released only once verified where the protocol allows
//! it (a signed chunk after its signature; a plain body's SHA-256 can only be checked at the
//! end, so the caller must not commit before [`RequestBody::next_chunk`] returned `Ok(None)`).
//! Memory stays bounded: at most one input frame plus one signed chunk is held.
//!
//! It does not parse checksum trailers (`x-amz-checksum-*`): it hands them to the caller.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};

use crate::auth::chunked::ChunkDecoder;
use crate::auth::{AuthError, Payload};

/// Pieces already received are merged up to this size rather than returned one by one.
const COALESCE_LIMIT: usize = 1024 * 1024;

enum Decoding {
    /// A plain body, with the SHA-256 it must have, if one was signed.
    Plain {
        expected: Option<([u8; 32], Sha256)>,
    },
    /// An aws-chunked body.
    Chunked(Box<ChunkDecoder>),
}

enum Progress {
    Reading,
    Done,
    Failed(AuthError),
}

/// A request body yielding verified chunks of decoded object data.
pub struct RequestBody {
    body: axum::body::Body,
    decoding: Decoding,
    declared_len: Option<u64>,
    received: u64,
    pending: Bytes,
    eof: bool,
    progress: Progress,
    trailers: Vec<(String, String)>,
    /// The longest wait for the next piece of the body before the request fails.
    idle_timeout: Option<std::time::Duration>,
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBody")
            .field("declared_len", &self.declared_len)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

/// A `Content-Encoding` as the object keeps it: without `aws-chunked` (the request's
/// framing, not the object's); `None` when nothing else is left.
pub fn stored_content_encoding(value: &str) -> Option<String> {
    let kept: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// The decoded length a body must have: `x-amz-decoded-content-length` for aws-chunked
/// payloads (required: [`AuthError::MissingContentLength`] without it), else `Content-Length`;
/// `None` when neither is given (e.g. `Transfer-Encoding: chunked`); the caller decides
/// whether an operation needs a length.
pub fn declared_len(
    headers: &http::HeaderMap,
    payload: &Payload,
) -> Result<Option<u64>, AuthError> {
    let number = |name: &str| -> Result<Option<u64>, AuthError> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Some)
                .ok_or_else(|| AuthError::InvalidRequest(format!("invalid {name} header"))),
        }
    };
    match payload {
        Payload::SignedChunks { .. } | Payload::UnsignedChunks { .. } => {
            number("x-amz-decoded-content-length")?
                .map(Some)
                .ok_or(AuthError::MissingContentLength)
        }
        Payload::Unsigned | Payload::Sha256(_) => number("content-length"),
    }
}

impl RequestBody {
    /// `declared_len`: `x-amz-decoded-content-length` for aws-chunked bodies, else
    /// `Content-Length` (`None` with `Transfer-Encoding: chunked`). See [`declared_len`].
    pub fn new(body: axum::body::Body, payload: Payload, declared_len: Option<u64>) -> Self {
        let decoding = match payload {
            Payload::Unsigned => Decoding::Plain { expected: None },
            Payload::Sha256(hash) => Decoding::Plain {
                expected: Some((hash, Sha256::new())),
            },
            Payload::SignedChunks { trailer, signer } => Decoding::Chunked(Box::new(
                ChunkDecoder::new(Some(signer), trailer, declared_len),
            )),
            Payload::UnsignedChunks { trailer } => {
                Decoding::Chunked(Box::new(ChunkDecoder::new(None, trailer, declared_len)))
            }
        };
        RequestBody {
            body,
            decoding,
            declared_len,
            received: 0,
            pending: Bytes::new(),
            eof: false,
            progress: Progress::Reading,
            trailers: Vec::new(),
            idle_timeout: None,
        }
    }

    /// Fail the body with [`AuthError::RequestTimeout`] when the client sends nothing for
    /// `idle` (a stalled or hostile client cannot hold a request open).
    pub fn with_idle_timeout(mut self, idle: std::time::Duration) -> Self {
        self.idle_timeout = Some(idle);
        self
    }

    /// The length the decoded body must have, when the request declared one.
    pub fn declared_len(&self) -> Option<u64> {
        self.declared_len
    }

    /// Next verified chunk of decoded object data; `Ok(None)` at a clean, fully verified end
    /// (SHA-256 checked, final chunk seen, trailer signature checked, length == declared).
    /// After an error, every later call returns the same error.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, AuthError> {
        match &self.progress {
            Progress::Done => return Ok(None),
            Progress::Failed(e) => return Err(e.clone()),
            Progress::Reading => {}
        }
        let result = match self.decoding {
            Decoding::Plain { .. } => self.next_plain().await,
            Decoding::Chunked(_) => self.next_chunked().await,
        };
        match &result {
            Ok(None) => self.progress = Progress::Done,
            Err(e) => self.progress = Progress::Failed(e.clone()),
            Ok(Some(_)) => {}
        }
        result
    }

    /// Trailing headers (lower-case name, value), available after `next_chunk` returned
    /// `Ok(None)`: the aws-chunked trailer, or HTTP/1.1 chunked trailers of a plain body.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// Collects the whole body (for small XML bodies), failing with `InvalidRequest` past
    /// `limit` bytes.
    pub async fn collect(mut self, limit: usize) -> Result<Bytes, AuthError> {
        let too_large =
            || AuthError::InvalidRequest(format!("The request body is larger than {limit} bytes."));
        if self.declared_len.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut out = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await? {
            if out.len() + chunk.len() > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// Reads the next frame into `pending`, or notes the end of the body.
    async fn read_frame(&mut self) -> Result<(), AuthError> {
        loop {
            let frame = match self.idle_timeout {
                Some(idle) => tokio::time::timeout(idle, self.body.frame())
                    .await
                    .map_err(|_| AuthError::RequestTimeout)?,
                None => self.body.frame().await,
            };
            match frame {
                None => {
                    self.eof = true;
                    return Ok(());
                }
                Some(Err(e)) => return Err(AuthError::Io(e.to_string())),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => {
                        self.pending = data;
                        return Ok(());
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            for (name, value) in &trailers {
                                if let Ok(value) = value.to_str() {
                                    self.trailers
                                        .push((name.as_str().to_owned(), value.trim().to_owned()));
                                }
                            }
                        }
                    }
                },
            }
        }
    }

    async fn next_plain(&mut self) -> Result<Option<Bytes>, AuthError> {
        self.read_frame().await?;
        if self.eof {
            if self.declared_len.is_some_and(|n| self.received < n) {
                return Err(AuthError::IncompleteBody);
            }
            if let Decoding::Plain {
                expected: Some((hash, hasher)),
            } = &mut self.decoding
            {
                let computed = std::mem::replace(hasher, Sha256::new()).finalize();
                if !crate::auth::sigv4::constant_time_eq(&computed, hash) {
                    return Err(AuthError::XAmzContentSHA256Mismatch);
                }
            }
            return Ok(None);
        }
        let data = std::mem::take(&mut self.pending);
        self.received += data.len() as u64;
        if self.declared_len.is_some_and(|n| self.received > n) {
            return Err(AuthError::InvalidRequest(
                "The request body is longer than its Content-Length.".to_owned(),
            ));
        }
        if let Decoding::Plain {
            expected: Some((_, hasher)),
        } = &mut self.decoding
        {
            hasher.update(&data);
        }
        Ok(Some(data))
    }

    async fn next_chunked(&mut self) -> Result<Option<Bytes>, AuthError> {
        let mut gathered = Gather::default();
        loop {
            let Decoding::Chunked(decoder) = &mut self.decoding else {
                return Ok(None);
            };
            if !self.pending.is_empty() {
                if let Some(data) = decoder.decode(&mut self.pending)? {
                    self.received += data.len() as u64;
                    if self.declared_len.is_some_and(|n| self.received > n) {
                        return Err(AuthError::IncompleteBody);
                    }
                    gathered.push(data);
                }
                // Merge small pieces already received rather than returning them one by one,
                // but never wait for more input while holding data.
                if gathered.len() >= COALESCE_LIMIT
                    || (self.pending.is_empty() && gathered.len() > 0)
                {
                    return Ok(gathered.take());
                }
                continue;
            }
            if self.eof {
                decoder.finish()?;
                if self.declared_len.is_some_and(|n| self.received != n) {
                    return Err(AuthError::IncompleteBody);
                }
                self.trailers.extend(decoder.trailers().iter().cloned());
                return Ok(None);
            }
            self.read_frame().await?;
        }
    }
}

/// Decoded pieces merged without copying the first one when it is alone.
#[derive(Default)]
struct Gather {
    first: Option<Bytes>,
    merged: BytesMut,
}

impl Gather {
    fn push(&mut self, data: Bytes) {
        if self.first.is_none() && self.merged.is_empty() {
            self.first = Some(data);
            return;
        }
        if let Some(first) = self.first.take() {
            self.merged.extend_from_slice(&first);
        }
        self.merged.extend_from_slice(&data);
    }

    fn len(&self) -> usize {
        self.first.as_ref().map_or(0, Bytes::len) + self.merged.len()
    }

    fn take(&mut self) -> Option<Bytes> {
        match self.first.take() {
            Some(first) => Some(first),
            None if self.merged.is_empty() => None,
            None => Some(self.merged.split().freeze()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::chunked::testing::{encode, example_signer};

    const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

    fn body_of(pieces: Vec<Vec<u8>>) -> axum::body::Body {
        let stream = futures::stream::iter(
            pieces
                .into_iter()
                .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
        );
        axum::body::Body::from_stream(stream)
    }

    fn split(data: &[u8], size: usize) -> Vec<Vec<u8>> {
        data.chunks(size.max(1)).map(<[u8]>::to_vec).collect()
    }

    async fn drain(body: &mut RequestBody) -> Result<Vec<u8>, AuthError> {
        let mut out = Vec::new();
        while let Some(chunk) = body.next_chunk().await? {
            assert!(!chunk.is_empty());
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn plain_body_with_matching_sha256() {
        let data = b"hello world".to_vec();
        let hash = crate::auth::sigv4::sha256(&data);
        let mut body = RequestBody::new(body_of(split(&data, 3)), Payload::Sha256(hash), Some(11));
        assert_eq!(drain(&mut body).await.unwrap(), data);
        assert_eq!(body.next_chunk().await.unwrap(), None);
    }

    #[tokio::test]
    async fn plain_body_with_wrong_sha256() {
        let hash = crate::auth::sigv4::sha256(b"something else");
        let mut body = RequestBody::new(
            body_of(vec![b"hello".to_vec()]),
            Payload::Sha256(hash),
            Some(5),
        );
        assert_eq!(
            drain(&mut body).await.unwrap_err(),
            AuthError::XAmzContentSHA256Mismatch
        );
        // The failure is sticky: the caller can never see a clean end afterwards.
        assert_eq!(
            body.next_chunk().await.unwrap_err(),
            AuthError::XAmzContentSHA256Mismatch
        );
    }

    #[tokio::test]
    async fn plain_body_shorter_than_content_length() {
        let mut body =
            RequestBody::new(body_of(vec![b"abc".to_vec()]), Payload::Unsigned, Some(10));
        assert_eq!(
            drain(&mut body).await.unwrap_err(),
            AuthError::IncompleteBody
        );
    }

    #[tokio::test]
    async fn plain_body_without_length() {
        let mut body = RequestBody::new(body_of(split(b"abcdef", 2)), Payload::Unsigned, None);
        assert_eq!(drain(&mut body).await.unwrap(), b"abcdef");
    }

    #[tokio::test]
    async fn connection_errors_are_io() {
        let stream = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            )),
        ]);
        let mut body = RequestBody::new(
            axum::body::Body::from_stream(stream),
            Payload::Unsigned,
            Some(10),
        );
        assert!(matches!(drain(&mut body).await, Err(AuthError::Io(_))));
    }

    #[tokio::test]
    async fn signed_chunks_in_any_pieces() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let chunks: Vec<&[u8]> = data.chunks(65_536).collect();
        let signer = example_signer(SEED);
        let wire = encode(
            &chunks,
            Some(signer.clone()),
            &[("x-amz-checksum-crc32", "AAAAAA==")],
        );
        for size in [1, 7, 1000, 70_000, wire.len()] {
            let payload = Payload::SignedChunks {
                trailer: true,
                signer: signer.clone(),
            };
            let mut body = RequestBody::new(
                body_of(split(&wire, size)),
                payload,
                Some(data.len() as u64),
            );
            assert_eq!(drain(&mut body).await.unwrap(), data, "pieces of {size}");
            assert_eq!(
                body.trailers(),
                &[("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]
            );
        }
    }

    #[tokio::test]
    async fn chunks_are_not_split_into_tiny_pieces() {
        let data = vec![7u8; 300_000];
        let chunks: Vec<&[u8]> = data.chunks(100).collect();
        let wire = encode(&chunks, None, &[]);
        let mut body = RequestBody::new(
            body_of(vec![wire]),
            Payload::UnsignedChunks { trailer: true },
            Some(300_000),
        );
        let first = body.next_chunk().await.unwrap().unwrap();
        assert_eq!(
            first.len(),
            300_000,
            "one frame of small chunks comes out as one piece"
        );
    }

    #[tokio::test]
    async fn chunked_length_must_match_declared() {
        let wire = encode(&[b"abc"], None, &[]);
        for declared in [2, 4] {
            let mut body = RequestBody::new(
                body_of(vec![wire.clone()]),
                Payload::UnsignedChunks { trailer: true },
                Some(declared),
            );
            assert_eq!(
                drain(&mut body).await.unwrap_err(),
                AuthError::IncompleteBody,
                "{declared}"
            );
        }
    }

    #[tokio::test]
    async fn truncated_chunked_body_is_incomplete() {
        let wire = encode(&[b"abcdef"], Some(example_signer(SEED)), &[]);
        let payload = Payload::SignedChunks {
            trailer: false,
            signer: example_signer(SEED),
        };
        let mut body = RequestBody::new(
            body_of(vec![wire[..wire.len() - 10].to_vec()]),
            payload,
            Some(6),
        );
        assert_eq!(
            drain(&mut body).await.unwrap_err(),
            AuthError::IncompleteBody
        );
    }

    #[tokio::test]
    async fn collect_small_and_too_large() {
        let body = RequestBody::new(body_of(split(b"<xml/>", 2)), Payload::Unsigned, Some(6));
        assert_eq!(
            body.collect(100).await.unwrap(),
            Bytes::from_static(b"<xml/>")
        );
        let body = RequestBody::new(body_of(vec![vec![0; 50]]), Payload::Unsigned, None);
        assert!(matches!(
            body.collect(10).await,
            Err(AuthError::InvalidRequest(_))
        ));
        let body = RequestBody::new(body_of(vec![vec![0; 50]]), Payload::Unsigned, Some(50));
        assert!(matches!(
            body.collect(10).await,
            Err(AuthError::InvalidRequest(_))
        ));
    }

    #[test]
    fn declared_len_rules() {
        let mut headers = http::HeaderMap::new();
        headers.insert("content-length", "100".parse().unwrap());
        assert_eq!(
            declared_len(&headers, &Payload::Unsigned).unwrap(),
            Some(100)
        );
        let chunked = Payload::UnsignedChunks { trailer: true };
        assert_eq!(
            declared_len(&headers, &chunked).unwrap_err(),
            AuthError::MissingContentLength
        );
        headers.insert("x-amz-decoded-content-length", "66".parse().unwrap());
        assert_eq!(declared_len(&headers, &chunked).unwrap(), Some(66));
        headers.insert("content-length", "x".parse().unwrap());
        assert!(declared_len(&headers, &Payload::Unsigned).is_err());
        assert_eq!(
            declared_len(&http::HeaderMap::new(), &Payload::Unsigned).unwrap(),
            None
        );
    }
}
