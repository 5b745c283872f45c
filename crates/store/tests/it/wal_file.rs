//! Surgery on WAL segment files, to simulate what a crash or a bad disk
//! leaves behind. Parses the documented framing independently of the crate:
//! 16-byte header, then `[len u32 LE][crc u32 LE][payload]` frames.

use std::fs;
use std::path::{Path, PathBuf};

pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with("wal-") && n.ends_with(".log")
        })
        .collect();
    v.sort();
    v
}

pub fn snapshots(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .collect();
    v.sort();
    v
}

/// `(offset, total length incl. 8-byte frame header)` of every frame.
pub fn frames(path: &Path) -> Vec<(u64, u64)> {
    let buf = fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut pos = 16usize;
    while pos + 8 <= buf.len() {
        let len = u32::from_le_bytes(buf[pos..pos + 4].try_into().unwrap()) as usize;
        if len == 0 || pos + 8 + len > buf.len() {
            break;
        }
        out.push((pos as u64, (8 + len) as u64));
        pos += 8 + len;
    }
    out
}

pub fn cut(path: &Path, len: u64) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

pub fn flip_byte(path: &Path, at: u64) {
    let mut buf = fs::read(path).unwrap();
    buf[at as usize] ^= 0x5a;
    fs::write(path, buf).unwrap();
}
