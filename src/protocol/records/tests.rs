//! Tests across the records modules: builder -> batch -> records for every codec, record
//! level errors, control batches, and a seeded random-input loop that must never panic.

use bytes::Bytes;

use super::batch::layout;
use super::batch::tests::hand_built_batch;
use super::*;

const LIMIT: usize = DEFAULT_DECOMPRESSION_LIMIT;

fn records_of(batch: &Bytes) -> Vec<Record> {
    let b = RecordBatch::parse(batch.clone()).unwrap();
    b.validate().unwrap();
    b.records(LIMIT)
        .unwrap()
        .collect::<Result<Vec<_>>>()
        .unwrap()
}

/// A batch with assorted records: null key, null value, empty key, duplicate header keys.
fn sample_batch(codec: Compression) -> Bytes {
    let mut b = BatchBuilder::new(codec)
        .base_offset(100)
        .partition_leader_epoch(4)
        .producer(77, 2, 10);
    b.append(1_000, Some(b"k1"), Some(b"v1"), &[]).unwrap();
    b.append(990, None, Some(b"no key"), &[("h", Some(b"x"))])
        .unwrap();
    b.append(
        1_050,
        Some(b"tombstone"),
        None,
        &[("dup", Some(b"1")), ("dup", None), ("dup", Some(b"3"))],
    )
    .unwrap();
    b.append(1_020, Some(b""), Some(&[0u8; 3000]), &[]).unwrap();
    b.build().unwrap()
}

#[test]
fn hand_built_batch_yields_its_record() {
    let raw = Bytes::from(hand_built_batch());
    let recs = records_of(&raw);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].offset, 1234);
    assert_eq!(recs[0].timestamp, 1_700_000_000_000);
    assert_eq!(recs[0].key.as_deref(), Some(&b"k"[..]));
    assert_eq!(recs[0].value.as_deref(), Some(&b"v"[..]));
    assert!(recs[0].headers.is_empty());
}

#[test]
fn builder_output_round_trips_for_every_codec() {
    for codec in Compression::ALL {
        let raw = sample_batch(codec);
        let batch = RecordBatch::parse(raw.clone()).unwrap();
        assert_eq!(batch.size(), raw.len(), "{codec:?}");
        assert_eq!(batch.compression().unwrap(), codec);
        assert_eq!(batch.base_offset(), 100);
        assert_eq!(batch.partition_leader_epoch(), 4);
        assert_eq!(batch.producer_id(), 77);
        assert_eq!(batch.producer_epoch(), 2);
        assert_eq!(batch.base_sequence(), 10);
        assert_eq!(batch.record_count(), 4);
        assert_eq!(batch.last_offset_delta(), 3);
        assert_eq!(batch.last_offset(), 103);
        assert_eq!(batch.base_timestamp(), 1_000);
        assert_eq!(batch.max_timestamp(), 1_050);
        assert!(!batch.is_transactional() && !batch.is_control());
        batch.validate().unwrap();

        let recs = records_of(&raw);
        assert_eq!(
            recs.iter().map(|r| r.offset).collect::<Vec<_>>(),
            vec![100, 101, 102, 103]
        );
        assert_eq!(
            recs.iter().map(|r| r.timestamp).collect::<Vec<_>>(),
            vec![1_000, 990, 1_050, 1_020]
        );
        assert_eq!(recs[0].key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(recs[1].key, None);
        assert_eq!(recs[1].headers[0].key_str().unwrap(), "h");
        assert_eq!(recs[2].value, None);
        let dup: Vec<_> = recs[2]
            .headers
            .iter()
            .map(|h| (h.key_str().unwrap(), h.value.as_deref()))
            .collect();
        assert_eq!(
            dup,
            vec![
                ("dup", Some(&b"1"[..])),
                ("dup", None),
                ("dup", Some(&b"3"[..]))
            ]
        );
        assert_eq!(recs[3].key.as_deref(), Some(&b""[..]));
        assert_eq!(recs[3].value.as_deref().map(<[u8]>::len), Some(3000));
    }
}

#[test]
fn uncompressed_records_are_slices_of_the_batch() {
    let raw = sample_batch(Compression::None);
    let recs = records_of(&raw);
    let key = recs[0].key.as_ref().unwrap();
    let range = raw.as_ptr_range();
    assert!(range.contains(&key.as_ptr()), "key was copied");
}

#[test]
fn log_append_time_applies_to_every_record() {
    let raw = sample_batch(Compression::Lz4);
    let mut buf = bytes::BytesMut::from(&raw[..]);
    BatchHeaderMut::new(&mut buf)
        .unwrap()
        .set_max_timestamp(TimestampType::LogAppendTime, 5_000);
    let raw = buf.freeze();
    let recs = records_of(&raw);
    assert!(recs.iter().all(|r| r.timestamp == 5_000));
}

#[test]
fn empty_builder_and_bad_level_are_errors() {
    assert!(matches!(
        BatchBuilder::new(Compression::None).build(),
        Err(RecordsError::Build { .. })
    ));
    let mut b = BatchBuilder::new(Compression::Gzip).compression_level(Some(42));
    b.append(0, None, None, &[]).unwrap();
    assert!(matches!(
        b.build(),
        Err(RecordsError::Compression {
            codec: Compression::Gzip,
            ..
        })
    ));
}

#[test]
fn control_batches_are_recognised() {
    for (ty, epoch) in [(ControlType::Commit, 5), (ControlType::Abort, 6)] {
        let raw = end_txn_marker_batch(900, 3, ty, epoch, 12_345).unwrap();
        let batch = RecordBatch::parse(raw.clone()).unwrap();
        assert!(batch.is_control());
        assert!(batch.is_transactional());
        assert_eq!(batch.producer_id(), 900);
        let recs = records_of(&raw);
        assert_eq!(recs.len(), 1);
        let key = recs[0].control_key().unwrap();
        assert_eq!(key.version, 0);
        assert_eq!(key.control_type, ty);
        let marker = EndTxnMarker::parse(recs[0].value.as_deref().unwrap()).unwrap();
        assert_eq!(marker.coordinator_epoch, epoch);
    }
    assert!(ControlRecordKey::parse(&[0, 0, 0]).is_err());
    assert!(ControlRecordKey::parse(&[0xff, 0xff, 0, 0]).is_err());
    assert_eq!(
        ControlRecordKey::parse(&[0, 1, 0, 9, 0xaa]).unwrap(),
        ControlRecordKey {
            version: 1,
            control_type: ControlType::Other(9)
        }
    );
}

/// Builds an uncompressed batch whose body is `body` and whose header declares `count`
/// records, with a valid CRC.
fn batch_with_body(body: &[u8], count: i32) -> RecordBatch {
    let mut b = BatchBuilder::new(Compression::None);
    b.append(0, None, None, &[]).unwrap();
    let built = b.build().unwrap();
    let mut raw = built[..layout::HEADER_LEN].to_vec();
    raw.extend_from_slice(body);
    let len = (raw.len() - layout::LOG_OVERHEAD) as i32;
    raw[layout::BATCH_LENGTH..][..4].copy_from_slice(&len.to_be_bytes());
    raw[layout::RECORD_COUNT..][..4].copy_from_slice(&count.to_be_bytes());
    BatchHeaderMut::new(&mut raw).unwrap().update_crc();
    RecordBatch::parse(Bytes::from(raw)).unwrap()
}

fn first_error(batch: &RecordBatch) -> RecordsError {
    match batch.records(LIMIT) {
        Err(e) => e,
        Ok(it) => it
            .filter_map(|r| r.err())
            .next()
            .expect("expected an error"),
    }
}

/// One minimal record: length 6, attributes, tsDelta 0, offsetDelta `delta`, null key,
/// null value, no headers.
fn minimal_record(delta: u8) -> Vec<u8> {
    vec![12, 0, 0, delta << 1, 1, 1, 0]
}

#[test]
fn record_count_must_match_the_body() {
    let mut two = minimal_record(0);
    two.extend(minimal_record(1));
    assert_eq!(batch_with_body(&two, 2).records(LIMIT).unwrap().count(), 2);
    assert!(matches!(
        first_error(&batch_with_body(&two, 3)),
        RecordsError::RecordCountMismatch {
            declared: 3,
            found: 2
        }
    ));
    assert!(matches!(
        first_error(&batch_with_body(&two, 1)),
        RecordsError::TrailingBytes {
            declared: 1,
            trailing: 7
        }
    ));
    assert!(matches!(
        first_error(&batch_with_body(&two, -1)),
        RecordsError::BadHeaderField { .. }
    ));
}

#[test]
fn record_lengths_are_checked() {
    // Record length larger than the body.
    let mut r = minimal_record(0);
    r[0] = 40;
    assert!(matches!(
        first_error(&batch_with_body(&r, 1)),
        RecordsError::BadFieldLength {
            field: "record",
            ..
        }
    ));
    // Record length shorter than its fields.
    let mut r = minimal_record(0);
    r[0] = 8; // 4 bytes: the fields need 6
    r.truncate(5);
    assert!(matches!(
        first_error(&batch_with_body(&r, 1)),
        RecordsError::BadFieldLength { .. } | RecordsError::Varint { .. }
    ));
    // Record length longer than its fields (one spare byte inside the record).
    let mut r = minimal_record(0);
    r[0] = 14;
    r.push(0);
    assert!(matches!(
        first_error(&batch_with_body(&r, 1)),
        RecordsError::RecordSizeMismatch {
            declared: 7,
            used: 6
        }
    ));
    // Key length -2 and key length past the record.
    for bad_key in [3u8, 40] {
        let mut r = minimal_record(0);
        r[4] = bad_key;
        assert!(matches!(
            first_error(&batch_with_body(&r, 1)),
            RecordsError::BadFieldLength { field: "key", .. }
        ));
    }
    // Negative and huge header counts.
    for count in [1u8, 0x7e] {
        let mut r = minimal_record(0);
        r[6] = count;
        assert!(matches!(
            first_error(&batch_with_body(&r, 1)),
            RecordsError::BadFieldLength { .. } | RecordsError::Varint { .. }
        ));
    }
    // An overlong varint as offsetDelta.
    let r = vec![
        20, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 1, 0, 0, 0, 0,
    ];
    assert!(matches!(
        first_error(&batch_with_body(&r[..11], 1)),
        RecordsError::Varint {
            field: "offsetDelta",
            ..
        }
    ));
}

#[test]
fn corrupt_compressed_body_is_a_typed_error() {
    for codec in Compression::ALL.into_iter().skip(1) {
        let raw = sample_batch(codec);
        let mut bytes = raw[..layout::HEADER_LEN].to_vec();
        bytes.extend((0..500u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        let len = (bytes.len() - layout::LOG_OVERHEAD) as i32;
        bytes[layout::BATCH_LENGTH..][..4].copy_from_slice(&len.to_be_bytes());
        BatchHeaderMut::new(&mut bytes).unwrap().update_crc();
        let batch = RecordBatch::parse(Bytes::from(bytes)).unwrap();
        batch.validate().unwrap();
        match first_error(&batch) {
            RecordsError::Compression { codec: c, .. } => assert_eq!(c, codec),
            other => panic!("{codec:?}: unexpected {other:?}"),
        }
    }
    // A decompression limit below the body size is reported as such.
    let batch = RecordBatch::parse(sample_batch(Compression::Gzip)).unwrap();
    assert!(matches!(
        batch.records(100),
        Err(RecordsError::Compression {
            source: CompressionError::TooLarge { limit: 100 },
            ..
        })
    ));
}

/// xorshift64*: a tiny deterministic PRNG so the random-input test is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Runs every reader over `buf`; the results do not matter, only that nothing panics.
fn exercise(buf: Bytes) {
    for entry in Batches::new(buf.clone()).with_max_batch_size(1 << 20) {
        let Ok(entry) = entry else { break };
        let _ = entry.validate();
        match entry {
            Batch::V2(b) => {
                let _ = (b.last_offset(), b.next_offset(), b.last_sequence());
                if let Ok(records) = b.records(1 << 20) {
                    for r in records.map_while(|r| r.ok()) {
                        let _ = r.control_key();
                        for h in &r.headers {
                            let _ = h.key_str();
                        }
                    }
                }
            }
            Batch::Legacy(m) => {
                let _ = (m.key_value(), m.timestamp(), m.compression());
            }
        }
    }
    let _ = RecordBatch::parse(buf.clone());
    let mut m = buf.to_vec();
    if let Ok(mut h) = BatchHeaderMut::new(&mut m) {
        h.set_max_timestamp(TimestampType::LogAppendTime, 1);
    }
    for codec in Compression::ALL {
        let _ = compression::decompress(codec, &buf, 1 << 20);
    }
    let _ = varint::decode_varlong(&buf);
}

#[test]
fn random_and_mutated_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Bytes> = Compression::ALL.into_iter().map(sample_batch).collect();
    for i in 0..3000 {
        let buf = if i % 3 == 0 {
            // Pure noise, sometimes with a plausible prefix (size and magic 2).
            let len = rng.below(200);
            let mut v: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if v.len() > 17 && rng.below(2) == 0 {
                let size = (len - 12) as i32;
                v[8..12].copy_from_slice(&size.to_be_bytes());
                v[16] = 2;
            }
            v
        } else {
            // A valid batch with a few bytes changed (CRC fixed half the time so the
            // record and codec readers see the damage).
            let mut v = seeds[rng.below(seeds.len())].to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(v.len());
                v[at] = rng.next() as u8;
            }
            if rng.below(4) == 0 {
                v.truncate(rng.below(v.len()));
            }
            if rng.below(2) == 0 {
                if let Ok(mut h) = BatchHeaderMut::new(&mut v) {
                    h.update_crc();
                }
            }
            v
        };
        exercise(Bytes::from(buf));
    }
}
