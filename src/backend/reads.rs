//! The origin configuration a cluster node's reads follow, per bucket: the cluster's own
//! rule first (priority [`CLUSTER_PRIORITY`]: every miss is pulled from the cluster, kept,
//! revalidated), then the bucket's stored rules, which a miss the cluster cannot fill falls
//! back on. Made once per bucket and stored configuration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Addressing, Backend};
use crate::error::S3Error;
use crate::origin::document::{self, OriginConfiguration, CLUSTER_PRIORITY};

/// Per bucket: the stored configuration a read configuration was made from, and it.
pub(super) type ReadConfigs =
    Mutex<HashMap<String, (Option<Arc<OriginConfiguration>>, Arc<OriginConfiguration>)>>;

impl Backend {
    /// The configuration `bucket`'s reads follow: the cluster's rule first (priority
    /// [`CLUSTER_PRIORITY`]), then the bucket's `stored` rules, which a miss falls back on
    /// when the cluster lacks the key (their listings are the cluster's: what they pull is
    /// written through to it). Made once per bucket and stored configuration.
    pub fn origin_config(
        &self,
        bucket: &str,
        stored: Option<&Arc<OriginConfiguration>>,
    ) -> Result<Arc<OriginConfiguration>, S3Error> {
        let mut made = self
            .read_configs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((from, config)) = made.get(bucket) {
            let same = match (from, stored) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            if same {
                return Ok(config.clone());
            }
        }
        let mut config = (*self.cluster_config(bucket)?).clone();
        if let Some(stored) = stored {
            config.rules.extend(stored.rules.iter().map(|rule| {
                let mut rule = rule.clone();
                rule.parameter.list_through = false;
                rule
            }));
        }
        let config = Arc::new(config);
        made.insert(bucket.to_owned(), (stored.cloned(), config.clone()));
        Ok(config)
    }

    /// The rule that makes the cluster `bucket`'s origin: every miss is pulled from it and
    /// kept, revalidated once older than `revalidate_after_secs`, dropped when the cluster
    /// no longer has it.
    fn cluster_config(&self, bucket: &str) -> Result<Arc<OriginConfiguration>, S3Error> {
        let s = &self.settings;
        let host = match s.addressing {
            Addressing::Path => format!("{}/{}", s.authority(), s.cluster_bucket(bucket)),
            Addressing::Virtual => format!("{}.{}", s.cluster_bucket(bucket), s.authority()),
        };
        let esc = |t: &str| quick_xml::escape::escape(t).into_owned();
        let xml = format!(
            "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority>\
             <OriginType>Mirror</OriginType>\
             <OriginCondition><HTTPStatusCode>404</HTTPStatusCode></OriginCondition>\
             <OriginParameter><Protocol>{protocol}</Protocol>\
             <FollowQueryString>false</FollowQueryString>\
             <FollowRedirection>false</FollowRedirection>\
             <CopyOriginData>true</CopyOriginData>\
             <Freshness><MaxAgeSeconds>{max_age}</MaxAgeSeconds>\
             <OnOriginDelete>Delete</OnOriginDelete></Freshness>\
             <ListThrough>true</ListThrough></OriginParameter>\
             <OriginInfo><HostInfo><PrivateHost><Host>{host}</Host><CredentialProvider>\
             <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>\
             <Region>{region}</Region><SecretId>{id}</SecretId><SecretKey>{key}</SecretKey>\
             </CredentialProvider></PrivateHost></HostInfo></OriginInfo>\
             </OriginRule></OriginConfiguration>",
            protocol = if s.https() { "HTTPS" } else { "HTTP" },
            max_age = s.revalidate_after_secs.max(1),
            host = esc(&host),
            region = esc(&s.region),
            id = esc(&s.access_key),
            key = esc(&s.secret_key),
        );
        let mut config = document::parse(xml.as_bytes())
            .map_err(|e| S3Error::internal(format!("the backend's origin rule: {e}")))?;
        for rule in &mut config.rules {
            rule.priority = CLUSTER_PRIORITY;
        }
        Ok(Arc::new(config))
    }
}
