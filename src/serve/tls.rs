//! HTTPS on the listener: `--tls-cert` and `--tls-key` (PEM: the certificate chain, then a
//! PKCS#8, PKCS#1 or SEC1 private key) make every connection TLS (rustls, TLS 1.2 and 1.3,
//! HTTP/1.1). The certificate is read again on SIGHUP and whenever either file changes
//! (checked every [`POLL`]), so a renewed certificate (certbot, cert-manager) is served
//! without a restart; a pair that does not load is logged and the previous one kept.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// How often the files are checked for a change.
pub const POLL: Duration = Duration::from_secs(2);

/// Where the certificate and its key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificate served, swapped whole when it is reloaded.
#[derive(Debug)]
struct Resolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        )
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The pair in `files`, ready to serve.
fn load(files: &TlsFiles) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("reading the certificate {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing the certificate {}", files.cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("no certificate in {}", files.cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading the private key {}", files.key.display()))?;
    let key = provider()
        .key_provider
        .load_private_key(key)
        .with_context(|| format!("loading the private key {}", files.key.display()))?;
    let certified = CertifiedKey::new(chain, key);
    certified.keys_match().with_context(|| {
        format!(
            "{} is not the key of {}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    Ok(Arc::new(certified))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The TLS side of the listener: its acceptor, and the reloading of its certificate.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    resolver: Arc<Resolver>,
    files: TlsFiles,
}

impl Tls {
    /// Load `files` (an error when they do not load: the server does not start).
    pub fn new(files: TlsFiles) -> anyhow::Result<Tls> {
        let resolver = Arc::new(Resolver {
            current: RwLock::new(load(&files)?),
        });
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            resolver,
            files,
        })
    }

    /// Read the pair again; on failure the one served stays (and the error says why).
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = load(&self.files)?;
        *self
            .resolver
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// Reload on SIGHUP and when either file changes, until `stop` fires.
    pub fn spawn_reloader(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let tls = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let stamp = |tls: &Tls| (modified(&tls.files.cert), modified(&tls.files.key));
            let mut seen = stamp(&tls);
            loop {
                #[cfg(unix)]
                let hup = async {
                    match hangup.as_mut() {
                        Some(signal) => signal.recv().await,
                        None => std::future::pending().await,
                    }
                };
                #[cfg(not(unix))]
                let hup = std::future::pending::<Option<()>>();
                let signalled = tokio::select! {
                    _ = hup => true,
                    _ = tokio::time::sleep(POLL) => false,
                    _ = stop.wait_for(|stopping| *stopping) => return,
                };
                let now = stamp(&tls);
                if signalled || now != seen {
                    seen = now;
                    if let Err(e) = tls.reload() {
                        tracing::error!(error = %format!("{e:#}"), "TLS certificate not reloaded; the previous one is still served");
                    }
                }
            }
        });
    }
}
