//! Which bytes a GetObject / HeadObject asks for: a `Range` header (what S3 serves of it)
//! or a `partNumber` (a part of a multipart object).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>

use storage::{ByteRange, ObjectMeta};

use crate::error::{S3Error, S3ErrorCode};

/// Parse a `Range` header. Syntax S3 does not serve (multiple ranges, other units, garbage)
/// is ignored and the whole object is returned, as AWS does.
pub fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    match (first.is_empty(), last.is_empty()) {
        (true, false) => last.parse().ok().map(ByteRange::Suffix),
        (false, true) => first.parse().ok().map(ByteRange::From),
        (false, false) => {
            let (a, b) = (first.parse().ok()?, last.parse().ok()?);
            (a <= b).then_some(ByteRange::FromTo(a, b))
        }
        (true, true) => None,
    }
}

/// The byte range of part `n` of a multipart object; a single-part object has only part 1.
pub fn part_range(meta: &ObjectMeta, n: u32) -> Result<ByteRange, S3Error> {
    let invalid = || {
        S3Error::new(
            S3ErrorCode::InvalidRange,
            "The requested partnumber is not satisfiable",
        )
        .with_header("content-range", format!("bytes */{}", meta.size))
    };
    if meta.part_sizes.is_empty() {
        return if n == 1 && meta.size > 0 {
            Ok(ByteRange::FromTo(0, meta.size - 1))
        } else {
            Err(invalid())
        };
    }
    let index = usize::try_from(n - 1).map_err(|_| invalid())?;
    let size = *meta.part_sizes.get(index).ok_or_else(invalid)?;
    let start: u64 = meta.part_sizes[..index].iter().sum();
    if size == 0 {
        return Err(invalid());
    }
    Ok(ByteRange::FromTo(start, start + size - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_s3() {
        assert_eq!(parse_range("bytes=0-9"), Some(ByteRange::FromTo(0, 9)));
        assert_eq!(parse_range("bytes=5-"), Some(ByteRange::From(5)));
        assert_eq!(parse_range("bytes=-3"), Some(ByteRange::Suffix(3)));
        assert_eq!(parse_range("bytes=9-0"), None);
        assert_eq!(parse_range("bytes=0-1,3-4"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(parse_range("bytes=-"), None);
    }

    fn meta(size: u64, parts: Vec<u64>) -> ObjectMeta {
        ObjectMeta {
            key: "k".into(),
            size,
            etag: "e".into(),
            last_modified: std::time::SystemTime::UNIX_EPOCH,
            attrs: Default::default(),
            checksums: vec![],
            part_sizes: parts,
            version_id: None,
            part_checksums: vec![],
        }
    }

    #[test]
    fn part_ranges() {
        let m = meta(12, vec![5, 5, 2]);
        assert_eq!(part_range(&m, 1).expect("ok"), ByteRange::FromTo(0, 4));
        assert_eq!(part_range(&m, 3).expect("ok"), ByteRange::FromTo(10, 11));
        assert!(part_range(&m, 4).is_err());
        assert_eq!(
            part_range(&meta(3, vec![]), 1).expect("ok"),
            ByteRange::FromTo(0, 2)
        );
        assert!(part_range(&meta(3, vec![]), 2).is_err());
    }
}
