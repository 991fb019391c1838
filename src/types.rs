//! Newtypes for the identifiers and positions that flow between modules, so that an offset can
//! never be passed where a broker id or an epoch is expected.

use std::fmt;

macro_rules! newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                $name(v)
            }
        }
    };
}

newtype!(
    /// A broker's `broker.id`.
    BrokerId(i32)
);
newtype!(
    /// A partition index within a topic.
    Partition(i32)
);
newtype!(
    /// A record's offset within a partition.
    Offset(i64)
);
newtype!(
    /// The epoch of a partition's leader (KIP-101); -1 when unknown.
    LeaderEpoch(i32)
);
newtype!(
    /// An idempotent or transactional producer's id (KIP-98); -1 when none.
    ProducerId(i64)
);
newtype!(
    /// A ZooKeeper transaction id: high 32 bits epoch, low 32 bits counter.
    Zxid(i64)
);
newtype!(
    /// A ZooKeeper session id.
    SessionId(i64)
);

/// A `host:port` endpoint as operators type it in `--bootstrap-server` and friends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or address; IPv6 literals are kept without their brackets.
    pub host: String,
    pub port: u16,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl HostPort {
    /// Parses one `host:port` or `[v6]:port` entry. The error names the entry and what is wrong.
    pub fn parse(entry: &str) -> Result<HostPort, String> {
        let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("'{entry}': missing ']' after an IPv6 address"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| format!("'{entry}': missing ':port' after the address"))?;
            (host, port)
        } else {
            entry
                .rsplit_once(':')
                .ok_or_else(|| format!("'{entry}': expected host:port"))?
        };
        if host.is_empty() {
            return Err(format!("'{entry}': the host is empty"));
        }
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("'{entry}': '{port}' is not a port number (1-65535)"))?;
        Ok(HostPort {
            host: host.to_string(),
            port,
        })
    }

    /// Parses a host list as Kafka's tools accept it: entries separated by commas and/or
    /// whitespace (`a:9092,b:9092` or `a:9092 b:9092`). An empty list is an error.
    pub fn parse_list(list: &str) -> Result<Vec<HostPort>, String> {
        let hosts = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(HostPort::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if hosts.is_empty() {
            return Err("the host list is empty".to_string());
        }
        Ok(hosts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lists_split_on_commas_and_spaces() {
        let hosts = HostPort::parse_list("localhost:9092, localhost:9093 [::1]:9094").unwrap();
        let shown: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
        assert_eq!(shown, ["localhost:9092", "localhost:9093", "[::1]:9094"]);
        assert_eq!(hosts[2].host, "::1");
    }

    #[test]
    fn bad_entries_are_named() {
        let err = HostPort::parse_list("localhost:9092,broker").unwrap_err();
        assert!(err.contains("'broker'"), "{err}");
        let err = HostPort::parse_list("a:99999").unwrap_err();
        assert!(err.contains("99999"), "{err}");
        assert!(HostPort::parse_list(" , ").is_err());
        assert!(HostPort::parse(":9092").is_err());
        assert!(HostPort::parse("[::1:9092").is_err());
    }
}
