//! What an object key may be: 1 to 1024 bytes of UTF-8 without NUL. Keys are validated once,
//! at every entry that names one; they never become file paths.

use crate::{Error, Result};

/// Longest key S3 accepts, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;

/// Keys are 1..=1024 bytes of UTF-8 without NUL (NUL separates bucket and key in the
/// metadata key encoding). Keys never become file paths, so nothing else is forbidden.
pub(crate) fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidKey("the key is empty".into()));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLong);
    }
    if key.contains('\0') {
        return Err(Error::InvalidKey("the key contains a NUL character".into()));
    }
    Ok(())
}
