//! `rkafka server-start` / `server-stop` run as operators run them: the real binary against
//! rkafka's coordinator (in-process, 127.0.0.1:0) or a real Apache ZooKeeper 3.8. Checks the
//! registration znode and `/cluster/id`, serving (broker-api-versions, kcat), configuration and
//! start-up failures with their exit codes, graceful shutdown, crash recovery, cluster id
//! mismatch, session expiry (a SIGSTOPped broker) and `-daemon` + `server-stop`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{KillOnDrop, code, free_port, rkafka, stderr, stdout, wait_until};
use rkafka::coordinator::client::{ClientConfig, Stat, ZkClient, ZkError};
use rkafka::coordinator::kafka_paths::{BrokerRegistration, ClusterId, path};
use rkafka::coordinator::{Coordinator, CoordinatorSettings};
use rkafka::log::LogConfig;
use rkafka::log::partition_log::{OpenOptions, PartitionLog};
use rkafka::protocol::records::{BatchBuilder, Compression};

/// `server-stop` stops every broker on the machine: the test using it runs alone (write
/// lock); the others share (read lock).
static STOP_LOCK: RwLock<()> = RwLock::new(());

/// A coordinator for one test and a session on it for the checks.
struct Zk {
    connect: String,
    client: ZkClient,
    _coordinator: Option<Coordinator>,
    rt: tokio::runtime::Runtime,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

impl Zk {
    /// rkafka's coordinator on 127.0.0.1:0 (tick 200 ms, so sessions may be as short as
    /// 400 ms).
    fn start(dir: &Path) -> Zk {
        let rt = runtime();
        let settings = CoordinatorSettings {
            data_dir: dir.join("zk"),
            client_addr: "127.0.0.1:0".parse().unwrap(),
            tick_time_ms: 200,
            min_session_timeout_ms: 400,
            max_session_timeout_ms: 30_000,
            max_client_cnxns: 0,
            four_letter_whitelist: vec!["*".into()],
            ..CoordinatorSettings::default()
        };
        let coordinator = rt.block_on(Coordinator::start(settings)).unwrap();
        let connect = coordinator.local_addr().to_string();
        let client = rt.block_on(connect_client(&connect));
        Zk {
            connect,
            client,
            _coordinator: Some(coordinator),
            rt,
        }
    }

    /// The real Apache ZooKeeper of tests/common/real_zk.rs, under a fresh chroot.
    fn real(chroot: &str) -> Zk {
        let real = common::real_zk::real_zk();
        let rt = runtime();
        let connect = format!("{}{chroot}", real.addr);
        let client = rt.block_on(connect_client(&real.addr.to_string()));
        Zk {
            connect,
            client,
            _coordinator: None,
            rt,
        }
    }

    fn get(&self, p: &str) -> Option<(Vec<u8>, Stat)> {
        match self.rt.block_on(self.client.get_data(p, false)) {
            Ok((data, stat)) => Some((data.to_vec(), stat)),
            Err(ZkError::NoNode { .. }) => None,
            Err(e) => panic!("get {p}: {e}"),
        }
    }

    fn exists(&self, p: &str) -> bool {
        self.rt
            .block_on(self.client.exists(p, false))
            .unwrap()
            .is_some()
    }
}

async fn connect_client(connect: &str) -> ZkClient {
    let config = ClientConfig {
        session_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(10),
        ..ClientConfig::new(connect)
    };
    ZkClient::connect(config).await.unwrap().0
}

/// A broker's files: its config, log dir and console output.
struct BrokerFiles {
    dir: PathBuf,
    config: PathBuf,
    logs: PathBuf,
    out: PathBuf,
    port: u16,
}

impl BrokerFiles {
    /// A server.properties for broker `id` on a free port with `extra` lines.
    fn new(dir: &Path, name: &str, zk_connect: &str, id: i32, extra: &str) -> BrokerFiles {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let logs = dir.join("kafka-logs");
        let config = dir.join("server.properties");
        std::fs::write(
            &config,
            format!(
                "broker.id={id}\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\n\
                 zookeeper.connect={zk_connect}\n{extra}",
                logs.display()
            ),
        )
        .unwrap();
        BrokerFiles {
            out: dir.join("console.out"),
            dir,
            config,
            logs,
            port,
        }
    }

    fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// `rkafka server-start CONFIG ARGS` in the background, console output to `out`.
    fn spawn(&self, args: &[&str]) -> Child {
        let out = std::fs::File::create(&self.out).unwrap();
        Command::new(common::rkafka_bin())
            .arg("server-start")
            .arg(&self.config)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap()
    }

    /// Starts the broker and waits until it logged "started".
    fn start(&self) -> KillOnDrop {
        let mut child = KillOnDrop(self.spawn(&[]));
        let ok = wait_until(Duration::from_secs(20), || {
            self.output().contains("] started") || child.0.try_wait().unwrap().is_some()
        });
        assert!(
            ok && self.output().contains("] started"),
            "broker did not start:\n{}",
            self.output()
        );
        child
    }

    /// Runs `rkafka server-start` expecting it to fail; returns (exit code, stderr).
    fn start_fails(&self, args: &[&str]) -> (i32, String) {
        let mut child = self.spawn(args);
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("server-start kept running:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status.code().unwrap_or(-1), self.output())
    }
}

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, sig).unwrap();
}

/// Waits for the process to exit and returns its exit code.
fn wait_exit(child: &mut Child, timeout: Duration) -> i32 {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One ApiVersions v0 round trip; true when the broker answered with error 0.
fn api_versions_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    // size, api key 18, version 0, correlation id 7, client id "t"
    let req: [u8; 15] = [0, 0, 0, 11, 0, 18, 0, 0, 0, 0, 0, 7, 0, 1, b't'];
    if s.write_all(&req).is_err() {
        return false;
    }
    let mut head = [0u8; 10];
    if s.read_exact(&mut head).is_err() {
        return false;
    }
    head[4..8] == [0, 0, 0, 7] && head[8..10] == [0, 0]
}

fn registration(zk: &Zk, id: i32) -> Option<(BrokerRegistration, Stat)> {
    zk.get(&path::broker(id))
        .map(|(data, stat)| (BrokerRegistration::decode(&data).unwrap(), stat))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn broker_starts_registers_serves_and_stops_cleanly() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());
    let files = BrokerFiles::new(dir.path(), "b0", &zk.connect, 0, "");
    let before = now_ms();
    let spawned = Instant::now();
    let mut broker = KillOnDrop(files.spawn(&[]));
    assert!(
        wait_until(Duration::from_secs(20), || api_versions_ok(files.port)),
        "{}",
        files.output()
    );
    eprintln!(
        "start-up: first ApiVersions answered {} ms after spawning server-start (fresh cluster)",
        spawned.elapsed().as_millis()
    );
    assert!(wait_until(Duration::from_secs(5), || files
        .output()
        .contains("] started")));

    let (reg, stat) = registration(&zk, 0).expect("registered");
    assert_eq!(reg.version, 5);
    assert_eq!(
        reg.endpoints,
        vec![format!("PLAINTEXT://127.0.0.1:{}", files.port)]
    );
    assert_eq!(reg.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(reg.port, i32::from(files.port));
    assert_eq!(reg.jmx_port, -1);
    let ts: i64 = reg.timestamp.parse().unwrap();
    assert!(before <= ts && ts <= now_ms(), "timestamp {ts}");
    assert!(stat.ephemeral_owner != 0, "ephemeral");
    let raw = String::from_utf8(zk.get(&path::broker(0)).unwrap().0).unwrap();
    assert!(
        raw.contains(r#""listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"}"#),
        "{raw}"
    );

    let (cluster, _) = zk.get(path::CLUSTER_ID).expect("/cluster/id");
    let cluster = ClusterId::decode(&cluster).unwrap();
    assert_eq!(cluster.version, "1");
    assert_eq!(cluster.id.len(), 22);
    for p in path::persistent_paths() {
        assert!(zk.exists(&p), "{p} missing");
    }
    let meta = std::fs::read_to_string(files.logs.join("meta.properties")).unwrap();
    assert!(
        meta.contains(&format!("cluster.id={}", cluster.id)),
        "{meta}"
    );
    assert!(meta.contains("broker.id=0"), "{meta}");

    // Real clients: rkafka's tool and kcat.
    let out = rkafka(&[
        "broker-api-versions",
        "--bootstrap-server",
        &files.bootstrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("127.0.0.1:{} (id: 0 rack: null)", files.port)),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("ApiVersions(18)"), "{}", stdout(&out));
    let out = common::kafka::kcat(&["-L", "-b", &files.bootstrap()], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("broker 0 at 127.0.0.1:{}", files.port)),
        "{}",
        stdout(&out)
    );

    // SIGTERM: exit 0, registration gone, logs sealed.
    assert!(!files.logs.join(".kafka_cleanshutdown").exists());
    signal(&broker.0, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(wait_exit(&mut broker.0, Duration::from_secs(20)), 0);
    assert!(registration(&zk, 0).is_none(), "registration removed");
    assert!(files.logs.join(".kafka_cleanshutdown").exists());
    let out = files.output();
    assert!(
        out.contains("[KafkaServer id=0] shut down completed"),
        "{out}"
    );

    // A second start of the same broker on the warm cluster.
    let spawned = Instant::now();
    let _again = KillOnDrop(files.spawn(&[]));
    assert!(wait_until(Duration::from_secs(20), || api_versions_ok(
        files.port
    )));
    eprintln!(
        "start-up: first ApiVersions answered {} ms after spawning server-start (restart)",
        spawned.elapsed().as_millis()
    );
    assert!(wait_until(Duration::from_secs(5), || registration(&zk, 0).is_some()));
    assert_eq!(
        ClusterId::decode(&zk.get(path::CLUSTER_ID).unwrap().0)
            .unwrap()
            .id,
        cluster.id,
        "cluster id kept"
    );
}

#[test]
fn bad_configuration_exits_2_naming_the_key() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("broker.id=abc\n", "broker.id"),
        ("broker.id=5000\n", "broker.id"),
        ("num.partitions=0\n", "num.partitions"),
        ("listeners=PLAINTEXT://nowhere\n", "listeners"),
    ];
    for (i, (line, key)) in cases.iter().enumerate() {
        let config = dir.path().join(format!("s{i}.properties"));
        std::fs::write(&config, format!("zookeeper.connect=127.0.0.1:1\n{line}")).unwrap();
        let out = rkafka(&["server-start", config.to_str().unwrap()]);
        assert_eq!(code(&out), 2, "{line}: {}", stderr(&out));
        let expected = format!("{}:2: {key}:", config.display());
        assert!(stderr(&out).contains(&expected), "{line}: {}", stderr(&out));
    }
    let config = dir.path().join("nozk.properties");
    std::fs::write(&config, "broker.id=0\n").unwrap();
    let out = rkafka(&["server-start", config.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("zookeeper.connect"),
        "{}",
        stderr(&out)
    );
    // --override is checked the same way.
    let out = rkafka(&[
        "server-start",
        config.to_str().unwrap(),
        "--override",
        "zookeeper.connect=127.0.0.1:1",
        "--override",
        "broker.id=x",
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--override: broker.id"),
        "{}",
        stderr(&out)
    );
    let out = rkafka(&["server-start", "/nonexistent/server.properties"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn occupied_port_and_duplicate_id_fail_with_kafkas_messages() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let files = BrokerFiles::new(
        dir.path(),
        "busy",
        &zk.connect,
        7,
        &format!("listeners=PLAINTEXT://127.0.0.1:{port}\n"),
    );
    let (exit, out) = files.start_fails(&[]);
    assert_eq!(exit, 1, "{out}");
    assert!(
        out.contains(&format!(
            "Socket server failed to bind to 127.0.0.1:{port}: Address already in use"
        )),
        "{out}"
    );
    assert!(registration(&zk, 7).is_none());
    drop(busy);

    let first = BrokerFiles::new(dir.path(), "first", &zk.connect, 3, "");
    let _running = first.start();
    let (_, stat) = registration(&zk, 3).unwrap();
    let second = BrokerFiles::new(dir.path(), "second", &zk.connect, 3, "");
    let (exit, out) = second.start_fails(&[]);
    assert_eq!(exit, 1, "{out}");
    let expected = format!(
        "Error while creating ephemeral at /brokers/ids/3, node already exists and owner '{}' does not match current session '",
        stat.ephemeral_owner
    );
    assert!(out.contains(&expected), "{out}");
    let (reg, after) = registration(&zk, 3).unwrap();
    assert_eq!(
        after.czxid, stat.czxid,
        "the first broker keeps its registration"
    );
    assert!(reg.endpoints[0].ends_with(&format!(":{}", first.port)));
}

#[test]
fn generated_broker_id_and_chroot_follow_kafka() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());
    let connect = format!("{}/kafka/prod", zk.connect);
    let files = BrokerFiles::new(dir.path(), "gen", &connect, -1, "");
    let mut broker = files.start();
    // /brokers/seqid goes from version 0 to 1: 1 + reserved.broker.max.id 1000.
    assert!(
        registration(&zk, 1001).is_none(),
        "registered under the chroot only"
    );
    let (data, _) = zk
        .get("/kafka/prod/brokers/ids/1001")
        .expect("id 1001 under the chroot");
    let reg = BrokerRegistration::decode(&data).unwrap();
    assert_eq!(reg.port, i32::from(files.port));
    assert!(zk.exists("/kafka/prod/cluster/id"));
    let meta = std::fs::read_to_string(files.logs.join("meta.properties")).unwrap();
    assert!(meta.contains("broker.id=1001"), "{meta}");
    signal(&broker.0, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(wait_exit(&mut broker.0, Duration::from_secs(20)), 0);
    // The stored id is used again rather than a new one.
    let _again = files.start();
    assert!(files.output().contains("[KafkaServer id=1001] started"));
}

/// Appends `batches` batches of 3 records (timestamps = offsets, so ancient) to
/// `<logs>/<topic>-0` through the storage engine and returns the size of its first segment.
fn write_partition(logs: &Path, topic: &str, batches: usize, config: LogConfig) -> u64 {
    let dir = logs.join(format!("{topic}-0"));
    let (mut log, _) = PartitionLog::open(&dir, topic, 0, config, OpenOptions::default()).unwrap();
    for _ in 0..batches {
        let mut b = BatchBuilder::new(Compression::None);
        let base = log.log_end_offset();
        for o in base..base + 3 {
            b.append(o, Some(b"k"), Some(o.to_string().as_bytes()), &[])
                .unwrap();
        }
        log.append_as_leader(BytesMut::from(&b.build().unwrap()[..]), 0, now_ms())
            .unwrap();
    }
    log.flush(now_ms()).unwrap();
    drop(log);
    std::fs::metadata(dir.join("00000000000000000000.log"))
        .unwrap()
        .len()
}

#[test]
fn killed_broker_restarts_and_recovers_its_logs() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());
    let files = BrokerFiles::new(
        dir.path(),
        "crash",
        &zk.connect,
        0,
        "zookeeper.session.timeout.ms=1000\n",
    );
    let valid = write_partition(&files.logs, "t", 4, LogConfig::default());
    let segment = files.logs.join("t-0/00000000000000000000.log");
    // A torn tail, as a crash in the middle of a write leaves.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&segment)
        .unwrap();
    f.write_all(&[0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 80, 1, 2, 3])
        .unwrap();
    drop(f);

    let mut broker = files.start();
    let out = files.output();
    assert!(
        out.contains("loaded 1 partition logs from 1 log dirs (1 needed recovery)"),
        "{out}"
    );
    assert_eq!(
        std::fs::metadata(&segment).unwrap().len(),
        valid,
        "torn tail cut"
    );

    signal(&broker.0, nix::sys::signal::Signal::SIGKILL);
    let _ = broker.0.wait();
    assert!(!files.logs.join(".kafka_cleanshutdown").exists());
    // As with Kafka, the old registration must expire before the id can register again.
    assert!(wait_until(Duration::from_secs(15), || registration(&zk, 0).is_none()));

    let mut broker = files.start();
    assert!(
        files.output().contains("loaded 1 partition logs"),
        "{}",
        files.output()
    );
    assert!(registration(&zk, 0).is_some());
    signal(&broker.0, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(wait_exit(&mut broker.0, Duration::from_secs(20)), 0);
    assert!(files.logs.join(".kafka_cleanshutdown").exists());
    let (log, _) = PartitionLog::open(
        &files.logs.join("t-0"),
        "t",
        0,
        LogConfig::default(),
        OpenOptions {
            clean_shutdown: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert_eq!(log.log_end_offset(), 12, "every record kept");
}

#[test]
fn stored_cluster_id_mismatch_is_refused() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());
    let files = BrokerFiles::new(dir.path(), "wrong", &zk.connect, 0, "");
    std::fs::create_dir_all(&files.logs).unwrap();
    std::fs::write(
        files.logs.join("meta.properties"),
        "version=0\nbroker.id=0\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n",
    )
    .unwrap();
    let (exit, out) = files.start_fails(&[]);
    assert_eq!(exit, 1, "{out}");
    let cluster = ClusterId::decode(&zk.get(path::CLUSTER_ID).unwrap().0)
        .unwrap()
        .id;
    assert!(
        out.contains(&format!(
            "The Cluster ID {cluster} doesn't match stored clusterId AAAAAAAAAAAAAAAAAAAAAA in meta.properties"
        )),
        "{out}"
    );
    assert!(out.contains("The broker is trying to join the wrong cluster"));
    assert!(registration(&zk, 0).is_none());
}

#[test]
fn expired_session_is_replaced_and_the_broker_registers_again() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());
    let files = BrokerFiles::new(
        dir.path(),
        "expiry",
        &zk.connect,
        5,
        "zookeeper.session.timeout.ms=1000\n",
    );
    let broker = files.start();
    let (_, first) = registration(&zk, 5).unwrap();
    // A paused process sends no pings: the coordinator expires its session for real.
    signal(&broker.0, nix::sys::signal::Signal::SIGSTOP);
    let gone = wait_until(Duration::from_secs(15), || registration(&zk, 5).is_none());
    signal(&broker.0, nix::sys::signal::Signal::SIGCONT);
    assert!(gone, "the session never expired");
    assert!(
        wait_until(Duration::from_secs(15), || registration(&zk, 5).is_some()),
        "not registered again:\n{}",
        files.output()
    );
    let (_, second) = registration(&zk, 5).unwrap();
    assert!(second.czxid > first.czxid, "new broker epoch");
    assert_ne!(second.ephemeral_owner, first.ephemeral_owner, "new session");
    assert!(files.output().contains("coordinator session expired"));
    assert!(
        files
            .output()
            .contains(&format!("broker epoch {}", second.czxid)),
        "{}",
        files.output()
    );
    assert!(api_versions_ok(files.port), "still serving");
}

#[test]
fn server_stop_stops_a_daemon_broker() {
    let _alone = STOP_LOCK.write().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());
    let files = BrokerFiles::new(dir.path(), "daemon", &zk.connect, 9, "");
    let log_dir = dir.path().join("daemon-logs");
    let out = Command::new(common::rkafka_bin())
        .args(["server-start", "-daemon"])
        .arg(&files.config)
        .env("LOG_DIR", &log_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        wait_until(Duration::from_secs(20), || registration(&zk, 9).is_some()),
        "daemon did not register"
    );
    let out = rkafka(&["server-stop"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(registration(&zk, 9).is_none());
    let console = std::fs::read_to_string(log_dir.join("kafkaServer.out")).unwrap();
    assert!(
        console.contains("[KafkaServer id=9] shut down completed"),
        "{console}"
    );
    assert!(files.logs.join(".kafka_cleanshutdown").exists());
    let out = rkafka(&["server-stop"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("No kafka server to stop"));
}

#[test]
fn registers_on_real_zookeeper() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let chroot = format!("/rkafka-runtime-{}-{}", std::process::id(), now_ms());
    let zk = Zk::real(&chroot);
    let files = BrokerFiles::new(dir.path(), "real", &zk.connect, 2, "");
    let mut broker = files.start();
    let (data, stat) = zk
        .get(&format!("{chroot}/brokers/ids/2"))
        .expect("registered on ZooKeeper");
    let reg = BrokerRegistration::decode(&data).unwrap();
    assert_eq!(reg.version, 5);
    assert_eq!(
        reg.endpoints,
        vec![format!("PLAINTEXT://127.0.0.1:{}", files.port)]
    );
    assert!(stat.ephemeral_owner != 0);
    let cluster = ClusterId::decode(&zk.get(&format!("{chroot}/cluster/id")).unwrap().0).unwrap();
    assert_eq!(cluster.id.len(), 22);
    assert!(zk.exists(&format!("{chroot}/config/topics")));
    assert!(api_versions_ok(files.port));
    signal(&broker.0, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(wait_exit(&mut broker.0, Duration::from_secs(20)), 0);
    assert!(zk.get(&format!("{chroot}/brokers/ids/2")).is_none());
}

#[test]
fn standalone_runs_a_coordinator_and_a_broker_in_the_working_directory() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let (zk_port, port) = (free_port(), free_port());
    let out_path = dir.path().join("standalone.out");
    let err_path = dir.path().join("standalone.err");
    let mut child = KillOnDrop(
        Command::new(common::rkafka_bin())
            .args(["standalone", "--zookeeper-port"])
            .arg(zk_port.to_string())
            .arg("--port")
            .arg(port.to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let printed = || std::fs::read_to_string(&out_path).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(20), || printed().contains("is up")),
        "{}\n{}",
        printed(),
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    let text = printed();
    assert!(
        text.contains(&format!("bootstrap server:   localhost:{port}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("zookeeper connect:  localhost:{zk_port}")),
        "{text}"
    );
    assert!(api_versions_ok(port));
    let data = dir.path().join("rkafka-data");
    assert!(data.join("zookeeper").is_dir() && data.join("kafka-logs").is_dir());

    let rt = runtime();
    let client = rt.block_on(connect_client(&format!("127.0.0.1:{zk_port}")));
    let (raw, _) = rt
        .block_on(client.get_data(&path::broker(0), false))
        .expect("broker 0 registered");
    let reg = BrokerRegistration::decode(&raw).unwrap();
    assert_eq!(reg.port, i32::from(port));
    rt.block_on(client.close()).unwrap();

    signal(&child.0, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(wait_exit(&mut child.0, Duration::from_secs(20)), 0);
    assert!(data.join("kafka-logs/.kafka_cleanshutdown").exists());
    assert!(
        TcpStream::connect(("127.0.0.1", zk_port)).is_err(),
        "coordinator stopped too"
    );
}

#[test]
fn maintenance_applies_retention_with_topic_overrides_from_the_coordinator() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let zk = Zk::start(dir.path());
    let files = BrokerFiles::new(
        dir.path(),
        "maint",
        &zk.connect,
        0,
        "log.retention.check.interval.ms=200\nlog.flush.offset.checkpoint.interval.ms=200\n",
    );
    let small = LogConfig {
        segment_bytes: 150,
        ..LogConfig::default()
    };
    // Two topics with ancient records in several segments; "keep" is told by its
    // /config/topics override to keep them forever, "drop" has the 7-day default.
    for topic in ["keep", "drop"] {
        write_partition(&files.logs, topic, 4, small.clone());
        let segments = std::fs::read_dir(files.logs.join(format!("{topic}-0")))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("log".as_ref()))
            .count();
        assert!(segments > 1, "{topic}: {segments} segments");
    }
    std::fs::write(
        files.logs.join("replication-offset-checkpoint"),
        "0\n2\nkeep 0 12\ndrop 0 12\n",
    )
    .unwrap();
    let config = rkafka::coordinator::kafka_paths::EntityConfig::new(
        [("retention.ms".to_string(), "-1".to_string())].into(),
    );
    zk.rt
        .block_on(async {
            rkafka::broker::registration::ensure_path(&zk.client, "/config/topics").await?;
            zk.client
                .create(
                    "/config/topics/keep",
                    &config.encode(),
                    &rkafka::coordinator::client::Acl::open_unsafe(),
                    rkafka::coordinator::client::CreateMode::Persistent,
                )
                .await
                .map_err(|e| rkafka::broker::registration::RegistrationError::Zk {
                    what: "create".into(),
                    source: e,
                })
        })
        .unwrap();

    let _broker = files.start();
    let first = |topic: &str| {
        files
            .logs
            .join(format!("{topic}-0/00000000000000000000.log"))
            .exists()
    };
    assert!(
        wait_until(Duration::from_secs(10), || !first("drop")),
        "retention never ran:\n{}",
        files.output()
    );
    // The checkpoint timer records the new log start offset.
    let starts = files.logs.join("log-start-offset-checkpoint");
    assert!(
        wait_until(Duration::from_secs(10), || {
            std::fs::read_to_string(&starts)
                .unwrap_or_default()
                .lines()
                .any(|l| l.starts_with("drop 0 ") && !l.ends_with(" 0"))
        }),
        "{}",
        std::fs::read_to_string(&starts).unwrap_or_default()
    );
    assert!(first("keep"), "the topic override kept the old segments");
}

#[test]
fn unreachable_coordinator_times_out_with_exit_1() {
    let _shared = STOP_LOCK.read().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let nobody = format!("127.0.0.1:{}", free_port());
    let files = BrokerFiles::new(
        dir.path(),
        "alone",
        &nobody,
        0,
        "zookeeper.connection.timeout.ms=500\n",
    );
    let began = Instant::now();
    let (exit, out) = files.start_fails(&[]);
    assert_eq!(exit, 1, "{out}");
    assert!(
        out.contains(&format!(
            "Timed out waiting for connection to the coordinator at {nobody} after 500 ms"
        )),
        "{out}"
    );
    assert!(began.elapsed() < Duration::from_secs(10));
    assert!(
        !files.logs.exists(),
        "nothing written before the coordinator answers"
    );
}
