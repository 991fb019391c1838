//! Running the long-lived servers the way Kafka's scripts do: `-daemon` detaches the server
//! into the background with its console output in `$LOG_DIR/<name>.out`, and the `*-stop` tools
//! find running servers by their command line (as `kafka-server-stop.sh` does with `ps`), send
//! SIGTERM and wait for them to exit.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Where daemon output goes: `$LOG_DIR`, or `logs/` under the working directory, as Kafka's
/// scripts default to `logs/` under their base directory.
pub fn log_dir() -> PathBuf {
    std::env::var_os("LOG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("logs"))
}

/// Starts this same program again without `--daemon`, detached from the terminal (its own
/// process group, stdin closed) with stdout and stderr appended to `<log_dir>/<out_name>`, and
/// returns the child's pid. The parent then exits, as `nohup ... &` does in Kafka's scripts.
pub fn spawn_detached(args: &[OsString], out_name: &str) -> Result<u32> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| Error::io("current executable", e))?;
    let dir = log_dir();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let out_path = dir.join(out_name);
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)
        .map_err(|e| Error::io(&out_path, e))?;
    let err = out.try_clone().map_err(|e| Error::io(&out_path, e))?;
    let rest: Vec<&OsString> = args
        .iter()
        .skip(1)
        .filter(|a| *a != "--daemon" && *a != "-daemon")
        .collect();
    // argv[0] is kept so that a server started as `kafka-server-start.sh` dispatches the same
    // way and `*-stop` finds it under either name.
    let child = std::process::Command::new(exe)
        .arg0(args.first().cloned().unwrap_or_else(|| "rkafka".into()))
        .args(rest)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| Error::Failed(format!("cannot start the daemon: {e}")))?;
    Ok(child.id())
}

/// The pids of running processes of this binary that run `tool` (by argv[0] script name or as
/// `rkafka TOOL`), excluding this process. Reads /proc; elsewhere finds nothing.
pub fn find_running(tool: &str) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| runs_tool(&cmdline, tool))
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether a NUL-separated command line runs `tool` of rkafka.
pub fn runs_tool(cmdline: &[u8], tool: &str) -> bool {
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let Some(argv0) = args.first().map(|a| text(a)) else {
        return false;
    };
    let base = Path::new(&argv0)
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = base.strip_suffix(".sh").unwrap_or(&base);
    if base == "rkafka" {
        return args.get(1).is_some_and(|a| {
            let a = text(a);
            a == tool || crate::cli::tool_for_program(a.as_ref()).is_some_and(|t| t.name == tool)
        });
    }
    crate::cli::tool_for_program(argv0.as_ref()).is_some_and(|t| t.name == tool)
}

/// Sends SIGTERM to each pid and waits up to `timeout` for all of them to exit. Returns the pids
/// still alive at the end.
pub fn terminate_and_wait(pids: &[u32], timeout: Duration) -> Result<Vec<u32>> {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    for &pid in pids {
        let Ok(raw) = i32::try_from(pid) else {
            continue;
        };
        match kill(Pid::from_raw(raw), Signal::SIGTERM) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(e) => return Err(Error::Failed(format!("cannot signal process {pid}: {e}"))),
        }
    }
    let deadline = Instant::now() + timeout;
    loop {
        let alive: Vec<u32> = pids.iter().copied().filter(|pid| is_alive(*pid)).collect();
        if alive.is_empty() || Instant::now() >= deadline {
            return Ok(alive);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Resolves when the process is asked to stop: SIGTERM (what the `*-stop` tools send) or
/// SIGINT (Ctrl-C in the foreground).
pub async fn termination() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!("cannot watch for SIGTERM ({e}); only Ctrl-C stops this process");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("shutting down");
}

/// Whether a process exists and is not a zombie.
fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_programs_are_not_ours() {
        assert!(!runs_tool(b"java\0-cp\0kafka.Kafka\0", "server-start"));
        assert!(!runs_tool(b"", "server-start"));
        assert!(!runs_tool(b"/usr/bin/rkafka\0", "server-start"));
    }

    #[test]
    fn servers_are_found_under_every_name_they_run_as() {
        let tool = "zookeeper-server-start";
        assert!(runs_tool(
            b"/opt/rkafka\0zookeeper-server-start\0zk.properties\0",
            tool
        ));
        assert!(runs_tool(
            b"bin/zookeeper-server-start.sh\0zk.properties\0",
            tool
        ));
        assert!(runs_tool(
            b"rkafka\0zookeeper-server-start.sh\0-daemon\0",
            tool
        ));
        assert!(!runs_tool(b"rkafka\0zookeeper-server-stop\0", tool));
        assert!(!runs_tool(b"/usr/bin/vim\0zookeeper-server-start\0", tool));
    }

    #[test]
    fn current_process_is_alive() {
        assert!(is_alive(std::process::id()));
        assert!(!is_alive(u32::MAX));
    }
}
