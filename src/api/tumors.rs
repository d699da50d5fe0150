//! `/api/v1/tumors`: tumor abstracts, their corrections and their workflow.

use actix_web::http::header;
use actix_web::{delete, get, patch, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::edits::{blocking, refresh, refresh_tumor};
use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, etag, if_match, page_size, Json};
use super::items::{into_changes, RawItems, TumorItemChanges, TumorItems};
use super::AppState;
use crate::abstracts::derive::Deriver;
use crate::abstracts::items::Document;
use crate::abstracts::lifecycle::Removal;
use crate::abstracts::tumors::{self, Status, Tumor};
use crate::abstracts::Page;
use crate::abstracts::{saving, withdrawal};
use crate::audit::{self, Action, Event};
use crate::auth::{AuthError, Caller, ABSTRACTORS, REVIEWERS};
use crate::edits::store::{self, EditSummary};
use crate::staging::StageOptions;

/// A tumor abstract.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorResponse {
    pub id: String,
    pub patient_id: String,
    /// Reporting Facility [540].
    pub facility_id: String,
    pub status: Status,
    /// Increases on every change; the ETag is this number in quotes.
    pub version: i64,
    #[schema(value_type = TumorItems)]
    pub items: Document,
    /// The NAACCR XML file an imported tumor came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// The line of the tumor in that file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Outcome of the last edit run: `pass`, `warnings`, `errors` or `not-run`.
    pub edit_status: Option<String>,
    /// The failing edits (on single-tumor responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<EditSummary>,
    /// On a create or change: the items the service derived (set, or replaced the value sent),
    /// e.g. `ageAtDiagnosis`, `derivedSummaryStage2018`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<Vec<String>>,
    /// On a create or change, when the patient has other tumors (that the caller sees, not
    /// withdrawn): the multiple primary rules' decision against each of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mph: Option<super::mph::TumorMph>,
}

impl TumorResponse {
    /// The response with the tumor's current edit outcome.
    pub fn with_edits<I>(t: Tumor<I>, edits: Option<EditSummary>) -> TumorResponse
    where
        Document: From<I>,
    {
        let mut r = TumorResponse::from(t);
        if let Some(e) = &edits {
            r.edit_status = Some(e.status.clone());
        }
        r.edits = edits;
        r
    }
}

impl<I> From<Tumor<I>> for TumorResponse
where
    Document: From<I>,
{
    fn from(t: Tumor<I>) -> Self {
        TumorResponse {
            id: t.id,
            patient_id: t.patient_id,
            facility_id: t.facility_id,
            status: t.status,
            version: t.version,
            items: Document::from(t.items),
            source_file: t.source_file,
            source_line: t.source_line,
            created_at: t.created_at,
            updated_at: t.updated_at,
            edit_status: t.edit_status,
            edits: None,
            derived: None,
            mph: None,
        }
    }
}

/// A page of tumors.
#[derive(Serialize, ToSchema)]
pub struct TumorPage {
    pub data: Vec<TumorResponse>,
    /// Cursor of the next page (pass as `cursor`), absent on the last page.
    pub next: Option<String>,
}

impl<I> From<Page<Tumor<I>>> for TumorPage
where
    Document: From<I>,
{
    fn from(p: Page<Tumor<I>>) -> Self {
        TumorPage {
            data: p.data.into_iter().map(TumorResponse::from).collect(),
            next: p.next,
        }
    }
}

/// Filters and paging of the tumor list.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TumorQuery {
    /// Primary Site [400], e.g. `C504`.
    pub primary_site: Option<String>,
    /// Histologic Type ICD-O-3 [522], e.g. `8500`.
    pub histology: Option<String>,
    /// Year of Date of Diagnosis [390].
    pub dx_year: Option<i32>,
    /// Earliest diagnosis year (inclusive).
    pub dx_year_from: Option<i32>,
    /// Latest diagnosis year (inclusive).
    pub dx_year_to: Option<i32>,
    /// Reporting Facility [540].
    pub facility: Option<String>,
    /// Workflow status.
    pub status: Option<Status>,
    /// Schema ID [3800].
    pub schema_id: Option<String>,
    /// Only this patient's tumors.
    pub patient_id: Option<String>,
    /// Outcome of the last edit run: `pass`, `warnings`, `errors`, `not-run`.
    pub edit_status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

/// Item changes: a value sets an item, `null` removes it; other items stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTumor {
    #[schema(value_type = TumorItemChanges)]
    pub items: RawItems,
    /// Why the change is made: required (and written to the audit trail) for a change of a
    /// complete tumor and when an over-ride flag (an `overRide...` item) is set or cleared.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// What derivation on save needs from the state.
pub(crate) fn deriver(state: &AppState) -> Deriver {
    Deriver {
        staging: state.staging.as_ref().ok().cloned(),
        options: StageOptions {
            current_year: state.current_year,
        },
    }
}

/// The audit record of a page of tumors read: the tumors, and their patients so that a search of
/// the trail by a patient's id finds the read.
pub(crate) fn tumors_read<I>(tumors: &[Tumor<I>]) -> Event {
    let ids: Vec<&str> = tumors.iter().map(|t| t.id.as_str()).collect();
    let mut patients: Vec<&str> = Vec::new();
    for t in tumors {
        if !patients.contains(&t.patient_id.as_str()) {
            patients.push(&t.patient_id);
        }
    }
    Event {
        action: Action::Read,
        entity: "tumor",
        entity_id: None,
        details: json!({ "ids": ids, "patientIds": patients }),
    }
}

/// The audit record of a write that changed nothing: its response still carries the record.
pub(crate) fn unchanged_read(entity: &'static str, id: &str, version: i64) -> Event {
    Event {
        action: Action::Read,
        entity,
        entity_id: Some(id.to_string()),
        details: json!({ "unchangedWrite": true, "version": version }),
    }
}

/// The audit record of a tumor sent back to review by a change that left an error-level edit
/// failing.
pub(crate) fn fallback_event(t: &Tumor, from: Status) -> Event {
    Event {
        action: Action::Update,
        entity: "tumor",
        entity_id: Some(t.id.clone()),
        details: json!({
            "status": { "old": from, "new": t.status },
            "reason": "an error-level edit fails after the change",
            "version": t.version,
        }),
    }
}

/// How a removal is asked for.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Why: required to withdraw what was complete or submitted.
    pub reason: Option<String>,
}

/// A move in the workflow.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: Status,
    /// Required when moving back (review -> draft, complete -> review or draft).
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

fn respond<I>(
    mut builder: actix_web::HttpResponseBuilder,
    (t, edits): (Tumor<I>, Option<EditSummary>),
) -> HttpResponse
where
    Document: From<I>,
{
    builder
        .insert_header((header::ETAG, etag(t.version)))
        .json(TumorResponse::with_edits(t, edits))
}

/// List tumors.
///
/// Tumors of the caller's facilities, filtered by the indexed items, in a stable order with
/// keyset pagination.
#[utoipa::path(
    tag = "tumors",
    params(TumorQuery),
    responses(
        (status = 200, body = TumorPage),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/tumors")]
pub async fn list_tumors(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<TumorQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let q = query.into_inner();
    let limit = page_size(q.limit, 50, 500)?;
    let actor = actor(&req, &caller);
    let page = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let filter = tumors::Filter {
                patient_id: q.patient_id,
                primary_site: q.primary_site,
                histology: q.histology,
                dx_year: q.dx_year,
                dx_year_from: q.dx_year_from,
                dx_year_to: q.dx_year_to,
                facility: q.facility,
                status: q.status,
                schema_id: q.schema_id,
                edit_status: q.edit_status,
            };
            let page = tumors::list::<Document>(
                conn,
                &caller.facilities,
                &filter,
                q.cursor.as_deref(),
                Some(limit),
            )?;
            audit.push(tumors_read(&page.data));
            Ok::<_, ApiError>(page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TumorPage::from(page)))
}

/// Read a tumor.
#[utoipa::path(
    tag = "tumors",
    params(("id" = String, Path, description = "Tumor id")),
    responses(
        (status = 200, body = TumorResponse, headers(("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/tumors/{id}")]
pub async fn get_tumor(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let tumor = state
        .db
        .lookup_audited(&actor, move |conn, audit| {
            let (t, columns) = tumors::get_with_edit_columns(conn, &caller.facilities, &id)?;
            let edits = Some(store::from_columns(columns));
            // The abstract is the patient's health data: the patient is named for the search.
            audit.push(Event {
                action: Action::Read,
                entity: "tumor",
                entity_id: Some(t.id.clone()),
                details: json!({ "patientId": t.patient_id }),
            });
            Ok::<_, ApiError>((t, edits))
        })
        .await?;
    Ok(respond(HttpResponse::Ok(), tumor))
}

/// Correct a tumor's items.
///
/// Merges the given items (null removes one), re-derives the derived items (listed in
/// `derived`) and reruns the patient's edits. Requires `If-Match` with the current ETag: 412
/// when another change came first, 428 when absent. The case administration items (2085,
/// 2090, 2092, 2100, 2110) are kept by the service: 422 when sent. A complete tumor is locked:
/// a registrar gets 409 `complete-locked`; a reviewer or manager changes it with a `reason`,
/// and when the change leaves an error-level edit failing the tumor goes back to `review`.
/// Over-ride flags (`overRide...` items) may be set only by a reviewer or a manager, with a
/// `reason`; the change is audited. When the patient has other tumors, `mph` carries the
/// multiple primary rules' decision against each (a single-primary verdict is a warning, and
/// edit IRMP fails until the tumors are merged, one is withdrawn, or a reviewer over-rides it
/// with Over-ride Site/Lat/SeqNo).
#[utoipa::path(
    tag = "tumors",
    params(
        ("id" = String, Path, description = "Tumor id"),
        ("If-Match" = String, Header, description = "ETag of the version being changed", pattern = r#"^(W/)?"[0-9]+"$"#),
    ),
    request_body = UpdateTumor,
    responses(
        (status = 200, body = TumorResponse, headers(("ETag" = String))),
        (status = 412, description = "The ETag is stale: another change came first", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[patch("/tumors/{id}")]
pub async fn update_tumor(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<UpdateTumor>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let expected = if_match(&req)?;
    let body = body.into_inner();
    let changes = into_changes(body.items)?;
    let reason = body.reason.filter(|r| !r.trim().is_empty());
    let tables = state.tables();
    let deriver = deriver(&state);
    let year = i64::from(state.current_year);
    let registered = state.registered_facilities.clone();
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let (tumor, derived, mph) = state
        .db
        .write(move |conn| {
            let saved = saving::update_tumor(
                conn,
                &caller,
                &registered,
                &id,
                expected,
                &changes,
                reason.as_deref(),
                &deriver,
            )?;
            let (mut t, changed) = (saved.tumor, saved.changed);
            if !changed.is_empty() {
                let overridden: Vec<&str> = changed
                    .iter()
                    .map(|c| c.item.as_str())
                    .filter(|i| saved.overrides.iter().any(|o| o == i))
                    .collect();
                let mut details = json!({ "changes": changed, "version": t.version });
                if !overridden.is_empty() {
                    details["overrides"] = json!(overridden);
                }
                if reason.is_some() {
                    details["reason"] = json!(reason);
                }
                if !saved.derived.is_empty() {
                    details["derived"] = json!(saved.derived);
                }
                audit::record(
                    conn,
                    &actor,
                    Event {
                        action: Action::Update,
                        entity: "tumor",
                        entity_id: Some(t.id.clone()),
                        details,
                    },
                )?;
            } else {
                // Nothing changed, but the answer is the whole abstract: a read.
                audit::record(conn, &actor, unchanged_read("tumor", &t.id, t.version))?;
            }
            let mut e = refresh_tumor(conn, &tables, &t)?;
            let blocks = e.as_ref().is_some_and(|s| !blocking(s).is_empty());
            if let Some(from) = saving::settle(conn, &mut t, blocks)? {
                audit::record(conn, &actor, fallback_event(&t, from))?;
                e = store::summary(conn, &t.id)?;
            }
            let mph = super::mph::against_others(conn, &caller.facilities, &t, year)?;
            Ok::<_, ApiError>(((t, e), saved.derived, mph))
        })
        .await?;
    let mut response = TumorResponse::with_edits(tumor.0, tumor.1);
    response.derived = Some(derived);
    response.mph = mph;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(response.version)))
        .json(response))
}

/// Delete or withdraw a tumor.
///
/// A registrar may delete only a draft that was never submitted nor complete (its rows are
/// erased). A tumor that was complete or was ever submitted is withdrawn instead, by a
/// reviewer or a manager with a `reason` (422 without one): it keeps its rows with status
/// `deleted`, drops out of lists, exports and reports, and is recorded for every recipient it
/// was sent to. Requires `If-Match` with the current ETag: 412 when another change
/// came first, 428 when absent. The patient's cross-tumor edits are rerun
/// without the tumor.
#[utoipa::path(
    tag = "tumors",
    params(("id" = String, Path, description = "Tumor id"), ("If-Match" = String, Header, description = "ETag of the version being changed", pattern = r#"^(W/)?"[0-9]+"$"#), DeleteQuery),
    responses(
        (status = 204, description = "Deleted or withdrawn"),
        (status = 412, description = "The ETag is stale: another change came first", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[delete("/tumors/{id}")]
pub async fn delete_tumor(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let expected = if_match(&req)?;
    let reason = query.into_inner().reason;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let tables = state.tables();
    state
        .db
        .write(move |conn| {
            let r = withdrawal::remove_tumor(conn, &caller, &id, expected, reason.as_deref())?;
            let t = &r.tumor;
            // The patient's other tumors lose a partner in the cross-tumor edits (sequence
            // numbers, duplicates, multiple primaries): rerun them.
            refresh(conn, &tables, &t.patient_id)?;
            let details = match r.removal {
                Removal::Erase => json!({ "patientId": t.patient_id, "items": t.items }),
                Removal::Withdraw => json!({
                    "patientId": t.patient_id,
                    "withdrawn": true,
                    "reason": reason,
                    "recipients": r.recipients,
                    "version": t.version,
                }),
            };
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Delete,
                    entity: "tumor",
                    entity_id: Some(t.id.clone()),
                    details,
                },
            )?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move a tumor through the workflow.
///
/// draft -> review (registrar, reviewer, manager); review -> complete (reviewer, manager;
/// refused with 409 and the failing edits while an error-level edit fails);
/// back (review -> draft, complete -> review or draft) with a `reason`, and reopening a
/// complete abstract needs a reviewer or manager. Requires `If-Match` with the current ETag: 412 when another change
/// came first, 428 when absent.
#[utoipa::path(
    tag = "tumors",
    params(("id" = String, Path, description = "Tumor id"), ("If-Match" = String, Header, description = "ETag of the version being changed", pattern = r#"^(W/)?"[0-9]+"$"#)),
    request_body = StatusChange,
    responses(
        (status = 200, body = TumorResponse, headers(("ETag" = String))),
        (status = 412, description = "The ETag is stale: another change came first", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[put("/tumors/{id}/status")]
pub async fn set_tumor_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let expected = if_match(&req)?;
    let change = body.into_inner();
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    // Completion runs the edits first: without the tables it cannot be checked.
    let tables = if change.status == Status::Complete {
        caller.require(REVIEWERS).map_err(|_| {
            ApiError::Auth(AuthError::Forbidden(
                "only a reviewer or a manager may complete an abstract".into(),
            ))
        })?;
        Some(state.require_tables()?)
    } else {
        state.tables()
    };
    let tumor = state
        .db
        .write(move |conn| {
            let current = tumors::get(conn, &caller.facilities, &id)?;
            // Only a move the workflow allows is gated; the others fail as conflicts below.
            if change.status == Status::Complete && current.status == Status::Review {
                if let Some(summary) = refresh_tumor(conn, &tables, &current)? {
                    let failing = blocking(&summary);
                    if !failing.is_empty() {
                        return Err(ApiError::EditsFailed(failing));
                    }
                }
            }
            let (t, from) = tumors::set_status(
                conn,
                &caller,
                &id,
                expected,
                change.status,
                change.reason.as_deref(),
            )?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Update,
                    entity: "tumor",
                    entity_id: Some(t.id.clone()),
                    details: json!({
                        "status": { "old": from, "new": t.status },
                        "reason": change.reason,
                        "version": t.version,
                    }),
                },
            )?;
            let e = store::summary(conn, &t.id)?;
            Ok::<_, ApiError>((t, e))
        })
        .await?;
    Ok(respond(HttpResponse::Ok(), tumor))
}
