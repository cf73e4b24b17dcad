//! Secret keys at rest: sealed with ChaCha20-Poly1305 under the server's key (32 random
//! bytes in `<data_dir>/secrets.key`, created with mode 0600 on first use, or a file the
//! operator names), each with its own random nonce and bound to its access key (the
//! associated data), so a sealed secret copied onto another key does not open.
//!
//! Nothing sealed is ever logged; a secret leaves the server once, in the answer that
//! created it.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore as _;

/// The file the server's sealing key is kept in, under the data directory.
pub const KEY_FILE: &str = "secrets.key";
const NONCE_LEN: usize = 12;

/// The server's sealing key.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key>)")
    }
}

impl Sealer {
    /// The key in `path`, created (32 random bytes, mode 0600) when it does not exist.
    pub fn open_or_create(path: &Path) -> anyhow::Result<Sealer> {
        if !path.exists() {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            write_private(path, &key)
                .with_context(|| format!("creating the secrets key {}", path.display()))?;
        }
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading the secrets key {}", path.display()))?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            anyhow::anyhow!(
                "the secrets key {} is not 32 bytes; restore it from a backup (the users' secret keys cannot be read without it)",
                path.display()
            )
        })?;
        Ok(Sealer::from_key(key))
    }

    pub fn from_key(key: [u8; 32]) -> Sealer {
        Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        }
    }

    /// `secret` sealed for `access_key`: base64 of the nonce and the ciphertext.
    pub fn seal(&self, access_key: &str, secret: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: access_key.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing a secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// The secret `sealed` holds for `access_key`; an error when it was sealed under another
    /// key or for another access key, or was changed.
    pub fn open(&self, access_key: &str, sealed: &str) -> anyhow::Result<String> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .context("a sealed secret is not base64")?;
        if raw.len() <= NONCE_LEN {
            anyhow::bail!("a sealed secret is too short");
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: access_key.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "the secret of {access_key} does not open with this server's secrets key"
                )
            })?;
        String::from_utf8(plain).context("a sealed secret is not UTF-8")
    }
}

/// Write `bytes` to a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_key_and_access_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KEY_FILE);
        let sealer = Sealer::open_or_create(&path).expect("key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = sealer.seal("AK1", "the secret").expect("seal");
        assert!(!sealed.contains("the secret"));
        assert_eq!(sealer.open("AK1", &sealed).expect("open"), "the secret");
        assert!(
            sealer.open("AK2", &sealed).is_err(),
            "bound to its access key"
        );
        let again = Sealer::open_or_create(&path).expect("same key");
        assert_eq!(again.open("AK1", &sealed).expect("open"), "the secret");
        let other = Sealer::from_key([7; 32]);
        assert!(other.open("AK1", &sealed).is_err());
        assert_ne!(
            sealer.seal("AK1", "the secret").expect("seal"),
            sealed,
            "fresh nonce"
        );
    }
}
