//! Tumors: the abstract proper. Tumor-level NAACCR items, indexed columns derived from them,
//! facility scope from Reporting Facility [540], and the workflow draft -> review -> complete.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Integer, Nullable, Text, Timestamp};
use serde::{Deserialize, Serialize};

use super::items::{self, Checks, Document, ItemChange, ItemError};
use super::patients::{self, resolve_facility};
use super::{check_version, page_limit, Error, Page};
use crate::auth::{Caller, FacilityScope};
use crate::db::schema::tumors;
use crate::db::DbConn;
use crate::naaccr::{Items, Level};

const ENTITY: &str = "tumor";
/// The item that says which facility reported the tumor, and so who may see it.
pub const FACILITY_ITEM: &str = "reportingFacility";

/// Where an abstract is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Review,
    Complete,
    /// Withdrawn: the rows are kept, but the tumor is out of lists, exports and reports.
    Deleted,
}

impl Status {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Review => "review",
            Status::Complete => "complete",
            Status::Deleted => "deleted",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "draft" => Some(Status::Draft),
            "review" => Some(Status::Review),
            "complete" => Some(Status::Complete),
            "deleted" => Some(Status::Deleted),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tumor abstract as the domain sees it; as read for an answer, its items stay the stored
/// document ([`items::Document`]).
#[derive(Debug, Clone)]
pub struct Tumor<I = Items> {
    pub id: String,
    pub patient_id: String,
    pub facility_id: String,
    pub status: Status,
    pub version: i64,
    pub items: I,
    pub source_file: Option<String>,
    pub source_line: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Outcome of the last edit run (`pass`, `warnings`, `errors`, `not-run`), kept by `edits`.
    pub edit_status: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tumors, treat_none_as_default_value = false)]
pub struct TumorRow {
    id: String,
    patient_id: String,
    facility_id: String,
    primary_site: Option<String>,
    histology: Option<String>,
    behavior: Option<String>,
    dx_year: Option<i32>,
    schema_id: Option<String>,
    status: String,
    items: String,
    version: i64,
    source_file: Option<String>,
    source_line: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    edit_status: Option<String>,
    medical_record_number: Option<String>,
}

impl From<TumorRow> for Tumor {
    fn from(mut r: TumorRow) -> Tumor {
        let json = std::mem::take(&mut r.items);
        r.into_tumor(items::from_json(&json))
    }
}

impl From<TumorRow> for Tumor<Document> {
    fn from(mut r: TumorRow) -> Tumor<Document> {
        let json = std::mem::take(&mut r.items);
        r.into_tumor(Document::stored(json))
    }
}

impl TumorRow {
    /// The tumor of this row, with `items` made from the row's JSON by the caller.
    fn into_tumor<I>(self, items: I) -> Tumor<I> {
        Tumor {
            id: self.id,
            patient_id: self.patient_id,
            facility_id: self.facility_id,
            status: Status::parse(&self.status).unwrap_or(Status::Draft),
            version: self.version,
            items,
            source_file: self.source_file,
            source_line: self.source_line,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            edit_status: self.edit_status,
        }
    }
}

/// The searched columns, derived from the items so they can never disagree with them.
#[derive(PartialEq)]
struct Indexed {
    primary_site: Option<String>,
    histology: Option<String>,
    behavior: Option<String>,
    dx_year: Option<i32>,
    schema_id: Option<String>,
    medical_record_number: Option<String>,
}

fn indexed(items: &Items) -> Indexed {
    Indexed {
        primary_site: items.get("primarySite").cloned(),
        histology: items.get("histologicTypeIcdO3").cloned(),
        behavior: items.get("behaviorCodeIcdO3").cloned(),
        dx_year: items
            .get("dateOfDiagnosis")
            .and_then(|d| d.get(0..4))
            .and_then(|y| y.parse().ok()),
        schema_id: items.get("schemaId").cloned(),
        medical_record_number: items.get("medicalRecordNumber").cloned(),
    }
}

/// Where an imported tumor came from.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub file: Option<String>,
    pub line: Option<i64>,
}

/// Abstracts a new tumor for a patient the scope sees. Its facility is Reporting Facility
/// [540] when given, else the caller's only facility (and the item is then filled in).
pub fn create(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_id: &str,
    items: Items,
    source: Source,
) -> Result<Tumor, Error> {
    create_with(conn, scope, patient_id, items, source, Checks::Full)
}

/// [`create`] at a strictness (imports check the exchange format only).
pub fn create_with(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_id: &str,
    items: Items,
    source: Source,
    checks: Checks,
) -> Result<Tumor, Error> {
    patients::get(conn, scope, patient_id)?;
    patients::lock_for_change(conn, patient_id)?;
    let new = prepare(scope, patient_id, items, source, checks)?;
    diesel::insert_into(tumors::table)
        .values(&new.row)
        .execute(conn)?;
    Ok(new.row.into())
}

/// A checked tumor not yet stored, with the outcome of its edits when known (imports store
/// many in one statement, edits included, instead of updating each row after).
#[derive(Insertable)]
#[diesel(table_name = tumors, treat_none_as_default_value = false)]
pub struct NewTumor {
    #[diesel(embed)]
    row: TumorRow,
    edit_failures: Option<String>,
    edits_checked_at: Option<NaiveDateTime>,
}

impl NewTumor {
    pub fn id(&self) -> &str {
        &self.row.id
    }

    /// Records the outcome of the tumor's edits: status, failures as JSON, when checked.
    pub fn set_edits(&mut self, (status, failures, at): (String, String, Option<NaiveDateTime>)) {
        self.row.edit_status = Some(status);
        self.edit_failures = Some(failures);
        self.edits_checked_at = at;
    }
}

/// Checks a new tumor of a patient (which the caller has checked the scope sees) and builds its
/// row, without touching the database. Returns the row and the items as stored.
pub fn prepare(
    scope: &FacilityScope,
    patient_id: &str,
    mut items: Items,
    source: Source,
    checks: Checks,
) -> Result<NewTumor, Error> {
    super::lifecycle::stamp_created(&mut items);
    let named = items.get(FACILITY_ITEM).cloned();
    let facility = resolve_facility(scope, named, FACILITY_ITEM)?;
    items.insert(FACILITY_ITEM.to_string(), facility.clone());
    let errors = items::check_items_with(Level::Tumor, &items, checks);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let ix = indexed(&items);
    let now = Utc::now().naive_utc();
    let row = TumorRow {
        id: uuid::Uuid::now_v7().to_string(),
        patient_id: patient_id.to_string(),
        facility_id: facility,
        primary_site: ix.primary_site,
        histology: ix.histology,
        behavior: ix.behavior,
        dx_year: ix.dx_year,
        schema_id: ix.schema_id,
        status: Status::Draft.as_str().to_string(),
        items: items::to_json(&items),
        version: 1,
        source_file: source.file,
        source_line: source.line,
        created_at: now,
        updated_at: now,
        edit_status: None,
        medical_record_number: ix.medical_record_number,
    };
    Ok(NewTumor {
        row,
        edit_failures: None,
        edits_checked_at: None,
    })
}

/// Stores prepared tumors, several per statement.
pub fn insert_many(conn: &mut DbConn, new: &[NewTumor]) -> Result<(), Error> {
    crate::insert_many!(conn, tumors::table, new, 500)?;
    Ok(())
}

fn find_row(conn: &mut DbConn, scope: &FacilityScope, id: &str) -> Result<TumorRow, Error> {
    let row = tumors::table
        .find(id)
        .select(TumorRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) if scope.allows(&row.facility_id) => Ok(row),
        // Another facility's tumor reads as absent, so its existence is not revealed.
        _ => Err(Error::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        }),
    }
}

/// [`find_row`] for a change: takes the patient's lock first ([`patients::lock_for_change`]),
/// then reads the row under it, so a change committed while this waited is seen.
fn find_row_for_change(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
) -> Result<TumorRow, Error> {
    // The lock first, so the row read is the one a change committed while this waited left
    // (on SQLite the transaction already holds the database).
    patients::lock_for_tumor_change(conn, id)?;
    find_row(conn, scope, id)
}

/// Reads a tumor for a change of it outside this module (saving, recurrence), under the
/// patient's lock.
pub(crate) fn get_for_change(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
) -> Result<Tumor, Error> {
    find_row_for_change(conn, scope, id).map(Tumor::from)
}

/// Reads a tumor the scope may see.
pub fn get(conn: &mut DbConn, scope: &FacilityScope, id: &str) -> Result<Tumor, Error> {
    find_row(conn, scope, id).map(Tumor::from)
}

/// The stored outcome of a tumor's edits as its columns hold it: status, failures (JSON) and
/// when they were checked; `edits::store` reads them.
pub type EditColumns = (Option<String>, Option<String>, Option<NaiveDateTime>);

/// [`get`] with the stored outcome of the tumor's edits, in one statement: the tumor and its
/// outcome come from one snapshot and the read costs one lookup.
pub fn get_with_edit_columns(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
) -> Result<(Tumor<Document>, EditColumns), Error> {
    let row: Option<(TumorRow, Option<String>, Option<NaiveDateTime>)> =
        crate::on_backend!(conn, |c| tumors::table
            .find(id)
            .select((
                TumorRow::as_select(),
                tumors::edit_failures,
                tumors::edits_checked_at,
            ))
            .first(c)
            .optional())?;
    match row {
        Some((row, failures, at)) if scope.allows(&row.facility_id) => {
            let status = row.edit_status.clone();
            Ok((Tumor::from(row), (status, failures, at)))
        }
        _ => Err(Error::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        }),
    }
}

impl TumorRow {
    /// The tumor with only `keys` of its items read (see [`items::only`]).
    fn into_lean(mut self, keys: &[&str]) -> Tumor {
        let json = std::mem::take(&mut self.items);
        self.into_tumor(items::only(&json, keys))
    }
}

/// Filters of the tumor list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub patient_id: Option<String>,
    pub primary_site: Option<String>,
    pub histology: Option<String>,
    pub dx_year: Option<i32>,
    pub dx_year_from: Option<i32>,
    pub dx_year_to: Option<i32>,
    pub facility: Option<String>,
    pub status: Option<Status>,
    pub schema_id: Option<String>,
    /// `pass`, `warnings`, `errors` or `not-run`.
    pub edit_status: Option<String>,
}

/// Lists tumors the scope may see, in id order, after the cursor; their items as a map to work
/// on, or as the stored [`Document`] for an answer.
pub fn list<I>(
    conn: &mut DbConn,
    scope: &FacilityScope,
    filter: &Filter,
    after: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Tumor<I>>, Error>
where
    Tumor<I>: From<TumorRow>,
{
    let limit = page_limit(limit);
    let mut query = tumors::table.into_boxed();
    if let FacilityScope::Only(list) = scope {
        query = query.filter(tumors::facility_id.eq_any(list.clone()));
    }
    if let Some(v) = &filter.patient_id {
        query = query.filter(tumors::patient_id.eq(v.clone()));
    }
    if let Some(v) = &filter.primary_site {
        query = query.filter(tumors::primary_site.eq(v.clone()));
    }
    if let Some(v) = &filter.histology {
        query = query.filter(tumors::histology.eq(v.clone()));
    }
    if let Some(v) = filter.dx_year {
        query = query.filter(tumors::dx_year.eq(v));
    }
    if let Some(v) = filter.dx_year_from {
        query = query.filter(tumors::dx_year.ge(v));
    }
    if let Some(v) = filter.dx_year_to {
        query = query.filter(tumors::dx_year.le(v));
    }
    if let Some(v) = &filter.facility {
        query = query.filter(tumors::facility_id.eq(v.clone()));
    }
    // Withdrawn tumors are listed only when asked for by status.
    match filter.status {
        Some(v) => query = query.filter(tumors::status.eq(v.as_str())),
        None => query = query.filter(tumors::status.ne(Status::Deleted.as_str())),
    }
    if let Some(v) = &filter.schema_id {
        query = query.filter(tumors::schema_id.eq(v.clone()));
    }
    if let Some(v) = &filter.edit_status {
        query = query.filter(tumors::edit_status.eq(v.clone()));
    }
    if let Some(c) = after {
        query = query.filter(tumors::id.gt(c.to_string()));
    }
    let rows: Vec<TumorRow> = query
        .order(tumors::id.asc())
        .limit(limit + 1)
        .select(TumorRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, limit, |r| r.id.as_str(), Tumor::from))
}

/// The UPDATE of [`store`], kept prepared (see [`crate::prepared_statement`]).
struct StoreTumor<'a> {
    id: &'a str,
    version: i64,
    items: String,
    facility_id: &'a str,
    ix: Indexed,
    status: &'a str,
    now: NaiveDateTime,
}

crate::prepared_statement!(StoreTumor);

impl<DB> QueryFragment<DB> for StoreTumor<'_>
where
    DB: Backend
        + HasSqlType<Text>
        + HasSqlType<Integer>
        + HasSqlType<BigInt>
        + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    String: ToSql<Text, DB>,
    i32: ToSql<Integer, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let ix = &self.ix;
        out.push_sql("UPDATE tumors SET items = ");
        out.push_bind_param::<Text, _>(&self.items)?;
        out.push_sql(", facility_id = ");
        out.push_bind_param::<Text, _>(self.facility_id)?;
        for (column, value) in [
            ("primary_site", &ix.primary_site),
            ("histology", &ix.histology),
            ("behavior", &ix.behavior),
            ("schema_id", &ix.schema_id),
            ("medical_record_number", &ix.medical_record_number),
        ] {
            out.push_sql(", ");
            out.push_sql(column);
            out.push_sql(" = ");
            out.push_bind_param::<Nullable<Text>, _>(value)?;
        }
        out.push_sql(", dx_year = ");
        out.push_bind_param::<Nullable<Integer>, _>(&ix.dx_year)?;
        out.push_sql(", status = ");
        out.push_bind_param::<Text, _>(self.status)?;
        push_new_version(&mut out, &self.now, self.id, &self.version)
    }
}

/// The end both tumor UPDATEs share: the version bumped, the time stamped, and the row
/// matched at the version it was read at.
fn push_new_version<'b, DB>(
    out: &mut AstPass<'_, 'b, DB>,
    now: &'b NaiveDateTime,
    id: &'b str,
    version: &'b i64,
) -> QueryResult<()>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    out.push_sql(", version = version + 1, updated_at = ");
    out.push_bind_param::<Timestamp, _>(now)?;
    out.push_sql(" WHERE id = ");
    out.push_bind_param::<Text, _>(id)?;
    out.push_sql(" AND version = ");
    out.push_bind_param::<BigInt, _>(version)?;
    Ok(())
}

/// [`StoreTumor`] for a change that leaves every searched column as it was (most of an
/// abstractor's changes): the row alone is rewritten. Naming a column in SET makes SQLite
/// delete and re-insert its entry in every index holding it, changed or not (so `EXPLAIN`
/// shows): seven indexes for a changed remark.
struct StoreItems<'a> {
    id: &'a str,
    version: i64,
    items: String,
    now: NaiveDateTime,
}

crate::prepared_statement!(StoreItems);

impl<DB> QueryFragment<DB> for StoreItems<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE tumors SET items = ");
        out.push_bind_param::<Text, _>(&self.items)?;
        push_new_version(&mut out, &self.now, self.id, &self.version)
    }
}

/// Writes new items and status at `tumor.version`, bumping the version; stale if another
/// writer got there first.
pub(crate) fn store(conn: &mut DbConn, tumor: &mut Tumor) -> Result<(), Error> {
    store_with(conn, tumor, true)
}

/// [`store`]; with `reindex` false the searched columns (and the facility and status) are
/// left as they are: only for a change known to leave them so.
fn store_with(conn: &mut DbConn, tumor: &mut Tumor, reindex: bool) -> Result<(), Error> {
    super::lifecycle::stamp_changed(&mut tumor.items);
    let now = Utc::now().naive_utc();
    let updated = if reindex {
        StoreTumor {
            id: &tumor.id,
            version: tumor.version,
            items: items::to_json(&tumor.items),
            facility_id: &tumor.facility_id,
            ix: indexed(&tumor.items),
            status: tumor.status.as_str(),
            now,
        }
        .execute(conn)?
    } else {
        StoreItems {
            id: &tumor.id,
            version: tumor.version,
            items: items::to_json(&tumor.items),
            now,
        }
        .execute(conn)?
    };
    if updated == 0 {
        return Err(Error::StaleVersion {
            entity: ENTITY,
            current: tumor.version + 1,
        });
    }
    tumor.version += 1;
    tumor.updated_at = now.and_utc();
    Ok(())
}

/// Merges item changes into a tumor at the expected version. Moving it to another facility
/// needs that facility in scope too; Reporting Facility [540] cannot be removed.
pub fn update(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    expected: Option<i64>,
    changes: &BTreeMap<String, Option<String>>,
) -> Result<(Tumor, Vec<ItemChange>), Error> {
    update_with(conn, scope, id, expected, changes, Checks::Full)
}

/// [`update`] at a strictness.
pub fn update_with(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    expected: Option<i64>,
    changes: &BTreeMap<String, Option<String>>,
    checks: Checks,
) -> Result<(Tumor, Vec<ItemChange>), Error> {
    update_then(conn, scope, id, expected, changes, checks, |_| Ok(()))
}

/// [`update_with`], with `finish` given the changed tumor before it is stored (where the
/// service sets what it keeps, such as derived items). The changes returned are all of them.
pub(crate) fn update_then(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    expected: Option<i64>,
    changes: &BTreeMap<String, Option<String>>,
    checks: Checks,
    finish: impl FnOnce(&mut Tumor) -> Result<(), Error>,
) -> Result<(Tumor, Vec<ItemChange>), Error> {
    let tumor = get_for_change(conn, scope, id)?;
    update_locked(conn, scope, tumor, expected, changes, checks, finish)
}

/// [`update_then`] on a tumor its caller read with [`get_for_change`] in this transaction.
pub(crate) fn update_locked(
    conn: &mut DbConn,
    scope: &FacilityScope,
    mut tumor: Tumor,
    expected: Option<i64>,
    changes: &BTreeMap<String, Option<String>>,
    checks: Checks,
    finish: impl FnOnce(&mut Tumor) -> Result<(), Error>,
) -> Result<(Tumor, Vec<ItemChange>), Error> {
    let version = tumor.version;
    if tumor.status == Status::Deleted {
        return Err(Error::Conflict(format!(
            "tumor {} was withdrawn (deleted) and cannot be changed",
            tumor.id
        )));
    }
    match changes.get(FACILITY_ITEM) {
        Some(None) => {
            return Err(Error::Invalid(vec![ItemError::new(
                FACILITY_ITEM,
                Some(540),
                "required",
                "Reporting Facility [540] decides who may see the tumor and cannot be removed",
            )]))
        }
        Some(Some(f)) if !scope.allows(f) => {
            return Err(Error::Forbidden(format!(
                "your token does not cover facility {f}"
            )))
        }
        _ => {}
    }
    let before = tumor.items.clone();
    items::apply_changes_with(Level::Tumor, &mut tumor.items, changes, checks)
        .map_err(Error::Invalid)?;
    // The request's own checks come before its precondition (RFC 9110 13.2.2): a malformed
    // change is 422 whatever version it names.
    check_version(ENTITY, expected, version)?;
    finish(&mut tumor)?;
    let changed = items::diff(&before, &tumor.items);
    if changed.is_empty() {
        return Ok((tumor, changed));
    }
    if let Some(f) = tumor.items.get(FACILITY_ITEM) {
        tumor.facility_id = f.clone();
    }
    // The stored searched columns are those of the items before (every write derives them);
    // the status does not change here.
    let reindex = indexed(&before) != indexed(&tumor.items)
        || before.get(FACILITY_ITEM) != tumor.items.get(FACILITY_ITEM);
    store_with(conn, &mut tumor, reindex)?;
    Ok((tumor, changed))
}

/// Erases a tumor's row (the lifecycle decides when that is allowed; see
/// [`super::withdrawal`]).
pub(crate) fn erase(conn: &mut DbConn, id: &str) -> Result<(), Error> {
    diesel::delete(tumors::table.filter(tumors::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Reads a tumor row for a removal, checking the scope and the version (`None`: If-Match was
/// not sent, refused like every other write without it).
pub(crate) fn get_at(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    expected: Option<i64>,
) -> Result<Tumor, Error> {
    let row = find_row_for_change(conn, scope, id)?;
    check_version(ENTITY, expected, row.version)?;
    Ok(row.into())
}

/// Moves a tumor through the workflow. Forward: draft -> review (any abstractor), review ->
/// complete (reviewers and managers). Back (review -> draft, complete -> review or draft)
/// needs a reason, and reopening a complete abstract needs a reviewer.
pub fn set_status(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    expected: Option<i64>,
    to: Status,
    reason: Option<&str>,
) -> Result<(Tumor, Status), Error> {
    let row = find_row_for_change(conn, &caller.facilities, id)?;
    check_version(ENTITY, expected, row.version)?;
    let mut tumor = Tumor::from(row);
    let from = tumor.status;
    super::lifecycle::check_move(from, to, &super::lifecycle::Authority::of(caller, reason))?;
    tumor.status = to;
    if to == Status::Complete {
        super::lifecycle::stamp_completed(&mut tumor.items);
    }
    store(conn, &mut tumor)?;
    Ok((tumor, from))
}

/// Ids of patients with at least one tumor in scope, in order, after a cursor: the walk that
/// follow-up reports page through.
pub fn patient_ids(
    conn: &mut DbConn,
    scope: &FacilityScope,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>, Error> {
    let mut query = tumors::table
        .select(tumors::patient_id)
        .filter(tumors::status.ne(Status::Deleted.as_str()))
        .distinct()
        .into_boxed();
    if let FacilityScope::Only(list) = scope {
        query = query.filter(tumors::facility_id.eq_any(list.clone()));
    }
    if let Some(a) = after {
        query = query.filter(tumors::patient_id.gt(a.to_string()));
    }
    Ok(query
        .order(tumors::patient_id.asc())
        .limit(limit)
        .load(conn)?)
}

/// The tumors in scope of these patients (any number: asked a chunk of ids at a time, see
/// `patients::many`), ordered by patient then id.
pub fn for_patients(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_ids: &[String],
) -> Result<Vec<Tumor>, Error> {
    Ok(for_patients_rows(conn, scope, patient_ids)?
        .into_iter()
        .map(Tumor::from)
        .collect())
}

/// [`for_patients`] with only `keys` of each tumor's items read (see [`items::only`]).
pub(crate) fn for_patients_lean(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_ids: &[String],
    keys: &[&str],
) -> Result<Vec<Tumor>, Error> {
    Ok(for_patients_rows(conn, scope, patient_ids)?
        .into_iter()
        .map(|row| row.into_lean(keys))
        .collect())
}

fn for_patients_rows(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_ids: &[String],
) -> Result<Vec<TumorRow>, Error> {
    if let ([id], FacilityScope::All) = (patient_ids, scope) {
        // One patient in central scope (a change's cross-tumor checks): a statement of one
        // shape, which diesel keeps prepared, where the boxed one below is compiled each time.
        return Ok(tumors::table
            .filter(tumors::patient_id.eq(id))
            .filter(tumors::status.ne(Status::Deleted.as_str()))
            .order(tumors::id.asc())
            .select(TumorRow::as_select())
            .load(conn)?);
    }
    let mut rows: Vec<TumorRow> = Vec::new();
    for chunk in super::distinct(patient_ids).chunks(super::ID_CHUNK) {
        let mut query = tumors::table
            .filter(tumors::patient_id.eq_any(chunk))
            .filter(tumors::status.ne(Status::Deleted.as_str()))
            .into_boxed();
        if let FacilityScope::Only(list) = scope {
            query = query.filter(tumors::facility_id.eq_any(list.clone()));
        }
        rows.extend(query.select(TumorRow::as_select()).load(conn)?);
    }
    rows.sort_by(|a, b| (&a.patient_id, &a.id).cmp(&(&b.patient_id, &b.id)));
    Ok(rows)
}

/// Tumors in scope matching `filter` (and, when given, any of `facilities`), ordered by
/// patient then id, after a `(patient id, tumor id)` cursor: how exports walk the registry
/// with flat memory, one patient's tumors together.
pub fn page_by_patient(
    conn: &mut DbConn,
    scope: &FacilityScope,
    filter: &Filter,
    facilities: Option<&[String]>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Tumor>, Error> {
    // The cursor is split into "rest of this patient" and "later patients": each is a range
    // scan of the (patient_id, id) index, where one OR condition made the planners scan from
    // the start on every page.
    let mut rows = match after {
        Some((p, t)) => {
            let mut same = export_query(scope, filter, facilities)
                .filter(tumors::patient_id.eq(p.to_string()))
                .filter(tumors::id.gt(t.to_string()))
                .order((tumors::patient_id.asc(), tumors::id.asc()))
                .limit(limit)
                .select(TumorRow::as_select())
                .load(conn)?;
            let rest = limit - same.len() as i64;
            if rest > 0 {
                same.extend(
                    export_query(scope, filter, facilities)
                        .filter(tumors::patient_id.gt(p.to_string()))
                        .order((tumors::patient_id.asc(), tumors::id.asc()))
                        .limit(rest)
                        .select(TumorRow::as_select())
                        .load(conn)?,
                );
            }
            same
        }
        None => export_query(scope, filter, facilities)
            .order((tumors::patient_id.asc(), tumors::id.asc()))
            .limit(limit)
            .select(TumorRow::as_select())
            .load(conn)?,
    };
    Ok(rows.drain(..).map(Tumor::from).collect())
}

fn export_query<'a>(
    scope: &FacilityScope,
    filter: &Filter,
    facilities: Option<&[String]>,
) -> tumors::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut query = tumors::table.into_boxed();
    if let FacilityScope::Only(list) = scope {
        query = query.filter(tumors::facility_id.eq_any(list.clone()));
    }
    if let Some(list) = facilities {
        query = query.filter(tumors::facility_id.eq_any(list.to_vec()));
    }
    if let Some(v) = filter.dx_year_from {
        query = query.filter(tumors::dx_year.ge(v));
    }
    if let Some(v) = filter.dx_year_to {
        query = query.filter(tumors::dx_year.le(v));
    }
    // Withdrawn tumors are never exported nor reported.
    query = query.filter(tumors::status.ne(Status::Deleted.as_str()));
    if let Some(v) = filter.status {
        query = query.filter(tumors::status.eq(v.as_str()));
    }
    query
}
