//! Listings resume exactly while the bucket changes between pages: a client that lists a
//! page, deletes some or all of what it listed (or keys it has not reached yet), and asks
//! for the next page from the markers it was given must see every remaining entry exactly
//! once, in order, whether or not the marker's key or version still exists. Checked against
//! a model for ListObjects (the `after` of v1 markers, v2 start-after and continuation
//! tokens) and ListObjectVersions (key and version-id markers, including `null`).

use std::collections::BTreeSet;

use proptest::prelude::*;
use storage::{ListQuery, Store, VersionQuery, Versioning};

use crate::{open, put, rt};

/// What the client does between two pages.
#[derive(Debug, Clone)]
enum Between {
    Nothing,
    /// Delete everything the page listed (a tool emptying a bucket).
    DeleteListed,
    /// Delete the listed entries whose bit is set, always keeping the page's last one.
    DeleteSomeListed(u32),
    /// Delete an entry not listed yet (by its index among the remaining ones).
    DeleteAhead(usize),
}

fn between() -> impl Strategy<Value = Between> {
    prop_oneof![
        Just(Between::Nothing),
        Just(Between::DeleteListed),
        any::<u32>().prop_map(Between::DeleteSomeListed),
        (0..64usize).prop_map(Between::DeleteAhead),
    ]
}

type Entry = (String, String);
type ListPage = fn(&Store, usize, &Option<Entry>) -> (Vec<Entry>, Option<Entry>);

fn all_versions(s: &Store) -> Vec<Entry> {
    let page = s
        .list_versions(
            "bkt",
            &VersionQuery {
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!page.is_truncated);
    page.versions
        .into_iter()
        .map(|v| (v.key, v.version_id.unwrap_or_else(|| "null".into())))
        .collect()
}

/// Page through `expected` (what a full listing returned at the start) with `steps` between
/// pages, deleting with `delete`, and return the concatenated pages and what a client should
/// have seen: every entry of `expected` not deleted before it was listed.
async fn page_through(
    s: &Store,
    expected: &[Entry],
    steps: &[(usize, Between)],
    (list_page, versions): (ListPage, bool),
) -> (Vec<Entry>, Vec<Entry>) {
    // A version listing's entries are deleted by version id, an object listing's by key.
    let delete = |e: Entry| async move {
        let version = versions.then_some(e.1.as_str());
        s.delete("bkt", &e.0, version, false).await.unwrap();
    };
    let mut seen = Vec::new();
    let mut gone_unseen = BTreeSet::new();
    let mut marker = None;
    let mut steps = steps.iter().cycle();
    for _ in 0..expected.len() + 2 {
        let (max_keys, between) = steps.next().cloned().unwrap_or((1000, Between::Nothing));
        let (page, next) = list_page(s, max_keys, &marker);
        seen.extend(page.iter().cloned());
        let Some(next) = next else {
            break;
        };
        match between {
            Between::Nothing => {}
            Between::DeleteListed => {
                for e in page {
                    delete(e).await;
                }
            }
            Between::DeleteSomeListed(bits) => {
                let last = page.len().saturating_sub(1);
                for (i, e) in page.into_iter().enumerate() {
                    if i != last && bits & (1 << (i % 32)) != 0 {
                        delete(e).await;
                    }
                }
            }
            Between::DeleteAhead(i) => {
                let ahead: Vec<&Entry> = expected
                    .iter()
                    .filter(|e| !seen.contains(e) && !gone_unseen.contains(*e))
                    .collect();
                if !ahead.is_empty() {
                    let e = ahead[i % ahead.len()].clone();
                    gone_unseen.insert(e.clone());
                    delete(e).await;
                }
            }
        }
        marker = Some(next);
    }
    let want = expected
        .iter()
        .filter(|e| !gone_unseen.contains(*e))
        .cloned()
        .collect();
    (seen, want)
}

fn versions_page(
    s: &Store,
    max_keys: usize,
    marker: &Option<Entry>,
) -> (Vec<Entry>, Option<Entry>) {
    let page = s
        .list_versions(
            "bkt",
            &VersionQuery {
                key_marker: marker.as_ref().map(|m| m.0.clone()),
                version_id_marker: marker.as_ref().map(|m| m.1.clone()),
                max_keys,
                ..Default::default()
            },
        )
        .unwrap();
    let next = page.is_truncated.then(|| {
        (
            page.next_key_marker.clone().unwrap(),
            page.next_version_id_marker.clone().unwrap(),
        )
    });
    let entries = page
        .versions
        .into_iter()
        .map(|v| (v.key, v.version_id.unwrap_or_else(|| "null".into())))
        .collect();
    (entries, next)
}

fn objects_page(s: &Store, max_keys: usize, marker: &Option<Entry>) -> (Vec<Entry>, Option<Entry>) {
    let page = s
        .list_objects(
            "bkt",
            &ListQuery {
                after: marker.as_ref().map(|m| m.0.clone()),
                max_keys,
                ..Default::default()
            },
        )
        .unwrap();
    let next = page
        .is_truncated
        .then(|| (page.next_after.clone().unwrap(), String::new()));
    let entries = page
        .objects
        .into_iter()
        .map(|o| (o.key, String::new()))
        .collect();
    (entries, next)
}

const KEYS: &str = "[a-e]{1,3}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 300, ..ProptestConfig::default() })]

    /// Keys with one to four versions each (a null version written before versioning was
    /// enabled, then versions and delete markers), paged while versions are deleted.
    #[test]
    fn version_listings_resume_exactly_while_versions_are_deleted(
        keys in proptest::collection::btree_map(KEYS, (any::<bool>(), 0..3usize, any::<bool>()), 1..14),
        steps in proptest::collection::vec((1..5usize, between()), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        rt().block_on(async {
            let s = open(dir.path());
            s.create_bucket("bkt", "me", "r").await.unwrap();
            for (k, (null, _, _)) in &keys {
                if *null {
                    put(&s, "bkt", k, b"null").await;
                }
            }
            s.set_versioning("bkt", Versioning::Enabled).await.unwrap();
            for (k, (null, more, marker)) in &keys {
                for i in 0..*more + usize::from(!*null) {
                    put(&s, "bkt", k, format!("v{i}").as_bytes()).await;
                }
                if *marker {
                    s.delete("bkt", k, None, false).await.unwrap();
                }
            }
            let expected = all_versions(&s);
            let (seen, want) = page_through(&s, &expected, &steps, (versions_page, true)).await;
            assert_eq!(seen, want);
        });
    }

    /// ListObjects (v1 marker, v2 start-after and continuation token: all are `after`)
    /// paged while keys are deleted.
    #[test]
    fn object_listings_resume_exactly_while_keys_are_deleted(
        keys in proptest::collection::btree_set(KEYS, 1..20),
        steps in proptest::collection::vec((1..5usize, between()), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        rt().block_on(async {
            let s = open(dir.path());
            s.create_bucket("bkt", "me", "r").await.unwrap();
            for k in &keys {
                put(&s, "bkt", k, b"x").await;
            }
            let expected: Vec<Entry> = keys.iter().map(|k| (k.clone(), String::new())).collect();
            let (seen, want) = page_through(&s, &expected, &steps, (objects_page, false)).await;
            assert_eq!(seen, want);
        });
    }
}

/// The case seen in the field: empty a bucket page by page, deleting every listed version
/// before asking for the next page from `KeyMarker` and `VersionIdMarker=null` (the last
/// entry's key and version id, as the client built them), and from the page's own markers.
#[test]
fn emptying_a_bucket_page_by_page_leaves_nothing() {
    for from_last_entry in [true, false] {
        empty_page_by_page(from_last_entry);
    }
}

fn empty_page_by_page(from_last_entry: bool) {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let s = open(dir.path());
        s.create_bucket("bkt", "me", "r").await.unwrap();
        for i in 0..300 {
            put(&s, "bkt", &format!("k{i:04}"), b"x").await;
        }
        let mut marker = None;
        let mut pages = 0;
        loop {
            let (page, next) = versions_page(&s, 128, &marker);
            let last = page.last().cloned();
            for (k, v) in page {
                s.delete("bkt", &k, Some(&v), false).await.unwrap();
            }
            pages += 1;
            match next {
                Some(_) if from_last_entry => marker = last,
                Some(n) => marker = Some(n),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(all_versions(&s), Vec::<Entry>::new());
        s.delete_bucket("bkt").await.unwrap();
    });
}
