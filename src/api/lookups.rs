//! `/api/v1/lookups`: codes of data items with their labels, code and word search, surgery
//! codes by site and year.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use crate::auth::{Caller, ANY_ROLE};
use crate::lookups::{self, Query};
use crate::naaccr::Dictionary;

const DEFAULT_LIMIT: usize = 200;
const MAX_LIMIT: usize = 5000;

/// An item that has a code lookup.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LookupItem {
    /// NAACCR XML id.
    pub item: String,
    pub number: Option<u32>,
    pub name: Option<String>,
    /// Number of codes; absent for surgery items, whose codes depend on site and year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The published list the codes come from.
    pub source: String,
}

/// The items that have a lookup.
#[derive(Serialize, ToSchema)]
pub struct LookupItems {
    pub items: Vec<LookupItem>,
}

/// One code.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LookupCode {
    /// The code as entered in the item (ICD-O-3 morphology with behavior: `8500/3`).
    pub code: String,
    /// The preferred label.
    pub label: String,
    /// The synonym or group the query matched, when not the code or label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// Wider heading of the code (for a primary site, its surgery table: `Breast`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Other terms for the code (ICD-O-3 alternate terms), with `synonyms=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synonyms: Option<Vec<String>>,
    /// First diagnosis year the code is valid for, where the source says (surgery codes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<u16>,
    /// Last diagnosis year the code is valid for; absent while it still is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<u16>,
}

/// The codes of an item that match the query, best first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LookupResponse {
    pub item: String,
    pub number: Option<u32>,
    pub name: Option<String>,
    pub source: String,
    /// Codes that matched; `codes` holds the first `limit` of them.
    pub total: usize,
    /// The surgery table edition used (surgery items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition: Option<u16>,
    /// The surgery table used (surgery items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    pub codes: Vec<LookupCode>,
}

/// What to look up.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// A code or its start (`C50`, `8500/3`), or words that start words of a label or synonym
    /// (`infiltrating duct`); exact codes first, then code starts, labels, synonyms. A single
    /// character or a token with a digit matches codes only.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Primary site (`C504`): required for surgery items.
    #[param(pattern = "^[Cc][0-9]{2}\\.?[0-9]$")]
    pub site: Option<String>,
    /// Year of diagnosis (surgery items): picks the table edition; default the latest.
    #[param(minimum = 1900, maximum = 2100)]
    pub year: Option<u16>,
    /// Most codes to return (default 200, at most 5000).
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<usize>,
    /// Include each code's synonyms.
    pub synonyms: Option<bool>,
}

/// Items with a code lookup.
///
/// The NAACCR v26 items whose codes have labels (NAACCR lookups, ICD-O-3 lists) and the
/// surgery items (codes by primary site and diagnosis year).
#[utoipa::path(
    tag = "lookups",
    responses(
        (status = 200, body = LookupItems),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/lookups")]
pub async fn list_lookups(caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    let dictionary = Dictionary::builtin("260");
    let items = lookups::global()
        .list()
        .into_iter()
        .map(|l| {
            let def = dictionary.and_then(|d| d.item(l.id));
            LookupItem {
                item: l.id.to_string(),
                number: def.map(|d| d.number),
                name: def.map(|d| d.name.clone()),
                count: l.count,
                source: l.source.to_string(),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(LookupItems { items }))
}

/// Codes of an item, with labels; search.
///
/// Without `q`, the item's codes in order. With `q`, codes and label words (synonyms included):
/// `histologicTypeIcdO3?q=infiltrating duct` finds 8500/3 under its preferred term,
/// `primarySite?q=breast` finds C500-C509. Surgery items need `site` and take `year`:
/// `rxSummSurgPrimSite2023?site=C504&year=2024`; each surgery code says the years it is valid.
#[utoipa::path(
    tag = "lookups",
    params(
        ("naaccrId" = String, Path, description = "NAACCR XML id of the item"),
        LookupQuery
    ),
    responses(
        (status = 200, body = LookupResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/lookups/{naaccrId}")]
pub async fn get_lookup(
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    let item = path.into_inner();
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit: between 1 and {MAX_LIMIT}, not {limit}"
        )));
    }
    let q = Query {
        q: query.q.as_deref(),
        site: query.site.as_deref(),
        year: query.year,
        limit,
    };
    let answer = lookups::global().find(&item, &q)?;
    let with_synonyms = query.synonyms.unwrap_or(false);
    let def = Dictionary::builtin("260").and_then(|d| d.item(&item));
    Ok(HttpResponse::Ok().json(LookupResponse {
        number: def.map(|d| d.number),
        name: def.map(|d| d.name.clone()),
        item,
        source: answer.source.to_string(),
        total: answer.total,
        edition: answer.table.map(|(year, _)| year),
        table: answer.table.map(|(_, title)| title.to_string()),
        codes: answer
            .hits
            .into_iter()
            .map(|h| LookupCode {
                code: h.entry.code.to_string(),
                label: h.entry.label.to_string(),
                matched: h.matched.map(String::from),
                group: h.entry.group.as_ref().map(|g| g.to_string()),
                synonyms: with_synonyms
                    .then(|| h.entry.synonyms.iter().map(|s| s.to_string()).collect()),
                valid_from: h.valid_from,
                valid_to: h.valid_to,
            })
            .collect(),
    }))
}
