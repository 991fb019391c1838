//! API version ranges: the type a served table is made of (the broker's table,
//! `broker::handlers::SERVED`, lists each API once its handler exists), the ApiVersions
//! response built from such a table, and [`client_versions`], the full spec range per key,
//! used by clients and by tools such as `kafka-broker-api-versions`.
use crate::protocol::error_code::ErrorCode;
use crate::protocol::messages::api_versions_response::ApiVersion;
use crate::protocol::messages::{ApiKey, ApiVersionsResponse};

/// An API and an inclusive version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersionRange {
    pub api_key: ApiKey,
    pub min: i16,
    pub max: i16,
}

impl ApiVersionRange {
    /// Whether `version` is in the range.
    pub fn contains(&self, version: i16) -> bool {
        self.min <= version && version <= self.max
    }

    /// The highest version in both this range and `[other_min, other_max]`, if any: the
    /// version a client uses against a broker advertising that range.
    pub fn highest_common(&self, other_min: i16, other_max: i16) -> Option<i16> {
        let max = self.max.min(other_max);
        (max >= self.min.max(other_min)).then_some(max)
    }
}

/// The served range for `api_key` in `table`.
pub fn served_range(table: &[ApiVersionRange], api_key: ApiKey) -> Option<ApiVersionRange> {
    table.iter().copied().find(|r| r.api_key == api_key)
}

/// Whether `table` serves `api_key` at `version`.
pub fn is_served(table: &[ApiVersionRange], api_key: ApiKey, version: i16) -> bool {
    served_range(table, api_key).is_some_and(|r| r.contains(version))
}

/// The ApiVersions response body advertising `table`, with `error_code` (0, or 35
/// UNSUPPORTED_VERSION for the fallback answer) and the throttle time in milliseconds.
pub fn api_versions_response(
    table: &[ApiVersionRange],
    error_code: ErrorCode,
    throttle_time_ms: i32,
) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: error_code.0,
        api_keys: table
            .iter()
            .map(|r| ApiVersion {
                api_key: r.api_key.key(),
                min_version: r.min,
                max_version: r.max,
                ..ApiVersion::default()
            })
            .collect(),
        throttle_time_ms,
        ..ApiVersionsResponse::default()
    }
}

/// Every API with the full version range its spec defines (Kafka 3.9), in key order.
pub fn client_versions() -> Vec<ApiVersionRange> {
    ApiKey::ALL
        .iter()
        .map(|&api_key| {
            let (min, max) = api_key.valid_versions();
            ApiVersionRange { api_key, min, max }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_versions_cover_every_key() {
        let all = client_versions();
        assert_eq!(all.len(), ApiKey::ALL.len());
        let produce = all.iter().find(|r| r.api_key == ApiKey::Produce).unwrap();
        assert_eq!((produce.min, produce.max), (0, 11));
        let api_versions = all
            .iter()
            .find(|r| r.api_key == ApiKey::ApiVersions)
            .unwrap();
        assert_eq!((api_versions.min, api_versions.max), (0, 4));
    }

    #[test]
    fn response_lists_the_table() {
        let table = [
            ApiVersionRange {
                api_key: ApiKey::Produce,
                min: 3,
                max: 9,
            },
            ApiVersionRange {
                api_key: ApiKey::ApiVersions,
                min: 0,
                max: 3,
            },
        ];
        let resp = api_versions_response(&table, ErrorCode::NONE, 0);
        assert_eq!(resp.api_keys.len(), 2);
        assert_eq!(
            (
                resp.api_keys[0].api_key,
                resp.api_keys[0].min_version,
                resp.api_keys[0].max_version
            ),
            (0, 3, 9)
        );
        assert!(is_served(&table, ApiKey::Produce, 9));
        assert!(!is_served(&table, ApiKey::Produce, 10));
        assert!(!is_served(&table, ApiKey::Fetch, 0));
        assert_eq!(table[0].highest_common(0, 7), Some(7));
        assert_eq!(table[0].highest_common(10, 12), None);
    }
}
