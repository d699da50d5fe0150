//! Reads do not queue behind the writer (#21): a patient's contacts, primaries and death
//! review queue, a tumor's history and sources, and a submission's file and withdrawals are
//! read on a read connection, their audit rows committed by the audit writer, so they answer
//! while another transaction holds the database's write lock. Research releases read and
//! count on a read connection too, and only log the release in a short write.

use actix_web::http::{Method, StatusCode};
use diesel::prelude::*;
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::audit::chain;
use cancer_registry::auth::Role;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Audit rows waiting for the chain: lines of SQLite's spool file, rows of PostgreSQL's
/// `audit_pending`.
fn waiting_rows(app: &TestApp) -> usize {
    if let cancer_registry::db::Backend::Sqlite(path) = app.db.backend() {
        let mut name = path.as_os_str().to_owned();
        name.push("-audit-spool");
        std::fs::read_to_string(name)
            .map(|text| text.lines().count())
            .unwrap_or(0)
    } else {
        let n = diesel::sql_query("SELECT count(*) AS n FROM audit_pending")
            .get_result::<Count>(&mut *app.db.conn().unwrap())
            .unwrap()
            .n;
        usize::try_from(n).unwrap()
    }
}

/// Waits (up to 20 seconds, without blocking the executor) for a read's answer.
async fn answered(app: &TestApp, path: &str, token: &str) -> Resp {
    actix_web::rt::time::timeout(std::time::Duration::from_secs(20), app.get(path, token))
        .await
        .unwrap_or_else(|_| panic!("GET {path} is answered while another transaction writes"))
}

async fn converted_reads_answer_while_a_write_holds_the_database(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let researcher = app.token(Role::Researcher, None);
    let manager = app.token(Role::Manager, None);

    // A patient with a complete tumor (research sees complete abstracts only), a contact and a
    // possible death match (name and birth date only) in the review queue.
    let p = app.patient(&t, patient_items()).await;
    let tid = app.tumor(&t, &p, tumor_items()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = format!("/api/v1/tumors/{tid}/status");
    for (token, to) in [(&t, "review"), (&reviewer, "complete")] {
        let r = app
            .write(
                Method::PUT,
                &status,
                Some(token),
                Some(json!({ "status": to })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = app
        .post(
            &format!("/api/v1/patients/{p}/contacts"),
            &t,
            json!({ "date": "20250601", "vitalStatus": "1", "followUpSource": "2" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post(
            "/api/v1/followup/death-records",
            &t,
            json!({ "records": [{ "nameLast": "TESTPERSON", "nameFirst": "ALEX", "dateOfBirth": "19550314", "dateOfDeath": "20250901" }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["possible"][0]["patientIds"],
        json!([p]),
        "{}",
        r.body
    );

    // A finished submission.
    let recipient = app.recipient("STATE", "other", "A").await;
    let r = app
        .post(
            "/api/v1/submissions",
            &t,
            json!({ "recipient": recipient, "recordType": "A" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let sid = r.body["id"].as_str().unwrap().to_string();
    let mut done = false;
    for _ in 0..400 {
        let r = app.get(&format!("/api/v1/submissions/{sid}"), &t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        match r.body["status"].as_str().unwrap() {
            "done" => {
                done = true;
                break;
            }
            "failed" => panic!("submission failed: {}", r.body),
            _ => actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    assert!(done, "submission {sid} did not finish");

    // An approved research request.
    let r = app
        .post(
            "/api/v1/research-requests",
            &researcher,
            json!({
                "title": "Breast cancer outcomes", "investigator": "Dr. R. Searcher", "institution": "State University",
                "purpose": "Survival by stage", "irbApprovalId": "IRB-2026-001", "irbApprovalDate": "2026-01-15",
                "items": ["primarySite", "histologicTypeIcdO3", "dateOfDiagnosis"],
                "selection": { "dxYearFrom": 2000, "sites": ["C50"] }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rid = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/research-requests/{rid}/approve"),
            &manager,
            json!({ "expiresOn": "2099-12-31" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.db.flush_audit().await.unwrap();
    assert_eq!(waiting_rows(&app), 0);

    let held = app.hold_audit_head().await;

    let r = answered(&app, &format!("/api/v1/patients/{p}/contacts"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body["data"].as_array().unwrap().is_empty(), "{}", r.body);
    let r = answered(&app, &format!("/api/v1/tumors/{tid}/history"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body["data"].as_array().unwrap().is_empty(), "{}", r.body);
    let r = answered(&app, &format!("/api/v1/tumors/{tid}/sources"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = answered(&app, &format!("/api/v1/patients/{p}/primaries"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = answered(&app, "/api/v1/followup/death-records/possible", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1, "{}", r.body);
    let r = answered(&app, &format!("/api/v1/submissions/{sid}/file"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(String::from_utf8_lossy(&r.raw).contains(FACILITY_A));
    let r = answered(&app, &format!("/api/v1/submissions/{sid}/withdrawals"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    // Every read has its record, waiting for the lock.
    assert_eq!(waiting_rows(&app), 7);

    held.release().await;

    // The releases: read and counted on a read connection, logged in a short write.
    let r = app
        .post(
            &format!("/api/v1/research-requests/{rid}/extracts"),
            &researcher,
            json!({ "format": "csv" }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.raw)
    );
    let csv = String::from_utf8(r.raw.clone()).unwrap();
    assert_eq!(csv.lines().count(), 2, "a header and the tumor: {csv}");
    let extract_hash = r.header("x-release-sha256").unwrap();
    assert_eq!(
        extract_hash,
        format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&r.raw))
    );
    let r = app
        .get(
            &format!("/api/v1/research-requests/{rid}/tables?groupBy=sex"),
            &researcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let table_release = r.body["releaseId"].as_str().unwrap().to_string();
    let r = app
        .get(
            &format!("/api/v1/research-requests/{rid}/releases"),
            &researcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let releases = r.body["data"].as_array().unwrap();
    assert_eq!(releases.len(), 2, "{}", r.body);
    assert_eq!(releases[0]["kind"], "extract-csv");
    assert_eq!(releases[0]["sha256"], extract_hash.as_str());
    assert_eq!(releases[0]["records"], 1);
    assert_eq!(releases[1]["kind"], "table");
    assert_eq!(releases[1]["id"], table_release.as_str());
    assert_eq!(
        app.audit_count("release", "research-request", Some(&rid))
            .await,
        2
    );

    // The next read's commit moved the waiting rows into the chain, which verifies whole.
    let r = app.get(&format!("/api/v1/patients/{p}/contacts"), &t).await;
    assert_eq!(r.status, StatusCode::OK);
    app.db.flush_audit().await.unwrap();
    assert_eq!(waiting_rows(&app), 0);
    assert_eq!(app.audit_count("read", "contact", None).await, 2);
    assert_eq!(
        app.audit_count("read", "tumor-history", Some(&tid)).await,
        1
    );
    // Requested, then the file and the withdrawals read under the lock.
    assert_eq!(app.audit_count("export", "submission", Some(&sid)).await, 3);
    app.db.flush_audit().await.unwrap();
    let verified = chain::verify(&mut app.db.conn().unwrap()).unwrap();
    assert_eq!(verified.defect, None);
}
both_backends!(
    converted_reads_answer_while_a_write_holds_the_database,
    converted_reads_answer_while_a_write_holds_the_database
);
