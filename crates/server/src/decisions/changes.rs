//! Change events (deploys, feature-flag changes, configuration changes):
//! validation of what clients send, and the append-only JSON-lines file in
//! the data directory that keeps them. A change is acknowledged (201) only
//! after its line is written and `fdatasync`ed, so an acknowledged change
//! survives `kill -9`.
//!
//! This module judges nothing: the gate reads the latest deploy from here,
//! the dashboard reads the list as annotations. It must not hold the lock
//! across anything but one write.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::DecisionError;

/// File name of the change log inside the data directory.
pub const CHANGES_FILE: &str = "changes.jsonl";

/// What kind of change happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// A new version of a service was deployed.
    Deploy,
    /// A feature flag was turned on, off or re-targeted.
    Flag,
    /// A configuration change.
    Config,
}

/// One recorded change, in the shape `GET /api/v1/changes` serves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `c1`, `c2`… in recording order.
    pub id: String,
    pub kind: ChangeKind,
    pub service: String,
    /// The version deployed (required for deploys).
    pub version: Option<String>,
    /// The feature flag changed (required for flag changes).
    pub flag: Option<String>,
    pub environment: Option<String>,
    pub author: Option<String>,
    /// When it happened, RFC 3339 (UTC).
    pub time: String,
    /// A link to the pipeline run, pull request or flag console.
    pub link: Option<String>,
    pub description: Option<String>,
}

impl Change {
    /// The instant of the change (validated when it was recorded).
    pub fn instant(&self) -> Timestamp {
        self.time.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

const FIELDS: [&str; 9] = [
    "kind",
    "service",
    "version",
    "flag",
    "environment",
    "author",
    "time",
    "link",
    "description",
];

/// Longest text accepted in any field; longer is a client bug.
const MAX_FIELD_CHARS: usize = 2048;

/// Checks a `POST /api/v1/changes` body; `now` is the default time. The
/// id is assigned when the change is recorded.
pub fn validate(body: &[u8], now: Timestamp) -> Result<Change, DecisionError> {
    let bad = |field: &str, expected: &str| DecisionError::Invalid {
        what: "change".to_owned(),
        field: field.to_owned(),
        expected: expected.to_owned(),
    };
    let value: Value = serde_json::from_slice(body).map_err(|e| DecisionError::Json {
        what: "change".to_owned(),
        message: e.to_string(),
    })?;
    let Value::Object(map) = value else {
        return Err(bad("(body)", "a JSON object"));
    };
    if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(
            unknown,
            "no such field; known fields are kind, service, version, flag, environment, author, time, link, description",
        ));
    }
    let text = |field: &str| -> Result<Option<String>, DecisionError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) if s.chars().count() > MAX_FIELD_CHARS => {
                Err(bad(field, "a string of at most 2048 characters"))
            }
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(bad(field, "a string")),
        }
    };
    let kind = match text("kind")?.as_deref() {
        Some("deploy") => ChangeKind::Deploy,
        Some("flag") => ChangeKind::Flag,
        Some("config") => ChangeKind::Config,
        Some(_) => return Err(bad("kind", "one of deploy, flag, config")),
        None => return Err(bad("kind", "one of deploy, flag, config (required)")),
    };
    let service = text("service")?.ok_or_else(|| bad("service", "a service name (required)"))?;
    let version = text("version")?;
    let flag = text("flag")?;
    if kind == ChangeKind::Deploy && version.is_none() {
        return Err(bad(
            "version",
            "the version deployed (required for kind deploy)",
        ));
    }
    if kind == ChangeKind::Flag && flag.is_none() {
        return Err(bad("flag", "the flag key (required for kind flag)"));
    }
    let time = match text("time")? {
        None => now,
        Some(t) => t.parse::<Timestamp>().map_err(|_| {
            bad(
                "time",
                "an RFC 3339 instant such as 2026-11-27T10:00:00Z (default now)",
            )
        })?,
    };
    Ok(Change {
        id: String::new(),
        kind,
        service,
        version,
        flag,
        environment: text("environment")?,
        author: text("author")?,
        time: time.to_string(),
        link: text("link")?,
        description: text("description")?,
    })
}

/// Which changes a read wants.
#[derive(Clone, Debug, Default)]
pub struct ChangeFilter {
    pub service: Option<String>,
    pub kind: Option<ChangeKind>,
    /// Inclusive.
    pub from: Option<Timestamp>,
    /// Inclusive.
    pub to: Option<Timestamp>,
}

impl ChangeFilter {
    fn keeps(&self, c: &Change) -> bool {
        let t = c.instant();
        self.service.as_ref().is_none_or(|s| *s == c.service)
            && self.kind.is_none_or(|k| k == c.kind)
            && self.from.is_none_or(|f| t >= f)
            && self.to.is_none_or(|to| t <= to)
    }
}

/// The recorded changes, in memory and (when opened in a directory) on disk.
#[derive(Debug, Default)]
pub struct ChangeLog {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    changes: Vec<Change>,
    /// `None` for an in-memory log (tests, embedded use).
    file: Option<(PathBuf, File)>,
}

impl ChangeLog {
    /// Opens (or creates) `dir/changes.jsonl`. A torn last line (a crash
    /// mid-write, never acknowledged) is cut off; any other unreadable line
    /// is an error naming it, because silently dropping history is worse.
    pub fn open(dir: &Path) -> Result<ChangeLog, DecisionError> {
        let (changes, file) = open_lines::<Change>(dir, CHANGES_FILE)?;
        Ok(ChangeLog {
            inner: Mutex::new(Inner {
                changes,
                file: Some(file),
            }),
        })
    }

    /// Records `change` durably and returns it with its id.
    pub fn record(&self, mut change: Change) -> Result<Change, DecisionError> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        change.id = format!("c{}", inner.changes.len() + 1);
        if let Some((path, file)) = &mut inner.file {
            append_line(path, file, &change)?;
        }
        inner.changes.push(change.clone());
        Ok(change)
    }

    /// The changes `filter` keeps, oldest first.
    pub fn list(&self, filter: &ChangeFilter) -> Vec<Change> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Change> = inner
            .changes
            .iter()
            .filter(|c| filter.keeps(c))
            .cloned()
            .collect();
        out.sort_by_key(|c| c.instant());
        out
    }

    /// The latest deploy of `service` (of `version` when given) at or
    /// before `at`.
    pub fn latest_deploy(
        &self,
        service: &str,
        version: Option<&str>,
        at: Timestamp,
    ) -> Option<Change> {
        let filter = ChangeFilter {
            service: Some(service.to_owned()),
            kind: Some(ChangeKind::Deploy),
            to: Some(at),
            from: None,
        };
        self.list(&filter)
            .into_iter()
            .rev()
            .find(|c| version.is_none_or(|v| c.version.as_deref() == Some(v)))
    }
}

/// Reads `dir/name` as JSON lines (creating it), cutting a torn tail, and
/// returns the records and the file opened for appending.
pub(crate) fn open_lines<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    name: &str,
) -> Result<(Vec<T>, (PathBuf, File)), DecisionError> {
    let path = dir.join(name);
    let io = |source| DecisionError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|source| DecisionError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    let mut records = Vec::new();
    let mut good_len: u64 = 0;
    let mut reader = BufReader::new(&mut file);
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io)?;
        if n == 0 {
            break;
        }
        number += 1;
        if !line.ends_with('\n') {
            tracing::warn!(file = %path.display(), line = number, "cutting a torn last line (never acknowledged)");
            break;
        }
        if line.trim().is_empty() {
            good_len += n as u64;
            continue;
        }
        let record = serde_json::from_str(line.trim()).map_err(|e| DecisionError::Corrupt {
            path: path.clone(),
            line: number,
            message: e.to_string(),
        })?;
        records.push(record);
        good_len += n as u64;
    }
    drop(reader);
    let len = file.metadata().map_err(io)?.len();
    if len != good_len {
        file.set_len(good_len).map_err(io)?;
        file.seek(std::io::SeekFrom::End(0)).map_err(io)?;
        file.sync_data().map_err(io)?;
    }
    Ok((records, (path, file)))
}

/// Appends one JSON line and waits until it is on disk.
pub(crate) fn append_line<T: Serialize>(
    path: &Path,
    file: &mut File,
    record: &T,
) -> Result<(), DecisionError> {
    let io = |source| DecisionError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut line = serde_json::to_vec(record).map_err(|e| DecisionError::Json {
        what: path.display().to_string(),
        message: e.to_string(),
    })?;
    line.push(b'\n');
    file.write_all(&line).map_err(io)?;
    file.sync_data().map_err(io)
}
