//! Crash test of the partition log: a child process (this test binary re-executed with
//! RKAFKA_LOG_CRASH_DIR set) appends batches, fsyncs every few appends and prints each
//! flushed offset; the parent SIGKILLs it at random moments, sometimes also cuts the active
//! segment's unflushed tail or flips a bit (in the unflushed tail, or now and then in flushed
//! data), then reopens the log and checks: every flushed record is there with its content,
//! nothing after a corrupt batch is returned, every batch read passes its CRC, and the
//! indexes agree with the log. `LOG_CRASH_SEED=<n>` repeats a run.
//!
//! Uses its own `main` (harness = false) so the child mode is not a test of its own.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rkafka::log::LogConfig;
use rkafka::log::index::{OffsetIndex, TimeIndex};
use rkafka::log::partition_log::{OpenOptions, PartitionLog};
use rkafka::protocol::records::{
    Batch, BatchBuilder, Batches, Compression, DEFAULT_DECOMPRESSION_LIMIT,
};

const CHILD_DIR: &str = "RKAFKA_LOG_CRASH_DIR";
const CHILD_RP: &str = "RKAFKA_LOG_CRASH_RECOVERY_POINT";
const CHILD_SEED: &str = "RKAFKA_LOG_CRASH_CHILD_SEED";

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
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 64 * 1024,
        index_interval_bytes: 1024,
        segment_index_bytes: 4096,
        ..LogConfig::default()
    }
}

/// The value stored at `offset`: derived from the offset so the parent can check it.
fn value_for(offset: i64) -> Vec<u8> {
    let len = 20 + (offset as usize * 7919) % 200;
    (0..len)
        .map(|i| (offset as u8).wrapping_add(i as u8))
        .collect()
}

fn run_child(dir: &Path) {
    let recovery_point = std::env::var(CHILD_RP)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut rng = Rng(std::env::var(CHILD_SEED)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1));
    let opts = OpenOptions {
        recovery_point,
        ..OpenOptions::default()
    };
    let (mut log, _) = PartitionLog::open(dir, "crash", 0, config(), opts).expect("child open");
    let out = std::io::stdout();
    let mut since_flush = 0;
    let mut flush_every = 1 + rng.below(4);
    loop {
        let mut b = BatchBuilder::new(if rng.below(4) == 0 {
            Compression::Snappy
        } else {
            Compression::None
        });
        let base = log.log_end_offset();
        for i in 0..1 + rng.below(10) as i64 {
            let o = base + i;
            b.append(o, Some(o.to_string().as_bytes()), Some(&value_for(o)), &[])
                .unwrap();
        }
        let bytes = BytesMut::from(&b.build().unwrap()[..]);
        log.append_as_leader(bytes, 1, 0).expect("child append");
        since_flush += 1;
        if since_flush >= flush_every {
            log.flush(0).expect("child flush");
            since_flush = 0;
            flush_every = 1 + rng.below(4);
            let active = *log.segment_summaries().last().unwrap();
            let mut o = out.lock();
            writeln!(
                o,
                "FLUSHED {} {} {}",
                log.log_end_offset() - 1,
                active.base_offset,
                active.size_bytes
            )
            .unwrap();
            o.flush().unwrap();
        }
    }
}

struct Flushed {
    last_offset: i64,
    active_base: i64,
    active_size: u64,
}

fn parse_line(line: &str) -> Option<Flushed> {
    let mut it = line.strip_prefix("FLUSHED ")?.split(' ');
    Some(Flushed {
        last_offset: it.next()?.parse().ok()?,
        active_base: it.next()?.parse().ok()?,
        active_size: it.next()?.trim().parse().ok()?,
    })
}

fn segment_path(dir: &Path, base: i64) -> PathBuf {
    dir.join(format!("{base:020}.log"))
}

fn last_segment(dir: &Path) -> Option<(i64, PathBuf)> {
    let mut bases: Vec<i64> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".log")?.parse().ok()
        })
        .collect();
    bases.sort_unstable();
    let base = *bases.last()?;
    Some((base, segment_path(dir, base)))
}

/// Base offset of the batch holding byte `position` of a segment file.
fn batch_at(file: &[u8], position: usize) -> Option<(i64, usize)> {
    let mut start = 0usize;
    for b in Batches::new(bytes::Bytes::copy_from_slice(file)) {
        let b = b.ok()?;
        let size = b.as_bytes().len();
        if position < start + size {
            return Some((b.base_offset()?, start));
        }
        start += size;
    }
    None
}

/// Reopens the log and checks it; returns its log end offset.
fn verify(dir: &Path, flushed: i64, corrupt_batch: Option<i64>) -> i64 {
    let (log, report) =
        PartitionLog::open(dir, "crash", 0, config(), OpenOptions::default()).expect("reopen");
    let end = log.log_end_offset();
    match corrupt_batch {
        // Nothing from the corrupt batch on survives.
        Some(base) => assert_eq!(
            end, base,
            "log end after a corrupt batch at {base} ({report:?})"
        ),
        None => assert!(
            end > flushed,
            "flushed offset {flushed} lost: log end {end} ({report:?})"
        ),
    }
    let mut next = log.log_start_offset();
    while next < end {
        let r = log.read(next, 1 << 20, None, true).unwrap();
        let bytes = r
            .range
            .expect("data below the log end")
            .read_to_bytes()
            .unwrap();
        for b in Batches::new(bytes) {
            let Batch::V2(b) = b.unwrap() else {
                panic!("legacy batch")
            };
            b.validate()
                .expect("a batch served after recovery passes its CRC");
            assert_eq!(b.base_offset(), next, "batches are contiguous");
            for r in b.records(DEFAULT_DECOMPRESSION_LIMIT).unwrap() {
                let r = r.unwrap();
                assert_eq!(r.key.as_deref(), Some(r.offset.to_string().as_bytes()));
                assert_eq!(
                    r.value.as_deref(),
                    Some(&value_for(r.offset)[..]),
                    "value at {}",
                    r.offset
                );
            }
            next = b.next_offset();
        }
    }
    // The indexes agree with the log: in memory, and on disk for the index module's checks.
    for seg in log.segments() {
        for e in seg.offset_index_entries() {
            let b = seg
                .read_header(e.position as u64)
                .unwrap()
                .expect("index entry inside the log");
            assert_eq!(b.last_offset, e.offset);
        }
    }
    let mut log = log;
    log.close(0).unwrap();
    for seg in std::fs::read_dir(dir).unwrap() {
        let p = seg.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.split('.').next().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        if name.ends_with(".index") {
            OffsetIndex::parse(&std::fs::read(&p).unwrap(), stem)
                .unwrap()
                .sanity_check()
                .unwrap();
        } else if name.ends_with(".timeindex") {
            TimeIndex::parse(&std::fs::read(&p).unwrap(), stem)
                .unwrap()
                .sanity_check()
                .unwrap();
        }
    }
    end
}

fn crash_test() {
    let seed: u64 = std::env::var("LOG_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("log_crash: seed {seed} (LOG_CRASH_SEED={seed} repeats it)");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("crash-0");
    let started = Instant::now();
    let mut kills = 0;
    let mut flushed_records: i64 = -1;
    let mut recovery_point = 0i64;
    let (mut truncations, mut flips, mut deep_flips) = (0, 0, 0);
    while kills < 50 || (kills < 200 && started.elapsed() < Duration::from_secs(20)) {
        if started.elapsed() > Duration::from_secs(50) {
            break;
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_DIR, &dir)
            .env(CHILD_RP, recovery_point.to_string())
            .env(CHILD_SEED, rng.next().to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                // A line cut by the kill has no newline and is not a promise.
                if line.ends_with('\n') {
                    if let Some(f) = parse_line(&line) {
                        let _ = tx.send(f);
                    }
                }
                line.clear();
            }
        });
        // Let it run until it has flushed at least once, then a random while more.
        let first = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("child flushes");
        std::thread::sleep(Duration::from_millis(rng.below(60)));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        child.wait().unwrap();
        kills += 1;
        reader.join().unwrap();
        let mut last = first;
        while let Ok(f) = rx.try_recv() {
            last = f;
        }
        flushed_records = flushed_records.max(last.last_offset);

        // Simulate what a lost page cache or a bad disk leaves behind.
        let mut corrupt_batch = None;
        if let Some((base, path)) = last_segment(&dir) {
            let mut bytes = std::fs::read(&path).unwrap();
            let flushed_len = if base == last.active_base {
                last.active_size as usize
            } else {
                0
            };
            let unflushed = bytes.len().saturating_sub(flushed_len);
            match rng.below(10) {
                0..=2 if unflushed > 0 && base == last.active_base => {
                    let cut = 1 + rng.below(unflushed as u64) as usize;
                    bytes.truncate(bytes.len() - cut);
                    std::fs::write(&path, &bytes).unwrap();
                    truncations += 1;
                }
                3..=4 if unflushed > 0 && base == last.active_base => {
                    let p = flushed_len + rng.below(unflushed as u64) as usize;
                    if let Some((_, start)) = batch_at(&bytes, p) {
                        // Flip inside what the CRC covers (from the magic byte on).
                        let p = p.max(start + 16);
                        if p < bytes.len() {
                            bytes[p] ^= 1 << rng.below(8);
                            std::fs::write(&path, &bytes).unwrap();
                            flips += 1;
                        }
                    }
                }
                5 if !bytes.is_empty() => {
                    // A bad sector in flushed data: that batch and everything after it go.
                    let p = rng.below(bytes.len() as u64) as usize;
                    if let Some((batch_base, start)) = batch_at(&bytes, p) {
                        let p = p.max(start + 16);
                        if p < bytes.len() {
                            bytes[p] ^= 1 << rng.below(8);
                            std::fs::write(&path, &bytes).unwrap();
                            corrupt_batch = Some(batch_base);
                            deep_flips += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        let end = verify(&dir, flushed_records, corrupt_batch);
        if corrupt_batch.is_some() {
            // Data was destroyed on purpose: what is promised from now on is what is left.
            flushed_records = end - 1;
        }
        // Half of the restarts trust the segments below the flushed offset (recovery point).
        recovery_point = if rng.below(2) == 0 && corrupt_batch.is_none() {
            end
        } else {
            0
        };
    }
    assert!(kills >= 50, "only {kills} kills in the time budget");
    println!(
        "log_crash: {} flushed records survived {kills} SIGKILLs ({truncations} cut tails, {flips} flipped bits in unflushed data, {deep_flips} in flushed data) in {:.1}s",
        flushed_records + 1,
        started.elapsed().as_secs_f64()
    );
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        run_child(Path::new(&dir));
        return;
    }
    crash_test();
}
