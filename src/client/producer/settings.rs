//! The producer's settings under Kafka's key names with Kafka 3.x's defaults, and the
//! idempotence rule of Kafka 3.x: on by default, silently off when the user's acks, retries
//! or max.in.flight.requests.per.connection cannot support it, an error when it was asked
//! for explicitly alongside such a value.

use std::time::Duration;

use super::partitioner::PartitionerKind;
use crate::client::settings::{ClientSettings, SettingError};
use crate::protocol::records::Compression;

/// Producer settings; sizes in bytes, durations from the `*.ms` keys.
#[derive(Debug, Clone)]
pub struct ProducerSettings {
    pub client: ClientSettings,
    /// `acks`: 0, 1 or -1 (`all`).
    pub acks: i16,
    /// `batch.size` (16384): bytes per partition batch before it is sent.
    pub batch_size: usize,
    /// `linger.ms` (5 ms since Kafka 4.0; 0 before): wait for more records.
    pub linger: Duration,
    /// `buffer.memory` (32 MiB): bytes of records waiting to be sent.
    pub buffer_memory: usize,
    /// `max.block.ms` (60 s): how long `send` waits for metadata or buffer space.
    pub max_block: Duration,
    /// `max.request.size` (1 MiB): the largest record accepted and the cap of a request.
    pub max_request_size: usize,
    /// `retries` (i32::MAX).
    pub retries: u32,
    /// `delivery.timeout.ms` (120 s): from `send` to the record's final outcome.
    pub delivery_timeout: Duration,
    /// `enable.idempotence` as given; `None` means Kafka's default rule.
    pub enable_idempotence: Option<bool>,
    /// `max.in.flight.requests.per.connection` (5).
    pub max_in_flight: usize,
    /// `compression.type` (none).
    pub compression: Compression,
    /// `partitioner.class`.
    pub partitioner: PartitionerKind,
    /// `partitioner.ignore.keys` (false).
    pub partitioner_ignore_keys: bool,
}

impl Default for ProducerSettings {
    fn default() -> Self {
        ProducerSettings {
            client: ClientSettings::default(),
            acks: -1,
            batch_size: 16384,
            linger: Duration::from_millis(5),
            buffer_memory: 32 * 1024 * 1024,
            max_block: Duration::from_millis(60_000),
            max_request_size: 1024 * 1024,
            retries: i32::MAX as u32,
            delivery_timeout: Duration::from_millis(120_000),
            enable_idempotence: None,
            max_in_flight: 5,
            compression: Compression::None,
            partitioner: PartitionerKind::BuiltIn,
            partitioner_ignore_keys: false,
        }
    }
}

fn bad(key: &str, value: &str, reason: impl ToString) -> SettingError {
    SettingError {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

impl ProducerSettings {
    /// Applies `key=value` pairs in order (later ones win); keys the producer does not act
    /// on are left to the client settings, and unknown ones are ignored here (the config
    /// tables warn about them).
    pub fn apply<'a>(
        &mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), SettingError> {
        let mut client_text = String::new();
        for (key, value) in pairs {
            let value = value.trim();
            let num = |v: &str| -> Result<u64, SettingError> {
                v.parse::<u64>().map_err(|e| bad(key, v, e))
            };
            let ms = |v: &str| num(v).map(Duration::from_millis);
            let size =
                |v: &str| num(v).and_then(|n| usize::try_from(n).map_err(|e| bad(key, v, e)));
            match key {
                "acks" => {
                    self.acks = match value {
                        "all" | "-1" => -1,
                        "0" => 0,
                        "1" => 1,
                        _ => return Err(bad(key, value, "expected one of: all, -1, 0, 1")),
                    }
                }
                "batch.size" => self.batch_size = size(value)?,
                "linger.ms" => self.linger = ms(value)?,
                "buffer.memory" => self.buffer_memory = size(value)?,
                "max.block.ms" => self.max_block = ms(value)?,
                "max.request.size" => self.max_request_size = size(value)?,
                "retries" => {
                    self.retries = u32::try_from(num(value)?)
                        .ok()
                        .filter(|&r| r <= i32::MAX as u32)
                        .ok_or_else(|| bad(key, value, "must be between 0 and 2147483647"))?
                }
                "delivery.timeout.ms" => self.delivery_timeout = ms(value)?,
                "enable.idempotence" => {
                    self.enable_idempotence = Some(match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(key, value, "expected true or false")),
                    })
                }
                "max.in.flight.requests.per.connection" => {
                    self.max_in_flight = size(value)?;
                    if self.max_in_flight == 0 {
                        return Err(bad(key, value, "must be at least 1"));
                    }
                }
                "compression.type" => {
                    self.compression = Compression::from_name(value).ok_or_else(|| {
                        bad(key, value, "expected one of: none, gzip, snappy, lz4, zstd")
                    })?
                }
                "partitioner.class" => {
                    self.partitioner = PartitionerKind::from_class(value).ok_or_else(|| {
                        bad(
                            key,
                            value,
                            "rkafka knows the built-in partitioner and \
                             org.apache.kafka.clients.producer.RoundRobinPartitioner",
                        )
                    })?
                }
                "partitioner.ignore.keys" => {
                    self.partitioner_ignore_keys = value.eq_ignore_ascii_case("true")
                }
                "transactional.id" if !value.is_empty() => {
                    return Err(bad(key, value, "transactions are not supported yet"));
                }
                _ => {
                    client_text.push_str(&crate::config::properties::escape_key(key));
                    client_text.push('=');
                    client_text.push_str(&crate::config::properties::escape_value(value));
                    client_text.push('\n');
                }
            }
        }
        let props = crate::config::Properties::parse(&client_text, "producer settings")
            .map_err(|e| bad("properties", "", e))?;
        self.client.apply(&props)
    }

    /// Whether the producer runs idempotent (Kafka 3.x's rule), or the conflict when
    /// idempotence was asked for explicitly with settings that cannot support it.
    pub fn idempotence(&self) -> Result<bool, SettingError> {
        let conflict = if self.acks != -1 {
            Some(("acks", self.acks.to_string(), "must be all"))
        } else if self.retries == 0 {
            Some(("retries", "0".to_string(), "must be greater than 0"))
        } else if self.max_in_flight > 5 {
            Some((
                "max.in.flight.requests.per.connection",
                self.max_in_flight.to_string(),
                "must be at most 5",
            ))
        } else {
            None
        };
        match (self.enable_idempotence, conflict) {
            (Some(false), _) => Ok(false),
            (None, Some(_)) => Ok(false),
            (_, None) => Ok(true),
            (Some(true), Some((key, value, why))) => Err(bad(
                key,
                &value,
                format!("{why} to use the idempotent producer (enable.idempotence=true)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_names_and_the_idempotence_rule() {
        let mut s = ProducerSettings::default();
        assert!(s.idempotence().unwrap());
        s.apply([
            ("acks", "1"),
            ("linger.ms", "7"),
            ("request.timeout.ms", "900"),
        ])
        .unwrap();
        assert_eq!(s.acks, 1);
        assert_eq!(s.linger, Duration::from_millis(7));
        assert_eq!(s.client.request_timeout, Duration::from_millis(900));
        assert!(!s.idempotence().unwrap(), "acks=1 turns the default off");
        s.apply([("enable.idempotence", "true")]).unwrap();
        let e = s.idempotence().unwrap_err().to_string();
        assert!(e.starts_with("acks=1: must be all"), "{e}");
        assert!(s.apply([("acks", "2")]).is_err());
        assert!(s.apply([("compression.type", "brotli")]).is_err());
        s.apply([("compression.type", "zstd")]).unwrap();
        assert_eq!(s.compression, Compression::Zstd);
        assert!(s.apply([("partitioner.class", "x.Y")]).is_err());
    }
}
