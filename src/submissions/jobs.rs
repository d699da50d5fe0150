//! Submission jobs: a batch is recorded, built in the background into a file, and marked done
//! with the tumor versions it carried, or failed. The instance building a batch holds its lease
//! ([`super::leases`]); a batch whose builder died is built again by whichever instance claims
//! it once the lease runs out. Nothing partial is ever served.

use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::export::{export, Carried, Excluded, ExportCounts, Selection, Target};
use super::files::FileStore;
use super::leases::Lease;
use super::recipients::{self, Recipient};
use super::Error;
use crate::auth::FacilityScope;
use crate::db::schema::{recipient_tumors, submission_items, submissions, tumor_withdrawals};
use crate::db::{self, Db, DbConn};
use crate::edits::ReferenceTables;
use crate::naaccr::xml::ExportVersion;
use crate::naaccr::RecordType;

/// A submission as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub id: String,
    /// The recipient's id.
    pub recipient: String,
    pub recipient_name: Option<String>,
    /// A, M, C or I.
    pub record_type: String,
    /// 260 or 250.
    pub naaccr_version: String,
    pub selection: Selection,
    /// Facilities the batch was built for (`["*"]`: all).
    pub scope: Vec<String>,
    /// queued, running, done or failed.
    pub status: String,
    pub patients: i64,
    pub tumors: i64,
    pub file_bytes: i64,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Tumors the recipient had never received.
    pub new_tumors: i64,
    /// Tumors it received before, changed since.
    pub changed_tumors: i64,
    /// Failing tumors sent anyway (`includeFailing`, managers).
    pub include_failing: bool,
    /// Tumors the recipient's edit gate left out, with their failures.
    pub excluded: Vec<Excluded>,
    /// Withdrawals this submission reports (tumors the recipient received, deleted since the
    /// previous submission to it); each is reported once. Also as CSV at `.../withdrawals`.
    pub withdrawals: Vec<Withdrawal>,
}

/// A withdrawal reported with a submission: the identifiers as the recipient last received
/// them, when and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    pub tumor_id: String,
    pub patient_id_number: Option<String>,
    pub reporting_facility: Option<String>,
    pub accession_number_hosp: Option<String>,
    pub sequence_number_hospital: Option<String>,
    pub withdrawn_at: DateTime<Utc>,
    pub reason: String,
}

/// What a finished build stored besides the counts.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    new: i64,
    changed: i64,
    excluded: Vec<Excluded>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = submissions)]
struct Row {
    id: String,
    recipient: String,
    record_type: String,
    naaccr_version: String,
    selection: String,
    status: String,
    patients: i64,
    tumors: i64,
    file_bytes: i64,
    error: Option<String>,
    created_by: String,
    created_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
    report: Option<String>,
    lease_owner: Option<String>,
    lease_until: Option<NaiveDateTime>,
    attempts: i32,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    selection: Selection,
    scope: Vec<String>,
    #[serde(default)]
    include_failing: bool,
}

impl From<Row> for Submission {
    fn from(r: Row) -> Submission {
        let stored: Stored = serde_json::from_str(&r.selection).unwrap_or(Stored {
            selection: Selection::default(),
            scope: Vec::new(),
            include_failing: false,
        });
        let report: Report = r
            .report
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        Submission {
            id: r.id,
            recipient: r.recipient,
            recipient_name: None,
            record_type: r.record_type,
            naaccr_version: r.naaccr_version,
            selection: stored.selection,
            scope: stored.scope,
            status: r.status,
            patients: r.patients,
            tumors: r.tumors,
            file_bytes: r.file_bytes,
            error: r.error,
            created_by: r.created_by,
            created_at: r.created_at.and_utc(),
            finished_at: r.finished_at.map(|t| t.and_utc()),
            new_tumors: report.new,
            changed_tumors: report.changed,
            include_failing: stored.include_failing,
            excluded: report.excluded,
            withdrawals: Vec::new(),
        }
    }
}

fn scope_list(scope: &FacilityScope) -> Vec<String> {
    match scope {
        FacilityScope::All => vec!["*".to_string()],
        FacilityScope::Only(list) => list.clone(),
    }
}

fn scope_of(list: &[String]) -> FacilityScope {
    if list.iter().any(|f| f == "*") {
        FacilityScope::All
    } else {
        FacilityScope::Only(list.to_vec())
    }
}

/// What a new submission asks for.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    /// The recipient's id (an unknown one is refused, 422).
    pub recipient: String,
    /// The recipient's record type and version unless given.
    pub record_type: Option<RecordType>,
    pub version: Option<ExportVersion>,
    pub selection: Selection,
    /// Send tumors failing the recipient's edit gate (managers; audited by the caller).
    pub include_failing: bool,
}

/// Records a queued submission for the caller's scope (narrowed to the selected facilities),
/// leased to this instance, which builds it at once.
pub fn create(
    conn: &mut DbConn,
    scope: &FacilityScope,
    new: &NewSubmission,
    created_by: &str,
    lease: &Lease,
) -> Result<Submission, Error> {
    if let Some(list) = &new.selection.facilities {
        if let Some(f) = list.iter().find(|f| !scope.allows(f)) {
            return Err(crate::abstracts::Error::Forbidden(format!(
                "your token does not cover facility {f}"
            ))
            .into());
        }
    }
    let Some(recipient) = recipients::find(conn, &new.recipient)? else {
        return Err(Error::Invalid(vec![crate::abstracts::ItemError::new(
            "recipient",
            None,
            "unknown",
            format!(
                "{:?} is not a recipient id (GET /api/v1/recipients lists them)",
                new.recipient
            ),
        )]));
    };
    let effective = match &new.selection.facilities {
        Some(list) => list.clone(),
        None => scope_list(scope),
    };
    let mut selection = new.selection.clone();
    // A state registry receives complete abstracts unless a status is asked for.
    if recipient.kind == "state" && selection.status.is_none() {
        selection.status = Some(crate::abstracts::tumors::Status::Complete);
    }
    let row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        recipient: recipient.id.clone(),
        record_type: match new.record_type {
            Some(rt) => rt.as_str().to_string(),
            None => recipient.record_type.clone(),
        },
        naaccr_version: match new.version {
            Some(ExportVersion::V260) => "260".into(),
            Some(ExportVersion::V250) => "250".into(),
            None => recipient.naaccr_version.clone(),
        },
        selection: serde_json::to_string(&Stored {
            selection,
            scope: effective,
            include_failing: new.include_failing,
        })
        .unwrap_or_default(),
        status: "queued".into(),
        patients: 0,
        tumors: 0,
        file_bytes: 0,
        error: None,
        created_by: created_by.to_string(),
        created_at: Utc::now().naive_utc(),
        finished_at: None,
        report: None,
        lease_owner: Some(lease.owner().to_string()),
        lease_until: Some(lease.until()),
        attempts: 1,
    };
    // One queued or running build per recipient, enforced by the partial unique index
    // `submissions_one_active_per_recipient`: a build compares with what the recipient holds
    // and records what it sent, so two at once could both carry the same pending tumors. `DO
    // NOTHING` rather than an error so a PostgreSQL transaction stays usable to name the batch
    // in the way (it also waits for a concurrent insert by another instance to commit or not).
    let inserted = match conn {
        DbConn::Postgres(c) => diesel::insert_into(submissions::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(submissions::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    if inserted == 0 {
        let active: Option<(String, String)> = submissions::table
            .filter(submissions::recipient.eq(&recipient.id))
            .filter(submissions::status.eq_any(["queued", "running"]))
            .select((submissions::id, submissions::status))
            .first(conn)
            .optional()?;
        let (other, status) = active.unwrap_or_else(|| ("(just finished)".into(), "active".into()));
        return Err(Error::Conflict(format!(
            "submission {other} to recipient {:?} is still {status}; one submission per recipient \
             runs at a time, so create this one again once it is done or failed",
            recipient.name
        )));
    }
    let mut s = Submission::from(row);
    s.recipient_name = Some(recipient.name);
    Ok(s)
}

/// A submission the scope covers (a facility-scoped caller sees batches of its facilities).
pub fn get(conn: &mut DbConn, scope: &FacilityScope, id: &str) -> Result<Submission, Error> {
    let row: Option<Row> = submissions::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    match row.map(Submission::from) {
        Some(mut s) if scope_covers(scope, &s.scope) => {
            s.recipient_name = recipients::find(conn, &s.recipient)?.map(|r| r.name);
            s.withdrawals = withdrawals(conn, &s.id)?;
            Ok(s)
        }
        _ => Err(Error::NotFound(format!("submission {id} was not found"))),
    }
}

#[derive(Deserialize, Default)]
struct SentItems {
    #[serde(default)]
    patient: crate::naaccr::Items,
    #[serde(default)]
    tumor: crate::naaccr::Items,
}

/// The withdrawals a submission reported, with the identifiers the recipient last received
/// (the stored ones when what was sent is not known).
pub fn withdrawals(conn: &mut DbConn, submission_id: &str) -> Result<Vec<Withdrawal>, Error> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = tumor_withdrawals::table
        .filter(tumor_withdrawals::reported_in.eq(submission_id))
        .order(tumor_withdrawals::tumor_id.asc())
        .select((
            tumor_withdrawals::tumor_id,
            tumor_withdrawals::recipient,
            tumor_withdrawals::reason,
            tumor_withdrawals::withdrawn_at,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (tumor_id, recipient, reason, at) in rows {
        let sent: Option<String> = recipient_tumors::table
            .filter(recipient_tumors::recipient_id.eq(&recipient))
            .filter(recipient_tumors::tumor_id.eq(&tumor_id))
            .select(recipient_tumors::items)
            .first(conn)
            .optional()?;
        let mut items: SentItems = sent
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        if items.tumor.is_empty() {
            if let Ok(t) = crate::abstracts::tumors::get(conn, &FacilityScope::All, &tumor_id) {
                if let Some(p) = crate::abstracts::patients::many(conn, &[t.patient_id])?.pop() {
                    items.patient = p.items;
                }
                items.tumor = t.items;
            }
        }
        out.push(Withdrawal {
            tumor_id,
            patient_id_number: items.patient.get("patientIdNumber").cloned(),
            reporting_facility: items.tumor.get("reportingFacility").cloned(),
            accession_number_hosp: items.tumor.get("accessionNumberHosp").cloned(),
            sequence_number_hospital: items.tumor.get("sequenceNumberHospital").cloned(),
            withdrawn_at: at.and_utc(),
            reason,
        });
    }
    Ok(out)
}

fn scope_covers(scope: &FacilityScope, batch: &[String]) -> bool {
    match scope {
        FacilityScope::All => true,
        FacilityScope::Only(_) => batch.iter().all(|f| f != "*" && scope.allows(f)),
    }
}

/// The temporary files of one attempt at building batch `id`: named for the lease owner, so
/// instances building in one shared folder never write each other's.
fn temp_paths(dir: &Path, id: &str, lease: &Lease) -> (PathBuf, PathBuf) {
    let tag: String = lease
        .owner()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    (
        dir.join(format!("{id}.{tag}.xml.part")),
        dir.join(format!("{id}.{tag}.carried")),
    )
}

/// Removes what earlier attempts at building batch `id` left (an instance that died while
/// building it). Called by the lease's new holder: a stalled holder that still writes would
/// lose anyway, its final update naming an owner the batch no longer has.
fn remove_earlier_attempts(dir: &Path, id: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{id}.");
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(&prefix) && (name.ends_with(".xml.part") || name.ends_with(".carried"))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Start-up clean-up. Batches are left alone: one whose lease ran out is claimed and built
/// again by the job runner, one still leased belongs to a live instance. Removed: temporary
/// files of builds no live lease covers, and `uploads/` of `dir` (this instance's imports cut
/// off mid-way, which stored nothing). Returns the batches waiting to be built again.
pub fn recover(conn: &mut DbConn, dir: &Path) -> Result<usize, Error> {
    let now = Utc::now().naive_utc();
    let live: Vec<String> = submissions::table
        .filter(submissions::status.eq_any(["queued", "running"]))
        .filter(submissions::lease_until.gt(now))
        .select(submissions::id)
        .load(conn)?;
    let waiting: i64 = submissions::table
        .filter(submissions::status.eq_any(["queued", "running"]))
        .filter(
            submissions::lease_until
                .is_null()
                .or(submissions::lease_until.le(now)),
        )
        .count()
        .get_result(conn)?;
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let temporary = name.ends_with(".xml.part") || name.ends_with(".carried");
            let batch = name.split('.').next().unwrap_or_default();
            if temporary && !live.iter().any(|id| id == batch) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    if let Ok(uploads) = fs::read_dir(dir.join("uploads")) {
        for entry in uploads.flatten() {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(waiting as usize)
}

fn set_progress(conn: &mut DbConn, id: &str, c: ExportCounts) -> Result<(), Error> {
    diesel::update(submissions::table.find(id))
        .set((
            submissions::patients.eq(c.patients as i64),
            submissions::tumors.eq(c.tumors as i64),
        ))
        .execute(conn)?;
    Ok(())
}

/// Builds a batch this instance holds the lease of: streams the export into a temporary file,
/// then in one transaction records the carried tumor versions, keeps the file and marks the
/// batch done. The lease is renewed meanwhile; on any error the batch is marked failed (both
/// only while this instance still holds the lease).
pub fn build(
    db: &Db,
    store: &FileStore,
    id: &str,
    tables: Option<&ReferenceTables>,
    lease: &Lease,
) -> Result<Submission, Error> {
    let mut conn = db.conn()?;
    let (part, carried) = temp_paths(&store.dir, id, lease);
    remove_earlier_attempts(&store.dir, id);
    // Progress and lease renewals go over a second connection so the export's reads never
    // wait on them. Not getting one fails the batch (rather than leaving it to be claimed
    // again and again).
    let result = match db.conn() {
        Ok(second) => {
            let second = std::sync::Mutex::new(second);
            let (stop, stopped) = std::sync::mpsc::channel::<()>();
            std::thread::scope(|s| {
                s.spawn(|| keep_renewing(&second, id, lease, stopped));
                let result = run(
                    &mut conn,
                    store,
                    id,
                    tables,
                    lease,
                    (&part, &carried),
                    |c| {
                        let mut conn = second.lock().unwrap_or_else(|e| e.into_inner());
                        if let Err(e) = set_progress(&mut conn, id, c) {
                            log::warn!("submission {id}: cannot record progress: {e}");
                        }
                    },
                );
                drop(stop);
                result
            })
        }
        Err(e) => Err(e.into()),
    };
    if let Err(e) = &result {
        let _ = fs::remove_file(&part);
        let _ = fs::remove_file(&carried);
        diesel::update(
            submissions::table
                .find(id)
                .filter(submissions::lease_owner.eq(lease.owner())),
        )
        .set((
            submissions::status.eq("failed"),
            submissions::error.eq(Some(e.to_string())),
            submissions::finished_at.eq(Some(Utc::now().naive_utc())),
            submissions::lease_owner.eq(None::<String>),
            submissions::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(&mut *conn)?;
    }
    result
}

/// Renews the lease every third of its length until `stopped` says the build ended. A lost
/// lease is only logged: the build's final update names the owner and so fails by itself.
fn keep_renewing(
    conn: &std::sync::Mutex<r2d2::PooledConnection<db::Manager>>,
    id: &str,
    lease: &Lease,
    stopped: std::sync::mpsc::Receiver<()>,
) {
    let every = lease.duration() / 3;
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
        let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
        match lease.renew(&mut conn, id) {
            Ok(true) => {}
            Ok(false) => {
                log::warn!("submission {id}: another instance took over its build");
                return;
            }
            Err(e) => log::warn!("submission {id}: cannot renew its lease: {e}"),
        }
    }
}

fn run(
    conn: &mut DbConn,
    store: &FileStore,
    id: &str,
    tables: Option<&ReferenceTables>,
    lease: &Lease,
    (part, carried_path): (&Path, &Path),
    progress: impl FnMut(ExportCounts),
) -> Result<Submission, Error> {
    let sub = get(conn, &FacilityScope::All, id)?;
    let recipient: Recipient = recipients::get(conn, &sub.recipient)?;
    let gate = match (&recipient.edit_set, sub.include_failing) {
        (Some(name), false) => {
            let set = crate::edits::sets::by_name(name).ok_or_else(|| {
                Error::Conflict(format!("the recipient's edit set {name:?} does not exist"))
            })?;
            let tables = tables.ok_or_else(|| {
                Error::Conflict(format!(
                    "the recipient's edit set {name} cannot run: the edits' reference tables are not available"
                ))
            })?;
            Some((set, tables))
        }
        _ => None,
    };
    let target = Target {
        recipient: &recipient,
        gate,
    };
    if !lease.start(conn, id)? {
        return Err(lease_lost(id));
    }
    fs::create_dir_all(&store.dir)?;
    let mut carried = BufWriter::new(fs::File::create(carried_path)?);
    let record_type = RecordType::parse(&sub.record_type).unwrap_or(RecordType::A);
    let version = if sub.naaccr_version == "250" {
        ExportVersion::V250
    } else {
        ExportVersion::V260
    };
    let scope = scope_of(&sub.scope);
    let out = BufWriter::with_capacity(1 << 20, fs::File::create(part)?);
    let (out, counts, excluded) = export(
        conn,
        &scope,
        &sub.selection,
        Some(&target),
        record_type,
        version,
        out,
        |c| {
            serde_json::to_writer(&mut carried, c).map_err(std::io::Error::from)?;
            Ok(writeln!(carried)?)
        },
        progress,
    )?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    carried.flush()?;
    drop(carried);
    set_progress(conn, id, counts)?;
    let bytes = fs::metadata(part)?.len() as i64;
    db::transaction(conn, |conn| {
        // First, so a batch taken over by another instance fails here, before anything else
        // is written (and it holds the row until this commits or rolls back).
        let ours = diesel::update(
            submissions::table
                .find(id)
                .filter(submissions::lease_owner.eq(lease.owner()))
                .filter(submissions::status.eq("running")),
        )
        .set((
            submissions::status.eq("done"),
            submissions::lease_owner.eq(None::<String>),
            submissions::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        if ours != 1 {
            return Err(lease_lost(id));
        }
        let lines = BufReader::new(fs::File::open(carried_path)?);
        let mut batch = Vec::with_capacity(BATCH);
        for line in lines.lines() {
            let line = line?;
            let c: Carried = serde_json::from_str(&line).map_err(std::io::Error::from)?;
            batch.push(c);
            if batch.len() == BATCH {
                insert_items(conn, id, &recipient.id, &batch)?;
                batch.clear();
            }
        }
        insert_items(conn, id, &recipient.id, &batch)?;
        // Withdrawals not yet reported to this recipient are reported by this submission, those
        // of the facilities it covers only: a batch narrowed to other facilities does not list
        // them, so it must not use them up.
        let unreported = tumor_withdrawals::table
            .filter(tumor_withdrawals::recipient.eq(&recipient.id))
            .filter(tumor_withdrawals::reported_in.is_null());
        let listed: Vec<String> = match &scope {
            FacilityScope::All => unreported.select(tumor_withdrawals::tumor_id).load(conn)?,
            FacilityScope::Only(list) => unreported
                .filter(
                    tumor_withdrawals::tumor_id.eq_any(
                        crate::db::schema::tumors::table
                            .filter(crate::db::schema::tumors::facility_id.eq_any(list))
                            .select(crate::db::schema::tumors::id),
                    ),
                )
                .select(tumor_withdrawals::tumor_id)
                .load(conn)?,
        };
        for ids in listed.chunks(BATCH) {
            diesel::update(
                tumor_withdrawals::table
                    .filter(tumor_withdrawals::recipient.eq(&recipient.id))
                    .filter(tumor_withdrawals::reported_in.is_null())
                    .filter(tumor_withdrawals::tumor_id.eq_any(ids)),
            )
            .set(tumor_withdrawals::reported_in.eq(Some(id)))
            .execute(conn)?;
        }
        let report = Report {
            new: counts.new as i64,
            changed: counts.changed as i64,
            excluded,
        };
        // The date the export wrote into the file (a job that runs across midnight stores the
        // day it finished).
        crate::abstracts::lifecycle::stamp_exported(
            conn,
            id,
            &crate::abstracts::lifecycle::today(),
        )?;
        diesel::update(submissions::table.find(id))
            .set((
                submissions::file_bytes.eq(bytes),
                submissions::report.eq(Some(serde_json::to_string(&report).unwrap_or_default())),
                submissions::finished_at.eq(Some(Utc::now().naive_utc())),
            ))
            .execute(conn)?;
        store.keep(conn, id, part)?;
        Ok::<_, Error>(())
    })?;
    let _ = fs::remove_file(part);
    let _ = fs::remove_file(carried_path);
    get(conn, &FacilityScope::All, id)
}

fn lease_lost(id: &str) -> Error {
    Error::Conflict(format!(
        "submission {id}: this instance no longer holds its build's lease (another instance \
         took it over after this one stalled); the other instance's build counts"
    ))
}

const BATCH: usize = 200;

#[derive(Insertable)]
#[diesel(table_name = submission_items)]
struct ItemRow<'a> {
    submission_id: &'a str,
    tumor_id: &'a str,
    tumor_version: i64,
    patient_version: i64,
    change: &'a str,
    changed_items: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = recipient_tumors)]
struct SentRow<'a> {
    recipient_id: &'a str,
    tumor_id: &'a str,
    patient_id: &'a str,
    tumor_version: i64,
    patient_version: i64,
    items: &'a str,
    submission_id: &'a str,
}

/// Records a batch of carried tumors: the submission's items and, per tumor, what the
/// recipient now holds (replacing what it held). Many rows per statement on the concrete
/// connection (the two-backend connection cannot batch).
fn insert_items(
    conn: &mut DbConn,
    id: &str,
    recipient: &str,
    batch: &[Carried],
) -> Result<(), Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows: Vec<ItemRow> = batch
        .iter()
        .map(|c| ItemRow {
            submission_id: id,
            tumor_id: &c.tumor_id,
            tumor_version: c.tumor_version,
            patient_version: c.patient_version,
            change: &c.change,
            changed_items: (!c.changed_items.is_empty()).then(|| c.changed_items.join(",")),
        })
        .collect();
    let sent: Vec<SentRow> = batch
        .iter()
        .map(|c| SentRow {
            recipient_id: recipient,
            tumor_id: &c.tumor_id,
            patient_id: &c.patient_id,
            tumor_version: c.tumor_version,
            patient_version: c.patient_version,
            items: &c.items,
            submission_id: id,
        })
        .collect();
    let ids: Vec<&str> = batch.iter().map(|c| c.tumor_id.as_str()).collect();
    diesel::delete(
        recipient_tumors::table
            .filter(recipient_tumors::recipient_id.eq(recipient))
            .filter(recipient_tumors::tumor_id.eq_any(ids)),
    )
    .execute(conn)?;
    match conn {
        DbConn::Postgres(c) => {
            diesel::insert_into(submission_items::table)
                .values(&rows)
                .execute(c)?;
            diesel::insert_into(recipient_tumors::table)
                .values(&sent)
                .execute(c)?
        }
        DbConn::Sqlite(c) => {
            diesel::insert_into(submission_items::table)
                .values(&rows)
                .execute(c)?;
            diesel::insert_into(recipient_tumors::table)
                .values(&sent)
                .execute(c)?
        }
    };
    Ok(())
}

/// The newest submissions the scope covers.
pub fn list(
    conn: &mut DbConn,
    scope: &FacilityScope,
    limit: i64,
) -> Result<Vec<Submission>, Error> {
    let rows: Vec<Row> = submissions::table
        .order(submissions::id.desc())
        .limit(limit * 4)
        .select(Row::as_select())
        .load(conn)?;
    let names: std::collections::BTreeMap<String, String> = recipients::list(conn)?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(Submission::from)
        .filter(|s| scope_covers(scope, &s.scope))
        .take(limit as usize)
        .map(|mut s| {
            s.recipient_name = names.get(&s.recipient).cloned();
            s
        })
        .collect())
}

/// One submission that carried a tumor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorSubmission {
    pub submission_id: String,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub record_type: String,
    /// When the submission finished.
    pub at: Option<DateTime<Utc>>,
    /// `new`, `changed`, `resent`, or `sent` (batches from before recipients were records).
    pub change: String,
    pub tumor_version: i64,
    pub patient_version: i64,
    /// Items changed since the recipient's previous copy.
    pub changed_items: Vec<String>,
}

/// The finished submissions that carried a tumor the scope sees, oldest first.
pub fn tumor_history(
    conn: &mut DbConn,
    scope: &FacilityScope,
    tumor_id: &str,
) -> Result<Vec<TumorSubmission>, Error> {
    use crate::db::schema::recipients as r;
    crate::abstracts::tumors::get(conn, scope, tumor_id)?;
    type HistoryRow = (
        String,
        String,
        Option<String>,
        String,
        Option<NaiveDateTime>,
        String,
        i64,
        i64,
        Option<String>,
    );
    let rows: Vec<HistoryRow> = submission_items::table
        .inner_join(submissions::table)
        .left_join(r::table.on(r::id.eq(submissions::recipient)))
        .filter(submission_items::tumor_id.eq(tumor_id))
        .filter(submissions::status.eq("done"))
        .order(submissions::id.asc())
        .select((
            submissions::id,
            submissions::recipient,
            r::name.nullable(),
            submissions::record_type,
            submissions::finished_at,
            submission_items::change,
            submission_items::tumor_version,
            submission_items::patient_version,
            submission_items::changed_items,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, rid, name, rt, at, change, tv, pv, items)| TumorSubmission {
                submission_id: id,
                recipient: rid,
                recipient_name: name,
                record_type: rt,
                at: at.map(|t| t.and_utc()),
                change,
                tumor_version: tv,
                patient_version: pv,
                changed_items: items
                    .map(|s| s.split(',').map(String::from).collect())
                    .unwrap_or_default(),
            },
        )
        .collect())
}
