//! `--config k=v` and `--delete-config k` for topics: Kafka's `key=val` split and its checks
//! against the topic-level key table (`LogConfig.validate`), with Kafka's messages.

use std::collections::BTreeMap;

use crate::config::def::java_trim;
use crate::config::server::TOPIC;
use crate::error::Error;

/// Parses and validates `--config` entries. Kafka splits each on `\s*=\s*` and wants exactly
/// two parts, so a value may not contain '='.
pub fn parse_additions(entries: &[String]) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for entry in entries {
        let parts: Vec<&str> = entry.split('=').map(str::trim).collect();
        let [key, value] = parts.as_slice() else {
            return Err(Error::Usage(
                "Invalid topic config: all configs to be added must be in the format \"key=val\"."
                    .to_string(),
            ));
        };
        let (key, value) = (java_trim(key), java_trim(value));
        check_value(key, value)?;
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// Splits `--config` entries as Kafka does without checking them against the table (the
/// `--bootstrap-server` flow leaves names to the broker and checks values with
/// [`check_value`] later, as Kafka 4's tool does).
pub fn split_additions(entries: &[String]) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for entry in entries {
        let parts: Vec<&str> = entry.split('=').map(str::trim).collect();
        let [key, value] = parts.as_slice() else {
            return Err(Error::Usage(
                "Invalid topic config: all configs to be added must be in the format \"key=val\"."
                    .to_string(),
            ));
        };
        out.insert(java_trim(key).to_string(), java_trim(value).to_string());
    }
    Ok(out)
}

/// Validates `--delete-config` names.
pub fn parse_deletions(names: &[String]) -> Result<Vec<String>, Error> {
    names
        .iter()
        .map(|n| {
            let n = java_trim(n);
            check_name(n)?;
            Ok(n.to_string())
        })
        .collect()
}

fn check_name(key: &str) -> Result<(), Error> {
    if TOPIC.get(key).is_none() {
        return Err(Error::Usage(format!("Unknown topic config name: {key}")));
    }
    Ok(())
}

/// Checks one value against the topic table (type and validator).
pub fn check_value(key: &str, value: &str) -> Result<(), Error> {
    check_name(key)?;
    if let Some(def) = TOPIC.get(key)
        && let Err(refusal) = def.parse(value)
    {
        return Err(Error::Usage(format!(
            "Invalid value {value} for configuration {key}: {} (expected {})",
            refusal.problem, refusal.expected
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additions_and_deletions() {
        let a = parse_additions(&["segment.bytes=1048576".into()]).unwrap();
        assert_eq!(a["segment.bytes"], "1048576");
        assert!(
            parse_additions(&["segment.bytes=1".into()]).is_err(),
            "below 14"
        );
        assert!(parse_additions(&["a=b=c".into()]).is_err());
        assert_eq!(
            parse_deletions(&[" retention.ms ".into()]).unwrap(),
            ["retention.ms"]
        );
        assert_eq!(
            parse_deletions(&["nope".into()]).unwrap_err().to_string(),
            "Unknown topic config name: nope"
        );
    }
}
