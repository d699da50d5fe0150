//! Intake that never loses what the registry knows (issue 22): imports respect follow-up and
//! registry-kept items, death clearance is idempotent with a review queue, record types are a
//! promise.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;
use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::xml::{NaaccrXmlReader, ReaderOptions};
use cancer_registry::naaccr::{Dictionary, RecordType};

type Pairs<'a> = &'a [(&'a str, &'a str)];

/// A v26 NAACCR XML file of record type A: (patient items, [tumor items]).
pub fn naaccr_file(patients: &[(Pairs, Vec<Pairs>)]) -> Vec<u8> {
    naaccr_file_of("260", patients)
}

/// A NAACCR XML file of a base dictionary version (`260`, `250`).
pub fn naaccr_file_of(version: &str, patients: &[(Pairs, Vec<Pairs>)]) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\"?>\n<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-{version}.xml\" recordType=\"A\" specificationVersion=\"1.8\">\n",
    );
    for (items, tumors) in patients {
        s.push_str("<Patient>\n");
        for (k, v) in *items {
            s.push_str(&format!("<Item naaccrId=\"{k}\">{v}</Item>\n"));
        }
        for t in tumors {
            s.push_str("<Tumor>\n");
            for (k, v) in *t {
                s.push_str(&format!("<Item naaccrId=\"{k}\">{v}</Item>\n"));
            }
            s.push_str("</Tumor>\n");
        }
        s.push_str("</Patient>\n");
    }
    s.push_str("</NaaccrData>\n");
    s.into_bytes()
}

pub async fn import(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> Resp {
    app.call_bytes(
        Method::POST,
        &format!("/api/v1/imports{query}"),
        token,
        "application/xml",
        body,
    )
    .await
}

async fn patient_by_number(app: &TestApp, token: &str, number: &str) -> Value {
    let r = app.get("/api/v1/patients?limit=200", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["items"]["patientIdNumber"] == number)
        .cloned()
        .unwrap_or_else(|| panic!("no patient {number}: {}", r.body))
}

async fn contacts(app: &TestApp, token: &str, patient: &str) -> usize {
    let r = app
        .get(&format!("/api/v1/patients/{patient}/contacts"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_array().unwrap().len()
}

const JANE: Pairs = &[
    ("patientIdNumber", "00000001"),
    ("nameLast", "DOE"),
    ("nameFirst", "JANE"),
    ("dateOfBirth", "19500101"),
    ("socialSecurityNumber", "123450789"),
    ("sexAssignedAtBirth", "2"),
    ("vitalStatus", "1"),
    ("dateOfLastContact", "20250812"),
];

const JANE_TUMOR: Pairs = &[
    ("reportingFacility", FACILITY_A),
    ("accessionNumberHosp", "202500001"),
    ("sequenceNumberHospital", "00"),
    ("primarySite", "C509"),
    ("histologicTypeIcdO3", "8500"),
    ("behaviorCodeIcdO3", "3"),
    ("dateOfDiagnosis", "20250115"),
    ("dateCaseCompleted", "20250301"),
    ("followUpSource", "1"),
];

fn death_batch() -> Value {
    json!({ "records": [
        { "ssn": "123450789", "dateOfBirth": "19500101", "nameLast": "DOE", "nameFirst": "JANE",
          "dateOfDeath": "20251115", "causeOfDeath": "C509" },
    ]})
}

/// The finding: death clearance applied a death, the hospital re-sent its unchanged file, and
/// the patient was alive again. Now the re-send changes nothing and says what it kept.
async fn resend_after_death_keeps_the_death(app: TestApp) {
    let t = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let file = naaccr_file(&[(JANE, vec![JANE_TUMOR])]);
    let r = import(&app, &t, "", file.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post("/api/v1/followup/death-records", &t, death_batch())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["matched"].as_array().unwrap().len(), 1, "{}", r.body);
    let jane = patient_by_number(&app, &t, "00000001").await;
    let id = jane["id"].as_str().unwrap().to_string();
    assert_eq!(jane["items"]["vitalStatus"], "0");

    let again = import(&app, &t, "", file.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    for n in [
        "patientsCreated",
        "patientsUpdated",
        "tumorsCreated",
        "tumorsUpdated",
    ] {
        assert_eq!(again.body[n], 0, "{n}: {}", again.body);
    }
    let kept = again.body["kept"].as_array().unwrap();
    let vital = kept
        .iter()
        .find(|k| k["item"] == "vitalStatus")
        .unwrap_or_else(|| panic!("{}", again.body));
    assert_eq!(vital["reason"], "recorded-dead");
    assert_eq!(vital["stored"], "0");
    assert_eq!(vital["file"], "1");
    assert!(
        kept.iter()
            .any(|k| k["item"] == "followUpSource" && k["reason"] == "recorded-dead"),
        "the tumors' follow-up source moves with the patient's follow-up: {}",
        again.body
    );
    let jane = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(
        jane.body["items"]["vitalStatus"], "0",
        "the dead patient stays dead"
    );
    assert_eq!(jane.body["items"]["dateOfLastContact"], "20251115");
    assert_eq!(jane.body["items"]["causeOfDeath"], "C509");

    // Death clearance again: already applied, no second contact.
    assert_eq!(contacts(&app, &t, &id).await, 1);
    let r = app
        .post("/api/v1/followup/death-records", &t, death_batch())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["matched"].as_array().unwrap().len(), 0, "{}", r.body);
    assert_eq!(r.body["alreadyApplied"][0]["patientIds"], json!([id]));
    assert_eq!(contacts(&app, &t, &id).await, 1);

    // A later contact alive is refused for this patient, reported, and the rest applies.
    let mut later: Vec<(&str, &str)> = JANE.to_vec();
    later.retain(|(k, _)| *k != "dateOfLastContact");
    later.push(("dateOfLastContact", "20260101"));
    let mut tumor: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    tumor.push(("grade", "2"));
    let r = import(&app, &t, "", naaccr_file(&[(&later, vec![&tumor])])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["tumorsUpdated"], 1, "{}", r.body);
    let problem = &r.body["problems"][0];
    assert_eq!(problem["rule"], "alive-after-death", "{}", r.body);
    assert_eq!(problem["item"], "vitalStatus");
    assert_eq!(problem["line"], 3, "the patient's line: {}", r.body);
    let jane = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(jane.body["items"]["vitalStatus"], "0");
    assert_eq!(jane.body["items"]["dateOfLastContact"], "20251115");
    let tumors = app.get(&format!("/api/v1/patients/{id}/tumors"), &t).await;
    assert_eq!(
        tumors.body["data"][0]["items"]["grade"], "2",
        "the rest applied"
    );
}
both_backends!(
    resend_after_death_keeps_the_death,
    resend_after_death_keeps_the_death
);

/// An older or equal contact never replaces a newer one; a newer one does; a stored case
/// administration date and central sequence number are kept.
async fn imports_follow_the_contact_rules(app: TestApp) {
    let t = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let mut tumor: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    tumor.push(("sequenceNumberCentral", "00"));
    let r = import(&app, &t, "", naaccr_file(&[(JANE, vec![&tumor])])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let jane = patient_by_number(&app, &t, "00000001").await;
    let id = jane["id"].as_str().unwrap().to_string();

    let with = |date: &'static str, status: &'static str| {
        let mut p: Vec<(&str, &str)> = JANE.to_vec();
        p.retain(|(k, _)| *k != "dateOfLastContact" && *k != "vitalStatus");
        p.push(("dateOfLastContact", date));
        p.push(("vitalStatus", status));
        p
    };
    // Older, then equal with another value: kept.
    let older = with("20250101", "1");
    let r = import(&app, &t, "", naaccr_file(&[(&older, vec![JANE_TUMOR])])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["patientsUpdated"], 0, "{}", r.body);
    assert_eq!(r.body["kept"][0]["reason"], "older-contact", "{}", r.body);
    let same = with("20250812", "0");
    let r = import(&app, &t, "", naaccr_file(&[(&same, vec![JANE_TUMOR])])).await;
    assert_eq!(r.body["patientsUpdated"], 0, "{}", r.body);
    assert_eq!(r.body["kept"][0]["reason"], "same-contact", "{}", r.body);
    let p = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(p.body["items"]["vitalStatus"], "1");
    assert_eq!(p.body["items"]["dateOfLastContact"], "20250812");

    // Newer: applied, with the tumors' follow-up source.
    let newer = with("20251001", "1");
    let mut t2: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    t2.retain(|(k, _)| *k != "followUpSource" && *k != "dateCaseCompleted");
    t2.push(("followUpSource", "2"));
    // The registry's case administration date and central sequence number are kept.
    t2.push(("dateCaseCompleted", "20240101"));
    t2.push(("sequenceNumberCentral", "01"));
    let r = import(&app, &t, "", naaccr_file(&[(&newer, vec![&t2])])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["patientsUpdated"], 1, "{}", r.body);
    assert_eq!(r.body["tumorsUpdated"], 1, "{}", r.body);
    let reasons: Vec<(String, String)> = r.body["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["item"].as_str().unwrap().to_string(),
                k["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(reasons.contains(&("dateCaseCompleted".into(), "case-administration".into())));
    assert!(reasons.contains(&("sequenceNumberCentral".into(), "central-sequence".into())));
    let p = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(p.body["items"]["dateOfLastContact"], "20251001");
    let ts = app.get(&format!("/api/v1/patients/{id}/tumors"), &t).await;
    let items = &ts.body["data"][0]["items"];
    assert_eq!(items["followUpSource"], "2");
    assert_eq!(items["dateCaseCompleted"], "20250301");
    assert_eq!(items["sequenceNumberCentral"], "00");
}
both_backends!(
    imports_follow_the_contact_rules,
    imports_follow_the_contact_rules
);

/// Posting the same deaths again adds nothing; overlapping batches leave one contact each;
/// possible matches wait in a review queue, once, for a reviewer.
async fn death_clearance_is_idempotent(app: TestApp) {
    let t = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let john: Pairs = &[
        ("patientIdNumber", "00000002"),
        ("nameLast", "SMITH"),
        ("nameFirst", "JOHN"),
        ("dateOfBirth", "19600101"),
        ("vitalStatus", "1"),
        ("dateOfLastContact", "20250101"),
    ];
    let mut jt: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    jt.retain(|(k, _)| *k != "accessionNumberHosp");
    jt.push(("accessionNumberHosp", "202500002"));
    let r = import(
        &app,
        &t,
        "",
        naaccr_file(&[(JANE, vec![JANE_TUMOR]), (john, vec![&jt])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let jane = patient_by_number(&app, &t, "00000001").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let john = patient_by_number(&app, &t, "00000002").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let smythe = json!({ "nameLast": "SMYTHE", "nameFirst": "JOHN", "dateOfBirth": "19600101", "dateOfDeath": "20251201", "causeOfDeath": "C349" });
    let jane_death = death_batch()["records"][0].clone();
    // Four overlapping batches, the death in each.
    for _ in 0..4 {
        let r = app
            .post(
                "/api/v1/followup/death-records",
                &t,
                json!({ "records": [jane_death, smythe, jane_death] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["possible"][0]["patientIds"], json!([john]));
        assert_eq!(r.body["possible"][0]["reviewStatus"], "pending");
    }
    assert_eq!(contacts(&app, &t, &jane).await, 1, "one death contact");
    assert_eq!(
        contacts(&app, &t, &john).await,
        0,
        "a possible match applies nothing"
    );

    // The queue holds the possible match once.
    let q = app.get("/api/v1/followup/death-records/possible", &t).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    let entries = q.body["data"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", q.body);
    let entry = entries[0]["id"].as_str().unwrap().to_string();
    assert_eq!(entries[0]["record"]["nameLast"], "SMYTHE");
    // Another facility's registrar does not see it.
    let b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let q = app.get("/api/v1/followup/death-records/possible", &b).await;
    assert_eq!(q.body["data"].as_array().unwrap().len(), 0, "{}", q.body);

    // A registrar may not decide; a reviewer accepts; a second decision is refused.
    let accept = format!("/api/v1/followup/death-records/possible/{entry}/accept");
    let r = app.post(&accept, &t, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let r = app
        .post(&accept, &reviewer, json!({ "patientId": john }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "accepted");
    assert!(r.body["decidedBy"].is_string());
    let p = app.get(&format!("/api/v1/patients/{john}"), &t).await;
    assert_eq!(p.body["items"]["vitalStatus"], "0");
    assert_eq!(p.body["items"]["causeOfDeath"], "C349");
    let r = app.post(&accept, &reviewer, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        app.audit_count("update", "death-record", Some(&entry))
            .await
            >= 1
    );
    // The same record again: its decided entry, no new one, no second contact.
    let r = app
        .post(
            "/api/v1/followup/death-records",
            &t,
            json!({ "records": [smythe] }),
        )
        .await;
    assert_eq!(
        r.body["possible"][0]["reviewId"],
        json!(entry),
        "{}",
        r.body
    );
    assert_eq!(r.body["possible"][0]["reviewStatus"], "accepted");
    assert_eq!(contacts(&app, &t, &john).await, 1);
    let pending = app.get("/api/v1/followup/death-records/possible", &t).await;
    assert_eq!(pending.body["data"].as_array().unwrap().len(), 0);
    let accepted = app
        .get(
            "/api/v1/followup/death-records/possible?status=accepted",
            &t,
        )
        .await;
    assert_eq!(accepted.body["data"].as_array().unwrap().len(), 1);

    // A conflicting death for a patient recorded dead is queued, not applied; rejected with
    // a reason.
    let other = json!({ "records": [{ "ssn": "123450789", "dateOfBirth": "19500101", "dateOfDeath": "20251120", "causeOfDeath": "C349" }] });
    let r = app.post("/api/v1/followup/death-records", &t, other).await;
    let id = r.body["possible"][0]["reviewId"]
        .as_str()
        .unwrap()
        .to_string();
    let reject = format!("/api/v1/followup/death-records/possible/{id}/reject");
    let r = app.post(&reject, &reviewer, json!({ "reason": "" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post(&reject, &reviewer, json!({ "reason": "another person" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "rejected");
    let p = app.get(&format!("/api/v1/patients/{jane}"), &t).await;
    assert_eq!(p.body["items"]["dateOfLastContact"], "20251115");
    assert_eq!(contacts(&app, &t, &jane).await, 1);
}
both_backends!(death_clearance_is_idempotent, death_clearance_is_idempotent);

fn items_of_file(bytes: &[u8]) -> (String, Vec<(String, bool)>) {
    let text = String::from_utf8_lossy(bytes).to_string();
    let rt = text
        .split("recordType=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string();
    let set = DictionarySet::builtin();
    let mut r = NaaccrXmlReader::new(
        std::io::Cursor::new(bytes.to_vec()),
        &set,
        ReaderOptions::default(),
    )
    .unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_patient().unwrap() {
        out.extend(p.items.keys().map(|k| (k.clone(), true)));
        for t in p.tumors {
            out.extend(t.items.keys().map(|k| (k.clone(), false)));
        }
    }
    (rt, out)
}

async fn build(app: &TestApp, token: &str, body: Value) -> (Value, Vec<u8>) {
    let r = app.post("/api/v1/submissions", token, body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    for _ in 0..400 {
        let s = app.get(&format!("/api/v1/submissions/{id}"), token).await;
        match s.body["status"].as_str().unwrap() {
            "done" => {
                let f = app
                    .call(
                        Method::GET,
                        &format!("/api/v1/submissions/{id}/file"),
                        Some(token),
                        None,
                        &[],
                    )
                    .await;
                return (s.body, f.raw);
            }
            "failed" => panic!("{}", s.body),
            _ => actix_rt::time::sleep(std::time::Duration::from_millis(25)).await,
        }
    }
    panic!("submission {id} did not finish")
}

/// Every record type with every selection: the file is of the type asked for and carries only
/// items the dictionary lists for it (a changed-since batch of I has no names).
async fn record_types_are_a_promise(app: TestApp) {
    let m = app.token(Role::Manager, None);
    let mut jane: Vec<(&str, &str)> = JANE.to_vec();
    jane.extend([
        ("addrCurrentNoStreet", "1 MAIN ST"),
        ("telephone", "5555550100"),
    ]);
    let mut tumor: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    tumor.push(("textRemarks", "SEEN AT CLINIC"));
    let r = import(&app, &m, "", naaccr_file(&[(&jane, vec![&tumor])])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let tumor_id = app.get("/api/v1/tumors?limit=1", &m).await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dict = Dictionary::v260();
    let selections = [
        json!({}),
        json!({ "facilities": [FACILITY_A] }),
        json!({ "dxYearFrom": 2020, "dxYearTo": 2026 }),
        json!({ "status": "draft" }),
        json!({ "changedSinceLast": true }),
    ];
    for (round, rt) in ["A", "M", "C", "I"].into_iter().enumerate() {
        let recipient = app.recipient(&format!("R{rt}"), "other", rt).await;
        for selection in &selections {
            if selection["changedSinceLast"] == true {
                // Something to send: the tumor changes after the earlier batches.
                let t = app.get(&format!("/api/v1/tumors/{tumor_id}"), &m).await;
                let etag = t.header("etag").unwrap();
                let r = app
                    .patch(
                        &format!("/api/v1/tumors/{tumor_id}"),
                        &m,
                        &etag,
                        json!({ "items": { "textRemarks": format!("CHANGED {round}") } }),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            }
            let (done, file) = build(
                &app,
                &m,
                json!({ "recipient": recipient, "recordType": rt, "selection": selection }),
            )
            .await;
            assert_eq!(done["recordType"], rt, "{selection}: {done}");
            assert_eq!(done["tumors"], 1, "{rt} {selection}: {done}");
            let (file_rt, items) = items_of_file(&file);
            assert_eq!(file_rt, rt, "{selection}");
            let kind = RecordType::parse(rt).unwrap();
            assert!(!items.is_empty());
            for (id, _) in &items {
                let def = dict.item(id).unwrap();
                assert!(
                    def.record_types.contains(kind),
                    "record type {rt} with {selection} carries {id}, which the dictionary lists for {:?} only",
                    def.record_types.to_vec()
                );
            }
            let has = |id: &str| items.iter().any(|(k, _)| k == id);
            assert_eq!(has("nameLast"), rt == "A" || rt == "M" || rt == "C", "{rt}");
            if rt == "I" {
                assert!(
                    !has("socialSecurityNumber")
                        && !has("telephone")
                        && !has("addrCurrentNoStreet")
                        && !has("textRemarks")
                );
            }
        }
    }
}
both_backends!(record_types_are_a_promise, record_types_are_a_promise);

/// Two tumors with one facility + accession + sequence, or one tumor repeated with other
/// values, refuse the file naming both lines; nothing is stored.
async fn duplicates_within_a_file_refuse_it(app: TestApp) {
    let t = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let mut second: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    second.retain(|(k, _)| *k != "primarySite");
    second.push(("primarySite", "C180"));
    let r = import(
        &app,
        &t,
        "",
        naaccr_file(&[(JANE, vec![JANE_TUMOR, &second])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let p = &r.body["problems"][0];
    assert_eq!(p["rule"], "duplicate-tumor", "{}", r.body);
    // Patient at line 3, its 8 items, the first tumor at line 12 (11 lines), the second at 23.
    assert_eq!(p["line"], 23, "{}", r.body);
    assert!(
        p["message"].as_str().unwrap().contains("lines 12 and 23"),
        "{}",
        r.body
    );
    assert_eq!(p["patientLine"], 3);
    // The same patient twice, its tumor (no accession number) with another grade.
    let bare: Pairs = &[
        ("reportingFacility", FACILITY_A),
        ("primarySite", "C509"),
        ("histologicTypeIcdO3", "8500"),
        ("behaviorCodeIcdO3", "3"),
        ("dateOfDiagnosis", "20250115"),
        ("grade", "1"),
    ];
    let mut regraded: Vec<(&str, &str)> = bare.to_vec();
    regraded.retain(|(k, _)| *k != "grade");
    regraded.push(("grade", "2"));
    let r = import(
        &app,
        &t,
        "",
        naaccr_file(&[(JANE, vec![bare]), (JANE, vec![&regraded])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("different values"),
        "{}",
        r.body
    );
    // Repeated identically it is one tumor.
    let r = import(
        &app,
        &t,
        "",
        naaccr_file(&[(JANE, vec![bare]), (JANE, vec![bare])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["tumorsCreated"], 1, "{}", r.body);
}
both_backends!(
    duplicates_within_a_file_refuse_it,
    duplicates_within_a_file_refuse_it
);

/// A patient without a Patient ID Number is matched on SSN and date of birth, or on name and
/// date of birth, before a new one is created; the report says on what.
async fn unnumbered_patients_match_across_files(app: TestApp) {
    let t = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let ann: Pairs = &[
        ("nameLast", "ROE"),
        ("nameFirst", "ANN"),
        ("dateOfBirth", "19700202"),
        ("socialSecurityNumber", "234560891"),
    ];
    let bob: Pairs = &[
        ("nameLast", "POE"),
        ("nameFirst", "BOB"),
        ("dateOfBirth", "19710303"),
    ];
    let mut bt: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    bt.retain(|(k, _)| *k != "accessionNumberHosp");
    bt.push(("accessionNumberHosp", "202500009"));
    let file = naaccr_file(&[(ann, vec![JANE_TUMOR]), (bob, vec![&bt])]);
    let r = import(&app, &t, "", file.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["patientsCreated"], 2, "{}", r.body);
    let again = import(&app, &t, "", file).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["patientsCreated"], 0, "{}", again.body);
    assert_eq!(again.body["tumorsCreated"], 0, "{}", again.body);
    assert_eq!(again.body["patientsMatchedWithoutNumber"], 2);
    let on: Vec<&str> = again.body["patientMatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["on"].as_str().unwrap())
        .collect();
    assert_eq!(on, ["ssn-and-date-of-birth", "name-and-date-of-birth"]);
    let r = app.get("/api/v1/patients?limit=50", &t).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
}
both_backends!(
    unnumbered_patients_match_across_files,
    unnumbered_patients_match_across_files
);

/// Each problem of a refused file once, at the item's line, with its patient's line.
async fn each_problem_once(app: TestApp) {
    let t = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let mut file = Vec::new();
    let bad: Vec<Vec<(&str, &str)>> = (0..20)
        .map(|_| {
            let mut p = JANE.to_vec();
            p.retain(|(k, _)| *k != "dateOfBirth");
            p.push(("dateOfBirth", "19600231"));
            p
        })
        .collect();
    for p in &bad {
        file.push((p.as_slice(), Vec::new()));
    }
    let r = import(&app, &t, "", naaccr_file(&file)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let problems = r.body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 20, "{}", r.body);
    // The 9th line of each 10-line patient element, its patient's line as context.
    assert_eq!(problems[0]["line"], 11, "{}", r.body);
    assert_eq!(problems[0]["patientLine"], 3, "{}", r.body);
    assert_eq!(problems[0]["item"], "dateOfBirth");
}
both_backends!(each_problem_once, each_problem_once);

/// Imports are records: listed and read with their reports, refused files too; a dry run
/// stores nothing; every import that changed a tumor is listed, the latest named on it.
async fn imports_are_records(app: TestApp) {
    let t = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let root = "<Item naaccrId=\"registryId\">0000001234</Item>\n";
    let mut body = String::from_utf8(naaccr_file(&[(JANE, vec![JANE_TUMOR])])).unwrap();
    body = body.replacen(
        "specificationVersion=\"1.8\">\n",
        &format!("specificationVersion=\"1.8\">\n{root}"),
        1,
    );
    let r = import(&app, &t, "?fileName=h1.xml", body.clone().into_bytes()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let first = r.body["id"].as_str().unwrap().to_string();

    // A refused file is recorded with its problems.
    let mut bad: Vec<(&str, &str)> = JANE.to_vec();
    bad.retain(|(k, _)| *k != "dateOfBirth");
    bad.push(("dateOfBirth", "19600231"));
    let r = import(
        &app,
        &t,
        "?fileName=bad.xml",
        naaccr_file(&[(&bad, vec![JANE_TUMOR])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let refused = app.get("/api/v1/imports?status=refused", &t).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    let list = refused.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", refused.body);
    assert_eq!(list[0]["fileName"], "bad.xml");
    let rid = list[0]["id"].as_str().unwrap();
    let one = app.get(&format!("/api/v1/imports/{rid}"), &t).await;
    assert_eq!(one.body["status"], "refused");
    assert_eq!(one.body["report"]["problems"], r.body["problems"]);

    // A dry run reports what would happen and stores nothing.
    let mut bt: Vec<(&str, &str)> = JANE_TUMOR.to_vec();
    bt.retain(|(k, _)| *k != "accessionNumberHosp" && *k != "grade");
    bt.push(("accessionNumberHosp", "202500001"));
    bt.push(("grade", "3"));
    let r = import(
        &app,
        &t,
        "?dryRun=true&fileName=h1-v2.xml",
        naaccr_file(&[(JANE, vec![&bt])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["dryRun"], true);
    assert_eq!(r.body["tumorsUpdated"], 1, "{}", r.body);
    let all = app.get("/api/v1/imports", &t).await;
    assert_eq!(
        all.body["data"].as_array().unwrap().len(),
        2,
        "{}",
        all.body
    );
    let tumor = app.get("/api/v1/tumors?limit=1", &t).await.body["data"][0].clone();
    assert!(tumor["items"].get("grade").is_none(), "{tumor}");
    let tid = tumor["id"].as_str().unwrap().to_string();

    // Applied for real: the tumor names the latest file; both imports are its sources.
    let r = import(
        &app,
        &t,
        "?fileName=h1-v2.xml",
        naaccr_file(&[(JANE, vec![&bt])]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let second = r.body["id"].as_str().unwrap().to_string();
    let tumor = app.get(&format!("/api/v1/tumors/{tid}"), &t).await;
    assert_eq!(tumor.body["sourceFile"], "h1-v2.xml", "{}", tumor.body);
    assert_eq!(tumor.body["sourceLine"], 12, "{}", tumor.body);
    let s = app.get(&format!("/api/v1/tumors/{tid}/sources"), &t).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let sources: Vec<(String, String)> = s.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["importId"].as_str().unwrap().to_string(),
                x["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            (first.clone(), "created".to_string()),
            (second, "updated".to_string())
        ]
    );

    // The record keeps the counts and the file-level items it read.
    let one = app.get(&format!("/api/v1/imports/{first}"), &t).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body["status"], "done");
    assert_eq!(one.body["facilities"], json!([FACILITY_A]));
    assert_eq!(one.body["report"]["patientsCreated"], 1);
    assert_eq!(one.body["report"]["rootItems"]["registryId"], "0000001234");
    // Filters and scope.
    let a = app
        .get(
            &format!("/api/v1/imports?facility={FACILITY_A}&status=done"),
            &t,
        )
        .await;
    assert_eq!(a.body["data"].as_array().unwrap().len(), 2, "{}", a.body);
    let later = app.get("/api/v1/imports?from=2999-01-01", &t).await;
    assert_eq!(later.body["data"].as_array().unwrap().len(), 0);
    let paged = app.get("/api/v1/imports?limit=1", &t).await;
    assert_eq!(paged.body["data"].as_array().unwrap().len(), 1);
    let next = paged.body["next"].as_str().unwrap();
    let rest = app
        .get(&format!("/api/v1/imports?limit=5&cursor={next}"), &t)
        .await;
    assert_eq!(
        rest.body["data"].as_array().unwrap().len(),
        2,
        "{}",
        rest.body
    );
    let b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let other = app.get("/api/v1/imports", &b).await;
    assert_eq!(other.body["data"].as_array().unwrap().len(), 0);
    let r = app.get(&format!("/api/v1/imports/{first}"), &b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
both_backends!(imports_are_records, imports_are_records);
