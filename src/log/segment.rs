//! One segment of a partition's log: the `.log` file of record batches plus its offset index
//! and time index, named by the segment's base offset (see [`super::files`]).
//!
//! The segment appends batches whose offsets are already assigned, keeps the indexes in step
//! (an offset index entry once more than `index.interval.bytes` were appended since the last
//! one, a time index entry at the same points when the largest timestamp grew), and answers
//! reads with file byte ranges ([`FileRange`]) a fetch can send without copying, together with
//! the batch boundaries inside them. It also truncates, recovers (CRC-checks every batch and
//! cuts a torn or corrupt tail) and reports what retention needs to know.
//!
//! Threading: a `Segment` is owned by one partition log and used by one thread at a time;
//! the `.log` handle is an `Arc<File>` so a returned [`FileRange`] stays readable (with
//! positional reads) after the lock on the log is released, even if the segment is deleted.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::config::LogConfig;
use super::error::{LogError, Result, io_err};
use super::files::{SegmentFileKind, file_name};
use super::index::{OffsetPosition, TimestampOffset};
use super::index_file::IndexFile;
use crate::protocol::records::RecordBatch;
use crate::protocol::records::batch::layout;

/// What a segment needs to know about each batch it appends (offsets already assigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMeta {
    pub base_offset: i64,
    pub last_offset: i64,
    /// The batch's maxTimestamp (ms; -1 when none).
    pub max_timestamp: i64,
    /// Bytes of the whole batch, 12-byte prefix included.
    pub size: u32,
    pub partition_leader_epoch: i32,
}

/// A batch found in a segment file: where it is and its offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPosition {
    pub base_offset: i64,
    pub last_offset: i64,
    /// Byte position of the batch in the `.log` file.
    pub position: u64,
    /// Bytes of the batch, 12-byte prefix included.
    pub size: u32,
    pub max_timestamp: i64,
    pub partition_leader_epoch: i32,
}

/// A byte range of a segment file: what a fetch response sends (sendfile/pread).
#[derive(Debug, Clone)]
pub struct FileRange {
    pub file: Arc<File>,
    /// Byte position in the file.
    pub position: u64,
    /// Bytes in the range.
    pub length: u64,
}

impl FileRange {
    /// Reads the range into memory (for callers that cannot send from the file).
    pub fn read_to_bytes(&self) -> std::io::Result<Bytes> {
        let len = usize::try_from(self.length)
            .map_err(|_| std::io::Error::other("file range larger than memory can address"))?;
        let mut buf = vec![0u8; len];
        self.file.read_exact_at(&mut buf, self.position)?;
        Ok(Bytes::from(buf))
    }
}

/// Result of a read from one segment: whole batches only.
#[derive(Debug, Clone)]
pub struct SegmentRead {
    pub range: FileRange,
    /// The batches in the range, in order; never empty.
    pub batches: Vec<BatchPosition>,
}

/// What retention looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSummary {
    pub base_offset: i64,
    /// One past the last offset held (the base offset when empty).
    pub next_offset: i64,
    pub size_bytes: u64,
    /// Largest batch timestamp (ms), or the file's modification time when no batch has one.
    pub largest_timestamp: i64,
}

/// What recovering a segment found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryOutcome {
    /// Bytes of valid batches kept.
    pub valid_bytes: u64,
    /// Bytes cut from the end (torn or corrupt tail).
    pub truncated_bytes: u64,
}

/// One segment. Invariants: `size` is the `.log` length and ends on a batch boundary (after
/// recovery); `next_offset` is one past the last batch's last offset; index entries point at
/// batch starts below `size`.
#[derive(Debug)]
pub struct Segment {
    base_offset: i64,
    log_path: PathBuf,
    log: Arc<File>,
    size: u64,
    next_offset: i64,
    offset_index: IndexFile<OffsetPosition>,
    time_index: IndexFile<TimestampOffset>,
    bytes_since_index: u64,
    /// Largest timestamp appended (-1 none) and the last offset of the batch holding it.
    max_timestamp: i64,
    offset_of_max_timestamp: i64,
    /// Start of the segment's age for `segment.ms`: its first batch's maxTimestamp, or the
    /// time it was created/opened when that batch has none (ms).
    rolling_timestamp: Option<i64>,
    created_ms: i64,
    /// `index.interval.bytes`.
    index_interval: u64,
}

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

impl Segment {
    fn paths(dir: &Path, base_offset: i64) -> [PathBuf; 3] {
        [
            dir.join(file_name(base_offset, SegmentFileKind::Log)),
            dir.join(file_name(base_offset, SegmentFileKind::Index)),
            dir.join(file_name(base_offset, SegmentFileKind::TimeIndex)),
        ]
    }

    /// Creates an empty segment starting at `base_offset` (existing files are emptied).
    pub fn create(dir: &Path, base_offset: i64, config: &LogConfig, now_ms: i64) -> Result<Self> {
        let [log_path, index_path, time_path] = Self::paths(dir, base_offset);
        let log = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&log_path)
            .map_err(io_err("create segment", &log_path))?;
        Ok(Segment {
            base_offset,
            log_path,
            log: Arc::new(log),
            size: 0,
            next_offset: base_offset,
            offset_index: IndexFile::create(&index_path, base_offset, config.segment_index_bytes)?,
            time_index: IndexFile::create(&time_path, base_offset, config.segment_index_bytes)?,
            bytes_since_index: 0,
            max_timestamp: -1,
            offset_of_max_timestamp: base_offset,
            rolling_timestamp: None,
            created_ms: now_ms,
            index_interval: u64::from(config.index_interval_bytes),
        })
    }

    /// Opens an existing segment. With `trust_indexes` (clean shutdown, or a segment below the
    /// recovery point) the indexes are sanity-checked and kept, and only the tail after the last
    /// offset index entry is scanned; otherwise, or when a check fails, the segment is
    /// recovered (see [`Segment::recover`]). `on_batch` sees every batch a recovery reads
    /// (the leader epoch cache is rebuilt from them). Returns the segment and what recovery
    /// found (`None` when the indexes were trusted).
    pub fn open(
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
        trust_indexes: bool,
        now_ms: i64,
        on_batch: &mut dyn FnMut(&BatchPosition),
    ) -> Result<(Self, Option<RecoveryOutcome>)> {
        let [log_path, index_path, time_path] = Self::paths(dir, base_offset);
        let log = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&log_path)
            .map_err(io_err("open segment", &log_path))?;
        let size = log
            .metadata()
            .map_err(io_err("stat segment", &log_path))?
            .len();
        let (offset_index, index_sane) =
            IndexFile::open(&index_path, base_offset, config.segment_index_bytes)?;
        let (time_index, time_sane) =
            IndexFile::open(&time_path, base_offset, config.segment_index_bytes)?;
        let mut segment = Segment {
            base_offset,
            log_path,
            log: Arc::new(log),
            size,
            next_offset: base_offset,
            offset_index,
            time_index,
            bytes_since_index: 0,
            max_timestamp: -1,
            offset_of_max_timestamp: base_offset,
            rolling_timestamp: None,
            created_ms: now_ms,
            index_interval: u64::from(config.index_interval_bytes),
        };
        if trust_indexes && index_sane && time_sane && segment.load_tail()? {
            segment.load_rolling_timestamp()?;
            return Ok((segment, None));
        }
        let outcome = segment.recover(on_batch)?;
        segment.load_rolling_timestamp()?;
        Ok((segment, Some(outcome)))
    }

    /// Trusted open: checks that the indexes point inside the file and scans the batch headers
    /// after the last offset index entry to learn the next offset and the bytes since that
    /// entry. Returns false when something does not add up (the caller then recovers).
    fn load_tail(&mut self) -> Result<bool> {
        let start = match self.offset_index.last() {
            Some(e) => {
                let Ok(position) = u64::try_from(e.position) else {
                    return Ok(false);
                };
                if position >= self.size {
                    return Ok(false);
                }
                position
            }
            None => 0,
        };
        if let Some(t) = self.time_index.last() {
            self.max_timestamp = t.timestamp;
            self.offset_of_max_timestamp = t.offset;
        }
        let mut position = start;
        let mut next = self.base_offset;
        let mut first = true;
        while position < self.size {
            let Some(b) = self.read_header(position)? else {
                return Ok(false);
            };
            if b.base_offset < next && !first {
                return Ok(false);
            }
            if first
                && start > 0
                && self
                    .offset_index
                    .last()
                    .is_some_and(|e| e.offset != b.last_offset)
            {
                return Ok(false);
            }
            first = false;
            next = b.last_offset + 1;
            if b.max_timestamp > self.max_timestamp {
                self.max_timestamp = b.max_timestamp;
                self.offset_of_max_timestamp = b.last_offset;
            }
            position += u64::from(b.size);
        }
        if self.time_index.last().is_some_and(|t| t.offset >= next) {
            return Ok(false);
        }
        self.next_offset = next;
        self.bytes_since_index = self.size - start;
        Ok(true)
    }

    fn load_rolling_timestamp(&mut self) -> Result<()> {
        if self.size > 0 {
            if let Some(b) = self.read_header(0)? {
                if b.max_timestamp >= 0 {
                    self.rolling_timestamp = Some(b.max_timestamp);
                }
            }
        }
        Ok(())
    }

    /// Reads the header of the batch at `position`: `None` when there is no whole, plausible
    /// batch there (end of file, a torn tail or a length that runs past the file).
    pub fn read_header(&self, position: u64) -> Result<Option<BatchPosition>> {
        let left = self.size.saturating_sub(position);
        if left < layout::HEADER_LEN as u64 {
            return Ok(None);
        }
        let mut h = [0u8; layout::HEADER_LEN];
        self.log
            .read_exact_at(&mut h, position)
            .map_err(io_err("read segment", &self.log_path))?;
        let length = be_i32(&h, layout::BATCH_LENGTH);
        let Ok(length) = u32::try_from(length) else {
            return Ok(None);
        };
        let size = u64::from(length) + layout::LOG_OVERHEAD as u64;
        if (length as usize) < layout::MIN_BATCH_LENGTH || size > left || size > u64::from(u32::MAX)
        {
            return Ok(None);
        }
        let delta = be_i32(&h, layout::LAST_OFFSET_DELTA);
        let base_offset = be_i64(&h, layout::BASE_OFFSET);
        if delta < 0 || h[layout::MAGIC] as i8 != 2 {
            return Ok(None);
        }
        let Some(last_offset) = base_offset.checked_add(i64::from(delta)) else {
            return Ok(None);
        };
        Ok(Some(BatchPosition {
            base_offset,
            last_offset,
            position,
            size: size as u32,
            max_timestamp: be_i64(&h, layout::MAX_TIMESTAMP),
            partition_leader_epoch: be_i32(&h, layout::PARTITION_LEADER_EPOCH),
        }))
    }

    /// Re-reads the whole segment: every batch must be whole, magic 2, CRC32C-valid, with
    /// offsets increasing and within int32 of the base offset. The file is cut at the first
    /// batch that is not, and both indexes are rebuilt from the batches kept.
    pub fn recover(&mut self, on_batch: &mut dyn FnMut(&BatchPosition)) -> Result<RecoveryOutcome> {
        self.offset_index.clear()?;
        self.time_index.clear()?;
        self.offset_index.preallocate()?;
        self.time_index.preallocate()?;
        self.next_offset = self.base_offset;
        self.bytes_since_index = 0;
        self.max_timestamp = -1;
        self.offset_of_max_timestamp = self.base_offset;
        let mut position = 0u64;
        while let Some(b) = self.read_header(position)? {
            if b.base_offset < self.next_offset
                || b.last_offset - self.base_offset > i64::from(i32::MAX)
            {
                break;
            }
            let mut buf = vec![0u8; b.size as usize];
            self.log
                .read_exact_at(&mut buf, position)
                .map_err(io_err("read segment", &self.log_path))?;
            let valid = RecordBatch::parse(Bytes::from(buf)).and_then(|rb| rb.validate());
            if valid.is_err() {
                break;
            }
            self.index_batch(&b)?;
            on_batch(&b);
            position += u64::from(b.size);
        }
        let truncated = self.size - position;
        if truncated > 0 {
            self.log
                .set_len(position)
                .map_err(io_err("truncate segment", &self.log_path))?;
            self.size = position;
        }
        Ok(RecoveryOutcome {
            valid_bytes: position,
            truncated_bytes: truncated,
        })
    }

    /// Index bookkeeping for a batch that now sits at `b.position` (append and recovery).
    fn index_batch(&mut self, b: &BatchPosition) -> Result<()> {
        let interval = self.index_interval;
        if b.max_timestamp > self.max_timestamp {
            self.max_timestamp = b.max_timestamp;
            self.offset_of_max_timestamp = b.last_offset;
        }
        if self.bytes_since_index > interval {
            let position = i32::try_from(b.position).unwrap_or(i32::MAX);
            self.offset_index.append(OffsetPosition {
                offset: b.last_offset,
                position,
            })?;
            self.append_time_entry()?;
            self.bytes_since_index = 0;
        }
        self.bytes_since_index += u64::from(b.size);
        self.next_offset = b.last_offset + 1;
        if self.rolling_timestamp.is_none() && b.max_timestamp >= 0 {
            self.rolling_timestamp = Some(b.max_timestamp);
        }
        Ok(())
    }

    fn append_time_entry(&mut self) -> Result<()> {
        if self.max_timestamp < 0 {
            return Ok(());
        }
        let entry = TimestampOffset {
            timestamp: self.max_timestamp,
            offset: self.offset_of_max_timestamp,
        };
        self.time_index.append(entry)
    }
}

impl Segment {
    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// Bytes in the `.log` file.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// One past the last offset held; the base offset when empty.
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Largest batch timestamp appended (ms), -1 when none.
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }

    /// The offset index entries (absolute offsets).
    pub fn offset_index_entries(&self) -> &[OffsetPosition] {
        self.offset_index.entries()
    }

    /// The time index entries (absolute offsets).
    pub fn time_index_entries(&self) -> &[TimestampOffset] {
        self.time_index.entries()
    }

    /// What the roll decision needs from this segment.
    pub fn roll_state(&self) -> super::roll::SegmentRollState {
        super::roll::SegmentRollState {
            base_offset: self.base_offset,
            size: self.size,
            rolling_timestamp: self.rolling_timestamp,
            created_ms: self.created_ms,
            offset_index_full: self.offset_index.is_full(),
            time_index_full: self.time_index.is_full(),
        }
    }

    /// Appends `bytes`, the batches described by `metas` back to back with offsets already
    /// assigned, at the end of the file and updates the indexes. On a write error the file is
    /// cut back to its previous size so no partial batch stays behind.
    pub fn append(&mut self, bytes: &[u8], metas: &[BatchMeta]) -> Result<()> {
        let start = self.size;
        if let Err(e) = self.log.write_all_at(bytes, start) {
            let _ = self.log.set_len(start);
            return Err(LogError::io("append to", &self.log_path, e));
        }
        self.size = start + bytes.len() as u64;
        let mut position = start;
        for m in metas {
            self.index_batch(&BatchPosition {
                base_offset: m.base_offset,
                last_offset: m.last_offset,
                position,
                size: m.size,
                max_timestamp: m.max_timestamp,
                partition_leader_epoch: m.partition_leader_epoch,
            })?;
            position += u64::from(m.size);
        }
        Ok(())
    }

    /// Position of the batch holding `offset` or the first batch after it, scanning headers from
    /// the offset index's floor entry. Calls `visit` for every batch from there on until it
    /// returns false.
    fn scan_from(
        &self,
        offset: i64,
        mut visit: impl FnMut(&BatchPosition) -> Result<bool>,
    ) -> Result<()> {
        let mut position = self
            .offset_index
            .floor_by(offset, |e| e.offset)
            .and_then(|e| u64::try_from(e.position).ok())
            .unwrap_or(0);
        while let Some(b) = self.read_header(position)? {
            position += u64::from(b.size);
            if b.last_offset < offset {
                continue;
            }
            if !visit(&b)? {
                break;
            }
        }
        Ok(())
    }

    /// Reads whole batches from the one holding `start_offset` on: at most `max_bytes`
    /// (but the first batch even if larger when `min_one_batch`), and only batches entirely
    /// below `max_offset` when given (the high watermark). `None` when the segment holds no
    /// batch with an offset `>= start_offset`; otherwise the range (empty when a limit stopped
    /// the first batch).
    pub fn read(
        &self,
        start_offset: i64,
        max_bytes: u64,
        max_offset: Option<i64>,
        min_one_batch: bool,
    ) -> Result<Option<SegmentRead>> {
        let mut batches: Vec<BatchPosition> = Vec::new();
        let mut found = false;
        let mut total = 0u64;
        self.scan_from(start_offset, |b| {
            found = true;
            if max_offset.is_some_and(|m| b.last_offset >= m) {
                return Ok(false);
            }
            let fits = total + u64::from(b.size) <= max_bytes;
            let first_anyway = batches.is_empty() && min_one_batch;
            if !(fits || first_anyway) {
                return Ok(false);
            }
            total += u64::from(b.size);
            batches.push(*b);
            Ok(true)
        })?;
        if !found {
            return Ok(None);
        }
        let position = batches.first().map_or(0, |b| b.position);
        Ok(Some(SegmentRead {
            range: FileRange {
                file: Arc::clone(&self.log),
                position,
                length: total,
            },
            batches,
        }))
    }

    /// The first record at or after `start_offset` whose timestamp is `>= timestamp`:
    /// `(offset, record timestamp)`, or `None` when this segment has none. Starts from the
    /// time index and reads the records of the one batch that matters.
    pub fn find_offset_by_timestamp(
        &self,
        timestamp: i64,
        start_offset: i64,
    ) -> Result<Option<(i64, i64)>> {
        if self.max_timestamp < timestamp {
            return Ok(None);
        }
        let from = self
            .time_index
            .floor_by(timestamp, |e| e.timestamp)
            .map_or(self.base_offset, |e| e.offset)
            .max(start_offset);
        let mut answer = None;
        self.scan_from(from, |b| {
            if b.max_timestamp < timestamp {
                return Ok(true);
            }
            let mut buf = vec![0u8; b.size as usize];
            self.log
                .read_exact_at(&mut buf, b.position)
                .map_err(io_err("read segment", &self.log_path))?;
            let parsed = RecordBatch::parse(Bytes::from(buf))
                .and_then(|rb| rb.records(crate::protocol::records::DEFAULT_DECOMPRESSION_LIMIT));
            // A batch that cannot be read is skipped: recovery has CRC-checked it, so this is
            // only an unreadable compressed body, which a fetch would report to the client.
            if let Ok(records) = parsed {
                for r in records.flatten() {
                    if r.timestamp >= timestamp && r.offset >= start_offset {
                        answer = Some((r.offset, r.timestamp));
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        })?;
        Ok(answer)
    }

    /// Removes every batch holding an offset `>= offset` (the batch holding `offset` goes
    /// whole). Returns the bytes removed.
    pub fn truncate_to(&mut self, offset: i64) -> Result<u64> {
        if offset >= self.next_offset {
            return Ok(0);
        }
        let mut cut = None;
        self.scan_from(offset, |b| {
            cut = Some(b.position);
            Ok(false)
        })?;
        let Some(position) = cut else {
            return Ok(0);
        };
        let removed = self.size - position;
        self.log
            .set_len(position)
            .map_err(io_err("truncate segment", &self.log_path))?;
        self.size = position;
        self.offset_index.truncate_from_offset(offset)?;
        self.time_index.truncate_from_offset(offset)?;
        self.max_timestamp = -1;
        self.offset_of_max_timestamp = self.base_offset;
        if !self.load_tail()? {
            self.recover(&mut |_| {})?;
        }
        if self.size == 0 {
            self.rolling_timestamp = None;
        }
        Ok(removed)
    }

    /// Every batch of the segment, in order (header scan).
    pub fn batch_positions(&self) -> Result<Vec<BatchPosition>> {
        let mut out = Vec::new();
        let mut position = 0;
        while let Some(b) = self.read_header(position)? {
            position += u64::from(b.size);
            out.push(b);
        }
        Ok(out)
    }

    /// The bytes of one batch found by [`Segment::batch_positions`] or a read.
    pub fn read_batch(&self, b: &BatchPosition) -> Result<Bytes> {
        let mut buf = vec![0u8; b.size as usize];
        self.log
            .read_exact_at(&mut buf, b.position)
            .map_err(io_err("read segment", &self.log_path))?;
        Ok(Bytes::from(buf))
    }

    /// fsyncs the log and both indexes.
    pub fn flush(&self) -> Result<()> {
        self.log
            .sync_data()
            .map_err(io_err("fsync", &self.log_path))?;
        self.offset_index.flush()?;
        self.time_index.flush()
    }

    /// The segment stops being the active one (roll, close): a last time index entry for the
    /// largest timestamp, and both indexes trimmed to their entries.
    pub fn seal(&mut self) -> Result<()> {
        self.append_time_entry()?;
        self.offset_index.trim()?;
        self.time_index.trim()
    }

    /// What retention looks at.
    pub fn summary(&self) -> SegmentSummary {
        let largest_timestamp = if self.max_timestamp >= 0 {
            self.max_timestamp
        } else {
            self.log
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        };
        SegmentSummary {
            base_offset: self.base_offset,
            next_offset: self.next_offset,
            size_bytes: self.size,
            largest_timestamp,
        }
    }

    /// Renames the segment's files to `<name>.deleted` (Kafka's asynchronous delete) and
    /// returns the new paths, to be removed after `file.delete.delay.ms`.
    pub fn rename_to_deleted(self) -> Result<Vec<PathBuf>> {
        let paths = [
            self.log_path.clone(),
            self.offset_index.path().to_path_buf(),
            self.time_index.path().to_path_buf(),
        ];
        drop(self);
        let mut renamed = Vec::with_capacity(paths.len());
        for p in paths {
            let mut name = p.clone().into_os_string();
            name.push(super::DELETED_SUFFIX);
            let to = PathBuf::from(name);
            match std::fs::rename(&p, &to) {
                Ok(()) => renamed.push(to),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(LogError::io("rename for deletion", &p, e)),
            }
        }
        Ok(renamed)
    }
}
