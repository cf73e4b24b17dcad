//! kill -9 crash test of a versioned bucket. The child loops over a few keys writing new
//! versions, inserting delete markers and deleting the oldest version by id, logging an
//! `intent` line before and an fsynced `ack` line (with the version id) after each
//! acknowledged operation. The parent SIGKILLs it at random moments, reopens the store and
//! checks every key's version list: every acknowledged version and marker is there (unless
//! a later delete removed it), nothing else is but the one operation in flight, each
//! version's content is whole, the order is newest first, and the sweep leaves no temp file
//! and no unreferenced blob.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use storage::{Expect, ObjectAttrs, Store, VersionEntry, VersionQuery, Versioning};

use super::crash::{
    clock_seed, complete_lines, next_seed, spawn_child, ChildLog, DIR_ENV, START_ENV,
};
use super::{blob_files, content, read_all, rt, small_options, temp_files};

/// Versions up to this size are inline (no blob file): a few of them.
const INLINE_MAX: usize = 4 * 1024;
/// Versions above `INLINE_MAX` and up to this size are packed (no blob file either): about
/// a third of them.
const PACK_MAX: usize = 24 * 1024;

fn options() -> storage::StoreOptions {
    storage::StoreOptions {
        inline_max: INLINE_MAX,
        pack_max: PACK_MAX,
        ..small_options()
    }
}

const BUCKET: &str = "ver";
const KEYS: u64 = 4;
const ROUNDS: u64 = 5;
const LOG: &str = "vlog";

fn key_name(key: u64) -> String {
    format!("v/key {key}")
}

/// What operation `n` is: every 5th a delete marker, every 7th a delete of the key's
/// oldest version by id, the rest new versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Put,
    Delete,
    DeleteOldest,
}

fn op(n: u64) -> Op {
    match (n % 5, n % 7) {
        (4, _) => Op::Delete,
        (_, 6) => Op::DeleteOldest,
        _ => Op::Put,
    }
}

fn version_content(key: u64, n: u64) -> Vec<u8> {
    let len = ((n.wrapping_mul(7919) + key * 104_729) % 60_000) as usize;
    content((n << 8) | key | 0x80, len)
}

async fn versions_of(store: &Store, key: &str) -> Vec<VersionEntry> {
    let page = store
        .list_versions(
            BUCKET,
            &VersionQuery {
                prefix: key.to_owned(),
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!page.is_truncated);
    page.versions.into_iter().filter(|v| v.key == key).collect()
}

#[test]
fn versions_crash_child() {
    let Ok(dir) = std::env::var(DIR_ENV) else {
        return; // only meaningful when re-executed by `kill_9_keeps_acknowledged_versions`
    };
    let dir = PathBuf::from(dir);
    let start: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    rt().block_on(async {
        let store = Store::open(dir.join("store"), options()).unwrap();
        match store.create_bucket(BUCKET, "me", "r").await {
            Ok(_) | Err(storage::Error::BucketAlreadyOwnedByYou) => {}
            Err(e) => panic!("{e}"),
        }
        store
            .set_versioning(BUCKET, Versioning::Enabled)
            .await
            .unwrap();
        let mut log = ChildLog::open(&dir.join(LOG));
        log.line(format_args!("ready"));
        log.sync();
        for n in start.. {
            let key = n % KEYS;
            let name = key_name(key);
            let id = match op(n) {
                Op::Put => {
                    log.line(format_args!("intent put {key} {n}"));
                    let data = version_content(key, n);
                    let mut attrs = ObjectAttrs::default();
                    attrs.user_metadata.insert("n".into(), n.to_string().into());
                    let meta = store
                        .put_object(BUCKET, &name, attrs, super::body(&data), &Expect::default())
                        .await
                        .unwrap();
                    meta.version_id.unwrap()
                }
                Op::Delete => {
                    log.line(format_args!("intent delete {key} {n}"));
                    let deleted = store.delete(BUCKET, &name, None, false).await.unwrap();
                    assert!(deleted.delete_marker);
                    deleted.version_id.unwrap()
                }
                Op::DeleteOldest => {
                    let Some(oldest) = versions_of(&store, &name).await.pop() else {
                        continue;
                    };
                    let id = oldest.version_id.unwrap();
                    log.line(format_args!("intent delete-version {key} {n} {id}"));
                    store.delete(BUCKET, &name, Some(&id), false).await.unwrap();
                    id
                }
            };
            log.line(format_args!("ack {key} {n} {id}"));
            log.sync();
        }
    });
}

/// Per key, from the log.
#[derive(Default, Debug)]
struct History {
    /// Acknowledged puts and delete markers: version id -> (n, is a marker).
    acked: BTreeMap<String, (u64, bool)>,
    /// Version ids a delete-version was (at least) attempted on.
    removed: BTreeSet<String>,
    /// Version ids whose delete-version was acknowledged.
    removed_acked: BTreeSet<String>,
    /// Operations on this key in flight at a kill (one per round at most), which may or
    /// may not have taken effect.
    in_flight: Vec<(u64, Op)>,
}

fn read_log(path: &Path) -> (BTreeMap<u64, History>, bool) {
    let mut out: BTreeMap<u64, History> = BTreeMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let ready = complete_lines(&text).any(|l| l == "ready");
    let mut pending: Option<(u64, u64, Op, Option<String>)> = None;
    for line in complete_lines(&text) {
        let f: Vec<&str> = line.split(' ').collect();
        match f[..] {
            // A new round: what the last one left unacknowledged was in flight at its kill.
            ["ready"] => {
                if let Some((key, n, o, _)) = pending.take() {
                    out.entry(key).or_default().in_flight.push((n, o));
                }
            }
            ["intent", kind, key, n, ..] => {
                let (key, n) = (key.parse().unwrap(), n.parse().unwrap());
                let o = match kind {
                    "put" => Op::Put,
                    "delete" => Op::Delete,
                    _ => Op::DeleteOldest,
                };
                let target = f.get(4).map(|s| (*s).to_owned());
                if let Some(t) = &target {
                    out.entry(key).or_default().removed.insert(t.clone());
                }
                pending = Some((key, n, o, target));
            }
            ["ack", key, n, id] => {
                let (key, n): (u64, u64) = (key.parse().unwrap(), n.parse().unwrap());
                let (pk, pn, o, target) = pending.take().expect("an ack follows its intent");
                assert_eq!((pk, pn), (key, n));
                let h = out.entry(key).or_default();
                match o {
                    Op::Put => drop(h.acked.insert(id.to_owned(), (n, false))),
                    Op::Delete => drop(h.acked.insert(id.to_owned(), (n, true))),
                    Op::DeleteOldest => drop(h.removed_acked.insert(target.unwrap())),
                }
            }
            _ => {}
        }
    }
    if let Some((key, n, o, _)) = pending {
        out.entry(key).or_default().in_flight.push((n, o));
    }
    (out, ready)
}

async fn verify(dir: &Path) -> usize {
    let store_dir = dir.join("store");
    let store = Store::open(&store_dir, options()).unwrap();
    let report = store.recovery_report();
    let (log, ready) = read_log(&dir.join(LOG));
    if !ready {
        assert!(log.values().all(|h| h.acked.is_empty()));
        return 0;
    }
    let mut acked_total = 0;
    let mut object_versions = 0;
    for key in 0..KEYS {
        let name = key_name(key);
        let empty = History::default();
        let h = log.get(&key).unwrap_or(&empty);
        acked_total += h.acked.len();
        let listed = versions_of(&store, &name).await;
        // Every acknowledged version or marker is there, unless a delete-version named it.
        let present: BTreeSet<&str> = listed
            .iter()
            .map(|v| v.version_id.as_deref().unwrap())
            .collect();
        for (id, (n, marker)) in &h.acked {
            if !h.removed.contains(id) {
                assert!(
                    present.contains(id.as_str()),
                    "{name}: acknowledged {} n={n} ({id}) lost",
                    if *marker { "marker" } else { "version" }
                );
            }
        }
        for id in &h.removed_acked {
            assert!(
                !present.contains(id.as_str()),
                "{name}: deleted {id} is back"
            );
        }
        // Nothing else is there but the operation in flight; each version is whole.
        let mut last_n = u64::MAX;
        let mut unknown = 0;
        for (i, v) in listed.iter().enumerate() {
            let id = v.version_id.clone().unwrap();
            assert_eq!(v.is_latest, i == 0, "{name}: IsLatest of {id}");
            let n = match (&v.object, h.acked.get(&id)) {
                (Some(meta), acked) => {
                    if meta.size > PACK_MAX as u64 {
                        object_versions += 1;
                    }
                    let n: u64 = meta.attrs.user_metadata["n"]
                        .as_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    if let Some((acked_n, marker)) = acked {
                        assert_eq!((*acked_n, *marker), (n, false), "{name}: {id}");
                    }
                    let (_, reader) = store
                        .get_object_version(BUCKET, &name, Some(&id), None)
                        .unwrap();
                    assert!(
                        read_all(reader).await == version_content(key, n),
                        "{name}: version n={n} ({id}) is not whole"
                    );
                    n
                }
                (None, Some((n, true))) => *n,
                // A marker from a delete in flight: its n is not recorded; the newest
                // such delete is the best bound for the order check.
                (None, _) => h
                    .in_flight
                    .iter()
                    .rev()
                    .find(|(n, o)| *o == Op::Delete && *n < last_n)
                    .map(|(n, _)| *n)
                    .unwrap_or_else(|| panic!("{name}: unknown delete marker {id}")),
            };
            if !h.acked.contains_key(&id) {
                unknown += 1;
                assert!(
                    h.in_flight.iter().any(|(f, _)| *f == n),
                    "{name}: version n={n} ({id}) was never written"
                );
            }
            assert!(n < last_n, "{name}: versions out of order");
            last_n = n;
        }
        assert!(
            unknown <= h.in_flight.len(),
            "{name}: {unknown} unacknowledged versions"
        );
        // The current version is the newest entry.
        match listed.first() {
            Some(VersionEntry {
                object: Some(meta), ..
            }) => {
                let current = store.head_object(BUCKET, &name).unwrap();
                assert_eq!(current.version_id, meta.version_id, "{name}: current");
            }
            _ => assert!(store.head_object(BUCKET, &name).is_err(), "{name}: deleted"),
        }
    }
    assert_eq!(temp_files(&store_dir), 0);
    assert_eq!(
        blob_files(&store_dir).len(),
        object_versions,
        "orphan or missing blobs after recovery ({report:?})"
    );
    drop(store);
    let store = Store::open(&store_dir, options()).unwrap();
    assert_eq!(store.recovery_report(), storage::RecoveryReport::default());
    acked_total
}

/// A kill that tears the `ack` line of a put that had landed: the next round's child drops
/// the torn tail, so the put reads as in flight, not as a version never written.
#[test]
fn a_torn_ack_reads_as_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(LOG);
    std::fs::write(&path, "ready\nintent put 1 93\nack 1 9").unwrap();
    let mut log = ChildLog::open(&path);
    log.line(format_args!("ready"));
    log.line(format_args!("intent put 2 94"));
    let (histories, ready) = read_log(&path);
    assert!(ready);
    assert_eq!(histories[&1].in_flight, [(93, Op::Put)]);
    assert!(histories[&1].acked.is_empty());
    assert_eq!(histories[&2].in_flight, [(94, Op::Put)]);
}

#[test]
fn kill_9_keeps_acknowledged_versions() {
    if std::env::var(DIR_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut seed = clock_seed();
    let mut acked = 0;
    for round in 0..ROUNDS {
        let mut child = spawn_child(
            "crash_versions::versions_crash_child",
            dir.path(),
            round * 1_000_000,
        );
        let wait = Duration::from_millis(150 + next_seed(&mut seed) % 300);
        std::thread::sleep(wait);
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the crash child exited early: {status}");
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        acked = rt().block_on(verify(dir.path()));
        eprintln!("versions round {round}: killed after {wait:?}, {acked} acknowledged");
    }
    assert!(
        acked > 0,
        "the child never acknowledged a write; the test proved nothing"
    );
}
