//! Record batches v2 against an independent implementation: kafka-python's
//! `DefaultRecordBatchBuilder` writes batches with every codec that rkafka must read exactly,
//! and rkafka's `BatchBuilder` writes batches that kafka-python must read, CRC included.
//!
//! Needs python3 with kafka-python, lz4, zstandard and python-snappy (see
//! tests/interop/setup.sh). When they are missing the test fails; it never skips.
//! `RKAFKA_PYTHON` overrides the interpreter.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use bytes::{Bytes, BytesMut};
use rkafka::protocol::records::{
    BatchBuilder, BatchHeaderMut, Compression, ControlType, DEFAULT_DECOMPRESSION_LIMIT,
    RecordBatch, TimestampType, end_txn_marker_batch,
};
use serde_json::Value;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/kafka_python_records.py")
}

fn python() -> String {
    std::env::var("RKAFKA_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs the script in `mode` with `stdin`, failing the test loudly if python3 or
/// kafka-python (with its codecs) is not installed.
fn run_script(mode: &str, stdin: &str) -> String {
    let setup_hint = "kafka-python interop needs python3 with the pip packages kafka-python, \
                      lz4, zstandard and python-snappy: run tests/interop/setup.sh";
    let check = Command::new(python())
        .arg(script())
        .arg("check")
        .output()
        .unwrap_or_else(|e| panic!("{setup_hint} (cannot run {}: {e})", python()));
    assert!(
        check.status.success(),
        "{setup_hint} ({})",
        String::from_utf8_lossy(&check.stderr).trim()
    );
    let mut child = Command::new(python())
        .arg(script())
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_string();
    // Written from a thread so a large stdin cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || input.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().expect("wait for python3");
    writer.join().expect("writer thread").expect("write stdin");
    assert!(
        out.status.success(),
        "kafka_python_records.py {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn from_hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

struct Expected {
    offset_delta: i64,
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

/// The records both sides write; the same list as `fixed_records()` in the script.
fn fixed_records() -> Vec<Expected> {
    let h = |k: &str, v: Option<&[u8]>| (k.to_string(), v.map(<[u8]>::to_vec));
    vec![
        Expected {
            offset_delta: 0,
            timestamp: 1_700_000_000_000,
            key: Some(b"key-0".to_vec()),
            value: Some(b"value-0 ".repeat(20)),
            headers: vec![],
        },
        Expected {
            offset_delta: 1,
            timestamp: 1_700_000_000_005,
            key: None,
            value: Some(vec![b'v'; 200]),
            headers: vec![h("h1", Some(b"a")), h("h1", Some(b"b")), h("h2", None)],
        },
        Expected {
            offset_delta: 2,
            timestamp: 1_699_999_999_990,
            key: Some(b"tomb".to_vec()),
            value: None,
            headers: vec![],
        },
        Expected {
            offset_delta: 3,
            timestamp: 1_700_000_000_001,
            key: Some(vec![]),
            value: Some(vec![]),
            headers: vec![h("k\u{e9}y", Some(&[0x00, 0xff]))],
        },
        Expected {
            offset_delta: 4,
            timestamp: 1_700_000_000_002,
            key: Some(b"big".to_vec()),
            value: Some((0..200_000u32).map(|i| (i % 251) as u8).collect()),
            headers: vec![],
        },
    ]
}

#[test]
fn rkafka_reads_kafka_python_batches() {
    let out = run_script("write", "");
    let mut seen = Vec::new();
    for line in out.lines() {
        let item: Value = serde_json::from_str(line).expect("json line");
        let name = item["codec"].as_str().expect("codec");
        let codec = Compression::from_name(name).expect("known codec");
        let raw = Bytes::from(from_hex(item["hex"].as_str().expect("hex")));
        let batch = RecordBatch::parse(raw.clone()).expect("parse");
        assert_eq!(batch.size(), raw.len(), "{name}: whole buffer is one batch");
        batch.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        batch
            .validate_client_append()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // kafka-python falls back to no compression when it does not help; our data
        // compresses, so the codec must be the one asked for.
        assert_eq!(batch.compression().unwrap(), codec, "{name}");
        assert_eq!(batch.producer_id(), 4242);
        assert_eq!(batch.producer_epoch(), 7);
        assert_eq!(batch.base_sequence(), 100);
        assert_eq!(batch.last_sequence(), 104);
        assert_eq!(
            batch.is_transactional(),
            item["transactional"].as_bool().unwrap()
        );
        assert_eq!(batch.record_count(), 5);
        assert_eq!(batch.last_offset_delta(), 4);
        assert_eq!(batch.base_timestamp(), 1_700_000_000_000);
        assert_eq!(batch.max_timestamp(), 1_700_000_000_005);

        let records: Vec<_> = batch
            .records(DEFAULT_DECOMPRESSION_LIMIT)
            .expect("records")
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = fixed_records();
        assert_eq!(records.len(), expected.len(), "{name}");
        for (r, e) in records.iter().zip(&expected) {
            assert_eq!(r.offset, e.offset_delta, "{name}");
            assert_eq!(r.timestamp, e.timestamp, "{name}");
            assert_eq!(r.key.as_deref(), e.key.as_deref(), "{name}");
            assert_eq!(r.value.as_deref(), e.value.as_deref(), "{name}");
            let headers: Vec<(String, Option<Vec<u8>>)> = r
                .headers
                .iter()
                .map(|h| {
                    (
                        h.key_str().expect("utf-8 key").to_string(),
                        h.value.as_deref().map(<[u8]>::to_vec),
                    )
                })
                .collect();
            assert_eq!(headers, e.headers, "{name}");
        }

        // The broker's in-place rewrite keeps kafka-python's CRC valid.
        let mut buf = BytesMut::from(&raw[..]);
        let mut h = BatchHeaderMut::new(&mut buf).expect("header");
        h.set_base_offset(1_000_000);
        h.set_partition_leader_epoch(9);
        let rewritten = RecordBatch::parse(buf.freeze()).expect("parse");
        rewritten.validate().expect("CRC still valid");
        assert_eq!(rewritten.last_offset(), 1_000_004);
        seen.push(codec);
    }
    assert_eq!(seen, Compression::ALL.to_vec(), "one batch per codec");
}

/// Builds the fixed records with rkafka for `codec`.
fn rkafka_batch(codec: Compression, transactional: bool) -> Bytes {
    let mut b = BatchBuilder::new(codec)
        .base_offset(500)
        .partition_leader_epoch(3)
        .producer(4242, 7, 100)
        .transactional(transactional);
    for e in fixed_records() {
        let headers: Vec<(&str, Option<&[u8]>)> = e
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        b.append(e.timestamp, e.key.as_deref(), e.value.as_deref(), &headers)
            .expect("append");
    }
    b.build().expect("build")
}

fn assert_records(name: &str, got: &Value, timestamp_override: Option<i64>) {
    let records = got["records"].as_array().expect("records");
    let expected = fixed_records();
    assert_eq!(records.len(), expected.len(), "{name}");
    for (r, e) in records.iter().zip(&expected) {
        assert_eq!(r["offset"], 500 + e.offset_delta, "{name}");
        assert_eq!(
            r["timestamp"],
            timestamp_override.unwrap_or(e.timestamp),
            "{name}"
        );
        let hex = |b: &Option<Vec<u8>>| b.as_deref().map(to_hex);
        assert_eq!(r["key"].as_str(), hex(&e.key).as_deref(), "{name} key");
        assert_eq!(
            r["value"].as_str(),
            hex(&e.value).as_deref(),
            "{name} value"
        );
        let headers: Vec<(String, Option<String>)> = r["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| {
                (
                    h[0].as_str().expect("header key").to_string(),
                    h[1].as_str().map(str::to_string),
                )
            })
            .collect();
        let want: Vec<(String, Option<String>)> =
            e.headers.iter().map(|(k, v)| (k.clone(), hex(v))).collect();
        assert_eq!(headers, want, "{name} headers");
    }
}

#[test]
fn kafka_python_reads_rkafka_batches() {
    let mut input = String::new();
    let mut names = Vec::new();
    for (i, codec) in Compression::ALL.into_iter().enumerate() {
        let raw = rkafka_batch(codec, i % 2 == 1);
        input += &serde_json::json!({"codec": codec.name(), "hex": to_hex(&raw)}).to_string();
        input.push('\n');
        names.push(codec.name().to_string());
    }
    // A zstd batch stamped with LogAppendTime by the broker path (CRC recomputed).
    let mut buf = BytesMut::from(&rkafka_batch(Compression::Zstd, false)[..]);
    BatchHeaderMut::new(&mut buf)
        .expect("header")
        .set_max_timestamp(TimestampType::LogAppendTime, 1_800_000_000_000);
    input += &serde_json::json!({"codec": "zstd", "hex": to_hex(&buf)}).to_string();
    input.push('\n');
    // A COMMIT transaction marker.
    let marker =
        end_txn_marker_batch(4242, 7, ControlType::Commit, 11, 1_700_000_000_000).expect("marker");
    input += &serde_json::json!({"codec": "none", "hex": to_hex(&marker)}).to_string();
    input.push('\n');

    let out = run_script("read", &input);
    let results: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(results.len(), Compression::ALL.len() + 2);

    for (i, (got, name)) in results.iter().zip(&names).enumerate() {
        assert_eq!(got["codec"], name.as_str());
        assert_eq!(got["crc_ok"], true, "{name}: kafka-python rejects the CRC");
        assert_eq!(got["base_offset"], 500);
        assert_eq!(got["last_offset"], 504);
        assert_eq!(got["leader_epoch"], 3);
        assert_eq!(got["producer_id"], 4242);
        assert_eq!(got["producer_epoch"], 7);
        assert_eq!(got["base_sequence"], 100);
        assert_eq!(got["transactional"], i % 2 == 1);
        assert_eq!(got["control"], false);
        assert_eq!(got["first_timestamp"], 1_700_000_000_000i64);
        assert_eq!(got["max_timestamp"], 1_700_000_000_005i64);
        assert_eq!(got["records_count"], 5);
        assert_records(name, got, None);
    }

    let lat = &results[Compression::ALL.len()];
    assert_eq!(lat["crc_ok"], true, "LogAppendTime rewrite broke the CRC");
    assert_eq!(lat["max_timestamp"], 1_800_000_000_000i64);
    assert_records("zstd LogAppendTime", lat, Some(1_800_000_000_000));

    let marker = &results[Compression::ALL.len() + 1];
    assert_eq!(marker["crc_ok"], true);
    assert_eq!(marker["control"], true);
    assert_eq!(marker["transactional"], true);
    let rec = &marker["records"][0];
    assert_eq!(rec["key"], "00000001", "COMMIT control key");
    assert_eq!(
        rec["value"], "00000000000b",
        "marker version 0, coordinator epoch 11"
    );
}
