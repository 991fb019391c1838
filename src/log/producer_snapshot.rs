//! Reading producer state snapshots (`<offset>.snapshot`): the idempotent/transactional
//! producers' state at an offset, written so a broker need not replay the whole log on start.
//!
//! Format (big-endian, Kafka's version 1): version int16, crc uint32 (CRC32C of every byte
//! after the crc field), entry count int32, then 46-byte entries: producerId int64, epoch
//! int16, lastSequence int32, lastOffset int64, offsetDelta int32, timestamp int64,
//! coordinatorEpoch int32, currentTxnFirstOffset int64 (-1 when no transaction is open).

use std::path::Path;

/// The only snapshot version Kafka writes.
pub const VERSION: i16 = 1;
/// version + crc.
const HEADER_LEN: usize = 6;
/// Bytes per producer entry.
pub const ENTRY_SIZE: usize = 46;
/// Largest snapshot read whole.
pub const MAX_FILE_SIZE: u64 = i32::MAX as u64;

/// The last batch a producer wrote, as a snapshot records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    pub last_sequence: i32,
    pub last_offset: i64,
    /// lastOffset - firstOffset of that batch.
    pub offset_delta: i32,
    /// Max timestamp of the batch, ms.
    pub timestamp: i64,
}

impl BatchMetadata {
    /// The batch's first sequence, with Kafka's wrap-around (`decrementSequence`).
    pub fn first_sequence(&self) -> i32 {
        let (seq, dec) = (self.last_sequence, self.offset_delta);
        if seq < dec {
            i32::MAX.wrapping_sub(dec.wrapping_sub(seq)).wrapping_add(1)
        } else {
            seq.wrapping_sub(dec)
        }
    }
}

/// One producer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerEntry {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub coordinator_epoch: i32,
    /// ms.
    pub last_timestamp: i64,
    /// First offset of the producer's open transaction, if one is open.
    pub current_txn_first_offset: Option<i64>,
    /// Absent when the stored last offset is negative (no batch recorded).
    pub last_batch: Option<BatchMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot of {length} bytes is shorter than its {HEADER_LEN}-byte header")]
    TooShort { length: usize },
    #[error("snapshot contained an unknown file version {version}")]
    UnknownVersion { version: i16 },
    #[error(
        "snapshot is corrupt (CRC is no longer valid). Stored crc: {stored}. Computed crc: {computed}"
    )]
    Crc { stored: u32, computed: u32 },
    #[error("snapshot declares {count} producer entries but holds {available} bytes for them")]
    BadCount { count: i32, available: usize },
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

/// Parses a snapshot, checking version, CRC and that the count fits the bytes.
pub fn parse(bytes: &[u8]) -> Result<Vec<ProducerEntry>, SnapshotError> {
    if bytes.len() < HEADER_LEN {
        return Err(SnapshotError::TooShort {
            length: bytes.len(),
        });
    }
    let version = be_i16(bytes, 0);
    if version != VERSION {
        return Err(SnapshotError::UnknownVersion { version });
    }
    let stored = be_i32(bytes, 2) as u32;
    let computed = crc32c::crc32c(&bytes[HEADER_LEN..]);
    if stored != computed {
        return Err(SnapshotError::Crc { stored, computed });
    }
    let body = &bytes[HEADER_LEN..];
    let available = body.len().saturating_sub(4);
    let count = if body.len() < 4 { -1 } else { be_i32(body, 0) };
    let n = usize::try_from(count)
        .ok()
        .filter(|n| n.checked_mul(ENTRY_SIZE).is_some_and(|b| b <= available))
        .ok_or(SnapshotError::BadCount { count, available })?;
    Ok(body[4..4 + n * ENTRY_SIZE]
        .chunks_exact(ENTRY_SIZE)
        .map(|e| {
            let last_offset = be_i64(e, 14);
            let timestamp = be_i64(e, 26);
            let txn = be_i64(e, 38);
            ProducerEntry {
                producer_id: be_i64(e, 0),
                producer_epoch: be_i16(e, 8),
                coordinator_epoch: be_i32(e, 34),
                last_timestamp: timestamp,
                current_txn_first_offset: (txn >= 0).then_some(txn),
                last_batch: (last_offset >= 0).then(|| BatchMetadata {
                    last_sequence: be_i32(e, 10),
                    last_offset,
                    offset_delta: be_i32(e, 22),
                    timestamp,
                }),
            }
        })
        .collect())
}

/// Encodes a snapshot (for writers and tests).
pub fn encode(entries: &[ProducerEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 4 + entries.len() * ENTRY_SIZE);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as i32).to_be_bytes());
    for e in entries {
        let b = e.last_batch.unwrap_or(BatchMetadata {
            last_sequence: -1,
            last_offset: -1,
            offset_delta: 0,
            timestamp: e.last_timestamp,
        });
        out.extend_from_slice(&e.producer_id.to_be_bytes());
        out.extend_from_slice(&e.producer_epoch.to_be_bytes());
        out.extend_from_slice(&b.last_sequence.to_be_bytes());
        out.extend_from_slice(&b.last_offset.to_be_bytes());
        out.extend_from_slice(&b.offset_delta.to_be_bytes());
        out.extend_from_slice(&e.last_timestamp.to_be_bytes());
        out.extend_from_slice(&e.coordinator_epoch.to_be_bytes());
        out.extend_from_slice(&e.current_txn_first_offset.unwrap_or(-1).to_be_bytes());
    }
    let crc = crc32c::crc32c(&out[HEADER_LEN..]);
    out[2..HEADER_LEN].copy_from_slice(&crc.to_be_bytes());
    out
}

/// Writes `<dir>/<offset, 20 digits>.snapshot` holding `entries` durably: a temp file,
/// fsynced, renamed over the final name, then the directory fsynced, so a crash leaves the
/// old snapshot or the new one, never a torn one. Returns the path written.
pub fn write_file(
    dir: &Path,
    offset: i64,
    entries: &[ProducerEntry],
) -> Result<std::path::PathBuf, crate::log::error::LogError> {
    use crate::log::error::LogError;
    use std::io::Write;
    let path = dir.join(crate::log::files::file_name(
        offset,
        crate::log::files::SegmentFileKind::ProducerSnapshot,
    ));
    let tmp = path.with_extension("snapshot.tmp");
    let bytes = encode(entries);
    let mut f = std::fs::File::create(&tmp).map_err(|e| LogError::io("create", &tmp, e))?;
    f.write_all(&bytes)
        .map_err(|e| LogError::io("write", &tmp, e))?;
    f.sync_all().map_err(|e| LogError::io("fsync", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(|e| LogError::io("rename", &tmp, e))?;
    crate::log::checkpoint::fsync_dir(dir)?;
    Ok(path)
}

/// Reads and parses the snapshot at `path`; the outer error is for I/O.
pub fn read(path: &Path) -> std::io::Result<Result<Vec<ProducerEntry>, SnapshotError>> {
    let length = std::fs::metadata(path)?.len();
    if length > MAX_FILE_SIZE {
        return Err(std::io::Error::other(format!(
            "producer snapshot of {length} bytes is larger than {MAX_FILE_SIZE} bytes"
        )));
    }
    Ok(parse(&std::fs::read(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(p: i64, txn: Option<i64>, batch: bool) -> ProducerEntry {
        ProducerEntry {
            producer_id: p,
            producer_epoch: 3,
            coordinator_epoch: 7,
            last_timestamp: 1_000 + p,
            current_txn_first_offset: txn,
            last_batch: batch.then_some(BatchMetadata {
                last_sequence: 9,
                last_offset: 40 + p,
                offset_delta: 4,
                timestamp: 1_000 + p,
            }),
        }
    }

    #[test]
    fn round_trip() {
        let entries = vec![entry(1, None, true), entry(2, Some(33), false)];
        let bytes = encode(&entries);
        assert_eq!(bytes.len(), 6 + 4 + 2 * ENTRY_SIZE);
        assert_eq!(parse(&bytes).unwrap(), entries);
        assert_eq!(entries[0].last_batch.unwrap().first_sequence(), 5);
    }

    #[test]
    fn first_sequence_wraps_like_kafka() {
        let b = |last_sequence, offset_delta| BatchMetadata {
            last_sequence,
            last_offset: 0,
            offset_delta,
            timestamp: 0,
        };
        assert_eq!(b(2, 4).first_sequence(), i32::MAX - 1);
        assert_eq!(b(-1, 0).first_sequence(), i32::MAX);
    }

    #[test]
    fn corruption_is_detected() {
        let mut bytes = encode(&[entry(1, None, true)]);
        assert!(matches!(
            parse(&bytes[..4]),
            Err(SnapshotError::TooShort { .. })
        ));
        bytes[20] ^= 1;
        assert!(matches!(parse(&bytes), Err(SnapshotError::Crc { .. })));
        bytes[20] ^= 1;
        bytes[1] = 2;
        assert_eq!(
            parse(&bytes),
            Err(SnapshotError::UnknownVersion { version: 2 })
        );
        // A count larger than the bytes, with a valid CRC.
        let mut bytes = encode(&[entry(1, None, true)]);
        bytes[6..10].copy_from_slice(&1_000_000i32.to_be_bytes());
        let crc = crc32c::crc32c(&bytes[6..]);
        bytes[2..6].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            parse(&bytes),
            Err(SnapshotError::BadCount {
                count: 1_000_000,
                ..
            })
        ));
    }
}
