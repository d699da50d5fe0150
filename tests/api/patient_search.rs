//! Patient search at scale keeps its answers: a last-name prefix pages in name order with a
//! (name, id) cursor, a birth-year search uses its column, and a facility scope follows the
//! link table the triggers keep (own facility, or any tumor reported there).

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

fn someone(n: u32, last: &str, dob: &str) -> serde_json::Value {
    json!({
        "patientIdNumber": format!("{:08}", 900 + n),
        "nameLast": last,
        "nameFirst": format!("P{}", ["A", "B", "C", "D", "E", "F", "G"][n as usize % 7]),
        "dateOfBirth": dob,
        "sexAssignedAtBirth": "1",
        "socialSecurityNumber": format!("52700{n:04}"),
        "vitalStatus": "1",
        "dateOfLastContact": "20250110"
    })
}

fn names(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["items"]["nameLast"].as_str().unwrap().to_string())
        .collect()
}

async fn prefix_pages_in_name_order(app: TestApp) {
    let t = app.registrar();
    // Created out of name order, with a repeated name (ordered by id among themselves).
    let created = ["HAYES", "HALL", "HARRIS", "HALL", "HART", "HOLT"];
    let mut ids = Vec::new();
    for (n, last) in created.iter().enumerate() {
        let dob = format!("196001{:02}", n + 1);
        ids.push(app.patient(&t, someone(n as u32, last, &dob)).await);
    }
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/patients?nameLast=ha&nameMatch=prefix&limit=2&cursor={c}"),
            None => "/api/v1/patients?nameLast=ha&nameMatch=prefix&limit=2".to_string(),
        };
        let r = app.get(&path, &t).await;
        pages.push(names(&r));
        for p in r.body["data"].as_array().unwrap() {
            seen.push(p["id"].as_str().unwrap().to_string());
        }
        match r.body["next"].as_str() {
            Some(c) => {
                assert!(
                    c.starts_with(&format!("{}:", pages.last().unwrap()[1])),
                    "{c}"
                );
                cursor = Some(c.to_string());
            }
            None => break,
        }
    }
    assert_eq!(
        pages,
        [vec!["HALL", "HALL"], vec!["HARRIS", "HART"], vec!["HAYES"]]
    );
    // The two HALLs in id order, each patient once.
    let mut halls = [ids[1].clone(), ids[3].clone()];
    halls.sort();
    assert_eq!(seen[..2], halls[..]);
    assert_eq!(seen.len(), 5);

    // A cursor that is not one of this search's: 422.
    let r = app
        .get(
            &format!(
                "/api/v1/patients?nameLast=ha&nameMatch=prefix&cursor={}",
                ids[0]
            ),
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "cursor");

    // Birth year: its own column, kept on change too.
    let r = app.get("/api/v1/patients?dateOfBirth=1960", &t).await;
    assert_eq!(names(&r).len(), 6);
    let p = app.get(&format!("/api/v1/patients/{}", ids[5]), &t).await;
    let etag = p.header("etag").unwrap();
    let r = app
        .patch(
            &format!("/api/v1/patients/{}", ids[5]),
            &t,
            &etag,
            json!({ "items": { "dateOfBirth": "19610202" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        names(&app.get("/api/v1/patients?dateOfBirth=1960", &t).await).len(),
        5
    );
    assert_eq!(
        names(&app.get("/api/v1/patients?dateOfBirth=1961", &t).await),
        ["HOLT"]
    );
}
both_backends!(prefix_pages_in_name_order, prefix_pages_in_name_order);

async fn scope_follows_tumors(app: TestApp) {
    let reg_a = app.registrar();
    let reg_b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let manager = app.token(Role::Manager, None);
    let items = someone(1, "QUIMBY", "19480505");
    let b_patient = {
        let r = app
            .post(
                "/api/v1/patients",
                &reg_b,
                json!({ "items": items.clone(), "facilityId": FACILITY_B }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    };
    let search = "/api/v1/patients?nameLast=QUIM&nameMatch=prefix";
    assert_eq!(names(&app.get(search, &reg_b).await), ["QUIMBY"]);
    assert!(names(&app.get(search, &reg_a).await).is_empty());
    assert!(names(&app.get("/api/v1/patients?dateOfBirth=1948", &reg_a).await).is_empty());

    // A tumor reported by facility A brings the patient into A's scope, for every filter kind.
    let mut reported_at_a = tumor_items();
    reported_at_a["reportingFacility"] = json!(FACILITY_A);
    let tumor = app.tumor(&manager, &b_patient, reported_at_a).await;
    assert_eq!(tumor["facilityId"], FACILITY_A);
    for q in [
        "nameLast=QUIMBY",
        "nameLast=QUIM&nameMatch=prefix",
        "nameLast=QUIMBEE&nameMatch=soundex",
        "dateOfBirth=1948",
        "dateOfBirth=19480505",
        "ssn=0001",
        "sex=1",
    ] {
        let r = app.get(&format!("/api/v1/patients?{q}"), &reg_a).await;
        assert!(names(&r).contains(&"QUIMBY".to_string()), "{q}: {}", r.body);
    }
    // Listed once though two facilities give it to a token covering both.
    let both = app.token(Role::Registrar, Some(&[FACILITY_A, FACILITY_B]));
    assert_eq!(names(&app.get(search, &both).await), ["QUIMBY"]);

    // Erasing the tumor (a draft) takes the patient out of A's scope again.
    let r = app
        .write(
            Method::DELETE,
            &format!("/api/v1/tumors/{}", tumor["id"].as_str().unwrap()),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(names(&app.get(search, &reg_a).await).is_empty());
    assert_eq!(names(&app.get(search, &reg_b).await), ["QUIMBY"]);
}
both_backends!(scope_follows_tumors, scope_follows_tumors);
