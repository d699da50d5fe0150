//! Patients: patient-level NAACCR items (identity, demographics, follow-up), scoped to the
//! facility that created them and to the facilities of their tumors.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::items::{self, Checks, ItemChange, ItemError};
use super::search::{name_key, Birth, LastName, Ssn};
use super::{check_version, page_limit, Error, Page};
use crate::auth::FacilityScope;
use crate::db::schema::{patient_facilities, patients, tumors};
use crate::db::DbConn;
use crate::naaccr::{Items, Level};

const ENTITY: &str = "patient";

/// A patient as the domain sees it.
#[derive(Debug, Clone)]
pub struct Patient {
    pub id: String,
    /// The reporting facility that created the record.
    pub facility_id: String,
    pub version: i64,
    pub items: Items,
    /// `active`, or `deleted` once withdrawn (the row is kept).
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The stored status of a withdrawn patient.
pub const WITHDRAWN: &str = "deleted";
const ACTIVE: &str = "active";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = patients, treat_none_as_default_value = false)]
pub struct PatientRow {
    id: String,
    facility_id: String,
    patient_id_number: Option<String>,
    items: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    date_of_birth: Option<String>,
    vital_status: Option<String>,
    date_of_last_contact: Option<String>,
    status: String,
    name_last: Option<String>,
    name_last_soundex: Option<String>,
    name_first: Option<String>,
    ssn: Option<String>,
    ssn_last4: Option<String>,
    sex: Option<String>,
    birth_year: Option<i32>,
}

/// The searched columns of a patient, kept from the items (names upper case, trimmed).
pub(crate) struct SearchColumns {
    pub name_last: Option<String>,
    pub name_last_soundex: Option<String>,
    pub name_first: Option<String>,
    pub ssn: Option<String>,
    pub ssn_last4: Option<String>,
    pub sex: Option<String>,
    /// The year of Date of Birth [240] (a birth-year search is an equality on it, in id order).
    pub birth_year: Option<i32>,
}

pub(crate) fn search_columns(items: &Items) -> SearchColumns {
    let ssn = items
        .get("socialSecurityNumber")
        .filter(|s| s.len() == 9)
        .cloned();
    SearchColumns {
        name_last: items.get("nameLast").and_then(|n| name_key(n)),
        name_last_soundex: items
            .get("nameLast")
            .and_then(|n| crate::followup::deaths::soundex(n)),
        name_first: items.get("nameFirst").and_then(|n| name_key(n)),
        ssn_last4: ssn.as_ref().map(|s| s[5..].to_string()),
        ssn,
        sex: items.get("sexAssignedAtBirth").cloned(),
        birth_year: items
            .get("dateOfBirth")
            .and_then(|d| d.get(..4))
            .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|y| y.parse().ok()),
    }
}

impl From<PatientRow> for Patient {
    fn from(r: PatientRow) -> Patient {
        Patient {
            id: r.id,
            facility_id: r.facility_id,
            version: r.version,
            items: items::from_json(&r.items),
            status: r.status,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

impl PatientRow {
    /// The patient with only `keys` of its items read, for a list that reads a few items of
    /// many patients (see [`items::only`]).
    pub(crate) fn into_lean(mut self, keys: &[&str]) -> Patient {
        let json = std::mem::take(&mut self.items);
        let mut patient = Patient::from(self);
        patient.items = items::only(&json, keys);
        patient
    }
}

/// Resolves the facility a new record belongs to: the one named, else the caller's only one.
pub(crate) fn resolve_facility(
    scope: &FacilityScope,
    named: Option<String>,
    field: &str,
) -> Result<String, Error> {
    let facility = match named.or_else(|| scope.single().map(str::to_string)) {
        Some(f) => f,
        None => {
            return Err(Error::Invalid(vec![ItemError::new(
                field,
                None,
                "required",
                "name the reporting facility: your token covers more than one (or all) facilities",
            )]))
        }
    };
    if facility.trim().is_empty() || facility.chars().count() > 10 {
        return Err(Error::Invalid(vec![ItemError::new(
            field,
            None,
            "too-long",
            "a reporting facility id has 1 to 10 characters",
        )]));
    }
    if !scope.allows(&facility) {
        return Err(Error::Forbidden(format!(
            "your token does not cover facility {facility}"
        )));
    }
    Ok(facility)
}

/// Creates a patient for a facility in the caller's scope after checking every item.
pub fn create(
    conn: &mut DbConn,
    scope: &FacilityScope,
    facility: Option<String>,
    items: Items,
) -> Result<Patient, Error> {
    create_with(conn, scope, facility, items, Checks::Full)
}

/// [`create`] at a strictness (imports check the exchange format only).
pub fn create_with(
    conn: &mut DbConn,
    scope: &FacilityScope,
    facility: Option<String>,
    items: Items,
    checks: Checks,
) -> Result<Patient, Error> {
    let new = prepare(scope, facility, items, checks)?;
    diesel::insert_into(patients::table)
        .values(&new.row)
        .execute(conn)?;
    Ok(new.row.into())
}

/// Stores one prepared patient.
pub(crate) fn insert(conn: &mut DbConn, new: NewPatient) -> Result<Patient, Error> {
    diesel::insert_into(patients::table)
        .values(&new.row)
        .execute(conn)?;
    Ok(new.row.into())
}

/// A checked patient not yet stored (imports store many in one statement).
#[derive(Insertable)]
#[diesel(table_name = patients)]
pub struct NewPatient {
    #[diesel(embed)]
    row: PatientRow,
}

impl NewPatient {
    pub fn id(&self) -> &str {
        &self.row.id
    }

    pub fn facility_id(&self) -> &str {
        &self.row.facility_id
    }
}

/// Checks a new patient's items and facility and builds its row, without touching the database.
pub fn prepare(
    scope: &FacilityScope,
    facility: Option<String>,
    items: Items,
    checks: Checks,
) -> Result<NewPatient, Error> {
    let facility = resolve_facility(scope, facility, "facilityId")?;
    let errors = items::check_items_with(Level::Patient, &items, checks);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let now = Utc::now().naive_utc();
    let sc = search_columns(&items);
    Ok(NewPatient {
        row: PatientRow {
            id: uuid::Uuid::now_v7().to_string(),
            facility_id: facility,
            patient_id_number: items.get("patientIdNumber").cloned(),
            items: items::to_json(&items),
            version: 1,
            created_at: now,
            updated_at: now,
            date_of_birth: items.get("dateOfBirth").cloned(),
            vital_status: items.get("vitalStatus").cloned(),
            date_of_last_contact: items.get("dateOfLastContact").cloned(),
            status: ACTIVE.to_string(),
            name_last: sc.name_last,
            name_last_soundex: sc.name_last_soundex,
            name_first: sc.name_first,
            ssn: sc.ssn,
            ssn_last4: sc.ssn_last4,
            sex: sc.sex,
            birth_year: sc.birth_year,
        },
    })
}

/// Stores prepared patients, several per statement.
pub fn insert_many(conn: &mut DbConn, new: &[NewPatient]) -> Result<(), Error> {
    crate::insert_many!(conn, patients::table, new, 1000)?;
    Ok(())
}

/// Of the given Patient ID Numbers [20] of one facility, those already stored, with the id of
/// the first patient holding each (the one an import matches).
pub fn ids_by_number(
    conn: &mut DbConn,
    facility: &str,
    numbers: &[&str],
) -> Result<BTreeMap<String, String>, Error> {
    let mut found = BTreeMap::new();
    for part in numbers.chunks(500) {
        // By number alone, on its own index, facility filtered here: with the facility in the
        // query, both backends walked the facility's patients (SQLite to avoid a sort;
        // PostgreSQL with a plan made when the table was still empty), which made imports
        // quadratic.
        let rows: Vec<(String, Option<String>, String)> = patients::table
            .filter(patients::patient_id_number.eq_any(part))
            .select((
                patients::facility_id,
                patients::patient_id_number,
                patients::id,
            ))
            .load(conn)?;
        for (fac, number, id) in rows {
            let Some(number) = number.filter(|_| fac == facility) else {
                continue;
            };
            let first = found.entry(number).or_insert_with(|| id.clone());
            if id < *first {
                *first = id;
            }
        }
    }
    Ok(found)
}

/// Whether the scope sees the patient: it created it, or sees one of its tumors.
fn visible_ids(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    facility: &str,
) -> Result<bool, Error> {
    let FacilityScope::Only(list) = scope else {
        return Ok(true);
    };
    if list.iter().any(|f| f == facility) {
        return Ok(true);
    }
    let count: i64 = tumors::table
        .filter(tumors::patient_id.eq(id))
        .filter(tumors::facility_id.eq_any(list))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// [`visible_ids`] of a patient.
pub(crate) fn visible_patient(
    conn: &mut DbConn,
    scope: &FacilityScope,
    p: &Patient,
) -> Result<bool, Error> {
    visible_ids(conn, scope, &p.id, &p.facility_id)
}

fn visible(conn: &mut DbConn, scope: &FacilityScope, row: &PatientRow) -> Result<bool, Error> {
    visible_ids(conn, scope, &row.id, &row.facility_id)
}

fn find_row(conn: &mut DbConn, scope: &FacilityScope, id: &str) -> Result<PatientRow, Error> {
    let row = patients::table
        .find(id)
        .select(PatientRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) if visible(conn, scope, &row)? => Ok(row),
        // Out of scope reads as absent: the caller learns nothing about other facilities.
        _ => Err(Error::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        }),
    }
}

/// Takes the patient's row lock for the rest of the write transaction, before anything of the
/// patient is written. Every change of a patient, its tumors or its contacts takes it first:
/// a tumor's change also writes the edit outcomes of the patient's other tumors, and a contact
/// writes the patient and then its tumors, so without one first lock two such changes of one
/// patient could each hold a row the other needs (PostgreSQL found such deadlocks under the
/// mixed load). On SQLite the write transaction already holds the whole database.
pub fn lock_for_change(conn: &mut DbConn, id: &str) -> Result<(), Error> {
    if let DbConn::Postgres(_) = conn {
        diesel::sql_query("SELECT id FROM patients WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(conn)?;
    }
    Ok(())
}

/// [`lock_for_change`] of the patient of tumor `tumor_id` (none when there is no such tumor),
/// in one statement: the tumor is then read once, under the lock.
pub(crate) fn lock_for_tumor_change(conn: &mut DbConn, tumor_id: &str) -> Result<(), Error> {
    if let DbConn::Postgres(_) = conn {
        diesel::sql_query(
            "SELECT id FROM patients WHERE id = (SELECT patient_id FROM tumors WHERE id = $1) FOR UPDATE",
        )
        .bind::<diesel::sql_types::Text, _>(tumor_id)
        .execute(conn)?;
    }
    Ok(())
}

/// [`find_row`] for a change: checks the scope, takes the patient's lock, then reads the row
/// under it (on PostgreSQL), so a change committed while this waited is seen.
fn find_row_for_change(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
) -> Result<PatientRow, Error> {
    let row = find_row(conn, scope, id)?;
    lock_for_change(conn, id)?;
    if matches!(conn, DbConn::Postgres(_)) {
        return find_row(conn, scope, id);
    }
    Ok(row)
}

/// Reads a patient for a change of it outside this module (a contact), under its lock.
pub(crate) fn get_for_change(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
) -> Result<Patient, Error> {
    find_row_for_change(conn, scope, id).map(Patient::from)
}

/// Reads a patient the scope may see.
pub fn get(conn: &mut DbConn, scope: &FacilityScope, id: &str) -> Result<Patient, Error> {
    find_row(conn, scope, id).map(Patient::from)
}

/// Filters of the patient list (see [`super::search::Terms`] for how a client's terms
/// become one).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub patient_id_number: Option<String>,
    pub facility: Option<String>,
    pub name_last: Option<LastName>,
    /// Search key of the first name (exact).
    pub name_first: Option<String>,
    pub birth: Option<Birth>,
    pub ssn: Option<Ssn>,
    /// Medical Record Number [2300] of one of the patient's tumors.
    pub medical_record_number: Option<String>,
    pub sex: Option<String>,
}

/// Lists patients the scope may see, in id order, after the cursor.
pub fn list(
    conn: &mut DbConn,
    scope: &FacilityScope,
    filter: &Filter,
    after: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Patient>, Error> {
    let limit = page_limit(limit);
    let mut query = patients::table.into_boxed();
    if let FacilityScope::Only(list) = scope {
        // One probe of the link table's primary key per candidate row, whichever index drives
        // the search: "own facility or a tumor reported there" as an OR defeated the indexes.
        // `OFFSET 0` keeps it a probe on PostgreSQL: made a semi-join, it was often a merge
        // join reading the facility's link rows in id order up to the page's last match (up to
        // the whole facility, 100k rows at 1M patients) where ~500 probes do.
        query = query.filter(diesel::dsl::exists(
            patient_facilities::table
                .filter(patient_facilities::facility_id.eq_any(list.clone()))
                .filter(patient_facilities::patient_id.eq(patients::id))
                .offset(0),
        ));
    }
    query = query.filter(patients::status.ne(WITHDRAWN));
    if let Some(n) = &filter.patient_id_number {
        query = query.filter(patients::patient_id_number.eq(n.clone()));
    }
    if let Some(f) = &filter.facility {
        query = query.filter(patients::facility_id.eq(f.clone()));
    }
    // Each term is an equality on its own column indexed with id, so the search is an index
    // range scan in id order (the keyset). A name prefix is a range instead: it is read in
    // (name, id) order, the order of its index, with a cursor of both (see `NameCursor`).
    let mut by_name = false;
    match &filter.name_last {
        Some(LastName::Exact(k)) => query = query.filter(patients::name_last.eq(k.clone())),
        Some(LastName::Prefix(from, to)) => {
            by_name = true;
            query = query.filter(patients::name_last.ge(from.clone()));
            if let Some(to) = to {
                query = query.filter(patients::name_last.lt(to.clone()));
            }
        }
        Some(LastName::Soundex(code)) => {
            query = query.filter(patients::name_last_soundex.eq(code.clone()))
        }
        None => {}
    }
    if let Some(k) = &filter.name_first {
        query = query.filter(patients::name_first.eq(k.clone()));
    }
    match &filter.birth {
        Some(Birth::Date(d)) => query = query.filter(patients::date_of_birth.eq(d.clone())),
        Some(Birth::Year(y)) => query = query.filter(patients::birth_year.eq(i32::from(*y))),
        None => {}
    }
    match &filter.ssn {
        Some(Ssn::Full(s)) => query = query.filter(patients::ssn.eq(s.clone())),
        Some(Ssn::LastFour(s)) => query = query.filter(patients::ssn_last4.eq(s.clone())),
        None => {}
    }
    if let Some(m) = &filter.medical_record_number {
        let with_mrn = tumors::table
            .filter(tumors::medical_record_number.eq(m.clone()))
            .select(tumors::patient_id);
        query = query.filter(patients::id.eq_any(with_mrn));
    }
    if let Some(sex) = &filter.sex {
        query = query.filter(patients::sex.eq(sex.clone()));
    }
    if by_name {
        if let Some(c) = after {
            let c = NameCursor::parse(c)?;
            // (name, id) > (c.name, c.id), with the name bound alone first so that it is an
            // index condition on both backends.
            query = query
                .filter(patients::name_last.ge(c.name.clone()))
                .filter(patients::name_last.gt(c.name).or(patients::id.gt(c.id)));
        }
        query = query.order((patients::name_last.asc(), patients::id.asc()));
    } else {
        if let Some(c) = after {
            query = query.filter(patients::id.gt(c.to_string()));
        }
        query = query.order(patients::id.asc());
    }
    let rows: Vec<PatientRow> = if matches!(scope, FacilityScope::Only(_)) {
        // Ids first, rows second: most candidates of a scoped search fail the scope probe,
        // and fetching their table rows (to return them, or to test the status) was most of
        // its time. The ids alone come from the search's index and the link table (an
        // index-only scan with the live-patient indexes), then only the page's rows are read.
        let ids: Vec<String> = query.limit(limit + 1).select(patients::id).load(conn)?;
        let mut rows: Vec<PatientRow> = patients::table
            .filter(patients::id.eq_any(&ids))
            .select(PatientRow::as_select())
            .load(conn)?;
        let order: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        rows.sort_by_key(|r| order.get(r.id.as_str()).copied().unwrap_or(usize::MAX));
        rows
    } else {
        query
            .limit(limit + 1)
            .select(PatientRow::as_select())
            .load(conn)?
    };
    if by_name {
        return Ok(Page::from_rows_keyed(
            rows,
            limit,
            |r| {
                NameCursor {
                    name: r.name_last.clone().unwrap_or_default(),
                    id: r.id.clone(),
                }
                .to_string()
            },
            Patient::from,
        ));
    }
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.as_str(),
        Patient::from,
    ))
}

/// The cursor of a last-name prefix search, whose pages follow (name key, id): `KEY:id`. A
/// name key holds letters only, so the first `:` ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCursor {
    pub name: String,
    pub id: String,
}

impl NameCursor {
    /// Reads a cursor a prefix search gave (422 on anything else, e.g. an id-order cursor).
    pub fn parse(s: &str) -> Result<NameCursor, Error> {
        match s.split_once(':') {
            Some((name, id))
                if !name.is_empty()
                    && !id.is_empty()
                    && name_key(name).as_deref() == Some(name) =>
            {
                Ok(NameCursor {
                    name: name.to_string(),
                    id: id.to_string(),
                })
            }
            _ => Err(Error::Invalid(vec![ItemError::new(
                "cursor",
                None,
                "invalid",
                "not a cursor of this search: pass the `next` of its previous page",
            )])),
        }
    }
}

impl std::fmt::Display for NameCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.name, self.id)
    }
}

/// Merges item changes into a patient at the expected version.
pub fn update(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    expected: Option<i64>,
    changes: &BTreeMap<String, Option<String>>,
) -> Result<(Patient, Vec<ItemChange>), Error> {
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
) -> Result<(Patient, Vec<ItemChange>), Error> {
    let row = find_row_for_change(conn, scope, id)?;
    let version = row.version;
    let mut patient = Patient::from(row);
    if patient.status == WITHDRAWN {
        return Err(Error::Conflict(format!(
            "patient {id} was withdrawn (deleted) and cannot be changed"
        )));
    }
    let changed = items::apply_changes_with(Level::Patient, &mut patient.items, changes, checks)
        .map_err(Error::Invalid)?;
    // The request's own checks come before its precondition (RFC 9110 13.2.2).
    check_version(ENTITY, expected, version)?;
    if changed.is_empty() {
        return Ok((patient, changed));
    }
    store(conn, &mut patient)?;
    Ok((patient, changed))
}

/// Writes a patient's items at `patient.version`, bumping the version; stale if another writer
/// got there first. The version in the WHERE clause makes the check and the write one atomic
/// step, even if another writer got in between the caller's read and this statement.
pub(crate) fn store(conn: &mut DbConn, patient: &mut Patient) -> Result<(), Error> {
    let now = Utc::now().naive_utc();
    let items = &patient.items;
    let sc = search_columns(items);
    let updated = diesel::update(
        patients::table
            .filter(patients::id.eq(&patient.id))
            .filter(patients::version.eq(patient.version)),
    )
    .set((
        patients::items.eq(items::to_json(items)),
        patients::patient_id_number.eq(items.get("patientIdNumber").cloned()),
        patients::date_of_birth.eq(items.get("dateOfBirth").cloned()),
        patients::vital_status.eq(items.get("vitalStatus").cloned()),
        patients::date_of_last_contact.eq(items.get("dateOfLastContact").cloned()),
        patients::status.eq(&patient.status),
        patients::name_last.eq(sc.name_last),
        patients::name_last_soundex.eq(sc.name_last_soundex),
        patients::name_first.eq(sc.name_first),
        patients::ssn.eq(sc.ssn),
        patients::ssn_last4.eq(sc.ssn_last4),
        patients::sex.eq(sc.sex),
        patients::birth_year.eq(sc.birth_year),
        patients::version.eq(patient.version + 1),
        patients::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion {
            entity: ENTITY,
            current: patient.version + 1,
        });
    }
    patient.version += 1;
    patient.updated_at = now.and_utc();
    Ok(())
}

/// Reads a patient for a removal, checking the scope and the version (`None`: If-Match was not
/// sent, refused like every other write without it).
pub(crate) fn get_at(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    expected: Option<i64>,
) -> Result<Patient, Error> {
    let row = find_row_for_change(conn, scope, id)?;
    check_version(ENTITY, expected, row.version)?;
    Ok(row.into())
}

/// Erases a patient's row (the lifecycle decides when; see [`super::withdrawal`]).
pub(crate) fn erase(conn: &mut DbConn, id: &str) -> Result<(), Error> {
    diesel::delete(patients::table.filter(patients::id.eq(id))).execute(conn)?;
    Ok(())
}

/// These patients, without a scope check: for callers that found the ids through tumors in
/// their scope.
/// Any number of ids: they are asked a chunk at a time (SQLite binds each id of an `IN` list
/// and refuses more than 32,766), and the answer is ordered by id as one query's would be.
pub fn many(conn: &mut DbConn, ids: &[String]) -> Result<Vec<Patient>, Error> {
    Ok(many_rows(conn, ids)?
        .into_iter()
        .map(Patient::from)
        .collect())
}

/// [`many`] as stored rows, in id order.
pub(crate) fn many_rows(conn: &mut DbConn, ids: &[String]) -> Result<Vec<PatientRow>, Error> {
    let mut rows: Vec<PatientRow> = Vec::new();
    for chunk in super::distinct(ids).chunks(super::ID_CHUNK) {
        rows.extend(
            patients::table
                .filter(patients::id.eq_any(chunk))
                .select(PatientRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

/// Patients the scope sees with this date of birth (death clearance candidates).
pub(crate) fn born_on(
    conn: &mut DbConn,
    scope: &FacilityScope,
    date_of_birth: &str,
) -> Result<Vec<Patient>, Error> {
    let rows: Vec<PatientRow> = patients::table
        .filter(patients::date_of_birth.eq(date_of_birth))
        .order(patients::id.asc())
        .select(PatientRow::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for row in rows {
        if visible(conn, scope, &row)? {
            out.push(row.into());
        }
    }
    Ok(out)
}

/// The patient of a facility with this Patient ID Number [20] (import matching).
pub(crate) fn find_by_number(
    conn: &mut DbConn,
    facility: &str,
    number: &str,
) -> Result<Option<Patient>, Error> {
    let row = patients::table
        .filter(patients::facility_id.eq(facility))
        .filter(patients::patient_id_number.eq(number))
        .order(patients::id.asc())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Patient::from))
}
