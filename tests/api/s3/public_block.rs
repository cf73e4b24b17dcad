//! Block Public Access through the real server with aws-sdk-s3 and anonymous requests: the
//! bucket's configuration round-trips; each of the four switches does what AWS says
//! (public ACLs refused or ignored, public policies refused or confined to the owner, with
//! GetBucketPolicyStatus agreeing); the server-wide default applies under every bucket.

use aws_sdk_s3::types::{BucketCannedAcl, ObjectCannedAcl, PublicAccessBlockConfiguration};

use crate::support::server::{expect_code, TestServer, OTHER_ACCESS_KEY};

const BUCKET: &str = "public";

fn block(
    block_acls: bool,
    ignore_acls: bool,
    block_policy: bool,
    restrict: bool,
) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(block_acls)
        .ignore_public_acls(ignore_acls)
        .block_public_policy(block_policy)
        .restrict_public_buckets(restrict)
        .build()
}

async fn set_block(s: &TestServer, config: PublicAccessBlockConfiguration) {
    s.client
        .put_public_access_block()
        .bucket(BUCKET)
        .public_access_block_configuration(config)
        .send()
        .await
        .expect("put public access block");
}

/// An anonymous GET's status.
async fn anonymous_get(s: &TestServer, key: &str) -> u16 {
    reqwest::get(s.url(&format!("/{BUCKET}/{key}")))
        .await
        .expect("get")
        .status()
        .as_u16()
}

fn public_read_policy() -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
    )
}

#[tokio::test]
async fn the_configuration_round_trips() {
    let s = TestServer::with_bucket(BUCKET).await;
    expect_code(
        s.client
            .get_public_access_block()
            .bucket(BUCKET)
            .send()
            .await,
        "NoSuchPublicAccessBlockConfiguration",
    );
    let config = block(true, false, true, false);
    set_block(&s, config.clone()).await;
    let read = s
        .client
        .get_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get");
    assert_eq!(read.public_access_block_configuration(), Some(&config));
    s.client
        .delete_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete");
    expect_code(
        s.client
            .get_public_access_block()
            .bucket(BUCKET)
            .send()
            .await,
        "NoSuchPublicAccessBlockConfiguration",
    );
    // Only the owner.
    expect_code(
        s.other_client()
            .put_public_access_block()
            .bucket(BUCKET)
            .public_access_block_configuration(block(false, false, false, false))
            .send()
            .await,
        "AccessDenied",
    );
}

#[tokio::test]
async fn public_acls_are_refused_then_ignored() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.client
        .put_object()
        .bucket(BUCKET)
        .key("open")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"for everyone".to_vec().into())
        .send()
        .await
        .expect("public-read object");
    assert_eq!(anonymous_get(&s, "open").await, 200);

    // BlockPublicAcls: no new public ACL, on a bucket, an object or a write; private ones pass.
    set_block(&s, block(true, false, false, false)).await;
    expect_code(
        s.client
            .put_bucket_acl()
            .bucket(BUCKET)
            .acl(BucketCannedAcl::PublicRead)
            .send()
            .await,
        "AccessDenied",
    );
    expect_code(
        s.client
            .put_object_acl()
            .bucket(BUCKET)
            .key("open")
            .acl(ObjectCannedAcl::PublicReadWrite)
            .send()
            .await,
        "AccessDenied",
    );
    expect_code(
        s.client
            .put_object()
            .bucket(BUCKET)
            .key("new")
            .acl(ObjectCannedAcl::AuthenticatedRead)
            .body(b"x".to_vec().into())
            .send()
            .await,
        "AccessDenied",
    );
    s.client
        .put_object()
        .bucket(BUCKET)
        .key("new")
        .acl(ObjectCannedAcl::Private)
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("a private ACL passes");
    // The existing public ACL still grants: blocking is not ignoring.
    assert_eq!(anonymous_get(&s, "open").await, 200);

    // IgnorePublicAcls: the public grant no longer grants.
    set_block(&s, block(false, true, false, false)).await;
    assert_eq!(anonymous_get(&s, "open").await, 403);
    set_block(&s, block(false, false, false, false)).await;
    assert_eq!(anonymous_get(&s, "open").await, 200);
}

#[tokio::test]
async fn public_policies_are_refused_or_confined_to_the_owner() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.put(BUCKET, "k", "data").await;

    // BlockPublicPolicy: a public policy is refused; one naming a user is not public.
    set_block(&s, block(false, false, true, false)).await;
    expect_code(
        s.client
            .put_bucket_policy()
            .bucket(BUCKET)
            .policy(public_read_policy())
            .send()
            .await,
        "AccessDenied",
    );
    let account = originstore::identity::account_id(OTHER_ACCESS_KEY);
    let for_one_user = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/{OTHER_ACCESS_KEY}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
    );
    s.client
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(for_one_user)
        .send()
        .await
        .expect("a policy for one user is not public");

    // RestrictPublicBuckets: a public policy's Allows reach only the owner.
    set_block(&s, block(false, false, false, false)).await;
    s.client
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(public_read_policy())
        .send()
        .await
        .expect("public policy");
    let status = |s: &TestServer| {
        let client = s.client.clone();
        async move {
            client
                .get_bucket_policy_status()
                .bucket(BUCKET)
                .send()
                .await
                .expect("policy status")
                .policy_status()
                .and_then(|p| p.is_public())
        }
    };
    assert_eq!(status(&s).await, Some(true));
    assert_eq!(anonymous_get(&s, "k").await, 200);
    let other = s.other_client();
    let other_get = || other.get_object().bucket(BUCKET).key("k").send();
    assert!(other_get().await.is_ok());
    set_block(&s, block(false, false, false, true)).await;
    assert_eq!(status(&s).await, Some(false));
    assert_eq!(anonymous_get(&s, "k").await, 403);
    expect_code(other_get().await, "AccessDenied");
    assert_eq!(s.get_bytes(BUCKET, "k").await, b"data");
}

/// The server-wide `[public_access_block]` holds under every bucket, whatever the bucket's
/// own says.
#[tokio::test]
async fn the_server_wide_block_applies_to_every_bucket() {
    let s = TestServer::start_with(|c| {
        c.public_access_block.block_public_acls = true;
        c.public_access_block.block_public_policy = true;
    })
    .await;
    s.create_bucket(BUCKET).await;
    set_block(&s, block(false, false, false, false)).await;
    expect_code(
        s.client
            .put_object()
            .bucket(BUCKET)
            .key("k")
            .acl(ObjectCannedAcl::PublicRead)
            .body(b"x".to_vec().into())
            .send()
            .await,
        "AccessDenied",
    );
    expect_code(
        s.client
            .put_bucket_policy()
            .bucket(BUCKET)
            .policy(public_read_policy())
            .send()
            .await,
        "AccessDenied",
    );
    expect_code(
        s.client
            .create_bucket()
            .bucket("born-public")
            .acl(BucketCannedAcl::PublicRead)
            .send()
            .await,
        "AccessDenied",
    );
}
