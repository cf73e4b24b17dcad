//! Conditional writes and deletes with aws-sdk-s3: `If-None-Match: *` and `If-Match` on
//! PutObject, CompleteMultipartUpload and CopyObject; `If-Match`, `x-amz-if-match-size` and
//! `x-amz-if-match-last-modified-time` on DeleteObject and the per-object `ETag` of
//! DeleteObjects. Racing writers: exactly one `If-None-Match: *` wins, and a lock-file
//! protocol like Terraform's S3 state locking keeps a read-modify-write counter exact.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::support::server::{code, completed, expect_code, xml_code, TestServer};

const BUCKET: &str = "cond";

async fn put_if(
    s: &TestServer,
    key: &str,
    body: &str,
    if_none_match: Option<&str>,
    if_match: Option<&str>,
) -> Result<String, String> {
    s.client
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(body.as_bytes().to_vec().into())
        .set_if_none_match(if_none_match.map(str::to_owned))
        .set_if_match(if_match.map(str::to_owned))
        .send()
        .await
        .map(|out| out.e_tag().unwrap_or_default().to_owned())
        .map_err(|e| code(&e))
}

#[tokio::test]
async fn put_object_conditions() {
    let s = TestServer::with_bucket(BUCKET).await;
    let first = put_if(&s, "k", "one", Some("*"), None)
        .await
        .expect("absent: written");
    assert_eq!(
        put_if(&s, "k", "two", Some("*"), None).await,
        Err("PreconditionFailed".into())
    );
    assert_eq!(
        s.get_bytes(BUCKET, "k").await,
        b"one",
        "a refused write changes nothing"
    );
    // If-Match: the current ETag, quoted or not.
    let second = put_if(&s, "k", "two", None, Some(&first))
        .await
        .expect("etag matches");
    assert_eq!(
        put_if(&s, "k", "three", None, Some(&first)).await,
        Err("PreconditionFailed".into()),
        "the ETag moved on"
    );
    put_if(&s, "k", "three", None, Some(second.trim_matches('"')))
        .await
        .expect("unquoted ETag");
    assert_eq!(
        put_if(&s, "missing", "x", None, Some(&first)).await,
        Err("NoSuchKey".into())
    );
    // If-None-Match takes only `*` on a write.
    assert_eq!(
        put_if(&s, "k", "x", Some(&first), None).await,
        Err("NotImplemented".into())
    );
    assert_eq!(s.get_bytes(BUCKET, "k").await, b"three");
}

#[tokio::test]
async fn a_current_delete_marker_counts_as_absent() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.set_versioning(BUCKET, aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        .await;
    put_if(&s, "k", "one", Some("*"), None)
        .await
        .expect("first");
    s.client
        .delete_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .expect("marker");
    put_if(&s, "k", "two", Some("*"), None)
        .await
        .expect("under a delete marker the key is absent");
}

/// 32 clients race to create one key with `If-None-Match: *`: exactly one wins, the rest
/// get 412, and the object is the winner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creates_have_exactly_one_winner() {
    let s = Arc::new(TestServer::with_bucket(BUCKET).await);
    let racers: Vec<_> = (0..32)
        .map(|i| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let body = format!("writer {i}");
                (
                    body.clone(),
                    put_if(&s, "race", &body, Some("*"), None).await,
                )
            })
        })
        .collect();
    let mut winners = Vec::new();
    for r in racers {
        match r.await.expect("task") {
            (body, Ok(_)) => winners.push(body),
            (_, Err(code)) => assert_eq!(code, "PreconditionFailed"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(s.get_bytes(BUCKET, "race").await, winners[0].as_bytes());
}

/// The object an `If-Match` PUT was checked against goes, or changes, while the body is
/// still arriving: 409 ConditionalRequestConflict, or 412; the other write stands.
#[tokio::test]
async fn a_change_during_the_upload_fails_the_conditional_write() {
    let s = TestServer::with_bucket(BUCKET).await;
    for (change, expected) in [("delete", 409), ("overwrite", 412)] {
        let etag = put_if(&s, "k", "original", None, None).await.expect("put");
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let chunks = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        });
        let body = reqwest::Body::wrap_stream(chunks);
        let mut headers = http::HeaderMap::new();
        headers.insert("if-match", etag.parse().expect("header"));
        let request = s
            .signed_with(http::Method::PUT, &format!("/{BUCKET}/k"), headers)
            .header("content-length", "8")
            .body(body);
        let pending = tokio::spawn(request.send());
        tx.send(Ok(b"half".to_vec())).await.expect("first half");
        // The server has checked the condition and is receiving the body: change the key.
        tokio::time::sleep(Duration::from_millis(200)).await;
        if change == "delete" {
            s.client
                .delete_object()
                .bucket(BUCKET)
                .key("k")
                .send()
                .await
                .expect("delete");
        } else {
            put_if(&s, "k", "newer", None, None)
                .await
                .expect("overwrite");
        }
        tx.send(Ok(b"done".to_vec())).await.expect("second half");
        drop(tx);
        let resp = pending.await.expect("task").expect("sent");
        assert_eq!(resp.status(), expected, "{change}");
        let body = resp.text().await.expect("body");
        let want = if expected == 409 {
            "ConditionalRequestConflict"
        } else {
            "PreconditionFailed"
        };
        assert_eq!(xml_code(&body), want, "{change}");
        if change == "delete" {
            assert_eq!(s.get_error(BUCKET, "k").await, "NoSuchKey");
        } else {
            assert_eq!(s.get_bytes(BUCKET, "k").await, b"newer");
        }
    }
}

#[tokio::test]
async fn complete_multipart_upload_and_copy_conditions() {
    let s = TestServer::with_bucket(BUCKET).await;
    let upload = |key: &'static str| {
        let s = &s;
        async move {
            let id = s
                .client
                .create_multipart_upload()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .expect("create")
                .upload_id()
                .expect("id")
                .to_owned();
            let etag = s
                .upload_part(BUCKET, key, &id, 1, b"part one".to_vec())
                .await;
            (id, etag)
        }
    };
    let complete =
        |key: &'static str, id: String, etag: String, none_match: Option<&'static str>| {
            s.client
                .complete_multipart_upload()
                .bucket(BUCKET)
                .key(key)
                .upload_id(id)
                .multipart_upload(completed(&[etag]))
                .set_if_none_match(none_match.map(str::to_owned))
                .send()
        };
    let (id, etag) = upload("mp").await;
    s.put(BUCKET, "mp", "already here").await;
    expect_code(
        complete("mp", id.clone(), etag.clone(), Some("*")).await,
        "PreconditionFailed",
    );
    // The upload survives a failed condition and completes without it.
    s.client
        .list_parts()
        .bucket(BUCKET)
        .key("mp")
        .upload_id(&id)
        .send()
        .await
        .expect("the upload is still there");
    complete("mp", id, etag, None).await.expect("complete");
    assert_eq!(s.get_bytes(BUCKET, "mp").await, b"part one");
    let (id, etag) = upload("fresh").await;
    complete("fresh", id, etag, Some("*"))
        .await
        .expect("absent key");

    // CopyObject's destination conditions.
    let copy = |none_match: Option<&str>, if_match: Option<&str>| {
        s.client
            .copy_object()
            .bucket(BUCKET)
            .key("mp")
            .copy_source(format!("{BUCKET}/fresh"))
            .set_if_none_match(none_match.map(str::to_owned))
            .set_if_match(if_match.map(str::to_owned))
            .send()
    };
    expect_code(copy(Some("*"), None).await, "PreconditionFailed");
    expect_code(copy(None, Some("\"0123\"")).await, "PreconditionFailed");
    let current = s.get_object(BUCKET, "mp").await;
    let current_etag = current.e_tag().expect("etag").to_owned();
    copy(None, Some(&current_etag))
        .await
        .expect("matching destination");
}

#[tokio::test]
async fn conditional_deletes() {
    let s = TestServer::with_bucket(BUCKET).await;
    let etag = put_if(&s, "k", "hello", None, None).await.expect("put");
    let delete = || s.client.delete_object().bucket(BUCKET).key("k");
    expect_code(
        delete().if_match("\"0123\"").send().await,
        "PreconditionFailed",
    );
    expect_code(
        delete().if_match_size(99).send().await,
        "PreconditionFailed",
    );
    expect_code(
        delete()
            .if_match_last_modified_time(aws_smithy_types::DateTime::from_secs(1_000_000_000))
            .send()
            .await,
        "PreconditionFailed",
    );
    assert_eq!(s.get_bytes(BUCKET, "k").await, b"hello", "nothing deleted");
    let modified = s
        .get_object(BUCKET, "k")
        .await
        .last_modified()
        .copied()
        .expect("date");
    delete()
        .if_match(&etag)
        .if_match_size(5)
        .if_match_last_modified_time(modified)
        .send()
        .await
        .expect("all hold");
    assert_eq!(s.get_error(BUCKET, "k").await, "NoSuchKey");
    expect_code(delete().if_match("*").send().await, "NoSuchKey");
    put_if(&s, "k", "again", None, None).await.expect("put");
    delete().if_match("*").send().await.expect("exists");

    // DeleteObjects: each entry's ETag is its condition.
    let a = put_if(&s, "a", "a", None, None).await.expect("a");
    put_if(&s, "b", "b", None, None).await.expect("b");
    let entry = |key: &str, etag: &str| {
        ObjectIdentifier::builder()
            .key(key)
            .e_tag(etag)
            .build()
            .expect("entry")
    };
    let out = s
        .client
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .objects(entry("a", &a))
                .objects(entry("b", "\"0123\""))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    let deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["a"]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].key(), Some("b"));
    assert_eq!(out.errors()[0].code(), Some("PreconditionFailed"));
    assert_eq!(s.keys(BUCKET).await, ["b"]);
}

/// Terraform's S3 locking, reduced: take a lock object with `If-None-Match: *`, do a
/// read-modify-write of a counter, release the lock with `If-Match` on its ETag. Eight
/// clients, five increments each: the counter ends exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_file_protocol_serialises_read_modify_write() {
    let s = Arc::new(TestServer::with_bucket(BUCKET).await);
    s.put(BUCKET, "counter", "0").await;
    let workers: Vec<_> = (0..8)
        .map(|i| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                for _ in 0..5 {
                    let lock = loop {
                        match put_if(&s, "state.tflock", &format!("holder {i}"), Some("*"), None)
                            .await
                        {
                            Ok(etag) => break etag,
                            Err(code) => {
                                assert_eq!(code, "PreconditionFailed");
                                tokio::time::sleep(Duration::from_millis(3)).await;
                            }
                        }
                    };
                    let n: u64 = String::from_utf8(s.get_bytes(BUCKET, "counter").await)
                        .expect("utf-8")
                        .parse()
                        .expect("number");
                    s.put(BUCKET, "counter", (n + 1).to_string()).await;
                    s.client
                        .delete_object()
                        .bucket(BUCKET)
                        .key("state.tflock")
                        .if_match(lock)
                        .send()
                        .await
                        .expect("release my own lock");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    assert_eq!(s.get_bytes(BUCKET, "counter").await, b"40");
}
