//! Real clients with their DEFAULT settings, and what they send by default: aws-sdk-s3
//! (signed aws-chunked with a CRC32 trailer over http), boto3 (a script kept in
//! `tests/clients/`), the aws CLI's `s3api put-object`; plus virtual-hosted-style addressing,
//! signature edge cases, and the memory bound of a large aws-chunked upload.

use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};
use originstore::auth::sigv4::{sha256_hex, STREAMING_SIGNED_TRAILER, UNSIGNED_PAYLOAD};

use crate::support::process::{aws, boto3_script, ServeProcess, AK, SK};
use crate::support::server::{code, pattern, presigning, xml_code, TestServer};
use crate::support::wire::{self, crc32_b64, send, Head};

#[tokio::test]
async fn sdk_default_put_get_round_trips_every_size() {
    let s = TestServer::with_bucket("bkt").await;
    for (i, size) in [0, 1, 65_535, 1024 * 1024 + 7, 17 * 1024 * 1024]
        .into_iter()
        .enumerate()
    {
        let data = pattern(size, i as u8);
        let key = format!("size-{size}");
        let put = s.put("bkt", &key, data.clone()).await;
        // The SDK's default CRC32 was verified and is echoed back.
        assert_eq!(
            put.checksum_crc32(),
            Some(crc32_b64(&data).as_str()),
            "{key}"
        );
        assert_eq!(s.get_bytes("bkt", &key).await, data, "{key}");
        let head = s
            .client
            .head_object()
            .bucket("bkt")
            .key(&key)
            .send()
            .await
            .expect("head");
        assert_eq!(head.content_length(), Some(size as i64));
        // `aws-chunked` is transport framing, never the object's Content-Encoding.
        assert_eq!(head.content_encoding(), None, "{key}");
    }
}

#[tokio::test]
async fn sdk_checksum_mode_returns_the_stored_checksum() {
    let s = TestServer::with_bucket("bkt").await;
    let data = pattern(100_000, 9);
    s.put("bkt", "k", data.clone()).await;
    // With ChecksumMode::Enabled the SDK also validates the body against the returned value.
    let got = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("get");
    assert_eq!(got.checksum_crc32(), Some(crc32_b64(&data).as_str()));
    let body = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(body.as_ref(), data.as_slice());
    // Without it, no checksum header.
    let got = s
        .client
        .head_object()
        .bucket("bkt")
        .key("k")
        .send()
        .await
        .expect("head");
    assert_eq!(got.checksum_crc32(), None);
}

#[tokio::test]
async fn sdk_explicit_checksum_algorithms_round_trip() {
    let s = TestServer::with_bucket("bkt").await;
    let data = pattern(300_000, 10);
    for algorithm in [
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Crc64Nvme,
    ] {
        let key = format!("k-{}", algorithm.as_str());
        let put = s
            .client
            .put_object()
            .bucket("bkt")
            .key(&key)
            .checksum_algorithm(algorithm.clone())
            .body(data.clone().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put with {algorithm:?}: {e:?}"));
        let get = s
            .client
            .get_object()
            .bucket("bkt")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .expect("get");
        let (sent, stored) = match algorithm {
            ChecksumAlgorithm::Sha256 => (put.checksum_sha256(), get.checksum_sha256()),
            ChecksumAlgorithm::Crc32C => (put.checksum_crc32_c(), get.checksum_crc32_c()),
            ChecksumAlgorithm::Sha1 => (put.checksum_sha1(), get.checksum_sha1()),
            _ => (put.checksum_crc64_nvme(), get.checksum_crc64_nvme()),
        };
        assert!(sent.is_some(), "{algorithm:?} echoed by PutObject");
        assert_eq!(sent, stored, "{algorithm:?} stored and returned");
        let body = get.body.collect().await.expect("body").into_bytes();
        assert_eq!(body.as_ref(), data.as_slice(), "{algorithm:?}");
    }
}

#[tokio::test]
async fn sdk_wrong_explicit_crc32_is_bad_digest_and_keeps_the_old_object() {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "k", "old").await;
    let err = s
        .client
        .put_object()
        .bucket("bkt")
        .key("k")
        .checksum_crc32(crc32_b64(b"not the body"))
        .body(ByteStream::from_static(b"new body"))
        .send()
        .await
        .expect_err("refused");
    // AWS: 400 BadDigest "The CRC32 you specified did not match the calculated checksum."
    assert_eq!(code(&err), "BadDigest");
    assert_eq!(s.get_bytes("bkt", "k").await, b"old");
}

/// Runs `tests/clients/boto3_roundtrip.py` against a real `originstore serve`.
#[test]
fn boto3_default_settings_round_trip() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    boto3_script("boto3_roundtrip.py", &server.endpoint, tmp.path(), &[]);
}

/// Runs `tests/clients/boto3_bytes.py`: latin-1 metadata comes back as sent; a
/// DeleteObjects body holding `\x01` is 400 MalformedXML and deletes nothing.
#[test]
fn boto3_metadata_bytes_and_forbidden_xml_characters() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    boto3_script("boto3_bytes.py", &server.endpoint, tmp.path(), &[]);
}

/// Runs `tests/clients/cos_sdk.py`: Tencent COS's own Python SDK, signing with COS's
/// scheme and addressing `<bucket>-<appid>.cos.<region>.<domain>`, creates a bucket, puts
/// and gets objects, and puts, gets and deletes an origin configuration that pulls.
#[test]
fn cos_python_sdk_signs_and_configures_an_origin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("originstore.toml");
    std::fs::write(&config, "domain = \"originstore.test\"\n").expect("config");
    let server = ServeProcess::start_with_config(&tmp.path().join("data"), Some(&config));
    boto3_script("cos_sdk.py", &server.endpoint, tmp.path(), &[]);
}

/// A metadata value that is not UTF-8 (the byte 0xE9: `é` in latin-1, as Python's
/// http.client sends it) is stored and answered as those bytes (it was stored as U+FFFD).
#[tokio::test]
async fn latin1_metadata_bytes_come_back_unchanged() {
    let s = TestServer::start().await;
    // A bucket anyone may write into, so that the upload needs no signature (the test's
    // signer handles text headers only).
    s.client
        .create_bucket()
        .bucket("open")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .expect("bucket");
    let value = http::HeaderValue::from_bytes(b"Hello World\xe9").expect("a header value");
    let resp = reqwest::Client::new()
        .put(s.url("/open/latin1"))
        .header("x-amz-meta-meta1", value.clone())
        .body("x")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    for method in [http::Method::HEAD, http::Method::GET] {
        let resp = s.send_signed(method.clone(), "/open/latin1").await;
        assert_eq!(
            resp.headers().get("x-amz-meta-meta1").map(|v| v.as_bytes()),
            Some(value.as_bytes()),
            "{method}"
        );
    }
}

/// `aws s3api put-object` sends a CRC32 by default on current CLIs; the object and its
/// checksum must come back. (cp/sync are in `cli.rs`.)
#[test]
fn aws_cli_s3api_put_object_with_default_checksum() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let aws =
        |args: &[&str]| String::from_utf8_lossy(&aws(&server.endpoint, args).stdout).into_owned();
    let data = pattern(300_000, 11);
    let file = tmp.path().join("up.bin");
    std::fs::write(&file, &data).expect("write");
    let file = file.to_str().expect("utf8");
    aws(&["s3api", "create-bucket", "--bucket", "cli"]);
    let put = aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "cli",
        "--key",
        "k",
        "--body",
        file,
    ]);
    assert!(put.contains(&crc32_b64(&data)), "CRC32 echoed: {put}");
    let head = aws(&[
        "s3api",
        "head-object",
        "--bucket",
        "cli",
        "--key",
        "k",
        "--checksum-mode",
        "ENABLED",
    ]);
    assert!(head.contains(&crc32_b64(&data)), "CRC32 stored: {head}");
    let down = tmp.path().join("down.bin");
    aws(&[
        "s3api",
        "get-object",
        "--bucket",
        "cli",
        "--key",
        "k",
        down.to_str().expect("utf8"),
    ]);
    assert!(std::fs::read(&down).expect("read") == data, "round trip");
}

#[tokio::test]
async fn virtual_hosted_style_and_path_style() {
    let s = TestServer::start_with(|c| c.domain = Some("s3.local".into())).await;
    s.create_bucket("bkt").await;
    let vhost = format!("bkt.s3.local:{}", s.addr.port());

    // PUT through the virtual host, signed for that Host.
    let data = b"through the virtual host";
    let mut head = Head::new("PUT", "/dir/a%20b.txt", &vhost);
    head.sign(&sha256_hex(data));
    head.headers
        .push(("content-length".to_owned(), data.len().to_string()));
    let resp = send(s.addr, &head, data).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    // Path-style still works (the SDK client is path-style) and sees the same object.
    assert_eq!(s.get_bytes("bkt", "dir/a b.txt").await, data);

    // GET and ListObjectsV2 through the virtual host.
    let mut head = Head::new("GET", "/dir/a%20b.txt", &vhost);
    head.sign(UNSIGNED_PAYLOAD);
    let resp = send(s.addr, &head, b"").await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert!(resp.body.contains("through the virtual host"), "{resp:?}");
    let mut head = Head::new("GET", "/?list-type=2&prefix=dir%2F", &vhost);
    head.sign(UNSIGNED_PAYLOAD);
    let resp = send(s.addr, &head, b"").await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert!(resp.body.contains("<Key>dir/a b.txt</Key>"), "{resp:?}");

    // An aws-chunked body with a signed trailer through the virtual host.
    let data = pattern(20_000, 12);
    let crc = crc32_b64(&data);
    let mut head = Head::new("PUT", "/chunked", &vhost)
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", data.len().to_string())
        .header("x-amz-trailer", "x-amz-checksum-crc32");
    let mut signer = head.sign(STREAMING_SIGNED_TRAILER);
    let body = wire::signed_trailer_body(&mut signer, &data, 8192, ("x-amz-checksum-crc32", &crc));
    head.headers
        .push(("content-length".to_owned(), body.len().to_string()));
    let resp = send(s.addr, &head, &body).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(s.get_bytes("bkt", "chunked").await, data);

    // A signature made for the path-style Host does not hold for the virtual host.
    let mut head = Head::new("GET", "/chunked", &s.addr.to_string());
    head.sign(UNSIGNED_PAYLOAD);
    for (name, value) in &mut head.headers {
        if name == "host" {
            value.clone_from(&vhost);
        }
    }
    let resp = send(s.addr, &head, b"").await;
    assert_eq!(resp.code(), "SignatureDoesNotMatch", "{resp:?}");

    // A missing bucket through the virtual host.
    let mut head = Head::new("GET", "/k", &format!("nosuch.s3.local:{}", s.addr.port()));
    head.sign(UNSIGNED_PAYLOAD);
    let resp = send(s.addr, &head, b"").await;
    assert_eq!(resp.code(), "NoSuchBucket", "{resp:?}");
}

#[tokio::test]
async fn presigned_url_query_parameters() {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "k", "presigned").await;
    // Extra query parameters the URL was signed with (the SDK adds `x-id`; response-*
    // overrides are honoured).
    let presigned = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .response_content_type("text/x-test")
        .presigned(presigning())
        .await
        .expect("presign");
    let uri = presigned.uri().to_owned();
    assert!(uri.contains("x-id=GetObject"), "{uri}");
    let resp = reqwest::get(&uri).await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/x-test")
    );
    assert_eq!(resp.text().await.expect("body"), "presigned");
    // A parameter added after signing is not covered by the signature: AWS refuses it
    // (every query parameter is part of the canonical request), and so do we.
    let resp = reqwest::get(format!("{uri}&cache-buster=1"))
        .await
        .expect("sent");
    assert_eq!(resp.status(), 403);
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "SignatureDoesNotMatch"
    );
}

#[tokio::test]
async fn signed_content_type_and_user_metadata() {
    let s = TestServer::with_bucket("bkt").await;
    let data = b"{\"a\":1}";
    let mut head = Head::new("PUT", "/bkt/doc.json", &s.addr.to_string())
        .header("content-type", "application/json;  charset=utf-8")
        .header("x-amz-meta-color", "  deep   blue ")
        .header("x-amz-meta-shape", "round");
    head.sign(&sha256_hex(data));
    head.headers
        .push(("content-length".to_owned(), data.len().to_string()));
    let resp = send(s.addr, &head, data).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let got = s
        .client
        .head_object()
        .bucket("bkt")
        .key("doc.json")
        .send()
        .await
        .expect("head");
    assert_eq!(got.content_type(), Some("application/json;  charset=utf-8"));
    let meta = got.metadata().expect("metadata");
    assert_eq!(meta.get("shape").map(String::as_str), Some("round"));
    assert!(meta.get("color").is_some_and(|v| v.contains("blue")));

    // Changing a signed header after signing breaks the signature.
    let mut head = Head::new("PUT", "/bkt/doc.json", &s.addr.to_string())
        .header("content-type", "application/json");
    head.sign(&sha256_hex(data));
    for (name, value) in &mut head.headers {
        if name == "content-type" {
            *value = "text/html".to_owned();
        }
    }
    head.headers
        .push(("content-length".to_owned(), data.len().to_string()));
    let resp = send(s.addr, &head, data).await;
    assert_eq!(resp.code(), "SignatureDoesNotMatch", "{resp:?}");

    // An x-amz-meta-* header the signature does not cover is refused (AWS: AccessDenied).
    let mut head = Head::new("PUT", "/bkt/doc.json", &s.addr.to_string());
    head.sign(&sha256_hex(data));
    head.headers
        .push(("x-amz-meta-injected".to_owned(), "1".to_owned()));
    head.headers
        .push(("content-length".to_owned(), data.len().to_string()));
    let resp = send(s.addr, &head, data).await;
    assert_eq!(resp.code(), "AccessDenied", "{resp:?}");
    let got = s
        .client
        .head_object()
        .bucket("bkt")
        .key("doc.json")
        .send()
        .await
        .expect("head");
    assert!(got.metadata().is_some_and(|m| !m.contains_key("injected")));
}

/// Issue 4: "a 1 GiB upload through aws-chunked stays within 64 MiB RSS" of the SERVER
/// process. The body (signed 1 MiB chunks and a signed CRC32 trailer) is generated and signed
/// on the fly, never held whole. The full 1 GiB is sent in debug builds too: the data path is
/// memcpy and hashing in dependencies built with opt-level 1, so it takes ~7 s on 2 cores.
#[tokio::test]
async fn large_aws_chunked_upload_stays_within_64_mib_of_server_rss() {
    const MIB: usize = 1024 * 1024;
    let total: usize = 1024 * MIB;
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let addr: std::net::SocketAddr = server
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let client = crate::support::server::client_for(addr, AK, SK);
    client
        .create_bucket()
        .bucket("mem")
        .send()
        .await
        .expect("bucket");
    let before = server.peak_rss_kib();

    let mut head = Head::new("PUT", "/mem/big", &addr.to_string())
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", total.to_string())
        .header("x-amz-trailer", "x-amz-checksum-crc32");
    let mut signer = head.sign_as(STREAMING_SIGNED_TRAILER, AK, SK);
    // Wire length: per data chunk `100000;chunk-signature=<64>\r\n<data>\r\n`; the final
    // chunk `0;chunk-signature=<64>\r\n`; the trailer `x-amz-checksum-crc32:<8>\r\n`,
    // `x-amz-trailer-signature:<64>\r\n`, `\r\n`.
    let sig_ext = ";chunk-signature=".len() + 64 + 2;
    let chunks = total / MIB;
    let wire_len = chunks * (format!("{MIB:x}").len() + sig_ext + MIB + 2)
        + (1 + sig_ext)
        + ("x-amz-checksum-crc32:".len() + 8 + 2)
        + ("x-amz-trailer-signature:".len() + 64 + 2)
        + 2;
    head.headers
        .push(("content-length".to_owned(), wire_len.to_string()));

    use tokio::io::AsyncWriteExt as _;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(head.to_http().as_bytes())
        .await
        .expect("head");
    let mut data = pattern(MIB, 13);
    let mut crc = storage::Checksummer::new(storage::ChecksumAlgorithm::Crc32);
    let mut written = 0;
    for i in 0..chunks {
        // Each chunk differs (its first bytes carry its index), without regenerating 1 MiB.
        data[..8].copy_from_slice(&(i as u64).to_le_bytes());
        crc.update(&data);
        let frame = wire::signed_chunk(&mut signer, &data);
        stream.write_all(&frame).await.expect("chunk");
        written += frame.len();
    }
    let crc = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, crc.finish());
    let mut end = wire::signed_chunk(&mut signer, b"");
    let trailer = format!("x-amz-checksum-crc32:{crc}\n");
    let trailer_sig = signer.expected_trailer_signature(trailer.as_bytes());
    end.extend_from_slice(
        format!("x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n")
            .as_bytes(),
    );
    stream.write_all(&end).await.expect("end");
    written += end.len();
    assert_eq!(written, wire_len, "Content-Length computed right");
    let resp = wire::read_response(stream).await;
    assert_eq!(resp.status, 200, "{resp:?}");

    let after = server.peak_rss_kib();
    let growth_mib = after.saturating_sub(before) / 1024;
    assert!(
        growth_mib <= 64,
        "server peak RSS grew by {growth_mib} MiB ({before} KiB -> {after} KiB) for a {} MiB upload",
        total / MIB
    );
    let head = client
        .head_object()
        .bucket("mem")
        .key("big")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), Some(total as i64));
    assert_eq!(head.checksum_crc32(), Some(crc.as_str()));
    eprintln!(
        "{} MiB aws-chunked upload: server peak RSS +{growth_mib} MiB, {:.1} s",
        total / MIB,
        started.elapsed().as_secs_f64()
    );
}

/// Regression: a Signature Version 2 presigned URL (`aws s3 presign`, boto3's default with a
/// custom endpoint) was first taken for an anonymous request, so on a public-read bucket it
/// was served without its signature being checked; then refused outright. Now its signature
/// is verified: a good one is served, a bad one refused even on a public-read bucket.
#[tokio::test]
async fn sigv2_presigned_urls_are_verified_not_served_anonymously() {
    let s = TestServer::start().await;
    s.client
        .create_bucket()
        .bucket("pub")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("create public");
    s.client
        .put_object()
        .bucket("pub")
        .key("k")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .body(b"public bytes".to_vec().into())
        .send()
        .await
        .expect("put public object");
    let url = s.url("/pub/k?AWSAccessKeyId=TESTACCESSKEY0000001&Signature=bm90LWNoZWNrZWQ%3D&Expires=4102444800");
    let resp = reqwest::get(&url).await.expect("sent");
    assert_eq!(resp.status(), 403);
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "SignatureDoesNotMatch"
    );
    // Plain anonymous reads of the public-read object are unaffected.
    let resp = reqwest::get(s.url("/pub/k")).await.expect("sent");
    assert_eq!(resp.text().await.expect("body"), "public bytes");
}

/// `originstore serve` on a new data directory, with no configuration: stdout gives the
/// address, the generated credentials and the console's address; the log says a new store
/// was created (not that a format was upgraded). A restart says neither.
#[test]
fn first_start_says_what_it_made() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let start = |log: &std::path::Path| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_originstore"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("RUST_LOG", "info")
            .env_remove("ORIGINSTORE_ACCESS_KEY")
            .env_remove("ORIGINSTORE_SECRET_KEY")
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut out = Vec::new();
        while let Some(Ok(line)) = lines.next() {
            let done = line.starts_with("console: ");
            out.push(line);
            if done {
                break;
            }
        }
        stop(&mut child);
        out
    };
    let first_log = tmp.path().join("first.log");
    let out = start(&first_log);
    let addr = out[0]
        .strip_prefix("originstore listening on ")
        .unwrap()
        .to_owned();
    assert!(
        out.iter()
            .any(|l| l.starts_with("export AWS_ACCESS_KEY_ID=")),
        "{out:?}"
    );
    assert_eq!(
        out.last().unwrap(),
        &format!("console: {addr}/console (sign in with an access key and its secret)")
    );
    let log = std::fs::read_to_string(&first_log).unwrap();
    assert!(log.contains("created a new metadata store"), "{log}");
    assert!(
        !log.contains("upgraded") && !log.contains("migrated"),
        "{log}"
    );

    let again_log = tmp.path().join("again.log");
    start(&again_log);
    let log = std::fs::read_to_string(&again_log).unwrap();
    assert!(
        !log.contains("created a new") && !log.contains("upgraded"),
        "{log}"
    );
}

fn stop(child: &mut std::process::Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}
