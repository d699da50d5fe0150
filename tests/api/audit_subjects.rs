//! Bulk reads are found by a patient's id (issue 21): a list page is one audit row naming its
//! patients in `details`, and `GET /api/v1/audit?entityId=<patient>` finds it through the index
//! of the records each row names. `audit verify` checks that index against the chained
//! details, and a start indexes rows written before the index existed.

use actix_web::http::{Method, StatusCode};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::audit::chain::{self, Defect};
use cancer_registry::auth::Role;

/// A living patient of facility A with an analytic breast case diagnosed in 2022 and no
/// contact since: due for follow-up as of 2026-06-30.
async fn due_patient(app: &TestApp, token: &str, last_name: &str) -> String {
    let r = app
        .post(
            "/api/v1/patients",
            token,
            json!({ "facilityId": FACILITY_A, "items": {
                "vitalStatus": "1", "dateOfBirth": "19500101", "nameLast": last_name,
            } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    app.tumor(
        token,
        &id,
        json!({
            "reportingFacility": FACILITY_A, "primarySite": "C504", "histologicTypeIcdO3": "8500",
            "behaviorCodeIcdO3": "3", "classOfCase": "14", "dateOfDiagnosis": "20220310",
        }),
    )
    .await;
    id
}

/// Read rows found by `entityId` (and `entity` when given), as (entity, own entity id, via).
async fn reads_of(app: &TestApp, entity: Option<&str>, id: &str) -> Vec<Value> {
    let auditor = app.token(Role::Auditor, None);
    let entity = entity.map(|e| format!("&entity={e}")).unwrap_or_default();
    let r = app
        .get(
            &format!("/api/v1/audit?action=read&entityId={id}{entity}&limit=1000"),
            &auditor,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

fn via(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{}:{}:{}",
                r["entity"].as_str().unwrap(),
                r["entityId"].as_str().unwrap_or("-"),
                r["details"]["via"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn exec(app: &TestApp, sql: &str) {
    diesel::sql_query(sql)
        .execute(&mut *app.db.conn().unwrap())
        .unwrap();
}

async fn defect(app: &TestApp) -> Option<Defect> {
    app.db.flush_audit().await.unwrap();
    chain::verify(&mut app.db.conn().unwrap()).unwrap().defect
}

async fn bulk_reads_are_found_by_patient(app: TestApp) {
    let t = app.registrar();
    let p1 = due_patient(&app, &t, "ROE").await;
    let p2 = due_patient(&app, &t, "DOE").await;
    // Before any read, the patient's trail holds no read.
    assert!(reads_of(&app, None, &p2).await.is_empty());

    // The patient list, the due list (JSON page, streamed CSV and NDJSON) and the letters each
    // name p2 only in their details.
    let r = app.get("/api/v1/patients", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.get("/api/v1/followup/due?asOf=2026-06-30", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2, "{}", r.body);
    for path in [
        "/api/v1/followup/due?asOf=2026-06-30&format=csv",
        "/api/v1/followup/due?asOf=2026-06-30&format=ndjson",
        "/api/v1/followup/letters?asOf=2026-06-30",
    ] {
        let r = app.call(Method::GET, path, Some(&t), None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(String::from_utf8_lossy(&r.raw).contains(&p2) || path.contains("letters"));
    }
    let r = app.get("/api/v1/tumors", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let rows = reads_of(&app, None, &p2).await;
    assert_eq!(
        via(&rows),
        [
            "patient:-:-",
            "patient:-:followup-due",
            "patient:-:followup-due",
            "patient:-:followup-due",
            "patient:-:followup-letters",
            "tumor:-:-",
        ],
        "{rows:?}"
    );
    // Each row still lists the ids it returned.
    assert!(rows
        .iter()
        .all(|r| r["details"]["ids"].as_array().unwrap().len() == 2));
    // `entity` filters the rows' own entity: patient lists, or tumor lists, naming p2.
    assert_eq!(reads_of(&app, Some("patient"), &p2).await.len(), 5);
    assert_eq!(reads_of(&app, Some("tumor"), &p2).await.len(), 1);
    assert_eq!(reads_of(&app, None, &p1).await.len(), 6);

    // A single read of one of p2's tumors names p2 too; p2's own read is found as before.
    let tumors = app.get(&format!("/api/v1/patients/{p2}/tumors"), &t).await;
    let tid = tumors.body["data"][0]["id"].as_str().unwrap().to_string();
    app.get(&format!("/api/v1/tumors/{tid}"), &t).await;
    app.get(&format!("/api/v1/patients/{p2}"), &t).await;
    let rows = reads_of(&app, None, &p2).await;
    assert_eq!(rows.len(), 9, "{rows:?}");
    assert!(rows
        .iter()
        .any(|r| r["entity"] == "tumor" && r["entityId"] == tid.as_str()));
    assert!(rows
        .iter()
        .any(|r| r["entity"] == "patient" && r["entityId"] == p2.as_str()));
    assert_eq!(reads_of(&app, Some("tumor"), &tid).await.len(), 3);

    // The trail verifies, index included.
    assert_eq!(defect(&app).await, None);

    // An index row deleted (the read would be hidden from p2's search) names its audit row.
    let due_row = rows
        .iter()
        .find(|r| r["details"]["via"] == "followup-due")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let seq_of = |id: &str| -> i64 {
        #[derive(QueryableByName)]
        struct Seq {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            seq: i64,
        }
        diesel::sql_query(format!("SELECT seq FROM audit_log WHERE id = '{id}'"))
            .get_result::<Seq>(&mut *app.db.conn().unwrap())
            .unwrap()
            .seq
    };
    let seq = seq_of(&due_row);
    exec(
        &app,
        &format!("DELETE FROM audit_subjects WHERE audit_id = '{due_row}' AND entity_id = '{p2}'"),
    );
    assert!(reads_of(&app, None, &p2)
        .await
        .iter()
        .all(|r| r["id"] != due_row.as_str()));
    assert_eq!(
        defect(&app).await,
        Some(Defect::Subjects {
            seq,
            id: due_row.clone()
        })
    );
    exec(
        &app,
        &format!("INSERT INTO audit_subjects (entity_id, audit_id) VALUES ('{p2}', '{due_row}')"),
    );
    assert_eq!(defect(&app).await, None);
    // One added (the read would wrongly be found for someone else) is named as well.
    exec(
        &app,
        &format!(
            "INSERT INTO audit_subjects (entity_id, audit_id) VALUES ('someone-else', '{due_row}')"
        ),
    );
    assert_eq!(
        defect(&app).await,
        Some(Defect::Subjects {
            seq,
            id: due_row.clone()
        })
    );
    exec(
        &app,
        "DELETE FROM audit_subjects WHERE entity_id = 'someone-else'",
    );
    assert_eq!(defect(&app).await, None);

    // Rows written before the index existed are indexed once, at the next start.
    exec(&app, "DELETE FROM audit_subjects");
    exec(&app, "UPDATE audit_chain SET subjects_indexed = FALSE");
    assert!(reads_of(&app, None, &p2).await.len() < 9);
    assert!(matches!(defect(&app).await, Some(Defect::Subjects { .. })));
    chain::seal_legacy(&mut app.db.conn().unwrap()).unwrap();
    assert_eq!(defect(&app).await, None);
    assert_eq!(reads_of(&app, None, &p2).await.len(), 9);
}
both_backends!(
    bulk_reads_are_found_by_patient,
    bulk_reads_are_found_by_patient
);
