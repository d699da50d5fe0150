//! Imports of NAACCR XML files. The whole file is validated first (format, dictionary, v26
//! item rules after conversion, facility scope); any problem rejects it with every problem
//! listed and nothing stored. A valid file is then applied in one transaction. Items are held to
//! the NAACCR exchange rules (known item at its level, length, data type, dates); code
//! validity is reported by the edits, as for any exchange file.
//!
//! Matching rule: a patient matches an existing patient of the same facility (the Reporting
//! Facility [540] of its first tumor, else the import's default facility, else the caller's
//! only facility, else for central staff [`UNKNOWN_FACILITY`]) with the same
//! Patient ID Number [20]; without one, on SSN and date of birth, else on name and date of
//! birth (`import_dupes`), else it is new. A tumor matches a
//! tumor of the matched patient with the same Reporting Facility [540] and, in order of
//! preference, the same Accession Number--Hosp [550] and Sequence Number--Hospital [560], else
//! the same Sequence Number--Central [380], else the same Primary Site [400], Histologic Type
//! [522] and Date of Diagnosis [390]. Matched records take the file's values (items the file
//! does not carry keep their stored values); the others are created.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use super::import_dupes::{self, PatientMatch, SeenTumors};
use super::import_keep::{self, FollowUp, Keeps, KeptValue};
use super::import_limits::{Counts, Expanded, FileLimits};
use super::import_log;
use super::Error;
use crate::abstracts::derive::Deriver;
use crate::abstracts::items::{check_item_format, Checks, ItemChange};
use crate::abstracts::patients::{self, Patient};
use crate::abstracts::tumors::{self, Source, Tumor, FACILITY_ITEM};
use crate::auth::FacilityScope;
use crate::db::DbConn;
use crate::naaccr::convert::{patient_to_v26, ConversionReport};
use crate::naaccr::dictionary_xml::DictionarySet;
use crate::naaccr::xml::{self, NaaccrXmlReader, ReaderOptions};
use crate::naaccr::{Items, Level};

/// The Reporting Facility given to records of a file that names none, imported by a caller
/// who covers every facility and gave no `facility`.
pub const UNKNOWN_FACILITY: &str = "0000000000";

/// At most this many problems are listed; the count says how many there were.
const MAX_PROBLEMS: usize = 1000;

/// One problem of a refused file.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileProblem {
    pub line: Option<u64>,
    pub column: Option<u32>,
    /// NAACCR XML id of the item, when the problem is an item's.
    pub item: Option<String>,
    pub rule: String,
    pub message: String,
    /// Line of the item's patient, for context, when the problem is at another line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_line: Option<u64>,
}

/// An item conversion applied to an older file.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Conversion {
    /// mapped, unmapped, renamed, moved-level, retired, invalid-in-target.
    pub kind: String,
    pub from: String,
    pub to: Option<String>,
    pub count: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ImportReport {
    pub id: String,
    pub file_name: Option<String>,
    /// NAACCR version of the file (e.g. `250`).
    pub naaccr_version: String,
    pub record_type: String,
    pub patients_created: u64,
    pub patients_updated: u64,
    pub tumors_created: u64,
    pub tumors_updated: u64,
    /// Records that matched and carried no new value.
    pub unchanged: u64,
    /// How items of an older dictionary were converted to v26.
    pub conversions: Vec<Conversion>,
    /// File-level items (NaaccrData) that are not stored on records.
    pub root_items_ignored: Vec<String>,
    /// The file-level items with their values, as the file gave them (kept with the import
    /// record).
    #[schema(value_type = Object)]
    pub root_items: BTreeMap<String, String>,
    /// Facilities the file's records belong to (at most 1,000).
    pub facilities: Vec<String>,
    /// The first line of the file naming each facility.
    #[serde(skip)]
    pub facility_lines: BTreeMap<String, u64>,
    /// A dry run: validated and applied in a transaction rolled back; nothing was stored.
    pub dry_run: bool,
    /// Stored values the file did not replace, and why (at most 1,000; `keptTotal` counts
    /// them all).
    pub kept: Vec<KeptValue>,
    pub kept_total: u64,
    /// Problems of patients the file could not update (e.g. alive after a recorded death);
    /// the rest of the file applied. At most 1,000; `problemsTotal` counts them all.
    pub problems: Vec<FileProblem>,
    pub problems_total: u64,
    /// Patients without a Patient ID Number [20] that matched a stored patient, and on what
    /// (at most 1,000 listed).
    pub patients_matched_without_number: u64,
    pub patient_matches: Vec<PatientMatch>,
}

impl ImportReport {
    /// Patients and tumors the import created or changed (none for a dry run).
    pub fn records_written(&self) -> u64 {
        if self.dry_run {
            return 0;
        }
        self.patients_created + self.patients_updated + self.tumors_created + self.tumors_updated
    }

    fn take_keeps(&mut self, keeps: Keeps) {
        self.kept = keeps.kept;
        self.kept_total = keeps.kept_total;
        self.problems = keeps.problems;
        self.problems_total = keeps.problems_total;
    }
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Facility of patients without a tumor that names one.
    pub default_facility: Option<String>,
    pub file_name: Option<String>,
    /// The importer is a reviewer or a manager (or the operator, from the command line).
    pub reviewer: bool,
    /// Why the import changes locked records or sets over-ride flags (audited).
    pub reason: Option<String>,
    /// Derives the items the service keeps current (age, staging), as every save does; none
    /// leaves the file's values as they are.
    pub deriver: Option<Deriver>,
    /// What one file may hold; a file past a limit is refused at the line it went past.
    pub limits: FileLimits,
}

impl ImportOptions {
    /// Whether the import may change complete abstracts and set over-ride flags: the lifecycle
    /// rule of every write path, a reviewer or manager with a reason. Otherwise those values
    /// are kept and reported, and the rest of the file applies.
    pub fn may_override(&self) -> bool {
        crate::abstracts::lifecycle::Authority {
            reviewer: self.reviewer,
            reason: self.reason.as_deref().filter(|r| !r.trim().is_empty()),
        }
        .may_override()
    }
}

/// A patient of the file, converted to v26, with where it was.
pub struct FilePatient {
    pub patient: xml::Patient,
    pub facility: String,
}

fn problem(
    line: Option<u64>,
    column: Option<u32>,
    item: Option<&str>,
    rule: &str,
    message: String,
) -> FileProblem {
    FileProblem {
        line,
        column,
        item: item.map(str::to_string),
        rule: rule.to_string(),
        message,
        patient_line: None,
    }
}

fn xml_problem(e: &xml::XmlError) -> FileProblem {
    problem(
        e.line,
        e.column,
        e.item_id.as_deref(),
        e.rule,
        e.message.clone(),
    )
}

/// Reads a file patient by patient, converting to v26 and checking every rule an import
/// applies; `each` receives each valid patient. Returns the problems (empty when valid).
pub fn walk<R: BufRead>(
    input: R,
    dictionaries: &DictionarySet,
    scope: &FacilityScope,
    options: &ImportOptions,
    report: &mut ImportReport,
    mut each: impl FnMut(FilePatient) -> Result<(), Error>,
) -> Result<Vec<FileProblem>, Error> {
    let mut problems = Vec::new();
    let push = |problems: &mut Vec<FileProblem>, p: FileProblem| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(p);
        }
    };
    let (input, expanded) = Expanded::new(input, options.limits.expanded_bytes);
    let mut reader = match NaaccrXmlReader::new(input, dictionaries, ReaderOptions::default()) {
        Ok(r) => r,
        Err(e) => return Ok(vec![expanded.problem().unwrap_or_else(|| xml_problem(&e))]),
    };
    let mut counts = Counts::default();
    let root = reader.root().clone();
    for e in &root.errors {
        push(&mut problems, xml_problem(e));
    }
    report.naaccr_version = root.naaccr_version.clone();
    report.record_type = root.record_type.as_str().to_string();
    report.root_items_ignored = root.items.keys().cloned().collect();
    report.root_items = root.items.clone();
    let mut facilities: BTreeSet<String> = BTreeSet::new();
    let Some(from) = dictionaries
        .base(&root.naaccr_version)
        .map(|d| d.dictionary.clone())
    else {
        return Ok(vec![problem(
            Some(root.line),
            None,
            None,
            "unknown-dictionary",
            format!("dictionary {} is not available", root.naaccr_version),
        )]);
    };
    let mut conversions = ConversionReport::default();
    let mut seen = SeenTumors::default();
    loop {
        let mut p = match reader.next_patient() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                push(
                    &mut problems,
                    expanded.problem().unwrap_or_else(|| xml_problem(&e)),
                );
                break;
            }
        };
        // Past a limit the rest of the file is not read: it is refused whatever it holds.
        if let Some(over) = counts.add(&options.limits, p.line, p.tumors.len()) {
            push(&mut problems, over);
            break;
        }
        // The reader reports an item's problem at the item's line; the same item is not
        // reported again by the checks below (at its element's line).
        let mut reported: BTreeSet<(u64, String)> = BTreeSet::new();
        for e in &p.errors {
            let mut pr = xml_problem(e);
            if pr.line != Some(p.line) {
                pr.patient_line = Some(p.line);
            }
            if let Some(id) = &e.item_id {
                reported.insert((element_of(&p, e.line), id.to_string()));
            }
            push(&mut problems, pr);
        }
        patient_to_v26(&mut p, &from, &mut conversions);
        let before = problems.len();
        for (id, v) in &p.items {
            if reported.contains(&(p.line, id.clone())) {
                continue;
            }
            if let Err(e) = check_item_format(Level::Patient, id, v) {
                push(
                    &mut problems,
                    problem(Some(p.line), None, Some(id), &e.rule, e.message),
                );
            }
        }
        for t in &p.tumors {
            for (id, v) in &t.items {
                if reported.contains(&(t.line, id.clone())) {
                    continue;
                }
                if let Err(e) = check_item_format(Level::Tumor, id, v) {
                    let mut pr = problem(Some(t.line), None, Some(id), &e.rule, e.message);
                    pr.patient_line = Some(p.line);
                    push(&mut problems, pr);
                }
            }
        }
        let named = p
            .tumors
            .iter()
            .find_map(|t| t.items.get(FACILITY_ITEM).cloned());
        // Central staff importing a file whose tumors name no facility, without `?facility=`,
        // file its patients under the "unknown facility" id rather than refusing a valid file.
        let facility = named
            .or_else(|| options.default_facility.clone())
            .or_else(|| scope.single().map(str::to_string))
            .or_else(|| matches!(scope, FacilityScope::All).then(|| UNKNOWN_FACILITY.to_string()));
        let Some(facility) = facility else {
            push(&mut problems, problem(Some(p.line), None, Some(FACILITY_ITEM), "required", "no Reporting Facility [540] on the tumors and no default facility: pass ?facility=".into()));
            continue;
        };
        if facilities.len() < MAX_PROBLEMS {
            if facilities.insert(facility.clone()) {
                let line = p
                    .tumors
                    .iter()
                    .find(|t| t.items.get(FACILITY_ITEM) == Some(&facility))
                    .map_or(p.line, |t| t.line);
                report.facility_lines.insert(facility.clone(), line);
            }
            for t in &p.tumors {
                if let Some(f) = t.items.get(FACILITY_ITEM) {
                    if facilities.insert(f.clone()) {
                        report.facility_lines.insert(f.clone(), t.line);
                    }
                }
            }
        }
        let patient_key = match p.items.get("patientIdNumber") {
            Some(n) => format!("{facility}\u{1f}{n}"),
            None => format!("line {}", p.line),
        };
        for t in &p.tumors {
            let mut items = t.items.clone();
            items
                .entry(FACILITY_ITEM.to_string())
                .or_insert_with(|| facility.clone());
            if let Some(mut dup) = seen.check(&patient_key, &items, t.line) {
                dup.patient_line = Some(p.line);
                push(&mut problems, dup);
            }
        }
        for t in &p.tumors {
            let f = t.items.get(FACILITY_ITEM).unwrap_or(&facility);
            if !scope.allows(f) {
                push(
                    &mut problems,
                    problem(
                        Some(t.line),
                        None,
                        Some(FACILITY_ITEM),
                        "forbidden",
                        format!("facility {f} is not covered by your token"),
                    ),
                );
            }
        }
        if !scope.allows(&facility) {
            push(
                &mut problems,
                problem(
                    Some(p.line),
                    None,
                    Some(FACILITY_ITEM),
                    "forbidden",
                    format!("facility {facility} is not covered by your token"),
                ),
            );
        }
        if problems.len() == before && problems.is_empty() {
            each(FilePatient {
                patient: p,
                facility,
            })?;
        }
    }
    report.facilities = facilities.into_iter().collect();
    report.conversions = conversions
        .changes()
        .into_iter()
        .map(|c| Conversion {
            kind: format!("{:?}", c.kind).to_ascii_lowercase(),
            from: c.from,
            to: c.to,
            count: c.count,
        })
        .collect();
    Ok(problems)
}

/// The line of the element (the patient or one of its tumors) that holds a line of the file.
fn element_of(p: &xml::Patient, line: Option<u64>) -> u64 {
    let Some(line) = line else { return p.line };
    p.tumors
        .iter()
        .rev()
        .find(|t| t.line <= line)
        .map(|t| t.line)
        .unwrap_or(p.line)
}

fn tumor_key(items: &Items) -> Vec<(&'static str, String)> {
    let get = |k: &str| items.get(k).cloned().unwrap_or_default();
    let fac = get(FACILITY_ITEM);
    if items.contains_key("accessionNumberHosp") && items.contains_key("sequenceNumberHospital") {
        vec![
            ("f", fac),
            ("a", get("accessionNumberHosp")),
            ("s", get("sequenceNumberHospital")),
        ]
    } else if items.contains_key("sequenceNumberCentral") {
        vec![("f", fac), ("c", get("sequenceNumberCentral"))]
    } else {
        vec![
            ("f", fac),
            ("p", get("primarySite")),
            ("h", get("histologicTypeIcdO3")),
            ("d", get("dateOfDiagnosis")),
        ]
    }
}

/// A tumor a file brings in is received and loaded today: Date Case Report Received [2111]
/// and Loaded [2112], unless the file carries them (a registry reloading its own export).
fn stamp_received(items: &mut Items) {
    let today = crate::abstracts::lifecycle::today();
    for id in ["dateCaseReportReceived", "dateCaseReportLoaded"] {
        items.entry(id.to_string()).or_insert_with(|| today.clone());
    }
}

/// The changes a file's `incoming` items make to a `stored` tumor, its derived items set as
/// every save sets them (blanked ones removed).
fn derived_changes(
    options: &ImportOptions,
    patient: &Items,
    stored: &Items,
    incoming: &mut Items,
) -> BTreeMap<String, Option<String>> {
    let blanked = match &options.deriver {
        Some(d) => d.derive_incoming(patient, stored, incoming),
        None => Vec::new(),
    };
    let mut changes = changes_from(stored, incoming);
    for id in blanked.into_iter().filter(|id| stored.contains_key(id)) {
        changes.insert(id, None);
    }
    changes
}

fn changes_from(stored: &Items, incoming: &Items) -> BTreeMap<String, Option<String>> {
    incoming
        .iter()
        .filter(|(k, v)| stored.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect()
}

/// What applying one patient did, for the report and the audit trail.
pub struct Applied {
    pub patient: Patient,
    pub created: bool,
    pub updated: bool,
    pub tumors_created: Vec<String>,
    /// Each updated tumor and its changed items, old and new (for the audit trail).
    pub tumors_updated: Vec<(String, Vec<ItemChange>)>,
    /// The patient's changed items, old and new.
    pub patient_changes: Vec<ItemChange>,
}

impl Applied {
    /// The ids of the updated tumors.
    pub fn updated_ids(&self) -> Vec<&str> {
        self.tumors_updated
            .iter()
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

/// Creates or updates one patient of a valid file and its tumors (call inside a transaction).
pub fn apply_patient(
    conn: &mut DbConn,
    scope: &FacilityScope,
    fp: FilePatient,
    options: &ImportOptions,
    report: &mut ImportReport,
    keeps: &mut Keeps,
) -> Result<Applied, Error> {
    let file_name = options.file_name.as_deref();
    let may_override = options.may_override();
    let FilePatient {
        patient: mut p,
        facility,
    } = fp;
    let existing = match p.items.get("patientIdNumber") {
        Some(n) => patients::find_by_number(conn, &facility, n)?,
        None => match import_dupes::match_unnumbered(conn, &facility, &p.items)? {
            Some((stored, on)) => {
                report.patients_matched_without_number += 1;
                if report.patient_matches.len() < MAX_PROBLEMS {
                    report.patient_matches.push(PatientMatch {
                        line: p.line,
                        patient_id: stored.id.clone(),
                        on: on.to_string(),
                    });
                }
                Some(stored)
            }
            None => None,
        },
    };
    let mut follow_up = FollowUp::Apply;
    let mut patient_changes = Vec::new();
    let (patient, created, updated) = match existing {
        Some(stored) => {
            let mut changes = changes_from(&stored.items, &p.items);
            follow_up = import_keep::filter_patient(
                &stored.items,
                &p.items,
                &mut changes,
                p.line,
                &stored.id,
                keeps,
            );
            if !changes.is_empty() && !may_override {
                let locked = crate::abstracts::saving::has_complete_tumor(conn, &stored.id)?;
                import_keep::filter_locked(
                    &stored.items,
                    &mut changes,
                    locked,
                    may_override,
                    import_keep::TumorAt {
                        line: p.line,
                        patient_id: &stored.id,
                        tumor_id: "",
                    },
                    false,
                    keeps,
                );
            }
            if changes.is_empty() {
                (stored, false, false)
            } else {
                let (updated, changed) = patients::update(
                    conn,
                    &FacilityScope::All,
                    &stored.id,
                    Some(stored.version),
                    &changes,
                )?;
                patient_changes = changed;
                (updated, false, true)
            }
        }
        None => {
            let refused = import_keep::strip_overrides(&mut p.items, may_override);
            let created = patients::create(conn, scope, Some(facility.clone()), p.items.clone())?;
            import_keep::refused_on_new(refused, p.line, &created.id, None, keeps);
            (created, true, false)
        }
    };
    if created {
        report.patients_created += 1;
    } else if updated {
        report.patients_updated += 1;
    }
    let stored_tumors: Vec<Tumor> = if created {
        Vec::new()
    } else {
        tumors::for_patients(conn, &FacilityScope::All, std::slice::from_ref(&patient.id))?
    };
    let mut out = Applied {
        patient,
        created,
        updated,
        tumors_created: Vec::new(),
        tumors_updated: Vec::new(),
        patient_changes,
    };
    let mut matched = BTreeSet::new();
    for t in p.tumors {
        let mut items = t.items;
        items
            .entry(FACILITY_ITEM.to_string())
            .or_insert_with(|| facility.clone());
        let key = tumor_key(&items);
        match stored_tumors.iter().find(|s| tumor_key(&s.items) == key) {
            Some(s) => {
                matched.insert(s.id.clone());
                let mut changes =
                    derived_changes(options, &out.patient.items, &s.items, &mut items);
                import_keep::filter_tumor(
                    &s.items,
                    &items,
                    &mut changes,
                    follow_up,
                    import_keep::TumorAt {
                        line: t.line,
                        patient_id: &out.patient.id,
                        tumor_id: &s.id,
                    },
                    keeps,
                );
                import_keep::filter_locked(
                    &s.items,
                    &mut changes,
                    s.status == tumors::Status::Complete,
                    may_override,
                    import_keep::TumorAt {
                        line: t.line,
                        patient_id: &out.patient.id,
                        tumor_id: &s.id,
                    },
                    true,
                    keeps,
                );
                if changes.is_empty() {
                    report.unchanged += 1;
                } else {
                    // Loaded again: Date Case Report Loaded [2112] says when (unless the file
                    // carries one).
                    changes
                        .entry("dateCaseReportLoaded".to_string())
                        .or_insert_with(|| Some(crate::abstracts::lifecycle::today()));
                    let (_, changed) = tumors::update_with(
                        conn,
                        scope,
                        &s.id,
                        Some(s.version),
                        &changes,
                        Checks::Format,
                    )?;
                    out.tumors_updated.push((s.id.clone(), changed));
                    import_log::note_sources(
                        conn,
                        &report.id,
                        file_name,
                        "updated",
                        &[(s.id.clone(), t.line)],
                    )?;
                    report.tumors_updated += 1;
                }
            }
            None => {
                let source = Source {
                    file: file_name.map(str::to_string),
                    line: Some(t.line as i64),
                };
                let mut items = items;
                stamp_received(&mut items);
                let refused = import_keep::strip_overrides(&mut items, may_override);
                if let Some(d) = &options.deriver {
                    d.derive(&out.patient.items, &mut items);
                }
                let created = tumors::create_with(
                    conn,
                    scope,
                    &out.patient.id,
                    items,
                    source,
                    Checks::Format,
                )?;
                let (patient_id, tumor_id) = (out.patient.id.as_str(), created.id.as_str());
                import_keep::refused_on_new(refused, t.line, patient_id, Some(tumor_id), keeps);
                import_log::note_sources(
                    conn,
                    &report.id,
                    file_name,
                    "created",
                    &[(created.id.clone(), t.line)],
                )?;
                report.tumors_created += 1;
                out.tumors_created.push(created.id);
            }
        }
    }
    if updated {
        report.tumors_updated +=
            rederive_others(conn, &stored_tumors, &matched, &mut out, options)?;
    }
    if !created && !updated && out.tumors_created.is_empty() && out.tumors_updated.is_empty() {
        report.unchanged += 1;
    }
    Ok(out)
}

/// After a patient's change (a birth date, say), the derived items of its stored tumors the
/// file did not carry, as a PATCH of the patient re-derives them.
/// Returns how many changed.
fn rederive_others(
    conn: &mut DbConn,
    stored: &[Tumor],
    matched: &BTreeSet<String>,
    out: &mut Applied,
    options: &ImportOptions,
) -> Result<u64, Error> {
    if options.deriver.is_none() {
        return Ok(0);
    }
    let mut n = 0;
    for s in stored.iter().filter(|s| !matched.contains(&s.id)) {
        let changes = derived_changes(options, &out.patient.items, &s.items, &mut Items::new());
        if changes.is_empty() {
            continue;
        }
        // The service's own follow-up of a change the importer may make, whichever facility
        // abstracted the tumor.
        let all = FacilityScope::All;
        let (_, changed) =
            tumors::update_with(conn, &all, &s.id, Some(s.version), &changes, Checks::Format)?;
        out.tumors_updated.push((s.id.clone(), changed));
        n += 1;
    }
    Ok(n)
}

/// Rows an import adds or changes before the planner's statistics are refreshed after it.
const ANALYZE_AFTER: u64 = 1000;

/// After an import that added or changed many rows, PostgreSQL's planner statistics are
/// refreshed (ANALYZE samples a bounded number of rows, so this stays short at any size).
/// Autovacuum would do it a minute later, or never where it is off; meanwhile a list of the
/// first 50 draft tumors of 5,000 was planned as a sort of every draft (7 ms instead of 0.04).
/// Call it after the import's commit. SQLite plans from its indexes alone.
pub fn refresh_statistics(conn: &mut DbConn, records: u64) -> Result<(), Error> {
    if records < ANALYZE_AFTER || !matches!(conn, DbConn::Postgres(_)) {
        return Ok(());
    }
    diesel::RunQueryDsl::execute(
        diesel::sql_query("ANALYZE patients, tumors, patient_facilities"),
        conn,
    )?;
    Ok(())
}

/// Keeps the report of an applied import.
pub fn record(conn: &mut DbConn, report: &ImportReport, created_by: &str) -> Result<(), Error> {
    import_log::record(conn, report, import_log::DONE, created_by)
}

/// Patients applied per batch: new patients of a batch are stored with a few multi-row
/// statements instead of several statements each, which is what makes large imports fast on
/// PostgreSQL, where every statement is a round trip. Bounds the memory an import holds.
const BATCH: usize = 500;

/// Applies a validated file (call inside one write transaction): every patient is created or
/// updated, its edits rerun, and its change audited, a batch of patients at a time, so memory
/// stays flat.
#[allow(clippy::too_many_arguments)]
pub fn apply_file<R: BufRead + Send>(
    conn: &mut DbConn,
    input: R,
    dictionaries: &DictionarySet,
    scope: &FacilityScope,
    options: &ImportOptions,
    report: &ImportReport,
    tables: Option<&crate::edits::ReferenceTables>,
    actor: &crate::audit::Actor,
) -> Result<ImportReport, Error> {
    if let DbConn::Postgres(c) = &mut *conn {
        // Planner statistics lag behind a bulk load (nothing is analyzed until it commits): with
        // them, a batch's lookup of 500 patient numbers was planned as a scan of the whole
        // table, and JIT-compiled. Every query of an import has an index; this transaction
        // uses them.
        use diesel::connection::SimpleConnection;
        c.batch_execute("SET LOCAL enable_seqscan = off; SET LOCAL jit = off")?;
    }
    let mut batch = Batch {
        conn,
        scope,
        options,
        tables,
        actor,
        report: report.clone(),
        patients: Vec::new(),
        keys: BTreeSet::new(),
        keeps: Keeps::default(),
    };
    // The file is parsed on its own thread while this one writes, so parsing overlaps the
    // database's work; the bounded channel keeps memory flat.
    let (problems, applied) = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<FilePatient>(BATCH);
        let reader = s.spawn(move || {
            walk(
                input,
                dictionaries,
                scope,
                options,
                &mut ImportReport::default(),
                // A closed channel means the writer failed; its error is the one reported.
                |fp| {
                    tx.send(fp)
                        .map_err(|_| Error::Conflict("import stopped".into()))
                },
            )
        });
        let mut applied = Ok(());
        for fp in rx.iter() {
            applied = batch.push(fp);
            if applied.is_err() {
                break;
            }
        }
        drop(rx);
        if applied.is_ok() {
            applied = batch.flush();
        }
        let problems = reader
            .join()
            .unwrap_or_else(|_| Err(Error::Conflict("the file reader failed".into())));
        (problems, applied)
    });
    applied?;
    let problems = problems?;
    // The file was validated before; a problem now means it changed under us.
    if !problems.is_empty() {
        return Err(Error::Rejected(problems));
    }
    let keeps = std::mem::take(&mut batch.keeps);
    batch.report.take_keeps(keeps);
    record(batch.conn, &batch.report, &actor.sub)?;
    Ok(batch.report)
}

/// Patients of a file waiting to be applied.
struct Batch<'a> {
    conn: &'a mut DbConn,
    scope: &'a FacilityScope,
    options: &'a ImportOptions,
    tables: Option<&'a crate::edits::ReferenceTables>,
    actor: &'a crate::audit::Actor,
    report: ImportReport,
    patients: Vec<FilePatient>,
    /// (facility, patient id number) of the waiting patients.
    keys: BTreeSet<(String, String)>,
    /// What the file did not overwrite.
    keeps: Keeps,
}

impl Batch<'_> {
    fn push(&mut self, fp: FilePatient) -> Result<(), Error> {
        if let Some(number) = fp.patient.items.get("patientIdNumber") {
            let key = (fp.facility.clone(), number.clone());
            // A patient the file repeats must match the one stored before it: store that first.
            if self.keys.contains(&key) {
                self.flush()?;
            }
            self.keys.insert(key);
        }
        self.patients.push(fp);
        if self.patients.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        use crate::audit::{self, Action, Event};
        let waiting = std::mem::take(&mut self.patients);
        self.keys.clear();
        if waiting.is_empty() {
            return Ok(());
        }
        let mut by_facility: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for fp in &waiting {
            if let Some(n) = fp.patient.items.get("patientIdNumber") {
                by_facility.entry(&fp.facility).or_default().push(n);
            }
        }
        let mut stored: BTreeSet<(String, String)> = BTreeSet::new();
        for (facility, numbers) in by_facility {
            for number in patients::ids_by_number(self.conn, facility, &numbers)?.into_keys() {
                stored.insert((facility.to_string(), number));
            }
        }
        let file_name = self.options.file_name.as_deref();
        let mut new_patients = Vec::new();
        let mut new_tumors = Vec::new();
        let mut created_at: Vec<(String, u64)> = Vec::new();
        let mut events = Vec::new();
        let now = chrono::Utc::now();
        for fp in waiting {
            let matched = match fp.patient.items.get("patientIdNumber") {
                Some(n) => stored.contains(&(fp.facility.clone(), n.clone())),
                // A patient without a number may be one a previous file sent.
                None => import_dupes::match_unnumbered(self.conn, &fp.facility, &fp.patient.items)?
                    .is_some(),
            };
            if matched {
                self.apply_matched(fp)?;
                continue;
            }
            let FilePatient {
                patient: mut p,
                facility,
            } = fp;
            let may_override = self.options.may_override();
            let refused = import_keep::strip_overrides(&mut p.items, may_override);
            let patient = patients::prepare(
                self.scope,
                Some(facility.clone()),
                p.items.clone(),
                Checks::Format,
            )?;
            import_keep::refused_on_new(refused, p.line, patient.id(), None, &mut self.keeps);
            let mut tumors_of = Vec::with_capacity(p.tumors.len());
            let mut items_of = Vec::with_capacity(p.tumors.len());
            for t in p.tumors {
                let mut items = t.items;
                items
                    .entry(FACILITY_ITEM.to_string())
                    .or_insert_with(|| facility.clone());
                stamp_received(&mut items);
                let line = t.line;
                let source = Source {
                    file: file_name.map(str::to_string),
                    line: Some(t.line as i64),
                };
                let refused = import_keep::strip_overrides(&mut items, may_override);
                if let Some(d) = &self.options.deriver {
                    d.derive(&p.items, &mut items);
                }
                let tumor = tumors::prepare(
                    self.scope,
                    patient.id(),
                    items.clone(),
                    source,
                    Checks::Format,
                )?;
                let at = (patient.id(), Some(tumor.id()));
                import_keep::refused_on_new(refused, line, at.0, at.1, &mut self.keeps);
                created_at.push((tumor.id().to_string(), line));
                tumors_of.push(tumor);
                items_of.push(items);
            }
            let outcomes = crate::edits::store::outcomes(&p.items, &items_of, self.tables, now);
            for (tumor, outcome) in tumors_of.iter_mut().zip(&outcomes) {
                tumor.set_edits(crate::edits::store::columns(outcome));
            }
            self.report.patients_created += 1;
            self.report.tumors_created += tumors_of.len() as u64;
            events.push(Event {
                action: Action::Create,
                entity: "patient",
                entity_id: Some(patient.id().to_string()),
                details: serde_json::json!({
                    "import": self.report.id,
                    "tumorsCreated": tumors_of.iter().map(|t| t.id()).collect::<Vec<_>>(),
                    "tumorsUpdated": [],
                }),
            });
            new_patients.push(patient);
            new_tumors.extend(tumors_of);
        }
        patients::insert_many(self.conn, &new_patients)?;
        tumors::insert_many(self.conn, &new_tumors)?;
        import_log::note_sources(
            self.conn,
            &self.report.id,
            file_name,
            "created",
            &created_at,
        )?;
        audit::record_all(self.conn, self.actor, events)?;
        Ok(())
    }

    /// A patient that matches a stored one: updated (with its tumors) one statement at a time.
    fn apply_matched(&mut self, fp: FilePatient) -> Result<(), Error> {
        use crate::audit::{self, Action, Event};
        let a = apply_patient(
            self.conn,
            self.scope,
            fp,
            self.options,
            &mut self.report,
            &mut self.keeps,
        )?;
        if a.created || a.updated || !a.tumors_created.is_empty() || !a.tumors_updated.is_empty() {
            let summaries =
                crate::edits::store::refresh_patient(self.conn, &a.patient.id, self.tables)?;
            // A complete tumor the import changed (a reviewer's, with a reason) and that now
            // fails an error-level edit goes back to review, as after a PATCH; after a change
            // of the patient's items, any of its complete tumors.
            let failing: Vec<String> = summaries
                .iter()
                .filter(|(id, s)| {
                    (a.updated || a.tumors_updated.iter().any(|(t, _)| t == *id))
                        && s.blocking().next().is_some()
                })
                .map(|(id, _)| id.clone())
                .collect();
            let moved =
                crate::abstracts::saving::settle_patient(self.conn, &a.patient.id, &failing)?;
            let mut details = serde_json::json!({
                "import": self.report.id,
                "tumorsCreated": a.tumors_created,
                "tumorsUpdated": a.updated_ids(),
                "tumorsBackToReview": moved,
                "reason": self.options.reason,
            });
            if !a.patient_changes.is_empty() {
                details["changes"] = serde_json::json!(a.patient_changes);
            }
            let mut events = vec![Event {
                action: if a.created {
                    Action::Create
                } else {
                    Action::Update
                },
                entity: "patient",
                entity_id: Some(a.patient.id.clone()),
                details,
            }];
            // One row per changed tumor, with old and new values, so an audit search by the
            // tumor's id finds what the file changed.
            for (tumor_id, changes) in a.tumors_updated {
                events.push(Event {
                    action: Action::Update,
                    entity: "tumor",
                    entity_id: Some(tumor_id),
                    details: serde_json::json!({
                        "import": self.report.id,
                        "patientId": a.patient.id,
                        "changes": changes,
                        "reason": self.options.reason,
                    }),
                });
            }
            audit::record_all(self.conn, self.actor, events)?;
        }
        Ok(())
    }
}
