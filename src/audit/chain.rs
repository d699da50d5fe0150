//! The hash chain that makes the audit trail tamper-evident. Each row carries its position
//! (`seq`, 1, 2, ...) and a SHA-256 over its content and the previous row's hash; the head (last
//! position and hash) lives in the one-row `audit_chain` table. Appending locks that row, so
//! positions follow commit order on both backends and across instances sharing a PostgreSQL.
//!
//! Inside [`crate::db::transaction`] rows are held back to the end of the transaction. On SQLite
//! they are appended just before the commit (the transaction holds the database's one write lock
//! anyway). On PostgreSQL they are parked in `audit_pending` ([`super::pending`]), committed with
//! the change they record, and chained right after the commit by one chaining transaction for
//! many writes: holding the head from a write's append through its commit made every write of
//! every instance pass that row one at a time.
//!
//! The search index of the records each row names ([`super::subjects`]) is written with its
//! row and derived from the row's hashed `details`, so [`verify`] checks it as well.

use std::cell::RefCell;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::pending;
use super::subjects::{self, Subject};
use super::AuditRow;
use crate::db::schema::audit_log;
use crate::db::{DbConn, DbError};

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Rows read per query while walking the chain (their index rows are looked up in one list).
const PAGE: i64 = subjects::LOOKUP as i64;

/// How a row's time enters its hash, parsed once: every row of every batch is hashed.
static TIME_FORMAT: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
    std::sync::LazyLock::new(|| {
        chrono::format::StrftimeItems::new("%Y-%m-%dT%H:%M:%S%.6f")
            .parse_to_owned()
            .unwrap_or_default()
    });

/// The hash of a row at position `seq` after a row hashed `prev`. Each field is length-prefixed
/// (absent fields marked apart from empty ones) so no two contents share an encoding.
pub(crate) fn row_hash(prev: &str, seq: i64, r: &AuditRow) -> String {
    let at = r.at.format_with_items(TIME_FORMAT.iter()).to_string();
    let seq = seq.to_string();
    let fields: [Option<&str>; 11] = [
        Some(&seq),
        Some(prev),
        Some(&r.id),
        Some(&at),
        Some(&r.actor),
        Some(&r.roles),
        Some(&r.action),
        Some(&r.entity),
        r.entity_id.as_deref(),
        r.request_id.as_deref(),
        Some(&r.details),
    ];
    let mut h = Sha256::new();
    for f in fields {
        match f {
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
            None => h.update([0u8]),
        }
    }
    hex::encode(h.finalize())
}

/// The last position and hash of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, QueryableByName)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    /// Rows in the chain (the position of the last one).
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    /// SHA-256 of the last row (hex); 64 zeros for an empty trail.
    #[diesel(sql_type = Text)]
    pub hash: String,
}

#[derive(QueryableByName)]
struct LockedHead {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    hash: String,
    #[diesel(sql_type = Bool)]
    legacy_sealed: bool,
}

/// Taking the head's lock, kept prepared (see [`crate::prepared_statement`]), as is
/// [`StoreHead`]: both run in every append.
struct LockHead<'a>(std::marker::PhantomData<&'a ()>);

/// Storing the head.
struct StoreHead<'a>(&'a Head);

crate::prepared_statement!(LockHead);
crate::prepared_statement!(StoreHead);

impl diesel::query_builder::Query for LockHead<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for LockHead<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(
            "UPDATE audit_chain SET seq = seq WHERE id = 1 RETURNING seq, hash, legacy_sealed",
        );
        Ok(())
    }
}

impl<DB> diesel::query_builder::QueryFragment<DB> for StoreHead<'_>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<BigInt>,
    String: diesel::serialize::ToSql<Text, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql("UPDATE audit_chain SET seq = ");
        out.push_bind_param::<BigInt, _>(&self.0.seq)?;
        out.push_sql(", hash = ");
        out.push_bind_param::<Text, _>(&self.0.hash)?;
        out.push_sql(" WHERE id = 1");
        Ok(())
    }
}

/// Takes the head's row lock (held to the end of the transaction) and reads it. An UPDATE
/// rather than `FOR UPDATE`, which SQLite lacks; there the transaction's write lock does it.
fn lock_head(conn: &mut DbConn) -> QueryResult<LockedHead> {
    LockHead(std::marker::PhantomData).get_result(conn)
}

fn store_head(conn: &mut DbConn, head: &Head) -> QueryResult<()> {
    StoreHead(head).execute(conn)?;
    Ok(())
}

/// The current head (no lock).
pub fn head(conn: &mut DbConn) -> Result<Head, DbError> {
    Ok(diesel::sql_query("SELECT seq, hash FROM audit_chain WHERE id = 1").get_result(conn)?)
}

/// Chains `rows` after the head and inserts them, in the caller's transaction (the head stays
/// locked until it commits). Returns the new head.
pub(crate) fn append(conn: &mut DbConn, rows: &mut [AuditRow]) -> QueryResult<Head> {
    let locked = lock_head(conn)?;
    let mut head = Head {
        seq: locked.seq,
        hash: locked.hash,
    };
    for r in rows.iter_mut() {
        head.seq += 1;
        head.hash = row_hash(&head.hash, head.seq, r);
        r.seq = Some(head.seq);
        r.hash = Some(head.hash.clone());
    }
    crate::insert_batch!(conn, audit_log::table, rows, 1000)?;
    subjects::insert(conn, &subjects::of_rows(rows.iter()))?;
    store_head(conn, &head)?;
    Ok(head)
}

/// Rows held back by the transaction open on this thread, keyed by its connection.
struct Deferred {
    conn: usize,
    rows: Vec<AuditRow>,
}

thread_local! {
    static DEFERRED: RefCell<Option<Deferred>> = const { RefCell::new(None) };
    /// Whether this thread's last deferral parked rows in `audit_pending` (PostgreSQL).
    static PARKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the transaction just finished on this thread parked audit rows for the chain, and
/// forgets it.
pub(crate) fn take_parked() -> bool {
    PARKED.with(|p| p.replace(false))
}

fn conn_key(conn: &DbConn) -> usize {
    conn as *const DbConn as usize
}

/// Holds back this thread's audit rows on `conn` until [`Deferral::finish`]; dropping it
/// (an error, a panic) discards them with the rolled-back transaction. Nested deferrals on
/// the same thread are inert: the outermost one appends.
pub(crate) struct Deferral {
    active: bool,
}

impl Deferral {
    pub(crate) fn begin(conn: &DbConn) -> Deferral {
        let active = DEFERRED.with(|d| {
            let mut d = d.borrow_mut();
            if d.is_some() {
                return false;
            }
            *d = Some(Deferred {
                conn: conn_key(conn),
                rows: Vec::new(),
            });
            PARKED.with(|p| p.set(false));
            true
        });
        Deferral { active }
    }

    /// Writes the held rows on `conn` (call it last, before the commit): appended on SQLite,
    /// parked for the chain on PostgreSQL (see [`take_parked`]).
    pub(crate) fn finish(self, conn: &mut DbConn) -> QueryResult<()> {
        if !self.active {
            return Ok(());
        }
        let mut rows = DEFERRED
            .with(|d| d.borrow_mut().as_mut().map(|d| std::mem::take(&mut d.rows)))
            .unwrap_or_default();
        if rows.is_empty() {
            return Ok(());
        }
        if matches!(conn, DbConn::Postgres(_)) {
            pending::put(conn, &rows)?;
            PARKED.with(|p| p.set(true));
            return Ok(());
        }
        append(conn, &mut rows).map(|_| ())
    }
}

impl Drop for Deferral {
    fn drop(&mut self) {
        if self.active {
            DEFERRED.with(|d| *d.borrow_mut() = None);
        }
    }
}

/// Holds `rows` back when a deferral is open for `conn` on this thread; else gives them back.
pub(crate) fn defer(conn: &DbConn, rows: Vec<AuditRow>) -> Option<Vec<AuditRow>> {
    let key = conn_key(conn);
    DEFERRED.with(|d| match d.borrow_mut().as_mut() {
        Some(d) if d.conn == key => {
            d.rows.extend(rows);
            None
        }
        _ => Some(rows),
    })
}

/// Chains the rows written before the chain existed (in id order, which is time order), once,
/// and indexes the records named by rows written before that index existed, once. Later rows
/// without a position are then rows inserted behind the service's back, and rows whose index
/// does not match their details were tampered with.
pub fn seal_legacy(conn: &mut DbConn) -> Result<(), DbError> {
    seal_unchained(conn)?;
    index_unindexed(conn)
}

fn seal_unchained(conn: &mut DbConn) -> Result<(), DbError> {
    #[derive(QueryableByName)]
    struct Sealed {
        #[diesel(sql_type = Bool)]
        legacy_sealed: bool,
    }
    let sealed: Sealed =
        diesel::sql_query("SELECT legacy_sealed FROM audit_chain WHERE id = 1").get_result(conn)?;
    if sealed.legacy_sealed {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        let locked = lock_head(conn)?;
        if locked.legacy_sealed {
            return Ok(());
        }
        let mut head = Head {
            seq: locked.seq,
            hash: locked.hash,
        };
        loop {
            let rows: Vec<AuditRow> = audit_log::table
                .filter(audit_log::seq.is_null())
                .order(audit_log::id.asc())
                .limit(PAGE)
                .select(AuditRow::as_select())
                .load(conn)?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                head.seq += 1;
                head.hash = row_hash(&head.hash, head.seq, &r);
                diesel::update(audit_log::table.find(&r.id))
                    .set((audit_log::seq.eq(head.seq), audit_log::hash.eq(&head.hash)))
                    .execute(conn)?;
            }
        }
        store_head(conn, &head)?;
        diesel::sql_query("UPDATE audit_chain SET legacy_sealed = TRUE WHERE id = 1")
            .execute(conn)?;
        Ok::<_, DbError>(())
    })
}

/// Writes the index rows of every chained row that has none, once (the first start after the
/// index was added). Under the head's lock, so no row is appended meanwhile; rows appended
/// since carry their index already and are left alone.
fn index_unindexed(conn: &mut DbConn) -> Result<(), DbError> {
    #[derive(QueryableByName)]
    struct Indexed {
        #[diesel(sql_type = Bool)]
        subjects_indexed: bool,
    }
    let indexed = |conn: &mut DbConn| -> QueryResult<bool> {
        diesel::sql_query("SELECT subjects_indexed FROM audit_chain WHERE id = 1")
            .get_result::<Indexed>(conn)
            .map(|r| r.subjects_indexed)
    };
    if indexed(conn)? {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        lock_head(conn)?;
        if indexed(conn)? {
            return Ok(());
        }
        let mut after: i64 = 0;
        loop {
            let page: Vec<AuditRow> = audit_log::table
                .filter(audit_log::seq.gt(after))
                .order(audit_log::seq.asc())
                .limit(subjects::LOOKUP as i64)
                .select(AuditRow::as_select())
                .load(conn)?;
            let Some(last) = page.last().and_then(|r| r.seq) else {
                break;
            };
            after = last;
            let ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
            let have: std::collections::HashSet<String> = subjects::stored(conn, &ids)?
                .into_iter()
                .map(|s| s.audit_id)
                .collect();
            subjects::insert(
                conn,
                &subjects::of_rows(page.iter().filter(|r| !have.contains(&r.id))),
            )?;
        }
        diesel::sql_query("UPDATE audit_chain SET subjects_indexed = TRUE WHERE id = 1")
            .execute(conn)?;
        Ok::<_, DbError>(())
    })
}

/// The first row that does not fit the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "defect", rename_all = "camelCase")]
pub enum Defect {
    /// The row's content or hash no longer matches what was chained (changed).
    Changed { seq: i64, id: String },
    /// Positions `from..=to` are missing (deleted); `next_id` is the row after the gap, if any.
    Missing {
        from: i64,
        to: i64,
        next_id: Option<String>,
    },
    /// A row without a position in the chain (inserted behind the service's back).
    Unchained { id: String },
    /// The row fits the chain, but the search index of the records its details name does not
    /// (index rows deleted, changed or added: a search by entity id would miss or add it).
    Subjects { seq: i64, id: String },
    /// The rows fit each other but not the head (rows after `seq` deleted, or the head changed).
    Head { seq: i64, hash: String },
}

impl std::fmt::Display for Defect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Defect::Changed { seq, id } => {
                write!(f, "row {id} (position {seq}) was changed: its hash does not match its content and the previous row")
            }
            Defect::Missing { from, to, next_id } => {
                let what = if from == to {
                    format!("position {from} is missing")
                } else {
                    format!("positions {from}-{to} are missing")
                };
                match next_id {
                    Some(id) => write!(f, "{what} (deleted) before row {id}"),
                    None => write!(f, "{what} (deleted) at the end of the trail"),
                }
            }
            Defect::Unchained { id } => {
                write!(
                    f,
                    "row {id} has no place in the chain (inserted outside the service)"
                )
            }
            Defect::Subjects { seq, id } => {
                write!(f, "row {id} (position {seq}) fits the chain, but its index of the records it names was changed (a search by entity id would miss or wrongly find it)")
            }
            Defect::Head { seq, hash } => {
                write!(f, "the rows end at position {seq} with hash {hash}, which is not the recorded head")
            }
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Rows walked.
    pub rows: i64,
    /// The recorded head.
    pub head: Head,
    /// The first row that does not fit, if any.
    pub defect: Option<Defect>,
}

#[derive(QueryableByName)]
struct ChainRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    seq: Option<i64>,
}

/// Walks the whole chain in position order, a page at a time (memory stays flat), and names the
/// first row that does not fit.
pub fn verify(conn: &mut DbConn) -> Result<Verification, DbError> {
    let recorded = head(conn)?;
    let mut prev = GENESIS.to_string();
    let mut expected: i64 = 1;
    let mut rows_seen: i64 = 0;
    let done = |rows, defect| {
        Ok(Verification {
            rows,
            head: recorded.clone(),
            defect,
        })
    };
    loop {
        let page: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.ge(expected))
            .order(audit_log::seq.asc())
            .limit(PAGE)
            .select(AuditRow::as_select())
            .load(conn)?;
        if page.is_empty() {
            break;
        }
        let ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
        let mut indexed: std::collections::HashMap<String, Vec<Subject>> =
            std::collections::HashMap::new();
        for s in subjects::stored(conn, &ids)? {
            indexed.entry(s.audit_id.clone()).or_default().push(s);
        }
        for r in page {
            rows_seen += 1;
            let seq = r.seq.unwrap_or_default();
            if seq != expected {
                return done(
                    rows_seen,
                    Some(Defect::Missing {
                        from: expected,
                        to: seq - 1,
                        next_id: Some(r.id),
                    }),
                );
            }
            let hash = row_hash(&prev, seq, &r);
            if r.hash.as_deref() != Some(hash.as_str()) {
                return done(rows_seen, Some(Defect::Changed { seq, id: r.id }));
            }
            if subjects::of_rows([&r]) != indexed.remove(&r.id).unwrap_or_default() {
                return done(rows_seen, Some(Defect::Subjects { seq, id: r.id }));
            }
            prev = hash;
            expected += 1;
        }
    }
    let last = expected - 1;
    if last < recorded.seq {
        return done(
            rows_seen,
            Some(Defect::Missing {
                from: last + 1,
                to: recorded.seq,
                next_id: None,
            }),
        );
    }
    if last != recorded.seq || prev != recorded.hash {
        return done(
            rows_seen,
            Some(Defect::Head {
                seq: last,
                hash: prev,
            }),
        );
    }
    let unchained: Option<ChainRow> = diesel::sql_query(
        "SELECT id, seq FROM audit_log WHERE seq IS NULL OR hash IS NULL ORDER BY id LIMIT 1",
    )
    .get_result(conn)
    .optional()?;
    if let Some(r) = unchained {
        let defect = match r.seq {
            Some(seq) => Defect::Changed { seq, id: r.id },
            None => Defect::Unchained { id: r.id },
        };
        return done(rows_seen, Some(defect));
    }
    done(rows_seen, None)
}

/// Logs the head now and every 24 hours, so it is kept outside the database too.
pub fn log_head_daily(db: crate::db::Db) {
    let spawned = std::thread::Builder::new()
        .name("audit-head".into())
        .spawn(move || loop {
            match db
                .conn()
                .map_err(|e| e.to_string())
                .and_then(|mut c| head(&mut c).map_err(|e| e.to_string()))
            {
                Ok(h) => log::info!("audit head: {} rows, hash {}", h.seq, h.hash),
                Err(e) => log::warn!("audit head not read: {e}"),
            }
            std::thread::sleep(std::time::Duration::from_secs(24 * 60 * 60));
        });
    if let Err(e) = spawned {
        log::warn!("the daily audit head log did not start: {e}");
    }
}
