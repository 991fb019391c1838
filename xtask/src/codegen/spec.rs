//! A small model of Kafka's JSON message specs (messages, structs, fields, types, version
//! ranges) and the parser that builds it from the `//`-commented JSON files.

use std::collections::BTreeMap;

use serde_json::Value;

/// An inclusive version range; empty when `lo > hi`. `hi == i16::MAX` means "and later".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub lo: i16,
    pub hi: i16,
}

impl Versions {
    pub const NONE: Versions = Versions { lo: 1, hi: 0 };

    /// Parses "none", "3+", "0-11" or "5".
    pub fn parse(s: &str) -> Result<Versions, String> {
        let s = s.trim();
        let num = |t: &str| {
            t.trim()
                .parse::<i16>()
                .map_err(|e| format!("bad version {t:?}: {e}"))
        };
        if s == "none" {
            Ok(Versions::NONE)
        } else if let Some(lo) = s.strip_suffix('+') {
            Ok(Versions {
                lo: num(lo)?,
                hi: i16::MAX,
            })
        } else if let Some((lo, hi)) = s.split_once('-') {
            Ok(Versions {
                lo: num(lo)?,
                hi: num(hi)?,
            })
        } else {
            let v = num(s)?;
            Ok(Versions { lo: v, hi: v })
        }
    }

    pub fn is_empty(self) -> bool {
        self.lo > self.hi
    }

    pub fn intersect(self, o: Versions) -> Versions {
        Versions {
            lo: self.lo.max(o.lo),
            hi: self.hi.min(o.hi),
        }
    }

    /// Whether every version of `o` is in `self`.
    pub fn covers(self, o: Versions) -> bool {
        o.is_empty() || (self.lo <= o.lo && o.hi <= self.hi)
    }
}

/// A primitive field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
    Bool,
    Int8,
    Int16,
    Uint16,
    Int32,
    Int64,
    Float64,
    String,
    Bytes,
    Records,
    Uuid,
}

impl Prim {
    fn parse(s: &str) -> Option<Prim> {
        Some(match s {
            "bool" => Prim::Bool,
            "int8" => Prim::Int8,
            "int16" => Prim::Int16,
            "uint16" => Prim::Uint16,
            "int32" => Prim::Int32,
            "int64" => Prim::Int64,
            "float64" => Prim::Float64,
            "string" => Prim::String,
            "bytes" => Prim::Bytes,
            "records" => Prim::Records,
            "uuid" => Prim::Uuid,
            _ => return None,
        })
    }

    /// The wire size of fixed-size types.
    pub fn fixed_size(self) -> Option<usize> {
        match self {
            Prim::Bool | Prim::Int8 => Some(1),
            Prim::Int16 | Prim::Uint16 => Some(2),
            Prim::Int32 => Some(4),
            Prim::Int64 | Prim::Float64 => Some(8),
            Prim::Uuid => Some(16),
            Prim::String | Prim::Bytes | Prim::Records => None,
        }
    }
}

/// A field type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Prim(Prim),
    /// A struct, by its (message-local) name.
    Struct(String),
    /// An array of primitives or structs.
    Array(Box<Ty>),
}

/// One field of a struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// The spec name, e.g. `TopicData`.
    pub name: String,
    pub ty: Ty,
    pub versions: Versions,
    pub nullable: Versions,
    /// The tag and the versions in which the field is tagged.
    pub tag: Option<u32>,
    pub tagged: Versions,
    /// The spec's `default` string, if any.
    pub default: Option<String>,
    pub ignorable: bool,
    /// A field-level `flexibleVersions` override (only RequestHeader.ClientId uses it).
    pub flexible: Option<Versions>,
}

/// A struct: the message itself, a nested struct, or a common struct.
#[derive(Debug, Clone)]
pub struct Struct {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Response,
    Header,
    Data,
}

/// One spec file.
#[derive(Debug, Clone)]
pub struct Message {
    pub name: String,
    pub kind: Kind,
    pub api_key: Option<i16>,
    pub valid: Versions,
    pub flexible: Versions,
    /// The message's own struct first, then nested and common structs in spec order.
    pub structs: Vec<Struct>,
}

impl Message {
    pub fn find_struct(&self, name: &str) -> Option<&Struct> {
        self.structs.iter().find(|s| s.name == name)
    }
}

/// Removes `//` comments outside string literals.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '/' && chars.peek() == Some(&'/') {
            for n in chars.by_ref() {
                if n == '\n' {
                    out.push('\n');
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn versions_of(v: &Value, key: &str) -> Result<Option<Versions>, String> {
    str_of(v, key).map(Versions::parse).transpose()
}

/// Parses one spec file's text.
pub fn parse_message(text: &str) -> Result<Message, String> {
    let json: Value = serde_json::from_str(&strip_comments(text)).map_err(|e| e.to_string())?;
    let name = str_of(&json, "name").ok_or("no name")?.to_string();
    let kind = match str_of(&json, "type") {
        Some("request") => Kind::Request,
        Some("response") => Kind::Response,
        Some("header") => Kind::Header,
        Some("data") => Kind::Data,
        other => return Err(format!("{name}: unknown message type {other:?}")),
    };
    let api_key = match json.get("apiKey") {
        None => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|k| i16::try_from(k).ok())
                .ok_or_else(|| format!("{name}: bad apiKey"))?,
        ),
    };
    let valid = versions_of(&json, "validVersions")?.ok_or("no validVersions")?;
    let flexible = versions_of(&json, "flexibleVersions")?.ok_or("no flexibleVersions")?;
    let mut parser = Parser {
        structs: Vec::new(),
        common: BTreeMap::new(),
    };
    parser.structs.push(Struct {
        name: name.clone(),
        fields: Vec::new(),
    });
    // Common structs first, so that references resolve; they are listed after nested ones.
    let mut common_structs = Vec::new();
    if let Some(common) = json.get("commonStructs").and_then(Value::as_array) {
        for c in common {
            let cname = str_of(c, "name").ok_or("common struct without name")?;
            parser.common.insert(cname.to_string(), ());
            common_structs.push(c.clone());
        }
    }
    let fields = parser.fields(&name, json.get("fields"))?;
    parser.structs[0].fields = fields;
    for c in &common_structs {
        let cname = str_of(c, "name").unwrap_or_default().to_string();
        let fields = parser.fields(&cname, c.get("fields"))?;
        parser.add_struct(Struct {
            name: cname,
            fields,
        })?;
    }
    let message = Message {
        name,
        kind,
        api_key,
        valid,
        flexible,
        structs: parser.structs,
    };
    check_references(&message)?;
    Ok(message)
}

struct Parser {
    structs: Vec<Struct>,
    common: BTreeMap<String, ()>,
}

impl Parser {
    fn add_struct(&mut self, s: Struct) -> Result<(), String> {
        if self.structs.iter().any(|o| o.name == s.name) {
            return Err(format!("struct {} defined twice", s.name));
        }
        self.structs.push(s);
        Ok(())
    }

    fn fields(&mut self, owner: &str, fields: Option<&Value>) -> Result<Vec<Field>, String> {
        let Some(list) = fields.and_then(Value::as_array) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for f in list {
            out.push(self.field(owner, f)?);
        }
        Ok(out)
    }

    fn field(&mut self, owner: &str, f: &Value) -> Result<Field, String> {
        let name = str_of(f, "name").ok_or_else(|| format!("{owner}: field without name"))?;
        let ctx = |e: String| format!("{owner}.{name}: {e}");
        let type_str = str_of(f, "type").ok_or_else(|| ctx("no type".into()))?;
        let (is_array, base) = match type_str.strip_prefix("[]") {
            Some(b) => (true, b),
            None => (false, type_str),
        };
        let elem = match Prim::parse(base) {
            Some(p) => Ty::Prim(p),
            None => {
                if f.get("fields").is_some() {
                    // Reserve the slot first so structs are listed parent before child.
                    self.add_struct(Struct {
                        name: base.to_string(),
                        fields: Vec::new(),
                    })
                    .map_err(ctx)?;
                    let index = self.structs.len() - 1;
                    let fields = self.fields(base, f.get("fields"))?;
                    self.structs[index].fields = fields;
                } else if !self.common.contains_key(base) {
                    return Err(ctx(format!("unknown struct type {base}")));
                }
                Ty::Struct(base.to_string())
            }
        };
        let ty = if is_array {
            Ty::Array(Box::new(elem))
        } else {
            elem
        };
        let versions = versions_of(f, "versions")
            .map_err(ctx)?
            .ok_or_else(|| ctx("no versions".into()))?;
        let tag = match f.get("tag") {
            None => None,
            Some(t) => Some(
                // A few specs write the tag as a string ("0").
                t.as_u64()
                    .or_else(|| t.as_str().and_then(|s| s.parse().ok()))
                    .and_then(|t| u32::try_from(t).ok())
                    .ok_or_else(|| ctx("bad tag".into()))?,
            ),
        };
        let tagged = versions_of(f, "taggedVersions")
            .map_err(ctx)?
            .unwrap_or(Versions::NONE);
        if tag.is_some() == tagged.is_empty() {
            return Err(ctx("tag and taggedVersions must come together".into()));
        }
        let default = match f.get("default") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        Ok(Field {
            name: name.to_string(),
            ty,
            versions,
            nullable: versions_of(f, "nullableVersions")
                .map_err(ctx)?
                .unwrap_or(Versions::NONE),
            tag,
            tagged,
            default,
            ignorable: f.get("ignorable").and_then(Value::as_bool).unwrap_or(false),
            flexible: versions_of(f, "flexibleVersions").map_err(ctx)?,
        })
    }
}

fn check_references(m: &Message) -> Result<(), String> {
    for s in &m.structs {
        for f in &s.fields {
            let mut ty = &f.ty;
            if let Ty::Array(inner) = ty {
                ty = inner;
            }
            if let Ty::Struct(name) = ty
                && m.find_struct(name).is_none()
            {
                return Err(format!("{}.{}: struct {name} not defined", s.name, f.name));
            }
        }
    }
    Ok(())
}

/// `TopicData` -> `topic_data`, `KRaftVersion` -> `k_raft_version`, `timeoutMs` -> `timeout_ms`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { Some(chars[i - 1]) } else { None };
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_stripped_outside_strings_only() {
        let text = "{ // comment\n \"a\": \"x//y\" // more\n}";
        let v: Value = serde_json::from_str(&strip_comments(text)).unwrap();
        assert_eq!(v["a"], "x//y");
    }

    #[test]
    fn broken_specs_are_reported_with_their_field() {
        let unknown = r#"{ "name": "X", "type": "data", "validVersions": "0", "flexibleVersions": "none",
            "fields": [ { "name": "A", "type": "Missing", "versions": "0+" } ] }"#;
        let err = parse_message(unknown).unwrap_err();
        assert!(err.contains("X.A") && err.contains("Missing"), "{err}");
        let tag = r#"{ "name": "X", "type": "data", "validVersions": "0", "flexibleVersions": "0+",
            "fields": [ { "name": "A", "type": "int8", "versions": "0+", "tag": 0 } ] }"#;
        assert!(parse_message(tag).unwrap_err().contains("taggedVersions"));
        let twice = r#"{ "name": "X", "type": "data", "validVersions": "0", "flexibleVersions": "none",
            "fields": [ { "name": "A", "type": "S", "versions": "0+", "fields": [] },
                        { "name": "B", "type": "S", "versions": "0+", "fields": [] } ] }"#;
        assert!(parse_message(twice).unwrap_err().contains("defined twice"));
    }

    #[test]
    fn names_and_versions() {
        assert_eq!(snake_case("TopicData"), "topic_data");
        assert_eq!(snake_case("KRaftVersionRecord"), "k_raft_version_record");
        assert_eq!(snake_case("timeoutMs"), "timeout_ms");
        assert_eq!(snake_case("V3AndBelowTopics"), "v3_and_below_topics");
        assert_eq!(
            Versions::parse("3+").unwrap(),
            Versions {
                lo: 3,
                hi: i16::MAX
            }
        );
        assert_eq!(Versions::parse("0-12").unwrap(), Versions { lo: 0, hi: 12 });
        assert!(Versions::parse("none").unwrap().is_empty());
    }
}
