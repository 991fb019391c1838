//! Kafka's variable-length integers: zigzag `varint` (i32, at most 5 bytes) and `varlong`
//! (i64, at most 10 bytes) used inside records, and the unsigned varint used by flexible
//! protocol versions (KIP-482) for compact lengths and tagged fields.
//!
//! Encoding is little-endian base-128: seven value bits per byte, the high bit set on every
//! byte but the last. Decoders take a slice and return the value with the number of bytes it
//! used, so callers advance their own cursor; they never read past the slice. Like Kafka's
//! `ByteUtils`, a non-minimal encoding that fits in the maximum width is accepted; an encoding
//! longer than the maximum width, or one whose last byte carries bits beyond the type's width,
//! is an error (Kafka would silently drop those bits; we refuse rather than guess).

/// Most bytes a 32-bit varint may take.
pub const MAX_VARINT_LEN: usize = 5;
/// Most bytes a 64-bit varlong may take.
pub const MAX_VARLONG_LEN: usize = 10;

/// Why a varint could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VarintError {
    /// The slice ended before the last byte (one without the continuation bit).
    #[error("varint truncated after {available} bytes")]
    Truncated { available: usize },
    /// More than `max_len` bytes carried the continuation bit.
    #[error("varint longer than {max_len} bytes")]
    TooLong { max_len: usize },
    /// The last byte of a maximum-width encoding set bits beyond the type's width.
    #[error("varint overflows {bits} bits")]
    Overflow { bits: u32 },
}

/// Decodes an unsigned base-128 integer of at most `max_len` bytes and `bits` value bits.
fn decode_unsigned(buf: &[u8], max_len: usize, bits: u32) -> Result<(u64, usize), VarintError> {
    let mut value: u64 = 0;
    for (i, &b) in buf.iter().enumerate().take(max_len) {
        let shift = 7 * i as u32;
        let payload = u64::from(b & 0x7f);
        // The last permitted byte may only carry the bits that remain in the type.
        if i + 1 == max_len {
            let remaining = bits - shift;
            if b & 0x80 != 0 {
                return Err(VarintError::TooLong { max_len });
            }
            if payload >> remaining != 0 {
                return Err(VarintError::Overflow { bits });
            }
        }
        value |= payload << shift;
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(VarintError::Truncated {
        available: buf.len().min(max_len),
    })
}

/// Decodes an unsigned varint (u32, at most 5 bytes). Returns the value and the bytes used.
pub fn decode_unsigned_varint(buf: &[u8]) -> Result<(u32, usize), VarintError> {
    let (v, n) = decode_unsigned(buf, MAX_VARINT_LEN, 32)?;
    // decode_unsigned has checked that no bit beyond 32 is set.
    Ok((v as u32, n))
}

/// Decodes an unsigned varlong (u64, at most 10 bytes). Returns the value and the bytes used.
pub fn decode_unsigned_varlong(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    decode_unsigned(buf, MAX_VARLONG_LEN, 64)
}

/// Decodes a zigzag varint (i32). Returns the value and the bytes used.
pub fn decode_varint(buf: &[u8]) -> Result<(i32, usize), VarintError> {
    let (u, n) = decode_unsigned_varint(buf)?;
    Ok((((u >> 1) as i32) ^ -((u & 1) as i32), n))
}

/// Decodes a zigzag varlong (i64). Returns the value and the bytes used.
pub fn decode_varlong(buf: &[u8]) -> Result<(i64, usize), VarintError> {
    let (u, n) = decode_unsigned_varlong(buf)?;
    Ok((((u >> 1) as i64) ^ -((u & 1) as i64), n))
}

/// Appends `v` as an unsigned varint.
pub fn put_unsigned_varint(out: &mut Vec<u8>, v: u32) {
    put_unsigned_varlong(out, u64::from(v));
}

/// Appends `v` as an unsigned varlong.
pub fn put_unsigned_varlong(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` as a zigzag varint.
pub fn put_varint(out: &mut Vec<u8>, v: i32) {
    put_unsigned_varint(out, zigzag32(v));
}

/// Appends `v` as a zigzag varlong.
pub fn put_varlong(out: &mut Vec<u8>, v: i64) {
    put_unsigned_varlong(out, zigzag64(v));
}

/// Bytes [`put_unsigned_varint`] writes for `v` (1..=5).
pub fn unsigned_varint_len(v: u32) -> usize {
    unsigned_varlong_len(u64::from(v))
}

/// Bytes [`put_unsigned_varlong`] writes for `v` (1..=10).
pub fn unsigned_varlong_len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Bytes [`put_varint`] writes for `v` (1..=5).
pub fn varint_len(v: i32) -> usize {
    unsigned_varint_len(zigzag32(v))
}

/// Bytes [`put_varlong`] writes for `v` (1..=10).
pub fn varlong_len(v: i64) -> usize {
    unsigned_varlong_len(zigzag64(v))
}

fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_known_encodings() {
        // Values from the protobuf / Kafka documentation of zigzag encoding.
        let cases: &[(i32, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (300, &[0xd8, 0x04]),
            (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for &(v, enc) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, enc, "encoding {v}");
            assert_eq!(varint_len(v), enc.len());
            assert_eq!(decode_varint(enc), Ok((v, enc.len())), "decoding {v}");
        }
    }

    #[test]
    fn varlong_boundaries_round_trip() {
        for v in [
            0i64,
            1,
            -1,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
            1 << 62,
            -(1 << 62),
        ] {
            let mut out = Vec::new();
            put_varlong(&mut out, v);
            assert_eq!(out.len(), varlong_len(v));
            assert!(out.len() <= MAX_VARLONG_LEN);
            assert_eq!(decode_varlong(&out), Ok((v, out.len())));
        }
        let mut out = Vec::new();
        put_varlong(&mut out, i64::MIN);
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn unsigned_boundaries() {
        for v in [0u32, 127, 128, 16383, 16384, u32::MAX] {
            let mut out = Vec::new();
            put_unsigned_varint(&mut out, v);
            assert_eq!(out.len(), unsigned_varint_len(v));
            assert_eq!(decode_unsigned_varint(&out), Ok((v, out.len())));
        }
        assert_eq!(unsigned_varint_len(127), 1);
        assert_eq!(unsigned_varint_len(128), 2);
        assert_eq!(unsigned_varint_len(u32::MAX), 5);
        assert_eq!(unsigned_varlong_len(u64::MAX), 10);
    }

    #[test]
    fn decoding_stops_at_the_last_byte() {
        assert_eq!(decode_varint(&[0x02, 0xff, 0xff]), Ok((1, 1)));
    }

    #[test]
    fn non_minimal_encoding_within_width_is_accepted() {
        assert_eq!(decode_varint(&[0x80, 0x80, 0x00]), Ok((0, 3)));
    }

    #[test]
    fn overlong_is_rejected() {
        assert_eq!(
            decode_varint(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
            Err(VarintError::TooLong { max_len: 5 })
        );
        assert_eq!(
            decode_varlong(&[0x80; 11]),
            Err(VarintError::TooLong { max_len: 10 })
        );
    }

    #[test]
    fn overflowing_last_byte_is_rejected() {
        assert_eq!(
            decode_varint(&[0xff, 0xff, 0xff, 0xff, 0x1f]),
            Err(VarintError::Overflow { bits: 32 })
        );
        assert_eq!(
            decode_varlong(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Err(VarintError::Overflow { bits: 64 })
        );
    }

    #[test]
    fn truncated_is_rejected() {
        assert_eq!(
            decode_varint(&[]),
            Err(VarintError::Truncated { available: 0 })
        );
        assert_eq!(
            decode_varint(&[0x80, 0x80]),
            Err(VarintError::Truncated { available: 2 })
        );
        assert_eq!(
            decode_varlong(&[0xff; 9]),
            Err(VarintError::Truncated { available: 9 })
        );
    }
}
