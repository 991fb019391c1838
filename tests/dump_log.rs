//! `rkafka dump-log` (kafka-dump-log.sh) run as a user runs it, on segment files written into a
//! temp dir with the records module's builder and hand-written index files: Kafka's exact
//! lines, JSON output, corrupt and truncated files, and Kafka's command-line habits.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use rkafka::log::index::{OffsetPosition, TimestampOffset, encode_offset_index, encode_time_index};
use rkafka::protocol::records::{
    BatchBuilder, Compression, ControlType, RecordBatch, end_txn_marker_batch,
};

const T0: i64 = 1_700_000_000_000;

/// A batch of `values` (keys `k<i>`, no headers) at `base`, timestamps T0, T0+1, ...
fn batch(base: i64, codec: Compression, values: &[&str]) -> Bytes {
    let mut b = BatchBuilder::new(codec).base_offset(base);
    for (i, v) in values.iter().enumerate() {
        let key = format!("k{}", base + i as i64);
        b.append(
            T0 + base + i as i64,
            Some(key.as_bytes()),
            Some(v.as_bytes()),
            &[],
        )
        .unwrap();
    }
    b.build().unwrap()
}

fn write(dir: &Path, name: &str, parts: &[&[u8]]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, parts.concat()).unwrap();
    path
}

fn crc(b: &Bytes) -> u32 {
    RecordBatch::parse(b.clone()).unwrap().crc()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn lines(out: &std::process::Output) -> Vec<String> {
    stdout(out).lines().map(str::to_string).collect()
}

/// The batch line Kafka prints for an uncompressed, non-transactional builder batch.
fn plain_batch_line(b: &Bytes, position: usize, codec: &str) -> String {
    let rb = RecordBatch::parse(b.clone()).unwrap();
    format!(
        "baseOffset: {} lastOffset: {} count: {} baseSequence: -1 lastSequence: -1 producerId: -1 \
         producerEpoch: -1 partitionLeaderEpoch: -1 isTransactional: false isControl: false \
         deleteHorizonMs: OptionalLong.empty position: {position} CreateTime: {} size: {} magic: 2 \
         compresscodec: {codec} crc: {} isvalid: true",
        rb.base_offset(),
        rb.last_offset(),
        rb.record_count(),
        rb.max_timestamp(),
        b.len(),
        crc(b)
    )
}

/// Two batches: offsets 0-1 and 2-4.
fn two_batches(dir: &Path) -> (PathBuf, Bytes, Bytes) {
    let b0 = batch(0, Compression::None, &["a", "bb"]);
    let b1 = batch(2, Compression::None, &["c", "d", "e"]);
    let log = write(dir, "00000000000000000000.log", &[&b0, &b1]);
    (log, b0, b1)
}

#[test]
fn batch_level_dump_matches_kafka() {
    let dir = tempfile::tempdir().unwrap();
    let (log, b0, b1) = two_batches(dir.path());
    let out = rkafka(&["dump-log", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        vec![
            format!("Dumping {}", s(&log)),
            "Log starting offset: 0".to_string(),
            plain_batch_line(&b0, 0, "none"),
            plain_batch_line(&b1, b0.len(), "none"),
        ]
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn deep_iteration_prints_records() {
    let dir = tempfile::tempdir().unwrap();
    let (log, b0, _) = two_batches(dir.path());
    let out = rkafka(&["dump-log", "--deep-iteration", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let l = lines(&out);
    assert_eq!(l.len(), 2 + 2 + 5);
    assert_eq!(l[2], plain_batch_line(&b0, 0, "none"));
    assert_eq!(
        l[3],
        format!("| offset: 0 CreateTime: {T0} keySize: 2 valueSize: 1 sequence: -1 headerKeys: []")
    );
    assert_eq!(
        l[4],
        format!(
            "| offset: 1 CreateTime: {} keySize: 2 valueSize: 2 sequence: -1 headerKeys: []",
            T0 + 1
        )
    );
    assert!(
        l[5].starts_with("baseOffset: 2 lastOffset: 4 count: 3"),
        "{}",
        l[5]
    );
    assert!(l[8].starts_with("| offset: 4 "), "{}", l[8]);
}

#[test]
fn print_data_log_shows_keys_values_headers_and_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BatchBuilder::new(Compression::None)
        .base_offset(10)
        .partition_leader_epoch(3)
        .producer(77, 2, 5);
    b.append(
        T0,
        Some(b"key"),
        Some(b"hello"),
        &[("h1", Some(b"x")), ("h2", None)],
    )
    .unwrap();
    b.append(T0 + 7, None, Some(b"no key"), &[]).unwrap();
    b.append(T0 + 3, Some(b"tomb"), None, &[]).unwrap();
    let b = b.build().unwrap();
    let log = write(dir.path(), "00000000000000000010.log", &[&b]);
    let out = rkafka(&["dump-log", "--print-data-log", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let l = lines(&out);
    assert_eq!(l[1], "Log starting offset: 10");
    assert_eq!(
        l[2],
        format!(
            "baseOffset: 10 lastOffset: 12 count: 3 baseSequence: 5 lastSequence: 7 producerId: 77 \
             producerEpoch: 2 partitionLeaderEpoch: 3 isTransactional: false isControl: false \
             deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: {} size: {} magic: 2 \
             compresscodec: none crc: {} isvalid: true",
            T0 + 7,
            b.len(),
            crc(&b)
        )
    );
    assert_eq!(
        l[3],
        format!(
            "| offset: 10 CreateTime: {T0} keySize: 3 valueSize: 5 sequence: 5 \
             headerKeys: [h1,h2] key: key payload: hello"
        )
    );
    assert_eq!(
        l[4],
        format!(
            "| offset: 11 CreateTime: {} keySize: -1 valueSize: 6 sequence: 6 headerKeys: [] \
             payload: no key",
            T0 + 7
        )
    );
    assert_eq!(
        l[5],
        format!(
            "| offset: 12 CreateTime: {} keySize: 4 valueSize: -1 sequence: 7 headerKeys: [] \
             key: tomb",
            T0 + 3
        )
    );
    assert_eq!(l.len(), 6);

    // Without metadata: Kafka's "| key: ..." and " payload: ..." forms.
    let out = rkafka(&[
        "dump-log",
        "--print-data-log",
        "--skip-record-metadata",
        "--files",
        s(&log),
    ]);
    let l = lines(&out);
    assert_eq!(l[3], "| key: key payload: hello");
    assert_eq!(l[4], " payload: no key");
    assert_eq!(l[5], "| key: tomb");
}

#[test]
fn decoders_imply_print_data_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BatchBuilder::new(Compression::None);
    b.append(
        T0,
        Some(&7i32.to_be_bytes()),
        Some(&(-9i64).to_be_bytes()),
        &[],
    )
    .unwrap();
    let b = b.build().unwrap();
    let log = write(dir.path(), "00000000000000000000.log", &[&b]);
    let out = rkafka(&[
        "dump-log",
        "--files",
        s(&log),
        "--key-decoder-class",
        "kafka.serializer.IntegerDecoder",
        "--value-decoder-class",
        "org.apache.kafka.tools.api.LongDecoder",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        lines(&out)[3].ends_with("key: 7 payload: -9"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("kafka.serializer.IntegerDecoder is deprecated"),
        "{}",
        stderr(&out)
    );
    let out = rkafka(&[
        "dump-log",
        "--files",
        s(&log),
        "--value-decoder-class",
        "bytes",
    ]);
    assert!(
        lines(&out)[3].ends_with(" payload: fffffffffffffff7"),
        "{}",
        stdout(&out)
    );
    let out = rkafka(&[
        "dump-log",
        "--files",
        s(&log),
        "--value-decoder-class",
        "com.x.Mine",
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("com.x.Mine"), "{}", stderr(&out));
}

#[test]
fn compressed_batches_lz4_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let b0 = batch(0, Compression::Lz4, &["one", "two"]);
    let b1 = batch(2, Compression::Gzip, &["three"]);
    let log = write(dir.path(), "00000000000000000000.log", &[&b0, &b1]);
    let out = rkafka(&["dump-log", "--print-data-log", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let l = lines(&out);
    assert_eq!(l[2], plain_batch_line(&b0, 0, "lz4"));
    assert!(l[3].ends_with("key: k0 payload: one"), "{}", l[3]);
    assert!(l[4].ends_with("key: k1 payload: two"), "{}", l[4]);
    assert_eq!(l[5], plain_batch_line(&b1, b0.len(), "gzip"));
    assert!(l[6].starts_with("| offset: 2 "), "{}", l[6]);
    assert!(l[6].ends_with("key: k2 payload: three"), "{}", l[6]);
}

#[test]
fn control_batch_shows_the_transaction_marker() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = BatchBuilder::new(Compression::None)
        .producer(5, 1, 0)
        .transactional(true);
    data.append(T0, Some(b"k"), Some(b"v"), &[]).unwrap();
    let data = data.build().unwrap();
    let marker = end_txn_marker_batch(5, 1, ControlType::Commit, 17, T0 + 5).unwrap();
    let mut m = bytes::BytesMut::from(&marker[..]);
    rkafka::protocol::records::BatchHeaderMut::new(&mut m)
        .unwrap()
        .set_base_offset(1);
    let marker = m.freeze();
    let log = write(dir.path(), "00000000000000000000.log", &[&data, &marker]);
    let out = rkafka(&["dump-log", "--print-data-log", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let l = lines(&out);
    assert!(
        l[2].contains("producerId: 5 producerEpoch: 1 partitionLeaderEpoch: -1 isTransactional: true isControl: false"),
        "{}",
        l[2]
    );
    assert!(l[3].ends_with("key: k payload: v"), "{}", l[3]);
    assert!(
        l[4].starts_with("baseOffset: 1 lastOffset: 1 count: 1 baseSequence: -1 lastSequence: -1 producerId: 5 producerEpoch: 1 partitionLeaderEpoch: -1 isTransactional: true isControl: true"),
        "{}",
        l[4]
    );
    assert_eq!(
        l[5],
        format!(
            "| offset: 1 CreateTime: {} keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] \
             endTxnMarker: COMMIT coordinatorEpoch: 17",
            T0 + 5
        )
    );
}

/// A segment at base 100 with batches of 2 records each, and index files with one entry per
/// batch: offset index (last offset -> position), time index (max timestamp -> last offset).
fn indexed_segment(dir: &Path) -> (PathBuf, PathBuf, PathBuf, Vec<(i64, usize, i64)>) {
    let mut log = Vec::new();
    let mut meta = Vec::new();
    for i in 0..3 {
        let base = 100 + 2 * i;
        let b = batch(base, Compression::None, &["x", "y"]);
        let rb = RecordBatch::parse(b.clone()).unwrap();
        meta.push((rb.last_offset(), log.len(), rb.max_timestamp()));
        log.extend_from_slice(&b);
    }
    let log_path = write(dir, "00000000000000000100.log", &[&log]);
    let idx: Vec<OffsetPosition> = meta
        .iter()
        .map(|(o, p, _)| OffsetPosition {
            offset: *o,
            position: *p as i32,
        })
        .collect();
    let tidx: Vec<TimestampOffset> = meta
        .iter()
        .map(|(o, _, t)| TimestampOffset {
            timestamp: *t,
            offset: *o,
        })
        .collect();
    // Preallocated zero tails, as a broker that crashed leaves them.
    let index = write(
        dir,
        "00000000000000000100.index",
        &[&encode_offset_index(100, &idx).unwrap(), &[0u8; 8 * 4]],
    );
    let timeindex = write(
        dir,
        "00000000000000000100.timeindex",
        &[&encode_time_index(100, &tidx).unwrap()],
    );
    let _ = log_path;
    (index, timeindex, dir.join("00000000000000000100.log"), meta)
}

#[test]
fn index_dump_stops_at_the_zero_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _, _, meta) = indexed_segment(dir.path());
    let out = rkafka(&["dump-log", "--files", s(&index)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut expected = vec![format!("Dumping {}", s(&index))];
    for (o, p, _) in &meta {
        expected.push(format!("offset: {o} position: {p}"));
    }
    assert_eq!(lines(&out), expected);
    assert_eq!(stderr(&out), "");

    let out = rkafka(&["dump-log", "--verify-index-only", "--files", s(&index)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines(&out), expected[..1]);
}

#[test]
fn time_index_dump() {
    let dir = tempfile::tempdir().unwrap();
    let (_, timeindex, _, meta) = indexed_segment(dir.path());
    let out = rkafka(&["dump-log", "--files", s(&timeindex)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut expected = vec![format!("Dumping {}", s(&timeindex))];
    for (o, _, t) in &meta {
        expected.push(format!("timestamp: {t} offset: {o}"));
    }
    assert_eq!(lines(&out), expected);
    assert_eq!(stderr(&out), "");
}

#[test]
fn index_mismatches_are_summarised_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, _, meta) = indexed_segment(dir.path());
    // Point the second entry at the first batch's position.
    let bad = encode_offset_index(
        100,
        &[
            OffsetPosition {
                offset: meta[0].0,
                position: 0,
            },
            OffsetPosition {
                offset: meta[1].0,
                position: 0,
            },
        ],
    )
    .unwrap();
    let index = write(dir.path(), "00000000000000000100.index", &[&bad]);
    let out = rkafka(&["dump-log", "--verify-index-only", "--files", s(&index)]);
    assert_eq!(code(&out), 1);
    let abs = std::path::absolute(&index).unwrap();
    assert!(
        stderr(&out).contains(&format!(
            "Mismatches in :{}\n  Index offset: {}, log offset: {}\n",
            abs.display(),
            meta[1].0,
            meta[0].0
        )),
        "{}",
        stderr(&out)
    );

    // A time index entry whose timestamp is not the batch's.
    let tidx = encode_time_index(
        100,
        &[TimestampOffset {
            timestamp: 5,
            offset: meta[0].0,
        }],
    )
    .unwrap();
    let t = write(dir.path(), "00000000000000000100.timeindex", &[&tidx]);
    let out = rkafka(&["dump-log", "--files", s(&t)]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!(
            "Found timestamp mismatch in :{}\n  Index timestamp: 5, log timestamp: {}\n",
            std::path::absolute(&t).unwrap().display(),
            meta[0].2
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn index_sanity_check() {
    let dir = tempfile::tempdir().unwrap();
    let (index, timeindex, _, _) = indexed_segment(dir.path());
    let out = rkafka(&[
        "dump-log",
        "--index-sanity-check",
        "--files",
        &format!("{},{}", s(&index), s(&timeindex)),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        vec![
            format!("Dumping {}", s(&index)),
            format!("{} passed sanity check.", s(&index)),
            format!("Dumping {}", s(&timeindex)),
            format!("{} passed sanity check.", s(&timeindex)),
        ]
    );
    // A size that is not a whole number of entries.
    let mut bytes = std::fs::read(&index).unwrap();
    bytes.push(1);
    std::fs::write(&index, bytes).unwrap();
    let out = rkafka(&["dump-log", "--index-sanity-check", "--files", s(&index)]);
    assert_eq!(code(&out), 1);
    assert_eq!(lines(&out), vec![format!("Dumping {}", s(&index))]);
    assert!(
        stderr(&out).contains("neither positive nor a multiple of 8"),
        "{}",
        stderr(&out)
    );
    // An empty index.
    let empty = write(dir.path(), "00000000000000000200.index", &[]);
    let out = rkafka(&["dump-log", "--index-sanity-check", "--files", s(&empty)]);
    assert_eq!(code(&out), 0);
    assert_eq!(lines(&out)[1], format!("{} is empty.", s(&empty)));
}

#[test]
fn corrupt_crc_prints_isvalid_false_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let b0 = batch(0, Compression::None, &["a"]);
    let mut b1 = batch(1, Compression::None, &["b"]).to_vec();
    let last = b1.len() - 1;
    b1[last] ^= 0xff; // inside the record, covered by the CRC
    let log = write(dir.path(), "00000000000000000000.log", &[&b0, &b1]);
    let out = rkafka(&["dump-log", "--files", s(&log)]);
    assert_eq!(code(&out), 1);
    let l = lines(&out);
    assert_eq!(l.len(), 4);
    assert!(l[3].ends_with(" isvalid: false"), "{}", l[3]);
    assert!(
        l[3].contains(&format!("position: {} ", b0.len())),
        "{}",
        l[3]
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: batch at position {} (baseOffset 1) is corrupt: checksum mismatch",
            s(&log),
            b0.len()
        )),
        "{err}"
    );
}

#[test]
fn truncated_tail_reports_invalid_bytes_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let b0 = batch(0, Compression::None, &["a"]);
    let b1 = batch(1, Compression::None, &["bbbbbbbbbb"]);
    let cut = 30;
    let log = write(dir.path(), "00000000000000000000.log", &[&b0, &b1[..cut]]);
    let out = rkafka(&["dump-log", "--deep-iteration", "--files", s(&log)]);
    assert_eq!(code(&out), 1);
    let l = lines(&out);
    assert_eq!(l[2], plain_batch_line(&b0, 0, "none"));
    assert_eq!(
        l.last().unwrap(),
        &format!("Found {cut} invalid bytes at the end of 00000000000000000000.log")
    );
    assert!(
        stderr(&out).contains(&format!("position {}", b0.len())),
        "{}",
        stderr(&out)
    );

    // With --max-bytes the unread rest is not an error (Kafka's rule).
    let out = rkafka(&[
        "dump-log",
        "--max-bytes",
        &b0.len().to_string(),
        "--files",
        s(&log),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines(&out).len(), 3);
}

#[test]
fn garbage_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let b0 = batch(0, Compression::None, &["a"]);
    let garbage: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
    let log = write(dir.path(), "00000000000000000000.log", &[&b0, &garbage]);
    let out = rkafka(&["dump-log", "--print-data-log", "--files", s(&log)]);
    assert_eq!(code(&out), 1);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(lines(&out)[2], plain_batch_line(&b0, 0, "none"));
    // A negative size field cannot be framed: named with its position.
    let mut bad = b0.to_vec();
    bad.extend_from_slice(&5i64.to_be_bytes());
    bad.extend_from_slice(&(-3i32).to_be_bytes());
    bad.extend_from_slice(&[2; 20]);
    let log = write(dir.path(), "00000000000000000000.log", &[&bad]);
    let out = rkafka(&["dump-log", "--files", s(&log)]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(&format!("position {}: batch size -3", b0.len())),
        "{}",
        stderr(&out)
    );
    // A bad magic byte inside a well-framed batch.
    let mut bad = batch(0, Compression::None, &["a"]).to_vec();
    bad[16] = 7;
    let log = write(dir.path(), "00000000000000000000.log", &[&bad, &b0]);
    let out = rkafka(&["dump-log", "--files", s(&log)]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("position 0: unsupported magic byte 7"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_file_is_named_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("00000000000000000000.log");
    let out = rkafka(&["dump-log", "--files", s(&missing)]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains(s(&missing)), "{}", stderr(&out));
    assert!(stderr(&out).contains("No such file"), "{}", stderr(&out));
    // --files is required (usage error).
    let out = rkafka(&["dump-log"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--files"), "{}", stderr(&out));
}

#[test]
fn unknown_suffix_is_ignored_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let other = write(dir.path(), "leader-epoch-checkpoint", &[b"0\n0\n"]);
    let out = rkafka(&["dump-log", "--files", s(&other)]);
    assert_eq!(code(&out), 0);
    assert_eq!(lines(&out), vec![format!("Dumping {}", s(&other))]);
    assert_eq!(
        stderr(&out),
        format!("Ignoring unknown file {}\n", s(&other))
    );
}

#[test]
fn json_output_parses_back() {
    let dir = tempfile::tempdir().unwrap();
    let (log, b0, _) = two_batches(dir.path());
    let out = rkafka(&[
        "dump-log",
        "--print-data-log",
        "--output",
        "json",
        "--files",
        s(&log),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let docs: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2 + 2 + 5);
    assert_eq!(docs[0]["type"], "file");
    assert_eq!(docs[0]["file"], s(&log));
    assert_eq!(docs[1]["type"], "log_start");
    assert_eq!(docs[1]["base_offset"], 0);
    let b = &docs[2];
    assert_eq!(b["type"], "batch");
    assert_eq!(b["base_offset"], 0);
    assert_eq!(b["last_offset"], 1);
    assert_eq!(b["count"], 2);
    assert_eq!(b["crc"], crc(&b0));
    assert_eq!(b["is_valid"], true);
    assert_eq!(b["compression"], "none");
    assert_eq!(b["size"], b0.len());
    assert!(b["delete_horizon_ms"].is_null());
    let r = &docs[4];
    assert_eq!(r["type"], "record");
    assert_eq!(r["offset"], 1);
    assert_eq!(r["timestamp"], T0 + 1);
    assert_eq!(r["key"], "k1");
    assert_eq!(r["payload"], "bb");
    assert_eq!(r["header_keys"], serde_json::json!([]));
    assert_eq!(docs[5]["position"], b0.len());
}

#[test]
fn kafka_habits_single_dash_options_and_comma_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = two_batches(dir.path());
    let (index, _, _, _) = indexed_segment(dir.path());
    let out = rkafka(&["dump-log", "-files", s(&log), "-print-data-log"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("key: k0 payload: a"),
        "{}",
        stdout(&out)
    );
    let both = format!("{},{}", s(&log), s(&index));
    let out = rkafka(&["dump-log", "--files", &both]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let dumping: Vec<String> = lines(&out)
        .into_iter()
        .filter(|l| l.starts_with("Dumping "))
        .collect();
    assert_eq!(
        dumping,
        vec![
            format!("Dumping {}", s(&log)),
            format!("Dumping {}", s(&index))
        ]
    );
}

#[test]
fn runs_as_kafka_dump_log_sh() {
    let dir = tempfile::tempdir().unwrap();
    let (log, b0, _) = two_batches(dir.path());
    let link = link_as(dir.path(), "kafka-dump-log.sh");
    let out = std::process::Command::new(&link)
        .args(["--files", s(&log)])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lines(&out)[2], plain_batch_line(&b0, 0, "none"));
}

#[test]
fn legacy_magic_0_and_1_messages_print_sensibly() {
    let dir = tempfile::tempdir().unwrap();
    let m0 = legacy(0, 0, Some(b"k"), Some(b"v0"));
    let m1 = legacy(1, 1, None, Some(b"v1"));
    let log = write(dir.path(), "00000000000000000000.log", &[&m0, &m1]);
    let out = rkafka(&["dump-log", "--print-data-log", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let crc_of = |m: &[u8]| u32::from_be_bytes([m[12], m[13], m[14], m[15]]);
    assert_eq!(
        lines(&out)[2..],
        [
            format!(
                "offset: 0 position: 0 NoTimestampType: -1 size: {} magic: 0 compresscodec: none crc: {} isvalid: true",
                m0.len(),
                crc_of(&m0)
            ),
            format!(
                "| offset: 0 NoTimestampType: -1 keySize: 1 valueSize: 2 isValid: true crc: {}}} key: k payload: v0",
                crc_of(&m0)
            ),
            format!(
                "offset: 1 position: {} CreateTime: {T0} size: {} magic: 1 compresscodec: none crc: {} isvalid: true",
                m0.len(),
                m1.len(),
                crc_of(&m1)
            ),
            format!(
                "| offset: 1 CreateTime: {T0} keySize: -1 valueSize: 2 isValid: true crc: {}}} payload: v1",
                crc_of(&m1)
            ),
        ]
    );
}

#[test]
fn legacy_compressed_wrapper_is_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    // Magic 1 inner messages carry relative offsets 0..2; the wrapper carries the last
    // absolute offset (12), so the records are 10, 11, 12.
    let inner: Vec<u8> = [
        legacy(1, 0, None, Some(b"a")),
        legacy(1, 1, None, Some(b"b")),
        legacy(1, 2, None, Some(b"c")),
    ]
    .concat();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &inner).unwrap();
    let wrapper = legacy_with(1, 12, 1, None, Some(&gz.finish().unwrap()));
    let log = write(dir.path(), "00000000000000000010.log", &[&wrapper]);
    let out = rkafka(&["dump-log", "--print-data-log", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let l = lines(&out);
    assert!(
        l[2].starts_with("offset: 12 position: 0 CreateTime: "),
        "{}",
        l[2]
    );
    assert!(l[2].contains("compresscodec: gzip"), "{}", l[2]);
    assert!(
        l[3].starts_with("| offset: 10 ") && l[3].ends_with("payload: a"),
        "{}",
        l[3]
    );
    assert!(
        l[5].starts_with("| offset: 12 ") && l[5].ends_with("payload: c"),
        "{}",
        l[5]
    );
}

fn legacy(magic: u8, offset: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> Vec<u8> {
    legacy_with(magic, offset, 0, key, value)
}

/// A magic 0/1 message written by hand (layout from the records module's docs).
fn legacy_with(
    magic: u8,
    offset: i64,
    attributes: u8,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) -> Vec<u8> {
    let mut body = vec![magic, attributes];
    if magic == 1 {
        body.extend_from_slice(&T0.to_be_bytes());
    }
    for field in [key, value] {
        match field {
            None => body.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(f) => {
                body.extend_from_slice(&(f.len() as i32).to_be_bytes());
                body.extend_from_slice(f);
            }
        }
    }
    let mut crc = flate2::Crc::new();
    crc.update(&body);
    let mut m = offset.to_be_bytes().to_vec();
    m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    m.extend_from_slice(&crc.sum().to_be_bytes());
    m.extend_from_slice(&body);
    m
}

#[test]
fn txn_index_dump() {
    let dir = tempfile::tempdir().unwrap();
    use rkafka::log::txn_index::{AbortedTxn, encode};
    let t = write(
        dir.path(),
        "00000000000000000000.txnindex",
        &[&encode(&[AbortedTxn {
            version: 0,
            producer_id: 9,
            first_offset: 3,
            last_offset: 8,
            last_stable_offset: 3,
        }])],
    );
    let out = rkafka(&["dump-log", "--files", s(&t)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        lines(&out)[1],
        "version: 0 producerId: 9 firstOffset: 3 lastOffset: 8 lastStableOffset: 3"
    );
}

#[test]
fn producer_snapshot_dump() {
    use rkafka::log::producer_snapshot::{BatchMetadata, ProducerEntry, encode};
    let dir = tempfile::tempdir().unwrap();
    let snap = write(
        dir.path(),
        "00000000000000000050.snapshot",
        &[&encode(&[
            ProducerEntry {
                producer_id: 1000,
                producer_epoch: 2,
                coordinator_epoch: 4,
                last_timestamp: T0,
                current_txn_first_offset: Some(45),
                last_batch: Some(BatchMetadata {
                    last_sequence: 12,
                    last_offset: 49,
                    offset_delta: 2,
                    timestamp: T0,
                }),
            },
            ProducerEntry {
                producer_id: 1001,
                producer_epoch: 0,
                coordinator_epoch: -1,
                last_timestamp: T0 + 1,
                current_txn_first_offset: None,
                last_batch: None,
            },
        ])],
    );
    let out = rkafka(&["dump-log", "--files", s(&snap)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        lines(&out)[1..],
        [
            format!(
                "producerId: 1000 producerEpoch: 2 coordinatorEpoch: 4 currentTxnFirstOffset: \
                 OptionalLong[45] lastTimestamp: {T0} firstSequence: 10 lastSequence: 12 \
                 lastOffset: 49 offsetDelta: 2 timestamp: {T0}"
            ),
            format!(
                "producerId: 1001 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: \
                 OptionalLong.empty lastTimestamp: {} ",
                T0 + 1
            ),
        ]
    );
    // A flipped bit fails the CRC, named with the file.
    let mut bytes = std::fs::read(&snap).unwrap();
    bytes[12] ^= 4;
    std::fs::write(&snap, bytes).unwrap();
    let out = rkafka(&["dump-log", "--files", s(&snap)]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("CRC is no longer valid"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn non_consecutive_offsets_are_reported_but_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let b0 = batch(0, Compression::None, &["a", "b"]);
    let b1 = batch(5, Compression::None, &["c"]);
    let b2 = batch(9, Compression::None, &["d"]);
    let log = write(dir.path(), "00000000000000000000.log", &[&b0, &b1, &b2]);
    let out = rkafka(&["dump-log", "--deep-iteration", "--files", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "Non-consecutive offsets in {}\n  1 is followed by 5\n  5 is followed by 9\n",
            std::path::absolute(&log).unwrap().display()
        )
    );
    // Shallow iteration does not look at records, so it has nothing to report.
    let out = rkafka(&["dump-log", "--files", s(&log)]);
    assert_eq!(stderr(&out), "");
}

#[test]
fn time_index_offsets_missing_from_the_log_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, _, meta) = indexed_segment(dir.path());
    let tidx = encode_time_index(
        100,
        &[
            // Not the last offset of a batch: the batch holding it ends at meta[0].0.
            TimestampOffset {
                timestamp: meta[0].2,
                offset: meta[0].0 - 1,
            },
            // Beyond the log.
            TimestampOffset {
                timestamp: meta[2].2 + 10,
                offset: 500,
            },
        ],
    )
    .unwrap();
    let t = write(dir.path(), "00000000000000000100.timeindex", &[&tidx]);
    let out = rkafka(&["dump-log", "--verify-index-only", "--files", s(&t)]);
    assert_eq!(code(&out), 1);
    assert_eq!(lines(&out), vec![format!("Dumping {}", s(&t))]);
    assert!(
        stderr(&out).contains(&format!(
            "The following indexed offsets are not found in the log.\n\
             Indexed offset: {}, found log offset: {}\n\
             Indexed offset: 500, found log offset: -1\n",
            meta[0].0 - 1,
            meta[0].0
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_closed_stdout_ends_the_dump_quietly_with_exit_0() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for i in 0..200 {
        parts.push(batch(i * 50, Compression::None, &["v"; 50]));
    }
    let refs: Vec<&[u8]> = parts.iter().map(|b| &b[..]).collect();
    let log = write(dir.path(), "00000000000000000000.log", &refs);
    let mut child = std::process::Command::new(rkafka_bin())
        .args(["dump-log", "--print-data-log", "--files", s(&log)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's reader is gone now; the tool's next writes fail with EPIPE.
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert!(first.starts_with(b"Dumping "));
}

#[test]
fn bad_flag_values_are_usage_errors_and_lists_may_have_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _, _) = two_batches(dir.path());
    for args in [
        vec!["dump-log", "--files", s(&log), "--max-bytes", "-5"],
        vec!["dump-log", "--files", s(&log), "--max-message-size", "lots"],
        vec!["dump-log", "--files", s(&log), "--output", "yaml"],
        vec!["dump-log", "--files", " , "],
    ] {
        let out = rkafka(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?}");
    }
    let (index, _, _, _) = indexed_segment(dir.path());
    let out = rkafka(&[
        "dump-log",
        "--files",
        &format!("{}, {}", s(&log), s(&index)),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("Dumping {}\n", s(&index))),
        "{}",
        stdout(&out)
    );
}
