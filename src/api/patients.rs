//! `/api/v1/patients`: patient records and their tumors.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::edits::{blocking, refresh, refresh_tumor};
use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, etag, if_match, page_size, Json};
use super::items::{into_changes, into_items, PatientItemChanges, PatientItems, RawItems};
use super::tumors::{
    deriver, fallback_event, unchanged_read, DeleteQuery, TumorPage, TumorResponse,
};
use super::AppState;
use crate::abstracts::duplicates::{self, Candidate, Confirmation};
use crate::abstracts::items::Document;
use crate::abstracts::lifecycle::{Authority, Removal};
use crate::abstracts::patients::{self, Patient};
use crate::abstracts::search::{NameMatch, Terms};
use crate::abstracts::tumors;
use crate::abstracts::{saving, withdrawal};
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
    /// `active`, or `deleted` once withdrawn.
    pub status: String,
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
            status: p.status,
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
    /// The client has seen the `possible-duplicate` candidates and says this is another
    /// person; needs a `reason` (audited).
    #[serde(default)]
    pub confirmed_not_duplicate: bool,
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Item changes: a value sets an item, `null` removes it; other items stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePatient {
    #[schema(value_type = PatientItemChanges)]
    pub items: RawItems,
    /// Why: required (and audited) once a tumor of the patient is complete.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// The patient to match.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    #[schema(value_type = PatientItems)]
    pub items: RawItems,
}

/// Patients a new one may duplicate.
#[derive(Serialize, ToSchema)]
pub struct MatchResponse {
    pub candidates: Vec<Candidate>,
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
    /// Name--Last [2230]: its letters are compared, case aside (`O'Brien` finds `OBRIEN`).
    pub name_last: Option<String>,
    /// How `nameLast` matches: `exact` (default), `prefix`, or `soundex`.
    #[param(value_type = Option<String>, pattern = "^(exact|prefix|soundex)$")]
    pub name_match: Option<NameMatch>,
    /// Name--First [2240], exact (letters, case aside).
    pub name_first: Option<String>,
    /// Date of Birth [240]: a full date (CCYYMMDD) or a year (CCYY).
    #[param(pattern = "^[0-9]{4}([0-9]{4})?$")]
    pub date_of_birth: Option<String>,
    /// Social Security Number [2320]: all 9 digits, or the last 4.
    #[param(pattern = "^[0-9]{4}([0-9]{5})?$")]
    pub ssn: Option<String>,
    /// Medical Record Number [2300] of one of the patient's tumors.
    pub medical_record_number: Option<String>,
    /// Sex Assigned at Birth [225].
    pub sex: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page (opaque: an id, or `NAME:id` in a last-name
    /// prefix search, which pages in name order).
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
/// data type, valid code, real date); nothing is stored when one fails. One patient once: a
/// Patient ID Number the facility already uses is 409 `patient-id-number-taken` naming that
/// patient; a matching Social Security Number, or last-name Soundex with first initial and
/// date of birth, is 409 `possible-duplicate` listing the candidates, unless the request sets
/// `confirmedNotDuplicate` with a `reason`.
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
    let (confirmed, reason) = (body.confirmed_not_duplicate, body.reason);
    let registered = state.registered_facilities.clone();
    let patient = state
        .db
        .write(move |conn| {
            let confirm = Confirmation {
                confirmed_not_duplicate: confirmed,
                reason: reason.as_deref(),
            };
            let who = Authority::of(&caller, reason.as_deref());
            let p = duplicates::create_patient(
                conn,
                &caller.facilities,
                &registered,
                body.facility_id,
                items,
                confirm,
                &who,
            )?;
            let mut details = json!({ "items": p.items });
            if confirmed {
                details["confirmedNotDuplicate"] = json!(true);
            }
            let overrides: Vec<&String> = p
                .items
                .keys()
                .filter(|k| crate::abstracts::lifecycle::is_override(k))
                .collect();
            if !overrides.is_empty() {
                details["overrides"] = json!(overrides);
            }
            if confirmed || !overrides.is_empty() {
                details["reason"] = json!(reason);
            }
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Create,
                    entity: "patient",
                    entity_id: Some(p.id.clone()),
                    details,
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
/// stable order with keyset pagination, found by last name (exact, prefix or Soundex), first
/// name, date or year of birth, SSN or its last four digits, medical record number, sex,
/// facility or Patient ID Number. Withdrawn patients are left out. Every search is audited
/// with its filters. Results come in id order, except a last-name prefix search, which comes
/// in name order (upper-case letters of the last name, then id) with a cursor of the form
/// `NAME:id`.
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
    let terms = Terms {
        patient_id_number: q.patient_id_number,
        facility: q.facility,
        name_last: q.name_last,
        name_match: q.name_match,
        name_first: q.name_first,
        date_of_birth: q.date_of_birth,
        ssn: q.ssn,
        medical_record_number: q.medical_record_number,
        sex: q.sex,
    };
    let filter = terms.filter()?;
    let actor = actor(&req, &caller);
    let page = state
        .db
        .read_audited(&actor, move |conn, audit| {
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
                details: json!({ "ids": ids, "filters": terms }),
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
        .lookup_audited(&actor, move |conn, audit| {
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
/// when another change came first, 428 when absent. Once a tumor of the patient is complete,
/// a registrar gets 409 `complete-locked`; a reviewer or manager changes the patient with a
/// `reason` (audited), and a complete tumor whose error-level edits then fail goes back to
/// `review`. A changed birth date or sex re-derives the tumors' derived items.
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
    let body = body.into_inner();
    let changes = into_changes(body.items)?;
    let reason = body.reason.filter(|r| !r.trim().is_empty());
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let deriver = deriver(&state);
    let patient = state
        .db
        .write(move |conn| {
            let saved = saving::update_patient(
                conn,
                &caller,
                &id,
                expected,
                &changes,
                reason.as_deref(),
                &deriver,
            )?;
            let p = saved.patient;
            if !saved.changed.is_empty() {
                let mut details = json!({ "changes": saved.changed, "version": p.version });
                if reason.is_some() {
                    details["reason"] = json!(reason);
                }
                let mut events = vec![Event {
                    action: Action::Update,
                    entity: "patient",
                    entity_id: Some(p.id.clone()),
                    details,
                }];
                for (tumor_id, derived) in &saved.tumors {
                    events.push(Event {
                        action: Action::Update,
                        entity: "tumor",
                        entity_id: Some(tumor_id.clone()),
                        details: json!({ "changes": derived, "derivedAfterPatientChange": true }),
                    });
                }
                audit::record_all(conn, &actor, events)?;
                let summaries = refresh(conn, &tables, &p.id)?;
                let failing: Vec<String> = summaries
                    .iter()
                    .filter(|(_, s)| !blocking(s).is_empty())
                    .map(|(id, _)| id.clone())
                    .collect();
                for moved in saving::settle_patient(conn, &p.id, &failing)? {
                    let t = tumors::get(conn, &crate::auth::FacilityScope::All, &moved)?;
                    audit::record(conn, &actor, fallback_event(&t, tumors::Status::Complete))?;
                }
            } else {
                // Nothing changed, but the answer is the whole record: a read.
                audit::record(conn, &actor, unchanged_read("patient", &p.id, p.version))?;
            }
            Ok::<_, ApiError>(p)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), patient))
}

/// Delete a patient.
///
/// A patient with tumors still live cannot be deleted (409). A patient without tumor rows is
/// erased; one whose tumors were all withdrawn is withdrawn too (status `deleted`, rows kept),
/// by a reviewer or a manager with a `reason`. Requires `If-Match` with the current ETag: 412 when another change
/// came first, 428 when absent.
#[utoipa::path(
    tag = "patients",
    params(("id" = String, Path, description = "Patient id"), ("If-Match" = String, Header, description = "ETag of the version being changed", pattern = r#"^(W/)?"[0-9]+"$"#), DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "The ETag is stale: another change came first", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
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
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let expected = if_match(&req)?;
    let reason = query.into_inner().reason;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    state
        .db
        .write(move |conn| {
            let (p, removal) =
                withdrawal::remove_patient(conn, &caller, &id, expected, reason.as_deref())?;
            let details = match removal {
                Removal::Erase => json!({ "items": p.items }),
                Removal::Withdraw => json!({ "withdrawn": true, "reason": reason }),
            };
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Delete,
                    entity: "patient",
                    entity_id: Some(p.id.clone()),
                    details,
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
    /// Why: required (and audited) when the items set an over-ride flag (`overRide...`),
    /// which only a reviewer or a manager may.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Abstract a tumor for a patient.
///
/// Starts in status `draft`. Every item is checked against the NAACCR v26 dictionary; the
/// case administration items (2085, 2090, 2092, 2100, 2110) are kept by the service (422 when
/// sent); the derived items are set (listed in `derived`); the patient's edits are run and the
/// tumor's outcome is returned in `edits`. When the patient has other tumors, `mph` carries the
/// multiple primary rules' decision against each: a single-primary verdict is a warning (the
/// tumor is stored) with Mult Tum Rpt as One Prim [444], Date of Mult Tumors [445] and
/// Multiplicity Counter [446] proposed, and edit IRMP fails until the tumors are merged, one is
/// withdrawn, or a reviewer over-rides it. Over-ride flags (`overRide...` items) may be set
/// only by a reviewer or a manager, with a `reason` (403 for others, 422 without a reason).
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
    let body = body.into_inner();
    let items = into_items(body.items, Level::Tumor)?;
    let reason = body.reason;
    let patient_id = id.into_inner();
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let deriver = deriver(&state);
    let year = i64::from(state.current_year);
    let registered = state.registered_facilities.clone();
    let (tumor, edits, derived, mph) = state
        .db
        .write(move |conn| {
            let who = Authority::of(&caller, reason.as_deref());
            let saved = saving::create_tumor(
                conn,
                &caller.facilities,
                &registered,
                &patient_id,
                items,
                &who,
                &deriver,
            )?;
            let t = saved.tumor;
            let mut details = json!({
                "patientId": t.patient_id,
                "items": t.items,
                "derived": saved.derived,
            });
            if !saved.overrides.is_empty() {
                details["overrides"] = json!(saved.overrides);
                details["reason"] = json!(who.reason);
            }
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Create,
                    entity: "tumor",
                    entity_id: Some(t.id.clone()),
                    details,
                },
            )?;
            let e = refresh_tumor(conn, &tables, &t)?;
            let mph = super::mph::against_others(conn, &caller.facilities, &t, year)?;
            Ok::<_, ApiError>((t, e, saved.derived, mph))
        })
        .await?;
    let mut response = TumorResponse::with_edits(tumor, edits);
    response.derived = Some(derived);
    response.mph = mph;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/tumors/{}", response.id)))
        .insert_header((header::ETAG, etag(response.version)))
        .json(response))
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
            let page =
                tumors::list::<Document>(conn, &caller.facilities, &filter, None, Some(500))?;
            audit.push(super::tumors::tumors_read(&page.data));
            Ok::<_, ApiError>(page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TumorPage::from(page)))
}

/// Find patients a new one may duplicate.
///
/// The check a create makes, asked first: patients (that the caller may see, not withdrawn)
/// with the same Social Security Number, or the same last-name Soundex, first initial and
/// date of birth. Audited as a read.
#[utoipa::path(
    tag = "patients",
    request_body = MatchRequest,
    responses(
        (status = 200, body = MatchResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/patients/match")]
pub async fn match_patients(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<MatchRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let items = into_items(body.into_inner().items, Level::Patient)?;
    let errors = crate::abstracts::items::check_items(Level::Patient, &items);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let actor = actor(&req, &caller);
    let candidates = state
        .db
        .write(move |conn| {
            let found = duplicates::candidates(conn, &caller.facilities, &items)?;
            let ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Read,
                    entity: "patient",
                    entity_id: None,
                    details: json!({ "match": true, "ids": ids }),
                },
            )?;
            Ok::<_, ApiError>(found)
        })
        .await?;
    Ok(HttpResponse::Ok().json(MatchResponse { candidates }))
}
