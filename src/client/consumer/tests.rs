//! The consumer against a scripted in-process broker on 127.0.0.1: a fenced leader epoch
//! refreshes metadata and retries, records below the sought offset are skipped, the next
//! fetch is on the wire while the previous reply's records are handed out, and
//! OFFSET_OUT_OF_RANGE applies auto.offset.reset.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::client::ClientSettings;
use crate::protocol::header::{decode_request, encode_any_response};
use crate::protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use crate::protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use crate::protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use crate::protocol::messages::{MetadataResponse, Request};
use crate::protocol::records::{BatchBuilder, Compression};
use crate::types::HostPort;

/// What the fake broker saw.
#[derive(Debug, Default)]
struct Seen {
    metadata_calls: usize,
    /// (fetch offset, leader epoch) of each Fetch, in arrival order.
    fetches: Vec<(i64, i32)>,
    list_offsets: Vec<i64>,
}

/// Offsets 0..10 in two batches (gzip and lz4), then the first bytes of a third batch.
fn log() -> Bytes {
    let mut buf = Vec::new();
    for (base, codec) in [(0i64, Compression::Gzip), (5, Compression::Lz4)] {
        let mut b = BatchBuilder::new(codec).base_offset(base);
        for i in 0..5 {
            let v = format!("v{}", base + i);
            b.append(1000, None, Some(v.as_bytes()), &[]).unwrap();
        }
        buf.extend_from_slice(&b.build().unwrap());
    }
    let mut tail = BatchBuilder::new(Compression::None).base_offset(10);
    tail.append(1000, None, Some(b"cut"), &[]).unwrap();
    buf.extend_from_slice(&tail.build().unwrap()[..30]);
    Bytes::from(buf)
}

fn answer(req: Request, port: u16, seen: &Mutex<Seen>) -> Response {
    let mut seen = seen.lock().unwrap();
    match req {
        Request::ApiVersions(_) => {
            Response::ApiVersions(crate::protocol::api::api_versions_response(
                &crate::protocol::api::client_versions(),
                ErrorCode::NONE,
                0,
            ))
        }
        Request::Metadata(_) => {
            seen.metadata_calls += 1;
            // The first answer (the topic look-up, reused for the assignment) names an epoch
            // the leader has already left.
            let epoch = if seen.metadata_calls <= 1 { 5 } else { 6 };
            Response::Metadata(MetadataResponse {
                brokers: vec![MetadataResponseBroker {
                    node_id: 1,
                    host: "127.0.0.1".into(),
                    port: i32::from(port),
                    ..MetadataResponseBroker::default()
                }],
                controller_id: 1,
                topics: vec![MetadataResponseTopic {
                    name: Some("t".into()),
                    partitions: vec![MetadataResponsePartition {
                        partition_index: 0,
                        leader_id: 1,
                        leader_epoch: epoch,
                        replica_nodes: vec![1],
                        isr_nodes: vec![1],
                        ..MetadataResponsePartition::default()
                    }],
                    ..MetadataResponseTopic::default()
                }],
                ..MetadataResponse::default()
            })
        }
        Request::ListOffsets(r) => {
            let ts = r.topics[0].partitions[0].timestamp;
            seen.list_offsets.push(ts);
            Response::ListOffsets(ListOffsetsResponse {
                topics: vec![ListOffsetsTopicResponse {
                    name: "t".into(),
                    partitions: vec![ListOffsetsPartitionResponse {
                        partition_index: 0,
                        offset: if ts == requests::EARLIEST_TIMESTAMP {
                            0
                        } else {
                            10
                        },
                        ..ListOffsetsPartitionResponse::default()
                    }],
                    ..ListOffsetsTopicResponse::default()
                }],
                ..ListOffsetsResponse::default()
            })
        }
        Request::Fetch(r) => {
            let p = &r.topics[0].partitions[0];
            seen.fetches.push((p.fetch_offset, p.current_leader_epoch));
            let (error, records) = if p.current_leader_epoch != 6 {
                (ErrorCode::FENCED_LEADER_EPOCH, None)
            } else if p.fetch_offset > 10 {
                (ErrorCode::OFFSET_OUT_OF_RANGE, None)
            } else if p.fetch_offset == 10 {
                (ErrorCode::NONE, Some(Bytes::new()))
            } else {
                (ErrorCode::NONE, Some(log()))
            };
            Response::Fetch(FetchResponse {
                responses: vec![FetchableTopicResponse {
                    topic: "t".into(),
                    partitions: vec![PartitionData {
                        partition_index: 0,
                        error_code: error.0,
                        high_watermark: 10,
                        records,
                        ..PartitionData::default()
                    }],
                    ..FetchableTopicResponse::default()
                }],
                ..FetchResponse::default()
            })
        }
        other => panic!("unexpected request {other:?}"),
    }
}

async fn fake_broker(seen: Arc<Mutex<Seen>>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                loop {
                    let mut len = [0u8; 4];
                    if s.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let mut frame = vec![0u8; i32::from_be_bytes(len) as usize];
                    s.read_exact(&mut frame).await.unwrap();
                    let (header, req) = decode_request(Bytes::from(frame)).unwrap();
                    let empty_fetch = matches!(&req, Request::Fetch(r) if r.topics[0].partitions[0].fetch_offset == 10);
                    let resp = answer(req, port, &seen);
                    if empty_fetch {
                        // A long poll that finds nothing.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    let mut out = BytesMut::new();
                    encode_any_response(
                        &mut out,
                        header.correlation_id,
                        header.request_api_version,
                        &resp,
                    )
                    .unwrap();
                    s.write_all(&out).await.unwrap();
                }
            });
        }
    });
    port
}

#[test]
fn fenced_epoch_refreshes_pipelines_and_resets_out_of_range() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let port = fake_broker(seen.clone()).await;
        let config = ConsumerConfig {
            client: ClientSettings {
                bootstrap_servers: vec![HostPort {
                    host: "127.0.0.1".into(),
                    port,
                }],
                retry_backoff: Duration::from_millis(10),
                ..ClientSettings::default()
            },
            auto_offset_reset: OffsetReset::Earliest,
            ..ConsumerConfig::default()
        };
        let mut consumer = Consumer::new(config);
        assert_eq!(consumer.partitions_for("t").await.unwrap(), vec![0]);
        assert!(matches!(
            consumer.partitions_for("nope").await,
            Err(ConsumerError::UnknownTopic { .. })
        ));
        consumer.assign("t", 0);
        consumer.seek("t", 0, StartAt::Offset(3)).unwrap();
        let deadline = Some(Instant::now() + Duration::from_secs(5));
        let first = consumer.next(deadline).await.unwrap().unwrap();
        assert_eq!(first.offset, 3);
        assert_eq!(first.value.as_deref(), Some(&b"v3"[..]));
        // While record 3 is out, the fetch at 10 must already be on the wire.
        tokio::time::sleep(Duration::from_millis(100)).await;
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.fetches[0], (3, 5), "first fetch with the stale epoch");
            assert_eq!(seen.fetches[1], (3, 6), "retried after a metadata refresh");
            assert_eq!(seen.fetches[2].0, 10, "pipelined: {:?}", seen.fetches);
            assert_eq!(
                seen.metadata_calls, 2,
                "one look-up, one refresh after the fencing"
            );
        }
        let mut offsets = vec![first.offset];
        while let Some(r) = consumer
            .next(Some(Instant::now() + Duration::from_millis(200)))
            .await
            .unwrap()
        {
            offsets.push(r.offset);
        }
        assert_eq!(offsets, (3..10).collect::<Vec<_>>());
        assert_eq!(consumer.position("t", 0), Some(10));

        // Out of range: auto.offset.reset=earliest starts again at 0.
        consumer.seek("t", 0, StartAt::Offset(50)).unwrap();
        let r = consumer.next(deadline).await.unwrap();
        let r = r.unwrap_or_else(|| panic!("{:?}", seen.lock().unwrap()));
        assert_eq!(r.offset, 0);
        assert_eq!(
            seen.lock().unwrap().list_offsets,
            vec![requests::EARLIEST_TIMESTAMP]
        );
    });
}
