//! Helpers shared by the crate's unit tests.

use http::HeaderMap;

/// A header map of `(name, value)` pairs (a repeated name keeps its last value).
pub fn headers(list: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in list {
        map.insert(
            http::HeaderName::from_bytes(n.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    map
}
