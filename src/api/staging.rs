//! `/api/v1/staging`: the installed staging algorithms, their schemas (with valid codes, for
//! building forms), stateless staging, and staging of a stored tumor.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::edits::{blocking, refresh_tumor};
use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, etag, Json};
use super::tumors::{fallback_event, unchanged_read, TumorResponse};
use super::AppState;
use crate::abstracts::items::Checks;
use crate::abstracts::lifecycle::{self, Authority};
use crate::abstracts::{patients, saving, tumors, ItemError};
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, ABSTRACTORS, ANY_ROLE};
use crate::staging::tumor::{stage_tumor, TumorStaging};
use crate::staging::{Algorithm, Registry, StageOptions};

/// What to check when no algorithm could be loaded (the binary carries them; only a configured
/// folder can be wrong).
pub const INSTALL_HINT: &str = "the algorithms are built in (eod_public 3.3, tnm 2.1, pediatric 1.3, cs 02.05.50); \
when CANCER_REGISTRY_ALGORITHMS is set it must name a folder of algorithm ZIPs as SEER publishes them";

fn registry(state: &AppState) -> Result<Arc<Registry>, ApiError> {
    state.staging.clone().map_err(|why| {
        ApiError::Unavailable(format!("staging is not available: {why}; {INSTALL_HINT}"))
    })
}

fn algorithm<'a>(registry: &'a Registry, id: &str) -> Result<&'a Algorithm, ApiError> {
    registry.get(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "algorithm {id} is not installed (installed: {})",
            registry
                .algorithms()
                .iter()
                .map(|a| a.id.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// An installed algorithm.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlgorithmSummary {
    pub id: String,
    pub version: String,
    pub schema_count: usize,
    pub table_count: usize,
}

/// Installed algorithms.
#[derive(Serialize, ToSchema)]
pub struct AlgorithmList {
    pub data: Vec<AlgorithmSummary>,
}

/// List the installed staging algorithms.
#[utoipa::path(
    tag = "staging",
    responses(
        (status = 200, body = AlgorithmList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/staging/algorithms")]
pub async fn list_algorithms(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    let registry = registry(&state)?;
    let data = registry
        .algorithms()
        .into_iter()
        .map(|a| AlgorithmSummary {
            id: a.id,
            version: a.version,
            schema_count: a.schema_count,
            table_count: a.table_count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AlgorithmList { data }))
}

/// Schema lookup keys.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SchemaQuery {
    /// Primary site, e.g. C504.
    pub site: Option<String>,
    /// Histology, e.g. 8500.
    pub hist: Option<String>,
    pub discriminator_1: Option<String>,
    pub discriminator_2: Option<String>,
    pub discriminator_3: Option<String>,
}

/// A schema in a list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaSummary {
    pub id: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    /// Keys besides site and histology the selection may need.
    pub discriminators: Vec<String>,
}

/// Schemas.
#[derive(Serialize, ToSchema)]
pub struct SchemaList {
    pub data: Vec<SchemaSummary>,
}

/// Find schemas.
///
/// With `site` and `hist` (and discriminators where a site needs them), the schemas the
/// algorithm selects; without them, every schema of the algorithm.
#[utoipa::path(
    tag = "staging",
    params(("algorithm" = String, Path, description = "e.g. eod_public"), SchemaQuery),
    responses(
        (status = 200, body = SchemaList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/staging/{algorithm}/schemas")]
pub async fn list_schemas(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<SchemaQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    let registry = registry(&state)?;
    let algorithm = algorithm(&registry, &path)?;
    let q = query.into_inner();
    let schemas: Vec<&crate::staging::Schema> = if q.site.is_none() && q.hist.is_none() {
        algorithm.schemas().iter().collect()
    } else {
        let disc = [
            ("discriminator_1", q.discriminator_1.as_deref()),
            ("discriminator_2", q.discriminator_2.as_deref()),
            ("discriminator_3", q.discriminator_3.as_deref()),
        ];
        let given: Vec<(&str, Option<&str>)> =
            disc.into_iter().filter(|(_, v)| v.is_some()).collect();
        algorithm.lookup_schemas(q.site.as_deref(), q.hist.as_deref(), &given)
    };
    let data = schemas
        .into_iter()
        .map(|s| SchemaSummary {
            id: s.id.clone(),
            name: s.name.clone(),
            title: s.title.clone(),
            subtitle: s.subtitle.clone(),
            discriminators: s.discriminators.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(SchemaList { data }))
}

/// A valid code of an input.
#[derive(Serialize, ToSchema)]
pub struct InputCode {
    pub code: String,
    pub description: Option<String>,
}

/// An input of a schema.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaInput {
    pub key: String,
    pub name: Option<String>,
    pub naaccr_item: Option<i64>,
    pub naaccr_xml_id: Option<String>,
    pub default: Option<String>,
    pub used_for_staging: bool,
    /// Valid codes (or ranges, as the table writes them), when the input has a table.
    pub codes: Option<Vec<InputCode>>,
}

/// An output of a schema.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaOutput {
    pub key: String,
    pub name: Option<String>,
    pub naaccr_item: Option<i64>,
    pub naaccr_xml_id: Option<String>,
}

/// A schema with its inputs and their valid codes.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDetail {
    pub id: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub inputs: Vec<SchemaInput>,
    pub outputs: Vec<SchemaOutput>,
}

/// Read a schema: its inputs with their valid codes (to build a form) and its outputs.
#[utoipa::path(
    tag = "staging",
    params(
        ("algorithm" = String, Path, description = "e.g. eod_public"),
        ("schemaId" = String, Path, description = "e.g. breast"),
    ),
    responses(
        (status = 200, body = SchemaDetail),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/staging/{algorithm}/schemas/{schemaId}")]
pub async fn get_schema(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    let (algorithm_id, schema_id) = path.into_inner();
    let registry = registry(&state)?;
    let algorithm = algorithm(&registry, &algorithm_id)?;
    let schema = algorithm.schema(&schema_id).ok_or_else(|| {
        ApiError::NotFound(format!("schema {schema_id} is not in {algorithm_id}"))
    })?;
    let detail = SchemaDetail {
        id: schema.id.clone(),
        name: schema.name.clone(),
        title: schema.title.clone(),
        subtitle: schema.subtitle.clone(),
        inputs: schema
            .inputs
            .iter()
            .map(|i| SchemaInput {
                key: i.key.clone(),
                name: i.name.clone(),
                naaccr_item: i.naaccr_item,
                naaccr_xml_id: i.naaccr_xml_id.clone(),
                default: i.default.clone(),
                used_for_staging: i.used_for_staging,
                codes: algorithm.valid_codes(&schema.id, &i.key).map(|codes| {
                    codes
                        .into_iter()
                        .map(|c| InputCode {
                            code: c.code,
                            description: c.description,
                        })
                        .collect()
                }),
            })
            .collect(),
        outputs: schema
            .outputs
            .iter()
            .map(|o| SchemaOutput {
                key: o.key.clone(),
                name: o.name.clone(),
                naaccr_item: o.naaccr_item,
                naaccr_xml_id: o.naaccr_xml_id.clone(),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(detail))
}

/// Inputs to stage.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageRequest {
    /// The algorithm's own input keys (`site`, `hist`, `year_dx`, `eod_primary_tumor`, ...).
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, serde_json::Value>,
}

/// A staging result, as the reference library gives it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageResponse {
    /// STAGED or FAILED_...
    pub result: String,
    pub schema_id: Option<String>,
    #[schema(value_type = Object)]
    pub outputs: BTreeMap<String, Option<String>>,
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<crate::staging::StagingError>,
    /// The tables visited.
    pub path: Vec<String>,
}

/// Stage a case.
///
/// Stateless: the algorithm's inputs in, its result out (schema, outputs, errors, path).
#[utoipa::path(
    tag = "staging",
    params(("algorithm" = String, Path, description = "e.g. eod_public")),
    request_body = StageRequest,
    responses(
        (status = 200, body = StageResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/staging/{algorithm}/stage")]
pub async fn stage_case(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: Json<StageRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let registry = registry(&state)?;
    let algorithm = algorithm(&registry, &path)?;
    let mut entries: Vec<(String, Option<String>)> = Vec::new();
    let mut errors = Vec::new();
    for (k, v) in body.into_inner().inputs {
        match v {
            serde_json::Value::String(s) => entries.push((k, Some(s))),
            serde_json::Value::Null => entries.push((k, None)),
            _ => errors.push(ItemError::new(
                &k,
                None,
                "data-type",
                "an input value is a string or null",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let refs: Vec<(&str, Option<&str>)> = entries
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref()))
        .collect();
    let options = StageOptions {
        current_year: state.current_year,
    };
    let r = algorithm.stage_entries(&refs, &options);
    Ok(HttpResponse::Ok().json(StageResponse {
        result: serde_json::to_value(r.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        schema_id: r.schema_id,
        outputs: r.output,
        errors: r.errors,
        path: r.path,
    }))
}

/// The outcome of staging a tumor.
#[derive(Serialize, ToSchema)]
pub struct TumorStageResponse {
    /// One result per algorithm the diagnosis year calls for.
    pub staging: Vec<TumorStaging>,
    /// The tumor with the derived items written back.
    pub tumor: TumorResponse,
}

/// How a tumor is staged.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StageQuery {
    /// Why: required (and audited) when re-staging changes a complete tumor.
    pub reason: Option<String>,
}

/// Stage a tumor.
///
/// Picks the algorithm by diagnosis year (EOD 2018+, plus Pediatric from 2024 under age 20
/// where a pediatric schema applies; TNM 2016-2017; CS 2004-2015), maps the abstract's items
/// to the algorithm's inputs, stages, and writes the derived items back in one audited update
/// (for EOD: Schema ID [3800], Derived Summary Stage 2018 [762], Derived Summary Grade 2018
/// [1975], and the algorithm version in Schema ID Version Current [2117]). Staging errors are
/// returned; nothing is written unless the result is STAGED. Re-staging a complete tumor that
/// changes its items follows the lock: a registrar gets 409 `complete-locked`, a reviewer or a
/// manager gives `?reason=` (422 without), and an error-level edit failing afterwards sends
/// the tumor back to `review`.
#[utoipa::path(
    tag = "staging",
    params(("id" = String, Path, description = "Tumor id"), StageQuery),
    responses(
        (status = 200, body = TumorStageResponse, headers(("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/tumors/{id}/stage")]
pub async fn stage_tumor_items(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<StageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let reason = query.into_inner().reason;
    let registry = registry(&state)?;
    let options = StageOptions {
        current_year: state.current_year,
    };
    let tables = state.tables();
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let (staging, tumor, edits) = state
        .db
        .write(move |conn| {
            let tumor = tumors::get(conn, &caller.facilities, &id)?;
            let patient = patients::get(conn, &caller.facilities, &tumor.patient_id)?;
            let (staging, changes) = stage_tumor(&registry, &patient.items, &tumor.items, &options)
                .map_err(|e| ApiError::NotStageable(vec![ItemError::new("dateOfDiagnosis", Some(390), "staging", e.to_string())]))?;
            let tumor = if changes.is_empty() {
                // Staged as stored: no change, but the answer is the whole abstract.
                audit::record(conn, &actor, unchanged_read("tumor", &tumor.id, tumor.version))?;
                tumor
            } else {
                let who = Authority::of(&caller, reason.as_deref());
                lifecycle::check_change(tumor.status, who.reviewer, who.reason)?;
                let version = tumor.version;
                let (t, changed) = tumors::update_with(conn, &caller.facilities, &tumor.id, Some(version), &changes, Checks::Full)?;
                audit::record(conn, &actor, Event {
                    action: Action::Update,
                    entity: "tumor",
                    entity_id: Some(t.id.clone()),
                    details: json!({
                        "changes": changed,
                        "version": t.version,
                        "staging": staging.iter().map(|s| json!({ "algorithm": s.algorithm, "version": s.version, "schemaId": s.schema_id, "result": s.result })).collect::<Vec<_>>(),
                        "reason": who.reason,
                    }),
                })?;
                t
            };
            let mut tumor = tumor;
            let mut e = refresh_tumor(conn, &tables, &tumor)?;
            let blocks = e.as_ref().is_some_and(|s| !blocking(s).is_empty());
            if let Some(from) = saving::settle(conn, &mut tumor, blocks)? {
                audit::record(conn, &actor, fallback_event(&tumor, from))?;
                e = crate::edits::store::summary(conn, &tumor.id)?;
            }
            Ok::<_, ApiError>((staging, tumor, e))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(tumor.version)))
        .json(TumorStageResponse {
            staging,
            tumor: TumorResponse::with_edits(tumor, edits),
        }))
}
