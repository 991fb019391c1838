//! Fetch (API 1): whole record batches from the partitions' logs, long-polling until
//! `min_bytes` are there or `max_wait_ms` has passed.
//!
//! Versions 4-17 (Kafka 4.0's floor is 4 after KIP-896; 13+ name topics by id). Consumers
//! (replica_id -1) read up to the high watermark; read_committed reads up to the last stable
//! offset, which is the high watermark as rkafka has no transactions. A follower replica
//! (replica_id >= 0) reads up to the log end. The first batch of the response is returned
//! whole even above the byte limits (as Kafka, so a consumer never stalls on a large batch);
//! after that, `partition_max_bytes` and the response's `max_bytes` bound what is added.
//!
//! Fetch sessions (KIP-227) are not kept: a request with session id 0 is answered sessionless
//! (session id 0), which every client handles by sending full fetches; a non-zero session id
//! gets FETCH_SESSION_ID_NOT_FOUND, as Kafka answers an unknown session.
//!
//! Zero copy: record bytes are not read here. Each partition's batches are a file range of
//! its segment; the encoded response carries a same-length placeholder that
//! [`FetchReply::into_chunks`] swaps for the range, which the connection sends with
//! sendfile. Ranges too small to be worth a separate write (or larger than the placeholder
//! area) are read into memory instead.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;

use super::BrokerContext;
use super::partition_io::{advance_sole_leader_hw, log_error_code, with_log};
use crate::broker::replica::{HostedPartition, TopicPartition};
use crate::log::error::LogError;
use crate::log::segment::FileRange;
use crate::protocol::codec::{ChainWriter, Uuid};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::fetch_response::{
    FetchableTopicResponse, LeaderIdAndEpoch, PartitionData,
};
use crate::protocol::messages::{FetchRequest, FetchResponse};

/// Fetch versions served: 4 (Kafka 4.0's floor) through 17 (the spec's maximum).
pub const VERSIONS: (i16, i16) = (4, 17);

/// Longest long poll honoured, whatever the client asks (ms): a guard against a client
/// pinning a request for days.
const MAX_WAIT_CAP_MS: u64 = 5 * 60 * 1000;

/// Largest file range sent through a placeholder (bytes); larger ones are read into memory.
const PLACEHOLDER_LEN: usize = 8 << 20;

/// Zero bytes standing in for record data in the encoded response. Never read for ranges
/// of at least [`ChainWriter::ZERO_COPY_MIN`] bytes (the encoder keeps them as their own
/// chunk), so it costs no memory.
static PLACEHOLDER: [u8; PLACEHOLDER_LEN] = [0; PLACEHOLDER_LEN];

/// A fetch answer: the response and, in encoding order, the file ranges its placeholders
/// stand for.
#[derive(Debug)]
pub struct FetchReply {
    pub response: FetchResponse,
    pub files: Vec<FileRange>,
}

/// One piece of a response frame: bytes in memory, or a range of a segment file to send with
/// sendfile.
#[derive(Debug, Clone)]
pub enum Chunk {
    Bytes(Bytes),
    File(FileRange),
}

impl Chunk {
    pub fn len(&self) -> usize {
        match self {
            Chunk::Bytes(b) => b.len(),
            Chunk::File(f) => usize::try_from(f.length).unwrap_or(usize::MAX),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunk's bytes, reading a file range (tests and fallbacks).
    pub fn to_bytes(&self) -> std::io::Result<Bytes> {
        match self {
            Chunk::Bytes(b) => Ok(b.clone()),
            Chunk::File(f) => f.read_to_bytes(),
        }
    }
}

impl FetchReply {
    /// Turns encoded chunks into the frame to send: each placeholder chunk (the records
    /// of one partition, in encoding order) becomes its file range.
    pub fn splice(chunks: Vec<Bytes>, files: Vec<FileRange>) -> Vec<Chunk> {
        let mut files = files.into_iter();
        chunks
            .into_iter()
            .map(|c| {
                if c.as_ptr() == PLACEHOLDER.as_ptr() {
                    if let Some(f) = files.next() {
                        return Chunk::File(f);
                    }
                }
                Chunk::Bytes(c)
            })
            .collect()
    }
}

/// Handles one Fetch request (see the module doc).
pub async fn handle(ctx: &BrokerContext, req: FetchRequest, version: i16) -> FetchReply {
    if req.session_id != 0 {
        return FetchReply {
            response: FetchResponse {
                error_code: ErrorCode::FETCH_SESSION_ID_NOT_FOUND.0,
                session_id: 0,
                ..Default::default()
            },
            files: Vec::new(),
        };
    }
    let replica_id = if version >= 15 {
        req.replica_state.replica_id
    } else {
        req.replica_id
    };
    let wanted = resolve(ctx, &req, version);
    let wait = Duration::from_millis(
        u64::try_from(req.max_wait_ms)
            .unwrap_or(0)
            .min(MAX_WAIT_CAP_MS),
    );
    let deadline = tokio::time::Instant::now() + wait;
    let min_bytes = u64::try_from(req.min_bytes).unwrap_or(0);
    let max_bytes = u64::try_from(req.max_bytes).unwrap_or(0);
    let read_committed = req.isolation_level == 1;
    loop {
        // Register for wake-ups before reading, so an append between the read and the wait
        // is not missed.
        let mut waits: Vec<Pin<Box<tokio::sync::futures::Notified<'_>>>> = Vec::new();
        for w in &wanted {
            if let Ok(h) = &w.hosted {
                let mut n = Box::pin(h.changed.notified());
                n.as_mut().enable();
                waits.push(n);
            }
        }
        let (reply, bytes, any_error) =
            read_all(ctx, &wanted, replica_id, max_bytes, read_committed, version).await;
        let expired = tokio::time::Instant::now() >= deadline;
        if bytes >= min_bytes || any_error || expired || waits.is_empty() {
            return reply;
        }
        let any = std::future::poll_fn(|cx| {
            for n in waits.iter_mut() {
                if n.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(());
                }
            }
            Poll::Pending
        });
        if tokio::time::timeout_at(deadline, any).await.is_err() {
            // One last read at the deadline: data may have arrived without reaching min_bytes.
            let (reply, _, _) =
                read_all(ctx, &wanted, replica_id, max_bytes, read_committed, version).await;
            return reply;
        }
    }
}

/// A requested partition, resolved once.
struct Wanted {
    topic: String,
    topic_id: Uuid,
    partition: i32,
    fetch_offset: i64,
    current_leader_epoch: i32,
    partition_max_bytes: u64,
    hosted: Result<Arc<HostedPartition>, ErrorCode>,
}

fn resolve(ctx: &BrokerContext, req: &FetchRequest, version: i16) -> Vec<Wanted> {
    let image = ctx.metadata.snapshot();
    let mut out = Vec::new();
    for t in &req.topics {
        let (name, known) = if version >= 13 {
            match image.topic_by_id(t.topic_id) {
                Some(ts) => (ts.name.clone(), true),
                None => (String::new(), false),
            }
        } else {
            (t.topic.clone(), true)
        };
        for p in &t.partitions {
            let hosted = if known {
                // Consumers and followers both fetch from the leader.
                ctx.replicas
                    .leader_partition(&TopicPartition::new(name.clone(), p.partition))
            } else {
                Err(ErrorCode::UNKNOWN_TOPIC_ID)
            };
            out.push(Wanted {
                topic: name.clone(),
                topic_id: t.topic_id,
                partition: p.partition,
                fetch_offset: p.fetch_offset,
                current_leader_epoch: p.current_leader_epoch,
                partition_max_bytes: u64::try_from(p.partition_max_bytes).unwrap_or(0),
                hosted,
            });
        }
    }
    out
}

/// Reads every partition once: the reply, the record bytes in it and whether a partition
/// failed (which answers at once, as Kafka does).
async fn read_all(
    ctx: &BrokerContext,
    wanted: &[Wanted],
    replica_id: i32,
    max_bytes: u64,
    read_committed: bool,
    version: i16,
) -> (FetchReply, u64, bool) {
    let mut topics: Vec<FetchableTopicResponse> = Vec::new();
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut any_error = false;
    let me = ctx.replicas.broker_id();
    for w in wanted {
        let mut part = PartitionData {
            partition_index: w.partition,
            high_watermark: -1,
            last_stable_offset: -1,
            log_start_offset: -1,
            aborted_transactions: read_committed.then(Vec::new),
            records: Some(Bytes::new()),
            ..Default::default()
        };
        match &w.hosted {
            Err(code) => {
                part.error_code = code.0;
                any_error = true;
            }
            Ok(h) => {
                let a = h.assignment();
                if version >= 12 {
                    part.current_leader = LeaderIdAndEpoch {
                        leader_id: a.leader.0,
                        leader_epoch: a.leader_epoch,
                        ..Default::default()
                    };
                }
                if let Some(code) = epoch_error(w.current_leader_epoch, a.leader_epoch) {
                    part.error_code = code.0;
                    any_error = true;
                } else {
                    let room = max_bytes.saturating_sub(total);
                    let limit = w.partition_max_bytes.min(room);
                    let first = total == 0;
                    let offset = w.fetch_offset;
                    let follower = replica_id >= 0;
                    let hh = Arc::clone(h);
                    let read = with_log(h, move |log| {
                        advance_sole_leader_hw(&hh, me, log);
                        let max_offset = (!follower).then(|| log.high_watermark());
                        // Small or huge ranges are read here, on the blocking thread.
                        log.read(offset, limit, max_offset, first).map(|info| {
                            let records = info.range.clone().map(records_for);
                            (info, records)
                        })
                    })
                    .await;
                    match read {
                        Err(code) => {
                            part.error_code = code.0;
                            any_error = true;
                        }
                        Ok(Err(e)) => {
                            part.error_code = log_error_code(&e).0;
                            any_error = true;
                            if let LogError::OffsetOutOfRange { .. } = e {
                                let (hw, start) = {
                                    let log = crate::log::manager::lock_log(&h.log);
                                    (log.high_watermark(), log.log_start_offset())
                                };
                                part.high_watermark = hw;
                                part.last_stable_offset = hw;
                                part.log_start_offset = if version >= 5 { start } else { -1 };
                            }
                        }
                        Ok(Ok((info, records))) => {
                            part.high_watermark = info.high_watermark;
                            part.last_stable_offset = info.high_watermark;
                            if version >= 5 {
                                part.log_start_offset = info.log_start_offset;
                            }
                            if let (Some(range), Some(records)) = (info.range, records) {
                                total = total.saturating_add(range.length);
                                match records {
                                    Ok((bytes, Some(file))) => {
                                        part.records = Some(bytes);
                                        files.push(file);
                                    }
                                    Ok((bytes, None)) => part.records = Some(bytes),
                                    Err(e) => {
                                        tracing::error!("reading a segment range failed: {e}");
                                        part.error_code = ErrorCode::KAFKA_STORAGE_ERROR.0;
                                        any_error = true;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        match topics.last_mut() {
            Some(t) if t.topic == w.topic && t.topic_id == w.topic_id => t.partitions.push(part),
            _ => topics.push(FetchableTopicResponse {
                topic: w.topic.clone(),
                topic_id: w.topic_id,
                partitions: vec![part],
                ..Default::default()
            }),
        }
    }
    let response = FetchResponse {
        session_id: 0,
        responses: topics,
        ..Default::default()
    };
    (FetchReply { response, files }, total, any_error)
}

/// The records field for a file range: a placeholder plus the range to splice in, or the
/// bytes themselves when too small or too large for a placeholder.
fn records_for(range: FileRange) -> std::io::Result<(Bytes, Option<FileRange>)> {
    let len = usize::try_from(range.length).unwrap_or(usize::MAX);
    if (ChainWriter::ZERO_COPY_MIN..=PLACEHOLDER_LEN).contains(&len) {
        let placeholder = PLACEHOLDER.get(..len).unwrap_or_default();
        Ok((Bytes::from_static(placeholder), Some(range)))
    } else {
        Ok((range.read_to_bytes()?, None))
    }
}

/// Kafka's leader epoch fencing: a client that knows an older epoch is fenced, one that knows
/// a newer epoch than this broker must wait for the broker to catch up. -1 skips the check.
pub fn epoch_error(client_epoch: i32, leader_epoch: i32) -> Option<ErrorCode> {
    if client_epoch < 0 {
        None
    } else if client_epoch < leader_epoch {
        Some(ErrorCode::FENCED_LEADER_EPOCH)
    } else if client_epoch > leader_epoch {
        Some(ErrorCode::UNKNOWN_LEADER_EPOCH)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::broker::handlers::{respond, route};
    use crate::broker::replica::ReplicaAssignment;
    use crate::log::config::LogConfig;
    use crate::protocol::frame::{Frame, decode_frame};
    use crate::protocol::header::{decode_response, encode_request};
    use crate::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use crate::protocol::messages::{ApiKey, Response};
    use crate::protocol::records::{BatchBuilder, Compression};
    use crate::types::BrokerId;

    fn batch(value_len: usize) -> BytesMut {
        let mut b = BatchBuilder::new(Compression::None);
        b.append(1, None, Some(&vec![7u8; value_len]), &[]).unwrap();
        BytesMut::from(&b.build().unwrap()[..])
    }

    /// Large record data leaves as a file range (sendfile); small data is copied; both decode
    /// to the bytes the log holds.
    #[test]
    fn record_data_is_sent_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = BrokerContext::new(
            crate::broker::replica::tests::broker_config(&[]),
            crate::broker::replica::tests::manager(dir.path()),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for (partition, value_len) in [(0, 5000), (1, 10)] {
            let tp = TopicPartition::new("t", partition);
            let hosted = ctx
                .replicas
                .apply_leader_and_isr(
                    &tp,
                    ReplicaAssignment {
                        topic_id: Uuid::ZERO,
                        controller_epoch: 1,
                        leader: BrokerId(1),
                        leader_epoch: 0,
                        isr: vec![BrokerId(1)],
                        partition_epoch: 0,
                        replicas: vec![BrokerId(1)],
                        adding_replicas: vec![],
                        removing_replicas: vec![],
                        is_new: true,
                    },
                    LogConfig::default(),
                    0,
                    1,
                )
                .unwrap();
            let mut log = crate::log::manager::lock_log(&hosted.log);
            log.append_as_leader(batch(value_len), 0, 1).unwrap();
            let end = log.log_end_offset();
            log.set_high_watermark(end);
        }
        let req = FetchRequest {
            replica_id: -1,
            max_bytes: 1 << 20,
            session_epoch: -1,
            topics: vec![FetchTopic {
                topic: "t".into(),
                partitions: (0..2)
                    .map(|p| FetchPartition {
                        partition: p,
                        current_leader_epoch: -1,
                        fetch_offset: 0,
                        partition_max_bytes: 1 << 20,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        encode_request(&mut buf, 5, Some("t"), 11, &req).unwrap();
        let chunks = rt
            .block_on(respond(&ctx, route(buf.split_off(4).freeze()).unwrap()))
            .unwrap();
        let files: Vec<&FileRange> = chunks
            .iter()
            .filter_map(|c| match c {
                Chunk::File(f) => Some(f),
                Chunk::Bytes(_) => None,
            })
            .collect();
        assert_eq!(files.len(), 1, "only the large batch is a file range");
        assert!(files[0].length > 5000);
        let mut all = BytesMut::new();
        for c in &chunks {
            all.extend_from_slice(&c.to_bytes().unwrap());
        }
        let Ok(Frame::Complete(body)) = decode_frame(&mut all, usize::MAX) else {
            panic!("one frame")
        };
        let (_, Response::Fetch(r)) = decode_response(ApiKey::Fetch, 11, body).unwrap() else {
            panic!()
        };
        let parts = &r.responses[0].partitions;
        for (p, value_len) in [(0usize, 5000usize), (1, 10)] {
            // the log rewrote only base offset and leader epoch (bytes 0-15): the rest as built
            let want = batch(value_len);
            let got = parts[p].records.clone().unwrap();
            assert_eq!(got.len(), want.len(), "partition {p}");
            assert!(
                got[16..] == want[16..],
                "partition {p}: record bytes differ"
            );
            assert_eq!(parts[p].high_watermark, 1);
        }
    }

    #[test]
    fn leader_epoch_fencing() {
        assert_eq!(epoch_error(-1, 5), None);
        assert_eq!(epoch_error(5, 5), None);
        assert_eq!(epoch_error(4, 5), Some(ErrorCode::FENCED_LEADER_EPOCH));
        assert_eq!(epoch_error(6, 5), Some(ErrorCode::UNKNOWN_LEADER_EPOCH));
    }
}
