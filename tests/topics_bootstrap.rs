//! `rkafka topics --bootstrap-server` against a real Apache Kafka 4.4 broker, side by side with
//! Kafka's own TopicCommand on the same broker: stdout and exit codes must be the same text.
//! Commands that change the cluster run twice on twin topics (`k…` by Kafka's tool, `r…` by
//! rkafka) and are compared with the names swapped; read-only commands are compared as is.
//! One broker serves the whole test (a JVM start is slow).

use std::process::Output;
use std::time::Duration;

mod common;
use common::kafka::{KafkaBroker, KafkaVersion, TOPIC_COMMAND, kafka_tool};
use common::{code, rkafka, stderr, stdout, wait_until};

struct Pair<'a> {
    bootstrap: &'a str,
}

impl Pair<'_> {
    fn kafka(&self, args: &[&str]) -> Output {
        let mut all = vec!["--bootstrap-server", self.bootstrap];
        all.extend_from_slice(args);
        kafka_tool(KafkaVersion::V4, TOPIC_COMMAND, &all, b"")
    }

    fn ours(&self, args: &[&str]) -> Output {
        let mut all = vec!["topics", "--bootstrap-server", self.bootstrap];
        all.extend_from_slice(args);
        rkafka(&all)
    }

    /// Runs the same command with both tools; stdout and exit code must match.
    fn same(&self, args: &[&str]) -> String {
        let k = self.kafka(args);
        let r = self.ours(args);
        assert_eq!(
            (stdout(&r), code(&r)),
            (stdout(&k), code(&k)),
            "{args:?}\nrkafka stderr: {}\nkafka stderr: {}",
            stderr(&r),
            stderr(&k)
        );
        stdout(&r)
    }

    /// Runs `args` with Kafka's tool and `args` with `k`→`r` in topic names with rkafka;
    /// the outputs must match with the same swap.
    fn twin(&self, args: &[&str]) -> String {
        let k = self.kafka(args);
        let swapped: Vec<String> = args.iter().map(|a| swap(a)).collect();
        let swapped: Vec<&str> = swapped.iter().map(String::as_str).collect();
        let r = self.ours(&swapped);
        assert_eq!(
            (stdout(&r), code(&r)),
            (swap(&stdout(&k)), code(&k)),
            "{args:?}\nrkafka stderr: {}\nkafka stderr: {}",
            stderr(&r),
            stderr(&k)
        );
        stdout(&r)
    }
}

/// `k-…`/`k.…` topic names become `r-…`/`r.…`.
fn swap(text: &str) -> String {
    text.replace("'k", "'r")
        .replace(" k", " r")
        .replace("\tk", "\tr")
        .replace("\nk", "\nr")
        .split_inclusive('\n')
        .map(|line| {
            if let Some(rest) = line.strip_prefix('k') {
                format!("r{rest}")
            } else {
                line.to_string()
            }
        })
        .collect()
}

#[test]
fn topic_command_output_matches_kafkas() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let bootstrap = broker.bootstrap();
    let p = Pair {
        bootstrap: &bootstrap,
    };

    // Creation, with the collision warning and configs.
    let out = p.twin(&[
        "--create",
        "--topic",
        "k.a_b",
        "--partitions",
        "2",
        "--replication-factor",
        "1",
        "--config",
        "retention.ms=1000",
        "--config",
        "cleanup.policy=compact",
    ]);
    assert!(out.ends_with("Created topic r.a_b.\n"), "{out}");
    assert!(out.starts_with("WARNING: Due to limitations"), "{out}");
    p.twin(&[
        "--create",
        "--topic",
        "k1",
        "--partitions",
        "3",
        "--replication-factor",
        "1",
    ]);
    p.twin(&["--create", "--topic", "k2", "--replica-assignment", "1,1"]);
    p.twin(&["--create", "--topic", "k3"]);

    // Refusals, identical text and exit 1.
    let out = p.same(&[
        "--create",
        "--topic",
        "k1",
        "--partitions",
        "1",
        "--replication-factor",
        "1",
    ]);
    assert_eq!(
        out,
        "Error while executing topic command : Topic 'k1' already exists.\n"
    );
    let out = p.same(&[
        "--create",
        "--topic",
        "k1",
        "--partitions",
        "1",
        "--replication-factor",
        "1",
        "--if-not-exists",
    ]);
    assert_eq!(out, "");
    let out = p.same(&[
        "--create",
        "--topic",
        "x",
        "--partitions",
        "1",
        "--replication-factor",
        "3",
    ]);
    assert!(
        out.contains("Unable to replicate the partition 3 time(s)"),
        "{out}"
    );
    p.same(&[
        "--create",
        "--topic",
        "x",
        "--partitions",
        "0",
        "--replication-factor",
        "1",
    ]);
    p.same(&[
        "--create",
        "--topic",
        "x",
        "--partitions",
        "1",
        "--replication-factor",
        "0",
    ]);
    p.same(&[
        "--create",
        "--topic",
        "bad!",
        "--partitions",
        "1",
        "--replication-factor",
        "1",
    ]);
    p.same(&["--create", "--topic", "x", "--replica-assignment", "2"]);
    p.same(&["--create", "--topic", "x", "--config", "retention.ms=soon"]);
    p.same(&["--create", "--topic", "x", "--config", "no.such.config=1"]);

    // Growing partitions.
    assert_eq!(
        p.twin(&["--alter", "--topic", "k1", "--partitions", "5"]),
        ""
    );
    let out = p.twin(&["--alter", "--topic", "k1", "--partitions", "2"]);
    assert!(out.contains("would not be an increase"), "{out}");
    p.twin(&[
        "--alter",
        "--topic",
        "k2",
        "--partitions",
        "3",
        "--replica-assignment",
        "1,1,1",
    ]);
    p.same(&["--alter", "--topic", "nope", "--partitions", "5"]);
    p.same(&[
        "--alter",
        "--topic",
        "nope",
        "--partitions",
        "5",
        "--if-exists",
    ]);

    // Wait until the broker reports every new partition with a leader, so both tools see the
    // same settled state.
    assert!(wait_until(Duration::from_secs(20), || {
        broker.metadata(None).is_ok_and(|m| {
            m.topics.len() == 8
                && m.topics
                    .iter()
                    .all(|t| t.partitions.iter().all(|p| p.leader_id >= 0))
        })
    }));

    // Read-only views of the same cluster.
    let list = p.same(&["--list"]);
    assert_eq!(list, "k.a_b\nk1\nk2\nk3\nr.a_b\nr1\nr2\nr3\n");
    p.same(&["--list", "--exclude-internal", "--topic", "r.*"]);
    assert_eq!(p.same(&["--list", "--topic", "none.*"]), "\n");
    let all = p.same(&["--describe"]);
    assert!(
        all.contains("Configs: min.insync.replicas=1,cleanup.policy=compact,retention.ms=1000"),
        "{all}"
    );
    assert!(
        all.contains(
            "\tTopic: r1\tPartition: 4\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n"
        ),
        "{all}"
    );
    p.same(&["--describe", "--topic", "r1,k.a_b"]);
    p.same(&["--describe", "--topic", "nope"]);
    p.same(&["--describe", "--topic", "nope", "--if-exists"]);
    p.same(&["--describe", "--topics-with-overrides"]);
    p.same(&["--describe", "--under-replicated-partitions"]);
    p.same(&["--describe", "--unavailable-partitions"]);
    p.same(&["--describe", "--under-min-isr-partitions"]);
    let at_min = p.same(&[
        "--describe",
        "--at-min-isr-partitions",
        "--exclude-internal",
    ]);
    assert_eq!(at_min.lines().count(), 22, "{at_min}");

    // Deletion: nothing printed; unknown topics refused.
    assert_eq!(p.twin(&["--delete", "--topic", "k3"]), "");
    p.same(&["--delete", "--topic", "nope"]);
    p.same(&["--delete", "--topic", "nope", "--if-exists"]);
    assert!(wait_until(Duration::from_secs(20), || {
        stdout(&p.ours(&["--list"])) == "k.a_b\nk1\nk2\nr.a_b\nr1\nr2\n"
    }));

    // Beyond Kafka 4's tool (which refuses --alter --config): overrides through
    // IncrementalAlterConfigs, seen by Kafka's own describe.
    let out = p.ours(&["--alter", "--topic", "r1", "--config", "retention.ms=5000"]);
    assert_eq!(
        stdout(&out),
        "Updated config for topic r1.\n",
        "{}",
        stderr(&out)
    );
    let out = p.ours(&[
        "--alter",
        "--topic",
        "r.a_b",
        "--delete-config",
        "retention.ms",
        "--config",
        "segment.ms=100000",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let seen = stdout(&p.kafka(&["--describe", "--topics-with-overrides", "--topic", "r.*"]));
    assert!(
        seen.contains("Topic: r1\t") && seen.contains("retention.ms=5000"),
        "{seen}"
    );
    assert!(
        seen.contains("cleanup.policy=compact,segment.ms=100000\n"),
        "{seen}"
    );
    let out = p.ours(&["--alter", "--topic", "r1", "--config", "retention.ms=soon"]);
    assert_eq!(code(&out), 1);

    // JSON output and a --command-config file.
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("admin.properties");
    std::fs::write(&props, "request.timeout.ms=15000\nclient.id=topics-test\n").unwrap();
    let out = p.ours(&[
        "--describe",
        "--topic",
        "r1",
        "--output",
        "json",
        "--command-config",
        props.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["topics"][0]["name"], "r1");
    assert_eq!(v["topics"][0]["partition_count"], 5);
    assert_eq!(v["topics"][0]["configs"]["retention.ms"], "5000");
    std::fs::write(&props, "security.protocol=SSL\n").unwrap();
    let out = p.ours(&["--list", "--command-config", props.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn unreachable_bootstrap_server_fails_with_exit_1() {
    let port = common::free_port();
    let addr = format!("127.0.0.1:{port}");
    let out = rkafka(&["topics", "--bootstrap-server", &addr, "--list"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).starts_with("Error while executing topic command : "));
    assert!(stderr(&out).contains(&addr), "{}", stderr(&out));
}
