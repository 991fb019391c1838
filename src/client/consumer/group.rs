//! The consumer as a group member: subscribe to topics (or a regex), let the group leader's
//! assignor hand out partitions, and keep consuming across rebalances, coordinator moves
//! and broker restarts. Offsets are committed to the coordinator automatically
//! (`enable.auto.commit`, every `auto.commit.interval.ms`), before partitions are revoked,
//! and on close; a newly assigned partition starts at its committed offset, or where
//! `auto.offset.reset` says when the group has none.
//!
//! Everything happens inside [`GroupConsumer::next`], which the application calls in a
//! loop: heartbeat reports are read, the coordinator is found again when it moved, joins
//! and syncs run when needed, commits go out when due, then records are fetched for at most
//! a short slice. Heartbeats themselves run in their own task
//! ([`crate::client::group::coordinator::Heartbeats`]), so a slow reader does not miss
//! them; an application that stops calling for `max.poll.interval.ms` is taken out of the
//! group by that task, and joins again as a new member when it comes back. Commits only
//! cover records already returned by earlier calls, so a reader that
//! finishes with a record before asking for the next one never loses records it was given
//! (duplicates come only from offsets not yet committed).
//!
//! Eager assignors (range, roundrobin, sticky) revoke everything before rejoining; when
//! every configured assignor is cooperative (cooperative-sticky) the member keeps its
//! partitions through the rebalance, revokes only what moved, and rejoins once more.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::group::Assignor;
use crate::client::group::assignor::{Member, PartitionCounts};
use crate::client::group::coordinator::{
    self, CoordinatorLink, GroupError, HeartbeatEvent, HeartbeatPlan, Heartbeats, PollClock,
};
use crate::client::group::membership::{JoinAnswer, Membership, Step};
use crate::client::group::protocol::{
    self, Assignment, PROTOCOL_TYPE, Subscription, TopicPartition,
};
use crate::protocol::codec::ApiRequest;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::join_group_request::JoinGroupRequestProtocol;
use crate::protocol::messages::leave_group_request::MemberIdentity;
use crate::protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use crate::protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use crate::protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use crate::protocol::messages::{
    ApiKey, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, OffsetCommitRequest,
    OffsetFetchRequest, Response, SyncGroupRequest,
};

use super::{Consumer, ConsumerConfig, ConsumerError, ConsumerRecord, StartAt};

/// Longest time [`GroupConsumer::next`] fetches before looking at the group again.
const POLL_SLICE: Duration = Duration::from_millis(100);
/// Joins attempted in one poll before giving other work a turn.
const MAX_JOIN_ROUNDS: usize = 8;

/// What the member subscribes to.
#[derive(Debug, Clone)]
pub enum Topics {
    /// These topic names.
    List(Vec<String>),
    /// Every non-internal topic whose whole name matches this regex.
    Pattern(String),
}

/// A consumer in a group.
#[derive(Debug)]
pub struct GroupConsumer {
    consumer: Consumer,
    config: ConsumerConfig,
    group_id: String,
    topics: Topics,
    pattern: Option<regex_automata::meta::Regex>,
    membership: Membership,
    coordinator: Option<CoordinatorLink>,
    coordinator_retry_at: Option<Instant>,
    heartbeats: Option<Heartbeats>,
    /// The partitions this member owns now.
    owned: BTreeSet<TopicPartition>,
    /// The last offset committed (or found committed) per owned partition.
    committed: HashMap<TopicPartition, i64>,
    /// Positions of the partitions revoked before the current join (eager protocol): a
    /// partition that comes straight back resumes here, as nobody else owned it meanwhile.
    revoked_positions: HashMap<TopicPartition, i64>,
    next_auto_commit: Instant,
    join_retry_at: Option<Instant>,
    /// The last assignment received and its generation: the eager `sticky` assignor's
    /// user data (its members own nothing when they join, having revoked everything).
    previous: (Vec<TopicPartition>, i32),
    /// Topic names the last join subscribed to.
    subscribed: Vec<String>,
    /// As leader: the partition counts the last plan was made from.
    planned_counts: Option<PartitionCounts>,
    next_metadata_check: Instant,
    /// Stamped on every poll; the heartbeat task leaves the group when it goes stale.
    polls: PollClock,
}

impl GroupConsumer {
    /// A member of `config.group_id` subscribed to `topics`; connects lazily. Fails when no
    /// group id is set or the regex does not compile.
    pub fn new(config: ConsumerConfig, topics: Topics) -> Result<Self, ConsumerError> {
        let group_id = config
            .group_id
            .clone()
            .filter(|g| !g.is_empty())
            .ok_or(ConsumerError::NoGroupId)?;
        let pattern = match &topics {
            Topics::Pattern(p) => Some(
                regex_automata::meta::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                    ConsumerError::BadPattern {
                        pattern: p.clone(),
                        reason: e.to_string(),
                    }
                })?,
            ),
            Topics::List(_) => None,
        };
        let now = Instant::now();
        Ok(GroupConsumer {
            consumer: Consumer::new(config.clone()),
            next_auto_commit: now + config.auto_commit_interval,
            next_metadata_check: now + config.client.metadata_max_age,
            config,
            group_id,
            topics,
            pattern,
            membership: Membership::new(),
            coordinator: None,
            coordinator_retry_at: None,
            heartbeats: None,
            owned: BTreeSet::new(),
            committed: HashMap::new(),
            revoked_positions: HashMap::new(),
            join_retry_at: None,
            previous: (Vec::new(), -1),
            subscribed: Vec::new(),
            planned_counts: None,
            polls: PollClock::default(),
        })
    }

    /// The group id.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    /// The member's state machine (member id, generation, state).
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// The partitions owned now, in order.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.owned.iter().cloned().collect()
    }

    /// The next record already fetched, without any I/O (see [`Consumer::next_ready`]).
    pub fn next_ready(&mut self) -> Result<Option<ConsumerRecord>, ConsumerError> {
        self.polls.stamp();
        self.consumer.next_ready()
    }

    /// The next record, taking part in the group meanwhile; `Ok(None)` when `deadline`
    /// passed first.
    pub async fn next(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<ConsumerRecord>, ConsumerError> {
        loop {
            // Waiting inside this call counts as polling (as in Kafka's poll loop).
            self.polls.stamp();
            self.poll_group().await?;
            if let Some(r) = self.consumer.next_ready()? {
                return Ok(Some(r));
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(None);
            }
            let mut slice = now + POLL_SLICE;
            if let Some(d) = deadline {
                slice = slice.min(d);
            }
            if self.membership.is_stable() && !self.owned.is_empty() {
                if let Some(r) = self.consumer.next(Some(slice)).await? {
                    return Ok(Some(r));
                }
            } else {
                tokio::time::sleep_until(slice.into()).await;
            }
        }
    }

    /// Commits the positions of every owned partition now (waits for the answer).
    pub async fn commit(&mut self) -> Result<(), ConsumerError> {
        self.commit_positions(None).await.map(|_| ())
    }

    /// Commits (with auto commit on) and leaves the group, so the others take over at once
    /// rather than after `session.timeout.ms`.
    pub async fn close(mut self) -> Result<(), ConsumerError> {
        self.heartbeats = None;
        if self.config.enable_auto_commit
            && let Err(e) = self.commit_positions(None).await
        {
            tracing::warn!("group {}: commit on close failed: {e}", self.group_id);
        }
        // A static member stays in the group until its session ends, as in Kafka.
        if self.config.group_instance_id.is_some() {
            return Ok(());
        }
        let Some(member_id) = self.membership.leave() else {
            return Ok(());
        };
        let request = LeaveGroupRequest {
            group_id: self.group_id.clone(),
            member_id: member_id.clone(),
            members: vec![MemberIdentity {
                member_id,
                group_instance_id: None,
                reason: Some("the consumer is being closed".to_string()),
                ..MemberIdentity::default()
            }],
            ..LeaveGroupRequest::default()
        };
        if let Some(link) = self.coordinator.as_mut() {
            let version = link.version(ApiKey::LeaveGroup)?;
            let mut request = request;
            if version < 3 {
                request.members.clear();
            } else {
                request.member_id.clear();
            }
            match link.call(&request).await {
                Ok(Response::LeaveGroup(r)) if r.error_code != 0 => tracing::debug!(
                    "group {}: LeaveGroup: {}",
                    self.group_id,
                    ErrorCode(r.error_code)
                ),
                Ok(_) => {}
                Err(e) => tracing::debug!("group {}: LeaveGroup: {e}", self.group_id),
            }
        }
        Ok(())
    }

    /// Whether the rebalance protocol is cooperative: every configured assignor supports it.
    fn cooperative(&self) -> bool {
        !self.config.assignors.is_empty() && self.config.assignors.iter().all(|a| a.cooperative())
    }

    async fn poll_group(&mut self) -> Result<(), ConsumerError> {
        let event = self
            .heartbeats
            .as_mut()
            .and_then(|h| h.events.try_recv().ok());
        if let Some(event) = event {
            self.heartbeats = None;
            match event {
                HeartbeatEvent::Error(code) => {
                    tracing::info!("group {}: heartbeat answered {code}", self.group_id);
                    let step = self.membership.on_heartbeat(code);
                    self.apply_step(step)?;
                }
                HeartbeatEvent::Lost(reason) => self.coordinator_lost(&reason),
                HeartbeatEvent::PollTimeout => {
                    // The task left the group: the partitions are gone (no commit), and
                    // this poll joins again as a new member, as Kafka's consumer does.
                    self.membership.leave();
                    let all = self.owned.clone();
                    self.revoke(&all).await?;
                }
            }
        }
        if self.coordinator.is_none() && !self.find_coordinator().await? {
            return Ok(());
        }
        let now = Instant::now();
        if now >= self.next_metadata_check {
            self.next_metadata_check = now + self.config.client.metadata_max_age;
            self.check_subscription().await?;
        }
        if self.membership.needs_join() {
            if self.join_retry_at.is_some_and(|t| Instant::now() < t) {
                return Ok(());
            }
            self.join_retry_at = None;
            return self.rebalance().await;
        }
        if self.membership.is_stable() && self.heartbeats.is_none() {
            self.start_heartbeats();
        }
        if self.config.enable_auto_commit && Instant::now() >= self.next_auto_commit {
            self.next_auto_commit = Instant::now() + self.config.auto_commit_interval;
            if let Err(e) = self.commit_positions(None).await {
                tracing::warn!("group {}: auto commit failed: {e}", self.group_id);
            }
        }
        Ok(())
    }

    fn apply_step(&mut self, step: Step) -> Result<(), ConsumerError> {
        match step {
            Step::Continue | Step::Join | Step::Sync { .. } | Step::Stable => Ok(()),
            Step::Backoff => {
                self.join_retry_at = Some(Instant::now() + self.config.client.retry_backoff);
                Ok(())
            }
            Step::CoordinatorLost => {
                self.coordinator_lost("the coordinator moved or is unavailable");
                Ok(())
            }
            Step::Fatal(code) => Err(ConsumerError::Group(GroupError::Fatal {
                group: self.group_id.clone(),
                api: ApiKey::JoinGroup,
                code,
            })),
        }
    }

    fn coordinator_lost(&mut self, reason: &str) {
        if let Some(link) = &self.coordinator {
            tracing::info!(
                "group {}: coordinator {} ({}) lost: {reason}; finding it again",
                self.group_id,
                link.node,
                link.addr
            );
        }
        self.coordinator = None;
        self.heartbeats = None;
        self.membership.coordinator_lost();
        self.coordinator_retry_at = Some(Instant::now() + self.config.client.retry_backoff);
    }

    /// Finds and connects to the coordinator; false (retry later) when not possible now.
    async fn find_coordinator(&mut self) -> Result<bool, ConsumerError> {
        if self
            .coordinator_retry_at
            .is_some_and(|t| Instant::now() < t)
        {
            return Ok(false);
        }
        let backoff = self.config.client.retry_backoff;
        let found = coordinator::find(self.consumer.client(), &self.group_id).await;
        let (node, addr) = match found {
            Ok(Some(x)) => x,
            Ok(None) => {
                self.coordinator_retry_at = Some(Instant::now() + backoff);
                return Ok(false);
            }
            Err(e @ GroupError::Fatal { .. }) => return Err(e.into()),
            Err(e) => {
                tracing::debug!("group {}: FindCoordinator failed: {e}", self.group_id);
                // The cluster may have changed under us (a restart): ask afresh next time.
                let _ = self.consumer.client().refresh_metadata().await;
                self.coordinator_retry_at = Some(Instant::now() + backoff);
                return Ok(false);
            }
        };
        match CoordinatorLink::connect(
            node,
            addr.clone(),
            &self.config.client,
            self.config.max_poll_interval,
        )
        .await
        {
            Ok(link) => {
                tracing::info!(
                    "group {}: coordinator is broker {node} at {addr}",
                    self.group_id
                );
                self.coordinator = Some(link);
                self.coordinator_retry_at = None;
                Ok(true)
            }
            Err(e) => {
                tracing::debug!(
                    "group {}: cannot reach coordinator {addr}: {e}",
                    self.group_id
                );
                self.coordinator_retry_at = Some(Instant::now() + backoff);
                Ok(false)
            }
        }
    }

    /// One request to the coordinator; `Ok(None)` when it could not be reached (then it is
    /// treated as lost and found again).
    async fn call<M: ApiRequest>(
        &mut self,
        request: &M,
    ) -> Result<Option<Response>, ConsumerError> {
        let Some(link) = self.coordinator.as_mut() else {
            return Ok(None);
        };
        match link.call(request).await {
            Ok(r) => Ok(Some(r)),
            Err(e @ GroupError::Client(crate::client::ClientError::NoCommonVersion { .. })) => {
                Err(e.into())
            }
            Err(e) => {
                self.coordinator_lost(&e.to_string());
                Ok(None)
            }
        }
    }

    fn start_heartbeats(&mut self) {
        let Some(link) = &self.coordinator else {
            return;
        };
        // A long join is not the application's slowness.
        self.polls.stamp();
        let plan = HeartbeatPlan {
            group_id: self.group_id.clone(),
            member_id: self.membership.member_id().to_string(),
            generation: self.membership.generation(),
            group_instance_id: self.config.group_instance_id.clone(),
            interval: self.config.heartbeat_interval,
            session: self.config.session_timeout,
            max_poll_interval: self.config.max_poll_interval,
            polls: self.polls.clone(),
        };
        self.heartbeats = Some(Heartbeats::start(
            link.addr.clone(),
            self.config.client.clone(),
            plan,
        ));
    }

    /// The topic names the subscription means now, sorted.
    async fn resolve_topics(&mut self) -> Result<Vec<String>, ConsumerError> {
        let mut names = match (&self.topics, &self.pattern) {
            (Topics::List(list), _) => list.clone(),
            (Topics::Pattern(_), Some(re)) => {
                let metadata = match self.consumer.client().refresh_metadata().await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::debug!("group {}: metadata: {e}", self.group_id);
                        return Ok(self.subscribed.clone());
                    }
                };
                metadata
                    .topics
                    .iter()
                    .filter(|t| {
                        t.error == ErrorCode::NONE
                            && !t.internal
                            && !crate::admin::topic_name::is_internal(&t.name)
                            && re.is_match(&t.name)
                    })
                    .map(|t| t.name.clone())
                    .collect()
            }
            (Topics::Pattern(_), None) => Vec::new(),
        };
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Rejoins when the regex now matches other topics, or (as leader) when a group
    /// topic's partition count changed.
    async fn check_subscription(&mut self) -> Result<(), ConsumerError> {
        if matches!(self.topics, Topics::Pattern(_)) {
            let now = self.resolve_topics().await?;
            if now != self.subscribed {
                self.membership
                    .request_rejoin("the subscribed topics changed");
            }
        }
        if let Some(planned) = self.planned_counts.clone()
            && self.membership.is_leader()
        {
            let topics: Vec<String> = planned.keys().cloned().collect();
            if let Ok(counts) = self.partition_counts(&topics).await
                && counts != planned
            {
                self.membership.request_rejoin("partition counts changed");
            }
        }
        Ok(())
    }

    async fn partition_counts(
        &mut self,
        topics: &[String],
    ) -> Result<PartitionCounts, ConsumerError> {
        let metadata = self.consumer.client().topic_metadata(topics, false).await?;
        Ok(metadata
            .topics
            .iter()
            .filter(|t| t.error == ErrorCode::NONE && topics.contains(&t.name))
            .map(|t| {
                (
                    t.name.clone(),
                    i32::try_from(t.partitions.len()).unwrap_or(i32::MAX),
                )
            })
            .collect())
    }

    /// Revokes `parts` (committing their positions first when allowed).
    async fn revoke(&mut self, parts: &BTreeSet<TopicPartition>) -> Result<(), ConsumerError> {
        if parts.is_empty() {
            return Ok(());
        }
        if self.config.enable_auto_commit && self.membership.can_commit() {
            if let Err(e) = self.commit_positions(Some(parts)).await {
                tracing::warn!(
                    "group {}: commit before revoking failed: {e}",
                    self.group_id
                );
            }
        } else if !self.membership.can_commit() {
            tracing::info!(
                "group {}: partitions lost (no longer in the generation): {}",
                self.group_id,
                list(parts)
            );
        }
        for tp in parts {
            if let Some(pos) = self.consumer.position(&tp.topic, tp.partition)
                && self.membership.can_commit()
            {
                self.revoked_positions.insert(tp.clone(), pos);
            }
            self.consumer.unassign(&tp.topic, tp.partition);
            self.owned.remove(tp);
            self.committed.remove(tp);
        }
        tracing::info!(
            "group {}: revoked partitions: {}",
            self.group_id,
            list(parts)
        );
        Ok(())
    }

    /// Joins and syncs until stable, or until the coordinator is lost or a backoff is due.
    async fn rebalance(&mut self) -> Result<(), ConsumerError> {
        self.heartbeats = None;
        if !self.cooperative() || !self.membership.can_commit() {
            let all = self.owned.clone();
            self.revoke(&all).await?;
        }
        let topics = self.resolve_topics().await?;
        self.subscribed = topics.clone();
        let reason = self
            .membership
            .rejoin_reason()
            .unwrap_or("joining the group")
            .to_string();
        for _ in 0..MAX_JOIN_ROUNDS {
            let owned: Vec<TopicPartition> = self.owned.iter().cloned().collect();
            let generation = self.membership.generation();
            let mut protocols = Vec::new();
            for a in &self.config.assignors {
                let sub = Subscription {
                    topics: topics.clone(),
                    user_data: if *a == Assignor::Sticky {
                        a.user_data(&self.previous.0, self.previous.1)
                    } else {
                        a.user_data(&owned, generation)
                    },
                    owned_partitions: owned.clone(),
                    generation,
                    rack: self.config.client_rack.clone(),
                };
                protocols.push(JoinGroupRequestProtocol {
                    name: a.name().to_string(),
                    metadata: protocol::encode_subscription(&sub, protocol::MAX_VERSION)
                        .map_err(|e| self.bad_data(e))?,
                    ..JoinGroupRequestProtocol::default()
                });
            }
            let request = JoinGroupRequest {
                group_id: self.group_id.clone(),
                session_timeout_ms: millis(self.config.session_timeout),
                rebalance_timeout_ms: millis(self.config.max_poll_interval),
                member_id: self.membership.member_id().to_string(),
                group_instance_id: self.config.group_instance_id.clone(),
                protocol_type: PROTOCOL_TYPE.to_string(),
                protocols,
                reason: Some(reason.clone()),
                ..JoinGroupRequest::default()
            };
            self.membership.begin_join();
            let answer = match self.call(&request).await? {
                Some(Response::JoinGroup(r)) => r,
                Some(_) => return Err(self.unexpected(ApiKey::JoinGroup)),
                None => return Ok(()),
            };
            let step = self.membership.on_join(JoinAnswer {
                error: ErrorCode(answer.error_code),
                generation: answer.generation_id,
                member_id: &answer.member_id,
                leader: &answer.leader,
                protocol_name: answer.protocol_name.as_deref(),
            });
            let leader = match step {
                Step::Join => continue,
                Step::Sync { leader } => leader,
                other => {
                    if let Step::Fatal(code) = other {
                        tracing::error!("group {}: JoinGroup failed: {code}", self.group_id);
                    }
                    return self.apply_step(other);
                }
            };
            let assignments = if leader {
                self.lead(&answer).await?
            } else {
                Vec::new()
            };
            let sync = SyncGroupRequest {
                group_id: self.group_id.clone(),
                generation_id: self.membership.generation(),
                member_id: self.membership.member_id().to_string(),
                group_instance_id: self.config.group_instance_id.clone(),
                protocol_type: Some(PROTOCOL_TYPE.to_string()),
                protocol_name: answer.protocol_name.clone(),
                assignments,
                ..SyncGroupRequest::default()
            };
            let synced = match self.call(&sync).await? {
                Some(Response::SyncGroup(r)) => r,
                Some(_) => return Err(self.unexpected(ApiKey::SyncGroup)),
                None => return Ok(()),
            };
            match self.membership.on_sync(ErrorCode(synced.error_code)) {
                Step::Stable => {
                    let assignment = protocol::decode_assignment(&synced.assignment)
                        .map_err(|e| self.bad_data(e))?;
                    tracing::info!(
                        "group {}: joined generation {} as {} ({}), protocol {}",
                        self.group_id,
                        self.membership.generation(),
                        self.membership.member_id(),
                        if leader { "leader" } else { "follower" },
                        self.membership.protocol().unwrap_or("?")
                    );
                    self.apply_assignment(assignment).await?;
                    if self.membership.is_stable() {
                        self.start_heartbeats();
                    }
                    return Ok(());
                }
                Step::Join => continue,
                other => return self.apply_step(other),
            }
        }
        self.join_retry_at = Some(Instant::now() + self.config.client.retry_backoff);
        Ok(())
    }

    /// As leader: decodes the members' subscriptions, runs the chosen assignor and encodes
    /// each member's assignment (in the version of its subscription).
    async fn lead(
        &mut self,
        answer: &JoinGroupResponse,
    ) -> Result<Vec<SyncGroupRequestAssignment>, ConsumerError> {
        let name = answer.protocol_name.clone().unwrap_or_default();
        let assignor = Assignor::parse(&name).ok_or_else(|| {
            ConsumerError::Group(GroupError::BadProtocolData {
                group: self.group_id.clone(),
                reason: format!("the coordinator chose unknown protocol {name:?}"),
            })
        })?;
        let mut members = Vec::new();
        let mut versions = HashMap::new();
        for m in &answer.members {
            let subscription = match protocol::decode_subscription(&m.metadata) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(
                        "group {}: member {} sent unreadable metadata ({e}); it gets nothing",
                        self.group_id,
                        m.member_id
                    );
                    Subscription::default()
                }
            };
            let version = if m.metadata.len() >= 2 {
                i16::from_be_bytes([m.metadata[0], m.metadata[1]])
            } else {
                0
            };
            versions.insert(m.member_id.clone(), version.clamp(0, protocol::MAX_VERSION));
            members.push(Member {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                subscription,
            });
        }
        let topics: BTreeSet<String> = members
            .iter()
            .flat_map(|m| m.subscription.topics.iter().cloned())
            .collect();
        let topics: Vec<String> = topics.into_iter().collect();
        let counts = if topics.is_empty() {
            PartitionCounts::new()
        } else {
            match self.partition_counts(&topics).await {
                Ok(c) => c,
                Err(e) => {
                    // The generation must still be synced (the others wait for the
                    // leader); nobody gets partitions and the leader rejoins at once.
                    tracing::warn!(
                        "group {}: cannot read partition counts to assign: {e}",
                        self.group_id
                    );
                    self.membership
                        .request_rejoin("metadata was unavailable while assigning");
                    PartitionCounts::new()
                }
            }
        };
        let plan = assignor.assign(&counts, &members);
        self.planned_counts = Some(counts);
        let mut out = Vec::new();
        for m in &members {
            let parts = plan.get(&m.member_id).cloned().unwrap_or_default();
            tracing::debug!(
                "group {}: assigning {} to {}",
                self.group_id,
                list(&parts.iter().cloned().collect()),
                m.member_id
            );
            let bytes = protocol::encode_assignment(
                &Assignment {
                    partitions: parts,
                    user_data: None,
                },
                versions.get(&m.member_id).copied().unwrap_or(0),
            )
            .map_err(|e| self.bad_data(e))?;
            out.push(SyncGroupRequestAssignment {
                member_id: m.member_id.clone(),
                assignment: bytes,
                ..SyncGroupRequestAssignment::default()
            });
        }
        Ok(out)
    }

    /// Takes a new assignment: revokes what is gone (committing first), positions what is
    /// new at its committed offset (or by auto.offset.reset), and asks for another rejoin
    /// when a cooperative rebalance revoked something.
    async fn apply_assignment(&mut self, assignment: Assignment) -> Result<(), ConsumerError> {
        self.previous = (assignment.partitions.clone(), self.membership.generation());
        let new: BTreeSet<TopicPartition> = assignment.partitions.into_iter().collect();
        let revoked: BTreeSet<TopicPartition> = self.owned.difference(&new).cloned().collect();
        self.revoke(&revoked).await?;
        if !revoked.is_empty() && self.cooperative() {
            self.membership.request_rejoin("partitions were revoked");
        }
        let added: BTreeSet<TopicPartition> = new.difference(&self.owned).cloned().collect();
        if added.is_empty() {
            tracing::info!(
                "group {}: assignment unchanged: {}",
                self.group_id,
                list(&new)
            );
            return Ok(());
        }
        let Some(committed) = self.fetch_committed(&added).await? else {
            // Without the committed offsets the partitions cannot be positioned safely.
            self.membership
                .request_rejoin("committed offsets could not be read");
            return Ok(());
        };
        let mut resumed = std::mem::take(&mut self.revoked_positions);
        for tp in &added {
            self.consumer.assign(&tp.topic, tp.partition);
            if let Some(offset) = resumed.remove(tp) {
                self.consumer
                    .seek(&tp.topic, tp.partition, StartAt::Offset(offset))?;
                if let Some(&c) = committed.get(tp).filter(|o| **o >= 0) {
                    self.committed.insert(tp.clone(), c);
                }
            } else if let Some(&offset) = committed.get(tp).filter(|o| **o >= 0) {
                self.consumer
                    .seek(&tp.topic, tp.partition, StartAt::Offset(offset))?;
                self.committed.insert(tp.clone(), offset);
            }
            self.owned.insert(tp.clone());
        }
        tracing::info!(
            "group {}: assigned partitions: {}",
            self.group_id,
            list(&added)
        );
        Ok(())
    }

    /// The group's committed offsets for `parts` (-1: none); `None` when the coordinator
    /// could not answer.
    async fn fetch_committed(
        &mut self,
        parts: &BTreeSet<TopicPartition>,
    ) -> Result<Option<HashMap<TopicPartition, i64>>, ConsumerError> {
        let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for tp in parts {
            topics.entry(&tp.topic).or_default().push(tp.partition);
        }
        let request = OffsetFetchRequest {
            group_id: self.group_id.clone(),
            topics: Some(
                topics
                    .into_iter()
                    .map(|(t, p)| OffsetFetchRequestTopic {
                        name: t.to_string(),
                        partition_indexes: p,
                        ..OffsetFetchRequestTopic::default()
                    })
                    .collect(),
            ),
            require_stable: true,
            ..OffsetFetchRequest::default()
        };
        for _ in 0..MAX_JOIN_ROUNDS {
            let answer = match self.call(&request).await? {
                Some(Response::OffsetFetch(r)) => r,
                Some(_) => return Err(self.unexpected(ApiKey::OffsetFetch)),
                None => return Ok(None),
            };
            let mut retry = false;
            let group_error = ErrorCode(answer.error_code);
            if group_error != ErrorCode::NONE {
                if matches!(
                    group_error,
                    ErrorCode::NOT_COORDINATOR | ErrorCode::COORDINATOR_NOT_AVAILABLE
                ) {
                    self.coordinator_lost("OffsetFetch answered NOT_COORDINATOR");
                    return Ok(None);
                }
                if !group_error.is_retriable() {
                    return Err(ConsumerError::Group(GroupError::Fatal {
                        group: self.group_id.clone(),
                        api: ApiKey::OffsetFetch,
                        code: group_error,
                    }));
                }
                retry = true;
            }
            let mut out = HashMap::new();
            for t in &answer.topics {
                for p in &t.partitions {
                    let code = ErrorCode(p.error_code);
                    if code == ErrorCode::NONE {
                        out.insert(
                            TopicPartition::new(&t.name, p.partition_index),
                            p.committed_offset,
                        );
                    } else if code.is_retriable() {
                        retry = true;
                    } else {
                        return Err(ConsumerError::Partition {
                            topic: t.name.clone(),
                            partition: p.partition_index,
                            code,
                        });
                    }
                }
            }
            if !retry {
                return Ok(Some(out));
            }
            tokio::time::sleep(self.config.client.retry_backoff).await;
        }
        Ok(None)
    }

    /// Commits the positions of owned partitions (all, or those in `only`) that moved since
    /// their last commit. True when everything asked was committed.
    async fn commit_positions(
        &mut self,
        only: Option<&BTreeSet<TopicPartition>>,
    ) -> Result<bool, ConsumerError> {
        if !self.membership.can_commit() || self.coordinator.is_none() {
            return Ok(false);
        }
        let positions: HashMap<(Arc<str>, i32), i64> = self
            .consumer
            .assignment()
            .into_iter()
            .filter_map(|(t, p, pos)| pos.map(|o| ((t, p), o)))
            .collect();
        let mut due: BTreeMap<String, Vec<(i32, i64)>> = BTreeMap::new();
        for tp in &self.owned {
            if only.is_some_and(|set| !set.contains(tp)) {
                continue;
            }
            let Some(&pos) = positions.get(&(Arc::from(tp.topic.as_str()), tp.partition)) else {
                continue;
            };
            if self.committed.get(tp) != Some(&pos) {
                due.entry(tp.topic.clone())
                    .or_default()
                    .push((tp.partition, pos));
            }
        }
        if due.is_empty() {
            return Ok(true);
        }
        let request = OffsetCommitRequest {
            group_id: self.group_id.clone(),
            generation_id_or_member_epoch: self.membership.generation(),
            member_id: self.membership.member_id().to_string(),
            group_instance_id: self.config.group_instance_id.clone(),
            retention_time_ms: -1,
            topics: due
                .iter()
                .map(|(t, parts)| OffsetCommitRequestTopic {
                    name: t.clone(),
                    partitions: parts
                        .iter()
                        .map(|&(p, o)| OffsetCommitRequestPartition {
                            partition_index: p,
                            committed_offset: o,
                            committed_leader_epoch: -1,
                            commit_timestamp: -1,
                            committed_metadata: Some(String::new()),
                            ..OffsetCommitRequestPartition::default()
                        })
                        .collect(),
                    ..OffsetCommitRequestTopic::default()
                })
                .collect(),
            ..OffsetCommitRequest::default()
        };
        let answer = match self.call(&request).await? {
            Some(Response::OffsetCommit(r)) => r,
            Some(_) => return Err(self.unexpected(ApiKey::OffsetCommit)),
            None => return Ok(false),
        };
        let mut all_ok = true;
        let mut worst = ErrorCode::NONE;
        for t in &answer.topics {
            for p in &t.partitions {
                let code = ErrorCode(p.error_code);
                if code == ErrorCode::NONE {
                    if let Some(&(_, o)) = due
                        .get(&t.name)
                        .and_then(|v| v.iter().find(|(q, _)| *q == p.partition_index))
                    {
                        self.committed
                            .insert(TopicPartition::new(&t.name, p.partition_index), o);
                    }
                } else {
                    all_ok = false;
                    worst = code;
                }
            }
        }
        if worst != ErrorCode::NONE {
            tracing::warn!("group {}: offset commit failed: {worst}", self.group_id);
            let step = self.membership.on_commit_error(worst);
            self.apply_step(step)?;
        }
        Ok(all_ok)
    }

    fn unexpected(&self, api: ApiKey) -> ConsumerError {
        match &self.coordinator {
            Some(link) => link.unexpected(api).into(),
            None => ConsumerError::Group(GroupError::UnexpectedResponse {
                addr: String::new(),
                api,
            }),
        }
    }

    fn bad_data(&self, e: protocol::ProtocolError) -> ConsumerError {
        ConsumerError::Group(GroupError::BadProtocolData {
            group: self.group_id.clone(),
            reason: e.to_string(),
        })
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

fn list(parts: &BTreeSet<TopicPartition>) -> String {
    if parts.is_empty() {
        return "(none)".to_string();
    }
    parts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Kafka's console-consumer default group: `console-consumer-` and a number below 100000.
pub fn random_console_group(seed: u64) -> String {
    // SplitMix64 scrambles the seed (time and pid) so close seeds give unrelated ids.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("console-consumer-{}", z % 100_000)
}
