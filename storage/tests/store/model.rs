//! Model-based property tests: random sequences of put / overwrite / multipart / delete /
//! copy / list / reopen / pack compaction compared with a `BTreeMap` (objects up to
//! `PACK_MAX` are packed, larger ones are blob files), and list paging (feeding
//! `next_after` back) compared with the model's listing for random max-keys, prefix and
//! delimiter.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use storage::{CompletedPart, Expect, ListQuery, ObjectAttrs, Store, StoreOptions};

use super::{content, get, open, put, rt, small_options};

/// Single-part objects up to this size are packed: about half of the puts.
const PACK_MAX: usize = 1500;

fn open_packed(dir: &Path) -> Store {
    let options = StoreOptions {
        pack_max: PACK_MAX,
        ..small_options()
    };
    Store::open(dir, options).unwrap()
}

const KEYS: &[&str] = &[
    "a", "a/b", "a/b/", "a/c/d", "b", "b/", "c d", "c+%", "日本/x", "/x",
];
const PREFIXES: &[&str] = &["", "a", "a/", "b", "日", "/", "z"];

#[derive(Debug, Clone)]
enum Op {
    Put {
        key: usize,
        seed: u8,
        len: usize,
    },
    Multipart {
        key: usize,
        seed: u8,
        last: usize,
    },
    Delete(usize),
    Copy(usize, usize),
    List {
        prefix: usize,
        delimiter: bool,
        max_keys: usize,
    },
    Reopen,
    Compact,
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS.len();
    prop_oneof![
        5 => (k.clone(), any::<u8>(), 0..3000usize).prop_map(|(key, seed, len)| Op::Put { key, seed, len }),
        1 => (k.clone(), any::<u8>(), 0..1500usize).prop_map(|(key, seed, last)| Op::Multipart { key, seed, last }),
        2 => k.clone().prop_map(Op::Delete),
        2 => (k.clone(), k).prop_map(|(a, b)| Op::Copy(a, b)),
        2 => (0..PREFIXES.len(), any::<bool>(), 1..5usize)
            .prop_map(|(prefix, delimiter, max_keys)| Op::List { prefix, delimiter, max_keys }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Compact),
    ]
}

/// The model's listing: objects and common prefixes, in order.
fn model_list<'a>(
    keys: impl Iterator<Item = &'a String>,
    prefix: &str,
    delimiter: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let mut objects = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    for k in keys {
        let Some(rest) = k.strip_prefix(prefix) else {
            continue;
        };
        match delimiter.and_then(|d| rest.find(d).map(|i| (i, d))) {
            Some((i, d)) => {
                let cp = format!("{prefix}{}", &rest[..i + d.len()]);
                if prefixes.last() != Some(&cp) {
                    prefixes.push(cp);
                }
            }
            None => objects.push(k.clone()),
        }
    }
    (objects, prefixes)
}

/// Concatenate every page of a listing.
fn paged(
    store: &Store,
    prefix: &str,
    delimiter: Option<&str>,
    max_keys: usize,
) -> (Vec<String>, Vec<String>) {
    let mut objects = Vec::new();
    let mut prefixes = Vec::new();
    let mut after = None;
    for _ in 0..10_000 {
        let page = store
            .list_objects(
                "bkt",
                &ListQuery {
                    prefix: prefix.into(),
                    delimiter: delimiter.map(Into::into),
                    after: after.take(),
                    max_keys,
                },
            )
            .unwrap();
        let n = page.objects.len() + page.common_prefixes.len();
        assert!(n <= max_keys);
        objects.extend(page.objects.into_iter().map(|o| o.key));
        prefixes.extend(page.common_prefixes);
        if !page.is_truncated {
            assert!(page.next_after.is_none());
            return (objects, prefixes);
        }
        assert!(n > 0, "a truncated page makes progress");
        after = Some(page.next_after.expect("truncated pages carry next_after"));
    }
    panic!("listing did not terminate");
}

async fn multipart(store: &Store, key: &str, data: &[u8]) {
    let up = store
        .create_upload("bkt", key, "me", ObjectAttrs::default(), None)
        .await
        .unwrap();
    let mut done = Vec::new();
    for (i, chunk) in [&data[..1024], &data[1024..]].into_iter().enumerate() {
        let mut w = store.blob_writer(&[]).unwrap();
        w.write(chunk).await.unwrap();
        let blob = w.finish(&Expect::default()).await.unwrap();
        let p = store
            .commit_part("bkt", key, &up.upload_id, i as u32 + 1, blob)
            .await
            .unwrap();
        done.push(CompletedPart {
            part_number: p.part_number,
            etag: p.etag,
        });
    }
    store
        .complete_upload("bkt", key, &up.upload_id, &done)
        .await
        .unwrap();
}

async fn check_all(store: &Store, model: &BTreeMap<String, Vec<u8>>) {
    for k in KEYS {
        assert_eq!(
            get(store, "bkt", k).await.as_ref(),
            model.get(*k),
            "key {k:?}"
        );
    }
    assert_eq!(
        paged(store, "", None, 1000).0,
        model.keys().cloned().collect::<Vec<_>>()
    );
}

async fn run(dir: &Path, ops: Vec<Op>) {
    let mut store = open_packed(dir);
    store.create_bucket("bkt", "me", "r").await.unwrap();
    let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Put { key, seed, len } => {
                let data = content(u64::from(seed), len);
                put(&store, "bkt", KEYS[key], &data).await;
                model.insert(KEYS[key].into(), data);
            }
            Op::Multipart { key, seed, last } => {
                let data = content(u64::from(seed) + 1000, 1024 + last);
                multipart(&store, KEYS[key], &data).await;
                model.insert(KEYS[key].into(), data);
            }
            Op::Delete(key) => {
                let old = store.delete_object("bkt", KEYS[key], false).await.unwrap();
                assert_eq!(old.is_some(), model.remove(KEYS[key]).is_some());
            }
            Op::Copy(src, dst) => match store.get_object("bkt", KEYS[src], None) {
                Ok(source) => {
                    store
                        .copy_object(source, "bkt", KEYS[dst], ObjectAttrs::default())
                        .await
                        .unwrap();
                    let data = model[KEYS[src]].clone();
                    model.insert(KEYS[dst].into(), data);
                }
                Err(storage::Error::NoSuchKey) => assert!(!model.contains_key(KEYS[src])),
                Err(e) => panic!("{e}"),
            },
            Op::List {
                prefix,
                delimiter,
                max_keys,
            } => {
                let d = delimiter.then_some("/");
                assert_eq!(
                    paged(&store, PREFIXES[prefix], d, max_keys),
                    model_list(model.keys(), PREFIXES[prefix], d)
                );
            }
            Op::Reopen => {
                drop(store);
                store = open_packed(dir);
                assert_eq!(store.recovery_report(), storage::RecoveryReport::default());
            }
            Op::Compact => {
                store.compact_packs().await.unwrap();
                check_all(&store, &model).await;
            }
        }
    }
    check_all(&store, &model).await;
    drop(store);
    let store = open_packed(dir);
    check_all(&store, &model).await;
    // Exactly one blob per large single-part object, one per part of a multipart one, none
    // for a packed one: nothing leaked.
    let mut expected = 0;
    for k in model.keys() {
        let meta = store.head_object("bkt", k).unwrap();
        if !meta.part_sizes.is_empty() || meta.size > PACK_MAX as u64 {
            expected += meta.part_sizes.len().max(1);
        }
    }
    assert_eq!(super::blob_files(dir).len(), expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(ops in proptest::collection::vec(op(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        rt().block_on(run(dir.path(), ops));
    }

    #[test]
    fn list_pages_concatenate_to_the_model(
        keys in proptest::collection::btree_set("[ab/]{1,5}", 0..25),
        queries in proptest::collection::vec(
            (1..6usize, prop_oneof![Just(String::new()), "[ab/]{1,2}"], 0..3usize),
            1..6,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        rt().block_on(async {
            let store = open(dir.path());
            store.create_bucket("bkt", "me", "r").await.unwrap();
            for k in &keys {
                put(&store, "bkt", k, b"").await;
            }
            let keys: Vec<String> = keys.into_iter().collect();
            for (max_keys, prefix, d) in queries {
                let delimiter = [None, Some("/"), Some("ab")][d];
                assert_eq!(
                    paged(&store, &prefix, delimiter, max_keys),
                    model_list(keys.iter(), &prefix, delimiter),
                    "max_keys={max_keys} prefix={prefix:?} delimiter={delimiter:?}"
                );
            }
        });
    }
}
