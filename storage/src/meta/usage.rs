//! A bucket's usage (the bytes and number of its object versions) and quota, as the
//! `store` tree keeps them (`usage 0x00 bucket`, `quota 0x00 bucket`: two u64 BE each), and
//! what one record counts for. Kept by `objects.rs` in each change's transaction, counted
//! once for an older directory by `counts.rs`, read and set by the store (`quota.rs`).

use crate::records::{decode_object, decode_version, join_key, ObjectRec, VersionRec};
use crate::Result;

/// `usage \0 bucket` in the `store` tree: the bucket's bytes and object versions.
pub(crate) fn usage_key(bucket: &str) -> Vec<u8> {
    join_key("usage", bucket)
}

/// `quota \0 bucket` in the `store` tree: the bucket's quota, if it has one.
pub(crate) fn quota_key(bucket: &str) -> Vec<u8> {
    join_key("quota", bucket)
}

/// What a bucket holds: the bytes of its object versions (every version, current or not)
/// and how many there are; delete markers count for nothing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub bytes: u64,
    pub objects: u64,
}

impl Usage {
    pub(crate) fn of_object(rec: &ObjectRec) -> Usage {
        Usage {
            bytes: rec.size,
            objects: 1,
        }
    }

    pub(crate) fn of_version(rec: &VersionRec) -> Usage {
        match rec {
            VersionRec::Object(o) => Usage::of_object(o),
            VersionRec::DeleteMarker(_) => Usage::default(),
        }
    }

    pub(crate) fn of_raw_object(raw: &[u8]) -> Result<Usage> {
        Ok(Usage::of_object(&decode_object(raw)?))
    }

    pub(crate) fn of_raw_version(raw: &[u8]) -> Result<Usage> {
        Ok(Usage::of_version(&decode_version(raw)?))
    }

    pub(crate) fn plus(self, other: Usage) -> Usage {
        Usage {
            bytes: self.bytes.saturating_add(other.bytes),
            objects: self.objects.saturating_add(other.objects),
        }
    }

    pub(crate) fn minus(self, other: Usage) -> Usage {
        Usage {
            bytes: self.bytes.saturating_sub(other.bytes),
            objects: self.objects.saturating_sub(other.objects),
        }
    }

    pub(crate) fn encode(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.bytes.to_be_bytes());
        out[8..].copy_from_slice(&self.objects.to_be_bytes());
        out
    }

    pub(crate) fn decode(raw: &[u8]) -> Usage {
        let word = |range: std::ops::Range<usize>| {
            raw.get(range)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_be_bytes)
        };
        Usage {
            bytes: word(0..8),
            objects: word(8..16),
        }
    }
}

/// A bucket's hard quota; a bound left out is `u64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub max_bytes: u64,
    pub max_objects: u64,
}

impl Quota {
    pub(crate) fn encode(self) -> [u8; 16] {
        Usage {
            bytes: self.max_bytes,
            objects: self.max_objects,
        }
        .encode()
    }

    pub(crate) fn decode(raw: &[u8]) -> Quota {
        let u = Usage::decode(raw);
        Quota {
            max_bytes: u.bytes,
            max_objects: u.objects,
        }
    }
}
