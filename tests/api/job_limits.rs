//! Submission builds and imports run under a limit per user and per instance (issue 21): one
//! user's jobs cannot take the pool from the others; a job over a limit gets 429 with
//! Retry-After at once and leaves nothing behind.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

async fn job_limits(app: TestApp) {
    let t = app.registrar();
    let rid = app.recipient("State", "state", "A").await;
    let p = app.patient(&t, patient_items()).await;
    app.tumor(&t, &p, tumor_items()).await;
    let body = json!({ "recipient": rid, "selection": { "pending": true } });
    let file = crate::intake::naaccr_file(&[(
        &[("patientIdNumber", "00000777"), ("nameLast", "LIMIT")],
        vec![],
    )]);

    // The registrar already runs as many jobs as a user may (3 in the tests' app).
    let held: Vec<_> = (0..3)
        .map(|_| app.slots.take("registrar-user").unwrap())
        .collect();
    let r = app.post("/api/v1/submissions", &t, body.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/too-many-jobs");
    assert_eq!(r.header("retry-after").as_deref(), Some("30"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("you already run 3 jobs"),
        "{}",
        r.body
    );
    let r = crate::intake::import(&app, &t, "", file.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // Nothing was queued or stored by the refused requests.
    let m = app.token(Role::Manager, None);
    let list = app.get("/api/v1/submissions", &m).await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        0,
        "{}",
        list.body
    );
    let found = app
        .get("/api/v1/patients?patientIdNumber=00000777", &m)
        .await;
    assert_eq!(
        found.body["data"].as_array().unwrap().len(),
        0,
        "{}",
        found.body
    );

    // The instance's last slot taken by someone else: everyone waits, the manager too.
    let other = app.slots.take("someone-else").unwrap();
    let r = app.post("/api/v1/submissions", &m, body.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(
        r.body["detail"].as_str().unwrap().contains("4 jobs"),
        "{}",
        r.body
    );

    // Reads are not jobs: they go on while every slot is taken.
    let r = app.get(&format!("/api/v1/patients/{p}"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Slots given back: the jobs run.
    drop(other);
    drop(held);
    let r = crate::intake::import(&app, &t, "", file).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app.post("/api/v1/submissions", &t, body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}
both_backends!(job_limits, job_limits);
