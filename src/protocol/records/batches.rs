//! Walking a buffer of concatenated batches: a log segment slice, a produce request's records
//! or a fetch response's records. Yields each complete batch as a zero-copy view and stops
//! cleanly at a partial trailing batch (a fetch response may end with one, cut at the
//! fetch's byte limit), reporting how many bytes the complete batches used.
//!
//! Framing follows Kafka's `ByteBufferLogInputStream`: the 12-byte offset + size prefix is
//! common to every magic, and the magic byte sits at offset 16 in both the v2 batch and the
//! v0/v1 message layouts. A size below the v0 minimum, above the caller's maximum, or invalid
//! for the magic is an error, after which the iterator yields nothing more.

use bytes::Bytes;

use super::batch::{RecordBatch, layout};
use super::error::{RecordsError, Result};
use super::legacy::{LegacyMessage, MIN_MESSAGE_SIZE_V0};

/// Bytes needed to see offset, size, and the magic byte.
const HEADER_UP_TO_MAGIC: usize = 17;

/// One complete entry of a buffer of batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// A magic 2 record batch.
    V2(RecordBatch),
    /// A magic 0 or 1 message (possibly a compressed wrapper).
    Legacy(LegacyMessage),
}

impl Batch {
    pub fn magic(&self) -> i8 {
        match self {
            Batch::V2(b) => b.magic(),
            Batch::Legacy(m) => m.magic(),
        }
    }

    /// Total size in bytes, including the 12-byte offset + size prefix.
    pub fn size(&self) -> usize {
        match self {
            Batch::V2(b) => b.size(),
            Batch::Legacy(m) => m.size(),
        }
    }

    /// First offset, when known without decompressing: always for v2, for uncompressed
    /// legacy messages; `None` for a compressed legacy wrapper.
    pub fn base_offset(&self) -> Option<i64> {
        match self {
            Batch::V2(b) => Some(b.base_offset()),
            Batch::Legacy(m) => match m.compression() {
                Ok(super::compression::Compression::None) => Some(m.offset()),
                _ => None,
            },
        }
    }

    /// Offset of the last record (a legacy wrapper carries its last inner offset).
    pub fn last_offset(&self) -> i64 {
        match self {
            Batch::V2(b) => b.last_offset(),
            Batch::Legacy(m) => m.offset(),
        }
    }

    /// `last_offset() + 1`.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    pub fn as_bytes(&self) -> &Bytes {
        match self {
            Batch::V2(b) => b.as_bytes(),
            Batch::Legacy(m) => m.as_bytes(),
        }
    }

    /// Checks the entry's checksum and header fields (see [`RecordBatch::validate`] and
    /// [`LegacyMessage::validate`]).
    pub fn validate(&self) -> Result<()> {
        match self {
            Batch::V2(b) => b.validate(),
            Batch::Legacy(m) => m.validate(),
        }
    }
}

/// Iterator over the complete batches at the front of a buffer.
#[derive(Debug, Clone)]
pub struct Batches {
    buf: Bytes,
    pos: usize,
    max_batch_size: usize,
    done: bool,
}

impl Batches {
    /// Walks `buf` with no limit on a batch's size other than the buffer itself.
    pub fn new(buf: Bytes) -> Batches {
        Batches {
            buf,
            pos: 0,
            max_batch_size: usize::MAX,
            done: false,
        }
    }

    /// Refuses (with [`RecordsError::BatchTooLarge`]) any entry whose size field, plus the
    /// 12-byte prefix, exceeds `max` bytes, as Kafka does with `max.message.bytes`.
    pub fn with_max_batch_size(mut self, max: usize) -> Batches {
        self.max_batch_size = max;
        self
    }

    /// Bytes taken by the batches yielded so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// Bytes after the batches yielded so far (a partial batch once iteration has ended).
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn next_entry(&mut self) -> Result<Option<Batch>> {
        let rest = &self.buf[self.pos..];
        if rest.len() < layout::LOG_OVERHEAD {
            return Ok(None);
        }
        let size = i32::from_be_bytes([rest[8], rest[9], rest[10], rest[11]]);
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s >= MIN_MESSAGE_SIZE_V0)
            .ok_or(RecordsError::BadLength {
                what: "batch",
                length: i64::from(size),
                minimum: MIN_MESSAGE_SIZE_V0,
            })?;
        let total = layout::LOG_OVERHEAD + size;
        if total > self.max_batch_size {
            return Err(RecordsError::BatchTooLarge {
                size: total,
                max: self.max_batch_size,
            });
        }
        if rest.len() < HEADER_UP_TO_MAGIC || rest.len() < total {
            return Ok(None);
        }
        let bytes = self.buf.slice(self.pos..self.pos + total);
        let batch = match rest[layout::MAGIC] as i8 {
            2 => Batch::V2(RecordBatch::parse(bytes)?),
            0 | 1 => Batch::Legacy(LegacyMessage::parse(bytes)?),
            magic => return Err(RecordsError::BadMagic { magic }),
        };
        self.pos += total;
        Ok(Some(batch))
    }
}

impl Iterator for Batches {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(batch)) => Some(Ok(batch)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::records::batch::BatchHeaderMut;
    use crate::protocol::records::batch::tests::hand_built_batch;
    use crate::protocol::records::legacy::tests::legacy_message;

    fn batch_at(offset: i64) -> Vec<u8> {
        let mut b = hand_built_batch();
        BatchHeaderMut::new(&mut b).unwrap().set_base_offset(offset);
        b
    }

    #[test]
    fn walks_batches_and_stops_at_a_partial_tail() {
        let mut buf = Vec::new();
        for o in [0, 1, 2] {
            buf.extend_from_slice(&batch_at(o));
        }
        let whole = buf.len();
        let one = batch_at(3);
        // Every possible cut of a fourth batch (including cuts inside the 12- and 17-byte
        // prefixes) stops cleanly after the three complete ones.
        for cut in 0..one.len() {
            let mut b = buf.clone();
            b.extend_from_slice(&one[..cut]);
            let mut it = Batches::new(Bytes::from(b));
            let offsets: Vec<i64> = it.by_ref().map(|r| r.unwrap().last_offset()).collect();
            assert_eq!(offsets, vec![0, 1, 2], "cut {cut}");
            assert_eq!(it.consumed(), whole);
            assert_eq!(it.remaining(), cut);
        }
        let mut b = buf.clone();
        b.extend_from_slice(&one);
        let mut it = Batches::new(Bytes::from(b));
        assert_eq!(it.by_ref().count(), 4);
        assert_eq!(it.remaining(), 0);
    }

    #[test]
    fn mixed_magics_report_offsets_and_sizes() {
        let mut buf = legacy_message(0, 10, Some(b"a"), Some(b"b"));
        buf.extend_from_slice(&legacy_message(1, 11, None, Some(b"cc")));
        buf.extend_from_slice(&batch_at(12));
        let entries: Vec<Batch> = Batches::new(Bytes::from(buf.clone()))
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries.iter().map(Batch::magic).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert_eq!(
            entries.iter().map(Batch::next_offset).collect::<Vec<_>>(),
            vec![11, 12, 13]
        );
        assert_eq!(entries[1].base_offset(), Some(11));
        assert_eq!(entries.iter().map(Batch::size).sum::<usize>(), buf.len());
        for e in &entries {
            e.validate().unwrap();
        }
    }

    #[test]
    fn bad_sizes_and_magics_end_the_walk_with_an_error() {
        let mut bad = batch_at(0);
        bad[8..12].copy_from_slice(&13i32.to_be_bytes());
        let mut it = Batches::new(Bytes::from(bad));
        assert!(matches!(
            it.next(),
            Some(Err(RecordsError::BadLength { length: 13, .. }))
        ));
        assert!(it.next().is_none());
        assert_eq!(it.consumed(), 0);

        // A v2 batch with a size that suits v0 but not v2.
        let mut bad = batch_at(0);
        bad[8..12].copy_from_slice(&20i32.to_be_bytes());
        assert!(matches!(
            Batches::new(Bytes::from(bad)).next(),
            Some(Err(RecordsError::BadLength { .. }))
        ));

        let mut bad = batch_at(0);
        bad[16] = 3;
        assert!(matches!(
            Batches::new(Bytes::from(bad)).next(),
            Some(Err(RecordsError::BadMagic { magic: 3 }))
        ));

        let big = batch_at(0);
        let n = big.len();
        let mut it = Batches::new(Bytes::from(big)).with_max_batch_size(n - 1);
        assert!(matches!(
            it.next(),
            Some(Err(RecordsError::BatchTooLarge { .. }))
        ));
        // The size check happens before the whole batch has arrived.
        let partial = batch_at(0)[..20].to_vec();
        let mut it = Batches::new(Bytes::from(partial)).with_max_batch_size(n - 1);
        assert!(matches!(
            it.next(),
            Some(Err(RecordsError::BatchTooLarge { .. }))
        ));
    }
}
