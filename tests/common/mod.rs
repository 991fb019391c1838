//! Shared helpers for the integration tests that run the built `rkafka` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary cargo built for these tests.
pub fn rkafka_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rkafka"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `rkafka ARGS` with no stdin and returns its output.
pub fn rkafka(args: &[&str]) -> Output {
    Command::new(rkafka_bin())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("rkafka runs")
}

/// A symlink named `name` to the binary inside `dir`, as operators make them.
pub fn link_as(dir: &Path, name: &str) -> PathBuf {
    let link = dir.join(name);
    std::os::unix::fs::symlink(rkafka_bin(), &link).expect("symlink");
    link
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub mod binary_cluster;
pub mod groups_client;
pub mod inproc_broker;
pub mod kafka;
pub mod real_zk;
pub mod zk;
#[allow(unused_imports)]
pub use zk::*;

/// A port that was free a moment ago on 127.0.0.1 (for servers started as separate processes,
/// which cannot report an ephemeral port back).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Sends a ZooKeeper four-letter word and returns the answer, or None if nothing listens.
pub fn four_letter_word(port: u16, word: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    s.write_all(word.as_bytes()).ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// Polls `check` every 50 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: std::time::Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    check()
}

/// A child process killed when the guard drops, so a failing test leaves no server behind.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
