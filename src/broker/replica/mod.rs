//! The partitions this broker hosts: each one's log and the role the controller gave it
//! (leader or follower, leader epoch, replicas, ISR, partition epoch).
//!
//! LeaderAndIsr and StopReplica change roles here; Produce, Fetch, ListOffsets and the other
//! data-plane handlers find their partition here and check that this broker leads it.
//! Replication (followers fetching, ISR changes, the high watermark) grows from here.
//!
//! Logs found on disk at start-up belong to the [`LogManager`] but are not served until the
//! controller names this broker a replica of them (as Kafka does: a partition is offline on a
//! broker until its LeaderAndIsr arrives). The partition map is read on every request, so it
//! is an `RwLock` held only to clone an `Arc`; log I/O happens under the partition's own log
//! mutex, from a blocking thread, never across an await.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::log::config::LogConfig;
use crate::log::error::LogError;
use crate::log::manager::{LogManager, SharedLog};
use crate::protocol::error_code::ErrorCode;
use crate::types::{BrokerId, Uuid};

/// A topic partition by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// What the controller decided for one partition (one LeaderAndIsr partition state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaAssignment {
    /// The topic id (KIP-516); [`Uuid::ZERO`] when the controller sent none.
    pub topic_id: Uuid,
    /// The controller epoch that decided this state.
    pub controller_epoch: i32,
    /// The leader, or -1 for none.
    pub leader: BrokerId,
    /// Bumped by the controller on every leader change.
    pub leader_epoch: i32,
    /// In-sync replicas.
    pub isr: Vec<BrokerId>,
    /// The partition state's znode version (bumped on every ISR or leader change).
    pub partition_epoch: i32,
    /// Assigned replicas, preferred leader first.
    pub replicas: Vec<BrokerId>,
    /// Replicas being added or removed by a reassignment.
    pub adding_replicas: Vec<BrokerId>,
    pub removing_replicas: Vec<BrokerId>,
    /// The partition was just created: its log may be created from scratch.
    pub is_new: bool,
}

/// This broker's role for a hosted partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
}

/// A partition this broker is a replica of: its log and the controller's latest decision.
#[derive(Debug)]
pub struct HostedPartition {
    pub tp: TopicPartition,
    pub log: SharedLog,
    /// Woken (`notify_waiters`) after every append and every high watermark move, so
    /// long-polling fetches and acks=all produces wait without polling. Waiters `enable()`
    /// their `Notified` before looking at the log, so no wake-up is lost.
    pub changed: tokio::sync::Notify,
    state: Mutex<ReplicaAssignment>,
}

impl HostedPartition {
    /// The controller's latest decision for this partition (a copy).
    pub fn assignment(&self) -> ReplicaAssignment {
        self.lock_state().clone()
    }

    /// The leader epoch in force.
    pub fn leader_epoch(&self) -> i32 {
        self.lock_state().leader_epoch
    }

    /// This broker's role, given its id.
    pub fn role(&self, me: BrokerId) -> Role {
        if self.lock_state().leader == me {
            Role::Leader
        } else {
            Role::Follower
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, ReplicaAssignment> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every partition replica of this broker.
#[derive(Debug)]
pub struct ReplicaManager {
    broker_id: BrokerId,
    /// `None` once shut down.
    logs: Mutex<Option<LogManager>>,
    partitions: RwLock<HashMap<TopicPartition, Arc<HostedPartition>>>,
}

impl ReplicaManager {
    /// A manager over the logs `logs` loaded; no partition is served until the controller
    /// assigns it with [`ReplicaManager::apply_leader_and_isr`].
    pub fn new(broker_id: BrokerId, logs: LogManager) -> ReplicaManager {
        ReplicaManager {
            broker_id,
            logs: Mutex::new(Some(logs)),
            partitions: RwLock::new(HashMap::new()),
        }
    }

    pub fn broker_id(&self) -> BrokerId {
        self.broker_id
    }

    /// The cluster id recorded in the log dirs' `meta.properties`.
    pub fn cluster_id(&self) -> Option<String> {
        self.with_logs(|l| Ok(l.cluster_id().map(str::to_owned)))
            .ok()
            .flatten()
    }

    /// Applies one partition state of a LeaderAndIsr request: creates the log if needed and
    /// records the new role. A leader epoch older than the one in force is refused with
    /// STALE_CONTROLLER_EPOCH (Kafka's answer), leaving the partition as it was.
    ///
    /// Blocking (may create files): call from a blocking thread.
    pub fn apply_leader_and_isr(
        &self,
        tp: &TopicPartition,
        assignment: ReplicaAssignment,
        log_config: LogConfig,
        now_ms: i64,
        seed: u64,
    ) -> Result<Arc<HostedPartition>, ErrorCode> {
        if let Some(existing) = self.partition(tp) {
            let mut state = existing.lock_state();
            if assignment.leader_epoch < state.leader_epoch {
                return Err(ErrorCode::STALE_CONTROLLER_EPOCH);
            }
            *state = assignment;
            drop(state);
            return Ok(existing);
        }
        let log = self
            .with_logs(|logs| logs.get_or_create(&tp.topic, tp.partition, log_config, now_ms, seed))
            .map_err(storage_error)?;
        let hosted = Arc::new(HostedPartition {
            tp: tp.clone(),
            log,
            changed: tokio::sync::Notify::new(),
            state: Mutex::new(assignment),
        });
        let mut partitions = self.write_partitions();
        // Another LeaderAndIsr may have raced this one; keep whichever got in first.
        let entry = partitions
            .entry(tp.clone())
            .or_insert_with(|| Arc::clone(&hosted));
        Ok(Arc::clone(entry))
    }

    /// Stops serving a partition (StopReplica); with `delete`, its log is deleted too.
    /// Blocking when deleting.
    pub fn stop_replica(&self, tp: &TopicPartition, delete: bool) -> Result<(), ErrorCode> {
        self.write_partitions().remove(tp);
        if delete {
            let exists = self
                .with_logs(|l| Ok(l.get(&tp.topic, tp.partition).is_some()))
                .map_err(storage_error)?;
            if exists {
                self.with_logs(|l| l.delete(&tp.topic, tp.partition))
                    .map_err(storage_error)?;
            }
        }
        Ok(())
    }

    /// The hosted partition, whatever this broker's role for it.
    pub fn partition(&self, tp: &TopicPartition) -> Option<Arc<HostedPartition>> {
        self.read_partitions().get(tp).cloned()
    }

    /// The partition if this broker leads it: UNKNOWN_TOPIC_OR_PARTITION when it does not
    /// host it, NOT_LEADER_OR_FOLLOWER when it follows.
    pub fn leader_partition(&self, tp: &TopicPartition) -> Result<Arc<HostedPartition>, ErrorCode> {
        let hosted = self
            .partition(tp)
            .ok_or(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)?;
        match hosted.role(self.broker_id) {
            Role::Leader => Ok(hosted),
            Role::Follower => Err(ErrorCode::NOT_LEADER_OR_FOLLOWER),
        }
    }

    /// Every hosted partition, in no particular order.
    pub fn hosted(&self) -> Vec<Arc<HostedPartition>> {
        self.read_partitions().values().cloned().collect()
    }

    /// Periodic log work (flush.ms, retention, compaction, file deletion). Blocking.
    pub fn maintain(&self, now_ms: i64) -> Result<(), LogError> {
        self.with_logs(|l| l.maintain(now_ms))
    }

    /// Writes the offset checkpoints. Blocking.
    pub fn write_checkpoints(&self) -> Result<(), LogError> {
        self.with_logs(|l| l.write_checkpoints())
    }

    /// Clean shutdown: stops serving every partition, flushes and seals the logs and writes
    /// the clean-shutdown marker. Later calls do nothing. Blocking.
    pub fn shutdown(&self, now_ms: i64) -> Result<(), LogError> {
        self.write_partitions().clear();
        let logs = self
            .logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match logs {
            Some(logs) => logs.shutdown(now_ms),
            None => Ok(()),
        }
    }

    fn with_logs<T>(
        &self,
        f: impl FnOnce(&mut LogManager) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        let mut guard = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_mut() {
            Some(logs) => f(logs),
            None => Err(LogError::ShutDown),
        }
    }

    fn read_partitions(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<TopicPartition, Arc<HostedPartition>>> {
        self.partitions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_partitions(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<TopicPartition, Arc<HostedPartition>>> {
        self.partitions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn storage_error(e: LogError) -> ErrorCode {
    tracing::error!("log storage error: {e}");
    ErrorCode::KAFKA_STORAGE_ERROR
}

#[cfg(test)]
pub(crate) mod tests;
