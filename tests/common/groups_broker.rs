//! Helpers for tests/groups_broker.rs: rkafka's coordinator in-process with one rkafka broker
//! process that can be SIGKILLed and restarted on the same data, and kafka-python scripts run
//! against it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rkafka::coordinator::{Coordinator, CoordinatorSettings};

use crate::common::{KillOnDrop, free_port, rkafka_bin, wait_until};

/// rkafka's coordinator in-process and one broker (`rkafka server-start`, id 0) as a child
/// process in a scratch directory, on ports chosen once (a restart reuses them). The broker
/// is the controller; `__consumer_offsets` has one replica. Killed on drop.
pub struct Standalone {
    child: Option<KillOnDrop>,
    pub dir: tempfile::TempDir,
    config: PathBuf,
    pub bootstrap: String,
    _coordinator: Coordinator,
    _rt: tokio::runtime::Runtime,
}

impl Standalone {
    /// Starts both with the broker settings `extra` (`key=value` lines) after rkafka's test
    /// defaults, and waits until the broker serves metadata naming itself.
    pub fn start(extra: &str) -> Standalone {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let coordinator = rt
            .block_on(Coordinator::start(CoordinatorSettings {
                data_dir: dir.path().join("zk"),
                client_addr: "127.0.0.1:0".parse().unwrap(),
                tick_time_ms: 200,
                min_session_timeout_ms: 400,
                max_session_timeout_ms: 30_000,
                max_client_cnxns: 0,
                ..CoordinatorSettings::default()
            }))
            .unwrap();
        let port = free_port();
        let config = dir.path().join("server.properties");
        std::fs::write(
            &config,
            format!(
                "broker.id=0\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\n\
                 zookeeper.connect={}\nzookeeper.session.timeout.ms=1000\n\
                 offsets.topic.replication.factor=1\ngroup.initial.rebalance.delay.ms=0\n{extra}",
                dir.path().join("kafka-logs").display(),
                coordinator.local_addr()
            ),
        )
        .unwrap();
        let mut s = Standalone {
            child: None,
            dir,
            config,
            bootstrap: format!("127.0.0.1:{port}"),
            _coordinator: coordinator,
            _rt: rt,
        };
        s.boot();
        s
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("broker.out")
    }

    /// What the broker printed so far (for failure messages).
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }

    /// Starts the broker; after a SIGKILL its old registration lives until the session
    /// expires and the broker refuses to start meanwhile (as Kafka does), so an early exit
    /// is retried.
    fn boot(&mut self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let b = self.bootstrap.clone();
        loop {
            self.spawn();
            let mut exited = false;
            let up = wait_until(Duration::from_secs(60), || {
                exited = self
                    .child
                    .as_mut()
                    .is_some_and(|c| matches!(c.0.try_wait(), Ok(Some(_))));
                exited || {
                    let out = crate::common::kafka::kcat(&["-L", "-b", &b, "-m", "2"], b"");
                    out.status.success()
                        && String::from_utf8_lossy(&out.stdout).contains("1 brokers")
                }
            });
            if up && !exited {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "broker did not start:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .unwrap();
        let child = Command::new(rkafka_bin())
            .arg("server-start")
            .arg(&self.config)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(KillOnDrop(child));
    }

    /// SIGKILLs the broker and starts it again on the same data and port.
    pub fn kill_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.0.kill();
            let _ = c.0.wait();
        }
        self.boot();
    }
}

/// Runs a Python script (kafka-python) with `args`, bounded; panics with its output unless
/// it exits 0. Returns stdout.
pub fn python(script: &str, args: &[&str], timeout: Duration) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).args(args);
    let out: Output = crate::common::kafka::run_bounded(cmd, b"", timeout);
    assert!(
        out.status.success(),
        "python failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
