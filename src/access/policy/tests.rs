use std::net::IpAddr;

use super::*;
use crate::identity::account_id;

/// Every user's identity.
fn users() -> Vec<String> {
    vec!["ALICE".to_owned(), "BOB".to_owned()]
}

fn parse(text: &str) -> Result<BucketPolicy, S3Error> {
    BucketPolicy::parse(text, "shared", &users())
}

const PUBLIC_PREFIX: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
    "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::shared/public/*"]
  }]
}"#;

fn facts() -> RequestFacts {
    RequestFacts::default()
}

#[test]
fn a_public_prefix_is_readable_by_anyone_and_nothing_else() {
    let p = parse(PUBLIC_PREFIX).expect("valid");
    let get = |resource: &str| p.evaluate(Principal::Anonymous, "s3:GetObject", resource, &facts());
    assert_eq!(get("arn:aws:s3:::shared/public/a.png"), Verdict::Allow);
    assert_eq!(get("arn:aws:s3:::shared/private/a.png"), Verdict::Silent);
    assert_eq!(
        p.evaluate(
            Principal::Anonymous,
            "s3:PutObject",
            "arn:aws:s3:::shared/public/a",
            &facts()
        ),
        Verdict::Silent
    );
    assert!(p.is_public());
}

/// What `mc anonymous set download` puts on a bucket.
#[test]
fn mc_anonymous_download_policy_works() {
    let p = parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::shared"]},{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::shared/*"]}]}"#).expect("valid");
    assert_eq!(
        p.evaluate(
            Principal::Anonymous,
            "s3:ListBucket",
            "arn:aws:s3:::shared",
            &facts()
        ),
        Verdict::Allow
    );
    assert_eq!(
        p.evaluate(
            Principal::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::shared/x/y",
            &facts()
        ),
        Verdict::Allow
    );
}

#[test]
fn deny_wins_and_principals_name_configured_users() {
    let account = account_id("BOB");
    let p = parse(&format!(r#"{{"Statement":[
        {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/BOB"}},"Action":"s3:*","Resource":"arn:aws:s3:::shared/*"}},
        {{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"s3:Delete*","Resource":"arn:aws:s3:::shared/keep/*"}}
    ]}}"#)).expect("valid");
    let bob = Principal::User("BOB");
    assert_eq!(
        p.evaluate(bob, "s3:PutObject", "arn:aws:s3:::shared/keep/a", &facts()),
        Verdict::Allow
    );
    assert_eq!(
        p.evaluate(
            bob,
            "s3:DeleteObject",
            "arn:aws:s3:::shared/keep/a",
            &facts()
        ),
        Verdict::Deny
    );
    assert_eq!(
        p.evaluate(
            bob,
            "s3:DeleteObject",
            "arn:aws:s3:::shared/other",
            &facts()
        ),
        Verdict::Allow
    );
    assert_eq!(
        p.evaluate(
            Principal::User("ALICE"),
            "s3:PutObject",
            "arn:aws:s3:::shared/a",
            &facts()
        ),
        Verdict::Silent
    );
    assert!(!p.is_public());
}

#[test]
fn conditions_on_source_ip_prefix_and_transport() {
    let p = parse(r#"{"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::shared",
         "Condition":{"StringLike":{"s3:prefix":["docs/*"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
        {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*",
         "Condition":{"Bool":{"aws:SecureTransport":"false"}, "NotIpAddress":{"aws:SourceIp":["127.0.0.1/32"]}}}
    ]}"#).expect("valid");
    let at = |ip: &str, prefix: &str| RequestFacts {
        source_ip: Some(ip.parse::<IpAddr>().expect("ip")),
        prefix: Some(prefix.to_owned()),
        ..Default::default()
    };
    let list = |f: &RequestFacts| {
        p.evaluate(
            Principal::Anonymous,
            "s3:ListBucket",
            "arn:aws:s3:::shared",
            f,
        )
    };
    assert_eq!(list(&at("10.1.2.3", "docs/a")), Verdict::Allow);
    assert_eq!(list(&at("10.1.2.3", "src/a")), Verdict::Silent);
    assert_eq!(list(&at("192.168.1.1", "docs/a")), Verdict::Silent);
    let get = |f: &RequestFacts| {
        p.evaluate(
            Principal::User("ALICE"),
            "s3:GetObject",
            "arn:aws:s3:::shared/k",
            f,
        )
    };
    assert_eq!(get(&at("192.168.1.1", "")), Verdict::Deny);
    assert_eq!(get(&at("127.0.0.1", "")), Verdict::Silent);
    assert!(!p.is_public(), "held to fixed addresses");
}

#[test]
fn invalid_policies_are_malformed() {
    for text in [
        "not json",
        "[]",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::shared/*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::elsewhere/*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/NOBODY"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*","Condition":{"Sometimes":{"a":"b"}}}]}"#,
        r#"{"Version":"2099-01-01","Statement":[]}"#,
    ] {
        let e = parse(text).expect_err(text);
        assert_eq!(e.code, S3ErrorCode::MalformedPolicy, "{text}");
    }
    let huge = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/{}"}}]}}"#,
        "a".repeat(MAX_POLICY_BYTES)
    );
    assert!(parse(&huge).is_err());
}

#[test]
fn a_stored_policy_reads_back_the_same() {
    use crate::bucket_setting::SettingDocument as _;
    let p = parse(PUBLIC_PREFIX).expect("valid");
    let again = BucketPolicy::parse_stored(&p.to_stored()).expect("stored form parses");
    assert_eq!(again.text, p.text);
    assert_eq!(
        again.evaluate(
            Principal::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::shared/public/x",
            &facts()
        ),
        Verdict::Allow
    );
}

#[test]
fn iam_wildcards() {
    assert!(glob("s3:Get*", "s3:GetObjectVersion", true));
    assert!(glob("S3:GETOBJECT", "s3:GetObject", true));
    assert!(glob(
        "arn:aws:s3:::b/a?c/*",
        "arn:aws:s3:::b/abc/x/y",
        false
    ));
    assert!(!glob("arn:aws:s3:::b/a?c/*", "arn:aws:s3:::b/ac/x", false));
    assert!(glob("*", "", false));
    assert!(!glob("arn:aws:s3:::b/*", "arn:aws:s3:::b", false));
}
