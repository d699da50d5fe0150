//! Recipients as records: who a submission goes to (a state registry, the NCDB, SEER or
//! another), the record type and NAACCR version it takes, the file-level items written for it,
//! the facilities whose cases go to it and the edit set that gates its files. Submissions
//! name a recipient by id, so "pending" and "changed since last" can never silently follow a
//! misspelled name. Knows nothing of HTTP.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::Error;
use crate::abstracts::ItemError;
use crate::db::schema::{recipient_facilities, recipients};
use crate::db::DbConn;

/// The kinds of recipient.
pub const KINDS: &[&str] = &["state", "ncdb", "seer", "other"];

/// Defaults per kind, used where a request leaves a field out: (record type, NAACCR version,
/// edit set).
///
/// * `state`: a state central registry receiving hospital abstracts. Record type A (hospitals
///   send full abstracts to their central registry: NAACCR Standards Volume II, "Record
///   Types"), the `state-default` edit set of this service (src/edits/sets.rs). States vary;
///   set what yours publishes in its reporting manual.
/// * `ncdb`: the NCDB's Rapid Cancer Reporting System (RCRS) and Call for Data. Record type A
///   and the `coc` edit set (CoC-accredited programs submit full abstracts edited with the
///   NCDB/CoC metafile: ACS CoC "NCDB Call for Data" and RCRS pages, facs.org). UNCONFIRMED
///   here (no source text in this repository): the NAACCR version RCRS accepts at a given time
///   (260 assumed, the current layout), and whether RCRS also takes record type I (an
///   incidence record without confidential text) for its rapid submissions; set `recordType`
///   to `I` on the recipient if your program is told so. The items the NCDB requires are the
///   CoC required-status items the `coc` set's RQCOC edit checks.
/// * `seer`: a SEER program registry's submission: record type I (SEER receives incidence
///   records, no confidential items: SEER Program Coding and Staging Manual / SEER data
///   submission specifications; UNCONFIRMED here), the `seer` edit set.
/// * `other`: record type A, version 260, no edit gate.
pub fn kind_defaults(kind: &str) -> (&'static str, &'static str, Option<&'static str>) {
    match kind {
        "state" => ("A", "260", Some("state-default")),
        "ncdb" => ("A", "260", Some("coc")),
        "seer" => ("I", "260", Some("seer")),
        _ => ("A", "260", None),
    }
}

/// A recipient as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub id: String,
    pub name: String,
    /// `state`, `ncdb`, `seer` or `other`.
    pub kind: String,
    /// A, M, C or I: the record type of its files.
    pub record_type: String,
    /// `260` or `250`.
    pub naaccr_version: String,
    /// Registry ID [40] written on `NaaccrData`.
    pub registry_id: Option<String>,
    /// Registry Type [30] written on `NaaccrData`.
    pub registry_type: Option<String>,
    /// NPI--Registry ID [45] written on `NaaccrData`.
    pub npi_registry_id: Option<String>,
    /// Reporting facilities whose cases go to it; empty: every facility the sender may see.
    pub facilities: Vec<String>,
    /// Edit set gating its files (`coc`, `seer`, `npcr`, `state-default`); none: no gate.
    pub edit_set: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A recipient to create or the whole of its new state (PUT). Omitted record type, version
/// and edit set take the kind's defaults.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecipientInput {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(pattern = "^(state|ncdb|seer|other)$")]
    pub kind: String,
    #[schema(pattern = "^[AMCI]$")]
    pub record_type: Option<String>,
    #[schema(pattern = "^(250|260)$")]
    pub naaccr_version: Option<String>,
    #[schema(pattern = "^[0-9]{10}$")]
    pub registry_id: Option<String>,
    #[schema(pattern = "^[0-9]$")]
    pub registry_type: Option<String>,
    #[schema(pattern = "^[0-9]{10}$")]
    pub npi_registry_id: Option<String>,
    #[serde(default)]
    pub facilities: Vec<String>,
    pub edit_set: Option<String>,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = recipients)]
struct Row {
    id: String,
    name: String,
    kind: String,
    record_type: String,
    naaccr_version: String,
    registry_id: Option<String>,
    registry_type: Option<String>,
    npi_registry_id: Option<String>,
    edit_set: Option<String>,
    version: i64,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// The input checked and completed with the kind's defaults; every problem listed.
fn validate(input: &RecipientInput) -> Result<RecipientInput, Error> {
    let mut errors = Vec::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(ItemError::new(
            "name",
            None,
            "required",
            "name the recipient (1 to 100 characters)",
        ));
    }
    if !KINDS.contains(&input.kind.as_str()) {
        errors.push(ItemError::new(
            "kind",
            None,
            "invalid-code",
            "state, ncdb, seer or other",
        ));
    }
    let (rt, version, set) = kind_defaults(&input.kind);
    let record_type = input.record_type.clone().unwrap_or_else(|| rt.into());
    if !["A", "M", "C", "I"].contains(&record_type.as_str()) {
        errors.push(ItemError::new(
            "recordType",
            None,
            "invalid-code",
            "A, M, C or I",
        ));
    }
    let naaccr_version = input
        .naaccr_version
        .clone()
        .unwrap_or_else(|| version.into());
    if !["260", "250"].contains(&naaccr_version.as_str()) {
        errors.push(ItemError::new(
            "naaccrVersion",
            None,
            "invalid-code",
            "260 or 250",
        ));
    }
    if let Some(id) = &input.registry_id {
        if !digits(id, 10) {
            errors.push(ItemError::new(
                "registryId",
                Some(40),
                "data-type",
                "Registry ID is 10 digits",
            ));
        }
    }
    if let Some(t) = &input.registry_type {
        if !digits(t, 1) {
            errors.push(ItemError::new(
                "registryType",
                Some(30),
                "data-type",
                "Registry Type is 1 digit",
            ));
        }
    }
    if let Some(npi) = &input.npi_registry_id {
        if !crate::facilities::npi_valid(npi) {
            errors.push(ItemError::new(
                "npiRegistryId",
                Some(45),
                "check-digit",
                "NPI--Registry ID is a 10-digit NPI with a valid check digit",
            ));
        }
    }
    for f in &input.facilities {
        if !digits(f, 10) {
            errors.push(ItemError::new(
                "facilities",
                Some(540),
                "data-type",
                format!("{f:?}: a Reporting Facility id is 10 digits"),
            ));
        }
    }
    let edit_set = match &input.edit_set {
        Some(s) => Some(s.clone()),
        None => set.map(String::from),
    };
    if let Some(s) = &edit_set {
        if crate::edits::sets::by_name(s).is_none() {
            errors.push(ItemError::new(
                "editSet",
                None,
                "invalid-code",
                format!("{s:?} is not an edit set (coc, seer, npcr, state-default)"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let mut facilities = input.facilities.clone();
    facilities.sort();
    facilities.dedup();
    Ok(RecipientInput {
        name: name.to_string(),
        kind: input.kind.clone(),
        record_type: Some(record_type),
        naaccr_version: Some(naaccr_version),
        registry_id: input.registry_id.clone(),
        registry_type: input.registry_type.clone(),
        npi_registry_id: input.npi_registry_id.clone(),
        facilities,
        edit_set,
    })
}

fn name_taken(conn: &mut DbConn, name: &str, except: &str) -> Result<bool, Error> {
    let n: i64 = recipients::table
        .filter(recipients::name.eq(name))
        .filter(recipients::id.ne(except))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn set_facilities(conn: &mut DbConn, id: &str, list: &[String]) -> Result<(), Error> {
    diesel::delete(recipient_facilities::table.filter(recipient_facilities::recipient_id.eq(id)))
        .execute(conn)?;
    for f in list {
        diesel::insert_into(recipient_facilities::table)
            .values((
                recipient_facilities::recipient_id.eq(id),
                recipient_facilities::facility_id.eq(f),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn row_of(id: String, v: RecipientInput, version: i64, by: String, created: NaiveDateTime) -> Row {
    Row {
        id,
        name: v.name,
        kind: v.kind,
        record_type: v.record_type.unwrap_or_default(),
        naaccr_version: v.naaccr_version.unwrap_or_default(),
        registry_id: v.registry_id,
        registry_type: v.registry_type,
        npi_registry_id: v.npi_registry_id,
        edit_set: v.edit_set,
        version,
        created_by: by,
        created_at: created,
        updated_at: Utc::now().naive_utc(),
    }
}

/// Creates a recipient (a name already used is 409).
pub fn create(conn: &mut DbConn, input: &RecipientInput, by: &str) -> Result<Recipient, Error> {
    let v = validate(input)?;
    if name_taken(conn, &v.name, "")? {
        return Err(Error::Conflict(format!(
            "a recipient named {:?} exists",
            v.name
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let facilities = v.facilities.clone();
    let row = row_of(id.clone(), v, 1, by.to_string(), Utc::now().naive_utc());
    diesel::insert_into(recipients::table)
        .values(&row)
        .execute(conn)?;
    set_facilities(conn, &id, &facilities)?;
    get(conn, &id)
}

/// Replaces a recipient at the version `If-Match` named (absent 428, stale 412).
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected: Option<i64>,
    input: &RecipientInput,
) -> Result<Recipient, Error> {
    let current = get(conn, id)?;
    crate::abstracts::check_version("recipient", expected, current.version)?;
    let v = validate(input)?;
    if name_taken(conn, &v.name, id)? {
        return Err(Error::Conflict(format!(
            "a recipient named {:?} exists",
            v.name
        )));
    }
    let facilities = v.facilities.clone();
    let row = row_of(
        id.to_string(),
        v,
        current.version + 1,
        current.created_by,
        current.created_at.naive_utc(),
    );
    diesel::update(recipients::table.find(id))
        .set(&row)
        .execute(conn)?;
    set_facilities(conn, id, &facilities)?;
    get(conn, id)
}

fn complete(conn: &mut DbConn, r: Row) -> Result<Recipient, Error> {
    let facilities = recipient_facilities::table
        .filter(recipient_facilities::recipient_id.eq(&r.id))
        .order(recipient_facilities::facility_id.asc())
        .select(recipient_facilities::facility_id)
        .load(conn)?;
    Ok(Recipient {
        id: r.id,
        name: r.name,
        kind: r.kind,
        record_type: r.record_type,
        naaccr_version: r.naaccr_version,
        registry_id: r.registry_id,
        registry_type: r.registry_type,
        npi_registry_id: r.npi_registry_id,
        facilities,
        edit_set: r.edit_set,
        version: r.version,
        created_by: r.created_by,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    })
}

/// A recipient by id, `None` when there is none.
pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Recipient>, Error> {
    let row: Option<Row> = recipients::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| complete(conn, r)).transpose()
}

/// A recipient by id (404 when there is none).
pub fn get(conn: &mut DbConn, id: &str) -> Result<Recipient, Error> {
    find(conn, id)?.ok_or_else(|| Error::NotFound(format!("recipient {id} was not found")))
}

/// Every recipient, by name (a registry has a handful).
pub fn list(conn: &mut DbConn) -> Result<Vec<Recipient>, Error> {
    let rows: Vec<Row> = recipients::table
        .order(recipients::name.asc())
        .limit(1000)
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(|r| complete(conn, r)).collect()
}
