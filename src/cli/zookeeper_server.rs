//! `zookeeper-server-start` and `zookeeper-server-stop` (Kafka's zookeeper-server-start.sh and
//! zookeeper-server-stop.sh): run rkafka's ZooKeeper-compatible coordinator from a
//! zookeeper.properties file, and stop the coordinators running on this machine.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use crate::config::parse_overrides;
use crate::config::zookeeper::{ZookeeperSettings, load_settings};
use crate::coordinator::server::{CoordinatorSettings, serve};
use crate::error::{Error, Result};

/// Frames queued for one client before it counts as a slow reader and is disconnected.
const MAX_OUTGOING_QUEUE: usize = 10_000;
/// How long `zookeeper-server-stop` waits for the coordinators to exit after SIGTERM.
const STOP_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Parser)]
#[command(about = "Start rkafka's ZooKeeper-compatible coordinator")]
pub struct StartArgs {
    /// Run in the background; console output goes to $LOG_DIR/zookeeper.out (LOG_DIR defaults
    /// to logs/).
    #[arg(long)]
    pub daemon: bool,
    /// Set a key over the file's value (repeatable), e.g. --override clientPort=2182.
    #[arg(long = "override", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// The coordinator's configuration file, e.g. config/zookeeper.properties.
    #[arg(value_name = "zookeeper.properties")]
    pub config: PathBuf,
}

#[derive(Debug, Parser)]
#[command(about = "Stop the coordinators started by zookeeper-server-start on this machine")]
pub struct StopArgs {}

pub fn start_command() -> clap::Command {
    StartArgs::command()
}

pub fn stop_command() -> clap::Command {
    StopArgs::command()
}

/// Loads the configuration (so that a bad file fails in the foreground even with -daemon),
/// then serves until SIGTERM or SIGINT.
pub fn run_start(matches: &ArgMatches) -> Result<()> {
    let args = StartArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    let overrides = parse_overrides(&args.overrides)?;
    let (settings, warnings) = load_settings(&args.config, &overrides)?;
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let coordinator = coordinator_settings(&settings)?;
    if args.daemon {
        let argv: Vec<_> = std::env::args_os().collect();
        crate::daemon::spawn_detached(&argv, "zookeeper.out")?;
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("zk-net")
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(serve(coordinator, crate::daemon::termination()))
        .map_err(|e| Error::Failed(crate::cli::chain(&e)))
}

/// Sends SIGTERM to every running coordinator and waits for them to exit. With none running,
/// says so and fails, as Kafka's script does.
pub fn run_stop(_matches: &ArgMatches) -> Result<()> {
    let pids = crate::daemon::find_running("zookeeper-server-start");
    if pids.is_empty() {
        return Err(Error::Failed("No zookeeper server to stop".to_string()));
    }
    let alive = crate::daemon::terminate_and_wait(&pids, STOP_WAIT)?;
    if !alive.is_empty() {
        return Err(Error::Failed(format!(
            "coordinator process(es) {alive:?} still running {}s after SIGTERM",
            STOP_WAIT.as_secs()
        )));
    }
    Ok(())
}

/// Maps zookeeper.properties onto the coordinator's settings; the listen address is resolved
/// here so that a bad clientPortAddress is a configuration error.
pub fn coordinator_settings(s: &ZookeeperSettings) -> Result<CoordinatorSettings> {
    let host = s.client_port_address.as_deref().unwrap_or("0.0.0.0");
    let client_addr: SocketAddr = (host, s.client_port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            Error::Usage(format!(
                "clientPortAddress: cannot resolve '{host}' to an address to listen on"
            ))
        })?;
    Ok(CoordinatorSettings {
        data_dir: s.data_dir.clone(),
        data_log_dir: (s.data_log_dir != s.data_dir).then(|| s.data_log_dir.clone()),
        client_addr,
        tick_time_ms: u64::from(s.tick_time_ms),
        min_session_timeout_ms: u64::from(s.min_session_timeout_ms),
        max_session_timeout_ms: u64::from(s.max_session_timeout_ms),
        max_client_cnxns: s.max_client_cnxns,
        four_letter_whitelist: s.four_letter_whitelist.clone(),
        snap_retain_count: s.snap_retain_count as usize,
        purge_interval_hours: u64::from(s.purge_interval_hours),
        jute_max_buffer: s.jute_max_buffer as usize,
        extended_types_enabled: false,
        snap_count: u64::from(s.snap_count),
        max_outgoing_queue: MAX_OUTGOING_QUEUE,
    })
}
