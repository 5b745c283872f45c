//! The write-ahead log: segment files of CRC-framed records, the writer,
//! group commit, and the reader that recovery uses.
//!
//! Segment = 16-byte header (`LDSTWAL1`, segment number u64 LE), then frames
//! `[payload length u32 LE][CRC-32 of payload u32 LE][payload]`.
//!
//! Durability: a record counts once `fdatasync` has returned after its
//! write. Writers append under the WAL mutex and get a sequence number;
//! then one of the waiting writers (the leader) syncs the file for everyone
//! written so far while the others wait on a condition variable, so N
//! concurrent appends cost one sync, not N.
//!
//! A failed write or sync poisons the store: after a failed `fsync` the
//! kernel may have dropped the dirty pages and a retry can falsely succeed,
//! so the only safe answer is to stop writing and recover from disk.
//!
//! Reading: only the newest segment may end in a torn record (the crash
//! interrupted the write that was never acknowledged); it is reported and
//! cut off. A bad record followed by a good one, or any bad record in an
//! older segment, is corruption and an error naming file and offset.
//! This module does not interpret payloads beyond `record::decode`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};

use crate::error::StoreError;
use crate::layout;
use crate::record::{self, Record};

#[cfg(test)]
mod tests;

pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"LDSTWAL1";
pub(crate) const HEADER_LEN: u64 = 16;
pub(crate) const FRAME_HEADER_LEN: usize = 8;
/// Larger lengths are damage, not records (a batch is far smaller).
pub(crate) const MAX_FRAME_LEN: usize = 1 << 30;

fn segment_header(number: u64) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(&SEGMENT_MAGIC);
    h[8..].copy_from_slice(&number.to_le_bytes());
    h
}

/// The reason writes are refused, set once by the first failure.
#[derive(Debug, Default)]
pub(crate) struct Poison(OnceLock<String>);

impl Poison {
    pub fn set(&self, reason: String) {
        let _ = self.0.set(reason);
    }

    pub fn check(&self) -> Result<(), StoreError> {
        match self.0.get() {
            Some(reason) => Err(StoreError::Poisoned {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// Why a frame was not appended.
#[derive(Debug)]
pub(crate) enum WalAppendError {
    /// Nothing was written: the record exceeds `MAX_FRAME_LEN`.
    TooLarge { bytes: usize, limit: usize },
    /// The write failed; part of the frame may be in the file.
    Io(io::Error),
}

/// The segment being written.
#[derive(Debug)]
pub(crate) struct WalWriter {
    pub number: u64,
    pub path: PathBuf,
    /// Shared with the sync leader, which syncs outside the WAL mutex.
    pub file: Arc<File>,
    /// Bytes in this segment.
    pub len: u64,
    /// Frames written since open, across segments; what group commit counts.
    pub seq: u64,
    /// Reused frame buffer, so an append allocates nothing here.
    frame: Vec<u8>,
}

impl WalWriter {
    /// Creates segment `number` durably (header synced, directory entry synced).
    pub fn create(dir: &Path, number: u64, seq: u64) -> Result<WalWriter, StoreError> {
        let path = layout::segment_path(dir, number);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| StoreError::io("create WAL segment", &path, e))?;
        file.write_all(&segment_header(number))
            .and_then(|()| file.sync_all())
            .map_err(|e| StoreError::io("write the header of WAL segment", &path, e))?;
        layout::sync_dir(dir)?;
        Ok(WalWriter {
            number,
            path,
            file: Arc::new(file),
            len: HEADER_LEN,
            seq,
            frame: Vec::new(),
        })
    }

    /// Frames the payload `encode` writes and appends it; returns its sequence
    /// number. Not durable until a sync covers that number.
    pub fn append(&mut self, encode: impl FnOnce(&mut Vec<u8>)) -> Result<u64, WalAppendError> {
        self.frame.clear();
        self.frame.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
        encode(&mut self.frame);
        let payload_len = self.frame.len() - FRAME_HEADER_LEN;
        if payload_len > MAX_FRAME_LEN {
            self.frame = Vec::new();
            return Err(WalAppendError::TooLarge {
                bytes: payload_len,
                limit: MAX_FRAME_LEN,
            });
        }
        let crc = crc32fast::hash(&self.frame[FRAME_HEADER_LEN..]);
        self.frame[..4].copy_from_slice(&(payload_len as u32).to_le_bytes());
        self.frame[4..8].copy_from_slice(&crc.to_le_bytes());
        (&*self.file)
            .write_all(&self.frame)
            .map_err(WalAppendError::Io)?;
        self.len += self.frame.len() as u64;
        self.seq += 1;
        // Batches can be large; don't keep a huge buffer around for good.
        if self.frame.capacity() > 1 << 20 {
            self.frame = Vec::new();
        }
        Ok(self.seq)
    }
}

#[derive(Debug, Default)]
struct Progress {
    /// Every frame with a sequence number up to this one is durable.
    synced: u64,
    /// A leader is syncing right now; others wait for it.
    leader: bool,
    /// fdatasync calls made, for stats (group commit makes it < appends).
    syncs: u64,
}

/// Group commit: "make my sequence number durable", shared among writers.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    progress: Mutex<Progress>,
    cv: Condvar,
}

impl GroupCommit {
    pub fn syncs(&self) -> u64 {
        self.progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .syncs
    }

    /// Records that frames up to `seq` are durable (a snapshot rotation
    /// synced them) and wakes waiters.
    pub fn mark_synced(&self, seq: u64) {
        let mut p = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        p.synced = p.synced.max(seq);
        p.syncs += 1;
        self.cv.notify_all();
    }

    /// Returns once frame `seq` is durable, syncing it (and everything
    /// written before it) if no other writer is already doing so.
    /// `current` gives the writer's sequence number, file and path, read
    /// under the WAL mutex.
    pub fn wait_durable(
        &self,
        seq: u64,
        current: &dyn Fn() -> (u64, Arc<File>, PathBuf),
        poison: &Poison,
    ) -> Result<(), StoreError> {
        let mut p = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if p.synced >= seq {
                return Ok(());
            }
            poison.check()?;
            if p.leader {
                p = self.cv.wait(p).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            p.leader = true;
            drop(p);
            // Everything up to `target` is in `file` or in a segment that
            // rotation already synced, so one sync covers all of it.
            let (target, file, path) = current();
            let result = file.sync_data();
            p = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
            p.leader = false;
            p.syncs += 1;
            self.cv.notify_all();
            match result {
                Ok(()) => p.synced = p.synced.max(target),
                Err(e) => {
                    poison.set(format!("fdatasync of {} failed: {e}", path.display()));
                    return Err(StoreError::io("fdatasync WAL segment", path, e));
                }
            }
        }
    }
}

/// How a segment ended.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SegmentEnd {
    pub records: u64,
    /// Offset and length of a torn tail (newest segment only).
    pub torn: Option<(u64, u64)>,
}

enum Frame {
    Valid {
        payload: std::ops::Range<usize>,
        next: usize,
    },
    Invalid,
}

fn frame_at(buf: &[u8], pos: usize) -> Frame {
    let Some(head) = buf.get(pos..pos + FRAME_HEADER_LEN) else {
        return Frame::Invalid;
    };
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let start = pos + FRAME_HEADER_LEN;
    // Zero length is never written, and zero-filled tails must not parse.
    if len == 0 || len > MAX_FRAME_LEN || buf.len() - start < len {
        return Frame::Invalid;
    }
    if crc32fast::hash(&buf[start..start + len]) != crc {
        return Frame::Invalid;
    }
    Frame::Valid {
        payload: start..start + len,
        next: start + len,
    }
}

/// True when the bytes at `pos` look like a damaged frame followed by a good
/// one: the length field is plausible and a valid frame starts after it.
fn valid_frame_follows(buf: &[u8], pos: usize) -> bool {
    let Some(head) = buf.get(pos..pos + 4) else {
        return false;
    };
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len == 0 || len > MAX_FRAME_LEN {
        return false;
    }
    matches!(
        frame_at(buf, pos + FRAME_HEADER_LEN + len),
        Frame::Valid { .. }
    )
}

/// Decodes every record of segment `number` at `path`, passing each with its
/// frame offset to `apply`. `newest` allows a torn tail.
pub(crate) fn read_segment(
    path: &Path,
    number: u64,
    newest: bool,
    apply: &mut dyn FnMut(u64, Record) -> Result<(), StoreError>,
) -> Result<SegmentEnd, StoreError> {
    let buf = std::fs::read(path).map_err(|e| StoreError::io("read WAL segment", path, e))?;
    let mut end = SegmentEnd::default();
    let header_ok = buf.len() >= HEADER_LEN as usize && buf[..8] == SEGMENT_MAGIC;
    if !header_ok {
        // A segment is created with its header synced before any record, so
        // a bad header is a crash during creation, unless records follow.
        if newest && !matches!(frame_at(&buf, HEADER_LEN as usize), Frame::Valid { .. }) {
            end.torn = Some((0, buf.len() as u64));
            return Ok(end);
        }
        return Err(StoreError::corrupt(
            path,
            0,
            "a WAL segment header starting with LDSTWAL1",
        ));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&buf[8..16]);
    if u64::from_le_bytes(n) != number {
        return Err(StoreError::corrupt(
            path,
            8,
            format!("segment number {number}, as in the file name"),
        ));
    }
    let mut pos = HEADER_LEN as usize;
    while pos < buf.len() {
        match frame_at(&buf, pos) {
            Frame::Valid { payload, next } => {
                let record = record::decode(&buf[payload.clone()]).map_err(|e| {
                    StoreError::corrupt(
                        path,
                        (payload.start + e.offset) as u64,
                        format!("{} in a WAL record", e.expected),
                    )
                })?;
                apply(pos as u64, record)?;
                end.records += 1;
                pos = next;
            }
            Frame::Invalid => {
                if !newest || valid_frame_follows(&buf, pos) {
                    return Err(StoreError::corrupt(
                        path,
                        pos as u64,
                        "a complete WAL record with a matching CRC-32",
                    ));
                }
                end.torn = Some((pos as u64, (buf.len() - pos) as u64));
                break;
            }
        }
    }
    Ok(end)
}

/// Cuts a torn tail off durably so later opens see a clean segment; a torn
/// header is rewritten.
pub(crate) fn cut_torn_tail(path: &Path, number: u64, offset: u64) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io("open WAL segment to cut its torn tail", path, e))?;
    let result = if offset < HEADER_LEN {
        file.set_len(0)
            .and_then(|()| file.write_all(&segment_header(number)))
    } else {
        file.set_len(offset)
    };
    result
        .and_then(|()| file.sync_all())
        .map_err(|e| StoreError::io("cut the torn tail of WAL segment", path, e))
}
