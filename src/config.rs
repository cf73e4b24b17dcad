//! Server configuration: defaults, an optional TOML file, `ORIGINSTORE_*` environment
//! variables and command-line flags, in increasing order of precedence; and the credentials
//! generated on first start when none are configured.
//!
//! Secrets never reach the logs: [`User`]'s `Debug` hides the secret key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::identity::User;

/// Flags of `originstore serve`. Every flag can also come from the environment.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "ORIGINSTORE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./data].
    #[arg(long, env = "ORIGINSTORE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9000]; port 0 picks a free port.
    #[arg(long, env = "ORIGINSTORE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Region reported to clients [default: us-east-1].
    #[arg(long, env = "ORIGINSTORE_REGION")]
    pub region: Option<String>,
    /// Access key of the (first) user.
    #[arg(long, env = "ORIGINSTORE_ACCESS_KEY")]
    pub access_key: Option<String>,
    /// Secret key of the (first) user.
    #[arg(long, env = "ORIGINSTORE_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Base domain for virtual-hosted-style addressing (`bucket.<domain>`).
    #[arg(long, env = "ORIGINSTORE_DOMAIN")]
    pub domain: Option<String>,
    /// Serve the web console at /console [default: only on a loopback listener].
    #[arg(long, env = "ORIGINSTORE_CONSOLE")]
    pub console: Option<bool>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "ORIGINSTORE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "ORIGINSTORE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
}

/// The TOML file's shape; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    listen: Option<SocketAddr>,
    region: Option<String>,
    domain: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    /// HTTPS: the certificate chain and its key (PEM).
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    users: Vec<User>,
    /// Incomplete multipart uploads older than this many seconds are removed.
    upload_max_age_secs: Option<u64>,
    /// Grace period for in-flight requests at shutdown, in seconds.
    shutdown_grace_secs: Option<u64>,
    /// The length of a lifecycle "day" in seconds (86400); a test setting, to watch
    /// lifecycle rules act within seconds.
    lifecycle_day_secs: Option<u64>,
    /// Objects up to this many bytes are stored inline in their metadata record.
    inline_max_bytes: Option<usize>,
    /// Objects up to this many bytes are appended to shared pack files (0: every object
    /// gets a file of its own).
    pack_max_bytes: Option<usize>,
    /// A pack file takes appends until it holds this many bytes.
    pack_file_bytes: Option<u64>,
    /// How often the pack compactor looks for dead space, in seconds.
    pack_compaction_secs: Option<u64>,
    /// The metadata store's page cache, in bytes.
    meta_cache_bytes: Option<u64>,
    /// Blob files written with O_DIRECT.
    direct_writes: Option<bool>,
    /// The key users' secret keys are sealed with (32 bytes; default
    /// `<data_dir>/secrets.key`, created on first start).
    secrets_key_file: Option<PathBuf>,
    /// The `[origin]` section: limits and policy of origin-pull.
    #[serde(default)]
    origin: OriginSettings,
    /// The `[cors]` section: a CORS rule for buckets without a configuration of their own.
    cors: Option<DefaultCorsRule>,
    /// The `[limits]` section: connection bounds and timeouts.
    #[serde(default)]
    limits: Limits,
    /// The `[backend]` section: cluster mode.
    backend: Option<crate::backend::BackendSettings>,
    /// The `[notify]` section: bucket notification targets.
    #[serde(default)]
    notify: crate::notify::settings::NotifySettings,
    /// Serve the web console at `/console` (default: when listening on a loopback address).
    console: Option<bool>,
    /// The object ownership of new buckets that do not ask for one: `ObjectWriter` (ACLs
    /// enabled, the default) or `BucketOwnerEnforced` (ACLs disabled, AWS's default since
    /// 2023), or `BucketOwnerPreferred`.
    default_object_ownership: Option<crate::access::ObjectOwnership>,
    /// The `[public_access_block]` section: Block Public Access for every bucket, under
    /// each bucket's own (the most restrictive of the two holds).
    #[serde(default)]
    public_access_block: PublicAccessBlockSettings,
}

/// The server-wide Block Public Access (the `[public_access_block]` TOML section), AWS's
/// account-level setting: each switch as in `PutPublicAccessBlock`, all off by default.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicAccessBlockSettings {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// Bounds on clients (the `[limits]` TOML section, in seconds): a slow or hostile client
/// cannot hold the server's connections or a request open.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Open connections at once. When all are taken, the one idle the longest (no request
    /// in flight) is closed to admit a new one; only when every one is busy do new
    /// connections wait in the listen backlog.
    pub max_connections: usize,
    /// Open connections from one client address at once (0: no bound). At the bound, that
    /// address's own longest-idle connection is closed for a new one; when all of them are
    /// busy the new one is answered 503 SlowDown.
    pub max_connections_per_address: usize,
    /// A request's headers must arrive within this, and an idle keep-alive connection is
    /// closed after it (one timer, hyper's).
    #[serde(rename = "header_timeout_secs", with = "secs")]
    pub header_timeout: Duration,
    /// The longest pause between two pieces of a request body (`400 RequestTimeout`).
    #[serde(rename = "body_idle_timeout_secs", with = "secs")]
    pub body_idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_connections_per_address: 512,
            header_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
        }
    }
}

/// Durations written as whole seconds.
mod secs {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = u64::deserialize(d)?;
        if secs == 0 {
            return Err(serde::de::Error::custom("must be at least 1 second"));
        }
        Ok(Duration::from_secs(secs))
    }
}

/// A server-wide CORS rule (the `[cors]` TOML section), answering for every bucket that has
/// no `CORSConfiguration` and for requests outside buckets: for local development and the
/// console. Off unless configured. Validated like a bucket's rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultCorsRule {
    pub allowed_origins: Vec<String>,
    #[serde(default = "all_cors_methods")]
    pub allowed_methods: Vec<String>,
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<u32>,
}

fn all_cors_methods() -> Vec<String> {
    ["GET", "PUT", "HEAD", "POST", "DELETE"]
        .map(String::from)
        .to_vec()
}

impl DefaultCorsRule {
    pub fn to_cors(&self) -> anyhow::Result<crate::cors::Cors> {
        let wire = crate::cors::CorsRuleWire {
            id: Some("server default".into()),
            allowed_headers: self.allowed_headers.clone(),
            allowed_methods: self.allowed_methods.clone(),
            allowed_origins: self.allowed_origins.clone(),
            expose_headers: self.expose_headers.clone(),
            max_age_seconds: self.max_age_seconds,
        };
        crate::cors::document::validate(crate::cors::CorsConfiguration { rules: vec![wire] })
            .map_err(|e| anyhow::anyhow!("the [cors] section: {}", e.message))
    }
}

/// Server-side limits and policy for origin requests (the `[origin]` TOML section). A
/// bucket's `OriginConfiguration` says *where* to pull from; these say what the server allows.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OriginSettings {
    /// Networks origin requests may never reach (CIDR). Checked on every resolved address,
    /// redirects included. Default: link-local and cloud metadata addresses.
    pub deny_networks: Vec<ipnet::IpNet>,
    pub connect_timeout_secs: u64,
    /// Longest pause between two reads of an origin body.
    pub read_timeout_secs: u64,
    /// Origin fetches running at once, server-wide.
    pub max_concurrent_fetches: usize,
    /// Largest object an origin fill may store.
    pub max_object_size: u64,
    /// How long an origin 404 is remembered (no origin request meanwhile).
    pub negative_cache_secs: u64,
    /// Status answered when every origin host failed (TransparentErrorCode off).
    pub failure_status: u16,
    /// `Retry-After` sent with that status.
    pub retry_after_secs: u64,
    /// Consecutive failures after which a host is skipped for `breaker_cooldown_secs`.
    pub breaker_threshold: u32,
    pub breaker_cooldown_secs: u64,
    /// URLs that receive an S3 event-notification POST when a fill commits
    /// (`ObjectCreated:Origin`) or fails (`OriginFailed`).
    pub webhooks: Vec<String>,
    /// Deliveries of one notification to one webhook before it is dropped.
    pub webhook_max_attempts: u32,
}

impl Default for OriginSettings {
    fn default() -> Self {
        let deny = [
            "169.254.0.0/16",
            "fe80::/10",
            "100.100.100.200/32",
            "fd00:ec2::254/128",
            "0.0.0.0/32",
        ];
        OriginSettings {
            deny_networks: deny.iter().filter_map(|n| n.parse().ok()).collect(),
            connect_timeout_secs: 5,
            read_timeout_secs: 30,
            max_concurrent_fetches: 64,
            max_object_size: 5 * 1024 * 1024 * 1024,
            negative_cache_secs: 10,
            failure_status: 503,
            retry_after_secs: 5,
            breaker_threshold: 5,
            breaker_cooldown_secs: 10,
            webhooks: Vec::new(),
            webhook_max_attempts: 20,
        }
    }
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub region: String,
    pub domain: Option<String>,
    pub users: Vec<User>,
    /// True when the credentials were generated (or loaded from the data directory) rather
    /// than configured: `serve` prints them.
    pub generated_credentials: bool,
    pub upload_max_age: Duration,
    pub shutdown_grace: Duration,
    /// What a lifecycle rule's "day" lasts (86 400 s; shortened only to test or demonstrate).
    pub lifecycle_day: Duration,
    /// How often the pack compactor looks for dead space (30 s).
    pub pack_compaction: Duration,
    pub storage: storage::StoreOptions,
    pub origin: OriginSettings,
    /// The server-wide CORS rule (`[cors]`), if any.
    pub default_cors: Option<std::sync::Arc<crate::cors::Cors>>,
    /// The object ownership of a new bucket that does not ask for one.
    pub default_object_ownership: crate::access::ObjectOwnership,
    /// Block Public Access for every bucket (`[public_access_block]`).
    pub public_access_block: crate::access::PublicAccessBlock,
    /// Connection bounds and timeouts.
    pub limits: Limits,
    /// Serve the web console at `/console`.
    pub console: bool,
    /// Cluster mode: the S3 cluster this node writes through to (`[backend]`).
    pub backend: Option<crate::backend::BackendSettings>,
    /// Where the key sealing users' secrets is (`None`: `<data_dir>/secrets.key`).
    pub secrets_key_file: Option<PathBuf>,
    /// HTTPS on the listener (`--tls-cert`, `--tls-key`).
    pub tls: Option<crate::serve::TlsFiles>,
    /// Bucket notification targets (`[notify]`).
    pub notify: crate::notify::settings::NotifySettings,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";
const CREDENTIALS_FILE: &str = "credentials.toml";

impl Config {
    /// A configuration for `data_dir` with one user and defaults elsewhere (tests, embedding).
    pub fn new(data_dir: impl Into<PathBuf>, user: User) -> Config {
        Config {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 9000)),
            region: "us-east-1".into(),
            domain: None,
            users: vec![user],
            generated_credentials: false,
            upload_max_age: Duration::from_secs(7 * 24 * 3600),
            shutdown_grace: Duration::from_secs(10),
            lifecycle_day: Duration::from_secs(86_400),
            pack_compaction: Duration::from_secs(30),
            storage: storage::StoreOptions::default(),
            origin: OriginSettings::default(),
            default_cors: None,
            default_object_ownership: crate::access::ObjectOwnership::ObjectWriter,
            public_access_block: crate::access::PublicAccessBlock::default(),
            limits: Limits::default(),
            console: true,
            backend: None,
            secrets_key_file: None,
            tls: None,
            notify: Default::default(),
        }
    }

    /// Merge defaults, the file named by `--config`, the environment and the flags (clap has
    /// already merged the last two), then load or generate credentials.
    pub fn resolve(args: ServeArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parsing {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let mut users = file.users;
        let access_key = args.access_key.or(file.access_key);
        let secret_key = args.secret_key.or(file.secret_key);
        match (access_key, secret_key) {
            (Some(access_key), Some(secret_key)) => users.insert(
                0,
                User {
                    access_key,
                    secret_key,
                },
            ),
            (None, None) => {}
            _ => bail!("an access key needs its secret key and the other way round"),
        }
        let mut generated_credentials = false;
        if users.is_empty() {
            users.push(load_or_generate_credentials(&data_dir)?);
            generated_credentials = true;
        }
        for user in &users {
            if user.access_key.is_empty() || user.secret_key.is_empty() {
                bail!("empty access key or secret key in the configuration");
            }
        }
        let mut config = Config::new(data_dir, users[0].clone());
        config.users = users;
        config.generated_credentials = generated_credentials;
        config.listen = match args.listen.or(file.listen) {
            Some(listen) => listen,
            None => DEFAULT_LISTEN.parse()?,
        };
        config.region = args.region.or(file.region).unwrap_or(config.region);
        config.domain = args.domain.or(file.domain);
        config.tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(crate::serve::TlsFiles { cert, key }),
            (None, None) => None,
            _ => bail!("tls_cert and tls_key go together: give both, or neither"),
        };
        if let Some(secs) = file.upload_max_age_secs {
            config.upload_max_age = Duration::from_secs(secs);
        }
        if let Some(secs) = file.shutdown_grace_secs {
            config.shutdown_grace = Duration::from_secs(secs);
        }
        if let Some(bytes) = file.inline_max_bytes {
            config.storage.inline_max = bytes;
        }
        if let Some(bytes) = file.pack_max_bytes {
            config.storage.pack_max = bytes;
        }
        match file.pack_file_bytes {
            Some(0) => bail!("pack_file_bytes must be at least 1"),
            Some(bytes) => config.storage.pack_file_bytes = bytes,
            None => {}
        }
        match file.pack_compaction_secs {
            Some(0) => bail!("pack_compaction_secs must be at least 1"),
            Some(secs) => config.pack_compaction = Duration::from_secs(secs),
            None => {}
        }
        if let Some(bytes) = file.meta_cache_bytes {
            config.storage.meta_cache_bytes = bytes;
        }
        if let Some(direct) = file.direct_writes {
            config.storage.direct_writes = direct;
        }
        match file.lifecycle_day_secs {
            Some(0) => bail!("lifecycle_day_secs must be at least 1"),
            Some(secs) => config.lifecycle_day = Duration::from_secs(secs),
            None => {}
        }
        config.origin = file.origin;
        config.default_object_ownership = file.default_object_ownership.unwrap_or_default();
        config.secrets_key_file = file.secrets_key_file;
        let block = file.public_access_block;
        config.public_access_block = crate::access::PublicAccessBlock {
            block_public_acls: block.block_public_acls,
            ignore_public_acls: block.ignore_public_acls,
            block_public_policy: block.block_public_policy,
            restrict_public_buckets: block.restrict_public_buckets,
        };
        if file.limits.max_connections == 0 {
            bail!("limits.max_connections must be at least 1");
        }
        config.limits = file.limits;
        if let Some(backend) = &file.backend {
            backend.validate()?;
        }
        config.backend = file.backend;
        file.notify.validate()?;
        config.notify = file.notify;
        // On by default only where nobody else can reach it; the README says how to expose it.
        config.console = args
            .console
            .or(file.console)
            .unwrap_or(config.listen.ip().is_loopback());
        config.default_cors = file
            .cors
            .map(|c| c.to_cors().map(std::sync::Arc::new))
            .transpose()?;
        Ok(config)
    }

    /// The file holding the key users' secrets are sealed with.
    pub fn secrets_key_path(&self) -> PathBuf {
        self.secrets_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::users::seal::KEY_FILE))
    }

    pub fn secret_for(&self, access_key: &str) -> Option<String> {
        self.users
            .iter()
            .find(|u| u.access_key == access_key)
            .map(|u| u.secret_key.clone())
    }
}

/// Credentials kept in `<data_dir>/credentials.toml`, created with mode 0600 on first start.
fn load_or_generate_credentials(data_dir: &Path) -> anyhow::Result<User> {
    let path = data_dir.join(CREDENTIALS_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return toml::from_str(&text).with_context(|| format!("parsing {}", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let user = User {
        access_key: random_string(20, ACCESS_KEY_ALPHABET),
        secret_key: random_string(40, SECRET_ALPHABET),
    };
    let text = format!(
        "access_key = \"{}\"\nsecret_key = \"{}\"\n",
        user.access_key, user.secret_key
    );
    write_private(&path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(user)
}

const ACCESS_KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_string(len: usize, alphabet: &[u8]) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_generate_and_then_reuse_credentials() {
        let dir = tempfile::tempdir().expect("tempdir");
        let args = ServeArgs {
            data_dir: Some(dir.path().to_owned()),
            ..Default::default()
        };
        let first = Config::resolve(args.clone()).expect("resolves");
        assert!(first.generated_credentials);
        assert_eq!(first.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(first.region, "us-east-1");
        assert_eq!(first.users[0].access_key.len(), 20);
        let second = Config::resolve(args).expect("resolves");
        assert_eq!(
            first.users, second.users,
            "credentials persist in the data directory"
        );
    }

    #[test]
    fn file_flags_and_users_merge() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "region = \"eu-west-1\"\nlisten = \"127.0.0.1:9100\"\n[[users]]\naccess_key = \"U2\"\nsecret_key = \"S2\"\n",
        )
        .expect("write");
        let args = ServeArgs {
            config: Some(file),
            data_dir: Some(dir.path().join("d")),
            access_key: Some("U1".into()),
            secret_key: Some("S1".into()),
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            ..Default::default()
        };
        let c = Config::resolve(args).expect("resolves");
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.listen.port(), 0, "flags beat the file");
        assert_eq!(c.users.len(), 2);
        assert_eq!(c.secret_for("U2").as_deref(), Some("S2"));
        assert!(!c.generated_credentials);
        assert!(
            !format!("{c:?}").contains("S1"),
            "secrets are not in Debug output"
        );
    }

    #[test]
    fn pack_settings_come_from_the_file_and_zero_periods_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        let args = ServeArgs {
            config: Some(file.clone()),
            data_dir: Some(dir.path().join("d")),
            ..Default::default()
        };
        std::fs::write(
            &file,
            "pack_max_bytes = 0\npack_file_bytes = 1048576\npack_compaction_secs = 5\n",
        )
        .expect("write");
        let c = Config::resolve(args.clone()).expect("resolves");
        assert_eq!(c.storage.pack_max, 0, "packing off");
        assert_eq!(c.storage.pack_file_bytes, 1 << 20);
        assert_eq!(c.pack_compaction, Duration::from_secs(5));
        for zero in ["pack_file_bytes = 0", "pack_compaction_secs = 0"] {
            std::fs::write(&file, zero).expect("write");
            assert!(Config::resolve(args.clone()).is_err(), "{zero}");
        }
    }

    #[test]
    fn cors_and_ownership_defaults_come_from_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "default_object_ownership = \"BucketOwnerEnforced\"\n[cors]\nallowed_origins = [\"http://localhost:3000\"]\nallowed_headers = [\"*\"]\n",
        )
        .expect("write");
        let args = ServeArgs {
            config: Some(file.clone()),
            data_dir: Some(dir.path().join("d")),
            ..Default::default()
        };
        let c = Config::resolve(args.clone()).expect("resolves");
        assert_eq!(
            c.default_object_ownership,
            crate::access::ObjectOwnership::BucketOwnerEnforced
        );
        let cors = c.default_cors.expect("a default rule");
        assert_eq!(cors.rules[0].methods.len(), 5, "all methods by default");
        std::fs::write(&file, "[cors]\nallowed_origins = [\"http://*.*\"]\n").expect("write");
        assert!(
            Config::resolve(args.clone()).is_err(),
            "validated like a bucket's rule"
        );
        std::fs::write(&file, "default_object_ownership = \"Nobody\"\n").expect("write");
        assert!(Config::resolve(args).is_err());
    }

    #[test]
    fn the_backend_section_turns_cluster_mode_on_and_is_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        let args = ServeArgs {
            config: Some(file.clone()),
            data_dir: Some(dir.path().join("d")),
            ..Default::default()
        };
        std::fs::write(&file, "").expect("write");
        assert!(Config::resolve(args.clone())
            .expect("resolves")
            .backend
            .is_none());
        std::fs::write(
            &file,
            "[backend]\nendpoint = \"http://10.0.0.5:3900\"\nregion = \"garage\"\n\
             access_key = \"GK1\"\nsecret_key = \"s\"\ncache_bytes = 1000\nnode = \"edge-a\"\n",
        )
        .expect("write");
        let backend = Config::resolve(args.clone())
            .expect("resolves")
            .backend
            .expect("cluster mode");
        assert_eq!(backend.node.as_deref(), Some("edge-a"));
        assert_eq!(backend.cache_bytes, 1000);
        std::fs::write(
            &file,
            "[backend]\nendpoint = \"nope\"\naccess_key = \"a\"\nsecret_key = \"s\"\n",
        )
        .expect("write");
        assert!(Config::resolve(args).is_err());
    }

    #[test]
    fn limits_come_from_the_file_and_are_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        let args = ServeArgs {
            config: Some(file.clone()),
            data_dir: Some(dir.path().join("d")),
            ..Default::default()
        };
        std::fs::write(&file, "").expect("write");
        let defaults = Config::resolve(args.clone()).expect("resolves").limits;
        assert_eq!(defaults.max_connections, 1024);
        assert_eq!(defaults.header_timeout, Duration::from_secs(30));
        std::fs::write(
            &file,
            "[limits]\nmax_connections = 8\nheader_timeout_secs = 5\nbody_idle_timeout_secs = 7\n",
        )
        .expect("write");
        let limits = Config::resolve(args.clone()).expect("resolves").limits;
        assert_eq!(limits.max_connections, 8);
        assert_eq!(limits.header_timeout, Duration::from_secs(5));
        assert_eq!(limits.body_idle_timeout, Duration::from_secs(7));
        for bad in [
            "[limits]\nheader_timeout_secs = 0\n",
            "[limits]\nmax_connections = 0\n",
            "[limits]\nnope = 1\n",
        ] {
            std::fs::write(&file, bad).expect("write");
            assert!(Config::resolve(args.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn half_a_credential_is_an_error() {
        let args = ServeArgs {
            access_key: Some("U1".into()),
            ..Default::default()
        };
        assert!(Config::resolve(args).is_err());
    }
}
