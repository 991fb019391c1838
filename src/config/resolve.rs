//! Layering defaults, a properties file and `--override key=value` arguments into a
//! [`ResolvedConfig`] with typed getters and a record of where each value came from.
//!
//! Precedence is Kafka's: an override beats the file, the file beats the table's default.
//! Unknown keys are not errors: they come back as warnings (naming file, line and key) for the
//! caller to print, and stay available through [`ResolvedConfig::unknown`] so that later code
//! can read prefixed keys Kafka allows (e.g. `listener.name.<name>.<key>`).

use std::collections::HashMap;
use std::path::PathBuf;

use super::def::{ConfigDef, DefaultValue, KeyDef, Password, Value};
use super::error::{ConfigError, Source};
use super::properties::Properties;

/// One `--override key=value` argument, already split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub key: String,
    pub value: String,
}

/// Parses one `key=value` override: split at the first `=`; the key is trimmed and must not be
/// empty; the value is kept as written and may be empty or contain `=`.
pub fn parse_override(text: &str) -> Result<Override, ConfigError> {
    let bad = |problem: &str| ConfigError::BadOverride {
        text: text.to_string(),
        problem: problem.to_string(),
    };
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| bad("expected key=value, found no '='"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(bad("the key before '=' is empty"));
    }
    Ok(Override {
        key: key.to_string(),
        value: value.to_string(),
    })
}

/// Parses every override argument, stopping at the first bad one.
pub fn parse_overrides<S: AsRef<str>>(args: &[S]) -> Result<Vec<Override>, ConfigError> {
    args.iter().map(|a| parse_override(a.as_ref())).collect()
}

/// One key of a resolved configuration.
#[derive(Debug, Clone)]
pub struct ResolvedKey {
    pub def: &'static KeyDef,
    /// `None` when the key has a null default and nothing set it.
    pub value: Option<Value>,
    pub source: Source,
}

/// A key that the table does not know, kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    pub key: String,
    pub value: String,
    pub source: Source,
}

/// Every key of a table with its value and source, in table order.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    table: &'static str,
    keys: Vec<ResolvedKey>,
    index: HashMap<&'static str, usize>,
    unknown: Vec<UnknownKey>,
}

impl ResolvedConfig {
    /// The name of the table this was resolved against (e.g. "broker").
    pub fn table(&self) -> &'static str {
        self.table
    }

    /// Every key of the table, in table order, with value and source (for DescribeConfigs).
    pub fn keys(&self) -> &[ResolvedKey] {
        &self.keys
    }

    /// Keys set in the file or overrides that the table does not define.
    pub fn unknown(&self) -> &[UnknownKey] {
        &self.unknown
    }

    /// The resolved entry for `key`, if the table defines it.
    pub fn entry(&self, key: &str) -> Option<&ResolvedKey> {
        self.index.get(key).and_then(|&i| self.keys.get(i))
    }

    /// The value of `key`; `None` if it has no value or the table does not define it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let found = self.entry(key);
        debug_assert!(
            found.is_some(),
            "config key {key} is not in the {} table",
            self.table
        );
        found.and_then(|e| e.value.as_ref())
    }

    /// Where the value of `key` came from.
    pub fn source(&self, key: &str) -> Option<&Source> {
        self.entry(key).map(|e| &e.source)
    }

    /// Whether the file or an override set `key` (as opposed to the default).
    pub fn is_set(&self, key: &str) -> bool {
        self.source(key).is_some_and(|s| *s != Source::Default)
    }

    // The typed getters return `None` when the key has no value (null default, not set).
    // Asking for a key the table lacks, or with the wrong type, is a programming error: it
    // trips a debug assertion in tests and yields `None` in release builds.

    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key) {
            Some(Value::Bool(v)) => Some(*v),
            other => self.mismatch(key, other, "boolean"),
        }
    }

    pub fn get_int(&self, key: &str) -> Option<i32> {
        match self.get(key) {
            Some(Value::Int(v)) => Some(*v),
            other => self.mismatch(key, other, "int"),
        }
    }

    pub fn get_short(&self, key: &str) -> Option<i16> {
        match self.get(key) {
            Some(Value::Short(v)) => Some(*v),
            other => self.mismatch(key, other, "short"),
        }
    }

    pub fn get_long(&self, key: &str) -> Option<i64> {
        match self.get(key) {
            Some(Value::Long(v)) => Some(*v),
            other => self.mismatch(key, other, "long"),
        }
    }

    pub fn get_double(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(Value::Double(v)) => Some(*v),
            other => self.mismatch(key, other, "double"),
        }
    }

    /// A `String` or `Class` key's value.
    pub fn get_string(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::String(v)) | Some(Value::Class(v)) => Some(v),
            other => self.mismatch(key, other, "string"),
        }
    }

    pub fn get_list(&self, key: &str) -> Option<&[String]> {
        match self.get(key) {
            Some(Value::List(v)) => Some(v),
            other => self.mismatch(key, other, "list"),
        }
    }

    pub fn get_password(&self, key: &str) -> Option<&Password> {
        match self.get(key) {
            Some(Value::Password(v)) => Some(v),
            other => self.mismatch(key, other, "password"),
        }
    }

    fn mismatch<T>(&self, key: &str, found: Option<&Value>, wanted: &str) -> Option<T> {
        debug_assert!(
            found.is_none(),
            "config key {key} of the {} table is not a {wanted}: {found:?}",
            self.table
        );
        None
    }
}

/// Resolves `props` and `overrides` against `def`. Returns the config and the warnings (unknown
/// keys, keys set twice) for the caller to print; a bad value, a missing required key or a
/// refused key is an error.
pub fn resolve(
    def: &ConfigDef,
    props: &Properties,
    overrides: &[Override],
) -> Result<(ResolvedConfig, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let path = props.path().to_path_buf();
    let file_at = |line| Source::File {
        path: path.clone(),
        line,
    };

    // Duplicates: Java silently keeps the last; we keep the last and say so.
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for e in props.entries() {
        if let Some(first) = first_line.get(e.key.as_str()) {
            warnings.push(format!(
                "{}: {}: set again (first on line {first}); the later value wins",
                file_at(e.line),
                e.key
            ));
        } else {
            first_line.insert(&e.key, e.line);
        }
    }

    let mut unknown = Vec::new();
    let mut chosen: HashMap<&str, (&str, Source)> = HashMap::new();
    for e in props.effective() {
        let at = file_at(e.line);
        note_key(def, &e.key, &e.value, &at, &mut unknown, &mut warnings)?;
        chosen.insert(&e.key, (&e.value, at));
    }
    for o in overrides {
        note_key(
            def,
            &o.key,
            &o.value,
            &Source::Override,
            &mut unknown,
            &mut warnings,
        )?;
        chosen.insert(&o.key, (&o.value, Source::Override));
    }

    let mut keys = Vec::with_capacity(def.keys.len());
    let mut index = HashMap::with_capacity(def.keys.len());
    for kd in def.keys {
        let (value, source) = match chosen.get(kd.name) {
            Some((raw, at)) => {
                let v = kd
                    .parse(raw)
                    .map_err(|r| bad_value(kd, raw, at.clone(), r))?;
                (Some(v), at.clone())
            }
            None => match kd.default {
                DefaultValue::Value(raw) => {
                    let v = kd
                        .parse(raw)
                        .map_err(|r| bad_value(kd, raw, Source::Default, r))?;
                    (Some(v), Source::Default)
                }
                DefaultValue::Null => (None, Source::Default),
                DefaultValue::Required => {
                    return Err(ConfigError::Missing {
                        path: PathBuf::from(props.path()),
                        key: kd.name.to_string(),
                    });
                }
            },
        };
        index.insert(kd.name, keys.len());
        keys.push(ResolvedKey {
            def: kd,
            value,
            source,
        });
    }
    Ok((
        ResolvedConfig {
            table: def.name,
            keys,
            index,
            unknown,
        },
        warnings,
    ))
}

/// Checks a set key against the table: refused keys are errors, unknown keys warnings.
fn note_key(
    def: &ConfigDef,
    key: &str,
    value: &str,
    at: &Source,
    unknown: &mut Vec<UnknownKey>,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    if let Some(message) = def.reject.and_then(|reject| reject(key)) {
        return Err(ConfigError::Unsupported {
            at: at.clone(),
            key: key.to_string(),
            message,
        });
    }
    if def.get(key).is_none() {
        warnings.push(format!(
            "{at}: {key}: not a known {} configuration key; ignored",
            def.name
        ));
        unknown.retain(|u: &UnknownKey| u.key != key);
        unknown.push(UnknownKey {
            key: key.to_string(),
            value: value.to_string(),
            source: at.clone(),
        });
    }
    Ok(())
}

fn bad_value(kd: &KeyDef, raw: &str, at: Source, r: super::def::Refusal) -> ConfigError {
    let shown = if kd.kind == super::def::Kind::Password {
        "[hidden]".to_string()
    } else {
        raw.to_string()
    };
    ConfigError::bad_value(at, kd.name, shown, r.problem, r.expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::def::{Kind, Validator, key};

    static KEYS: &[KeyDef] = &[
        key(
            "num.partitions",
            Kind::Int,
            DefaultValue::Value("1"),
            Validator::AtLeast(1),
            "partitions",
        ),
        key(
            "log.dirs",
            Kind::String,
            DefaultValue::Null,
            Validator::Any,
            "dirs",
        ),
        key(
            "flag",
            Kind::Boolean,
            DefaultValue::Value("false"),
            Validator::Any,
            "flag",
        ),
        key(
            "policy",
            Kind::List,
            DefaultValue::Value("delete"),
            Validator::OneOf(&["compact", "delete"]),
            "policy",
        ),
        key(
            "ratio",
            Kind::Double,
            DefaultValue::Value("0.5"),
            Validator::DoubleBetween(0.0, 1.0),
            "ratio",
        ),
        key(
            "big",
            Kind::Long,
            DefaultValue::Value("9223372036854775807"),
            Validator::AtLeast(1),
            "big",
        ),
        key(
            "rf",
            Kind::Short,
            DefaultValue::Value("3"),
            Validator::AtLeast(1),
            "rf",
        ),
        key(
            "secret",
            Kind::Password,
            DefaultValue::Null,
            Validator::NonEmpty,
            "secret",
        ),
        key(
            "proto",
            Kind::String,
            DefaultValue::Value("PLAINTEXT"),
            Validator::OneOfIgnoreCase(&["PLAINTEXT", "SSL"]),
            "proto",
        ),
    ];
    static TABLE: ConfigDef = ConfigDef {
        name: "test",
        keys: KEYS,
        reject: Some(|k| k.starts_with("bad.").then(|| "never allowed".to_string())),
    };
    static REQUIRED: ConfigDef = ConfigDef {
        name: "req",
        keys: &[key(
            "must",
            Kind::String,
            DefaultValue::Required,
            Validator::Any,
            "must",
        )],
        reject: None,
    };

    fn props(text: &str) -> Properties {
        Properties::parse(text, "config/server.properties").unwrap()
    }

    #[test]
    fn defaults_file_and_sources() {
        let (c, w) = resolve(&TABLE, &props("num.partitions=3\n\nflag = TRUE\n"), &[]).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.get_int("num.partitions"), Some(3));
        assert_eq!(c.get_bool("flag"), Some(true));
        assert_eq!(c.get_list("policy"), Some(&["delete".to_string()][..]));
        assert_eq!(c.get_double("ratio"), Some(0.5));
        assert_eq!(c.get_long("big"), Some(i64::MAX));
        assert_eq!(c.get_short("rf"), Some(3));
        assert_eq!(c.get_string("log.dirs"), None);
        assert_eq!(c.get_password("secret"), None);
        assert_eq!(
            c.source("num.partitions"),
            Some(&Source::File {
                path: "config/server.properties".into(),
                line: 1
            })
        );
        assert_eq!(c.source("policy"), Some(&Source::Default));
        assert!(c.is_set("flag") && !c.is_set("ratio"));
        assert_eq!(c.keys().len(), KEYS.len());
    }

    #[test]
    fn overrides_beat_the_file() {
        let ov = parse_overrides(&["num.partitions=7", "log.dirs=/a,/b"]).unwrap();
        let (c, _) = resolve(&TABLE, &props("num.partitions=3\nlog.dirs=/x"), &ov).unwrap();
        assert_eq!(c.get_int("num.partitions"), Some(7));
        assert_eq!(c.get_string("log.dirs"), Some("/a,/b"));
        assert_eq!(c.source("num.partitions"), Some(&Source::Override));
    }

    #[test]
    fn override_parsing() {
        assert_eq!(
            parse_override("a=b=c").unwrap(),
            Override {
                key: "a".into(),
                value: "b=c".into()
            }
        );
        assert_eq!(parse_override("k=").unwrap().value, "");
        let e = parse_override("novalue").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad --override 'novalue': expected key=value, found no '='"
        );
        let e = parse_override(" =1").unwrap_err();
        assert!(e.to_string().contains("key before '=' is empty"), "{e}");
    }

    #[test]
    fn bad_value_names_file_line_key_value_and_accepted_values() {
        let e = resolve(&TABLE, &props("# c\n\nnum.partitions=abc"), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config/server.properties:3: num.partitions: 'abc' is not a valid int \
             (expected an integer in [1, 2147483647])"
        );
        let e = resolve(&TABLE, &props("num.partitions=0"), &[]).unwrap_err();
        assert!(e.to_string().contains("'0' is out of range"), "{e}");
        let e = resolve(&TABLE, &props("policy=compact,archive"), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config/server.properties:1: policy: 'compact,archive' is not an accepted value \
             (expected a comma-separated list of: compact, delete)"
        );
        let e = resolve(&TABLE, &props("flag=yes"), &[]).unwrap_err();
        assert!(e.to_string().ends_with("(expected true or false)"), "{e}");
        let e = resolve(&TABLE, &props("ratio=2"), &[]).unwrap_err();
        assert!(
            e.to_string().contains("(expected a number in [0.0, 1.0])"),
            "{e}"
        );
        let e = resolve(&TABLE, &props("rf=0"), &[]).unwrap_err();
        assert!(e.to_string().contains("[1, 32767]"), "{e}");
        let ov = parse_overrides(&["num.partitions=-1"]).unwrap();
        let e = resolve(&TABLE, &props(""), &ov).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--override: num.partitions: '-1'"),
            "{e}"
        );
    }

    #[test]
    fn one_of_ignore_case_and_passwords_hidden_in_errors() {
        let (c, _) = resolve(&TABLE, &props("proto=ssl"), &[]).unwrap();
        assert_eq!(c.get_string("proto"), Some("ssl"));
        let e = resolve(&TABLE, &props("secret=   "), &[]).unwrap_err();
        assert!(e.to_string().contains("'[hidden]' is empty"), "{e}");
    }

    #[test]
    fn unknown_keys_and_duplicates_are_warnings() {
        let (c, w) = resolve(
            &TABLE,
            &props("num.partitions=2\nmystery=1\nnum.partitions=4"),
            &[Override {
                key: "other".into(),
                value: "x".into(),
            }],
        )
        .unwrap();
        assert_eq!(c.get_int("num.partitions"), Some(4));
        assert_eq!(
            w,
            vec![
                "config/server.properties:3: num.partitions: set again (first on line 1); \
                 the later value wins",
                "config/server.properties:2: mystery: not a known test configuration key; ignored",
                "--override: other: not a known test configuration key; ignored",
            ]
        );
        let names: Vec<_> = c.unknown().iter().map(|u| u.key.as_str()).collect();
        assert_eq!(names, vec!["mystery", "other"]);
    }

    #[test]
    fn refused_keys_and_missing_required_keys_are_errors() {
        let e = resolve(&TABLE, &props("a=1\nbad.thing=2"), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config/server.properties:2: bad.thing: never allowed"
        );
        let e = resolve(&REQUIRED, &props(""), &[]).unwrap_err();
        assert!(matches!(&e, ConfigError::Missing { key, .. } if key == "must"));
        assert!(
            e.to_string()
                .starts_with("config/server.properties: must: no value given")
        );
        let ov = parse_overrides(&["must=x"]).unwrap();
        assert!(resolve(&REQUIRED, &props(""), &ov).is_ok());
    }

    #[test]
    fn bad_values_of_every_type_name_file_line_key_and_accepted_values() {
        static ALL: &[KeyDef] = &[
            key("b", Kind::Boolean, DefaultValue::Null, Validator::Any, "b"),
            key(
                "i",
                Kind::Int,
                DefaultValue::Null,
                Validator::Between(0, 10),
                "i",
            ),
            key("s", Kind::Short, DefaultValue::Null, Validator::Any, "s"),
            key(
                "l",
                Kind::Long,
                DefaultValue::Null,
                Validator::AtLeast(-1),
                "l",
            ),
            key("d", Kind::Double, DefaultValue::Null, Validator::Any, "d"),
            key(
                "li",
                Kind::List,
                DefaultValue::Null,
                Validator::NonEmpty,
                "li",
            ),
            key("c", Kind::Class, DefaultValue::Null, Validator::Any, "c"),
            key(
                "st",
                Kind::String,
                DefaultValue::Null,
                Validator::OneOf(&["x", "y"]),
                "st",
            ),
            key(
                "p",
                Kind::Password,
                DefaultValue::Null,
                Validator::NonEmpty,
                "p",
            ),
        ];
        static T: ConfigDef = ConfigDef {
            name: "all",
            keys: ALL,
            reject: None,
        };
        let cases = [
            (
                "b=maybe",
                "b: 'maybe' is not a valid boolean (expected true or false)",
            ),
            (
                "i=11",
                "i: '11' is out of range (expected an integer in [0, 10])",
            ),
            (
                "i=1x",
                "i: '1x' is not a valid int (expected an integer in [0, 10])",
            ),
            (
                "s=32768",
                "s: '32768' is not a valid short (expected an integer in [-32768, 32767])",
            ),
            (
                "l=-2",
                "l: '-2' is out of range (expected an integer in [-1, 9223372036854775807])",
            ),
            (
                "l=1e3",
                "l: '1e3' is not a valid long (expected an integer in [-1, 9223372036854775807])",
            ),
            (
                "d=one",
                "d: 'one' is not a valid double (expected a number)",
            ),
            (
                "li=\\ ",
                "li: ' ' is empty (expected a non-empty comma-separated list)",
            ),
            (
                "c=1abc",
                "c: '1abc' is not a valid class name (expected a Java class name such as org.example.MyClass)",
            ),
            (
                "st=z",
                "st: 'z' is not an accepted value (expected one of: x, y)",
            ),
            ("p=", "p: '[hidden]' is empty (expected a non-empty string)"),
        ];
        for (text, message) in cases {
            let p =
                Properties::parse(&format!("# first line\n{text}"), "dir/f.properties").unwrap();
            let e = resolve(&T, &p, &[]).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("dir/f.properties:2: {message}"),
                "{text}"
            );
        }
    }
}
