//! The consumer's fetch settings under Kafka's key names and defaults, read from
//! `--consumer.config` files and `--consumer-property` pairs. Connection settings
//! (timeouts, backoff, client.id) stay in [`ClientSettings`], which reads the same entries.

use std::time::Duration;

use crate::client::ClientSettings;
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
        match key {
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
}
