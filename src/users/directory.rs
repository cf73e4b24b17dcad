//! The [`Directory`] of who may sign requests: the configuration's users (the bootstrap
//! admins, each its own identity: its access key) and the users created while the server
//! runs, each with a name (its identity: what owns buckets, what policies and ACLs name) and
//! up to two access keys, so that a key is rotated without a moment where the user has
//! none.
//!
//! A runtime user is one server-wide setting of the store (`user/<name>`, JSON, its
//! secrets sealed by `seal.rs`), written durably before a change is answered; the lookup
//! tables every request reads are rebuilt from the records after each change, so a new key
//! signs its very next request and a removed or disabled one is refused at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use std::sync::Arc;

use rand::Rng as _;
use serde::{Deserialize, Serialize};
use storage::Store;

use super::seal::Sealer;
use super::sessions::{NewSession, Session, Sessions};
use crate::access::BucketPolicy;
use crate::identity::User;

/// Where a user's record is kept: the server-wide setting `user/<name>`.
const RECORD_PREFIX: &str = "user/";
/// Where a group's record is kept: `group/<name>`.
const GROUP_PREFIX: &str = "group/";
/// Keys a user may hold at once: two, so that rotation needs no downtime.
pub const MAX_KEYS: usize = 2;

/// A user created at runtime, as stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
struct UserRecord {
    name: String,
    enabled: bool,
    /// Seconds since the epoch.
    created: u64,
    keys: Vec<KeyRecord>,
    /// Identity policies attached to the user, by name (the JSON as given).
    #[serde(default)]
    policies: BTreeMap<String, String>,
}

/// A group: its members (users) and the policies each member holds through it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupRecord {
    pub name: String,
    pub members: std::collections::BTreeSet<String>,
    pub policies: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
struct KeyRecord {
    access_key: String,
    /// The secret, sealed for this access key (never the secret itself).
    sealed_secret: String,
    created: u64,
}

/// What the admin API shows of a user (never a secret).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub enabled: bool,
    /// Seconds since the epoch.
    pub created: u64,
    pub access_keys: Vec<String>,
    /// A configuration user: a bootstrap admin, not managed through the API.
    pub admin: bool,
}

/// A key just created: the only time its secret is shown.
#[derive(Serialize, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub user: String,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("user", &self.user)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("no such user: {0}")]
    NoSuchUser(String),
    #[error("no such access key: {0}")]
    NoSuchKey(String),
    #[error("the user {0} exists already")]
    UserExists(String),
    #[error("invalid user name: {0}")]
    InvalidName(String),
    #[error("no such group: {0}")]
    NoSuchGroup(String),
    #[error("the group {0} exists already")]
    GroupExists(String),
    #[error("no such policy: {0}")]
    NoSuchPolicy(String),
    #[error("the policy does not parse: {0}")]
    InvalidPolicy(String),
    #[error("{0}")]
    Limit(String),
    #[error("{0}")]
    NotManaged(String),
    #[error("the store failed: {0}")]
    Store(String),
}

/// Who signs with an access key, and how.
#[derive(Clone)]
struct Signer {
    /// The identity the key acts as (the user's name; a configuration user's access key).
    identity: String,
    secret: String,
}

#[derive(Default)]
struct Tables {
    users: BTreeMap<String, UserRecord>,
    groups: BTreeMap<String, GroupRecord>,
    /// Enabled users' keys.
    keys: HashMap<String, Signer>,
    /// Every runtime user's identity policies (its own and its groups'), parsed.
    policies: HashMap<String, Arc<Vec<BucketPolicy>>>,
}

/// Who may sign requests: the configuration's users and those created at runtime.
pub struct Directory {
    store: Store,
    sealer: Sealer,
    admins: Vec<User>,
    tables: RwLock<Tables>,
    /// One change at a time (each reads, writes and republishes the tables).
    changes: tokio::sync::Mutex<()>,
    /// Temporary credentials (STS).
    sessions: Sessions,
    /// Cluster mode: where every change goes first, so that every node shares it.
    publish: Option<Arc<dyn PublishServer>>,
}

/// Where a node's server-wide settings (users, groups, sessions) go before it keeps them:
/// the cluster (cluster mode), which every node follows.
pub trait PublishServer: Send + Sync {
    fn publish<'a>(
        &'a self,
        name: &'a str,
        value: Option<&'a [u8]>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;
}

/// The server-wide settings' name prefixes this directory keeps (what a cluster shares).
pub const SHARED_PREFIXES: [&str; 3] = [RECORD_PREFIX, GROUP_PREFIX, "session/"];

/// Every user and group record the store holds.
#[allow(clippy::type_complexity)]
fn load_records(
    store: &Store,
    admins: &[User],
) -> anyhow::Result<(BTreeMap<String, UserRecord>, BTreeMap<String, GroupRecord>)> {
    let mut users = BTreeMap::new();
    let mut groups = BTreeMap::new();
    for name in store.server_setting_names()? {
        if let Some(group) = name.strip_prefix(GROUP_PREFIX) {
            let raw = store.server_setting(&name)?.unwrap_or_default();
            let record: GroupRecord = serde_json::from_slice(&raw)
                .map_err(|e| anyhow::anyhow!("the record of group {group} does not parse: {e}"))?;
            groups.insert(record.name.clone(), record);
            continue;
        }
        let Some(user) = name.strip_prefix(RECORD_PREFIX) else {
            continue;
        };
        let Some(raw) = store.server_setting(&name)? else {
            continue;
        };
        let record: UserRecord = serde_json::from_slice(&raw)
            .map_err(|e| anyhow::anyhow!("the record of user {user} does not parse: {e}"))?;
        if admins.iter().any(|a| a.access_key == record.name) {
            tracing::warn!(user = %record.name, "a runtime user has the name of a configured access key; the configured user wins");
        }
        users.insert(record.name.clone(), record);
    }
    Ok((users, groups))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// IAM's user names: 1 to 64 of letters, digits and `+=,.@_-`.
fn validate_name(name: &str) -> Result<(), DirectoryError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(DirectoryError::InvalidName(format!(
            "{name:?}: 1 to 64 letters, digits and + = , . @ _ -"
        )))
    }
}

/// A new access key id: `OS` and 18 upper-case letters and digits, as AWS's are shaped.
fn new_access_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..18)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("OS{tail}")
}

/// A new secret key: 40 characters of base64's alphabet (240 random bits).
fn new_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl Directory {
    /// The configuration's users and every runtime user the store holds, their secrets
    /// opened with `sealer` (a secret that does not open is an error: the wrong key file).
    pub async fn open(
        store: Store,
        sealer: Sealer,
        admins: Vec<User>,
        publish: Option<Arc<dyn PublishServer>>,
    ) -> anyhow::Result<Directory> {
        let (users, groups) = load_records(&store, &admins)?;
        let sessions = Sessions::load(&store, &sealer).await?;
        let directory = Directory {
            store,
            sealer,
            admins,
            tables: RwLock::new(Tables::default()),
            changes: tokio::sync::Mutex::new(()),
            sessions,
            publish,
        };
        directory.publish(users, groups)?;
        Ok(directory)
    }

    /// Rebuild the lookup tables from `users` and `groups`.
    fn publish(
        &self,
        users: BTreeMap<String, UserRecord>,
        groups: BTreeMap<String, GroupRecord>,
    ) -> anyhow::Result<()> {
        let mut policies = HashMap::new();
        for user in users.values() {
            let held = user.policies.values().chain(
                groups
                    .values()
                    .filter(|g| g.members.contains(&user.name))
                    .flat_map(|g| g.policies.values()),
            );
            let parsed = held
                .map(|text| BucketPolicy::parse_identity(text))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    anyhow::anyhow!("a policy of {} does not parse: {}", user.name, e.message)
                })?;
            policies.insert(user.name.clone(), Arc::new(parsed));
        }
        let mut keys = HashMap::new();
        for user in users.values().filter(|u| u.enabled) {
            for key in &user.keys {
                let secret = self.sealer.open(&key.access_key, &key.sealed_secret)?;
                keys.insert(
                    key.access_key.clone(),
                    Signer {
                        identity: user.name.clone(),
                        secret,
                    },
                );
            }
        }
        let mut tables = self
            .tables
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *tables = Tables {
            users,
            groups,
            keys,
            policies,
        };
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        self.tables
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn admin(&self, access_key: &str) -> Option<&User> {
        self.admins.iter().find(|u| u.access_key == access_key)
    }

    /// The secret of `access_key`, if it may sign (a configuration user's, or an enabled
    /// runtime user's).
    pub fn secret_for(&self, access_key: &str) -> Option<String> {
        if let Some(admin) = self.admin(access_key) {
            return Some(admin.secret_key.clone());
        }
        self.read().keys.get(access_key).map(|s| s.secret.clone())
    }

    /// The identity `access_key` acts as: a configuration user's own access key, a runtime
    /// user's name, a session's assumer.
    pub fn identity_of(&self, access_key: &str) -> Option<String> {
        if self.admin(access_key).is_some() {
            return Some(access_key.to_owned());
        }
        if let Some(signer) = self.read().keys.get(access_key) {
            return Some(signer.identity.clone());
        }
        self.sessions.get(access_key).map(|s| s.identity)
    }

    /// The session `access_key` belongs to, if it is temporary (expired ones included: the
    /// caller answers ExpiredToken), while its identity may still sign.
    pub fn session(&self, access_key: &str) -> Option<Session> {
        self.sessions
            .get(access_key)
            .filter(|s| self.admin(&s.identity).is_some() || self.enabled_user(&s.identity))
    }

    fn enabled_user(&self, name: &str) -> bool {
        self.read().users.get(name).is_some_and(|u| u.enabled)
    }

    /// The secret of `access_key` for a signed request: a long-term key's, or a session's
    /// (whose token the caller checks).
    pub fn request_secret_for(&self, access_key: &str) -> Option<String> {
        self.secret_for(access_key)
            .or_else(|| self.session(access_key).map(|s| s.secret))
    }

    /// Issue temporary credentials acting as `identity` for `duration` seconds, narrowed by
    /// `policy` (IAM JSON, validated here).
    pub async fn assume(
        &self,
        identity: &str,
        duration: u64,
        policy: Option<&str>,
    ) -> Result<NewSession, DirectoryError> {
        if let Some(text) = policy {
            BucketPolicy::parse_identity(text)
                .map_err(|e| DirectoryError::InvalidPolicy(e.message))?;
        }
        let store_err = |e: anyhow::Error| DirectoryError::Store(e.to_string());
        let (issued, name, record, session) =
            Sessions::prepare(&self.sealer, identity, duration, policy).map_err(store_err)?;
        self.save(&name, Some(&record)).await?;
        self.sessions.insert(&issued.access_key, session);
        for gone in self.sessions.prune(super::sessions::now_secs()) {
            self.save(&gone, None).await?;
        }
        Ok(issued)
    }

    /// Keep the server-wide setting `name` (published to the cluster first, in cluster
    /// mode), durably.
    async fn save(&self, name: &str, value: Option<&[u8]>) -> Result<(), DirectoryError> {
        if let Some(publish) = &self.publish {
            publish
                .publish(name, value)
                .await
                .map_err(DirectoryError::Store)?;
        }
        self.store
            .set_server_setting(name, value)
            .await
            .map_err(|e| DirectoryError::Store(e.to_string()))
    }

    /// Read every record again from the store (the cluster's sync changed them).
    pub async fn reload(&self) -> anyhow::Result<()> {
        let _change = self.changes.lock().await;
        let (users, groups) = load_records(&self.store, &self.admins)?;
        self.publish(users, groups)?;
        self.sessions
            .replace(Sessions::load(&self.store, &self.sealer).await?);
        Ok(())
    }

    /// Is `identity` a bootstrap admin (a configuration user)?
    pub fn is_admin(&self, identity: &str) -> bool {
        self.admin(identity).is_some()
    }

    /// Every identity (what policies and ACL grants may name): the configuration's users,
    /// then the runtime users.
    pub fn identities(&self) -> Vec<String> {
        let mut out: Vec<String> = self.admins.iter().map(|u| u.access_key.clone()).collect();
        out.extend(self.read().users.keys().cloned());
        out
    }

    /// Every user, the configuration's first.
    pub fn list(&self) -> Vec<UserInfo> {
        let mut out: Vec<UserInfo> = self
            .admins
            .iter()
            .map(|u| UserInfo {
                name: u.access_key.clone(),
                enabled: true,
                created: 0,
                access_keys: vec![u.access_key.clone()],
                admin: true,
            })
            .collect();
        out.extend(self.read().users.values().map(info));
        out
    }

    /// Create user `name` with one access key (shown once, here).
    pub async fn add_user(&self, name: &str) -> Result<NewKey, DirectoryError> {
        validate_name(name)?;
        if self.admin(name).is_some() {
            return Err(DirectoryError::UserExists(name.to_owned()));
        }
        let _change = self.changes.lock().await;
        let mut users = self.read().users.clone();
        if users.contains_key(name) {
            return Err(DirectoryError::UserExists(name.to_owned()));
        }
        let mut record = UserRecord {
            name: name.to_owned(),
            enabled: true,
            created: now_secs(),
            keys: Vec::new(),
            policies: BTreeMap::new(),
        };
        let key = self.new_key(&mut record)?;
        users.insert(name.to_owned(), record);
        self.commit(name, users).await?;
        Ok(key)
    }

    /// Add an access key to user `name` (at most [`MAX_KEYS`]); shown once, here.
    pub async fn add_key(&self, name: &str) -> Result<NewKey, DirectoryError> {
        let _change = self.changes.lock().await;
        let mut users = self.read().users.clone();
        let record = self.managed(&mut users, name)?;
        if record.keys.len() >= MAX_KEYS {
            return Err(DirectoryError::Limit(format!(
                "the user {name} has {MAX_KEYS} access keys already: remove one first"
            )));
        }
        let key = self.new_key(record)?;
        self.commit(name, users).await?;
        Ok(key)
    }

    /// Remove the access key `access_key` (of whichever runtime user holds it).
    pub async fn remove_key(&self, access_key: &str) -> Result<String, DirectoryError> {
        if self.admin(access_key).is_some() {
            return Err(DirectoryError::NotManaged(format!(
                "{access_key} is a configured user's key: change the configuration file"
            )));
        }
        let _change = self.changes.lock().await;
        let mut users = self.read().users.clone();
        let owner = users
            .values_mut()
            .find(|u| u.keys.iter().any(|k| k.access_key == access_key))
            .ok_or_else(|| DirectoryError::NoSuchKey(access_key.to_owned()))?;
        owner.keys.retain(|k| k.access_key != access_key);
        let name = owner.name.clone();
        self.commit(&name, users).await?;
        Ok(name)
    }

    /// The access keys of user `name`, with when each was created.
    pub fn keys_of(&self, name: &str) -> Result<Vec<(String, u64)>, DirectoryError> {
        if self.admin(name).is_some() {
            return Ok(vec![(name.to_owned(), 0)]);
        }
        let tables = self.read();
        let record = tables
            .users
            .get(name)
            .ok_or_else(|| DirectoryError::NoSuchUser(name.to_owned()))?;
        Ok(record
            .keys
            .iter()
            .map(|k| (k.access_key.clone(), k.created))
            .collect())
    }

    /// Enable or disable user `name`: a disabled user's keys sign nothing.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), DirectoryError> {
        let _change = self.changes.lock().await;
        let mut users = self.read().users.clone();
        self.managed(&mut users, name)?.enabled = enabled;
        self.commit(name, users).await
    }

    /// Remove user `name`, its keys and its group memberships.
    pub async fn remove_user(&self, name: &str) -> Result<(), DirectoryError> {
        let _change = self.changes.lock().await;
        let mut users = self.read().users.clone();
        self.managed(&mut users, name)?;
        users.remove(name);
        self.commit(name, users).await?;
        // A user made again under this name starts in no group.
        let mut groups = self.read().groups.clone();
        let held: Vec<String> = groups
            .values()
            .filter(|g| g.members.contains(name))
            .map(|g| g.name.clone())
            .collect();
        for group in held {
            if let Some(record) = groups.get_mut(&group) {
                record.members.remove(name);
            }
            self.commit_group(&group, groups.clone()).await?;
        }
        Ok(())
    }

    fn managed<'u>(
        &self,
        users: &'u mut BTreeMap<String, UserRecord>,
        name: &str,
    ) -> Result<&'u mut UserRecord, DirectoryError> {
        if self.admin(name).is_some() {
            return Err(DirectoryError::NotManaged(format!(
                "{name} is a configured user: change the configuration file"
            )));
        }
        users
            .get_mut(name)
            .ok_or_else(|| DirectoryError::NoSuchUser(name.to_owned()))
    }

    fn new_key(&self, record: &mut UserRecord) -> Result<NewKey, DirectoryError> {
        let access_key = loop {
            let candidate = new_access_key();
            let taken = self.admin(&candidate).is_some()
                || self.read().keys.contains_key(&candidate)
                || record.keys.iter().any(|k| k.access_key == candidate);
            if !taken {
                break candidate;
            }
        };
        let secret = new_secret();
        let sealed_secret = self
            .sealer
            .seal(&access_key, &secret)
            .map_err(|e| DirectoryError::Store(e.to_string()))?;
        record.keys.push(KeyRecord {
            access_key: access_key.clone(),
            sealed_secret,
            created: now_secs(),
        });
        Ok(NewKey {
            user: record.name.clone(),
            access_key,
            secret_key: secret,
        })
    }

    /// Write user `name`'s record as `users` holds it (removed when absent), durably, then
    /// republish the tables.
    async fn commit(
        &self,
        name: &str,
        users: BTreeMap<String, UserRecord>,
    ) -> Result<(), DirectoryError> {
        self.store_record(&format!("{RECORD_PREFIX}{name}"), users.get(name))
            .await?;
        let groups = self.read().groups.clone();
        self.publish(users, groups)
            .map_err(|e| DirectoryError::Store(e.to_string()))
    }

    /// [`Directory::commit`] of group `name`'s record.
    async fn commit_group(
        &self,
        name: &str,
        groups: BTreeMap<String, GroupRecord>,
    ) -> Result<(), DirectoryError> {
        self.store_record(&format!("{GROUP_PREFIX}{name}"), groups.get(name))
            .await?;
        let users = self.read().users.clone();
        self.publish(users, groups)
            .map_err(|e| DirectoryError::Store(e.to_string()))
    }

    async fn store_record<T: Serialize>(
        &self,
        setting: &str,
        record: Option<&T>,
    ) -> Result<(), DirectoryError> {
        let stored = record
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| DirectoryError::Store(e.to_string()))?;
        self.save(setting, stored.as_deref()).await
    }

    /// The identity policies `identity` holds (its own and its groups'); `None` for a
    /// configuration user, whose rights are an owner's and what others grant it.
    pub fn policies_of(&self, identity: &str) -> Option<Arc<Vec<BucketPolicy>>> {
        if self.admin(identity).is_some() {
            return None;
        }
        self.read().policies.get(identity).cloned()
    }

    /// Is `identity` a user created at runtime (whose rights come from its policies)?
    pub fn is_managed(&self, identity: &str) -> bool {
        self.admin(identity).is_none() && self.read().users.contains_key(identity)
    }

    /// Attach (or replace) the identity policy `policy` (its JSON `text`) to `holder`.
    pub async fn attach_policy(
        &self,
        holder: Holder<'_>,
        policy: &str,
        text: &str,
    ) -> Result<(), DirectoryError> {
        validate_name(policy)?;
        BucketPolicy::parse_identity(text).map_err(|e| DirectoryError::InvalidPolicy(e.message))?;
        self.change_policies(holder, |policies| {
            policies.insert(policy.to_owned(), text.to_owned());
            Ok(())
        })
        .await
    }

    /// Detach the identity policy `policy` from `holder`.
    pub async fn detach_policy(
        &self,
        holder: Holder<'_>,
        policy: &str,
    ) -> Result<(), DirectoryError> {
        self.change_policies(holder, |policies| {
            policies
                .remove(policy)
                .map(drop)
                .ok_or_else(|| DirectoryError::NoSuchPolicy(policy.to_owned()))
        })
        .await
    }

    /// The identity policies attached to `holder` itself, by name.
    pub fn attached(&self, holder: Holder<'_>) -> Result<BTreeMap<String, String>, DirectoryError> {
        let tables = self.read();
        match holder {
            Holder::User(name) => tables
                .users
                .get(name)
                .map(|u| u.policies.clone())
                .ok_or_else(|| DirectoryError::NoSuchUser(name.to_owned())),
            Holder::Group(name) => tables
                .groups
                .get(name)
                .map(|g| g.policies.clone())
                .ok_or_else(|| DirectoryError::NoSuchGroup(name.to_owned())),
        }
    }

    async fn change_policies(
        &self,
        holder: Holder<'_>,
        change: impl FnOnce(&mut BTreeMap<String, String>) -> Result<(), DirectoryError>,
    ) -> Result<(), DirectoryError> {
        let _change = self.changes.lock().await;
        match holder {
            Holder::User(name) => {
                let mut users = self.read().users.clone();
                change(&mut self.managed(&mut users, name)?.policies)?;
                self.commit(name, users).await
            }
            Holder::Group(name) => {
                let mut groups = self.read().groups.clone();
                let group = groups
                    .get_mut(name)
                    .ok_or_else(|| DirectoryError::NoSuchGroup(name.to_owned()))?;
                change(&mut group.policies)?;
                self.commit_group(name, groups).await
            }
        }
    }

    /// Every group.
    pub fn groups(&self) -> Vec<GroupRecord> {
        self.read().groups.values().cloned().collect()
    }

    pub async fn add_group(&self, name: &str) -> Result<(), DirectoryError> {
        validate_name(name)?;
        let _change = self.changes.lock().await;
        let mut groups = self.read().groups.clone();
        if groups.contains_key(name) {
            return Err(DirectoryError::GroupExists(name.to_owned()));
        }
        groups.insert(
            name.to_owned(),
            GroupRecord {
                name: name.to_owned(),
                ..GroupRecord::default()
            },
        );
        self.commit_group(name, groups).await
    }

    pub async fn remove_group(&self, name: &str) -> Result<(), DirectoryError> {
        let _change = self.changes.lock().await;
        let mut groups = self.read().groups.clone();
        groups
            .remove(name)
            .ok_or_else(|| DirectoryError::NoSuchGroup(name.to_owned()))?;
        self.commit_group(name, groups).await
    }

    /// Make `user` a member of `group` (`member` true) or not.
    pub async fn set_member(
        &self,
        group: &str,
        user: &str,
        member: bool,
    ) -> Result<(), DirectoryError> {
        let _change = self.changes.lock().await;
        if member && !self.read().users.contains_key(user) {
            return Err(DirectoryError::NoSuchUser(user.to_owned()));
        }
        let mut groups = self.read().groups.clone();
        let record = groups
            .get_mut(group)
            .ok_or_else(|| DirectoryError::NoSuchGroup(group.to_owned()))?;
        if member {
            record.members.insert(user.to_owned());
        } else if !record.members.remove(user) {
            return Err(DirectoryError::NoSuchUser(user.to_owned()));
        }
        self.commit_group(group, groups).await
    }
}

impl crate::access::IdentityPolicies for Directory {
    fn policies_of(&self, identity: &str) -> Option<Arc<Vec<BucketPolicy>>> {
        Directory::policies_of(self, identity)
    }
}

/// Who an identity policy is attached to.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    User(&'a str),
    Group(&'a str),
}

fn info(record: &UserRecord) -> UserInfo {
    UserInfo {
        name: record.name.clone(),
        enabled: record.enabled,
        created: record.created,
        access_keys: record.keys.iter().map(|k| k.access_key.clone()).collect(),
        admin: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn directory(dir: &std::path::Path) -> Directory {
        let store = Store::open(dir.join("data"), Default::default()).expect("store");
        let sealer = Sealer::open_or_create(&dir.join("secrets.key")).expect("key");
        let admin = User {
            access_key: "ADMIN".into(),
            secret_key: "admin-secret".into(),
        };
        Directory::open(store, sealer, vec![admin], None)
            .await
            .expect("directory")
    }

    #[tokio::test]
    async fn users_and_keys_are_durable_sealed_and_effective_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, second);
        {
            let d = directory(dir.path()).await;
            first = d.add_user("alice").await.expect("add");
            assert_eq!(
                d.secret_for(&first.access_key),
                Some(first.secret_key.clone())
            );
            assert_eq!(d.identity_of(&first.access_key).as_deref(), Some("alice"));
            second = d.add_key("alice").await.expect("second key");
            assert!(matches!(
                d.add_key("alice").await,
                Err(DirectoryError::Limit(_))
            ));
            assert!(matches!(
                d.add_user("alice").await,
                Err(DirectoryError::UserExists(_))
            ));
            assert!(matches!(
                d.add_user("ADMIN").await,
                Err(DirectoryError::UserExists(_))
            ));
            assert!(matches!(
                d.add_user("no spaces").await,
                Err(DirectoryError::InvalidName(_))
            ));
            assert!(matches!(
                d.remove_user("ADMIN").await,
                Err(DirectoryError::NotManaged(_))
            ));
            d.set_enabled("alice", false).await.expect("disable");
            assert_eq!(d.secret_for(&first.access_key), None, "disabled at once");
            d.set_enabled("alice", true).await.expect("enable");
        }
        // Reopened: both keys sign; the secrets are not in the store's files.
        let d = directory(dir.path()).await;
        assert_eq!(
            d.secret_for(&second.access_key),
            Some(second.secret_key.clone())
        );
        assert_eq!(d.identity_of("ADMIN").as_deref(), Some("ADMIN"));
        assert_eq!(d.identities(), ["ADMIN", "alice"]);
        d.remove_key(&first.access_key).await.expect("rotate out");
        assert_eq!(d.secret_for(&first.access_key), None);
        assert_eq!(
            d.secret_for(&second.access_key),
            Some(second.secret_key.clone())
        );
        drop(d);
        for file in walk(&dir.path().join("data")) {
            let bytes = std::fs::read(&file).expect("read");
            for secret in [&first.secret_key, &second.secret_key] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "a secret in plaintext in {}",
                    file.display()
                );
            }
        }
        let d = directory(dir.path()).await;
        d.remove_user("alice").await.expect("remove");
        assert_eq!(d.secret_for(&second.access_key), None);
        assert_eq!(d.identities(), ["ADMIN"]);
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }
}
