//! Audit rows waiting for the chain's head on PostgreSQL. Appending locks the head row until the
//! appending transaction commits. So a write transaction never appends: it parks its rows here
//! (committed with its change, no lock anyone else holds) and after its commit the audit writer,
//! one per instance, chains them together with other writes' and reads' rows. The audit writer
//! parks read rows here too when the head stays locked past a short timeout, and answers the
//! reads once that insert commits. Rows are taken in id (time) order with `SKIP LOCKED`, so
//! instances sharing the database never move a row twice, and rows a dead instance left are
//! moved by any other, as the table is in the database, not on its disk.
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

/// What one [`replay`] did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Replayed {
    /// Rows moved into the chain.
    pub moved: usize,
    /// Whether it stopped at its limit with rows possibly left (else none was left but rows
    /// another instance was moving).
    pub more: bool,
}

/// Moves pending rows into the chain, `chunk` at a time, in the caller's transaction, which
/// holds the head. Rows another instance is moving at the same moment are skipped (it holds
/// them).
pub(crate) fn replay(conn: &mut DbConn, chunk: usize) -> QueryResult<Replayed> {
    let mut moved = 0;
    loop {
        // Taken and deleted in one statement; the rows come back in no particular order.
        let mut taken: Vec<Pending> = diesel::sql_query(format!(
            "DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id \
             LIMIT {chunk} FOR UPDATE SKIP LOCKED) RETURNING id, body"
        ))
        .load(conn)?;
        taken.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let full = taken.len() >= chunk;
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
        moved += rows.len();
        if !rows.is_empty() {
            chain::append(conn, &mut rows)?;
        }
        if !full {
            return Ok(Replayed { moved, more: false });
        }
        if moved >= chunk * 20 {
            // The rest wait for the next commit: one commit does not hold the head for long.
            return Ok(Replayed { moved, more: true });
        }
    }
}

/// Chains every pending row, in transactions of its own on `conn` of at most 20 chunks each:
/// what a process without an audit writer (a command) does after a write parked rows.
pub(crate) fn chain_all(conn: &mut DbConn, chunk: usize) -> QueryResult<usize> {
    let mut moved = 0;
    loop {
        let r = conn.transaction(|c| replay(c, chunk))?;
        moved += r.moved;
        if !r.more {
            return Ok(moved);
        }
    }
}
