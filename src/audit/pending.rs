//! Read rows waiting for the chain's head on PostgreSQL. Appending locks the head row until the
//! appending transaction commits; a large import appends its rows at its commit and holds the
//! head for seconds. Rather than make every reader wait that out, the audit writer gives up on
//! the head after a short lock timeout and inserts the rows into `audit_pending`, which takes no
//! lock anyone else holds; the read is answered once that insert commits. The next commit that
//! gets the head moves pending rows into the chain first, in id (time) order, taking them with
//! `SKIP LOCKED` so instances sharing the database never move a row twice. Rows a dead
//! instance left are moved by any other, as the table is in the database, not on its disk.
//!
//! SQLite's single write lock covers this table too, so SQLite uses the spool file instead
//! ([`super::spool`]).

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{chain, AuditRow};
use crate::db::schema::audit_pending;
use crate::db::DbConn;

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    body: String,
}

#[derive(Insertable)]
#[diesel(table_name = audit_pending)]
struct NewPending {
    id: String,
    body: String,
}

/// Stores `rows` as pending, in the caller's transaction.
pub(crate) fn put(conn: &mut DbConn, rows: &[AuditRow]) -> QueryResult<()> {
    let mut values = Vec::with_capacity(rows.len());
    for r in rows {
        let body = serde_json::to_string(r)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        values.push(NewPending {
            id: r.id.clone(),
            body,
        });
    }
    crate::insert_many!(conn, audit_pending::table, values, 1000)?;
    Ok(())
}

/// Whether rows are pending (from this instance or another).
pub(crate) fn any(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        audit_pending::table.select(audit_pending::id),
    ))
    .get_result(conn)
}

/// Moves pending rows into the chain, `chunk` at a time, in the caller's transaction, which
/// holds the head. Rows another instance is moving at the same moment are skipped (it holds
/// them). Returns how many were moved.
pub(crate) fn replay(conn: &mut DbConn, chunk: usize) -> QueryResult<usize> {
    let mut moved = 0;
    loop {
        let taken: Vec<Pending> = diesel::sql_query(format!(
            "SELECT id, body FROM audit_pending ORDER BY id LIMIT {chunk} FOR UPDATE SKIP LOCKED"
        ))
        .load(conn)?;
        if taken.is_empty() {
            return Ok(moved);
        }
        let ids: Vec<String> = taken.iter().map(|p| p.id.clone()).collect();
        let mut rows: Vec<AuditRow> = Vec::with_capacity(taken.len());
        for p in taken {
            match serde_json::from_str(&p.body) {
                Ok(row) => rows.push(row),
                // Written by this code from a row it had built; a row that no longer parses
                // (a format change) stays visible rather than being dropped.
                Err(e) => {
                    return Err(diesel::result::Error::DeserializationError(Box::new(
                        std::io::Error::other(format!("audit_pending row {}: {e}", p.id)),
                    )))
                }
            }
        }
        diesel::delete(audit_pending::table.filter(audit_pending::id.eq_any(&ids)))
            .execute(conn)?;
        moved += rows.len();
        chain::append(conn, &mut rows)?;
        if moved >= chunk * 20 {
            // The rest wait for the next commit: one commit does not hold the head for long.
            return Ok(moved);
        }
    }
}
