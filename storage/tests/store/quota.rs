//! Bucket usage and quotas: usage counts every object version's bytes, kept in the same
//! transaction as each change; a quota holds exactly at its boundary under concurrent
//! writers, never refuses a delete or a write that does not grow the bucket, and survives a
//! reopen; a directory written before usage was counted is counted when it opens.

use std::sync::Arc;

use storage::{Error, Quota, Usage, Versioning};

use crate::{open, put};

#[tokio::test]
async fn a_quota_holds_exactly_under_concurrent_writers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(open(dir.path()));
    s.create_bucket("quota-bkt", "me", "us-east-1")
        .await
        .unwrap();
    s.set_quota(
        "quota-bkt",
        Some(Quota {
            max_bytes: 1000,
            max_objects: u64::MAX,
        }),
    )
    .await
    .unwrap();
    let mut writers = Vec::new();
    for i in 0..32 {
        let s = s.clone();
        writers.push(tokio::spawn(async move {
            s.put_object(
                "quota-bkt",
                &format!("k{i}"),
                storage::ObjectAttrs::default(),
                crate::body(&[7u8; 100]),
                &storage::Expect::default(),
            )
            .await
        }));
    }
    let mut stored = 0;
    for w in writers {
        match w.await.unwrap() {
            Ok(_) => stored += 1,
            Err(Error::QuotaExceeded) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(stored, 10, "exactly the quota's worth");
    assert_eq!(
        s.bucket_usage("quota-bkt").unwrap(),
        Usage {
            bytes: 1000,
            objects: 10
        }
    );
    // At the boundary: an overwrite of the same size passes, a bigger one does not; a
    // delete makes room.
    let first_stored = s
        .list_objects(
            "quota-bkt",
            &storage::ListQuery {
                max_keys: 1,
                ..Default::default()
            },
        )
        .unwrap()
        .objects[0]
        .key
        .clone();
    put(&s, "quota-bkt", &first_stored, &[1u8; 100]).await;
    let bigger = s
        .put_object(
            "quota-bkt",
            &first_stored,
            storage::ObjectAttrs::default(),
            crate::body(&[1u8; 101]),
            &storage::Expect::default(),
        )
        .await;
    assert!(matches!(bigger, Err(Error::QuotaExceeded)));
    s.delete("quota-bkt", &first_stored, None, false)
        .await
        .unwrap();
    put(&s, "quota-bkt", "after-delete", &[2u8; 100]).await;
    assert_eq!(s.bucket_usage("quota-bkt").unwrap().bytes, 1000);
}

#[tokio::test]
async fn usage_counts_every_version_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(dir.path());
        s.create_bucket("versioned", "me", "us-east-1")
            .await
            .unwrap();
        s.set_versioning("versioned", Versioning::Enabled)
            .await
            .unwrap();
        put(&s, "versioned", "k", &[0u8; 10]).await;
        put(&s, "versioned", "k", &[0u8; 20]).await;
        s.delete("versioned", "k", None, false).await.unwrap(); // a marker: counts nothing
        s.set_object_tags("versioned", "k", None, vec![]).await.ok(); // the marker: an error, no change
        s.set_quota(
            "versioned",
            Some(Quota {
                max_bytes: u64::MAX,
                max_objects: 2,
            }),
        )
        .await
        .unwrap();
        assert!(matches!(
            s.put_object(
                "versioned",
                "other",
                storage::ObjectAttrs::default(),
                crate::body(b"x"),
                &storage::Expect::default()
            )
            .await,
            Err(Error::QuotaExceeded)
        ));
    }
    let s = open(dir.path());
    assert_eq!(
        s.bucket_usage("versioned").unwrap(),
        Usage {
            bytes: 30,
            objects: 2
        }
    );
    assert_eq!(
        s.quota("versioned").unwrap().map(|q| q.max_objects),
        Some(2)
    );
    s.set_quota("versioned", None).await.unwrap();
    put(&s, "versioned", "other", b"x").await;
    assert_eq!(s.bucket_usage("versioned").unwrap().objects, 3);
}
