//! A real Apache ZooKeeper server (Debian's `zookeeper` package) for interop tests: one per
//! test binary, started on first use on a free 127.0.0.1 port with its own temp dir, and
//! killed (and its dir removed) by a small watchdog shell once the test process is gone,
//! because statics are never dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ZK_SERVER: &str = "/usr/share/zookeeper/bin/zkServer.sh";
pub const ZK_CLI: &str = "/usr/share/zookeeper/bin/zkCli.sh";

pub struct RealZk {
    pub addr: SocketAddr,
    pub dir: PathBuf,
    /// The watchdog shell; it outlives this process on purpose to clean up after it.
    pub watchdog: std::process::Child,
}

/// Panics (never skips) when the package is missing.
pub fn require_zookeeper() {
    assert!(
        Path::new(ZK_SERVER).exists() && Path::new(ZK_CLI).exists(),
        "Apache ZooKeeper is not installed ({ZK_SERVER} missing): run tests/interop/setup.sh"
    );
}

/// A four-letter word's answer, or None if the server is not answering yet.
pub fn four_letter(addr: SocketAddr, word: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(word.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// The shared server, started on first call.
pub fn real_zk() -> &'static RealZk {
    static ZK: OnceLock<RealZk> = OnceLock::new();
    ZK.get_or_init(start)
}

fn start() -> RealZk {
    require_zookeeper();
    let dir = tempfile::Builder::new()
        .prefix("rkafka-realzk-")
        .tempdir()
        .unwrap()
        .keep();
    let port = super::free_port();
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\n4lw.commands.whitelist=*\ntickTime=2000\n\
             minSessionTimeout=1000\nmaxSessionTimeout=20000\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    // The watchdog runs the server in the background and kills it (by its pid) as soon as
    // this test process has exited, then removes the temp dir.
    let script = r#"
        ZOO_LOG_DIR="$2" "$1" start-foreground "$3" >"$2/zk.out" 2>&1 &
        z=$!
        while kill -0 "$4" 2>/dev/null && kill -0 "$z" 2>/dev/null; do sleep 0.3; done
        kill "$z" 2>/dev/null
        sleep 1
        kill -9 "$z" 2>/dev/null
        rm -rf "$2"
    "#;
    let watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("watchdog")
        .arg(ZK_SERVER)
        .arg(&dir)
        .arg(&cfg)
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the ZooKeeper watchdog");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if four_letter(addr, "ruok").as_deref() == Some("imok") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ZooKeeper did not answer ruok on {addr}; its output:\n{}",
            std::fs::read_to_string(dir.join("zk.out")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    RealZk {
        addr,
        dir,
        watchdog,
    }
}
