//! The MP/H operations over HTTP: stateless comparison, a patient's primaries (audited) and the
//! sequence number proposal, applied by a reviewer with each tumor's version.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

fn melanoma(date: &str) -> Value {
    json!({
        "primarySite": "C445",
        "histologicTypeIcdO3": "8720",
        "behaviorCodeIcdO3": "3",
        "laterality": "1",
        "dateOfDiagnosis": date,
        "sequenceNumberHospital": "00"
    })
}

async fn compare_is_stateless_and_authenticated(app: TestApp) {
    let t = app.registrar();
    let body = json!({ "tumor1": melanoma("20190312"), "tumor2": melanoma("20240602") });
    let r = app.post("/api/v1/mph/compare", &t, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["decision"], "multiple-primaries", "{}", r.body);
    assert_eq!(r.body["result"], "MULTIPLE_PRIMARIES");
    assert_eq!(r.body["rule"], "M7");
    assert_eq!(
        r.body["ruleSet"]["id"],
        "str_2021_and_later_cutaneous_melanoma"
    );
    assert_eq!(
        r.body["ruleSet"]["name"],
        "Solid Tumor 2021+ Cutaneous Melanoma"
    );
    assert!(!r.body["reason"].as_str().unwrap().is_empty());

    // Same tumor reported twice: one primary.
    let same = json!({ "tumor1": melanoma("20190312"), "tumor2": melanoma("20190312") });
    let r = app.post("/api/v1/mph/compare", &t, same).await;
    assert_eq!(r.body["decision"], "single-primary", "{}", r.body);

    // A year after the configured current year (2026) is not valid input.
    let future = json!({ "tumor1": melanoma("20310312"), "tumor2": melanoma("20190312") });
    let r = app.post("/api/v1/mph/compare", &t, future).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["result"], "INVALID_INPUT");
    assert!(r.body["ruleSet"].is_null());
    assert!(r.body["reason"]
        .as_str()
        .unwrap()
        .contains("diagnosis year"));

    let r = app
        .call(
            Method::POST,
            "/api/v1/mph/compare",
            None,
            Some(body.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let researcher = app.token(Role::Researcher, Some(&[FACILITY_A]));
    let r = app.post("/api/v1/mph/compare", &researcher, body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/mph/compare",
            &t,
            json!({ "tumor1": {}, "tumorX": {} }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}
both_backends!(compare, compare_is_stateless_and_authenticated);

async fn primaries_and_sequence_of_two_melanomas(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let later = app.tumor(&t, &p, melanoma("20240602")).await;
    let earlier = app.tumor(&t, &p, melanoma("20190312")).await;
    let (later_id, earlier_id) = (
        later["id"].as_str().unwrap().to_string(),
        earlier["id"].as_str().unwrap().to_string(),
    );

    let reads = app.audit_count("read", "tumor", None).await;
    let r = app
        .get(&format!("/api/v1/patients/{p}/primaries"), &t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.audit_count("read", "tumor", None).await, reads + 1);
    assert_eq!(r.body["tumorCount"], 2);
    let primaries = r.body["primaries"].as_array().unwrap();
    assert_eq!(primaries.len(), 2, "{}", r.body);
    assert_eq!(primaries[0]["tumorIds"], json!([earlier_id]));
    assert_eq!(primaries[0]["sequenceNumber"], "01");
    assert_eq!(primaries[1]["tumorIds"], json!([later_id]));
    assert_eq!(primaries[1]["sequenceNumber"], "02");
    let pairs = r.body["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["decision"], "multiple-primaries");
    assert_eq!(pairs[0]["rule"], "M7");

    // Another facility's registrar does not see the patient.
    let other = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let r = app
        .get(&format!("/api/v1/patients/{p}/primaries"), &other)
        .await;
    assert!(
        r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN,
        "{}",
        r.status
    );

    // The proposal: 01 for the 2019 tumor, 02 for the 2024 one.
    let seq_path = format!("/api/v1/patients/{p}/sequence");
    let r = app.post(&seq_path, &t, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["applied"], false);
    let proposed = |body: &Value, id: &str| {
        body["tumors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["tumorId"] == id)
            .map(|x| x["proposed"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(proposed(&r.body, &earlier_id), "01");
    assert_eq!(proposed(&r.body, &later_id), "02");

    // Applying: reviewers only, with every tumor's version; a stale one writes nothing.
    let apply =
        |versions: Value| json!({ "apply": true, "item": "hospital", "versions": versions });
    let versions =
        json!({ earlier_id.clone(): earlier["version"], later_id.clone(): later["version"] });
    let r = app.post(&seq_path, &t, apply(versions.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let r = app
        .post(
            &seq_path,
            &reviewer,
            apply(json!({ earlier_id.clone(): earlier["version"] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.body);
    let stale = json!({ earlier_id.clone(): earlier["version"], later_id.clone(): 99 });
    let r = app.post(&seq_path, &reviewer, apply(stale)).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.body);
    let r = app.get(&format!("/api/v1/tumors/{earlier_id}"), &t).await;
    assert_eq!(
        r.body["items"]["sequenceNumberHospital"], "00",
        "nothing written"
    );

    let updates = app.audit_count("update", "tumor", None).await;
    let r = app.post(&seq_path, &reviewer, apply(versions)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["applied"], true);
    assert_eq!(r.body["changed"].as_array().unwrap().len(), 2);
    assert_eq!(app.audit_count("update", "tumor", None).await, updates + 2);
    for (id, seq) in [(&earlier_id, "01"), (&later_id, "02")] {
        let r = app.get(&format!("/api/v1/tumors/{id}"), &t).await;
        assert_eq!(r.body["items"]["sequenceNumberHospital"], seq, "{}", r.body);
    }
    let r = app
        .post(
            &seq_path,
            &reviewer,
            json!({ "apply": true, "versions": {} }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}
both_backends!(primaries, primaries_and_sequence_of_two_melanomas);
