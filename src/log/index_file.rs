//! Writing Kafka's sparse indexes (`.index`, `.timeindex`) for a segment: a file preallocated
//! to `segment.index.bytes` (zero-filled, sparse) into which fixed-size entries are written
//! in place with `pwrite`, plus an in-memory copy of the entries that serves lookups.
//!
//! Invariants: entries are strictly increasing in offset (offset index) or non-decreasing in
//! offset and strictly increasing in timestamp (time index); relative offsets fit an int32
//! (the partition log rolls before they would not); the on-disk slots after the last entry
//! are zero, so a file left preallocated by a crash reads back as exactly these entries
//! (see `index::OffsetIndex::parse`). [`IndexFile::trim`] cuts the file to its entries when
//! the segment stops being active or is closed.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::error::{Result, io_err};
use super::index::{
    MAX_INDEX_FILE_SIZE, OFFSET_INDEX_ENTRY_SIZE, OffsetIndex, OffsetPosition,
    TIME_INDEX_ENTRY_SIZE, TimeIndex, TimestampOffset,
};

/// An index entry kind: its encoding and the offset it is ordered by.
pub trait IndexEntry: Copy + std::fmt::Debug {
    /// Bytes per entry on disk.
    const SIZE: usize;
    /// Absolute offset of the entry.
    fn offset(&self) -> i64;
    /// Writes the entry relative to `base_offset` into `out` (`SIZE` bytes).
    fn encode(&self, base_offset: i64, out: &mut [u8]);
    /// Whether `self` may be appended after `last`.
    fn follows(&self, last: &Self) -> bool;
    /// Reads and sanity-checks a whole index file's bytes; `None` means "rebuild it".
    fn parse_checked(bytes: &[u8], base_offset: i64) -> Option<Vec<Self>>;
}

fn relative(offset: i64, base_offset: i64) -> i32 {
    // The partition log rolls before `offset - base` leaves the int32 range, so this never
    // saturates in practice; saturating keeps a broken caller from writing a wrapped value.
    i32::try_from(offset.saturating_sub(base_offset)).unwrap_or(i32::MAX)
}

impl IndexEntry for OffsetPosition {
    const SIZE: usize = OFFSET_INDEX_ENTRY_SIZE;
    fn offset(&self) -> i64 {
        self.offset
    }
    fn encode(&self, base_offset: i64, out: &mut [u8]) {
        out[..4].copy_from_slice(&relative(self.offset, base_offset).to_be_bytes());
        out[4..8].copy_from_slice(&self.position.to_be_bytes());
    }
    fn follows(&self, last: &Self) -> bool {
        self.offset > last.offset && self.position >= last.position
    }
    fn parse_checked(bytes: &[u8], base_offset: i64) -> Option<Vec<Self>> {
        let index = OffsetIndex::parse(bytes, base_offset).ok()?;
        index.sanity_check().ok()?;
        Some(index.entries().to_vec())
    }
}

impl IndexEntry for TimestampOffset {
    const SIZE: usize = TIME_INDEX_ENTRY_SIZE;
    fn offset(&self) -> i64 {
        self.offset
    }
    fn encode(&self, base_offset: i64, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&relative(self.offset, base_offset).to_be_bytes());
    }
    fn follows(&self, last: &Self) -> bool {
        self.offset >= last.offset && self.timestamp > last.timestamp
    }
    fn parse_checked(bytes: &[u8], base_offset: i64) -> Option<Vec<Self>> {
        let index = TimeIndex::parse(bytes, base_offset).ok()?;
        index.sanity_check().ok()?;
        Some(index.entries().to_vec())
    }
}

/// One index file of a segment.
#[derive(Debug)]
pub struct IndexFile<E: IndexEntry> {
    path: PathBuf,
    file: File,
    base_offset: i64,
    entries: Vec<E>,
    /// Entries the preallocated size holds.
    max_entries: usize,
    /// Whether the file is currently extended to its preallocated size.
    preallocated: bool,
}

impl<E: IndexEntry> IndexFile<E> {
    /// Creates (or empties) the index at `path`, preallocated to `max_bytes` rounded down to
    /// whole entries.
    pub fn create(path: &Path, base_offset: i64, max_bytes: u32) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(io_err("create index", path))?;
        let mut index = IndexFile {
            path: path.to_path_buf(),
            file,
            base_offset,
            entries: Vec::new(),
            max_entries: (max_bytes as usize / E::SIZE).max(1),
            preallocated: false,
        };
        index.preallocate()?;
        Ok(index)
    }

    /// Opens an existing index. Returns the index and whether its content passed the sanity
    /// check; when it did not (or the file is missing) the index is empty and must be rebuilt.
    pub fn open(path: &Path, base_offset: i64, max_bytes: u32) -> Result<(Self, bool)> {
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err("open index", path))?;
        let length = file.metadata().map_err(io_err("stat index", path))?.len();
        // An index larger than any Kafka writes is not read into memory: it is rebuilt.
        let bytes = if length > MAX_INDEX_FILE_SIZE {
            Vec::new()
        } else {
            std::fs::read(path).map_err(io_err("read index", path))?
        };
        let too_large = length > MAX_INDEX_FILE_SIZE;
        let parsed = E::parse_checked(&bytes, base_offset);
        let sane = existed && !too_large && parsed.is_some();
        let mut index = IndexFile {
            path: path.to_path_buf(),
            file,
            base_offset,
            entries: parsed.unwrap_or_default(),
            max_entries: (max_bytes as usize / E::SIZE).max(1),
            preallocated: !bytes.is_empty() && bytes.len() as u64 == Self::prealloc_len(max_bytes),
        };
        if index.entries.len() > index.max_entries {
            // Written with a larger segment.index.bytes: keep it, it is simply full.
            index.max_entries = index.entries.len();
        }
        if !sane {
            index.clear()?;
        }
        Ok((index, sane))
    }

    fn prealloc_len(max_bytes: u32) -> u64 {
        ((max_bytes as usize / E::SIZE).max(1) * E::SIZE) as u64
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entries(&self) -> &[E] {
        &self.entries
    }

    pub fn last(&self) -> Option<&E> {
        self.entries.last()
    }

    /// True when no further entry fits the preallocated size (a roll trigger).
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.max_entries
    }

    /// Extends the file to its preallocated size (zeros, sparse), for the active segment.
    pub fn preallocate(&mut self) -> Result<()> {
        if !self.preallocated {
            let len = (self.max_entries * E::SIZE) as u64;
            self.file
                .set_len(len)
                .map_err(io_err("preallocate index", &self.path))?;
            self.preallocated = true;
        }
        Ok(())
    }

    /// Appends an entry. An entry that does not follow the last one (offsets increasing; for
    /// the time index, timestamps growing) or that does not fit is skipped: an index is an
    /// optimisation, a missing entry only lengthens a scan.
    pub fn append(&mut self, entry: E) -> Result<()> {
        if self.is_full() || self.last().is_some_and(|l| !entry.follows(l)) {
            return Ok(());
        }
        self.preallocate()?;
        let mut buf = [0u8; 12];
        entry.encode(self.base_offset, &mut buf);
        let at = (self.entries.len() * E::SIZE) as u64;
        self.file
            .write_all_at(&buf[..E::SIZE], at)
            .map_err(io_err("write index", &self.path))?;
        self.entries.push(entry);
        Ok(())
    }

    /// The entry with the largest key `<= target` by `key` (entries are sorted by it).
    pub fn floor_by<K: Ord>(&self, target: K, key: impl Fn(&E) -> K) -> Option<E> {
        let n = self.entries.partition_point(|e| key(e) <= target);
        n.checked_sub(1).and_then(|i| self.entries.get(i)).copied()
    }

    /// Removes every entry with offset `>= offset` and zeroes their slots on disk.
    pub fn truncate_from_offset(&mut self, offset: i64) -> Result<()> {
        let keep = self.entries.partition_point(|e| e.offset() < offset);
        self.truncate_entries(keep)
    }

    /// Keeps only entries matching `keep` as a prefix and zeroes the rest on disk.
    pub fn truncate_entries(&mut self, keep: usize) -> Result<()> {
        if keep >= self.entries.len() {
            return Ok(());
        }
        self.entries.truncate(keep);
        let len = (keep * E::SIZE) as u64;
        self.file
            .set_len(len)
            .map_err(io_err("truncate index", &self.path))?;
        self.preallocated = false;
        self.preallocate()
    }

    /// Drops every entry (before a rebuild).
    pub fn clear(&mut self) -> Result<()> {
        self.entries.clear();
        self.file
            .set_len(0)
            .map_err(io_err("truncate index", &self.path))?;
        self.preallocated = false;
        Ok(())
    }

    /// Cuts the file to its entries (on roll and close), as Kafka leaves inactive indexes.
    pub fn trim(&mut self) -> Result<()> {
        let len = (self.entries.len() * E::SIZE) as u64;
        self.file
            .set_len(len)
            .map_err(io_err("trim index", &self.path))?;
        self.preallocated = false;
        Ok(())
    }

    pub fn flush(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(io_err("fsync index", &self.path))
    }

    /// Points the index at a new path after the file was renamed.
    pub fn renamed(&mut self, path: PathBuf) {
        self.path = path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_preallocated_reopen_and_trim() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("00000000000000000100.index");
        let mut ix = IndexFile::<OffsetPosition>::create(&p, 100, 80).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 80);
        for i in 0..3 {
            ix.append(OffsetPosition {
                offset: 101 + i * 10,
                position: (i * 5000) as i32,
            })
            .unwrap();
        }
        // Out of order is skipped.
        ix.append(OffsetPosition {
            offset: 105,
            position: 1,
        })
        .unwrap();
        assert_eq!(ix.entries().len(), 3);
        drop(ix);
        let (ix, sane) = IndexFile::<OffsetPosition>::open(&p, 100, 80).unwrap();
        assert!(sane);
        assert_eq!(
            ix.entries()[2],
            OffsetPosition {
                offset: 121,
                position: 10000
            }
        );
        assert_eq!(ix.floor_by(120, |e| e.offset).unwrap().offset, 111);
        assert!(ix.floor_by(100, |e| e.offset).is_none());
        let mut ix = ix;
        ix.truncate_from_offset(111).unwrap();
        ix.trim().unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 8);
        let bytes = std::fs::read(&p).unwrap();
        let parsed = OffsetIndex::parse(&bytes, 100).unwrap();
        assert_eq!(
            parsed.entries(),
            &[OffsetPosition {
                offset: 101,
                position: 0
            }]
        );
    }

    #[test]
    fn full_index_and_truncated_slots_are_zeroed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("0.timeindex");
        let mut ix = IndexFile::<TimestampOffset>::create(&p, 0, 36).unwrap();
        for i in 0..5 {
            ix.append(TimestampOffset {
                timestamp: 10 * i,
                offset: i + 1,
            })
            .unwrap();
        }
        assert!(ix.is_full());
        assert_eq!(ix.entries().len(), 3);
        ix.truncate_from_offset(2).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes.len(), 36);
        assert!(bytes[12..].iter().all(|b| *b == 0));
        let (ix, sane) = IndexFile::<TimestampOffset>::open(&p, 0, 36).unwrap();
        assert!(sane);
        assert_eq!(ix.entries().len(), 1);
    }

    #[test]
    fn a_corrupt_index_is_reported_for_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("0.index");
        std::fs::write(&p, [0u8; 13]).unwrap();
        let (ix, sane) = IndexFile::<OffsetPosition>::open(&p, 0, 80).unwrap();
        assert!(!sane);
        assert!(ix.entries().is_empty());
    }
}
