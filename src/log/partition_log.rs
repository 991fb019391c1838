//! A partition's log: the segments of `<log dir>/<topic>-<partition>/`, the offsets that frame
//! them (log start, log end, high watermark, recovery point) and the leader epoch cache.
//!
//! It validates and appends produced batches, assigning offsets by rewriting only each batch
//! header's baseOffset and partitionLeaderEpoch (outside the CRC; records are never
//! re-encoded), appends replicated batches as they are, serves reads as file byte ranges,
//! rolls segments, truncates (followers), applies retention, flushes by policy and recovers
//! after a crash.
//!
//! Threading contract: `PartitionLog` is synchronous and `Send`, not `Sync`-shared: the owner
//! (the broker's replica manager) keeps it behind one `Mutex` per partition and calls it
//! from a blocking pool or a dedicated thread, never holding that lock across an `.await`.
//! Reads return [`FileRange`]s holding their own file handle, so the lock can be released
//! before the bytes are sent. Time is always a parameter (`now_ms`, ms since the epoch).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::DELETED_SUFFIX;
use super::checkpoint::EpochEntry;
use super::compaction::{self, Cleaned, OffsetMap};
use super::config::LogConfig;
use super::error::{LogError, Result, io_err};
use super::files::{SegmentFileKind, base_offset_from_file_name};
use super::leader_epoch::LeaderEpochCache;
use super::producer_state::{Check, ProducerBatch, ProducerStates};
use super::retention::{self, RetentionInputs, RetentionReason};
use super::roll::{self, PendingAppend, RollReason};
use super::segment::{BatchMeta, BatchPosition, FileRange, Segment, SegmentSummary};
use crate::protocol::records::{
    Batch, BatchHeaderMut, Batches, RecordBatch, RecordsError, TimestampType,
};

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendInfo {
    pub first_offset: i64,
    pub last_offset: i64,
    /// The append time stamped on the batches with `LogAppendTime`, else -1 (as Kafka answers).
    pub log_append_time: i64,
    /// Largest batch maxTimestamp of the append (ms, -1 when none).
    pub max_timestamp: i64,
    pub record_count: i64,
    pub batch_count: usize,
    /// Bytes written.
    pub bytes: u64,
    pub log_start_offset: i64,
    /// Why the append started a new segment, if it did.
    pub rolled: Option<RollReason>,
}

/// What a read found: whole batches from one segment.
#[derive(Debug, Clone)]
pub struct ReadInfo {
    /// The bytes to send; `None` when there is nothing to return.
    pub range: Option<FileRange>,
    /// The batches in `range`, in order.
    pub batches: Vec<BatchPosition>,
    /// Base offset of the first batch returned (may be below the requested offset: a batch is
    /// returned whole).
    pub first_batch_offset: Option<i64>,
    pub high_watermark: i64,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
}

/// How to open a partition log: what the log dir's checkpoints and clean-shutdown marker say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// From `recovery-point-offset-checkpoint` (0 when absent): data below it was fsynced.
    pub recovery_point: i64,
    /// From `log-start-offset-checkpoint`.
    pub log_start_offset: Option<i64>,
    /// From `replication-offset-checkpoint`.
    pub high_watermark: Option<i64>,
    /// The log dir had `.kafka_cleanshutdown`: indexes can be trusted after a sanity check.
    pub clean_shutdown: bool,
    pub now_ms: i64,
    /// Randomness for the per-log roll jitter.
    pub jitter_seed: u64,
}

/// What recovery did when opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenReport {
    /// Segments whose batches were re-read and CRC-checked.
    pub segments_recovered: usize,
    /// Bytes of valid batches re-read.
    pub bytes_recovered: u64,
    /// Bytes cut from torn or corrupt tails (and segments after a corruption).
    pub bytes_truncated: u64,
}

/// What a compaction pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompactionReport {
    pub segments_cleaned: usize,
    pub bytes_removed: u64,
    /// Distinct keys in the cleaned range.
    pub keys: usize,
}

/// What a retention pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    pub segments_deleted: usize,
    pub bytes_deleted: u64,
    pub log_start_offset: i64,
}

/// One partition's log. Invariants: `segments` is never empty and the last one is active;
/// `log_start_offset <= high_watermark <= log_end_offset`; `recovery_point <= log_end_offset`.
#[derive(Debug)]
pub struct PartitionLog {
    dir: PathBuf,
    topic: String,
    partition: i32,
    config: LogConfig,
    segments: BTreeMap<i64, Segment>,
    log_start_offset: i64,
    log_end_offset: i64,
    high_watermark: i64,
    recovery_point: i64,
    epochs: LeaderEpochCache,
    jitter_ms: i64,
    unflushed_records: i64,
    last_flush_ms: i64,
    /// `.deleted` files and when they may be removed (ms).
    pending_deletes: Vec<(i64, PathBuf)>,
    /// Idempotent producers' sequences (rebuilt on open from the last snapshot + replay).
    producers: ProducerStates,
}

/// What a produced append did: appended, or recognised as a retried duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Produced {
    Appended(AppendInfo),
    /// The batch is already in the log at these offsets (an idempotent producer's retry).
    Duplicate {
        first_offset: i64,
        last_offset: i64,
    },
}

/// A stored batch that cannot be read while compacting.
fn corrupt(b: &BatchPosition) -> impl FnOnce(RecordsError) -> LogError + use<> {
    let position = b.position as usize;
    move |source| LogError::InvalidBatch { position, source }
}

fn invalid(position: usize) -> impl FnOnce(RecordsError) -> LogError {
    move |source| match source {
        RecordsError::BatchTooLarge { size, max } => LogError::BatchTooLarge { size, max },
        source => LogError::InvalidBatch { position, source },
    }
}

/// The idempotence fields of a batch.
fn producer_batch(b: &RecordBatch) -> ProducerBatch {
    ProducerBatch {
        producer_id: b.producer_id(),
        epoch: b.producer_epoch(),
        first_sequence: b.base_sequence(),
        last_sequence: b.last_sequence(),
    }
}

/// Walks an append buffer: every entry must be a whole magic-2 batch that passes `check`.
fn scan_batches(
    bytes: &Bytes,
    max_batch: usize,
    mut check: impl FnMut(&RecordBatch, usize) -> Result<()>,
) -> Result<()> {
    let mut it = Batches::new(bytes.clone()).with_max_batch_size(max_batch);
    let mut position = 0usize;
    let mut n = 0;
    for item in it.by_ref() {
        match item.map_err(invalid(position))? {
            Batch::V2(b) => {
                check(&b, position)?;
                position += b.size();
            }
            Batch::Legacy(m) => {
                return Err(LogError::UnsupportedMagic {
                    position,
                    magic: m.magic(),
                });
            }
        }
        n += 1;
    }
    if it.remaining() > 0 {
        return Err(LogError::TrailingBytes {
            trailing: it.remaining(),
        });
    }
    if n == 0 {
        return Err(LogError::EmptyAppend);
    }
    Ok(())
}

impl PartitionLog {
    /// Opens (creating if needed) the partition directory `dir` for `topic`-`partition`,
    /// recovering what a crash may have left (see [`OpenOptions`]).
    pub fn open(
        dir: &Path,
        topic: &str,
        partition: i32,
        config: LogConfig,
        opts: OpenOptions,
    ) -> Result<(PartitionLog, OpenReport)> {
        std::fs::create_dir_all(dir).map_err(io_err("create partition directory", dir))?;
        let mut bases = Vec::new();
        let listing = std::fs::read_dir(dir).map_err(io_err("list", dir))?;
        let mut stray = Vec::new();
        let mut swaps = Vec::new();
        for entry in listing {
            let entry = entry.map_err(io_err("list", dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.ends_with(".log.swap") {
                swaps.push(path);
                continue;
            }
            if name.ends_with(DELETED_SUFFIX)
                || name.ends_with(".tmp")
                || name.ends_with(compaction::CLEANED_SUFFIX)
                || name.ends_with(compaction::SWAP_SUFFIX)
            {
                // Leftovers of an interrupted delete, checkpoint write or cleaning: the
                // original files are authoritative.
                stray.push(path);
                continue;
            }
            if SegmentFileKind::from_file_name(&name) == Some(SegmentFileKind::Log) {
                if let Ok(base) = base_offset_from_file_name(&name) {
                    bases.push(base);
                }
            }
        }
        for p in stray {
            std::fs::remove_file(&p).map_err(io_err("remove", &p))?;
        }
        // A cleaned segment fully written and renamed to .swap replaces its original.
        for p in swaps {
            compaction::complete_swap(&p)?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Ok(base) = base_offset_from_file_name(&name) {
                if !bases.contains(&base) {
                    bases.push(base);
                }
            }
        }
        // Index files without their .log are orphans (Kafka deletes them too).
        for entry in std::fs::read_dir(dir).map_err(io_err("list", dir))? {
            let entry = entry.map_err(io_err("list", dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = SegmentFileKind::from_file_name(&name);
            if matches!(
                kind,
                Some(SegmentFileKind::Index | SegmentFileKind::TimeIndex)
            ) {
                if let Ok(base) = base_offset_from_file_name(&name) {
                    if !bases.contains(&base) {
                        let p = entry.path();
                        std::fs::remove_file(&p).map_err(io_err("remove", &p))?;
                    }
                }
            }
        }
        bases.sort_unstable();

        let mut epochs = LeaderEpochCache::load(dir)?;
        let mut report = OpenReport::default();
        let started = Instant::now();
        let mut segments = BTreeMap::new();
        let mut corrupted = false;
        let mut epoch_updates: Vec<EpochEntry> = Vec::new();
        for (i, &base) in bases.iter().enumerate() {
            let log_path = dir.join(super::files::file_name(base, SegmentFileKind::Log));
            if corrupted {
                // Nothing after a corrupt batch is kept: later segments were written after it.
                report.bytes_truncated += std::fs::metadata(&log_path).map_or(0, |m| m.len());
                for kind in [
                    SegmentFileKind::Log,
                    SegmentFileKind::Index,
                    SegmentFileKind::TimeIndex,
                ] {
                    let p = dir.join(super::files::file_name(base, kind));
                    match std::fs::remove_file(&p) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(LogError::io("remove", &p, e)),
                    }
                }
                continue;
            }
            let below_recovery_point = bases
                .get(i + 1)
                .is_some_and(|next| *next <= opts.recovery_point);
            let trust = opts.clean_shutdown || below_recovery_point;
            let mut on_batch = |b: &BatchPosition| {
                if b.partition_leader_epoch >= 0
                    && epoch_updates
                        .last()
                        .is_none_or(|l| l.epoch != b.partition_leader_epoch)
                {
                    epoch_updates.push(EpochEntry {
                        epoch: b.partition_leader_epoch,
                        start_offset: b.base_offset,
                    });
                }
            };
            let (segment, outcome) =
                Segment::open(dir, base, &config, trust, opts.now_ms, &mut on_batch)?;
            if let Some(o) = outcome {
                if report.segments_recovered == 0 {
                    // Re-read batches re-establish the epochs from this segment on.
                    epochs.truncate_from_end(base)?;
                }
                report.segments_recovered += 1;
                report.bytes_recovered += o.valid_bytes;
                report.bytes_truncated += o.truncated_bytes;
                if o.truncated_bytes > 0 {
                    corrupted = true;
                    tracing::warn!(
                        segment = %segment.log_path().display(),
                        valid_bytes = o.valid_bytes,
                        truncated_bytes = o.truncated_bytes,
                        "truncated an invalid or torn tail found by recovery"
                    );
                }
            }
            segments.insert(base, segment);
        }
        for e in epoch_updates {
            epochs.assign(e.epoch, e.start_offset)?;
        }
        // Recovery rebuilt indexes preallocated; only the active segment keeps them so.
        let last_base = segments.keys().next_back().copied();
        for (base, segment) in segments.iter_mut() {
            if Some(*base) != last_base {
                segment.seal()?;
            }
        }
        let first_base = opts.log_start_offset.unwrap_or(0).max(0);
        if segments.is_empty() {
            segments.insert(
                first_base,
                Segment::create(dir, first_base, &config, opts.now_ms)?,
            );
        }
        let mut log = PartitionLog {
            dir: dir.to_path_buf(),
            topic: topic.to_string(),
            partition,
            jitter_ms: roll::jitter_ms(&config, opts.jitter_seed),
            config,
            log_start_offset: 0,
            log_end_offset: 0,
            high_watermark: 0,
            recovery_point: 0,
            segments,
            epochs,
            unflushed_records: 0,
            last_flush_ms: opts.now_ms,
            pending_deletes: Vec::new(),
            producers: ProducerStates::default(),
        };
        log.log_end_offset = log.active()?.next_offset();
        let first_segment = log.segments.keys().next().copied().unwrap_or(0);
        log.log_start_offset = opts
            .log_start_offset
            .unwrap_or(first_segment)
            .max(first_segment)
            .min(log.log_end_offset);
        log.high_watermark = opts
            .high_watermark
            .unwrap_or(log.log_start_offset)
            .clamp(log.log_start_offset, log.log_end_offset);
        log.epochs.truncate_from_end(log.log_end_offset)?;
        log.epochs.truncate_from_start(log.log_start_offset)?;
        if report.segments_recovered > 0 {
            // What was re-read may have been only in the page cache of a crashed machine:
            // make it durable before calling it recovered.
            for s in log.segments.values() {
                s.flush()?;
            }
            let secs = started.elapsed().as_secs_f64();
            tracing::info!(
                partition = %log.name(),
                segments = report.segments_recovered,
                bytes_recovered = report.bytes_recovered,
                bytes_truncated = report.bytes_truncated,
                mb_per_sec = (report.bytes_recovered as f64 / 1e6) / secs.max(1e-9),
                "recovered log"
            );
        }
        log.recovery_point = if report.segments_recovered > 0 {
            log.log_end_offset
        } else {
            opts.recovery_point.clamp(0, log.log_end_offset)
        };
        log.load_producer_state()?;
        Ok((log, report))
    }

    /// `topic-partition`, as Kafka names the directory and writes it in logs.
    pub fn name(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn partition(&self) -> i32 {
        self.partition
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Applies new settings (a topic config change); they take effect from the next append.
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    /// Offset below which everything has been fsynced.
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    /// Sets the high watermark (the replica manager computes it), clamped to
    /// `[log start, log end]`. Returns the value kept.
    pub fn set_high_watermark(&mut self, hw: i64) -> i64 {
        self.high_watermark = hw.clamp(self.log_start_offset, self.log_end_offset);
        self.high_watermark
    }

    /// The leader epoch cache entries.
    pub fn epochs(&self) -> &[EpochEntry] {
        self.epochs.entries()
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.epochs.latest_epoch()
    }

    /// OffsetForLeaderEpoch: `(epoch, end offset)`.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        self.epochs.end_offset_for(epoch, self.log_end_offset)
    }

    /// Summaries of every segment, oldest first (the last one is active).
    pub fn segment_summaries(&self) -> Vec<SegmentSummary> {
        self.segments.values().map(Segment::summary).collect()
    }

    /// The segments, oldest first (read-only, for tools and tests).
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.values()
    }

    /// Bytes in all segments.
    pub fn size_bytes(&self) -> u64 {
        self.segments.values().map(Segment::size).sum()
    }

    /// The active (last) segment. Every method leaves one in place; only a failed file
    /// creation in the middle of a roll or full truncation can leave none, and then the log
    /// refuses further work with this error instead of panicking.
    fn active(&self) -> Result<&Segment> {
        self.segments
            .values()
            .next_back()
            .ok_or_else(|| self.no_active())
    }

    fn active_mut(&mut self) -> Result<&mut Segment> {
        let err = self.no_active();
        self.segments.values_mut().next_back().ok_or(err)
    }

    fn no_active(&self) -> LogError {
        LogError::Partition {
            partition: self.name(),
            reason: "has no active segment (an earlier segment creation failed); reopen the log",
        }
    }

    /// Appends batches produced by a client (leader side): each must be a valid magic-2
    /// batch as a client sends it (see `RecordBatch::validate_client_append`) no larger than
    /// `max.message.bytes`, with nothing else in the buffer. Offsets from the log end on and
    /// `leader_epoch` are written into the headers in place; with `LogAppendTime` the
    /// maxTimestamp becomes `now_ms` (that field is under the CRC, which is recomputed).
    /// Nothing is written when any batch is refused.
    pub fn append_as_leader(
        &mut self,
        batches: BytesMut,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        let bytes = batches.freeze();
        let mut metas: Vec<BatchMeta> = Vec::new();
        scan_batches(
            &bytes,
            self.config.max_message_bytes as usize,
            |b, position| {
                b.validate_client_append().map_err(invalid(position))?;
                metas.push(BatchMeta {
                    base_offset: 0,
                    last_offset: i64::from(b.last_offset_delta()),
                    max_timestamp: b.max_timestamp(),
                    size: b.size() as u32,
                    partition_leader_epoch: leader_epoch,
                });
                Ok(())
            },
        )?;
        // The views are gone, so the buffer is normally unique again and is rewritten in
        // place; a caller still holding a clone costs one copy, never a wrong result.
        let mut buf = bytes
            .try_into_mut()
            .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
        let append_time = self.config.message_timestamp_type == TimestampType::LogAppendTime;
        let mut next = self.log_end_offset;
        let mut position = 0usize;
        for m in &mut metas {
            let slice = buf.get_mut(position..).unwrap_or_default();
            let mut header = BatchHeaderMut::new(slice).map_err(invalid(position))?;
            header.set_base_offset(next);
            header.set_partition_leader_epoch(leader_epoch);
            if append_time {
                header.set_max_timestamp(TimestampType::LogAppendTime, now_ms);
                m.max_timestamp = now_ms;
            }
            m.base_offset = next;
            m.last_offset += next;
            next = m.last_offset + 1;
            position += m.size as usize;
        }
        self.epochs.assign(leader_epoch, self.log_end_offset)?;
        let mut info = self.write(&buf, &metas, now_ms)?;
        if append_time {
            info.log_append_time = now_ms;
        }
        Ok(info)
    }

    /// Appends batches fetched from the leader (follower side) exactly as they are: each must
    /// be a valid magic-2 batch and offsets must continue from the log end upwards. The leader
    /// epoch cache learns each batch's epoch.
    pub fn append_as_follower(&mut self, batches: Bytes, now_ms: i64) -> Result<AppendInfo> {
        let mut metas: Vec<BatchMeta> = Vec::new();
        let mut expected = self.log_end_offset;
        let mut producer_batches = Vec::new();
        scan_batches(&batches, usize::MAX, |b, position| {
            b.validate().map_err(invalid(position))?;
            if b.producer_id() >= 0 {
                producer_batches.push((
                    producer_batch(b),
                    b.base_offset(),
                    b.last_offset(),
                    b.max_timestamp(),
                ));
            }
            if b.base_offset() < expected {
                return Err(LogError::NonMonotonicOffsets {
                    first: b.base_offset(),
                    last: b.last_offset(),
                    log_end: expected,
                });
            }
            expected = b.next_offset();
            metas.push(BatchMeta {
                base_offset: b.base_offset(),
                last_offset: b.last_offset(),
                max_timestamp: b.max_timestamp(),
                size: b.size() as u32,
                partition_leader_epoch: b.partition_leader_epoch(),
            });
            Ok(())
        })?;
        for m in &metas {
            self.epochs
                .assign(m.partition_leader_epoch, m.base_offset)?;
        }
        let info = self.write(&batches, &metas, now_ms)?;
        // A follower keeps the producers' sequences too, so it can judge retries once it
        // becomes the leader.
        for (pb, first, last, timestamp) in &producer_batches {
            self.producers.record(pb, *first, *last, *timestamp);
        }
        Ok(info)
    }

    fn write(&mut self, bytes: &[u8], metas: &[BatchMeta], now_ms: i64) -> Result<AppendInfo> {
        let (Some(first), Some(last)) = (metas.first(), metas.last()) else {
            return Err(LogError::EmptyAppend);
        };
        let max_timestamp = metas.iter().map(|m| m.max_timestamp).max().unwrap_or(-1);
        let pending = PendingAppend {
            bytes: bytes.len() as u64,
            max_timestamp,
            last_offset: last.last_offset,
        };
        let reason = roll::roll_reason(
            &self.active()?.roll_state(),
            &pending,
            &self.config,
            self.jitter_ms,
            now_ms,
        );
        if let Some(reason) = reason {
            self.roll(first.base_offset, now_ms)?;
            tracing::debug!(partition = %self.name(), ?reason, "rolled segment");
        }
        self.active_mut()?.append(bytes, metas)?;
        self.log_end_offset = last.last_offset + 1;
        let record_count: i64 = metas
            .iter()
            .map(|m| m.last_offset - m.base_offset + 1)
            .sum();
        self.unflushed_records = self.unflushed_records.saturating_add(record_count);
        if self.unflushed_records >= self.config.flush_messages {
            self.flush(now_ms)?;
        }
        Ok(AppendInfo {
            first_offset: first.base_offset,
            last_offset: last.last_offset,
            log_append_time: -1,
            max_timestamp,
            record_count,
            batch_count: metas.len(),
            bytes: bytes.len() as u64,
            log_start_offset: self.log_start_offset,
            rolled: reason,
        })
    }

    /// Starts a new active segment at `base_offset` (the next offset to be written). The old
    /// one is sealed and fsynced, and the recovery point moves to the new base, as Kafka's
    /// roll-triggered flush does.
    fn roll(&mut self, base_offset: i64, now_ms: i64) -> Result<()> {
        let active = self.active_mut()?;
        if active.is_empty() {
            if active.base_offset() == base_offset {
                return Ok(());
            }
            // An empty active segment at the wrong base (a follower's gap): replace it.
            let base = active.base_offset();
            if let Some(old) = self.segments.remove(&base) {
                self.queue_delete(old, now_ms)?;
            }
        } else {
            active.seal()?;
            active.flush()?;
            let end = active.next_offset();
            self.recovery_point = self.recovery_point.max(end);
        }
        let segment = Segment::create(&self.dir, base_offset, &self.config, now_ms)?;
        super::checkpoint::fsync_dir(&self.dir)?;
        self.segments.insert(base_offset, segment);
        // Everything below the new base is in the producer state now: snapshot it so the
        // next open replays only the active segment (as Kafka does on roll).
        self.write_producer_snapshot(base_offset)?;
        Ok(())
    }

    /// Rolls now if the active segment holds anything (Kafka's forced roll).
    pub fn force_roll(&mut self, now_ms: i64) -> Result<()> {
        if !self.active()?.is_empty() {
            self.roll(self.log_end_offset, now_ms)?;
        }
        Ok(())
    }

    /// Reads whole batches starting with the one holding `start_offset`: up to `max_bytes`
    /// (the first batch even if larger when `min_one_batch`), only batches entirely below
    /// `max_offset` when given (pass the high watermark for consumers), from one segment.
    /// `start_offset` outside `[log start, log end]` is `OffsetOutOfRange`.
    pub fn read(
        &self,
        start_offset: i64,
        max_bytes: u64,
        max_offset: Option<i64>,
        min_one_batch: bool,
    ) -> Result<ReadInfo> {
        if start_offset < self.log_start_offset || start_offset > self.log_end_offset {
            return Err(LogError::OffsetOutOfRange {
                partition: self.name(),
                requested: start_offset,
                log_start: self.log_start_offset,
                log_end: self.log_end_offset,
            });
        }
        let mut info = ReadInfo {
            range: None,
            batches: Vec::new(),
            first_batch_offset: None,
            high_watermark: self.high_watermark,
            log_start_offset: self.log_start_offset,
            log_end_offset: self.log_end_offset,
        };
        let limit = max_offset.map_or(self.log_end_offset, |m| m.min(self.log_end_offset));
        if start_offset >= limit {
            return Ok(info);
        }
        let from = self
            .segments
            .range(..=start_offset)
            .next_back()
            .map_or(i64::MIN, |(k, _)| *k);
        for segment in self.segments.range(from..).map(|(_, s)| s) {
            if let Some(r) = segment.read(start_offset, max_bytes, Some(limit), min_one_batch)? {
                if !r.batches.is_empty() {
                    info.first_batch_offset = r.batches.first().map(|b| b.base_offset);
                    info.range = Some(r.range);
                    info.batches = r.batches;
                }
                break;
            }
        }
        Ok(info)
    }

    /// ListOffsets by time: the first offset at or after the log start whose record timestamp
    /// is `>= timestamp`, with that timestamp; `None` when every record is older.
    pub fn find_offset_by_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>> {
        for segment in self.segments.values() {
            if segment.next_offset() <= self.log_start_offset {
                continue;
            }
            if let Some(found) =
                segment.find_offset_by_timestamp(timestamp, self.log_start_offset)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    fn queue_delete(&mut self, segment: Segment, now_ms: i64) -> Result<u64> {
        let size = segment.size();
        let due = now_ms.saturating_add(self.config.file_delete_delay_ms);
        for p in segment.rename_to_deleted()? {
            self.pending_deletes.push((due, p));
        }
        Ok(size)
    }

    /// Removes every batch holding an offset `>= offset` (a follower diverged from its leader).
    /// The batch holding `offset` goes whole, so the new log end offset is returned; it may be
    /// below `offset` when `offset` was inside a batch. Below the first segment the log is
    /// emptied and restarts at `offset`; when nothing at or after the log start offset would
    /// remain, the log is emptied and restarts at the log start offset (which never moves
    /// back).
    pub fn truncate_to(&mut self, offset: i64, now_ms: i64) -> Result<i64> {
        if offset >= self.log_end_offset {
            return Ok(self.log_end_offset);
        }
        let first = self.segments.keys().next().copied().unwrap_or(0);
        if offset <= first || offset < self.log_start_offset {
            self.truncate_fully_and_start_at(offset.max(0), now_ms)?;
            return Ok(self.log_end_offset);
        }
        let doomed: Vec<i64> = self.segments.range(offset..).map(|(k, _)| *k).collect();
        for base in doomed {
            if let Some(s) = self.segments.remove(&base) {
                self.queue_delete(s, now_ms)?;
            }
        }
        // An active segment left empty goes too while an older one exists, so the log end is
        // where the data really ends (compaction may have emptied segments or their tails).
        let end = loop {
            let older_exists = self.segments.len() > 1;
            let active = self.active_mut()?;
            active.truncate_to(offset)?;
            if active.is_empty() && older_exists {
                if let Some((_, empty)) = self.segments.pop_last() {
                    self.queue_delete(empty, now_ms)?;
                }
                continue;
            }
            break active.next_offset();
        };
        if end < self.log_start_offset {
            // Nothing at or after the log start is left (the batch holding `offset` went
            // whole, or compaction had emptied the range): the log start never moves back, so
            // the log restarts empty there.
            let start = self.log_start_offset;
            self.truncate_fully_and_start_at(start, now_ms)?;
            return Ok(self.log_end_offset);
        }
        self.log_end_offset = end;
        self.after_truncation()?;
        tracing::info!(partition = %self.name(), log_end_offset = self.log_end_offset, "truncated log");
        Ok(self.log_end_offset)
    }

    fn after_truncation(&mut self) -> Result<()> {
        self.producers.truncate_from(self.log_end_offset);
        self.epochs.truncate_from_end(self.log_end_offset)?;
        self.high_watermark = self.high_watermark.min(self.log_end_offset);
        self.recovery_point = self.recovery_point.min(self.log_end_offset);
        self.log_start_offset = self.log_start_offset.min(self.log_end_offset);
        Ok(())
    }

    /// Drops every segment and restarts the log empty at `offset` (a follower too far behind
    /// its leader's log start).
    pub fn truncate_fully_and_start_at(&mut self, offset: i64, now_ms: i64) -> Result<()> {
        let all = std::mem::take(&mut self.segments);
        for (_, s) in all {
            self.queue_delete(s, now_ms)?;
        }
        let segment = Segment::create(&self.dir, offset, &self.config, now_ms)?;
        super::checkpoint::fsync_dir(&self.dir)?;
        self.segments.insert(offset, segment);
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.high_watermark = offset;
        self.recovery_point = offset;
        self.epochs.clear()?;
        self.producers = ProducerStates::default();
        Ok(())
    }

    /// DeleteRecords: moves the log start offset up to `offset` (at most the high watermark).
    /// Whole segments below it go at the next retention pass.
    pub fn delete_records_before(&mut self, offset: i64) -> Result<i64> {
        if offset > self.high_watermark {
            return Err(LogError::StartBeyondHighWatermark {
                partition: self.name(),
                requested: offset,
                high_watermark: self.high_watermark,
            });
        }
        if offset > self.log_start_offset {
            self.log_start_offset = offset;
            self.epochs.truncate_from_start(offset)?;
        }
        Ok(self.log_start_offset)
    }

    /// One retention pass: deletes (renames to `.deleted`, removed after
    /// `file.delete.delay.ms`) the old segments that retention by time, size and log start
    /// offset allow, never the active one, and moves the log start offset forward.
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<RetentionReport> {
        let mut report = RetentionReport {
            log_start_offset: self.log_start_offset,
            ..RetentionReport::default()
        };
        loop {
            let summaries = self.segment_summaries();
            let inputs = RetentionInputs {
                retention_ms: if self.config.cleanup_delete {
                    self.config.retention_ms
                } else {
                    -1
                },
                retention_bytes: if self.config.cleanup_delete {
                    self.config.retention_bytes
                } else {
                    -1
                },
                log_start_offset: self.log_start_offset,
                high_watermark: self.high_watermark,
                now_ms,
            };
            let Some(decision) = retention::decide(&summaries, &inputs) else {
                break;
            };
            for s in summaries.iter().take(decision.count) {
                if let Some(segment) = self.segments.remove(&s.base_offset) {
                    report.bytes_deleted += self.queue_delete(segment, now_ms)?;
                    report.segments_deleted += 1;
                }
            }
            if decision.new_log_start_offset > self.log_start_offset {
                self.log_start_offset = decision.new_log_start_offset;
                self.epochs.truncate_from_start(self.log_start_offset)?;
            }
            self.high_watermark = self.high_watermark.max(self.log_start_offset);
            self.recovery_point = self.recovery_point.max(self.log_start_offset);
            tracing::info!(
                partition = %self.name(),
                reason = match decision.reason {
                    RetentionReason::Time => "retention.ms",
                    RetentionReason::Size => "retention.bytes",
                    RetentionReason::LogStartOffset => "log start offset",
                },
                segments = decision.count,
                log_start_offset = self.log_start_offset,
                "deleting segments"
            );
        }
        report.log_start_offset = self.log_start_offset;
        Ok(report)
    }

    /// One compaction pass (`cleanup.policy=compact`): every inactive segment wholly below
    /// the high watermark keeps only the latest record of each key; tombstones go once their
    /// segment's largest timestamp is older than `now - delete.retention.ms`. Offsets never
    /// change. See [`compaction`] for the crash-safe swap.
    pub fn compact(&mut self, now_ms: i64) -> Result<CompactionReport> {
        let mut report = CompactionReport::default();
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        let cleanable: Vec<i64> = bases
            .windows(2)
            .filter(|w| w[1] <= self.high_watermark)
            .map(|w| w[0])
            .collect();
        if cleanable.is_empty() {
            return Ok(report);
        }
        let mut map = OffsetMap::default();
        for base in &cleanable {
            let Some(seg) = self.segments.get(base) else {
                continue;
            };
            for b in seg.batch_positions()? {
                let rb = RecordBatch::parse(seg.read_batch(&b)?).map_err(corrupt(&b))?;
                map.add_batch(&rb).map_err(corrupt(&b))?;
            }
        }
        let horizon = now_ms.saturating_sub(self.config.delete_retention_ms);
        for base in cleanable {
            let Some(seg) = self.segments.get(&base) else {
                continue;
            };
            let drop_tombstones = seg.summary().largest_timestamp < horizon;
            let mut parts = Vec::new();
            let mut changed = false;
            let before = seg.size();
            for b in seg.batch_positions()? {
                let bytes = seg.read_batch(&b)?;
                let rb = RecordBatch::parse(bytes.clone()).map_err(corrupt(&b))?;
                match compaction::clean_batch(&rb, &map, drop_tombstones).map_err(corrupt(&b))? {
                    Cleaned::Keep => parts.push(bytes),
                    Cleaned::Drop => changed = true,
                    Cleaned::Rewrite(new) => {
                        changed = true;
                        parts.push(new);
                    }
                }
            }
            if !changed {
                continue;
            }
            let log_path = seg.log_path().to_path_buf();
            let swap = compaction::write_swap(&log_path, &parts)?;
            if let Some(old) = self.segments.remove(&base) {
                drop(old);
            }
            compaction::complete_swap(&swap)?;
            let (mut seg, _) =
                Segment::open(&self.dir, base, &self.config, false, now_ms, &mut |_| {})?;
            seg.seal()?;
            report.segments_cleaned += 1;
            report.bytes_removed += before.saturating_sub(seg.size());
            self.segments.insert(base, seg);
        }
        report.keys = map.len();
        if report.segments_cleaned > 0 {
            tracing::info!(partition = %self.name(), segments = report.segments_cleaned, bytes_removed = report.bytes_removed, "compacted log");
        }
        Ok(report)
    }

    /// Removes the `.deleted` files whose delay has passed; returns how many.
    pub fn remove_deleted_files(&mut self, now_ms: i64) -> Result<usize> {
        let mut removed = 0;
        let mut i = 0;
        while i < self.pending_deletes.len() {
            if self.pending_deletes[i].0 <= now_ms {
                let (_, path) = self.pending_deletes.swap_remove(i);
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(LogError::io("remove", &path, e)),
                }
            } else {
                i += 1;
            }
        }
        Ok(removed)
    }

    /// Files waiting for removal.
    pub fn pending_deletes(&self) -> usize {
        self.pending_deletes.len()
    }

    /// fsyncs everything from the recovery point to the log end and moves the recovery point
    /// there.
    pub fn flush(&mut self, now_ms: i64) -> Result<()> {
        let rp = self.recovery_point;
        for s in self.segments.values() {
            if s.next_offset() > rp || s.base_offset() >= rp {
                s.flush()?;
            }
        }
        self.recovery_point = self.log_end_offset;
        self.unflushed_records = 0;
        self.last_flush_ms = now_ms;
        Ok(())
    }

    /// `flush.ms`: flushes when unflushed data is older than the setting.
    pub fn flush_if_due(&mut self, now_ms: i64) -> Result<bool> {
        if self.unflushed_records > 0
            && now_ms.saturating_sub(self.last_flush_ms) >= self.config.flush_ms
        {
            self.flush(now_ms)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Clean close: flushes, seals the active segment (indexes trimmed to their entries) and
    /// removes pending `.deleted` files. The caller writes the checkpoints and the
    /// clean-shutdown marker afterwards. The log must not be appended to afterwards.
    pub fn close(&mut self, now_ms: i64) -> Result<()> {
        self.flush(now_ms)?;
        self.active_mut()?.seal()?;
        self.remove_deleted_files(i64::MAX)?;
        self.write_producer_snapshot(self.log_end_offset)?;
        Ok(())
    }

    /// The idempotent producers' state.
    pub fn producer_states(&self) -> &ProducerStates {
        &self.producers
    }

    /// A client's produced batches, idempotence checked: a batch of a producer id (>= 0) is
    /// judged against that producer's sequences first (see `producer_state`); a retried
    /// duplicate is answered with its original offsets and appends nothing; an epoch or
    /// sequence violation is [`LogError::Sequence`]. Otherwise as
    /// [`PartitionLog::append_as_leader`], and the producer state records the new offsets.
    pub fn append_produced(
        &mut self,
        batches: BytesMut,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<Produced> {
        let frozen = batches.freeze();
        self.validate_records(&frozen, now_ms)?;
        let mut producer_batches = Vec::new();
        for item in Batches::new(frozen.clone()) {
            if let Ok(Batch::V2(b)) = item {
                if b.producer_id() >= 0 {
                    producer_batches.push(producer_batch(&b));
                }
            }
        }
        // One batch per produce request (v3+); a multi-batch append of producer batches is
        // judged batch by batch only on replay, so a duplicate is recognised for one batch.
        if let [only] = producer_batches.as_slice() {
            match self.producers.check(only).map_err(LogError::Sequence)? {
                Check::Append => {}
                Check::Duplicate {
                    first_offset,
                    last_offset,
                } => {
                    return Ok(Produced::Duplicate {
                        first_offset,
                        last_offset,
                    });
                }
            }
        }
        let buf = frozen
            .try_into_mut()
            .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
        let info = self.append_as_leader(buf, leader_epoch, now_ms)?;
        if let [only] = producer_batches.as_slice() {
            self.producers.record(
                only,
                info.first_offset,
                info.last_offset,
                info.max_timestamp,
            );
        }
        Ok(Produced::Appended(info))
    }

    /// What Kafka's log validator checks inside a produced batch beyond its header: every
    /// record decodes (decompressing the body, capped at the default decompression limit),
    /// their count matches the header, their offset deltas run 0, 1, 2, ... (else
    /// INVALID_RECORD), and, for CreateTime topics, every record's timestamp lies within
    /// `message.timestamp.before.max.ms` / `after.max.ms` of `now_ms`. Batches whose header
    /// is malformed are left to the append's own validation.
    fn validate_records(&self, bytes: &Bytes, now_ms: i64) -> Result<()> {
        let before = self.config.message_timestamp_before_max_ms;
        let after = self.config.message_timestamp_after_max_ms;
        let check_time = self.config.message_timestamp_type == TimestampType::CreateTime
            && (before != i64::MAX || after != i64::MAX);
        let mut position = 0usize;
        for item in Batches::new(bytes.clone()) {
            let Ok(Batch::V2(b)) = item else {
                break;
            };
            if b.validate().is_err() {
                break;
            }
            let records = b
                .records(crate::protocol::records::compression::DEFAULT_DECOMPRESSION_LIMIT)
                .map_err(invalid(position))?;
            for (record_index, r) in records.enumerate() {
                let r = r.map_err(invalid(position))?;
                if usize::try_from(r.offset_delta).ok() != Some(record_index) {
                    return Err(LogError::InvalidBatch {
                        position,
                        source: RecordsError::BadHeaderField {
                            field: "record offsetDelta (must count up from 0)",
                            value: i64::from(r.offset_delta),
                        },
                    });
                }
                if !check_time {
                    continue;
                }
                let late = now_ms.saturating_sub(r.timestamp) > before;
                let early = r.timestamp.saturating_sub(now_ms) > after;
                if late || early {
                    return Err(LogError::InvalidTimestamp {
                        record_index,
                        timestamp: r.timestamp,
                        now_ms,
                        before_max_ms: before,
                        after_max_ms: after,
                    });
                }
            }
            position += b.size();
        }
        Ok(())
    }

    /// Snapshot file paths of this log with their offsets, ascending.
    fn producer_snapshots(&self) -> Result<Vec<(i64, PathBuf)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io_err("list", &self.dir))? {
            let entry = entry.map_err(io_err("list", &self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if SegmentFileKind::from_file_name(&name) == Some(SegmentFileKind::ProducerSnapshot) {
                if let Ok(offset) = base_offset_from_file_name(&name) {
                    found.push((offset, entry.path()));
                }
            }
        }
        found.sort();
        Ok(found)
    }

    /// Writes `<offset>.snapshot` with the current producer state and keeps only the two
    /// newest snapshots (Kafka keeps more, but only the newest is ever read back).
    fn write_producer_snapshot(&mut self, offset: i64) -> Result<()> {
        super::producer_snapshot::write_file(&self.dir, offset, &self.producers.to_entries())?;
        let all = self.producer_snapshots()?;
        let keep_from = all.len().saturating_sub(2);
        for (_, p) in all.iter().take(keep_from) {
            std::fs::remove_file(p).map_err(io_err("remove", p))?;
        }
        Ok(())
    }

    /// Rebuilds the producer state: the newest readable snapshot at or below the log end,
    /// then every producer batch from its offset on. Snapshots above the log end (left by a
    /// truncation or a torn tail) are removed first.
    fn load_producer_state(&mut self) -> Result<()> {
        let mut from = self.log_start_offset;
        self.producers = ProducerStates::default();
        let snapshots = self.producer_snapshots()?;
        for (offset, path) in snapshots.iter().rev() {
            if *offset > self.log_end_offset {
                std::fs::remove_file(path).map_err(io_err("remove", path))?;
                continue;
            }
            match super::producer_snapshot::read(path) {
                Ok(Ok(entries)) => {
                    self.producers = ProducerStates::from_entries(&entries);
                    from = (*offset).max(self.log_start_offset);
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(path = %path.display(), "unreadable producer snapshot: {e}")
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), "cannot read producer snapshot: {e}")
                }
            }
        }
        let mut replayed = 0usize;
        for segment in self.segments.values() {
            if segment.next_offset() <= from {
                continue;
            }
            for pos in segment.batch_positions()? {
                if pos.last_offset < from {
                    continue;
                }
                let Ok(b) = RecordBatch::parse(segment.read_batch(&pos)?) else {
                    continue;
                };
                if b.producer_id() < 0 {
                    continue;
                }
                let pb = producer_batch(&b);
                self.producers
                    .record(&pb, b.base_offset(), b.last_offset(), b.max_timestamp());
                replayed += 1;
            }
        }
        if replayed > 0 {
            tracing::debug!(partition = %self.name(), replayed, from, "rebuilt producer state");
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "partition_log_tests.rs"]
pub(crate) mod tests;
