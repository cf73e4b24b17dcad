//! A bucket's `NotificationConfiguration` (Put/GetBucketNotificationConfiguration), stored
//! as the bucket setting `notification` (shared by every node in cluster mode), validated
//! as AWS validates it:
//!
//! - every destination names a target of the server's `[notify]` section by its ARN
//!   (`arn:originstore:sqs::<id>:<kind>`; a `Queue`, `Topic` or `CloudFunction` element may
//!   name any of them): otherwise `InvalidArgument` "Unable to validate the following
//!   destination configurations";
//! - events are S3's event types (plus originstore's `s3:ObjectCreated:Origin`);
//! - a filter has at most one `prefix` and one `suffix` rule;
//! - two configurations that share an event type must not overlap in keys (their prefixes
//!   and their suffixes each nest): "Configurations overlap. Configurations on the same
//!   bucket cannot share a common event type."
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html>

use serde::{Deserialize, Serialize};

use crate::bucket_setting::SettingDocument;
use crate::error::S3Error;
use crate::xml;

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
#[serde(rename = "NotificationConfiguration", rename_all = "PascalCase")]
pub struct NotificationConfiguration {
    #[serde(rename = "TopicConfiguration", default)]
    pub topics: Vec<Destination>,
    #[serde(rename = "QueueConfiguration", default)]
    pub queues: Vec<Destination>,
    #[serde(rename = "CloudFunctionConfiguration", default)]
    pub functions: Vec<Destination>,
}

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Destination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_function: Option<String>,
    #[serde(rename = "Event", default)]
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
}

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    #[serde(rename = "S3Key")]
    pub s3_key: KeyFilter,
}

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
pub struct KeyFilter {
    #[serde(rename = "FilterRule", default)]
    pub rules: Vec<FilterRule>,
}

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct FilterRule {
    pub name: String,
    pub value: String,
}

/// The event types a configuration may name (AWS's, and `s3:ObjectCreated:Origin`).
const EVENT_TYPES: &[&str] = &[
    "s3:TestEvent",
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectCreated:Origin",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
];

/// Does the configured event type `pattern` (`s3:ObjectCreated:*` or exact) cover `event`
/// (`s3:ObjectCreated:Put`)?
pub fn covers(pattern: &str, event: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(family) => event.starts_with(family),
        None => pattern == event,
    }
}

fn overlap_events(a: &[String], b: &[String]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| covers(x, y) || covers(y, x)))
}

impl Destination {
    /// The ARN this configuration sends to.
    pub fn arn(&self) -> &str {
        self.queue
            .as_deref()
            .or(self.topic.as_deref())
            .or(self.cloud_function.as_deref())
            .unwrap_or_default()
    }

    fn rule(&self, name: &str) -> &str {
        self.filter
            .as_ref()
            .and_then(|f| {
                f.s3_key
                    .rules
                    .iter()
                    .find(|r| r.name.eq_ignore_ascii_case(name))
            })
            .map_or("", |r| r.value.as_str())
    }

    pub fn prefix(&self) -> &str {
        self.rule("prefix")
    }

    pub fn suffix(&self) -> &str {
        self.rule("suffix")
    }

    /// Is `key`'s event `event` one this configuration sends?
    pub fn wants(&self, event: &str, key: &str) -> bool {
        self.events.iter().any(|p| covers(p, event))
            && key.starts_with(self.prefix())
            && key.ends_with(self.suffix())
    }
}

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::invalid_argument(message.into())
}

impl NotificationConfiguration {
    /// Every configuration, whatever its element.
    pub fn destinations(&self) -> impl Iterator<Item = &Destination> {
        self.topics
            .iter()
            .chain(&self.queues)
            .chain(&self.functions)
    }

    /// Parse and validate a PutBucketNotificationConfiguration body against the targets'
    /// ARNs (`known`); a configuration without an Id gets one.
    pub fn parse(body: &[u8], known: &dyn Fn(&str) -> bool) -> Result<Self, S3Error> {
        let mut doc: NotificationConfiguration =
            xml::from_xml_document(body, "NotificationConfiguration")
                .map_err(|e| S3Error::malformed_xml(e.to_string()))?;
        for (n, d) in doc
            .topics
            .iter_mut()
            .chain(doc.queues.iter_mut())
            .chain(doc.functions.iter_mut())
            .enumerate()
        {
            let arns = [&d.topic, &d.queue, &d.cloud_function]
                .iter()
                .filter(|a| a.is_some())
                .count();
            if arns != 1 {
                return Err(S3Error::malformed_xml(
                    "each configuration names exactly one destination ARN",
                ));
            }
            if !known(d.arn()) {
                return Err(invalid(format!(
                    "Unable to validate the following destination configurations: {} (not a target of this server's [notify] section)",
                    d.arn()
                )));
            }
            if d.events.is_empty() {
                return Err(S3Error::malformed_xml("a configuration needs an Event"));
            }
            if let Some(bad) = d.events.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
                return Err(invalid(format!(
                    "The event is not supported for notifications: {bad}"
                )));
            }
            if let Some(filter) = &d.filter {
                let mut names: Vec<String> = filter
                    .s3_key
                    .rules
                    .iter()
                    .map(|r| r.name.to_ascii_lowercase())
                    .collect();
                if names.iter().any(|n| n != "prefix" && n != "suffix") {
                    return Err(invalid("filter rule name must be either prefix or suffix"));
                }
                names.sort();
                names.dedup();
                if names.len() != filter.s3_key.rules.len() {
                    return Err(invalid(
                        "Cannot specify more than one prefix rule or more than one suffix rule in a filter.",
                    ));
                }
            }
            if d.id.as_deref().is_none_or(str::is_empty) {
                d.id = Some(format!("notification-{}", n + 1));
            }
        }
        let all: Vec<&Destination> = doc.destinations().collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                let prefixes =
                    a.prefix().starts_with(b.prefix()) || b.prefix().starts_with(a.prefix());
                let suffixes = a.suffix().ends_with(b.suffix()) || b.suffix().ends_with(a.suffix());
                if overlap_events(&a.events, &b.events) && prefixes && suffixes {
                    return Err(invalid(
                        "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                    ));
                }
            }
        }
        Ok(doc)
    }
}

impl SettingDocument for NotificationConfiguration {
    const SETTING: &'static str = "notification";

    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        xml::from_xml_document(stored, "NotificationConfiguration").map_err(|e| e.to_string())
    }

    fn to_stored(&self) -> Vec<u8> {
        xml::to_xml(self).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:originstore:sqs::hooks:webhook";

    fn parse(body: &str) -> Result<NotificationConfiguration, S3Error> {
        NotificationConfiguration::parse(body.as_bytes(), &|arn| arn == ARN)
    }

    fn queue(events: &str, prefix: &str, suffix: &str) -> String {
        format!(
            "<QueueConfiguration><Queue>{ARN}</Queue>{events}<Filter><S3Key>\
             <FilterRule><Name>prefix</Name><Value>{prefix}</Value></FilterRule>\
             <FilterRule><Name>Suffix</Name><Value>{suffix}</Value></FilterRule></S3Key></Filter></QueueConfiguration>"
        )
    }

    #[test]
    fn a_configuration_parses_gets_an_id_and_matches_keys() {
        let doc = parse(&format!(
            "<NotificationConfiguration>{}</NotificationConfiguration>",
            queue("<Event>s3:ObjectCreated:*</Event>", "images/", ".jpg")
        ))
        .expect("valid");
        let d = &doc.queues[0];
        assert_eq!(d.id.as_deref(), Some("notification-1"));
        assert!(d.wants("s3:ObjectCreated:Put", "images/a.jpg"));
        assert!(!d.wants("s3:ObjectCreated:Put", "images/a.png"));
        assert!(!d.wants("s3:ObjectRemoved:Delete", "images/a.jpg"));
        let stored = NotificationConfiguration::parse_stored(&doc.to_stored()).expect("stored");
        assert_eq!(stored, doc, "round trip");
        assert!(parse("<NotificationConfiguration/>")
            .expect("empty")
            .destinations()
            .next()
            .is_none());
    }

    #[test]
    fn what_aws_refuses_is_refused() {
        let unknown = "<NotificationConfiguration><QueueConfiguration><Queue>arn:originstore:sqs::nope:webhook</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>";
        assert!(parse(unknown)
            .expect_err("unknown arn")
            .message
            .contains("Unable to validate"));
        let bad_event = format!(
            "<NotificationConfiguration>{}</NotificationConfiguration>",
            queue("<Event>s3:ObjectCreated:Nope</Event>", "", "")
        );
        assert!(parse(&bad_event).is_err());
        let overlapping = format!(
            "<NotificationConfiguration>{}{}</NotificationConfiguration>",
            queue("<Event>s3:ObjectCreated:*</Event>", "a/", ""),
            queue("<Event>s3:ObjectCreated:Put</Event>", "a/b/", "")
        );
        assert!(parse(&overlapping)
            .expect_err("overlap")
            .message
            .contains("overlap"));
        let apart = format!(
            "<NotificationConfiguration>{}{}</NotificationConfiguration>",
            queue("<Event>s3:ObjectCreated:*</Event>", "a/", ""),
            queue("<Event>s3:ObjectCreated:Put</Event>", "b/", "")
        );
        assert!(
            parse(&apart).is_ok(),
            "disjoint prefixes may share an event type"
        );
        let two_prefixes = format!(
            "<NotificationConfiguration><QueueConfiguration><Queue>{ARN}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule><FilterRule><Name>prefix</Name><Value>b</Value></FilterRule></S3Key></Filter></QueueConfiguration></NotificationConfiguration>"
        );
        assert!(parse(&two_prefixes).is_err());
    }
}
