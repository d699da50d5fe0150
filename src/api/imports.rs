//! `/api/v1/imports` as records, and `/api/v1/tumors/{id}/sources`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, page_size};
use super::AppState;
use crate::abstracts::ItemError;
use crate::audit::{Action, Event};
use crate::auth::{Caller, ABSTRACTORS};
use crate::submissions::import_log::{self, ImportFilter, ImportRecord, TumorSource};

/// Filters and paging of the import list.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportListQuery {
    /// Only imports of files with records of this facility.
    pub facility: Option<String>,
    /// done or refused.
    pub status: Option<String>,
    /// From this day, YYYY-MM-DD (inclusive).
    pub from: Option<String>,
    /// Up to this day, YYYY-MM-DD (inclusive).
    pub to: Option<String>,
    /// At most this many, newest first (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

/// A page of imports.
#[derive(Serialize, ToSchema)]
pub struct ImportList {
    pub data: Vec<ImportRecord>,
    /// Cursor of the next page, absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

fn day(field: &str, v: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    v.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::Invalid(vec![ItemError::new(
                field,
                None,
                "date",
                "a day as YYYY-MM-DD",
            )])
        })
    })
    .transpose()
}

/// List imports.
///
/// Every import, applied (`done`) or refused, newest first, of the facilities you cover (a
/// refused file that named no facility: its importer's). The list leaves out the long parts
/// of each report (kept values, problems, file-level items, matches).
#[utoipa::path(
    tag = "submissions",
    params(ImportListQuery),
    responses(
        (status = 200, body = ImportList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/imports")]
pub async fn list_imports(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ImportListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let q = query.into_inner();
    let limit = page_size(q.limit, 50, 200)?;
    if let Some(s) = &q.status {
        if s != import_log::DONE && s != import_log::REFUSED {
            return Err(ApiError::Invalid(vec![ItemError::new(
                "status",
                None,
                "invalid-code",
                "done or refused",
            )]));
        }
    }
    let filter = ImportFilter {
        facility: q.facility,
        status: q.status,
        from: day("from", q.from.as_deref())?,
        to: day("to", q.to.as_deref())?,
    };
    let (data, next) = state
        .db
        .read(move |conn| {
            import_log::list(
                conn,
                &caller.facilities,
                &caller.sub,
                &filter,
                q.cursor.as_deref(),
                limit,
            )
            .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ImportList { data, next }))
}

/// Read an import with its whole report.
///
/// Counts, conversions, the file-level items it read, the values it kept and why, the
/// patients matched without a Patient ID Number, and its problems (a refused file's every
/// problem, at the item's line with its patient's line).
#[utoipa::path(
    tag = "submissions",
    params(("id" = String, Path, description = "Import id")),
    responses(
        (status = 200, body = ImportRecord),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/imports/{id}")]
pub async fn get_import(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let r = state
        .db
        .read(move |conn| {
            import_log::get(conn, &caller.facilities, &caller.sub, &id).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The imports of a tumor.
#[derive(Serialize, ToSchema)]
pub struct TumorSourceList {
    /// Oldest first; the last names the file and line the tumor's `sourceFile`/`sourceLine`
    /// give.
    pub data: Vec<TumorSource>,
}

/// Every import that created or changed a tumor.
#[utoipa::path(
    tag = "tumors",
    params(("id" = String, Path, description = "Tumor id")),
    responses(
        (status = 200, body = TumorSourceList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/tumors/{id}/sources")]
pub async fn tumor_sources(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let data = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let data = import_log::sources(conn, &caller.facilities, &id)?;
            audit.push(Event {
                action: Action::Read,
                entity: "tumor",
                entity_id: Some(id),
                details: json!({ "via": "sources" }),
            });
            Ok::<_, ApiError>(data)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TumorSourceList { data }))
}
