//! Kafka's checkpoint files: `recovery-point-offset-checkpoint`,
//! `replication-offset-checkpoint`, `log-start-offset-checkpoint` (one per log dir) and each
//! partition's `leader-epoch-checkpoint`.
//!
//! Format: line 1 the version `0`, line 2 the number of entries, then one entry per line,
//! fields separated by one space (`topic partition offset`, or `epoch startOffset`).
//! Writes are atomic: a `.tmp` sibling is written and fsynced, renamed over the file, and the
//! directory fsynced, so a crash leaves the old or the new file, never a torn one.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::{LogError, Result, io_err};

pub const RECOVERY_POINT_CHECKPOINT: &str = "recovery-point-offset-checkpoint";
pub const REPLICATION_CHECKPOINT: &str = "replication-offset-checkpoint";
pub const LOG_START_OFFSET_CHECKPOINT: &str = "log-start-offset-checkpoint";
pub const LEADER_EPOCH_CHECKPOINT: &str = "leader-epoch-checkpoint";
const VERSION: &str = "0";

/// One `topic partition offset` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// One `epoch startOffset` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    /// First offset written by the leader of this epoch.
    pub start_offset: i64,
}

fn encode<I: IntoIterator<Item = String>>(count: usize, lines: I) -> String {
    let mut s = format!("{VERSION}\n{count}\n");
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    s
}

/// The text of an offsets checkpoint.
pub fn encode_offsets(entries: &[TopicPartitionOffset]) -> String {
    encode(
        entries.len(),
        entries
            .iter()
            .map(|e| format!("{} {} {}", e.topic, e.partition, e.offset)),
    )
}

/// The text of a leader epoch checkpoint.
pub fn encode_epochs(entries: &[EpochEntry]) -> String {
    encode(
        entries.len(),
        entries
            .iter()
            .map(|e| format!("{} {}", e.epoch, e.start_offset)),
    )
}

fn parse<T>(
    path: &Path,
    text: &str,
    mut entry: impl FnMut(&[&str]) -> Option<T>,
    what: &str,
) -> Result<Vec<T>> {
    let bad = |line: usize, reason: String| LogError::BadCheckpoint {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text.lines();
    match lines.next() {
        Some(v) if v.trim() == VERSION => {}
        Some(v) => return Err(bad(1, format!("unsupported version {v:?} (expected 0)"))),
        None => return Err(bad(1, "empty file".into())),
    }
    let count: usize = lines
        .next()
        .and_then(|c| c.trim().parse().ok())
        .ok_or_else(|| bad(2, "missing or invalid entry count".into()))?;
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let e =
            entry(&fields).ok_or_else(|| bad(i + 3, format!("expected {what}, found {line:?}")))?;
        out.push(e);
    }
    if out.len() != count {
        return Err(bad(
            2,
            format!("entry count says {count} but {} entries follow", out.len()),
        ));
    }
    Ok(out)
}

/// Parses an offsets checkpoint's text (`path` only names it in errors).
pub fn parse_offsets(path: &Path, text: &str) -> Result<Vec<TopicPartitionOffset>> {
    parse(
        path,
        text,
        |f| match f {
            [topic, partition, offset] => Some(TopicPartitionOffset {
                topic: (*topic).to_string(),
                partition: partition.parse().ok()?,
                offset: offset.parse().ok()?,
            }),
            _ => None,
        },
        "'topic partition offset'",
    )
}

/// Parses a leader epoch checkpoint's text.
pub fn parse_epochs(path: &Path, text: &str) -> Result<Vec<EpochEntry>> {
    parse(
        path,
        text,
        |f| match f {
            [epoch, offset] => Some(EpochEntry {
                epoch: epoch.parse().ok()?,
                start_offset: offset.parse().ok()?,
            }),
            _ => None,
        },
        "'epoch startOffset'",
    )
}

/// Reads a file's text; a missing file reads as `None`.
pub fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LogError::io("read checkpoint", path, e)),
    }
}

/// Reads an offsets checkpoint; a missing file has no entries.
pub fn read_offsets(path: &Path) -> Result<Vec<TopicPartitionOffset>> {
    match read_optional(path)? {
        Some(t) => parse_offsets(path, &t),
        None => Ok(Vec::new()),
    }
}

/// fsyncs a directory so a rename or a new file in it survives a crash.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync directory", dir))
}

/// Replaces `path` with `contents` atomically and durably (tmp, fsync, rename, fsync dir).
pub fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
    f.write_all(contents.as_bytes())
        .map_err(io_err("write", &tmp))?;
    f.sync_all().map_err(io_err("fsync", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io_err("rename checkpoint to", path))?;
    if let Some(dir) = path.parent() {
        fsync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(RECOVERY_POINT_CHECKPOINT);
        let entries = vec![
            TopicPartitionOffset {
                topic: "orders".into(),
                partition: 0,
                offset: 42,
            },
            TopicPartitionOffset {
                topic: "__consumer_offsets".into(),
                partition: 17,
                offset: 0,
            },
        ];
        write_atomic(&p, &encode_offsets(&entries)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "0\n2\norders 0 42\n__consumer_offsets 17 0\n"
        );
        assert_eq!(read_offsets(&p).unwrap(), entries);
        assert!(
            !dir.path()
                .join("recovery-point-offset-checkpoint.tmp")
                .exists()
        );
        assert_eq!(read_offsets(&dir.path().join("missing")).unwrap(), vec![]);
    }

    #[test]
    fn epochs_round_trip() {
        let e = vec![
            EpochEntry {
                epoch: 0,
                start_offset: 0,
            },
            EpochEntry {
                epoch: 3,
                start_offset: 120,
            },
        ];
        let text = encode_epochs(&e);
        assert_eq!(text, "0\n2\n0 0\n3 120\n");
        assert_eq!(parse_epochs(Path::new("x"), &text).unwrap(), e);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let p = Path::new("/d/cp");
        for (text, line) in [
            ("", 1),
            ("1\n0\n", 1),
            ("0\nx\n", 2),
            ("0\n2\nt 0 1\n", 2),
            ("0\n1\nt zero 1\n", 3),
            ("0\n1\nt 0 1 extra\n", 3),
        ] {
            match parse_offsets(p, text) {
                Err(LogError::BadCheckpoint { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        // A huge count with no lines is an error, not an allocation.
        assert!(parse_offsets(p, "0\n18446744073709551615\n").is_err());
    }
}
