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

pub mod zk;
#[allow(unused_imports)]
pub use zk::{Client, Reply, closed, frame, read_raw};
pub mod real_zk;
