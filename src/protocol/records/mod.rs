//! Kafka records as they travel in Produce and Fetch and as they sit in `.log` segments:
//! RecordBatch v2 (magic 2) with CRC32C, zigzag varints, the five compression codecs, and
//! enough of the magic 0/1 message format to walk old data.
//!
//! A batch is a 61-byte big-endian header ([`batch::layout`]) followed by its records,
//! compressed as one stream when the attributes name a codec. The CRC32C covers attributes
//! to the end; baseOffset, batchLength and partitionLeaderEpoch lie before it, which is what
//! lets a broker assign offsets and stamp leader epochs by rewriting 12 bytes in place
//! ([`BatchHeaderMut`]) without re-encoding or re-checksumming.
//!
//! Zero-copy contract: views ([`RecordBatch`], [`LegacyMessage`], [`Batches`], [`Record`]'s
//! key, value and headers) are `bytes::Bytes` slices of the buffer they were parsed from and
//! keep it alive; nothing is copied except a compressed body, which is inflated once into a
//! new buffer that the records of that batch then slice. Every length and count read from
//! the bytes is checked against what is left before use, decompression is capped by a
//! caller-supplied limit, and no input can make this module panic or allocate by an
//! unchecked size.
//!
//! Usage: frame a buffer with [`Batches`], check each batch with [`RecordBatch::validate`]
//! (or [`RecordBatch::validate_client_append`] on produce), read records with
//! [`RecordBatch::records`]; write batches with [`BatchBuilder`].

pub mod batch;
pub mod batches;
pub mod builder;
pub mod compression;
pub mod error;
pub mod legacy;
pub mod record;
pub mod varint;

#[cfg(test)]
mod tests;

pub use batch::{Attributes, BatchHeaderMut, RecordBatch, TimestampType};
pub use batches::{Batch, Batches};
pub use builder::{BatchBuilder, HeaderRef, end_txn_marker_batch};
pub use compression::{Compression, CompressionError, DEFAULT_DECOMPRESSION_LIMIT};
pub use error::{RecordsError, Result};
pub use legacy::LegacyMessage;
pub use record::{ControlRecordKey, ControlType, EndTxnMarker, Header, Record, Records};
