//! Interop: a real Apache Kafka 3.9.1 broker in ZooKeeper mode runs on rkafka's coordinator.
//! It must register itself, win the controller election, lay out its znodes, turn a topic
//! written into the tree (as `kafka-topics --zookeeper` did) into partition state, and when
//! SIGKILLed its ephemeral znodes must vanish within its session timeout. In between, the
//! coordinator restarts under it and the broker's session must resume.
//! Needs java and Kafka's jars from Maven Central (tests/common/kafka.rs finds them): run
//! tests/interop/setup.sh.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rkafka::coordinator::{Coordinator, CoordinatorSettings};

mod common;
use common::Client;

fn kafka_libs() -> PathBuf {
    common::kafka::KafkaVersion::V3_9.libs()
}

struct Broker(Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for<T>(what: &str, limit: Duration, log: &Path, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > limit {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "timed out waiting for {what}; broker log tail:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_broker_runs_on_the_coordinator() {
    let libs = kafka_libs();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = CoordinatorSettings {
        data_dir: dir.path().join("zk"),
        client_addr: "127.0.0.1:0".parse().unwrap(),
        tick_time_ms: 500,
        min_session_timeout_ms: 1000,
        max_session_timeout_ms: 20_000,
        max_client_cnxns: 0,
        ..CoordinatorSettings::default()
    };
    let server = Coordinator::start(settings.clone()).await.unwrap();
    let zk = server.local_addr();
    settings.client_addr = zk;
    let dir_path = dir.path().to_path_buf();
    let rt = tokio::runtime::Handle::current();
    let server = tokio::task::spawn_blocking(move || {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let props = dir_path.join("server.properties");
        std::fs::write(
            &props,
            format!(
                "broker.id=0\nzookeeper.connect={zk}\nzookeeper.session.timeout.ms=6000\n\
                 listeners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\n\
                 offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\n\
                 transaction.state.log.min.isr=1\ngroup.initial.rebalance.delay.ms=0\n",
                dir_path.join("kafka-logs").display()
            ),
        )
        .unwrap();
        let log4j = dir_path.join("log4j.properties");
        std::fs::write(
            &log4j,
            "log4j.rootLogger=INFO, out\nlog4j.appender.out=org.apache.log4j.ConsoleAppender\n\
             log4j.appender.out.layout=org.apache.log4j.PatternLayout\n\
             log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n\n",
        )
        .unwrap();
        let log = dir_path.join("broker.log");
        let out = std::fs::File::create(&log).unwrap();
        let broker = Broker(
            Command::new("java")
                .arg("-Xmx384m")
                .arg(format!("-Dlog4j.configuration=file:{}", log4j.display()))
                .arg("-cp")
                .arg(format!("{}/*", libs.display()))
                .arg("kafka.Kafka")
                .arg(&props)
                .stdout(Stdio::from(out.try_clone().unwrap()))
                .stderr(Stdio::from(out))
                .spawn()
                .unwrap(),
        );
        let mut c = Client::connect(zk);

        let (reg, reg_stat) = wait_for("/brokers/ids/0", Duration::from_secs(90), &log, || c.get("/brokers/ids/0", false).ok());
        let reg = String::from_utf8(reg).unwrap();
        assert!(reg.contains(&format!("\"port\":{port}")), "{reg}");
        assert!(reg.contains(&format!("PLAINTEXT://127.0.0.1:{port}")), "{reg}");
        assert_ne!(reg_stat.ephemeral_owner, 0);
        let (ctl, ctl_stat) = wait_for("/controller", Duration::from_secs(30), &log, || c.get("/controller", false).ok());
        assert!(String::from_utf8_lossy(&ctl).contains("\"brokerid\":0"));
        assert_eq!(ctl_stat.ephemeral_owner, reg_stat.ephemeral_owner, "same session");
        wait_for("controller_epoch", Duration::from_secs(10), &log, || {
            c.get("/controller_epoch", false).ok().filter(|(d, _)| d == b"1")
        });
        for p in [
            "/brokers/topics",
            "/brokers/seqid",
            "/config/changes",
            "/config/topics",
            "/admin/delete_topics",
            "/isr_change_notification",
            "/latest_producer_id_block",
            "/cluster/id",
        ] {
            assert!(c.get(p, false).is_ok(), "{p} missing");
        }

        // A topic written straight into the tree, as kafka-topics --zookeeper did.
        c.create(
            "/brokers/topics/zt",
            br#"{"version":3,"partitions":{"0":[0],"1":[0]},"adding_replicas":{},"removing_replicas":{}}"#,
            0,
        )
        .unwrap();
        for p in 0..2 {
            let path = format!("/brokers/topics/zt/partitions/{p}/state");
            let (state, _) = wait_for(&path, Duration::from_secs(30), &log, || c.get(&path, false).ok());
            let state = String::from_utf8(state).unwrap();
            assert!(state.contains("\"leader\":0") && state.contains("\"isr\":[0]"), "{state}");
        }
        let (topic, _) = c.get("/brokers/topics/zt", false).unwrap();
        assert!(String::from_utf8_lossy(&topic).contains("topic_id"), "the controller assigned a topic id");

        // The coordinator restarts on the same port: the broker's ZooKeeper client resumes
        // its session (id and password) and the controller keeps working.
        rt.block_on(server.shutdown()).unwrap();
        let server = rt.block_on(Coordinator::start(settings)).unwrap();
        let mut c = Client::connect(zk);
        let (_, st) = c.get("/brokers/ids/0", false).unwrap();
        assert_eq!(st.ephemeral_owner, reg_stat.ephemeral_owner, "same session after the restart");
        c.create(
            "/brokers/topics/zt2",
            br#"{"version":3,"partitions":{"0":[0]},"adding_replicas":{},"removing_replicas":{}}"#,
            0,
        )
        .unwrap();
        let path = "/brokers/topics/zt2/partitions/0/state";
        let (state, _) = wait_for(path, Duration::from_secs(30), &log, || c.get(path, false).ok());
        assert!(String::from_utf8_lossy(&state).contains("\"leader\":0"));
        let (_, st) = c.get("/controller", false).unwrap();
        assert_eq!(st.ephemeral_owner, reg_stat.ephemeral_owner, "still the controller");

        // SIGKILL: no closeSession; the session (6 s) must expire and take the ephemerals.
        drop(broker);
        let killed = Instant::now();
        assert!(c.get("/brokers/ids/0", false).is_ok(), "gone before the session expired");
        wait_for("/brokers/ids/0 to vanish", Duration::from_secs(15), &log, || {
            c.get("/brokers/ids/0", false).err()
        });
        assert!(killed.elapsed() >= Duration::from_secs(3), "vanished too early: {:?}", killed.elapsed());
        assert_eq!(c.get("/controller", false).unwrap_err(), -101);
        server
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}
