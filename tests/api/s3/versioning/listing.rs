//! ListObjectVersions against a model of what was written: AWS order (key ascending, newest
//! first, versions and delete markers interleaved), `IsLatest`, and every page size with
//! every resume point (key-marker alone, key-marker with version-id-marker), with a prefix
//! and a delimiter, and with `encoding-type=url`. Read as raw XML, because the SDK splits
//! versions from delete markers and would hide their interleaving.

use aws_sdk_s3::types::BucketVersioningStatus;
use quick_xml::events::Event;

use super::{delete_current, put_version, set_versioning, versioned, BUCKET};
use crate::support::server::TestServer;

/// One `<Version>` or `<DeleteMarker>` of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    marker: bool,
    key: String,
    version_id: String,
    is_latest: bool,
}

/// One page, as the XML said it.
#[derive(Debug, Default)]
struct Page {
    entries: Vec<Entry>,
    prefixes: Vec<String>,
    truncated: bool,
    next_key_marker: Option<String>,
    next_version_id_marker: Option<String>,
    encoding_type: Option<String>,
}

fn parse(xml: &str) -> Page {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut page = Page::default();
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<Entry> = None;
    loop {
        match reader.read_event().expect("well-formed") {
            Event::Start(e) => {
                let name: String = e.local_name().as_ref().to_owned();
                if path.len() == 1 && (name == "Version" || name == "DeleteMarker") {
                    current = Some(Entry {
                        marker: name == "DeleteMarker",
                        key: String::new(),
                        version_id: String::new(),
                        is_latest: false,
                    });
                }
                path.push(name);
            }
            Event::End(_) => {
                if path.len() == 2 {
                    if let Some(entry) = current.take() {
                        page.entries.push(entry);
                    }
                }
                path.pop();
            }
            Event::Text(t) => {
                // Keys here hold no character XML escapes, so no entity events to join.
                let text = t.xml10_content().into_owned();
                let names: Vec<&str> = path.iter().map(String::as_str).collect();
                match (names.as_slice(), current.as_mut()) {
                    ([_, _, "Key"], Some(e)) => e.key = text,
                    ([_, _, "VersionId"], Some(e)) => e.version_id = text,
                    ([_, _, "IsLatest"], Some(e)) => e.is_latest = text == "true",
                    ([_, "CommonPrefixes", "Prefix"], _) => page.prefixes.push(text),
                    ([_, "IsTruncated"], _) => page.truncated = text == "true",
                    ([_, "NextKeyMarker"], _) => page.next_key_marker = Some(text),
                    ([_, "NextVersionIdMarker"], _) => page.next_version_id_marker = Some(text),
                    ([_, "EncodingType"], _) => page.encoding_type = Some(text),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    page
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn list(s: &TestServer, query: &str) -> Page {
    let resp = s
        .send_signed(http::Method::GET, &format!("/{BUCKET}?versions{query}"))
        .await;
    let status = resp.status();
    let body = resp.text().await.expect("body");
    assert_eq!(status, 200, "{query}: {body}");
    parse(&body)
}

/// Follow a listing from `start` to its end, `max_keys` at a time.
async fn walk(
    s: &TestServer,
    base: &str,
    max_keys: usize,
    start: &str,
) -> (Vec<Entry>, Vec<String>) {
    let (mut entries, mut prefixes) = (Vec::new(), Vec::new());
    let mut resume = start.to_owned();
    for _ in 0..200 {
        let page = list(s, &format!("{base}&max-keys={max_keys}{resume}")).await;
        assert!(
            page.entries.len() + page.prefixes.len() <= max_keys,
            "a page holds at most max-keys entries"
        );
        entries.extend(page.entries);
        prefixes.extend(page.prefixes);
        if !page.truncated {
            return (entries, prefixes);
        }
        let key = page
            .next_key_marker
            .expect("a truncated page names NextKeyMarker");
        resume = format!("&key-marker={}", enc(&key));
        if let Some(v) = page.next_version_id_marker {
            resume.push_str(&format!("&version-id-marker={}", enc(&v)));
        }
    }
    panic!("listing did not end");
}

/// The model: per key, version ids newest first, and which are delete markers.
#[derive(Default)]
struct Model(std::collections::BTreeMap<String, Vec<(String, bool)>>);

impl Model {
    fn push(&mut self, key: &str, version_id: String, marker: bool) {
        self.0
            .entry(key.to_owned())
            .or_default()
            .insert(0, (version_id, marker));
    }

    fn entries(&self, prefix: &str) -> Vec<Entry> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .flat_map(|(key, versions)| {
                versions.iter().enumerate().map(|(i, (id, marker))| Entry {
                    marker: *marker,
                    key: key.clone(),
                    version_id: id.clone(),
                    is_latest: i == 0,
                })
            })
            .collect()
    }
}

#[tokio::test]
async fn version_listing_matches_the_model_at_every_page_size_and_resume_point() {
    let s = TestServer::with_bucket(BUCKET).await;
    let mut model = Model::default();
    // A null version from before versioning, then versions and markers on several keys.
    s.put(BUCKET, "b", "unversioned").await;
    model.push("b", "null".into(), false);
    set_versioning(&s, BucketVersioningStatus::Enabled).await;
    for (key, ops) in [
        ("a", "ppdp"),
        ("b", "pd"),
        ("dir/x", "pp"),
        ("dir/y", "d"),
        ("dir/sub/z", "p"),
        ("e", "ppp"),
    ] {
        for op in ops.chars() {
            if op == 'p' {
                model.push(key, put_version(&s, key, key).await, false);
            } else {
                model.push(key, delete_current(&s, key).await, true);
            }
        }
    }
    let all = model.entries("");
    let full = list(&s, "").await;
    assert!(!full.truncated);
    assert_eq!(full.entries, all, "one page, in AWS order");

    for max_keys in 1..=all.len() + 1 {
        let (walked, _) = walk(&s, "", max_keys, "").await;
        assert_eq!(walked, all, "max-keys {max_keys}");
    }
    // Resuming after every entry with key-marker and version-id-marker.
    for (i, e) in all.iter().enumerate() {
        let start = format!(
            "&key-marker={}&version-id-marker={}",
            enc(&e.key),
            enc(&e.version_id)
        );
        let (walked, _) = walk(&s, "", 3, &start).await;
        assert_eq!(walked, all[i + 1..], "after {e:?}");
    }
    // key-marker alone starts after every version of that key (and works for absent keys).
    for marker in ["a", "b", "c", "dir/", "dir/y", "zz"] {
        let expected: Vec<_> = all
            .iter()
            .filter(|e| e.key.as_str() > marker)
            .cloned()
            .collect();
        let (walked, _) = walk(&s, "", 2, &format!("&key-marker={}", enc(marker))).await;
        assert_eq!(walked, expected, "key-marker {marker}");
    }

    // A prefix, and a delimiter rolling `dir/` up into one common prefix counted once.
    let (walked, _) = walk(&s, "&prefix=dir%2F", 2, "").await;
    assert_eq!(walked, model.entries("dir/"));
    for max_keys in [1, 2, 3, 100] {
        let (walked, prefixes) = walk(&s, "&delimiter=%2F", max_keys, "").await;
        let expected: Vec<_> = all
            .iter()
            .filter(|e| !e.key.contains('/'))
            .cloned()
            .collect();
        assert_eq!(walked, expected, "max-keys {max_keys}");
        assert_eq!(prefixes, ["dir/"], "max-keys {max_keys}");
    }
    let (walked, prefixes) = walk(&s, "&prefix=dir%2F&delimiter=%2F", 1, "").await;
    let expected: Vec<_> = model
        .entries("dir/")
        .into_iter()
        .filter(|e| !e.key["dir/".len()..].contains('/'))
        .collect();
    assert_eq!(walked, expected);
    assert_eq!(prefixes, ["dir/sub/"]);

    // ListObjects shows only current, non-deleted keys.
    assert_eq!(s.keys(BUCKET).await, ["a", "dir/sub/z", "dir/x", "e"]);
}

#[tokio::test]
async fn encoding_type_url_encodes_keys_and_markers() {
    let s = versioned(BucketVersioningStatus::Enabled).await;
    let key = "line\nbreak & more";
    put_version(&s, key, "x").await;
    put_version(&s, key, "y").await;
    let page = list(&s, "&encoding-type=url&max-keys=1").await;
    assert_eq!(page.encoding_type.as_deref(), Some("url"));
    assert!(page.truncated);
    let encoded = "line%0Abreak%20%26%20more";
    assert_eq!(page.entries[0].key, encoded);
    assert_eq!(page.next_key_marker.as_deref(), Some(encoded));
    // The client sends the decoded marker back; the second page holds the older version.
    let next = format!(
        "&encoding-type=url&key-marker={}&version-id-marker={}",
        enc(key),
        page.next_version_id_marker
            .as_deref()
            .map(enc)
            .unwrap_or_default()
    );
    let rest = list(&s, &next).await;
    assert_eq!(rest.entries.len(), 1);
    assert!(!rest.entries[0].is_latest);
    assert_eq!(rest.entries[0].key, encoded);
}

/// A client empties a bucket page by page as cleanup tools do: list 128 versions, delete
/// them, list on from the last entry (`KeyMarker` = its key, `VersionIdMarker` = its id,
/// `null` for objects written before versioning). Every key must be reached: the bucket
/// then deletes. (Before the fix the first key of every later page was skipped.)
#[tokio::test]
async fn emptying_a_bucket_from_the_last_listed_entry_reaches_every_key() {
    let s = TestServer::with_bucket(BUCKET).await;
    for i in 0..300 {
        s.put(BUCKET, &format!("k{i:04}"), b"x".to_vec()).await;
    }
    set_versioning(&s, BucketVersioningStatus::Enabled).await;
    for i in (0..300).step_by(7) {
        put_version(&s, &format!("k{i:04}"), "v2").await;
    }
    let mut marker: Option<(String, String)> = None;
    let mut deleted = 0;
    loop {
        let mut req = s.client.list_object_versions().bucket(BUCKET).max_keys(128);
        if let Some((k, v)) = &marker {
            req = req.key_marker(k).version_id_marker(v);
        }
        let page = req.send().await.unwrap();
        let listed: Vec<(String, String)> = page
            .versions()
            .iter()
            .map(|v| {
                (
                    v.key().unwrap().to_owned(),
                    v.version_id().unwrap().to_owned(),
                )
            })
            .collect();
        for (k, v) in &listed {
            s.client
                .delete_object()
                .bucket(BUCKET)
                .key(k)
                .version_id(v)
                .send()
                .await
                .unwrap();
        }
        deleted += listed.len();
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        marker = listed.last().cloned();
    }
    assert_eq!(deleted, 300 + 43);
    s.client
        .delete_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
}
