//! `/api/v1/recipients`: who submissions go to (managers write; abstractors read, to name one
//! in a submission).

use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, etag, if_match, Json};
use super::AppState;
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, Role, ABSTRACTORS};
use crate::submissions::recipients::{self, Recipient, RecipientInput};

/// Recipients.
#[derive(Serialize, ToSchema)]
pub struct RecipientList {
    pub data: Vec<Recipient>,
}

fn with_etag(mut b: actix_web::HttpResponseBuilder, r: Recipient) -> HttpResponse {
    b.insert_header((header::ETAG, etag(r.version))).json(r)
}

/// List recipients, by name.
#[utoipa::path(
    tag = "submissions",
    responses(
        (status = 200, body = RecipientList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/recipients")]
pub async fn list_recipients(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let data = state
        .db
        .read(move |conn| recipients::list(conn).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(RecipientList { data }))
}

/// Read a recipient (with its ETag).
#[utoipa::path(
    tag = "submissions",
    params(("id" = String, Path, description = "Recipient id")),
    responses(
        (status = 200, body = Recipient, headers(("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/recipients/{id}")]
pub async fn get_recipient(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let r = state
        .db
        .read(move |conn| recipients::get(conn, &id).map_err(ApiError::from))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), r))
}

/// Create a recipient (managers).
///
/// Kind `state`, `ncdb`, `seer` or `other`; record type, NAACCR version and edit set default
/// from the kind (see the README, "Sending files to a registry"). Registry ID [40] is 10
/// digits, Registry Type [30] one digit, NPI--Registry ID [45] an NPI with its check digit;
/// the edit set must exist. A name already used is 409.
#[utoipa::path(
    tag = "submissions",
    request_body = RecipientInput,
    responses(
        (status = 201, body = Recipient, headers(("ETag" = String), ("Location" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[post("/recipients")]
pub async fn create_recipient(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<RecipientInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Manager])?;
    let input = body.into_inner();
    let actor = actor(&req, &caller);
    let r = state
        .db
        .write(move |conn| {
            let r = recipients::create(conn, &input, &caller.sub)?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Create,
                    entity: "recipient",
                    entity_id: Some(r.id.clone()),
                    details: json!(r),
                },
            )?;
            Ok::<_, ApiError>(r)
        })
        .await?;
    let mut b = HttpResponse::Created();
    b.insert_header((header::LOCATION, format!("/api/v1/recipients/{}", r.id)));
    Ok(with_etag(b, r))
}

/// Replace a recipient (managers; `If-Match` with its ETag: absent 428, stale 412).
#[utoipa::path(
    tag = "submissions",
    params(("id" = String, Path, description = "Recipient id")),
    request_body = RecipientInput,
    responses(
        (status = 200, body = Recipient, headers(("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[put("/recipients/{id}")]
pub async fn update_recipient(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<RecipientInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Manager])?;
    let expected = if_match(&req)?;
    let (id, input) = (id.into_inner(), body.into_inner());
    let actor = actor(&req, &caller);
    let r = state
        .db
        .write(move |conn| {
            let before = recipients::get(conn, &id)?;
            let r = recipients::update(conn, &id, expected, &input)?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Update,
                    entity: "recipient",
                    entity_id: Some(r.id.clone()),
                    details: json!({ "old": before, "new": r }),
                },
            )?;
            Ok::<_, ApiError>(r)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), r))
}
