//! `rkafka console-consumer` and `rkafka consumer-perf-test` against a real Apache Kafka 4.4
//! KRaft broker: Kafka's ConsoleProducer (parse.key, parse.headers) and kcat write, and
//! rkafka must print exactly what Kafka's ConsoleConsumer prints for the same --property
//! set; every codec written by kcat and kafka-python is read; --partition, --offset,
//! --max-messages, --timeout-ms and --include behave as Kafka's; bad input fails fast; a
//! broker restart mid-stream loses and repeats nothing. One broker per test function.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::kafka::{
    CONSOLE_CONSUMER, KafkaBroker, KafkaVersion, TOOL_TIMEOUT, kafka_tool_ok, kcat_ok, run_bounded,
};
use common::repo_root;

fn rkafka(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rkafka"));
    cmd.args(args);
    run_bounded(cmd, b"", TOOL_TIMEOUT)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Kafka 4.x announces on stdout that `--property` is deprecated; that line is not a record.
fn kafka_records(out: &[u8]) -> Vec<u8> {
    let mut out = out.to_vec();
    while out.starts_with(b"Option --") {
        let end = out
            .iter()
            .position(|&b| b == b'\n')
            .map_or(out.len(), |i| i + 1);
        out.drain(..end);
    }
    out
}

/// Kafka's ConsoleProducer lines: headers, key and value (tab-separated), NULL for null.
const PRODUCER_INPUT: &str = "h1:v1,h2:v2\tk1\tvalue one\n\
                              h3:NULL\tNULL\tv2\n\
                              h1:a,h1:b\tk3\tNULL\n\
                              x:y\t\tempty key\n";

fn produce_format_topic(bootstrap: &str, topic: &str) {
    kafka_tool_ok(
        KafkaVersion::V4,
        KafkaVersion::V4.console_producer(),
        &[
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--property",
            "parse.key=true",
            "--property",
            "parse.headers=true",
            "--property",
            "null.marker=NULL",
        ],
        PRODUCER_INPUT.as_bytes(),
    );
    // Records without headers, from another client.
    kcat_ok(
        &["-b", bootstrap, "-P", "-t", topic, "-K", ":"],
        b"k5:v5\nk6:v6\n",
    );
}

#[test]
fn console_consumer_prints_what_kafkas_prints() {
    let broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let bootstrap = broker.bootstrap();
    produce_format_topic(&bootstrap, "fmt");
    broker.wait_for_topic("fmt", 1, Duration::from_secs(20));

    let combos: &[&[&str]] = &[
        &[
            "print.timestamp=true",
            "print.partition=true",
            "print.offset=true",
            "print.headers=true",
            "print.key=true",
        ],
        &[
            "print.key=true",
            "print.headers=true",
            "key.separator= | ",
            "headers.separator=;",
            "null.literal=<nil>",
            "line.separator=~\n",
        ],
        &["print.value=false", "print.key=true", "print.offset=true"],
        &[],
    ];
    for combo in combos {
        let mut args = vec![
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "fmt",
            "--from-beginning",
            "--max-messages",
            "6",
        ];
        for p in *combo {
            args.push("--property");
            args.push(p);
        }
        let java = kafka_tool_ok(KafkaVersion::V4, CONSOLE_CONSUMER, &args, b"");
        let mut ours_args = vec!["console-consumer"];
        ours_args.extend(&args);
        let ours = rkafka(&ours_args);
        assert!(ours.status.success(), "{combo:?}: {}", text(&ours.stderr));
        assert_eq!(
            text(&ours.stdout),
            text(&kafka_records(&java.stdout)),
            "output differs for {combo:?}"
        );
        assert!(
            text(&ours.stderr).contains("Processed a total of 6 messages"),
            "{}",
            text(&ours.stderr)
        );
    }

    // --partition / --offset / --max-messages.
    let out = rkafka(&[
        "console-consumer",
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        "fmt",
        "--partition",
        "0",
        "--offset",
        "3",
        "--max-messages",
        "2",
        "--property",
        "print.offset=true",
    ]);
    assert_eq!(
        text(&out.stdout),
        "Offset:3\tempty key\nOffset:4\tv5\n",
        "{}",
        text(&out.stderr)
    );
    // --offset latest with --timeout-ms: nothing new arrives, a clean exit with 0 records.
    let started = Instant::now();
    let out = rkafka(&[
        "console-consumer",
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        "fmt",
        "--partition",
        "0",
        "--offset",
        "latest",
        "--timeout-ms",
        "700",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("Processed a total of 0 messages"));
    assert!(started.elapsed() < Duration::from_secs(10));
    // Without --from-beginning the consumer starts at the end: --timeout-ms ends it empty.
    let out = rkafka(&[
        "console-consumer",
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        "fmt",
        "--timeout-ms",
        "500",
    ]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        text(&out.stderr)
    );
    // --include (and --whitelist, renamed) pick topics by whole-name regex.
    for option in ["--include", "--whitelist"] {
        let out = rkafka(&[
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            option,
            "f.t",
            "--from-beginning",
            "--max-messages",
            "6",
            "--formatter",
            "json-lines",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let lines: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0]["topic"], "fmt");
        assert_eq!(lines[0]["headers"][0], serde_json::json!(["h1", "v1"]));
        assert_eq!(lines[1]["key"], serde_json::Value::Null);
    }

    // An offset past the end is out of range: auto.offset.reset decides, as in Kafka.
    let out = rkafka(&[
        "console-consumer",
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        "fmt",
        "--partition",
        "0",
        "--offset",
        "100",
        "--max-messages",
        "2",
        "--consumer-property",
        "auto.offset.reset=earliest",
        "--property",
        "print.offset=true",
    ]);
    assert_eq!(
        text(&out.stdout),
        "Offset:0\tvalue one\nOffset:1\tv2\n",
        "{}",
        text(&out.stderr)
    );
    let started = Instant::now();
    let out = rkafka(&[
        "console-consumer",
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        "fmt",
        "--partition",
        "0",
        "--offset",
        "100",
        "--consumer-property",
        "auto.offset.reset=none",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("auto.offset.reset is none"),
        "{}",
        text(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // SIGINT ends a consumer that would otherwise wait forever: exit 0 with the count.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rkafka"))
        .args([
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "fmt",
            "--from-beginning",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..6 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the consumer ended early");
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status}: {err}");
    assert!(err.contains("Processed a total of 6 messages"), "{err}");

    // A reader that goes away (`| head -1`) ends the consumer with exit 0 and no error.
    let big: Vec<String> = (0..3000).map(|i| format!("{i:0>200}")).collect();
    kcat_ok(
        &["-b", &bootstrap, "-P", "-t", "big"],
        (big.join("\n") + "\n").as_bytes(),
    );
    let script = format!(
        "set -o pipefail; '{}' console-consumer --bootstrap-server {bootstrap} --topic big \
         --from-beginning --timeout-ms 20000 | head -1 > /dev/null",
        env!("CARGO_BIN_EXE_rkafka")
    );
    let started = Instant::now();
    let out = run_bounded(
        {
            let mut c = Command::new("bash");
            c.arg("-c").arg(script);
            c
        },
        b"",
        TOOL_TIMEOUT,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        !err.contains("error") && err.contains("Processed a total of"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // Every codec, from kcat and from kafka-python.
    let mut expected = Vec::new();
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let lines: Vec<String> = (0..30).map(|i| format!("kcat-{codec}-{i}")).collect();
        kcat_ok(
            &["-b", &bootstrap, "-P", "-t", "codecs", "-z", codec],
            (lines.join("\n") + "\n").as_bytes(),
        );
        expected.extend(lines);
    }
    let py = Command::new("python3")
        .arg(repo_root().join("tests/interop/kafka_python_produce.py"))
        .arg(&bootstrap)
        .arg("codecs")
        .output()
        .expect("python3 runs");
    assert!(py.status.success(), "kafka-python: {}", text(&py.stderr));
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        expected.extend((0..20).map(|i| format!("py-{codec}-{i}")));
    }
    let out = rkafka(&[
        "console-consumer",
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        "codecs",
        "--from-beginning",
        "--max-messages",
        &expected.len().to_string(),
        "--timeout-ms",
        "10000",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(got, expected);

    // Transactions (kafka-python): read_committed hides the aborted one and the markers.
    let py = Command::new("python3")
        .arg(repo_root().join("tests/interop/kafka_python_produce.py"))
        .args([bootstrap.as_str(), "txn", "txn"])
        .output()
        .expect("python3 runs");
    assert!(py.status.success(), "kafka-python: {}", text(&py.stderr));
    let names = |v: &[&str]| -> Vec<String> {
        v.iter()
            .flat_map(|n| (0..5).map(move |i| format!("{n}-{i}")))
            .collect()
    };
    for (level, expected) in [
        ("read_committed", names(&["c1", "c2"])),
        ("read_uncommitted", names(&["c1", "a", "c2"])),
    ] {
        let out = rkafka(&[
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "txn",
            "--from-beginning",
            "--isolation-level",
            level,
            "--timeout-ms",
            "3000",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let got: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
        assert_eq!(got, expected, "{level}");
    }

    // Bad input: a clear message, a non-zero exit, quickly, no panic.
    let unreachable = format!("127.0.0.1:{}", common::free_port());
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "no-such-topic",
                "--from-beginning",
            ],
            "no-such-topic does not exist",
        ),
        (
            &["--bootstrap-server", &unreachable, "--topic", "fmt"],
            "no bootstrap server reachable",
        ),
        (
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "fmt",
                "--property",
                "print.key",
            ],
            "expected KEY=VALUE",
        ),
        (
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "fmt",
                "--property",
                "print.key=maybe",
            ],
            "print.key=maybe",
        ),
        (
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "fmt",
                "--partition",
                "0",
                "--offset",
                "foo",
            ],
            "The provided offset value 'foo' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.",
        ),
        (
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "fmt",
                "--offset",
                "5",
            ],
            "The partition is required when offset is specified.",
        ),
        (
            &[
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "fmt",
                "--partition",
                "7",
            ],
            "has no partition 7",
        ),
    ];
    for (args, message) in cases {
        let started = Instant::now();
        let mut all = vec!["console-consumer"];
        all.extend(*args);
        let out = rkafka(&all);
        let err = text(&out.stderr);
        assert!(
            !out.status.success() && out.status.code().is_some(),
            "{args:?}: {err}"
        );
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{args:?} took {:?}",
            started.elapsed()
        );
    }

    // consumer-perf-test prints Kafka's header and value line.
    let out = rkafka(&[
        "consumer-perf-test",
        "--bootstrap-server",
        &bootstrap,
        "--topic",
        "codecs",
        "--messages",
        "250",
        "--timeout",
        "10000",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, \
         rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
    );
    let line = regex_line();
    assert!(line.is_match(lines[1]), "{:?}", lines[1]);
    assert!(lines[1].contains(", 250, "), "{}", lines[1]);
    // --show-detailed-stats: Kafka's per-interval header and lines (thread id 0).
    let out = rkafka(&[
        "consumer-perf-test",
        "--broker-list",
        &bootstrap,
        "--topic",
        "codecs",
        "--messages",
        "250",
        "--show-detailed-stats",
        "--reporting-interval",
        "1",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some(
            "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, \
             rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
        )
    );
    let date = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}";
    let f = r"-?\d+\.\d{4}|NaN|Infinity";
    let detailed = regex_automata::meta::Regex::new(&format!(
        r"^{date}, 0, (?:{f}), (?:{f}), \d+, (?:{f}), \d+, -?\d+, (?:{f}), (?:{f})$"
    ))
    .unwrap();
    let rest: Vec<&str> = lines.collect();
    assert!(!rest.is_empty(), "no interval line: {stdout}");
    for line in rest {
        assert!(detailed.is_match(line), "{line:?}");
    }
}

/// Kafka's ConsumerPerformance value line: two dates, then %.4f, %.4f, %d, %.4f, %d, %d,
/// %.4f, %.4f.
fn regex_line() -> regex_automata::meta::Regex {
    let date = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}";
    let f = r"-?\d+\.\d{4}|NaN|Infinity";
    regex_automata::meta::Regex::new(&format!(
        r"^{date}, {date}, (?:{f}), (?:{f}), \d+, (?:{f}), \d+, \d+, (?:{f}), (?:{f})$"
    ))
    .unwrap()
}

#[test]
fn console_consumer_resumes_across_a_broker_restart() {
    let mut broker = KafkaBroker::start_kraft(KafkaVersion::V4);
    let bootstrap = broker.bootstrap();
    let first: Vec<String> = (0..200).map(|i| format!("r-{i}")).collect();
    kcat_ok(
        &["-b", &bootstrap, "-P", "-t", "restart"],
        (first.join("\n") + "\n").as_bytes(),
    );
    broker.wait_for_topic("restart", 1, Duration::from_secs(20));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rkafka"))
        .args([
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "restart",
            "--from-beginning",
            "--property",
            "print.offset=true",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    let read = |n: usize, lines: &mut Vec<String>| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while lines.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => lines.push(l),
                Err(_) => panic!("only {} of {n} lines: {:?}", lines.len(), lines.last()),
            }
        }
    };
    let mut lines = Vec::new();
    read(200, &mut lines);
    broker.restart();
    let second: Vec<String> = (200..400).map(|i| format!("r-{i}")).collect();
    kcat_ok(
        &["-b", &bootstrap, "-P", "-t", "restart"],
        (second.join("\n") + "\n").as_bytes(),
    );
    read(400, &mut lines);
    std::thread::sleep(Duration::from_millis(300));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status}: {err}");
    assert!(err.contains("Processed a total of 400 messages"), "{err}");
    let expected: Vec<String> = (0..400).map(|i| format!("Offset:{i}\tr-{i}")).collect();
    assert_eq!(lines, expected);
}
