//! Saving an abstract as a client asks: the case administration items refused, the lock of a
//! complete abstract, derived items kept current, and the fall back to review when a change
//! leaves an error-level edit failing. Each function runs inside the caller's transaction.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::derive::Deriver;
use super::items::{Checks, ItemChange};
use super::lifecycle::{self, Authority};
use super::patients::{self, Patient, WITHDRAWN};
use super::tumors::{self, Source, Status, Tumor};
use super::Error;
use crate::auth::{Caller, FacilityScope};
use crate::db::schema::tumors as tumor_table;
use crate::db::DbConn;
use crate::facilities::Registered;
use crate::naaccr::Items;

/// A saved tumor: what changed, and which items the service derived.
#[derive(Debug)]
pub struct Saved {
    pub tumor: Tumor,
    pub changed: Vec<ItemChange>,
    /// Items the service set (or replaced a client's value of).
    pub derived: Vec<String>,
    /// Over-ride flags the write set or cleared (by a reviewer or manager, with a reason).
    pub overrides: Vec<String>,
}

/// Abstracts a new tumor for a patient the scope sees, with its derived items. Over-ride flags
/// among the items need a reviewer or a manager and a reason. Its Reporting Facility must be
/// registered (unless `registered` accepts unknown facilities).
pub fn create_tumor(
    conn: &mut DbConn,
    scope: &FacilityScope,
    registered: &Registered,
    patient_id: &str,
    mut items: Items,
    who: &Authority,
    deriver: &Deriver,
) -> Result<Saved, Error> {
    lifecycle::reject_service_items(items.keys())?;
    let overrides = lifecycle::check_overrides(items.keys(), who)?;
    let patient = patients::get(conn, scope, patient_id)?;
    // A facility the scope does not cover is refused as such (403) by `tumors::create`.
    let named = items.get(tumors::FACILITY_ITEM).cloned();
    if let Ok(facility) = patients::resolve_facility(scope, named, tumors::FACILITY_ITEM) {
        registered.require(conn, tumors::FACILITY_ITEM, &facility)?;
    }
    if patient.status == WITHDRAWN {
        return Err(Error::Conflict(format!(
            "patient {patient_id} was withdrawn (deleted): no tumor can be added"
        )));
    }
    let derived = deriver.derive(&patient.items, &mut items);
    let tumor = tumors::create(conn, scope, patient_id, items, Source::default())?;
    Ok(Saved {
        tumor,
        changed: Vec::new(),
        derived,
        overrides,
    })
}

/// Changes a tumor's items at the expected version. A complete tumor takes changes only from a
/// reviewer or a manager with a reason, and so do over-ride flags. A tumor moves only to a registered facility (unless
/// `registered` accepts unknown facilities).
// Each argument is one thing the rule needs; a struct for one caller would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn update_tumor(
    conn: &mut DbConn,
    caller: &Caller,
    registered: &Registered,
    id: &str,
    expected: Option<i64>,
    changes: &BTreeMap<String, Option<String>>,
    reason: Option<&str>,
    deriver: &Deriver,
) -> Result<Saved, Error> {
    lifecycle::reject_service_items(changes.keys())?;
    let who = Authority::of(caller, reason);
    let overrides = lifecycle::check_overrides(changes.keys(), &who)?;
    // Read once, under the patient's lock, for the checks and the change alike.
    let current = tumors::get_for_change(conn, &caller.facilities, id)?;
    lifecycle::check_change(current.status, who.reviewer, who.reason)?;
    if let Some(Some(facility)) = changes.get(tumors::FACILITY_ITEM) {
        if caller.facilities.allows(facility) && *facility != current.facility_id {
            registered.require(conn, tumors::FACILITY_ITEM, facility)?;
        }
    }
    // The tumor is in scope, so its patient is too.
    let patient = patients::get(conn, &FacilityScope::All, &current.patient_id)?;
    let mut derived = Vec::new();
    let (tumor, changed) = tumors::update_locked(
        conn,
        &caller.facilities,
        current,
        expected,
        changes,
        Checks::Full,
        |t| {
            derived = deriver.derive(&patient.items, &mut t.items);
            Ok(())
        },
    )?;
    Ok(Saved {
        tumor,
        changed,
        derived,
        overrides,
    })
}

/// After a change and its edits: a complete tumor with a failing error-level edit goes back to
/// review, in the same transaction. Returns the status it left, when it moved.
pub fn settle(
    conn: &mut DbConn,
    tumor: &mut Tumor,
    blocking_errors: bool,
) -> Result<Option<Status>, Error> {
    let to = lifecycle::status_after_edits(tumor.status, blocking_errors);
    if to == tumor.status {
        return Ok(None);
    }
    let from = tumor.status;
    tumor.status = to;
    tumors::store(conn, tumor)?;
    Ok(Some(from))
}

/// Whether any of a patient's tumors is complete.
pub fn has_complete_tumor(conn: &mut DbConn, patient_id: &str) -> Result<bool, Error> {
    let n: i64 = tumor_table::table
        .filter(tumor_table::patient_id.eq(patient_id))
        .filter(tumor_table::status.eq(Status::Complete.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A saved patient and the tumors whose derived items followed its change.
#[derive(Debug)]
pub struct SavedPatient {
    pub patient: Patient,
    pub changed: Vec<ItemChange>,
    /// (tumor id, derived item changes) of tumors re-derived after a birth date or sex change.
    pub tumors: Vec<(String, Vec<ItemChange>)>,
}

/// Changes a patient's items. Once a tumor of the patient is complete, only a reviewer or a
/// manager may, with a reason; the same holds for over-ride flags (Over-ride Name/Sex [2078]).
/// A changed birth date or sex re-derives the tumors' items.
pub fn update_patient(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    expected: Option<i64>,
    changes: &BTreeMap<String, Option<String>>,
    reason: Option<&str>,
    deriver: &Deriver,
) -> Result<SavedPatient, Error> {
    let who = Authority::of(caller, reason);
    lifecycle::check_overrides(changes.keys(), &who)?;
    patients::get(conn, &caller.facilities, id)?;
    lifecycle::check_patient_change(has_complete_tumor(conn, id)?, who.reviewer, who.reason)?;
    let (patient, changed) = patients::update(conn, &caller.facilities, id, expected, changes)?;
    let mut rederived = Vec::new();
    if changed
        .iter()
        .any(|c| c.item == "dateOfBirth" || c.item == "sexAssignedAtBirth")
    {
        for mut t in tumors::for_patients(conn, &FacilityScope::All, &[id.to_string()])? {
            let before = t.items.clone();
            deriver.derive(&patient.items, &mut t.items);
            let diff = super::items::diff(&before, &t.items);
            if !diff.is_empty() {
                tumors::store(conn, &mut t)?;
                rederived.push((t.id.clone(), diff));
            }
        }
    }
    Ok(SavedPatient {
        patient,
        changed,
        tumors: rederived,
    })
}

/// The complete tumors among `ids` (of one patient) that go back to review because an
/// error-level edit fails on them now; each is moved. Returns their ids.
pub fn settle_patient(
    conn: &mut DbConn,
    patient_id: &str,
    blocking: &[String],
) -> Result<Vec<String>, Error> {
    let mut moved = Vec::new();
    for mut t in tumors::for_patients(conn, &FacilityScope::All, &[patient_id.to_string()])? {
        let blocks = blocking.contains(&t.id);
        if settle(conn, &mut t, blocks)?.is_some() {
            moved.push(t.id);
        }
    }
    Ok(moved)
}
