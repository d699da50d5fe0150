//! One patient once: a facility's Patient ID Number [20] names one patient, and a new patient
//! whose Social Security Number [2320], or whose last-name Soundex, first initial and date of
//! birth match an existing one is held back as a possible duplicate until the client confirms
//! it is not, with a reason.

use diesel::prelude::*;
use serde::Serialize;

use super::items::{Checks, ItemError};
use super::patients::{self, Patient, WITHDRAWN};
use super::Error;
use crate::auth::FacilityScope;
use crate::db::schema::patients as table;
use crate::db::DbConn;
use crate::facilities::Registered;
use crate::naaccr::Items;

/// An existing patient a new one may duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub id: String,
    pub name_last: Option<String>,
    pub name_first: Option<String>,
    pub date_of_birth: Option<String>,
    pub facility_id: String,
    /// What matched: `socialSecurityNumber` or `nameAndBirthDate`.
    pub matched_on: Vec<String>,
}

/// SSNs that say "unknown" rather than name a person.
fn known_ssn(ssn: &str) -> bool {
    ssn.len() == 9
        && ssn.bytes().all(|b| b.is_ascii_digit())
        && !matches!(ssn, "000000000" | "999999999" | "888888888")
}

/// The first letter of a first name, as matched.
fn initial(name: &str) -> Option<char> {
    name.chars()
        .find(|c| c.is_alphabetic())
        .map(|c| c.to_ascii_uppercase())
}

/// Patients (not withdrawn, visible to the scope) whom a patient with these items may
/// duplicate, each with what matched.
pub fn candidates(
    conn: &mut DbConn,
    scope: &FacilityScope,
    items: &Items,
) -> Result<Vec<Candidate>, Error> {
    let mut found: Vec<(Patient, &'static str)> = Vec::new();
    if let Some(ssn) = items.get("socialSecurityNumber").filter(|s| known_ssn(s)) {
        let ids: Vec<String> = table::table
            .filter(table::ssn.eq(ssn))
            .filter(table::status.ne(WITHDRAWN))
            .select(table::id)
            .order(table::id.asc())
            .limit(50)
            .load(conn)?;
        for p in patients::many(conn, &ids)? {
            found.push((p, "socialSecurityNumber"));
        }
    }
    let soundex = items
        .get("nameLast")
        .and_then(|n| crate::followup::deaths::soundex(n));
    let first = items.get("nameFirst").and_then(|n| initial(n));
    let dob = items.get("dateOfBirth").filter(|d| d.len() == 8);
    if let (Some(soundex), Some(first), Some(dob)) = (soundex, first, dob) {
        let rows: Vec<(String, Option<String>)> = table::table
            .filter(table::name_last_soundex.eq(&soundex))
            .filter(table::date_of_birth.eq(dob))
            .filter(table::status.ne(WITHDRAWN))
            .select((table::id, table::name_first))
            .order(table::id.asc())
            .limit(200)
            .load(conn)?;
        let ids: Vec<String> = rows
            .into_iter()
            .filter(|(_, f)| f.as_deref().and_then(initial) == Some(first))
            .map(|(id, _)| id)
            .collect();
        for p in patients::many(conn, &ids)? {
            found.push((p, "nameAndBirthDate"));
        }
    }
    let mut out: Vec<Candidate> = Vec::new();
    for (p, why) in found {
        if let Some(c) = out.iter_mut().find(|c| c.id == p.id) {
            c.matched_on.push(why.to_string());
            continue;
        }
        // A registrar learns nothing of patients outside their facilities.
        if !patients::visible_patient(conn, scope, &p)? {
            continue;
        }
        out.push(Candidate {
            name_last: p.items.get("nameLast").cloned(),
            name_first: p.items.get("nameFirst").cloned(),
            date_of_birth: p.items.get("dateOfBirth").cloned(),
            facility_id: p.facility_id.clone(),
            matched_on: vec![why.to_string()],
            id: p.id,
        });
    }
    Ok(out)
}

/// The client's word that a new patient is not a duplicate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Confirmation<'a> {
    pub confirmed_not_duplicate: bool,
    pub reason: Option<&'a str>,
}

/// Creates a patient once: 422 when its facility is not registered, 409 naming the patient
/// that already holds the facility's Patient ID Number, 409 with the candidates when it may
/// duplicate one, unless confirmed with a reason. An over-ride flag among the items needs a reviewer or a
/// manager and a reason.
pub fn create_patient(
    conn: &mut DbConn,
    scope: &FacilityScope,
    registered: &Registered,
    facility: Option<String>,
    items: Items,
    confirm: Confirmation,
    who: &super::lifecycle::Authority,
) -> Result<Patient, Error> {
    super::lifecycle::check_overrides(items.keys(), who)?;
    if confirm.confirmed_not_duplicate && confirm.reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(Error::Invalid(vec![ItemError::new(
            "reason",
            None,
            "required",
            "confirmedNotDuplicate needs a reason (it is written to the audit trail)",
        )]));
    }
    let new = patients::prepare(scope, facility, items.clone(), Checks::Full)?;
    registered.require(conn, "facilityId", new.facility_id())?;
    if let Some(number) = items.get("patientIdNumber") {
        if let Some(existing) = patients::find_by_number(conn, new.facility_id(), number)? {
            return Err(Error::NumberTaken {
                number: number.clone(),
                facility: new.facility_id().to_string(),
                existing: existing.id,
            });
        }
    }
    if !confirm.confirmed_not_duplicate {
        let found = candidates(conn, scope, &items)?;
        if !found.is_empty() {
            return Err(Error::PossibleDuplicate(found));
        }
    }
    patients::insert(conn, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ssns_do_not_match() {
        assert!(known_ssn("123456789"));
        assert!(!known_ssn("999999999"));
        assert!(!known_ssn("000000000"));
        assert!(!known_ssn("12345678"));
        assert_eq!(initial(" alex"), Some('A'));
    }
}
