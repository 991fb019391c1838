//! Magic 0 and 1 messages (Kafka before 0.11), read far enough to walk, index and check old
//! segments and message sets: offset, size, CRC32, attributes, timestamp, key and value.
//! Compressed wrapper messages are reported but not unpacked.
//!
//! Layout (big-endian): offset int64, messageSize int32 (bytes after itself), crc uint32
//! (CRC-32/IEEE of magic to the end), magic int8, attributes int8 (bits 0-2 codec, bit 3
//! timestamp type in v1), timestamp int64 (v1 only), key (int32 length, -1 null), value (same).
//! A compressed wrapper's offset is the offset of its last inner message.

use bytes::Bytes;

use super::batch::TimestampType;
use super::compression::Compression;
use super::error::{RecordsError, Result};

/// Offset of the crc field.
const CRC: usize = 12;
/// Offset of the magic byte (same place as in v2, which is how formats are told apart).
const MAGIC: usize = 16;
const ATTRIBUTES: usize = 17;
const TIMESTAMP: usize = 18;
/// offset + messageSize.
const LOG_OVERHEAD: usize = 12;
/// Smallest messageSize of v0: crc, magic, attributes, key length, value length.
pub const MIN_MESSAGE_SIZE_V0: usize = 14;
/// Smallest messageSize of v1: v0 plus the timestamp.
pub const MIN_MESSAGE_SIZE_V1: usize = 22;

/// A read-only view of one v0/v1 message holding exactly its bytes (`12 + messageSize`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyMessage {
    bytes: Bytes,
}

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl LegacyMessage {
    /// Views the message at the start of `bytes`; later bytes are ignored. Checks the magic is
    /// 0 or 1, the size is at least that magic's minimum and the whole message is present.
    pub fn parse(bytes: Bytes) -> Result<LegacyMessage> {
        if bytes.len() < LOG_OVERHEAD + MIN_MESSAGE_SIZE_V0 {
            return Err(RecordsError::TooShort {
                what: "legacy message",
                needed: LOG_OVERHEAD + MIN_MESSAGE_SIZE_V0,
                available: bytes.len(),
            });
        }
        let magic = bytes[MAGIC] as i8;
        let minimum = match magic {
            0 => MIN_MESSAGE_SIZE_V0,
            1 => MIN_MESSAGE_SIZE_V1,
            _ => return Err(RecordsError::BadMagic { magic }),
        };
        let size = be_i32(&bytes, 8);
        let size = usize::try_from(size).ok().filter(|s| *s >= minimum).ok_or(
            RecordsError::BadLength {
                what: "legacy message",
                length: i64::from(size),
                minimum,
            },
        )?;
        let total = LOG_OVERHEAD + size;
        if total > bytes.len() {
            return Err(RecordsError::TooShort {
                what: "legacy message",
                needed: total,
                available: bytes.len(),
            });
        }
        Ok(LegacyMessage {
            bytes: bytes.slice(..total),
        })
    }

    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Total size in bytes (`12 + messageSize`).
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// The message's offset; for a compressed wrapper, the offset of its last inner message.
    pub fn offset(&self) -> i64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.bytes[..8]);
        i64::from_be_bytes(a)
    }

    pub fn magic(&self) -> i8 {
        self.bytes[MAGIC] as i8
    }

    pub fn attributes(&self) -> i8 {
        self.bytes[ATTRIBUTES] as i8
    }

    pub fn crc(&self) -> u32 {
        be_i32(&self.bytes, CRC) as u32
    }

    pub fn compression(&self) -> Result<Compression> {
        let id = (self.attributes() & 0x07) as u8;
        Compression::from_id(id).ok_or(RecordsError::UnknownCompression { id })
    }

    /// Milliseconds since the epoch (v1), `None` for v0.
    pub fn timestamp(&self) -> Option<i64> {
        (self.magic() == 1).then(|| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&self.bytes[TIMESTAMP..TIMESTAMP + 8]);
            i64::from_be_bytes(a)
        })
    }

    /// The timestamp type (v1 attribute bit 3); v0 has none and reports `CreateTime`.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.magic() == 1 && self.attributes() & 0x08 != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// CRC-32/IEEE of magic to the end, as the crc field should hold.
    pub fn compute_crc(&self) -> u32 {
        let mut crc = flate2::Crc::new();
        crc.update(&self.bytes[MAGIC..]);
        crc.sum()
    }

    /// Checks the CRC and that key and value fill the message exactly.
    pub fn validate(&self) -> Result<()> {
        let stored = self.crc();
        let computed = self.compute_crc();
        if stored != computed {
            return Err(RecordsError::CrcMismatch { stored, computed });
        }
        self.key_value().map(|_| ())
    }

    fn key_start(&self) -> usize {
        if self.magic() == 1 {
            TIMESTAMP + 8
        } else {
            TIMESTAMP
        }
    }

    /// Key and value (`None` for null), as slices of the message.
    pub fn key_value(&self) -> Result<(Option<Bytes>, Option<Bytes>)> {
        let (key, pos) = self.bytes_field("key", self.key_start())?;
        let (value, end) = self.bytes_field("value", pos)?;
        if end != self.bytes.len() {
            return Err(RecordsError::RecordSizeMismatch {
                declared: self.bytes.len() - LOG_OVERHEAD,
                used: end - LOG_OVERHEAD,
            });
        }
        Ok((key, value))
    }

    fn bytes_field(&self, field: &'static str, pos: usize) -> Result<(Option<Bytes>, usize)> {
        let remaining = self.bytes.len().saturating_sub(pos);
        if remaining < 4 {
            return Err(RecordsError::BadFieldLength {
                field,
                length: 4,
                remaining,
            });
        }
        let len = be_i32(&self.bytes, pos);
        let start = pos + 4;
        if len == -1 {
            return Ok((None, start));
        }
        let left = remaining - 4;
        let n = usize::try_from(len).ok().filter(|n| *n <= left).ok_or(
            RecordsError::BadFieldLength {
                field,
                length: i64::from(len),
                remaining: left,
            },
        )?;
        Ok((Some(self.bytes.slice(start..start + n)), start + n))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A v0 or v1 message built by hand.
    pub(crate) fn legacy_message(
        magic: i8,
        offset: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut body = vec![magic as u8, 0];
        if magic == 1 {
            body.extend_from_slice(&1_600_000_000_000i64.to_be_bytes());
        }
        for field in [key, value] {
            match field {
                None => body.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(f) => {
                    body.extend_from_slice(&(f.len() as i32).to_be_bytes());
                    body.extend_from_slice(f);
                }
            }
        }
        let mut crc = flate2::Crc::new();
        crc.update(&body);
        let mut m = offset.to_be_bytes().to_vec();
        m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
        m.extend_from_slice(&crc.sum().to_be_bytes());
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn reads_v0_and_v1() {
        let m =
            LegacyMessage::parse(Bytes::from(legacy_message(0, 5, None, Some(b"abc")))).unwrap();
        assert_eq!(m.offset(), 5);
        assert_eq!(m.magic(), 0);
        assert_eq!(m.timestamp(), None);
        assert_eq!(m.size(), 12 + 14 + 3);
        m.validate().unwrap();
        assert_eq!(
            m.key_value().unwrap(),
            (None, Some(Bytes::from_static(b"abc")))
        );

        let m = LegacyMessage::parse(Bytes::from(legacy_message(1, 9, Some(b"k"), None))).unwrap();
        assert_eq!(m.timestamp(), Some(1_600_000_000_000));
        assert_eq!(m.timestamp_type(), TimestampType::CreateTime);
        assert_eq!(m.compression().unwrap(), Compression::None);
        m.validate().unwrap();
        assert_eq!(
            m.key_value().unwrap(),
            (Some(Bytes::from_static(b"k")), None)
        );
    }

    #[test]
    fn detects_corruption() {
        let mut raw = legacy_message(1, 9, Some(b"key"), Some(b"value"));
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let m = LegacyMessage::parse(Bytes::from(raw)).unwrap();
        assert!(matches!(
            m.validate(),
            Err(RecordsError::CrcMismatch { .. })
        ));

        // A v1 message whose size is below the v1 minimum.
        let mut raw = legacy_message(0, 1, None, None);
        raw[16] = 1;
        assert!(matches!(
            LegacyMessage::parse(Bytes::from(raw)),
            Err(RecordsError::BadLength { minimum: 22, .. })
        ));
    }
}
