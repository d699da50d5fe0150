//! `/api/v1/facilities`: the registered reporting facilities (managers).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, page_size, Json};
use super::AppState;
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, Role};
use crate::facilities::{self, Facility, NewFacility};

/// Paging of the facility list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FacilityQuery {
    /// At most this many, by id (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

/// A page of facilities.
#[derive(Serialize, ToSchema)]
pub struct FacilityList {
    pub data: Vec<Facility>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// List registered facilities (managers).
#[utoipa::path(
    tag = "facilities",
    params(FacilityQuery),
    responses(
        (status = 200, body = FacilityList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[get("/facilities")]
pub async fn list_facilities(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<FacilityQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Manager])?;
    let q = query.into_inner();
    let limit = page_size(q.limit, 100, 500)?;
    let (data, next) = state
        .db
        .read(move |conn| {
            facilities::list(conn, q.cursor.as_deref(), limit).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(FacilityList { data, next }))
}

/// Register a facility (managers).
///
/// Id: Reporting Facility [540], 10 digits; NPI checked by its check digit; state a US postal
/// code. An id already registered is 409. Imports and writes naming a facility that is not
/// registered are refused (422 `unknown-facility`), and a token naming one is 403
/// (`/problems/unknown-facility`), unless the service accepts unknown facilities
/// (`CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true`, for a first load).
#[utoipa::path(
    tag = "facilities",
    request_body = NewFacility,
    responses(
        (status = 201, body = Facility),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[post("/facilities")]
pub async fn create_facility(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<NewFacility>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Manager])?;
    let new = body.into_inner();
    let actor = actor(&req, &caller);
    let f = state
        .db
        .write(move |conn| {
            let f = facilities::create(conn, &new, &caller.sub)?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Create,
                    entity: "facility",
                    entity_id: Some(f.id.clone()),
                    details: json!({ "name": f.name, "npi": f.npi, "state": f.state }),
                },
            )?;
            Ok::<_, ApiError>(f)
        })
        .await?;
    state.registered_facilities.add(&f.id);
    Ok(HttpResponse::Created().json(f))
}
