//! The one error type of the crate: reading spec files from disk failed.
//!
//! Problems *in* spec files are not errors of this kind; they are
//! [`crate::Diagnostic`]s, so that one run reports all of them.

use std::path::PathBuf;

/// Why spec files could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// A path given to [`crate::load_paths`] does not exist.
    #[error("{}: no such file or folder; expected a spec file or a folder of them", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// A file or folder exists but could not be read (permissions, not
    /// UTF-8, ...).
    #[error("reading {}: {message}", path.display())]
    Read {
        /// The file or folder that failed.
        path: PathBuf,
        /// The IO error's kind, for callers that branch on it.
        kind: std::io::ErrorKind,
        /// The IO error's message.
        message: String,
    },
}

impl LoadError {
    pub(crate) fn read(path: &std::path::Path, e: &std::io::Error) -> LoadError {
        LoadError::Read {
            path: path.to_path_buf(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}
