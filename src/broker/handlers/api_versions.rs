//! ApiVersions (key 18): tells a client which APIs and versions this broker serves, from
//! [`crate::broker::handlers::SERVED`]. The answer to an ApiVersions version the broker does not
//! serve (v0 body, error 35, the table) is the router's job, because that request's body may
//! not even be decodable.

use crate::protocol::api::{ApiVersionRange, api_versions_response};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};

/// The versions this handler implements: v0-v2 plain, v3 flexible with the client software
/// name and version. (v4 only changes how clients treat an error-35 answer.)
pub const VERSIONS: (i16, i16) = (0, 3);

/// Answers `req` (decoded in `version`) with `table`, or INVALID_REQUEST (42) with no
/// APIs when a v3+ client software name or version is not what Kafka accepts
/// (`[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`).
pub fn handle(
    req: &ApiVersionsRequest,
    version: i16,
    table: &[ApiVersionRange],
) -> ApiVersionsResponse {
    if version >= 3
        && !(valid_software_field(&req.client_software_name)
            && valid_software_field(&req.client_software_version))
    {
        return api_versions_response(&[], ErrorCode::INVALID_REQUEST, 0);
    }
    api_versions_response(table, ErrorCode::NONE, 0)
}

/// Kafka's rule for `ClientSoftwareName` and `ClientSoftwareVersion`: alphanumerics, dots and
/// dashes, starting and ending with an alphanumeric.
fn valid_software_field(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::handlers::SERVED;
    use crate::protocol::messages::ApiKey;

    #[test]
    fn answers_with_the_served_table_at_every_version() {
        let req = ApiVersionsRequest {
            client_software_name: "librdkafka".into(),
            client_software_version: "2.0.2".into(),
            ..Default::default()
        };
        for version in VERSIONS.0..=VERSIONS.1 {
            let resp = handle(&req, version, SERVED);
            assert_eq!(resp.error_code, 0);
            assert_eq!(resp.api_keys.len(), SERVED.len());
            let own = resp
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::ApiVersions.key())
                .unwrap();
            assert_eq!((own.min_version, own.max_version), VERSIONS);
        }
    }

    #[test]
    fn v3_checks_the_software_fields() {
        for (name, ver, ok) in [
            ("kafka-python", "2.2.3", true),
            ("a", "1", true),
            ("", "1", false),
            ("-x", "1", false),
            ("x", "1.", false),
            ("apache kafka", "3.9", false),
        ] {
            let req = ApiVersionsRequest {
                client_software_name: name.into(),
                client_software_version: ver.into(),
                ..Default::default()
            };
            let resp = handle(&req, 3, SERVED);
            assert_eq!(resp.error_code == 0, ok, "{name:?} {ver:?}");
            assert_eq!(resp.api_keys.is_empty(), !ok);
            // v2 has no such fields: always answered
            assert_eq!(handle(&req, 2, SERVED).error_code, 0);
        }
    }
}
