//! A migration pass (delta or verification): the request (`<Delta>` / `<Verify>` XML), the
//! job as stored (a JSON bucket setting, node-local like a backfill's) and its status
//! document (`<DeltaStatus>` / `<VerifyStatus>`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::S3Error;
use crate::origin::backfill::{parse_concurrency, BackfillState};
use crate::xml;

/// The bucket settings holding the last pass of each kind.
pub const DELTA_SETTING: &str = "origin-delta";
pub const VERIFY_SETTING: &str = "origin-verify";
/// Failures and mismatches kept in the status (the counts are exact; the lists are the
/// first ones).
pub const MAX_LISTED: usize = 1000;

/// Which pass.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassKind {
    /// Reconcile the bucket with the origin: fill what is new, refresh what changed, apply
    /// `OnOriginDelete` to what went.
    Delta,
    /// Prove each origin key's local copy: its size and its ETag, recomputed over the local
    /// bytes (multipart ETags with the origin's part size).
    Verify,
}

impl PassKind {
    pub fn element(self) -> &'static str {
        match self {
            PassKind::Delta => "Delta",
            PassKind::Verify => "Verify",
        }
    }
}

/// What a key turned out to be, one class per key a pass looked at.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// At the origin, not here: filled (delta); missing (verify: a mismatch).
    New,
    /// Its copy was filled from an older origin object: refreshed (delta).
    Changed,
    /// Its copy matches what the origin lists (delta), or its bytes hash to the origin's
    /// ETag (verify).
    Unchanged,
    /// Gone from the origin; the copy deleted (`OnOriginDelete` Delete).
    GoneDeleted,
    /// Gone from the origin; the copy kept (`OnOriginDelete` Keep, or no freshness rule).
    GoneKept,
    /// Written here: local writes win, nothing to compare.
    LocalWrite,
    /// Deleted here (tombstone, delete marker): stays deleted.
    DeletedHere,
    /// The copy's bytes do not match the origin (verify).
    Mismatch,
    /// The origin's ETag is not a digest (encrypted objects, other stores' ETags) and it
    /// sent no checksum: nothing to compare with (verify).
    Unverifiable,
}

impl Class {
    /// Whether a delta pass that found a key of this class had something to do.
    pub fn is_work(self) -> bool {
        matches!(
            self,
            Class::New | Class::Changed | Class::GoneDeleted | Class::Mismatch
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::New => "New",
            Class::Changed => "Changed",
            Class::Unchanged => "Unchanged",
            Class::GoneDeleted => "GoneDeleted",
            Class::GoneKept => "GoneKept",
            Class::LocalWrite => "LocalWrite",
            Class::DeletedHere => "DeletedHere",
            Class::Mismatch => "Mismatch",
            Class::Unverifiable => "Unverifiable",
        }
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct PassXml {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    concurrency: Option<String>,
    #[serde(default)]
    repair: Option<String>,
}

/// A PutBucketOriginDelta or PutBucketOriginVerify request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRequest {
    pub kind: PassKind,
    pub prefix: String,
    pub concurrency: usize,
    /// Verify: pull every mismatching key again.
    pub repair: bool,
}

impl PassRequest {
    /// The request document (`<Delta>` or `<Verify>`); an empty body takes the defaults.
    pub fn parse(kind: PassKind, body: &[u8]) -> Result<PassRequest, S3Error> {
        let doc: PassXml = if body.iter().all(u8::is_ascii_whitespace) {
            PassXml::default()
        } else {
            xml::from_xml_document(body, kind.element())?
        };
        let element = kind.element();
        let concurrency = parse_concurrency(element, doc.concurrency.as_deref())?;
        let repair = match doc.repair.as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") if kind == PassKind::Verify => true,
            Some("true") => {
                return Err(S3Error::invalid_argument(
                    "Repair goes with a verification (a delta pass repairs by itself)",
                ))
            }
            Some(other) => {
                return Err(S3Error::invalid_argument(format!(
                    "{element}/Repair {other:?} is not true or false"
                )))
            }
        };
        Ok(PassRequest {
            kind,
            prefix: doc.prefix.unwrap_or_default(),
            concurrency,
            repair,
        })
    }
}

/// What a batch decided before acting on it, kept in the checkpoint: after a restart the
/// batch is acted on again (actions are idempotent) and counted from this plan, so the
/// totals stay exact.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub key: String,
    pub class: Class,
    /// What differs (a mismatch), for the status.
    pub detail: Option<String>,
    /// The ETag the origin listed (unquoted).
    pub origin_etag: Option<String>,
    /// The batch's last key: the checkpoint once the batch is done.
    pub last: bool,
}

/// The pass as stored: its request, state, totals and checkpoint.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PassJob {
    pub kind: PassKind,
    pub request_prefix: String,
    pub concurrency: usize,
    pub repair: bool,
    pub state: BackfillState,
    /// Keys looked at, per class.
    pub classes: BTreeMap<Class, u64>,
    /// Keys filled or refreshed (delta), pulled again (verify with repair).
    pub pulled: u64,
    pub bytes: u64,
    /// Bytes of local copies read and hashed (verify).
    pub hashed_bytes: u64,
    pub failed: u64,
    pub started_ns: u64,
    pub updated_ns: u64,
    /// Every key up to this one is done and counted.
    pub last_key: Option<String>,
    /// The batch being acted on (its plan, kept for a restart).
    pub pending: Vec<Planned>,
    /// The first mismatches: key and what differs.
    pub mismatches: Vec<(String, String)>,
    /// The first failures: key and reason.
    pub failures: Vec<(String, String)>,
    /// Why the pass itself failed (state Failed).
    pub error: Option<String>,
}

impl PassJob {
    pub fn start(request: PassRequest) -> PassJob {
        let now = crate::origin::backfill::now_ns();
        PassJob {
            kind: request.kind,
            request_prefix: request.prefix,
            concurrency: request.concurrency,
            repair: request.repair,
            state: BackfillState::Running,
            classes: BTreeMap::new(),
            pulled: 0,
            bytes: 0,
            hashed_bytes: 0,
            failed: 0,
            started_ns: now,
            updated_ns: now,
            last_key: None,
            pending: Vec::new(),
            mismatches: Vec::new(),
            failures: Vec::new(),
            error: None,
        }
    }

    pub fn count(&self, class: Class) -> u64 {
        self.classes.get(&class).copied().unwrap_or(0)
    }

    pub fn fail(&mut self, key: &str, reason: String) {
        self.failed += 1;
        if self.failures.len() < MAX_LISTED {
            self.failures.push((key.to_owned(), reason));
        }
    }

    /// Keys that needed work (delta: new, changed, gone and deleted; verify: mismatches).
    pub fn work_found(&self) -> u64 {
        self.classes
            .iter()
            .filter(|(class, _)| class.is_work())
            .map(|(_, n)| n)
            .sum()
    }

    /// A completed pass that found nothing to do and failed nowhere.
    pub fn clean(&self) -> bool {
        self.state == BackfillState::Completed && self.work_found() == 0 && self.failed == 0
    }

    pub fn status(&self) -> PassStatus {
        let time = |ns| xml::timestamp(crate::origin::backfill::time_of(ns));
        PassStatus {
            kind: self.kind,
            state: self.state.as_str(),
            prefix: self.request_prefix.clone(),
            repair: self.repair.then_some(true),
            clean: self.clean(),
            classes: self
                .classes
                .iter()
                .map(|(class, n)| Count {
                    class: class.as_str(),
                    keys: *n,
                })
                .collect(),
            pulled: self.pulled,
            bytes: self.bytes,
            hashed_bytes: (self.kind == PassKind::Verify).then_some(self.hashed_bytes),
            failed: self.failed,
            started_at: time(self.started_ns),
            updated_at: time(self.updated_ns),
            last_key: self.last_key.clone(),
            error: self.error.clone(),
            mismatches: self
                .mismatches
                .iter()
                .map(|(key, what)| Mismatch {
                    key: key.clone(),
                    differs: what.clone(),
                })
                .collect(),
            failures: self
                .failures
                .iter()
                .map(|(key, reason)| crate::origin::backfill::Failure {
                    key: key.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        }
    }
}

/// The delta pass, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaJob(pub PassJob);

/// The verification, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyJob(pub PassJob);

macro_rules! stored_as {
    ($doc:ident, $setting:expr) => {
        impl crate::bucket_setting::SettingDocument for $doc {
            const SETTING: &'static str = $setting;
            /// A pass runs on the node that was asked; its progress is that node's.
            const SHARED: bool = false;
            fn parse_stored(stored: &[u8]) -> Result<Self, String> {
                serde_json::from_slice(stored)
                    .map($doc)
                    .map_err(|e| e.to_string())
            }
            fn to_stored(&self) -> Vec<u8> {
                serde_json::to_vec(&self.0).unwrap_or_default()
            }
        }
    };
}
stored_as!(DeltaJob, DELTA_SETTING);
stored_as!(VerifyJob, VERIFY_SETTING);

/// `GET /{bucket}?origin-delta` or `?origin-verify` (and the `Delta` / `Verify` of
/// `?origin-status`).
#[derive(Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct PassStatus {
    #[serde(skip)]
    pub kind: PassKind,
    pub state: &'static str,
    pub prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<bool>,
    /// Completed, found nothing to do, failed nowhere.
    pub clean: bool,
    #[serde(rename = "Count")]
    pub classes: Vec<Count>,
    pub pulled: u64,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashed_bytes: Option<u64>,
    pub failed: u64,
    pub started_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(rename = "Mismatch")]
    pub mismatches: Vec<Mismatch>,
    #[serde(rename = "Failure")]
    pub failures: Vec<crate::origin::backfill::Failure>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct Count {
    pub class: &'static str,
    pub keys: u64,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct Mismatch {
    pub key: String,
    pub differs: String,
}

/// The status document of a pass, under its own root element.
pub fn status_document(status: &PassStatus) -> String {
    let root = match status.kind {
        PassKind::Delta => "DeltaStatus",
        PassKind::Verify => "VerifyStatus",
    };
    xml::to_xml_with_root(root, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_are_validated() {
        let r = PassRequest::parse(
            PassKind::Delta,
            b"<Delta><Prefix>p/</Prefix><Concurrency>4</Concurrency></Delta>",
        )
        .expect("valid");
        assert_eq!(
            r,
            PassRequest {
                kind: PassKind::Delta,
                prefix: "p/".into(),
                concurrency: 4,
                repair: false
            }
        );
        let v = PassRequest::parse(PassKind::Verify, b"<Verify><Repair>true</Repair></Verify>")
            .expect("valid");
        assert!(v.repair);
        assert_eq!(v.concurrency, 8);
        let empty = PassRequest::parse(PassKind::Verify, b"").expect("defaults");
        assert_eq!(empty.prefix, "");
        for (kind, bad) in [
            (
                PassKind::Delta,
                "<Delta><Concurrency>0</Concurrency></Delta>",
            ),
            (PassKind::Delta, "<Delta><Repair>true</Repair></Delta>"),
            (PassKind::Verify, "<Verify><Repair>maybe</Repair></Verify>"),
            (PassKind::Verify, "<Delta/>"),
        ] {
            assert!(PassRequest::parse(kind, bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pass_is_clean_only_when_it_completed_with_nothing_to_do() {
        let mut job = PassJob::start(PassRequest::parse(PassKind::Delta, b"").expect("valid"));
        assert!(!job.clean(), "running");
        job.state = BackfillState::Completed;
        *job.classes.entry(Class::Unchanged).or_default() += 10;
        *job.classes.entry(Class::LocalWrite).or_default() += 2;
        *job.classes.entry(Class::GoneKept).or_default() += 1;
        assert!(job.clean());
        *job.classes.entry(Class::New).or_default() += 1;
        assert!(!job.clean());
        assert_eq!(job.work_found(), 1);
        let text = status_document(&job.status());
        assert!(
            text.starts_with("<?xml") || text.contains("<DeltaStatus"),
            "{text}"
        );
        assert!(
            text.contains("<Count><Class>New</Class><Keys>1</Keys></Count>"),
            "{text}"
        );
        assert!(text.contains("<Clean>false</Clean>"), "{text}");
    }
}
