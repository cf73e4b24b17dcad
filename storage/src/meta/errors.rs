//! sled's errors as the store's: corruption is [`Error::Corrupt`], I/O stays I/O (so a full
//! disk is still recognised), a transaction's abort carries the store's own error.

use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::Error;

pub(super) fn sled_err(e: sled::Error) -> Error {
    match e {
        sled::Error::Corruption { .. } => Error::Corrupt(e.to_string()),
        sled::Error::Io(io) => Error::Io(io),
        other => Error::Meta(other.to_string()),
    }
}

pub(super) fn txn_err(e: TransactionError<Error>) -> Error {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => sled_err(e),
    }
}

pub(super) fn abort<T>(e: Error) -> Result<T, ConflictableTransactionError<Error>> {
    Err(ConflictableTransactionError::Abort(e))
}
