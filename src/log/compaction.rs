//! Log compaction (`cleanup.policy=compact`): keeps the latest record of each key in the
//! segments that may be cleaned, drops tombstones (null values) once their segment is older
//! than `delete.retention.ms`, never changes an offset, and writes every rewritten batch
//! with a valid CRC.
//!
//! Scope of this first version: every inactive segment wholly below the high watermark is
//! cleaned, one segment at a time (no grouping of small segments); control and
//! transactional batches are kept whole; a batch whose records all survive is copied
//! byte for byte; a batch keeps its baseOffset, lastOffsetDelta, timestamps and producer
//! fields, so offsets and idempotence state do not move.
//!
//! Crash-safe swap, as Kafka does it: the cleaned segment is written to `<base>.log.cleaned`
//! and fsynced, renamed to `<base>.log.swap` (directory fsynced), the segment's indexes are
//! removed, and the swap file is renamed over `<base>.log`; the segment is then reopened,
//! which rebuilds its indexes. On open, a `.cleaned` file is discarded (the original is
//! intact) and a `.swap` file completes its rename (it was complete and durable).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use bytes::Bytes;

use super::error::{LogError, Result, io_err};
use crate::protocol::records::batch::layout;
use crate::protocol::records::compression::compress;
use crate::protocol::records::varint::{put_varint, put_varlong};
use crate::protocol::records::{
    BatchHeaderMut, Compression, DEFAULT_DECOMPRESSION_LIMIT, Record, RecordBatch, RecordsError,
};

/// Suffix of a cleaned segment being written.
pub const CLEANED_SUFFIX: &str = ".cleaned";
/// Suffix of a cleaned segment ready to replace the original.
pub const SWAP_SUFFIX: &str = ".swap";

/// The latest offset of every key seen in the cleanable range.
#[derive(Debug, Default)]
pub struct OffsetMap {
    latest: HashMap<Vec<u8>, i64>,
}

impl OffsetMap {
    /// Records the keys of a batch's records (control batches carry no user keys).
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), RecordsError> {
        if batch.is_control() {
            return Ok(());
        }
        for r in batch.records(DEFAULT_DECOMPRESSION_LIMIT)? {
            let r = r?;
            if let Some(k) = r.key {
                let e = self.latest.entry(k.to_vec()).or_insert(r.offset);
                *e = (*e).max(r.offset);
            }
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// Whether `r` is the latest record of its key (records without a key are kept).
    fn is_latest(&self, r: &Record) -> bool {
        match &r.key {
            Some(k) => self.latest.get(&k[..]).is_none_or(|o| *o == r.offset),
            None => true,
        }
    }
}

/// What to do with one batch.
#[derive(Debug)]
pub enum Cleaned {
    /// Every record survives: copy the batch as it is.
    Keep,
    /// No record survives.
    Drop,
    /// Some survive: the re-encoded batch (same base offset and lastOffsetDelta).
    Rewrite(Bytes),
}

/// Decides a batch's fate: records that are the latest of their key survive, except
/// tombstones when `drop_tombstones`.
pub fn clean_batch(
    batch: &RecordBatch,
    map: &OffsetMap,
    drop_tombstones: bool,
) -> Result<Cleaned, RecordsError> {
    if batch.is_control() || batch.is_transactional() {
        return Ok(Cleaned::Keep);
    }
    let mut kept = Vec::new();
    let mut total = 0usize;
    for r in batch.records(DEFAULT_DECOMPRESSION_LIMIT)? {
        let r = r?;
        total += 1;
        let tombstone = r.value.is_none();
        if map.is_latest(&r) && !(tombstone && drop_tombstones) {
            kept.push(r);
        }
    }
    if kept.len() == total {
        return Ok(Cleaned::Keep);
    }
    if kept.is_empty() {
        return Ok(Cleaned::Drop);
    }
    encode_subset(batch, &kept).map(Cleaned::Rewrite)
}

fn put_nullable(out: &mut Vec<u8>, b: Option<&[u8]>) -> Result<(), RecordsError> {
    match b {
        None => put_varint(out, -1),
        Some(b) => {
            let n = i32::try_from(b.len()).map_err(|_| RecordsError::Build {
                reason: "a length does not fit in an int32",
            })?;
            put_varint(out, n);
            out.extend_from_slice(b);
        }
    }
    Ok(())
}

fn encode_record(r: &Record, out: &mut Vec<u8>) -> Result<(), RecordsError> {
    let mut body = Vec::with_capacity(32);
    body.push(r.attributes as u8);
    put_varlong(&mut body, r.timestamp_delta);
    put_varint(&mut body, r.offset_delta);
    put_nullable(&mut body, r.key.as_deref())?;
    put_nullable(&mut body, r.value.as_deref())?;
    let n = i32::try_from(r.headers.len()).map_err(|_| RecordsError::Build {
        reason: "too many headers",
    })?;
    put_varint(&mut body, n);
    for h in &r.headers {
        put_nullable(&mut body, Some(&h.key))?;
        put_nullable(&mut body, h.value.as_deref())?;
    }
    let len = i32::try_from(body.len()).map_err(|_| RecordsError::Build {
        reason: "record too large",
    })?;
    put_varint(out, len);
    out.extend_from_slice(&body);
    Ok(())
}

/// Re-encodes `records` (a subset of `batch`'s, in order) under `batch`'s header: same base
/// offset, lastOffsetDelta, timestamps, producer fields and codec; new count, length, CRC.
pub fn encode_subset(batch: &RecordBatch, records: &[Record]) -> Result<Bytes, RecordsError> {
    let mut plain = Vec::new();
    for r in records {
        encode_record(r, &mut plain)?;
    }
    let header = batch
        .as_bytes()
        .get(..layout::HEADER_LEN)
        .ok_or(RecordsError::TooShort {
            what: "record batch header",
            needed: layout::HEADER_LEN,
            available: batch.as_bytes().len(),
        })?;
    let mut out = header.to_vec();
    let codec = batch.compression()?;
    match codec {
        Compression::None => out.extend_from_slice(&plain),
        codec => compress(codec, None, &plain, &mut out)
            .map_err(|source| RecordsError::Compression { codec, source })?,
    }
    let length =
        i32::try_from(out.len() - layout::LOG_OVERHEAD).map_err(|_| RecordsError::Build {
            reason: "batch too large",
        })?;
    let count = i32::try_from(records.len()).map_err(|_| RecordsError::Build {
        reason: "too many records",
    })?;
    out[layout::BATCH_LENGTH..layout::BATCH_LENGTH + 4].copy_from_slice(&length.to_be_bytes());
    out[layout::RECORD_COUNT..layout::RECORD_COUNT + 4].copy_from_slice(&count.to_be_bytes());
    BatchHeaderMut::new(&mut out)?.update_crc();
    Ok(Bytes::from(out))
}

/// Writes `parts` to `<log path>.cleaned`, fsyncs it and renames it to `<log path>.swap`
/// (directory fsynced). Returns the swap file's path.
pub fn write_swap(log_path: &Path, parts: &[Bytes]) -> Result<std::path::PathBuf> {
    let with = |suffix: &str| {
        let mut p = log_path.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let cleaned = with(CLEANED_SUFFIX);
    let swap = with(SWAP_SUFFIX);
    let mut f = std::fs::File::create(&cleaned).map_err(io_err("create", &cleaned))?;
    for p in parts {
        f.write_all(p).map_err(io_err("write", &cleaned))?;
    }
    f.sync_all().map_err(io_err("fsync", &cleaned))?;
    drop(f);
    std::fs::rename(&cleaned, &swap).map_err(io_err("rename", &cleaned))?;
    if let Some(dir) = log_path.parent() {
        super::checkpoint::fsync_dir(dir)?;
    }
    Ok(swap)
}

/// Completes an interrupted swap found at open: `<x>.log.swap` replaces `<x>.log`, whose
/// indexes are removed so they are rebuilt.
pub fn complete_swap(swap: &Path) -> Result<()> {
    let name = swap
        .to_str()
        .and_then(|s| s.strip_suffix(SWAP_SUFFIX))
        .ok_or_else(|| {
            LogError::io(
                "complete swap",
                swap,
                std::io::Error::other("not a .swap file"),
            )
        })?;
    let target = std::path::PathBuf::from(name);
    for kind in [
        super::files::SegmentFileKind::Index,
        super::files::SegmentFileKind::TimeIndex,
    ] {
        if let Some(p) = super::files::sibling(&target, kind) {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(LogError::io("remove", &p, e)),
            }
        }
    }
    std::fs::rename(swap, &target).map_err(io_err("rename", swap))?;
    if let Some(dir) = target.parent() {
        super::checkpoint::fsync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::records::BatchBuilder;

    #[test]
    fn a_subset_keeps_offsets_headers_and_a_valid_crc() {
        for codec in [Compression::None, Compression::Zstd, Compression::Lz4] {
            let mut b = BatchBuilder::new(codec).base_offset(100).producer(7, 1, 40);
            for i in 0..4i64 {
                let v = format!("v{i}");
                b.append(
                    1000 + i,
                    Some(b"k"),
                    (i != 3).then_some(v.as_bytes()),
                    &[("h", Some(b"x".as_slice()))],
                )
                .unwrap();
            }
            let batch = RecordBatch::parse(b.build().unwrap()).unwrap();
            let all: Vec<Record> = batch
                .records(DEFAULT_DECOMPRESSION_LIMIT)
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            let subset = vec![all[0].clone(), all[2].clone()];
            let out = RecordBatch::parse(encode_subset(&batch, &subset).unwrap()).unwrap();
            out.validate().unwrap();
            assert_eq!(out.base_offset(), 100);
            assert_eq!(out.last_offset(), 103, "lastOffsetDelta is kept");
            assert_eq!(out.record_count(), 2);
            assert_eq!((out.producer_id(), out.base_sequence()), (7, 40));
            let got: Vec<Record> = out
                .records(DEFAULT_DECOMPRESSION_LIMIT)
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert_eq!(got, subset);

            // The map keeps the last record of "k" (a tombstone at 103).
            let mut map = OffsetMap::default();
            map.add_batch(&batch).unwrap();
            assert!(matches!(
                clean_batch(&batch, &map, true).unwrap(),
                Cleaned::Drop
            ));
            match clean_batch(&batch, &map, false).unwrap() {
                Cleaned::Rewrite(b) => {
                    let b = RecordBatch::parse(b).unwrap();
                    assert_eq!(b.record_count(), 1);
                    b.validate().unwrap();
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
