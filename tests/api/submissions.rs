//! Imports of the shared NAACCR files, exports as submissions (XSD-valid, round trip, M
//! batches with exactly the changed tumors), and what a refused file leaves: nothing.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;
use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::xml::{maybe_gunzip, NaaccrXmlReader, ReaderOptions};

fn read_shared(rel: &str) -> Option<Vec<u8>> {
    shared_file(rel).map(|p| std::fs::read(p).unwrap())
}

async fn import(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> Resp {
    app.call_bytes(
        Method::POST,
        &format!("/api/v1/imports{query}"),
        token,
        "application/xml",
        body,
    )
    .await
}

async fn count(app: &TestApp, token: &str, what: &str) -> usize {
    let mut n = 0;
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(c) => format!("/api/v1/{what}?limit=500&cursor={c}"),
            None => format!("/api/v1/{what}?limit=500"),
        };
        let r = app.get(&path, token).await;
        n += r.body["data"].as_array().unwrap().len();
        next = r.body["next"].as_str().map(String::from);
        if next.is_none() {
            return n;
        }
    }
}

type Pairs = Vec<(String, String)>;

/// Items per patient and tumor of a NAACCR XML document, as (patient items, tumor items).
fn parse(bytes: &[u8]) -> Vec<(Pairs, Vec<Pairs>)> {
    let set = DictionarySet::builtin();
    let input = maybe_gunzip(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut r = NaaccrXmlReader::new(input, &set, ReaderOptions::default()).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_patient().unwrap() {
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        out.push((
            p.items.into_iter().collect(),
            p.tumors
                .into_iter()
                .map(|t| t.items.into_iter().collect())
                .collect(),
        ));
    }
    out
}

async fn wait_done(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let r = app.get(&format!("/api/v1/submissions/{id}"), token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        match r.body["status"].as_str().unwrap() {
            "done" => return r.body,
            "failed" => panic!("submission failed: {}", r.body),
            _ => actix_rt::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("submission {id} did not finish")
}

async fn submit(app: &TestApp, token: &str, body: Value) -> (Value, Vec<u8>) {
    let r = app.post("/api/v1/submissions", token, body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let done = wait_done(app, token, &id).await;
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/submissions/{id}/file"),
            Some(token),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/xml"));
    (done, r.raw)
}

fn xsd_valid(bytes: &[u8]) {
    let Some(xsd) = shared_file("naaccr/xsd/naaccr_data_1.8.xsd") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.xml");
    std::fs::write(&file, bytes).unwrap();
    match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "XSD: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "xmllint is needed in CI"
            );
            eprintln!("SKIP: xmllint is not installed");
        }
    }
}

async fn imports_of_the_shared_files(app: TestApp) {
    let manager = app.token(Role::Manager, None);
    // (file, patients, tumors)
    let valid = [
        ("naaccr/validity/valid/valid_standard-file-1.xml", 2, 1),
        ("naaccr/validity/valid/valid_standard-file-2.xml", 1, 1),
        ("naaccr/validity/valid/valid_standard-file-3.xml", 1, 0),
        ("naaccr/validity/valid/valid_standard-file-4.xml", 0, 0),
        (
            "naaccr/validity/valid/valid_namespace-with-prefix-1.xml",
            1,
            1,
        ),
        ("naaccr/validity/valid/valid_user-attributes-1.xml", 1, 1),
        ("naaccr/validity/valid/valid_user-extensions-1.xml", 1, 1),
        (
            "naaccr/synthetic/synthetic-data_naaccr-xml-22-abstract_5-tumors.xml",
            3,
            5,
        ),
        (
            "naaccr/samples/naaccr-xml-sample-v250-incidence-100.xml.gz",
            93,
            100,
        ),
    ];
    let (mut patients, mut tumors) = (0, 0);
    // Each file goes to a facility of its own: files share patient ids, and records of the
    // same facility would match.
    for (n, (file, p, t)) in valid.into_iter().enumerate() {
        let Some(body) = read_shared(file) else {
            return;
        };
        let query = format!("?facility={:010}&fileName=test.xml", n + 10);
        let r = import(&app, &manager, &query, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{file}: {}", r.body);
        assert_eq!(r.body["patientsCreated"], p, "{file}: {}", r.body);
        assert_eq!(r.body["tumorsCreated"], t, "{file}: {}", r.body);
        patients += p;
        tumors += t;
        assert_eq!(count(&app, &manager, "patients").await, patients, "{file}");
        assert_eq!(count(&app, &manager, "tumors").await, tumors, "{file}");
    }
    // The v25 sample was converted: sex -> sexAssignedAtBirth, reported.
    let body = read_shared("naaccr/samples/naaccr-xml-sample-v250-abstract-100.xml.gz").unwrap();
    let r = import(
        &app,
        &manager,
        "?facility=0000000001&fileName=abstract-100.xml.gz",
        body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        (
            r.body["patientsCreated"].as_u64(),
            r.body["tumorsCreated"].as_u64()
        ),
        (Some(90), Some(100))
    );
    let conv = r.body["conversions"].as_array().unwrap();
    assert!(
        conv.iter()
            .any(|c| c["from"] == "sex" && c["to"] == "sexAssignedAtBirth"),
        "{}",
        r.body
    );
    // The same file again matches every record: nothing new.
    let r = import(
        &app,
        &manager,
        "?facility=0000000001&fileName=abstract-100.xml.gz",
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        (
            r.body["patientsCreated"].as_u64(),
            r.body["tumorsCreated"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(r.body["tumorsUpdated"], 0);
    let one = app
        .get("/api/v1/tumors?limit=1&facility=0000000001", &manager)
        .await;
    assert!(one.body["data"][0]["sourceFile"].is_string());

    let before = (
        count(&app, &manager, "patients").await,
        count(&app, &manager, "tumors").await,
    );
    let invalid = [
        ("naaccr/validity/invalid/invalid_bad-attribute-1.xml", ""),
        ("naaccr/validity/invalid/invalid_bad-tag-1.xml", ""),
        ("naaccr/validity/invalid/invalid_bad-tag-3.xml", ""),
        ("naaccr/validity/invalid/invalid_garbage-1.xml", ""),
        (
            "naaccr/validity/invalid/invalid_missing-required-attribute-1.xml",
            "",
        ),
        ("naaccr/validity/invalid/invalid_namespace-1.xml", ""),
        ("naaccr/validity/invalid/invalid_unbalanced-tags-1.xml", ""),
        (
            "naaccr/validity/invalid_library_only/invalid_bad-data-item-2.xml",
            "primarySite",
        ),
        (
            "naaccr/validity/invalid_library_only/invalid_unknown-data-item-1.xml",
            "unknown",
        ),
        (
            "naaccr/validity/invalid_library_only/invalid_value-to-long-1.xml",
            "patientIdNumber",
        ),
        (
            "naaccr/validity/invalid_relaxed/invalid_default-namespace-missing-1.xml",
            "",
        ),
        (
            "naaccr/encoding/test_ASCII_with_control_chars.xml",
            "textHistologyTitle",
        ),
    ];
    for (file, item) in invalid {
        let body = read_shared(file).unwrap();
        let r = import(&app, &manager, "?facility=0000000001", body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{file}: {}",
            r.body
        );
        assert_eq!(r.body["type"], "/problems/file-rejected");
        let problems = r.body["problems"].as_array().unwrap();
        assert!(!problems.is_empty());
        if !item.is_empty() {
            assert!(
                problems.iter().any(|p| p["item"] == item),
                "{file}: {}",
                r.body
            );
            assert!(
                problems.iter().all(|p| p["line"].as_u64().is_some()),
                "{file}: {}",
                r.body
            );
        }
    }
    let after = (
        count(&app, &manager, "patients").await,
        count(&app, &manager, "tumors").await,
    );
    assert_eq!(before, after, "refused files store nothing");
    // Another facility's tumors cannot be imported by a facility-scoped registrar.
    let b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let body = read_shared("naaccr/validity/valid/valid_standard-file-1.xml").unwrap();
    let r = import(&app, &b, "?facility=0000000001", body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["rule"] == "forbidden"));
}
both_backends!(imports_of_the_shared_files, imports_of_the_shared_files);

async fn encodings_import_their_text(app: TestApp) {
    let manager = app.token(Role::Manager, None);
    for (file, text) in [
        (
            "naaccr/encoding/test_UTF-8.xml",
            "The quote \u{2019} is a UTF-8 character; here is another: \u{b5}...",
        ),
        (
            "naaccr/encoding/test_UTF-8_with_bom.xml",
            "The quote \u{2019} is a UTF-8 character; here is another: \u{b5}...",
        ),
        (
            "naaccr/encoding/test_Cp1252.xml",
            "This is a \u{201c}sentence\u{201d} taken from \u{2013} Word\u{2026}",
        ),
    ] {
        let Some(body) = read_shared(file) else {
            return;
        };
        let r = import(&app, &manager, "?facility=0000000001", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{file}: {}", r.body);
        let t = app.get("/api/v1/tumors?primarySite=C123", &manager).await;
        let found = t.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["items"]["textHistologyTitle"] == text);
        assert!(found, "{file}");
    }
}
both_backends!(encodings_import_their_text, encodings_import_their_text);

async fn round_trip_and_m_batches(app: TestApp) {
    let manager = app.token(Role::Manager, None);
    let Some(body) = read_shared("naaccr/samples/naaccr-xml-sample-v250-abstract-100.xml.gz")
    else {
        return;
    };
    let r = import(&app, &manager, "?facility=0000000001", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let state = app.recipient("STATE", "other", "A").await;
    let ncdb = app.recipient("NCDB", "other", "A").await;
    let (done, file) = submit(
        &app,
        &manager,
        json!({ "recipient": state, "recordType": "A" }),
    )
    .await;
    assert_eq!(
        (done["patients"].as_i64(), done["tumors"].as_i64()),
        (Some(90), Some(100))
    );
    xsd_valid(&file);
    // The export carries exactly the stored items of every patient and tumor, plus the Vendor
    // Name [2170] of this service on each tumor.
    let exported: Vec<(Pairs, Vec<Pairs>)> = parse(&file)
        .into_iter()
        .map(|(p, ts)| {
            let ts = ts
                .into_iter()
                .map(|t| {
                    assert!(t.iter().any(|(k, _)| k == "vendorName"), "{t:?}");
                    t.into_iter().filter(|(k, _)| k != "vendorName").collect()
                })
                .collect();
            (p, ts)
        })
        .collect();
    assert_eq!(exported.len(), 90);
    let mut stored = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(c) => format!("/api/v1/patients?limit=500&cursor={c}"),
            None => "/api/v1/patients?limit=500".to_string(),
        };
        let r = app.get(&path, &manager).await;
        for p in r.body["data"].as_array().unwrap() {
            let items: Vec<(String, String)> = p["items"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            let ts = app
                .get(
                    &format!("/api/v1/patients/{}/tumors", p["id"].as_str().unwrap()),
                    &manager,
                )
                .await;
            let mut tumors: Vec<Vec<(String, String)>> = ts.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    t["items"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect()
                })
                .collect();
            tumors.sort();
            stored.push((items, tumors));
        }
        next = r.body["next"].as_str().map(String::from);
        if next.is_none() {
            break;
        }
    }
    let mut exported: Vec<_> = exported
        .into_iter()
        .map(|(p, mut t)| {
            t.sort();
            (p, t)
        })
        .collect();
    exported.sort();
    stored.sort();
    assert_eq!(
        exported, stored,
        "export A carries the stored items exactly"
    );

    // I records carry no names; gzip on request.
    let (_, incidence) = submit(
        &app,
        &manager,
        json!({ "recipient": state, "recordType": "I" }),
    )
    .await;
    let text = String::from_utf8(incidence).unwrap();
    assert!(
        !text.contains("nameLast") && !text.contains("textRemarks") && text.contains("primarySite")
    );

    // Change two tumors: the next "changed since" batch carries exactly those, in the record
    // type asked for (M only when asked).
    let list = app.get("/api/v1/tumors?limit=3", &manager).await;
    let ids: Vec<String> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids[..2] {
        let t = app.get(&format!("/api/v1/tumors/{id}"), &manager).await;
        let etag = t.header("etag").unwrap();
        let r = app
            .patch(
                &format!("/api/v1/tumors/{id}"),
                &manager,
                &etag,
                json!({ "items": { "textRemarks": "corrected" } }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let (m, file) = submit(
        &app,
        &manager,
        json!({ "recipient": state, "recordType": "A", "selection": { "changedSinceLast": true } }),
    )
    .await;
    assert_eq!(m["recordType"], "A");
    assert_eq!(m["tumors"], 2, "{m}");
    xsd_valid(&file);
    let text = String::from_utf8(file).unwrap();
    assert!(text.contains("recordType=\"A\""));
    assert_eq!(text.matches("<Tumor>").count(), 2);
    // Sent once, not again; another recipient never received them.
    let (m2, _) = submit(
        &app,
        &manager,
        json!({ "recipient": state, "recordType": "M", "selection": { "changedSinceLast": true } }),
    )
    .await;
    assert_eq!(m2["tumors"], 0);
    let (m3, _) = submit(
        &app,
        &manager,
        json!({ "recipient": ncdb, "recordType": "M", "selection": { "changedSinceLast": true } }),
    )
    .await;
    assert_eq!(m3["tumors"], 0);

    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/submissions/{}/file", m["id"].as_str().unwrap()),
            Some(&manager),
            None,
            &[("Accept-Encoding", "gzip")],
        )
        .await;
    assert_eq!(r.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(&r.raw[..2], &[0x1f, 0x8b]);
    assert!(
        app.audit_count("export", "submission", Some(m["id"].as_str().unwrap()))
            .await
            >= 2
    );
}
both_backends!(round_trip_and_m_batches, round_trip_and_m_batches);

async fn submission_scope_and_validation(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    app.tumor(&t, &p, tumor_items()).await;
    let b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    app.tumor(&app.token(Role::Manager, None), &p, {
        let mut x = tumor_items();
        x["reportingFacility"] = json!(FACILITY_B);
        x
    })
    .await;
    let state = app.recipient("STATE", "other", "A").await;
    let (done, file) = submit(&app, &t, json!({ "recipient": state, "recordType": "A" })).await;
    assert_eq!(done["tumors"], 1, "only the caller's facility");
    assert!(String::from_utf8(file).unwrap().contains(FACILITY_A));
    let r = app
        .get(
            &format!("/api/v1/submissions/{}", done["id"].as_str().unwrap()),
            &b,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another facility's batch");
    let r = app.post("/api/v1/submissions", &t, json!({ "recipient": state, "recordType": "A", "selection": { "facilities": [FACILITY_B] } })).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/submissions",
            &t,
            json!({ "recipient": "", "recordType": "X", "naaccrVersion": "180" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3);
    let old = app.recipient("OLD", "other", "A").await;
    let (v25, file) = submit(&app, &t, json!({ "recipient": old, "recordType": "A", "naaccrVersion": "250", "selection": { "status": "draft", "dxYearFrom": 2024 } })).await;
    assert_eq!(v25["tumors"], 1);
    let text = String::from_utf8(file).unwrap();
    assert!(text.contains("naaccr-dictionary-250.xml") && text.contains("naaccrId=\"sex\""));
    xsd_valid(text.as_bytes());
    let researcher = app.token(Role::Researcher, None);
    assert_eq!(
        app.get("/api/v1/submissions", &researcher).await.status,
        StatusCode::FORBIDDEN
    );
}
both_backends!(
    submission_scope_and_validation,
    submission_scope_and_validation
);

async fn central_staff_import_without_a_facility(app: TestApp) {
    let manager = app.token(Role::Manager, None);
    let Some(body) = read_shared("naaccr/validity/valid/valid_standard-file-3.xml") else {
        return;
    };
    let r = import(&app, &manager, "", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["patientsCreated"], 1);
    let p = app.get("/api/v1/patients", &manager).await;
    assert_eq!(p.body["data"][0]["facilityId"], "0000000000");
    // A registrar of several facilities must say which one.
    let both = app.token(Role::Registrar, Some(&[FACILITY_A, FACILITY_B]));
    let body = read_shared("naaccr/validity/valid/valid_standard-file-3.xml").unwrap();
    let r = import(&app, &both, "", body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
both_backends!(
    central_staff_import_without_a_facility,
    central_staff_import_without_a_facility
);

/// A file of `n` patients numbered 1..=n and then `repeats`, each with one tumor whose
/// accession number is its position in the file.
fn numbered_file(n: usize, repeats: &[usize]) -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0"?><NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8">"#,
    );
    for (pos, number) in (1..=n).chain(repeats.iter().copied()).enumerate() {
        s.push_str(&format!(
            r#"<Patient><Item naaccrId="patientIdNumber">{number:08}</Item><Item naaccrId="dateOfBirth">19500101</Item><Tumor><Item naaccrId="reportingFacility">{FACILITY_A}</Item><Item naaccrId="accessionNumberHosp">{pos:09}</Item><Item naaccrId="sequenceNumberHospital">00</Item><Item naaccrId="primarySite">C509</Item></Tumor></Patient>"#
        ));
    }
    s.push_str("</NaaccrData>");
    s.into_bytes()
}

/// Patients are applied in batches: a patient the file repeats, inside one batch or across
/// two, matches the one stored before it, and a second import of the file changes nothing.
async fn repeated_patients_across_batches(app: TestApp) {
    let registrar = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let body = numbered_file(1_200, &[3, 1_100, 1]);
    let r = import(&app, &registrar, "", body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["patientsCreated"], 1_200, "{}", r.body);
    assert_eq!(r.body["tumorsCreated"], 1_203, "{}", r.body);
    assert_eq!(count(&app, &registrar, "patients").await, 1_200);
    assert_eq!(count(&app, &registrar, "tumors").await, 1_203);
    let again = import(&app, &registrar, "", body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["patientsCreated"], 0, "{}", again.body);
    assert_eq!(again.body["tumorsCreated"], 0, "{}", again.body);
    assert_eq!(again.body["tumorsUpdated"], 0, "{}", again.body);
    assert_eq!(count(&app, &registrar, "tumors").await, 1_203);
    // Every new tumor had its edits run as it was stored.
    let t = app.get("/api/v1/tumors?limit=1", &registrar).await;
    assert!(t.body["data"][0]["editStatus"].is_string(), "{}", t.body);
}
both_backends!(
    repeated_patients_across_batches,
    repeated_patients_across_batches
);

/// JSON nested past serde's 128 levels is refused as a field problem, not a crash.
async fn deeply_nested_json_is_refused(app: TestApp) {
    let manager = app.token(Role::Manager, None);
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let body = format!(r#"{{"recordType":"A","recipient":"state","selection":{deep}}}"#);
    let r = app
        .call_bytes(
            Method::POST,
            "/api/v1/submissions",
            &manager,
            "application/json",
            body.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["rule"], "depth", "{}", r.body);
    let list = app.get("/api/v1/submissions?limit=200", &manager).await;
    assert_eq!(
        list.body["data"],
        serde_json::json!([]),
        "{} {}",
        list.status,
        list.body
    );
}
both_backends!(deeply_nested_json_is_refused, deeply_nested_json_is_refused);

/// A file past the per-element bounds is refused (422) naming the bound and the line, and
/// nothing is stored.
async fn files_past_the_element_bounds_are_refused(app: TestApp) {
    let registrar = app.token(Role::Registrar, Some(&[FACILITY_A]));
    let head = r#"<?xml version="1.0"?>
<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8">
<Patient>
"#;
    // 2,001 items in one patient (items no dictionary has: the bound counts elements).
    let mut many_items = String::from(head);
    for i in 0..2_001 {
        many_items.push_str(&format!("<Item naaccrId=\"noSuchItem{i}\">X</Item>\n"));
    }
    many_items.push_str("</Patient></NaaccrData>");
    // 1,001 tumors in one patient.
    let mut many_tumors = String::from(head);
    for i in 0..1_001 {
        many_tumors.push_str(&format!(
            "<Tumor><Item naaccrId=\"reportingFacility\">{FACILITY_A}</Item><Item naaccrId=\"sequenceNumberHospital\">{:02}</Item></Tumor>\n",
            i % 60
        ));
    }
    many_tumors.push_str("</Patient></NaaccrData>");
    for (body, says) in [(many_items, "items in one"), (many_tumors, "tumors in one")] {
        let r = import(&app, &registrar, "", body.into_bytes()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        // Other problems (the unknown items) come first; the bound stops the reading.
        let problems = r.body["problems"].as_array().unwrap();
        let limit = problems
            .iter()
            .find(|p| p["rule"] == "limit")
            .unwrap_or_else(|| panic!("no limit problem: {}", r.body));
        assert!(limit["message"].as_str().unwrap().contains(says), "{limit}");
        assert!(limit["line"].as_u64().unwrap() > 1_000, "{limit}");
    }
    assert_eq!(count(&app, &registrar, "patients").await, 0);
}
both_backends!(
    files_past_the_element_bounds_are_refused,
    files_past_the_element_bounds_are_refused
);
