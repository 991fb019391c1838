//! Produce and consume throughput of the rkafka broker's data plane, in-process (the test
//! harness `tests/common/inproc_broker.rs`) with kcat (librdkafka) as the load: a plain main
//! that prints a table. Numbers, not pass/fail.
//!
//! `cargo bench --bench dataplane` (env: DATAPLANE_MESSAGES, default 300000; DATAPLANE_SIZE,
//! bytes per message, default 200). Each codec gets its own topic: kcat -P produces every
//! message from stdin (acks=all, linger 5 ms, librdkafka's default batching), then kcat -C
//! reads the topic from the beginning to the end (-e). Times include kcat's start-up.
//! DATAPLANE_CONSUMER_X adds `-X key=value` settings (comma-separated) to the consumer.

#[path = "../tests/common/inproc_broker.rs"]
mod inproc_broker;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use inproc_broker::{InprocBroker, TopicSpec};

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kcat(args: &[&str], stdin: Option<&[u8]>) -> (f64, Vec<u8>) {
    let started = Instant::now();
    let mut child = Command::new("kcat")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kcat runs (tests/interop/setup.sh installs it)");
    if let Some(data) = stdin {
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(data).expect("feed kcat");
    }
    let out = child.wait_with_output().expect("kcat ends");
    assert!(out.status.success(), "kcat {args:?} failed");
    (started.elapsed().as_secs_f64(), out.stdout)
}

fn main() {
    let messages = env_usize("DATAPLANE_MESSAGES", 300_000);
    let size = env_usize("DATAPLANE_SIZE", 200).max(8);
    let codecs = ["none", "lz4", "zstd"];
    let dir = tempfile::tempdir().expect("temp dir");
    let topics: Vec<TopicSpec> = codecs.iter().map(|c| TopicSpec::led(c, 1)).collect();
    let broker = InprocBroker::start(dir.path(), &topics);
    let bootstrap = broker.bootstrap();
    let mut input = Vec::with_capacity(messages * (size + 1));
    for i in 0..messages {
        let line = format!("{i:08}-{}", "m".repeat(size - 9));
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    let mb = input.len() as f64 / 1e6;
    println!("{messages} messages of {size} bytes ({mb:.1} MB) per codec, one partition");
    println!(
        "| codec | produce s | produce MB/s | produce msg/s | consume s | consume MB/s | consume msg/s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for codec in codecs {
        let (p, _) = kcat(
            &[
                "-P",
                "-b",
                &bootstrap,
                "-t",
                codec,
                "-p",
                "0",
                "-z",
                codec,
                "-X",
                "linger.ms=5",
            ],
            Some(&input),
        );
        let (c, out) = kcat(
            &[
                "-C",
                "-b",
                &bootstrap,
                "-t",
                codec,
                "-p",
                "0",
                "-o",
                "beginning",
                "-e",
                "-q",
            ],
            None,
        );
        assert_eq!(
            out.len(),
            input.len(),
            "{codec}: consumed everything produced"
        );
        println!(
            "| {codec} | {p:.2} | {:.1} | {:.0} | {c:.2} | {:.1} | {:.0} |",
            mb / p,
            messages as f64 / p,
            mb / c,
            messages as f64 / c
        );
    }
}
