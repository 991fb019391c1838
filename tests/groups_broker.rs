//! rkafka's group coordinator end to end, against one rkafka broker process on rkafka's
//! coordinator (`offsets.topic.replication.factor=1`, `group.initial.rebalance.delay.ms=0`):
//! kafka-python consumers sharing a group (every partition owned exactly once, every record
//! consumed once, a closed member's partitions taken over), kcat -G, committed offsets that
//! survive a SIGKILL and restart (replayed from `__consumer_offsets`), Kafka 4.4's
//! ConsumerGroupCommand listing and describing rkafka's groups, and bad requests answered
//! with Kafka's error codes.

mod common;
#[path = "common/groups_broker.rs"]
mod groups_common;

use std::time::Duration;

use common::kafka::{CONSUMER_GROUP_COMMAND, KafkaVersion, kafka_tool_ok, kcat_ok};
use groups_common::{Standalone, python};
use rkafka::net::{Connection, ConnectionSettings};
use rkafka::protocol::messages::join_group_request::JoinGroupRequestProtocol;
use rkafka::protocol::messages::{
    FindCoordinatorRequest, HeartbeatRequest, JoinGroupRequest, OffsetCommitRequest,
    OffsetFetchRequest, Response, SyncGroupRequest,
};
use rkafka::types::HostPort;

/// Fewer `__consumer_offsets` partitions than Kafka's 50 keep start-up and recovery quick.
const OVERRIDES: &str = "offsets.topic.num.partitions=5\n";

fn create_topic(b: &str, topic: &str, partitions: u32) {
    let out = common::rkafka(&[
        "topics",
        "--bootstrap-server",
        b,
        "--create",
        "--topic",
        topic,
        "--partitions",
        &partitions.to_string(),
        "--replication-factor",
        "1",
    ]);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
}

/// `n` records spread over the topic's partitions by kcat.
fn produce(b: &str, topic: &str, n: usize, tag: &str) {
    let lines: String = (0..n).map(|i| format!("{tag}-{i}\n")).collect();
    kcat_ok(&["-P", "-b", b, "-t", topic], lines.as_bytes());
}

/// Two kafka-python consumers in one group, polled in turn: phase 1 until all `expected`
/// records are consumed and the 4 partitions are split between both; then the second one
/// closes (LeaveGroup), 100 more records arrive, and the first must own every partition
/// and consume them.
const TWO_CONSUMERS: &str = r#"
import json, sys, time
from kafka import KafkaConsumer, KafkaProducer
boot, topic, group, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def consumer():
    return KafkaConsumer(topic, bootstrap_servers=boot, group_id=group,
                         auto_offset_reset="earliest", enable_auto_commit=False,
                         session_timeout_ms=6000, heartbeat_interval_ms=500)
def parts(c):
    return sorted(tp.partition for tp in c.assignment())
seen = {}
def poll(name, c):
    got = c.poll(timeout_ms=100)
    for tp, records in got.items():
        for r in records:
            seen.setdefault((tp.partition, r.offset), []).append(name)
    if got:
        c.commit()
c1, c2 = consumer(), consumer()
deadline = time.time() + 60
while time.time() < deadline:
    poll("c1", c1)
    poll("c2", c2)
    a1, a2 = parts(c1), parts(c2)
    if len(seen) >= expected and a1 and a2 and not set(a1) & set(a2) and len(a1) + len(a2) == 4:
        break
print(json.dumps({"a1": parts(c1), "a2": parts(c2), "consumed": len(seen),
                  "dups": sum(1 for v in seen.values() if len(v) > 1)}), flush=True)
c2.close()
p = KafkaProducer(bootstrap_servers=boot)
for i in range(100):
    p.send(topic, value=b"after-%d" % i, partition=i % 4)
p.flush()
before = len(seen)
deadline = time.time() + 60
while time.time() < deadline:
    poll("c1", c1)
    if parts(c1) == [0, 1, 2, 3] and len(seen) >= before + 100:
        break
print(json.dumps({"a1": parts(c1), "consumed": len(seen) - before,
                  "dups": sum(1 for v in seen.values() if len(v) > 1)}), flush=True)
c1.close()
"#;

/// Prints the group's committed offset of each partition of the topic, as JSON.
const COMMITTED: &str = r#"
import json, sys
from kafka import KafkaConsumer, TopicPartition
boot, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(bootstrap_servers=boot, group_id=group, enable_auto_commit=False)
print(json.dumps([c.committed(TopicPartition(topic, p)) for p in range(n)]))
c.close()
"#;

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .filter(|l| l.starts_with('{') || l.starts_with('['))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn kafka_python_consumers_share_a_group_and_take_over() {
    let broker = Standalone::start(OVERRIDES);
    let b = broker.bootstrap.as_str();
    create_topic(b, "shared", 4);
    produce(b, "shared", 400, "before");
    let out = python(
        TWO_CONSUMERS,
        &[b, "shared", "g1", "400"],
        Duration::from_secs(150),
    );
    let phases = json_lines(&out);
    assert_eq!(phases.len(), 2, "{out}\n{}", broker.output());
    let p1 = &phases[0];
    let a1: Vec<i64> = serde_json::from_value(p1["a1"].clone()).unwrap();
    let a2: Vec<i64> = serde_json::from_value(p1["a2"].clone()).unwrap();
    let mut all: Vec<i64> = a1.iter().chain(&a2).copied().collect();
    all.sort();
    assert_eq!(all, [0, 1, 2, 3], "each partition owned exactly once: {p1}");
    assert!(
        !a1.is_empty() && !a2.is_empty(),
        "both members own partitions: {p1}"
    );
    assert_eq!(p1["consumed"], 400, "{p1}");
    assert_eq!(p1["dups"], 0, "{p1}");
    let p2 = &phases[1];
    assert_eq!(p2["a1"], serde_json::json!([0, 1, 2, 3]), "take-over: {p2}");
    assert_eq!(p2["consumed"], 100, "{p2}");
    assert_eq!(p2["dups"], 0, "{p2}");

    // Kafka 4.4's own tool lists and describes the (now empty) group.
    let list = kafka_tool_ok(
        KafkaVersion::V4,
        CONSUMER_GROUP_COMMAND,
        &["--bootstrap-server", b, "--list"],
        b"",
    );
    assert!(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .any(|l| l == "g1"),
        "{list:?}"
    );
    let describe = kafka_tool_ok(
        KafkaVersion::V4,
        CONSUMER_GROUP_COMMAND,
        &["--bootstrap-server", b, "--describe", "--group", "g1"],
        b"",
    );
    let text = String::from_utf8_lossy(&describe.stdout);
    // Kafka prints the note on stderr, the table on stdout.
    let note = String::from_utf8_lossy(&describe.stderr);
    assert!(
        note.contains("Consumer group 'g1' has no active members."),
        "{note}"
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.first() == Some(&"g1") && f.get(1) == Some(&"shared"))
        .collect();
    assert_eq!(rows.len(), 4, "{text}");
    let mut total = 0;
    for r in &rows {
        // CURRENT-OFFSET == LOG-END-OFFSET, LAG 0
        assert_eq!(r[3], r[4], "{text}");
        assert_eq!(r[5], "0", "{text}");
        total += r[3].parse::<i64>().unwrap();
    }
    assert_eq!(total, 500);
}

#[test]
fn committed_offsets_survive_a_broker_kill_and_restart() {
    let mut broker = Standalone::start(OVERRIDES);
    let b = broker.bootstrap.clone();
    create_topic(&b, "kept", 3);
    produce(&b, "kept", 90, "first");
    // kcat's balanced consumer reads everything once and commits on exit.
    let out = kcat_ok(
        &[
            "-b",
            &b,
            "-G",
            "kg",
            "kept",
            "-X",
            "auto.offset.reset=earliest",
            "-e",
            "-q",
        ],
        b"",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 90);
    let committed = python(COMMITTED, &[&b, "kept", "kg", "3"], Duration::from_secs(60));
    let before = json_lines(&committed);
    let sum = |v: &serde_json::Value| -> i64 {
        v.as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_i64().unwrap())
            .sum()
    };
    assert_eq!(sum(&before[0]), 90, "{committed}");

    broker.kill_and_restart();
    let b = broker.bootstrap.clone();
    let mut after = String::new();
    let loaded = common::wait_until(Duration::from_secs(60), || {
        after = python(COMMITTED, &[&b, "kept", "kg", "3"], Duration::from_secs(60));
        json_lines(&after).first() == before.first()
    });
    assert!(
        loaded,
        "before {committed} after {after}\n{}",
        broker.output()
    );
    // The group resumes where it stopped: only records produced after the restart.
    produce(&b, "kept", 30, "second");
    let out = kcat_ok(
        &[
            "-b",
            &b,
            "-G",
            "kg",
            "kept",
            "-X",
            "auto.offset.reset=earliest",
            "-e",
            "-q",
        ],
        b"",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 30, "{text}");
    assert!(text.lines().all(|l| l.starts_with("second-")), "{text}");
}

/// Kafka's codes for what a client gets wrong, over raw requests.
#[test]
fn bad_group_requests_get_kafkas_error_codes() {
    let broker = Standalone::start(OVERRIDES);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let addr = HostPort::parse(&broker.bootstrap).unwrap();
        let mut conn = Connection::connect(&addr, ConnectionSettings::default())
            .await
            .unwrap();
        // FindCoordinator until the offsets topic exists and has a leader.
        let mut found = false;
        for _ in 0..100 {
            let req = FindCoordinatorRequest {
                key: "bad".into(),
                ..FindCoordinatorRequest::default()
            };
            let Response::FindCoordinator(r) = conn.request(3, &req).await.unwrap() else {
                panic!()
            };
            if r.error_code == 0 {
                found = true;
                break;
            }
            assert_eq!(r.error_code, 15, "COORDINATOR_NOT_AVAILABLE meanwhile");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(found);
        // Batched FindCoordinator (v4): one answer per key.
        let req = FindCoordinatorRequest {
            coordinator_keys: vec!["a".into(), "b".into()],
            ..FindCoordinatorRequest::default()
        };
        let Response::FindCoordinator(r) = conn.request(4, &req).await.unwrap() else {
            panic!()
        };
        assert_eq!(r.coordinators.len(), 2);
        assert!(r.coordinators.iter().all(|c| c.error_code == 0));

        let join = |member: &str, ptype: &str| JoinGroupRequest {
            group_id: "bad".into(),
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 10_000,
            member_id: member.into(),
            protocol_type: ptype.into(),
            protocols: vec![JoinGroupRequestProtocol {
                name: "range".into(),
                metadata: bytes::Bytes::from_static(b"meta"),
                ..JoinGroupRequestProtocol::default()
            }],
            ..JoinGroupRequest::default()
        };
        // A group coordinator that is still loading answers 14; retry through it.
        let mut first = None;
        for _ in 0..50 {
            let Response::JoinGroup(r) = conn.request(5, &join("", "consumer")).await.unwrap()
            else {
                panic!()
            };
            if r.error_code != 14 {
                first = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let first = first.unwrap();
        assert_eq!(first.error_code, 79, "MEMBER_ID_REQUIRED");
        assert!(!first.member_id.is_empty());
        let Response::JoinGroup(joined) = conn
            .request(5, &join(&first.member_id, "consumer"))
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(joined.error_code, 0);
        assert_eq!(joined.generation_id, 1);
        assert_eq!(joined.leader, first.member_id);
        let Response::SyncGroup(s) = conn
            .request(
                3,
                &SyncGroupRequest {
                    group_id: "bad".into(),
                    generation_id: 1,
                    member_id: first.member_id.clone(),
                    ..SyncGroupRequest::default()
                },
            )
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(s.error_code, 0);

        // Another protocol type: INCONSISTENT_GROUP_PROTOCOL.
        let Response::JoinGroup(r) = conn.request(5, &join("", "connect")).await.unwrap() else {
            panic!()
        };
        assert_eq!(r.error_code, 23);
        // Unknown member: UNKNOWN_MEMBER_ID.
        let Response::JoinGroup(r) = conn.request(5, &join("ghost", "consumer")).await.unwrap()
        else {
            panic!()
        };
        assert_eq!(r.error_code, 25);
        // Stale generation: ILLEGAL_GENERATION.
        let hb = |generation| HeartbeatRequest {
            group_id: "bad".into(),
            generation_id: generation,
            member_id: first.member_id.clone(),
            ..HeartbeatRequest::default()
        };
        let Response::Heartbeat(r) = conn.request(3, &hb(0)).await.unwrap() else {
            panic!()
        };
        assert_eq!(r.error_code, 22);
        let Response::Heartbeat(r) = conn.request(3, &hb(1)).await.unwrap() else {
            panic!()
        };
        assert_eq!(r.error_code, 0);
        // Session timeout out of range: INVALID_SESSION_TIMEOUT.
        let mut short = join("", "consumer");
        short.session_timeout_ms = 1;
        let Response::JoinGroup(r) = conn.request(5, &short).await.unwrap() else {
            panic!()
        };
        assert_eq!(r.error_code, 26);
        // An empty group id: INVALID_GROUP_ID. (One longer than 32767 bytes cannot even be
        // encoded by Kafka's clients; the broker would answer it INVALID_GROUP_ID too.)
        let mut bad = join("", "consumer");
        bad.group_id = String::new();
        let Response::JoinGroup(r) = conn.request(7, &bad).await.unwrap() else {
            panic!()
        };
        assert_eq!(r.error_code, 24);
        // Member metadata too large to store (over max.message.bytes): the leader's SyncGroup
        // gets UNKNOWN_SERVER_ERROR as from Kafka's coordinator, the group rebalances, and the
        // broker carries on.
        let mut huge = join("", "consumer");
        huge.group_id = "huge".into();
        huge.protocols[0].metadata = bytes::Bytes::from(vec![7u8; 1_500_000]);
        let Response::JoinGroup(r) = conn.request(5, &huge).await.unwrap() else {
            panic!()
        };
        let mut r = r;
        for _ in 0..50 {
            if r.error_code != 14 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let Response::JoinGroup(again) = conn.request(5, &huge).await.unwrap() else {
                panic!()
            };
            r = again;
        }
        assert_eq!(r.error_code, 79);
        huge.member_id = r.member_id.clone();
        let Response::JoinGroup(j) = conn.request(5, &huge).await.unwrap() else {
            panic!()
        };
        assert_eq!(j.error_code, 0);
        assert_eq!(j.members[0].metadata.len(), 1_500_000);
        let Response::SyncGroup(s) = conn
            .request(
                3,
                &SyncGroupRequest {
                    group_id: "huge".into(),
                    generation_id: j.generation_id,
                    member_id: j.member_id.clone(),
                    ..SyncGroupRequest::default()
                },
            )
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(s.error_code, -1, "UNKNOWN_SERVER_ERROR");
        let Response::Heartbeat(h) = conn
            .request(
                3,
                &HeartbeatRequest {
                    group_id: "huge".into(),
                    generation_id: j.generation_id,
                    member_id: j.member_id.clone(),
                    ..HeartbeatRequest::default()
                },
            )
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(h.error_code, 27, "REBALANCE_IN_PROGRESS");

        // Metadata longer than offset.metadata.max.bytes: OFFSET_METADATA_TOO_LARGE, while a
        // normal commit in the same request succeeds.
        use rkafka::protocol::messages::offset_commit_request::{
            OffsetCommitRequestPartition, OffsetCommitRequestTopic,
        };
        let commit = OffsetCommitRequest {
            group_id: "bad".into(),
            generation_id_or_member_epoch: 1,
            member_id: first.member_id.clone(),
            topics: vec![OffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![
                    OffsetCommitRequestPartition {
                        partition_index: 0,
                        committed_offset: 5,
                        committed_metadata: Some("x".repeat(5000)),
                        ..OffsetCommitRequestPartition::default()
                    },
                    OffsetCommitRequestPartition {
                        partition_index: 1,
                        committed_offset: 7,
                        committed_metadata: Some("ok".into()),
                        ..OffsetCommitRequestPartition::default()
                    },
                ],
                ..OffsetCommitRequestTopic::default()
            }],
            ..OffsetCommitRequest::default()
        };
        let Response::OffsetCommit(r) = conn.request(8, &commit).await.unwrap() else {
            panic!()
        };
        let codes: Vec<i16> = r.topics[0]
            .partitions
            .iter()
            .map(|p| p.error_code)
            .collect();
        assert_eq!(codes, [12, 0]);
        let Response::OffsetFetch(r) = conn
            .request(
                7,
                &OffsetFetchRequest {
                    group_id: "bad".into(),
                    topics: None,
                    ..OffsetFetchRequest::default()
                },
            )
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(r.error_code, 0);
        assert_eq!(r.topics.len(), 1);
        let p = &r.topics[0].partitions;
        assert_eq!(
            (p.len(), p[0].partition_index, p[0].committed_offset),
            (1, 1, 7)
        );
        assert_eq!(p[0].metadata.as_deref(), Some("ok"));
    });
}

/// A kafka-python consumer that polls until killed, printing "ready" once it owns partitions
/// and has consumed something.
const FOREVER: &str = r#"
import sys
from kafka import KafkaConsumer
c = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1], group_id=sys.argv[3],
                  client_id="py-forever", auto_offset_reset="earliest",
                  session_timeout_ms=6000, heartbeat_interval_ms=500)
n = 0
said = False
while True:
    for tp, rs in c.poll(timeout_ms=200).items():
        n += len(rs)
    if n and c.assignment() and not said:
        print("ready", flush=True)
        said = True
"#;

fn group_tool(b: &str, args: &[&str]) -> (String, String) {
    let mut all = vec!["--bootstrap-server", b];
    all.extend_from_slice(args);
    let out = common::kafka::kafka_tool(KafkaVersion::V4, CONSUMER_GROUP_COMMAND, &all, b"");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A live member as Kafka's tool shows it; its SIGKILL expires the session and empties the
/// group; then the tool deletes the group (refused while it had members).
#[test]
fn killed_member_expires_and_kafkas_tool_describes_and_deletes() {
    let broker = Standalone::start(OVERRIDES);
    let b = broker.bootstrap.clone();
    create_topic(&b, "live", 2);
    produce(&b, "live", 20, "x");
    let out_path = broker.dir.path().join("forever.out");
    let out_file = std::fs::File::create(&out_path).unwrap();
    let mut consumer = common::KillOnDrop(
        std::process::Command::new("python3")
            .args(["-c", FOREVER, &b, "live", "lg"])
            .stdout(out_file.try_clone().unwrap())
            .stderr(out_file)
            .spawn()
            .unwrap(),
    );
    let ready = common::wait_until(Duration::from_secs(60), || {
        std::fs::read_to_string(&out_path)
            .unwrap_or_default()
            .contains("ready")
    });
    assert!(
        ready,
        "{}",
        std::fs::read_to_string(&out_path).unwrap_or_default()
    );

    let (members, _) = group_tool(&b, &["--describe", "--group", "lg", "--members"]);
    let row: Vec<&str> = members
        .lines()
        .find(|l| l.starts_with("lg "))
        .unwrap_or_else(|| panic!("{members}"))
        .split_whitespace()
        .collect();
    assert!(row[1].starts_with("py-forever-"), "{members}");
    assert_eq!(&row[2..], ["/127.0.0.1", "py-forever", "2"], "{members}");
    let (state, _) = group_tool(&b, &["--describe", "--group", "lg", "--state"]);
    assert!(
        state
            .lines()
            .any(|l| l.contains("range") && l.contains("Stable") && l.ends_with('1')),
        "{state}"
    );
    let (refused, _) = group_tool(&b, &["--delete", "--group", "lg"]);
    assert!(
        refused.contains("Group 'lg' could not be deleted due to: ")
            && refused.contains("GroupNotEmptyException: The group is not empty."),
        "{refused}"
    );

    // SIGKILL: no LeaveGroup; the 6 s session expires and the group empties.
    let _ = consumer.0.kill();
    let _ = consumer.0.wait();
    let emptied = common::wait_until(Duration::from_secs(20), || {
        let (state, _) = group_tool(&b, &["--describe", "--group", "lg", "--state"]);
        state
            .lines()
            .any(|l| l.contains("Empty") && l.ends_with('0'))
    });
    assert!(emptied, "{}", broker.output());
    let (deleted, err) = group_tool(&b, &["--delete", "--group", "lg"]);
    assert!(
        deleted.contains("Deletion of requested consumer groups ('lg') was successful."),
        "{deleted}{err}"
    );
    let (list, _) = group_tool(&b, &["--list"]);
    assert!(!list.lines().any(|l| l == "lg"), "{list}");
}

/// A static member (librdkafka's group.instance.id) that restarts within its session comes
/// back under a new member id in the same generation, without a rebalance, and replaces
/// its old self.
#[test]
fn static_member_restart_keeps_the_generation() {
    let broker = Standalone::start(OVERRIDES);
    let b = broker.bootstrap.clone();
    create_topic(&b, "static", 2);
    produce(&b, "static", 10, "s");
    let run = || {
        let out = std::process::Command::new("timeout")
            .args([
                "6", "kcat", "-b", &b, "-G", "sg", "static", "-q", "-d", "cgrp",
            ])
            .args([
                "-X",
                "group.instance.id=inst1",
                "-X",
                "session.timeout.ms=10000",
            ])
            .args(["-X", "auto.offset.reset=earliest"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let generations = |log: &str| -> Vec<String> {
        log.lines()
            .filter_map(|l| l.split("JoinGroup response: GenerationId ").nth(1))
            .filter_map(|rest| rest.split(',').next())
            .map(str::to_string)
            .collect()
    };
    let first = run();
    assert_eq!(generations(&first), ["1"], "{first}");
    let second = run();
    assert_eq!(generations(&second), ["1"], "no new generation: {second}");
    let (members, err) = group_tool(
        &b,
        &["--describe", "--group", "sg", "--members", "--verbose"],
    );
    let rows: Vec<&str> = members.lines().filter(|l| l.starts_with("sg ")).collect();
    assert_eq!(
        rows.len(),
        1,
        "one member, the old id replaced: {members}{err}"
    );
    assert!(rows[0].contains(" inst1 "), "{members}");
}
