//! ListObjectVersions: every version and delete marker of the keys under a prefix, key
//! ascending and newest first within a key, with common prefixes under a delimiter.
//!
//! A key's versions live in two trees (its current object version in `objects`, every other
//! version and marker in `versions`), so the listing walks the union of the keys of both,
//! one key at a time: it seeks to the next key present in either tree, lists that key's
//! versions, and seeks past it (or past a whole common prefix). A page touches the entries
//! it returns plus a few seeks per key.

use std::ops::Bound;

use crate::list::past;
use crate::records::object_meta;
use crate::records::{decode_object, from_ns, join_key, split_version_key, VersionRec};
use crate::versions::{null_version_marker, version_seq};
use crate::{Error, Result, Store, VersionEntry, VersionPage, VersionQuery};

impl Store {
    pub fn list_versions(&self, bucket: &str, query: &VersionQuery) -> Result<VersionPage> {
        self.head_bucket(bucket)?;
        let mut page = VersionPage::default();
        if query.max_keys == 0 {
            return Ok(page);
        }
        let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
        let prefix = query.prefix.as_str();
        let mut from = Bound::Included(join_key(bucket, prefix));
        // With a version-id marker, the first key is resumed part way through.
        let mut resume_after_version = None;
        if let Some(marker) = query.key_marker.as_deref().filter(|m| *m >= prefix) {
            let is_common_prefix = delimiter.is_some_and(|d| {
                marker
                    .strip_prefix(prefix)
                    .is_some_and(|rest| !rest.is_empty() && rest.ends_with(d))
            });
            from = match query.version_id_marker.as_deref() {
                Some(v) if !v.is_empty() && !is_common_prefix => {
                    if v != "null" {
                        // A marker we did not make is refused, as AWS refuses it.
                        version_seq(v)?;
                    }
                    resume_after_version = Some((marker, v));
                    Bound::Included(join_key(bucket, marker))
                }
                _ if is_common_prefix => past(&join_key(bucket, marker)),
                _ => Bound::Excluded(join_key(bucket, marker)),
            };
        }
        let mut emitted = 0usize;
        let mut last: Option<(String, Option<String>)> = None;
        while let Some(key) = self.next_listed_key(bucket, &from)? {
            if !key.starts_with(prefix) {
                break;
            }
            let rest = &key[prefix.len()..];
            if let Some(d) = delimiter {
                if let Some(pos) = rest.find(d) {
                    let cp = key[..prefix.len() + pos + d.len()].to_owned();
                    if emitted == query.max_keys {
                        page.is_truncated = true;
                        break;
                    }
                    from = past(&join_key(bucket, &cp));
                    page.common_prefixes.push(cp.clone());
                    emitted += 1;
                    last = Some((cp, None));
                    continue;
                }
            }
            let mut entries = self.versions_of_key(bucket, &key)?;
            if let Some((marker_key, marker)) = resume_after_version.take() {
                // The marker's key may be gone (a client deleting what it listed): then
                // this is the next key, to be listed whole.
                if key == marker_key {
                    resume_after(&mut entries, marker);
                }
            }
            from = Bound::Excluded(join_key(bucket, &key));
            for (seq, entry) in entries {
                if emitted == query.max_keys {
                    page.is_truncated = true;
                    break;
                }
                let marker = match &entry.version_id {
                    Some(v) => v.clone(),
                    None => null_version_marker(seq),
                };
                last = Some((entry.key.clone(), Some(marker)));
                page.versions.push(entry);
                emitted += 1;
            }
            if page.is_truncated {
                break;
            }
        }
        if page.is_truncated {
            if let Some((key, version)) = last {
                page.next_key_marker = Some(key);
                page.next_version_id_marker = version;
            }
        }
        Ok(page)
    }

    /// The smallest key at or after `from` (a bound on `bucket 0x00 key`) that has an
    /// object version or a history entry in `bucket`.
    fn next_listed_key(&self, bucket: &str, from: &Bound<Vec<u8>>) -> Result<Option<String>> {
        let bucket_prefix = join_key(bucket, "");
        let meta = &self.shared.meta;
        let in_objects = match meta.scan_objects(from.clone()).next().transpose()? {
            Some((k, _)) if k.starts_with(&bucket_prefix) => Some(
                std::str::from_utf8(&k[bucket_prefix.len()..])
                    .map_err(|_| Error::Corrupt("object key is not UTF-8".into()))?
                    .to_owned(),
            ),
            _ => None,
        };
        // `bucket 0x00 key 0x00 !seq` sorts after `bucket 0x00 key`: an Excluded bound on a
        // key must also skip that key's own history entries, which all sort before
        // `bucket 0x00 key 0x01`.
        let versions_from = match from {
            Bound::Excluded(k) => {
                let mut k = k.clone();
                k.push(1);
                Bound::Included(k)
            }
            other => other.clone(),
        };
        let in_versions = match meta.scan_versions(versions_from).next().transpose()? {
            Some((k, _)) if k.starts_with(&bucket_prefix) => {
                Some(split_version_key(&k[bucket_prefix.len()..])?.0.to_owned())
            }
            _ => None,
        };
        Ok(match (in_objects, in_versions) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Every version of one key, newest first (sequence numbers descending), the first one
    /// flagged latest; each with its sequence number.
    fn versions_of_key(&self, bucket: &str, key: &str) -> Result<Vec<(u64, VersionEntry)>> {
        let meta = &self.shared.meta;
        let mut out = Vec::new();
        if let Some((raw, _)) = meta.object(bucket, key)? {
            let rec = decode_object(&raw)?;
            out.push((
                rec.seq,
                VersionEntry {
                    key: key.to_owned(),
                    version_id: rec.version_id.clone(),
                    is_latest: true,
                    last_modified: from_ns(rec.modified_ns),
                    object: Some(object_meta(key.to_owned(), rec)),
                },
            ));
        }
        for entry in meta.versions_of(bucket, key) {
            let (seq, v) = entry?;
            let is_latest = out.is_empty();
            out.push((
                seq,
                match v {
                    VersionRec::Object(rec) => VersionEntry {
                        key: key.to_owned(),
                        version_id: rec.version_id.clone(),
                        is_latest,
                        last_modified: from_ns(rec.modified_ns),
                        object: Some(object_meta(key.to_owned(), *rec)),
                    },
                    VersionRec::DeleteMarker(m) => VersionEntry {
                        key: key.to_owned(),
                        version_id: m.version_id,
                        is_latest,
                        last_modified: from_ns(m.modified_ns),
                        object: None,
                    },
                },
            ));
        }
        Ok(out)
    }
}

/// Drop a key's versions up to and including the version-id marker `marker`, whether or not
/// that version still exists (a client may have deleted it since the page that named it):
/// versions are ordered by sequence number, and a version id carries its own, so the
/// listing resumes at the first older version. The marker a page hands out for the null
/// version carries its sequence number too ([`null_version_marker`]). A client that sends
/// `null` itself (built from the last entry it saw) resumes exactly while the null version
/// exists; once it is gone its place is unknown and the key's remaining versions are all
/// listed, so that a version may be listed twice (only if versions newer than it survive)
/// but none is ever skipped.
fn resume_after(entries: &mut Vec<(u64, VersionEntry)>, marker: &str) {
    let wanted = (marker != "null").then_some(marker);
    if let Some(i) = entries
        .iter()
        .position(|(_, e)| e.version_id.as_deref() == wanted)
    {
        entries.drain(..=i);
    } else if let Some(seq) = wanted.and_then(|v| version_seq(v).ok()) {
        entries.retain(|(s, _)| *s < seq);
    }
}
