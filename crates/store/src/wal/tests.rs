use slo::Bucket;

use super::*;
use crate::record::{BatchRecord, CompactRecord};

/// Writes `n` compact records (small, distinct) to a fresh segment 1.
fn segment_with(n: usize) -> (tempfile::TempDir, PathBuf, Vec<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WalWriter::create(dir.path(), 1, 0).unwrap();
    let mut offsets = Vec::new();
    for i in 0..n {
        offsets.push(w.len);
        let r = CompactRecord {
            retention_cut: i as i64 * 60,
            minute_cut: 0,
            kept: vec!["x".repeat(i)],
        };
        assert_eq!(
            w.append(|out| record::put_compact(out, &r)).unwrap(),
            i as u64 + 1
        );
    }
    offsets.push(w.len);
    let path = w.path.clone();
    (dir, path, offsets)
}

fn read(path: &Path, newest: bool) -> Result<(SegmentEnd, Vec<u64>), StoreError> {
    let mut seen = Vec::new();
    let end = read_segment(path, 1, newest, &mut |offset, _| {
        seen.push(offset);
        Ok(())
    })?;
    Ok((end, seen))
}

#[test]
fn frames_read_back_in_order() {
    let (_dir, path, offsets) = segment_with(4);
    let (end, seen) = read(&path, false).unwrap();
    assert_eq!(
        end,
        SegmentEnd {
            records: 4,
            torn: None
        }
    );
    assert_eq!(seen, offsets[..4]);
}

#[test]
fn every_cut_inside_the_last_frame_is_a_torn_tail_of_the_newest_segment_only() {
    let (_dir, path, offsets) = segment_with(3);
    let full = std::fs::read(&path).unwrap();
    let last = offsets[2];
    for cut in last + 1..offsets[3] {
        std::fs::write(&path, &full[..cut as usize]).unwrap();
        let (end, _) = read(&path, true).unwrap();
        assert_eq!(
            end,
            SegmentEnd {
                records: 2,
                torn: Some((last, cut - last))
            },
            "cut at {cut}"
        );
        let err = read(&path, false).unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { offset, .. } if offset == last),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn a_bad_frame_followed_by_a_good_one_is_corruption_even_in_the_newest_segment() {
    let (_dir, path, offsets) = segment_with(3);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[offsets[1] as usize + FRAME_HEADER_LEN] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = read(&path, true).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { offset, .. } if offset == offsets[1]),
        "{err}"
    );
}

#[test]
fn torn_header_of_the_newest_segment_is_cut_and_rewritten() {
    let (_dir, path, _) = segment_with(0);
    std::fs::write(&path, b"LDST").unwrap();
    let (end, _) = read(&path, true).unwrap();
    assert_eq!(end.torn, Some((0, 4)));
    cut_torn_tail(&path, 1, 0).unwrap();
    assert_eq!(read(&path, false).unwrap().0, SegmentEnd::default());
    // A wrong number in an intact header is never a torn write.
    std::fs::write(&path, segment_header(7)).unwrap();
    assert!(matches!(
        read(&path, true),
        Err(StoreError::Corrupt { offset: 8, .. })
    ));
}

#[test]
fn a_frame_with_a_valid_crc_but_an_unknown_kind_is_corruption() {
    let (_dir, path, _) = segment_with(1);
    let mut w = WalWriter::create(path.parent().unwrap(), 2, 0).unwrap();
    w.append(|out| out.push(9)).unwrap();
    let mut seen = 0;
    let err = read_segment(&w.path, 2, true, &mut |_, _| {
        seen += 1;
        Ok(())
    })
    .unwrap_err();
    assert!(err.to_string().contains("record kind"), "{err}");
    let batch: BatchRecord<Bucket> = BatchRecord {
        defines: vec![],
        deltas: vec![],
    };
    let mut out = Vec::new();
    record::put_batch(&mut out, &batch);
    assert_eq!(record::decode(&out).unwrap(), Record::Batch(batch));
}

#[test]
fn group_commit_counts_a_rotation_as_a_sync() {
    let (_dir, path, _) = segment_with(0);
    let file = Arc::new(OpenOptions::new().append(true).open(&path).unwrap());
    let gc = GroupCommit::default();
    gc.mark_synced(5);
    let poison = Poison::default();
    let current = || (5u64, file.clone(), path.clone());
    // Already durable: returns without syncing.
    gc.wait_durable(5, &current, &poison).unwrap();
    assert_eq!(gc.syncs(), 1);
    gc.wait_durable(6, &|| (6u64, file.clone(), path.clone()), &poison)
        .unwrap();
    assert_eq!(gc.syncs(), 2);
    poison.set("disk on fire".into());
    assert!(matches!(
        gc.wait_durable(7, &current, &poison),
        Err(StoreError::Poisoned { .. })
    ));
}
