//! The one place where errors become HTTP: `application/problem+json` (RFC 9457) bodies with a
//! stable `type`, a `title`, the `status`, a `detail`, and for invalid items an `errors` array
//! naming each item, its number, the rule and a message (for a refused file, `problems` with
//! line and column). Domain errors are flattened into [`ApiError`] at the `From` boundary.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::abstracts::{self, ItemError};
use crate::auth::AuthError;
use crate::db::DbError;
use crate::edits::store::StoredFailure;
use crate::submissions::import::FileProblem;

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
    /// Each problem of a refused file, with its line and column.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<FileProblem>,
    /// Each failing edit with every item it names (a completion refused by the edits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<StoredFailure>,
    /// The patients a new one may duplicate (`possible-duplicate` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<abstracts::duplicates::Candidate>,
    /// The id of the patient that already holds a Patient ID Number (`patient-id-number-taken`).
    #[serde(rename = "existingPatientId", skip_serializing_if = "Option::is_none")]
    pub existing_patient_id: Option<String>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Abstracts(#[from] abstracts::Error),
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
    /// The client stopped sending in the middle of its request.
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("method {0} is not allowed on this resource")]
    MethodNotAllowed(String),
    /// Error-level edits fail: the abstract cannot be completed.
    #[error("error-level edits fail; clear or override them first")]
    EditsFailed(Vec<StoredFailure>),
    /// The stored abstract lacks what staging needs (the request itself is fine): 409.
    #[error("the tumor cannot be staged as stored")]
    NotStageable(Vec<ItemError>),
    /// A file was refused; nothing was stored.
    #[error("the file was refused: {} problem(s); nothing was stored", .0.len())]
    Rejected(Vec<FileProblem>),
    /// The caller, or the instance, already runs as many jobs as allowed: 429.
    #[error(transparent)]
    TooManyJobs(#[from] crate::submissions::slots::Refused),
    /// A dependency (the database, installed reference data) is not available.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        ApiError::Db(DbError::Query(e))
    }
}

impl From<crate::lookups::Error> for ApiError {
    fn from(e: crate::lookups::Error) -> ApiError {
        use crate::lookups::Error as L;
        match e {
            L::UnknownItem(_) => ApiError::NotFound(e.to_string()),
            L::Invalid { .. } => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<crate::followup::Error> for ApiError {
    fn from(e: crate::followup::Error) -> ApiError {
        use crate::followup::Error as F;
        match e {
            F::Abstracts(e) => ApiError::Abstracts(e),
            F::Invalid(v) => ApiError::Invalid(v),
            F::Conflict(m) => ApiError::Conflict(m),
        }
    }
}

impl From<crate::submissions::Error> for ApiError {
    fn from(e: crate::submissions::Error) -> ApiError {
        use crate::submissions::Error as S;
        match e {
            S::Abstracts(e) => ApiError::Abstracts(e),
            S::Invalid(v) => ApiError::Invalid(v),
            S::Rejected(p) => ApiError::Rejected(p),
            S::NotFound(m) => ApiError::NotFound(m),
            S::Conflict(m) => ApiError::Conflict(m),
            S::Io(e) => ApiError::Internal(format!("file error: {e}")),
        }
    }
}

const INVALID: (StatusCode, &str, &str) = (
    StatusCode::UNPROCESSABLE_ENTITY,
    "invalid-items",
    "Invalid data items",
);
const INTERNAL: (StatusCode, &str, &str) = (
    StatusCode::INTERNAL_SERVER_ERROR,
    "internal",
    "Internal error",
);
const UNAVAILABLE: (StatusCode, &str, &str) = (
    StatusCode::SERVICE_UNAVAILABLE,
    "unavailable",
    "Service unavailable",
);

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use abstracts::Error as A;
        match self {
            ApiError::Abstracts(e) => match e {
                A::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
                A::Invalid(_) => INVALID,
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
                A::Locked(_) => (
                    StatusCode::CONFLICT,
                    "complete-locked",
                    "The abstract is complete and locked",
                ),
                A::NumberTaken { .. } => (
                    StatusCode::CONFLICT,
                    "patient-id-number-taken",
                    "Patient ID Number already used",
                ),
                A::PossibleDuplicate(_) => (
                    StatusCode::CONFLICT,
                    "possible-duplicate",
                    "Possible duplicate patient",
                ),
                A::Db(e) => db_parts(e),
            },
            ApiError::Auth(AuthError::Unauthenticated(_)) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            ApiError::Auth(AuthError::Forbidden(_)) => {
                (StatusCode::FORBIDDEN, "forbidden", "Forbidden")
            }
            ApiError::Auth(AuthError::UnknownFacility(_)) => (
                StatusCode::FORBIDDEN,
                "unknown-facility",
                "The token names a facility that is not registered",
            ),
            ApiError::Auth(AuthError::Keys(_)) | ApiError::Internal(_) => INTERNAL,
            ApiError::Db(e) => db_parts(e),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::Invalid(_) => INVALID,
            ApiError::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::Timeout(_) => (
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request timeout",
            ),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            ApiError::EditsFailed(_) => (StatusCode::CONFLICT, "edits-failed", "Edits fail"),
            ApiError::NotStageable(_) => (
                StatusCode::CONFLICT,
                "not-stageable",
                "The tumor cannot be staged",
            ),
            ApiError::Rejected(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "file-rejected",
                "File rejected",
            ),
            ApiError::Unavailable(_) => UNAVAILABLE,
            ApiError::TooManyJobs(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-jobs",
                "Too many jobs running",
            ),
        }
    }

    fn item_errors(&self) -> &[ItemError] {
        match self {
            ApiError::Abstracts(abstracts::Error::Invalid(e))
            | ApiError::Invalid(e)
            | ApiError::NotStageable(e) => e,
            _ => &[],
        }
    }

    fn detail(&self) -> String {
        let status = self.parts().0;
        let errors = self.item_errors();
        if let ApiError::Unavailable(why) = self {
            return why.clone();
        }
        if let ApiError::EditsFailed(failures) = self {
            let list = failures
                .iter()
                .map(|f| format!("{} [{}]: {}", f.edit_id, f.items.join(", "), f.message))
                .collect::<Vec<_>>()
                .join("; ");
            return format!("error-level edits fail: {list}");
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return "the database is busy; retry in a moment".to_string();
        }
        if status.is_server_error() {
            return "an internal error occurred; it has been logged".to_string();
        }
        if status == StatusCode::CONFLICT
            && matches!(
                self,
                ApiError::Db(_) | ApiError::Abstracts(abstracts::Error::Db(_))
            )
        {
            return "the change conflicts with stored data (a unique or reference constraint)"
                .to_string();
        }
        if !errors.is_empty() {
            let list = errors
                .iter()
                .map(|e| format!("{}: {}", e.item, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return list;
        }
        self.to_string()
    }

    /// The problem body.
    pub fn problem(&self) -> ProblemDetails {
        let (status, kind, title) = self.parts();
        ProblemDetails {
            kind: format!("/problems/{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                ApiError::EditsFailed(failures) => edit_item_errors(failures),
                _ => self.item_errors().to_vec(),
            },
            problems: match self {
                ApiError::Rejected(p) => p.clone(),
                _ => Vec::new(),
            },
            edits: match self {
                ApiError::EditsFailed(failures) => failures.clone(),
                _ => Vec::new(),
            },
            candidates: match self {
                ApiError::Abstracts(abstracts::Error::PossibleDuplicate(c)) => c.clone(),
                _ => Vec::new(),
            },
            existing_patient_id: match self {
                ApiError::Abstracts(abstracts::Error::NumberTaken { existing, .. }) => {
                    Some(existing.clone())
                }
                _ => None,
            },
        }
    }
}

/// A refusal the audit trail keeps (as `denied`): what was refused and, when the error knows it,
/// the record asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The problem type's last segment: `forbidden`, `unknown-facility`, `not-found`,
    /// `stale-version` or `complete-locked`.
    pub reason: &'static str,
    /// The record the error names (`tumor`, id), when it names one.
    pub target: Option<(&'static str, String)>,
}

impl ApiError {
    /// Whether this error refuses an identified caller for role or facility scope (403),
    /// answers that a record is not there (404: out of the caller's scope, or missing; the
    /// answer does not tell them apart, and neither does the audit row), or refuses a change
    /// of a record in scope as stale (412) or locked (409 `complete-locked`). `None` for every
    /// other error, and for 401, which has no identity to record.
    pub fn denial(&self) -> Option<Denial> {
        let (status, kind, _) = self.parts();
        // A stale or locked write is refused on a record in the caller's scope: the answer
        // names the record's current version, and the attempt is worth a row as much as a 403.
        let refused = matches!(
            status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::PRECONDITION_FAILED
        ) || kind == "complete-locked";
        if !refused {
            return None;
        }
        let target = match self {
            ApiError::Abstracts(abstracts::Error::NotFound { entity, id }) => {
                Some((*entity, id.clone()))
            }
            _ => None,
        };
        Some(Denial {
            reason: kind,
            target,
        })
    }
}

/// One entry per item a failing edit names, so a form can show the failure beside each field.
fn edit_item_errors(failures: &[StoredFailure]) -> Vec<ItemError> {
    let dict = crate::naaccr::Dictionary::v260();
    failures
        .iter()
        .flat_map(|f| {
            f.items.iter().map(move |item| {
                ItemError::new(
                    item,
                    dict.item(item).map(|d| d.number),
                    "edit-failed",
                    format!("{}: {}", f.edit_id, f.message),
                )
            })
        })
        .collect()
}

fn db_parts(e: &DbError) -> (StatusCode, &'static str, &'static str) {
    use diesel::result::{DatabaseErrorKind, Error as D};
    match e {
        DbError::Pool(_) | DbError::Unavailable(_) => UNAVAILABLE,
        DbError::Query(D::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => (StatusCode::CONFLICT, "conflict", "Conflict"),
        DbError::Query(D::DatabaseError(_, info)) if info.message().contains("locked") => {
            UNAVAILABLE
        }
        _ => INTERNAL,
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
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"cancer-registry\", error=\"invalid_token\"",
            ));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            // A build or an import takes seconds to minutes.
            response.insert_header((header::RETRY_AFTER, "30"));
        }
        response.json(problem)
    }
}
