//! Verifying a request: the `Authorization` header form and the presigned form, which
//! differ in where they find the credential, date and signature and share one tail
//! ([`check_signature`]): the signing key, each acceptable canonical form, a constant-time
//! comparison. Also the anonymous form (no signature, but a declared body framing).

use std::time::SystemTime;

use http::request::Parts;

use super::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, parse_query,
    string_to_sign,
};
use super::parse::{
    check_amz_headers_signed, content_sha256_header, parse_amz_date, parse_authorization,
    parse_content_sha256, parse_credential, parse_signed_headers, request_datetime, unix_seconds,
    ContentSha256, Credential,
};
use super::scheme::{ALGORITHM, MAX_EXPIRES_SECS, MAX_SKEW_SECS, UNSIGNED_PAYLOAD};
use crate::auth::signing::{constant_time_eq, hmac_sha256, signing_key};
use crate::auth::{AuthContext, AuthError, ChunkSigner, Payload};

/// What a request claims about its signature, wherever it was found (header or query).
struct SignatureCheck<'a> {
    credential: &'a Credential,
    secret: &'a str,
    signed_headers: &'a [String],
    payload_hash: &'a str,
    datetime: &'a str,
    presigned: bool,
    provided: &'a str,
}

/// A verified signature, with what the aws-chunked chunk signer continues from.
struct Verified {
    key: [u8; 32],
    scope: String,
    signature: String,
}

/// The tail both request forms share: derive the signing key of the credential's scope,
/// compute the signature over each acceptable canonical form of the request and compare it
/// with the provided one in constant time.
fn check_signature(parts: &Parts, check: &SignatureCheck<'_>) -> Result<Verified, AuthError> {
    let credential = check.credential;
    let key = signing_key(
        check.secret,
        &credential.date,
        &credential.region,
        &credential.service,
    );
    let scope = credential.scope();
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
    let provided = check.provided.to_ascii_lowercase();
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
            let sts = string_to_sign(check.datetime, &scope, &request);
            let signature = hex::encode(hmac_sha256(&key, sts.as_bytes()));
            if constant_time_eq(signature.as_bytes(), provided.as_bytes()) && matched.is_none() {
                matched = Some(signature);
            }
        }
    }
    let signature = matched.ok_or(AuthError::SignatureDoesNotMatch)?;
    Ok(Verified {
        key,
        scope,
        signature,
    })
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
    let verified = check_signature(
        parts,
        &SignatureCheck {
            credential,
            secret: &secret,
            signed_headers: &auth.signed_headers,
            payload_hash,
            datetime: &datetime,
            presigned: false,
            provided: &auth.signature,
        },
    )?;
    let payload = match content {
        ContentSha256::Unsigned => Payload::Unsigned,
        ContentSha256::Sha256(hash) => Payload::Sha256(hash),
        ContentSha256::Streaming {
            signed: true,
            trailer,
        } => Payload::SignedChunks {
            trailer,
            signer: ChunkSigner::new(
                verified.key,
                datetime.clone(),
                verified.scope,
                verified.signature,
            ),
        },
        ContentSha256::Streaming {
            signed: false,
            trailer,
        } => Payload::UnsignedChunks { trailer },
    };
    Ok(AuthContext {
        sts: credential.service == "sts",
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

    check_signature(
        parts,
        &SignatureCheck {
            credential: &credential,
            secret: &secret,
            signed_headers: &signed_headers,
            payload_hash: &payload_hash,
            datetime: &datetime,
            presigned: true,
            provided: &provided,
        },
    )?;
    Ok(AuthContext {
        sts: credential.service == "sts",
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
        sts: false,
    })
}
