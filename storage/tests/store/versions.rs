//! Versioning against AWS semantics (Enabled, Suspended, delete markers, permanent deletes,
//! promotion of the previous version, version listings with every marker), a random
//! sequence of versioned operations checked against an in-memory model across reopens, and
//! the upgrade of a data directory written by the previous release (format 1).

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use storage::{Error, Store, VersionQuery, Versioning};

use crate::{get, open, put, read_all, rt, small_options};

async fn versioned_store(dir: &Path) -> Store {
    let s = open(dir);
    s.create_bucket("bkt", "me", "us-east-1").await.unwrap();
    s.set_versioning("bkt", Versioning::Enabled).await.unwrap();
    s
}

fn all_versions(s: &Store) -> Vec<(String, Option<String>, bool, bool)> {
    let page = s
        .list_versions(
            "bkt",
            &VersionQuery {
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    page.versions
        .into_iter()
        .map(|v| (v.key, v.version_id, v.is_latest, v.object.is_none()))
        .collect()
}

async fn read_version(s: &Store, key: &str, version: &str) -> Result<Vec<u8>, Error> {
    let (_, reader) = s.get_object_version("bkt", key, Some(version), None)?;
    Ok(read_all(reader).await)
}

#[tokio::test]
async fn enabled_bucket_keeps_every_version_and_deletes_leave_markers() {
    let dir = tempfile::tempdir().unwrap();
    let s = versioned_store(dir.path()).await;
    let v1 = put(&s, "bkt", "k", b"one").await.version_id.unwrap();
    let v2 = put(&s, "bkt", "k", b"two").await.version_id.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(get(&s, "bkt", "k").await.unwrap(), b"two");
    assert_eq!(read_version(&s, "k", &v1).await.unwrap(), b"one");

    // A delete without a version id adds a marker; the key reads as missing.
    let d = s.delete("bkt", "k", None, false).await.unwrap();
    assert!(d.delete_marker);
    let marker = d.version_id.unwrap();
    assert!(matches!(
        s.head_object("bkt", "k"),
        Err(Error::DeleteMarker { addressed: false, ref version_id, .. }) if *version_id == marker
    ));
    assert!(matches!(
        s.head_object_version("bkt", "k", Some(&marker)),
        Err(Error::DeleteMarker {
            addressed: true,
            ..
        })
    ));
    assert!(s
        .list_objects("bkt", &list_all())
        .unwrap()
        .objects
        .is_empty());
    assert_eq!(
        all_versions(&s),
        vec![
            ("k".into(), Some(marker.clone()), true, true),
            ("k".into(), Some(v2.clone()), false, false),
            ("k".into(), Some(v1.clone()), false, false),
        ]
    );
    // Deleting the marker makes the previous version current again.
    let d = s.delete("bkt", "k", Some(&marker), false).await.unwrap();
    assert!(d.delete_marker);
    assert_eq!(get(&s, "bkt", "k").await.unwrap(), b"two");
    // Deleting the current version for good promotes the one before it.
    let d = s.delete("bkt", "k", Some(&v2), false).await.unwrap();
    assert!(!d.delete_marker && d.removed.is_some());
    assert_eq!(get(&s, "bkt", "k").await.unwrap(), b"one");
    assert!(matches!(
        read_version(&s, "k", &v2).await,
        Err(Error::NoSuchVersion)
    ));
    // A version that never existed: success, nothing changes; a foreign id: refused.
    let ghost = v2.clone();
    assert!(s
        .delete("bkt", "k", Some(&ghost), false)
        .await
        .unwrap()
        .removed
        .is_none());
    assert!(matches!(
        s.delete("bkt", "k", Some("not-a-version"), false).await,
        Err(Error::InvalidVersionId)
    ));
    // The bucket is not empty while any version or marker remains.
    s.delete("bkt", "k", None, false).await.unwrap();
    assert!(matches!(
        s.delete_bucket("bkt").await,
        Err(Error::BucketNotEmpty)
    ));
}

#[tokio::test]
async fn suspended_bucket_replaces_the_null_version_and_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_bucket("bkt", "me", "us-east-1").await.unwrap();
    // Written before versioning: the null version.
    assert_eq!(put(&s, "bkt", "k", b"null-0").await.version_id, None);
    s.set_versioning("bkt", Versioning::Enabled).await.unwrap();
    let v1 = put(&s, "bkt", "k", b"v1").await.version_id.unwrap();
    s.set_versioning("bkt", Versioning::Suspended)
        .await
        .unwrap();
    assert_eq!(put(&s, "bkt", "k", b"null-1").await.version_id, None);
    assert_eq!(put(&s, "bkt", "k", b"null-2").await.version_id, None);
    // One null version (the newest), and v1 kept.
    assert_eq!(
        all_versions(&s),
        vec![
            ("k".into(), None, true, false),
            ("k".into(), Some(v1.clone()), false, false),
        ]
    );
    assert_eq!(read_version(&s, "k", "null").await.unwrap(), b"null-2");
    assert_eq!(read_version(&s, "k", &v1).await.unwrap(), b"v1");
    // A delete puts a null delete marker in place of the null version.
    let d = s.delete("bkt", "k", None, false).await.unwrap();
    assert_eq!(d.version_id.as_deref(), Some("null"));
    assert!(d.delete_marker);
    assert_eq!(
        all_versions(&s),
        vec![
            ("k".into(), None, true, true),
            ("k".into(), Some(v1.clone()), false, false),
        ]
    );
    assert!(matches!(
        s.set_versioning("bkt", Versioning::Unversioned).await,
        Err(Error::InvalidArgument(_))
    ));
}

fn list_all() -> storage::ListQuery {
    storage::ListQuery {
        prefix: String::new(),
        delimiter: None,
        after: None,
        max_keys: 1000,
    }
}

#[tokio::test]
async fn version_listings_page_with_every_marker_and_roll_up_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let s = versioned_store(dir.path()).await;
    for key in ["a", "b/1", "b/2", "c"] {
        for i in 0..3 {
            put(&s, "bkt", key, format!("{key}{i}").as_bytes()).await;
        }
    }
    s.delete("bkt", "c", None, false).await.unwrap();
    let everything = all_versions(&s);
    assert_eq!(everything.len(), 13);
    // Page through with every page size: the concatenation is the whole listing.
    for max_keys in 1..=14 {
        let mut got = Vec::new();
        let mut q = VersionQuery {
            max_keys,
            ..Default::default()
        };
        loop {
            let page = s.list_versions("bkt", &q).unwrap();
            got.extend(page.versions.iter().map(|v| {
                (
                    v.key.clone(),
                    v.version_id.clone(),
                    v.is_latest,
                    v.object.is_none(),
                )
            }));
            if !page.is_truncated {
                break;
            }
            q.key_marker = page.next_key_marker;
            q.version_id_marker = page.next_version_id_marker;
        }
        assert_eq!(got, everything, "max_keys {max_keys}");
    }
    // A delimiter rolls every version under b/ into one common prefix.
    let page = s
        .list_versions(
            "bkt",
            &VersionQuery {
                delimiter: Some("/".into()),
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.common_prefixes, vec!["b/".to_owned()]);
    assert_eq!(page.versions.len(), 3 + 4);
    // A key marker without a version marker skips all of that key's versions.
    let page = s
        .list_versions(
            "bkt",
            &VersionQuery {
                key_marker: Some("b/2".into()),
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(page.versions.iter().all(|v| v.key == "c"));
}

/// What the model holds of one key: versions newest first (`None` content: a marker).
type Model = BTreeMap<String, Vec<(Option<String>, Option<Vec<u8>>)>>;

#[derive(Debug, Clone)]
enum Op {
    Put(u8, u8),
    Delete(u8),
    DeleteVersion(u8, usize),
    Suspend,
    Enable,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..4, any::<u8>()).prop_map(|(k, c)| Op::Put(k, c)),
        2 => (0u8..4).prop_map(Op::Delete),
        2 => (0u8..4, 0usize..4).prop_map(|(k, i)| Op::DeleteVersion(k, i)),
        1 => Just(Op::Suspend),
        1 => Just(Op::Enable),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random writes, deletes, version deletes and versioning changes, across reopens: the
    /// store's version listing and reads always equal the model's.
    #[test]
    fn versions_match_a_model(ops in proptest::collection::vec(op(), 1..40)) {
        rt().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut s = versioned_store(dir.path()).await;
            let mut model = Model::new();
            let mut enabled = true;
            for op in ops {
                match op {
                    Op::Put(k, c) => {
                        let key = format!("k{k}");
                        let data = vec![c; usize::from(c % 7) + 1];
                        let meta = put(&s, "bkt", &key, &data).await;
                        let versions = model.entry(key).or_default();
                        if !enabled {
                            versions.retain(|(id, _)| id.is_some());
                        }
                        versions.insert(0, (meta.version_id, Some(data)));
                    }
                    Op::Delete(k) => {
                        let key = format!("k{k}");
                        let d = s.delete("bkt", &key, None, false).await.unwrap();
                        let versions = model.entry(key).or_default();
                        if !enabled {
                            versions.retain(|(id, _)| id.is_some());
                        }
                        let id = d.version_id.filter(|v| v != "null");
                        versions.insert(0, (id, None));
                    }
                    Op::DeleteVersion(k, i) => {
                        let key = format!("k{k}");
                        let versions = model.entry(key.clone()).or_default();
                        if i < versions.len() {
                            let (id, _) = versions.remove(i);
                            let id = id.unwrap_or_else(|| "null".into());
                            s.delete("bkt", &key, Some(&id), false).await.unwrap();
                        }
                    }
                    Op::Suspend => {
                        s.set_versioning("bkt", Versioning::Suspended).await.unwrap();
                        enabled = false;
                    }
                    Op::Enable => {
                        s.set_versioning("bkt", Versioning::Enabled).await.unwrap();
                        enabled = true;
                    }
                    Op::Reopen => {
                        drop(s);
                        s = open(dir.path());
                    }
                }
            }
            let expected: Vec<(String, Option<String>, bool, bool)> = model
                .iter()
                .flat_map(|(key, versions)| {
                    versions.iter().enumerate().map(move |(i, (id, content))| {
                        (key.clone(), id.clone(), i == 0, content.is_none())
                    })
                })
                .collect();
            assert_eq!(all_versions(&s), expected);
            for (key, versions) in &model {
                match versions.first() {
                    Some((_, Some(content))) => {
                        assert_eq!(get(&s, "bkt", key).await.as_ref(), Some(content));
                    }
                    Some((_, None)) => assert!(matches!(
                        s.head_object("bkt", key),
                        Err(Error::DeleteMarker { addressed: false, .. })
                    )),
                    None => assert!(matches!(s.head_object("bkt", key), Err(Error::NoSuchKey))),
                }
                for (id, content) in versions {
                    let id = id.clone().unwrap_or_else(|| "null".into());
                    if let Some(content) = content {
                        assert_eq!(&read_version(&s, key, &id).await.unwrap(), content);
                    }
                }
            }
        });
    }
}

/// Copy a fixture (`storage/tests/fixtures/<name>/README.md` says what wrote it) to a
/// scratch directory.
fn fixture_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    crate::copy_tree(&src, dir.path());
    dir
}

#[tokio::test]
async fn a_format_1_data_directory_opens_and_keeps_everything() {
    let dir = fixture_copy("format1");
    for round in 0..2 {
        // The first open migrates; the second opens the migrated directory.
        let s = open(dir.path());
        let names: Vec<String> = s
            .list_buckets()
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(names, ["photos", "site"], "round {round}");
        let meta = s.head_object("photos", "cats/tom.txt").unwrap();
        assert_eq!(meta.version_id, None);
        assert_eq!(meta.attrs.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            meta.attrs
                .user_metadata
                .get("colour")
                .and_then(|v| v.as_str()),
            Some("grey")
        );
        assert_eq!(
            get(&s, "photos", "cats/tom.txt").await.unwrap(),
            b"hello format 1"
        );
        assert_eq!(
            get(&s, "photos", "dir/a b+c.txt").await.unwrap(),
            b"part one of a pending upload"
        );
        assert_eq!(
            get(&s, "site", "kept.txt").await.unwrap(),
            b"hello format 1"
        );
        // Settings (ACL, origin), the tombstone and the pending upload survived.
        assert_eq!(
            s.bucket_setting("photos", "acl").unwrap().as_deref(),
            Some(b"public-read".as_slice())
        );
        assert!(s.bucket_setting("site", "origin").unwrap().is_some());
        assert!(s.tombstone("site", "gone.txt").unwrap().is_some());
        let upload_id = "18eb91ec57278b710a4b281b13b440189fc64c6db4d4864f";
        let parts = s
            .list_parts("photos", "pending.bin", upload_id, 0, 1000)
            .unwrap();
        assert_eq!(parts.parts.len(), 1);
        // Old objects are null versions once versioning is enabled.
        let listing = s
            .list_versions(
                "photos",
                &VersionQuery {
                    max_keys: 1000,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(listing.versions.len(), 2);
        assert!(listing
            .versions
            .iter()
            .all(|v| v.version_id.is_none() && v.is_latest));
        assert_eq!(
            s.recovery_report().orphan_blobs_removed,
            0,
            "no blob was lost"
        );
        drop(s);
    }
    // The migrated directory completes the pending upload and versions as usual.
    let s = open(dir.path());
    s.set_versioning("photos", Versioning::Enabled)
        .await
        .unwrap();
    let v = put(&s, "photos", "cats/tom.txt", b"new")
        .await
        .version_id
        .unwrap();
    assert_eq!(
        read_version_in(&s, "photos", "cats/tom.txt", "null").await,
        b"hello format 1"
    );
    assert_eq!(
        read_version_in(&s, "photos", "cats/tom.txt", &v).await,
        b"new"
    );
}

async fn read_version_in(s: &Store, bucket: &str, key: &str, version: &str) -> Vec<u8> {
    let (_, reader) = s
        .get_object_version(bucket, key, Some(version), None)
        .unwrap();
    read_all(reader).await
}

#[tokio::test]
async fn a_newer_format_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    // Pretend a future release wrote the directory.
    {
        let db = sled::open(dir.path().join("meta")).unwrap();
        db.open_tree("store")
            .unwrap()
            .insert("format", &99u32.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let Err(err) = Store::open(dir.path(), Default::default()) else {
        panic!("a newer format must be refused");
    };
    let message = err.to_string();
    assert!(
        message.contains("format 99") && message.contains("newer"),
        "{message}"
    );
}

/// Format 2 had no `pending` log: its upgrade runs the full sweep once, which removes the
/// orphan blob the fixture holds and keeps every object (inline or file, every version).
#[tokio::test]
async fn a_format_2_data_directory_opens_swept_once() {
    let dir = fixture_copy("format2");
    let orphan = dir.path().join("blobs/ab/ab5e0c1d2e3f40516273849a0b1c2d3e");
    assert!(orphan.exists());
    for round in 0..2 {
        let s = open(dir.path());
        assert_eq!(
            s.recovery_report().orphan_blobs_removed,
            if round == 0 { 1 } else { 0 },
            "round {round}: the orphan, once"
        );
        assert!(!orphan.exists());
        check_fixture_objects(&s, b"inline in format 2").await;
        drop(s);
    }
}

/// Format 3 (before pack files) opens as it is: no full sweep (its `pending` log already
/// marks every orphan), every object readable, and small objects written after the upgrade
/// are packed beside the old inline ones.
#[tokio::test]
async fn a_format_3_data_directory_opens_and_takes_packed_objects() {
    let dir = fixture_copy("format3");
    for round in 0..2 {
        let s = open(dir.path());
        assert_eq!(
            s.recovery_report(),
            storage::RecoveryReport::default(),
            "round {round}"
        );
        check_fixture_objects(&s, b"inline in format 3").await;
        if round == 0 {
            drop(s);
            let packed = Store::open(
                dir.path(),
                storage::StoreOptions {
                    pack_max: 4096,
                    ..small_options()
                },
            )
            .unwrap();
            put(&packed, "big", "new.txt", b"packed after the upgrade").await;
            assert_eq!(crate::blob_files(dir.path()).len(), 1, "new.txt is packed");
        } else {
            assert_eq!(
                get(&s, "big", "new.txt").await.unwrap(),
                b"packed after the upgrade"
            );
        }
    }
}

/// Format 4 (object records before Object Lock) opens as it is: every version reads as
/// unlocked, can be locked after the upgrade, and the multipart upload staged before it
/// completes with its attributes.
#[tokio::test]
async fn a_format_4_data_directory_opens_unlocked_and_takes_locks() {
    let dir = fixture_copy("format4");
    let upload_id = "18eee92b5e50e8a0b65bb2014d4a4f59a4bd71594791f6d7";
    for round in 0..2 {
        let s = open(dir.path());
        assert_eq!(
            s.recovery_report(),
            storage::RecoveryReport::default(),
            "round {round}"
        );
        check_fixture_objects(&s, b"packed in format 4").await;
        // Counted when it opened: every version of docs (and, after round 0, upload.bin).
        let docs = s.bucket_usage("docs").unwrap();
        let upload = if round == 0 { 0 } else { 1 };
        assert_eq!(docs.objects, 3 + upload, "round {round}");
        assert_eq!(
            s.bucket_usage("big").unwrap(),
            storage::Usage {
                bytes: 10_000,
                objects: 1
            }
        );
        let notes = s.head_object("docs", "notes.txt").unwrap();
        if round == 0 {
            assert_eq!(notes.attrs.lock, storage::ObjectLock::default());
            s.set_object_legal_hold("docs", "notes.txt", None, true)
                .await
                .unwrap();
            let upload = s.get_upload("docs", "upload.bin", upload_id).unwrap();
            assert_eq!(upload.attrs.content_type.as_deref(), Some("text/plain"));
            let part = s
                .list_parts("docs", "upload.bin", upload_id, 0, 10)
                .unwrap();
            let done = s
                .complete_upload(
                    "docs",
                    "upload.bin",
                    upload_id,
                    &[storage::CompletedPart {
                        part_number: 1,
                        etag: part.parts[0].etag.clone(),
                    }],
                )
                .await
                .unwrap();
            assert_eq!(done.attrs.content_type.as_deref(), Some("text/plain"));
        } else {
            assert!(notes.attrs.lock.legal_hold, "the hold survived the reopen");
            let id = notes.version_id.as_deref().unwrap();
            assert!(matches!(
                s.delete("docs", "notes.txt", Some(id), false).await,
                Err(Error::ObjectLocked)
            ));
        }
        assert_eq!(
            get(&s, "docs", "upload.bin").await.as_deref(),
            Some(&b"staged part in format 4"[..])
        );
        drop(s);
    }
}

/// What the format fixtures hold (their README.md): two versions of `docs/notes.txt`, the
/// inline `docs/small.txt` and the blob file `big/file.bin`.
async fn check_fixture_objects(s: &Store, small: &[u8]) {
    assert_eq!(
        get(s, "docs", "notes.txt").await.unwrap(),
        b"second version"
    );
    assert_eq!(get(s, "docs", "small.txt").await.unwrap(), small);
    assert_eq!(get(s, "big", "file.bin").await.unwrap(), vec![42u8; 10_000]);
    let listing = s
        .list_versions(
            "docs",
            &VersionQuery {
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    let notes: Vec<_> = listing
        .versions
        .iter()
        .filter(|v| v.key == "notes.txt")
        .collect();
    assert_eq!(notes.len(), 2);
    let old = notes.iter().find(|v| !v.is_latest).unwrap();
    assert_eq!(
        read_version_in(s, "docs", "notes.txt", old.version_id.as_deref().unwrap()).await,
        b"first version"
    );
}
