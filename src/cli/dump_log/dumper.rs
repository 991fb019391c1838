//! The dump itself: walks each file of `--files` by its kind, emits [`Event`]s on `out` and
//! reports problems on `err`, then prints Kafka's end-of-run summaries (index mismatches, time
//! index errors, non-consecutive offsets). Problems never stop the run: a corrupt batch, an
//! unreadable file or an index that disagrees with its log is reported with the file, the
//! position and the reason, counted, and the dump goes on with what can still be read.

use std::io::{self, Write};
use std::path::Path;

use bytes::Bytes;

use super::decode::Decoder;
use super::output::{
    BatchLine, ControlInfo, Decoded, Event, LegacyCheck, OutputFormat, ProducerBatch, ProducerLine,
    RecordData, RecordLine, RecordMeta, V2Fields,
};
use super::reader::{Next, SegmentReader};
use crate::log::files::{self, SegmentFileKind};
use crate::log::index::{self, IndexError, OffsetIndex};
use crate::log::producer_snapshot;
use crate::protocol::records::batch::NO_SEQUENCE;
use crate::protocol::records::{
    Batch, Batches, Compression, ControlType, DEFAULT_DECOMPRESSION_LIMIT, EndTxnMarker,
    LegacyMessage, RecordBatch, RecordsError, TimestampType, compression,
};

/// Kafka's `RecordBatch.NO_TIMESTAMP`.
const NO_TIMESTAMP: i64 = -1;

/// Everything the dump needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The files as given (shown as given in `Dumping <file>`).
    pub files: Vec<String>,
    pub print_data: bool,
    pub deep_iteration: bool,
    pub verify_index_only: bool,
    pub index_sanity_check: bool,
    /// Bytes a batch may take when verifying an offset index entry.
    pub max_message_size: u64,
    /// Bytes of each `.log` file read; `i32::MAX` (Kafka's default) means the whole file.
    pub max_bytes: u64,
    pub key_decoder: Decoder,
    pub value_decoder: Decoder,
    pub skip_record_metadata: bool,
    pub format: OutputFormat,
}

/// `--max-bytes` value meaning "the whole file", under which trailing bytes are reported.
pub const MAX_BYTES_DEFAULT: u64 = i32::MAX as u64;

/// Runs the dump. Returns the number of problems found; fails only when `out` fails.
pub fn dump(settings: &Settings, out: &mut impl Write, err: &mut impl Write) -> io::Result<usize> {
    let mut d = Dumper {
        s: settings,
        out,
        err,
        problems: 0,
        index_mismatches: Vec::new(),
        time_mismatches: Vec::new(),
        time_out_of_order: Vec::new(),
        time_not_found: Vec::new(),
        non_consecutive: Vec::new(),
    };
    for file in &settings.files {
        d.file(file)?;
    }
    d.summaries()?;
    Ok(d.problems)
}

/// Pairs of numbers found in one file, for the end-of-run summaries.
type Found = (String, Vec<(i64, i64)>);

struct Dumper<'a, W: Write, E: Write> {
    s: &'a Settings,
    out: &'a mut W,
    err: &'a mut E,
    problems: usize,
    index_mismatches: Vec<Found>,
    time_mismatches: Vec<Found>,
    time_out_of_order: Vec<Found>,
    time_not_found: Vec<Found>,
    non_consecutive: Vec<Found>,
}

/// A record of a magic 0/1 message set: an uncompressed top-level message or one of the
/// messages inside a compressed wrapper, with its absolute offset and effective timestamp.
struct LegacyRecord {
    offset: i64,
    timestamp: i64,
    message: LegacyMessage,
}

fn absolute_path(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

fn timestamp_type_name(t: TimestampType) -> &'static str {
    match t {
        TimestampType::CreateTime => "CreateTime",
        TimestampType::LogAppendTime => "LogAppendTime",
    }
}

fn legacy_timestamp_type_name(m: &LegacyMessage) -> &'static str {
    if m.magic() == 0 {
        "NoTimestampType"
    } else {
        timestamp_type_name(m.timestamp_type())
    }
}

fn codec_name(c: Result<Compression, RecordsError>, attributes: i16) -> String {
    match c {
        Ok(c) => c.name().to_string(),
        Err(_) => format!("unknown({})", attributes & 0x07),
    }
}

/// A batch's last sequence: Kafka's `DefaultRecordBatch.incrementSequence` (with Java's
/// wrapping int arithmetic, so sequences wrap from int32 max to 0), none without a base.
fn increment_sequence(base: i32, increment: i32) -> i32 {
    if base == NO_SEQUENCE {
        return NO_SEQUENCE;
    }
    if base > i32::MAX.wrapping_sub(increment) {
        increment
            .wrapping_sub(i32::MAX.wrapping_sub(base))
            .wrapping_sub(1)
    } else {
        base.wrapping_add(increment)
    }
}

/// A record's sequence: Kafka gives one only when the batch's base sequence is not negative.
fn record_sequence(base: i32, offset_delta: i32) -> i32 {
    if base < 0 {
        NO_SEQUENCE
    } else {
        increment_sequence(base, offset_delta)
    }
}

/// Kafka's names of control record types.
fn control_type_name(id: i16) -> &'static str {
    match id {
        0 => "ABORT",
        1 => "COMMIT",
        2 => "LEADER_CHANGE",
        3 => "SNAPSHOT_HEADER",
        4 => "SNAPSHOT_FOOTER",
        5 => "KRAFT_VERSION",
        6 => "KRAFT_VOTERS",
        _ => "UNKNOWN",
    }
}

fn size_of(b: &Option<Bytes>) -> i64 {
    b.as_ref().map_or(-1, |b| b.len() as i64)
}

/// The records of a magic 0/1 message: itself when uncompressed, else the messages inside its
/// compressed value, with offsets made absolute (magic 1 stores them relative to the wrapper)
/// and the wrapper's timestamp applied under LogAppendTime.
fn legacy_records(m: &LegacyMessage) -> Result<Vec<LegacyRecord>, RecordsError> {
    let codec = m.compression()?;
    let own_timestamp = |msg: &LegacyMessage| msg.timestamp().unwrap_or(NO_TIMESTAMP);
    if codec == Compression::None {
        return Ok(vec![LegacyRecord {
            offset: m.offset(),
            timestamp: own_timestamp(m),
            message: m.clone(),
        }]);
    }
    let (_, value) = m.key_value()?;
    let value = value.unwrap_or_default();
    let inner = compression::decompress(codec, &value, DEFAULT_DECOMPRESSION_LIMIT)
        .map_err(|source| RecordsError::Compression { codec, source })?;
    let mut messages = Vec::new();
    let mut walk = Batches::new(Bytes::from(inner));
    for entry in walk.by_ref() {
        match entry? {
            Batch::Legacy(inner) => messages.push(inner),
            Batch::V2(_) => return Err(RecordsError::BadMagic { magic: 2 }),
        }
    }
    if walk.remaining() != 0 {
        return Err(RecordsError::TrailingBytes {
            declared: i32::try_from(messages.len()).unwrap_or(i32::MAX),
            trailing: walk.remaining(),
        });
    }
    let log_append_time = m.magic() == 1 && m.timestamp_type() == TimestampType::LogAppendTime;
    let last_relative = messages.last().map_or(0, LegacyMessage::offset);
    Ok(messages
        .into_iter()
        .map(|inner| LegacyRecord {
            offset: if m.magic() > 0 {
                m.offset()
                    .wrapping_sub(last_relative)
                    .wrapping_add(inner.offset())
            } else {
                inner.offset()
            },
            timestamp: if log_append_time {
                own_timestamp(m)
            } else {
                own_timestamp(&inner)
            },
            message: inner,
        })
        .collect())
}

/// The largest record timestamp of a batch (what a time index entry should hold for it).
fn max_record_timestamp(batch: &Batch) -> Result<i64, RecordsError> {
    let mut max = NO_TIMESTAMP;
    match batch {
        Batch::V2(b) => {
            for r in b.records(DEFAULT_DECOMPRESSION_LIMIT)? {
                max = max.max(r?.timestamp);
            }
        }
        Batch::Legacy(m) => {
            for r in legacy_records(m)? {
                max = max.max(r.timestamp);
            }
        }
    }
    Ok(max)
}

impl<W: Write, E: Write> Dumper<'_, W, E> {
    fn emit(&mut self, event: Event<'_>) -> io::Result<()> {
        event.write(self.s.format, self.out)
    }

    /// Reports a problem on stderr and counts it.
    fn problem(&mut self, message: impl std::fmt::Display) {
        self.problems += 1;
        self.note(message);
    }

    /// Writes a line on stderr after what stdout has so far, so the two read in order.
    fn note(&mut self, message: impl std::fmt::Display) {
        let _ = self.out.flush();
        let _ = writeln!(self.err, "{message}");
    }

    fn file(&mut self, file: &str) -> io::Result<()> {
        self.emit(Event::File { file })?;
        let path = Path::new(file);
        match SegmentFileKind::from_path(path) {
            Some(SegmentFileKind::Log) => self.log(path, file),
            Some(SegmentFileKind::Index) => self.offset_index(path, file),
            Some(SegmentFileKind::TimeIndex) => self.time_index(path, file),
            Some(SegmentFileKind::TxnIndex) => self.txn_index(path, file),
            Some(SegmentFileKind::ProducerSnapshot) => self.producer_snapshot(path, file),
            None => {
                self.note(format!("Ignoring unknown file {file}"));
                Ok(())
            }
        }
    }

    fn base_offset(&mut self, path: &Path, file: &str) -> Option<i64> {
        match files::base_offset_from_path(path) {
            Ok(offset) => Some(offset),
            Err(e) => {
                self.problem(format!("{file}: {e}"));
                None
            }
        }
    }

    // ---- .log -------------------------------------------------------------------------

    fn log(&mut self, path: &Path, file: &str) -> io::Result<()> {
        if let Some(base_offset) = self.base_offset(path, file) {
            self.emit(Event::LogStart { base_offset })?;
        }
        let mut reader = match SegmentReader::open(path, self.s.max_bytes) {
            Ok(r) => r,
            Err(e) => {
                self.problem(format!("{file}: cannot read: {e}"));
                return Ok(());
            }
        };
        let mut last_offset: Option<i64> = None;
        let mut non_consecutive = Vec::new();
        let mut stopped = false;
        loop {
            match reader.next_batch() {
                Ok(Next::Batch { position, bytes }) => {
                    self.batch(
                        file,
                        position,
                        bytes,
                        &mut last_offset,
                        &mut non_consecutive,
                    )?;
                }
                Ok(Next::End) => break,
                Ok(Next::Corrupt { position, size }) => {
                    self.problem(format!(
                        "{file}: position {position}: batch size {size} is smaller than the \
                         minimum record overhead (14); the {} bytes from here on cannot be read",
                        reader.len().saturating_sub(position)
                    ));
                    stopped = true;
                    break;
                }
                Err(e) => {
                    self.problem(format!(
                        "{file}: read error at position {}: {e}",
                        reader.position()
                    ));
                    stopped = true;
                    break;
                }
            }
        }
        let valid = reader.position();
        let trailing = reader.len().saturating_sub(valid);
        if !stopped && trailing > 0 && self.s.max_bytes == MAX_BYTES_DEFAULT {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.to_string());
            self.emit(Event::InvalidBytes {
                bytes: trailing,
                file: &name,
            })?;
            self.problem(format!(
                "{file}: position {valid}: the last {trailing} bytes are not a whole batch \
                 (truncated or corrupt)"
            ));
        }
        if !non_consecutive.is_empty() {
            self.non_consecutive
                .push((absolute_path(path), non_consecutive));
        }
        Ok(())
    }

    fn batch(
        &mut self,
        file: &str,
        position: u64,
        bytes: Bytes,
        last_offset: &mut Option<i64>,
        non_consecutive: &mut Vec<(i64, i64)>,
    ) -> io::Result<()> {
        match Batches::new(bytes).next() {
            Some(Ok(Batch::V2(b))) => {
                self.v2_batch(file, position, &b, last_offset, non_consecutive)
            }
            Some(Ok(Batch::Legacy(m))) => {
                self.legacy_batch(file, position, &m, last_offset, non_consecutive)
            }
            Some(Err(e)) => {
                self.problem(format!("{file}: batch at position {position}: {e}"));
                Ok(())
            }
            None => {
                self.problem(format!(
                    "{file}: batch at position {position} is incomplete"
                ));
                Ok(())
            }
        }
    }

    fn track_offset(
        last_offset: &mut Option<i64>,
        non_consecutive: &mut Vec<(i64, i64)>,
        offset: i64,
    ) {
        if let Some(last) = *last_offset {
            if offset != last.wrapping_add(1) {
                non_consecutive.push((last, offset));
            }
        }
        *last_offset = Some(offset);
    }

    fn data(
        &mut self,
        file: &str,
        offset: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> RecordData {
        let (key_decoder, value_decoder) = (self.s.key_decoder, self.s.value_decoder);
        let mut decode = |what: &str, decoder: Decoder, bytes: Option<&[u8]>| {
            let bytes = bytes?;
            Some(match decoder.decode(bytes) {
                Ok(d) => d,
                Err(reason) => {
                    self.problem(format!(
                        "{file}: offset {offset}: cannot decode the {what}: {reason}"
                    ));
                    Decoded::Text(format!("<undecodable: {reason}>"))
                }
            })
        };
        let key = decode("key", key_decoder, key);
        let payload = decode("value", value_decoder, value);
        RecordData { key, payload }
    }

    fn v2_batch(
        &mut self,
        file: &str,
        position: u64,
        b: &RecordBatch,
        last_offset: &mut Option<i64>,
        non_consecutive: &mut Vec<(i64, i64)>,
    ) -> io::Result<()> {
        let crc_ok = b.crc() == b.compute_crc();
        let attributes = b.attributes();
        let line = BatchLine {
            position,
            v2: Some(V2Fields {
                base_offset: b.base_offset(),
                count: b.record_count(),
                base_sequence: b.base_sequence(),
                last_sequence: increment_sequence(b.base_sequence(), b.last_offset_delta()),
                producer_id: b.producer_id(),
                producer_epoch: b.producer_epoch(),
                partition_leader_epoch: b.partition_leader_epoch(),
                is_transactional: b.is_transactional(),
                is_control: b.is_control(),
                delete_horizon_ms: attributes.has_delete_horizon().then(|| b.base_timestamp()),
            }),
            last_offset: b.last_offset(),
            timestamp_type: timestamp_type_name(b.timestamp_type()),
            max_timestamp: b.max_timestamp(),
            size: b.size(),
            magic: b.magic(),
            compression: codec_name(b.compression(), attributes.0),
            crc: b.crc(),
            is_valid: crc_ok,
        };
        self.emit(Event::Batch(line))?;
        if let Err(e) = b.validate() {
            self.problem(format!(
                "{file}: batch at position {position} (baseOffset {}) is corrupt: {e}",
                b.base_offset()
            ));
        }
        if !self.s.deep_iteration {
            return Ok(());
        }
        let records = match b.records(DEFAULT_DECOMPRESSION_LIMIT) {
            Ok(r) => r,
            Err(e) => {
                self.problem(format!(
                    "{file}: batch at position {position}: cannot read its records: {e}"
                ));
                return Ok(());
            }
        };
        let timestamp_type = timestamp_type_name(b.timestamp_type());
        for (i, record) in records.enumerate() {
            let r = match record {
                Ok(r) => r,
                Err(e) => {
                    self.problem(format!(
                        "{file}: batch at position {position}: record {i}: {e}"
                    ));
                    break;
                }
            };
            Self::track_offset(last_offset, non_consecutive, r.offset);
            let meta = if self.s.skip_record_metadata {
                None
            } else {
                let control = if b.is_control() {
                    self.control_info(file, &r)
                } else {
                    None
                };
                Some(RecordMeta {
                    timestamp_type,
                    timestamp: r.timestamp,
                    key_size: size_of(&r.key),
                    value_size: size_of(&r.value),
                    sequence: Some(record_sequence(b.base_sequence(), r.offset_delta)),
                    header_keys: Some(
                        r.headers
                            .iter()
                            .map(|h| String::from_utf8_lossy(&h.key).into_owned())
                            .collect(),
                    ),
                    legacy: None,
                    control,
                })
            };
            let data = (self.s.print_data && !b.is_control())
                .then(|| self.data(file, r.offset, r.key.as_deref(), r.value.as_deref()));
            self.emit(Event::Record(RecordLine {
                offset: r.offset,
                meta,
                data,
            }))?;
        }
        Ok(())
    }

    fn control_info(
        &mut self,
        file: &str,
        r: &crate::protocol::records::Record,
    ) -> Option<ControlInfo> {
        let key = match r.control_key() {
            Ok(k) => k,
            Err(e) => {
                self.problem(format!("{file}: offset {}: {e}", r.offset));
                return None;
            }
        };
        match key.control_type {
            ControlType::Abort | ControlType::Commit => {
                let marker = r
                    .value
                    .as_deref()
                    .ok_or(RecordsError::BadControlRecord {
                        reason: "transaction marker without a value",
                    })
                    .and_then(EndTxnMarker::parse);
                match marker {
                    Ok(m) => Some(ControlInfo::EndTxnMarker {
                        control_type: control_type_name(key.control_type.id()),
                        coordinator_epoch: m.coordinator_epoch,
                    }),
                    Err(e) => {
                        self.problem(format!("{file}: offset {}: {e}", r.offset));
                        None
                    }
                }
            }
            ControlType::Other(id) => Some(ControlInfo::Other {
                name: control_type_name(id),
                id,
            }),
        }
    }

    fn legacy_batch(
        &mut self,
        file: &str,
        position: u64,
        m: &LegacyMessage,
        last_offset: &mut Option<i64>,
        non_consecutive: &mut Vec<(i64, i64)>,
    ) -> io::Result<()> {
        let crc_ok = m.crc() == m.compute_crc();
        let timestamp_type = legacy_timestamp_type_name(m);
        self.emit(Event::Batch(BatchLine {
            position,
            v2: None,
            last_offset: m.offset(),
            timestamp_type,
            max_timestamp: m.timestamp().unwrap_or(NO_TIMESTAMP),
            size: m.size(),
            magic: m.magic(),
            compression: codec_name(m.compression(), i16::from(m.attributes())),
            crc: m.crc(),
            is_valid: crc_ok,
        }))?;
        if let Err(e) = m.validate() {
            self.problem(format!(
                "{file}: message at position {position} (offset {}) is corrupt: {e}",
                m.offset()
            ));
        }
        if !self.s.deep_iteration {
            return Ok(());
        }
        let records = match legacy_records(m) {
            Ok(r) => r,
            Err(e) => {
                self.problem(format!(
                    "{file}: message at position {position}: cannot read its records: {e}"
                ));
                return Ok(());
            }
        };
        for r in records {
            Self::track_offset(last_offset, non_consecutive, r.offset);
            let (key, value) = match r.message.key_value() {
                Ok(kv) => kv,
                Err(e) => {
                    self.problem(format!("{file}: offset {}: {e}", r.offset));
                    (None, None)
                }
            };
            let meta = (!self.s.skip_record_metadata).then(|| RecordMeta {
                timestamp_type,
                timestamp: r.timestamp,
                key_size: size_of(&key),
                value_size: size_of(&value),
                sequence: None,
                header_keys: None,
                legacy: Some(LegacyCheck {
                    is_valid: r.message.crc() == r.message.compute_crc(),
                    crc: r.message.crc(),
                }),
                control: None,
            });
            let data = self
                .s
                .print_data
                .then(|| self.data(file, r.offset, key.as_deref(), value.as_deref()));
            self.emit(Event::Record(RecordLine {
                offset: r.offset,
                meta,
                data,
            }))?;
        }
        Ok(())
    }

    // ---- .index -----------------------------------------------------------------------

    fn offset_index(&mut self, path: &Path, file: &str) -> io::Result<()> {
        let Some(base) = self.base_offset(path, file) else {
            return Ok(());
        };
        let idx = match index::read_offset_index(path, base) {
            Ok(i) => i,
            Err(e) => {
                self.problem(format!("{file}: {e}"));
                return Ok(());
            }
        };
        if idx.slots().is_empty() {
            return self.emit(Event::Empty { file });
        }
        if self.s.index_sanity_check {
            return match idx.sanity_check() {
                Ok(()) => self.emit(Event::SanityCheckPassed { file }),
                Err(e) => {
                    self.problem(format!("{file}: {e}"));
                    Ok(())
                }
            };
        }
        let mut log = self.open_log_of(path, file);
        let mut mismatches = Vec::new();
        for entry in idx.entries() {
            if let Some(reader) = log.as_mut() {
                let found = u64::try_from(entry.position)
                    .map_err(|_| io::Error::other("negative position"))
                    .and_then(|p| reader.first_batch_last_offset(p, self.s.max_message_size));
                match found {
                    Ok(Some(last)) if last != entry.offset => {
                        mismatches.push((entry.offset, last));
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => self.problem(format!(
                        "{file}: index offset {}: no whole batch within {} bytes at log \
                         position {}",
                        entry.offset, self.s.max_message_size, entry.position
                    )),
                    Err(e) => self.problem(format!(
                        "{file}: index offset {}: cannot read the log at position {}: {e}",
                        entry.offset, entry.position
                    )),
                }
            }
            if !self.s.verify_index_only {
                self.emit(Event::IndexEntry {
                    offset: entry.offset,
                    position: entry.position,
                })?;
            }
        }
        if !mismatches.is_empty() {
            self.problems += mismatches.len();
            self.index_mismatches
                .push((absolute_path(path), mismatches));
        }
        Ok(())
    }

    /// Opens the `.log` beside an index, reporting (once) when it cannot be used.
    fn open_log_of(&mut self, path: &Path, file: &str) -> Option<SegmentReader> {
        let log = files::sibling(path, SegmentFileKind::Log)?;
        match SegmentReader::open(&log, u64::MAX) {
            Ok(r) => Some(r),
            Err(e) => {
                self.problem(format!(
                    "{file}: cannot check the index against {}: {e}",
                    log.display()
                ));
                None
            }
        }
    }

    // ---- .timeindex -------------------------------------------------------------------

    fn time_index(&mut self, path: &Path, file: &str) -> io::Result<()> {
        let Some(base) = self.base_offset(path, file) else {
            return Ok(());
        };
        let tidx = match index::read_time_index(path, base) {
            Ok(i) => i,
            Err(e) => {
                self.problem(format!("{file}: {e}"));
                return Ok(());
            }
        };
        if self.s.index_sanity_check {
            return match tidx.sanity_check() {
                Ok(()) => self.emit(Event::SanityCheckPassed { file }),
                Err(e) => {
                    self.problem(format!("{file}: {e}"));
                    Ok(())
                }
            };
        }
        // The offset index only speeds up finding a batch; without one, scan from the start.
        let offsets = match files::sibling(path, SegmentFileKind::Index)
            .map(|p| index::read_offset_index(&p, base))
        {
            Some(Ok(i)) => i,
            None => OffsetIndex::empty(base),
            Some(Err(IndexError::Io(e))) if e.kind() == io::ErrorKind::NotFound => {
                OffsetIndex::empty(base)
            }
            Some(Err(e)) => {
                self.problem(format!(
                    "{file}: cannot use the offset index beside it: {e}"
                ));
                OffsetIndex::empty(base)
            }
        };
        let mut log = self.open_log_of(path, file);
        let mut mismatches = Vec::new();
        let mut out_of_order = Vec::new();
        let mut not_found = Vec::new();
        let mut previous = NO_TIMESTAMP;
        for entry in tidx.entries() {
            if let Some(reader) = log.as_mut() {
                let start = u64::try_from(offsets.lookup(entry.offset).position).unwrap_or(0);
                match self.find_batch(reader, start, entry.offset) {
                    Ok(None) => not_found.push((entry.offset, -1)),
                    Ok(Some(b)) if b.last_offset() != entry.offset => {
                        not_found.push((entry.offset, b.last_offset()));
                    }
                    Ok(Some(b)) => {
                        match max_record_timestamp(&b) {
                            Ok(max) if max != entry.timestamp => {
                                mismatches.push((entry.timestamp, max));
                            }
                            Ok(_) => {}
                            Err(e) => self.problem(format!(
                                "{file}: index offset {}: cannot read the batch's records: {e}",
                                entry.offset
                            )),
                        }
                        if previous >= entry.timestamp {
                            out_of_order.push((entry.timestamp, previous));
                        }
                    }
                    Err(e) => self.problem(format!(
                        "{file}: index offset {}: cannot read the log: {e}",
                        entry.offset
                    )),
                }
            }
            if !self.s.verify_index_only {
                self.emit(Event::TimeIndexEntry {
                    timestamp: entry.timestamp,
                    offset: entry.offset,
                })?;
            }
            previous = entry.timestamp;
        }
        let abs = absolute_path(path);
        for (list, found) in [
            (&mut self.time_mismatches, mismatches),
            (&mut self.time_out_of_order, out_of_order),
            (&mut self.time_not_found, not_found),
        ] {
            if !found.is_empty() {
                self.problems += found.len();
                list.push((abs.clone(), found));
            }
        }
        Ok(())
    }

    /// The first batch from `start` whose last offset is at least `target`.
    fn find_batch(
        &mut self,
        reader: &mut SegmentReader,
        start: u64,
        target: i64,
    ) -> io::Result<Option<Batch>> {
        reader.reset(start, u64::MAX)?;
        loop {
            match reader.next_batch()? {
                Next::Batch { bytes, .. } => match Batches::new(bytes).next() {
                    Some(Ok(b)) if b.last_offset() >= target => return Ok(Some(b)),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return Ok(None),
                },
                Next::End | Next::Corrupt { .. } => return Ok(None),
            }
        }
    }

    // ---- .txnindex --------------------------------------------------------------------

    fn txn_index(&mut self, path: &Path, file: &str) -> io::Result<()> {
        let entries = match crate::log::txn_index::read(path) {
            Ok(e) => e,
            Err(e) => {
                self.problem(format!("{file}: {e}"));
                return Ok(());
            }
        };
        for t in entries.entries {
            self.emit(Event::AbortedTxn {
                version: t.version,
                producer_id: t.producer_id,
                first_offset: t.first_offset,
                last_offset: t.last_offset,
                last_stable_offset: t.last_stable_offset,
            })?;
        }
        if let Some(problem) = entries.problem {
            self.problem(format!("{file}: {problem}"));
        }
        Ok(())
    }

    // ---- .snapshot --------------------------------------------------------------------

    fn producer_snapshot(&mut self, path: &Path, file: &str) -> io::Result<()> {
        let entries = match producer_snapshot::read(path) {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => {
                self.problem(format!("{file}: {e}"));
                return Ok(());
            }
            Err(e) => {
                self.problem(format!("{file}: cannot read: {e}"));
                return Ok(());
            }
        };
        for p in entries {
            self.emit(Event::ProducerState(ProducerLine {
                producer_id: p.producer_id,
                producer_epoch: p.producer_epoch,
                coordinator_epoch: p.coordinator_epoch,
                current_txn_first_offset: p.current_txn_first_offset,
                last_timestamp: p.last_timestamp,
                last_batch: p.last_batch.map(|b| ProducerBatch {
                    first_sequence: b.first_sequence(),
                    last_sequence: b.last_sequence,
                    last_offset: b.last_offset,
                    offset_delta: b.offset_delta,
                    timestamp: b.timestamp,
                }),
            }))?;
        }
        Ok(())
    }

    // ---- summaries --------------------------------------------------------------------

    /// Kafka's end-of-run reports on stderr.
    fn summaries(&mut self) -> io::Result<()> {
        self.out.flush()?;
        let e = &mut *self.err;
        for (file, list) in &self.index_mismatches {
            let _ = writeln!(e, "Mismatches in :{file}");
            for (index_offset, log_offset) in list {
                let _ = writeln!(
                    e,
                    "  Index offset: {index_offset}, log offset: {log_offset}"
                );
            }
        }
        for (file, list) in &self.time_mismatches {
            let _ = writeln!(e, "Found timestamp mismatch in :{file}");
            for (index_ts, log_ts) in list {
                let _ = writeln!(e, "  Index timestamp: {index_ts}, log timestamp: {log_ts}");
            }
        }
        for (file, list) in &self.time_out_of_order {
            let _ = writeln!(e, "Found out of order timestamp in :{file}");
            for (index_ts, previous) in list {
                let _ = writeln!(
                    e,
                    "  Index timestamp: {index_ts}, Previously indexed timestamp: {previous}"
                );
            }
        }
        for (_, list) in &self.time_not_found {
            let _ = writeln!(e, "The following indexed offsets are not found in the log.");
            for (indexed, found) in list {
                let _ = writeln!(e, "Indexed offset: {indexed}, found log offset: {found}");
            }
        }
        for (file, list) in &self.non_consecutive {
            let _ = writeln!(e, "Non-consecutive offsets in {file}");
            for (first, second) in list {
                let _ = writeln!(e, "  {first} is followed by {second}");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(files: Vec<String>) -> Settings {
        Settings {
            files,
            print_data: true,
            deep_iteration: true,
            verify_index_only: false,
            index_sanity_check: false,
            max_message_size: 5 << 20,
            max_bytes: MAX_BYTES_DEFAULT,
            key_decoder: Decoder::String,
            value_decoder: Decoder::String,
            skip_record_metadata: false,
            format: OutputFormat::Text,
        }
    }

    fn segment(dir: &Path) -> String {
        let mut b = crate::protocol::records::BatchBuilder::new(Compression::Zstd).base_offset(3);
        b.append(7, Some(b"k"), Some(b"v"), &[("h", None)]).unwrap();
        let path = dir.join("00000000000000000003.log");
        std::fs::write(&path, b.build().unwrap()).unwrap();
        path.display().to_string()
    }

    #[test]
    fn output_is_captured_by_the_writers() {
        let dir = tempfile::tempdir().unwrap();
        let file = segment(dir.path());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let problems = dump(&settings(vec![file.clone()]), &mut out, &mut err).unwrap();
        assert_eq!(problems, 0);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("Dumping {file}"));
        assert_eq!(lines[1], "Log starting offset: 3");
        assert!(lines[2].contains(" compresscodec: zstd "), "{}", lines[2]);
        assert_eq!(
            lines[3],
            "| offset: 3 CreateTime: 7 keySize: 1 valueSize: 1 sequence: -1 headerKeys: [h] \
             key: k payload: v"
        );
        assert!(err.is_empty());
    }

    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_stdout_stops_the_dump_with_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = segment(dir.path());
        let mut err = Vec::new();
        let e = dump(&settings(vec![file]), &mut ClosedPipe, &mut err).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let e = crate::error::Error::Output(e);
        assert_eq!(e.exit_code(), crate::error::exit::OK);
    }

    #[test]
    fn sequences_wrap_like_kafka() {
        assert_eq!(increment_sequence(5, 3), 8);
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(increment_sequence(NO_SEQUENCE, 3), NO_SEQUENCE);
        assert_eq!(record_sequence(-5, 2), NO_SEQUENCE);
        assert_eq!(record_sequence(0, 2), 2);
    }

    /// Bit flips, byte overwrites and truncations of a valid segment (every codec, a control
    /// batch, a legacy message) and of its indexes never panic the dump, whatever they break.
    #[test]
    fn mutated_segments_never_panic() {
        use crate::log::index::{OffsetPosition, encode_offset_index};
        let mut log = Vec::new();
        let mut entries = Vec::new();
        for (i, codec) in Compression::ALL.into_iter().enumerate() {
            let base = 10 * i as i64;
            let mut b = crate::protocol::records::BatchBuilder::new(codec)
                .base_offset(base)
                .producer(1, 0, 0);
            for j in 0..3 {
                b.append(j, Some(b"key"), Some(b"value"), &[("h", Some(b"x"))])
                    .unwrap();
            }
            entries.push(OffsetPosition {
                offset: base + 2,
                position: log.len() as i32,
            });
            log.extend_from_slice(&b.build().unwrap());
        }
        let marker =
            crate::protocol::records::end_txn_marker_batch(1, 0, ControlType::Abort, 3, 99)
                .unwrap();
        log.extend_from_slice(&marker);
        let index = encode_offset_index(0, &entries).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let log_path = dir.path().join("00000000000000000000.log");
        let index_path = dir.path().join("00000000000000000000.index");
        let time_path = dir.path().join("00000000000000000000.timeindex");
        let mut s = settings(vec![
            log_path.display().to_string(),
            index_path.display().to_string(),
            time_path.display().to_string(),
        ]);
        s.format = OutputFormat::Json;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..300 {
            let mut l = log.clone();
            let mut idx = index.clone();
            for _ in 0..(1 + next() % 4) {
                let at = (next() as usize) % l.len();
                match next() % 3 {
                    0 => l[at] ^= 1 << (next() % 8),
                    1 => l[at] = next() as u8,
                    _ => {
                        let i = (next() as usize) % idx.len();
                        idx[i] = next() as u8;
                    }
                }
            }
            if round % 5 == 0 {
                let cut = (next() as usize) % l.len();
                l.truncate(cut);
            }
            std::fs::write(&log_path, &l).unwrap();
            std::fs::write(&index_path, &idx).unwrap();
            std::fs::write(&time_path, &l[..l.len().min(36)]).unwrap();
            let (mut out, mut err) = (Vec::new(), Vec::new());
            dump(&s, &mut out, &mut err).unwrap();
        }
    }
}
