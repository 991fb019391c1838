//! Kafka's `LineMessageReader`, pure: its reader properties (parse.key, key.separator,
//! parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker,
//! ignore.error) with their defaults and consistency checks, line splitting as Java's
//! `BufferedReader.readLine` does (`\n`, `\r` or `\r\n` end a line), and a line's parse into
//! headers, key and value with Kafka's error messages.

use std::collections::BTreeMap;

/// The reader's properties. Separators are non-empty byte strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderConfig {
    pub parse_key: bool,
    pub key_separator: String,
    pub parse_headers: bool,
    pub headers_delimiter: String,
    pub headers_separator: String,
    pub headers_key_separator: String,
    pub null_marker: Option<String>,
    pub ignore_error: bool,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            parse_key: false,
            key_separator: "\t".into(),
            parse_headers: false,
            headers_delimiter: "\t".into(),
            headers_separator: ",".into(),
            headers_key_separator: ":".into(),
            null_marker: None,
            ignore_error: false,
        }
    }
}

/// Why the reader properties cannot be used (Kafka's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReaderConfigError {
    #[error("{first} and {second} may not be equal")]
    Equal {
        first: &'static str,
        second: &'static str,
    },
    #[error("{key} may not be empty")]
    Empty { key: &'static str },
}

impl ReaderConfig {
    /// Kafka's defaults overridden by `props` (later keys of the map win; unknown keys are
    /// ignored, as a custom reader's keys would be).
    pub fn from_props(props: &BTreeMap<String, String>) -> Result<Self, ReaderConfigError> {
        let mut c = ReaderConfig::default();
        let flag = |v: &String| v.trim().eq_ignore_ascii_case("true");
        for (k, v) in props {
            match k.as_str() {
                "parse.key" => c.parse_key = flag(v),
                "key.separator" => c.key_separator = v.clone(),
                "parse.headers" => c.parse_headers = flag(v),
                "headers.delimiter" => c.headers_delimiter = v.clone(),
                "headers.separator" => c.headers_separator = v.clone(),
                "headers.key.separator" => c.headers_key_separator = v.clone(),
                "null.marker" => c.null_marker = Some(v.clone()),
                "ignore.error" => c.ignore_error = flag(v),
                _ => {}
            }
        }
        for (key, value) in [
            ("key.separator", &c.key_separator),
            ("headers.delimiter", &c.headers_delimiter),
            ("headers.separator", &c.headers_separator),
            ("headers.key.separator", &c.headers_key_separator),
        ] {
            if value.is_empty() {
                return Err(ReaderConfigError::Empty { key });
            }
        }
        let pairs = [
            (
                "headers.delimiter",
                &c.headers_delimiter,
                "headers.separator",
                &c.headers_separator,
            ),
            (
                "headers.delimiter",
                &c.headers_delimiter,
                "headers.key.separator",
                &c.headers_key_separator,
            ),
            (
                "headers.separator",
                &c.headers_separator,
                "headers.key.separator",
                &c.headers_key_separator,
            ),
        ];
        for (first, a, second, b) in pairs {
            if a == b {
                return Err(ReaderConfigError::Equal { first, second });
            }
        }
        if let Some(m) = &c.null_marker {
            for (second, v) in [
                ("key.separator", &c.key_separator),
                ("headers.separator", &c.headers_separator),
                ("headers.delimiter", &c.headers_delimiter),
                ("headers.key.separator", &c.headers_key_separator),
            ] {
                if m == v {
                    return Err(ReaderConfigError::Equal {
                        first: "null.marker",
                        second,
                    });
                }
            }
        }
        Ok(c)
    }
}

/// A line that cannot become a record (Kafka's messages; line numbers count from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("No {what} found on line number {line}: '{text}'")]
    NoSeparator {
        what: &'static str,
        line: u64,
        text: String,
    },
    #[error("No header key separator found in pair '{pair}' on line number {line}")]
    NoHeaderKeySeparator { pair: String, line: u64 },
    #[error("Header keys should not be equal to the null marker '{marker}' as they can't be null")]
    NullHeaderKey { marker: String },
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedLine {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Splits the next line off `buf` (Java's readLine: `\n`, `\r` or `\r\n`). Returns the line
/// and how many bytes it used, or `None` when `buf` holds no complete line; at end of input
/// (`eof`) the rest is the last line when not empty. A `\r` at the very end of a non-final
/// buffer waits for the next byte, which may be its `\n`.
pub fn split_line(buf: &[u8], eof: bool) -> Option<(&[u8], usize)> {
    match buf.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(i) if buf[i] == b'\n' => Some((&buf[..i], i + 1)),
        Some(i) => match buf.get(i + 1) {
            Some(b'\n') => Some((&buf[..i], i + 2)),
            Some(_) => Some((&buf[..i], i + 1)),
            None if eof => Some((&buf[..i], i + 1)),
            None => None,
        },
        None if eof && !buf.is_empty() => Some((buf, buf.len())),
        None => None,
    }
}

/// Java reads the console as UTF-8 with malformed bytes replaced by U+FFFD; the record
/// bytes are that text re-encoded, so rkafka sends what Kafka's console producer sends.
pub fn decode_line(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

fn find(hay: &str, needle: &str, from: usize) -> Option<usize> {
    hay.get(from..)?.find(needle).map(|i| i + from)
}

impl ReaderConfig {
    fn nullable(&self, s: &str) -> Option<Vec<u8>> {
        if self.null_marker.as_deref() == Some(s) {
            None
        } else {
            Some(s.as_bytes().to_vec())
        }
    }

    /// `Some(prefix)` up to the separator, `None` when not parsing this part or when the
    /// separator is missing and errors are ignored.
    fn part<'a>(
        &self,
        enabled: bool,
        line: &'a str,
        from: usize,
        sep: &str,
        what: &'static str,
        number: u64,
    ) -> Result<Option<&'a str>, LineError> {
        if !enabled {
            return Ok(None);
        }
        match find(line, sep, from) {
            Some(i) => Ok(line.get(from..i)),
            None if self.ignore_error => Ok(None),
            None => Err(LineError::NoSeparator {
                what,
                line: number,
                text: line.to_string(),
            }),
        }
    }

    /// Parses line `number` (from 1) into headers, key and value, as LineMessageReader does.
    pub fn parse(&self, line: &str, number: u64) -> Result<ParsedLine, LineError> {
        let headers = self.part(
            self.parse_headers,
            line,
            0,
            &self.headers_delimiter,
            "headers delimiter",
            number,
        )?;
        let header_offset = headers.map_or(0, |h| h.len() + self.headers_delimiter.len());
        let key = self.part(
            self.parse_key,
            line,
            header_offset,
            &self.key_separator,
            "key separator",
            number,
        )?;
        let key_offset = key.map_or(0, |k| k.len() + self.key_separator.len());
        let value = line.get(header_offset + key_offset..).unwrap_or("");
        let mut parsed = ParsedLine {
            key: key.and_then(|k| self.nullable(k)),
            value: self.nullable(value),
            headers: Vec::new(),
        };
        if let Some(h) = headers
            && self.null_marker.as_deref() != Some(h)
        {
            for pair in java_split(h, &self.headers_separator) {
                match pair.find(self.headers_key_separator.as_str()) {
                    Some(i) => {
                        let k = &pair[..i];
                        if self.null_marker.as_deref() == Some(k) {
                            return Err(LineError::NullHeaderKey {
                                marker: k.to_string(),
                            });
                        }
                        let v = &pair[i + self.headers_key_separator.len()..];
                        parsed.headers.push((k.to_string(), self.nullable(v)));
                    }
                    None if self.ignore_error => parsed.headers.push((pair.to_string(), None)),
                    None => {
                        return Err(LineError::NoHeaderKeySeparator {
                            pair: pair.to_string(),
                            line: number,
                        });
                    }
                }
            }
        }
        Ok(parsed)
    }
}

/// Java's `Pattern.split` of a literal: an empty input gives one empty part; trailing empty
/// parts are dropped.
fn java_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    if s.is_empty() {
        return vec![""];
    }
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<ReaderConfig, ReaderConfigError> {
        let props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ReaderConfig::from_props(&props)
    }

    #[test]
    fn lines_split_like_java_readline() {
        assert_eq!(split_line(b"a\nb", false), Some((&b"a"[..], 2)));
        assert_eq!(split_line(b"a\r\nb", false), Some((&b"a"[..], 3)));
        assert_eq!(split_line(b"a\rb", false), Some((&b"a"[..], 2)));
        assert_eq!(split_line(b"a\r", false), None);
        assert_eq!(split_line(b"a\r", true), Some((&b"a"[..], 2)));
        assert_eq!(split_line(b"tail", true), Some((&b"tail"[..], 4)));
        assert_eq!(split_line(b"", true), None);
        assert_eq!(decode_line(b"a\xffb"), "a\u{fffd}b");
    }

    #[test]
    fn keys_headers_and_null_marker() {
        let c = config(&[
            ("parse.key", "true"),
            ("parse.headers", "true"),
            ("key.separator", "::"),
            ("headers.delimiter", "|"),
            ("null.marker", "NULL"),
        ])
        .unwrap();
        let p = c.parse("h1:v1,h2:NULL|k::v::w", 1).unwrap();
        assert_eq!(p.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(p.value.as_deref(), Some(&b"v::w"[..]));
        assert_eq!(
            p.headers,
            vec![("h1".into(), Some(b"v1".to_vec())), ("h2".into(), None)]
        );
        let p = c.parse("NULL|NULL::NULL", 2).unwrap();
        assert_eq!(p, ParsedLine::default());
        assert_eq!(
            c.parse("h1:v1|novalue", 3).unwrap_err().to_string(),
            "No key separator found on line number 3: 'h1:v1|novalue'"
        );
        assert_eq!(
            c.parse("h1|k::v", 4).unwrap_err().to_string(),
            "No header key separator found in pair 'h1' on line number 4"
        );
        assert!(matches!(
            c.parse("NULL:x|k::v", 5),
            Err(LineError::NullHeaderKey { .. })
        ));
    }

    #[test]
    fn ignore_error_and_validation() {
        let c = config(&[("parse.key", "true"), ("ignore.error", "true")]).unwrap();
        let p = c.parse("no separator", 1).unwrap();
        assert_eq!(
            (p.key, p.value.as_deref()),
            (None, Some(&b"no separator"[..]))
        );
        let plain = config(&[]).unwrap();
        assert_eq!(
            plain.parse("a\tb", 1).unwrap().value.as_deref(),
            Some(&b"a\tb"[..])
        );
        assert_eq!(
            config(&[("headers.separator", ":")])
                .unwrap_err()
                .to_string(),
            "headers.separator and headers.key.separator may not be equal"
        );
        assert_eq!(
            config(&[("null.marker", "\t")]).unwrap_err().to_string(),
            "null.marker and key.separator may not be equal"
        );
        assert_eq!(java_split("a,b,,", ","), vec!["a", "b"]);
        assert_eq!(java_split("", ","), vec![""]);
    }
}
