//! Research requests and their releases, as stored: a researcher files a request, a manager
//! approves it (with a data-use expiry) or rejects it, and every extract or table released
//! from it is logged with a hash of what left the registry.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::deid::{validate_request, Refusal};
use crate::abstracts::{self, ItemError};
use crate::db::schema::{research_releases, research_requests};
use crate::db::DbConn;
use crate::naaccr::PartialDate;

/// Which cases a request covers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResearchSelection {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::json_input::opt_i32"
    )]
    pub dx_year_from: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::json_input::opt_i32"
    )]
    pub dx_year_to: Option<i32>,
    /// Primary site codes or prefixes (`C50` = every breast subsite).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
    /// Summary stage codes (Derived Summary Stage 2018, else Summary Stage 2018).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// Reporting facilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facilities: Vec<String>,
}

/// A new request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRequest {
    // `\S`: at least one character that is not blank, as the service requires.
    #[schema(min_length = 1, max_length = 300, pattern = "\\S")]
    pub title: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub investigator: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub institution: String,
    #[schema(min_length = 1, max_length = 5000, pattern = "\\S")]
    pub purpose: String,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub irb_approval_id: String,
    /// CCYYMMDD or YYYY-MM-DD.
    #[schema(
        pattern = "^((18|19|20)[0-9]{2}-?((0[13578]|1[02])-?(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-?(0[1-9]|[12][0-9]|30)|02-?(0[1-9]|1[0-9]|2[0-8]))|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)-?02-?29)$"
    )]
    pub irb_approval_date: String,
    /// The NAACCR XML ids requested: items that may be released (identifiers never are), each
    /// once.
    #[schema(schema_with = releasable_items_schema)]
    pub items: Vec<String>,
    #[serde(default, deserialize_with = "crate::json_input::object")]
    pub selection: ResearchSelection,
}

/// One step of a request's history.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub by: String,
    pub status: String,
    pub reason: Option<String>,
}

/// A stored request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResearchRequest {
    pub id: String,
    pub title: String,
    pub investigator: String,
    pub institution: String,
    pub purpose: String,
    pub irb_approval_id: String,
    pub irb_approval_date: String,
    pub items: Vec<String>,
    pub selection: ResearchSelection,
    /// submitted, approved or rejected.
    pub status: String,
    pub reason: Option<String>,
    /// Last day of data use (CCYYMMDD), set at approval.
    pub expires_on: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub history: Vec<HistoryEntry>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = research_requests)]
struct Row {
    id: String,
    title: String,
    investigator: String,
    institution: String,
    purpose: String,
    irb_approval_id: String,
    irb_approval_date: String,
    items: String,
    selection: String,
    status: String,
    reason: Option<String>,
    expires_on: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>,
    history: String,
    created_by: String,
    created_at: NaiveDateTime,
}

impl From<Row> for ResearchRequest {
    fn from(r: Row) -> ResearchRequest {
        ResearchRequest {
            id: r.id,
            title: r.title,
            investigator: r.investigator,
            institution: r.institution,
            purpose: r.purpose,
            irb_approval_id: r.irb_approval_id,
            irb_approval_date: r.irb_approval_date,
            items: serde_json::from_str(&r.items).unwrap_or_default(),
            selection: serde_json::from_str(&r.selection).unwrap_or_default(),
            status: r.status,
            reason: r.reason,
            expires_on: r.expires_on,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(|t| t.and_utc()),
            history: serde_json::from_str(&r.history).unwrap_or_default(),
            created_by: r.created_by,
            created_at: r.created_at.and_utc(),
        }
    }
}

/// The contract of a request's `items`, from the same classification that refuses them.
fn releasable_items_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let ids: Vec<serde_json::Value> = crate::naaccr::Dictionary::v260()
        .items()
        .iter()
        .filter(|d| {
            !matches!(
                super::deid::classify(d),
                super::deid::ItemClass::Identifier(_)
            )
        })
        .map(|d| serde_json::Value::from(d.id.clone()))
        .collect();
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(ids)),
        )
        .min_items(Some(1))
        .unique_items(true)
        .build()
}

fn invalid(field: &str, rule: &str, message: impl Into<String>) -> abstracts::Error {
    abstracts::Error::Invalid(vec![ItemError::new(field, None, rule, message)])
}

fn today() -> Result<PartialDate, abstracts::Error> {
    full_date("today", &Utc::now().format("%Y%m%d").to_string())
}

/// Parses `YYYY-MM-DD` or `CCYYMMDD` into a full date.
pub fn full_date(field: &str, value: &str) -> Result<PartialDate, abstracts::Error> {
    let compact: String = value.chars().filter(|c| *c != '-').collect();
    match PartialDate::parse(&compact) {
        Ok(d) if d.day.is_some() => Ok(d),
        Ok(_) => Err(invalid(field, "date", "a full date is required")),
        Err(e) => Err(invalid(field, "date", e.to_string())),
    }
}

fn refusal_errors(refusals: Vec<Refusal>) -> abstracts::Error {
    abstracts::Error::Invalid(
        refusals
            .into_iter()
            .map(|r| ItemError::new(&r.item, None, "not-releasable", r.reason))
            .collect(),
    )
}

/// Files a request. Items that could never be released are refused now, with the reason.
pub fn create(
    conn: &mut DbConn,
    new: NewRequest,
    by: &str,
) -> Result<ResearchRequest, abstracts::Error> {
    let mut errors = Vec::new();
    for (field, value, max) in [
        ("title", &new.title, 300),
        ("investigator", &new.investigator, 200),
        ("institution", &new.institution, 200),
        ("purpose", &new.purpose, 5000),
        ("irbApprovalId", &new.irb_approval_id, 100),
    ] {
        if value.trim().is_empty() || value.chars().count() > max {
            errors.push(ItemError::new(
                field,
                None,
                "required",
                format!("1 to {max} characters"),
            ));
        }
    }
    if new.items.is_empty() {
        errors.push(ItemError::new(
            "items",
            None,
            "required",
            "name the NAACCR items requested",
        ));
    }
    if !errors.is_empty() {
        return Err(abstracts::Error::Invalid(errors));
    }
    let irb = full_date("irbApprovalDate", &new.irb_approval_date)?;
    if irb.compare(&today()?) == Some(std::cmp::Ordering::Greater) {
        return Err(invalid(
            "irbApprovalDate",
            "date",
            "an IRB approval cannot be dated in the future",
        ));
    }
    validate_request(&new.items).map_err(refusal_errors)?;
    let now = Utc::now();
    let row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        title: new.title,
        investigator: new.investigator,
        institution: new.institution,
        purpose: new.purpose,
        irb_approval_id: new.irb_approval_id,
        irb_approval_date: irb.to_string(),
        items: serde_json::to_string(&new.items).unwrap_or_default(),
        selection: serde_json::to_string(&new.selection).unwrap_or_default(),
        status: "submitted".into(),
        reason: None,
        expires_on: None,
        decided_by: None,
        decided_at: None,
        history: serde_json::to_string(&[HistoryEntry {
            at: now,
            by: by.to_string(),
            status: "submitted".into(),
            reason: None,
        }])
        .unwrap_or_default(),
        created_by: by.to_string(),
        created_at: now.naive_utc(),
    };
    diesel::insert_into(research_requests::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.into())
}

/// A request; `owner` limits it to that researcher's own (404 otherwise).
pub fn get(
    conn: &mut DbConn,
    id: &str,
    owner: Option<&str>,
) -> Result<ResearchRequest, abstracts::Error> {
    let row: Option<Row> = research_requests::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(r) if owner.is_none_or(|o| o == r.created_by) => Ok(r.into()),
        _ => Err(abstracts::Error::NotFound {
            entity: "research request",
            id: id.to_string(),
        }),
    }
}

/// Requests, newest first; `owner` limits them to one researcher's.
pub fn list(
    conn: &mut DbConn,
    owner: Option<&str>,
) -> Result<Vec<ResearchRequest>, abstracts::Error> {
    let mut q = research_requests::table.into_boxed();
    if let Some(o) = owner {
        q = q.filter(research_requests::created_by.eq(o.to_string()));
    }
    let rows: Vec<Row> = q
        .order(research_requests::id.desc())
        .limit(500)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(ResearchRequest::from).collect())
}

/// Whether a manager of `scope` may decide a request: a manager limited to some facilities
/// decides only requests whose selection is limited to those facilities.
pub fn within_scope(
    selection: &ResearchSelection,
    scope: &crate::auth::FacilityScope,
) -> Result<(), abstracts::Error> {
    match scope {
        crate::auth::FacilityScope::All => Ok(()),
        crate::auth::FacilityScope::Only(mine) => {
            if !selection.facilities.is_empty()
                && selection.facilities.iter().all(|f| mine.contains(f))
            {
                Ok(())
            } else {
                Err(abstracts::Error::Forbidden(format!(
                    "a manager of facilities {} decides only requests whose selection names \
                     facilities among them; this one covers {}",
                    mine.join(", "),
                    if selection.facilities.is_empty() {
                        "every facility".to_string()
                    } else {
                        selection.facilities.join(", ")
                    }
                )))
            }
        }
    }
}

/// Approves (with an expiry) or rejects a submitted request, with a reason.
pub fn decide(
    conn: &mut DbConn,
    id: &str,
    approve: bool,
    reason: Option<String>,
    expires_on: Option<&str>,
    by: &str,
    scope: &crate::auth::FacilityScope,
) -> Result<ResearchRequest, abstracts::Error> {
    let request = get(conn, id, None)?;
    within_scope(&request.selection, scope)?;
    // Separation of duties: whoever filed a request (even holding the manager role too)
    // cannot decide it.
    if request.created_by == by {
        return Err(abstracts::Error::Forbidden(
            "a request cannot be decided by the one who filed it".to_string(),
        ));
    }
    if request.status != "submitted" {
        return Err(abstracts::Error::Conflict(format!(
            "the request is already {}; file a new request to change it",
            request.status
        )));
    }
    let expiry = if approve {
        let Some(e) = expires_on else {
            return Err(invalid(
                "expiresOn",
                "required",
                "an approval sets the data-use expiry (YYYY-MM-DD)",
            ));
        };
        let e = full_date("expiresOn", e)?;
        if e.compare(&today()?) != Some(std::cmp::Ordering::Greater) {
            return Err(invalid(
                "expiresOn",
                "date",
                "the expiry must be in the future",
            ));
        }
        // The item list is checked again: the rules may have changed since it was filed.
        validate_request(&request.items).map_err(refusal_errors)?;
        Some(e.to_string())
    } else {
        if reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(invalid("reason", "required", "a rejection needs a reason"));
        }
        None
    };
    let status = if approve { "approved" } else { "rejected" };
    let now = Utc::now();
    let mut history = request.history.clone();
    history.push(HistoryEntry {
        at: now,
        by: by.to_string(),
        status: status.into(),
        reason: reason.clone(),
    });
    diesel::update(research_requests::table.find(id))
        .set((
            research_requests::status.eq(status),
            research_requests::reason.eq(reason),
            research_requests::expires_on.eq(expiry),
            research_requests::decided_by.eq(Some(by.to_string())),
            research_requests::decided_at.eq(Some(now.naive_utc())),
            research_requests::history.eq(serde_json::to_string(&history).unwrap_or_default()),
        ))
        .execute(conn)?;
    get(conn, id, None)
}

/// Refuses a release from a request that is not approved or whose data use has expired.
pub fn check_releasable(
    request: &ResearchRequest,
    today: &PartialDate,
) -> Result<(), abstracts::Error> {
    if request.status != "approved" {
        return Err(abstracts::Error::Conflict(format!(
            "the request is {}, not approved",
            request.status
        )));
    }
    let expired = request
        .expires_on
        .as_deref()
        .and_then(|e| PartialDate::parse(e).ok())
        .is_none_or(|e| e.compare(today) == Some(std::cmp::Ordering::Less));
    if expired {
        return Err(abstracts::Error::Conflict(
            "the data-use approval has expired".into(),
        ));
    }
    Ok(())
}

/// A release made from a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRecord {
    pub id: String,
    pub request_id: String,
    /// extract-csv, extract-naaccr-xml or table.
    pub kind: String,
    pub items: Vec<String>,
    pub records: i64,
    /// SHA-256 of the bytes released.
    pub sha256: String,
    pub released_by: String,
    pub released_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = research_releases)]
struct ReleaseRow {
    id: String,
    request_id: String,
    kind: String,
    items: String,
    records: i64,
    sha256: String,
    released_by: String,
    released_at: NaiveDateTime,
}

impl From<ReleaseRow> for ReleaseRecord {
    fn from(r: ReleaseRow) -> ReleaseRecord {
        ReleaseRecord {
            id: r.id,
            request_id: r.request_id,
            kind: r.kind,
            items: serde_json::from_str(&r.items).unwrap_or_default(),
            records: r.records,
            sha256: r.sha256,
            released_by: r.released_by,
            released_at: r.released_at.and_utc(),
        }
    }
}

/// Logs a release.
pub fn record_release(
    conn: &mut DbConn,
    request_id: &str,
    kind: &str,
    items: &[String],
    records: i64,
    sha256: &str,
    by: &str,
) -> Result<ReleaseRecord, abstracts::Error> {
    let row = ReleaseRow {
        id: uuid::Uuid::now_v7().to_string(),
        request_id: request_id.to_string(),
        kind: kind.to_string(),
        items: serde_json::to_string(items).unwrap_or_default(),
        records,
        sha256: sha256.to_string(),
        released_by: by.to_string(),
        released_at: Utc::now().naive_utc(),
    };
    diesel::insert_into(research_releases::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.into())
}

/// The releases of a request, oldest first.
pub fn releases(
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Vec<ReleaseRecord>, abstracts::Error> {
    let rows: Vec<ReleaseRow> = research_releases::table
        .filter(research_releases::request_id.eq(request_id))
        .order(research_releases::id.asc())
        .select(ReleaseRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(ReleaseRecord::from).collect())
}
