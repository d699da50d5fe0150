//! Section A: single-item validity.

use std::cmp::Ordering;
use std::sync::OnceLock;

use super::super::codes::{self, dxconf3_allowed, GRADE_440, OVERRIDE_CODES, SS2018};
use super::super::record::{Rec, F};
use super::super::tables::ReferenceTables;
use super::super::{fail_with, Verdict};
use super::RX_DATES;
use crate::naaccr::codes::is_valid;
use crate::naaccr::PartialDate;

fn listed(item: &str, v: &str) -> Verdict {
    if is_valid(item, v) == Some(true) {
        None
    } else {
        fail_with(format!("{item} = {v:?}"))
    }
}

pub fn primary_site(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    listed("primarySite", r.get(F::PrimarySite))
}

pub fn histology(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    listed("histologicTypeIcdO3", r.get(F::Histology))
}

pub fn behavior(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.get(F::Behavior) {
        "0" | "1" | "2" | "3" => None,
        v => fail_with(format!("behaviorCodeIcdO3 = {v:?}")),
    }
}

pub fn laterality(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.get(F::Laterality) {
        "0" | "1" | "2" | "3" | "4" | "9" => None,
        "5" if r.year.is_none_or(|y| y >= 2010) => None,
        "5" => fail_with("code 5 (midline) is only for diagnoses 2010+"),
        v => fail_with(format!("laterality = {v:?}")),
    }
}

pub fn diagnostic_confirmation(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.get(F::DxConf) {
        "1" | "2" | "4" | "5" | "6" | "7" | "8" | "9" => None,
        "3" => {
            if r.year.is_some_and(|y| y < 2010) {
                fail_with("code 3 is only for diagnoses 2010+")
            } else if r.hist.is_some_and(|h| !dxconf3_allowed(h)) || r.beh.is_some_and(|b| b != 3) {
                fail_with("code 3 is only for hematopoietic/lymphoid neoplasms 9590/3-9992/3")
            } else {
                None
            }
        }
        v => fail_with(format!("diagnosticConfirmation = {v:?}")),
    }
}

pub fn sex(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.get(F::Sex) {
        "1" | "2" | "9" => None,
        v => fail_with(format!("sexAssignedAtBirth = {v:?}")),
    }
}

pub fn age(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.num(F::Age, 3) {
        Some(a) if a <= 120 || a == 999 => None,
        _ => fail_with(format!("ageAtDiagnosis = {:?}", r.get(F::Age))),
    }
}

pub fn sequence_central(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.num(F::SeqCentral, 2) {
        Some(0..=88 | 99) => None,
        Some(98) if r.year.is_none_or(|y| (1996..=2002).contains(&y)) => None,
        Some(98) => fail_with("code 98 (cervix CIS/CIN III) is only for diagnoses 1996-2002"),
        _ => fail_with(format!(
            "sequenceNumberCentral = {:?}",
            r.get(F::SeqCentral)
        )),
    }
}

pub fn class_of_case(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    listed("classOfCase", r.get(F::ClassOfCase))
}

pub fn reporting_source(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.num(F::ReportingSource, 1) {
        Some(1..=8) => None,
        _ => fail_with(format!(
            "typeOfReportingSource = {:?}",
            r.get(F::ReportingSource)
        )),
    }
}

pub fn vital_status(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.get(F::VitalStatus) {
        "0" | "1" => None,
        v => fail_with(format!("vitalStatus = {v:?}")),
    }
}

/// Today as a full date, from the system clock (UTC).
pub(crate) fn today() -> PartialDate {
    static TODAY: OnceLock<PartialDate> = OnceLock::new();
    *TODAY.get_or_init(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        civil_from_days((secs / 86_400) as i64)
    })
}

/// Days since 1970-01-01 to a calendar date (proleptic Gregorian).
pub(crate) fn civil_from_days(z: i64) -> PartialDate {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    PartialDate {
        year,
        month: Some(month),
        day: Some(day),
    }
}

const DATE_ITEMS: &[F] = &[
    F::DateOfBirth,
    F::DateOfDiagnosis,
    F::DateOfLastContact,
    F::DateOf1stContact,
];

pub fn dates(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let now = today();
    for f in DATE_ITEMS.iter().chain(RX_DATES) {
        let v = r.get(*f);
        if v.is_empty() {
            continue;
        }
        match PartialDate::parse(v) {
            Err(e) => return fail_with(format!("{}: {e}", f.id())),
            Ok(d) if d.year < 1850 => return fail_with(format!("{} {v} is before 1850", f.id())),
            Ok(d) if d.compare(&now) == Some(Ordering::Greater) => {
                return fail_with(format!("{} {v} is in the future", f.id()))
            }
            Ok(_) => {}
        }
    }
    None
}

pub fn grade(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let g = r.get(F::Grade);
    if !GRADE_440.contains(&g) {
        return fail_with(format!("grade = {g:?}"));
    }
    if matches!(g, "5" | "6" | "7" | "8") && r.hist.is_some_and(|h| !(9590..=9948).contains(&h)) {
        return fail_with("grades 5-8 (cell lineage) are only for histologies 9590-9948");
    }
    None
}

pub fn summary_stage_2018(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let v = r.get(F::Ss2018);
    if !SS2018.contains(&v) {
        return fail_with(format!("summaryStage2018 = {v:?}"));
    }
    let schema = r.get(F::SchemaId);
    if v == "8" && !schema.is_empty() && !codes::SS2018_BENIGN_SCHEMAS.contains(&schema) {
        return fail_with("code 8 is only for the brain, CNS other and intracranial gland schemas");
    }
    None
}

pub fn schema_id(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    if t.schema(r.schema.unwrap_or(usize::MAX)).is_some() {
        return None;
    }
    fail_with(format!("schemaId = {:?}", r.get(F::SchemaId)))
}

pub fn override_flags(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    for (f, allowed) in OVERRIDE_CODES {
        let v = r.get(*f);
        if !v.is_empty() && !allowed.contains(&v) {
            return fail_with(format!("{} = {v:?}", f.id()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_to_dates() {
        let d = |y, m, dd| PartialDate {
            year: y,
            month: Some(m),
            day: Some(dd),
        };
        assert_eq!(civil_from_days(0), d(1970, 1, 1));
        assert_eq!(civil_from_days(19_782), d(2024, 2, 29));
        assert_eq!(civil_from_days(20_454), d(2026, 1, 1));
        assert!(today().year >= 2024);
    }
}
