//! A per-bucket document kept as a bucket setting (the origin configuration, the lifecycle
//! configuration): stored by the storage crate as bytes, parsed once and cached, so requests
//! neither read nor parse the stored document.
//!
//! [`CachedSetting`] owns both the setting and the cache: [`CachedSetting::set`] writes the
//! setting and invalidates the cache in one call, so no caller can do one and forget the other.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use storage::Store;

use crate::error::S3Error;

/// A document stored as a bucket setting.
pub trait SettingDocument: Sized + Send + Sync + 'static {
    /// The bucket setting's name.
    const SETTING: &'static str;
    /// Parse what [`SettingDocument::to_stored`] wrote.
    fn parse_stored(stored: &[u8]) -> Result<Self, String>;
    fn to_stored(&self) -> Vec<u8>;
}

pub struct CachedSetting<T> {
    store: Store,
    /// Read on every request that needs the document; written on a miss or a change.
    cache: RwLock<Cache<T>>,
}

struct Cache<T> {
    /// `None`: the bucket has no such document.
    by_bucket: HashMap<String, Option<Arc<T>>>,
    /// Bumped by every invalidation; a load that raced with one is not cached.
    generation: u64,
}

impl<T: SettingDocument> CachedSetting<T> {
    pub fn new(store: Store) -> CachedSetting<T> {
        CachedSetting {
            store,
            cache: RwLock::new(Cache {
                by_bucket: HashMap::new(),
                generation: 0,
            }),
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
        let generation = {
            let cache = self.read();
            if let Some(doc) = cache.by_bucket.get(bucket) {
                return Ok(doc.clone());
            }
            cache.generation
        };
        let doc = match self.store.bucket_setting(bucket, T::SETTING) {
            Ok(Some(stored)) => Some(Arc::new(T::parse_stored(&stored).map_err(|e| {
                S3Error::internal(format!(
                    "stored {} setting of {bucket} does not parse: {e}",
                    T::SETTING
                ))
            })?)),
            Ok(None) | Err(storage::Error::NoSuchBucket) => None,
            Err(e) => return Err(e.into()),
        };
        let mut cache = self.write();
        if cache.generation == generation {
            cache.by_bucket.insert(bucket.to_owned(), doc.clone());
        }
        Ok(doc)
    }

    /// Replace (`Some`) or remove (`None`) the bucket's document, durably, then drop what is
    /// cached of it.
    pub async fn set(&self, bucket: &str, doc: Option<&T>) -> Result<(), S3Error> {
        let stored = doc.map(T::to_stored);
        let result = self
            .store
            .set_bucket_setting(bucket, T::SETTING, stored.as_deref())
            .await;
        // Invalidate even on failure: the setting may or may not have been written.
        self.forget(bucket);
        result.map_err(S3Error::from)
    }

    /// Drop what is cached of the bucket (its document changed or it went away).
    pub fn forget(&self, bucket: &str) {
        let mut cache = self.write();
        cache.by_bucket.remove(bucket);
        cache.generation += 1;
    }
}
