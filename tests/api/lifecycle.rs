//! An abstract's life: complete is locked, removal erases only unsent drafts and otherwise
//! withdraws, case administration dates are kept by the service, derived items follow their
//! inputs (on a save and on an import), and research sees complete tumors only.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

fn today() -> String {
    chrono::Utc::now().format("%Y%m%d").to_string()
}

async fn put_status(app: &TestApp, token: &str, id: &str, body: Value) -> Resp {
    app.write(
        Method::PUT,
        &format!("/api/v1/tumors/{id}/status"),
        Some(token),
        Some(body),
    )
    .await
}

/// A patient with a complete breast tumor; returns (patient id, tumor body).
async fn complete_tumor(app: &TestApp) -> (String, Value) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let id = tumor["id"].as_str().unwrap();
    let r = put_status(app, &t, id, json!({ "status": "review" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = put_status(app, &reviewer, id, json!({ "status": "complete" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "complete");
    (p, r.body)
}

fn etag(body: &Value) -> String {
    format!("\"{}\"", body["version"])
}

async fn complete_is_locked(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let (p, tumor) = complete_tumor(&app).await;
    let id = tumor["id"].as_str().unwrap();
    let path = format!("/api/v1/tumors/{id}");

    // The registrar's correction of a complete tumor is refused and changes nothing.
    let r = app
        .patch(
            &path,
            &t,
            &etag(&tumor),
            json!({ "items": { "laterality": "0", "dateOfDiagnosis": "20240316" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/complete-locked");
    assert!(r.body["detail"].as_str().unwrap().contains("reopen"));
    let now = app.get(&path, &t).await;
    assert_eq!(now.body["status"], "complete");
    assert_eq!(now.body["items"]["laterality"], "1");
    assert_eq!(now.body["version"], tumor["version"]);

    // A reviewer needs a reason.
    let r = app
        .patch(
            &path,
            &reviewer,
            &etag(&tumor),
            json!({ "items": { "textRemarks": "checked" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "reason");

    // A reviewer's clean change with a reason keeps it complete, and is audited with the reason.
    let r = app
        .patch(
            &path,
            &reviewer,
            &etag(&tumor),
            json!({ "items": { "textRemarks": "checked" }, "reason": "remark added" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "complete");
    app.db.flush_audit().await.unwrap();
    let mut conn = app.db.conn().unwrap();
    let (rows, _) = cancer_registry::audit::list(
        &mut conn,
        &cancer_registry::audit::Filter {
            action: Some("update".into()),
            entity: Some("tumor".into()),
            entity_id: Some(id.to_string()),
            ..Default::default()
        },
        None,
        100,
    )
    .unwrap();
    drop(conn);
    assert!(
        rows.iter()
            .any(|e| e.details.to_string().contains("remark added")),
        "the reason is in the audit trail"
    );

    // A reviewer's change that leaves an error-level edit failing sends it back to review in
    // the same request (never "complete with errors").
    {
        let r2 = app
            .patch(
                &path,
                &reviewer,
                &etag(&r.body),
                json!({ "items": { "laterality": "0" }, "reason": "laterality per path report" }),
            )
            .await;
        assert_eq!(r2.status, StatusCode::OK, "{}", r2.body);
        assert_eq!(r2.body["editStatus"], "errors", "{}", r2.body);
        assert_eq!(r2.body["status"], "review", "{}", r2.body);
        let stored = app.get(&path, &t).await;
        assert_eq!(stored.body["status"], "review");
        assert_eq!(stored.header("etag").unwrap(), etag(&r2.body));
        // Not among complete tumors any more, so a complete-only submission leaves it out.
        let r = app.get("/api/v1/tumors?status=complete", &t).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 0);
    }

    // Patient items of a patient with a complete tumor are locked the same way.
    let (p2, _) = {
        let mut other = patient_items();
        other["patientIdNumber"] = json!("00000077");
        other["socialSecurityNumber"] = json!("223456789");
        other["nameLast"] = json!("OTHERPERSON");
        let p2 = app.patient(&t, other).await;
        let tumor = app.tumor(&t, &p2, tumor_items()).await;
        let tid = tumor["id"].as_str().unwrap().to_string();
        put_status(&app, &t, &tid, json!({ "status": "review" })).await;
        let r = put_status(&app, &reviewer, &tid, json!({ "status": "complete" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        (p2, tid)
    };
    let _ = p;
    let ppath = format!("/api/v1/patients/{p2}");
    let r = app
        .patch(
            &ppath,
            &t,
            "\"1\"",
            json!({ "items": { "nameLast": "OTHERPERSEN" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/complete-locked");
    let r = app
        .patch(
            &ppath,
            &reviewer,
            "\"1\"",
            json!({ "items": { "nameLast": "OTHERPERSEN" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .patch(
            &ppath,
            &reviewer,
            "\"1\"",
            json!({ "items": { "nameLast": "OTHERPERSEN" }, "reason": "spelling per ID card" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"]["nameLast"], "OTHERPERSEN");
    assert!(app.audit_count("update", "patient", Some(&p2)).await >= 1);
}
both_backends!(complete_is_locked, complete_is_locked);

async fn deletion_and_withdrawal(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let manager = app.token(Role::Manager, None);

    // A draft nobody received: the registrar erases it.
    let p = app.patient(&t, patient_items()).await;
    let draft = app.tumor(&t, &p, tumor_items()).await;
    let draft_id = draft["id"].as_str().unwrap();
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tumors/{draft_id}"),
            Some(&t),
            None,
            &[("If-Match", "\"9\"")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::PRECONDITION_FAILED,
        "If-Match honoured"
    );
    let r = app
        .write(
            Method::DELETE,
            &format!("/api/v1/tumors/{draft_id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.get(&format!("/api/v1/tumors/{draft_id}"), &t).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A complete tumor, submitted to the state registry.
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let id = tumor["id"].as_str().unwrap().to_string();
    put_status(&app, &t, &id, json!({ "status": "review" })).await;
    let r = put_status(&app, &reviewer, &id, json!({ "status": "complete" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sub = submit(&app, &t, "STATE").await;
    assert_eq!(sub["tumors"], 1);
    let path = format!("/api/v1/tumors/{id}");

    let delete = |token: String, query: &'static str, etag: Option<String>| {
        let path = format!("{path}{query}");
        let app = &app;
        async move {
            let headers: Vec<(&str, String)> = etag
                .or_else(|| app.current_etag(&path))
                .map(|e| vec![("If-Match", e)])
                .unwrap_or_default();
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(Method::DELETE, &path, Some(&token), None, &h)
                .await
        }
    };
    let r = delete(t.clone(), "?reason=duplicate", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = delete(reviewer.clone(), "", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "reason");
    let r = delete(reviewer.clone(), "?reason=duplicate", Some("\"1\"".into())).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let current = app.get(&path, &t).await;
    let r = delete(
        reviewer.clone(),
        "?reason=duplicate%20of%20another%20case",
        current.header("etag"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

    // Rows kept, status deleted; out of lists, exports and reports.
    let r = app.get(&path, &t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "deleted");
    assert_eq!(
        app.get("/api/v1/tumors", &t).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/tumors?status=deleted", &t).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let again = submit(&app, &t, "STATE").await;
    assert_eq!(again["tumors"], 0, "a withdrawn tumor is not exported");
    let r = app
        .patch(
            &path,
            &reviewer,
            &r.header("etag").unwrap(),
            json!({ "items": { "laterality": "2" }, "reason": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = delete(reviewer.clone(), "?reason=again", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Recorded for the recipient it was sent to, and reported by the next submission to it
    // (`again` above), so no longer pending there.
    let (state_id, ncdb_id) = (
        app.recipient("STATE", "other", "A").await,
        app.recipient("NCDB", "other", "A").await,
    );
    let reported = again["withdrawals"].as_array().unwrap();
    assert_eq!(reported.len(), 1, "{again}");
    assert_eq!(reported[0]["tumorId"], id.as_str());
    assert_eq!(reported[0]["reason"], "duplicate of another case");
    let mut conn = app.db.conn().unwrap();
    assert!(
        cancer_registry::abstracts::withdrawal::pending_withdrawals(&mut conn, &state_id)
            .unwrap()
            .is_empty()
    );
    assert!(
        cancer_registry::abstracts::withdrawal::pending_withdrawals(&mut conn, &ncdb_id)
            .unwrap()
            .is_empty()
    );
    drop(conn);

    // A draft that was ever submitted is withdrawn too, never erased.
    let mut second = tumor_items();
    second["primarySite"] = json!("C187");
    second["histologicTypeIcdO3"] = json!("8140");
    second["laterality"] = json!("0");
    second["accessionNumberHosp"] = json!("202400002");
    second["sequenceNumberHospital"] = json!("01");
    let second = app.tumor(&t, &p, second).await;
    let sid = second["id"].as_str().unwrap().to_string();
    submit(&app, &t, "NCDB").await;
    let r = app
        .write(
            Method::DELETE,
            &format!("/api/v1/tumors/{sid}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Patients follow the same rule: live tumors block, withdrawn ones make it a withdrawal.
    let ppath = format!("/api/v1/patients/{p}");
    let r = app
        .write(Method::DELETE, &ppath, Some(&manager), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = app
        .write(
            Method::DELETE,
            &format!("/api/v1/tumors/{sid}?reason=not%20reportable"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.write(Method::DELETE, &ppath, Some(&t), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .write(Method::DELETE, &ppath, Some(&manager), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .write(
            Method::DELETE,
            &format!("{ppath}?reason=all%20cases%20withdrawn"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.get(&ppath, &t).await;
    assert_eq!(r.body["status"], "deleted");
    let r = app.get("/api/v1/patients", &t).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 0);
    assert_eq!(app.audit_count("delete", "patient", Some(&p)).await, 1);
    assert_eq!(app.audit_count("delete", "tumor", Some(&id)).await, 1);
}
both_backends!(deletion_and_withdrawal, deletion_and_withdrawal);

/// Builds a submission of the caller's tumors to a recipient (named; created of kind `other`
/// the first time) and waits for it.
async fn submit(app: &TestApp, token: &str, recipient: &str) -> Value {
    let recipient = app.recipient(recipient, "other", "A").await;
    let r = app
        .post(
            "/api/v1/submissions",
            token,
            json!({ "recipient": recipient, "recordType": "A", "selection": {} }),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let r = app.get(&format!("/api/v1/submissions/{id}"), token).await;
        match r.body["status"].as_str().unwrap() {
            "done" => return r.body,
            "failed" => panic!("submission failed: {}", r.body),
            _ => actix_rt::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    panic!("submission {id} did not finish")
}

async fn case_administration_dates(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let p = app.patient(&t, patient_items()).await;
    let today = today();

    for (item, number) in [
        ("dateCaseInitiated", 2085),
        ("dateCaseCompleted", 2090),
        ("dateCaseCompletedCoc", 2092),
        ("dateCaseLastChanged", 2100),
        ("dateCaseReportExported", 2110),
    ] {
        let mut items = tumor_items();
        items[item] = json!("20240101");
        let r = app
            .post(
                &format!("/api/v1/patients/{p}/tumors"),
                &t,
                json!({ "items": items }),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{item}");
        assert_eq!(r.body["errors"][0]["item"], item);
        assert_eq!(r.body["errors"][0]["number"], number);
        assert_eq!(r.body["errors"][0]["rule"], "read-only");
    }

    let tumor = app.tumor(&t, &p, tumor_items()).await;
    assert_eq!(tumor["items"]["dateCaseInitiated"], today.as_str());
    assert!(tumor["items"].get("dateCaseCompleted").is_none());
    let id = tumor["id"].as_str().unwrap();
    let path = format!("/api/v1/tumors/{id}");
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "dateCaseLastChanged": "20200101" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["number"], 2100);
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "textRemarks": "x" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"]["dateCaseLastChanged"], today.as_str());
    put_status(&app, &t, id, json!({ "status": "review" })).await;
    let r = put_status(&app, &reviewer, id, json!({ "status": "complete" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"]["dateCaseCompleted"], today.as_str());
    assert_eq!(r.body["items"]["dateCaseCompletedCoc"], today.as_str());
    assert_eq!(r.body["items"]["dateCaseInitiated"], today.as_str());
    assert!(r.body["items"].get("dateCaseReportExported").is_none());
    let version = r.body["version"].clone();

    // A submission that carries it sets Date Case Report Exported, in the file and stored,
    // without making it a change (the version stays, so it is not resent as changed).
    let sub = submit(&app, &t, "STATE").await;
    let file = app
        .get(
            &format!("/api/v1/submissions/{}/file", sub["id"].as_str().unwrap()),
            &t,
        )
        .await;
    let xml = String::from_utf8_lossy(&file.raw).to_string();
    assert!(
        xml.contains(&format!(
            "<Item naaccrId=\"dateCaseReportExported\">{today}</Item>"
        )),
        "{xml}"
    );
    let r = app.get(&path, &t).await;
    assert_eq!(r.body["items"]["dateCaseReportExported"], today.as_str());
    assert_eq!(r.body["version"], version);
}
both_backends!(case_administration_dates, case_administration_dates);

async fn derived_values_on_save(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let mut items = tumor_items();
    items.as_object_mut().unwrap().remove("schemaId");
    // A stale client value is replaced.
    items["ageAtDiagnosis"] = json!("050");
    let tumor = app.tumor(&t, &p, items).await;
    // Born 1955-03-14, diagnosed 2024-03-15.
    assert_eq!(tumor["items"]["ageAtDiagnosis"], "069");
    let derived: Vec<&str> = tumor["derived"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(derived.contains(&"ageAtDiagnosis"), "{derived:?}");
    let id = tumor["id"].as_str().unwrap();
    let path = format!("/api/v1/tumors/{id}");

    // Unknown birth date: 999.
    let mut unknown = patient_items();
    unknown.as_object_mut().unwrap().remove("dateOfBirth");
    unknown["patientIdNumber"] = json!("00000099");
    unknown["socialSecurityNumber"] = json!("999999999");
    let p2 = app.patient(&t, unknown).await;
    let t2 = app.tumor(&t, &p2, tumor_items()).await;
    assert_eq!(t2["items"]["ageAtDiagnosis"], "999");

    if staging().is_err() {
        return;
    }
    assert_eq!(tumor["items"]["schemaId"], "00480", "{}", tumor["items"]);
    assert_eq!(tumor["items"]["derivedSummaryStage2018"], "1");
    assert_eq!(tumor["items"]["derivedSummaryGrade2018"], "2");
    assert_eq!(tumor["items"]["schemaIdVersionCurrent"], "3.3");
    for item in [
        "schemaId",
        "derivedSummaryStage2018",
        "derivedSummaryGrade2018",
        "schemaIdVersionCurrent",
    ] {
        assert!(derived.contains(&item), "{item} in {derived:?}");
    }

    // A change of an EOD input re-derives in the same save: positive regional nodes.
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "eodRegionalNodes": "300", "regionalNodesPositive": "02" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["items"]["derivedSummaryStage2018"], "3",
        "{}",
        r.body
    );
    assert_eq!(r.body["derived"], json!(["derivedSummaryStage2018"]));

    // A client value that disagrees with the derivation is replaced, and the response says so.
    let r = app
        .patch(
            &path,
            &t,
            &format!("\"{}\"", r.body["version"]),
            json!({ "items": { "derivedSummaryStage2018": "7" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"]["derivedSummaryStage2018"], "3");
    assert_eq!(r.body["derived"], json!(["derivedSummaryStage2018"]));
}
both_backends!(derived_values_on_save, derived_values_on_save);

/// A NAACCR XML file of one patient (`patient` items) with the given tumors.
fn file_of(patient: &Value, tumors: &[Value]) -> Vec<u8> {
    fn pairs(v: &Value) -> Vec<(String, String)> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect()
    }
    let p = pairs(patient);
    let ts: Vec<Vec<(String, String)>> = tumors.iter().map(pairs).collect();
    let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ts: Vec<Vec<(&str, &str)>> = ts
        .iter()
        .map(|t| t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
        .collect();
    crate::intake::naaccr_file(&[(&p, ts.iter().map(|t| t.as_slice()).collect())])
}

/// The audit row (of a list) written by an import.
fn of_import<'a>(rows: &'a Value, import: &Value) -> &'a Value {
    rows["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["details"]["import"] == *import)
        .unwrap_or_else(|| panic!("no row of import {import}: {rows}"))
}

/// Imports derive as every save does: a file's stale derived values are replaced, a re-send
/// changes nothing, a changed input re-derives, and a patient's changed birth date re-derives
/// the age of the tumor the file did not carry.
async fn derived_values_on_import(app: TestApp) {
    let t = app.registrar();
    let patient = patient_items();
    let mut tumor = tumor_items();
    let obj = tumor.as_object_mut().unwrap();
    obj.remove("schemaId");
    obj.insert("ageAtDiagnosis".into(), json!("050"));
    obj.insert("derivedSummaryStage2018".into(), json!("7"));
    let file = file_of(&patient, std::slice::from_ref(&tumor));
    let r = crate::intake::import(&app, &t, "", file.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["tumorsCreated"], 1, "{}", r.body);
    let list = app
        .get("/api/v1/patients?patientIdNumber=00000042", &t)
        .await;
    let pid = list.body["data"][0]["id"].as_str().unwrap().to_string();
    let tumors_path = format!("/api/v1/patients/{pid}/tumors");
    let stored = app.get(&tumors_path, &t).await;
    let items = &stored.body["data"][0]["items"];
    // Born 1955-03-14, diagnosed 2024-03-15.
    assert_eq!(items["ageAtDiagnosis"], "069", "{items}");
    let staged = staging().is_ok();
    if staged {
        assert_eq!(items["schemaId"], "00480", "{items}");
        assert_eq!(items["derivedSummaryStage2018"], "1", "{items}");
        assert_eq!(items["derivedSummaryGrade2018"], "2", "{items}");
    }

    // The same file again: the file's stale values compare as the derived ones, nothing changes.
    let again = crate::intake::import(&app, &t, "", file).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["tumorsUpdated"], 0, "{}", again.body);
    assert_eq!(again.body["patientsUpdated"], 0, "{}", again.body);

    // Positive regional nodes in the file: derived again in the same import.
    if staged {
        let obj = tumor.as_object_mut().unwrap();
        obj.insert("eodRegionalNodes".into(), json!("300"));
        obj.insert("regionalNodesPositive".into(), json!("02"));
        let r = crate::intake::import(&app, &t, "", file_of(&patient, &[tumor])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["tumorsUpdated"], 1, "{}", r.body);
        let stored = app.get(&tumors_path, &t).await;
        assert_eq!(
            stored.body["data"][0]["items"]["derivedSummaryStage2018"], "3",
            "{}",
            stored.body
        );
    }

    // A corrected birth date without the tumor in the file: the stored tumor's age follows.
    let mut corrected = patient.clone();
    corrected["dateOfBirth"] = json!("19600314");
    let r = crate::intake::import(&app, &t, "", file_of(&corrected, &[])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["patientsUpdated"], 1, "{}", r.body);
    assert_eq!(r.body["tumorsUpdated"], 1, "{}", r.body);
    let stored = app.get(&tumors_path, &t).await;
    assert_eq!(
        stored.body["data"][0]["items"]["ageAtDiagnosis"], "064",
        "{}",
        stored.body
    );

    // The audit trail has the old and new values: under the patient, and under the tumor.
    let tid = stored.body["data"][0]["id"].as_str().unwrap();
    let auditor = app.token(Role::Auditor, None);
    let audit = |entity: &str, id: &str| {
        format!("/api/v1/audit?entity={entity}&entityId={id}&action=update")
    };
    let rows = app.get(&audit("tumor", tid), &auditor).await;
    assert_eq!(rows.status, StatusCode::OK, "{}", rows.body);
    let row = of_import(&rows.body, &r.body["id"]);
    assert_eq!(
        row["details"]["changes"],
        json!([{ "item": "ageAtDiagnosis", "old": "069", "new": "064" }]),
        "{}",
        rows.body
    );
    // The birth date identifies the person: the auditor sees that it changed, not its values.
    let rows = app.get(&audit("patient", &pid), &auditor).await;
    let row = of_import(&rows.body, &r.body["id"]);
    assert_eq!(
        row["details"]["changes"],
        json!([{ "item": "dateOfBirth", "old": "[masked]", "new": "[masked]" }]),
        "{}",
        rows.body
    );
}
both_backends!(derived_values_on_import, derived_values_on_import);

async fn research_sees_complete_tumors_only(app: TestApp) {
    let t = app.registrar();
    let manager = app.token(Role::Manager, None);
    let researcher = app.token(Role::Researcher, None);
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let mut ids = Vec::new();
    for n in 0..3u32 {
        let p = app
            .patient(
                &t,
                json!({
                    "patientIdNumber": format!("{:08}", 500 + n), "nameLast": format!("RSLAST{n}"),
                    "nameFirst": format!("RSFIRST{n}"), "socialSecurityNumber": format!("55500{n:04}"),
                    "dateOfBirth": format!("1960010{}", n + 1), "sexAssignedAtBirth": "2", "vitalStatus": "1",
                    "dateOfLastContact": "20250505", "race1": "01", "spanishHispanicOrigin": "0"
                }),
            )
            .await;
        let tumor = app.tumor(&t, &p, tumor_items()).await;
        ids.push(tumor["id"].as_str().unwrap().to_string());
    }
    // One complete, one in review, one draft.
    put_status(&app, &t, &ids[0], json!({ "status": "review" })).await;
    let r = put_status(&app, &reviewer, &ids[0], json!({ "status": "complete" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    put_status(&app, &t, &ids[1], json!({ "status": "review" })).await;

    let r = app
        .post(
            "/api/v1/research-requests",
            &researcher,
            json!({
                "title": "Breast cancer", "investigator": "Dr. A", "institution": "U",
                "purpose": "survival", "irbApprovalId": "IRB-1", "irbApprovalDate": "2026-01-15",
                "items": ["primarySite", "histologicTypeIcdO3"], "selection": { "sites": ["C50"] }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let req = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/research-requests/{req}/approve"),
            &manager,
            json!({ "expiresOn": "2099-12-31", "reason": "IRB verified" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/research-requests/{req}/extracts"),
            &researcher,
            json!({ "format": "csv" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let csv = String::from_utf8_lossy(&r.raw).to_string();
    let records = csv.lines().count() - 1;
    assert_eq!(records, 1, "only the complete tumor: {csv}");
}
both_backends!(
    research_sees_complete_tumors_only,
    research_sees_complete_tumors_only
);
