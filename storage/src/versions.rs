//! Object versions: a bucket's versioning state, version ids, and the one place that decides
//! what a write or a delete does to a key's versions (AWS semantics):
//!
//! - unversioned bucket: a write replaces the key's only (`null`) version; a delete removes
//!   it (leaving a tombstone in an origin bucket);
//! - versioning Enabled: a write adds a version with a new id and the previous current
//!   version becomes non-current; a delete without a version id adds a delete marker;
//! - Suspended: writes and deletes replace the key's `null` version (an object or a delete
//!   marker), while other versions stay;
//! - a delete with a version id removes that version for good; when it was the newest, the
//!   next newest becomes current;
//! - no change removes a version that Object Lock protects (`lock.rs`): the change is refused
//!   whole with [`Error::ObjectLocked`].
//!
//! Every change to a key is computed under the key's lock from what the key holds, then
//! applied in one metadata transaction ([`crate::meta::Change`]); blobs it releases are
//! deleted by the caller after the flush.

use std::time::SystemTime;

use crate::key::validate_key;
use crate::layout::BlobId;
use crate::lock::check_removable;
use crate::meta::Change;
use crate::records::object_meta;
use crate::records::{from_ns, now_ns, MarkerRec, ObjectRec, TombstoneRec, VersionRec};
use crate::{CommitCondition, DeleteCondition, Error, ObjectMeta, Result, Store};

/// A conditional delete's preconditions against the key's current object.
fn check_delete_condition(current: Option<&ObjectRec>, condition: &DeleteCondition) -> Result<()> {
    if condition.is_empty() {
        return Ok(());
    }
    let Some(current) = current else {
        return Err(Error::NoSuchKey);
    };
    let etag_holds = match condition.if_match.as_deref() {
        None | Some("*") => true,
        Some(etag) => etag == current.etag,
    };
    // S3 compares the last-modified time at its one-second resolution.
    let time_holds = condition.last_modified.is_none_or(|t| {
        let secs = |t: std::time::SystemTime| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        secs(t) == secs(from_ns(current.modified_ns))
    });
    let size_holds = condition.size.is_none_or(|s| s == current.size);
    let same_object = condition
        .exactly_modified
        .is_none_or(|t| t == from_ns(current.modified_ns));
    if etag_holds && time_holds && size_holds && same_object {
        Ok(())
    } else {
        Err(Error::PreconditionFailed)
    }
}

/// Bucket setting holding the versioning state.
const VERSIONING_SETTING: &str = "versioning";

/// A bucket's versioning state. A bucket never goes back to `Unversioned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    Unversioned,
    Enabled,
    Suspended,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The version the delete created (a delete marker) or removed; `None` in an
    /// unversioned bucket without a version id. `Some("null")` names the null version.
    pub version_id: Option<String>,
    /// The delete created a delete marker, or removed one.
    pub delete_marker: bool,
    /// The object version that was removed for good, if any.
    pub removed: Option<ObjectMeta>,
}

/// A new version id: the sequence number (so a version is found without a scan) and 64
/// random bits, 32 lower-case hex characters: opaque and URL-safe.
pub(crate) fn new_version_id(seq: u64) -> String {
    format!("{seq:016x}{:016x}", rand_u64())
}

/// The version-id marker a listing that ends at the null version hands out: the null
/// version's place (its sequence number) in a version id's form, so that the next page
/// resumes exactly after it even if the null version was deleted meanwhile. No version has
/// this id: the sequence number is the null version's own.
pub(crate) fn null_version_marker(seq: u64) -> String {
    format!("{seq:016x}{:016x}", 0)
}

fn rand_u64() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut half = [0u8; 8];
    half.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(half)
}

/// The sequence number inside a version id; `InvalidVersionId` for anything we did not make.
pub(crate) fn version_seq(version_id: &str) -> Result<u64> {
    if version_id.len() != 32 || !version_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::InvalidVersionId);
    }
    u64::from_str_radix(&version_id[..16], 16).map_err(|_| Error::InvalidVersionId)
}

/// `"null"` is the null version (`None`); anything else must be a version id of ours.
fn parse_version(version_id: &str) -> Result<Option<&str>> {
    if version_id == "null" {
        return Ok(None);
    }
    version_seq(version_id)?;
    Ok(Some(version_id))
}

fn marker_error(m: &MarkerRec, addressed: bool) -> Error {
    Error::DeleteMarker {
        version_id: m.version_id.clone().unwrap_or_else(|| "null".into()),
        last_modified: from_ns(m.modified_ns),
        addressed,
    }
}

fn blobs(rec: &ObjectRec) -> impl Iterator<Item = BlobId> + '_ {
    rec.blobs.iter().map(|b| b.id)
}

/// What a new current version's bytes are, for [`Store::write_version`].
pub(crate) enum NewContent {
    /// A blob file: the commit unmarks it in the `pending` log.
    File(BlobId),
    /// Bytes kept in the metadata store, written with the record.
    Inline(BlobId, Vec<u8>),
    /// Bytes appended to a pack: their place is written with the record.
    Packed(BlobId, crate::packs::PackLoc),
    /// A multipart completion: the upload and its part records go in the same transaction,
    /// and the staged parts the client did not list are released.
    Completion {
        upload_id: String,
        parts: Vec<u32>,
        unlisted: Vec<BlobId>,
    },
}

impl Store {
    pub fn versioning(&self, bucket: &str) -> Result<Versioning> {
        Ok(
            match self
                .shared
                .meta
                .setting(bucket, VERSIONING_SETTING)?
                .as_deref()
            {
                Some(b"Enabled") => Versioning::Enabled,
                Some(b"Suspended") => Versioning::Suspended,
                _ => Versioning::Unversioned,
            },
        )
    }

    /// Enable or suspend versioning (a bucket never returns to unversioned).
    pub async fn set_versioning(&self, bucket: &str, state: Versioning) -> Result<()> {
        self.shared.check_writable()?;
        self.head_bucket(bucket)?;
        let value: &[u8] = match state {
            Versioning::Enabled => b"Enabled",
            Versioning::Suspended => b"Suspended",
            Versioning::Unversioned => {
                return Err(Error::InvalidArgument(
                    "a bucket cannot return to the unversioned state".into(),
                ))
            }
        };
        self.shared
            .meta
            .set_setting(bucket, VERSIONING_SETTING, Some(value))?;
        self.flush().await
    }

    /// The key's null version in its history (at most one exists).
    fn null_in_history(&self, bucket: &str, key: &str) -> Result<Option<(u64, VersionRec)>> {
        for entry in self.shared.meta.versions_of(bucket, key) {
            let (seq, v) = entry?;
            if v.version_id().is_none() {
                return Ok(Some((seq, v)));
            }
        }
        Ok(None)
    }

    /// Make `rec` the key's current version, as the bucket's versioning state says; for a
    /// completion, the multipart upload is removed in the same transaction. `Ok(None)` when
    /// [`CommitCondition::IfAbsent`] found the key present (an object, a delete marker or a
    /// tombstone). Returns the committed record and the blobs it released.
    pub(crate) fn write_version(
        &self,
        bucket: &str,
        key: &str,
        mut rec: ObjectRec,
        condition: CommitCondition,
        content: NewContent,
    ) -> Result<Option<(ObjectRec, Vec<BlobId>)>> {
        let meta = &self.shared.meta;
        let mode = self.versioning(bucket)?;
        let _key = self.shared.lock_key(bucket, key);
        let current = meta.object(bucket, key)?.map(|(_, r)| r);
        match &condition {
            CommitCondition::Always => {}
            CommitCondition::IfAbsent => {
                if current.is_some()
                    || meta.tombstone(bucket, key)?.is_some()
                    || meta.versions_of(bucket, key).next().is_some()
                {
                    return Ok(None);
                }
            }
            CommitCondition::IfNoneMatch if current.is_some() => {
                return Err(Error::PreconditionFailed)
            }
            CommitCondition::IfNoneMatch => {}
            CommitCondition::IfMatch(etag) => match &current {
                Some(c) if &c.etag == etag => {}
                Some(_) => return Err(Error::PreconditionFailed),
                None => return Err(Error::ConditionalRequestConflict),
            },
        }
        rec.seq = meta.next_seq()?;
        rec.version_id = (mode == Versioning::Enabled).then(|| new_version_id(rec.seq));
        let mut change = Change {
            tombstone: Some(None),
            ..Change::default()
        };
        let mut released = Vec::new();
        match content {
            NewContent::File(id) => change.adopted = Some(id),
            NewContent::Inline(id, bytes) => change.inline = Some((id, bytes)),
            NewContent::Packed(id, place) => change.packed = Some((id, place)),
            NewContent::Completion {
                upload_id,
                parts,
                unlisted,
            } => {
                change.upload = Some((upload_id, parts));
                released.extend(unlisted);
            }
        }
        if let Some(old) = current {
            if mode == Versioning::Unversioned
                || old.version_id.is_none() && rec.version_id.is_none()
            {
                check_removable(&old.attrs.lock, false)?;
                released.extend(blobs(&old));
            } else {
                change
                    .put_versions
                    .push((old.seq, VersionRec::Object(Box::new(old))));
            }
        }
        if mode == Versioning::Suspended {
            if let Some((seq, old)) = self.null_in_history(bucket, key)? {
                change.remove_versions.push(seq);
                if let VersionRec::Object(o) = &old {
                    check_removable(&o.attrs.lock, false)?;
                    released.extend(blobs(o));
                }
            }
        }
        change.current = Some(Some(rec.clone()));
        debug_assert!(
            rec.blobs.iter().all(|b| !released.contains(&b.id)),
            "step 6: a commit never releases a blob its own record references"
        );
        meta.apply(bucket, key, &change, &released)?;
        debug_assert!(
            change
                .adopted
                .is_none_or(|id| !meta.pending().is_marked(id).unwrap_or(false))
                && released
                    .iter()
                    .all(|id| meta.pending().is_marked(*id).unwrap_or(true)),
            "step 6: the commit unmarks the blob it adopts and marks those it releases"
        );
        Ok(Some((rec, released)))
    }

    /// Delete `bucket/key`: without `version_id`, as the bucket's versioning state says
    /// (with `tombstone`, an unversioned origin bucket remembers the delete); with one, that
    /// version for good. Deleting a version that does not exist succeeds, as on AWS.
    pub async fn delete(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tombstone: bool,
    ) -> Result<Deleted> {
        let always = DeleteCondition::default();
        self.delete_if(bucket, key, version_id, tombstone, &always)
            .await
    }

    /// [`Store::delete`] if `condition` holds for the key's current object, checked under
    /// the key's lock (AWS evaluates conditional deletes against the current version only).
    pub async fn delete_if(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tombstone: bool,
        condition: &DeleteCondition,
    ) -> Result<Deleted> {
        self.shared.check_writable()?;
        validate_key(key)?;
        let (deleted, released) = {
            let _gate = self.shared.bucket_gate_shared();
            match version_id {
                None => self.delete_current(bucket, key, tombstone, condition)?,
                Some(v) => self.delete_version(bucket, key, v, condition)?,
            }
        };
        self.flush_then_delete(released).await?;
        Ok(deleted)
    }

    fn delete_current(
        &self,
        bucket: &str,
        key: &str,
        tombstone: bool,
        condition: &DeleteCondition,
    ) -> Result<(Deleted, Vec<BlobId>)> {
        let meta = &self.shared.meta;
        let mode = self.versioning(bucket)?;
        let _key = self.shared.lock_key(bucket, key);
        let current = meta.object(bucket, key)?.map(|(_, r)| r);
        check_delete_condition(current.as_ref(), condition)?;
        let mut change = Change {
            current: Some(None),
            ..Change::default()
        };
        let mut released = Vec::new();
        if mode == Versioning::Unversioned {
            if tombstone {
                change.tombstone = Some(Some(TombstoneRec {
                    deleted_ns: now_ns(),
                }));
            }
            if let Some(old) = &current {
                check_removable(&old.attrs.lock, condition.bypass_governance)?;
            }
            let removed = current.map(|old| {
                released.extend(blobs(&old));
                object_meta(key.to_owned(), old)
            });
            meta.apply(bucket, key, &change, &released)?;
            let deleted = Deleted {
                version_id: None,
                delete_marker: false,
                removed,
            };
            return Ok((deleted, released));
        }
        let seq = meta.next_seq()?;
        let marker = MarkerRec {
            version_id: (mode == Versioning::Enabled).then(|| new_version_id(seq)),
            seq,
            modified_ns: now_ns(),
        };
        let mut removed = None;
        if let Some(old) = current {
            if mode == Versioning::Suspended && old.version_id.is_none() {
                check_removable(&old.attrs.lock, condition.bypass_governance)?;
                released.extend(blobs(&old));
                removed = Some(object_meta(key.to_owned(), old));
            } else {
                change
                    .put_versions
                    .push((old.seq, VersionRec::Object(Box::new(old))));
            }
        }
        if mode == Versioning::Suspended {
            if let Some((old_seq, old)) = self.null_in_history(bucket, key)? {
                change.remove_versions.push(old_seq);
                if let VersionRec::Object(o) = old {
                    check_removable(&o.attrs.lock, condition.bypass_governance)?;
                    released.extend(blobs(&o));
                    removed = Some(object_meta(key.to_owned(), *o));
                }
            }
        }
        let version_id = marker.version_id.clone().unwrap_or_else(|| "null".into());
        change
            .put_versions
            .push((seq, VersionRec::DeleteMarker(marker)));
        meta.apply(bucket, key, &change, &released)?;
        let deleted = Deleted {
            version_id: Some(version_id),
            delete_marker: true,
            removed,
        };
        Ok((deleted, released))
    }

    fn delete_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        condition: &DeleteCondition,
    ) -> Result<(Deleted, Vec<BlobId>)> {
        let meta = &self.shared.meta;
        let wanted = parse_version(version_id)?;
        self.head_bucket(bucket)?;
        let _key = self.shared.lock_key(bucket, key);
        let current = meta.object(bucket, key)?.map(|(_, r)| r);
        check_delete_condition(current.as_ref(), condition)?;
        let mut deleted = Deleted {
            version_id: Some(version_id.to_owned()),
            delete_marker: false,
            removed: None,
        };
        let mut released = Vec::new();
        let mut change = Change::default();
        // Is it the current version, or where in the history is it?
        let newest = meta.versions_of(bucket, key).next().transpose()?;
        let found = match &current {
            Some(c) if c.version_id.as_deref() == wanted => None,
            _ => match wanted {
                None => self.null_in_history(bucket, key)?,
                Some(id) => {
                    let seq = version_seq(id)?;
                    meta.version(bucket, key, seq)?
                        .filter(|v| v.version_id() == Some(id))
                        .map(|v| (seq, v))
                }
            },
        };
        let promote = match (&current, found) {
            (Some(c), None) if c.version_id.as_deref() == wanted => {
                check_removable(&c.attrs.lock, condition.bypass_governance)?;
                released.extend(blobs(c));
                deleted.removed = Some(object_meta(key.to_owned(), c.clone()));
                change.current = Some(None);
                true
            }
            (_, Some((seq, v))) => {
                change.remove_versions.push(seq);
                match v {
                    VersionRec::Object(o) => {
                        check_removable(&o.attrs.lock, condition.bypass_governance)?;
                        released.extend(blobs(&o));
                        deleted.removed = Some(object_meta(key.to_owned(), *o));
                    }
                    VersionRec::DeleteMarker(_) => deleted.delete_marker = true,
                }
                // The newest entry of the history was the current version (a marker).
                current.is_none() && newest.as_ref().is_some_and(|(s, _)| *s == seq)
            }
            _ => return Ok((deleted, released)),
        };
        if promote {
            let removed: Vec<u64> = change.remove_versions.clone();
            let next = meta
                .versions_of(bucket, key)
                .find(|e| e.as_ref().map_or(true, |(s, _)| !removed.contains(s)))
                .transpose()?;
            if let Some((seq, VersionRec::Object(o))) = next {
                change.remove_versions.push(seq);
                change.current = Some(Some(*o));
            }
        }
        meta.apply(bucket, key, &change, &released)?;
        Ok((deleted, released))
    }

    /// The record of the key's current version, or of `version_id`, with its raw bytes (to
    /// detect a concurrent change). A delete marker is an error: [`Error::DeleteMarker`].
    pub(crate) fn locate(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(Vec<u8>, ObjectRec)> {
        let meta = &self.shared.meta;
        let current = meta.object(bucket, key)?;
        let Some(version_id) = version_id else {
            if let Some(found) = current {
                return Ok(found);
            }
            return match meta.versions_of(bucket, key).next().transpose()? {
                Some((_, VersionRec::DeleteMarker(m))) => Err(marker_error(&m, false)),
                _ => Err(self.missing(bucket)),
            };
        };
        let wanted = parse_version(version_id)?;
        if let Some((raw, rec)) = current {
            if rec.version_id.as_deref() == wanted {
                return Ok((raw, rec));
            }
        }
        let found = match wanted {
            None => self.null_in_history(bucket, key)?.map(|(_, v)| v),
            Some(id) => meta
                .version(bucket, key, version_seq(id)?)?
                .filter(|v| v.version_id() == Some(id)),
        };
        match found {
            Some(VersionRec::Object(rec)) => {
                let raw = crate::records::encode_object(&rec)?;
                Ok((raw, *rec))
            }
            Some(VersionRec::DeleteMarker(m)) => Err(marker_error(&m, true)),
            None => match self.head_bucket(bucket) {
                Ok(_) => Err(Error::NoSuchVersion),
                Err(e) => Err(e),
            },
        }
    }

    /// When the key's current version is a delete marker: its id and time.
    pub fn current_delete_marker(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<(String, SystemTime)>> {
        if self.shared.meta.object(bucket, key)?.is_some() {
            return Ok(None);
        }
        Ok(
            match self
                .shared
                .meta
                .versions_of(bucket, key)
                .next()
                .transpose()?
            {
                Some((_, VersionRec::DeleteMarker(m))) => Some((
                    m.version_id.unwrap_or_else(|| "null".into()),
                    from_ns(m.modified_ns),
                )),
                _ => None,
            },
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_carry_their_sequence_and_refuse_foreign_ids() {
        let id = new_version_id(42);
        assert_eq!(id.len(), 32);
        assert_eq!(version_seq(&id).unwrap(), 42);
        assert_ne!(new_version_id(42), id, "random part");
        for bad in [
            "",
            "null",
            "xyz",
            "3HL4kqCxf3vjVBH40Nrjfkd",
            &"g".repeat(32),
        ] {
            assert!(
                matches!(version_seq(bad), Err(Error::InvalidVersionId)),
                "{bad}"
            );
        }
        assert_eq!(parse_version("null").unwrap(), None);
    }
}
