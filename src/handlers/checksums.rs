//! What a request says its body must hash to: `Content-MD5`, `x-amz-checksum-*`,
//! `x-amz-sdk-checksum-algorithm` and checksums announced for the trailer ([`ChecksumPlan`]),
//! decoded and checked for shape with AWS's errors. PUT, UploadPart, form uploads and small
//! request documents verify against it.

use base64::Engine as _;
use http::HeaderMap;
use storage::{ChecksumAlgorithm, Expect};

use super::headers::header;
use crate::error::{S3Error, S3ErrorCode};

const ALGORITHMS: [ChecksumAlgorithm; 5] = [
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32c,
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Sha1,
    ChecksumAlgorithm::Sha256,
];

/// Which checksums a body must be hashed with, and what it must match.
#[derive(Debug, Default)]
pub struct ChecksumPlan {
    pub algorithms: Vec<ChecksumAlgorithm>,
    pub expect: Expect,
    /// Algorithms whose expected value arrives in the body's trailer.
    pub trailer: Vec<ChecksumAlgorithm>,
}

impl ChecksumPlan {
    /// From Content-MD5, `x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm` and
    /// `x-amz-trailer`. `size` is the declared body length, if known.
    pub fn from_headers(headers: &HeaderMap, size: Option<u64>) -> Result<ChecksumPlan, S3Error> {
        let mut plan = ChecksumPlan {
            expect: Expect {
                size,
                ..Default::default()
            },
            ..Default::default()
        };
        if let Some(md5) = header(headers, "content-md5") {
            plan.expect.md5 = Some(decode_md5(md5)?);
        }
        for algorithm in ALGORITHMS {
            if let Some(value) = header(headers, algorithm.header_name()) {
                plan.expect
                    .checksums
                    .push((algorithm, decode_checksum(algorithm, value)?));
                plan.add(algorithm);
            }
        }
        if let Some(name) = header(headers, "x-amz-sdk-checksum-algorithm") {
            let algorithm = ChecksumAlgorithm::parse(name).ok_or_else(|| {
                S3Error::new(
                    S3ErrorCode::InvalidRequest,
                    format!("Unsupported checksum algorithm: {name}"),
                )
            })?;
            plan.add(algorithm);
        }
        if let Some(trailer) = header(headers, "x-amz-trailer") {
            for name in trailer.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let algorithm = ALGORITHMS
                    .into_iter()
                    .find(|a| a.header_name().eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        S3Error::new(
                            S3ErrorCode::InvalidRequest,
                            format!("Unsupported trailer: {name}"),
                        )
                    })?;
                plan.add(algorithm);
                plan.trailer.push(algorithm);
            }
        }
        Ok(plan)
    }

    /// Also hash the body with `algorithm` (no expected value).
    pub fn add(&mut self, algorithm: ChecksumAlgorithm) {
        if !self.algorithms.contains(&algorithm) {
            self.algorithms.push(algorithm);
        }
    }

    /// Fold the body's trailers into the expectations (after the body ended).
    pub fn apply_trailers(&mut self, trailers: &[(String, String)]) -> Result<(), S3Error> {
        for algorithm in std::mem::take(&mut self.trailer) {
            let value = trailers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(algorithm.header_name()))
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| {
                    S3Error::new(
                        S3ErrorCode::InvalidRequest,
                        format!(
                            "The {} trailer announced in x-amz-trailer is missing",
                            algorithm.header_name()
                        ),
                    )
                })?;
            let raw = decode_checksum(algorithm, value)?;
            self.expect.checksums.retain(|(a, _)| *a != algorithm);
            self.expect.checksums.push((algorithm, raw));
        }
        Ok(())
    }
}

/// A `Content-MD5` value: the base64 of 16 bytes, else InvalidDigest.
pub fn decode_md5(value: &str) -> Result<[u8; 16], S3Error> {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|v| <[u8; 16]>::try_from(v).ok())
        .ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidDigest,
                "The Content-MD5 you specified was invalid.",
            )
        })
}

/// A checksum of the whole object sent with CompleteMultipartUpload: the full-object form
/// (`<base64>`) or the composite form SDKs send (`<base64>-<part count>`). Returns the
/// base64 and the count, after checking the value's shape as for any checksum header.
pub fn parse_object_checksum(
    algorithm: ChecksumAlgorithm,
    value: &str,
) -> Result<(String, Option<u32>), S3Error> {
    let value = value.trim();
    let (base, parts) = match value.rsplit_once('-') {
        Some((base, count)) => {
            let count = count
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    S3Error::new(
                        S3ErrorCode::InvalidRequest,
                        format!("Value for {} header is invalid.", algorithm.header_name()),
                    )
                })?;
            (base, Some(count))
        }
        None => (value, None),
    };
    decode_checksum(algorithm, base)?;
    Ok((base.to_owned(), parts))
}

fn decode_checksum(algorithm: ChecksumAlgorithm, value: &str) -> Result<Vec<u8>, S3Error> {
    let expected_len = match algorithm {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
        ChecksumAlgorithm::Crc64Nvme => 8,
        ChecksumAlgorithm::Sha1 => 20,
        ChecksumAlgorithm::Sha256 => 32,
    };
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .filter(|raw| raw.len() == expected_len)
        .ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidRequest,
                format!("Value for {} header is invalid.", algorithm.header_name()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn checksum_plan_reads_headers_and_trailers() {
        let mut h = HeaderMap::new();
        h.insert(
            "content-md5",
            HeaderValue::from_static("XrY7u+Ae7tCTyyK7j1rNww=="),
        );
        h.insert(
            "x-amz-trailer",
            HeaderValue::from_static("x-amz-checksum-crc32"),
        );
        let mut plan = ChecksumPlan::from_headers(&h, Some(11)).expect("plan");
        assert_eq!(plan.algorithms, vec![ChecksumAlgorithm::Crc32]);
        assert!(plan.expect.md5.is_some());
        assert!(
            plan.apply_trailers(&[]).is_err(),
            "announced trailer must arrive"
        );
        let mut plan = ChecksumPlan::from_headers(&h, Some(11)).expect("plan");
        plan.apply_trailers(&[("x-amz-checksum-crc32".into(), "DUoRhQ==".into())])
            .expect("applies");
        assert_eq!(
            plan.expect.checksums,
            vec![(ChecksumAlgorithm::Crc32, vec![0x0d, 0x4a, 0x11, 0x85])]
        );
        h.insert("content-md5", HeaderValue::from_static("nope"));
        assert_eq!(
            ChecksumPlan::from_headers(&h, None)
                .expect_err("bad md5")
                .code,
            S3ErrorCode::InvalidDigest
        );
    }
}
