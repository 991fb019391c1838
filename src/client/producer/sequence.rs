//! Idempotent-producer bookkeeping, pure: the producer id and epoch, the next sequence of each
//! partition (wrapping at i32::MAX as Kafka's batches do), the epoch bump KIP-360 allows an
//! idempotent producer after UNKNOWN_PRODUCER_ID or OUT_OF_ORDER_SEQUENCE_NUMBER, and the
//! decision what a partition's produce error means for its batch.

use std::collections::HashMap;

use super::accumulator::TopicPartition;
use crate::protocol::error_code::ErrorCode;

/// The identity and sequences of an idempotent producer.
#[derive(Debug, Clone)]
pub struct Sequences {
    pub producer_id: i64,
    pub epoch: i16,
    next: HashMap<TopicPartition, i32>,
}

/// Kafka's sequence arithmetic: `base + count` wrapping from i32::MAX to 0.
pub fn add_sequence(base: i32, count: i32) -> i32 {
    if base > i32::MAX - count {
        count - (i32::MAX - base) - 1
    } else {
        base + count
    }
}

impl Sequences {
    pub fn new(producer_id: i64, epoch: i16) -> Self {
        Sequences {
            producer_id,
            epoch,
            next: HashMap::new(),
        }
    }

    /// Assigns the base sequence of a batch of `count` records to `tp`.
    pub fn assign(&mut self, tp: &TopicPartition, count: i32) -> i32 {
        let next = self.next.entry(tp.clone()).or_insert(0);
        let base = *next;
        *next = add_sequence(base, count);
        base
    }

    /// Bumps the epoch locally (KIP-360, idempotent producers) and restarts every partition
    /// at sequence 0. Returns false when the epoch is exhausted and a new producer id is
    /// needed instead.
    pub fn bump_epoch(&mut self) -> bool {
        self.next.clear();
        match self.epoch.checked_add(1) {
            Some(e) => {
                self.epoch = e;
                true
            }
            None => false,
        }
    }
}

/// What to do with a batch after its partition's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written (DUPLICATE_SEQUENCE_NUMBER also means written, earlier).
    Delivered,
    /// Send again after the backoff, with the same sequence; refresh metadata first when
    /// `refresh_metadata`.
    Retry { refresh_metadata: bool },
    /// The broker lost or rejects the producer's sequence state: bump the epoch, then resend.
    BumpEpoch,
    /// Final failure.
    Fail,
}

/// Decides the outcome of `error` for a batch that was sent `attempts` times with `retries`
/// allowed. `earlier_failed` says whether an earlier batch of the same partition failed in
/// this round (then OUT_OF_ORDER_SEQUENCE_NUMBER is just its consequence).
pub fn outcome(
    error: ErrorCode,
    attempts: u32,
    retries: u32,
    idempotent: bool,
    earlier_failed: bool,
) -> Outcome {
    let can_retry = attempts <= retries;
    match error.0 {
        0 | 46 => Outcome::Delivered,
        // OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID
        45 | 59 if idempotent => {
            if earlier_failed {
                Outcome::Retry {
                    refresh_metadata: false,
                }
            } else {
                Outcome::BumpEpoch
            }
        }
        _ if error.is_retriable() && can_retry => Outcome::Retry {
            refresh_metadata: matches!(error.0, 3 | 5 | 6 | 74 | 75 | 13),
        },
        _ => Outcome::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_wrap_and_epoch_bumps_restart_them() {
        let tp = TopicPartition {
            topic: "t".into(),
            partition: 0,
        };
        let mut s = Sequences::new(7, 0);
        assert_eq!(s.assign(&tp, 5), 0);
        assert_eq!(s.assign(&tp, 5), 5);
        assert_eq!(add_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(add_sequence(i32::MAX, 1), 0);
        assert!(s.bump_epoch());
        assert_eq!(s.epoch, 1);
        assert_eq!(s.assign(&tp, 1), 0);
        let mut full = Sequences::new(7, i16::MAX);
        assert!(!full.bump_epoch());
    }

    #[test]
    fn outcomes_follow_kafkas_producer() {
        use ErrorCode as E;
        assert_eq!(outcome(E(0), 1, 0, false, false), Outcome::Delivered);
        assert_eq!(outcome(E(46), 2, 5, true, false), Outcome::Delivered);
        assert_eq!(
            outcome(E::NOT_LEADER_OR_FOLLOWER, 1, 3, false, false),
            Outcome::Retry {
                refresh_metadata: true
            }
        );
        assert_eq!(
            outcome(E::NOT_LEADER_OR_FOLLOWER, 4, 3, false, false),
            Outcome::Fail
        );
        assert_eq!(outcome(E(59), 1, 3, true, false), Outcome::BumpEpoch);
        assert_eq!(
            outcome(E(45), 1, 3, true, true),
            Outcome::Retry {
                refresh_metadata: false
            }
        );
        assert_eq!(
            outcome(E::MESSAGE_TOO_LARGE, 1, 3, true, false),
            Outcome::Fail
        );
    }
}
