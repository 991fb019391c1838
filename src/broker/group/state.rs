//! One classic-protocol consumer group as a pure state machine: members, generations,
//! protocol selection, static membership and the timers that drive rebalances. No sockets,
//! no clock: every call takes `now_ms` (ms since the Unix epoch) and answers either now or
//! later; "later" answers (a JoinGroup or SyncGroup that waits for the rest of the group) are
//! queued as [`Completion`]s the caller drains with [`Group::take_completions`] and delivers
//! to whoever waits on that member id.
//!
//! Kafka's classic states: `Empty` (no members, maybe offsets) -> `PreparingRebalance`
//! (waiting for every member to rejoin, up to the largest rebalance timeout) ->
//! `CompletingRebalance` (new generation chosen, waiting for the leader's assignment) ->
//! `Stable`. `Dead` is a deleted group. Any membership change in `CompletingRebalance` or
//! `Stable` goes back to `PreparingRebalance`.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use crate::protocol::error_code::ErrorCode;

/// The broker settings that bound a group (Kafka's `group.*` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupConfig {
    /// `group.min.session.timeout.ms`.
    pub min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms`.
    pub max_session_timeout_ms: i32,
    /// `group.initial.rebalance.delay.ms`: how long a rebalance of an empty group waits for
    /// more members, extended by this much per new member up to the rebalance timeout.
    pub initial_rebalance_delay_ms: i32,
    /// `group.max.size`.
    pub max_size: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            min_session_timeout_ms: 6000,
            max_session_timeout_ms: 1_800_000,
            initial_rebalance_delay_ms: 3000,
            max_size: i32::MAX as usize,
        }
    }
}

/// Kafka's classic group states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    /// The name Kafka prints and ListGroups/DescribeGroups carry.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// One member of the group.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub member_id: String,
    /// Static membership (KIP-345): survives restarts of the client under a new member id.
    pub group_instance_id: Option<String>,
    pub client_id: String,
    /// As Kafka prints it: `/` and the address.
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    /// Supported protocols in the member's order of preference, with their metadata.
    pub protocols: Vec<(String, Bytes)>,
    /// What the leader assigned this member in the current generation.
    pub assignment: Bytes,
    /// A JoinGroup of this member waits for the rebalance to finish.
    awaiting_join: bool,
    /// A SyncGroup of this member waits for the leader's assignment.
    awaiting_sync: bool,
    /// The member is removed when no heartbeat (or join/sync) arrives before this time.
    heartbeat_deadline: i64,
}

impl Member {
    /// This member's metadata for `protocol` (empty when it does not support it).
    pub fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(n, _)| n == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

/// A JoinGroup request as the state machine needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinRequest {
    /// Empty for a member joining for the first time.
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    /// `-1` (v0) means the session timeout.
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    /// JoinGroup v4+: an unknown member first gets MEMBER_ID_REQUIRED and its new id.
    pub require_known_member_id: bool,
    /// The id to give a new member (`client_id-uuid`), drawn by the caller.
    pub new_member_id: String,
}

/// A JoinGroup answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JoinAnswer {
    pub error: ErrorCode,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// Only for the leader: every member with its metadata for the chosen protocol.
    pub members: Vec<(String, Option<String>, Bytes)>,
}

impl JoinAnswer {
    fn error(error: ErrorCode, member_id: &str) -> JoinAnswer {
        JoinAnswer {
            error,
            generation_id: -1,
            member_id: member_id.to_string(),
            ..JoinAnswer::default()
        }
    }
}

/// A SyncGroup answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncAnswer {
    pub error: ErrorCode,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

impl SyncAnswer {
    fn error(error: ErrorCode) -> SyncAnswer {
        SyncAnswer {
            error,
            ..SyncAnswer::default()
        }
    }
}

/// A SyncGroup request as the state machine needs it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncRequest {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub generation_id: i32,
    /// v5+: must match the group's when given.
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's assignment per member id.
    pub assignments: Vec<(String, Bytes)>,
}

/// An answer now, or a wait for a [`Completion`] addressed to the member id.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<T> {
    Now(T),
    /// Wait for the completion addressed to this member id.
    Later(String),
}

/// An answer to a waiting JoinGroup or SyncGroup.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    Join {
        member_id: String,
        answer: JoinAnswer,
    },
    Sync {
        member_id: String,
        answer: SyncAnswer,
    },
}

/// A committed offset as `__consumer_offsets` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp: i64,
    /// `-1` unless a v1 value (OffsetCommit v1's explicit expiry) set it.
    pub expire_timestamp: i64,
}

/// A member to remove with LeaveGroup: by id, by instance id, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeavingMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

/// One consumer group.
#[derive(Debug, Clone)]
pub struct Group {
    id: String,
    state: GroupState,
    /// Since when the group is in `state` (ms), stored as `currentStateTimestamp`.
    state_timestamp: i64,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    generation: i32,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    /// Static members: instance id -> member id.
    static_members: HashMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the time they lapse.
    pending_members: HashMap<String, i64>,
    /// When a rebalance completes even if some members have not rejoined.
    rebalance_deadline: i64,
    /// An initial rebalance of an empty group does not complete before this time.
    initial_delay_until: Option<i64>,
    /// The latest the initial delay may be extended to.
    initial_delay_limit: i64,
    offsets: BTreeMap<(String, i32), CommittedOffset>,
    completions: Vec<Completion>,
    /// The group's metadata changed in a way Kafka stores (a new generation's assignment,
    /// the group becoming empty).
    dirty: bool,
    config: GroupConfig,
}

impl Group {
    /// A new empty group.
    pub fn new(id: impl Into<String>, config: GroupConfig, now_ms: i64) -> Group {
        Group {
            id: id.into(),
            state: GroupState::Empty,
            state_timestamp: now_ms,
            protocol_type: None,
            protocol_name: None,
            generation: 0,
            leader: None,
            members: BTreeMap::new(),
            static_members: HashMap::new(),
            pending_members: HashMap::new(),
            rebalance_deadline: 0,
            initial_delay_until: None,
            initial_delay_limit: 0,
            offsets: BTreeMap::new(),
            completions: Vec::new(),
            dirty: false,
            config,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn state(&self) -> GroupState {
        self.state
    }

    pub fn state_timestamp(&self) -> i64 {
        self.state_timestamp
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }

    pub fn protocol_name(&self) -> Option<&str> {
        self.protocol_name.as_deref()
    }

    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }

    /// Members by id.
    pub fn members(&self) -> &BTreeMap<String, Member> {
        &self.members
    }

    pub fn offsets(&self) -> &BTreeMap<(String, i32), CommittedOffset> {
        &self.offsets
    }

    /// Answers queued for waiting JoinGroup/SyncGroup requests, oldest first.
    pub fn take_completions(&mut self) -> Vec<Completion> {
        std::mem::take(&mut self.completions)
    }

    /// Whether the group metadata must be written again (cleared by the call).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    fn transition(&mut self, state: GroupState, now_ms: i64) {
        self.state = state;
        self.state_timestamp = now_ms;
    }

    /// Kafka's `supportsProtocols`: an empty group takes any non-empty protocol type and
    /// list; otherwise the type must match and one protocol must be common to all members.
    fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols
                .iter()
                .any(|(name, _)| self.candidate_protocols().iter().any(|c| c == name))
    }

    /// Protocols every member supports, in the first member's order.
    fn candidate_protocols(&self) -> Vec<String> {
        let mut members = self.members.values();
        let Some(first) = members.next() else {
            return Vec::new();
        };
        let mut out: Vec<String> = first.protocols.iter().map(|(n, _)| n.clone()).collect();
        for m in members {
            out.retain(|n| m.protocols.iter().any(|(p, _)| p == n));
        }
        out
    }

    /// Kafka's `selectProtocol`: each member votes for its most preferred candidate; the
    /// most votes wins (ties go to the earlier candidate).
    fn select_protocol(&self) -> Option<String> {
        let candidates = self.candidate_protocols();
        let mut votes = vec![0usize; candidates.len()];
        for m in self.members.values() {
            if let Some(i) = m
                .protocols
                .iter()
                .find_map(|(n, _)| candidates.iter().position(|c| c == n))
                && let Some(v) = votes.get_mut(i)
            {
                *v += 1;
            }
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, v) in votes.iter().enumerate() {
            if best.is_none_or(|(_, bv)| *v > bv) {
                best = Some((i, *v));
            }
        }
        best.and_then(|(i, _)| candidates.get(i).cloned())
    }

    fn max_rebalance_timeout(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }

    /// Handles a JoinGroup.
    pub fn join(&mut self, req: JoinRequest, now_ms: i64) -> Reply<JoinAnswer> {
        let err = |e: ErrorCode, id: &str| Reply::Now(JoinAnswer::error(e, id));
        if req.session_timeout_ms < self.config.min_session_timeout_ms
            || req.session_timeout_ms > self.config.max_session_timeout_ms
        {
            return err(ErrorCode::INVALID_SESSION_TIMEOUT, &req.member_id);
        }
        if self.state == GroupState::Dead {
            return err(ErrorCode::COORDINATOR_NOT_AVAILABLE, &req.member_id);
        }
        if !self.supports_protocols(&req.protocol_type, &req.protocols) {
            return err(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, &req.member_id);
        }
        if req.member_id.is_empty() {
            self.join_unknown(req, now_ms)
        } else {
            self.join_known(req, now_ms)
        }
    }

    fn is_full(&self) -> bool {
        self.members.len() + self.pending_members.len() >= self.config.max_size
    }

    fn join_unknown(&mut self, req: JoinRequest, now_ms: i64) -> Reply<JoinAnswer> {
        if let Some(instance) = req.group_instance_id.clone() {
            if let Some(old_id) = self.static_members.get(&instance).cloned() {
                return self.replace_static_member(&old_id, req, now_ms);
            }
            if self.is_full() {
                return Reply::Now(JoinAnswer::error(ErrorCode::GROUP_MAX_SIZE_REACHED, ""));
            }
            let id = req.new_member_id.clone();
            return self.add_member_and_rebalance(id, req, now_ms);
        }
        if self.is_full() {
            return Reply::Now(JoinAnswer::error(ErrorCode::GROUP_MAX_SIZE_REACHED, ""));
        }
        let id = req.new_member_id.clone();
        if req.require_known_member_id {
            let deadline = now_ms.saturating_add(i64::from(req.session_timeout_ms));
            self.pending_members.insert(id.clone(), deadline);
            return Reply::Now(JoinAnswer::error(ErrorCode::MEMBER_ID_REQUIRED, &id));
        }
        self.add_member_and_rebalance(id, req, now_ms)
    }

    /// A static member came back under a new member id: the old id is fenced.
    fn replace_static_member(
        &mut self,
        old_id: &str,
        req: JoinRequest,
        now_ms: i64,
    ) -> Reply<JoinAnswer> {
        let new_id = req.new_member_id.clone();
        let Some(mut member) = self.members.remove(old_id) else {
            return self.add_member_and_rebalance(new_id, req, now_ms);
        };
        if member.awaiting_join {
            self.completions.push(Completion::Join {
                member_id: old_id.to_string(),
                answer: JoinAnswer::error(ErrorCode::FENCED_INSTANCE_ID, old_id),
            });
        }
        if member.awaiting_sync {
            self.completions.push(Completion::Sync {
                member_id: old_id.to_string(),
                answer: SyncAnswer::error(ErrorCode::FENCED_INSTANCE_ID),
            });
        }
        let protocols_unchanged = member.protocols == req.protocols;
        member.member_id = new_id.clone();
        member.client_id = req.client_id.clone();
        member.client_host = req.client_host.clone();
        member.session_timeout_ms = req.session_timeout_ms;
        member.rebalance_timeout_ms = rebalance_timeout(&req);
        member.awaiting_sync = false;
        member.awaiting_join = false;
        member.heartbeat_deadline = now_ms.saturating_add(i64::from(req.session_timeout_ms));
        if let Some(instance) = &req.group_instance_id {
            self.static_members.insert(instance.clone(), new_id.clone());
        }
        if self.leader.as_deref() == Some(old_id) {
            self.leader = Some(new_id.clone());
        }
        if self.state == GroupState::Stable && protocols_unchanged {
            // Kafka keeps the generation: the member gets its old assignment with SyncGroup.
            self.members.insert(new_id.clone(), member);
            self.dirty = true;
            return Reply::Now(JoinAnswer {
                error: ErrorCode::NONE,
                generation_id: self.generation,
                protocol_type: self.protocol_type.clone(),
                protocol_name: self.protocol_name.clone(),
                leader: self.leader.clone().unwrap_or_default(),
                member_id: new_id,
                members: Vec::new(),
            });
        }
        member.protocols = req.protocols;
        member.awaiting_join = true;
        self.members.insert(new_id.clone(), member);
        self.rebalance_or_complete(now_ms);
        Reply::Later(new_id)
    }

    fn add_member_and_rebalance(
        &mut self,
        member_id: String,
        req: JoinRequest,
        now_ms: i64,
    ) -> Reply<JoinAnswer> {
        if self.members.is_empty() {
            self.protocol_type = Some(req.protocol_type.clone());
        }
        if let Some(instance) = &req.group_instance_id {
            self.static_members
                .insert(instance.clone(), member_id.clone());
        }
        let member = Member {
            member_id: member_id.clone(),
            group_instance_id: req.group_instance_id.clone(),
            client_id: req.client_id.clone(),
            client_host: req.client_host.clone(),
            rebalance_timeout_ms: rebalance_timeout(&req),
            session_timeout_ms: req.session_timeout_ms,
            protocols: req.protocols,
            assignment: Bytes::new(),
            awaiting_join: true,
            awaiting_sync: false,
            heartbeat_deadline: now_ms.saturating_add(i64::from(req.session_timeout_ms)),
        };
        self.members.insert(member_id.clone(), member);
        if let Some(until) = self.initial_delay_until {
            // A new member during the initial delay pushes it back (within the limit).
            let extended = until
                .max(now_ms)
                .saturating_add(i64::from(self.config.initial_rebalance_delay_ms));
            self.initial_delay_until = Some(extended.min(self.initial_delay_limit));
        }
        self.rebalance_or_complete(now_ms);
        Reply::Later(member_id)
    }

    fn join_known(&mut self, req: JoinRequest, now_ms: i64) -> Reply<JoinAnswer> {
        let id = req.member_id.clone();
        if self.pending_members.remove(&id).is_some() {
            return self.add_member_and_rebalance(id, req, now_ms);
        }
        if let Err(e) = self.check_member(&id, req.group_instance_id.as_deref()) {
            return Reply::Now(JoinAnswer::error(e, &id));
        }
        let is_leader = self.leader.as_deref() == Some(id.as_str());
        let Some(member) = self.members.get_mut(&id) else {
            return Reply::Now(JoinAnswer::error(ErrorCode::UNKNOWN_MEMBER_ID, &id));
        };
        let unchanged = member.protocols == req.protocols;
        member.client_id = req.client_id.clone();
        member.client_host = req.client_host.clone();
        member.session_timeout_ms = req.session_timeout_ms;
        member.rebalance_timeout_ms = rebalance_timeout(&req);
        member.heartbeat_deadline = now_ms.saturating_add(i64::from(req.session_timeout_ms));
        match self.state {
            GroupState::PreparingRebalance => {
                member.protocols = req.protocols;
                member.awaiting_join = true;
                self.try_complete_join(now_ms);
                Reply::Later(id)
            }
            GroupState::CompletingRebalance | GroupState::Stable
                if unchanged && (self.state == GroupState::CompletingRebalance || !is_leader) =>
            {
                // Nothing changed: the member gets the current generation again.
                let members = if is_leader && self.state == GroupState::CompletingRebalance {
                    self.leader_member_list()
                } else {
                    Vec::new()
                };
                Reply::Now(JoinAnswer {
                    error: ErrorCode::NONE,
                    generation_id: self.generation,
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: self.protocol_name.clone(),
                    leader: self.leader.clone().unwrap_or_default(),
                    member_id: id,
                    members,
                })
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                member.protocols = req.protocols;
                member.awaiting_join = true;
                self.prepare_rebalance(now_ms);
                Reply::Later(id)
            }
            GroupState::Empty | GroupState::Dead => {
                Reply::Now(JoinAnswer::error(ErrorCode::UNKNOWN_MEMBER_ID, &id))
            }
        }
    }

    /// Kafka's member checks: a static member whose instance id now maps to another member
    /// id is fenced; an unknown member id is UNKNOWN_MEMBER_ID.
    fn check_member(&self, member_id: &str, instance: Option<&str>) -> Result<(), ErrorCode> {
        if let Some(instance) = instance
            && let Some(current) = self.static_members.get(instance)
            && current != member_id
        {
            return Err(ErrorCode::FENCED_INSTANCE_ID);
        }
        if !self.members.contains_key(member_id) {
            return Err(ErrorCode::UNKNOWN_MEMBER_ID);
        }
        Ok(())
    }

    fn leader_member_list(&self) -> Vec<(String, Option<String>, Bytes)> {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        self.members
            .values()
            .map(|m| {
                (
                    m.member_id.clone(),
                    m.group_instance_id.clone(),
                    m.metadata(&protocol),
                )
            })
            .collect()
    }

    /// Starts a rebalance when the group is not already in one, else checks whether the
    /// running one can complete.
    fn rebalance_or_complete(&mut self, now_ms: i64) {
        if self.state == GroupState::PreparingRebalance {
            self.try_complete_join(now_ms);
        } else {
            self.prepare_rebalance(now_ms);
        }
    }

    /// Kafka's `prepareRebalance`: waiting SyncGroups are told to rejoin; an empty group
    /// waits `group.initial.rebalance.delay.ms` for more members.
    fn prepare_rebalance(&mut self, now_ms: i64) {
        if self.state == GroupState::CompletingRebalance {
            self.fail_waiting_syncs(ErrorCode::REBALANCE_IN_PROGRESS);
        }
        let was_empty = self.state == GroupState::Empty;
        self.transition(GroupState::PreparingRebalance, now_ms);
        let timeout = self.max_rebalance_timeout();
        self.rebalance_deadline = now_ms.saturating_add(timeout);
        if was_empty && self.config.initial_rebalance_delay_ms > 0 {
            let delay = i64::from(self.config.initial_rebalance_delay_ms).min(timeout);
            self.initial_delay_until = Some(now_ms.saturating_add(delay));
            self.initial_delay_limit = self.rebalance_deadline;
        } else {
            self.initial_delay_until = None;
        }
        self.try_complete_join(now_ms);
    }

    fn fail_waiting_syncs(&mut self, error: ErrorCode) {
        for m in self.members.values_mut() {
            if std::mem::take(&mut m.awaiting_sync) {
                self.completions.push(Completion::Sync {
                    member_id: m.member_id.clone(),
                    answer: SyncAnswer::error(error),
                });
            }
        }
    }

    /// Completes the join phase when every member rejoined and no new member id is still
    /// pending (and no initial delay runs), or when the rebalance deadline passed.
    fn try_complete_join(&mut self, now_ms: i64) {
        if self.state != GroupState::PreparingRebalance {
            return;
        }
        if let Some(until) = self.initial_delay_until {
            if now_ms < until {
                return;
            }
            self.initial_delay_until = None;
        }
        let all_joined = self.members.values().all(|m| m.awaiting_join);
        if (all_joined && self.pending_members.is_empty()) || now_ms >= self.rebalance_deadline {
            self.complete_join(now_ms);
        }
    }

    /// Kafka's `onCompleteJoin`: members that did not rejoin are dropped (static ones are
    /// kept), then a new generation starts, or the group becomes empty.
    fn complete_join(&mut self, now_ms: i64) {
        let gone: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.awaiting_join && m.group_instance_id.is_none())
            .map(|m| m.member_id.clone())
            .collect();
        for id in gone {
            self.members.remove(&id);
        }
        if self
            .leader
            .as_ref()
            .is_some_and(|l| !self.members.get(l).is_some_and(|m| m.awaiting_join))
        {
            self.leader = None;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.members.is_empty() {
            self.protocol_name = None;
            self.leader = None;
            self.transition(GroupState::Empty, now_ms);
            self.dirty = true;
            return;
        }
        self.protocol_name = self.select_protocol();
        if self.leader.is_none() {
            self.leader = self
                .members
                .values()
                .find(|m| m.awaiting_join)
                .or_else(|| self.members.values().next())
                .map(|m| m.member_id.clone());
        }
        self.transition(GroupState::CompletingRebalance, now_ms);
        let leader = self.leader.clone().unwrap_or_default();
        let all = self.leader_member_list();
        let mut done = Vec::new();
        for m in self.members.values_mut() {
            m.assignment = Bytes::new();
            m.heartbeat_deadline = now_ms.saturating_add(i64::from(m.session_timeout_ms));
            if std::mem::take(&mut m.awaiting_join) {
                done.push(Completion::Join {
                    member_id: m.member_id.clone(),
                    answer: JoinAnswer {
                        error: ErrorCode::NONE,
                        generation_id: self.generation,
                        protocol_type: self.protocol_type.clone(),
                        protocol_name: self.protocol_name.clone(),
                        leader: leader.clone(),
                        member_id: m.member_id.clone(),
                        members: if m.member_id == leader {
                            all.clone()
                        } else {
                            Vec::new()
                        },
                    },
                });
            }
        }
        self.completions.extend(done);
    }

    /// Handles a SyncGroup (the assignments count only from the leader).
    pub fn sync(&mut self, req: SyncRequest, now_ms: i64) -> Reply<SyncAnswer> {
        let SyncRequest {
            member_id,
            group_instance_id,
            generation_id,
            protocol_type,
            protocol_name,
            assignments,
        } = req;
        let member_id = member_id.as_str();
        let group_instance_id = group_instance_id.as_deref();
        let protocol_type = protocol_type.as_deref();
        let protocol_name = protocol_name.as_deref();
        let err = |e| Reply::Now(SyncAnswer::error(e));
        if self.state == GroupState::Dead {
            return err(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        }
        if let Err(e) = self.check_member(member_id, group_instance_id) {
            return err(e);
        }
        if generation_id != self.generation {
            return err(ErrorCode::ILLEGAL_GENERATION);
        }
        if protocol_type.is_some_and(|t| Some(t) != self.protocol_type.as_deref())
            || protocol_name.is_some_and(|n| Some(n) != self.protocol_name.as_deref())
        {
            return err(ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
        }
        match self.state {
            GroupState::Empty | GroupState::Dead => err(ErrorCode::UNKNOWN_MEMBER_ID),
            GroupState::PreparingRebalance => err(ErrorCode::REBALANCE_IN_PROGRESS),
            GroupState::CompletingRebalance => {
                if let Some(m) = self.members.get_mut(member_id) {
                    m.awaiting_sync = true;
                    m.heartbeat_deadline = now_ms.saturating_add(i64::from(m.session_timeout_ms));
                }
                if self.leader.as_deref() == Some(member_id) {
                    let mut given: HashMap<String, Bytes> = assignments.into_iter().collect();
                    for m in self.members.values_mut() {
                        m.assignment = given.remove(&m.member_id).unwrap_or_default();
                    }
                    self.transition(GroupState::Stable, now_ms);
                    self.dirty = true;
                    let mut done = Vec::new();
                    for m in self.members.values_mut() {
                        if std::mem::take(&mut m.awaiting_sync) {
                            done.push(Completion::Sync {
                                member_id: m.member_id.clone(),
                                answer: SyncAnswer {
                                    error: ErrorCode::NONE,
                                    protocol_type: self.protocol_type.clone(),
                                    protocol_name: self.protocol_name.clone(),
                                    assignment: m.assignment.clone(),
                                },
                            });
                        }
                    }
                    self.completions.extend(done);
                }
                Reply::Later(member_id.to_string())
            }
            GroupState::Stable => {
                let Some(m) = self.members.get_mut(member_id) else {
                    return err(ErrorCode::UNKNOWN_MEMBER_ID);
                };
                m.heartbeat_deadline = now_ms.saturating_add(i64::from(m.session_timeout_ms));
                Reply::Now(SyncAnswer {
                    error: ErrorCode::NONE,
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: self.protocol_name.clone(),
                    assignment: m.assignment.clone(),
                })
            }
        }
    }

    /// The group's metadata could not be stored: the assignment of this generation is
    /// withdrawn and the group rebalances (Kafka's `resetAndPropagateAssignmentError` then
    /// `maybePrepareRebalance`).
    pub fn store_failed(&mut self, now_ms: i64) {
        if matches!(
            self.state,
            GroupState::Stable | GroupState::CompletingRebalance
        ) {
            for m in self.members.values_mut() {
                m.assignment = Bytes::new();
            }
            self.prepare_rebalance(now_ms);
        }
    }

    /// Handles a Heartbeat: refreshes the member's session; tells it to rejoin during a
    /// rebalance.
    pub fn heartbeat(
        &mut self,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
        now_ms: i64,
    ) -> ErrorCode {
        if self.state == GroupState::Dead {
            return ErrorCode::COORDINATOR_NOT_AVAILABLE;
        }
        if let Err(e) = self.check_member(member_id, group_instance_id) {
            return e;
        }
        if generation_id != self.generation {
            return ErrorCode::ILLEGAL_GENERATION;
        }
        let state = self.state;
        let Some(m) = self.members.get_mut(member_id) else {
            return ErrorCode::UNKNOWN_MEMBER_ID;
        };
        match state {
            GroupState::Empty | GroupState::Dead => ErrorCode::UNKNOWN_MEMBER_ID,
            GroupState::PreparingRebalance => {
                m.heartbeat_deadline = now_ms.saturating_add(i64::from(m.session_timeout_ms));
                ErrorCode::REBALANCE_IN_PROGRESS
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                m.heartbeat_deadline = now_ms.saturating_add(i64::from(m.session_timeout_ms));
                ErrorCode::NONE
            }
        }
    }

    /// Handles a LeaveGroup: one code per leaving member, in order.
    pub fn leave(&mut self, leaving: &[LeavingMember], now_ms: i64) -> Vec<ErrorCode> {
        let mut codes = Vec::with_capacity(leaving.len());
        for l in leaving {
            let code = self.leave_one(l, now_ms);
            codes.push(code);
        }
        codes
    }

    fn leave_one(&mut self, l: &LeavingMember, now_ms: i64) -> ErrorCode {
        if self.state == GroupState::Dead {
            return ErrorCode::COORDINATOR_NOT_AVAILABLE;
        }
        let id = match &l.group_instance_id {
            Some(instance) => match self.static_members.get(instance) {
                None => return ErrorCode::UNKNOWN_MEMBER_ID,
                // Kafka: an instance leaving under another member id is fenced (an empty
                // member id means "whatever id it has", as the admin client sends).
                Some(current) if !l.member_id.is_empty() && *current != l.member_id => {
                    return ErrorCode::FENCED_INSTANCE_ID;
                }
                Some(current) => current.clone(),
            },
            None => l.member_id.clone(),
        };
        if self.pending_members.remove(&id).is_some() {
            self.try_complete_join(now_ms);
            return ErrorCode::NONE;
        }
        if !self.members.contains_key(&id) {
            return ErrorCode::UNKNOWN_MEMBER_ID;
        }
        self.remove_member(&id, now_ms);
        ErrorCode::NONE
    }

    /// Removes a member (left or expired) and rebalances what remains.
    fn remove_member(&mut self, id: &str, now_ms: i64) {
        let Some(m) = self.members.remove(id) else {
            return;
        };
        if let Some(instance) = &m.group_instance_id {
            self.static_members.remove(instance);
        }
        if m.awaiting_join {
            self.completions.push(Completion::Join {
                member_id: id.to_string(),
                answer: JoinAnswer::error(ErrorCode::UNKNOWN_MEMBER_ID, id),
            });
        }
        if m.awaiting_sync {
            self.completions.push(Completion::Sync {
                member_id: id.to_string(),
                answer: SyncAnswer::error(ErrorCode::UNKNOWN_MEMBER_ID),
            });
        }
        if self.leader.as_deref() == Some(id) {
            self.leader = None;
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => self.prepare_rebalance(now_ms),
            GroupState::PreparingRebalance => self.try_complete_join(now_ms),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    /// Time passes: expired sessions and member-id reservations are dropped, a rebalance
    /// whose deadline (or initial delay) passed completes.
    pub fn tick(&mut self, now_ms: i64) {
        self.pending_members
            .retain(|_, deadline| *deadline > now_ms);
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.awaiting_join && !m.awaiting_sync && m.heartbeat_deadline <= now_ms)
            .map(|m| m.member_id.clone())
            .collect();
        for id in expired {
            tracing::info!(group = %self.id, member = %id, "member session expired");
            self.remove_member(&id, now_ms);
        }
        self.try_complete_join(now_ms);
    }

    /// Kafka's checks before committing offsets for a member. A commit with generation -1
    /// and no member (an admin or simple consumer) is allowed only while the group has no
    /// members.
    pub fn check_commit(
        &self,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
    ) -> Result<(), ErrorCode> {
        if self.state == GroupState::Dead {
            return Err(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        }
        if generation_id < 0 && member_id.is_empty() && group_instance_id.is_none() {
            return if self.state == GroupState::Empty {
                Ok(())
            } else {
                Err(ErrorCode::UNKNOWN_MEMBER_ID)
            };
        }
        self.check_member(member_id, group_instance_id)?;
        if generation_id != self.generation {
            return Err(ErrorCode::ILLEGAL_GENERATION);
        }
        if self.state == GroupState::CompletingRebalance {
            return Err(ErrorCode::REBALANCE_IN_PROGRESS);
        }
        Ok(())
    }

    /// A commit the caller validated and stored, or one replayed from the log.
    pub fn put_offset(&mut self, topic: String, partition: i32, offset: CommittedOffset) {
        self.offsets.insert((topic, partition), offset);
    }

    /// Forgets a committed offset (OffsetDelete, or a tombstone on replay).
    pub fn remove_offset(&mut self, topic: &str, partition: i32) -> bool {
        self.offsets
            .remove(&(topic.to_string(), partition))
            .is_some()
    }

    /// Topics the members subscribe to, decoded from their `consumer` protocol metadata;
    /// `None` for other protocol types (their subscriptions are opaque).
    pub fn subscribed_topics(&self) -> Option<std::collections::BTreeSet<String>> {
        if self.protocol_type.as_deref() != Some("consumer") {
            return None;
        }
        let protocol = self.protocol_name.clone().unwrap_or_default();
        let mut out = std::collections::BTreeSet::new();
        for m in self.members.values() {
            let meta = m.metadata(&protocol);
            let mut d = crate::protocol::codec::Decoder::new(meta);
            let Ok(version) = d.i16() else { continue };
            let version = version.clamp(0, 3);
            if let Ok(s) =
                crate::protocol::messages::ConsumerProtocolSubscription::decode(&mut d, version)
            {
                out.extend(s.topics);
            }
        }
        Some(out)
    }

    /// Kafka's offset expiry (`offsets.retention.minutes`, KIP-211): an offset with an explicit
    /// expiry (OffsetCommit v1-v4) goes at that time; otherwise the offsets of an empty group
    /// go `retention_ms` after it became empty (after their commit for a group that never had
    /// members), and a `consumer` group with members keeps the offsets of the topics it
    /// subscribes to, the others going `retention_ms` after their commit. An empty group left
    /// without offsets is then dead. Returns the removed partitions.
    pub fn expire_offsets(&mut self, now_ms: i64, retention_ms: i64) -> Vec<(String, i32)> {
        let subscribed = match self.state {
            GroupState::Empty => Some(std::collections::BTreeSet::new()),
            GroupState::Dead => return Vec::new(),
            _ => self.subscribed_topics(),
        };
        let Some(subscribed) = subscribed else {
            return Vec::new();
        };
        let empty_since = (self.state == GroupState::Empty && self.protocol_type.is_some())
            .then_some(self.state_timestamp);
        let expired: Vec<(String, i32)> = self
            .offsets
            .iter()
            .filter(|((topic, _), o)| {
                if o.expire_timestamp >= 0 {
                    return now_ms >= o.expire_timestamp;
                }
                if subscribed.contains(topic) {
                    return false;
                }
                let base = empty_since.unwrap_or(o.commit_timestamp);
                now_ms >= base.saturating_add(retention_ms)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in &expired {
            self.offsets.remove(k);
        }
        if self.state == GroupState::Empty && self.offsets.is_empty() && !expired.is_empty() {
            self.transition(GroupState::Dead, now_ms);
        }
        expired
    }

    /// Marks the group deleted (DeleteGroups); only an empty group may be.
    pub fn delete(&mut self, now_ms: i64) -> Result<(), ErrorCode> {
        match self.state {
            GroupState::Dead => Err(ErrorCode::GROUP_ID_NOT_FOUND),
            GroupState::Empty => {
                self.transition(GroupState::Dead, now_ms);
                self.offsets.clear();
                Ok(())
            }
            _ => Err(ErrorCode::NON_EMPTY_GROUP),
        }
    }

    /// Restores a group from its stored metadata (replay): members come back as a stable
    /// generation whose sessions start now, so live clients keep going with heartbeats.
    pub fn restore(&mut self, stored: StoredGroup, now_ms: i64) {
        self.protocol_type = (!stored.protocol_type.is_empty()).then_some(stored.protocol_type);
        self.generation = stored.generation;
        self.protocol_name = stored.protocol_name;
        self.leader = stored.leader;
        self.members.clear();
        self.static_members.clear();
        for m in stored.members {
            if let Some(instance) = &m.group_instance_id {
                self.static_members
                    .insert(instance.clone(), m.member_id.clone());
            }
            let protocol = self.protocol_name.clone().unwrap_or_default();
            self.members.insert(
                m.member_id.clone(),
                Member {
                    member_id: m.member_id,
                    group_instance_id: m.group_instance_id,
                    client_id: m.client_id,
                    client_host: m.client_host,
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    session_timeout_ms: m.session_timeout_ms,
                    protocols: vec![(protocol, m.subscription)],
                    assignment: m.assignment,
                    awaiting_join: false,
                    awaiting_sync: false,
                    heartbeat_deadline: now_ms.saturating_add(i64::from(m.session_timeout_ms)),
                },
            );
        }
        let state = if self.members.is_empty() {
            GroupState::Empty
        } else {
            GroupState::Stable
        };
        self.state = state;
        self.state_timestamp = if stored.state_timestamp > 0 {
            stored.state_timestamp
        } else {
            now_ms
        };
    }

    /// What `__consumer_offsets` stores of this group.
    pub fn stored(&self) -> StoredGroup {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        StoredGroup {
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            generation: self.generation,
            protocol_name: self.protocol_name.clone(),
            leader: self.leader.clone(),
            state_timestamp: self.state_timestamp,
            members: self
                .members
                .values()
                .map(|m| StoredMember {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    session_timeout_ms: m.session_timeout_ms,
                    subscription: m.metadata(&protocol),
                    assignment: m.assignment.clone(),
                })
                .collect(),
        }
    }
}

/// A group's stored metadata (GroupMetadataValue's content).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredGroup {
    pub protocol_type: String,
    pub generation: i32,
    pub protocol_name: Option<String>,
    pub leader: Option<String>,
    pub state_timestamp: i64,
    pub members: Vec<StoredMember>,
}

/// One member in a [`StoredGroup`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    pub subscription: Bytes,
    pub assignment: Bytes,
}

/// JoinGroup v0 has no rebalance timeout: the session timeout serves.
fn rebalance_timeout(req: &JoinRequest) -> i32 {
    if req.rebalance_timeout_ms < 0 {
        req.session_timeout_ms
    } else {
        req.rebalance_timeout_ms
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
