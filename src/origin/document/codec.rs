//! Parse and serialise: a body is read by quick-xml + serde into the `Wire*` structs
//! ([`super::wire`]), then validated into the domain types ([`super::validate`]); a
//! configuration is written back through the same wire structs.

use super::model::{ConfigError, OriginConfiguration, MAX_CONFIG_BYTES};
use super::validate;
use super::wire::WireConfiguration;

/// Parses and validates an `OriginConfiguration` body.
pub fn parse(xml: &[u8]) -> Result<OriginConfiguration, ConfigError> {
    if xml.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::invalid(format!(
            "OriginConfiguration: the document is {} bytes, over the {} byte limit",
            xml.len(),
            MAX_CONFIG_BYTES
        )));
    }
    let text = std::str::from_utf8(xml)
        .map_err(|_| ConfigError::malformed("OriginConfiguration: the document is not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_root(text)?;
    crate::xml::check_characters(text)
        .map_err(|e| ConfigError::malformed(format!("OriginConfiguration: {e}")))?;
    crate::xml::check_depth(text.as_bytes())
        .map_err(|e| ConfigError::malformed(format!("OriginConfiguration: {e}")))?;
    let wire: WireConfiguration = quick_xml::de::from_str(text).map_err(|e| {
        ConfigError::malformed(format!("OriginConfiguration: not a valid document: {e}"))
    })?;
    validate::validate(wire)
}

/// quick-xml's deserializer does not look at the root's name; a body for another
/// subresource must not be taken for an empty origin configuration.
fn check_root(text: &str) -> Result<(), ConfigError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let local = e.local_name();
                let name: &str = local.into_inner();
                return if name == "OriginConfiguration" {
                    Ok(())
                } else {
                    Err(ConfigError::malformed(format!(
                        "OriginConfiguration: the root element is <{name}>, expected <OriginConfiguration>"
                    )))
                };
            }
            Ok(Event::Eof) => {
                return Err(ConfigError::malformed(
                    "OriginConfiguration: the document is empty",
                ))
            }
            Ok(_) => continue,
            Err(e) => {
                return Err(ConfigError::malformed(format!(
                    "OriginConfiguration: not well-formed XML: {e}"
                )))
            }
        }
    }
}

impl OriginConfiguration {
    /// The configuration as an `OriginConfiguration` document (with an XML declaration),
    /// normalised: rules in priority order, defaults written out, the modern
    /// `ForbidFollowHttpHeaders` spelling. With `redact_secrets`, every `SecretKey` is
    /// [`super::REDACTED_SECRET`] (for GET); without, the result is what the metadata store keeps.
    pub fn to_xml(&self, redact_secrets: bool) -> String {
        let wire = WireConfiguration::from_domain(self, redact_secrets);
        // Serialising plain structs of strings into a String cannot fail; fall back to an
        // empty document rather than panic should quick-xml ever disagree.
        let body = quick_xml::se::to_string_with_root("OriginConfiguration", &wire)
            .unwrap_or_else(|_| "<OriginConfiguration/>".to_string());
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{body}")
    }
}
