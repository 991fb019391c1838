//! Crash test: the coordinator runs in a child process (this same test binary, re-executed
//! with RKAFKA_ZK_CHILD_DIR set) that is SIGKILLed while a client writes as fast as it can.
//! After each restart on the same data directory every acknowledged znode must be there with
//! its data, and zxids and sequence numbers must never go back.
//!
//! Uses its own `main` (harness = false) so the child mode is not a test of its own.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rkafka::coordinator::{Coordinator, CoordinatorSettings};

mod common;
use common::zk::Client;

const CHILD_ENV: &str = "RKAFKA_ZK_CHILD_DIR";

fn run_child(dir: &Path) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let settings = CoordinatorSettings {
            data_dir: dir.to_path_buf(),
            client_addr: "127.0.0.1:0".parse().unwrap(),
            tick_time_ms: 500,
            // Small logs so that kills also land around snapshots and log rolls.
            snap_count: 150,
            max_client_cnxns: 0,
            ..CoordinatorSettings::default()
        };
        let server = Coordinator::start(settings).await.unwrap();
        println!("PORT {}", server.local_addr().port());
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

fn spawn_child(dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .unwrap_or_else(|| panic!("child said {line:?}"))
        .parse()
        .unwrap();
    (child, SocketAddr::from(([127, 0, 0, 1], port)))
}

fn jitter_ms(lo: u64, hi: u64) -> u64 {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    lo + n % (hi - lo)
}

fn crash_test() {
    let dir = tempfile::tempdir().unwrap();
    let mut acked: Vec<(String, Vec<u8>)> = Vec::new();
    let mut max_zxid = 0i64;
    let mut last_seq: Option<String> = None;
    for round in 0..4 {
        let (mut child, addr) = spawn_child(dir.path());
        let mut c =
            Client::connect_with(addr, 0, vec![0; 16], max_zxid).expect("connect after restart");
        // Everything acknowledged before the previous kill is there.
        for (p, d) in &acked {
            let got = c
                .get(p, false)
                .unwrap_or_else(|e| panic!("round {round}: {p} lost (err {e})"));
            assert_eq!(&got.0, d, "round {round}: {p} data");
        }
        if round == 0 {
            c.create("/crash", b"", 0).unwrap();
            c.create("/seq", b"", 0).unwrap();
        }
        let kill_after = Duration::from_millis(jitter_ms(150, 600));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(kill_after);
            child.kill().unwrap();
            child.wait().unwrap();
        });
        let started = Instant::now();
        let mut i = 0;
        loop {
            let path = format!("/crash/r{round}-{i}");
            let data = format!("{round}:{i}").into_bytes();
            let Some(r) = c.try_create(&path, &data, 0) else {
                break;
            };
            let (_, z) = r.unwrap();
            assert!(
                z > max_zxid,
                "round {round}: zxid {z:#x} after {max_zxid:#x}"
            );
            max_zxid = z;
            acked.push((path, data));
            let Some(r) = c.try_create("/seq/n-", b"", 2) else {
                break;
            };
            let (p, z) = r.unwrap();
            assert!(
                last_seq.as_ref().is_none_or(|l| p > *l),
                "sequence went back: {p} after {last_seq:?}"
            );
            assert!(z > max_zxid);
            max_zxid = z;
            acked.push((p.clone(), Vec::new()));
            last_seq = Some(p);
            i += 1;
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server was never killed"
            );
        }
        killer.join().unwrap();
        assert!(i > 0, "round {round}: nothing acknowledged before the kill");
    }
    let (mut child, addr) = spawn_child(dir.path());
    let mut c = Client::connect_with(addr, 0, vec![0; 16], max_zxid).expect("final connect");
    for (p, d) in &acked {
        assert_eq!(&c.get(p, false).unwrap().0, d, "{p}");
    }
    let (_, z) = c.create("/after", b"", 0).unwrap();
    assert!(z > max_zxid);
    child.kill().unwrap();
    child.wait().unwrap();
    println!(
        "coordinator_crash: {} acknowledged znodes survived 4 SIGKILLs",
        acked.len()
    );
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        run_child(Path::new(&dir));
        return;
    }
    crash_test();
}
