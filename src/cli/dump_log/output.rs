//! The lines `dump-log` prints, as data: each [`Event`] renders either as the line Kafka's
//! `kafka-dump-log.sh` prints (scripts parse those, so spelling and order are Kafka's) or as
//! one JSON object per line (`--output json`, tagged by a `type` field).

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

/// How events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Kafka's text lines.
    #[default]
    Text,
    /// One JSON object per line, with a `type` field.
    Json,
}

/// One thing printed on stdout.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event<'a> {
    /// `Dumping <file>`: a file from `--files` starts.
    File { file: &'a str },
    /// `Log starting offset: N`: the base offset from a `.log` file's name.
    LogStart { base_offset: i64 },
    /// A batch (v2) or a top-level message (magic 0/1).
    Batch(BatchLine),
    /// A record inside a batch (deep iteration).
    Record(RecordLine),
    /// `Found N invalid bytes at the end of <name>`: a tail that is not a whole batch.
    InvalidBytes { bytes: u64, file: &'a str },
    /// `offset: N position: P` of a `.index`.
    IndexEntry { offset: i64, position: i32 },
    /// `timestamp: T offset: N` of a `.timeindex`.
    TimeIndexEntry { timestamp: i64, offset: i64 },
    /// An aborted transaction of a `.txnindex`.
    AbortedTxn {
        version: i16,
        producer_id: i64,
        first_offset: i64,
        last_offset: i64,
        last_stable_offset: i64,
    },
    /// A producer of a producer state snapshot (`.snapshot`).
    ProducerState(ProducerLine),
    /// `<file> is empty.`: an index without entries.
    Empty { file: &'a str },
    /// `<file> passed sanity check.`
    SanityCheckPassed { file: &'a str },
}

/// A producer's state from a `.snapshot` file.
#[derive(Debug, Serialize)]
pub struct ProducerLine {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub coordinator_epoch: i32,
    pub current_txn_first_offset: Option<i64>,
    pub last_timestamp: i64,
    /// The producer's last batch, when the snapshot records one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_batch: Option<ProducerBatch>,
}

/// The last batch of a producer.
#[derive(Debug, Serialize)]
pub struct ProducerBatch {
    pub first_sequence: i32,
    pub last_sequence: i32,
    pub last_offset: i64,
    pub offset_delta: i32,
    pub timestamp: i64,
}

/// Java's `OptionalLong.toString()`, which Kafka prints for optional numbers.
fn optional_long(v: Option<i64>) -> String {
    match v {
        Some(n) => format!("OptionalLong[{n}]"),
        None => "OptionalLong.empty".to_string(),
    }
}

/// A batch-level line.
#[derive(Debug, Serialize)]
pub struct BatchLine {
    /// Byte position of the batch in the file.
    pub position: u64,
    /// Fields only magic 2 batches have.
    #[serde(flatten)]
    pub v2: Option<V2Fields>,
    pub last_offset: i64,
    /// `CreateTime`, `LogAppendTime` or (magic 0) `NoTimestampType`.
    pub timestamp_type: &'static str,
    pub max_timestamp: i64,
    /// Bytes, the 12-byte offset + length prefix included.
    pub size: usize,
    pub magic: i8,
    /// Kafka's codec name, or `unknown(<id>)`.
    pub compression: String,
    pub crc: u32,
    /// Whether the stored checksum matches the bytes.
    pub is_valid: bool,
}

/// Header fields of a magic 2 batch.
#[derive(Debug, Serialize)]
pub struct V2Fields {
    pub base_offset: i64,
    pub count: i32,
    pub base_sequence: i32,
    pub last_sequence: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub partition_leader_epoch: i32,
    pub is_transactional: bool,
    pub is_control: bool,
    /// Set when the batch carries a delete horizon (its base timestamp), in ms.
    pub delete_horizon_ms: Option<i64>,
}

/// A record-level line.
#[derive(Debug, Serialize)]
pub struct RecordLine {
    pub offset: i64,
    /// Absent with `--skip-record-metadata`.
    #[serde(flatten)]
    pub meta: Option<RecordMeta>,
    /// Present with `--print-data-log` (not for control records).
    #[serde(flatten)]
    pub data: Option<RecordData>,
}

/// Metadata of a record.
#[derive(Debug, Serialize)]
pub struct RecordMeta {
    /// The batch's timestamp type, which names the timestamp.
    pub timestamp_type: &'static str,
    pub timestamp: i64,
    /// -1 for a null key.
    pub key_size: i64,
    /// -1 for a null value.
    pub value_size: i64,
    /// Magic 2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i32>,
    /// Magic 2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_keys: Option<Vec<String>>,
    /// Magic 0/1 only: each message carries its own checksum.
    #[serde(flatten)]
    pub legacy: Option<LegacyCheck>,
    /// Control batches only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<ControlInfo>,
}

/// The checksum of a magic 0/1 message.
#[derive(Debug, Serialize)]
pub struct LegacyCheck {
    pub is_valid: bool,
    pub crc: u32,
}

/// What a control record says.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ControlInfo {
    /// A transaction marker: `ABORT` or `COMMIT`.
    EndTxnMarker {
        control_type: &'static str,
        coordinator_epoch: i32,
    },
    /// Any other control type, by Kafka's name and id.
    Other { name: &'static str, id: i16 },
}

/// A decoded key and value.
#[derive(Debug, Serialize)]
pub struct RecordData {
    pub key: Option<Decoded>,
    pub payload: Option<Decoded>,
}

/// A key or value turned into something printable by a decoder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Decoded {
    Text(String),
    Number(i64),
}

impl std::fmt::Display for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decoded::Text(s) => f.write_str(s),
            Decoded::Number(n) => write!(f, "{n}"),
        }
    }
}

impl Event<'_> {
    /// Writes the event as one line in `format`.
    pub fn write(&self, format: OutputFormat, out: &mut impl Write) -> io::Result<()> {
        match format {
            OutputFormat::Text => writeln!(out, "{}", self.text()),
            OutputFormat::Json => {
                serde_json::to_writer(&mut *out, self).map_err(io::Error::other)?;
                writeln!(out)
            }
        }
    }

    /// The line Kafka's tool prints for this event (without the newline).
    pub fn text(&self) -> String {
        match self {
            Event::File { file } => format!("Dumping {file}"),
            Event::LogStart { base_offset } => format!("Log starting offset: {base_offset}"),
            Event::Batch(b) => b.text(),
            Event::Record(r) => r.text(),
            Event::InvalidBytes { bytes, file } => {
                format!("Found {bytes} invalid bytes at the end of {file}")
            }
            Event::IndexEntry { offset, position } => {
                format!("offset: {offset} position: {position}")
            }
            Event::TimeIndexEntry { timestamp, offset } => {
                format!("timestamp: {timestamp} offset: {offset}")
            }
            Event::AbortedTxn {
                version,
                producer_id,
                first_offset,
                last_offset,
                last_stable_offset,
            } => format!(
                "version: {version} producerId: {producer_id} firstOffset: {first_offset} \
                 lastOffset: {last_offset} lastStableOffset: {last_stable_offset}"
            ),
            Event::ProducerState(p) => {
                // Kafka ends this part with a space whether or not batch fields follow.
                let mut s = format!(
                    "producerId: {} producerEpoch: {} coordinatorEpoch: {} \
                     currentTxnFirstOffset: {} lastTimestamp: {} ",
                    p.producer_id,
                    p.producer_epoch,
                    p.coordinator_epoch,
                    optional_long(p.current_txn_first_offset),
                    p.last_timestamp
                );
                if let Some(b) = &p.last_batch {
                    let _ = write!(
                        s,
                        "firstSequence: {} lastSequence: {} lastOffset: {} offsetDelta: {} \
                         timestamp: {}",
                        b.first_sequence,
                        b.last_sequence,
                        b.last_offset,
                        b.offset_delta,
                        b.timestamp
                    );
                }
                s
            }
            Event::Empty { file } => format!("{file} is empty."),
            Event::SanityCheckPassed { file } => format!("{file} passed sanity check."),
        }
    }
}

impl BatchLine {
    fn text(&self) -> String {
        let mut s = String::new();
        match &self.v2 {
            Some(v) => {
                let horizon = optional_long(v.delete_horizon_ms);
                let _ = write!(
                    s,
                    "baseOffset: {} lastOffset: {} count: {} baseSequence: {} lastSequence: {} \
                     producerId: {} producerEpoch: {} partitionLeaderEpoch: {} \
                     isTransactional: {} isControl: {} deleteHorizonMs: {horizon}",
                    v.base_offset,
                    self.last_offset,
                    v.count,
                    v.base_sequence,
                    v.last_sequence,
                    v.producer_id,
                    v.producer_epoch,
                    v.partition_leader_epoch,
                    v.is_transactional,
                    v.is_control,
                );
            }
            None => {
                let _ = write!(s, "offset: {}", self.last_offset);
            }
        }
        let _ = write!(
            s,
            " position: {} {}: {} size: {} magic: {} compresscodec: {} crc: {} isvalid: {}",
            self.position,
            self.timestamp_type,
            self.max_timestamp,
            self.size,
            self.magic,
            self.compression,
            self.crc,
            self.is_valid
        );
        s
    }
}

impl RecordLine {
    fn text(&self) -> String {
        let mut s = String::new();
        // Kafka starts a line with "| " and separates later fields with one space.
        let mut prefix = "| ";
        if let Some(m) = &self.meta {
            let _ = write!(
                s,
                "{prefix}offset: {} {}: {} keySize: {} valueSize: {}",
                self.offset, m.timestamp_type, m.timestamp, m.key_size, m.value_size
            );
            prefix = " ";
            if let Some(seq) = m.sequence {
                let keys = m.header_keys.as_deref().unwrap_or_default().join(",");
                let _ = write!(s, " sequence: {seq} headerKeys: [{keys}]");
            }
            if let Some(l) = &m.legacy {
                // The closing brace is in Kafka's output too; kept so scripts see the same text.
                let _ = write!(s, " isValid: {} crc: {}}}", l.is_valid, l.crc);
            }
            match &m.control {
                Some(ControlInfo::EndTxnMarker {
                    control_type,
                    coordinator_epoch,
                }) => {
                    let _ = write!(
                        s,
                        " endTxnMarker: {control_type} coordinatorEpoch: {coordinator_epoch}"
                    );
                }
                Some(ControlInfo::Other { name, id }) => {
                    let _ = write!(s, " controlType: {name}({id})");
                }
                None => {}
            }
        }
        if let Some(d) = &self.data {
            if let Some(key) = &d.key {
                let _ = write!(s, "{prefix}key: {key}");
            }
            if let Some(payload) = &d.payload {
                let _ = write!(s, " payload: {payload}");
            }
        }
        s
    }
}
