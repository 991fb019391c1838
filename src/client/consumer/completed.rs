//! One partition's records from one fetch response, handed out one record at a time as
//! zero-copy slices of the response (or of a batch's decompressed body). Pure: no sockets.
//!
//! What a consumer must not show is dropped here: a partial batch at the end of the
//! response (cut by the fetch's byte limits), control batches (transaction markers),
//! records below the requested offset inside a batch that starts earlier (a fetch returns
//! whole batches, and compacted or compressed batches start before the offset asked for),
//! and, under read_committed, the batches of aborted transactions (the response lists each
//! aborted transaction's producer id and first offset; its batches are skipped until that
//! producer's ABORT marker).

use bytes::Bytes;

use crate::protocol::records::{
    Batch, Batches, ControlType, DEFAULT_DECOMPRESSION_LIMIT, Header, Records, RecordsError,
    TimestampType,
};

/// A transaction the broker reported as aborted: `(producer id, first offset)`.
pub type AbortedTxn = (i64, i64);

/// One record as the consumer hands it out; key, value and header values are slices of
/// the fetched (or decompressed) buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedRecord {
    pub offset: i64,
    /// Milliseconds since the epoch (-1 for magic 0 messages).
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    /// Empty (and unallocated) for records without headers.
    pub headers: Vec<Header>,
}

/// The records of one partition's fetch data, in offset order.
#[derive(Debug)]
pub struct CompletedFetch {
    batches: Batches,
    current: Option<(Records, TimestampType)>,
    /// Records below this offset are skipped.
    fetch_offset: i64,
    /// The offset after the last record or batch consumed so far.
    next_offset: i64,
    check_crcs: bool,
    /// Aborted transactions not yet reached, sorted by first offset (read_committed only).
    aborted: Vec<AbortedTxn>,
    next_aborted: usize,
    /// Producers whose current transaction is aborted: their data batches are skipped.
    aborting: Vec<i64>,
    read_committed: bool,
}

impl CompletedFetch {
    /// Walks `records`, the data returned for a fetch at `fetch_offset`. `aborted` is the
    /// response's aborted-transaction list; it only matters when `read_committed`.
    pub fn new(
        records: Bytes,
        fetch_offset: i64,
        check_crcs: bool,
        read_committed: bool,
        mut aborted: Vec<AbortedTxn>,
    ) -> CompletedFetch {
        aborted.sort_by_key(|a| a.1);
        CompletedFetch {
            batches: Batches::new(records),
            current: None,
            fetch_offset,
            next_offset: fetch_offset,
            check_crcs,
            aborted,
            next_aborted: 0,
            aborting: Vec::new(),
            read_committed,
        }
    }

    /// The offset after everything consumed so far: where the next fetch of this partition
    /// starts once this one is drained.
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    /// The next record to hand out, `None` when the fetched data is exhausted. An error
    /// (a corrupt batch) ends the walk; the position stays at the bad batch.
    pub fn next_record(&mut self) -> Result<Option<FetchedRecord>, RecordsError> {
        loop {
            if let Some((records, ts_type)) = &mut self.current {
                match records.next() {
                    Some(Ok(r)) => {
                        if r.offset < self.fetch_offset {
                            continue;
                        }
                        return Ok(Some(FetchedRecord {
                            offset: r.offset,
                            timestamp: r.timestamp,
                            timestamp_type: *ts_type,
                            key: r.key,
                            value: r.value,
                            headers: r.headers,
                        }));
                    }
                    Some(Err(e)) => {
                        self.current = None;
                        return Err(e);
                    }
                    None => self.current = None,
                }
            }
            let Some(batch) = self.batches.next() else {
                return Ok(None);
            };
            let batch = batch?;
            if self.check_crcs {
                batch.validate()?;
            }
            match batch {
                Batch::V2(b) => {
                    let next = b.next_offset();
                    if next <= self.fetch_offset {
                        continue;
                    }
                    let skip = self.skip_for_transaction(&b)?;
                    // The batch is consumed (or skipped) as a whole: the position moves past
                    // it even when its records are never handed out.
                    self.next_offset = self.next_offset.max(next);
                    if skip {
                        continue;
                    }
                    let records = b.records(DEFAULT_DECOMPRESSION_LIMIT)?;
                    self.current = Some((records, b.timestamp_type()));
                }
                Batch::Legacy(m) => {
                    let offset = m.offset();
                    if offset < self.fetch_offset {
                        continue;
                    }
                    self.next_offset = self.next_offset.max(offset.saturating_add(1));
                    if m.compression()? != crate::protocol::records::Compression::None {
                        // Unpacking magic 0/1 wrappers is not implemented; their inner
                        // messages are skipped rather than shown as compressed bytes.
                        tracing::warn!(
                            "skipping a compressed magic {} message set ending at offset {offset}",
                            m.magic()
                        );
                        continue;
                    }
                    let (key, value) = m.key_value()?;
                    return Ok(Some(FetchedRecord {
                        offset,
                        timestamp: m.timestamp().unwrap_or(-1),
                        timestamp_type: m.timestamp_type(),
                        key,
                        value,
                        headers: Vec::new(),
                    }));
                }
            }
        }
    }

    /// Whether batch `b` is hidden from the application: control batches always, data of
    /// aborted transactions under read_committed. Tracks the aborted-transaction state.
    fn skip_for_transaction(
        &mut self,
        b: &crate::protocol::records::RecordBatch,
    ) -> Result<bool, RecordsError> {
        if !self.read_committed {
            return Ok(b.is_control());
        }
        let pid = b.producer_id();
        // Every aborted transaction that starts at or before this batch's end is now open.
        while let Some(&(p, first)) = self.aborted.get(self.next_aborted) {
            if first > b.last_offset() {
                break;
            }
            if !self.aborting.contains(&p) {
                self.aborting.push(p);
            }
            self.next_aborted += 1;
        }
        if b.is_control() {
            // An ABORT marker closes that producer's aborted transaction.
            let mut records = b.records(DEFAULT_DECOMPRESSION_LIMIT)?;
            if let Some(Ok(r)) = records.next()
                && let Ok(key) = r.control_key()
                && key.control_type == ControlType::Abort
            {
                self.aborting.retain(|p| *p != pid);
            }
            return Ok(true);
        }
        Ok(b.is_transactional() && self.aborting.contains(&pid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::records::{
        BatchBuilder, BatchHeaderMut, Compression, end_txn_marker_batch,
    };

    fn batch(base: i64, n: usize, codec: Compression) -> Vec<u8> {
        let mut b = BatchBuilder::new(codec).base_offset(base);
        for i in 0..n {
            let v = format!("v{}", base + i as i64);
            b.append(1000 + i as i64, Some(b"k"), Some(v.as_bytes()), &[])
                .unwrap();
        }
        b.build().unwrap().to_vec()
    }

    fn marker(base: i64, pid: i64, kind: ControlType) -> Vec<u8> {
        let mut m = end_txn_marker_batch(pid, 0, kind, 0, 1000)
            .unwrap()
            .to_vec();
        BatchHeaderMut::new(&mut m).unwrap().set_base_offset(base);
        m
    }

    fn values(cf: &mut CompletedFetch) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(r) = cf.next_record().unwrap() {
            out.push(String::from_utf8(r.value.unwrap().to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn skips_records_before_the_fetch_offset_and_a_partial_tail() {
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let mut buf = batch(0, 5, codec);
            buf.extend(batch(5, 3, codec));
            let tail = batch(8, 3, codec);
            buf.extend_from_slice(&tail[..tail.len() - 7]);
            let mut cf = CompletedFetch::new(Bytes::from(buf), 3, true, false, Vec::new());
            assert_eq!(values(&mut cf), ["v3", "v4", "v5", "v6", "v7"], "{codec:?}");
            assert_eq!(cf.next_offset(), 8);
        }
    }

    #[test]
    fn control_batches_are_skipped_but_advance_the_position() {
        let mut buf = batch(0, 2, Compression::None);
        buf.extend(marker(2, 7, ControlType::Commit));
        let mut cf = CompletedFetch::new(Bytes::from(buf), 0, true, false, Vec::new());
        assert_eq!(values(&mut cf), ["v0", "v1"]);
        assert_eq!(cf.next_offset(), 3);
    }

    #[test]
    fn a_corrupt_batch_is_an_error() {
        let mut buf = batch(0, 2, Compression::None);
        let last = buf.len() - 1;
        buf[last] ^= 0xff;
        let mut cf = CompletedFetch::new(Bytes::from(buf), 0, true, false, Vec::new());
        assert!(cf.next_record().is_err());
    }

    fn txn_batch(base: i64, pid: i64, n: usize) -> Vec<u8> {
        let mut b = BatchBuilder::new(Compression::None)
            .base_offset(base)
            .producer(pid, 0, 0)
            .transactional(true);
        for i in 0..n {
            let v = format!("p{pid}-{}", base + i as i64);
            b.append(1000, None, Some(v.as_bytes()), &[]).unwrap();
        }
        b.build().unwrap().to_vec()
    }

    #[test]
    fn read_committed_drops_aborted_transactions() {
        let mut buf = txn_batch(0, 1, 2); // pid 1 aborted
        buf.extend(txn_batch(2, 2, 1)); // pid 2 committed
        buf.extend(marker(3, 1, ControlType::Abort));
        buf.extend(marker(4, 2, ControlType::Commit));
        buf.extend(txn_batch(5, 1, 1)); // pid 1 again, committed later
        let bytes = Bytes::from(buf);
        let mut cf = CompletedFetch::new(bytes.clone(), 0, true, true, vec![(1, 0)]);
        assert_eq!(values(&mut cf), ["p2-2", "p1-5"]);
        assert_eq!(cf.next_offset(), 6);
        let mut all = CompletedFetch::new(bytes, 0, true, false, vec![(1, 0)]);
        assert_eq!(values(&mut all), ["p1-0", "p1-1", "p2-2", "p1-5"]);
    }
}
