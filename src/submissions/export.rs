//! The export walk: the tumors of a selection, grouped by patient, written as NAACCR XML with
//! flat memory (one page of tumors and their patients at a time).

use std::collections::BTreeMap;
use std::io::Write;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::Error;
use crate::abstracts::patients;
use crate::abstracts::tumors::{self, Status, Tumor};
use crate::auth::FacilityScope;
use crate::db::schema::{submission_items, submissions};
use crate::db::DbConn;
use crate::naaccr::xml::{self, ExportVersion, NaaccrXmlWriter, WriterOptions};
use crate::naaccr::{Items, RecordType};

const PAGE: i64 = 1000;

/// Which tumors a submission carries. Empty means every tumor the caller may see.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selection {
    /// Reporting facilities (Reporting Facility [540]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<Vec<String>>,
    /// Earliest diagnosis year (inclusive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::json_input::opt_i32"
    )]
    pub dx_year_from: Option<i32>,
    /// Latest diagnosis year (inclusive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::json_input::opt_i32"
    )]
    pub dx_year_to: Option<i32>,
    /// Only tumors in this workflow status (e.g. `complete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Only tumors sent before to the same recipient and changed since (in the record type
    /// asked for: I stays I).
    #[serde(default)]
    pub changed_since_last: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportCounts {
    pub patients: u64,
    pub tumors: u64,
}

/// The highest version of each of these tumors sent to `recipient` by a finished submission.
fn sent_versions(
    conn: &mut DbConn,
    recipient: &str,
    ids: &[String],
) -> Result<BTreeMap<String, i64>, Error> {
    let rows: Vec<(String, i64)> = submission_items::table
        .inner_join(submissions::table)
        .filter(submissions::recipient.eq(recipient))
        .filter(submissions::status.eq("done"))
        .filter(submission_items::tumor_id.eq_any(ids.to_vec()))
        .select((submission_items::tumor_id, submission_items::tumor_version))
        .load(conn)?;
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for (id, v) in rows {
        let e = out.entry(id).or_insert(v);
        *e = (*e).max(v);
    }
    Ok(out)
}

/// Writes the selection as NAACCR XML to `out`, calling `carried` for every tumor written
/// (its id and version) and `progress` after each page. Items are written as stored; the
/// writer keeps only those the record type allows.
#[allow(clippy::too_many_arguments)]
pub fn export<W: Write>(
    conn: &mut DbConn,
    scope: &FacilityScope,
    selection: &Selection,
    recipient: Option<&str>,
    record_type: RecordType,
    version: ExportVersion,
    out: W,
    mut carried: impl FnMut(&str, i64) -> Result<(), Error>,
    mut progress: impl FnMut(ExportCounts),
) -> Result<(W, ExportCounts), Error> {
    let options = WriterOptions {
        version,
        record_type,
        time_generated: None,
    };
    let mut writer = NaaccrXmlWriter::new(out, &options, &Items::new())?;
    let filter = tumors::Filter {
        dx_year_from: selection.dx_year_from,
        dx_year_to: selection.dx_year_to,
        status: selection.status,
        ..Default::default()
    };
    // A submission to a recipient carries the export date; the job stores the same item.
    let exported_on = recipient.map(|_| crate::abstracts::lifecycle::today());
    let mut counts = ExportCounts::default();
    let mut after: Option<(String, String)> = None;
    // The patient being written and its tumors so far: a patient's tumors may span pages.
    let mut pending: Option<(String, Vec<Tumor>)> = None;
    loop {
        let page = tumors::page_by_patient(
            conn,
            scope,
            &filter,
            selection.facilities.as_deref(),
            after.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            PAGE,
        )?;
        let Some(last) = page.last() else { break };
        after = Some((last.patient_id.clone(), last.id.clone()));
        let full = page.len() as i64 == PAGE;
        let page = if selection.changed_since_last {
            let recipient = recipient.unwrap_or("");
            let ids: Vec<String> = page.iter().map(|t| t.id.clone()).collect();
            let sent = sent_versions(conn, recipient, &ids)?;
            page.into_iter()
                .filter(|t| sent.get(&t.id).is_some_and(|v| t.version > *v))
                .collect()
        } else {
            page
        };
        let mut groups: Vec<(String, Vec<Tumor>)> = Vec::new();
        for t in page {
            match groups.last_mut() {
                Some((p, ts)) if *p == t.patient_id => ts.push(t),
                _ => groups.push((t.patient_id.clone(), vec![t])),
            }
        }
        // Merge with the patient carried over from the previous page.
        if let (Some((pp, pts)), Some((first, ts))) = (&mut pending, groups.first_mut()) {
            if pp == first {
                pts.append(ts);
                groups.remove(0);
            }
        }
        let mut ready: Vec<(String, Vec<Tumor>)> = Vec::new();
        if !groups.is_empty() {
            ready.extend(pending.take());
            ready.extend(groups);
            // The last patient of a full page may continue on the next one.
            if full {
                pending = ready.pop();
            }
        }
        write_groups(
            conn,
            &mut writer,
            ready,
            exported_on.as_deref(),
            &mut counts,
            &mut carried,
        )?;
        progress(counts);
        if !full {
            break;
        }
    }
    write_groups(
        conn,
        &mut writer,
        pending.into_iter().collect(),
        exported_on.as_deref(),
        &mut counts,
        &mut carried,
    )?;
    progress(counts);
    let (out, _) = writer.finish()?;
    Ok((out, counts))
}

fn write_groups<W: Write>(
    conn: &mut DbConn,
    writer: &mut NaaccrXmlWriter<W>,
    groups: Vec<(String, Vec<Tumor>)>,
    exported_on: Option<&str>,
    counts: &mut ExportCounts,
    carried: &mut impl FnMut(&str, i64) -> Result<(), Error>,
) -> Result<(), Error> {
    if groups.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = groups.iter().map(|(p, _)| p.clone()).collect();
    let people: BTreeMap<String, Items> = patients::many(conn, &ids)?
        .into_iter()
        .map(|p| (p.id, p.items))
        .collect();
    for (patient_id, tumors) in groups {
        let patient = xml::Patient {
            items: people.get(&patient_id).cloned().unwrap_or_default(),
            tumors: tumors
                .iter()
                .map(|t| {
                    let mut items = t.items.clone();
                    if let Some(d) = exported_on {
                        items.insert("dateCaseReportExported".into(), d.to_string());
                    }
                    xml::Tumor { items, line: 0 }
                })
                .collect(),
            line: 0,
            errors: Vec::new(),
        };
        writer.write_patient(&patient)?;
        counts.patients += 1;
        for t in &tumors {
            carried(&t.id, t.version)?;
            counts.tumors += 1;
        }
    }
    Ok(())
}
