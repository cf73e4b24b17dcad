//! Temporary credentials (STS AssumeRole): an access key, a secret and a session token that
//! act as the identity that asked for them, until an expiry, narrowed by an optional session
//! policy. Without roles, a user assumes itself (its own rights, never more), as MinIO does.
//!
//! Each session is a server-wide setting (`session/<access key>`, JSON: the secret sealed,
//! the token only as its SHA-256), so it survives a restart; expired ones are dropped when
//! the next session is made and at start.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use storage::Store;

use super::seal::Sealer;
use crate::access::BucketPolicy;

/// Where a session is kept: the server-wide setting `session/<access key>`.
const PREFIX: &str = "session/";
/// AssumeRole's bounds on `DurationSeconds`, and its default.
pub const MIN_DURATION: u64 = 900;
pub const MAX_DURATION: u64 = 12 * 3600;
pub const DEFAULT_DURATION: u64 = 3600;

#[derive(Serialize, Deserialize, Clone)]
struct SessionRecord {
    access_key: String,
    identity: String,
    sealed_secret: String,
    /// Hex SHA-256 of the session token.
    token_sha256: String,
    /// Seconds since the epoch.
    expires: u64,
    /// The session policy, as given.
    policy: Option<String>,
}

/// A live (or expired) session, as requests are checked against it.
#[derive(Clone)]
pub struct Session {
    pub identity: String,
    pub secret: String,
    token_sha256: [u8; 32],
    pub expires: u64,
    pub policy: Option<Arc<BucketPolicy>>,
}

impl Session {
    /// Is `token` this session's token?
    pub fn token_matches(&self, token: &str) -> bool {
        let hash: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        crate::auth::sigv4::constant_time_eq(&hash, &self.token_sha256)
    }

    pub fn expired(&self, now: u64) -> bool {
        now >= self.expires
    }
}

/// Credentials just issued: the only time the secret and token are shown.
#[derive(Clone)]
pub struct NewSession {
    pub access_key: String,
    pub secret_key: String,
    pub token: String,
    pub expires: u64,
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random(alphabet: &[u8], n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// Every session the store holds.
#[derive(Default)]
pub struct Sessions {
    table: RwLock<HashMap<String, Session>>,
}

impl Sessions {
    fn open_record(sealer: &Sealer, record: &SessionRecord) -> anyhow::Result<Session> {
        let mut token_sha256 = [0u8; 32];
        hex::decode_to_slice(&record.token_sha256, &mut token_sha256)?;
        let policy = match &record.policy {
            Some(text) => Some(Arc::new(
                BucketPolicy::parse_identity(text).map_err(|e| anyhow::anyhow!(e.message))?,
            )),
            None => None,
        };
        Ok(Session {
            identity: record.identity.clone(),
            secret: sealer.open(&record.access_key, &record.sealed_secret)?,
            token_sha256,
            expires: record.expires,
            policy,
        })
    }

    /// The sessions in `store` still live (expired ones are removed).
    pub async fn load(store: &Store, sealer: &Sealer) -> anyhow::Result<Sessions> {
        let now = now_secs();
        let mut table = HashMap::new();
        for name in store.server_setting_names()? {
            if !name.starts_with(PREFIX) {
                continue;
            }
            let Some(raw) = store.server_setting(&name)? else {
                continue;
            };
            let record: SessionRecord = serde_json::from_slice(&raw)?;
            if record.expires <= now {
                store.set_server_setting(&name, None).await?;
                continue;
            }
            table.insert(
                record.access_key.clone(),
                Self::open_record(sealer, &record)?,
            );
        }
        Ok(Sessions {
            table: RwLock::new(table),
        })
    }

    pub fn get(&self, access_key: &str) -> Option<Session> {
        self.table
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(access_key)
            .cloned()
    }

    /// Make credentials acting as `identity` for `duration` seconds, narrowed by `policy`
    /// (its text, already validated): the credentials, and the record to keep under its
    /// setting name (the caller keeps it, then [`Sessions::insert`]s the session).
    pub fn prepare(
        sealer: &Sealer,
        identity: &str,
        duration: u64,
        policy: Option<&str>,
    ) -> anyhow::Result<(NewSession, String, Vec<u8>, Session)> {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        // Letters and digits only: the token travels in headers and in presigned URLs.
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let now = now_secs();
        let access_key = format!("OT{}", random(UPPER, 18));
        let secret = random(B64, 40);
        let token = random(ALNUM, 96);
        let record = SessionRecord {
            access_key: access_key.clone(),
            identity: identity.to_owned(),
            sealed_secret: sealer.seal(&access_key, &secret)?,
            token_sha256: hex::encode(sha2::Sha256::digest(token.as_bytes())),
            expires: now + duration,
            policy: policy.map(str::to_owned),
        };
        let session = Self::open_record(sealer, &record)?;
        let issued = NewSession {
            access_key: access_key.clone(),
            secret_key: secret,
            token,
            expires: record.expires,
        };
        Ok((
            issued,
            format!("{PREFIX}{access_key}"),
            serde_json::to_vec(&record)?,
            session,
        ))
    }

    pub fn insert(&self, access_key: &str, session: Session) {
        self.table
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(access_key.to_owned(), session);
    }

    /// Drop the sessions expired at `now`; their setting names, to remove.
    pub fn prune(&self, now: u64) -> Vec<String> {
        let mut table = self
            .table
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let gone: Vec<String> = table
            .iter()
            .filter(|(_, s)| s.expired(now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &gone {
            table.remove(key);
        }
        gone.into_iter().map(|k| format!("{PREFIX}{k}")).collect()
    }

    /// Take `other`'s sessions (read again from the store).
    pub fn replace(&self, other: Sessions) {
        let fresh = other
            .table
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *self
            .table
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
    }
}
