//! Wire structs: the document as quick-xml sees it. Every leaf is a string; validation
//! (`validate.rs`) decides what it means. Unknown elements are ignored (serde's default), so
//! documents from newer COS tools still parse. Also domain -> wire, for serialisation.

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{
    FileInfo, HostInfo, OriginConfiguration, OriginRule, AWS4_HMAC_SHA256, REDACTED_SECRET,
};
use std::fmt;

#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct WireConfiguration {
    #[serde(rename = "OriginRule", default)]
    pub(super) rules: Vec<WireRule>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) rule_priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) origin_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) origin_condition: Option<WireCondition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) origin_parameter: Option<WireParameter>,
    #[serde(rename = "HTTPStandbyCode", skip_serializing_if = "Option::is_none")]
    pub(super) http_standby_code: Option<WireStandbyCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) origin_info: Option<WireOriginInfo>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireCondition {
    #[serde(rename = "HTTPStatusCode", skip_serializing_if = "Option::is_none")]
    pub(super) http_status_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) suffix: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireParameter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) transparent_error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) follow_query_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) http_header: Option<WireHttpHeader>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) follow_redirection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) http_redirect_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) copy_origin_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) freshness: Option<WireFreshness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) list_through: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) write_through: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) throttle: Option<WireThrottle>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireThrottle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) requests_per_second: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) concurrency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) bytes_per_second: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireFreshness {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_age_seconds: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) use_origin_cache_control: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stale_while_revalidate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stale_if_error_seconds: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) on_origin_delete: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireHttpHeader {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) follow_all_headers: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) follow_http_headers: Option<WireHeaderList>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) forbid_follow_http_headers: Option<WireHeaderList>,
    /// The older spelling; accepted, never written.
    #[serde(skip_serializing)]
    pub(super) forbid_follow_headers: Option<WireHeaderList>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) new_http_headers: Option<WireHeaderList>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireHeaderList {
    #[serde(default)]
    pub(super) header: Vec<WireHeader>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireHeader {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireStandbyCode {
    #[serde(default)]
    pub(super) status_code: Vec<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireOriginInfo {
    #[serde(default)]
    pub(super) host_info: Vec<WireHostInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) file_info: Option<WireFileInfo>,
}

/// `HostInfo` has element names serde cannot list statically (`StandbyHostName_N`), so it is
/// read and written as a map of child elements.
#[derive(Debug, Default)]
pub(super) struct WireHostInfo {
    pub(super) host_name: Option<String>,
    pub(super) weight: Option<String>,
    pub(super) private_host: Option<WirePrivateHost>,
    /// (element name, value) for every child whose name starts with `StandbyHostName_`.
    pub(super) standby: Vec<(String, String)>,
}

impl<'de> Deserialize<'de> for WireHostInfo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HostInfoVisitor;
        impl<'de> Visitor<'de> for HostInfoVisitor {
            type Value = WireHostInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a HostInfo element")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<WireHostInfo, M::Error> {
                use serde::de::Error;
                let mut out = WireHostInfo::default();
                while let Some(name) = map.next_key::<String>()? {
                    match name.as_str() {
                        "HostName" if out.host_name.is_some() => {
                            return Err(M::Error::duplicate_field("HostName"))
                        }
                        "HostName" => out.host_name = Some(map.next_value()?),
                        "Weight" if out.weight.is_some() => {
                            return Err(M::Error::duplicate_field("Weight"))
                        }
                        "Weight" => out.weight = Some(map.next_value()?),
                        "PrivateHost" if out.private_host.is_some() => {
                            return Err(M::Error::duplicate_field("PrivateHost"))
                        }
                        "PrivateHost" => out.private_host = Some(map.next_value()?),
                        n if n.starts_with("StandbyHostName_") => {
                            let value: String = map.next_value()?;
                            out.standby.push((name, value));
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(HostInfoVisitor)
    }
}

impl Serialize for WireHostInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Element order as the COS Go SDK writes it.
        let mut map = serializer.serialize_map(None)?;
        if let Some(h) = &self.host_name {
            map.serialize_entry("HostName", h)?;
        }
        if let Some(w) = &self.weight {
            map.serialize_entry("Weight", w)?;
        }
        if let Some(p) = &self.private_host {
            map.serialize_entry("PrivateHost", p)?;
        }
        for (name, value) in &self.standby {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WirePrivateHost {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) credential_provider: Option<WireCredentialProvider>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireCredentialProvider {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) authorization_algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) secret_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) secret_key: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireFileInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) prefix_directive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) suffix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) prefix_configuration: Option<WirePrefixConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) suffix_configuration: Option<WireSuffixConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) fixed_file_configuration: Option<WireFixedFileConfiguration>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WirePrefixConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) replaced_with_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireSuffixConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) suffix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) replaced_with_suffix: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireFixedFileConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) fixed_file_path: Option<String>,
}

// Domain -> wire

fn bool_text(b: bool) -> Option<String> {
    Some(if b { "true" } else { "false" }.to_string())
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl WireConfiguration {
    pub(super) fn from_domain(c: &OriginConfiguration, redact: bool) -> Self {
        WireConfiguration {
            rules: c
                .rules
                .iter()
                .map(|r| WireRule::from_domain(r, redact))
                .collect(),
        }
    }
}

impl WireRule {
    pub(super) fn from_domain(r: &OriginRule, redact: bool) -> Self {
        let p = &r.parameter;
        let h = &p.http_header;
        let key_list = |keys: &[String]| {
            (!keys.is_empty()).then(|| WireHeaderList {
                header: keys
                    .iter()
                    .map(|k| WireHeader {
                        key: Some(k.clone()),
                        value: None,
                    })
                    .collect(),
            })
        };
        WireRule {
            rule_priority: Some(r.priority.to_string()),
            origin_type: Some(r.origin_type.as_str().to_string()),
            origin_condition: Some(WireCondition {
                http_status_code: Some(r.condition.http_status_code.to_string()),
                prefix: non_empty(&r.condition.prefix),
                suffix: non_empty(&r.condition.suffix),
            }),
            origin_parameter: Some(WireParameter {
                protocol: Some(p.protocol.as_str().to_string()),
                transparent_error_code: bool_text(p.transparent_error_code),
                follow_query_string: bool_text(p.follow_query_string),
                http_header: Some(WireHttpHeader {
                    follow_all_headers: bool_text(h.follow_all_headers),
                    follow_http_headers: key_list(&h.follow),
                    forbid_follow_http_headers: key_list(&h.forbid),
                    forbid_follow_headers: None,
                    new_http_headers: (!h.new_headers.is_empty()).then(|| WireHeaderList {
                        header: h
                            .new_headers
                            .iter()
                            .map(|n| WireHeader {
                                key: Some(n.key.clone()),
                                value: Some(n.value.clone()),
                            })
                            .collect(),
                    }),
                }),
                follow_redirection: bool_text(p.follow_redirection),
                http_redirect_code: Some(p.http_redirect_code.to_string()),
                copy_origin_data: bool_text(p.copy_origin_data),
                freshness: p.freshness.as_ref().map(|f| WireFreshness {
                    max_age_seconds: f.max_age_secs.map(|s| s.to_string()),
                    use_origin_cache_control: bool_text(f.use_origin_cache_control),
                    stale_while_revalidate: bool_text(f.stale_while_revalidate),
                    stale_if_error_seconds: f.stale_if_error_secs.map(|s| s.to_string()),
                    on_origin_delete: Some(
                        match f.on_origin_delete {
                            super::OnOriginDelete::Keep => "Keep",
                            super::OnOriginDelete::Delete => "Delete",
                        }
                        .to_owned(),
                    ),
                }),
                list_through: p.list_through.then(|| "true".to_owned()),
                write_through: p.write_through.then(|| "true".to_owned()),
                throttle: (p.throttle != super::Throttle::default()).then(|| WireThrottle {
                    requests_per_second: p.throttle.requests_per_second.map(|n| n.to_string()),
                    concurrency: p.throttle.concurrency.map(|n| n.to_string()),
                    bytes_per_second: p.throttle.bytes_per_second.map(|n| n.to_string()),
                }),
            }),
            http_standby_code: (!r.standby_status_codes.is_empty()).then(|| WireStandbyCode {
                status_code: r.standby_status_codes.iter().map(u16::to_string).collect(),
            }),
            origin_info: Some(WireOriginInfo {
                host_info: r
                    .hosts
                    .iter()
                    .map(|h| WireHostInfo::from_domain(h, redact))
                    .collect(),
                file_info: WireFileInfo::from_domain(&r.file_info),
            }),
        }
    }
}

impl WireHostInfo {
    pub(super) fn from_domain(h: &HostInfo, redact: bool) -> Self {
        WireHostInfo {
            host_name: h.host_name.clone(),
            weight: h.weight.map(|w| w.to_string()),
            private_host: h.private_host.as_ref().map(|p| WirePrivateHost {
                host: Some(p.host.clone()),
                credential_provider: Some(WireCredentialProvider {
                    authorization_algorithm: Some(AWS4_HMAC_SHA256.to_string()),
                    region: Some(p.credentials.region.clone()),
                    secret_id: Some(p.credentials.secret_id.clone()),
                    secret_key: Some(if redact {
                        REDACTED_SECRET.to_string()
                    } else {
                        p.credentials.secret_key.clone()
                    }),
                }),
            }),
            standby: h
                .standby
                .iter()
                .map(|s| (format!("StandbyHostName_{}", s.index), s.host_name.clone()))
                .collect(),
        }
    }
}

impl WireFileInfo {
    pub(super) fn from_domain(f: &FileInfo) -> Option<Self> {
        if f == &FileInfo::default() {
            return None;
        }
        Some(WireFileInfo {
            prefix_directive: f.legacy.as_ref().and_then(|l| bool_text(l.enabled)),
            prefix: f.legacy.as_ref().and_then(|l| non_empty(&l.prefix)),
            suffix: f.legacy.as_ref().and_then(|l| non_empty(&l.suffix)),
            prefix_configuration: f.prefix.as_ref().map(|p| WirePrefixConfiguration {
                prefix: Some(p.prefix.clone()),
                replaced_with_prefix: p.replaced_with.clone(),
            }),
            suffix_configuration: f.suffix.as_ref().map(|s| WireSuffixConfiguration {
                suffix: Some(s.suffix.clone()),
                replaced_with_suffix: s.replaced_with.clone(),
            }),
            fixed_file_configuration: f.fixed_file_path.as_ref().map(|p| {
                WireFixedFileConfiguration {
                    fixed_file_path: Some(p.clone()),
                }
            }),
        })
    }
}
