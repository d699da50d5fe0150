//! Follow-up contacts: each one is kept in the patient's history; it updates the NAACCR
//! follow-up items only when it is not older than what is stored, so an out-of-order contact
//! never moves a patient backward. Also the first recurrence of a tumor.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{invalid, Error};
use crate::abstracts::items::{apply_changes, check_item};
use crate::abstracts::tumors::{self, Tumor};
use crate::abstracts::{patients, ItemChange, ItemError};
use crate::auth::FacilityScope;
use crate::db::schema::patient_contacts;
use crate::db::DbConn;
use crate::naaccr::{Level, PartialDate};

/// A contact as reported.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewContact {
    /// Contact date, CCYYMMDD (for a death, the date of death).
    #[schema(
        pattern = "^((18|19|20)[0-9]{2}((0[13578]|1[02])(0[1-9]|[12][0-9]|3[01])|(0[469]|11)(0[1-9]|[12][0-9]|30)|02(0[1-9]|1[0-9]|2[0-8]))|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)0229)$"
    )]
    pub date: String,
    /// Vital Status [1760]: `1` alive, `0` dead.
    #[schema(pattern = "^[01]$")]
    pub vital_status: String,
    /// Follow-Up Source [1790].
    pub follow_up_source: Option<String>,
    /// Next Follow-Up Source [1800].
    pub next_follow_up_source: Option<String>,
    /// Cancer Status [1770] per tumor id.
    #[serde(default)]
    pub tumors: BTreeMap<String, String>,
    /// Cause of Death [1910], ICD-10 (deaths only).
    pub cause_of_death: Option<String>,
    /// Place of death: a US state (2 letters, Place of Death--State [1942]) or a country
    /// (3 letters, Place of Death--Country [1944]) (deaths only).
    pub place_of_death: Option<String>,
}

/// A stored contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: String,
    pub patient_id: String,
    // The reported fields spelled out rather than a flattened `NewContact`: that one refuses
    // unknown fields, and its schema would then forbid the fields below.
    pub date: String,
    pub vital_status: String,
    pub follow_up_source: Option<String>,
    pub next_follow_up_source: Option<String>,
    pub tumors: BTreeMap<String, String>,
    pub cause_of_death: Option<String>,
    pub place_of_death: Option<String>,
    /// Whether it updated the abstract (false when older than what was stored).
    pub applied: bool,
    /// Who recorded it; null for a caller limited to some facilities when the contact is not
    /// shown to be one of theirs (it names no tumor, or another facility's tumor).
    pub recorded_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = patient_contacts)]
struct ContactRow {
    id: String,
    patient_id: String,
    contact_date: String,
    vital_status: String,
    details: String,
    applied: bool,
    recorded_by: String,
    created_at: NaiveDateTime,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Contact {
        let reported: NewContact = serde_json::from_str(&r.details).unwrap_or_default();
        Contact {
            id: r.id,
            patient_id: r.patient_id,
            date: r.contact_date,
            vital_status: r.vital_status,
            follow_up_source: reported.follow_up_source,
            next_follow_up_source: reported.next_follow_up_source,
            tumors: reported.tumors,
            cause_of_death: reported.cause_of_death,
            place_of_death: reported.place_of_death,
            applied: r.applied,
            recorded_by: Some(r.recorded_by),
            created_at: r.created_at.and_utc(),
        }
    }
}

/// What a contact changed, for the response and the audit trail.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub contact: Contact,
    pub patient_changes: Vec<ItemChange>,
    pub tumor_changes: Vec<(String, Vec<ItemChange>)>,
}

fn check_field(errors: &mut Vec<ItemError>, field: &str, item: &str, level: Level, v: &str) {
    if let Err(mut e) = check_item(level, item, v) {
        e.message = format!("{field}: {}", e.message);
        e.item = field.to_string();
        errors.push(e);
    }
}

fn is_icd10(code: &str) -> bool {
    let b = code.as_bytes();
    // ICD-10 causes as NAACCR stores them: a letter and three digits (no decimal point), or the
    // special codes 7777 (death certificate unavailable) and 7797 (certificate lacks a cause).
    (b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit))
        || code == "7777"
        || code == "7797"
}

fn validate(c: &NewContact, today: &PartialDate) -> Result<PartialDate, Error> {
    let mut errors = Vec::new();
    let date = match PartialDate::parse(&c.date) {
        Ok(d) if d.day.is_some() => Some(d),
        Ok(_) => {
            errors.push(ItemError::new(
                "date",
                None,
                "date",
                "a contact date is a full CCYYMMDD date",
            ));
            None
        }
        Err(e) => {
            errors.push(ItemError::new("date", None, "date", e.to_string()));
            None
        }
    };
    if let Some(d) = &date {
        if d.compare(today) == Some(Ordering::Greater) {
            errors.push(ItemError::new(
                "date",
                None,
                "date",
                format!("{d} is in the future"),
            ));
        }
    }
    check_field(
        &mut errors,
        "vitalStatus",
        "vitalStatus",
        Level::Patient,
        &c.vital_status,
    );
    if let Some(v) = &c.follow_up_source {
        check_field(
            &mut errors,
            "followUpSource",
            "followUpSource",
            Level::Tumor,
            v,
        );
    }
    if let Some(v) = &c.next_follow_up_source {
        check_field(
            &mut errors,
            "nextFollowUpSource",
            "nextFollowUpSource",
            Level::Tumor,
            v,
        );
    }
    for (tumor, status) in &c.tumors {
        check_field(
            &mut errors,
            &format!("tumors.{tumor}"),
            "cancerStatus",
            Level::Tumor,
            status,
        );
    }
    let dead = c.vital_status == "0";
    if let Some(cause) = &c.cause_of_death {
        if !dead {
            errors.push(ItemError::new(
                "causeOfDeath",
                Some(1910),
                "not-applicable",
                "a cause of death needs vitalStatus 0 (dead)",
            ));
        } else if !is_icd10(cause) {
            errors.push(ItemError::new("causeOfDeath", Some(1910), "data-type", "an ICD-10 code is a letter and three digits without a point, e.g. C509 (or 7777, 7797)"));
        }
    }
    if let Some(place) = &c.place_of_death {
        let ok = matches!(place.len(), 2 | 3) && place.bytes().all(|b| b.is_ascii_uppercase());
        if !dead {
            errors.push(ItemError::new(
                "placeOfDeath",
                None,
                "not-applicable",
                "a place of death needs vitalStatus 0 (dead)",
            ));
        } else if !ok {
            errors.push(ItemError::new(
                "placeOfDeath",
                None,
                "data-type",
                "a US state (2 letters, e.g. NY) or a country (3 letters, e.g. CAN)",
            ));
        }
    }
    match date {
        Some(d) if errors.is_empty() => Ok(d),
        _ => Err(Error::Invalid(errors)),
    }
}

/// Records a contact for a patient the scope sees, and applies it when it is not older than
/// the stored Date of Last Contact [1750]. A contact whose date cannot be ordered against a
/// partial stored date (`2023` against `20230601`) counts as not older: it is the more precise.
pub fn record(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_id: &str,
    new: NewContact,
    recorded_by: &str,
    today: &PartialDate,
) -> Result<Outcome, Error> {
    let date = validate(&new, today)?;
    let mut patient = patients::get_for_change(conn, scope, patient_id)?;
    let patient_tumors = tumors::list(
        conn,
        scope,
        &tumors::Filter {
            patient_id: Some(patient_id.to_string()),
            ..Default::default()
        },
        None,
        Some(500),
    )?
    .data;
    for id in new.tumors.keys() {
        if !patient_tumors.iter().any(|t| &t.id == id) {
            return Err(invalid(
                &format!("tumors.{id}"),
                "not-found",
                format!("tumor {id} is not a tumor of this patient that you can see"),
            ));
        }
    }
    let stored_date = patient
        .items
        .get("dateOfLastContact")
        .and_then(|d| PartialDate::parse(d).ok());
    let stored_dead = patient.items.get("vitalStatus").map(String::as_str) == Some("0");
    let order = stored_date.map(|s| date.compare(&s));
    let older = matches!(order, Some(Some(Ordering::Less)));
    if stored_dead && new.vital_status == "1" && !older {
        return Err(Error::Conflict(format!(
            "the patient is recorded dead on {}; a contact on {} cannot find them alive (correct the death first)",
            stored_date.map(|d| d.to_string()).unwrap_or_else(|| "an unknown date".into()),
            date
        )));
    }
    if !stored_dead && new.vital_status == "0" && older {
        return Err(Error::Conflict(format!(
            "a death on {date} is before the last contact alive on {}: correct one of the two",
            stored_date.map(|d| d.to_string()).unwrap_or_default()
        )));
    }
    // A dead patient's record stays at the death: later reports are history only.
    let apply = !older && !stored_dead;
    let mut outcome_patient = Vec::new();
    let mut outcome_tumors = Vec::new();
    if apply {
        let mut changes: BTreeMap<String, Option<String>> = BTreeMap::new();
        changes.insert("dateOfLastContact".into(), Some(new.date.clone()));
        changes.insert("vitalStatus".into(), Some(new.vital_status.clone()));
        if let Some(cause) = &new.cause_of_death {
            changes.insert("causeOfDeath".into(), Some(cause.clone()));
            changes.insert("icdRevisionNumber".into(), Some("1".into()));
        }
        if let Some(place) = &new.place_of_death {
            if place.len() == 2 {
                changes.insert("placeOfDeathState".into(), Some(place.clone()));
                changes.insert("placeOfDeathCountry".into(), Some("USA".into()));
            } else {
                changes.insert("placeOfDeathCountry".into(), Some(place.clone()));
            }
        }
        let changed =
            apply_changes(Level::Patient, &mut patient.items, &changes).map_err(Error::Invalid)?;
        if !changed.is_empty() {
            patients::store(conn, &mut patient)?;
        }
        outcome_patient = changed;
        for mut tumor in patient_tumors {
            let changed = apply_to_tumor(&mut tumor, &new, &date)?;
            if !changed.is_empty() {
                tumors::store(conn, &mut tumor)?;
                outcome_tumors.push((tumor.id.clone(), changed));
            }
        }
    }
    let row = ContactRow {
        id: uuid::Uuid::now_v7().to_string(),
        patient_id: patient_id.to_string(),
        contact_date: new.date.clone(),
        vital_status: new.vital_status.clone(),
        details: serde_json::to_string(&new).unwrap_or_else(|_| "{}".into()),
        applied: apply,
        recorded_by: recorded_by.to_string(),
        created_at: Utc::now().naive_utc(),
    };
    diesel::insert_into(patient_contacts::table)
        .values(&row)
        .execute(conn)?;
    Ok(Outcome {
        contact: row.into(),
        patient_changes: outcome_patient,
        tumor_changes: outcome_tumors,
    })
}

fn apply_to_tumor(
    tumor: &mut Tumor,
    new: &NewContact,
    date: &PartialDate,
) -> Result<Vec<ItemChange>, Error> {
    let mut changes: BTreeMap<String, Option<String>> = BTreeMap::new();
    if let Some(v) = &new.follow_up_source {
        changes.insert("followUpSource".into(), Some(v.clone()));
    }
    if let Some(v) = &new.next_follow_up_source {
        changes.insert("nextFollowUpSource".into(), Some(v.clone()));
    }
    if let Some(status) = new.tumors.get(&tumor.id) {
        let stored = tumor
            .items
            .get("dateOfLastCancerStatus")
            .and_then(|d| PartialDate::parse(d).ok());
        if stored.is_none_or(|s| date.compare(&s) != Some(Ordering::Less)) {
            changes.insert("cancerStatus".into(), Some(status.clone()));
            changes.insert("dateOfLastCancerStatus".into(), Some(new.date.clone()));
        }
    }
    apply_changes(Level::Tumor, &mut tumor.items, &changes).map_err(Error::Invalid)
}

/// The contact history of a patient the scope sees, newest first. A patient reported by
/// several facilities keeps one history (its follow-up items are the patient's), but a caller
/// limited to some facilities sees only what their own facilities reported: see [`in_scope`].
pub fn history(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_id: &str,
) -> Result<Vec<Contact>, Error> {
    patients::get(conn, scope, patient_id)?;
    let rows: Vec<ContactRow> = patient_contacts::table
        .filter(patient_contacts::patient_id.eq(patient_id))
        .order((
            patient_contacts::contact_date.desc(),
            patient_contacts::id.desc(),
        ))
        .select(ContactRow::as_select())
        .load(conn)?;
    let contacts = rows.into_iter().map(Contact::from);
    let FacilityScope::Only(list) = scope else {
        return Ok(contacts.collect());
    };
    // Withdrawn tumors too: a contact naming one is still the facility's own.
    let own: HashSet<String> = crate::db::schema::tumors::table
        .filter(crate::db::schema::tumors::patient_id.eq(patient_id))
        .filter(crate::db::schema::tumors::facility_id.eq_any(list.clone()))
        .select(crate::db::schema::tumors::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    Ok(contacts.map(|c| in_scope(c, &own)).collect())
}

/// A contact as a caller limited to some facilities sees it: the cancer status of their own
/// tumors (`own`) only, and who recorded it only when the contact is theirs. A contact names
/// only tumors its recorder could see, so one naming only `own` tumors is the caller's
/// facility's; one naming another facility's tumor, or none (a death from clearance, a
/// patient-level contact), does not show whose it is, and its recorder is withheld.
pub fn in_scope(mut contact: Contact, own: &HashSet<String>) -> Contact {
    let theirs = !contact.tumors.is_empty() && contact.tumors.keys().all(|t| own.contains(t));
    contact.tumors.retain(|t, _| own.contains(t));
    if !theirs {
        contact.recorded_by = None;
    }
    contact
}

/// The death contacts (vital status 0) of a patient, without a scope check (death clearance
/// has linked the patient already).
pub(crate) fn death_contacts(conn: &mut DbConn, patient_id: &str) -> Result<Vec<Contact>, Error> {
    let rows: Vec<ContactRow> = patient_contacts::table
        .filter(patient_contacts::patient_id.eq(patient_id))
        .filter(patient_contacts::vital_status.eq("0"))
        .select(ContactRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Contact::from).collect())
}

/// Types of first recurrence that have a date; the others (00 disease-free, 70 never
/// disease-free, 88, 99 unknown) have none.
fn is_recurrence(kind: &str) -> bool {
    !matches!(kind, "00" | "70" | "88" | "99")
}

/// Sets Date of First Recurrence [1860] and Type of First Recurrence [1880] of a tumor. The
/// date is required for a recurrence, absent otherwise, and not before Date of Diagnosis [390].
/// A complete tumor is locked: a reviewer or a manager changes it, with a reason.
pub fn set_recurrence(
    conn: &mut DbConn,
    scope: &FacilityScope,
    tumor_id: &str,
    expected: Option<i64>,
    kind: &str,
    date: Option<&str>,
    who: &crate::abstracts::lifecycle::Authority,
) -> Result<(Tumor, Vec<ItemChange>), Error> {
    let mut tumor = tumors::get_for_change(conn, scope, tumor_id)?;
    crate::abstracts::lifecycle::check_change(tumor.status, who.reviewer, who.reason)?;
    crate::abstracts::check_version("tumor", expected, tumor.version)?;
    let mut errors = Vec::new();
    check_field(&mut errors, "type", "recurrenceType1st", Level::Tumor, kind);
    match (is_recurrence(kind), date) {
        (true, None) => errors.push(ItemError::new(
            "date",
            Some(1860),
            "required",
            format!("recurrence type {kind} needs the date of first recurrence"),
        )),
        (false, Some(_)) => errors.push(ItemError::new(
            "date",
            Some(1860),
            "not-applicable",
            format!("type {kind} has no recurrence date; leave it out"),
        )),
        (true, Some(d)) => {
            check_field(&mut errors, "date", "recurrenceDate1st", Level::Tumor, d);
            let dx = tumor
                .items
                .get("dateOfDiagnosis")
                .and_then(|x| PartialDate::parse(x).ok());
            if let (Ok(rec), Some(dx)) = (PartialDate::parse(d), dx) {
                if rec.compare(&dx) == Some(Ordering::Less) {
                    errors.push(ItemError::new(
                        "date",
                        Some(1860),
                        "before-diagnosis",
                        format!("the recurrence on {rec} is before the diagnosis on {dx}"),
                    ));
                }
            }
        }
        (false, None) => {}
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let changes = BTreeMap::from([
        ("recurrenceType1st".to_string(), Some(kind.to_string())),
        ("recurrenceDate1st".to_string(), date.map(str::to_string)),
    ]);
    let changed =
        apply_changes(Level::Tumor, &mut tumor.items, &changes).map_err(Error::Invalid)?;
    if !changed.is_empty() {
        tumors::store(conn, &mut tumor)?;
    }
    Ok((tumor, changed))
}
