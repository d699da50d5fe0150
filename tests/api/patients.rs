//! Patients: create, read, correct with If-Match, list, delete, and item validation.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::*;

async fn create_read_update(app: TestApp) {
    let t = app.registrar();
    let r = app
        .post("/api/v1/patients", &t, json!({ "items": patient_items() }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location").unwrap(),
        format!("/api/v1/patients/{id}")
    );
    assert_eq!(r.header("etag").unwrap(), "\"1\"");
    assert_eq!(r.body["facilityId"], FACILITY_A);
    assert_eq!(r.body["items"]["sexAssignedAtBirth"], "2");

    let r = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"]["nameLast"], "TESTPERSON");

    let path = format!("/api/v1/patients/{id}");
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "nameLast": "NEWNAME", "race1": null } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.header("etag").unwrap(), "\"2\"");
    assert_eq!(r.body["items"]["nameLast"], "NEWNAME");
    assert!(r.body["items"].get("race1").is_none());

    // The stale ETag loses: 412, and the stored record is unchanged.
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "nameLast": "LOST" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.body["type"], "/problems/stale-version");
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(&t),
            Some(json!({ "items": { "nameLast": "X" } })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = app.get(&path, &t).await;
    assert_eq!(r.body["items"]["nameLast"], "NEWNAME");
    assert_eq!(r.body["version"], 2);
}
both_backends!(create_read_update, create_read_update);

async fn invalid_items_store_nothing(app: TestApp) {
    let t = app.registrar();
    let cases = [
        (json!({ "notAnItem": "1" }), "notAnItem", "unknown-item"),
        (
            json!({ "primarySite": "C504" }),
            "primarySite",
            "wrong-level",
        ),
        (
            json!({ "patientIdNumber": "123456789" }),
            "patientIdNumber",
            "too-long",
        ),
        (
            json!({ "patientIdNumber": "1234" }),
            "patientIdNumber",
            "too-short",
        ),
        (
            json!({ "birthplaceState": "n1" }),
            "birthplaceState",
            "data-type",
        ),
        (
            json!({ "sexAssignedAtBirth": "3" }),
            "sexAssignedAtBirth",
            "invalid-code",
        ),
        (json!({ "dateOfBirth": "19550230" }), "dateOfBirth", "date"),
        (json!({ "sex": "1" }), "sex", "unknown-item"),
        (json!({ "vitalStatus": 1 }), "vitalStatus", "data-type"),
    ];
    for (items, item, rule) in cases {
        let r = app
            .post("/api/v1/patients", &t, json!({ "items": items }))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{items}: {}",
            r.body
        );
        assert_eq!(
            r.header("content-type").unwrap(),
            "application/problem+json"
        );
        let errors = r.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{}", r.body);
        assert_eq!(errors[0]["item"], item);
        assert_eq!(errors[0]["rule"], rule, "{}", r.body);
    }
    // Several bad items at once are all reported.
    let r = app
        .post(
            "/api/v1/patients",
            &t,
            json!({ "items": { "dateOfBirth": "2023", "vitalStatus": "7", "race1": 1, "nope": "x" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3, "{}", r.body);
    assert_eq!(r.body["errors"][0]["number"], serde_json::Value::Null);

    let r = app
        .call_raw(Method::POST, "/api/v1/patients", &t, "{\"items\": {")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["type"], "/problems/bad-request");

    let list = app.get("/api/v1/patients", &t).await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );

    // A rejected correction changes nothing either.
    let id = app.patient(&t, patient_items()).await;
    let r = app
        .patch(
            &format!("/api/v1/patients/{id}"),
            &t,
            "\"1\"",
            json!({ "items": { "nameLast": "OK", "vitalStatus": "5" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(r.body["items"]["nameLast"], "TESTPERSON");
    assert_eq!(r.body["version"], 1);
}
both_backends!(invalid_items_store_nothing, invalid_items_store_nothing);

async fn list_with_pagination_and_filter(app: TestApp) {
    let t = app.registrar();
    for n in 0..5 {
        let mut items = patient_items();
        items["patientIdNumber"] = json!(format!("0000010{n}"));
        app.patient(&t, items).await;
    }
    let r = app.get("/api/v1/patients?limit=2", &t).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
    let mut seen: Vec<String> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let mut next = r.body["next"].as_str().map(String::from);
    while let Some(c) = next {
        let r = app
            .get(&format!("/api/v1/patients?limit=2&cursor={c}"), &t)
            .await;
        for p in r.body["data"].as_array().unwrap() {
            seen.push(p["id"].as_str().unwrap().to_string());
        }
        next = r.body["next"].as_str().map(String::from);
    }
    assert_eq!(seen.len(), 5);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 5, "pages do not overlap");

    let r = app
        .get("/api/v1/patients?patientIdNumber=00000103", &t)
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["data"][0]["items"]["patientIdNumber"], "00000103");

    let r = app.get("/api/v1/patients?limit=abc", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
both_backends!(
    list_with_pagination_and_filter,
    list_with_pagination_and_filter
);

async fn delete_needs_no_tumors(app: TestApp) {
    let t = app.registrar();
    let id = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &id, tumor_items()).await;
    let path = format!("/api/v1/patients/{id}");
    let r = app.call(Method::DELETE, &path, Some(&t), None, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tumors/{}", tumor["id"].as_str().unwrap()),
            Some(&t),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.call(Method::DELETE, &path, Some(&t), None, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.get(&path, &t).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["type"], "/problems/not-found");
}
both_backends!(delete_needs_no_tumors, delete_needs_no_tumors);
