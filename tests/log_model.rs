//! Model test of the partition log: thousands of seeded random steps (appends of random
//! batches, reads at random offsets and byte limits, small segments so rolls are frequent,
//! truncation, retention by size, DeleteRecords, time lookups, clean and unclean reopen)
//! compared against a plain in-memory model. Repeatable: `LOG_MODEL_SEED=<n>` reruns one
//! seed; a failure prints its seed.

use std::path::Path;

use bytes::BytesMut;
use rkafka::log::partition_log::{OpenOptions, PartitionLog};
use rkafka::log::{LogConfig, LogError};
use rkafka::protocol::records::{
    Batch, BatchBuilder, Batches, Compression, DEFAULT_DECOMPRESSION_LIMIT,
};

/// splitmix64: small, seeded, good enough for choosing steps.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    offset: i64,
    timestamp: i64,
    key: Vec<u8>,
    value: Vec<u8>,
}

#[derive(Debug, Clone)]
struct ModelBatch {
    base: i64,
    last: i64,
    records: Vec<Rec>,
}

#[derive(Debug, Default)]
struct Model {
    batches: Vec<ModelBatch>,
    log_start: i64,
    log_end: i64,
}

impl Model {
    fn visible_records(&self) -> Vec<Rec> {
        self.batches
            .iter()
            .filter(|b| b.last >= self.log_start)
            .flat_map(|b| b.records.iter().cloned())
            .collect()
    }

    fn truncate_to(&mut self, offset: i64) {
        self.batches.retain(|b| b.last < offset);
        self.log_end = self.batches.last().map_or(self.log_start, |b| b.last + 1);
        // The batch holding `offset` goes whole; when that leaves nothing at or after the log
        // start, the log restarts empty at the log start (which never moves back).
        if self.log_end < self.log_start {
            self.batches.clear();
            self.log_end = self.log_start;
        }
    }
}

fn decode(bytes: bytes::Bytes) -> Vec<(i64, i64, Vec<Rec>)> {
    let mut out = Vec::new();
    for b in Batches::new(bytes) {
        let Batch::V2(b) = b.expect("whole batches") else {
            panic!("legacy batch read back")
        };
        b.validate().expect("valid batch read back");
        let recs = b
            .records(DEFAULT_DECOMPRESSION_LIMIT)
            .unwrap()
            .map(|r| {
                let r = r.unwrap();
                Rec {
                    offset: r.offset,
                    timestamp: r.timestamp,
                    key: r.key.map(|k| k.to_vec()).unwrap_or_default(),
                    value: r.value.map(|v| v.to_vec()).unwrap_or_default(),
                }
            })
            .collect();
        out.push((b.base_offset(), b.last_offset(), recs));
    }
    out
}

fn read_everything(log: &PartitionLog) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut next = log.log_start_offset();
    while next < log.log_end_offset() {
        let r = log.read(next, 1 << 20, None, true).unwrap();
        let Some(range) = r.range else {
            panic!("no data at {next} below log end {}", log.log_end_offset())
        };
        for (_, last, recs) in decode(range.read_to_bytes().unwrap()) {
            out.extend(recs);
            next = last + 1;
        }
    }
    out
}

/// Every index entry points at a batch boundary holding the entry's offset.
fn check_indexes(log: &PartitionLog) {
    for seg in log.segments() {
        for e in seg.offset_index_entries() {
            let b = seg
                .read_header(e.position as u64)
                .unwrap()
                .unwrap_or_else(|| panic!("index entry {e:?} points past the data"));
            assert_eq!(b.last_offset, e.offset, "index entry {e:?}");
        }
        for t in seg.time_index_entries() {
            assert!(
                t.offset >= seg.base_offset()
                    && t.offset < seg.next_offset().max(seg.base_offset() + 1)
            );
        }
    }
}

fn check_all(log: &PartitionLog, model: &Model, what: &str) {
    assert_eq!(log.log_end_offset(), model.log_end, "{what}: log end");
    assert_eq!(log.log_start_offset(), model.log_start, "{what}: log start");
    let got = read_everything(log);
    let want: Vec<Rec> = model.visible_records();
    assert_eq!(got.len(), want.len(), "{what}: record count");
    assert!(got == want, "{what}: records differ");
    check_indexes(log);
}

fn config(rng: &mut Rng) -> LogConfig {
    LogConfig {
        segment_bytes: rng.range(1500, 8000) as u32,
        index_interval_bytes: rng.range(0, 1500) as u32,
        segment_index_bytes: rng.range(16, 400) as u32,
        file_delete_delay_ms: 50,
        // Compaction steps never drop tombstones here (the model has none); unit tests cover them.
        delete_retention_ms: i64::MAX / 4,
        ..LogConfig::default()
    }
}

fn reopen(dir: &Path, cfg: &LogConfig, log: PartitionLog, clean: bool, now: i64) -> PartitionLog {
    let opts = OpenOptions {
        recovery_point: log.recovery_point(),
        log_start_offset: Some(log.log_start_offset()),
        high_watermark: Some(log.high_watermark()),
        clean_shutdown: clean,
        now_ms: now,
        jitter_seed: 0,
    };
    let mut log = log;
    if clean {
        log.close(now).unwrap();
    }
    drop(log);
    PartitionLog::open(dir, "model", 0, cfg.clone(), opts)
        .unwrap()
        .0
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    // On tmpfs when there is one: the test is about logic, and fsyncs on a busy shared disk
    // would make its runtime depend on the neighbours.
    let shm = Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let dir = tmp.path().join("model-0");
    let mut cfg = config(&mut rng);
    let mut log = PartitionLog::open(&dir, "model", 0, cfg.clone(), OpenOptions::default())
        .unwrap()
        .0;
    let mut model = Model::default();
    let mut now = 1_000_000i64;
    let mut epoch = 0;
    for step in 0..steps {
        now += rng.range(0, 50);
        let what = format!("seed {seed} step {step}");
        match rng.below(100) {
            0..=44 => {
                let mut buf = BytesMut::new();
                let mut pending = Vec::new();
                for _ in 0..rng.range(1, 3) {
                    let mut b = BatchBuilder::new(if rng.chance(20) {
                        Compression::Lz4
                    } else {
                        Compression::None
                    });
                    let mut recs = Vec::new();
                    let ts0 = now + rng.range(-100, 100);
                    for i in 0..rng.range(1, 8) {
                        let key = format!("k{}", rng.below(20)).into_bytes();
                        let value: Vec<u8> = (0..rng.below(300))
                            .map(|j| (j as u8) ^ (step as u8))
                            .collect();
                        let ts = ts0 + rng.range(0, 10) + i;
                        b.append(ts, Some(&key), Some(&value), &[]).unwrap();
                        recs.push((ts, key, value));
                    }
                    buf.extend_from_slice(&b.build().unwrap());
                    pending.push(recs);
                }
                if rng.chance(5) {
                    epoch += 1;
                }
                let info = log.append_as_leader(buf, epoch, now).unwrap();
                assert_eq!(info.first_offset, model.log_end, "{what}");
                let mut next = model.log_end;
                for recs in pending {
                    let base = next;
                    let records: Vec<Rec> = recs
                        .into_iter()
                        .enumerate()
                        .map(|(i, (timestamp, key, value))| Rec {
                            offset: base + i as i64,
                            timestamp,
                            key,
                            value,
                        })
                        .collect();
                    next = base + records.len() as i64;
                    model.batches.push(ModelBatch {
                        base,
                        last: next - 1,
                        records,
                    });
                }
                model.log_end = next;
                assert_eq!(info.last_offset, next - 1, "{what}");
            }
            45..=74 => {
                let start = rng.range(model.log_start - 2, model.log_end + 2);
                let max_bytes = rng.range(1, 6000) as u64;
                let min_one = rng.chance(70);
                let max_offset = rng.chance(30).then(|| log.high_watermark());
                match log.read(start, max_bytes, max_offset, min_one) {
                    Err(LogError::OffsetOutOfRange { .. }) => {
                        assert!(
                            start < model.log_start || start > model.log_end,
                            "{what}: {start}"
                        );
                    }
                    Err(e) => panic!("{what}: {e}"),
                    Ok(r) => {
                        assert!(start >= model.log_start && start <= model.log_end, "{what}");
                        let limit = max_offset.unwrap_or(i64::MAX).min(model.log_end);
                        let expected: Vec<&ModelBatch> = model
                            .batches
                            .iter()
                            .filter(|b| b.last >= start && b.last < limit)
                            .collect();
                        let got = match &r.range {
                            Some(range) => {
                                assert!(
                                    range.length <= max_bytes || r.batches.len() == 1,
                                    "{what}"
                                );
                                decode(range.read_to_bytes().unwrap())
                            }
                            None => Vec::new(),
                        };
                        assert_eq!(got.len(), r.batches.len(), "{what}");
                        assert!(got.len() <= expected.len(), "{what}");
                        for (g, e) in got.iter().zip(&expected) {
                            assert_eq!((g.0, g.1), (e.base, e.last), "{what}");
                            assert!(g.2 == e.records, "{what}: records of batch {}", e.base);
                        }
                        if got.is_empty() && !expected.is_empty() && min_one {
                            panic!("{what}: nothing returned from {start} though min_one");
                        }
                    }
                }
            }
            75..=79 => {
                let hw = rng.range(model.log_start, model.log_end);
                log.set_high_watermark(hw);
            }
            80..=83 => {
                let target = rng.range(model.log_start, model.log_end);
                let first_base = log.segment_summaries()[0].base_offset;
                let new_end = log.truncate_to(target, now).unwrap();
                if target < model.log_end {
                    if target <= first_base {
                        model.batches.clear();
                        model.log_start = target;
                        model.log_end = target;
                    } else {
                        model.truncate_to(target);
                    }
                }
                assert_eq!(new_end, model.log_end, "{what}: truncate to {target}");
            }
            84..=87 => {
                let total: u64 = log.segment_summaries().iter().map(|s| s.size_bytes).sum();
                let retention = rng.range(0, total as i64);
                cfg.retention_bytes = retention;
                log.set_config(cfg.clone());
                if rng.chance(50) {
                    log.set_high_watermark(model.log_end);
                }
                let start_before = model.log_start;
                let r = log.apply_retention(now).unwrap();
                if r.segments_deleted > 0 {
                    // Size retention stops while the rest is still >= retention.bytes; only
                    // segments wholly below an earlier DeleteRecords start may go beyond that.
                    let after: u64 = log.segment_summaries().iter().map(|s| s.size_bytes).sum();
                    let first = log.segment_summaries()[0].base_offset;
                    assert!(
                        after as i64 >= retention || first <= start_before,
                        "{what}: deleted too much"
                    );
                }
                assert!(log.log_start_offset() >= model.log_start, "{what}");
                model.log_start = log.log_start_offset();
                assert!(
                    log.segment_summaries()[0].base_offset <= model.log_start,
                    "{what}"
                );
                cfg.retention_bytes = -1;
                log.set_config(cfg.clone());
                log.remove_deleted_files(now).unwrap();
            }
            88..=89 => {
                let target = rng.range(model.log_start, log.high_watermark().max(model.log_start));
                log.delete_records_before(target).unwrap();
                model.log_start = model.log_start.max(target);
            }
            90..=92 => {
                let q = now + rng.range(-500, 50);
                let want = model
                    .visible_records()
                    .into_iter()
                    .find(|r| r.timestamp >= q && r.offset >= model.log_start)
                    .map(|r| (r.offset, r.timestamp));
                let got = log.find_offset_by_timestamp(q).unwrap();
                if got != want {
                    let m: Vec<_> = model
                        .visible_records()
                        .iter()
                        .take(6)
                        .map(|r| (r.offset, r.timestamp))
                        .collect();
                    let l: Vec<_> = read_everything(&log)
                        .iter()
                        .take(6)
                        .map(|r| (r.offset, r.timestamp))
                        .collect();
                    panic!(
                        "{what}: ts {q}: got {got:?} want {want:?}\nmodel {m:?}\nlog {l:?} start {} log start {}",
                        model.log_start,
                        log.log_start_offset()
                    );
                }
            }
            93..=94 => {
                // Compaction: below the end of the last inactive segment wholly under the
                // high watermark, only each key's latest record stays; offsets never move.
                let summaries = log.segment_summaries();
                let hw = log.high_watermark();
                let end = summaries
                    .windows(2)
                    .filter(|w| w[1].base_offset <= hw)
                    .map(|w| w[1].base_offset)
                    .max();
                log.compact(now).unwrap();
                if let Some(end) = end {
                    let mut latest = std::collections::HashMap::new();
                    for b in &model.batches {
                        for r in b.records.iter().filter(|r| r.offset < end) {
                            latest.insert(r.key.clone(), r.offset);
                        }
                    }
                    for b in &mut model.batches {
                        b.records
                            .retain(|r| r.offset >= end || latest[&r.key] == r.offset);
                    }
                    model.batches.retain(|b| !b.records.is_empty());
                }
                check_all(&log, &model, &format!("{what} (compaction)"));
            }
            95..=96 => {
                log = reopen(&dir, &cfg, log, true, now);
                check_all(&log, &model, &format!("{what} (clean reopen)"));
            }
            _ => {
                log = reopen(&dir, &cfg, log, false, now);
                check_all(&log, &model, &format!("{what} (unclean reopen)"));
            }
        }
    }
    check_all(&log, &model, &format!("seed {seed} end"));
}

#[test]
fn partition_log_matches_the_model() {
    let seeds: Vec<u64> = match std::env::var("LOG_MODEL_SEED") {
        Ok(s) => vec![s.parse().expect("LOG_MODEL_SEED is a number")],
        Err(_) => vec![1, 2, 0xC0FFEE],
    };
    for seed in seeds {
        let r = std::panic::catch_unwind(|| run(seed, 1200));
        if let Err(e) = r {
            eprintln!("log_model failed with seed {seed}; rerun with LOG_MODEL_SEED={seed}");
            std::panic::resume_unwind(e);
        }
    }
}
