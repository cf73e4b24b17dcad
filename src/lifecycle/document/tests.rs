//! The lifecycle document: AWS's examples parse into the rules they mean, the stored form
//! reads back the same, and each invalid configuration gets AWS's error.

use super::*;

fn doc(rules: &str) -> String {
    format!("<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{rules}</LifecycleConfiguration>")
}

fn code(rules: &str) -> S3ErrorCode {
    parse(doc(rules).as_bytes()).expect_err(rules).code
}

#[test]
fn aws_examples_parse_into_rules() {
    let lifecycle = parse(
        doc(
            "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>\
               <Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>\
               <Expiration><Days>365</Days></Expiration></Rule>\
             <Rule><ID>tagged</ID><Filter><And><Prefix>tax/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>\
               <ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Disabled</Status>\
               <NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>\
             <Rule><Prefix></Prefix><Status>Enabled</Status>\
               <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>\
               <AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
             <Rule><ID>dated</ID><Filter></Filter><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>",
        )
        .as_bytes(),
    )
    .expect("parses");
    let r = &lifecycle.rules;
    assert_eq!(r.len(), 4);
    assert_eq!((r[0].id.as_str(), r[0].enabled), ("logs", true));
    assert_eq!(r[0].filter.prefix, "logs/");
    assert_eq!(r[0].expiration, Some(Expiry::Days(365)));
    assert!(!r[1].enabled);
    assert_eq!(
        r[1].filter,
        Filter {
            prefix: "tax/".into(),
            tags: vec![("k".into(), "v".into())],
            size_greater_than: Some(10),
            size_less_than: None,
        }
    );
    assert_eq!(
        r[1].noncurrent,
        Some(NoncurrentExpiry {
            days: 7,
            keep_newer: 2
        })
    );
    // A rule without an ID gets a unique one, kept in the document GET returns.
    assert_eq!(r[2].id.len(), 32, "{}", r[2].id);
    assert_ne!(r[2].id, r[0].id);
    assert_eq!(
        lifecycle.document.rules[2].id.as_deref(),
        Some(r[2].id.as_str())
    );
    assert!(r[2].expired_object_delete_marker);
    assert_eq!(r[2].abort_upload_days, Some(3));
    assert!(matches!(r[3].expiration, Some(Expiry::Date(_))));
    // What is stored reads back as the same configuration.
    use crate::bucket_setting::SettingDocument as _;
    let again = Lifecycle::parse_stored(&lifecycle.to_stored()).expect("reads back");
    assert_eq!(again, lifecycle);
    let stored = String::from_utf8(lifecycle.to_stored()).expect("utf-8");
    assert!(
        stored.contains(
            "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
        ),
        "{stored}"
    );
}

#[test]
fn filters_match_prefix_tags_and_size() {
    let f = Filter {
        prefix: "a/".into(),
        tags: vec![("k".into(), "v".into())],
        size_greater_than: Some(1),
        size_less_than: Some(10),
    };
    let tags = vec![
        ("k".to_owned(), "v".to_owned()),
        ("x".to_owned(), "y".to_owned()),
    ];
    assert!(f.matches("a/b", &tags, 5));
    assert!(!f.matches("b/a", &tags, 5));
    assert!(!f.matches("a/b", &tags[1..], 5));
    assert!(!f.matches("a/b", &tags, 1));
    assert!(!f.matches("a/b", &tags, 10));
    assert!(
        !f.matches_key_only("a/b"),
        "a tag filter never matches a marker"
    );
    assert!(Filter::default().matches_key_only("anything"));
}

#[test]
fn invalid_configurations_get_the_aws_error() {
    use S3ErrorCode::*;
    let exp = "<Expiration><Days>1</Days></Expiration>";
    let cases: Vec<(String, S3ErrorCode)> = vec![
        (String::new(), MalformedXML),
        (format!("<Rule><Filter/><Status>On</Status>{exp}</Rule>"), MalformedXML),
        (format!("<Rule><Status>Enabled</Status>{exp}</Rule>"), MalformedXML),
        (format!("<Rule><Filter/><Prefix>a</Prefix><Status>Enabled</Status>{exp}</Rule>"), MalformedXML),
        (format!("<Rule><Filter><Prefix>a</Prefix><ObjectSizeLessThan>4</ObjectSizeLessThan></Filter><Status>Enabled</Status>{exp}</Rule>"), MalformedXML),
        ("<Rule><Filter/><Status>Enabled</Status></Rule>".into(), InvalidRequest),
        ("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>".into(), InvalidArgument),
        ("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>".into(), MalformedXML),
        ("<Rule><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>".into(), InvalidArgument),
        ("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>".into(), MalformedXML),
        ("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>".into(), InvalidRequest),
        ("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>".into(), InvalidRequest),
        ("<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>-1</NoncurrentDays></NoncurrentVersionExpiration></Rule>".into(), InvalidArgument),
        ("<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>".into(), InvalidArgument),
        (format!("<Rule><Filter><And><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>{exp}</Rule>"), InvalidArgument),
        (format!("<Rule><ID>same</ID><Filter/><Status>Enabled</Status>{exp}</Rule><Rule><ID>same</ID><Filter/><Status>Enabled</Status>{exp}</Rule>"), InvalidArgument),
        (format!("<Rule><ID>{}</ID><Filter/><Status>Enabled</Status>{exp}</Rule>", "x".repeat(256)), InvalidArgument),
    ];
    for (rules, expected) in cases {
        assert_eq!(code(&rules), expected, "{rules}");
    }
    let too_many: String = (0..1001)
        .map(|i| format!("<Rule><ID>r{i}</ID><Filter/><Status>Enabled</Status>{exp}</Rule>"))
        .collect();
    assert_eq!(code(&too_many), InvalidArgument);
    assert_eq!(
        parse(b"<NotLifecycle/>").expect_err("root").code,
        MalformedXML
    );
}
