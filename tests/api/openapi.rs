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

/// The contract's date patterns accept exactly the dates the service accepts: every day of
/// 1790-2110 in full, every year and month alone, and the query form with dashes.
#[test]
fn date_patterns_are_the_calendar() {
    use cancer_registry::naaccr::PartialDate;
    let doc = serde_json::to_value(cancer_registry::api::openapi()).unwrap();
    let item = doc["components"]["schemas"]["PatientItems"]["properties"]["dateOfBirth"]["pattern"]
        .as_str()
        .unwrap()
        .to_string();
    let query = doc["paths"]["/api/v1/followup/due"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "asOf")
        .unwrap()["schema"]["pattern"]
        .as_str()
        .unwrap()
        .to_string();
    // The attribute macros take literals only, so the same full-date pattern is written at
    // each field: every copy must be the one checked below.
    let param = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["schema"]["pattern"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for copy in [
        param("/api/v1/followup/letters", "asOf"),
        param("/api/v1/reports/followup-rates", "asOf"),
        param("/api/v1/reports/followup-rates", "referenceDate"),
        doc["components"]["schemas"]["NewRequest"]["properties"]["irbApprovalDate"]["pattern"]
            .as_str()
            .unwrap()
            .to_string(),
    ] {
        assert_eq!(copy, query);
    }
    let contact = regex::Regex::new(
        doc["components"]["schemas"]["NewContact"]["properties"]["date"]["pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let item = regex::Regex::new(&item).unwrap();
    let query = regex::Regex::new(&query).unwrap();
    let mut checked = 0;
    for year in 1790..=2110 {
        let y = format!("{year:04}");
        assert_eq!(item.is_match(&y), PartialDate::parse(&y).is_ok(), "{y}");
        for month in 0..=13 {
            let ym = format!("{y}{month:02}");
            assert_eq!(item.is_match(&ym), PartialDate::parse(&ym).is_ok(), "{ym}");
            for day in 0..=32 {
                let full = format!("{ym}{day:02}");
                let ok = PartialDate::parse(&full).is_ok();
                assert_eq!(item.is_match(&full), ok, "{full}");
                let dashed = format!("{y}-{month:02}-{day:02}");
                assert_eq!(query.is_match(&dashed), ok, "{dashed}");
                assert_eq!(query.is_match(&full), ok, "{full}");
                assert_eq!(contact.is_match(&full), ok, "{full}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 321 * 14 * 33);
    // dateTime items: the pattern and the validator agree on dates, times and zones.
    let def = cancer_registry::naaccr::Dictionary::v260()
        .item("pathDateSpecCollect1")
        .unwrap();
    let date_time = regex::Regex::new(
        doc["components"]["schemas"]["TumorItems"]["properties"]["pathDateSpecCollect1"]["pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    for date in [
        "2023",
        "2023-02",
        "2023-13",
        "2023-02-28",
        "2023-02-29",
        "2024-02-29",
        "1900-02-29",
        "2000-02-29",
        "2023-04-31",
        "0",
        "20230101",
        "2023-1-01",
    ] {
        for time in [
            "",
            "T10:20:30Z",
            "T23:59:59+05:30",
            "T24:00:00Z",
            "T10:60:00Z",
            "T10:20:30",
            "T10:20:30-0800",
            "T10:20:30-08:00",
        ] {
            let v = format!("{date}{time}");
            let valid = cancer_registry::naaccr::value::validate(def, &v).is_ok();
            assert_eq!(date_time.is_match(&v), valid, "{v}");
        }
    }
    assert!(item.is_match("20000229") && !item.is_match("19000229"));
}

/// The documentation's examples are a realistic first request: the patient, the breast case
/// and both corrections are accepted as they stand, and the case passes the edits.
async fn examples_are_accepted(app: TestApp) {
    use cancer_registry::api::items::example;
    use cancer_registry::naaccr::Level;
    let t = app.registrar();
    let doc: serde_json::Value =
        serde_json::from_str(&cancer_registry::api::openapi_json()).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["PatientItems"]["examples"][0],
        example(Level::Patient, false)
    );
    assert_eq!(
        schemas["TumorItems"]["examples"][0],
        example(Level::Tumor, false)
    );
    let p = app.patient(&t, example(Level::Patient, false)).await;
    let patient_path = format!("/api/v1/patients/{p}");
    let tumor = app.tumor(&t, &p, example(Level::Tumor, false)).await;
    assert_eq!(tumor["editStatus"], "pass", "{tumor}");
    let r = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tumors/{}", tumor["id"].as_str().unwrap()),
            Some(&t),
            Some(serde_json::json!({ "items": example(Level::Tumor, true) })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .call(
            Method::PATCH,
            &patient_path,
            Some(&t),
            Some(serde_json::json!({ "items": example(Level::Patient, true) })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
crate::both_backends!(examples_are_accepted, examples_are_accepted);
