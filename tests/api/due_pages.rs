//! The due list at scale: keyset pages (`limit`, `cursor`) that together give the whole list in
//! order, and the streamed CSV and NDJSON forms giving the same patients, each page audited.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

async fn person(app: &TestApp, token: &str, contact: Option<&str>, dx: &str) -> String {
    let mut items = json!({ "vitalStatus": "1", "dateOfBirth": "19500101", "nameLast": "ROE" });
    if let Some(c) = contact {
        items["dateOfLastContact"] = json!(c);
    }
    let r = app
        .post(
            "/api/v1/patients",
            token,
            json!({ "facilityId": FACILITY_A, "items": items }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    app.tumor(
        token,
        &id,
        json!({
            "reportingFacility": FACILITY_A, "primarySite": "C504", "histologicTypeIcdO3": "8500",
            "behaviorCodeIcdO3": "3", "classOfCase": "14", "dateOfDiagnosis": dx,
        }),
    )
    .await;
    id
}

async fn raw(app: &TestApp, token: &str, path: &str) -> (String, String) {
    let r = app.call(Method::GET, path, Some(token), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}");
    (
        r.header("content-type").unwrap_or_default(),
        String::from_utf8(r.raw).unwrap(),
    )
}

async fn pages_and_streams(app: TestApp) {
    let t = app.registrar();
    // Due as of 2026-06-30: 3 without a contact (diagnosed 2022), 9 with contacts 13 to 45
    // months old; 3 more contacted recently are not due.
    let mut expected_no_contact = Vec::new();
    for _ in 0..3 {
        expected_no_contact.push(person(&app, &t, None, "20220310").await);
    }
    expected_no_contact.sort();
    let mut expected_contact = Vec::new();
    for (i, c) in [
        "20250501", "20230101", "20240615", "2022", "20250301", "202401", "20221130", "20250115",
        "20240101",
    ]
    .iter()
    .enumerate()
    {
        expected_contact.push((
            c.to_string(),
            i,
            person(&app, &t, Some(c), "20200101").await,
        ));
    }
    for c in ["20260101", "20251201", "20260601"] {
        person(&app, &t, Some(c), "20200101").await;
    }
    expected_contact.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
    let mut expected = expected_no_contact.clone();
    expected.extend(expected_contact.iter().map(|e| e.2.clone()));

    let whole = app.get("/api/v1/followup/due?asOf=2026-06-30", &t).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.body);
    let ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["patientId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&whole.body), expected);
    assert!(whole.body["next"].is_null());

    let reads_before = app.audit_count("read", "patient", None).await;
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/api/v1/followup/due?asOf=2026-06-30&limit=5".to_string(),
            Some(c) => format!("/api/v1/followup/due?asOf=2026-06-30&limit=5&cursor={c}"),
        };
        let r = app.get(&path, &t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = ids(&r.body);
        assert!(page.len() <= 5);
        paged.extend(page);
        pages += 1;
        match r.body["next"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, expected);
    assert_eq!(pages, 3);
    assert_eq!(
        app.audit_count("read", "patient", None).await,
        reads_before + 3,
        "one audit row per page"
    );

    let bad = app
        .get("/api/v1/followup/due?asOf=2026-06-30&cursor=x'1", &t)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let bad = app
        .get("/api/v1/followup/due?asOf=2026-06-30&limit=0", &t)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let (ct, csv) = raw(&app, &t, "/api/v1/followup/due?asOf=2026-06-30&format=csv").await;
    assert!(ct.starts_with("text/csv"), "{ct}");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("patientId,patientIdNumber,nameLast"));
    let from_csv: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(from_csv, expected);

    let (ct, nd) = raw(
        &app,
        &t,
        "/api/v1/followup/due?asOf=2026-06-30&format=ndjson",
    )
    .await;
    assert_eq!(ct, "application/x-ndjson");
    let from_nd: Vec<String> = nd
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["patientId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(from_nd, expected);

    let (_, letters) = raw(&app, &t, "/api/v1/followup/letters?asOf=2026-06-30").await;
    assert_eq!(letters.lines().count(), expected.len() + 1);

    // The list follows every change of the patient, whatever path makes it: a contact moves
    // the oldest patient out of the list, a death (Vital Status 0 by PATCH) another.
    let contacted = expected_contact[0].2.clone();
    let r = app
        .post(
            &format!("/api/v1/patients/{contacted}/contacts"),
            &t,
            json!({ "date": "20260615", "vitalStatus": "1" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let died = expected_contact[1].2.clone();
    let current = app.get(&format!("/api/v1/patients/{died}"), &t).await;
    let etag = current.header("etag").unwrap();
    let r = app
        .patch(
            &format!("/api/v1/patients/{died}"),
            &t,
            &etag,
            json!({ "items": { "vitalStatus": "0", "dateOfLastContact": "20260301" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    expected.retain(|id| id != &contacted && id != &died);
    let whole = app.get("/api/v1/followup/due?asOf=2026-06-30", &t).await;
    assert_eq!(ids(&whole.body), expected);

    // A patient of facility B with a tumor reported by A is in A's list (through the tumor),
    // and in the list of a registrar of both facilities once, in order.
    let t_b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let r = app
        .post(
            "/api/v1/patients",
            &t_b,
            json!({ "facilityId": FACILITY_B, "items": {
                "vitalStatus": "1", "dateOfBirth": "19500101", "nameLast": "ROE",
                "dateOfLastContact": "20230101" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let shared = r.body["id"].as_str().unwrap().to_string();
    let both = app.token(Role::Registrar, Some(&[FACILITY_A, FACILITY_B]));
    for facility in [FACILITY_B, FACILITY_A] {
        app.tumor(
            &both,
            &shared,
            json!({
                "reportingFacility": facility, "primarySite": "C504",
                "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "classOfCase": "14",
                "dateOfDiagnosis": "20200101",
            }),
        )
        .await;
    }
    let mut with_shared = expected_no_contact.clone();
    let mut dated: Vec<(String, String)> = expected_contact
        .iter()
        .filter(|e| expected.contains(&e.2))
        .map(|e| (e.0.clone(), e.2.clone()))
        .collect();
    dated.push(("20230101".to_string(), shared.clone()));
    dated.sort();
    with_shared.extend(dated.into_iter().map(|(_, id)| id));
    for token in [&t, &both] {
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                None => "/api/v1/followup/due?asOf=2026-06-30&limit=2".to_string(),
                Some(c) => format!("/api/v1/followup/due?asOf=2026-06-30&limit=2&cursor={c}"),
            };
            let r = app.get(&path, token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            paged.extend(ids(&r.body));
            match r.body["next"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(paged, with_shared);
    }
    let only_b = app.get("/api/v1/followup/due?asOf=2026-06-30", &t_b).await;
    assert_eq!(ids(&only_b.body), vec![shared]);
}
both_backends!(pages_and_streams, pages_and_streams);

/// The list skips, without reading them, patients whose tumors in the facility follow-up cannot
/// apply to (a flag on the link row kept by triggers): a change that makes a tumor followed
/// brings its patient back, and deleting it takes the patient out again.
async fn tumor_changes_move_patients_in_and_out(app: TestApp) {
    let t = app.registrar();
    let listed = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["patientId"].as_str().unwrap().to_string())
            .collect()
    };
    let due = "/api/v1/followup/due?asOf=2026-06-30&limit=50";
    // Diagnosed in 2003: before the years follow-up applies to.
    let p = person(&app, &t, Some("20200101"), "20030310").await;
    let other = person(&app, &t, Some("20200101"), "20150310").await;
    let r = app.get(due, &t).await;
    assert_eq!(listed(&r.body), vec![other.clone()], "{}", r.body);

    let tumors = app.get(&format!("/api/v1/tumors?patientId={p}"), &t).await;
    let tumor = tumors.body["data"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tumors/{tumor}");
    let r = app
        .write(
            Method::PATCH,
            &path,
            Some(&t),
            Some(json!({ "items": { "dateOfDiagnosis": "20100310" } })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.get(due, &t).await;
    let mut expected = vec![p.clone(), other.clone()];
    expected.sort();
    assert_eq!(listed(&r.body), expected, "{}", r.body);

    let r = app.write(Method::DELETE, &path, Some(&t), None).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let r = app.get(due, &t).await;
    assert_eq!(listed(&r.body), vec![other], "{}", r.body);
}
both_backends!(
    tumor_changes_move_patients_in_and_out,
    tumor_changes_move_patients_in_and_out
);
