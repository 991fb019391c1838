//! `kafka-broker-api-versions.sh`: asks every broker of a cluster which API versions it
//! supports and prints Kafka's per-broker table, with the version rkafka's client would use.

use std::io::Write;
use std::path::PathBuf;

use clap::{Arg, ArgMatches};

use crate::client::{BrokerConnection, BrokerInfo, Client, ClientSettings, NodeApiVersions};
use crate::error::Error;
use crate::protocol::api::ApiVersionRange;
use crate::protocol::messages::ApiKey;
use crate::types::HostPort;

/// The clap command of the tool.
pub fn command() -> clap::Command {
    clap::Command::new("broker-api-versions")
        .about("Print the API versions each broker of a cluster supports")
        .arg(
            Arg::new("bootstrap-server")
                .long("bootstrap-server")
                .value_name("HOST:PORT[,...]")
                .required(true)
                .help("Brokers to bootstrap from (commas or spaces between entries)"),
        )
        .arg(
            Arg::new("command-config")
                .long("command-config")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Client properties file (request.timeout.ms, client.id, ...)"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .value_name("FORMAT")
                .value_parser(["text", "json"])
                .default_value("text")
                .help("text (Kafka's format) or json (rkafka's addition)"),
        )
}

/// One broker's answer.
struct BrokerReport {
    broker: BrokerInfo,
    result: Result<NodeApiVersions, String>,
}

/// Runs the tool: exit 0 when every broker answered, 1 otherwise.
pub fn run(matches: &ArgMatches) -> Result<(), Error> {
    let list = matches
        .get_one::<String>("bootstrap-server")
        .ok_or_else(|| Error::Usage("--bootstrap-server is required".to_string()))?;
    let mut settings = ClientSettings {
        bootstrap_servers: HostPort::parse_list(list)
            .map_err(|e| Error::Usage(format!("--bootstrap-server: {e}")))?,
        ..ClientSettings::default()
    };
    if let Some(path) = matches.get_one::<PathBuf>("command-config") {
        let props = crate::config::read(path)?;
        settings
            .apply(&props)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    }
    let json = matches
        .get_one::<String>("output")
        .is_some_and(|o| o == "json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let (reports, client_versions) = runtime.block_on(collect(settings))?;
    let mut out = std::io::stdout().lock();
    let text = if json {
        render_json(&reports, &client_versions)
    } else {
        render_text(&reports, &client_versions)
    };
    out.write_all(text.as_bytes()).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    let failed = reports.iter().filter(|r| r.result.is_err()).count();
    if failed > 0 {
        return Err(Error::Failed(format!("{failed} broker(s) did not answer")));
    }
    Ok(())
}

/// Bootstraps, then asks each broker in the metadata (by id) for its versions.
async fn collect(
    settings: ClientSettings,
) -> Result<(Vec<BrokerReport>, Vec<ApiVersionRange>), Error> {
    let mut client = Client::new(settings);
    let metadata = client
        .metadata()
        .await
        .map_err(|e| Error::Failed(e.to_string()))?;
    let mut reports = Vec::with_capacity(metadata.brokers.len());
    for broker in metadata.brokers {
        let result = match client.broker(broker.id).await {
            Ok(BrokerConnection { versions, .. }) => Ok(versions.clone()),
            Err(e) => Err(e.to_string()),
        };
        reports.push(BrokerReport { broker, result });
    }
    Ok((reports, client.client_versions().to_vec()))
}

/// Kafka's text: `HOST:PORT (id: N rack: R) -> (` then the table, one block per broker.
fn render_text(reports: &[BrokerReport], client: &[ApiVersionRange]) -> String {
    let mut s = String::new();
    for r in reports {
        let b = &r.broker;
        let rack = b.rack.as_deref().unwrap_or("null");
        let node = format!("{}:{} (id: {} rack: {})", b.host, b.port, b.id, rack);
        match &r.result {
            Ok(v) => s.push_str(&format!("{node} -> {}\n", v.render(client))),
            Err(e) => s.push_str(&format!("{node} -> ERROR: {e}\n")),
        }
    }
    s
}

/// One JSON object per broker, with every advertised API and the version rkafka would use.
fn render_json(reports: &[BrokerReport], client: &[ApiVersionRange]) -> String {
    let brokers: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let b = &r.broker;
            let mut obj = serde_json::json!({
                "id": b.id, "host": b.host, "port": b.port, "rack": b.rack,
            });
            match &r.result {
                Ok(v) => {
                    let apis: Vec<_> = v
                        .apis
                        .values()
                        .map(|a| {
                            let key = ApiKey::from_i16(a.api_key);
                            serde_json::json!({
                                "api_key": a.api_key,
                                "name": key.map(ApiKey::name),
                                "min_version": a.min,
                                "max_version": a.max,
                                "usable": key.and_then(|k| v.usable(client, k)),
                            })
                        })
                        .collect();
                    obj["apis"] = serde_json::Value::Array(apis);
                }
                Err(e) => obj["error"] = serde_json::Value::String(e.clone()),
            }
            obj
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&brokers).unwrap_or_default();
    s.push('\n');
    s
}
