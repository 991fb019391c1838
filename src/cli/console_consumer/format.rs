//! Record formatters of `console-consumer`: Kafka's DefaultMessageFormatter byte for byte
//! (fields in its order, its separators and literals, raw key/value bytes), and a JSON-lines
//! formatter for machines. Pure: they write into any `Write`.
//!
//! Default layout, each part only when its `print.*` property is on:
//! `TYPE:timestamp` (`NO_TIMESTAMP` without one), `Partition:N`, `Offset:N`, headers
//! (`k:v` joined by `headers.separator`, `NO_HEADERS` when none), key, value. Parts are
//! joined by `key.separator` and the last one is followed by `line.separator`. Null keys,
//! values and header values print as `null.literal`.

use std::io::{self, Write};

use crate::client::consumer::ConsumerRecord;
use crate::protocol::records::TimestampType;

/// The `--formatter` names accepted for Kafka's default formatter.
pub const DEFAULT_FORMATTER_NAMES: &[&str] = &[
    "kafka.tools.DefaultMessageFormatter",
    "org.apache.kafka.tools.consumer.DefaultMessageFormatter",
    "default",
];
/// The `--formatter` name of the JSON-lines formatter.
pub const JSON_FORMATTER_NAME: &str = "json-lines";

/// A `--property` that is not `key=value` or has a value the formatter cannot use.
#[derive(Debug, thiserror::Error)]
#[error("--property {text}: {reason}")]
pub struct PropertyError {
    pub text: String,
    pub reason: String,
}

/// Kafka's DefaultMessageFormatter settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultFormat {
    pub print_timestamp: bool,
    pub print_partition: bool,
    pub print_offset: bool,
    pub print_headers: bool,
    pub print_key: bool,
    pub print_value: bool,
    pub key_separator: Vec<u8>,
    pub line_separator: Vec<u8>,
    pub headers_separator: Vec<u8>,
    pub null_literal: Vec<u8>,
}

impl Default for DefaultFormat {
    fn default() -> Self {
        DefaultFormat {
            print_timestamp: false,
            print_partition: false,
            print_offset: false,
            print_headers: false,
            print_key: false,
            print_value: true,
            key_separator: b"\t".to_vec(),
            line_separator: b"\n".to_vec(),
            headers_separator: b",".to_vec(),
            null_literal: b"null".to_vec(),
        }
    }
}

/// Deserializer classes whose output is the bytes themselves (or their UTF-8 text).
const PASS_THROUGH_DESERIALIZERS: &[&str] = &[
    "org.apache.kafka.common.serialization.StringDeserializer",
    "org.apache.kafka.common.serialization.ByteArrayDeserializer",
];

impl DefaultFormat {
    /// Applies `--property key=value` arguments in order. Booleans must be `true` or `false`
    /// (any case); unknown keys are returned so the caller can warn about them.
    pub fn configure(&mut self, props: &[(String, String)]) -> Result<Vec<String>, PropertyError> {
        let mut unknown = Vec::new();
        for (key, value) in props {
            let flag = || -> Result<bool, PropertyError> {
                match value.trim().to_ascii_lowercase().as_str() {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(PropertyError {
                        text: format!("{key}={value}"),
                        reason: "expected true or false".to_string(),
                    }),
                }
            };
            match key.as_str() {
                "print.timestamp" => self.print_timestamp = flag()?,
                "print.partition" => self.print_partition = flag()?,
                "print.offset" => self.print_offset = flag()?,
                "print.headers" => self.print_headers = flag()?,
                "print.key" => self.print_key = flag()?,
                "print.value" => self.print_value = flag()?,
                "key.separator" => self.key_separator = value.as_bytes().to_vec(),
                "line.separator" => self.line_separator = value.as_bytes().to_vec(),
                "headers.separator" => self.headers_separator = value.as_bytes().to_vec(),
                "null.literal" => self.null_literal = value.as_bytes().to_vec(),
                "key.deserializer" | "value.deserializer" | "headers.deserializer" => {
                    if !PASS_THROUGH_DESERIALIZERS.contains(&value.trim()) {
                        return Err(PropertyError {
                            text: format!("{key}={value}"),
                            reason: "only StringDeserializer and ByteArrayDeserializer exist here"
                                .to_string(),
                        });
                    }
                }
                _ => unknown.push(key.clone()),
            }
        }
        Ok(unknown)
    }

    /// Writes one record as Kafka's DefaultMessageFormatter does.
    pub fn write(&self, out: &mut impl Write, r: &ConsumerRecord) -> io::Result<()> {
        let sep = |out: &mut dyn Write, more: bool| -> io::Result<()> {
            out.write_all(if more {
                &self.key_separator
            } else {
                &self.line_separator
            })
        };
        if self.print_timestamp {
            match timestamp_type_name(r.timestamp_type, r.timestamp) {
                Some(name) => write!(out, "{name}:{}", r.timestamp)?,
                None => out.write_all(b"NO_TIMESTAMP")?,
            }
            sep(
                out,
                self.print_partition
                    || self.print_offset
                    || self.print_headers
                    || self.print_key
                    || self.print_value,
            )?;
        }
        if self.print_partition {
            write!(out, "Partition:{}", r.partition)?;
            sep(
                out,
                self.print_offset || self.print_headers || self.print_key || self.print_value,
            )?;
        }
        if self.print_offset {
            write!(out, "Offset:{}", r.offset)?;
            sep(
                out,
                self.print_headers || self.print_key || self.print_value,
            )?;
        }
        if self.print_headers {
            if r.headers.is_empty() {
                out.write_all(b"NO_HEADERS")?;
            }
            for (i, h) in r.headers.iter().enumerate() {
                if i > 0 {
                    out.write_all(&self.headers_separator)?;
                }
                out.write_all(&h.key)?;
                out.write_all(b":")?;
                out.write_all(h.value.as_deref().unwrap_or(&self.null_literal))?;
            }
            sep(out, self.print_key || self.print_value)?;
        }
        if self.print_key {
            out.write_all(r.key.as_deref().unwrap_or(&self.null_literal))?;
            sep(out, self.print_value)?;
        }
        if self.print_value {
            out.write_all(r.value.as_deref().unwrap_or(&self.null_literal))?;
            out.write_all(&self.line_separator)?;
        }
        Ok(())
    }
}

/// Kafka's TimestampType names; `None` for records without a timestamp (magic 0).
fn timestamp_type_name(t: TimestampType, timestamp: i64) -> Option<&'static str> {
    match t {
        TimestampType::LogAppendTime => Some("LogAppendTime"),
        TimestampType::CreateTime if timestamp >= 0 => Some("CreateTime"),
        TimestampType::CreateTime => None,
    }
}

/// Writes one record as a JSON object on one line: topic, partition, offset, timestamp,
/// timestamp_type, key, value and headers (`[[key, value], ...]`). Keys and values that are
/// valid UTF-8 are JSON strings, others `{"base16": "..."}`; null stays null.
pub fn write_json(out: &mut impl Write, r: &ConsumerRecord) -> io::Result<()> {
    let bytes = |b: Option<&[u8]>| -> serde_json::Value {
        match b {
            None => serde_json::Value::Null,
            Some(b) => match std::str::from_utf8(b) {
                Ok(s) => serde_json::Value::String(s.to_string()),
                Err(_) => {
                    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                    serde_json::json!({ "base16": hex })
                }
            },
        }
    };
    let headers: Vec<serde_json::Value> = r
        .headers
        .iter()
        .map(|h| serde_json::json!([bytes(Some(&h.key)), bytes(h.value.as_deref())]))
        .collect();
    let value = serde_json::json!({
        "topic": &*r.topic,
        "partition": r.partition,
        "offset": r.offset,
        "timestamp": r.timestamp,
        "timestamp_type": timestamp_type_name(r.timestamp_type, r.timestamp),
        "key": bytes(r.key.as_deref()),
        "value": bytes(r.value.as_deref()),
        "headers": headers,
    });
    serde_json::to_writer(&mut *out, &value)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::records::Header;
    use bytes::Bytes;

    fn record(headers: Vec<Header>, key: Option<&'static [u8]>) -> ConsumerRecord {
        ConsumerRecord {
            topic: "t".into(),
            partition: 0,
            offset: 5,
            timestamp: 1700000000000,
            timestamp_type: TimestampType::CreateTime,
            key: key.map(Bytes::from_static),
            value: Some(Bytes::from_static(b"value")),
            headers,
        }
    }

    fn render(props: &[(&str, &str)], r: &ConsumerRecord) -> String {
        let mut f = DefaultFormat::default();
        let props: Vec<(String, String)> = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        f.configure(&props).unwrap();
        let mut out = Vec::new();
        f.write(&mut out, r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn kafkas_field_order_separators_and_literals() {
        let all = [
            ("print.timestamp", "true"),
            ("print.partition", "true"),
            ("print.offset", "true"),
            ("print.headers", "true"),
            ("print.key", "true"),
        ];
        let r = record(Vec::new(), Some(b"key"));
        assert_eq!(
            render(&all, &r),
            "CreateTime:1700000000000\tPartition:0\tOffset:5\tNO_HEADERS\tkey\tvalue\n"
        );
        let h = vec![
            Header {
                key: Bytes::from_static(b"a"),
                value: Some(Bytes::from_static(b"1")),
            },
            Header {
                key: Bytes::from_static(b"b"),
                value: None,
            },
        ];
        let r = record(h, None);
        assert_eq!(
            render(
                &[
                    ("print.headers", "true"),
                    ("print.key", "true"),
                    ("null.literal", "NIL"),
                    ("headers.separator", "|"),
                    ("key.separator", "::")
                ],
                &r
            ),
            "a:1|b:NIL::NIL::value\n"
        );
        // Without the value, the last part ends the line.
        assert_eq!(
            render(
                &[
                    ("print.key", "true"),
                    ("print.value", "false"),
                    ("line.separator", "#")
                ],
                &r
            ),
            "null#"
        );
        assert_eq!(render(&[], &r), "value\n");
    }

    #[test]
    fn malformed_booleans_are_refused_and_unknown_keys_reported() {
        let mut f = DefaultFormat::default();
        let err = f
            .configure(&[("print.key".into(), "yes".into())])
            .unwrap_err();
        assert!(err.to_string().contains("print.key=yes"), "{err}");
        let unknown = f
            .configure(&[("print.colour".into(), "true".into())])
            .unwrap();
        assert_eq!(unknown, ["print.colour"]);
    }

    #[test]
    fn json_lines_carry_every_field() {
        let r = record(
            vec![Header {
                key: Bytes::from_static(b"h"),
                value: None,
            }],
            Some(b"\xff"),
        );
        let mut out = Vec::new();
        write_json(&mut out, &r).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["offset"], 5);
        assert_eq!(v["key"]["base16"], "ff");
        assert_eq!(v["value"], "value");
        assert_eq!(v["headers"][0][1], serde_json::Value::Null);
        assert_eq!(v["timestamp_type"], "CreateTime");
        assert!(out.ends_with(b"}\n"));
    }
}
