//! Where an object write goes through to before it is acknowledged: in cluster mode, the
//! cluster; on a single node, the old store of the bucket's origin rule for the key when
//! that rule says `WriteThrough` (a reversible migration); else nowhere (the node's own
//! write). One [`Backend`] per old store, made on first use and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Backend;
use crate::config::OriginSettings;
use crate::error::S3Error;
use crate::origin::document::{OriginConfiguration, OriginRule};

pub struct WriteTargets {
    cluster: Option<Arc<Backend>>,
    origin: OriginSettings,
    /// The old stores of `WriteThrough` rules, by what identifies one (protocol, host and
    /// credentials).
    stores: Mutex<HashMap<String, Arc<Backend>>>,
}

impl WriteTargets {
    pub fn new(cluster: Option<Arc<Backend>>, origin: &OriginSettings) -> WriteTargets {
        WriteTargets {
            cluster,
            origin: origin.clone(),
            stores: Mutex::new(HashMap::new()),
        }
    }

    /// The target of a write of `key` in a bucket whose stored origin configuration is
    /// `config`.
    pub fn for_key(
        &self,
        config: Option<&OriginConfiguration>,
        key: &str,
    ) -> Result<Option<Arc<Backend>>, S3Error> {
        if let Some(cluster) = &self.cluster {
            return Ok(Some(cluster.clone()));
        }
        match config.and_then(|c| c.rule_for(key)) {
            Some(rule) if rule.parameter.write_through => self.store(rule).map(Some),
            _ => Ok(None),
        }
    }

    fn store(&self, rule: &OriginRule) -> Result<Arc<Backend>, S3Error> {
        let id = rule
            .hosts
            .first()
            .and_then(|h| h.private_host.as_ref())
            .map(|p| {
                format!(
                    "{:?} {} {} {} {}",
                    rule.parameter.protocol,
                    p.host,
                    p.credentials.region,
                    p.credentials.secret_id,
                    p.credentials.secret_key
                )
            })
            .unwrap_or_default();
        let mut stores = self
            .stores
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(store) = stores.get(&id) {
            return Ok(store.clone());
        }
        let store = Arc::new(Backend::for_store(rule, &self.origin)?);
        stores.insert(id, store.clone());
        Ok(store)
    }
}
