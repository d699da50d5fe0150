//! The one place where errors become HTTP: `application/problem+json` (RFC 9457) bodies with a
//! stable `type`, a `title`, the `status`, a `detail`, and for invalid items an `errors` array
//! naming each item, its number, the rule and a message.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::abstracts::{self, ItemError};
use crate::auth::AuthError;
use crate::db::DbError;

/// An RFC 9457 problem.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemDetails {
    /// A stable URI reference naming the kind of problem, e.g. `/problems/invalid-items`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Each failing item or field (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ItemError>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Abstracts(#[from] abstracts::Error),
    #[error(transparent)]
    Followup(#[from] crate::followup::Error),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The request itself is malformed (JSON syntax, query parameters, path).
    #[error("{0}")]
    BadRequest(String),
    /// Fields of a well-formed request are invalid.
    #[error("the request has invalid fields")]
    Invalid(Vec<ItemError>),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    NotFound(String),
    /// Error-level edits fail: the abstract cannot be completed.
    #[error("error-level edits fail; clear or override them first")]
    EditsFailed(Vec<ItemError>),
    /// A dependency (the database, installed reference data) is not available.
    #[error("{0}")]
    Unavailable(String),
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        ApiError::Db(DbError::Query(e))
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use crate::followup::Error as F;
        use abstracts::Error as A;
        match self {
            ApiError::Followup(F::Abstracts(e)) | ApiError::Abstracts(e) => match e {
                A::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
                A::Invalid(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-items",
                    "Invalid data items",
                ),
                A::StaleVersion { .. } => (
                    StatusCode::PRECONDITION_FAILED,
                    "stale-version",
                    "Stale version",
                ),
                A::PreconditionRequired => (
                    StatusCode::PRECONDITION_REQUIRED,
                    "if-match-required",
                    "If-Match required",
                ),
                A::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
                A::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
                A::Db(e) => db_parts(e),
            },
            ApiError::Followup(F::Invalid(_)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-items",
                "Invalid data items",
            ),
            ApiError::Followup(F::Conflict(_)) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::Auth(AuthError::Unauthenticated(_)) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            ApiError::Auth(AuthError::Forbidden(_)) => {
                (StatusCode::FORBIDDEN, "forbidden", "Forbidden")
            }
            ApiError::Auth(AuthError::Keys(_)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
            ApiError::Db(e) => db_parts(e),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::Invalid(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-items",
                "Invalid data items",
            ),
            ApiError::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::EditsFailed(_) => (StatusCode::CONFLICT, "edits-failed", "Edits fail"),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Abstracts(abstracts::Error::Db(_))
            | ApiError::Followup(crate::followup::Error::Abstracts(abstracts::Error::Db(_)))
            | ApiError::Db(_) => match self.parts().0 {
                StatusCode::SERVICE_UNAVAILABLE => {
                    "the database is busy; retry in a moment".to_string()
                }
                StatusCode::CONFLICT => {
                    "the change conflicts with stored data (a unique or reference constraint)"
                        .to_string()
                }
                _ => "an internal error occurred; it has been logged".to_string(),
            },
            ApiError::Auth(AuthError::Keys(_)) => {
                "an internal error occurred; it has been logged".to_string()
            }
            ApiError::Abstracts(abstracts::Error::Invalid(errors))
            | ApiError::Followup(crate::followup::Error::Abstracts(abstracts::Error::Invalid(
                errors,
            )))
            | ApiError::Followup(crate::followup::Error::Invalid(errors))
            | ApiError::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.item, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }

    /// The problem body.
    pub fn problem(&self) -> ProblemDetails {
        let (status, kind, title) = self.parts();
        let errors = match self {
            ApiError::Abstracts(abstracts::Error::Invalid(e))
            | ApiError::Followup(crate::followup::Error::Abstracts(abstracts::Error::Invalid(e)))
            | ApiError::Followup(crate::followup::Error::Invalid(e))
            | ApiError::Invalid(e)
            | ApiError::EditsFailed(e) => e.clone(),
            _ => Vec::new(),
        };
        ProblemDetails {
            kind: format!("/problems/{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.detail(),
            errors,
        }
    }
}

fn db_parts(e: &DbError) -> (StatusCode, &'static str, &'static str) {
    use diesel::result::{DatabaseErrorKind, Error as D};
    match e {
        DbError::Pool(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
        ),
        DbError::Query(D::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => (StatusCode::CONFLICT, "conflict", "Conflict"),
        DbError::Query(D::DatabaseError(_, info)) if info.message().contains("locked") => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        ),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        let status = self.status_code();
        if status.is_server_error() {
            log::error!("{status}: {self}");
        }
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match (status, self) {
            (StatusCode::UNAUTHORIZED, _) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"cancer-registry\", error=\"invalid_token\"",
                ));
            }
            (StatusCode::SERVICE_UNAVAILABLE, _) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(problem)
    }
}
