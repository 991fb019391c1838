//! Fuzzes everything that reads record data from the network or disk: walking concatenated
//! batches, validating them (v2 CRC32C and header rules, legacy CRC-32), iterating records
//! (decompressing with a small limit), control records, legacy key/value and wrapper
//! decompression, and the in-place header rewrite. Nothing may panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rkafka::protocol::records::compression::decompress;
use rkafka::protocol::records::{
    Batch, BatchHeaderMut, Batches, Compression, EndTxnMarker, TimestampType,
};

/// Small enough that hostile compressed bodies cannot make a run slow or large.
const LIMIT: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    let buf = Bytes::copy_from_slice(data);
    let mut batches = Batches::new(buf).with_max_batch_size(1 << 20);
    for entry in batches.by_ref() {
        let Ok(entry) = entry else { break };
        let _ = (
            entry.magic(),
            entry.size(),
            entry.base_offset(),
            entry.next_offset(),
        );
        let _ = entry.validate();
        match entry {
            Batch::V2(batch) => {
                let _ = batch.validate_client_append();
                let _ = (
                    batch.last_offset(),
                    batch.last_sequence(),
                    batch.timestamp_type(),
                );
                if let Ok(records) = batch.records(LIMIT) {
                    for record in records {
                        let Ok(record) = record else { break };
                        if batch.is_control() {
                            let _ = record.control_key();
                            if let Some(v) = &record.value {
                                let _ = EndTxnMarker::parse(v);
                            }
                        }
                        for h in &record.headers {
                            let _ = h.key_str();
                        }
                    }
                }
                // The broker's in-place rewrite must keep a batch that was valid valid.
                let was_valid = batch.validate().is_ok();
                let mut raw = batch.as_bytes().to_vec();
                if let Ok(mut header) = BatchHeaderMut::new(&mut raw) {
                    header.set_base_offset(1234);
                    header.set_partition_leader_epoch(5);
                    header.set_max_timestamp(TimestampType::LogAppendTime, 1_700_000_000_000);
                    if was_valid {
                        let rewritten =
                            rkafka::protocol::records::RecordBatch::parse(Bytes::from(raw))
                                .expect("rewritten batch parses");
                        rewritten.validate().expect("rewrite keeps the batch valid");
                    }
                }
            }
            Batch::Legacy(message) => {
                let _ = (message.timestamp(), message.timestamp_type());
                if let (Ok(codec), Ok((_, Some(value)))) =
                    (message.compression(), message.key_value())
                {
                    if codec != Compression::None {
                        // A wrapper's value is itself a buffer of messages.
                        if let Ok(inner) = decompress(codec, &value, LIMIT) {
                            for e in Batches::new(Bytes::from(inner)).take(64) {
                                let Ok(e) = e else { break };
                                let _ = e.validate();
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(batches.consumed() + batches.remaining(), data.len());
});
