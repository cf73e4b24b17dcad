//! Bucket policies: the JSON document (validated as PutBucketPolicy does), and its
//! evaluation for one request: which statements apply (principal, action, resource,
//! conditions) and whether one Denies or Allows. Explicit Deny wins (see [`super::decide`]).
//!
//! Principals: `*` (anyone, anonymous included), `{"AWS": ...}` with `*`, a user ARN
//! `arn:aws:iam::<account>:user/<access key>`, an account (`<account id>` or
//! `arn:aws:iam::<account id>:root`), and `{"CanonicalUser": <canonical id>}`; each must name
//! a configured user. Conditions: the `String*` operators (with `IgnoreCase`, `Like`, `Not`
//! and `IfExists` forms), `IpAddress`/`NotIpAddress`, `Bool`, `Null`, `NumericEquals` and
//! friends, on the keys people share buckets with: `aws:SourceIp`,
//! `aws:SecureTransport`, `aws:username`, `aws:userid`, `aws:Referer`, `aws:UserAgent`,
//! `s3:prefix`, `s3:delimiter`, `s3:max-keys`, `s3:x-amz-acl`, `s3:VersionId`.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html>

use std::net::IpAddr;

use serde_json::Value;

use super::Principal;
use crate::error::{S3Error, S3ErrorCode};
use crate::identity::{account_id, canonical_id};

/// AWS's limit on a bucket policy's size.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

/// A validated policy and the text it came from (GetBucketPolicy answers the text).
#[derive(Debug, Clone)]
pub struct BucketPolicy {
    pub text: String,
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    /// `None`: anyone.
    principals: Option<Vec<PrincipalName>>,
    /// `NotPrincipal`: the statement applies to everyone *but* these.
    not_principal: bool,
    actions: Vec<String>,
    not_action: bool,
    resources: Vec<String>,
    not_resource: bool,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone)]
struct Condition {
    operator: String,
    key: String,
    values: Vec<String>,
}

/// What a request brings to a policy's conditions.
#[derive(Debug, Default, Clone)]
pub struct RequestFacts {
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub referer: Option<String>,
    pub user_agent: Option<String>,
    /// `s3:prefix`, `s3:delimiter`, `s3:max-keys` of a listing.
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    pub max_keys: Option<String>,
    /// `x-amz-acl` of a write.
    pub canned_acl: Option<String>,
    pub version_id: Option<String>,
}

/// The outcome of a policy for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Deny,
    Allow,
    /// No statement applies.
    Silent,
}

fn malformed(why: &str) -> S3Error {
    S3Error::new(S3ErrorCode::MalformedPolicy, why)
}

/// One or many: a JSON string or an array of strings.
fn strings(value: &Value, what: &str) -> Result<Vec<String>, S3Error> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| malformed(&format!("{what} must be strings")))
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        _ => Err(malformed(&format!(
            "{what} must be a string or a list of strings"
        ))),
    }
}

impl BucketPolicy {
    /// Parse and validate a PutBucketPolicy body for `bucket`; `identities` (every user's) resolve principals.
    pub fn parse(text: &str, bucket: &str, identities: &[String]) -> Result<BucketPolicy, S3Error> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(malformed("Policies must not exceed 20 KB"));
        }
        if !text.trim_start().starts_with('{') {
            return Err(malformed(
                "Policies must be valid JSON and the first byte must be '{'",
            ));
        }
        let doc: Value = serde_json::from_str(text)
            .map_err(|_| malformed("This policy contains invalid Json"))?;
        if let Some(version) = doc.get("Version") {
            if !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17")) {
                return Err(malformed("The policy must contain a valid version string"));
            }
        }
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => return Err(malformed("Missing required field Statement")),
        };
        if statements.is_empty() {
            return Err(malformed("Could not parse the policy: Statement is empty!"));
        }
        let statements = statements
            .iter()
            .map(|s| parse_statement(s, Some(bucket), Some(identities)))
            .collect::<Result<_, _>>()?;
        Ok(BucketPolicy {
            text: text.to_owned(),
            statements,
        })
    }

    /// Parse and validate an identity policy (one attached to a user or a group): IAM's
    /// document without a `Principal` (it is the holder's), on any bucket.
    pub fn parse_identity(text: &str) -> Result<BucketPolicy, S3Error> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(malformed("Policies must not exceed 20 KB"));
        }
        let doc: Value = serde_json::from_str(text)
            .map_err(|_| malformed("This policy contains invalid Json"))?;
        if let Some(version) = doc.get("Version") {
            if !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17")) {
                return Err(malformed("The policy must contain a valid version string"));
            }
        }
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => list.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => return Err(malformed("Missing required field Statement")),
        };
        let statements = statements
            .into_iter()
            .map(|mut s| {
                let Some(object) = s.as_object_mut() else {
                    return Err(malformed("a Statement is an object"));
                };
                if object.contains_key("Principal") || object.contains_key("NotPrincipal") {
                    return Err(malformed(
                        "an identity policy names no Principal: it is its holder's",
                    ));
                }
                object.insert("Principal".to_owned(), Value::String("*".to_owned()));
                // `"Resource": "*"` (IAM's every resource) is every bucket and object here.
                for field in ["Resource", "NotResource"] {
                    match object.get_mut(field) {
                        Some(v @ Value::String(_)) if v.as_str() == Some("*") => {
                            *v = Value::String("arn:aws:s3:::*".to_owned());
                        }
                        Some(Value::Array(items)) => {
                            for item in items.iter_mut().filter(|i| i.as_str() == Some("*")) {
                                *item = Value::String("arn:aws:s3:::*".to_owned());
                            }
                        }
                        _ => {}
                    }
                }
                parse_statement(&s, None, None)
            })
            .collect::<Result<_, _>>()?;
        Ok(BucketPolicy {
            text: text.to_owned(),
            statements,
        })
    }

    /// Does a statement Deny or Allow `action` on `resource` (an ARN) to `principal`?
    pub fn evaluate(
        &self,
        principal: Principal<'_>,
        action: &str,
        resource: &str,
        facts: &RequestFacts,
    ) -> Verdict {
        let mut verdict = Verdict::Silent;
        for s in &self.statements {
            if s.applies(principal, action, resource, facts) {
                match s.effect {
                    Effect::Deny => return Verdict::Deny,
                    Effect::Allow => verdict = Verdict::Allow,
                }
            }
        }
        verdict
    }

    /// GetBucketPolicyStatus: does an Allow reach anyone, not held to fixed source addresses
    /// or accounts?
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && s.principals.is_none()
                && !s.not_principal
                && !s.conditions.iter().any(|c| {
                    let key = c.key.to_ascii_lowercase();
                    c.operator.ends_with("IpAddress")
                        || key == "aws:sourceip"
                        || key.starts_with("aws:sourcevpc")
                        || key == "aws:sourceaccount"
                        || key == "aws:principalaccount"
                        || key == "aws:userid"
                        || key == "aws:username"
                })
        })
    }
}

impl crate::bucket_setting::SettingDocument for BucketPolicy {
    const SETTING: &'static str = "policy";

    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(stored).map_err(|e| e.to_string())?;
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        let statements = statements
            .iter()
            .map(|s| parse_statement(s, None, None))
            .collect::<Result<_, _>>()
            .map_err(|e| e.message)?;
        Ok(BucketPolicy {
            text: text.to_owned(),
            statements,
        })
    }

    fn to_stored(&self) -> Vec<u8> {
        self.text.as_bytes().to_vec()
    }
}

/// One statement; `bucket` and `users` are `None` when a stored policy is read again.
fn parse_statement(
    s: &Value,
    bucket: Option<&str>,
    identities: Option<&[String]>,
) -> Result<Statement, S3Error> {
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(malformed("Invalid effect")),
    };
    let (principal, not_principal) = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(p), None) => (p, false),
        (None, Some(p)) => (p, true),
        _ => return Err(malformed("Missing required field Principal")),
    };
    let principals = parse_principal(principal, identities)?;
    let (actions, not_action) = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => (strings(a, "Action")?, false),
        (None, Some(a)) => (strings(a, "NotAction")?, true),
        _ => return Err(malformed("Missing required field Action")),
    };
    for a in &actions {
        let lower = a.to_ascii_lowercase();
        if lower != "*" && !lower.starts_with("s3:") {
            return Err(malformed("Policy has invalid action"));
        }
    }
    let (resources, not_resource) = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), None) => (strings(r, "Resource")?, false),
        (None, Some(r)) => (strings(r, "NotResource")?, true),
        _ => return Err(malformed("Missing required field Resource")),
    };
    for r in &resources {
        let Some(rest) = r.strip_prefix("arn:aws:s3:::") else {
            return Err(malformed("Policy has invalid resource"));
        };
        let resource_bucket = rest.split('/').next().unwrap_or_default();
        if bucket.is_some_and(|b| !glob(resource_bucket, b, false)) {
            return Err(malformed("Policy has invalid resource"));
        }
    }
    let mut conditions = Vec::new();
    if let Some(block) = s.get("Condition") {
        let block = block
            .as_object()
            .ok_or_else(|| malformed("Condition must be an object"))?;
        for (operator, pairs) in block {
            if !is_known_operator(operator) {
                return Err(malformed(&format!("Invalid Condition type : {operator}")));
            }
            let pairs = pairs
                .as_object()
                .ok_or_else(|| malformed("a condition operator takes an object"))?;
            for (key, values) in pairs {
                conditions.push(Condition {
                    operator: operator.clone(),
                    key: key.clone(),
                    values: strings(values, "Condition values")?,
                });
            }
        }
    }
    Ok(Statement {
        effect,
        principals,
        not_principal,
        actions,
        not_action,
        resources,
        not_resource,
        conditions,
    })
}

/// `None` for anyone; else the principals named. With `users` (a policy being put), each
/// must name a configured user; a stored policy is read without that check (a user removed
/// from the configuration since simply matches no request).
fn parse_principal(
    p: &Value,
    identities: Option<&[String]>,
) -> Result<Option<Vec<PrincipalName>>, S3Error> {
    if p.as_str() == Some("*") {
        return Ok(None);
    }
    let map = p
        .as_object()
        .ok_or_else(|| malformed("Invalid principal in policy"))?;
    let mut names = Vec::new();
    for (kind, value) in map {
        for name in strings(value, "Principal")? {
            let name = match kind.as_str() {
                "AWS" if name == "*" => return Ok(None),
                "AWS" => PrincipalName::Aws(name),
                "CanonicalUser" => PrincipalName::Canonical(name),
                _ => return Err(malformed("Invalid principal in policy")),
            };
            if let Some(identities) = identities {
                if !identities.iter().any(|u| name.names(u)) {
                    return Err(malformed("Invalid principal in policy"));
                }
            }
            names.push(name);
        }
    }
    Ok(Some(names))
}

/// A principal as a policy names it.
#[derive(Debug, Clone)]
enum PrincipalName {
    /// A user ARN (`arn:aws:iam::<account>:user/<access key>`), an account
    /// (`arn:aws:iam::<account id>:root` or the bare id), or an access key.
    Aws(String),
    Canonical(String),
}

impl PrincipalName {
    fn names(&self, access_key: &str) -> bool {
        match self {
            PrincipalName::Canonical(id) => *id == canonical_id(access_key),
            PrincipalName::Aws(name) => {
                let account = account_id(access_key);
                name == access_key
                    || *name == account
                    || *name == format!("arn:aws:iam::{account}:root")
                    || name
                        .strip_prefix("arn:aws:iam::")
                        .and_then(|rest| rest.split_once(":user/"))
                        .is_some_and(|(_, user)| user == access_key)
            }
        }
    }
}

fn is_known_operator(op: &str) -> bool {
    let base = op.strip_suffix("IfExists").unwrap_or(op);
    let base = base
        .strip_prefix("ForAnyValue:")
        .or_else(|| base.strip_prefix("ForAllValues:"))
        .unwrap_or(base);
    matches!(
        base,
        "StringEquals"
            | "StringNotEquals"
            | "StringEqualsIgnoreCase"
            | "StringNotEqualsIgnoreCase"
            | "StringLike"
            | "StringNotLike"
            | "IpAddress"
            | "NotIpAddress"
            | "Bool"
            | "Null"
            | "NumericEquals"
            | "NumericNotEquals"
            | "NumericLessThan"
            | "NumericLessThanEquals"
            | "NumericGreaterThan"
            | "NumericGreaterThanEquals"
            | "ArnEquals"
            | "ArnLike"
            | "ArnNotEquals"
            | "ArnNotLike"
    )
}

impl Statement {
    fn applies(
        &self,
        principal: Principal<'_>,
        action: &str,
        resource: &str,
        facts: &RequestFacts,
    ) -> bool {
        let named = match (&self.principals, principal) {
            (None, _) => true,
            (Some(names), Principal::User(ak)) => names.iter().any(|n| n.names(ak)),
            (Some(_), Principal::Anonymous) => false,
        };
        let action_hit = self.actions.iter().any(|a| glob(a, action, true));
        let resource_hit = self.resources.iter().any(|r| glob(r, resource, false));
        named != self.not_principal
            && action_hit != self.not_action
            && resource_hit != self.not_resource
            && self.conditions.iter().all(|c| c.holds(principal, facts))
    }
}

impl Condition {
    fn holds(&self, principal: Principal<'_>, facts: &RequestFacts) -> bool {
        let value = context_value(&self.key, principal, facts);
        let op = self
            .operator
            .strip_prefix("ForAnyValue:")
            .or_else(|| self.operator.strip_prefix("ForAllValues:"))
            .unwrap_or(&self.operator);
        let (op, if_exists) = match op.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (op, false),
        };
        if op == "Null" {
            // {"Null": {"key": "true"}}: the key is absent.
            let wants_absent = self.values.iter().any(|v| v == "true");
            return value.is_none() == wants_absent;
        }
        let Some(value) = value else {
            // A missing key: negated operators hold, the others do not (unless IfExists).
            return if_exists || op.contains("Not");
        };
        let any = |f: &dyn Fn(&str) -> bool| self.values.iter().any(|v| f(v));
        match op {
            "StringEquals" | "ArnEquals" => any(&|v| v == value),
            "StringNotEquals" | "ArnNotEquals" => !any(&|v| v == value),
            "StringEqualsIgnoreCase" => any(&|v| v.eq_ignore_ascii_case(&value)),
            "StringNotEqualsIgnoreCase" => !any(&|v| v.eq_ignore_ascii_case(&value)),
            "StringLike" | "ArnLike" => any(&|v| glob(v, &value, false)),
            "StringNotLike" | "ArnNotLike" => !any(&|v| glob(v, &value, false)),
            "Bool" => any(&|v| v.eq_ignore_ascii_case(&value)),
            "IpAddress" | "NotIpAddress" => {
                let ip: Option<IpAddr> = value.parse().ok();
                let inside = ip.is_some_and(|ip| {
                    self.values.iter().any(|v| {
                        v.parse::<ipnet::IpNet>()
                            .map(|net| net.contains(&ip))
                            .or_else(|_| v.parse::<IpAddr>().map(|one| one == ip))
                            .unwrap_or(false)
                    })
                });
                inside == (op == "IpAddress")
            }
            numeric => {
                let Ok(n) = value.parse::<f64>() else {
                    return false;
                };
                let cmp = |v: &str| v.parse::<f64>().ok().map(|v| (n, v));
                self.values
                    .iter()
                    .filter_map(|v| cmp(v))
                    .any(|(n, v)| match numeric {
                        "NumericEquals" => n == v,
                        "NumericNotEquals" => n != v,
                        "NumericLessThan" => n < v,
                        "NumericLessThanEquals" => n <= v,
                        "NumericGreaterThan" => n > v,
                        "NumericGreaterThanEquals" => n >= v,
                        _ => false,
                    })
            }
        }
    }
}

/// The request's value of a condition key, if it has one.
fn context_value(key: &str, principal: Principal<'_>, facts: &RequestFacts) -> Option<String> {
    match key.to_ascii_lowercase().as_str() {
        "aws:sourceip" => facts.source_ip.map(|ip| ip.to_string()),
        "aws:securetransport" => Some(facts.secure_transport.to_string()),
        "aws:referer" => facts.referer.clone(),
        "aws:useragent" => facts.user_agent.clone(),
        "aws:username" | "aws:userid" => match principal {
            Principal::User(ak) => Some(ak.to_owned()),
            Principal::Anonymous => None,
        },
        "aws:principaltype" => Some(
            match principal {
                Principal::User(_) => "User",
                Principal::Anonymous => "Anonymous",
            }
            .to_owned(),
        ),
        "s3:prefix" => facts.prefix.clone(),
        "s3:delimiter" => facts.delimiter.clone(),
        "s3:max-keys" => facts.max_keys.clone(),
        "s3:x-amz-acl" => facts.canned_acl.clone(),
        "s3:versionid" => facts.version_id.clone(),
        _ => None,
    }
}

/// IAM's wildcards: `*` any run, `?` one character.
pub fn glob(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let lower = |s: &str| {
        if case_insensitive {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let (p, t): (Vec<char>, Vec<char>) = (
        lower(pattern).chars().collect(),
        lower(text).chars().collect(),
    );
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests;
