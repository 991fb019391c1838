//! `standalone` (no Kafka script): a one-process development cluster — rkafka's coordinator
//! and one broker, with Kafka's quickstart settings (coordinator port 2181, broker 0 on port
//! 9092, replication factors 1) and all data under one directory — and how to connect to it.
//! Ctrl-C or SIGTERM stops the broker first (logs sealed, registration removed), then the
//! coordinator.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use crate::broker::runtime::{BrokerSettings, RuntimeError, start};
use crate::config::{Override, Properties, parse_overrides};
use crate::coordinator::{Coordinator, CoordinatorSettings};
use crate::error::{Error, Result};

#[derive(Debug, Parser)]
#[command(about = "Run a one-process development cluster: a coordinator and one broker")]
pub struct StandaloneArgs {
    /// Where the coordinator's snapshots and the broker's logs live (created if missing).
    #[arg(long, value_name = "DIR", default_value = "rkafka-data")]
    pub data_dir: PathBuf,
    /// The coordinator's client port (zookeeper.properties' clientPort).
    #[arg(long, value_name = "PORT", default_value_t = 2181)]
    pub zookeeper_port: u16,
    /// The broker's PLAINTEXT port.
    #[arg(long, value_name = "PORT", default_value_t = 9092)]
    pub port: u16,
    /// Set a broker key (repeatable), e.g. --override num.partitions=3.
    #[arg(long = "override", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

pub fn command() -> clap::Command {
    StandaloneArgs::command()
}

/// The broker's server.properties for a standalone cluster: Kafka's shipped
/// config/server.properties values that matter on one node.
pub fn broker_properties(data_dir: &Path, zookeeper_port: u16, port: u16) -> String {
    format!(
        "broker.id=0\n\
         listeners=PLAINTEXT://:{port}\n\
         log.dirs={}\n\
         zookeeper.connect=127.0.0.1:{zookeeper_port}\n\
         num.partitions=1\n\
         offsets.topic.replication.factor=1\n\
         transaction.state.log.replication.factor=1\n\
         transaction.state.log.min.isr=1\n\
         group.initial.rebalance.delay.ms=0\n",
        data_dir.join("kafka-logs").display()
    )
}

/// Starts the coordinator, then the broker; prints how to connect; serves until SIGTERM or
/// Ctrl-C.
pub fn run(matches: &ArgMatches) -> Result<()> {
    let args =
        StandaloneArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    let overrides: Vec<Override> = parse_overrides(&args.overrides)?;
    let data_dir = if args.data_dir.is_absolute() {
        args.data_dir.clone()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io(".", e))?
            .join(&args.data_dir)
    };
    std::fs::create_dir_all(&data_dir).map_err(|e| Error::io(&data_dir, e))?;
    let props_path = data_dir.join("server.properties");
    let text = broker_properties(&data_dir, args.zookeeper_port, args.port);
    let props = Properties::parse(&text, &props_path)?;
    let (config, warnings) =
        crate::config::resolve(&crate::config::server::BROKER, &props, &overrides)?;
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let settings = BrokerSettings::from_config(&config, &props_path)?;
    let coordinator = CoordinatorSettings {
        data_dir: data_dir.join("zookeeper"),
        client_addr: SocketAddr::from(([0, 0, 0, 0], args.zookeeper_port)),
        // Kafka's config/zookeeper.properties: no per-address connection limit.
        max_client_cnxns: 0,
        ..CoordinatorSettings::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)))
        .thread_name("standalone")
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(
        coordinator,
        Arc::new(config),
        settings,
        &args,
        &data_dir,
    ))
}

async fn serve(
    coordinator: CoordinatorSettings,
    config: Arc<crate::config::ResolvedConfig>,
    settings: BrokerSettings,
    args: &StandaloneArgs,
    data_dir: &Path,
) -> Result<()> {
    let zk = Coordinator::start(coordinator)
        .await
        .map_err(|e| Error::Failed(format!("coordinator: {}", crate::cli::chain(&e))))?;
    let stop = crate::daemon::termination();
    let mut stop = std::pin::pin!(stop);
    let broker = tokio::select! {
        b = start(config, settings) => b,
        () = &mut stop => {
            let _ = zk.shutdown().await;
            return Ok(());
        }
    };
    let broker = match broker {
        Ok(b) => b,
        Err(e) => {
            let _ = zk.shutdown().await;
            return Err(match e {
                RuntimeError::Config(c) => Error::Config(c),
                other => Error::Failed(crate::cli::chain(&other)),
            });
        }
    };
    println!(
        "{}",
        connect_help(
            args.zookeeper_port,
            args.port,
            data_dir,
            broker.cluster_id()
        )
    );
    stop.await;
    let stopped = broker.shutdown().await;
    let zk_stopped = zk.shutdown().await;
    stopped.map_err(|e| Error::Failed(crate::cli::chain(&e)))?;
    zk_stopped.map_err(|e| Error::Failed(format!("coordinator: {}", crate::cli::chain(&e))))
}

/// What `standalone` prints once both servers are up.
pub fn connect_help(zookeeper_port: u16, port: u16, data_dir: &Path, cluster_id: &str) -> String {
    format!(
        "rkafka standalone cluster {cluster_id} is up (data in {dir}; Ctrl-C stops it)\n\
         \n  bootstrap server:   localhost:{port}\n  zookeeper connect:  localhost:{zookeeper_port}\n\
         \nTry, with rkafka's bin/ or Apache Kafka's scripts:\n\
         \n  kafka-topics.sh --bootstrap-server localhost:{port} --create --topic quickstart\
         \n  zookeeper-shell.sh localhost:{zookeeper_port} ls /brokers/ids\
         \n  kafka-console-producer.sh --bootstrap-server localhost:{port} --topic quickstart\
         \n  kafka-console-consumer.sh --bootstrap-server localhost:{port} --topic quickstart --from-beginning\n",
        dir = data_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standalone_config_resolves_to_kafkas_quickstart() {
        let text = broker_properties(Path::new("/data"), 2181, 9092);
        let props = Properties::parse(&text, "server.properties").unwrap();
        let (c, warnings) =
            crate::config::resolve(&crate::config::server::BROKER, &props, &[]).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let s = BrokerSettings::from_config(&c, Path::new("server.properties")).unwrap();
        assert_eq!(s.log_dirs, vec![PathBuf::from("/data/kafka-logs")]);
        assert_eq!(s.zk_connect, "127.0.0.1:2181");
        assert_eq!(s.net.listeners[0].port, 9092);
        assert_eq!(s.broker_id, 0);
        let help = connect_help(2181, 9092, Path::new("/data"), "abc");
        assert!(help.contains("bootstrap server:   localhost:9092"));
        assert!(help.contains("zookeeper connect:  localhost:2181"));
    }
}
