//! Segments written by the partition log are readable by `rkafka dump-log`
//! (kafka-dump-log.sh): every batch is valid with the offsets the log assigned, and the
//! offset and time indexes agree with the log as the tool checks them.

mod common;
use common::*;

use bytes::BytesMut;
use rkafka::log::LogConfig;
use rkafka::log::partition_log::{OpenOptions, PartitionLog};
use rkafka::protocol::records::{BatchBuilder, Compression};

#[test]
fn dump_log_reads_what_the_log_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("orders-0");
    let cfg = LogConfig {
        segment_bytes: 3000,
        index_interval_bytes: 256,
        ..LogConfig::default()
    };
    let (mut log, _) = PartitionLog::open(&dir, "orders", 0, cfg, OpenOptions::default()).unwrap();
    let codecs = [
        Compression::None,
        Compression::Gzip,
        Compression::Zstd,
        Compression::Lz4,
    ];
    let mut expected = Vec::new();
    for i in 0..60i64 {
        let mut b = BatchBuilder::new(codecs[i as usize % 4]);
        for j in 0..1 + i % 5 {
            let v = format!("value-{i}-{j}-{}", "x".repeat((i * 13 % 150) as usize));
            b.append(
                1_700_000_000_000 + i * 10 + j,
                Some(b"key"),
                Some(v.as_bytes()),
                &[],
            )
            .unwrap();
        }
        let info = log
            .append_as_leader(BytesMut::from(&b.build().unwrap()[..]), 3, 0)
            .unwrap();
        expected.push((info.first_offset, info.last_offset));
    }
    log.close(0).unwrap();
    drop(log);

    let mut logs: Vec<String> = Vec::new();
    let mut indexes: Vec<String> = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path().to_string_lossy().into_owned();
        if p.ends_with(".log") {
            logs.push(p);
        } else if p.ends_with(".index") || p.ends_with(".timeindex") {
            indexes.push(p);
        }
    }
    logs.sort();
    assert!(logs.len() > 3, "several segments: {logs:?}");
    let out = rkafka(&["dump-log", "--deep-iteration", "--files", &logs.join(",")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let mut got = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("baseOffset:")) {
        assert!(line.ends_with("isvalid: true"), "{line}");
        assert!(line.contains("partitionLeaderEpoch: 3"), "{line}");
        let field = |name: &str| -> i64 {
            let rest = &line[line.find(name).unwrap() + name.len()..];
            rest.split_whitespace().next().unwrap().parse().unwrap()
        };
        got.push((field("baseOffset: "), field("lastOffset: ")));
    }
    assert_eq!(got, expected);
    let records = text.lines().filter(|l| l.starts_with("| offset: ")).count();
    assert_eq!(records as i64, expected.last().unwrap().1 + 1);

    // The tool checks index entries against the log (Kafka's "Mismatches in").
    let out = rkafka(&["dump-log", "--files", &indexes.join(",")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("Mismatches"), "{all}");
    assert!(all.contains("offset: "), "{all}");
}
