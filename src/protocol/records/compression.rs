//! The compression codecs of a v2 record batch body (attribute bits 0-2), bounded on the way in.
//!
//! Only the records section after the 61-byte batch header is compressed, as one stream:
//! - gzip: RFC 1952; several concatenated members are read like Java's `GZIPInputStream` does.
//! - snappy: the Java client writes xerial's framing (`\x82SNAPPY\0`, version 1, compatible
//!   version 1, then blocks of big-endian int32 length + raw snappy of at most 32 KiB input);
//!   some writers send one raw snappy block. Decompression detects which; compression writes
//!   xerial framing like the Java client.
//! - lz4: the standard LZ4 frame format (magic 2 fixed the header checksum quirk that
//!   Kafka's magic 0/1 writers had; old formats are not compressed by this module). We write
//!   what Kafka's Java writer writes: 64 KiB independent blocks, no checksums, no content size.
//! - zstd: standard zstd frames (concatenated frames are accepted).
//!
//! Decompression takes a hard limit on the output size and pulls output in chunks, so a
//! decompression bomb fails with [`CompressionError::TooLarge`] once the limit is crossed,
//! before memory grows past it. The output buffer never reserves more than the limit. The
//! decoders' own working memory is bounded apart from that: a few 4 MiB blocks for lz4, the
//! frame's declared window for zstd (at most libzstd's default cap of 128 MiB, the same cap
//! Kafka's Java reader has), nothing beyond the output for gzip and snappy.

use std::io::{self, Read, Write};

/// Default cap on a decompressed batch body (64 MiB), for callers without a better bound.
pub const DEFAULT_DECOMPRESSION_LIMIT: usize = 64 << 20;

/// Magic bytes that open a xerial-framed snappy stream.
pub const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Uncompressed bytes per xerial block, as the Java client's `SnappyOutputStream` uses.
const XERIAL_BLOCK: usize = 32 * 1024;
/// Size of the xerial header: magic, version int32, compatible version int32.
const XERIAL_HEADER_LEN: usize = 16;
/// Bytes pulled from a streaming decoder per read.
const CHUNK: usize = 64 * 1024;

/// A batch compression codec, with Kafka's attribute ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    /// All codecs, in id order.
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// The codec with attribute id `id` (0..=4), if any.
    pub fn from_id(id: u8) -> Option<Compression> {
        Compression::ALL.get(usize::from(id)).copied()
    }

    /// The attribute id written in bits 0-2 of a batch's attributes.
    pub fn id(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// Kafka's `compression.type` name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The codec named by Kafka's `compression.type` value (`none`, `gzip`, ...).
    pub fn from_name(name: &str) -> Option<Compression> {
        Compression::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Why a body could not be compressed or decompressed.
#[derive(Debug, thiserror::Error)]
pub enum CompressionError {
    /// Decompressed output would exceed the caller's limit (bytes).
    #[error("decompressed size exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// The compressed bytes are malformed or truncated.
    #[error("corrupt compressed data: {reason}")]
    Corrupt { reason: String },
    /// The compression level is outside what the codec accepts.
    #[error("compression level {level} is not valid for {codec}")]
    BadLevel { codec: &'static str, level: i32 },
    /// The encoder failed (writing to memory; only codec-internal failures end up here).
    #[error("compression failed: {0}")]
    Encode(#[source] io::Error),
}

fn corrupt(reason: impl ToString) -> CompressionError {
    CompressionError::Corrupt {
        reason: reason.to_string(),
    }
}

/// Appends `input` compressed with `codec` to `out`. `level` is the codec's level (gzip 0-9,
/// zstd -131072..=22); `None` uses Kafka's defaults (gzip 6, zstd 3). Snappy and lz4 have no
/// level here and ignore it.
pub fn compress(
    codec: Compression,
    level: Option<i32>,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    match codec {
        Compression::None => out.extend_from_slice(input),
        Compression::Gzip => {
            let level = level.unwrap_or(6);
            let level = u32::try_from(level).ok().filter(|l| *l <= 9).ok_or(
                CompressionError::BadLevel {
                    codec: "gzip",
                    level,
                },
            )?;
            let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::new(level));
            enc.write_all(input).map_err(CompressionError::Encode)?;
            enc.finish().map_err(CompressionError::Encode)?;
        }
        Compression::Snappy => compress_xerial(input, out)?,
        Compression::Lz4 => {
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .block_mode(lz4_flex::frame::BlockMode::Independent);
            let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
            enc.write_all(input).map_err(CompressionError::Encode)?;
            enc.finish()
                .map_err(|e| CompressionError::Encode(io::Error::other(e)))?;
        }
        Compression::Zstd => {
            let level = level.unwrap_or(3);
            let range = zstd::compression_level_range();
            if !range.contains(&level) {
                return Err(CompressionError::BadLevel {
                    codec: "zstd",
                    level,
                });
            }
            let mut enc =
                zstd::stream::Encoder::new(out, level).map_err(CompressionError::Encode)?;
            enc.write_all(input).map_err(CompressionError::Encode)?;
            enc.finish().map_err(CompressionError::Encode)?;
        }
    }
    Ok(())
}

/// Decompresses `input` with `codec`, failing with [`CompressionError::TooLarge`] as soon as
/// the output would exceed `limit` bytes. `Compression::None` copies (callers normally do not
/// call this for uncompressed bodies).
pub fn decompress(
    codec: Compression,
    input: &[u8],
    limit: usize,
) -> Result<Vec<u8>, CompressionError> {
    match codec {
        Compression::None => {
            if input.len() > limit {
                return Err(CompressionError::TooLarge { limit });
            }
            Ok(input.to_vec())
        }
        Compression::Gzip => read_bounded(flate2::read::MultiGzDecoder::new(input), input, limit),
        Compression::Snappy => decompress_snappy(input, limit),
        Compression::Lz4 => read_bounded(lz4_flex::frame::FrameDecoder::new(input), input, limit),
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(input).map_err(corrupt)?;
            read_bounded(dec, input, limit)
        }
    }
}

/// Drains a streaming decoder into a buffer that never holds or reserves more than `limit`.
fn read_bounded<R: Read>(
    mut reader: R,
    input: &[u8],
    limit: usize,
) -> Result<Vec<u8>, CompressionError> {
    // A typical body compresses a few times; start there rather than at the limit.
    let mut out = Vec::with_capacity(input.len().saturating_mul(4).min(limit));
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(corrupt(e)),
        };
        reserve_within(&mut out, n, limit)?;
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Makes room for `n` more bytes in `out`, failing if that would pass `limit`. Grows
/// geometrically like `Vec` does, but never reserves past the limit (plain `extend` or
/// `resize` could double the capacity beyond it).
fn reserve_within(out: &mut Vec<u8>, n: usize, limit: usize) -> Result<(), CompressionError> {
    let room = limit - out.len();
    if n > room {
        return Err(CompressionError::TooLarge { limit });
    }
    if out.capacity() - out.len() < n {
        out.reserve_exact(out.capacity().max(n).min(room));
    }
    Ok(())
}

/// Snappy: xerial framing when the magic is there, else one raw snappy block.
fn decompress_snappy(input: &[u8], limit: usize) -> Result<Vec<u8>, CompressionError> {
    let mut decoder = snap::raw::Decoder::new();
    let Some(mut rest) = input.strip_prefix(&XERIAL_MAGIC[..]) else {
        let mut out = Vec::new();
        snappy_block(&mut decoder, input, &mut out, limit)?;
        return Ok(out);
    };
    // Version and compatible version: the Java reader accepts any values it knows of; so do we.
    rest = rest
        .get(XERIAL_HEADER_LEN - XERIAL_MAGIC.len()..)
        .ok_or_else(|| corrupt("xerial snappy header truncated"))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (len_bytes, after) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| corrupt("xerial snappy block length truncated"))?;
        let len = i32::from_be_bytes(*len_bytes);
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l > 0 && *l <= after.len())
            .ok_or_else(|| {
                corrupt(format!(
                    "xerial snappy block length {len} with {} bytes left",
                    after.len()
                ))
            })?;
        let (block, next) = after.split_at(len);
        snappy_block(&mut decoder, block, &mut out, limit)?;
        rest = next;
    }
    Ok(out)
}

/// Appends one raw snappy block to `out`, checking its declared size against the limit first.
fn snappy_block(
    decoder: &mut snap::raw::Decoder,
    block: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), CompressionError> {
    let len = snap::raw::decompress_len(block).map_err(corrupt)?;
    reserve_within(out, len, limit)?;
    let start = out.len();
    out.resize(start + len, 0);
    let n = decoder
        .decompress(block, &mut out[start..])
        .map_err(corrupt)?;
    if n != len {
        return Err(corrupt(format!(
            "snappy block declared {len} bytes, produced {n}"
        )));
    }
    Ok(())
}

/// Writes xerial-framed snappy, as the Java client's `SnappyOutputStream` does.
fn compress_xerial(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    out.extend_from_slice(&XERIAL_MAGIC);
    out.extend_from_slice(&1i32.to_be_bytes());
    out.extend_from_slice(&1i32.to_be_bytes());
    let mut encoder = snap::raw::Encoder::new();
    let mut scratch = vec![0u8; snap::raw::max_compress_len(XERIAL_BLOCK)];
    for block in input.chunks(XERIAL_BLOCK) {
        let n = encoder
            .compress(block, &mut scratch)
            .map_err(|e| CompressionError::Encode(io::Error::other(e)))?;
        // n <= max_compress_len(32 KiB), far below i32::MAX.
        out.extend_from_slice(&(n as i32).to_be_bytes());
        out.extend_from_slice(&scratch[..n]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..100_000u32 {
            v.extend_from_slice(format!("record-{} ", i % 977).as_bytes());
        }
        v
    }

    #[test]
    fn every_codec_round_trips() {
        let data = sample();
        for codec in Compression::ALL {
            let mut c = Vec::new();
            compress(codec, None, &data, &mut c).unwrap();
            if codec != Compression::None {
                assert!(c.len() < data.len() / 2, "{codec:?} did not compress");
            }
            let d = decompress(codec, &c, DEFAULT_DECOMPRESSION_LIMIT).unwrap();
            assert_eq!(d, data, "{codec:?}");
            // Empty input too.
            let mut c = Vec::new();
            compress(codec, None, &[], &mut c).unwrap();
            assert!(decompress(codec, &c, 10).unwrap().is_empty(), "{codec:?}");
        }
    }

    #[test]
    fn ids_and_names() {
        for codec in Compression::ALL {
            assert_eq!(Compression::from_id(codec.id()), Some(codec));
            assert_eq!(Compression::from_name(codec.name()), Some(codec));
        }
        assert_eq!(Compression::from_id(5), None);
        assert_eq!(Compression::from_name("brotli"), None);
    }

    #[test]
    fn snappy_is_xerial_framed_and_raw_is_accepted() {
        let data = sample();
        let mut c = Vec::new();
        compress(Compression::Snappy, None, &data, &mut c).unwrap();
        assert_eq!(&c[..8], &XERIAL_MAGIC);
        assert_eq!(&c[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        let raw = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        assert_eq!(
            decompress(Compression::Snappy, &raw, usize::MAX).unwrap(),
            data
        );
    }

    #[test]
    fn lz4_frame_header_matches_java_writer() {
        let mut c = Vec::new();
        compress(Compression::Lz4, None, b"hello", &mut c).unwrap();
        assert_eq!(&c[..4], &[0x04, 0x22, 0x4d, 0x18], "LZ4 frame magic");
        // FLG: version 01, independent blocks, no checksums, no content size.
        assert_eq!(c[4], 0x60);
        // BD: 64 KiB maximum block size.
        assert_eq!(c[5], 0x40);
    }

    #[test]
    fn bad_levels_are_rejected() {
        let mut out = Vec::new();
        assert!(matches!(
            compress(Compression::Gzip, Some(10), b"x", &mut out),
            Err(CompressionError::BadLevel { level: 10, .. })
        ));
        assert!(matches!(
            compress(Compression::Zstd, Some(99), b"x", &mut out),
            Err(CompressionError::BadLevel { level: 99, .. })
        ));
        compress(Compression::Gzip, Some(1), b"x", &mut out).unwrap();
    }

    #[test]
    fn output_at_exactly_the_limit_is_accepted() {
        let data = vec![7u8; 100_000];
        for codec in Compression::ALL {
            let mut c = Vec::new();
            compress(codec, None, &data, &mut c).unwrap();
            let out = decompress(codec, &c, data.len()).unwrap();
            assert_eq!(out, data, "{codec:?}");
            assert!(
                out.capacity() <= data.len(),
                "{codec:?} reserved past the limit"
            );
            assert!(
                matches!(
                    decompress(codec, &c, data.len() - 1),
                    Err(CompressionError::TooLarge { limit }) if limit == data.len() - 1
                ),
                "{codec:?}"
            );
        }
    }

    #[test]
    fn corrupt_and_truncated_data_is_an_error() {
        let data = sample();
        for codec in Compression::ALL.into_iter().skip(1) {
            let mut c = Vec::new();
            compress(codec, None, &data, &mut c).unwrap();
            let truncated = &c[..c.len() / 2];
            assert!(
                decompress(codec, truncated, DEFAULT_DECOMPRESSION_LIMIT).is_err(),
                "{codec:?} accepted a truncated body"
            );
            let garbage: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
            assert!(
                decompress(codec, &garbage, DEFAULT_DECOMPRESSION_LIMIT).is_err(),
                "{codec:?} accepted garbage"
            );
        }
    }

    #[test]
    fn snappy_block_lengths_are_checked() {
        let mut c = XERIAL_MAGIC.to_vec();
        c.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        c.extend_from_slice(&1000i32.to_be_bytes());
        c.extend_from_slice(&[0; 10]);
        assert!(matches!(
            decompress(Compression::Snappy, &c, 1 << 20),
            Err(CompressionError::Corrupt { .. })
        ));
        let mut c = XERIAL_MAGIC.to_vec();
        c.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        c.extend_from_slice(&(-5i32).to_be_bytes());
        assert!(decompress(Compression::Snappy, &c, 1 << 20).is_err());
        // Header cut short.
        assert!(decompress(Compression::Snappy, &XERIAL_MAGIC, 1 << 20).is_err());
    }

    const GIB: usize = 1 << 30;
    const MIB: usize = 1 << 20;
    const BOMB_LIMIT: usize = 8 * MIB;

    fn assert_bomb_stopped(codec: Compression, bomb: &[u8]) {
        match decompress(codec, bomb, BOMB_LIMIT) {
            Err(CompressionError::TooLarge { limit }) => assert_eq!(limit, BOMB_LIMIT),
            other => panic!("{codec:?} bomb not stopped: {:?}", other.map(|v| v.len())),
        }
    }

    #[test]
    fn gzip_bomb_is_stopped_at_the_limit() {
        // 1 GiB of zeros as 1024 concatenated gzip members of 1 MiB each (~1 KiB apiece);
        // the multi-member reader would inflate all of it.
        let mut member = Vec::new();
        compress(Compression::Gzip, Some(9), &vec![0u8; MIB], &mut member).unwrap();
        let bomb = member.repeat(GIB / MIB);
        assert!(bomb.len() < 2 * MIB);
        assert_bomb_stopped(Compression::Gzip, &bomb);
    }

    #[test]
    fn zstd_bomb_is_stopped_at_the_limit() {
        // One hand-built zstd frame of 8192 RLE blocks of 128 KiB zeros: 1 GiB from ~32 KiB.
        let mut bomb = vec![0x28, 0xb5, 0x2f, 0xfd];
        bomb.push(0x00); // frame header descriptor: no content size, not single-segment
        bomb.push(0x38); // window descriptor: 2^(10+7) = 128 KiB
        let blocks = GIB / (128 * 1024);
        for i in 0..blocks {
            let last = u32::from(i + 1 == blocks);
            let header = last | (1 << 1) | ((128 * 1024) << 3); // RLE block of 128 KiB
            bomb.extend_from_slice(&header.to_le_bytes()[..3]);
            bomb.push(0);
        }
        // Sanity: the frame is valid, a small prefix of it decodes to zeros.
        let mut head = Vec::new();
        let dec = zstd::stream::read::Decoder::new(&bomb[..]).unwrap();
        dec.take(1000).read_to_end(&mut head).unwrap();
        assert_eq!(head, vec![0; 1000]);
        assert_bomb_stopped(Compression::Zstd, &bomb);
    }

    #[test]
    fn lz4_bomb_is_stopped_at_the_limit() {
        // One LZ4 frame of 256 blocks of 4 MiB zeros: take a real one-block frame and repeat
        // its block (header: 7 bytes; then the block; then the 4-byte end mark).
        let info = lz4_flex::frame::FrameInfo::new()
            .block_size(lz4_flex::frame::BlockSize::Max4MB)
            .block_mode(lz4_flex::frame::BlockMode::Independent);
        let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        enc.write_all(&vec![0u8; 4 * MIB]).unwrap();
        let one = enc.finish().unwrap();
        let (header, rest) = one.split_at(7);
        let block = &rest[..rest.len() - 4];
        let mut bomb = header.to_vec();
        for _ in 0..GIB / (4 * MIB) {
            bomb.extend_from_slice(block);
        }
        bomb.extend_from_slice(&[0; 4]);
        assert!(bomb.len() < 8 * MIB);
        assert_bomb_stopped(Compression::Lz4, &bomb);
    }

    #[test]
    fn snappy_bomb_is_stopped_at_the_limit() {
        // xerial framing with 1024 blocks of 1 MiB zeros (~48 KiB each): 1 GiB declared.
        let block = snap::raw::Encoder::new()
            .compress_vec(&vec![0u8; MIB])
            .unwrap();
        let mut bomb = XERIAL_MAGIC.to_vec();
        bomb.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        for _ in 0..GIB / MIB {
            bomb.extend_from_slice(&(block.len() as i32).to_be_bytes());
            bomb.extend_from_slice(&block);
        }
        assert_bomb_stopped(Compression::Snappy, &bomb);
        // A single raw block that declares more than the limit fails before inflating.
        let raw = snap::raw::Encoder::new()
            .compress_vec(&vec![0u8; BOMB_LIMIT + 1])
            .unwrap();
        assert_bomb_stopped(Compression::Snappy, &raw);
    }
}
