//! Which old segments a partition may delete: Kafka's three retention rules as pure
//! functions of the segments' summaries, the config and the time.
//!
//! Rules (each deletes a prefix of the oldest segments, never the active one, never a
//! segment holding offsets at or above the high watermark):
//! - time: a segment whose largest timestamp is older than `now - retention.ms`;
//! - size: while the log without the segment is still at least `retention.bytes`;
//! - log start offset: a segment wholly below the log start offset (DeleteRecords).

use super::segment::SegmentSummary;

/// Which rule deleted the segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionReason {
    Time,
    Size,
    LogStartOffset,
}

/// The segments to delete: the `count` oldest, and the log start offset afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDecision {
    pub count: usize,
    pub reason: RetentionReason,
    /// Log start offset once they are gone: the next segment's base offset, or the current
    /// log start offset if that is larger.
    pub new_log_start_offset: i64,
}

/// Inputs besides the segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionInputs {
    /// `retention.ms`; negative keeps data forever.
    pub retention_ms: i64,
    /// `retention.bytes`; negative means no size limit.
    pub retention_bytes: i64,
    pub log_start_offset: i64,
    pub high_watermark: i64,
    pub now_ms: i64,
}

/// Decides what retention deletes now. `segments` are oldest first and the last one is the
/// active segment. Rules are tried in Kafka's order (time, size, log start offset); the first
/// that deletes something wins and the caller runs the decision again for the next rule.
pub fn decide(segments: &[SegmentSummary], inputs: &RetentionInputs) -> Option<RetentionDecision> {
    let n_candidates = segments.len().saturating_sub(1);
    // A segment may go only when every offset in it is below the high watermark: its end
    // (the next segment's base) is at most the high watermark.
    let below_hw = |i: usize| {
        segments
            .get(i + 1)
            .is_some_and(|next| next.base_offset <= inputs.high_watermark)
    };
    let prefix = |pred: &mut dyn FnMut(usize, &SegmentSummary) -> bool| {
        let mut count = 0;
        while count < n_candidates && below_hw(count) && pred(count, &segments[count]) {
            count += 1;
        }
        count
    };
    let decided = |count: usize, reason| {
        (count > 0).then(|| RetentionDecision {
            count,
            reason,
            new_log_start_offset: segments
                .get(count)
                .map_or(inputs.log_start_offset, |s| s.base_offset)
                .max(inputs.log_start_offset),
        })
    };

    if inputs.retention_ms >= 0 {
        let horizon = inputs.now_ms.saturating_sub(inputs.retention_ms);
        let n = prefix(&mut |_, s| s.largest_timestamp < horizon);
        if let Some(d) = decided(n, RetentionReason::Time) {
            return Some(d);
        }
    }
    if inputs.retention_bytes >= 0 {
        let total: u64 = segments.iter().map(|s| s.size_bytes).sum();
        let mut excess = i128::from(total) - i128::from(inputs.retention_bytes);
        let n = prefix(&mut |_, s| {
            if excess - i128::from(s.size_bytes) >= 0 {
                excess -= i128::from(s.size_bytes);
                true
            } else {
                false
            }
        });
        if let Some(d) = decided(n, RetentionReason::Size) {
            return Some(d);
        }
    }
    let n = prefix(&mut |i, _| {
        segments
            .get(i + 1)
            .is_some_and(|next| next.base_offset <= inputs.log_start_offset)
    });
    decided(n, RetentionReason::LogStartOffset)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Segments of 100 bytes with bases 0, 10, 20, ... and largest timestamps 1000, 2000, ...
    fn segs(n: usize) -> Vec<SegmentSummary> {
        (0..n)
            .map(|i| SegmentSummary {
                base_offset: 10 * i as i64,
                next_offset: 10 * i as i64 + 10,
                size_bytes: 100,
                largest_timestamp: 1000 * (i as i64 + 1),
            })
            .collect()
    }

    fn inputs() -> RetentionInputs {
        RetentionInputs {
            retention_ms: -1,
            retention_bytes: -1,
            log_start_offset: 0,
            high_watermark: i64::MAX,
            now_ms: 10_000,
        }
    }

    #[test]
    fn nothing_when_unlimited() {
        assert_eq!(decide(&segs(5), &inputs()), None);
    }

    #[test]
    fn by_time_with_explicit_now() {
        let i = RetentionInputs {
            retention_ms: 7_500,
            ..inputs()
        };
        // horizon 2500: segments with largest 1000 and 2000 go.
        let d = decide(&segs(5), &i).unwrap();
        assert_eq!(d.count, 2);
        assert_eq!(d.reason, RetentionReason::Time);
        assert_eq!(d.new_log_start_offset, 20);
        // Everything expired: the active segment stays.
        let i = RetentionInputs {
            retention_ms: 0,
            now_ms: 1_000_000,
            ..inputs()
        };
        assert_eq!(decide(&segs(5), &i).unwrap().count, 4);
    }

    #[test]
    fn by_size() {
        let i = RetentionInputs {
            retention_bytes: 250,
            ..inputs()
        };
        // 500 bytes, 250 allowed: two whole segments can go (the third would leave 200 < 250).
        let d = decide(&segs(5), &i).unwrap();
        assert_eq!((d.count, d.reason), (2, RetentionReason::Size));
        let i = RetentionInputs {
            retention_bytes: 500,
            ..inputs()
        };
        assert_eq!(decide(&segs(5), &i), None);
    }

    #[test]
    fn by_log_start_offset() {
        let i = RetentionInputs {
            log_start_offset: 25,
            ..inputs()
        };
        let d = decide(&segs(5), &i).unwrap();
        assert_eq!(d.count, 2);
        assert_eq!(d.reason, RetentionReason::LogStartOffset);
        assert_eq!(d.new_log_start_offset, 25);
    }

    #[test]
    fn high_watermark_bounds_every_rule() {
        let i = RetentionInputs {
            retention_ms: 0,
            high_watermark: 15,
            ..inputs()
        };
        // Only the first segment (offsets 0..10) lies wholly below offset 15.
        assert_eq!(decide(&segs(5), &i).unwrap().count, 1);
        let i = RetentionInputs {
            retention_bytes: 0,
            high_watermark: 0,
            ..inputs()
        };
        assert_eq!(decide(&segs(5), &i), None);
    }
}
