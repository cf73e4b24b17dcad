//! Temporary credentials: STS AssumeRole from boto3 (`tests/clients/boto3_sts.py`) and the
//! aws CLI on the S3 endpoint; a session never has more than its user (a runtime user's
//! policies still apply, a disabled user's sessions stop), and an expired one is refused
//! with ExpiredToken.

use std::time::Duration;

use serde_json::Value;

use crate::support::process::{aws, aws_command, boto3_script, ServeProcess};
use crate::support::server::{
    expect_code, session_client_for, signed_request, TestServer, ACCESS_KEY,
};

#[test]
fn boto3_and_the_aws_cli_assume_role_on_the_s3_endpoint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let ep = server.endpoint.clone();
    aws(&ep, &["s3", "mb", "s3://jobs"]);
    let file = tmp.path().join("k");
    std::fs::write(&file, "data").expect("write");
    aws(
        &ep,
        &["s3", "cp", file.to_str().expect("utf8"), "s3://jobs/k"],
    );
    boto3_script("boto3_sts.py", &ep, tmp.path(), &["jobs"]);

    let out = aws(
        &ep,
        &[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::000000000000:role/ci",
            "--role-session-name",
            "cli",
            "--duration-seconds",
            "900",
        ],
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let creds = &json["Credentials"];
    let field = |name: &str| creds[name].as_str().expect(name).to_owned();
    let listed = aws_command(&ep, &["s3", "ls", "s3://jobs"])
        .env("AWS_ACCESS_KEY_ID", field("AccessKeyId"))
        .env("AWS_SECRET_ACCESS_KEY", field("SecretAccessKey"))
        .env("AWS_SESSION_TOKEN", field("SessionToken"))
        .output()
        .expect("aws");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(String::from_utf8_lossy(&listed.stdout).contains("from-session"));
}

#[tokio::test]
async fn sessions_never_outgrow_their_user_and_expire() {
    let s = TestServer::start().await;
    s.create_bucket("shared").await;
    s.put("shared", "k", "data").await;
    let directory = &s.server().state().directory;

    // An admin's session, made to expire in a second.
    let short = directory.assume(ACCESS_KEY, 1, None).await.expect("assume");
    let client = session_client_for(
        s.addr,
        &short.access_key,
        &short.secret_key,
        Some(&short.token),
    );
    client
        .head_bucket()
        .bucket("shared")
        .send()
        .await
        .expect("live");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    expect_code(
        client.get_object().bucket("shared").key("k").send().await,
        "ExpiredToken",
    );
    expect_code(client.list_buckets().send().await, "ExpiredToken");

    // A runtime user with read-only rights: its session reads, never writes.
    s.admin(http::Method::POST, "users", r#"{"name":"reader"}"#)
        .await;
    let readonly = originstore::users::canned::policy("readonly", Some("shared")).expect("canned");
    let (status, _) = s
        .admin(http::Method::PUT, "users/reader/policies/ro", &readonly)
        .await;
    assert_eq!(status, 200);
    let session = directory.assume("reader", 900, None).await.expect("assume");
    let reader = session_client_for(
        s.addr,
        &session.access_key,
        &session.secret_key,
        Some(&session.token),
    );
    reader
        .get_object()
        .bucket("shared")
        .key("k")
        .send()
        .await
        .expect("reads");
    expect_code(
        reader
            .put_object()
            .bucket("shared")
            .key("w")
            .body(b"x".to_vec().into())
            .send()
            .await,
        "AccessDenied",
    );
    // Its sessions cannot administer, and stop with their user.
    let resp = signed_request(
        &s.endpoint(),
        (&session.access_key, &session.secret_key),
        http::Method::GET,
        "/_admin/v1/users",
        http::HeaderMap::new(),
    )
    .header("x-amz-security-token", &session.token)
    .send()
    .await
    .expect("sent");
    assert_eq!(resp.status(), 403);
    s.admin(http::Method::POST, "users/reader/disable", "")
        .await;
    expect_code(
        reader.get_object().bucket("shared").key("k").send().await,
        "InvalidAccessKeyId",
    );
}
