use super::*;
use crate::test_support::headers;

/// Every user's identity.
fn users() -> Vec<String> {
    vec!["ALICE".to_owned(), "BOB".to_owned()]
}

#[test]
fn canned_acls_grant_what_aws_documents() {
    let (alice, bob) = (canonical_id("ALICE"), canonical_id("BOB"));
    let check = |name: &str, who: Principal<'_>, p: Permission| {
        Acl::canned(name, &bob, &alice)
            .expect("canned")
            .allows(who, p)
    };
    use Permission::*;
    assert!(check("private", Principal::User("BOB"), FullControl));
    assert!(!check("private", Principal::User("ALICE"), Read));
    assert!(check("public-read", Principal::Anonymous, Read));
    assert!(!check("public-read", Principal::Anonymous, Write));
    assert!(check("public-read-write", Principal::Anonymous, Write));
    assert!(!check("authenticated-read", Principal::Anonymous, Read));
    assert!(check("authenticated-read", Principal::User("ALICE"), Read));
    assert!(check("bucket-owner-read", Principal::User("ALICE"), Read));
    assert!(!check(
        "bucket-owner-read",
        Principal::User("ALICE"),
        ReadAcp
    ));
    assert!(check(
        "bucket-owner-full-control",
        Principal::User("ALICE"),
        WriteAcp
    ));
    // The owner may always read and write the ACL itself.
    let acl = Acl {
        owner: bob.clone(),
        grants: vec![],
    };
    assert!(acl.allows(Principal::User("BOB"), ReadAcp));
    assert!(!acl.allows(Principal::User("BOB"), Read));
    assert!(Acl::canned("nonsense", &bob, &alice).is_err());
}

#[test]
fn grant_headers_name_users_and_groups() {
    let alice = canonical_id("ALICE");
    let bob = canonical_id("BOB");
    let h = headers(&[
        (
            "x-amz-grant-read",
            &format!("id=\"{bob}\", uri=\"{ALL_USERS}\""),
        ),
        ("x-amz-grant-write-acp", &format!("id={bob}")),
    ]);
    let acl = Acl::from_headers(&h, &alice, &alice, &users())
        .expect("valid")
        .expect("some");
    assert_eq!(acl.grants.len(), 3);
    assert!(acl.allows(Principal::Anonymous, Permission::Read));
    assert!(acl.allows(Principal::User("BOB"), Permission::WriteAcp));
    assert!(!acl.allows(Principal::User("BOB"), Permission::Write));

    let both = headers(&[("x-amz-acl", "private"), ("x-amz-grant-read", "uri=\"x\"")]);
    let e = Acl::from_headers(&both, &alice, &alice, &users()).expect_err("both");
    assert_eq!(e.code, S3ErrorCode::InvalidRequest);
    let unknown = headers(&[("x-amz-grant-read", "id=\"0123\"")]);
    let e = Acl::from_headers(&unknown, &alice, &alice, &users()).expect_err("unknown id");
    assert_eq!(e.code, S3ErrorCode::InvalidArgument);
    let email = headers(&[("x-amz-grant-read", "emailAddress=\"a@b.c\"")]);
    let e = Acl::from_headers(&email, &alice, &alice, &users()).expect_err("email");
    assert_eq!(e.code, S3ErrorCode::MethodNotAllowed);
    assert_eq!(
        Acl::from_headers(&HeaderMap::new(), &alice, &alice, &users()).expect("ok"),
        None
    );
}

#[test]
fn access_control_policy_documents_round_trip() {
    let alice = canonical_id("ALICE");
    let bob = canonical_id("BOB");
    let mut acl = Acl::canned("authenticated-read", &alice, &alice).expect("canned");
    acl.grants.push(Grant {
        grantee: Grantee::User(bob.clone()),
        permission: Permission::WriteAcp,
    });
    let xml = crate::xml::to_xml(&acl.to_document());
    assert!(!xml.contains("DisplayName"), "{xml}");
    assert!(!xml.contains("ALICE"), "no access key in an ACL: {xml}");
    let parsed = Acl::from_xml(xml.as_bytes(), &alice, &users()).expect("parses");
    assert_eq!(parsed, acl);
    assert_eq!(Acl::decode(&acl.encode()).expect("decodes"), acl);

    let other_owner = xml.replace(&format!("<Owner><ID>{alice}"), &format!("<Owner><ID>{bob}"));
    let e = Acl::from_xml(other_owner.as_bytes(), &alice, &users()).expect_err("owner");
    assert_eq!(e.code, S3ErrorCode::AccessDenied);
    let bad = xml.replace("WRITE_ACP", "EVERYTHING");
    let e = Acl::from_xml(bad.as_bytes(), &alice, &users()).expect_err("permission");
    assert_eq!(e.code, S3ErrorCode::MalformedXML);
}
