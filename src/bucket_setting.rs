//! Bucket settings (the origin configuration, lifecycle, CORS, policy, ACL, ...): stored by
//! the storage crate as bytes under a name, through [`BucketSettings`], and each document
//! parsed once and cached by a [`CachedSetting`], so requests neither read nor parse the
//! stored document.
//!
//! [`CachedSetting`] owns both the setting and the cache: [`CachedSetting::set`] writes the
//! setting and invalidates the cache in one call, so no caller can do one and forget the other.
//!
//! In cluster mode the settings are the cluster's, shared by every node: a change is
//! [`Publish`]ed to the cluster before the node keeps it, and what other nodes changed
//! arrives through [`BucketSettings::apply`], which drops every cache's documents (an epoch
//! each cache checks on every read).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use storage::Store;

use crate::error::S3Error;

/// Where a node's bucket-setting changes go before it keeps them: the cluster (cluster mode).
pub trait Publish: Send + Sync {
    /// Make `value` (`None`: none) the bucket's setting `name` for every node.
    fn publish<'a>(
        &'a self,
        bucket: &'a str,
        name: &'a str,
        value: Option<&'a [u8]>,
    ) -> Pin<Box<dyn Future<Output = Result<(), S3Error>> + Send + 'a>>;
}

/// The buckets' settings as stored, shared by every [`CachedSetting`].
pub struct BucketSettings {
    store: Store,
    publish: Option<Arc<dyn Publish>>,
    /// Bumped when settings changed under the caches (applied from the cluster).
    epoch: AtomicU64,
    /// Held by a change and by the cluster sync, so a sync never undoes a change it did not
    /// list.
    changes: tokio::sync::Mutex<()>,
    /// The settings that are each node's own ([`SettingDocument::SHARED`] false).
    node_local: std::sync::Mutex<Vec<&'static str>>,
}

impl BucketSettings {
    /// A single node's settings: its own.
    pub fn local(store: Store) -> Arc<BucketSettings> {
        BucketSettings::new(store, None)
    }

    /// Settings whose changes are published first (`Some`: cluster mode).
    pub fn new(store: Store, publish: Option<Arc<dyn Publish>>) -> Arc<BucketSettings> {
        Arc::new(BucketSettings {
            store,
            publish,
            epoch: AtomicU64::new(0),
            changes: tokio::sync::Mutex::new(()),
            node_local: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Whether every node of a cluster shares the setting `name` (unless a
    /// [`CachedSetting`] of a node-local document says otherwise, all do).
    pub fn is_shared(&self, name: &str) -> bool {
        !self
            .node_local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&name)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The bucket's setting `name`, as stored here (a missing bucket has none).
    pub fn get(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>, S3Error> {
        match self.store.bucket_setting(bucket, name) {
            Ok(value) => Ok(value),
            Err(storage::Error::NoSuchBucket) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Replace (`Some`) or remove (`None`) the bucket's setting `name`, durably: published
    /// first when it is `shared` and the node is in a cluster, so that a refusal there
    /// changes nothing here.
    pub async fn set(
        &self,
        bucket: &str,
        name: &str,
        value: Option<&[u8]>,
        shared: bool,
    ) -> Result<(), S3Error> {
        let _change = self.changes.lock().await;
        if let Some(publish) = self.publish.as_ref().filter(|_| shared) {
            // The bucket must exist here: a setting of a missing one is NoSuchBucket.
            self.store.head_bucket(bucket)?;
            publish.publish(bucket, name, value).await?;
        }
        self.store
            .set_bucket_setting(bucket, name, value)
            .await
            .map_err(S3Error::from)
    }

    /// Hold off changes (the cluster sync, while it lists and applies what it found).
    pub async fn hold_changes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.changes.lock().await
    }

    /// Keep what the cluster holds of the bucket's setting `name` (the caller holds
    /// [`BucketSettings::hold_changes`]); every cache forgets what it parsed.
    pub async fn apply(
        &self,
        bucket: &str,
        name: &str,
        value: Option<&[u8]>,
    ) -> Result<(), storage::Error> {
        let result = self.store.set_bucket_setting(bucket, name, value).await;
        self.changed_elsewhere();
        result
    }

    /// Settings changed under the caches (a setting applied from the cluster, a bucket
    /// dropped): every cache forgets what it parsed.
    pub fn changed_elsewhere(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }
}

/// A document stored as a bucket setting.
pub trait SettingDocument: Sized + Send + Sync + 'static {
    /// The bucket setting's name.
    const SETTING: &'static str;
    /// Whether every node of a cluster shares it (not: a node's own work, such as a
    /// backfill job's progress).
    const SHARED: bool = true;
    /// Parse what [`SettingDocument::to_stored`] wrote.
    fn parse_stored(stored: &[u8]) -> Result<Self, String>;
    fn to_stored(&self) -> Vec<u8>;
}

pub struct CachedSetting<T> {
    settings: Arc<BucketSettings>,
    /// Read on every request that needs the document; written on a miss or a change.
    cache: RwLock<Cache<T>>,
}

struct Cache<T> {
    /// `None`: the bucket has no such document.
    by_bucket: HashMap<String, Option<Arc<T>>>,
    /// Bumped by every invalidation; a load that raced with one is not cached.
    generation: u64,
    /// The [`BucketSettings`] epoch the documents were read in.
    epoch: u64,
}

impl<T: SettingDocument> CachedSetting<T> {
    pub fn new(settings: Arc<BucketSettings>) -> CachedSetting<T> {
        if !T::SHARED {
            settings
                .node_local
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(T::SETTING);
        }
        CachedSetting {
            cache: RwLock::new(Cache {
                by_bucket: HashMap::new(),
                generation: 0,
                epoch: settings.epoch(),
            }),
            settings,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Cache<T>> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Cache<T>> {
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The bucket's document, if it has one (a missing bucket has none).
    pub fn get(&self, bucket: &str) -> Result<Option<Arc<T>>, S3Error> {
        let epoch = self.settings.epoch();
        let generation = {
            let cache = self.read();
            if cache.epoch == epoch {
                if let Some(doc) = cache.by_bucket.get(bucket) {
                    return Ok(doc.clone());
                }
            }
            cache.generation
        };
        let doc = match self.settings.get(bucket, T::SETTING)? {
            Some(stored) => Some(Arc::new(T::parse_stored(&stored).map_err(|e| {
                S3Error::internal(format!(
                    "stored {} setting of {bucket} does not parse: {e}",
                    T::SETTING
                ))
            })?)),
            None => None,
        };
        let mut cache = self.write();
        if cache.epoch != epoch {
            // Settings changed under this cache since it last read: start again.
            cache.by_bucket.clear();
            cache.epoch = epoch;
            cache.generation += 1;
        } else if cache.generation == generation && self.settings.epoch() == epoch {
            cache.by_bucket.insert(bucket.to_owned(), doc.clone());
        }
        Ok(doc)
    }

    /// Replace (`Some`) or remove (`None`) the bucket's document, durably, then drop what is
    /// cached of it.
    pub async fn set(&self, bucket: &str, doc: Option<&T>) -> Result<(), S3Error> {
        let stored = doc.map(T::to_stored);
        let result = self
            .settings
            .set(bucket, T::SETTING, stored.as_deref(), T::SHARED)
            .await;
        // Invalidate even on failure: the setting may or may not have been written.
        self.forget(bucket);
        result
    }

    /// Drop what is cached of the bucket (its document changed or it went away).
    pub fn forget(&self, bucket: &str) {
        let mut cache = self.write();
        cache.by_bucket.remove(bucket);
        cache.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Doc(Vec<u8>);

    impl SettingDocument for Doc {
        const SETTING: &'static str = "doc";
        fn parse_stored(stored: &[u8]) -> Result<Self, String> {
            Ok(Doc(stored.to_vec()))
        }
        fn to_stored(&self) -> Vec<u8> {
            self.0.clone()
        }
    }

    struct Local;

    impl SettingDocument for Local {
        const SETTING: &'static str = "mine";
        const SHARED: bool = false;
        fn parse_stored(_: &[u8]) -> Result<Self, String> {
            Ok(Local)
        }
        fn to_stored(&self) -> Vec<u8> {
            Vec::new()
        }
    }

    #[tokio::test]
    async fn what_the_cluster_changes_is_what_every_cache_reads_next() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), Default::default()).expect("store");
        store
            .create_bucket("bkt", "owner", "us-east-1")
            .await
            .expect("bucket");
        let settings = BucketSettings::local(store);
        let docs: CachedSetting<Doc> = CachedSetting::new(settings.clone());
        docs.set("bkt", Some(&Doc(b"one".to_vec())))
            .await
            .expect("set");
        assert_eq!(docs.get("bkt").expect("get").expect("doc").0, b"one");
        // Applied from the cluster: the cache must not keep serving "one".
        settings
            .apply("bkt", "doc", Some(b"two"))
            .await
            .expect("apply");
        assert_eq!(docs.get("bkt").expect("get").expect("doc").0, b"two");
        settings.apply("bkt", "doc", None).await.expect("apply");
        assert!(docs.get("bkt").expect("get").is_none());
        // Which settings a cluster shares: all but those a document says are its own.
        let _mine: CachedSetting<Local> = CachedSetting::new(settings.clone());
        assert!(settings.is_shared("doc"));
        assert!(!settings.is_shared("mine"));
    }
}
