//! Multipart checksums of both types and GetObjectAttributes, with aws-sdk-s3: COMPOSITE
//! (a checksum of the parts' checksums, `-N`) and FULL_OBJECT (the CRC of the whole object,
//! combined from the parts' CRCs) for every algorithm S3 allows, each value compared with
//! one computed here from the bytes; a wrong whole-object checksum at completion refused
//! with the upload kept; GetObjectAttributes' ETag, checksum, parts (paged), storage class
//! and size, of any version.

use aws_sdk_s3::types::{
    ChecksumAlgorithm as SdkAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload,
    CompletedPart, ObjectAttributes,
};
use base64::Engine as _;
use storage::{ChecksumAlgorithm, Checksummer};

use crate::support::server::{expect_code, pattern, TestServer};

const BUCKET: &str = "sums";
const PART: usize = 5 * 1024 * 1024;

fn b64(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

fn sdk(algorithm: ChecksumAlgorithm) -> SdkAlgorithm {
    match algorithm {
        ChecksumAlgorithm::Crc32 => SdkAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c => SdkAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme => SdkAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1 => SdkAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256 => SdkAlgorithm::Sha256,
    }
}

/// Upload `parts` under `key` with `algorithm` and `kind`; returns the upload id and the
/// completed-part list (with the part checksums the server answered).
async fn upload(
    s: &TestServer,
    key: &str,
    algorithm: ChecksumAlgorithm,
    kind: Option<ChecksumType>,
    parts: &[Vec<u8>],
) -> (String, Vec<CompletedPart>) {
    let created = s
        .client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .checksum_algorithm(sdk(algorithm))
        .set_checksum_type(kind.clone())
        .send()
        .await
        .expect("create");
    let expected_type = kind.unwrap_or(if algorithm == ChecksumAlgorithm::Crc64Nvme {
        ChecksumType::FullObject
    } else {
        ChecksumType::Composite
    });
    assert_eq!(
        created.checksum_type(),
        Some(&expected_type),
        "{algorithm:?}"
    );
    let id = created.upload_id().expect("id").to_owned();
    let mut done = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let out = s
            .client
            .upload_part()
            .bucket(BUCKET)
            .key(key)
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .checksum_algorithm(sdk(algorithm))
            .body(data.clone().into())
            .send()
            .await
            .expect("part");
        let part_sum = b64(&Checksummer::digest(algorithm, data));
        let answered = match algorithm {
            ChecksumAlgorithm::Crc32 => out.checksum_crc32(),
            ChecksumAlgorithm::Crc32c => out.checksum_crc32_c(),
            ChecksumAlgorithm::Crc64Nvme => out.checksum_crc64_nvme(),
            ChecksumAlgorithm::Sha1 => out.checksum_sha1(),
            ChecksumAlgorithm::Sha256 => out.checksum_sha256(),
        };
        assert_eq!(answered, Some(part_sum.as_str()), "part {i} {algorithm:?}");
        let mut part = CompletedPart::builder()
            .part_number(i as i32 + 1)
            .e_tag(out.e_tag().expect("etag"));
        part = match algorithm {
            ChecksumAlgorithm::Crc32 => part.checksum_crc32(part_sum),
            ChecksumAlgorithm::Crc32c => part.checksum_crc32_c(part_sum),
            ChecksumAlgorithm::Crc64Nvme => part.checksum_crc64_nvme(part_sum),
            ChecksumAlgorithm::Sha1 => part.checksum_sha1(part_sum),
            ChecksumAlgorithm::Sha256 => part.checksum_sha256(part_sum),
        };
        done.push(part.build());
    }
    (id, done)
}

/// The stored checksum GetObject answers in checksum mode, with its type.
async fn stored_checksum(s: &TestServer, key: &str) -> (Option<String>, Option<ChecksumType>) {
    let out = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    let value = [
        out.checksum_crc32(),
        out.checksum_crc32_c(),
        out.checksum_crc64_nvme(),
        out.checksum_sha1(),
        out.checksum_sha256(),
    ]
    .into_iter()
    .flatten()
    .next()
    .map(str::to_owned);
    (value, out.checksum_type().cloned())
}

#[tokio::test]
async fn composite_and_full_object_checksums_of_every_allowed_pair() {
    let s = TestServer::with_bucket(BUCKET).await;
    let parts = vec![pattern(PART, 1), pattern(PART, 2), pattern(1234, 3)];
    let whole: Vec<u8> = parts.concat();
    let cases = [
        (ChecksumAlgorithm::Crc32, ChecksumType::Composite),
        (ChecksumAlgorithm::Crc32c, ChecksumType::Composite),
        (ChecksumAlgorithm::Sha1, ChecksumType::Composite),
        (ChecksumAlgorithm::Sha256, ChecksumType::Composite),
        (ChecksumAlgorithm::Crc32, ChecksumType::FullObject),
        (ChecksumAlgorithm::Crc32c, ChecksumType::FullObject),
        (ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject),
    ];
    for (algorithm, kind) in cases {
        let key = format!("{algorithm:?}-{}", kind.as_str());
        let (id, done) = upload(&s, &key, algorithm, Some(kind.clone()), &parts).await;
        let expected = if kind == ChecksumType::FullObject {
            b64(&Checksummer::digest(algorithm, &whole))
        } else {
            let concat: Vec<u8> = parts
                .iter()
                .flat_map(|p| Checksummer::digest(algorithm, p))
                .collect();
            format!(
                "{}-{}",
                b64(&Checksummer::digest(algorithm, &concat)),
                parts.len()
            )
        };
        let mut complete = s
            .client
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key(&key)
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(done))
                    .build(),
            );
        // A client that knows the object's checksum sends it, in the composite form
        // (`<base64>-<parts>`, as SDKs send it) or the full-object form, with the type;
        // it is verified.
        complete = match algorithm {
            ChecksumAlgorithm::Crc32 => complete.checksum_crc32(&expected),
            ChecksumAlgorithm::Crc32c => complete.checksum_crc32_c(&expected),
            ChecksumAlgorithm::Crc64Nvme => complete.checksum_crc64_nvme(&expected),
            ChecksumAlgorithm::Sha1 => complete.checksum_sha1(&expected),
            ChecksumAlgorithm::Sha256 => complete.checksum_sha256(&expected),
        };
        let out = complete
            .checksum_type(kind.clone())
            .send()
            .await
            .expect("complete");
        assert_eq!(out.checksum_type(), Some(&kind), "{key}");
        let answered = [
            out.checksum_crc32(),
            out.checksum_crc32_c(),
            out.checksum_crc64_nvme(),
            out.checksum_sha1(),
            out.checksum_sha256(),
        ];
        assert_eq!(
            answered.into_iter().flatten().collect::<Vec<_>>(),
            [expected.as_str()],
            "{key}: the Complete answer"
        );
        assert_eq!(
            stored_checksum(&s, &key).await,
            (Some(expected), Some(kind)),
            "{key}"
        );
    }
}

#[tokio::test]
async fn a_wrong_whole_object_checksum_keeps_the_upload() {
    let s = TestServer::with_bucket(BUCKET).await;
    let parts = vec![pattern(PART, 4), pattern(10, 5)];
    let (id, done) = upload(
        &s,
        "k",
        ChecksumAlgorithm::Crc32,
        Some(ChecksumType::FullObject),
        &parts,
    )
    .await;
    let complete = || {
        s.client
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(done.clone()))
                    .build(),
            )
    };
    expect_code(
        complete().checksum_crc32(b64(&[0, 0, 0, 0])).send().await,
        "BadDigest",
    );
    // A composite value (`-N`) for a FULL_OBJECT upload, a part count that is not the
    // list's, a type other than the upload's, a value that is not base64 of the right
    // length: refused, nothing written.
    let whole = b64(&Checksummer::digest(
        ChecksumAlgorithm::Crc32,
        &parts.concat(),
    ));
    expect_code(
        complete().checksum_crc32(format!("{whole}-2")).send().await,
        "InvalidRequest",
    );
    expect_code(
        complete().checksum_crc32(format!("{whole}-3")).send().await,
        "BadDigest",
    );
    expect_code(
        complete()
            .checksum_type(ChecksumType::Composite)
            .send()
            .await,
        "InvalidRequest",
    );
    for bad in ["AAAA", "not base64!", "AAAAAA==-x", "AAAAAA==-0"] {
        expect_code(
            complete().checksum_crc32(bad).send().await,
            "InvalidRequest",
        );
    }
    // The expected object size, when sent, is checked too.
    expect_code(
        complete().mpu_object_size(PART as i64).send().await,
        "InvalidRequest",
    );
    assert_eq!(
        s.get_error(BUCKET, "k").await,
        "NoSuchKey",
        "nothing written"
    );
    let right = b64(&Checksummer::digest(
        ChecksumAlgorithm::Crc32,
        &parts.concat(),
    ));
    complete()
        .checksum_crc32(right)
        .send()
        .await
        .expect("the upload is still there");

    // Pairs S3 does not support are refused when the upload is created.
    for (algorithm, kind) in [
        (SdkAlgorithm::Sha256, ChecksumType::FullObject),
        (SdkAlgorithm::Sha1, ChecksumType::FullObject),
        (SdkAlgorithm::Crc64Nvme, ChecksumType::Composite),
    ] {
        expect_code(
            s.client
                .create_multipart_upload()
                .bucket(BUCKET)
                .key("x")
                .checksum_algorithm(algorithm)
                .checksum_type(kind)
                .send()
                .await,
            "InvalidRequest",
        );
    }
}

#[tokio::test]
async fn get_object_attributes() {
    let s = TestServer::with_bucket(BUCKET).await;
    let parts = vec![pattern(PART, 6), pattern(PART, 7), pattern(99, 8)];
    let (id, done) = upload(&s, "mp", ChecksumAlgorithm::Crc32c, None, &parts).await;
    let completed = s
        .client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let all = [
        ObjectAttributes::Etag,
        ObjectAttributes::Checksum,
        ObjectAttributes::ObjectParts,
        ObjectAttributes::StorageClass,
        ObjectAttributes::ObjectSize,
    ];
    let out = s
        .client
        .get_object_attributes()
        .bucket(BUCKET)
        .key("mp")
        .set_object_attributes(Some(all.to_vec()))
        .max_parts(2)
        .send()
        .await
        .expect("attributes");
    assert_eq!(
        out.e_tag(),
        completed.e_tag().map(|e| e.trim_matches('"')),
        "unquoted ETag"
    );
    assert_eq!(out.object_size(), Some(parts.concat().len() as i64));
    assert_eq!(out.storage_class().map(|c| c.as_str()), Some("STANDARD"));
    assert!(out.last_modified().is_some());
    let checksum = out.checksum().expect("checksum");
    assert_eq!(checksum.checksum_type(), Some(&ChecksumType::Composite));
    assert_eq!(checksum.checksum_crc32_c(), completed.checksum_crc32_c());
    let page = out.object_parts().expect("parts");
    assert_eq!(page.total_parts_count(), Some(3));
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.next_part_number_marker(), Some("2"));
    let listed: Vec<(Option<i32>, Option<i64>, Option<String>)> = page
        .parts()
        .iter()
        .map(|p| {
            (
                p.part_number(),
                p.size(),
                p.checksum_crc32_c().map(str::to_owned),
            )
        })
        .collect();
    let expected: Vec<_> = parts[..2]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                Some(i as i32 + 1),
                Some(p.len() as i64),
                Some(b64(&Checksummer::digest(ChecksumAlgorithm::Crc32c, p))),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    let rest = s
        .client
        .get_object_attributes()
        .bucket(BUCKET)
        .key("mp")
        .object_attributes(ObjectAttributes::ObjectParts)
        .part_number_marker("2")
        .send()
        .await
        .expect("second page");
    let page = rest.object_parts().expect("parts");
    assert_eq!(page.parts().len(), 1);
    assert_eq!(page.parts()[0].part_number(), Some(3));
    assert_eq!(page.is_truncated(), Some(false));
    assert!(
        rest.e_tag().is_none() && rest.object_size().is_none(),
        "only what was asked"
    );

    // A plain object has no parts; a missing key is NoSuchKey.
    s.put(BUCKET, "plain", "hello").await;
    let plain = s
        .client
        .get_object_attributes()
        .bucket(BUCKET)
        .key("plain")
        .set_object_attributes(Some(all.to_vec()))
        .send()
        .await
        .expect("plain");
    assert!(plain.object_parts().is_none());
    assert_eq!(plain.object_size(), Some(5));
    assert_eq!(plain.e_tag(), Some("5d41402abc4b2a76b9719d911017c592"));
    expect_code(
        s.client
            .get_object_attributes()
            .bucket(BUCKET)
            .key("missing")
            .object_attributes(ObjectAttributes::Etag)
            .send()
            .await,
        "NoSuchKey",
    );
}
