//! Command-line support: run the catalog over many patients and print a summary. Independent of
//! the file format; the binary feeds it whatever reader it uses.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::{registry, run_into, EditFailure, Error, ReferenceTables, Severity};
use crate::naaccr::Items;

/// Counts of a run.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub patients: usize,
    pub tumors: usize,
    pub failures: usize,
    pub error_failures: usize,
    /// Failures per edit id (edits that never failed are left out).
    pub by_edit: BTreeMap<&'static str, usize>,
}

impl Summary {
    /// Whether any error-level edit failed (the binary exits 1 then).
    pub fn has_errors(&self) -> bool {
        self.error_failures > 0
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    patient: usize,
    #[serde(flatten)]
    failure: &'a EditFailure,
}

/// Runs every edit over `patients`, writing one JSON line per failure when `details`, then a
/// table of failure counts per edit.
pub fn summarize<I>(
    patients: I,
    tables: &ReferenceTables,
    details: bool,
    mut out: impl Write,
) -> Result<Summary, Error>
where
    I: IntoIterator<Item = (Items, Vec<Items>)>,
{
    let mut summary = Summary::default();
    let mut failures: Vec<EditFailure> = Vec::new();
    for (n, (patient, tumors)) in patients.into_iter().enumerate() {
        failures.clear();
        run_into(&patient, &tumors, tables, false, &mut failures);
        summary.patients += 1;
        summary.tumors += tumors.len();
        for f in &failures {
            summary.failures += 1;
            if f.severity == Severity::Error {
                summary.error_failures += 1;
            }
            *summary.by_edit.entry(f.edit_id).or_default() += 1;
            if details {
                let line = serde_json::to_string(&Line {
                    patient: n,
                    failure: f,
                })
                .map_err(|e| Error::Output(e.into()))?;
                writeln!(out, "{line}")?;
            }
        }
    }
    writeln!(
        out,
        "{} patients, {} tumors, {} failures ({} error-level)",
        summary.patients, summary.tumors, summary.failures, summary.error_failures
    )?;
    for edit in registry::EDITS {
        if let Some(count) = summary.by_edit.get(edit.id) {
            let sev = match edit.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(
                out,
                "{:>8}  {:<7}  {:<6}  {}",
                count, sev, edit.id, edit.name
            )?;
        }
    }
    Ok(summary)
}

/// Runs the catalog over a NAACCR XML file (any dictionary version the set knows; items are
/// converted to v26 first), streaming one patient at a time.
pub fn summarize_xml<R: std::io::BufRead>(
    input: R,
    dictionaries: &crate::naaccr::dictionary_xml::DictionarySet,
    tables: &ReferenceTables,
    details: bool,
    out: impl Write,
) -> Result<Summary, Error> {
    use crate::naaccr::convert::{patient_to_v26, ConversionReport};
    use crate::naaccr::xml::{NaaccrXmlReader, ReaderOptions};
    let mut reader = NaaccrXmlReader::new(input, dictionaries, ReaderOptions::default())
        .map_err(|e| Error::Input(e.to_string()))?;
    let version = reader.root().naaccr_version.clone();
    let from = dictionaries
        .base(&version)
        .map(|d| d.dictionary.clone())
        .ok_or_else(|| Error::Input(format!("dictionary {version} is not available")))?;
    let mut report = ConversionReport::default();
    let mut failed: Option<Error> = None;
    let patients = std::iter::from_fn(|| match reader.next_patient() {
        Ok(Some(mut p)) => {
            patient_to_v26(&mut p, &from, &mut report);
            let tumors = p.tumors.into_iter().map(|t| t.items).collect();
            Some((p.items, tumors))
        }
        Ok(None) => None,
        Err(e) => {
            failed = Some(Error::Input(e.to_string()));
            None
        }
    });
    let summary = summarize(patients, tables, details, out)?;
    match failed {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}
