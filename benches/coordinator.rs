//! Side-by-side benchmark of rkafka's coordinator and a real Apache ZooKeeper 3.8 (Debian's
//! package), both started here as separate processes on 127.0.0.1 with comparable, durable
//! settings, and both driven by the same load generator: rkafka's async ZooKeeper client.
//!
//! Measures create/setData/getData throughput with 1 and 16 sequential clients (median of 3
//! measured runs after one warm-up run), watch notification latency (median and p99), and each server's RSS after 100k
//! znodes. Prints numbers, never asserts them. Run with `cargo bench --bench coordinator`;
//! `BENCH_SCALE=0.2` shrinks every operation count for a quick look.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rkafka::coordinator::client::{Acl, ClientConfig, CreateMode, ZkClient};

const ZK_SERVER: &str = "/usr/share/zookeeper/bin/zkServer.sh";
/// Same for both servers.
const TICK_MS: u32 = 2000;
const RUNS: usize = 3;
const CLIENTS: usize = 16;
const ZNODES: usize = 100_000;
const WATCH_ROUNDS: usize = 500;

/// One server under test; killed (and its directory removed) on drop.
struct Server {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn four_letter(addr: SocketAddr, word: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(word.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Both data dirs live under the same parent, so on the same disk.
fn bench_root() -> PathBuf {
    std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

fn make_dir(prefix: &str) -> PathBuf {
    let root = bench_root();
    let dir = root.join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).expect("create the bench dir");
    dir
}

fn wait_ready(name: &str, addr: SocketAddr, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    // srvr answers "not currently serving" until the server has loaded its database.
    while !four_letter(addr, "srvr").is_some_and(|s| s.starts_with("Zookeeper version")) {
        assert!(
            Instant::now() < deadline,
            "{name} did not answer ruok on {addr}; its output:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The settings both servers share: durable log (fsync before acknowledging), same tick,
/// every four-letter word allowed, no connection limit in the way.
fn common_cfg(dir: &Path, port: u16) -> String {
    format!(
        "dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\ntickTime={TICK_MS}\n\
         4lw.commands.whitelist=*\nmaxClientCnxns=0\n",
        dir.join("data").display()
    )
}

fn start_rkafka() -> Server {
    let dir = make_dir("rkafka-bench-coord");
    let port = free_port();
    let cfg = dir.join("zookeeper.properties");
    std::fs::write(&cfg, common_cfg(&dir, port)).expect("write the config");
    let log = dir.join("server.out");
    let out = std::fs::File::create(&log).expect("create the log");
    let child = Command::new(env!("CARGO_BIN_EXE_rkafka"))
        .arg("zookeeper-server-start")
        .arg(&cfg)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .expect("start rkafka's coordinator");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_ready("rkafka", addr, &log);
    Server {
        name: "rkafka",
        child,
        addr,
        dir,
    }
}

fn start_zookeeper() -> Server {
    assert!(
        Path::new(ZK_SERVER).exists(),
        "Apache ZooKeeper is not installed ({ZK_SERVER} missing): run tests/interop/setup.sh"
    );
    let dir = make_dir("rkafka-bench-zk");
    let port = free_port();
    let cfg = dir.join("zoo.cfg");
    // forceSync is left at its default (yes): every logged transaction is fsynced.
    std::fs::write(
        &cfg,
        format!("{}admin.enableServer=false\n", common_cfg(&dir, port)),
    )
    .expect("write the config");
    let log = dir.join("zk.out");
    let out = std::fs::File::create(&log).expect("create the log");
    // start-foreground execs java, so the child's pid is the JVM's.
    let child = Command::new(ZK_SERVER)
        .arg("start-foreground")
        .arg(&cfg)
        .env("ZOO_LOG_DIR", &dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .expect("start ZooKeeper");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_ready("ZooKeeper", addr, &log);
    Server {
        name: "ZooKeeper",
        child,
        addr,
        dir,
    }
}

/// VmRSS of a process, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The JVM's heap flags on its command line, or what the default works out to.
fn jvm_heap_settings(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let flags: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .filter(|a| a.starts_with("-Xm") || a.contains("HeapSize") || a.contains("RAMPercentage"))
        .collect();
    if !flags.is_empty() {
        return flags.join(" ");
    }
    let out = Command::new("java")
        .args(["-XX:+PrintFlagsFinal", "-version"])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let get = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|b| format!("{} MiB", b >> 20))
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "no -Xms/-Xmx (JVM default: initial {}, max {})",
        get("InitialHeapSize"),
        get("MaxHeapSize")
    )
}

fn open_acl() -> Vec<Acl> {
    Acl::open_unsafe()
}

async fn connect(addr: SocketAddr) -> ZkClient {
    let (c, _events) = ZkClient::connect(ClientConfig::new(addr.to_string()))
        .await
        .expect("connect");
    c
}

#[derive(Clone, Copy, Debug)]
enum OpKind {
    Create,
    SetData,
    GetData,
}

/// One run: `clients` sessions in parallel, each doing `per_client` ops one after another.
/// Returns ops/s over the whole run.
async fn run_ops(
    clients: &[ZkClient],
    kind: OpKind,
    run: usize,
    per_client: usize,
    data: &[u8],
) -> f64 {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (ci, c) in clients.iter().enumerate() {
        let c = c.clone();
        let data = data.to_vec();
        let n = clients.len();
        tasks.spawn(async move {
            let acl = open_acl();
            for i in 0..per_client {
                let path = format!("/bench/r{run}-n{n}-c{ci}-{i}");
                match kind {
                    OpKind::Create => {
                        c.create(&path, &data, &acl, CreateMode::Persistent)
                            .await
                            .expect("create");
                    }
                    OpKind::SetData => {
                        c.set_data(&path, &data, -1).await.expect("setData");
                    }
                    OpKind::GetData => {
                        c.get_data(&path, false).await.expect("getData");
                    }
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("load task");
    }
    (clients.len() * per_client) as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Results {
    rows: Vec<(String, f64, &'static str)>,
    heap: Option<String>,
}

/// Throughput rows for each server; the runs alternate between the servers so that the
/// machine's noise hits both alike.
async fn throughput(servers: &[&Server], scale: f64) -> Vec<Vec<(String, f64, &'static str)>> {
    let mut rows = vec![Vec::new(); servers.len()];
    for s in servers {
        connect(s.addr)
            .await
            .create("/bench", b"", &open_acl(), CreateMode::Persistent)
            .await
            .expect("create /bench");
    }
    let data = vec![b'x'; 100];
    let n1 = ((1000.0 * scale) as usize).max(10);
    let n16 = ((250.0 * scale) as usize).max(5);
    for (clients, per_client) in [(1usize, n1), (CLIENTS, n16)] {
        let mut conns = Vec::new();
        for s in servers {
            let mut v = Vec::new();
            for _ in 0..clients {
                v.push(connect(s.addr).await);
            }
            conns.push(v);
        }
        for kind in [OpKind::Create, OpKind::SetData, OpKind::GetData] {
            // One unmeasured pass first, so the JVM's JIT (and both servers' caches) are warm.
            for c in &conns {
                run_ops(c, kind, RUNS, per_client, &data).await;
            }
            let mut results = vec![Vec::new(); servers.len()];
            for run in 0..RUNS {
                for (i, c) in conns.iter().enumerate() {
                    results[i].push(run_ops(c, kind, run, per_client, &data).await);
                }
            }
            let name = match kind {
                OpKind::Create => "create",
                OpKind::SetData => "setData",
                OpKind::GetData => "getData",
            };
            let label = format!(
                "{name}, {clients} client{} (ops/s)",
                if clients == 1 { "" } else { "s" }
            );
            for (i, v) in results.into_iter().enumerate() {
                eprintln!(
                    "  {}: {label}: {:?}",
                    servers[i].name,
                    v.iter().map(|x| *x as u64).collect::<Vec<_>>()
                );
                rows[i].push((label.clone(), median(v), "higher"));
            }
        }
        for v in conns {
            for c in v {
                let _ = c.close().await;
            }
        }
    }
    rows
}

async fn bench_server(server: &Server, scale: f64) -> Results {
    let mut rows = Vec::new();
    let setup = connect(server.addr).await;
    // Watch latency: A watches, B writes; from B's send to A's event.
    let (a, mut a_events) = ZkClient::connect(ClientConfig::new(server.addr.to_string()))
        .await
        .expect("connect A");
    let b = connect(server.addr).await;
    a.create("/bench/watched", b"0", &open_acl(), CreateMode::Persistent)
        .await
        .expect("create the watched node");
    let rounds = ((WATCH_ROUNDS as f64 * scale) as usize).max(20);
    let mut lat = Vec::with_capacity(rounds);
    for i in 0..rounds {
        a.get_data("/bench/watched", true).await.expect("watch");
        let sent = Instant::now();
        let writer = {
            let b = b.clone();
            let d = i.to_string().into_bytes();
            tokio::spawn(async move { b.set_data("/bench/watched", &d, -1).await })
        };
        loop {
            let ev = a_events.recv().await.expect("watch event");
            if ev.path.as_deref() == Some("/bench/watched") {
                break;
            }
        }
        lat.push(sent.elapsed().as_secs_f64() * 1e6);
        writer.await.expect("writer").expect("setData");
    }
    lat.sort_by(|x, y| x.total_cmp(y));
    rows.push((
        "watch latency median (µs)".into(),
        percentile(&lat, 0.5),
        "lower",
    ));
    rows.push((
        "watch latency p99 (µs)".into(),
        percentile(&lat, 0.99),
        "lower",
    ));
    let _ = a.close().await;
    let _ = b.close().await;

    // RSS at 100k znodes, created pipelined (many requests in flight on one session).
    let pid = server.child.id();
    rows.push((
        "RSS before the 100k znodes (MiB)".into(),
        rss_kib(pid) as f64 / 1024.0,
        "lower",
    ));
    setup
        .create("/bench/z", b"", &open_acl(), CreateMode::Persistent)
        .await
        .expect("create /bench/z");
    let znodes = ((ZNODES as f64 * scale) as usize).max(100);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let small = vec![b'y'; 50];
    for i in 0..znodes {
        if tasks.len() >= 1000 {
            tasks.join_next().await.expect("task").expect("create task");
        }
        let c = setup.clone();
        let d = small.clone();
        tasks.spawn(async move {
            c.create(
                &format!("/bench/z/n-{i}"),
                &d,
                &open_acl(),
                CreateMode::Persistent,
            )
            .await
            .expect("create a znode");
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("create task");
    }
    let secs = start.elapsed().as_secs_f64();
    rows.push((
        format!("pipelined create of {znodes} znodes (ops/s)"),
        znodes as f64 / secs,
        "higher",
    ));
    // A moment of quiet so the numbers are a steady state, then read RSS as it is.
    tokio::time::sleep(Duration::from_secs(2)).await;
    rows.push((
        format!("RSS at {znodes} znodes (MiB)"),
        rss_kib(pid) as f64 / 1024.0,
        "lower",
    ));
    let _ = setup.close().await;
    let heap = (server.name == "ZooKeeper").then(|| jvm_heap_settings(pid));
    Results { rows, heap }
}

fn main() {
    // cargo bench passes `--bench`; nothing else is accepted.
    let scale: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let total = Instant::now();
    eprintln!(
        "starting rkafka's coordinator and ZooKeeper under {}",
        bench_root().display()
    );
    let rk = start_rkafka();
    let zk = start_zookeeper();
    let rk_version = four_letter(rk.addr, "srvr").unwrap_or_default();
    let zk_version = four_letter(zk.addr, "srvr").unwrap_or_default();
    eprintln!("throughput, alternating between the servers");
    let mut tp = rt.block_on(throughput(&[&rk, &zk], scale));
    eprintln!("watch latency and RSS of rkafka");
    let mut r = rt.block_on(bench_server(&rk, scale));
    drop(rk);
    eprintln!("watch latency and RSS of ZooKeeper");
    let mut z = rt.block_on(bench_server(&zk, scale));
    drop(zk);
    let zk_rows = tp.pop().unwrap_or_default();
    let rk_rows = tp.pop().unwrap_or_default();
    r.rows.splice(0..0, rk_rows);
    z.rows.splice(0..0, zk_rows);

    println!();
    println!("rkafka: {}", rk_version.lines().next().unwrap_or("?"));
    println!("ZooKeeper: {}", zk_version.lines().next().unwrap_or("?"));
    if let Some(h) = &z.heap {
        println!("ZooKeeper JVM heap: {h}");
    }
    println!();
    println!("| metric | rkafka | ZooKeeper | ratio (rkafka/ZooKeeper) |");
    println!("|---|---:|---:|---:|");
    for ((name, rv, better), (_, zv, _)) in r.rows.iter().zip(z.rows.iter()) {
        let ratio = if *zv > 0.0 { rv / zv } else { f64::NAN };
        println!(
            "| {name} | {} | {} | {ratio:.2}x ({better} is better) |",
            fmt(*rv),
            fmt(*zv)
        );
    }
    println!();
    println!("total bench time: {:.0} s", total.elapsed().as_secs_f64());
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
