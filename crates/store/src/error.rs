//! The store's one error type. Every variant names the file (or directory)
//! involved and, for corruption, the byte offset, so an operator can find
//! the damage. This module only describes failures; it decides nothing about
//! recovery (that is `recovery.rs`) and maps nothing to HTTP (the server
//! does that at its edge).

use std::io;
use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system call failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What the store was doing, e.g. "create the data directory".
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Stored bytes do not decode: a damaged or foreign file. Not used for a
    /// torn last WAL record, which recovery drops and reports instead.
    #[error("corrupt store file {file} at byte {offset}: expected {expected}")]
    Corrupt {
        file: PathBuf,
        offset: u64,
        expected: String,
    },

    /// Another process (or another `Store` in this one) holds the directory.
    #[error(
        "data directory {dir} is in use by another lodestar process{holder} (lock file {lock}); stop that process or choose another data directory"
    )]
    Locked {
        dir: PathBuf,
        lock: PathBuf,
        /// " (pid N)" when the lock file names its holder, else empty.
        holder: String,
    },

    /// A configuration value is out of range.
    #[error("invalid store configuration: {field} is {value}, expected {expected}")]
    Config {
        field: &'static str,
        value: String,
        expected: &'static str,
    },

    /// An earlier write or sync of the write-ahead log failed, so what is on
    /// disk is no longer known; the store refuses writes until reopened.
    #[error(
        "store refuses writes after an earlier failure ({reason}); reopen the data directory to recover"
    )]
    Poisoned { reason: String },

    /// A delta's minute lies outside the range the store accepts.
    #[error(
        "minute {minute} of series {key} is outside the storable range [-2^50, 2^50) minutes since the epoch"
    )]
    MinuteOutOfRange { key: String, minute: i64 },

    /// One `append` encoded to more than a WAL record may hold.
    #[error(
        "append batch encodes to {bytes} bytes, more than the WAL record limit of {limit}; split it into smaller batches"
    )]
    BatchTooLarge { bytes: usize, limit: usize },

    /// Series ids are `u32`; this many live series cannot be interned.
    #[error("cannot add series {key}: the store already holds the maximum of {max} series")]
    TooManySeries { key: String, max: u64 },
}

impl StoreError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(
        file: impl Into<PathBuf>,
        offset: u64,
        expected: impl Into<String>,
    ) -> Self {
        StoreError::Corrupt {
            file: file.into(),
            offset,
            expected: expected.into(),
        }
    }
}
