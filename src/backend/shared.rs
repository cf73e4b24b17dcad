//! Bucket settings shared by every node (cluster mode): what originstore keeps itself of a
//! bucket — its owner, origin rules, CORS, lifecycle, policy, ACL, ownership, tags — lives
//! at the cluster, in the bucket [`SETTINGS_BUCKET`] (after `bucket_prefix`):
//!
//! ```text
//! buckets/<bucket>/owner            the owner's access key
//! buckets/<bucket>/setting/<name>   the setting as the node stores it
//! ```
//!
//! - **A change is published first** ([`Publish`]): the node writes it to the cluster, then
//!   keeps it; a refusal there changes nothing here.
//! - **Every node follows the cluster** ([`Shared::sync`]): a pass every
//!   `settings_refresh_secs` lists `buckets/` (one listing for all buckets), fetches each
//!   setting whose cluster ETag differs from what the node last applied, removes what the
//!   cluster no longer has, and drops a bucket the cluster no longer has. A change made
//!   through one node reaches every other within one interval (plus the listing's time).
//! - **A bucket another node created is adopted** ([`Shared::adopt`]) the first time a
//!   request names it, with all its settings, before that request is answered.
//!
//! Settings changes and the pass exclude each other ([`BucketSettings::hold_changes`]), so
//! a pass never undoes a change it did not list.
//!
//! Users, groups and temporary credentials (the server-wide settings of
//! [`crate::users::Directory`]) are shared the same way, under `server/<name>`: published
//! first, followed by every node's pass ([`Shared::sync_server`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use storage::{DeleteCondition, ListQuery};

use super::{success, Backend, SETTINGS_BUCKET};
use crate::bucket_setting::{BucketSettings, Publish};
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::list::{parse_page, query_string, OriginEntry, OriginListQuery};

/// What the cluster holds of one bucket.
#[derive(Debug, Default)]
struct Listed {
    owner: bool,
    /// Setting name -> the cluster's ETag of it.
    settings: BTreeMap<String, String>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncPass {
    /// Buckets other nodes made, adopted here.
    pub adopted: u64,
    /// Settings fetched and kept, or removed.
    pub applied: u64,
    /// Buckets the cluster no longer has, dropped here.
    pub dropped: u64,
}

pub struct Shared {
    backend: Arc<Backend>,
    /// The cluster's ETag of each (bucket, setting) as this node last applied or published
    /// it: a listed ETag that differs means another node changed it.
    known: Mutex<HashMap<(String, String), String>>,
    /// Buckets this process saw recorded at the cluster: one of them missing from a later
    /// listing was deleted through another node, never a bucket to record again.
    seen: Mutex<std::collections::HashSet<String>>,
    /// The cluster's ETag of each server-wide setting as this node last applied or
    /// published it.
    known_server: Mutex<HashMap<String, String>>,
}

/// Where server-wide settings live at the cluster.
const SERVER_PREFIX: &str = "server/";

impl crate::users::PublishServer for Shared {
    fn publish<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a [u8]>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            self.publish_server_setting(name, value)
                .await
                .map_err(|e| e.source.unwrap_or(e.message))
        })
    }
}

impl Publish for Shared {
    fn publish<'a>(
        &'a self,
        bucket: &'a str,
        name: &'a str,
        value: Option<&'a [u8]>,
    ) -> Pin<Box<dyn Future<Output = Result<(), S3Error>> + Send + 'a>> {
        Box::pin(self.publish_setting(bucket, name, value))
    }
}

impl Shared {
    pub fn new(backend: Arc<Backend>) -> Arc<Shared> {
        Arc::new(Shared {
            backend,
            known: Mutex::new(HashMap::new()),
            seen: Mutex::default(),
            known_server: Mutex::new(HashMap::new()),
        })
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The settings bucket as the cluster names it.
    fn settings_bucket(&self) -> String {
        format!("{}{SETTINGS_BUCKET}", self.backend.settings.bucket_prefix)
    }

    fn url(&self, key: &str) -> String {
        self.backend
            .settings
            .url_of_cluster_bucket(&self.settings_bucket(), key)
    }

    /// Put `value` as `key` of the settings bucket (created on first use); its ETag.
    async fn put(&self, key: &str, value: &[u8]) -> Result<Option<String>, S3Error> {
        let put = || async {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(value.len()));
            let body = reqwest::Body::from(value.to_vec());
            self.backend
                .send(Method::PUT, &self.url(key), headers, Some(body))
                .await
        };
        let mut response = put().await?;
        if response.status() == StatusCode::NOT_FOUND {
            // The settings bucket does not exist yet: the first bucket of the cluster.
            let bucket = self.url("");
            self.backend
                .bodiless(Method::PUT, &bucket, S3ErrorCode::BucketAlreadyOwnedByYou)
                .await?;
            response = put().await?;
        }
        let response = success(response).await?;
        Ok(response
            .headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_owned()))
    }

    /// `key` of the settings bucket, if the cluster has it.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, S3Error> {
        let response = self
            .backend
            .send(Method::GET, &self.url(key), HeaderMap::new(), None)
            .await?;
        match success(response).await {
            Ok(response) => Ok(Some(response.bytes().await.map_err(S3Error::internal)?)),
            Err(e) if matches!(e.code, S3ErrorCode::NoSuchKey | S3ErrorCode::NoSuchBucket) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), S3Error> {
        self.backend
            .bodiless(Method::DELETE, &self.url(key), S3ErrorCode::NoSuchKey)
            .await
            .or_else(|e| match e.code {
                S3ErrorCode::NoSuchBucket => Ok(()),
                _ => Err(e),
            })
    }

    /// Every key under `prefix` of the settings bucket, with its ETag (none: the bucket
    /// does not exist yet).
    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, S3Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let query = query_string(&OriginListQuery {
                prefix,
                delimiter: None,
                start_after: None,
                token: token.as_deref(),
                max_keys: 1000,
            });
            let url = format!("{}?{query}", self.url(""));
            let response = self
                .backend
                .send(Method::GET, &url, HeaderMap::new(), None)
                .await?;
            let response = match success(response).await {
                Ok(response) => response,
                Err(e) if e.code == S3ErrorCode::NoSuchBucket => return Ok(out),
                Err(e) => return Err(e),
            };
            let body = response.text().await.map_err(S3Error::internal)?;
            let page = parse_page(&body).map_err(S3Error::internal)?;
            for entry in page.entries {
                if let OriginEntry::Object { key, etag, .. } = entry {
                    out.push((key, etag));
                }
            }
            match page.next_token {
                Some(next) => token = Some(next),
                None => return Ok(out),
            }
        }
    }

    async fn publish_setting(
        &self,
        bucket: &str,
        name: &str,
        value: Option<&[u8]>,
    ) -> Result<(), S3Error> {
        let key = format!("buckets/{bucket}/setting/{name}");
        let id = (bucket.to_owned(), name.to_owned());
        match value {
            Some(value) => {
                let etag = self.put(&key, value).await?;
                let mut known = self.known();
                match etag {
                    Some(etag) => known.insert(id, etag),
                    None => known.remove(&id),
                };
            }
            None => {
                self.delete(&key).await?;
                self.known().remove(&id);
            }
        }
        Ok(())
    }

    async fn publish_server_setting(
        &self,
        name: &str,
        value: Option<&[u8]>,
    ) -> Result<(), S3Error> {
        let key = format!("{SERVER_PREFIX}{name}");
        let known = |etag: Option<String>| {
            let mut known = self
                .known_server
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match etag {
                Some(etag) => known.insert(name.to_owned(), etag),
                None => known.remove(name),
            };
        };
        match value {
            Some(value) => known(self.put(&key, value).await?),
            None => {
                self.delete(&key).await?;
                known(None);
            }
        }
        Ok(())
    }

    /// Bring the node's users, groups and sessions to what the cluster holds; how many
    /// changed (the directory reads them again when any did).
    pub async fn sync_server(&self, store: &storage::Store) -> Result<u64, S3Error> {
        let listed: HashMap<String, String> = self
            .list(SERVER_PREFIX)
            .await?
            .into_iter()
            .filter_map(|(key, etag)| Some((key.strip_prefix(SERVER_PREFIX)?.to_owned(), etag)))
            .collect();
        let mut changed = 0;
        for (name, etag) in &listed {
            let current = self
                .known_server
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(name)
                .cloned();
            if current.as_ref() == Some(etag) {
                continue;
            }
            if let Some(value) = self.get(&format!("{SERVER_PREFIX}{name}")).await? {
                store.set_server_setting(name, Some(&value)).await?;
                self.known_server
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(name.clone(), etag.clone());
                changed += 1;
            }
        }
        // What the cluster no longer holds goes here too.
        for name in store.server_setting_names()? {
            let ours = crate::users::SHARED_PREFIXES
                .iter()
                .any(|p| name.starts_with(p));
            if ours && !listed.contains_key(&name) {
                store.set_server_setting(&name, None).await?;
                self.known_server
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&name);
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Record that `owner` (an access key) owns `bucket`, for every node.
    pub async fn record_owner(&self, bucket: &str, owner: &str) -> Result<(), S3Error> {
        self.put(&format!("buckets/{bucket}/owner"), owner.as_bytes())
            .await
            .map(drop)
    }

    /// The owner another node recorded for `bucket`, if any.
    pub async fn recorded_owner(&self, bucket: &str) -> Result<Option<String>, S3Error> {
        let owner = self.get(&format!("buckets/{bucket}/owner")).await?;
        Ok(owner
            .map(|o| String::from_utf8_lossy(&o).trim().to_owned())
            .filter(|o| !o.is_empty()))
    }

    /// The bucket was deleted at the cluster: remove what the cluster kept of it.
    pub async fn forget_bucket(&self, bucket: &str) -> Result<(), S3Error> {
        let prefix = format!("buckets/{bucket}/");
        for (key, _) in self.list(&prefix).await? {
            self.delete(&key).await?;
        }
        self.known().retain(|(b, _), _| b != bucket);
        Ok(())
    }

    /// A bucket this node does not have, named by a request: created here with its
    /// recorded owner and every setting the cluster holds of it, before the request goes
    /// on. Nothing happens for a bucket the cluster does not have either.
    pub async fn adopt(
        &self,
        settings: &BucketSettings,
        bucket: &str,
        region: &str,
    ) -> Result<(), S3Error> {
        let _held = settings.hold_changes().await;
        let store = settings.store();
        if store.head_bucket(bucket).is_ok() {
            return Ok(());
        }
        let recorded = self.recorded_owner(bucket).await?;
        let exists = self.backend.has_bucket(bucket).await?;
        let owner = match (recorded, exists) {
            (Some(owner), true) => owner,
            (None, false) => return Ok(()),
            // One without the other: the cluster node this node asks has not seen the new
            // bucket or its owner yet (engines spread new buckets within moments; Garage
            // was seen to), or the bucket is being deleted. Either settles: retry.
            _ => {
                return Err(S3Error::new(
                    S3ErrorCode::ServiceUnavailable,
                    "This bucket has not reached this node yet; please retry.",
                )
                .with_header("retry-after", "1"))
            }
        };
        let prefix = format!("buckets/{bucket}/setting/");
        let mut values = Vec::new();
        for (key, etag) in self.list(&prefix).await? {
            let name = &key[prefix.len()..];
            if let Some(value) = self.get(&key).await? {
                values.push((name.to_owned(), etag, value));
            }
        }
        match store.create_bucket(bucket, &owner, region).await {
            Ok(_) | Err(storage::Error::BucketAlreadyOwnedByYou) => {}
            Err(e) => return Err(e.into()),
        }
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(bucket.to_owned());
        for (name, etag, value) in values {
            if !settings.is_shared(&name) {
                continue;
            }
            settings.apply(bucket, &name, Some(&value)).await?;
            self.known().insert((bucket.to_owned(), name), etag);
        }
        Ok(())
    }

    /// Bring this node's buckets and their settings to what the cluster holds (buckets it
    /// adopts are in `region`).
    pub async fn sync(&self, settings: &BucketSettings, region: &str) -> Result<SyncPass, S3Error> {
        let _held = settings.hold_changes().await;
        let mut listed: BTreeMap<String, Listed> = BTreeMap::new();
        for (key, etag) in self.list("buckets/").await? {
            let Some((bucket, what)) = key
                .strip_prefix("buckets/")
                .and_then(|rest| rest.split_once('/'))
            else {
                continue;
            };
            let entry = listed.entry(bucket.to_owned()).or_default();
            if what == "owner" {
                entry.owner = true;
            } else if let Some(name) = what.strip_prefix("setting/") {
                entry.settings.insert(name.to_owned(), etag);
            }
        }
        let store = settings.store();
        let mut pass = SyncPass::default();
        let local: Vec<String> = store.list_buckets()?.into_iter().map(|b| b.name).collect();
        // Buckets other nodes made: every node holds every bucket.
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(
                listed
                    .iter()
                    .filter(|(_, l)| l.owner)
                    .map(|(b, _)| b.clone()),
            );
        for (bucket, cluster) in &listed {
            if cluster.owner
                && local.binary_search(bucket).is_err()
                && self.backend.has_bucket(bucket).await?
            {
                if let Some(owner) = self.recorded_owner(bucket).await? {
                    match store.create_bucket(bucket, &owner, region).await {
                        Ok(_) | Err(storage::Error::BucketAlreadyOwnedByYou) => pass.adopted += 1,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        for meta in store.list_buckets()? {
            let bucket = &meta.name;
            let Some(cluster) = listed.get(bucket).filter(|l| l.owner) else {
                let seen = self
                    .seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .contains(bucket);
                if !self.backend.has_bucket(bucket).await? {
                    if drop_bucket(settings, bucket).await? {
                        pass.dropped += 1;
                        self.known().retain(|(b, _), _| b != bucket);
                    }
                } else if !seen {
                    // A bucket the node had before it joined the cluster (or before owners
                    // were recorded): its settings become the cluster's, then its owner.
                    for name in store.bucket_setting_names(bucket)? {
                        if settings.is_shared(&name) {
                            let value = settings.get(bucket, &name)?;
                            self.publish_setting(bucket, &name, value.as_deref())
                                .await?;
                        }
                    }
                    self.record_owner(bucket, &meta.owner).await?;
                }
                continue;
            };
            for (name, etag) in &cluster.settings {
                let id = (bucket.clone(), name.clone());
                if !settings.is_shared(name) || self.known().get(&id) == Some(etag) {
                    continue;
                }
                let key = format!("buckets/{bucket}/setting/{name}");
                let value = self.get(&key).await?;
                settings.apply(bucket, name, value.as_deref()).await?;
                self.known().insert(id, etag.clone());
                pass.applied += 1;
            }
            for name in store.bucket_setting_names(bucket)? {
                if settings.is_shared(&name) && !cluster.settings.contains_key(&name) {
                    settings.apply(bucket, &name, None).await?;
                    self.known().remove(&(bucket.clone(), name));
                    pass.applied += 1;
                }
            }
        }
        Ok(pass)
    }
}

/// Drop a bucket the cluster no longer has: the copies cached here, then the bucket.
/// `false` when it is not empty yet (a fill committed meanwhile; the next pass retries).
pub async fn drop_bucket(settings: &BucketSettings, bucket: &str) -> Result<bool, S3Error> {
    let store = settings.store();
    let mut query = ListQuery {
        max_keys: 1000,
        ..Default::default()
    };
    loop {
        let page = store.list_objects(bucket, &query)?;
        for meta in &page.objects {
            match store
                .delete_if(bucket, &meta.key, None, false, &DeleteCondition::default())
                .await
            {
                Ok(_) | Err(storage::Error::NoSuchKey) => {}
                Err(e) => return Err(e.into()),
            }
        }
        match page.next_after {
            Some(after) if page.is_truncated => query.after = Some(after),
            _ => break,
        }
    }
    let dropped = match store.delete_bucket(bucket).await {
        Ok(()) => true,
        Err(storage::Error::NoSuchBucket | storage::Error::BucketNotEmpty) => false,
        Err(e) => return Err(e.into()),
    };
    settings.changed_elsewhere();
    Ok(dropped)
}

/// What the sync reads of its owner: the shared settings, the node's settings, the region
/// of the buckets it adopts, and its users.
pub type Parts<'a> = (
    &'a Shared,
    &'a BucketSettings,
    &'a str,
    &'a crate::users::Directory,
);

/// Bring the node's users, groups and sessions to the cluster's, and its directory with
/// them (read again only when something changed).
pub async fn sync_users(
    shared: &Shared,
    store: &storage::Store,
    directory: &crate::users::Directory,
) -> Result<u64, S3Error> {
    let changed = shared.sync_server(store).await?;
    if changed > 0 {
        directory
            .reload()
            .await
            .map_err(|e| S3Error::internal(format!("reading users again: {e:#}")))?;
    }
    Ok(changed)
}

/// Run [`Shared::sync`] every `every` for as long as `owner` lives.
pub fn spawn<S: Send + Sync + 'static>(
    owner: &Arc<S>,
    every: Duration,
    parts: for<'a> fn(&'a S) -> Option<Parts<'a>>,
) {
    let weak: Weak<S> = Arc::downgrade(owner);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(owner) = weak.upgrade() else { return };
            let Some((shared, settings, region, directory)) = parts(&owner) else {
                return;
            };
            match sync_users(shared, settings.store(), directory).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(changed = n, "users synced from the cluster"),
                Err(e) => tracing::warn!(error = %e, "users sync failed"),
            }
            match shared.sync(settings, region).await {
                Ok(pass) if pass != SyncPass::default() => {
                    tracing::info!(?pass, "bucket settings synced from the cluster")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "bucket settings sync failed"),
            }
        }
    });
}
