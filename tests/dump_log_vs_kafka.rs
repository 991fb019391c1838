//! `rkafka dump-log` against Kafka's own DumpLogSegments on segments a real Kafka 3.9 broker
//! wrote: the same files must print the same text, so scripts written for kafka-dump-log.sh
//! keep working. Also checks that rkafka reads the batches of a Kafka-written partition.

mod common;
use common::kafka::{KafkaBroker, KafkaVersion, kafka_tool_ok, kcat_ok};
use common::*;

use std::time::Duration;

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
}
