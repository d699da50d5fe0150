//! `/api/v1/research-requests` and `/api/v1/reports/incidence`: research data requests, their
//! approval, de-identified extracts and small-cell-suppressed tables, with a release log.

use std::io::Write;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{Datelike, Utc};
use diesel::{Connection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, Json};
use super::submissions::stream_file;
use super::AppState;
use crate::abstracts::ItemError;
use crate::audit::{self, Action, Actor, Event};
use crate::auth::{AuthError, Caller, FacilityScope, Role};
use crate::db::DbConn;
use crate::research::data::{self, DataError, Format, DIMENSIONS};
use crate::research::requests::{
    self, full_date, NewRequest, ReleaseRecord, ResearchRequest, ResearchSelection,
};
use crate::research::SiteRecodeTable;

impl From<DataError> for ApiError {
    fn from(e: DataError) -> ApiError {
        match e {
            DataError::Abstracts(e) => ApiError::Abstracts(e),
            DataError::Research(crate::research::Error::Refused(r)) => ApiError::Invalid(
                r.into_iter()
                    .map(|r| ItemError::new(&r.item, None, "not-releasable", r.reason))
                    .collect(),
            ),
            DataError::Research(e) => ApiError::Internal(e.to_string()),
            DataError::Io(e) => ApiError::Internal(format!("cannot write the release: {e}")),
        }
    }
}

fn researcher_only(caller: &Caller) -> Option<&str> {
    // Managers see every request; a researcher only their own.
    (!caller.roles.contains(&Role::Manager)).then_some(caller.sub.as_str())
}

fn require(caller: &Caller, roles: &[Role]) -> Result<(), ApiError> {
    Ok(caller.require(roles)?)
}

fn today() -> Result<crate::naaccr::PartialDate, ApiError> {
    Ok(full_date(
        "today",
        &Utc::now().format("%Y%m%d").to_string(),
    )?)
}

/// Requests.
#[derive(Serialize, ToSchema)]
pub struct RequestList {
    pub data: Vec<ResearchRequest>,
}

/// File a research data request.
///
/// Items that can never leave the registry (names, addresses, SSN, record numbers, ...) are
/// refused at once with the reason.
#[utoipa::path(
    tag = "research",
    request_body = NewRequest,
    responses(
        (status = 201, body = ResearchRequest, headers(("Location" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["researcher"]))
)]
#[post("/research-requests")]
pub async fn create_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<NewRequest>,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Researcher])?;
    let actor = actor(&req, &caller);
    let r = state
        .db
        .write(move |conn| {
            let r = requests::create(conn, body.into_inner(), &caller.sub)?;
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Create,
                    entity: "research-request",
                    entity_id: Some(r.id.clone()),
                    details: json!({ "items": r.items, "selection": r.selection }),
                },
            )?;
            Ok::<_, ApiError>(r)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/research-requests/{}", r.id),
        ))
        .json(r))
}

/// List research requests (a researcher's own; every request for a manager).
#[utoipa::path(
    tag = "research",
    responses(
        (status = 200, body = RequestList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["researcher", "manager"]))
)]
#[get("/research-requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Researcher, Role::Manager])?;
    let data = state
        .db
        .read(move |conn| Ok::<_, ApiError>(requests::list(conn, researcher_only(&caller))?))
        .await?;
    Ok(HttpResponse::Ok().json(RequestList { data }))
}

/// Read a research request: status and history.
#[utoipa::path(
    tag = "research",
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, body = ResearchRequest),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["researcher", "manager"]))
)]
#[get("/research-requests/{id}")]
pub async fn get_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Researcher, Role::Manager])?;
    let r = state
        .db
        .read(move |conn| Ok::<_, ApiError>(requests::get(conn, &id, researcher_only(&caller))?))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// An approval.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// Last day of data use, YYYY-MM-DD, in the future.
    #[serde(
        alias = "expiresAt",
        alias = "expiry",
        alias = "dataUseExpiry",
        alias = "expires"
    )]
    pub expires_on: String,
    pub reason: Option<String>,
}

/// A rejection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    #[schema(min_length = 1)]
    pub reason: String,
}

async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: String,
    approve: bool,
    reason: Option<String>,
    expires_on: Option<String>,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Manager])?;
    let actor = actor(&req, &caller);
    let r = state
        .db
        .write(move |conn| {
            let r = requests::decide(
                conn,
                &id,
                approve,
                reason,
                expires_on.as_deref(),
                &caller.sub,
                &caller.facilities,
            )?;
            audit::record(conn, &actor, Event {
                action: Action::Update,
                entity: "research-request",
                entity_id: Some(r.id.clone()),
                details: json!({ "status": r.status, "reason": r.reason, "expiresOn": r.expires_on }),
            })?;
            Ok::<_, ApiError>(r)
        })
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Approve a research request, setting the data-use expiry.
///
/// The items are checked again against the de-identification rules: an item whose release
/// would break them is refused here with the reason, never silently dropped.
#[utoipa::path(
    tag = "research",
    params(("id" = String, Path, description = "Request id")),
    request_body = Approval,
    responses(
        (status = 200, body = ResearchRequest),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[post("/research-requests/{id}/approve")]
pub async fn approve_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<Approval>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    decide(
        state,
        req,
        caller,
        id.into_inner(),
        true,
        body.reason,
        Some(body.expires_on),
    )
    .await
}

/// Reject a research request, with a reason.
#[utoipa::path(
    tag = "research",
    params(("id" = String, Path, description = "Request id")),
    request_body = Rejection,
    responses(
        (status = 200, body = ResearchRequest),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[post("/research-requests/{id}/reject")]
pub async fn reject_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<Rejection>,
) -> Result<HttpResponse, ApiError> {
    decide(
        state,
        req,
        caller,
        id.into_inner(),
        false,
        Some(body.into_inner().reason),
        None,
    )
    .await
}

/// An extract to release.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractRequest {
    /// `csv` or `naaccr-xml` (record type I).
    #[schema(pattern = "^(csv|naaccr-xml)$")]
    pub format: String,
}

/// Hashes what it writes.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Runs `f` in one read-only transaction that reads one snapshot on both backends: SQLite's
/// read transaction does by itself, PostgreSQL's default (read committed) takes a new snapshot
/// per statement, so an extract's two passes over the cases could disagree.
fn snapshot<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    conn.transaction(|conn| {
        if matches!(conn, DbConn::Postgres(_)) {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(conn)?;
        }
        f(conn)
    })
}

/// What a release gave out, as read.
struct Released {
    request_id: String,
    /// The researcher releasing it (the request's owner).
    owner: String,
    kind: &'static str,
    /// The items (`items`) or dimensions (`groupBy`) released, under that name in the audit row.
    items: (&'static str, Vec<String>),
    records: u64,
    sha256: String,
}

/// Logs a release in a short write: reads the request again and checks it may still be
/// released (it may have expired since it was read), then records the release and its audit
/// row. On an error nothing is logged, and the caller discards what it prepared.
async fn log_release(
    state: &AppState,
    actor: Actor,
    released: Released,
) -> Result<ReleaseRecord, ApiError> {
    let today = today()?;
    state
        .db
        .write(move |conn| {
            let r = released;
            let request = requests::get(conn, &r.request_id, Some(&r.owner))?;
            requests::check_releasable(&request, &today)?;
            let (name, items) = r.items;
            let release = requests::record_release(
                conn,
                &request.id,
                r.kind,
                &items,
                r.records as i64,
                &r.sha256,
                &r.owner,
            )?;
            let mut details = json!({
                "release": release.id, "kind": r.kind, "records": r.records, "sha256": r.sha256,
            });
            details[name] = json!(items);
            audit::record(
                conn,
                &actor,
                Event {
                    action: Action::Release,
                    entity: "research-request",
                    entity_id: Some(request.id),
                    details,
                },
            )?;
            Ok(release)
        })
        .await
}

/// Release a de-identified extract.
///
/// Only from an approved request whose data use has not expired. The body is the file
/// (`text/csv` or `application/xml`), with only the approved items, de-identified by HIPAA Safe
/// Harbor (no direct identifiers; ZIP codes cut to three digits, `000` for small areas; dates
/// reduced to years; ages over 89 as 90; new study ids). Logged as a release with its hash.
#[utoipa::path(
    tag = "research",
    params(("id" = String, Path, description = "Request id")),
    request_body = ExtractRequest,
    responses(
        (status = 201, content((String = "text/csv"), (String = "application/xml"))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["researcher"]))
)]
#[post("/research-requests/{id}/extracts")]
pub async fn create_extract(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<ExtractRequest>,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Researcher])?;
    let (format, kind, content_type) = match body.format.as_str() {
        "csv" => (Format::Csv, "extract-csv", "text/csv; charset=utf-8"),
        "naaccr-xml" => (
            Format::NaaccrXml,
            "extract-naaccr-xml",
            "application/xml; charset=utf-8",
        ),
        other => {
            return Err(ApiError::Invalid(vec![ItemError::new(
                "format",
                None,
                "invalid-code",
                format!("{other:?}: csv or naaccr-xml"),
            )]))
        }
    };
    let dir = state.data_dir.join("releases");
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApiError::Internal(format!("{}: {e}", dir.display())))?;
    let file =
        tempfile::NamedTempFile::new_in(&dir).map_err(|e| ApiError::Internal(e.to_string()))?;
    let actor = actor(&req, &caller);
    let today = today()?;
    let year = u16::try_from(Utc::now().year()).unwrap_or(2026);
    let id = id.into_inner();
    let sub = caller.sub.clone();
    // The extract is read and written to the file on a read connection, in one snapshot, so
    // no write waits behind it (nor it behind them); a dropped file (an error) is removed.
    let (file, request, records, digest) = state
        .db
        .read(move |conn| {
            let (request, records, digest) = snapshot(conn, |conn| {
                let request = requests::get(conn, &id, Some(&caller.sub))?;
                requests::check_releasable(&request, &today)?;
                let out = Hashing {
                    inner: std::io::BufWriter::new(
                        file.reopen()
                            .map_err(|e| ApiError::Internal(e.to_string()))?,
                    ),
                    hash: Sha256::new(),
                };
                let (out, records) = data::extract(conn, &request, format, year, out)?;
                Ok((request, records, hex::encode(out.hash.finalize())))
            })?;
            Ok::<_, ApiError>((file, request, records, digest))
        })
        .await?;
    let release = log_release(
        &state,
        actor,
        Released {
            request_id: request.id,
            owner: sub,
            kind,
            items: ("items", request.items),
            records,
            sha256: digest,
        },
    )
    .await?;
    let reader = file
        .reopen()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    // The temporary file is removed now; the open handle keeps its bytes for the stream.
    drop(file);
    let extension = if format == Format::Csv { "csv" } else { "xml" };
    Ok(HttpResponse::Created()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"extract-{}.{extension}\"",
                release.id
            ),
        ))
        .insert_header(("X-Release-Id", release.id.clone()))
        .insert_header(("X-Release-Sha256", release.sha256.clone()))
        .streaming(stream_file(reader, false)))
}

/// Table dimensions.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// Comma-separated dimensions: siteRecode, dxYear, sex, summaryStage, ageGroup.
    #[param(
        pattern = "^(siteRecode|dxYear|sex|summaryStage|ageGroup)(,(siteRecode|dxYear|sex|summaryStage|ageGroup))*$"
    )]
    pub group_by: String,
    /// Incidence reports only: earliest diagnosis year.
    pub dx_year_from: Option<i32>,
    /// Incidence reports only: latest diagnosis year.
    pub dx_year_to: Option<i32>,
}

/// A suppressed table.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TableResponse {
    pub dimensions: Vec<String>,
    /// Counts below this are suppressed (and enough others that none can be recovered).
    pub threshold: u64,
    /// One row per cell: the group keys, `count` (null when suppressed) and `suppressed`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
    /// Marginal totals (a key is null where the total sums over that dimension), grand total last.
    #[schema(value_type = Vec<Object>)]
    pub totals: Vec<serde_json::Value>,
    /// The release log entry (research requests only).
    pub release_id: Option<String>,
}

fn dimensions(group_by: &str) -> Result<Vec<String>, ApiError> {
    let dims: Vec<String> = group_by
        .split(',')
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    let bad: Vec<ItemError> = dims
        .iter()
        .filter(|d| !DIMENSIONS.contains(&d.as_str()))
        .map(|d| {
            ItemError::new(
                "groupBy",
                None,
                "invalid-code",
                format!("{d:?}: use {}", DIMENSIONS.join(", ")),
            )
        })
        .collect();
    if dims.is_empty() || !bad.is_empty() {
        return Err(ApiError::Invalid(if bad.is_empty() {
            vec![ItemError::new(
                "groupBy",
                None,
                "required",
                "name one or more dimensions",
            )]
        } else {
            bad
        }));
    }
    // A dimension named twice is grouped by once (the response lists the dimensions used).
    let mut seen = std::collections::HashSet::new();
    let dims: Vec<String> = dims
        .into_iter()
        .filter(|d| seen.insert(d.clone()))
        .collect();
    Ok(dims)
}

fn row_json(dims: &[String], row: &crate::research::Row) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (d, k) in dims.iter().zip(&row.keys) {
        m.insert(
            d.clone(),
            k.clone()
                .map(serde_json::Value::from)
                .unwrap_or(serde_json::Value::Null),
        );
    }
    m.insert(
        "count".into(),
        row.count
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null),
    );
    m.insert("suppressed".into(), serde_json::Value::from(row.suppressed));
    serde_json::Value::Object(m)
}

fn site_recode(state: &AppState) -> Result<Arc<SiteRecodeTable>, ApiError> {
    state
        .site_recode
        .clone()
        .map_err(|why| ApiError::Unavailable(format!("tables are not available: {why}")))
}

/// Release a suppressed table.
///
/// Counts of the request's cases grouped by the chosen dimensions; cells under the threshold
/// are suppressed, with enough complementary cells that none can be recovered from the totals.
/// Logged as a release.
#[utoipa::path(
    tag = "research",
    params(("id" = String, Path, description = "Request id"), TableQuery),
    responses(
        (status = 200, body = TableResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["researcher"]))
)]
#[get("/research-requests/{id}/tables")]
pub async fn request_table(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Researcher])?;
    let dims = dimensions(&query.group_by)?;
    let recode = site_recode(&state)?;
    let threshold = state.suppression_threshold;
    let today = today()?;
    let actor = actor(&req, &caller);
    let id = id.into_inner();
    let sub = caller.sub.clone();
    // Counted on a read connection, in one snapshot; only the release log is a write.
    let (request_id, mut response, records, digest) = state
        .db
        .read(move |conn| {
            snapshot(conn, |conn| {
                let request = requests::get(conn, &id, Some(&caller.sub))?;
                requests::check_releasable(&request, &today)?;
                let (table, records) =
                    data::table(conn, &request.selection, &dims, &recode, threshold)?;
                let response = TableResponse {
                    rows: table.cells.iter().map(|r| row_json(&dims, r)).collect(),
                    totals: table.totals.iter().map(|r| row_json(&dims, r)).collect(),
                    dimensions: dims.clone(),
                    threshold,
                    release_id: None,
                };
                let body = serde_json::to_vec(&response.rows).unwrap_or_default();
                let digest = hex::encode(Sha256::digest(&body));
                Ok((request.id, response, records, digest))
            })
        })
        .await?;
    let release = log_release(
        &state,
        actor,
        Released {
            request_id,
            owner: sub,
            kind: "table",
            items: ("groupBy", response.dimensions.clone()),
            records,
            sha256: digest,
        },
    )
    .await?;
    response.release_id = Some(release.id);
    Ok(HttpResponse::Ok().json(response))
}

/// Releases.
#[derive(Serialize, ToSchema)]
pub struct ReleaseList {
    pub data: Vec<ReleaseRecord>,
}

/// The release log of a request: every extract and table released (who, which items, how many
/// records, the hash of what was released).
#[utoipa::path(
    tag = "research",
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, body = ReleaseList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["researcher", "manager"]))
)]
#[get("/research-requests/{id}/releases")]
pub async fn list_releases(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Researcher, Role::Manager])?;
    let data = state
        .db
        .read(move |conn| {
            let request = requests::get(conn, &id, researcher_only(&caller))?;
            Ok::<_, ApiError>(requests::releases(conn, &request.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReleaseList { data }))
}

/// Incidence tables for the registry's reports.
///
/// The same suppressed tables for managers, over every tumor of their facilities (every tumor
/// for a registry-wide manager; optionally by diagnosis years), so a registry can publish its
/// annual report tables.
#[utoipa::path(
    tag = "reports",
    params(TableQuery),
    responses(
        (status = 200, body = TableResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["manager"]))
)]
#[get("/reports/incidence")]
pub async fn incidence(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, ApiError> {
    require(&caller, &[Role::Manager])?;
    let q = query.into_inner();
    let dims = dimensions(&q.group_by)?;
    let recode = site_recode(&state)?;
    let threshold = state.suppression_threshold;
    // A manager limited to some facilities reports on those alone.
    let facilities = match &caller.facilities {
        FacilityScope::All => Vec::new(),
        FacilityScope::Only(list) if list.is_empty() => {
            return Err(ApiError::Auth(AuthError::Forbidden(
                "the token names no facility".into(),
            )))
        }
        FacilityScope::Only(list) => list.clone(),
    };
    let selection = ResearchSelection {
        dx_year_from: q.dx_year_from,
        dx_year_to: q.dx_year_to,
        facilities,
        ..Default::default()
    };
    let response = state
        .db
        .read(move |conn| {
            let (table, _) = data::table(conn, &selection, &dims, &recode, threshold)?;
            Ok::<_, ApiError>(TableResponse {
                rows: table.cells.iter().map(|r| row_json(&dims, r)).collect(),
                totals: table.totals.iter().map(|r| row_json(&dims, r)).collect(),
                dimensions: dims.clone(),
                threshold,
                release_id: None,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(response))
}
