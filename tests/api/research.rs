//! Research requests: identifiers refused at filing, approval by managers only, extracts with
//! none of the source identifiers, suppressed tables, and the release log.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Digest;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

/// Identifying values of the cohort, to be searched for in every release.
struct Cohort {
    identifiers: Vec<String>,
}

async fn cohort(app: &TestApp) -> Cohort {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let mut identifiers = Vec::new();
    for n in 0..40u32 {
        let last = format!("ZQLAST{n:02}X");
        let first = format!("ZQFIRST{n:02}Y");
        let ssn = format!("98765{n:04}");
        let street = format!("{n} QUIXOTE LANE");
        let mrn = format!("MRN{n:06}Q");
        // Patient 7 is 94 at diagnosis (the service derives Age at Diagnosis from the dates).
        let dob = if n == 7 {
            "19290817".to_string()
        } else {
            format!("19{:02}0{}1{}", 30 + n % 60, 1 + n % 9, n % 10)
        };
        let zip = if n % 2 == 0 {
            "03601".to_string()
        } else {
            format!("1{n:04}")
        };
        let p = app
            .patient(
                &t,
                json!({
                    "patientIdNumber": format!("{:08}", 9000 + n), "nameLast": last, "nameFirst": first,
                    "socialSecurityNumber": ssn, "dateOfBirth": dob, "sexAssignedAtBirth": if n % 3 == 0 { "1" } else { "2" },
                    "addrCurrentNoStreet": street, "vitalStatus": "1", "dateOfLastContact": "20250505"
                }),
            )
            .await;
        let mut tumor = tumor_items();
        tumor["medicalRecordNumber"] = json!(mrn);
        tumor["addrAtDxPostalCode"] = json!(zip);
        tumor["addrAtDxNoStreet"] = json!(street.clone());
        tumor["dateOfDiagnosis"] = json!(if n % 4 == 0 { "20230419" } else { "20240315" });
        if n % 4 == 0 {
            // SEER requires the multigene signature items of breast cases through 2023.
            tumor["multigeneSignatureMethod"] = json!("9");
            tumor["multigeneSignatureResults"] = json!("X9");
        }
        let tumor = app.tumor(&t, &p, tumor).await;
        // Research sees complete abstracts only.
        let status = format!("/api/v1/tumors/{}/status", tumor["id"].as_str().unwrap());
        for (token, to) in [(&t, "review"), (&reviewer, "complete")] {
            let r = app
                .call(
                    Method::PUT,
                    &status,
                    Some(token),
                    Some(json!({ "status": to })),
                    &[],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        identifiers.extend([
            last,
            first,
            ssn,
            street,
            mrn,
            dob,
            format!("{:08}", 9000 + n),
        ]);
        if n % 2 == 1 {
            identifiers.push(zip);
        }
    }
    identifiers.extend([
        "20230419".to_string(),
        "20240315".to_string(),
        "20250505".to_string(),
        "03601".to_string(),
    ]);
    Cohort { identifiers }
}

fn request_body(items: Value) -> Value {
    json!({
        "title": "Breast cancer outcomes", "investigator": "Dr. R. Searcher", "institution": "State University",
        "purpose": "Survival by stage", "irbApprovalId": "IRB-2026-001", "irbApprovalDate": "2026-01-15",
        "items": items, "selection": { "dxYearFrom": 2020, "sites": ["C50"] }
    })
}

async fn researchers_get_only_deidentified_data(app: TestApp) {
    let c = cohort(&app).await;
    let researcher = app.token(Role::Researcher, None);
    let manager = app.token(Role::Manager, None);

    let r = app
        .post(
            "/api/v1/research-requests",
            &researcher,
            request_body(json!(["primarySite", "nameLast", "socialSecurityNumber"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let refused: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"].as_str().unwrap())
        .collect();
    assert_eq!(refused, vec!["nameLast", "socialSecurityNumber"]);

    let items = json!([
        "primarySite",
        "histologicTypeIcdO3",
        "dateOfDiagnosis",
        "ageAtDiagnosis",
        "addrAtDxPostalCode",
        "sexAssignedAtBirth",
        "dateOfBirth"
    ]);
    let r = app
        .post(
            "/api/v1/research-requests",
            &researcher,
            request_body(items),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["status"], "submitted");

    // Nothing is released before approval; only managers approve.
    let r = app
        .post(
            &format!("/api/v1/research-requests/{id}/extracts"),
            &researcher,
            json!({ "format": "csv" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    for token in [&researcher, &app.registrar()] {
        let r = app
            .post(
                &format!("/api/v1/research-requests/{id}/approve"),
                token,
                json!({ "expiresOn": "2099-12-31" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let r = app
        .post(
            &format!("/api/v1/research-requests/{id}/approve"),
            &manager,
            json!({ "expiresOn": "2001-01-01" }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an expiry in the past"
    );
    let r = app
        .post(
            &format!("/api/v1/research-requests/{id}/approve"),
            &manager,
            json!({ "expiresOn": "2099-12-31", "reason": "IRB verified" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(r.body["history"].as_array().unwrap().len(), 2);

    let r = app
        .post(
            &format!("/api/v1/research-requests/{id}/extracts"),
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
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let csv = String::from_utf8(r.raw.clone()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "studyId,tumorSequence,primarySite,histologicTypeIcdO3,dateOfDiagnosis,ageAtDiagnosis,addrAtDxPostalCode,sexAssignedAtBirth,dateOfBirth");
    assert_eq!(lines.len(), 41, "every breast tumor since 2020");
    for id in &c.identifiers {
        assert!(
            !csv.contains(id.as_str()),
            "the extract contains the identifier {id}"
        );
    }
    assert!(csv.contains(",000,"), "ZIP 03601 is a restricted area: 000");
    assert!(csv.contains(",090,"), "age 94 is reported as 90 or older");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.split(',').nth(4).is_some_and(|d| d.len() == 4)),
        "dates are years"
    );
    let hash = format!("{:x}", sha2::Sha256::digest(&r.raw));
    assert_eq!(r.header("x-release-sha256").unwrap(), hash);

    let r = app
        .post(
            &format!("/api/v1/research-requests/{id}/extracts"),
            &researcher,
            json!({ "format": "naaccr-xml" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let xml = String::from_utf8(r.raw.clone()).unwrap();
    assert!(xml.contains("recordType=\"I\""));
    for id in &c.identifiers {
        assert!(
            !xml.contains(id.as_str()),
            "the XML extract contains the identifier {id}"
        );
    }

    let r = app
        .get(
            &format!("/api/v1/research-requests/{id}/tables?groupBy=sex,dxYear"),
            &researcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for row in r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r.body["totals"].as_array().unwrap())
    {
        if let Some(n) = row["count"].as_u64() {
            assert!(
                n == 0 || n >= 16,
                "a shown count under the threshold: {row}"
            );
        } else {
            assert_eq!(row["suppressed"], true);
        }
    }
    assert!(
        r.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["suppressed"] == true),
        "{}",
        r.body
    );
    let r = app
        .get(
            &format!("/api/v1/research-requests/{id}/tables?groupBy=nameLast"),
            &researcher,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .get(
            &format!("/api/v1/research-requests/{id}/releases"),
            &researcher,
        )
        .await;
    let releases = r.body["data"].as_array().unwrap();
    assert_eq!(releases.len(), 3);
    assert_eq!(releases[0]["sha256"], hash);
    assert_eq!(releases[0]["records"], 40);
    assert_eq!(
        app.audit_count("release", "research-request", Some(&id))
            .await,
        3
    );

    // Another researcher does not see the request; researchers never reach abstracts.
    let other = app
        .keys
        .sign(
            "other-researcher",
            &[Role::Researcher],
            None,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/research-requests/{id}"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/tumors", &researcher).await.status,
        StatusCode::FORBIDDEN
    );

    // Managers' incidence tables; not for researchers.
    let r = app
        .get("/api/v1/reports/incidence?groupBy=siteRecode,sex", &manager)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["rows"][0]["siteRecode"], "Breast");
    assert_eq!(
        app.get("/api/v1/reports/incidence?groupBy=sex", &researcher)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // A rejection needs a reason; a decided request stays decided.
    let r = app
        .post(
            "/api/v1/research-requests",
            &researcher,
            request_body(json!(["primarySite"])),
        )
        .await;
    let second = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/research-requests/{second}/reject"),
            &manager,
            json!({ "reason": "" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &format!("/api/v1/research-requests/{second}/reject"),
            &manager,
            json!({ "reason": "no IRB for this use" }),
        )
        .await;
    assert_eq!(r.body["status"], "rejected");
    let r = app
        .post(
            &format!("/api/v1/research-requests/{second}/approve"),
            &manager,
            json!({ "expiresOn": "2099-01-01" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/research-requests/{second}/extracts"),
            Some(&researcher),
            Some(json!({ "format": "csv" })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}
both_backends!(
    researchers_get_only_deidentified_data,
    researchers_get_only_deidentified_data
);
