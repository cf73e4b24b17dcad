//! The merge against a model: random local and origin key sets (some keys on both sides,
//! some deleted locally), every prefix, delimiter and page size; the pages, concatenated,
//! must equal the model's listing, each entry once, the local object winning.

use std::collections::BTreeSet;
use std::time::SystemTime;

use proptest::prelude::*;

use super::*;

/// A side in memory, listing the way its real counterpart does: keys under `source_prefix`
/// (a rule's deeper prefix, or the request's), grouped by the delimiter after that prefix,
/// resumed strictly after `after` (skipping the keys of a common prefix `after` names).
struct MemCursor {
    items: VecDeque<Item>,
}

impl MemCursor {
    fn new(
        keys: &BTreeSet<String>,
        size: u64,
        source_prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
    ) -> MemCursor {
        let mut names: BTreeSet<(String, bool)> = BTreeSet::new();
        for key in keys.iter().filter(|k| k.starts_with(source_prefix)) {
            let (name, group) = grouped(key, source_prefix, delimiter);
            names.insert((name.to_owned(), group));
        }
        let items = names
            .into_iter()
            .filter(|(name, _)| match after {
                None => true,
                Some(a) => {
                    let a_is_group = delimiter.is_some_and(|d| a.ends_with(d))
                        && a.starts_with(source_prefix)
                        && a.len() > source_prefix.len();
                    name.as_str() > a && !(a_is_group && name.starts_with(a))
                }
            })
            .map(|(name, group)| {
                if group {
                    Item::Prefix(name)
                } else {
                    Item::Object(Box::new(ObjectMeta {
                        key: name,
                        size,
                        etag: String::new(),
                        last_modified: SystemTime::UNIX_EPOCH,
                        attrs: Default::default(),
                        checksums: Vec::new(),
                        part_sizes: Vec::new(),
                        part_checksums: Vec::new(),
                        version_id: None,
                    }))
                }
            })
            .collect();
        MemCursor { items }
    }
}

impl Cursor for MemCursor {
    async fn peek(&mut self) -> Result<Option<&Item>, S3Error> {
        Ok(self.items.front())
    }
    fn pop(&mut self) -> Option<Item> {
        self.items.pop_front()
    }
    fn skip_under(&mut self, prefix: &str) {
        while self
            .items
            .front()
            .is_some_and(|i| i.name().starts_with(prefix))
        {
            self.items.pop_front();
        }
    }
}

/// What the listing must be: every visible key, grouped by the request.
fn model(visible: &BTreeSet<String>, prefix: &str, delimiter: Option<&str>) -> Vec<String> {
    let names: BTreeSet<String> = visible
        .iter()
        .filter(|k| k.starts_with(prefix))
        .map(|k| grouped(k, prefix, delimiter).0.to_owned())
        .collect();
    names.into_iter().collect()
}

fn keys() -> impl Strategy<Value = BTreeSet<String>> {
    prop::collection::btree_set("[ab/]{1,4}", 0..24)
}

fn run(
    local: &BTreeSet<String>,
    origin: &BTreeSet<String>,
    rule_prefix: &str,
    prefix: &str,
    delimiter: Option<&str>,
    max_keys: usize,
) -> Result<Vec<(String, Option<u64>)>, TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..200 {
        // A rule that can hold no key under the request's prefix lists nothing.
        let (origin_prefix, origin_keys) = if rule_prefix.starts_with(prefix) {
            (rule_prefix, origin.clone())
        } else if prefix.starts_with(rule_prefix) {
            (prefix, origin.clone())
        } else {
            (prefix, BTreeSet::new())
        };
        let mut cursors = vec![
            MemCursor::new(local, 1, prefix, delimiter, after.as_deref()),
            MemCursor::new(&origin_keys, 2, origin_prefix, delimiter, None),
        ];
        // The origin side resumes after `after` as the real one does (start-after).
        if let Some(a) = &after {
            let cursor = &mut cursors[1];
            let a_is_group = delimiter.is_some_and(|d| a.ends_with(d))
                && a.starts_with(prefix)
                && a.len() > prefix.len();
            cursor.items.retain(|i| {
                let name = grouped(i.name(), prefix, delimiter).0;
                name > a.as_str() && !(a_is_group && i.name().starts_with(a.as_str()))
            });
        }
        let page = runtime
            .block_on(merge(&mut cursors, prefix, delimiter, max_keys))
            .map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert!(page.objects.len() + page.common_prefixes.len() <= max_keys);
        let mut names: Vec<(String, Option<u64>)> = page
            .objects
            .iter()
            .map(|o| (o.key.clone(), Some(o.size)))
            .chain(page.common_prefixes.iter().map(|p| (p.clone(), None)))
            .collect();
        names.sort();
        out.extend(names);
        if !page.is_truncated {
            return Ok(out);
        }
        prop_assert!(page.next_after.is_some());
        after = page.next_after;
    }
    Err(TestCaseError::fail("more than 200 pages"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn pages_concatenate_to_the_model(
        local in keys(),
        origin in keys(),
        rule_prefix in prop::sample::select(vec!["", "a", "a/", "b/a"]),
        prefix in prop::sample::select(vec!["", "a", "a/", "b"]),
        delimiter in prop::sample::select(vec![None, Some("/"), Some("a")]),
        max_keys in 1usize..7,
    ) {
        let origin: BTreeSet<String> =
            origin.into_iter().filter(|k| k.starts_with(rule_prefix)).collect();
        let listed = run(&local, &origin, rule_prefix, prefix, delimiter, max_keys)?;
        let visible: BTreeSet<String> = local.union(&origin).cloned().collect();
        let names: Vec<String> = listed.iter().map(|(n, _)| n.clone()).collect();
        prop_assert_eq!(&names, &model(&visible, prefix, delimiter));
        for (name, size) in &listed {
            if size.is_some() && local.contains(name) {
                prop_assert_eq!(*size, Some(1), "the local entry wins for {}", name);
            }
        }
    }
}
