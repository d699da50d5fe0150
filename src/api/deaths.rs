//! `/api/v1/followup/death-records/possible`: the review queue of death clearance.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::edits::refresh;
use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, page_size, Json};
use super::followup::change_events;
use super::AppState;
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, ABSTRACTORS, REVIEWERS};
use crate::followup::death_reviews::{self, DeathReview, Decision, ReviewStatus};
use crate::naaccr::PartialDate;

fn today() -> PartialDate {
    let s = Utc::now().format("%Y%m%d").to_string();
    PartialDate::parse(&s).unwrap_or(PartialDate {
        year: 2099,
        month: Some(12),
        day: Some(31),
    })
}

/// Filters and paging of the queue.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PossibleQuery {
    /// pending (default), accepted or rejected.
    pub status: Option<ReviewStatus>,
    /// At most this many, oldest first (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

/// A page of queued death records.
#[derive(Serialize, ToSchema)]
pub struct DeathReviewList {
    pub data: Vec<DeathReview>,
    /// Cursor of the next page, absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Possible death matches waiting for review.
///
/// Death records that linked to a patient only on name and date of birth, to several
/// patients, or whose death conflicts with what is stored. Each record is queued once; a
/// re-sent record finds its entry. Lists the entries of patients you may see.
#[utoipa::path(
    tag = "followup",
    params(PossibleQuery),
    responses(
        (status = 200, body = DeathReviewList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/followup/death-records/possible")]
pub async fn list_possible_deaths(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<PossibleQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let q = query.into_inner();
    let limit = page_size(q.limit, 50, 200)?;
    let status = q.status.unwrap_or(ReviewStatus::Pending);
    let actor = actor(&req, &caller);
    let (data, next) = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let (data, next) = death_reviews::list(
                conn,
                &caller.facilities,
                Some(status),
                q.cursor.as_deref(),
                limit,
            )?;
            let ids: Vec<&String> = data.iter().flat_map(|r| &r.patient_ids).collect();
            if !ids.is_empty() {
                audit.push(Event {
                    action: Action::Read,
                    entity: "patient",
                    entity_id: None,
                    details: json!({ "ids": ids, "via": "death-review-queue" }),
                });
            }
            Ok::<_, ApiError>((data, next))
        })
        .await?;
    Ok(HttpResponse::Ok().json(DeathReviewList { data, next }))
}

/// Accepting a possible death match.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptDeath {
    /// The patient the record is (one of its candidates; optional when it has one).
    pub patient_id: Option<String>,
}

/// Rejecting a possible death match.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectDeath {
    /// Why the record is not this patient's.
    #[schema(min_length = 1)]
    pub reason: String,
}

/// Accept a possible death match (reviewers).
///
/// Applies the death to the patient as a contact with vital status 0 (the rules of
/// `POST /contacts`: a later contact alive refuses it, 409). Audited.
#[utoipa::path(
    tag = "followup",
    params(("id" = String, Path, description = "Queue entry id")),
    request_body = AcceptDeath,
    responses(
        (status = 200, body = DeathReview),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["reviewer", "manager"]))
)]
#[post("/followup/death-records/possible/{id}/accept")]
pub async fn accept_possible_death(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<AcceptDeath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(REVIEWERS)?;
    let decision = Decision::Accept {
        patient_id: body.into_inner().patient_id,
    };
    decide(state, req, caller, id.into_inner(), decision).await
}

/// Reject a possible death match (reviewers), with a reason. Audited.
#[utoipa::path(
    tag = "followup",
    params(("id" = String, Path, description = "Queue entry id")),
    request_body = RejectDeath,
    responses(
        (status = 200, body = DeathReview),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["reviewer", "manager"]))
)]
#[post("/followup/death-records/possible/{id}/reject")]
pub async fn reject_possible_death(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<RejectDeath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(REVIEWERS)?;
    let decision = Decision::Reject {
        reason: body.into_inner().reason,
    };
    decide(state, req, caller, id.into_inner(), decision).await
}

async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: String,
    decision: Decision,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let review = state
        .db
        .write(move |conn| {
            let (review, outcome) = death_reviews::decide(
                conn,
                &caller.facilities,
                &id,
                decision,
                &caller.sub,
                &today(),
            )?;
            let mut events = vec![Event {
                action: Action::Update,
                entity: "death-record",
                entity_id: Some(review.id.clone()),
                details: json!({
                    "status": review.status,
                    "patientId": review.decided_patient_id,
                    "reason": review.decision_reason,
                    "candidates": review.patient_ids,
                }),
            }];
            if let Some(o) = &outcome {
                events.extend(change_events(&o.contact.patient_id, o));
            }
            audit::record_all(conn, &actor, events)?;
            if let Some(o) = &outcome {
                refresh(conn, &tables, &o.contact.patient_id)?;
            }
            Ok::<_, ApiError>(review)
        })
        .await?;
    Ok(HttpResponse::Ok().json(review))
}
