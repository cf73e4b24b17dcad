//! The policy of a browser form upload (POST object): its JSON document (base64 in the
//! form's `policy` field), and the check of a form against it: the expiration, every
//! condition (`eq`, `starts-with`, exact `{"field": "value"}`, `content-length-range`),
//! and no form field the policy does not name. Each refusal is the error AWS sends.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>

use std::time::SystemTime;

use base64::Engine as _;
use serde_json::Value;

use crate::error::{S3Error, S3ErrorCode};

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    pub expiration: SystemTime,
    pub conditions: Vec<Condition>,
}

/// One condition; `field` is the form field's name, lower-cased, without the `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Eq { field: String, value: String },
    StartsWith { field: String, prefix: String },
    ContentLengthRange { min: u64, max: u64 },
}

/// Form fields that need no condition of a policy: the signature and the policy itself,
/// the file, the `x-ignore-` ones, and the integrity checks (`x-amz-checksum-algorithm`
/// and its `x-amz-checksum-*` value), which can only narrow what is accepted: a file that
/// does not match is refused with BadDigest. A policy may still name them.
fn is_exempt(field: &str) -> bool {
    matches!(
        field,
        "policy" | "x-amz-signature" | "signature" | "awsaccesskeyid" | "file"
    ) || field.starts_with("x-ignore-")
        || field.starts_with("x-amz-checksum-")
}

fn invalid_policy(why: &str) -> S3Error {
    S3Error::new(
        S3ErrorCode::InvalidPolicyDocument,
        format!("Invalid Policy: {why}"),
    )
}

fn refused(why: String) -> S3Error {
    S3Error::new(
        S3ErrorCode::AccessDenied,
        format!("Invalid according to Policy: {why}"),
    )
}

impl PostPolicy {
    /// Decode the `policy` field.
    pub fn parse(base64_text: &str) -> Result<PostPolicy, S3Error> {
        let json = base64::engine::general_purpose::STANDARD
            .decode(base64_text.trim())
            .map_err(|_| invalid_policy("Invalid Base64 Encoding."))?;
        let doc: Value =
            serde_json::from_slice(&json).map_err(|_| invalid_policy("Invalid JSON."))?;
        let expiration = doc
            .get("expiration")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_policy("Policy missing expiration."))?;
        let expiration =
            parse_time(expiration).ok_or_else(|| invalid_policy("Invalid 'expiration' value."))?;
        let list = doc
            .get("conditions")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid_policy("Policy missing conditions."))?;
        let mut conditions = Vec::new();
        for item in list {
            parse_condition(item, &mut conditions)?;
        }
        Ok(PostPolicy {
            expiration,
            conditions,
        })
    }

    /// Check a form's fields (`(lower-cased name, value)`, the file's excepted) for a POST to
    /// `bucket` at `now`. `key` is the object's key, `${filename}` substituted: conditions
    /// on `$key` are checked against it (an exact match may also name the field as sent,
    /// `${filename}` included). The file's size is checked by the caller against
    /// [`PostPolicy::length_range`] while it streams.
    pub fn check(
        &self,
        bucket: &str,
        key: &str,
        fields: &[(String, String)],
        now: SystemTime,
    ) -> Result<(), S3Error> {
        if now > self.expiration {
            return Err(refused("Policy expired.".into()));
        }
        let sent = |field: &str| -> Option<&str> {
            fields
                .iter()
                .find(|(name, _)| name == field)
                .map(|(_, v)| v.as_str())
        };
        let value_of = |field: &str| -> Option<&str> {
            match field {
                "bucket" => Some(bucket),
                "key" => Some(key),
                _ => sent(field),
            }
        };
        for condition in &self.conditions {
            let holds = match condition {
                Condition::Eq { field, value } => {
                    value_of(field) == Some(value.as_str())
                        || (field == "key" && sent(field) == Some(value.as_str()))
                }
                Condition::StartsWith { field, prefix } => {
                    value_of(field).is_some_and(|v| starts_with(field, v, prefix))
                }
                Condition::ContentLengthRange { .. } => true,
            };
            if !holds {
                return Err(refused(format!(
                    "Policy Condition failed: {}",
                    condition.describe()
                )));
            }
        }
        let extra: Vec<&str> = fields
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !is_exempt(name) && !self.names(name))
            .collect();
        if !extra.is_empty() {
            return Err(refused(format!("Extra input fields: {}", extra.join(", "))));
        }
        Ok(())
    }

    /// The allowed size of the file, when the policy limits it.
    pub fn length_range(&self) -> Option<(u64, u64)> {
        self.conditions.iter().find_map(|c| match c {
            Condition::ContentLengthRange { min, max } => Some((*min, *max)),
            _ => None,
        })
    }

    fn names(&self, field: &str) -> bool {
        self.conditions.iter().any(|c| match c {
            Condition::Eq { field: f, .. } | Condition::StartsWith { field: f, .. } => f == field,
            Condition::ContentLengthRange { .. } => false,
        })
    }
}

/// `starts-with`; for Content-Type, a comma-separated value must match in each of its
/// parts, as AWS allows.
fn starts_with(field: &str, value: &str, prefix: &str) -> bool {
    if field == "content-type" && value.contains(',') {
        return value.split(',').all(|v| v.trim().starts_with(prefix));
    }
    value.starts_with(prefix)
}

impl Condition {
    /// The condition as AWS quotes it in its refusal.
    fn describe(&self) -> String {
        match self {
            Condition::Eq { field, value } => format!("[\"eq\", \"${field}\", \"{value}\"]"),
            Condition::StartsWith { field, prefix } => {
                format!("[\"starts-with\", \"${field}\", \"{prefix}\"]")
            }
            Condition::ContentLengthRange { min, max } => {
                format!("[\"content-length-range\", {min}, {max}]")
            }
        }
    }
}

fn parse_condition(item: &Value, out: &mut Vec<Condition>) -> Result<(), S3Error> {
    let bad = |what: &str| invalid_policy(what);
    match item {
        Value::Object(map) => {
            for (field, value) in map {
                out.push(Condition::Eq {
                    field: field.trim_start_matches('$').to_ascii_lowercase(),
                    value: scalar(value).ok_or_else(|| bad("a condition value is not a string"))?,
                });
            }
            Ok(())
        }
        Value::Array(parts) => {
            let op = parts
                .first()
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .ok_or_else(|| bad("a condition has no operation"))?;
            if parts.len() != 3 {
                return Err(bad("a condition has three elements"));
            }
            if op == "content-length-range" {
                let bound = |v: &Value| {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                };
                let (Some(min), Some(max)) = (bound(&parts[1]), bound(&parts[2])) else {
                    return Err(bad("content-length-range takes two numbers"));
                };
                out.push(Condition::ContentLengthRange { min, max });
                return Ok(());
            }
            let field = parts[1]
                .as_str()
                .and_then(|f| f.strip_prefix('$'))
                .map(str::to_ascii_lowercase)
                .ok_or_else(|| bad("a condition names its field with a leading $"))?;
            let value =
                scalar(&parts[2]).ok_or_else(|| bad("a condition value is not a string"))?;
            match op.as_str() {
                "eq" => out.push(Condition::Eq { field, value }),
                "starts-with" => out.push(Condition::StartsWith {
                    field,
                    prefix: value,
                }),
                other => return Err(bad(&format!("unknown condition operation {other}"))),
            }
            Ok(())
        }
        _ => Err(bad("a condition is an object or an array")),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `2015-12-30T12:00:00.000Z`: ISO 8601 in UTC, as AWS requires it (fractional seconds
/// optional). A space for the `T` (Python's `str(datetime)`) or an offset is not it.
fn parse_time(text: &str) -> Option<SystemTime> {
    if text.as_bytes().get(10) != Some(&b'T') || !text.ends_with('Z') {
        return None;
    }
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.into())
}

#[cfg(test)]
mod tests;
