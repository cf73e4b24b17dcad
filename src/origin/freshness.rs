//! When a copy filled from the origin is stale, by the rule's `Freshness` and what the origin
//! said of it (`Cache-Control`, `Expires`), and what the origin's answer to a revalidation
//! means. Pure functions; the engine acts on them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use storage::{ObjectMeta, OriginStamp};

use super::document::Freshness;

/// How long the origin's headers say a response stays fresh: `Cache-Control` `s-maxage` or
/// `max-age` (0 for `no-cache` / `no-store`), else `Expires` against `Date` (or now).
pub fn origin_max_age(headers: &HeaderMap) -> Option<u64> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(cc) = text("cache-control") {
        let mut max_age = None;
        let mut shared = None;
        for directive in cc.split(',').map(|d| d.trim().to_ascii_lowercase()) {
            if directive == "no-cache" || directive == "no-store" {
                return Some(0);
            }
            let seconds = |prefix: &str| {
                directive
                    .strip_prefix(prefix)
                    .and_then(|v| v.trim_matches('"').parse::<u64>().ok())
            };
            if let Some(s) = seconds("s-maxage=") {
                shared = Some(s);
            } else if let Some(s) = seconds("max-age=") {
                max_age = Some(s);
            }
        }
        if let Some(s) = shared.or(max_age) {
            return Some(s);
        }
    }
    let expires = httpdate::parse_http_date(text("expires")?).ok();
    let Some(expires) = expires else {
        // An invalid Expires (often "0") means already expired.
        return Some(0);
    };
    let date = text("date")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or_else(SystemTime::now);
    Some(expires.duration_since(date).map_or(0, |d| d.as_secs()))
}

/// The stamp of a copy the origin vouched for at `now`, whose headers were `headers`.
pub fn stamp(
    etag: Option<String>,
    last_modified: Option<String>,
    url: String,
    headers: &HeaderMap,
    now: SystemTime,
) -> OriginStamp {
    OriginStamp {
        etag,
        last_modified,
        url,
        validated_ns: nanos(now),
        max_age_secs: origin_max_age(headers),
    }
}

/// `t` in nanoseconds since the epoch, as stamps keep times.
pub fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// When the origin last vouched for `meta`'s copy.
fn validated_at(meta: &ObjectMeta, stamp: &OriginStamp) -> SystemTime {
    if stamp.validated_ns == 0 {
        meta.last_modified
    } else {
        UNIX_EPOCH + Duration::from_nanos(stamp.validated_ns)
    }
}

/// How long past fresh a copy is at `now`; `None` while fresh (or when it is not an origin
/// copy: local writes are never revalidated).
pub fn stale_for(meta: &ObjectMeta, freshness: &Freshness, now: SystemTime) -> Option<Duration> {
    let stamp = meta.attrs.origin.as_ref()?;
    let lifetime = match (freshness.use_origin_cache_control, stamp.max_age_secs) {
        (true, Some(origin)) => origin,
        _ => freshness.max_age_secs?,
    };
    let fresh_until = validated_at(meta, stamp) + Duration::from_secs(lifetime);
    now.duration_since(fresh_until).ok()
}

/// May a copy `stale` past fresh still be served while the origin fails?
pub fn within_stale_if_error(freshness: &Freshness, stale: Duration) -> bool {
    freshness
        .stale_if_error_secs
        .is_some_and(|limit| stale <= Duration::from_secs(limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::OnOriginDelete;
    use crate::test_support::headers;

    #[test]
    fn cache_control_and_expires() {
        assert_eq!(
            origin_max_age(&headers(&[("cache-control", "public, max-age=60")])),
            Some(60)
        );
        assert_eq!(
            origin_max_age(&headers(&[("cache-control", "max-age=60, s-maxage=600")])),
            Some(600)
        );
        assert_eq!(
            origin_max_age(&headers(&[("cache-control", "no-cache")])),
            Some(0)
        );
        assert_eq!(
            origin_max_age(&headers(&[
                ("date", "Sun, 29 Nov 2026 10:00:00 GMT"),
                ("expires", "Sun, 29 Nov 2026 10:05:00 GMT")
            ])),
            Some(300)
        );
        assert_eq!(origin_max_age(&headers(&[("expires", "0")])), Some(0));
        assert_eq!(
            origin_max_age(&headers(&[("cache-control", "public")])),
            None
        );
        assert_eq!(origin_max_age(&HeaderMap::new()), None);
    }

    fn meta(stamp: Option<OriginStamp>, modified: SystemTime) -> ObjectMeta {
        ObjectMeta {
            key: "k".into(),
            size: 1,
            etag: "e".into(),
            last_modified: modified,
            attrs: storage::ObjectAttrs {
                origin: stamp,
                ..Default::default()
            },
            checksums: Vec::new(),
            part_sizes: Vec::new(),
            part_checksums: Vec::new(),
            version_id: None,
        }
    }

    #[test]
    fn staleness_follows_the_rule_or_the_origin() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let rule = Freshness {
            max_age_secs: Some(300),
            use_origin_cache_control: true,
            stale_while_revalidate: false,
            stale_if_error_secs: Some(60),
            on_origin_delete: OnOriginDelete::Keep,
        };
        let stamped = |max_age| OriginStamp {
            url: "u".into(),
            validated_ns: nanos(t0),
            max_age_secs: max_age,
            ..Default::default()
        };
        let at = |s| t0 + Duration::from_secs(s);
        let by_rule = meta(Some(stamped(None)), t0);
        assert_eq!(stale_for(&by_rule, &rule, at(299)), None);
        assert_eq!(
            stale_for(&by_rule, &rule, at(310)),
            Some(Duration::from_secs(10))
        );
        let by_origin = meta(Some(stamped(Some(10))), t0);
        assert_eq!(
            stale_for(&by_origin, &rule, at(11)),
            Some(Duration::from_secs(1))
        );
        let ignoring = Freshness {
            use_origin_cache_control: false,
            ..rule.clone()
        };
        assert_eq!(stale_for(&by_origin, &ignoring, at(11)), None);
        // Local writes never go stale; a format-2 stamp counts from the object's time.
        assert_eq!(stale_for(&meta(None, t0), &rule, at(10_000)), None);
        let old = meta(Some(OriginStamp::default()), t0);
        assert!(stale_for(&old, &rule, at(301)).is_some());
        assert!(within_stale_if_error(&rule, Duration::from_secs(60)));
        assert!(!within_stale_if_error(&rule, Duration::from_secs(61)));
    }
}
