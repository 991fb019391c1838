//! Helpers for the consumer-group client tests: long-running console consumers whose
//! output lines are collected by a thread, keyed record production with kcat, and reading
//! a group's partition owners with Kafka's own ConsumerGroupCommand.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::kafka::{CONSUMER_GROUP_COMMAND, KafkaVersion, kafka_tool, kcat_ok};

/// A running consumer process with its stdout lines collected as they come.
pub struct Member {
    pub name: String,
    child: Child,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    stderr: Arc<Mutex<String>>,
}

impl Member {
    /// Starts `cmd` (stdout, stderr piped) in its own process group.
    pub fn spawn(name: &str, mut cmd: Command) -> Member {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("consumer starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().expect("stdout");
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let esink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    return;
                }
                esink
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Member {
            name: name.to_string(),
            child,
            lines,
            stderr,
        }
    }

    /// An rkafka console-consumer with `args` after the bootstrap server, logging the
    /// group client at info level.
    pub fn rkafka(name: &str, bootstrap: &str, args: &[&str]) -> Member {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rkafka"));
        cmd.args(["console-consumer", "--bootstrap-server", bootstrap])
            .args(args)
            .env("RKAFKA_LOG", "rkafka::client::consumer::group=info,warn");
        Member::spawn(name, cmd)
    }

    /// The lines printed so far, with the time each arrived.
    pub fn lines(&self) -> Vec<(Instant, String)> {
        self.lines.lock().unwrap().clone()
    }

    /// The record values printed so far (the text after the last tab).
    pub fn values(&self) -> Vec<(i32, String)> {
        self.lines()
            .into_iter()
            .filter_map(|(_, l)| parse_line(&l))
            .collect()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).expect("pid"))
    }

    /// Sends `signal` and waits (up to 30 s) for the exit; returns whether it exited 0.
    pub fn stop(&mut self, signal: nix::sys::signal::Signal) -> bool {
        let _ = nix::sys::signal::kill(self.pid(), signal);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(200));
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Partition:N<TAB>value` -> (N, value); also Kafka's VerifiableConsumer `record_data`
/// JSON events.
pub fn parse_line(line: &str) -> Option<(i32, String)> {
    if line.starts_with('{') {
        let event: serde_json::Value = serde_json::from_str(line).ok()?;
        if event.get("name")?.as_str()? != "record_data" {
            return None;
        }
        let p = i32::try_from(event.get("partition")?.as_i64()?).ok()?;
        return Some((p, event.get("value")?.as_str()?.to_string()));
    }
    let (head, value) = line.split_once('\t')?;
    let p = head.strip_prefix("Partition:")?.parse().ok()?;
    Some((p, value.to_string()))
}

/// Produces `values` to `topic` with kcat, keyed `k<i>` so they spread over partitions.
pub fn produce_keyed(bootstrap: &str, topic: &str, values: &[String]) {
    let input: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("k{i}-{v}|{v}\n"))
        .collect();
    kcat_ok(
        &["-b", bootstrap, "-P", "-t", topic, "-K", "|"],
        input.as_bytes(),
    );
}

/// The partition owners Kafka's ConsumerGroupCommand reports for `group`: partition ->
/// consumer id (partitions without an owner are left out).
pub fn owners(bootstrap: &str, group: &str) -> BTreeMap<i32, String> {
    let out = kafka_tool(
        KafkaVersion::V4,
        CONSUMER_GROUP_COMMAND,
        &[
            "--bootstrap-server",
            bootstrap,
            "--describe",
            "--group",
            group,
        ],
        b"",
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
        if cols.len() >= 9
            && cols[0] == group
            && let Ok(p) = cols[2].parse::<i32>()
            && cols[6] != "-"
        {
            map.insert(p, cols[6].to_string());
        }
    }
    map
}

/// Waits until `group` has exactly `members` members owning all `partitions` partitions
/// evenly (within one); returns the owners.
pub fn wait_for_balance(
    bootstrap: &str,
    group: &str,
    partitions: i32,
    members: usize,
    timeout: Duration,
) -> BTreeMap<i32, String> {
    let deadline = Instant::now() + timeout;
    let mut last = BTreeMap::new();
    while Instant::now() < deadline {
        last = owners(bootstrap, group);
        let ids: BTreeSet<&String> = last.values().collect();
        if last.len() == usize::try_from(partitions).unwrap() && ids.len() == members {
            let per: Vec<usize> = ids
                .iter()
                .map(|id| last.values().filter(|v| v == id).count())
                .collect();
            if per.iter().max().unwrap() - per.iter().min().unwrap() <= 1 {
                return last;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("group {group} never balanced {partitions} partitions over {members} members: {last:?}");
}

/// Waits until `check` holds, polling every 100 ms; panics with `what` on timeout.
pub fn wait_for(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}
