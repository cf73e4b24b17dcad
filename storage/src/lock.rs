//! Object Lock on one version: its retention (a mode and a retain-until date) and its legal
//! hold, kept in the version's attributes ([`crate::ObjectAttrs::lock`], record format 4),
//! and the two rules AWS gives them, applied by the store itself wherever a version can
//! disappear or its lock change, so that no caller (a client's delete, DeleteObjects,
//! lifecycle, an origin purge, a delta pass, the console) can forget them:
//!
//! - a version under a legal hold, or retained until a date still in the future, is never
//!   removed; a GOVERNANCE retention gives way only to a caller the server let bypass it
//!   ([`ObjectLock::blocks_removal`]);
//! - a retention may always be lengthened; a COMPLIANCE one is never shortened, removed or
//!   weakened to GOVERNANCE, a GOVERNANCE one only with the bypass
//!   ([`ObjectLock::allows_retention`]).
//!
//! Time is the server's clock (`SystemTime::now()` at the check).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html>

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::key::validate_key;
use crate::{Error, Result, Store};

/// How strictly a retention holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionMode {
    /// Holds against everyone but a caller allowed (and asking) to bypass it.
    Governance,
    /// Holds against everyone until its date.
    Compliance,
}

impl RetentionMode {
    /// The name S3 uses (`GOVERNANCE`, `COMPLIANCE`).
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionMode::Governance => "GOVERNANCE",
            RetentionMode::Compliance => "COMPLIANCE",
        }
    }

    pub fn parse(name: &str) -> Option<RetentionMode> {
        match name {
            "GOVERNANCE" => Some(RetentionMode::Governance),
            "COMPLIANCE" => Some(RetentionMode::Compliance),
            _ => None,
        }
    }
}

/// A version's retention: kept until `until` in `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub mode: RetentionMode,
    pub until: SystemTime,
}

/// A version's Object Lock state; the default is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLock {
    pub retention: Option<Retention>,
    pub legal_hold: bool,
}

impl ObjectLock {
    /// The retention still in force at `now`, if any.
    pub fn active_retention(&self, now: SystemTime) -> Option<Retention> {
        self.retention.filter(|r| r.until > now)
    }

    /// Whether the version may not be removed at `now` (`bypass_governance`: the caller may
    /// and asked to bypass a GOVERNANCE retention).
    pub fn blocks_removal(&self, now: SystemTime, bypass_governance: bool) -> bool {
        if self.legal_hold {
            return true;
        }
        match self.active_retention(now) {
            Some(r) => !(r.mode == RetentionMode::Governance && bypass_governance),
            None => false,
        }
    }

    /// Whether the retention may become `new` (`None`: removed) at `now`.
    pub fn allows_retention(
        &self,
        new: Option<&Retention>,
        now: SystemTime,
        bypass_governance: bool,
    ) -> bool {
        let Some(current) = self.active_retention(now) else {
            return true;
        };
        let lengthened = new.is_some_and(|n| n.until >= current.until);
        match current.mode {
            RetentionMode::Compliance => {
                lengthened && new.is_some_and(|n| n.mode == RetentionMode::Compliance)
            }
            RetentionMode::Governance => lengthened || bypass_governance,
        }
    }
}

impl Store {
    /// Set (`Some`) or remove (`None`) the retention of `version_id` of `bucket/key` (the
    /// current version without one), under [`ObjectLock::allows_retention`]: a change the
    /// lock forbids is [`Error::ObjectLocked`]. Returns the version's id.
    pub async fn set_object_retention(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        retention: Option<Retention>,
        bypass_governance: bool,
    ) -> Result<Option<String>> {
        validate_key(key)?;
        self.update_version_attrs(bucket, key, version_id, |attrs| {
            let now = SystemTime::now();
            if !attrs
                .lock
                .allows_retention(retention.as_ref(), now, bypass_governance)
            {
                return Err(Error::ObjectLocked);
            }
            attrs.lock.retention = retention;
            Ok(())
        })
        .await
    }

    /// Place or lift the legal hold of `version_id` of `bucket/key`; returns the version's
    /// id.
    pub async fn set_object_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        on: bool,
    ) -> Result<Option<String>> {
        validate_key(key)?;
        self.update_version_attrs(bucket, key, version_id, |attrs| {
            attrs.lock.legal_hold = on;
            Ok(())
        })
        .await
    }
}

/// [`Error::ObjectLocked`] when `lock` forbids removing its version now.
pub(crate) fn check_removable(lock: &ObjectLock, bypass_governance: bool) -> Result<()> {
    if lock.blocks_removal(SystemTime::now(), bypass_governance) {
        Err(Error::ObjectLocked)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn retained(mode: RetentionMode, until: SystemTime) -> ObjectLock {
        ObjectLock {
            retention: Some(Retention { mode, until }),
            legal_hold: false,
        }
    }

    #[test]
    fn a_lock_holds_until_its_date_and_governance_gives_way_only_to_the_bypass() {
        let now = SystemTime::now();
        let later = now + Duration::from_secs(60);
        let earlier = now - Duration::from_secs(60);
        let g = retained(RetentionMode::Governance, later);
        let c = retained(RetentionMode::Compliance, later);
        assert!(g.blocks_removal(now, false));
        assert!(!g.blocks_removal(now, true));
        assert!(c.blocks_removal(now, false));
        assert!(c.blocks_removal(now, true));
        assert!(!retained(RetentionMode::Compliance, earlier).blocks_removal(now, false));
        let held = ObjectLock {
            retention: None,
            legal_hold: true,
        };
        assert!(
            held.blocks_removal(now, true),
            "a legal hold ignores the bypass"
        );
        assert!(!ObjectLock::default().blocks_removal(now, false));
    }

    #[test]
    fn retention_lengthens_freely_and_shortens_only_in_governance_with_the_bypass() {
        let now = SystemTime::now();
        let later = now + Duration::from_secs(60);
        let sooner = now + Duration::from_secs(30);
        let r = |mode, until| Retention { mode, until };
        let (g, c) = (RetentionMode::Governance, RetentionMode::Compliance);
        let compliance = retained(c, later);
        let longer = now + Duration::from_secs(120);
        assert!(compliance.allows_retention(Some(&r(c, longer)), now, false));
        assert!(!compliance.allows_retention(Some(&r(c, sooner)), now, true));
        assert!(!compliance.allows_retention(Some(&r(g, longer)), now, true));
        assert!(!compliance.allows_retention(None, now, true));
        let governance = retained(g, later);
        assert!(governance.allows_retention(Some(&r(g, longer)), now, false));
        assert!(governance.allows_retention(Some(&r(c, later)), now, false));
        assert!(!governance.allows_retention(Some(&r(g, sooner)), now, false));
        assert!(governance.allows_retention(Some(&r(g, sooner)), now, true));
        assert!(!governance.allows_retention(None, now, false));
        assert!(governance.allows_retention(None, now, true));
        // Expired: anything goes.
        let past = retained(c, now - Duration::from_secs(1));
        assert!(past.allows_retention(None, now, false));
    }
}
