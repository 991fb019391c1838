//! `kafka-consumer-perf-test.sh`: consumes N records as fast as possible and prints
//! Kafka's ConsumerPerformance summary (or its per-interval lines with
//! `--show-detailed-stats`) in Kafka's exact format, so scripts that parse it keep working.
//!
//! Until consumer groups exist the tool assigns itself every partition of the topic;
//! `rebalance.time.ms` then reports the time spent finding the partitions (metadata),
//! which is what precedes fetching here as the group join does in Kafka. Times are
//! printed in UTC with Kafka's default `yyyy-MM-dd HH:mm:ss:SSS` pattern.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Arg, ArgAction, ArgMatches};

use crate::client::consumer::{Consumer, OffsetReset};
use crate::error::Error;

/// Kafka's summary header.
pub const HEADER: &str = "start.time, end.time, data.consumed.in.MB, MB.sec, \
                          data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, \
                          fetch.MB.sec, fetch.nMsg.sec";
/// Kafka's header with `--show-detailed-stats`.
pub const DETAILED_HEADER: &str = "time, threadId, data.consumed.in.MB, MB.sec, \
                                   data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, \
                                   fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

/// The clap command of the tool.
pub fn command() -> clap::Command {
    clap::Command::new("consumer-perf-test")
        .about("Measure how fast records can be consumed from a topic")
        .arg(
            Arg::new("bootstrap-server")
                .long("bootstrap-server")
                .value_name("HOST:PORT[,...]")
                .required(true)
                .help("REQUIRED: the server(s) to connect to"),
        )
        .arg(
            Arg::new("topic")
                .long("topic")
                .value_name("TOPIC")
                .required(true)
                .help("The topic to consume from (all its partitions are assigned)"),
        )
        .arg(
            Arg::new("messages")
                .long("messages")
                .value_name("COUNT")
                .required(true)
                .value_parser(clap::value_parser!(u64))
                .help("REQUIRED: the number of records to consume"),
        )
        .arg(
            Arg::new("fetch-size")
                .long("fetch-size")
                .value_name("SIZE")
                .value_parser(clap::value_parser!(i32).range(1..))
                .default_value("1048576")
                .help("The amount of data to fetch per partition in a single request"),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("MS")
                .value_parser(clap::value_parser!(u64))
                .default_value("10000")
                .help("The maximum allowed time in milliseconds between returned records"),
        )
        .arg(
            Arg::new("show-detailed-stats")
                .long("show-detailed-stats")
                .action(ArgAction::SetTrue)
                .help("Report stats for each reporting interval"),
        )
        .arg(
            Arg::new("reporting-interval")
                .long("reporting-interval")
                .value_name("MS")
                .value_parser(clap::value_parser!(u64).range(1..))
                .default_value("5000")
                .help("Interval in milliseconds at which to print progress info"),
        )
        .arg(
            Arg::new("hide-header")
                .long("hide-header")
                .action(ArgAction::SetTrue)
                .help("Skip printing the header for the stats"),
        )
        .arg(
            Arg::new("from-latest")
                .long("from-latest")
                .action(ArgAction::SetTrue)
                .help("Start with the latest record rather than the earliest"),
        )
        .arg(
            Arg::new("consumer.config")
                .long("consumer.config")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Consumer config properties file"),
        )
}

/// Runs the tool.
pub fn run(matches: &ArgMatches) -> Result<(), Error> {
    let mut config = super::console_consumer::consumer_config(
        matches,
        "consumer.config",
        &[],
        "perf-consumer-client",
    )?;
    config.check_crcs = false;
    config.auto_offset_reset = if matches.get_flag("from-latest") {
        OffsetReset::Latest
    } else {
        OffsetReset::Earliest
    };
    if let Some(size) = matches.get_one::<i32>("fetch-size") {
        config.max_partition_fetch_bytes = *size;
    }
    let topic = matches
        .get_one::<String>("topic")
        .cloned()
        .unwrap_or_default();
    let wanted = matches.get_one::<u64>("messages").copied().unwrap_or(0);
    let timeout =
        Duration::from_millis(matches.get_one::<u64>("timeout").copied().unwrap_or(10_000));
    let interval = Duration::from_millis(
        matches
            .get_one::<u64>("reporting-interval")
            .copied()
            .unwrap_or(5000),
    );
    let detailed = matches.get_flag("show-detailed-stats");
    let mut out = std::io::stdout().lock();
    if !matches.get_flag("hide-header") {
        writeln!(out, "{}", if detailed { DETAILED_HEADER } else { HEADER })
            .map_err(Error::Output)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let start_ms = now_ms();
    let started = Instant::now();
    let result = runtime.block_on(async {
        let mut consumer = Consumer::new(config);
        let partitions = consumer
            .partitions_for(&topic)
            .await
            .map_err(|e| Error::Failed(e.to_string()))?;
        for p in partitions {
            consumer.assign(&topic, p);
        }
        let join = started.elapsed();
        let progress = std::io::stderr().is_terminal();
        let mut stats = Stats::default();
        let mut last = Stats::default();
        let mut last_report = Instant::now();
        let mut last_progress = Instant::now();
        let mut last_record = Instant::now();
        let mut join_in_round = join;
        while stats.messages < wanted {
            let record = consumer
                .next(Some(last_record + timeout))
                .await
                .map_err(|e| Error::Failed(e.to_string()))?;
            let Some(r) = record else { break };
            let now = Instant::now();
            last_record = now;
            stats.messages += 1;
            stats.bytes += (r.key.map_or(0, |k| k.len()) + r.value.map_or(0, |v| v.len())) as u64;
            if now.duration_since(last_report) >= interval {
                if detailed {
                    let line = detailed_line(
                        now_ms(),
                        &stats,
                        &last,
                        now.duration_since(last_report),
                        join_in_round,
                    );
                    writeln!(out, "{line}").map_err(Error::Output)?;
                }
                join_in_round = Duration::ZERO;
                last_report = now;
                last = stats;
            }
            if progress && now.duration_since(last_progress) >= Duration::from_millis(200) {
                last_progress = now;
                let _ = write!(std::io::stderr(), "\r{} / {wanted} records", stats.messages);
            }
        }
        if progress {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
        if stats.messages < wanted {
            writeln!(
                out,
                "WARNING: Exiting before consuming the expected number of messages: timeout \
                 ({} ms) exceeded. You can use the --timeout option to increase the timeout.",
                timeout.as_millis()
            )
            .map_err(Error::Output)?;
        }
        Ok::<_, Error>((stats, join))
    });
    runtime.shutdown_background();
    let (stats, join) = result?;
    let end_ms = now_ms();
    if !detailed {
        writeln!(out, "{}", summary_line(start_ms, end_ms, &stats, join)).map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)
}

/// Records and key+value bytes consumed.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    messages: u64,
    bytes: u64,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

const MB: f64 = 1024.0 * 1024.0;

/// Kafka's final line: `start, end, MB, MB/s, n, n/s, rebalance ms, fetch ms, fetch MB/s,
/// fetch n/s`.
fn summary_line(start_ms: i64, end_ms: i64, s: &Stats, join: Duration) -> String {
    let elapsed_s = (end_ms - start_ms) as f64 / 1000.0;
    let join_ms = i64::try_from(join.as_millis()).unwrap_or(i64::MAX);
    let fetch_ms = (end_ms - start_ms) - join_ms;
    let mb = s.bytes as f64 / MB;
    let fetch_s = fetch_ms as f64 / 1000.0;
    format!(
        "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}",
        kafka_date(start_ms),
        kafka_date(end_ms),
        java_f4(mb),
        java_f4(mb / elapsed_s),
        s.messages,
        java_f4(s.messages as f64 / elapsed_s),
        join_ms,
        fetch_ms,
        java_f4(mb / fetch_s),
        java_f4(s.messages as f64 / fetch_s)
    )
}

/// Kafka's `--show-detailed-stats` line for one interval.
fn detailed_line(
    now_ms: i64,
    s: &Stats,
    last: &Stats,
    elapsed: Duration,
    join: Duration,
) -> String {
    let elapsed_ms = elapsed.as_millis() as f64;
    let interval_mb = (s.bytes - last.bytes) as f64 / MB;
    let interval_n = (s.messages - last.messages) as f64;
    let join_ms = join.as_millis() as i64;
    let fetch_ms = elapsed.as_millis() as i64 - join_ms;
    let per_fetch = |x: f64| {
        if fetch_ms <= 0 {
            0.0
        } else {
            1000.0 * x / fetch_ms as f64
        }
    };
    format!(
        "{}, 0, {}, {}, {}, {}, {}, {}, {}, {}",
        kafka_date(now_ms),
        java_f4(s.bytes as f64 / MB),
        java_f4(1000.0 * interval_mb / elapsed_ms),
        s.messages,
        java_f4(interval_n / elapsed_ms * 1000.0),
        join_ms,
        fetch_ms,
        java_f4(per_fetch(interval_mb)),
        java_f4(per_fetch(interval_n))
    )
}

/// Java's `%.4f`: NaN and infinities spelled as Java does, and Java's rounding, which
/// rounds the shortest decimal form of the double half-up (so 0.03125 gives 0.0313 and
/// 1.00005 gives 1.0001, where rounding the exact binary value would not).
fn java_f4(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    // Display gives the shortest round-trip digits, never in exponent form.
    let shortest = format!("{}", x.abs());
    let (int, frac) = shortest.split_once('.').unwrap_or((&shortest, ""));
    let mut digits: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(4))
        .collect();
    if frac.as_bytes().get(4).is_some_and(|d| *d >= b'5') {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - 4;
    let sign = if x.is_sign_negative() { "-" } else { "" };
    format!(
        "{sign}{}.{}",
        String::from_utf8_lossy(&digits[..split]),
        String::from_utf8_lossy(&digits[split..])
    )
}

/// `yyyy-MM-dd HH:mm:ss:SSS` in UTC.
fn kafka_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // Howard Hinnant's days-to-civil conversion.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}:{:03}",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_are_formatted_as_kafka_does() {
        assert_eq!(kafka_date(0), "1970-01-01 00:00:00:000");
        assert_eq!(kafka_date(1_700_000_000_123), "2023-11-14 22:13:20:123");
        assert_eq!(kafka_date(951_782_400_000), "2000-02-29 00:00:00:000");
        assert_eq!(java_f4(f64::INFINITY), "Infinity");
        assert_eq!(java_f4(f64::NAN), "NaN");
        assert_eq!(java_f4(2.5), "2.5000");
        assert_eq!(java_f4(0.03125), "0.0313");
        assert_eq!(java_f4(1.00005), "1.0001");
        assert_eq!(java_f4(9.99996), "10.0000");
        assert_eq!(java_f4(634920.63492063), "634920.6349");
        assert_eq!(java_f4(0.0), "0.0000");
        assert_eq!(java_f4(1e-7), "0.0000");
        let s = Stats {
            messages: 1000,
            bytes: 1024 * 1024,
        };
        let line = summary_line(
            1_700_000_000_000,
            1_700_000_002_000,
            &s,
            Duration::from_millis(1000),
        );
        assert_eq!(
            line,
            "2023-11-14 22:13:20:000, 2023-11-14 22:13:22:000, 1.0000, 0.5000, 1000, 500.0000, \
             1000, 1000, 1.0000, 1000.0000"
        );
    }
}
