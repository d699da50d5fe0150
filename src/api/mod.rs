//! The HTTP API: the one route table (used by the server, the tests and the `openapi`
//! command), the OpenAPI document, and thin handlers over the domain modules.

pub mod audit;
pub mod deaths;
pub mod denied;
pub mod dictionary;
pub mod edits;
pub mod error;
pub mod extract;
pub mod facilities;
pub mod followup;
pub mod health;
pub mod history;
pub mod imports;
pub mod items;
pub mod lookups;
pub mod mph;
pub mod patients;
pub mod recipients;
pub mod research;
pub mod session;
pub mod staging;
pub mod submissions;
pub mod tumors;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, App, HttpMessage, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::Keys;
use crate::db::Db;
use crate::edits::ReferenceTables;
use crate::naaccr::dictionary_xml::DictionarySet;
use crate::staging::Registry;
use error::ApiError;
use extract::RequestId;

/// What handlers share.
pub struct AppState {
    pub db: Db,
    pub keys: Arc<Keys>,
    pub max_body_bytes: usize,
    /// The edits' reference tables, or why they could not be loaded.
    pub edit_tables: Result<Arc<ReferenceTables>, String>,
    /// Dictionaries imports may name (built-in 260/250 plus the configured folder).
    pub dictionaries: Arc<DictionarySet>,
    /// Submission files and uploads.
    pub data_dir: PathBuf,
    pub max_import_bytes: u64,
    /// What one imported file may hold once decompressed.
    pub import_limits: crate::submissions::import_limits::FileLimits,
    /// Limits of submission builds and imports running at once.
    pub job_slots: crate::submissions::slots::JobSlots,
    /// Submission builds: the database, where files are kept, this instance's lease.
    pub builds: crate::submissions::runner::Builds,
    /// How long a client may pause while sending a request (head or upload) before it is cut off.
    pub client_timeout: std::time::Duration,
    /// The installed staging algorithms, or why there are none.
    pub staging: Result<Arc<Registry>, String>,
    /// The year staging compares diagnosis years with.
    pub current_year: u16,
    /// SEER site recode for tables, or why it is missing.
    pub site_recode: Result<Arc<crate::research::SiteRecodeTable>, String>,
    /// Table cells under this count are suppressed.
    pub suppression_threshold: u64,
    /// The registered facilities tokens, writes and imports may name (cached), or any when
    /// the service accepts unknown facilities (a first load).
    pub registered_facilities: Arc<crate::facilities::Registered>,
}

impl AppState {
    /// The edits' tables, when installed (writes then store `not-run` without them).
    pub fn tables(&self) -> Option<Arc<ReferenceTables>> {
        self.edit_tables.as_ref().ok().cloned()
    }

    /// The tables, or 503 saying what is missing.
    pub fn require_tables(&self) -> Result<Arc<ReferenceTables>, ApiError> {
        self.edit_tables.clone().map_err(|why| {
            ApiError::Unavailable(format!(
                "edits are not available: {why}. The tables are built in; CANCER_REGISTRY_REFERENCE, when set, must name a complete copy of data/reference"
            ))
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cancer-registry",
        description = "Cancer registry abstraction service: patients and tumors as NAACCR v26 data items, \
            workflow and audit trail. Every operation but health and this document needs a bearer JWT; \
            the roles each operation accepts are listed in its security requirement.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "patients", description = "Patient records (patient-level NAACCR items)"),
        (name = "tumors", description = "Tumor abstracts (tumor-level NAACCR items) and their workflow"),
        (name = "followup", description = "Follow-up: contacts, recurrence, due lists, letters, death clearance"),
        (name = "reports", description = "Registry reports"),
        (name = "research", description = "Research data requests, de-identified extracts, suppressed tables"),
        (name = "staging", description = "Staging algorithms (EOD 2018, TNM, Pediatric, Collaborative Stage)"),
        (name = "edits", description = "Data-quality edits and their results"),
        (name = "mph", description = "Multiple primary and histology rules: primaries and sequence numbers"),
        (name = "submissions", description = "NAACCR XML submissions (exports) and imports"),
        (name = "dictionary", description = "The NAACCR data dictionary"),
        (name = "facilities", description = "Registered reporting facilities"),
        (name = "lookups", description = "Codes of data items with labels, search, surgery codes by site and year"),
        (name = "audit", description = "The audit trail"),
        (name = "session", description = "Who the bearer token speaks for"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT with claims sub, roles, facilities, exp, iss and aud; \
                         `cancer-registry token` mints one.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every operation of the API.
fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::live).service(health::ready).service(
        scope::scope("/api/v1")
            .service(patients::match_patients)
            .service(patients::create_patient)
            .service(patients::list_patients)
            .service(patients::get_patient)
            .service(patients::update_patient)
            .service(patients::delete_patient)
            .service(patients::create_tumor)
            .service(patients::list_patient_tumors)
            .service(tumors::list_tumors)
            .service(tumors::get_tumor)
            .service(tumors::update_tumor)
            .service(tumors::delete_tumor)
            .service(tumors::set_tumor_status)
            .service(history::tumor_history)
            .service(followup::create_contact)
            .service(followup::list_contacts)
            .service(followup::set_recurrence)
            .service(followup::list_due)
            .service(followup::letters)
            .service(followup::clear_deaths)
            .service(deaths::list_possible_deaths)
            .service(deaths::accept_possible_death)
            .service(deaths::reject_possible_death)
            .service(followup::followup_rates)
            .service(recipients::list_recipients)
            .service(recipients::create_recipient)
            .service(recipients::get_recipient)
            .service(recipients::update_recipient)
            .service(submissions::create_submission)
            .service(submissions::list_submissions)
            .service(submissions::get_submission)
            .service(submissions::submission_file)
            .service(submissions::submission_withdrawals)
            .service(submissions::tumor_submissions)
            .service(submissions::create_import)
            .service(imports::list_imports)
            .service(imports::get_import)
            .service(imports::tumor_sources)
            .service(facilities::list_facilities)
            .service(facilities::create_facility)
            .service(facilities::get_profile)
            .service(facilities::put_profile)
            .service(research::create_request)
            .service(research::list_requests)
            .service(research::get_request)
            .service(research::approve_request)
            .service(research::reject_request)
            .service(research::create_extract)
            .service(research::request_table)
            .service(research::list_releases)
            .service(research::incidence)
            .service(staging::list_algorithms)
            .service(staging::list_schemas)
            .service(staging::get_schema)
            .service(staging::stage_case)
            .service(staging::stage_tumor_items)
            .service(edits::list_edits)
            .service(edits::list_edit_sets)
            .service(edits::check_edits)
            .service(edits::run_tumor_edits)
            .service(dictionary::list_dictionary_items)
            .service(audit::list_audit)
            .service(mph::compare_tumors)
            .service(mph::patient_primaries)
            .service(mph::patient_sequence)
            .service(audit::audit_head)
            .service(lookups::list_lookups)
            .service(lookups::get_lookup)
            .service(session::get_session),
    );
}

/// The OpenAPI document of the route table.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_string();
    api
}

/// The document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// The application: routes, shared state, limits, request ids and the API document.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limit = state.max_body_bytes;
    let (app, api) =
        App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(state)
            .app_data(
                web::JsonConfig::default()
                    .limit(limit)
                    .error_handler(move |err, _| json_error(err, limit).into()),
            )
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("invalid query parameters: {err}")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("invalid path: {err}")).into()
            }))
            .configure(routes)
            .split_for_parts();
    let mut api = api;
    api.info.version = env!("CARGO_PKG_VERSION").to_string();
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .service(web::redirect("/docs", "/docs/"))
        .configure(crate::web::configure)
        .default_service(web::to(not_found))
        // Inside the request-id layer below, so a refusal's audit row carries the request id.
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let fut = srv.call(req);
            async move { denied::record(fut.await?).await }
        })
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let id = extract::new_request_id();
            let client_id = extract::client_request_id(&req);
            req.extensions_mut().insert(RequestId(id.clone()));
            // A NUL in a path id or filter is no value of any item (and PostgreSQL refuses it in
            // text): 422 here, the same on both backends, before any handler runs.
            let (fut, early) = if extract::has_nul(req.uri()) {
                let refused = ApiError::Invalid(vec![crate::abstracts::ItemError::new(
                    "path",
                    None,
                    "invalid-character",
                    "the path or query holds a NUL character (%00)",
                )]);
                let response = actix_web::ResponseError::error_response(&refused);
                (None, Some(req.into_response(response)))
            } else {
                (Some(srv.call(req)), None)
            };
            async move {
                let mut res = match (fut, early) {
                    (Some(fut), _) => fut.await?.map_into_boxed_body(),
                    (None, Some(res)) => res,
                    (None, None) => return Err(actix_web::error::ErrorInternalServerError("")),
                };
                let headers = res.headers_mut();
                if let Ok(v) = HeaderValue::from_str(&id) {
                    headers.insert(header::HeaderName::from_static("x-request-id"), v);
                }
                if let Some(v) = client_id.and_then(|c| HeaderValue::from_str(&c).ok()) {
                    headers.insert(header::HeaderName::from_static("x-client-request-id"), v);
                }
                headers.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                Ok(res)
            }
        })
        // The path only: query strings carry patient numbers, names searched for and, from some
        // clients, tokens.
        .wrap(
            actix_web::middleware::Logger::new(
                "%a \"%{method}xi %U\" %s %b %Dms request-id=%{x-request-id}o client-request-id=%{x-client-request-id}o",
            )
            .custom_request_replace("method", |req| req.method().to_string()),
        )
}

fn json_error(err: actix_web::error::JsonPayloadError, limit: usize) -> ApiError {
    use actix_web::error::JsonPayloadError as J;
    match err {
        J::Overflow { .. } | J::OverflowKnownLength { .. } => ApiError::PayloadTooLarge(limit),
        J::ContentType => {
            ApiError::BadRequest("send the body as JSON (Content-Type: application/json)".into())
        }
        // serde_json stops at 128 levels of nesting; no body of the contract nests near that.
        J::Deserialize(e) if e.to_string().contains("recursion limit") => {
            ApiError::Invalid(vec![crate::abstracts::ItemError::new(
                "body",
                None,
                "depth",
                "JSON nested deeper than 128 levels",
            )])
        }
        J::Deserialize(e) => ApiError::BadRequest(format!("malformed JSON body: {e}")),
        other => ApiError::BadRequest(format!("unreadable body: {other}")),
    }
}

/// Each path template of the contract (split in segments) with the methods it answers.
static ROUTES: std::sync::LazyLock<Vec<(Vec<String>, Vec<&'static str>)>> =
    std::sync::LazyLock::new(|| {
        openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (path.split('/').map(str::to_string).collect(), methods)
            })
            .collect()
    });

/// 405 with `Allow` for a known path asked with another method, else a 404 problem.
async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    let segments: Vec<&str> = req.path().split('/').collect();
    let allowed = ROUTES.iter().find(|(template, _)| {
        template.len() == segments.len()
            && template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t.starts_with('{') || t == s)
    });
    match allowed {
        Some((_, methods)) => {
            let mut response =
                ApiError::MethodNotAllowed(req.method().to_string()).error_response();
            if let Ok(v) = HeaderValue::from_str(&methods.join(", ")) {
                response.headers_mut().insert(header::ALLOW, v);
            }
            response
        }
        None => {
            ApiError::NotFound("no such resource; the API is described at /openapi.json".into())
                .error_response()
        }
    }
}
