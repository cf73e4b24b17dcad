//! Object tags and object ACLs: rewriting one version's tag set or ACL in place. Neither is
//! a write of the object (AWS keeps the version id and the last-modified time), so the
//! version's record is replaced where it is: the key's current record or its entry in the
//! version history. Tags and ACLs written with the object travel in
//! [`crate::ObjectAttrs::tags`] and [`crate::ObjectAttrs::acl`].

use crate::meta::Change;
use crate::object::validate_key;
use crate::records::VersionRec;
use crate::{Result, Store};

impl Store {
    /// Replace the tags of `version_id` of `bucket/key` (the current version without one);
    /// returns the version's id (`None` in a bucket that was never versioned). A delete
    /// marker has no tags: the errors are those of a read of it.
    pub async fn set_object_tags(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: Vec<(String, String)>,
    ) -> Result<Option<String>> {
        self.update_version_attrs(bucket, key, version_id, |attrs| attrs.tags = tags)
            .await
    }

    /// Replace the ACL (encoded by the server) of `version_id` of `bucket/key`, as
    /// [`Store::set_object_tags`] replaces its tags.
    pub async fn set_object_acl(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        acl: Option<String>,
    ) -> Result<Option<String>> {
        self.update_version_attrs(bucket, key, version_id, |attrs| attrs.acl = acl)
            .await
    }

    async fn update_version_attrs(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        update: impl FnOnce(&mut crate::ObjectAttrs),
    ) -> Result<Option<String>> {
        self.shared.check_writable()?;
        validate_key(key)?;
        let version = {
            let _gate = self.shared.bucket_gate_shared();
            let _key = self.shared.lock_key(bucket, key);
            let meta = &self.shared.meta;
            let (_, mut rec) = self.locate(bucket, key, version_id)?;
            let is_current = meta
                .object(bucket, key)?
                .is_some_and(|(_, current)| current.seq == rec.seq);
            update(&mut rec.attrs);
            let version = rec.version_id.clone();
            let mut change = Change::default();
            if is_current {
                change.current = Some(Some(rec));
            } else {
                change
                    .put_versions
                    .push((rec.seq, VersionRec::Object(Box::new(rec))));
            }
            meta.apply(bucket, key, &change, &[])?;
            version
        };
        self.flush().await?;
        Ok(version)
    }
}
