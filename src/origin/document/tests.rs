//! The OriginConfiguration document: parsing, validation messages, round trips and
//! redaction, through the public API only.

use super::*;

/// Every element of the schema, shaped as the COS Go SDK writes it (PrivateHost before
/// the standbys), plus an element from a newer COS (`FilterHost`) that must be ignored.
const FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<OriginConfiguration>
  <OriginRule>
<RulePriority>2</RulePriority>
<OriginType>Mirror</OriginType>
<OriginCondition>
  <HTTPStatusCode>404</HTTPStatusCode>
  <Prefix>images/</Prefix>
  <Suffix>.jpg</Suffix>
  <FilterHost><ForbidHost><DomainList><Domain>a.example.com</Domain></DomainList></ForbidHost></FilterHost>
</OriginCondition>
<OriginParameter>
  <Protocol>HTTPS</Protocol>
  <TransparentErrorCode>true</TransparentErrorCode>
  <FollowQueryString>false</FollowQueryString>
  <HttpHeader>
    <FollowAllHeaders>false</FollowAllHeaders>
    <NewHttpHeaders>
      <Header><Key>x-from</Key><Value>originstore</Value></Header>
      <Header><Key>X-Empty</Key><Value></Value></Header>
    </NewHttpHeaders>
    <FollowHttpHeaders><Header><Key>x-trace-id</Key></Header><Header><Key>Accept-Language</Key></Header></FollowHttpHeaders>
    <ForbidFollowHttpHeaders><Header><Key>cookie</Key></Header></ForbidFollowHttpHeaders>
  </HttpHeader>
  <FollowRedirection>false</FollowRedirection>
  <HttpRedirectCode>307</HttpRedirectCode>
  <CopyOriginData>false</CopyOriginData>
</OriginParameter>
<HTTPStandbyCode><StatusCode>403</StatusCode><StatusCode>404</StatusCode></HTTPStandbyCode>
<OriginInfo>
  <HostInfo>
    <HostName>origin.example.com:8080</HostName>
    <Weight>3</Weight>
    <PrivateHost>
      <Host>origin-bucket.s3.example.com</Host>
      <CredentialProvider>
        <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>
        <Region>us-east-1</Region>
        <SecretId>AKIDEXAMPLE</SecretId>
        <SecretKey>s3cr3t/key+value</SecretKey>
      </CredentialProvider>
    </PrivateHost>
    <StandbyHostName_3>backup3.example.com</StandbyHostName_3>
    <StandbyHostName_1>backup1.example.com</StandbyHostName_1>
  </HostInfo>
  <HostInfo>
    <HostName>[2001:db8::1]:9000</HostName>
    <Weight>1</Weight>
  </HostInfo>
  <FileInfo>
    <PrefixConfiguration><Prefix>images/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration>
    <SuffixConfiguration><Suffix>.jpg</Suffix><ReplacedWithSuffix>.jpeg</ReplacedWithSuffix></SuffixConfiguration>
  </FileInfo>
</OriginInfo>
  </OriginRule>
  <OriginRule>
<RulePriority>1</RulePriority>
<OriginType>Redirect</OriginType>
<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>
<OriginParameter>
  <HttpHeader>
    <FollowAllHeaders>true</FollowAllHeaders>
    <ForbidFollowHeaders><Header><Key>x-secret</Key></Header></ForbidFollowHeaders>
  </HttpHeader>
</OriginParameter>
<OriginInfo>
  <HostInfo><HostName>10.0.0.5</HostName></HostInfo>
  <FileInfo><FixedFileConfiguration><FixedFilePath>/fallback.png</FixedFilePath></FixedFileConfiguration></FileInfo>
</OriginInfo>
  </OriginRule>
</OriginConfiguration>"#;

/// `to_xml(false)` of [`FULL`]: rules in priority order, defaults written out.
const FULL_NORMALISED: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?><OriginConfiguration>"#,
    "<OriginRule><RulePriority>1</RulePriority><OriginType>Redirect</OriginType>",
    "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode></OriginCondition>",
    "<OriginParameter><Protocol>FOLLOW</Protocol><TransparentErrorCode>false</TransparentErrorCode>",
    "<FollowQueryString>true</FollowQueryString><HttpHeader><FollowAllHeaders>true</FollowAllHeaders>",
    "<ForbidFollowHttpHeaders><Header><Key>x-secret</Key></Header></ForbidFollowHttpHeaders></HttpHeader>",
    "<FollowRedirection>true</FollowRedirection><HttpRedirectCode>302</HttpRedirectCode>",
    "<CopyOriginData>true</CopyOriginData></OriginParameter>",
    "<OriginInfo><HostInfo><HostName>10.0.0.5</HostName></HostInfo>",
    "<FileInfo><FixedFileConfiguration><FixedFilePath>/fallback.png</FixedFilePath></FixedFileConfiguration></FileInfo>",
    "</OriginInfo></OriginRule>",
    "<OriginRule><RulePriority>2</RulePriority><OriginType>Mirror</OriginType>",
    "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>images/</Prefix><Suffix>.jpg</Suffix></OriginCondition>",
    "<OriginParameter><Protocol>HTTPS</Protocol><TransparentErrorCode>true</TransparentErrorCode>",
    "<FollowQueryString>false</FollowQueryString><HttpHeader><FollowAllHeaders>false</FollowAllHeaders>",
    "<FollowHttpHeaders><Header><Key>x-trace-id</Key></Header><Header><Key>Accept-Language</Key></Header></FollowHttpHeaders>",
    "<ForbidFollowHttpHeaders><Header><Key>cookie</Key></Header></ForbidFollowHttpHeaders>",
    "<NewHttpHeaders><Header><Key>x-from</Key><Value>originstore</Value></Header>",
    "<Header><Key>X-Empty</Key><Value/></Header></NewHttpHeaders></HttpHeader>",
    "<FollowRedirection>false</FollowRedirection><HttpRedirectCode>307</HttpRedirectCode>",
    "<CopyOriginData>false</CopyOriginData></OriginParameter>",
    "<HTTPStandbyCode><StatusCode>403</StatusCode><StatusCode>404</StatusCode></HTTPStandbyCode>",
    "<OriginInfo><HostInfo><HostName>origin.example.com:8080</HostName><Weight>3</Weight>",
    "<PrivateHost><Host>origin-bucket.s3.example.com</Host><CredentialProvider>",
    "<AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>us-east-1</Region>",
    "<SecretId>AKIDEXAMPLE</SecretId><SecretKey>s3cr3t/key+value</SecretKey></CredentialProvider></PrivateHost>",
    "<StandbyHostName_1>backup1.example.com</StandbyHostName_1><StandbyHostName_3>backup3.example.com</StandbyHostName_3>",
    "</HostInfo><HostInfo><HostName>[2001:db8::1]:9000</HostName><Weight>1</Weight></HostInfo>",
    "<FileInfo><PrefixConfiguration><Prefix>images/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration>",
    "<SuffixConfiguration><Suffix>.jpg</Suffix><ReplacedWithSuffix>.jpeg</ReplacedWithSuffix></SuffixConfiguration></FileInfo>",
    "</OriginInfo></OriginRule></OriginConfiguration>",
);

/// A minimal valid rule; tests splice one element in or replace one.
const MINIMAL_RULE: &str = "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
    <OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo></OriginInfo>";

fn doc(rule_body: &str) -> String {
    format!("<OriginConfiguration><OriginRule>{rule_body}</OriginRule></OriginConfiguration>")
}

fn with_parameter(inner: &str) -> String {
    doc(&format!(
        "{MINIMAL_RULE}<OriginParameter>{inner}</OriginParameter>"
    ))
}

fn with_host_info(inner: &str) -> String {
    doc(&format!(
        "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
         <OriginInfo><HostInfo>{inner}</HostInfo></OriginInfo>"
    ))
}

fn with_file_info(inner: &str) -> String {
    doc(&format!(
        "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
         <OriginInfo><HostInfo><HostName>o.example.com</HostName></HostInfo>\
         <FileInfo>{inner}</FileInfo></OriginInfo>"
    ))
}

#[track_caller]
fn rejects(xml: &str, code: ConfigErrorCode, element: &str) -> ConfigError {
    let err = parse(xml.as_bytes()).expect_err("document must be rejected");
    assert_eq!(err.code, code, "{err:?}");
    assert!(
        err.message.contains(element),
        "message {:?} must name {element}",
        err.message
    );
    err
}

#[test]
fn full_cos_document_parses() {
    let c = parse(FULL.as_bytes()).unwrap();
    assert_eq!(c.rules.len(), 2);
    let (redirect, mirror) = (&c.rules[0], &c.rules[1]);
    assert_eq!(redirect.priority, 1);
    assert_eq!(redirect.origin_type, OriginType::Redirect);
    assert_eq!(redirect.parameter, {
        let mut p = OriginParameter::default();
        p.http_header.follow_all_headers = true;
        p.http_header.forbid = vec!["x-secret".into()];
        p
    });
    assert_eq!(
        redirect.file_info.fixed_file_path.as_deref(),
        Some("/fallback.png")
    );

    assert_eq!(mirror.priority, 2);
    assert_eq!(mirror.origin_type, OriginType::Mirror);
    assert_eq!(
        mirror.condition,
        OriginCondition {
            http_status_code: 404,
            prefix: "images/".into(),
            suffix: ".jpg".into()
        }
    );
    let p = &mirror.parameter;
    assert_eq!(p.protocol, Protocol::Https);
    assert!(p.transparent_error_code);
    assert!(!p.follow_query_string);
    assert!(!p.follow_redirection);
    assert_eq!(p.http_redirect_code, 307);
    assert!(!p.copy_origin_data);
    assert_eq!(p.http_header.follow, vec!["x-trace-id", "Accept-Language"]);
    assert_eq!(p.http_header.forbid, vec!["cookie"]);
    assert_eq!(
        p.http_header.new_headers,
        vec![
            NewHttpHeader {
                key: "x-from".into(),
                value: "originstore".into()
            },
            NewHttpHeader {
                key: "X-Empty".into(),
                value: String::new()
            },
        ]
    );
    assert_eq!(mirror.standby_status_codes, vec![403, 404]);
    let h = &mirror.hosts[0];
    assert_eq!(h.host_name.as_deref(), Some("origin.example.com:8080"));
    assert_eq!(h.weight, Some(3));
    assert_eq!(
        h.standby,
        vec![
            StandbyHost {
                index: 1,
                host_name: "backup1.example.com".into()
            },
            StandbyHost {
                index: 3,
                host_name: "backup3.example.com".into()
            },
        ]
    );
    let private = h.private_host.as_ref().unwrap();
    assert_eq!(private.host, "origin-bucket.s3.example.com");
    assert_eq!(private.credentials.region, "us-east-1");
    assert_eq!(private.credentials.secret_id, "AKIDEXAMPLE");
    assert_eq!(private.credentials.secret_key, "s3cr3t/key+value");
    assert_eq!(
        mirror.hosts[1].host_name.as_deref(),
        Some("[2001:db8::1]:9000")
    );
    assert_eq!(
        mirror.file_info.prefix,
        Some(PrefixConfiguration {
            prefix: "images/".into(),
            replaced_with: Some("v2/".into())
        })
    );
    assert_eq!(
        mirror.file_info.suffix,
        Some(SuffixConfiguration {
            suffix: ".jpg".into(),
            replaced_with: Some(".jpeg".into())
        })
    );
}

#[test]
fn full_document_serialises_to_the_golden_string_and_round_trips() {
    let c = parse(FULL.as_bytes()).unwrap();
    let stored = c.to_xml(false);
    assert_eq!(stored, FULL_NORMALISED);
    assert_eq!(parse(stored.as_bytes()).unwrap(), c);
}

#[test]
fn get_redacts_secret_keys_and_debug_never_shows_them() {
    let c = parse(FULL.as_bytes()).unwrap();
    let shown = c.to_xml(true);
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("<SecretKey>******</SecretKey>"), "{shown}");
    assert!(shown.contains("<SecretId>AKIDEXAMPLE</SecretId>"));
    assert!(!format!("{c:?}").contains("s3cr3t"));
}

#[test]
fn a_redacted_document_put_back_keeps_the_stored_secret() {
    let stored = parse(FULL.as_bytes()).unwrap();
    let mut edited = parse(stored.to_xml(true).as_bytes()).unwrap();
    assert!(edited.has_redacted_secrets());
    edited.restore_redacted_secrets(Some(&stored)).unwrap();
    assert!(!edited.has_redacted_secrets());
    assert_eq!(edited, stored);

    let mut orphan = parse(stored.to_xml(true).as_bytes()).unwrap();
    let err = orphan.restore_redacted_secrets(None).unwrap_err();
    assert_eq!(err.code, ConfigErrorCode::InvalidArgument);
    assert!(err.message.contains("SecretKey"));
}

#[test]
fn defaults_follow_the_cos_documentation() {
    let c = parse(doc(MINIMAL_RULE).as_bytes()).unwrap();
    let r = &c.rules[0];
    assert_eq!(r.condition.http_status_code, 404);
    assert_eq!(r.condition.prefix, "");
    let p = &r.parameter;
    assert_eq!(p.protocol, Protocol::Follow);
    assert!(!p.transparent_error_code);
    assert!(p.follow_query_string);
    assert!(p.follow_redirection);
    assert_eq!(p.http_redirect_code, 302);
    assert!(p.copy_origin_data);
    assert!(!p.http_header.follow_all_headers);
    assert_eq!(r.file_info, FileInfo::default());
    assert!(r.standby_status_codes.is_empty());
}

#[test]
fn cos_documented_mirror_example_parses() {
    // Case 1 of the PUT Bucket Origin page.
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>
<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>
<OriginParameter><Protocol>HTTP</Protocol><FollowQueryString>true</FollowQueryString>
<HttpHeader><FollowAllHeaders>false</FollowAllHeaders>
<NewHttpHeaders><Header><Key>x-cos</Key><Value>exampleHeader</Value></Header></NewHttpHeaders>
<FollowHttpHeaders><Header><Key>exampleHeaderKey</Key></Header></FollowHttpHeaders></HttpHeader>
<FollowRedirection>true</FollowRedirection><HttpRedirectCode>302</HttpRedirectCode></OriginParameter>
<OriginInfo><HostInfo><HostName>examplebucket-1250000000.cos.ap-shanghai.myqcloud.com</HostName></HostInfo></OriginInfo>
</OriginRule></OriginConfiguration>"#;
    let c = parse(xml.as_bytes()).unwrap();
    assert_eq!(c.rules[0].parameter.protocol, Protocol::Http);
    assert_eq!(
        c.rules[0].parameter.http_header.follow,
        vec!["exampleHeaderKey"]
    );
}

#[test]
fn older_forbid_spelling_is_accepted_and_written_in_the_modern_one() {
    let xml = with_parameter(
        "<HttpHeader><FollowAllHeaders>true</FollowAllHeaders>\
         <ForbidFollowHeaders><Header><Key>x-a</Key></Header></ForbidFollowHeaders>\
         <ForbidFollowHttpHeaders><Header><Key>x-b</Key></Header></ForbidFollowHttpHeaders>\
         </HttpHeader>",
    );
    let c = parse(xml.as_bytes()).unwrap();
    assert_eq!(c.rules[0].parameter.http_header.forbid, vec!["x-b", "x-a"]);
    let out = c.to_xml(false);
    assert!(!out.contains("<ForbidFollowHeaders>"));
    assert!(out.contains("<ForbidFollowHttpHeaders>"));
}

#[test]
fn legacy_file_info_form_is_accepted_and_round_trips() {
    let xml = with_file_info(
        "<PrefixDirective>true</PrefixDirective><Prefix>mirror/</Prefix><Suffix>.bin</Suffix>",
    );
    let c = parse(xml.as_bytes()).unwrap();
    assert_eq!(
        c.rules[0].file_info.legacy,
        Some(LegacyFileInfo {
            enabled: true,
            prefix: "mirror/".into(),
            suffix: ".bin".into()
        })
    );
    assert_eq!(parse(c.to_xml(false).as_bytes()).unwrap(), c);

    // The Go SDK omits a false PrefixDirective: a Prefix alone means "use it".
    let c = parse(with_file_info("<Prefix>p/</Prefix>").as_bytes()).unwrap();
    assert!(c.rules[0].file_info.legacy.as_ref().unwrap().enabled);
    let c = parse(
        with_file_info("<PrefixDirective>false</PrefixDirective><Prefix>p/</Prefix>").as_bytes(),
    )
    .unwrap();
    assert!(!c.rules[0].file_info.legacy.as_ref().unwrap().enabled);
}

#[test]
fn empty_cos_template_elements_mean_no_rewrite() {
    let xml = with_file_info(
        "<FixedFileConfiguration><FixedFilePath>/x</FixedFilePath></FixedFileConfiguration>\
         <PrefixConfiguration><Prefix></Prefix></PrefixConfiguration>\
         <SuffixConfiguration><Suffix/></SuffixConfiguration>",
    );
    let c = parse(xml.as_bytes()).unwrap();
    assert_eq!(c.rules[0].file_info.prefix, None);
    assert_eq!(c.rules[0].file_info.suffix, None);
    assert_eq!(c.rules[0].file_info.fixed_file_path.as_deref(), Some("/x"));
}

#[test]
fn unknown_elements_are_ignored() {
    let xml = doc(&format!(
        "<Future>1</Future>{MINIMAL_RULE}<OriginParameter><FollowRedirectionConfiguration>\
         <FollowOriginHeaders>true</FollowOriginHeaders></FollowRedirectionConfiguration>\
         </OriginParameter>"
    ))
    .replace(
        "<HostName>",
        "<PrivateStandbyHost_1><Host>h</Host></PrivateStandbyHost_1><HostName>",
    );
    assert!(parse(xml.as_bytes()).is_ok());
}

#[test]
fn standby_hosts_keep_numeric_order_with_gaps() {
    let xml = with_host_info(
        "<HostName>a.example.com</HostName><StandbyHostName_10>j.example.com</StandbyHostName_10>\
         <StandbyHostName_2>b.example.com</StandbyHostName_2>",
    );
    let c = parse(xml.as_bytes()).unwrap();
    let idx: Vec<u8> = c.rules[0].hosts[0]
        .standby
        .iter()
        .map(|s| s.index)
        .collect();
    assert_eq!(idx, vec![2, 10]);
}

#[test]
fn host_forms_that_are_accepted() {
    for host in [
        "example.com",
        "example.com:8080",
        "10.1.2.3",
        "10.1.2.3:80",
        "[::1]",
        "[::1]:9000",
        "my_host.internal",
    ] {
        let xml = with_host_info(&format!("<HostName>{host}</HostName>"));
        assert!(parse(xml.as_bytes()).is_ok(), "{host}");
    }
    let xml = with_host_info(
        "<PrivateHost><Host>s3.example.com:9000/bucket</Host><CredentialProvider>\
         <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>r</Region>\
         <SecretId>id</SecretId><SecretKey>k</SecretKey></CredentialProvider></PrivateHost>",
    );
    let c = parse(xml.as_bytes()).unwrap();
    assert_eq!(c.rules[0].hosts[0].host_name, None);
    assert_eq!(
        c.rules[0].hosts[0].private_host.as_ref().unwrap().host,
        "s3.example.com:9000/bucket"
    );
}

// --- every rejection names its element ---------------------------------------------------

#[test]
fn rejects_a_body_over_64_kib() {
    let mut xml = doc(MINIMAL_RULE);
    xml.push_str(&" ".repeat(MAX_CONFIG_BYTES));
    rejects(
        &xml,
        ConfigErrorCode::InvalidArgument,
        "OriginConfiguration",
    );
}

#[test]
fn rejects_malformed_xml() {
    rejects(
        "<OriginConfiguration><OriginRule></OriginConfiguration>",
        ConfigErrorCode::MalformedXML,
        "OriginConfiguration",
    );
    rejects("", ConfigErrorCode::MalformedXML, "OriginConfiguration");
    rejects(
        "<OriginConfiguration><OriginRule><RulePriority>&xxe;</RulePriority></OriginRule></OriginConfiguration>",
        ConfigErrorCode::MalformedXML,
        "OriginConfiguration",
    );
    let mut not_utf8 = doc(MINIMAL_RULE).into_bytes();
    not_utf8.push(0xff);
    let err = parse(&not_utf8).unwrap_err();
    assert_eq!(err.code, ConfigErrorCode::MalformedXML);
}

#[test]
fn rejects_another_root_element() {
    rejects(
        "<CORSConfiguration><CORSRule/></CORSConfiguration>",
        ConfigErrorCode::MalformedXML,
        "CORSConfiguration",
    );
}

#[test]
fn rejects_a_configuration_without_rules() {
    rejects(
        "<OriginConfiguration></OriginConfiguration>",
        ConfigErrorCode::MalformedXML,
        "OriginRule",
    );
}

#[test]
fn rejects_bad_rule_priorities() {
    for bad in ["0", "-1", "one", "1.5", ""] {
        let xml = doc(&MINIMAL_RULE.replace(
            "<RulePriority>1</RulePriority>",
            &format!("<RulePriority>{bad}</RulePriority>"),
        ));
        rejects(&xml, ConfigErrorCode::InvalidArgument, "RulePriority");
    }
    let missing = doc(&MINIMAL_RULE.replace("<RulePriority>1</RulePriority>", ""));
    rejects(&missing, ConfigErrorCode::MalformedXML, "RulePriority");
}

#[test]
fn rejects_duplicate_rule_priority() {
    let xml = format!(
        "<OriginConfiguration><OriginRule>{MINIMAL_RULE}</OriginRule>\
         <OriginRule>{MINIMAL_RULE}</OriginRule></OriginConfiguration>"
    );
    rejects(&xml, ConfigErrorCode::InvalidArgument, "RulePriority");
}

#[test]
fn rejects_unknown_origin_type_and_other_casings() {
    for bad in ["Mirrorr", "mirror", "PROXY", ""] {
        let xml = doc(&MINIMAL_RULE.replace(
            "<OriginType>Mirror</OriginType>",
            &format!("<OriginType>{bad}</OriginType>"),
        ));
        rejects(&xml, ConfigErrorCode::InvalidArgument, "OriginType");
    }
    let missing = doc(&MINIMAL_RULE.replace("<OriginType>Mirror</OriginType>", ""));
    rejects(&missing, ConfigErrorCode::MalformedXML, "OriginType");
}

#[test]
fn rejects_bad_protocol() {
    for bad in ["http", "FTP", ""] {
        rejects(
            &with_parameter(&format!("<Protocol>{bad}</Protocol>")),
            ConfigErrorCode::InvalidArgument,
            "Protocol",
        );
    }
}

#[test]
fn rejects_host_names_with_scheme_path_query_or_space() {
    for bad in [
        "http://origin.example.com",
        "origin.example.com/path",
        "origin.example.com?x=1",
        "origin.example.com#f",
        "origin example.com",
        "user@origin.example.com",
        "origin.example.com:99999",
        "origin.example.com:",
        "[::1",
        "[nothex]:80",
        "-bad.example.com",
        "a..b",
        "",
    ] {
        let xml = with_host_info(&format!("<HostName>{bad}</HostName>"));
        rejects(&xml, ConfigErrorCode::InvalidArgument, "HostName");
    }
}

#[test]
fn rejects_a_rule_without_host_info() {
    let xml = doc(
        "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType><OriginInfo></OriginInfo>",
    );
    rejects(&xml, ConfigErrorCode::MalformedXML, "HostInfo");
    let xml = doc("<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>");
    rejects(&xml, ConfigErrorCode::MalformedXML, "OriginInfo");
    let xml = with_host_info("<Weight>1</Weight>");
    rejects(&xml, ConfigErrorCode::MalformedXML, "HostName");
}

#[test]
fn rejects_several_host_infos_outside_mirror() {
    let xml = doc(
        "<RulePriority>1</RulePriority><OriginType>Proxy</OriginType><OriginInfo>\
         <HostInfo><HostName>a.example.com</HostName></HostInfo>\
         <HostInfo><HostName>b.example.com</HostName></HostInfo></OriginInfo>",
    );
    rejects(&xml, ConfigErrorCode::InvalidArgument, "HostInfo");
}

#[test]
fn rejects_bad_standby_hosts() {
    for name in [
        "StandbyHostName_0",
        "StandbyHostName_11",
        "StandbyHostName_01",
        "StandbyHostName_x",
    ] {
        let xml = with_host_info(&format!(
            "<HostName>a.example.com</HostName><{name}>b.example.com</{name}>"
        ));
        rejects(&xml, ConfigErrorCode::InvalidArgument, name);
    }
    let xml = with_host_info(
        "<HostName>a.example.com</HostName><StandbyHostName_1>http://b</StandbyHostName_1>",
    );
    rejects(&xml, ConfigErrorCode::InvalidArgument, "StandbyHostName_1");
    let xml = with_host_info(
        "<HostName>a.example.com</HostName><StandbyHostName_1>b.example.com</StandbyHostName_1>\
         <StandbyHostName_1>c.example.com</StandbyHostName_1>",
    );
    rejects(&xml, ConfigErrorCode::MalformedXML, "StandbyHostName_1");
}

#[test]
fn rejects_non_positive_weight() {
    for bad in ["0", "-3", "heavy"] {
        let xml = with_host_info(&format!(
            "<HostName>a.example.com</HostName><Weight>{bad}</Weight>"
        ));
        rejects(&xml, ConfigErrorCode::InvalidArgument, "Weight");
    }
}

#[test]
fn rejects_status_codes_other_than_404_in_the_condition() {
    for bad in ["403", "500", "abc"] {
        let xml = doc(&format!(
            "{MINIMAL_RULE}<OriginCondition><HTTPStatusCode>{bad}</HTTPStatusCode></OriginCondition>"
        ));
        rejects(&xml, ConfigErrorCode::InvalidArgument, "HTTPStatusCode");
    }
}

#[test]
fn rejects_standby_codes_that_are_not_4xx_or_5xx() {
    for bad in ["200", "302", "600", "4040", "40", "4x4"] {
        let xml = doc(&format!(
            "{MINIMAL_RULE}<HTTPStandbyCode><StatusCode>{bad}</StatusCode></HTTPStandbyCode>"
        ));
        rejects(&xml, ConfigErrorCode::InvalidArgument, "StatusCode");
    }
}

#[test]
fn rejects_more_than_ten_new_headers() {
    let headers: String = (0..11)
        .map(|i| format!("<Header><Key>x-h{i}</Key><Value>v</Value></Header>"))
        .collect();
    let xml = with_parameter(&format!(
        "<HttpHeader><NewHttpHeaders>{headers}</NewHttpHeaders></HttpHeader>"
    ));
    rejects(&xml, ConfigErrorCode::InvalidArgument, "NewHttpHeaders");
}

#[test]
fn rejects_invalid_header_names_and_values() {
    for (list, element) in [
        ("FollowHttpHeaders", "FollowHttpHeaders"),
        ("ForbidFollowHttpHeaders", "ForbidFollowHttpHeaders"),
        ("ForbidFollowHeaders", "ForbidFollowHeaders"),
        ("NewHttpHeaders", "NewHttpHeaders"),
    ] {
        for bad in ["bad key", "x:y", ""] {
            let xml = with_parameter(&format!(
                "<HttpHeader><{list}><Header><Key>{bad}</Key><Value>v</Value></Header></{list}></HttpHeader>"
            ));
            rejects(&xml, ConfigErrorCode::InvalidArgument, element);
        }
    }
    let xml = with_parameter(
        "<HttpHeader><NewHttpHeaders><Header><Key>x-a</Key><Value>a&#10;b</Value></Header></NewHttpHeaders></HttpHeader>",
    );
    rejects(
        &xml,
        ConfigErrorCode::InvalidArgument,
        "NewHttpHeaders/Header/Value",
    );
    let xml = with_parameter(
        "<HttpHeader><NewHttpHeaders><Header><Key>Host</Key><Value>evil</Value></Header></NewHttpHeaders></HttpHeader>",
    );
    rejects(
        &xml,
        ConfigErrorCode::InvalidArgument,
        "NewHttpHeaders/Header/Key",
    );
}

#[test]
fn rejects_redirect_codes_outside_301_302_307() {
    for bad in ["300", "303", "308", "abc"] {
        rejects(
            &with_parameter(&format!("<HttpRedirectCode>{bad}</HttpRedirectCode>")),
            ConfigErrorCode::InvalidArgument,
            "HttpRedirectCode",
        );
    }
}

#[test]
fn rejects_booleans_other_than_true_and_false() {
    for element in [
        "TransparentErrorCode",
        "FollowQueryString",
        "FollowRedirection",
        "CopyOriginData",
    ] {
        for bad in ["TRUE", "1", "yes"] {
            rejects(
                &with_parameter(&format!("<{element}>{bad}</{element}>")),
                ConfigErrorCode::InvalidArgument,
                element,
            );
        }
    }
    rejects(
        &with_parameter("<HttpHeader><FollowAllHeaders>no</FollowAllHeaders></HttpHeader>"),
        ConfigErrorCode::InvalidArgument,
        "FollowAllHeaders",
    );
    rejects(
        &with_file_info("<PrefixDirective>maybe</PrefixDirective>"),
        ConfigErrorCode::InvalidArgument,
        "PrefixDirective",
    );
}

#[test]
fn rejects_fixed_file_combined_with_prefix_or_suffix_rewriting() {
    let fixed =
        "<FixedFileConfiguration><FixedFilePath>/f.png</FixedFilePath></FixedFileConfiguration>";
    for rewrite in [
        "<PrefixConfiguration><Prefix>a/</Prefix></PrefixConfiguration>",
        "<SuffixConfiguration><Suffix>.x</Suffix><ReplacedWithSuffix>.y</ReplacedWithSuffix></SuffixConfiguration>",
        "<PrefixDirective>true</PrefixDirective><Prefix>a/</Prefix>",
    ] {
        rejects(
            &with_file_info(&format!("{fixed}{rewrite}")),
            ConfigErrorCode::InvalidArgument,
            "FixedFileConfiguration",
        );
    }
}

#[test]
fn rejects_legacy_form_combined_with_modern_rewriting() {
    rejects(
        &with_file_info(
            "<PrefixDirective>true</PrefixDirective><Prefix>a/</Prefix>\
             <PrefixConfiguration><Prefix>b/</Prefix></PrefixConfiguration>",
        ),
        ConfigErrorCode::InvalidArgument,
        "PrefixDirective",
    );
}

#[test]
fn rejects_fixed_file_paths_with_a_query() {
    rejects(
        &with_file_info(
            "<FixedFileConfiguration><FixedFilePath>/f.png?x=1</FixedFilePath></FixedFileConfiguration>",
        ),
        ConfigErrorCode::InvalidArgument,
        "FixedFilePath",
    );
}

#[test]
fn rejects_incomplete_or_unsupported_private_host() {
    let full = "<Host>b.s3.example.com</Host><CredentialProvider>\
        <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>r</Region>\
        <SecretId>id</SecretId><SecretKey>key</SecretKey></CredentialProvider>";
    let private = |inner: &str| {
        with_host_info(&format!(
            "<HostName>a.example.com</HostName><PrivateHost>{inner}</PrivateHost>"
        ))
    };
    assert!(parse(private(full).as_bytes()).is_ok());
    for (drop, element) in [
        ("<Host>b.s3.example.com</Host>", "PrivateHost/Host"),
        (
            "<AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>",
            "AuthorizationAlgorithm",
        ),
        ("<Region>r</Region>", "Region"),
        ("<SecretId>id</SecretId>", "SecretId"),
        ("<SecretKey>key</SecretKey>", "SecretKey"),
    ] {
        rejects(
            &private(&full.replace(drop, "")),
            ConfigErrorCode::MalformedXML,
            element,
        );
    }
    let no_provider = "<Host>b.s3.example.com</Host>";
    rejects(
        &private(no_provider),
        ConfigErrorCode::MalformedXML,
        "CredentialProvider",
    );
    rejects(
        &private(&full.replace("AWS4-HMAC-SHA256", "HMAC-SHA1")),
        ConfigErrorCode::InvalidArgument,
        "AuthorizationAlgorithm",
    );
    rejects(
        &private(&full.replace("b.s3.example.com", "https://b.s3.example.com")),
        ConfigErrorCode::InvalidArgument,
        "PrivateHost/Host",
    );
    rejects(
        &private(&full.replace("b.s3.example.com", "s3.example.com/a/b")),
        ConfigErrorCode::InvalidArgument,
        "PrivateHost/Host",
    );
    // A bad secret is reported without echoing it.
    let err = rejects(
        &private(&full.replace(
            "<SecretKey>key</SecretKey>",
            "<SecretKey>se cret</SecretKey>",
        )),
        ConfigErrorCode::InvalidArgument,
        "SecretKey",
    );
    assert!(!err.message.contains("se cret"));
}

#[test]
fn rejects_a_repeated_single_element_as_malformed() {
    let xml = doc(&format!("{MINIMAL_RULE}<OriginType>Proxy</OriginType>"));
    rejects(&xml, ConfigErrorCode::MalformedXML, "OriginType");
    let xml =
        with_host_info("<HostName>a.example.com</HostName><HostName>b.example.com</HostName>");
    rejects(&xml, ConfigErrorCode::MalformedXML, "HostName");
}

#[test]
fn freshness_parses_round_trips_and_is_validated() {
    let xml = with_parameter(
        "<Freshness><MaxAgeSeconds>300</MaxAgeSeconds><UseOriginCacheControl>true</UseOriginCacheControl>\
         <StaleWhileRevalidate>false</StaleWhileRevalidate><StaleIfErrorSeconds>86400</StaleIfErrorSeconds>\
         <OnOriginDelete>Delete</OnOriginDelete></Freshness>",
    );
    let config = parse(xml.as_bytes()).expect("valid");
    let freshness = config.rules[0]
        .parameter
        .freshness
        .clone()
        .expect("freshness");
    assert_eq!(
        freshness,
        Freshness {
            max_age_secs: Some(300),
            use_origin_cache_control: true,
            stale_while_revalidate: false,
            stale_if_error_secs: Some(86_400),
            on_origin_delete: OnOriginDelete::Delete,
        }
    );
    let again = parse(config.to_xml(false).as_bytes()).expect("round trip");
    assert_eq!(again, config);
    // Absent: never revalidated (COS behaviour).
    let plain = parse(with_parameter("").as_bytes()).expect("valid");
    assert_eq!(plain.rules[0].parameter.freshness, None);

    let bad = |inner: &str| with_parameter(&format!("<Freshness>{inner}</Freshness>"));
    rejects(
        &bad("<MaxAgeSeconds>soon</MaxAgeSeconds>"),
        ConfigErrorCode::InvalidArgument,
        "MaxAgeSeconds",
    );
    rejects(
        &bad("<MaxAgeSeconds>1</MaxAgeSeconds><OnOriginDelete>Maybe</OnOriginDelete>"),
        ConfigErrorCode::InvalidArgument,
        "OnOriginDelete",
    );
    rejects(
        &bad("<StaleWhileRevalidate>true</StaleWhileRevalidate>"),
        ConfigErrorCode::InvalidArgument,
        "Freshness",
    );
}

#[test]
fn list_through_needs_a_private_host_and_no_rewrite() {
    let private = "<PrivateHost><Host>s3.example.com/source</Host><CredentialProvider>\
        <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>us-east-1</Region>\
        <SecretId>AK</SecretId><SecretKey>SK</SecretKey></CredentialProvider></PrivateHost>";
    let rule = |file_info: &str| {
        doc(&format!(
            "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
             <OriginParameter><ListThrough>true</ListThrough></OriginParameter>\
             <OriginInfo><HostInfo>{private}</HostInfo>{file_info}</OriginInfo>"
        ))
    };
    let config = parse(rule("").as_bytes()).expect("valid");
    assert!(config.rules[0].parameter.list_through);
    assert_eq!(
        parse(config.to_xml(false).as_bytes()).expect("round trip"),
        config
    );
    rejects(
        &rule("<FileInfo><PrefixConfiguration><Prefix>a/</Prefix><ReplacedWithPrefix>b/</ReplacedWithPrefix></PrefixConfiguration></FileInfo>"),
        ConfigErrorCode::InvalidArgument,
        "ListThrough",
    );
    rejects(
        &with_parameter("<ListThrough>true</ListThrough>"),
        ConfigErrorCode::InvalidArgument,
        "ListThrough",
    );
    // A prefix replacement that covers the rule's keys can be undone: accepted.
    let swap = doc(&format!(
        "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
         <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>a/</Prefix></OriginCondition>\
         <OriginParameter><ListThrough>true</ListThrough></OriginParameter>\
         <OriginInfo><HostInfo>{private}</HostInfo><FileInfo><PrefixConfiguration><Prefix>a/</Prefix>\
         <ReplacedWithPrefix>b/</ReplacedWithPrefix></PrefixConfiguration></FileInfo></OriginInfo>"
    ));
    assert!(parse(swap.as_bytes()).is_ok());
}

#[test]
fn write_through_needs_one_private_host_a_keeping_mirror_and_keys_unchanged() {
    let private = "<PrivateHost><Host>s3.example.com/legacy</Host><CredentialProvider>\
        <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>us-east-1</Region>\
        <SecretId>AK</SecretId><SecretKey>SK</SecretKey></CredentialProvider></PrivateHost>";
    let rule = |kind: &str, parameter: &str, host_info: &str, file_info: &str| {
        doc(&format!(
            "<RulePriority>1</RulePriority><OriginType>{kind}</OriginType>\
             <OriginParameter><WriteThrough>true</WriteThrough>{parameter}</OriginParameter>\
             <OriginInfo>{host_info}{file_info}</OriginInfo>"
        ))
    };
    let one = format!("<HostInfo>{private}</HostInfo>");
    let config = parse(rule("Mirror", "", &one, "").as_bytes()).expect("valid");
    assert!(config.rules[0].parameter.write_through);
    assert_eq!(
        parse(config.to_xml(false).as_bytes()).expect("round trip"),
        config,
        "WriteThrough survives being stored"
    );
    assert!(
        !parse(doc(MINIMAL_RULE).as_bytes()).unwrap().rules[0]
            .parameter
            .write_through
    );
    for (why, xml) in [
        ("a plain host", rule("Mirror", "", "<HostInfo><HostName>o.example.com</HostName></HostInfo>", "")),
        ("two hosts", rule("Mirror", "", &format!("{one}{one}"), "")),
        (
            "a standby host",
            rule(
                "Mirror",
                "",
                &format!("<HostInfo>{private}<StandbyHostName_1>b.example.com</StandbyHostName_1></HostInfo>"),
                "",
            ),
        ),
        ("a key rewrite", rule("Mirror", "", &one, "<FileInfo><PrefixConfiguration><Prefix>a/</Prefix><ReplacedWithPrefix>b/</ReplacedWithPrefix></PrefixConfiguration></FileInfo>")),
        ("a proxy", rule("Proxy", "", &one, "")),
        ("nothing kept", rule("Mirror", "<CopyOriginData>false</CopyOriginData>", &one, "")),
    ] {
        let err = parse(xml.as_bytes()).expect_err(why);
        assert_eq!(err.code, ConfigErrorCode::InvalidArgument, "{why}: {err:?}");
        assert!(err.message.contains("WriteThrough"), "{why}: {}", err.message);
    }
}
