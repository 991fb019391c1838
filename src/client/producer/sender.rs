//! The producer's background task: turns queued records into batches (partitioner +
//! accumulator), keeps topic metadata, gets a producer id when idempotent, sends ready
//! batches to each partition's leader through one connection task per broker, and settles
//! each batch from the answer: delivered, retried after `retry.backoff.ms`, epoch bump, or
//! failed. All decisions are the pure modules'; this file only moves data and waits.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::accumulator::{Accumulator, Batch, NewRecord, TopicPartition};
use super::partitioner::Partitioner;
use super::sequence::{Outcome, Sequences, outcome};
use super::{
    Command, DeliveryResult, ProduceError, ProducerRecord, ProducerSettings, RecordMetadata,
};
use crate::client::{BrokerConnection, Client, ClientSettings, Metadata};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use crate::protocol::messages::{
    ApiKey, InitProducerIdRequest, ProduceRequest, ProduceResponse, Response,
};
use crate::types::HostPort;

/// A record handed to the task, with its reply channel and its buffer-memory permits.
#[derive(Debug)]
pub struct Pending {
    pub record: ProducerRecord,
    pub timestamp: i64,
    pub created: Instant,
    pub reply: oneshot::Sender<DeliveryResult>,
    pub permit: OwnedSemaphorePermit,
}

/// What the accumulator carries per record: the reply, and the memory held until then.
#[derive(Debug)]
pub struct Token {
    reply: oneshot::Sender<DeliveryResult>,
    _permit: OwnedSemaphorePermit,
}

/// A partition's answer: error, base offset, log append time, error message.
type PartitionAnswer = (ErrorCode, i64, i64, Option<String>);

/// A request for a broker task.
#[derive(Debug)]
struct Job {
    id: u64,
    request: ProduceRequest,
}

/// A broker task's report.
#[derive(Debug)]
struct Answer {
    broker: i32,
    id: u64,
    /// `Ok(None)`: acks=0, written to the socket.
    result: Result<Option<ProduceResponse>, String>,
}

#[derive(Debug)]
struct BrokerHandle {
    jobs: mpsc::UnboundedSender<Job>,
    in_flight: usize,
    addr: HostPort,
}

#[derive(Debug)]
struct InFlightRequest {
    batches: Vec<Batch<Token>>,
}

/// What the task knows of one topic.
#[derive(Debug, Default)]
struct TopicState {
    /// Leader per partition index (-1: none).
    leaders: Vec<i32>,
    available: Vec<i32>,
}

/// The background task's state.
pub struct Engine {
    settings: ProducerSettings,
    idempotent: bool,
    client: Client,
    acc: Accumulator<Token>,
    partitioner: Partitioner,
    topics: HashMap<String, TopicState>,
    broker_addrs: HashMap<i32, HostPort>,
    /// Records whose topic has no metadata yet.
    waiting: VecDeque<Pending>,
    sequences: Option<Sequences>,
    need_bump: bool,
    brokers: HashMap<i32, BrokerHandle>,
    requests: HashMap<u64, InFlightRequest>,
    next_id: u64,
    answers_tx: mpsc::UnboundedSender<Answer>,
    answers: mpsc::UnboundedReceiver<Answer>,
    flushes: Vec<oneshot::Sender<()>>,
    close: Option<oneshot::Sender<()>>,
    metadata_due: bool,
    last_metadata: Option<Instant>,
    /// Why the last metadata refresh failed, if it did.
    metadata_error: Option<String>,
    /// A fatal error (producer id refused ...): every record fails with it.
    fatal: Option<ProduceError>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("idempotent", &self.idempotent)
            .field("requests", &self.requests.len())
            .finish()
    }
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    t ^ u64::from(std::process::id()).rotate_left(32)
}

impl Engine {
    pub fn new(settings: ProducerSettings, idempotent: bool) -> Self {
        let (answers_tx, answers) = mpsc::unbounded_channel();
        Engine {
            client: Client::new(settings.client.clone()),
            acc: Accumulator::new(settings.batch_size, settings.linger, settings.compression),
            partitioner: Partitioner::new(
                settings.partitioner,
                settings.partitioner_ignore_keys,
                settings.batch_size,
                seed(),
            ),
            settings,
            idempotent,
            topics: HashMap::new(),
            broker_addrs: HashMap::new(),
            waiting: VecDeque::new(),
            sequences: None,
            need_bump: false,
            brokers: HashMap::new(),
            requests: HashMap::new(),
            next_id: 0,
            answers_tx,
            answers,
            flushes: Vec::new(),
            close: None,
            metadata_due: false,
            last_metadata: None,
            metadata_error: None,
            fatal: None,
        }
    }

    fn idle(&self) -> bool {
        self.acc.is_empty() && self.waiting.is_empty() && self.requests.is_empty()
    }

    /// Runs until closed (or the handle is dropped) and everything queued has an outcome.
    pub(crate) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut open = true;
        loop {
            self.step(Instant::now()).await;
            if self.idle() {
                for f in self.flushes.drain(..) {
                    let _ = f.send(());
                }
                if !open || self.close.is_some() {
                    if let Some(c) = self.close.take() {
                        let _ = c.send(());
                    }
                    return;
                }
            }
            let deadline = self.next_wakeup();
            tokio::select! {
                cmd = commands.recv(), if open && self.close.is_none() => match cmd {
                    Some(c) => {
                        self.command(c);
                        // Take whatever else is queued before deciding what to send.
                        while let Ok(c) = commands.try_recv() {
                            self.command(c);
                        }
                    }
                    None => open = false,
                },
                Some(answer) = self.answers.recv() => {
                    self.answer(answer, Instant::now());
                    while let Ok(a) = self.answers.try_recv() {
                        self.answer(a, Instant::now());
                    }
                }
                _ = sleep_until(deadline) => {}
            }
        }
    }

    fn next_wakeup(&self) -> Option<Instant> {
        let now = Instant::now();
        let mut t = self.acc.next_deadline(now);
        let retry = self
            .last_metadata
            .map(|l| l + self.settings.client.retry_backoff);
        if !self.waiting.is_empty() || self.metadata_due {
            t = min_opt(t, retry.or(Some(Instant::now())));
        }
        if let Some(first) = self.waiting.front() {
            t = min_opt(t, Some(first.created + self.settings.max_block));
        }
        // Delivery timeouts and idle sweeps: look again at least every second.
        min_opt(t, Some(Instant::now() + Duration::from_secs(1)))
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Send(p) => {
                if let Some(e) = &self.fatal {
                    let _ = p.reply.send(Err(e.clone()));
                } else if self.topics.contains_key(&p.record.topic) {
                    self.place(p, Instant::now());
                } else {
                    self.waiting.push_back(p);
                }
            }
            Command::Flush(tx) => self.flushes.push(tx),
            Command::Close(tx) => self.close = Some(tx),
        }
    }

    /// Partitions a record of a known topic and appends it.
    fn place(&mut self, p: Pending, now: Instant) {
        let Some(state) = self.topics.get(&p.record.topic) else {
            self.waiting.push_back(p);
            return;
        };
        let count = i32::try_from(state.leaders.len()).unwrap_or(i32::MAX);
        let partition = match p.record.partition {
            Some(q) if (0..count).contains(&q) => Some(q),
            Some(q) => {
                let _ = p.reply.send(Err(ProduceError::NoSuchPartition {
                    topic: p.record.topic.clone(),
                    partition: q,
                    count,
                }));
                return;
            }
            None => self.partitioner.partition(
                &p.record.topic,
                p.record.key.as_deref(),
                p.record.size(),
                count,
                &state.available,
            ),
        };
        let Some(partition) = partition else {
            self.waiting.push_back(p);
            return;
        };
        let tp = TopicPartition {
            topic: p.record.topic.clone(),
            partition,
        };
        let headers: Vec<(&str, Option<&[u8]>)> = p
            .record
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        let record = NewRecord {
            timestamp: p.timestamp,
            key: p.record.key.as_deref(),
            value: p.record.value.as_deref(),
            headers: &headers,
            token: Token {
                reply: p.reply,
                _permit: p.permit,
            },
        };
        if let Err((token, e)) = self.acc.append(&tp, record, now) {
            let _ = token.reply.send(Err(ProduceError::Batch(e.to_string())));
        }
    }

    /// One round: metadata, producer id, expiry, then everything ready goes out.
    async fn step(&mut self, now: Instant) {
        self.refresh_metadata_if_needed(now).await;
        let waiting = std::mem::take(&mut self.waiting);
        for p in waiting {
            if self.topics.contains_key(&p.record.topic) {
                self.place(p, now);
            } else if now.saturating_duration_since(p.created) >= self.settings.max_block {
                let _ = p.reply.send(Err(ProduceError::TopicNotInMetadata {
                    topic: p.record.topic.clone(),
                    ms: self.settings.max_block.as_millis(),
                    cause: self.metadata_error.clone(),
                }));
            } else {
                self.waiting.push_back(p);
            }
        }
        for b in self.acc.expire(now, self.settings.delivery_timeout) {
            let e = ProduceError::DeliveryTimeout {
                topic: b.tp.topic.clone(),
                partition: b.tp.partition,
                count: b.len(),
                ms: self.settings.delivery_timeout.as_millis(),
            };
            fail_batch(b, &e);
        }
        if let Some(e) = self.fatal.clone() {
            for b in self.acc.take_all() {
                fail_batch(b, &e);
            }
            return;
        }
        if self.idempotent {
            if self.need_bump && self.requests.is_empty() {
                let fresh = self.sequences.as_mut().is_some_and(Sequences::bump_epoch);
                if !fresh {
                    self.sequences = None;
                }
                self.acc.reset_sequences();
                self.need_bump = false;
            }
            if self.need_bump {
                return;
            }
            if self.sequences.is_none() && !self.acc.is_empty() {
                self.init_producer_id().await;
                if self.sequences.is_none() {
                    return;
                }
            }
        }
        let flushing = !self.flushes.is_empty() || self.close.is_some();
        self.send_ready(now, flushing);
    }

    async fn refresh_metadata_if_needed(&mut self, now: Instant) {
        let missing = self
            .waiting
            .iter()
            .any(|p| !self.topics.contains_key(&p.record.topic));
        let stale = self.last_metadata.is_some_and(|t| {
            now.saturating_duration_since(t) >= self.settings.client.metadata_max_age
        });
        let backoff_over = self
            .last_metadata
            .is_none_or(|t| now.saturating_duration_since(t) >= self.settings.client.retry_backoff);
        if !((missing || self.metadata_due || stale) && backoff_over) {
            return;
        }
        let mut wanted: HashSet<String> = self.topics.keys().cloned().collect();
        wanted.extend(self.waiting.iter().map(|p| p.record.topic.clone()));
        let mut wanted: Vec<String> = wanted.into_iter().collect();
        wanted.sort();
        self.last_metadata = Some(Instant::now());
        match self.client.topic_metadata(&wanted, true).await {
            Ok(m) => {
                self.metadata_due = false;
                self.metadata_error = None;
                self.apply_metadata(&m);
            }
            Err(e) => {
                tracing::debug!("metadata refresh failed: {e}");
                self.metadata_error = Some(e.to_string());
                self.metadata_due = true;
            }
        }
    }

    fn apply_metadata(&mut self, m: &Metadata) {
        for b in &m.brokers {
            self.broker_addrs.insert(b.id, b.addr());
            if let Some(h) = self.brokers.get(&b.id)
                && h.addr != b.addr()
            {
                // The broker moved: a new connection task is started on next use.
                self.brokers.remove(&b.id);
            }
        }
        for t in &m.topics {
            if t.error.is_err() || t.partitions.is_empty() {
                if t.error != ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
                    && t.error != ErrorCode::LEADER_NOT_AVAILABLE
                    && t.error.is_err()
                    && !t.error.is_retriable()
                {
                    // e.g. TOPIC_AUTHORIZATION_FAILED, INVALID_TOPIC_EXCEPTION: final.
                    let e = ProduceError::Broker {
                        topic: t.name.clone(),
                        partition: -1,
                        code: t.error.to_string(),
                        message: t.error.message().to_string(),
                    };
                    let waiting = std::mem::take(&mut self.waiting);
                    for p in waiting {
                        if p.record.topic == t.name {
                            let _ = p.reply.send(Err(e.clone()));
                        } else {
                            self.waiting.push_back(p);
                        }
                    }
                }
                if t.partitions.is_empty() {
                    continue;
                }
            }
            let count = t
                .partitions
                .iter()
                .map(|p| p.partition.saturating_add(1))
                .max()
                .unwrap_or(0)
                .clamp(0, 1 << 20) as usize;
            let mut state = TopicState {
                leaders: vec![-1; count],
                available: Vec::new(),
            };
            for p in &t.partitions {
                if let Some(slot) = usize::try_from(p.partition)
                    .ok()
                    .and_then(|i| state.leaders.get_mut(i))
                {
                    *slot = p.leader;
                    if p.leader >= 0 {
                        state.available.push(p.partition);
                    }
                }
            }
            state.available.sort_unstable();
            self.topics.insert(t.name.clone(), state);
        }
    }

    async fn init_producer_id(&mut self) {
        let metadata = match self.client.metadata().await {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!("no metadata for InitProducerId: {e}");
                return;
            }
        };
        let Some(id) = metadata.brokers.first().map(|b| b.id) else {
            return;
        };
        let versions = self.client.client_versions().to_vec();
        let result = async {
            let conn = self.client.broker(id).await.map_err(|e| e.to_string())?;
            let version = conn
                .version_for(&versions, ApiKey::InitProducerId)
                .map_err(|e| e.to_string())?;
            let request = InitProducerIdRequest {
                transactional_id: None,
                transaction_timeout_ms: i32::MAX,
                producer_id: -1,
                producer_epoch: -1,
                ..InitProducerIdRequest::default()
            };
            match conn.conn.request(version, &request).await {
                Ok(Response::InitProducerId(r)) => Ok(r),
                Ok(_) => Err("unexpected response to InitProducerId".to_string()),
                Err(e) => Err(e.to_string()),
            }
        }
        .await;
        match result {
            Ok(r) if r.error_code == 0 => {
                self.sequences = Some(Sequences::new(r.producer_id, r.producer_epoch));
            }
            Ok(r) => {
                let code = ErrorCode(r.error_code);
                if !code.is_retriable() {
                    self.fatal = Some(ProduceError::Fatal(format!(
                        "InitProducerId failed: {code}: {}",
                        code.message()
                    )));
                }
            }
            Err(e) => {
                self.client.forget(id);
                tracing::debug!("InitProducerId failed: {e}");
                // Retried on the next round, after the metadata backoff.
                self.metadata_due = true;
            }
        }
    }

    /// Groups ready batches by leader into one request per broker (one batch per
    /// partition, at most `max.request.size` bytes unless a single batch is larger).
    fn send_ready(&mut self, now: Instant, flushing: bool) {
        let mut by_broker: HashMap<i32, Vec<TopicPartition>> = HashMap::new();
        for tp in self.acc.ready(now, flushing) {
            let leader = self
                .topics
                .get(&tp.topic)
                .and_then(|t| {
                    usize::try_from(tp.partition)
                        .ok()
                        .and_then(|i| t.leaders.get(i))
                })
                .copied()
                .unwrap_or(-1);
            if leader < 0 {
                self.metadata_due = true;
                continue;
            }
            by_broker.entry(leader).or_default().push(tp);
        }
        for (broker, tps) in by_broker {
            if !self.ensure_broker(broker) {
                self.metadata_due = true;
                continue;
            }
            let Some(handle) = self.brokers.get(&broker) else {
                continue;
            };
            if handle.in_flight >= self.settings.max_in_flight {
                continue;
            }
            let mut batches = Vec::new();
            let mut bytes = 0usize;
            for tp in tps {
                let Some(mut batch) = self.acc.drain(&tp) else {
                    continue;
                };
                if !batches.is_empty() && bytes + batch.size() > self.settings.max_request_size {
                    self.acc.requeue_unsent(batch);
                    continue;
                }
                bytes += batch.size();
                if let Some(seq) = &mut self.sequences
                    && batch.sequence.is_none()
                {
                    let count = i32::try_from(batch.len()).unwrap_or(i32::MAX);
                    batch.sequence = Some(seq.assign(&batch.tp, count));
                }
                batch.attempts += 1;
                batches.push(batch);
            }
            if batches.is_empty() {
                continue;
            }
            self.dispatch(broker, batches);
        }
    }

    fn ensure_broker(&mut self, id: i32) -> bool {
        if self.brokers.get(&id).is_some_and(|h| !h.jobs.is_closed()) {
            return true;
        }
        let Some(addr) = self.broker_addrs.get(&id).cloned() else {
            return false;
        };
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(broker_task(
            id,
            addr.clone(),
            self.settings.client.clone(),
            self.settings.acks,
            rx,
            self.answers_tx.clone(),
        ));
        self.brokers.insert(
            id,
            BrokerHandle {
                jobs: tx,
                in_flight: 0,
                addr,
            },
        );
        true
    }

    fn dispatch(&mut self, broker: i32, batches: Vec<Batch<Token>>) {
        let (pid, epoch) = self
            .sequences
            .as_ref()
            .map_or((-1, -1), |s| (s.producer_id, s.epoch));
        let mut topics: Vec<TopicProduceData> = Vec::new();
        let mut kept = Vec::with_capacity(batches.len());
        for b in batches {
            match b.encode(pid, epoch, b.sequence.unwrap_or(-1)) {
                Ok(bytes) => {
                    push_partition(&mut topics, &b.tp, bytes);
                    kept.push(b);
                }
                Err(e) => {
                    self.acc.complete(&b.tp);
                    fail_batch(b, &ProduceError::Batch(e.to_string()));
                }
            }
        }
        if kept.is_empty() {
            return;
        }
        let request = ProduceRequest {
            transactional_id: None,
            acks: self.settings.acks,
            timeout_ms: i32::try_from(self.settings.client.request_timeout.as_millis())
                .unwrap_or(i32::MAX),
            topic_data: topics,
            ..ProduceRequest::default()
        };
        let id = self.next_id;
        self.next_id += 1;
        let sent = self
            .brokers
            .get_mut(&broker)
            .is_some_and(|h| h.jobs.send(Job { id, request }).is_ok());
        if let Some(h) = self.brokers.get_mut(&broker) {
            h.in_flight += 1;
        }
        self.requests.insert(id, InFlightRequest { batches: kept });
        if !sent {
            self.answer(
                Answer {
                    broker,
                    id,
                    result: Err(format!("connection task of broker {broker} ended")),
                },
                Instant::now(),
            );
        }
    }

    fn answer(&mut self, a: Answer, now: Instant) {
        if let Some(h) = self.brokers.get_mut(&a.broker) {
            h.in_flight = h.in_flight.saturating_sub(1);
        }
        let Some(req) = self.requests.remove(&a.id) else {
            return;
        };
        let backoff = now + self.settings.client.retry_backoff;
        match a.result {
            Ok(None) => {
                for b in req.batches {
                    self.acc.complete(&b.tp);
                    deliver(b, -1, -1);
                }
            }
            Ok(Some(resp)) => {
                let mut parts: HashMap<(&str, i32), PartitionAnswer> = HashMap::new();
                for t in &resp.responses {
                    for p in &t.partition_responses {
                        parts.insert(
                            (t.name.as_str(), p.index),
                            (
                                ErrorCode(p.error_code),
                                p.base_offset,
                                p.log_append_time_ms,
                                p.error_message.clone(),
                            ),
                        );
                    }
                }
                let mut settled = Vec::new();
                for b in req.batches {
                    let (code, base, append_time, message) = parts
                        .get(&(b.tp.topic.as_str(), b.tp.partition))
                        .cloned()
                        .unwrap_or((ErrorCode::NETWORK_EXCEPTION, -1, -1, None));
                    settled.push((b, code, base, append_time, message));
                }
                drop(parts);
                for (b, code, base, append_time, message) in settled {
                    let earlier_failed = self.acc.has_retry(&b.tp);
                    match outcome(
                        code,
                        b.attempts,
                        self.settings.retries,
                        self.idempotent,
                        earlier_failed,
                    ) {
                        Outcome::Delivered => {
                            self.acc.complete(&b.tp);
                            let base = if code.0 == 0 { base } else { -1 };
                            deliver(b, base, append_time);
                        }
                        Outcome::Retry { refresh_metadata } => {
                            tracing::debug!("retrying {}-{}: {code}", b.tp.topic, b.tp.partition);
                            self.metadata_due |= refresh_metadata;
                            self.acc.requeue(b, backoff);
                        }
                        Outcome::BumpEpoch => {
                            tracing::debug!(
                                "{code} on {}-{}: bumping the producer epoch",
                                b.tp.topic,
                                b.tp.partition
                            );
                            self.need_bump = true;
                            self.acc.requeue(b, backoff);
                        }
                        Outcome::Fail => {
                            self.acc.complete(&b.tp);
                            let e = ProduceError::Broker {
                                topic: b.tp.topic.clone(),
                                partition: b.tp.partition,
                                code: code.to_string(),
                                message: message
                                    .filter(|m| !m.is_empty())
                                    .unwrap_or_else(|| code.message().to_string()),
                            };
                            fail_batch(b, &e);
                        }
                    }
                }
            }
            Err(reason) => {
                tracing::debug!("request to broker {} failed: {reason}", a.broker);
                self.metadata_due = true;
                for b in req.batches {
                    if b.attempts <= self.settings.retries {
                        self.acc.requeue(b, backoff);
                    } else {
                        self.acc.complete(&b.tp);
                        let e = ProduceError::Network {
                            topic: b.tp.topic.clone(),
                            partition: b.tp.partition,
                            attempts: b.attempts,
                            reason: reason.clone(),
                        };
                        fail_batch(b, &e);
                    }
                }
            }
        }
    }
}

fn push_partition(topics: &mut Vec<TopicProduceData>, tp: &TopicPartition, records: Bytes) {
    let data = PartitionProduceData {
        index: tp.partition,
        records: Some(records),
        ..PartitionProduceData::default()
    };
    match topics.iter_mut().find(|t| t.name == tp.topic) {
        Some(t) => t.partition_data.push(data),
        None => topics.push(TopicProduceData {
            name: tp.topic.clone(),
            partition_data: vec![data],
            ..TopicProduceData::default()
        }),
    }
}

fn deliver(b: Batch<Token>, base_offset: i64, log_append_time: i64) {
    let topic = b.tp.topic;
    for (i, (token, ts)) in b.records.into_iter().zip(b.timestamps).enumerate() {
        let offset = if base_offset >= 0 {
            base_offset.saturating_add(i as i64)
        } else {
            -1
        };
        let _ = token.reply.send(Ok(RecordMetadata {
            topic: topic.clone(),
            partition: b.tp.partition,
            offset,
            timestamp: if log_append_time >= 0 {
                log_append_time
            } else {
                ts
            },
        }));
    }
}

fn fail_batch(b: Batch<Token>, e: &ProduceError) {
    for token in b.records {
        let _ = token.reply.send(Err(e.clone()));
    }
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// One broker's connection: connects on the first job (ApiVersions negotiated), pipelines
/// jobs, and reports each answer in order. A connection error fails every request in flight
/// on it; the next job reconnects after the reconnect backoff.
async fn broker_task(
    id: i32,
    addr: HostPort,
    settings: ClientSettings,
    acks: i16,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    answers: mpsc::UnboundedSender<Answer>,
) {
    let mut conn: Option<(BrokerConnection, i16)> = None;
    let mut pending: VecDeque<u64> = VecDeque::new();
    let mut failures: u32 = 0;
    let client_versions = crate::protocol::api::client_versions();
    loop {
        let next = match &mut conn {
            Some((c, _)) if !pending.is_empty() => {
                tokio::select! {
                    job = jobs.recv() => Event::Job(job),
                    reply = c.conn.recv() => Event::Reply(reply),
                }
            }
            _ => Event::Job(jobs.recv().await),
        };
        let report = |id_: u64, result| {
            let _ = answers.send(Answer {
                broker: id,
                id: id_,
                result,
            });
        };
        match next {
            Event::Job(None) => return,
            Event::Job(Some(job)) => {
                if conn.is_none() {
                    if failures > 0 {
                        tokio::time::sleep(settings.reconnect_pause(failures - 1)).await;
                    }
                    match BrokerConnection::open(&addr, &settings).await {
                        Ok(c) => match c.version_for(&client_versions, ApiKey::Produce) {
                            Ok(v) if v >= 3 => {
                                failures = 0;
                                conn = Some((c, v));
                            }
                            Ok(v) => {
                                report(
                                    job.id,
                                    Err(format!(
                                        "broker {addr} supports only Produce v{v}; record batches need v3 (Kafka 0.11)"
                                    )),
                                );
                                continue;
                            }
                            Err(e) => {
                                report(job.id, Err(e.to_string()));
                                continue;
                            }
                        },
                        Err(e) => {
                            failures = failures.saturating_add(1);
                            report(job.id, Err(e.to_string()));
                            continue;
                        }
                    }
                }
                let Some((c, version)) = &mut conn else {
                    continue;
                };
                let sent = if acks == 0 {
                    c.conn
                        .send_oneway(*version, &job.request)
                        .await
                        .map(|_| None)
                } else {
                    c.conn.send(*version, &job.request).await.map(Some)
                };
                match sent {
                    Ok(None) => report(job.id, Ok(None)),
                    Ok(Some(_)) => pending.push_back(job.id),
                    Err(e) => {
                        let reason = e.to_string();
                        report(job.id, Err(reason.clone()));
                        for p in pending.drain(..) {
                            report(p, Err(reason.clone()));
                        }
                        conn = None;
                        failures = failures.saturating_add(1);
                    }
                }
            }
            Event::Reply(Ok((_, Response::Produce(body)))) => {
                if let Some(p) = pending.pop_front() {
                    report(p, Ok(Some(body)));
                }
            }
            Event::Reply(Ok(_)) => {
                if let Some(p) = pending.pop_front() {
                    report(
                        p,
                        Err(format!(
                            "broker {addr} answered Produce with another response type"
                        )),
                    );
                }
            }
            Event::Reply(Err(e)) => {
                let reason = e.to_string();
                for p in pending.drain(..) {
                    report(p, Err(reason.clone()));
                }
                conn = None;
                failures = failures.saturating_add(1);
            }
        }
    }
}

enum Event {
    Job(Option<Job>),
    Reply(Result<(crate::net::InFlight, Response), crate::net::NetError>),
}

#[cfg(test)]
mod tests;
