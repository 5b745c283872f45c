//! Finding and reading spec files on disk for [`crate::load_paths`]; the only
//! IO in the crate.
//!
//! Folders are walked recursively for `*.yaml`, `*.yml` and `*.json`, in
//! sorted order; a file named explicitly is read whatever its extension.
//! Nothing here parses or validates.

use std::path::{Path, PathBuf};

use crate::error::LoadError;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// `(file name, text)` of every spec file under `paths`, each file once.
pub(crate) fn read_sources(paths: &[PathBuf]) -> Result<Vec<(String, String)>, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, true, &mut files)?;
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).map_err(|e| LoadError::read(&f, &e))?;
            Ok((f.display().to_string(), text))
        })
        .collect()
}

fn collect(path: &Path, explicit: bool, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit => {
            return Err(LoadError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(LoadError::read(path, &e)),
    };
    if meta.is_dir() {
        let mut entries = std::fs::read_dir(path)
            .and_then(|rd| {
                rd.map(|e| e.map(|e| e.path()))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| LoadError::read(path, &e))?;
        entries.sort();
        for entry in entries {
            collect(&entry, false, out)?;
        }
    } else if explicit
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
    {
        out.push(path.to_path_buf());
    }
    Ok(())
}
