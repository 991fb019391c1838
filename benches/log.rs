//! Throughput of the partition log engine (`src/log`) on large sequential runs, with `dd`
//! measured in the same run on the same filesystem as the reference. A plain main (no
//! criterion): each scenario is seconds of I/O, so a median of a few runs is the statistic.
//!
//! Scenarios: append without fsync, append with a flush per 1 MiB (vs `dd oflag=dsync`),
//! sequential read in 1 MiB steps (page-cache warm), recovery of an unclean log, and
//! compaction of a log whose live keys are 10 % of its records. Sizes come from env vars
//! (`LOGBENCH_MIB`, `LOGBENCH_COMPACT_MIB`, `LOGBENCH_RUNS`), see `main`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rkafka::log::{LogConfig, OpenOptions, PartitionLog};
use rkafka::protocol::records::{BatchBuilder, Compression};

/// Records per batch and value size: 16 records of ~1020 bytes make a 16,381-byte batch.
const RECORDS_PER_BATCH: usize = 16;
const VALUE_BYTES: usize = 995;
const MIB: u64 = 1 << 20;
const NOW_MS: i64 = 1_700_000_000_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic xorshift64*, enough for drawing keys.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Uncompressed batches totalling at least `total` bytes; record `i` has key `key(i)`.
fn build_batches(total: u64, mut key: impl FnMut(u64) -> u64) -> Vec<Bytes> {
    let value = vec![b'v'; VALUE_BYTES];
    let mut out = Vec::new();
    let mut bytes = 0u64;
    let mut i = 0u64;
    while bytes < total {
        let mut b = BatchBuilder::new(Compression::None);
        for _ in 0..RECORDS_PER_BATCH {
            let k = format!("key-{:012}", key(i));
            b.append(NOW_MS, Some(k.as_bytes()), Some(&value), &[])
                .unwrap();
            i += 1;
        }
        let batch = b.build().unwrap();
        bytes += batch.len() as u64;
        out.push(batch);
    }
    out
}

/// Fresh, uniquely owned buffers for one run (the append rewrites them in place).
fn fresh(batches: &[Bytes]) -> Vec<BytesMut> {
    batches.iter().map(|b| BytesMut::from(&b[..])).collect()
}

fn open(dir: &Path, config: LogConfig, opts: OpenOptions) -> (PartitionLog, u64, Duration) {
    let t = Instant::now();
    let (log, report) = PartitionLog::open(dir, "bench", 0, config, opts).unwrap();
    (log, report.bytes_recovered, t.elapsed())
}

/// Appends every batch (one append call per 16 KiB batch, like one produce request each);
/// with `flush_every` set, flushes (fsync) each time that many bytes were appended.
/// Returns the bytes appended and the time, fsyncs included.
fn append_all(
    log: &mut PartitionLog,
    batches: Vec<BytesMut>,
    flush_every: Option<u64>,
) -> (u64, Duration) {
    let t = Instant::now();
    let mut total = 0u64;
    let mut since_flush = 0u64;
    for b in batches {
        let info = log.append_as_leader(b, 0, NOW_MS).unwrap();
        total += info.bytes;
        since_flush += info.bytes;
        if let Some(every) = flush_every
            && since_flush >= every
        {
            log.flush(NOW_MS).unwrap();
            since_flush = 0;
        }
    }
    if flush_every.is_some() && since_flush > 0 {
        log.flush(NOW_MS).unwrap();
    }
    (total, t.elapsed())
}

/// Runs `dd if=/dev/zero of=<dir>/dd.out bs=1M count=<mib> [oflag=dsync]`; returns its wall time.
fn dd(dir: &Path, mib: u64, dsync: bool) -> Duration {
    let out = dir.join("dd.out");
    let mut cmd = Command::new("dd");
    cmd.arg("if=/dev/zero")
        .arg(format!("of={}", out.display()))
        .arg("bs=1M")
        .arg(format!("count={mib}"));
    if dsync {
        cmd.arg("oflag=dsync");
    }
    let t = Instant::now();
    let status = cmd.stderr(std::process::Stdio::null()).status().unwrap();
    let took = t.elapsed();
    assert!(status.success(), "dd failed: {status}");
    std::fs::remove_file(&out).unwrap();
    took
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Bytes per second in GB/s (10^9).
fn gbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

/// Each run's log figure over the `dd` figure measured right after it: the disk's speed
/// drifts between runs on this shared machine, so paired ratios are steadier than medians.
fn pair_ratios(log: &[f64], dd: &[f64]) -> Vec<f64> {
    log.iter().zip(dd).map(|(l, d)| l / d).collect()
}

fn fmt_runs(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("logbench")
        .tempdir_in(std::env::temp_dir())
        .unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let mib = env_u64("LOGBENCH_MIB", 1024).max(1);
    let compact_mib = env_u64("LOGBENCH_COMPACT_MIB", 1024).max(1);
    let runs = env_u64("LOGBENCH_RUNS", 3).max(1) as usize;
    let tmp = std::env::temp_dir();
    let df = Command::new("df").arg("-T").arg(&tmp).output().unwrap();
    println!(
        "temp dir {}:\n{}",
        tmp.display(),
        String::from_utf8_lossy(&df.stdout).trim_end()
    );
    println!(
        "sizes: append/read/recovery {mib} MiB, compaction {compact_mib} MiB, {runs} run(s) each (median reported); \
         batches of {RECORDS_PER_BATCH} records x ~1 KiB (key 16 B, value {VALUE_BYTES} B), uncompressed; GB = 10^9 B"
    );

    let t = Instant::now();
    let batches = build_batches(mib * MIB, |i| i);
    let batch_len = batches[0].len();
    println!(
        "built {} batches of {batch_len} B in {:.2?}",
        batches.len(),
        t.elapsed()
    );
    // `LOGBENCH_INDEX_INTERVAL` (bytes) overrides `index.interval.bytes` for (1)-(4), to see
    // what the per-batch offset index write costs.
    let config = LogConfig {
        index_interval_bytes: env_u64("LOGBENCH_INDEX_INTERVAL", 4096).min(u64::from(u32::MAX))
            as u32,
        ..LogConfig::default()
    };
    println!("index.interval.bytes {}", config.index_interval_bytes);

    // (1) append without fsync, and plain dd bs=1M.
    let mut append = Vec::new();
    let mut dd_plain = Vec::new();
    let mut kept: Option<tempfile::TempDir> = None;
    for _ in 0..runs {
        let dir = tmpdir();
        let (mut log, _, _) = open(
            dir.path(),
            config.clone(),
            OpenOptions {
                clean_shutdown: true,
                now_ms: NOW_MS,
                ..Default::default()
            },
        );
        let (bytes, took) = append_all(&mut log, fresh(&batches), None);
        append.push(gbps(bytes, took));
        log.close(NOW_MS).unwrap();
        drop(log);
        dd_plain.push(gbps(mib * MIB, dd(dir.path(), mib, false)));
        // The last run's log feeds the read and recovery scenarios.
        kept = Some(dir);
    }
    let kept = kept.unwrap();
    println!(
        "(1) append, no fsync: {:.3} GB/s (runs {}); dd bs=1M: {:.3} GB/s (runs {}); ratio {:.2}",
        median(append.clone()),
        fmt_runs(&append),
        median(dd_plain.clone()),
        fmt_runs(&dd_plain),
        median(append.clone()) / median(dd_plain.clone())
    );

    // (2) append with a flush per 1 MiB vs dd oflag=dsync.
    let mut append_sync = Vec::new();
    let mut dd_sync = Vec::new();
    for _ in 0..runs {
        let dir = tmpdir();
        let (mut log, _, _) = open(
            dir.path(),
            config.clone(),
            OpenOptions {
                clean_shutdown: true,
                now_ms: NOW_MS,
                ..Default::default()
            },
        );
        let (bytes, took) = append_all(&mut log, fresh(&batches), Some(MIB));
        append_sync.push(gbps(bytes, took));
        drop(log);
        dd_sync.push(gbps(mib * MIB, dd(dir.path(), mib, true)));
    }
    println!(
        "(2) append, fsync per 1 MiB: {:.3} GB/s (runs {}); dd bs=1M oflag=dsync: {:.3} GB/s (runs {}); ratio of medians {:.2}, median of per-run ratios {:.2} (runs {})",
        median(append_sync.clone()),
        fmt_runs(&append_sync),
        median(dd_sync.clone()),
        fmt_runs(&dd_sync),
        median(append_sync.clone()) / median(dd_sync.clone()),
        median(pair_ratios(&append_sync, &dd_sync)),
        fmt_runs(&pair_ratios(&append_sync, &dd_sync))
    );

    // (3) sequential read of the whole log in 1 MiB steps, page-cache warm.
    let (log, _, _) = open(
        kept.path(),
        config.clone(),
        OpenOptions {
            clean_shutdown: true,
            recovery_point: i64::MAX,
            now_ms: NOW_MS,
            ..Default::default()
        },
    );
    let end = log.log_end_offset();
    let mut read = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut offset = 0;
        let mut bytes = 0u64;
        while offset < end {
            let r = log.read(offset, MIB, None, true).unwrap();
            let data = r.range.unwrap().read_to_bytes().unwrap();
            bytes += data.len() as u64;
            offset = r.batches.last().unwrap().last_offset + 1;
        }
        read.push(gbps(bytes, t.elapsed()));
    }
    drop(log);
    println!(
        "(3) sequential read, 1 MiB steps, page-cache warm: {:.3} GB/s (runs {})",
        median(read.clone()),
        fmt_runs(&read)
    );

    // (4) recovery: the log was closed without the clean marker; reopen from recovery point 0.
    let mut recovery = Vec::new();
    let mut recovered = 0;
    for _ in 0..runs {
        let (log, bytes, took) = open(
            kept.path(),
            config.clone(),
            OpenOptions {
                clean_shutdown: false,
                recovery_point: 0,
                now_ms: NOW_MS,
                ..Default::default()
            },
        );
        assert_eq!(log.log_end_offset(), end, "recovery lost data");
        drop(log);
        recovered = bytes;
        recovery.push(bytes as f64 / took.as_secs_f64() / 1e6);
    }
    drop(kept);
    println!(
        "(4) recovery of {recovered} B (unclean, recovery point 0): {:.0} MB/s (runs {})",
        median(recovery.clone()),
        recovery
            .iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    drop(batches);

    // (5) compaction: keys drawn uniformly from a space of a tenth of the record count, so
    // about 10 % of the records are each key's latest at the end.
    let records = compact_mib * MIB / batch_len as u64 * RECORDS_PER_BATCH as u64;
    let key_space = (records / 10).max(1);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let cbatches = build_batches(compact_mib * MIB, |_| rng.next() % key_space);
    let ccfg = LogConfig {
        segment_bytes: 64 << 20,
        cleanup_compact: true,
        cleanup_delete: false,
        ..LogConfig::default()
    };
    let compact_runs = if compact_mib >= 1024 { 1 } else { runs };
    let mut compact = Vec::new();
    for _ in 0..compact_runs {
        let dir = tmpdir();
        let (mut log, _, _) = open(
            dir.path(),
            ccfg.clone(),
            OpenOptions {
                clean_shutdown: true,
                now_ms: NOW_MS,
                ..Default::default()
            },
        );
        append_all(&mut log, fresh(&cbatches), None);
        let end = log.log_end_offset();
        log.set_high_watermark(end);
        let before = log.size_bytes();
        let t = Instant::now();
        let report = log.compact(NOW_MS).unwrap();
        let took = t.elapsed();
        let after = log.size_bytes();
        let active = log.segment_summaries().last().map_or(0, |s| s.size_bytes);
        let cleaned_in = before - active;
        let mbps = cleaned_in as f64 / took.as_secs_f64() / 1e6;
        compact.push(mbps);
        println!(
            "(5) compaction: {} segments, {cleaned_in} B cleaned in {:.2?}: {mbps:.0} MB/s; log {before} B -> {after} B ({:.1} %), {} distinct keys (of {records} records)",
            report.segments_cleaned,
            took,
            after as f64 * 100.0 / before as f64,
            report.keys
        );
    }
    println!("(5) compaction median: {:.0} MB/s", median(compact));
}
