//! The `aws-chunked` body decoder: a push-driven state machine with bounded buffering.
//!
//! Framing (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>):
//!
//! ```text
//! hex-size[;chunk-signature=sig]\r\n <size bytes> \r\n     (repeated)
//! 0[;chunk-signature=sig]\r\n
//! then `\r\n`, or trailer lines `name:value\r\n` (+ `x-amz-trailer-signature:sig\r\n`) and `\r\n`
//! ```
//!
//! Bounds: at most one header or trailer line ([`MAX_LINE`]) is buffered; signed chunks are
//! buffered whole (their signature covers the whole chunk, so nothing may be released before
//! it is checked) and capped at [`MAX_SIGNED_CHUNK`]; unsigned chunk data is passed through
//! as it arrives. This module does no I/O: [`crate::body::RequestBody`] feeds it.
//!
//! Leniency where SDKs differ at the end of the body: the trailer section may be preceded by
//! an empty line (the AWS docs' example) or not (the SDKs), and its final line may end at EOF
//! without `\r\n`.

use bytes::{Buf, Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::{AuthError, ChunkSigner};

/// Longest chunk-header or trailer line accepted.
pub const MAX_LINE: usize = 4096;
/// Largest signed chunk accepted (SDKs use 64 KiB to 8 MiB).
pub const MAX_SIGNED_CHUNK: u64 = 16 * 1024 * 1024;
/// Most trailer lines accepted.
const MAX_TRAILER_LINES: usize = 32;
/// How much of an announced signed chunk is reserved up front (the rest grows as data comes).
const INITIAL_RESERVE: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a `hex-size[;ext]` line.
    Header,
    /// Inside the data of a chunk.
    Data { remaining: u64 },
    /// Expecting the `\r\n` after chunk data; `matched` bytes of it seen.
    DataEnd { matched: u8 },
    /// After the final (zero-size) chunk: trailer lines and the closing empty line.
    Trailers,
    /// Fully decoded and verified.
    Done,
}

/// Decodes (and for signed bodies verifies) an aws-chunked body fed in arbitrary pieces.
#[derive(Debug)]
pub struct ChunkDecoder {
    state: State,
    signer: Option<ChunkSigner>,
    trailer: bool,
    declared: Option<u64>,
    /// Sum of the announced chunk sizes so far.
    announced: u64,
    line: Vec<u8>,
    chunk_signature: Option<String>,
    chunk: BytesMut,
    hasher: Sha256,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    trailer_lines: usize,
}

impl ChunkDecoder {
    /// `signer`: `Some` for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`; `trailer`: whether
    /// a trailer section is announced; `declared`: `x-amz-decoded-content-length`, if known.
    pub fn new(signer: Option<ChunkSigner>, trailer: bool, declared: Option<u64>) -> Self {
        ChunkDecoder {
            state: State::Header,
            signer,
            trailer,
            declared,
            announced: 0,
            line: Vec::new(),
            chunk_signature: None,
            chunk: BytesMut::new(),
            hasher: Sha256::new(),
            trailers: Vec::new(),
            trailer_signature: None,
            trailer_lines: 0,
        }
    }

    /// Whether the final chunk and the trailer section were decoded and verified.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The trailing headers (lower-case names), complete once [`Self::is_done`].
    /// `x-amz-trailer-signature` is not among them.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// Consumes bytes from the front of `input`. Returns `Ok(Some(data))` as soon as decoded
    /// (and, for signed bodies, verified) data is ready, leaving the rest of `input` for the
    /// next call; returns `Ok(None)` once `input` is used up.
    pub fn decode(&mut self, input: &mut Bytes) -> Result<Option<Bytes>, AuthError> {
        while !input.is_empty() {
            match self.state {
                State::Header => {
                    if let Some(line) = self.take_line(input)? {
                        self.on_header(&line)?;
                    }
                }
                State::Data { remaining } => {
                    let n = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let piece = input.split_to(n);
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd { matched: 0 }
                    } else {
                        State::Data { remaining }
                    };
                    if self.signer.is_none() {
                        return Ok(Some(piece));
                    }
                    self.hasher.update(&piece);
                    self.chunk.extend_from_slice(&piece);
                    if remaining == 0 {
                        return self.finish_signed_chunk().map(Some);
                    }
                }
                State::DataEnd { matched } => {
                    let expected = if matched == 0 { b'\r' } else { b'\n' };
                    if input[0] != expected {
                        return Err(AuthError::InvalidChunk(
                            "chunk data is longer than announced or not followed by CRLF"
                                .to_owned(),
                        ));
                    }
                    input.advance(1);
                    self.state = if matched == 0 {
                        State::DataEnd { matched: 1 }
                    } else {
                        State::Header
                    };
                }
                State::Trailers => {
                    if let Some(line) = self.take_line(input)? {
                        self.on_trailer_line(&line)?;
                    }
                }
                State::Done => {
                    // Tolerate stray line ends after the end; anything else is garbage.
                    if input.iter().all(|&b| b == b'\r' || b == b'\n') {
                        input.clear();
                    } else {
                        return Err(AuthError::InvalidChunk(
                            "data after the final chunk".to_owned(),
                        ));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Called at the end of the input: checks that the body was complete, finishing a last
    /// trailer line that ends without `\r\n` and verifying the trailer signature.
    pub fn finish(&mut self) -> Result<(), AuthError> {
        match self.state {
            State::Done => Ok(()),
            State::Trailers => {
                if !self.line.is_empty() {
                    let mut line = std::mem::take(&mut self.line);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.on_trailer_line(&line)?;
                }
                if self.state != State::Done {
                    self.complete()?;
                }
                Ok(())
            }
            // Missing final chunk, or cut inside a chunk.
            State::Header | State::Data { .. } | State::DataEnd { .. } => {
                Err(AuthError::IncompleteBody)
            }
        }
    }

    /// Moves bytes up to and including `\n` into the line buffer; returns the line (without
    /// `\r\n` or `\n`) when complete.
    fn take_line(&mut self, input: &mut Bytes) -> Result<Option<Vec<u8>>, AuthError> {
        let (take, complete) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (input.len(), false),
        };
        if self.line.len() + take > MAX_LINE {
            return Err(AuthError::InvalidChunk(format!(
                "chunk header or trailer line longer than {MAX_LINE} bytes"
            )));
        }
        self.line.extend_from_slice(&input[..take]);
        if !complete {
            input.clear();
            return Ok(None);
        }
        input.advance(take + 1);
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(Some(line))
    }

    fn on_header(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let malformed = || AuthError::InvalidChunk("malformed chunk header".to_owned());
        let text = std::str::from_utf8(line).map_err(|_| malformed())?;
        let mut fields = text.split(';');
        let size = fields.next().unwrap_or("").trim();
        if size.is_empty() || size.len() > 16 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed());
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| malformed())?;
        let mut signature = None;
        for extension in fields {
            if let Some((name, value)) = extension.split_once('=') {
                if name.trim() == "chunk-signature" {
                    signature = Some(value.trim().to_owned());
                }
            }
        }
        if self.signer.is_some() {
            if signature.is_none() {
                return Err(AuthError::InvalidChunk(
                    "missing chunk-signature".to_owned(),
                ));
            }
            if size > MAX_SIGNED_CHUNK {
                return Err(AuthError::InvalidChunk(format!(
                    "signed chunk of {size} bytes is larger than the {MAX_SIGNED_CHUNK} accepted"
                )));
            }
        }
        self.announced = self.announced.checked_add(size).ok_or_else(malformed)?;
        if self
            .declared
            .is_some_and(|declared| self.announced > declared)
        {
            // More data than x-amz-decoded-content-length: the lengths disagree.
            return Err(AuthError::IncompleteBody);
        }
        if size == 0 {
            if let (Some(signer), Some(signature)) = (self.signer.as_mut(), signature.as_deref()) {
                signer.verify_chunk(&super::sigv4::sha256(b""), signature)?;
            }
            self.state = State::Trailers;
        } else {
            if self.signer.is_some() {
                self.chunk_signature = signature;
                self.hasher = Sha256::new();
                self.chunk.reserve(
                    usize::try_from(size)
                        .unwrap_or(usize::MAX)
                        .min(INITIAL_RESERVE),
                );
            }
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    fn finish_signed_chunk(&mut self) -> Result<Bytes, AuthError> {
        let hasher = std::mem::replace(&mut self.hasher, Sha256::new());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&hasher.finalize());
        let signature = self.chunk_signature.take().unwrap_or_default();
        if let Some(signer) = self.signer.as_mut() {
            signer.verify_chunk(&hash, &signature)?;
        }
        Ok(self.chunk.split().freeze())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        if line.is_empty() {
            // Before any trailer, an empty line in a trailer body may be the separator of the
            // AWS docs' example (or the end, when no trailer follows: then EOF comes next).
            if self.trailer && self.trailers.is_empty() && self.trailer_signature.is_none() {
                return Ok(());
            }
            return self.complete();
        }
        if !self.trailer {
            return Err(AuthError::InvalidChunk(
                "trailing headers were not announced".to_owned(),
            ));
        }
        self.trailer_lines += 1;
        if self.trailer_lines > MAX_TRAILER_LINES {
            return Err(AuthError::InvalidChunk(
                "too many trailing headers".to_owned(),
            ));
        }
        let text = std::str::from_utf8(line).map_err(|_| {
            AuthError::InvalidChunk("trailing header is not valid UTF-8".to_owned())
        })?;
        let Some((name, value)) = text.split_once(':') else {
            return Err(AuthError::InvalidChunk(
                "malformed trailing header".to_owned(),
            ));
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if name.is_empty() {
            return Err(AuthError::InvalidChunk(
                "malformed trailing header".to_owned(),
            ));
        }
        if name == "x-amz-trailer-signature" {
            self.trailer_signature = Some(value);
        } else {
            self.trailers.push((name, value));
        }
        Ok(())
    }

    /// The end of the body: verifies the trailer signature of a signed trailer body.
    fn complete(&mut self) -> Result<(), AuthError> {
        if self.trailer {
            if let Some(signer) = self.signer.as_mut() {
                let signature = self
                    .trailer_signature
                    .as_deref()
                    .ok_or(AuthError::SignatureDoesNotMatch)?;
                signer.verify_trailer(&canonical_trailers(&self.trailers), signature)?;
            }
        }
        self.state = State::Done;
        Ok(())
    }
}

/// The trailing headers as signed: `name:value\n` per header, sorted by name.
pub fn canonical_trailers(trailers: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
    sorted.sort();
    let mut out = Vec::new();
    for (name, value) in sorted {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Encoders used by the tests of this module and of `body`: what SDKs put on the wire.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The body of the AWS chunked-upload example: 64 KiB + 1 KiB of `a`, with the chunk
    /// signatures the docs give.
    pub fn aws_example_body() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(
            b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
        );
        body.extend_from_slice(&[b'a'; 65536]);
        body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
        body
    }

    /// Encodes `chunks` (each one chunk; an empty final chunk is added) as aws-chunked,
    /// signing each chunk with `signer` when given, followed by `trailers` (signed with
    /// `x-amz-trailer-signature` when there is a signer).
    pub fn encode(
        chunks: &[&[u8]],
        mut signer: Option<ChunkSigner>,
        trailers: &[(&str, &str)],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut all: Vec<&[u8]> = chunks.iter().copied().filter(|c| !c.is_empty()).collect();
        all.push(b"");
        for chunk in all {
            out.extend_from_slice(format!("{:x}", chunk.len()).as_bytes());
            if let Some(signer) = signer.as_mut() {
                let hash = crate::auth::sigv4::sha256(chunk);
                let signature = signer.expected_chunk_signature(&hash);
                signer.verify_chunk(&hash, &signature).unwrap();
                out.extend_from_slice(format!(";chunk-signature={signature}").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            if !chunk.is_empty() {
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
        }
        for (name, value) in trailers {
            out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        }
        if let (Some(signer), false) = (signer.as_ref(), trailers.is_empty()) {
            let owned: Vec<(String, String)> = trailers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            let signature = signer.expected_trailer_signature(&canonical_trailers(&owned));
            out.extend_from_slice(format!("x-amz-trailer-signature:{signature}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// A signer with the key, date and scope of the AWS examples and the given seed.
    pub fn example_signer(seed: &str) -> ChunkSigner {
        let key = crate::auth::sigv4::signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        );
        ChunkSigner::new(
            key,
            "20130524T000000Z".to_owned(),
            "20130524/us-east-1/s3/aws4_request".to_owned(),
            seed.to_owned(),
        )
    }

    /// Decoded data and trailers.
    pub type Decoded = (Vec<u8>, Vec<(String, String)>);

    /// Feeds `input` to a decoder in pieces of the given sizes (cycled), collecting output.
    pub fn decode_in_pieces(
        mut decoder: ChunkDecoder,
        input: &[u8],
        sizes: &[usize],
    ) -> Result<Decoded, AuthError> {
        let mut out = Vec::new();
        let mut offset = 0;
        let mut i = 0;
        while offset < input.len() {
            let size = sizes[i % sizes.len()].max(1).min(input.len() - offset);
            i += 1;
            let mut piece = Bytes::copy_from_slice(&input[offset..offset + size]);
            offset += size;
            while let Some(data) = decoder.decode(&mut piece)? {
                out.extend_from_slice(&data);
            }
        }
        decoder.finish()?;
        Ok((out, decoder.trailers().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";

    /// The body of the AWS trailer example, in the SDKs' layout (no empty line between the
    /// final chunk and the trailer).
    fn aws_trailer_body(docs_separator: bool) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(
            b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n",
        );
        body.extend_from_slice(&[b'a'; 65536]);
        body.extend_from_slice(b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
        if docs_separator {
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
        body.extend_from_slice(
            b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n",
        );
        body
    }

    #[test]
    fn aws_example_chunk_signatures() {
        let mut signer = example_signer(SEED);
        let big = sigv4_sha(&[b'a'; 65536]);
        assert_eq!(
            signer.expected_chunk_signature(&big),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        signer
            .verify_chunk(
                &big,
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            )
            .unwrap();
        let small = sigv4_sha(&[b'a'; 1024]);
        assert_eq!(
            signer.expected_chunk_signature(&small),
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
    }

    fn sigv4_sha(data: &[u8]) -> [u8; 32] {
        crate::auth::sigv4::sha256(data)
    }

    #[test]
    fn aws_example_body_decodes() {
        let decoder = ChunkDecoder::new(Some(example_signer(SEED)), false, Some(66560));
        let (out, trailers) =
            decode_in_pieces(decoder, &aws_example_body(), &[usize::MAX]).unwrap();
        assert_eq!(out, vec![b'a'; 66560]);
        assert!(trailers.is_empty());
        assert_eq!(
            aws_example_body().len(),
            66824,
            "the documented Content-Length"
        );
    }

    #[test]
    fn aws_trailer_example_decodes_in_both_layouts() {
        for docs_separator in [false, true] {
            let decoder = ChunkDecoder::new(Some(example_signer(TRAILER_SEED)), true, Some(66560));
            let (out, trailers) =
                decode_in_pieces(decoder, &aws_trailer_body(docs_separator), &[1000]).unwrap();
            assert_eq!(out.len(), 66560);
            assert_eq!(
                trailers,
                vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())]
            );
        }
    }

    #[test]
    fn aws_trailer_example_without_final_empty_line() {
        let mut body = aws_trailer_body(false);
        body.truncate(body.len() - 4); // drop "\r\n\r\n" after the signature
        let decoder = ChunkDecoder::new(Some(example_signer(TRAILER_SEED)), true, Some(66560));
        let (_, trailers) = decode_in_pieces(decoder, &body, &[7]).unwrap();
        assert_eq!(trailers.len(), 1);
    }

    #[test]
    fn every_split_position_decodes() {
        let signer = example_signer(SEED);
        let body = encode(&[b"hello ", b"world", b"!"], Some(signer.clone()), &[]);
        for split in 0..=body.len() {
            let mut decoder = ChunkDecoder::new(Some(signer.clone()), false, Some(12));
            let mut out = Vec::new();
            for part in [&body[..split], &body[split..]] {
                let mut piece = Bytes::copy_from_slice(part);
                while let Some(d) = decoder.decode(&mut piece).unwrap() {
                    out.extend_from_slice(&d);
                }
            }
            decoder.finish().unwrap();
            assert_eq!(out, b"hello world!", "split at {split}");
        }
    }

    #[test]
    fn one_and_seven_byte_pieces() {
        let signer = example_signer(TRAILER_SEED);
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let body = encode(
            &[&data[..3000], &data[3000..]],
            Some(signer.clone()),
            &[("x-amz-checksum-crc32", "AAAAAA==")],
        );
        for sizes in [&[1usize][..], &[7], &[3, 100, 1, 4096, 13]] {
            let decoder = ChunkDecoder::new(Some(signer.clone()), true, Some(5000));
            let (out, trailers) = decode_in_pieces(decoder, &body, sizes).unwrap();
            assert_eq!(out, data);
            assert_eq!(
                trailers,
                vec![("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]
            );
        }
    }

    #[test]
    fn unsigned_trailer_body() {
        let body = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n";
        let decoder = ChunkDecoder::new(None, true, Some(3));
        let (out, trailers) = decode_in_pieces(decoder, body, &[1]).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_owned(), "NSRBwg==".to_owned())]
        );
    }

    #[test]
    fn unsigned_trailer_body_without_trailers() {
        let decoder = ChunkDecoder::new(None, true, Some(3));
        let (out, trailers) = decode_in_pieces(decoder, b"3\r\nabc\r\n0\r\n\r\n", &[2]).unwrap();
        assert_eq!(out, b"abc");
        assert!(trailers.is_empty());
    }

    #[test]
    fn tampered_chunk_signature_is_refused() {
        let mut body = aws_example_body();
        body[30] = if body[30] == b'0' { b'1' } else { b'0' };
        let decoder = ChunkDecoder::new(Some(example_signer(SEED)), false, Some(66560));
        assert_eq!(
            decode_in_pieces(decoder, &body, &[4096]).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
    }

    #[test]
    fn tampered_data_is_refused_before_release() {
        let mut body = aws_example_body();
        body[100] = b'b';
        let mut decoder = ChunkDecoder::new(Some(example_signer(SEED)), false, Some(66560));
        let mut input = Bytes::from(body);
        // The first chunk is never released.
        assert_eq!(
            decoder.decode(&mut input).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
    }

    #[test]
    fn tampered_trailer_is_refused() {
        let body = aws_trailer_body(false);
        let text = String::from_utf8(body)
            .unwrap()
            .replace("sOO8/Q==", "AAAAAA==");
        let decoder = ChunkDecoder::new(Some(example_signer(TRAILER_SEED)), true, Some(66560));
        assert_eq!(
            decode_in_pieces(decoder, text.as_bytes(), &[512]).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
    }

    #[test]
    fn missing_trailer_signature_is_refused() {
        let body = encode(&[b"abc"], Some(example_signer(SEED)), &[]);
        let decoder = ChunkDecoder::new(Some(example_signer(SEED)), true, Some(3));
        assert_eq!(
            decode_in_pieces(decoder, &body, &[64]).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
    }

    #[test]
    fn reordered_chunks_are_refused() {
        let signer = example_signer(SEED);
        let one = encode(&[b"first"], Some(signer.clone()), &[]);
        let two = encode(&[b"second"], Some(signer.clone()), &[]);
        // The second body's first chunk is signed with the same seed, but splicing it after
        // the first chunk breaks the chain.
        let first_chunk_end = one.windows(7).position(|w| w == b"first\r\n").unwrap() + 7;
        let mut spliced = one[..first_chunk_end].to_vec();
        spliced.extend_from_slice(&two);
        let decoder = ChunkDecoder::new(Some(signer), false, None);
        assert_eq!(
            decode_in_pieces(decoder, &spliced, &[5]).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
    }

    #[test]
    fn truncated_bodies_are_incomplete() {
        let body = aws_example_body();
        for cut in [0, 10, 90, 1000, 65626, 65630, body.len() - 90] {
            let decoder = ChunkDecoder::new(Some(example_signer(SEED)), false, Some(66560));
            assert_eq!(
                decode_in_pieces(decoder, &body[..cut], &[333]).unwrap_err(),
                AuthError::IncompleteBody,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn missing_final_chunk_is_incomplete() {
        let decoder = ChunkDecoder::new(None, true, None);
        assert_eq!(
            decode_in_pieces(decoder, b"3\r\nabc\r\n", &[1]).unwrap_err(),
            AuthError::IncompleteBody
        );
    }

    #[test]
    fn chunk_longer_than_announced_is_refused() {
        let decoder = ChunkDecoder::new(None, true, None);
        assert!(matches!(
            decode_in_pieces(decoder, b"3\r\nabcd\r\n0\r\n\r\n", &[1]).unwrap_err(),
            AuthError::InvalidChunk(_)
        ));
    }

    #[test]
    fn oversized_signed_chunk_is_refused() {
        let header = format!("{:x};chunk-signature={}\r\n", MAX_SIGNED_CHUNK + 1, SEED);
        let decoder = ChunkDecoder::new(Some(example_signer(SEED)), false, None);
        assert!(matches!(
            decode_in_pieces(decoder, header.as_bytes(), &[100]).unwrap_err(),
            AuthError::InvalidChunk(_)
        ));
    }

    #[test]
    fn more_data_than_declared_is_refused_early() {
        let decoder = ChunkDecoder::new(None, true, Some(2));
        assert_eq!(
            decode_in_pieces(decoder, b"3\r\n", &[1]).unwrap_err(),
            AuthError::IncompleteBody
        );
    }

    #[test]
    fn garbage_headers_are_refused() {
        for body in [
            &b"zz\r\n"[..],
            b"\r\n",
            b";chunk-signature=00\r\n",
            b"-1\r\n",
            b"12345678901234567\r\n",
            b"3 abc\r\n",
            b"\xff\r\n",
        ] {
            let decoder = ChunkDecoder::new(None, true, None);
            assert!(
                matches!(
                    decode_in_pieces(decoder, body, &[3]),
                    Err(AuthError::InvalidChunk(_))
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn endless_header_line_is_capped() {
        let decoder = ChunkDecoder::new(None, true, None);
        let body = vec![b'1'; MAX_LINE + 1];
        assert!(matches!(
            decode_in_pieces(decoder, &body, &[1000]),
            Err(AuthError::InvalidChunk(_))
        ));
    }

    #[test]
    fn signed_chunk_without_signature_is_refused() {
        let decoder = ChunkDecoder::new(Some(example_signer(SEED)), false, None);
        assert!(matches!(
            decode_in_pieces(decoder, b"3\r\nabc\r\n0\r\n\r\n", &[100]),
            Err(AuthError::InvalidChunk(_))
        ));
    }

    #[test]
    fn data_after_the_end_is_refused() {
        let decoder = ChunkDecoder::new(None, true, None);
        assert!(matches!(
            decode_in_pieces(decoder, b"0\r\na:b\r\n\r\nmore", &[100]),
            Err(AuthError::InvalidChunk(_))
        ));
    }

    #[test]
    fn unannounced_trailers_are_refused() {
        let body = encode(
            &[b"abc"],
            Some(example_signer(SEED)),
            &[("x-amz-checksum-crc32", "AAAAAA==")],
        );
        let decoder = ChunkDecoder::new(Some(example_signer(SEED)), false, None);
        assert!(matches!(
            decode_in_pieces(decoder, &body, &[100]),
            Err(AuthError::InvalidChunk(_))
        ));
    }

    #[test]
    fn unsigned_data_passes_through_without_waiting_for_the_chunk() {
        let mut decoder = ChunkDecoder::new(None, true, None);
        let mut input = Bytes::from_static(b"10\r\n0123");
        assert_eq!(
            decoder.decode(&mut input).unwrap().as_deref(),
            Some(&b"0123"[..])
        );
    }

    proptest! {
        #[test]
        fn encode_decode_identity(
            data in proptest::collection::vec(any::<u8>(), 0..20_000),
            chunk_size in 1usize..5000,
            pieces in proptest::collection::vec(1usize..3000, 1..8),
            signed in any::<bool>(),
            with_trailer in any::<bool>(),
        ) {
            let chunks: Vec<&[u8]> = data.chunks(chunk_size).collect();
            let signer = signed.then(|| example_signer(SEED));
            let trailers: &[(&str, &str)] = if with_trailer { &[("x-amz-checksum-crc32c", "abcd")] } else { &[] };
            let body = encode(&chunks, signer.clone(), trailers);
            let decoder = ChunkDecoder::new(signer, with_trailer || !signed, Some(data.len() as u64));
            let (out, got_trailers) = decode_in_pieces(decoder, &body, &pieces).unwrap();
            prop_assert_eq!(out, data);
            prop_assert_eq!(got_trailers.len(), trailers.len());
        }

        #[test]
        fn arbitrary_input_never_panics(
            body in proptest::collection::vec(any::<u8>(), 0..400),
            signed in any::<bool>(),
        ) {
            let decoder = ChunkDecoder::new(signed.then(|| example_signer(SEED)), true, Some(100));
            let _ = decode_in_pieces(decoder, &body, &[17]);
        }
    }
}
