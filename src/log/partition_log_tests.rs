//! Unit tests of segments and the partition log: offsets, indexes, rolls, reads, truncation,
//! retention, the epoch cache, reopening and recovery.

use super::*;
use crate::log::compaction;
use crate::log::index::{OffsetIndex, TimeIndex};
use crate::protocol::records::{BatchBuilder, Compression};

/// A client batch of `n` records of `value_len` bytes, timestamps `ts, ts+1, ...`.
pub(crate) fn batch(n: usize, value_len: usize, ts: i64) -> BytesMut {
    let mut b = BatchBuilder::new(Compression::None);
    let value = vec![b'v'; value_len];
    for i in 0..n {
        let key = format!("k{i}");
        b.append(ts + i as i64, Some(key.as_bytes()), Some(&value), &[])
            .unwrap();
    }
    BytesMut::from(&b.build().unwrap()[..])
}

fn open(dir: &Path, config: LogConfig) -> PartitionLog {
    PartitionLog::open(dir, "t", 0, config, OpenOptions::default())
        .unwrap()
        .0
}

fn small() -> LogConfig {
    LogConfig {
        segment_bytes: 10_000,
        index_interval_bytes: 1024,
        segment_index_bytes: 4096,
        file_delete_delay_ms: 1000,
        ..LogConfig::default()
    }
}

fn read_all(log: &PartitionLog, from: i64) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    let mut next = from;
    while next < log.log_end_offset() {
        let r = log.read(next, 1 << 20, None, true).unwrap();
        let Some(range) = r.range else { break };
        let bytes = range.read_to_bytes().unwrap();
        for b in Batches::new(bytes) {
            let Batch::V2(b) = b.unwrap() else { panic!() };
            b.validate().unwrap();
            next = b.next_offset();
            out.push(b);
        }
    }
    out
}

#[test]
fn append_assigns_offsets_and_epochs_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    let a = log.append_as_leader(batch(3, 10, 1000), 5, 2000).unwrap();
    assert_eq!((a.first_offset, a.last_offset, a.record_count), (0, 2, 3));
    assert_eq!(a.log_append_time, -1);
    let mut two = batch(2, 10, 1100);
    two.extend_from_slice(&batch(1, 10, 1200));
    let b = log.append_as_leader(two, 6, 2000).unwrap();
    assert_eq!((b.first_offset, b.last_offset, b.batch_count), (3, 5, 2));
    assert_eq!(log.log_end_offset(), 6);
    let batches = read_all(&log, 0);
    let got: Vec<_> = batches
        .iter()
        .map(|b| (b.base_offset(), b.last_offset(), b.partition_leader_epoch()))
        .collect();
    assert_eq!(got, vec![(0, 2, 5), (3, 4, 6), (5, 5, 6)]);
    assert_eq!(
        log.epochs(),
        &[
            EpochEntry {
                epoch: 5,
                start_offset: 0
            },
            EpochEntry {
                epoch: 6,
                start_offset: 3
            }
        ]
    );
    // Offset inside a batch: the whole batch comes back.
    let r = log.read(4, 1 << 20, None, true).unwrap();
    assert_eq!(r.first_batch_offset, Some(3));
}

#[test]
fn bad_appends_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    log.append_as_leader(batch(1, 10, 0), 0, 0).unwrap();
    let mut corrupt = batch(2, 10, 0);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    let mut two = batch(1, 10, 0);
    two.extend_from_slice(&corrupt);
    assert!(matches!(
        log.append_as_leader(two, 0, 0),
        Err(LogError::InvalidBatch { position, .. }) if position > 0
    ));
    let mut torn = batch(1, 10, 0);
    torn.extend_from_slice(&batch(1, 10, 0)[..30]);
    assert!(matches!(
        log.append_as_leader(torn, 0, 0),
        Err(LogError::TrailingBytes { trailing: 30 })
    ));
    assert!(matches!(
        log.append_as_leader(BytesMut::new(), 0, 0),
        Err(LogError::EmptyAppend)
    ));
    let cfg = LogConfig {
        max_message_bytes: 100,
        ..small()
    };
    log.set_config(cfg);
    assert!(matches!(
        log.append_as_leader(batch(1, 200, 0), 0, 0),
        Err(LogError::BatchTooLarge { max: 100, .. })
    ));
    assert_eq!(log.log_end_offset(), 1);
    assert_eq!(log.size_bytes(), batch(1, 10, 0).len() as u64);
}

#[test]
fn log_append_time_stamps_the_batch_and_keeps_the_crc_valid() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        message_timestamp_type: TimestampType::LogAppendTime,
        ..small()
    };
    let mut log = open(dir.path(), cfg);
    let a = log.append_as_leader(batch(2, 10, 5), 0, 777_000).unwrap();
    assert_eq!(a.log_append_time, 777_000);
    let b = &read_all(&log, 0)[0];
    b.validate().unwrap();
    assert_eq!(b.max_timestamp(), 777_000);
    assert_eq!(b.timestamp_type(), TimestampType::LogAppendTime);
}

#[test]
fn index_entries_every_interval_and_time_entries_when_the_max_grows() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        segment_bytes: 1 << 30,
        index_interval_bytes: 4096,
        ..LogConfig::default()
    };
    let mut log = open(dir.path(), cfg);
    let size = batch(1, 900, 0).len() as i64;
    for i in 0..100 {
        // Timestamps go up and down: only growth makes time index entries.
        let ts = if i % 2 == 0 { 1000 + i } else { 10 };
        log.append_as_leader(batch(1, 900, ts), 0, 0).unwrap();
    }
    let seg = log.segments().next().unwrap();
    let entries = seg.offset_index_entries().to_vec();
    assert!(!entries.is_empty());
    let mut previous = 0i64;
    for e in &entries {
        // An entry is made for the first batch after more than 4096 bytes.
        assert_eq!(
            i64::from(e.position) - previous,
            size * (4096 / size + 1),
            "{e:?}"
        );
        assert_eq!(i64::from(e.position), e.offset * size);
        previous = i64::from(e.position);
    }
    let times = seg.time_index_entries();
    assert!(times.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
    assert!(times.iter().all(|t| t.timestamp >= 1000));
    // Every offset reads back via the index.
    for o in 0..100 {
        let r = log.read(o, 1, None, true).unwrap();
        assert_eq!(r.first_batch_offset, Some(o));
        assert_eq!(r.batches.len(), 1);
    }
    // Preallocated while active, trimmed once closed, and readable by the index module.
    let idx_path = log.dir().join("00000000000000000000.index");
    assert_eq!(std::fs::metadata(&idx_path).unwrap().len(), 10_485_760);
    log.close(0).unwrap();
    let bytes = std::fs::read(&idx_path).unwrap();
    assert_eq!(bytes.len(), entries.len() * 8);
    let parsed = OffsetIndex::parse(&bytes, 0).unwrap();
    parsed.sanity_check().unwrap();
    assert_eq!(parsed.entries(), &entries[..]);
    let tbytes = std::fs::read(log_dir_file(dir.path(), "00000000000000000000.timeindex")).unwrap();
    TimeIndex::parse(&tbytes, 0)
        .unwrap()
        .sanity_check()
        .unwrap();
}

fn log_dir_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn rolls_on_size_and_reads_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    let mut rolls = 0;
    for i in 0..50 {
        let a = log.append_as_leader(batch(2, 500, i), 0, 0).unwrap();
        rolls += usize::from(a.rolled == Some(RollReason::Size));
    }
    let summaries = log.segment_summaries();
    assert_eq!(summaries.len(), rolls + 1);
    assert!(summaries.len() > 5);
    assert!(summaries.iter().all(|s| s.size_bytes <= 10_000));
    for w in summaries.windows(2) {
        assert_eq!(w[0].next_offset, w[1].base_offset);
    }
    let all = read_all(&log, 0);
    assert_eq!(all.len(), 50);
    assert_eq!(all.last().unwrap().last_offset(), 99);
    // The recovery point follows rolls (the old segment is flushed).
    assert_eq!(log.recovery_point(), summaries.last().unwrap().base_offset);
}

#[test]
fn rolls_on_age_and_full_index() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        segment_ms: 1000,
        ..small()
    };
    let mut log = open(dir.path(), cfg);
    log.append_as_leader(batch(1, 10, 5_000), 0, 0).unwrap();
    let a = log.append_as_leader(batch(1, 10, 5_500), 0, 0).unwrap();
    assert_eq!(a.rolled, None);
    let a = log.append_as_leader(batch(1, 10, 6_001), 0, 0).unwrap();
    assert_eq!(a.rolled, Some(RollReason::Age));
    let dir2 = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        index_interval_bytes: 0,
        // Three offset index slots, two time index slots (one used: timestamps never grow).
        segment_index_bytes: 24,
        ..LogConfig::default()
    };
    let mut log = open(dir2.path(), cfg);
    let reasons: Vec<_> = (0..5)
        .map(|_| log.append_as_leader(batch(1, 10, 0), 0, 0).unwrap().rolled)
        .collect();
    assert_eq!(
        reasons,
        vec![None, None, None, None, Some(RollReason::OffsetIndexFull)]
    );
}

#[test]
fn limits_of_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    for _ in 0..5 {
        log.append_as_leader(batch(2, 100, 0), 0, 0).unwrap();
    }
    let one = batch(2, 100, 0).len() as u64;
    let r = log.read(0, one * 2 + 1, None, true).unwrap();
    assert_eq!(r.batches.len(), 2);
    assert_eq!(r.range.as_ref().unwrap().length, one * 2);
    let r = log.read(0, 1, None, false).unwrap();
    assert!(r.range.is_none());
    let r = log.read(0, 1, None, true).unwrap();
    assert_eq!(r.batches.len(), 1);
    // The high watermark bounds what is returned, batch by batch.
    log.set_high_watermark(5);
    let r = log
        .read(0, 1 << 20, Some(log.high_watermark()), true)
        .unwrap();
    assert_eq!(r.batches.last().unwrap().last_offset, 3);
    let r = log.read(10, 1 << 20, None, true).unwrap();
    assert!(r.range.is_none());
    for bad in [-1, 11] {
        assert!(matches!(
            log.read(bad, 100, None, true),
            Err(LogError::OffsetOutOfRange {
                log_start: 0,
                log_end: 10,
                ..
            })
        ));
    }
}

#[test]
fn truncation_and_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    for i in 0..40 {
        log.append_as_leader(batch(2, 400, 0), i / 10, 0).unwrap();
    }
    assert!(log.segment_summaries().len() > 2);
    log.set_high_watermark(80);
    // Inside batch 30..=31: the whole batch goes.
    assert_eq!(log.truncate_to(31, 0).unwrap(), 30);
    assert_eq!(log.log_end_offset(), 30);
    assert_eq!(log.high_watermark(), 30);
    assert_eq!(log.latest_epoch(), Some(1));
    assert_eq!(log.end_offset_for_epoch(0), (0, 20));
    assert_eq!(read_all(&log, 0).len(), 15);
    // Appends continue from the new end, into the same segment layout.
    let a = log.append_as_leader(batch(1, 10, 0), 7, 0).unwrap();
    assert_eq!(a.first_offset, 30);
    assert_eq!(log.end_offset_for_epoch(1), (1, 30));
    // Below the first segment the log restarts.
    log.truncate_fully_and_start_at(500, 0).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (500, 500));
    assert!(log.epochs().is_empty());
    assert_eq!(
        log.append_as_leader(batch(1, 10, 0), 8, 0)
            .unwrap()
            .first_offset,
        500
    );
    assert_eq!(log.segment_summaries().len(), 1);
}

#[test]
fn follower_appends_keep_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut leader = open(&dir.path().join("l"), small());
    for e in [1, 1, 2] {
        leader.append_as_leader(batch(3, 10, 0), e, 0).unwrap();
    }
    let bytes = leader
        .read(0, 1 << 20, None, true)
        .unwrap()
        .range
        .unwrap()
        .read_to_bytes()
        .unwrap();
    let mut follower = open(&dir.path().join("f"), small());
    let a = follower.append_as_follower(bytes.clone(), 0).unwrap();
    assert_eq!((a.first_offset, a.last_offset), (0, 8));
    assert_eq!(follower.epochs(), leader.epochs());
    assert!(matches!(
        follower.append_as_follower(bytes, 0),
        Err(LogError::NonMonotonicOffsets {
            first: 0,
            log_end: 9,
            ..
        })
    ));
}

#[test]
fn retention_by_size_and_time_and_delete_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    for i in 0..60 {
        log.append_as_leader(batch(1, 900, i * 1000), 0, 0).unwrap();
    }
    let before = log.segment_summaries();
    assert!(before.len() >= 5);
    // Nothing goes above the high watermark.
    log.set_config(LogConfig {
        retention_bytes: 0,
        ..small()
    });
    assert_eq!(log.apply_retention(0).unwrap().segments_deleted, 0);
    log.set_high_watermark(log.log_end_offset());
    let r = log.apply_retention(0).unwrap();
    assert_eq!(r.segments_deleted, before.len() - 1);
    assert_eq!(log.log_start_offset(), before.last().unwrap().base_offset);
    assert!(matches!(
        log.read(0, 10, None, true),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    // .deleted files wait for file.delete.delay.ms.
    let deleted = |d: &Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".deleted")
            })
            .count()
    };
    assert_eq!(deleted(log.dir()), 3 * r.segments_deleted);
    assert_eq!(log.remove_deleted_files(999).unwrap(), 0);
    assert_eq!(
        log.remove_deleted_files(1000).unwrap(),
        3 * r.segments_deleted
    );
    assert_eq!(deleted(log.dir()), 0);

    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            retention_ms: 10_000,
            ..small()
        },
    );
    for i in 0..60 {
        log.append_as_leader(batch(1, 900, i * 1000), 0, 0).unwrap();
    }
    log.set_high_watermark(60);
    let segs = log.segment_summaries();
    let now = segs[2].largest_timestamp + 10_001;
    let r = log.apply_retention(now).unwrap();
    assert_eq!(r.segments_deleted, 3);
    assert_eq!(log.log_start_offset(), segs[3].base_offset);

    // DeleteRecords moves the start, then retention drops the segments below it.
    assert!(matches!(
        log.delete_records_before(61),
        Err(LogError::StartBeyondHighWatermark { .. })
    ));
    let target = segs[5].base_offset + 1;
    log.delete_records_before(target).unwrap();
    assert_eq!(log.log_start_offset(), target);
    let r = log.apply_retention(now).unwrap();
    assert_eq!(r.segments_deleted, 2);
    assert_eq!(log.log_start_offset(), target);
    assert_eq!(log.segment_summaries()[0].base_offset, segs[5].base_offset);
}

#[test]
fn find_offset_by_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    for i in 0..30 {
        log.append_as_leader(batch(3, 800, i * 100), 0, 0).unwrap();
    }
    assert_eq!(log.find_offset_by_timestamp(0).unwrap(), Some((0, 0)));
    assert_eq!(log.find_offset_by_timestamp(501).unwrap(), Some((16, 501)));
    assert_eq!(log.find_offset_by_timestamp(503).unwrap(), Some((18, 600)));
    assert_eq!(
        log.find_offset_by_timestamp(2902).unwrap(),
        Some((89, 2902))
    );
    assert_eq!(log.find_offset_by_timestamp(2903).unwrap(), None);
}

#[test]
fn reopen_clean_and_unclean_with_a_torn_and_a_corrupt_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    for i in 0..30 {
        log.append_as_leader(batch(2, 700, i), (i / 10) as i32, 0)
            .unwrap();
    }
    let end = log.log_end_offset();
    let epochs = log.epochs().to_vec();
    let segs = log.segment_summaries().len();
    log.close(0).unwrap();
    let clean = OpenOptions {
        clean_shutdown: true,
        recovery_point: end,
        ..OpenOptions::default()
    };
    let (log, report) = PartitionLog::open(dir.path(), "t", 0, small(), clean).unwrap();
    assert_eq!(report.segments_recovered, 0);
    assert_eq!(log.log_end_offset(), end);
    assert_eq!(log.epochs(), &epochs[..]);
    assert_eq!(log.segment_summaries().len(), segs);
    assert_eq!(read_all(&log, 0).len(), 30);
    let active = log.segment_summaries().last().unwrap().base_offset;
    drop(log);

    // Unclean, torn tail: half a batch at the end of the active segment.
    let path = dir
        .path()
        .join(crate::log::files::file_name(active, SegmentFileKind::Log));
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len - 100).unwrap();
    let (log, report) =
        PartitionLog::open(dir.path(), "t", 0, small(), OpenOptions::default()).unwrap();
    assert!(report.segments_recovered >= segs);
    assert!(report.bytes_truncated > 0);
    assert_eq!(log.log_end_offset(), end - 2);
    assert_eq!(log.recovery_point(), end - 2);
    assert_eq!(log.epochs(), &epochs[..]);
    drop(log);

    // A flipped bit in the middle of the second segment: it and everything later goes.
    let second = {
        let (log, _) = PartitionLog::open(dir.path(), "t", 0, small(), clean).unwrap();
        log.segment_summaries()[1]
    };
    let path = dir.path().join(crate::log::files::file_name(
        second.base_offset,
        SegmentFileKind::Log,
    ));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let opts = OpenOptions {
        recovery_point: second.base_offset,
        ..OpenOptions::default()
    };
    let (log, report) = PartitionLog::open(dir.path(), "t", 0, small(), opts).unwrap();
    assert!(report.bytes_truncated > 0);
    assert_eq!(log.segment_summaries().len(), 2);
    assert!(log.log_end_offset() > second.base_offset && log.log_end_offset() < second.next_offset);
    for b in read_all(&log, 0) {
        b.validate().unwrap();
    }
}

#[test]
fn a_broken_index_is_rebuilt_on_clean_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    for i in 0..8 {
        log.append_as_leader(batch(1, 900, i), 0, 0).unwrap();
    }
    let entries = log
        .segments()
        .next()
        .unwrap()
        .offset_index_entries()
        .to_vec();
    assert!(!entries.is_empty());
    log.close(0).unwrap();
    let idx = dir.path().join("00000000000000000000.index");
    std::fs::write(&idx, [1u8; 12]).unwrap();
    let clean = OpenOptions {
        clean_shutdown: true,
        recovery_point: 8,
        ..OpenOptions::default()
    };
    let (log, report) = PartitionLog::open(dir.path(), "t", 0, small(), clean).unwrap();
    assert_eq!(report.segments_recovered, 1);
    assert_eq!(
        log.segments().next().unwrap().offset_index_entries(),
        &entries[..]
    );
    assert_eq!(read_all(&log, 0).len(), 8);
}

#[test]
fn flush_policy_moves_the_recovery_point() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            flush_messages: 5,
            ..small()
        },
    );
    log.append_as_leader(batch(3, 10, 0), 0, 0).unwrap();
    assert_eq!(log.recovery_point(), 0);
    log.append_as_leader(batch(2, 10, 0), 0, 0).unwrap();
    assert_eq!(log.recovery_point(), 5);
    let mut log = open(
        &dir.path().join("b"),
        LogConfig {
            flush_ms: 1000,
            ..small()
        },
    );
    log.append_as_leader(batch(1, 10, 0), 0, 0).unwrap();
    assert!(!log.flush_if_due(999).unwrap());
    assert!(log.flush_if_due(1000).unwrap());
    assert_eq!(log.recovery_point(), 1);
    assert!(!log.flush_if_due(5000).unwrap(), "nothing new to flush");
}

#[test]
fn a_follower_offset_jump_past_int32_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small());
    let at = |base: i64| {
        let mut b = BatchBuilder::new(Compression::None)
            .base_offset(base)
            .partition_leader_epoch(1);
        b.append(0, None, Some(b"v"), &[]).unwrap();
        b.build().unwrap()
    };
    log.append_as_follower(at(0), 0).unwrap();
    let far = 1 + i64::from(i32::MAX);
    let a = log.append_as_follower(at(far), 0).unwrap();
    assert_eq!(a.rolled, Some(RollReason::OffsetOverflow));
    assert_eq!(log.segment_summaries().last().unwrap().base_offset, far);
    assert_eq!(
        log.read(far, 100, None, true).unwrap().first_batch_offset,
        Some(far)
    );
    // Offsets between the two batches read as the next batch (a gap, as compaction leaves).
    assert_eq!(
        log.read(5, 100, None, true).unwrap().first_batch_offset,
        Some(far)
    );
}

/// A batch of `(key, value)` records (value `None` = tombstone) with `codec`.
fn keyed(records: &[(&str, Option<String>)], codec: Compression, ts: i64) -> BytesMut {
    let mut b = BatchBuilder::new(codec);
    for (k, v) in records {
        b.append(ts, Some(k.as_bytes()), v.as_deref().map(str::as_bytes), &[])
            .unwrap();
    }
    BytesMut::from(&b.build().unwrap()[..])
}

/// (offset, key, value) of every record read from the log start.
fn records_of(log: &PartitionLog) -> Vec<(i64, String, Option<String>)> {
    read_all(log, log.log_start_offset())
        .iter()
        .flat_map(|b| {
            b.records(crate::protocol::records::DEFAULT_DECOMPRESSION_LIMIT)
                .unwrap()
                .map(|r| {
                    let r = r.unwrap();
                    let s =
                        |b: Option<bytes::Bytes>| b.map(|b| String::from_utf8(b.to_vec()).unwrap());
                    (r.offset, s(r.key).unwrap(), s(r.value))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn compacted_log(dir: &Path) -> (PartitionLog, Vec<(i64, String, Option<String>)>) {
    let cfg = LogConfig {
        segment_bytes: 600,
        cleanup_compact: true,
        delete_retention_ms: 1000,
        ..small()
    };
    let mut log = open(dir, cfg);
    let codecs = [Compression::None, Compression::Gzip, Compression::Snappy];
    let mut all = Vec::new();
    for i in 0..40i64 {
        let recs: Vec<(String, Option<String>)> = (0..3)
            .map(|j| {
                let o = log.log_end_offset() + j;
                let key = format!("k{}", (i * 3 + j) % 7);
                // Every 11th record is a tombstone.
                let value = (o % 11 != 5).then(|| format!("v{o}"));
                (key, value)
            })
            .collect();
        let refs: Vec<(&str, Option<String>)> =
            recs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let base = log.log_end_offset();
        log.append_as_leader(keyed(&refs, codecs[i as usize % 3], 100 + i), 0, 0)
            .unwrap();
        for (j, (k, v)) in recs.into_iter().enumerate() {
            all.push((base + j as i64, k, v));
        }
    }
    log.set_high_watermark(log.log_end_offset());
    (log, all)
}

/// What compaction must leave: records of the active segment, and in the cleaned range the
/// latest record of each key (tombstones only when kept).
fn expected_after(
    all: &[(i64, String, Option<String>)],
    active_base: i64,
    keep_tombstones: bool,
) -> Vec<(i64, String, Option<String>)> {
    let mut latest = std::collections::HashMap::new();
    for (o, k, _) in all.iter().filter(|r| r.0 < active_base) {
        latest.insert(k.clone(), *o);
    }
    all.iter()
        .filter(|(o, k, v)| {
            *o >= active_base || (latest[k] == *o && (v.is_some() || keep_tombstones))
        })
        .cloned()
        .collect()
}

#[test]
fn compaction_keeps_the_latest_record_per_key_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, all) = compacted_log(dir.path());
    let active_base = log.segment_summaries().last().unwrap().base_offset;
    assert!(log.segment_summaries().len() > 5);
    let before = log.size_bytes();
    // Tombstones are younger than delete.retention.ms: they stay.
    let r = log.compact(1000).unwrap();
    assert!(r.segments_cleaned > 0);
    assert_eq!(r.keys, 7);
    assert!(log.size_bytes() < before);
    assert_eq!(records_of(&log), expected_after(&all, active_base, true));
    // Later they go; a second pass changes nothing else.
    log.compact(1_000_000).unwrap();
    assert_eq!(records_of(&log), expected_after(&all, active_base, false));
    // Every offset still reads, landing on the next surviving batch; indexes agree.
    for o in log.log_start_offset()..log.log_end_offset() {
        let r = log.read(o, 1 << 20, None, true).unwrap();
        let b = r.batches.first().unwrap();
        assert!(b.last_offset >= o);
    }
    for seg in log.segments() {
        for e in seg.offset_index_entries() {
            assert_eq!(
                seg.read_header(e.position as u64)
                    .unwrap()
                    .unwrap()
                    .last_offset,
                e.offset
            );
        }
    }
    // Survives a clean reopen unchanged.
    let expected = records_of(&log);
    log.close(0).unwrap();
    drop(log);
    let clean = OpenOptions {
        clean_shutdown: true,
        ..OpenOptions::default()
    };
    let (log, _) = PartitionLog::open(dir.path(), "t", 0, small(), clean).unwrap();
    assert_eq!(records_of(&log), expected);
}

#[test]
fn an_interrupted_swap_is_completed_and_a_cleaned_file_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = compacted_log(dir.path());
    let first = log.segments().next().unwrap();
    let path = first.log_path().to_path_buf();
    let base = first.base_offset();
    let batches = first.batch_positions().unwrap();
    // A swap holding only the first batch, as if the cleaner died right after the rename.
    let only = first.read_batch(&batches[0]).unwrap();
    compaction::write_swap(&path, std::slice::from_ref(&only)).unwrap();
    // And a half-written .cleaned of the second segment.
    let second = log.segments().nth(1).unwrap().log_path().to_path_buf();
    let mut cleaned = second.clone().into_os_string();
    cleaned.push(".cleaned");
    std::fs::write(&cleaned, b"garbage").unwrap();
    let end = log.log_end_offset();
    drop(log);
    let (log, _) = PartitionLog::open(dir.path(), "t", 0, small(), OpenOptions::default()).unwrap();
    assert!(!std::path::Path::new(&cleaned).exists());
    let seg = log.segments().next().unwrap();
    assert_eq!(seg.base_offset(), base);
    assert_eq!(seg.size(), only.len() as u64);
    assert_eq!(log.log_end_offset(), end);
    let mut swap = path.into_os_string();
    swap.push(".swap");
    assert!(!std::path::Path::new(&swap).exists());
}

fn producer_batch_bytes(pid: i64, epoch: i16, seq: i32, base_offset: i64) -> Bytes {
    let mut b = BatchBuilder::new(Compression::None)
        .producer(pid, epoch, seq)
        .base_offset(base_offset);
    b.append(1, None, Some(b"v"), &[]).unwrap();
    b.append(2, None, Some(b"w"), &[]).unwrap();
    b.build().unwrap()
}

#[test]
fn produced_duplicates_and_follower_appends_keep_producer_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), LogConfig::default());
    let first = producer_batch_bytes(9, 0, 0, 0);
    let Produced::Appended(info) = log
        .append_produced(BytesMut::from(&first[..]), 0, 10)
        .unwrap()
    else {
        panic!("appended")
    };
    assert_eq!((info.first_offset, info.last_offset), (0, 1));
    assert_eq!(
        log.append_produced(BytesMut::from(&first[..]), 0, 10)
            .unwrap(),
        Produced::Duplicate {
            first_offset: 0,
            last_offset: 1
        }
    );
    assert_eq!(log.log_end_offset(), 2);
    assert!(matches!(
        log.append_produced(BytesMut::from(&producer_batch_bytes(9, 0, 7, 0)[..]), 0, 10),
        Err(LogError::Sequence(_))
    ));
    // A follower learns producers from the leader's batches.
    let follower_dir = tempfile::tempdir().unwrap();
    let mut follower = open(follower_dir.path(), LogConfig::default());
    follower
        .append_as_follower(producer_batch_bytes(4, 2, 0, 0), 10)
        .unwrap();
    let p = follower.producer_states().get(4).unwrap();
    assert_eq!((p.epoch, p.batches.back().unwrap().last_sequence), (2, 1));
    // A clean close snapshots the state; reopening (even after the segment data is gone
    // from the producer's view) restores it.
    log.close(20).unwrap();
    drop(log);
    let log = open(dir.path(), LogConfig::default());
    assert_eq!(log.producer_states().get(9).unwrap().batches.len(), 1);
    assert!(dir.path().join("00000000000000000002.snapshot").exists());
}
