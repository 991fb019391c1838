//! Criterion benchmarks of the wire protocol hot paths: a Produce v9 request frame (decode,
//! encode, both, and decode plus the batch CRC), CRC32C throughput, a large Metadata v12
//! response, and record iteration over uncompressed and lz4 batches.
//!
//! Run with `cargo bench --bench protocol`; the targets and the numbers measured on the
//! project machine are in `benches/README.md`. Sample counts and times are kept small so the
//! whole run stays well under three minutes on two cores.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use rkafka::protocol::codec::{ChainWriter, Decoder, Uuid};
use rkafka::protocol::header::{decode_request, encode_request};
use rkafka::protocol::messages::Request;
use rkafka::protocol::messages::metadata_response::{
    MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use rkafka::protocol::messages::produce_request::{
    PartitionProduceData, ProduceRequest, TopicProduceData,
};
use rkafka::protocol::records::{
    BatchBuilder, Compression, DEFAULT_DECOMPRESSION_LIMIT, RecordBatch,
};

const BATCH_BYTES: usize = 16 * 1024;
const VALUE_BYTES: usize = 1000;

/// Deterministic, mildly compressible bytes (log-line-like text with a counter), so the lz4
/// batch compresses the way real payloads do rather than not at all.
fn payload(seed: usize, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut i = seed;
    while out.len() < len {
        let line = format!(
            "{{\"ts\":{},\"user\":\"u{}\",\"event\":\"click\",\"path\":\"/p/{}\"}}\n",
            1_700_000_000_000u64 + i as u64,
            i % 97,
            (i * 7919) % 1009
        );
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// A batch of ~1 KiB records whose uncompressed size is about `BATCH_BYTES`, and its record count.
fn batch(codec: Compression) -> (Bytes, usize) {
    let mut b = BatchBuilder::new(codec).producer(4000, 0, 0);
    let mut n = 0;
    while b.uncompressed_size() + VALUE_BYTES + 40 <= BATCH_BYTES {
        let key = format!("key-{n:05}");
        b.append(
            1_700_000_000_000 + n as i64,
            Some(key.as_bytes()),
            Some(&payload(n, VALUE_BYTES)),
            &[("trace", Some(b"abc123"))],
        )
        .expect("append");
        n += 1;
    }
    (b.build().expect("build"), n)
}

fn produce_request(records: Bytes) -> ProduceRequest {
    ProduceRequest {
        transactional_id: None,
        acks: -1,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: "clicks".to_owned(),
            partition_data: vec![PartitionProduceData {
                index: 3,
                records: Some(records),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn encode_frame(req: &ProduceRequest) -> Vec<Bytes> {
    let mut w = ChainWriter::with_capacity(128);
    encode_request(&mut w, 42, Some("producer-1"), 9, req).expect("encode");
    w.finish()
}

fn produce(c: &mut Criterion) {
    let (records, _) = batch(Compression::None);
    let req = produce_request(records);
    let chunks = encode_frame(&req);
    // The broker sees the frame without its 4-byte length prefix.
    let joined: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
    let frame = Bytes::from(joined).slice(4..);

    // The records field must come back as a slice of the frame, not a copy.
    let (_, decoded) = decode_request(frame.clone()).expect("decode");
    let Request::Produce(p) = decoded else {
        panic!("not a produce request")
    };
    let rec = p.topic_data[0].partition_data[0]
        .records
        .clone()
        .expect("records");
    let range = frame.as_ptr_range();
    assert!(range.contains(&rec.as_ptr()), "records were copied");
    assert_eq!(p, req);

    let mut g = c.benchmark_group("produce_v9_16k");
    g.bench_function("decode", |b| {
        b.iter(|| decode_request(black_box(frame.clone())).expect("decode"))
    });
    g.bench_function("encode", |b| b.iter(|| encode_frame(black_box(&req))));
    g.bench_function("decode_encode", |b| {
        b.iter(|| {
            let (_, r) = decode_request(black_box(frame.clone())).expect("decode");
            let Request::Produce(p) = r else {
                unreachable!()
            };
            encode_frame(&p)
        })
    });
    g.bench_function("decode_validate_crc", |b| {
        b.iter(|| {
            let (_, r) = decode_request(black_box(frame.clone())).expect("decode");
            let Request::Produce(p) = r else {
                unreachable!()
            };
            for t in &p.topic_data {
                for part in &t.partition_data {
                    if let Some(rec) = &part.records {
                        let batch = RecordBatch::parse(rec.clone()).expect("parse");
                        batch.validate_client_append().expect("valid");
                    }
                }
            }
            p
        })
    });
    g.finish();
}

fn crc(c: &mut Criterion) {
    let mut g = c.benchmark_group("crc32c");
    for (name, len) in [("16KiB", 16 * 1024), ("1MiB", 1 << 20)] {
        let buf = payload(1, len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(name, |b| b.iter(|| crc32c::crc32c(black_box(&buf))));
    }
    g.finish();
}

fn metadata_response() -> MetadataResponse {
    let brokers = (0..3)
        .map(|id| MetadataResponseBroker {
            node_id: id,
            host: format!("broker-{id}.kafka.internal"),
            port: 9092,
            rack: Some(format!("rack-{id}")),
            ..Default::default()
        })
        .collect();
    let topics = (0..100u8)
        .map(|t| MetadataResponseTopic {
            error_code: 0,
            name: Some(format!("topic-{t:03}")),
            topic_id: Uuid([t; 16]),
            is_internal: false,
            partitions: (0..6)
                .map(|p| {
                    let replicas: Vec<i32> = (0..3).map(|r| (p + r) % 3).collect();
                    MetadataResponsePartition {
                        error_code: 0,
                        partition_index: p,
                        leader_id: replicas[0],
                        leader_epoch: 7,
                        isr_nodes: replicas.clone(),
                        replica_nodes: replicas,
                        offline_replicas: Vec::new(),
                        ..Default::default()
                    }
                })
                .collect(),
            topic_authorized_operations: i32::MIN,
            ..Default::default()
        })
        .collect();
    MetadataResponse {
        throttle_time_ms: 0,
        brokers,
        cluster_id: Some("rkafka-bench-cluster".to_owned()),
        controller_id: 1,
        topics,
        cluster_authorized_operations: i32::MIN,
        ..Default::default()
    }
}

fn metadata(c: &mut Criterion) {
    let resp = metadata_response();
    let mut buf = BytesMut::new();
    resp.encode(&mut buf, 12).expect("encode");
    let encoded = buf.freeze();

    let mut g = c.benchmark_group("metadata_v12_100x6");
    g.throughput(Throughput::Bytes(encoded.len() as u64));
    // Sizing then encoding into an exact buffer, as a response writer does.
    g.bench_function("encode", |b| {
        b.iter(|| {
            let r = black_box(&resp);
            let mut out = BytesMut::with_capacity(r.encoded_size(12));
            r.encode(&mut out, 12).expect("encode");
            out
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut d = Decoder::new(black_box(encoded.clone()));
            MetadataResponse::decode(&mut d, 12).expect("decode")
        })
    });
    g.finish();
}

/// Iterates every record of `raw`, touching key and value so nothing is optimised away.
fn iterate(raw: &Bytes) -> usize {
    let batch = RecordBatch::parse(raw.clone()).expect("parse");
    let mut n = 0;
    for r in batch.records(DEFAULT_DECOMPRESSION_LIMIT).expect("records") {
        let r = r.expect("record");
        n += r.key.map_or(0, |k| k.len()) + r.value.map_or(0, |v| v.len()) + r.headers.len();
    }
    n
}

fn records(c: &mut Criterion) {
    let (plain, count) = batch(Compression::None);
    let (lz4, lz4_count) = batch(Compression::Lz4);
    assert_eq!(count, lz4_count);
    let uncompressed = plain.len() as u64;
    for (group, throughput) in [
        (
            "records_iter_16k_per_record",
            Throughput::Elements(count as u64),
        ),
        ("records_iter_16k_per_byte", Throughput::Bytes(uncompressed)),
    ] {
        let mut g = c.benchmark_group(group);
        g.throughput(throughput);
        g.bench_function("uncompressed", |b| b.iter(|| iterate(black_box(&plain))));
        g.bench_function("lz4", |b| b.iter(|| iterate(black_box(&lz4))));
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .noise_threshold(0.05)
}

criterion_group! {
    name = benches;
    config = config();
    targets = produce, crc, metadata, records
}
criterion_main!(benches);
