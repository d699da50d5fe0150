//! Section B: dates, age and follow-up.

use std::cmp::Ordering;

use super::super::record::{Rec, F};
use super::super::tables::ReferenceTables;
use super::super::{fail_items, fail_with, Fail, PatientCtx, Verdict};
use super::RX_DATES;
use crate::naaccr::PartialDate;

/// Fails when `earlier` is after `later` at the precision both dates have.
fn not_after(r: &Rec<'_>, earlier: F, later: F) -> Verdict {
    let (Some(a), Some(b)) = (r.date(earlier), r.date(later)) else {
        return None;
    };
    if a.compare(&b) == Some(Ordering::Greater) {
        fail_items(
            format!(
                "{} {} is after {} {}",
                earlier.id(),
                r.get(earlier),
                later.id(),
                r.get(later)
            ),
            vec![earlier.id().to_string(), later.id().to_string()],
        )
    } else {
        None
    }
}

pub fn dx_after_birth(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    not_after(r, F::DateOfBirth, F::DateOfDiagnosis)
}

pub fn contact_after_dx(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    not_after(r, F::DateOfDiagnosis, F::DateOfLastContact)
}

pub fn contact_after_birth(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    not_after(r, F::DateOfBirth, F::DateOfLastContact)
}

/// Completed years from birth to diagnosis, and whether missing months/days allow one less.
fn age_between(dob: PartialDate, dx: PartialDate) -> (i32, bool) {
    let years = i32::from(dx.year) - i32::from(dob.year);
    match (dob.month, dx.month) {
        (Some(m1), Some(m2)) if m2 < m1 => (years - 1, false),
        (Some(m1), Some(m2)) if m2 > m1 => (years, false),
        (Some(_), Some(_)) => match (dob.day, dx.day) {
            (Some(d1), Some(d2)) if d2 < d1 => (years - 1, false),
            (Some(_), Some(_)) => (years, false),
            _ => (years, true),
        },
        _ => (years, true),
    }
}

pub fn age_birth_dx(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (Some(dob), Some(dx)) = (r.date(F::DateOfBirth), r.dx) else {
        return None;
    };
    let age = r.num(F::Age, 3)?;
    let (years, uncertain) = age_between(dob, dx);
    let age = age as i32;
    if age == years || (uncertain && age == years - 1) {
        None
    } else {
        fail_with(format!("ageAtDiagnosis {:03} but dates give {years}", age))
    }
}

fn value<'a>(items: &'a crate::naaccr::Items, id: &str) -> &'a str {
    items.get(id).map_or("", |v| v.trim())
}

pub fn death_consistency(ctx: &PatientCtx<'_>, out: &mut Vec<(Option<usize>, Fail)>) {
    for (i, t) in ctx.tumors.iter().enumerate() {
        for id in ["vitalStatus", "dateOfLastContact"] {
            let (v, pat) = (value(t, id), value(ctx.patient, id));
            if !v.is_empty() && !pat.is_empty() && v != pat {
                out.push((
                    Some(i),
                    Fail {
                        detail: format!("{id} {v} differs from the patient's {pat}").into(),
                        hard: false,
                        items: Vec::new(),
                    },
                ));
            }
        }
    }
    for (i, r) in ctx.recs.iter().enumerate() {
        if r.get(F::VitalStatus) != "0" {
            continue;
        }
        let Some(death) = r.date(F::DateOfLastContact) else {
            continue;
        };
        for f in std::iter::once(&F::DateOfDiagnosis).chain(RX_DATES) {
            if let Some(d) = r.date(*f) {
                if d.compare(&death) == Some(Ordering::Greater) {
                    out.push((
                        Some(i),
                        Fail {
                            detail: format!(
                                "{} {} is after the date of death {}",
                                f.id(),
                                r.get(*f),
                                r.get(F::DateOfLastContact)
                            )
                            .into(),
                            hard: false,
                            items: Vec::new(),
                        },
                    ));
                    break;
                }
            }
        }
    }
}

pub fn vital_status_cause(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let items = || {
        vec![
            F::VitalStatus.id().to_string(),
            F::CauseOfDeath.id().to_string(),
        ]
    };
    match (r.get(F::VitalStatus), r.get(F::CauseOfDeath)) {
        ("1", "0000" | "") => None,
        ("1", c) => fail_items(
            format!("alive patient must have cause of death 0000, not {c}"),
            items(),
        ),
        ("0", "0000") => fail_items("dead patient cannot have cause of death 0000", items()),
        ("0", "") => fail_items(
            "dead patient needs a cause of death (an ICD code, 7777 or 7797)",
            items(),
        ),
        _ => None,
    }
}

/// B11: a dead patient's Date of Last Contact is the date of death and must be known.
pub fn vital_status_contact(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    if r.get(F::VitalStatus) == "0" && r.date(F::DateOfLastContact).is_none() {
        return fail_items(
            "dead patient (Vital Status 0) needs the date of death in Date of Last Contact",
            vec![
                F::VitalStatus.id().to_string(),
                F::DateOfLastContact.id().to_string(),
            ],
        );
    }
    None
}

/// B12: Date of Birth is not after Date of 1st Contact.
pub fn first_contact_after_birth(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    not_after(r, F::DateOfBirth, F::DateOf1stContact)
}

/// B13: Date of Diagnosis is not after Date of 1st Contact (a warning: a patient admitted for
/// the work-up is first seen before the diagnosis is made).
pub fn first_contact_after_dx(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    not_after(r, F::DateOfDiagnosis, F::DateOf1stContact)
}

/// B14: Date of 1st Contact is not after Date of Last Contact.
pub fn first_contact_before_last(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    not_after(r, F::DateOf1stContact, F::DateOfLastContact)
}

pub fn rx_after_dx(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let dx = r.dx?;
    for f in RX_DATES {
        if let Some(d) = r.date(*f) {
            if d.compare(&dx) == Some(Ordering::Less) {
                return fail_with(format!("{} {} is before diagnosis", f.id(), r.get(*f)));
            }
        }
    }
    None
}

pub fn rx_before_contact(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let dlc = r.date(F::DateOfLastContact)?;
    for f in RX_DATES {
        if let Some(d) = r.date(*f) {
            if d.compare(&dlc) == Some(Ordering::Greater) {
                return fail_with(format!(
                    "{} {} is after the date of last contact",
                    f.id(),
                    r.get(*f)
                ));
            }
        }
    }
    None
}

/// Date items of flat-file records and their date flags.
const DATE_FLAGS: &[(F, F)] = &[
    (F::DateOfDiagnosis, F::DateOfDiagnosisFlag),
    (F::DateOfBirth, F::DateOfBirthFlag),
    (F::DateOfLastContact, F::DateOfLastContactFlag),
    (F::DateOf1stContact, F::DateOf1stContactFlag),
    (F::RxDateSurgery, F::RxDateSurgeryFlag),
    (F::RxDateRadiation, F::RxDateRadiationFlag),
    (F::RxDateChemo, F::RxDateChemoFlag),
    (F::RxDateHormone, F::RxDateHormoneFlag),
    (F::RxDateBrm, F::RxDateBrmFlag),
    (F::RxDateOther, F::RxDateOtherFlag),
    (F::RxDateSystemic, F::RxDateSystemicFlag),
    (F::Date1stCrsRxCoc, F::Date1stCrsRxCocFlag),
];

/// Applies only to the pairs whose flag item the record carries (flat-file records); NAACCR
/// XML has no date flags.
pub fn date_flags(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    for (date, flag) in DATE_FLAGS {
        if !r.has(*flag) {
            continue;
        }
        let (d, f) = (r.get(*date), r.get(*flag));
        let ok = match (d.is_empty(), f) {
            (false, "") => true,
            (false, _) => false,
            (true, "12") => true,
            (true, "10" | "11" | "15") => *date != F::DateOfDiagnosis,
            (true, _) => false,
        };
        if !ok {
            return fail_with(format!("{} {d:?} with {} {f:?}", date.id(), flag.id()));
        }
    }
    None
}

/// 2018+ items that must be blank before 2018.
pub(crate) const ITEMS_2018: &[F] = &[
    F::SchemaId,
    F::SchemaDisc1,
    F::SchemaDisc2,
    F::GradeClinical,
    F::GradePathological,
    F::GradePostTherapyClin,
    F::GradePostTherapyPath,
    F::EodPrimaryTumor,
    F::EodRegionalNodes,
    F::EodMets,
    F::Ss2018,
];

pub fn items_by_year(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let year = r.year?;
    if year < 2018 {
        let mut coded: Vec<String> = ITEMS_2018
            .iter()
            .filter(|f| !r.blank(**f))
            .map(|f| f.id().to_string())
            .collect();
        // only the true SSDIs are 2018+ items; the other schema inputs (tumor size,
        // neoadjuvant therapy, ...) have their own years
        coded.extend(
            r.ssdi
                .iter()
                .filter(|(i, _)| t.is_site_specific(*i))
                .filter_map(|(i, _)| t.ssdi_items().get(usize::from(*i)))
                .map(|(id, _)| id.clone()),
        );
        if coded.is_empty() {
            return None;
        }
        return fail_items(
            format!("must be blank before 2018: {}", coded.join(", ")),
            coded,
        );
    }
    if r.blank(F::SchemaId) {
        return fail_items(
            "schemaId is required from 2018",
            vec![F::SchemaId.id().to_string()],
        );
    }
    None
}
