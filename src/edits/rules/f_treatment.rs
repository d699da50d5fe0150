//! Section F: treatment and class of case.

use super::super::record::{digits, Rec, F};
use super::super::tables::ReferenceTables;
use super::super::{fail, fail_with, Verdict};
use super::seq;

/// The surgery item in use for the diagnosis year and its value.
fn surgery<'a>(r: &Rec<'a>) -> Option<(F, &'a str)> {
    let f = if r.year? >= 2023 {
        F::SurgPrimSite2023
    } else {
        F::SurgPrimSite
    };
    let v = r.get(f);
    (!v.is_empty()).then_some((f, v))
}

/// The surgery code on the 2-digit scale: `A200` and `20` both give 20.
fn surgery_level(v: &str) -> Option<u32> {
    match v.len() {
        2 => digits(v, 2),
        4 if v.as_bytes().first().is_some_and(u8::is_ascii_uppercase) => digits(v.get(1..3)?, 2),
        _ => None,
    }
}

pub fn surgery_site(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let (site, year) = (r.site?, r.year?);
    let (f, v) = surgery(r)?;
    let codes = t.surgery_codes(year, site)?;
    if codes.iter().any(|c| &**c == v) {
        None
    } else {
        fail_with(format!(
            "{} {v} is not a surgery code for C{site:03}",
            f.id()
        ))
    }
}

pub fn surgery_dxconf(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (_, v) = surgery(r)?;
    let level = surgery_level(v)?;
    if (20..=90).contains(&level) && !matches!(r.get(F::DxConf), "1" | "3") {
        fail()
    } else {
        None
    }
}

pub fn surgery_date_reason(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (_, v) = surgery(r)?;
    let level = surgery_level(v)?;
    let date = r.get(F::RxDateSurgery);
    let reason = r.get(F::ReasonNoSurgery);
    // "no surgery with a surgery date" is F09's (an error)
    if level == 0 {
        if !reason.is_empty() && !matches!(reason, "1" | "2" | "5" | "6" | "7" | "8" | "9") {
            return fail_with(format!("no surgery needs a reason 1-9, not {reason}"));
        }
    } else if (10..=90).contains(&level) {
        if r.has(F::RxDateSurgery) && date.is_empty() {
            return fail_with("surgery performed but no surgery date");
        }
        if !reason.is_empty() && reason != "0" {
            return fail_with(format!("surgery performed needs reason 0, not {reason}"));
        }
    }
    None
}

pub fn class_vs_source(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (class, source) = (r.get(F::ClassOfCase), r.get(F::ReportingSource));
    let bad = (class == "38") != (source == "6") || (class == "49") != (source == "7");
    if bad {
        fail_with(format!(
            "class of case {class} with reporting source {source}"
        ))
    } else {
        None
    }
}

fn hosp_treated(r: &Rec<'_>) -> Option<F> {
    let given = |f: F, pred: fn(&str) -> bool| pred(r.get(f)).then_some(f);
    given(F::HospSurgPrimSite, |v| {
        surgery_level(v).is_some_and(|l| (10..=90).contains(&l))
    })
    .or_else(|| {
        given(F::HospSurgPrimSite2023, |v| {
            surgery_level(v).is_some_and(|l| (10..=90).contains(&l))
        })
    })
    .or_else(|| given(F::HospChemo, |v| matches!(v, "01" | "02" | "03")))
    .or_else(|| given(F::HospHormone, |v| v == "01"))
    .or_else(|| given(F::HospBrm, |v| v == "01"))
    .or_else(|| given(F::HospOther, |v| matches!(v, "1" | "2" | "3" | "6")))
}

const SUMM_HOSP: &[(F, F)] = &[
    (F::SurgPrimSite, F::HospSurgPrimSite),
    (F::SurgPrimSite2023, F::HospSurgPrimSite2023),
    (F::SummChemo, F::HospChemo),
    (F::SummHormone, F::HospHormone),
    (F::SummBrm, F::HospBrm),
    (F::SummOther, F::HospOther),
];

pub fn class_vs_facility_rx(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    match r.get(F::ClassOfCase) {
        "00" => hosp_treated(r).and_then(|f| {
            fail_with(format!(
                "class 00 (all treatment elsewhere) but {} given here",
                f.id()
            ))
        }),
        "12" | "14" | "22" => SUMM_HOSP
            .iter()
            .find(|(s, h)| !r.blank(*s) && !r.blank(*h) && r.get(*s) != r.get(*h))
            .and_then(|(s, h)| {
                fail_with(format!(
                    "all first-course treatment here but {} differs from {}",
                    s.id(),
                    h.id()
                ))
            }),
        _ => None,
    }
}

pub fn accession_class_seq(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let acc_year = digits(r.get(F::AccessionHosp).get(..4)?, 4)?;
    let class = r.get(F::ClassOfCase);
    let s = seq(r.get(F::SeqHosp))?;
    let first_contact = u32::from(r.date(F::DateOf1stContact)?.year);
    let dlc = r.date(F::DateOfLastContact).map(|d| u32::from(d.year));
    let first_case = matches!(s, 0 | 1 | 60 | 61);
    if first_case && matches!(class, "00" | "10" | "11" | "12" | "13" | "14" | "40") {
        if acc_year != first_contact {
            return fail_with("accession year differs from the year of first contact");
        }
    } else if class == "38" {
        if first_case && (acc_year != first_contact || dlc.is_some_and(|d| d != acc_year)) {
            return fail_with(
                "autopsy case: accession, first contact and last contact years differ",
            );
        }
        if !first_case && dlc.is_some_and(|d| d != first_contact) {
            return fail_with("autopsy case: first contact and last contact years differ");
        }
    }
    None
}

pub fn ss2018_nodes(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let pos = r.num(F::NodesPositive, 2)?;
    let positive = (1..=90).contains(&pos) || pos == 95 || pos == 97;
    match r.get(F::Ss2018) {
        "0" | "1" if positive => fail_with("in situ/localized stage with positive regional nodes"),
        "3" if pos == 0 => fail_with("regional-nodes stage with no positive nodes"),
        _ => None,
    }
}
