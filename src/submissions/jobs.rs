//! Submission jobs: a batch is recorded, built in the background into a file, and marked done
//! with the tumor versions it carried, or failed. A batch interrupted by a restart is marked
//! failed at the next start; nothing partial is ever served.

use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::export::{export, ExportCounts, Selection};
use super::Error;
use crate::auth::FacilityScope;
use crate::db::schema::{submission_items, submissions};
use crate::db::{self, Db, DbConn};
use crate::naaccr::xml::ExportVersion;
use crate::naaccr::RecordType;

/// A submission as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub id: String,
    pub recipient: String,
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
}

#[derive(Serialize, Deserialize)]
struct Stored {
    selection: Selection,
    scope: Vec<String>,
}

impl From<Row> for Submission {
    fn from(r: Row) -> Submission {
        let stored: Stored = serde_json::from_str(&r.selection).unwrap_or(Stored {
            selection: Selection::default(),
            scope: Vec::new(),
        });
        Submission {
            id: r.id,
            recipient: r.recipient,
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
    pub recipient: String,
    pub record_type: RecordType,
    pub version: ExportVersion,
    pub selection: Selection,
}

/// Records a queued submission for the caller's scope (narrowed to the selected facilities).
pub fn create(
    conn: &mut DbConn,
    scope: &FacilityScope,
    new: &NewSubmission,
    created_by: &str,
) -> Result<Submission, Error> {
    if let Some(list) = &new.selection.facilities {
        if let Some(f) = list.iter().find(|f| !scope.allows(f)) {
            return Err(crate::abstracts::Error::Forbidden(format!(
                "your token does not cover facility {f}"
            ))
            .into());
        }
    }
    let effective = match &new.selection.facilities {
        Some(list) => list.clone(),
        None => scope_list(scope),
    };
    let row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        recipient: new.recipient.clone(),
        record_type: new.record_type.as_str().to_string(),
        naaccr_version: match new.version {
            ExportVersion::V260 => "260".into(),
            ExportVersion::V250 => "250".into(),
        },
        selection: serde_json::to_string(&Stored {
            selection: new.selection.clone(),
            scope: effective,
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
    };
    diesel::insert_into(submissions::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.into())
}

/// A submission the scope covers (a facility-scoped caller sees batches of its facilities).
pub fn get(conn: &mut DbConn, scope: &FacilityScope, id: &str) -> Result<Submission, Error> {
    let row: Option<Row> = submissions::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    match row.map(Submission::from) {
        Some(s) if scope_covers(scope, &s.scope) => Ok(s),
        _ => Err(Error::NotFound(format!("submission {id} was not found"))),
    }
}

fn scope_covers(scope: &FacilityScope, batch: &[String]) -> bool {
    match scope {
        FacilityScope::All => true,
        FacilityScope::Only(_) => batch.iter().all(|f| f != "*" && scope.allows(f)),
    }
}

/// Where a submission's file lives.
pub fn file_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.xml"))
}

/// Marks batches left queued or running by a previous process as failed and removes what
/// their builds had written; empties `uploads/` of `dir` (imports cut off mid-way, which stored
/// nothing). Assumes one service process per data folder.
pub fn recover(conn: &mut DbConn, dir: &Path) -> Result<usize, Error> {
    let interrupted: Vec<String> = submissions::table
        .filter(submissions::status.eq_any(["queued", "running"]))
        .select(submissions::id)
        .load(conn)?;
    diesel::update(submissions::table.filter(submissions::id.eq_any(&interrupted)))
        .set((
            submissions::status.eq("failed"),
            submissions::error
                .eq("interrupted by a restart of the service; create the submission again"),
            submissions::finished_at.eq(Some(Utc::now().naive_utc())),
        ))
        .execute(conn)?;
    for id in &interrupted {
        for leftover in [format!("{id}.xml.part"), format!("{id}.carried")] {
            let _ = fs::remove_file(dir.join(leftover));
        }
    }
    if let Ok(uploads) = fs::read_dir(dir.join("uploads")) {
        for entry in uploads.flatten() {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(interrupted.len())
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

/// Builds a queued submission: streams the export into a temporary file, then in one
/// transaction records the carried tumor versions and marks it done; the file is renamed into
/// place only after that commit. On any error the batch is marked failed.
pub fn build(db: &Db, dir: &Path, id: &str) -> Result<Submission, Error> {
    let mut conn = db.conn()?;
    // Progress is written on a second connection so the export's reads never wait on it.
    let mut progress = db.conn()?;
    let result = run(&mut conn, dir, id, |c| {
        if let Err(e) = set_progress(&mut progress, id, c) {
            log::warn!("submission {id}: cannot record progress: {e}");
        }
    });
    if let Err(e) = &result {
        let _ = fs::remove_file(dir.join(format!("{id}.xml.part")));
        let _ = fs::remove_file(dir.join(format!("{id}.carried")));
        diesel::update(submissions::table.find(id))
            .set((
                submissions::status.eq("failed"),
                submissions::error.eq(Some(e.to_string())),
                submissions::finished_at.eq(Some(Utc::now().naive_utc())),
            ))
            .execute(&mut *conn)?;
    }
    result
}

fn run(
    conn: &mut DbConn,
    dir: &Path,
    id: &str,
    progress: impl FnMut(ExportCounts),
) -> Result<Submission, Error> {
    let sub = get(conn, &FacilityScope::All, id)?;
    diesel::update(submissions::table.find(id))
        .set(submissions::status.eq("running"))
        .execute(conn)?;
    fs::create_dir_all(dir)?;
    let part = dir.join(format!("{id}.xml.part"));
    let carried_path = dir.join(format!("{id}.carried"));
    let mut carried = BufWriter::new(fs::File::create(&carried_path)?);
    let record_type = RecordType::parse(&sub.record_type).unwrap_or(RecordType::A);
    let version = if sub.naaccr_version == "250" {
        ExportVersion::V250
    } else {
        ExportVersion::V260
    };
    let scope = scope_of(&sub.scope);
    let out = BufWriter::with_capacity(1 << 20, fs::File::create(&part)?);
    let (out, counts) = export(
        conn,
        &scope,
        &sub.selection,
        Some(&sub.recipient),
        record_type,
        version,
        out,
        |tumor, v| Ok(writeln!(carried, "{tumor}\t{v}")?),
        progress,
    )?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    carried.flush()?;
    drop(carried);
    set_progress(conn, id, counts)?;
    let bytes = fs::metadata(&part)?.len() as i64;
    db::transaction(conn, |conn| {
        let lines = BufReader::new(fs::File::open(&carried_path)?);
        let mut batch = Vec::with_capacity(500);
        for line in lines.lines() {
            let line = line?;
            let Some((tumor, v)) = line.split_once('\t') else {
                continue;
            };
            batch.push((tumor.to_string(), v.parse::<i64>().unwrap_or(0)));
            if batch.len() == 500 {
                insert_items(conn, id, &batch)?;
                batch.clear();
            }
        }
        insert_items(conn, id, &batch)?;
        // The date the export wrote into the file (a job that runs across midnight stores the
        // day it finished).
        crate::abstracts::lifecycle::stamp_exported(
            conn,
            id,
            &crate::abstracts::lifecycle::today(),
        )?;
        diesel::update(submissions::table.find(id))
            .set((
                submissions::status.eq("done"),
                submissions::file_bytes.eq(bytes),
                submissions::finished_at.eq(Some(Utc::now().naive_utc())),
            ))
            .execute(conn)?;
        // Renamed before the commit: a failed rename commits nothing, and a commit that fails
        // after it leaves at worst a file no done batch points to.
        fs::rename(&part, file_path(dir, id))?;
        Ok::<_, Error>(())
    })?;
    let _ = fs::remove_file(&carried_path);
    get(conn, &FacilityScope::All, id)
}

#[derive(Insertable)]
#[diesel(table_name = submission_items)]
struct ItemRow<'a> {
    submission_id: &'a str,
    tumor_id: &'a str,
    tumor_version: i64,
}

/// Inserts many rows per statement on the concrete connection (the two-backend connection
/// cannot batch).
fn insert_items(conn: &mut DbConn, id: &str, batch: &[(String, i64)]) -> Result<(), Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows: Vec<ItemRow> = batch
        .iter()
        .map(|(t, v)| ItemRow {
            submission_id: id,
            tumor_id: t,
            tumor_version: *v,
        })
        .collect();
    match conn {
        DbConn::Postgres(c) => diesel::insert_into(submission_items::table)
            .values(&rows)
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(submission_items::table)
            .values(&rows)
            .execute(c)?,
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
    Ok(rows
        .into_iter()
        .map(Submission::from)
        .filter(|s| scope_covers(scope, &s.scope))
        .take(limit as usize)
        .collect())
}
