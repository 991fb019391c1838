//! Reading a `.log` file batch by batch, the way Kafka's `FileLogInputStream` frames it, without
//! loading the file: each step reads one 17-byte prefix (offset, size, magic) and then exactly
//! that batch. Sizes are checked against the end of the range being read before any buffer is
//! allocated, so a corrupt size field cannot make the reader allocate more than the file holds.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use bytes::Bytes;

/// offset int64 + size int32 + the magic byte, common to every magic.
const HEADER_UP_TO_MAGIC: u64 = 17;
/// offset int64 + size int32.
const LOG_OVERHEAD: u64 = 12;
/// Smallest size field of any message format (magic 0).
const MIN_SIZE: i32 = 14;
/// Where a v2 batch's lastOffsetDelta ends.
const V2_LAST_OFFSET_DELTA_END: usize = 27;

/// One step of reading.
#[derive(Debug)]
pub enum Next {
    /// A whole batch (or legacy message), its bytes and its position in the file.
    Batch { position: u64, bytes: Bytes },
    /// Nothing more that is a whole batch within the range (maybe a partial tail).
    End,
    /// The size field at `position` is impossible; nothing after it can be framed.
    Corrupt { position: u64, size: i32 },
}

/// Sequential batch reader over a byte range of one segment file.
#[derive(Debug)]
pub struct SegmentReader {
    file: BufReader<File>,
    len: u64,
    pos: u64,
    end: u64,
    done: bool,
}

impl SegmentReader {
    /// Opens `path` for reading batches from position 0 up to `limit` bytes.
    pub fn open(path: &Path, limit: u64) -> io::Result<SegmentReader> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let len = meta.len();
        Ok(SegmentReader {
            file: BufReader::with_capacity(64 * 1024, file),
            len,
            pos: 0,
            end: len.min(limit),
            done: false,
        })
    }

    /// File size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Position of the next batch (after the last one returned).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Restarts reading at `start`, for at most `limit` bytes.
    pub fn reset(&mut self, start: u64, limit: u64) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(start))?;
        self.pos = start;
        self.end = self.len.min(start.saturating_add(limit));
        self.done = false;
        Ok(())
    }

    /// Reads the offset/size prefix of the next batch; `Err(Next)` when there is none.
    fn prefix(&mut self) -> io::Result<Result<([u8; 17], u64), Next>> {
        // Kafka stops when the prefix would reach the end of the range.
        if self.done || self.pos.saturating_add(HEADER_UP_TO_MAGIC) >= self.end {
            self.done = true;
            return Ok(Err(Next::End));
        }
        let mut header = [0u8; HEADER_UP_TO_MAGIC as usize];
        self.file.read_exact(&mut header)?;
        let size = i32::from_be_bytes([header[8], header[9], header[10], header[11]]);
        if size < MIN_SIZE {
            self.done = true;
            return Ok(Err(Next::Corrupt {
                position: self.pos,
                size,
            }));
        }
        // `size` is positive here.
        let total = LOG_OVERHEAD + size as u64;
        if self.pos.saturating_add(total) > self.end {
            self.done = true;
            return Ok(Err(Next::End));
        }
        Ok(Ok((header, total)))
    }

    /// Reads the next whole batch.
    pub fn next_batch(&mut self) -> io::Result<Next> {
        let (header, total) = match self.prefix()? {
            Ok(p) => p,
            Err(next) => return Ok(next),
        };
        // Fits in the file (checked above), so it fits in memory as far as usize goes.
        let total_usize = usize::try_from(total).map_err(io::Error::other)?;
        let mut buf = vec![0u8; total_usize];
        buf[..header.len()].copy_from_slice(&header);
        self.file.read_exact(&mut buf[header.len()..])?;
        let position = self.pos;
        self.pos += total;
        Ok(Next::Batch {
            position,
            bytes: Bytes::from(buf),
        })
    }

    /// The last offset of the first batch at `start` that fits within `limit` bytes, reading
    /// only its header (the batch's base offset plus lastOffsetDelta for magic 2, the message
    /// offset for magic 0/1). `None` when no whole batch is there.
    pub fn first_batch_last_offset(&mut self, start: u64, limit: u64) -> io::Result<Option<i64>> {
        self.reset(start, limit)?;
        let (header, total) = match self.prefix()? {
            Ok(p) => p,
            Err(_) => return Ok(None),
        };
        let offset = i64::from_be_bytes([
            header[0], header[1], header[2], header[3], header[4], header[5], header[6], header[7],
        ]);
        if (header[16] as i8) < 2 {
            return Ok(Some(offset));
        }
        if total < V2_LAST_OFFSET_DELTA_END as u64 {
            return Ok(None);
        }
        let mut rest = [0u8; V2_LAST_OFFSET_DELTA_END - HEADER_UP_TO_MAGIC as usize];
        self.file.read_exact(&mut rest)?;
        let n = rest.len();
        let delta = i32::from_be_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
        Ok(Some(offset.wrapping_add(i64::from(delta))))
    }
}
