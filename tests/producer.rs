//! rkafka's producer, console-producer and producer-perf-test against a real Apache Kafka 4.4
//! KRaft broker: lines, keys and headers read back by Kafka's own ConsoleConsumer, keyed
//! partition choice compared with Kafka's ConsoleProducer, every codec read by kcat and
//! kafka-python, acks 0/1/all, bad input, Kafka's perf-test lines, and an idempotent stream
//! that survives a broker restart. Two broker starts in all.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::kafka::{
    CONSOLE_CONSUMER, KafkaBroker, KafkaVersion, kafka_tool_ok, kcat_ok, run_bounded,
};
use common::{code, stderr, stdout};

const V: KafkaVersion = KafkaVersion::V4;

fn rkafka(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rkafka"));
    cmd.args(args);
    run_bounded(cmd, stdin, Duration::from_secs(60))
}

fn rkafka_ok(args: &[&str], stdin: &[u8]) -> Output {
    let out = rkafka(args, stdin);
    assert!(
        out.status.success(),
        "rkafka {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    out
}

fn python(script: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).args(args);
    let out = run_bounded(cmd, b"", Duration::from_secs(60));
    assert!(
        out.status.success(),
        "python failed ({}); run tests/interop/setup.sh if kafka-python is missing\n{}\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    out
}

/// Creates topics with kafka-python's admin client (no JVM start): `name:partitions` each.
fn create_topics(bootstrap: &str, topics: &[(&str, i32)]) {
    let spec: Vec<String> = topics.iter().map(|(t, p)| format!("{t}:{p}")).collect();
    python(
        r#"
import sys
from kafka.admin import KafkaAdminClient, NewTopic
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=20000)
new = [NewTopic(s.split(":")[0], int(s.split(":")[1]), 1) for s in sys.argv[2:]]
admin.create_topics(new, timeout_ms=20000)
admin.close()
"#,
        &std::iter::once(bootstrap)
            .chain(spec.iter().map(String::as_str))
            .collect::<Vec<_>>(),
    );
}

/// Every record of `topic` as kcat prints it with `format`, until the end of the partitions.
fn kcat_read(bootstrap: &str, topic: &str, format: &str) -> String {
    let out = kcat_ok(
        &[
            "-C",
            "-b",
            bootstrap,
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            format,
        ],
        b"",
    );
    stdout(&out)
}

fn producer_args<'a>(bootstrap: &'a str, topic: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "console-producer",
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn console_producer_interop_with_kafka_4() {
    let broker = KafkaBroker::start_kraft(V);
    let boot = broker.bootstrap();
    let b = boot.as_str();
    create_topics(
        b,
        &[
            ("lines", 1),
            ("parity-java", 8),
            ("parity-rkafka", 8),
            ("codecs", 1),
            ("acks", 1),
        ],
    );
    for (t, p) in [("lines", 1), ("parity-java", 8), ("parity-rkafka", 8)] {
        broker.wait_for_topic(t, p, Duration::from_secs(30));
    }

    // 1. Lines with headers, keys and null markers -> Kafka's ConsoleConsumer prints them back.
    let input = "h1:v1,h2:v2\tk1\tfirst line\n\
                 h3:x\tk2\tsecond\twith tab\n\
                 NULL\tk3\tno headers\n\
                 h4:NULL\tNULL\tnull key\n\
                 h5:y\tk5\t\n";
    let props = [
        "--property",
        "parse.key=true",
        "--property",
        "parse.headers=true",
        "--property",
        "null.marker=NULL",
    ];
    let mut args = producer_args(b, "lines", &props);
    args.extend_from_slice(&["--compression-codec", "lz4"]);
    let out = rkafka_ok(&args, input.as_bytes());
    assert!(
        stdout(&out).is_empty(),
        "no prompt when stdin is not a terminal: {}",
        stdout(&out)
    );
    let consumed = kafka_tool_ok(
        V,
        CONSOLE_CONSUMER,
        &[
            "--bootstrap-server",
            b,
            "--topic",
            "lines",
            "--from-beginning",
            "--max-messages",
            "5",
            "--timeout-ms",
            "30000",
            "--formatter-property",
            "print.key=true",
            "--formatter-property",
            "print.headers=true",
        ],
        b"",
    );
    assert_eq!(
        stdout(&consumed),
        "h1:v1,h2:v2\tk1\tfirst line\n\
         h3:x\tk2\tsecond\twith tab\n\
         NO_HEADERS\tk3\tno headers\n\
         h4:null\tnull\tnull key\n\
         h5:y\tk5\t\n",
        "{}",
        stderr(&consumed)
    );

    // 2. Partitioner parity: 1,000 keys through Kafka's ConsoleProducer and through rkafka.
    let keyed: String = (0..1000).map(|i| format!("key-{i}\tvalue-{i}\n")).collect();
    let java_args = [
        "--bootstrap-server",
        b,
        "--topic",
        "parity-java",
        "--property",
        "parse.key=true",
    ];
    kafka_tool_ok(V, V.console_producer(), &java_args, keyed.as_bytes());
    rkafka_ok(
        &producer_args(b, "parity-rkafka", &["--property", "parse.key=true"]),
        keyed.as_bytes(),
    );
    let placement = |topic: &str| -> BTreeMap<String, String> {
        kcat_read(b, topic, "%k %p\n")
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(k, p)| (k.to_string(), p.to_string()))
            .collect()
    };
    let java = placement("parity-java");
    let ours = placement("parity-rkafka");
    assert_eq!(java.len(), 1000);
    assert_eq!(
        ours, java,
        "rkafka puts keys where Kafka's Java producer does"
    );
    let used: std::collections::BTreeSet<&String> = ours.values().collect();
    assert_eq!(used.len(), 8, "1,000 keys spread over all 8 partitions");

    // 3. Every codec produced by rkafka is read by kcat and kafka-python.
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let lines: String = (0..50)
            .map(|i| format!("{codec}-{i}-{}\n", "x".repeat(i)))
            .collect();
        rkafka_ok(
            &producer_args(b, "codecs", &["--compression-codec", codec]),
            lines.as_bytes(),
        );
    }
    let expected: Vec<String> = ["none", "gzip", "snappy", "lz4", "zstd"]
        .iter()
        .flat_map(|c| (0..50).map(move |i| format!("{c}-{i}-{}", "x".repeat(i))))
        .collect();
    let by_kcat: Vec<String> = kcat_read(b, "codecs", "%s\n")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(by_kcat, expected);
    let by_python = python(
        r#"
import sys
from kafka import KafkaConsumer
c = KafkaConsumer("codecs", bootstrap_servers=sys.argv[1], auto_offset_reset="earliest",
                  consumer_timeout_ms=10000, enable_auto_commit=False)
n = 0
for m in c:
    print(m.value.decode())
    n += 1
    if n == 250:
        break
c.close()
"#,
        &[b],
    );
    let by_python: Vec<String> = stdout(&by_python).lines().map(String::from).collect();
    assert_eq!(by_python, expected);
    // The batches really carry each codec: Kafka's own segment shows it.
    let dumped = rkafka_ok(
        &[
            "dump-log",
            "--files",
            broker
                .dir()
                .join("data/codecs-0/00000000000000000000.log")
                .to_str()
                .unwrap(),
        ],
        b"",
    );
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        assert!(
            stdout(&dumped).contains(&format!("compresscodec: {codec} ")),
            "{codec} batch missing:\n{}",
            stdout(&dumped)
        );
    }

    // 4. acks 0, 1 and all each deliver.
    for acks in ["0", "1", "all"] {
        let lines: String = (0..20).map(|i| format!("acks{acks}-{i}\n")).collect();
        let mut args = producer_args(b, "acks", &["--request-required-acks", acks]);
        if acks == "1" {
            // Kafka 3.x's deprecated spelling, single-dash as jopt-simple allowed.
            args[1] = "-broker-list";
        }
        rkafka_ok(&args, lines.as_bytes());
    }
    let acked = kcat_read(b, "acks", "%s\n");
    for acks in ["0", "1", "all"] {
        let n = acked
            .lines()
            .filter(|l| l.starts_with(&format!("acks{acks}-")))
            .count();
        assert_eq!(n, 20, "acks={acks}:\n{acked}");
    }

    // 5. A non-UTF-8 line: rkafka sends what Kafka's console producer sends.
    rkafka_ok(&producer_args(b, "utf8-rkafka", &[]), b"a\xffb\n");
    kafka_tool_ok(
        V,
        V.console_producer(),
        &["--bootstrap-server", b, "--topic", "utf8-java"],
        b"a\xffb\n",
    );
    let hex = |t: &str| {
        let out = kcat_ok(
            &[
                "-C",
                "-b",
                b,
                "-t",
                t,
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%s",
            ],
            b"",
        );
        out.stdout
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    assert_eq!(hex("utf8-rkafka"), hex("utf8-java"));

    // 6. Bad input: a line without the key separator, malformed --property.
    let bad = rkafka(
        &producer_args(b, "lines", &["--property", "parse.key=true"]),
        b"nokey\n",
    );
    assert_eq!(code(&bad), 1, "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("No key separator found on line number 1: 'nokey'"),
        "{}",
        stderr(&bad)
    );
    let bad = rkafka(
        &producer_args(b, "lines", &["--property", "parse.key"]),
        b"x\n",
    );
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
    assert!(stderr(&bad).contains("parse.key"), "{}", stderr(&bad));

    // 7. producer-perf-test prints Kafka's lines.
    let perf = rkafka_ok(
        &[
            "producer-perf-test",
            "--topic",
            "perf",
            "--num-records",
            "3000",
            "--record-size",
            "1024",
            "--throughput",
            "-1",
            "--reporting-interval",
            "100",
            "--producer-props",
            &format!("bootstrap.servers={b}"),
            "acks=1",
        ],
        b"",
    );
    let text = stdout(&perf);
    let last = text.lines().last().unwrap_or_default();
    let summary = regex_lite(
        last,
        &[
            "3000 records sent, ",
            " records/sec (",
            " MB/sec), ",
            " ms avg latency, ",
            " ms max latency, ",
            " ms 50th, ",
            " ms 95th, ",
            " ms 99th, ",
            " ms 99.9th.",
        ],
    );
    assert!(summary, "summary line: {text}");
    let windows: Vec<&str> = text.lines().filter(|l| *l != last).collect();
    for w in &windows {
        let ok = w.split_once(" records sent, ").is_some_and(|(n, rest)| {
            n.chars().all(|c| c.is_ascii_digit())
                && regex_lite(
                    &format!("X{rest}"),
                    &[
                        "X",
                        " records/sec (",
                        " MB/sec), ",
                        " ms avg latency, ",
                        " ms max latency.",
                    ],
                )
        });
        assert!(ok, "window line in Kafka's format: {w}");
    }
    let topic_count = kcat_read(b, "perf", "%o\n").lines().count();
    assert_eq!(topic_count, 3000);
}

/// A tiny matcher for Kafka's fixed-text lines: `parts` appear in order, separated by
/// numbers (digits and at most one '.').
fn regex_lite(line: &str, parts: &[&str]) -> bool {
    let mut rest = line;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            let n = rest.find(part).map(|at| &rest[..at]).unwrap_or("x");
            let dots = n.matches('.').count();
            if n.is_empty() || dots > 1 || !n.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return false;
            }
            rest = &rest[n.len()..];
        }
        let Some(r) = rest.strip_prefix(part) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty()
}

#[test]
fn failures_unknown_topic_unreachable_broker_and_restart() {
    // Unreachable broker: nothing listens on the port.
    let port = common::free_port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let out = rkafka(
        &producer_args(&addr, "t", &["--max-block-ms", "2000"]),
        b"one\n",
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        stderr(&out).contains("Topic t not present in metadata after 2000 ms")
            && stderr(&out).contains(&format!("cannot connect to broker {addr}")),
        "{}",
        stderr(&out)
    );

    let mut broker = KafkaBroker::start_kraft_with(V, &[("auto.create.topics.enable", "false")]);
    let boot = broker.bootstrap();
    let b = boot.as_str();

    // Unknown topic with auto-creation off: Kafka's message, within max.block.ms.
    let started = Instant::now();
    let out = rkafka(
        &producer_args(b, "missing", &["--max-block-ms", "2000"]),
        b"x\n",
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        stderr(&out).contains("Error when sending message to topic missing with key: null, value: 1 bytes with error: Topic missing not present in metadata after 2000 ms."),
        "{}",
        stderr(&out)
    );

    // The idempotent producer across a broker restart: every line reported delivered is in
    // the topic exactly once.
    create_topics(b, &[("stream", 3)]);
    broker.wait_for_topic("stream", 3, Duration::from_secs(30));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rkafka"))
        .args(producer_args(
            b,
            "stream",
            &[
                "--sync",
                "--timeout",
                "0",
                "--message-send-max-retries",
                "2147483647",
                "--request-timeout-ms",
                "5000",
            ],
        ))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        for i in 0..400 {
            if input.write_all(format!("line-{i}\n").as_bytes()).is_err() {
                return;
            }
            let _ = input.flush();
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    std::thread::sleep(Duration::from_millis(1500));
    let t = Instant::now();
    broker.restart();
    eprintln!("restart took {:?}", t.elapsed());
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    eprintln!("producer done {:?} after the restart began", t.elapsed());
    assert!(out.status.success(), "{}", stderr(&out));
    let got = kcat_read(b, "stream", "%s\n");
    let mut lines: Vec<&str> = got.lines().collect();
    let total = lines.len();
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), total, "no duplicates");
    assert_eq!(total, 400, "every line delivered once:\n{}", stderr(&out));
}
