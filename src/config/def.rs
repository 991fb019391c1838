//! Typed key tables in the style of Kafka's `ConfigDef`: each key's name, type, default,
//! validator and a one-line doc, plus the parsing and validation of a value against its key.
//!
//! Tables are `static` slices of [`KeyDef`]. Defaults are written as the string Kafka
//! documents and go through the same parser as file values, so a table cannot hold a default
//! its own validator would refuse (a test over every table checks this).
//!
//! Parsing follows `ConfigDef.parseType`: values are trimmed (Java's `String.trim`, all chars
//! up to U+0020), booleans are `true`/`false` in any case, integers reject overflow, lists
//! split on commas with whitespace around each comma dropped and an empty string meaning the
//! empty list.

use std::fmt;

/// The type of a key, as in `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl Kind {
    /// The name used in messages ("is not a valid int").
    pub fn name(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::String => "string",
            Kind::Int => "int",
            Kind::Short => "short",
            Kind::Long => "long",
            Kind::Double => "double",
            Kind::List => "list",
            Kind::Class => "class name",
            Kind::Password => "password",
        }
    }

    /// The inclusive range of an integer kind; `None` for the others.
    fn int_bounds(self) -> Option<(i64, i64)> {
        match self {
            Kind::Short => Some((i64::from(i16::MIN), i64::from(i16::MAX))),
            Kind::Int => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
            Kind::Long => Some((i64::MIN, i64::MAX)),
            _ => None,
        }
    }
}

/// A key's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// The default, written as Kafka documents it and parsed like a file value.
    Value(&'static str),
    /// No default: the key has no value unless set (Kafka's `null` default).
    Null,
    /// No default and the key must be set (Kafka's `NO_DEFAULT_VALUE`).
    Required,
}

/// A check on a parsed value, as Kafka's validators.
#[derive(Debug, Clone, Copy)]
pub enum Validator {
    /// Anything of the right type.
    Any,
    /// An integer of at least this value (`Range.atLeast`).
    AtLeast(i64),
    /// An integer within these bounds, inclusive (`Range.between`).
    Between(i64, i64),
    /// A double within these bounds, inclusive; NaN is refused.
    DoubleBetween(f64, f64),
    /// A string (or every element of a list) equal to one of these, case-sensitive
    /// (`ValidString.in`, `ValidList.in`).
    OneOf(&'static [&'static str]),
    /// As [`Validator::OneOf`] but ignoring ASCII case (`CaseInsensitiveValidString.in`).
    OneOfIgnoreCase(&'static [&'static str]),
    /// A non-empty string or list (`NonEmptyString`, non-empty list).
    NonEmpty,
    /// A check of our own; `expected` says in a few words what passes.
    Custom {
        check: fn(&Value) -> bool,
        expected: &'static str,
    },
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct KeyDef {
    pub name: &'static str,
    pub kind: Kind,
    pub default: DefaultValue,
    pub validator: Validator,
    /// One line, in our own words.
    pub doc: &'static str,
}

/// Builds a [`KeyDef`]; keeps tables one line per key.
pub const fn key(
    name: &'static str,
    kind: Kind,
    default: DefaultValue,
    validator: Validator,
    doc: &'static str,
) -> KeyDef {
    KeyDef {
        name,
        kind,
        default,
        validator,
        doc,
    }
}

/// A key table: what a file of one kind (server.properties, zookeeper.properties ...) may say.
#[derive(Debug, Clone, Copy)]
pub struct ConfigDef {
    /// What the table describes, e.g. "broker"; used in messages.
    pub name: &'static str,
    pub keys: &'static [KeyDef],
    /// Keys the table recognises but refuses, with the reason (e.g. `server.N` on the
    /// coordinator). Returns `Some(message)` for a refused key.
    pub reject: Option<fn(&str) -> Option<String>>,
}

impl ConfigDef {
    /// The definition of `name`, if the table has it.
    pub fn get(&self, name: &str) -> Option<&'static KeyDef> {
        self.keys.iter().find(|k| k.name == name)
    }
}

/// A secret (`PASSWORD` keys): printed as `[hidden]` so it never reaches logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The secret itself; call only where it is needed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[hidden]")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[hidden]")
    }
}

/// A parsed value of some [`Kind`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Class(String),
    Password(Password),
}

impl Value {
    /// The value of an integer kind widened to `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(i64::from(*v)),
            Value::Short(v) => Some(i64::from(*v)),
            Value::Long(v) => Some(*v),
            _ => None,
        }
    }
}

/// Formats like Kafka prints values (DescribeConfigs): lists comma-joined, doubles as Java's
/// `Double.toString`, passwords hidden.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(v) => write!(f, "{v}"),
            Value::String(v) | Value::Class(v) => f.write_str(v),
            Value::Int(v) => write!(f, "{v}"),
            Value::Short(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}"),
            Value::Double(v) => f.write_str(&java_double(*v)),
            Value::List(v) => f.write_str(&v.join(",")),
            Value::Password(p) => write!(f, "{p}"),
        }
    }
}

/// Java's `Double.toString`: plain between 1e-3 and 1e7, otherwise `d.dddE±n`; always a
/// fractional part.
fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = v.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{v:E}");
        match s.split_once('E') {
            Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
            _ => s,
        }
    }
}

/// Java's `String.trim`: strips every char up to U+0020 from both ends.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Why a value was refused; the resolver adds where and which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// e.g. "is not a valid int", "is out of range".
    pub problem: String,
    /// e.g. "an integer in [1, 2147483647]".
    pub expected: String,
}

impl KeyDef {
    /// What this key accepts, in words, for error messages.
    pub fn expected(&self) -> String {
        let list = |vals: &[&str]| vals.join(", ");
        match (self.kind, self.validator) {
            (_, Validator::Custom { expected, .. }) => expected.to_string(),
            (Kind::Boolean, _) => "true or false".into(),
            (k, v) if k.int_bounds().is_some() => {
                let (mut lo, mut hi) = k.int_bounds().unwrap_or((i64::MIN, i64::MAX));
                match v {
                    Validator::AtLeast(min) => lo = lo.max(min),
                    Validator::Between(min, max) => {
                        lo = lo.max(min);
                        hi = hi.min(max);
                    }
                    _ => {}
                }
                format!("an integer in [{lo}, {hi}]")
            }
            (Kind::Double, Validator::DoubleBetween(lo, hi)) => {
                format!("a number in [{}, {}]", java_double(lo), java_double(hi))
            }
            (Kind::Double, _) => "a number".into(),
            (Kind::List, Validator::OneOf(v)) => format!("a comma-separated list of: {}", list(v)),
            (Kind::List, Validator::OneOfIgnoreCase(v)) => {
                format!("a comma-separated list of (any case): {}", list(v))
            }
            (Kind::List, Validator::NonEmpty) => "a non-empty comma-separated list".into(),
            (Kind::List, _) => "a comma-separated list".into(),
            (Kind::Class, _) => "a Java class name such as org.example.MyClass".into(),
            (_, Validator::OneOf(v)) => format!("one of: {}", list(v)),
            (_, Validator::OneOfIgnoreCase(v)) => format!("one of (any case): {}", list(v)),
            (_, Validator::NonEmpty) => "a non-empty string".into(),
            _ => "a string".into(),
        }
    }

    /// Parses and validates `raw` (as written in a file or override) for this key.
    pub fn parse(&self, raw: &str) -> Result<Value, Refusal> {
        let value = parse_kind(self.kind, raw).ok_or_else(|| Refusal {
            problem: format!("is not a valid {}", self.kind.name()),
            expected: self.expected(),
        })?;
        self.check(&value)?;
        Ok(value)
    }

    /// Applies the validator to an already parsed value.
    pub fn check(&self, value: &Value) -> Result<(), Refusal> {
        let refuse = |problem: &str| {
            Err(Refusal {
                problem: problem.to_string(),
                expected: self.expected(),
            })
        };
        let one_of = |s: &str, vals: &[&str], ignore_case: bool| {
            vals.iter().any(|v| {
                if ignore_case {
                    v.eq_ignore_ascii_case(s)
                } else {
                    *v == s
                }
            })
        };
        match (self.validator, value) {
            (Validator::Any, _) => Ok(()),
            (Validator::AtLeast(min), v) => match v.as_i64() {
                Some(n) if n >= min => Ok(()),
                _ => refuse("is out of range"),
            },
            (Validator::Between(min, max), v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(()),
                _ => refuse("is out of range"),
            },
            (Validator::DoubleBetween(min, max), Value::Double(d)) => {
                if *d >= min && *d <= max {
                    Ok(())
                } else {
                    refuse("is out of range")
                }
            }
            (Validator::DoubleBetween(..), _) => refuse("is not a number"),
            (Validator::OneOf(vals), v) | (Validator::OneOfIgnoreCase(vals), v) => {
                let ignore = matches!(self.validator, Validator::OneOfIgnoreCase(_));
                let ok = match v {
                    Value::String(s) => one_of(s, vals, ignore),
                    Value::List(items) => items.iter().all(|s| one_of(s, vals, ignore)),
                    _ => false,
                };
                if ok {
                    Ok(())
                } else {
                    refuse("is not an accepted value")
                }
            }
            (Validator::NonEmpty, v) => {
                let ok = match v {
                    Value::String(s) | Value::Class(s) => !s.is_empty(),
                    Value::List(items) => !items.is_empty(),
                    Value::Password(p) => !p.0.is_empty(),
                    _ => true,
                };
                if ok { Ok(()) } else { refuse("is empty") }
            }
            (Validator::Custom { check, .. }, v) => {
                if check(v) {
                    Ok(())
                } else {
                    refuse("is not an accepted value")
                }
            }
        }
    }
}

/// Parses `raw` as `kind`, or `None` if it is not a value of that kind.
pub fn parse_kind(kind: Kind, raw: &str) -> Option<Value> {
    let t = java_trim(raw);
    match kind {
        Kind::Boolean => {
            if t.eq_ignore_ascii_case("true") {
                Some(Value::Bool(true))
            } else if t.eq_ignore_ascii_case("false") {
                Some(Value::Bool(false))
            } else {
                None
            }
        }
        Kind::String => Some(Value::String(t.to_string())),
        Kind::Password => Some(Value::Password(Password(t.to_string()))),
        Kind::Int => t.parse().ok().map(Value::Int),
        Kind::Short => t.parse().ok().map(Value::Short),
        Kind::Long => t.parse().ok().map(Value::Long),
        Kind::Double => parse_java_double(t).map(Value::Double),
        Kind::List => Some(Value::List(split_list(t))),
        Kind::Class => is_java_class_name(t).then(|| Value::Class(t.to_string())),
    }
}

/// Splits a comma-separated list as Kafka does: whitespace around commas is dropped, empty
/// elements between commas are kept, and the empty string is the empty list.
pub fn split_list(s: &str) -> Vec<String> {
    let t = java_trim(s);
    if t.is_empty() {
        return Vec::new();
    }
    t.split(',').map(|e| java_trim(e).to_string()).collect()
}

/// `Double.parseDouble` for the forms people write: decimal, exponent, an optional `d`/`f`
/// suffix, `NaN`, `Infinity`.
fn parse_java_double(t: &str) -> Option<f64> {
    let body = t
        .strip_suffix(['d', 'D', 'f', 'F'])
        .filter(|b| b.ends_with(|c: char| c.is_ascii_digit() || c == '.'))
        .unwrap_or(t);
    let unsigned = body.trim_start_matches(['+', '-']);
    match unsigned {
        "NaN" => Some(f64::NAN),
        "Infinity" if body.starts_with('-') => Some(f64::NEG_INFINITY),
        "Infinity" => Some(f64::INFINITY),
        _ if unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || "eE.+-".contains(c))
            && unsigned.chars().any(|c| c.is_ascii_digit()) =>
        {
            body.parse().ok()
        }
        _ => None,
    }
}

/// A Java binary class name: dot-separated identifiers (`$` allowed, for nested classes).
fn is_java_class_name(t: &str) -> bool {
    !t.is_empty()
        && t.split('.').all(|part| {
            let mut cs = part.chars();
            cs.next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && cs.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn k(kind: Kind, validator: Validator) -> KeyDef {
        key(
            "test.key",
            kind,
            DefaultValue::Null,
            validator,
            "a test key",
        )
    }

    #[test]
    fn booleans_any_case_trimmed() {
        let d = k(Kind::Boolean, Validator::Any);
        assert_eq!(d.parse("TRUE"), Ok(Value::Bool(true)));
        assert_eq!(d.parse(" False  "), Ok(Value::Bool(false)));
        let e = d.parse("yes").unwrap_err();
        assert_eq!(e.problem, "is not a valid boolean");
        assert_eq!(e.expected, "true or false");
    }

    #[test]
    fn ints_reject_garbage_and_overflow_naming_the_range() {
        let d = k(Kind::Int, Validator::AtLeast(1));
        assert_eq!(d.parse(" 42 "), Ok(Value::Int(42)));
        assert_eq!(d.parse("+7"), Ok(Value::Int(7)));
        for bad in ["abc", "2147483648", "1.5", ""] {
            let e = d.parse(bad).unwrap_err();
            assert_eq!(e.problem, "is not a valid int", "{bad}");
            assert_eq!(e.expected, "an integer in [1, 2147483647]");
        }
        let e = d.parse("0").unwrap_err();
        assert_eq!(e.problem, "is out of range");
    }

    #[test]
    fn short_and_long_ranges() {
        let s = k(Kind::Short, Validator::AtLeast(1));
        assert_eq!(s.parse("3"), Ok(Value::Short(3)));
        assert_eq!(
            s.parse("40000").unwrap_err().expected,
            "an integer in [1, 32767]"
        );
        let l = k(Kind::Long, Validator::Any);
        assert_eq!(l.parse("9223372036854775807"), Ok(Value::Long(i64::MAX)));
        assert!(l.parse("9223372036854775808").is_err());
        let b = k(Kind::Int, Validator::Between(0, 65535));
        assert_eq!(
            b.parse("65536").unwrap_err().expected,
            "an integer in [0, 65535]"
        );
    }

    #[test]
    fn doubles() {
        let d = k(Kind::Double, Validator::DoubleBetween(0.0, 1.0));
        assert_eq!(d.parse("0.5"), Ok(Value::Double(0.5)));
        assert_eq!(d.parse("1e-1"), Ok(Value::Double(0.1)));
        assert_eq!(d.parse("0.25d"), Ok(Value::Double(0.25)));
        assert_eq!(d.parse("1.5").unwrap_err().problem, "is out of range");
        assert_eq!(d.parse("NaN").unwrap_err().problem, "is out of range");
        assert_eq!(
            d.parse("half").unwrap_err().expected,
            "a number in [0.0, 1.0]"
        );
        assert_eq!(java_double(f64::MAX), "1.7976931348623157E308");
        assert_eq!(java_double(0.9), "0.9");
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(1e7), "1.0E7");
    }

    #[test]
    fn lists_split_and_trim() {
        let d = k(Kind::List, Validator::Any);
        assert_eq!(
            d.parse(" a , b,c ,, d "),
            Ok(Value::List(vec![
                "a".into(),
                "b".into(),
                "c".into(),
                "".into(),
                "d".into()
            ]))
        );
        assert_eq!(d.parse("   "), Ok(Value::List(vec![])));
        let one_of = k(Kind::List, Validator::OneOf(&["compact", "delete"]));
        assert!(one_of.parse("compact, delete").is_ok());
        let e = one_of.parse("compact,Delete").unwrap_err();
        assert_eq!(e.problem, "is not an accepted value");
        assert_eq!(e.expected, "a comma-separated list of: compact, delete");
    }

    #[test]
    fn one_of_case_sensitive_and_not() {
        let cs = k(
            Kind::String,
            Validator::OneOf(&["CreateTime", "LogAppendTime"]),
        );
        assert!(cs.parse(" LogAppendTime ").is_ok());
        assert_eq!(
            cs.parse("createtime").unwrap_err().expected,
            "one of: CreateTime, LogAppendTime"
        );
        let ci = k(
            Kind::String,
            Validator::OneOfIgnoreCase(&["PLAINTEXT", "SSL"]),
        );
        assert!(ci.parse("plaintext").is_ok());
        assert!(ci.parse("tls").is_err());
    }

    #[test]
    fn non_empty_class_custom_password() {
        let ne = k(Kind::String, Validator::NonEmpty);
        assert_eq!(ne.parse("  ").unwrap_err().problem, "is empty");
        let c = k(Kind::Class, Validator::Any);
        assert!(c.parse("org.example.My$Inner").is_ok());
        assert!(c.parse("not a class").is_err());
        let even = k(
            Kind::Int,
            Validator::Custom {
                check: |v| v.as_i64().is_some_and(|n| n % 2 == 0),
                expected: "an even integer",
            },
        );
        assert!(even.parse("4").is_ok());
        assert_eq!(even.parse("3").unwrap_err().expected, "an even integer");
        let p = k(Kind::Password, Validator::Any).parse(" s3cret ").unwrap();
        assert_eq!(p.to_string(), "[hidden]");
        assert_eq!(format!("{p:?}"), "Password([hidden])");
        match p {
            Value::Password(p) => assert_eq!(p.expose(), "s3cret"),
            other => panic!("{other:?}"),
        }
    }
}
