//! `/api/v1/session`: who the token speaks for, so a client can show it.

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ProblemDetails};
use crate::auth::{Caller, FacilityScope, ANY_ROLE};

/// The caller as the service sees the token.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    /// The token's subject.
    pub sub: String,
    pub roles: Vec<String>,
    /// Reporting facilities the caller may see; absent for every facility (central staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facilities: Option<Vec<String>>,
}

/// Who is signed in.
///
/// The subject, roles and facilities of the bearer token; a client checks a token with it.
#[utoipa::path(
    tag = "session",
    responses(
        (status = 200, body = SessionResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/session")]
pub async fn get_session(caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    Ok(HttpResponse::Ok().json(SessionResponse {
        sub: caller.sub.clone(),
        roles: caller
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        facilities: match &caller.facilities {
            FacilityScope::All => None,
            FacilityScope::Only(list) => Some(list.clone()),
        },
    }))
}
