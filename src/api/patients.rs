//! `/api/v1/patients`: patient records and their tumors.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::edits::{refresh, refresh_tumor};
use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, etag, if_match, page_size, Json};
use super::items::{into_changes, into_items, PatientItemChanges, PatientItems, RawItems};
use super::tumors::{TumorPage, TumorResponse};
use super::AppState;
use crate::abstracts::patients::{self, Patient};
use crate::abstracts::tumors::{self, Source};
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, ABSTRACTORS};
use crate::naaccr::{Items, Level};

/// A patient record.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientResponse {
    pub id: String,
    /// Reporting facility that created the record.
    pub facility_id: String,
    /// Increases on every change; the ETag is this number in quotes.
    pub version: i64,
    #[schema(value_type = PatientItems)]
    pub items: Items,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Patient> for PatientResponse {
    fn from(p: Patient) -> Self {
        PatientResponse {
            id: p.id,
            facility_id: p.facility_id,
            version: p.version,
            items: p.items,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A page of patients.
#[derive(Serialize, ToSchema)]
pub struct PatientPage {
    pub data: Vec<PatientResponse>,
    /// Cursor of the next page (pass as `cursor`), absent on the last page.
    pub next: Option<String>,
}

/// A new patient.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePatient {
    /// Reporting facility the record belongs to; defaults to the caller's only facility.
    #[schema(max_length = 10, min_length = 1)]
    pub facility_id: Option<String>,
    #[schema(value_type = PatientItems)]
    pub items: RawItems,
}

/// Item changes: a value sets an item, `null` removes it; other items stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePatient {
    #[schema(value_type = PatientItemChanges)]
    pub items: RawItems,
}

/// Filters and paging of the patient list.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PatientQuery {
    /// Patient ID Number [20].
    pub patient_id_number: Option<String>,
    /// Facility that created the record.
    pub facility: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

fn with_etag(mut builder: actix_web::HttpResponseBuilder, p: Patient) -> HttpResponse {
    builder
        .insert_header((header::ETAG, etag(p.version)))
        .json(PatientResponse::from(p))
}

fn read_event(id: &str) -> Event {
    Event {
        action: Action::Read,
        entity: "patient",
        entity_id: Some(id.to_string()),
        details: json!({}),
    }
}

/// Create a patient.
///
/// Every item is checked against the NAACCR v26 dictionary (known Patient-level item, length,
/// data type, valid code, real date); nothing is stored when one fails.
#[utoipa::path(
    tag = "patients",
    request_body = CreatePatient,
    responses(
        (status = 201, description = "Created", body = PatientResponse,
            headers(("Location" = String), ("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/patients")]
pub async fn create_patient(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<CreatePatient>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let body = body.into_inner();
    let items = into_items(body.items, Level::Patient)?;
    let actor = actor(&req, &caller);
    let patient = state
        .db
        .write(move |conn| {
            let p = patients::create(conn, &caller.facilities, body.facility_id, items)?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Create,
                    entity: "patient",
                    entity_id: Some(p.id.clone()),
                    details: json!({ "items": p.items }),
                },
            )?;
            Ok::<_, ApiError>(p)
        })
        .await?;
    let location = format!("/api/v1/patients/{}", patient.id);
    let mut b = HttpResponse::Created();
    b.insert_header((header::LOCATION, location));
    Ok(with_etag(b, patient))
}

/// List patients.
///
/// Patients of the caller's facilities (created there, or with a tumor reported there), in a
/// stable order with keyset pagination.
#[utoipa::path(
    tag = "patients",
    params(PatientQuery),
    responses(
        (status = 200, body = PatientPage),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/patients")]
pub async fn list_patients(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PatientQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let q = query.into_inner();
    let limit = page_size(q.limit, 50, 500)?;
    let actor = actor(&req, &caller);
    let page = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let filter = patients::Filter {
                patient_id_number: q.patient_id_number,
                facility: q.facility,
            };
            let page = patients::list(
                conn,
                &caller.facilities,
                &filter,
                q.cursor.as_deref(),
                Some(limit),
            )?;
            let ids: Vec<&str> = page.data.iter().map(|p| p.id.as_str()).collect();
            audit.push(Event {
                action: Action::Read,
                entity: "patient",
                entity_id: None,
                details: json!({ "ids": ids }),
            });
            Ok::<_, ApiError>(page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(PatientPage {
        data: page.data.into_iter().map(PatientResponse::from).collect(),
        next: page.next,
    }))
}

/// Read a patient.
#[utoipa::path(
    tag = "patients",
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, body = PatientResponse, headers(("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/patients/{id}")]
pub async fn get_patient(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let patient = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let p = patients::get(conn, &caller.facilities, &id)?;
            audit.push(read_event(&p.id));
            Ok::<_, ApiError>(p)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), patient))
}

/// Correct a patient's items.
///
/// Merges the given items (null removes one). Requires `If-Match` with the current ETag: 412
/// when another change came first, 428 when absent.
#[utoipa::path(
    tag = "patients",
    params(
        ("id" = String, Path, description = "Patient id"),
        ("If-Match" = String, Header, description = "ETag of the version being changed", pattern = r#"^(W/)?"[0-9]+"$"#),
    ),
    request_body = UpdatePatient,
    responses(
        (status = 200, body = PatientResponse, headers(("ETag" = String))),
        (status = 412, description = "The ETag is stale: another change came first", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[patch("/patients/{id}")]
pub async fn update_patient(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<UpdatePatient>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let expected = if_match(&req)?;
    let changes = into_changes(body.into_inner().items)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let patient = state
        .db
        .write(move |conn| {
            let (p, changed) = patients::update(conn, &caller.facilities, &id, expected, &changes)?;
            if !changed.is_empty() {
                audit::record(
                    conn,
                    &actor,
                    Event {
                        action: Action::Update,
                        entity: "patient",
                        entity_id: Some(p.id.clone()),
                        details: json!({ "changes": changed, "version": p.version }),
                    },
                )?;
                refresh(conn, &tables, &p.id)?;
            }
            Ok::<_, ApiError>(p)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), patient))
}

/// Delete a patient.
///
/// Only a patient without tumors can be deleted. `If-Match` is checked when sent.
#[utoipa::path(
    tag = "patients",
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[delete("/patients/{id}")]
pub async fn delete_patient(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    state
        .db
        .write(move |conn| {
            let p = patients::delete(conn, &caller.facilities, &id, expected)?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Delete,
                    entity: "patient",
                    entity_id: Some(p.id.clone()),
                    details: json!({ "items": p.items }),
                },
            )?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new tumor abstract.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTumor {
    /// Tumor items. `reportingFacility` [540] defaults to the caller's only facility.
    #[schema(value_type = super::items::TumorItems)]
    pub items: RawItems,
}

/// Abstract a tumor for a patient.
///
/// Starts in status `draft`. Every item is checked against the NAACCR v26 dictionary; the
/// patient's edits are run and the tumor's outcome is returned in `edits`.
#[utoipa::path(
    tag = "tumors",
    params(("id" = String, Path, description = "Patient id")),
    request_body = CreateTumor,
    responses(
        (status = 201, description = "Created", body = TumorResponse,
            headers(("Location" = String), ("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/patients/{id}/tumors")]
pub async fn create_tumor(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<CreateTumor>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let items = into_items(body.into_inner().items, Level::Tumor)?;
    let patient_id = id.into_inner();
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let (tumor, edits) = state
        .db
        .write(move |conn| {
            let t = tumors::create(
                conn,
                &caller.facilities,
                &patient_id,
                items,
                Source::default(),
            )?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Create,
                    entity: "tumor",
                    entity_id: Some(t.id.clone()),
                    details: json!({ "patientId": t.patient_id, "items": t.items }),
                },
            )?;
            let e = refresh_tumor(conn, &tables, &t)?;
            Ok::<_, ApiError>((t, e))
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/tumors/{}", tumor.id)))
        .insert_header((header::ETAG, etag(tumor.version)))
        .json(TumorResponse::with_edits(tumor, edits)))
}

/// List a patient's tumors.
///
/// Only tumors of the caller's facilities.
#[utoipa::path(
    tag = "tumors",
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, body = TumorPage),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/patients/{id}/tumors")]
pub async fn list_patient_tumors(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let patient_id = id.into_inner();
    let actor = actor(&req, &caller);
    let page = state
        .db
        .read_audited(&actor, move |conn, audit| {
            patients::get(conn, &caller.facilities, &patient_id)?;
            let filter = tumors::Filter {
                patient_id: Some(patient_id),
                ..Default::default()
            };
            let page = tumors::list(conn, &caller.facilities, &filter, None, Some(500))?;
            let ids: Vec<&str> = page.data.iter().map(|t| t.id.as_str()).collect();
            audit.push(Event {
                action: Action::Read,
                entity: "tumor",
                entity_id: None,
                details: json!({ "ids": ids }),
            });
            Ok::<_, ApiError>(page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TumorPage::from(page)))
}
