//! The five-hospital scenario of issue 22: a state registry receives files from five hospitals
//! (one patient at three of them, one patient without a Patient ID Number, a v25 file, a file
//! with errors), clears deaths, and then receives every file twice more. The re-sends change
//! nothing, death clearance finds every death already applied, and the dead stay dead.

use actix_web::http::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::intake::{import, naaccr_file_of};
use crate::support::*;
use cancer_registry::auth::Role;

type Items = Vec<(&'static str, String)>;
type Pairs<'a> = Vec<(&'a str, &'a str)>;
type Slice<'a> = &'a [(&'a str, &'a str)];

fn person(number: Option<&str>, last: &str, first: &str, dob: &str, ssn: &str) -> Items {
    let mut p: Items = Vec::new();
    if let Some(n) = number {
        p.push(("patientIdNumber", n.to_string()));
    }
    p.extend([
        ("nameLast", last.to_string()),
        ("nameFirst", first.to_string()),
        ("dateOfBirth", dob.to_string()),
    ]);
    if !ssn.is_empty() {
        p.push(("socialSecurityNumber", ssn.to_string()));
    }
    p.extend([
        ("vitalStatus", "1".to_string()),
        ("dateOfLastContact", "20250812".to_string()),
    ]);
    p
}

fn tumor(facility: &str, accession: &str, site: &str, hist: &str) -> Items {
    vec![
        ("reportingFacility", facility.to_string()),
        ("accessionNumberHosp", accession.to_string()),
        ("sequenceNumberHospital", "00".to_string()),
        ("primarySite", site.to_string()),
        ("histologicTypeIcdO3", hist.to_string()),
        ("behaviorCodeIcdO3", "3".to_string()),
        ("dateOfDiagnosis", "20250115".to_string()),
        ("followUpSource", "1".to_string()),
    ]
}

fn file(version: &str, patients: &[(Items, Vec<Items>)]) -> Vec<u8> {
    let owned: Vec<(Pairs, Vec<Pairs>)> = patients
        .iter()
        .map(|(p, ts)| {
            (
                p.iter().map(|(k, v)| (*k, v.as_str())).collect(),
                ts.iter()
                    .map(|t| t.iter().map(|(k, v)| (*k, v.as_str())).collect())
                    .collect(),
            )
        })
        .collect();
    let borrowed: Vec<(Slice, Vec<Slice>)> = owned
        .iter()
        .map(|(p, ts)| (p.as_slice(), ts.iter().map(|t| t.as_slice()).collect()))
        .collect();
    naaccr_file_of(version, &borrowed)
}

const H: [&str; 5] = [
    "0000000001",
    "0000000002",
    "0000000003",
    "0000000004",
    "0000000005",
];

/// (name, file, valid).
fn hospital_files() -> Vec<(&'static str, Vec<u8>, bool)> {
    let jane = |n: &str| person(Some(n), "DOE", "JANE", "19500101", "123450789");
    let bob = person(Some("10000002"), "ROE", "BOB", "19450505", "234560891");
    let carl = person(Some("20000002"), "SMITH", "CARL", "19600101", "");
    // Sex [220] in the v25 file, converted to Sex Assigned at Birth [225].
    let mut dana = person(Some("30000002"), "POE", "DANA", "19700707", "");
    dana.push(("sex", "2".to_string()));
    let eve = person(None, "LOE", "EVE", "19800808", "345670912");
    let frank = person(None, "MOE", "FRANK", "19810909", "");
    let gail = person(Some("50000001"), "KOE", "GAIL", "19550505", "");
    let mut bad_gail = gail.clone();
    bad_gail.retain(|(k, _)| *k != "dateOfBirth");
    bad_gail.push(("dateOfBirth", "19550231".to_string()));
    vec![
        (
            "h1",
            file(
                "260",
                &[
                    (
                        jane("10000001"),
                        vec![tumor(H[0], "202500001", "C509", "8500")],
                    ),
                    (bob, vec![tumor(H[0], "202500002", "C349", "8140")]),
                ],
            ),
            true,
        ),
        (
            "h2",
            file(
                "260",
                &[
                    (
                        jane("20000001"),
                        vec![tumor(H[1], "202500101", "C509", "8500")],
                    ),
                    (carl, vec![tumor(H[1], "202500102", "C180", "8140")]),
                ],
            ),
            true,
        ),
        (
            "h3-v25",
            file(
                "250",
                &[
                    (
                        jane("30000001"),
                        vec![tumor(H[2], "202500201", "C509", "8500")],
                    ),
                    (dana, vec![tumor(H[2], "202500202", "C619", "8140")]),
                ],
            ),
            true,
        ),
        (
            "h4",
            file(
                "260",
                &[
                    (eve, vec![tumor(H[3], "202500301", "C569", "8441")]),
                    (frank, vec![tumor(H[3], "202500302", "C220", "8170")]),
                ],
            ),
            true,
        ),
        (
            "h5-errors",
            file(
                "260",
                &[(bad_gail, vec![tumor(H[4], "202500401", "C739", "8260")])],
            ),
            false,
        ),
        (
            "h5",
            file(
                "260",
                &[(gail, vec![tumor(H[4], "202500401", "C739", "8260")])],
            ),
            true,
        ),
    ]
}

fn deaths() -> Value {
    json!({ "records": [
        { "ssn": "123450789", "dateOfBirth": "19500101", "nameLast": "DOE", "nameFirst": "JANE",
          "dateOfDeath": "20251115", "causeOfDeath": "C509", "placeOfDeath": "NY" },
        { "ssn": "234560891", "dateOfBirth": "19450505", "nameLast": "ROE", "nameFirst": "BOB",
          "dateOfDeath": "20251201", "causeOfDeath": "C349" },
        { "ssn": "345670912", "dateOfBirth": "19800808", "nameLast": "LOE", "nameFirst": "EVE",
          "dateOfDeath": "20251020", "causeOfDeath": "C569" },
        // A possible match only (no SSN, a spelling of the name): queued for review.
        { "dateOfBirth": "19600101", "nameLast": "SMYTH", "nameFirst": "CARL",
          "dateOfDeath": "20251105", "causeOfDeath": "C180" },
    ]})
}

async fn patients(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/api/v1/patients?limit=200", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

async fn contact_count(app: &TestApp, token: &str, ids: &[String]) -> usize {
    let mut n = 0;
    for id in ids {
        let r = app
            .get(&format!("/api/v1/patients/{id}/contacts"), token)
            .await;
        n += r.body["data"].as_array().unwrap().len();
    }
    n
}

async fn five_hospitals_resent_twice_change_nothing(app: TestApp) {
    let central = app.token(Role::Manager, None);
    let files = hospital_files();
    for (name, body, valid) in &files {
        let r = import(
            &app,
            &central,
            &format!("?fileName={name}.xml"),
            body.clone(),
        )
        .await;
        let want = if *valid {
            StatusCode::CREATED
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(r.status, want, "{name}: {}", r.body);
    }
    let before = patients(&app, &central).await;
    assert_eq!(
        before.len(),
        9,
        "three records of Jane, one of each of the six others"
    );
    let ids: Vec<String> = before
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let r = app
        .post("/api/v1/followup/death-records", &central, deaths())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Jane at three hospitals, Bob, Eve.
    assert_eq!(r.body["matched"].as_array().unwrap().len(), 5, "{}", r.body);
    assert_eq!(
        r.body["possible"].as_array().unwrap().len(),
        1,
        "{}",
        r.body
    );
    let review = r.body["possible"][0]["reviewId"].clone();
    let contacts = contact_count(&app, &central, &ids).await;
    assert_eq!(contacts, 5);
    let dead_state: Vec<(Value, Value, Value)> = patients(&app, &central)
        .await
        .iter()
        .map(|p| {
            (
                p["items"]["vitalStatus"].clone(),
                p["items"]["dateOfLastContact"].clone(),
                p["items"]["causeOfDeath"].clone(),
            )
        })
        .collect();
    assert_eq!(dead_state.iter().filter(|(v, _, _)| v == "0").count(), 5);

    // Every file, twice more.
    for round in 0..2 {
        for (name, body, valid) in &files {
            let r = import(
                &app,
                &central,
                &format!("?fileName={name}.xml"),
                body.clone(),
            )
            .await;
            if !valid {
                assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
                continue;
            }
            assert_eq!(r.status, StatusCode::CREATED, "{round} {name}: {}", r.body);
            for n in [
                "patientsCreated",
                "patientsUpdated",
                "tumorsCreated",
                "tumorsUpdated",
            ] {
                assert_eq!(r.body[n], 0, "round {round}, {name}, {n}: {}", r.body);
            }
            assert!(r.body["unchanged"].as_u64().unwrap() > 0, "{}", r.body);
            assert_eq!(r.body["problemsTotal"], 0, "{}", r.body);
        }
        let r = app
            .post("/api/v1/followup/death-records", &central, deaths())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["matched"].as_array().unwrap().len(), 0, "{}", r.body);
        assert_eq!(
            r.body["alreadyApplied"].as_array().unwrap().len(),
            5,
            "{}",
            r.body
        );
        assert_eq!(r.body["possible"][0]["reviewId"], review, "queued once");
    }
    let after = patients(&app, &central).await;
    assert_eq!(after.len(), 9, "no patient created again");
    let after_state: Vec<(Value, Value, Value)> = after
        .iter()
        .map(|p| {
            (
                p["items"]["vitalStatus"].clone(),
                p["items"]["dateOfLastContact"].clone(),
                p["items"]["causeOfDeath"].clone(),
            )
        })
        .collect();
    assert_eq!(after_state, dead_state, "the dead stay dead");
    assert_eq!(contact_count(&app, &central, &ids).await, contacts);
    let queue = app
        .get("/api/v1/followup/death-records/possible", &central)
        .await;
    assert_eq!(queue.body["data"].as_array().unwrap().len(), 1);
    // 6 + 2 x 6 imports recorded, 3 of them refused.
    let refused = app.get("/api/v1/imports?status=refused", &central).await;
    assert_eq!(refused.body["data"].as_array().unwrap().len(), 3);
    let done = app
        .get("/api/v1/imports?status=done&limit=200", &central)
        .await;
    assert_eq!(done.body["data"].as_array().unwrap().len(), 15);
}
both_backends!(
    five_hospitals_resent_twice_change_nothing,
    five_hospitals_resent_twice_change_nothing
);
