//! Bucket quotas through the admin API and the S3 API: every write that would grow a bucket
//! past its quota is `403 QuotaExceeded` (PUT, copy, multipart completion), exactly at the
//! boundary under concurrent writers; a delete makes room; the usage is shown.

use crate::support::server::{expect_code, TestServer};

#[tokio::test]
async fn quotas_refuse_every_write_past_them_and_hold_under_concurrency() {
    let s = TestServer::start().await;
    s.create_bucket("capped").await;
    let (status, _) = s
        .admin(
            http::Method::PUT,
            "buckets/capped/quota",
            r#"{"max_bytes": 1000, "max_objects": 5}"#,
        )
        .await;
    assert_eq!(status, 200);
    s.put("capped", "big", vec![1u8; 600]).await;
    let c = &s.client;
    expect_code(
        c.put_object()
            .bucket("capped")
            .key("over")
            .body(vec![2u8; 500].into())
            .send()
            .await,
        "QuotaExceeded",
    );
    expect_code(
        c.copy_object()
            .bucket("capped")
            .key("copy")
            .copy_source("capped/big")
            .send()
            .await,
        "QuotaExceeded",
    );
    // A multipart completion is refused whole; the upload stays for later.
    let upload = c
        .create_multipart_upload()
        .bucket("capped")
        .key("multi")
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().expect("id");
    let part = c
        .upload_part()
        .bucket("capped")
        .key("multi")
        .upload_id(id)
        .part_number(1)
        .body(vec![3u8; 500].into())
        .send()
        .await
        .expect("part");
    let completed = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().expect("etag"))
                .build(),
        )
        .build();
    expect_code(
        c.complete_multipart_upload()
            .bucket("capped")
            .key("multi")
            .upload_id(id)
            .multipart_upload(completed.clone())
            .send()
            .await,
        "QuotaExceeded",
    );
    let (_, shown) = s.admin(http::Method::GET, "buckets/capped/quota", "").await;
    assert_eq!(shown["usage"]["bytes"], 600, "{shown}");
    assert_eq!(shown["quota"]["max_objects"], 5, "{shown}");

    // A delete makes room: the completion goes through now.
    c.delete_object()
        .bucket("capped")
        .key("big")
        .send()
        .await
        .expect("delete");
    c.complete_multipart_upload()
        .bucket("capped")
        .key("multi")
        .upload_id(id)
        .multipart_upload(completed)
        .send()
        .await
        .expect("complete after the delete");

    // Room left: 500 bytes and 4 objects. Of 16 concurrent 100-byte writers exactly 4 win:
    // the tighter bound decides, whoever races.
    let mut writers = Vec::new();
    for i in 0..16 {
        let c = c.clone();
        writers.push(tokio::spawn(async move {
            c.put_object()
                .bucket("capped")
                .key(format!("w{i}"))
                .body(vec![4u8; 100].into())
                .send()
                .await
                .is_ok()
        }));
    }
    let mut won = 0;
    for w in writers {
        won += usize::from(w.await.expect("join"));
    }
    assert_eq!(won, 4);
    let (_, shown) = s.admin(http::Method::GET, "buckets/capped/quota", "").await;
    assert_eq!(shown["usage"]["objects"], 5, "{shown}");
    assert_eq!(shown["usage"]["bytes"], 900, "{shown}");
    // Cleared: writes pass again.
    s.admin(http::Method::DELETE, "buckets/capped/quota", "")
        .await;
    s.put("capped", "free", vec![5u8; 2000]).await;
    let (status, _) = s
        .admin(http::Method::GET, "buckets/nothing-here/quota", "")
        .await;
    assert_eq!(status, 404);
}
