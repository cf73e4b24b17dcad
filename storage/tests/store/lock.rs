//! Object Lock in the store: a retained or held version is never removed by any delete the
//! store offers (a version delete, a delete marker's replacement of the null version, a
//! suspended bucket's overwrite), GOVERNANCE gives way only to the bypass, COMPLIANCE to no
//! one, retention only lengthens, and locks survive a reopen.

use std::time::{Duration, SystemTime};

use storage::{DeleteCondition, Error, ObjectLock, Retention, RetentionMode, Versioning};

use crate::{get, open, put};

fn retention(mode: RetentionMode, secs: u64) -> Retention {
    Retention {
        mode,
        until: SystemTime::now() + Duration::from_secs(secs),
    }
}

fn bypass() -> DeleteCondition {
    DeleteCondition {
        bypass_governance: true,
        ..DeleteCondition::default()
    }
}

#[tokio::test]
async fn locked_versions_are_never_removed_and_locks_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (held, governed, complied, expiring);
    {
        let s = open(dir.path());
        s.create_bucket("bkt", "me", "us-east-1").await.unwrap();
        s.set_versioning("bkt", Versioning::Enabled).await.unwrap();
        held = put(&s, "bkt", "k", b"held").await.version_id.unwrap();
        governed = put(&s, "bkt", "k", b"governed").await.version_id.unwrap();
        complied = put(&s, "bkt", "k", b"complied").await.version_id.unwrap();
        expiring = put(&s, "bkt", "k", b"expiring").await.version_id.unwrap();
        s.set_object_legal_hold("bkt", "k", Some(&held), true)
            .await
            .unwrap();
        let g = retention(RetentionMode::Governance, 3600);
        let c = retention(RetentionMode::Compliance, 3600);
        s.set_object_retention("bkt", "k", Some(&governed), Some(g), false)
            .await
            .unwrap();
        s.set_object_retention("bkt", "k", Some(&complied), Some(c), false)
            .await
            .unwrap();
        // Retained for a moment only: removable once the date has passed.
        let short = retention(RetentionMode::Compliance, 1);
        s.set_object_retention("bkt", "k", Some(&expiring), Some(short), false)
            .await
            .unwrap();
        // Retention only lengthens; COMPLIANCE is never shortened, even with the bypass.
        let shorter = retention(RetentionMode::Compliance, 60);
        for bypass in [false, true] {
            assert!(matches!(
                s.set_object_retention("bkt", "k", Some(&complied), Some(shorter), bypass)
                    .await,
                Err(Error::ObjectLocked)
            ));
        }
        assert!(matches!(
            s.set_object_retention("bkt", "k", Some(&complied), None, true)
                .await,
            Err(Error::ObjectLocked)
        ));
        let longer = retention(RetentionMode::Compliance, 7200);
        s.set_object_retention("bkt", "k", Some(&complied), Some(longer), false)
            .await
            .unwrap();
        // A delete without a version id adds a marker: allowed.
        assert!(
            s.delete("bkt", "k", None, false)
                .await
                .unwrap()
                .delete_marker
        );
    }
    std::thread::sleep(Duration::from_millis(1100));
    let s = open(dir.path());
    let lock = |v: &str| {
        s.head_object_version("bkt", "k", Some(v))
            .unwrap()
            .attrs
            .lock
    };
    assert!(lock(&held).legal_hold);
    assert_eq!(
        lock(&governed).retention.map(|r| r.mode),
        Some(RetentionMode::Governance)
    );
    for v in [&held, &governed, &complied] {
        assert!(
            matches!(
                s.delete("bkt", "k", Some(v), false).await,
                Err(Error::ObjectLocked)
            ),
            "{v}"
        );
    }
    // The bypass lifts GOVERNANCE only.
    for v in [&held, &complied] {
        assert!(matches!(
            s.delete_if("bkt", "k", Some(v), false, &bypass()).await,
            Err(Error::ObjectLocked)
        ));
    }
    s.delete_if("bkt", "k", Some(&governed), false, &bypass())
        .await
        .unwrap();
    // Past its date a retention no longer holds.
    s.delete("bkt", "k", Some(&expiring), false).await.unwrap();
    // The hold lifted, the version goes.
    s.set_object_legal_hold("bkt", "k", Some(&held), false)
        .await
        .unwrap();
    s.delete("bkt", "k", Some(&held), false).await.unwrap();
    assert_eq!(
        lock(&complied).retention.map(|r| r.mode),
        Some(RetentionMode::Compliance)
    );
    assert!(matches!(
        s.delete_bucket("bkt").await,
        Err(Error::BucketNotEmpty)
    ));
}

/// The null version of a suspended bucket is replaced by a write or a delete: not when it
/// is locked.
#[tokio::test]
async fn a_locked_null_version_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "us-east-1").await.unwrap();
    put(&s, "bkt", "k", b"null version").await;
    s.set_object_legal_hold("bkt", "k", None, true)
        .await
        .unwrap();
    s.set_versioning("bkt", Versioning::Suspended)
        .await
        .unwrap();
    assert!(matches!(
        s.put_object(
            "bkt",
            "k",
            storage::ObjectAttrs::default(),
            crate::body(b"over it"),
            &storage::Expect::default()
        )
        .await,
        Err(Error::ObjectLocked)
    ));
    assert!(matches!(
        s.delete("bkt", "k", None, false).await,
        Err(Error::ObjectLocked)
    ));
    assert_eq!(get(&s, "bkt", "k").await.unwrap(), b"null version");
    assert_ne!(
        s.head_object("bkt", "k").unwrap().attrs.lock,
        ObjectLock::default()
    );
}
