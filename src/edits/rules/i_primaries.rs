//! Edits across a patient's tumors that follow the multiple primary and histology rules
//! (`src/mph`): IRMP, two tumors the rules make one primary, and DUP, the same tumor entered
//! twice. Like the other cross-tumor edits they run on every write of any tumor of the patient
//! (the store reruns the whole patient, withdrawn tumors left out).
//!
//! Cost: the rules run for a pair only when the patient has more than one tumor; each tumor's
//! rule inputs are read once per run, pairs that lack what the rules need are skipped before
//! the engine, and the single-primary pairs are computed once and shared by both edits
//! ([`super::super::PatientCtx::one_primary`]). Only the decision is kept: the one-line
//! reason is written for a failing pair alone.

use super::super::record::{Rec, F};
use super::super::{Fail, PatientCtx, PatientFailures};
use crate::mph::{self, Decision, Outcome, TumorFields};
use crate::naaccr::Items;

/// A pair of the patient's tumors (indexes, `a < b`) that the rules make one primary.
#[derive(Debug, Clone, Copy)]
pub struct OnePrimary {
    pub a: usize,
    pub b: usize,
    pub outcome: Outcome,
}

const ITEMS: &[F] = &[
    F::PrimarySite,
    F::Histology,
    F::Behavior,
    F::Laterality,
    F::DateOfDiagnosis,
];

/// The rule inputs of one tumor, borrowed from its record. ICD-O-2 histology and behavior are
/// read only for diagnoses before 2001, the only ones the rules read them for.
fn fields<'a>(rec: &Rec<'a>, items: &'a Items) -> TumorFields<'a> {
    let date = rec.get(F::DateOfDiagnosis).trim();
    let part = |r: std::ops::Range<usize>| date.get(r).unwrap_or("");
    let before_2001 = rec.year.is_none_or(|y| y < 2001);
    let icdo2 = |k: &str| {
        if before_2001 {
            items.get(k).map(|v| v.trim()).unwrap_or("")
        } else {
            ""
        }
    };
    TumorFields {
        site: rec.get(F::PrimarySite).trim(),
        histology: rec.get(F::Histology).trim(),
        behavior: rec.get(F::Behavior).trim(),
        histology_icdo2: icdo2("histologyIcdO2"),
        behavior_icdo2: icdo2("behaviorIcdO2"),
        laterality: rec.get(F::Laterality).trim(),
        year: part(0..4),
        month: part(4..6),
        day: part(6..8),
    }
}

fn compute(ctx: &PatientCtx<'_>) -> Vec<OnePrimary> {
    let recs = ctx.recs;
    // One tumor has no pair (most patients); past the cap the pairs (n²/2) are not run, as
    // the patient's primaries endpoint refuses such a patient.
    if recs.len() < 2 || recs.len() > mph::patient::MAX_TUMORS {
        return Vec::new();
    }
    // The engine needs a site and a diagnosis year: without them a pair is invalid input,
    // never one primary, so the tumor takes no part (and costs nothing).
    let inputs: Vec<Option<TumorFields<'_>>> = recs
        .iter()
        .zip(ctx.tumors)
        .map(|(r, items)| {
            let usable = !r.get(F::PrimarySite).trim().is_empty()
                && r.get(F::DateOfDiagnosis).trim().len() >= 4;
            usable.then(|| fields(r, items))
        })
        .collect();
    let year = i64::from(ctx.tables.current_year());
    let mut out = Vec::new();
    for (b, tb) in inputs.iter().enumerate().skip(1) {
        let Some(tb) = tb else { continue };
        for (a, ta) in inputs.iter().enumerate().take(b) {
            let Some(ta) = ta else { continue };
            // The tables are embedded and checked at start; an error here only drops the pair.
            if let Ok(outcome) = mph::compare(ta, tb, year) {
                if outcome.decision == Decision::SinglePrimary {
                    out.push(OnePrimary { a, b, outcome });
                }
            }
        }
    }
    out
}

/// The single-primary pairs of the patient, computed on first use in this run.
fn one_primary<'c>(ctx: &'c PatientCtx<'_>) -> &'c [OnePrimary] {
    ctx.one_primary.get_or_init(|| compute(ctx))
}

/// What makes two records look like the same tumor entered twice: same primary site, same
/// histology group (first three digits), same behavior group and laterality.
fn same_identity(a: &Rec<'_>, b: &Rec<'_>) -> bool {
    a.site.is_some()
        && a.site == b.site
        && a.hist.zip(b.hist).is_some_and(|(x, y)| x / 10 == y / 10)
        && a.beh.zip(b.beh).is_some_and(|(x, y)| (x >= 2) == (y >= 2))
        && a.get(F::Laterality) == b.get(F::Laterality)
}

/// How the detail names the other tumor: its place in the patient's list and its codes.
fn describe(index: usize, r: &Rec<'_>) -> String {
    format!(
        "tumor {} ({} {}/{}, diagnosed {})",
        index + 1,
        r.get(F::PrimarySite),
        r.get(F::Histology),
        r.get(F::Behavior),
        r.get(F::DateOfDiagnosis)
    )
}

fn rule_of(o: &Outcome) -> String {
    match (o.step, o.rule_set) {
        (Some(step), Some(set)) if !step.is_empty() => format!("rule {step} of {}", set.name),
        (_, Some(set)) => set.name.to_string(),
        _ => "the multiple primary rules".to_string(),
    }
}

fn fail(detail: String) -> Fail {
    Fail {
        detail: detail.into(),
        hard: false,
        items: ITEMS.iter().map(|f| f.id().to_string()).collect(),
    }
}

/// Reports each pair on its later tumor (ids are time ordered, so the tumor entered last),
/// once per tumor: the first matching earlier tumor is named.
fn report(
    ctx: &PatientCtx<'_>,
    out: &mut PatientFailures,
    duplicate: bool,
    detail: impl Fn(&OnePrimary, &Rec<'_>) -> String,
) {
    let mut last = None;
    for p in one_primary(ctx) {
        if last == Some(p.b) {
            continue;
        }
        let (ra, rb) = (&ctx.recs[p.a], &ctx.recs[p.b]);
        if same_identity(ra, rb) == duplicate {
            out.push((Some(p.b), fail(detail(p, ra))));
            last = Some(p.b);
        }
    }
}

/// DUP: the same tumor entered twice: same primary site, histology group, behavior group and
/// laterality as an earlier tumor, and the multiple primary rules (their timing, not a fixed
/// window) make the two one primary (issue #17).
pub fn same_tumor_twice(ctx: &PatientCtx<'_>, out: &mut PatientFailures) {
    report(ctx, out, true, |p, ra| {
        format!(
            "same site, histology group and laterality as {}, and {} makes them one primary: the same tumor entered twice?",
            describe(p.a, ra),
            rule_of(&p.outcome)
        )
    });
}

/// IRMP: two tumors of the patient, coded differently, that the multiple primary rules make
/// one primary. Pairs DUP reports (the same codes) are left to DUP, so a pair fails one edit.
pub fn one_primary_twice(ctx: &PatientCtx<'_>, out: &mut PatientFailures) {
    report(ctx, out, false, |p, ra| {
        format!(
            "{} makes this tumor one primary with {}",
            rule_of(&p.outcome),
            describe(p.a, ra)
        )
    });
}
