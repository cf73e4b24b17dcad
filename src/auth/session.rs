//! Console sessions: signing in checks an access key and its secret once; the browser then
//! holds only a random session id in an `HttpOnly`, `SameSite=Strict` cookie, and the page
//! a CSRF token it sends back in `x-csrf-token` on every state-changing request. Sessions
//! live in memory and expire.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng as _;

/// How long a session lasts without being renewed by a new sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
pub const COOKIE: &str = "originstore_session";

#[derive(Clone, Debug)]
pub struct Session {
    pub access_key: String,
    pub csrf: String,
    expires: Instant,
}

#[derive(Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

impl Sessions {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.by_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new session for `access_key`: its id (the cookie) and the session.
    pub fn open(&self, access_key: &str) -> (String, Session) {
        let id = random_token();
        let session = Session {
            access_key: access_key.to_owned(),
            csrf: random_token(),
            expires: Instant::now() + SESSION_LIFETIME,
        };
        let mut map = self.map();
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        map.insert(id.clone(), session.clone());
        (id, session)
    }

    /// The live session of a cookie value.
    pub fn get(&self, id: &str) -> Option<Session> {
        let map = self.map();
        map.get(id).filter(|s| s.expires > Instant::now()).cloned()
    }

    pub fn close(&self, id: &str) {
        self.map().remove(id);
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
