//! Object operations.

use aws_sdk_s3::primitives::ByteStream;

use crate::support::server::{expect_code, pattern, xml_code, TestServer};

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(data))
}

#[tokio::test]
async fn put_get_round_trip_with_metadata() {
    let s = TestServer::with_bucket("bkt").await;
    let data = pattern(300_000, 1);
    let put = s
        .client
        .put_object()
        .bucket("bkt")
        .key("dir/file.bin")
        .body(ByteStream::from(data.clone()))
        .content_type("application/x-test")
        .cache_control("max-age=60")
        .content_disposition("attachment; filename=\"f.bin\"")
        .content_language("en")
        .metadata("color", "blue")
        .metadata("Shape", "round")
        .send()
        .await
        .expect("put");
    let etag = format!("\"{}\"", md5_hex(&data));
    assert_eq!(put.e_tag(), Some(etag.as_str()));
    let got = s.get_object("bkt", "dir/file.bin").await;
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(
        got.content_disposition(),
        Some("attachment; filename=\"f.bin\"")
    );
    assert_eq!(got.content_language(), Some("en"));
    assert_eq!(got.content_encoding(), None, "aws-chunked is never stored");
    assert_eq!(got.content_length(), Some(300_000));
    let meta = got.metadata().expect("metadata");
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("shape").map(String::as_str), Some("round"));
    assert!(got.last_modified().is_some());
    let body = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(body.as_ref(), data.as_slice());

    let head = s
        .client
        .head_object()
        .bucket("bkt")
        .key("dir/file.bin")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), Some(300_000));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
}

#[tokio::test]
async fn default_content_type_and_empty_object() {
    let s = TestServer::with_bucket("bkt").await;
    let resp = s.send_signed(http::Method::PUT, "/bkt/empty").await;
    assert_eq!(resp.status(), 200);
    let resp = s.send_signed(http::Method::GET, "/bkt/empty").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "binary/octet-stream");
    assert_eq!(resp.headers()["content-length"], "0");
    assert_eq!(
        resp.headers()["etag"],
        "\"d41d8cd98f00b204e9800998ecf8427e\""
    );
}

#[tokio::test]
async fn overwrite_replaces_and_missing_key_is_404() {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "k", "one").await;
    s.put("bkt", "k", "two!").await;
    assert_eq!(s.get_bytes("bkt", "k").await, b"two!");
    assert_eq!(s.get_error("bkt", "nope").await, "NoSuchKey", "missing");
    let err = s
        .client
        .head_object()
        .bucket("bkt")
        .key("nope")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    // HEAD errors have no body.
    let resp = s.send_signed(http::Method::HEAD, "/bkt/nope").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn ranges() {
    let s = TestServer::with_bucket("bkt").await;
    let data = pattern(1000, 2);
    s.put("bkt", "k", data.clone()).await;
    for (range, first, last) in [
        ("bytes=0-9", 0, 9),
        ("bytes=990-", 990, 999),
        ("bytes=-5", 995, 999),
        ("bytes=100-5000", 100, 999),
        ("bytes=-2000", 0, 999),
    ] {
        let got = s
            .client
            .get_object()
            .bucket("bkt")
            .key("k")
            .range(range)
            .send()
            .await
            .expect("range");
        assert_eq!(
            got.content_range(),
            Some(format!("bytes {first}-{last}/1000").as_str()),
            "{range}"
        );
        assert_eq!(got.content_length(), Some(last - first + 1));
        let body = got.body.collect().await.expect("body").into_bytes();
        assert_eq!(
            body.as_ref(),
            &data[first as usize..=last as usize],
            "{range}"
        );
    }
    let resp = s
        .signed(http::Method::GET, "/bkt/k")
        .header("range", "bytes=0-9")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 206);
    let err = expect_code(
        s.client
            .get_object()
            .bucket("bkt")
            .key("k")
            .range("bytes=1000-")
            .send()
            .await,
        "InvalidRange",
    );
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(416));
    // partNumber and Range together are refused, as on AWS.
    let resp = s
        .signed(http::Method::GET, "/bkt/k?partNumber=1")
        .header("range", "bytes=0-9")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400);
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "InvalidRequest"
    );
    let resp = s
        .send_signed(http::Method::GET, "/bkt/k?partNumber=1")
        .await;
    assert_eq!(resp.status(), 206);
    assert!(
        !resp.headers().contains_key("x-amz-mp-parts-count"),
        "a single-part object has no part count"
    );
    // Syntax S3 does not serve is ignored: the whole object.
    let resp = s
        .signed(http::Method::GET, "/bkt/k")
        .header("range", "bytes=5-1")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.expect("body").len(), 1000);
}

#[tokio::test]
async fn conditional_reads() {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "k", "hello").await;
    let etag = "\"5d41402abc4b2a76b9719d911017c592\"";
    let ok = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_match(etag)
        .send()
        .await;
    assert!(ok.is_ok());
    let err = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_match("\"nope\"")
        .send()
        .await
        .expect_err("412");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(412));
    // 412 and 304 carry the object's validators, as AWS sends them.
    type GetError = aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::get_object::GetObjectError,
        aws_sdk_s3::config::http::HttpResponse,
    >;
    let validators = |err: &GetError| {
        let headers = err.raw_response().expect("raw").headers();
        (
            headers.get("etag").map(str::to_owned),
            headers.get("last-modified").is_some(),
        )
    };
    assert_eq!(validators(&err), (Some(etag.to_owned()), true));
    let err = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_none_match(etag)
        .send()
        .await
        .expect_err("304");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(304));
    assert_eq!(validators(&err), (Some(etag.to_owned()), true));
    let future = aws_sdk_s3::primitives::DateTime::from_secs(4_000_000_000);
    let past = aws_sdk_s3::primitives::DateTime::from_secs(1_000_000_000);
    let err = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_modified_since(future)
        .send()
        .await
        .expect_err("304");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(304));
    assert!(s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_modified_since(past)
        .send()
        .await
        .is_ok());
    let err = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_unmodified_since(past)
        .send()
        .await
        .expect_err("412");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(412));
    // If-Match true wins over If-Unmodified-Since false.
    assert!(s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_match(etag)
        .if_unmodified_since(past)
        .send()
        .await
        .is_ok());
    // Conditional PUT: If-None-Match: * refuses to overwrite.
    let resp = s
        .signed(http::Method::PUT, "/bkt/k")
        .header("if-none-match", "*")
        .body("x")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 412);
    assert_eq!(s.get_bytes("bkt", "k").await, b"hello");
}

#[tokio::test]
async fn response_header_overrides() {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "k", "x").await;
    let got = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .response_content_type("text/plain")
        .response_content_disposition("inline")
        .response_cache_control("no-cache")
        .send()
        .await
        .expect("get");
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(got.content_disposition(), Some("inline"));
    assert_eq!(got.cache_control(), Some("no-cache"));
}

#[tokio::test]
async fn keys_of_every_legal_form() {
    let s = TestServer::with_bucket("bkt").await;
    let long = "k".repeat(1024);
    let keys = [
        "/leading",
        "trailing/",
        "double//slash",
        "sp ace",
        "plus+sign",
        "per%cent",
        "quest?ion",
        "hash#tag",
        "ünïcödé/日本語",
        "amp&er",
        "tilde~",
        "semi;colon",
        "eq=als",
        long.as_str(),
        "a/./b",
        "../dots",
    ];
    for (i, key) in keys.iter().enumerate() {
        let body = format!("body {i}");
        s.put("bkt", key, body.clone()).await;
        assert_eq!(s.get_bytes("bkt", key).await, body.as_bytes(), "{key}");
    }
    let mut got = s.keys("bkt").await;
    let mut want: Vec<_> = keys.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let too_long = "k".repeat(1025);
    expect_code(
        s.client
            .put_object()
            .bucket("bkt")
            .key(&too_long)
            .body(b"x".to_vec().into())
            .send()
            .await,
        "KeyTooLongError",
    );
}

#[tokio::test]
async fn delete_is_idempotent_and_delete_objects_reports_per_key() {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let s = TestServer::with_bucket("bkt").await;
    s.client
        .delete_object()
        .bucket("bkt")
        .key("never")
        .send()
        .await
        .expect("idempotent");
    for k in ["a", "b", "c"] {
        s.put("bkt", k, k).await;
    }
    let ids = |keys: &[&str]| {
        Delete::builder().set_objects(Some(
            keys.iter()
                .map(|k| ObjectIdentifier::builder().key(*k).build().expect("id"))
                .collect(),
        ))
    };
    let out = s
        .client
        .delete_objects()
        .bucket("bkt")
        .delete(ids(&["a", "b", "zz"]).build().expect("delete"))
        .send()
        .await
        .expect("delete");
    let mut deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort();
    assert_eq!(deleted, ["a", "b", "zz"]);
    assert!(out.errors().is_empty());
    let out = s
        .client
        .delete_objects()
        .bucket("bkt")
        .delete(ids(&["c"]).quiet(true).build().expect("delete"))
        .send()
        .await
        .expect("quiet");
    assert!(out.deleted().is_empty(), "quiet mode lists only errors");
    assert_eq!(s.key_count("bkt").await, Some(0));

    // Well-formed XML that is not a Delete document with Object entries is MalformedXML,
    // never an empty success; nothing is deleted.
    s.put("bkt", "kept", "x").await;
    let nested = format!(
        "<Delete>{}{}</Delete>",
        "<x>".repeat(5000),
        "</x>".repeat(5000)
    );
    for body in [
        nested.as_str(),
        "<Delete></Delete>",
        "<Delete><Quiet>true</Quiet></Delete>",
        "<Other><Object><Key>kept</Key></Object></Other>",
        // Characters XML 1.0 forbids, raw or as references: the whole body is refused.
        "<Delete><Object><Key>kept</Key></Object><Object><Key>a\u{1}</Key></Object></Delete>",
        "<Delete><Object><Key>kept</Key></Object><Object><Key>a&#x1;</Key></Object></Delete>",
        "<Delete><Object><Key>kept</Key></Object><Object><Key>a&#0;</Key></Object></Delete>",
    ] {
        let resp = s
            .signed(http::Method::POST, "/bkt?delete")
            .body(body.to_owned())
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 400, "{}", &body[..body.len().min(40)]);
        assert_eq!(xml_code(&resp.text().await.expect("body")), "MalformedXML");
    }
    assert_eq!(s.keys("bkt").await, ["kept"]);
}

#[tokio::test]
async fn copy_object_copy_and_replace() {
    use aws_sdk_s3::types::MetadataDirective;
    let s = TestServer::with_bucket("src").await;
    s.create_bucket("dst").await;
    let data = pattern(70_000, 3);
    s.client
        .put_object()
        .bucket("src")
        .key("a b+c")
        .body(data.clone().into())
        .content_type("image/png")
        .metadata("m", "1")
        .send()
        .await
        .expect("put");
    let out = s
        .client
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("src/a%20b%2Bc")
        .send()
        .await
        .expect("copy");
    let etag = format!("\"{}\"", md5_hex(&data));
    assert_eq!(
        out.copy_object_result().and_then(|r| r.e_tag()),
        Some(etag.as_str())
    );
    let got = s.get_object("dst", "copy").await;
    assert_eq!(got.content_type(), Some("image/png"));
    assert_eq!(
        got.metadata().and_then(|m| m.get("m")).map(String::as_str),
        Some("1")
    );
    assert_eq!(
        crate::support::server::body_of(got).await.as_slice(),
        data.as_slice()
    );

    s.client
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("dst/copy")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .metadata("n", "2")
        .send()
        .await
        .expect("copy onto itself with REPLACE");
    let head = s
        .client
        .head_object()
        .bucket("dst")
        .key("copy")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.metadata().and_then(|m| m.get("m")), None);
    assert_eq!(
        head.metadata().and_then(|m| m.get("n")).map(String::as_str),
        Some("2")
    );
    assert_eq!(head.e_tag(), Some(etag.as_str()));

    expect_code(
        s.client
            .copy_object()
            .bucket("dst")
            .key("copy")
            .copy_source("dst/copy")
            .send()
            .await,
        "InvalidRequest",
    );
    expect_code(
        s.client
            .copy_object()
            .bucket("dst")
            .key("x")
            .copy_source("src/a%20b%2Bc")
            .copy_source_if_match("\"other\"")
            .send()
            .await,
        "PreconditionFailed",
    );
    expect_code(
        s.client
            .copy_object()
            .bucket("dst")
            .key("x")
            .copy_source("src/missing")
            .send()
            .await,
        "NoSuchKey",
    );
    // Only the null version exists in an unversioned bucket: a well-formed version id
    // that names nothing is NoSuchVersion, a malformed one InvalidArgument (as on AWS).
    expect_code(
        s.client
            .copy_object()
            .bucket("dst")
            .key("x")
            .copy_source("src/a%20b%2Bc?versionId=00000000000000070123456789abcdef")
            .send()
            .await,
        "NoSuchVersion",
    );
    expect_code(
        s.client
            .copy_object()
            .bucket("dst")
            .key("x")
            .copy_source("src/a%20b%2Bc?versionId=xyz")
            .send()
            .await,
        "InvalidArgument",
    );
    s.client
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/a%20b%2Bc?versionId=null")
        .send()
        .await
        .expect("the null version is the object");
}

#[tokio::test]
async fn content_md5_is_verified_and_bad_body_stores_nothing() {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "k", "original").await;
    let resp = s
        .signed(http::Method::PUT, "/bkt/k")
        .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==") // md5("")
        .body("not empty")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400);
    assert_eq!(xml_code(&resp.text().await.expect("body")), "BadDigest");
    assert_eq!(s.get_bytes("bkt", "k").await, b"original");
    let resp = s
        .signed(http::Method::PUT, "/bkt/k")
        .header("content-md5", "zzz")
        .body("x")
        .send()
        .await
        .expect("sent");
    assert_eq!(xml_code(&resp.text().await.expect("body")), "InvalidDigest");
    assert_eq!(s.get_bytes("bkt", "k").await, b"original");
}

#[tokio::test]
async fn every_response_has_a_request_id_and_errors_are_xml() {
    let s = TestServer::start().await;
    let resp = s.send_signed(http::Method::GET, "/nobucket/k").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.headers().contains_key("x-amz-request-id"));
    assert_eq!(resp.headers()["content-type"], "application/xml");
    let body = resp.text().await.expect("body");
    assert_eq!(xml_code(&body), "NoSuchBucket");
    assert!(body.contains("<Resource>/nobucket/k</Resource>"), "{body}");
}

/// Small objects live in the metadata store (`inline_max_bytes`) or in pack files
/// (`pack_max_bytes`): the API cannot tell (GET, Range, HEAD, copies, overwrites by a large
/// object), and no blob file is written.
#[tokio::test]
async fn inline_and_packed_objects_behave_like_any_other() {
    let s = TestServer::start_with(|c| {
        c.storage.inline_max = 1024;
        c.storage.pack_max = 4096;
    })
    .await;
    s.create_bucket("bkt").await;
    let small = pattern(1000, 3);
    s.put("bkt", "small", small.clone()).await;
    assert_eq!(s.get_bytes("bkt", "small").await, small);
    let ranged = s
        .client
        .get_object()
        .bucket("bkt")
        .key("small")
        .range("bytes=10-19")
        .send()
        .await
        .expect("range");
    assert_eq!(
        crate::support::server::body_of(ranged).await,
        small[10..20].to_vec()
    );
    s.client
        .copy_object()
        .bucket("bkt")
        .key("copy")
        .copy_source("bkt/small")
        .send()
        .await
        .expect("copy");
    assert_eq!(s.get_bytes("bkt", "copy").await, small);
    let files = || crate::support::server::files_under(&s.dir.path().join("data/blobs")).len();
    assert_eq!(files(), 0, "small objects have no blob file");
    let packed = pattern(3000, 5);
    s.put("bkt", "packed", packed.clone()).await;
    let ranged = s
        .client
        .get_object()
        .bucket("bkt")
        .key("packed")
        .range("bytes=-100")
        .send()
        .await
        .expect("range");
    assert_eq!(
        crate::support::server::body_of(ranged).await,
        packed[2900..].to_vec()
    );
    assert_eq!(files(), 0, "packed objects have no blob file");
    let packs = crate::support::server::files_under(&s.dir.path().join("data/packs"));
    assert_eq!(packs.len(), 1, "{packs:?}");
    let big = pattern(5000, 4);
    s.put("bkt", "small", big.clone()).await;
    assert_eq!(s.get_bytes("bkt", "small").await, big);
    assert_eq!(files(), 1);
    s.put("bkt", "small", small.clone()).await;
    assert_eq!(files(), 0, "the overwritten file is released");
    assert_eq!(s.get_bytes("bkt", "packed").await, packed);
}

/// The server runs the pack compactor: objects deleted through the API give their pack
/// space back within a few compaction periods, and the objects kept read back whole.
#[tokio::test]
async fn deleted_small_objects_give_their_pack_space_back() {
    let s = TestServer::start_with(|c| {
        c.storage.pack_file_bytes = 64 * 1024;
        c.pack_compaction = std::time::Duration::from_millis(200);
    })
    .await;
    s.create_bucket("bkt").await;
    for i in 0..100 {
        s.put("bkt", &format!("k{i:03}"), pattern(3000, i)).await;
    }
    let packs_dir = s.dir.path().join("data/packs");
    let pack_bytes = || -> u64 {
        crate::support::server::files_under(&packs_dir)
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    };
    let before = pack_bytes();
    assert!(before >= 300_000, "{before} bytes in packs");
    for i in (0..100).filter(|i| i % 10 != 0) {
        s.client
            .delete_object()
            .bucket("bkt")
            .key(format!("k{i:03}"))
            .send()
            .await
            .expect("delete");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while pack_bytes() * 3 > before {
        assert!(
            std::time::Instant::now() < deadline,
            "packs still hold {} of {before} bytes",
            pack_bytes()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for i in (0..100).filter(|i| i % 10 == 0) {
        assert_eq!(
            s.get_bytes("bkt", &format!("k{i:03}")).await,
            pattern(3000, i),
            "k{i:03}"
        );
    }
}
