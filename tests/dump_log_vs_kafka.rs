//! rkafka's log format against Kafka's own, both ways: `rkafka dump-log` prints what Kafka's
//! DumpLogSegments prints on segments a real Kafka 3.9 broker wrote (scripts written for
//! kafka-dump-log.sh keep working), rkafka's partition log opens and reads that Kafka-written
//! partition directory, and Kafka's DumpLogSegments reads the segments rkafka's log writes.

mod common;
use common::kafka::{KafkaBroker, KafkaVersion, kafka_tool_ok, kcat_ok};
use common::*;

use std::time::Duration;

use bytes::BytesMut;
use rkafka::log::LogConfig;
use rkafka::log::partition_log::{OpenOptions, PartitionLog};
use rkafka::protocol::records::{BatchBuilder, Compression, RecordBatch};

/// Runs Kafka's DumpLogSegments and rkafka's dump-log with the same arguments and returns
/// both standard outputs.
fn both(args: &[&str]) -> (String, String) {
    let kafka = kafka_tool_ok(KafkaVersion::V3_9, "kafka.tools.DumpLogSegments", args, b"");
    let ours = rkafka(&[&["dump-log"], args].concat());
    assert_eq!(
        code(&ours),
        0,
        "rkafka dump-log {args:?}: {}",
        stderr(&ours)
    );
    (stdout(&kafka), stdout(&ours))
}

#[test]
fn dump_log_prints_what_kafkas_tool_prints_on_kafka_written_segments() {
    let mut broker = KafkaBroker::start_kraft_with(
        KafkaVersion::V3_9,
        // Small index interval so that the .index and .timeindex files get several entries.
        &[("log.index.interval.bytes", "256")],
    );
    let bootstrap = broker.bootstrap();
    let mut lines = String::new();
    for i in 0..200 {
        lines.push_str(&format!(
            "key{}:value number {i} {}\n",
            i % 7,
            "x".repeat(i % 50)
        ));
    }
    // Three batches of different codecs, keyed records.
    for codec in ["none", "lz4", "gzip"] {
        kcat_ok(
            &["-b", &bootstrap, "-P", "-t", "dumped", "-K:", "-z", codec],
            lines.as_bytes(),
        );
    }
    broker.wait_for_topic("dumped", 1, Duration::from_secs(30));
    broker.stop(Duration::from_secs(60));

    let dir = broker.dir().join("data/dumped-0");
    let segment = dir.join("00000000000000000000.log");
    let log = segment.to_str().unwrap();
    for flags in [
        vec![],
        vec!["--deep-iteration"],
        vec!["--print-data-log"],
        vec!["--print-data-log", "--skip-record-metadata"],
    ] {
        let args: Vec<&str> = [&["--files", log][..], &flags].concat();
        let (kafka, ours) = both(&args);
        assert!(kafka.contains("baseOffset: 0"), "Kafka printed:\n{kafka}");
        assert_eq!(
            ours, kafka,
            "dump-log {flags:?} differs from Kafka's DumpLogSegments"
        );
    }
    for index in [
        "00000000000000000000.index",
        "00000000000000000000.timeindex",
    ] {
        let path = dir.join(index);
        let (kafka, ours) = both(&["--files", path.to_str().unwrap()]);
        assert!(kafka.lines().count() > 2, "Kafka printed:\n{kafka}");
        assert_eq!(ours, kafka, "dump-log of {index} differs from Kafka's");
    }

    // The records read back as kcat wrote them: 600 records, 3 codecs, keys and values intact.
    let out = rkafka(&[
        "dump-log",
        "--files",
        log,
        "--print-data-log",
        "--output",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let records: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "record")
        .collect();
    assert_eq!(records.len(), 600, "{text}");
    assert_eq!(records[0]["offset"], 0);
    assert_eq!(records[599]["offset"], 599);

    // rkafka's partition log opens Kafka's directory (recovering it, as after an unclean stop:
    // every batch CRC-checked) and reads back every record with its key and value.
    let (log, report) = PartitionLog::open(
        &dir,
        "dumped",
        0,
        LogConfig::default(),
        OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(
        report.bytes_truncated, 0,
        "recovery cut Kafka's data: {report:?}"
    );
    assert_eq!(log.log_end_offset(), 600);
    let read = log.read(0, u64::MAX, None, true).unwrap();
    let bytes = read.range.expect("data").read_to_bytes().unwrap();
    let mut seen = Vec::new();
    for pos in &read.batches {
        let start = usize::try_from(pos.position - read.batches[0].position).unwrap();
        let batch = RecordBatch::parse(bytes.slice(start..start + pos.size as usize)).unwrap();
        batch.validate().unwrap();
        for record in batch.records(1 << 26).unwrap() {
            let record = record.unwrap();
            let key = String::from_utf8(record.key.unwrap().to_vec()).unwrap();
            let value = String::from_utf8(record.value.unwrap().to_vec()).unwrap();
            seen.push((record.offset, format!("{key}:{value}")));
        }
    }
    let want: Vec<&str> = lines.lines().cycle().take(600).collect();
    assert_eq!(seen.len(), 600);
    for (i, (offset, text)) in seen.iter().enumerate() {
        assert_eq!(*offset, i as i64);
        assert_eq!(text, want[i], "record at offset {offset}");
    }
}

#[test]
fn kafkas_dump_log_segments_reads_what_rkafkas_log_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("written-0");
    let config = LogConfig {
        segment_bytes: 4000,
        index_interval_bytes: 256,
        ..LogConfig::default()
    };
    let (mut log, _) =
        PartitionLog::open(&dir, "written", 0, config, OpenOptions::default()).unwrap();
    let codecs = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    for i in 0..40i64 {
        let mut builder = BatchBuilder::new(codecs[i as usize % codecs.len()]);
        for j in 0..1 + i % 4 {
            let value = format!("value {i}.{j} {}", "y".repeat((i * 7 % 90) as usize));
            builder
                .append(
                    1_700_000_000_000 + i * 10 + j,
                    Some(b"k"),
                    Some(value.as_bytes()),
                    &[],
                )
                .unwrap();
        }
        let batch = BytesMut::from(&builder.build().unwrap()[..]);
        log.append_as_leader(batch, 2, 0).unwrap();
    }
    log.close(0).unwrap();
    drop(log);

    let mut segments: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".log") || p.ends_with(".index") || p.ends_with(".timeindex"))
        .collect();
    segments.sort();
    assert!(
        segments.iter().filter(|p| p.ends_with(".log")).count() > 1,
        "{segments:?}"
    );
    let files = segments.join(",");
    let (kafka, ours) = both(&["--files", &files, "--deep-iteration"]);
    assert!(
        !kafka.contains("isvalid: false"),
        "Kafka found a bad batch:\n{kafka}"
    );
    assert_eq!(kafka.matches("isvalid: true").count(), 40, "{kafka}");
    assert_eq!(
        ours, kafka,
        "rkafka's and Kafka's dumps of rkafka's segments differ"
    );
    // Kafka's tool reports index/log mismatches on stderr; there must be none.
    let check = kafka_tool_ok(
        KafkaVersion::V3_9,
        "kafka.tools.DumpLogSegments",
        &["--files", &files, "--verify-index-only"],
        b"",
    );
    let errors = stderr(&check);
    assert!(!errors.contains("Mismatches"), "{errors}");
    assert!(!errors.contains("Non-consecutive"), "{errors}");
}
