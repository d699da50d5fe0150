//! Solid Tumor Rules 2018+ (with the later module updates): breast, colon, head and neck,
//! kidney and lung.

use super::dates::{Gap, Later};
use super::engine::*;
use super::sets::{SiteSetId as Z, S};
use super::MessageKind::{self, UnknownDate, UnknownLatAndDate, UnknownLaterality};

/// Synchronous same-row tumors of a paired organ (Kidney M8, Lung M7): single primary on the
/// same side; `m8311` turns two 8311 tumors into a manual review.
fn same_row_same_side(c: &Ctx, m8311: bool) -> Out {
    let d = c.days(60);
    if d == Gap::Apart {
        return Nothing;
    }
    if !c.known_side() {
        let m = if d == Gap::Unknown {
            UnknownLatAndDate
        } else {
            UnknownLaterality
        };
        return pot(SINGLE, m);
    }
    if d == Gap::Unknown {
        return pot(SINGLE, UnknownDate);
    }
    if c.same_side() {
        if m8311 && c.both_h_eq(8311) {
            return fin_msg(QUESTIONABLE, MessageKind::Kidney8311);
        }
        return fin(SINGLE);
    }
    Nothing
}

/// Subtype look-ups of both tumors present and unrelated (neither contains the other).
fn different_subtypes(c: &Ctx, m: &super::data::CodeMap) -> bool {
    matches!(c.lookup(m), (Some(a), Some(b)) if unrelated(a, b))
}

/// Rows with the Table 2 marker when a tumor is not in Table 3 but is a combination code.
fn rows_with_table2(
    c: &Ctx,
    m: &super::data::CodeMap,
    table2: S,
) -> (Option<&'static str>, Option<&'static str>) {
    let (r1, r2) = c.lookup(m);
    let mark =
        |r: Option<&'static str>, t: &T| r.or_else(|| c.in_set(t, table2).then_some("table2"));
    (mark(r1, &c.t1), mark(r2, &c.t2))
}

pub static BREAST: &[Rule] = &[
    Rule {
        step: "M4",
        text: "Tumors in sites that differ in the second or third character are multiple primaries.",
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
        step: "M10",
        text: "Ductal carcinoma following a combination code of ductal and another type is a single primary.",
        eval: |c| {
            let cross = c.cross_icd_code(85_002, S::R2018BreastDuctCombinationInsitu)
                || c.cross_icd_code(85_003, S::R2018BreastDuctCombinationInvasive);
            if !cross {
                return Nothing;
            }
            match c.later {
                Later::Unknown => pot(SINGLE, UnknownDate),
                Later::Equal => fin(SINGLE),
                _ if c.later_tumor().is_some_and(|t| t.h == 8500) => fin(SINGLE),
                _ => Nothing,
            }
        },
    },
    Rule {
        step: "M11",
        text: "Tumors with different subtypes/variants in Table 3 are multiple primaries.",
        eval: |c| {
            if different_subtypes(c, &c.d.breast_sub) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M12",
        text: "Synchronous tumors on the same row of Table 3 are a single primary.",
        eval: |c| {
            let (r1, r2) = c.lookup(&c.d.breast_rows);
            if c.same_code() || (r1.is_some() && r1 == r2) {
                synchronous_single(c)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M13",
        text: "Tumors on different rows of Table 3, or a combination code and a Table 3 code, are multiple primaries.",
        eval: |c| {
            if c.same_code() {
                return Nothing;
            }
            match rows_with_table2(c, &c.d.breast_rows, S::Breast2018Table2) {
                (Some(a), Some(b)) if a != b => fin(MULTIPLE),
                (Some(_), Some(_)) => Nothing,
                (r1, r2) => c.not_in_table(r1, r2),
            }
        },
    },
    Rule {
        step: "M14",
        text: "An in situ tumor following an invasive tumor in the same breast is a single primary.",
        eval: insitu_after_invasive_same_side,
    },
    Rule {
        step: "M15",
        text: "An invasive tumor within 60 days after an in situ tumor in the same breast is a single primary.",
        eval: |c| invasive_after_insitu_le60(c, true),
    },
    Rule {
        step: "M16",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M17",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

pub static COLON: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Familial adenomatous polyposis is a single primary.",
        eval: |c| {
            if c.both_h_eq(8220) {
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
        text: "Tumors with different subtypes/variants in Table 1 are multiple primaries.",
        eval: |c| {
            if c.t1.h != c.t2.h && c.both_in(S::Colon2018Table1Subtypes) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M6",
        text: "Tumors on different rows of Table 1 are multiple primaries.",
        eval: |c| different_row(c, &c.d.colon_rows),
    },
    Rule {
        step: "M9",
        text: "Tumors in sites that differ in the fourth character are multiple primaries.",
        eval: |c| {
            if c.t1.site == 189 || c.t2.site == 189 {
                pot(MULTIPLE, MessageKind::SiteC189)
            } else if c.t1.site != c.t2.site {
                fin(MULTIPLE)
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
        text: "Synchronous tumors on the same row of Table 1 are a single primary.",
        eval: |c| same_row(c, &c.d.colon_rows, true),
    },
    Rule {
        step: "M12",
        text: "An in situ tumor following an invasive tumor is a single primary.",
        eval: insitu_after_invasive,
    },
    Rule {
        step: "M13",
        text: "An invasive tumor within 60 days after an in situ tumor is a single primary.",
        eval: |c| invasive_after_insitu_le60(c, false),
    },
    Rule {
        step: "M14",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M15",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];

/// Head and neck named subsite pairs that are separate primaries (M3).
fn hn_subsite_pairs(c: &Ctx) -> bool {
    let (s1, s2) = (c.t1.site, c.t2.site);
    let larynx = c.d.sites(Z::GlottisAndLaryngealSites);
    if larynx.any_has(s1) && larynx.any_has(s2) && s1 != s2 {
        return true;
    }
    let sinus = [310u16, 311, 312, 313];
    if sinus.contains(&s1) && sinus.contains(&s2) && s1 != s2 {
        return true;
    }
    const PAIRS: &[(&[u16], &[u16])] = &[
        (&[755], &[754]),
        (&[50], &[51]),
        (&[50], &[52]),
        (&[51], &[52]),
        (&[410], &[411]),
        (&[300], &[301]),
        (&[130], &[131]),
        (&[130], &[132]),
        (&[131], &[132]),
        (&[80], &[81]),
        (&[30], &[31]),
        (&[0, 3], &[1, 4]),
    ];
    PAIRS.iter().any(|(a, b)| c.cross_site(a, b))
}

pub static HEAD_AND_NECK: &[Rule] = &[
    Rule {
        step: "M3",
        text: "Tumors in named separate head and neck subsites are multiple primaries.",
        eval: |c| if hn_subsite_pairs(c) { fin(MULTIPLE) } else { Nothing },
    },
    Rule {
        step: "M4",
        text: "Tumors in sites that differ in the second or third character are multiple primaries.",
        eval: site_23,
    },
    Rule {
        step: "M5",
        text: "Tumors on both sides of a paired head and neck site are multiple primaries.",
        eval: |c| laterality_paired(c, c.d.sites(Z::HeadAndNeck2018PairedSites)),
    },
    Rule {
        step: "M6",
        text: "Tumors diagnosed more than five years apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 5),
    },
    Rule {
        step: "M7",
        text: "Tumors with different subtypes/variants in the same histology table are multiple primaries.",
        eval: |c| {
            let rows = &c.d.hn_rows;
            let (Some(t1), Some(t2)) = (rows.table_of(c.t1.site), rows.table_of(c.t2.site)) else {
                let site = if rows.table_of(c.t1.site).is_none() { c.t1.site } else { c.t2.site };
                return fin_msg(QUESTIONABLE, MessageKind::HnNoTable(site));
            };
            if t1 != t2 {
                return Nothing;
            }
            let (r1, r2) = c.lookup(&rows.tables[t1]);
            if r1.is_none() || r2.is_none() {
                return if c.t1.h != c.t2.h { c.not_in_table(r1, r2) } else { Nothing };
            }
            let sub = &c.d.hn_sub;
            match (sub.table_of(c.t1.site), sub.table_of(c.t2.site)) {
                (Some(a), Some(b)) if a == b && different_subtypes(c, &sub.tables[a]) => {
                    fin(MULTIPLE)
                }
                _ => Nothing,
            }
        },
    },
    Rule {
        step: "M8",
        text: "Tumors on different rows of the histology table are multiple primaries.",
        eval: |c| {
            let rows = &c.d.hn_rows;
            let (t1, t2) = (rows.table_of(c.t1.site), rows.table_of(c.t2.site));
            if t1 != t2 {
                return fin(MULTIPLE);
            }
            let table9 = c.d.sites(Z::R2018HeadNeckTable9Sites);
            if table9.any_has(c.t1.site)
                && table9.any_has(c.t2.site)
                && ((c.t1.h == 8690 && matches!(c.t2.h, 8690 | 8693))
                    || (c.t2.h == 8690 && matches!(c.t1.h, 8690 | 8693)))
            {
                return fin_msg(QUESTIONABLE, MessageKind::HnTable9Paraganglioma);
            }
            let Some(t) = t1 else { return Nothing };
            match c.lookup(&rows.tables[t]) {
                (Some(a), Some(b)) if unrelated(a, b) => fin(MULTIPLE),
                _ => Nothing,
            }
        },
    },
    Rule {
        step: "M9",
        text: "An in situ tumor following an invasive tumor is a single primary.",
        eval: insitu_after_invasive,
    },
    Rule {
        step: "M10",
        text: "An invasive tumor within 60 days after an in situ tumor is a single primary.",
        eval: |c| invasive_after_insitu_le60(c, false),
    },
    Rule {
        step: "M11",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M12",
        text: "Tumors on the same row of the histology table are a single primary.",
        eval: |c| {
            let rows = &c.d.hn_rows;
            let (Some(t1), Some(t2)) = (rows.table_of(c.t1.site), rows.table_of(c.t2.site)) else {
                return fin_msg(QUESTIONABLE, MessageKind::HnLip);
            };
            if t1 != t2 {
                return Nothing;
            }
            match c.lookup(&rows.tables[t1]) {
                (Some(a), Some(b)) if !unrelated(a, b) => fin(SINGLE),
                (Some(_), Some(_)) => Nothing,
                _ if c.same_code() => fin(SINGLE),
                (r1, r2) => c.not_in_table(r1, r2),
            }
        },
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
        text: "Tumors in sites that differ in any character are multiple primaries.",
        eval: site_exact,
    },
    Rule {
        step: "M4",
        text: "Bilateral nephroblastoma is a single primary.",
        eval: |c| {
            if c.both_b(3) && c.both_h_eq(8960) {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
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
        text: "Tumors with different subtypes/variants in Table 1 are multiple primaries.",
        eval: |c| {
            if different_subtypes(c, &c.d.kidney_sub) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Synchronous tumors on the same row of Table 1 in the same kidney are a single primary.",
        eval: |c| {
            let (r1, r2) = c.lookup(&c.d.kidney_rows);
            let same = c.same_code();
            if !same && (r1.is_none() || r2.is_none()) {
                return c.not_in_table(r1, r2);
            }
            if same || r1 == r2 {
                same_row_same_side(c, true)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M9",
        text: "Tumors on different rows of Table 1 are multiple primaries.",
        eval: |c| different_row(c, &c.d.kidney_rows),
    },
    Rule {
        step: "M10",
        text: "An in situ tumor following an invasive tumor in the same kidney is a single primary.",
        eval: insitu_after_invasive_same_side,
    },
    Rule {
        step: "M11",
        text: "An invasive tumor within 60 days after an in situ tumor in the same kidney is a single primary.",
        eval: |c| invasive_after_insitu_le60(c, true),
    },
    Rule {
        step: "M12",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M13",
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
        text: "Tumors diagnosed more than three years apart are multiple primaries.",
        eval: |c| years_apart_rule(c, 3),
    },
    Rule {
        step: "M5",
        text: "A neuroendocrine carcinoma and a non-small cell carcinoma are multiple primaries.",
        eval: |c| {
            if c.cross_h(S::R2018LungNeuroendocrine, S::R2018LungNsclc) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M6",
        text: "Tumors with different subtypes/variants in Table 3 are multiple primaries.",
        eval: |c| match c.lookup(&c.d.lung_sub) {
            (Some(a), Some(b)) if a != b => fin(MULTIPLE),
            _ => Nothing,
        },
    },
    Rule {
        step: "M7",
        text: "Synchronous tumors on the same row of Table 3 in the same lung are a single primary.",
        eval: |c| {
            let (r1, r2) = rows_with_table2(c, &c.d.lung_rows, S::Lung2018Table2);
            let same = c.same_code();
            if !same && (r1.is_none() || r2.is_none()) {
                return c.not_in_table(r1, r2);
            }
            if same || (r1 == r2 && r1 != Some("table2")) {
                same_row_same_side(c, false)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Tumors on different rows of Table 3, or a combination code and a Table 3 code, are multiple primaries.",
        eval: |c| {
            if c.same_code() {
                return Nothing;
            }
            match rows_with_table2(c, &c.d.lung_rows, S::Lung2018Table2) {
                (Some(a), Some(b)) if a != b => fin(MULTIPLE),
                (Some(_), Some(_)) => Nothing,
                (r1, r2) => c.not_in_table(r1, r2),
            }
        },
    },
    Rule {
        step: "M9",
        text: "Synchronous tumors in the same lung or in both lungs (bilateral) are a single primary.",
        eval: |c| {
            let d = c.days(60);
            if d == Gap::Apart {
                return Nothing;
            }
            let bilateral = c.t1.lat == b'4' || c.t2.lat == b'4';
            if !bilateral && !c.known_side() {
                let m = if d == Gap::Unknown {
                    UnknownLatAndDate
                } else {
                    UnknownLaterality
                };
                return pot(SINGLE, m);
            }
            if d == Gap::Unknown {
                return pot(SINGLE, UnknownDate);
            }
            if bilateral || c.same_side() {
                fin(SINGLE)
            } else {
                fin_msg(QUESTIONABLE, MessageKind::LungM9Opposite)
            }
        },
    },
    Rule {
        step: "M10",
        text: "An in situ tumor following an invasive tumor in the same lung is a single primary.",
        eval: insitu_after_invasive_same_side,
    },
    Rule {
        step: "M11",
        text: "A single tumor in each lung is multiple primaries.",
        eval: laterality,
    },
    Rule {
        step: "M12",
        text: "An invasive tumor within 60 days after an in situ tumor is a single primary.",
        eval: |c| invasive_after_insitu_le60(c, false),
    },
    Rule {
        step: "M13",
        text: "An invasive tumor more than 60 days after an in situ tumor is a separate primary.",
        eval: invasive_after_insitu_gt60,
    },
    Rule {
        step: "M14",
        text: "Tumors that do not meet any of the above criteria are a single primary.",
        eval: no_criteria,
    },
];
