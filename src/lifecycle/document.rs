//! The `LifecycleConfiguration` document: its XML (both ways), the rules it becomes, and
//! AWS's validation of it, each refusal with the error AWS sends.
//!
//! Transitions (`Transition`, `NoncurrentVersionTransition`) are accepted, kept and echoed
//! so that configurations written for AWS (Terraform's, for one) apply unchanged, but they
//! do nothing: a single-node store has one kind of storage.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html>

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::error::{S3Error, S3ErrorCode};
use crate::xml;

const MAX_RULES: usize = 1000;
const MAX_ID_CHARS: usize = 255;

// ---- wire ----

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename = "LifecycleConfiguration", rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    #[serde(rename = "Rule", default)]
    pub rules: Vec<RuleWire>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct RuleWire {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterWire>,
    /// The legacy form of a prefix filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    pub status: String,
    #[serde(rename = "Transition", default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<TransitionWire>,
    #[serde(
        rename = "NoncurrentVersionTransition",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub noncurrent_transitions: Vec<NoncurrentTransitionWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<ExpirationWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noncurrent_version_expiration: Option<NoncurrentExpirationWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_incomplete_multipart_upload: Option<AbortWire>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct FilterWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<xml::Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_greater_than: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_less_than: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub and: Option<AndWire>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AndWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(rename = "Tag", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<xml::Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_greater_than: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_less_than: Option<u64>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ExpirationWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_object_delete_marker: Option<bool>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentExpirationWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noncurrent_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newer_noncurrent_versions: Option<i64>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AbortWire {
    #[serde(default)]
    pub days_after_initiation: Option<i64>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct TransitionWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentTransitionWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noncurrent_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newer_noncurrent_versions: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

// ---- model ----

/// A validated configuration: its rules, and the document to answer GET with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    pub rules: Vec<Rule>,
    pub document: LifecycleConfiguration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub enabled: bool,
    pub filter: Filter,
    /// Current versions expire `Days` after creation or on `Date`.
    pub expiration: Option<Expiry>,
    /// Remove a current delete marker that is its key's only version.
    pub expired_object_delete_marker: bool,
    pub noncurrent: Option<NoncurrentExpiry>,
    /// Abort uploads this many days after initiation.
    pub abort_upload_days: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Days(u64),
    Date(SystemTime),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoncurrentExpiry {
    pub days: u64,
    /// Newest noncurrent versions kept whatever their age.
    pub keep_newer: usize,
}

/// Which objects a rule applies to: all of these must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub prefix: String,
    pub tags: Vec<(String, String)>,
    pub size_greater_than: Option<u64>,
    pub size_less_than: Option<u64>,
}

impl Filter {
    /// Does an object (a version) with this key, tags and size fall under the filter?
    pub fn matches(&self, key: &str, tags: &[(String, String)], size: u64) -> bool {
        key.starts_with(&self.prefix)
            && self.tags.iter().all(|t| tags.contains(t))
            && self.size_greater_than.is_none_or(|n| size > n)
            && self.size_less_than.is_none_or(|n| size < n)
    }

    /// For delete markers and uploads, which have no tags or size: the prefix only, and
    /// only for a filter that asks nothing else.
    pub fn matches_key_only(&self, key: &str) -> bool {
        key.starts_with(&self.prefix)
            && self.tags.is_empty()
            && self.size_greater_than.is_none()
            && self.size_less_than.is_none()
    }
}

// ---- validation ----

fn malformed(why: &str) -> S3Error {
    S3Error::malformed_xml(why.to_owned())
}

fn invalid_argument(why: &str) -> S3Error {
    S3Error::invalid_argument(why.to_owned())
}

fn invalid_request(why: &str) -> S3Error {
    S3Error::new(S3ErrorCode::InvalidRequest, why)
}

fn positive(value: Option<i64>, what: &str) -> Result<Option<u64>, S3Error> {
    match value {
        None => Ok(None),
        Some(n) if n > 0 => Ok(Some(n as u64)),
        Some(_) => Err(invalid_argument(&format!(
            "'{what}' must be a positive integer"
        ))),
    }
}

/// An ISO 8601 date at midnight UTC, as AWS requires of `Date`.
fn midnight(date: &str) -> Result<SystemTime, S3Error> {
    let parsed =
        time::OffsetDateTime::parse(date.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| invalid_argument("Invalid date: the Date must be in ISO 8601 format"))?;
    if parsed.offset() != time::UtcOffset::UTC || parsed.time() != time::Time::MIDNIGHT {
        return Err(invalid_argument("'Date' must be at midnight GMT"));
    }
    Ok(parsed.into())
}

fn tags_of(tags: &[xml::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

fn filter_of(rule: &RuleWire) -> Result<Filter, S3Error> {
    let f = match (&rule.filter, &rule.prefix) {
        (Some(_), Some(_)) => return Err(malformed("a rule has either Filter or Prefix")),
        (None, Some(prefix)) => {
            return Ok(Filter {
                prefix: prefix.clone(),
                ..Filter::default()
            })
        }
        (None, None) => return Err(malformed("a rule needs a Filter (or the legacy Prefix)")),
        (Some(f), None) => f,
    };
    let given = [
        f.prefix.is_some(),
        f.tag.is_some(),
        f.object_size_greater_than.is_some(),
        f.object_size_less_than.is_some(),
        f.and.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(malformed(
            "a Filter holds one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And",
        ));
    }
    let filter = match &f.and {
        Some(and) => Filter {
            prefix: and.prefix.clone().unwrap_or_default(),
            tags: tags_of(&and.tags),
            size_greater_than: and.object_size_greater_than,
            size_less_than: and.object_size_less_than,
        },
        None => Filter {
            prefix: f.prefix.clone().unwrap_or_default(),
            tags: f
                .tag
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
            size_greater_than: f.object_size_greater_than,
            size_less_than: f.object_size_less_than,
        },
    };
    if let (Some(gt), Some(lt)) = (filter.size_greater_than, filter.size_less_than) {
        if gt >= lt {
            return Err(invalid_argument(
                "ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
            ));
        }
    }
    let mut keys = std::collections::HashSet::new();
    if !filter.tags.iter().all(|(k, _)| keys.insert(k.as_str())) {
        return Err(invalid_argument("Duplicate Tag Keys are not allowed."));
    }
    Ok(filter)
}

fn rule_of(wire: &RuleWire, index: usize) -> Result<Rule, S3Error> {
    let id = wire
        .id
        .clone()
        // Only a document stored before ids were assigned at PUT lacks one.
        .unwrap_or_else(|| format!("rule-{}", index + 1));
    if id.chars().count() > MAX_ID_CHARS {
        return Err(invalid_argument(
            "ID length should not exceed allowed limit of 255",
        ));
    }
    let enabled = match wire.status.as_str() {
        "Enabled" => true,
        "Disabled" => false,
        _ => return Err(malformed("Status must be Enabled or Disabled")),
    };
    let filter = filter_of(wire)?;
    let mut expiration = None;
    let mut expired_object_delete_marker = false;
    if let Some(e) = &wire.expiration {
        let days = positive(e.days, "Days' for Expiration action")?;
        let date = e.date.as_deref().map(midnight).transpose()?;
        let marker = e.expired_object_delete_marker;
        expiration = match (days, date, marker) {
            (Some(d), None, None) => Some(Expiry::Days(d)),
            (None, Some(d), None) => Some(Expiry::Date(d)),
            (None, None, Some(m)) => {
                if m && !filter.tags.is_empty() {
                    return Err(invalid_request(
                        "ExpiredObjectDeleteMarker cannot be specified with object tags",
                    ));
                }
                expired_object_delete_marker = m;
                None
            }
            (None, None, None) => {
                return Err(malformed(
                    "Expiration needs Days, Date or ExpiredObjectDeleteMarker",
                ))
            }
            _ => {
                return Err(malformed(
                    "Expiration holds one of Days, Date and ExpiredObjectDeleteMarker",
                ))
            }
        };
    }
    let noncurrent = match &wire.noncurrent_version_expiration {
        None => None,
        Some(n) => {
            let days = positive(n.noncurrent_days, "NoncurrentDays")?
                .ok_or_else(|| malformed("NoncurrentVersionExpiration needs NoncurrentDays"))?;
            let keep_newer = match n.newer_noncurrent_versions {
                None => 0,
                Some(k) if (1..=100).contains(&k) => k as usize,
                Some(_) => {
                    return Err(invalid_argument(
                        "NewerNoncurrentVersions must be between 1 and 100",
                    ))
                }
            };
            Some(NoncurrentExpiry { days, keep_newer })
        }
    };
    let abort_upload_days = match &wire.abort_incomplete_multipart_upload {
        None => None,
        Some(a) => {
            if !filter.tags.is_empty() {
                return Err(invalid_request(
                    "AbortIncompleteMultipartUpload cannot be specified with Tags.",
                ));
            }
            Some(
                positive(a.days_after_initiation, "DaysAfterInitiation")?.ok_or_else(|| {
                    malformed("AbortIncompleteMultipartUpload needs DaysAfterInitiation")
                })?,
            )
        }
    };
    for t in &wire.transitions {
        // Transitions are kept (there is one storage class here) but validated as AWS does.
        let date = t.date.as_deref().map(midnight).transpose()?;
        if date.is_some() == t.days.is_some() {
            return Err(malformed("a Transition holds one of Days and Date"));
        }
        if t.days.is_some_and(|d| d < 0) {
            return Err(invalid_argument(
                "'Days' in Transition action must be nonnegative",
            ));
        }
    }
    let acts = expiration.is_some()
        || expired_object_delete_marker
        || noncurrent.is_some()
        || abort_upload_days.is_some()
        || !wire.transitions.is_empty()
        || !wire.noncurrent_transitions.is_empty();
    if !acts {
        return Err(invalid_request(
            "At least one action needs to be specified in a rule",
        ));
    }
    Ok(Rule {
        id,
        enabled,
        filter,
        expiration,
        expired_object_delete_marker,
        noncurrent,
        abort_upload_days,
    })
}

/// Parse and validate a PutBucketLifecycleConfiguration body. A rule without an `ID` gets a
/// unique one, kept in the stored document, as AWS assigns one (GET returns it).
pub fn parse(body: &[u8]) -> Result<Lifecycle, S3Error> {
    let mut document: LifecycleConfiguration =
        xml::from_xml_document(body, "LifecycleConfiguration")?;
    for rule in document.rules.iter_mut().filter(|r| r.id.is_none()) {
        rule.id = Some(uuid::Uuid::new_v4().simple().to_string());
    }
    validate(document)
}

fn validate(document: LifecycleConfiguration) -> Result<Lifecycle, S3Error> {
    if document.rules.is_empty() {
        return Err(malformed("a LifecycleConfiguration has at least one Rule"));
    }
    if document.rules.len() > MAX_RULES {
        return Err(invalid_argument(
            "Configuration must not have more than 1000 rules",
        ));
    }
    let rules = document
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| rule_of(r, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ids = std::collections::HashSet::new();
    if !rules.iter().all(|r| ids.insert(r.id.as_str())) {
        return Err(invalid_argument(
            "Rule ID must be unique. Found same ID for more than one rule",
        ));
    }
    Ok(Lifecycle { rules, document })
}

impl crate::bucket_setting::SettingDocument for Lifecycle {
    const SETTING: &'static str = "lifecycle";

    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        let document: LifecycleConfiguration = xml::from_xml(stored).map_err(|e| e.to_string())?;
        validate(document).map_err(|e| e.message)
    }

    fn to_stored(&self) -> Vec<u8> {
        xml::to_xml(&self.document).into_bytes()
    }
}

#[cfg(test)]
mod tests;
