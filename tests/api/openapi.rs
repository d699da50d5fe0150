//! The committed contract is what the code generates, and every operation is documented with
//! its security, tag and problem responses.

use actix_web::http::{Method, StatusCode};

use crate::support::*;

#[test]
fn committed_openapi_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let generated = cancer_registry::api::openapi_json();
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json` (or UPDATE_OPENAPI=1 cargo test)"
    );
}

#[test]
fn every_operation_is_documented() {
    let doc = serde_json::to_value(cancer_registry::api::openapi()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: operationId"));
            assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id}: tag"
            );
            assert!(op["summary"].is_string(), "{id}: summary");
            if !path.starts_with("/health") {
                let security = op["security"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{id}: security"));
                let roles = security[0]["bearer"].as_array().unwrap();
                assert!(!roles.is_empty(), "{id}: roles");
                assert!(op["responses"]["4XX"].is_object(), "{id}: 4XX problem");
                assert!(op["responses"]["5XX"].is_object(), "{id}: 5XX problem");
            }
        }
    }
    let items = &doc["components"]["schemas"]["TumorItems"]["properties"];
    assert_eq!(items["primarySite"]["maxLength"], 4);
    assert!(items["dateOfDiagnosis"]["pattern"].is_string());
}

#[actix_rt::test]
async fn served_document_is_the_committed_one() {
    let app = TestApp::new(Backend::Sqlite).await.unwrap();
    let r = app
        .call(Method::GET, "/openapi.json", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        serde_json::to_value(cancer_registry::api::openapi()).unwrap()
    );
}
