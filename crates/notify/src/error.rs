//! The crate's error type: configuration mistakes (a target that cannot be
//! parsed) and outbox storage failures. Delivery failures are not errors of
//! this kind: they are outcomes recorded per notification (`Outcome`), so
//! one unreachable receiver never stops the others.

use std::path::PathBuf;

/// Everything that can go wrong when configuring targets or using the outbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A notification target string or config entry is not valid.
    #[error("notification target {input:?}: {reason}")]
    Target {
        /// The text or config entry as given.
        input: String,
        /// What was expected instead.
        reason: String,
    },
    /// Two targets were configured under the same name.
    #[error("notification target name {name:?} is configured twice; names must be unique")]
    DuplicateTarget {
        /// The repeated name.
        name: String,
    },
    /// Reading or writing the outbox directory failed.
    #[error("outbox {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// A record in the middle of the outbox log cannot be decoded.
    #[error("outbox {path}:{line}: corrupt record, expected one JSON object per line: {reason}")]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// 1-based line number of the bad record.
        line: usize,
        /// The decoder's complaint.
        reason: String,
    },
    /// A notification could not be encoded into the outbox log.
    #[error("outbox: cannot encode notification {key:?}: {reason}")]
    Encode {
        /// The notification's key.
        key: String,
        /// The encoder's complaint.
        reason: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
