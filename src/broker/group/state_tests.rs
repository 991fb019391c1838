//! Unit tests of the group state machine: time is a parameter, answers are checked.

use bytes::Bytes;

use super::*;

const SESSION: i32 = 10_000;

fn config(delay: i32) -> GroupConfig {
    GroupConfig {
        initial_rebalance_delay_ms: delay,
        max_size: 3,
        ..GroupConfig::default()
    }
}

fn join_req(member: &str, new_id: &str) -> JoinRequest {
    JoinRequest {
        member_id: member.into(),
        group_instance_id: None,
        client_id: "c".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout_ms: SESSION,
        rebalance_timeout_ms: 30_000,
        protocol_type: "consumer".into(),
        protocols: vec![
            ("range".into(), Bytes::from_static(b"r")),
            ("roundrobin".into(), Bytes::from_static(b"rr")),
        ],
        require_known_member_id: true,
        new_member_id: new_id.into(),
    }
}

/// Joins a new member through MEMBER_ID_REQUIRED; returns its id.
fn join_new(g: &mut Group, id: &str, now: i64) -> Reply<JoinAnswer> {
    let Reply::Now(first) = g.join(join_req("", id), now) else {
        panic!("first join answers now")
    };
    assert_eq!(first.error, ErrorCode::MEMBER_ID_REQUIRED);
    assert_eq!(first.member_id, id);
    g.join(join_req(id, "unused"), now)
}

#[allow(clippy::too_many_arguments)]
fn sync(
    g: &mut Group,
    member: &str,
    instance: Option<&str>,
    generation: i32,
    protocol_type: Option<&str>,
    protocol_name: Option<&str>,
    assignments: Vec<(String, Bytes)>,
    now: i64,
) -> Reply<SyncAnswer> {
    let req = SyncRequest {
        member_id: member.into(),
        group_instance_id: instance.map(Into::into),
        generation_id: generation,
        protocol_type: protocol_type.map(Into::into),
        protocol_name: protocol_name.map(Into::into),
        assignments,
    };
    g.sync(req, now)
}

fn joins(g: &mut Group) -> Vec<(String, JoinAnswer)> {
    g.take_completions()
        .into_iter()
        .filter_map(|c| match c {
            Completion::Join { member_id, answer } => Some((member_id, answer)),
            Completion::Sync { .. } => None,
        })
        .collect()
}

fn syncs(g: &mut Group) -> Vec<(String, SyncAnswer)> {
    g.take_completions()
        .into_iter()
        .filter_map(|c| match c {
            Completion::Sync { member_id, answer } => Some((member_id, answer)),
            Completion::Join { .. } => None,
        })
        .collect()
}

/// Two members joined and synced: generation 1, Stable.
fn stable_pair() -> Group {
    let mut g = Group::new("g", config(0), 0);
    assert_eq!(join_new(&mut g, "a", 0), Reply::Later("a".into()));
    let done = joins(&mut g);
    assert_eq!(done.len(), 1, "a alone completes at once without a delay");
    sync(
        &mut g,
        "a",
        None,
        1,
        None,
        None,
        vec![("a".into(), Bytes::from_static(b"A"))],
        1,
    );
    g.take_completions();
    assert_eq!(g.state(), GroupState::Stable);
    // b joins: rebalance; a learns by heartbeat and rejoins
    assert_eq!(join_new(&mut g, "b", 2), Reply::Later("b".into()));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(
        g.heartbeat("a", None, 1, 3),
        ErrorCode::REBALANCE_IN_PROGRESS
    );
    assert_eq!(g.join(join_req("a", "x"), 4), Reply::Later("a".into()));
    let done = joins(&mut g);
    assert_eq!(done.len(), 2);
    assert_eq!(g.generation(), 2);
    assert_eq!(g.state(), GroupState::CompletingRebalance);
    sync(&mut g, "b", None, 2, None, None, vec![], 5);
    let assign = vec![
        ("a".into(), Bytes::from_static(b"A2")),
        ("b".into(), Bytes::from_static(b"B2")),
    ];
    sync(
        &mut g,
        "a",
        None,
        2,
        Some("consumer"),
        Some("range"),
        assign,
        6,
    );
    let s = syncs(&mut g);
    assert_eq!(s.len(), 2);
    assert_eq!(g.state(), GroupState::Stable);
    g
}

#[test]
fn member_id_required_then_a_full_rebalance() {
    let mut g = Group::new("g", config(0), 0);
    assert_eq!(join_new(&mut g, "a", 0), Reply::Later("a".into()));
    let done = joins(&mut g);
    let (id, a) = &done[0];
    assert_eq!(id, "a");
    assert_eq!(a.error, ErrorCode::NONE);
    assert_eq!(a.generation_id, 1);
    assert_eq!(a.leader, "a");
    assert_eq!(a.protocol_name.as_deref(), Some("range"));
    assert_eq!(a.members.len(), 1, "the leader gets the member list");
    assert_eq!(g.state(), GroupState::CompletingRebalance);
    let r = sync(
        &mut g,
        "a",
        None,
        1,
        None,
        None,
        vec![("a".into(), Bytes::from_static(b"A"))],
        1,
    );
    assert_eq!(r, Reply::Later("a".into()));
    let s = syncs(&mut g);
    assert_eq!(s[0].1.assignment, Bytes::from_static(b"A"));
    assert!(g.take_dirty(), "the new assignment is stored");
    let g = stable_pair();
    assert_eq!(g.members()["a"].assignment, Bytes::from_static(b"A2"));
    assert_eq!(g.members()["b"].assignment, Bytes::from_static(b"B2"));
    assert_eq!(
        g.leader(),
        Some("a"),
        "the leader is kept across generations"
    );
}

#[test]
fn stable_follower_sync_answers_now_and_leader_rejoin_rebalances() {
    let mut g = stable_pair();
    let Reply::Now(s) = sync(&mut g, "b", None, 2, None, None, vec![], 7) else {
        panic!()
    };
    assert_eq!(s.assignment, Bytes::from_static(b"B2"));
    // a follower rejoining with the same protocols gets the generation again
    let Reply::Now(j) = g.join(join_req("b", "x"), 8) else {
        panic!()
    };
    assert_eq!((j.error, j.generation_id), (ErrorCode::NONE, 2));
    assert!(j.members.is_empty());
    // the leader rejoining starts a rebalance
    assert_eq!(g.join(join_req("a", "x"), 9), Reply::Later("a".into()));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
}

#[test]
fn errors_for_bad_requests() {
    let mut g = stable_pair();
    assert_eq!(g.heartbeat("zz", None, 2, 10), ErrorCode::UNKNOWN_MEMBER_ID);
    assert_eq!(g.heartbeat("a", None, 1, 10), ErrorCode::ILLEGAL_GENERATION);
    assert_eq!(g.heartbeat("a", None, 2, 10), ErrorCode::NONE);
    let Reply::Now(s) = sync(&mut g, "a", None, 7, None, None, vec![], 10) else {
        panic!()
    };
    assert_eq!(s.error, ErrorCode::ILLEGAL_GENERATION);
    let Reply::Now(s) = sync(&mut g, "a", None, 2, Some("connect"), None, vec![], 10) else {
        panic!()
    };
    assert_eq!(s.error, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    // another protocol type, or no common protocol
    let mut other = join_req("", "c");
    other.protocol_type = "connect".into();
    let Reply::Now(j) = g.join(other, 10) else {
        panic!()
    };
    assert_eq!(j.error, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    let mut other = join_req("", "c");
    other.protocols = vec![("sticky".into(), Bytes::new())];
    let Reply::Now(j) = g.join(other, 10) else {
        panic!()
    };
    assert_eq!(j.error, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    // an empty group refuses an empty protocol type or list
    let mut empty = Group::new("e", config(0), 0);
    let mut bad = join_req("", "c");
    bad.protocols.clear();
    let Reply::Now(j) = empty.join(bad, 0) else {
        panic!()
    };
    assert_eq!(j.error, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    let mut bad = join_req("", "c");
    bad.session_timeout_ms = 10;
    let Reply::Now(j) = empty.join(bad, 0) else {
        panic!()
    };
    assert_eq!(j.error, ErrorCode::INVALID_SESSION_TIMEOUT);
    let Reply::Now(j) = empty.join(join_req("ghost", "x"), 0) else {
        panic!()
    };
    assert_eq!(j.error, ErrorCode::UNKNOWN_MEMBER_ID);
}

#[test]
fn group_max_size() {
    let mut g = stable_pair();
    // max_size 3: one more fits (as a pending member id), the next does not
    let Reply::Now(j) = g.join(join_req("", "c"), 10) else {
        panic!()
    };
    assert_eq!(j.error, ErrorCode::MEMBER_ID_REQUIRED);
    let Reply::Now(j) = g.join(join_req("", "d"), 10) else {
        panic!()
    };
    assert_eq!(j.error, ErrorCode::GROUP_MAX_SIZE_REACHED);
}

#[test]
fn session_expiry_removes_the_member_and_rebalances() {
    let mut g = stable_pair();
    // b heartbeats, a goes silent
    assert_eq!(g.heartbeat("b", None, 2, 9_000), ErrorCode::NONE);
    g.tick(10_005);
    assert!(
        g.members().contains_key("a"),
        "its session runs from its sync at 6 ms"
    );
    g.tick(10_006);
    assert!(!g.members().contains_key("a"), "a expired");
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(
        g.heartbeat("b", None, 2, 10_007),
        ErrorCode::REBALANCE_IN_PROGRESS
    );
    assert_eq!(g.join(join_req("b", "x"), 10_008), Reply::Later("b".into()));
    let done = joins(&mut g);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].1.leader, "b", "the remaining member leads");
    assert_eq!(done[0].1.generation_id, 3);
}

#[test]
fn rebalance_deadline_drops_members_that_did_not_rejoin() {
    let mut g = stable_pair();
    assert_eq!(join_new(&mut g, "c", 100), Reply::Later("c".into()));
    assert_eq!(g.join(join_req("a", "x"), 101), Reply::Later("a".into()));
    // b keeps heartbeating but never rejoins: the rebalance timeout (30 s) drops it.
    for t in [
        3_000, 6_000, 9_000, 12_000, 15_000, 18_000, 21_000, 24_000, 27_000,
    ] {
        g.heartbeat("b", None, 2, t);
        g.tick(t);
    }
    assert!(joins(&mut g).is_empty());
    g.tick(30_101);
    let done = joins(&mut g);
    assert_eq!(done.len(), 2);
    assert!(!g.members().contains_key("b"));
    assert_eq!(g.generation(), 3);
}

#[test]
fn leave_rebalances_and_last_leave_empties() {
    let mut g = stable_pair();
    let codes = g.leave(
        &[
            LeavingMember {
                member_id: "b".into(),
                group_instance_id: None,
            },
            LeavingMember {
                member_id: "nobody".into(),
                group_instance_id: None,
            },
        ],
        10,
    );
    assert_eq!(codes, [ErrorCode::NONE, ErrorCode::UNKNOWN_MEMBER_ID]);
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    g.take_dirty();
    let codes = g.leave(
        &[LeavingMember {
            member_id: "a".into(),
            group_instance_id: None,
        }],
        11,
    );
    assert_eq!(codes, [ErrorCode::NONE]);
    assert_eq!(g.state(), GroupState::Empty);
    assert_eq!(g.generation(), 3, "Kafka bumps the generation on emptying");
    assert!(g.take_dirty());
    assert_eq!(g.delete(12), Ok(()));
    assert_eq!(g.state(), GroupState::Dead);
}

#[test]
fn initial_rebalance_delay_waits_for_more_members() {
    let mut g = Group::new("g", config(3000), 0);
    assert_eq!(join_new(&mut g, "a", 0), Reply::Later("a".into()));
    g.tick(1000);
    assert!(joins(&mut g).is_empty(), "within the delay");
    assert_eq!(join_new(&mut g, "b", 2000), Reply::Later("b".into()));
    g.tick(3500);
    assert!(joins(&mut g).is_empty(), "extended by the new member");
    g.tick(5000);
    assert!(joins(&mut g).is_empty());
    g.tick(6000);
    let done = joins(&mut g);
    assert_eq!(done.len(), 2);
    assert_eq!(g.generation(), 1);
}

#[test]
fn static_members_are_fenced_and_replaced() {
    let mut g = Group::new("g", config(0), 0);
    let mut req = join_req("", "s1");
    req.group_instance_id = Some("inst".into());
    // static members skip MEMBER_ID_REQUIRED
    assert_eq!(g.join(req.clone(), 0), Reply::Later("s1".into()));
    joins(&mut g);
    sync(
        &mut g,
        "s1",
        Some("inst"),
        1,
        None,
        None,
        vec![("s1".into(), Bytes::from_static(b"S"))],
        1,
    );
    g.take_completions();
    assert_eq!(g.state(), GroupState::Stable);
    // the same instance restarts: new member id, same generation, no rebalance
    req.new_member_id = "s2".into();
    let Reply::Now(j) = g.join(req, 2) else {
        panic!("a stable static rejoin answers at once")
    };
    assert_eq!((j.member_id.as_str(), j.generation_id), ("s2", 1));
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(
        g.heartbeat("s1", Some("inst"), 1, 3),
        ErrorCode::FENCED_INSTANCE_ID
    );
    let Reply::Now(s) = sync(&mut g, "s2", Some("inst"), 1, None, None, vec![], 3) else {
        panic!()
    };
    assert_eq!(
        s.assignment,
        Bytes::from_static(b"S"),
        "keeps its assignment"
    );
    let codes = g.leave(
        &[LeavingMember {
            member_id: "s1".into(),
            group_instance_id: Some("inst".into()),
        }],
        4,
    );
    assert_eq!(codes, [ErrorCode::FENCED_INSTANCE_ID]);
}

#[test]
fn commits_are_checked_against_membership() {
    let g = stable_pair();
    assert_eq!(g.check_commit("a", None, 2), Ok(()));
    assert_eq!(
        g.check_commit("a", None, 1),
        Err(ErrorCode::ILLEGAL_GENERATION)
    );
    assert_eq!(
        g.check_commit("x", None, 2),
        Err(ErrorCode::UNKNOWN_MEMBER_ID)
    );
    assert_eq!(
        g.check_commit("", None, -1),
        Err(ErrorCode::UNKNOWN_MEMBER_ID)
    );
    let empty = Group::new("e", config(0), 0);
    assert_eq!(empty.check_commit("", None, -1), Ok(()));
}

#[test]
fn stored_metadata_restores_a_stable_group() {
    let g = stable_pair();
    let stored = g.stored();
    assert_eq!(stored.generation, 2);
    assert_eq!(stored.members.len(), 2);
    let mut back = Group::new("g", config(0), 0);
    back.restore(stored, 50);
    assert_eq!(back.state(), GroupState::Stable);
    assert_eq!(back.generation(), 2);
    assert_eq!(back.heartbeat("a", None, 2, 60), ErrorCode::NONE);
    let Reply::Now(s) = sync(&mut back, "b", None, 2, None, None, vec![], 61) else {
        panic!()
    };
    assert_eq!(s.assignment, Bytes::from_static(b"B2"));
}

#[test]
fn a_failed_store_withdraws_the_assignment_and_rebalances() {
    let mut g = stable_pair();
    g.store_failed(100);
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert!(g.members().values().all(|m| m.assignment.is_empty()));
    assert_eq!(
        g.heartbeat("a", None, 2, 101),
        ErrorCode::REBALANCE_IN_PROGRESS
    );
}

fn offset(commit_timestamp: i64, expire_timestamp: i64) -> CommittedOffset {
    CommittedOffset {
        offset: 1,
        leader_epoch: -1,
        metadata: String::new(),
        commit_timestamp,
        expire_timestamp,
    }
}

#[test]
fn offsets_expire_as_kafka_expires_them() {
    // A group with members keeps its subscribed topics' offsets (subscription "t"), the
    // others expire after their commit; explicit expiries are honoured.
    let mut g = Group::new("g", config(0), 0);
    let sub = {
        use crate::protocol::messages::ConsumerProtocolSubscription;
        let mut buf = bytes::BytesMut::new();
        bytes::BufMut::put_i16(&mut buf, 1);
        ConsumerProtocolSubscription {
            topics: vec!["t".into()],
            ..Default::default()
        }
        .encode(&mut buf, 1)
        .unwrap();
        buf.freeze()
    };
    let mut req = join_req("", "a");
    req.protocols = vec![("range".into(), sub)];
    req.require_known_member_id = false;
    assert_eq!(g.join(req, 0), Reply::Later("a".into()));
    g.take_completions();
    sync(&mut g, "a", None, 1, None, None, vec![], 0);
    assert_eq!(g.state(), GroupState::Stable);
    g.put_offset("t".into(), 0, offset(0, -1));
    g.put_offset("old".into(), 0, offset(0, -1));
    g.put_offset("explicit".into(), 0, offset(0, 50));
    assert_eq!(g.expire_offsets(40, 100), vec![]);
    assert_eq!(g.expire_offsets(60, 100), vec![("explicit".to_string(), 0)]);
    assert_eq!(g.expire_offsets(100, 100), vec![("old".to_string(), 0)]);
    assert_eq!(g.expire_offsets(10_000, 100), vec![], "subscribed: kept");
    // Empty since 20_000: its offsets go 100 ms later, and the group with them.
    g.leave(
        &[LeavingMember {
            member_id: "a".into(),
            group_instance_id: None,
        }],
        20_000,
    );
    assert_eq!(g.state(), GroupState::Empty);
    assert_eq!(g.expire_offsets(20_050, 100), vec![]);
    assert_eq!(g.expire_offsets(20_100, 100), vec![("t".to_string(), 0)]);
    assert_eq!(g.state(), GroupState::Dead);
}
