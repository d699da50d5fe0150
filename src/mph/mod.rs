//! Multiple primary and histology (MP/H) rules: for two tumors of one patient, are they one
//! primary or several? Covers the 2006-and-earlier rules, MP/H 2007, the Solid Tumor Rules 2018+
//! (with the 2021-2026 module updates) and the hematopoietic rules (1998, 2001, 2010+).
//!
//! The rule sets, their order of selection, code sets and histology tables are data
//! (`data/mph/*.tsv`, embedded and parsed once); the rules themselves are ordered lists of small
//! tests per rule set. Behaviour follows `shared/mph/RULES.md`, which states what the SEER
//! reference library (imsweb/mph) does, so answers agree with it pair for pair.

pub mod cli;
mod data;
mod dates;
mod engine;
mod heme;
mod mph2007;
pub mod patient;
mod pre2007;
pub mod primaries;
mod sets;
mod str2018;
mod str2018_more;

use std::fmt::Write as _;

pub use data::TableError;
use data::{site_number, GroupDef};
use dates::{digits, PartialDate};
use engine::{Ctx, Rule, T};

/// The answer for a pair of tumors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    SinglePrimary,
    MultiplePrimaries,
    /// The rules leave it to the registrar (not enough information, or manual review).
    Questionable,
    InvalidInput,
}

impl Decision {
    /// Spelled as the reference library spells it (`SINGLE_PRIMARY`).
    pub fn as_reference(self) -> &'static str {
        match self {
            Decision::SinglePrimary => "SINGLE_PRIMARY",
            Decision::MultiplePrimaries => "MULTIPLE_PRIMARIES",
            Decision::Questionable => "QUESTIONABLE",
            Decision::InvalidInput => "INVALID_INPUT",
        }
    }
}

/// Why the answer is what it is; `code()` names the kind as the reference files do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    RuleReason,
    /// Tumor 1 or 2 lacks a valid site, histology, behavior or year.
    InvalidInput(u8),
    /// No rule set takes tumor 1 or 2.
    NoRuleSet(u8),
    DifferentGroups,
    SameMainFields,
    UnknownDate,
    UnknownLaterality,
    UnknownLatAndDate,
    NotEnoughDateInfo,
    NotInTable(u32),
    NotInTableBoth(u32, u32),
    Heme1998Single,
    Heme1998Multiple,
    Heme2001Single,
    Heme2001Multiple,
    SiteC189,
    SiteC449,
    HnNoTable(u16),
    HnTable9Paraganglioma,
    HnLip,
    Kidney8311,
    LungM9Opposite,
    Row8000Fixed,
    Row8000(u32),
    Cns9413,
    Cns9509,
    HemeM8Review,
    HemePlasmacytoma,
    HemeTreatmentReview,
    HemeM14SameBiopsy,
}

impl MessageKind {
    pub fn code(self) -> &'static str {
        use MessageKind::*;
        match self {
            RuleReason => "RULE_REASON",
            InvalidInput(_) => "INVALID_INPUT",
            NoRuleSet(_) => "NO_RULE_SET",
            DifferentGroups => "DIFFERENT_GROUPS",
            SameMainFields => "SAME_MAIN_FIELDS",
            UnknownDate => "UNKNOWN_DATE",
            UnknownLaterality => "UNKNOWN_LATERALITY",
            UnknownLatAndDate => "UNKNOWN_LAT_AND_DATE",
            NotEnoughDateInfo => "NOT_ENOUGH_DATE_INFO",
            NotInTable(_) | NotInTableBoth(..) => "NOT_IN_TABLE",
            Heme1998Single => "HEME1998_SINGLE",
            Heme1998Multiple => "HEME1998_MULTIPLE",
            Heme2001Single => "HEME2001_SINGLE",
            Heme2001Multiple => "HEME2001_MULTIPLE",
            SiteC189 => "SITE_C189",
            SiteC449 => "SITE_C449",
            HnNoTable(_) => "HN_NO_TABLE",
            HnTable9Paraganglioma => "HN_TABLE9_PARAGANGLIOMA",
            HnLip => "HN_LIP",
            Kidney8311 => "KIDNEY_8311",
            LungM9Opposite => "LUNG_M9_OPPOSITE",
            Row8000Fixed | Row8000(_) => "ROW_8000_UNDETERMINED",
            Cns9413 => "CNS_9413",
            Cns9509 => "CNS_9509",
            HemeM8Review => "HEME_M8_REVIEW",
            HemePlasmacytoma => "HEME_PLASMACYTOMA",
            HemeTreatmentReview => "HEME_TREATMENT_REVIEW",
            HemeM14SameBiopsy => "HEME_M14_SAME_BIOPSY",
        }
    }
}

/// The NAACCR items of one tumor the rules read, as strings (empty = absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct TumorFields<'a> {
    /// Primary Site [400], e.g. `C509`.
    pub site: &'a str,
    /// Histologic Type ICD-O-3 [522].
    pub histology: &'a str,
    /// Behavior Code ICD-O-3 [523].
    pub behavior: &'a str,
    /// Histology (92-00) ICD-O-2 [420]: read for diagnoses before 2001.
    pub histology_icdo2: &'a str,
    /// Behavior (92-00) ICD-O-2 [430]: read for diagnoses before 2001.
    pub behavior_icdo2: &'a str,
    /// Laterality [410].
    pub laterality: &'a str,
    /// Date of Diagnosis [390], split.
    pub year: &'a str,
    pub month: &'a str,
    pub day: &'a str,
}

/// A rule set.
#[derive(Debug, Clone, Copy)]
pub struct RuleSet {
    pub id: &'static str,
    pub name: &'static str,
}

/// The decision for a pair, with the rule set and rule that gave it.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub decision: Decision,
    /// Absent when the answer came before any rule (invalid input, different groups...).
    pub rule_set: Option<RuleSet>,
    /// The deciding rule (`M7`); empty for the single-rule 1998 and 2001 heme sets.
    pub step: Option<&'static str>,
    pub message: MessageKind,
    rule_text: &'static str,
}

fn icd_text(icd: u32) -> String {
    format!("{:04}/{}", icd / 10, icd % 10)
}

impl Outcome {
    /// The reason in one line.
    pub fn reason(&self, t1: &TumorFields, t2: &TumorFields, current_year: i64) -> String {
        use MessageKind::*;
        let step = self.step.unwrap_or("");
        let group = self.rule_set.map(|g| g.name).unwrap_or("");
        let unable = |tail: &str| format!("Unable to apply Rule {step} of {group}. {tail}");
        let info = |t: &TumorFields| {
            let or = |s: &str, d: &'static str| {
                if s.is_empty() {
                    d.to_string()
                } else {
                    s.to_string()
                }
            };
            let mut s = format!(
                "{}, {}/{} with ",
                or(t.site, "Unknown Site"),
                or(effective(t).0, "Unknown Histology"),
                or(effective(t).1, "Unknown Behavior")
            );
            match digits(t.year).filter(|y| *y <= current_year) {
                Some(_) => {
                    let _ = write!(s, "year of diagnosis {}", t.year);
                }
                None => s.push_str("unknown year of diagnosis"),
            }
            s
        };
        match self.message {
            RuleReason => self.rule_text.to_string(),
            InvalidInput(n) => {
                let t = if n == 1 { t1 } else { t2 };
                format!(
                    "Cannot identify rule set for {}. Valid primary site (C000-C999 excluding C809), histology (8000-9999), behavior (0-3, 6) and diagnosis year are required.",
                    info(t)
                )
            }
            NoRuleSet(n) => format!("Could not find rule sets for {}.", info(if n == 1 { t1 } else { t2 })),
            DifferentGroups => "The two tumors belong to different rule sets (cancer groups).".into(),
            SameMainFields => "The two tumors have the same site, histology, behavior, diagnosis date and laterality.".into(),
            UnknownDate => unable("Valid and known diagnosis date should be provided."),
            UnknownLaterality => unable("Valid and known laterality should be provided."),
            UnknownLatAndDate => unable("Valid and known laterality and diagnosis date should be provided."),
            NotEnoughDateInfo => unable("There is not enough diagnosis date information."),
            NotInTable(i) => unable(&format!("{} is not in the table.", icd_text(i))),
            NotInTableBoth(a, b) => unable(&format!(
                "Both {} and {} are not in the table.",
                icd_text(a),
                icd_text(b)
            )),
            Heme1998Single => "Single primary based on SEER 1998 multiple primary rules for hematopoietic cancer.".into(),
            Heme1998Multiple => "Multiple primaries based on SEER 1998 multiple primary rules for hematopoietic cancer.".into(),
            Heme2001Single => "Single primary based on SEER 2001 multiple primary rules for hematopoietic cancer.".into(),
            Heme2001Multiple => "Multiple primaries based on SEER 2001 multiple primary rules for hematopoietic cancer.".into(),
            SiteC189 => unable("One of the sites is C189."),
            SiteC449 => unable("One of the sites is C449."),
            HnNoTable(site) => format!("No histology table exists for C{site:03} in Terms and Definitions."),
            HnTable9Paraganglioma => format!(
                "Manual review is required for {} and {} of Table 9.",
                effective(t1).0,
                effective(t2).0
            ),
            HnLip => "Two separate lesions of lip is rare; no histology tables exist for lip in Terms and Definitions.".into(),
            Kidney8311 => unable("Renal cell carcinoma NOS (8311) can be several primaries for certain combinations of subtypes; manual review is required."),
            LungM9Opposite => unable("Unknown if multiple tumors exist."),
            Row8000Fixed => "Unable to determine if 8000/3 is a different row.".into(),
            Row8000(i) => format!("Unable to determine if {} is a different row.", icd_text(i)),
            Cns9413 => unable("The ICD-O code (9413) can be used for both DNET and PLNTY."),
            Cns9509 => unable("The ICD-O code (9509) can be used for both MVNT and papillary glioneural tumor."),
            HemeM8Review => "Needs a manual review: abstract as a single primary and code the acute neoplasm when both are diagnosed within 21 days.".into(),
            HemePlasmacytoma => "For plasmacytoma (9731, 9734) and plasma cell myeloma (9732): manual review is required.".into(),
            HemeTreatmentReview => "Manual review is required to check whether there is confirmation of treatment or not.".into(),
            HemeM14SameBiopsy => unable("Manual review required to determine whether the histologies were diagnosed from the same biopsy."),
        }
    }
}

/// Histology and behavior the rules use: ICD-O-2 for a diagnosis before 2001 when valid.
fn effective<'a>(t: &TumorFields<'a>) -> (&'a str, &'a str) {
    let y = digits(t.year).unwrap_or(9999);
    let hist = if y < 2001 && digits(t.histology_icdo2).is_some_and(|h| (8000..=9999).contains(&h))
    {
        t.histology_icdo2
    } else {
        t.histology
    };
    let beh = if y < 2001 && matches!(t.behavior_icdo2, "0" | "1" | "2" | "3" | "6") {
        t.behavior_icdo2
    } else {
        t.behavior
    };
    (hist, beh)
}

fn lat_byte(s: &str) -> u8 {
    match s.as_bytes() {
        [] => 0,
        [c] => *c,
        _ => b'?',
    }
}

/// The tumor as the rules see it, or None when it is not valid input.
fn validate(t: &TumorFields, current_year: i64) -> Option<T> {
    let site = site_number(t.site).filter(|s| *s != 809)?;
    let (hist, beh) = effective(t);
    let h = digits(hist).filter(|h| (8000..=9999).contains(h))?;
    let b = match beh {
        "0" => 0,
        "1" => 1,
        "2" => 2,
        "3" => 3,
        "6" => 6,
        _ => return None,
    };
    let year = digits(t.year).filter(|y| *y <= current_year && *y <= i64::from(i32::MAX))?;
    let h = h as u16;
    Some(T {
        site,
        h,
        b,
        icd: u32::from(h) * 10 + u32::from(b),
        lat: lat_byte(t.laterality),
        date: PartialDate::clean(year, t.month, t.day),
    })
}

/// The rules of a rule set, by its id in `groups.tsv`.
fn rules_for(id: &str) -> Option<&'static [Rule]> {
    Some(match id {
        "hemato_2000_and_earlier" => heme::HEME_1998,
        "hemato_2001_to_2009" => heme::HEME_2001,
        "hemato_2010_and_later" => heme::HEME_2010,
        "2006_and_earlier_benign_brain" => pre2007::BENIGN_BRAIN_2004,
        "2006_and_earlier_solid_malignant" => pre2007::SOLID_MALIGNANT_2004,
        "mph_2007_to_2017_head_and_neck" => mph2007::HEAD_AND_NECK,
        "mph_2007_to_2017_colon" => mph2007::COLON,
        "mph_2007_to_2017_lung" => mph2007::LUNG,
        "mph_2007_to_2017_melanoma" => mph2007::MELANOMA,
        "mph_2007_to_2017_breast" => mph2007::BREAST,
        "mph_2007_to_2017_kidney" => mph2007::KIDNEY,
        "mph_2007_to_2017_urinary" => mph2007::URINARY,
        "mph_2007_to_2017_benign_brain" => mph2007::BENIGN_BRAIN,
        "mph_2007_to_2017_malignant_brain" => mph2007::MALIGNANT_BRAIN,
        "mph_2007_to_2022_other_sites" => mph2007::OTHER_SITES,
        "str_2018_and_later_breast" => str2018::BREAST,
        "str_2018_and_later_colon" => str2018::COLON,
        "str_2018_and_later_head_and_neck" => str2018::HEAD_AND_NECK,
        "str_2018_and_later_kidney" => str2018::KIDNEY,
        "str_2018_and_later_lung" => str2018::LUNG,
        "str_2018_and_later_malignant_cns" => str2018_more::MALIGNANT_CNS,
        "str_2018_and_later_non_malignant_cns" => str2018_more::NON_MALIGNANT_CNS,
        "str_2018_and_later_urinary" => str2018_more::URINARY,
        "str_2021_and_later_cutaneous_melanoma" => str2018_more::CUTANEOUS_MELANOMA,
        "str_2023_and_later_other_sites" => str2018_more::OTHER_SITES,
        _ => return None,
    })
}

/// Rule sets for sites no site module covers ("other sites"): they apply only when no rule set
/// with a site list does.
fn is_fallback(g: &GroupDef) -> bool {
    g.sites.is_none() && g.id.contains("other_sites")
}

/// Paragangliomas of the carotid and aortic bodies join 2018+ Head and Neck from 2019.
fn special_applies(g: &GroupDef, t: &T, year: i64) -> bool {
    g.id == "str_2018_and_later_head_and_neck"
        && year >= 2019
        && matches!(t.site, 754 | 755)
        && matches!(t.h, 8680 | 8690 | 8691 | 8692 | 8693)
        && t.b == 3
}

fn applies_plain(g: &GroupDef, t: &T, year: i64) -> bool {
    g.applies(t.site, t.h, t.b, year) || special_applies(g, t, year)
}

fn select_group(groups: &[GroupDef], t: &T, year: i64) -> Option<usize> {
    groups.iter().position(|g| {
        if is_fallback(g) {
            g.applies(t.site, t.h, t.b, year)
                && !groups
                    .iter()
                    .any(|o| o.sites.is_some() && applies_plain(o, t, year))
        } else {
            applies_plain(g, t, year)
        }
    })
}

/// The rule lists of every rule set in `groups.tsv` order.
struct Engine {
    data: &'static data::Data,
    rules: Vec<&'static [Rule]>,
}

fn engine() -> Result<&'static Engine, TableError> {
    static ENGINE: std::sync::OnceLock<Result<Engine, TableError>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let data = data::data()?;
            let rules = data
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let r = rules_for(g.id).ok_or_else(|| TableError {
                        file: "groups.tsv",
                        line: i + 2,
                        message: format!("no rules for rule set {}", g.id),
                    })?;
                    let steps: Vec<&str> =
                        r.iter().map(|r| r.step).filter(|s| !s.is_empty()).collect();
                    if steps != g.steps {
                        return Err(TableError {
                            file: "groups.tsv",
                            line: i + 2,
                            message: format!(
                                "rule set {} lists steps {:?}, the engine has {:?}",
                                g.id, g.steps, steps
                            ),
                        });
                    }
                    Ok(r)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Engine { data, rules })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Checks that the tables load and agree with the engine's rule lists.
pub fn check_tables() -> Result<(), TableError> {
    engine().map(|_| ())
}

fn same_main_fields(a: &TumorFields, b: &TumorFields, t1: &T, t2: &T) -> bool {
    let lat_ok = |l: &str| matches!(l, "0" | "1" | "2" | "3" | "4" | "5" | "9");
    lat_ok(a.laterality)
        && lat_ok(b.laterality)
        && a.laterality == b.laterality
        && t1.site == t2.site
        && t1.h == t2.h
        && t1.b == t2.b
        && t1.date.is_full()
        && t1.date == t2.date
}

fn early(decision: Decision, message: MessageKind) -> Outcome {
    Outcome {
        decision,
        rule_set: None,
        step: None,
        message,
        rule_text: "",
    }
}

/// Compares two tumors of one patient. `current_year`: diagnosis years after it are invalid.
pub fn compare(a: &TumorFields, b: &TumorFields, current_year: i64) -> Result<Outcome, TableError> {
    let e = engine()?;
    let Some(t1) = validate(a, current_year) else {
        return Ok(early(Decision::InvalidInput, MessageKind::InvalidInput(1)));
    };
    let Some(t2) = validate(b, current_year) else {
        return Ok(early(Decision::InvalidInput, MessageKind::InvalidInput(2)));
    };
    let latest = t1.date.year.max(t2.date.year);
    let groups = &e.data.groups;
    let g1 = select_group(groups, &t1, latest);
    let g2 = select_group(groups, &t2, latest);
    let (g1, g2) = match (g1, g2) {
        (None, None) if same_main_fields(a, b, &t1, &t2) => {
            return Ok(early(Decision::SinglePrimary, MessageKind::SameMainFields))
        }
        (None, _) => return Ok(early(Decision::Questionable, MessageKind::NoRuleSet(1))),
        (_, None) => return Ok(early(Decision::Questionable, MessageKind::NoRuleSet(2))),
        (Some(x), Some(y)) => (x, y),
    };
    if g1 != g2 {
        return Ok(early(
            Decision::MultiplePrimaries,
            MessageKind::DifferentGroups,
        ));
    }
    let rules = e.rules[g1];
    let run = engine::run(rules, &Ctx::new(t1, t2, e.data));
    let g = &groups[g1];
    let rule = &rules[run.rule];
    Ok(Outcome {
        decision: run.decision,
        rule_set: Some(RuleSet {
            id: g.id,
            name: g.name,
        }),
        step: Some(rule.step),
        message: run.message,
        rule_text: rule.text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tumor<'a>(
        site: &'a str,
        hist: &'a str,
        beh: &'a str,
        lat: &'a str,
        y: &'a str,
        m: &'a str,
        d: &'a str,
    ) -> TumorFields<'a> {
        TumorFields {
            site,
            histology: hist,
            behavior: beh,
            laterality: lat,
            year: y,
            month: m,
            day: d,
            ..Default::default()
        }
    }

    #[test]
    fn tables_load_and_match_the_rule_lists() {
        check_tables().unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn melanoma_of_the_back_2019_and_2024_are_two_primaries() {
        let a = tumor("C445", "8720", "3", "1", "2019", "03", "12");
        let b = tumor("C445", "8720", "3", "1", "2024", "06", "02");
        let o = compare(&a, &b, 2026).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.decision, Decision::MultiplePrimaries);
        assert_eq!(
            o.rule_set.map(|g| g.id),
            Some("str_2021_and_later_cutaneous_melanoma")
        );
        assert_eq!(o.step, Some("M7"));
    }

    #[test]
    fn future_year_is_invalid_input() {
        let a = tumor("C445", "8720", "3", "1", "2031", "03", "12");
        let b = tumor("C445", "8720", "3", "1", "2024", "06", "02");
        let o = compare(&a, &b, 2026).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.decision, Decision::InvalidInput);
        assert!(o.reason(&a, &b, 2026).contains("unknown year of diagnosis"));
    }
}
