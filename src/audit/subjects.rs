//! The records an audit row names besides its own `entity_id`: the patients of a list page, the
//! patient of a tumor read. A list read is one row per page (a due list of 100,000 patients is
//! 100 rows, not 100,000), so its patients sit in `details`, where a search by entity id cannot
//! see them. `audit_subjects` holds one row per (record, audit row) for that search.
//!
//! The index is derived from `details` alone, by [`named`], so the hash chain, which covers
//! `details`, covers it too: [`super::chain::verify`] recomputes it for every row and names the
//! first row whose index rows were deleted, changed or added. An index row pointing at no audit
//! row is harmless (the search joins the audit rows) and is not looked for.
//!
//! What a row names, at the top level of `details`: `ids` (records of the row's own entity, a
//! list page), `patientIds` and `patientId`. Only ids are kept: ours are UUIDs, unique across
//! entities, and the search's `entity` filters the row's own entity.

use std::collections::BTreeSet;

use diesel::prelude::*;

use super::AuditRow;
use crate::db::schema::audit_subjects;
use crate::db::DbConn;

/// Index rows per INSERT: two columns each, well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 5000;

/// Audit ids per lookup while verifying or indexing old rows (one `IN` list).
pub(crate) const LOOKUP: usize = 2000;

#[derive(Insertable, Queryable, Selectable, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[diesel(table_name = audit_subjects)]
pub(crate) struct Subject {
    pub(crate) entity_id: String,
    pub(crate) audit_id: String,
}

/// The ids of the records a row names in `details`, each once.
pub(crate) fn named(details: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Most rows (every change with its items) name nothing: skip parsing them.
    if !details.contains("\"ids\"") && !details.contains("\"patientId") {
        return out;
    }
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(details)
    else {
        return out;
    };
    let strings = |key: &str| -> Vec<String> {
        match map.get(key) {
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    for key in ["ids", "patientIds", "patientId"] {
        out.extend(strings(key));
    }
    out
}

/// The index rows of audit rows.
pub(crate) fn of_rows<'a>(rows: impl IntoIterator<Item = &'a AuditRow>) -> Vec<Subject> {
    rows.into_iter()
        .flat_map(|r| {
            named(&r.details).into_iter().map(|entity_id| Subject {
                entity_id,
                audit_id: r.id.clone(),
            })
        })
        .collect()
}

/// Inserts index rows, in the caller's transaction (the one appending their audit rows).
pub(crate) fn insert(conn: &mut DbConn, subjects: &[Subject]) -> QueryResult<usize> {
    if subjects.is_empty() {
        return Ok(0);
    }
    crate::insert_batch!(conn, audit_subjects::table, subjects, CHUNK)
}

/// The stored index rows of audit rows (at most [`LOOKUP`] ids), sorted.
pub(crate) fn stored(conn: &mut DbConn, audit_ids: &[String]) -> QueryResult<Vec<Subject>> {
    let mut found: Vec<Subject> = audit_subjects::table
        .filter(audit_subjects::audit_id.eq_any(audit_ids))
        .select(Subject::as_select())
        .load(conn)?;
    found.sort();
    Ok(found)
}
