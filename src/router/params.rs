//! The query string, decoded once ([`Query`]), and the typed parameters each operation takes
//! from it ([`ListObjectsParams`], [`ReadParams`], ...), validated here with the errors AWS
//! sends, so handlers receive values that are already known to be good.

use http::HeaderMap;

use crate::error::{S3Error, S3ErrorCode};

/// Most keys (or uploads, or parts) a listing page holds.
pub const MAX_KEYS: usize = 1000;

/// The decoded query string, in order, duplicates kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let Some(raw) = raw else {
            return Query::default();
        };
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode_component(k), decode_component(v))
                })
                .collect(),
        )
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
    /// A parameter whose empty value means "not given" (markers, delimiters).
    fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).map(str::to_owned)
    }
    fn owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }
}

/// Query components use `+` for space in HTML forms; S3 clients percent-encode spaces, but
/// some (and browsers) send `+`, which AWS also reads as a space in query values.
fn decode_component(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parameters common to ListObjects, ListObjectsV2 and ListObjectVersions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCommon {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: usize,
    /// `encoding-type=url`.
    pub url_encode: bool,
}

impl ListCommon {
    fn parse(q: &Query) -> Result<ListCommon, S3Error> {
        let max_keys = match q.get("max-keys") {
            None => MAX_KEYS,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    S3Error::invalid_argument(
                        "Provided max-keys not an integer or within integer range",
                    )
                })?
                .min(MAX_KEYS as i64) as usize,
        };
        let url_encode = match q.get("encoding-type") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("url") => true,
            Some(_) => {
                return Err(S3Error::invalid_argument(
                    "Invalid Encoding Method specified in Request",
                ))
            }
        };
        Ok(ListCommon {
            prefix: q.get("prefix").unwrap_or("").to_owned(),
            delimiter: q.non_empty("delimiter"),
            max_keys,
            url_encode,
        })
    }
}

/// ListBuckets. Without `max-buckets`, AWS pages at 10,000 buckets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListBucketsParams {
    pub max_buckets: Option<usize>,
    /// As the client sent it (echoed back); the handler decodes it.
    pub continuation_token: Option<String>,
    pub prefix: Option<String>,
    pub bucket_region: Option<String>,
}

/// Most buckets a ListBuckets page holds (and the page size without `max-buckets`).
pub const MAX_BUCKETS: usize = 10_000;

impl ListBucketsParams {
    pub fn parse(q: &Query) -> Result<ListBucketsParams, S3Error> {
        let max_buckets = match q.get("max-buckets") {
            None => None,
            Some(v) => Some(
                v.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_BUCKETS).contains(n))
                    .ok_or_else(|| {
                        S3Error::invalid_argument(
                            "Argument max-buckets must be an integer between 1 and 10000",
                        )
                    })?,
            ),
        };
        Ok(ListBucketsParams {
            max_buckets,
            continuation_token: q.non_empty("continuation-token"),
            prefix: q.owned("prefix"),
            bucket_region: q.non_empty("bucket-region"),
        })
    }
}

/// ListObjects (v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjectsParams {
    pub common: ListCommon,
    pub marker: Option<String>,
}

impl ListObjectsParams {
    pub fn parse(q: &Query) -> Result<ListObjectsParams, S3Error> {
        Ok(ListObjectsParams {
            common: ListCommon::parse(q)?,
            marker: q.non_empty("marker"),
        })
    }
}

/// ListObjectsV2. The continuation token stays as the client sent it (it is echoed back);
/// the list handler decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjectsV2Params {
    pub common: ListCommon,
    pub continuation_token: Option<String>,
    pub start_after: Option<String>,
    pub fetch_owner: bool,
}

impl ListObjectsV2Params {
    pub fn parse(q: &Query) -> Result<ListObjectsV2Params, S3Error> {
        Ok(ListObjectsV2Params {
            common: ListCommon::parse(q)?,
            continuation_token: q.owned("continuation-token"),
            start_after: q.non_empty("start-after"),
            fetch_owner: q.get("fetch-owner") == Some("true"),
        })
    }
}

/// ListObjectVersions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjectVersionsParams {
    pub common: ListCommon,
    pub key_marker: Option<String>,
    /// As sent (echoed back); empty when absent.
    pub version_id_marker: String,
}

impl ListObjectVersionsParams {
    pub fn parse(q: &Query) -> Result<ListObjectVersionsParams, S3Error> {
        let key_marker = q.non_empty("key-marker");
        let version_id_marker = q.get("version-id-marker").unwrap_or("").to_owned();
        if !version_id_marker.is_empty() && key_marker.is_none() {
            return Err(S3Error::new(
                S3ErrorCode::InvalidArgument,
                "A version-id marker cannot be specified without a key marker.",
            ));
        }
        Ok(ListObjectVersionsParams {
            common: ListCommon::parse(q)?,
            key_marker,
            version_id_marker,
        })
    }
}

/// ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUploadsParams {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: usize,
    pub url_encode: bool,
}

impl ListUploadsParams {
    pub fn parse(q: &Query) -> Result<ListUploadsParams, S3Error> {
        let max_uploads = match q.get("max-uploads") {
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| S3Error::invalid_argument("invalid max-uploads"))?
                .min(MAX_KEYS),
            None => MAX_KEYS,
        };
        Ok(ListUploadsParams {
            prefix: q.get("prefix").unwrap_or("").to_owned(),
            delimiter: q.non_empty("delimiter"),
            key_marker: q.non_empty("key-marker"),
            upload_id_marker: q.non_empty("upload-id-marker"),
            max_uploads,
            url_encode: q
                .get("encoding-type")
                .is_some_and(|v| v.eq_ignore_ascii_case("url")),
        })
    }
}

/// ListParts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPartsParams {
    pub upload_id: String,
    pub part_number_marker: u32,
    pub max_parts: usize,
}

impl ListPartsParams {
    pub fn parse(q: &Query) -> Result<ListPartsParams, S3Error> {
        let part_number_marker = match q.get("part-number-marker") {
            Some(v) => v
                .parse::<u32>()
                .map_err(|_| S3Error::invalid_argument("invalid part-number-marker"))?,
            None => 0,
        };
        let max_parts = match q.get("max-parts") {
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| S3Error::invalid_argument("invalid max-parts"))?
                .min(MAX_KEYS),
            None => MAX_KEYS,
        };
        Ok(ListPartsParams {
            upload_id: upload_id(q)?,
            part_number_marker,
            max_parts,
        })
    }
}

/// GetObjectAttributes: which attributes (`x-amz-object-attributes`), of which version,
/// and a page of parts (`x-amz-max-parts`, `x-amz-part-number-marker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributesParams {
    pub version_id: Option<String>,
    pub etag: bool,
    pub checksum: bool,
    pub object_parts: bool,
    pub storage_class: bool,
    pub object_size: bool,
    pub max_parts: usize,
    pub part_number_marker: u32,
}

impl AttributesParams {
    pub fn parse(q: &Query, headers: &HeaderMap) -> Result<AttributesParams, S3Error> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let mut params = AttributesParams {
            version_id: q.get("versionId").map(str::to_owned),
            etag: false,
            checksum: false,
            object_parts: false,
            storage_class: false,
            object_size: false,
            max_parts: MAX_KEYS,
            part_number_marker: 0,
        };
        // The SDKs send the list as one comma-separated header (or several headers).
        let names = headers
            .get_all("x-amz-object-attributes")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let mut any = false;
        for name in names {
            any = true;
            match name {
                "ETag" => params.etag = true,
                "Checksum" => params.checksum = true,
                "ObjectParts" => params.object_parts = true,
                "StorageClass" => params.storage_class = true,
                "ObjectSize" => params.object_size = true,
                _ => {
                    return Err(S3Error::invalid_argument(
                        "Invalid attribute name specified.",
                    ))
                }
            }
        }
        if !any {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
            ));
        }
        if let Some(v) = header("x-amz-max-parts") {
            params.max_parts = v
                .trim()
                .parse::<usize>()
                .map_err(|_| S3Error::invalid_argument("invalid x-amz-max-parts"))?
                .min(MAX_KEYS);
        }
        if let Some(v) = header("x-amz-part-number-marker") {
            params.part_number_marker = v
                .trim()
                .parse()
                .map_err(|_| S3Error::invalid_argument("invalid x-amz-part-number-marker"))?;
        }
        Ok(params)
    }
}

/// The `response-*` overrides of GetObject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseOverrides {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
}

impl ResponseOverrides {
    fn parse(q: &Query) -> ResponseOverrides {
        ResponseOverrides {
            content_type: q.owned("response-content-type"),
            cache_control: q.owned("response-cache-control"),
            content_disposition: q.owned("response-content-disposition"),
            content_encoding: q.owned("response-content-encoding"),
            content_language: q.owned("response-content-language"),
            expires: q.owned("response-expires"),
        }
    }

    /// The override of the response header `name` (`content-type`, `expires`, ...).
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "content-type" => self.content_type.as_deref(),
            "cache-control" => self.cache_control.as_deref(),
            "content-disposition" => self.content_disposition.as_deref(),
            "content-encoding" => self.content_encoding.as_deref(),
            "content-language" => self.content_language.as_deref(),
            "expires" => self.expires.as_deref(),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == ResponseOverrides::default()
    }
}

/// GetObject and HeadObject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadParams {
    pub version_id: Option<String>,
    pub part_number: Option<u32>,
    pub overrides: ResponseOverrides,
}

impl ReadParams {
    pub fn parse(q: &Query) -> Result<ReadParams, S3Error> {
        Ok(ReadParams {
            version_id: q.owned("versionId"),
            part_number: q.get("partNumber").map(parse_part_number).transpose()?,
            overrides: ResponseOverrides::parse(q),
        })
    }
}

/// `partNumber`: 1 to 10000.
pub fn parse_part_number(v: &str) -> Result<u32, S3Error> {
    v.parse::<u32>()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| {
            S3Error::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })
}

pub fn upload_id(q: &Query) -> Result<String, S3Error> {
    q.owned("uploadId")
        .ok_or_else(|| S3Error::invalid_argument("missing uploadId"))
}

/// `x-amz-copy-source: [/]bucket/key[?versionId=...]`, URL-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

impl CopySource {
    pub fn from_headers(headers: &HeaderMap) -> Result<CopySource, S3Error> {
        let value = headers
            .get("x-amz-copy-source")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| S3Error::invalid_argument("missing x-amz-copy-source"))?;
        CopySource::parse(value)
    }

    pub fn parse(value: &str) -> Result<CopySource, S3Error> {
        let invalid = || S3Error::invalid_argument("Invalid copy source: expected bucket/key");
        let (path, version_id) = match value.split_once('?') {
            Some((path, query)) => (path, query.strip_prefix("versionId=").map(str::to_owned)),
            None => (value, None),
        };
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| invalid())?;
        let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
        let (bucket, key) = decoded.split_once('/').ok_or_else(invalid)?;
        if bucket.is_empty() || key.is_empty() {
            return Err(invalid());
        }
        Ok(CopySource {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_decoded() {
        let q = Query::parse(Some("list-type=2&prefix=a%2Fb+c&delimiter=%2F"));
        assert_eq!(q.get("prefix"), Some("a/b c"));
        assert_eq!(q.get("delimiter"), Some("/"));
        assert!(q.has("list-type"));
    }

    #[test]
    fn max_keys_is_validated_and_capped() {
        let q = Query::parse(Some("max-keys=5000"));
        assert_eq!(ListCommon::parse(&q).expect("ok").max_keys, 1000);
        let q = Query::parse(Some("max-keys=-1"));
        assert!(ListCommon::parse(&q).is_err());
        let q = Query::parse(Some("max-keys=abc"));
        assert!(ListCommon::parse(&q).is_err());
    }

    #[test]
    fn copy_sources_parse() {
        let source = |bucket: &str, key: &str, version: Option<&str>| CopySource {
            bucket: bucket.into(),
            key: key.into(),
            version_id: version.map(str::to_owned),
        };
        assert_eq!(
            CopySource::parse("/b/a%20b/c").expect("ok"),
            source("b", "a b/c", None)
        );
        assert_eq!(
            CopySource::parse("b/k?versionId=null").expect("ok"),
            source("b", "k", Some("null"))
        );
        assert!(CopySource::parse("b").is_err());
        assert!(CopySource::parse("/b/").is_err());
    }

    #[test]
    fn part_numbers_are_one_to_ten_thousand() {
        assert_eq!(parse_part_number("1").expect("ok"), 1);
        assert_eq!(parse_part_number("10000").expect("ok"), 10_000);
        for bad in ["0", "10001", "-1", "x", ""] {
            assert!(parse_part_number(bad).is_err(), "{bad}");
        }
    }
}
