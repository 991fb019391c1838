//! The Kafka producer: records go from [`Producer::send`] through the partitioner into the
//! accumulator's per-partition batches, and a background task sends ready batches to each
//! partition's leader (one connection per broker, up to
//! `max.in.flight.requests.per.connection` requests in flight), retries retriable errors and
//! reports each record's outcome (partition, offset, timestamp, or the error).
//!
//! Memory: `send` takes `buffer.memory` permits for the record's size, waiting at most
//! `max.block.ms`; the permits return when the record's outcome is known.
//! Idempotence (on by default with acks=all, as Kafka 3.x): InitProducerId, per-partition
//! sequences, retries that keep their sequence and order, and a local epoch bump on
//! UNKNOWN_PRODUCER_ID / OUT_OF_ORDER_SEQUENCE_NUMBER (KIP-360).
//!
//! | module | owns |
//! |--------|------|
//! | [`partitioner`] | murmur2 keyed partitions, sticky keyless partitions, round robin (pure) |
//! | [`accumulator`] | per-partition batches, readiness at `now`, retries, expiry (pure) |
//! | [`sequence`] | producer id, epoch, sequences, error outcomes (pure) |
//! | [`settings`] | Kafka's producer keys and defaults |
//! | [`sender`] | the background task: metadata, requests, answers |

pub mod accumulator;
pub mod partitioner;
pub mod sender;
pub mod sequence;
pub mod settings;

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc, oneshot};

pub use accumulator::TopicPartition;
pub use settings::ProducerSettings;

/// A record to send. `timestamp` defaults to the time of `send` (ms since the epoch).
#[derive(Debug, Clone, Default)]
pub struct ProducerRecord {
    pub topic: String,
    /// Explicit partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
    pub timestamp: Option<i64>,
}

impl ProducerRecord {
    /// Bytes the record occupies in a batch (an upper estimate), for memory accounting and
    /// the `max.request.size` check.
    pub fn size(&self) -> usize {
        accumulator::RECORD_OVERHEAD
            + self.key.as_ref().map_or(0, Bytes::len)
            + self.value.as_ref().map_or(0, Bytes::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.as_ref().map_or(0, Bytes::len) + 10)
                .sum::<usize>()
    }
}

/// Where a record landed. `offset` is -1 when unknown (acks=0, or a duplicate the broker
/// had already written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The record's CreateTime, or the broker's LogAppendTime when the topic uses it.
    pub timestamp: i64,
}

/// Why a record was not delivered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProduceError {
    #[error(
        "The message is {size} bytes when serialized which is larger than {max}, which is the value of the {key} configuration."
    )]
    RecordTooLarge {
        size: usize,
        max: usize,
        key: &'static str,
    },
    /// Kafka's message, then what the last metadata attempt ran into (an unreachable
    /// broker, say), when anything.
    #[error("Topic {topic} not present in metadata after {ms} ms.{}", .cause.as_ref().map(|c| format!(" Last metadata error: {c}")).unwrap_or_default())]
    TopicNotInMetadata {
        topic: String,
        ms: u128,
        cause: Option<String>,
    },
    #[error("partition {partition} of topic {topic} does not exist (the topic has {count})")]
    NoSuchPartition {
        topic: String,
        partition: i32,
        count: i32,
    },
    #[error("Failed to allocate memory within the configured max blocking time {ms} ms.")]
    BufferExhausted { ms: u128 },
    #[error(
        "Expiring {count} record(s) for {topic}-{partition}: {ms} ms has passed since batch creation"
    )]
    DeliveryTimeout {
        topic: String,
        partition: i32,
        count: usize,
        ms: u128,
    },
    #[error("producing to {topic}-{partition} failed: {code}: {message}")]
    Broker {
        topic: String,
        partition: i32,
        code: String,
        message: String,
    },
    #[error("producing to {topic}-{partition} failed after {attempts} attempt(s): {reason}")]
    Network {
        topic: String,
        partition: i32,
        attempts: u32,
        reason: String,
    },
    #[error("cannot build the record batch: {0}")]
    Batch(String),
    #[error("{0}")]
    Fatal(String),
    #[error("the producer is closed")]
    Closed,
}

/// The outcome of one record.
pub type DeliveryResult = Result<RecordMetadata, ProduceError>;

/// The pending outcome of one sent record.
#[derive(Debug)]
pub struct Delivery(oneshot::Receiver<DeliveryResult>);

impl Delivery {
    /// Waits for the record's outcome.
    pub async fn wait(self) -> DeliveryResult {
        self.0.await.unwrap_or(Err(ProduceError::Closed))
    }
}

/// What the handle tells the background task.
#[derive(Debug)]
pub(crate) enum Command {
    Send(sender::Pending),
    Flush(oneshot::Sender<()>),
    Close(oneshot::Sender<()>),
}

/// A producer; cheap to share by reference. Dropping it without [`Producer::close`] stops
/// the background task once the queued records are finished.
#[derive(Debug)]
pub struct Producer {
    commands: mpsc::UnboundedSender<Command>,
    memory: Arc<Semaphore>,
    settings: ProducerSettings,
    clock: Instant,
}

impl Producer {
    /// Starts the background task on the current tokio runtime. Connecting happens lazily;
    /// a settings conflict (explicit idempotence with acks != all, ...) fails here.
    pub fn start(settings: ProducerSettings) -> Result<Producer, ProduceError> {
        let idempotent = settings
            .idempotence()
            .map_err(|e| ProduceError::Fatal(e.to_string()))?;
        let permits = settings.buffer_memory.min(Semaphore::MAX_PERMITS);
        let memory = Arc::new(Semaphore::new(permits));
        let (tx, rx) = mpsc::unbounded_channel();
        let engine = sender::Engine::new(settings.clone(), idempotent);
        tokio::spawn(engine.run(rx));
        Ok(Producer {
            commands: tx,
            memory,
            settings,
            clock: Instant::now(),
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &ProducerSettings {
        &self.settings
    }

    /// Queues a record; waits at most `max.block.ms` for buffer memory. The returned
    /// [`Delivery`] resolves when the record is acknowledged or has failed.
    pub async fn send(&self, record: ProducerRecord) -> Result<Delivery, ProduceError> {
        let size = record.size();
        if size > self.settings.max_request_size {
            return Err(ProduceError::RecordTooLarge {
                size,
                max: self.settings.max_request_size,
                key: "max.request.size",
            });
        }
        let permits = size.min(Semaphore::MAX_PERMITS);
        if permits > self.settings.buffer_memory {
            return Err(ProduceError::RecordTooLarge {
                size,
                max: self.settings.buffer_memory,
                key: "buffer.memory",
            });
        }
        let permits = u32::try_from(permits).unwrap_or(u32::MAX);
        let permit = match self.memory.clone().try_acquire_many_owned(permits) {
            Ok(p) => p,
            Err(_) => {
                let wait = self.memory.clone().acquire_many_owned(permits);
                match tokio::time::timeout(self.settings.max_block, wait).await {
                    Ok(Ok(p)) => p,
                    Ok(Err(_)) => return Err(ProduceError::Closed),
                    Err(_) => {
                        return Err(ProduceError::BufferExhausted {
                            ms: self.settings.max_block.as_millis(),
                        });
                    }
                }
            }
        };
        let (reply, rx) = oneshot::channel();
        let pending = sender::Pending {
            timestamp: record.timestamp.unwrap_or_else(now_ms),
            record,
            created: Instant::now(),
            reply,
            permit,
        };
        self.commands
            .send(Command::Send(pending))
            .map_err(|_| ProduceError::Closed)?;
        Ok(Delivery(rx))
    }

    /// Sends every queued record now and waits until all have an outcome.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Flushes and stops the background task.
    pub async fn close(self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Time since the producer started (for callers measuring latency).
    pub fn elapsed(&self) -> std::time::Duration {
        self.clock.elapsed()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
