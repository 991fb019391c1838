//! Kafka's framing: every request and response is an int32 byte length followed by that many
//! bytes. [`decode_frame`] splits complete frames off a connection's read buffer and refuses
//! oversized ones from the 4-byte prefix alone, before any body byte is buffered or allocated.

use bytes::{Buf, Bytes, BytesMut};

/// Kafka's default `socket.request.max.bytes` (100 MiB).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 104_857_600;

/// The size of the length prefix.
pub const LENGTH_PREFIX: usize = 4;

/// The outcome of looking for one frame at the front of a read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole frame body (without its length prefix), removed from the buffer.
    Complete(Bytes),
    /// More bytes are needed: at least `needed` more than the buffer holds now.
    Incomplete { needed: usize },
    /// The prefix announces `size` bytes, more than `max`; the connection should be closed.
    /// The buffer is left as it was.
    TooLarge { size: usize, max: usize },
}

/// A frame that cannot be valid whatever follows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A negative length prefix.
    #[error("negative frame length {0}")]
    NegativeLength(i32),
}

/// Takes one frame off the front of `buf` if it is complete. `max` is the largest body
/// accepted (`socket.request.max.bytes` on a broker).
pub fn decode_frame(buf: &mut BytesMut, max: usize) -> Result<Frame, FrameError> {
    let Some(prefix) = buf.get(..LENGTH_PREFIX) else {
        return Ok(Frame::Incomplete {
            needed: LENGTH_PREFIX - buf.len(),
        });
    };
    let len = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    let size = usize::try_from(len).map_err(|_| FrameError::NegativeLength(len))?;
    if size > max {
        return Ok(Frame::TooLarge { size, max });
    }
    let total = LENGTH_PREFIX + size;
    if buf.len() < total {
        return Ok(Frame::Incomplete {
            needed: total - buf.len(),
        });
    }
    buf.advance(LENGTH_PREFIX);
    Ok(Frame::Complete(buf.split_to(size).freeze()))
}

/// The length prefix for a frame body of `size` bytes, or `None` if it exceeds int32.
pub fn length_prefix(size: usize) -> Option<[u8; 4]> {
    i32::try_from(size).ok().map(i32::to_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_complete_frames_and_waits_for_partial_ones() {
        let mut buf = BytesMut::from(&[0u8, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 2, b'x'][..]);
        assert_eq!(
            decode_frame(&mut buf, 100),
            Ok(Frame::Complete(Bytes::from_static(b"abc")))
        );
        assert_eq!(
            decode_frame(&mut buf, 100),
            Ok(Frame::Incomplete { needed: 1 })
        );
        buf.extend_from_slice(b"y");
        assert_eq!(
            decode_frame(&mut buf, 100),
            Ok(Frame::Complete(Bytes::from_static(b"xy")))
        );
        assert!(buf.is_empty());
        assert_eq!(
            decode_frame(&mut buf, 100),
            Ok(Frame::Incomplete { needed: 4 })
        );
        buf.extend_from_slice(&[0, 0]);
        assert_eq!(
            decode_frame(&mut buf, 100),
            Ok(Frame::Incomplete { needed: 2 })
        );
    }

    #[test]
    fn empty_frame_is_complete() {
        let mut buf = BytesMut::from(&[0u8, 0, 0, 0][..]);
        assert_eq!(decode_frame(&mut buf, 0), Ok(Frame::Complete(Bytes::new())));
    }

    #[test]
    fn oversized_prefix_is_refused_before_the_body() {
        // 2 GiB - 1 announced, nothing else buffered.
        let mut buf = BytesMut::from(&[0x7fu8, 0xff, 0xff, 0xff][..]);
        assert_eq!(
            decode_frame(&mut buf, DEFAULT_MAX_REQUEST_BYTES),
            Ok(Frame::TooLarge {
                size: 0x7fff_ffff,
                max: DEFAULT_MAX_REQUEST_BYTES
            })
        );
        assert_eq!(buf.len(), 4, "buffer untouched");
        assert!(buf.capacity() < 1024, "nothing reserved for the body");
        let mut buf = BytesMut::from(&[0u8, 0, 0, 101][..]);
        assert_eq!(
            decode_frame(&mut buf, 100),
            Ok(Frame::TooLarge {
                size: 101,
                max: 100
            })
        );
    }

    #[test]
    fn negative_length_is_an_error() {
        let mut buf = BytesMut::from(&[0xffu8, 0xff, 0xff, 0xfe][..]);
        assert_eq!(
            decode_frame(&mut buf, 100),
            Err(FrameError::NegativeLength(-2))
        );
        // 2 GiB as an unsigned prefix is negative as int32.
        let mut buf = BytesMut::from(&[0x80u8, 0, 0, 0][..]);
        assert_eq!(
            decode_frame(&mut buf, usize::MAX),
            Err(FrameError::NegativeLength(i32::MIN))
        );
    }

    #[test]
    fn length_prefix_round_trips() {
        assert_eq!(length_prefix(258), Some([0, 0, 1, 2]));
        assert_eq!(length_prefix(usize::MAX), None);
    }
}
