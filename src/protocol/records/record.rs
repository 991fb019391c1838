//! The records inside a v2 batch body, and control records.
//!
//! Each record: length varint (bytes after itself), attributes int8 (unused), timestampDelta
//! varlong, offsetDelta varint, key (varint length, -1 null), value (same), header count
//! varint, then per header a key (varint length + UTF-8, never null) and a value (varint
//! length, -1 null). Keys, values and headers are `Bytes` slices of the (decompressed) body:
//! iterating copies nothing. Every length is checked against what is left of its record,
//! each record must use exactly its declared length, and the body must hold exactly
//! `recordCount` records.
//!
//! Control batches (attribute bit 5) hold one control record whose key is version int16 +
//! type int16 (0 ABORT, 1 COMMIT); transaction markers carry version int16 + coordinator
//! epoch int32 as value.

use bytes::Bytes;

use super::batch::{RecordBatch, TimestampType};
use super::compression::{self, Compression};
use super::error::{RecordsError, Result};
use super::varint::{decode_varint, decode_varlong};

/// One header of a record. Keys may repeat; order is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// UTF-8 as written by the producer; not checked until [`Header::key_str`].
    pub key: Bytes,
    pub value: Option<Bytes>,
}

impl Header {
    /// The key as text, if it is valid UTF-8.
    pub fn key_str(&self) -> std::result::Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.key)
    }
}

/// One record with its absolute offset and timestamp resolved from the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `baseOffset + offsetDelta`.
    pub offset: i64,
    /// Milliseconds since the epoch: `baseTimestamp + timestampDelta`, or the batch's
    /// maxTimestamp when the batch uses LogAppendTime.
    pub timestamp: i64,
    pub offset_delta: i32,
    pub timestamp_delta: i64,
    /// The record's attribute byte (unused by Kafka so far; kept as read).
    pub attributes: i8,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<Header>,
}

impl Record {
    /// The control key of this record (only meaningful in a control batch).
    pub fn control_key(&self) -> Result<ControlRecordKey> {
        let key = self
            .key
            .as_deref()
            .ok_or(RecordsError::BadControlRecord { reason: "null key" })?;
        ControlRecordKey::parse(key)
    }
}

/// What a control record marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlType {
    /// The producer's transaction was aborted (type 0).
    Abort,
    /// The producer's transaction was committed (type 1).
    Commit,
    /// Another type (KRaft's leader change, snapshot markers ...), kept as its id.
    Other(i16),
}

impl ControlType {
    pub fn id(self) -> i16 {
        match self {
            ControlType::Abort => 0,
            ControlType::Commit => 1,
            ControlType::Other(id) => id,
        }
    }

    pub fn from_id(id: i16) -> ControlType {
        match id {
            0 => ControlType::Abort,
            1 => ControlType::Commit,
            other => ControlType::Other(other),
        }
    }
}

/// The key of a control record: version int16 (0 today) and type int16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRecordKey {
    pub version: i16,
    pub control_type: ControlType,
}

impl ControlRecordKey {
    /// Parses a control key. Like Kafka, a negative version is refused and a newer one is
    /// read for its first two fields.
    pub fn parse(key: &[u8]) -> Result<ControlRecordKey> {
        let [v0, v1, t0, t1, ..] = *key else {
            return Err(RecordsError::BadControlRecord {
                reason: "key shorter than 4 bytes",
            });
        };
        let version = i16::from_be_bytes([v0, v1]);
        if version < 0 {
            return Err(RecordsError::BadControlRecord {
                reason: "negative key version",
            });
        }
        Ok(ControlRecordKey {
            version,
            control_type: ControlType::from_id(i16::from_be_bytes([t0, t1])),
        })
    }

    /// The 4-byte key of version 0 for `control_type`.
    pub fn encode(control_type: ControlType) -> [u8; 4] {
        let t = control_type.id().to_be_bytes();
        [0, 0, t[0], t[1]]
    }
}

/// The value of a transaction marker (ABORT/COMMIT control record): version int16 (0) and the
/// transaction coordinator's epoch int32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTxnMarker {
    pub coordinator_epoch: i32,
}

impl EndTxnMarker {
    pub fn parse(value: &[u8]) -> Result<EndTxnMarker> {
        let [v0, v1, e0, e1, e2, e3, ..] = *value else {
            return Err(RecordsError::BadControlRecord {
                reason: "transaction marker value shorter than 6 bytes",
            });
        };
        if i16::from_be_bytes([v0, v1]) < 0 {
            return Err(RecordsError::BadControlRecord {
                reason: "negative transaction marker version",
            });
        }
        Ok(EndTxnMarker {
            coordinator_epoch: i32::from_be_bytes([e0, e1, e2, e3]),
        })
    }

    pub fn encode(self) -> [u8; 6] {
        let e = self.coordinator_epoch.to_be_bytes();
        [0, 0, e[0], e[1], e[2], e[3]]
    }
}

impl RecordBatch {
    /// Iterates this batch's records, decompressing the body first when the batch is
    /// compressed (output capped at `decompression_limit` bytes; see
    /// [`compression::DEFAULT_DECOMPRESSION_LIMIT`]). Does not check the CRC: call
    /// [`RecordBatch::validate`] first for untrusted input.
    pub fn records(&self, decompression_limit: usize) -> Result<Records> {
        let count = self.record_count();
        if count < 0 {
            return Err(RecordsError::BadHeaderField {
                field: "recordCount",
                value: i64::from(count),
            });
        }
        let codec = self.compression()?;
        let body = match codec {
            Compression::None => self.body(),
            codec => compression::decompress(codec, &self.body(), decompression_limit)
                .map(Bytes::from)
                .map_err(|source| RecordsError::Compression { codec, source })?,
        };
        let log_append_time =
            (self.timestamp_type() == TimestampType::LogAppendTime).then(|| self.max_timestamp());
        Ok(Records {
            body,
            pos: 0,
            declared: count,
            read: 0,
            base_offset: self.base_offset(),
            base_timestamp: self.base_timestamp(),
            log_append_time,
            done: false,
        })
    }
}

/// Iterator over the records of one batch body. Yields an error (and then stops) on the
/// first malformed record, on a body that ends before `recordCount` records, or on bytes
/// left after the last one.
#[derive(Debug, Clone)]
pub struct Records {
    body: Bytes,
    pos: usize,
    declared: i32,
    read: usize,
    base_offset: i64,
    base_timestamp: i64,
    log_append_time: Option<i64>,
    done: bool,
}

impl Records {
    /// The records section (decompressed) being iterated.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    fn next_record(&mut self) -> Result<Option<Record>> {
        // `declared` is non-negative (checked at construction).
        let declared = self.declared as usize;
        if self.read == declared {
            let trailing = self.body.len() - self.pos;
            if trailing != 0 {
                return Err(RecordsError::TrailingBytes {
                    declared: self.declared,
                    trailing,
                });
            }
            return Ok(None);
        }
        if self.pos == self.body.len() {
            return Err(RecordsError::RecordCountMismatch {
                declared: self.declared,
                found: self.read,
            });
        }
        let mut cur = Cursor {
            buf: &self.body,
            pos: self.pos,
            end: self.body.len(),
        };
        let length = cur.varint("length")?;
        let length = cur.check_len("record", i64::from(length))?;
        cur.end = cur.pos + length;
        let start = cur.pos;
        let attributes = cur.byte("attributes")? as i8;
        let timestamp_delta = cur.varlong("timestampDelta")?;
        let offset_delta = cur.varint("offsetDelta")?;
        let key = cur.nullable_bytes("key")?;
        let value = cur.nullable_bytes("value")?;
        let header_count = cur.varint("headerCount")?;
        if header_count < 0 {
            return Err(RecordsError::BadFieldLength {
                field: "headerCount",
                length: i64::from(header_count),
                remaining: cur.end - cur.pos,
            });
        }
        // No preallocation from the count: a hostile count fails on the bytes instead.
        let mut headers = Vec::new();
        for _ in 0..header_count {
            let key_len = cur.varint("header key length")?;
            let key_len = cur.check_len("header key", i64::from(key_len))?;
            let key = cur.take(key_len);
            let value = cur.nullable_bytes("header value")?;
            headers.push(Header { key, value });
        }
        if cur.pos != cur.end {
            return Err(RecordsError::RecordSizeMismatch {
                declared: length,
                used: cur.pos - start,
            });
        }
        self.pos = cur.pos;
        self.read += 1;
        let timestamp = self
            .log_append_time
            .unwrap_or_else(|| self.base_timestamp.wrapping_add(timestamp_delta));
        Ok(Some(Record {
            offset: self.base_offset.wrapping_add(i64::from(offset_delta)),
            timestamp,
            offset_delta,
            timestamp_delta,
            attributes,
            key,
            value,
            headers,
        }))
    }
}

impl Iterator for Records {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_record() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A bounded reader over `buf[pos..end]`.
struct Cursor<'a> {
    buf: &'a Bytes,
    pos: usize,
    end: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    fn byte(&mut self, field: &'static str) -> Result<u8> {
        let b = *self.rest().first().ok_or(RecordsError::BadFieldLength {
            field,
            length: 1,
            remaining: 0,
        })?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self, field: &'static str) -> Result<i32> {
        let (v, n) = decode_varint(self.rest()).map_err(RecordsError::varint(field))?;
        self.pos += n;
        Ok(v)
    }

    fn varlong(&mut self, field: &'static str) -> Result<i64> {
        let (v, n) = decode_varlong(self.rest()).map_err(RecordsError::varint(field))?;
        self.pos += n;
        Ok(v)
    }

    /// Checks that a non-negative `len` fits in what is left.
    fn check_len(&self, field: &'static str, len: i64) -> Result<usize> {
        let remaining = self.end - self.pos;
        usize::try_from(len)
            .ok()
            .filter(|l| *l <= remaining)
            .ok_or(RecordsError::BadFieldLength {
                field,
                length: len,
                remaining,
            })
    }

    /// Takes `n` bytes; `n` has been checked against what is left.
    fn take(&mut self, n: usize) -> Bytes {
        let b = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        b
    }

    fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<Bytes>> {
        let len = self.varint(field)?;
        if len == -1 {
            return Ok(None);
        }
        let len = self.check_len(field, i64::from(len))?;
        Ok(Some(self.take(len)))
    }
}
