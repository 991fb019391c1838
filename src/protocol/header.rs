//! Request and response headers around message bodies: picking the header version for an
//! API key and version, splitting a request frame into header and body, and writing a whole
//! length-prefixed response (or request, for clients).
//!
//! The ApiVersions exception lives here: its response header is always v0, and a broker that
//! does not support the requested ApiVersions version answers with a v0 body carrying error 35
//! (UNSUPPORTED_VERSION) and its version table, which [`unsupported_api_versions_response`]
//! builds.

use bytes::Bytes;

use crate::protocol::api::{self, ApiVersionRange};
use crate::protocol::codec::{
    ApiMessage, ApiRequest, DecodeError, DecodeErrorKind, Decoder, EncodeError, Writer,
};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::frame::length_prefix;
use crate::protocol::messages::{
    ApiKey, ApiVersionsResponse, Request, RequestHeader, Response, ResponseHeader,
    request_header_version, response_header_version,
};

/// A request frame split into its header and a decoder positioned at the body.
#[derive(Debug, Clone)]
pub struct RequestFrame {
    pub api_key: ApiKey,
    /// The request header (`request_api_version` is the body's version).
    pub header: RequestHeader,
    /// The rest of the frame: the body in `header.request_api_version`.
    pub body: Decoder,
}

impl RequestFrame {
    /// The body's version.
    pub fn version(&self) -> i16 {
        self.header.request_api_version
    }

    /// Decodes the body. Bytes after the body are ignored, as Kafka does.
    pub fn decode_body(&mut self) -> Result<Request, DecodeError> {
        Request::decode(self.api_key.key(), self.version(), &mut self.body)
    }
}

/// Splits a request frame (without its length prefix) into header and body.
///
/// The header version follows from the API key and version in the first four bytes, so this
/// works for versions the body codec does not know (newer ApiVersions requests included).
pub fn decode_request_header(frame: Bytes) -> Result<RequestFrame, DecodeError> {
    let mut peek = Decoder::new(frame.slice(..frame.len().min(4)));
    let key = peek.i16().map_err(|e| e.in_field("request_api_key"))?;
    let version = peek.i16().map_err(|e| e.in_field("request_api_version"))?;
    let api_key = ApiKey::from_i16(key)
        .ok_or_else(|| DecodeError::new(DecodeErrorKind::UnknownApiKey(key)))?;
    let header_version = request_header_version(api_key, version);
    let mut body = Decoder::new(frame);
    let header = RequestHeader::decode(&mut body, header_version)?;
    Ok(RequestFrame {
        api_key,
        header,
        body,
    })
}

/// Decodes a whole request frame: header and body.
pub fn decode_request(frame: Bytes) -> Result<(RequestHeader, Request), DecodeError> {
    let mut split = decode_request_header(frame)?;
    let body = split.decode_body()?;
    Ok((split.header, body))
}

/// The size of a whole response frame (prefix, header, body) for `body` in `version`.
pub fn response_frame_size<M: ApiMessage>(body: &M, version: i16) -> usize {
    let header_version = response_header_version(M::API_KEY, version);
    4 + ResponseHeader::default().encoded_size(header_version) + body.encoded_size(version)
}

/// Writes a whole response frame: int32 length, response header (v0 or v1 as the API and
/// version require), then `body` in `version`.
pub fn encode_response<M: ApiMessage, W: Writer>(
    w: &mut W,
    correlation_id: i32,
    version: i16,
    body: &M,
) -> Result<(), EncodeError> {
    let header_version = response_header_version(M::API_KEY, version);
    let header = ResponseHeader {
        correlation_id,
        ..ResponseHeader::default()
    };
    let size = header.encoded_size(header_version) + body.encoded_size(version);
    w.write_slice(&frame_prefix(size)?);
    header.encode(w, header_version)?;
    body.encode(w, version)
}

/// Writes a whole response frame for a body held in the [`Response`] enum (the broker's
/// dispatch result), like [`encode_response`].
pub fn encode_any_response<W: Writer>(
    w: &mut W,
    correlation_id: i32,
    version: i16,
    body: &Response,
) -> Result<(), EncodeError> {
    let header_version = response_header_version(body.api_key(), version);
    let header = ResponseHeader {
        correlation_id,
        ..ResponseHeader::default()
    };
    let size = header.encoded_size(header_version) + body.encoded_size(version);
    w.write_slice(&frame_prefix(size)?);
    header.encode(w, header_version)?;
    body.encode(w, version)
}

/// The ApiVersions answer to a request whose ApiVersions version the broker does not
/// support: error 35 and the broker's table. Send it with version 0 (`encode_response(w,
/// correlation_id, 0, &response)`), which every client can read.
pub fn unsupported_api_versions_response(table: &[ApiVersionRange]) -> ApiVersionsResponse {
    api::api_versions_response(table, ErrorCode::UNSUPPORTED_VERSION, 0)
}

/// Writes a whole request frame (client side): length, request header with `client_id`,
/// then `body` in `version`.
pub fn encode_request<M: ApiRequest, W: Writer>(
    w: &mut W,
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    body: &M,
) -> Result<(), EncodeError> {
    let header_version = request_header_version(M::API_KEY, version);
    let header = RequestHeader {
        request_api_key: M::API_KEY.key(),
        request_api_version: version,
        correlation_id,
        client_id: client_id.map(str::to_owned),
        ..RequestHeader::default()
    };
    let size = header.encoded_size(header_version) + body.encoded_size(version);
    w.write_slice(&frame_prefix(size)?);
    header.encode(w, header_version)?;
    body.encode(w, version)
}

/// Decodes a response frame (client side) for a request of `api_key` in `version`.
pub fn decode_response(
    api_key: ApiKey,
    version: i16,
    frame: Bytes,
) -> Result<(ResponseHeader, Response), DecodeError> {
    let mut d = Decoder::new(frame);
    let header = ResponseHeader::decode(&mut d, response_header_version(api_key, version))?;
    let body = Response::decode(api_key.key(), version, &mut d)?;
    Ok((header, body))
}

fn frame_prefix(size: usize) -> Result<[u8; 4], EncodeError> {
    length_prefix(size).ok_or(EncodeError::TooLong {
        what: "frame",
        len: size,
        max: i32::MAX as usize,
    })
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::protocol::frame::{Frame, decode_frame};
    use crate::protocol::messages::{ApiVersionsRequest, MetadataRequest};

    fn frame_body(buf: BytesMut) -> Bytes {
        let mut buf = buf;
        match decode_frame(&mut buf, usize::MAX) {
            Ok(Frame::Complete(body)) => body,
            other => panic!("not one frame: {other:?}"),
        }
    }

    #[test]
    fn request_round_trips_through_header_split() {
        let body = MetadataRequest {
            topics: None,
            allow_auto_topic_creation: true,
            ..MetadataRequest::default()
        };
        // v0 cannot express "all topics" as null: encoding must refuse rather than guess
        let mut buf = BytesMut::new();
        assert!(encode_request(&mut buf, 7, Some("cli"), 0, &body).is_err());
        for version in [1, 4, 9, 12] {
            let mut buf = BytesMut::new();
            encode_request(&mut buf, 7, Some("cli"), version, &body).unwrap();
            let (header, decoded) = decode_request(frame_body(buf)).unwrap();
            assert_eq!(header.correlation_id, 7);
            assert_eq!(header.client_id.as_deref(), Some("cli"));
            assert_eq!(header.request_api_version, version);
            assert_eq!(decoded, Request::Metadata(body.clone()));
        }
    }

    #[test]
    fn header_versions_follow_the_rules() {
        assert_eq!(request_header_version(ApiKey::Metadata, 8), 1);
        assert_eq!(request_header_version(ApiKey::Metadata, 9), 2);
        assert_eq!(request_header_version(ApiKey::ControlledShutdown, 0), 0);
        assert_eq!(request_header_version(ApiKey::ControlledShutdown, 1), 1);
        assert_eq!(response_header_version(ApiKey::Metadata, 9), 1);
        assert_eq!(response_header_version(ApiKey::Metadata, 8), 0);
        assert_eq!(response_header_version(ApiKey::ApiVersions, 3), 0);
        assert_eq!(request_header_version(ApiKey::ApiVersions, 3), 2);
    }

    #[test]
    fn api_versions_response_uses_header_v0_even_when_flexible() {
        let body = ApiVersionsResponse::default();
        let mut buf = BytesMut::new();
        encode_response(&mut buf, 0x0102_0304, 3, &body).unwrap();
        assert_eq!(buf.len(), response_frame_size(&body, 3));
        // prefix, then the correlation id immediately followed by the body's error code:
        // no tagged-field byte in between.
        assert_eq!(&buf[4..10], &[1, 2, 3, 4, 0, 0]);
        let (header, resp) = decode_response(ApiKey::ApiVersions, 3, frame_body(buf)).unwrap();
        assert_eq!(header.correlation_id, 0x0102_0304);
        assert_eq!(resp, Response::ApiVersions(body));
    }

    #[test]
    fn enum_and_typed_response_encodings_agree() {
        let body = crate::protocol::messages::MetadataResponse {
            throttle_time_ms: 5,
            ..Default::default()
        };
        for version in [0, 8, 9, 12] {
            let mut typed = BytesMut::new();
            encode_response(&mut typed, 3, version, &body).unwrap();
            let mut any = BytesMut::new();
            encode_any_response(&mut any, 3, version, &Response::from(body.clone())).unwrap();
            assert_eq!(typed, any);
        }
    }

    #[test]
    fn flexible_response_header_has_tagged_fields() {
        let body = crate::protocol::messages::MetadataResponse::default();
        let mut buf = BytesMut::new();
        encode_response(&mut buf, 1, 9, &body).unwrap();
        assert_eq!(&buf[4..9], &[0, 0, 0, 1, 0]);
        assert_eq!(buf.len(), response_frame_size(&body, 9));
    }

    #[test]
    fn unsupported_api_versions_fallback_is_v0_with_error_35() {
        // A client asks for ApiVersions v127 (unknown body): the header still decodes.
        let mut raw = BytesMut::new();
        raw.extend_from_slice(&[0, 18, 0, 127, 0, 0, 0, 9, 0, 3, b'c', b'l', b'i', 0]);
        raw.extend_from_slice(&[2, 4, b'k', b'c', b'a']); // some future body
        let mut split = decode_request_header(raw.freeze()).unwrap();
        assert_eq!(split.api_key, ApiKey::ApiVersions);
        assert_eq!(split.header.correlation_id, 9);
        assert!(split.decode_body().is_err());
        let table = [ApiVersionRange {
            api_key: ApiKey::ApiVersions,
            min: 0,
            max: 3,
        }];
        let resp = unsupported_api_versions_response(&table);
        let mut out = BytesMut::new();
        encode_response(&mut out, split.header.correlation_id, 0, &resp).unwrap();
        // length 16: correlation id, error 35, one api key (18, 0, 3)
        assert_eq!(
            &out[..],
            &[
                0, 0, 0, 16, 0, 0, 0, 9, 0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3
            ]
        );
    }

    #[test]
    fn unknown_api_key_is_an_error() {
        let err =
            decode_request_header(Bytes::from_static(&[0x7f, 0, 0, 0, 0, 0, 0, 1])).unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::UnknownApiKey(0x7f00));
        let err = decode_request_header(Bytes::from_static(&[0, 3])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "request_api_version: int16 needs 2 bytes, 0 left"
        );
    }

    #[test]
    fn api_versions_request_v3_known_bytes() {
        let body = ApiVersionsRequest {
            client_software_name: "kcat".into(),
            client_software_version: "1.7".into(),
            ..ApiVersionsRequest::default()
        };
        let mut buf = BytesMut::new();
        encode_request(&mut buf, 1, Some("rdkafka"), 3, &body).unwrap();
        let expected: &[u8] = &[
            0, 0, 0, 28, // length
            0, 18, 0, 3, 0, 0, 0, 1, // key 18, version 3, correlation id 1
            0, 7, b'r', b'd', b'k', b'a', b'f', b'k', b'a', // client id (int16 length)
            0,    // header tagged fields
            5, b'k', b'c', b'a', b't', // compact string "kcat"
            4, b'1', b'.', b'7', // compact string "1.7"
            0,    // body tagged fields
        ];
        assert_eq!(&buf[..], expected);
    }
}
