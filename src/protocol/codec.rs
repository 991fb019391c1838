//! The primitive encodings of the Kafka wire protocol, shared by every generated message codec.
//!
//! Decoding: [`Decoder`] is a checked cursor over a [`Bytes`] buffer. Every read first checks
//! the bytes left, every length or count from the wire is checked against the bytes left before
//! anything is allocated, and `bytes`/`records` fields come back as zero-copy slices of the input.
//! Encoding: [`Writer`] appends to a [`BytesMut`] (copying everything) or to a [`ChainWriter`],
//! which keeps large record batches as separate chunks so a response can go out with `writev`
//! without copying the log data. The [`Message`] trait is what the generated structs implement.
//!
//! Errors name what failed: [`DecodeError`] carries the message name, version and field path
//! (for example `ProduceRequest v7: topic_data[0].name: string length 300 past end (12 bytes
//! left)`), built only on the error path.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};

pub use crate::types::Uuid;

/// A tagged field this version of the code does not know: kept verbatim and written back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTaggedField {
    /// The field's tag.
    pub tag: u32,
    /// The field's encoded value (without tag and size prefix).
    pub data: Bytes,
}

/// What went wrong while decoding, without the location (see [`DecodeError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// A fixed-size value did not fit in the bytes left.
    #[error("{what} needs {needed} bytes, {remaining} left")]
    Truncated {
        what: &'static str,
        needed: usize,
        remaining: usize,
    },
    /// A length prefix pointed past the end of the input.
    #[error("{what} length {len} past end ({remaining} bytes left)")]
    LengthPastEnd {
        what: &'static str,
        len: usize,
        remaining: usize,
    },
    /// An array count could not possibly fit in the bytes left.
    #[error(
        "array count {count} past end: each element needs at least {min_size} bytes, {remaining} left"
    )]
    CountPastEnd {
        count: usize,
        min_size: usize,
        remaining: usize,
    },
    /// A negative length other than -1 (null).
    #[error("invalid {what} length {len}")]
    NegativeLength { what: &'static str, len: i64 },
    /// A compact length beyond what Kafka allows (int16 for strings, int32 otherwise).
    #[error("{what} length {len} too long")]
    TooLong { what: &'static str, len: i64 },
    /// Null where this version does not allow null.
    #[error("null {what} where the field is not nullable")]
    UnexpectedNull { what: &'static str },
    /// A varint ran longer than its type allows.
    #[error("varint longer than {max} bytes")]
    VarintTooLong { max: usize },
    /// A string that is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// The version is outside what the spec defines for this message.
    #[error("unsupported version {version} (valid {min}-{max})")]
    UnsupportedVersion { version: i16, min: i16, max: i16 },
    /// An API key no spec defines.
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
    /// A known tagged field whose value did not use exactly its declared size.
    #[error("tagged field {tag}: {left} of its {size} bytes left unread")]
    TaggedFieldSize { tag: u32, size: usize, left: usize },
    /// Bytes left over after a complete message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DecodeErrorInner {
    message: Option<(&'static str, i16)>,
    path: String,
    kind: DecodeErrorKind,
}

/// A decoding failure: what went wrong, and where (message, version, field path).
///
/// Boxed so that `Result<T, DecodeError>` stays small on the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(Box<DecodeErrorInner>);

impl DecodeError {
    /// An error without location; generated code adds the location as it propagates.
    /// Cold (as are the `in_*` helpers): keeps error building out of the inlined hot paths.
    #[cold]
    pub fn new(kind: DecodeErrorKind) -> Self {
        DecodeError(Box::new(DecodeErrorInner {
            message: None,
            path: String::new(),
            kind,
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// The field path inside the message, e.g. `topic_data[0].name` (empty at top level).
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// The message name and version, when known.
    pub fn message(&self) -> Option<(&'static str, i16)> {
        self.0.message
    }

    /// Prefixes the path with a field name (called while the error propagates outwards).
    #[cold]
    pub fn in_field(mut self, field: &'static str) -> Self {
        let path = &mut self.0.path;
        if path.is_empty() {
            path.push_str(field);
        } else if path.starts_with('[') {
            path.insert_str(0, field);
        } else {
            path.insert(0, '.');
            path.insert_str(0, field);
        }
        self
    }

    /// Prefixes the path with an array index.
    #[cold]
    pub fn in_index(mut self, index: usize) -> Self {
        let path = &mut self.0.path;
        let prefix = if path.is_empty() || path.starts_with('[') {
            format!("[{index}]")
        } else {
            format!("[{index}].")
        };
        path.insert_str(0, &prefix);
        self
    }

    /// Records the message and version (outermost context; kept if already set).
    #[cold]
    pub fn in_message(mut self, name: &'static str, version: i16) -> Self {
        if self.0.message.is_none() {
            self.0.message = Some((name, version));
        }
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((name, version)) = self.0.message {
            write!(f, "{name} v{version}: ")?;
        }
        if !self.0.path.is_empty() {
            write!(f, "{}: ", self.0.path)?;
        }
        write!(f, "{}", self.0.kind)
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeErrorKind> for DecodeError {
    fn from(kind: DecodeErrorKind) -> Self {
        DecodeError::new(kind)
    }
}

/// An encoding failure: the value cannot be represented in the requested version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A field the version lacks holds a non-default value, and the field is not ignorable
    /// (Kafka's generated code refuses these too, rather than silently dropping data).
    #[error("{message} v{version}: field {field} does not exist in this version but is set")]
    NonDefaultInAbsentField {
        message: &'static str,
        field: &'static str,
        version: i16,
    },
    /// Null in a version where the field is not nullable.
    #[error("{message} v{version}: field {field} is null but not nullable in this version")]
    NullNotAllowed {
        message: &'static str,
        field: &'static str,
        version: i16,
    },
    /// A string, byte array or array too long for its length prefix.
    #[error("{what} of length {len} too long for its length prefix (max {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// The version is outside what the spec defines for this message.
    #[error("{message}: unsupported version {version} (valid {min}-{max})")]
    UnsupportedVersion {
        message: &'static str,
        version: i16,
        min: i16,
        max: i16,
    },
}

/// A message (request, response, header or data struct) generated from Kafka's specs.
pub trait Message: Sized + Default + Clone + PartialEq + fmt::Debug {
    /// The spec name, e.g. `ProduceRequest`.
    const NAME: &'static str;
    /// The inclusive range of versions the spec defines.
    const VALID_VERSIONS: (i16, i16);
    /// The first flexible version (compact encodings and tagged fields), if any.
    const FLEXIBLE_FROM: Option<i16>;

    /// Decodes one message of `version`; fails for versions outside [`Self::VALID_VERSIONS`].
    fn decode(d: &mut Decoder, version: i16) -> Result<Self, DecodeError>;
    /// Encodes the message in `version`.
    fn encode<W: Writer>(&self, w: &mut W, version: i16) -> Result<(), EncodeError>;
    /// The exact number of bytes [`Message::encode`] writes for `version`.
    fn encoded_size(&self, version: i16) -> usize;

    /// Whether `version` uses the flexible (compact, tagged) encoding.
    fn is_flexible(version: i16) -> bool {
        Self::FLEXIBLE_FROM.is_some_and(|f| version >= f)
    }
}

/// A request or response body: a message with an API key.
pub trait ApiMessage: Message {
    /// The API this message belongs to.
    const API_KEY: crate::protocol::messages::ApiKey;
}

/// A request body, linked to its response type.
pub trait ApiRequest: ApiMessage {
    /// The response body type of this API.
    type Response: ApiMessage;
}

/// Checks `version` against a message's valid range (decoding side).
pub fn check_decode_version(
    name: &'static str,
    version: i16,
    (min, max): (i16, i16),
) -> Result<(), DecodeError> {
    if version < min || version > max {
        return Err(
            DecodeError::new(DecodeErrorKind::UnsupportedVersion { version, min, max })
                .in_message(name, version),
        );
    }
    Ok(())
}

/// Checks `version` against a message's valid range (encoding side).
pub fn check_encode_version(
    name: &'static str,
    version: i16,
    (min, max): (i16, i16),
) -> Result<(), EncodeError> {
    if version < min || version > max {
        return Err(EncodeError::UnsupportedVersion {
            message: name,
            version,
            min,
            max,
        });
    }
    Ok(())
}

/// A checked reading cursor over one input buffer.
#[derive(Debug, Clone)]
pub struct Decoder {
    buf: Bytes,
}

impl Decoder {
    /// A decoder over `buf`.
    pub fn new(buf: Bytes) -> Self {
        Decoder { buf }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The unread bytes, without consuming them.
    pub fn peek_rest(&self) -> &[u8] {
        &self.buf
    }

    /// Consumes and returns all unread bytes (zero copy).
    pub fn take_rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeErrorKind::TrailingBytes(self.buf.len()).into())
        }
    }

    #[inline]
    fn need(&self, what: &'static str, needed: usize) -> Result<(), DecodeError> {
        if self.buf.len() < needed {
            return Err(DecodeErrorKind::Truncated {
                what,
                needed,
                remaining: self.buf.len(),
            }
            .into());
        }
        Ok(())
    }

    /// Consumes `n` bytes as a zero-copy slice.
    #[inline]
    pub fn take(&mut self, what: &'static str, n: usize) -> Result<Bytes, DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeErrorKind::LengthPastEnd {
                what,
                len: n,
                remaining: self.buf.len(),
            }
            .into());
        }
        Ok(self.buf.split_to(n))
    }

    /// A boolean: any non-zero byte is true, as in Kafka.
    #[inline]
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.i8()? != 0)
    }

    #[inline]
    pub fn i8(&mut self) -> Result<i8, DecodeError> {
        self.need("int8", 1)?;
        Ok(self.buf.get_i8())
    }

    #[inline]
    pub fn i16(&mut self) -> Result<i16, DecodeError> {
        self.need("int16", 2)?;
        Ok(self.buf.get_i16())
    }

    #[inline]
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        self.need("uint16", 2)?;
        Ok(self.buf.get_u16())
    }

    #[inline]
    pub fn i32(&mut self) -> Result<i32, DecodeError> {
        self.need("int32", 4)?;
        Ok(self.buf.get_i32())
    }

    #[inline]
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.need("uint32", 4)?;
        Ok(self.buf.get_u32())
    }

    #[inline]
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        self.need("int64", 8)?;
        Ok(self.buf.get_i64())
    }

    #[inline]
    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        self.need("float64", 8)?;
        Ok(self.buf.get_f64())
    }

    #[inline]
    pub fn uuid(&mut self) -> Result<Uuid, DecodeError> {
        self.need("uuid", 16)?;
        let mut raw = [0u8; 16];
        self.buf.copy_to_slice(&mut raw);
        Ok(Uuid(raw))
    }

    #[inline]
    fn uvarint64(&mut self, max_bytes: usize) -> Result<u64, DecodeError> {
        // Almost every length, count and tag fits in one byte: skip the loop for those.
        if let Some(&b) = self.buf.first()
            && b < 0x80
        {
            self.buf.advance(1);
            return Ok(u64::from(b));
        }
        let mut value = 0u64;
        for i in 0..max_bytes {
            self.need("varint", 1)?;
            let b = self.buf.get_u8();
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeErrorKind::VarintTooLong { max: max_bytes }.into())
    }

    /// An unsigned varint of at most 5 bytes (Kafka's `readUnsignedVarint`).
    #[inline]
    pub fn uvarint(&mut self) -> Result<u32, DecodeError> {
        // Five 7-bit groups carry 35 bits; like Kafka, the excess high bits are dropped.
        Ok(self.uvarint64(5)? as u32)
    }

    /// A zig-zag signed varint (int32).
    #[inline]
    pub fn varint(&mut self) -> Result<i32, DecodeError> {
        let raw = self.uvarint()?;
        Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
    }

    /// A zig-zag signed varlong (int64, at most 10 bytes).
    #[inline]
    pub fn varlong(&mut self) -> Result<i64, DecodeError> {
        let raw = self.uvarint64(10)?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    /// Reads a length prefix: int16 (`wide == false`) or int32 when not flexible, compact
    /// unsigned varint (length + 1) when flexible. `None` is null.
    #[inline]
    fn length(
        &mut self,
        what: &'static str,
        flexible: bool,
        wide: bool,
    ) -> Result<Option<usize>, DecodeError> {
        let len: i64 = if flexible {
            i64::from(self.uvarint()?) - 1
        } else if wide {
            i64::from(self.i32()?)
        } else {
            i64::from(self.i16()?)
        };
        let max = if wide { i32::MAX } else { i16::MAX.into() };
        match len {
            -1 => Ok(None),
            n if n < -1 => Err(DecodeErrorKind::NegativeLength { what, len: n }.into()),
            // Only reachable in compact form; Kafka rejects these lengths too.
            n if n > i64::from(max) => Err(DecodeErrorKind::TooLong { what, len: n }.into()),
            // Non-negative and at most u32::MAX, so it fits usize on every supported target.
            n => Ok(Some(n as usize)),
        }
    }

    #[inline]
    fn sized(
        &mut self,
        what: &'static str,
        flexible: bool,
        wide: bool,
    ) -> Result<Option<Bytes>, DecodeError> {
        match self.length(what, flexible, wide)? {
            None => Ok(None),
            Some(n) => self.take(what, n).map(Some),
        }
    }

    fn utf8(raw: Bytes) -> Result<String, DecodeError> {
        match std::str::from_utf8(&raw) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(DecodeErrorKind::InvalidUtf8.into()),
        }
    }

    /// A nullable string (int16 length, or compact when `flexible`).
    pub fn nullable_string(&mut self, flexible: bool) -> Result<Option<String>, DecodeError> {
        self.sized("string", flexible, false)?
            .map(Self::utf8)
            .transpose()
    }

    /// A non-nullable string.
    pub fn string(&mut self, flexible: bool) -> Result<String, DecodeError> {
        match self.nullable_string(flexible)? {
            Some(s) => Ok(s),
            None => Err(DecodeErrorKind::UnexpectedNull { what: "string" }.into()),
        }
    }

    /// Nullable bytes (int32 length, or compact), as a zero-copy slice.
    pub fn nullable_bytes(&mut self, flexible: bool) -> Result<Option<Bytes>, DecodeError> {
        self.sized("bytes", flexible, true)
    }

    /// Non-nullable bytes, as a zero-copy slice.
    pub fn bytes(&mut self, flexible: bool) -> Result<Bytes, DecodeError> {
        self.nullable_bytes(flexible)?
            .ok_or_else(|| DecodeErrorKind::UnexpectedNull { what: "bytes" }.into())
    }

    /// Nullable records (same framing as bytes), as a zero-copy slice.
    pub fn nullable_records(&mut self, flexible: bool) -> Result<Option<Bytes>, DecodeError> {
        self.sized("records", flexible, true)
    }

    /// Non-nullable records, as a zero-copy slice.
    pub fn records(&mut self, flexible: bool) -> Result<Bytes, DecodeError> {
        self.nullable_records(flexible)?
            .ok_or_else(|| DecodeErrorKind::UnexpectedNull { what: "records" }.into())
    }

    /// A nullable array whose elements each take at least `min_size` bytes on the wire.
    ///
    /// The count is checked against the bytes left before anything is allocated, and the
    /// initial capacity is capped, so a hostile count never causes a large allocation.
    pub fn nullable_array<T>(
        &mut self,
        flexible: bool,
        min_size: usize,
        mut element: impl FnMut(&mut Decoder) -> Result<T, DecodeError>,
    ) -> Result<Option<Vec<T>>, DecodeError> {
        let Some(count) = self.length("array", flexible, true)? else {
            return Ok(None);
        };
        let min_size = min_size.max(1);
        if count > self.buf.len() / min_size {
            return Err(DecodeErrorKind::CountPastEnd {
                count,
                min_size,
                remaining: self.buf.len(),
            }
            .into());
        }
        // Elements can be larger in memory than on the wire; cap the up-front reservation.
        const MAX_PREALLOC_BYTES: usize = 64 * 1024;
        let cap = count.min(MAX_PREALLOC_BYTES / std::mem::size_of::<T>().max(1));
        let mut out = Vec::with_capacity(cap);
        for i in 0..count {
            out.push(element(self).map_err(|e| e.in_index(i))?);
        }
        Ok(Some(out))
    }

    /// A non-nullable array (see [`Decoder::nullable_array`]).
    pub fn array<T>(
        &mut self,
        flexible: bool,
        min_size: usize,
        element: impl FnMut(&mut Decoder) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        self.nullable_array(flexible, min_size, element)?
            .ok_or_else(|| DecodeErrorKind::UnexpectedNull { what: "array" }.into())
    }

    /// A nullable struct: an int8 marker (negative = null) and, when present, the struct.
    pub fn nullable_struct<T>(
        &mut self,
        read: impl FnOnce(&mut Decoder) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        if self.struct_present()? {
            read(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The presence marker of a nullable struct: a negative int8 means null.
    pub fn struct_present(&mut self) -> Result<bool, DecodeError> {
        Ok(self.i8()? >= 0)
    }

    /// Reads a tagged-field section. `known(tag, field_decoder)` decodes a known tag from a
    /// decoder limited to the field's bytes and returns `Ok(false)` for a tag it does not know,
    /// which is then kept in `unknown`.
    pub fn tagged_fields(
        &mut self,
        unknown: &mut Vec<RawTaggedField>,
        mut known: impl FnMut(u32, &mut Decoder) -> Result<bool, DecodeError>,
    ) -> Result<(), DecodeError> {
        let count = self.uvarint()?;
        for _ in 0..count {
            let tag = self.uvarint()?;
            let size = self.uvarint()? as usize;
            let data = self.take("tagged field", size)?;
            let mut field = Decoder::new(data.clone());
            if known(tag, &mut field)? {
                if !field.buf.is_empty() {
                    return Err(DecodeErrorKind::TaggedFieldSize {
                        tag,
                        size,
                        left: field.buf.len(),
                    }
                    .into());
                }
            } else {
                unknown.push(RawTaggedField { tag, data });
            }
        }
        Ok(())
    }
}

/// The size of an unsigned varint.
pub const fn uvarint_size(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// The size of a zig-zag varint.
pub const fn varint_size(v: i32) -> usize {
    uvarint_size(((v << 1) ^ (v >> 31)) as u32)
}

/// The size of a zig-zag varlong.
pub const fn varlong_size(v: i64) -> usize {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}

/// The size of a length or count prefix for `len` (`None` = null).
pub fn length_prefix_size(len: Option<usize>, flexible: bool, wide: bool) -> usize {
    if flexible {
        uvarint_size(len.map_or(0, |n| (n as u32).wrapping_add(1)))
    } else if wide {
        4
    } else {
        2
    }
}

/// The encoded size of a string of `len` bytes (`None` = null).
pub fn string_size(len: Option<usize>, flexible: bool) -> usize {
    length_prefix_size(len, flexible, false) + len.unwrap_or(0)
}

/// The encoded size of bytes/records of `len` bytes (`None` = null).
pub fn bytes_size(len: Option<usize>, flexible: bool) -> usize {
    length_prefix_size(len, flexible, true) + len.unwrap_or(0)
}

/// The encoded size of an array prefix for `len` elements (`None` = null).
pub fn array_prefix_size(len: Option<usize>, flexible: bool) -> usize {
    length_prefix_size(len, flexible, true)
}

/// The encoded size of unknown tagged fields (tag, size and data of each).
pub fn raw_tagged_size(fields: &[RawTaggedField]) -> usize {
    fields
        .iter()
        .map(|f| uvarint_size(f.tag) + uvarint_size(f.data.len() as u32) + f.data.len())
        .sum()
}

/// The encoded size of a known tagged field whose value takes `size` bytes.
pub fn tagged_field_size(tag: u32, size: usize) -> usize {
    uvarint_size(tag) + uvarint_size(size as u32) + size
}

/// The error for a value too long for its length prefix; cold so that the length writer
/// stays small enough to inline.
#[cold]
fn too_long(what: &'static str, len: usize, max: usize) -> EncodeError {
    EncodeError::TooLong { what, len, max }
}

/// A sink for encoded bytes. Everything has a default implementation on top of
/// [`Writer::write_slice`]; [`Writer::put_records`] may keep the buffer instead of copying it.
pub trait Writer {
    /// Appends raw bytes (copied).
    fn write_slice(&mut self, src: &[u8]);

    /// Appends a record batch's bytes; writers that can chain buffers keep them uncopied.
    fn put_records(&mut self, records: &Bytes) {
        self.write_slice(records);
    }

    #[inline]
    fn write_bool(&mut self, v: bool) {
        self.write_slice(&[u8::from(v)]);
    }
    #[inline]
    fn write_i8(&mut self, v: i8) {
        self.write_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_i16(&mut self, v: i16) {
        self.write_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_u16(&mut self, v: u16) {
        self.write_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_i32(&mut self, v: i32) {
        self.write_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.write_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_i64(&mut self, v: i64) {
        self.write_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_f64(&mut self, v: f64) {
        self.write_slice(&v.to_be_bytes());
    }
    #[inline]
    fn write_uuid(&mut self, v: &Uuid) {
        self.write_slice(&v.0);
    }

    #[inline]
    fn write_uvarint(&mut self, mut v: u32) {
        // One byte for nearly every length and count: a fixed-size write the compiler turns
        // into a single store instead of a variable-length copy.
        if v < 0x80 {
            self.write_slice(&[v as u8]);
            return;
        }
        let mut buf = [0u8; 5];
        let mut n = 0;
        while v >= 0x80 {
            buf[n] = (v as u8) | 0x80;
            v >>= 7;
            n += 1;
        }
        buf[n] = v as u8;
        self.write_slice(&buf[..=n]);
    }
    #[inline]
    fn write_varint(&mut self, v: i32) {
        self.write_uvarint(((v << 1) ^ (v >> 31)) as u32);
    }
    fn write_varlong(&mut self, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        let mut buf = [0u8; 10];
        let mut n = 0;
        while z >= 0x80 {
            buf[n] = (z as u8) | 0x80;
            z >>= 7;
            n += 1;
        }
        buf[n] = z as u8;
        self.write_slice(&buf[..=n]);
    }

    /// A length or count prefix (`None` = null): int16/int32, or compact when flexible.
    // Always inlined: called for every string, byte array and array, and with constant
    // `flexible`/`wide` arguments the match folds to one arm at each call site.
    #[inline(always)]
    fn write_length(
        &mut self,
        what: &'static str,
        len: Option<usize>,
        flexible: bool,
        wide: bool,
    ) -> Result<(), EncodeError> {
        // Kafka bounds strings by int16 and everything else by int32 in both encodings.
        let max = if wide {
            i32::MAX as usize
        } else {
            i16::MAX as usize
        };
        match len {
            Some(n) if n > max => return Err(too_long(what, n, max)),
            _ => {}
        }
        match (flexible, wide, len) {
            (true, _, None) => self.write_uvarint(0),
            (true, _, Some(n)) => self.write_uvarint(n as u32 + 1),
            (false, true, None) => self.write_i32(-1),
            (false, true, Some(n)) => self.write_i32(n as i32),
            (false, false, None) => self.write_i16(-1),
            (false, false, Some(n)) => self.write_i16(n as i16),
        }
        Ok(())
    }

    fn write_nullable_string(
        &mut self,
        v: Option<&str>,
        flexible: bool,
    ) -> Result<(), EncodeError> {
        self.write_length("string", v.map(str::len), flexible, false)?;
        if let Some(s) = v {
            self.write_slice(s.as_bytes());
        }
        Ok(())
    }
    fn write_string(&mut self, v: &str, flexible: bool) -> Result<(), EncodeError> {
        self.write_nullable_string(Some(v), flexible)
    }
    fn write_nullable_bytes(
        &mut self,
        v: Option<&Bytes>,
        flexible: bool,
    ) -> Result<(), EncodeError> {
        self.write_length("bytes", v.map(Bytes::len), flexible, true)?;
        if let Some(b) = v {
            self.write_slice(b);
        }
        Ok(())
    }
    fn write_bytes(&mut self, v: &Bytes, flexible: bool) -> Result<(), EncodeError> {
        self.write_nullable_bytes(Some(v), flexible)
    }
    fn write_nullable_records_field(
        &mut self,
        v: Option<&Bytes>,
        flexible: bool,
    ) -> Result<(), EncodeError> {
        self.write_length("records", v.map(Bytes::len), flexible, true)?;
        if let Some(b) = v {
            self.put_records(b);
        }
        Ok(())
    }
    fn write_records_field(&mut self, v: &Bytes, flexible: bool) -> Result<(), EncodeError> {
        self.write_nullable_records_field(Some(v), flexible)
    }
    #[inline(always)]
    fn write_array_len(&mut self, len: Option<usize>, flexible: bool) -> Result<(), EncodeError> {
        self.write_length("array", len, flexible, true)
    }
    fn write_raw_tagged(&mut self, f: &RawTaggedField) {
        self.write_uvarint(f.tag);
        self.write_uvarint(f.data.len() as u32);
        self.write_slice(&f.data);
    }
}

impl Writer for BytesMut {
    #[inline]
    fn write_slice(&mut self, src: &[u8]) {
        self.extend_from_slice(src);
    }
}

impl Writer for Vec<u8> {
    #[inline]
    fn write_slice(&mut self, src: &[u8]) {
        self.extend_from_slice(src);
    }
}

/// Writes unknown tagged fields with a tag below `limit` (so they interleave with the known
/// ones in tag order, as Kafka writes them).
pub fn write_raw_tagged_below<'a, W: Writer + ?Sized>(
    w: &mut W,
    raw: &mut std::iter::Peekable<std::slice::Iter<'a, RawTaggedField>>,
    limit: u32,
) {
    while let Some(f) = raw.next_if(|f| f.tag < limit) {
        w.write_raw_tagged(f);
    }
}

/// A writer that produces a chain of buffers: small values are copied into the current
/// buffer, record batches of at least [`ChainWriter::ZERO_COPY_MIN`] bytes are kept as their
/// own chunk (no copy), ready for vectored writes.
#[derive(Debug, Default)]
pub struct ChainWriter {
    chunks: Vec<Bytes>,
    current: BytesMut,
    len: usize,
}

impl ChainWriter {
    /// Records smaller than this are copied: an extra iovec costs more than the copy.
    pub const ZERO_COPY_MIN: usize = 1024;

    /// An empty writer whose first buffer has room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        ChainWriter {
            chunks: Vec::new(),
            current: BytesMut::with_capacity(capacity),
            len: 0,
        }
    }

    /// Total bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, in order; none is empty.
    pub fn finish(mut self) -> Vec<Bytes> {
        if !self.current.is_empty() {
            self.chunks.push(self.current.freeze());
        }
        self.chunks
    }
}

impl Writer for ChainWriter {
    #[inline]
    fn write_slice(&mut self, src: &[u8]) {
        self.current.extend_from_slice(src);
        self.len += src.len();
    }

    fn put_records(&mut self, records: &Bytes) {
        if records.len() < Self::ZERO_COPY_MIN {
            self.write_slice(records);
            return;
        }
        if !self.current.is_empty() {
            self.chunks.push(self.current.split().freeze());
        }
        self.chunks.push(records.clone());
        self.len += records.len();
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Encodes `m` in `version` with both writers, checks the size, the two encodings'
    /// equality, that decoding consumes everything and gives back `m`.
    pub(crate) fn assert_round_trip<M: Message>(m: &M, version: i16) {
        let mut buf = BytesMut::new();
        m.encode(&mut buf, version)
            .unwrap_or_else(|e| panic!("{} v{version}: encode: {e}", M::NAME));
        assert_eq!(
            buf.len(),
            m.encoded_size(version),
            "{} v{version}: encoded_size",
            M::NAME
        );
        let mut chain = ChainWriter::default();
        m.encode(&mut chain, version)
            .unwrap_or_else(|e| panic!("{} v{version}: chain encode: {e}", M::NAME));
        let joined: Vec<u8> = chain.finish().iter().flat_map(|c| c.to_vec()).collect();
        assert_eq!(&joined[..], &buf[..], "{} v{version}: chain bytes", M::NAME);
        let mut d = Decoder::new(buf.freeze());
        let back =
            M::decode(&mut d, version).unwrap_or_else(|e| panic!("{} v{version}: {e}", M::NAME));
        assert_eq!(d.remaining(), 0, "{} v{version}: bytes left", M::NAME);
        assert_eq!(&back, m, "{} v{version}: round trip", M::NAME);
    }

    /// A tiny deterministic PRNG (xorshift64*) so fuzz-style tests are reproducible.
    #[derive(Debug, Clone)]
    pub(crate) struct Rng(u64);

    impl Rng {
        pub(crate) fn new(seed: u64) -> Self {
            Rng(seed.max(1))
        }

        pub(crate) fn next_u64(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// A value in `0..n` (`n > 0`).
        pub(crate) fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// Decodes many corrupted variants of `m`'s encoding (bytes flipped, set to boundary
    /// values, inserted, removed, truncated). Decoding may fail but must never panic.
    pub(crate) fn decode_mutations<M: Message>(m: &M, version: i16) {
        let mut buf = BytesMut::new();
        if m.encode(&mut buf, version).is_err() {
            return;
        }
        let original = buf.to_vec();
        let mut rng = Rng::new(0x5eed ^ (version as u64) ^ ((original.len() as u64) << 16));
        for _ in 0..40 {
            let mut bytes = original.clone();
            for _ in 0..=rng.below(3) {
                let len = bytes.len();
                match rng.below(5) {
                    0 if len > 0 => {
                        let i = rng.below(len);
                        bytes[i] ^= 1 << rng.below(8);
                    }
                    1 if len > 0 => {
                        let i = rng.below(len);
                        bytes[i] = [0x00, 0x7f, 0x80, 0xff][rng.below(4)];
                    }
                    2 => {
                        let i = rng.below(len + 1);
                        bytes.insert(i, rng.next_u64() as u8);
                    }
                    3 if len > 0 => {
                        bytes.remove(rng.below(len));
                    }
                    _ => bytes.truncate(rng.below(len + 1)),
                }
            }
            let mut d = Decoder::new(Bytes::from(bytes));
            let _ = M::decode(&mut d, version);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(bytes: &[u8]) -> Decoder {
        Decoder::new(Bytes::copy_from_slice(bytes))
    }

    #[test]
    fn varints_round_trip_and_sizes() {
        for v in [0i32, 1, -1, 63, -64, 64, 300, i32::MAX, i32::MIN] {
            let mut w = Vec::new();
            w.write_varint(v);
            assert_eq!(w.len(), varint_size(v));
            assert_eq!(dec(&w).varint().unwrap(), v);
        }
        for v in [0i64, -1, 1 << 40, i64::MAX, i64::MIN] {
            let mut w = Vec::new();
            w.write_varlong(v);
            assert_eq!(w.len(), varlong_size(v));
            assert_eq!(dec(&w).varlong().unwrap(), v);
        }
        for v in [0u32, 127, 128, 16383, 16384, u32::MAX] {
            let mut w = Vec::new();
            w.write_uvarint(v);
            assert_eq!(w.len(), uvarint_size(v));
            assert_eq!(dec(&w).uvarint().unwrap(), v);
        }
        // Kafka's encoding of 300 is [0xac, 0x02].
        let mut w = Vec::new();
        w.write_uvarint(300);
        assert_eq!(w, [0xac, 0x02]);
    }

    #[test]
    fn overlong_varint_is_an_error() {
        let err = dec(&[0xff; 6]).uvarint().unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::VarintTooLong { max: 5 });
    }

    #[test]
    fn string_past_end_names_lengths() {
        let mut d = dec(&[0x01, 0x2c, b'a', b'b']);
        let err = d.string(false).unwrap_err().in_field("name").in_index(0);
        let err = err.in_field("topic_data").in_message("ProduceRequest", 7);
        assert_eq!(
            err.to_string(),
            "ProduceRequest v7: topic_data[0].name: string length 300 past end (2 bytes left)"
        );
    }

    #[test]
    fn negative_lengths_other_than_null_fail() {
        assert!(matches!(
            dec(&[0xff, 0xfe])
                .nullable_string(false)
                .unwrap_err()
                .kind(),
            DecodeErrorKind::NegativeLength { len: -2, .. }
        ));
        assert!(matches!(
            dec(&[0xff, 0xff, 0xff, 0xf0])
                .nullable_bytes(false)
                .unwrap_err()
                .kind(),
            DecodeErrorKind::NegativeLength { len: -16, .. }
        ));
        assert_eq!(dec(&[0xff, 0xff]).nullable_string(false).unwrap(), None);
        assert!(dec(&[0xff, 0xff]).string(false).is_err());
        assert_eq!(dec(&[0]).nullable_string(true).unwrap(), None);
    }

    #[test]
    fn huge_array_count_fails_before_allocating() {
        let mut d = dec(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
        let err = d.array(false, 4, |d| d.i32()).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::CountPastEnd { .. }));
        let mut d = dec(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(d.array(true, 1, |d| d.i8()).is_err());
    }

    #[test]
    fn bytes_are_zero_copy_slices() {
        let input = Bytes::from_static(&[0, 0, 0, 3, 1, 2, 3, 9]);
        let mut d = Decoder::new(input.clone());
        let b = d.bytes(false).unwrap();
        assert_eq!(&b[..], &[1, 2, 3]);
        assert_eq!(b.as_ptr(), input[4..].as_ptr());
        assert_eq!(d.remaining(), 1);
        assert!(d.finish().is_err());
    }

    #[test]
    fn chain_writer_keeps_large_records_uncopied() {
        let records = Bytes::from(vec![7u8; 4096]);
        let mut w = ChainWriter::default();
        w.write_i32(5);
        w.write_records_field(&records, false).unwrap();
        w.write_i16(1);
        w.put_records(&Bytes::from_static(b"tiny"));
        assert_eq!(w.len(), 4 + 4 + 4096 + 2 + 4);
        let chunks = w.finish();
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[1].as_ptr(), records.as_ptr());
        assert_eq!(&chunks[2][..], &[0, 1, b't', b'i', b'n', b'y']);
    }

    #[test]
    fn tagged_fields_keep_unknown_and_check_size() {
        // two fields: tag 0 (size 1, value 5) and tag 7 (size 2)
        let mut d = dec(&[2, 0, 1, 5, 7, 2, 0xaa, 0xbb]);
        let mut unknown = Vec::new();
        let mut seen = None;
        d.tagged_fields(&mut unknown, |tag, fd| {
            if tag == 0 {
                seen = Some(fd.i8()?);
                Ok(true)
            } else {
                Ok(false)
            }
        })
        .unwrap();
        assert_eq!(seen, Some(5));
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].tag, 7);
        assert_eq!(&unknown[0].data[..], &[0xaa, 0xbb]);
        // a known field that leaves bytes unread is an error
        let mut d = dec(&[1, 0, 2, 5, 6]);
        let err = d
            .tagged_fields(&mut Vec::new(), |_, fd| fd.i8().map(|_| true))
            .unwrap_err();
        assert!(matches!(
            err.kind(),
            DecodeErrorKind::TaggedFieldSize { .. }
        ));
    }

    #[test]
    fn string_too_long_for_int16_fails_to_encode() {
        let long = "x".repeat(40_000);
        let err = Vec::new().write_string(&long, false).unwrap_err();
        assert!(matches!(err, EncodeError::TooLong { len: 40_000, .. }));
        // Kafka applies the int16 limit to compact strings too.
        assert!(Vec::new().write_string(&long, true).is_err());
        assert!(Vec::new().write_string(&"x".repeat(32_767), true).is_ok());
        let mut compact = Vec::new();
        compact.write_uvarint(40_001);
        compact.extend_from_slice(long.as_bytes());
        assert!(matches!(
            dec(&compact).string(true).unwrap_err().kind(),
            DecodeErrorKind::TooLong { len: 40_000, .. }
        ));
    }

    #[test]
    fn uuid_prints_like_kafka() {
        assert_eq!(Uuid::ZERO.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(Uuid([0xff; 16]).to_string(), "_____________________w");
    }
}
