//! The SigV4 canonical request (URI, query, headers) and the string to sign. Pure
//! functions; shared by request verification and the origin client's signer, so every
//! canonical request is built one way.

use http::request::Parts;
use http::HeaderMap;

use super::scheme::ALGORITHM;
use crate::auth::signing::sha256_hex;

/// `UriEncode()` of the AWS docs: every byte except the unreserved characters
/// `A-Za-z0-9-._~` becomes `%XX` (upper-case hex); `/` is kept when `keep_slash`.
fn uri_encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(s).collect()
}

/// The canonical URI of S3: the path is *not* normalised (no `.`/`..` or `//` removal); it is
/// percent-decoded once and each byte re-encoded, keeping `/`. So `%2F` in a key becomes `/`
/// (S3 encodes each path segment once, and its SDKs sign what they send).
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(raw_path.len() + 8);
    uri_encode(&percent_decode(raw_path.as_bytes()), true, &mut out);
    out
}

/// Splits a raw query string into decoded `(name, value)` pairs, in order. A valueless
/// parameter (`?acl`) has the value `""`. With `plus_as_space`, a raw `+` means a space
/// (form encoding); otherwise it is a literal plus.
pub(super) fn parse_query(raw_query: &str, plus_as_space: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    let decode = |s: &str| -> Vec<u8> {
        if plus_as_space && s.contains('+') {
            percent_decode(s.replace('+', " ").as_bytes())
        } else {
            percent_decode(s.as_bytes())
        }
    };
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// The canonical query string: names and values decoded then `UriEncode`d (`/` too, space as
/// `%20`), sorted by encoded name then value, `name=` for valueless parameters.
/// `X-Amz-Signature` is left out when `presigned`.
pub fn canonical_query(raw_query: &str, plus_as_space: bool, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = parse_query(raw_query, plus_as_space)
        .into_iter()
        .filter(|(name, _)| !(presigned && name == b"X-Amz-Signature"))
        .map(|(name, value)| {
            let mut n = String::new();
            uri_encode(&name, false, &mut n);
            let mut v = String::new();
            uri_encode(&value, false, &mut v);
            (n, v)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Trims a header value and collapses each inner run of spaces into one, as SigV4 requires.
pub fn normalize_header_value(value: &[u8], out: &mut Vec<u8>) {
    let trimmed = value.trim_ascii();
    let mut previous_space = false;
    for &b in trimmed {
        if b == b' ' {
            if !previous_space {
                out.push(b' ');
            }
            previous_space = true;
        } else {
            out.push(b);
            previous_space = false;
        }
    }
}

/// The canonical headers block of a received request (see [`canonical_headers_of`]). A signed
/// `host` missing from the header map (HTTP/2) is taken from the URI authority.
pub fn canonical_headers(parts: &Parts, signed: &[String]) -> Vec<u8> {
    let authority = parts.uri.authority().map(|a| a.as_str());
    canonical_headers_of(&parts.headers, authority, signed)
}

/// The canonical headers block: one `name:value\n` line per signed header, in the order of
/// `signed` (lower-case and sorted), repeated headers joined with `,`, values trimmed and
/// inner spaces collapsed. A signed `host` absent from `headers` is `authority`.
pub fn canonical_headers_of(
    headers: &HeaderMap,
    authority: Option<&str>,
    signed: &[impl AsRef<str>],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    for name in signed {
        let name = name.as_ref();
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut values = headers.get_all(name).iter().peekable();
        if values.peek().is_none() && name == "host" {
            if let Some(authority) = authority {
                normalize_header_value(authority.as_bytes(), &mut out);
            }
        }
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            normalize_header_value(value.as_bytes(), &mut out);
        }
        out.push(b'\n');
    }
    out
}

/// Method, canonical URI, canonical query, canonical headers, signed headers and payload
/// hash, each on its own line.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &[u8],
    signed_headers: &str,
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    for part in [method, canonical_uri, canonical_query] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(canonical_headers);
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// `AWS4-HMAC-SHA256\n<datetime>\n<scope>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{datetime}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

#[cfg(test)]
mod tests {
    use http::request::Parts;

    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).expect("request").into_parts().0
    }

    #[test]
    fn canonical_uri_encodes_each_byte_once() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/b/my%20key"), "/b/my%20key");
        assert_eq!(canonical_uri("/b/my key"), "/b/my%20key");
        assert_eq!(canonical_uri("/b/a+b"), "/b/a%2Bb");
        assert_eq!(canonical_uri("/b/a%2Bb"), "/b/a%2Bb");
        assert_eq!(canonical_uri("/b/100%25"), "/b/100%25");
        assert_eq!(canonical_uri("/b/~tilde-._"), "/b/~tilde-._");
        assert_eq!(canonical_uri("/b/%7Etilde"), "/b/~tilde");
        assert_eq!(
            canonical_uri("/b/caf%C3%A9/%E2%9C%93"),
            "/b/caf%C3%A9/%E2%9C%93"
        );
        assert_eq!(canonical_uri("/b/a%2Fb"), "/b/a/b");
        // No normalisation: S3 keys may contain these.
        assert_eq!(canonical_uri("/b//a/./../c/"), "/b//a/./../c/");
        assert_eq!(canonical_uri("/b/q%3F%23h"), "/b/q%3F%23h");
        assert_eq!(canonical_uri("/b/(x)!*'"), "/b/%28x%29%21%2A%27");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query("", true, false), "");
        assert_eq!(canonical_query("acl", true, false), "acl=");
        assert_eq!(
            canonical_query("uploads=&b=2&a=1", true, false),
            "a=1&b=2&uploads="
        );
        assert_eq!(canonical_query("k=b&k=a&k=", true, false), "k=&k=a&k=b");
        assert_eq!(
            canonical_query("prefix=a%2Fb&delimiter=/", true, false),
            "delimiter=%2F&prefix=a%2Fb"
        );
        assert_eq!(canonical_query("p=a b", true, false), "p=a%20b");
        assert_eq!(canonical_query("p=a+b", true, false), "p=a%20b");
        assert_eq!(canonical_query("p=a+b", false, false), "p=a%2Bb");
        assert_eq!(canonical_query("p=%7e~%41", true, false), "p=~~A");
        assert_eq!(canonical_query("p=%C3%A9", true, false), "p=%C3%A9");
        assert_eq!(canonical_query("a=1&&b=2&", true, false), "a=1&b=2");
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", true, true),
            "X-Amz-Date=1"
        );
        // Upper-case names sort before lower-case ones (byte order, as AWS).
        assert_eq!(canonical_query("b=1&B=2&a=3", true, false), "B=2&a=3&b=1");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut out = Vec::new();
        normalize_header_value(b"  a   b  c \t", &mut out);
        assert_eq!(out, b"a b c");
        let request = parts(
            "GET",
            "/",
            &[
                ("host", "h:9000"),
                ("x-amz-meta-a", " one "),
                ("x-amz-meta-a", "two   words"),
            ],
        );
        let block = canonical_headers(&request, &["host".to_owned(), "x-amz-meta-a".to_owned()]);
        assert_eq!(block, b"host:h:9000\nx-amz-meta-a:one,two words\n");
    }

    #[test]
    fn host_comes_from_the_authority_without_a_header() {
        let request = parts("GET", "http://h.example:9000/b/k", &[]);
        assert_eq!(
            canonical_headers(&request, &["host".to_owned()]),
            b"host:h.example:9000\n"
        );
    }
}
