//! The backfill job: the request (`<Backfill>` XML), the job as stored (JSON bucket setting)
//! and the status document (`<BackfillStatus>`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::S3Error;
use crate::xml;

/// The bucket setting holding the job.
pub const BACKFILL_SETTING: &str = "origin-backfill";
/// Failures kept in the status (the count is exact; the list is the first ones).
pub const MAX_FAILURES: usize = 100;
const MAX_CONCURRENCY: usize = 64;

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct BackfillXml {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    concurrency: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    manifest_key: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum BackfillSource {
    List,
    Manifest { key: String },
}

/// A PutBucketOriginBackfill request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillRequest {
    pub prefix: String,
    pub concurrency: usize,
    pub source: BackfillSource,
}

impl BackfillRequest {
    pub fn parse(body: &[u8]) -> Result<BackfillRequest, S3Error> {
        let doc: BackfillXml = xml::from_xml_document(body, "Backfill")?;
        let concurrency = parse_concurrency("Backfill", doc.concurrency.as_deref())?;
        let source = match (doc.source.as_deref().map(str::trim), doc.manifest_key) {
            (None | Some("List"), None) => BackfillSource::List,
            (Some("Manifest"), Some(key)) if !key.is_empty() => BackfillSource::Manifest { key },
            (Some("Manifest"), _) => {
                return Err(S3Error::invalid_argument(
                    "Backfill/Source Manifest needs a ManifestKey",
                ))
            }
            (Some("List") | None, Some(_)) => {
                return Err(S3Error::invalid_argument(
                    "Backfill/ManifestKey goes with Source Manifest",
                ))
            }
            (Some(other), _) => {
                return Err(S3Error::invalid_argument(format!(
                    "Backfill/Source {other:?} is not List or Manifest"
                )))
            }
        };
        Ok(BackfillRequest {
            prefix: doc.prefix.unwrap_or_default(),
            concurrency,
            source,
        })
    }
}

/// A migration job's `Concurrency` (in `<element>`): 1 to 64, 8 when absent.
pub fn parse_concurrency(element: &str, text: Option<&str>) -> Result<usize, S3Error> {
    match text.map(str::trim) {
        None => Ok(8),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
            _ => Err(S3Error::invalid_argument(format!(
                "{element}/Concurrency must be 1 to {MAX_CONCURRENCY}"
            ))),
        },
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillState {
    Running,
    Completed,
    CompletedWithFailures,
    Cancelled,
    Failed,
}

impl BackfillState {
    pub fn as_str(self) -> &'static str {
        match self {
            BackfillState::Running => "Running",
            BackfillState::Completed => "Completed",
            BackfillState::CompletedWithFailures => "CompletedWithFailures",
            BackfillState::Cancelled => "Cancelled",
            BackfillState::Failed => "Failed",
        }
    }
}

/// The job as stored: its request, state, totals and checkpoint.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BackfillJob {
    pub request_prefix: String,
    pub concurrency: usize,
    pub source: BackfillSource,
    pub state: BackfillState,
    pub listed: u64,
    pub filled: u64,
    pub already_local: u64,
    pub failed: u64,
    pub bytes: u64,
    pub started_ns: u64,
    pub updated_ns: u64,
    /// Checkpoint of a List job: every key up to this one is done.
    pub last_key: Option<String>,
    /// Checkpoint of a Manifest job: lines done.
    pub lines_done: u64,
    /// The first failures: key and reason.
    pub failures: Vec<(String, String)>,
    /// Why the job itself failed (state Failed).
    pub error: Option<String>,
}

pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A time kept as nanoseconds since the epoch.
pub fn time_of(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

impl BackfillJob {
    pub fn start(request: BackfillRequest) -> BackfillJob {
        let now = now_ns();
        BackfillJob {
            request_prefix: request.prefix,
            concurrency: request.concurrency,
            source: request.source,
            state: BackfillState::Running,
            listed: 0,
            filled: 0,
            already_local: 0,
            failed: 0,
            bytes: 0,
            started_ns: now,
            updated_ns: now,
            last_key: None,
            lines_done: 0,
            failures: Vec::new(),
            error: None,
        }
    }

    pub fn fail(&mut self, key: &str, reason: String) {
        self.failed += 1;
        if self.failures.len() < MAX_FAILURES {
            self.failures.push((key.to_owned(), reason));
        }
    }

    pub fn status(&self) -> BackfillStatus {
        BackfillStatus {
            state: self.state.as_str(),
            prefix: self.request_prefix.clone(),
            source: match &self.source {
                BackfillSource::List => "List".to_owned(),
                BackfillSource::Manifest { .. } => "Manifest".to_owned(),
            },
            manifest_key: match &self.source {
                BackfillSource::Manifest { key } => Some(key.clone()),
                BackfillSource::List => None,
            },
            listed: self.listed,
            filled: self.filled,
            already_local: self.already_local,
            failed: self.failed,
            bytes: self.bytes,
            started_at: xml::timestamp(time_of(self.started_ns)),
            updated_at: xml::timestamp(time_of(self.updated_ns)),
            last_key: self.last_key.clone(),
            error: self.error.clone(),
            failures: self
                .failures
                .iter()
                .map(|(key, reason)| Failure {
                    key: key.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        }
    }
}

impl crate::bucket_setting::SettingDocument for BackfillJob {
    const SETTING: &'static str = BACKFILL_SETTING;
    /// A job runs on the node that was asked; its progress is that node's.
    const SHARED: bool = false;
    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(stored).map_err(|e| e.to_string())
    }
    fn to_stored(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// `GET /{bucket}?origin-backfill` (and the `Backfill` of `?origin-status`).
#[derive(Serialize, Debug)]
#[serde(rename = "BackfillStatus", rename_all = "PascalCase")]
pub struct BackfillStatus {
    pub state: &'static str,
    pub prefix: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_key: Option<String>,
    pub listed: u64,
    pub filled: u64,
    pub already_local: u64,
    pub failed: u64,
    pub bytes: u64,
    pub started_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(rename = "Failure")]
    pub failures: Vec<Failure>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct Failure {
    pub key: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_are_validated() {
        let r = BackfillRequest::parse(
            b"<Backfill><Prefix>p/</Prefix><Concurrency>4</Concurrency><Source>List</Source></Backfill>",
        )
        .expect("valid");
        assert_eq!(
            r,
            BackfillRequest {
                prefix: "p/".into(),
                concurrency: 4,
                source: BackfillSource::List
            }
        );
        let m = BackfillRequest::parse(
            b"<Backfill><Source>Manifest</Source><ManifestKey>keys.txt</ManifestKey></Backfill>",
        )
        .expect("valid");
        assert_eq!(m.concurrency, 8);
        assert_eq!(
            m.source,
            BackfillSource::Manifest {
                key: "keys.txt".into()
            }
        );
        for bad in [
            "<Backfill><Concurrency>0</Concurrency></Backfill>",
            "<Backfill><Concurrency>100</Concurrency></Backfill>",
            "<Backfill><Source>Manifest</Source></Backfill>",
            "<Backfill><Source>Ftp</Source></Backfill>",
            "<Backfill><ManifestKey>k</ManifestKey></Backfill>",
        ] {
            assert!(BackfillRequest::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(BackfillRequest::parse(b"<Other/>").is_err());
    }
}
