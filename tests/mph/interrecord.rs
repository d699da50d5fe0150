//! The multiple primary rules on every tumor write: `mph` in the create/change response, the
//! single-primary warning, edit IRMP until a reviewer over-rides it (with a reason) or one of
//! the tumors is withdrawn.

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

fn melanoma(date: &str) -> Value {
    json!({
        "primarySite": "C445",
        "histologicTypeIcdO3": "8720",
        "behaviorCodeIcdO3": "3",
        "laterality": "1",
        "dateOfDiagnosis": date,
    })
}

async fn melanomas_of_the_back_are_two_primaries_in_the_post_response(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let first = app.tumor(&t, &p, melanoma("20190312")).await;
    assert!(first.get("mph").is_none(), "no other tumor: {first}");
    let second = app.tumor(&t, &p, melanoma("20240602")).await;
    let mph = &second["mph"];
    let pairs = mph["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{mph}");
    assert_eq!(pairs[0]["tumor1"], second["id"]);
    assert_eq!(pairs[0]["tumor2"], first["id"]);
    assert_eq!(pairs[0]["decision"], "multiple-primaries");
    assert_eq!(pairs[0]["rule"], "M7");
    assert_eq!(
        pairs[0]["ruleSet"]["id"],
        "str_2021_and_later_cutaneous_melanoma"
    );
    assert!(!pairs[0]["reason"].as_str().unwrap().is_empty());
    assert_eq!(mph["warnings"], json!([]));
    assert!(mph["proposed"].is_null(), "{mph}");
    let failing = |body: &Value, id: &str| {
        body["edits"]["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["edit"] == id)
    };
    assert!(
        !failing(&second, "IRMP") && !failing(&second, "DUP"),
        "{second}"
    );
}
both_backends!(
    melanomas_in_post,
    melanomas_of_the_back_are_two_primaries_in_the_post_response
);

fn failure<'a>(body: &'a Value, id: &str) -> Option<&'a Value> {
    body["edits"]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["edit"] == id)
}

fn overridden(body: &Value, id: &str) -> bool {
    body["edits"]["overridden"]
        .as_array()
        .is_some_and(|v| v.iter().any(|f| f["edit"] == id))
}

async fn one_primary_warns_fails_irmp_until_overridden_or_withdrawn(app: TestApp) {
    let t = app.registrar();
    let reviewer = app.token(Role::Reviewer, Some(&[FACILITY_A]));
    let p = app.patient(&t, patient_items()).await;
    // A complete breast case (C504 8500/3, left, 2024-03-15) ...
    let a = app.tumor(&t, &p, tumor_items()).await;
    let a_id = a["id"].as_str().unwrap().to_string();
    for (who, status) in [(&t, "review"), (&reviewer, "complete")] {
        let r = app
            .write(
                Method::PUT,
                &format!("/api/v1/tumors/{a_id}/status"),
                Some(who),
                Some(json!({ "status": status })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // ... and the same day another subsite of the same breast: one primary (breast M12).
    let mut items = tumor_items();
    items["primarySite"] = json!("C502");
    items["sequenceNumberHospital"] = json!("01");
    let b = app.tumor(&t, &p, items).await;
    let b_id = b["id"].as_str().unwrap().to_string();
    let pair = &b["mph"]["pairs"][0];
    assert_eq!(pair["tumor2"], a_id.as_str());
    assert_eq!(pair["decision"], "single-primary", "{b}");
    assert_eq!(pair["rule"], "M12");
    let warnings = b["mph"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{b}");
    assert!(warnings[0].as_str().unwrap().contains(&a_id));
    let proposed = &b["mph"]["proposed"];
    assert_eq!(proposed["tumorIds"].as_array().unwrap().len(), 2, "{b}");
    assert_eq!(proposed["multTumRptAsOnePrim"], "40");
    assert_eq!(proposed["multiplicityCounter"], "02");
    assert_eq!(proposed["dateOfMultTumors"], "20240315");
    assert!(
        b["items"].get("multiplicityCounter").is_none()
            || b["items"]["multiplicityCounter"] != "02",
        "proposed, not written"
    );
    // Stored, with IRMP failing (an error: the abstract cannot be completed).
    let irmp = failure(&b, "IRMP").unwrap_or_else(|| panic!("IRMP should fail: {b}"));
    assert_eq!(irmp["severity"], "error");
    assert!(irmp["message"].as_str().unwrap().contains("M12"), "{irmp}");

    let path = format!("/api/v1/tumors/{b_id}");
    let set = |reason: Option<&str>| {
        let mut body = json!({ "items": { "overRideSiteLatSeqno": "1" } });
        if let Some(r) = reason {
            body["reason"] = json!(r);
        }
        body
    };
    // A registrar cannot set the over-ride, nor slip it into a new abstract.
    let r = app.patch(&path, &t, "\"1\"", set(Some("reviewed"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let mut flagged = tumor_items();
    flagged["overRideSiteLatSeqno"] = json!("1");
    let r = app
        .post(
            &format!("/api/v1/patients/{p}/tumors"),
            &t,
            json!({ "items": flagged, "reason": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A reviewer needs a reason.
    let r = app.patch(&path, &reviewer, "\"1\"", set(None)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .patch(
            &path,
            &reviewer,
            "\"1\"",
            set(Some(
                "pathology review: two foci of one primary, merge pending",
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(failure(&r.body, "IRMP").is_none(), "{}", r.body);
    assert!(overridden(&r.body, "IRMP"), "{}", r.body);
    // The change response carries the decision too.
    assert_eq!(r.body["mph"]["pairs"][0]["decision"], "single-primary");

    // Cleared again, the edit fails again; withdrawing the other tumor clears it.
    let r = app
        .patch(
            &path,
            &reviewer,
            "\"2\"",
            json!({ "items": { "overRideSiteLatSeqno": null }, "reason": "over-ride set in error" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(failure(&r.body, "IRMP").is_some(), "{}", r.body);
    let r = app
        .write(
            Method::DELETE,
            &format!("/api/v1/tumors/{a_id}?reason=abstracted%20twice"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.get(&path, &t).await;
    assert!(failure(&r.body, "IRMP").is_none(), "{}", r.body);
    assert!(!overridden(&r.body, "IRMP"), "{}", r.body);
    // The withdrawn tumor is out of the pair decisions of a later change as well.
    let r = app
        .patch(
            &path,
            &t,
            "\"3\"",
            json!({ "items": { "sequenceNumberHospital": "00" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.get("mph").is_none(), "{}", r.body);
    assert!(failure(&r.body, "SEQH").is_none(), "{}", r.body);
}
both_backends!(
    one_primary_irmp,
    one_primary_warns_fails_irmp_until_overridden_or_withdrawn
);
