use super::*;
use crate::error::S3ErrorCode;
use http::HeaderMap;

const DOC: &str = r#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule><ID>app</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>Content-*</AllowedHeader><AllowedHeader>x-amz-date</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
</CORSConfiguration>"#;

fn request<'a>(origin: &'a str, method: &'a str, headers: &[&'a str]) -> CorsRequest<'a> {
    CorsRequest {
        origin,
        method,
        headers: headers.to_vec(),
    }
}

#[test]
fn the_first_matching_rule_answers() {
    let cors = document::parse(DOC.as_bytes()).expect("valid");
    let app = &cors.rules[0];
    let public = &cors.rules[1];
    let find = |o, m, h: &[&str]| cors.find(&request(o, m, h));
    assert_eq!(
        find("https://app.example.com", "PUT", &["content-type"]),
        Some(app)
    );
    assert_eq!(
        find(
            "https://app.example.com",
            "PUT",
            &["X-Amz-Date", "Content-MD5"]
        ),
        Some(app)
    );
    assert_eq!(
        find("https://app.example.com", "PUT", &["authorization"]),
        None
    );
    assert_eq!(
        find("https://example.com", "PUT", &[]),
        None,
        "the * needs its dot"
    );
    assert_eq!(find("http://app.example.com", "PUT", &[]), None);
    assert_eq!(find("https://elsewhere.org", "GET", &[]), Some(public));
    assert_eq!(find("https://elsewhere.org", "DELETE", &[]), None);
}

#[test]
fn headers_follow_aws() {
    let cors = document::parse(DOC.as_bytes()).expect("valid");
    let mut out = HeaderMap::new();
    let req = request("https://app.example.com", "PUT", &["content-type"]);
    cors.rules[0].apply(&req, true, &mut out);
    let get = |n: &str| out.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(
        get("access-control-allow-origin"),
        "https://app.example.com"
    );
    assert_eq!(get("access-control-allow-credentials"), "true");
    assert_eq!(get("access-control-allow-methods"), "PUT, GET");
    assert_eq!(get("access-control-allow-headers"), "content-type");
    assert_eq!(get("access-control-expose-headers"), "ETag");
    assert_eq!(get("access-control-max-age"), "600");
    assert!(get("vary").contains("Origin"));

    let mut out = HeaderMap::new();
    cors.rules[1].apply(&request("https://x.org", "GET", &[]), false, &mut out);
    assert_eq!(out["access-control-allow-origin"], "*");
    assert!(out.get("access-control-allow-credentials").is_none());
    assert!(out.get("access-control-allow-headers").is_none());
}

#[test]
fn invalid_configurations_get_aws_errors() {
    let rule = |inner: &str| {
        format!("<CORSConfiguration><CORSRule>{inner}</CORSRule></CORSConfiguration>")
    };
    let code = |doc: &str| document::parse(doc.as_bytes()).err().map(|e| e.code);
    assert_eq!(
        code(&rule(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"
        )),
        Some(S3ErrorCode::InvalidRequest)
    );
    assert_eq!(
        code(&rule(
            "<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        )),
        Some(S3ErrorCode::InvalidRequest)
    );
    assert_eq!(
        code(&rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>a*b*</AllowedHeader>")),
        Some(S3ErrorCode::InvalidRequest)
    );
    assert_eq!(
        code(&rule("<AllowedMethod>GET</AllowedMethod>")),
        Some(S3ErrorCode::MalformedXML)
    );
    assert_eq!(
        code("<CORSConfiguration></CORSConfiguration>"),
        Some(S3ErrorCode::MalformedXML)
    );
    assert_eq!(
        code("<LifecycleConfiguration/>"),
        Some(S3ErrorCode::MalformedXML)
    );
    let many = format!(
        "<CORSConfiguration>{}</CORSConfiguration>",
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
            .repeat(101)
    );
    assert_eq!(code(&many), Some(S3ErrorCode::MalformedXML));
}

#[test]
fn the_document_round_trips() {
    let cors = document::parse(DOC.as_bytes()).expect("valid");
    let xml = crate::xml::to_xml(&cors.document);
    assert_eq!(document::parse(xml.as_bytes()).expect("reparses"), cors);
    assert!(
        xml.contains("<CORSRule><ID>app</ID><AllowedHeader>Content-*</AllowedHeader>"),
        "{xml}"
    );
}
