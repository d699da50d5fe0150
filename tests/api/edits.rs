//! Edits on abstracts: the catalog, the stateless check, stored results on every write, the
//! completion gate, and over-rides that only reviewers may set, with a reason, audited.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

async fn fixture_is_clean(app: TestApp) {
    let t = app.registrar();
    // a stored tumor gets Reporting Facility from the caller; a check is told it
    let mut tumor = tumor_items();
    tumor["reportingFacility"] = json!(FACILITY_A);
    let r = app
        .post(
            "/api/v1/edits/check",
            &t,
            json!({ "patient": { "items": patient_items() }, "tumors": [{ "items": tumor }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["errors"], 0, "{}", r.body);
    assert_eq!(r.body["warnings"], 0, "{}", r.body);
}
both_backends!(fixture_is_clean, fixture_is_clean);

async fn edit_sets_and_required_items(app: TestApp) {
    let researcher = app.token(Role::Researcher, None);
    let r = app.get("/api/v1/edit-sets", &researcher).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sets = r.body["data"].as_array().unwrap();
    let names: Vec<&str> = sets.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["coc", "seer", "npcr", "state-default"]);
    let coc = sets.iter().find(|s| s["name"] == "coc").unwrap();
    assert_eq!(coc["inUse"], true, "coc is the default set");
    assert_eq!(coc["requiredItemsOf"], "coc");
    let ids: Vec<&str> = coc["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"RQCOC") && ids.contains(&"SEQH") && ids.contains(&"DUP"));
    assert!(!ids.contains(&"RQSEER") && !ids.contains(&"SEQC"));
    let state = sets.iter().find(|s| s["name"] == "state-default").unwrap();
    assert!(state["edits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["id"] == "F06" && e["severity"] == "warning"));

    // a tumor missing required items fails one edit naming every missing item
    let t = app.registrar();
    let mut tumor = tumor_items();
    for id in [
        "classOfCase",
        "dateOf1stContact",
        "typeOfReportingSource",
        "ageAtDiagnosis",
    ] {
        tumor.as_object_mut().unwrap().remove(id);
    }
    let r = app
        .post(
            "/api/v1/edits/check",
            &t,
            json!({ "patient": { "items": patient_items() }, "tumors": [{ "items": tumor.clone() }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let req: Vec<&serde_json::Value> = r.body["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["edit"] == "RQCOC")
        .collect();
    assert_eq!(req.len(), 1, "{}", r.body);
    for id in [
        "classOfCase",
        "dateOf1stContact",
        "typeOfReportingSource",
        "ageAtDiagnosis",
    ] {
        assert!(
            req[0]["items"].as_array().unwrap().iter().any(|i| i == id),
            "{id}: {}",
            r.body
        );
    }
    // the same tumor under the SEER set fails SEER's required-item edit instead
    let r = app
        .post(
            "/api/v1/edits/check?set=seer",
            &t,
            json!({ "patient": { "items": patient_items() }, "tumors": [{ "items": tumor }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let failures = r.body["failures"].as_array().unwrap();
    assert!(failures.iter().any(|f| f["edit"] == "RQSEER"), "{}", r.body);
    assert!(!failures.iter().any(|f| f["edit"] == "RQCOC"));
    let r = app
        .post(
            "/api/v1/edits/check?set=nope",
            &t,
            json!({ "patient": { "items": patient_items() }, "tumors": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}
both_backends!(edit_sets_and_required_items, edit_sets_and_required_items);

async fn catalog_and_check(app: TestApp) {
    let researcher = app.token(Role::Researcher, None);
    let r = app.get("/api/v1/edits", &researcher).await;
    assert_eq!(r.status, StatusCode::OK);
    let data = r.body["data"].as_array().unwrap();
    assert!(data.len() >= 60, "{} edits", data.len());
    let if25 = data.iter().find(|e| e["id"] == "IF25").unwrap();
    assert_eq!(if25["severity"], "error");
    assert_eq!(if25["override"], json!(["overRideSiteType"]));
    assert!(if25["items"]
        .as_array()
        .unwrap()
        .contains(&json!("primarySite")));

    let t = app.registrar();
    let mut tumor = tumor_items();
    tumor["laterality"] = json!("0");
    let r = app
        .post(
            "/api/v1/edits/check",
            &t,
            json!({ "patient": { "items": patient_items() }, "tumors": [{ "items": tumor_items() }, { "items": tumor }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let failures = r.body["failures"].as_array().unwrap();
    assert!(r.body["errors"].as_u64().unwrap() >= 1, "{}", r.body);
    let lat = failures
        .iter()
        .find(|f| {
            f["items"]
                .as_array()
                .unwrap()
                .contains(&json!("laterality"))
                && f["severity"] == "error"
        })
        .unwrap_or_else(|| panic!("a laterality edit fails: {}", r.body));
    assert_eq!(lat["tumorIndex"], 1);
    assert!(!lat["message"].as_str().unwrap().is_empty());
    // Items are checked against the dictionary first.
    let r = app
        .post(
            "/api/v1/edits/check",
            &t,
            json!({ "patient": { "items": { "nope": "1" } }, "tumors": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            "/api/v1/edits/check",
            &researcher,
            json!({ "patient": { "items": {} } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
both_backends!(catalog_and_check, catalog_and_check);

async fn stored_results_and_completion_gate(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let p = app.patient(&t, patient_items()).await;
    let mut items = tumor_items();
    items["laterality"] = json!("0");
    let created = app.tumor(&t, &p, items).await;
    assert_eq!(created["editStatus"], "errors", "{created}");
    assert!(created["edits"]["errors"].as_u64().unwrap() >= 1);
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tumors/{id}");
    let r = app.get("/api/v1/tumors?editStatus=errors", &t).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);

    let status_path = format!("{path}/status");
    let status = |token: String, s: &'static str| {
        let (app, status_path) = (&app, status_path.clone());
        async move {
            app.write(
                Method::PUT,
                &status_path,
                Some(&token),
                Some(json!({ "status": s })),
            )
            .await
        }
    };
    assert_eq!(status(t.clone(), "review").await.status, StatusCode::OK);
    let r = status(reviewer.clone(), "complete").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/edits-failed");
    assert!(r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["rule"] == "edit-failed"));
    assert!(!r.body["errors"].as_array().unwrap().is_empty());
    // each failing edit with its items: laterality 0 on a breast fails IF24 naming laterality
    let failing = r.body["edits"].as_array().unwrap();
    let if24 = failing
        .iter()
        .find(|f| f["edit"] == "IF24")
        .unwrap_or_else(|| panic!("IF24 listed: {}", r.body));
    assert!(if24["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == "laterality"));
    assert!(!if24["message"].as_str().unwrap().is_empty());
    assert!(r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["item"] == "laterality"));
    let r = app.get(&path, &t).await;
    assert_eq!(
        r.body["status"], "review",
        "a refused completion changes nothing"
    );

    let version = r.body["version"].as_i64().unwrap().to_string();
    let r = app
        .patch(
            &path,
            &t,
            &format!("\"{version}\""),
            json!({ "items": { "laterality": "1" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["editStatus"], "pass", "{}", r.body);
    let r = status(reviewer.clone(), "complete").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A rerun on demand stores and returns the outcome.
    let r = app
        .call(Method::POST, &format!("{path}/edits"), Some(&t), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "pass");
}
both_backends!(
    stored_results_and_completion_gate,
    stored_results_and_completion_gate
);

async fn overrides_need_a_reviewer_and_a_reason(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let p = app.patient(&t, patient_items()).await;
    let mut items = tumor_items();
    items["histologicTypeIcdO3"] = json!("9050");
    items["dateOfDiagnosis"] = json!("20220315");
    let created = app.tumor(&t, &p, items).await;
    let failing = |body: &serde_json::Value, id: &str| {
        body["edits"]["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["edit"] == id && f["overridden"] != true)
    };
    // the default set (coc) runs the CoC version of site/type, which Over-ride Site/Type
    // [2030] also suppresses
    assert!(failing(&created, "C02"), "{created}");
    let path = format!("/api/v1/tumors/{}", created["id"].as_str().unwrap());
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "overRideSiteType": "1" }, "reason": "reviewed" }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a registrar cannot override"
    );
    let r = app
        .patch(
            &path,
            &reviewer,
            "\"1\"",
            json!({ "items": { "overRideSiteType": "1" } }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an override needs a reason"
    );
    assert_eq!(r.body["errors"][0]["item"], "reason");
    let r = app
        .patch(
            &path,
            &reviewer,
            "\"1\"",
            json!({ "items": { "overRideSiteType": "1" }, "reason": "mesothelioma of breast confirmed by pathology review" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body["edits"]["overridden"]
            .as_array()
            .is_some_and(|o| o.iter().any(|f| f["edit"] == "C02")),
        "the override is kept on record: {}",
        r.body
    );
    assert!(
        !failing(&r.body, "C02"),
        "the override suppresses C02: {}",
        r.body
    );
    let auditor = app.token(Role::Auditor, None);
    let r = app
        .get(
            &format!(
                "/api/v1/audit?entity=tumor&entityId={}&action=update",
                created["id"].as_str().unwrap()
            ),
            &auditor,
        )
        .await;
    let row = &r.body["data"].as_array().unwrap()[0];
    assert_eq!(row["actor"], "reviewer-user");
    assert_eq!(row["details"]["overrides"], json!(["overRideSiteType"]));
    assert_eq!(
        row["details"]["reason"],
        "mesothelioma of breast confirmed by pathology review"
    );
}
both_backends!(
    overrides_need_a_reviewer_and_a_reason,
    overrides_need_a_reviewer_and_a_reason
);
