use super::*;
use crate::protocol::api::client_versions;
use crate::protocol::messages::api_versions_response::ApiVersion;

fn resp(code: i16, apis: &[(i16, i16, i16)]) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: code,
        api_keys: apis
            .iter()
            .map(|&(k, min, max)| ApiVersion {
                api_key: k,
                min_version: min,
                max_version: max,
                ..ApiVersion::default()
            })
            .collect(),
        ..ApiVersionsResponse::default()
    }
}

#[test]
fn unsupported_version_retries_with_the_brokers_highest() {
    assert_eq!(
        interpret(&resp(35, &[(18, 0, 2)]), 3),
        ApiVersionsOutcome::RetryWith(2)
    );
    // No ApiVersions entry: fall back to v0.
    assert_eq!(
        interpret(&resp(35, &[]), 3),
        ApiVersionsOutcome::RetryWith(0)
    );
    // A broker claiming a higher max than we asked cannot make us loop.
    assert_eq!(
        interpret(&resp(35, &[(18, 0, 9)]), 3),
        ApiVersionsOutcome::RetryWith(2)
    );
    assert_eq!(
        interpret(&resp(35, &[(18, 0, 0)]), 0),
        ApiVersionsOutcome::Failed(ErrorCode::UNSUPPORTED_VERSION)
    );
    assert_eq!(
        interpret(&resp(31, &[]), 3),
        ApiVersionsOutcome::Failed(ErrorCode(31))
    );
}

#[test]
fn usable_is_the_highest_common_version() {
    let client = client_versions();
    let ApiVersionsOutcome::Table(t) =
        interpret(&resp(0, &[(0, 3, 9), (3, 0, 20), (1, 20, 30)]), 3)
    else {
        panic!("table expected")
    };
    assert_eq!(t.usable(&client, ApiKey::Produce), Some(9));
    let (_, metadata_max) = ApiKey::Metadata.valid_versions();
    assert_eq!(t.usable(&client, ApiKey::Metadata), Some(metadata_max));
    assert_eq!(
        t.usable(&client, ApiKey::Fetch),
        None,
        "broker only has newer Fetch"
    );
    assert_eq!(
        t.usable(&client, ApiKey::ListOffsets),
        None,
        "not advertised"
    );
}

#[test]
fn lines_follow_kafkas_format() {
    let client = client_versions();
    let t = NodeApiVersions::from_response(&resp(
        0,
        &[(0, 3, 9), (18, 0, 0), (1, 90, 99), (999, 0, 2)],
    ));
    let lines = t.lines(&client);
    assert_eq!(lines[0], "Produce(0): 3 to 9 [usable: 9]");
    assert_eq!(lines[1], "Fetch(1): 90 to 99 [unusable: node too new]");
    assert_eq!(lines[2], "ListOffsets(2): UNSUPPORTED");
    assert!(lines.contains(&"ApiVersions(18): 0 [usable: 0]".to_string()));
    assert_eq!(lines.last().unwrap(), "UNKNOWN(999): 0 to 2");
    let text = t.render(&client);
    assert!(text.starts_with("(\n\tProduce(0): 3 to 9 [usable: 9],\n\tFetch(1)"));
    assert!(text.ends_with("\tUNKNOWN(999): 0 to 2\n)"));
}
