//! The v2 record batch header: a zero-copy read view ([`RecordBatch`] over `Bytes`), checks
//! ([`RecordBatch::validate`]), and in-place rewrites of the fields a broker changes
//! ([`BatchHeaderMut`] over `&mut [u8]`).
//!
//! Layout (big-endian, 61 bytes, offsets from the start of the batch):
//! ```text
//!  0 baseOffset int64          27 baseTimestamp int64
//!  8 batchLength int32         35 maxTimestamp int64
//! 12 partitionLeaderEpoch int32 43 producerId int64
//! 16 magic int8 (= 2)          51 producerEpoch int16
//! 17 crc uint32                53 baseSequence int32
//! 21 attributes int16          57 recordCount int32
//! 23 lastOffsetDelta int32     61 records ...
//! ```
//! `batchLength` counts the bytes after itself, so a batch occupies `12 + batchLength` bytes.
//! The CRC32C covers attributes to the end, so baseOffset, batchLength and
//! partitionLeaderEpoch can be rewritten without touching it; attributes and maxTimestamp
//! cannot (see [`BatchHeaderMut::set_max_timestamp`]).

use bytes::Bytes;

use super::compression::Compression;
use super::error::{RecordsError, Result};

/// Offsets and sizes of the v2 header fields.
pub mod layout {
    pub const BASE_OFFSET: usize = 0;
    pub const BATCH_LENGTH: usize = 8;
    pub const PARTITION_LEADER_EPOCH: usize = 12;
    pub const MAGIC: usize = 16;
    pub const CRC: usize = 17;
    pub const ATTRIBUTES: usize = 21;
    pub const LAST_OFFSET_DELTA: usize = 23;
    pub const BASE_TIMESTAMP: usize = 27;
    pub const MAX_TIMESTAMP: usize = 35;
    pub const PRODUCER_ID: usize = 43;
    pub const PRODUCER_EPOCH: usize = 51;
    pub const BASE_SEQUENCE: usize = 53;
    pub const RECORD_COUNT: usize = 57;
    /// Size of the fixed header; records start here.
    pub const HEADER_LEN: usize = 61;
    /// baseOffset + batchLength: the bytes not counted by batchLength (Kafka's LOG_OVERHEAD).
    pub const LOG_OVERHEAD: usize = 12;
    /// Smallest legal batchLength: the header after the length field.
    pub const MIN_BATCH_LENGTH: usize = HEADER_LEN - LOG_OVERHEAD;
}

/// The magic byte of the v2 format.
pub const MAGIC_V2: i8 = 2;
/// `producerId` / `producerEpoch` / `baseSequence` / `partitionLeaderEpoch` when unset.
pub const NO_PRODUCER_ID: i64 = -1;
pub const NO_PRODUCER_EPOCH: i16 = -1;
pub const NO_SEQUENCE: i32 = -1;
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;

/// How a batch's timestamps were assigned (attribute bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// Set by the producer; each record's own timestamp applies.
    #[default]
    CreateTime,
    /// Set by the broker at append; every record's timestamp is the batch's maxTimestamp.
    LogAppendTime,
}

/// The attributes field of a v2 batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attributes(pub i16);

impl Attributes {
    pub const COMPRESSION_MASK: i16 = 0x07;
    pub const LOG_APPEND_TIME: i16 = 0x08;
    pub const TRANSACTIONAL: i16 = 0x10;
    pub const CONTROL: i16 = 0x20;
    /// KIP-534: baseTimestamp holds the delete horizon set by the log cleaner.
    pub const DELETE_HORIZON: i16 = 0x40;

    /// The codec in bits 0-2, or an error for ids 5-7.
    pub fn compression(self) -> Result<Compression> {
        let id = (self.0 & Self::COMPRESSION_MASK) as u8;
        Compression::from_id(id).ok_or(RecordsError::UnknownCompression { id })
    }

    pub fn timestamp_type(self) -> TimestampType {
        if self.0 & Self::LOG_APPEND_TIME != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    pub fn is_transactional(self) -> bool {
        self.0 & Self::TRANSACTIONAL != 0
    }

    pub fn is_control(self) -> bool {
        self.0 & Self::CONTROL != 0
    }

    pub fn has_delete_horizon(self) -> bool {
        self.0 & Self::DELETE_HORIZON != 0
    }

    /// Attributes for the given settings (delete-horizon bit clear).
    pub fn new(
        compression: Compression,
        timestamp_type: TimestampType,
        transactional: bool,
        control: bool,
    ) -> Attributes {
        let mut v = i16::from(compression.id());
        if timestamp_type == TimestampType::LogAppendTime {
            v |= Self::LOG_APPEND_TIME;
        }
        if transactional {
            v |= Self::TRANSACTIONAL;
        }
        if control {
            v |= Self::CONTROL;
        }
        Attributes(v)
    }

    /// These attributes with the timestamp type replaced.
    pub fn with_timestamp_type(self, t: TimestampType) -> Attributes {
        let v = self.0 & !Self::LOG_APPEND_TIME;
        match t {
            TimestampType::CreateTime => Attributes(v),
            TimestampType::LogAppendTime => Attributes(v | Self::LOG_APPEND_TIME),
        }
    }
}

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

/// Checks that `buf` starts with a whole v2 batch and returns that batch's total size.
/// Requires magic 2, `batchLength >= 49` and the whole batch present; nothing else.
pub fn check_frame(buf: &[u8]) -> Result<usize> {
    // Length and magic are judged before the rest of the header must be present, so a
    // too-small length is reported as such rather than as a short buffer.
    if buf.len() <= layout::MAGIC {
        return Err(RecordsError::TooShort {
            what: "record batch header",
            needed: layout::HEADER_LEN,
            available: buf.len(),
        });
    }
    let magic = buf[layout::MAGIC] as i8;
    if magic != MAGIC_V2 {
        return Err(RecordsError::BadMagic { magic });
    }
    let length = be_i32(buf, layout::BATCH_LENGTH);
    let length = usize::try_from(length)
        .ok()
        .filter(|l| *l >= layout::MIN_BATCH_LENGTH)
        .ok_or(RecordsError::BadLength {
            what: "batch",
            length: i64::from(length),
            minimum: layout::MIN_BATCH_LENGTH,
        })?;
    // size >= HEADER_LEN, so a buffer holding `size` bytes holds the whole header.
    let size = layout::LOG_OVERHEAD + length;
    if size > buf.len() {
        return Err(RecordsError::TooShort {
            what: "record batch",
            needed: size,
            available: buf.len(),
        });
    }
    Ok(size)
}

/// CRC32C of a whole v2 batch as stored in its crc field: attributes through the end.
/// `batch` must be exactly one batch of at least [`layout::HEADER_LEN`] bytes.
pub fn compute_crc(batch: &[u8]) -> u32 {
    crc32c::crc32c(batch.get(layout::ATTRIBUTES..).unwrap_or_default())
}

/// A read-only view of one v2 batch. Holds exactly the batch's bytes (`12 + batchLength`);
/// cloning or slicing never copies them. Construction guarantees a full header, magic 2 and
/// a sane length; [`RecordBatch::validate`] checks the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    bytes: Bytes,
}

impl RecordBatch {
    /// Views the batch at the start of `bytes`; bytes after it are ignored (see
    /// [`RecordBatch::size`]). Fails if the header or the declared length is not all there.
    pub fn parse(bytes: Bytes) -> Result<RecordBatch> {
        let size = check_frame(&bytes)?;
        Ok(RecordBatch {
            bytes: bytes.slice(..size),
        })
    }

    /// The batch's bytes, header included.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Total size in bytes (`12 + batchLength`).
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// The records section (compressed if the batch is), without copying.
    pub fn body(&self) -> Bytes {
        self.bytes.slice(layout::HEADER_LEN..)
    }

    pub fn base_offset(&self) -> i64 {
        be_i64(&self.bytes, layout::BASE_OFFSET)
    }

    pub fn batch_length(&self) -> i32 {
        be_i32(&self.bytes, layout::BATCH_LENGTH)
    }

    pub fn partition_leader_epoch(&self) -> i32 {
        be_i32(&self.bytes, layout::PARTITION_LEADER_EPOCH)
    }

    pub fn magic(&self) -> i8 {
        self.bytes[layout::MAGIC] as i8
    }

    /// The stored checksum.
    pub fn crc(&self) -> u32 {
        be_i32(&self.bytes, layout::CRC) as u32
    }

    pub fn attributes(&self) -> Attributes {
        Attributes(be_i16(&self.bytes, layout::ATTRIBUTES))
    }

    pub fn last_offset_delta(&self) -> i32 {
        be_i32(&self.bytes, layout::LAST_OFFSET_DELTA)
    }

    /// Milliseconds since the epoch of the first record (or the delete horizon, KIP-534).
    pub fn base_timestamp(&self) -> i64 {
        be_i64(&self.bytes, layout::BASE_TIMESTAMP)
    }

    /// Milliseconds since the epoch: the largest record timestamp, or the log append time.
    pub fn max_timestamp(&self) -> i64 {
        be_i64(&self.bytes, layout::MAX_TIMESTAMP)
    }

    pub fn producer_id(&self) -> i64 {
        be_i64(&self.bytes, layout::PRODUCER_ID)
    }

    pub fn producer_epoch(&self) -> i16 {
        be_i16(&self.bytes, layout::PRODUCER_EPOCH)
    }

    pub fn base_sequence(&self) -> i32 {
        be_i32(&self.bytes, layout::BASE_SEQUENCE)
    }

    pub fn record_count(&self) -> i32 {
        be_i32(&self.bytes, layout::RECORD_COUNT)
    }

    /// Offset of the last record: `baseOffset + lastOffsetDelta` (wrapping like Java's long).
    pub fn last_offset(&self) -> i64 {
        self.base_offset()
            .wrapping_add(i64::from(self.last_offset_delta()))
    }

    /// The offset after this batch: `last_offset() + 1`.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// Sequence number of the last record, wrapping at i32::MAX like Kafka's producers.
    pub fn last_sequence(&self) -> i32 {
        let base = self.base_sequence();
        if base == NO_SEQUENCE {
            return NO_SEQUENCE;
        }
        let last = i64::from(base) + i64::from(self.last_offset_delta());
        (last % (i64::from(i32::MAX) + 1)) as i32
    }

    pub fn compression(&self) -> Result<Compression> {
        self.attributes().compression()
    }

    pub fn timestamp_type(&self) -> TimestampType {
        self.attributes().timestamp_type()
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes().is_transactional()
    }

    pub fn is_control(&self) -> bool {
        self.attributes().is_control()
    }

    /// The checksum the bytes actually have.
    pub fn compute_crc(&self) -> u32 {
        compute_crc(&self.bytes)
    }

    /// Checks what a stored or fetched batch must satisfy: the CRC32C matches, the codec is
    /// known, `recordCount >= 0`, `lastOffsetDelta >= 0` and, when there are records,
    /// `lastOffsetDelta >= recordCount - 1` (offsets in a batch are distinct and increasing;
    /// compaction may leave gaps but never more records than offsets). Records themselves are
    /// checked when iterated.
    pub fn validate(&self) -> Result<()> {
        let stored = self.crc();
        let computed = self.compute_crc();
        if stored != computed {
            return Err(RecordsError::CrcMismatch { stored, computed });
        }
        self.compression()?;
        let count = self.record_count();
        if count < 0 {
            return Err(RecordsError::BadHeaderField {
                field: "recordCount",
                value: i64::from(count),
            });
        }
        let delta = self.last_offset_delta();
        if delta < 0 {
            return Err(RecordsError::BadHeaderField {
                field: "lastOffsetDelta",
                value: i64::from(delta),
            });
        }
        if count > 0 && i64::from(delta) < i64::from(count) - 1 {
            return Err(RecordsError::InconsistentCount {
                record_count: count,
                last_offset_delta: delta,
            });
        }
        Ok(())
    }

    /// [`validate`](RecordBatch::validate) plus what Kafka's log validator demands of a batch
    /// a client produces: baseOffset 0, at least one record, `lastOffsetDelta + 1 ==
    /// recordCount`, and no control flag (only coordinators write control batches).
    pub fn validate_client_append(&self) -> Result<()> {
        self.validate()?;
        let base = self.base_offset();
        if base != 0 {
            return Err(RecordsError::BadHeaderField {
                field: "baseOffset",
                value: base,
            });
        }
        let count = self.record_count();
        let delta = self.last_offset_delta();
        if count == 0 || i64::from(delta) + 1 != i64::from(count) {
            return Err(RecordsError::InconsistentCount {
                record_count: count,
                last_offset_delta: delta,
            });
        }
        if self.is_control() {
            return Err(RecordsError::BadHeaderField {
                field: "attributes (control flag from a client)",
                value: i64::from(self.attributes().0),
            });
        }
        Ok(())
    }
}

/// In-place writer of the header fields a broker rewrites, over exactly one whole batch.
#[derive(Debug)]
pub struct BatchHeaderMut<'a> {
    buf: &'a mut [u8],
}

impl<'a> BatchHeaderMut<'a> {
    /// Takes the batch at the start of `buf` (same checks as [`RecordBatch::parse`]); later
    /// bytes are not touched.
    pub fn new(buf: &'a mut [u8]) -> Result<BatchHeaderMut<'a>> {
        let size = check_frame(buf)?;
        Ok(BatchHeaderMut {
            buf: &mut buf[..size],
        })
    }

    /// Sets baseOffset. Outside the CRC: the checksum stays valid.
    pub fn set_base_offset(&mut self, base_offset: i64) {
        self.buf[layout::BASE_OFFSET..layout::BASE_OFFSET + 8]
            .copy_from_slice(&base_offset.to_be_bytes());
    }

    /// Sets partitionLeaderEpoch. Outside the CRC: the checksum stays valid.
    pub fn set_partition_leader_epoch(&mut self, epoch: i32) {
        self.buf[layout::PARTITION_LEADER_EPOCH..layout::PARTITION_LEADER_EPOCH + 4]
            .copy_from_slice(&epoch.to_be_bytes());
    }

    /// Sets the timestamp type and maxTimestamp (ms), as a broker with
    /// `message.timestamp.type=LogAppendTime` does, and recomputes the CRC (both fields are
    /// covered by it). Does nothing when both already hold these values.
    pub fn set_max_timestamp(&mut self, timestamp_type: TimestampType, max_timestamp: i64) {
        let attrs = Attributes(be_i16(self.buf, layout::ATTRIBUTES));
        let new_attrs = attrs.with_timestamp_type(timestamp_type);
        if new_attrs == attrs && be_i64(self.buf, layout::MAX_TIMESTAMP) == max_timestamp {
            return;
        }
        self.buf[layout::ATTRIBUTES..layout::ATTRIBUTES + 2]
            .copy_from_slice(&new_attrs.0.to_be_bytes());
        self.buf[layout::MAX_TIMESTAMP..layout::MAX_TIMESTAMP + 8]
            .copy_from_slice(&max_timestamp.to_be_bytes());
        self.update_crc();
    }

    /// Recomputes and stores the CRC32C.
    pub fn update_crc(&mut self) {
        let crc = compute_crc(self.buf);
        self.buf[layout::CRC..layout::CRC + 4].copy_from_slice(&crc.to_be_bytes());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A v2 batch built field by field, independent of the builder: one uncompressed record
    /// (offset delta 0, timestamp delta 0, key "k", value "v", no headers).
    pub(crate) fn hand_built_batch() -> Vec<u8> {
        let record: &[u8] = &[
            0x00, // attributes
            0x00, // timestampDelta 0
            0x00, // offsetDelta 0
            0x02, b'k', // key length 1
            0x02, b'v', // value length 1
            0x00, // header count 0
        ];
        let mut b = Vec::new();
        b.extend_from_slice(&1234i64.to_be_bytes()); // baseOffset
        b.extend_from_slice(&0i32.to_be_bytes()); // batchLength, patched below
        b.extend_from_slice(&7i32.to_be_bytes()); // partitionLeaderEpoch
        b.push(2); // magic
        b.extend_from_slice(&0u32.to_be_bytes()); // crc, patched below
        b.extend_from_slice(&0x0010i16.to_be_bytes()); // attributes: transactional
        b.extend_from_slice(&0i32.to_be_bytes()); // lastOffsetDelta
        b.extend_from_slice(&1_700_000_000_000i64.to_be_bytes()); // baseTimestamp
        b.extend_from_slice(&1_700_000_000_005i64.to_be_bytes()); // maxTimestamp
        b.extend_from_slice(&99i64.to_be_bytes()); // producerId
        b.extend_from_slice(&3i16.to_be_bytes()); // producerEpoch
        b.extend_from_slice(&42i32.to_be_bytes()); // baseSequence
        b.extend_from_slice(&1i32.to_be_bytes()); // recordCount
        assert_eq!(b.len(), 61);
        b.push((record.len() as u8) << 1); // record length varint
        b.extend_from_slice(record);
        let len = (b.len() - 12) as i32;
        b[8..12].copy_from_slice(&len.to_be_bytes());
        let crc = crc32c::crc32c(&b[21..]);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        b
    }

    #[test]
    fn header_fields_are_read_at_their_offsets() {
        let raw = hand_built_batch();
        let batch = RecordBatch::parse(Bytes::from(raw.clone())).unwrap();
        assert_eq!(batch.base_offset(), 1234);
        assert_eq!(batch.batch_length() as usize, raw.len() - 12);
        assert_eq!(batch.size(), raw.len());
        assert_eq!(batch.partition_leader_epoch(), 7);
        assert_eq!(batch.magic(), 2);
        assert_eq!(batch.attributes(), Attributes(0x10));
        assert!(batch.is_transactional());
        assert!(!batch.is_control());
        assert_eq!(batch.compression().unwrap(), Compression::None);
        assert_eq!(batch.timestamp_type(), TimestampType::CreateTime);
        assert_eq!(batch.last_offset_delta(), 0);
        assert_eq!(batch.base_timestamp(), 1_700_000_000_000);
        assert_eq!(batch.max_timestamp(), 1_700_000_000_005);
        assert_eq!(batch.producer_id(), 99);
        assert_eq!(batch.producer_epoch(), 3);
        assert_eq!(batch.base_sequence(), 42);
        assert_eq!(batch.last_sequence(), 42);
        assert_eq!(batch.record_count(), 1);
        assert_eq!(batch.last_offset(), 1234);
        assert_eq!(batch.next_offset(), 1235);
        assert_eq!(batch.body().len(), raw.len() - 61);
        assert_eq!(batch.crc(), crc32c::crc32c(&raw[21..]));
        batch.validate().unwrap();
    }

    #[test]
    fn parse_ignores_bytes_after_the_batch() {
        let mut raw = hand_built_batch();
        let size = raw.len();
        raw.extend_from_slice(b"trailing");
        let batch = RecordBatch::parse(Bytes::from(raw)).unwrap();
        assert_eq!(batch.size(), size);
        batch.validate().unwrap();
    }

    #[test]
    fn every_bit_flip_in_the_crc_range_is_detected() {
        let raw = hand_built_batch();
        for byte in layout::ATTRIBUTES..raw.len() {
            for bit in 0..8 {
                let mut bad = raw.clone();
                bad[byte] ^= 1 << bit;
                let batch = RecordBatch::parse(Bytes::from(bad)).unwrap();
                assert!(
                    matches!(batch.validate(), Err(RecordsError::CrcMismatch { .. })),
                    "flip of byte {byte} bit {bit} not detected"
                );
            }
        }
        // A flipped CRC byte is detected too.
        let mut bad = raw.clone();
        bad[layout::CRC] ^= 0x80;
        let batch = RecordBatch::parse(Bytes::from(bad)).unwrap();
        assert!(matches!(
            batch.validate(),
            Err(RecordsError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn offset_and_epoch_rewrite_keeps_the_crc_valid() {
        let mut raw = hand_built_batch();
        let crc_before = RecordBatch::parse(Bytes::from(raw.clone())).unwrap().crc();
        {
            let mut h = BatchHeaderMut::new(&mut raw).unwrap();
            h.set_base_offset(9_000_000_000);
            h.set_partition_leader_epoch(12);
        }
        let batch = RecordBatch::parse(Bytes::from(raw)).unwrap();
        assert_eq!(batch.base_offset(), 9_000_000_000);
        assert_eq!(batch.partition_leader_epoch(), 12);
        assert_eq!(batch.crc(), crc_before);
        batch.validate().unwrap();
    }

    #[test]
    fn log_append_time_rewrite_recomputes_the_crc() {
        let mut raw = bytes::BytesMut::from(&hand_built_batch()[..]);
        let crc_before = compute_crc(&raw);
        BatchHeaderMut::new(&mut raw)
            .unwrap()
            .set_max_timestamp(TimestampType::LogAppendTime, 1_800_000_000_000);
        let batch = RecordBatch::parse(raw.freeze()).unwrap();
        assert_eq!(batch.timestamp_type(), TimestampType::LogAppendTime);
        assert_eq!(batch.max_timestamp(), 1_800_000_000_000);
        // Other attribute bits survive.
        assert!(batch.is_transactional());
        assert_ne!(batch.crc(), crc_before);
        batch.validate().unwrap();

        // Writing the fields without the CRC update is caught by validate.
        let mut raw = hand_built_batch();
        raw[layout::MAX_TIMESTAMP + 7] ^= 1;
        let batch = RecordBatch::parse(Bytes::from(raw)).unwrap();
        assert!(batch.validate().is_err());
    }

    #[test]
    fn framing_errors() {
        let raw = hand_built_batch();
        assert!(matches!(
            RecordBatch::parse(Bytes::copy_from_slice(&raw[..16])),
            Err(RecordsError::TooShort { needed: 61, .. })
        ));
        assert!(matches!(
            RecordBatch::parse(Bytes::copy_from_slice(&raw[..60])),
            Err(RecordsError::TooShort { .. })
        ));
        assert!(matches!(
            RecordBatch::parse(Bytes::copy_from_slice(&raw[..raw.len() - 1])),
            Err(RecordsError::TooShort { .. })
        ));
        let mut bad = raw.clone();
        bad[layout::MAGIC] = 1;
        assert!(matches!(
            RecordBatch::parse(Bytes::from(bad)),
            Err(RecordsError::BadMagic { magic: 1 })
        ));
        let mut bad = raw.clone();
        bad[8..12].copy_from_slice(&48i32.to_be_bytes());
        assert!(matches!(
            RecordBatch::parse(Bytes::from(bad)),
            Err(RecordsError::BadLength { length: 48, .. })
        ));
        let mut bad = raw.clone();
        bad[8..12].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(RecordBatch::parse(Bytes::from(bad.clone())).is_err());
        assert!(BatchHeaderMut::new(&mut bad).is_err());
    }

    fn with_header_field(field: usize, value: &[u8]) -> RecordBatch {
        let mut raw = hand_built_batch();
        raw[field..field + value.len()].copy_from_slice(value);
        BatchHeaderMut::new(&mut raw).unwrap().update_crc();
        RecordBatch::parse(Bytes::from(raw)).unwrap()
    }

    #[test]
    fn count_checks() {
        let b = with_header_field(layout::RECORD_COUNT, &(-1i32).to_be_bytes());
        assert!(matches!(
            b.validate(),
            Err(RecordsError::BadHeaderField {
                field: "recordCount",
                ..
            })
        ));
        let b = with_header_field(layout::RECORD_COUNT, &3i32.to_be_bytes());
        assert!(matches!(
            b.validate(),
            Err(RecordsError::InconsistentCount { .. })
        ));
        // A compacted batch: offsets 0..=5 with one record left is fine when stored ...
        let b = with_header_field(layout::LAST_OFFSET_DELTA, &5i32.to_be_bytes());
        b.validate().unwrap();
        // ... but not from a producer.
        let b2 = {
            let mut raw = b.as_bytes().to_vec();
            BatchHeaderMut::new(&mut raw).unwrap().set_base_offset(0);
            RecordBatch::parse(Bytes::from(raw)).unwrap()
        };
        assert!(matches!(
            b2.validate_client_append(),
            Err(RecordsError::InconsistentCount { .. })
        ));
        let b = with_header_field(layout::ATTRIBUTES, &7i16.to_be_bytes());
        assert!(matches!(
            b.validate(),
            Err(RecordsError::UnknownCompression { id: 7 })
        ));
    }

    #[test]
    fn client_append_checks() {
        let mut raw = hand_built_batch();
        // baseOffset 1234 is refused from a client.
        let b = RecordBatch::parse(Bytes::from(raw.clone())).unwrap();
        assert!(matches!(
            b.validate_client_append(),
            Err(RecordsError::BadHeaderField {
                field: "baseOffset",
                ..
            })
        ));
        BatchHeaderMut::new(&mut raw).unwrap().set_base_offset(0);
        RecordBatch::parse(Bytes::from(raw.clone()))
            .unwrap()
            .validate_client_append()
            .unwrap();
        raw[layout::ATTRIBUTES + 1] |= 0x20;
        BatchHeaderMut::new(&mut raw).unwrap().update_crc();
        assert!(
            RecordBatch::parse(Bytes::from(raw))
                .unwrap()
                .validate_client_append()
                .is_err()
        );
    }

    #[test]
    fn last_sequence_wraps() {
        let b = with_header_field(layout::BASE_SEQUENCE, &i32::MAX.to_be_bytes());
        let b = {
            let mut raw = b.as_bytes().to_vec();
            raw[layout::LAST_OFFSET_DELTA..layout::LAST_OFFSET_DELTA + 4]
                .copy_from_slice(&2i32.to_be_bytes());
            RecordBatch::parse(Bytes::from(raw)).unwrap()
        };
        assert_eq!(b.last_sequence(), 1);
    }
}
