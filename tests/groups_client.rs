//! rkafka's consumer-group client against a real Apache Kafka 4.4 broker (KRaft): the
//! seed's scenario 2 (three console consumers in g1 share six partitions, each owned once
//! and every record consumed once; a SIGKILLed member's partitions are taken over within
//! session.timeout.ms with nothing lost), scenario 3 (groups g1 and g2 each receive
//! everything; committed offsets win over --from-beginning), an rkafka consumer beside a
//! kafka-python consumer in one group, cooperative-sticky rebalancing between rkafka
//! members and beside Kafka's own VerifiableConsumer, and a group that lives through a
//! broker (coordinator) restart. Ownership is read with Kafka's own ConsumerGroupCommand.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use common::groups_client::{Member, owners, produce_keyed, wait_for, wait_for_balance};
use common::kafka::{KafkaBroker, KafkaVersion};
use nix::sys::signal::Signal;

const SESSION_MS: u64 = 6000;

fn create_topic(bootstrap: &str, topic: &str, partitions: u32) {
    let out = Command::new(env!("CARGO_BIN_EXE_rkafka"))
        .args([
            "topics",
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            topic,
            "--partitions",
            &partitions.to_string(),
            "--replication-factor",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Console-consumer arguments for a member of `group` on `topic` with short timeouts.
fn member_args<'a>(topic: &'a str, group: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        "--property",
        "print.partition=true",
        "--consumer-property",
        "session.timeout.ms=6000",
        "--consumer-property",
        "heartbeat.interval.ms=500",
        "--consumer-property",
        "auto.commit.interval.ms=300",
    ];
    args.extend_from_slice(extra);
    args
}

fn values(range: std::ops::Range<usize>, tag: &str) -> Vec<String> {
    range.map(|i| format!("{tag}-{i}")).collect()
}

/// Every value with the members that printed it (and the partition it came from).
fn who_got(members: &[&Member]) -> BTreeMap<String, Vec<(String, i32)>> {
    let mut map: BTreeMap<String, Vec<(String, i32)>> = BTreeMap::new();
    for m in members {
        for (p, v) in m.values() {
            map.entry(v).or_default().push((m.name.clone(), p));
        }
    }
    map
}

#[test]
fn three_members_share_six_partitions_and_survive_a_sigkill() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let b = broker.bootstrap();
    create_topic(&b, "s2", 6);
    broker.wait_for_topic("s2", 6, Duration::from_secs(20));
    let mut members: Vec<Member> = (0..3)
        .map(|i| Member::rkafka(&format!("c{i}"), &b, &member_args("s2", "g1", &[])))
        .collect();
    let owners_before = wait_for_balance(&b, "g1", 6, 3, Duration::from_secs(60));

    // Clean run: every record exactly once, each partition read by exactly one member.
    let first = values(0..600, "a");
    produce_keyed(&b, "s2", &first);
    wait_for(Duration::from_secs(60), "600 records consumed", || {
        let got = who_got(&members.iter().collect::<Vec<_>>());
        first.iter().all(|v| got.contains_key(v))
    });
    std::thread::sleep(Duration::from_millis(500));
    let got = who_got(&members.iter().collect::<Vec<_>>());
    assert_eq!(got.len(), 600, "unexpected values");
    let mut partition_reader: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for (v, readers) in &got {
        assert_eq!(
            readers.len(),
            1,
            "{v} consumed {} times: {readers:?}",
            readers.len()
        );
        partition_reader
            .entry(readers[0].1)
            .or_default()
            .insert(readers[0].0.clone());
    }
    assert_eq!(
        partition_reader.len(),
        6,
        "records reached only {partition_reader:?}"
    );
    for (p, readers) in &partition_reader {
        assert_eq!(readers.len(), 1, "partition {p} read by {readers:?}");
    }
    for m in &members {
        let parts: BTreeSet<i32> = m.values().iter().map(|(p, _)| *p).collect();
        assert_eq!(parts.len(), 2, "{} read partitions {parts:?}", m.name);
    }
    // The group's view agrees: three distinct owners, two partitions each.
    let ids: BTreeSet<&String> = owners_before.values().collect();
    assert_eq!(ids.len(), 3);

    // SIGKILL one member: no LeaveGroup, so the coordinator notices after the session.
    let victim = members.remove(0);
    let victim_parts: BTreeSet<i32> = victim.values().iter().map(|(p, _)| *p).collect();
    let mut victim = victim;
    victim.stop(Signal::SIGKILL);
    let killed_at = Instant::now();
    let second = values(0..600, "b");
    produce_keyed(&b, "s2", &second);
    wait_for(
        Duration::from_secs(60),
        "the survivors to consume every record produced after the kill",
        || {
            let got = who_got(&members.iter().collect::<Vec<_>>());
            second.iter().all(|v| got.contains_key(v))
        },
    );
    // Takeover time: the first record of a victim partition printed by a survivor.
    let takeover = members
        .iter()
        .flat_map(|m| m.lines())
        .filter_map(|(t, l)| {
            common::groups_client::parse_line(&l)
                .filter(|(p, v)| victim_parts.contains(p) && v.starts_with("b-"))
                .map(|_| t)
        })
        .min()
        .expect("survivors read the victim's partitions");
    let took = takeover.duration_since(killed_at);
    assert!(
        took < Duration::from_millis(SESSION_MS + 5000),
        "takeover took {took:?} (session.timeout.ms={SESSION_MS})"
    );
    let after = owners(&b, "g1");
    assert_eq!(after.len(), 6, "{after:?}");
    assert_eq!(
        after.values().collect::<BTreeSet<_>>().len(),
        2,
        "{after:?}"
    );
    // Duplicates only where the victim's uncommitted offsets were replayed.
    let got = who_got(&members.iter().collect::<Vec<_>>());
    for (v, readers) in &got {
        if readers.len() > 1 {
            assert!(
                readers.iter().all(|(_, p)| victim_parts.contains(p)),
                "{v} read again outside the victim's partitions: {readers:?}"
            );
        }
    }
    for v in &second {
        assert_eq!(got[v].len(), 1, "{v}: {:?}", got[v]);
    }
    for m in &mut members {
        assert!(m.stop(Signal::SIGTERM), "{} failed: {}", m.name, m.stderr());
        assert!(
            m.stderr().contains("Processed a total of"),
            "{}",
            m.stderr()
        );
    }
}

#[test]
fn two_groups_each_receive_everything_and_committed_offsets_win() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let b = broker.bootstrap();
    create_topic(&b, "s3", 3);
    broker.wait_for_topic("s3", 3, Duration::from_secs(20));
    let all = values(0..300, "r");
    produce_keyed(&b, "s3", &all);
    let run = |name: &str, args: Vec<&str>| -> Member {
        let mut m = Member::rkafka(name, &b, &args);
        wait_for(Duration::from_secs(60), "the consumer to exit", || {
            m.stderr().contains("Processed a total of")
        });
        assert!(m.stop(Signal::SIGTERM), "{name}: {}", m.stderr());
        m
    };
    for group in ["g1", "g2"] {
        let m = run(group, member_args("s3", group, &["--max-messages", "300"]));
        let got: BTreeSet<String> = m.values().into_iter().map(|(_, v)| v).collect();
        assert_eq!(got.len(), 300, "{group}: {}", m.stderr());
        assert_eq!(m.values().len(), 300, "{group} saw duplicates");
        assert!(all.iter().all(|v| got.contains(v)));
    }
    // g1 committed on close: --from-beginning applies only without committed offsets.
    let again = run(
        "g1-again",
        member_args("s3", "g1", &["--timeout-ms", "4000"]),
    );
    assert!(again.values().is_empty(), "{:?}", again.values());
    assert!(again.stderr().contains("Processed a total of 0 messages"));
    // Kafka's default: a fresh console-consumer-<random> group reads everything again.
    let fresh = run(
        "random",
        vec![
            "--topic",
            "s3",
            "--from-beginning",
            "--max-messages",
            "300",
            "--property",
            "print.partition=true",
        ],
    );
    assert_eq!(fresh.values().len(), 300, "{}", fresh.stderr());
    assert!(
        fresh.stderr().contains("group console-consumer-"),
        "{}",
        fresh.stderr()
    );
}

const PYTHON_MEMBER: &str = r#"
import sys
from kafka import KafkaConsumer
c = KafkaConsumer(sys.argv[2], group_id=sys.argv[3], bootstrap_servers=sys.argv[1],
                  auto_offset_reset="earliest", enable_auto_commit=True,
                  auto_commit_interval_ms=300, session_timeout_ms=6000,
                  heartbeat_interval_ms=500, client_id="kafka-python-member")
for m in c:
    print("Partition:%d\t%s" % (m.partition, m.value.decode()), flush=True)
"#;

#[test]
fn rkafka_and_kafka_python_share_a_group() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let b = broker.bootstrap();
    create_topic(&b, "mixed", 4);
    broker.wait_for_topic("mixed", 4, Duration::from_secs(20));
    let mut ours = Member::rkafka("rkafka", &b, &member_args("mixed", "gm", &[]));
    let mut cmd = Command::new("python3");
    cmd.args(["-c", PYTHON_MEMBER, &b, "mixed", "gm"]);
    let mut theirs = Member::spawn("kafka-python", cmd);
    let owners = wait_for_balance(&b, "gm", 4, 2, Duration::from_secs(90));
    let all = values(0..400, "m");
    produce_keyed(&b, "mixed", &all);
    wait_for(Duration::from_secs(60), "400 records consumed", || {
        let got = who_got(&[&ours, &theirs]);
        all.iter().all(|v| got.contains_key(v))
    });
    std::thread::sleep(Duration::from_millis(500));
    let got = who_got(&[&ours, &theirs]);
    let mut readers: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for v in &all {
        assert_eq!(got[v].len(), 1, "{v}: {:?}", got[v]);
        readers
            .entry(got[v][0].1)
            .or_default()
            .insert(got[v][0].0.clone());
    }
    for (p, r) in &readers {
        assert_eq!(r.len(), 1, "partition {p} read by {r:?}");
    }
    assert_eq!(
        ours.values()
            .iter()
            .map(|(p, _)| *p)
            .collect::<BTreeSet<_>>()
            .len(),
        2
    );
    assert_eq!(
        theirs
            .values()
            .iter()
            .map(|(p, _)| *p)
            .collect::<BTreeSet<_>>()
            .len(),
        2
    );
    assert_eq!(owners.values().collect::<BTreeSet<_>>().len(), 2);
    assert!(ours.stop(Signal::SIGTERM), "{}", ours.stderr());
    // rkafka left the group on close: kafka-python takes everything over quickly.
    let left = wait_for_balance(&b, "gm", 4, 1, Duration::from_secs(30));
    assert!(left.len() == 4);
    theirs.stop(Signal::SIGKILL);
}

#[test]
fn cooperative_sticky_members_hand_over_partitions_without_loss() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let b = broker.bootstrap();
    create_topic(&b, "coop", 4);
    broker.wait_for_topic("coop", 4, Duration::from_secs(20));
    let coop = [
        "--consumer-property",
        "partition.assignment.strategy=cooperative-sticky",
    ];
    let first = Member::rkafka("first", &b, &member_args("coop", "gc", &coop));
    let before = wait_for_balance(&b, "gc", 4, 1, Duration::from_secs(60));
    let a = values(0..200, "x");
    produce_keyed(&b, "coop", &a);
    wait_for(
        Duration::from_secs(60),
        "the first member to read 200",
        || first.values().len() >= 200,
    );
    let second = Member::rkafka("second", &b, &member_args("coop", "gc", &coop));
    let after = wait_for_balance(&b, "gc", 4, 2, Duration::from_secs(60));
    // Sticky: the first member kept two of its partitions under the same member id.
    let first_id = before.values().next().unwrap().clone();
    assert_eq!(
        after.values().filter(|v| **v == first_id).count(),
        2,
        "{after:?}"
    );
    let c = values(0..200, "y");
    produce_keyed(&b, "coop", &c);
    wait_for(Duration::from_secs(60), "all 400 records", || {
        let got = who_got(&[&first, &second]);
        a.iter().chain(c.iter()).all(|v| got.contains_key(v))
    });
    std::thread::sleep(Duration::from_millis(500));
    let got = who_got(&[&first, &second]);
    for v in a.iter().chain(c.iter()) {
        assert_eq!(got[v].len(), 1, "{v}: {:?}", got[v]);
    }
    assert!(!second.values().is_empty());
    assert!(
        first.stderr().contains("protocol cooperative-sticky"),
        "{}",
        first.stderr()
    );
}

#[test]
fn a_group_lives_through_a_coordinator_restart() {
    let mut broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let b = broker.bootstrap();
    create_topic(&b, "rs", 4);
    broker.wait_for_topic("rs", 4, Duration::from_secs(20));
    let members: Vec<Member> = (0..2)
        .map(|i| Member::rkafka(&format!("r{i}"), &b, &member_args("rs", "gr", &[])))
        .collect();
    wait_for_balance(&b, "gr", 4, 2, Duration::from_secs(60));
    let first = values(0..200, "p");
    produce_keyed(&b, "rs", &first);
    wait_for(
        Duration::from_secs(60),
        "200 records before the restart",
        || who_got(&members.iter().collect::<Vec<_>>()).len() >= 200,
    );
    // Let an auto commit go out, then restart the only broker (the coordinator).
    std::thread::sleep(Duration::from_millis(800));
    broker.restart();
    let second = values(0..200, "q");
    produce_keyed(&b, "rs", &second);
    wait_for(
        Duration::from_secs(90),
        "every record after the restart",
        || {
            let got = who_got(&members.iter().collect::<Vec<_>>());
            first
                .iter()
                .chain(second.iter())
                .all(|v| got.contains_key(v))
        },
    );
    let got = who_got(&members.iter().collect::<Vec<_>>());
    for v in &second {
        assert_eq!(got[v].len(), 1, "{v}: {:?}", got[v]);
    }
    // Both members are still in the group, sharing the partitions.
    wait_for_balance(&b, "gr", 4, 2, Duration::from_secs(60));
    for m in &members {
        assert!(
            m.stderr().contains("coordinator is broker"),
            "{}",
            m.stderr()
        );
    }
}

#[test]
fn rkafka_and_kafkas_verifiable_consumer_rebalance_cooperatively() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let b = broker.bootstrap();
    create_topic(&b, "vc", 4);
    broker.wait_for_topic("vc", 4, Duration::from_secs(20));
    let coop = [
        "--consumer-property",
        "partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
    ];
    // rkafka joins first and leads; Kafka's VerifiableConsumer joins the same group.
    let mut ours = Member::rkafka("rkafka", &b, &member_args("vc", "gv", &coop));
    wait_for_balance(&b, "gv", 4, 1, Duration::from_secs(60));
    let mut java = KafkaVersion::V4.java(256);
    java.arg("org.apache.kafka.tools.VerifiableConsumer").args([
        "--bootstrap-server",
        &b,
        "--topic",
        "vc",
        "--group-id",
        "gv",
        "--session-timeout",
        "6000",
        "--verbose",
        "--enable-autocommit",
        "--reset-policy",
        "earliest",
        "--assignment-strategy",
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
    ]);
    let mut theirs = Member::spawn("verifiable", java);
    wait_for_balance(&b, "gv", 4, 2, Duration::from_secs(90));
    let all = values(0..400, "v");
    produce_keyed(&b, "vc", &all);
    wait_for(Duration::from_secs(60), "400 records", || {
        let got = who_got(&[&ours, &theirs]);
        all.iter().all(|v| got.contains_key(v))
    });
    std::thread::sleep(Duration::from_millis(500));
    let got = who_got(&[&ours, &theirs]);
    for v in &all {
        assert_eq!(got[v].len(), 1, "{v}: {:?}", got[v]);
    }
    assert!(!ours.values().is_empty() && !theirs.values().is_empty());
    // rkafka leaves; Kafka's consumer takes everything; rkafka rejoins under Java's lead.
    assert!(ours.stop(Signal::SIGTERM), "{}", ours.stderr());
    wait_for_balance(&b, "gv", 4, 1, Duration::from_secs(60));
    let again = Member::rkafka("rkafka-again", &b, &member_args("vc", "gv", &coop));
    wait_for_balance(&b, "gv", 4, 2, Duration::from_secs(90));
    let more = values(0..200, "w");
    produce_keyed(&b, "vc", &more);
    wait_for(Duration::from_secs(60), "200 more records", || {
        let got = who_got(&[&again, &theirs]);
        more.iter().all(|v| got.contains_key(v))
    });
    let got = who_got(&[&again, &theirs]);
    for v in &more {
        assert_eq!(got[v].len(), 1, "{v}: {:?}", got[v]);
    }
    assert!(!again.values().is_empty(), "{}", again.stderr());
    assert!(again.stderr().contains("follower"), "{}", again.stderr());
    theirs.stop(Signal::SIGKILL);
}

/// Against rkafka's own broker (coordinator and broker as processes, the group coordinator
/// creating `__consumer_offsets` on first use): the default console-consumer-<random> group
/// reads every record.
#[test]
fn default_group_reads_everything_from_an_rkafka_broker() {
    use common::binary_cluster::BinaryCluster;
    let cluster = BinaryCluster::start("");
    cluster.create_topic("rk", 3, &[]);
    let b = cluster.bootstrap();
    let all = values(0..300, "z");
    produce_keyed(&b, "rk", &all);
    let mut m = Member::rkafka(
        "default",
        &b,
        &[
            "--topic",
            "rk",
            "--from-beginning",
            "--max-messages",
            "300",
            "--timeout-ms",
            "20000",
            "--property",
            "print.partition=true",
        ],
    );
    wait_for(Duration::from_secs(60), "the consumer to exit", || {
        m.stderr().contains("Processed a total of")
    });
    assert!(m.stop(Signal::SIGTERM), "{}", m.stderr());
    let got: BTreeSet<String> = m.values().into_iter().map(|(_, v)| v).collect();
    assert_eq!(m.values().len(), 300, "{}", m.stderr());
    assert!(all.iter().all(|v| got.contains(v)));
}
