//! Due and delinquent lists, letters, and the CoC follow-up rates, computed over the patients
//! with tumors in the caller's facilities.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

use super::eligibility;
use super::Error;
use crate::abstracts::patients::{self, Patient};
use crate::abstracts::tumors::{self, Tumor};
use crate::auth::FacilityScope;
use crate::db::DbConn;
use crate::naaccr::PartialDate;

/// Months without contact after which a patient is delinquent (lost to follow-up).
pub const DELINQUENT_MONTHS: i32 = 15;
/// CoC standard for all eligible cases since the reference date.
pub const STANDARD_SINCE_REFERENCE: f64 = 0.80;
/// CoC standard for cases diagnosed in the last five years.
pub const STANDARD_LAST_FIVE_YEARS: f64 = 0.90;

const CHUNK: i64 = 500;

/// Walks every patient with tumors in scope, a chunk at a time, with those tumors.
fn each_patient(
    conn: &mut DbConn,
    scope: &FacilityScope,
    mut f: impl FnMut(&Patient, &[Tumor]),
) -> Result<(), Error> {
    let mut after: Option<String> = None;
    loop {
        let ids = tumors::patient_ids(conn, scope, after.as_deref(), CHUNK)?;
        let Some(last) = ids.last().cloned() else {
            return Ok(());
        };
        let people = patients::many(conn, &ids)?;
        let all = tumors::for_patients(conn, scope, &ids)?;
        let mut by_patient: BTreeMap<&str, Vec<Tumor>> = BTreeMap::new();
        for t in &all {
            by_patient
                .entry(t.patient_id.as_str())
                .or_default()
                .push(t.clone());
        }
        for p in &people {
            if let Some(ts) = by_patient.get(p.id.as_str()) {
                f(p, ts);
            }
        }
        after = Some(last);
    }
}

fn date_item(items: &crate::naaccr::Items, id: &str) -> Option<PartialDate> {
    items.get(id).and_then(|d| PartialDate::parse(d).ok())
}

/// Whole months from a (possibly partial) date to `as_of`; a partial date counts from its
/// latest possible day, so a patient is never called overdue on a guess.
fn months_since(date: &PartialDate, as_of: &PartialDate) -> i32 {
    let latest = PartialDate {
        year: date.year,
        month: Some(date.month.unwrap_or(12)),
        day: Some(
            date.day
                .unwrap_or(if date.month.is_some() { 28 } else { 31 }),
        ),
    };
    latest.months_until(as_of).unwrap_or(0)
}

/// A patient due for follow-up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DueEntry {
    pub patient_id: String,
    pub patient_id_number: Option<String>,
    pub name_last: Option<String>,
    pub name_first: Option<String>,
    /// Date of Last Contact [1750], when recorded.
    pub date_of_last_contact: Option<String>,
    /// Whole months from the last contact (or, without one, the latest diagnosis) to `asOf`.
    pub months_since_contact: i32,
    /// No contact for 15 months or more: lost to follow-up.
    pub delinquent: bool,
    /// Why the patient is followed: the eligible cases.
    pub reasons: Vec<String>,
    /// Facilities of the eligible cases.
    pub facilities: Vec<String>,
}

/// Where a due list page starts: after this patient in the list's order (patients without a
/// Date of Last Contact first, by id; then by that date, oldest first, and id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    NoContact { after: String },
    Contact { date: String, after: String },
}

impl Cursor {
    /// The cursor as sent to clients.
    pub fn encode(&self) -> String {
        match self {
            Cursor::NoContact { after } => format!("n.{after}"),
            Cursor::Contact { date, after } => format!("c.{date}.{after}"),
        }
    }

    /// Parses what [`Cursor::encode`] wrote; `None` for anything else.
    pub fn decode(s: &str) -> Option<Cursor> {
        let plain = |v: &str| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if let Some(after) = s.strip_prefix("n.") {
            return plain(after).then(|| Cursor::NoContact {
                after: after.to_string(),
            });
        }
        let (date, after) = s.strip_prefix("c.")?.split_once('.')?;
        (date.len() <= 8 && date.bytes().all(|b| b.is_ascii_digit()) && plain(after)).then(|| {
            Cursor::Contact {
                date: date.to_string(),
                after: after.to_string(),
            }
        })
    }

    fn of(p: &Patient) -> Cursor {
        match p.items.get("dateOfLastContact") {
            Some(d) => Cursor::Contact {
                date: d.clone(),
                after: p.id.clone(),
            },
            None => Cursor::NoContact {
                after: p.id.clone(),
            },
        }
    }
}

/// One page of the due list, and the cursor of the next (absent after the last).
pub struct DuePage {
    /// Each due patient (with the items the list and the letters read) and its entry.
    pub entries: Vec<(Patient, DueEntry)>,
    pub next: Option<Cursor>,
}

/// Candidates read per query while filling a page.
const CANDIDATES: i64 = 500;

/// The upper bound (exclusive, as text) of a Date of Last Contact that can be due: a contact on
/// or after the first day of the month `due_months - 1` months before `as_of`'s month is less
/// than `due_months` whole months old. Partial dates sort before their full forms, so the bound
/// only narrows the scan; each candidate is then checked exactly.
fn contact_bound(as_of: &PartialDate, due_months: i32) -> String {
    let month0 = i32::from(as_of.year) * 12 + i32::from(as_of.month.unwrap_or(12)) - 1;
    let bound = month0 - (due_months - 1) + 1;
    format!(
        "{:04}{:02}01",
        bound.div_euclid(12),
        bound.rem_euclid(12) + 1
    )
}

/// Reads the next candidates after `cursor`: living (or unknown) patients with a tumor in scope,
/// in list order, whose last contact is old enough to be due. Every read seeks an index on
/// (Date of Last Contact, id): a page never rescans what earlier pages read, and a facility's
/// page costs the same in a registry of any size.
fn candidates(
    conn: &mut DbConn,
    scope: &FacilityScope,
    cursor: &Cursor,
    bound: &Bound,
    limit: i64,
) -> Result<Vec<Patient>, Error> {
    match scope {
        FacilityScope::All => registry_candidates(conn, cursor, &bound.contact, limit),
        FacilityScope::Only(list) => {
            // The first `limit` of the union are among the first `limit` of each facility.
            let mut keys: Vec<(Option<String>, String)> = Vec::new();
            for facility in list {
                keys.extend(facility_candidates(conn, facility, cursor, bound, limit)?);
            }
            keys.sort();
            keys.dedup();
            keys.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let ids: Vec<String> = keys.into_iter().map(|(_, id)| id).collect();
            let rank: std::collections::HashMap<&str, usize> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i))
                .collect();
            let mut people: Vec<Patient> = patients::many_rows(conn, &ids)?
                .into_iter()
                .map(|row| row.into_lean(&PATIENT_ITEMS))
                .collect();
            people.sort_by_key(|p| rank.get(p.id.as_str()).copied());
            Ok(people)
        }
    }
}

/// What a candidate's link row must show to be worth reading.
struct Bound {
    /// A contact on or after this date (text, exclusive) is too recent to be due.
    contact: String,
    /// Born before this year, a patient is over 100 on the list's date.
    born_from: i32,
}

impl Bound {
    fn new(as_of: &PartialDate, due_months: i32) -> Bound {
        // Age on `as_of` is at least as_of.year - birth year - 1: over 100 when that is 101.
        Bound {
            contact: contact_bound(as_of, due_months),
            born_from: i32::from(as_of.year) - 101,
        }
    }
}

/// The next keys `(Date of Last Contact, patient id)` of one facility's patients after
/// `cursor`, from the link table's `(facility, contact, patient)` index, skipping pairs the
/// rules exclude without reading the patient: dead, over 100, or without a tumor in the
/// facility that follow-up may apply to (`followed`, kept by triggers).
fn facility_candidates(
    conn: &mut DbConn,
    facility: &str,
    cursor: &Cursor,
    bound: &Bound,
    limit: i64,
) -> Result<Vec<(Option<String>, String)>, Error> {
    use crate::db::schema::patient_facilities as pf;
    use diesel::prelude::*;

    let mut query = pf::table
        .filter(pf::facility_id.eq(facility.to_string()))
        .filter(pf::vital_status.is_null().or(pf::vital_status.ne("0")))
        .filter(pf::followed.eq(true))
        .filter(
            pf::birth_year
                .is_null()
                .or(pf::birth_year.ge(bound.born_from)),
        )
        .into_boxed();
    let bound = &bound.contact;
    query = match cursor {
        Cursor::NoContact { after } => query
            .filter(pf::date_of_last_contact.is_null())
            .filter(pf::patient_id.gt(after.clone())),
        Cursor::Contact { date, after } => query
            .filter(pf::date_of_last_contact.lt(bound.to_string()))
            .filter(pf::date_of_last_contact.ge(date.clone()))
            .filter(
                pf::date_of_last_contact
                    .gt(date.clone())
                    .or(pf::date_of_last_contact
                        .eq(date.clone())
                        .and(pf::patient_id.gt(after.clone()))),
            ),
    };
    Ok(query
        .order((pf::date_of_last_contact.asc(), pf::patient_id.asc()))
        .limit(limit)
        .select((pf::date_of_last_contact, pf::patient_id))
        .load(conn)?)
}

/// The next candidates of the whole registry (central staff), from the patients' own
/// `(Date of Last Contact, id)` index.
fn registry_candidates(
    conn: &mut DbConn,
    cursor: &Cursor,
    bound: &str,
    limit: i64,
) -> Result<Vec<Patient>, Error> {
    use crate::abstracts::patients::PatientRow;
    use crate::db::schema::{patients as p, tumors as t};
    use diesel::dsl::exists;
    use diesel::prelude::*;

    let mut query = p::table
        .filter(p::vital_status.is_null().or(p::vital_status.ne("0")))
        .filter(exists(t::table.filter(t::patient_id.eq(p::id))))
        .into_boxed();
    query = match cursor {
        Cursor::NoContact { after } => query
            .filter(p::date_of_last_contact.is_null())
            .filter(p::id.gt(after.clone()))
            .order(p::id.asc()),
        // `>= date` bounds the index range (the OR alone would be a filter over every row
        // before the cursor, so each page would rescan the ones before it).
        Cursor::Contact { date, after } => query
            .filter(p::date_of_last_contact.lt(bound.to_string()))
            .filter(p::date_of_last_contact.ge(date.clone()))
            .filter(
                p::date_of_last_contact
                    .gt(date.clone())
                    .or(p::date_of_last_contact
                        .eq(date.clone())
                        .and(p::id.gt(after.clone()))),
            )
            .order((p::date_of_last_contact.asc(), p::id.asc())),
    };
    let rows: Vec<PatientRow> = query
        .limit(limit)
        .select(PatientRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| row.into_lean(&PATIENT_ITEMS))
        .collect())
}

/// The patient items the list's entries read besides eligibility's and the letters'.
const ENTRY_ITEMS: [&str; 3] = ["vitalStatus", "dateOfLastContact", "patientIdNumber"];

/// The patient items the due list reads: eligibility's, the entries' and the letters'. A
/// candidate's other items are skipped unread: most candidates of a large facility are not due.
static PATIENT_ITEMS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut keys: Vec<&str> = eligibility::PATIENT_ITEMS
        .iter()
        .chain(&ENTRY_ITEMS)
        .chain(&LETTER_COLUMNS)
        .copied()
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
});

/// The entry of a patient if due: living, with an eligible case in scope, and a last contact
/// (without one, the latest eligible diagnosis) `due_months` or more before `as_of`.
fn entry(p: &Patient, ts: &[&Tumor], as_of: &PartialDate, due_months: i32) -> Option<DueEntry> {
    if p.items.get("vitalStatus").map(String::as_str) == Some("0") {
        return None;
    }
    let eligible: Vec<(&Tumor, String)> = ts
        .iter()
        .filter_map(|t| {
            eligibility::check(&p.items, &t.items, as_of)
                .ok()
                .map(|r| (*t, r))
        })
        .collect();
    if eligible.is_empty() {
        return None;
    }
    let last = date_item(&p.items, "dateOfLastContact");
    let since = match &last {
        Some(d) => months_since(d, as_of),
        None => eligible
            .iter()
            .filter_map(|(t, _)| date_item(&t.items, "dateOfDiagnosis"))
            .map(|d| months_since(&d, as_of))
            .min()
            .unwrap_or(0),
    };
    if since < due_months {
        return None;
    }
    let mut reasons: Vec<String> = eligible.iter().map(|(_, r)| r.clone()).collect();
    if last.is_none() {
        reasons.push("no contact recorded".to_string());
    }
    let mut facilities: Vec<String> = eligible
        .iter()
        .map(|(t, _)| t.facility_id.clone())
        .collect();
    facilities.sort();
    facilities.dedup();
    Some(DueEntry {
        patient_id: p.id.clone(),
        patient_id_number: p.items.get("patientIdNumber").cloned(),
        name_last: p.items.get("nameLast").cloned(),
        name_first: p.items.get("nameFirst").cloned(),
        date_of_last_contact: p.items.get("dateOfLastContact").cloned(),
        months_since_contact: since,
        delinquent: since >= DELINQUENT_MONTHS,
        reasons,
        facilities,
    })
}

/// Up to `limit` due patients after `cursor` (`None`: from the start), in list order: patients
/// without a recorded contact first, then by Date of Last Contact, oldest (most overdue) first.
/// Reads candidates a batch at a time on indexed columns; memory is bounded by the page.
pub fn due_page(
    conn: &mut DbConn,
    scope: &FacilityScope,
    as_of: &PartialDate,
    due_months: i32,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<DuePage, Error> {
    let bound = Bound::new(as_of, due_months);
    let mut cursor = cursor.unwrap_or(Cursor::NoContact {
        after: String::new(),
    });
    let mut entries = Vec::new();
    loop {
        let batch = candidates(conn, scope, &cursor, &bound, CANDIDATES)?;
        let Some(last) = batch.last() else {
            match cursor {
                Cursor::NoContact { .. } => {
                    cursor = Cursor::Contact {
                        date: String::new(),
                        after: String::new(),
                    };
                    continue;
                }
                Cursor::Contact { .. } => {
                    return Ok(DuePage {
                        entries,
                        next: None,
                    })
                }
            }
        };
        let batch_end = Cursor::of(last);
        let ids: Vec<String> = batch.iter().map(|p| p.id.clone()).collect();
        let all = tumors::for_patients_lean(conn, scope, &ids, eligibility::TUMOR_ITEMS)?;
        let mut by_patient: BTreeMap<&str, Vec<&Tumor>> = BTreeMap::new();
        for t in &all {
            by_patient.entry(t.patient_id.as_str()).or_default().push(t);
        }
        for p in &batch {
            let ts = by_patient
                .get(p.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if let Some(e) = entry(p, ts, as_of, due_months) {
                entries.push((p.clone(), e));
                if entries.len() >= limit {
                    return Ok(DuePage {
                        entries,
                        next: Some(Cursor::of(p)),
                    });
                }
            }
        }
        cursor = batch_end;
    }
}

/// Living patients with an eligible case whose last contact is `due_months` or more before
/// `as_of`, in list order (see [`due_page`]); the whole list in memory, for small callers.
pub fn due_list(
    conn: &mut DbConn,
    scope: &FacilityScope,
    as_of: &PartialDate,
    due_months: i32,
) -> Result<Vec<DueEntry>, Error> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = due_page(conn, scope, as_of, due_months, cursor, 1000)?;
        out.extend(page.entries.into_iter().map(|(_, e)| e));
        match page.next {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// The columns of the due list as CSV.
pub const DUE_CSV_HEADER: &str = "patientId,patientIdNumber,nameLast,nameFirst,dateOfLastContact,monthsSinceContact,delinquent,reasons,facilities\r\n";

/// One due entry as a CSV line.
pub fn due_csv_line(e: &DueEntry) -> String {
    let fields = [
        e.patient_id.clone(),
        e.patient_id_number.clone().unwrap_or_default(),
        e.name_last.clone().unwrap_or_default(),
        e.name_first.clone().unwrap_or_default(),
        e.date_of_last_contact.clone().unwrap_or_default(),
        e.months_since_contact.to_string(),
        e.delinquent.to_string(),
        e.reasons.join("; "),
        e.facilities.join(" "),
    ];
    let mut line: String = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

const LETTER_COLUMNS: [&str; 9] = [
    "nameFirst",
    "nameMiddle",
    "nameLast",
    "addrCurrentNoStreet",
    "addrCurrentSupplementl",
    "addrCurrentCity",
    "addrCurrentState",
    "addrCurrentPostalCode",
    "dateOfLastContact",
];

/// The header of the letters CSV.
pub fn letters_header() -> String {
    let mut csv = String::from("patientId,patientIdNumber,");
    csv.push_str(&LETTER_COLUMNS.join(","));
    csv.push_str(",monthsSinceContact,delinquent\r\n");
    csv
}

/// The mail-merge line of a due patient: the current address.
pub fn letter_line(p: &Patient, d: &DueEntry) -> String {
    let mut fields = vec![
        d.patient_id.clone(),
        d.patient_id_number.clone().unwrap_or_default(),
    ];
    fields.extend(
        LETTER_COLUMNS
            .iter()
            .map(|c| p.items.get(*c).cloned().unwrap_or_default()),
    );
    fields.push(d.months_since_contact.to_string());
    fields.push(d.delinquent.to_string());
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Quotes a CSV field when needed, and defuses spreadsheet formulas.
pub(crate) fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One follow-up rate.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    /// Eligible analytic cases.
    pub eligible: u64,
    /// Of those, cases whose patient is dead or was contacted within 15 months of `asOf`.
    pub current: u64,
    /// current / eligible (1 when there is no eligible case).
    pub rate: f64,
    /// The CoC threshold this rate is held to.
    pub standard: f64,
    pub meets_standard: bool,
}

impl Rate {
    fn finish(mut self, standard: f64) -> Rate {
        self.rate = if self.eligible == 0 {
            1.0
        } else {
            self.current as f64 / self.eligible as f64
        };
        self.standard = standard;
        self.meets_standard = self.rate >= standard;
        self
    }
}

/// Rates of one facility.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FacilityRates {
    pub facility_id: String,
    pub since_reference: Rate,
    pub last_five_years: Rate,
}

/// The CoC follow-up rates.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rates {
    pub as_of: String,
    pub reference_date: String,
    /// All eligible cases diagnosed from the reference date to `asOf` (standard 80%).
    pub since_reference: Rate,
    /// Eligible cases diagnosed in the five calendar years before the year of `asOf`
    /// (standard 90%).
    pub last_five_years: Rate,
    pub by_facility: Vec<FacilityRates>,
}

/// Computes the rates, counting cases (tumors): a case is current when its patient is dead or
/// was contacted within 15 months of `as_of`.
pub fn rates(
    conn: &mut DbConn,
    scope: &FacilityScope,
    as_of: &PartialDate,
    reference: &PartialDate,
) -> Result<Rates, Error> {
    let mut overall = (Rate::default(), Rate::default());
    let mut facilities: BTreeMap<String, (Rate, Rate)> = BTreeMap::new();
    let five = (as_of.year.saturating_sub(5), as_of.year.saturating_sub(1));
    each_patient(conn, scope, |p, ts| {
        let dead = p.items.get("vitalStatus").map(String::as_str) == Some("0");
        let contacted = date_item(&p.items, "dateOfLastContact").is_some_and(|d| {
            months_since(&d, as_of) < DELINQUENT_MONTHS
                && d.compare(as_of) != Some(Ordering::Greater)
        });
        let current = dead || contacted;
        for t in ts {
            if eligibility::check(&p.items, &t.items, as_of).is_err() {
                continue;
            }
            let Some(dx) = date_item(&t.items, "dateOfDiagnosis") else {
                continue;
            };
            if dx.compare(as_of) == Some(Ordering::Greater) {
                continue;
            }
            let since_ref = dx.compare(reference) != Some(Ordering::Less);
            let recent = (five.0..=five.1).contains(&dx.year);
            let entry = facilities.entry(t.facility_id.clone()).or_default();
            for (flag, a, b) in [
                (since_ref, &mut overall.0, &mut entry.0),
                (recent, &mut overall.1, &mut entry.1),
            ] {
                if flag {
                    a.eligible += 1;
                    b.eligible += 1;
                    if current {
                        a.current += 1;
                        b.current += 1;
                    }
                }
            }
        }
    })?;
    Ok(Rates {
        as_of: as_of.to_string(),
        reference_date: reference.to_string(),
        since_reference: overall.0.finish(STANDARD_SINCE_REFERENCE),
        last_five_years: overall.1.finish(STANDARD_LAST_FIVE_YEARS),
        by_facility: facilities
            .into_iter()
            .map(|(facility_id, (s, l))| FacilityRates {
                facility_id,
                since_reference: s.finish(STANDARD_SINCE_REFERENCE),
                last_five_years: l.finish(STANDARD_LAST_FIVE_YEARS),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidates are judged on a few of their items: on generated patients (every class of
    /// case, country, site, age and date the generator makes) the judgement on those items is
    /// the judgement on all of them, and the columns the list shows are among them.
    #[test]
    fn the_items_read_of_candidates_decide_as_all_items_do() {
        use crate::generate::{generate_patient, GeneratorTables};
        let tables = GeneratorTables::load_source(&GeneratorTables::default_source()).unwrap();
        let as_of = PartialDate::parse("20261101").unwrap();
        let mut judged = (0, 0);
        for index in 0..3000 {
            let p = generate_patient(&tables, 7, index);
            let lean = |items: &crate::naaccr::Items, keys: &[&str]| {
                crate::abstracts::items::only(&crate::abstracts::items::to_json(items), keys)
            };
            let patient = lean(&p.items, &PATIENT_ITEMS);
            for key in [
                "vitalStatus",
                "dateOfLastContact",
                "nameLast",
                "patientIdNumber",
            ] {
                assert_eq!(patient.get(key), p.items.get(key), "{key}");
            }
            for t in &p.tumors {
                let tumor = lean(&t.items, eligibility::TUMOR_ITEMS);
                let full = eligibility::check(&p.items, &t.items, &as_of);
                assert_eq!(eligibility::check(&patient, &tumor, &as_of), full);
                assert_eq!(tumor.get("dateOfDiagnosis"), t.items.get("dateOfDiagnosis"));
                if full.is_ok() {
                    judged.0 += 1
                } else {
                    judged.1 += 1
                }
            }
        }
        assert!(
            judged.0 > 100 && judged.1 > 100,
            "both outcomes seen: {judged:?}"
        );
    }

    #[test]
    fn months_since_counts_partial_dates_late() {
        let d = |s| PartialDate::parse(s).unwrap();
        assert_eq!(months_since(&d("20250101"), &d("20260101")), 12);
        assert_eq!(months_since(&d("20241002"), &d("20260101")), 14);
        assert_eq!(months_since(&d("2024"), &d("20260101")), 12);
        assert_eq!(months_since(&d("202409"), &d("20260101")), 15);
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("A,B"), "\"A,B\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("O\"NEIL"), "\"O\"\"NEIL\"");
        assert_eq!(csv_field("\t=1"), "'\t=1");
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        for c in [
            Cursor::NoContact {
                after: "0190-ab".into(),
            },
            Cursor::Contact {
                date: "20250101".into(),
                after: "x_1".into(),
            },
            Cursor::Contact {
                date: "2025".into(),
                after: "y".into(),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        for bad in ["", "n.", "c.2025", "c.abc.x", "x.1", "n.a'b", "c.2025.a b"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_contact_bound_keeps_every_due_date() {
        let d = |s| PartialDate::parse(s).unwrap();
        let as_of = d("20260630");
        for months in [1, 12, 13, 15, 24, 120] {
            let bound = contact_bound(&as_of, months);
            // The latest contact that is still due must sort below the bound.
            for contact in [
                "20250630", "20250501", "2025", "202506", "20240101", "20260601",
            ] {
                if months_since(&d(contact), &as_of) >= months {
                    assert!(
                        contact < bound.as_str(),
                        "{contact} due at {months} but >= {bound}"
                    );
                }
            }
        }
        assert_eq!(contact_bound(&as_of, 12), "20250801");
        assert_eq!(contact_bound(&d("20260115"), 1), "20260201");
    }
}
