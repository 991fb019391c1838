//! The `bin/` wrappers named like Kafka's scripts find `rkafka` beside themselves, then in
//! `../target/release`, then on PATH, and work from any working directory.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

/// Copies the committed wrapper `script` into `dir/bin/` and runs it with `args` from `/`.
fn run_copy(dir: &Path, script: &str, args: &[&str], path_env: &str) -> std::process::Output {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let copy = bin.join(script);
    std::fs::copy(repo_root().join("bin").join(script), &copy).unwrap();
    // Run through `sh` rather than exec'ing the fresh copy: another test thread forking while
    // the copy was open for writing would make a direct exec fail with ETXTBSY.
    Command::new("sh")
        .arg(&copy)
        .args(args)
        .current_dir("/")
        .env("PATH", path_env)
        .output()
        .unwrap()
}

const SCRIPT: &str = "zookeeper-server-start.sh";

#[test]
fn wrapper_exists_and_is_executable_for_every_tool() {
    use std::os::unix::fs::PermissionsExt;
    for tool in rkafka::cli::TOOLS {
        let path = repo_root().join("bin").join(tool.script);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert!(mode & 0o111 != 0, "{} is not executable", path.display());
    }
}

#[test]
fn finds_rkafka_beside_itself() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    link_as(&dir.path().join("bin"), "rkafka");
    let out = run_copy(dir.path(), SCRIPT, &["--help"], "/usr/bin:/bin");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Usage: rkafka zookeeper-server-start"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn finds_rkafka_in_target_release() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    link_as(&release, "rkafka");
    let out = run_copy(dir.path(), SCRIPT, &["--help"], "/usr/bin:/bin");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("zookeeper-server-start"));
}

#[test]
fn finds_rkafka_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let path_dir = dir.path().join("tools");
    std::fs::create_dir_all(&path_dir).unwrap();
    link_as(&path_dir, "rkafka");
    let path_env = format!("{}:/usr/bin:/bin", path_dir.display());
    let out = run_copy(dir.path(), SCRIPT, &["--help"], &path_env);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("zookeeper-server-start"));
}

#[test]
fn says_where_it_looked_when_rkafka_is_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_copy(dir.path(), SCRIPT, &["--help"], "/usr/bin:/bin");
    assert_eq!(code(&out), 127);
    assert!(
        stderr(&out).contains("cannot find rkafka"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn arguments_reach_the_tool_unchanged() {
    // A missing file is reported with its path: the argument went through the wrapper intact.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    link_as(&dir.path().join("bin"), "rkafka");
    let out = run_copy(
        dir.path(),
        SCRIPT,
        &["/no such/zk.properties"],
        "/usr/bin:/bin",
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("/no such/zk.properties"),
        "{}",
        stderr(&out)
    );
}
