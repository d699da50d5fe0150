//! Patients: create, read, correct with If-Match, list, delete, and item validation.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

async fn create_read_update(app: TestApp) {
    let t = app.registrar();
    let r = app
        .post("/api/v1/patients", &t, json!({ "items": patient_items() }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location").unwrap(),
        format!("/api/v1/patients/{id}")
    );
    assert_eq!(r.header("etag").unwrap(), "\"1\"");
    assert_eq!(r.body["facilityId"], FACILITY_A);
    assert_eq!(r.body["items"]["sexAssignedAtBirth"], "2");

    let r = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"]["nameLast"], "TESTPERSON");

    let path = format!("/api/v1/patients/{id}");
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "nameLast": "NEWNAME", "race1": null } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.header("etag").unwrap(), "\"2\"");
    assert_eq!(r.body["items"]["nameLast"], "NEWNAME");
    assert!(r.body["items"].get("race1").is_none());

    // The stale ETag loses: 412, and the stored record is unchanged.
    let r = app
        .patch(
            &path,
            &t,
            "\"1\"",
            json!({ "items": { "nameLast": "LOST" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.body["type"], "/problems/stale-version");
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(&t),
            Some(json!({ "items": { "nameLast": "X" } })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = app.get(&path, &t).await;
    assert_eq!(r.body["items"]["nameLast"], "NEWNAME");
    assert_eq!(r.body["version"], 2);
}
both_backends!(create_read_update, create_read_update);

async fn invalid_items_store_nothing(app: TestApp) {
    let t = app.registrar();
    let cases = [
        (json!({ "notAnItem": "1" }), "notAnItem", "unknown-item"),
        (
            json!({ "primarySite": "C504" }),
            "primarySite",
            "wrong-level",
        ),
        (
            json!({ "patientIdNumber": "123456789" }),
            "patientIdNumber",
            "too-long",
        ),
        (
            json!({ "patientIdNumber": "1234" }),
            "patientIdNumber",
            "too-short",
        ),
        (
            json!({ "birthplaceState": "n1" }),
            "birthplaceState",
            "data-type",
        ),
        (
            json!({ "sexAssignedAtBirth": "3" }),
            "sexAssignedAtBirth",
            "invalid-code",
        ),
        (json!({ "dateOfBirth": "19550230" }), "dateOfBirth", "date"),
        (json!({ "sex": "1" }), "sex", "unknown-item"),
        (json!({ "vitalStatus": 1 }), "vitalStatus", "data-type"),
    ];
    for (items, item, rule) in cases {
        let r = app
            .post("/api/v1/patients", &t, json!({ "items": items }))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{items}: {}",
            r.body
        );
        assert_eq!(
            r.header("content-type").unwrap(),
            "application/problem+json"
        );
        let errors = r.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{}", r.body);
        assert_eq!(errors[0]["item"], item);
        assert_eq!(errors[0]["rule"], rule, "{}", r.body);
    }
    // Several bad items at once are all reported.
    let r = app
        .post(
            "/api/v1/patients",
            &t,
            json!({ "items": { "dateOfBirth": "2023", "vitalStatus": "7", "race1": 1, "nope": "x" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3, "{}", r.body);
    assert_eq!(r.body["errors"][0]["number"], serde_json::Value::Null);

    let r = app
        .call_raw(Method::POST, "/api/v1/patients", &t, "{\"items\": {")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["type"], "/problems/bad-request");

    let list = app.get("/api/v1/patients", &t).await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );

    // A rejected correction changes nothing either.
    let id = app.patient(&t, patient_items()).await;
    let r = app
        .patch(
            &format!("/api/v1/patients/{id}"),
            &t,
            "\"1\"",
            json!({ "items": { "nameLast": "OK", "vitalStatus": "5" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(&format!("/api/v1/patients/{id}"), &t).await;
    assert_eq!(r.body["items"]["nameLast"], "TESTPERSON");
    assert_eq!(r.body["version"], 1);
}
both_backends!(invalid_items_store_nothing, invalid_items_store_nothing);

async fn list_with_pagination_and_filter(app: TestApp) {
    let t = app.registrar();
    for n in 0..5 {
        let mut items = patient_items();
        items["patientIdNumber"] = json!(format!("0000010{n}"));
        items["socialSecurityNumber"] = json!(format!("12345670{n}"));
        items["nameLast"] = json!(format!("PAGEPERSON{}", ["A", "B", "C", "D", "E"][n]));
        items["dateOfBirth"] = json!(format!("1960010{}", n + 1));
        app.patient(&t, items).await;
    }
    let r = app.get("/api/v1/patients?limit=2", &t).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
    let mut seen: Vec<String> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let mut next = r.body["next"].as_str().map(String::from);
    while let Some(c) = next {
        let r = app
            .get(&format!("/api/v1/patients?limit=2&cursor={c}"), &t)
            .await;
        for p in r.body["data"].as_array().unwrap() {
            seen.push(p["id"].as_str().unwrap().to_string());
        }
        next = r.body["next"].as_str().map(String::from);
    }
    assert_eq!(seen.len(), 5);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 5, "pages do not overlap");

    let r = app
        .get("/api/v1/patients?patientIdNumber=00000103", &t)
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["data"][0]["items"]["patientIdNumber"], "00000103");

    let r = app.get("/api/v1/patients?limit=abc", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
both_backends!(
    list_with_pagination_and_filter,
    list_with_pagination_and_filter
);

async fn delete_needs_no_tumors(app: TestApp) {
    let t = app.registrar();
    let id = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &id, tumor_items()).await;
    let path = format!("/api/v1/patients/{id}");
    let r = app.write(Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .write(
            Method::DELETE,
            &format!("/api/v1/tumors/{}", tumor["id"].as_str().unwrap()),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.write(Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.get(&path, &t).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["type"], "/problems/not-found");
}
both_backends!(delete_needs_no_tumors, delete_needs_no_tumors);

/// A distinct person, n-th of a test.
fn person(n: u32, last: &str, first: &str, dob: &str) -> serde_json::Value {
    json!({
        "patientIdNumber": format!("{:08}", 700 + n),
        "nameLast": last,
        "nameFirst": first,
        "dateOfBirth": dob,
        "sexAssignedAtBirth": if n % 2 == 0 { "1" } else { "2" },
        "socialSecurityNumber": format!("31400{n:04}"),
        "vitalStatus": "1",
        "dateOfLastContact": "20250110"
    })
}

async fn one_patient_once(app: TestApp) {
    let t = app.registrar();
    let first = app.patient(&t, patient_items()).await;

    // Same Patient ID Number in the facility: 409 naming the patient.
    let mut same_number = person(1, "ELSEWHERE", "JO", "19800101");
    same_number["patientIdNumber"] = json!("00000042");
    let r = app
        .post("/api/v1/patients", &t, json!({ "items": same_number }))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/patient-id-number-taken");
    assert_eq!(r.body["existingPatientId"], first.as_str());
    assert!(r.body["detail"].as_str().unwrap().contains(&first));
    // Confirming "not a duplicate" does not lift the number rule.
    let r = app
        .post(
            "/api/v1/patients",
            &t,
            json!({ "items": same_number, "confirmedNotDuplicate": true, "reason": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The same person again under another number: SSN and name/birth date match.
    let mut again = patient_items();
    again["patientIdNumber"] = json!("00000043");
    let r = app
        .post("/api/v1/patients", &t, json!({ "items": again }))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/possible-duplicate");
    let c = &r.body["candidates"][0];
    assert_eq!(c["id"], first.as_str());
    assert_eq!(c["nameLast"], "TESTPERSON");
    assert_eq!(c["dateOfBirth"], "19550314");
    assert_eq!(c["facilityId"], FACILITY_A);
    assert_eq!(
        c["matchedOn"],
        json!(["socialSecurityNumber", "nameAndBirthDate"])
    );

    // Soundex of the last name, first initial and birth date, without an SSN.
    let mut sound = patient_items();
    sound["patientIdNumber"] = json!("00000044");
    sound["nameLast"] = json!("TESTPERSEN");
    sound["nameFirst"] = json!("ALEXANDRA");
    sound["socialSecurityNumber"] = json!("999999999");
    let r = app
        .post("/api/v1/patients/match", &t, json!({ "items": sound }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["candidates"][0]["id"], first.as_str());
    assert_eq!(
        r.body["candidates"][0]["matchedOn"],
        json!(["nameAndBirthDate"])
    );
    let r = app
        .post("/api/v1/patients", &t, json!({ "items": sound }))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post(
            "/api/v1/patients",
            &t,
            json!({ "items": sound, "confirmedNotDuplicate": true }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    assert_eq!(r.body["errors"][0]["item"], "reason");
    let r = app
        .post(
            "/api/v1/patients",
            &t,
            json!({ "items": sound, "confirmedNotDuplicate": true, "reason": "twin sister, per chart" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.body["id"].as_str().unwrap();
    app.db.flush_audit().await.unwrap();
    let mut conn = app.db.conn().unwrap();
    let (rows, _) = cancer_registry::audit::list(
        &mut conn,
        &cancer_registry::audit::Filter {
            action: Some("create".into()),
            entity: Some("patient".into()),
            entity_id: Some(created.to_string()),
            ..Default::default()
        },
        None,
        10,
    )
    .unwrap();
    assert!(rows[0]
        .details
        .to_string()
        .contains("twin sister, per chart"));
    drop(conn);

    // A different person matches nothing; another facility's registrar learns nothing.
    let r = app
        .post(
            "/api/v1/patients/match",
            &t,
            json!({ "items": person(9, "UNRELATED", "KIM", "19900101") }),
        )
        .await;
    assert_eq!(r.body["candidates"], json!([]));
    let other = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let r = app
        .post(
            "/api/v1/patients/match",
            &other,
            json!({ "items": patient_items() }),
        )
        .await;
    assert_eq!(r.body["candidates"], json!([]));

    // The search by number now finds one patient.
    let r = app
        .get("/api/v1/patients?patientIdNumber=00000042", &t)
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
}
both_backends!(one_patient_once, one_patient_once);

async fn search_filters(app: TestApp) {
    let t = app.registrar();
    let people = [
        ("HARTMAN", "MARGARET", "19550314"),
        ("HARTMANN", "MARK", "19550720"),
        ("HEARTMAN", "MARY", "19621101"),
        ("O'BRIEN", "SEAN", "19550314"),
        ("SMITH", "MARGARET", "19701231"),
    ];
    let mut ids = Vec::new();
    for (n, (last, first, dob)) in people.iter().enumerate() {
        ids.push(app.patient(&t, person(n as u32, last, first, dob)).await);
    }
    let mut tumor = tumor_items();
    tumor["medicalRecordNumber"] = json!("MRN-7781");
    app.tumor(&t, &ids[3], tumor).await;

    let found = |r: &Resp| -> Vec<String> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["items"]["nameLast"].as_str().unwrap().to_string())
            .collect()
    };
    let q = |query: &str| {
        let path = format!("/api/v1/patients?{query}");
        let (app, t) = (&app, &t);
        async move { app.get(&path, t).await }
    };
    assert_eq!(found(&q("nameLast=hartman").await), ["HARTMAN"]);
    assert_eq!(
        found(&q("nameLast=HART&nameMatch=prefix").await),
        ["HARTMAN", "HARTMANN"]
    );
    assert_eq!(
        found(&q("nameLast=Hartman&nameMatch=soundex").await),
        ["HARTMAN", "HARTMANN", "HEARTMAN"]
    );
    assert_eq!(found(&q("nameLast=obrien").await), ["O'BRIEN"]);
    assert_eq!(
        found(&q("nameLast=HART&nameMatch=prefix&nameFirst=mark").await),
        ["HARTMANN"]
    );
    assert_eq!(found(&q("nameFirst=MARGARET").await), ["HARTMAN", "SMITH"]);
    assert_eq!(
        found(&q("dateOfBirth=19550314").await),
        ["HARTMAN", "O'BRIEN"]
    );
    assert_eq!(
        found(&q("dateOfBirth=1955").await),
        ["HARTMAN", "HARTMANN", "O'BRIEN"]
    );
    assert_eq!(found(&q("ssn=314000002").await), ["HEARTMAN"]);
    assert_eq!(found(&q("ssn=0004").await), ["SMITH"]);
    assert_eq!(found(&q("medicalRecordNumber=MRN-7781").await), ["O'BRIEN"]);
    assert_eq!(found(&q("sex=2").await), ["HARTMANN", "O'BRIEN"]);
    assert_eq!(
        found(&q(&format!("facility={FACILITY_A}&sex=1&dateOfBirth=1955")).await),
        ["HARTMAN"]
    );
    // Keyset paging over a filter.
    let r = q("dateOfBirth=1955&limit=2").await;
    assert_eq!(found(&r), ["HARTMAN", "HARTMANN"]);
    let next = r.body["next"].as_str().unwrap().to_string();
    let r = q(&format!("dateOfBirth=1955&limit=2&cursor={next}")).await;
    assert_eq!(found(&r), ["O'BRIEN"]);
    assert!(r.body["next"].is_null());

    // Bad terms: 422 naming each.
    let r = q("dateOfBirth=195503&ssn=12&nameMatch=prefix").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["nameMatch", "dateOfBirth", "ssn"]);
    assert_eq!(
        q("nameMatch=fuzzy&nameLast=X").await.status,
        StatusCode::BAD_REQUEST
    );

    // Another facility's registrar finds none of them.
    let other = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let r = app.get("/api/v1/patients?nameLast=HARTMAN", &other).await;
    assert_eq!(found(&r), Vec::<String>::new());

    // Every search is audited with its filters.
    app.db.flush_audit().await.unwrap();
    let mut conn = app.db.conn().unwrap();
    let (rows, _) = cancer_registry::audit::list(
        &mut conn,
        &cancer_registry::audit::Filter {
            action: Some("read".into()),
            entity: Some("patient".into()),
            ..Default::default()
        },
        None,
        1000,
    )
    .unwrap();
    assert!(rows.iter().any(|e| {
        e.details["filters"]["nameLast"] == "HART" && e.details["filters"]["nameMatch"] == "prefix"
    }));
    assert!(rows
        .iter()
        .any(|e| e.details["filters"]["medicalRecordNumber"] == "MRN-7781"));
}
both_backends!(search_filters, search_filters);
