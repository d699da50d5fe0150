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

async fn put_profile(
    app: &TestApp,
    path: String,
    token: String,
    etag: Option<&'static str>,
    body: serde_json::Value,
) -> Resp {
    let headers: Vec<(&str, &str)> = etag.map(|e| ("If-Match", e)).into_iter().collect();
    app.call(
        actix_web::http::Method::PUT,
        &path,
        Some(&token),
        Some(body),
        &headers,
    )
    .await
}

/// A facility's abstracting profile: its members read it, its managers replace it with
/// If-Match, checked like abstract items; a case's own items cannot be defaults.
async fn facility_profile(app: TestApp) {
    let m = app.token(Role::Manager, None);
    let r = app
        .post(
            "/api/v1/facilities",
            &m,
            json!({ "id": FACILITY_A, "name": "General Hospital" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let path = format!("/api/v1/facilities/{FACILITY_A}/profile");
    let registrar = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let r = app.get(&path, &registrar).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 0);
    assert_eq!(r.body["items"], json!({}));
    assert_eq!(r.headers.get("etag").unwrap(), "\"0\"");

    let put = |token: &str, etag: Option<&'static str>, body: serde_json::Value| {
        put_profile(&app, path.clone(), token.to_string(), etag, body)
    };
    let good = json!({ "items": { "typeOfReportingSource": "1", "classOfCase": "14", "archiveFin": "0000000001" } });
    // Registrars read it; only managers change it.
    let r = put(&registrar, Some("\"0\""), good.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = put(&m, None, good.clone()).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.body);
    let r = put(
        &m,
        Some("\"0\""),
        json!({ "items": { "primarySite": "C504", "classOfCase": "77", "typeOfReportingSource": "1" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let bad: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"].as_str().unwrap())
        .collect();
    assert_eq!(bad, ["classOfCase", "primarySite"], "{}", r.body);
    let r = put(&m, Some("\"0\""), good.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.headers.get("etag").unwrap(), "\"1\"");
    assert_eq!(r.body["updatedBy"], "manager-user");
    // A stale ETag loses nothing: 412.
    let r = put(&m, Some("\"0\""), json!({ "items": {} })).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.body);
    let r = app.get(&path, &registrar).await;
    assert_eq!(r.body["items"], good["items"], "{}", r.body);
    assert_eq!(r.body["version"], 1);
    assert_eq!(
        app.audit_count("update", "facility-profile", Some(FACILITY_A))
            .await,
        1
    );
    // Another facility's registrar: not found; an unregistered facility: not found.
    let other = app.token(Role::Registrar, Some(&[FACILITY_B]));
    assert_eq!(app.get(&path, &other).await.status, StatusCode::NOT_FOUND);
    let r = app
        .get(&format!("/api/v1/facilities/{FACILITY_B}/profile"), &m)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}
both_backends!(facility_profile, facility_profile);
