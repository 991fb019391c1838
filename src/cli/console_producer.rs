//! `kafka-console-producer.sh`: reads stdin lines (Kafka's LineMessageReader rules, in
//! [`reader`]) and produces them to a topic with Kafka's console-producer defaults
//! (acks=-1, linger 1000 ms, batch 16384, 3 retries, request timeout 1500 ms). A `>` prompt
//! appears only on a terminal; end of input flushes and exits 0; a failed send is printed and
//! makes the exit status 1 unless `ignore.error=true`.

pub mod reader;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches};

use crate::client::producer::{Delivery, ProduceError, Producer, ProducerRecord, ProducerSettings};
use crate::error::Error;
use reader::{ReaderConfig, decode_line, split_line};

/// `key=value` command-line properties, in order; anything without `=` is a usage error
/// naming it (Kafka: "Invalid command line properties").
pub fn parse_pairs<'a>(
    values: impl IntoIterator<Item = &'a String>,
    flag: &str,
) -> Result<Vec<(String, String)>, Error> {
    values
        .into_iter()
        .map(|v| match v.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => Ok((k.trim().to_string(), val.to_string())),
            _ => Err(Error::Usage(format!(
                "{flag}: invalid property '{v}': expected key=value"
            ))),
        })
        .collect()
}

/// The key=value pairs of a properties file, in file order (effective values).
pub fn file_pairs(path: &std::path::Path) -> Result<Vec<(String, String)>, Error> {
    let props = crate::config::read(path)?;
    Ok(props
        .effective()
        .into_iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect())
}

/// Warns about producer keys rkafka's producer does not know (Kafka: "supplied but isn't a
/// known config"); the last value of a repeated key is the one checked.
pub fn warn_unknown_keys(pairs: &[(String, String)]) {
    let mut last: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in pairs {
        last.insert(k.as_str(), v.as_str());
    }
    let text = crate::config::properties::to_text(last);
    if let Ok(props) = crate::config::Properties::parse(&text, "producer properties")
        && let Ok((_, warnings)) =
            crate::config::resolve(&crate::config::client::PRODUCER, &props, &[])
    {
        for w in warnings {
            tracing::warn!("{w}");
        }
    }
}

fn flag(name: &'static str, value_name: &'static str, help: &'static str) -> Arg {
    Arg::new(name).long(name).value_name(value_name).help(help)
}

/// The clap command of the tool.
pub fn command() -> clap::Command {
    clap::Command::new("console-producer")
        .about("Read lines from standard input and publish them to a Kafka topic")
        .arg(
            flag("bootstrap-server", "HOST:PORT[,...]", "REQUIRED: the server(s) to connect to")
                .alias("broker-list")
                .required(true),
        )
        .arg(flag("topic", "TOPIC", "REQUIRED: the topic to produce messages to").required(true))
        .arg(
            flag("property", "KEY=VALUE", "Reader property: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error")
                .alias("reader-property")
                .action(ArgAction::Append),
        )
        .arg(
            flag("reader-config", "FILE", "Reader properties file; --property takes precedence")
                .value_parser(clap::value_parser!(PathBuf)),
        )
        .arg(
            flag("producer-property", "KEY=VALUE", "Producer config property")
                .alias("command-property")
                .action(ArgAction::Append),
        )
        .arg(
            flag("producer.config", "FILE", "Producer config properties file; --producer-property takes precedence")
                .alias("command-config")
                .value_parser(clap::value_parser!(PathBuf)),
        )
        .arg(flag("request-required-acks", "ACKS", "The acks of the producer requests (acks)").default_value("-1"))
        .arg(
            flag("compression-codec", "CODEC", "none, gzip, snappy, lz4 or zstd; gzip when given without a value (compression.type)")
                .num_args(0..=1)
                .default_missing_value("gzip")
                .default_value("none"),
        )
        .arg(
            Arg::new("sync")
                .long("sync")
                .action(ArgAction::SetTrue)
                .help("Send each message synchronously, one at a time as it arrives"),
        )
        .arg(flag("batch-size", "BYTES", "Bytes per partition batch (batch.size)").default_value("16384"))
        .arg(flag("timeout", "MS", "Maximum time a message waits for a batch to fill (linger.ms)").default_value("1000"))
        .arg(flag("message-send-max-retries", "N", "Retries before a message is dropped (retries)").default_value("3"))
        .arg(flag("retry-backoff-ms", "MS", "Pause before a retry (retry.backoff.ms)").default_value("100"))
        .arg(flag("max-block-ms", "MS", "Maximum time a send blocks (max.block.ms)").default_value("60000"))
        .arg(flag("request-timeout-ms", "MS", "Ack timeout of the produce requests (request.timeout.ms)").default_value("1500"))
        .arg(flag("max-memory-bytes", "BYTES", "Memory for records waiting to be sent (buffer.memory)").default_value("33554432"))
        .arg(flag("max-partition-memory-bytes", "BYTES", "(Deprecated) batch.size; replaces --batch-size when given").default_value("16384"))
        .arg(flag("metadata-expiry-ms", "MS", "Metadata refresh period (metadata.max.age.ms)").default_value("300000"))
        .arg(
            flag("line-reader", "CLASS", "Only Kafka's default reader is built in")
                .default_value("org.apache.kafka.tools.LineMessageReader"),
        )
}

/// Flags that map to producer keys: (flag, key). Kafka's rule: a flag given on the command
/// line wins; a default fills the key only when no property file or --producer-property
/// set it.
const FLAG_KEYS: &[(&str, &str)] = &[
    ("request-required-acks", "acks"),
    ("timeout", "linger.ms"),
    ("batch-size", "batch.size"),
    ("message-send-max-retries", "retries"),
    ("retry-backoff-ms", "retry.backoff.ms"),
    ("max-block-ms", "max.block.ms"),
    ("request-timeout-ms", "request.timeout.ms"),
    ("max-memory-bytes", "buffer.memory"),
    ("metadata-expiry-ms", "metadata.max.age.ms"),
];

/// The producer settings the flags, files and properties give.
pub fn producer_settings(m: &ArgMatches) -> Result<ProducerSettings, Error> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(path) = m.get_one::<PathBuf>("producer.config") {
        pairs.extend(file_pairs(path)?);
    }
    if let Some(v) = m.get_many::<String>("producer-property") {
        pairs.extend(parse_pairs(v, "--producer-property")?);
    }
    let given = |key: &str| pairs.iter().any(|(k, _)| k == key);
    let mut from_flags = Vec::new();
    for (flag, key) in FLAG_KEYS {
        let explicit = m.value_source(flag) == Some(ValueSource::CommandLine);
        if (explicit || !given(key))
            && let Some(v) = m.get_one::<String>(flag)
        {
            from_flags.push((key.to_string(), v.clone()));
        }
    }
    if m.value_source("max-partition-memory-bytes") == Some(ValueSource::CommandLine)
        && let Some(v) = m.get_one::<String>("max-partition-memory-bytes")
    {
        from_flags.push(("batch.size".to_string(), v.clone()));
    }
    // Kafka sets compression.type from the flag unconditionally (none when absent).
    if let Some(codec) = m.get_one::<String>("compression-codec") {
        from_flags.push(("compression.type".to_string(), codec.clone()));
    }
    if !given("client.id") {
        from_flags.push(("client.id".to_string(), "console-producer".to_string()));
    }
    pairs.extend(from_flags);
    let servers = m
        .get_one::<String>("bootstrap-server")
        .ok_or_else(|| Error::Usage("--bootstrap-server is required".into()))?;
    pairs.push(("bootstrap.servers".to_string(), servers.clone()));
    warn_unknown_keys(&pairs);
    let mut settings = ProducerSettings::default();
    settings
        .apply(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| Error::Usage(e.to_string()))?;
    if settings.client.bootstrap_servers.is_empty() {
        return Err(Error::Usage("--bootstrap-server: no servers given".into()));
    }
    settings
        .idempotence()
        .map_err(|e| Error::Usage(e.to_string()))?;
    Ok(settings)
}

fn reader_config(m: &ArgMatches) -> Result<ReaderConfig, Error> {
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    if let Some(path) = m.get_one::<PathBuf>("reader-config") {
        props.extend(file_pairs(path)?);
    }
    if let Some(v) = m.get_many::<String>("property") {
        props.extend(parse_pairs(v, "--property")?);
    }
    ReaderConfig::from_props(&props).map_err(|e| Error::Usage(e.to_string()))
}

/// Runs the tool.
pub fn run(m: &ArgMatches) -> Result<(), Error> {
    let reader = reader_config(m)?;
    let settings = producer_settings(m)?;
    if let Some(class) = m.get_one::<String>("line-reader")
        && class != "org.apache.kafka.tools.LineMessageReader"
        && class != "kafka.tools.ConsoleProducer$LineMessageReader"
    {
        return Err(Error::Usage(format!(
            "--line-reader {class}: only org.apache.kafka.tools.LineMessageReader is built in"
        )));
    }
    let topic = m
        .get_one::<String>("topic")
        .cloned()
        .ok_or_else(|| Error::Usage("--topic is required".into()))?;
    let sync = m.get_flag("sync");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let prompt = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let (lines_tx, lines) = tokio::sync::mpsc::channel::<Vec<u8>>(1024);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || read_lines(prompt, lines_tx))
        .map_err(|e| Error::Failed(format!("cannot start the stdin reader: {e}")))?;
    runtime.block_on(produce(settings, reader, topic, sync, lines))
}

/// Reads stdin and hands over one line at a time, printing `>` before each when asked.
fn read_lines(prompt: bool, tx: tokio::sync::mpsc::Sender<Vec<u8>>) {
    let mut stdin = std::io::stdin().lock();
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut eof = false;
    let show = || {
        if prompt {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(b">");
            let _ = out.flush();
        }
    };
    show();
    loop {
        let mut start = 0;
        while let Some((line, used)) = split_line(&buf[start..], eof) {
            if tx.blocking_send(line.to_vec()).is_err() {
                return;
            }
            start += used;
            if !eof {
                show();
            }
        }
        buf.drain(..start);
        if eof {
            return;
        }
        match stdin.read(&mut chunk) {
            Ok(0) => eof = true,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => eof = true,
        }
    }
}

/// Kafka's ErrorLoggingCallback line.
fn send_error(topic: &str, key: Option<usize>, value: Option<usize>, e: &ProduceError) -> String {
    let size = |n: Option<usize>| n.map_or("null".to_string(), |n| format!("{n} bytes"));
    format!(
        "Error when sending message to topic {topic} with key: {}, value: {} with error: {e}",
        size(key),
        size(value)
    )
}

async fn produce(
    settings: ProducerSettings,
    reader: ReaderConfig,
    topic: String,
    sync: bool,
    mut lines: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<(), Error> {
    let producer = Producer::start(settings).map_err(|e| Error::Usage(e.to_string()))?;
    let ignore = reader.ignore_error;
    let (done_tx, mut done_rx) =
        tokio::sync::mpsc::unbounded_channel::<(Delivery, Option<usize>, Option<usize>)>();
    let report_topic = topic.clone();
    let reporter = tokio::spawn(async move {
        let mut failures = 0u64;
        while let Some((d, k, v)) = done_rx.recv().await {
            if let Err(e) = d.wait().await {
                failures += 1;
                eprintln!("{}", send_error(&report_topic, k, v, &e));
            }
        }
        failures
    });
    let mut number = 0u64;
    let mut failures = 0u64;
    let mut parse_error = None;
    while let Some(raw) = lines.recv().await {
        number += 1;
        let text = decode_line(&raw);
        let parsed = match reader.parse(&text, number) {
            Ok(p) => p,
            Err(e) => {
                parse_error = Some(e);
                break;
            }
        };
        let (klen, vlen) = (
            parsed.key.as_ref().map(Vec::len),
            parsed.value.as_ref().map(Vec::len),
        );
        let record = ProducerRecord {
            topic: topic.clone(),
            partition: None,
            key: parsed.key.map(Bytes::from),
            value: parsed.value.map(Bytes::from),
            headers: parsed
                .headers
                .into_iter()
                .map(|(k, v)| (k, v.map(Bytes::from)))
                .collect(),
            timestamp: None,
        };
        match producer.send(record).await {
            Ok(d) if sync => {
                if let Err(e) = d.wait().await {
                    failures += 1;
                    eprintln!("{}", send_error(&topic, klen, vlen, &e));
                }
            }
            Ok(d) => {
                let _ = done_tx.send((d, klen, vlen));
            }
            Err(e) => {
                failures += 1;
                eprintln!("{}", send_error(&topic, klen, vlen, &e));
            }
        }
    }
    drop(lines);
    producer.close().await;
    drop(done_tx);
    failures += reporter.await.unwrap_or(0);
    if let Some(e) = parse_error {
        return Err(Error::Failed(e.to_string()));
    }
    if failures > 0 && !ignore {
        return Err(Error::Failed(format!(
            "{failures} message(s) could not be sent to topic {topic}"
        )));
    }
    Ok(())
}
