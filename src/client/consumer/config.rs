//! The consumer's fetch settings under Kafka's key names and defaults, read from
//! `--consumer.config` files and `--consumer-property` pairs. Connection settings
//! (timeouts, backoff, client.id) stay in [`ClientSettings`], which reads the same entries.

use std::time::Duration;

use crate::client::ClientSettings;
use crate::client::group::Assignor;
use crate::client::group::assignor::DEFAULT_STRATEGY;
use crate::client::settings::SettingError;
use crate::config::properties::Properties;

/// Where to start when a partition has no valid position (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    /// Fail instead of guessing.
    None,
}

/// `isolation.level`, with its wire value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    ReadUncommitted = 0,
    ReadCommitted = 1,
}

impl IsolationLevel {
    /// Parses Kafka's spelling (`read_uncommitted`, `read_committed`), case-insensitively.
    pub fn parse(text: &str) -> Option<IsolationLevel> {
        match text.trim().to_ascii_lowercase().as_str() {
            "read_uncommitted" => Some(IsolationLevel::ReadUncommitted),
            "read_committed" => Some(IsolationLevel::ReadCommitted),
            _ => None,
        }
    }
}

/// Consumer settings; sizes in bytes.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub client: ClientSettings,
    /// `fetch.min.bytes` (1): the broker answers once this much is ready or the wait ends.
    pub fetch_min_bytes: i32,
    /// `fetch.max.wait.ms` (500 ms): the broker's long-poll bound.
    pub fetch_max_wait: Duration,
    /// `max.partition.fetch.bytes` (1 MiB): per partition and fetch.
    pub max_partition_fetch_bytes: i32,
    /// `fetch.max.bytes` (50 MiB): per fetch response.
    pub fetch_max_bytes: i32,
    /// `isolation.level` (read_uncommitted).
    pub isolation_level: IsolationLevel,
    /// `auto.offset.reset` (latest).
    pub auto_offset_reset: OffsetReset,
    /// `check.crcs` (true): verify each batch's CRC32C before reading it.
    pub check_crcs: bool,
    /// `group.id` (none): the consumer group to join when subscribing.
    pub group_id: Option<String>,
    /// `group.instance.id` (none): static membership.
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms` (45 s): the coordinator drops a member silent this long.
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms` (3 s).
    pub heartbeat_interval: Duration,
    /// `max.poll.interval.ms` (5 min): also the rebalance timeout sent in JoinGroup.
    pub max_poll_interval: Duration,
    /// `partition.assignment.strategy` (range, cooperative-sticky), in preference order.
    pub assignors: Vec<Assignor>,
    /// `enable.auto.commit` (true, when a group is used).
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms` (5 s).
    pub auto_commit_interval: Duration,
    /// `client.rack` (none): sent in the subscription (v3).
    pub client_rack: Option<String>,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            client: ClientSettings::default(),
            fetch_min_bytes: 1,
            fetch_max_wait: Duration::from_millis(500),
            max_partition_fetch_bytes: 1024 * 1024,
            fetch_max_bytes: 50 * 1024 * 1024,
            isolation_level: IsolationLevel::ReadUncommitted,
            auto_offset_reset: OffsetReset::Latest,
            check_crcs: true,
            group_id: None,
            group_instance_id: None,
            session_timeout: Duration::from_millis(45_000),
            heartbeat_interval: Duration::from_millis(3_000),
            max_poll_interval: Duration::from_millis(300_000),
            assignors: DEFAULT_STRATEGY.to_vec(),
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(5_000),
            client_rack: None,
        }
    }
}

impl ConsumerConfig {
    /// Applies consumer and client keys of `props` over the current values; keys of
    /// neither kind are ignored.
    pub fn apply(&mut self, props: &Properties) -> Result<(), SettingError> {
        self.client.apply(props)?;
        for entry in props.effective() {
            self.set(&entry.key, entry.value.trim())?;
        }
        Ok(())
    }

    /// Sets one consumer key (client keys are left to [`ClientSettings::apply`]).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        let bad = |reason: &str| SettingError {
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let non_negative = |v: &str| -> Result<i32, SettingError> {
            v.parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| bad("expected a non-negative 32-bit integer"))
        };
        let positive_ms = |v: &str| -> Result<Duration, SettingError> {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| Duration::from_millis(u64::from(n)))
                .ok_or_else(|| bad("expected a positive number of milliseconds"))
        };
        let boolean = |v: &str| -> Result<bool, SettingError> {
            match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad("expected true or false")),
            }
        };
        let optional = |v: &str| (!v.is_empty()).then(|| v.to_string());
        match key {
            "group.id" => self.group_id = optional(value),
            "group.instance.id" => self.group_instance_id = optional(value),
            "client.rack" => self.client_rack = optional(value),
            "session.timeout.ms" => self.session_timeout = positive_ms(value)?,
            "heartbeat.interval.ms" => self.heartbeat_interval = positive_ms(value)?,
            "max.poll.interval.ms" => self.max_poll_interval = positive_ms(value)?,
            "auto.commit.interval.ms" => self.auto_commit_interval = positive_ms(value)?,
            "enable.auto.commit" => self.enable_auto_commit = boolean(value)?,
            "partition.assignment.strategy" => {
                let mut list = Vec::new();
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let a = Assignor::parse(name).ok_or_else(|| {
                        bad("expected range, roundrobin, sticky, cooperative-sticky or their Kafka class names")
                    })?;
                    if !list.contains(&a) {
                        list.push(a);
                    }
                }
                if list.is_empty() {
                    return Err(bad("at least one assignor is needed"));
                }
                self.assignors = list;
            }
            "fetch.min.bytes" => self.fetch_min_bytes = non_negative(value)?,
            "fetch.max.wait.ms" => {
                self.fetch_max_wait =
                    Duration::from_millis(u64::from(non_negative(value)?.unsigned_abs()))
            }
            "max.partition.fetch.bytes" => {
                self.max_partition_fetch_bytes = non_negative(value)?.max(1)
            }
            "fetch.max.bytes" => self.fetch_max_bytes = non_negative(value)?.max(1),
            "isolation.level" => {
                self.isolation_level = IsolationLevel::parse(value)
                    .ok_or_else(|| bad("expected read_uncommitted or read_committed"))?
            }
            "auto.offset.reset" => {
                self.auto_offset_reset = match value.to_ascii_lowercase().as_str() {
                    "earliest" => OffsetReset::Earliest,
                    "latest" => OffsetReset::Latest,
                    "none" => OffsetReset::None,
                    _ => return Err(bad("expected earliest, latest or none")),
                }
            }
            "check.crcs" => {
                self.check_crcs = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("expected true or false")),
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_and_bad_values_named() {
        let props = Properties::parse(
            "fetch.min.bytes=1000\nfetch.max.wait.ms=20\nisolation.level=READ_COMMITTED\n\
             auto.offset.reset=earliest\nrequest.timeout.ms=700\n",
            "c.properties",
        )
        .unwrap();
        let mut c = ConsumerConfig::default();
        c.apply(&props).unwrap();
        assert_eq!(c.fetch_min_bytes, 1000);
        assert_eq!(c.fetch_max_wait, Duration::from_millis(20));
        assert_eq!(c.isolation_level, IsolationLevel::ReadCommitted);
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert_eq!(c.client.request_timeout, Duration::from_millis(700));
        let err = c.set("auto.offset.reset", "smallest").unwrap_err();
        assert!(
            err.to_string().contains("auto.offset.reset=smallest"),
            "{err}"
        );
        assert!(c.set("fetch.min.bytes", "-1").is_err());
    }

    #[test]
    fn group_keys_are_read() {
        let mut c = ConsumerConfig::default();
        assert_eq!(
            c.assignors,
            vec![Assignor::Range, Assignor::CooperativeSticky]
        );
        c.set("group.id", "g1").unwrap();
        c.set(
            "partition.assignment.strategy",
            "org.apache.kafka.clients.consumer.RoundRobinAssignor, sticky",
        )
        .unwrap();
        c.set("session.timeout.ms", "6000").unwrap();
        c.set("enable.auto.commit", "false").unwrap();
        assert_eq!(c.group_id.as_deref(), Some("g1"));
        assert_eq!(c.assignors, vec![Assignor::RoundRobin, Assignor::Sticky]);
        assert_eq!(c.session_timeout, Duration::from_millis(6000));
        assert!(!c.enable_auto_commit);
        assert!(c.set("partition.assignment.strategy", "fancy").is_err());
        assert!(c.set("heartbeat.interval.ms", "0").is_err());
    }
}
