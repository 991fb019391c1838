//! Restarts of the broker run through the binary (`rkafka server-start` beside `rkafka
//! zookeeper-server-start`): stopped with SIGTERM (graceful: clean-shutdown marker, producer
//! snapshots) or SIGKILL (recovery from the segment files) while a producer with acks=all is
//! busy, then started again on the same files. Topics, their configs, every acknowledged
//! record (at its acknowledged offset) and an idempotent producer's state must all be there:
//! a retried duplicate is answered with its original offset, a sequence gap is refused.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::binary_cluster::{BinaryCluster, RawClient, batch, idempotent_batch};
use common::{stderr, stdout};
use nix::sys::signal::Signal;
use rkafka::protocol::records::Compression;

/// (partition, offset) -> value of every record the broker acknowledged.
type Acked = BTreeMap<(i32, i64), Vec<u8>>;

/// Produces single-record batches with acks=all round robin over 3 partitions until `stop`
/// is set or the connection fails (the broker was stopped); returns what was acknowledged.
fn busy_producer(port: u16, stop: Arc<AtomicBool>, tag: &'static str) -> Acked {
    let mut acked = Acked::new();
    let Some(mut c) = RawClient::connect(port) else {
        return acked;
    };
    let mut i = 0i32;
    while !stop.load(Ordering::Relaxed) {
        let v = format!("{tag}-{i}").into_bytes();
        let p = i % 3;
        match c.produce("r", p, batch(&[&v], Compression::Lz4), -1) {
            Some((0, offset)) => {
                acked.insert((p, offset), v);
            }
            Some((code, _)) => panic!("{tag}: produce {i} refused with {code}"),
            // The broker went away mid-request: this one was never acknowledged.
            None => break,
        }
        i += 1;
    }
    acked
}

fn describe(cluster: &BinaryCluster) -> String {
    let out = cluster.rkafka_bootstrap(&["topics", "--describe", "--topic", "r"]);
    assert_eq!(common::code(&out), 0, "{}", stderr(&out));
    stdout(&out)
}

fn restart_keeps_everything(signal: Signal) {
    let mut cluster = BinaryCluster::start("");
    cluster.create_topic(
        "r",
        3,
        &["retention.ms=86400000", "max.message.bytes=200000"],
    );
    let out = cluster.rkafka_bootstrap(&[
        "topics",
        "--alter",
        "--topic",
        "r",
        "--config",
        "segment.ms=3600000",
    ]);
    assert_eq!(
        stdout(&out),
        "Updated config for topic r.\n",
        "{}",
        stderr(&out)
    );
    let before = describe(&cluster);
    assert!(
        before.lines().next().is_some_and(|l| l.ends_with(
            "\tConfigs: max.message.bytes=200000,retention.ms=86400000,segment.ms=3600000"
        )),
        "{before}"
    );

    // An idempotent producer: two batches on r-0.
    let mut c = RawClient::connect(cluster.port).expect("connect");
    let (pid, epoch) = c.init_producer_id();
    let first = idempotent_batch(pid, epoch, 0, &[b"idem-0", b"idem-1"]);
    let second = idempotent_batch(pid, epoch, 2, &[b"idem-2"]);
    let (code, first_offset) = c.produce("r", 0, first.clone(), -1).expect("answer");
    assert_eq!(code, 0);
    let (code, second_offset) = c.produce("r", 0, second.clone(), -1).expect("answer");
    assert_eq!((code, second_offset), (0, first_offset + 2));
    drop(c);

    // A producer keeps going until the signal lands.
    let stop = Arc::new(AtomicBool::new(false));
    let port = cluster.port;
    let busy = {
        let stop = stop.clone();
        std::thread::spawn(move || busy_producer(port, stop, "busy"))
    };
    std::thread::sleep(Duration::from_millis(700));
    let exit = cluster.stop_broker(signal);
    stop.store(true, Ordering::Relaxed);
    let mut acked = busy.join().expect("producer thread");
    assert!(acked.len() > 20, "the producer was busy: {}", acked.len());
    acked.insert((0, first_offset), b"idem-0".to_vec());
    acked.insert((0, first_offset + 1), b"idem-1".to_vec());
    acked.insert((0, second_offset), b"idem-2".to_vec());
    let marker = cluster.log_dir().join(".kafka_cleanshutdown");
    match signal {
        Signal::SIGKILL => {
            assert_eq!(exit, None, "killed");
            assert!(!marker.exists(), "no clean-shutdown marker after SIGKILL");
        }
        _ => {
            assert_eq!(exit, Some(0), "{}", cluster.broker_output());
            assert!(marker.exists(), "clean-shutdown marker");
        }
    }

    cluster.start_broker();
    cluster.wait_led("r", 3);
    assert_eq!(
        describe(&cluster),
        before,
        "topic and configs after restart"
    );

    // Every acknowledged record at its offset; offsets dense from 0 in every partition.
    let mut c = RawClient::connect(cluster.port).expect("connect");
    for p in 0..3 {
        let got = c.read_all("r", p);
        for (i, (offset, _)) in got.iter().enumerate() {
            assert_eq!(*offset, i as i64, "r-{p}: offsets dense");
        }
        let got: BTreeMap<i64, Vec<u8>> = got.into_iter().collect();
        for ((q, offset), v) in acked.iter().filter(|((q, _), _)| *q == p) {
            assert_eq!(
                got.get(offset),
                Some(v),
                "acknowledged r-{q}@{offset} lost after {signal}"
            );
        }
    }

    // The idempotent producer's state survived: the retry of its last batch is answered with
    // the original offset and not appended again; a gap is refused; the next batch follows.
    let end = c.read_all("r", 0).len() as i64;
    assert_eq!(c.produce("r", 0, second, -1), Some((0, second_offset)));
    assert_eq!(
        c.produce("r", 0, idempotent_batch(pid, epoch, 9, &[b"gap"]), -1)
            .map(|a| a.0),
        Some(45),
        "OUT_OF_ORDER_SEQUENCE_NUMBER"
    );
    assert_eq!(
        c.produce("r", 0, idempotent_batch(pid, epoch, 3, &[b"idem-3"]), -1),
        Some((0, end))
    );
    assert_eq!(
        c.read_all("r", 0).len() as i64,
        end + 1,
        "no duplicate appended"
    );
    // And it still takes plain writes.
    assert_eq!(
        c.produce("r", 1, batch(&[b"after"], Compression::Zstd), -1)
            .map(|a| a.0),
        Some(0)
    );
}

#[test]
fn sigterm_then_restart_keeps_topics_configs_records_and_producer_state() {
    restart_keeps_everything(Signal::SIGTERM);
}

#[test]
fn sigkill_then_restart_keeps_topics_configs_records_and_producer_state() {
    restart_keeps_everything(Signal::SIGKILL);
}
