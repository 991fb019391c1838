//! `rkafka zookeeper-shell` one-shot and piped commands against rkafka's coordinator and a
//! real ZooKeeper 3.8 (the same checks on both), and the real zkCli.sh against rkafka's
//! coordinator, asserting the output lines and exit codes scripts rely on.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use rkafka::coordinator::{Coordinator, CoordinatorSettings};

mod common;
use common::real_zk::{self, ZK_CLI};
use common::{code, rkafka_bin, stderr, stdout};

/// rkafka's coordinator on a runtime of its own, serving while the test runs processes.
struct RkafkaServer {
    // Fields drop in order: the coordinator before the runtime it runs on.
    _coordinator: Coordinator,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    addr: String,
}

fn rkafka_server() -> RkafkaServer {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = rt
        .block_on(Coordinator::start(CoordinatorSettings {
            data_dir: dir.path().to_path_buf(),
            client_addr: "127.0.0.1:0".parse().unwrap(),
            tick_time_ms: 200,
            four_letter_whitelist: vec!["*".into()],
            ..CoordinatorSettings::default()
        }))
        .unwrap();
    let addr = c.local_addr().to_string();
    RkafkaServer {
        _coordinator: c,
        _rt: rt,
        _dir: dir,
        addr,
    }
}

fn shell(server: &str, args: &[&str]) -> Output {
    Command::new(rkafka_bin())
        .arg("zookeeper-shell")
        .arg(server)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn shell_json(server: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(rkafka_bin())
        .args(["zookeeper-shell", "--output", "json", server])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_str(stdout(&out).trim()).unwrap()
}

fn ok(server: &str, args: &[&str]) -> String {
    let out = shell(server, args);
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// A failing command: exit code 1 and zkCli's message on stderr.
fn fails(server: &str, args: &[&str], message: &str) {
    let out = shell(server, args);
    assert_eq!(code(&out), 1, "{args:?} should fail: {}", stdout(&out));
    assert!(
        stderr(&out).lines().any(|l| l == message),
        "{args:?}: expected {message:?} on stderr, got {:?}",
        stderr(&out)
    );
}

fn assert_stat_block(text: &str, data_version: i32, num_children: i32) {
    let lines: Vec<&str> = text.lines().collect();
    let keys: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
        .collect();
    assert_eq!(
        keys,
        [
            "cZxid",
            "ctime",
            "mZxid",
            "mtime",
            "pZxid",
            "cversion",
            "dataVersion",
            "aclVersion",
            "ephemeralOwner",
            "dataLength",
            "numChildren"
        ],
        "{text}"
    );
    assert!(
        text.contains(&format!("\ndataVersion = {data_version}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("\nnumChildren = {num_children}\n")),
        "{text}"
    );
    let ctime = lines.iter().find(|l| l.starts_with("ctime = ")).unwrap();
    // Java's Date.toString(): "Sat Nov 28 01:19:26 UTC 2026".
    let parts: Vec<&str> = ctime["ctime = ".len()..].split(' ').collect();
    assert_eq!(parts.len(), 6, "{ctime}");
    assert!(lines[0].starts_with("cZxid = 0x"));
}

/// The shell's one-shot commands; `root` is a fresh path for this run.
fn check_shell(server: &str, root: &str) {
    let p = root;
    let out = shell(server, &["create", p, "hello"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("Created {p}")));
    fails(
        server,
        &["create", p, "x"],
        &format!("Node already exists: {p}"),
    );
    assert_eq!(ok(server, &["ls", p]), "[]\n");
    ok(server, &["create", &format!("{p}/b")]);
    ok(
        server,
        &["create", &format!("{p}/a"), "", "world:anyone:cdrwa"],
    );
    assert_eq!(ok(server, &["ls", p]), "[a, b]\n");
    assert_eq!(ok(server, &["get", p]), "hello\n");
    assert_eq!(
        ok(server, &["get", &format!("{p}/b")]),
        "null\n",
        "null data"
    );
    assert_eq!(ok(server, &["set", p, "v2"]), "");
    fails(
        server,
        &["set", "-v", "7", p, "v3"],
        &format!("version No is not valid : {p}"),
    );
    assert_stat_block(&ok(server, &["stat", p]), 1, 2);
    let get_s = ok(server, &["get", "-s", p]);
    assert!(get_s.starts_with("v2\ncZxid = 0x"), "{get_s}");
    assert_stat_block(&get_s["v2\n".len()..], 1, 2);
    let ls_s = ok(server, &["ls", "-s", p]);
    assert!(ls_s.starts_with("[a, b]\ncZxid"), "{ls_s}");
    // --output json gives the same data for machines.
    let j = shell_json(server, &["get", "-s", p]);
    assert_eq!(j["data"], "v2");
    assert_eq!(j["stat"]["dataVersion"], 1);
    let j = shell_json(server, &["ls", p]);
    assert_eq!(j["children"], serde_json::json!(["a", "b"]));
    let j = shell_json(server, &["stat", p]);
    assert_eq!(j["numChildren"], 2);

    fails(server, &["delete", p], &format!("Node not empty: {p}"));
    assert_eq!(ok(server, &["getAcl", p]), "'world,'anyone\n: cdrwa\n");
    let out = shell(server, &["create", "-s", &format!("{p}/s-")]);
    assert!(
        stderr(&out).contains(&format!("Created {p}/s-0000000002")),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        ok(server, &["ls", "-R", p]),
        format!("{p}\n{p}/a\n{p}/b\n{p}/s-0000000002\n")
    );
    assert_eq!(ok(server, &["getAllChildrenNumber", p]), "3\n");
    assert_eq!(ok(server, &["sync", p]), "Sync is OK\n");
    let who = ok(server, &["whoami"]);
    assert!(
        who.starts_with("Auth scheme: User\nip: 127.0.0.1\n"),
        "{who}"
    );
    // An ephemeral lives only as long as the one-shot session.
    ok(server, &["create", "-e", &format!("{p}/e")]);
    fails(
        server,
        &["get", &format!("{p}/e")],
        &format!("Node does not exist: {p}/e"),
    );
    ok(server, &["delete", "-v", "0", &format!("{p}/a")]);
    ok(server, &["deleteall", p]);
    fails(server, &["get", p], &format!("Node does not exist: {p}"));
    fails(server, &["stat", p], &format!("Node does not exist: {p}"));
    fails(
        server,
        &["delete", "/no/such"],
        "Node does not exist: /no/such",
    );
    // Usage errors exit 2 with the command's usage.
    let out = shell(server, &["ls"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("ls [-s] [-w] [-R] path"));
    assert_eq!(code(&shell(server, &["set", "-v", "x", p, "d"])), 2);
    assert_eq!(code(&shell(server, &["frobnicate"])), 2);

    // A chroot in the connect string.
    ok(server, &["create", p]);
    ok(server, &["create", &format!("{p}/in"), "x"]);
    let chrooted = format!("{server}{p}");
    assert_eq!(ok(&chrooted, &["ls", "/"]), "[in]\n");
    assert_eq!(ok(&chrooted, &["get", "/in"]), "x\n");
    ok(server, &["deleteall", p]);

    // Commands piped on stdin: no prompt, output in order, exit 1 when one failed.
    let mut child = Command::new(rkafka_bin())
        .args(["zookeeper-shell", server])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            format!("create {p} 'two words'\nget {p}\n\nget {p}/missing\ndelete {p}\nquit\nls /\n")
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "two words\n");
    assert!(stderr(&out).contains(&format!("Node does not exist: {p}/missing")));
    assert_eq!(code(&out), 1);
}

#[test]
fn shell_against_rkafka() {
    let s = rkafka_server();
    check_shell(&s.addr, "/shell");
}

#[test]
fn shell_against_real_zookeeper() {
    let zk = real_zk::real_zk();
    check_shell(&zk.addr.to_string(), "/shell_real");
}

fn zkcli(port: &str, args: &[&str]) -> Output {
    real_zk::require_zookeeper();
    let logs = tempfile::tempdir().unwrap();
    Command::new(ZK_CLI)
        .arg("-server")
        .arg(port)
        .args(args)
        .env("ZOO_LOG_DIR", logs.path())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// zkCli's output without its connection chatter.
fn zkcli_lines(out: &Output) -> Vec<String> {
    stdout(out)
        .lines()
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("WATCHER::")
                && !l.starts_with("WatchedEvent state:SyncConnected type:None")
                && !l.starts_with("Connecting to")
                && !l.starts_with("SLF4J")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn real_zkcli_against_rkafka() {
    let s = rkafka_server();
    let a = s.addr.as_str();
    let out = zkcli(a, &["create", "/z", "hello"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("Created /z"), "{}", stderr(&out));
    assert_eq!(code(&zkcli(a, &["create", "/z/child", "c"])), 0);
    let out = zkcli(a, &["create", "/z", "again"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Node already exists: /z"));
    assert_eq!(zkcli_lines(&zkcli(a, &["ls", "/z"])), vec!["[child]"]);
    assert_eq!(zkcli_lines(&zkcli(a, &["get", "/z"])), vec!["hello"]);
    assert_eq!(code(&zkcli(a, &["set", "/z", "v2"])), 0);
    let stat = zkcli_lines(&zkcli(a, &["stat", "/z"]));
    let stat = stat.join("\n") + "\n";
    assert_stat_block(&stat, 1, 1);
    assert!(stat.contains("\ndataLength = 2\n"), "{stat}");
    let out = zkcli(a, &["delete", "/z"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Node not empty: /z"));
    assert_eq!(code(&zkcli(a, &["delete", "/z/child"])), 0);
    assert_eq!(code(&zkcli(a, &["create", "/z/x"])), 0);
    assert_eq!(code(&zkcli(a, &["create", "/z/x/y"])), 0);
    assert_eq!(code(&zkcli(a, &["deleteall", "/z"])), 0);
    let out = zkcli(a, &["get", "/z"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Node does not exist: /z"));
    // rkafka's shell sees the same tree.
    assert_eq!(ok(a, &["ls", "/"]), "[zookeeper]\n");
}

/// On a terminal (a pty from util-linux's `script`), the shell shows zkCli's prompt with the
/// server, the state and a command counter, and prints watch events as they fire.
#[test]
fn prompt_on_a_terminal() {
    let s = rkafka_server();
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("{} zookeeper-shell {}", rkafka_bin().display(), s.addr),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    let mut input = child.stdin.take().unwrap();
    let pause = || std::thread::sleep(std::time::Duration::from_millis(400));
    pause();
    for line in ["create /t one", "get -w /t", "set /t two", "quit"] {
        input.write_all(format!("{line}\n").as_bytes()).unwrap();
        pause();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out).replace('\r', "");
    let prompt0 = format!("[zk: {}(CONNECTED) 0] ", s.addr);
    let prompt3 = format!("[zk: {}(CONNECTED) 3] ", s.addr);
    assert!(text.contains(&prompt0), "{text}");
    assert!(text.contains(&prompt3), "{text}");
    assert!(
        text.contains("WatchedEvent state:SyncConnected type:NodeDataChanged path:/t"),
        "{text}"
    );
    assert!(text.contains("\none\n"), "{text}");
}
