//! Proving a local copy: its bytes are read back and hashed the way the origin made its
//! ETag — the MD5 of the whole object for a single-part one, the MD5 of the parts' MD5s
//! (`-N`) for a multipart one, cut at the origin's part size (asked with
//! `HEAD ?partNumber=1`; when the uniform cut does not match, every part's size is asked,
//! since a client may upload parts of different sizes). The size is compared first. An ETag
//! that is no digest (an encrypted object, another store's scheme) is replaced by the
//! origin's full-object `x-amz-checksum-*` when it keeps one; else the copy cannot be
//! verified.

use futures::StreamExt as _;
use md5::{Digest as _, Md5};
use storage::{ObjectMeta, Store};

use super::walk::Listed;
use crate::auth::sigv4::URI_ENCODE_PATH;
use crate::error::S3Error;
use crate::origin::document::{OriginRule, Protocol};
use crate::origin::engine::OriginEngine;

/// What the local bytes say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Matches,
    /// What differs, for the status and the report.
    Differs(String),
    Unverifiable,
}

/// An origin ETag as a digest: the MD5 (single-part) or the MD5 of the part MD5s and the
/// part count (multipart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Whole([u8; 16]),
    Parts([u8; 16], u32),
}

pub fn parse_etag(etag: &str) -> Option<Digest> {
    let etag = etag.trim().trim_matches('"');
    let hex16 =
        |text: &str| -> Option<[u8; 16]> { <[u8; 16]>::try_from(hex::decode(text).ok()?).ok() };
    match etag.split_once('-') {
        None => hex16(etag).map(Digest::Whole),
        Some((digest, count)) => {
            let count = count
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))?;
            Some(Digest::Parts(hex16(digest)?, count))
        }
    }
}

/// The multipart ETag of `bytes` read in parts of `sizes` (the last one takes the rest).
struct PartHasher {
    sizes: Vec<u64>,
    current: Md5,
    in_part: u64,
    done: Vec<[u8; 16]>,
}

impl PartHasher {
    fn new(sizes: Vec<u64>) -> PartHasher {
        PartHasher {
            sizes,
            current: Md5::new(),
            in_part: 0,
            done: Vec::new(),
        }
    }

    fn limit(&self) -> u64 {
        self.sizes.get(self.done.len()).copied().unwrap_or(u64::MAX)
    }

    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = self.limit().saturating_sub(self.in_part);
            if room == 0 {
                self.close_part();
                continue;
            }
            let take = usize::try_from(room).unwrap_or(usize::MAX).min(bytes.len());
            self.current.update(&bytes[..take]);
            self.in_part += take as u64;
            bytes = &bytes[take..];
        }
    }

    fn close_part(&mut self) {
        let part = std::mem::replace(&mut self.current, Md5::new()).finalize();
        self.done.push(part.into());
        self.in_part = 0;
    }

    fn finish(mut self) -> ([u8; 16], u32) {
        if self.in_part > 0 || self.done.is_empty() {
            self.close_part();
        }
        let mut all = Md5::new();
        for part in &self.done {
            all.update(part);
        }
        (all.finalize().into(), self.done.len() as u32)
    }
}

/// Part sizes of `total` bytes cut every `part` bytes.
fn uniform(total: u64, part: u64) -> Vec<u64> {
    if part == 0 {
        return vec![total];
    }
    let mut sizes = vec![part; usize::try_from(total / part).unwrap_or(0)];
    if total % part > 0 || sizes.is_empty() {
        sizes.push(total % part);
    }
    sizes
}

/// The local copy's MD5, or its multipart digest cut at `sizes`; and the bytes read.
async fn hash_local(
    store: &Store,
    bucket: &str,
    key: &str,
    sizes: Option<Vec<u64>>,
) -> Result<(Digest, u64), S3Error> {
    let (_, mut reader) = store.get_object(bucket, key, None)?;
    let mut whole = Md5::new();
    let mut parts = sizes.map(PartHasher::new);
    let mut read = 0u64;
    while let Some(chunk) = reader.next().await {
        let chunk = chunk.map_err(S3Error::internal)?;
        read += chunk.len() as u64;
        match parts.as_mut() {
            Some(parts) => parts.update(&chunk),
            None => whole.update(&chunk),
        }
    }
    Ok(match parts {
        Some(parts) => {
            let (digest, count) = parts.finish();
            (Digest::Parts(digest, count), read)
        }
        None => (Digest::Whole(whole.finalize().into()), read),
    })
}

/// `HEAD` of `key` at `rule`'s origin (`query` appended, `headers` sent), when the rule's
/// throttle lets it; the answer's headers.
async fn origin_head(
    engine: &OriginEngine,
    bucket: &str,
    rule: &OriginRule,
    key: &str,
    query: &str,
    headers: http::HeaderMap,
) -> Result<http::HeaderMap, String> {
    let _admission = engine.throttle(bucket, rule).admit(true).await;
    let private = rule
        .hosts
        .iter()
        .find_map(|h| h.private_host.as_ref())
        .ok_or("the rule has no PrivateHost")?;
    let scheme = match rule.parameter.protocol {
        Protocol::Https => "https",
        Protocol::Http | Protocol::Follow => "http",
    };
    let mut url = format!(
        "{scheme}://{}/{}",
        private.host.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(key, URI_ENCODE_PATH)
    );
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let response = engine
        .client()
        .signed_with(&http::Method::HEAD, &url, private, headers)
        .await?;
    if !response.status().is_success() {
        return Err(format!(
            "the origin answered {} to HEAD {key}?{query}",
            response.status()
        ));
    }
    Ok(response.headers().clone())
}

/// The size of part `n` of `key` at `rule`'s origin (`HEAD ?partNumber=n`).
async fn origin_part_size(
    engine: &OriginEngine,
    bucket: &str,
    rule: &OriginRule,
    key: &str,
    n: u32,
) -> Result<u64, String> {
    let headers = origin_head(
        engine,
        bucket,
        rule,
        key,
        &format!("partNumber={n}"),
        http::HeaderMap::new(),
    )
    .await?;
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no Content-Length for part {n}"))
}

/// Check `local` against what the origin lists of it; the verdict and the bytes read.
pub async fn verify(
    engine: &OriginEngine,
    rule: &OriginRule,
    bucket: &str,
    local: &ObjectMeta,
    listed: &Listed,
) -> Result<(Verdict, u64), S3Error> {
    let store = engine.store();
    if local.size != listed.size {
        return Ok((
            Verdict::Differs(format!(
                "size: {} here, {} at the origin",
                local.size, listed.size
            )),
            0,
        ));
    }
    let Some(expected) = parse_etag(&listed.etag) else {
        // No digest in the ETag: the origin's full-object checksum, if it keeps one.
        return by_checksum(engine, rule, bucket, local).await;
    };
    let key = local.key.as_str();
    let sizes = match expected {
        Digest::Whole(_) => None,
        Digest::Parts(_, 1) => Some(vec![listed.size]),
        Digest::Parts(..) => {
            let first = origin_part_size(engine, bucket, rule, key, 1)
                .await
                .map_err(|why| S3Error::internal("the origin's part size").with_source(why))?;
            Some(uniform(listed.size, first))
        }
    };
    let (mut got, mut read) = hash_local(store, bucket, key, sizes).await?;
    if let (Digest::Parts(_, count), Digest::Parts(..)) = (expected, got) {
        if got != expected {
            // Parts of different sizes: ask each one's.
            let mut sizes = Vec::with_capacity(count as usize);
            for n in 1..=count {
                sizes.push(
                    origin_part_size(engine, bucket, rule, key, n)
                        .await
                        .map_err(|why| {
                            S3Error::internal("the origin's part size").with_source(why)
                        })?,
                );
            }
            let (again, more) = hash_local(store, bucket, key, Some(sizes)).await?;
            got = again;
            read += more;
        }
    }
    let verdict = if got == expected {
        Verdict::Matches
    } else {
        Verdict::Differs(format!(
            "ETag: {} over the local bytes, {} at the origin",
            show(got),
            listed.etag.trim_matches('"')
        ))
    };
    Ok((verdict, read))
}

/// The checksum algorithms S3 keeps of a whole object, strongest first.
const CHECKSUMS: [storage::ChecksumAlgorithm; 5] = [
    storage::ChecksumAlgorithm::Sha256,
    storage::ChecksumAlgorithm::Sha1,
    storage::ChecksumAlgorithm::Crc64Nvme,
    storage::ChecksumAlgorithm::Crc32c,
    storage::ChecksumAlgorithm::Crc32,
];

/// Verify `local` by the full-object checksum the origin answers a `HEAD` with (asked with
/// `x-amz-checksum-mode: ENABLED`); unverifiable when it keeps none (or only a composite
/// one, which needs the part layout).
async fn by_checksum(
    engine: &OriginEngine,
    rule: &OriginRule,
    bucket: &str,
    local: &ObjectMeta,
) -> Result<(Verdict, u64), S3Error> {
    use base64::Engine as _;
    let mut ask = http::HeaderMap::new();
    ask.insert(
        "x-amz-checksum-mode",
        http::HeaderValue::from_static("ENABLED"),
    );
    let headers = origin_head(engine, bucket, rule, &local.key, "", ask)
        .await
        .map_err(|why| S3Error::internal("the origin's checksum").with_source(why))?;
    let composite = headers
        .get("x-amz-checksum-type")
        .is_some_and(|t| t.as_bytes().eq_ignore_ascii_case(b"COMPOSITE"));
    let found = CHECKSUMS.iter().find_map(|algorithm| {
        let value = headers.get(algorithm.header_name())?.to_str().ok()?;
        if composite || value.contains('-') {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()?;
        Some((*algorithm, raw, value.to_owned()))
    });
    let Some((algorithm, expected, shown)) = found else {
        return Ok((Verdict::Unverifiable, 0));
    };
    let (_, mut reader) = engine.store().get_object(bucket, &local.key, None)?;
    let mut hasher = storage::Checksummer::new(algorithm);
    let mut read = 0u64;
    while let Some(chunk) = reader.next().await {
        let chunk = chunk.map_err(S3Error::internal)?;
        read += chunk.len() as u64;
        hasher.update(&chunk);
    }
    let got = hasher.finish();
    let verdict = if got == expected {
        Verdict::Matches
    } else {
        Verdict::Differs(format!(
            "{}: {} over the local bytes, {shown} at the origin",
            algorithm.header_name(),
            base64::engine::general_purpose::STANDARD.encode(&got)
        ))
    };
    Ok((verdict, read))
}

fn show(digest: Digest) -> String {
    match digest {
        Digest::Whole(md5) => hex::encode(md5),
        Digest::Parts(md5, n) => format!("{}-{n}", hex::encode(md5)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5(bytes: &[u8]) -> [u8; 16] {
        Md5::digest(bytes).into()
    }

    #[test]
    fn etags_are_read_as_digests_or_not_at_all() {
        let whole = "d41d8cd98f00b204e9800998ecf8427e";
        assert_eq!(
            parse_etag(&format!("\"{whole}\"")),
            Some(Digest::Whole(md5(b"")))
        );
        assert!(matches!(
            parse_etag(&format!("{whole}-3")),
            Some(Digest::Parts(_, 3))
        ));
        for other in [
            "",
            "abc",
            "not-a-digest",
            &format!("{whole}-0"),
            &format!("{whole}-x"),
        ] {
            assert_eq!(parse_etag(other), None, "{other}");
        }
    }

    #[test]
    fn the_multipart_digest_is_the_md5_of_the_parts_md5s() {
        let data: Vec<u8> = (0..25u32).map(|i| i as u8).collect();
        let mut hasher = PartHasher::new(uniform(25, 10));
        // Fed in pieces that do not line up with the parts.
        for piece in data.chunks(7) {
            hasher.update(piece);
        }
        let (digest, count) = hasher.finish();
        let mut expected = Md5::new();
        for part in data.chunks(10) {
            expected.update(md5(part));
        }
        assert_eq!((digest, count), (<[u8; 16]>::from(expected.finalize()), 3));
        assert_eq!(uniform(25, 10), [10, 10, 5]);
        assert_eq!(uniform(20, 10), [10, 10]);
        assert_eq!(uniform(0, 10), [0]);
    }
}
