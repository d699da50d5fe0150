//! The workspace: its assets (served by the binary, gzip when asked, locked down by CSP) and the
//! tumor history it shows (who changed what, when).

use actix_web::http::{Method, StatusCode};

use cancer_registry::auth::Role;

use crate::support::*;

#[actix_rt::test]
async fn assets_are_embedded_and_served() {
    let app = TestApp::new(Backend::Sqlite).await.unwrap();
    let r = app.call(Method::GET, "/", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    let html = String::from_utf8(r.raw).unwrap();
    assert!(html.contains(r#"<script type="module" src="/assets/app.js">"#));

    let r = app
        .call(
            Method::GET,
            "/assets/app.js",
            None,
            None,
            &[("Accept-Encoding", "gzip, br")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding").as_deref(), Some("gzip"));
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&r.raw[..]), &mut plain)
        .unwrap();
    assert!(plain.contains("/api/v1/session"));

    let r = app
        .call(Method::GET, "/assets/style.css", None, None, &[])
        .await;
    assert!(r.header("content-encoding").is_none());
    assert!(r.header("content-type").unwrap().starts_with("text/css"));
    let r = app
        .call(Method::GET, "/assets/nothing.js", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nothing of the page is fetched from elsewhere.
    for (name, plain, gzip) in cancer_registry::web::asset_sizes() {
        assert!(gzip < plain, "{name}");
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
}

async fn tumor_history(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let id = tumor["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/tumors/{id}"),
            &t,
            "\"1\"",
            serde_json::json!({"items": {"laterality": "2"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .write(
            Method::PUT,
            &format!("/api/v1/tumors/{id}/status"),
            Some(&t),
            Some(serde_json::json!({"status": "review"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = app.get(&format!("/api/v1/tumors/{id}/history"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let data = r.body["data"].as_array().unwrap();
    let actions: Vec<&str> = data.iter().map(|d| d["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update", "update"], "{}", r.body);
    assert!(data.iter().all(|d| d["actor"] == "registrar-user"));
    let change = &data[1]["details"]["changes"][0];
    assert_eq!(change["item"], "laterality");
    assert_eq!(change["old"], "1");
    assert_eq!(change["new"], "2");
    assert_eq!(data[2]["details"]["status"]["new"], "review");
    // Reading the history is itself audited.
    assert_eq!(app.audit_count("read", "tumor-history", Some(id)).await, 1);

    // Another facility: 404, as for the tumor; researchers: 403.
    let other = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let r = app
        .get(&format!("/api/v1/tumors/{id}/history"), &other)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let researcher = app.token(Role::Researcher, None);
    let r = app
        .get(&format!("/api/v1/tumors/{id}/history"), &researcher)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

crate::both_backends!(tumor_history_api, tumor_history);
