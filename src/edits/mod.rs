//! Data-quality edits over NAACCR-coded abstracts: single-item validity, dates, site/histology,
//! grade, 2018+ staging and treatment checks, as catalogued in `shared/edits/CATALOG.md`.
//!
//! Pure engine: items in, failures out. Every edit is one row of [`registry::EDITS`]; the
//! engine applies year gating, skip-on-blank and over-rides uniformly so edit functions only
//! state their own logic.

pub mod cli;
pub mod codes;
pub mod record;
mod registry;
pub mod required;
pub(crate) mod rules;
pub mod sets;
pub mod store;
pub mod tables;

use std::borrow::Cow;
use std::path::PathBuf;

use serde::Serialize;

use crate::naaccr::Items;
pub use record::{Rec, F};
pub use sets::EditSet;
pub use tables::ReferenceTables;

/// Errors of the edits module (loading the reference lists).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reference directory {0} does not exist; set CANCER_REGISTRY_REFERENCE to the folder holding the reference tables")]
    MissingDir(PathBuf),
    #[error("cannot read reference table {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reference table {path}, line {line}: {reason}")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("cannot write the edit summary: {0}")]
    Output(#[from] std::io::Error),
    /// The input file could not be read (not NAACCR XML, or a fatal error in it).
    #[error("{0}")]
    Input(String),
}

/// How a failing edit is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Diagnosis years an edit applies to (inclusive); a missing bound is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Years {
    pub from: Option<u16>,
    pub to: Option<u16>,
}

impl Years {
    pub const ALL: Years = Years {
        from: None,
        to: None,
    };

    fn gated(self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    fn contains(self, year: u16) -> bool {
        self.from.is_none_or(|f| year >= f) && self.to.is_none_or(|t| year <= t)
    }
}

/// An over-ride flag and the codes of it that suppress the edit.
#[derive(Debug, Clone, Copy)]
pub struct Override {
    pub item: F,
    pub codes: &'static [&'static str],
}

/// A failure reported by an edit function: extra detail for the message, and whether an
/// over-ride may suppress it (some edits mix reviewable and hard conditions).
#[derive(Debug, Clone)]
pub struct Fail {
    pub detail: Cow<'static, str>,
    pub hard: bool,
    /// The items at fault (NAACCR XML ids); empty means every item the edit reads.
    pub items: Vec<String>,
}

/// Result of an edit function on one tumor: `None` passes (or skips).
pub type Verdict = Option<Fail>;

/// Failures found by a patient-level edit: (tumor index, failure).
pub type PatientFailures = Vec<(Option<usize>, Fail)>;

/// Everything a patient-level edit sees.
pub struct PatientCtx<'a> {
    pub patient: &'a Items,
    pub tumors: &'a [Items],
    pub recs: &'a [Rec<'a>],
    pub tables: &'a ReferenceTables,
    /// The pairs of tumors the multiple primary rules make one primary, computed at most once
    /// per run and shared by the edits that read them (DUP, IRMP).
    pub(crate) one_primary: std::cell::OnceCell<Vec<rules::i_primaries::OnePrimary>>,
    /// Each tumor's EOD outputs when the algorithm stages it, computed at most once per run and
    /// shared by the re-derivation edits (D06, E10): staging is the costliest step of a run.
    pub(crate) staged: Vec<std::cell::OnceCell<Option<rules::e_staging::Outputs>>>,
}

/// The logic of an edit.
#[derive(Clone, Copy)]
pub enum Check {
    /// Runs on each tumor that passes year gating and skip-on-blank.
    Tumor(fn(&Rec<'_>, &ReferenceTables) -> Verdict),
    /// Runs once per patient; pushes (tumor index, failure).
    Patient(fn(&PatientCtx<'_>, &mut PatientFailures)),
}

/// One edit: metadata and logic.
#[derive(Clone, Copy)]
pub struct Edit {
    pub id: &'static str,
    pub name: &'static str,
    /// Every item the edit reads.
    pub items: &'static [F],
    /// Items that must be non-blank for the edit to run (skip-on-blank).
    pub keys: &'static [F],
    pub years: Years,
    pub severity: Severity,
    pub overrides: &'static [Override],
    pub message: &'static str,
    pub check: Check,
}

/// A failing edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditFailure {
    pub edit_id: &'static str,
    pub severity: Severity,
    pub tumor_index: Option<usize>,
    pub items: Vec<String>,
    pub message: String,
    /// True when an over-ride flag suppresses the failure (only reported by [`run_all`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub overridden: bool,
}

/// Catalog entry for `GET /api/v1/edits`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditInfo {
    /// Edit id: the SEER/NAACCR id where there is one, otherwise the catalog number.
    pub id: &'static str,
    pub name: &'static str,
    /// Every item the edit reads (NAACCR XML ids).
    pub items: Vec<&'static str>,
    /// Severity in the full catalog; an edit set may lower it (see `/edit-sets`).
    pub severity: Severity,
    /// Over-ride items that suppress the edit after review.
    #[serde(rename = "override")]
    pub override_items: Vec<&'static str>,
    /// Diagnosis years the edit applies to (inclusive; a missing bound is open).
    pub years: Years,
    pub message: &'static str,
    /// Whether the edit runs once per patient over all its tumors (sequence numbers,
    /// duplicates, death dates, re-derived items) rather than tumor by tumor.
    pub patient_level: bool,
}

/// Metadata of every edit, in registry order.
pub fn catalog() -> Vec<EditInfo> {
    registry::EDITS
        .iter()
        .map(|e| EditInfo {
            id: e.id,
            name: e.name,
            // the general items, then the site-specific data items the edit compares
            items: e
                .items
                .iter()
                .map(|f| f.id())
                .chain(rules::i_biomarkers::named_ssdis(e.id).iter().copied())
                .collect(),
            severity: e.severity,
            override_items: e.overrides.iter().map(|o| o.item.id()).collect(),
            years: e.years,
            message: e.message,
            patient_level: matches!(e.check, Check::Patient(_)),
        })
        .collect()
}

/// The registered edits.
pub fn edits() -> &'static [Edit] {
    registry::EDITS
}

/// Runs the edit set in use ([`sets::configured`]: `CANCER_REGISTRY_EDIT_SET`, default `coc`)
/// and returns the failures that are not over-ridden.
pub fn run(patient: &Items, tumors: &[Items], tables: &ReferenceTables) -> Vec<EditFailure> {
    let mut out = Vec::new();
    run_into(patient, tumors, tables, false, &mut out);
    out
}

/// Like [`run`], but also returns over-ridden failures with `overridden: true`.
pub fn run_all(patient: &Items, tumors: &[Items], tables: &ReferenceTables) -> Vec<EditFailure> {
    let mut out = Vec::new();
    run_into(patient, tumors, tables, true, &mut out);
    out
}

/// Every edit of the catalog at its catalog severity, whatever set it belongs to (the
/// required-item edits of all four setters included), over-ridden failures flagged.
pub fn run_catalog(
    patient: &Items,
    tumors: &[Items],
    tables: &ReferenceTables,
) -> Vec<EditFailure> {
    let mut out = Vec::new();
    run_edits(patient, tumors, tables, None, true, &mut out);
    out
}

fn overridden(edit: &Edit, rec: Option<&Rec<'_>>) -> bool {
    rec.is_some_and(|r| {
        edit.overrides
            .iter()
            .any(|o| o.codes.contains(&r.get(o.item)))
    })
}

fn failure(
    edit: &Edit,
    severity: Severity,
    tumor_index: Option<usize>,
    fail: &Fail,
    over: bool,
) -> EditFailure {
    let message = if fail.detail.is_empty() {
        edit.message.to_string()
    } else {
        format!("{} ({})", edit.message, fail.detail)
    };
    EditFailure {
        edit_id: edit.id,
        severity,
        tumor_index,
        items: if fail.items.is_empty() {
            edit.items.iter().map(|f| f.id().to_string()).collect()
        } else {
            fail.items.clone()
        },
        message,
        overridden: over,
    }
}

/// Runs the edit set in use, appending failures to `out` (reuse the vector across patients).
pub fn run_into(
    patient: &Items,
    tumors: &[Items],
    tables: &ReferenceTables,
    keep_overridden: bool,
    out: &mut Vec<EditFailure>,
) {
    run_edits(
        patient,
        tumors,
        tables,
        Some(sets::configured()),
        keep_overridden,
        out,
    );
}

/// Runs the edits of a named set at the set's severities (over-ridden failures included,
/// flagged).
pub fn run_set(
    set: &EditSet,
    patient: &Items,
    tumors: &[Items],
    tables: &ReferenceTables,
) -> Vec<EditFailure> {
    let mut out = Vec::new();
    run_edits(patient, tumors, tables, Some(set), true, &mut out);
    out
}

/// Like [`run_into`] for the edits of a set.
pub fn run_set_into(
    set: &EditSet,
    patient: &Items,
    tumors: &[Items],
    tables: &ReferenceTables,
    keep_overridden: bool,
    out: &mut Vec<EditFailure>,
) {
    run_edits(patient, tumors, tables, Some(set), keep_overridden, out);
}

fn run_edits(
    patient: &Items,
    tumors: &[Items],
    tables: &ReferenceTables,
    set: Option<&EditSet>,
    keep_overridden: bool,
    out: &mut Vec<EditFailure>,
) {
    let recs: Vec<Rec<'_>> = tumors
        .iter()
        .map(|t| Rec::new(patient, t, tables))
        .collect();
    let mut pending: Vec<(Option<usize>, Fail)> = Vec::new();
    let plan = set.map(EditSet::plan);
    let ctx = PatientCtx {
        patient,
        tumors,
        recs: &recs,
        tables,
        one_primary: std::cell::OnceCell::new(),
        staged: tumors.iter().map(|_| std::cell::OnceCell::new()).collect(),
    };
    for (k, edit) in registry::EDITS.iter().enumerate() {
        let severity = match plan {
            Some(plan) => match plan.get(k).copied().flatten() {
                Some(s) => s,
                None => continue,
            },
            None => edit.severity,
        };
        match edit.check {
            Check::Tumor(f) => {
                for (i, rec) in recs.iter().enumerate() {
                    if edit.years.gated() && !rec.year.is_some_and(|y| edit.years.contains(y)) {
                        continue;
                    }
                    if edit.keys.iter().any(|k| rec.blank(*k)) {
                        continue;
                    }
                    if let Some(fail) = f(rec, tables) {
                        let over = !fail.hard && overridden(edit, Some(rec));
                        if !over || keep_overridden {
                            out.push(failure(edit, severity, Some(i), &fail, over));
                        }
                    }
                }
            }
            Check::Patient(f) => {
                pending.clear();
                f(&ctx, &mut pending);
                for (i, fail) in &pending {
                    let rec = i.and_then(|i| recs.get(i));
                    let over = !fail.hard && overridden(edit, rec);
                    if !over || keep_overridden {
                        out.push(failure(edit, severity, *i, fail, over));
                    }
                }
            }
        }
    }
}

/// A reviewable failure with no extra detail.
pub(crate) fn fail() -> Verdict {
    Some(Fail {
        detail: Cow::Borrowed(""),
        hard: false,
        items: Vec::new(),
    })
}

/// A reviewable failure with detail.
pub(crate) fn fail_with(detail: impl Into<Cow<'static, str>>) -> Verdict {
    Some(Fail {
        detail: detail.into(),
        hard: false,
        items: Vec::new(),
    })
}

/// A reviewable failure naming the items at fault.
pub(crate) fn fail_items(detail: impl Into<Cow<'static, str>>, items: Vec<String>) -> Verdict {
    Some(Fail {
        detail: detail.into(),
        hard: false,
        items,
    })
}

/// A failure no over-ride can suppress.
pub(crate) fn fail_hard(detail: impl Into<Cow<'static, str>>) -> Verdict {
    Some(Fail {
        detail: detail.into(),
        hard: true,
        items: Vec::new(),
    })
}
