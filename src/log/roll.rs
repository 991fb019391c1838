//! When the active segment is closed and a new one started: Kafka's `shouldRoll`, as a pure
//! function of the segment's state, the append about to happen, the config and the time.

use super::config::LogConfig;

/// The active segment as the roll decision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRollState {
    pub base_offset: i64,
    /// Bytes in the `.log` file.
    pub size: u64,
    /// maxTimestamp of the segment's first batch (ms), when it has one.
    pub rolling_timestamp: Option<i64>,
    /// When the segment was created or opened (ms).
    pub created_ms: i64,
    pub offset_index_full: bool,
    pub time_index_full: bool,
}

/// The append about to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingAppend {
    /// Bytes of all batches of the append.
    pub bytes: u64,
    /// Largest maxTimestamp among them (ms, -1 when none).
    pub max_timestamp: i64,
    /// Last offset of the last batch.
    pub last_offset: i64,
}

/// Why a segment rolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollReason {
    /// `segment.bytes` would be exceeded.
    Size,
    /// `segment.ms` (minus jitter) has passed since the segment's first batch.
    Age,
    OffsetIndexFull,
    TimeIndexFull,
    /// The append's last offset is more than `i32::MAX` past the base offset, which index
    /// entries cannot express.
    OffsetOverflow,
}

/// Kafka's roll rule. A non-empty segment rolls when the append would take it past
/// `segment.bytes` or when it is older than `segment.ms - jitter`; any segment rolls when an
/// index is full or the relative offset would overflow. Age counts from the first batch's
/// timestamp to the append's largest timestamp when both exist (so it follows record time),
/// else from creation to `now_ms`.
pub fn roll_reason(
    segment: &SegmentRollState,
    append: &PendingAppend,
    config: &LogConfig,
    jitter_ms: i64,
    now_ms: i64,
) -> Option<RollReason> {
    if segment.size > 0 {
        let limit = u64::from(config.segment_bytes);
        if segment.size > limit.saturating_sub(append.bytes) {
            return Some(RollReason::Size);
        }
        let waited = match segment.rolling_timestamp {
            Some(t) if append.max_timestamp >= 0 => append.max_timestamp.saturating_sub(t),
            _ => now_ms.saturating_sub(segment.created_ms),
        };
        if waited > config.segment_ms.saturating_sub(jitter_ms) {
            return Some(RollReason::Age);
        }
    }
    if segment.offset_index_full {
        return Some(RollReason::OffsetIndexFull);
    }
    if segment.time_index_full {
        return Some(RollReason::TimeIndexFull);
    }
    if append.last_offset.saturating_sub(segment.base_offset) > i64::from(i32::MAX) {
        return Some(RollReason::OffsetOverflow);
    }
    None
}

/// The per-log jitter Kafka draws once: a value in `[0, segment.jitter.ms)` (capped at
/// `segment.ms`), here derived from `seed` so callers control the randomness.
pub fn jitter_ms(config: &LogConfig, seed: u64) -> i64 {
    let max = config.segment_jitter_ms.min(config.segment_ms);
    if max <= 0 {
        return 0;
    }
    (seed % max as u64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(size: u64) -> SegmentRollState {
        SegmentRollState {
            base_offset: 100,
            size,
            rolling_timestamp: None,
            created_ms: 1_000,
            offset_index_full: false,
            time_index_full: false,
        }
    }

    fn app(bytes: u64) -> PendingAppend {
        PendingAppend {
            bytes,
            max_timestamp: -1,
            last_offset: 200,
        }
    }

    #[test]
    fn size_trigger() {
        let c = LogConfig {
            segment_bytes: 1000,
            ..LogConfig::default()
        };
        assert_eq!(roll_reason(&seg(900), &app(100), &c, 0, 1_000), None);
        assert_eq!(
            roll_reason(&seg(901), &app(100), &c, 0, 1_000),
            Some(RollReason::Size)
        );
        // An empty segment takes an append of any size.
        assert_eq!(roll_reason(&seg(0), &app(5000), &c, 0, 1_000), None);
    }

    #[test]
    fn age_trigger_with_jitter_and_record_time() {
        let c = LogConfig {
            segment_ms: 10_000,
            ..LogConfig::default()
        };
        assert_eq!(roll_reason(&seg(10), &app(1), &c, 0, 11_000), None);
        assert_eq!(
            roll_reason(&seg(10), &app(1), &c, 0, 11_001),
            Some(RollReason::Age)
        );
        assert_eq!(
            roll_reason(&seg(10), &app(1), &c, 500, 10_600),
            Some(RollReason::Age)
        );
        assert_eq!(roll_reason(&seg(0), &app(1), &c, 0, 1_000_000), None);
        let mut s = seg(10);
        s.rolling_timestamp = Some(50_000);
        let mut a = app(1);
        a.max_timestamp = 60_001;
        assert_eq!(roll_reason(&s, &a, &c, 0, 0), Some(RollReason::Age));
        a.max_timestamp = 60_000;
        assert_eq!(roll_reason(&s, &a, &c, 0, 999_999), None);
    }

    #[test]
    fn index_and_offset_triggers() {
        let c = LogConfig::default();
        let mut s = seg(0);
        s.offset_index_full = true;
        assert_eq!(
            roll_reason(&s, &app(1), &c, 0, 0),
            Some(RollReason::OffsetIndexFull)
        );
        s.offset_index_full = false;
        s.time_index_full = true;
        assert_eq!(
            roll_reason(&s, &app(1), &c, 0, 0),
            Some(RollReason::TimeIndexFull)
        );
        let mut a = app(1);
        a.last_offset = 100 + i64::from(i32::MAX);
        assert_eq!(roll_reason(&seg(5), &a, &c, 0, 0), None);
        a.last_offset += 1;
        assert_eq!(
            roll_reason(&seg(5), &a, &c, 0, 0),
            Some(RollReason::OffsetOverflow)
        );
    }

    #[test]
    fn jitter_is_bounded() {
        let c = LogConfig {
            segment_jitter_ms: 100,
            ..LogConfig::default()
        };
        for seed in 0..1000 {
            assert!((0..100).contains(&jitter_ms(&c, seed)));
        }
        assert_eq!(jitter_ms(&LogConfig::default(), 12345), 0);
    }
}
