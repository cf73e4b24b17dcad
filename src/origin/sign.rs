//! SigV4 signing of outbound requests to a private S3-compatible origin (`PrivateHost`).
//!
//! The canonicalisation, signing key and string to sign are the inbound verifier's
//! ([`crate::auth::sigv4`]): one implementation of the algorithm in the crate, so a fix there
//! is a fix here. This file only decides *what* is signed for an origin request and writes the
//! headers. It never logs (a log line could leak the secret or a signature).
//!
//! Reference: <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>

use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::{Method, Uri};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::auth::sigv4;

/// Why an origin request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the origin URL is not an absolute http(s) URL: {0}")]
    InvalidUrl(String),
    #[error("header {0} has a value that cannot be signed (not visible ASCII)")]
    InvalidHeaderValue(String),
    #[error("the signing time cannot be formatted")]
    InvalidTime,
}

/// Headers left out of the signature: the transport or intermediaries may add or change them,
/// and AWS SDKs do not sign them either.
const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "expect",
    "transfer-encoding",
    "connection",
];

/// Signs an origin request in place with SigV4 (service `s3`), payload `UNSIGNED-PAYLOAD`
/// (origin requests are GET and HEAD, without a body).
///
/// Sets `host` (from the URL, so what is sent is what was signed), `x-amz-date`,
/// `x-amz-content-sha256` and `authorization`, replacing any previous value. Every other
/// header already in `headers` is signed, except `UNSIGNED_HEADERS`; the URL's path and
/// query are signed as they are sent (`url` as built by [`super::rules::origin_url`]).
pub fn sign_origin_request(
    method: &Method,
    url: &str,
    headers: &mut HeaderMap,
    keys: &SigningKeys<'_>,
    now: OffsetDateTime,
) -> Result<(), SignError> {
    sign_with_payload_hash(method, url, headers, keys, now, sigv4::UNSIGNED_PAYLOAD)
}

/// Who signs, and for which region.
#[derive(Debug, Clone, Copy)]
pub struct SigningKeys<'a> {
    pub region: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
}

fn sign_with_payload_hash(
    method: &Method,
    url: &str,
    headers: &mut HeaderMap,
    keys: &SigningKeys<'_>,
    now: OffsetDateTime,
    payload_hash: &str,
) -> Result<(), SignError> {
    let SigningKeys {
        region,
        access_key,
        secret_key,
    } = *keys;
    let uri: Uri = url
        .parse()
        .map_err(|_| SignError::InvalidUrl(url.to_string()))?;
    let authority = match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(a)) => a.as_str().to_string(),
        _ => return Err(SignError::InvalidUrl(url.to_string())),
    };

    let now = now.to_offset(UtcOffset::UTC);
    let datetime = now
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(|_| SignError::InvalidTime)?;
    let date = &datetime[..8];
    let scope = format!("{date}/{region}/s3/aws4_request");

    let value = |s: &str| {
        HeaderValue::from_str(s).map_err(|_| SignError::InvalidHeaderValue(s.to_string()))
    };
    headers.remove(AUTHORIZATION);
    headers.insert(HOST, value(&authority)?);
    headers.insert(HeaderName::from_static("x-amz-date"), value(&datetime)?);
    headers.insert(
        HeaderName::from_static("x-amz-content-sha256"),
        value(payload_hash)?,
    );

    // HeaderMap names are lower-case already; sort for the canonical order.
    let mut signed: Vec<&str> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|n| !UNSIGNED_HEADERS.contains(n))
        .collect();
    signed.sort_unstable();
    signed.dedup();

    if let Some(name) = signed
        .iter()
        .find(|n| headers.get_all(**n).iter().any(|v| v.to_str().is_err()))
    {
        return Err(SignError::InvalidHeaderValue((*name).to_string()));
    }
    let canonical_headers = sigv4::canonical_headers_of(headers, None, &signed);
    let signed_headers = signed.join(";");

    let canonical_request = sigv4::canonical_request(
        method.as_str(),
        &sigv4::canonical_uri(uri.path()),
        // A raw `+` in the forwarded query is a literal plus (what S3 makes of it).
        &sigv4::canonical_query(uri.query().unwrap_or(""), false, false),
        &canonical_headers,
        &signed_headers,
        payload_hash,
    );
    let string_to_sign = sigv4::string_to_sign(&datetime, &scope, &canonical_request);
    let key = sigv4::signing_key(secret_key, date, region, "s3");
    let signature = hex::encode(sigv4::hmac_sha256(&key, string_to_sign.as_bytes()));

    let authorization = format!(
        "{} Credential={access_key}/{scope},SignedHeaders={signed_headers},Signature={signature}",
        sigv4::ALGORITHM
    );
    headers.insert(AUTHORIZATION, value(&authorization)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn aws_example_time() -> OffsetDateTime {
        // 20130524T000000Z
        OffsetDateTime::from_unix_timestamp(1_369_353_600).unwrap()
    }

    /// The "GET Object" example of the AWS SigV4 header-auth page.
    #[test]
    fn aws_documented_get_object_example() {
        let mut headers = HeaderMap::new();
        headers.insert("range", HeaderValue::from_static("bytes=0-9"));
        sign_with_payload_hash(
            &Method::GET,
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &mut headers,
            &SigningKeys {
                region: "us-east-1",
                access_key: ACCESS_KEY,
                secret_key: SECRET_KEY,
            },
            aws_example_time(),
            sigv4::EMPTY_SHA256,
        )
        .unwrap();
        assert_eq!(
            headers[AUTHORIZATION],
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(headers["x-amz-date"], "20130524T000000Z");
        assert_eq!(headers[HOST], "examplebucket.s3.amazonaws.com");
    }

    #[test]
    fn origin_requests_use_unsigned_payload_and_replace_old_auth() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer client"));
        headers.insert("user-agent", HeaderValue::from_static("originstore"));
        headers.insert("x-from", HeaderValue::from_static("originstore"));
        sign_origin_request(
            &Method::GET,
            "http://127.0.0.1:9000/bucket/a%20b.txt?versionId=3",
            &mut headers,
            &SigningKeys {
                region: "us-east-1",
                access_key: ACCESS_KEY,
                secret_key: SECRET_KEY,
            },
            aws_example_time(),
        )
        .unwrap();
        assert_eq!(headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
        assert_eq!(headers[HOST], "127.0.0.1:9000");
        let auth = headers[AUTHORIZATION].to_str().unwrap();
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-from,Signature="
        ));
        assert_eq!(headers.get_all(AUTHORIZATION).iter().count(), 1);
    }

    /// The signature must verify with the canonical request the inbound verifier builds:
    /// recompute it from the signed request with the verifier's functions.
    #[test]
    fn signature_matches_an_independent_recomputation() {
        let mut headers = HeaderMap::new();
        sign_origin_request(
            &Method::HEAD,
            "https://b.s3.example.com/k%2Bey/x~y.txt?a=1&b=%2F",
            &mut headers,
            &SigningKeys {
                region: "eu-west-1",
                access_key: ACCESS_KEY,
                secret_key: SECRET_KEY,
            },
            aws_example_time(),
        )
        .unwrap();
        let canonical_headers = "host:b.s3.example.com\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n";
        let creq = sigv4::canonical_request(
            "HEAD",
            "/k%2Bey/x~y.txt",
            "a=1&b=%2F",
            canonical_headers.as_bytes(),
            "host;x-amz-content-sha256;x-amz-date",
            "UNSIGNED-PAYLOAD",
        );
        let sts = sigv4::string_to_sign(
            "20130524T000000Z",
            "20130524/eu-west-1/s3/aws4_request",
            &creq,
        );
        let key = sigv4::signing_key(SECRET_KEY, "20130524", "eu-west-1", "s3");
        let expected = hex::encode(sigv4::hmac_sha256(&key, sts.as_bytes()));
        let auth = headers[AUTHORIZATION].to_str().unwrap();
        assert!(auth.ends_with(&format!("Signature={expected}")), "{auth}");
    }

    #[test]
    fn rejects_relative_or_non_http_urls() {
        let mut headers = HeaderMap::new();
        for url in ["/just/a/path", "ftp://h/x", "not a url"] {
            let err = sign_origin_request(
                &Method::GET,
                url,
                &mut headers,
                &SigningKeys {
                    region: "us-east-1",
                    access_key: ACCESS_KEY,
                    secret_key: SECRET_KEY,
                },
                aws_example_time(),
            )
            .unwrap_err();
            assert!(matches!(err, SignError::InvalidUrl(_)), "{url}");
        }
    }
}
