//! CORS with aws-sdk-s3 and raw requests: the configuration round trip and its errors,
//! preflights answered without credentials from the first matching rule (403 otherwise),
//! the headers of actual requests (errors and presigned requests included), and the
//! server-wide default rule. A real browser drives it in `browser.rs`.

use aws_sdk_s3::types::{CorsConfiguration, CorsRule};

use crate::support::server::{code, xml_code, TestServer};

const BUCKET: &str = "web";
const APP: &str = "https://app.example.com";

fn rule(origin: &str, methods: &[&str]) -> aws_sdk_s3::types::builders::CorsRuleBuilder {
    let mut rule = CorsRule::builder().allowed_origins(origin);
    for m in methods {
        rule = rule.allowed_methods(*m);
    }
    rule
}

async fn put_rules(s: &TestServer, rules: Vec<CorsRule>) {
    s.client
        .put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(
            CorsConfiguration::builder()
                .set_cors_rules(Some(rules))
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put cors");
}

async fn preflight(
    s: &TestServer,
    path: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, s.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method);
    if let Some(h) = headers {
        req = req.header("access-control-request-headers", h);
    }
    req.send().await.expect("sent")
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn configuration_round_trip_and_errors() {
    let s = TestServer::with_bucket(BUCKET).await;
    let missing = s.client.get_bucket_cors().bucket(BUCKET).send().await;
    assert_eq!(
        code(&missing.expect_err("none yet")),
        "NoSuchCORSConfiguration"
    );

    put_rules(
        &s,
        vec![
            rule(APP, &["PUT", "GET"])
                .id("app")
                .allowed_headers("*")
                .expose_headers("ETag")
                .max_age_seconds(600)
                .build()
                .expect("rule"),
            rule("*", &["GET"]).build().expect("rule"),
        ],
    )
    .await;
    let got = s
        .client
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get");
    let rules = got.cors_rules();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].id(), Some("app"));
    assert_eq!(rules[0].allowed_methods(), ["PUT", "GET"]);
    assert_eq!(rules[0].allowed_headers(), ["*"]);
    assert_eq!(rules[0].expose_headers(), ["ETag"]);
    assert_eq!(rules[0].max_age_seconds(), Some(600));
    assert_eq!(rules[1].allowed_origins(), ["*"]);

    for (body, expected) in [
        ("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest"),
        ("<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest"),
        ("<CORSConfiguration/>", "MalformedXML"),
        ("<CORSConfiguration><CORSRule>", "MalformedXML"),
    ] {
        let (status, got) = s.refusal(http::Method::PUT, "/web?cors", &[], body).await;
        assert_eq!((status, got.as_str()), (400, expected), "{body}");
    }
    // A refused configuration leaves the one in place.
    let got = s
        .client
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get");
    assert_eq!(got.cors_rules().len(), 2);

    // Another user may not read or change it.
    let other = s.other_client();
    let denied = other.get_bucket_cors().bucket(BUCKET).send().await;
    assert_eq!(code(&denied.expect_err("not theirs")), "AccessDenied");

    s.client
        .delete_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete");
    let gone = s.client.get_bucket_cors().bucket(BUCKET).send().await;
    assert_eq!(code(&gone.expect_err("deleted")), "NoSuchCORSConfiguration");
}

#[tokio::test]
async fn preflights_are_answered_from_the_first_matching_rule() {
    let s = TestServer::with_bucket(BUCKET).await;
    // No configuration: refused as AWS does.
    let resp = preflight(&s, "/web/k", APP, "PUT", None).await;
    assert_eq!(resp.status(), 403);
    let text = resp.text().await.expect("body");
    assert_eq!(xml_code(&text), "AccessForbidden");
    assert!(text.contains("CORS is not enabled"), "{text}");

    put_rules(
        &s,
        vec![
            rule("https://*.example.com", &["PUT", "POST"])
                .allowed_headers("Content-*")
                .allowed_headers("x-amz-*")
                .expose_headers("ETag")
                .expose_headers("x-amz-version-id")
                .max_age_seconds(300)
                .build()
                .expect("rule"),
            rule("*", &["GET", "HEAD"]).build().expect("rule"),
        ],
    )
    .await;

    let resp = preflight(
        &s,
        "/web/photo.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256",
        APP,
        "PUT",
        Some("content-type, x-amz-date"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    for (name, value) in [
        ("access-control-allow-origin", APP),
        ("access-control-allow-methods", "PUT, POST"),
        ("access-control-allow-headers", "content-type, x-amz-date"),
        ("access-control-expose-headers", "ETag, x-amz-version-id"),
        ("access-control-max-age", "300"),
        ("access-control-allow-credentials", "true"),
    ] {
        assert_eq!(header(&resp, name).as_deref(), Some(value), "{name}");
    }
    assert!(header(&resp, "vary").is_some_and(|v| v.contains("Origin")));

    // The second rule: any origin, GET only; answered `*` without credentials.
    let resp = preflight(&s, "/web/k", "https://elsewhere.org", "GET", None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(header(&resp, "access-control-allow-credentials"), None);

    for (origin, method, headers) in [
        ("https://elsewhere.org", "PUT", None),
        (APP, "DELETE", None),
        (APP, "PUT", Some("authorization")),
        ("http://app.example.com", "PUT", None),
    ] {
        let resp = preflight(&s, "/web/k", origin, method, headers).await;
        assert_eq!(resp.status(), 403, "{origin} {method} {headers:?}");
        assert_eq!(
            xml_code(&resp.text().await.expect("body")),
            "AccessForbidden"
        );
    }

    let bare = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, s.url("/web/k"))
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("sent");
    assert_eq!(bare.status(), 400, "no Origin");
}

#[tokio::test]
async fn actual_requests_carry_the_headers_of_a_matching_rule() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.put(BUCKET, "k", b"hello".to_vec()).await;
    put_rules(
        &s,
        vec![rule(APP, &["GET", "PUT"])
            .expose_headers("ETag")
            .build()
            .expect("rule")],
    )
    .await;

    // Presigned GET from the app's origin.
    let presigned = s
        .client
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                60,
            ))
            .expect("config"),
        )
        .await
        .expect("presign");
    let http = reqwest::Client::new();
    let resp = http
        .get(presigned.uri())
        .header("origin", APP)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    assert_eq!(
        header(&resp, "access-control-expose-headers").as_deref(),
        Some("ETag")
    );
    assert!(header(&resp, "vary").is_some());

    // An error answer carries them too, so the page can read the error.
    let resp = http
        .get(s.url("/web/missing"))
        .header("origin", APP)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 403);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(APP)
    );

    // Another origin, or a method no rule allows: no CORS headers.
    let resp = http
        .get(presigned.uri())
        .header("origin", "https://evil.example.org")
        .send()
        .await
        .expect("sent");
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    let resp = http
        .delete(s.url("/web/k"))
        .header("origin", APP)
        .send()
        .await
        .expect("sent");
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    // Without Origin nothing changes.
    let resp = http.get(presigned.uri()).send().await.expect("sent");
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    assert_eq!(header(&resp, "vary"), None);
}

#[tokio::test]
async fn the_server_default_rule_answers_for_buckets_without_one() {
    let s = TestServer::start_with(|c| {
        let rule = originstore::config::DefaultCorsRule {
            allowed_origins: vec!["http://localhost:3000".into()],
            allowed_methods: vec!["GET".into(), "PUT".into()],
            allowed_headers: vec!["*".into()],
            ..Default::default()
        };
        c.default_cors = Some(std::sync::Arc::new(rule.to_cors().expect("valid")));
    })
    .await;
    s.create_bucket(BUCKET).await;
    let resp = preflight(
        &s,
        "/web/k",
        "http://localhost:3000",
        "PUT",
        Some("content-type"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );
    let resp = preflight(&s, "/", "http://localhost:3000", "GET", None).await;
    assert_eq!(resp.status(), 200, "outside buckets too");
    let resp = preflight(&s, "/web/k", APP, "PUT", None).await;
    assert_eq!(resp.status(), 403);

    // A bucket's own configuration replaces the default for that bucket.
    put_rules(&s, vec![rule(APP, &["PUT"]).build().expect("rule")]).await;
    assert_eq!(
        preflight(&s, "/web/k", APP, "PUT", None).await.status(),
        200
    );
    assert_eq!(
        preflight(&s, "/web/k", "http://localhost:3000", "PUT", None)
            .await
            .status(),
        403
    );
}

#[test]
fn a_default_rule_is_validated() {
    let rule = originstore::config::DefaultCorsRule {
        allowed_origins: vec!["http://*.*.com".into()],
        ..Default::default()
    };
    assert!(rule.to_cors().is_err());
}
