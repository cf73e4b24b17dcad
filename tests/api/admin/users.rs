//! Users and keys created at runtime sign at once, keep their buckets across a key
//! rotation, stop signing when disabled or removed, survive a restart; only the
//! configuration's users may administer; through `originstore admin` and the aws CLI, a
//! new user's secret appears neither in the data directory nor in a debug log.

use std::process::Command;

use serde_json::Value;

use crate::support::process::{aws_command, ServeProcess, AK, SK};
use crate::support::server::{client_for, expect_code, TestServer};

fn new_key(answer: &Value) -> (String, String) {
    let field = |name: &str| answer[name].as_str().expect(name).to_owned();
    (field("access_key"), field("secret_key"))
}

#[tokio::test]
async fn runtime_users_sign_at_once_rotate_without_downtime_and_stop_when_removed() {
    let s = TestServer::start().await;
    let get = http::Method::GET;
    let post = http::Method::POST;
    let delete = http::Method::DELETE;
    let (status, created) = s.admin(post.clone(), "users", r#"{"name":"alice"}"#).await;
    assert_eq!(status, 200, "{created}");
    let (ak1, sk1) = new_key(&created);
    assert_eq!(created["user"], "alice");

    // The new key signs its very next request (here, refused: no policy yet); with one that
    // lets her make buckets, what she creates, alice owns.
    let alice = client_for(s.addr, &ak1, &sk1);
    expect_code(
        alice.create_bucket().bucket("alices").send().await,
        "AccessDenied",
    );
    let (status, _) = s.admin(
        http::Method::PUT,
        "users/alice/policies/own-buckets",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:CreateBucket","s3:ListAllMyBuckets"],"Resource":"*"}]}"#,
    )
    .await;
    assert_eq!(status, 200);
    alice
        .create_bucket()
        .bucket("alices")
        .send()
        .await
        .expect("alice creates a bucket");
    alice
        .put_object()
        .bucket("alices")
        .key("k")
        .body(b"hers".to_vec().into())
        .send()
        .await
        .expect("alice writes");
    expect_code(
        s.client.get_object().bucket("alices").key("k").send().await,
        "AccessDenied",
    );

    // Rotation: a second key, both valid, then the first removed; alice keeps her bucket.
    let (status, second) = s.admin(post.clone(), "users/alice/keys", "").await;
    assert_eq!(status, 200, "{second}");
    let (ak2, sk2) = new_key(&second);
    let alice2 = client_for(s.addr, &ak2, &sk2);
    for client in [&alice, &alice2] {
        client
            .head_bucket()
            .bucket("alices")
            .send()
            .await
            .expect("both keys sign");
    }
    let (status, third) = s.admin(post.clone(), "users/alice/keys", "").await;
    assert_eq!((status, third["code"].as_str()), (409, Some("KeyLimit")));
    let (status, _) = s.admin(delete.clone(), &format!("keys/{ak1}"), "").await;
    assert_eq!(status, 200);
    expect_code(alice.list_buckets().send().await, "InvalidAccessKeyId");
    let got = alice2
        .get_object()
        .bucket("alices")
        .key("k")
        .send()
        .await
        .expect("still hers");
    assert_eq!(
        &got.body.collect().await.expect("body").into_bytes()[..],
        b"hers"
    );

    // The listing shows users and keys, never a secret.
    let (status, users) = s.admin(get.clone(), "users", "").await;
    assert_eq!(status, 200);
    let text = users.to_string();
    assert!(text.contains("alice") && text.contains(&ak2), "{text}");
    assert!(!text.contains(&sk2), "a secret in the listing");

    // Only the configuration's users administer.
    let (status, denied) = s
        .admin_as((&ak2, &sk2), post.clone(), "users", r#"{"name":"mallory"}"#)
        .await;
    assert_eq!(
        (status, denied["code"].as_str()),
        (403, Some("AccessDenied"))
    );
    for (body, code) in [
        (r#"{"name":"alice"}"#, "UserExists"),
        (r#"{"name":"bad name"}"#, "InvalidName"),
        (
            &format!(r#"{{"name":"{}"}}"#, crate::support::server::ACCESS_KEY)[..],
            "UserExists",
        ),
    ] {
        let (_, refused) = s.admin(post.clone(), "users", body).await;
        assert_eq!(refused["code"].as_str(), Some(code), "{body}");
    }

    // Disabled: refused at once; enabled again: signs again.
    let (status, _) = s.admin(post.clone(), "users/alice/disable", "").await;
    assert_eq!(status, 200);
    expect_code(alice2.list_buckets().send().await, "InvalidAccessKeyId");
    s.admin(post.clone(), "users/alice/enable", "").await;
    alice2.list_buckets().send().await.expect("enabled again");

    // Durable: after a restart the key still signs.
    let mut s = s;
    s.stop().await;
    let s = TestServer::start_in(s.dir, |_| {}).await;
    let alice2 = client_for(s.addr, &ak2, &sk2);
    alice2
        .head_bucket()
        .bucket("alices")
        .send()
        .await
        .expect("after a restart");

    // Removed: refused at once.
    let (status, _) = s.admin(delete, "users/alice", "").await;
    assert_eq!(status, 200);
    expect_code(alice2.list_buckets().send().await, "InvalidAccessKeyId");
    let (_, users) = s.admin(get, "users", "").await;
    assert!(!users.to_string().contains("alice"));
}

fn originstore_admin(endpoint: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_originstore"))
        .arg("admin")
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .output()
        .expect("run originstore admin");
    assert!(
        out.status.success(),
        "originstore admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

/// Everything under `dir`, as bytes.
fn every_file(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            let bytes = std::fs::read(&path).expect("read");
            out.push((path, bytes));
        }
    }
    out
}

/// `originstore admin` as a newcomer uses it, with the aws CLI signing as the new user; the
/// secret is in neither the data directory nor a debug log.
#[test]
fn the_admin_cli_adds_a_user_the_aws_cli_then_signs_as() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let log = tmp.path().join("server.log");
    let server = ServeProcess::start_logging_to(&data, &log);
    let ep = server.endpoint.clone();
    let created: Value =
        serde_json::from_str(&originstore_admin(&ep, &["user", "add", "ci", "--json"]))
            .expect("json");
    let (ak, sk) = new_key(&created);
    let as_ci = |args: &[&str]| {
        let out = aws_command(&ep, args)
            .env("AWS_ACCESS_KEY_ID", &ak)
            .env("AWS_SECRET_ACCESS_KEY", &sk)
            .output()
            .expect("aws");
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // A new user may do nothing until a policy says so; then it reads and writes the bucket
    // the admin made for it.
    let refused = aws_command(&ep, &["s3", "mb", "s3://ci-own"])
        .env("AWS_ACCESS_KEY_ID", &ak)
        .env("AWS_SECRET_ACCESS_KEY", &sk)
        .output()
        .expect("aws");
    assert!(
        !refused.status.success(),
        "a user without policies made a bucket"
    );
    crate::support::process::aws(&ep, &["s3", "mb", "s3://ci-artifacts"]);
    originstore_admin(
        &ep,
        &[
            "policy",
            "attach",
            "ci",
            "--policy",
            "readwrite",
            "--bucket",
            "ci-artifacts",
        ],
    );
    let attached = originstore_admin(&ep, &["policy", "list", "ci"]);
    assert_eq!(attached.trim(), "readwrite-ci-artifacts");
    let file = tmp.path().join("build.txt");
    std::fs::write(&file, "artifact").expect("write");
    as_ci(&[
        "s3",
        "cp",
        file.to_str().expect("utf8"),
        "s3://ci-artifacts/build.txt",
    ]);
    // What the CI job uploaded is the bucket owner's to read.
    crate::support::process::aws(&ep, &["s3", "cp", "s3://ci-artifacts/build.txt", "-"]);
    // A quota: the next upload past it is refused, and the usage is shown.
    originstore_admin(&ep, &["quota", "set", "ci-artifacts", "--max-objects", "1"]);
    let shown = originstore_admin(&ep, &["quota", "get", "ci-artifacts"]);
    assert!(shown.contains("usage: 8 bytes, 1 objects"), "{shown}");
    let refused = aws_command(
        &ep,
        &[
            "s3",
            "cp",
            file.to_str().expect("utf8"),
            "s3://ci-artifacts/second.txt",
        ],
    )
    .env("AWS_ACCESS_KEY_ID", &ak)
    .env("AWS_SECRET_ACCESS_KEY", &sk)
    .output()
    .expect("aws");
    assert!(!refused.status.success(), "an upload past the quota");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("QuotaExceeded"));
    let listing = originstore_admin(&ep, &["user", "list"]);
    assert!(listing.contains("ci") && listing.contains(&ak), "{listing}");
    let second = originstore_admin(&ep, &["key", "add", "ci"]);
    assert!(second.contains("secret access key:"), "{second}");
    let keys = originstore_admin(&ep, &["key", "list", "ci"]);
    assert_eq!(keys.lines().count(), 2, "{keys}");
    originstore_admin(&ep, &["key", "remove", &ak]);
    let refused = aws_command(&ep, &["s3", "ls"])
        .env("AWS_ACCESS_KEY_ID", &ak)
        .env("AWS_SECRET_ACCESS_KEY", &sk)
        .output()
        .expect("aws");
    assert!(!refused.status.success(), "a removed key still signs");
    drop(server);
    let secret = sk.as_bytes();
    for (path, bytes) in every_file(&data)
        .into_iter()
        .chain([(log.clone(), std::fs::read(&log).expect("log"))])
    {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "the secret in plaintext in {}",
            path.display()
        );
    }
    let log_text = std::fs::read_to_string(&log).expect("log");
    assert!(
        log_text.contains("originstore::audit"),
        "admin changes are audited"
    );
}
