//! Building v2 record batches, for producers, coordinators (control batches) and tests.
//!
//! Records are encoded straight into one buffer that already reserves the 61-byte header;
//! an uncompressed batch is finished in place, a compressed one compresses the records once
//! into a buffer behind a fresh header. The header is then filled in and the CRC32C computed
//! last. The first record's timestamp becomes baseTimestamp; offset deltas count from 0.

use bytes::Bytes;

use super::batch::{
    Attributes, BatchHeaderMut, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID,
    NO_SEQUENCE, TimestampType, layout,
};
use super::compression::{self, Compression};
use super::error::{RecordsError, Result};
use super::varint::{put_varint, put_varlong, varint_len, varlong_len};

/// A header to append: key (UTF-8) and nullable value.
pub type HeaderRef<'a> = (&'a str, Option<&'a [u8]>);

/// Accumulates records and produces one batch. Defaults: no compression, baseOffset 0,
/// partitionLeaderEpoch -1, no producer id/epoch/sequence, CreateTime, not transactional,
/// not control.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    compression: Compression,
    level: Option<i32>,
    base_offset: i64,
    partition_leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
    control: bool,
    /// `HEADER_LEN` placeholder bytes, then the encoded records.
    buf: Vec<u8>,
    count: i32,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        BatchBuilder::new(Compression::None)
    }
}

impl BatchBuilder {
    pub fn new(compression: Compression) -> BatchBuilder {
        BatchBuilder {
            compression,
            level: None,
            base_offset: 0,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            base_sequence: NO_SEQUENCE,
            transactional: false,
            control: false,
            buf: vec![0; layout::HEADER_LEN],
            count: 0,
            base_timestamp: None,
            max_timestamp: -1,
        }
    }

    /// Codec level (gzip 0-9, zstd up to 22); `None` is Kafka's default for the codec.
    pub fn compression_level(mut self, level: Option<i32>) -> Self {
        self.level = level;
        self
    }

    pub fn base_offset(mut self, base_offset: i64) -> Self {
        self.base_offset = base_offset;
        self
    }

    pub fn partition_leader_epoch(mut self, epoch: i32) -> Self {
        self.partition_leader_epoch = epoch;
        self
    }

    /// Idempotent/transactional producer identity and the first record's sequence number.
    pub fn producer(mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Self {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
        self.base_sequence = base_sequence;
        self
    }

    pub fn transactional(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    pub fn control(mut self, control: bool) -> Self {
        self.control = control;
        self
    }

    /// Records appended so far.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Size of the batch if built uncompressed now (header + encoded records), in bytes.
    pub fn uncompressed_size(&self) -> usize {
        self.buf.len()
    }

    /// Appends a record with `timestamp` (ms since the epoch). The record's offset is the
    /// batch's base offset plus the number of records before it. Fails when a length does not
    /// fit Kafka's int32 fields or the batch already holds `i32::MAX` records.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[HeaderRef<'_>],
    ) -> Result<()> {
        if self.count == i32::MAX {
            return Err(RecordsError::Build {
                reason: "too many records",
            });
        }
        let base_timestamp = *self.base_timestamp.get_or_insert(timestamp);
        let timestamp_delta = timestamp.wrapping_sub(base_timestamp);
        let offset_delta = self.count;

        let mut body_len = 1 + varlong_len(timestamp_delta) + varint_len(offset_delta);
        body_len += nullable_len(key)? + nullable_len(value)?;
        let header_count = i32::try_from(headers.len()).map_err(|_| too_long())?;
        body_len += varint_len(header_count);
        for (k, v) in headers {
            body_len += nullable_len(Some(k.as_bytes()))? + nullable_len(*v)?;
        }
        let body_len_i32 = i32::try_from(body_len).map_err(|_| too_long())?;

        self.buf.reserve(body_len + 5);
        put_varint(&mut self.buf, body_len_i32);
        self.buf.push(0); // record attributes: unused
        put_varlong(&mut self.buf, timestamp_delta);
        put_varint(&mut self.buf, offset_delta);
        put_nullable(&mut self.buf, key);
        put_nullable(&mut self.buf, value);
        put_varint(&mut self.buf, header_count);
        for (k, v) in headers {
            put_nullable(&mut self.buf, Some(k.as_bytes()));
            put_nullable(&mut self.buf, *v);
        }
        self.count += 1;
        self.max_timestamp = if self.count == 1 {
            timestamp
        } else {
            self.max_timestamp.max(timestamp)
        };
        Ok(())
    }

    /// Finishes the batch: compresses, fills the header and computes the CRC. Fails on an
    /// empty batch, a bad compression level, or a batch larger than int32 can describe.
    pub fn build(self) -> Result<Bytes> {
        if self.count == 0 {
            return Err(RecordsError::Build {
                reason: "a batch needs at least one record",
            });
        }
        let mut out = match self.compression {
            Compression::None => self.buf,
            codec => {
                let records = &self.buf[layout::HEADER_LEN..];
                let mut out = Vec::with_capacity(layout::HEADER_LEN + records.len() / 2);
                out.resize(layout::HEADER_LEN, 0);
                compression::compress(codec, self.level, records, &mut out)
                    .map_err(|source| RecordsError::Compression { codec, source })?;
                out
            }
        };
        let batch_length =
            i32::try_from(out.len() - layout::LOG_OVERHEAD).map_err(|_| too_long())?;
        let attributes = Attributes::new(
            self.compression,
            TimestampType::CreateTime,
            self.transactional,
            self.control,
        );
        let h = &mut out[..layout::HEADER_LEN];
        h[layout::BASE_OFFSET..][..8].copy_from_slice(&self.base_offset.to_be_bytes());
        h[layout::BATCH_LENGTH..][..4].copy_from_slice(&batch_length.to_be_bytes());
        h[layout::PARTITION_LEADER_EPOCH..][..4]
            .copy_from_slice(&self.partition_leader_epoch.to_be_bytes());
        h[layout::MAGIC] = super::batch::MAGIC_V2 as u8;
        h[layout::ATTRIBUTES..][..2].copy_from_slice(&attributes.0.to_be_bytes());
        h[layout::LAST_OFFSET_DELTA..][..4].copy_from_slice(&(self.count - 1).to_be_bytes());
        let base_timestamp = self.base_timestamp.unwrap_or(-1);
        h[layout::BASE_TIMESTAMP..][..8].copy_from_slice(&base_timestamp.to_be_bytes());
        h[layout::MAX_TIMESTAMP..][..8].copy_from_slice(&self.max_timestamp.to_be_bytes());
        h[layout::PRODUCER_ID..][..8].copy_from_slice(&self.producer_id.to_be_bytes());
        h[layout::PRODUCER_EPOCH..][..2].copy_from_slice(&self.producer_epoch.to_be_bytes());
        h[layout::BASE_SEQUENCE..][..4].copy_from_slice(&self.base_sequence.to_be_bytes());
        h[layout::RECORD_COUNT..][..4].copy_from_slice(&self.count.to_be_bytes());
        BatchHeaderMut::new(&mut out)?.update_crc();
        Ok(Bytes::from(out))
    }
}

fn too_long() -> RecordsError {
    RecordsError::Build {
        reason: "a length does not fit in an int32",
    }
}

/// Encoded size of a nullable byte string: varint length (-1 for null) + bytes.
fn nullable_len(b: Option<&[u8]>) -> Result<usize> {
    match b {
        None => Ok(varint_len(-1)),
        Some(b) => {
            let n = i32::try_from(b.len()).map_err(|_| too_long())?;
            Ok(varint_len(n) + b.len())
        }
    }
}

/// Appends a nullable byte string; its length has been checked by [`nullable_len`].
fn put_nullable(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i32);
            out.extend_from_slice(b);
        }
    }
}

/// A transaction marker batch (what a transaction coordinator asks partition leaders to
/// write): transactional + control, one record whose key is the control key of
/// `control_type` (Abort or Commit) and whose value carries `coordinator_epoch`.
pub fn end_txn_marker_batch(
    producer_id: i64,
    producer_epoch: i16,
    control_type: super::record::ControlType,
    coordinator_epoch: i32,
    timestamp: i64,
) -> Result<Bytes> {
    let key = super::record::ControlRecordKey::encode(control_type);
    let value = super::record::EndTxnMarker { coordinator_epoch }.encode();
    let mut b = BatchBuilder::new(Compression::None)
        .producer(producer_id, producer_epoch, NO_SEQUENCE)
        .transactional(true)
        .control(true);
    b.append(timestamp, Some(&key), Some(&value), &[])?;
    b.build()
}
