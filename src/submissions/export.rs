//! The export walk: the tumors of a selection, grouped by patient, written as NAACCR XML with
//! flat memory (one page of tumors and their patients at a time).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::recipients::Recipient;
use super::Error;
use crate::abstracts::patients::{self, Patient};
use crate::abstracts::tumors::{self, Status, Tumor};
use crate::auth::FacilityScope;
use crate::db::schema::recipient_tumors;
use crate::db::DbConn;
use crate::edits::{EditSet, ReferenceTables, Severity};
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
    /// Only tumors sent before to the same recipient whose items or whose patient's items
    /// changed since (in the record type asked for: I stays I).
    #[serde(default)]
    pub changed_since_last: bool,
    /// Every tumor this recipient has never received plus every tumor whose items or whose
    /// patient's items changed since it last went there.
    #[serde(default)]
    pub pending: bool,
}

/// The Vendor Name [2170] this service writes on every tumor it sends (10 characters at
/// most; the v26 dictionary puts the item on `Tumor`, not on `NaaccrData`).
pub fn vendor_name() -> String {
    format!("CR {}", env!("CARGO_PKG_VERSION"))
        .chars()
        .take(10)
        .collect()
}

/// Items the service stamps on what it sends: not a change of the abstract.
const STAMPED: &[&str] = &["dateCaseReportExported", "vendorName"];

/// Items a hospital cannot supply because the central registry assigns them: a required-item
/// failure naming only these does not hold a tumor back from a recipient (see
/// [`gate_failures`]).
const CENTRAL_ASSIGNED: &[&str] = &["sequenceNumberCentral"];

/// Where an export goes, for a submission: the recipient, and the edit set gating the file
/// (none when the recipient has none or a manager included failing tumors).
pub struct Target<'a> {
    pub recipient: &'a Recipient,
    pub gate: Option<(&'static EditSet, &'a ReferenceTables)>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportCounts {
    pub patients: u64,
    pub tumors: u64,
    /// Tumors the recipient had never received.
    pub new: u64,
    /// Tumors it received before, changed since.
    pub changed: u64,
    /// Tumors the edit gate held back.
    pub excluded: u64,
}

/// One tumor carried by a submission, as the job records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Carried {
    pub tumor_id: String,
    pub tumor_version: i64,
    pub patient_id: String,
    pub patient_version: i64,
    /// `new`, `changed`, or `resent` (received before and unchanged).
    pub change: String,
    /// Items (patient or tumor) whose value differs from what the recipient last received.
    pub changed_items: Vec<String>,
    /// The patient and tumor items as sent (`{"patient": {...}, "tumor": {...}}`).
    pub items: String,
}

/// A tumor the edit gate left out, with its failures.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Excluded {
    pub tumor_id: String,
    pub patient_id_number: Option<String>,
    pub accession_number_hosp: Option<String>,
    pub sequence_number_hospital: Option<String>,
    pub failures: Vec<GateFailure>,
}

/// An error-level edit failure of the gate.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GateFailure {
    pub edit_id: String,
    pub items: Vec<String>,
    pub message: String,
}

/// What a recipient last received of a tumor.
struct Sent {
    tumor_version: i64,
    patient_version: i64,
    items: String,
}

fn sent_of(
    conn: &mut DbConn,
    recipient: &str,
    ids: &[String],
) -> Result<BTreeMap<String, Sent>, Error> {
    let rows: Vec<(String, i64, i64, String)> = recipient_tumors::table
        .filter(recipient_tumors::recipient_id.eq(recipient))
        .filter(recipient_tumors::tumor_id.eq_any(ids.to_vec()))
        .select((
            recipient_tumors::tumor_id,
            recipient_tumors::tumor_version,
            recipient_tumors::patient_version,
            recipient_tumors::items,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, tv, pv, items)| {
            (
                id,
                Sent {
                    tumor_version: tv,
                    patient_version: pv,
                    items,
                },
            )
        })
        .collect())
}

#[derive(Deserialize, Default)]
struct SentItems {
    #[serde(default)]
    patient: Items,
    #[serde(default)]
    tumor: Items,
}

/// Items whose values differ between what was sent and what is stored now (stamps ignored).
/// Empty when what was sent is unknown (batches from before recipients were records).
fn changed_items(sent: &str, patient: &Items, tumor: &Items) -> Vec<String> {
    let Ok(before) = serde_json::from_str::<SentItems>(sent) else {
        return Vec::new();
    };
    if before.patient.is_empty() && before.tumor.is_empty() {
        return Vec::new();
    }
    let mut out = BTreeSet::new();
    for (old, new) in [(&before.patient, patient), (&before.tumor, tumor)] {
        for k in old.keys().chain(new.keys()) {
            if !STAMPED.contains(&k.as_str()) && old.get(k) != new.get(k) {
                out.insert(k.clone());
            }
        }
    }
    out.into_iter().collect()
}

/// The error-level, not over-ridden failures of the recipient's edit set for each tumor of one
/// patient (a patient-level failure counts against every tumor). Required-item failures that
/// name only items the central registry assigns are not counted: a hospital cannot send them.
fn gate_failures(
    set: &EditSet,
    tables: &ReferenceTables,
    patient: &Items,
    tumors: &[Tumor],
) -> Vec<Vec<GateFailure>> {
    let items: Vec<Items> = tumors.iter().map(|t| t.items.clone()).collect();
    let mut out = vec![Vec::new(); tumors.len()];
    for f in crate::edits::run_set(set, patient, &items, tables) {
        if f.severity != Severity::Error || f.overridden {
            continue;
        }
        // A required-item edit lists every blank item in one failure: it counts only for the
        // items the hospital could have supplied.
        let items: Vec<String> = f
            .items
            .iter()
            .filter(|i| !CENTRAL_ASSIGNED.contains(&i.as_str()))
            .cloned()
            .collect();
        if items.is_empty() && !f.items.is_empty() {
            continue;
        }
        let g = GateFailure {
            edit_id: f.edit_id.to_string(),
            items,
            message: f.message.clone(),
        };
        match f.tumor_index {
            Some(i) if i < out.len() => out[i].push(g),
            _ => out.iter_mut().for_each(|v| v.push(g.clone())),
        }
    }
    out
}

/// Writes the selection as NAACCR XML to `out`, calling `carried` for every tumor written
/// and `progress` after each page. Items are written as stored; the writer keeps only those
/// the record type allows. For a submission (`target`), the recipient's facilities narrow
/// the selection, its file-level items go on `NaaccrData`, `pending` and `changedSinceLast`
/// compare with what it last received, and its edit gate leaves failing tumors out (returned).
#[allow(clippy::too_many_arguments)]
pub fn export<W: Write>(
    conn: &mut DbConn,
    scope: &FacilityScope,
    selection: &Selection,
    target: Option<&Target>,
    record_type: RecordType,
    version: ExportVersion,
    out: W,
    mut carried: impl FnMut(&Carried) -> Result<(), Error>,
    mut progress: impl FnMut(ExportCounts),
) -> Result<(W, ExportCounts, Vec<Excluded>), Error> {
    let options = WriterOptions {
        version,
        record_type,
        time_generated: None,
    };
    let mut root = Items::new();
    let mut facilities = selection.facilities.clone();
    if let Some(t) = target {
        let r = t.recipient;
        for (id, v) in [
            ("registryId", &r.registry_id),
            ("registryType", &r.registry_type),
            ("npiRegistryId", &r.npi_registry_id),
        ] {
            if let Some(v) = v {
                root.insert(id.into(), v.clone());
            }
        }
        if !r.facilities.is_empty() {
            facilities = Some(match facilities {
                Some(list) => list
                    .into_iter()
                    .filter(|f| r.facilities.contains(f))
                    .collect(),
                None => r.facilities.clone(),
            });
        }
    }
    let mut writer = NaaccrXmlWriter::new(out, &options, &root)?;
    let filter = tumors::Filter {
        dx_year_from: selection.dx_year_from,
        dx_year_to: selection.dx_year_to,
        status: selection.status,
        ..Default::default()
    };
    let mut walk = Walk {
        target,
        selection,
        exported_on: target.map(|_| crate::abstracts::lifecycle::today()),
        vendor: vendor_name(),
        counts: ExportCounts::default(),
        excluded: Vec::new(),
    };
    let mut after: Option<(String, String)> = None;
    // The patient being written and its tumors so far: a patient's tumors may span pages.
    let mut pending: Option<(String, Vec<Tumor>)> = None;
    loop {
        let page = tumors::page_by_patient(
            conn,
            scope,
            &filter,
            facilities.as_deref(),
            after.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            PAGE,
        )?;
        let Some(last) = page.last() else { break };
        after = Some((last.patient_id.clone(), last.id.clone()));
        let full = page.len() as i64 == PAGE;
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
        walk.write_groups(conn, &mut writer, ready, &mut carried)?;
        progress(walk.counts);
        if !full {
            break;
        }
    }
    walk.write_groups(
        conn,
        &mut writer,
        pending.into_iter().collect(),
        &mut carried,
    )?;
    progress(walk.counts);
    let (out, _) = writer.finish()?;
    Ok((out, walk.counts, walk.excluded))
}

struct Walk<'a> {
    target: Option<&'a Target<'a>>,
    selection: &'a Selection,
    exported_on: Option<String>,
    vendor: String,
    counts: ExportCounts,
    excluded: Vec<Excluded>,
}

impl Walk<'_> {
    /// Writes whole patients: keeps the tumors the selection wants (compared with what the
    /// recipient received), runs the gate, and writes what remains.
    fn write_groups<W: Write>(
        &mut self,
        conn: &mut DbConn,
        writer: &mut NaaccrXmlWriter<W>,
        groups: Vec<(String, Vec<Tumor>)>,
        carried: &mut impl FnMut(&Carried) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if groups.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = groups.iter().map(|(p, _)| p.clone()).collect();
        let people: BTreeMap<String, Patient> = patients::many(conn, &ids)?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let mut sent = match self.target {
            Some(t) => {
                let tumor_ids: Vec<String> = groups
                    .iter()
                    .flat_map(|(_, ts)| ts.iter().map(|t| t.id.clone()))
                    .collect();
                sent_of(conn, &t.recipient.id, &tumor_ids)?
            }
            None => BTreeMap::new(),
        };
        for (patient_id, tumors) in groups {
            let Some(person) = people.get(&patient_id) else {
                continue;
            };
            // (tumor, change, changed items)
            let mut chosen: Vec<(Tumor, &'static str, Vec<String>)> = Vec::new();
            for t in tumors {
                let (change, items) = match sent.remove(&t.id) {
                    None => ("new", Vec::new()),
                    Some(s) => {
                        if t.version > s.tumor_version || person.version > s.patient_version {
                            ("changed", changed_items(&s.items, &person.items, &t.items))
                        } else {
                            ("resent", Vec::new())
                        }
                    }
                };
                let keep = if self.selection.pending {
                    change != "resent"
                } else if self.selection.changed_since_last {
                    change == "changed"
                } else {
                    true
                };
                if keep {
                    chosen.push((t, change, items));
                }
            }
            if chosen.is_empty() {
                continue;
            }
            if let Some((set, tables)) = self.target.and_then(|t| t.gate) {
                let tumors: Vec<Tumor> = chosen.iter().map(|(t, _, _)| t.clone()).collect();
                let failures = gate_failures(set, tables, &person.items, &tumors);
                let mut kept = Vec::new();
                for (c, f) in chosen.into_iter().zip(failures) {
                    if f.is_empty() {
                        kept.push(c);
                    } else {
                        let get = |k: &str| c.0.items.get(k).cloned();
                        self.excluded.push(Excluded {
                            tumor_id: c.0.id.clone(),
                            patient_id_number: person.items.get("patientIdNumber").cloned(),
                            accession_number_hosp: get("accessionNumberHosp"),
                            sequence_number_hospital: get("sequenceNumberHospital"),
                            failures: f,
                        });
                        self.counts.excluded += 1;
                    }
                }
                chosen = kept;
                if chosen.is_empty() {
                    continue;
                }
            }
            let patient = xml::Patient {
                items: person.items.clone(),
                tumors: chosen
                    .iter()
                    .map(|(t, _, _)| {
                        let mut items = t.items.clone();
                        if let Some(d) = &self.exported_on {
                            items.insert("dateCaseReportExported".into(), d.to_string());
                            items.insert("vendorName".into(), self.vendor.clone());
                        }
                        xml::Tumor { items, line: 0 }
                    })
                    .collect(),
                line: 0,
                errors: Vec::new(),
            };
            writer.write_patient(&patient)?;
            self.counts.patients += 1;
            for (t, change, changed) in chosen {
                let items = serde_json::json!({ "patient": person.items, "tumor": t.items });
                carried(&Carried {
                    tumor_id: t.id,
                    tumor_version: t.version,
                    patient_id: patient_id.clone(),
                    patient_version: person.version,
                    change: change.to_string(),
                    changed_items: changed,
                    items: items.to_string(),
                })?;
                self.counts.tumors += 1;
                match change {
                    "new" => self.counts.new += 1,
                    "changed" => self.counts.changed += 1,
                    _ => {}
                }
            }
        }
        Ok(())
    }
}
