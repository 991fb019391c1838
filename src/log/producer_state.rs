//! Idempotent producer state of one partition (pure: no I/O, time passed in): for each
//! producer id its epoch and the sequence ranges and offsets of its last
//! [`MAX_CACHED_BATCHES`] batches, which is what Kafka's broker keeps to refuse duplicates and
//! gaps (KIP-98; KIP-360's rules from Kafka 2.5 on).
//!
//! The rules, per produced batch of a producer id with an epoch and a sequence range:
//! - unknown producer id: accepted whatever its first sequence (2.5+: the broker may have lost
//!   the state to retention; it no longer answers UNKNOWN_PRODUCER_ID);
//! - epoch older than the one recorded: INVALID_PRODUCER_EPOCH;
//! - newer epoch (an InitProducerId bump): the first sequence must be 0, else
//!   OUT_OF_ORDER_SEQUENCE_NUMBER; the older epoch's batches are forgotten;
//! - same epoch: a batch whose sequence range equals one of the cached ones is a duplicate and
//!   is answered with the original offsets; otherwise the first sequence must follow the last
//!   one (wrapping after `i32::MAX` to 0), else OUT_OF_ORDER_SEQUENCE_NUMBER.
//!
//! The snapshot files (`<offset>.snapshot`, see `producer_snapshot`) hold each producer's last
//! batch only, as Kafka's do; the log replay after a snapshot restores the rest.

use std::collections::{BTreeMap, VecDeque};

use super::producer_snapshot::{BatchMetadata, ProducerEntry};

/// Batches remembered per producer (Kafka's `NUM_BATCHES_TO_RETAIN`, the client's
/// `max.in.flight.requests.per.connection` bound for idempotence).
pub const MAX_CACHED_BATCHES: usize = 5;

/// One producer's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    pub epoch: i16,
    /// Newest last; at most [`MAX_CACHED_BATCHES`].
    pub batches: VecDeque<BatchMetadata>,
    /// Max timestamp of the newest batch (ms).
    pub last_timestamp: i64,
}

/// A produced batch's producer fields and, once appended, its offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub epoch: i16,
    pub first_sequence: i32,
    pub last_sequence: i32,
}

/// Why a batch is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    #[error("producer {producer_id} epoch {epoch} is older than the current epoch {current}")]
    StaleEpoch {
        producer_id: i64,
        epoch: i16,
        current: i16,
    },
    #[error("producer {producer_id}: sequence {first} does not follow {last} (epoch {epoch})")]
    OutOfOrder {
        producer_id: i64,
        epoch: i16,
        first: i32,
        last: i32,
    },
}

/// The verdict on a batch before it is appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Append it, then [`ProducerStates::record`] it.
    Append,
    /// Already in the log at these offsets: answer with them, append nothing.
    Duplicate { first_offset: i64, last_offset: i64 },
}

/// Every producer of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStates {
    producers: BTreeMap<i64, Producer>,
}

impl ProducerStates {
    pub fn get(&self, producer_id: i64) -> Option<&Producer> {
        self.producers.get(&producer_id)
    }

    pub fn len(&self) -> usize {
        self.producers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }

    /// Judges `b` against the recorded state (see the module rules).
    pub fn check(&self, b: &ProducerBatch) -> Result<Check, SequenceError> {
        let Some(p) = self.producers.get(&b.producer_id) else {
            return Ok(Check::Append);
        };
        if b.epoch < p.epoch {
            return Err(SequenceError::StaleEpoch {
                producer_id: b.producer_id,
                epoch: b.epoch,
                current: p.epoch,
            });
        }
        let last = p.batches.back().map(|m| m.last_sequence);
        if b.epoch > p.epoch {
            return if b.first_sequence == 0 {
                Ok(Check::Append)
            } else {
                Err(SequenceError::OutOfOrder {
                    producer_id: b.producer_id,
                    epoch: b.epoch,
                    first: b.first_sequence,
                    last: -1,
                })
            };
        }
        if let Some(dup) = p
            .batches
            .iter()
            .find(|m| m.first_sequence() == b.first_sequence && m.last_sequence == b.last_sequence)
        {
            return Ok(Check::Duplicate {
                first_offset: dup.last_offset - i64::from(dup.offset_delta),
                last_offset: dup.last_offset,
            });
        }
        match last {
            // Known epoch without a batch (restored from a snapshot entry without one).
            None => Ok(Check::Append),
            Some(last) if follows(last, b.first_sequence) => Ok(Check::Append),
            Some(last) => Err(SequenceError::OutOfOrder {
                producer_id: b.producer_id,
                epoch: b.epoch,
                first: b.first_sequence,
                last,
            }),
        }
    }

    /// Records an appended batch (from a produce, or replayed from the log on open).
    pub fn record(
        &mut self,
        b: &ProducerBatch,
        first_offset: i64,
        last_offset: i64,
        timestamp: i64,
    ) {
        let p = self
            .producers
            .entry(b.producer_id)
            .or_insert_with(|| Producer {
                epoch: b.epoch,
                batches: VecDeque::new(),
                last_timestamp: timestamp,
            });
        if b.epoch != p.epoch {
            p.epoch = b.epoch;
            p.batches.clear();
        }
        let offset_delta =
            i32::try_from(last_offset.saturating_sub(first_offset)).unwrap_or(i32::MAX);
        p.batches.push_back(BatchMetadata {
            last_sequence: b.last_sequence,
            last_offset,
            offset_delta,
            timestamp,
        });
        while p.batches.len() > MAX_CACHED_BATCHES {
            p.batches.pop_front();
        }
        p.last_timestamp = timestamp;
    }

    /// Forgets batches at or above `offset` (log truncation) and producers left without any.
    pub fn truncate_from(&mut self, offset: i64) {
        for p in self.producers.values_mut() {
            p.batches.retain(|m| m.last_offset < offset);
        }
        self.producers.retain(|_, p| !p.batches.is_empty());
    }

    /// The snapshot entries (each producer's newest batch), by producer id.
    pub fn to_entries(&self) -> Vec<ProducerEntry> {
        self.producers
            .iter()
            .map(|(id, p)| ProducerEntry {
                producer_id: *id,
                producer_epoch: p.epoch,
                coordinator_epoch: -1,
                last_timestamp: p.last_timestamp,
                current_txn_first_offset: None,
                last_batch: p.batches.back().copied(),
            })
            .collect()
    }

    /// State restored from snapshot entries.
    pub fn from_entries(entries: &[ProducerEntry]) -> ProducerStates {
        let mut s = ProducerStates::default();
        for e in entries {
            s.producers.insert(
                e.producer_id,
                Producer {
                    epoch: e.producer_epoch,
                    batches: e.last_batch.into_iter().collect(),
                    last_timestamp: e.last_timestamp,
                },
            );
        }
        s
    }
}

/// Whether `next` directly follows `last` (sequences wrap from `i32::MAX` to 0).
fn follows(last: i32, next: i32) -> bool {
    if last == i32::MAX {
        next == 0
    } else {
        next == last + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(epoch: i16, first: i32, last: i32) -> ProducerBatch {
        ProducerBatch {
            producer_id: 7,
            epoch,
            first_sequence: first,
            last_sequence: last,
        }
    }

    #[test]
    fn sequences_duplicates_and_gaps() {
        let mut s = ProducerStates::default();
        // unknown producer: any first sequence (2.5+)
        assert_eq!(s.check(&batch(0, 5, 9)), Ok(Check::Append));
        s.record(&batch(0, 0, 4), 100, 104, 1);
        assert_eq!(s.check(&batch(0, 5, 9)), Ok(Check::Append));
        s.record(&batch(0, 5, 9), 105, 109, 2);
        assert_eq!(
            s.check(&batch(0, 0, 4)),
            Ok(Check::Duplicate {
                first_offset: 100,
                last_offset: 104
            })
        );
        assert!(matches!(
            s.check(&batch(0, 11, 12)),
            Err(SequenceError::OutOfOrder { last: 9, .. })
        ));
        assert!(matches!(
            s.check(&batch(0, 3, 6)),
            Err(SequenceError::OutOfOrder { .. })
        ));
    }

    #[test]
    fn epochs_fence_and_bump() {
        let mut s = ProducerStates::default();
        s.record(&batch(3, 0, 0), 0, 0, 1);
        assert!(matches!(
            s.check(&batch(2, 1, 1)),
            Err(SequenceError::StaleEpoch { current: 3, .. })
        ));
        assert!(matches!(
            s.check(&batch(4, 1, 1)),
            Err(SequenceError::OutOfOrder { .. })
        ));
        assert_eq!(s.check(&batch(4, 0, 0)), Ok(Check::Append));
        s.record(&batch(4, 0, 0), 1, 1, 2);
        assert_eq!(s.get(7).unwrap().batches.len(), 1);
        assert_eq!(s.get(7).unwrap().epoch, 4);
    }

    #[test]
    fn keeps_five_batches_wraps_and_survives_a_snapshot() {
        let mut s = ProducerStates::default();
        for i in 0..8 {
            s.record(&batch(0, i, i), i64::from(i), i64::from(i), 0);
        }
        assert_eq!(s.get(7).unwrap().batches.len(), MAX_CACHED_BATCHES);
        assert!(s.check(&batch(0, 2, 2)).is_err());
        assert!(matches!(
            s.check(&batch(0, 3, 3)),
            Ok(Check::Duplicate { .. })
        ));
        assert!(follows(i32::MAX, 0));
        let restored = ProducerStates::from_entries(&s.to_entries());
        assert_eq!(restored.check(&batch(0, 8, 8)), Ok(Check::Append));
        assert!(matches!(
            restored.check(&batch(0, 7, 7)),
            Ok(Check::Duplicate {
                first_offset: 7,
                ..
            })
        ));
        let mut t = s.clone();
        t.truncate_from(0);
        assert!(t.is_empty());
    }
}
