//! Verification end to end, against the worked examples of the AWS documentation (header,
//! presigned, chunked, trailer) and the edge cases clients produce.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::request::Parts;

use super::*;
use crate::auth::chunked::testing::{aws_example_body, decode_in_pieces};
use crate::auth::chunked::ChunkDecoder;
use crate::auth::{verify_request, AuthError, Payload};

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
fn sign(method: &str, uri: &str, headers: &[(&str, &str)], path_as_signed: Option<&str>) -> Parts {
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
    let body = aws_example_body();
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
            let context =
                verify_request(&request, &secrets, at(0)).unwrap_or_else(|e| panic!("{uri}: {e}"));
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
    let context = verify_request(&sign("PUT", "/b/k", &headers, None), &secrets, at(0)).unwrap();
    assert!(matches!(
        context.payload,
        Payload::UnsignedChunks { trailer: true }
    ));
}

#[test]
fn anonymous_requests() {
    let context = verify_request(&parts("GET", "/b/k", &[("host", "h")]), &secrets, at(0)).unwrap();
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
