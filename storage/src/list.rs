//! Object listing as a lazy sled range scan: start at `bucket 0x00 prefix` (or just after
//! `after`), stop at the first key outside the prefix or once the page is full; with a
//! delimiter, after emitting a common prefix `cp`, seek to `bucket 0x00 cp 0xFF` instead of
//! walking its keys (0xFF never occurs in UTF-8). A page touches at most `max_keys + 1`
//! entries plus one seek per common prefix, whatever the bucket holds.

use std::ops::Bound;

use crate::records::object_meta;
use crate::records::{decode_object, join_key};
use crate::{Error, ListPage, ListQuery, Result, Store};

/// The first position strictly after every key that starts with `prefix_key`.
pub(crate) fn past(prefix_key: &[u8]) -> Bound<Vec<u8>> {
    let mut k = prefix_key.to_vec();
    k.push(0xFF);
    Bound::Excluded(k)
}

/// Where a listing starts, per [`ListQuery::after`]'s rules.
fn start(bucket: &str, q: &ListQuery) -> Bound<Vec<u8>> {
    let from_prefix = Bound::Included(join_key(bucket, &q.prefix));
    let Some(after) = q.after.as_deref() else {
        return from_prefix;
    };
    if after.as_bytes() < q.prefix.as_bytes() {
        return from_prefix;
    }
    let is_common_prefix = match q.delimiter.as_deref() {
        Some(d) if !d.is_empty() => after
            .strip_prefix(q.prefix.as_str())
            .is_some_and(|rest| !rest.is_empty() && rest.ends_with(d)),
        _ => false,
    };
    if is_common_prefix {
        past(&join_key(bucket, after))
    } else {
        Bound::Excluded(join_key(bucket, after))
    }
}

impl Store {
    pub fn list_objects(&self, bucket: &str, query: &ListQuery) -> Result<ListPage> {
        self.head_bucket(bucket)?;
        let mut page = ListPage::default();
        if query.max_keys == 0 {
            return Ok(page);
        }
        let prefix_key = join_key(bucket, &query.prefix);
        let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
        let key_start = bucket.len() + 1;
        let mut rows = self.shared.meta.scan_objects(start(bucket, query));
        let mut emitted = 0usize;
        while let Some(row) = rows.next() {
            let (k, v) = row?;
            if !k.starts_with(&prefix_key) {
                break;
            }
            if emitted == query.max_keys {
                // Another entry exists: the page is truncated.
                page.is_truncated = true;
                break;
            }
            let key = std::str::from_utf8(&k[key_start..])
                .map_err(|_| Error::Corrupt("object key is not UTF-8".into()))?;
            let rest = &key[query.prefix.len()..];
            if let Some(d) = delimiter {
                if let Some(pos) = rest.find(d) {
                    let cp = &key[..query.prefix.len() + pos + d.len()];
                    page.common_prefixes.push(cp.to_owned());
                    emitted += 1;
                    rows = self.shared.meta.scan_objects(past(&join_key(bucket, cp)));
                    continue;
                }
            }
            let rec = decode_object(&v)?;
            page.objects.push(object_meta(key.to_owned(), rec));
            emitted += 1;
        }
        if page.is_truncated {
            let last_object = page.objects.last().map(|o| o.key.as_str());
            let last_prefix = page.common_prefixes.last().map(String::as_str);
            page.next_after = last_object.max(last_prefix).map(str::to_owned);
        }
        Ok(page)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Expect, ObjectAttrs, StoreOptions};

    async fn store_with(keys: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        store.create_bucket("bkt", "me", "us-east-1").await.unwrap();
        // A neighbouring bucket whose keys must never leak into "bkt" listings.
        store
            .create_bucket("bkt0", "me", "us-east-1")
            .await
            .unwrap();
        for k in keys {
            let body = futures::stream::iter([Ok(bytes::Bytes::from(k.to_string()))]);
            store
                .put_object("bkt", k, ObjectAttrs::default(), body, &Expect::default())
                .await
                .unwrap();
            let body = futures::stream::iter([Ok(bytes::Bytes::from_static(b"x"))]);
            store
                .put_object("bkt0", k, ObjectAttrs::default(), body, &Expect::default())
                .await
                .unwrap();
        }
        (dir, store)
    }

    fn q(prefix: &str, delimiter: Option<&str>, after: Option<&str>, max_keys: usize) -> ListQuery {
        ListQuery {
            prefix: prefix.into(),
            delimiter: delimiter.map(Into::into),
            after: after.map(Into::into),
            max_keys,
        }
    }

    fn keys(page: &ListPage) -> Vec<&str> {
        page.objects.iter().map(|o| o.key.as_str()).collect()
    }

    const KEYS: &[&str] = &[
        "/lead",
        "a",
        "a b",
        "a+b",
        "a%2Fb",
        "a/",
        "a/1",
        "a/2/x",
        "a/3",
        "b/1",
        "b/2",
        "c",
        "trail/",
        "ü/ber",
        "日本/語",
    ];

    #[tokio::test]
    async fn plain_listing_is_byte_ordered() {
        let (_d, s) = store_with(KEYS).await;
        let page = s.list_objects("bkt", &q("", None, None, 1000)).unwrap();
        let mut sorted = KEYS.to_vec();
        sorted.sort();
        assert_eq!(keys(&page), sorted);
        assert!(!page.is_truncated);
        assert_eq!(page.next_after, None);
        assert_eq!(page.objects[0].size, page.objects[0].key.len() as u64);
    }

    #[tokio::test]
    async fn delimiter_groups_and_skips() {
        let (_d, s) = store_with(KEYS).await;
        let page = s
            .list_objects("bkt", &q("", Some("/"), None, 1000))
            .unwrap();
        assert_eq!(keys(&page), ["a", "a b", "a%2Fb", "a+b", "c"]);
        assert_eq!(
            page.common_prefixes,
            ["/", "a/", "b/", "trail/", "ü/", "日本/"]
        );

        let page = s
            .list_objects("bkt", &q("a/", Some("/"), None, 1000))
            .unwrap();
        assert_eq!(keys(&page), ["a/", "a/1", "a/3"]);
        assert_eq!(page.common_prefixes, ["a/2/"]);
    }

    #[tokio::test]
    async fn paging_with_common_prefixes() {
        let (_d, s) = store_with(KEYS).await;
        let page = s.list_objects("bkt", &q("", Some("/"), None, 2)).unwrap();
        assert_eq!(page.common_prefixes, ["/"]);
        assert_eq!(keys(&page), ["a"]);
        assert!(page.is_truncated);
        assert_eq!(page.next_after.as_deref(), Some("a"));

        // Resuming after a common prefix skips everything under it.
        let page = s
            .list_objects("bkt", &q("", Some("/"), Some("a/"), 2))
            .unwrap();
        assert_eq!(page.common_prefixes, ["b/"]);
        assert_eq!(keys(&page), ["c"]);
        assert!(page.is_truncated);
        assert_eq!(page.next_after.as_deref(), Some("c"));

        // Exactly full, nothing more: not truncated.
        let page = s
            .list_objects("bkt", &q("", Some("/"), Some("c"), 3))
            .unwrap();
        assert_eq!(page.common_prefixes, ["trail/", "ü/", "日本/"]);
        assert!(!page.is_truncated);
        assert_eq!(page.next_after, None);
    }

    #[tokio::test]
    async fn after_edge_cases() {
        let (_d, s) = store_with(KEYS).await;
        // `after` before the prefix starts at the prefix.
        let page = s
            .list_objects("bkt", &q("b/", None, Some("a"), 1000))
            .unwrap();
        assert_eq!(keys(&page), ["b/1", "b/2"]);
        // `after` past the prefix yields nothing.
        let page = s
            .list_objects("bkt", &q("b/", None, Some("b/9"), 1000))
            .unwrap();
        assert!(keys(&page).is_empty() && !page.is_truncated);
        // `after` not itself a key.
        let page = s
            .list_objects("bkt", &q("", None, Some("b/10"), 1))
            .unwrap();
        assert_eq!(keys(&page), ["b/2"]);
        assert!(page.is_truncated);
        // Without a delimiter a trailing-slash `after` is just a key.
        let page = s.list_objects("bkt", &q("", None, Some("a/"), 1)).unwrap();
        assert_eq!(keys(&page), ["a/1"]);
    }

    #[tokio::test]
    async fn max_keys_zero_and_missing_bucket() {
        let (_d, s) = store_with(KEYS).await;
        let page = s.list_objects("bkt", &q("", None, None, 0)).unwrap();
        assert!(page.objects.is_empty() && !page.is_truncated && page.next_after.is_none());
        assert!(matches!(
            s.list_objects("nope", &q("", None, None, 10)),
            Err(Error::NoSuchBucket)
        ));
    }

    #[tokio::test]
    async fn long_and_multibyte_delimiters() {
        let k1024 = "k".repeat(1024);
        let (_d, s) = store_with(&["x--y--z", "x--w", "xy", &k1024]).await;
        let page = s
            .list_objects("bkt", &q("x", Some("--"), None, 1000))
            .unwrap();
        assert_eq!(page.common_prefixes, ["x--"]);
        assert_eq!(keys(&page), ["xy"]);
        let page = s.list_objects("bkt", &q("k", None, None, 1000)).unwrap();
        assert_eq!(keys(&page), [k1024.as_str()]);
    }
}
