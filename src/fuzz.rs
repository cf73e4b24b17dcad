//! Fuzz targets, as proptest properties: every parser of client input takes arbitrary
//! bytes (and near-valid shapes, which reach deeper) without panicking — the router, SigV4
//! and SigV2 verification (headers and presigned queries), the aws-chunked decoder, the
//! POST policy and form signature, and every XML document parser. `cargo test` runs a short
//! round of each (the case counts below); for a long run by hand:
//! `PROPTEST_CASES=100000 cargo test --lib fuzz`.

use std::time::SystemTime;

use proptest::prelude::*;

use crate::auth::{self, Payload};
use crate::router::Operation;

/// Bytes that look a little like what the parsers expect, so they get past the first check.
fn xmlish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "<",
        ">",
        "</",
        "/>",
        "<?xml version=\"1.0\"?>",
        "<Delete>",
        "</Delete>",
        "<Object>",
        "</Object>",
        "<Key>",
        "</Key>",
        "<Tagging>",
        "<TagSet>",
        "<Tag>",
        "<Value>",
        "<CORSConfiguration>",
        "<CORSRule>",
        "<AllowedOrigin>*",
        "<AllowedMethod>GET",
        "<LifecycleConfiguration>",
        "<Rule>",
        "<Status>Enabled",
        "<Expiration><Days>1",
        "<OriginConfiguration>",
        "<OriginRule>",
        "<RulePriority>1",
        "<HostInfo><HostName>h",
        "<AccessControlPolicy>",
        "<Grant>",
        "<Grantee>",
        "<URI>",
        "<Permission>READ",
        "&amp;",
        "&lt;",
        "&#0;",
        "&#x10FFFF;",
        "<!DOCTYPE a [<!ENTITY b \"c\">]>",
        "&b;",
        "<![CDATA[x]]>",
        "\u{0}",
        "é",
        " ",
        "\n",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|parts| parts.concat())
}

fn parts(method: &str, uri: &str, headers: &[(String, String)]) -> Option<http::request::Parts> {
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    builder.body(()).ok().map(|r| r.into_parts().0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_router_takes_anything(
        method in prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
        path in "(/[a-zA-Z0-9%._~+-]{0,12}){0,4}",
        query in prop::option::of("[a-zA-Z0-9=&%+-]{0,40}"),
        copy in prop::option::of("[ -~]{0,40}"),
    ) {
        let mut headers = http::HeaderMap::new();
        if let Some(v) = copy.and_then(|c| c.parse().ok()) {
            headers.insert("x-amz-copy-source", v);
        }
        let method: http::Method = method.parse().expect("a method");
        let _ = Operation::from_parts(&method, Some("h"), &path, query.as_deref(), &headers, Some("s3.local"));
    }

    #[test]
    fn sigv4_and_sigv2_verification_take_anything(
        authorization in prop::option::of("(AWS4-HMAC-SHA256 |AWS )?[ -~]{0,120}"),
        query in "([A-Za-z-]{1,20}=[ -~&&[^&# ]]{0,30}&?){0,6}",
        date in prop::option::of("[0-9TZ]{0,20}"),
        sha in prop::option::of("[ -~]{0,70}"),
    ) {
        let mut headers = vec![("host".to_owned(), "h".to_owned())];
        if let Some(a) = authorization { headers.push(("authorization".into(), a)); }
        if let Some(d) = date { headers.push(("x-amz-date".into(), d)); }
        if let Some(s) = sha { headers.push(("x-amz-content-sha256".into(), s)); }
        let uri = format!("/b/k?{query}");
        if let Some(parts) = parts("GET", &uri, &headers) {
            let secret_for = |ak: &str| (ak == "AK").then(|| "SK".to_owned());
            let _ = auth::verify_request(&parts, &secret_for, SystemTime::now());
        }
    }

    #[test]
    fn the_aws_chunked_decoder_takes_anything(
        body in prop::collection::vec(any::<u8>(), 0..400),
        framed in prop::collection::vec(("[0-9a-fA-F]{0,4}", "[ -~]{0,20}", "[ -~]{0,30}"), 0..6),
        trailer in any::<bool>(),
        declared in prop::option::of(0u64..200),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        // Raw bytes, and chunk-shaped text (size;ext CRLF data CRLF ...).
        let shaped: String = framed
            .iter()
            .map(|(size, ext, data)| format!("{size};{ext}\r\n{data}\r\n"))
            .collect();
        for input in [body.clone(), shaped.into_bytes()] {
            let mut decoded = crate::body::RequestBody::new(
                axum::body::Body::from(input),
                Payload::UnsignedChunks { trailer },
                declared,
            );
            runtime.block_on(async {
                for _ in 0..1000 {
                    match decoded.next_chunk().await {
                        Ok(Some(_)) => {}
                        Ok(None) | Err(_) => break,
                    }
                }
            });
        }
    }

    #[test]
    fn post_policies_and_form_signatures_take_anything(
        policy in "[A-Za-z0-9+/=]{0,120}",
        json in "[ -~]{0,200}",
        credential in "[ -~]{0,80}",
    ) {
        let _ = crate::post_policy::PostPolicy::parse(&policy);
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, json.as_bytes());
        if let Ok(p) = crate::post_policy::PostPolicy::parse(&encoded) {
            let _ = p.check("b", "k", &[("key".into(), "k".into())], SystemTime::now());
        }
        let signature = crate::auth::post_form::FormSignature::V4 {
            algorithm: "AWS4-HMAC-SHA256",
            credential: &credential,
            date: "20250101T000000Z",
            signature: "00",
        };
        let secret_for = |_: &str| Some("SK".to_owned());
        let _ = crate::auth::post_form::verify(&policy, &signature, &secret_for);
    }

    #[test]
    fn every_xml_parser_takes_anything(raw in prop::collection::vec(any::<u8>(), 0..200), shaped in xmlish()) {
        for body in [raw.as_slice(), shaped.as_bytes()] {
            let _ = crate::xml::from_xml::<crate::xml::Delete>(body);
            let _ = crate::xml::from_xml::<crate::xml::Tagging>(body);
            let _ = crate::xml::from_xml::<crate::xml::CompleteMultipartUpload>(body);
            let _ = crate::xml::from_xml::<crate::xml::VersioningConfigurationRequest>(body);
            let _ = crate::xml::from_xml::<crate::xml::CreateBucketConfiguration>(body);
            let _ = crate::xml::from_xml::<crate::xml::AccessControlPolicyRequest>(body);
            let _ = crate::cors::document::parse(body);
            let _ = crate::lifecycle::document::parse(body);
            let _ = crate::origin::parse(body);
            let _ = crate::access::ObjectOwnership::from_xml(body);
            let _ = crate::origin::backfill::BackfillRequest::parse(body);
            let _ = crate::access::Acl::from_xml(body, "owner", &[]);
            if let Ok(text) = std::str::from_utf8(body) {
                let _ = crate::access::BucketPolicy::parse(text, "b", &[]);
            }
        }
    }
}
