use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;

use super::*;

fn encode(json: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(json)
}

fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

const POLICY: &str = r#"{ "expiration": "2030-01-01T00:00:00.000Z",
  "conditions": [
    {"bucket": "photos"},
    ["starts-with", "$key", "user/alice/"],
    {"acl": "public-read"},
    ["starts-with", "$Content-Type", "image/"],
    ["eq", "$x-amz-meta-uuid", "14365123651274"],
    ["content-length-range", 1, "1048576"]
  ]}"#;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

#[test]
fn a_form_that_meets_every_condition_passes() {
    let policy = PostPolicy::parse(&encode(POLICY)).expect("parses");
    assert_eq!(policy.length_range(), Some((1, 1_048_576)));
    let form = fields(&[
        ("key", "user/alice/cat.jpg"),
        ("acl", "public-read"),
        ("content-type", "image/jpeg"),
        ("x-amz-meta-uuid", "14365123651274"),
        ("policy", "..."),
        ("x-amz-signature", "..."),
        ("x-ignore-me", "anything"),
    ]);
    policy
        .check("photos", "user/alice/cat.jpg", &form, now())
        .expect("allowed");
}

#[test]
fn each_violation_is_refused_naming_it() {
    let policy = PostPolicy::parse(&encode(POLICY)).expect("parses");
    let good = [
        ("key", "user/alice/cat.jpg"),
        ("acl", "public-read"),
        ("content-type", "image/jpeg"),
        ("x-amz-meta-uuid", "14365123651274"),
    ];
    let with = |name: &str, value: &str| {
        let mut f = fields(&good);
        match f.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_owned(),
            None => f.push((name.to_owned(), value.to_owned())),
        }
        f
    };
    let message = |form: Vec<(String, String)>, bucket: &str| {
        let key = form
            .iter()
            .find(|(n, _)| n == "key")
            .map_or("", |(_, v)| v.as_str());
        let e = policy
            .check(bucket, key, &form, now())
            .expect_err("refused");
        assert_eq!(e.code, S3ErrorCode::AccessDenied);
        e.message
    };
    assert!(message(with("key", "user/bob/cat.jpg"), "photos")
        .contains(r#"["starts-with", "$key", "user/alice/"]"#));
    assert!(message(with("acl", "public-read-write"), "photos")
        .contains(r#"["eq", "$acl", "public-read"]"#));
    assert!(message(with("content-type", "text/html"), "photos").contains("$content-type"));
    assert!(message(fields(&good), "other").contains(r#"["eq", "$bucket", "photos"]"#));
    assert!(message(with("x-amz-meta-extra", "1"), "photos")
        .contains("Extra input fields: x-amz-meta-extra"));
    let missing: Vec<_> = fields(&good)
        .into_iter()
        .filter(|(n, _)| n != "acl")
        .collect();
    assert!(message(missing, "photos").contains("$acl"));

    let expired = PostPolicy::parse(&encode(
        r#"{"expiration": "2020-01-01T00:00:00Z", "conditions": [{"bucket": "photos"}]}"#,
    ))
    .expect("parses");
    let e = expired
        .check("photos", "k", &[], now())
        .expect_err("expired");
    assert_eq!(e.message, "Invalid according to Policy: Policy expired.");
}

#[test]
fn malformed_policies_are_invalid_policy_documents() {
    for text in [
        "not base64!".to_owned(),
        encode("{not json"),
        encode(r#"{"conditions": []}"#),
        encode(r#"{"expiration": "2030-01-01T00:00:00Z"}"#),
        encode(r#"{"expiration": "tomorrow", "conditions": []}"#),
        // Not ISO 8601 in UTC: Python's str(datetime), an HTTP date, an offset.
        encode(r#"{"expiration": "2030-01-01 00:00:00.123456+00:00", "conditions": []}"#),
        encode(r#"{"expiration": "Tue, 01 Jan 2030 00:00:00 GMT", "conditions": []}"#),
        encode(r#"{"expiration": "2030-01-01T00:00:00+02:00", "conditions": []}"#),
        encode(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "x"]]}"#),
        encode(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["like", "$key", "x"]]}"#),
        encode(
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "a", 2]]}"#,
        ),
    ] {
        let e = PostPolicy::parse(&text).expect_err("invalid");
        assert_eq!(e.code, S3ErrorCode::InvalidPolicyDocument, "{text}");
    }
}

#[test]
fn content_type_lists_must_each_match() {
    let policy = PostPolicy::parse(&encode(
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["starts-with", "$Content-Type", "image/"], ["starts-with", "$key", ""]]}"#,
    ))
    .expect("parses");
    let form = |ct: &str| fields(&[("key", "k"), ("content-type", ct)]);
    assert!(policy
        .check("b", "k", &form("image/png, image/jpeg"), now())
        .is_ok());
    assert!(policy
        .check("b", "k", &form("image/png, text/html"), now())
        .is_err());
}

#[test]
fn key_conditions_see_the_key_after_filename_substitution() {
    let policy = PostPolicy::parse(&encode(
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["starts-with", "$key", "photo"], {"key": "${filename}"}]}"#,
    ))
    .expect("parses");
    let form = fields(&[("key", "${filename}")]);
    policy
        .check("b", "photo.txt", &form, now())
        .expect("the substituted key starts with photo");
    let e = policy
        .check("b", "other.txt", &form, now())
        .expect_err("refused");
    assert!(
        e.message.contains(r#"["starts-with", "$key", "photo"]"#),
        "{}",
        e.message
    );
}

#[test]
fn checksum_fields_need_no_condition() {
    let policy = PostPolicy::parse(&encode(
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["starts-with", "$key", ""]]}"#,
    ))
    .expect("parses");
    let form = fields(&[
        ("key", "k"),
        ("x-amz-checksum-algorithm", "SHA256"),
        ("x-amz-checksum-sha256", "..."),
    ]);
    policy.check("b", "k", &form, now()).expect("allowed");
}
