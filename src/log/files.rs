//! Segment file names: `<base offset, 20 digits zero-padded><suffix>`, as Kafka names them, so
//! a partition directory sorts by offset and Kafka and rkafka read each other's directories.
//!
//! The base offset is the offset of the first record the segment may hold; the suffix says
//! what the file is (records, offset index, time index, aborted transactions, producer state).

use std::path::Path;

/// What a file of a partition directory holds, told apart by its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentFileKind {
    /// `.log`: record batches back to back.
    Log,
    /// `.index`: sparse offset -> file position entries.
    Index,
    /// `.timeindex`: sparse timestamp -> offset entries.
    TimeIndex,
    /// `.txnindex`: aborted transactions of the segment.
    TxnIndex,
    /// `.snapshot`: producer state (idempotence / transactions) at the base offset.
    ProducerSnapshot,
}

impl SegmentFileKind {
    pub const ALL: [SegmentFileKind; 5] = [
        SegmentFileKind::Log,
        SegmentFileKind::Index,
        SegmentFileKind::TimeIndex,
        SegmentFileKind::TxnIndex,
        SegmentFileKind::ProducerSnapshot,
    ];

    /// The suffix, dot included.
    pub fn suffix(self) -> &'static str {
        match self {
            SegmentFileKind::Log => ".log",
            SegmentFileKind::Index => ".index",
            SegmentFileKind::TimeIndex => ".timeindex",
            SegmentFileKind::TxnIndex => ".txnindex",
            SegmentFileKind::ProducerSnapshot => ".snapshot",
        }
    }

    /// The kind named by the part of `file_name` from its last dot on, if it is one of ours.
    pub fn from_file_name(file_name: &str) -> Option<SegmentFileKind> {
        let dot = file_name.rfind('.')?;
        let suffix = &file_name[dot..];
        SegmentFileKind::ALL
            .into_iter()
            .find(|k| k.suffix() == suffix)
    }

    /// The kind of the file at `path` (by its file name), if it is one of ours.
    pub fn from_path(path: &Path) -> Option<SegmentFileKind> {
        SegmentFileKind::from_file_name(path.file_name()?.to_str()?)
    }
}

/// The file name of a segment file: `00000000000000000042.log` for base offset 42.
/// Offsets are never negative in a log; a negative one is written with its sign, as Java would.
pub fn file_name(base_offset: i64, kind: SegmentFileKind) -> String {
    format!("{base_offset:020}{}", kind.suffix())
}

/// Why a file name does not carry a base offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    /// The name has no `.`, so there is no offset part to read.
    #[error(
        "file name {name:?} has no suffix; expected <base offset>.<suffix>, e.g. 00000000000000000000.log"
    )]
    NoSuffix { name: String },
    /// The part before the first `.` is not a non-negative decimal number that fits an int64.
    #[error(
        "file name {name:?} does not start with a base offset ({stem:?} is not a non-negative 64-bit number)"
    )]
    NotAnOffset { name: String, stem: String },
}

/// Reads the base offset from a segment file name: the decimal number before the first `.`
/// (Kafka reads the same part). Only ASCII digits are accepted, so the offset is never negative.
pub fn base_offset_from_file_name(name: &str) -> Result<i64, FileNameError> {
    let Some((stem, _)) = name.split_once('.') else {
        return Err(FileNameError::NoSuffix {
            name: name.to_string(),
        });
    };
    let not_an_offset = || FileNameError::NotAnOffset {
        name: name.to_string(),
        stem: stem.to_string(),
    };
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_an_offset());
    }
    stem.parse::<i64>().map_err(|_| not_an_offset())
}

/// [`base_offset_from_file_name`] for the file name of `path`.
pub fn base_offset_from_path(path: &Path) -> Result<i64, FileNameError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    base_offset_from_file_name(&name)
}

/// The sibling of `path` with the same base-offset stem and another kind (the `.log` of an
/// `.index`, ...). The stem is everything before the first `.` of the file name.
pub fn sibling(path: &Path, kind: SegmentFileKind) -> Option<std::path::PathBuf> {
    let name = path.file_name()?.to_str()?;
    let (stem, _) = name.split_once('.')?;
    Some(path.with_file_name(format!("{stem}{}", kind.suffix())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_twenty_digits_and_a_suffix() {
        assert_eq!(
            file_name(0, SegmentFileKind::Log),
            "00000000000000000000.log"
        );
        assert_eq!(
            file_name(1234, SegmentFileKind::TimeIndex),
            "00000000000000001234.timeindex"
        );
        assert_eq!(
            file_name(i64::MAX, SegmentFileKind::Index),
            "09223372036854775807.index"
        );
        for kind in SegmentFileKind::ALL {
            let name = file_name(42, kind);
            assert_eq!(SegmentFileKind::from_file_name(&name), Some(kind));
            assert_eq!(base_offset_from_file_name(&name), Ok(42));
        }
    }

    #[test]
    fn kinds_come_from_the_last_suffix() {
        assert_eq!(SegmentFileKind::from_file_name("0.log.deleted"), None);
        assert_eq!(
            SegmentFileKind::from_file_name("0.cleaned.log"),
            Some(SegmentFileKind::Log)
        );
        assert_eq!(SegmentFileKind::from_file_name("log"), None);
        assert_eq!(SegmentFileKind::from_file_name("x.txt"), None);
        assert_eq!(
            SegmentFileKind::from_path(Path::new("/d/00000000000000000007.snapshot")),
            Some(SegmentFileKind::ProducerSnapshot)
        );
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        assert!(matches!(
            base_offset_from_file_name("00000000000000000000"),
            Err(FileNameError::NoSuffix { .. })
        ));
        for bad in [
            ".log",
            "abc.log",
            "-1.log",
            "+5.log",
            "1 2.log",
            "99999999999999999999.log",
        ] {
            let err = base_offset_from_file_name(bad).unwrap_err();
            assert!(matches!(err, FileNameError::NotAnOffset { .. }), "{bad}");
            assert!(err.to_string().contains(bad), "{err}");
        }
        assert_eq!(base_offset_from_file_name("7.cleaned.log"), Ok(7));
    }

    #[test]
    fn siblings_share_the_stem() {
        let p = Path::new("/data/t-0/00000000000000000100.index");
        assert_eq!(
            sibling(p, SegmentFileKind::Log).unwrap(),
            Path::new("/data/t-0/00000000000000000100.log")
        );
        assert_eq!(
            sibling(Path::new("/data/noext"), SegmentFileKind::Log),
            None
        );
    }
}
