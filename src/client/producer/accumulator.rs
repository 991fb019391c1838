//! The record accumulator, pure: one queue of batches per partition, the decision which
//! partitions have a batch ready to send at `now` (full, lingered `linger.ms`, flushing, or a
//! retry whose backoff passed), retry re-queueing in sequence order, and delivery-timeout
//! expiry. `T` is what the caller keeps per record (its completion handle); the accumulator
//! only moves it around with the record.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::protocol::records::{BatchBuilder, Compression, RecordsError};

/// A topic and partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

/// Bytes a record adds to a batch beyond key, value and headers (length, attributes,
/// timestamp and offset deltas, key/value lengths, header count), as an upper estimate.
pub const RECORD_OVERHEAD: usize = 21;

/// Records of one partition that travel together in one RecordBatch.
#[derive(Debug)]
pub struct Batch<T> {
    pub tp: TopicPartition,
    builder: BatchBuilder,
    /// One entry per record, in offset order.
    pub records: Vec<T>,
    /// Record timestamps, in offset order (reported back when the broker uses CreateTime).
    pub timestamps: Vec<i64>,
    /// When the first record was appended: linger and delivery timeout count from here.
    pub created: Instant,
    /// Sends so far (0 before the first).
    pub attempts: u32,
    /// Base sequence once assigned by the idempotent producer; kept across retries.
    pub sequence: Option<i32>,
    /// Not to be sent before this instant (retry backoff).
    pub not_before: Option<Instant>,
}

impl<T> Batch<T> {
    /// Uncompressed size in bytes (header included).
    pub fn size(&self) -> usize {
        self.builder.uncompressed_size()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The encoded batch with this producer identity (`-1, -1, -1` when not idempotent).
    pub fn encode(
        &self,
        producer_id: i64,
        epoch: i16,
        sequence: i32,
    ) -> Result<Bytes, RecordsError> {
        self.builder
            .clone()
            .producer(producer_id, epoch, sequence)
            .build()
    }
}

#[derive(Debug)]
struct Queue<T> {
    batches: VecDeque<Batch<T>>,
    /// Batches of this partition sent and not yet answered.
    in_flight: usize,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            batches: VecDeque::new(),
            in_flight: 0,
        }
    }
}

/// One record to append.
#[derive(Debug)]
pub struct NewRecord<'a, T> {
    pub timestamp: i64,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(&'a str, Option<&'a [u8]>)],
    pub token: T,
}

/// The accumulator. Invariant: within a queue, batches that were sent before (retries) come
/// first, in sequence order, followed by never-sent batches in append order.
#[derive(Debug)]
pub struct Accumulator<T> {
    batch_size: usize,
    linger: Duration,
    compression: Compression,
    queues: BTreeMap<TopicPartition, Queue<T>>,
}

impl<T> Accumulator<T> {
    pub fn new(batch_size: usize, linger: Duration, compression: Compression) -> Self {
        Accumulator {
            batch_size,
            linger,
            compression,
            queues: BTreeMap::new(),
        }
    }

    /// Appends a record to the partition's open batch, or opens a new one when the record
    /// would push the open batch past `batch.size` (a record larger than that gets a batch of
    /// its own). On error the token is handed back with the reason.
    pub fn append(
        &mut self,
        tp: &TopicPartition,
        record: NewRecord<'_, T>,
        now: Instant,
    ) -> Result<(), (T, RecordsError)> {
        let size = RECORD_OVERHEAD
            + record.key.map_or(0, <[u8]>::len)
            + record.value.map_or(0, <[u8]>::len)
            + record
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.map_or(0, <[u8]>::len) + 10)
                .sum::<usize>();
        let queue = self.queues.entry(tp.clone()).or_default();
        let fits = queue.batches.back().is_some_and(|b| {
            b.attempts == 0 && b.sequence.is_none() && b.size() + size <= self.batch_size
        });
        if !fits {
            queue.batches.push_back(Batch {
                tp: tp.clone(),
                builder: BatchBuilder::new(self.compression),
                records: Vec::new(),
                timestamps: Vec::new(),
                created: now,
                attempts: 0,
                sequence: None,
                not_before: None,
            });
        }
        let Some(batch) = queue.batches.back_mut() else {
            return Err((
                record.token,
                RecordsError::Build {
                    reason: "no open batch",
                },
            ));
        };
        if let Err(e) =
            batch
                .builder
                .append(record.timestamp, record.key, record.value, record.headers)
        {
            if batch.records.is_empty() {
                queue.batches.pop_back();
            }
            return Err((record.token, e));
        }
        batch.records.push(record.token);
        batch.timestamps.push(record.timestamp);
        Ok(())
    }

    /// Whether the partition's first batch may be sent at `now`.
    fn sendable(&self, q: &Queue<T>, now: Instant, flushing: bool) -> bool {
        let Some(first) = q.batches.front() else {
            return false;
        };
        if first.attempts > 0 {
            // A retry waits for its backoff and for every earlier send of the partition to be
            // answered, so the broker sees the sequences in order again.
            return q.in_flight == 0 && first.not_before.is_none_or(|t| t <= now);
        }
        flushing
            || q.batches.len() > 1
            || first.size() >= self.batch_size
            || now.saturating_duration_since(first.created) >= self.linger
    }

    /// Partitions whose first batch can be sent now, in partition order.
    pub fn ready(&self, now: Instant, flushing: bool) -> Vec<TopicPartition> {
        self.queues
            .iter()
            .filter(|(_, q)| self.sendable(q, now, flushing))
            .map(|(tp, _)| tp.clone())
            .collect()
    }

    /// The earliest instant after `now` at which a waiting batch becomes sendable by time
    /// alone. Batches already due are left out: what holds them back (requests in flight,
    /// a leader to find) ends with an event of its own, and waking for them would spin.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.queues
            .values()
            .filter_map(|q| {
                let first = q.batches.front()?;
                if first.attempts > 0 {
                    first.not_before
                } else {
                    Some(first.created + self.linger)
                }
            })
            .filter(|&t| t > now)
            .min()
    }

    /// Takes the partition's first batch for sending and counts it in flight.
    pub fn drain(&mut self, tp: &TopicPartition) -> Option<Batch<T>> {
        let q = self.queues.get_mut(tp)?;
        let batch = q.batches.pop_front()?;
        q.in_flight += 1;
        Some(batch)
    }

    /// A sent batch got its answer (success or final failure).
    pub fn complete(&mut self, tp: &TopicPartition) {
        if let Some(q) = self.queues.get_mut(tp) {
            q.in_flight = q.in_flight.saturating_sub(1);
            if q.in_flight == 0 && q.batches.is_empty() {
                self.queues.remove(tp);
            }
        }
    }

    /// A sent batch is to be sent again after `not_before`: it goes back among the retries at
    /// the front of its queue, ordered by sequence (unsequenced retries keep arrival order).
    pub fn requeue(&mut self, mut batch: Batch<T>, not_before: Instant) {
        batch.not_before = Some(not_before);
        let q = self.queues.entry(batch.tp.clone()).or_default();
        q.in_flight = q.in_flight.saturating_sub(1);
        let pos = q
            .batches
            .iter()
            .position(|b| {
                b.attempts == 0
                    || matches!((b.sequence, batch.sequence), (Some(x), Some(y)) if x > y)
            })
            .unwrap_or(q.batches.len());
        q.batches.insert(pos, batch);
    }

    /// A drained batch that did not fit in the request goes back to the front, unsent.
    pub fn requeue_unsent(&mut self, batch: Batch<T>) {
        let q = self.queues.entry(batch.tp.clone()).or_default();
        q.in_flight = q.in_flight.saturating_sub(1);
        q.batches.push_front(batch);
    }

    /// Removes and returns every queued (not in-flight) batch whose first record is older
    /// than `timeout` at `now`.
    pub fn expire(&mut self, now: Instant, timeout: Duration) -> Vec<Batch<T>> {
        let mut out = Vec::new();
        for q in self.queues.values_mut() {
            // Only from the front: a later batch never expires before an earlier one.
            while q
                .batches
                .front()
                .is_some_and(|b| now.saturating_duration_since(b.created) >= timeout)
            {
                if let Some(b) = q.batches.pop_front() {
                    out.push(b);
                }
            }
        }
        self.queues
            .retain(|_, q| q.in_flight > 0 || !q.batches.is_empty());
        out
    }

    /// Whether the partition has a batch queued for a retry (an earlier send failed).
    pub fn has_retry(&self, tp: &TopicPartition) -> bool {
        self.queues
            .get(tp)
            .is_some_and(|q| q.batches.front().is_some_and(|b| b.attempts > 0))
    }

    /// Forgets every assigned sequence of queued batches (after a producer epoch bump).
    pub fn reset_sequences(&mut self) {
        for q in self.queues.values_mut() {
            for b in &mut q.batches {
                b.sequence = None;
            }
        }
    }

    /// Whether nothing is queued or in flight.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// Batches sent and not yet answered, over all partitions.
    pub fn in_flight(&self) -> usize {
        self.queues.values().map(|q| q.in_flight).sum()
    }

    /// Removes every queued batch (on close after a fatal error).
    pub fn take_all(&mut self) -> Vec<Batch<T>> {
        let mut out = Vec::new();
        for q in self.queues.values_mut() {
            out.extend(q.batches.drain(..));
        }
        self.queues.retain(|_, q| q.in_flight > 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition {
            topic: "t".into(),
            partition: p,
        }
    }

    fn rec(token: u32, value: &[u8]) -> NewRecord<'_, u32> {
        NewRecord {
            timestamp: 1000,
            key: None,
            value: Some(value),
            headers: &[],
            token,
        }
    }

    #[test]
    fn batches_fill_to_batch_size_and_linger_decides_readiness() {
        let t0 = Instant::now();
        let mut acc = Accumulator::new(200, Duration::from_millis(10), Compression::None);
        let v = [7u8; 50];
        acc.append(&tp(0), rec(1, &v), t0).unwrap();
        acc.append(&tp(0), rec(2, &v), t0).unwrap();
        assert!(acc.ready(t0, false).is_empty(), "neither full nor lingered");
        assert_eq!(acc.ready(t0, true), vec![tp(0)], "flush sends at once");
        assert_eq!(acc.next_deadline(t0), Some(t0 + Duration::from_millis(10)));
        assert_eq!(acc.next_deadline(t0 + Duration::from_millis(10)), None);
        assert_eq!(
            acc.ready(t0 + Duration::from_millis(10), false),
            vec![tp(0)]
        );
        // A third record does not fit: a second batch opens and the first is ready.
        acc.append(&tp(0), rec(3, &v), t0).unwrap();
        assert_eq!(acc.ready(t0, false), vec![tp(0)]);
        let b = acc.drain(&tp(0)).unwrap();
        assert_eq!(b.records, vec![1, 2]);
        assert!(b.size() <= 200);
        assert_eq!(acc.in_flight(), 1);
        // An oversized record gets a batch of its own.
        let big = [0u8; 500];
        acc.append(&tp(1), rec(4, &big), t0).unwrap();
        assert_eq!(acc.ready(t0, false), vec![tp(1)]);
    }

    #[test]
    fn retries_wait_for_in_flight_and_backoff_and_keep_sequence_order() {
        let t0 = Instant::now();
        let mut acc = Accumulator::new(100, Duration::ZERO, Compression::None);
        let v = [1u8; 60];
        for i in 0..3 {
            acc.append(&tp(0), rec(i, &v), t0).unwrap();
        }
        let mut sent: Vec<_> = (0..3)
            .map(|i| {
                let mut b = acc.drain(&tp(0)).unwrap();
                b.sequence = Some(i);
                b.attempts = 1;
                b
            })
            .collect();
        let third = sent.pop().unwrap();
        let second = sent.pop().unwrap();
        let first = sent.pop().unwrap();
        let later = t0 + Duration::from_millis(100);
        // Answers arrive out of order of requeueing; the queue orders by sequence.
        acc.requeue(third, later);
        acc.requeue(first, later);
        assert!(
            acc.ready(later, false).is_empty(),
            "batch 1 still in flight"
        );
        acc.requeue(second, later);
        assert!(acc.ready(t0, false).is_empty(), "backoff not over");
        assert_eq!(acc.ready(later, false), vec![tp(0)]);
        let order: Vec<_> = (0..3)
            .map(|_| acc.drain(&tp(0)).unwrap().sequence)
            .collect();
        assert_eq!(order, vec![Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn expiry_takes_old_queued_batches_only() {
        let t0 = Instant::now();
        let mut acc = Accumulator::new(100, Duration::from_secs(60), Compression::None);
        acc.append(&tp(0), rec(1, b"a"), t0).unwrap();
        acc.append(&tp(1), rec(2, b"b"), t0 + Duration::from_secs(5))
            .unwrap();
        let gone = acc.expire(t0 + Duration::from_secs(6), Duration::from_secs(6));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].records, vec![1]);
        assert!(!acc.is_empty());
        assert_eq!(acc.take_all().len(), 1);
        assert!(acc.is_empty());
    }
}
