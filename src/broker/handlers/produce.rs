//! Produce (API 0): append each partition's record batch to its log as leader and answer
//! with the offsets.
//!
//! Versions 3-11: Kafka 4.0 dropped v0-v2 (KIP-896); v3+ carries exactly one magic-2 batch per
//! partition, anything else is INVALID_RECORD. Per partition: this broker must lead it
//! (UNKNOWN_TOPIC_OR_PARTITION / NOT_LEADER_OR_FOLLOWER); the log validates the batch (CRC
//! -> CORRUPT_MESSAGE, `max.message.bytes` -> MESSAGE_TOO_LARGE, client rules ->
//! INVALID_RECORD), rewrites base offset and leader epoch only, stamps LogAppendTime when the
//! topic asks; idempotent batches are checked against the producer's sequences (a retried
//! duplicate gets its original offset back).
//!
//! acks: 0 sends no response at all (and, as Kafka, closes the connection if a partition
//! failed, so the client notices); 1 answers after the local append; -1 (all) answers once the
//! high watermark covers the batch, which is immediate when the ISR is only this broker and
//! otherwise waits for replication up to `timeout_ms` (REQUEST_TIMED_OUT after); with fewer
//! in-sync replicas than `min.insync.replicas` it is refused before writing
//! (NOT_ENOUGH_REPLICAS). Transactional
//! batches are refused (INVALID_TXN_STATE): rkafka has no transaction coordinator.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::BrokerContext;
use super::partition_io::{
    INLINE_APPEND_MAX_BYTES, advance_sole_leader_hw, leader_and_epoch, log_error_code, now_ms,
    records_error_code, with_log, with_log_inline,
};
use crate::broker::replica::{HostedPartition, TopicPartition};
use crate::log::error::LogError;
use crate::log::partition_log::{PartitionLog, Produced};
use crate::log::producer_state::SequenceError;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, LeaderIdAndEpoch, PartitionProduceResponse, TopicProduceResponse,
};
use crate::protocol::messages::{ProduceRequest, ProduceResponse};
use crate::protocol::records::{Batch, Batches, Compression};

/// Produce versions served: 3 (first with only magic 2) through 11 (Kafka 3.9's maximum).
pub const VERSIONS: (i16, i16) = (3, 11);

/// The answer: `None` for acks=0 when every partition succeeded (no response frame);
/// `Err(AcksZeroFailed)` for acks=0 when one failed (close the connection).
pub type ProduceOutcome = Result<Option<ProduceResponse>, AcksZeroFailed>;

/// An acks=0 produce failed on some partition: Kafka closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcksZeroFailed;

/// Handles one Produce request (see the module doc).
pub async fn handle(ctx: &BrokerContext, req: ProduceRequest, version: i16) -> ProduceOutcome {
    let acks = req.acks;
    let timeout = Duration::from_millis(u64::try_from(req.timeout_ms).unwrap_or(0));
    let valid_acks = matches!(acks, -1..=1);
    let mut tasks = Vec::new();
    for topic in req.topic_data {
        for p in topic.partition_data {
            let tp = TopicPartition::new(topic.name.clone(), p.index);
            let ctx = ctx.clone();
            let transactional = req.transactional_id.is_some();
            tasks.push((
                tp.clone(),
                tokio::spawn(async move {
                    if !valid_acks {
                        return Answer::error(ErrorCode::INVALID_REQUIRED_ACKS);
                    }
                    produce_partition(&ctx, &tp, p.records, version, acks, transactional, timeout)
                        .await
                }),
            ));
        }
    }
    let mut responses: Vec<TopicProduceResponse> = Vec::new();
    let mut failed = false;
    for (tp, task) in tasks {
        let answer = task
            .await
            .unwrap_or_else(|_| Answer::error(ErrorCode::UNKNOWN_SERVER_ERROR));
        failed |= answer.error != ErrorCode::NONE;
        let part = answer.into_response(tp.partition, version);
        match responses.last_mut() {
            Some(t) if t.name == tp.topic => t.partition_responses.push(part),
            _ => responses.push(TopicProduceResponse {
                name: tp.topic,
                partition_responses: vec![part],
                ..Default::default()
            }),
        }
    }
    if acks == 0 {
        return if failed {
            Err(AcksZeroFailed)
        } else {
            Ok(None)
        };
    }
    Ok(Some(ProduceResponse {
        responses,
        ..Default::default()
    }))
}

/// One partition's result.
#[derive(Debug, Clone)]
struct Answer {
    error: ErrorCode,
    base_offset: i64,
    log_append_time: i64,
    log_start_offset: i64,
    message: Option<String>,
    /// The record a v8+ `record_errors` entry names (its index within the batch), if any.
    record_error: Option<i32>,
    leader: (i32, i32),
}

impl Answer {
    fn error(error: ErrorCode) -> Answer {
        Answer {
            error,
            base_offset: -1,
            log_append_time: -1,
            log_start_offset: -1,
            message: None,
            record_error: None,
            leader: (-1, -1),
        }
    }

    fn with_message(mut self, message: String, record_error: bool) -> Answer {
        self.message = Some(message);
        self.record_error = record_error.then_some(0);
        self
    }

    fn into_response(self, index: i32, version: i16) -> PartitionProduceResponse {
        let record_errors = match self.record_error.filter(|_| version >= 8) {
            Some(batch_index) => vec![BatchIndexAndErrorMessage {
                batch_index,
                batch_index_error_message: self.message.clone(),
                ..Default::default()
            }],
            None => Vec::new(),
        };
        // Fields a version does not have stay at their defaults (the encoder refuses others).
        PartitionProduceResponse {
            index,
            error_code: self.error.0,
            base_offset: self.base_offset,
            log_append_time_ms: self.log_append_time,
            log_start_offset: if version >= 5 {
                self.log_start_offset
            } else {
                -1
            },
            record_errors,
            error_message: self.message.filter(|_| self.error.is_err() && version >= 8),
            current_leader: if version >= 10 {
                LeaderIdAndEpoch {
                    leader_id: self.leader.0,
                    leader_epoch: self.leader.1,
                    ..Default::default()
                }
            } else {
                LeaderIdAndEpoch::default()
            },
            ..Default::default()
        }
    }
}

/// What the request's single batch says before the log sees it.
fn precheck(records: Option<&Bytes>, version: i16, transactional: bool) -> Result<(), Answer> {
    let Some(records) = records.filter(|r| !r.is_empty()) else {
        return Err(Answer::error(ErrorCode::INVALID_RECORD)
            .with_message("produce request without a record batch".into(), true));
    };
    let mut it = Batches::new(records.clone());
    let first = match it.next() {
        Some(Ok(Batch::V2(b))) => b,
        Some(Ok(Batch::Legacy(m))) => {
            return Err(Answer::error(ErrorCode::INVALID_RECORD).with_message(
                format!(
                    "Produce requests with version {version} are only allowed to contain record batches with magic version 2 (got {})",
                    m.magic()
                ),
                true,
            ));
        }
        Some(Err(e)) => {
            return Err(Answer::error(records_error_code(&e)).with_message(e.to_string(), false));
        }
        None => {
            return Err(Answer::error(ErrorCode::CORRUPT_MESSAGE)
                .with_message("records hold no whole batch".into(), false));
        }
    };
    if it.next().is_some() || it.remaining() > 0 {
        return Err(Answer::error(ErrorCode::INVALID_RECORD).with_message(
            format!("Produce requests with version {version} must have exactly one record batch per partition"),
            true,
        ));
    }
    if first.is_transactional() || transactional {
        return Err(Answer::error(ErrorCode::INVALID_TXN_STATE).with_message(
            "transactions are not supported by this broker".into(),
            false,
        ));
    }
    if version < 7 && matches!(first.compression(), Ok(Compression::Zstd)) {
        return Err(Answer::error(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE));
    }
    Ok(())
}

async fn produce_partition(
    ctx: &BrokerContext,
    tp: &TopicPartition,
    records: Option<Bytes>,
    version: i16,
    acks: i16,
    transactional: bool,
    timeout: Duration,
) -> Answer {
    let hosted = match ctx.replicas.leader_partition(tp) {
        Ok(h) => h,
        Err(code) => {
            let mut a = Answer::error(code);
            a.leader = leader_and_epoch(ctx.replicas.partition(tp).as_deref());
            return a;
        }
    };
    let leader = leader_and_epoch(Some(&hosted));
    if let Err(mut a) = precheck(records.as_ref(), version, transactional) {
        a.leader = leader;
        return a;
    }
    let Some(records) = records else {
        return Answer::error(ErrorCode::INVALID_RECORD);
    };
    let me = ctx.replicas.broker_id();
    let epoch = hosted.leader_epoch();
    let now = now_ms();
    let h = Arc::clone(&hosted);
    let inline = records.len() <= INLINE_APPEND_MAX_BYTES;
    let append = move |log: &mut PartitionLog| {
        // acks=all needs min.insync.replicas in the ISR before anything is written.
        let min_isr = usize::try_from(log.config().min_insync_replicas).unwrap_or(usize::MAX);
        if acks == -1 && h.assignment().isr.len() < min_isr {
            return Err(NotEnoughReplicas);
        }
        let buf = records
            .try_into_mut()
            .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
        let result = log.append_produced(buf, epoch, now);
        if result.is_ok() {
            advance_sole_leader_hw(&h, me, log);
        }
        Ok(result.map(|r| (r, log.log_start_offset())))
    };
    let appended = if inline {
        with_log_inline(&hosted, append)
    } else {
        with_log(&hosted, append).await
    };
    hosted.changed.notify_waiters();
    let (produced, log_start) = match appended {
        Err(code) => return Answer::error(code),
        Ok(Err(NotEnoughReplicas)) => {
            let mut a = Answer::error(ErrorCode::NOT_ENOUGH_REPLICAS);
            a.leader = leader;
            return a;
        }
        Ok(Ok(Err(e))) => {
            let mut a = answer_for_log_error(&e);
            a.leader = leader;
            return a;
        }
        Ok(Ok(Ok(ok))) => ok,
    };
    let (base, last, append_time) = match produced {
        Produced::Appended(info) => (info.first_offset, info.last_offset, info.log_append_time),
        Produced::Duplicate {
            first_offset,
            last_offset,
        } => (first_offset, last_offset, -1),
    };
    let mut answer = Answer {
        error: ErrorCode::NONE,
        base_offset: base,
        log_append_time: append_time,
        log_start_offset: log_start,
        message: None,
        record_error: None,
        leader: (-1, -1),
    };
    if acks == -1 && !wait_for_high_watermark(&hosted, last + 1, timeout).await {
        answer.error = ErrorCode::REQUEST_TIMED_OUT;
    }
    answer
}

/// The ISR was below `min.insync.replicas` for an acks=all produce.
struct NotEnoughReplicas;

fn answer_for_log_error(e: &LogError) -> Answer {
    let code = match e {
        LogError::Sequence(SequenceError::StaleEpoch { .. }) => ErrorCode::INVALID_PRODUCER_EPOCH,
        LogError::Sequence(SequenceError::OutOfOrder { .. }) => {
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER
        }
        LogError::InvalidTimestamp { record_index, .. } => {
            let mut a =
                Answer::error(ErrorCode::INVALID_TIMESTAMP).with_message(e.to_string(), true);
            a.record_error = Some(i32::try_from(*record_index).unwrap_or(i32::MAX));
            return a;
        }
        other => log_error_code(other),
    };
    let record_error = code == ErrorCode::INVALID_RECORD;
    Answer::error(code).with_message(e.to_string(), record_error)
}

/// Waits until the partition's high watermark reaches `end` (exclusive end offset of the
/// batch) or `timeout` passes; true when reached.
async fn wait_for_high_watermark(
    hosted: &Arc<HostedPartition>,
    end: i64,
    timeout: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let notified = hosted.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let hw = {
            let log = crate::log::manager::lock_log(&hosted.log);
            log.high_watermark()
        };
        if hw >= end {
            return true;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return false;
        }
    }
}
