//! `/api/v1/lookups`: labels of codes, code and word search, surgery codes by site and year.

use actix_web::http::StatusCode;
use cancer_registry::auth::Role;

use crate::both_backends;
use crate::support::*;

fn codes(body: &serde_json::Value) -> Vec<String> {
    body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

async fn lookups(app: TestApp) {
    let t = app.registrar();

    let r = app.get("/api/v1/lookups", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.body["items"].as_array().unwrap();
    let lat = items.iter().find(|i| i["item"] == "laterality").unwrap();
    assert_eq!(lat["number"], 410);
    assert!(items.iter().any(|i| i["item"] == "rxSummSurgPrimSite2023"));

    let r = app
        .get(
            "/api/v1/lookups/histologicTypeIcdO3?q=infiltrating%20duct",
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["number"], 522);
    let hit = r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "8500/3")
        .unwrap();
    assert_eq!(
        hit["label"],
        "Invasive carcinoma of no special type (C50._) [BREAST ONLY]"
    );
    // An alternate term holding the words as typed.
    let matched = hit["matched"].as_str().unwrap().to_lowercase();
    assert!(matched.contains("infiltrating duct"), "{matched}");

    let r = app.get("/api/v1/lookups/primarySite?q=breast", &t).await;
    let mut found = codes(&r.body);
    found.sort();
    assert_eq!(
        found,
        ["C500", "C501", "C502", "C503", "C504", "C505", "C506", "C508", "C509"]
    );

    let r = app
        .get(
            "/api/v1/lookups/rxSummSurgPrimSite2023?site=C504&year=2024",
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["edition"], 2024);
    assert_eq!(r.body["table"], "Breast");
    let b200 = r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "B200")
        .unwrap();
    assert_eq!(b200["validFrom"], 2024);
    assert!(b200.get("validTo").is_none());

    let r = app
        .get("/api/v1/lookups/rxSummSurgPrimSite?site=C504&year=2020", &t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["edition"], 2018);
    assert!(codes(&r.body).contains(&"41".to_string()));

    // Synonyms on request; limits.
    let r = app
        .get(
            "/api/v1/lookups/histologicTypeIcdO3?q=8500/3&synonyms=true&limit=1",
            &t,
        )
        .await;
    assert_eq!(codes(&r.body), ["8500/3"]);
    assert!(r.body["codes"][0]["synonyms"].as_array().unwrap().len() > 10);

    // Clear errors.
    let r = app
        .get(
            "/api/v1/lookups/rxSummSurgPrimSite2023?site=C504&year=2019",
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["detail"].as_str().unwrap().starts_with("year:"),
        "{}",
        r.body
    );
    let r = app.get("/api/v1/lookups/rxSummSurgPrimSite2023", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["detail"].as_str().unwrap().contains("site"),
        "{}",
        r.body
    );
    let r = app.get("/api/v1/lookups/nameLast", &t).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/lookups/laterality?limit=0", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.get("/api/v1/lookups/laterality?color=red", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Every role may read them; nobody without a token.
    let researcher = app.token(Role::Researcher, None);
    let r = app.get("/api/v1/lookups/laterality", &researcher).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .call(
            actix_web::http::Method::GET,
            "/api/v1/lookups/laterality",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

both_backends!(lookups_api, lookups);

async fn session(app: TestApp) {
    let r = app.get("/api/v1/session", &app.registrar()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["sub"], "registrar-user");
    assert_eq!(r.body["roles"], serde_json::json!(["registrar"]));
    assert_eq!(r.body["facilities"], serde_json::json!([FACILITY_A]));
    let manager = app.token(Role::Manager, None);
    let r = app.get("/api/v1/session", &manager).await;
    assert!(r.body.get("facilities").is_none(), "{}", r.body);
    let r = app
        .call(
            actix_web::http::Method::GET,
            "/api/v1/session",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

both_backends!(session_api, session);
