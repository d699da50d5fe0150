//! `/api/v1/facilities`: the registered reporting facilities (managers).

use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, etag, if_match, page_size, Json};
use super::AppState;
use crate::abstracts;
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, Role, ABSTRACTORS};
use crate::facilities::profile::{self, Profile, ProfileUpdate};
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

/// A facility outside the caller's scope is not found (404), as a tumor of it would be.
fn in_scope(caller: &Caller, facility: &str) -> Result<(), ApiError> {
    if caller.facilities.allows(facility) {
        Ok(())
    } else {
        Err(ApiError::Abstracts(abstracts::Error::NotFound {
            entity: "facility",
            id: facility.to_string(),
        }))
    }
}

fn profile_response(builder: &mut actix_web::HttpResponseBuilder, p: Profile) -> HttpResponse {
    builder
        .insert_header((header::ETAG, etag(p.version)))
        .json(p)
}

/// A facility's abstracting profile (registrars, reviewers and managers of the facility).
///
/// The Tumor items most abstracts of the facility share (Type of Reporting Source, Class of
/// Case, Archive FIN, codes of SSDIs it does not collect, ...). The workspace pre-fills a new
/// abstract with them, marked for the registrar to confirm; the service never writes them into
/// an abstract by itself. A profile never written has version 0 and no items.
#[utoipa::path(
    tag = "facilities",
    params(("id" = String, Path, description = "Reporting Facility [540]")),
    responses(
        (status = 200, body = Profile, headers(("ETag" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/facilities/{id}/profile")]
pub async fn get_profile(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    in_scope(&caller, &id)?;
    let p = state
        .db
        .read(move |conn| profile::get(conn, &id).map_err(ApiError::from))
        .await?;
    Ok(profile_response(&mut HttpResponse::Ok(), p))
}

/// Replace a facility's abstracting profile (managers of the facility).
///
/// Requires `If-Match` with the current ETag (`"0"` for a profile never written): absent is
/// 428, stale is 412. Items: Tumor items of the v26 dictionary with valid codes; the facility
/// itself and the items that identify one case (site, histology, behavior, laterality, date
/// of diagnosis, accession and sequence numbers) are refused (422), as are more than 100.
#[utoipa::path(
    tag = "facilities",
    params(
        ("id" = String, Path, description = "Reporting Facility [540]"),
        ("If-Match" = String, Header, description = "ETag of the version being changed", pattern = r#"^(W/)?"[0-9]+"$"#),
    ),
    request_body = ProfileUpdate,
    responses(
        (status = 200, body = Profile, headers(("ETag" = String))),
        (status = 412, description = "The ETag is stale: another change came first", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[put("/facilities/{id}/profile")]
pub async fn put_profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<ProfileUpdate>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Manager])?;
    let id = id.into_inner();
    in_scope(&caller, &id)?;
    let expected = if_match(&req)?;
    let items = body.into_inner().items;
    let actor = actor(&req, &caller);
    let p = state
        .db
        .write(move |conn| {
            let (p, before) = profile::put(conn, &id, expected, &items, &caller.sub)?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Update,
                    entity: "facility-profile",
                    entity_id: Some(p.facility_id.clone()),
                    details: json!({ "old": before, "new": p.items, "version": p.version }),
                },
            )?;
            Ok::<_, ApiError>(p)
        })
        .await?;
    Ok(profile_response(&mut HttpResponse::Ok(), p))
}
