//! Solid Tumor Rules 2018+: CNS (malignant and non-malignant), urinary, cutaneous melanoma
//! (2021+) and other sites (2023+).

use super::data::CodeMap;
use super::dates::{Gap, Later};
use super::engine::*;
use super::sets::{SiteSetId as Z, S};
use super::MessageKind::{self, UnknownDate, UnknownLaterality};

/// A tumor in exactly one of the CNS site groups is a separate primary (RULES.md 5.13).
fn cns_sites(c: &Ctx, malignant: bool) -> Out {
    let meninges = if malignant {
        Z::MalignantCns2018MeningesOfCranialOrPeriphNervesSites
    } else {
        Z::NonMalignantCns2018MeningesOfCranialOrPeriphNervesSites
    };
    let groups = [
        Z::Cns2018BrainSites,
        Z::Cns2018CaudaEquina,
        Z::Cns2018CerebralMeningesSites,
        Z::Cns2018CranialNervesSitesNonCaudaEquina,
        Z::Cns2018SpinalCordSites,
        Z::Cns2018SpinalMeningesSites,
        meninges,
    ];
    let (s1, s2) = (c.t1.site, c.t2.site);
    let split = groups.iter().any(|z| {
        let e = c.d.sites(*z);
        e.any_has(s1) != e.any_has(s2)
    });
    let nerves = c.d.sites(Z::Cns2018CranialNervesSitesNonCaudaEquina);
    if split || (malignant && nerves.any_has(s1) && nerves.any_has(s2) && s1 != s2) {
        fin(MULTIPLE)
    } else {
        Nothing
    }
}

pub static MALIGNANT_CNS: &[Rule] = &[
    Rule {
        step: "M6",
        text: "A malignant tumor following a non-malignant tumor is a separate primary.",
        eval: noop,
    },
    Rule {
        step: "M7",
        text: "A glioblastoma following a glial tumor is a separate primary.",
        eval: |c| {
            let cross = (c.t1.h == 9440 && c.h_in(&c.t2, S::GlialTumor2018))
                || (c.t2.h == 9440 && c.h_in(&c.t1, S::GlialTumor2018));
            if c.t1.h == c.t2.h || !cross {
                return Nothing;
            }
            if c.later == Later::Unknown {
                pot(MULTIPLE, UnknownDate)
            } else if c.later_tumor().is_some_and(|t| t.h == 9440) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Multiple tumors of the same histology in the brain are a single primary.",
        eval: |c| {
            let brain = |t: &T| (710..=719).contains(&t.site);
            if c.t1.h == c.t2.h && brain(&c.t1) && brain(&c.t2) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M9",
        text: "Tumors in different CNS site groups are multiple primaries.",
        eval: |c| cns_sites(c, true),
    },
    Rule {
        step: "M10",
        text: "Tumors with different subtypes/variants in Table 3 are multiple primaries.",
        eval: |c| match c.lookup(&c.d.mcns_sub) {
            (Some(a), Some(b)) if unrelated(a, b) => fin(MULTIPLE),
            _ => Nothing,
        },
    },
    Rule {
        step: "M11",
        text: "Glioma NOS and a glioma subtype are a single primary.",
        eval: |c| {
            if c.cross_h_code(9380, S::R2018GliomaSubtypes) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M12",
        text: "Tumors on the same row of Table 3 are a single primary.",
        eval: |c| same_row(c, &c.d.mcns_rows, false),
    },
    Rule {
        step: "M13",
        text: "Tumors on different rows of Table 3 are multiple primaries.",
        eval: |c| {
            if c.same_code() {
                return Nothing;
            }
            match c.lookup(&c.d.mcns_rows) {
                (Some(a), Some(b)) if a.starts_with("8000") || b.starts_with("8000") => {
                    fin_msg(QUESTIONABLE, MessageKind::Row8000Fixed)
                }
                (Some(a), Some(b)) if a != b => fin(MULTIPLE),
                (Some(_), Some(_)) => Nothing,
                (r1, r2) => c.not_in_table(r1, r2),
            }
        },
    },
    Rule {
        step: "M14",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

fn nm_rows(c: &Ctx, t: &T) -> Option<&'static str> {
    let m: &CodeMap = if t.date.year >= 2023 {
        &c.d.nmcns_2023_rows
    } else {
        &c.d.nmcns_2018_rows
    };
    m.lookup(t.h, t.icd)
}

/// The 9413 and 9509 codes name two different tumors: manual review.
fn ambiguous_code(c: &Ctx) -> Option<Out> {
    if c.t1.h == 9413 {
        Some(fin_msg(QUESTIONABLE, MessageKind::Cns9413))
    } else if c.t1.h == 9509 && c.t1.b != c.t2.b {
        Some(fin_msg(QUESTIONABLE, MessageKind::Cns9509))
    } else {
        None
    }
}

pub static NON_MALIGNANT_CNS: &[Rule] = &[
    Rule {
        step: "M6",
        text: "A malignant tumor following a non-malignant tumor is a separate primary.",
        eval: noop,
    },
    Rule {
        step: "M7",
        text: "Bilateral acoustic neuromas or bilateral optic gliomas are a single primary.",
        eval: |c| {
            let sites = c.d.sites(Z::R2018NonMalignantCnsBilateralSites);
            if sites.any_has(c.t1.site)
                && c.t1.site == c.t2.site
                && c.opposite()
                && c.t1.icd == c.t2.icd
                && c.icd_in(&c.t1, S::R2018BilateralNeuromaGlioma)
            {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Tumors in different CNS site groups are multiple primaries.",
        eval: |c| cns_sites(c, false),
    },
    Rule {
        step: "M9",
        text: "Tumors with different subtypes/variants in Table 6 are multiple primaries.",
        eval: |c| {
            if c.t1.h != c.t2.h && c.both_icd(S::NonMalignantCns2018Table6Subtypes) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M10",
        text: "Multiple meningiomas of the cerebral meninges are a single primary.",
        eval: |c| {
            if c.both_sites(700) && c.both_icd(S::Cns2018Meningiomas) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M11",
        text: "Multiple tumors of the same histology in the brain are a single primary.",
        eval: |c| {
            let brain = |t: &T| (710..=719).contains(&t.site);
            if !(c.t1.h == c.t2.h && brain(&c.t1) && brain(&c.t2)) {
                return Nothing;
            }
            ambiguous_code(c).unwrap_or_else(|| fin(SINGLE))
        },
    },
    Rule {
        step: "M12",
        text: "Tumors on the same row of Table 6 are a single primary.",
        eval: |c| {
            let (r1, r2) = (nm_rows(c, &c.t1), nm_rows(c, &c.t2));
            let same = c.same_code();
            if !same && (r1.is_none() || r2.is_none()) {
                return c.not_in_table(r1, r2);
            }
            if same || r1 == r2 {
                ambiguous_code(c).unwrap_or_else(|| fin(SINGLE))
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M13",
        text: "Pilocytic astrocytoma and a low-grade glial or glioneuronal tumor are a single primary.",
        eval: |c| {
            if c.cross_icd_code(93_801, S::R2018NonMalignantGlioneuronal) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M14",
        text: "Tumors on different rows of Table 6 are multiple primaries.",
        eval: |c| {
            if c.same_code() {
                return Nothing;
            }
            match (nm_rows(c, &c.t1), nm_rows(c, &c.t2)) {
                (Some(a), Some(_)) if a.starts_with("8000") => {
                    fin_msg(QUESTIONABLE, MessageKind::Row8000(c.t1.icd))
                }
                (Some(_), Some(b)) if b.starts_with("8000") => {
                    fin_msg(QUESTIONABLE, MessageKind::Row8000(c.t2.icd))
                }
                (Some(a), Some(b)) if a != b => fin(MULTIPLE),
                (Some(_), Some(_)) => Nothing,
                (r1, r2) => c.not_in_table(r1, r2),
            }
        },
    },
    Rule {
        step: "M15",
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
        text: "Synchronous non-invasive papillary urothelial carcinoma of the bladder and a ureter is a single primary.",
        eval: |c| {
            let pair = |a: &T, b: &T| a.prefix() == 67 && b.site == 669;
            if c.t1.icd == 81_202
                && c.t2.icd == 81_202
                && (pair(&c.t1, &c.t2) || pair(&c.t2, &c.t1))
            {
                synchronous_single(c)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M6",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M7",
        text: "Multiple in situ urothelial carcinomas of the bladder are a single primary.",
        eval: |c| {
            if c.both_b(2) && c.both_prefix(67) && c.both_h(S::Urinary2018UrothelialCarcinomasExcludeMicropapillary) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Micropapillary urothelial carcinoma and another urothelial carcinoma are multiple primaries.",
        eval: |c| {
            if c.cross_h_code(8131, S::Urinary2018UrothelialCarcinomasExcludeMicropapillary) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M9",
        text: "Multiple invasive urothelial carcinomas of the bladder are a single primary.",
        eval: |c| {
            if c.both_b(3) && c.both_prefix(67) && c.both_h(S::Urinary2018UrothelialCarcinomas) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M10",
        text: "Tumors diagnosed more than three years apart are multiple primaries.",
        eval: |c| {
            if c.both_prefix(67) && c.both_h(S::Urinary2018UrothelialCarcinomasExcludeMicropapillary) {
                Nothing
            } else {
                years_apart_rule(c, 3)
            }
        },
    },
    Rule {
        step: "M11",
        text: "Urothelial carcinomas in several urinary organs are a single primary.",
        eval: |c| {
            let sites = c.d.sites(Z::Urinary2018UrinarySites);
            if sites.any_has(c.t1.site)
                && sites.any_has(c.t2.site)
                && c.t1.prefix() != c.t2.prefix()
                && c.both_h(S::Urinary2018UrothelialCarcinomas)
            {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M12",
        text: "Tumors with different subtypes/variants in Table 2 are multiple primaries.",
        eval: |c| match c.lookup(&c.d.urinary_sub) {
            (Some(a), Some(b)) if a != b => fin(MULTIPLE),
            _ => Nothing,
        },
    },
    Rule {
        step: "M13",
        text: "Tumors on different rows of Table 2 are multiple primaries.",
        eval: |c| different_row(c, &c.d.urinary_rows),
    },
    Rule {
        step: "M14",
        text: "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M15",
        text: "Synchronous tumors on the same row of Table 2 are a single primary.",
        eval: |c| same_row(c, &c.d.urinary_rows, true),
    },
    Rule {
        step: "M16",
        text: "An in situ tumor following an invasive tumor is a single primary.",
        eval: insitu_after_invasive,
    },
    Rule {
        step: "M17",
        text: "An invasive tumor within 60 days after an in situ tumor is a single primary.",
        eval: |c| invasive_after_insitu_le60(c, false),
    },
    Rule {
        step: "M18",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

fn melanoma_no_lat(c: &Ctx) -> bool {
    c.d.sites(Z::R2021MelanomaNoLaterality).any_has(c.t1.site)
}

fn lat_125(l: u8) -> bool {
    matches!(l, b'1' | b'2' | b'5')
}

pub static CUTANEOUS_MELANOMA: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Melanomas in sites that differ in any character are multiple primaries.",
        eval: |c| {
            if c.t1.site == 449 || c.t2.site == 449 {
                pot(MULTIPLE, MessageKind::SiteC449)
            } else if c.t1.site != c.t2.site {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text: "Melanomas of different laterality (midline counts as a laterality) are multiple primaries.",
        eval: |c| {
            let blank = |l: u8| l == b'9' || l == 0;
            if melanoma_no_lat(c) || blank(c.t1.lat) || blank(c.t2.lat) {
                Nothing
            } else if !(lat_125(c.t1.lat) && lat_125(c.t2.lat)) {
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
        text: "Melanomas with different subtypes/variants in Table 2 are multiple primaries.",
        eval: |c| match c.lookup(&c.d.melanoma_sub) {
            (Some(a), Some(b)) if a != b => fin(MULTIPLE),
            _ => Nothing,
        },
    },
    Rule {
        step: "M6",
        text: "Melanomas on the same row of Table 2 diagnosed within 60 days are a single primary.",
        eval: |c| {
            let in1 = c.in_set(&c.t1, S::CutaneousMelanoma2021Table2Rows);
            let in2 = c.in_set(&c.t2, S::CutaneousMelanoma2021Table2Rows);
            if !(in1 && in2) {
                let r = |b: bool| b.then_some("");
                return c.not_in_table(r(in1), r(in2));
            }
            let no_lat = melanoma_no_lat(c);
            let known = lat_125(c.t1.lat) && lat_125(c.t2.lat);
            if !no_lat && !known {
                return fin_msg(QUESTIONABLE, UnknownLaterality);
            }
            if no_lat || c.t1.lat == c.t2.lat {
                return match c.days(60) {
                    Gap::Unknown => fin_msg(QUESTIONABLE, UnknownDate),
                    Gap::Within => fin(SINGLE),
                    Gap::Apart => Nothing,
                };
            }
            Nothing
        },
    },
    Rule {
        step: "M7",
        text: "Melanomas diagnosed more than 60 days apart are multiple primaries.",
        eval: |c| match c.days(60) {
            Gap::Unknown => fin_msg(QUESTIONABLE, UnknownDate),
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

/// Subtype look-ups in each tumor's own site table, both present and unrelated.
fn os_different_subtypes(c: &Ctx) -> bool {
    let sub = &c.d.os_sub;
    match (sub.for_site(c.t1.site), sub.for_site(c.t2.site)) {
        (Some(a), Some(b)) => matches!(
            (a.lookup(c.t1.h, c.t1.icd), b.lookup(c.t2.h, c.t2.icd)),
            (Some(x), Some(y)) if unrelated(x, y)
        ),
        _ => false,
    }
}

pub static OTHER_SITES: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Acinar adenocarcinoma of the prostate and its subtypes are a single primary.",
        eval: |c| {
            if c.both_sites(619) && c.both_in(S::AdenocarcinomaProstateSubtypes) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text: "Small cell carcinoma of the prostate after adenocarcinoma is a separate primary.",
        eval: |c| {
            if !(c.both_sites(619) && c.cross_icd_code(80_413, S::R2023ProstateAdeno)) {
                return Nothing;
            }
            if c.later == Later::Unknown {
                pot(MULTIPLE, UnknownDate)
            } else if c.later_tumor().is_some_and(|t| t.icd == 80_413) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M5",
        text: "Retinoblastoma is always a single primary.",
        eval: retinoblastoma,
    },
    Rule {
        step: "M6",
        text: "Kaposi sarcoma is always a single primary.",
        eval: kaposi,
    },
    Rule {
        step: "M7",
        text: "Follicular and papillary thyroid carcinomas within 60 days are a single primary.",
        eval: |c| thyroid_foll_pap(c, S::R2023ThyroidFollicularPapillary),
    },
    Rule {
        step: "M8",
        text: "Anaplastic carcinoma and another thyroid carcinoma are multiple primaries.",
        eval: |c| {
            if c.both_sites(739) && c.cross_icd(S::AnaplasticCarcinoma, S::OtherThyroidHistologies) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M9",
        text: "Bilateral epithelial ovarian tumors on the same row within 60 days are a single primary.",
        eval: |c| {
            if !(c.both_sites(569) && c.t1.h <= 8799 && c.t2.h <= 8799) {
                return Nothing;
            }
            let same = if c.t1.h == c.t2.h {
                true
            } else {
                let sub = c.d.os_sub.for_site(569);
                let diff = sub.is_some_and(|m| {
                    matches!(c.lookup(m), (Some(a), Some(b)) if unrelated(a, b))
                });
                !diff
                    && c.d.os_rows.for_site(569).is_some_and(|m| {
                        matches!(c.lookup(m), (Some(a), Some(b)) if a == b)
                    })
            };
            if same {
                synchronous_single(c)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M10",
        text: "Tumors on both sides of a paired site are multiple primaries.",
        eval: |c| laterality_paired(c, c.d.sites(Z::R2023OtherSitesPaired)),
    },
    Rule {
        step: "M11",
        text: "Adenocarcinoma in adenomatous polyposis of the small intestine is a single primary.",
        eval: |c| {
            if c.both_prefix(17)
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
        step: "M12",
        text: "Tumors diagnosed more than one year apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 1),
    },
    Rule {
        step: "M13",
        text: "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M14",
        text: "Tumors of the anus, bone, soft tissue or skin in sites that differ in the fourth character are multiple primaries.",
        eval: |c| {
            if c.d.sites(Z::R2023OtherSitesFourthChar).any_has(c.t1.site)
                && c.t1.site % 10 != c.t2.site % 10
            {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M15",
        text: "An adenocarcinoma and a tumor in a polyp are a single primary.",
        eval: super::mph2007::adeno_and_polyp_rule,
    },
    Rule {
        step: "M16",
        text: "Multiple in situ and/or malignant polyps are a single primary.",
        eval: |c| {
            if super::mph2007::both_polyps_23(c) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M17",
        text: "Tumors with different subtypes/variants in the site's histology table are multiple primaries.",
        eval: |c| if os_different_subtypes(c) { fin(MULTIPLE) } else { Nothing },
    },
    Rule {
        step: "M18",
        text: "Synchronous tumors on the same row of the site's histology table are a single primary.",
        eval: |c| {
            let rows = &c.d.os_rows;
            let (Some(t1), Some(t2)) = (rows.table_of(c.t1.site), rows.table_of(c.t2.site)) else {
                return Nothing;
            };
            if t1 != t2 {
                return Nothing;
            }
            let (r1, r2) = c.lookup(&rows.tables[t1]);
            if c.same_code() || (r1.is_some() && r1 == r2) {
                synchronous_single(c)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M19",
        text: "Tumors on different rows of the site's histology table are multiple primaries.",
        eval: |c| {
            if c.same_code() {
                return Nothing;
            }
            let row = |t: &T| -> Option<std::borrow::Cow<'static, str>> {
                c.d.os_rows
                    .for_site(t.site)
                    .and_then(|m| m.lookup(t.h, t.icd))
                    .map(std::borrow::Cow::Borrowed)
                    .or_else(|| {
                        c.h_in(t, S::OtherSites2023Table2)
                            .then(|| std::borrow::Cow::Owned(format!("{} in Table 2", t.h)))
                    })
            };
            match (row(&c.t1), row(&c.t2)) {
                (Some(a), Some(b)) if a != b => fin(MULTIPLE),
                (Some(_), Some(_)) => Nothing,
                (r1, r2) => c.not_in_table(r1.as_deref(), r2.as_deref()),
            }
        },
    },
    Rule {
        step: "M20",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M21",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];
