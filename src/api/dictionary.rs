//! `/api/v1/dictionary`: the machine-readable NAACCR data dictionary.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use super::items::pattern;
use crate::auth::{Caller, ANY_ROLE};
use crate::naaccr::{codes, Dictionary};

/// One data item.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DictionaryItem {
    /// NAACCR XML id.
    pub id: String,
    /// NAACCR item number.
    pub number: u32,
    pub name: String,
    pub length: u32,
    /// `digits`, `alpha`, `mixed`, `numeric`, `date`, `dateTime` or `text`.
    pub data_type: String,
    /// `NaaccrData`, `Patient` or `Tumor`.
    pub level: String,
    /// Record types the item is written in (A, M, C, I).
    pub record_types: Vec<String>,
    /// The regular expression values match, where the type gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Valid codes, where the service checks them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<String>>,
    /// The NAACCR core group of the item, if it is a core item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_group: Option<String>,
}

/// The dictionary.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DictionaryResponse {
    pub version: String,
    pub dictionary_uri: String,
    pub items: Vec<DictionaryItem>,
}

/// Which dictionary.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DictionaryQuery {
    /// NAACCR version: `260` (default, stored) or `250` (read).
    #[param(pattern = "^(250|260)$")]
    pub version: Option<String>,
}

/// Read the NAACCR data dictionary.
///
/// Every item of the version with its number, name, length, data type, level, record types,
/// pattern, and valid codes where the service checks them.
#[utoipa::path(
    tag = "dictionary",
    params(DictionaryQuery),
    responses(
        (status = 200, body = DictionaryResponse),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager", "researcher", "auditor"]))
)]
#[get("/dictionary/items")]
pub async fn list_dictionary_items(
    caller: Caller,
    query: web::Query<DictionaryQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ANY_ROLE)?;
    let version = query.into_inner().version.unwrap_or_else(|| "260".into());
    let dict = Dictionary::builtin(&version).ok_or_else(|| {
        ApiError::NotFound(format!(
            "dictionary version {version} is not built in: use 260 or 250"
        ))
    })?;
    let items = dict
        .items()
        .iter()
        .map(|d| DictionaryItem {
            id: d.id.clone(),
            number: d.number,
            name: d.name.clone(),
            length: d.length,
            data_type: d.data_type.as_str().to_string(),
            level: d.level.xml_element().to_string(),
            record_types: d
                .record_types
                .to_vec()
                .into_iter()
                .map(String::from)
                .collect(),
            pattern: pattern(d),
            codes: codes::code_values(&d.id),
            core_group: d.core_group.map(String::from),
        })
        .collect();
    Ok(HttpResponse::Ok().json(DictionaryResponse {
        version: dict.version.clone(),
        dictionary_uri: dict.uri.clone(),
        items,
    }))
}
