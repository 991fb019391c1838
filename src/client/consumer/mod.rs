//! The consumer core (without groups): assigned partitions, positions, seeks and
//! `auto.offset.reset` through ListOffsets, and pipelined fetching.
//!
//! Each leader broker gets a [`link::Link`] task owning its connection, with at most one
//! request in flight. When a fetch reply arrives, the next fetch position of each partition
//! is read from the batch headers alone and the next fetch to that broker is sent at once;
//! only then are the reply's records handed out (decompressed lazily, one batch at a
//! time, as `Bytes` slices). So the broker works on fetch N+1 while the application reads
//! the records of fetch N, and at most one reply per broker waits in memory.
//!
//! Positions: `position` is the next offset to hand out, `fetch_position` the next offset
//! to ask for (ahead of `position` while a reply is buffered). A seek bumps the partition's
//! generation, which discards buffered data and replies of fetches sent before it.
//! Leader changes (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, ...) and dropped
//! connections refresh the metadata and retry after `retry.backoff.ms` without moving the
//! positions, so a restarted broker is resumed from exactly where the consumer was.

pub mod completed;
pub mod config;
pub mod group;
#[cfg(test)]
mod group_tests;
mod link;
pub mod requests;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::client::{Client, ClientError};
use crate::protocol::api::ApiVersionRange;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{ApiKey, FetchResponse, ListOffsetsResponse, Response};
use crate::protocol::records::{Batches, Header, RecordsError, TimestampType};

pub use completed::{CompletedFetch, FetchedRecord};
pub use config::{ConsumerConfig, IsolationLevel, OffsetReset};
pub use group::{GroupConsumer, Topics};
use link::{Job, Link, Reply};
use requests::{ErrorAction, FetchTarget};

/// Why the consumer stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("topic {topic} does not exist")]
    UnknownTopic { topic: String },
    #[error("topic {topic} has no partition {partition}")]
    UnknownPartition { topic: String, partition: i32 },
    #[error(
        "no valid offset for {topic}-{partition} (position {offset:?}) and auto.offset.reset is none"
    )]
    NoOffset {
        topic: String,
        partition: i32,
        offset: Option<i64>,
    },
    #[error("{topic}-{partition}: broker error {code}")]
    Partition {
        topic: String,
        partition: i32,
        code: ErrorCode,
    },
    #[error(transparent)]
    Group(#[from] crate::client::group::coordinator::GroupError),
    #[error("subscribing needs a group id (group.id)")]
    NoGroupId,
    #[error("invalid topic pattern {pattern}: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error("{topic}-{partition}: corrupt record data at offset {offset}: {source}")]
    Corrupt {
        topic: String,
        partition: i32,
        offset: i64,
        #[source]
        source: RecordsError,
    },
}

/// Where to put a partition's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    Latest,
    Offset(i64),
}

/// A record with its partition; key, value and header values slice the fetched buffer.
#[derive(Debug, Clone)]
pub struct ConsumerRecord {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<Header>,
}

#[derive(Debug)]
struct PartitionState {
    topic: Arc<str>,
    partition: i32,
    /// Next offset to hand out; `None` until a reset resolves it.
    position: Option<i64>,
    /// Next offset to fetch.
    fetch_position: i64,
    /// A ListOffsets timestamp to resolve the position with.
    pending_reset: Option<i64>,
    /// Leader broker id, -1 unknown.
    leader: i32,
    leader_epoch: i32,
    /// Part of the job in flight to its leader.
    in_flight: bool,
    /// Bumped by seeks: data fetched under an older generation is dropped.
    generation: u32,
    /// Not fetched before this instant (backoff after an error).
    retry_at: Option<Instant>,
    /// In the assignment; an unassigned partition keeps its slot (indices stay valid for
    /// replies in flight) but is neither fetched nor handed out.
    active: bool,
}

/// What a link's job in flight was about, per partition index and generation.
#[derive(Debug)]
enum InFlight {
    Fetch(Vec<(usize, u32, i64)>),
    ListOffsets(Vec<(usize, u32)>),
}

/// A consumer of manually assigned partitions.
#[derive(Debug)]
pub struct Consumer {
    client: Client,
    config: ConsumerConfig,
    versions: Vec<ApiVersionRange>,
    partitions: Vec<PartitionState>,
    index: HashMap<(Arc<str>, i32), usize>,
    links: HashMap<i32, Link>,
    in_flight: HashMap<i32, InFlight>,
    replies_tx: mpsc::UnboundedSender<Reply>,
    replies_rx: mpsc::UnboundedReceiver<Reply>,
    ready: VecDeque<(usize, u32, CompletedFetch)>,
    current: Option<(usize, u32, CompletedFetch)>,
    /// Leaders must be looked up (partitions were assigned or a leader is unknown).
    metadata_stale: bool,
    /// The cached metadata is known to be wrong (an error said so): ask the broker.
    metadata_force: bool,
    metadata_retry_at: Option<Instant>,
}

impl Consumer {
    /// A consumer that connects lazily; call inside a tokio runtime with a worker thread
    /// (the broker links are spawned tasks).
    pub fn new(config: ConsumerConfig) -> Consumer {
        let mut versions = crate::protocol::api::client_versions();
        for v in &mut versions {
            if v.api_key == ApiKey::Fetch {
                v.max = v.max.min(requests::MAX_FETCH_VERSION);
            }
        }
        let (replies_tx, replies_rx) = mpsc::unbounded_channel();
        Consumer {
            client: Client::new(config.client.clone()),
            config,
            versions,
            partitions: Vec::new(),
            index: HashMap::new(),
            links: HashMap::new(),
            in_flight: HashMap::new(),
            replies_tx,
            replies_rx,
            ready: VecDeque::new(),
            current: None,
            metadata_stale: true,
            metadata_force: false,
            metadata_retry_at: None,
        }
    }

    /// The underlying client (metadata for topic listing).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The partition ids of `topic`, sorted; fails when the topic does not exist.
    pub async fn partitions_for(&mut self, topic: &str) -> Result<Vec<i32>, ConsumerError> {
        let metadata = self.client.metadata().await?;
        let t = metadata
            .topics
            .iter()
            .find(|t| t.name == topic && t.error == ErrorCode::NONE)
            .ok_or_else(|| ConsumerError::UnknownTopic {
                topic: topic.to_string(),
            })?;
        let mut ids: Vec<i32> = t.partitions.iter().map(|p| p.partition).collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Adds `(topic, partition)` to the assignment; its position comes from
    /// `auto.offset.reset` unless sought. Assigning a partition twice keeps the first.
    pub fn assign(&mut self, topic: &str, partition: i32) {
        let topic: Arc<str> = Arc::from(topic);
        let reset = match self.config.auto_offset_reset {
            OffsetReset::Earliest => Some(requests::EARLIEST_TIMESTAMP),
            OffsetReset::Latest => Some(requests::LATEST_TIMESTAMP),
            OffsetReset::None => None,
        };
        if let Some(&idx) = self.index.get(&(topic.clone(), partition)) {
            let p = &mut self.partitions[idx];
            if !p.active {
                p.active = true;
                p.generation = p.generation.wrapping_add(1);
                p.position = None;
                p.pending_reset = reset;
                p.retry_at = None;
                self.metadata_stale = true;
            }
            return;
        }
        self.index
            .insert((topic.clone(), partition), self.partitions.len());
        self.partitions.push(PartitionState {
            topic,
            partition,
            position: None,
            fetch_position: 0,
            pending_reset: reset,
            leader: -1,
            leader_epoch: -1,
            in_flight: false,
            generation: 0,
            retry_at: None,
            active: true,
        });
        self.metadata_stale = true;
    }

    /// Removes `(topic, partition)` from the assignment: nothing more of it is fetched or
    /// handed out (buffered records are dropped). Unknown partitions are ignored.
    pub fn unassign(&mut self, topic: &str, partition: i32) {
        let Some(&idx) = self.index.get(&(Arc::from(topic), partition)) else {
            return;
        };
        let p = &mut self.partitions[idx];
        p.active = false;
        p.generation = p.generation.wrapping_add(1);
        p.position = None;
        p.pending_reset = None;
        self.ready.retain(|(i, _, _)| *i != idx);
        if self.current.as_ref().is_some_and(|(i, _, _)| *i == idx) {
            self.current = None;
        }
    }

    /// The assigned partitions with their positions (`None` until resolved), in
    /// assignment order.
    pub fn assignment(&self) -> Vec<(Arc<str>, i32, Option<i64>)> {
        self.partitions
            .iter()
            .filter(|p| p.active)
            .map(|p| (p.topic.clone(), p.partition, p.position))
            .collect()
    }

    /// Moves the position of an assigned partition.
    pub fn seek(&mut self, topic: &str, partition: i32, at: StartAt) -> Result<(), ConsumerError> {
        let idx = *self
            .index
            .get(&(Arc::from(topic), partition))
            .ok_or_else(|| ConsumerError::UnknownPartition {
                topic: topic.to_string(),
                partition,
            })?;
        let p = &mut self.partitions[idx];
        p.generation = p.generation.wrapping_add(1);
        match at {
            StartAt::Earliest => {
                p.position = None;
                p.pending_reset = Some(requests::EARLIEST_TIMESTAMP);
            }
            StartAt::Latest => {
                p.position = None;
                p.pending_reset = Some(requests::LATEST_TIMESTAMP);
            }
            StartAt::Offset(o) => {
                p.position = Some(o);
                p.fetch_position = o;
                p.pending_reset = None;
            }
        }
        self.ready.retain(|(i, _, _)| *i != idx);
        if self.current.as_ref().is_some_and(|(i, _, _)| *i == idx) {
            self.current = None;
        }
        Ok(())
    }

    /// The next offset to be handed out for a partition, once known.
    pub fn position(&self, topic: &str, partition: i32) -> Option<i64> {
        let idx = self.index.get(&(Arc::from(topic), partition))?;
        let p = &self.partitions[*idx];
        if !p.active {
            return None;
        }
        p.position
    }

    /// The next record, waiting for fetches until `deadline` (`None`: forever); `Ok(None)`
    /// when the deadline passed first.
    pub async fn next(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<ConsumerRecord>, ConsumerError> {
        loop {
            if let Some(record) = self.next_ready()? {
                return Ok(Some(record));
            }
            self.maintain().await?;
            // Every reply that has already arrived is taken before waiting; then the loop
            // starts over, since a reply may have made new work (a reset, a fetch) due.
            let mut handled = false;
            while let Ok(reply) = self.replies_rx.try_recv() {
                self.handle(reply)?;
                handled = true;
            }
            if handled {
                continue;
            }
            let mut wake = deadline;
            if let Some(t) = self.next_retry() {
                wake = Some(wake.map_or(t, |d| d.min(t)));
            }
            if self.in_flight.is_empty() && wake.is_none() {
                // Nothing to wait for and no time limit: pause for a backoff and look again.
                wake = Some(Instant::now() + self.config.client.retry_backoff);
            }
            let reply = match wake {
                Some(w) => tokio::time::timeout_at(w.into(), self.replies_rx.recv())
                    .await
                    .ok()
                    .flatten(),
                None => self.replies_rx.recv().await,
            };
            if let Some(reply) = reply {
                self.handle(reply)?;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) && self.ready.is_empty() {
                return Ok(None);
            }
        }
    }

    /// The next record already fetched, without any I/O; `Ok(None)` when [`Consumer::next`]
    /// would have to wait for the network (a reader flushes its output then).
    pub fn next_ready(&mut self) -> Result<Option<ConsumerRecord>, ConsumerError> {
        loop {
            if let Some(record) = self.next_buffered()? {
                return Ok(Some(record));
            }
            match self.ready.pop_front() {
                Some(next) => self.current = Some(next),
                None => return Ok(None),
            }
        }
    }

    /// The next record of the reply being handed out, if any.
    fn next_buffered(&mut self) -> Result<Option<ConsumerRecord>, ConsumerError> {
        let Some((idx, generation, cf)) = self.current.as_mut() else {
            return Ok(None);
        };
        let p = &mut self.partitions[*idx];
        if p.generation != *generation {
            self.current = None;
            return Ok(None);
        }
        match cf.next_record() {
            Ok(Some(r)) => {
                p.position = Some(r.offset.saturating_add(1));
                Ok(Some(ConsumerRecord {
                    topic: p.topic.clone(),
                    partition: p.partition,
                    offset: r.offset,
                    timestamp: r.timestamp,
                    timestamp_type: r.timestamp_type,
                    key: r.key,
                    value: r.value,
                    headers: r.headers,
                }))
            }
            Ok(None) => {
                let next = cf.next_offset();
                p.position = Some(p.position.map_or(next, |pos| pos.max(next)));
                self.current = None;
                Ok(None)
            }
            Err(source) => {
                let err = ConsumerError::Corrupt {
                    topic: p.topic.to_string(),
                    partition: p.partition,
                    offset: cf.next_offset(),
                    source,
                };
                // The rest of this reply is dropped; fetching resumes after it.
                p.position = Some(p.fetch_position);
                self.current = None;
                Err(err)
            }
        }
    }

    /// The earliest instant a backed-off partition or the metadata refresh becomes due.
    fn next_retry(&self) -> Option<Instant> {
        let now = Instant::now();
        let mut t = self.metadata_retry_at.filter(|t| *t > now);
        for p in self.partitions.iter().filter(|p| p.active) {
            if let Some(r) = p.retry_at.filter(|r| *r > now) {
                t = Some(t.map_or(r, |x| x.min(r)));
            }
        }
        t
    }

    /// Refreshes metadata when needed, opens links, and sends ListOffsets and Fetch jobs to
    /// every idle leader.
    async fn maintain(&mut self) -> Result<(), ConsumerError> {
        let now = Instant::now();
        if self.metadata_stale && self.metadata_retry_at.is_none_or(|t| t <= now) {
            self.refresh_metadata().await?;
        }
        let mut leaders: Vec<i32> = self
            .partitions
            .iter()
            .filter(|p| p.active && p.leader >= 0)
            .map(|p| p.leader)
            .collect();
        leaders.sort_unstable();
        leaders.dedup();
        for broker in leaders {
            self.send_job(broker).await?;
        }
        Ok(())
    }

    async fn refresh_metadata(&mut self) -> Result<(), ConsumerError> {
        // Right after assignment the cached metadata (from the topic look-up) is good enough;
        // after an error only a fresh answer is.
        let answer = if self.metadata_force {
            self.client.refresh_metadata().await
        } else {
            self.client.metadata().await
        };
        let metadata = match answer {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!("metadata refresh failed: {e}");
                self.metadata_retry_at = Some(Instant::now() + self.config.client.retry_backoff);
                return Ok(());
            }
        };
        let mut missing_leader = false;
        for p in &mut self.partitions {
            let info = metadata
                .topics
                .iter()
                .find(|t| *t.name == *p.topic)
                .and_then(|t| t.partitions.iter().find(|q| q.partition == p.partition));
            match info {
                Some(info) if info.leader >= 0 => {
                    p.leader = info.leader;
                    p.leader_epoch = info.leader_epoch;
                }
                _ => {
                    p.leader = -1;
                    missing_leader |= p.active;
                }
            }
        }
        self.metadata_stale = missing_leader;
        self.metadata_force = missing_leader;
        self.metadata_retry_at =
            missing_leader.then(|| Instant::now() + self.config.client.retry_backoff);
        Ok(())
    }

    /// Sends the next job to `broker` if its link is idle: ListOffsets for partitions
    /// awaiting a reset first, else one Fetch for every fetchable partition it leads.
    async fn send_job(&mut self, broker: i32) -> Result<(), ConsumerError> {
        if self.in_flight.contains_key(&broker) {
            return Ok(());
        }
        let now = Instant::now();
        let due = |p: &PartitionState| {
            p.active && p.leader == broker && !p.in_flight && p.retry_at.is_none_or(|t| t <= now)
        };
        let resets: Vec<usize> = (0..self.partitions.len())
            .filter(|&i| due(&self.partitions[i]) && self.partitions[i].position.is_none())
            .collect();
        let fetches: Vec<usize> = if resets.is_empty() {
            (0..self.partitions.len())
                .filter(|&i| due(&self.partitions[i]) && self.partitions[i].position.is_some())
                .collect()
        } else {
            Vec::new()
        };
        if resets.is_empty() && fetches.is_empty() {
            return Ok(());
        }
        for &i in &resets {
            let p = &self.partitions[i];
            if p.pending_reset.is_none() {
                return Err(ConsumerError::NoOffset {
                    topic: p.topic.to_string(),
                    partition: p.partition,
                    offset: None,
                });
            }
        }
        if !self.links.contains_key(&broker) && !self.open_link(broker).await? {
            return Ok(());
        }
        let Some(link) = self.links.get_mut(&broker) else {
            return Ok(());
        };
        let (job, in_flight) = if !resets.is_empty() {
            let items: Vec<(&str, i32, i64)> = resets
                .iter()
                .map(|&i| {
                    let p = &self.partitions[i];
                    (
                        &*p.topic,
                        p.partition,
                        p.pending_reset.unwrap_or(requests::LATEST_TIMESTAMP),
                    )
                })
                .collect();
            let request = requests::list_offsets_request(&self.config, &items);
            let tags = resets
                .iter()
                .map(|&i| (i, self.partitions[i].generation))
                .collect();
            (
                Job::ListOffsets {
                    version: link.list_offsets_version,
                    request,
                },
                InFlight::ListOffsets(tags),
            )
        } else {
            let targets: Vec<FetchTarget<'_>> = fetches
                .iter()
                .map(|&i| {
                    let p = &self.partitions[i];
                    FetchTarget {
                        topic: &p.topic,
                        partition: p.partition,
                        offset: p.fetch_position,
                        leader_epoch: p.leader_epoch,
                    }
                })
                .collect();
            let request = requests::fetch_request(&self.config, &targets);
            let tags = fetches
                .iter()
                .map(|&i| {
                    let p = &self.partitions[i];
                    (i, p.generation, p.fetch_position)
                })
                .collect();
            (
                Job::Fetch {
                    version: link.fetch_version,
                    request,
                },
                InFlight::Fetch(tags),
            )
        };
        if !link.send(job) {
            self.links.remove(&broker);
            self.metadata_stale = true;
            self.metadata_force = true;
            return Ok(());
        }
        for &i in resets.iter().chain(fetches.iter()) {
            self.partitions[i].in_flight = true;
        }
        self.in_flight.insert(broker, in_flight);
        Ok(())
    }

    /// Connects to `broker` and starts its link; false (after scheduling a metadata
    /// refresh) when it cannot be reached now.
    async fn open_link(&mut self, broker: i32) -> Result<bool, ConsumerError> {
        let conn = match self.client.take_broker(broker).await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("cannot connect to broker {broker}: {e}");
                self.backoff_broker(broker);
                return Ok(false);
            }
        };
        let fetch_version = conn.version_for(&self.versions, ApiKey::Fetch)?;
        let list_offsets_version = conn.version_for(&self.versions, ApiKey::ListOffsets)?;
        let link = Link::spawn(
            broker,
            conn,
            self.replies_tx.clone(),
            fetch_version,
            list_offsets_version,
        );
        self.links.insert(broker, link);
        Ok(true)
    }

    /// After a failure with `broker`: its partitions wait a backoff and metadata is
    /// refreshed (the leader may have moved).
    fn backoff_broker(&mut self, broker: i32) {
        let at = Instant::now() + self.config.client.retry_backoff;
        for p in &mut self.partitions {
            if p.leader == broker {
                p.retry_at = Some(at);
                p.in_flight = false;
            }
        }
        self.metadata_stale = true;
        self.metadata_force = true;
        self.metadata_retry_at = Some(at);
    }

    /// Takes one reply: positions move, buffered data grows, and the broker's next job goes
    /// out before any of the reply's records are handed out.
    fn handle(&mut self, reply: Reply) -> Result<(), ConsumerError> {
        let broker = reply.broker;
        let Some(job) = self.in_flight.remove(&broker) else {
            return Ok(());
        };
        let indices: Vec<usize> = match &job {
            InFlight::Fetch(t) => t.iter().map(|x| x.0).collect(),
            InFlight::ListOffsets(t) => t.iter().map(|x| x.0).collect(),
        };
        for &i in &indices {
            self.partitions[i].in_flight = false;
        }
        match reply.result {
            Err(e) => {
                tracing::debug!("broker {broker}: {e}");
                self.links.remove(&broker);
                self.backoff_broker(broker);
            }
            Ok(Response::Fetch(resp)) => {
                if let InFlight::Fetch(tags) = job {
                    self.take_fetch(broker, resp, &tags)?;
                }
            }
            Ok(Response::ListOffsets(resp)) => {
                if let InFlight::ListOffsets(tags) = job {
                    self.take_offsets(resp, &tags)?;
                }
            }
            Ok(_) => {
                self.links.remove(&broker);
                self.backoff_broker(broker);
            }
        }
        self.pipeline(broker);
        Ok(())
    }

    /// Sends the broker's next fetch right away when its link is up and every partition
    /// it leads has a position (the common case); other work waits for [`Self::maintain`].
    fn pipeline(&mut self, broker: i32) {
        if self.in_flight.contains_key(&broker) || !self.links.contains_key(&broker) {
            return;
        }
        let now = Instant::now();
        let fetches: Vec<usize> = (0..self.partitions.len())
            .filter(|&i| {
                let p = &self.partitions[i];
                p.active
                    && p.leader == broker
                    && !p.in_flight
                    && p.position.is_some()
                    && p.retry_at.is_none_or(|t| t <= now)
            })
            .collect();
        if fetches.is_empty() {
            return;
        }
        let Some(link) = self.links.get_mut(&broker) else {
            return;
        };
        let targets: Vec<FetchTarget<'_>> = fetches
            .iter()
            .map(|&i| {
                let p = &self.partitions[i];
                FetchTarget {
                    topic: &p.topic,
                    partition: p.partition,
                    offset: p.fetch_position,
                    leader_epoch: p.leader_epoch,
                }
            })
            .collect();
        let request = requests::fetch_request(&self.config, &targets);
        let job = Job::Fetch {
            version: link.fetch_version,
            request,
        };
        if !link.send(job) {
            self.links.remove(&broker);
            return;
        }
        let tags = fetches
            .iter()
            .map(|&i| {
                let p = &mut self.partitions[i];
                p.in_flight = true;
                (i, p.generation, p.fetch_position)
            })
            .collect();
        self.in_flight.insert(broker, InFlight::Fetch(tags));
    }

    fn take_fetch(
        &mut self,
        broker: i32,
        resp: FetchResponse,
        tags: &[(usize, u32, i64)],
    ) -> Result<(), ConsumerError> {
        if resp.error_code != 0 {
            tracing::debug!(
                "broker {broker}: fetch error {}",
                ErrorCode(resp.error_code)
            );
            self.backoff_broker(broker);
            return Ok(());
        }
        let read_committed = self.config.isolation_level == IsolationLevel::ReadCommitted;
        for topic in resp.responses {
            for data in topic.partitions {
                let Some(&idx) = self
                    .index
                    .get(&(Arc::from(topic.topic.as_str()), data.partition_index))
                else {
                    continue;
                };
                let Some(&(_, generation, fetch_offset)) = tags.iter().find(|t| t.0 == idx) else {
                    continue;
                };
                if self.partitions[idx].generation != generation {
                    continue;
                }
                let code = ErrorCode(data.error_code);
                match requests::error_action(code) {
                    ErrorAction::Proceed => {}
                    ErrorAction::RefreshMetadata => {
                        let p = &mut self.partitions[idx];
                        p.retry_at = Some(Instant::now() + self.config.client.retry_backoff);
                        self.metadata_stale = true;
                        self.metadata_force = true;
                        continue;
                    }
                    ErrorAction::Retry => {
                        self.partitions[idx].retry_at =
                            Some(Instant::now() + self.config.client.retry_backoff);
                        continue;
                    }
                    ErrorAction::ResetOffset => {
                        self.reset_after_out_of_range(idx)?;
                        continue;
                    }
                    ErrorAction::Fail => {
                        let p = &self.partitions[idx];
                        return Err(ConsumerError::Partition {
                            topic: p.topic.to_string(),
                            partition: p.partition,
                            code,
                        });
                    }
                }
                let Some(records) = data.records.filter(|r| !r.is_empty()) else {
                    continue;
                };
                let next = scan_next_offset(&records, fetch_offset);
                let p = &mut self.partitions[idx];
                p.fetch_position = p.fetch_position.max(next);
                let aborted = data
                    .aborted_transactions
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| (a.producer_id, a.first_offset))
                    .collect();
                let cf = CompletedFetch::new(
                    records,
                    fetch_offset,
                    self.config.check_crcs,
                    read_committed,
                    aborted,
                );
                self.ready.push_back((idx, generation, cf));
            }
        }
        Ok(())
    }

    fn reset_after_out_of_range(&mut self, idx: usize) -> Result<(), ConsumerError> {
        let reset = match self.config.auto_offset_reset {
            OffsetReset::Earliest => requests::EARLIEST_TIMESTAMP,
            OffsetReset::Latest => requests::LATEST_TIMESTAMP,
            OffsetReset::None => {
                let p = &self.partitions[idx];
                return Err(ConsumerError::NoOffset {
                    topic: p.topic.to_string(),
                    partition: p.partition,
                    offset: p.position,
                });
            }
        };
        let p = &mut self.partitions[idx];
        tracing::info!(
            "{}-{}: offset {} is out of range; resetting by auto.offset.reset",
            p.topic,
            p.partition,
            p.fetch_position
        );
        p.generation = p.generation.wrapping_add(1);
        p.position = None;
        p.pending_reset = Some(reset);
        Ok(())
    }

    fn take_offsets(
        &mut self,
        resp: ListOffsetsResponse,
        tags: &[(usize, u32)],
    ) -> Result<(), ConsumerError> {
        for topic in resp.topics {
            for data in topic.partitions {
                let Some(&idx) = self
                    .index
                    .get(&(Arc::from(topic.name.as_str()), data.partition_index))
                else {
                    continue;
                };
                let Some(&(_, generation)) = tags.iter().find(|t| t.0 == idx) else {
                    continue;
                };
                if self.partitions[idx].generation != generation {
                    continue;
                }
                let code = ErrorCode(data.error_code);
                match requests::error_action(code) {
                    ErrorAction::Proceed => {}
                    ErrorAction::RefreshMetadata
                    | ErrorAction::Retry
                    | ErrorAction::ResetOffset => {
                        self.partitions[idx].retry_at =
                            Some(Instant::now() + self.config.client.retry_backoff);
                        self.metadata_stale |= code != ErrorCode::REQUEST_TIMED_OUT;
                        self.metadata_force |= code != ErrorCode::REQUEST_TIMED_OUT;
                        continue;
                    }
                    ErrorAction::Fail => {
                        let p = &self.partitions[idx];
                        return Err(ConsumerError::Partition {
                            topic: p.topic.to_string(),
                            partition: p.partition,
                            code,
                        });
                    }
                }
                // v0 answers in a list; later versions in one field.
                let offset = if data.offset >= 0 {
                    data.offset
                } else {
                    data.old_style_offsets.first().copied().unwrap_or(-1)
                };
                let p = &mut self.partitions[idx];
                if offset < 0 {
                    p.retry_at = Some(Instant::now() + self.config.client.retry_backoff);
                    continue;
                }
                p.position = Some(offset);
                p.fetch_position = offset;
                p.pending_reset = None;
            }
        }
        Ok(())
    }
}

/// The offset after the last complete batch of `records` (or `fetch_offset` when there is
/// none): where the next fetch of the partition starts. Reads batch headers only.
pub fn scan_next_offset(records: &Bytes, fetch_offset: i64) -> i64 {
    let mut next = fetch_offset;
    for batch in Batches::new(records.clone()) {
        match batch {
            Ok(b) => next = next.max(b.next_offset()),
            Err(_) => break,
        }
    }
    next
}
