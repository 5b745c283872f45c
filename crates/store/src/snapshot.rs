//! Snapshot files: the encoded state written to a temporary file, fsynced,
//! renamed into place and the directory fsynced, so a snapshot either exists
//! whole or not at all.
//!
//! File = `LDSTSNP1`, covered segment number u64 LE, body length u64 LE,
//! CRC-32 of the body u32 LE, body (`State::encode`). The CRC makes a
//! damaged snapshot detectable, so recovery can fall back to the previous
//! one. This module does not choose which files to delete or keep.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::StoreError;
use crate::layout;
use crate::state::State;

const MAGIC: [u8; 8] = *b"LDSTSNP1";
const HEADER_LEN: usize = 28;

/// Writes snapshot `number` (covering segments `<= number`) atomically and
/// returns its size in bytes.
pub(crate) fn write(dir: &Path, number: u64, body: &[u8]) -> Result<u64, StoreError> {
    let path = layout::snapshot_path(dir, number);
    let tmp = layout::temp_path(&path);
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(&MAGIC);
    header[8..16].copy_from_slice(&number.to_le_bytes());
    header[16..24].copy_from_slice(&(body.len() as u64).to_le_bytes());
    header[24..28].copy_from_slice(&crc32fast::hash(body).to_le_bytes());
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(&header)?;
        f.write_all(body)?;
        f.sync_all()
    });
    if let Err(e) = written {
        // Best effort: open() also deletes leftover temporary files.
        let _ = fs::remove_file(&tmp);
        return Err(StoreError::io("write snapshot", &tmp, e));
    }
    fs::rename(&tmp, &path).map_err(|e| StoreError::io("rename snapshot into place", &path, e))?;
    layout::sync_dir(dir)?;
    Ok((HEADER_LEN + body.len()) as u64)
}

/// Loads and checks snapshot `number`.
pub(crate) fn read(path: &Path, number: u64) -> Result<State, StoreError> {
    let buf = fs::read(path).map_err(|e| StoreError::io("read snapshot", path, e))?;
    if buf.len() < HEADER_LEN || buf[..8] != MAGIC {
        return Err(StoreError::corrupt(
            path,
            0,
            "a snapshot header starting with LDSTSNP1",
        ));
    }
    let word = |at: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&buf[at..at + 8]);
        u64::from_le_bytes(a)
    };
    if word(8) != number {
        return Err(StoreError::corrupt(
            path,
            8,
            format!("snapshot number {number}, as in the file name"),
        ));
    }
    let body = &buf[HEADER_LEN..];
    if word(16) != body.len() as u64 {
        return Err(StoreError::corrupt(
            path,
            16,
            format!(
                "a body length equal to the {} bytes after the header",
                body.len()
            ),
        ));
    }
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&buf[24..28]);
    if crc32fast::hash(body) != u32::from_le_bytes(crc) {
        return Err(StoreError::corrupt(
            path,
            HEADER_LEN as u64,
            "a snapshot body matching its CRC-32",
        ));
    }
    State::decode(body).map_err(|e| {
        StoreError::corrupt(
            path,
            (HEADER_LEN + e.offset) as u64,
            format!("{} in the snapshot body", e.expected),
        )
    })
}
