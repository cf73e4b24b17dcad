//! The per-bucket origin configuration as a cached bucket setting (the normalised XML):
//! [`BucketConfigs`] is the generic [`CachedSetting`] of [`OriginConfiguration`].

use crate::bucket_setting::{CachedSetting, SettingDocument};

use super::document::{self, OriginConfiguration};

/// Bucket setting holding the origin configuration (normalised XML).
pub const ORIGIN_SETTING: &str = "origin";

pub type BucketConfigs = CachedSetting<OriginConfiguration>;

impl SettingDocument for OriginConfiguration {
    const SETTING: &'static str = ORIGIN_SETTING;

    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        document::parse(stored).map_err(|e| e.to_string())
    }

    fn to_stored(&self) -> Vec<u8> {
        self.to_xml(false).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use storage::Store;

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
        let settings = crate::bucket_setting::BucketSettings::local(store.clone());
        let configs = BucketConfigs::new(settings.clone());
        assert!(configs.get("photos").expect("reads").is_none());
        // A miss is cached; a set must not leave it stale.
        let config = document::parse(DOC).expect("parses");
        configs.set("photos", Some(&config)).await.expect("sets");
        assert_eq!(
            configs.get("photos").expect("reads").as_deref(),
            Some(&config)
        );
        // It is what the store keeps, so a new cache (a restart) reads the same.
        let reopened = BucketConfigs::new(settings);
        assert_eq!(
            reopened.get("photos").expect("reads").as_deref(),
            Some(&config)
        );
        configs.set("photos", None).await.expect("deletes");
        assert!(configs.get("photos").expect("reads").is_none());
        assert!(configs.get("no-such-bucket").expect("reads").is_none());
    }
}
