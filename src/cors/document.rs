//! The `CORSConfiguration` document: parsing it and AWS's validation of it (into [`Cors`]),
//! each refusal with the error AWS sends; its stored form.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html>

use super::rules::{Cors, CorsRule, Pattern};
use super::wire::{CorsConfiguration, CorsRuleWire};
use crate::error::{S3Error, S3ErrorCode};
use crate::xml;

const MAX_RULES: usize = 100;
const MAX_ID_CHARS: usize = 255;
/// The methods a rule may allow.
const METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// Parse and validate a PutBucketCors body.
pub fn parse(body: &[u8]) -> Result<Cors, S3Error> {
    let document: CorsConfiguration = xml::from_xml_document(body, "CORSConfiguration")?;
    validate(document)
}

/// AWS's checks, in its order: at least one and at most 100 rules, each with a method and
/// an origin; only the five methods; at most one `*` in an origin or an allowed header.
pub fn validate(document: CorsConfiguration) -> Result<Cors, S3Error> {
    if document.rules.is_empty() || document.rules.len() > MAX_RULES {
        return Err(S3Error::malformed_xml(format!(
            "a CORS configuration has 1 to {MAX_RULES} rules"
        )));
    }
    let rules = document
        .rules
        .iter()
        .map(validate_rule)
        .collect::<Result<_, _>>()?;
    Ok(Cors { document, rules })
}

fn validate_rule(wire: &CorsRuleWire) -> Result<CorsRule, S3Error> {
    if wire
        .id
        .as_ref()
        .is_some_and(|id| id.chars().count() > MAX_ID_CHARS)
    {
        return Err(S3Error::invalid_argument(
            "The ID of a CORS rule is at most 255 characters long",
        ));
    }
    if wire.allowed_methods.is_empty() || wire.allowed_origins.is_empty() {
        return Err(S3Error::malformed_xml(
            "a CORSRule needs an AllowedMethod and an AllowedOrigin",
        ));
    }
    let mut methods = Vec::new();
    for method in &wire.allowed_methods {
        if !METHODS.contains(&method.as_str()) {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                format!(
                    "Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                ),
            ));
        }
        methods.push(method.clone());
    }
    let origins = wire
        .allowed_origins
        .iter()
        .map(|o| pattern("AllowedOrigin", o, false))
        .collect::<Result<_, _>>()?;
    let headers = wire
        .allowed_headers
        .iter()
        .map(|h| pattern("AllowedHeader", h, true))
        .collect::<Result<_, _>>()?;
    Ok(CorsRule {
        methods,
        origins,
        headers,
        expose_headers: wire.expose_headers.clone(),
        max_age_seconds: wire.max_age_seconds,
    })
}

fn pattern(what: &str, text: &str, case_insensitive: bool) -> Result<Pattern, S3Error> {
    Pattern::new(text, case_insensitive).ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::InvalidRequest,
            format!("{what} \"{text}\" can not have more than one wildcard."),
        )
    })
}

impl crate::bucket_setting::SettingDocument for Cors {
    const SETTING: &'static str = "cors";

    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        parse(stored).map_err(|e| e.message)
    }

    fn to_stored(&self) -> Vec<u8> {
        xml::to_xml(&self.document).into_bytes()
    }
}
