//! `kafka-producer-perf-test.sh`: sends `--num-records` records of `--record-size` bytes (or
//! payloads from a file), optionally throttled to `--throughput` records/s, and prints
//! Kafka's ProducerPerformance lines: a window line every `--reporting-interval` ms and the
//! summary with latency percentiles, in Kafka's exact format so scripts keep parsing them.
//! The statistics are pure ([`Stats`]) and take time as a parameter.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Arg, ArgAction, ArgGroup, ArgMatches};

use super::console_producer::{file_pairs, parse_pairs, warn_unknown_keys};
use crate::client::producer::{Producer, ProducerRecord, ProducerSettings};
use crate::error::Error;

/// The clap command of the tool.
pub fn command() -> clap::Command {
    clap::Command::new("producer-perf-test")
        .about("Measure producer throughput and latency")
        .arg(Arg::new("bootstrap-server").long("bootstrap-server").value_name("HOST:PORT[,...]")
            .help("The server(s) to connect to; takes precedence over bootstrap.servers in the properties"))
        .arg(Arg::new("topic").long("topic").value_name("TOPIC").required(true).help("Produce records to this topic"))
        .arg(Arg::new("num-records").long("num-records").value_name("N").required(true)
            .value_parser(clap::value_parser!(u64)).help("Number of records to produce"))
        .arg(Arg::new("payload-delimiter").long("payload-delimiter").value_name("DELIMITER").default_value("\\n")
            .help("Delimiter of the payloads in --payload-file"))
        .arg(Arg::new("throughput").long("throughput").value_name("RECORDS/S").required(true)
            .value_parser(clap::value_parser!(f64))
            .allow_negative_numbers(true)
            .help("Throttle to approximately this many records/s; -1 disables throttling"))
        .arg(Arg::new("producer-props").long("producer-props").value_name("KEY=VALUE").num_args(1..)
            .alias("command-property").action(ArgAction::Append)
            .help("Producer properties; they take precedence over --producer.config"))
        .arg(Arg::new("producer.config").long("producer.config").value_name("FILE").alias("command-config")
            .value_parser(clap::value_parser!(PathBuf)).help("Producer config properties file"))
        .arg(Arg::new("reporting-interval").long("reporting-interval").value_name("MS").default_value("5000")
            .value_parser(clap::value_parser!(u64).range(1..)).help("Interval of the progress lines, in ms"))
        .arg(Arg::new("record-size").long("record-size").value_name("BYTES")
            .value_parser(clap::value_parser!(usize)).help("Record size in bytes"))
        .arg(Arg::new("payload-file").long("payload-file").value_name("FILE")
            .value_parser(clap::value_parser!(PathBuf)).help("File of UTF-8 payloads, one picked at random per record"))
        .arg(Arg::new("payload-monotonic").long("payload-monotonic").action(ArgAction::SetTrue)
            .help("Payload is a monotonically increasing integer"))
        .group(ArgGroup::new("payload").args(["record-size", "payload-file", "payload-monotonic"]).required(true))
}

/// Kafka's `Stats`: totals, the current reporting window, and every `sampling`-th latency
/// for the percentiles (at most 500,000 kept). Times are ms.
#[derive(Debug)]
pub struct Stats {
    start: u64,
    window_start: u64,
    interval: u64,
    sampling: u64,
    latencies: Vec<u64>,
    iteration: u64,
    count: u64,
    bytes: u64,
    max_latency: u64,
    total_latency: u64,
    window_count: u64,
    window_bytes: u64,
    window_max: u64,
    window_total: u64,
}

impl Stats {
    pub fn new(num_records: u64, interval_ms: u64, now_ms: u64) -> Self {
        let sampling = num_records / num_records.clamp(1, 500_000);
        Stats {
            start: now_ms,
            window_start: now_ms,
            interval: interval_ms,
            sampling: sampling.max(1),
            latencies: Vec::new(),
            iteration: 0,
            count: 0,
            bytes: 0,
            max_latency: 0,
            total_latency: 0,
            window_count: 0,
            window_bytes: 0,
            window_max: 0,
            window_total: 0,
        }
    }

    /// Records one acknowledged record; returns the window line when the window is over.
    pub fn record(&mut self, latency: u64, bytes: u64, now_ms: u64) -> Option<String> {
        self.count += 1;
        self.bytes += bytes;
        self.total_latency += latency;
        self.max_latency = self.max_latency.max(latency);
        self.window_count += 1;
        self.window_bytes += bytes;
        self.window_total += latency;
        self.window_max = self.window_max.max(latency);
        if self.iteration % self.sampling == 0 && self.latencies.len() < 500_000 {
            self.latencies.push(latency);
        }
        self.iteration += 1;
        if now_ms.saturating_sub(self.window_start) >= self.interval {
            let line = self.window_line(now_ms);
            self.window_start = now_ms;
            self.window_count = 0;
            self.window_bytes = 0;
            self.window_total = 0;
            self.window_max = 0;
            return Some(line);
        }
        None
    }

    fn window_line(&self, now_ms: u64) -> String {
        let elapsed = now_ms.saturating_sub(self.window_start).max(1) as f64;
        let rps = 1000.0 * self.window_count as f64 / elapsed;
        let mbps = 1000.0 * self.window_bytes as f64 / elapsed / (1024.0 * 1024.0);
        let avg = self.window_total as f64 / self.window_count.max(1) as f64;
        format!(
            "{} records sent, {rps:.1} records/sec ({mbps:.2} MB/sec), {avg:.1} ms avg latency, {:.1} ms max latency.",
            self.window_count, self.window_max as f64
        )
    }

    /// Kafka's summary line.
    pub fn total_line(&self, now_ms: u64) -> String {
        let elapsed = now_ms.saturating_sub(self.start).max(1) as f64;
        let rps = 1000.0 * self.count as f64 / elapsed;
        let mbps = 1000.0 * self.bytes as f64 / elapsed / (1024.0 * 1024.0);
        let avg = self.total_latency as f64 / self.count.max(1) as f64;
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let pct = |p: f64| {
            let i = (p * sorted.len() as f64) as usize;
            sorted
                .get(i.min(sorted.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        format!(
            "{} records sent, {rps:.6} records/sec ({mbps:.2} MB/sec), {avg:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
            self.count,
            self.max_latency as f64,
            pct(0.5),
            pct(0.95),
            pct(0.99),
            pct(0.999)
        )
    }
}

/// The payloads to send.
enum Payloads {
    Fixed(Bytes),
    File(Vec<Bytes>),
    Monotonic,
}

fn payloads(m: &ArgMatches) -> Result<Payloads, Error> {
    if let Some(&size) = m.get_one::<usize>("record-size") {
        // Kafka's payload: random uppercase letters, the same for every record.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let bytes: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b'A' + (x % 26) as u8
            })
            .collect();
        return Ok(Payloads::Fixed(Bytes::from(bytes)));
    }
    if let Some(path) = m.get_one::<PathBuf>("payload-file") {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let delimiter = m
            .get_one::<String>("payload-delimiter")
            .map(|d| d.replace("\\n", "\n").replace("\\t", "\t"))
            .unwrap_or_else(|| "\n".into());
        if delimiter.is_empty() {
            return Err(Error::Usage("--payload-delimiter may not be empty".into()));
        }
        println!("Reading payloads from: {}", path.display());
        let list: Vec<Bytes> = text
            .split(delimiter.as_str())
            .filter(|p| !p.is_empty())
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect();
        println!("Number of messages read: {}", list.len());
        if list.is_empty() {
            return Err(Error::Failed(format!("File is empty: {}", path.display())));
        }
        return Ok(Payloads::File(list));
    }
    Ok(Payloads::Monotonic)
}

fn settings(m: &ArgMatches) -> Result<ProducerSettings, Error> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(path) = m.get_one::<PathBuf>("producer.config") {
        pairs.extend(file_pairs(path)?);
    }
    if let Some(v) = m.get_many::<String>("producer-props") {
        pairs.extend(parse_pairs(v, "--producer-props")?);
    }
    if let Some(b) = m.get_one::<String>("bootstrap-server") {
        pairs.push(("bootstrap.servers".into(), b.clone()));
    }
    if !pairs.iter().any(|(k, _)| k == "client.id") {
        pairs.push(("client.id".into(), "perf-producer-client".into()));
    }
    warn_unknown_keys(&pairs);
    let mut s = ProducerSettings::default();
    s.apply(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| Error::Usage(e.to_string()))?;
    if s.client.bootstrap_servers.is_empty() {
        return Err(Error::Usage(
            "either --bootstrap-server or bootstrap.servers in the producer properties is required"
                .into(),
        ));
    }
    s.idempotence().map_err(|e| Error::Usage(e.to_string()))?;
    Ok(s)
}

fn wall_ms(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Runs the tool.
pub fn run(m: &ArgMatches) -> Result<(), Error> {
    let settings = settings(m)?;
    let payloads = payloads(m)?;
    let topic = m
        .get_one::<String>("topic")
        .cloned()
        .ok_or_else(|| Error::Usage("--topic is required".into()))?;
    let num = m.get_one::<u64>("num-records").copied().unwrap_or(0);
    let throughput = m.get_one::<f64>("throughput").copied().unwrap_or(-1.0);
    let interval = m
        .get_one::<u64>("reporting-interval")
        .copied()
        .unwrap_or(5000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(perf(settings, payloads, topic, num, throughput, interval))
}

async fn perf(
    settings: ProducerSettings,
    payloads: Payloads,
    topic: String,
    num: u64,
    throughput: f64,
    interval: u64,
) -> Result<(), Error> {
    let producer = Producer::start(settings).map_err(|e| Error::Usage(e.to_string()))?;
    let origin = Instant::now();
    let stats = Arc::new(Mutex::new(Stats::new(num, interval, 0)));
    let failures = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..num {
        let value = match &payloads {
            Payloads::Fixed(b) => b.clone(),
            Payloads::File(list) => {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                list[(rng % list.len() as u64) as usize].clone()
            }
            Payloads::Monotonic => Bytes::from(i.to_string()),
        };
        let bytes = value.len() as u64;
        let sent_at = wall_ms(origin);
        let record = ProducerRecord {
            topic: topic.clone(),
            value: Some(value),
            ..ProducerRecord::default()
        };
        let delivery = producer
            .send(record)
            .await
            .map_err(|e| Error::Failed(e.to_string()))?;
        let (stats, failures) = (stats.clone(), failures.clone());
        tasks.spawn(async move {
            match delivery.wait().await {
                Ok(_) => {
                    let now = wall_ms(origin);
                    let line = stats
                        .lock()
                        .ok()
                        .and_then(|mut s| s.record(now.saturating_sub(sent_at), bytes, now));
                    if let Some(line) = line {
                        println!("{line}");
                    }
                }
                Err(e) => {
                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    eprintln!("{e}");
                }
            }
        });
        // Reap finished tasks so the set stays small.
        while tasks.try_join_next().is_some() {}
        if throughput > 0.0 {
            let due = Duration::from_secs_f64((i + 1) as f64 / throughput);
            let elapsed = origin.elapsed();
            if due > elapsed {
                tokio::time::sleep(due - elapsed).await;
            }
        }
    }
    producer.flush().await;
    while tasks.join_next().await.is_some() {}
    let line = stats
        .lock()
        .map(|s| s.total_line(wall_ms(origin)))
        .unwrap_or_default();
    producer.close().await;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    let failed = failures.load(std::sync::atomic::Ordering::Relaxed);
    if failed > 0 {
        return Err(Error::Failed(format!("{failed} record(s) failed")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_total_lines_have_kafkas_format() {
        let mut s = Stats::new(4, 1000, 0);
        assert_eq!(s.record(5, 100, 10), None);
        assert_eq!(s.record(7, 100, 500), None);
        let w = s.record(9, 100, 1000).unwrap();
        assert_eq!(
            w,
            "3 records sent, 3.0 records/sec (0.00 MB/sec), 7.0 ms avg latency, 9.0 ms max latency."
        );
        s.record(3, 100, 2000);
        assert_eq!(
            s.total_line(2000),
            "4 records sent, 2.000000 records/sec (0.00 MB/sec), 6.00 ms avg latency, 9.00 ms max latency, 7 ms 50th, 9 ms 95th, 9 ms 99th, 9 ms 99.9th."
        );
        // More records than samples: every n-th latency is kept.
        let big = Stats::new(1_000_000, 5000, 0);
        assert_eq!(big.sampling, 2);
    }
}
