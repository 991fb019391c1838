//! The leader epoch cache (KIP-101/KIP-279): for each leader epoch, the first offset its
//! leader wrote, kept in the partition's `leader-epoch-checkpoint` and used to answer
//! OffsetForLeaderEpoch and to truncate followers correctly.
//!
//! Invariants: epochs and start offsets are both strictly increasing; every change is written
//! to the checkpoint file (atomically) before the method returns.

use std::path::{Path, PathBuf};

use super::checkpoint::{
    EpochEntry, LEADER_EPOCH_CHECKPOINT, encode_epochs, parse_epochs, read_optional, write_atomic,
};
use super::error::Result;

/// Kafka's "no epoch" / "no offset" answers.
pub const UNDEFINED_EPOCH: i32 = -1;
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

#[derive(Debug)]
pub struct LeaderEpochCache {
    path: PathBuf,
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    /// Loads the cache of the partition directory `dir` (empty when there is no file).
    pub fn load(dir: &Path) -> Result<LeaderEpochCache> {
        let path = dir.join(LEADER_EPOCH_CHECKPOINT);
        let mut entries = match read_optional(&path)? {
            Some(text) => parse_epochs(&path, &text)?,
            None => Vec::new(),
        };
        // Keep only a strictly increasing run, whatever the file says.
        let mut kept: Vec<EpochEntry> = Vec::with_capacity(entries.len());
        for e in entries.drain(..) {
            if kept
                .last()
                .is_none_or(|l| e.epoch > l.epoch && e.start_offset > l.start_offset)
            {
                kept.push(e);
            }
        }
        Ok(LeaderEpochCache {
            path,
            entries: kept,
        })
    }

    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    fn save(&self) -> Result<()> {
        write_atomic(&self.path, &encode_epochs(&self.entries))
    }

    /// Records that `epoch` starts at `start_offset`. The same epoch again is a no-op; a new
    /// epoch drops any entry it contradicts (same or larger epoch, same or larger offset).
    /// Negative epochs (batches written without one) are ignored.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> Result<()> {
        if epoch < 0 || self.latest_epoch() == Some(epoch) {
            return Ok(());
        }
        if self
            .entries
            .last()
            .is_some_and(|l| l.epoch > epoch && l.start_offset <= start_offset)
        {
            // An older epoch after a newer one at a later offset cannot be right; Kafka
            // ignores it too.
            return Ok(());
        }
        self.entries
            .retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
        self.save()
    }

    /// OffsetForLeaderEpoch: `(epoch, end offset)` of `requested` given the log end offset.
    pub fn end_offset_for(&self, requested: i32, log_end_offset: i64) -> (i32, i64) {
        if requested == UNDEFINED_EPOCH {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        }
        if self.latest_epoch() == Some(requested) {
            return (requested, log_end_offset);
        }
        let Some(higher) = self.entries.iter().find(|e| e.epoch > requested) else {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        };
        match self.entries.iter().rev().find(|e| e.epoch <= requested) {
            Some(floor) => (floor.epoch, higher.start_offset),
            None => (requested, higher.start_offset),
        }
    }

    /// The log was truncated to `end_offset`: epochs starting at or after it are gone.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> Result<()> {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        if self.entries.len() != before {
            self.save()?;
        }
        Ok(())
    }

    /// The log start moved to `start_offset`: earlier epochs are gone, and the epoch in force
    /// there now starts at `start_offset`.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> Result<()> {
        let in_force = self
            .entries
            .iter()
            .rposition(|e| e.start_offset <= start_offset);
        let Some(i) = in_force else {
            return Ok(());
        };
        if i == 0 && self.entries[0].start_offset == start_offset {
            return Ok(());
        }
        self.entries.drain(..i);
        if let Some(first) = self.entries.first_mut() {
            first.start_offset = start_offset;
        }
        self.save()
    }

    /// Forgets everything (the log was emptied).
    pub fn clear(&mut self) -> Result<()> {
        if !self.entries.is_empty() || !self.path.exists() {
            self.entries.clear();
            self.save()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(epoch: i32, start_offset: i64) -> EpochEntry {
        EpochEntry {
            epoch,
            start_offset,
        }
    }

    #[test]
    fn assign_truncate_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = LeaderEpochCache::load(dir.path()).unwrap();
        c.assign(0, 0).unwrap();
        c.assign(0, 5).unwrap();
        c.assign(2, 10).unwrap();
        c.assign(1, 20).unwrap(); // older epoch later: ignored
        c.assign(5, 30).unwrap();
        assert_eq!(c.entries(), &[e(0, 0), e(2, 10), e(5, 30)]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LEADER_EPOCH_CHECKPOINT)).unwrap(),
            "0\n3\n0 0\n2 10\n5 30\n"
        );
        assert_eq!(c.end_offset_for(5, 99), (5, 99));
        assert_eq!(c.end_offset_for(3, 99), (2, 30));
        assert_eq!(c.end_offset_for(0, 99), (0, 10));
        assert_eq!(c.end_offset_for(7, 99), (-1, -1));
        c.truncate_from_end(30).unwrap();
        assert_eq!(c.entries(), &[e(0, 0), e(2, 10)]);
        c.truncate_from_start(12).unwrap();
        assert_eq!(c.entries(), &[e(2, 12)]);
        let c2 = LeaderEpochCache::load(dir.path()).unwrap();
        assert_eq!(c2.entries(), &[e(2, 12)]);
        // A new epoch at an offset below existing entries replaces them (follower truncation).
        let mut c = c2;
        c.assign(3, 12).unwrap();
        assert_eq!(c.entries(), &[e(3, 12)]);
    }
}
