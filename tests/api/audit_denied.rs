//! Refused requests are audited (issue 21): a record outside the caller's facilities (404), an
//! operation outside the caller's roles (403) and a stale change (412) leave a `denied` row
//! naming the caller, the record when known, and the reason; a request without identity (401) and a path that names no
//! record leave none.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

async fn denied_rows(app: &TestApp, query: &str) -> Vec<Value> {
    let auditor = app.token(Role::Auditor, None);
    let r = app
        .get(&format!("/api/v1/audit?action=denied{query}"), &auditor)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

async fn refusals_are_audited(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let tid = tumor["id"].as_str().unwrap().to_string();

    // A registrar of facility B reads and changes a tumor of facility A: 404 each, and a
    // denied row naming the tumor.
    let b = app
        .keys
        .sign(
            "registrar-of-b",
            &[Role::Registrar],
            Some(vec![FACILITY_B.to_string()]),
            Duration::from_secs(600),
        )
        .unwrap();
    let r = app.get(&format!("/api/v1/tumors/{tid}"), &b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let request_id = r.header("x-request-id").unwrap();
    let rows = denied_rows(&app, &format!("&entityId={tid}")).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["action"], "denied");
    assert_eq!(row["actor"], "registrar-of-b");
    assert_eq!(row["roles"], json!(["registrar"]));
    assert_eq!(row["entity"], "tumor");
    assert_eq!(row["entityId"], tid.as_str());
    assert_eq!(row["requestId"], request_id.as_str());
    assert_eq!(row["details"]["status"], 404);
    assert_eq!(row["details"]["reason"], "not-found");
    assert_eq!(row["details"]["method"], "GET");
    assert_eq!(row["details"]["route"], "/api/v1/tumors/{id}");
    // Nothing was read: no read row for B.
    assert_eq!(app.audit_count("read", "tumor", Some(&tid)).await, 0);

    let r = app
        .patch(
            &format!("/api/v1/tumors/{tid}"),
            &b,
            "\"1\"",
            json!({ "items": { "laterality": "2" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app.get(&format!("/api/v1/patients/{p}/tumors"), &b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let rows = denied_rows(&app, "&actor=registrar-of-b").await;
    let named: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["entity"].as_str().unwrap(),
                r["entityId"].as_str().unwrap(),
                r["details"]["method"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("tumor", tid.as_str(), "GET"),
            ("tumor", tid.as_str(), "PATCH"),
            ("patient", p.as_str(), "GET"),
        ]
    );

    // A researcher calls registrar-only operations: 403, a denied row naming the operation's
    // records (the tumor when the path names it).
    let researcher = app.token(Role::Researcher, None);
    assert_eq!(
        app.get("/api/v1/tumors", &researcher).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/v1/tumors/{tid}"), &researcher)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/followup/due", &researcher).await.status,
        StatusCode::FORBIDDEN
    );
    let rows = denied_rows(&app, "&actor=researcher-user").await;
    let named: Vec<(&str, Option<&str>, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["entity"].as_str().unwrap(),
                r["entityId"].as_str(),
                r["details"]["route"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("tumor", None, "/api/v1/tumors"),
            ("tumor", Some(tid.as_str()), "/api/v1/tumors/{id}"),
            ("operation", None, "/api/v1/followup/due"),
        ]
    );
    assert!(rows.iter().all(|r| r["details"]["status"] == 403
        && r["details"]["reason"] == "forbidden"
        && r["roles"] == json!(["researcher"])));
    // The tumor's own history shows the researcher's attempt beside B's two.
    assert_eq!(
        denied_rows(&app, &format!("&entityId={tid}")).await.len(),
        3
    );

    // A registrar trying the audit trail is recorded too.
    assert_eq!(
        app.get("/api/v1/audit", &t).await.status,
        StatusCode::FORBIDDEN
    );
    let rows = denied_rows(&app, "&entity=audit").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["actor"], "registrar-user");

    // A tumor that does not exist answers as one out of scope does, and is recorded the same
    // way (SECURITY.md: probing ids is what the row is for).
    let missing = "00000000-0000-0000-0000-000000000000";
    assert_eq!(
        app.get(&format!("/api/v1/tumors/{missing}"), &t)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        denied_rows(&app, &format!("&entityId={missing}"))
            .await
            .len(),
        1
    );

    // A change refused as stale (412: the answer names the current version) is recorded as
    // the attempt it was, by the record's id.
    let r = app
        .patch(
            &format!("/api/v1/tumors/{tid}"),
            &t,
            "\"7\"",
            json!({ "items": { "laterality": "2" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.body);
    let rows = denied_rows(&app, &format!("&entityId={tid}&actor=registrar-user")).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["details"]["status"], 412);
    assert_eq!(rows[0]["details"]["reason"], "stale-version");
    assert_eq!(rows[0]["details"]["method"], "PATCH");

    // Without identity (401), and for a path that names no record, nothing is recorded.
    let before = denied_rows(&app, "").await.len();
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/tumors/{tid}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .get(&format!("/api/v1/tumors/{tid}"), "not-a-token")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/no-such-thing", &t).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/lookups/noSuchItem", &t).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(denied_rows(&app, "").await.len(), before);

    // The trail with its denied rows still verifies.
    app.db.flush_audit().await.unwrap();
    let verified = cancer_registry::audit::chain::verify(&mut app.db.conn().unwrap()).unwrap();
    assert_eq!(verified.defect, None);
}
both_backends!(refusals_are_audited, refusals_are_audited);
