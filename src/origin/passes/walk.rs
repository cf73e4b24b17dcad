//! The walk of a pass: the origin's listing under one rule (signed ListObjectsV2) and the
//! bucket's, merged in key order, a page from each side at a time — neither side is ever
//! held whole. Each step is a [`Pair`]: a key with what the origin lists of it and the
//! local object of it, either possibly absent. Keys another rule serves are left out, on
//! both sides. Resumes strictly after a key (the checkpoint), on both sides alike.

use std::collections::VecDeque;

use storage::{ListQuery, ObjectMeta, Store};

use crate::error::S3Error;
use crate::origin::document::{OriginConfiguration, OriginRule};
use crate::origin::engine::OriginEngine;
use crate::origin::list::{list_page, OriginEntry, OriginListQuery};

/// One origin object as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub size: u64,
    /// Unquoted.
    pub etag: String,
}

/// A key of the walk.
#[derive(Debug, Clone)]
pub struct Pair {
    pub key: String,
    pub origin: Option<Listed>,
    pub local: Option<ObjectMeta>,
}

pub struct Walk {
    rule: OriginRule,
    prefix: String,
    origin: VecDeque<(String, Listed)>,
    origin_after: Option<String>,
    origin_token: Option<String>,
    origin_done: bool,
    local: VecDeque<ObjectMeta>,
    local_after: Option<String>,
    local_done: bool,
}

/// Entries fetched per page from each side.
const PAGE: usize = 1000;

impl Walk {
    /// The walk of `rule`'s keys under `prefix`, after `after` (exclusive).
    pub fn new(rule: &OriginRule, prefix: &str, after: Option<String>) -> Walk {
        // The narrower of the request's prefix and the rule's.
        let rule_prefix = rule.condition.prefix.as_str();
        let prefix = if rule_prefix.starts_with(prefix) {
            rule_prefix
        } else {
            prefix
        };
        Walk {
            rule: rule.clone(),
            prefix: prefix.to_owned(),
            origin: VecDeque::new(),
            origin_after: after.clone(),
            origin_token: None,
            origin_done: false,
            local: VecDeque::new(),
            local_after: after,
            local_done: false,
        }
    }

    /// Whether `key` is this walk's: under its prefix and served by its rule.
    fn ours(&self, config: &OriginConfiguration, key: &str) -> bool {
        key.starts_with(&self.prefix)
            && config.rule_for(key).map(|r| r.priority) == Some(self.rule.priority)
    }

    async fn fill_origin(
        &mut self,
        engine: &OriginEngine,
        bucket: &str,
        config: &OriginConfiguration,
    ) -> Result<(), S3Error> {
        while self.origin.is_empty() && !self.origin_done {
            // A listing is an origin request like any other: the rule's throttle decides
            // when it goes (after client misses).
            let _admission = engine.throttle(bucket, &self.rule).admit(true).await;
            let query = OriginListQuery {
                prefix: &self.prefix,
                delimiter: None,
                start_after: self.origin_after.as_deref(),
                token: self.origin_token.as_deref(),
                max_keys: PAGE,
            };
            let page = list_page(engine.client(), &self.rule, &query)
                .await
                .map_err(|why| {
                    S3Error::internal("the origin could not be listed").with_source(why)
                })?;
            for entry in page.entries {
                if let OriginEntry::Object {
                    key, size, etag, ..
                } = entry
                {
                    if self.ours(config, &key) {
                        self.origin.push_back((key, Listed { size, etag }));
                    }
                }
            }
            match page.next_token {
                Some(token) => self.origin_token = Some(token),
                None => self.origin_done = true,
            }
        }
        Ok(())
    }

    fn fill_local(
        &mut self,
        store: &Store,
        bucket: &str,
        config: &OriginConfiguration,
    ) -> Result<(), S3Error> {
        while self.local.is_empty() && !self.local_done {
            let page = store.list_objects(
                bucket,
                &ListQuery {
                    prefix: self.prefix.clone(),
                    delimiter: None,
                    after: self.local_after.clone(),
                    max_keys: PAGE,
                },
            )?;
            for meta in page.objects {
                self.local_after = Some(meta.key.clone());
                if self.ours(config, &meta.key) {
                    self.local.push_back(meta);
                }
            }
            if !page.is_truncated {
                self.local_done = true;
            }
        }
        Ok(())
    }

    /// Up to `n` pairs, in key order; empty when both sides are done.
    pub async fn next_batch(
        &mut self,
        engine: &OriginEngine,
        bucket: &str,
        config: &OriginConfiguration,
        n: usize,
    ) -> Result<Vec<Pair>, S3Error> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            self.fill_origin(engine, bucket, config).await?;
            self.fill_local(engine.store(), bucket, config)?;
            let origin_key = self.origin.front().map(|(k, _)| k.as_str());
            let local_key = self.local.front().map(|m| m.key.as_str());
            // The smaller key goes first; a key on both sides goes as one pair.
            let (take_origin, take_local) = match (origin_key, local_key) {
                (Some(o), Some(l)) => (o <= l, l <= o),
                (o, l) => (o.is_some(), l.is_some()),
            };
            let origin = take_origin.then(|| self.origin.pop_front()).flatten();
            let local = take_local.then(|| self.local.pop_front()).flatten();
            let key = match (&origin, &local) {
                (Some((key, _)), _) => key.clone(),
                (None, Some(meta)) => meta.key.clone(),
                (None, None) => break,
            };
            let pair = Pair {
                key,
                origin: origin.map(|(_, listed)| listed),
                local,
            };
            out.push(pair);
        }
        Ok(out)
    }
}
