//! Each first-course treatment modality against its date, and the surgery item in force for
//! the diagnosis year. Codes are those of the NAACCR v26 item definitions: "none" and "not
//! given" (contraindicated 82, died 85, recommended but not given 86, refused 87; the
//! one-digit items 0 and 7) cannot have a date of that treatment.

use super::super::record::{Rec, F};
use super::super::tables::ReferenceTables;
use super::super::{fail_items, Verdict};

fn ids(fs: &[F]) -> Vec<String> {
    fs.iter().map(|f| f.id().to_string()).collect()
}

/// Fails when `date` is coded while `given` says the treatment was not given.
fn none_with_date(r: &Rec<'_>, code: F, date: F, not_given: fn(&str) -> bool) -> Verdict {
    let (v, d) = (r.get(code), r.get(date));
    if d.is_empty() || v.is_empty() || !not_given(v) {
        return None;
    }
    fail_items(
        format!("{} {v} (not given) with {} {d}", code.id(), date.id()),
        ids(&[code, date]),
    )
}

fn not_given_2(v: &str) -> bool {
    matches!(v, "00" | "82" | "85" | "86" | "87")
}

/// F08: before 2023 the surgery of primary site goes in [1290]; from 2023 in [1291].
pub fn surgery_item_by_year(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let year = r.year?;
    let (old, new) = (r.get(F::SurgPrimSite), r.get(F::SurgPrimSite2023));
    let items = || ids(&[F::SurgPrimSite, F::SurgPrimSite2023, F::DateOfDiagnosis]);
    if year >= 2023 && !old.is_empty() {
        return fail_items(
            format!(
                "diagnosed {year}: surgery is coded in rxSummSurgPrimSite2023 [1291]; rxSummSurgPrimSite [1290] {old} must be blank"
            ),
            items(),
        );
    }
    if year < 2023 && !new.is_empty() {
        return fail_items(
            format!(
                "diagnosed {year}: surgery is coded in rxSummSurgPrimSite [1290]; rxSummSurgPrimSite2023 [1291] {new} is for 2023+ cases"
            ),
            items(),
        );
    }
    None
}

/// F09: no surgery of the primary site (00 / A000) with a surgery date.
pub fn surgery_vs_date(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let date = r.get(F::RxDateSurgery);
    if date.is_empty() {
        return None;
    }
    // 00 before 2023; a letter and 000 (A000, B000, ...) in the 2023+ tables
    let none_2023 = |v: &str| v.len() == 4 && v.get(1..) == Some("000");
    let (old, new) = (r.get(F::SurgPrimSite), r.get(F::SurgPrimSite2023));
    let no_primary = (old.is_empty() || old == "00") && (new.is_empty() || none_2023(new));
    let no_other =
        matches!(r.get(F::ScopeRegLnSur), "" | "0") && matches!(r.get(F::SurgOthRegDis), "" | "0");
    let coded = !r.blank(F::SurgPrimSite) || !r.blank(F::SurgPrimSite2023);
    if coded && no_primary && no_other {
        return fail_items(
            format!("no surgery coded but rxDateSurgery {date}"),
            ids(&[
                F::SurgPrimSite,
                F::SurgPrimSite2023,
                F::ScopeRegLnSur,
                F::SurgOthRegDis,
                F::RxDateSurgery,
            ]),
        );
    }
    None
}

/// F10: radiation none / not given (summary 0 or 7, Phase I modality 00, a reason for no
/// radiation 1-7) with a radiation date; Phase II or III coded without Phase I.
pub fn radiation_vs_date(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let date = r.get(F::RxDateRadiation);
    if !date.is_empty() {
        if r.get(F::Phase1Modality) == "00" {
            return fail_items(
                format!("phase1RadiationTreatmentModality 00 (no radiation) with rxDateRadiation {date}"),
                ids(&[F::Phase1Modality, F::RxDateRadiation]),
            );
        }
        if matches!(r.get(F::SummRadiation), "0" | "7") {
            return fail_items(
                format!(
                    "rxSummRadiation {} (not given) with rxDateRadiation {date}",
                    r.get(F::SummRadiation)
                ),
                ids(&[F::SummRadiation, F::RxDateRadiation]),
            );
        }
        if matches!(r.get(F::ReasonNoRadiation), "1" | "2" | "5" | "6" | "7") {
            return fail_items(
                format!(
                    "reasonForNoRadiation {} (not given) with rxDateRadiation {date}",
                    r.get(F::ReasonNoRadiation)
                ),
                ids(&[F::ReasonNoRadiation, F::RxDateRadiation]),
            );
        }
    }
    let p1 = r.get(F::Phase1Modality);
    for later in [F::Phase2Modality, F::Phase3Modality] {
        let v = r.get(later);
        if p1 == "00" && !v.is_empty() && v != "00" {
            return fail_items(
                format!("{} {v} but Phase I is 00 (no radiation)", later.id()),
                ids(&[F::Phase1Modality, later]),
            );
        }
    }
    None
}

/// F11: chemotherapy none / not given with a chemotherapy date.
pub fn chemo_vs_date(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    none_with_date(r, F::SummChemo, F::RxDateChemo, not_given_2)
}

/// F12: hormone therapy none / not given with a hormone therapy date.
pub fn hormone_vs_date(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    none_with_date(r, F::SummHormone, F::RxDateHormone, not_given_2)
}

/// F13: immunotherapy (BRM) none / not given with an immunotherapy date.
pub fn brm_vs_date(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    none_with_date(r, F::SummBrm, F::RxDateBrm, not_given_2)
}

/// F14: other treatment none (0) or refused (7) with an other-treatment date.
pub fn other_vs_date(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    none_with_date(r, F::SummOther, F::RxDateOther, |v| matches!(v, "0" | "7"))
}

/// F15: a systemic therapy date [3230] needs some systemic therapy (chemotherapy, hormone,
/// immunotherapy or transplant/endocrine) that was not "none / not given".
pub fn systemic_vs_date(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let date = r.get(F::RxDateSystemic);
    let items = [
        F::SummChemo,
        F::SummHormone,
        F::SummBrm,
        F::SummTransplntEndocr,
    ];
    if date.is_empty() || items.iter().any(|f| r.blank(*f)) {
        return None;
    }
    if items.iter().all(|f| not_given_2(r.get(*f))) {
        let mut all = items.to_vec();
        all.push(F::RxDateSystemic);
        return fail_items(
            format!("no systemic therapy given but rxDateSystemic {date}"),
            ids(&all),
        );
    }
    None
}
