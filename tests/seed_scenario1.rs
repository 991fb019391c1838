//! The seed's scenario 1, typed as the operator typed it, through the `bin/` wrappers named
//! like Kafka's scripts: start the coordinator and a broker with the shipped configs (default
//! ports 2181 and 9092), create the topic with `kafka-topics.sh --zookeeper`, list and describe
//! it, produce 10,000 lines with kcat (lz4) and consume them from the beginning with kcat.
//!
//! It runs in a scratch copy of `bin/` and `config/` (with `rkafka` beside the wrappers), so the
//! configs' relative data directories land in a temporary directory.

mod common;
use common::kafka::{kcat, kcat_ok};
use common::*;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Copies the committed `bin/` wrappers and `config/` files into `dir`, with `bin/rkafka`
/// linked to the binary under test.
fn install(dir: &Path) {
    for sub in ["bin", "config"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(repo_root().join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name())).unwrap();
        }
    }
    link_as(&dir.join("bin"), "rkafka");
}

/// Runs one of the operator's command lines (`bin/x.sh args...`) in `dir` through `sh`.
fn typed(dir: &Path, line: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn spawn(dir: &Path, line: &str, log: &str) -> KillOnDrop {
    let out = std::fs::File::create(dir.join(log)).unwrap();
    let err = out.try_clone().unwrap();
    KillOnDrop(
        Command::new("sh")
            .arg("-c")
            .arg(format!("exec {line}"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap(),
    )
}

fn log_of(dir: &Path, log: &str) -> String {
    std::fs::read_to_string(dir.join(log)).unwrap_or_default()
}

#[test]
fn scenario_1_single_broker_as_typed_in_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    install(dir);

    let _zk = spawn(
        dir,
        "bin/zookeeper-server-start.sh config/zookeeper.properties",
        "zookeeper.log",
    );
    // `srvr` is the one four-letter word ZooKeeper's default whitelist allows (as the shipped
    // config leaves it), so readiness is asked the way an operator could.
    assert!(
        wait_until(Duration::from_secs(20), || four_letter_word(2181, "srvr")
            .is_some_and(|a| a.starts_with("Zookeeper version:"))),
        "coordinator did not start:\n{}",
        log_of(dir, "zookeeper.log")
    );
    let _broker = spawn(
        dir,
        "bin/kafka-server-start.sh config/server.properties",
        "server.log",
    );
    assert!(
        wait_until(Duration::from_secs(30), || kcat(
            &["-L", "-b", "localhost:9092", "-m", "2"],
            b""
        )
        .status
        .success()),
        "broker did not start:\n{}",
        log_of(dir, "server.log")
    );

    let create = typed(
        dir,
        "bin/kafka-topics.sh --create --zookeeper localhost:2181 --replication-factor 1 --partitions 6 --topic test",
    );
    assert_eq!(code(&create), 0, "{}", stderr(&create));
    assert_eq!(stdout(&create), "Created topic test.\n");

    let list = typed(dir, "bin/kafka-topics.sh --list --zookeeper localhost:2181");
    assert_eq!(code(&list), 0, "{}", stderr(&list));
    assert_eq!(stdout(&list), "test\n");

    // The controller elects a leader for every partition; describe shows broker 0 leading all.
    let mut describe = String::new();
    let led = wait_until(Duration::from_secs(20), || {
        let out = typed(
            dir,
            "bin/kafka-topics.sh --describe --zookeeper localhost:2181 --topic test",
        );
        describe = stdout(&out);
        describe.matches("\tLeader: 0\t").count() == 6
    });
    assert!(led, "partitions without leader:\n{describe}");
    let mut lines = describe.lines();
    let head = lines.next().unwrap();
    assert!(
        head.starts_with("Topic: test\tTopicId: ")
            && head.ends_with("\tPartitionCount: 6\tReplicationFactor: 1\tConfigs: "),
        "{head}"
    );
    // Kafka 3.9's TopicCommand prints the (KRaft-only) ELR columns as N/A in ZooKeeper mode too.
    for (p, line) in lines.enumerate() {
        assert_eq!(
            line,
            format!(
                "\tTopic: test\tPartition: {p}\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: N/A\tLastKnownElr: N/A"
            )
        );
    }

    let sent: Vec<String> = (0..10_000)
        .map(|i| format!("line {i:05} of the seed"))
        .collect();
    let input = sent.join("\n") + "\n";
    kcat_ok(
        &["-P", "-b", "localhost:9092", "-t", "test", "-z", "lz4"],
        input.as_bytes(),
    );
    let out = kcat_ok(
        &[
            "-C",
            "-b",
            "localhost:9092",
            "-t",
            "test",
            "-o",
            "beginning",
            "-e",
            "-q",
        ],
        b"",
    );
    let got: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(
        got.len(),
        sent.len(),
        "consumed a different number of lines"
    );
    assert_eq!(
        got.into_iter().collect::<BTreeSet<_>>(),
        sent.into_iter().collect::<BTreeSet<_>>()
    );
}
