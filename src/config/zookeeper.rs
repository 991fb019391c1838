//! The coordinator's key table (`zookeeper.properties`, ZooKeeper 3.8's key names and
//! defaults) and [`ZookeeperSettings`], the plain struct the coordinator runs from.
//!
//! ZooKeeper itself reads this file with `java.util.Properties` and trims every value, which
//! the typed layer does too. Ensemble lines (`server.N=host:port:port`) are refused with a
//! clear error: rkafka's coordinator runs a single node.

use std::path::{Path, PathBuf};

use super::def::{ConfigDef, DefaultValue as D, KeyDef, Kind as K, Validator as V, key};
use super::error::{ConfigError, Source};
use super::resolve::{Override, ResolvedConfig};

/// ZooKeeper keeps at least this many snapshots when purging; smaller settings are raised to
/// it with a warning, as ZooKeeper does.
pub const MIN_SNAP_RETAIN_COUNT: i32 = 3;

#[rustfmt::skip]
pub static ZOOKEEPER_KEYS: &[KeyDef] = &[
    key("dataDir", K::String, D::Required, V::NonEmpty, "directory for snapshots (and the transaction log unless dataLogDir is set)"),
    key("dataLogDir", K::String, D::Null, V::NonEmpty, "directory for the transaction log; unset means dataDir"),
    key("clientPort", K::Int, D::Value("2181"), V::Between(0, 65535), "port clients connect to; 0 picks a free port"),
    key("clientPortAddress", K::String, D::Null, V::NonEmpty, "address to listen on for clients; unset means all interfaces"),
    key("tickTime", K::Int, D::Value("3000"), V::AtLeast(1), "basic time unit in ms; session timeout bounds are multiples of it"),
    key("initLimit", K::Int, D::Null, V::AtLeast(1), "ticks a follower may take to join a leader (ensembles only; accepted and unused)"),
    key("syncLimit", K::Int, D::Null, V::AtLeast(1), "ticks a follower may lag a leader (ensembles only; accepted and unused)"),
    key("minSessionTimeout", K::Int, D::Value("-1"), V::Any, "smallest session timeout granted, in ms; -1 means 2 ticks"),
    key("maxSessionTimeout", K::Int, D::Value("-1"), V::Any, "largest session timeout granted, in ms; -1 means 20 ticks"),
    key("maxClientCnxns", K::Int, D::Value("60"), V::AtLeast(0), "connections allowed from one address; 0 means unlimited"),
    key("admin.enableServer", K::Boolean, D::Value("true"), V::Any, "run the HTTP admin server"),
    key("admin.serverPort", K::Int, D::Value("8080"), V::Between(0, 65535), "port of the HTTP admin server"),
    key("4lw.commands.whitelist", K::List, D::Value("srvr"), V::Any, "four-letter words answered on the client port; * means all"),
    key("autopurge.snapRetainCount", K::Int, D::Value("3"), V::Any, "snapshots (and their logs) kept when purging; at least 3"),
    key("autopurge.purgeInterval", K::Int, D::Value("0"), V::Any, "hours between purges of old snapshots and logs; 0 or less disables purging"),
    key("jute.maxbuffer", K::Int, D::Value("1048575"), V::AtLeast(1), "largest request or znode payload in bytes"),
    key("globalOutstandingLimit", K::Int, D::Value("1000"), V::AtLeast(1), "queued requests before the server stops reading from clients"),
    key("snapCount", K::Int, D::Value("100000"), V::AtLeast(2), "transactions logged between snapshots"),
    key("preAllocSize", K::Long, D::Value("65536"), V::AtLeast(1), "transaction log preallocation step, in KiB"),
    key("standaloneEnabled", K::Boolean, D::Value("true"), V::Any, "allow running as a single server"),
    key("reconfigEnabled", K::Boolean, D::Value("false"), V::Any, "allow dynamic reconfiguration (ensembles only; must stay false)"),
    key("skipACL", K::String, D::Value("no"), V::OneOf(&["yes", "no"]), "yes skips every ACL check"),
];

/// Refuses `server.N` lines: they describe an ensemble, which rkafka's coordinator does not run.
fn reject(key: &str) -> Option<String> {
    let n = key.strip_prefix("server.")?;
    (!n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).then(|| {
        "ensembles are not supported yet by rkafka's coordinator; run a single node or point \
         brokers at a real ZooKeeper ensemble"
            .to_string()
    })
}

/// The coordinator's table (`zookeeper.properties`).
pub static ZOOKEEPER: ConfigDef = ConfigDef {
    name: "zookeeper",
    keys: ZOOKEEPER_KEYS,
    reject: Some(reject),
};

/// Everything the coordinator needs from its configuration, with ZooKeeper's derived values
/// already worked out (session bounds from ticks, dataLogDir from dataDir).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZookeeperSettings {
    pub data_dir: PathBuf,
    /// Where the transaction log goes; `data_dir` unless `dataLogDir` was set.
    pub data_log_dir: PathBuf,
    pub client_port: u16,
    /// Listen address; `None` means all interfaces.
    pub client_port_address: Option<String>,
    pub tick_time_ms: u32,
    /// Smallest session timeout granted (2 ticks unless set).
    pub min_session_timeout_ms: u32,
    /// Largest session timeout granted (20 ticks unless set).
    pub max_session_timeout_ms: u32,
    /// Connections per client address; 0 means unlimited.
    pub max_client_cnxns: u32,
    pub admin_enable_server: bool,
    pub admin_server_port: u16,
    /// Four-letter words allowed; `["*"]` allows all.
    pub four_letter_whitelist: Vec<String>,
    /// At least [`MIN_SNAP_RETAIN_COUNT`].
    pub snap_retain_count: u32,
    /// Hours between purges; 0 disables purging.
    pub purge_interval_hours: u32,
    /// Largest request or znode payload, in bytes.
    pub jute_max_buffer: u32,
    pub global_outstanding_limit: u32,
    pub snap_count: u32,
    /// Transaction log preallocation step, in KiB.
    pub pre_alloc_size_kb: u64,
    pub standalone_enabled: bool,
    pub reconfig_enabled: bool,
    pub skip_acl: bool,
}

impl ZookeeperSettings {
    /// Builds the settings from a configuration resolved against [`ZOOKEEPER`], returning the
    /// adjustments made (as warnings) alongside.
    pub fn from_resolved(c: &ResolvedConfig) -> Result<(Self, Vec<String>), ConfigError> {
        let mut warnings = Vec::new();
        let int = |k: &str| c.get_int(k).unwrap_or(0);
        // Validators guarantee the ranges used by these conversions.
        let unsigned = |k: &str| u32::try_from(int(k)).unwrap_or(0);
        let port = |k: &str| u16::try_from(int(k)).unwrap_or(0);

        let data_dir = PathBuf::from(c.get_string("dataDir").unwrap_or_default());
        let data_log_dir = c
            .get_string("dataLogDir")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.clone());
        let tick = unsigned("tickTime");

        let timeout = |k: &str, ticks: u32| -> Result<u32, ConfigError> {
            match int(k) {
                -1 => Ok(tick.saturating_mul(ticks)),
                n => {
                    u32::try_from(n).map_err(|_| bad(c, k, n, "-1 or a non-negative number of ms"))
                }
            }
        };
        let min_session = timeout("minSessionTimeout", 2)?;
        let max_session = timeout("maxSessionTimeout", 20)?;
        if min_session > max_session {
            return Err(bad(
                c,
                "minSessionTimeout",
                int("minSessionTimeout"),
                &format!("at most maxSessionTimeout ({max_session} ms)"),
            ));
        }

        let mut snap_retain = int("autopurge.snapRetainCount");
        if snap_retain < MIN_SNAP_RETAIN_COUNT {
            warnings.push(format!(
                "{}: autopurge.snapRetainCount: {snap_retain} is below the minimum; using {MIN_SNAP_RETAIN_COUNT}",
                source_of(c, "autopurge.snapRetainCount")
            ));
            snap_retain = MIN_SNAP_RETAIN_COUNT;
        }

        let settings = ZookeeperSettings {
            data_dir,
            data_log_dir,
            client_port: port("clientPort"),
            client_port_address: c.get_string("clientPortAddress").map(str::to_string),
            tick_time_ms: tick,
            min_session_timeout_ms: min_session,
            max_session_timeout_ms: max_session,
            max_client_cnxns: unsigned("maxClientCnxns"),
            admin_enable_server: c.get_bool("admin.enableServer").unwrap_or(false),
            admin_server_port: port("admin.serverPort"),
            four_letter_whitelist: c
                .get_list("4lw.commands.whitelist")
                .map(|l| l.iter().filter(|w| !w.is_empty()).cloned().collect())
                .unwrap_or_default(),
            snap_retain_count: u32::try_from(snap_retain).unwrap_or(3),
            purge_interval_hours: u32::try_from(int("autopurge.purgeInterval").max(0)).unwrap_or(0),
            jute_max_buffer: unsigned("jute.maxbuffer"),
            global_outstanding_limit: unsigned("globalOutstandingLimit"),
            snap_count: unsigned("snapCount"),
            pre_alloc_size_kb: c
                .get_long("preAllocSize")
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            standalone_enabled: c.get_bool("standaloneEnabled").unwrap_or(true),
            reconfig_enabled: c.get_bool("reconfigEnabled").unwrap_or(false),
            skip_acl: c.get_string("skipACL") == Some("yes"),
        };
        Ok((settings, warnings))
    }

    /// Whether the four-letter word `word` may be answered (exact match, as ZooKeeper).
    pub fn allows_four_letter_word(&self, word: &str) -> bool {
        self.four_letter_whitelist
            .iter()
            .any(|w| w == "*" || w == word)
    }
}

fn source_of(c: &ResolvedConfig, k: &str) -> Source {
    c.source(k).cloned().unwrap_or(Source::Default)
}

fn bad(c: &ResolvedConfig, k: &str, n: i32, expected: &str) -> ConfigError {
    ConfigError::bad_value(
        source_of(c, k),
        k,
        n.to_string(),
        "is not accepted",
        expected,
    )
}

/// Reads `zookeeper.properties` at `path` with `overrides` on top and builds the settings;
/// returns them with every warning (unknown keys, adjustments) for the caller to print.
pub fn load_settings(
    path: &Path,
    overrides: &[Override],
) -> Result<(ZookeeperSettings, Vec<String>), ConfigError> {
    let (resolved, mut warnings) = super::load(path, &ZOOKEEPER, overrides)?;
    let (settings, more) = ZookeeperSettings::from_resolved(&resolved)?;
    warnings.extend(more);
    Ok((settings, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Properties, parse_overrides, resolve};

    fn settings(text: &str) -> Result<(ZookeeperSettings, Vec<String>), ConfigError> {
        let p = Properties::parse(text, "config/zookeeper.properties")?;
        let (c, mut w) = resolve(&ZOOKEEPER, &p, &[])?;
        let (s, more) = ZookeeperSettings::from_resolved(&c)?;
        w.extend(more);
        Ok((s, w))
    }

    #[test]
    fn defaults_and_derived_values() {
        let (s, w) = settings("dataDir=/var/zk\n").unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.data_dir, PathBuf::from("/var/zk"));
        assert_eq!(s.data_log_dir, PathBuf::from("/var/zk"));
        assert_eq!(s.client_port, 2181);
        assert_eq!(s.client_port_address, None);
        assert_eq!(s.tick_time_ms, 3000);
        assert_eq!(s.min_session_timeout_ms, 6000);
        assert_eq!(s.max_session_timeout_ms, 60000);
        assert_eq!(s.max_client_cnxns, 60);
        assert!(s.admin_enable_server);
        assert_eq!(s.four_letter_whitelist, vec!["srvr".to_string()]);
        assert!(s.allows_four_letter_word("srvr") && !s.allows_four_letter_word("ruok"));
        assert_eq!(s.snap_retain_count, 3);
        assert_eq!(s.purge_interval_hours, 0);
        assert_eq!(s.jute_max_buffer, 0xfffff);
        assert!(!s.skip_acl && s.standalone_enabled && !s.reconfig_enabled);
    }

    #[test]
    fn explicit_values() {
        let text = "dataDir=d\ndataLogDir=l\ntickTime=2000\nminSessionTimeout=1000\n\
                    maxSessionTimeout=90000\nmaxClientCnxns=0\n4lw.commands.whitelist=ruok, stat\n\
                    clientPortAddress=127.0.0.1\nclientPort=0\nskipACL=yes\nautopurge.purgeInterval=-2\n";
        let (s, _) = settings(text).unwrap();
        assert_eq!(s.data_log_dir, PathBuf::from("l"));
        assert_eq!(
            (s.min_session_timeout_ms, s.max_session_timeout_ms),
            (1000, 90000)
        );
        assert_eq!(s.max_client_cnxns, 0);
        assert_eq!(s.client_port, 0);
        assert_eq!(s.client_port_address.as_deref(), Some("127.0.0.1"));
        assert!(s.allows_four_letter_word("stat") && !s.allows_four_letter_word("srvr"));
        assert!(s.skip_acl);
        assert_eq!(s.purge_interval_hours, 0);
        let (s, _) = settings("dataDir=d\n4lw.commands.whitelist=*").unwrap();
        assert!(s.allows_four_letter_word("mntr"));
        let (s, _) = settings("dataDir=d\ntickTime=2000").unwrap();
        assert_eq!(
            (s.min_session_timeout_ms, s.max_session_timeout_ms),
            (4000, 40000)
        );
    }

    #[test]
    fn bad_values() {
        let e = settings("dataDir=d\nclientPort=70000")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "config/zookeeper.properties:2: clientPort: '70000' is out of range \
             (expected an integer in [0, 65535])"
        );
        let e = settings("").unwrap_err().to_string();
        assert!(e.contains("dataDir: no value given"), "{e}");
        let e = settings("dataDir=d\nminSessionTimeout=50000\nmaxSessionTimeout=40000")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("config/zookeeper.properties:2: minSessionTimeout: '50000'"),
            "{e}"
        );
        let e = settings("dataDir=d\nminSessionTimeout=-5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("-1 or a non-negative"), "{e}");
        let e = settings("dataDir=d\nskipACL=YES").unwrap_err().to_string();
        assert!(e.contains("one of: yes, no"), "{e}");
    }

    #[test]
    fn small_snap_retain_count_is_raised_with_a_warning() {
        let (s, w) = settings("dataDir=d\nautopurge.snapRetainCount=1").unwrap();
        assert_eq!(s.snap_retain_count, 3);
        assert_eq!(
            w,
            vec![
                "config/zookeeper.properties:2: autopurge.snapRetainCount: 1 is below the \
                 minimum; using 3"
            ]
        );
    }

    #[test]
    fn ensemble_lines_are_refused_naming_file_and_line() {
        let e = settings("dataDir=d\n\nserver.1=zk1:2888:3888\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "config/zookeeper.properties:3: server.1: ensembles are not supported yet by \
             rkafka's coordinator; run a single node or point brokers at a real ZooKeeper ensemble"
        );
        let err: crate::error::Error = e.into();
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
        // Also from the command line; but `server.` keys that are not ensemble lines are not.
        let p = Properties::parse("dataDir=d", "z").unwrap();
        let ov = parse_overrides(&["server.2=h:1:2"]).unwrap();
        assert!(matches!(
            resolve(&ZOOKEEPER, &p, &ov),
            Err(ConfigError::Unsupported {
                at: Source::Override,
                ..
            })
        ));
        let (_, w) = settings("dataDir=d\nserver.name=x").unwrap();
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn unknown_keys_warn() {
        let (_, w) = settings("dataDir=d\nelectionAlg=3").unwrap();
        assert_eq!(
            w,
            vec![
                "config/zookeeper.properties:2: electionAlg: not a known zookeeper \
                 configuration key; ignored"
            ]
        );
    }

    #[test]
    fn table_defaults_are_valid() {
        for k in ZOOKEEPER_KEYS {
            if let D::Value(raw) = k.default {
                assert!(k.parse(raw).is_ok(), "{}", k.name);
            }
        }
    }
}
