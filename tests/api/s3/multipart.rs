//! Multipart uploads through aws-sdk-s3 (every operation and error of the family), the
//! aws CLI copying 200 MiB up and down, boto3's threaded transfer manager, and an
//! ignored 2 GiB bounded-memory run. Expected ETags and checksums are computed here from
//! the bytes sent, by the S3 formulas, never read back from the server.
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>

use std::io::{Read as _, Write as _};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use md5::Digest as _;
use storage::Checksummer;

use crate::support::process::{aws, aws_command, boto3_script, ServeProcess};
use crate::support::server::{code, expect_code, pattern, prefixes_of, user_meta, TestServer};

const MIB: usize = 1024 * 1024;
const BUCKET: &str = "multipart";

/// A server whose minimum part size is 1 KiB, so tests can use small parts.
async fn small_parts_server() -> TestServer {
    let s = TestServer::start_with(|c| c.storage.min_part_size = 1024).await;
    s.create_bucket(BUCKET).await;
    s
}

fn md5(data: &[u8]) -> [u8; 16] {
    md5::Md5::digest(data).into()
}

/// S3's multipart ETag: `hex(md5(concat(binary part md5s)))-N`, quoted as in responses.
fn expected_etag(parts: &[&[u8]]) -> String {
    let mut cat = Vec::new();
    for p in parts {
        cat.extend_from_slice(&md5(p));
    }
    format!("\"{}-{}\"", hex::encode(md5(&cat)), parts.len())
}

fn b64(raw: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// S3's COMPOSITE CRC32: `base64(crc32(concat(raw big-endian part crc32s)))-N`.
fn expected_composite_crc32(parts: &[&[u8]]) -> String {
    let mut cat = Vec::new();
    for p in parts {
        cat.extend(Checksummer::digest(storage::ChecksumAlgorithm::Crc32, p));
    }
    let outer = Checksummer::digest(storage::ChecksumAlgorithm::Crc32, &cat);
    format!("{}-{}", b64(&outer), parts.len())
}

async fn create(s: &TestServer, key: &str) -> String {
    s.client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("create upload")
        .upload_id
        .expect("upload id")
}

async fn upload_part(s: &TestServer, key: &str, id: &str, n: i32, data: &[u8]) -> CompletedPart {
    let out = s
        .client
        .upload_part()
        .bucket(BUCKET)
        .key(key)
        .upload_id(id)
        .part_number(n)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .expect("upload part");
    let etag = out.e_tag.expect("part etag");
    assert_eq!(etag, format!("\"{}\"", hex::encode(md5(data))), "part {n}");
    CompletedPart::builder().part_number(n).e_tag(etag).build()
}

fn completed(parts: Vec<CompletedPart>) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(parts))
        .build()
}

async fn complete(
    s: &TestServer,
    key: &str,
    id: &str,
    parts: Vec<CompletedPart>,
) -> Result<aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput, String>
{
    s.client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(id)
        .multipart_upload(completed(parts))
        .send()
        .await
        .map_err(|e| code(&e))
}

async fn body_bytes(body: ByteStream) -> Vec<u8> {
    body.collect().await.expect("body").into_bytes().to_vec()
}

#[tokio::test]
async fn create_keeps_metadata_content_type_and_checksum_on_the_object() {
    let s = small_parts_server().await;
    let id = s
        .client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("doc.txt")
        .content_type("text/plain; charset=utf-8")
        .metadata("colour", "blue")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .expect("create")
        .upload_id
        .expect("id");
    let data = [pattern(6000, 1), pattern(5000, 2), pattern(1234, 3)];
    let mut parts = Vec::new();
    for (i, d) in data.iter().enumerate() {
        let out = s
            .client
            .upload_part()
            .bucket(BUCKET)
            .key("doc.txt")
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(d.clone()))
            .send()
            .await
            .expect("upload part");
        let crc = b64(&Checksummer::digest(storage::ChecksumAlgorithm::Crc32, d));
        assert_eq!(out.checksum_crc32.as_deref(), Some(crc.as_str()));
        parts.push(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(out.e_tag.expect("etag"))
                .checksum_crc32(crc)
                .build(),
        );
    }
    let listed = s
        .client
        .list_parts()
        .bucket(BUCKET)
        .key("doc.txt")
        .upload_id(&id)
        .send()
        .await
        .expect("list parts");
    assert_eq!(listed.checksum_algorithm, Some(ChecksumAlgorithm::Crc32));
    assert_eq!(listed.parts().len(), 3);
    assert_eq!(listed.parts()[1].size, Some(5000));

    // A listed part checksum that does not match the uploaded part is refused, and the
    // upload stays completable.
    let mut wrong = parts.clone();
    wrong[1] = CompletedPart::builder()
        .part_number(2)
        .e_tag(parts[1].e_tag().expect("etag"))
        .checksum_crc32(b64(&Checksummer::digest(
            storage::ChecksumAlgorithm::Crc32,
            b"other bytes",
        )))
        .build();
    let err = complete(&s, "doc.txt", &id, wrong)
        .await
        .expect_err("checksum mismatch");
    assert_eq!(err, "InvalidPart");

    let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    let out = complete(&s, "doc.txt", &id, parts).await.expect("complete");
    assert_eq!(out.e_tag.as_deref(), Some(expected_etag(&refs).as_str()));
    let composite = expected_composite_crc32(&refs);
    assert_eq!(out.checksum_crc32.as_deref(), Some(composite.as_str()));

    let head = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key("doc.txt")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(user_meta(head.metadata(), "colour"), Some("blue"));
    assert_eq!(head.content_length(), Some(12234));
    assert_eq!(head.checksum_crc32(), Some(composite.as_str()));
    assert_eq!(
        head.checksum_type(),
        Some(&aws_sdk_s3::types::ChecksumType::Composite)
    );
    assert_eq!(head.e_tag(), Some(expected_etag(&refs).as_str()));
    assert_eq!(s.get_bytes(BUCKET, "doc.txt").await, data.concat());
}

#[tokio::test]
async fn part_numbers_are_1_to_10000_and_reupload_replaces() {
    let s = small_parts_server().await;
    let id = create(&s, "k").await;
    for bad in [0, 10_001] {
        let err = s
            .client
            .upload_part()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .part_number(bad)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect_err("out of range part number");
        assert_eq!(code(&err), "InvalidArgument", "part {bad}");
    }
    let first = pattern(2000, 4);
    let second = pattern(2500, 5);
    let old = upload_part(&s, "k", &id, 1, &first).await;
    let new = upload_part(&s, "k", &id, 1, &second).await;
    let last = upload_part(&s, "k", &id, 10_000, b"tail").await;
    let listed = s
        .client
        .list_parts()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .expect("list parts");
    let numbers: Vec<i32> = listed
        .parts()
        .iter()
        .filter_map(|p| p.part_number)
        .collect();
    assert_eq!(numbers, [1, 10_000]);
    assert_eq!(listed.parts()[0].e_tag(), new.e_tag());
    assert_eq!(listed.parts()[0].size, Some(2500));

    assert_eq!(
        complete(&s, "k", &id, vec![old, last.clone()])
            .await
            .expect_err("replaced part's ETag"),
        "InvalidPart"
    );
    complete(&s, "k", &id, vec![new, last])
        .await
        .expect("complete");
    assert_eq!(
        s.get_bytes(BUCKET, "k").await,
        [&second[..], b"tail"].concat()
    );
}

#[tokio::test]
async fn parts_uploaded_concurrently() {
    let s = small_parts_server().await;
    let id = create(&s, "par").await;
    let data: Vec<Vec<u8>> = (0..8)
        .map(|i| pattern(100_000 + i * 777, i as u8))
        .collect();
    // Uploaded in reverse order, all at once.
    let uploads = data
        .iter()
        .enumerate()
        .rev()
        .map(|(i, d)| upload_part(&s, "par", &id, i as i32 + 1, d));
    let mut parts = futures::future::join_all(uploads).await;
    parts.sort_by_key(|p| p.part_number);
    let out = complete(&s, "par", &id, parts).await.expect("complete");
    let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    assert_eq!(out.e_tag.as_deref(), Some(expected_etag(&refs).as_str()));
    assert!(s.get_bytes(BUCKET, "par").await == data.concat());
}

#[tokio::test]
async fn upload_part_copy_with_range_and_conditions() {
    let s = small_parts_server().await;
    let src = pattern(20_000, 9);
    s.put(BUCKET, "src", src.clone()).await;
    let src_etag = format!("\"{}\"", hex::encode(md5(&src)));
    let id = create(&s, "dst").await;
    let copy = |n: i32| {
        s.client
            .upload_part_copy()
            .bucket(BUCKET)
            .key("dst")
            .upload_id(&id)
            .part_number(n)
            .copy_source(format!("{BUCKET}/src"))
    };

    let p1 = copy(1)
        .copy_source_range("bytes=100-5099")
        .send()
        .await
        .expect("ranged copy");
    let p1_etag = p1.copy_part_result().and_then(|r| r.e_tag()).expect("etag");
    assert_eq!(
        p1_etag,
        format!("\"{}\"", hex::encode(md5(&src[100..5100])))
    );

    // S3 answers InvalidArgument both for a malformed range and for one reaching past the
    // end of the source ("Range specified is not valid for source object of size: N");
    // it never clamps a copy range.
    for range in [
        "0-100",
        "bytes=100-",
        "bytes=-100",
        "bytes=19000-20000",
        "bytes=500-400",
    ] {
        let err = copy(3)
            .copy_source_range(range)
            .send()
            .await
            .expect_err(range);
        assert_eq!(code(&err), "InvalidArgument", "{range}");
    }
    for (what, req) in [
        ("if-match wrong", copy(2).copy_source_if_match("\"0123\"")),
        (
            "if-none-match",
            copy(2).copy_source_if_none_match(&src_etag),
        ),
        (
            "if-unmodified-since past",
            copy(2).copy_source_if_unmodified_since(aws_smithy_types::DateTime::from_secs(
                1_000_000_000,
            )),
        ),
    ] {
        let err = req.send().await.expect_err(what);
        assert_eq!(code(&err), "PreconditionFailed", "{what}");
    }
    let p2 = copy(2)
        .copy_source_if_match(&src_etag)
        .send()
        .await
        .expect("conditional copy");
    let p2_etag = p2.copy_part_result().and_then(|r| r.e_tag()).expect("etag");
    assert_eq!(p2_etag, src_etag);

    let parts = vec![
        CompletedPart::builder()
            .part_number(1)
            .e_tag(p1_etag)
            .build(),
        CompletedPart::builder()
            .part_number(2)
            .e_tag(p2_etag)
            .build(),
    ];
    let out = complete(&s, "dst", &id, parts).await.expect("complete");
    assert_eq!(
        out.e_tag.as_deref(),
        Some(expected_etag(&[&src[100..5100], &src]).as_str())
    );
    assert!(s.get_bytes(BUCKET, "dst").await == [&src[100..5100], &src[..]].concat());
}

#[tokio::test]
async fn complete_rejects_bad_part_lists() {
    let s = small_parts_server().await;
    let id = create(&s, "k").await;
    let a = pattern(3000, 1);
    let b = pattern(2000, 2);
    let p1 = upload_part(&s, "k", &id, 1, &a).await;
    let p2 = upload_part(&s, "k", &id, 2, &b).await;
    let cases = [
        (
            "descending",
            vec![p2.clone(), p1.clone()],
            "InvalidPartOrder",
        ),
        ("repeated", vec![p1.clone(), p1.clone()], "InvalidPartOrder"),
        (
            "unknown part",
            vec![
                p1.clone(),
                CompletedPart::builder()
                    .part_number(3)
                    .e_tag(p2.e_tag().unwrap_or_default())
                    .build(),
            ],
            "InvalidPart",
        ),
        (
            "wrong etag",
            vec![
                p1.clone(),
                CompletedPart::builder()
                    .part_number(2)
                    .e_tag(format!("\"{}\"", hex::encode(md5(b"other"))))
                    .build(),
            ],
            "InvalidPart",
        ),
        ("empty list", vec![], "MalformedXML"),
    ];
    for (what, parts, want) in cases {
        let got = complete(&s, "k", &id, parts).await.expect_err(what);
        assert_eq!(got, want, "{what}");
    }
    // None of the failures consumed the upload.
    let out = complete(&s, "k", &id, vec![p1.clone(), p2.clone()])
        .await
        .expect("complete");
    assert_eq!(
        out.e_tag.as_deref(),
        Some(expected_etag(&[&a, &b]).as_str())
    );
    // A retry after success (an SDK whose answer was lost) gets the same answer, as on AWS,
    // while the object it made is still the key's; after that the id is gone for good.
    let retried = complete(&s, "k", &id, vec![p1.clone(), p2.clone()])
        .await
        .expect("retried completion");
    assert_eq!(retried.e_tag, out.e_tag);
    s.put(BUCKET, "k", "replaced").await;
    assert_eq!(
        complete(&s, "k", &id, vec![p1, p2])
            .await
            .expect_err("reused upload id"),
        "NoSuchUpload"
    );
}

/// With S3's real 5 MiB minimum: a small part that is not last is rejected, and the same
/// upload completes without it.
#[tokio::test]
async fn entity_too_small_below_5_mib_unless_last() {
    let s = TestServer::start().await;
    s.create_bucket(BUCKET).await;
    let id = create(&s, "big").await;
    let big = pattern(5 * MIB, 1);
    let small = pattern(1000, 2);
    let tail = pattern(10, 3);
    let p1 = upload_part(&s, "big", &id, 1, &big).await;
    let p2 = upload_part(&s, "big", &id, 2, &small).await;
    let p3 = upload_part(&s, "big", &id, 3, &tail).await;
    assert_eq!(
        complete(&s, "big", &id, vec![p1.clone(), p2, p3.clone()])
            .await
            .expect_err("small middle part"),
        "EntityTooSmall"
    );
    let out = complete(&s, "big", &id, vec![p1, p3])
        .await
        .expect("parts 1 and 3");
    assert_eq!(
        out.e_tag.as_deref(),
        Some(expected_etag(&[&big, &tail]).as_str())
    );
    assert!(s.get_bytes(BUCKET, "big").await == [&big[..], &tail[..]].concat());
}

#[tokio::test]
async fn abort_then_no_such_upload() {
    let s = small_parts_server().await;
    let id = create(&s, "k").await;
    upload_part(&s, "k", &id, 1, b"staged").await;
    s.client
        .abort_multipart_upload()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .expect("abort");
    expect_code(
        s.client
            .upload_part()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .part_number(2)
            .body(ByteStream::from_static(b"late"))
            .send()
            .await,
        "NoSuchUpload",
    );
    expect_code(
        s.client
            .list_parts()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .send()
            .await,
        "NoSuchUpload",
    );
    expect_code(
        s.client
            .abort_multipart_upload()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .send()
            .await,
        "NoSuchUpload",
    );
    let uploads = s
        .client
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list uploads");
    assert!(uploads.uploads().is_empty());
    // The upload id is bound to its key.
    let other = create(&s, "k2").await;
    expect_code(
        s.client
            .list_parts()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&other)
            .send()
            .await,
        "NoSuchUpload",
    );
}

#[tokio::test]
async fn list_parts_pages() {
    let s = small_parts_server().await;
    let id = create(&s, "k").await;
    for n in 1..=7 {
        upload_part(&s, "k", &id, n, &pattern(100 + n as usize, n as u8)).await;
    }
    let mut marker: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = s
            .client
            .list_parts()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .max_parts(3)
            .set_part_number_marker(marker.clone())
            .send()
            .await
            .expect("list parts");
        assert_eq!(page.max_parts, Some(3));
        let numbers: Vec<i32> = page.parts().iter().filter_map(|p| p.part_number).collect();
        let truncated = page.is_truncated == Some(true);
        pages.push((numbers, truncated));
        if !truncated {
            break;
        }
        marker = page.next_part_number_marker.clone();
        assert!(marker.is_some(), "a truncated page names the next marker");
    }
    assert_eq!(
        pages,
        [
            (vec![1, 2, 3], true),
            (vec![4, 5, 6], true),
            (vec![7], false)
        ]
    );
    let sizes: Vec<i64> = s
        .client
        .list_parts()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .part_number_marker("5")
        .send()
        .await
        .expect("list parts")
        .parts()
        .iter()
        .filter_map(|p| p.size)
        .collect();
    assert_eq!(sizes, [106, 107]);
}

#[tokio::test]
async fn list_multipart_uploads_filters_and_pages() {
    let s = small_parts_server().await;
    let mut ids = std::collections::BTreeMap::<&str, Vec<String>>::new();
    for key in ["a/1", "a/2", "b", "b", "c/x/y", "d"] {
        ids.entry(key).or_default().push(create(&s, key).await);
    }
    let list = |s: &TestServer| s.client.list_multipart_uploads().bucket(BUCKET);
    let keys = |out: &aws_sdk_s3::operation::list_multipart_uploads::ListMultipartUploadsOutput| {
        out.uploads()
            .iter()
            .map(|u| u.key().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };

    let out = list(&s).prefix("a/").send().await.expect("prefix");
    assert_eq!(keys(&out), ["a/1", "a/2"]);

    let out = list(&s).delimiter("/").send().await.expect("delimiter");
    assert_eq!(keys(&out), ["b", "b", "d"]);
    let prefixes = prefixes_of(out.common_prefixes());
    assert_eq!(prefixes, ["a/", "c/"]);

    let out = list(&s)
        .prefix("c/")
        .delimiter("/")
        .send()
        .await
        .expect("c/");
    let prefixes = prefixes_of(out.common_prefixes());
    assert_eq!(prefixes, ["c/x/"]);

    // A key marker alone skips every upload of that key.
    let out = list(&s).key_marker("b").send().await.expect("key marker");
    assert_eq!(keys(&out), ["c/x/y", "d"]);
    // With an upload-id marker: the uploads of that key after that id.
    let out = list(&s)
        .key_marker("b")
        .upload_id_marker(&ids["b"][0])
        .send()
        .await
        .expect("upload id marker");
    assert_eq!(keys(&out), ["b", "c/x/y", "d"]);
    assert_eq!(out.uploads()[0].upload_id(), Some(ids["b"][1].as_str()));

    // Pages of two concatenate to the whole listing, ids included.
    let mut seen = Vec::new();
    let (mut km, mut um): (Option<String>, Option<String>) = (None, None);
    for page_no in 0.. {
        assert!(page_no < 10, "paging does not terminate");
        let out = list(&s)
            .max_uploads(2)
            .set_key_marker(km.clone())
            .set_upload_id_marker(um.clone())
            .send()
            .await
            .expect("page");
        assert_eq!(out.max_uploads, Some(2));
        assert!(out.uploads().len() <= 2);
        for u in out.uploads() {
            seen.push((
                u.key().unwrap_or_default().to_owned(),
                u.upload_id().unwrap_or_default().to_owned(),
            ));
        }
        if out.is_truncated != Some(true) {
            break;
        }
        km = out.next_key_marker.clone();
        um = out.next_upload_id_marker.clone();
    }
    let want: Vec<(String, String)> = ids
        .iter()
        .flat_map(|(k, v)| v.iter().map(|id| ((*k).to_owned(), id.clone())))
        .collect();
    assert_eq!(seen, want);
}

#[tokio::test]
async fn part_number_and_range_reads_of_a_multipart_object() {
    let s = small_parts_server().await;
    let id = create(&s, "obj").await;
    let data = [pattern(3000, 1), pattern(2000, 2), pattern(1500, 3)];
    let mut parts = Vec::new();
    for (i, d) in data.iter().enumerate() {
        parts.push(upload_part(&s, "obj", &id, i as i32 + 1, d).await);
    }
    complete(&s, "obj", &id, parts).await.expect("complete");
    let all = data.concat();

    let out = s
        .client
        .get_object()
        .bucket(BUCKET)
        .key("obj")
        .part_number(2)
        .send()
        .await
        .expect("get part 2");
    assert_eq!(out.content_range(), Some("bytes 3000-4999/6500"));
    assert_eq!(out.parts_count(), Some(3));
    assert_eq!(out.content_length(), Some(2000));
    assert!(body_bytes(out.body).await == data[1]);

    let head = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key("obj")
        .part_number(3)
        .send()
        .await
        .expect("head part 3");
    assert_eq!(head.content_length(), Some(1500));
    assert_eq!(head.parts_count(), Some(3));
    assert_eq!(head.content_range(), Some("bytes 5000-6499/6500"));

    // The status is 206 for a part read, as for a range.
    let resp = s
        .signed(http::Method::GET, &format!("/{BUCKET}/obj?partNumber=1"))
        .send()
        .await
        .expect("raw get");
    assert_eq!(resp.status(), 206);
    assert_eq!(
        resp.headers()
            .get("x-amz-mp-parts-count")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );

    expect_code(
        s.client
            .get_object()
            .bucket(BUCKET)
            .key("obj")
            .part_number(4)
            .send()
            .await,
        "InvalidRange",
    );

    for (range, want) in [
        ("bytes=2990-3010", &all[2990..=3010]),
        ("bytes=2999-5000", &all[2999..=5000]),
        ("bytes=4999-4999", &all[4999..=4999]),
        ("bytes=0-6499", &all[..]),
        ("bytes=1000-", &all[1000..]),
        ("bytes=-3600", &all[6500 - 3600..]),
        ("bytes=6000-9999", &all[6000..]),
    ] {
        let out = s
            .client
            .get_object()
            .bucket(BUCKET)
            .key("obj")
            .range(range)
            .send()
            .await
            .expect(range);
        assert!(body_bytes(out.body).await == want, "{range}");
    }
}

/// The sweeper runs when the server starts, then hourly: a server configured with a zero
/// maximum age removes the uploads a previous run left, with their staged parts.
#[tokio::test]
async fn sweeper_removes_uploads_older_than_the_configured_age() {
    let mut s = small_parts_server().await;
    let id = create(&s, "stale").await;
    upload_part(&s, "stale", &id, 1, &pattern(5000, 1)).await;
    s.stop().await;
    let data_dir = s.dir.path().join("data");
    let blobs = |dir: &std::path::Path| {
        crate::support::server::files_under(&dir.join("blobs"))
            .into_iter()
            .filter(|p| p.is_file())
            .count()
    };
    assert_eq!(blobs(&data_dir), 1, "the staged part is a blob");

    let dir = data_dir.clone();
    let s2 = TestServer::start_with(move |c| {
        c.data_dir = dir;
        c.upload_max_age = Duration::ZERO;
    })
    .await;
    let mut left = usize::MAX;
    for _ in 0..100 {
        left = s2
            .client
            .list_multipart_uploads()
            .bucket(BUCKET)
            .send()
            .await
            .expect("list uploads")
            .uploads()
            .len();
        // The record goes first, then (after a flush) the part's file: wait for both.
        if left == 0 && blobs(&data_dir) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the stale upload was swept");
    expect_code(
        s2.client
            .list_parts()
            .bucket(BUCKET)
            .key("stale")
            .upload_id(&id)
            .send()
            .await,
        "NoSuchUpload",
    );
    assert_eq!(blobs(&data_dir), 0, "its staged part was deleted");
}

/// A file of `mib` MiB whose every MiB differs (so a misordered part would be caught),
/// written without holding it in memory; returns its MD5.
fn write_test_file(path: &std::path::Path, mib: usize) -> [u8; 16] {
    let mut block = pattern(MIB, 42);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut h = md5::Md5::new();
    for i in 0..mib {
        for off in (0..MIB).step_by(64 * 1024) {
            block[off..off + 8].copy_from_slice(&(i as u64).to_le_bytes());
        }
        file.write_all(&block).expect("write");
        h.update(&block);
    }
    file.flush().expect("flush");
    h.finalize().into()
}

fn file_md5(path: &std::path::Path) -> [u8; 16] {
    let mut file = std::fs::File::open(path).expect("open");
    let mut h = md5::Md5::new();
    let mut buf = vec![0u8; MIB];
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finalize().into()
}

/// The aws CLI splits 200 MiB into 8 MiB parts, uploaded concurrently, and downloads with
/// ranged GETs; the bytes come back identical and the ETag is the 25-part multipart ETag.
#[test]
fn aws_cli_copies_200_mib_up_and_down() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let ep = server.endpoint.clone();
    let up = tmp.path().join("up.bin");
    let sent = write_test_file(&up, 200);
    aws(&ep, &["s3", "mb", "s3://cli"]);
    aws(
        &ep,
        &["s3", "cp", up.to_str().expect("utf8"), "s3://cli/big.bin"],
    );
    let head = aws(
        &ep,
        &[
            "s3api",
            "head-object",
            "--bucket",
            "cli",
            "--key",
            "big.bin",
        ],
    );
    let head = String::from_utf8_lossy(&head.stdout);
    assert!(head.contains("209715200"), "{head}");
    assert!(head.contains("-25\\\""), "a 25-part ETag: {head}");
    let down = tmp.path().join("down.bin");
    aws(
        &ep,
        &["s3", "cp", "s3://cli/big.bin", down.to_str().expect("utf8")],
    );
    assert_eq!(
        file_md5(&down),
        sent,
        "200 MiB round trip through the aws CLI"
    );
    assert!(server.terminate().success());
}

/// boto3's transfer manager: 10 threads uploading 5 MiB parts of a 60 MiB file, then a
/// threaded download; the script exits non-zero on any mismatch.
#[test]
fn boto3_threaded_upload_file_and_download_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let out = boto3_script("boto3_multipart.py", &server.endpoint, tmp.path(), &[]);
    eprint!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(server.terminate().success());
}

/// 2 GiB streamed up (`aws s3 cp -`, 256 parts of 8 MiB) and down (to stdout, hashed on
/// the fly) against `originstore serve`; reports the server's peak RSS (VmHWM). Ignored:
/// it moves 4 GiB. Use a release server binary for a meaningful figure:
/// `cargo build --release --bin originstore && ORIGINSTORE_BIN=target/release/originstore
/// cargo test --test api multipart_2_gib -- --ignored --nocapture`.
#[test]
#[ignore = "2 GiB through the aws CLI; run explicitly, see the doc comment"]
fn multipart_2_gib_in_bounded_memory() {
    const SIZE_MIB: usize = 2048;
    const LIMIT_MIB: u64 = 256;
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = ServeProcess::start(&tmp.path().join("data"));
    let ep = server.endpoint.clone();
    aws(&ep, &["s3", "mb", "s3://mem"]);
    let started = std::time::Instant::now();

    let mut child = aws_command(&ep, &["s3", "cp", "-", "s3://mem/big"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("aws");
    let mut sent = md5::Md5::new();
    {
        let mut stdin = child.stdin.take().expect("stdin");
        let mut block = pattern(MIB, 7);
        for i in 0..SIZE_MIB {
            block[..8].copy_from_slice(&(i as u64).to_le_bytes());
            stdin.write_all(&block).expect("feed aws");
            sent.update(&block);
        }
    }
    assert!(child.wait().expect("wait").success(), "upload");
    let up_secs = started.elapsed().as_secs_f64();
    let after_upload = server.peak_rss_kib();

    let mut child = aws_command(&ep, &["s3", "cp", "s3://mem/big", "-"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("aws");
    let mut got = md5::Md5::new();
    let mut n = 0usize;
    {
        let mut stdout = child.stdout.take().expect("stdout");
        let mut buf = vec![0u8; MIB];
        loop {
            let r = stdout.read(&mut buf).expect("read aws");
            if r == 0 {
                break;
            }
            got.update(&buf[..r]);
            n += r;
        }
    }
    assert!(child.wait().expect("wait").success(), "download");
    let total_secs = started.elapsed().as_secs_f64();
    assert_eq!(n, SIZE_MIB * MIB);
    assert_eq!(got.finalize(), sent.finalize(), "2 GiB round trip");
    let peak = server.peak_rss_kib();
    eprintln!(
        "2 GiB multipart: server peak RSS after upload {} MiB, after download {} MiB; \
         upload {up_secs:.1} s, total {total_secs:.1} s",
        after_upload / 1024,
        peak / 1024
    );
    assert!(peak / 1024 < LIMIT_MIB, "peak RSS {} MiB", peak / 1024);
}
