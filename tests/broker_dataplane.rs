//! The broker's produce/consume path with real clients as the judge: kcat (librdkafka) and
//! kafka-python produce and consume through an in-process rkafka broker
//! (`common::inproc_broker`), and raw requests check what clients rarely exercise: acks,
//! long polls, idempotent duplicates, restarts (clean and not), refused input, offsets by
//! time, leader epochs, DeleteRecords, DescribeLogDirs and InitProducerId.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use common::inproc_broker::{InprocBroker, TopicSpec, now_ms};
use rkafka::log::config::LogConfig;
use rkafka::protocol::codec::ApiRequest;
use rkafka::protocol::header::{decode_response, encode_request};
use rkafka::protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use rkafka::protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
use rkafka::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use rkafka::protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use rkafka::protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use rkafka::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use rkafka::protocol::messages::{
    ApiVersionsRequest, DeleteRecordsRequest, DescribeLogDirsRequest, FetchRequest, FetchResponse,
    InitProducerIdRequest, ListOffsetsRequest, OffsetForLeaderEpochRequest, ProduceRequest,
    ProduceResponse, Response,
};
use rkafka::protocol::records::{BatchBuilder, Batches, Compression};

// ---- raw client -------------------------------------------------------------------------

fn connect(b: &InprocBroker) -> TcpStream {
    let s = TcpStream::connect(b.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s
}

fn send<M: ApiRequest>(s: &mut TcpStream, correlation_id: i32, version: i16, body: &M) {
    let mut buf = BytesMut::new();
    encode_request(
        &mut buf,
        correlation_id,
        Some("dataplane-test"),
        version,
        body,
    )
    .unwrap();
    s.write_all(&buf).unwrap();
}

fn read_frame(s: &mut TcpStream) -> Option<Bytes> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; usize::try_from(i32::from_be_bytes(len)).unwrap()];
    s.read_exact(&mut body).unwrap();
    Some(Bytes::from(body))
}

fn call<M: ApiRequest>(s: &mut TcpStream, version: i16, body: &M) -> Response {
    send(s, 7, version, body);
    let frame = read_frame(s).expect("a response, not a close");
    let (header, resp) = decode_response(M::API_KEY, version, frame).unwrap();
    assert_eq!(header.correlation_id, 7);
    resp
}

fn batch(values: &[&[u8]], compression: Compression) -> Bytes {
    let mut b = BatchBuilder::new(compression);
    for v in values {
        b.append(now_ms(), None, Some(v), &[]).unwrap();
    }
    b.build().unwrap()
}

fn idempotent_batch(pid: i64, epoch: i16, seq: i32, values: &[&[u8]]) -> Bytes {
    let mut b = BatchBuilder::new(Compression::None).producer(pid, epoch, seq);
    for v in values {
        b.append(now_ms(), None, Some(v), &[]).unwrap();
    }
    b.build().unwrap()
}

fn produce_req(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest {
        acks,
        timeout_ms: 5000,
        topic_data: vec![TopicProduceData {
            name: topic.into(),
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Produces and returns (error code, base offset) of the single partition.
fn produce(
    s: &mut TcpStream,
    topic: &str,
    partition: i32,
    records: Bytes,
    acks: i16,
) -> (i16, i64) {
    let Response::Produce(r) = call(s, 9, &produce_req(topic, partition, records, acks)) else {
        panic!("not a produce response")
    };
    single_produce(&r)
}

fn single_produce(r: &ProduceResponse) -> (i16, i64) {
    let p = &r.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

fn fetch_req(
    topic: &str,
    partition: i32,
    offset: i64,
    max_wait_ms: i32,
    min_bytes: i32,
) -> FetchRequest {
    FetchRequest {
        replica_id: -1,
        max_wait_ms,
        min_bytes,
        max_bytes: 50 << 20,
        session_epoch: -1,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                current_leader_epoch: -1,
                fetch_offset: offset,
                last_fetched_epoch: -1,
                log_start_offset: -1,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn fetch(s: &mut TcpStream, req: &FetchRequest) -> FetchResponse {
    let Response::Fetch(r) = call(s, 11, req) else {
        panic!("not a fetch response")
    };
    r
}

/// Every record value in fetched bytes, with its offset.
fn values(records: &Bytes) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    for b in Batches::new(records.clone()) {
        let rkafka::protocol::records::Batch::V2(b) = b.unwrap() else {
            panic!("legacy batch")
        };
        for r in b.records(64 << 20).unwrap() {
            let r = r.unwrap();
            out.push((r.offset, r.value.map(|v| v.to_vec()).unwrap_or_default()));
        }
    }
    out
}

/// Reads the partition from `from` to its high watermark.
fn read_all(s: &mut TcpStream, topic: &str, partition: i32, from: i64) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut next = from;
    loop {
        let r = fetch(s, &fetch_req(topic, partition, next, 0, 0));
        let p = &r.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch error");
        let got: Vec<_> = values(p.records.as_ref().unwrap())
            .into_iter()
            .filter(|(o, _)| *o >= next)
            .collect();
        if got.is_empty() {
            assert!(next >= p.high_watermark);
            return out;
        }
        next = got.last().unwrap().0 + 1;
        out.extend(got);
    }
}

fn led(topics: &[(&str, i32)]) -> Vec<TopicSpec> {
    topics.iter().map(|(n, p)| TopicSpec::led(n, *p)).collect()
}

// ---- real clients ------------------------------------------------------------------------

fn lines(n: usize, tag: &str) -> String {
    (0..n)
        .map(|i| format!("{tag}-line-{i:05}-{}\n", "x".repeat(i % 97)))
        .collect()
}

#[test]
fn kcat_produces_and_consumes_with_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    let topics: Vec<(&str, i32)> = codecs.iter().map(|c| (*c, 1)).collect();
    let broker = InprocBroker::start(dir.path(), &led(&topics));
    let bootstrap = broker.bootstrap();
    for codec in codecs {
        let input = lines(500, codec);
        common::kafka::kcat_ok(
            &[
                "-P",
                "-b",
                &bootstrap,
                "-t",
                codec,
                "-p",
                "0",
                "-z",
                codec,
                "-X",
                "linger.ms=5",
            ],
            input.as_bytes(),
        );
        let out = common::kafka::kcat_ok(
            &[
                "-C",
                "-b",
                &bootstrap,
                "-t",
                codec,
                "-p",
                "0",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%o %s\n",
            ],
            b"",
        );
        let text = common::stdout(&out);
        let got: Vec<&str> = text.lines().collect();
        let want: Vec<String> = input
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{i} {l}"))
            .collect();
        assert_eq!(got.len(), want.len(), "{codec}: {}", common::stderr(&out));
        assert!(
            got.iter().zip(&want).all(|(a, b)| a == b),
            "{codec}: offsets and lines"
        );
    }
}

fn python(script: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c").arg(script).args(args);
    common::kafka::run_bounded(cmd, b"", Duration::from_secs(120))
}

const KAFKA_PYTHON_ROUNDTRIP: &str = r#"
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bootstrap, topic, codec, idem, acks = sys.argv[1:6]
acks = 'all' if acks == 'all' else int(acks)
kw = dict(bootstrap_servers=bootstrap, acks=acks, linger_ms=5, retries=3)
if codec != 'none':
    kw['compression_type'] = codec
if idem == '1':
    kw['enable_idempotence'] = True
p = KafkaProducer(**kw)
sent = []
futures = []
for i in range(300):
    v = ('%s-%s-%d-' % (codec, idem, i) + 'y' * (i % 50)).encode()
    sent.append(v)
    futures.append(p.send(topic, value=v, key=str(i % 7).encode(), partition=0))
p.flush(30)
if acks != 0:
    offsets = [f.get(timeout=30).offset for f in futures]
    assert offsets == sorted(offsets) and len(set(offsets)) == 300, offsets[:10]
p.close()
c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                  auto_offset_reset='earliest', consumer_timeout_ms=15000)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_beginning(tp)
got = []
for m in c:
    got.append(m.value)
    if len(got) >= len(sent):
        break
end = c.end_offsets([tp])[tp]
c.close()
assert got == sent, (len(got), len(sent))
print('ok', end)
"#;

#[test]
fn kafka_python_round_trips_every_codec_acks_and_idempotence() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str, &str, &str)> = [
        ("none", "0", "1"),
        ("gzip", "1", "all"),
        ("snappy", "0", "all"),
        ("lz4", "1", "all"),
        ("zstd", "0", "0"),
        ("none", "1", "all"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (c, idem, acks))| (format!("py{i}"), *c, *idem, *acks))
    .collect();
    let specs: Vec<TopicSpec> = cases.iter().map(|(t, ..)| TopicSpec::led(t, 1)).collect();
    let broker =
        InprocBroker::start_with(dir.path(), &specs, Arc::new(|_| LogConfig::default()), true);
    let bootstrap = broker.bootstrap();
    for (topic, codec, idem, acks) in &cases {
        let out = python(
            KAFKA_PYTHON_ROUNDTRIP,
            &[&bootstrap, topic, codec, idem, acks],
        );
        assert!(
            out.status.success() && common::stdout(&out).starts_with("ok 300"),
            "{topic} {codec} idem={idem} acks={acks}: {}\n{}",
            common::stdout(&out),
            common::kafka::tail(&common::stderr(&out), 30)
        );
    }
    // The idempotent producers registered: their batches carry producer ids.
    let mut s = connect(&broker);
    let r = fetch(&mut s, &fetch_req("py1", 0, 0, 0, 0));
    let records = r.responses[0].partitions[0].records.clone().unwrap();
    let Some(Ok(rkafka::protocol::records::Batch::V2(first))) = Batches::new(records).next() else {
        panic!("a batch")
    };
    assert!(first.producer_id() >= 0);
}

// ---- acks, long poll ---------------------------------------------------------------------

#[test]
fn acks_zero_one_all_and_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start(dir.path(), &led(&[("t", 1)]));
    let mut s = connect(&broker);
    assert_eq!(
        produce(&mut s, "t", 0, batch(&[b"a"], Compression::None), 1),
        (0, 0)
    );
    assert_eq!(
        produce(&mut s, "t", 0, batch(&[b"b", b"c"], Compression::None), -1),
        (0, 1)
    );
    let (code, _) = produce(&mut s, "t", 0, batch(&[b"x"], Compression::None), 2);
    assert_eq!(code, 21, "INVALID_REQUIRED_ACKS");
    // acks=0: no response; the next request's answer is the next frame on the connection.
    send(
        &mut s,
        100,
        9,
        &produce_req("t", 0, batch(&[b"d"], Compression::None), 0),
    );
    send(&mut s, 101, 3, &ApiVersionsRequest::default());
    let frame = read_frame(&mut s).unwrap();
    assert_eq!(
        &frame[..4],
        &101i32.to_be_bytes(),
        "the ApiVersions answer comes first"
    );
    let got = read_all(&mut s, "t", 0, 0);
    let vals: Vec<&[u8]> = got.iter().map(|(_, v)| v.as_slice()).collect();
    assert_eq!(vals, [b"a", b"b", b"c", b"d"]);
    // acks=0 that fails closes the connection (as Kafka does).
    send(
        &mut s,
        102,
        9,
        &produce_req("nope", 0, batch(&[b"e"], Compression::None), 0),
    );
    assert!(read_frame(&mut s).is_none());
}

#[test]
fn acks_all_times_out_while_followers_lag() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start(dir.path(), &led(&[("t", 1)]));
    // The controller adds a follower to the ISR that never fetches.
    let tp = rkafka::broker::replica::TopicPartition::new("t", 0);
    let hosted = broker.ctx().replicas.partition(&tp).unwrap();
    let mut a = hosted.assignment();
    a.isr = vec![rkafka::types::BrokerId(0), rkafka::types::BrokerId(1)];
    a.replicas = a.isr.clone();
    broker
        .ctx()
        .replicas
        .apply_leader_and_isr(&tp, a, LogConfig::default(), now_ms(), 1)
        .unwrap();
    let mut s = connect(&broker);
    let mut req = produce_req("t", 0, batch(&[b"a"], Compression::None), -1);
    req.timeout_ms = 300;
    let started = Instant::now();
    let Response::Produce(r) = call(&mut s, 9, &req) else {
        panic!()
    };
    assert_eq!(single_produce(&r).0, 7, "REQUEST_TIMED_OUT");
    assert!(started.elapsed() >= Duration::from_millis(280));
    // acks=1 is answered at once, and a consumer does not see it above the high watermark.
    assert_eq!(
        produce(&mut s, "t", 0, batch(&[b"b"], Compression::None), 1),
        (0, 1)
    );
    let r = fetch(&mut s, &fetch_req("t", 0, 0, 0, 0));
    assert_eq!(r.responses[0].partitions[0].high_watermark, 0);
    assert!(
        r.responses[0].partitions[0]
            .records
            .as_ref()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn long_poll_waits_and_wakes_on_append() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start(dir.path(), &led(&[("t", 1)]));
    let mut s = connect(&broker);
    // Nothing arrives: answered after max_wait, empty.
    let started = Instant::now();
    let r = fetch(&mut s, &fetch_req("t", 0, 0, 500, 1));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(
        r.responses[0].partitions[0]
            .records
            .as_ref()
            .unwrap()
            .is_empty()
    );
    // A produce lands 200 ms into a 5 s wait: answered right after it.
    let addr = broker.addr;
    let producer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let mut p = TcpStream::connect(addr).unwrap();
        p.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        produce(&mut p, "t", 0, batch(&[b"wake"], Compression::None), 1)
    });
    let started = Instant::now();
    let r = fetch(&mut s, &fetch_req("t", 0, 0, 5000, 1));
    let waited = started.elapsed();
    assert_eq!(producer.join().unwrap(), (0, 0));
    assert!(
        waited < Duration::from_millis(2500),
        "woken by the append: {waited:?}"
    );
    let got = values(r.responses[0].partitions[0].records.as_ref().unwrap());
    assert_eq!(got, vec![(0, b"wake".to_vec())]);
}

#[test]
fn large_batches_reach_the_client_intact_and_limits_hold() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start(dir.path(), &led(&[("t", 1)]));
    let mut s = connect(&broker);
    let big: Vec<Vec<u8>> = (0..4u8).map(|i| vec![b'a' + i; 200_000]).collect();
    for v in &big {
        assert_eq!(
            produce(&mut s, "t", 0, batch(&[v], Compression::None), 1).0,
            0
        );
    }
    // partition_max_bytes smaller than one batch: still the first batch, whole.
    let mut req = fetch_req("t", 0, 0, 0, 0);
    req.topics[0].partitions[0].partition_max_bytes = 10;
    let r = fetch(&mut s, &req);
    let got = values(r.responses[0].partitions[0].records.as_ref().unwrap());
    assert_eq!(got, vec![(0, big[0].clone())]);
    // Enough room for two and a half: two whole batches.
    req.topics[0].partitions[0].partition_max_bytes = 500_000;
    let r = fetch(&mut s, &req);
    let got = values(r.responses[0].partitions[0].records.as_ref().unwrap());
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], (1, big[1].clone()));
    // Everything, from the middle.
    let all = read_all(&mut s, "t", 0, 2);
    assert_eq!(all, vec![(2, big[2].clone()), (3, big[3].clone())]);
    // Out of range, with the log's bounds.
    let r = fetch(&mut s, &fetch_req("t", 0, 99, 0, 0));
    let p = &r.responses[0].partitions[0];
    assert_eq!(
        (p.error_code, p.high_watermark, p.log_start_offset),
        (1, 4, 0)
    );
    // A non-zero fetch session is unknown.
    let mut req = fetch_req("t", 0, 0, 0, 0);
    req.session_id = 42;
    assert_eq!(fetch(&mut s, &req).error_code, 70);
}

// ---- idempotence and restarts ------------------------------------------------------------

#[test]
fn idempotent_duplicates_get_their_original_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start(dir.path(), &led(&[("t", 1)]));
    let mut s = connect(&broker);
    assert_eq!(
        produce(&mut s, "t", 0, batch(&[b"plain"], Compression::None), 1),
        (0, 0)
    );
    let first = idempotent_batch(1000, 0, 0, &[b"a", b"b"]);
    assert_eq!(produce(&mut s, "t", 0, first.clone(), -1), (0, 1));
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(1000, 0, 2, &[b"c"]), -1),
        (0, 3)
    );
    // The retry of the first batch: its original offset, nothing appended.
    assert_eq!(produce(&mut s, "t", 0, first, -1), (0, 1));
    assert_eq!(read_all(&mut s, "t", 0, 0).len(), 4);
    // A gap, an old epoch.
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(1000, 0, 9, &[b"x"]), -1).0,
        45
    );
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(1000, 0, 3, &[b"d"]), -1),
        (0, 4)
    );
    // Epoch bump (KIP-360) must restart at 0; the old epoch is then fenced.
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(1000, 1, 5, &[b"x"]), -1).0,
        45
    );
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(1000, 1, 0, &[b"e"]), -1),
        (0, 5)
    );
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(1000, 0, 4, &[b"x"]), -1).0,
        47
    );
}

fn restart_keeps_records_and_producer_state(clean: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = InprocBroker::start(dir.path(), &led(&[("t", 2)]));
    let mut s = connect(&broker);
    let mut acked = Vec::new();
    for i in 0..50 {
        let v = format!("v{i}");
        let (code, offset) = produce(
            &mut s,
            "t",
            i % 2,
            batch(&[v.as_bytes()], Compression::Lz4),
            -1,
        );
        assert_eq!(code, 0);
        acked.push((i % 2, offset, v));
    }
    let dup = idempotent_batch(77, 3, 0, &[b"idem0", b"idem1"]);
    let (code, idem_offset) = produce(&mut s, "t", 0, dup.clone(), -1);
    assert_eq!(code, 0);
    drop(s);
    broker.restart(clean);
    if clean {
        assert!(dir.path().join("t-0").read_dir().unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".snapshot")
        }));
    }
    let mut s = connect(&broker);
    for p in 0..2 {
        let got = read_all(&mut s, "t", p, 0);
        let want: Vec<(i64, Vec<u8>)> = acked
            .iter()
            .filter(|(q, ..)| *q == p)
            .map(|(_, o, v)| (*o, v.clone().into_bytes()))
            .collect();
        assert_eq!(&got[..want.len()], &want[..], "partition {p} after restart");
    }
    // Producer state survived: the retry is recognised, the next sequence follows.
    assert_eq!(produce(&mut s, "t", 0, dup, -1), (0, idem_offset));
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(77, 3, 5, &[b"gap"]), -1).0,
        45
    );
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(77, 3, 2, &[b"next"]), -1),
        (0, idem_offset + 2)
    );
}

#[test]
fn clean_restart_keeps_records_and_producer_state() {
    restart_keeps_records_and_producer_state(true);
}

#[test]
fn unclean_restart_keeps_records_and_producer_state() {
    restart_keeps_records_and_producer_state(false);
}

#[test]
fn producer_state_survives_rolls_through_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let small_segments: common::inproc_broker::TopicConfigs = Arc::new(|_| LogConfig {
        segment_bytes: 2048,
        ..LogConfig::default()
    });
    let mut broker = InprocBroker::start_with(dir.path(), &led(&[("t", 1)]), small_segments, false);
    let mut s = connect(&broker);
    let mut last = None;
    for seq in 0..40 {
        let b = idempotent_batch(5, 0, seq, &[&[b'z'; 300]]);
        let (code, offset) = produce(&mut s, "t", 0, b.clone(), 1);
        assert_eq!(code, 0);
        last = Some((b, offset));
    }
    let snapshots = dir
        .path()
        .join("t-0")
        .read_dir()
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".snapshot")
        })
        .count();
    assert!(
        (1..=2).contains(&snapshots),
        "rolls wrote snapshots, old ones pruned: {snapshots}"
    );
    drop(s);
    broker.restart(false);
    let mut s = connect(&broker);
    let (b, offset) = last.unwrap();
    assert_eq!(produce(&mut s, "t", 0, b, 1), (0, offset));
    assert_eq!(
        produce(&mut s, "t", 0, idempotent_batch(5, 0, 40, &[b"n"]), 1),
        (0, offset + 1)
    );
}

// ---- refused input -----------------------------------------------------------------------

#[test]
fn bad_input_gets_kafkas_errors_while_others_keep_producing() {
    let dir = tempfile::tempdir().unwrap();
    let configs: common::inproc_broker::TopicConfigs = Arc::new(|t| LogConfig {
        max_message_bytes: if t == "small" { 1000 } else { 1_048_588 },
        ..LogConfig::default()
    });
    let topics = vec![
        TopicSpec::led("t", 1),
        TopicSpec::led("small", 1),
        TopicSpec {
            name: "followed".into(),
            partitions: 1,
            leader: |_| 1,
        },
    ];
    let broker = InprocBroker::start_with(dir.path(), &topics, configs, false);
    let addr = broker.addr;
    let good = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut ok = 0;
        for i in 0..100 {
            let v = format!("good{i}");
            if produce(&mut s, "t", 0, batch(&[v.as_bytes()], Compression::None), 1).0 == 0 {
                ok += 1;
            }
        }
        ok
    });
    let mut s = connect(&broker);
    for _ in 0..20 {
        let mut corrupt = BytesMut::from(&batch(&[b"payload"], Compression::None)[..]);
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        assert_eq!(
            produce(&mut s, "t", 0, corrupt.freeze(), 1).0,
            2,
            "CORRUPT_MESSAGE"
        );
    }
    assert_eq!(
        good.join().unwrap(),
        100,
        "the other connection kept producing"
    );
    let big = vec![b'q'; 5000];
    assert_eq!(
        produce(&mut s, "small", 0, batch(&[&big], Compression::None), 1).0,
        10,
        "MESSAGE_TOO_LARGE"
    );
    assert_eq!(
        produce(&mut s, "small", 0, batch(&[b"fits"], Compression::None), 1),
        (0, 0)
    );
    assert_eq!(
        produce(&mut s, "t", 7, batch(&[b"x"], Compression::None), 1).0,
        3,
        "UNKNOWN_TOPIC_OR_PARTITION"
    );
    assert_eq!(
        produce(&mut s, "nope", 0, batch(&[b"x"], Compression::None), 1).0,
        3
    );
    assert_eq!(
        produce(&mut s, "followed", 0, batch(&[b"x"], Compression::None), 1).0,
        6,
        "NOT_LEADER_OR_FOLLOWER"
    );
    let r = fetch(&mut s, &fetch_req("followed", 0, 0, 0, 0));
    assert_eq!(r.responses[0].partitions[0].error_code, 6);
    // Two batches in one partition's records: INVALID_RECORD (v3+ carries exactly one).
    let mut two = BytesMut::from(&batch(&[b"1"], Compression::None)[..]);
    two.extend_from_slice(&batch(&[b"2"], Compression::None));
    assert_eq!(produce(&mut s, "t", 0, two.freeze(), 1).0, 87);
    // A correct checksum over garbage records: the records themselves are checked too.
    for codec in [Compression::None, Compression::Gzip] {
        let mut forged = BytesMut::from(&batch(&[b"abc", b"def"], codec)[..]);
        let last = forged.len() - 3;
        forged[last] ^= 0x55;
        forged[61] = 0x7f; // first record's length varint: far too long
        rkafka::protocol::records::BatchHeaderMut::new(&mut forged)
            .unwrap()
            .update_crc();
        let code = produce(&mut s, "t", 0, forged.freeze(), 1).0;
        assert_eq!(code, 2, "{codec:?}: CORRUPT_MESSAGE");
    }
    // Nothing refused reached the log.
    let got = read_all(&mut s, "t", 0, 0);
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|(_, v)| v.starts_with(b"good")));
}

// ---- offsets -----------------------------------------------------------------------------

fn list_offsets(s: &mut TcpStream, topic: &str, timestamp: i64) -> (i16, i64, i64) {
    let req = ListOffsetsRequest {
        replica_id: -1,
        topics: vec![ListOffsetsTopic {
            name: topic.into(),
            partitions: vec![ListOffsetsPartition {
                partition_index: 0,
                current_leader_epoch: -1,
                timestamp,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let Response::ListOffsets(r) = call(s, 7, &req) else {
        panic!()
    };
    let p = &r.topics[0].partitions[0];
    (p.error_code, p.offset, p.timestamp)
}

#[test]
fn list_offsets_agree_with_kcat_and_kafka_python() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start(dir.path(), &led(&[("t", 1)]));
    let mut s = connect(&broker);
    let base = 1_700_000_000_000i64;
    for i in 0..10i64 {
        let mut b = BatchBuilder::new(Compression::None);
        b.append(base + i * 1000, None, Some(format!("r{i}").as_bytes()), &[])
            .unwrap();
        assert_eq!(produce(&mut s, "t", 0, b.build().unwrap(), 1), (0, i));
    }
    assert_eq!(list_offsets(&mut s, "t", -2), (0, 0, -1));
    assert_eq!(list_offsets(&mut s, "t", -1), (0, 10, -1));
    assert_eq!(list_offsets(&mut s, "t", -3), (0, 9, base + 9000));
    assert_eq!(list_offsets(&mut s, "t", base + 3500), (0, 4, base + 4000));
    assert_eq!(list_offsets(&mut s, "t", base + 99_000), (0, -1, -1));
    // kcat -Q asks the same question (ListOffsets by time) through librdkafka.
    let bootstrap = broker.bootstrap();
    let q = format!("t:0:{}", base + 3500);
    let out = common::kafka::kcat_ok(&["-Q", "-b", &bootstrap, "-t", &q], b"");
    assert!(
        common::stdout(&out).contains("t [0] offset 4"),
        "{}",
        common::stdout(&out)
    );
    // kcat -o -3 (three from the end) resolves the end through ListOffsets.
    let out = common::kafka::kcat_ok(
        &[
            "-C", "-b", &bootstrap, "-t", "t", "-p", "0", "-o", "-3", "-e", "-q", "-f", "%o\n",
        ],
        b"",
    );
    assert_eq!(common::stdout(&out), "7\n8\n9\n");
    let script = r#"
import sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id=None)
tp = TopicPartition('t', 0)
ts = int(sys.argv[2])
r = c.offsets_for_times({tp: ts})[tp]
print(c.beginning_offsets([tp])[tp], c.end_offsets([tp])[tp], r.offset, r.timestamp)
"#;
    let out = python(script, &[&bootstrap, &(base + 3500).to_string()]);
    assert_eq!(
        common::stdout(&out).trim(),
        format!("0 10 4 {}", base + 4000),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn leader_epochs_delete_records_and_log_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start(dir.path(), &led(&[("t", 1)]));
    let mut s = connect(&broker);
    for i in 0..10 {
        assert_eq!(
            produce(&mut s, "t", 0, batch(&[b"e"], Compression::None), 1),
            (0, i)
        );
    }
    let req = |epoch: i32, current: i32| OffsetForLeaderEpochRequest {
        replica_id: -1,
        topics: vec![OffsetForLeaderTopic {
            topic: "t".into(),
            partitions: vec![OffsetForLeaderPartition {
                partition: 0,
                current_leader_epoch: current,
                leader_epoch: epoch,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let Response::OffsetForLeaderEpoch(r) = call(&mut s, 4, &req(0, 0)) else {
        panic!()
    };
    let p = &r.topics[0].partitions[0];
    assert_eq!((p.error_code, p.leader_epoch, p.end_offset), (0, 0, 10));
    let Response::OffsetForLeaderEpoch(r) = call(&mut s, 4, &req(0, 3)) else {
        panic!()
    };
    assert_eq!(
        r.topics[0].partitions[0].error_code, 75,
        "UNKNOWN_LEADER_EPOCH"
    );
    // Fetch fences a newer epoch the same way.
    let mut f = fetch_req("t", 0, 0, 0, 0);
    f.topics[0].partitions[0].current_leader_epoch = 3;
    assert_eq!(fetch(&mut s, &f).responses[0].partitions[0].error_code, 75);

    let del = |offset: i64| DeleteRecordsRequest {
        topics: vec![DeleteRecordsTopic {
            name: "t".into(),
            partitions: vec![DeleteRecordsPartition {
                partition_index: 0,
                offset,
                ..Default::default()
            }],
            ..Default::default()
        }],
        timeout_ms: 1000,
        ..Default::default()
    };
    let Response::DeleteRecords(r) = call(&mut s, 2, &del(4)) else {
        panic!()
    };
    let p = &r.topics[0].partitions[0];
    assert_eq!((p.error_code, p.low_watermark), (0, 4));
    let Response::DeleteRecords(r) = call(&mut s, 2, &del(11)) else {
        panic!()
    };
    assert_eq!(
        r.topics[0].partitions[0].error_code, 1,
        "above the high watermark"
    );
    assert_eq!(list_offsets(&mut s, "t", -2), (0, 4, -1));
    assert_eq!(
        fetch(&mut s, &fetch_req("t", 0, 0, 0, 0)).responses[0].partitions[0].error_code,
        1
    );
    assert_eq!(read_all(&mut s, "t", 0, 4).len(), 6);

    let all = DescribeLogDirsRequest {
        topics: None,
        ..Default::default()
    };
    let Response::DescribeLogDirs(r) = call(&mut s, 4, &all) else {
        panic!()
    };
    let d = r
        .results
        .iter()
        .find(|d| std::path::Path::new(&d.log_dir) == dir.path())
        .expect("the log dir");
    assert_eq!(d.error_code, 0);
    assert!(d.total_bytes > 0 && d.usable_bytes > 0);
    let part = &d.topics.iter().find(|t| t.name == "t").unwrap().partitions[0];
    assert!(part.partition_size > 10 * 61, "{}", part.partition_size);
    let only = DescribeLogDirsRequest {
        topics: Some(vec![DescribableLogDirTopic {
            topic: "other".into(),
            partitions: vec![0],
            ..Default::default()
        }]),
        ..Default::default()
    };
    let Response::DescribeLogDirs(r) = call(&mut s, 4, &only) else {
        panic!()
    };
    assert!(r.results.iter().all(|d| d.topics.is_empty()));
}

#[test]
fn init_producer_id_reserves_blocks_in_the_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start_with(
        dir.path(),
        &led(&[("t", 1)]),
        Arc::new(|_| LogConfig::default()),
        true,
    );
    let mut s = connect(&broker);
    let init = |txn: Option<&str>| InitProducerIdRequest {
        transactional_id: txn.map(str::to_owned),
        transaction_timeout_ms: 60_000,
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    let mut ids = Vec::new();
    for _ in 0..3 {
        let Response::InitProducerId(r) = call(&mut s, 4, &init(None)) else {
            panic!()
        };
        assert_eq!((r.error_code, r.producer_epoch), (0, 0));
        ids.push(r.producer_id);
    }
    assert_eq!(ids, [0, 1, 2]);
    let Response::InitProducerId(r) = call(&mut s, 4, &init(Some("txn"))) else {
        panic!()
    };
    assert_eq!(
        r.error_code, 16,
        "NOT_COORDINATOR: no transaction coordinator here"
    );
    let zk = broker.ctx().zk.current().unwrap();
    let (data, _) = broker
        .rt
        .block_on(zk.get_data("/latest_producer_id_block", false))
        .unwrap();
    let block = rkafka::coordinator::kafka_paths::ProducerIdBlock::decode(&data).unwrap();
    assert_eq!(block.bounds().unwrap(), (0, 999));
    // A restarted broker takes the next block.
    let mut broker = broker;
    drop(s);
    broker.restart(true);
    let mut s = connect(&broker);
    let Response::InitProducerId(r) = call(&mut s, 4, &init(None)) else {
        panic!()
    };
    assert_eq!(r.producer_id, 1000);
}

#[test]
fn java_console_producer_and_consumer_round_trip() {
    use common::kafka::{CONSOLE_CONSUMER, KafkaVersion, kafka_tool_ok};
    let dir = tempfile::tempdir().unwrap();
    let broker = InprocBroker::start_with(
        dir.path(),
        &led(&[("j39", 1), ("j44", 1)]),
        Arc::new(|_| LogConfig::default()),
        true,
    );
    let bootstrap = broker.bootstrap();
    for (version, topic, codec) in [
        (KafkaVersion::V3_9, "j39", "lz4"),
        (KafkaVersion::V4, "j44", "zstd"),
    ] {
        let input = lines(200, topic);
        // Java producers are idempotent by default: InitProducerId, sequences, acks=all.
        kafka_tool_ok(
            version,
            version.console_producer(),
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                topic,
                "--compression-codec",
                codec,
            ],
            input.as_bytes(),
        );
        let out = kafka_tool_ok(
            version,
            CONSOLE_CONSUMER,
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                topic,
                "--partition",
                "0",
                "--offset",
                "earliest",
                "--max-messages",
                "200",
                "--timeout-ms",
                "30000",
            ],
            b"",
        );
        assert_eq!(
            common::stdout(&out),
            input,
            "{version:?}: {}",
            common::stderr(&out)
        );
        let mut s = connect(&broker);
        let r = fetch(&mut s, &fetch_req(topic, 0, 0, 0, 0));
        let records = r.responses[0].partitions[0].records.clone().unwrap();
        let Some(Ok(rkafka::protocol::records::Batch::V2(first))) = Batches::new(records).next()
        else {
            panic!("a batch")
        };
        assert!(
            first.producer_id() >= 0,
            "{version:?} produced idempotently"
        );
    }
}

#[test]
fn timestamp_bounds_and_log_append_time() {
    let dir = tempfile::tempdir().unwrap();
    let configs: common::inproc_broker::TopicConfigs = Arc::new(|t| match t {
        "strict" => LogConfig {
            message_timestamp_before_max_ms: 3_600_000,
            message_timestamp_after_max_ms: 60_000,
            ..LogConfig::default()
        },
        "append" => LogConfig {
            message_timestamp_type: rkafka::protocol::records::TimestampType::LogAppendTime,
            ..LogConfig::default()
        },
        _ => LogConfig::default(),
    });
    let broker = InprocBroker::start_with(
        dir.path(),
        &led(&[("strict", 1), ("append", 1)]),
        configs,
        false,
    );
    let mut s = connect(&broker);
    let now = now_ms();
    let build = |stamps: &[i64], c: Compression| {
        let mut b = BatchBuilder::new(c);
        for t in stamps {
            b.append(*t, None, Some(b"v"), &[]).unwrap();
        }
        b.build().unwrap()
    };
    for (stamps, bad) in [
        (vec![now, now - 7_200_000], Some(1)),
        (vec![now + 120_000], Some(0)),
        (vec![now - 1000, now, now + 1000], None),
    ] {
        let Response::Produce(r) = call(
            &mut s,
            9,
            &produce_req("strict", 0, build(&stamps, Compression::Gzip), 1),
        ) else {
            panic!()
        };
        let p = &r.responses[0].partition_responses[0];
        match bad {
            Some(index) => {
                assert_eq!(p.error_code, 32, "INVALID_TIMESTAMP");
                assert_eq!(p.record_errors[0].batch_index, index);
                assert!(p.error_message.is_some());
            }
            None => assert_eq!((p.error_code, p.base_offset), (0, 0)),
        }
    }
    // LogAppendTime: the broker's clock replaces the producer's, and the answer says when.
    let Response::Produce(r) = call(
        &mut s,
        9,
        &produce_req("append", 0, build(&[1000, 2000], Compression::None), 1),
    ) else {
        panic!()
    };
    let p = &r.responses[0].partition_responses[0];
    assert_eq!(p.error_code, 0);
    assert!(p.log_append_time_ms >= now, "{}", p.log_append_time_ms);
    let f = fetch(&mut s, &fetch_req("append", 0, 0, 0, 0));
    let records = f.responses[0].partitions[0].records.clone().unwrap();
    let Some(Ok(rkafka::protocol::records::Batch::V2(b))) = Batches::new(records).next() else {
        panic!()
    };
    assert_eq!(b.max_timestamp(), p.log_append_time_ms);
    b.validate().unwrap();
}

#[test]
fn acks_all_needs_min_insync_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let configs: common::inproc_broker::TopicConfigs = Arc::new(|_| LogConfig {
        min_insync_replicas: 2,
        ..LogConfig::default()
    });
    let broker = InprocBroker::start_with(dir.path(), &led(&[("t", 1)]), configs, false);
    let mut s = connect(&broker);
    assert_eq!(
        produce(&mut s, "t", 0, batch(&[b"a"], Compression::None), -1).0,
        19,
        "NOT_ENOUGH_REPLICAS"
    );
    assert_eq!(
        produce(&mut s, "t", 0, batch(&[b"b"], Compression::None), 1),
        (0, 0),
        "acks=1 is not bound by it"
    );
    assert_eq!(
        read_all(&mut s, "t", 0, 0).len(),
        1,
        "the refused batch was not written"
    );
}
