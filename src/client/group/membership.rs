//! A group member's state machine (classic protocol): Unjoined -> Joining -> Syncing ->
//! Stable, the member id, the generation and what each coordinator error means for them.
//! Pure: answers go in as error codes and fields, decisions come out as [`Step`]s; the
//! heartbeat schedule ([`HeartbeatTimer`]) takes time in milliseconds as a parameter.
//!
//! Error rules (Kafka's consumer coordinator): MEMBER_ID_REQUIRED hands out the member id
//! to join with; UNKNOWN_MEMBER_ID forgets member id and generation; ILLEGAL_GENERATION
//! forgets the generation (both mean the partitions are lost: no commit before rejoining);
//! REBALANCE_IN_PROGRESS keeps both (the member may commit, then rejoins); NOT_COORDINATOR
//! and COORDINATOR_NOT_AVAILABLE send the member to find the coordinator again.

use crate::protocol::error_code::ErrorCode;

/// Where the member is in the join protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// Not in a generation (start, after an error, after leaving).
    Unjoined,
    /// JoinGroup sent, waiting for the answer.
    Joining,
    /// JoinGroup answered, SyncGroup sent.
    Syncing,
    /// Assignment received; heartbeating.
    Stable,
}

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing changes (a good heartbeat, a retriable heartbeat error).
    Continue,
    /// Send JoinGroup (again) now.
    Join,
    /// Wait `retry.backoff.ms`, then join again.
    Backoff,
    /// Joined: send SyncGroup, with assignments when `leader`.
    Sync { leader: bool },
    /// Synced: apply the assignment and start heartbeating.
    Stable,
    /// Rediscover the coordinator (FindCoordinator), then carry on.
    CoordinatorLost,
    /// An error the member cannot recover from.
    Fatal(ErrorCode),
}

/// The fields of a JoinGroup answer the state machine needs.
#[derive(Debug, Clone, Copy)]
pub struct JoinAnswer<'a> {
    pub error: ErrorCode,
    pub generation: i32,
    pub member_id: &'a str,
    pub leader: &'a str,
    pub protocol_name: Option<&'a str>,
}

/// Kafka's "no generation".
pub const NO_GENERATION: i32 = -1;

/// One member's view of its group.
#[derive(Debug, Clone)]
pub struct Membership {
    state: MemberState,
    member_id: String,
    generation: i32,
    protocol: Option<String>,
    leader_id: String,
    /// Why a rejoin was asked while Stable (heartbeat said so, subscription changed...).
    rejoin: Option<String>,
}

impl Default for Membership {
    fn default() -> Self {
        Self::new()
    }
}

impl Membership {
    pub fn new() -> Self {
        Membership {
            state: MemberState::Unjoined,
            member_id: String::new(),
            generation: NO_GENERATION,
            protocol: None,
            leader_id: String::new(),
            rejoin: None,
        }
    }

    pub fn state(&self) -> MemberState {
        self.state
    }

    /// The member id ("" before the coordinator gave one).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// The protocol (assignor name) the coordinator chose for this generation.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    pub fn is_leader(&self) -> bool {
        !self.member_id.is_empty() && self.member_id == self.leader_id
    }

    pub fn is_stable(&self) -> bool {
        self.state == MemberState::Stable && self.rejoin.is_none()
    }

    /// Whether a JoinGroup must be sent before consuming further.
    pub fn needs_join(&self) -> bool {
        self.state == MemberState::Unjoined || self.rejoin.is_some()
    }

    /// The rejoin reason, if one was asked.
    pub fn rejoin_reason(&self) -> Option<&str> {
        self.rejoin.as_deref()
    }

    /// Asks for a rejoin at the next poll (keeps member id and generation).
    pub fn request_rejoin(&mut self, reason: &str) {
        if self.rejoin.is_none() {
            self.rejoin = Some(reason.to_string());
        }
    }

    /// Whether offsets may be committed: the member is in a known generation. False after
    /// UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION (its partitions are lost, not revoked).
    pub fn can_commit(&self) -> bool {
        self.generation != NO_GENERATION && !self.member_id.is_empty()
    }

    /// Marks the JoinGroup as sent.
    pub fn begin_join(&mut self) {
        self.state = MemberState::Joining;
        self.rejoin = None;
    }

    fn forget_member(&mut self) {
        self.member_id.clear();
        self.generation = NO_GENERATION;
        self.leader_id.clear();
        self.protocol = None;
    }

    /// Common handling of the errors every group API shares; `None` when not one of them.
    fn common(&mut self, error: ErrorCode) -> Option<Step> {
        match error {
            ErrorCode::COORDINATOR_NOT_AVAILABLE | ErrorCode::NOT_COORDINATOR => {
                Some(Step::CoordinatorLost)
            }
            ErrorCode::UNKNOWN_MEMBER_ID => {
                self.forget_member();
                Some(Step::Join)
            }
            ErrorCode::ILLEGAL_GENERATION => {
                self.generation = NO_GENERATION;
                Some(Step::Join)
            }
            ErrorCode::COORDINATOR_LOAD_IN_PROGRESS => Some(Step::Backoff),
            ErrorCode::FENCED_INSTANCE_ID => Some(Step::Fatal(error)),
            _ => None,
        }
    }

    /// Takes JoinGroup's answer.
    pub fn on_join(&mut self, a: JoinAnswer<'_>) -> Step {
        if a.error == ErrorCode::NONE {
            self.member_id = a.member_id.to_string();
            self.generation = a.generation;
            self.leader_id = a.leader.to_string();
            self.protocol = a.protocol_name.map(str::to_string);
            self.state = MemberState::Syncing;
            return Step::Sync {
                leader: self.is_leader(),
            };
        }
        self.state = MemberState::Unjoined;
        if a.error == ErrorCode::MEMBER_ID_REQUIRED {
            self.member_id = a.member_id.to_string();
            return Step::Join;
        }
        if let Some(step) = self.common(a.error) {
            return step;
        }
        match a.error {
            ErrorCode::REBALANCE_IN_PROGRESS => Step::Backoff,
            e if e.is_retriable() => Step::Backoff,
            e => Step::Fatal(e),
        }
    }

    /// Takes SyncGroup's answer.
    pub fn on_sync(&mut self, error: ErrorCode) -> Step {
        if error == ErrorCode::NONE {
            if self.state == MemberState::Syncing {
                self.state = MemberState::Stable;
                return Step::Stable;
            }
            // An answer for a join that was abandoned meanwhile: join again.
            return Step::Join;
        }
        self.state = MemberState::Unjoined;
        if let Some(step) = self.common(error) {
            return step;
        }
        match error {
            ErrorCode::REBALANCE_IN_PROGRESS => Step::Join,
            e if e.is_retriable() => Step::Backoff,
            e => Step::Fatal(e),
        }
    }

    /// Takes a Heartbeat answer (while Stable).
    pub fn on_heartbeat(&mut self, error: ErrorCode) -> Step {
        if error == ErrorCode::NONE {
            return Step::Continue;
        }
        if error == ErrorCode::REBALANCE_IN_PROGRESS {
            self.request_rejoin("the group is rebalancing");
            return Step::Join;
        }
        if let Some(step) = self.common(error) {
            if step == Step::Join {
                self.state = MemberState::Unjoined;
            }
            // Loading coordinator: heartbeat again later.
            return if step == Step::Backoff {
                Step::Continue
            } else {
                step
            };
        }
        if error.is_retriable() {
            Step::Continue
        } else {
            Step::Fatal(error)
        }
    }

    /// Takes an OffsetCommit error (group-level meaning).
    pub fn on_commit_error(&mut self, error: ErrorCode) -> Step {
        match error {
            ErrorCode::NONE => Step::Continue,
            ErrorCode::REBALANCE_IN_PROGRESS => {
                self.request_rejoin("commit during a rebalance");
                Step::Join
            }
            e => match self.common(e) {
                Some(Step::Join) => {
                    self.state = MemberState::Unjoined;
                    Step::Join
                }
                Some(Step::Backoff) => Step::Continue,
                Some(step) => step,
                None if e.is_retriable() => Step::Continue,
                None => Step::Fatal(e),
            },
        }
    }

    /// The coordinator went away: a join or sync in progress is abandoned (the member joins
    /// again once the coordinator is found); a stable member stays in its generation.
    pub fn coordinator_lost(&mut self) {
        if matches!(self.state, MemberState::Joining | MemberState::Syncing) {
            self.state = MemberState::Unjoined;
        }
    }

    /// Leaves: the member id to name in LeaveGroup (if any), and the state is reset.
    pub fn leave(&mut self) -> Option<String> {
        let id = (!self.member_id.is_empty()).then(|| self.member_id.clone());
        self.forget_member();
        self.state = MemberState::Unjoined;
        self.rejoin = None;
        id
    }
}

/// When heartbeats are due and whether the session has run out; times in milliseconds on
/// the caller's monotonic clock.
#[derive(Debug, Clone)]
pub struct HeartbeatTimer {
    /// `heartbeat.interval.ms`.
    pub interval_ms: u64,
    /// `session.timeout.ms`.
    pub session_ms: u64,
    last_sent: u64,
    last_ok: u64,
}

impl HeartbeatTimer {
    /// A timer whose session starts at `now` (the join completed then); the first
    /// heartbeat is due one interval later.
    pub fn new(interval_ms: u64, session_ms: u64, now: u64) -> Self {
        HeartbeatTimer {
            interval_ms,
            session_ms,
            last_sent: now,
            last_ok: now,
        }
    }

    /// When the next heartbeat should go out.
    pub fn next_due(&self) -> u64 {
        self.last_sent.saturating_add(self.interval_ms)
    }

    pub fn sent(&mut self, now: u64) {
        self.last_sent = now;
    }

    pub fn answered(&mut self, now: u64) {
        self.last_ok = now;
    }

    /// No successful heartbeat for a whole session: the coordinator has surely dropped us,
    /// so it is treated as unreachable.
    pub fn session_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.last_ok) >= self.session_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join<'a>(
        error: ErrorCode,
        member: &'a str,
        leader: &'a str,
        generation: i32,
    ) -> JoinAnswer<'a> {
        JoinAnswer {
            error,
            generation,
            member_id: member,
            leader,
            protocol_name: Some("range"),
        }
    }

    #[test]
    fn member_id_required_then_join_then_sync_is_stable() {
        let mut m = Membership::new();
        assert!(m.needs_join());
        m.begin_join();
        assert_eq!(m.state(), MemberState::Joining);
        assert_eq!(
            m.on_join(join(ErrorCode::MEMBER_ID_REQUIRED, "c-1", "", -1)),
            Step::Join
        );
        assert_eq!(m.member_id(), "c-1");
        m.begin_join();
        assert_eq!(
            m.on_join(join(ErrorCode::NONE, "c-1", "c-1", 3)),
            Step::Sync { leader: true }
        );
        assert_eq!(
            (m.state(), m.generation(), m.protocol()),
            (MemberState::Syncing, 3, Some("range"))
        );
        assert_eq!(m.on_sync(ErrorCode::NONE), Step::Stable);
        assert!(m.is_stable() && !m.needs_join() && m.can_commit());
    }

    #[test]
    fn follower_is_told_to_sync_without_assignments() {
        let mut m = Membership::new();
        m.begin_join();
        assert_eq!(
            m.on_join(join(ErrorCode::NONE, "b", "a", 1)),
            Step::Sync { leader: false }
        );
        assert!(!m.is_leader());
    }

    fn stable() -> Membership {
        let mut m = Membership::new();
        m.begin_join();
        m.on_join(join(ErrorCode::NONE, "m", "m", 5));
        m.on_sync(ErrorCode::NONE);
        m
    }

    #[test]
    fn rebalance_in_progress_keeps_generation_and_allows_commit() {
        let mut m = stable();
        assert_eq!(m.on_heartbeat(ErrorCode::REBALANCE_IN_PROGRESS), Step::Join);
        assert!(m.needs_join() && m.can_commit());
        assert_eq!((m.member_id(), m.generation()), ("m", 5));
        m.begin_join();
        assert!(m.rejoin_reason().is_none());
    }

    #[test]
    fn unknown_member_forgets_everything_and_loses_partitions() {
        let mut m = stable();
        assert_eq!(m.on_heartbeat(ErrorCode::UNKNOWN_MEMBER_ID), Step::Join);
        assert_eq!((m.member_id(), m.generation()), ("", NO_GENERATION));
        assert!(m.needs_join() && !m.can_commit());
    }

    #[test]
    fn illegal_generation_keeps_member_id() {
        let mut m = stable();
        assert_eq!(m.on_heartbeat(ErrorCode::ILLEGAL_GENERATION), Step::Join);
        assert_eq!((m.member_id(), m.generation()), ("m", NO_GENERATION));
        assert!(!m.can_commit());
        let mut s = stable();
        s.begin_join();
        s.on_join(join(ErrorCode::NONE, "m", "x", 6));
        assert_eq!(s.on_sync(ErrorCode::ILLEGAL_GENERATION), Step::Join);
        assert_eq!(s.state(), MemberState::Unjoined);
    }

    #[test]
    fn coordinator_errors_send_to_rediscovery() {
        let mut m = stable();
        assert_eq!(
            m.on_heartbeat(ErrorCode::NOT_COORDINATOR),
            Step::CoordinatorLost
        );
        m.coordinator_lost();
        // A stable member stays in its generation while the coordinator is found again.
        assert!(m.is_stable());
        let mut j = Membership::new();
        j.begin_join();
        assert_eq!(
            j.on_join(join(ErrorCode::COORDINATOR_NOT_AVAILABLE, "", "", -1)),
            Step::CoordinatorLost
        );
        assert!(j.needs_join());
        let mut s = Membership::new();
        s.begin_join();
        s.on_join(join(ErrorCode::NONE, "a", "a", 1));
        s.coordinator_lost();
        assert_eq!(s.state(), MemberState::Unjoined);
        // The late answer of the abandoned sync does not make it stable.
        assert_eq!(s.on_sync(ErrorCode::NONE), Step::Join);
    }

    #[test]
    fn fatal_and_retriable_errors() {
        let mut m = Membership::new();
        m.begin_join();
        assert_eq!(
            m.on_join(join(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, "", "", -1)),
            Step::Fatal(ErrorCode::INCONSISTENT_GROUP_PROTOCOL)
        );
        m.begin_join();
        assert_eq!(
            m.on_join(join(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS, "", "", -1)),
            Step::Backoff
        );
        let mut s = stable();
        assert_eq!(s.on_heartbeat(ErrorCode::REQUEST_TIMED_OUT), Step::Continue);
        assert_eq!(
            s.on_heartbeat(ErrorCode::FENCED_INSTANCE_ID),
            Step::Fatal(ErrorCode::FENCED_INSTANCE_ID)
        );
        assert_eq!(
            s.on_commit_error(ErrorCode::REBALANCE_IN_PROGRESS),
            Step::Join
        );
        let mut t = stable();
        assert_eq!(t.on_commit_error(ErrorCode::UNKNOWN_MEMBER_ID), Step::Join);
        assert!(!t.can_commit());
    }

    #[test]
    fn leave_names_the_member_once() {
        let mut m = stable();
        assert_eq!(m.leave().as_deref(), Some("m"));
        assert_eq!(m.leave(), None);
        assert!(m.needs_join());
    }

    #[test]
    fn heartbeat_timer_schedules_and_expires() {
        let mut t = HeartbeatTimer::new(3000, 10_000, 1000);
        assert_eq!(t.next_due(), 4000);
        t.sent(4000);
        assert_eq!(t.next_due(), 7000);
        assert!(!t.session_expired(10_999));
        assert!(t.session_expired(11_000));
        t.answered(4010);
        assert!(!t.session_expired(11_000));
    }
}
