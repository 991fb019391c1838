//! `rkafka console-consumer` and `consumer-perf-test` command-line checks that need no
//! broker: Kafka's usage messages, malformed properties, an unreachable broker failing fast,
//! and the help saying how partitions are chosen (a group, or --partition).

mod common;

use std::time::{Duration, Instant};

use common::{code, rkafka, stderr, stdout};

fn consumer(args: &[&str]) -> std::process::Output {
    let mut all = vec!["console-consumer"];
    all.extend(args);
    rkafka(&all)
}

#[test]
fn kafkas_usage_rules_and_messages() {
    let b = "127.0.0.1:1";
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--partition",
                "0",
                "--offset",
                "foo",
            ],
            "The provided offset value 'foo' is incorrect. Valid values are 'earliest', \
             'latest', or a non-negative long.",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--partition",
                "0",
                "--offset",
                "-3",
            ],
            "The provided offset value '-3' is incorrect.",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--partition",
                "0",
                "--group",
                "g",
            ],
            "Options group and partition cannot be specified together.",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--group",
                "g",
                "--consumer-property",
                "group.id=h",
            ],
            "The group ids provided in different places (directly using '--group', via \
             '--consumer-property', or via '--consumer.config') do not match. Detected group \
             ids: 'g', 'h'",
        ),
        (
            &["--bootstrap-server", b, "--topic", "t", "--offset", "5"],
            "The partition is required when offset is specified.",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--include",
                "t.*",
                "--partition",
                "0",
            ],
            "The topic is required when partition is specified.",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--partition",
                "0",
                "--offset",
                "1",
                "--from-beginning",
            ],
            "Options from-beginning and offset cannot be specified together.",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--property",
                "print.key",
            ],
            "--property print.key: expected KEY=VALUE",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--property",
                "print.offset=sure",
            ],
            "print.offset=sure: expected true or false",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--formatter",
                "com.example.Fancy",
            ],
            "unknown formatter",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--isolation-level",
                "serializable",
            ],
            "expected read_committed or read_uncommitted",
        ),
        (
            &[
                "--bootstrap-server",
                b,
                "--topic",
                "t",
                "--from-beginning",
                "--consumer-property",
                "auto.offset.reset=latest",
            ],
            "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'",
        ),
    ];
    for (args, message) in cases {
        let out = consumer(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    // Exactly one of --topic and --include (clap's group).
    assert_eq!(code(&consumer(&["--bootstrap-server", b])), 2);
    assert_eq!(
        code(&consumer(&[
            "--bootstrap-server",
            b,
            "--topic",
            "a",
            "--include",
            "b"
        ])),
        2
    );
}

#[test]
fn an_unreachable_broker_fails_fast_with_the_count() {
    for tool in [
        &["console-consumer", "--topic", "t"][..],
        &["consumer-perf-test", "--topic", "t", "--messages", "5"],
    ] {
        let started = Instant::now();
        let mut args = tool.to_vec();
        args.extend(["--bootstrap-server", "127.0.0.1:1"]);
        let out = rkafka(&args);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("no bootstrap server reachable"),
            "{}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
    let out = consumer(&["--bootstrap-server", "127.0.0.1:1", "--topic", "t"]);
    assert!(
        stderr(&out).contains("Processed a total of 0 messages"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_explains_partition_choice_and_renamed_options_work() {
    let out = consumer(&["--help"]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains("console-consumer-<random>"),
        "{}",
        stdout(&out)
    );
    let out = rkafka(&["consumer-perf-test", "--help"]);
    assert!(stdout(&out).contains("--from-latest"), "{}", stdout(&out));
    // --whitelist and --broker-list are Kafka's old spellings.
    let out = consumer(&["--bootstrap-server", "127.0.0.1:1", "--whitelist", "t.*"]);
    assert!(
        stderr(&out).contains("--whitelist is deprecated"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&out), 1);
    let out = rkafka(&[
        "consumer-perf-test",
        "--broker-list",
        "127.0.0.1:1",
        "--topic",
        "t",
        "--messages",
        "1",
    ]);
    assert!(
        stderr(&out).contains("--broker-list is deprecated"),
        "{}",
        stderr(&out)
    );
}
