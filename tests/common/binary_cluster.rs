//! A one-broker rkafka cluster run exactly as an operator runs it: `rkafka
//! zookeeper-server-start` and `rkafka server-start` as separate processes of the built binary,
//! each with a config written into a temporary directory and ports that were free a moment
//! earlier. The broker can be stopped with any signal and started again on the same files, for
//! restart tests; a small raw Kafka client (one request, one response on a blocking socket)
//! drives what real clients cannot: exact batches, retried duplicates, refused input.
//!
//! Both processes are killed when the cluster drops, so a failing test leaves nothing behind.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rkafka::protocol::codec::ApiRequest;
use rkafka::protocol::header::{decode_response, encode_request};
use rkafka::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use rkafka::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use rkafka::protocol::messages::{
    FetchRequest, FetchResponse, InitProducerIdRequest, ProduceRequest, Response,
};
use rkafka::protocol::records::{Batch, BatchBuilder, Batches, Compression};

use super::{KillOnDrop, four_letter_word, free_port, rkafka_bin, wait_until};

/// The coordinator and one broker (id 0), both child processes of the test.
pub struct BinaryCluster {
    pub dir: tempfile::TempDir,
    pub zk_port: u16,
    /// The broker's PLAINTEXT port on 127.0.0.1.
    pub port: u16,
    zk: Option<KillOnDrop>,
    broker: Option<KillOnDrop>,
    /// How many times the broker was started; each start writes its own console file.
    starts: u32,
}

impl BinaryCluster {
    /// Starts the coordinator and the broker; `extra` lines are appended to
    /// server.properties. Returns once the broker logged that it started and answers Metadata.
    pub fn start(extra: &str) -> BinaryCluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let zk_port = free_port();
        let port = free_port();
        // tickTime 500 lets the broker ask for a 2 s session, so the registration of a killed
        // broker expires quickly and a restart does not wait Kafka's default 18 s.
        std::fs::write(
            dir.path().join("zookeeper.properties"),
            format!(
                "dataDir={}\nclientPort={zk_port}\nclientPortAddress=127.0.0.1\n\
                 tickTime=500\nmaxClientCnxns=0\nadmin.enableServer=false\n\
                 4lw.commands.whitelist=*\n",
                dir.path().join("zookeeper").display()
            ),
        )
        .expect("write zookeeper.properties");
        std::fs::write(
            dir.path().join("server.properties"),
            format!(
                "broker.id=0\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\n\
                 zookeeper.connect=127.0.0.1:{zk_port}\nzookeeper.session.timeout.ms=2000\n\
                 num.partitions=1\noffsets.topic.replication.factor=1\n\
                 group.initial.rebalance.delay.ms=0\n{extra}",
                dir.path().join("kafka-logs").display()
            ),
        )
        .expect("write server.properties");
        let zk = spawn(
            dir.path(),
            &["zookeeper-server-start", "zookeeper.properties"],
            "zookeeper.out",
        );
        let mut cluster = BinaryCluster {
            dir,
            zk_port,
            port,
            zk: Some(zk),
            broker: None,
            starts: 0,
        };
        assert!(
            wait_until(Duration::from_secs(20), || four_letter_word(
                zk_port, "ruok"
            )
            .is_some_and(|a| a == "imok")),
            "coordinator did not start:\n{}",
            cluster.read("zookeeper.out")
        );
        cluster.start_broker();
        cluster
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn zk_connect(&self) -> String {
        format!("127.0.0.1:{}", self.zk_port)
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("kafka-logs")
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// The console output of the broker's latest start.
    pub fn broker_output(&self) -> String {
        self.read(&format!("server-{}.out", self.starts))
    }

    /// Starts the broker (again) on the same config and log dir and waits until it logged
    /// "started" and answers a Metadata request listing itself.
    pub fn start_broker(&mut self) {
        assert!(self.broker.is_none(), "broker already running");
        self.starts += 1;
        let out = format!("server-{}.out", self.starts);
        let mut child = spawn(
            self.dir.path(),
            &["server-start", "server.properties"],
            &out,
        );
        let ok = wait_until(Duration::from_secs(30), || {
            self.read(&out).contains("] started") || child.0.try_wait().unwrap().is_some()
        });
        assert!(
            ok && self.read(&out).contains("] started"),
            "broker did not start:\n{}",
            self.read(&out)
        );
        self.broker = Some(child);
        assert!(
            wait_until(Duration::from_secs(20), || RawClient::connect(self.port)
                .is_some_and(|mut c| c.metadata_brokers() == Some(1))),
            "broker does not answer Metadata:\n{}",
            self.broker_output()
        );
    }

    /// Sends `signal` to the broker and waits for it to exit; returns its exit code (None when
    /// a signal ended it). After SIGKILL it also waits until the coordinator expired the old
    /// registration, as Kafka requires before the same id registers again.
    pub fn stop_broker(&mut self, signal: nix::sys::signal::Signal) -> Option<i32> {
        let mut child = self.broker.take().expect("broker running");
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.0.id()).expect("pid"));
        nix::sys::signal::kill(pid, signal).expect("signal the broker");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.0.try_wait().expect("wait") {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "broker did not exit on {signal}:\n{}",
                self.broker_output()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            wait_until(Duration::from_secs(20), || four_letter_word(
                self.zk_port,
                "dump"
            )
            .is_some_and(|d| !d.contains("\t/brokers/ids/0\n"))),
            "the old registration did not go away"
        );
        status.code()
    }

    /// Runs `rkafka ARGS` with `--bootstrap-server` of this cluster appended.
    pub fn rkafka_bootstrap(&self, args: &[&str]) -> std::process::Output {
        let bootstrap = self.bootstrap();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--bootstrap-server", &bootstrap]);
        super::rkafka(&all)
    }

    /// Creates `topic` with rkafka's topic tool, panicking unless it says so.
    pub fn create_topic(&self, topic: &str, partitions: u32, configs: &[&str]) {
        let partitions = partitions.to_string();
        let mut args = vec![
            "topics",
            "--create",
            "--topic",
            topic,
            "--partitions",
            &partitions,
            "--replication-factor",
            "1",
        ];
        for c in configs {
            args.extend(["--config", c]);
        }
        let out = self.rkafka_bootstrap(&args);
        assert_eq!(
            super::stdout(&out),
            format!("Created topic {topic}.\n"),
            "{}",
            super::stderr(&out)
        );
        self.wait_led(topic, partitions.parse().unwrap_or(0));
    }

    /// Waits until every partition of `topic` has a leader in the broker's metadata.
    pub fn wait_led(&self, topic: &str, partitions: usize) {
        assert!(
            wait_until(Duration::from_secs(20), || {
                RawClient::connect(self.port)
                    .and_then(|mut c| c.leaders(topic))
                    .is_some_and(|l| l.len() == partitions && l.iter().all(|&x| x == 0))
            }),
            "{topic} has no leaders:\n{}",
            self.broker_output()
        );
    }
}

fn spawn(dir: &Path, args: &[&str], out: &str) -> KillOnDrop {
    let out = std::fs::File::create(dir.join(out)).expect("console file");
    KillOnDrop(
        Command::new(rkafka_bin())
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("rkafka starts"),
    )
}

/// Kills the processes even when the test panicked while a broker was between starts.
impl Drop for BinaryCluster {
    fn drop(&mut self) {
        self.broker.take();
        self.zk.take();
    }
}

/// A blocking one-request-at-a-time Kafka client for exact requests.
pub struct RawClient {
    pub stream: TcpStream,
    next_correlation: i32,
}

impl RawClient {
    pub fn connect(port: u16) -> Option<RawClient> {
        let stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .ok()?;
        stream.set_nodelay(true).ok()?;
        Some(RawClient {
            stream,
            next_correlation: 1,
        })
    }

    /// Sends one request; None when the broker closed the connection instead of answering.
    pub fn call<M: ApiRequest>(&mut self, version: i16, body: &M) -> Option<Response> {
        let correlation_id = self.next_correlation;
        self.next_correlation += 1;
        let mut buf = BytesMut::new();
        encode_request(
            &mut buf,
            correlation_id,
            Some("interop-test"),
            version,
            body,
        )
        .expect("encode");
        self.stream.write_all(&buf).ok()?;
        let frame = read_frame(&mut self.stream)?;
        let (header, resp) = decode_response(M::API_KEY, version, frame).expect("decodable");
        assert_eq!(header.correlation_id, correlation_id);
        Some(resp)
    }

    /// Broker count of a Metadata v1 answer for no topics.
    pub fn metadata_brokers(&mut self) -> Option<usize> {
        let req = rkafka::protocol::messages::MetadataRequest {
            topics: Some(Vec::new()),
            ..Default::default()
        };
        match self.call(1, &req)? {
            Response::Metadata(m) => Some(m.brokers.len()),
            _ => None,
        }
    }

    /// The leader of each partition of `topic` (partition order), None if the topic is
    /// unknown.
    pub fn leaders(&mut self, topic: &str) -> Option<Vec<i32>> {
        let req = rkafka::protocol::messages::MetadataRequest {
            topics: Some(vec![
                rkafka::protocol::messages::metadata_request::MetadataRequestTopic {
                    name: Some(topic.into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let Response::Metadata(m) = self.call(1, &req)? else {
            return None;
        };
        let t = m.topics.first()?;
        if t.error_code != 0 {
            return None;
        }
        let mut parts: Vec<_> = t
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.leader_id))
            .collect();
        parts.sort_unstable();
        Some(parts.into_iter().map(|(_, l)| l).collect())
    }

    /// Produces `records` to one partition (Produce v9); (error code, base offset), or None
    /// when the connection closed.
    pub fn produce(
        &mut self,
        topic: &str,
        partition: i32,
        records: Bytes,
        acks: i16,
    ) -> Option<(i16, i64)> {
        let req = ProduceRequest {
            acks,
            timeout_ms: 5000,
            topic_data: vec![TopicProduceData {
                name: topic.into(),
                partition_data: vec![PartitionProduceData {
                    index: partition,
                    records: Some(records),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let Response::Produce(r) = self.call(9, &req)? else {
            panic!("not a produce response")
        };
        let p = r.responses.first()?.partition_responses.first()?;
        Some((p.error_code, p.base_offset))
    }

    /// A new idempotent producer id and epoch (InitProducerId v4).
    pub fn init_producer_id(&mut self) -> (i64, i16) {
        let req = InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
            ..Default::default()
        };
        let Some(Response::InitProducerId(r)) = self.call(4, &req) else {
            panic!("no InitProducerId answer")
        };
        assert_eq!(r.error_code, 0, "InitProducerId");
        (r.producer_id, r.producer_epoch)
    }

    fn fetch(&mut self, topic: &str, partition: i32, offset: i64) -> FetchResponse {
        let req = FetchRequest {
            replica_id: -1,
            max_wait_ms: 0,
            min_bytes: 0,
            max_bytes: 50 << 20,
            session_epoch: -1,
            topics: vec![FetchTopic {
                topic: topic.into(),
                partitions: vec![FetchPartition {
                    partition,
                    current_leader_epoch: -1,
                    fetch_offset: offset,
                    last_fetched_epoch: -1,
                    log_start_offset: -1,
                    partition_max_bytes: 1 << 20,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let Some(Response::Fetch(r)) = self.call(11, &req) else {
            panic!("no fetch answer")
        };
        r
    }

    /// Every record (offset, value) of the partition from offset 0 to its high watermark.
    pub fn read_all(&mut self, topic: &str, partition: i32) -> Vec<(i64, Vec<u8>)> {
        let mut out = Vec::new();
        let mut next = 0;
        loop {
            let r = self.fetch(topic, partition, next);
            let p = &r.responses[0].partitions[0];
            assert_eq!(p.error_code, 0, "fetch {topic}-{partition} at {next}");
            let got: Vec<_> = values(p.records.as_ref().expect("records"))
                .into_iter()
                .filter(|(o, _)| *o >= next)
                .collect();
            let Some(last) = got.last() else {
                assert!(next >= p.high_watermark, "stuck below the high watermark");
                return out;
            };
            next = last.0 + 1;
            out.extend(got);
        }
    }
}

fn read_frame(s: &mut TcpStream) -> Option<Bytes> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; usize::try_from(i32::from_be_bytes(len)).ok()?];
    s.read_exact(&mut body).ok()?;
    Some(Bytes::from(body))
}

/// Every record value in fetched bytes, with its offset.
pub fn values(records: &Bytes) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    for b in Batches::new(records.clone()) {
        let Batch::V2(b) = b.expect("a batch") else {
            panic!("legacy batch")
        };
        for r in b.records(64 << 20).expect("records") {
            let r = r.expect("a record");
            out.push((r.offset, r.value.map(|v| v.to_vec()).unwrap_or_default()));
        }
    }
    out
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// One batch of `values` (no key), in `compression`.
pub fn batch(values: &[&[u8]], compression: Compression) -> Bytes {
    let mut b = BatchBuilder::new(compression);
    for v in values {
        b.append(now_ms(), None, Some(v), &[]).expect("append");
    }
    b.build().expect("build")
}

/// One idempotent batch of `values` from producer `pid`/`epoch` starting at sequence `seq`.
pub fn idempotent_batch(pid: i64, epoch: i16, seq: i32, values: &[&[u8]]) -> Bytes {
    let mut b = BatchBuilder::new(Compression::None).producer(pid, epoch, seq);
    for v in values {
        b.append(now_ms(), None, Some(v), &[]).expect("append");
    }
    b.build().expect("build")
}
