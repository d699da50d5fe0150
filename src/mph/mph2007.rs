//! MP/H 2007 rule sets (diagnosis years 2007-2017; melanoma to 2020, other sites to 2022).

use super::dates::{Gap, Later};
use super::engine::*;
use super::sets::{SiteSetId as Z, S};
use super::MessageKind::{UnknownDate, UnknownLaterality};

pub static HEAD_AND_NECK: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Tumors on both sides of a paired head and neck site are multiple primaries.",
        eval: |c| laterality_paired(c, c.d.sites(Z::R2007HeadNeckPaired)),
    },
    Rule {
        step: "M4",
        text: "Tumors of the upper lip and the lower lip are multiple primaries.",
        eval: |c| {
            if c.cross_site(&[0, 3], &[1, 4]) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M5",
        text: "Tumors of the upper gum and the lower gum are multiple primaries.",
        eval: |c| {
            if c.cross_site(&[30], &[31]) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M6",
        text: "Tumors of the nasal cavity and the middle ear are multiple primaries.",
        eval: |c| {
            if c.cross_site(&[300], &[301]) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M7",
        text:
            "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M8",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M9",
        text: "Tumors diagnosed more than five years apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 5),
    },
    Rule {
        step: "M10",
        text: "A NOS histology and a more specific histology are a single primary.",
        eval: |c| nos_vs_specific(c, S::R2007HeadNeckNos),
    },
    Rule {
        step: "M11",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M12",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static COLON: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Adenocarcinoma in adenomatous polyposis (FAP) with a malignant polyp is a single primary.",
        eval: |c| {
            if c.cross_h(S::FamillialPolyposis, S::Polyp) && (c.t1.b == 3 || c.t2.b == 3) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text: "Tumors in different colon subsites (fourth character) are multiple primaries.",
        eval: site_exact,
    },
    Rule {
        step: "M5",
        text: "Tumors diagnosed more than one year apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 1),
    },
    Rule {
        step: "M6",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M7",
        text: "An adenocarcinoma and a tumor in a polyp are a single primary.",
        eval: |c| {
            let adeno = |t: &T| c.h_in(t, S::AdenocarcinomaSpecific) || c.h_in(t, S::AdenocarcinomaNos);
            if (adeno(&c.t1) && c.h_in(&c.t2, S::Polyp)) || (adeno(&c.t2) && c.h_in(&c.t1, S::Polyp)) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "A NOS histology and a more specific histology are a single primary.",
        eval: |c| nos_vs_specific(c, S::R2007ColonNos),
    },
    Rule {
        step: "M9",
        text: "Multiple polyps are a single primary.",
        eval: |c| if c.both_h(S::Polyp) { fin(SINGLE) } else { Nothing },
    },
    Rule {
        step: "M10",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M11",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static LUNG: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M4",
        text: "Non-small cell carcinoma and small cell carcinoma are multiple primaries.",
        eval: |c| {
            if c.cross_h(S::NonSmallCellCarcinoma, S::SmallCellCarcinoma) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M5",
        text: "Adenocarcinoma with mixed subtypes and bronchioloalveolar carcinoma are multiple primaries.",
        eval: |c| {
            if c.cross_h(S::AdenocarcinomaWithMixedSubtypes, S::Bronchioalveolar) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M6",
        text: "A tumor in each lung is multiple primaries.",
        eval: |c| {
            let ok = |l: u8| matches!(l, b'1' | b'2' | b'4');
            if !(ok(c.t1.lat) && ok(c.t2.lat)) {
                pot(MULTIPLE, UnknownLaterality)
            } else if c.opposite() {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M7",
        text: "Tumors in both lungs with histologies that differ in the first three digits are multiple primaries.",
        eval: |c| {
            if (c.t1.lat == b'4' || c.t2.lat == b'4') && c.t1.first3() != c.t2.first3() {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Tumors diagnosed more than three years apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 3),
    },
    Rule {
        step: "M9",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M10",
        text: "Non-small cell carcinoma NOS and a specific non-small cell carcinoma are a single primary.",
        eval: |c| {
            if c.cross_h(S::NonSmallCellCarcinoma, S::SpecificNonSmallCellCarcinoma) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M11",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M12",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static MELANOMA: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Melanomas in sites that differ in any character are multiple primaries.",
        eval: site_exact,
    },
    Rule {
        step: "M4",
        text: "Melanomas of different laterality (midline counts as a laterality) are multiple primaries.",
        eval: |c| {
            let ok = |l: u8| matches!(l, b'1' | b'2' | b'5');
            if !(ok(c.t1.lat) && ok(c.t2.lat)) {
                pot(MULTIPLE, UnknownLaterality)
            } else if c.t1.lat != c.t2.lat {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M5",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M6",
        text: "An invasive melanoma more than 60 days after an in situ melanoma is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M7",
        text: "Melanomas diagnosed more than 60 days apart are multiple primaries.",
        eval: |c| match c.days(60) {
            Gap::Unknown => pot(MULTIPLE, UnknownDate),
            Gap::Apart => fin(MULTIPLE),
            Gap::Within => Nothing,
        },
    },
    Rule {
        step: "M8",
        text: "Melanomas that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static BREAST: &[Rule] = &[
    Rule {
        step: "M4",
        text:
            "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M5",
        text: "Tumors diagnosed more than five years apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 5),
    },
    Rule {
        step: "M6",
        text: "Inflammatory carcinoma in one or both breasts is a single primary.",
        eval: |c| {
            if c.both_b(3) && c.both_h_eq(8530) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M7",
        text: "A tumor in each breast is multiple primaries.",
        eval: laterality,
    },
    Rule {
        step: "M8",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M9",
        text: "Paget disease and intraductal or duct carcinoma are a single primary.",
        eval: |c| {
            if c.cross_h(S::PagetDisease, S::R2004DuctIntraductal) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M10",
        text: "Lobular carcinoma and intraductal or duct carcinoma are a single primary.",
        eval: |c| {
            if c.cross_h_code(8520, S::R2004DuctIntraductal) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M11",
        text: "Multiple intraductal and/or duct carcinomas are a single primary.",
        eval: |c| {
            if c.both_h(S::R2004DuctIntraductal) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M12",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M13",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static KIDNEY: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Wilms tumors are a single primary.",
        eval: |c| {
            if c.both_b(3) && c.both_h_eq(8960) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text:
            "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M5",
        text: "Tumors in both kidneys are multiple primaries.",
        eval: laterality,
    },
    Rule {
        step: "M6",
        text: "Tumors diagnosed more than three years apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 3),
    },
    Rule {
        step: "M7",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M8",
        text: "Two different specific renal cell histologies are multiple primaries.",
        eval: |c| {
            if c.both_h(S::SpecificRenalCellHistologies) && c.t1.h != c.t2.h {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M9",
        text: "A NOS histology and a more specific histology are a single primary.",
        eval: |c| nos_vs_specific(c, S::R2007KidneyNos),
    },
    Rule {
        step: "M10",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M11",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static URINARY: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Tumors in both renal pelves are multiple primaries.",
        eval: |c| laterality_at(c, 659),
    },
    Rule {
        step: "M4",
        text: "Tumors in both ureters are multiple primaries.",
        eval: |c| laterality_at(c, 669),
    },
    Rule {
        step: "M5",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M6",
        text:
            "Bladder tumors with papillary or transitional cell histologies are a single primary.",
        eval: |c| {
            if c.both_prefix(67) && c.both_h(S::R2004Bladder) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M7",
        text: "Tumors diagnosed more than three years apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 3),
    },
    Rule {
        step: "M8",
        text: "Urothelial tumors in several urinary organs are a single primary.",
        eval: |c| {
            let urinary = c.d.sites(Z::Urinary2018UrinarySites);
            if c.both_h(S::Urothelial) && urinary.any_has(c.t1.site) && urinary.any_has(c.t2.site) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M9",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M10",
        text:
            "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M11",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static BENIGN_BRAIN: &[Rule] = &[
    Rule {
        step: "M3",
        text: "A malignant tumor following a non-malignant tumor is a separate primary.",
        eval: noop,
    },
    Rule {
        step: "M4",
        text: "Tumors in sites that differ in any character are multiple primaries.",
        eval: site_exact,
    },
    Rule {
        step: "M5",
        text: "Tumors on both sides of a paired CNS site are multiple primaries.",
        eval: |c| laterality_paired(c, c.d.sites(Z::R2007BenignBrainPaired)),
    },
    Rule {
        step: "M6",
        text: "An atypical choroid plexus papilloma following a choroid plexus papilloma is a single primary.",
        eval: |c| following(c, 93_901, 93_900),
    },
    Rule {
        step: "M7",
        text: "A neurofibromatosis following a neurofibroma is a single primary.",
        eval: |c| following(c, 95_401, 95_400),
    },
    Rule {
        step: "M8",
        text: "Histologies on the same branch of Chart 1 are a single primary.",
        eval: |c| match bb_branches(c) {
            (Some(a), Some(b)) if a == b => fin(SINGLE),
            _ => Nothing,
        },
    },
    Rule {
        step: "M9",
        text: "Histologies on different branches of Chart 1 are multiple primaries.",
        eval: |c| match bb_branches(c) {
            (Some(a), Some(b)) if a != b => fin(MULTIPLE),
            _ => Nothing,
        },
    },
    Rule {
        step: "M10",
        text: "A histology on Chart 1 and one not on it are multiple primaries.",
        eval: |c| match bb_branches(c) {
            (Some(_), None) | (None, Some(_)) => fin(MULTIPLE),
            _ => Nothing,
        },
    },
    Rule {
        step: "M11",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M12",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

fn bb_branches(c: &Ctx) -> (Option<&'static str>, Option<&'static str>) {
    let m = &c.d.bb2007_chart1;
    (
        m.lookup_icd_first(c.t1.h, c.t1.icd),
        m.lookup_icd_first(c.t2.h, c.t2.icd),
    )
}

/// Whether both histologies are in a chart and share a branch.
fn chart_overlap(c: &Ctx) -> Option<bool> {
    for chart in [&c.d.mb2007_chart1, &c.d.mb2007_chart2] {
        if let (Some(a), Some(b)) = (chart.get(&c.t1.h), chart.get(&c.t2.h)) {
            return Some(a & b != 0);
        }
    }
    None
}

pub static MALIGNANT_BRAIN: &[Rule] = &[
    Rule {
        step: "M4",
        text: "A malignant tumor following a non-malignant tumor is a separate primary.",
        eval: noop,
    },
    Rule {
        step: "M5",
        text:
            "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M6",
        text: "A glioblastoma following a glial tumor is a single primary.",
        eval: |c| {
            let cross = (c.t1.h == 9440 && c.h_in(&c.t2, S::GlialTumor))
                || (c.t2.h == 9440 && c.h_in(&c.t1, S::GlialTumor));
            if c.t1.h == c.t2.h || !cross {
                return Nothing;
            }
            if c.later == Later::Unknown {
                pot(SINGLE, UnknownDate)
            } else if c.later_tumor().is_some_and(|t| t.h == 9440) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M7",
        text: "Histologies on the same branch of Chart 1 or Chart 2 are a single primary.",
        eval: |c| {
            if chart_overlap(c) == Some(true) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Histologies on different branches of Chart 1 or Chart 2 are multiple primaries.",
        eval: |c| {
            if chart_overlap(c) == Some(false) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M9",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M10",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

/// Adenocarcinoma (NOS or specific) and a polyp histology, not both polyps, in situ or invasive.
fn adeno_and_polyp(c: &Ctx) -> bool {
    let b23 = |t: &T| t.b == 2 || t.b == 3;
    let adeno = |t: &T| c.h_in(t, S::AdenocarcinomaSpecific) || c.h_in(t, S::AdenocarcinomaNos);
    b23(&c.t1)
        && b23(&c.t2)
        && !c.both_h(S::Polyp)
        && ((adeno(&c.t1) && c.h_in(&c.t2, S::Polyp)) || (adeno(&c.t2) && c.h_in(&c.t1, S::Polyp)))
}

pub fn both_polyps_23(c: &Ctx) -> bool {
    let b23 = |t: &T| t.b == 2 || t.b == 3;
    b23(&c.t1) && b23(&c.t2) && c.both_h(S::Polyp)
}

pub fn adeno_and_polyp_rule(c: &Ctx) -> Out {
    if adeno_and_polyp(c) {
        fin(SINGLE)
    } else {
        Nothing
    }
}

pub static OTHER_SITES: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Adenocarcinoma of the prostate is always a single primary.",
        eval: |c| {
            if c.both_sites(619) && c.both_h_eq(8140) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text: "Retinoblastoma is always a single primary.",
        eval: retinoblastoma,
    },
    Rule {
        step: "M5",
        text: "Kaposi sarcoma is always a single primary.",
        eval: kaposi,
    },
    Rule {
        step: "M6",
        text: "Follicular and papillary thyroid tumors within 60 days are a single primary.",
        eval: |c| thyroid_foll_pap(c, S::R2007ThyroidNos),
    },
    Rule {
        step: "M7",
        text: "Bilateral epithelial ovarian tumors within 60 days are a single primary.",
        eval: |c| {
            let (h1, h2) = (c.t1.h, c.t2.h);
            if !(c.both_sites(569) && h1 <= 8799 && h2 <= 8799) {
                return Nothing;
            }
            let nos = |h: u16| h == 8000 || h == 8010;
            let serous = |a: u16, b: u16| matches!(a, 8460 | 8461) && b == 8441;
            if h1 == h2 || nos(h1) || nos(h2) || serous(h1, h2) || serous(h2, h1) {
                synchronous_single(c)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Tumors on both sides of a paired site are multiple primaries.",
        eval: |c| laterality_paired(c, c.d.sites(Z::R2007OtherSitesPaired)),
    },
    Rule {
        step: "M9",
        text: "Adenocarcinoma in adenomatous polyposis coli (FAP) in the colon and rectum is a single primary.",
        eval: |c| {
            let colorectal = |t: &T| t.prefix() == 18 || t.site == 199 || t.site == 209;
            if colorectal(&c.t1)
                && colorectal(&c.t2)
                && (c.t1.b == 3 || c.t2.b == 3)
                && c.cross_h(S::FamilialAdenomatousPolyposis, S::Polyp)
            {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M10",
        text: "Tumors diagnosed more than one year apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 1),
    },
    Rule {
        step: "M11",
        text: "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M12",
        text: "Tumors of the anus, bone, connective tissue, peripheral nerves or skin in sites that differ in the fourth character are multiple primaries.",
        eval: |c| {
            if c.d.sites(Z::R2007OtherSitesFourthChar).any_has(c.t1.site)
                && c.t1.site % 10 != c.t2.site % 10
            {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M13",
        text: "An adenocarcinoma and a tumor in a polyp are a single primary.",
        eval: adeno_and_polyp_rule,
    },
    Rule {
        step: "M14",
        text: "Multiple in situ and/or malignant polyps are a single primary.",
        eval: |c| if both_polyps_23(c) { fin(SINGLE) } else { Nothing },
    },
    Rule {
        step: "M15",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M16",
        text: "A NOS histology and a more specific histology are a single primary.",
        eval: |c| nos_vs_specific(c, S::R2007OtherSitesNos),
    },
    Rule {
        step: "M17",
        text: "Histologies that differ in the first three digits are multiple primaries.",
        eval: hist_3,
    },
    Rule {
        step: "M18",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];
