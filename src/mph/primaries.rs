//! A patient's tumors grouped into primaries by the rules, and what follows from that:
//! sequence numbers (Sequence Number--Central [380] / --Hospital [560]) and, for primaries made
//! of several tumors, Mult Tum Rpt as One Prim [444], Date of Mult Tumors [445] and
//! Multiplicity Counter [446].

use super::dates::digits;
use super::{compare, Decision, Outcome, TableError, TumorFields};
use crate::naaccr::Items;

/// The rule inputs of a stored abstract, read from its NAACCR items.
pub fn fields_from_items(items: &Items) -> TumorFields<'_> {
    let get = |k: &str| items.get(k).map(|s| s.trim()).unwrap_or("");
    let date = get("dateOfDiagnosis");
    let part = |r: std::ops::Range<usize>| date.get(r).unwrap_or("");
    TumorFields {
        site: get("primarySite"),
        histology: get("histologicTypeIcdO3"),
        behavior: get("behaviorCodeIcdO3"),
        histology_icdo2: get("histologyIcdO2"),
        behavior_icdo2: get("behaviorIcdO2"),
        laterality: get("laterality"),
        year: part(0..4),
        month: part(4..6),
        day: part(6..8),
    }
}

/// The decision for one pair of the list (indexes into it, `a < b`).
#[derive(Debug, Clone)]
pub struct PairDecision {
    pub a: usize,
    pub b: usize,
    pub outcome: Outcome,
    pub reason: String,
}

/// One primary: its tumors in diagnosis order, and the items proposed for it.
#[derive(Debug, Clone)]
pub struct Primary {
    pub tumors: Vec<usize>,
    /// In situ or malignant (sequence series 00-59) rather than non-malignant (60-88).
    pub malignant: bool,
    /// Sequence number proposed for every tumor of this primary.
    pub sequence: String,
    /// Mult Tum Rpt as One Prim [444].
    pub mult_tum_rpt_as_one_prim: String,
    /// Date of Mult Tumors [445]: when the second tumor was diagnosed; absent for one tumor.
    pub date_of_mult_tumors: Option<String>,
    /// Multiplicity Counter [446].
    pub multiplicity_counter: String,
}

#[derive(Debug, Clone)]
pub struct Primaries {
    pub pairs: Vec<PairDecision>,
    pub primaries: Vec<Primary>,
}

/// Each tumor against every other tumor of the patient (what a create or change of a tumor
/// reports: a single-primary verdict against an existing tumor is a warning).
pub fn compare_with_others(
    tumor: &TumorFields,
    others: &[TumorFields],
    current_year: i64,
) -> Result<Vec<(Outcome, String)>, TableError> {
    others
        .iter()
        .map(|o| {
            let out = compare(tumor, o, current_year)?;
            let reason = out.reason(tumor, o, current_year);
            Ok((out, reason))
        })
        .collect()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Diagnosis order: year, month, day (unknown parts last), then list order.
fn dx_key(t: &TumorFields, index: usize) -> (i64, i64, i64, usize) {
    let part = |s: &str, max: i64| digits(s).filter(|v| (1..=max).contains(v)).unwrap_or(99);
    (
        digits(t.year).unwrap_or(i64::MAX),
        part(t.month, 12),
        part(t.day, 31),
        index,
    )
}

fn behavior<'a>(t: &TumorFields<'a>) -> &'a str {
    let y = digits(t.year).unwrap_or(9999);
    if y < 2001 && matches!(t.behavior_icdo2, "0" | "1" | "2" | "3" | "6") {
        t.behavior_icdo2
    } else {
        t.behavior
    }
}

/// Mult Tum Rpt as One Prim [444] from the behaviors of the tumors of one primary.
fn mult_tum_code(behaviors: &[&str]) -> &'static str {
    if behaviors.len() < 2 {
        return "00";
    }
    let all = |set: &[&str]| behaviors.iter().all(|b| set.contains(b));
    let any = |b: &str| behaviors.contains(&b);
    if all(&["0"]) {
        "10"
    } else if all(&["1"]) {
        "11"
    } else if all(&["0", "1"]) {
        "12"
    } else if all(&["2"]) {
        "20"
    } else if all(&["2", "3", "6"]) && any("2") {
        "30"
    } else if all(&["3", "6"]) {
        "40"
    } else {
        "80"
    }
}

/// Groups the tumors into primaries: tumors linked by single-primary decisions are one primary;
/// multiple, questionable and invalid pairs stay apart (questionable pairs are for the
/// registrar to settle). Primaries are in order of first diagnosis and numbered in two series:
/// in situ/malignant 00 (the only one) or 01, 02, …; non-malignant 60 (the only one) or 61, 62, ….
pub fn group(tumors: &[TumorFields], current_year: i64) -> Result<Primaries, TableError> {
    let n = tumors.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut pairs = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for a in 0..n {
        for b in a + 1..n {
            let outcome = compare(&tumors[a], &tumors[b], current_year)?;
            if outcome.decision == Decision::SinglePrimary {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
            let reason = outcome.reason(&tumors[a], &tumors[b], current_year);
            pairs.push(PairDecision {
                a,
                b,
                outcome,
                reason,
            });
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|i| dx_key(&tumors[*i], *i));
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut root_slot: Vec<Option<usize>> = vec![None; n];
    for &i in &order {
        let r = find(&mut parent, i);
        match root_slot[r] {
            Some(s) => members[s].push(i),
            None => {
                root_slot[r] = Some(members.len());
                members.push(vec![i]);
            }
        }
    }
    let malignant: Vec<bool> = members
        .iter()
        .map(|m| {
            m.iter()
                .any(|i| !matches!(behavior(&tumors[*i]), "0" | "1"))
        })
        .collect();
    let count_malignant = malignant.iter().filter(|m| **m).count();
    let count_benign = malignant.len() - count_malignant;
    let (mut next_malignant, mut next_benign) = (1, 61);
    let primaries = members
        .into_iter()
        .zip(malignant)
        .map(|(tumors_of, malignant)| {
            let sequence = match (malignant, count_malignant, count_benign) {
                (true, 1, _) => "00".to_string(),
                (false, _, 1) => "60".to_string(),
                (true, ..) => {
                    next_malignant += 1;
                    format!("{:02}", (next_malignant - 1).min(59))
                }
                (false, ..) => {
                    next_benign += 1;
                    format!("{:02}", (next_benign - 1).min(88))
                }
            };
            let behaviors: Vec<&str> = tumors_of.iter().map(|i| behavior(&tumors[*i])).collect();
            let date_of_mult_tumors = tumors_of.get(1).map(|i| {
                let t = &tumors[*i];
                format!("{}{}{}", t.year, t.month, t.day)
            });
            Primary {
                mult_tum_rpt_as_one_prim: mult_tum_code(&behaviors).to_string(),
                multiplicity_counter: format!("{:02}", tumors_of.len().min(87)),
                date_of_mult_tumors,
                tumors: tumors_of,
                malignant,
                sequence,
            }
        })
        .collect();
    Ok(Primaries { pairs, primaries })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<'a>(
        site: &'a str,
        hist: &'a str,
        beh: &'a str,
        y: &'a str,
        m: &'a str,
    ) -> TumorFields<'a> {
        TumorFields {
            site,
            histology: hist,
            behavior: beh,
            laterality: "1",
            year: y,
            month: m,
            day: "10",
            ..Default::default()
        }
    }

    #[test]
    fn two_melanomas_of_the_back_are_01_and_02() {
        let tumors = [
            t("C445", "8720", "3", "2024", "06"),
            t("C445", "8720", "3", "2019", "03"),
        ];
        let p = group(&tumors, 2026).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.pairs.len(), 1);
        assert_eq!(p.pairs[0].outcome.step, Some("M7"));
        assert_eq!(p.primaries.len(), 2);
        // The 2019 tumor comes first in diagnosis order.
        assert_eq!(p.primaries[0].tumors, vec![1]);
        assert_eq!(p.primaries[0].sequence, "01");
        assert_eq!(p.primaries[1].sequence, "02");
    }

    #[test]
    fn one_primary_of_two_tumors_is_00_with_multiplicity() {
        // Synchronous, same breast, same histology: one primary.
        let tumors = [
            t("C504", "8500", "3", "2020", "01"),
            t("C504", "8500", "3", "2020", "02"),
        ];
        let p = group(&tumors, 2026).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.primaries.len(), 1);
        let one = &p.primaries[0];
        assert_eq!(one.sequence, "00");
        assert_eq!(one.multiplicity_counter, "02");
        assert_eq!(one.mult_tum_rpt_as_one_prim, "40");
        assert_eq!(one.date_of_mult_tumors.as_deref(), Some("20200210"));
    }

    #[test]
    fn non_malignant_series_starts_at_60() {
        let tumors = [
            t("C700", "9530", "0", "2019", "01"),
            t("C504", "8500", "3", "2020", "01"),
        ];
        let p = group(&tumors, 2026).unwrap_or_else(|e| panic!("{e}"));
        let seq: Vec<&str> = p.primaries.iter().map(|x| x.sequence.as_str()).collect();
        assert_eq!(seq, vec!["60", "00"]);
    }

    #[test]
    fn items_are_read_from_a_partial_date() {
        let mut items = Items::new();
        items.insert("dateOfDiagnosis".into(), "201903".into());
        items.insert("primarySite".into(), "C445".into());
        let f = fields_from_items(&items);
        assert_eq!((f.year, f.month, f.day, f.site), ("2019", "03", "", "C445"));
    }
}
