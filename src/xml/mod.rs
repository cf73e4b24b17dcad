//! The S3 XML documents the handlers share, as serde structs (quick-xml) in `documents.rs`,
//! each with a golden-string test (`tests.rs`): clients depend on exact element names. Here:
//! serialisation (the declaration, the S3 namespace) and parsing. A document that belongs to
//! one setting lives with it: CORS in `cors/wire.rs`, lifecycle in `lifecycle/document.rs`,
//! the origin in `origin/document/wire.rs`, backfill in `origin/backfill/document.rs`.
//! Request bodies are parsed under a size cap by the caller; a document that does not parse,
//! or holds a character XML 1.0 forbids, is an [`XmlError`] (MalformedXML to the client);
//! answers write such characters as references (`characters.rs`).
//!
//! Element names and order follow the AWS API reference for each action. Structs use
//! `rename_all = "PascalCase"`; fields whose AWS name is not the PascalCase of the field
//! (`ETag`, `ID`, `ChecksumCRC32`, repeated singular elements) are renamed one by one.

use serde::{Deserialize, Serialize};

mod characters;
mod documents;
pub use characters::check_characters;
#[cfg(test)]
mod tests;

pub use documents::{
    AccessControlList, AccessControlPolicy, AccessControlPolicyRequest, BucketEntry, Buckets,
    CreateBucketConfiguration, Grant, Grantee, ListAllMyBucketsResult, LocationConstraint, Owner,
    PolicyStatus, PostResponse, Tag, TagSet, Tagging, VersioningConfiguration,
    VersioningConfigurationRequest, XSI_NS,
};
pub use documents::{
    AttributesChecksum, CopyObjectResult, CopyPartResult, Delete, DeleteError, DeleteResult,
    DeletedEntry, GetObjectAttributesResponse, ObjectIdentifier, ObjectPart, ObjectParts,
};
pub use documents::{
    Checksum, CompleteMultipartUpload, CompleteMultipartUploadResult, CompletePart,
    InitiateMultipartUploadResult, ListMultipartUploadsResult, ListPartsResult, PartEntry,
    UploadEntry,
};
pub use documents::{
    CommonPrefix, DeleteMarkerEntry, ListBucketResult, ListEntry, ListVersionsResult, VersionEntry,
    VersionListEntry,
};

/// A request document that is not well-formed or does not fit its schema.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Serialise a response document with the XML declaration S3 sends and the S3 namespace
/// on its root element (so no document struct carries it).
pub fn to_xml<T: Serialize>(value: &T) -> String {
    serialise(value, Some(S3_NS), None)
}

/// [`to_xml`] for a document serde sees as a map (one with a flattened field, such as
/// [`CompleteMultipartUploadResult`]), whose root element must be named here.
pub fn to_xml_with_root<T: Serialize>(root: &str, value: &T) -> String {
    serialise(value, Some(S3_NS), Some(root))
}

/// Serialise a document whose root has no namespace (`<Error>`, as AWS sends it).
pub fn to_xml_without_namespace<T: Serialize>(value: &T) -> String {
    serialise(value, None, None)
}

fn serialise<T: Serialize>(value: &T, namespace: Option<&str>, root: Option<&str>) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // Serialising our own plain structs into a String cannot fail: no maps with non-string
    // keys, no unsupported types. Fall back to an empty document rather than panic.
    let body = match root {
        Some(root) => quick_xml::se::to_string_with_root(root, value),
        None => quick_xml::se::to_string(value),
    };
    let mut body = match body {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "xml serialisation failed");
            return out;
        }
    };
    // The root's name ends at the first space, `>` or `/` after its `<`.
    if let (Some(ns), Some(end)) = (
        namespace,
        body.get(1..).and_then(|b| b.find([' ', '>', '/'])),
    ) {
        body.insert_str(end + 1, &format!(" xmlns=\"{ns}\""));
    }
    out.push_str(&characters::escape_forbidden(body));
    out
}

/// No request document S3 defines nests deeper than this; a deeper one is refused before
/// it is deserialised (unknown elements would otherwise be skipped silently, however many).
pub const MAX_DEPTH: usize = 32;

/// Parse a request document.
pub fn from_xml<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| XmlError("not UTF-8".into()))?;
    check_characters(text)?;
    check_depth(body)?;
    quick_xml::de::from_str(text).map_err(|e| XmlError(e.to_string()))
}

/// Refuse a document whose elements nest deeper than [`MAX_DEPTH`].
pub fn check_depth(body: &[u8]) -> Result<(), XmlError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(XmlError(format!(
                        "elements nest deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(XmlError(e.to_string())),
        }
    }
}

/// [`from_xml`] of a document whose root element must be `root` (quick-xml's serde reads
/// any root, so `<Other><Status>..` would otherwise pass for a `root` document).
pub fn from_xml_document<'de, T: Deserialize<'de>>(
    body: &'de [u8],
    root: &str,
) -> Result<T, XmlError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let found = loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                break e.local_name().as_ref().to_owned();
            }
            Ok(quick_xml::events::Event::Eof) => return Err(XmlError("no root element".into())),
            Ok(_) => {}
            Err(e) => return Err(XmlError(e.to_string())),
        }
    };
    if found != root {
        return Err(XmlError(format!("expected a {root} document, not {found}")));
    }
    from_xml(body)
}

/// S3's timestamp format in XML: `2009-10-12T17:50:30.000Z`.
pub fn timestamp(t: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// An `<Error>` document another S3 server sent: its code and message.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorDocument {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl ErrorDocument {
    /// The document, if `body` is an `<Error>` document.
    pub fn parse(body: &[u8]) -> Option<ErrorDocument> {
        from_xml_document(body, "Error").ok()
    }
}

/// The `<Error>` body of every error response.
#[derive(Serialize)]
#[serde(rename = "Error", rename_all = "PascalCase")]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
    pub resource: &'a str,
    pub request_id: &'a str,
}
