//! HTTPS: `originstore serve --tls-cert --tls-key` with a self-signed certificate, used as
//! the README says with the aws CLI (`--ca-bundle`) and boto3 (`verify=`); a bucket policy
//! that refuses insecure transport lets TLS requests through; a renewed certificate is
//! served after SIGHUP and after the files merely change, without a restart.

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::process::{aws_command, boto3_script, ServeProcess};

/// A self-signed certificate for 127.0.0.1 and localhost, written as `cert.pem` and
/// `key.pem` in `dir`; its PEM.
fn self_signed(dir: &Path) -> String {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("self-signed certificate");
    let pem = certified.cert.pem();
    std::fs::write(dir.join("cert.pem"), &pem).expect("write cert");
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).expect("write key");
    pem
}

/// The aws CLI trusting `ca`; panics with its output unless it succeeds.
fn aws_tls(endpoint: &str, ca: &Path, args: &[&str]) -> String {
    let out = aws_command(endpoint, args)
        .env("AWS_CA_BUNDLE", ca)
        .output()
        .expect("aws");
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Does a client trusting only `ca_pem` complete a request to `endpoint`?
async fn trusted_by(endpoint: &str, ca_pem: &str) -> bool {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("ca");
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .expect("client");
    client
        .get(format!("{endpoint}/health"))
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_and_reloads_without_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let certs = tmp.path().join("certs");
    std::fs::create_dir_all(&certs).expect("mkdir");
    let first = self_signed(&certs);
    let ca = tmp.path().join("ca-first.pem");
    std::fs::write(&ca, &first).expect("ca");
    let cert = certs.join("cert.pem");
    let key = certs.join("key.pem");
    let flags: [&OsStr; 4] = [
        OsStr::new("--tls-cert"),
        cert.as_os_str(),
        OsStr::new("--tls-key"),
        key.as_os_str(),
    ];
    let server = ServeProcess::start_with_flags(&tmp.path().join("data"), &flags);
    let ep = server.endpoint.clone();
    assert!(ep.starts_with("https://"), "{ep}");

    // The aws CLI and boto3 trusting the certificate.
    aws_tls(&ep, &ca, &["s3", "mb", "s3://secure"]);
    let file = tmp.path().join("f.txt");
    std::fs::write(&file, "over https").expect("write");
    aws_tls(
        &ep,
        &ca,
        &[
            "s3",
            "cp",
            file.to_str().expect("utf8"),
            "s3://secure/f.txt",
        ],
    );
    assert_eq!(
        aws_tls(&ep, &ca, &["s3", "cp", "s3://secure/f.txt", "-"]),
        "over https"
    );
    boto3_script(
        "boto3_tls.py",
        &ep,
        tmp.path(),
        &[ca.to_str().expect("utf8")],
    );

    // A policy that denies insecure transport lets these requests through.
    aws_tls(
        &ep,
        &ca,
        &[
            "s3api",
            "put-bucket-policy",
            "--bucket",
            "secure",
            "--policy",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::secure","arn:aws:s3:::secure/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        ],
    );
    assert!(aws_tls(&ep, &ca, &["s3", "ls", "s3://secure"]).contains("f.txt"));
    // Plain HTTP on the TLS port gets nothing it can use.
    let plain = ep.replace("https://", "http://");
    let answer = reqwest::get(format!("{plain}/health")).await;
    assert!(answer.map(|r| !r.status().is_success()).unwrap_or(true));

    // A new certificate, then SIGHUP: served at once.
    assert!(trusted_by(&ep, &first).await);
    let second = self_signed(&certs);
    server.hangup();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !trusted_by(&ep, &second).await {
        assert!(
            Instant::now() < deadline,
            "the renewed certificate is not served after SIGHUP"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !trusted_by(&ep, &first).await,
        "the old certificate is still served"
    );

    // Without a signal: the files changing is enough.
    let third = self_signed(&certs);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !trusted_by(&ep, &third).await {
        assert!(
            Instant::now() < deadline,
            "the changed files were not picked up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A broken pair is refused and the served one kept.
    std::fs::write(&key, "not a key").expect("break the key");
    server.hangup();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        trusted_by(&ep, &third).await,
        "a broken pair replaced the served certificate"
    );
}
