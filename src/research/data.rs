//! Reading a request's cases from the registry and turning them into what may be released:
//! de-identified extracts (CSV or NAACCR XML record type I) and suppressed tables.

use std::collections::BTreeMap;
use std::io::Write;

use super::deid::{Release, ReleaseOptions, StudyIds};
use super::requests::{ResearchRequest, ResearchSelection};
use super::site_recode::SiteRecodeTable;
use super::suppress::{suppress, Cell, SuppressedTable};
use super::{age_group, Error};
use crate::abstracts::tumors::{self, Tumor};
use crate::abstracts::{self, patients};
use crate::auth::FacilityScope;
use crate::db::DbConn;
use crate::naaccr::xml::{self, ExportVersion, NaaccrXmlWriter, WriterOptions};
use crate::naaccr::{Dictionary, Items, Level, RecordType};

const PAGE: i64 = 1000;

/// Errors of reading and releasing.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Abstracts(#[from] abstracts::Error),
    #[error(transparent)]
    Research(#[from] Error),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

fn stage_of(t: &Items) -> Option<&String> {
    t.get("derivedSummaryStage2018")
        .or_else(|| t.get("summaryStage2018"))
}

fn selected(sel: &ResearchSelection, t: &Tumor) -> bool {
    let site = t.items.get("primarySite").map(String::as_str).unwrap_or("");
    (sel.sites.is_empty() || sel.sites.iter().any(|s| site.starts_with(s.as_str())))
        && (sel.stages.is_empty() || stage_of(&t.items).is_some_and(|s| sel.stages.contains(s)))
}

/// Calls `f` with each patient of the selection and its selected tumors, a page at a time.
pub fn each_case(
    conn: &mut DbConn,
    sel: &ResearchSelection,
    mut f: impl FnMut(&str, &Items, &[Items]) -> Result<(), DataError>,
) -> Result<(), DataError> {
    // Research sees complete abstracts only: a draft or one in review may still change.
    let filter = tumors::Filter {
        dx_year_from: sel.dx_year_from,
        dx_year_to: sel.dx_year_to,
        status: Some(tumors::Status::Complete),
        ..Default::default()
    };
    let facilities = (!sel.facilities.is_empty()).then_some(sel.facilities.as_slice());
    let mut after: Option<(String, String)> = None;
    let mut pending: Option<(String, Vec<Items>)> = None;
    loop {
        let page = tumors::page_by_patient(
            conn,
            &FacilityScope::All,
            &filter,
            facilities,
            after.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            PAGE,
        )?;
        let Some(last) = page.last() else { break };
        after = Some((last.patient_id.clone(), last.id.clone()));
        let full = page.len() as i64 == PAGE;
        let mut groups: Vec<(String, Vec<Items>)> = pending.take().into_iter().collect();
        for t in page.into_iter().filter(|t| selected(sel, t)) {
            match groups.last_mut() {
                Some((p, ts)) if *p == t.patient_id => ts.push(t.items),
                _ => groups.push((t.patient_id.clone(), vec![t.items])),
            }
        }
        // The last patient of a full page may have more tumors on the next one.
        if full {
            pending = groups.pop();
        }
        flush(conn, groups, &mut f)?;
        if !full {
            break;
        }
    }
    flush(conn, pending.into_iter().collect(), &mut f)
}

fn flush(
    conn: &mut DbConn,
    groups: Vec<(String, Vec<Items>)>,
    f: &mut impl FnMut(&str, &Items, &[Items]) -> Result<(), DataError>,
) -> Result<(), DataError> {
    if groups.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = groups.iter().map(|(p, _)| p.clone()).collect();
    let people: BTreeMap<String, Items> = patients::many(conn, &ids)?
        .into_iter()
        .map(|p| (p.id, p.items))
        .collect();
    let empty = Items::new();
    for (id, tumors) in groups {
        f(&id, people.get(&id).unwrap_or(&empty), &tumors)?;
    }
    Ok(())
}

/// Output format of an extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    NaaccrXml,
}

/// Writes the de-identified extract of an approved request; returns the number of tumor
/// records. Study ids are numbered after a random shuffle, so they are stable within the
/// extract and unrelated to registry ids; a new extract gets new ones.
pub fn extract<W: Write>(
    conn: &mut DbConn,
    request: &ResearchRequest,
    format: Format,
    reference_year: u16,
    out: W,
) -> Result<(W, u64), DataError> {
    let release = Release::new(&request.items, ReleaseOptions { reference_year })?;
    let mut keys = Vec::new();
    each_case(conn, &request.selection, |id, _, _| {
        keys.push(id.to_string());
        Ok(())
    })?;
    let ids = StudyIds::assign(keys, &mut rand::rng());
    let mut records = 0u64;
    match format {
        Format::Csv => {
            let mut csv = release.csv(out)?;
            each_case(conn, &request.selection, |id, patient, tumors| {
                let study = ids.get(id).unwrap_or(0);
                let deid = release.deidentify(study, patient, tumors);
                records += deid.tumors.len() as u64;
                csv.write_patient(&deid)?;
                Ok(())
            })?;
            Ok((csv.finish()?, records))
        }
        Format::NaaccrXml => {
            let dict = Dictionary::v260();
            let columns: Vec<(String, Level)> = release
                .columns()
                .filter_map(|c| dict.item(c).map(|d| (c.to_string(), d.level)))
                .collect();
            let options = WriterOptions {
                version: ExportVersion::V260,
                record_type: RecordType::I,
                time_generated: None,
            };
            let mut writer = NaaccrXmlWriter::new(out, &options, &Items::new())?;
            each_case(conn, &request.selection, |id, patient, tumors| {
                let study = ids.get(id).unwrap_or(0);
                let deid = release.deidentify(study, patient, tumors);
                let mut p = xml::Patient::default();
                // The study id stands in for the Patient ID Number: a code not derived from
                // any identifier, as Safe Harbor allows.
                p.items.insert(
                    "patientIdNumber".into(),
                    format!("{:08}", study % 100_000_000),
                );
                for values in &deid.tumors {
                    let mut t = Items::new();
                    for ((id, level), v) in columns.iter().zip(values) {
                        if v.is_empty() {
                            continue;
                        }
                        match level {
                            Level::Patient => {
                                p.items.insert(id.clone(), v.clone());
                            }
                            _ => {
                                t.insert(id.clone(), v.clone());
                            }
                        }
                    }
                    p.tumors.push(xml::Tumor { items: t, line: 0 });
                }
                records += deid.tumors.len() as u64;
                writer.write_patient(&p)?;
                Ok(())
            })?;
            let (out, _) = writer.finish()?;
            Ok((out, records))
        }
    }
}

/// The dimensions a table may be grouped by.
pub const DIMENSIONS: [&str; 5] = ["siteRecode", "dxYear", "sex", "summaryStage", "ageGroup"];

fn key_of(dim: &str, patient: &Items, t: &Items, recode: &SiteRecodeTable) -> String {
    let get = |m: &Items, k: &str| m.get(k).cloned().unwrap_or_default();
    let year = t
        .get("dateOfDiagnosis")
        .and_then(|d| d.get(0..4))
        .map(str::to_string);
    match dim {
        "siteRecode" => recode
            .recode(
                &get(t, "primarySite"),
                &get(t, "histologicTypeIcdO3"),
                &get(t, "behaviorCodeIcdO3"),
                year.as_deref().and_then(|y| y.parse().ok()),
            )
            .map(|g| g.name.clone())
            .unwrap_or_else(|| "Unknown".into()),
        "dxYear" => year.unwrap_or_else(|| "Unknown".into()),
        "sex" => match patient.get("sexAssignedAtBirth").map(String::as_str) {
            Some("1") => "Male".into(),
            Some("2") => "Female".into(),
            _ => "Unknown".into(),
        },
        "summaryStage" => stage_of(t).cloned().unwrap_or_else(|| "Unknown".into()),
        _ => t
            .get("ageAtDiagnosis")
            .and_then(|a| age_group(a))
            .unwrap_or("Unknown")
            .to_string(),
    }
}

/// Counts the selection's tumors by the given dimensions and suppresses small cells.
pub fn table(
    conn: &mut DbConn,
    selection: &ResearchSelection,
    dimensions: &[String],
    recode: &SiteRecodeTable,
    threshold: u64,
) -> Result<(SuppressedTable, u64), DataError> {
    let mut counts: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    let mut total = 0u64;
    each_case(conn, selection, |_, patient, tumors| {
        for t in tumors {
            let keys = dimensions
                .iter()
                .map(|d| key_of(d, patient, t, recode))
                .collect();
            *counts.entry(keys).or_default() += 1;
            total += 1;
        }
        Ok(())
    })?;
    let cells: Vec<Cell> = counts
        .into_iter()
        .map(|(keys, count)| Cell { keys, count })
        .collect();
    Ok((suppress(dimensions, &cells, threshold)?, total))
}
