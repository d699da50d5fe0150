//! `/api/v1/edits`: the edit catalog, a stateless check for abstracting screens, and reruns
//! of the stored results.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, Json};
use super::items::{checked_items, RawItems};
use super::AppState;
use crate::abstracts::tumors;
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, ABSTRACTORS, ANY_ROLE};
use crate::db::DbConn;
use crate::edits::required::Setter;
use crate::edits::sets::{self, SetEntry};
use crate::edits::store::{self, EditSummary, StoredFailure};
use crate::edits::{self as engine, EditInfo, ReferenceTables};
use crate::naaccr::Level;

/// Reruns the edits of a patient inside the caller's transaction.
pub(crate) fn refresh(
    conn: &mut DbConn,
    tables: &Option<Arc<ReferenceTables>>,
    patient_id: &str,
) -> Result<BTreeMap<String, EditSummary>, ApiError> {
    Ok(store::refresh_patient(conn, patient_id, tables.as_deref())?)
}

/// Reruns the edits of a tumor's patient and returns that tumor's outcome.
pub(crate) fn refresh_tumor(
    conn: &mut DbConn,
    tables: &Option<Arc<ReferenceTables>>,
    tumor: &crate::abstracts::tumors::Tumor,
) -> Result<Option<EditSummary>, ApiError> {
    Ok(refresh(conn, tables, &tumor.patient_id)?.remove(&tumor.id))
}

/// The failures that block completion: each failing edit with every item it names.
pub(crate) fn blocking(summary: &EditSummary) -> Vec<StoredFailure> {
    summary.blocking().cloned().collect()
}

/// The edit catalog.
#[derive(Serialize, ToSchema)]
pub struct EditCatalog {
    pub data: Vec<EditInfo>,
}

/// A named edit set.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditSetInfo {
    /// `coc`, `seer`, `npcr` or `state-default`.
    pub name: &'static str,
    pub description: &'static str,
    /// The standard setter whose required items the set checks.
    pub required_items_of: Setter,
    /// Whether the service stores tumor outcomes with this set (`CANCER_REGISTRY_EDIT_SET`).
    pub in_use: bool,
    /// The edits the set runs, with their severity in the set.
    pub edits: Vec<SetEntry>,
}

/// The edit sets.
#[derive(Serialize, ToSchema)]
pub struct EditSetList {
    pub data: Vec<EditSetInfo>,
}

/// List the edit sets.
///
/// Each named set (`coc`, `seer`, `npcr`, `state-default`) with the edits it runs and their
/// severity in the set. `inUse` marks the set the service stores tumor outcomes with.
#[utoipa::path(
    tag = "edits",
    responses(
        (status = 200, body = EditSetList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/edit-sets")]
pub async fn list_edit_sets(caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    let in_use = sets::configured().name;
    Ok(HttpResponse::Ok().json(EditSetList {
        data: sets::SETS
            .iter()
            .map(|s| EditSetInfo {
                name: s.name,
                description: s.description,
                required_items_of: s.setter,
                in_use: s.name == in_use,
                edits: s.entries(),
            })
            .collect(),
    }))
}

/// List the edits.
///
/// Every edit the service runs: id (SEER/NAACCR id where there is one), name, the items it
/// reads, severity, the over-ride items that suppress it, the diagnosis years it applies to,
/// and its message.
#[utoipa::path(
    tag = "edits",
    responses(
        (status = 200, body = EditCatalog),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/edits")]
pub async fn list_edits(caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    Ok(HttpResponse::Ok().json(EditCatalog {
        data: engine::catalog(),
    }))
}

/// The patient of a check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckPatient {
    #[schema(value_type = super::items::PatientItems)]
    pub items: RawItems,
}

/// A tumor of a check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckTumor {
    #[schema(value_type = super::items::TumorItems)]
    pub items: RawItems,
}

/// A patient and its tumors to check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub patient: CheckPatient,
    #[serde(default)]
    pub tumors: Vec<CheckTumor>,
}

/// A failing edit.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckFailure {
    /// Index of the tumor in the request, absent for patient-level edits.
    pub tumor_index: Option<usize>,
    #[serde(flatten)]
    pub failure: StoredFailure,
}

/// The outcome of a check.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckResponse {
    pub errors: usize,
    pub warnings: usize,
    /// The failing edits.
    pub failures: Vec<CheckFailure>,
    /// Edits that fail but are suppressed by an over-ride flag the abstract sets.
    pub overridden: Vec<CheckFailure>,
}

/// The edit set of a check.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    /// Edit set to run (`coc`, `seer`, `npcr`, `state-default`); default: the set in use.
    pub set: Option<String>,
}

/// Check an abstract without storing it.
///
/// Runs the edit set (the one in use, or `set`) over the given patient and tumors and returns each failure with its edit
/// id, severity, tumor, items and message (failures an over-ride flag suppresses are listed
/// apart in `overridden` and not counted). Items are checked against the dictionary first.
#[utoipa::path(
    tag = "edits",
    params(CheckQuery),
    request_body = CheckRequest,
    responses(
        (status = 200, body = CheckResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/edits/check")]
pub async fn check_edits(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<CheckQuery>,
    body: Json<CheckRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let set = match query.into_inner().set {
        None => sets::configured(),
        Some(name) => sets::by_name(&name).ok_or_else(|| {
            ApiError::Invalid(vec![crate::abstracts::ItemError::new(
                "set",
                None,
                "invalid-code",
                format!("{name:?} is not an edit set (coc, seer, npcr, state-default)"),
            )])
        })?,
    };
    let tables = state.require_tables()?;
    let body = body.into_inner();
    let patient = checked_items(body.patient.items, Level::Patient)?;
    let mut tumors = Vec::with_capacity(body.tumors.len());
    for t in body.tumors {
        tumors.push(checked_items(t.items, Level::Tumor)?);
    }
    let (overridden, failures): (Vec<CheckFailure>, Vec<CheckFailure>) =
        store::check_set(set, &patient, &tumors, &tables)
            .into_iter()
            .map(|(tumor_index, failure)| CheckFailure {
                tumor_index,
                failure,
            })
            .partition(|f| f.failure.overridden);
    let count = |sev: &str| {
        failures
            .iter()
            .filter(|f| f.failure.severity == sev)
            .count()
    };
    Ok(HttpResponse::Ok().json(CheckResponse {
        errors: count("error"),
        warnings: count("warning"),
        failures,
        overridden,
    }))
}

/// Rerun a tumor's edits.
///
/// Reruns the catalog over the tumor's patient (after a catalog or table update), stores the
/// results, and returns this tumor's outcome.
#[utoipa::path(
    tag = "edits",
    params(("id" = String, Path, description = "Tumor id")),
    responses(
        (status = 200, body = EditSummary),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/tumors/{id}/edits")]
pub async fn run_tumor_edits(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let tables = Some(state.require_tables()?);
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let summary = state
        .db
        .write(move |conn| {
            let tumor = tumors::get(conn, &caller.facilities, &id)?;
            let summary = refresh_tumor(conn, &tables, &tumor)?
                .ok_or_else(|| ApiError::NotFound(format!("tumor {id} was not found")))?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Read,
                    entity: "tumor",
                    entity_id: Some(tumor.id.clone()),
                    details: json!({ "edits": summary.status }),
                },
            )?;
            Ok::<_, ApiError>(summary)
        })
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}
