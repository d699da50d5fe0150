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

/// Living patients with an eligible case whose last contact is `due_months` or more before
/// `as_of`, most overdue first.
pub fn due_list(
    conn: &mut DbConn,
    scope: &FacilityScope,
    as_of: &PartialDate,
    due_months: i32,
) -> Result<Vec<DueEntry>, Error> {
    let mut out = Vec::new();
    each_patient(conn, scope, |p, ts| {
        if p.items.get("vitalStatus").map(String::as_str) == Some("0") {
            return;
        }
        let eligible: Vec<(&Tumor, String)> = ts
            .iter()
            .filter_map(|t| {
                eligibility::check(&p.items, &t.items, as_of)
                    .ok()
                    .map(|r| (t, r))
            })
            .collect();
        if eligible.is_empty() {
            return;
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
            return;
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
        out.push(DueEntry {
            patient_id: p.id.clone(),
            patient_id_number: p.items.get("patientIdNumber").cloned(),
            name_last: p.items.get("nameLast").cloned(),
            name_first: p.items.get("nameFirst").cloned(),
            date_of_last_contact: p.items.get("dateOfLastContact").cloned(),
            months_since_contact: since,
            delinquent: since >= DELINQUENT_MONTHS,
            reasons,
            facilities,
        });
    })?;
    out.sort_by(|a, b| {
        b.months_since_contact
            .cmp(&a.months_since_contact)
            .then_with(|| a.patient_id.cmp(&b.patient_id))
    });
    Ok(out)
}

/// The mail-merge data of the due patients: one row per patient with the current address.
pub fn letters(
    conn: &mut DbConn,
    scope: &FacilityScope,
    as_of: &PartialDate,
    due_months: i32,
) -> Result<(String, Vec<String>), Error> {
    let due = due_list(conn, scope, as_of, due_months)?;
    let ids: Vec<String> = due.iter().map(|d| d.patient_id.clone()).collect();
    let people = patients::many(conn, &ids)?;
    let by_id: BTreeMap<&str, &Patient> = people.iter().map(|p| (p.id.as_str(), p)).collect();
    let columns = [
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
    let mut csv = String::from("patientId,patientIdNumber,");
    csv.push_str(&columns.join(","));
    csv.push_str(",monthsSinceContact,delinquent\r\n");
    for d in &due {
        let Some(p) = by_id.get(d.patient_id.as_str()) else {
            continue;
        };
        let mut fields = vec![
            d.patient_id.clone(),
            d.patient_id_number.clone().unwrap_or_default(),
        ];
        fields.extend(
            columns
                .iter()
                .map(|c| p.items.get(*c).cloned().unwrap_or_default()),
        );
        fields.push(d.months_since_contact.to_string());
        fields.push(d.delinquent.to_string());
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    Ok((csv, ids))
}

/// Quotes a CSV field when needed, and defuses spreadsheet formulas.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
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
    }
}
