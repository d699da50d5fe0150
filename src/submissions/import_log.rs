//! Imports as records: every import, applied or refused, with its report (counts, conversions,
//! the file-level items it read, kept values, problems); and the imports that created or
//! changed each tumor.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::import::ImportReport;
use super::Error;
use crate::abstracts::tumors;
use crate::auth::FacilityScope;
use crate::db::schema::{imports, tumor_sources};
use crate::db::DbConn;

/// `done` (applied) or `refused`.
pub const DONE: &str = "done";
pub const REFUSED: &str = "refused";

fn facilities_column(report: &ImportReport) -> Option<String> {
    (!report.facilities.is_empty()).then(|| format!(",{},", report.facilities.join(",")))
}

/// Records an import with its report.
pub fn record(
    conn: &mut DbConn,
    report: &ImportReport,
    status: &str,
    created_by: &str,
) -> Result<(), Error> {
    diesel::insert_into(imports::table)
        .values((
            imports::id.eq(&report.id),
            imports::file_name.eq(&report.file_name),
            imports::status.eq(status),
            imports::report.eq(serde_json::to_string(report).unwrap_or_default()),
            imports::created_by.eq(created_by),
            imports::created_at.eq(Utc::now().naive_utc()),
            imports::facilities.eq(facilities_column(report)),
        ))
        .execute(conn)?;
    Ok(())
}

/// An import as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportRecord {
    pub id: String,
    pub file_name: Option<String>,
    /// done or refused.
    pub status: String,
    /// Facilities the file's records belong to.
    pub facilities: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The report; in lists without the long parts (kept values, problems, file-level items,
    /// matches), which `GET /api/v1/imports/{id}` gives.
    pub report: ImportReport,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = imports)]
struct Row {
    id: String,
    file_name: Option<String>,
    status: String,
    report: String,
    created_by: String,
    created_at: NaiveDateTime,
    facilities: Option<String>,
}

impl Row {
    fn into_record(self, full: bool) -> ImportRecord {
        let mut report: ImportReport = serde_json::from_str(&self.report).unwrap_or_default();
        if !full {
            report.kept = Vec::new();
            report.problems = Vec::new();
            report.root_items = Default::default();
            report.patient_matches = Vec::new();
        }
        ImportRecord {
            id: self.id,
            file_name: self.file_name,
            status: self.status,
            facilities: self
                .facilities
                .unwrap_or_default()
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
            created_by: self.created_by,
            created_at: self.created_at.and_utc(),
            report,
        }
    }
}

fn visible(scope: &FacilityScope, sub: &str, r: &ImportRecord) -> bool {
    match scope {
        FacilityScope::All => true,
        // A file that named no facility (refused early) is its importer's.
        FacilityScope::Only(_) if r.facilities.is_empty() => r.created_by == sub,
        FacilityScope::Only(_) => r.facilities.iter().any(|f| scope.allows(f)),
    }
}

/// Filters of the import list.
#[derive(Debug, Clone, Default)]
pub struct ImportFilter {
    pub facility: Option<String>,
    pub status: Option<String>,
    /// From this day (inclusive).
    pub from: Option<NaiveDate>,
    /// Up to this day (inclusive).
    pub to: Option<NaiveDate>,
}

/// A page of imports the caller sees, newest first, after the cursor (an import id).
pub fn list(
    conn: &mut DbConn,
    scope: &FacilityScope,
    sub: &str,
    filter: &ImportFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<ImportRecord>, Option<String>), Error> {
    let mut out = Vec::new();
    let mut cursor = after.map(str::to_string);
    loop {
        let mut q = imports::table.into_boxed();
        if let Some(f) = &filter.facility {
            q = q.filter(imports::facilities.like(format!("%,{f},%")));
        }
        if let Some(s) = &filter.status {
            q = q.filter(imports::status.eq(s.clone()));
        }
        if let Some(d) = filter.from {
            q = q.filter(imports::created_at.ge(d.and_hms_opt(0, 0, 0).unwrap_or_default()));
        }
        if let Some(d) = filter.to.and_then(|d| d.succ_opt()) {
            q = q.filter(imports::created_at.lt(d.and_hms_opt(0, 0, 0).unwrap_or_default()));
        }
        if let Some(c) = &cursor {
            q = q.filter(imports::id.lt(c.clone()));
        }
        let rows: Vec<Row> = q
            .order(imports::id.desc())
            .limit(200)
            .select(Row::as_select())
            .load(conn)?;
        let exhausted = rows.len() < 200;
        for row in rows {
            cursor = Some(row.id.clone());
            let r = row.into_record(false);
            if visible(scope, sub, &r) {
                out.push(r);
                if out.len() as i64 > limit {
                    out.pop();
                    let next = out.last().map(|r| r.id.clone());
                    return Ok((out, next));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// One import the caller sees, with its whole report.
pub fn get(
    conn: &mut DbConn,
    scope: &FacilityScope,
    sub: &str,
    id: &str,
) -> Result<ImportRecord, Error> {
    let row: Option<Row> = imports::table
        .filter(imports::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    match row.map(|r| r.into_record(true)) {
        Some(r) if visible(scope, sub, &r) => Ok(r),
        _ => Err(Error::NotFound(format!("import {id} was not found"))),
    }
}

/// What an import did to a tumor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorSource {
    pub import_id: String,
    pub file_name: Option<String>,
    /// Line of the tumor in the file.
    pub line: Option<i64>,
    /// created or updated.
    pub change: String,
    pub at: DateTime<Utc>,
}

#[derive(Insertable, Queryable, Selectable)]
#[diesel(table_name = tumor_sources)]
struct SourceRow {
    id: String,
    tumor_id: String,
    import_id: String,
    file_name: Option<String>,
    line: Option<i64>,
    change: String,
    at: NaiveDateTime,
}

/// Rows per statement: well under SQLite's bound-parameter limit.
const CHUNK: usize = 1000;

/// Notes that an import created or changed these tumors (id, line in the file); for updated
/// ones, `sourceFile`/`sourceLine` of the tumor now name this import's file and line.
pub fn note_sources(
    conn: &mut DbConn,
    import_id: &str,
    file_name: Option<&str>,
    change: &str,
    tumors_at: &[(String, u64)],
) -> Result<(), Error> {
    let now = Utc::now().naive_utc();
    let rows: Vec<SourceRow> = tumors_at
        .iter()
        .map(|(tumor, line)| SourceRow {
            id: uuid::Uuid::now_v7().to_string(),
            tumor_id: tumor.clone(),
            import_id: import_id.to_string(),
            file_name: file_name.map(str::to_string),
            line: Some(*line as i64),
            change: change.to_string(),
            at: now,
        })
        .collect();
    crate::insert_many!(conn, tumor_sources::table, &rows, CHUNK)?;
    if change != "created" {
        use crate::db::schema::tumors as t;
        for (tumor, line) in tumors_at {
            diesel::update(t::table.filter(t::id.eq(tumor)))
                .set((
                    t::source_file.eq(file_name.map(str::to_string)),
                    t::source_line.eq(Some(*line as i64)),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The imports that created or changed a tumor the scope sees, oldest first.
pub fn sources(
    conn: &mut DbConn,
    scope: &FacilityScope,
    tumor_id: &str,
) -> Result<Vec<TumorSource>, Error> {
    tumors::get(conn, scope, tumor_id)?;
    let rows: Vec<SourceRow> = tumor_sources::table
        .filter(tumor_sources::tumor_id.eq(tumor_id))
        .order(tumor_sources::id.asc())
        .select(SourceRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| TumorSource {
            import_id: r.import_id,
            file_name: r.file_name,
            line: r.line,
            change: r.change,
            at: r.at.and_utc(),
        })
        .collect())
}
