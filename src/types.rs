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

/// Kafka's `Uuid` (topic ids, directory ids): 16 raw bytes, big-endian as on the wire, shown
/// as URL-safe base64 without padding (22 characters). One type for the wire codecs and the
/// znode payloads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid(pub [u8; 16]);

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl Uuid {
    /// `Uuid.ZERO_UUID`: "no topic id".
    pub const ZERO: Uuid = Uuid([0; 16]);
    /// `Uuid.METADATA_TOPIC_ID` (…01), reserved.
    pub const METADATA_TOPIC_ID: Uuid = Uuid([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// A random version-4 id from 16 random bytes, or None when Kafka's `randomUuid` would
    /// draw again (the zero or metadata id, or a text form starting with '-', which would
    /// read as a command-line option). Callers loop with fresh bytes.
    pub fn from_random(mut bytes: [u8; 16]) -> Option<Uuid> {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let id = Uuid(bytes);
        let reserved = id == Uuid::ZERO || id == Uuid::METADATA_TOPIC_ID;
        (!reserved && !id.to_string().starts_with('-')).then_some(id)
    }

    /// Parses Kafka's text form: 22 characters of URL-safe base64 (Kafka's `Uuid.fromString`
    /// also takes the padded 24-character form and, like Java's decoder, ignores the 4 unused
    /// trailing bits).
    pub fn parse(text: &str) -> Result<Uuid, BadUuid> {
        let bad = || BadUuid {
            text: text.to_string(),
        };
        let unpadded = text.strip_suffix("==").unwrap_or(text);
        let digits: Vec<u8> = unpadded
            .bytes()
            .map(|c| B64URL.iter().position(|&d| d == c).map(|p| p as u8))
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        if digits.len() != 22 {
            return Err(bad());
        }
        let mut bits: u32 = 0;
        let mut nbits = 0;
        let mut out = Vec::with_capacity(16);
        for d in digits {
            bits = (bits << 6) | u32::from(d);
            nbits += 6;
            if nbits >= 8 {
                nbits -= 8;
                out.push((bits >> nbits) as u8);
                bits &= (1 << nbits) - 1;
            }
        }
        let bytes: [u8; 16] = out.try_into().map_err(|_| bad())?;
        Ok(Uuid(bytes))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(22);
        for chunk in self.0.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                let idx = (n >> (18 - 6 * i)) & 0x3f;
                s.push(B64URL[idx as usize] as char);
            }
        }
        f.write_str(&s)
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

/// Text that is not a Kafka UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a Kafka UUID (22 characters of URL-safe base64)")]
pub struct BadUuid {
    pub text: String,
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
