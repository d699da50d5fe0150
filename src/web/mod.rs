//! The registrar's workspace: a browser client of the public API, served by the binary from
//! assets embedded at build time (no CDN, no build step). Each asset is gzipped once, on first
//! request, and sent compressed to clients that accept it.

use std::io::Write;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

/// An embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("assets/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("fields.js", JS),
    asset!("worklist.js", JS),
    asset!("patient.js", JS),
    asset!("abstract.js", JS),
    asset!("followup.js", JS),
    asset!("submissions.js", JS),
    asset!("profile.js", JS),
];

/// Gzip of each asset, in `ASSETS` order.
static GZIPPED: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            // Writing to a Vec cannot fail; an empty body would only cost the compression.
            let _ = enc.write_all(a.body.as_bytes());
            enc.finish().unwrap_or_default()
        })
        .collect()
});

/// The page allows only its own scripts, styles and API: nothing inline, nothing remote.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Routes of the workspace: `/` and `/assets/{name}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/assets/{name}", web::get().to(asset));
}

async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, "index.html")
}

async fn asset(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    serve(&req, &name)
}

fn serve(req: &HttpRequest, name: &str) -> HttpResponse {
    let Some(index) = ASSETS.iter().position(|a| a.name == name) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!("no asset {name}"));
    };
    let asset = &ASSETS[index];
    let gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut res = HttpResponse::Ok();
    res.content_type(asset.content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header(("Referrer-Policy", "no-referrer"));
    if gzip {
        res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
        res.body(GZIPPED[index].clone())
    } else {
        res.body(asset.body)
    }
}

/// Names and sizes (plain, gzip) of the embedded assets: the page weight.
pub fn asset_sizes() -> Vec<(&'static str, usize, usize)> {
    ASSETS
        .iter()
        .zip(GZIPPED.iter())
        .map(|(a, g)| (a.name, a.body.len(), g.len()))
        .collect()
}
