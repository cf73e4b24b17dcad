//! The poison flag: after a failed fsync nothing is known of the page cache's state (a retry
//! could report success for lost data), so the store refuses every later write until a
//! restart. Shared by the store and the pack appender, which syncs on a thread of its own.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Error, Result};

#[derive(Default)]
pub(crate) struct Poison {
    poisoned: AtomicBool,
}

impl Poison {
    /// Refuse writes once an fsync failed.
    pub fn check(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            Err(Error::Poisoned)
        } else {
            Ok(())
        }
    }

    /// Run an fsync; a failure poisons the store.
    pub fn fsync(&self, sync: impl FnOnce() -> std::io::Result<()>) -> Result<()> {
        sync().map_err(|e| {
            self.poison(&e.to_string());
            Error::Io(e)
        })
    }

    pub fn poison(&self, why: &str) {
        if !self.poisoned.swap(true, Ordering::AcqRel) {
            tracing::error!(
                reason = why,
                "storage poisoned: refusing all further writes"
            );
        }
    }
}
