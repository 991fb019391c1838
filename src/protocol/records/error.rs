//! The one error type of the records module: everything that can be wrong with a batch, a
//! record or a compressed body, with the field and the numbers that were wrong, so the broker
//! can answer `CORRUPT_MESSAGE` / `INVALID_RECORD` and log a useful line.

use super::compression::{Compression, CompressionError};
use super::varint::VarintError;

/// A malformed or unacceptable batch, record or message set.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// Fewer bytes than a fixed-size header needs.
    #[error("{what} needs {needed} bytes but only {available} are there")]
    TooShort {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    /// The magic byte is not one this code reads (0, 1 or 2), or not the one expected.
    #[error("unsupported magic byte {magic}")]
    BadMagic { magic: i8 },
    /// The batch/message length field is impossible (below the fixed header size).
    #[error("invalid {what} length {length} (minimum {minimum})")]
    BadLength {
        what: &'static str,
        length: i64,
        minimum: usize,
    },
    /// The length field is larger than the caller's maximum batch size.
    #[error("batch of {size} bytes exceeds the maximum of {max}")]
    BatchTooLarge { size: usize, max: usize },
    /// The stored checksum does not match the bytes.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    /// The compression bits name no codec.
    #[error("unknown compression codec id {id}")]
    UnknownCompression { id: u8 },
    /// A header count or offset field is impossible.
    #[error("invalid batch header: {field} is {value}")]
    BadHeaderField { field: &'static str, value: i64 },
    /// `recordCount` and `lastOffsetDelta` disagree where Kafka requires them to agree.
    #[error("record count {record_count} inconsistent with lastOffsetDelta {last_offset_delta}")]
    InconsistentCount {
        record_count: i32,
        last_offset_delta: i32,
    },
    /// A varint inside a record could not be decoded.
    #[error("record field {field}: {source}")]
    Varint {
        field: &'static str,
        #[source]
        source: VarintError,
    },
    /// A length inside a record is negative (other than -1 for null) or runs past its container.
    #[error("record field {field} has length {length} but {remaining} bytes remain")]
    BadFieldLength {
        field: &'static str,
        length: i64,
        remaining: usize,
    },
    /// A record's fields did not use exactly the bytes its length prefix declared.
    #[error("record declared {declared} bytes but its fields used {used}")]
    RecordSizeMismatch { declared: usize, used: usize },
    /// The batch body held a different number of records than `recordCount`.
    #[error("batch declares {declared} records but its body holds {found}")]
    RecordCountMismatch { declared: i32, found: usize },
    /// Bytes were left in the batch body after the last declared record.
    #[error("{trailing} bytes left after the last of {declared} records")]
    TrailingBytes { declared: i32, trailing: usize },
    /// A control record's key is not a known control key.
    #[error("invalid control record key: {reason}")]
    BadControlRecord { reason: &'static str },
    /// A compressed body could not be inflated, or inflated past the limit.
    #[error("{codec:?} body: {source}")]
    Compression {
        codec: Compression,
        #[source]
        source: CompressionError,
    },
    /// The builder was asked for something the format cannot express.
    #[error("cannot build batch: {reason}")]
    Build { reason: &'static str },
}

/// Result alias of the records module.
pub type Result<T, E = RecordsError> = std::result::Result<T, E>;

impl RecordsError {
    pub(crate) fn varint(field: &'static str) -> impl FnOnce(VarintError) -> RecordsError {
        move |source| RecordsError::Varint { field, source }
    }
}
