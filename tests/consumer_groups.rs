//! `rkafka consumer-groups` against a real Apache Kafka 4.4 broker, side by side with Kafka's
//! own ConsumerGroupCommand: the same arguments must print the same stdout and exit with the
//! same code (list, describe offsets / members / state, reset-offsets dry-run, export and
//! execute, delete-offsets, delete, Kafka's refusals), with groups made by kafka-python
//! consumers (an active one and several empty ones with committed offsets).
//!
//! One broker serves every check (a JVM takes seconds to start). Destructive checks run each
//! tool on its own group, prepared identically, and compare the text with the group names
//! swapped.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::kafka::{
    CONSUMER_GROUP_COMMAND, KafkaBroker, KafkaVersion, TOPIC_COMMAND, kafka_tool, kafka_tool_ok,
    kcat_ok,
};
use common::{code, rkafka, stderr, stdout};

/// kafka-python: for each group in argv[3..], subscribe to the topic, consume `count`
/// records (argv[2]), commit and leave; with a group prefixed `+`, stay in the group
/// (printing "ready" once the commit is done) until stdin closes.
const PY_CONSUMER: &str = r#"
import sys, time
from kafka import KafkaConsumer
bootstrap, topic, count = sys.argv[1], 'events', int(sys.argv[2])
for group in sys.argv[3:]:
    stay = group.startswith('+')
    group = group.lstrip('+')
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                      client_id='py-' + group, auto_offset_reset='earliest',
                      enable_auto_commit=False)
    n, deadline = 0, time.time() + 30
    while n < count and time.time() < deadline:
        for _, msgs in c.poll(timeout_ms=300).items():
            n += len(msgs)
    if n < count:
        sys.exit('group %s consumed %d of %d' % (group, n, count))
    c.commit()
    if stay:
        print('ready', flush=True)
        while sys.stdin.read(1):
            c.poll(timeout_ms=100)
    c.close()
"#;

/// Records per partition of `events` (3 partitions; the last stays empty).
const RECORDS: [usize; 3] = [10, 5, 0];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs kafka-python's consumers for `groups` and waits for them to finish.
fn consume(bootstrap: &str, groups: &[&str]) {
    let total: usize = RECORDS.iter().sum();
    let out = Command::new("python3")
        .arg("-c")
        .arg(PY_CONSUMER)
        .arg(bootstrap)
        .arg(total.to_string())
        .args(groups)
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "kafka-python: {}", text(&out.stderr));
}

/// An active kafka-python member of `group`, alive until dropped.
struct ActiveMember(Child);

impl ActiveMember {
    fn start(bootstrap: &str, group: &str) -> ActiveMember {
        let total: usize = RECORDS.iter().sum();
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(PY_CONSUMER)
            .arg(bootstrap)
            .arg(total.to_string())
            .arg(format!("+{group}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("read");
        assert_eq!(line.trim(), "ready", "the active member did not get ready");
        ActiveMember(child)
    }
}

impl Drop for ActiveMember {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kafka(bootstrap: &str, args: &[&str]) -> Output {
    kafka_of(KafkaVersion::V4, bootstrap, args)
}

fn kafka_of(version: KafkaVersion, bootstrap: &str, args: &[&str]) -> Output {
    let mut all = vec!["--bootstrap-server", bootstrap];
    all.extend_from_slice(args);
    kafka_tool(version, CONSUMER_GROUP_COMMAND, &all, b"")
}

fn ours(bootstrap: &str, args: &[&str]) -> Output {
    let mut all = vec!["consumer-groups", "--bootstrap-server", bootstrap];
    all.extend_from_slice(args);
    rkafka(&all)
}

/// Runs both tools with `args`; asserts the same stdout and exit code; returns rkafka's run.
fn same(bootstrap: &str, args: &[&str]) -> Output {
    same_as(KafkaVersion::V4, bootstrap, args)
}

/// [`same`] against Kafka `version`'s tool.
fn same_as(version: KafkaVersion, bootstrap: &str, args: &[&str]) -> Output {
    let k = kafka_of(version, bootstrap, args);
    let r = ours(bootstrap, args);
    assert_eq!(
        (stdout(&r), code(&r)),
        (stdout(&k), code(&k)),
        "rkafka (left) and Kafka (right) differ for {args:?}\nrkafka stderr: {}\nKafka stderr: {}",
        stderr(&r),
        common::kafka::tail(&stderr(&k), 8)
    );
    r
}

/// Runs Kafka's tool on `theirs` and rkafka on `mine` (groups prepared alike) with `args`
/// naming the group as `{}`; asserts the same stdout (group names swapped) and exit code.
fn same_on_twins(bootstrap: &str, args: &[&str], theirs: &str, mine: &str) -> Output {
    let with = |g: &str| -> Vec<String> { args.iter().map(|a| a.replace("{}", g)).collect() };
    let k_args = with(theirs);
    let r_args = with(mine);
    let k = kafka(
        bootstrap,
        &k_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let r = ours(
        bootstrap,
        &r_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(
        (stdout(&r).replace(mine, theirs), code(&r)),
        (stdout(&k), code(&k)),
        "rkafka (left) and Kafka (right) differ for {args:?}\nrkafka stderr: {}",
        stderr(&r)
    );
    r
}

fn setup(version: KafkaVersion) -> (KafkaBroker, String) {
    let broker = KafkaBroker::start_kraft(version);
    let bootstrap = broker.bootstrap();
    for (topic, partitions) in [("events", "3"), ("other", "2")] {
        kafka_tool_ok(
            version,
            TOPIC_COMMAND,
            &[
                "--bootstrap-server",
                &bootstrap,
                "--create",
                "--topic",
                topic,
                "--partitions",
                partitions,
            ],
            b"",
        );
        broker.wait_for_topic(topic, partitions.parse().unwrap(), Duration::from_secs(30));
    }
    for (p, n) in RECORDS.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        let lines: String = (0..*n).map(|i| format!("p{p}-{i}\n")).collect();
        kcat_ok(
            &["-b", &bootstrap, "-P", "-t", "events", "-p", &p.to_string()],
            lines.as_bytes(),
        );
    }
    (broker, bootstrap)
}

#[test]
fn same_output_as_kafkas_consumer_group_command() {
    let (_broker, bootstrap) = setup(KafkaVersion::V4);
    let b = bootstrap.as_str();
    // Names chosen so no two share a Java HashMap bucket: Kafka's order among colliding
    // group ids follows an internal map of its admin client.
    consume(
        b,
        &[
            "idle", "reset-k", "reset-r", "doffs-c", "doffs-r", "gone-k", "gone-r",
        ],
    );
    let _active = ActiveMember::start(b, "busy");

    // Listing, plain and with states; the seed's single-dash spelling too.
    let list = same(b, &["--list"]);
    for g in ["idle", "busy", "reset-k"] {
        assert!(stdout(&list).lines().any(|l| l == g), "{}", stdout(&list));
    }
    let links = tempfile::tempdir().unwrap();
    let script = common::link_as(links.path(), "kafka-consumer-groups.sh");
    let seed = Command::new(&script)
        .args(["-bootstrap-server", b, "-list"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(stdout(&seed), stdout(&list), "{}", stderr(&seed));
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        "request.timeout.ms=20000\nclient.id=admin-x\n",
    )
    .unwrap();
    let config = config.path().to_str().unwrap();
    same(b, &["--list", "--command-config", config]);
    let states = same(b, &["--list", "--state"]);
    assert!(stdout(&states).contains("Stable"), "{}", stdout(&states));
    same(b, &["--list", "--state", "empty"]);

    // Describe: offsets (default, --offsets, --verbose), members, state; one group, several,
    // all of them; a group that does not exist.
    let idle = same(b, &["--describe", "--group", "idle"]);
    assert!(
        stdout(&idle).contains(
            "idle            events          0          10              10              0"
        ),
        "{}",
        stdout(&idle)
    );
    assert!(
        stderr(&idle).contains("Consumer group 'idle' has no active members."),
        "{}",
        stderr(&idle)
    );
    let busy = same(
        b,
        &["--describe", "--group", "busy", "--offsets", "--verbose"],
    );
    assert!(stdout(&busy).contains("py-busy"), "{}", stdout(&busy));
    same(b, &["--describe", "--group", "busy", "--group", "idle"]);
    same(b, &["--describe", "--all-groups"]);
    let members = same(b, &["--describe", "--group", "busy", "--members"]);
    assert!(
        stdout(&members).contains("#PARTITIONS"),
        "{}",
        stdout(&members)
    );
    same(
        b,
        &["--describe", "--group", "busy", "--members", "--verbose"],
    );
    same(b, &["--describe", "--group", "idle", "--members"]);
    let state = same(b, &["--describe", "--group", "busy", "--state"]);
    assert!(stdout(&state).contains("range"), "{}", stdout(&state));
    same(b, &["--describe", "--all-groups", "--state", "--verbose"]);
    let missing = same(b, &["--describe", "--group", "nosuch"]);
    assert!(stdout(&missing).contains("Error: "), "{}", stdout(&missing));

    // Reset plans (dry runs): every scenario and scope; an active group is refused.
    let plan = same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--all-topics",
            "--to-earliest",
            "--dry-run",
        ],
    );
    assert!(stdout(&plan).contains("NEW-OFFSET"), "{}", stdout(&plan));
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--topic",
            "events",
            "--to-latest",
        ],
    );
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--topic",
            "events:0,2",
            "--to-offset",
            "7",
            "--dry-run",
        ],
    );
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--group",
            "busy",
            "--all-topics",
            "--shift-by",
            "-3",
            "--dry-run",
        ],
    );
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--all-topics",
            "--to-datetime",
            "2020-01-01T00:00:00.000",
            "--dry-run",
        ],
    );
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--topic",
            "other",
            "--by-duration",
            "PT1H",
            "--dry-run",
        ],
    );
    let csv = same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--all-topics",
            "--to-current",
            "--export",
            "--dry-run",
        ],
    );
    assert!(stdout(&csv).contains("events,0,10"), "{}", stdout(&csv));
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--group",
            "reset-k",
            "--all-topics",
            "--to-latest",
            "--export",
            "--dry-run",
        ],
    );
    let plan_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(plan_file.path(), "events,0,4\nevents,1,99\n").unwrap();
    let file = plan_file.path().to_str().unwrap();
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--from-file",
            file,
            "--dry-run",
        ],
    );

    // Refusals and failures: Kafka's messages and exit codes.
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--topic",
            "other",
            "--shift-by",
            "1",
            "--dry-run",
        ],
    );
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--topic",
            "nosuch:0",
            "--to-earliest",
            "--dry-run",
        ],
    );
    same(
        b,
        &[
            "--reset-offsets",
            "--group",
            "idle",
            "--topic",
            "events:9",
            "--to-earliest",
            "--dry-run",
        ],
    );
    same(b, &["--describe"]);
    same(b, &["--list", "--group", "idle"]);

    // Destructive actions, each tool on its own twin group.
    let exec = same_on_twins(
        b,
        &[
            "--reset-offsets",
            "--group",
            "{}",
            "--topic",
            "events:0",
            "--to-offset",
            "3",
            "--execute",
        ],
        "reset-k",
        "reset-r",
    );
    assert!(stdout(&exec).contains("reset-r"), "{}", stdout(&exec));
    let after = same_on_twins(b, &["--describe", "--group", "{}"], "reset-k", "reset-r");
    assert!(
        stdout(&after).contains("events          0          3               10              7"),
        "{}",
        stdout(&after)
    );
    same_on_twins(
        b,
        &[
            "--delete-offsets",
            "--group",
            "{}",
            "--topic",
            "events:1",
            "--topic",
            "other",
        ],
        "doffs-c",
        "doffs-r",
    );
    same_on_twins(b, &["--describe", "--group", "{}"], "doffs-c", "doffs-r");
    same(
        b,
        &["--delete-offsets", "--group", "busy", "--topic", "events"],
    );
    let refused = same(b, &["--delete", "--group", "busy"]);
    assert!(
        stdout(&refused).contains("GroupNotEmptyException: The group is not empty."),
        "{}",
        stdout(&refused)
    );
    let deleted = same_on_twins(b, &["--delete", "--group", "{}"], "gone-k", "gone-r");
    assert!(
        stdout(&deleted).contains("was successful"),
        "{}",
        stdout(&deleted)
    );
    same(b, &["--delete", "--group", "gone-k", "--group", "busy"]);
    let list_after = ours(b, &["--list"]);
    assert!(
        !stdout(&list_after).contains("gone-r"),
        "{}",
        stdout(&list_after)
    );

    // rkafka's own: JSON and the watch view.
    let json = ours(b, &["--describe", "--group", "idle", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(v[0]["group"], "idle");
    assert_eq!(v[0]["state"], "Empty");
    let rows = v[0]["offsets"].as_array().expect("offsets");
    assert!(
        rows.iter()
            .any(|r| r["partition"] == 0 && r["current_offset"] == 10 && r["lag"] == 0),
        "{v}"
    );
    let mut watch = Command::new(common::rkafka_bin())
        .args([
            "consumer-groups",
            "--bootstrap-server",
            b,
            "--describe",
            "--group",
            "busy",
            "--watch",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(3500) {
        std::thread::sleep(Duration::from_millis(100));
    }
    watch.kill().unwrap();
    let out = watch.wait_with_output().unwrap();
    let shown = stdout(&out);
    assert!(shown.matches("Every 1s").count() >= 2, "{shown}");
    assert!(shown.contains("LAG/S"), "{shown}");
    assert!(
        shown.contains("+0.0"),
        "a second sample has a rate: {shown}"
    );
}

/// Against Kafka 3.9 (broker and tool). rkafka prints Kafka 4's text (what the test above
/// proves); 3.9's is the same for these views except for the empty line Kafka 4.0 added
/// after a table, which the comparison ignores. Known 3.9-only differences, not emulated:
/// several groups' offsets tables (3.9 ran them together without a line break),
/// `--describe --state` (3.9 pads GROUP to 25 and STATE to 15), the reset table (3.9 printed
/// it with fixed 30-wide columns and no line breaks), `--delete` failures (3.9 prefixed
/// "java.util.concurrent.ExecutionException: "), and an unknown group (3.9: "Error: Consumer
/// group 'g' does not exist."; Kafka 4 against a broker with ConsumerGroupDescribe: "Group g
/// not found.").
#[test]
fn same_output_as_kafka_3_9() {
    let v = KafkaVersion::V3_9;
    let (_broker, bootstrap) = setup(v);
    let b = bootstrap.as_str();
    consume(b, &["idle"]);
    let _active = ActiveMember::start(b, "busy");
    for args in [
        &["--list"][..],
        &["--list", "--state"],
        &["--describe", "--group", "idle"],
        &["--describe", "--group", "busy", "--members"],
    ] {
        let k = kafka_of(v, b, args);
        let r = ours(b, args);
        let (ko, ro) = (stdout(&k), stdout(&r));
        assert!(ro.contains("idle") || ro.contains("busy"), "{args:?}: {ro}");
        assert_eq!(
            (ro.trim_end_matches('\n'), code(&r)),
            (ko.trim_end_matches('\n'), code(&k)),
            "{args:?}: rkafka (left) and Kafka 3.9 (right) differ"
        );
    }
}
