//! Reading Kafka's sparse segment indexes: the offset index (`.index`) and the time index
//! (`.timeindex`), with the sanity check that decides whether an index must be rebuilt.
//!
//! Formats (big-endian, relative offsets count from the segment's base offset):
//! - `.index`: 8-byte entries, relative offset int32 + file position int32 of the batch.
//! - `.timeindex`: 12-byte entries, timestamp int64 (ms) + relative offset int32.
//!
//! Kafka preallocates index files (`log.index.size.max.bytes`) and trims them when the segment
//! rolls, so a file left by a crash ends in zero-filled slots. A slot past the first whose
//! offset equals the base offset is such a tail: [`OffsetIndex::entries`] and
//! [`TimeIndex::entries`] stop there, [`OffsetIndex::slots`] keeps them (Kafka's own sanity
//! check looks at the last slot, zeros included). Parsing is pure over a byte slice; the
//! `read_*` wrappers only read the file.

use std::path::Path;

/// Bytes per `.index` entry.
pub const OFFSET_INDEX_ENTRY_SIZE: usize = 8;
/// Bytes per `.timeindex` entry.
pub const TIME_INDEX_ENTRY_SIZE: usize = 12;
/// Largest index file read (Kafka's `log.index.size.max.bytes` is an int).
pub const MAX_INDEX_FILE_SIZE: u64 = i32::MAX as u64;

/// One `.index` entry with its offset made absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OffsetPosition {
    /// Absolute offset of the indexed batch's last record (base offset + relative offset).
    pub offset: i64,
    /// Byte position of the batch in the `.log` file, as stored (never negative when sane).
    pub position: i32,
}

/// One `.timeindex` entry with its offset made absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TimestampOffset {
    /// Milliseconds since the epoch: the largest timestamp seen up to `offset`.
    pub timestamp: i64,
    /// Absolute offset (base offset + relative offset).
    pub offset: i64,
}

/// What is wrong with an index file.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot read index file: {0}")]
    Io(#[source] std::io::Error),
    #[error("index file of {length} bytes is larger than the {max} bytes an index may have")]
    TooLarge { length: u64, max: u64 },
    #[error(
        "slot {slot}: base offset {base_offset} + relative offset {relative} overflows an int64"
    )]
    OffsetOverflow {
        slot: usize,
        base_offset: i64,
        relative: i32,
    },
    /// Kafka's check: the file size must be a whole number of entries.
    #[error(
        "{what} is corrupt, found {length} bytes which is neither positive nor a multiple of {entry_size}"
    )]
    NotAMultiple {
        what: &'static str,
        length: usize,
        entry_size: usize,
    },
    /// Kafka's check: the last slot's offset must not be below the base offset.
    #[error(
        "corrupt {what}: it has non-zero size but the last offset is {last_offset} which is less than the base offset {base_offset}"
    )]
    LastOffsetBelowBase {
        what: &'static str,
        last_offset: i64,
        base_offset: i64,
    },
    /// Kafka's check: the time index's last timestamp must not be below its first.
    #[error(
        "corrupt time index: it has non-zero size but the last timestamp is {last} which is less than the first timestamp {first}"
    )]
    LastTimestampBelowFirst { last: i64, first: i64 },
    /// Our check: offsets must grow (strictly in `.index`, never shrink in `.timeindex`).
    #[error("corrupt {what}: entry {slot} has offset {offset} after offset {previous}")]
    OffsetsOutOfOrder {
        what: &'static str,
        slot: usize,
        previous: i64,
        offset: i64,
    },
    /// Our check: positions are byte positions in the log, never negative, never shrinking.
    #[error("corrupt offset index: entry {slot} has position {position} after position {previous}")]
    BadPosition {
        slot: usize,
        previous: i32,
        position: i32,
    },
    /// Our check: time index timestamps never shrink.
    #[error(
        "corrupt time index: entry {slot} has timestamp {timestamp} after timestamp {previous}"
    )]
    TimestampsOutOfOrder {
        slot: usize,
        previous: i64,
        timestamp: i64,
    },
}

fn be_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    i32::from_be_bytes(a)
}

fn be_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

fn absolute(base_offset: i64, relative: i32, slot: usize) -> Result<i64, IndexError> {
    base_offset
        .checked_add(i64::from(relative))
        .ok_or(IndexError::OffsetOverflow {
            slot,
            base_offset,
            relative,
        })
}

/// Number of slots before the preallocated zero tail: the first slot past slot 0 whose offset
/// equals the base offset ends the real entries.
fn real_len(offsets: impl Iterator<Item = i64>, base_offset: i64) -> usize {
    let mut n = 0;
    for (i, offset) in offsets.enumerate() {
        if i > 0 && offset == base_offset {
            break;
        }
        n = i + 1;
    }
    n
}

/// A parsed `.index` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetIndex {
    base_offset: i64,
    /// File size in bytes (may include a partial trailing entry).
    length: usize,
    /// Every whole slot of the file, zero tail included.
    slots: Vec<OffsetPosition>,
    /// How many of `slots` come before the zero tail.
    real: usize,
}

impl OffsetIndex {
    /// Parses the bytes of an offset index for a segment with `base_offset`. Every whole
    /// 8-byte slot is read, as Kafka maps them; a partial trailing entry is ignored here and
    /// reported by [`OffsetIndex::sanity_check`].
    pub fn parse(bytes: &[u8], base_offset: i64) -> Result<OffsetIndex, IndexError> {
        let slots = bytes
            .chunks_exact(OFFSET_INDEX_ENTRY_SIZE)
            .enumerate()
            .map(|(slot, e)| {
                Ok(OffsetPosition {
                    offset: absolute(base_offset, be_i32(e), slot)?,
                    position: be_i32(&e[4..]),
                })
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let real = real_len(slots.iter().map(|e| e.offset), base_offset);
        Ok(OffsetIndex {
            base_offset,
            length: bytes.len(),
            slots,
            real,
        })
    }

    /// An index without entries (what a missing `.index` amounts to).
    pub fn empty(base_offset: i64) -> OffsetIndex {
        OffsetIndex {
            base_offset,
            length: 0,
            slots: Vec::new(),
            real: 0,
        }
    }

    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// File size in bytes.
    pub fn length(&self) -> usize {
        self.length
    }

    /// Every whole slot, including a zero-filled preallocated tail.
    pub fn slots(&self) -> &[OffsetPosition] {
        &self.slots
    }

    /// The entries written, without the zero-filled tail.
    pub fn entries(&self) -> &[OffsetPosition] {
        &self.slots[..self.real]
    }

    /// Kafka's check (run on broker start to decide on a rebuild): the size is a whole number
    /// of entries and the last slot's offset is not below the base offset. We also require the
    /// written entries to have strictly increasing offsets and non-negative, non-decreasing
    /// positions, which every index Kafka writes satisfies.
    pub fn sanity_check(&self) -> Result<(), IndexError> {
        const WHAT: &str = "offset index";
        if let Some(last) = self.slots.last() {
            if last.offset < self.base_offset {
                return Err(IndexError::LastOffsetBelowBase {
                    what: WHAT,
                    last_offset: last.offset,
                    base_offset: self.base_offset,
                });
            }
        }
        if self.length % OFFSET_INDEX_ENTRY_SIZE != 0 {
            return Err(IndexError::NotAMultiple {
                what: WHAT,
                length: self.length,
                entry_size: OFFSET_INDEX_ENTRY_SIZE,
            });
        }
        let mut previous: Option<OffsetPosition> = None;
        for (slot, e) in self.entries().iter().enumerate() {
            let prev_position = previous.map_or(0, |p| p.position);
            if e.position < prev_position {
                return Err(IndexError::BadPosition {
                    slot,
                    previous: prev_position,
                    position: e.position,
                });
            }
            match previous {
                Some(p) if e.offset <= p.offset => {
                    return Err(IndexError::OffsetsOutOfOrder {
                        what: WHAT,
                        slot,
                        previous: p.offset,
                        offset: e.offset,
                    });
                }
                _ => {}
            }
            previous = Some(*e);
        }
        Ok(())
    }

    /// The written entry with the largest offset `<= target`, or `(base offset, 0)` when there
    /// is none: where a scan for `target` may start in the log.
    pub fn lookup(&self, target: i64) -> OffsetPosition {
        let entries = self.entries();
        let n = entries.partition_point(|e| e.offset <= target);
        match n.checked_sub(1).and_then(|i| entries.get(i)) {
            Some(e) => *e,
            None => OffsetPosition {
                offset: self.base_offset,
                position: 0,
            },
        }
    }
}

/// A parsed `.timeindex` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeIndex {
    base_offset: i64,
    length: usize,
    slots: Vec<TimestampOffset>,
    real: usize,
}

impl TimeIndex {
    /// Parses the bytes of a time index for a segment with `base_offset` (see
    /// [`OffsetIndex::parse`] for partial entries).
    pub fn parse(bytes: &[u8], base_offset: i64) -> Result<TimeIndex, IndexError> {
        let slots = bytes
            .chunks_exact(TIME_INDEX_ENTRY_SIZE)
            .enumerate()
            .map(|(slot, e)| {
                Ok(TimestampOffset {
                    timestamp: be_i64(e),
                    offset: absolute(base_offset, be_i32(&e[8..]), slot)?,
                })
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let real = real_len(slots.iter().map(|e| e.offset), base_offset);
        Ok(TimeIndex {
            base_offset,
            length: bytes.len(),
            slots,
            real,
        })
    }

    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    pub fn length(&self) -> usize {
        self.length
    }

    /// Every whole slot, including a zero-filled preallocated tail.
    pub fn slots(&self) -> &[TimestampOffset] {
        &self.slots
    }

    /// The entries written, without the zero-filled tail.
    pub fn entries(&self) -> &[TimestampOffset] {
        &self.slots[..self.real]
    }

    /// Kafka's check: the last slot's timestamp is not below the first's, its offset not below
    /// the base offset, and the size is a whole number of entries. We also require the
    /// written entries' offsets and timestamps never to decrease.
    pub fn sanity_check(&self) -> Result<(), IndexError> {
        const WHAT: &str = "time index";
        if let (Some(first), Some(last)) = (self.slots.first(), self.slots.last()) {
            if last.timestamp < first.timestamp {
                return Err(IndexError::LastTimestampBelowFirst {
                    last: last.timestamp,
                    first: first.timestamp,
                });
            }
            if last.offset < self.base_offset {
                return Err(IndexError::LastOffsetBelowBase {
                    what: WHAT,
                    last_offset: last.offset,
                    base_offset: self.base_offset,
                });
            }
        }
        if self.length % TIME_INDEX_ENTRY_SIZE != 0 {
            return Err(IndexError::NotAMultiple {
                what: WHAT,
                length: self.length,
                entry_size: TIME_INDEX_ENTRY_SIZE,
            });
        }
        for (slot, pair) in self.entries().windows(2).enumerate() {
            let (p, e) = (pair[0], pair[1]);
            if e.offset < p.offset {
                return Err(IndexError::OffsetsOutOfOrder {
                    what: WHAT,
                    slot: slot + 1,
                    previous: p.offset,
                    offset: e.offset,
                });
            }
            if e.timestamp < p.timestamp {
                return Err(IndexError::TimestampsOutOfOrder {
                    slot: slot + 1,
                    previous: p.timestamp,
                    timestamp: e.timestamp,
                });
            }
        }
        Ok(())
    }
}

/// Reads an index file whole, refusing files larger than [`MAX_INDEX_FILE_SIZE`] before
/// reading them.
fn read_index_file(path: &Path) -> Result<Vec<u8>, IndexError> {
    let length = std::fs::metadata(path).map_err(IndexError::Io)?.len();
    if length > MAX_INDEX_FILE_SIZE {
        return Err(IndexError::TooLarge {
            length,
            max: MAX_INDEX_FILE_SIZE,
        });
    }
    std::fs::read(path).map_err(IndexError::Io)
}

/// Reads and parses the `.index` file at `path`.
pub fn read_offset_index(path: &Path, base_offset: i64) -> Result<OffsetIndex, IndexError> {
    OffsetIndex::parse(&read_index_file(path)?, base_offset)
}

/// Reads and parses the `.timeindex` file at `path`.
pub fn read_time_index(path: &Path, base_offset: i64) -> Result<TimeIndex, IndexError> {
    TimeIndex::parse(&read_index_file(path)?, base_offset)
}

/// Encodes offset index entries (absolute offsets, made relative to `base_offset`); for
/// writers and tests. Fails if an offset is not within int32 of the base offset.
pub fn encode_offset_index(
    base_offset: i64,
    entries: &[OffsetPosition],
) -> Result<Vec<u8>, IndexError> {
    let mut out = Vec::with_capacity(entries.len() * OFFSET_INDEX_ENTRY_SIZE);
    for (slot, e) in entries.iter().enumerate() {
        out.extend_from_slice(&relative(base_offset, e.offset, slot)?.to_be_bytes());
        out.extend_from_slice(&e.position.to_be_bytes());
    }
    Ok(out)
}

/// Encodes time index entries; see [`encode_offset_index`].
pub fn encode_time_index(
    base_offset: i64,
    entries: &[TimestampOffset],
) -> Result<Vec<u8>, IndexError> {
    let mut out = Vec::with_capacity(entries.len() * TIME_INDEX_ENTRY_SIZE);
    for (slot, e) in entries.iter().enumerate() {
        out.extend_from_slice(&e.timestamp.to_be_bytes());
        out.extend_from_slice(&relative(base_offset, e.offset, slot)?.to_be_bytes());
    }
    Ok(out)
}

fn relative(base_offset: i64, offset: i64, slot: usize) -> Result<i32, IndexError> {
    offset
        .checked_sub(base_offset)
        .and_then(|r| i32::try_from(r).ok())
        .ok_or(IndexError::OffsetOverflow {
            slot,
            base_offset,
            relative: -1,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(offset: i64, position: i32) -> OffsetPosition {
        OffsetPosition { offset, position }
    }

    fn to(timestamp: i64, offset: i64) -> TimestampOffset {
        TimestampOffset { timestamp, offset }
    }

    #[test]
    fn offset_index_entries_are_big_endian_and_relative() {
        let bytes = [0, 0, 0, 3, 0, 0, 0x10, 0, 0, 0, 0, 9, 0, 0, 0x20, 0];
        let idx = OffsetIndex::parse(&bytes, 100).unwrap();
        assert_eq!(idx.entries(), &[op(103, 4096), op(109, 8192)]);
        assert_eq!(idx.slots().len(), 2);
        idx.sanity_check().unwrap();
        let back = encode_offset_index(100, idx.entries()).unwrap();
        assert_eq!(back, bytes);
    }

    #[test]
    fn the_zero_tail_of_a_preallocated_index_is_not_an_entry() {
        let mut bytes = encode_offset_index(50, &[op(50, 0), op(60, 4000)]).unwrap();
        bytes.extend_from_slice(&[0; 8 * 5]);
        let idx = OffsetIndex::parse(&bytes, 50).unwrap();
        assert_eq!(idx.slots().len(), 7);
        assert_eq!(idx.entries(), &[op(50, 0), op(60, 4000)]);
        // Kafka's sanity check passes on a zero tail: its last slot equals the base offset.
        idx.sanity_check().unwrap();
        // A first entry at the base offset is an entry, not a tail.
        let idx = OffsetIndex::parse(&[0; 8], 50).unwrap();
        assert_eq!(idx.entries(), &[op(50, 0)]);

        let mut bytes = encode_time_index(50, &[to(1000, 55), to(2000, 60)]).unwrap();
        bytes.extend_from_slice(&[0; 12 * 3]);
        let t = TimeIndex::parse(&bytes, 50).unwrap();
        assert_eq!(t.entries(), &[to(1000, 55), to(2000, 60)]);
        assert_eq!(t.slots().len(), 5);
        // ... but Kafka's time index check fails on it (last timestamp 0 < first).
        assert!(matches!(
            t.sanity_check(),
            Err(IndexError::LastTimestampBelowFirst {
                last: 0,
                first: 1000
            })
        ));
    }

    #[test]
    fn sizes_that_are_not_whole_entries_fail_the_sanity_check() {
        let mut bytes = encode_offset_index(0, &[op(1, 0)]).unwrap();
        bytes.push(7);
        let idx = OffsetIndex::parse(&bytes, 0).unwrap();
        assert_eq!(idx.entries().len(), 1);
        let err = idx.sanity_check().unwrap_err();
        assert!(matches!(
            err,
            IndexError::NotAMultiple {
                length: 9,
                entry_size: 8,
                ..
            }
        ));
        assert!(err.to_string().contains("found 9 bytes"), "{err}");
        let t = TimeIndex::parse(&[0; 13], 0).unwrap();
        assert!(matches!(
            t.sanity_check(),
            Err(IndexError::NotAMultiple { length: 13, .. })
        ));
    }

    #[test]
    fn last_offset_below_base_fails() {
        let bytes = encode_offset_index(0, &[op(3, 0)])
            .unwrap()
            .into_iter()
            .chain((-2i32).to_be_bytes())
            .chain(10i32.to_be_bytes())
            .collect::<Vec<_>>();
        let idx = OffsetIndex::parse(&bytes, 100).unwrap();
        assert!(matches!(
            idx.sanity_check(),
            Err(IndexError::LastOffsetBelowBase {
                last_offset: 98,
                base_offset: 100,
                ..
            })
        ));
        let mut t = 5i64.to_be_bytes().to_vec();
        t.extend_from_slice(&(-1i32).to_be_bytes());
        assert!(matches!(
            TimeIndex::parse(&t, 10).unwrap().sanity_check(),
            Err(IndexError::LastOffsetBelowBase { last_offset: 9, .. })
        ));
    }

    #[test]
    fn entries_out_of_order_fail() {
        let idx = OffsetIndex::parse(
            &encode_offset_index(0, &[op(5, 0), op(9, 100), op(7, 200), op(10, 300)]).unwrap(),
            0,
        )
        .unwrap();
        assert!(matches!(
            idx.sanity_check(),
            Err(IndexError::OffsetsOutOfOrder {
                slot: 2,
                previous: 9,
                offset: 7,
                ..
            })
        ));
        let idx = OffsetIndex::parse(
            &encode_offset_index(0, &[op(5, 100), op(9, 50)]).unwrap(),
            0,
        )
        .unwrap();
        assert!(matches!(
            idx.sanity_check(),
            Err(IndexError::BadPosition { slot: 1, .. })
        ));
        let idx = OffsetIndex::parse(&encode_offset_index(0, &[op(5, -4)]).unwrap(), 0).unwrap();
        assert!(matches!(
            idx.sanity_check(),
            Err(IndexError::BadPosition { position: -4, .. })
        ));
        let t = TimeIndex::parse(
            &encode_time_index(0, &[to(10, 1), to(5, 2), to(20, 3)]).unwrap(),
            0,
        )
        .unwrap();
        assert!(matches!(
            t.sanity_check(),
            Err(IndexError::TimestampsOutOfOrder { slot: 1, .. })
        ));
        let t =
            TimeIndex::parse(&encode_time_index(0, &[to(10, 3), to(20, 2)]).unwrap(), 0).unwrap();
        assert!(matches!(
            t.sanity_check(),
            Err(IndexError::OffsetsOutOfOrder { slot: 1, .. })
        ));
    }

    #[test]
    fn empty_indexes_are_sane_and_lookups_fall_back_to_the_start() {
        let idx = OffsetIndex::parse(&[], 7).unwrap();
        assert!(idx.slots().is_empty());
        idx.sanity_check().unwrap();
        assert_eq!(idx.lookup(100), op(7, 0));
        TimeIndex::parse(&[], 7).unwrap().sanity_check().unwrap();

        let idx = OffsetIndex::parse(
            &encode_offset_index(0, &[op(10, 100), op(20, 200), op(30, 300)]).unwrap(),
            0,
        )
        .unwrap();
        assert_eq!(idx.lookup(5), op(0, 0));
        assert_eq!(idx.lookup(10), op(10, 100));
        assert_eq!(idx.lookup(25), op(20, 200));
        assert_eq!(idx.lookup(i64::MAX), op(30, 300));
    }

    #[test]
    fn offsets_that_overflow_are_errors_not_panics() {
        let bytes = encode_offset_index(0, &[op(i64::from(i32::MAX), 0)]).unwrap();
        assert!(matches!(
            OffsetIndex::parse(&bytes, i64::MAX),
            Err(IndexError::OffsetOverflow { .. })
        ));
        assert!(encode_offset_index(0, &[op(1 << 40, 0)]).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            for base in [0, 1 << 40, i64::MAX - 5] {
                if let Ok(i) = OffsetIndex::parse(&bytes, base) {
                    let _ = i.sanity_check();
                    let _ = i.lookup(base);
                }
                if let Ok(t) = TimeIndex::parse(&bytes, base) {
                    let _ = t.sanity_check();
                }
            }
        }
    }
}
