//! A user-metadata value (`x-amz-meta-*`) as the bytes the client sent. HTTP header values
//! are bytes, not text: Python's HTTP client sends `é` as the single byte 0xE9, and must get
//! that byte back, so no decoding or re-encoding happens between the request and the
//! answer. Encoded like a string (postcard writes both as a length and the bytes), so
//! records written when values were strings read unchanged.

use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetadataValue(Vec<u8>);

impl MetadataValue {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value as text, when it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for MetadataValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl From<Vec<u8>> for MetadataValue {
    fn from(bytes: Vec<u8>) -> Self {
        MetadataValue(bytes)
    }
}

impl From<&[u8]> for MetadataValue {
    fn from(bytes: &[u8]) -> Self {
        MetadataValue(bytes.to_vec())
    }
}

impl From<String> for MetadataValue {
    fn from(text: String) -> Self {
        MetadataValue(text.into_bytes())
    }
}

impl From<&str> for MetadataValue {
    fn from(text: &str) -> Self {
        MetadataValue(text.as_bytes().to_vec())
    }
}

impl serde::Serialize for MetadataValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for MetadataValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = MetadataValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the bytes of a metadata value")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<MetadataValue, E> {
                Ok(v.into())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<MetadataValue, E> {
                Ok(v.into())
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MetadataValue, E> {
                Ok(v.into())
            }
        }
        deserializer.deserialize_bytes(Bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::MetadataValue;

    #[test]
    fn encodes_as_a_string_did() {
        let as_string = postcard::to_stdvec("Hello World\u{e9}").unwrap();
        let value = MetadataValue::from("Hello World\u{e9}");
        assert_eq!(postcard::to_stdvec(&value).unwrap(), as_string);
        let read: MetadataValue = postcard::from_bytes(&as_string).unwrap();
        assert_eq!(read, value);
        let latin1 = MetadataValue::from(b"Hello World\xe9".to_vec());
        let read: MetadataValue =
            postcard::from_bytes(&postcard::to_stdvec(&latin1).unwrap()).unwrap();
        assert_eq!(read.as_bytes(), b"Hello World\xe9");
        assert_eq!(read.as_str(), None);
    }
}
