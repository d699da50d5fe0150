//! Small findings of issue 21: a NUL in a JSON body string is 422 on both backends; a
//! death-record batch over its documented limit is a 413 problem; a shared patient's contacts
//! show a facility only its own tumors and users; id lists of any length are asked in chunks.
//! (A JSON body that stalls is in `faults.rs`: it needs a real socket.)

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::abstracts::{patients, tumors};
use cancer_registry::auth::{FacilityScope, Role};

async fn nul_in_a_json_string_is_422(app: TestApp) {
    let t = app.registrar();
    let mut items = patient_items();
    items["nameLast"] = json!("SMITH\u{0}JONES");
    let r = app
        .post("/api/v1/patients", &t, json!({ "items": items }))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "items.nameLast", "{}", r.body);
    assert_eq!(r.body["errors"][0]["rule"], "invalid-character");

    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let id = tumor["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/tumors/{id}"),
            &t,
            "\"1\"",
            json!({ "items": { "textRemarks": "a\u{0}b" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["item"], "items.textRemarks",
        "{}",
        r.body
    );
    // In a member name too, and in a death-record batch (read as text, then as JSON).
    let r = app
        .call_raw(
            Method::POST,
            &format!("/api/v1/patients/{p}/contacts"),
            &t,
            "{\"date\": \"20250101\", \"vitalStatus\": \"1\", \"tumors\": {\"x\\u0000\": \"1\"}}",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["rule"], "invalid-character",
        "{}",
        r.body
    );
    let r = app
        .call_raw(
            Method::POST,
            "/api/v1/followup/death-records",
            &t,
            "{\"records\": [{\"nameLast\": \"SMITH\\u0000\", \"dateOfDeath\": \"20250101\"}]}",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["item"], "records.0.nameLast",
        "{}",
        r.body
    );
    let got = app.get(&format!("/api/v1/tumors/{id}"), &t).await;
    assert_eq!(got.body["version"], 1, "nothing stored: {}", got.body);
}
both_backends!(nul_in_a_json_string_is_422, nul_in_a_json_string_is_422);

/// SECURITY.md: death-record batches up to four times `CANCER_REGISTRY_MAX_BODY_BYTES` (the
/// harness sets 64 KiB), 413 as a problem beyond, whatever the media type.
async fn death_records_over_the_limit_are_a_413_problem(app: TestApp) {
    let t = app.registrar();
    let limit = 4 * 64 * 1024;
    let csv = |size: usize| {
        let mut body = String::from("nameLast,dateOfBirth,dateOfDeath\n");
        let row = "NOBODY,19400101,20250101\n";
        while body.len() + row.len() <= size {
            body.push_str(row);
        }
        body.push_str(&" ".repeat(size - body.len()));
        body.into_bytes()
    };
    let at_limit = csv(limit);
    assert_eq!(at_limit.len(), limit);
    let r = app
        .call_bytes(
            Method::POST,
            "/api/v1/followup/death-records",
            &t,
            "text/csv",
            at_limit,
        )
        .await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    for (content_type, size) in [("text/csv", limit + 1), ("application/json", 3 * limit)] {
        let r = app
            .call_bytes(
                Method::POST,
                "/api/v1/followup/death-records",
                &t,
                content_type,
                csv(size),
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{size}");
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{size}: {}",
            String::from_utf8_lossy(&r.raw[..r.raw.len().min(200)])
        );
        assert_eq!(r.body["type"], "/problems/payload-too-large", "{}", r.body);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains(&limit.to_string()),
            "{}",
            r.body
        );
    }
}
both_backends!(
    death_records_over_the_limit_are_a_413_problem,
    death_records_over_the_limit_are_a_413_problem
);

/// A patient reported by facilities A and B: each facility's registrar sees the whole contact
/// history (the follow-up items are the patient's) but only their own tumors' ids and cancer
/// status, and only their own users' names.
async fn shared_patient_contacts_are_scoped(app: TestApp) {
    let sign = |sub: &str, facility: &str| {
        app.keys
            .sign(
                sub,
                &[Role::Registrar],
                Some(vec![facility.to_string()]),
                Duration::from_secs(600),
            )
            .unwrap()
    };
    let (ann, bob) = (sign("ann", FACILITY_A), sign("bob", FACILITY_B));
    let manager = app.token(Role::Manager, None);
    let p = app.patient(&ann, patient_items()).await;
    let ta = app.tumor(&ann, &p, tumor_items()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut items = tumor_items();
    items["reportingFacility"] = json!(FACILITY_B);
    let tb = app.tumor(&manager, &p, items).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/patients/{p}/contacts");
    let contact = |date: &str, tumor: &str, status: &str| json!({ "date": date, "vitalStatus": "1", "followUpSource": "2", "tumors": { tumor: status } });
    let r = app.post(&path, &ann, contact("20250601", &ta, "1")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app.post(&path, &bob, contact("20250701", &tb, "2")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    for (token, own, own_user, other, other_user) in [
        (&ann, &ta, "ann", &tb, "bob"),
        (&bob, &tb, "bob", &ta, "ann"),
    ] {
        let r = app.get(&path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let text = String::from_utf8_lossy(&r.raw).to_string();
        assert!(!text.contains(other.as_str()), "{text}");
        assert!(!text.contains(&format!("\"{other_user}\"")), "{text}");
        let data = r.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 2, "both contacts are the patient's history");
        let mine = data
            .iter()
            .find(|c| c["tumors"].get(own.as_str()).is_some())
            .unwrap_or_else(|| panic!("own contact with own tumor: {text}"));
        assert_eq!(mine["recordedBy"], own_user);
        let theirs = data.iter().find(|c| c["id"] != mine["id"]).unwrap();
        assert_eq!(theirs["tumors"], json!({}), "{text}");
        assert!(theirs["recordedBy"].is_null(), "{text}");
    }
    // Central staff see everything.
    let r = app.get(&path, &manager).await;
    let text = String::from_utf8_lossy(&r.raw).to_string();
    assert!(
        text.contains(&ta) && text.contains(&tb) && text.contains("\"bob\""),
        "{text}"
    );
}
both_backends!(
    shared_patient_contacts_are_scoped,
    shared_patient_contacts_are_scoped
);

/// Id lists longer than SQLite's 32,766 bound variables (the letters of 93,214 due patients
/// failed so): asked in chunks, answered whole and in order.
async fn long_id_lists_are_chunked(app: TestApp) {
    let t = app.registrar();
    let mut real = Vec::new();
    for i in 0..3 {
        let p = app.patient(&t, someone(i)).await;
        app.tumor(&t, &p, tumor_items()).await;
        real.push(p);
    }
    let mut ids: Vec<String> = (0..40_000).map(|i| format!("missing-{i:05}")).collect();
    ids.splice(20_000..20_000, real.iter().cloned());
    ids.push(real[0].clone());
    let mut conn = app.db.conn().unwrap();
    let found = patients::many(&mut conn, &ids).unwrap();
    let mut expected = real.clone();
    expected.sort();
    let got: Vec<String> = found.iter().map(|p| p.id.clone()).collect();
    assert_eq!(got, expected);
    let scope = FacilityScope::Only(vec![FACILITY_A.to_string()]);
    let found = tumors::for_patients(&mut conn, &scope, &ids).unwrap();
    let got: Vec<String> = found.iter().map(|t| t.patient_id.clone()).collect();
    assert_eq!(got, expected);
}
both_backends!(long_id_lists_are_chunked, long_id_lists_are_chunked);

/// Patient items of a person of their own (the harness's are fixed).
fn someone(i: usize) -> serde_json::Value {
    let mut items = patient_items();
    items["patientIdNumber"] = json!(format!("{:08}", 100 + i));
    items["nameLast"] = json!(["ADAMS", "BAKER", "CLARK"][i]);
    items["dateOfBirth"] = json!(format!("1955031{i}"));
    items["socialSecurityNumber"] = json!(format!("12345678{i}"));
    items
}

/// Imported files are bounded while they stream (issue 21): a small gzip upload that expands
/// past the decompressed limit, and a file with more patients or tumors than allowed, are
/// refused with the rule (and the line) and store nothing. The tests' app allows 8 MiB of
/// XML, 2,000 patients and 4,000 tumors.
async fn imported_files_are_bounded(app: TestApp) {
    use std::io::Write;
    let t = app.registrar();
    let m = app.token(Role::Manager, None);
    let head = "<?xml version=\"1.0\"?>\n<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"A\" specificationVersion=\"1.8\">\n";
    let patient = |n: usize, tumors: usize| {
        let mut s = format!(
            "<Patient><Item naaccrId=\"patientIdNumber\">{n:08}</Item><Item naaccrId=\"nameLast\">BOUND</Item>\n"
        );
        for k in 0..tumors {
            s.push_str(&format!("<Tumor><Item naaccrId=\"reportingFacility\">{FACILITY_A}</Item><Item naaccrId=\"accessionNumberHosp\">2024{n:05}</Item><Item naaccrId=\"sequenceNumberHospital\">{k:02}</Item><Item naaccrId=\"primarySite\">C509</Item></Tumor>\n"));
        }
        s.push_str("</Patient>\n");
        s
    };

    // 9 MiB of XML (one patient, then blank lines and comments) in a small gzip upload.
    let mut xml = String::from(head);
    xml.push_str(&patient(1, 1));
    for _ in 0..18 {
        xml.push_str(&"\n".repeat(512 * 1024));
        xml.push_str("<!-- padding -->");
    }
    xml.push_str("</NaaccrData>\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(xml.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 64 * 1024, "{}", gz.len());
    let r = crate::intake::import(&app, &t, "", gz).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["problems"][0]["rule"], "file-too-large",
        "{}",
        r.body
    );
    assert_eq!(stored(&app, &m).await, 0);

    // 2,001 patients: refused at the line of the 2,001st.
    let mut xml = String::from(head);
    for n in 1..=2_001 {
        xml.push_str(&patient(n, 0));
    }
    xml.push_str("</NaaccrData>\n");
    let r = crate::intake::import(&app, &m, "?facility=0000000001", xml.into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let problem = &r.body["problems"][0];
    assert_eq!(problem["rule"], "too-many-patients", "{}", r.body);
    assert_eq!(problem["line"], 3 + 2 * 2_000, "{}", r.body);
    assert_eq!(stored(&app, &m).await, 0);

    // 1,001 patients of 4 tumors (4,004): refused at the patient that passes 4,000.
    let mut xml = String::from(head);
    for n in 1..=1_001 {
        xml.push_str(&patient(n, 4));
    }
    xml.push_str("</NaaccrData>\n");
    let r = crate::intake::import(&app, &t, "", xml.into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["problems"][0]["rule"], "too-many-tumors",
        "{}",
        r.body
    );
    assert_eq!(stored(&app, &m).await, 0);

    // Within every limit the same shape imports.
    let mut xml = String::from(head);
    for n in 1..=1_000 {
        xml.push_str(&patient(n, 4));
    }
    xml.push_str("</NaaccrData>\n");
    let r = crate::intake::import(&app, &t, "", xml.into_bytes()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["tumorsCreated"], 4_000, "{}", r.body);
}
both_backends!(imported_files_are_bounded, imported_files_are_bounded);

async fn stored(app: &TestApp, token: &str) -> usize {
    let r = app.get("/api/v1/patients?limit=10", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_array().unwrap().len()
}
