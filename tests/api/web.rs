//! The workspace's assets: served by the binary itself, gzip when asked, locked down by CSP.

use actix_web::http::{Method, StatusCode};

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
