//! The Object Lock documents: a bucket's `ObjectLockConfiguration` (enabled, with an optional
//! default retention rule; stored as the bucket setting `object-lock`), and one version's
//! `Retention` and `LegalHold`, each parsed and validated as AWS does, with AWS's errors.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLegalHold.html>

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use storage::{Retention, RetentionMode};

use crate::bucket_setting::SettingDocument;
use crate::error::{S3Error, S3ErrorCode};
use crate::xml;

/// `ObjectLockConfiguration`, both ways.
#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq, Eq)]
#[serde(rename = "ObjectLockConfiguration", rename_all = "PascalCase")]
pub struct ObjectLockConfigurationWire {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_lock_enabled: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleWire>,
}

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct RuleWire {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_retention: Option<DefaultRetentionWire>,
}

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultRetentionWire {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<i64>,
}

/// `Retention` (PutObjectRetention's body, GetObjectRetention's answer).
#[derive(Serialize, Deserialize, Debug, Default)]
#[serde(rename = "Retention", rename_all = "PascalCase")]
pub struct RetentionWire {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_until_date: Option<String>,
}

/// `LegalHold` (PutObjectLegalHold's body, GetObjectLegalHold's answer).
#[derive(Serialize, Deserialize, Debug, Default)]
#[serde(rename = "LegalHold", rename_all = "PascalCase")]
pub struct LegalHoldWire {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A bucket's default retention: applied to each new version that names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRetention {
    pub mode: RetentionMode,
    pub period: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    Years(u32),
}

/// A bucket's Object Lock configuration: present means enabled (for good).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockConfiguration {
    pub default: Option<DefaultRetention>,
}

const DAY: u64 = 24 * 60 * 60;
/// AWS's bounds on a default retention: 100 years (36,500 days).
const MAX_YEARS: i64 = 100;
const MAX_DAYS: i64 = 36_500;

impl DefaultRetention {
    /// The retention a version created at `created` gets.
    pub fn applied_at(&self, created: SystemTime) -> Retention {
        let days = match self.period {
            Period::Days(d) => u64::from(d),
            // AWS counts a year as 365 days.
            Period::Years(y) => u64::from(y) * 365,
        };
        Retention {
            mode: self.mode,
            until: created + Duration::from_secs(days * DAY),
        }
    }
}

impl LockConfiguration {
    /// Parse and validate a PutObjectLockConfiguration body.
    pub fn parse(body: &[u8]) -> Result<LockConfiguration, S3Error> {
        let wire: ObjectLockConfigurationWire =
            xml::from_xml_document(body, "ObjectLockConfiguration")?;
        LockConfiguration::from_wire(&wire)
    }

    fn from_wire(wire: &ObjectLockConfigurationWire) -> Result<LockConfiguration, S3Error> {
        if wire.object_lock_enabled.as_deref() != Some("Enabled") {
            return Err(S3Error::malformed_xml("ObjectLockEnabled must be Enabled"));
        }
        let Some(rule) = &wire.rule else {
            return Ok(LockConfiguration { default: None });
        };
        let Some(d) = &rule.default_retention else {
            return Err(S3Error::malformed_xml("a Rule needs a DefaultRetention"));
        };
        let mode = match d.mode.as_deref() {
            Some(m) => RetentionMode::parse(m)
                .ok_or_else(|| S3Error::malformed_xml(format!("unknown retention mode {m}")))?,
            None => return Err(S3Error::malformed_xml("a DefaultRetention needs a Mode")),
        };
        let positive = || {
            S3Error::invalid_argument("Default retention period must be a positive integer value")
        };
        let period = match (d.days, d.years) {
            (Some(days), None) if days <= 0 => return Err(positive()),
            (None, Some(years)) if years <= 0 => return Err(positive()),
            (Some(days), None) if days > MAX_DAYS => {
                return Err(S3Error::invalid_argument(
                    "Default retention period is too large.",
                ))
            }
            (None, Some(years)) if years > MAX_YEARS => {
                return Err(S3Error::invalid_argument(
                    "Default retention period is too large.",
                ))
            }
            (Some(days), None) => Period::Days(u32::try_from(days).map_err(|_| positive())?),
            (None, Some(years)) => Period::Years(u32::try_from(years).map_err(|_| positive())?),
            _ => {
                return Err(S3Error::malformed_xml(
                    "a DefaultRetention has either Days or Years",
                ))
            }
        };
        Ok(LockConfiguration {
            default: Some(DefaultRetention { mode, period }),
        })
    }

    pub fn to_wire(&self) -> ObjectLockConfigurationWire {
        ObjectLockConfigurationWire {
            object_lock_enabled: Some("Enabled".into()),
            rule: self.default.map(|d| RuleWire {
                default_retention: Some(DefaultRetentionWire {
                    mode: Some(d.mode.as_str().into()),
                    days: match d.period {
                        Period::Days(n) => Some(i64::from(n)),
                        Period::Years(_) => None,
                    },
                    years: match d.period {
                        Period::Years(n) => Some(i64::from(n)),
                        Period::Days(_) => None,
                    },
                }),
            }),
        }
    }
}

impl SettingDocument for LockConfiguration {
    const SETTING: &'static str = "object-lock";

    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        let wire: ObjectLockConfigurationWire =
            xml::from_xml_document(stored, "ObjectLockConfiguration").map_err(|e| e.to_string())?;
        LockConfiguration::from_wire(&wire).map_err(|e| e.message)
    }

    fn to_stored(&self) -> Vec<u8> {
        xml::to_xml(&self.to_wire()).into_bytes()
    }
}

/// The mode AWS names, or InvalidArgument.
pub fn parse_mode(name: &str) -> Result<RetentionMode, S3Error> {
    RetentionMode::parse(name)
        .ok_or_else(|| S3Error::invalid_argument("Unknown wormMode directive."))
}

/// An ISO 8601 date (`2030-01-01T00:00:00Z`, with or without fractions), or InvalidArgument.
pub fn parse_date(text: &str) -> Result<SystemTime, S3Error> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .map_err(|_| {
            S3Error::invalid_argument(format!("The retain until date is not a valid date: {text}"))
        })
}

/// A retention a client asks for: in the future, as AWS requires.
pub fn requested_retention(mode: &str, until: &str) -> Result<Retention, S3Error> {
    let retention = Retention {
        mode: parse_mode(mode)?,
        until: parse_date(until)?,
    };
    if retention.until <= SystemTime::now() {
        return Err(S3Error::invalid_argument(
            "The retain until date must be in the future!",
        ));
    }
    Ok(retention)
}

/// PutObjectRetention's body: `None` removes the retention (an empty `Retention`).
pub fn parse_retention(body: &[u8]) -> Result<Option<Retention>, S3Error> {
    let wire: RetentionWire = xml::from_xml_document(body, "Retention")?;
    match (wire.mode.as_deref(), wire.retain_until_date.as_deref()) {
        (None, None) => Ok(None),
        (Some(mode), Some(until)) => requested_retention(mode, until).map(Some),
        _ => Err(S3Error::malformed_xml(
            "a Retention has both a Mode and a RetainUntilDate, or neither",
        )),
    }
}

/// PutObjectLegalHold's body: whether the hold is ON.
pub fn parse_legal_hold(body: &[u8]) -> Result<bool, S3Error> {
    let wire: LegalHoldWire = xml::from_xml_document(body, "LegalHold")?;
    parse_hold_status(wire.status.as_deref().unwrap_or_default())
        .map_err(|_| S3Error::malformed_xml("LegalHold Status must be ON or OFF"))
}

/// `ON` or `OFF`.
pub fn parse_hold_status(text: &str) -> Result<bool, S3Error> {
    match text {
        "ON" => Ok(true),
        "OFF" => Ok(false),
        _ => Err(S3Error::invalid_argument(
            "Legal Hold must be either of 'ON' or 'OFF'",
        )),
    }
}

/// The `InvalidRequest` AWS sends when a bucket without Object Lock is asked for a lock.
pub fn not_lock_enabled() -> S3Error {
    S3Error::new(
        S3ErrorCode::InvalidRequest,
        "Bucket is missing Object Lock Configuration",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_parse_as_aws_validates_them() {
        let doc = |rule: &str| {
            format!(
                "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>{rule}</ObjectLockConfiguration>"
            )
        };
        let plain = LockConfiguration::parse(doc("").as_bytes()).unwrap();
        assert_eq!(plain.default, None);
        let rule = |inner: &str| {
            doc(&format!(
                "<Rule><DefaultRetention>{inner}</DefaultRetention></Rule>"
            ))
        };
        let days =
            LockConfiguration::parse(rule("<Mode>GOVERNANCE</Mode><Days>3</Days>").as_bytes())
                .unwrap();
        assert_eq!(
            days.default,
            Some(DefaultRetention {
                mode: RetentionMode::Governance,
                period: Period::Days(3)
            })
        );
        let stored = days.to_stored();
        assert_eq!(LockConfiguration::parse_stored(&stored).unwrap(), days);
        for (bad, code) in [
            (rule("<Mode>GOVERNANCE</Mode><Days>0</Days>"), S3ErrorCode::InvalidArgument),
            (rule("<Mode>COMPLIANCE</Mode><Years>-1</Years>"), S3ErrorCode::InvalidArgument),
            (rule("<Mode>COMPLIANCE</Mode><Days>1</Days><Years>1</Years>"), S3ErrorCode::MalformedXML),
            (rule("<Mode>LOOSE</Mode><Days>1</Days>"), S3ErrorCode::MalformedXML),
            (rule("<Days>1</Days>"), S3ErrorCode::MalformedXML),
            (
                "<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>".into(),
                S3ErrorCode::MalformedXML,
            ),
        ] {
            let err = LockConfiguration::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(err.code, code, "{bad}");
        }
    }

    #[test]
    fn a_default_of_years_counts_365_days_each() {
        let d = DefaultRetention {
            mode: RetentionMode::Compliance,
            period: Period::Years(2),
        };
        let t = SystemTime::UNIX_EPOCH;
        assert_eq!(d.applied_at(t).until, t + Duration::from_secs(730 * DAY));
    }

    #[test]
    fn retentions_must_be_in_the_future_and_name_a_mode() {
        assert!(requested_retention("GOVERNANCE", "2999-01-01T00:00:00Z").is_ok());
        assert!(requested_retention("GOVERNANCE", "2000-01-01T00:00:00.000Z").is_err());
        assert!(requested_retention("SOFT", "2999-01-01T00:00:00Z").is_err());
        assert_eq!(parse_retention(b"<Retention/>").unwrap(), None);
        assert!(parse_retention(b"<Retention><Mode>COMPLIANCE</Mode></Retention>").is_err());
        assert!(parse_legal_hold(b"<LegalHold><Status>ON</Status></LegalHold>").unwrap());
        assert!(parse_legal_hold(b"<LegalHold><Status>on</Status></LegalHold>").is_err());
    }
}
