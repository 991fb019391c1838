//! Java `.properties` parsing, following the rules of `java.util.Properties.load`.
//!
//! Kafka and ZooKeeper both read their configuration with `Properties.load`, so operators'
//! files rely on its quirks: three separators (`=`, `:`, whitespace), comment lines starting
//! with `#` or `!`, continuation lines ending in an odd number of backslashes, and escapes
//! including `\uXXXX`. This module reproduces those rules exactly, keeps the 1-based line on
//! which every entry started (so errors can point at it), and keeps trailing whitespace in
//! values as Java does (the typed layer trims, as Kafka's `ConfigDef` does).
//!
//! Encoding: Java's `load(InputStream)` reads ISO-8859-1, but the files we ship and the files
//! operators write today are UTF-8 (ASCII in practice, where both agree). We decode UTF-8 and
//! reject invalid bytes with the line they are on rather than silently mis-decoding. A UTF-8
//! byte-order mark at the start is skipped (Java would make it part of the first key).
//!
//! [`to_text`] writes entries back with `Properties.store`'s escaping (for files rkafka writes
//! itself, such as `meta.properties`); a round-trip test drives the parser with it.
//!
//! Pure: no I/O here; [`crate::config::load`] reads the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::ConfigError;

/// One `key=value` assignment as it appeared in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key after unescaping.
    pub key: String,
    /// The value after unescaping; leading whitespace dropped, trailing whitespace kept.
    pub value: String,
    /// 1-based line on which the entry started (continuations may run past it).
    pub line: usize,
}

/// A parsed properties file: every assignment in file order (duplicates included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Properties {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl Properties {
    /// Parses raw file bytes as UTF-8 properties. `path` only labels errors and sources.
    pub fn from_bytes(bytes: &[u8], path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let path = path.into();
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::parse(text, path),
            Err(e) => {
                let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
                let line = 1 + line_breaks(good);
                Err(ConfigError::NotUtf8 { path, line })
            }
        }
    }

    /// Parses properties text. `path` only labels errors and sources.
    pub fn parse(text: &str, path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let path = path.into();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut entries = Vec::new();
        for logical in logical_lines(text) {
            let entry = split_entry(&logical).map_err(|(line, problem)| ConfigError::Syntax {
                path: path.clone(),
                line,
                problem,
            })?;
            entries.push(entry);
        }
        Ok(Properties { path, entries })
    }

    /// The file these entries came from (or the label given to [`Properties::parse`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every assignment in file order, including keys assigned more than once.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The value in force for `key`: the last assignment wins, as in Java.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// One entry per distinct key, in order of first appearance, carrying the last value.
    pub fn effective(&self) -> Vec<&Entry> {
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            last.insert(e.key.as_str(), i);
        }
        let mut out = Vec::with_capacity(last.len());
        for e in &self.entries {
            // Emit each key at its first appearance (then forget it), carrying the last value.
            if let Some(winner) = last
                .remove(e.key.as_str())
                .and_then(|i| self.entries.get(i))
            {
                out.push(winner);
            }
        }
        out
    }
}

/// Escapes `key` so that [`Properties::parse`] (and Java) read it back unchanged, as
/// `Properties.store` does: every space, the separators, comment starters and control
/// characters are escaped; non-ASCII characters are kept (the file is UTF-8).
pub fn escape_key(key: &str) -> String {
    escape(key, true)
}

/// Escapes `value` like [`escape_key`], except that only a leading space needs escaping.
pub fn escape_value(value: &str) -> String {
    escape(value, false)
}

/// Formats entries as properties text, one `key=value` line each, that parses back to the
/// same keys and values.
pub fn to_text<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in entries {
        out.push_str(&escape_key(k));
        out.push('=');
        out.push_str(&escape_value(v));
        out.push('\n');
    }
    out
}

fn escape(s: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        match c {
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Counts line terminators (`\n`, `\r\n`, lone `\r`) in `bytes`.
fn line_breaks(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut prev_cr = false;
    for &b in bytes {
        match b {
            b'\n' if prev_cr => {}
            b'\n' | b'\r' => n += 1,
            _ => {}
        }
        prev_cr = b == b'\r';
    }
    n
}

/// A logical line: its characters (continuations joined, comments and blank lines gone), each
/// with the physical line it came from.
type LogicalLine = Vec<(char, usize)>;

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{c}'
}

/// Splits text into logical lines the way Java's `LineReader` does.
fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut buf: LogicalLine = Vec::new();
    let mut line = 1usize;
    let mut skip_ws = true;
    let mut is_comment = false;
    let mut is_new_line = true;
    let mut appended_line_begin = false;
    let mut preceding_backslash = false;
    let mut skip_lf = false;

    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let this_line = line;
        // A terminator ends this physical line; `\r\n` counts once (on its `\n`).
        if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
            line += 1;
        }

        if skip_lf {
            skip_lf = false;
            if c == '\n' {
                continue;
            }
        }
        if skip_ws {
            if is_blank(c) {
                continue;
            }
            if !appended_line_begin && (c == '\r' || c == '\n') {
                continue;
            }
            skip_ws = false;
            appended_line_begin = false;
        }
        if is_new_line {
            is_new_line = false;
            if c == '#' || c == '!' {
                is_comment = true;
                continue;
            }
        }
        if c != '\n' && c != '\r' {
            if !is_comment {
                buf.push((c, this_line));
                preceding_backslash = c == '\\' && !preceding_backslash;
            }
            continue;
        }
        // End of a physical line.
        if is_comment || buf.is_empty() {
            is_comment = false;
            is_new_line = true;
            skip_ws = true;
            preceding_backslash = false;
            buf.clear();
            continue;
        }
        if preceding_backslash {
            // Continuation: drop the backslash, skip the next line's leading whitespace.
            buf.pop();
            skip_ws = true;
            appended_line_begin = true;
            preceding_backslash = false;
            if c == '\r' {
                skip_lf = true;
            }
        } else {
            out.push(std::mem::take(&mut buf));
            skip_ws = true;
            is_new_line = true;
            appended_line_begin = false;
        }
    }
    if !buf.is_empty() && !is_comment {
        if preceding_backslash {
            // A continuation at end of input: Java drops the backslash and ends the line.
            buf.pop();
        }
        if !buf.is_empty() {
            out.push(buf);
        }
    }
    out
}

/// Splits a logical line into key and value (first unescaped `=`, `:` or whitespace) and
/// unescapes both. Errors carry the physical line and a description.
fn split_entry(chars: &[(char, usize)]) -> Result<Entry, (usize, String)> {
    let limit = chars.len();
    let mut key_len = 0;
    let mut value_start = limit;
    let mut has_sep = false;
    let mut preceding_backslash = false;
    while let Some(&(c, _)) = chars.get(key_len) {
        if (c == '=' || c == ':') && !preceding_backslash {
            value_start = key_len + 1;
            has_sep = true;
            break;
        } else if is_blank(c) && !preceding_backslash {
            value_start = key_len + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_len += 1;
    }
    while let Some(&(c, _)) = chars.get(value_start) {
        if !is_blank(c) {
            if !has_sep && (c == '=' || c == ':') {
                has_sep = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    let line = chars.first().map(|&(_, l)| l).unwrap_or(1);
    let key = unescape(chars.get(..key_len).unwrap_or_default())?;
    let value = unescape(chars.get(value_start..).unwrap_or_default())?;
    Ok(Entry { key, value, line })
}

/// Reads the four hex digits of a `\u` escape starting at `at`.
fn hex4(chars: &[(char, usize)], at: usize, line: usize) -> Result<u16, (usize, String)> {
    let digits: String = chars.iter().skip(at).take(4).map(|&(c, _)| c).collect();
    if digits.chars().count() == 4 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        if let Ok(v) = u16::from_str_radix(&digits, 16) {
            return Ok(v);
        }
    }
    Err((
        line,
        format!("malformed \\uXXXX escape '\\u{digits}' (expected four hex digits)"),
    ))
}

/// Applies Java's escapes: `\t \n \r \f`, `\uXXXX` (UTF-16, surrogate pairs joined), and a
/// backslash before anything else stands for that character.
fn unescape(chars: &[(char, usize)]) -> Result<String, (usize, String)> {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while let Some(&(c, line)) = chars.get(i) {
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&(e, _)) = chars.get(i) else {
            // A lone trailing backslash cannot survive line joining; ignore it if it does.
            break;
        };
        i += 1;
        match e {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{c}'),
            'u' => {
                let unit = hex4(chars, i, line)?;
                i += 4;
                if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by `\u` and a low surrogate.
                    let is_pair = matches!(chars.get(i), Some(&('\\', _)))
                        && matches!(chars.get(i + 1), Some(&('u', _)));
                    let low = if is_pair {
                        hex4(chars, i + 2, line).ok()
                    } else {
                        None
                    };
                    match low {
                        Some(low) if (0xDC00..0xE000).contains(&low) => {
                            let cp = 0x10000
                                + ((u32::from(unit) - 0xD800) << 10)
                                + (u32::from(low) - 0xDC00);
                            match char::from_u32(cp) {
                                Some(ch) => out.push(ch),
                                None => return Err((line, lone_surrogate(unit))),
                            }
                            i += 6;
                        }
                        _ => return Err((line, lone_surrogate(unit))),
                    }
                } else {
                    match char::from_u32(u32::from(unit)) {
                        Some(ch) => out.push(ch),
                        None => return Err((line, lone_surrogate(unit))),
                    }
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn lone_surrogate(unit: u16) -> String {
    format!("\\u{unit:04X} is half of a UTF-16 surrogate pair without its other half")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(String, String, usize)> {
        Properties::parse(text, "t.properties")
            .unwrap()
            .entries()
            .iter()
            .map(|e| (e.key.clone(), e.value.clone(), e.line))
            .collect()
    }

    fn kv(k: &str, v: &str, line: usize) -> (String, String, usize) {
        (k.to_string(), v.to_string(), line)
    }

    #[test]
    fn every_separator() {
        assert_eq!(
            parse("a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t6\ng   =   7\nh \t: 8"),
            vec![
                kv("a", "1", 1),
                kv("b", "2", 2),
                kv("c", "3", 3),
                kv("d", "4", 4),
                kv("e", "5", 5),
                kv("f", "6", 6),
                kv("g", "7", 7),
                kv("h", "8", 8),
            ]
        );
    }

    #[test]
    fn only_the_first_separator_splits() {
        assert_eq!(
            parse("a=b=c\nx:y:z\nk = = v\nurl=PLAINTEXT://:9092"),
            vec![
                kv("a", "b=c", 1),
                kv("x", "y:z", 2),
                kv("k", "= v", 3),
                kv("url", "PLAINTEXT://:9092", 4),
            ]
        );
    }

    #[test]
    fn key_without_separator_gets_empty_value_and_empty_values_are_allowed() {
        assert_eq!(
            parse("lonely\nempty=\nspaced =   \n"),
            vec![kv("lonely", "", 1), kv("empty", "", 2), kv("spaced", "", 3)]
        );
    }

    #[test]
    fn trailing_whitespace_in_values_is_kept_leading_dropped() {
        assert_eq!(
            parse("   a=  x y  \n\tb=z\t"),
            vec![kv("a", "x y  ", 1), kv("b", "z\t", 2)]
        );
    }

    #[test]
    fn comments_and_blank_lines() {
        let text = "# hash\n! bang\n   # indented\n\t! tabbed\n\n   \na=1 # not a comment\n";
        assert_eq!(parse(text), vec![kv("a", "1 # not a comment", 7)]);
    }

    #[test]
    fn comment_lines_do_not_continue() {
        assert_eq!(parse("# ends with \\\na=1"), vec![kv("a", "1", 2)]);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            parse(r"a=tab\there\nnl\rcr\fff\\back\q\"),
            vec![kv("a", "tab\there\nnl\rcr\u{c}ff\\backq", 1)]
        );
        assert_eq!(parse(r"u=caf\u00e9 \u0041"), vec![kv("u", "café A", 1)]);
        assert_eq!(parse(r"e=\uD83D\uDE00"), vec![kv("e", "😀", 1)]);
        assert_eq!(parse("raw=héllo ✓"), vec![kv("raw", "héllo ✓", 1)]);
    }

    #[test]
    fn escaped_separators_in_keys() {
        assert_eq!(
            parse("a\\=b=c\nx\\:y:z\nsp\\ ace=v\n\\#notcomment=1\n\\!also=2"),
            vec![
                kv("a=b", "c", 1),
                kv("x:y", "z", 2),
                kv("sp ace", "v", 3),
                kv("#notcomment", "1", 4),
                kv("!also", "2", 5),
            ]
        );
    }

    #[test]
    fn continuation_with_odd_backslashes() {
        let text = "list=a,\\\n     b,\\\n\t c\nnext=1";
        assert_eq!(
            parse(text),
            vec![kv("list", "a,b,c", 1), kv("next", "1", 4)]
        );
        // Three backslashes: one escaped backslash, then a continuation.
        assert_eq!(parse("p=x\\\\\\\n  y"), vec![kv("p", "x\\y", 1)]);
    }

    #[test]
    fn even_backslashes_are_literal() {
        assert_eq!(
            parse("p=C:\\\\dir\\\\\nq=2"),
            vec![kv("p", "C:\\dir\\", 1), kv("q", "2", 2)]
        );
    }

    #[test]
    fn continuation_line_starting_with_hash_is_not_a_comment() {
        assert_eq!(parse("a=1\\\n  # two"), vec![kv("a", "1# two", 1)]);
    }

    #[test]
    fn continuation_as_last_line_drops_the_backslash() {
        assert_eq!(parse("a=1\\"), vec![kv("a", "1", 1)]);
        assert_eq!(parse("a=1\\\n"), vec![kv("a", "1", 1)]);
    }

    #[test]
    fn continuation_into_blank_line_ends_the_entry() {
        assert_eq!(
            parse("a=1\\\n\nb=2"),
            vec![kv("a", "1", 1), kv("b", "2", 3)]
        );
    }

    #[test]
    fn crlf_and_cr_line_endings() {
        assert_eq!(
            parse("a=1\r\nb=2\rc=3\r\n# c\r\nd=x\\\r\n  y"),
            vec![
                kv("a", "1", 1),
                kv("b", "2", 2),
                kv("c", "3", 3),
                kv("d", "xy", 5)
            ]
        );
    }

    #[test]
    fn line_numbers_follow_blank_lines_and_continuations() {
        let text = "\n\n# c\na=1\\\n2\\\n3\n\nb=4";
        assert_eq!(parse(text), vec![kv("a", "123", 4), kv("b", "4", 8)]);
    }

    #[test]
    fn bad_unicode_escape_names_the_line() {
        for bad in [r"k=\u12", r"k=\u12G4", r"k=\uD800x", r"k=\uDC00"] {
            let text = format!("ok=1\n\n{bad}\n");
            let err = Properties::parse(&text, "cfg/x.properties").unwrap_err();
            match &err {
                ConfigError::Syntax { line, .. } => assert_eq!(*line, 3, "{bad}"),
                other => panic!("unexpected {other:?}"),
            }
            assert!(err.to_string().starts_with("cfg/x.properties:3: "), "{err}");
        }
        // The line of the escape itself, even inside a continuation.
        let err = Properties::parse("k=a\\\n  \\uZZZZ", "f").unwrap_err();
        assert!(err.to_string().starts_with("f:2: malformed"), "{err}");
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = Properties::from_bytes(b"a=1\nb=2\nc=\xff\n", "f.properties").unwrap_err();
        assert!(
            matches!(err, ConfigError::NotUtf8 { line: 3, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("f.properties:3"));
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(parse("\u{feff}a=1"), vec![kv("a", "1", 1)]);
    }

    #[test]
    fn duplicates_last_wins_order_of_first_appearance() {
        let p = Properties::parse("a=1\nb=2\na=3", "f").unwrap();
        assert_eq!(p.entries().len(), 3);
        assert_eq!(
            p.get("a").map(|e| (e.value.as_str(), e.line)),
            Some(("3", 3))
        );
        let eff: Vec<_> = p
            .effective()
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(eff, vec![("a", "3"), ("b", "2")]);
    }

    #[test]
    fn escaping_round_trips_through_the_parser() {
        // Deterministic pseudo-random strings over an alphabet full of special characters.
        let alphabet: Vec<char> = " \t\n\r\u{c}\\=:#!abcXYZ019é✓😀\u{0}\u{7f}u"
            .chars()
            .collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..500 {
            let mut word = |min: usize| -> String {
                let len = min + next(12);
                (0..len).map(|_| alphabet[next(alphabet.len())]).collect()
            };
            let (k, v) = (word(1), word(0));
            let text = to_text([(k.as_str(), v.as_str())]);
            let parsed = Properties::parse(&text, "r").unwrap();
            let got: Vec<_> = parsed
                .entries()
                .iter()
                .map(|e| (&e.key, &e.value))
                .collect();
            assert_eq!(got, vec![(&k, &v)], "text {text:?}");
        }
    }
}
