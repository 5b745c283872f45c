//! The durable outbox: every notification to every target is an item in an
//! append-only JSON-lines log in one directory, written and `fsync`ed before
//! `enqueue` returns, so a notification that is due survives a crash or
//! restart. `deliver_due` sends what is due, records each outcome in the
//! log, and compacts the log when finished items outweigh live ones.
//!
//! Rules, in the order they apply:
//! - **Order per alert and target.** Items for the same (target, key) go out
//!   in enqueue order: while an earlier one is pending, later ones wait, so
//!   a resolve is never sent before its trigger. Items for other keys or
//!   targets are independent.
//! - **Refreshes collapse.** Enqueueing when the newest pending item for the
//!   same (target, key) has the same status replaces it (the newer content
//!   wins; its retry schedule and deadline carry over). A receiver that is
//!   down for hours thus holds at most a trigger and a resolve per alert.
//! - **Backoff.** After the n-th failed attempt the next one is due
//!   [`retry_delay`]`(n)` later: 10 s, 20 s, 40 s… capped at 10 min, no
//!   jitter (the server staggers nothing, and one process owns the outbox).
//! - **Giving up.** A retryable failure (transport error, timeout, 5xx, 408,
//!   429) 24 h ([`GIVE_UP_AFTER`]) or more after the item's first enqueue
//!   gives the item up; any other 4xx (or 3xx) gives up at once. Given-up
//!   items are counted and their error kept in [`TargetStats`].
//! - **One slow target per pass.** After a retryable failure, the rest of
//!   that target's items wait for the next pass, so a dead receiver costs
//!   one timeout per pass, not one per item.
//! - **At least once.** Outcomes are synced at the end of each pass; a crash
//!   mid-pass re-sends. Receivers deduplicate: Alertmanager by labels,
//!   PagerDuty by `dedup_key`, webhooks by `X-Lodestar-Delivery`.
//!
//! The outbox reads no clock (`now` is a parameter) and sends nothing
//! itself: the [`TargetSet`] does.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::notification::{Notification, Status};
use crate::target::{Attempt, TargetName, TargetSet};

/// Delay before the first retry.
pub const FIRST_RETRY: Duration = Duration::from_secs(10);
/// The longest delay between two attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(10 * 60);
/// How long after its first enqueue an item keeps being retried.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

const LOG_FILE: &str = "outbox.jsonl";
const COMPACT_FILE: &str = "outbox.jsonl.compact";

/// Compaction runs when the log holds this many records more than
/// [`COMPACTION_FACTOR`] times the live ones, bounding the file at a few
/// times the size of what is pending.
const COMPACTION_SLACK: usize = 256;
const COMPACTION_FACTOR: usize = 4;

/// The wait after the `failures`-th failed attempt (`failures` ≥ 1).
pub fn retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    let delay = FIRST_RETRY.saturating_mul(1u32 << doublings);
    delay.min(MAX_RETRY)
}

/// What happened to one item in a [`Outbox::deliver_due`] pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The outbox item id (the webhook's `X-Lodestar-Delivery`).
    pub id: u64,
    /// Where it was sent.
    pub target: TargetName,
    /// The notification's key.
    pub key: String,
    /// Firing or resolved.
    pub status: Status,
    /// The result.
    pub outcome: Outcome,
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the receiver; the item is done.
    Sent,
    /// Failed; tried again at `next_attempt_at`.
    Failed {
        /// What went wrong.
        error: String,
        /// When the next attempt is due.
        next_attempt_at: Timestamp,
    },
    /// Failed for good; the item is dropped.
    GaveUp {
        /// What went wrong.
        error: String,
    },
}

/// Delivery figures for one target, for the API and `/metrics`. Counters
/// are cumulative over the outbox's life (they survive restarts and
/// compaction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetStats {
    /// The target's name.
    pub target: TargetName,
    /// Notifications accepted by the receiver.
    pub sent: u64,
    /// Attempts that failed (including those that led to giving up).
    pub failed_attempts: u64,
    /// Items waiting to be sent or retried.
    pub pending: u64,
    /// Items dropped after a permanent error or the retry deadline.
    pub given_up: u64,
    /// The most recent failure's message.
    pub last_error: Option<String>,
    /// When that failure happened.
    pub last_error_at: Option<Timestamp>,
}

/// A pending item, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// Item id.
    pub id: u64,
    /// Destination.
    pub target: TargetName,
    /// Notification key.
    pub key: String,
    /// Firing or resolved.
    pub status: Status,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When it is due.
    pub next_attempt_at: Timestamp,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// One queued notification for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    target: TargetName,
    notification: Box<Notification>,
    /// Start of the retry deadline: the enqueue time of the first item in a
    /// chain of collapsed refreshes.
    first_at: Timestamp,
    next_at: Timestamp,
    attempts: u32,
    last_error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counters {
    sent: u64,
    failed_attempts: u64,
    given_up: u64,
    last_error: Option<String>,
    last_error_at: Option<Timestamp>,
}

/// One line of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Record {
    /// Ids stay unique across compactions, since receivers deduplicate on
    /// them.
    NextId {
        next_id: u64,
    },
    /// A target's counters as of a compaction.
    Stats {
        target: TargetName,
        sent: u64,
        failed_attempts: u64,
        given_up: u64,
        last_error: Option<String>,
        last_error_at: Option<Timestamp>,
    },
    Enqueue {
        id: u64,
        target: TargetName,
        first_at: Timestamp,
        next_at: Timestamp,
        attempts: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaces: Option<u64>,
        notification: Box<Notification>,
    },
    Failed {
        id: u64,
        at: Timestamp,
        error: String,
        next_at: Timestamp,
    },
    Delivered {
        id: u64,
        at: Timestamp,
    },
    GaveUp {
        id: u64,
        at: Timestamp,
        error: String,
    },
}

/// The durable queue of notifications; see the module docs for its rules.
#[derive(Debug)]
pub struct Outbox {
    /// The directory holding the log.
    dir: PathBuf,
    /// Append handle on the log.
    log: File,
    /// Records currently in the log, to decide when to compact.
    records: usize,
    /// Pending items by id; id order is enqueue order.
    items: BTreeMap<u64, Item>,
    /// Cumulative counters per target.
    counters: BTreeMap<TargetName, Counters>,
    /// The id the next enqueued item gets.
    next_id: u64,
}

impl Outbox {
    /// Opens (creating if needed) the outbox in `dir` and re-reads every
    /// item not yet delivered or given up. A torn last line (a crash during
    /// a write that had not returned) is dropped; damage elsewhere is an
    /// error.
    pub fn open(dir: impl AsRef<Path>) -> Result<Outbox> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let compact = dir.join(COMPACT_FILE);
        if compact.exists() {
            // A compaction that did not reach its rename: the log is intact.
            fs::remove_file(&compact).map_err(io(&compact))?;
        }
        let path = dir.join(LOG_FILE);
        let mut log = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut text = Vec::new();
        log.read_to_end(&mut text).map_err(io(&path))?;

        let mut outbox = Outbox {
            dir,
            log,
            records: 0,
            items: BTreeMap::new(),
            counters: BTreeMap::new(),
            next_id: 1,
        };
        let mut good_len = 0usize;
        let mut line_no = 0usize;
        let mut rest = &text[..];
        while !rest.is_empty() {
            line_no += 1;
            let (line, complete) = match rest.iter().position(|&b| b == b'\n') {
                Some(end) => (&rest[..end], true),
                None => (rest, false),
            };
            // An unterminated final line, or an undecodable one, was being
            // written when the process stopped; its writer never returned,
            // so nothing acknowledged is lost by dropping it.
            if !complete {
                break;
            }
            match serde_json::from_slice::<Record>(line) {
                Ok(record) => outbox.apply(record),
                Err(_) if line.len() + 1 == rest.len() => break,
                Err(e) => {
                    return Err(Error::Corrupt {
                        path,
                        line: line_no,
                        reason: e.to_string(),
                    });
                }
            }
            outbox.records += 1;
            good_len += line.len() + 1;
            rest = &rest[line.len() + 1..];
        }
        if good_len < text.len() {
            outbox.log.set_len(good_len as u64).map_err(io(&path))?;
            outbox.log.sync_all().map_err(io(&path))?;
        }
        Ok(outbox)
    }

    /// Queues `n` for each of `targets` and syncs the log before returning;
    /// returns the new item ids, one per distinct target. Due at once unless it
    /// replaces an item that is waiting for a retry.
    pub fn enqueue(
        &mut self,
        n: &Notification,
        targets: &[TargetName],
        now: Timestamp,
    ) -> Result<Vec<u64>> {
        let mut records: Vec<Record> = Vec::with_capacity(targets.len());
        let mut ids = Vec::with_capacity(targets.len());
        for target in targets {
            if records
                .iter()
                .any(|r| matches!(r, Record::Enqueue { target: t, .. } if t == target))
            {
                continue;
            }
            let id = self.next_id + ids.len() as u64;
            let newest = self
                .items
                .iter()
                .rev()
                .find(|(_, item)| item.target == *target && item.notification.key == n.key);
            let (first_at, next_at, attempts, last_error, replaces) = match newest {
                Some((&old, item)) if item.notification.status == n.status => (
                    item.first_at,
                    item.next_at,
                    item.attempts,
                    item.last_error.clone(),
                    Some(old),
                ),
                _ => (now, now, 0, None, None),
            };
            ids.push(id);
            records.push(Record::Enqueue {
                id,
                target: target.clone(),
                first_at,
                next_at,
                attempts,
                last_error,
                replaces,
                notification: Box::new(n.clone()),
            });
        }
        self.append(&records).map_err(|e| match e {
            Error::Encode { reason, .. } => Error::Encode {
                key: n.key.clone(),
                reason,
            },
            other => other,
        })?;
        // Applied only once durable, so memory never runs ahead of the log.
        for record in records {
            self.apply(record);
        }
        self.compact_if_needed()?;
        Ok(ids)
    }

    /// Sends every due item once (see the module docs for order, backoff
    /// and giving up), records the outcomes durably, and compacts the log
    /// when it has grown. Returns one [`Delivery`] per attempt made.
    pub fn deliver_due(&mut self, targets: &TargetSet, now: Timestamp) -> Result<Vec<Delivery>> {
        let mut blocked_keys: HashSet<(TargetName, String)> = HashSet::new();
        let mut blocked_targets: HashSet<TargetName> = HashSet::new();
        let mut deliveries = Vec::new();
        let mut records = Vec::new();
        let ids: Vec<u64> = self.items.keys().copied().collect();
        for id in ids {
            let Some(item) = self.items.get(&id) else {
                continue;
            };
            let chain = (item.target.clone(), item.notification.key.clone());
            if blocked_keys.contains(&chain) || blocked_targets.contains(&item.target) {
                blocked_keys.insert(chain);
                continue;
            }
            if item.next_at > now {
                blocked_keys.insert(chain);
                continue;
            }
            let attempt = targets.attempt(&item.target, &item.notification, id, now);
            let outcome = match attempt {
                Attempt::Sent => {
                    records.push(Record::Delivered { id, at: now });
                    Outcome::Sent
                }
                Attempt::GiveUp(error) => {
                    records.push(Record::GaveUp {
                        id,
                        at: now,
                        error: error.clone(),
                    });
                    Outcome::GaveUp { error }
                }
                Attempt::Retry(error) => {
                    blocked_keys.insert(chain);
                    blocked_targets.insert(item.target.clone());
                    if now.duration_since(item.first_at) >= signed(GIVE_UP_AFTER) {
                        let error = format!(
                            "{error} (giving up: still failing {} h after it was queued)",
                            GIVE_UP_AFTER.as_secs() / 3600
                        );
                        records.push(Record::GaveUp {
                            id,
                            at: now,
                            error: error.clone(),
                        });
                        Outcome::GaveUp { error }
                    } else {
                        let next_at = later(now, retry_delay(item.attempts + 1));
                        records.push(Record::Failed {
                            id,
                            at: now,
                            error: error.clone(),
                            next_at,
                        });
                        Outcome::Failed {
                            error,
                            next_attempt_at: next_at,
                        }
                    }
                }
            };
            let item = &self.items[&id];
            deliveries.push(Delivery {
                id,
                target: item.target.clone(),
                key: item.notification.key.clone(),
                status: item.notification.status,
                outcome,
            });
            if let Some(record) = records.last() {
                self.apply(record.clone());
            }
        }
        if !records.is_empty() {
            // Outcomes are applied before this write: if it fails, memory
            // says sent while the log does not, and a restart re-sends,
            // which is the at-least-once promise.
            self.append(&records)?;
            self.compact_if_needed()?;
        }
        Ok(deliveries)
    }

    /// Figures per target, sorted by name: every target that has had items.
    pub fn stats(&self) -> Vec<TargetStats> {
        let mut stats: BTreeMap<TargetName, TargetStats> = self
            .counters
            .iter()
            .map(|(target, c)| {
                let s = TargetStats {
                    target: target.clone(),
                    sent: c.sent,
                    failed_attempts: c.failed_attempts,
                    pending: 0,
                    given_up: c.given_up,
                    last_error: c.last_error.clone(),
                    last_error_at: c.last_error_at,
                };
                (target.clone(), s)
            })
            .collect();
        for item in self.items.values() {
            stats
                .entry(item.target.clone())
                .or_insert_with(|| TargetStats {
                    target: item.target.clone(),
                    sent: 0,
                    failed_attempts: 0,
                    pending: 0,
                    given_up: 0,
                    last_error: None,
                    last_error_at: None,
                })
                .pending += 1;
        }
        stats.into_values().collect()
    }

    /// The pending items in enqueue order.
    pub fn pending(&self) -> Vec<Pending> {
        self.items
            .iter()
            .map(|(&id, item)| Pending {
                id,
                target: item.target.clone(),
                key: item.notification.key.clone(),
                status: item.notification.status,
                attempts: item.attempts,
                next_attempt_at: item.next_at,
                last_error: item.last_error.clone(),
            })
            .collect()
    }

    /// The earliest time an item can be sent, for the caller's sleep;
    /// `None` when nothing is pending. Only the oldest pending item of each
    /// (target, key) counts: the ones behind it wait for it whatever their
    /// own schedule says.
    pub fn next_due(&self) -> Option<Timestamp> {
        let mut heads: HashSet<(&TargetName, &str)> = HashSet::new();
        self.items
            .values()
            .filter(|item| heads.insert((&item.target, item.notification.key.as_str())))
            .map(|item| item.next_at)
            .min()
    }

    /// Bytes in the log file now; a figure for `/metrics` and tests of the
    /// growth bound.
    pub fn log_bytes(&self) -> Result<u64> {
        let path = self.dir.join(LOG_FILE);
        Ok(fs::metadata(&path).map_err(io(&path))?.len())
    }

    fn apply(&mut self, record: Record) {
        match record {
            Record::NextId { next_id } => self.next_id = self.next_id.max(next_id),
            Record::Stats {
                target,
                sent,
                failed_attempts,
                given_up,
                last_error,
                last_error_at,
            } => {
                self.counters.insert(
                    target,
                    Counters {
                        sent,
                        failed_attempts,
                        given_up,
                        last_error,
                        last_error_at,
                    },
                );
            }
            Record::Enqueue {
                id,
                target,
                first_at,
                next_at,
                attempts,
                last_error,
                replaces,
                notification,
            } => {
                if let Some(old) = replaces {
                    self.items.remove(&old);
                }
                self.next_id = self.next_id.max(id + 1);
                self.items.insert(
                    id,
                    Item {
                        target,
                        notification,
                        first_at,
                        next_at,
                        attempts,
                        last_error,
                    },
                );
            }
            Record::Failed {
                id,
                at,
                error,
                next_at,
            } => {
                if let Some(item) = self.items.get_mut(&id) {
                    item.attempts += 1;
                    item.next_at = next_at;
                    item.last_error = Some(error.clone());
                    let c = self.counters.entry(item.target.clone()).or_default();
                    c.failed_attempts += 1;
                    c.last_error = Some(error);
                    c.last_error_at = Some(at);
                }
            }
            Record::Delivered { id, .. } => {
                if let Some(item) = self.items.remove(&id) {
                    self.counters.entry(item.target).or_default().sent += 1;
                }
            }
            Record::GaveUp { id, at, error } => {
                if let Some(item) = self.items.remove(&id) {
                    let c = self.counters.entry(item.target).or_default();
                    c.failed_attempts += 1;
                    c.given_up += 1;
                    c.last_error = Some(error);
                    c.last_error_at = Some(at);
                }
            }
        }
    }

    fn append(&mut self, records: &[Record]) -> Result<()> {
        let path = self.dir.join(LOG_FILE);
        let bytes = encode(records)?;
        self.log.write_all(&bytes).map_err(io(&path))?;
        self.log.sync_data().map_err(io(&path))?;
        self.records += records.len();
        Ok(())
    }

    fn compact_if_needed(&mut self) -> Result<()> {
        let live = 1 + self.counters.len() + self.items.len();
        if self.records > COMPACTION_FACTOR * live + COMPACTION_SLACK {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the log as the current state: written to a side file,
    /// synced, renamed over the log, and the directory synced, so a crash
    /// leaves either the old log or the new one.
    fn compact(&mut self) -> Result<()> {
        let mut records = vec![Record::NextId {
            next_id: self.next_id,
        }];
        for (target, c) in &self.counters {
            records.push(Record::Stats {
                target: target.clone(),
                sent: c.sent,
                failed_attempts: c.failed_attempts,
                given_up: c.given_up,
                last_error: c.last_error.clone(),
                last_error_at: c.last_error_at,
            });
        }
        for (&id, item) in &self.items {
            records.push(Record::Enqueue {
                id,
                target: item.target.clone(),
                first_at: item.first_at,
                next_at: item.next_at,
                attempts: item.attempts,
                last_error: item.last_error.clone(),
                replaces: None,
                notification: item.notification.clone(),
            });
        }
        let bytes = encode(&records)?;
        let side = self.dir.join(COMPACT_FILE);
        let path = self.dir.join(LOG_FILE);
        {
            let mut file = File::create(&side).map_err(io(&side))?;
            file.write_all(&bytes).map_err(io(&side))?;
            file.sync_all().map_err(io(&side))?;
        }
        fs::rename(&side, &path).map_err(io(&path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        self.log = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        self.records = records.len();
        Ok(())
    }
}

fn encode(records: &[Record]) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, record).map_err(|e| Error::Encode {
            key: String::new(),
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

fn later(t: Timestamp, d: Duration) -> Timestamp {
    t.saturating_add(signed(d)).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests;
