//! The client's settings under Kafka's key names, with Kafka's defaults, read from a client
//! properties file (`--command-config`) whose keys config::client validates.

use std::time::Duration;

use crate::config::properties::Properties;
use crate::types::HostPort;

/// Client settings; durations come from the `*.ms` keys.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `bootstrap.servers` (tools take `--bootstrap-server` instead).
    pub bootstrap_servers: Vec<HostPort>,
    /// `client.id`.
    pub client_id: String,
    /// `request.timeout.ms` (30 s).
    pub request_timeout: Duration,
    /// `retry.backoff.ms` (100 ms): pause before retrying a failed request.
    pub retry_backoff: Duration,
    /// `reconnect.backoff.ms` (50 ms): first pause before reconnecting to a broker.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms` (1 s): the doubling reconnect pause stops here.
    pub reconnect_backoff_max: Duration,
    /// `socket.connection.setup.timeout.ms` (10 s).
    pub connection_setup_timeout: Duration,
    /// `metadata.max.age.ms` (5 min): cached metadata older than this is refreshed.
    pub metadata_max_age: Duration,
    /// Largest response accepted, in bytes.
    pub max_response_bytes: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            bootstrap_servers: Vec::new(),
            client_id: "rkafka".to_string(),
            request_timeout: Duration::from_millis(30_000),
            retry_backoff: Duration::from_millis(100),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(1000),
            connection_setup_timeout: Duration::from_millis(10_000),
            metadata_max_age: Duration::from_millis(300_000),
            max_response_bytes: crate::protocol::frame::DEFAULT_MAX_REQUEST_BYTES,
        }
    }
}

/// A client setting with a value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{key}={value}: {reason}")]
pub struct SettingError {
    pub key: String,
    pub value: String,
    pub reason: String,
}

impl ClientSettings {
    /// Applies the keys of a client properties file over the defaults; other keys are ignored
    /// here (the config module reports them).
    pub fn apply(&mut self, props: &Properties) -> Result<(), SettingError> {
        for entry in props.effective() {
            let (key, value) = (entry.key.as_str(), entry.value.trim());
            let ms = |v: &str| -> Result<Duration, SettingError> {
                v.parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|e| SettingError {
                        key: key.to_string(),
                        value: v.to_string(),
                        reason: e.to_string(),
                    })
            };
            match key {
                "bootstrap.servers" => {
                    self.bootstrap_servers =
                        HostPort::parse_list(value).map_err(|reason| SettingError {
                            key: key.to_string(),
                            value: value.to_string(),
                            reason,
                        })?
                }
                "client.id" => self.client_id = value.to_string(),
                "request.timeout.ms" => self.request_timeout = ms(value)?,
                "retry.backoff.ms" => self.retry_backoff = ms(value)?,
                "reconnect.backoff.ms" => self.reconnect_backoff = ms(value)?,
                "reconnect.backoff.max.ms" => self.reconnect_backoff_max = ms(value)?,
                "socket.connection.setup.timeout.ms" => self.connection_setup_timeout = ms(value)?,
                "metadata.max.age.ms" => self.metadata_max_age = ms(value)?,
                // Only plaintext connections exist; better to refuse than to send in clear.
                "security.protocol" if !value.eq_ignore_ascii_case("PLAINTEXT") => {
                    return Err(SettingError {
                        key: key.to_string(),
                        value: value.to_string(),
                        reason: "rkafka's client supports only PLAINTEXT".to_string(),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The reconnect pause before attempt `attempt` (0 = first retry): doubles from
    /// `reconnect.backoff.ms`, capped at `reconnect.backoff.max.ms`.
    pub fn reconnect_pause(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.reconnect_backoff
            .saturating_mul(factor)
            .min(self.reconnect_backoff_max)
    }

    /// Settings for one connection.
    pub fn connection(&self) -> crate::net::ConnectionSettings {
        crate::net::ConnectionSettings {
            client_id: Some(self.client_id.clone()),
            max_response_bytes: self.max_response_bytes,
            request_timeout: self.request_timeout,
            connect_timeout: self.connection_setup_timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_override_defaults_and_backoff_is_capped() {
        let props = Properties::parse(
            "request.timeout.ms=500\nreconnect.backoff.ms=100\nbootstrap.servers=a:1 b:2\n",
            "c.properties",
        )
        .unwrap();
        let mut s = ClientSettings::default();
        s.apply(&props).unwrap();
        assert_eq!(s.request_timeout, Duration::from_millis(500));
        assert_eq!(s.bootstrap_servers.len(), 2);
        assert_eq!(s.reconnect_pause(0), Duration::from_millis(100));
        assert_eq!(s.reconnect_pause(2), Duration::from_millis(400));
        assert_eq!(s.reconnect_pause(40), Duration::from_millis(1000));
        let bad = Properties::parse("retry.backoff.ms=soon\n", "c.properties").unwrap();
        let err = s.apply(&bad).unwrap_err();
        assert!(err.to_string().contains("retry.backoff.ms=soon"), "{err}");
        let ssl = Properties::parse("security.protocol=SSL\n", "c.properties").unwrap();
        assert!(s.apply(&ssl).unwrap_err().to_string().contains("PLAINTEXT"));
    }
}
