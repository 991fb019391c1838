//! Interop: the real kazoo client (python) against rkafka's coordinator, started in-process on
//! 127.0.0.1 with an ephemeral port. Needs python3 with kazoo: run tests/interop/setup.sh.

use std::path::Path;
use std::process::Command;

use rkafka::coordinator::{Coordinator, CoordinatorSettings};

fn require_kazoo() {
    let ok = Command::new("python3")
        .args(["-c", "import kazoo"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 with the kazoo package is required for this test: run tests/interop/setup.sh"
    );
}

fn settings(dir: &Path) -> CoordinatorSettings {
    CoordinatorSettings {
        data_dir: dir.to_path_buf(),
        client_addr: "127.0.0.1:0".parse().unwrap(),
        tick_time_ms: 500,
        min_session_timeout_ms: 1000,
        max_session_timeout_ms: 10_000,
        max_client_cnxns: 0,
        four_letter_whitelist: vec!["*".into()],
        ..CoordinatorSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kazoo_checks_pass() {
    require_kazoo();
    let dir = tempfile::tempdir().unwrap();
    let server = Coordinator::start(settings(dir.path())).await.unwrap();
    let addr = server.local_addr();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/kazoo_checks.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(&script)
            .arg(addr.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "kazoo_checks.py failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    for check in [
        "OK ensure_path",
        "OK crud_versions",
        "OK sequential_ephemeral",
        "OK watches",
        "OK transactions",
        "OK ephemeral_close",
        "OK digest_acl",
        "OK ephemeral_expiry",
        "OK recipes",
        "OK four_letter_words",
        "ALL OK",
    ] {
        assert!(stdout.contains(check), "missing {check:?} in:\n{stdout}");
    }
    server.shutdown().await.unwrap();
}
