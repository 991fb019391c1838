//! Configuration: Java `.properties` parsing and Kafka/ZooKeeper key tables.
//!
//! Layers, each pure except [`load`]:
//! - [`properties`]: the file syntax (`java.util.Properties.load` rules), with line numbers;
//! - [`def`]: typed key tables in the style of Kafka's `ConfigDef` (type, default, validator);
//! - [`resolve`]: defaults < file < `--override key=value`, typed getters, each key's source;
//! - [`server`], [`zookeeper`], [`client`]: the broker, topic, coordinator and client tables.
//!
//! Unknown keys are warnings returned to the caller, never errors; bad values are
//! [`ConfigError`]s naming file, line, key, value and what would be accepted (exit code 2).

pub mod client;
pub mod def;
pub mod error;
pub mod properties;
pub mod resolve;
pub mod server;
pub mod zookeeper;

use std::path::Path;

pub use def::{ConfigDef, DefaultValue, KeyDef, Kind, Password, Validator, Value};
pub use error::{ConfigError, Source};
pub use properties::{Entry, Properties};
pub use resolve::{
    Override, ResolvedConfig, ResolvedKey, parse_override, parse_overrides, resolve,
};

/// Reads the properties file at `path` and resolves it, with `overrides` on top, against
/// `table`. Returns the configuration and the warnings (unknown keys, keys set twice) that the
/// caller should print.
pub fn load(
    path: &Path,
    table: &ConfigDef,
    overrides: &[Override],
) -> Result<(ResolvedConfig, Vec<String>), ConfigError> {
    let props = read(path)?;
    resolve(table, &props, overrides)
}

/// Reads and parses the properties file at `path`.
pub fn read(path: &Path) -> Result<Properties, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Properties::from_bytes(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shipped(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("config")
            .join(name)
    }

    /// The table each shipped file is read with.
    fn table_for(name: &str) -> Option<&'static ConfigDef> {
        match name {
            "zookeeper.properties" => Some(&zookeeper::ZOOKEEPER),
            "producer.properties" => Some(&client::PRODUCER),
            "consumer.properties" => Some(&client::CONSUMER),
            n if n.starts_with("server") && n.ends_with(".properties") => Some(&server::BROKER),
            _ => None,
        }
    }

    #[test]
    fn every_shipped_config_file_loads_without_errors_or_warnings() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "consumer.properties",
                "producer.properties",
                "server.properties",
                "server1.properties",
                "server2.properties",
                "zookeeper.properties"
            ]
        );
        for name in &names {
            let table = table_for(name).unwrap_or_else(|| panic!("no table for {name}"));
            let (_, warnings) = load(&shipped(name), table, &[]).unwrap();
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
        }
        let (zk, warnings) =
            zookeeper::load_settings(&shipped("zookeeper.properties"), &[]).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(zk.data_dir, PathBuf::from("data/zookeeper"));
        assert_eq!((zk.client_port, zk.max_client_cnxns), (2181, 0));
        assert!(!zk.admin_enable_server);
    }

    #[test]
    fn shipped_brokers_differ_in_id_port_and_directory() {
        for (i, name) in [
            "server.properties",
            "server1.properties",
            "server2.properties",
        ]
        .iter()
        .enumerate()
        {
            let (c, _) = load(&shipped(name), &server::BROKER, &[]).unwrap();
            let suffix = if i == 0 {
                String::new()
            } else {
                format!("-{i}")
            };
            assert_eq!(c.get_int("broker.id"), Some(i as i32));
            assert_eq!(
                c.get_string("listeners").map(str::to_string),
                Some(format!("PLAINTEXT://:{}", 9092 + i))
            );
            assert_eq!(
                c.get_string("log.dirs").map(str::to_string),
                Some(format!("data/kafka-logs{suffix}"))
            );
            assert_eq!(c.get_string("zookeeper.connect"), Some("localhost:2181"));
            assert_eq!(c.get_short("offsets.topic.replication.factor"), Some(1));
            assert_eq!(c.get_int("group.initial.rebalance.delay.ms"), Some(0));
        }
    }

    #[test]
    fn load_layers_overrides_and_names_missing_files() {
        let ov = parse_overrides(&["num.partitions=6", "broker.id=9"]).unwrap();
        let (c, _) = load(&shipped("server.properties"), &server::BROKER, &ov).unwrap();
        assert_eq!(c.get_int("num.partitions"), Some(6));
        assert_eq!(c.get_int("broker.id"), Some(9));
        assert_eq!(c.source("broker.id"), Some(&Source::Override));
        assert!(matches!(c.source("log.dirs"), Some(Source::File { line, .. }) if *line > 1));

        let missing = shipped("no-such.properties");
        let e = load(&missing, &server::BROKER, &[]).unwrap_err();
        assert!(matches!(e, ConfigError::Io { .. }));
        assert!(
            e.to_string().starts_with(&missing.display().to_string()),
            "{e}"
        );
        let e: crate::error::Error = e.into();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }

    #[test]
    fn load_reports_bad_values_with_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.properties");
        std::fs::write(&path, "broker.id=1\n# comment\nnum.partitions=abc\n").unwrap();
        let e = load(&path, &server::BROKER, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:3: num.partitions: 'abc' is not a valid int (expected an integer in [1, 2147483647])",
                path.display()
            )
        );
        std::fs::write(&path, b"broker.id=1\nlog.dirs=\xfe\n").unwrap();
        let e = load(&path, &server::BROKER, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2: not valid UTF-8 (rkafka reads configuration files as UTF-8)",
                path.display()
            )
        );
    }
}
