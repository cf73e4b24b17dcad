//! Who may do what, through the real server: a table of three users and anonymous callers
//! against each canned bucket ACL and each canned object ACL, for each operation (allowed or
//! AccessDenied); grants by header and by AccessControlPolicy body; object ownership
//! (ObjectWriter, BucketOwnerPreferred, BucketOwnerEnforced); bucket policies (public
//! prefixes, `mc anonymous set download`, explicit Deny over the owner, user principals,
//! `aws:SourceIp` and `s3:prefix` conditions, policy status); `x-amz-expected-bucket-owner`;
//! copies and batch deletes checked per source and per key; and a bucket made public by an
//! older version, migrated on open.

use http::Method;

use crate::support::server::{
    client_for, signed_request, xml_code, TestServer, ACCESS_KEY, OTHER_ACCESS_KEY,
    OTHER_SECRET_KEY, SECRET_KEY,
};

const THIRD_ACCESS_KEY: &str = "TESTACCESSKEY0000003";
const THIRD_SECRET_KEY: &str = "testsecretkey/0000000000000000000000003";

/// The callers of every table: the bucket owner, two other users, nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Owner,
    Other,
    Third,
    Anonymous,
}

const EVERYONE: [Who; 4] = [Who::Owner, Who::Other, Who::Third, Who::Anonymous];

impl Who {
    fn keys(self) -> Option<(&'static str, &'static str)> {
        match self {
            Who::Owner => Some((ACCESS_KEY, SECRET_KEY)),
            Who::Other => Some((OTHER_ACCESS_KEY, OTHER_SECRET_KEY)),
            Who::Third => Some((THIRD_ACCESS_KEY, THIRD_SECRET_KEY)),
            Who::Anonymous => None,
        }
    }
}

async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.users.push(originstore::identity::User {
            access_key: THIRD_ACCESS_KEY.into(),
            secret_key: THIRD_SECRET_KEY.into(),
        })
    })
    .await
}

fn canonical(access_key: &str) -> String {
    originstore::identity::canonical_id(access_key)
}

/// Send a request as `who` (signed, or unsigned for anonymous): its status and error code.
async fn send(
    s: &TestServer,
    who: Who,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut map = http::HeaderMap::new();
    for (n, v) in headers {
        map.insert(
            http::HeaderName::from_bytes(n.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    let request = match who.keys() {
        Some(keys) => signed_request(&s.endpoint(), keys, method, path, map),
        None => reqwest::Client::new()
            .request(method, s.url(path))
            .headers(map),
    };
    let resp = request.body(body.to_owned()).send().await.expect("sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, xml_code(&text))
}

/// Allowed (2xx) or refused (403 AccessDenied); anything else fails the test.
async fn allowed(
    s: &TestServer,
    who: Who,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> bool {
    let (status, code) = send(s, who, method.clone(), path, headers, "x").await;
    match status {
        200..=299 => true,
        403 if code == "AccessDenied" => false,
        _ => panic!("{who:?} {method} {path}: {status} {code}"),
    }
}

fn flags(row: &str) -> Vec<bool> {
    row.chars().map(|c| c == 'Y').collect()
}

/// Bucket canned ACL x caller x operation: ListObjects, PutObject, GetObject (of the
/// owner's private object), GetBucketAcl, PutBucketAcl, DeleteObject.
#[tokio::test]
async fn bucket_canned_acls_table() {
    let s = server().await;
    let other = format!("id=\"{}\"", canonical(OTHER_ACCESS_KEY));
    let third = format!("id=\"{}\"", canonical(THIRD_ACCESS_KEY));
    let owner = format!("id=\"{}\"", canonical(ACCESS_KEY));
    let everyone = "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"".to_owned();
    let canned = |name: &str| vec![("x-amz-acl".to_owned(), name.to_owned())];
    // Grants: READ to the other user, WRITE to the third, READ_ACP to everyone, WRITE_ACP to
    // the other user, FULL_CONTROL kept by the owner.
    let grants = vec![
        ("x-amz-grant-read".to_owned(), other.clone()),
        ("x-amz-grant-write".to_owned(), third),
        ("x-amz-grant-read-acp".to_owned(), everyone),
        ("x-amz-grant-write-acp".to_owned(), other),
        ("x-amz-grant-full-control".to_owned(), owner),
    ];
    #[rustfmt::skip]
    let table = [
        // ACL headers                    owner     other     third     anonymous
        (canned("private"),            ["YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN"]),
        (canned("public-read"),        ["YYYYYY", "YNNNNN", "YNNNNN", "YNNNNN"]),
        (canned("public-read-write"),  ["YYYYYY", "YYNNNY", "YYNNNY", "YYNNNY"]),
        (canned("authenticated-read"), ["YYYYYY", "YNNNNN", "YNNNNN", "NNNNNN"]),
        (grants,                       ["YYYYYY", "YNNYYN", "NYNYNY", "NNNYNN"]),
    ];
    for (i, (acl, rows)) in table.iter().enumerate() {
        let bucket = format!("acl-table-{i}");
        let acl: Vec<(&str, &str)> = acl.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let create = send(&s, Who::Owner, Method::PUT, &format!("/{bucket}"), &acl, "").await;
        assert_eq!(create.0, 200, "{acl:?}: {create:?}");
        s.put(&bucket, "k", "owner's").await;
        for (who, row) in EVERYONE.iter().zip(rows) {
            s.put(&bucket, "victim", "to delete").await;
            let at = |path: &str| format!("/{bucket}{path}");
            let got = vec![
                allowed(&s, *who, Method::GET, &at(""), &[]).await,
                allowed(&s, *who, Method::PUT, &at(&format!("/by-{who:?}")), &[]).await,
                allowed(&s, *who, Method::GET, &at("/k"), &[]).await,
                allowed(&s, *who, Method::GET, &at("?acl"), &[]).await,
                allowed(&s, *who, Method::PUT, &at("?acl"), &acl).await,
                allowed(&s, *who, Method::DELETE, &at("/victim"), &[]).await,
            ];
            assert_eq!(
                got,
                flags(row),
                "bucket ACL {acl:?}, caller {who:?} (List Put Get GetAcl PutAcl Delete)"
            );
        }
    }
}

/// Object canned ACL (on an object another user wrote) x caller x operation: GetObject,
/// GetObjectAcl, PutObjectAcl (putting the same ACL back).
#[tokio::test]
async fn object_canned_acls_table() {
    let s = server().await;
    let other_id = canonical(OTHER_ACCESS_KEY);
    // The owner lets the other user write into the bucket.
    let grant = format!("id=\"{other_id}\"");
    let create = send(
        &s,
        Who::Owner,
        Method::PUT,
        "/objs",
        &[("x-amz-grant-write", &grant)],
        "",
    )
    .await;
    assert_eq!(create.0, 200, "{create:?}");
    #[rustfmt::skip]
    let table = [
        // canned ACL                  owner  other  third  anonymous
        ("private",                   ["NNN", "YYY", "NNN", "NNN"]),
        ("public-read",               ["YNN", "YYY", "YNN", "YNN"]),
        ("public-read-write",         ["YNN", "YYY", "YNN", "YNN"]),
        ("authenticated-read",        ["YNN", "YYY", "YNN", "NNN"]),
        ("bucket-owner-read",         ["YNN", "YYY", "NNN", "NNN"]),
        ("bucket-owner-full-control", ["YYY", "YYY", "NNN", "NNN"]),
    ];
    for (canned, rows) in table {
        let key = format!("/objs/{canned}");
        let put = send(
            &s,
            Who::Other,
            Method::PUT,
            &key,
            &[("x-amz-acl", canned)],
            "object",
        )
        .await;
        assert_eq!(put.0, 200, "{canned}: {put:?}");
        for (who, row) in EVERYONE.iter().zip(rows) {
            let got = vec![
                allowed(&s, *who, Method::GET, &key, &[]).await,
                allowed(&s, *who, Method::GET, &format!("{key}?acl"), &[]).await,
                allowed(
                    &s,
                    *who,
                    Method::PUT,
                    &format!("{key}?acl"),
                    &[("x-amz-acl", canned)],
                )
                .await,
            ];
            assert_eq!(
                got,
                flags(row),
                "object ACL {canned}, caller {who:?} (Get GetAcl PutAcl)"
            );
        }
    }
    // The writer owns its object; GetObjectAcl says so, and listings show it.
    let owner_client = &s.client;
    let acl = owner_client
        .get_object_acl()
        .bucket("objs")
        .key("bucket-owner-full-control")
        .send()
        .await
        .expect("acl");
    assert_eq!(acl.owner().and_then(|o| o.id()), Some(other_id.as_str()));
    assert_eq!(acl.owner().and_then(|o| o.display_name()), None);
    let grants: Vec<_> = acl
        .grants()
        .iter()
        .map(|g| {
            (
                g.grantee()
                    .and_then(|g| g.id())
                    .unwrap_or_default()
                    .to_owned(),
                g.permission()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        grants.contains(&(canonical(ACCESS_KEY), "FULL_CONTROL".to_owned())),
        "{grants:?}"
    );
    let listed = owner_client
        .list_objects_v2()
        .bucket("objs")
        .fetch_owner(true)
        .send()
        .await
        .expect("list");
    assert!(listed
        .contents()
        .iter()
        .all(|o| o.owner().and_then(|o| o.id()) == Some(other_id.as_str())));
    // The bucket owner may still delete what others wrote (its WRITE on the bucket).
    assert!(allowed(&s, Who::Owner, Method::DELETE, "/objs/private", &[]).await);
}

#[tokio::test]
async fn grants_by_header_and_by_document() {
    let s = server().await;
    s.create_bucket("grants").await;
    s.put("grants", "k", "data").await;
    let (other, third) = (canonical(OTHER_ACCESS_KEY), canonical(THIRD_ACCESS_KEY));
    // Header grants: READ_ACP to the other user, WRITE to the third.
    let put = send(
        &s,
        Who::Owner,
        Method::PUT,
        "/grants?acl",
        &[
            ("x-amz-grant-read-acp", &format!("id=\"{other}\"")),
            ("x-amz-grant-write", &format!("id=\"{third}\"")),
            (
                "x-amz-grant-full-control",
                &format!("id=\"{}\"", canonical(ACCESS_KEY)),
            ),
        ],
        "",
    )
    .await;
    assert_eq!(put.0, 200, "{put:?}");
    assert!(allowed(&s, Who::Other, Method::GET, "/grants?acl", &[]).await);
    assert!(!allowed(&s, Who::Other, Method::GET, "/grants", &[]).await);
    assert!(allowed(&s, Who::Third, Method::PUT, "/grants/third", &[]).await);
    assert!(!allowed(&s, Who::Third, Method::GET, "/grants?acl", &[]).await);

    // An AccessControlPolicy body: READ to AuthenticatedUsers.
    let owner = canonical(ACCESS_KEY);
    let body = format!(
        r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>{owner}</ID></Owner><AccessControlList>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>{owner}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AuthenticatedUsers</URI></Grantee><Permission>READ</Permission></Grant>
</AccessControlList></AccessControlPolicy>"#
    );
    let put = send(&s, Who::Owner, Method::PUT, "/grants?acl", &[], &body).await;
    assert_eq!(put.0, 200, "{put:?}");
    assert!(allowed(&s, Who::Third, Method::GET, "/grants", &[]).await);
    assert!(!allowed(&s, Who::Anonymous, Method::GET, "/grants", &[]).await);
    let acl = s
        .client
        .get_bucket_acl()
        .bucket("grants")
        .send()
        .await
        .expect("acl");
    assert_eq!(acl.grants().len(), 2);

    // Errors AWS answers.
    let bad = [
        (
            vec![
                ("x-amz-acl", "private"),
                (
                    "x-amz-grant-read",
                    "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
                ),
            ],
            "InvalidRequest",
            400,
        ),
        (
            vec![("x-amz-grant-read", "id=\"not-a-user\"")],
            "InvalidArgument",
            400,
        ),
        (
            // AWS refuses email grantees with 405 since 1 October 2025.
            vec![("x-amz-grant-read", "emailAddress=\"a@example.com\"")],
            "MethodNotAllowed",
            405,
        ),
        (
            vec![("x-amz-acl", "world-writable")],
            "InvalidArgument",
            400,
        ),
    ];
    for (headers, code, status) in bad {
        let got = send(&s, Who::Owner, Method::PUT, "/grants?acl", &headers, "").await;
        assert_eq!(got, (status, code.to_owned()), "{headers:?}");
    }
    let got = send(&s, Who::Owner, Method::PUT, "/grants?acl", &[], "").await;
    assert_eq!(got, (400, "MissingSecurityHeader".to_owned()));
    // Another user may not change it, even with READ_ACP.
    let got = send(
        &s,
        Who::Other,
        Method::PUT,
        "/grants?acl",
        &[("x-amz-acl", "public-read")],
        "",
    )
    .await;
    assert_eq!(got, (403, "AccessDenied".to_owned()));
}

#[tokio::test]
async fn object_ownership_controls() {
    let s = server().await;
    ownership_controls_are_missing_until_set(&s).await;
    bucket_owner_preferred_takes_full_control_writes(&s).await;
    bucket_owner_enforced_disables_acls(&s).await;
    deleting_the_controls_restores_object_writer(&s).await;
    create_bucket_takes_an_object_ownership(&s).await;
}

/// An `OwnershipControls` document asking for `ownership`.
fn ownership_document(ownership: &str) -> String {
    format!(
        r#"<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>{ownership}</ObjectOwnership></Rule></OwnershipControls>"#
    )
}

/// The owner the ACL of `own/{key}` names, as the bucket owner reads it (`None`: refused).
async fn acl_owner(s: &TestServer, key: &str) -> Option<String> {
    let acl = s
        .client
        .get_object_acl()
        .bucket("own")
        .key(key)
        .send()
        .await;
    acl.ok()
        .and_then(|a| a.owner().and_then(|o| o.id()).map(str::to_owned))
}

/// A bucket has no ownership controls until they are set: 404 OwnershipControlsNotFoundError.
async fn ownership_controls_are_missing_until_set(s: &TestServer) {
    let missing = s
        .client
        .get_bucket_ownership_controls()
        .bucket("none")
        .send()
        .await;
    assert!(missing.is_err());
    s.create_bucket("own").await;
    let got = send(
        s,
        Who::Owner,
        Method::GET,
        "/own?ownershipControls",
        &[],
        "",
    )
    .await;
    assert_eq!(got, (404, "OwnershipControlsNotFoundError".to_owned()));

    let grant = format!("id=\"{}\"", canonical(OTHER_ACCESS_KEY));
    assert_eq!(
        send(
            s,
            Who::Owner,
            Method::PUT,
            "/own?acl",
            &[
                ("x-amz-grant-write", &grant),
                (
                    "x-amz-grant-full-control",
                    &format!("id=\"{}\"", canonical(ACCESS_KEY))
                )
            ],
            ""
        )
        .await
        .0,
        200
    );
}

/// BucketOwnerPreferred: an object written with bucket-owner-full-control is the bucket owner's; others stay their writer's.
async fn bucket_owner_preferred_takes_full_control_writes(s: &TestServer) {
    // BucketOwnerPreferred: written with bucket-owner-full-control -> the bucket owner's.
    assert_eq!(
        send(
            s,
            Who::Owner,
            Method::PUT,
            "/own?ownershipControls",
            &[],
            &ownership_document("BucketOwnerPreferred")
        )
        .await
        .0,
        200
    );
    assert_eq!(
        send(
            s,
            Who::Other,
            Method::PUT,
            "/own/preferred",
            &[("x-amz-acl", "bucket-owner-full-control")],
            "x"
        )
        .await
        .0,
        200
    );
    assert_eq!(
        send(s, Who::Other, Method::PUT, "/own/writers", &[], "x")
            .await
            .0,
        200
    );
    assert_eq!(acl_owner(s, "preferred").await, Some(canonical(ACCESS_KEY)));
    assert_eq!(
        acl_owner(s, "writers").await,
        None,
        "the writer's private object: the bucket owner may not read its ACL"
    );
}

/// BucketOwnerEnforced: refused while the bucket's ACL grants to others; then every ACL is refused but bucket-owner-full-control, and the bucket owner owns every object.
async fn bucket_owner_enforced_disables_acls(s: &TestServer) {
    // BucketOwnerEnforced: refused while the bucket ACL grants to others.
    let got = send(
        s,
        Who::Owner,
        Method::PUT,
        "/own?ownershipControls",
        &[],
        &ownership_document("BucketOwnerEnforced"),
    )
    .await;
    assert_eq!(got, (400, "InvalidBucketAclWithObjectOwnership".to_owned()));
    s.client
        .put_bucket_acl()
        .bucket("own")
        .acl(aws_sdk_s3::types::BucketCannedAcl::Private)
        .send()
        .await
        .expect("private");
    assert_eq!(
        send(
            s,
            Who::Owner,
            Method::PUT,
            "/own?ownershipControls",
            &[],
            &ownership_document("BucketOwnerEnforced")
        )
        .await
        .0,
        200
    );
    let got = s
        .client
        .get_bucket_ownership_controls()
        .bucket("own")
        .send()
        .await
        .expect("get");
    let rule = &got.ownership_controls().expect("controls").rules()[0];
    assert_eq!(rule.object_ownership().as_str(), "BucketOwnerEnforced");
    // ACLs disabled: setting one is refused, bucket-owner-full-control accepted, and the
    // bucket owner owns (and reads) every object, even one another user wrote before.
    let got = send(
        s,
        Who::Owner,
        Method::PUT,
        "/own/k",
        &[("x-amz-acl", "public-read")],
        "x",
    )
    .await;
    assert_eq!(got, (400, "AccessControlListNotSupported".to_owned()));
    assert_eq!(
        send(
            s,
            Who::Owner,
            Method::PUT,
            "/own/k",
            &[("x-amz-acl", "bucket-owner-full-control")],
            "x"
        )
        .await
        .0,
        200
    );
    let got = send(
        s,
        Who::Owner,
        Method::PUT,
        "/own?acl",
        &[("x-amz-acl", "public-read")],
        "",
    )
    .await;
    assert_eq!(got, (400, "AccessControlListNotSupported".to_owned()));
    let got = send(
        s,
        Who::Owner,
        Method::PUT,
        "/own/k?acl",
        &[("x-amz-acl", "public-read")],
        "",
    )
    .await;
    assert_eq!(got, (400, "AccessControlListNotSupported".to_owned()));
    assert_eq!(acl_owner(s, "writers").await, Some(canonical(ACCESS_KEY)));
    assert!(allowed(s, Who::Owner, Method::GET, "/own/writers", &[]).await);
}

/// Deleting the controls: back to ObjectWriter, the writer's object private again.
async fn deleting_the_controls_restores_object_writer(s: &TestServer) {
    // Delete the controls: back to ObjectWriter.
    assert_eq!(
        send(
            s,
            Who::Owner,
            Method::DELETE,
            "/own?ownershipControls",
            &[],
            ""
        )
        .await
        .0,
        204
    );
    assert!(!allowed(s, Who::Owner, Method::GET, "/own/writers", &[]).await);
}

/// CreateBucket: x-amz-object-ownership, and an ACL it would disable refused.
async fn create_bucket_takes_an_object_ownership(s: &TestServer) {
    // CreateBucket: x-amz-object-ownership, and an ACL it would disable refused.
    let got = send(
        s,
        Who::Owner,
        Method::PUT,
        "/enforced",
        &[
            ("x-amz-object-ownership", "BucketOwnerEnforced"),
            ("x-amz-acl", "public-read"),
        ],
        "",
    )
    .await;
    assert_eq!(got, (400, "InvalidBucketAclWithObjectOwnership".to_owned()));
    assert_eq!(
        send(
            s,
            Who::Owner,
            Method::PUT,
            "/enforced",
            &[("x-amz-object-ownership", "BucketOwnerEnforced")],
            ""
        )
        .await
        .0,
        200
    );
    let got = s
        .client
        .get_bucket_ownership_controls()
        .bucket("enforced")
        .send()
        .await
        .expect("get");
    assert_eq!(
        got.ownership_controls().expect("controls").rules()[0]
            .object_ownership()
            .as_str(),
        "BucketOwnerEnforced"
    );
}

#[tokio::test]
async fn a_server_default_makes_new_buckets_bucket_owner_enforced() {
    let s = TestServer::start_with(|c| {
        c.default_object_ownership = originstore::access::ObjectOwnership::BucketOwnerEnforced;
    })
    .await;
    s.create_bucket("modern").await;
    let got = s
        .client
        .get_bucket_ownership_controls()
        .bucket("modern")
        .send()
        .await
        .expect("get");
    assert_eq!(
        got.ownership_controls().expect("controls").rules()[0]
            .object_ownership()
            .as_str(),
        "BucketOwnerEnforced"
    );
    let got = s
        .refusal(
            Method::PUT,
            "/modern/k",
            &[("x-amz-acl", "public-read")],
            "x",
        )
        .await;
    assert_eq!(got, (400, "AccessControlListNotSupported".to_owned()));
    // A bucket can still ask for ACLs.
    let (status, _) = s
        .refusal(
            Method::PUT,
            "/classic",
            &[("x-amz-object-ownership", "ObjectWriter")],
            "",
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = s
        .refusal(
            Method::PUT,
            "/classic/k",
            &[("x-amz-acl", "public-read")],
            "x",
        )
        .await;
    assert_eq!(status, 200);
}

async fn put_policy(s: &TestServer, bucket: &str, policy: &str) -> (u16, String) {
    send(
        s,
        Who::Owner,
        Method::PUT,
        &format!("/{bucket}?policy"),
        &[],
        policy,
    )
    .await
}

#[tokio::test]
async fn bucket_policies_share_as_aws_does() {
    let s = server().await;
    s.create_bucket("site").await;
    for key in [
        "public/index.html",
        "private/notes.txt",
        "keep/a",
        "docs/a",
        "src/b",
    ] {
        s.put("site", key, key).await;
    }
    a_bucket_has_no_policy_until_one_is_put(&s).await;
    public_read_of_a_prefix(&s).await;
    anyone_lists_and_reads(&s).await;
    a_user_a_deny_and_conditions(&s).await;
    a_batch_delete_is_decided_key_by_key(&s).await;
    the_owner_is_never_locked_out_of_the_policy(&s).await;
    malformed_policies_are_refused(&s).await;
}

/// No policy until one is put: NoSuchBucketPolicy.
async fn a_bucket_has_no_policy_until_one_is_put(s: &TestServer) {
    let missing = s.client.get_bucket_policy().bucket("site").send().await;
    assert_eq!(
        crate::support::server::code(&missing.expect_err("none")),
        "NoSuchBucketPolicy"
    );
}

/// "Public read of a prefix": anonymous reads there, nowhere else; a missing key is 403 to who may not list.
async fn public_read_of_a_prefix(s: &TestServer) {
    // "Public read of a prefix".
    let public = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/public/*"}]}"#;
    assert_eq!(put_policy(s, "site", public).await.0, 204);
    let resp = reqwest::get(s.url("/site/public/index.html"))
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "public/index.html");
    assert!(
        !allowed(
            s,
            Who::Anonymous,
            Method::GET,
            "/site/private/notes.txt",
            &[]
        )
        .await
    );
    assert!(!allowed(s, Who::Anonymous, Method::GET, "/site", &[]).await);
    // A missing key: 403 to who may not list the bucket, 404 to who may (below).
    let missing = send(s, Who::Anonymous, Method::GET, "/site/public/none", &[], "").await;
    assert_eq!(missing, (403, "AccessDenied".to_owned()));
    let got = s
        .client
        .get_bucket_policy()
        .bucket("site")
        .send()
        .await
        .expect("get");
    assert_eq!(got.policy(), Some(public), "answered as put");
    let status = s
        .client
        .get_bucket_policy_status()
        .bucket("site")
        .send()
        .await
        .expect("status");
    assert_eq!(
        status.policy_status().and_then(|p| p.is_public()),
        Some(true)
    );
}

/// `mc anonymous set download`: anyone lists and reads, and a missing key is then 404.
async fn anyone_lists_and_reads(s: &TestServer) {
    // `mc anonymous set download`: anyone lists and reads.
    let mc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::site"]},{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::site/*"]}]}"#;
    assert_eq!(put_policy(s, "site", mc).await.0, 204);
    assert!(allowed(s, Who::Anonymous, Method::GET, "/site", &[]).await);
    assert!(
        allowed(
            s,
            Who::Anonymous,
            Method::GET,
            "/site/private/notes.txt",
            &[]
        )
        .await
    );
    assert!(!allowed(s, Who::Anonymous, Method::PUT, "/site/x", &[]).await);
    let missing = send(s, Who::Anonymous, Method::GET, "/site/public/none", &[], "").await;
    assert_eq!(missing, (404, "NoSuchKey".to_owned()));
}

/// A user principal, a Deny that binds even the owner (but never locks it out of the policy), conditions on the source address and the listed prefix.
async fn a_user_a_deny_and_conditions(s: &TestServer) {
    // A user principal, a Deny that binds even the owner (but never locks it out of the
    // policy), conditions on the source address and the listed prefix.
    let account = originstore::identity::account_id(OTHER_ACCESS_KEY);
    let shared = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/{OTHER_ACCESS_KEY}"}},"Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::site/drop/*"}},
        {{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::site/keep/*"}},
        {{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::site","Condition":{{"StringLike":{{"s3:prefix":"docs/*"}},"IpAddress":{{"aws:SourceIp":"127.0.0.0/8"}}}}}},
        {{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/src/*","Condition":{{"NotIpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}
    ]}}"#
    );
    assert_eq!(put_policy(s, "site", &shared).await.0, 204);
    assert!(allowed(s, Who::Other, Method::PUT, "/site/drop/file", &[]).await);
    assert!(allowed(s, Who::Other, Method::GET, "/site/drop/file", &[]).await);
    assert!(!allowed(s, Who::Other, Method::PUT, "/site/elsewhere", &[]).await);
    assert!(!allowed(s, Who::Third, Method::PUT, "/site/drop/file", &[]).await);
    assert!(
        !allowed(s, Who::Owner, Method::DELETE, "/site/keep/a", &[]).await,
        "explicit Deny wins over the owner"
    );
    assert!(allowed(s, Who::Owner, Method::DELETE, "/site/docs/a", &[]).await);
    assert!(allowed(s, Who::Anonymous, Method::GET, "/site?prefix=docs/", &[]).await);
    assert!(!allowed(s, Who::Anonymous, Method::GET, "/site?prefix=src/", &[]).await);
    assert!(
        !allowed(s, Who::Owner, Method::GET, "/site/src/b", &[]).await,
        "this client is not in 10.0.0.0/8"
    );
    let status = s
        .client
        .get_bucket_policy_status()
        .bucket("site")
        .send()
        .await
        .expect("status");
    assert_eq!(
        status.policy_status().and_then(|p| p.is_public()),
        Some(false)
    );
}

/// A batch delete is decided key by key.
async fn a_batch_delete_is_decided_key_by_key(s: &TestServer) {
    // A batch delete is decided key by key.
    let body = r#"<Delete><Object><Key>keep/a</Key></Object><Object><Key>public/index.html</Key></Object></Delete>"#;
    let md5 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        <md5::Md5 as md5::Digest>::digest(body.as_bytes()),
    );
    let resp = signed_request(
        &s.endpoint(),
        (ACCESS_KEY, SECRET_KEY),
        Method::POST,
        "/site?delete",
        http::HeaderMap::new(),
    )
    .header("content-md5", md5)
    .body(body)
    .send()
    .await
    .expect("sent");
    let text = resp.text().await.expect("body");
    assert!(
        text.contains("<Deleted><Key>public/index.html</Key>"),
        "{text}"
    );
    assert!(
        text.contains("<Error><Key>keep/a</Key><Code>AccessDenied</Code>"),
        "{text}"
    );
}

/// Other users may not read or change the policy; the owner may delete it despite a Deny.
async fn the_owner_is_never_locked_out_of_the_policy(s: &TestServer) {
    // Other users may not read or change the policy; the owner may delete it despite a Deny.
    assert!(!allowed(s, Who::Other, Method::GET, "/site?policy", &[]).await);
    let lockout = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::site","arn:aws:s3:::site/*"]}]}"#;
    assert_eq!(put_policy(s, "site", lockout).await.0, 204);
    assert!(!allowed(s, Who::Owner, Method::GET, "/site", &[]).await);
    assert!(allowed(s, Who::Owner, Method::GET, "/site?policy", &[]).await);
    assert!(allowed(s, Who::Owner, Method::DELETE, "/site?policy", &[]).await);
    assert!(allowed(s, Who::Owner, Method::GET, "/site", &[]).await);
}

/// Policies naming another bucket, an unknown principal or a non-S3 action are MalformedPolicy.
async fn malformed_policies_are_refused(s: &TestServer) {
    for bad in [
        "{ not json",
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/nobody"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:CreateUser","Resource":"arn:aws:s3:::site/*"}]}"#,
    ] {
        assert_eq!(
            put_policy(s, "site", bad).await,
            (400, "MalformedPolicy".to_owned()),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn expected_bucket_owner_and_copy_sources_are_checked() {
    let s = server().await;
    s.create_bucket("mine").await;
    s.put("mine", "k", "data").await;
    let account = originstore::identity::account_id(ACCESS_KEY);
    assert!(
        allowed(
            &s,
            Who::Owner,
            Method::GET,
            "/mine/k",
            &[("x-amz-expected-bucket-owner", &account)]
        )
        .await
    );
    assert!(
        !allowed(
            &s,
            Who::Owner,
            Method::GET,
            "/mine/k",
            &[("x-amz-expected-bucket-owner", "111122223333")]
        )
        .await
    );

    // The third user may write into its own bucket but not copy from one it cannot read.
    let copy_source = [("x-amz-copy-source", "/mine/k")];
    let copy_as_third = || {
        send(
            &s,
            Who::Third,
            Method::PUT,
            "/theirs/copy",
            &copy_source,
            "",
        )
    };
    let third = client_for(s.addr, THIRD_ACCESS_KEY, THIRD_SECRET_KEY);
    third
        .create_bucket()
        .bucket("theirs")
        .send()
        .await
        .expect("bucket");
    let copy = copy_as_third().await;
    assert_eq!(copy, (403, "AccessDenied".to_owned()));
    s.client
        .put_object_acl()
        .bucket("mine")
        .key("k")
        .grant_read(format!("id=\"{}\"", canonical(THIRD_ACCESS_KEY)))
        .send()
        .await
        .expect("grant");
    let copy = copy_as_third().await;
    assert_eq!(copy.0, 200, "{copy:?}");
    // The copy is the third user's, private: it does not take the source's grants.
    assert!(allowed(&s, Who::Third, Method::GET, "/theirs/copy", &[]).await);
    assert!(!allowed(&s, Who::Owner, Method::GET, "/theirs/copy", &[]).await);
}

#[tokio::test]
async fn a_public_read_bucket_of_an_older_version_is_migrated_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    {
        // What versions before ACL grants wrote for `x-amz-acl: public-read` buckets.
        let store = storage::Store::open(&data, storage::StoreOptions::default()).expect("store");
        store
            .create_bucket("legacy", ACCESS_KEY, "us-east-1")
            .await
            .expect("bucket");
        store
            .set_bucket_setting("legacy", "acl", Some(b"public-read"))
            .await
            .expect("setting");
        let mut writer = store.object_writer(&[]).expect("writer");
        writer.write(b"old public bytes").await.expect("write");
        let blob = writer
            .finish(&storage::Expect::default())
            .await
            .expect("blob");
        store
            .commit_object(
                "legacy",
                "k",
                storage::ObjectAttrs::default(),
                blob,
                storage::CommitCondition::Always,
            )
            .await
            .expect("commit");
        store.flush().await.expect("flush");
    }
    let s = TestServer::start_with(|c| c.data_dir = data.clone()).await;
    let resp = reqwest::get(s.url("/legacy/k")).await.expect("sent");
    assert_eq!(resp.status(), 200, "objects stay readable by anyone");
    assert_eq!(resp.text().await.expect("body"), "old public bytes");
    assert!(
        allowed(&s, Who::Anonymous, Method::GET, "/legacy", &[]).await,
        "and the bucket listable"
    );
    let acl = s
        .client
        .get_bucket_acl()
        .bucket("legacy")
        .send()
        .await
        .expect("acl");
    assert_eq!(acl.grants().len(), 2);
    let policy = s
        .client
        .get_bucket_policy()
        .bucket("legacy")
        .send()
        .await
        .expect("policy");
    assert!(policy
        .policy()
        .is_some_and(|p| p.contains("arn:aws:s3:::legacy/*")));
}

/// The ACL asked for at CreateMultipartUpload is the completed object's.
#[tokio::test]
async fn a_multipart_upload_keeps_the_acl_it_was_created_with() {
    let s = server().await;
    s.create_bucket("parts").await;
    let upload = s
        .client
        .create_multipart_upload()
        .bucket("parts")
        .key("big")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .send()
        .await
        .expect("create");
    let upload_id = upload.upload_id().expect("id");
    let etag = s
        .upload_part("parts", "big", upload_id, 1, b"one part".to_vec())
        .await;
    let part = aws_sdk_s3::types::CompletedPart::builder()
        .part_number(1)
        .e_tag(etag)
        .build();
    s.client
        .complete_multipart_upload()
        .bucket("parts")
        .key("big")
        .upload_id(upload_id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(part)
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let resp = reqwest::get(s.url("/parts/big")).await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "one part");
}

/// A key in a bucket that does not exist is 404 NoSuchBucket to every caller, anonymous
/// included, as AWS answers (a public link to a bucket that was deleted); an authenticated
/// caller without rights on it learns no more than that.
#[tokio::test]
async fn a_missing_bucket_is_no_such_bucket_to_everyone() {
    let s = server().await;
    for who in EVERYONE {
        for method in [Method::GET, Method::DELETE, Method::PUT] {
            let got = send(&s, who, method.clone(), "/missing-bucket/key", &[], "x").await;
            assert_eq!(got, (404, "NoSuchBucket".to_owned()), "{who:?} {method}");
        }
        let got = send(&s, who, Method::GET, "/missing-bucket", &[], "").await;
        assert_eq!(got, (404, "NoSuchBucket".to_owned()), "{who:?} list");
    }
    // HEAD has no body: the status alone.
    let resp = reqwest::Client::new()
        .head(s.url("/missing-bucket/key"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 404);
}

/// AWS stopped returning `DisplayName` on 21 November 2025; here it was the writer's access
/// key, so anyone who could list a bucket learned the keys of those who wrote into it. No
/// answer names one now; and an ACL naming an email grantee is 405, as on AWS since
/// 1 October 2025.
#[tokio::test]
async fn no_answer_names_a_display_name_or_an_access_key() {
    let s = server().await;
    let owner = (ACCESS_KEY, SECRET_KEY);
    let other = (OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let call = |keys: (&'static str, &'static str), method: Method, path: String, body: &str| {
        signed_request(&s.endpoint(), keys, method, &path, http::HeaderMap::new())
            .body(body.to_owned())
            .send()
    };
    let ok = |resp: reqwest::Response| async move {
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert!(status.is_success(), "{status}: {text}");
        text
    };
    let mut headers = http::HeaderMap::new();
    headers.insert("x-amz-acl", "public-read-write".parse().expect("value"));
    let resp = signed_request(&s.endpoint(), owner, Method::PUT, "/shared", headers)
        .send()
        .await
        .expect("sent");
    ok(resp).await;
    // Another user writes an object and starts an upload in the owner's bucket.
    ok(call(other, Method::PUT, "/shared/k".into(), "x")
        .await
        .expect("sent"))
    .await;
    let started = ok(call(other, Method::POST, "/shared/up?uploads".into(), "")
        .await
        .expect("sent"))
    .await;
    let upload_id = started
        .split("<UploadId>")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("an upload id")
        .to_owned();
    ok(call(
        other,
        Method::PUT,
        format!("/shared/up?partNumber=1&uploadId={upload_id}"),
        "p",
    )
    .await
    .expect("sent"))
    .await;
    for path in [
        "/".to_owned(),
        "/shared".to_owned(),
        "/shared?list-type=2&fetch-owner=true".to_owned(),
        "/shared?versions".to_owned(),
        "/shared?acl".to_owned(),
        "/shared/k?acl".to_owned(),
        "/shared?uploads".to_owned(),
        format!("/shared/up?uploadId={upload_id}"),
    ] {
        // The bucket's ACL is its owner's to read, the object's its writer's.
        let callers = match path.as_str() {
            "/shared?acl" => vec![owner],
            "/shared/k?acl" => vec![other],
            _ => vec![owner, other],
        };
        for who in callers {
            let body = ok(call(who, Method::GET, path.clone(), "")
                .await
                .expect("sent"))
            .await;
            assert!(
                body.contains("<ID>"),
                "{path}: an owner by canonical id: {body}"
            );
            for leak in ["DisplayName", ACCESS_KEY, OTHER_ACCESS_KEY] {
                assert!(
                    !body.contains(leak),
                    "{path} as {}: {leak} in {body}",
                    who.0
                );
            }
        }
    }
    // An email grantee in a document is refused as AWS refuses it; nothing changes.
    let document = |owner_key: &str| {
        format!(
            "<AccessControlPolicy><Owner><ID>{}</ID></Owner><AccessControlList><Grant>\
             <Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xsi:type=\"AmazonCustomerByEmail\"><EmailAddress>a@example.com</EmailAddress></Grantee>\
             <Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
            canonical(owner_key)
        )
    };
    for (who, key, path) in [
        (Who::Owner, ACCESS_KEY, "/shared?acl"),
        (Who::Other, OTHER_ACCESS_KEY, "/shared/k?acl"),
    ] {
        let got = send(&s, who, Method::PUT, path, &[], &document(key)).await;
        assert_eq!(got, (405, "MethodNotAllowed".to_owned()), "{path}");
    }
    let body = ok(call(owner, Method::GET, "/shared?acl".into(), "")
        .await
        .expect("sent"))
    .await;
    assert!(body.contains("AllUsers"), "still public-read-write: {body}");
}
