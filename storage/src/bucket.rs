//! Buckets: S3 name validation, create / head / delete / list, and the per-bucket settings
//! (origin configuration, ACL flags, ...) stored as opaque bytes; and the server-wide
//! settings (users and keys), stored the same way under a scope no bucket can have.
//! Rules: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>

use crate::records::{from_ns, now_ns, BucketRec};

/// The settings scope of the server itself: no bucket name is empty.
const SERVER_SCOPE: &str = "";
use crate::{BucketMeta, Error, Result, Store};

/// Check `name` against S3's general-purpose bucket naming rules; the error says which rule.
pub fn validate_bucket_name(name: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::InvalidBucketName(format!("{name:?}: {why}")));
    if name.len() < 3 || name.len() > 63 {
        return bad("must be 3 to 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return bad("may contain only lowercase letters, digits, '.' and '-'");
    }
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
        return bad("must start and end with a letter or digit");
    }
    if name.contains("..") {
        return bad("must not contain two adjacent periods");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return bad("must not be formatted as an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return bad(&format!("must not start with {prefix:?}"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return bad(&format!("must not end with {suffix:?}"));
        }
    }
    Ok(())
}

fn bucket_meta(name: String, rec: BucketRec) -> BucketMeta {
    BucketMeta {
        name,
        created: from_ns(rec.created_ns),
        owner: rec.owner,
        region: rec.region,
    }
}

impl Store {
    /// Validates the name with S3's rules (3-63 chars, lowercase letters, digits, `.`, `-`,
    /// starts and ends with a letter or digit, not an IP address, no `..`, ...).
    pub async fn create_bucket(&self, name: &str, owner: &str, region: &str) -> Result<BucketMeta> {
        self.shared.check_writable()?;
        validate_bucket_name(name)?;
        let rec = BucketRec {
            created_ns: now_ns(),
            owner: owner.to_owned(),
            region: region.to_owned(),
        };
        if let Some(existing) = self.shared.meta.insert_bucket(name, &rec)? {
            return Err(if existing.owner == owner {
                Error::BucketAlreadyOwnedByYou
            } else {
                Error::BucketAlreadyExists
            });
        }
        self.flush().await?;
        Ok(bucket_meta(name.to_owned(), rec))
    }

    pub fn head_bucket(&self, name: &str) -> Result<BucketMeta> {
        match self.shared.meta.bucket(name)? {
            Some(rec) => Ok(bucket_meta(name.to_owned(), rec)),
            None => Err(Error::NoSuchBucket),
        }
    }

    /// Refused with BucketNotEmpty while it holds objects; aborts its uploads and drops its
    /// settings and tombstones.
    pub async fn delete_bucket(&self, name: &str) -> Result<()> {
        self.shared.check_writable()?;
        let released = {
            let _gate = self.shared.bucket_gate_exclusive();
            let _parts = self.shared.part_gate();
            if self.shared.meta.bucket(name)?.is_none() {
                return Err(Error::NoSuchBucket);
            }
            if self.shared.meta.bucket_has_objects(name)? {
                return Err(Error::BucketNotEmpty);
            }
            self.shared.meta.delete_bucket(name)?
        };
        self.flush_then_delete(released).await
    }

    /// Sorted by name.
    pub fn list_buckets(&self) -> Result<Vec<BucketMeta>> {
        Ok(self
            .shared
            .meta
            .buckets()?
            .into_iter()
            .map(|(name, rec)| bucket_meta(name, rec))
            .collect())
    }

    /// Per-bucket settings (origin configuration, ACL, ...): opaque bytes under a name.
    pub fn bucket_setting(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>> {
        self.head_bucket(bucket)?;
        self.shared.meta.setting(bucket, name)
    }

    /// The names of the bucket's settings, in order.
    pub fn bucket_setting_names(&self, bucket: &str) -> Result<Vec<String>> {
        self.head_bucket(bucket)?;
        self.shared.meta.setting_names(bucket)
    }

    /// A server-wide setting (users and their keys, ...): opaque bytes under a name, kept
    /// beside the buckets' settings under a scope no bucket can have (the empty name).
    pub fn server_setting(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.shared.meta.setting(SERVER_SCOPE, name)
    }

    /// The server-wide settings' names, in order.
    pub fn server_setting_names(&self) -> Result<Vec<String>> {
        self.shared.meta.setting_names(SERVER_SCOPE)
    }

    /// Replace (`Some`) or remove (`None`) a server-wide setting, durably.
    pub async fn set_server_setting(&self, name: &str, value: Option<&[u8]>) -> Result<()> {
        self.shared.check_writable()?;
        self.shared.meta.set_setting(SERVER_SCOPE, name, value)?;
        self.flush().await
    }

    /// `None` removes the setting.
    pub async fn set_bucket_setting(
        &self,
        bucket: &str,
        name: &str,
        value: Option<&[u8]>,
    ) -> Result<()> {
        self.shared.check_writable()?;
        {
            // Shared gate: the bucket cannot be deleted between the check and the write.
            let _gate = self.shared.bucket_gate_shared();
            self.head_bucket(bucket)?;
            self.shared.meta.set_setting(bucket, name, value)?;
        }
        self.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        for n in [
            "abc",
            "my-bucket",
            "my.bucket.01",
            "a1b",
            &"a".repeat(63),
            "1-2",
        ] {
            assert!(validate_bucket_name(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn invalid_names() {
        for n in [
            "ab",
            &"a".repeat(64),
            "MyBucket",
            "my_bucket",
            "-abc",
            "abc-",
            ".abc",
            "abc.",
            "a..b",
            "192.168.5.4",
            "xn--abc",
            "abc-s3alias",
            "abc--ol-s3",
            "sthree-abc",
            "a b c",
            "ab\0c",
            "äbc",
        ] {
            match validate_bucket_name(n) {
                Err(Error::InvalidBucketName(reason)) => assert!(!reason.is_empty()),
                other => panic!("{n:?}: {other:?}"),
            }
        }
    }
}
