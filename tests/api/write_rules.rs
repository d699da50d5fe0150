//! One lifecycle rule on every write path (issues 15 and 21): over-ride flags need a reviewer
//! or a manager and a reason, and a complete abstract is locked, on create, patch, recurrence,
//! re-stage, status, delete and import. Each path is tried as each role: a registrar is
//! refused, a reviewer without a reason gets 422 (an import keeps and reports instead), a
//! reviewer with a reason succeeds.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::intake::{import, naaccr_file};
use crate::support::*;
use cancer_registry::auth::Role;

fn etag(body: &Value) -> String {
    format!("\"{}\"", body["version"])
}

fn person(n: u32, last: &str) -> Value {
    json!({
        "patientIdNumber": format!("{:08}", 500 + n),
        "nameLast": last,
        "nameFirst": "ROBIN",
        "dateOfBirth": format!("19{:02}0612", 40 + n),
        "sexAssignedAtBirth": "2",
        "race1": "01",
        "spanishHispanicOrigin": "0",
        "socialSecurityNumber": format!("61800{n:04}"),
        "vitalStatus": "1",
        "dateOfLastContact": "20250110"
    })
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    app.write(Method::PUT, path, Some(token), Some(body)).await
}

/// A patient (of `person(n, ..)`) with a complete breast tumor: (patient id, tumor body).
async fn complete_tumor(app: &TestApp, n: u32, last: &str) -> (String, Value) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let p = app.patient(&t, person(n, last)).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let path = format!("/api/v1/tumors/{}/status", tumor["id"].as_str().unwrap());
    let r = put(app, &path, &t, json!({ "status": "review" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = put(app, &path, &reviewer, json!({ "status": "complete" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "complete");
    (p, r.body)
}

fn refused_as_registrar(r: &Resp, status: StatusCode) {
    assert_eq!(r.status, status, "{}", r.body);
}

fn needs_reason(r: &Resp) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "reason", "{}", r.body);
}

/// The audit rows of an entity with a reason in their details.
async fn audited_reason(app: &TestApp, entity: &str, id: &str, reason: &str) -> bool {
    app.db.flush_audit().await.unwrap();
    let mut conn = app.db.conn().unwrap();
    let (rows, _) = cancer_registry::audit::list(
        &mut conn,
        &cancer_registry::audit::Filter {
            entity: Some(entity.into()),
            entity_id: Some(id.to_string()),
            ..Default::default()
        },
        None,
        1000,
    )
    .unwrap();
    rows.iter().any(|e| e.details["reason"] == reason)
}

async fn overrides_on_every_create_and_patch(app: TestApp) {
    let registrar = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let manager = app.token(Role::Manager, None);

    // POST /patients with Over-ride Name/Sex [2078].
    let mut flagged = person(1, "ALVAREZ");
    flagged["overRideNameSex"] = json!("1");
    let create = |token: &str, items: Value, reason: Option<&str>| {
        let mut body = json!({ "items": items, "facilityId": FACILITY_A });
        if let Some(r) = reason {
            body["reason"] = json!(r);
        }
        let (app, token) = (&app, token.to_string());
        async move { app.post("/api/v1/patients", &token, body).await }
    };
    let r = create(&registrar, flagged.clone(), Some("name is right")).await;
    refused_as_registrar(&r, StatusCode::FORBIDDEN);
    needs_reason(&create(&reviewer, flagged.clone(), None).await);
    let r = create(&reviewer, flagged.clone(), Some("name is right")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["items"]["overRideNameSex"], "1");
    let p1 = r.body["id"].as_str().unwrap().to_string();
    assert!(audited_reason(&app, "patient", &p1, "name is right").await);

    // PATCH /patients clearing it.
    let path = format!("/api/v1/patients/{p1}");
    let clear = json!({ "items": { "overRideNameSex": null } });
    let r = app.patch(&path, &registrar, "\"1\"", clear.clone()).await;
    refused_as_registrar(&r, StatusCode::FORBIDDEN);
    needs_reason(&app.patch(&path, &reviewer, "\"1\"", clear.clone()).await);
    let mut with_reason = clear.clone();
    with_reason["reason"] = json!("flag no longer needed");
    let r = app.patch(&path, &manager, "\"1\"", with_reason).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["items"].get("overRideNameSex").is_none());
    // A registrar's ordinary change still goes through.
    let r = app
        .patch(
            &path,
            &registrar,
            &etag(&r.body),
            json!({ "items": { "nameFirst": "ROBYN" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // POST /patients/{id}/tumors with Over-ride Histology [2040].
    let tumors = format!("/api/v1/patients/{p1}/tumors");
    let mut items = tumor_items();
    items["overRideHistology"] = json!("1");
    let r = app
        .post(
            &tumors,
            &registrar,
            json!({ "items": items.clone(), "reason": "x" }),
        )
        .await;
    refused_as_registrar(&r, StatusCode::FORBIDDEN);
    needs_reason(
        &app.post(&tumors, &reviewer, json!({ "items": items.clone() }))
            .await,
    );
    let r = app
        .post(
            &tumors,
            &reviewer,
            json!({ "items": items, "reason": "histology confirmed" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["items"]["overRideHistology"], "1");
    let tid = r.body["id"].as_str().unwrap().to_string();
    assert!(audited_reason(&app, "tumor", &tid, "histology confirmed").await);

    // PATCH /tumors clearing it.
    let tpath = format!("/api/v1/tumors/{tid}");
    let clear = json!({ "items": { "overRideHistology": null } });
    let r = app
        .patch(&tpath, &registrar, &etag(&r.body), clear.clone())
        .await;
    refused_as_registrar(&r, StatusCode::FORBIDDEN);
    let current = app.get(&tpath, &reviewer).await;
    needs_reason(
        &app.patch(&tpath, &reviewer, &etag(&current.body), clear)
            .await,
    );
    let r = app
        .patch(
            &tpath,
            &reviewer,
            &etag(&current.body),
            json!({ "items": { "overRideHistology": null }, "reason": "not needed" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["items"].get("overRideHistology").is_none());
}
both_backends!(
    overrides_on_every_create_and_patch,
    overrides_on_every_create_and_patch
);

/// Takes a derived item out of a stored tumor, as an abstract stored before derivation on
/// save would be, so that re-staging changes it.
fn drop_derived_stage(app: &TestApp, tumor_id: &str) {
    use cancer_registry::db::DbConn;
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    let mut conn = app.db.conn().unwrap();
    let n = match &mut *conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "UPDATE tumors SET items = json_remove(items, '$.derivedSummaryStage2018') WHERE id = ?",
        )
        .bind::<Text, _>(tumor_id)
        .execute(c),
        DbConn::Postgres(c) => diesel::sql_query(
            "UPDATE tumors SET items = (items::jsonb - 'derivedSummaryStage2018')::text WHERE id = $1",
        )
        .bind::<Text, _>(tumor_id)
        .execute(c),
    }
    .unwrap();
    assert_eq!(n, 1);
}

async fn complete_is_locked_on_every_path(app: TestApp) {
    let registrar = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let (_, tumor) = complete_tumor(&app, 2, "BRENNAN").await;
    let id = tumor["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tumors/{id}");

    // PUT /tumors/{id}/recurrence.
    let rec = format!("{path}/recurrence");
    let body = json!({ "type": "10", "date": "20250601" });
    let r = put(&app, &rec, &registrar, body.clone()).await;
    refused_as_registrar(&r, StatusCode::CONFLICT);
    assert_eq!(r.body["type"], "/problems/complete-locked");
    needs_reason(&put(&app, &rec, &reviewer, body.clone()).await);
    let mut with_reason = body.clone();
    with_reason["reason"] = json!("recurrence found at follow-up");
    let r = put(&app, &rec, &reviewer, with_reason).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"]["recurrenceType1st"], "10");
    // Never complete with errors.
    let expected = if r.body["editStatus"] == "errors" {
        "review"
    } else {
        "complete"
    };
    assert_eq!(r.body["status"], expected, "{}", r.body);
    assert!(audited_reason(&app, "tumor", &id, "recurrence found at follow-up").await);
    if expected == "review" {
        let r = put(
            &app,
            &format!("{path}/status"),
            &reviewer,
            json!({ "status": "complete" }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    // POST /tumors/{id}/stage, when re-staging changes the complete tumor.
    if staging().is_ok() {
        drop_derived_stage(&app, &id);
        let stage = format!("{path}/stage");
        let r = app
            .call(Method::POST, &stage, Some(&registrar), None, &[])
            .await;
        refused_as_registrar(&r, StatusCode::CONFLICT);
        assert_eq!(r.body["type"], "/problems/complete-locked");
        needs_reason(
            &app.call(Method::POST, &stage, Some(&reviewer), None, &[])
                .await,
        );
        let r = app
            .call(
                Method::POST,
                &format!("{stage}?reason=derived%20stage%20was%20missing"),
                Some(&reviewer),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["tumor"]["items"]["derivedSummaryStage2018"], "1");
        assert!(audited_reason(&app, "tumor", &id, "derived stage was missing").await);
    } else {
        eprintln!("staging algorithms missing: the re-staging path is not tried");
    }

    // PUT /tumors/{id}/status: reopening.
    let status = format!("{path}/status");
    let r = put(
        &app,
        &status,
        &registrar,
        json!({ "status": "review", "reason": "x" }),
    )
    .await;
    refused_as_registrar(&r, StatusCode::FORBIDDEN);
    needs_reason(&put(&app, &status, &reviewer, json!({ "status": "review" })).await);
    let current = app.get(&path, &reviewer).await;
    assert_eq!(current.body["status"], "complete");
    let r = put(
        &app,
        &status,
        &reviewer,
        json!({ "status": "review", "reason": "query from the state registry" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "review");
    let r = put(&app, &status, &reviewer, json!({ "status": "complete" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // DELETE: a complete tumor is withdrawn, by a reviewer with a reason.
    let delete = |token: &str, query: &str| {
        let p = format!("{path}{query}");
        let (app, token) = (&app, token.to_string());
        async move { app.write(Method::DELETE, &p, Some(&token), None).await }
    };
    refused_as_registrar(
        &delete(&registrar, "?reason=dup").await,
        StatusCode::FORBIDDEN,
    );
    needs_reason(&delete(&reviewer, "").await);
    let r = delete(&reviewer, "?reason=duplicate%20case").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(app.get(&path, &reviewer).await.body["status"], "deleted");
}
both_backends!(
    complete_is_locked_on_every_path,
    complete_is_locked_on_every_path
);

fn kept(report: &Value, item: &str) -> Option<String> {
    report["kept"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["item"] == item)
        .map(|k| k["reason"].as_str().unwrap().to_string())
}

async fn imports_follow_the_rules(app: TestApp) {
    let registrar = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let (p, tumor) = complete_tumor(&app, 3, "CASTELLANOS").await;
    let id = tumor["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tumors/{id}");
    let number = person(3, "").get("patientIdNumber").cloned().unwrap();
    let number = number.as_str().unwrap().to_string();
    // The file: the patient (another first name), its complete tumor (a remark), and a new
    // tumor carrying an over-ride flag.
    let file = |remark: &str| {
        naaccr_file(&[(
            &[
                ("patientIdNumber", number.as_str()),
                ("nameFirst", "ROBERTA"),
            ],
            vec![
                &[
                    ("reportingFacility", FACILITY_A),
                    ("accessionNumberHosp", "202400001"),
                    ("sequenceNumberHospital", "00"),
                    ("textRemarks", remark),
                ],
                &[
                    ("reportingFacility", FACILITY_A),
                    ("accessionNumberHosp", "202400077"),
                    ("sequenceNumberHospital", "01"),
                    ("primarySite", "C187"),
                    ("histologicTypeIcdO3", "8140"),
                    ("behaviorCodeIcdO3", "3"),
                    ("dateOfDiagnosis", "20240901"),
                    ("overRideHistology", "1"),
                ],
            ],
        )])
    };

    // A registrar's import, and a reviewer's without a reason: the locked values and the flag
    // are kept and reported, the rest applies.
    for (token, query) in [(&registrar, ""), (&reviewer, "?dryRun=true")] {
        let r = import(&app, token, query, file("from the hospital")).await;
        assert!(r.status.is_success(), "{}", r.body);
        assert_eq!(
            kept(&r.body, "textRemarks").as_deref(),
            Some("complete-locked"),
            "{}",
            r.body
        );
        assert_eq!(
            kept(&r.body, "nameFirst").as_deref(),
            Some("complete-locked")
        );
        assert_eq!(
            kept(&r.body, "overRideHistology").as_deref(),
            Some("override-refused")
        );
    }
    let now = app.get(&path, &registrar).await;
    assert_eq!(now.body["status"], "complete");
    assert!(now.body["items"].get("textRemarks").is_none());
    assert_eq!(now.body["version"], tumor["version"]);
    let patient = app.get(&format!("/api/v1/patients/{p}"), &registrar).await;
    assert_eq!(patient.body["items"]["nameFirst"], "ROBIN");
    let tumors = app
        .get(&format!("/api/v1/patients/{p}/tumors"), &registrar)
        .await;
    let new: Vec<&Value> = tumors.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["id"] != id.as_str())
        .collect();
    assert_eq!(new.len(), 1, "the registrar's import created the new tumor");
    assert!(new[0]["items"].get("overRideHistology").is_none());

    // A reviewer's import without a reason (applied, not a dry run) keeps them too.
    let r = import(&app, &reviewer, "", file("second try")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        kept(&r.body, "textRemarks").as_deref(),
        Some("complete-locked")
    );
    assert!(app.get(&path, &reviewer).await.body["items"]
        .get("textRemarks")
        .is_none());

    // With a reason, a reviewer's import changes the complete tumor and sets the flag,
    // audited with the reason.
    let r = import(
        &app,
        &reviewer,
        "?reason=corrected%20abstract%20from%20the%20hospital",
        file("corrected"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(kept(&r.body, "textRemarks"), None, "{}", r.body);
    assert_eq!(kept(&r.body, "overRideHistology"), None);
    let now = app.get(&path, &reviewer).await;
    assert_eq!(now.body["items"]["textRemarks"], "corrected");
    let expected = if now.body["editStatus"] == "errors" {
        "review"
    } else {
        "complete"
    };
    assert_eq!(now.body["status"], expected);
    let patient = app.get(&format!("/api/v1/patients/{p}"), &reviewer).await;
    assert_eq!(patient.body["items"]["nameFirst"], "ROBERTA");
    let other = app
        .get(
            &format!("/api/v1/tumors/{}", new[0]["id"].as_str().unwrap()),
            &reviewer,
        )
        .await;
    assert_eq!(other.body["items"]["overRideHistology"], "1");
    assert!(audited_reason(&app, "patient", &p, "corrected abstract from the hospital").await);
}
both_backends!(imports_follow_the_rules, imports_follow_the_rules);
