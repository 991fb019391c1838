//! `server-start` and `server-stop` (Kafka's kafka-server-start.sh and kafka-server-stop.sh):
//! run a broker from a server.properties file until SIGTERM/SIGINT, and stop the brokers
//! running on this machine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use crate::broker::runtime::{BrokerSettings, RuntimeError, run};
use crate::config::parse_overrides;
use crate::error::{Error, Result};

/// How long `server-stop` waits for the brokers to exit after SIGTERM (they flush their
/// logs first).
const STOP_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Parser)]
#[command(about = "Start an rkafka broker")]
pub struct StartArgs {
    /// Run in the background; console output goes to $LOG_DIR/kafkaServer.out (LOG_DIR
    /// defaults to logs/).
    #[arg(long)]
    pub daemon: bool,
    /// Set a key over the file's value (repeatable), e.g. --override broker.id=2.
    #[arg(long = "override", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// The broker's configuration file, e.g. config/server.properties.
    #[arg(value_name = "server.properties")]
    pub config: PathBuf,
}

#[derive(Debug, Parser)]
#[command(about = "Stop the brokers started by server-start on this machine")]
pub struct StopArgs {}

pub fn start_command() -> clap::Command {
    StartArgs::command()
}

pub fn stop_command() -> clap::Command {
    StopArgs::command()
}

/// Loads and checks the configuration (so that a bad file fails in the foreground even with
/// -daemon: exit 2 naming the key), then runs the broker until SIGTERM or SIGINT.
pub fn run_start(matches: &ArgMatches) -> Result<()> {
    let args = StartArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    let overrides = parse_overrides(&args.overrides)?;
    let (config, warnings) =
        crate::config::load(&args.config, &crate::config::server::BROKER, &overrides)?;
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let settings = BrokerSettings::from_config(&config, &args.config)?;
    if args.daemon {
        let argv: Vec<_> = std::env::args_os().collect();
        crate::daemon::spawn_detached(&argv, "kafkaServer.out")?;
        return Ok(());
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("broker")
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(run(
            Arc::new(config),
            settings,
            crate::daemon::termination(),
        ))
        .map_err(|e| match e {
            RuntimeError::Config(c) => Error::Config(c),
            other => {
                tracing::error!("Fatal error during KafkaServer startup or shutdown: {other}");
                Error::Failed(crate::cli::chain(&other))
            }
        })
}

/// Sends SIGTERM to every running broker and waits for them to exit. With none running, says
/// so and fails, as Kafka's script does.
pub fn run_stop(_matches: &ArgMatches) -> Result<()> {
    let pids = crate::daemon::find_running("server-start");
    if pids.is_empty() {
        return Err(Error::Failed("No kafka server to stop".to_string()));
    }
    let alive = crate::daemon::terminate_and_wait(&pids, STOP_WAIT)?;
    if !alive.is_empty() {
        return Err(Error::Failed(format!(
            "broker process(es) {alive:?} still running {}s after SIGTERM",
            STOP_WAIT.as_secs()
        )));
    }
    Ok(())
}
