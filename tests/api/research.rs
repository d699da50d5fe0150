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
                    "addrCurrentNoStreet": street, "vitalStatus": "1", "dateOfLastContact": "20250505",
                    "race1": "01", "spanishHispanicOrigin": "0"
                }),
            )
            .await;
        let mut tumor = tumor_items();
        tumor["medicalRecordNumber"] = json!(mrn);
        tumor["addrAtDxPostalCode"] = json!(zip);
        tumor["addrAtDxNoStreet"] = json!(street.clone());
        tumor["dateOfDiagnosis"] = json!(if n % 4 == 0 { "20230419" } else { "20240315" });
        if n % 4 == 0 {
            // The 2023 surgery table's codes (B codes start in 2024).
            tumor["rxSummSurgPrimSite2023"] = json!("A200");
            // SEER requires the multigene signature items of breast cases through 2023.
            tumor["multigeneSignatureMethod"] = json!("9");
            tumor["multigeneSignatureResults"] = json!("X9");
        }
        let tumor = app.tumor(&t, &p, tumor).await;
        // Research sees complete abstracts only.
        let status = format!("/api/v1/tumors/{}/status", tumor["id"].as_str().unwrap());
        for (token, to) in [(&t, "review"), (&reviewer, "complete")] {
            let r = app
                .write(
                    Method::PUT,
                    &status,
                    Some(token),
                    Some(json!({ "status": to })),
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
    // Dates are years; for patients 90 or older (birth year withheld) no year at all, since a
    // year and the age at diagnosis would give the birth year.
    for l in &lines[1..] {
        let f: Vec<&str> = l.split(',').collect();
        assert!(
            f[4].len() == 4 || (f[4].is_empty() && f[8].is_empty()),
            "dates are years: {l}"
        );
    }
    let with_year = lines[1..]
        .iter()
        .filter(|l| l.split(',').nth(4).is_some_and(|d| d.len() == 4))
        .count();
    assert_eq!(
        with_year, 32,
        "the 8 patients aged 90 or older carry no year"
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

/// Separation of duties and honest dates: an IRB approval dated in the future is refused, and
/// one subject holding both the researcher and the manager role cannot approve its own request.
async fn requests_need_a_past_irb_date_and_another_approver(app: TestApp) {
    let researcher = app.token(Role::Researcher, None);
    let mut body = request_body(json!(["primarySite"]));
    body["irbApprovalDate"] = json!("2099-01-15");
    let r = app
        .post("/api/v1/research-requests", &researcher, body)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "irbApprovalDate");

    let both = app
        .keys
        .sign(
            "dual-role",
            &[Role::Researcher, Role::Manager],
            None,
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    let r = app
        .post(
            "/api/v1/research-requests",
            &both,
            request_body(json!(["primarySite"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/research-requests/{id}/approve"),
            &both,
            json!({ "expiresOn": "2099-12-31", "reason": "self" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let manager = app.token(Role::Manager, None);
    let r = app
        .post(
            &format!("/api/v1/research-requests/{id}/approve"),
            &manager,
            json!({ "expiresOn": "2099-12-31", "reason": "IRB verified" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
both_backends!(
    requests_need_a_past_irb_date_and_another_approver,
    requests_need_a_past_irb_date_and_another_approver
);

/// A manager limited to one facility reports on that facility alone and decides only requests
/// limited to it; a registry-wide manager sees and decides everything.
async fn scoped_managers_get_scoped_reports_and_approvals(app: TestApp) {
    cohort(&app).await; // 40 tumors of facility A
    let registrar_b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let reviewer_b = app.token(Role::Reviewer, Some(&[FACILITY_B]));
    for n in 0..16u32 {
        let p = app
            .patient(
                &registrar_b,
                json!({ "patientIdNumber": format!("{:08}", 7000 + n), "nameLast": format!("BEE{n}"),
                        "dateOfBirth": "19600101", "sexAssignedAtBirth": "1",
                        "race1": "01", "spanishHispanicOrigin": "0", "vitalStatus": "1",
                        "dateOfLastContact": "20250505" }),
            )
            .await;
        let tumor = app.tumor(&registrar_b, &p, tumor_items()).await;
        // Reports count complete abstracts only.
        let status = format!("/api/v1/tumors/{}/status", tumor["id"].as_str().unwrap());
        for (token, to) in [(&registrar_b, "review"), (&reviewer_b, "complete")] {
            let r = app
                .write(
                    Method::PUT,
                    &status,
                    Some(token),
                    Some(json!({ "status": to })),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    }
    let everywhere = app.token(Role::Manager, None);
    let only_a = app.token(Role::Manager, Some(&[FACILITY_A]));
    let grand_total = |body: &Value| {
        body["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["keys"]
                    .as_object()
                    .is_none_or(|k| k.values().all(Value::is_null))
            })
            .and_then(|r| r["count"].as_u64())
    };
    let all = app
        .get("/api/v1/reports/incidence?groupBy=sex", &everywhere)
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let a = app
        .get("/api/v1/reports/incidence?groupBy=sex", &only_a)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(grand_total(&all.body), Some(56), "{}", all.body);
    assert_eq!(grand_total(&a.body), Some(40), "{}", a.body);

    let researcher = app.token(Role::Researcher, None);
    let wide = app
        .post(
            "/api/v1/research-requests",
            &researcher,
            request_body(json!(["primarySite"])),
        )
        .await;
    let wide = wide.body["id"].as_str().unwrap().to_string();
    let approve = json!({ "expiresOn": "2099-12-31", "reason": "IRB verified" });
    let r = app
        .post(
            &format!("/api/v1/research-requests/{wide}/approve"),
            &only_a,
            approve.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Nor reject it: a rejection is a decision too.
    let r = app
        .post(
            &format!("/api/v1/research-requests/{wide}/reject"),
            &only_a,
            json!({ "reason": "not ours to decide" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let mut body = request_body(json!(["primarySite"]));
    body["selection"]["facilities"] = json!([FACILITY_A]);
    let narrow = app
        .post("/api/v1/research-requests", &researcher, body)
        .await;
    assert_eq!(narrow.status, StatusCode::CREATED, "{}", narrow.body);
    let narrow = narrow.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/research-requests/{narrow}/approve"),
            &only_a,
            approve.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/research-requests/{wide}/approve"),
            &everywhere,
            approve,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
both_backends!(
    scoped_managers_get_scoped_reports_and_approvals,
    scoped_managers_get_scoped_reports_and_approvals
);
