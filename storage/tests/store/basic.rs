//! Behaviour of each operation family, including the error cases the server maps to S3
//! errors.

use std::time::Duration;

use futures::StreamExt as _;
use storage::{
    ByteRange, ChecksumAlgorithm, Checksummer, CommitCondition, CompletedPart, Error, Expect,
    ObjectAttrs, UploadQuery,
};

use super::{blob_files, body, content, get, open, put, read_all, temp_files};

fn md5_raw(data: &[u8]) -> [u8; 16] {
    use md5::Digest as _;
    md5::Md5::digest(data).into()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5_raw(data))
}

#[tokio::test]
async fn buckets_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("zeta", "alice", "us-east-1").await.unwrap();
    let b = s
        .create_bucket("alpha", "alice", "eu-west-1")
        .await
        .unwrap();
    assert_eq!(s.head_bucket("alpha").unwrap(), b);
    assert!(matches!(
        s.create_bucket("alpha", "alice", "x").await,
        Err(Error::BucketAlreadyOwnedByYou)
    ));
    assert!(matches!(
        s.create_bucket("alpha", "bob", "x").await,
        Err(Error::BucketAlreadyExists)
    ));
    assert!(matches!(
        s.create_bucket("Bad_Name", "bob", "x").await,
        Err(Error::InvalidBucketName(_))
    ));
    let names: Vec<String> = s
        .list_buckets()
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert!(matches!(s.head_bucket("nope"), Err(Error::NoSuchBucket)));

    // Settings, tombstones and uploads go with the bucket; objects keep it alive.
    s.set_bucket_setting("alpha", "origin", Some(b"<xml/>"))
        .await
        .unwrap();
    assert_eq!(
        s.bucket_setting("alpha", "origin").unwrap().as_deref(),
        Some(&b"<xml/>"[..])
    );
    s.delete_object("alpha", "gone", true).await.unwrap();
    let up = s
        .create_upload("alpha", "mp", "alice", ObjectAttrs::default(), None)
        .await
        .unwrap();
    let mut w = s.blob_writer(&[]).unwrap();
    w.write(b"part").await.unwrap();
    let blob = w.finish(&Expect::default()).await.unwrap();
    s.commit_part("alpha", "mp", &up.upload_id, 1, blob)
        .await
        .unwrap();
    put(&s, "alpha", "obj", b"x").await;
    assert!(matches!(
        s.delete_bucket("alpha").await,
        Err(Error::BucketNotEmpty)
    ));
    s.delete_object("alpha", "obj", false).await.unwrap();
    s.delete_bucket("alpha").await.unwrap();
    assert!(matches!(s.head_bucket("alpha"), Err(Error::NoSuchBucket)));
    assert!(
        blob_files(dir.path()).is_empty(),
        "the staged part's blob is gone"
    );
    s.create_bucket("alpha", "bob", "x").await.unwrap();
    assert_eq!(s.bucket_setting("alpha", "origin").unwrap(), None);
    assert_eq!(s.tombstone("alpha", "gone").unwrap(), None);
    assert!(s
        .list_uploads(
            "alpha",
            &UploadQuery {
                max_uploads: 10,
                ..Default::default()
            }
        )
        .unwrap()
        .uploads
        .is_empty());
    assert!(matches!(
        s.delete_bucket("nope").await,
        Err(Error::NoSuchBucket)
    ));
}

#[tokio::test]
async fn put_get_head_delete() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    let data = content(1, 20_000);
    let mut attrs = ObjectAttrs {
        content_type: Some("text/plain".into()),
        cache_control: Some("no-cache".into()),
        content_disposition: Some("inline".into()),
        content_encoding: Some("gzip".into()),
        content_language: Some("en".into()),
        expires: Some("Thu, 01 Dec 1994 16:00:00 GMT".into()),
        ..Default::default()
    };
    attrs.user_metadata.insert("color".into(), "blue".into());
    let crc = Checksummer::digest(ChecksumAlgorithm::Crc32c, &data);
    let expect = Expect {
        size: Some(data.len() as u64),
        md5: Some(md5_raw(&data)),
        checksums: vec![(ChecksumAlgorithm::Crc32c, crc.clone())],
    };
    let key = "dir/with spaces+plus%percent/日本";
    let meta = s
        .put_object("bkt", key, attrs.clone(), body(&data), &expect)
        .await
        .unwrap();
    assert_eq!(meta.etag, md5_hex(&data));
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(meta.checksums.len(), 1);
    assert!(!meta.checksums[0].composite);
    let head = s.head_object("bkt", key).unwrap();
    assert_eq!(head, meta);
    assert_eq!(head.attrs, attrs);
    assert_eq!(get(&s, "bkt", key).await.unwrap(), data);

    assert!(matches!(
        s.head_object("bkt", "missing"),
        Err(Error::NoSuchKey)
    ));
    assert!(matches!(
        s.head_object("nobkt", key),
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        s.head_object("bkt", &"k".repeat(1025)),
        Err(Error::KeyTooLong)
    ));
    let long = "é".repeat(512); // 1024 bytes
    put(&s, "bkt", &long, b"long").await;
    assert_eq!(get(&s, "bkt", &long).await.unwrap(), b"long");

    // Empty object.
    let m = put(&s, "bkt", "empty", b"").await;
    assert_eq!(m.etag, "d41d8cd98f00b204e9800998ecf8427e");
    let (_, r) = s.get_object("bkt", "empty", None).unwrap();
    assert!(r.is_empty() && r.range().is_none());
    assert!(read_all(r).await.is_empty());
    assert!(matches!(
        s.get_object("bkt", "empty", Some(ByteRange::From(0))),
        Err(Error::InvalidRange { size: 0 })
    ));

    // Delete is idempotent and returns what it removed.
    assert_eq!(
        s.delete_object("bkt", key, false)
            .await
            .unwrap()
            .map(|m| m.etag),
        Some(meta.etag)
    );
    assert!(s.delete_object("bkt", key, false).await.unwrap().is_none());
    assert!(get(&s, "bkt", key).await.is_none());
    assert_eq!(
        blob_files(dir.path()).len(),
        2,
        "only 'long' and 'empty' remain"
    );
}

#[tokio::test]
async fn rejected_bodies_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    put(&s, "bkt", "k", b"original").await;
    let data = b"new content".to_vec();
    let cases = [
        (
            Expect {
                size: Some(3),
                ..Default::default()
            },
            "size",
        ),
        (
            Expect {
                md5: Some([0; 16]),
                ..Default::default()
            },
            "md5",
        ),
        (
            Expect {
                checksums: vec![(ChecksumAlgorithm::Sha256, vec![0; 32])],
                ..Default::default()
            },
            "sha256",
        ),
    ];
    for (expect, what) in cases {
        let err = s
            .put_object("bkt", "k", ObjectAttrs::default(), body(&data), &expect)
            .await
            .unwrap_err();
        match (what, err) {
            (
                "size",
                Error::IncompleteBody {
                    expected: 3,
                    got: 11,
                },
            ) => {}
            ("md5", Error::BadDigest) => {}
            (
                "sha256",
                Error::ChecksumMismatch {
                    algorithm: ChecksumAlgorithm::Sha256,
                },
            ) => {}
            (what, err) => panic!("{what}: {err:?}"),
        }
        assert_eq!(get(&s, "bkt", "k").await.unwrap(), b"original");
    }
    // A writer dropped half-way leaves nothing either.
    let mut w = s.blob_writer(&[ChecksumAlgorithm::Crc32]).unwrap();
    w.write(b"half").await.unwrap();
    assert_eq!(w.written(), 4);
    drop(w);
    assert_eq!(temp_files(dir.path()), 0);
    assert_eq!(blob_files(dir.path()).len(), 1);
    // Body stream errors abort the put.
    let failing = futures::stream::iter(vec![
        Ok(bytes::Bytes::from_static(b"abc")),
        Err(std::io::Error::other("client went away")),
    ]);
    assert!(s
        .put_object(
            "bkt",
            "k",
            ObjectAttrs::default(),
            failing,
            &Expect::default()
        )
        .await
        .is_err());
    assert_eq!(get(&s, "bkt", "k").await.unwrap(), b"original");
    assert_eq!(temp_files(dir.path()), 0);
}

async fn upload_parts(
    s: &storage::Store,
    key: &str,
    parts: &[Vec<u8>],
    alg: Option<ChecksumAlgorithm>,
) -> (String, Vec<CompletedPart>) {
    let up = s
        .create_upload(
            "bkt",
            key,
            "me",
            ObjectAttrs::default(),
            alg.map(Into::into),
        )
        .await
        .unwrap();
    let mut done = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let algs: Vec<_> = alg.into_iter().collect();
        let mut w = s.blob_writer(&algs).unwrap();
        w.write(p).await.unwrap();
        let blob = w.finish(&Expect::default()).await.unwrap();
        let pm = s
            .commit_part("bkt", key, &up.upload_id, i as u32 + 1, blob)
            .await
            .unwrap();
        done.push(CompletedPart {
            part_number: pm.part_number,
            etag: format!("\"{}\"", pm.etag),
        });
    }
    (up.upload_id, done)
}

#[tokio::test]
async fn multipart_complete_and_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    put(&s, "bkt", "mp", b"old single-part object").await;
    let parts: Vec<Vec<u8>> = vec![content(1, 1500), content(2, 1024), content(3, 10)];
    let (id, mut done) = upload_parts(&s, "mp", &parts, Some(ChecksumAlgorithm::Crc32)).await;
    // An extra staged part that the completion does not list.
    let mut w = s.blob_writer(&[]).unwrap();
    w.write(&content(4, 2000)).await.unwrap();
    s.commit_part(
        "bkt",
        "mp",
        &id,
        7,
        w.finish(&Expect::default()).await.unwrap(),
    )
    .await
    .unwrap();
    // Replace part 3 (the old blob must go).
    let mut w = s.blob_writer(&[ChecksumAlgorithm::Crc32]).unwrap();
    let p3 = content(5, 700);
    w.write(&p3).await.unwrap();
    let pm = s
        .commit_part(
            "bkt",
            "mp",
            &id,
            3,
            w.finish(&Expect::default()).await.unwrap(),
        )
        .await
        .unwrap();
    done[2].etag = pm.etag.clone();
    let parts = vec![parts[0].clone(), parts[1].clone(), p3];

    let page = s.list_parts("bkt", "mp", &id, 0, 2).unwrap();
    assert_eq!(
        page.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(page.is_truncated);
    assert_eq!(page.next_part_number_marker, Some(2));
    let page = s.list_parts("bkt", "mp", &id, 2, 10).unwrap();
    assert_eq!(
        page.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [3, 7]
    );
    assert!(!page.is_truncated);

    // Validation errors.
    let swapped = vec![done[1].clone(), done[0].clone()];
    assert!(matches!(
        s.complete_upload("bkt", "mp", &id, &swapped).await,
        Err(Error::InvalidPartOrder)
    ));
    let mut wrong = done.clone();
    wrong[1].etag = "0123".into();
    assert!(matches!(
        s.complete_upload("bkt", "mp", &id, &wrong).await,
        Err(Error::InvalidPart(_))
    ));
    let missing = vec![
        done[0].clone(),
        CompletedPart {
            part_number: 5,
            etag: done[0].etag.clone(),
        },
    ];
    assert!(matches!(
        s.complete_upload("bkt", "mp", &id, &missing).await,
        Err(Error::InvalidPart(_))
    ));
    let small_first = vec![
        done[2].clone(),
        CompletedPart {
            part_number: 7,
            etag: page.parts[1].etag.clone(),
        },
    ];
    assert!(matches!(
        s.complete_upload("bkt", "mp", &id, &small_first).await,
        Err(Error::EntityTooSmall { part_number: 3 })
    ));

    let meta = s.complete_upload("bkt", "mp", &id, &done).await.unwrap();
    let whole: Vec<u8> = parts.concat();
    assert_eq!(meta.size, whole.len() as u64);
    assert_eq!(meta.part_sizes, vec![1500, 1024, 700]);
    let mut md5s = Vec::new();
    for p in &parts {
        md5s.extend_from_slice(&md5_raw(p));
    }
    assert_eq!(meta.etag, format!("{}-3", md5_hex(&md5s)));
    let raw: Vec<u8> = parts
        .iter()
        .flat_map(|p| Checksummer::digest(ChecksumAlgorithm::Crc32, p))
        .collect();
    use base64::Engine as _;
    let composite = format!(
        "{}-3",
        base64::engine::general_purpose::STANDARD
            .encode(Checksummer::digest(ChecksumAlgorithm::Crc32, &raw))
    );
    assert_eq!(meta.checksums.len(), 1);
    assert_eq!(meta.checksums[0].value, composite);
    assert!(meta.checksums[0].composite);
    assert_eq!(get(&s, "bkt", "mp").await.unwrap(), whole);
    assert!(matches!(
        s.get_upload("bkt", "mp", &id),
        Err(Error::NoSuchUpload)
    ));
    // A retried completion (the first answer was lost) answers with the same object, as
    // AWS does, while that object is still the key's current version.
    let again = s.complete_upload("bkt", "mp", &id, &done).await.unwrap();
    assert_eq!((again.etag, again.size), (meta.etag.clone(), meta.size));
    assert_eq!(
        blob_files(dir.path()).len(),
        3,
        "unlisted, replaced and overwritten blobs are gone"
    );

    // Ranges within and across part boundaries.
    let n = whole.len() as u64;
    for r in [
        ByteRange::FromTo(0, 0),
        ByteRange::FromTo(1499, 1500),
        ByteRange::FromTo(1000, 2600),
        ByteRange::FromTo(100, 100_000),
        ByteRange::From(2524),
        ByteRange::Suffix(701),
        ByteRange::Suffix(n + 5),
    ] {
        let (first, last) = r.resolve(n).unwrap();
        let (_, reader) = s.get_object("bkt", "mp", Some(r)).unwrap();
        assert_eq!(reader.range(), Some((first, last)));
        assert_eq!(reader.len(), last - first + 1);
        assert_eq!(
            read_all(reader).await,
            &whole[first as usize..=last as usize],
            "{r:?}"
        );
    }
    assert!(matches!(
        s.get_object("bkt", "mp", Some(ByteRange::From(n))),
        Err(Error::InvalidRange { .. })
    ));

    // Reopen: nothing to sweep, content intact.
    drop(s);
    let s = open(dir.path());
    assert_eq!(s.recovery_report(), storage::RecoveryReport::default());
    assert_eq!(get(&s, "bkt", "mp").await.unwrap(), whole);
}

#[tokio::test]
async fn uploads_listing_abort_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    let (a1, _) = upload_parts(&s, "a/x", &[b"1".to_vec()], None).await;
    let (a2, _) = upload_parts(&s, "a/x", &[], None).await;
    let (b, _) = upload_parts(&s, "b", &[b"2".to_vec()], None).await;
    let q = |max| UploadQuery {
        max_uploads: max,
        ..Default::default()
    };
    let page = s.list_uploads("bkt", &q(10)).unwrap();
    let ids: Vec<&str> = page.uploads.iter().map(|u| u.upload_id.as_str()).collect();
    assert_eq!(ids, [a1.as_str(), a2.as_str(), b.as_str()]);
    let page = s.list_uploads("bkt", &q(1)).unwrap();
    assert!(page.is_truncated);
    assert_eq!(page.next_key_marker.as_deref(), Some("a/x"));
    assert_eq!(page.next_upload_id_marker.as_deref(), Some(a1.as_str()));
    let page = s
        .list_uploads(
            "bkt",
            &UploadQuery {
                key_marker: page.next_key_marker,
                upload_id_marker: page.next_upload_id_marker,
                max_uploads: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.uploads.len(), 2);
    let page = s
        .list_uploads(
            "bkt",
            &UploadQuery {
                delimiter: Some("/".into()),
                max_uploads: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.common_prefixes, ["a/"]);
    assert_eq!(page.uploads.len(), 1);

    assert!(matches!(
        s.get_upload("bkt", "other-key", &b),
        Err(Error::NoSuchUpload)
    ));
    assert!(matches!(
        s.get_upload("bkt", "b", "../../x"),
        Err(Error::NoSuchUpload)
    ));
    s.abort_upload("bkt", "b", &b).await.unwrap();
    assert!(matches!(
        s.abort_upload("bkt", "b", &b).await,
        Err(Error::NoSuchUpload)
    ));
    assert_eq!(
        s.expire_uploads(Duration::from_secs(3600)).await.unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(s.expire_uploads(Duration::from_millis(1)).await.unwrap(), 2);
    assert!(s.list_uploads("bkt", &q(10)).unwrap().uploads.is_empty());
    assert!(blob_files(dir.path()).is_empty());
}

#[tokio::test]
async fn fill_and_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();

    // A fill commits when nothing is there.
    let mut f = s
        .fill_writer("bkt", "k", &[ChecksumAlgorithm::Sha1])
        .unwrap();
    f.write(b"from origin").await.unwrap();
    assert_eq!(f.written(), 11);
    let attrs = ObjectAttrs {
        origin: Some(storage::OriginStamp {
            url: "http://o/k".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let m = f
        .commit(
            attrs.clone(),
            &Expect {
                size: Some(11),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.attrs, attrs);
    assert_eq!(get(&s, "bkt", "k").await.unwrap(), b"from origin");

    // A local PUT during the fetch wins.
    let mut f = s.fill_writer("bkt", "k2", &[]).unwrap();
    f.write(b"stale").await.unwrap();
    put(&s, "bkt", "k2", b"local").await;
    assert!(f
        .commit(ObjectAttrs::default(), &Expect::default())
        .await
        .unwrap()
        .is_none());
    assert_eq!(get(&s, "bkt", "k2").await.unwrap(), b"local");

    // A local DELETE (tombstone) wins too, even when no object existed.
    s.delete_object("bkt", "k3", true).await.unwrap();
    assert!(s.tombstone("bkt", "k3").unwrap().is_some());
    let mut f = s.fill_writer("bkt", "k3", &[]).unwrap();
    f.write(b"zombie").await.unwrap();
    assert!(f
        .commit(ObjectAttrs::default(), &Expect::default())
        .await
        .unwrap()
        .is_none());
    assert!(get(&s, "bkt", "k3").await.is_none());
    s.clear_tombstone("bkt", "k3").await.unwrap();
    assert!(s.tombstone("bkt", "k3").unwrap().is_none());

    // A PUT clears the tombstone.
    s.delete_object("bkt", "k", true).await.unwrap();
    put(&s, "bkt", "k", b"again").await;
    assert!(s.tombstone("bkt", "k").unwrap().is_none());

    // A dropped or rejected fill leaves no trace.
    let mut f = s.fill_writer("bkt", "k4", &[]).unwrap();
    f.write(b"partial").await.unwrap();
    drop(f);
    let mut f = s.fill_writer("bkt", "k5", &[]).unwrap();
    f.write(b"short").await.unwrap();
    assert!(matches!(
        f.commit(
            ObjectAttrs::default(),
            &Expect {
                size: Some(100),
                ..Default::default()
            }
        )
        .await,
        Err(Error::IncompleteBody { .. })
    ));
    assert_eq!(temp_files(dir.path()), 0);
    assert_eq!(blob_files(dir.path()).len(), 2);

    // commit_object with IfAbsent directly.
    let mut w = s.blob_writer(&[]).unwrap();
    w.write(b"x").await.unwrap();
    let blob = w.finish(&Expect::default()).await.unwrap();
    assert!(s
        .commit_object(
            "bkt",
            "k",
            ObjectAttrs::default(),
            blob,
            CommitCondition::IfAbsent
        )
        .await
        .unwrap()
        .is_none());
    assert_eq!(blob_files(dir.path()).len(), 2);
}

#[tokio::test]
async fn readers_survive_overwrite_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    let parts = vec![content(10, 5000), content(11, 5000), content(12, 3000)];
    let (id, done) = upload_parts(&s, "k", &parts, None).await;
    s.complete_upload("bkt", "k", &id, &done).await.unwrap();
    let (_, mut reader) = s.get_object("bkt", "k", None).unwrap();
    // Read one chunk, then replace the object and delete it: the reader opens the later
    // part files lazily, and they must still be there.
    let first = reader.next().await.unwrap().unwrap();
    put(&s, "bkt", "k", b"new").await;
    assert_eq!(
        blob_files(dir.path()).len(),
        4,
        "old parts are kept while leased"
    );
    s.delete_object("bkt", "k", false).await.unwrap();
    let mut got = first.to_vec();
    got.extend(read_all(reader).await);
    assert_eq!(got, parts.concat());
    assert!(
        blob_files(dir.path()).is_empty(),
        "deferred deletes ran when the reader dropped"
    );
}

#[tokio::test]
async fn copy_including_onto_itself() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    s.create_bucket("dst", "me", "r").await.unwrap();
    let data = content(7, 10_000);
    let expect = Expect {
        checksums: vec![(
            ChecksumAlgorithm::Sha256,
            Checksummer::digest(ChecksumAlgorithm::Sha256, &data),
        )],
        ..Default::default()
    };
    let src = s
        .put_object("bkt", "src", ObjectAttrs::default(), body(&data), &expect)
        .await
        .unwrap();
    let copied = s
        .copy_object(
            s.get_object("bkt", "src", None).unwrap(),
            "dst",
            "copy",
            ObjectAttrs::default(),
        )
        .await
        .unwrap();
    assert_eq!(copied.etag, src.etag);
    assert_eq!(copied.checksums, src.checksums);
    let attrs = ObjectAttrs {
        content_type: Some("a/b".into()),
        ..Default::default()
    };
    let same = s
        .copy_object(
            s.get_object("bkt", "src", None).unwrap(),
            "bkt",
            "src",
            attrs.clone(),
        )
        .await
        .unwrap();
    assert_eq!(same.attrs, attrs);
    assert_eq!(get(&s, "bkt", "src").await.unwrap(), data);
    assert_eq!(get(&s, "dst", "copy").await.unwrap(), data);
    // A ranged copy.
    let part = s
        .copy_object(
            s.get_object("bkt", "src", Some(ByteRange::FromTo(10, 19)))
                .unwrap(),
            "dst",
            "part",
            ObjectAttrs::default(),
        )
        .await
        .unwrap();
    assert_eq!(part.size, 10);
    assert_eq!(get(&s, "dst", "part").await.unwrap(), &data[10..20]);
    assert_eq!(blob_files(dir.path()).len(), 3);
    assert!(matches!(
        s.copy_object(
            s.get_object("bkt", "src", None).unwrap(),
            "nobkt",
            "x",
            ObjectAttrs::default()
        )
        .await,
        Err(Error::NoSuchBucket)
    ));
}

#[tokio::test]
async fn concurrent_writers_leave_one_object_and_no_leak() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8u64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let data = content(i, 4000 + i as usize);
            s.put_object(
                "bkt",
                "k",
                ObjectAttrs::default(),
                super::body(&data),
                &Expect::default(),
            )
            .await
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let got = get(&s, "bkt", "k").await.unwrap();
    let i = got.len() as u64 - 4000;
    assert_eq!(got, content(i, 4000 + i as usize));
    assert_eq!(blob_files(dir.path()).len(), 1);
}

#[test]
fn corrupt_database_is_a_clear_error_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let rt = super::rt();
        let s = open(dir.path());
        rt.block_on(s.create_bucket("bkt", "me", "r")).unwrap();
    }
    let db = dir.path().join("meta").join("db");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::write(&db, vec![0xA5; len.max(4096) as usize]).unwrap();
    let conf = dir.path().join("meta").join("conf");
    if conf.exists() {
        std::fs::write(&conf, b"garbage that is not a sled config").unwrap();
    }
    match storage::Store::open(dir.path(), super::small_options()) {
        Err(Error::Corrupt(msg)) | Err(Error::Meta(msg)) => {
            eprintln!("corrupt database refused: {msg}");
            assert!(msg.contains("meta"), "{msg}")
        }
        Err(e) => panic!("unexpected error kind: {e:?}"),
        Ok(_) => panic!("a corrupt database opened"),
    }
    assert!(db.exists(), "the database is never deleted");
}

/// What a crash can leave, made without one: a temp file, a blob renamed into place but never
/// committed (its writer's `Blob` forgotten), and a released blob whose delete waited for a
/// reader (forgotten too). The next start removes exactly those, through the `pending` log.
#[tokio::test]
async fn recovery_sweeps_temp_and_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "r").await.unwrap();
    put(&s, "bkt", "keep", b"kept").await;
    put(&s, "bkt", "replaced", b"old").await;
    let mut writer = s.blob_writer(&[]).unwrap();
    writer.write(b"never committed").await.unwrap();
    std::mem::forget(writer.finish(&Expect::default()).await.unwrap());
    let (_, reader) = s.get_object("bkt", "replaced", None).unwrap();
    put(&s, "bkt", "replaced", b"new").await;
    std::mem::forget(reader);
    assert_eq!(
        blob_files(dir.path()).len(),
        4,
        "kept, old, new, uncommitted"
    );
    drop(s);
    std::fs::write(dir.path().join("tmp").join("leftover"), b"x").unwrap();
    let s = open(dir.path());
    assert_eq!(
        s.recovery_report(),
        storage::RecoveryReport {
            temp_files_removed: 1,
            orphan_blobs_removed: 2
        }
    );
    assert_eq!(temp_files(dir.path()), 0);
    assert_eq!(blob_files(dir.path()).len(), 2);
    assert_eq!(get(&s, "bkt", "keep").await.unwrap(), b"kept");
    assert_eq!(get(&s, "bkt", "replaced").await.unwrap(), b"new");
    drop(s);
    // The marks went with the blobs: the next start finds nothing.
    let s = open(dir.path());
    assert_eq!(s.recovery_report(), storage::RecoveryReport::default());
    assert_eq!(blob_files(dir.path()).len(), 2);
}

/// Regression: sled 0.34's `flush_async` futures, awaited by several writers at once, were
/// never woken in release builds (sled #1241, #1308): the load benchmark's 16 concurrent
/// PUTs wedged the server for good. Every write flushes, so concurrent puts exercise it.
/// The puts run on their own runtime and thread: a wedged flush can block the runtime's
/// workers, so only a waiter outside it can turn the hang into a failure.
#[test]
fn concurrent_flushes_all_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = open(&path);
            s.create_bucket("bkt", "me", "r").await.unwrap();
            let mut tasks = tokio::task::JoinSet::new();
            for task in 0..32u64 {
                let s = s.clone();
                tasks.spawn(async move {
                    for i in 0..8u64 {
                        s.put_object(
                            "bkt",
                            &format!("k{task}-{i}"),
                            ObjectAttrs::default(),
                            super::body(b"x"),
                            &Expect::default(),
                        )
                        .await
                        .unwrap();
                    }
                });
            }
            while let Some(joined) = tasks.join_next().await {
                joined.unwrap();
            }
        });
        let _ = done.send(());
    });
    finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("256 puts from 32 tasks finish (a hang here is sled's flush_async)");
}

/// Client preconditions are checked inside the commit: a failed one changes nothing and
/// deletes the new blob; a conditional delete checks the current object.
#[tokio::test]
async fn commit_and_delete_conditions() {
    use storage::DeleteCondition;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.create_bucket("bkt", "me", "r").await.unwrap();
    let commit = |data: &'static [u8], condition: CommitCondition| {
        let store = store.clone();
        async move {
            let mut w = store.blob_writer(&[]).unwrap();
            w.write(data).await.unwrap();
            let blob = w.finish(&Expect::default()).await.unwrap();
            store
                .commit_object("bkt", "k", ObjectAttrs::default(), blob, condition)
                .await
        }
    };
    let first = commit(b"one", CommitCondition::IfNoneMatch)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        commit(b"two", CommitCondition::IfNoneMatch).await,
        Err(storage::Error::PreconditionFailed)
    ));
    assert!(matches!(
        commit(b"two", CommitCondition::IfMatch("0123".into())).await,
        Err(storage::Error::PreconditionFailed)
    ));
    commit(b"two", CommitCondition::IfMatch(first.etag.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(get(&store, "bkt", "k").await.unwrap(), b"two");
    assert_eq!(blob_files(dir.path()).len(), 1, "refused blobs are deleted");

    let cond = |etag: &str, size: Option<u64>| DeleteCondition {
        if_match: Some(etag.to_owned()),
        size,
        ..Default::default()
    };
    assert!(matches!(
        store
            .delete_if("bkt", "k", None, false, &cond(&first.etag, None))
            .await,
        Err(storage::Error::PreconditionFailed)
    ));
    assert!(matches!(
        store
            .delete_if("bkt", "k", None, false, &cond("*", Some(4)))
            .await,
        Err(storage::Error::PreconditionFailed)
    ));
    store
        .delete_if("bkt", "k", None, false, &cond("*", Some(3)))
        .await
        .unwrap();
    assert!(matches!(
        store
            .delete_if("bkt", "k", None, false, &cond("*", None))
            .await,
        Err(storage::Error::NoSuchKey)
    ));
    assert!(matches!(
        commit(b"three", CommitCondition::IfMatch(first.etag)).await,
        Err(storage::Error::ConditionalRequestConflict)
    ));
    assert!(blob_files(dir.path()).is_empty());
}

/// The expirer's guard: a delete conditioned on the examined object's exact modification
/// time spares an overwrite with the very same bytes (same ETag) that landed meanwhile.
#[tokio::test]
async fn an_exact_time_condition_spares_a_same_content_overwrite() {
    use storage::DeleteCondition;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.create_bucket("bkt", "me", "r").await.unwrap();
    let examined = put(&store, "bkt", "k", b"same bytes").await;
    let newer = put(&store, "bkt", "k", b"same bytes").await;
    assert_eq!(examined.etag, newer.etag);
    assert_ne!(examined.last_modified, newer.last_modified);
    let guard = |meta: &storage::ObjectMeta| DeleteCondition {
        if_match: Some(meta.etag.clone()),
        exactly_modified: Some(meta.last_modified),
        ..Default::default()
    };
    assert!(matches!(
        store
            .delete_if("bkt", "k", None, false, &guard(&examined))
            .await,
        Err(Error::PreconditionFailed)
    ));
    assert_eq!(get(&store, "bkt", "k").await.unwrap(), b"same bytes");
    store
        .delete_if("bkt", "k", None, false, &guard(&newer))
        .await
        .unwrap();
    assert!(get(&store, "bkt", "k").await.is_none());
}

/// With `direct_writes`, blobs go to the device with O_DIRECT straight from the writer's
/// aligned buffers, the unaligned rest through the page cache: a body
/// of uneven chunks, flushed in the middle (as a fill does while clients stream it, which
/// leaves the file at an unaligned length), reads back exactly, with its MD5 — whether or
/// not the filesystem takes O_DIRECT (tmpfs does not: the page cache takes everything).
#[tokio::test]
async fn direct_writes_keep_every_byte_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let options = storage::StoreOptions {
        write_buffer: 1024 * 1024,
        direct_writes: true,
        ..super::small_options()
    };
    let s = storage::Store::open(dir.path(), options).unwrap();
    s.create_bucket("bkt", "o", "us-east-1").await.unwrap();
    let data: Vec<u8> = (0..3_500_123u32).map(|i| (i % 251) as u8).collect();
    let mut w = s.fill_writer("bkt", "direct", &[]).unwrap();
    let mut at = 0;
    for (n, size) in [1_048_576, 700_001, 1_048_576, 99_999]
        .into_iter()
        .cycle()
        .enumerate()
    {
        if at == data.len() {
            break;
        }
        let end = (at + size).min(data.len());
        w.write(&data[at..end]).await.unwrap();
        at = end;
        if n == 1 {
            // A fill's flush: every byte so far visible, the file now at an odd length.
            w.flush().await.unwrap();
            assert_eq!(w.visible().await.unwrap(), at as u64);
        }
    }
    let meta = w
        .commit(ObjectAttrs::default(), &Expect::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.etag, md5_hex(&data));
    let (_, reader) = s.get_object("bkt", "direct", None).unwrap();
    assert!(super::read_all(reader).await == data);
    // A plain PUT of several buffers, aligned all along.
    let big: Vec<u8> = (0..4 * 1024 * 1024 + 17).map(|i| (i % 241) as u8).collect();
    let meta = super::put(&s, "bkt", "put", &big).await;
    assert_eq!(meta.etag, md5_hex(&big));
    let (_, reader) = s.get_object("bkt", "put", None).unwrap();
    assert!(super::read_all(reader).await == big);
}

/// Is the first page of `path` in the page cache? (A read that may not wait for the disk.)
fn first_page_cached(path: &std::path::Path) -> bool {
    let file = std::fs::File::open(path).unwrap();
    let mut page = [0u8; 4096];
    let mut bufs = [std::io::IoSliceMut::new(&mut page)];
    match rustix::io::preadv2(&file, &mut bufs, 0, rustix::io::ReadWriteFlags::NOWAIT) {
        Ok(n) => n > 0,
        Err(rustix::io::Errno::AGAIN) => false,
        Err(e) => panic!("preadv2 of {}: {e}", path.display()),
    }
}

/// A body of one buffer (the common 1 MiB PUT) takes the direct path too: with
/// `direct_writes` it does not fill the page cache, without it, it does. (The test's
/// directory must be on a filesystem that takes O_DIRECT, as ext4 and xfs do: it says so
/// rather than pass on one that does not.)
#[tokio::test]
async fn direct_writes_bypass_the_page_cache_from_the_first_buffer() {
    let dir = tempfile::tempdir().unwrap();
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        let direct = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(&probe);
        assert!(
            direct.is_ok(),
            "{} does not take O_DIRECT: run the tests with TMPDIR on ext4 or xfs",
            dir.path().display()
        );
        std::fs::remove_file(&probe).unwrap();
    }
    let body: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 239) as u8).collect();
    for direct in [true, false] {
        let path = dir.path().join(format!("store-{direct}"));
        let s = storage::Store::open(
            &path,
            storage::StoreOptions {
                write_buffer: 1024 * 1024,
                direct_writes: direct,
                ..super::small_options()
            },
        )
        .unwrap();
        s.create_bucket("bkt", "o", "us-east-1").await.unwrap();
        let meta = super::put(&s, "bkt", "one", &body).await;
        assert_eq!(meta.etag, md5_hex(&body));
        let blobs = super::blob_files(&path);
        assert_eq!(blobs.len(), 1);
        assert_eq!(
            first_page_cached(&blobs[0]),
            !direct,
            "direct_writes = {direct}: the body's first page in the page cache"
        );
        let (_, reader) = s.get_object("bkt", "one", None).unwrap();
        assert!(super::read_all(reader).await == body);
    }
}
