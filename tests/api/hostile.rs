//! Hostile request documents: a document nested just past the limit, on every operation
//! that reads an XML body, is `400 MalformedXML` and changes nothing; 100,000 nested unknown
//! elements are refused too (MalformedXML for DeleteObjects, whose 2 MiB cap lets it in; the
//! body cap of the others answers first).

use crate::common::{xml_code, TestServer};

#[tokio::test]
async fn deeply_nested_documents_are_malformed_everywhere() {
    let s = TestServer::with_bucket("hostile").await;
    s.put("hostile", "k", "kept").await;
    let bomb = |root: &str, depth: usize| {
        format!(
            "<{root}>{}{}</{root}>",
            "<x>".repeat(depth),
            "</x>".repeat(depth)
        )
    };
    let targets = [
        ("POST", "/hostile?delete", "Delete"),
        ("PUT", "/hostile?tagging", "Tagging"),
        ("PUT", "/hostile?cors", "CORSConfiguration"),
        ("PUT", "/hostile?lifecycle", "LifecycleConfiguration"),
        ("PUT", "/hostile?versioning", "VersioningConfiguration"),
        ("PUT", "/hostile?acl", "AccessControlPolicy"),
        ("PUT", "/hostile?ownershipControls", "OwnershipControls"),
        ("PUT", "/hostile?origin", "OriginConfiguration"),
        ("PUT", "/hostile/k?tagging", "Tagging"),
        ("PUT", "/hostile/k?acl", "AccessControlPolicy"),
    ];
    for depth in [100_000, crate::common::XML_DEPTH_PAST_LIMIT] {
        for (method, path, root) in targets {
            let method: http::Method = method.parse().expect("method");
            let md5 = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                <md5::Md5 as md5::Digest>::digest(bomb(root, depth).as_bytes()),
            );
            let (status, code) = s
                .refusal(method, path, &[("content-md5", &md5)], &bomb(root, depth))
                .await;
            // Past an operation's body cap (64 KiB for most) the cap answers first.
            // (the origin configuration's cap is InvalidArgument, as ORIGIN.md specifies).
            let capped = depth == 100_000
                && root != "Delete"
                && (code == "InvalidRequest" || code == "InvalidArgument");
            assert_eq!(status, 400, "{path} at depth {depth}");
            assert!(
                code == "MalformedXML" || capped,
                "{path} at depth {depth}: {code}"
            );
        }
    }
    // Nothing changed.
    assert_eq!(s.get_bytes("hostile", "k").await, b"kept");
    let tags = s.client.get_bucket_tagging().bucket("hostile").send().await;
    assert!(tags.is_err(), "no tag set was stored");
    let resp = s.send_signed(http::Method::GET, "/hostile?cors").await;
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "NoSuchCORSConfiguration"
    );
}

/// Keys that look like paths out of the data directory are just keys: stored, listed and
/// read back exactly, and no file appears outside the data directory.
#[tokio::test]
async fn path_traversal_keys_never_touch_the_filesystem_outside() {
    let s = TestServer::with_bucket("paths").await;
    let keys = [
        "../escape",
        "../../../../../../tmp/escape",
        "a/../../escape",
        "..\\..\\escape",
        "%2e%2e%2fescape",
        "./.",
        "....//....//escape",
    ];
    for key in keys {
        s.put("paths", key, format!("content of {key}")).await;
    }
    for key in keys {
        assert_eq!(
            s.get_bytes("paths", key).await,
            format!("content of {key}").into_bytes(),
            "{key}"
        );
    }
    let listed = s
        .client
        .list_objects_v2()
        .bucket("paths")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(keys.len() as i32));
    // The server's temporary root holds its data directory and nothing else.
    let entries: Vec<String> = std::fs::read_dir(s.dir.path())
        .expect("temp root")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["data"]);
    // A raw request whose path climbs out is still a key of the bucket.
    let resp = s.send_signed(http::Method::GET, "/paths/..%2Fescape").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "content of ../escape");
}
