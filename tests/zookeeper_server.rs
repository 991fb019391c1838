//! `zookeeper-server-start` and `zookeeper-server-stop` as operators run them: through Kafka's
//! script names, with a properties file, `-daemon`, and bad configuration.
//!
//! `zookeeper-server-stop` stops every coordinator on the machine (as Kafka's script does), so
//! all start/stop checks live in one test to keep them from stopping each other's servers.

mod common;
use common::*;

use std::process::{Command, Stdio};
use std::time::Duration;

fn write_config(dir: &std::path::Path, port: u16, extra: &str) -> std::path::PathBuf {
    let path = dir.join("zookeeper.properties");
    std::fs::write(
        &path,
        format!(
            "# test coordinator\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             maxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=*\n{extra}",
            dir.join("data").display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn start_in_foreground_and_as_daemon_then_stop() {
    let dir = tempfile::tempdir().unwrap();
    let start = link_as(dir.path(), "zookeeper-server-start.sh");
    let stop = link_as(dir.path(), "zookeeper-server-stop.sh");

    // Foreground, through the script name; an unknown key is a warning, not an error.
    let port = free_port();
    let config = write_config(dir.path(), port, "no.such.key=1\n");
    let child = Command::new(&start)
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = KillOnDrop(child);
    assert!(
        wait_until(Duration::from_secs(10), || four_letter_word(port, "ruok")
            .as_deref()
            == Some("imok")),
        "the coordinator did not answer ruok on port {port}"
    );
    let out = Command::new(&stop).output().unwrap();
    assert_eq!(code(&out), 0, "stop: {}", stderr(&out));
    let status = server.0.wait().unwrap();
    assert!(status.success(), "coordinator exit: {status:?}");
    let mut log = String::new();
    std::io::Read::read_to_string(server.0.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(
        log.contains("no.such.key"),
        "no warning for the unknown key:\n{log}"
    );

    // Nothing left to stop: Kafka's message and a failure code.
    let out = Command::new(&stop).output().unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("No zookeeper server to stop"),
        "{}",
        stderr(&out)
    );

    // -daemon (single dash, as Kafka's scripts take it): returns at once, the server keeps
    // running with its console output in $LOG_DIR/zookeeper.out, and the data survives.
    let logs = dir.path().join("logs");
    let out = Command::new(&start)
        .args(["-daemon".as_ref(), config.as_os_str()])
        .env("LOG_DIR", &logs)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        wait_until(Duration::from_secs(10), || four_letter_word(port, "ruok")
            .as_deref()
            == Some("imok")),
        "the daemon did not answer ruok"
    );
    let srvr = four_letter_word(port, "srvr").unwrap();
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    let out = Command::new(&stop).output().unwrap();
    assert_eq!(code(&out), 0, "stop: {}", stderr(&out));
    assert!(
        four_letter_word(port, "ruok").is_none(),
        "still answering after stop"
    );
    let console = std::fs::read_to_string(logs.join("zookeeper.out")).unwrap();
    assert!(console.contains("listening"), "{console}");
}

#[test]
fn bad_values_name_file_line_and_key_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), free_port(), "tickTime=fast\n");
    let out = rkafka(&["zookeeper-server-start", config.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("zookeeper.properties:8"), "{err}");
    assert!(err.contains("tickTime"), "{err}");
    assert!(err.contains("'fast'"), "{err}");
}

#[test]
fn ensembles_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), free_port(), "server.1=zk1:2888:3888\n");
    let out = rkafka(&["zookeeper-server-start", config.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("server.1"), "{}", stderr(&out));
}

#[test]
fn bad_override_and_missing_file_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), free_port(), "");
    let out = rkafka(&[
        "zookeeper-server-start",
        "--override",
        "clientPort",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("clientPort"), "{}", stderr(&out));

    let out = rkafka(&["zookeeper-server-start", "/no/such/zookeeper.properties"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("/no/such/zookeeper.properties"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_config_argument_is_a_usage_error() {
    let out = rkafka(&["zookeeper-server-start"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("zookeeper.properties"), "{err}");
    assert!(
        err.contains("Usage: rkafka zookeeper-server-start"),
        "{err}"
    );
}

#[test]
fn unknown_flag_is_named_with_the_usage() {
    let out = rkafka(&["zookeeper-server-start", "--no-such-flag", "x.properties"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("--no-such-flag"), "{err}");
    assert!(err.contains("Usage:"), "{err}");
}
