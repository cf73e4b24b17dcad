//! The per-bucket origin configuration: stored as a bucket setting (the normalised XML),
//! parsed once and cached, so GETs neither read nor parse the stored document.
//!
//! [`BucketConfigs`] owns both the setting and the cache: [`BucketConfigs::set`] writes the
//! setting and invalidates the cache in one call, so no caller can do one and forget the other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use storage::Store;

use super::document::{self, OriginConfiguration};
use crate::error::S3Error;

/// Bucket setting holding the origin configuration (normalised XML).
pub const ORIGIN_SETTING: &str = "origin";

pub struct BucketConfigs {
    store: Store,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// `None`: the bucket has no origin.
    by_bucket: HashMap<String, Option<Arc<OriginConfiguration>>>,
    /// Bumped by every invalidation; a load that raced with one is not cached.
    generation: u64,
}

impl BucketConfigs {
    pub fn new(store: Store) -> BucketConfigs {
        BucketConfigs {
            store,
            cache: Mutex::new(Cache::default()),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The bucket's origin configuration, if it has one.
    pub fn get(&self, bucket: &str) -> Result<Option<Arc<OriginConfiguration>>, S3Error> {
        let generation = {
            let cache = self.cache();
            if let Some(config) = cache.by_bucket.get(bucket) {
                return Ok(config.clone());
            }
            cache.generation
        };
        let config = match self.store.bucket_setting(bucket, ORIGIN_SETTING) {
            Ok(Some(stored)) => Some(Arc::new(document::parse(&stored).map_err(|e| {
                S3Error::internal(format!(
                    "stored origin configuration of {bucket} does not parse: {e}"
                ))
            })?)),
            Ok(None) | Err(storage::Error::NoSuchBucket) => None,
            Err(e) => return Err(e.into()),
        };
        let mut cache = self.cache();
        if cache.generation == generation {
            cache.by_bucket.insert(bucket.to_owned(), config.clone());
        }
        Ok(config)
    }

    /// Replace (`Some`) or remove (`None`) the bucket's configuration, durably, then drop
    /// what is cached of it.
    pub async fn set(
        &self,
        bucket: &str,
        config: Option<&OriginConfiguration>,
    ) -> Result<(), S3Error> {
        let xml = config.map(|c| c.to_xml(false));
        let result = self
            .store
            .set_bucket_setting(bucket, ORIGIN_SETTING, xml.as_deref().map(str::as_bytes))
            .await;
        // Invalidate even on failure: the setting may or may not have been written.
        self.forget(bucket);
        result.map_err(S3Error::from)
    }

    /// Drop what is cached of the bucket (its configuration changed or it went away).
    pub fn forget(&self, bucket: &str) {
        let mut cache = self.cache();
        cache.by_bucket.remove(bucket);
        cache.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &[u8] = br#"<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404</HTTPStatusCode></OriginCondition><OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>"#;

    #[tokio::test]
    async fn set_is_seen_by_the_next_get_and_delete_removes_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), Default::default()).expect("opens");
        store
            .create_bucket("photos", "owner", "us-east-1")
            .await
            .expect("bucket");
        let configs = BucketConfigs::new(store.clone());
        assert!(configs.get("photos").expect("reads").is_none());
        // A miss is cached; a set must not leave it stale.
        let config = document::parse(DOC).expect("parses");
        configs.set("photos", Some(&config)).await.expect("sets");
        assert_eq!(
            configs.get("photos").expect("reads").as_deref(),
            Some(&config)
        );
        // It is what the store keeps, so a new cache (a restart) reads the same.
        let reopened = BucketConfigs::new(store.clone());
        assert_eq!(
            reopened.get("photos").expect("reads").as_deref(),
            Some(&config)
        );
        configs.set("photos", None).await.expect("deletes");
        assert!(configs.get("photos").expect("reads").is_none());
        assert!(configs.get("no-such-bucket").expect("reads").is_none());
    }
}
