//! Reading a segment's transaction index (`.txnindex`): the transactions aborted in the
//! segment, which fetches at READ_COMMITTED use to filter aborted records.
//!
//! Format (big-endian), 34-byte entries back to back: version int16 (0), producerId int64,
//! firstOffset int64, lastOffset int64, lastStableOffset int64. Unlike the offset and time
//! indexes it is not preallocated, so every whole entry is real.

use std::path::Path;

/// Bytes per entry.
pub const ENTRY_SIZE: usize = 34;
/// The only entry version Kafka writes.
pub const CURRENT_VERSION: i16 = 0;
/// Largest transaction index read whole.
pub const MAX_FILE_SIZE: u64 = i32::MAX as u64;

/// One aborted transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTxn {
    pub version: i16,
    pub producer_id: i64,
    /// First offset of the transaction in this partition.
    pub first_offset: i64,
    /// Offset of the ABORT marker.
    pub last_offset: i64,
    /// The last stable offset when the marker was written.
    pub last_stable_offset: i64,
}

/// The entries read, and why reading stopped early if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnIndex {
    pub entries: Vec<AbortedTxn>,
    /// Set when an entry has an unknown version or the file ends inside an entry.
    pub problem: Option<TxnIndexError>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxnIndexError {
    #[error("entry {entry} has version {version}; only version {CURRENT_VERSION} is known")]
    UnknownVersion { entry: usize, version: i16 },
    #[error("the last {bytes} bytes are not a whole entry of {ENTRY_SIZE} bytes")]
    PartialEntry { bytes: usize },
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

/// Parses a transaction index; stops at the first entry with an unknown version.
pub fn parse(bytes: &[u8]) -> TxnIndex {
    let mut entries = Vec::new();
    let mut chunks = bytes.chunks_exact(ENTRY_SIZE);
    for (entry, e) in chunks.by_ref().enumerate() {
        let version = i16::from_be_bytes([e[0], e[1]]);
        if version != CURRENT_VERSION {
            return TxnIndex {
                entries,
                problem: Some(TxnIndexError::UnknownVersion { entry, version }),
            };
        }
        entries.push(AbortedTxn {
            version,
            producer_id: be_i64(e, 2),
            first_offset: be_i64(e, 10),
            last_offset: be_i64(e, 18),
            last_stable_offset: be_i64(e, 26),
        });
    }
    let rest = chunks.remainder().len();
    TxnIndex {
        entries,
        problem: (rest != 0).then_some(TxnIndexError::PartialEntry { bytes: rest }),
    }
}

/// Encodes entries (for writers and tests).
pub fn encode(entries: &[AbortedTxn]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY_SIZE);
    for t in entries {
        out.extend_from_slice(&t.version.to_be_bytes());
        for n in [
            t.producer_id,
            t.first_offset,
            t.last_offset,
            t.last_stable_offset,
        ] {
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    out
}

/// Reads and parses the `.txnindex` at `path`.
pub fn read(path: &Path) -> std::io::Result<TxnIndex> {
    let length = std::fs::metadata(path)?.len();
    if length > MAX_FILE_SIZE {
        return Err(std::io::Error::other(format!(
            "transaction index of {length} bytes is larger than {MAX_FILE_SIZE} bytes"
        )));
    }
    Ok(parse(&std::fs::read(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(p: i64) -> AbortedTxn {
        AbortedTxn {
            version: 0,
            producer_id: p,
            first_offset: 10 * p,
            last_offset: 10 * p + 5,
            last_stable_offset: 10 * p + 1,
        }
    }

    #[test]
    fn round_trip_and_bad_tails() {
        let bytes = encode(&[txn(1), txn(2)]);
        assert_eq!(bytes.len(), 68);
        assert_eq!(
            parse(&bytes),
            TxnIndex {
                entries: vec![txn(1), txn(2)],
                problem: None
            }
        );
        let t = parse(&bytes[..50]);
        assert_eq!(t.entries, vec![txn(1)]);
        assert_eq!(t.problem, Some(TxnIndexError::PartialEntry { bytes: 16 }));
        let mut bad = bytes.clone();
        bad[ENTRY_SIZE + 1] = 3;
        let t = parse(&bad);
        assert_eq!(t.entries, vec![txn(1)]);
        assert_eq!(
            t.problem,
            Some(TxnIndexError::UnknownVersion {
                entry: 1,
                version: 3
            })
        );
    }
}
