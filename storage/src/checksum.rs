//! Checksums and ETags: the S3 checksum algorithms, the incremental [`Checksummer`], the
//! hasher set a blob writer feeds (MD5 always plus what was asked), and the multipart ETag /
//! composite checksum formulas. Pure computation: no I/O, no metadata.

use base64::Engine as _;
use md5::{Digest as _, Md5};

use crate::ChecksumAlgorithm;

impl ChecksumAlgorithm {
    /// Every algorithm, in S3 order.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The S3 spelling (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// Parse the S3 spelling, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }

    /// The header that carries it: `x-amz-checksum-crc32`, ...
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }
}

/// Incremental hasher for one algorithm; also usable by the server (e.g. for trailers).
#[derive(Clone)]
pub struct Checksummer {
    state: State,
}

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Checksummer {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => State::Crc64Nvme(crc64fast_nvme::Digest::new()),
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        };
        Checksummer { state }
    }

    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            State::Crc32(_) => ChecksumAlgorithm::Crc32,
            State::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            State::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            State::Sha1(_) => ChecksumAlgorithm::Sha1,
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32(h) => h.update(data),
            State::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            State::Crc64Nvme(d) => d.write(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// Raw digest bytes (big-endian for the CRCs, as S3 encodes them before base64).
    pub fn finish(self) -> Vec<u8> {
        match self.state {
            State::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc32c(c) => c.to_be_bytes().to_vec(),
            State::Crc64Nvme(d) => d.sum64().to_be_bytes().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }

    /// One-shot digest of `data`.
    pub fn digest(algorithm: ChecksumAlgorithm, data: &[u8]) -> Vec<u8> {
        let mut c = Checksummer::new(algorithm);
        c.update(data);
        c.finish()
    }
}

/// base64 as S3 transports checksums.
pub(crate) fn to_base64(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The hashers one blob writer feeds: MD5 always, plus the requested algorithms.
pub(crate) struct Hashes {
    md5: Md5,
    extra: Vec<Checksummer>,
}

/// What [`Hashes`] computed.
pub(crate) struct Digests {
    pub md5: [u8; 16],
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
}

impl Hashes {
    pub fn new(algorithms: &[ChecksumAlgorithm]) -> Self {
        let mut algs = algorithms.to_vec();
        algs.sort();
        algs.dedup();
        Hashes {
            md5: Md5::new(),
            extra: algs.into_iter().map(Checksummer::new).collect(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        for c in &mut self.extra {
            c.update(data);
        }
    }

    pub fn finish(self) -> Digests {
        Digests {
            md5: self.md5.finalize().into(),
            checksums: self
                .extra
                .into_iter()
                .map(|c| (c.algorithm(), c.finish()))
                .collect(),
        }
    }
}

/// Raw MD5 of `data`.
#[cfg(test)]
pub(crate) fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// S3 multipart ETag: `hex(md5(concat(binary part md5s)))-N`.
pub(crate) fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut h = Md5::new();
    for m in part_md5s {
        h.update(m);
    }
    let digest: [u8; 16] = h.finalize().into();
    format!("{}-{}", hex::encode(digest), part_md5s.len())
}

/// S3 COMPOSITE checksum of a multipart object: `base64(algo(concat(raw part checksums)))-N`.
/// CRC64NVME has no composite form in S3 (it is FULL_OBJECT only), so callers skip it.
pub(crate) fn composite_checksum(algorithm: ChecksumAlgorithm, part_checksums: &[&[u8]]) -> String {
    let mut c = Checksummer::new(algorithm);
    for p in part_checksums {
        c.update(p);
    }
    format!("{}-{}", to_base64(&c.finish()), part_checksums.len())
}

/// Parse an ETag as a client sends it (quotes ignored) into a raw MD5, if it is one.
pub(crate) fn parse_md5_etag(etag: &str) -> Option<[u8; 16]> {
    let raw = hex::decode(etag.trim().trim_matches('"')).ok()?;
    raw.try_into().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_check_values() {
        let v = b"123456789";
        let crc = |a| Checksummer::digest(a, v);
        assert_eq!(crc(ChecksumAlgorithm::Crc32), 0xCBF4_3926u32.to_be_bytes());
        assert_eq!(crc(ChecksumAlgorithm::Crc32c), 0xE306_9283u32.to_be_bytes());
        assert_eq!(
            crc(ChecksumAlgorithm::Crc64Nvme),
            0xAE8B_1486_0A79_9888u64.to_be_bytes()
        );
        assert_eq!(
            hex::encode(Checksummer::digest(ChecksumAlgorithm::Sha1, b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex::encode(Checksummer::digest(ChecksumAlgorithm::Sha256, b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex::encode(md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
        for a in ChecksumAlgorithm::ALL {
            let mut c = Checksummer::new(a);
            for chunk in data.chunks(333) {
                c.update(chunk);
            }
            assert_eq!(c.finish(), Checksummer::digest(a, &data), "{a}");
        }
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::parse(a.as_str()), Some(a));
            assert_eq!(
                ChecksumAlgorithm::parse(&a.as_str().to_lowercase()),
                Some(a)
            );
            assert!(a.header_name().ends_with(&a.as_str().to_lowercase()));
        }
        assert_eq!(ChecksumAlgorithm::parse("md5"), None);
    }

    #[test]
    fn multipart_etag_formula() {
        // md5("a") and md5("b"), concatenated raw, hashed again.
        let a = md5(b"a");
        let b = md5(b"b");
        let mut cat = a.to_vec();
        cat.extend_from_slice(&b);
        assert_eq!(
            multipart_etag(&[a, b]),
            format!("{}-2", hex::encode(md5(&cat)))
        );
        assert!(multipart_etag(&[a]).ends_with("-1"));
    }

    #[test]
    fn composite_checksum_formula() {
        let p1 = Checksummer::digest(ChecksumAlgorithm::Crc32, b"part one");
        let p2 = Checksummer::digest(ChecksumAlgorithm::Crc32, b"part two");
        let mut cat = p1.clone();
        cat.extend_from_slice(&p2);
        let expected = format!(
            "{}-2",
            to_base64(&Checksummer::digest(ChecksumAlgorithm::Crc32, &cat))
        );
        assert_eq!(
            composite_checksum(ChecksumAlgorithm::Crc32, &[&p1, &p2]),
            expected
        );
    }

    #[test]
    fn etag_parsing_ignores_quotes() {
        let m = md5(b"x");
        let h = hex::encode(m);
        assert_eq!(parse_md5_etag(&format!("\"{h}\"")), Some(m));
        assert_eq!(parse_md5_etag(&h.to_uppercase()), Some(m));
        assert_eq!(parse_md5_etag("abc-2"), None);
    }
}
