//! List-through: ListObjects and ListObjectsV2 of a bucket whose rules say `ListThrough`
//! merge the local listing with the origin's, so a client sees every key before it was
//! pulled. One page is produced by a k-way merge of cursors in key order — the local range
//! scan, and one signed ListObjectsV2 walk per list-through rule — each fetched a page at a
//! time, so neither side is ever loaded whole.
//!
//! - Both sides are grouped by the request's prefix and delimiter (an origin rule whose
//!   prefix is deeper than the request's is regrouped here, and skipped past in one step).
//! - A key on both sides is listed once, the local entry winning; an origin key deleted
//!   locally (tombstone, delete marker) or served by another rule is left out.
//! - A rule's prefix replacement (`PrefixConfiguration` with `ReplacedWithPrefix`) is undone:
//!   the origin is listed under the replaced prefix and its keys are shown as local keys.
//! - The resume point (marker, start-after, continuation token) is the last entry of the
//!   page, key or common prefix, which both sides can resume after exactly.

use std::collections::VecDeque;

use storage::{ListPage, ListQuery, ObjectMeta, Store};

use super::document::{OriginConfiguration, OriginRule};
use super::fetch::OriginClient;
use super::list::{list_page, OriginEntry, OriginListQuery};
use crate::error::S3Error;

/// Greater than every key: resuming an origin walk after `prefix` + this skips all of
/// `prefix`'s keys.
const PAST: char = '\u{10FFFF}';

/// One entry of the merged listing, in local terms.
#[derive(Debug, Clone)]
pub enum Item {
    Object(Box<ObjectMeta>),
    Prefix(String),
}

impl Item {
    fn name(&self) -> &str {
        match self {
            Item::Object(meta) => &meta.key,
            Item::Prefix(p) => p,
        }
    }
}

/// The request's grouping: `name` as the listing shows it (a common prefix when the part
/// after `prefix` holds the delimiter).
fn grouped<'a>(name: &'a str, prefix: &str, delimiter: Option<&str>) -> (&'a str, bool) {
    if let (Some(rest), Some(d)) = (name.strip_prefix(prefix), delimiter) {
        if let Some(i) = rest.find(d) {
            return (&name[..prefix.len() + i + d.len()], true);
        }
    }
    (name, false)
}

/// A cursor over one side, in key order, a page at a time.
pub trait Cursor {
    /// The next entry, if any (fetching a page when the buffer is empty).
    fn peek(&mut self) -> impl std::future::Future<Output = Result<Option<&Item>, S3Error>> + Send;
    fn pop(&mut self) -> Option<Item>;
    /// Drop every entry whose name starts with `prefix` (one common prefix of the page).
    fn skip_under(&mut self, prefix: &str);
}

/// Merge `cursors` (the first is the local side) into one page of at most `max_keys`
/// entries (keys and common prefixes both count, as in S3).
pub async fn merge<C: Cursor>(
    cursors: &mut [C],
    prefix: &str,
    delimiter: Option<&str>,
    max_keys: usize,
) -> Result<ListPage, S3Error> {
    let mut page = ListPage::default();
    let mut emitted = 0;
    while emitted < max_keys {
        // The smallest grouped name at the cursors' heads.
        let mut best: Option<(String, bool)> = None;
        for cursor in cursors.iter_mut() {
            if let Some(item) = cursor.peek().await? {
                let (name, is_group) = grouped(item.name(), prefix, delimiter);
                let is_group = is_group || matches!(item, Item::Prefix(_));
                if best.as_ref().is_none_or(|(b, _)| name < b.as_str()) {
                    best = Some((name.to_owned(), is_group));
                }
            }
        }
        let Some((name, is_group)) = best else {
            return Ok(page);
        };
        if is_group {
            for cursor in cursors.iter_mut() {
                cursor.skip_under(&name);
            }
            page.common_prefixes.push(name.clone());
        } else {
            // The first cursor holding the key wins (the local side comes first).
            let mut chosen = None;
            for cursor in cursors.iter_mut() {
                let here = matches!(cursor.peek().await?, Some(item) if item.name() == name);
                if here {
                    let item = cursor.pop();
                    if chosen.is_none() {
                        chosen = item;
                    }
                }
            }
            if let Some(Item::Object(meta)) = chosen {
                page.objects.push(*meta);
            }
        }
        page.next_after = Some(name);
        emitted += 1;
    }
    for cursor in cursors.iter_mut() {
        if cursor.peek().await?.is_some() {
            page.is_truncated = true;
        }
    }
    if !page.is_truncated {
        page.next_after = None;
    }
    Ok(page)
}

/// Drop the buffered entries under `prefix`; true when that emptied the buffer (the side
/// must then resume its walk past `prefix`).
fn drop_under(buffer: &mut VecDeque<Item>, prefix: &str) -> bool {
    while buffer.front().is_some_and(|i| i.name().starts_with(prefix)) {
        buffer.pop_front();
    }
    buffer.is_empty()
}

/// The local side: the bucket's range scan.
pub struct LocalCursor {
    store: Store,
    bucket: String,
    query: ListQuery,
    buffer: VecDeque<Item>,
    done: bool,
}

impl LocalCursor {
    pub fn new(store: Store, bucket: &str, query: &ListQuery) -> LocalCursor {
        LocalCursor {
            store,
            bucket: bucket.to_owned(),
            query: ListQuery {
                max_keys: query.max_keys.clamp(1, 1000),
                ..query.clone()
            },
            buffer: VecDeque::new(),
            done: false,
        }
    }

    async fn fill(&mut self) -> Result<(), S3Error> {
        let (store, bucket, query) = (self.store.clone(), self.bucket.clone(), self.query.clone());
        let page = tokio::task::spawn_blocking(move || store.list_objects(&bucket, &query))
            .await
            .map_err(S3Error::internal)??;
        let mut items: Vec<Item> = page
            .objects
            .into_iter()
            .map(|m| Item::Object(Box::new(m)))
            .chain(page.common_prefixes.into_iter().map(Item::Prefix))
            .collect();
        items.sort_by(|a, b| a.name().cmp(b.name()));
        self.buffer.extend(items);
        match page.next_after {
            Some(next) if page.is_truncated => self.query.after = Some(next),
            _ => self.done = true,
        }
        Ok(())
    }
}

impl Cursor for LocalCursor {
    async fn peek(&mut self) -> Result<Option<&Item>, S3Error> {
        while self.buffer.is_empty() && !self.done {
            self.fill().await?;
        }
        Ok(self.buffer.front())
    }

    fn pop(&mut self) -> Option<Item> {
        self.buffer.pop_front()
    }

    fn skip_under(&mut self, prefix: &str) {
        if drop_under(&mut self.buffer, prefix) && !self.done {
            self.query.after = Some(prefix.to_owned());
        }
    }
}

/// One list-through rule's origin, walked with ListObjectsV2.
pub struct OriginCursor<'a> {
    client: &'a OriginClient,
    store: &'a Store,
    bucket: &'a str,
    config: &'a OriginConfiguration,
    rule: &'a OriginRule,
    prefix: String,
    delimiter: Option<String>,
    start_after: Option<String>,
    token: Option<String>,
    page_size: usize,
    buffer: VecDeque<Item>,
    done: bool,
    /// The rule's prefix replacement (local prefix, origin prefix), if it rewrites keys.
    swap: Option<(String, String)>,
    /// The rule's throttle, which each page's request waits for.
    throttle: Option<std::sync::Arc<super::throttle::RuleThrottle>>,
}

/// A rule's prefix replacement, as (local prefix, origin prefix).
fn prefix_swap(rule: &OriginRule) -> Option<(String, String)> {
    let p = rule.file_info.prefix.as_ref()?;
    Some((p.prefix.clone(), p.replaced_with.clone()?))
}

/// A local name in the origin's terms (`None`: it sorts after every key of the rule).
fn to_origin(swap: &Option<(String, String)>, local: &str) -> Option<String> {
    match swap {
        None => Some(local.to_owned()),
        Some((from, to)) => match local.strip_prefix(from.as_str()) {
            Some(rest) => Some(format!("{to}{rest}")),
            None if local < from.as_str() => Some(String::new()),
            None => None,
        },
    }
}

/// An origin name in local terms (`None`: not one of the rule's keys).
fn to_local(swap: &Option<(String, String)>, origin: String) -> Option<String> {
    match swap {
        None => Some(origin),
        Some((from, to)) => origin
            .strip_prefix(to.as_str())
            .map(|rest| format!("{from}{rest}")),
    }
}

impl<'a> OriginCursor<'a> {
    /// `None` when the rule can hold no key under the request's prefix.
    pub fn new(
        client: &'a OriginClient,
        store: &'a Store,
        bucket: &'a str,
        config: &'a OriginConfiguration,
        rule: &'a OriginRule,
        query: &ListQuery,
    ) -> Option<OriginCursor<'a>> {
        let rule_prefix = rule.condition.prefix.as_str();
        let prefix = if rule_prefix.starts_with(&query.prefix) {
            rule_prefix.to_owned()
        } else if query.prefix.starts_with(rule_prefix) {
            query.prefix.clone()
        } else {
            return None;
        };
        let delimiter = query.delimiter.clone().filter(|d| !d.is_empty());
        let swap = prefix_swap(rule);
        let prefix = to_origin(&swap, &prefix)?;
        // Resuming after a common prefix skips its keys.
        let mut done = false;
        let start_after = match &query.after {
            None => None,
            Some(a) => {
                let is_group = delimiter.as_deref().is_some_and(|d| {
                    a.starts_with(&query.prefix) && a.ends_with(d) && a.len() > query.prefix.len()
                });
                match to_origin(&swap, a) {
                    // After every key of the rule.
                    None => {
                        done = true;
                        None
                    }
                    Some(o) if o.is_empty() => None,
                    Some(o) if is_group => Some(format!("{o}{PAST}")),
                    Some(o) => Some(o),
                }
            }
        };
        Some(OriginCursor {
            client,
            store,
            bucket,
            config,
            rule,
            prefix,
            delimiter,
            start_after,
            token: None,
            page_size: query.max_keys.clamp(1, 1000),
            buffer: VecDeque::new(),
            done,
            swap,
            throttle: None,
        })
    }

    /// The cursor's page requests wait for `throttle` (a client's listing: ahead of jobs).
    pub fn throttled(mut self, throttle: std::sync::Arc<super::throttle::RuleThrottle>) -> Self {
        self.throttle = Some(throttle);
        self
    }

    async fn fill(&mut self) -> Result<(), S3Error> {
        let query = OriginListQuery {
            prefix: &self.prefix,
            delimiter: self.delimiter.as_deref(),
            start_after: self.start_after.as_deref(),
            token: self.token.as_deref(),
            max_keys: self.page_size,
        };
        let _admission = match &self.throttle {
            Some(throttle) => Some(throttle.admit(false).await),
            None => None,
        };
        let page = list_page(self.client, self.rule, &query)
            .await
            .map_err(|why| {
                S3Error::new(
                    crate::error::S3ErrorCode::ServiceUnavailable,
                    "The origin of this bucket could not be listed.",
                )
                .with_source(why)
            })?;
        for entry in page.entries {
            match entry {
                OriginEntry::Prefix(p) => {
                    if let Some(p) = to_local(&self.swap, p) {
                        self.buffer.push_back(Item::Prefix(p));
                    }
                }
                OriginEntry::Object {
                    key,
                    size,
                    etag,
                    last_modified,
                } => {
                    let Some(key) = to_local(&self.swap, key) else {
                        continue;
                    };
                    if self.belongs(&key)? {
                        self.buffer.push_back(Item::Object(Box::new(ObjectMeta {
                            key,
                            size,
                            etag,
                            last_modified,
                            attrs: Default::default(),
                            checksums: Vec::new(),
                            part_sizes: Vec::new(),
                            part_checksums: Vec::new(),
                            version_id: None,
                        })));
                    }
                }
            }
        }
        match page.next_token {
            Some(token) => self.token = Some(token),
            None => self.done = true,
        }
        Ok(())
    }

    /// Is an origin key listed: served by this rule, and not deleted locally?
    fn belongs(&self, key: &str) -> Result<bool, S3Error> {
        if self.config.rule_for(key).map(|r| r.priority) != Some(self.rule.priority) {
            return Ok(false);
        }
        if self.store.tombstone(self.bucket, key)?.is_some() {
            return Ok(false);
        }
        match self.store.head_object(self.bucket, key) {
            Err(storage::Error::DeleteMarker { .. }) => Ok(false),
            _ => Ok(true),
        }
    }
}

impl Cursor for OriginCursor<'_> {
    async fn peek(&mut self) -> Result<Option<&Item>, S3Error> {
        while self.buffer.is_empty() && !self.done {
            self.fill().await?;
        }
        Ok(self.buffer.front())
    }

    fn pop(&mut self) -> Option<Item> {
        self.buffer.pop_front()
    }

    fn skip_under(&mut self, prefix: &str) {
        if drop_under(&mut self.buffer, prefix) && !self.done {
            match to_origin(&self.swap, prefix) {
                Some(o) if !o.is_empty() => {
                    self.start_after = Some(format!("{o}{PAST}"));
                    self.token = None;
                }
                Some(_) => {}
                None => self.done = true,
            }
        }
    }
}

/// Either side, so one merge takes both.
pub enum Side<'a> {
    Local(LocalCursor),
    Origin(OriginCursor<'a>),
}

impl Cursor for Side<'_> {
    async fn peek(&mut self) -> Result<Option<&Item>, S3Error> {
        match self {
            Side::Local(c) => c.peek().await,
            Side::Origin(c) => c.peek().await,
        }
    }

    fn pop(&mut self) -> Option<Item> {
        match self {
            Side::Local(c) => c.pop(),
            Side::Origin(c) => c.pop(),
        }
    }

    fn skip_under(&mut self, prefix: &str) {
        match self {
            Side::Local(c) => c.skip_under(prefix),
            Side::Origin(c) => c.skip_under(prefix),
        }
    }
}

/// One page of `bucket`'s listing merged with its list-through origins, each origin's
/// pages asked when its rule's throttle (`throttle_of`) lets them go.
pub async fn list(
    client: &OriginClient,
    throttle_of: &(dyn Fn(&OriginRule) -> std::sync::Arc<super::throttle::RuleThrottle> + Sync),
    store: &Store,
    bucket: &str,
    config: &OriginConfiguration,
    query: &ListQuery,
) -> Result<ListPage, S3Error> {
    store.head_bucket(bucket)?;
    if query.max_keys == 0 {
        return Ok(ListPage::default());
    }
    let mut sides = vec![Side::Local(LocalCursor::new(store.clone(), bucket, query))];
    for rule in config.rules.iter().filter(|r| r.parameter.list_through) {
        if let Some(cursor) = OriginCursor::new(client, store, bucket, config, rule, query) {
            sides.push(Side::Origin(cursor.throttled(throttle_of(rule))));
        }
    }
    let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
    merge(&mut sides, &query.prefix, delimiter, query.max_keys).await
}

#[cfg(test)]
mod tests;
