//! The sender against a scripted fake broker: retries keep their sequence, and
//! UNKNOWN_PRODUCER_ID leads to a local epoch bump with sequences restarted at 0 (KIP-360).

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::client::producer::{Producer, ProducerRecord, ProducerSettings};
use crate::protocol::api::{api_versions_response, client_versions};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::{decode_request, encode_response};
use crate::protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use crate::protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use crate::protocol::messages::{
    InitProducerIdResponse, MetadataResponse, ProduceResponse, Request,
};
use crate::protocol::records::RecordBatch;
use crate::types::HostPort;

/// (producer epoch, base sequence, record count) of every produce batch seen.
type Seen = Arc<Mutex<Vec<(i16, i32, i32)>>>;

/// Serves one topic `t` with one partition led by itself; Produce answers come from
/// `script` in order (then NONE).
async fn fake_broker(script: Vec<i16>, seen: Seen) -> HostPort {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let offset = Arc::new(Mutex::new(0i64));
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let (script, seen, offset) = (script.clone(), seen.clone(), offset.clone());
            tokio::spawn(async move {
                loop {
                    let mut len = [0u8; 4];
                    if s.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let mut buf = BytesMut::zeroed(i32::from_be_bytes(len) as usize);
                    s.read_exact(&mut buf).await.unwrap();
                    let (header, request) = decode_request(buf.freeze()).unwrap();
                    let (cid, v) = (header.correlation_id, header.request_api_version);
                    let mut out = Vec::new();
                    match request {
                        Request::ApiVersions(_) => {
                            let r = api_versions_response(&client_versions(), ErrorCode::NONE, 0);
                            encode_response(&mut out, cid, v, &r).unwrap();
                        }
                        Request::Metadata(_) => {
                            let r = MetadataResponse {
                                brokers: vec![MetadataResponseBroker {
                                    node_id: 0,
                                    host: "127.0.0.1".into(),
                                    port: i32::from(port),
                                    ..Default::default()
                                }],
                                topics: vec![MetadataResponseTopic {
                                    name: Some("t".into()),
                                    partitions: vec![MetadataResponsePartition {
                                        partition_index: 0,
                                        leader_id: 0,
                                        replica_nodes: vec![0],
                                        isr_nodes: vec![0],
                                        ..Default::default()
                                    }],
                                    ..Default::default()
                                }],
                                controller_id: 0,
                                ..Default::default()
                            };
                            encode_response(&mut out, cid, v, &r).unwrap();
                        }
                        Request::InitProducerId(_) => {
                            let r = InitProducerIdResponse {
                                producer_id: 1000,
                                producer_epoch: 0,
                                ..Default::default()
                            };
                            encode_response(&mut out, cid, v, &r).unwrap();
                        }
                        Request::Produce(p) => {
                            let data = &p.topic_data[0].partition_data[0];
                            let batch = RecordBatch::parse(data.records.clone().unwrap()).unwrap();
                            seen.lock().unwrap().push((
                                batch.producer_epoch(),
                                batch.base_sequence(),
                                batch.record_count(),
                            ));
                            let code = script.lock().unwrap().next().unwrap_or(0);
                            let base = {
                                let mut o = offset.lock().unwrap();
                                let b = *o;
                                if code == 0 {
                                    *o += i64::from(batch.record_count());
                                }
                                b
                            };
                            let r = ProduceResponse {
                                responses: vec![TopicProduceResponse {
                                    name: "t".into(),
                                    partition_responses: vec![PartitionProduceResponse {
                                        index: 0,
                                        error_code: code,
                                        base_offset: if code == 0 { base } else { -1 },
                                        log_append_time_ms: -1,
                                        ..Default::default()
                                    }],
                                    ..Default::default()
                                }],
                                ..Default::default()
                            };
                            encode_response(&mut out, cid, v, &r).unwrap();
                        }
                        other => panic!("unexpected request {other:?}"),
                    }
                    s.write_all(&out).await.unwrap();
                }
            });
        }
    });
    HostPort {
        host: "127.0.0.1".into(),
        port,
    }
}

fn settings(addr: HostPort) -> ProducerSettings {
    let mut s = ProducerSettings::default();
    s.client.bootstrap_servers = vec![addr];
    s.client.retry_backoff = std::time::Duration::from_millis(10);
    s.linger = std::time::Duration::ZERO;
    s
}

fn record(v: &str) -> ProducerRecord {
    ProducerRecord {
        topic: "t".into(),
        value: Some(bytes::Bytes::copy_from_slice(v.as_bytes())),
        ..ProducerRecord::default()
    }
}

#[tokio::test]
async fn retriable_errors_resend_with_the_same_sequence() {
    let seen: Seen = Arc::default();
    // NOT_LEADER_OR_FOLLOWER twice, then success.
    let addr = fake_broker(vec![6, 6], seen.clone()).await;
    let producer = Producer::start(settings(addr)).unwrap();
    let d = producer.send(record("a")).await.unwrap();
    let md = d.wait().await.unwrap();
    assert_eq!((md.partition, md.offset), (0, 0));
    let d = producer.send(record("b")).await.unwrap();
    assert_eq!(d.wait().await.unwrap().offset, 1);
    producer.close().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 1, 1)]
    );
}

#[tokio::test]
async fn unknown_producer_id_bumps_the_epoch_and_restarts_sequences() {
    let seen: Seen = Arc::default();
    let addr = fake_broker(vec![0, 59], seen.clone()).await;
    let producer = Producer::start(settings(addr)).unwrap();
    assert_eq!(
        producer
            .send(record("a"))
            .await
            .unwrap()
            .wait()
            .await
            .unwrap()
            .offset,
        0
    );
    assert_eq!(
        producer
            .send(record("b"))
            .await
            .unwrap()
            .wait()
            .await
            .unwrap()
            .offset,
        1
    );
    producer.close().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(0, 0, 1), (0, 1, 1), (1, 0, 1)],
        "after UNKNOWN_PRODUCER_ID the batch goes again with epoch 1, sequence 0"
    );
}

#[tokio::test]
async fn fatal_errors_reach_the_record() {
    let seen: Seen = Arc::default();
    // MESSAGE_TOO_LARGE is not retriable.
    let addr = fake_broker(vec![10], seen.clone()).await;
    let producer = Producer::start(settings(addr)).unwrap();
    let err = producer
        .send(record("a"))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("MESSAGE_TOO_LARGE"), "{err}");
    producer.close().await;
}
