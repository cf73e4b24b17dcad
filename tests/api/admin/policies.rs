//! Identity policies (attached to users created at runtime and to their groups) combined
//! with bucket policies and ACLs as AWS combines them within an account: an explicit Deny
//! anywhere refuses; otherwise an Allow in either the identity's policies or the bucket's
//! policy (or the owner's rights, or an ACL grant) allows; nothing else does. A table of
//! requests by one user, as its policies, groups and the bucket's policy change.

use aws_sdk_s3::Client;

use crate::support::server::{client_for, TestServer};

async fn attach(s: &TestServer, holder: &str, name: &str, text: &str) {
    let (status, answer) = s
        .admin(
            http::Method::PUT,
            &format!("{holder}/policies/{name}"),
            text,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

/// What alice may do now: each request of the table, allowed or not.
async fn can(alice: &Client) -> [bool; 6] {
    let get = alice
        .get_object()
        .bucket("shared")
        .key("k")
        .send()
        .await
        .is_ok();
    let secret = alice
        .get_object()
        .bucket("shared")
        .key("secret/s")
        .send()
        .await
        .is_ok();
    let list = alice
        .list_objects_v2()
        .bucket("shared")
        .send()
        .await
        .is_ok();
    let put = alice
        .put_object()
        .bucket("shared")
        .key("from-alice")
        .body(b"a".to_vec().into())
        .send()
        .await
        .is_ok();
    let other = alice
        .get_object()
        .bucket("private")
        .key("k")
        .send()
        .await
        .is_ok();
    let create = alice
        .create_bucket()
        .bucket("alice-made")
        .send()
        .await
        .is_ok();
    if create {
        alice
            .delete_bucket()
            .bucket("alice-made")
            .send()
            .await
            .expect("delete");
    }
    [get, secret, list, put, other, create]
}

#[tokio::test]
async fn identity_policies_combine_with_bucket_policies_as_aws_evaluates_them() {
    let s = TestServer::start().await;
    for bucket in ["shared", "private"] {
        s.create_bucket(bucket).await;
        s.put(bucket, "k", "data").await;
    }
    s.put("shared", "secret/s", "hidden").await;
    let (_, created) = s
        .admin(http::Method::POST, "users", r#"{"name":"alice"}"#)
        .await;
    let alice = client_for(
        s.addr,
        created["access_key"].as_str().expect("key"),
        created["secret_key"].as_str().expect("secret"),
    );
    //                                     get    secret list   put    other  create
    assert_eq!(
        can(&alice).await,
        [false, false, false, false, false, false],
        "no policy: nothing"
    );

    let readonly = originstore::users::canned::policy("readonly", Some("shared")).expect("canned");
    attach(&s, "users/alice", "readonly-shared", &readonly).await;
    assert_eq!(
        can(&alice).await,
        [true, true, true, false, false, false],
        "readonly on shared"
    );
    let listed = alice.list_buckets().send().await.expect("list buckets");
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["shared"], "the bucket she may use, not the others");

    // An explicit Deny in her own policies wins over her Allow.
    let deny_secret = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/secret/*"}]}"#;
    attach(&s, "users/alice", "no-secrets", deny_secret).await;
    assert_eq!(
        can(&alice).await,
        [true, false, true, false, false, false],
        "Deny in the identity policy"
    );

    // A group's policy is its members': readwrite through "writers".
    s.admin(http::Method::POST, "groups", r#"{"name":"writers"}"#)
        .await;
    let readwrite =
        originstore::users::canned::policy("readwrite", Some("shared")).expect("canned");
    attach(&s, "groups/writers", "readwrite-shared", &readwrite).await;
    assert_eq!(
        can(&alice).await,
        [true, false, true, false, false, false],
        "not a member yet"
    );
    let (status, _) = s
        .admin(http::Method::PUT, "groups/writers/members/alice", "")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        can(&alice).await,
        [true, false, true, true, false, false],
        "a member writes"
    );
    // What she wrote is the bucket owner's.
    assert_eq!(s.get_bytes("shared", "from-alice").await, b"a");

    // The bucket's policy: a Deny there refuses what her policies allow...
    let account = originstore::identity::account_id("alice");
    let principal = format!("arn:aws:iam::{account}:user/alice");
    let deny_list = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":{{"AWS":"{principal}"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::shared"}}]}}"#
    );
    s.client
        .put_bucket_policy()
        .bucket("shared")
        .policy(deny_list)
        .send()
        .await
        .expect("bucket policy");
    assert_eq!(
        can(&alice).await,
        [true, false, false, true, false, false],
        "Deny in the bucket policy"
    );
    // ...and an Allow there grants what her policies do not mention.
    let allow_private = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::private/*"}}]}}"#
    );
    s.client
        .put_bucket_policy()
        .bucket("private")
        .policy(allow_private)
        .send()
        .await
        .expect("bucket policy");
    assert_eq!(
        can(&alice).await,
        [true, false, false, true, true, false],
        "Allow in the bucket policy"
    );

    // Leaving the group, detaching a policy: effective at once.
    s.admin(http::Method::DELETE, "groups/writers/members/alice", "")
        .await;
    let (status, _) = s
        .admin(http::Method::DELETE, "users/alice/policies/no-secrets", "")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        can(&alice).await,
        [true, true, false, false, true, false],
        "after the changes"
    );
    // A malformed policy is refused and changes nothing.
    let (status, refused) = s
        .admin(
            http::Method::PUT,
            "users/alice/policies/bad",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (400, Some("MalformedPolicy"))
    );
}
