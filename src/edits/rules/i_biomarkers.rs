//! Section I: site-specific data items that state one result twice — a summary, range or risk
//! level next to the value it summarizes — must agree (issue 17, beyond ER/PR of E17/E18).
//!
//! Each rule is a fact of the SSDI Manual / EOD schema code definitions
//! (`written/eod_public_3.3_schema_item_codes.tsv`, and the item notes on
//! staging.seer.cancer.gov / apps.naaccr.org `ssdi/input/...`):
//! * HER2 Overall Summary [3855]: "If any sample is positive, record as positive", so a
//!   positive HER2 IHC [3850] (3+) or ISH [3854] (amplified) makes the overall summary
//!   positive (1); both tests negative (IHC 0, 1+, "negative"; ISH not amplified) or
//!   equivocal make it negative/equivocal (0).
//! * Gleason Score Clinical [3840] / Pathological [3841]: "the sum of the values of the Gleason
//!   primary and secondary patterns" of Gleason Patterns [3838] / [3839]; "no needle core
//!   biopsy/TURP" (clinical) and "no radical prostatectomy/autopsy" (pathological) are X7 in
//!   both items of the pair.
//! * Oncotype Dx Risk Level-Invasive [3906]: low 0-17, intermediate 18-30, high >= 31 of the
//!   Recurrence Score-Invasive [3904] ("If only the score is stated, assign the risk level
//!   based on the score"); "less than 11" (XX4) is low; "in situ case" (XX6) goes with risk
//!   level 6. Risk Level-DCIS [3905]: low < 39, intermediate 39-54, high > 54 of the
//!   Recurrence Score-DCIS [3903]; "invasive case" XX6 goes with 6.
//! * Testis AFP [3806]/[3808] and hCG [3847]/[3849] ranges: AFP 1 = above normal and < 1,000,
//!   2 = 1,000-10,000, 3 = > 10,000 ng/mL; hCG 1 = above normal and < 5,000, 2 = 5,000-50,000,
//!   3 = > 50,000 mIU/mL, of the lab values [3805]/[3807] and [3846]/[3848] in the same unit.
//! * Number of Cores Positive [3898] cannot exceed Number of Cores Examined [3897]; "no needle
//!   core biopsy performed" is X7 in both.
//!
//! * Number of Positive Para-Aortic [3901] / Pelvic [3902] Nodes cannot exceed the Number of
//!   Examined Para-Aortic [3899] / Pelvic [3900] Nodes (00-99 are counts, X1 is 100 or more);
//!   "no nodes examined" (00) leaves no count of examined nodes, negative (00) or positive,
//!   nor positive examined nodes of unknown number (X2).
//! * Bilirubin Pretreatment Total Lab Value [3813] / Unit of Measure [3814] and Creatinine
//!   Pretreatment Lab Value [3824] / Unit [3825]: a recorded value (a number, or XXX.1 / XX.1
//!   for the top of the range) has its unit, 1 (mg/dL) or 2 (umol/L); the value's "test
//!   ordered, results not in chart" (.7), "not applicable" (.8) and "not documented" (.9) are
//!   the unit's 7, 8 and 9.
//!
//! Codes that say nothing (7 test ordered, 8 not collected, 9 unknown) pass, as does a blank
//! item (skip-on-blank: the required-item edits catch blanks).

use super::super::record::Rec;
use super::super::tables::ReferenceTables;
use super::super::{fail_items, Verdict};

/// The items this section reads, resolved to SSDI slots once when the tables load
/// ([`ReferenceTables::biomarker_slot`], indexed by the constants below).
pub const ITEMS: [&str; 29] = [
    "her2IhcSummary",
    "her2IshSummary",
    "her2OverallSummary",
    "gleasonPatternsClinical",
    "gleasonScoreClinical",
    "gleasonPatternsPathological",
    "gleasonScorePathological",
    "oncotypeDxRecurrenceScoreInvasiv",
    "oncotypeDxRiskLevelInvasive",
    "oncotypeDxRecurrenceScoreDcis",
    "oncotypeDxRiskLevelDcis",
    "afpPreOrchiectomyLabValue",
    "afpPreOrchiectomyRange",
    "afpPostOrchiectomyLabValue",
    "afpPostOrchiectomyRange",
    "hcgPreOrchiectomyLabValue",
    "hcgPreOrchiectomyRange",
    "hcgPostOrchiectomyLabValue",
    "hcgPostOrchiectomyRange",
    "numberOfCoresExamined",
    "numberOfCoresPositive",
    "numberOfExaminedParaAorticNodes",
    "numberOfPositiveParaAorticNodes",
    "numberOfExaminedPelvicNodes",
    "numberOfPositivePelvicNodes",
    "bilirubinPretxTotalLabValue",
    "bilirubinPretxUnitOfMeasure",
    "creatininePretreatmentLabValue",
    "creatininePretxUnitOfMeasure",
];

const HER2_IHC: usize = 0;
const HER2_ISH: usize = 1;
const HER2_OVERALL: usize = 2;
const GLEASON_PAT_CLIN: usize = 3;
const GLEASON_SCORE_CLIN: usize = 4;
const GLEASON_PAT_PATH: usize = 5;
const GLEASON_SCORE_PATH: usize = 6;
const ONCO_SCORE_INV: usize = 7;
const ONCO_RISK_INV: usize = 8;
const ONCO_SCORE_DCIS: usize = 9;
const ONCO_RISK_DCIS: usize = 10;
const AFP_PRE_VALUE: usize = 11;
const AFP_PRE_RANGE: usize = 12;
const AFP_POST_VALUE: usize = 13;
const AFP_POST_RANGE: usize = 14;
const HCG_PRE_VALUE: usize = 15;
const HCG_PRE_RANGE: usize = 16;
const HCG_POST_VALUE: usize = 17;
const HCG_POST_RANGE: usize = 18;
const CORES_EXAMINED: usize = 19;
const CORES_POSITIVE: usize = 20;
const PARA_AORTIC_EXAMINED: usize = 21;
const PARA_AORTIC_POSITIVE: usize = 22;
const PELVIC_EXAMINED: usize = 23;
const PELVIC_POSITIVE: usize = 24;
const BILIRUBIN_VALUE: usize = 25;
const BILIRUBIN_UNIT: usize = 26;
const CREATININE_VALUE: usize = 27;
const CREATININE_UNIT: usize = 28;

/// The site-specific data items an edit compares, for the catalog (the registry's item lists
/// hold only the general items every record view has by name).
pub fn named_ssdis(edit_id: &str) -> &'static [&'static str] {
    match edit_id {
        "E17" => &[
            "estrogenReceptorSummary",
            "estrogenReceptorPercntPosOrRange",
        ],
        "E18" => &[
            "progesteroneRecepSummary",
            "progesteroneRecepPrcntPosOrRange",
        ],
        "E19" => &["her2OverallSummary", "her2IhcSummary", "her2IshSummary"],
        "E20" => &["gleasonPatternsClinical", "gleasonScoreClinical"],
        "E21" => &["gleasonPatternsPathological", "gleasonScorePathological"],
        "E22" => &[
            "oncotypeDxRecurrenceScoreInvasiv",
            "oncotypeDxRiskLevelInvasive",
        ],
        "E23" => &["oncotypeDxRecurrenceScoreDcis", "oncotypeDxRiskLevelDcis"],
        "E24" => &[
            "afpPreOrchiectomyLabValue",
            "afpPreOrchiectomyRange",
            "afpPostOrchiectomyLabValue",
            "afpPostOrchiectomyRange",
        ],
        "E25" => &[
            "hcgPreOrchiectomyLabValue",
            "hcgPreOrchiectomyRange",
            "hcgPostOrchiectomyLabValue",
            "hcgPostOrchiectomyRange",
        ],
        "E26" => &["numberOfCoresExamined", "numberOfCoresPositive"],
        "E27" => &[
            "numberOfExaminedParaAorticNodes",
            "numberOfPositiveParaAorticNodes",
        ],
        "E28" => &["numberOfExaminedPelvicNodes", "numberOfPositivePelvicNodes"],
        "E29" => &["bilirubinPretxTotalLabValue", "bilirubinPretxUnitOfMeasure"],
        "E30" => &[
            "creatininePretreatmentLabValue",
            "creatininePretxUnitOfMeasure",
        ],
        _ => &[],
    }
}

fn val<'a>(r: &Rec<'a>, t: &ReferenceTables, i: usize) -> &'a str {
    t.biomarker_slot(i).map_or("", |s| r.ssdi_value(s))
}

fn fail_pair(detail: String, a: usize, b: usize) -> Verdict {
    fail_items(detail, vec![ITEMS[a].to_string(), ITEMS[b].to_string()])
}

/// E19: HER2 Overall Summary [3855] vs HER2 IHC Summary [3850] and HER2 ISH Summary [3854]
/// (both collected 2018-2020; the edit passes when either is blank).
pub fn her2(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let overall = val(r, t, HER2_OVERALL);
    if !matches!(overall, "0" | "1") {
        return None;
    }
    let (ihc, ish) = (val(r, t, HER2_IHC), val(r, t, HER2_ISH));
    if ihc.is_empty() || ish.is_empty() {
        return None;
    }
    let positive = ihc == "3" || ish == "3";
    // negative or equivocal on both tests (IHC 0, 1+, 2+, negative NOS; ISH 0, equivocal)
    let not_positive = matches!(ihc, "0" | "1" | "2" | "4") && matches!(ish, "0" | "2");
    let expected = if positive {
        "1"
    } else if not_positive {
        "0"
    } else {
        return None;
    };
    if overall == expected {
        return None;
    }
    let said = if positive {
        "a test is positive, so the overall summary is positive (1)"
    } else {
        "no test is positive, so the overall summary is negative/equivocal (0)"
    };
    fail_items(
        format!("HER2 Overall Summary {overall}, IHC {ihc}, ISH {ish}: {said}"),
        vec![
            ITEMS[HER2_OVERALL].to_string(),
            ITEMS[HER2_IHC].to_string(),
            ITEMS[HER2_ISH].to_string(),
        ],
    )
}

/// Gleason patterns `pq` (primary p, secondary q, each 1-5) as their sum.
fn pattern_sum(v: &str) -> Option<u32> {
    let b = v.as_bytes();
    if b.len() != 2 || !(b'1'..=b'5').contains(&b[0]) || !(b'1'..=b'5').contains(&b[1]) {
        return None;
    }
    Some(u32::from(b[0] - b'0') + u32::from(b[1] - b'0'))
}

fn gleason(r: &Rec<'_>, t: &ReferenceTables, pat: usize, score: usize, what: &str) -> Verdict {
    let (p, s) = (val(r, t, pat), val(r, t, score));
    if p.is_empty() || s.is_empty() {
        return None;
    }
    if (p == "X7") != (s == "X7") {
        return fail_pair(
            format!("Gleason Patterns {what} {p} and Gleason Score {what} {s}: X7 (procedure not performed) goes in both or neither"),
            pat,
            score,
        );
    }
    let (Some(sum), Some(n)) = (pattern_sum(p), super::super::record::digits(s, 2)) else {
        return None;
    };
    if sum == n {
        return None;
    }
    fail_pair(
        format!(
            "Gleason Score {what} {s} is not the sum of Gleason Patterns {what} {p} ({sum:02})"
        ),
        pat,
        score,
    )
}

/// E20: Gleason Patterns Clinical [3838] vs Gleason Score Clinical [3840].
pub fn gleason_clinical(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    gleason(r, t, GLEASON_PAT_CLIN, GLEASON_SCORE_CLIN, "Clinical")
}

/// E21: Gleason Patterns Pathological [3839] vs Gleason Score Pathological [3841].
pub fn gleason_pathological(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    gleason(r, t, GLEASON_PAT_PATH, GLEASON_SCORE_PATH, "Pathological")
}

/// Risk level (0 low, 1 intermediate, 2 high) of a recurrence score 000-100 given the upper
/// bounds of low and intermediate.
fn risk_of(score: u32, low_max: u32, mid_max: u32) -> &'static str {
    if score <= low_max {
        "0"
    } else if score <= mid_max {
        "1"
    } else {
        "2"
    }
}

/// E22: Oncotype Dx Recurrence Score-Invasive [3904] vs Risk Level-Invasive [3906].
pub fn oncotype_invasive(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let (s, k) = (val(r, t, ONCO_SCORE_INV), val(r, t, ONCO_RISK_INV));
    if s.is_empty() || k.is_empty() || k == "8" {
        return None;
    }
    let ok = match super::super::record::digits(s, 3).filter(|n| *n <= 100) {
        // a stated score decides the level, so "DCIS case", "results not in chart" and "not
        // documented" contradict it
        Some(n) => k == risk_of(n, 17, 30),
        // "less than 11" is low risk; "in situ case" goes with "DCIS case" and only with it
        None => (s == "XX6") == (k == "6") && !(s == "XX4" && matches!(k, "1" | "2")),
    };
    if ok {
        return None;
    }
    fail_pair(
        format!("Oncotype Dx Risk Level-Invasive {k}, Recurrence Score-Invasive {s}"),
        ONCO_SCORE_INV,
        ONCO_RISK_INV,
    )
}

/// E23: Oncotype Dx Recurrence Score-DCIS [3903] vs Risk Level-DCIS [3905].
pub fn oncotype_dcis(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let (s, k) = (val(r, t, ONCO_SCORE_DCIS), val(r, t, ONCO_RISK_DCIS));
    if s.is_empty() || k.is_empty() || k == "8" {
        return None;
    }
    let ok = match super::super::record::digits(s, 3).filter(|n| *n <= 100) {
        // a stated risk level is the level of the score; "invasive case" contradicts a score
        Some(n) => !matches!(k, "0" | "1" | "2" | "6") || k == risk_of(n, 38, 54),
        // "invasive case" in the score goes with "invasive case" in the level
        None => (s == "XX6") == (k == "6"),
    };
    if ok {
        return None;
    }
    fail_pair(
        format!("Oncotype Dx Risk Level-DCIS {k}, Recurrence Score-DCIS {s}"),
        ONCO_SCORE_DCIS,
        ONCO_RISK_DCIS,
    )
}

/// A lab value `0.0`-`99999.9`, or `XXXXX.1` (100,000 or more) as infinity; `None` for the
/// codes that give no value.
fn lab_value(v: &str) -> Option<f64> {
    if v == "XXXXX.1" {
        return Some(f64::INFINITY);
    }
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    v.parse().ok()
}

/// Range codes a lab value allows: 0/1 (normal, or above normal below `low`) below `low`,
/// 2 from `low` to `high`, 3 above `high` (4 "stated to be elevated" and the "no value" codes
/// are not compared).
fn range_fits(value: f64, range: &str, low: f64, high: f64) -> bool {
    match range {
        "0" | "1" => value < low,
        "2" => (low..=high).contains(&value),
        "3" => value > high,
        _ => true,
    }
}

fn lab_pairs(
    r: &Rec<'_>,
    t: &ReferenceTables,
    pairs: [(usize, usize, &str); 2],
    (low, high): (f64, f64),
    marker: &str,
) -> Verdict {
    for (vi, ri, when) in pairs {
        let (v, k) = (val(r, t, vi), val(r, t, ri));
        let Some(value) = lab_value(v) else { continue };
        if !range_fits(value, k, low, high) {
            return fail_pair(
                format!("{marker} {when}-Orchiectomy Range {k}, lab value {v}"),
                vi,
                ri,
            );
        }
    }
    None
}

/// E24: AFP Pre-/Post-Orchiectomy Lab Value [3807]/[3805] vs Range [3808]/[3806] (ng/mL).
pub fn afp_range(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    lab_pairs(
        r,
        t,
        [
            (AFP_PRE_VALUE, AFP_PRE_RANGE, "Pre"),
            (AFP_POST_VALUE, AFP_POST_RANGE, "Post"),
        ],
        (1_000.0, 10_000.0),
        "AFP",
    )
}

/// E25: hCG Pre-/Post-Orchiectomy Lab Value [3848]/[3846] vs Range [3849]/[3847] (mIU/mL).
pub fn hcg_range(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    lab_pairs(
        r,
        t,
        [
            (HCG_PRE_VALUE, HCG_PRE_RANGE, "Pre"),
            (HCG_POST_VALUE, HCG_POST_RANGE, "Post"),
        ],
        (5_000.0, 50_000.0),
        "hCG",
    )
}

/// A core or node count: 00-99 as the number, X1 (100 or more) as 100; other codes say no
/// count.
pub(crate) fn count(v: &str) -> Option<u32> {
    if v == "X1" {
        return Some(100);
    }
    super::super::record::digits(v, 2)
}

/// E26: Number of Cores Positive [3898] vs Number of Cores Examined [3897].
pub fn cores_positive_examined(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let (e, p) = (val(r, t, CORES_EXAMINED), val(r, t, CORES_POSITIVE));
    if e.is_empty() || p.is_empty() {
        return None;
    }
    if (e == "X7") != (p == "X7") {
        return fail_pair(
            format!("Number of Cores Examined {e} and Positive {p}: X7 (no needle core biopsy) goes in both or neither"),
            CORES_EXAMINED,
            CORES_POSITIVE,
        );
    }
    // X1 examined (100 or more) admits any positive count
    if e == "X1" {
        return None;
    }
    let (Some(ne), Some(np)) = (count(e), count(p)) else {
        return None;
    };
    if np <= ne {
        return None;
    }
    fail_pair(
        format!("Number of Cores Positive {p} is more than Number of Cores Examined {e}"),
        CORES_EXAMINED,
        CORES_POSITIVE,
    )
}

fn nodes_pair(
    r: &Rec<'_>,
    t: &ReferenceTables,
    examined: usize,
    positive: usize,
    site: &str,
) -> Verdict {
    let (e, p) = (val(r, t, examined), val(r, t, positive));
    if e.is_empty() || p.is_empty() {
        return None;
    }
    if e == "00" && (count(p).is_some() || p == "X2") {
        return fail_pair(
            format!("Number of Positive {site} Nodes {p} counts examined nodes, but Number of Examined {site} Nodes is 00 (none examined)"),
            examined,
            positive,
        );
    }
    let (Some(ne), Some(np)) = (count(e), count(p)) else {
        return None;
    };
    // X1 examined (100 or more) admits any positive count
    if np <= ne || e == "X1" {
        return None;
    }
    fail_pair(
        format!(
            "Number of Positive {site} Nodes {p} is more than Number of Examined {site} Nodes {e}"
        ),
        examined,
        positive,
    )
}

/// E27: Number of Positive Para-Aortic Nodes [3901] vs Number of Examined [3899].
pub fn para_aortic_nodes(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    nodes_pair(
        r,
        t,
        PARA_AORTIC_EXAMINED,
        PARA_AORTIC_POSITIVE,
        "Para-Aortic",
    )
}

/// E28: Number of Positive Pelvic Nodes [3902] vs Number of Examined [3900].
pub fn pelvic_nodes(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    nodes_pair(r, t, PELVIC_EXAMINED, PELVIC_POSITIVE, "Pelvic")
}

/// The unit a lab value calls for: `None` for a recorded value (1 or 2 both fit), else the
/// unit code of its "test ordered" / "not applicable" / "not documented" code.
pub(crate) fn unit_for(value: &str) -> Option<&'static str> {
    match value.rsplit_once('.') {
        Some((head, tail)) if head.chars().all(|c| c == 'X') && !head.is_empty() => match tail {
            "7" => Some("7"),
            "8" => Some("8"),
            "9" => Some("9"),
            _ => None,
        },
        _ => None,
    }
}

fn lab_unit(r: &Rec<'_>, t: &ReferenceTables, value: usize, unit: usize, lab: &str) -> Verdict {
    let (v, u) = (val(r, t, value), val(r, t, unit));
    if v.is_empty() || u.is_empty() {
        return None;
    }
    let fits = match unit_for(v) {
        Some(code) => u == code,
        None => matches!(u, "1" | "2"),
    };
    if fits {
        return None;
    }
    let want = unit_for(v).unwrap_or("1 (mg/dL) or 2 (umol/L)");
    fail_pair(
        format!("{lab} Unit of Measure {u} does not fit the lab value {v}: it must be {want}"),
        value,
        unit,
    )
}

/// E29: Bilirubin Pretreatment Total Lab Value [3813] vs its Unit of Measure [3814].
pub fn bilirubin_unit(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    lab_unit(
        r,
        t,
        BILIRUBIN_VALUE,
        BILIRUBIN_UNIT,
        "Bilirubin Pretreatment",
    )
}

/// E30: Creatinine Pretreatment Lab Value [3824] vs its Unit of Measure [3825].
pub fn creatinine_unit(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    lab_unit(
        r,
        t,
        CREATININE_VALUE,
        CREATININE_UNIT,
        "Creatinine Pretreatment",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_sums() {
        assert_eq!(pattern_sum("34"), Some(7));
        assert_eq!(pattern_sum("55"), Some(10));
        assert_eq!(pattern_sum("39"), None);
        assert_eq!(pattern_sum("X6"), None);
    }

    #[test]
    fn risk_bounds() {
        assert_eq!(risk_of(17, 17, 30), "0");
        assert_eq!(risk_of(18, 17, 30), "1");
        assert_eq!(risk_of(30, 17, 30), "1");
        assert_eq!(risk_of(31, 17, 30), "2");
        assert_eq!(risk_of(38, 38, 54), "0");
        assert_eq!(risk_of(39, 38, 54), "1");
        assert_eq!(risk_of(55, 38, 54), "2");
    }

    #[test]
    fn lab_ranges() {
        assert!(range_fits(999.9, "1", 1_000.0, 10_000.0));
        assert!(!range_fits(1_000.0, "1", 1_000.0, 10_000.0));
        assert!(range_fits(10_000.0, "2", 1_000.0, 10_000.0));
        assert!(range_fits(10_000.1, "3", 1_000.0, 10_000.0));
        assert!(range_fits(f64::INFINITY, "3", 1_000.0, 10_000.0));
        assert!(!range_fits(f64::INFINITY, "2", 1_000.0, 10_000.0));
        assert!(range_fits(5.0, "9", 1_000.0, 10_000.0));
        assert_eq!(lab_value("XXXXX.9"), None);
        assert_eq!(lab_value("12.5"), Some(12.5));
    }

    #[test]
    fn lab_units() {
        assert_eq!(unit_for("XXX.7"), Some("7"));
        assert_eq!(unit_for("XX.9"), Some("9"));
        assert_eq!(unit_for("XXX.1"), None);
        assert_eq!(unit_for("1.2"), None);
        assert_eq!(unit_for("0.0"), None);
    }
}
