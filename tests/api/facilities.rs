//! Facilities as records: managers register them; an import naming a facility that is not
//! registered is refused (unless the service accepts unknown facilities, as the test harness
//! does for the other suites).

use actix_web::http::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::intake::{import, naaccr_file};
use crate::support::*;
use cancer_registry::auth::Role;

async fn facilities_are_records(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = TestApp::with_facilities(backend, false).await.unwrap();
    let m = app.token(Role::Manager, None);
    let r = app
        .post(
            "/api/v1/facilities",
            &m,
            json!({ "id": FACILITY_A, "name": "General Hospital", "npi": "1234567893", "state": "NY" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["id"], FACILITY_A);
    let r = app
        .post(
            "/api/v1/facilities",
            &m,
            json!({ "id": FACILITY_A, "name": "Again" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = app
        .post(
            "/api/v1/facilities",
            &m,
            json!({ "id": "ABC", "name": "", "npi": "1234567890", "state": "XX" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "name", "npi", "state"], "{}", r.body);
    let registrar = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let r = app.get("/api/v1/facilities", &registrar).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/facilities", &m).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.audit_count("create", "facility", Some(FACILITY_A))
            .await,
        1
    );

    // `?facility=ABC` for a file whose tumors name none: refused, nothing stored.
    let patient: &[(&str, &str)] = &[("patientIdNumber", "00000001"), ("dateOfBirth", "19500101")];
    let tumor: &[(&str, &str)] = &[("primarySite", "C509"), ("dateOfDiagnosis", "2025")];
    let r = import(
        &app,
        &m,
        "?facility=ABC",
        naaccr_file(&[(patient, vec![tumor])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["problems"][0]["rule"], "unknown-facility",
        "{}",
        r.body
    );
    assert!(r.body["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ABC"));
    // A tumor naming an unregistered facility: refused at its line.
    let b_tumor: &[(&str, &str)] = &[
        ("reportingFacility", FACILITY_B),
        ("primarySite", "C509"),
        ("dateOfDiagnosis", "2025"),
    ];
    let file = naaccr_file(&[(patient, vec![b_tumor])]);
    let r = import(&app, &m, "", file.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["problems"][0]["line"], 6, "{}", r.body);
    assert_eq!(
        app.get("/api/v1/patients", &m).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let refused = app.get("/api/v1/imports?status=refused", &m).await;
    assert_eq!(refused.body["data"].as_array().unwrap().len(), 2);
    // Registered, the same file applies.
    let r = app
        .post(
            "/api/v1/facilities",
            &m,
            json!({ "id": FACILITY_B, "name": "County Hospital" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = import(&app, &m, "", file).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
both_backends!(facilities_are_records, facilities_are_records);
