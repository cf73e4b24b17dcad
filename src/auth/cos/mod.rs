//! Tencent COS's request signature, so that COS's own SDKs and tools (which configure the
//! bucket `origin` subresource, COS's API) can talk to originstore. In the `Authorization`
//! header or in the query:
//! `q-sign-algorithm=sha1&q-ak=<key>&q-sign-time=<start>;<end>&q-key-time=<start>;<end>&
//! q-header-list=<names>&q-url-param-list=<names>&q-signature=<hex>`. The check, as COS
//! documents it (<https://cloud.tencent.com/document/product/436/7778>):
//!
//! - SignKey = hex(HMAC-SHA1(secret, q-key-time));
//! - HttpString = `<method, lower case>\n<path, decoded>\n<params>\n<headers>\n`, where
//!   params and headers are the listed query parameters and headers as
//!   `name=value` joined with `&`, names lower case, values percent-encoded (all but
//!   `-_.~`), in list order;
//! - StringToSign = `sha1\n<q-sign-time>\n<hex(SHA1(HttpString))>\n`;
//! - signature = hex(HMAC-SHA1(SignKey, StringToSign)).
//!
//! The request is valid between the two times of `q-sign-time` (15 minutes of clock skew
//! allowed on its start). As with SigV4, every `x-amz-*` and `x-cos-*` header present must
//! be signed; the body is not covered (`Content-MD5`, when signed and sent, is verified
//! with the body). The access decision that follows is the same as for any signature.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::request::Parts;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::{Digest, Sha1};

use super::context::{AuthContext, Payload};
use super::error::AuthError;
use super::signing::constant_time_eq;

/// COS encodes every byte but the unreserved `-_.~` (and letters and digits).
const COS_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Clock skew allowed before the start of `q-sign-time`.
const SKEW: Duration = Duration::from_secs(15 * 60);

/// Whether an `Authorization` header value is COS's.
pub fn is_cos_authorization(value: &str) -> bool {
    value.trim_start().starts_with("q-sign-algorithm=")
}

/// Whether the query carries a COS signature (a presigned URL).
pub fn is_presigned(raw_query: &str) -> bool {
    raw_query
        .split('&')
        .any(|p| p.starts_with("q-sign-algorithm="))
}

/// The fields of a COS signature.
struct Signature<'a> {
    access_key: &'a str,
    sign_time: &'a str,
    key_time: &'a str,
    header_list: Vec<String>,
    param_list: Vec<String>,
    signature: &'a str,
}

fn malformed(why: &str) -> AuthError {
    AuthError::AuthorizationHeaderMalformed(why.to_owned())
}

fn parse(text: &str) -> Result<Signature<'_>, AuthError> {
    let field = |name: &str| {
        text.split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(n, _)| n.trim() == name)
            .map(|(_, v)| v.trim())
    };
    let need = |name: &str| field(name).ok_or_else(|| malformed(&format!("{name} is missing")));
    if !need("q-sign-algorithm")?.eq_ignore_ascii_case("sha1") {
        return Err(malformed("q-sign-algorithm must be sha1"));
    }
    let list = |name: &str| -> Vec<String> {
        field(name)
            .map(|v| {
                percent_decode_str(v)
                    .decode_utf8_lossy()
                    .split(';')
                    .filter(|n| !n.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Signature {
        access_key: need("q-ak")?,
        sign_time: need("q-sign-time")?,
        key_time: need("q-key-time")?,
        header_list: list("q-header-list"),
        param_list: list("q-url-param-list"),
        signature: need("q-signature")?,
    })
}

/// Authenticate a request signed the COS way, in the `Authorization` header or the query.
pub fn verify(
    parts: &Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<AuthContext, AuthError> {
    let header_text = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_cos_authorization(v));
    let raw_query = parts.uri.query().unwrap_or("");
    let query_text;
    let text = match header_text {
        Some(text) => text,
        None => {
            // A presigned URL: the signature's fields are query parameters.
            query_text = raw_query
                .split('&')
                .filter(|p| p.starts_with("q-"))
                .map(|p| {
                    let (n, v) = p.split_once('=').unwrap_or((p, ""));
                    format!("{n}={}", percent_decode_str(v).decode_utf8_lossy())
                })
                .collect::<Vec<_>>()
                .join("&");
            &query_text
        }
    };
    let sig = parse(text)?;
    check_time(sig.sign_time, now)?;
    let secret = secret_for(sig.access_key).ok_or(AuthError::InvalidAccessKeyId)?;
    check_headers_signed(parts, &sig.header_list)?;

    let params = query_params(raw_query);
    let params: Vec<String> = sig
        .param_list
        .iter()
        .map(|name| {
            let value = params
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, v)| v.as_str());
            format!("{}={}", encode(name), encode(value))
        })
        .collect();
    let sign_key = hex::encode(hmac_sha1(secret.as_bytes(), sig.key_time.as_bytes()));
    let path = percent_decode_str(parts.uri.path()).decode_utf8_lossy();
    // The host as sent, and without its port: COS SDKs sign the host name alone.
    for host in host_candidates(parts) {
        let headers: Vec<String> = sig
            .header_list
            .iter()
            .map(|name| {
                let value = if name == "host" {
                    host.clone()
                } else {
                    header_value(parts, name)
                };
                format!("{}={}", encode(name), encode(&value))
            })
            .collect();
        let http_string = format!(
            "{}\n{path}\n{}\n{}\n",
            parts.method.as_str().to_ascii_lowercase(),
            params.join("&"),
            headers.join("&"),
        );
        let string_to_sign = format!(
            "sha1\n{}\n{}\n",
            sig.sign_time,
            hex::encode(Sha1::digest(http_string.as_bytes()))
        );
        let expected = hex::encode(hmac_sha1(sign_key.as_bytes(), string_to_sign.as_bytes()));
        if constant_time_eq(
            expected.as_bytes(),
            sig.signature.to_ascii_lowercase().as_bytes(),
        ) {
            return Ok(AuthContext {
                access_key: Some(sig.access_key.to_owned()),
                payload: Payload::Unsigned,
                sts: false,
            });
        }
    }
    Err(AuthError::SignatureDoesNotMatch)
}

/// `start;end` in seconds since the epoch must hold `now`.
fn check_time(sign_time: &str, now: SystemTime) -> Result<(), AuthError> {
    let (start, end) = sign_time
        .split_once(';')
        .and_then(|(s, e)| Some((s.trim().parse::<u64>().ok()?, e.trim().parse::<u64>().ok()?)))
        .ok_or_else(|| malformed("q-sign-time must be <start>;<end> in seconds"))?;
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    if now > end {
        return Err(AuthError::AccessDenied("Request has expired".to_owned()));
    }
    if now + SKEW.as_secs() < start {
        return Err(AuthError::RequestTimeTooSkewed);
    }
    Ok(())
}

/// Every `x-amz-*` and `x-cos-*` header sent must be among the signed ones, so that a
/// signed request cannot be given, say, another ACL or metadata on the way.
fn check_headers_signed(parts: &Parts, signed: &[String]) -> Result<(), AuthError> {
    for name in parts.headers.keys() {
        let name = name.as_str();
        if (name.starts_with("x-amz-") || name.starts_with("x-cos-"))
            && !signed.iter().any(|s| s == name)
        {
            return Err(AuthError::AccessDenied(format!(
                "There were headers present in the request which were not signed: {name}"
            )));
        }
    }
    Ok(())
}

/// The query's parameters, names lower case, both decoded.
fn query_params(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(n).to_ascii_lowercase(), decode(v))
        })
        .collect()
}

fn header_value(parts: &Parts, name: &str) -> String {
    let values: Vec<String> = parts
        .headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    values.join(",")
}

fn host_candidates(parts: &Parts) -> Vec<String> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_default();
    let mut candidates = vec![host.clone()];
    if let Some((name, port)) = host.rsplit_once(':') {
        let is_port = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        if is_port && (name.ends_with(']') || !name.contains(':')) {
            candidates.push(name.to_owned());
        }
    }
    candidates
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, COS_ENCODE).to_string()
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut mac = match <Hmac<Sha1> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC is defined for keys of any length; RustCrypto never refuses one.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests;
