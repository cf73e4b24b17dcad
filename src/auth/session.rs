//! Console sessions: signing in checks an access key and its secret once; the browser then
//! holds only a random session id in an `HttpOnly`, `SameSite=Strict` cookie, and the page
//! a CSRF token it sends back in `x-csrf-token` on every state-changing request.
//!
//! Sessions are kept in the metadata store as server-wide settings
//! (`console-session/<SHA-256 of the id>`: the id itself is never stored, so reading the
//! store does not let anyone act as a signed-in user), so they survive a restart; a memory
//! table in front answers every request. Expired sessions are dropped at start and when the
//! next one is opened.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use storage::Store;

/// How long a session lasts without being renewed by a new sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
pub const COOKIE: &str = "originstore_session";
/// Where a session is kept: the server-wide setting `console-session/<hash of its id>`.
const PREFIX: &str = "console-session/";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub access_key: String,
    pub csrf: String,
    /// Seconds since the epoch.
    expires: u64,
}

impl Session {
    fn live(&self, now: u64) -> bool {
        self.expires > now
    }
}

/// The live console sessions, by the hash of their id.
pub struct Sessions {
    store: Store,
    by_hash: RwLock<HashMap<String, Session>>,
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

fn hash_of(id: &str) -> String {
    hex::encode(sha2::Sha256::digest(id.as_bytes()))
}

fn now_secs() -> u64 {
    crate::users::sessions::now_secs()
}

impl Sessions {
    /// The sessions `store` holds (expired ones are removed).
    pub async fn load(store: Store) -> anyhow::Result<Sessions> {
        let now = now_secs();
        let mut table = HashMap::new();
        for name in store.server_setting_names()? {
            let Some(hash) = name.strip_prefix(PREFIX) else {
                continue;
            };
            let Some(raw) = store.server_setting(&name)? else {
                continue;
            };
            match serde_json::from_slice::<Session>(&raw) {
                Ok(session) if session.live(now) => {
                    table.insert(hash.to_owned(), session);
                }
                _ => store.set_server_setting(&name, None).await?,
            }
        }
        Ok(Sessions {
            store,
            by_hash: RwLock::new(table),
        })
    }

    fn table(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Session>> {
        self.by_hash
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn table_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Session>> {
        self.by_hash
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new session for `access_key`, stored durably: its id (the cookie) and the session.
    pub async fn open(&self, access_key: &str) -> Result<(String, Session), storage::Error> {
        let id = random_token();
        let now = now_secs();
        let session = Session {
            access_key: access_key.to_owned(),
            csrf: random_token(),
            expires: now + SESSION_LIFETIME.as_secs(),
        };
        let expired: Vec<String> = self
            .table()
            .iter()
            .filter(|(_, s)| !s.live(now))
            .map(|(h, _)| h.clone())
            .collect();
        for hash in expired {
            self.forget(&hash).await?;
        }
        let hash = hash_of(&id);
        let record =
            serde_json::to_vec(&session).map_err(|e| storage::Error::Corrupt(e.to_string()))?;
        self.store
            .set_server_setting(&format!("{PREFIX}{hash}"), Some(&record))
            .await?;
        self.table_mut().insert(hash, session.clone());
        Ok((id, session))
    }

    /// The live session of a cookie value.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = now_secs();
        self.table()
            .get(&hash_of(id))
            .filter(|s| s.live(now))
            .cloned()
    }

    /// Ends the session of a cookie value.
    pub async fn close(&self, id: &str) -> Result<(), storage::Error> {
        self.forget(&hash_of(id)).await
    }

    async fn forget(&self, hash: &str) -> Result<(), storage::Error> {
        self.store
            .set_server_setting(&format!("{PREFIX}{hash}"), None)
            .await?;
        self.table_mut().remove(hash);
        Ok(())
    }
}

/// The session id in a request's `Cookie` header.
pub fn cookie_of(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then_some(value)
        })
}

/// The `Set-Cookie` of a session (`None`: the cookie that ends it).
pub fn set_cookie(id: Option<&str>) -> String {
    match id {
        Some(id) => format!(
            "{COOKIE}={id}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}",
            SESSION_LIFETIME.as_secs()
        ),
        None => format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"),
    }
}
