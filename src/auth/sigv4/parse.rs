//! Parsing what a SigV4 request says about itself: the `Authorization` header, the
//! credential scope, `X-Amz-Date` / `Date`, `x-amz-content-sha256`, and which `x-amz-*`
//! headers must be signed. No signature is computed here.

use std::time::{SystemTime, UNIX_EPOCH};

use http::request::Parts;

use super::{
    ALGORITHM, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER,
    UNSIGNED_PAYLOAD,
};
use crate::auth::AuthError;

/// The parts of `Credential=AK/date/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

impl Credential {
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Parses a credential. Any region is accepted (lenient: originstore serves every region
/// name a client is configured with, including the empty one); the service must be `s3`
/// (or `sts`, which only AssumeRole accepts).
pub fn parse_credential(value: &str) -> Result<Credential, String> {
    let mut it = value.rsplitn(5, '/');
    let (Some(terminal), Some(service), Some(region), Some(date), Some(access_key)) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        return Err(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
                .to_owned(),
        );
    };
    if terminal != "aws4_request" {
        return Err("incorrect terminal; expecting \"aws4_request\".".to_owned());
    }
    // `sts`: AssumeRole on the same endpoint (the caller refuses it for anything else).
    if service != "s3" && service != "sts" {
        return Err(format!(
            "incorrect service \"{service}\"; expecting \"s3\"."
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "incorrect date format \"{date}\"; expecting YYYYMMDD."
        ));
    }
    if access_key.is_empty() {
        return Err("the access key is empty.".to_owned());
    }
    Ok(Credential {
        access_key: access_key.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// The parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AuthorizationHeader {
    pub credential: Credential,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses the `Authorization` header, tolerating any mix of commas and spaces between the
/// components (clients differ: `, ` from the SDKs, `,` from others).
pub(super) fn parse_authorization(value: &str) -> Result<AuthorizationHeader, AuthError> {
    let malformed = |m: &str| AuthError::AuthorizationHeaderMalformed(m.to_owned());
    let value = value.trim();
    let Some(rest) = value.strip_prefix(ALGORITHM) else {
        return Err(AuthError::InvalidRequest(
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
                .to_owned(),
        ));
    };
    if !rest.starts_with([' ', '\t']) {
        return Err(malformed("expected a space after the algorithm"));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for token in rest.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
        if token.is_empty() {
            continue;
        }
        let Some((key, val)) = token.split_once('=') else {
            return Err(malformed(&format!(
                "the component \"{token}\" is not of the form key=value"
            )));
        };
        match key {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed = Some(val),
            "Signature" => signature = Some(val),
            _ => return Err(malformed(&format!("unknown component \"{key}\""))),
        }
    }
    let credential = credential.ok_or_else(|| malformed("missing Credential"))?;
    let signed = signed.ok_or_else(|| malformed("missing SignedHeaders"))?;
    let signature = signature.ok_or_else(|| malformed("missing Signature"))?;
    Ok(AuthorizationHeader {
        credential: parse_credential(credential)
            .map_err(AuthError::AuthorizationHeaderMalformed)?,
        signed_headers: parse_signed_headers(signed)
            .map_err(AuthError::AuthorizationHeaderMalformed)?,
        signature: signature.to_owned(),
    })
}

pub(super) fn parse_signed_headers(value: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = value
        .split(';')
        .filter(|n| !n.is_empty())
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    // Signing `host` binds the signature to this server; every SDK does it and AWS requires it.
    if !names.iter().any(|n| n == "host") {
        return Err("SignedHeaders must include host".to_owned());
    }
    Ok(names)
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub(super) fn parse_amz_date(value: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(value, format).ok()?;
    Some(parsed.assume_utc().unix_timestamp())
}

/// `time` as `YYYYMMDDTHHMMSSZ` (UTC); `None` only for years outside 0..=9999.
pub fn format_amz_date(time: SystemTime) -> Option<String> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from(time).format(format).ok()
}

pub(super) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The request time of a header-signed request: `x-amz-date`, else `Date` (RFC 7231),
/// returned as the `YYYYMMDDTHHMMSSZ` used in the string to sign and as Unix seconds.
pub(super) fn request_datetime(parts: &Parts) -> Result<(String, i64), AuthError> {
    let denied = || {
        AuthError::AccessDenied(
            "AWS authentication requires a valid Date or x-amz-date header".to_owned(),
        )
    };
    if let Some(value) = parts.headers.get("x-amz-date") {
        let text = value.to_str().map_err(|_| denied())?.trim();
        let seconds = parse_amz_date(text).ok_or_else(denied)?;
        return Ok((text.to_owned(), seconds));
    }
    if let Some(value) = parts.headers.get(http::header::DATE) {
        let text = value.to_str().map_err(|_| denied())?;
        let time = httpdate::parse_http_date(text.trim()).map_err(|_| denied())?;
        let formatted = format_amz_date(time).ok_or_else(denied)?;
        return Ok((formatted, unix_seconds(time)));
    }
    Err(denied())
}

/// What `x-amz-content-sha256` announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContentSha256 {
    Unsigned,
    Sha256([u8; 32]),
    Streaming { signed: bool, trailer: bool },
}

/// Parses an `x-amz-content-sha256` value. Anything but a hex SHA-256 or one of the literal
/// values AWS defines is refused, with the message AWS gives (its code there is
/// `InvalidArgument`, reported here as `InvalidRequest`, both 400).
pub(super) fn parse_content_sha256(value: &str) -> Result<ContentSha256, AuthError> {
    match value {
        UNSIGNED_PAYLOAD => Ok(ContentSha256::Unsigned),
        STREAMING_SIGNED => Ok(ContentSha256::Streaming { signed: true, trailer: false }),
        STREAMING_SIGNED_TRAILER => Ok(ContentSha256::Streaming { signed: true, trailer: true }),
        STREAMING_UNSIGNED_TRAILER => Ok(ContentSha256::Streaming { signed: false, trailer: true }),
        v if v.starts_with("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") => Err(AuthError::InvalidRequest(
            "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; use AWS4-HMAC-SHA256.".to_owned(),
        )),
        v => {
            let mut hash = [0u8; 32];
            if v.len() == 64 && hex::decode_to_slice(v, &mut hash).is_ok() {
                Ok(ContentSha256::Sha256(hash))
            } else {
                Err(AuthError::InvalidRequest(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
                     STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER \
                     or a valid sha256 value."
                        .to_owned(),
                ))
            }
        }
    }
}

pub(super) fn content_sha256_header(parts: &Parts) -> Result<Option<&str>, AuthError> {
    match parts.headers.get("x-amz-content-sha256") {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.trim())).map_err(|_| {
            AuthError::InvalidRequest("x-amz-content-sha256 is not valid ASCII".to_owned())
        }),
    }
}

/// Refuses `x-amz-*` headers that the signature does not cover, as AWS does: otherwise anyone
/// holding a signed request could add, say, `x-amz-meta-*` or `x-amz-acl` to it.
/// `x-amz-content-sha256` is exempt: it is covered by the payload hash line.
pub(super) fn check_amz_headers_signed(parts: &Parts, signed: &[String]) -> Result<(), AuthError> {
    for name in parts.headers.keys() {
        let name = name.as_str();
        if name.starts_with("x-amz-")
            && name != "x-amz-content-sha256"
            && !signed.iter().any(|s| s == name)
        {
            return Err(AuthError::AccessDenied(format!(
                "There were headers present in the request which were not signed: {name}"
            )));
        }
    }
    Ok(())
}

/// Whether the query carries presigned-URL authentication.
pub fn is_presigned(raw_query: &str) -> bool {
    raw_query.split('&').any(|piece| {
        let name = piece.split_once('=').map_or(piece, |(n, _)| n);
        name == "X-Amz-Signature" || name == "X-Amz-Algorithm"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "AKIAIOSFODNN7EXAMPLE";
    /// The signature of the GET Object example in the AWS documentation.
    const GET_SIGNATURE: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

    #[test]
    fn authorization_header_spacing_variants() {
        let value = |sep: &str| {
            format!(
                "AWS4-HMAC-SHA256  Credential={AK}/20130524/us-east-1/s3/aws4_request{sep}SignedHeaders=host;range;x-amz-content-sha256;x-amz-date{sep}Signature={GET_SIGNATURE}"
            )
        };
        for sep in [",", ", ", " ,", " , ", " "] {
            let parsed = parse_authorization(&value(sep)).unwrap();
            assert_eq!(parsed.credential.access_key, AK);
            assert_eq!(parsed.signed_headers.len(), 4);
            assert_eq!(parsed.signature, GET_SIGNATURE);
        }
        assert!(matches!(
            parse_authorization("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="),
            Err(AuthError::InvalidRequest(_))
        ));
        for bad in [
            "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=date, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/2013-05-24/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00, Extra=1",
            "AWS4-HMAC-SHA256Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        ] {
            assert!(
                matches!(parse_authorization(bad), Err(AuthError::AuthorizationHeaderMalformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn any_region_is_accepted() {
        for region in ["us-east-1", "eu-west-3", "local", ""] {
            let credential =
                parse_credential(&format!("{AK}/20130524/{region}/s3/aws4_request")).unwrap();
            assert_eq!(credential.region, region);
        }
    }
}
