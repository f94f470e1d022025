use serde_json::Value;

use crate::helpers::{spawn_app, Backend};

/// The committed document is what integrations read; it must be what the server serves.
/// Regenerate it with `just openapi` after changing the API.
#[tokio::test]
async fn the_committed_openapi_document_matches_the_served_one() {
    let app = spawn_app(Backend::Sqlite).await;
    let (status, served) = app.get_json("/api-docs/openapi.json").await;
    assert_eq!(status, 200);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi/openapi.json exists"))
            .expect("valid JSON");
    assert!(
        served == committed,
        "openapi/openapi.json is stale: run `just openapi` and commit the result"
    );
    assert_eq!(served["openapi"], "3.1.0");
}

/// Every operation has a summary, and every error response names its problem schema.
#[tokio::test]
async fn every_operation_is_documented_with_its_errors() {
    let document = inbox_api::openapi::document();
    let document = serde_json::to_value(document).expect("serialisable");
    let paths = document["paths"].as_object().expect("paths");
    for expected in [
        "/healthz",
        "/readyz",
        "/api/v1/actions",
        "/api/v1/actions/{id}",
        "/api/v1/metrics",
    ] {
        assert!(paths.contains_key(expected), "{expected} is documented");
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            assert!(
                operation["summary"].is_string(),
                "{method} {path} has a summary"
            );
            for (code, response) in operation["responses"].as_object().expect("responses") {
                if code.starts_with('4') || code.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {code} is documented as problem+json"
                    );
                }
            }
        }
    }
}
