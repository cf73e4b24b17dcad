//! AWS Signature Version 4 for S3: canonical request, string to sign, signing key and
//! signature, checked for `Authorization`-header requests and for presigned URLs.
//!
//! Pure functions over the request head; no I/O, no logging (a log line here could leak a
//! signature or a secret). The body is verified later by [`crate::body::RequestBody`] from the
//! [`Payload`] decided here.
//!
//! References:
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::request::Parts;
use sha2::{Digest, Sha256};

use super::{AuthContext, AuthError, ChunkSigner, Payload};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Header-signed requests must be within 15 minutes of the server clock (AWS's limit).
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// The longest lifetime of a presigned URL: seven days.
pub const MAX_EXPIRES_SECS: i64 = 604_800;

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC is defined for keys of any length; RustCrypto never refuses one.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(data));
    out
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha256(data))
}

/// Compares two byte strings without an early exit, so the time taken does not tell an
/// attacker how many leading bytes of a guessed signature were right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// `UriEncode()` of the AWS docs: every byte except the unreserved characters
/// `A-Za-z0-9-._~` becomes `%XX` (upper-case hex); `/` is kept when `keep_slash`.
pub fn uri_encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(s).collect()
}

/// The canonical URI of S3: the path is *not* normalised (no `.`/`..` or `//` removal); it is
/// percent-decoded once and each byte re-encoded, keeping `/`. So `%2F` in a key becomes `/`
/// (S3 encodes each path segment once, and its SDKs sign what they send).
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(raw_path.len() + 8);
    uri_encode(&percent_decode(raw_path.as_bytes()), true, &mut out);
    out
}

/// Splits a raw query string into decoded `(name, value)` pairs, in order. A valueless
/// parameter (`?acl`) has the value `""`. With `plus_as_space`, a raw `+` means a space
/// (form encoding); otherwise it is a literal plus.
pub fn parse_query(raw_query: &str, plus_as_space: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    let decode = |s: &str| -> Vec<u8> {
        if plus_as_space && s.contains('+') {
            percent_decode(s.replace('+', " ").as_bytes())
        } else {
            percent_decode(s.as_bytes())
        }
    };
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// The canonical query string: names and values decoded then `UriEncode`d (`/` too, space as
/// `%20`), sorted by encoded name then value, `name=` for valueless parameters.
/// `X-Amz-Signature` is left out when `presigned`.
pub fn canonical_query(raw_query: &str, plus_as_space: bool, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = parse_query(raw_query, plus_as_space)
        .into_iter()
        .filter(|(name, _)| !(presigned && name == b"X-Amz-Signature"))
        .map(|(name, value)| {
            let mut n = String::new();
            uri_encode(&name, false, &mut n);
            let mut v = String::new();
            uri_encode(&value, false, &mut v);
            (n, v)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Trims a header value and collapses each inner run of spaces into one, as SigV4 requires.
pub fn normalize_header_value(value: &[u8], out: &mut Vec<u8>) {
    let trimmed = value.trim_ascii();
    let mut previous_space = false;
    for &b in trimmed {
        if b == b' ' {
            if !previous_space {
                out.push(b' ');
            }
            previous_space = true;
        } else {
            out.push(b);
            previous_space = false;
        }
    }
}

/// The canonical headers block: one `name:value\n` line per signed header, in the order of
/// `signed` (already lower-case and sorted by the client), repeated headers joined with `,`.
/// A signed `host` missing from the header map (HTTP/2) is taken from the URI authority.
pub fn canonical_headers(parts: &Parts, signed: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    for name in signed {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut values = parts.headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() && name == "host" {
            if let Some(authority) = parts.uri.authority() {
                normalize_header_value(authority.as_str().as_bytes(), &mut out);
            }
        }
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            normalize_header_value(value.as_bytes(), &mut out);
        }
        out.push(b'\n');
    }
    out
}

/// Method, canonical URI, canonical query, canonical headers, signed headers and payload
/// hash, each on its own line.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &[u8],
    signed_headers: &str,
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    for part in [method, canonical_uri, canonical_query] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(canonical_headers);
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// `AWS4-HMAC-SHA256\n<datetime>\n<scope>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{datetime}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

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
/// name a client is configured with, including the empty one); the service must be `s3`.
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
    if service != "s3" {
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
pub struct AuthorizationHeader {
    pub credential: Credential,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses the `Authorization` header, tolerating any mix of commas and spaces between the
/// components (clients differ: `, ` from the SDKs, `,` from others).
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader, AuthError> {
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

fn parse_signed_headers(value: &str) -> Result<Vec<String>, String> {
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
pub fn parse_amz_date(value: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(value, format).ok()?;
    Some(parsed.assume_utc().unix_timestamp())
}

fn format_amz_date(time: SystemTime) -> Option<String> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from(time).format(format).ok()
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The request time of a header-signed request: `x-amz-date`, else `Date` (RFC 7231),
/// returned as the `YYYYMMDDTHHMMSSZ` used in the string to sign and as Unix seconds.
fn request_datetime(parts: &Parts) -> Result<(String, i64), AuthError> {
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
pub enum ContentSha256 {
    Unsigned,
    Sha256([u8; 32]),
    Streaming { signed: bool, trailer: bool },
}

/// Parses an `x-amz-content-sha256` value. Anything but a hex SHA-256 or one of the literal
/// values AWS defines is refused, with the message AWS gives (its code there is
/// `InvalidArgument`, reported here as `InvalidRequest`, both 400).
pub fn parse_content_sha256(value: &str) -> Result<ContentSha256, AuthError> {
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

fn content_sha256_header(parts: &Parts) -> Result<Option<&str>, AuthError> {
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
fn check_amz_headers_signed(parts: &Parts, signed: &[String]) -> Result<(), AuthError> {
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

/// Everything needed to check one signature.
struct SignatureCheck<'a> {
    signed_headers: &'a [String],
    payload_hash: &'a str,
    datetime: &'a str,
    scope: &'a str,
    key: &'a [u8; 32],
    presigned: bool,
}

/// Computes the signature over each acceptable canonical form of the request and compares
/// it with `provided` in constant time; returns the matching signature (lower-case hex).
fn check_signature(
    parts: &Parts,
    check: &SignatureCheck<'_>,
    provided: &str,
) -> Result<String, AuthError> {
    let headers = canonical_headers(parts, check.signed_headers);
    let signed_list = check.signed_headers.join(";");
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");

    // S3's rule first; then the path exactly as received, for clients that sign what they
    // send with an encoding of their own.
    let mut paths = vec![canonical_uri(raw_path)];
    if paths[0] != raw_path {
        paths.push(raw_path.to_owned());
    }
    // A raw `+` is ambiguous: a space in form encoding, a literal plus for others.
    let mut queries = vec![canonical_query(raw_query, true, check.presigned)];
    if raw_query.contains('+') {
        let literal = canonical_query(raw_query, false, check.presigned);
        if literal != queries[0] {
            queries.push(literal);
        }
    }
    // curl before 8.x writes a valueless parameter as `name`, not `name=` (`?origin`,
    // `?uploads`): accept that form of its own making too.
    if raw_query
        .split('&')
        .any(|piece| !piece.is_empty() && !piece.contains('='))
    {
        let bare: Vec<String> = queries.iter().map(|q| without_empty_values(q)).collect();
        for q in bare {
            if !queries.contains(&q) {
                queries.push(q);
            }
        }
    }
    let provided = provided.to_ascii_lowercase();
    let mut matched = None;
    for path in &paths {
        for query in &queries {
            let request = canonical_request(
                parts.method.as_str(),
                path,
                query,
                &headers,
                &signed_list,
                check.payload_hash,
            );
            let sts = string_to_sign(check.datetime, check.scope, &request);
            let signature = hex::encode(hmac_sha256(check.key, sts.as_bytes()));
            if constant_time_eq(signature.as_bytes(), provided.as_bytes()) && matched.is_none() {
                matched = Some(signature);
            }
        }
    }
    matched.ok_or(AuthError::SignatureDoesNotMatch)
}

/// `a=&b=1&c=` -> `a&b=1&c`.
fn without_empty_values(canonical: &str) -> String {
    canonical
        .split('&')
        .map(|pair| pair.strip_suffix('=').unwrap_or(pair))
        .collect::<Vec<_>>()
        .join("&")
}

/// Authenticates a request signed in the `Authorization` header.
pub fn verify_header(
    parts: &Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<AuthContext, AuthError> {
    verify_header_with_body_hash(parts, secret_for, now, None)
}

/// [`verify_header`], with the hex SHA-256 of the (already read) body standing for a missing
/// `x-amz-content-sha256`: generic SigV4 signers (curl before 8.x, signing libraries made for
/// other AWS services) sign the body's hash without sending that header.
pub fn verify_header_with_body_hash(
    parts: &Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
    body_sha256_hex: Option<&str>,
) -> Result<AuthContext, AuthError> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            AuthError::AuthorizationHeaderMalformed("the header is not valid ASCII".to_owned())
        })?;
    let auth = parse_authorization(value)?;
    let (datetime, request_time) = request_datetime(parts)?;
    if !datetime.starts_with(&auth.credential.date) {
        return Err(AuthError::AuthorizationHeaderMalformed(format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
            auth.credential.date,
            &datetime[..datetime.len().min(8)]
        )));
    }
    let secret = secret_for(&auth.credential.access_key).ok_or(AuthError::InvalidAccessKeyId)?;
    if (unix_seconds(now) - request_time).abs() > MAX_SKEW_SECS {
        return Err(AuthError::RequestTimeTooSkewed);
    }
    check_amz_headers_signed(parts, &auth.signed_headers)?;

    // Lenient: a header-signed request without x-amz-content-sha256 is taken as
    // UNSIGNED-PAYLOAD (AWS answers InvalidRequest), or as signing the body's hash when the
    // caller read the body to find out (see `verify_header_with_body_hash`).
    let header = content_sha256_header(parts)?;
    let payload_hash = header.or(body_sha256_hex).unwrap_or(UNSIGNED_PAYLOAD);
    let content = parse_content_sha256(payload_hash)?;

    let credential = &auth.credential;
    let key = signing_key(
        &secret,
        &credential.date,
        &credential.region,
        &credential.service,
    );
    let scope = credential.scope();
    let check = SignatureCheck {
        signed_headers: &auth.signed_headers,
        payload_hash,
        datetime: &datetime,
        scope: &scope,
        key: &key,
        presigned: false,
    };
    let signature = check_signature(parts, &check, &auth.signature)?;
    let payload = match content {
        ContentSha256::Unsigned => Payload::Unsigned,
        ContentSha256::Sha256(hash) => Payload::Sha256(hash),
        ContentSha256::Streaming {
            signed: true,
            trailer,
        } => Payload::SignedChunks {
            trailer,
            signer: ChunkSigner::new(key, datetime.clone(), scope, signature),
        },
        ContentSha256::Streaming {
            signed: false,
            trailer,
        } => Payload::UnsignedChunks { trailer },
    };
    Ok(AuthContext {
        access_key: Some(credential.access_key.clone()),
        payload,
    })
}

/// Authenticates a presigned URL (`X-Amz-*` query parameters).
pub fn verify_presigned(
    parts: &Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<AuthContext, AuthError> {
    let query_error = |m: &str| AuthError::AuthorizationQueryParametersError(m.to_owned());
    let raw_query = parts.uri.query().unwrap_or("");
    let params = parse_query(raw_query, false);
    let param = |name: &str| -> Option<String> {
        params
            .iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let algorithm =
        param("X-Amz-Algorithm").ok_or_else(|| query_error("X-Amz-Algorithm is missing"))?;
    if algorithm != ALGORITHM {
        return Err(query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let credential =
        param("X-Amz-Credential").ok_or_else(|| query_error("X-Amz-Credential is missing"))?;
    let credential =
        parse_credential(&credential).map_err(AuthError::AuthorizationQueryParametersError)?;
    let datetime = param("X-Amz-Date").ok_or_else(|| query_error("X-Amz-Date is missing"))?;
    let request_time = parse_amz_date(&datetime).ok_or_else(|| {
        query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    if !datetime.starts_with(&credential.date) {
        return Err(query_error("the credential date does not match X-Amz-Date"));
    }
    let expires = param("X-Amz-Expires").ok_or_else(|| query_error("X-Amz-Expires is missing"))?;
    let expires: i64 = expires
        .parse()
        .map_err(|_| query_error("X-Amz-Expires should be a number"))?;
    if expires < 1 {
        return Err(query_error("X-Amz-Expires must be non-negative"));
    }
    if expires > MAX_EXPIRES_SECS {
        return Err(query_error(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ));
    }
    let signed = param("X-Amz-SignedHeaders")
        .ok_or_else(|| query_error("X-Amz-SignedHeaders is missing"))?;
    let signed_headers =
        parse_signed_headers(&signed).map_err(AuthError::AuthorizationQueryParametersError)?;
    let provided =
        param("X-Amz-Signature").ok_or_else(|| query_error("X-Amz-Signature is missing"))?;

    let secret = secret_for(&credential.access_key).ok_or(AuthError::InvalidAccessKeyId)?;
    let now = unix_seconds(now);
    if request_time - now > MAX_SKEW_SECS {
        return Err(AuthError::AccessDenied(
            "Request is not valid yet".to_owned(),
        ));
    }
    if now > request_time + expires {
        return Err(AuthError::AccessDenied("Request has expired".to_owned()));
    }
    check_amz_headers_signed(parts, &signed_headers)?;

    // The payload of a presigned URL is not signed, unless the URL itself names a hash.
    let payload_hash = param("X-Amz-Content-Sha256").unwrap_or_else(|| UNSIGNED_PAYLOAD.to_owned());
    let payload = match parse_content_sha256(&payload_hash)? {
        ContentSha256::Unsigned => Payload::Unsigned,
        ContentSha256::Sha256(hash) => Payload::Sha256(hash),
        ContentSha256::Streaming { .. } => {
            return Err(AuthError::InvalidRequest(
                "A presigned URL cannot carry an aws-chunked streaming payload.".to_owned(),
            ))
        }
    };
    if let Some(header) = content_sha256_header(parts)? {
        if matches!(
            parse_content_sha256(header)?,
            ContentSha256::Streaming { .. }
        ) {
            return Err(AuthError::InvalidRequest(
                "A presigned URL cannot carry an aws-chunked streaming payload.".to_owned(),
            ));
        }
    }

    let key = signing_key(
        &secret,
        &credential.date,
        &credential.region,
        &credential.service,
    );
    let scope = credential.scope();
    let check = SignatureCheck {
        signed_headers: &signed_headers,
        payload_hash: &payload_hash,
        datetime: &datetime,
        scope: &scope,
        key: &key,
        presigned: true,
    };
    check_signature(parts, &check, &provided)?;
    Ok(AuthContext {
        access_key: Some(credential.access_key),
        payload,
    })
}

/// An unsigned request: nobody is authenticated, but the body framing announced by
/// `x-amz-content-sha256` is still honoured (an anonymous client may send an unsigned
/// aws-chunked body with a checksum trailer, or a hash to be checked).
pub fn anonymous(parts: &Parts) -> Result<AuthContext, AuthError> {
    let payload = match content_sha256_header(parts)? {
        None => Payload::Unsigned,
        Some(value) => match parse_content_sha256(value)? {
            ContentSha256::Unsigned => Payload::Unsigned,
            ContentSha256::Sha256(hash) => Payload::Sha256(hash),
            ContentSha256::Streaming {
                signed: false,
                trailer,
            } => Payload::UnsignedChunks { trailer },
            ContentSha256::Streaming { signed: true, .. } => {
                return Err(AuthError::AccessDenied(
                    "A signed streaming payload requires a signed request.".to_owned(),
                ))
            }
        },
    };
    Ok(AuthContext {
        access_key: None,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::chunked::testing::decode_in_pieces;
    use crate::auth::chunked::ChunkDecoder;
    use crate::auth::verify_request;
    use std::time::Duration;

    const AK: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    /// 20130524T000000Z, the time of every AWS example.
    const EXAMPLE_TIME: u64 = 1_369_353_600;

    fn at(offset: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(EXAMPLE_TIME.saturating_add_signed(offset))
    }

    fn secrets(key: &str) -> Option<String> {
        (key == AK).then(|| SECRET.to_owned())
    }

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    /// Signs a request the way an SDK does, with S3's canonical URI (or `path_as_signed`).
    fn sign(
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        path_as_signed: Option<&str>,
    ) -> Parts {
        let unsigned = parts(method, uri, headers);
        let mut names: Vec<String> = headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        let payload = unsigned
            .headers
            .get("x-amz-content-sha256")
            .map_or(UNSIGNED_PAYLOAD, |v| v.to_str().unwrap())
            .to_owned();
        let path = path_as_signed.map_or_else(|| canonical_uri(unsigned.uri.path()), str::to_owned);
        let request = canonical_request(
            method,
            &path,
            &canonical_query(unsigned.uri.query().unwrap_or(""), true, false),
            &canonical_headers(&unsigned, &names),
            &names.join(";"),
            &payload,
        );
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &request,
        );
        let signature = hex::encode(hmac_sha256(&key, sts.as_bytes()));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request, SignedHeaders={}, Signature={signature}",
            names.join(";")
        );
        let mut all = headers.to_vec();
        all.push(("authorization", &authorization));
        parts(method, uri, &all)
    }

    const BASE: [(&str, &str); 3] = [
        ("host", "examplebucket.s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
    ];

    fn with_base<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all = BASE.to_vec();
        all.extend_from_slice(extra);
        all
    }

    /// The GET Object example of "Signature Calculations for the Authorization Header".
    fn get_object_example(range: &str, signature: &str) -> Parts {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature={signature}"
        );
        parts(
            "GET",
            "/test.txt",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", range),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", "20130524T000000Z"),
                ("authorization", &authorization),
            ],
        )
    }
    const GET_SIGNATURE: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

    #[test]
    fn aws_get_object_example() {
        let request = get_object_example("bytes=0-9", GET_SIGNATURE);
        let context = verify_request(&request, &secrets, at(0)).unwrap();
        assert_eq!(context.access_key.as_deref(), Some(AK));
        let mut empty = [0u8; 32];
        hex::decode_to_slice(EMPTY_SHA256, &mut empty).unwrap();
        assert!(matches!(context.payload, Payload::Sha256(h) if h == empty));
    }

    #[test]
    fn aws_get_object_example_tampered() {
        let request = get_object_example("bytes=0-10", GET_SIGNATURE);
        assert_eq!(
            verify_request(&request, &secrets, at(0)).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
        let wrong = GET_SIGNATURE.replace("f0e8", "f0e9");
        let request = get_object_example("bytes=0-9", &wrong);
        assert_eq!(
            verify_request(&request, &secrets, at(0)).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
    }

    #[test]
    fn clock_skew_limit() {
        let request = get_object_example("bytes=0-9", GET_SIGNATURE);
        for ok in [-900, -60, 60, 900] {
            verify_request(&request, &secrets, at(ok)).unwrap();
        }
        for skewed in [-901, 901, 86_400] {
            assert_eq!(
                verify_request(&request, &secrets, at(skewed)).unwrap_err(),
                AuthError::RequestTimeTooSkewed
            );
        }
    }

    #[test]
    fn unknown_access_key() {
        let request = get_object_example("bytes=0-9", GET_SIGNATURE);
        let nobody = |_: &str| None;
        assert_eq!(
            verify_request(&request, &nobody, at(0)).unwrap_err(),
            AuthError::InvalidAccessKeyId
        );
    }

    /// The example of "Authenticating Requests: Using Query Parameters".
    const PRESIGNED: &str = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
        &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
        &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    #[test]
    fn aws_presigned_example() {
        let request = parts(
            "GET",
            PRESIGNED,
            &[("host", "examplebucket.s3.amazonaws.com")],
        );
        let context = verify_request(&request, &secrets, at(0)).unwrap();
        assert_eq!(context.access_key.as_deref(), Some(AK));
        assert!(matches!(context.payload, Payload::Unsigned));
        // Valid through its last second, whatever the clock skew of a header request.
        verify_request(&request, &secrets, at(86_400)).unwrap();
        assert_eq!(
            verify_request(&request, &secrets, at(86_401)).unwrap_err(),
            AuthError::AccessDenied("Request has expired".to_owned())
        );
        assert!(matches!(
            verify_request(&request, &secrets, at(-3600)).unwrap_err(),
            AuthError::AccessDenied(_)
        ));
    }

    #[test]
    fn presigned_tampering_and_parameters() {
        let host = [("host", "examplebucket.s3.amazonaws.com")];
        let added = format!("{PRESIGNED}&x-id=GetObject");
        assert_eq!(
            verify_request(&parts("GET", &added, &host), &secrets, at(0)).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
        let other_host = [("host", "evil.example.com")];
        assert_eq!(
            verify_request(&parts("GET", PRESIGNED, &other_host), &secrets, at(0)).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
        for (from, to) in [
            ("X-Amz-Expires=86400", "X-Amz-Expires=604801"),
            ("X-Amz-Expires=86400", "X-Amz-Expires=0"),
            ("X-Amz-Expires=86400", "X-Amz-Expires=soon"),
            (
                "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                "X-Amz-Algorithm=AWS4-HMAC-SHA1",
            ),
            ("&X-Amz-Date=20130524T000000Z", ""),
            ("%2Fs3%2F", "%2Fsqs%2F"),
        ] {
            let uri = PRESIGNED.replace(from, to);
            assert!(
                matches!(
                    verify_request(&parts("GET", &uri, &host), &secrets, at(0)),
                    Err(AuthError::AuthorizationQueryParametersError(_))
                ),
                "{to}"
            );
        }
    }

    /// Presigns `uri` (path and extra parameters) like an SDK does.
    fn presign(path: &str, extra: &str, expires: u32) -> String {
        let mut query = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AK}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
        );
        if !extra.is_empty() {
            query = format!("{extra}&{query}");
        }
        let unsigned = parts("GET", &format!("{path}?{query}"), &BASE[..1]);
        let request = canonical_request(
            "GET",
            &canonical_uri(path),
            &canonical_query(&query, true, true),
            &canonical_headers(&unsigned, &["host".to_owned()]),
            "host",
            UNSIGNED_PAYLOAD,
        );
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &request,
        );
        format!(
            "{path}?{query}&X-Amz-Signature={}",
            hex::encode(hmac_sha256(&key, sts.as_bytes()))
        )
    }

    #[test]
    fn presigned_with_extra_signed_parameters() {
        let uri = presign(
            "/b/my%20key",
            "response-content-type=text%2Fplain&x-id=GetObject",
            604_800,
        );
        verify_request(&parts("GET", &uri, &BASE[..1]), &secrets, at(0)).unwrap();
    }

    #[test]
    fn presigned_refuses_streaming_payloads() {
        let uri = presign("/b/k", "", 60);
        let headers = [
            BASE[0],
            ("x-amz-content-sha256", STREAMING_UNSIGNED_TRAILER),
        ];
        assert!(matches!(
            verify_request(&parts("PUT", &uri, &headers), &secrets, at(0)),
            Err(AuthError::InvalidRequest(_))
        ));
    }

    /// The headers of the chunked upload examples ("Transferring Payload in Multiple Chunks"
    /// and "Signature calculations for trailing headers").
    fn chunked_example(trailer: bool) -> Parts {
        let (payload, signed, seed) = if trailer {
            (
                STREAMING_SIGNED_TRAILER,
                "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
                "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
            )
        } else {
            (
                STREAMING_SIGNED,
                "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
                "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            )
        };
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={seed}"
        );
        let mut headers = vec![
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", payload),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("authorization", &authorization),
        ];
        if trailer {
            headers.push(("x-amz-trailer", "x-amz-checksum-crc32c"));
        } else {
            headers.push(("content-length", "66824"));
        }
        parts("PUT", "/examplebucket/chunkObject.txt", &headers)
    }

    #[test]
    fn aws_chunked_upload_example() {
        let context = verify_request(&chunked_example(false), &secrets, at(0)).unwrap();
        let Payload::SignedChunks {
            trailer: false,
            signer,
        } = context.payload
        else {
            panic!("expected signed chunks, got {:?}", context.payload);
        };
        let mut body = Vec::new();
        body.extend_from_slice(
            b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
        );
        body.extend_from_slice(&[b'a'; 65536]);
        body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
        let decoder = ChunkDecoder::new(Some(signer), false, Some(66560));
        let (out, _) = decode_in_pieces(decoder, &body, &[4096]).unwrap();
        assert_eq!(out.len(), 66560);
    }

    #[test]
    fn aws_trailer_example_seed() {
        let context = verify_request(&chunked_example(true), &secrets, at(0)).unwrap();
        let Payload::SignedChunks {
            trailer: true,
            signer,
        } = context.payload
        else {
            panic!(
                "expected signed chunks with a trailer, got {:?}",
                context.payload
            );
        };
        assert_eq!(
            signer.expected_chunk_signature(&sha256(&[b'a'; 65536])),
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
        );
    }

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

    #[test]
    fn canonical_uri_encodes_each_byte_once() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/b/my%20key"), "/b/my%20key");
        assert_eq!(canonical_uri("/b/my key"), "/b/my%20key");
        assert_eq!(canonical_uri("/b/a+b"), "/b/a%2Bb");
        assert_eq!(canonical_uri("/b/a%2Bb"), "/b/a%2Bb");
        assert_eq!(canonical_uri("/b/100%25"), "/b/100%25");
        assert_eq!(canonical_uri("/b/~tilde-._"), "/b/~tilde-._");
        assert_eq!(canonical_uri("/b/%7Etilde"), "/b/~tilde");
        assert_eq!(
            canonical_uri("/b/caf%C3%A9/%E2%9C%93"),
            "/b/caf%C3%A9/%E2%9C%93"
        );
        assert_eq!(canonical_uri("/b/a%2Fb"), "/b/a/b");
        // No normalisation: S3 keys may contain these.
        assert_eq!(canonical_uri("/b//a/./../c/"), "/b//a/./../c/");
        assert_eq!(canonical_uri("/b/q%3F%23h"), "/b/q%3F%23h");
        assert_eq!(canonical_uri("/b/(x)!*'"), "/b/%28x%29%21%2A%27");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query("", true, false), "");
        assert_eq!(canonical_query("acl", true, false), "acl=");
        assert_eq!(
            canonical_query("uploads=&b=2&a=1", true, false),
            "a=1&b=2&uploads="
        );
        assert_eq!(canonical_query("k=b&k=a&k=", true, false), "k=&k=a&k=b");
        assert_eq!(
            canonical_query("prefix=a%2Fb&delimiter=/", true, false),
            "delimiter=%2F&prefix=a%2Fb"
        );
        assert_eq!(canonical_query("p=a b", true, false), "p=a%20b");
        assert_eq!(canonical_query("p=a+b", true, false), "p=a%20b");
        assert_eq!(canonical_query("p=a+b", false, false), "p=a%2Bb");
        assert_eq!(canonical_query("p=%7e~%41", true, false), "p=~~A");
        assert_eq!(canonical_query("p=%C3%A9", true, false), "p=%C3%A9");
        assert_eq!(canonical_query("a=1&&b=2&", true, false), "a=1&b=2");
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", true, true),
            "X-Amz-Date=1"
        );
        // Upper-case names sort before lower-case ones (byte order, as AWS).
        assert_eq!(canonical_query("b=1&B=2&a=3", true, false), "B=2&a=3&b=1");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut out = Vec::new();
        normalize_header_value(b"  a   b  c \t", &mut out);
        assert_eq!(out, b"a b c");
        let request = parts(
            "GET",
            "/",
            &[
                ("host", "h:9000"),
                ("x-amz-meta-a", " one "),
                ("x-amz-meta-a", "two   words"),
            ],
        );
        let block = canonical_headers(&request, &["host".to_owned(), "x-amz-meta-a".to_owned()]);
        assert_eq!(block, b"host:h:9000\nx-amz-meta-a:one,two words\n");
    }

    #[test]
    fn host_comes_from_the_authority_without_a_header() {
        let request = parts("GET", "http://h.example:9000/b/k", &[]);
        assert_eq!(
            canonical_headers(&request, &["host".to_owned()]),
            b"host:h.example:9000\n"
        );
    }

    #[test]
    fn signed_edge_case_keys_and_queries_verify() {
        let cases = [
            "/b/my%20key",
            "/b/a%2Bb",
            "/b/100%25",
            "/b/~tilde",
            "/b/caf%C3%A9%20%E2%9C%93",
            "/b//double//slash/",
            "/b/k?versionId=null&partNumber=2&partNumber=1",
            "/b?list-type=2&prefix=a%20b&delimiter=%2F&encoding-type=url",
            "/b?uploads",
            "/b/k?x=a+b",
        ];
        for uri in cases {
            for host in ["examplebucket.s3.amazonaws.com", "127.0.0.1:9000"] {
                let headers = [
                    ("host", host),
                    ("x-amz-date", "20130524T000000Z"),
                    ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
                    ("x-amz-meta-note", "  folded   value "),
                    ("content-type", "text/plain"),
                ];
                let request = sign("PUT", uri, &headers, None);
                let context = verify_request(&request, &secrets, at(0))
                    .unwrap_or_else(|e| panic!("{uri}: {e}"));
                assert!(matches!(context.payload, Payload::Unsigned));
            }
        }
    }

    #[test]
    fn raw_path_is_tried_when_the_client_encodes_differently() {
        // This client signs the path exactly as it sends it (a raw `+` and `!`).
        let request = sign("GET", "/b/a+b!", &BASE, Some("/b/a+b!"));
        verify_request(&request, &secrets, at(0)).unwrap();
        // But a path signed for another key does not verify.
        let request = sign("GET", "/b/a+b!", &BASE, Some("/b/other"));
        assert_eq!(
            verify_request(&request, &secrets, at(0)).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
    }

    #[test]
    fn date_header_instead_of_x_amz_date() {
        let headers = [
            ("host", "h"),
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ];
        let request = sign("GET", "/b/k", &headers, None);
        verify_request(&request, &secrets, at(0)).unwrap();
        assert_eq!(
            verify_request(&request, &secrets, at(3600)).unwrap_err(),
            AuthError::RequestTimeTooSkewed
        );
    }

    #[test]
    fn missing_date_is_denied() {
        let request = sign("GET", "/b/k", &[("host", "h")], None);
        assert!(matches!(
            verify_request(&request, &secrets, at(0)),
            Err(AuthError::AccessDenied(_))
        ));
    }

    #[test]
    fn unsigned_amz_headers_are_refused() {
        let mut request = sign("PUT", "/b/k", &BASE, None);
        request
            .headers
            .insert("x-amz-meta-late", "x".parse().unwrap());
        assert!(matches!(
            verify_request(&request, &secrets, at(0)),
            Err(AuthError::AccessDenied(m)) if m.contains("x-amz-meta-late")
        ));
        // Other unsigned headers are fine.
        let mut request = sign("PUT", "/b/k", &BASE, None);
        request.headers.insert("user-agent", "x".parse().unwrap());
        verify_request(&request, &secrets, at(0)).unwrap();
    }

    #[test]
    fn missing_content_sha256_is_unsigned_payload() {
        let request = sign("GET", "/b/k", &BASE[..2], None);
        let context = verify_request(&request, &secrets, at(0)).unwrap();
        assert!(matches!(context.payload, Payload::Unsigned));
    }

    #[test]
    fn content_sha256_values() {
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let request = sign(
            "PUT",
            "/b/k",
            &with_base(&[])[..2]
                .iter()
                .copied()
                .chain([("x-amz-content-sha256", hash)])
                .collect::<Vec<_>>(),
            None,
        );
        let context = verify_request(&request, &secrets, at(0)).unwrap();
        assert!(matches!(context.payload, Payload::Sha256(h) if hex::encode(h) == hash));
        for value in [
            "nope",
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
            &hash[1..],
        ] {
            let headers = [BASE[0], BASE[1], ("x-amz-content-sha256", value)];
            let request = sign("PUT", "/b/k", &headers, None);
            assert!(
                matches!(
                    verify_request(&request, &secrets, at(0)),
                    Err(AuthError::InvalidRequest(_))
                ),
                "{value}"
            );
        }
        let headers = [
            BASE[0],
            BASE[1],
            ("x-amz-content-sha256", STREAMING_UNSIGNED_TRAILER),
        ];
        let context =
            verify_request(&sign("PUT", "/b/k", &headers, None), &secrets, at(0)).unwrap();
        assert!(matches!(
            context.payload,
            Payload::UnsignedChunks { trailer: true }
        ));
    }

    #[test]
    fn anonymous_requests() {
        let context =
            verify_request(&parts("GET", "/b/k", &[("host", "h")]), &secrets, at(0)).unwrap();
        assert_eq!(context.access_key, None);
        assert!(matches!(context.payload, Payload::Unsigned));
        let headers = [
            ("host", "h"),
            ("x-amz-content-sha256", STREAMING_UNSIGNED_TRAILER),
        ];
        let context = verify_request(&parts("PUT", "/b/k", &headers), &secrets, at(0)).unwrap();
        assert!(matches!(
            context.payload,
            Payload::UnsignedChunks { trailer: true }
        ));
        let headers = [("host", "h"), ("x-amz-content-sha256", STREAMING_SIGNED)];
        assert!(matches!(
            verify_request(&parts("PUT", "/b/k", &headers), &secrets, at(0)),
            Err(AuthError::AccessDenied(_))
        ));
        // A query that merely mentions signatures in a value is not presigned.
        let context = verify_request(
            &parts("GET", "/b?prefix=X-Amz-Signature", &[]),
            &secrets,
            at(0),
        )
        .unwrap();
        assert_eq!(context.access_key, None);
    }

    #[test]
    fn credential_date_must_match_request_date() {
        let request = get_object_example("bytes=0-9", GET_SIGNATURE);
        let mut request = request;
        request
            .headers
            .insert("x-amz-date", "20130525T000000Z".parse().unwrap());
        assert!(matches!(
            verify_request(&request, &secrets, at(86_400)),
            Err(AuthError::AuthorizationHeaderMalformed(_))
        ));
    }

    #[test]
    fn constant_time_eq_basics() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
