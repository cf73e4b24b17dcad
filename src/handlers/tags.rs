//! Tag sets, checked against AWS's limits with AWS's errors: 10 tags on an object, 50 on a
//! bucket, keys of 1 to 128 and values of up to 256 Unicode characters (letters, digits,
//! spaces and `+ - = . _ : / @`), no duplicate keys, no `aws:` prefix. Read from a `Tagging`
//! document (PutObjectTagging, PutBucketTagging, a form upload's `tagging` field) or an
//! `x-amz-tagging` header (PutObject, CopyObject, CreateMultipartUpload), written back as a
//! `Tagging` document.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html>

use crate::error::{S3Error, S3ErrorCode};
use crate::xml;

/// A tag set, in the order given.
pub type Tags = Vec<(String, String)>;

pub const MAX_OBJECT_TAGS: usize = 10;
pub const MAX_BUCKET_TAGS: usize = 50;
const MAX_KEY_CHARS: usize = 128;
const MAX_VALUE_CHARS: usize = 256;

/// What a tag set belongs to: its size limit and the error for passing it.
#[derive(Clone, Copy)]
pub enum Owner {
    Object,
    Bucket,
}

fn invalid_tag(message: &str) -> S3Error {
    S3Error::new(S3ErrorCode::InvalidTag, message)
}

fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "+-=._:/@".contains(c)
}

/// Check a tag set against AWS's rules for `owner`.
pub fn validate(tags: &Tags, owner: Owner) -> Result<(), S3Error> {
    let mut seen = std::collections::HashSet::new();
    for (key, value) in tags {
        let key_chars = key.chars().count();
        if key_chars == 0 || key_chars > MAX_KEY_CHARS || !key.chars().all(allowed) {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if key.starts_with("aws:") {
            return Err(invalid_tag("Your TagKey cannot be prefixed with aws:"));
        }
        if value.chars().count() > MAX_VALUE_CHARS || !value.chars().all(allowed) {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if !seen.insert(key.as_str()) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    match owner {
        Owner::Object if tags.len() > MAX_OBJECT_TAGS => Err(S3Error::new(
            S3ErrorCode::BadRequest,
            "Object tags cannot be greater than 10",
        )),
        Owner::Bucket if tags.len() > MAX_BUCKET_TAGS => Err(S3Error::new(
            S3ErrorCode::BadRequest,
            "Bucket tag count cannot be greater than 50",
        )),
        _ => Ok(()),
    }
}

/// The tag set of an `x-amz-tagging` header: URL-encoded query parameters (`+` is a space).
pub fn from_header(value: &str) -> Result<Tags, S3Error> {
    let bad = || {
        S3Error::invalid_argument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
        )
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| bad())
    };
    let mut tags = Tags::new();
    for pair in value.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k)?;
        if tags.iter().any(|(seen, _)| *seen == key) {
            return Err(bad());
        }
        tags.push((key, decode(v)?));
    }
    validate(&tags, Owner::Object)?;
    Ok(tags)
}

/// `tags` as an `x-amz-tagging` header value (what [`from_header`] reads).
pub fn to_header(tags: &Tags) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, crate::auth::sigv4::URI_ENCODE).to_string()
    };
    tags.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn to_document(tags: &Tags) -> xml::Tagging {
    xml::Tagging {
        tag_set: xml::TagSet {
            tag: tags
                .iter()
                .map(|(key, value)| xml::Tag {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        },
    }
}

/// Parse and check a `Tagging` document (a request body, or a form upload's `tagging`).
pub fn parse_tagging(body: &[u8], owner: Owner) -> Result<Tags, S3Error> {
    let doc: xml::Tagging = xml::from_xml_document(body, "Tagging")?;
    let tags: Tags = doc
        .tag_set
        .tag
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    validate(&tags, owner)?;
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn aws_limits_and_errors() {
        let code = |t: &Tags, owner| validate(t, owner).err().map(|e| e.code);
        assert_eq!(
            code(&tags(&[("k", ""), ("ü ñ+-=._:/@", "v")]), Owner::Object),
            None
        );
        let long_key = "k".repeat(129);
        let long_value = "é".repeat(257);
        for bad in [
            tags(&[("", "v")]),
            tags(&[(&long_key, "v")]),
            tags(&[("k", &long_value)]),
            tags(&[("k<", "v")]),
            tags(&[("aws:x", "v")]),
            tags(&[("k", "1"), ("k", "2")]),
        ] {
            assert_eq!(
                code(&bad, Owner::Object),
                Some(S3ErrorCode::InvalidTag),
                "{bad:?}"
            );
        }
        assert_eq!(code(&tags(&[("k", &"é".repeat(256))]), Owner::Object), None);
        let many: Tags = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(code(&many, Owner::Object), Some(S3ErrorCode::BadRequest));
        assert_eq!(code(&many, Owner::Bucket), None);
        let too_many: Tags = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            code(&too_many, Owner::Bucket),
            Some(S3ErrorCode::BadRequest)
        );
    }

    #[test]
    fn tagging_headers_are_url_encoded_query_strings() {
        assert_eq!(
            from_header("a=1&b%20c=d+e&empty=").expect("parses"),
            tags(&[("a", "1"), ("b c", "d e"), ("empty", "")])
        );
        for bad in ["a=1&a=2", "a=%FF"] {
            assert_eq!(
                from_header(bad).expect_err(bad).code,
                S3ErrorCode::InvalidArgument
            );
        }
        assert_eq!(
            from_header("a<=1").expect_err("invalid key").code,
            S3ErrorCode::InvalidTag
        );
    }

    #[test]
    fn a_tag_set_as_a_header_reads_back_as_sent() {
        let tags: Tags = vec![
            ("team".into(), "blue sky".into()),
            ("path".into(), "a/b=c+d:e@f".into()),
            ("ünï".into(), "+".into()),
        ];
        assert_eq!(from_header(&to_header(&tags)).expect("parses"), tags);
    }
}
