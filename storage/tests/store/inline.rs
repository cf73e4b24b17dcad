//! Small objects kept inline in their metadata record: no blob file is written, reads
//! (ranges included) and copies work as for any object, the inline/file boundary is
//! exactly `inline_max`, an overwrite either way releases what it replaces, and inline
//! versions survive a reopen.

use storage::{ByteRange, Store, StoreOptions};

use super::{blob_files, content, get, put, read_all, small_options};

const INLINE_MAX: usize = 4096;

fn open(dir: &std::path::Path) -> Store {
    Store::open(
        dir,
        StoreOptions {
            inline_max: INLINE_MAX,
            ..small_options()
        },
    )
    .unwrap()
}

#[tokio::test]
async fn small_objects_have_no_blob_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.create_bucket("bkt", "me", "r").await.unwrap();
    let small = content(1, INLINE_MAX);
    let meta = put(&store, "bkt", "small", &small).await;
    assert_eq!(meta.size, INLINE_MAX as u64);
    assert!(
        blob_files(dir.path()).is_empty(),
        "exactly inline_max is inline"
    );
    assert_eq!(get(&store, "bkt", "small").await.unwrap(), small);
    let (_, reader) = store
        .get_object("bkt", "small", Some(ByteRange::FromTo(10, 19)))
        .unwrap();
    assert_eq!(read_all(reader).await, small[10..20].to_vec());
    let empty = put(&store, "bkt", "empty", b"").await;
    assert_eq!(empty.size, 0);
    assert_eq!(get(&store, "bkt", "empty").await.unwrap(), b"");

    // One byte more is a file; overwriting it with a small object releases the file.
    let big = content(2, INLINE_MAX + 1);
    put(&store, "bkt", "small", &big).await;
    assert_eq!(blob_files(dir.path()).len(), 1);
    put(&store, "bkt", "small", b"small again").await;
    assert!(blob_files(dir.path()).is_empty());

    // A copy of a small object is small.
    let source = store.get_object("bkt", "small", None).unwrap();
    store
        .copy_object(source, "bkt", "copy", storage::ObjectAttrs::default())
        .await
        .unwrap();
    assert_eq!(get(&store, "bkt", "copy").await.unwrap(), b"small again");
    assert!(blob_files(dir.path()).is_empty());

    // Inline versions are versions like others, and everything survives a reopen.
    store
        .set_versioning("bkt", storage::Versioning::Enabled)
        .await
        .unwrap();
    let v1 = put(&store, "bkt", "v", b"first").await.version_id.unwrap();
    put(&store, "bkt", "v", b"second").await;
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.recovery_report(), storage::RecoveryReport::default());
    let (_, reader) = store
        .get_object_version("bkt", "v", Some(&v1), None)
        .unwrap();
    assert_eq!(read_all(reader).await, b"first");
    assert_eq!(get(&store, "bkt", "v").await.unwrap(), b"second");
    assert_eq!(get(&store, "bkt", "copy").await.unwrap(), b"small again");
    assert!(blob_files(dir.path()).is_empty());
}
