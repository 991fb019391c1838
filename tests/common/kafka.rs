//! Real Apache Kafka for the integration tests: single-node brokers (KRaft combined mode, or
//! ZooKeeper mode pointed at any ZooKeeper-protocol server such as rkafka's coordinator) and
//! Kafka's own Java tools, run from the jars `tests/interop/kafka/install.sh` puts in
//! `${RKAFKA_PEERS:-$HOME/.cache/rkafka-peers}/kafka-<version>/libs`.
//!
//! Missing jars are a failure with a message naming `tests/interop/setup.sh`, never a skip.
//! A JVM takes seconds to start, so tests that can share a broker share it within one test.
//! The broker's output goes to `kafka.out` in its temporary directory; a test that panics
//! while a broker is alive gets the tail of that file on stderr. `RKAFKA_KAFKA_LOG=INFO` (or
//! DEBUG) raises Kafka's log level from WARN; `RKAFKA_KAFKA_KEEP=1` keeps the broker's
//! directory (server.properties, data, kafka.out) after the test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rkafka::protocol::header::{decode_response, encode_request};
use rkafka::protocol::messages::{ApiKey, MetadataRequest, MetadataResponse, Response};

use super::{free_port, repo_root};

/// The Kafka releases the tests run (the versions `install.sh` fetches by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaVersion {
    /// 3.9.1: the last line with ZooKeeper mode; logs through reload4j.
    V3_9,
    /// 4.4.0: KRaft only, Java clients need the Kafka 2.1 protocol level; logs through log4j2.
    V4,
}

impl KafkaVersion {
    pub fn version(self) -> &'static str {
        match self {
            KafkaVersion::V3_9 => "3.9.1",
            KafkaVersion::V4 => "4.4.0",
        }
    }

    /// Kafka's console producer main class (it moved in 4.0).
    pub fn console_producer(self) -> &'static str {
        match self {
            KafkaVersion::V3_9 => "kafka.tools.ConsoleProducer",
            KafkaVersion::V4 => "org.apache.kafka.tools.ConsoleProducer",
        }
    }

    /// The directory holding this version's jars; panics (with the fix) when they are missing.
    pub fn libs(self) -> PathBuf {
        self.libs_in(&peers_dir()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// This version's jar directory under the peers directory `peers`, or a message saying
    /// how to install it.
    pub fn libs_in(self, peers: &Path) -> Result<PathBuf, String> {
        let libs = peers.join(format!("kafka-{}", self.version())).join("libs");
        if libs.join(".complete").exists() {
            return Ok(libs);
        }
        Err(format!(
            "Apache Kafka {} jars are not installed at {}: run tests/interop/setup.sh \
             (or tests/interop/kafka/install.sh {})",
            self.version(),
            libs.display(),
            self.version()
        ))
    }

    /// A `java` command with this version's class path, a bounded heap and the quiet test
    /// logging configuration; the caller adds the main class and its arguments. The JIT stops
    /// at C1 and the GC is serial: on this 2-core machine start-up time matters more than
    /// peak throughput, so do not take performance numbers with these flags.
    pub fn java(self, heap_mb: u32) -> Command {
        let libs = self.libs();
        let conf = repo_root().join("tests/interop/kafka");
        let level = std::env::var("RKAFKA_KAFKA_LOG").unwrap_or_else(|_| "WARN".to_owned());
        let mut cmd = Command::new("java");
        cmd.arg(format!("-Xmx{heap_mb}m"))
            .arg("-XX:+UseSerialGC")
            .arg("-XX:TieredStopAtLevel=1")
            .arg("-Xshare:auto")
            .arg("-Djava.awt.headless=true")
            .arg(format!("-Drkafka.kafka.log.level={level}"));
        match self {
            KafkaVersion::V3_9 => cmd.arg(format!(
                "-Dlog4j.configuration=file:{}",
                conf.join("log4j.properties").display()
            )),
            KafkaVersion::V4 => cmd.arg(format!(
                "-Dlog4j2.configurationFile={}",
                conf.join("log4j2.properties").display()
            )),
        };
        cmd.arg("-cp").arg(format!("{}/*", libs.display()));
        cmd
    }
}

/// Where installed peers live: `$RKAFKA_PEERS`, else `$HOME/.cache/rkafka-peers`.
pub fn peers_dir() -> PathBuf {
    match std::env::var_os("RKAFKA_PEERS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
            .join(".cache/rkafka-peers"),
    }
}

/// Kafka's topic tool (same class in 3.9 and 4.x).
pub const TOPIC_COMMAND: &str = "org.apache.kafka.tools.TopicCommand";
/// Kafka's console consumer (same class in 3.9 and 4.x).
pub const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";
/// Kafka's consumer group tool (same class in 3.9 and 4.x).
pub const CONSUMER_GROUP_COMMAND: &str =
    "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";

/// Runs one of Kafka's Java tools (`java -cp libs/* CLASS ARGS`) to completion, feeding it
/// `stdin`, and returns its output. The JVM gets 256 MiB.
pub fn kafka_tool(version: KafkaVersion, class: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = version.java(256);
    cmd.arg(class).args(args);
    run_bounded(cmd, stdin, TOOL_TIMEOUT)
}

/// Like [`kafka_tool`], panicking with the tool's output unless it exits 0.
pub fn kafka_tool_ok(version: KafkaVersion, class: &str, args: &[&str], stdin: &[u8]) -> Output {
    let out = kafka_tool(version, class, args, stdin);
    assert!(
        out.status.success(),
        "{class} {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A running single-node Kafka broker, killed (and its directory removed) on drop.
pub struct KafkaBroker {
    pub version: KafkaVersion,
    /// The PLAINTEXT client port on 127.0.0.1.
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl KafkaBroker {
    /// Starts Kafka in KRaft combined mode (broker and controller, node id 1): writes
    /// server.properties, formats the storage with Kafka's StorageTool, starts the broker and
    /// waits until it answers Metadata with itself in it.
    pub fn start_kraft(version: KafkaVersion) -> KafkaBroker {
        Self::start_kraft_with(version, &[])
    }

    /// [`Self::start_kraft`] with extra `key=value` lines appended to server.properties.
    pub fn start_kraft_with(version: KafkaVersion, extra: &[(&str, &str)]) -> KafkaBroker {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let controller_port = free_port();
        let mut props = format!(
            "process.roles=broker,controller\n\
             node.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{controller_port}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
             controller.listener.names=CONTROLLER\n\
             inter.broker.listener.name=PLAINTEXT\n\
             listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
        );
        props.push_str(&common_properties(dir.path()));
        push_extra(&mut props, extra);
        let config = dir.path().join("server.properties");
        std::fs::write(&config, props).expect("write server.properties");

        let format = version
            .java(256)
            .arg("kafka.tools.StorageTool")
            .arg("format")
            .arg("-t")
            .arg(random_cluster_id())
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .output()
            .expect("java runs StorageTool");
        assert!(
            format.status.success(),
            "kafka.tools.StorageTool format failed: {}{}",
            String::from_utf8_lossy(&format.stdout),
            String::from_utf8_lossy(&format.stderr)
        );
        Self::launch(version, dir, port, &config)
    }

    /// Starts Kafka 3.9 in ZooKeeper mode (broker id 0) against `zookeeper_connect`
    /// (`host:port[/chroot]`) and waits until it answers Metadata with itself in it and a
    /// controller elected. Panics for 4.x, which has no ZooKeeper mode.
    pub fn start_zk(version: KafkaVersion, zookeeper_connect: &str) -> KafkaBroker {
        Self::start_zk_with(version, zookeeper_connect, &[])
    }

    /// [`Self::start_zk`] with extra `key=value` lines appended to server.properties.
    pub fn start_zk_with(
        version: KafkaVersion,
        zookeeper_connect: &str,
        extra: &[(&str, &str)],
    ) -> KafkaBroker {
        assert_eq!(
            version,
            KafkaVersion::V3_9,
            "Kafka 4.x has no ZooKeeper mode"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut props = format!(
            "broker.id=0\n\
             zookeeper.connect={zookeeper_connect}\n\
             listeners=PLAINTEXT://127.0.0.1:{port}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n"
        );
        props.push_str(&common_properties(dir.path()));
        push_extra(&mut props, extra);
        let config = dir.path().join("server.properties");
        std::fs::write(&config, props).expect("write server.properties");
        Self::launch(version, dir, port, &config)
    }

    fn launch(version: KafkaVersion, dir: tempfile::TempDir, port: u16, config: &Path) -> Self {
        let child = spawn_broker(version, dir.path(), config);
        let mut broker = KafkaBroker {
            version,
            port,
            child,
            dir,
        };
        broker.wait_ready(Duration::from_secs(60));
        broker
    }

    /// Stops the broker as `kafka-server-stop.sh` does (SIGTERM: controlled shutdown, clean
    /// log close) and waits up to `timeout` for it to exit; panics if it does not.
    pub fn stop(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).expect("pid"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "Kafka did not stop within {timeout:?} of SIGTERM:\n{}",
                tail(&self.output(), 60)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the broker ([`Self::stop`]) and starts it again on the same configuration and
    /// data, waiting until it is ready.
    pub fn restart(&mut self) {
        let status = self.stop(Duration::from_secs(60));
        // The JVM reports death by SIGTERM (143) after running Kafka's shutdown hook; the
        // clean-shutdown marker in the log dir says the hook finished.
        assert!(
            matches!(status.code(), Some(0 | 143)),
            "Kafka exit status on SIGTERM: {status}"
        );
        let marker = self.dir.path().join("data/.kafka_cleanshutdown");
        assert!(
            marker.exists(),
            "Kafka did not shut down cleanly (no {}):\n{}",
            marker.display(),
            tail(&self.output(), 60)
        );
        let config = self.dir.path().join("server.properties");
        self.child = spawn_broker(self.version, self.dir.path(), &config);
        self.wait_ready(Duration::from_secs(60));
    }

    /// `127.0.0.1:PORT`, for `--bootstrap-server` and `kcat -b`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The broker's temporary directory (server.properties, `data/` log dir, kafka.out).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the broker printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kafka.out")).unwrap_or_default()
    }

    /// One Metadata v4 round trip for the given topics (`None`: all topics).
    pub fn metadata(&self, topics: Option<&[&str]>) -> std::io::Result<MetadataResponse> {
        metadata(&self.bootstrap(), topics)
    }

    /// Waits until Metadata shows `topic` with `partitions` partitions, each with a leader;
    /// panics with the last answer after `timeout`.
    pub fn wait_for_topic(&self, topic: &str, partitions: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let meta = self.metadata(Some(&[topic]));
            if let Ok(m) = &meta {
                if m.topics.len() == 1
                    && m.topics[0].error_code == 0
                    && m.topics[0].partitions.len() == partitions
                    && m.topics[0].partitions.iter().all(|p| p.leader_id >= 0)
                {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "topic {topic} did not get {partitions} led partitions within {timeout:?}: \
                 {meta:?}\n{}",
                tail(&self.output(), 60)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls Metadata until the broker lists itself and names a controller; panics with the
    /// broker's output if it exits or `timeout` passes.
    fn wait_ready(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "Kafka {} exited during startup ({status}):\n{}",
                    self.version.version(),
                    tail(&self.output(), 80)
                );
            }
            if let Ok(meta) = self.metadata(Some(&[])) {
                if !meta.brokers.is_empty() && meta.controller_id >= 0 {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "Kafka {} did not become ready on {} within {timeout:?}:\n{}",
                    self.version.version(),
                    self.bootstrap(),
                    tail(&self.output(), 80)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- Kafka {} output (tail) ---\n{}",
                self.version.version(),
                tail(&self.output(), 60)
            );
        }
        if std::env::var_os("RKAFKA_KAFKA_KEEP").is_some() {
            // Leave the directory (config, data, kafka.out) for a post-mortem.
            let kept = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
            eprintln!("Kafka directory kept: {}", kept.keep().display());
        }
    }
}

/// Starts `kafka.Kafka config` with its output appended to `<dir>/kafka.out`.
fn spawn_broker(version: KafkaVersion, dir: &Path, config: &Path) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("kafka.out"))
        .expect("kafka.out");
    let err = out.try_clone().expect("dup kafka.out");
    version
        .java(512)
        .arg("kafka.Kafka")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("java starts (is a JRE installed? run tests/interop/setup.sh)")
}

/// Broker settings shared by both modes: one replica for the internal topics, no rebalance
/// delay, one partition per auto-created topic, data in `<dir>/data`.
fn common_properties(dir: &Path) -> String {
    format!(
        "log.dirs={}\n\
         num.partitions=1\n\
         offsets.topic.replication.factor=1\n\
         transaction.state.log.replication.factor=1\n\
         transaction.state.log.min.isr=1\n\
         group.initial.rebalance.delay.ms=0\n\
         num.network.threads=2\n\
         num.io.threads=2\n",
        dir.join("data").display()
    )
}

fn push_extra(props: &mut String, extra: &[(&str, &str)]) {
    for (key, value) in extra {
        props.push_str(&format!("{key}={value}\n"));
    }
}

/// One Metadata v4 round trip with `bootstrap` (2 s timeouts): the version every Kafka from
/// 1.0 to 4.x serves.
pub fn metadata(bootstrap: &str, topics: Option<&[&str]>) -> std::io::Result<MetadataResponse> {
    use rkafka::protocol::messages::metadata_request::MetadataRequestTopic;
    let addr = bootstrap
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    let request = MetadataRequest {
        topics: topics.map(|names| {
            names
                .iter()
                .map(|n| MetadataRequestTopic {
                    name: Some((*n).to_owned()),
                    ..Default::default()
                })
                .collect()
        }),
        allow_auto_topic_creation: false,
        ..Default::default()
    };
    let mut buf = BytesMut::new();
    encode_request(&mut buf, 1, Some("rkafka-test-harness"), 4, &request)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    s.write_all(&buf)?;
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = usize::try_from(i32::from_be_bytes(len))
        .map_err(|_| std::io::Error::other("negative response length"))?;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)?;
    match decode_response(ApiKey::Metadata, 4, Bytes::from(body)) {
        Ok((_, Response::Metadata(meta))) => Ok(meta),
        Ok((_, other)) => Err(std::io::Error::other(format!("not Metadata: {other:?}"))),
        Err(e) => Err(std::io::Error::other(e.to_string())),
    }
}

/// A cluster id for the storage format: 16 bytes, URL-safe base64 without padding, as
/// Kafka's `Uuid.toString` writes them. Randomness from the std hasher's per-process keys.
fn random_cluster_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        chunk.copy_from_slice(&h.finish().to_be_bytes());
    }
    // Kafka reserves the all-zero and 0..01 ids; a first character of '-' would read as an
    // option to StorageTool's argument parser. With the top bits 01 the first character is
    // one of Q..f.
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `kcat ARGS` to completion with `stdin` and returns its output.
pub fn kcat(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::new("kcat");
    cmd.args(args);
    run_bounded(cmd, stdin, TOOL_TIMEOUT)
}

/// How long a tool or kcat may run before the harness kills it: a consumer waiting for
/// records that never come must fail the test, not hang it.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `cmd` with `stdin` fed from a thread and its output collected by threads (so no pipe
/// can fill up and block it); kills it and its process group after `timeout` (the output then has no exit code,
/// and stderr ends with a note saying so).
pub fn run_bounded(mut cmd: Command, stdin: &[u8], timeout: Duration) -> Output {
    use std::os::unix::process::CommandExt;
    let program = format!("{cmd:?}");
    // Its own process group, so a timeout also kills anything it started (which would
    // otherwise keep the output pipes open).
    cmd.process_group(0);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} does not start ({e}): run tests/interop/setup.sh"));
    let mut input = child.stdin.take().expect("piped stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let collect = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = collect(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = collect(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + timeout;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break (status, false);
        }
        if Instant::now() > deadline {
            let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            break (child.wait().expect("wait"), true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let mut stderr = stderr.join().unwrap_or_default();
    if timed_out {
        stderr.extend_from_slice(format!("\n[killed after {timeout:?}]\n").as_bytes());
    }
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Like [`kcat`], panicking with its output unless it exits 0.
pub fn kcat_ok(args: &[&str], stdin: &[u8]) -> Output {
    let out = kcat(args, stdin);
    assert!(
        out.status.success(),
        "kcat {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
