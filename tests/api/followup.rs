//! Follow-up: a cohort with known dates gives the due list, delinquent flags and rates worked
//! out by hand; contacts never move a patient backward; death clearance applies exact matches only.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

struct Cohort {
    p: Vec<String>,
    tumors: Vec<String>,
}

async fn person(app: &TestApp, token: &str, facility: &str, items: Value) -> String {
    let r = app
        .post(
            "/api/v1/patients",
            token,
            json!({ "facilityId": facility, "items": items }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

fn tumor(facility: &str, site: &str, hist: &str, class: &str, dx: &str) -> Value {
    json!({
        "reportingFacility": facility, "primarySite": site, "histologicTypeIcdO3": hist,
        "behaviorCodeIcdO3": "3", "classOfCase": class, "dateOfDiagnosis": dx,
    })
}

/// asOf 2026-06-30, reference date 2015-01-01.
async fn cohort(app: &TestApp, token: &str) -> Cohort {
    let alive = |contact: &str, extra: Value| {
        let mut v =
            json!({ "vitalStatus": "1", "dateOfLastContact": contact, "dateOfBirth": "19500101" });
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let specs: Vec<(&str, Value, Vec<Value>)> = vec![
        // P1: contacted 5 months ago: current, not due.
        (
            FACILITY_A,
            alive("20260101", json!({})),
            vec![tumor(FACILITY_A, "C504", "8500", "14", "20220310")],
        ),
        // P2: 13 months: due, not delinquent, still current for the rates.
        (
            FACILITY_A,
            alive(
                "20250501",
                json!({ "socialSecurityNumber": "123450789", "nameLast": "DOE", "nameFirst": "JANE" }),
            ),
            vec![tumor(FACILITY_A, "C619", "8140", "10", "20190101")],
        ),
        // P3: 17 months: delinquent.
        (
            FACILITY_A,
            alive(
                "20250101",
                json!({ "dateOfBirth": "19600101", "nameLast": "SMITH", "nameFirst": "JOHN" }),
            ),
            vec![tumor(FACILITY_A, "C341", "8140", "22", "20230505")],
        ),
        // P4: dead: never due, always current.
        (
            FACILITY_A,
            json!({ "vitalStatus": "0", "dateOfLastContact": "20240101" }),
            vec![tumor(FACILITY_A, "C180", "8140", "14", "20210707")],
        ),
        // P5: non-analytic only: excluded.
        (
            FACILITY_A,
            alive("20200101", json!({})),
            vec![tumor(FACILITY_A, "C504", "8500", "30", "20200101")],
        ),
        // P6: basal cell skin only: excluded.
        (
            FACILITY_A,
            alive("20230101", json!({})),
            vec![tumor(FACILITY_A, "C445", "8090", "14", "20220101")],
        ),
        // P7 (facility B): 24 months: delinquent; one case before the reference date.
        (
            FACILITY_B,
            alive("20240615", json!({})),
            vec![
                tumor(FACILITY_B, "C504", "8500", "14", "20100101"),
                tumor(FACILITY_B, "C509", "8500", "14", "20240101"),
            ],
        ),
    ];
    let mut p = Vec::new();
    let mut tumors = Vec::new();
    for (facility, items, ts) in specs {
        let id = person(app, token, facility, items).await;
        for t in ts {
            tumors.push(
                app.tumor(token, &id, t).await["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        p.push(id);
    }
    Cohort { p, tumors }
}

fn both_token(app: &TestApp) -> String {
    app.token(Role::Registrar, Some(&[FACILITY_A, FACILITY_B]))
}

async fn due_list_and_rates(app: TestApp) {
    let t = both_token(&app);
    let c = cohort(&app, &t).await;
    let r = app.get("/api/v1/followup/due?asOf=2026-06-30", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let due: Vec<(String, i64, bool)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["patientId"].as_str().unwrap().to_string(),
                e["monthsSinceContact"].as_i64().unwrap(),
                e["delinquent"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        due,
        vec![
            (c.p[6].clone(), 24, true),
            (c.p[2].clone(), 17, true),
            (c.p[1].clone(), 13, false)
        ]
    );
    assert!(r.body["data"][0]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("analytic"));

    // Facility scope: a registrar of A alone does not see P7 (facility B).
    let r = app
        .get("/api/v1/followup/due?asOf=2026-06-30", &app.registrar())
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
    let r = app
        .get("/api/v1/followup/due?asOf=2026-06-30&dueMonths=16", &t)
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
    let r = app.get("/api/v1/followup/due?asOf=2026-02-30", &t).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .get(
            "/api/v1/reports/followup-rates?asOf=2026-06-30&referenceDate=2015-01-01",
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rate = |v: &Value| {
        (
            v["eligible"].as_u64().unwrap(),
            v["current"].as_u64().unwrap(),
            v["meetsStandard"].as_bool().unwrap(),
        )
    };
    assert_eq!(rate(&r.body["sinceReference"]), (5, 3, false));
    assert!((r.body["sinceReference"]["rate"].as_f64().unwrap() - 0.6).abs() < 1e-9);
    assert_eq!(rate(&r.body["lastFiveYears"]), (4, 2, false));
    let fac = r.body["byFacility"].as_array().unwrap();
    assert_eq!(fac.len(), 2);
    assert_eq!(fac[0]["facilityId"], FACILITY_A);
    assert_eq!(rate(&fac[0]["sinceReference"]), (4, 3, false));
    assert_eq!(rate(&fac[0]["lastFiveYears"]), (3, 2, false));
    assert_eq!(rate(&fac[1]["sinceReference"]), (1, 0, false));

    // Contacting the delinquent patients brings the rates to the standard.
    for i in [2usize, 6] {
        let r = app
            .post(
                &format!("/api/v1/patients/{}/contacts", c.p[i]),
                &t,
                json!({ "date": "20260615", "vitalStatus": "1" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app
        .get(
            "/api/v1/reports/followup-rates?asOf=2026-06-30&referenceDate=2015-01-01",
            &t,
        )
        .await;
    assert_eq!(rate(&r.body["sinceReference"]), (5, 5, true));
    assert_eq!(rate(&r.body["lastFiveYears"]), (4, 4, true));

    let r = app
        .call(
            Method::GET,
            "/api/v1/followup/letters?asOf=2026-06-30",
            Some(&t),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(r.raw.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("patientId,patientIdNumber,nameFirst"));
    assert_eq!(lines.len(), 2, "only P2 is still due: {text}");
    assert!(lines[1].contains("JANE") && lines[1].contains("DOE"));
    assert!(app.audit_count("read", "patient", None).await >= 2);
    let _ = c.tumors;
}
both_backends!(due_list_and_rates, due_list_and_rates);

async fn contacts_never_move_backward(app: TestApp) {
    let t = app.registrar();
    let p = app
        .patient(
            &t,
            json!({ "vitalStatus": "1", "dateOfLastContact": "20250101" }),
        )
        .await;
    let tumor_id = app.tumor(&t, &p, tumor_items()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/patients/{p}/contacts");
    let contact = |date: &str, vital: &str| json!({ "date": date, "vitalStatus": vital, "followUpSource": "2" });

    let mut body = contact("20260201", "1");
    body["tumors"] = json!({ tumor_id.clone(): "1" });
    body["nextFollowUpSource"] = json!("1");
    let r = app.post(&path, &t, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["applied"], true);
    let patient = app.get(&format!("/api/v1/patients/{p}"), &t).await;
    assert_eq!(patient.body["items"]["dateOfLastContact"], "20260201");
    let tumor = app.get(&format!("/api/v1/tumors/{tumor_id}"), &t).await;
    assert_eq!(tumor.body["items"]["cancerStatus"], "1");
    assert_eq!(tumor.body["items"]["dateOfLastCancerStatus"], "20260201");
    assert_eq!(tumor.body["items"]["followUpSource"], "2");
    assert_eq!(tumor.body["items"]["nextFollowUpSource"], "1");

    // An older contact is kept but changes nothing.
    let mut older = contact("20251201", "1");
    older["tumors"] = json!({ tumor_id.clone(): "2" });
    let r = app.post(&path, &t, older).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["applied"], false);
    let patient = app.get(&format!("/api/v1/patients/{p}"), &t).await;
    assert_eq!(patient.body["items"]["dateOfLastContact"], "20260201");
    let tumor = app.get(&format!("/api/v1/tumors/{tumor_id}"), &t).await;
    assert_eq!(tumor.body["items"]["cancerStatus"], "1");

    let mut death = contact("20260301", "0");
    death["causeOfDeath"] = json!("C509");
    death["placeOfDeath"] = json!("NY");
    let r = app.post(&path, &t, death).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let patient = app.get(&format!("/api/v1/patients/{p}"), &t).await;
    assert_eq!(patient.body["items"]["vitalStatus"], "0");
    assert_eq!(patient.body["items"]["causeOfDeath"], "C509");
    assert_eq!(patient.body["items"]["placeOfDeathState"], "NY");

    let r = app.post(&path, &t, contact("20260401", "1")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "alive after death");
    assert!(r.body["detail"].as_str().unwrap().contains("dead"));
    let r = app.post(&path, &t, contact("20260215", "1")).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "an alive contact before the death is history"
    );
    assert_eq!(r.body["applied"], false);

    let r = app.get(&path, &t).await;
    let dates: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, vec!["20260301", "20260215", "20260201", "20251201"]);

    for (bad, field) in [
        (json!({ "date": "20990101", "vitalStatus": "1" }), "date"),
        (json!({ "date": "20250231", "vitalStatus": "1" }), "date"),
        (json!({ "date": "202501", "vitalStatus": "1" }), "date"),
        (
            json!({ "date": "20250101", "vitalStatus": "2" }),
            "vitalStatus",
        ),
        (
            json!({ "date": "20250101", "vitalStatus": "1", "causeOfDeath": "C509" }),
            "causeOfDeath",
        ),
        (
            json!({ "date": "20250101", "vitalStatus": "1", "tumors": { "nope": "1" } }),
            "tumors.nope",
        ),
    ] {
        let r = app.post(&path, &t, bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert_eq!(r.body["errors"][0]["item"], field, "{}", r.body);
    }
    // Another facility cannot record contacts for this patient.
    let b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let r = app.post(&path, &b, contact("20260101", "1")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
both_backends!(contacts_never_move_backward, contacts_never_move_backward);

async fn recurrence(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor_id = app.tumor(&t, &p, tumor_items()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/tumors/{tumor_id}/recurrence");
    let put = |body: Value| app.write(Method::PUT, &path, Some(&t), Some(body));
    let r = put(json!({ "type": "10", "date": "20240101" })).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "before the 20240315 diagnosis"
    );
    assert_eq!(r.body["errors"][0]["rule"], "before-diagnosis");
    let r = put(json!({ "type": "10" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = put(json!({ "type": "00", "date": "20250101" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = put(json!({ "type": "11", "date": "20250101" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = put(json!({ "type": "40", "date": "202503" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"]["recurrenceType1st"], "40");
    assert_eq!(r.body["items"]["recurrenceDate1st"], "202503");
    let r = put(json!({ "type": "00" })).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["items"].get("recurrenceDate1st").is_none());
}
both_backends!(recurrence, recurrence);

async fn death_clearance_applies_exact_matches_only(app: TestApp) {
    let t = both_token(&app);
    let c = cohort(&app, &t).await;
    let batch = json!({ "records": [
        { "ssn": "123450789", "dateOfBirth": "19500101", "nameLast": "DOE", "nameFirst": "JANE", "dateOfDeath": "20260510", "causeOfDeath": "C619" },
        { "nameLast": "SMYTHE", "nameFirst": "JOHN", "dateOfBirth": "19600101", "dateOfDeath": "20260401" },
        { "nameLast": "NOBODY", "nameFirst": "X", "dateOfBirth": "19010101", "dateOfDeath": "20260401" },
    ]});
    let r = app.post("/api/v1/followup/death-records", &t, batch).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["matched"][0]["patientIds"], json!([c.p[1]]));
    assert_eq!(r.body["possible"][0]["patientIds"], json!([c.p[2]]));
    assert_eq!(r.body["possible"][0]["record"], 1);
    assert_eq!(r.body["unmatched"][0]["record"], 2);
    let p2 = app.get(&format!("/api/v1/patients/{}", c.p[1]), &t).await;
    assert_eq!(p2.body["items"]["vitalStatus"], "0");
    assert_eq!(p2.body["items"]["dateOfLastContact"], "20260510");
    let p3 = app.get(&format!("/api/v1/patients/{}", c.p[2]), &t).await;
    assert_eq!(
        p3.body["items"]["vitalStatus"], "1",
        "a possible match is not applied"
    );

    let csv = "nameLast,nameFirst,dateOfBirth,ssn,dateOfDeath\r\nSMITH,JOHN,19600101,,20260401\r\n";
    let r = app
        .call_bytes(
            Method::POST,
            "/api/v1/followup/death-records",
            &t,
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["possible"][0]["patientIds"], json!([c.p[2]]));
    assert_eq!(r.body["matched"].as_array().unwrap().len(), 0);
    let r = app
        .call_bytes(
            Method::POST,
            "/api/v1/followup/death-records",
            &t,
            "text/csv",
            b"nameLast,dateOfDeath\nA,20260101\nB\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["detail"].as_str().unwrap().contains("line 3"),
        "{}",
        r.body
    );
}
both_backends!(
    death_clearance_applies_exact_matches_only,
    death_clearance_applies_exact_matches_only
);
