//! Staging over HTTP: algorithms, schema lookup and forms, stateless staging, and staging of a
//! stored tumor writing the derived items back.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

async fn algorithms_schemas_and_stage(app: TestApp) {
    if staging().is_err() {
        return;
    }
    let t = app.registrar();
    let r = app.get("/api/v1/staging/algorithms", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ids: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for id in ["eod_public", "tnm", "pediatric", "cs"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let r = app
        .get("/api/v1/staging/eod_public/schemas?site=C504&hist=8500", &t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["data"][0]["id"], "breast");
    let r = app
        .get("/api/v1/staging/eod_public/schemas/breast", &t)
        .await;
    let inputs = r.body["inputs"].as_array().unwrap();
    let ept = inputs
        .iter()
        .find(|i| i["naaccrXmlId"] == "eodPrimaryTumor")
        .unwrap();
    assert!(ept["codes"].as_array().unwrap().len() > 5);
    assert_eq!(
        app.get("/api/v1/staging/nope/schemas", &t).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/staging/eod_public/schemas/nope", &t)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let body = json!({ "inputs": {
        "site": "C504", "hist": "8500", "behavior": "3", "year_dx": "2024",
        "eod_primary_tumor": "100", "eod_regional_nodes": "000", "eod_mets": "00",
        "grade_clin": "2", "grade_path": "2"
    }});
    let r = app.post("/api/v1/staging/eod_public/stage", &t, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["result"], "STAGED", "{}", r.body);
    assert_eq!(r.body["schemaId"], "breast");
    assert_eq!(r.body["outputs"]["ss2018_derived"], "1");
    assert!(!r.body["path"].as_array().unwrap().is_empty());
    let r = app
        .post(
            "/api/v1/staging/eod_public/stage",
            &t,
            json!({ "inputs": { "site": "C504" } }),
        )
        .await;
    assert_eq!(
        r.body["result"], "FAILED_MISSING_SITE_OR_HISTOLOGY",
        "{}",
        r.body
    );
    let r = app
        .post(
            "/api/v1/staging/eod_public/stage",
            &t,
            json!({ "inputs": { "site": 5 } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let auditor = app.token(Role::Auditor, None);
    let r = app
        .post(
            "/api/v1/staging/eod_public/stage",
            &auditor,
            json!({ "inputs": {} }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
both_backends!(algorithms_schemas_and_stage, algorithms_schemas_and_stage);

async fn staging_a_tumor_writes_derived_items(app: TestApp) {
    if staging().is_err() {
        return;
    }
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let mut items = tumor_items();
    items.as_object_mut().unwrap().remove("schemaId");
    let tumor = app.tumor(&t, &p, items).await;
    let id = tumor["id"].as_str().unwrap();
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/tumors/{id}/stage"),
            Some(&t),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["staging"][0]["algorithm"], "eod_public");
    assert_eq!(r.body["staging"][0]["result"], "STAGED", "{}", r.body);
    let derived = &r.body["tumor"]["items"];
    assert_eq!(derived["schemaId"], "00480");
    assert_eq!(derived["derivedSummaryStage2018"], "1");
    assert_eq!(derived["derivedSummaryGrade2018"], "2");
    assert_eq!(derived["schemaIdVersionCurrent"], "3.3");
    assert!(
        derived.get("derivedEod2018T").is_none(),
        "the public algorithm derives no EOD T"
    );
    // The create already derived these items (as every save does), so staging finds them
    // current and writes nothing.
    assert_eq!(r.body["tumor"]["version"], 1);
    assert_eq!(app.audit_count("update", "tumor", Some(id)).await, 0);
    // Staging again changes nothing.
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/tumors/{id}/stage"),
            Some(&t),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["tumor"]["version"], 1);

    // 2016-2017 tumors go to TNM, 2004-2015 to CS, older ones to nothing.
    for (dx, algorithm) in [("20170601", "tnm"), ("20100601", "cs")] {
        let tumor = app
            .tumor(&t, &p, json!({ "primarySite": "C504", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": dx }))
            .await;
        let r = app
            .call(
                Method::POST,
                &format!("/api/v1/tumors/{}/stage", tumor["id"].as_str().unwrap()),
                Some(&t),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["staging"][0]["algorithm"], algorithm);
        assert!(r.body["staging"][0]["result"].is_string());
    }
    let old = app
        .tumor(
            &t,
            &p,
            json!({ "primarySite": "C504", "dateOfDiagnosis": "1999" }),
        )
        .await;
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/tumors/{}/stage", old["id"].as_str().unwrap()),
            Some(&t),
            None,
            &[],
        )
        .await;
    // The request is fine; the stored tumor cannot be staged: a conflict with its state.
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/not-stageable");
    assert!(r.body["detail"].as_str().unwrap().contains("1999"));
}
both_backends!(
    staging_a_tumor_writes_derived_items,
    staging_a_tumor_writes_derived_items
);
