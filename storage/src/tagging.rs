//! Object tags, object ACLs and an origin copy's revalidation stamp: rewriting one version's
//! attributes in place (Object Lock's changes, `lock.rs`, go through the same rewrite). None is a write of the object (AWS keeps the version id and the last-modified time), so the
//! version's record is replaced where it is: the key's current record or its entry in the
//! version history. Tags and ACLs written with the object travel in
//! [`crate::ObjectAttrs::tags`] and [`crate::ObjectAttrs::acl`].

use crate::key::validate_key;
use crate::meta::Change;
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
        self.update_version_attrs(bucket, key, version_id, |attrs| {
            attrs.tags = tags;
            Ok(())
        })
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
        self.update_version_attrs(bucket, key, version_id, |attrs| {
            attrs.acl = acl;
            Ok(())
        })
        .await
    }

    /// Record that the origin vouched again for the current version of `bucket/key`
    /// (`stamp`), if that is still the origin copy whose ETag is `etag`; returns whether it
    /// was. A local write that replaced the copy meanwhile is left alone.
    pub async fn set_origin_stamp(
        &self,
        bucket: &str,
        key: &str,
        etag: &str,
        stamp: crate::OriginStamp,
    ) -> Result<bool> {
        self.shared.check_writable()?;
        validate_key(key)?;
        let updated = {
            let _gate = self.shared.bucket_gate_shared();
            let _key = self.shared.lock_key(bucket, key);
            let meta = &self.shared.meta;
            match meta.object(bucket, key)? {
                Some((_, mut rec)) if rec.etag == etag && rec.attrs.origin.is_some() => {
                    rec.attrs.origin = Some(stamp);
                    let change = Change {
                        current: Some(Some(rec)),
                        ..Change::default()
                    };
                    meta.apply(bucket, key, &change, &[])?;
                    true
                }
                _ => false,
            }
        };
        if updated {
            self.flush().await?;
        }
        Ok(updated)
    }

    /// Rewrite one version's attributes with `update` (which may refuse: nothing changes),
    /// under the key's lock. Object Lock's retention and legal hold (`lock.rs`) change here
    /// too.
    pub(crate) async fn update_version_attrs(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        update: impl FnOnce(&mut crate::ObjectAttrs) -> Result<()>,
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
            update(&mut rec.attrs)?;
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
