//! Tumors: abstracting, filters, corrections, workflow.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

async fn abstract_and_correct(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    assert_eq!(tumor["status"], "draft");
    assert_eq!(tumor["facilityId"], FACILITY_A);
    assert_eq!(
        tumor["items"]["reportingFacility"], FACILITY_A,
        "filled from the token"
    );
    let id = tumor["id"].as_str().unwrap();
    let path = format!("/api/v1/tumors/{id}");

    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "laterality": "2", "gradeClinical": "2" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"]["laterality"], "2");
    let r = app
        .patch(
            &path,
            &t,
            "\"2\"",
            json!({ "items": { "primarySite": "C999" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["item"], "primarySite");
    assert_eq!(r.body["errors"][0]["number"], 400);
    assert_eq!(r.body["errors"][0]["rule"], "invalid-code");
    let r = app
        .patch(
            &path,
            &t,
            "\"2\"",
            json!({ "items": { "reportingFacility": null } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app.get(&format!("/api/v1/patients/{p}/tumors"), &t).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);

    // Tumor items are refused at the patient level and vice versa.
    let r = app
        .post(
            &format!("/api/v1/patients/{p}/tumors"),
            &t,
            json!({ "items": { "nameLast": "X" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["rule"], "wrong-level");
    let r = app
        .post(
            "/api/v1/patients/nope/tumors",
            &t,
            json!({ "items": tumor_items() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
both_backends!(abstract_and_correct, abstract_and_correct);

async fn list_filters(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    app.tumor(&t, &p, tumor_items()).await;
    let mut lung = tumor_items();
    lung["primarySite"] = json!("C341");
    lung["histologicTypeIcdO3"] = json!("8140");
    lung["dateOfDiagnosis"] = json!("2019");
    lung["laterality"] = json!("2");
    app.tumor(&t, &p, lung).await;
    let count = |r: &Resp| r.body["data"].as_array().unwrap().len();
    assert_eq!(count(&app.get("/api/v1/tumors", &t).await), 2);
    assert_eq!(
        count(&app.get("/api/v1/tumors?primarySite=C341", &t).await),
        1
    );
    assert_eq!(
        count(&app.get("/api/v1/tumors?histology=8500", &t).await),
        1
    );
    assert_eq!(count(&app.get("/api/v1/tumors?dxYear=2019", &t).await), 1);
    assert_eq!(
        count(
            &app.get("/api/v1/tumors?dxYearFrom=2020&dxYearTo=2025", &t)
                .await
        ),
        1
    );
    assert_eq!(
        count(
            &app.get(&format!("/api/v1/tumors?facility={FACILITY_A}"), &t)
                .await
        ),
        2
    );
    assert_eq!(count(&app.get("/api/v1/tumors?status=draft", &t).await), 2);
    assert_eq!(
        count(&app.get("/api/v1/tumors?status=complete", &t).await),
        0
    );
    let r = app.get("/api/v1/tumors?status=done", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.get("/api/v1/tumors?limit=1", &t).await;
    assert_eq!(count(&r), 1);
    let next = r.body["next"].as_str().unwrap();
    let r2 = app
        .get(&format!("/api/v1/tumors?limit=1&cursor={next}"), &t)
        .await;
    assert_eq!(count(&r2), 1);
    assert_ne!(r.body["data"][0]["id"], r2.body["data"][0]["id"]);
    assert!(r2.body["next"].is_null());
}
both_backends!(list_filters, list_filters);

async fn workflow(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let path = format!("/api/v1/tumors/{}/status", tumor["id"].as_str().unwrap());
    let put = |token: String, body: serde_json::Value| {
        let path = path.clone();
        let app = &app;
        async move {
            app.write(Method::PUT, &path, Some(&token), Some(body))
                .await
        }
    };
    let r = put(t.clone(), json!({ "status": "complete" })).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a registrar never completes"
    );
    let r = put(reviewer.clone(), json!({ "status": "complete" })).await;
    assert_eq!(r.body["type"], "/problems/conflict");
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "draft cannot jump to complete"
    );
    let r = put(t.clone(), json!({ "status": "review" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "review");
    let r = put(t.clone(), json!({ "status": "complete" })).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a registrar cannot complete"
    );
    let r = put(reviewer.clone(), json!({ "status": "complete" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "complete");
    let r = put(reviewer.clone(), json!({ "status": "review" })).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "going back needs a reason"
    );
    assert_eq!(r.body["errors"][0]["item"], "reason");
    let r = put(
        t.clone(),
        json!({ "status": "review", "reason": "fix grade" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a registrar cannot reopen");
    let r = put(
        reviewer.clone(),
        json!({ "status": "review", "reason": "grade is wrong" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = put(t.clone(), json!({ "status": "draft", "reason": "rework" })).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "draft");
    let r = put(t.clone(), json!({ "status": "draft", "reason": "again" })).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = put(t.clone(), json!({ "status": "finished" })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .call(
            Method::PUT,
            &path,
            Some(&t),
            Some(json!({ "status": "review" })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
}
both_backends!(workflow, workflow);

async fn concurrent_patches_lose_nothing(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let path = format!("/api/v1/tumors/{}", tumor["id"].as_str().unwrap());
    let futures: Vec<_> = (0..50)
        .map(|i| {
            let body = json!({ "items": { "textRemarks": format!("writer {i}") } });
            app.patch(&path, &t, "\"1\"", body)
        })
        .collect();
    let results = futures_util::future::join_all(futures).await;
    let ok = results
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let stale = results
        .iter()
        .filter(|r| r.status == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!((ok, stale), (1, 49));
    let r = app.get(&path, &t).await;
    assert_eq!(r.body["version"], 2);
}
both_backends!(
    concurrent_patches_lose_nothing,
    concurrent_patches_lose_nothing
);

/// Every write names the version it changes (SECURITY.md): a status move, a recurrence and a
/// delete without `If-Match` are 428 and change nothing; a stale one is 412.
async fn every_write_needs_if_match(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let id = tumor["id"].as_str().unwrap();
    let writes = [
        (
            Method::PUT,
            format!("/api/v1/tumors/{id}/status"),
            Some(json!({ "status": "review" })),
        ),
        (
            Method::PUT,
            format!("/api/v1/tumors/{id}/recurrence"),
            Some(json!({ "type": "00" })),
        ),
        (Method::DELETE, format!("/api/v1/tumors/{id}"), None),
        (Method::DELETE, format!("/api/v1/patients/{p}"), None),
    ];
    for (method, path, body) in &writes {
        let r = app
            .call(method.clone(), path, Some(&t), body.clone(), &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::PRECONDITION_REQUIRED,
            "{method} {path}: {}",
            r.body
        );
        assert_eq!(
            r.body["type"].as_str().unwrap().rsplit('/').next(),
            Some("if-match-required")
        );
        let r = app
            .call(
                method.clone(),
                path,
                Some(&t),
                body.clone(),
                &[("If-Match", "\"9\"")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::PRECONDITION_FAILED,
            "{method} {path}: {}",
            r.body
        );
    }
    let r = app.get(&format!("/api/v1/tumors/{id}"), &t).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    // With the current version each goes through (the status move last: a registrar deletes
    // only drafts).
    let mut writes = writes.to_vec();
    writes.rotate_left(1);
    writes.pop();
    for (method, path, body) in writes {
        let r = app.write(method.clone(), &path, Some(&t), body).await;
        assert!(
            r.status.is_success(),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
    }
}
both_backends!(every_write_needs_if_match, every_write_needs_if_match);
