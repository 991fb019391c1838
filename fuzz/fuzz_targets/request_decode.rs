//! Fuzzes request and response body decoding for every API key and version, plus frame
//! splitting and request-header decoding. Input: 2 bytes API key, 2 bytes version (both
//! big-endian, as in a request header), then the body. Nothing may panic, and whatever
//! decodes must re-encode to exactly `encoded_size` bytes that decode to the same encoding.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use rkafka::protocol::codec::Decoder;
use rkafka::protocol::frame::{Frame, decode_frame};
use rkafka::protocol::header::decode_request;
use rkafka::protocol::messages::{Request, Response};

/// Re-encodes a decoded message and checks size and a stable second round. Compared as bytes
/// because float64 fields may hold NaN, which is never equal to itself.
macro_rules! check_round_trip {
    ($ty:ident, $msg:expr, $key:expr, $version:expr) => {{
        let msg = $msg;
        let mut first = BytesMut::new();
        if msg.encode(&mut first, $version).is_ok() {
            assert_eq!(first.len(), msg.encoded_size($version), "encoded_size");
            let mut d = Decoder::new(first.clone().freeze());
            let again = $ty::decode($key, $version, &mut d).expect("re-decode own encoding");
            assert_eq!(d.remaining(), 0, "re-decode left bytes");
            let mut second = BytesMut::new();
            again.encode(&mut second, $version).expect("re-encode");
            assert_eq!(first, second, "unstable encoding");
        }
    }};
}

fuzz_target!(|data: &[u8]| {
    if data.len() >= 4 {
        let key = i16::from_be_bytes([data[0], data[1]]);
        let version = i16::from_be_bytes([data[2], data[3]]);
        let body = Bytes::copy_from_slice(&data[4..]);

        let mut d = Decoder::new(body.clone());
        if let Ok(req) = Request::decode(key, version, &mut d) {
            check_round_trip!(Request, req, key, version);
        }
        let mut d = Decoder::new(body);
        if let Ok(resp) = Response::decode(key, version, &mut d) {
            check_round_trip!(Response, resp, key, version);
        }
    }

    // The same bytes as a whole request frame: header (version picked from key and version)
    // and body.
    let _ = decode_request(Bytes::copy_from_slice(data));

    // And as a connection's read buffer: split frames (small limit) and decode each.
    let mut conn = BytesMut::from(data);
    while let Ok(Frame::Complete(frame)) = decode_frame(&mut conn, 64 * 1024) {
        let _ = decode_request(frame);
    }
});
