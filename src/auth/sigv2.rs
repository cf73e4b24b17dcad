//! Signature Version 2 presigned URLs (`?AWSAccessKeyId=..&Expires=..&Signature=..`).
//!
//! Only the query-string form is accepted, because it is what current tools still produce:
//! `aws s3 presign`, boto3's `generate_presigned_url` (for us-east-1 with a custom
//! endpoint) and `s3cmd signurl` all presign with SigV2. Header-signed SigV2 requests stay
//! refused (every current SDK signs requests with SigV4).
//!
//! String to sign: `VERB \n Content-MD5 \n Content-Type \n Expires \n CanonicalizedAmzHeaders
//! CanonicalizedResource`, HMAC-SHA1 with the secret key, base64.
//! Reference: <https://docs.aws.amazon.com/AmazonS3/latest/API/RESTAuthentication.html>
//! (section "Query string request authentication alternative").

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use http::request::Parts;
use sha1::Sha1;

use super::sigv4::constant_time_eq;
use super::{AuthContext, AuthError, Payload};

/// Query parameters that are part of the canonical resource, with their decoded values
/// (botocore's `HmacV1Auth.QSAOfInterest`).
const SUB_RESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// Whether the query carries SigV2 presigned-URL authentication.
pub fn is_presigned(raw_query: &str) -> bool {
    let names: Vec<&str> = raw_query
        .split('&')
        .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
        .collect();
    names.contains(&"AWSAccessKeyId") && names.contains(&"Signature")
}

/// Authenticates a SigV2 presigned URL. The payload is not signed (`UNSIGNED-PAYLOAD`).
pub fn verify_presigned(
    parts: &Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<AuthContext, AuthError> {
    let raw_query = parts.uri.query().unwrap_or("");
    let params: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n), decode(v))
        })
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let missing = |name: &str| {
        AuthError::AccessDenied(format!("Query-string authentication requires {name}"))
    };
    let access_key = param("AWSAccessKeyId").ok_or_else(|| missing("AWSAccessKeyId"))?;
    let signature = param("Signature").ok_or_else(|| missing("Signature"))?;
    let expires = param("Expires").ok_or_else(|| missing("Expires"))?;
    let expires_at: u64 = expires.parse().map_err(|_| {
        AuthError::AccessDenied("Invalid date (should be seconds since epoch)".to_owned())
    })?;
    let secret = secret_for(access_key).ok_or(AuthError::InvalidAccessKeyId)?;
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if now_secs > expires_at {
        return Err(AuthError::AccessDenied("Request has expired".to_owned()));
    }

    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
    };
    let mut amz: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("x-amz-"))
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_owned(),
            )
        })
        .collect();
    amz.sort();
    let mut amz_headers = String::new();
    for (name, value) in amz {
        amz_headers.push_str(&format!("{name}:{value}\n"));
    }
    let mut sub: Vec<&(String, String)> = params
        .iter()
        .filter(|(n, _)| SUB_RESOURCES.contains(&n.as_str()))
        .collect();
    sub.sort();
    let sub_query: Vec<String> = sub
        .iter()
        .map(|(n, v)| {
            if v.is_empty() {
                n.clone()
            } else {
                format!("{n}={v}")
            }
        })
        .collect();
    let sub_query = if sub_query.is_empty() {
        String::new()
    } else {
        format!("?{}", sub_query.join("&"))
    };

    // The resource is the path as sent; with virtual-hosted-style addressing the signer
    // put the bucket (the Host's first label) in front of it.
    let path = parts.uri.path();
    let mut resources = vec![path.to_owned()];
    if let Some(first_label) = header("host")
        .split('.')
        .next()
        .filter(|_| header("host").contains('.'))
    {
        resources.push(format!("/{first_label}{path}"));
    }
    let provided = signature.as_bytes();
    for resource in resources {
        let string_to_sign = format!(
            "{}\n{}\n{}\n{expires}\n{amz_headers}{resource}{sub_query}",
            parts.method,
            header("content-md5"),
            header("content-type"),
        );
        let expected = sign(&secret, &string_to_sign);
        if constant_time_eq(expected.as_bytes(), provided) {
            return Ok(AuthContext {
                access_key: Some(access_key.to_owned()),
                payload: Payload::Unsigned,
                sts: false,
            });
        }
    }
    Err(AuthError::SignatureDoesNotMatch)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// base64(HMAC-SHA1(secret, string_to_sign))
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac = match <Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC is defined for keys of any length; RustCrypto never refuses one.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "AKIAIOSFODNN7EXAMPLE";
    const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn parts(uri: &str, host: &str) -> Parts {
        let (parts, ()) = http::Request::get(uri)
            .header("host", host)
            .body(())
            .expect("request")
            .into_parts();
        parts
    }

    fn secrets(ak: &str) -> Option<String> {
        (ak == AK).then(|| SK.to_owned())
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_secs(secs)
    }

    /// The AWS documentation's query-string authentication example.
    #[test]
    fn aws_documentation_example() {
        let uri = "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620";
        let ctx = verify_presigned(
            &parts(uri, "johnsmith.s3.amazonaws.com"),
            &secrets,
            at(1_175_139_000),
        )
        .expect("valid");
        assert_eq!(ctx.access_key.as_deref(), Some(AK));
        let err = verify_presigned(
            &parts(uri, "johnsmith.s3.amazonaws.com"),
            &secrets,
            at(1_175_139_621),
        )
        .expect_err("expired");
        assert_eq!(err, AuthError::AccessDenied("Request has expired".into()));
        let path_style = "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620";
        assert!(
            verify_presigned(&parts(path_style, "127.0.0.1:9000"), &secrets, at(0)).is_ok(),
            "path-style"
        );
        let tampered = uri.replace("puppy", "kitten");
        assert_eq!(
            verify_presigned(
                &parts(&tampered, "johnsmith.s3.amazonaws.com"),
                &secrets,
                at(0)
            )
            .expect_err("bad"),
            AuthError::SignatureDoesNotMatch
        );
        let unknown = uri.replace("AKIAIOSFODNN7EXAMPLE", "NOBODY");
        assert_eq!(
            verify_presigned(
                &parts(&unknown, "johnsmith.s3.amazonaws.com"),
                &secrets,
                at(0)
            )
            .expect_err("unknown"),
            AuthError::InvalidAccessKeyId
        );
    }

    #[test]
    fn sub_resources_are_signed_with_decoded_values_and_others_ignored() {
        let sts = "GET\n\n\n2000000000\n/b/k?response-content-type=text/plain&versionId=null";
        let signature = sign(SK, sts);
        let encoded =
            percent_encoding::utf8_percent_encode(&signature, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let uri = format!(
            "/b/k?response-content-type=text%2Fplain&versionId=null&x-id=GetObject&AWSAccessKeyId={AK}&Expires=2000000000&Signature={encoded}"
        );
        assert!(verify_presigned(&parts(&uri, "127.0.0.1:9000"), &secrets, at(0)).is_ok());
        assert!(is_presigned("AWSAccessKeyId=a&Expires=1&Signature=s"));
        assert!(!is_presigned("X-Amz-Signature=s"));
    }
}
