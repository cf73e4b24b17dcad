//! Small objects in pack files: no blob file is written, reads (ranges included), copies,
//! overwrites and versions work as for any object; compaction reclaims the space of deleted
//! objects without losing a live one, even while a reader streams it; a pack torn at any
//! byte of an append no commit followed (what a crash leaves) loses nothing acknowledged.

use std::path::{Path, PathBuf};

use storage::{ByteRange, Store, StoreOptions};

use super::{blob_files, content, get, put, read_all, small_options};

const PACK_MAX: usize = 4096;
/// Small pack files, so that a few hundred objects fill several.
const PACK_FILE: u64 = 64 * 1024;

fn options() -> StoreOptions {
    StoreOptions {
        pack_max: PACK_MAX,
        pack_file_bytes: PACK_FILE,
        ..small_options()
    }
}

fn open(dir: &Path) -> Store {
    Store::open(dir, options()).unwrap()
}

fn packs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join("packs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

fn pack_bytes(dir: &Path) -> u64 {
    packs(dir)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum()
}

fn key(i: usize) -> String {
    format!("k/{i:04}")
}

#[tokio::test]
async fn small_objects_are_packed_and_read_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.create_bucket("bkt", "me", "r").await.unwrap();
    let small = content(1, PACK_MAX);
    put(&store, "bkt", "small", &small).await;
    put(&store, "bkt", "empty", b"").await;
    assert!(
        blob_files(dir.path()).is_empty(),
        "exactly pack_max is packed"
    );
    assert_eq!(get(&store, "bkt", "small").await.unwrap(), small);
    assert_eq!(get(&store, "bkt", "empty").await.unwrap(), b"");
    let (_, reader) = store
        .get_object("bkt", "small", Some(ByteRange::FromTo(100, 199)))
        .unwrap();
    assert_eq!(read_all(reader).await, small[100..200].to_vec());

    // One byte more is a file; a small overwrite releases it; a copy of a packed object is
    // packed.
    put(&store, "bkt", "small", &content(2, PACK_MAX + 1)).await;
    assert_eq!(blob_files(dir.path()).len(), 1);
    put(&store, "bkt", "small", b"small again").await;
    assert!(blob_files(dir.path()).is_empty());
    let source = store.get_object("bkt", "small", None).unwrap();
    store
        .copy_object(source, "bkt", "copy", storage::ObjectAttrs::default())
        .await
        .unwrap();
    assert_eq!(get(&store, "bkt", "copy").await.unwrap(), b"small again");
    assert!(blob_files(dir.path()).is_empty());

    // Versions of packed objects, and everything survives a reopen.
    store
        .set_versioning("bkt", storage::Versioning::Enabled)
        .await
        .unwrap();
    let v1 = put(&store, "bkt", "v", b"one").await;
    put(&store, "bkt", "v", b"two").await;
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.recovery_report(), storage::RecoveryReport::default());
    assert_eq!(get(&store, "bkt", "v").await.unwrap(), b"two");
    let (_, old) = store
        .get_object_version("bkt", "v", v1.version_id.as_deref(), None)
        .unwrap();
    assert_eq!(read_all(old).await, b"one");
    assert_eq!(get(&store, "bkt", "copy").await.unwrap(), b"small again");
    assert!(!packs(dir.path()).is_empty());
}

/// Many concurrent writers: every body lands whole at its own place. Four waves of 50
/// (about 85 KB each, more than a pack file): the packs rotate between waves.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_share_appends_without_mixing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.create_bucket("bkt", "me", "r").await.unwrap();
    for wave in 0..4 {
        let mut tasks = Vec::new();
        for i in wave * 50..(wave + 1) * 50 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let body = content(i as u64, 1 + i * 17 % PACK_MAX);
                put(&store, "bkt", &key(i), &body).await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
    for i in 0..200 {
        let want = content(i as u64, 1 + i * 17 % PACK_MAX);
        assert_eq!(get(&store, "bkt", &key(i)).await.unwrap(), want, "{i}");
    }
    assert!(blob_files(dir.path()).is_empty());
    // A batch goes whole into one pack: a pack may pass its size by one batch.
    assert!(packs(dir.path()).len() >= 2, "the packs rotated");
}

#[tokio::test]
async fn compaction_reclaims_deleted_space_and_keeps_live_objects() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.create_bucket("bkt", "me", "r").await.unwrap();
    for i in 0..300 {
        put(&store, "bkt", &key(i), &content(i as u64, 2000)).await;
    }
    let before = pack_bytes(dir.path());
    let files_before = packs(dir.path()).len();
    assert!(files_before >= 8, "{files_before} packs");
    // Nothing dead yet: nothing to do.
    let idle = store.compact_packs().await.unwrap();
    assert_eq!((idle.packs_removed, idle.objects_moved), (0, 0), "{idle:?}");
    // Three of every four objects deleted.
    for i in (0..300).filter(|i| i % 4 != 0) {
        store.delete_object("bkt", &key(i), false).await.unwrap();
    }
    let report = store.compact_packs().await.unwrap();
    assert!(
        report.packs_removed >= files_before as u64 - 2,
        "{report:?}"
    );
    assert!(report.objects_moved > 0, "{report:?}");
    let after = pack_bytes(dir.path());
    assert!(
        after * 2 < before,
        "compaction left {after} of {before} bytes"
    );
    let check = |store: Store| async move {
        for i in 0..300 {
            let got = get(&store, "bkt", &key(i)).await;
            if i % 4 == 0 {
                assert_eq!(got.unwrap(), content(i as u64, 2000), "{i}");
            } else {
                assert!(got.is_none(), "{i}");
            }
        }
    };
    check(store.clone()).await;
    // A second run finds nothing more worth moving.
    let again = store.compact_packs().await.unwrap();
    assert_eq!(again.objects_moved, 0, "{again:?}");
    drop(store);
    let store = open(dir.path());
    check(store.clone()).await;
    // Everything deleted: every pack but the newest goes.
    for i in (0..300).filter(|i| i % 4 == 0) {
        store.delete_object("bkt", &key(i), false).await.unwrap();
    }
    store.compact_packs().await.unwrap();
    assert!(packs(dir.path()).len() <= 1, "{:?}", packs(dir.path()));
}

/// A reader streaming a packed object keeps the pack compaction moved it out of: the file
/// goes when the reader does, not before.
#[tokio::test]
async fn a_reader_keeps_the_pack_compaction_moves_it_from() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        dir.path(),
        StoreOptions {
            read_chunk: 512,
            ..options()
        },
    )
    .unwrap();
    store.create_bucket("bkt", "me", "r").await.unwrap();
    for i in 0..100 {
        put(&store, "bkt", &key(i), &content(i as u64, 3000)).await;
    }
    let first_pack = packs(dir.path())[0].clone();
    let (_, mut reader) = store.get_object("bkt", &key(0), None).unwrap();
    use futures::StreamExt as _;
    let mut got = reader.next().await.unwrap().unwrap().to_vec();
    for i in 1..100 {
        store.delete_object("bkt", &key(i), false).await.unwrap();
    }
    let report = store.compact_packs().await.unwrap();
    assert!(report.objects_moved >= 1, "{report:?}");
    assert!(first_pack.exists(), "deleted under a reader");
    while let Some(chunk) = reader.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, content(0, 3000));
    drop(reader);
    store.compact_packs().await.unwrap();
    assert!(!first_pack.exists(), "kept after its last reader");
    assert_eq!(get(&store, "bkt", &key(0)).await.unwrap(), content(0, 3000));
}

/// What a crash in the middle of a group append leaves: the newest pack ends in bytes no
/// record names, cut at any byte. Every acknowledged object reads back whole, new writes go
/// to a new pack, and compaction reclaims the torn one once its objects are gone.
#[tokio::test]
async fn a_pack_torn_at_any_byte_loses_nothing_acknowledged() {
    let original = tempfile::tempdir().unwrap();
    {
        let store = open(original.path());
        store.create_bucket("bkt", "me", "r").await.unwrap();
        for i in 0..10 {
            put(&store, "bkt", &key(i), &content(i as u64, 1000 + i)).await;
        }
    }
    let torn_body = content(99, PACK_MAX);
    for cut in [1, 2, 511, 512, 513, 4095, PACK_MAX] {
        let dir = tempfile::tempdir().unwrap();
        crate::copy_tree(original.path(), dir.path());
        let newest = packs(dir.path()).pop().unwrap();
        let acked_len = std::fs::metadata(&newest).unwrap().len();
        {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&newest)
                .unwrap();
            f.write_all(&torn_body[..cut]).unwrap();
        }
        // Also a pack created and never written (a crash right after its creation).
        let empty = dir.path().join("packs").join(format!(
            "{:016x}",
            u64::from_str_radix(&newest.file_name().unwrap().to_string_lossy(), 16).unwrap() + 1
        ));
        std::fs::File::create(&empty).unwrap();

        let store = open(dir.path());
        for i in 0..10 {
            assert_eq!(
                get(&store, "bkt", &key(i)).await.unwrap(),
                content(i as u64, 1000 + i),
                "cut {cut}: object {i}"
            );
        }
        put(&store, "bkt", "after", b"written after the crash").await;
        assert_eq!(
            std::fs::metadata(&newest).unwrap().len(),
            acked_len + cut as u64,
            "cut {cut}: nothing is appended to a pack of an earlier run"
        );
        assert_eq!(
            get(&store, "bkt", "after").await.unwrap(),
            b"written after the crash"
        );
        // The empty pack holds nothing live: compaction removes it right away.
        store.compact_packs().await.unwrap();
        assert!(!empty.exists(), "cut {cut}: the empty pack stays");
        for i in 0..10 {
            store.delete_object("bkt", &key(i), false).await.unwrap();
        }
        store.compact_packs().await.unwrap();
        assert!(!newest.exists(), "cut {cut}: the torn pack stays");
        assert_eq!(
            get(&store, "bkt", "after").await.unwrap(),
            b"written after the crash"
        );
    }
}
