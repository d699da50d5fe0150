//! The baseline of `scripts/read-bench.sh`: a bare actix-web server (same framework, same
//! worker count as the service) answering one fixed JSON body, so the service's figures can be
//! read as a share of what this machine serves at all. Runs until killed.
//!
//!   cargo bench --bench bare_http -- [bind=127.0.0.1:18080]

use actix_web::{web, App, HttpResponse, HttpServer};

const BODY: &str = r#"{"id":"0190a0b0-0000-7000-8000-000000000000","status":"draft","version":1}"#;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // `cargo bench` passes `--bench`; the bind address is the first other argument.
    let bind = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| "127.0.0.1:18080".to_string());
    eprintln!("bare handler on http://{bind}/");
    HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("application/json")
                .body(BODY)
        }))
    })
    .bind(&bind)?
    .run()
    .await
}
