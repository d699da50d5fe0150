//! Group commit of the audit rows of reads. Reads run on read connections; their rows are
//! handed to one writer thread per process, which appends everything queued while its previous
//! commit ran, and under concurrent reads what comes in a further [`LINGER`], in one
//! transaction (one row when idle), then answers each caller. A response waits for the commit
//! holding its row, so no read is served without its record, even if the process dies a moment
//! later. The index rows of the records a
//! row names (the patients of a list page) are part of the same commit.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::pending;
use super::spool::Spool;
use super::{chain, AuditRow};
use crate::db::{Backend, DbConn, DbError};

/// Rows at most in one commit: bounds the statement sizes and the time one batch holds the
/// head; anything beyond waits for the next round.
const MAX_BATCH_ROWS: usize = 5000;

/// Bytes of details at most in one commit, for the same reason: a row of a list page names up to
/// 1,000 records (about 40 KB), each also written as an index row, so rows alone do not bound a
/// batch of pages. About 100 such pages (100,000 index rows) fit.
const MAX_BATCH_BYTES: usize = 4 << 20;

/// How long the writer waits for SQLite's write lock, or PostgreSQL's chain head, before
/// setting read rows aside ([`super::spool`], [`super::pending`]): longer than an ordinary
/// change holds it, far shorter than an import.
const SPOOL_AFTER: Duration = Duration::from_millis(20);

/// How long rows gather before a commit when reads come concurrently (the previous batch
/// held more than one): added to a read's answer, it buys commits of many rows instead of few.
const LINGER: Duration = Duration::from_micros(300);

/// How often an idle writer on PostgreSQL looks for rows parked by an instance that stopped
/// before chaining them.
const LOOK_FOR_PARKED: Duration = Duration::from_secs(5);

/// How often spooled rows are retried when no new rows come.
const RETRY_SPOOLED: Duration = Duration::from_millis(200);

fn weight(rows: &[AuditRow]) -> usize {
    rows.iter().map(|r| r.details.len()).sum()
}

struct Job {
    rows: Vec<AuditRow>,
    /// PostgreSQL: a write committed rows into `audit_pending`; chain them in this batch.
    chain_parked: bool,
    done: oneshot::Sender<Result<(), String>>,
}

/// Handle of the writer thread; the thread ends when the last handle is dropped.
pub struct AuditWriter {
    jobs: mpsc::Sender<Job>,
}

/// Serialises SQLite write transactions inside the process (FIFO), so writers queue on it
/// instead of sleeping in SQLite's busy handler. `None` on PostgreSQL, where row locks do.
pub type WriteGate = Option<Arc<tokio::sync::Mutex<()>>>;

impl AuditWriter {
    /// Starts the writer on its own connection to `backend`.
    pub fn start(backend: Backend, gate: WriteGate) -> std::io::Result<AuditWriter> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(backend, gate, rx))?;
        Ok(AuditWriter { jobs })
    }

    /// Appends `rows` and returns once they are committed.
    pub(crate) async fn commit(&self, rows: Vec<AuditRow>) -> Result<(), DbError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.send(rows, false).await
    }

    /// PostgreSQL: chains the rows a write just committed into `audit_pending` (with any others
    /// there) and returns once that commit is done, or once the head stayed locked past the
    /// usual wait (they are chained later then).
    pub(crate) async fn chain_parked(&self) -> Result<(), DbError> {
        self.send(Vec::new(), true).await
    }

    async fn send(&self, rows: Vec<AuditRow>, chain_parked: bool) -> Result<(), DbError> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job {
                rows,
                chain_parked,
                done,
            })
            .map_err(|_| DbError::Unavailable("the audit writer stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => Err(DbError::Unavailable(format!(
                "the audit record could not be written: {why}"
            ))),
            Err(_) => Err(DbError::Unavailable("the audit writer stopped".into())),
        }
    }
}

fn run(backend: Backend, gate: WriteGate, rx: mpsc::Receiver<Job>) {
    let mut out = Output {
        conn: None,
        spool: match &backend {
            Backend::Sqlite(path) => Some(Spool::beside(path)),
            Backend::Postgres(_) => None,
        },
        backend,
        gate,
        clock: None,
        waited: std::time::Instant::now(),
        pending: false,
        pending_checked: false,
    };
    let mut concurrent = false;
    loop {
        let spooled = out.pending || out.spool.as_ref().is_some_and(|s| !s.is_empty());
        // With rows in the spool, wake up now and then to move them even if no read comes; on
        // PostgreSQL also look for rows another instance parked and could not chain (it died).
        let wait = if spooled {
            Some(RETRY_SPOOLED)
        } else if out.spool.is_none() {
            Some(LOOK_FOR_PARKED)
        } else {
            None
        };
        let first = match wait {
            Some(wait) => match rx.recv_timeout(wait) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    out.pending_checked = out.pending;
                    None
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            },
        };
        // Under concurrent reads, let a moment's rows gather first: a commit's fixed part (the
        // last page of every audit index written to the WAL, about 0.4 ms on SQLite here)
        // outweighs a row's (about 20 us), so committing each trickle of 3-6 rows as it came
        // spent a third of a core on commits.
        if first.is_some() && concurrent {
            std::thread::sleep(LINGER);
        }
        let mut batch: Vec<Job> = first.into_iter().collect();
        let mut rows_in: usize = batch.iter().map(|j| j.rows.len()).sum();
        let mut bytes_in: usize = batch.iter().map(|j| weight(&j.rows)).sum();
        while !batch.is_empty() && rows_in < MAX_BATCH_ROWS && bytes_in < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(job) => {
                    rows_in += job.rows.len();
                    bytes_in += weight(&job.rows);
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        if batch.iter().any(|j| j.chain_parked) {
            out.pending = true;
        }
        let rows: Vec<AuditRow> = batch
            .iter_mut()
            .flat_map(|j| std::mem::take(&mut j.rows))
            .collect();
        // Rows that came while the writer waited for SQLite's write lock join this commit:
        // under concurrent writes that wait is a change's turn, and each commit saved is a turn
        // of the lock the writes do not wait for.
        let mut more = || {
            let mut rows = Vec::new();
            while rows_in < MAX_BATCH_ROWS && bytes_in < MAX_BATCH_BYTES {
                let Ok(mut job) = rx.try_recv() else { break };
                rows_in += job.rows.len();
                bytes_in += weight(&job.rows);
                rows.append(&mut job.rows);
                batch.push(job);
            }
            rows
        };
        let outcome = out.commit_or_spool(rows, &mut more);
        concurrent = batch.len() > 1;
        if let Err(why) = &outcome {
            log::error!("audit batch of {rows_in} rows not written: {why}");
            // A broken connection is replaced on the next batch.
            out.conn = None;
        }
        for job in batch {
            let _ = job.done.send(outcome.clone());
        }
    }
    // Last handle gone (shutdown): move what is spooled if the lock comes within the usual wait.
    if out.pending || out.spool.as_ref().is_some_and(|s| !s.is_empty()) {
        let _ = out.commit_or_spool(Vec::new(), &mut Vec::new);
    }
}

/// Where the writer thread puts rows: its connection, and on SQLite the spool and the gate.
struct Output {
    backend: Backend,
    gate: WriteGate,
    conn: Option<DbConn>,
    spool: Option<Spool>,
    /// Timer for waiting on the gate from this plain thread (made on first need).
    clock: Option<tokio::runtime::Runtime>,
    /// When the writer last waited for the gate.
    waited: std::time::Instant,
    /// PostgreSQL: whether rows may wait in `audit_pending`, and whether that was looked up.
    pending: bool,
    pending_checked: bool,
}

/// PostgreSQL's "canceling statement due to lock timeout" (SQLSTATE 55P03), which diesel does
/// not classify.
fn is_lock_timeout(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message().contains("lock timeout"))
}

/// The writer's connection, opened on first need.
fn connection<'c>(
    backend: &Backend,
    conn: &'c mut Option<DbConn>,
) -> Result<&'c mut DbConn, String> {
    if conn.is_none() {
        let mut c = backend.connect().map_err(|e| e.to_string())?;
        use diesel::connection::SimpleConnection;
        match &mut c {
            // The gate already orders this process's writers; a lock held by another process
            // is waited for briefly, then the rows are spooled.
            DbConn::Sqlite(inner) => inner.batch_execute(&format!(
                "PRAGMA busy_timeout = {}",
                SPOOL_AFTER.as_millis()
            )),
            // The head held by another instance's chaining, or a command's, is waited for
            // briefly, then the rows are parked. For the session: this connection is the
            // writer's alone, and a statement per batch saved.
            DbConn::Postgres(inner) => inner.batch_execute(&format!(
                "SET lock_timeout = '{}ms'",
                SPOOL_AFTER.as_millis()
            )),
        }
        .map_err(|e| e.to_string())?;
        *conn = Some(c);
    }
    conn.as_mut().ok_or_else(|| "no connection".to_string())
}

impl Output {
    /// Commits `rows` (after any spooled ones); on SQLite, spools them instead when the write
    /// lock does not come within [`SPOOL_AFTER`] or the commit fails.
    fn commit_or_spool(
        &mut self,
        mut rows: Vec<AuditRow>,
        more: &mut dyn FnMut() -> Vec<AuditRow>,
    ) -> Result<(), String> {
        let Some(gate) = self.gate.clone() else {
            return self.commit_or_park(rows);
        };
        if self.clock.is_none() {
            self.clock = Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        let spooling = self.spool.as_ref().is_some_and(|s| !s.is_empty());
        let hurry = spooling && !rows.is_empty() && self.waited.elapsed() < RETRY_SPOOLED;
        let held = match self.clock.as_ref() {
            // While rows are spooled the lock was busy a moment ago: new rows do not wait for it
            // (each wait would add to every read during an import) but take it if it is free;
            // a wait is tried again every RETRY_SPOOLED, so a steady stream of short writes
            // holding it does not keep the rows out of the chain.
            _ if hurry => gate.try_lock().ok(),
            // Queued in turn with the other writers of the process (the gate is FIFO).
            Some(clock) => {
                self.waited = std::time::Instant::now();
                clock.block_on(async { tokio::time::timeout(SPOOL_AFTER, gate.lock()).await.ok() })
            }
            None => None,
        };
        let Some(_held) = held else {
            rows.extend(more());
            return self.spool_rows(&rows);
        };
        rows.extend(more());
        let c = connection(&self.backend, &mut self.conn)?;
        let spool = self.spool.as_mut().filter(|s| !s.is_empty());
        let had_spooled = spool.is_some();
        let committed = crate::db::transaction(c, |c| {
            if let Some(spool) = spool {
                spool.replay(c, MAX_BATCH_ROWS)?;
            }
            if !rows.is_empty() {
                chain::append(c, &mut rows)?;
            }
            Ok::<_, DbError>(())
        });
        match committed {
            Ok(()) => {
                if had_spooled {
                    self.clear_spool();
                }
                Ok(())
            }
            Err(e) => {
                log::warn!("audit rows spooled, the commit failed: {e}");
                // The spooled rows are still in the spool; only the new ones go there.
                self.conn = None;
                self.spool_rows(&rows)
            }
        }
    }

    /// PostgreSQL: commits `rows` (after any pending ones); when the chain's head stays locked
    /// past [`SPOOL_AFTER`] (a large import committing), stores them in `audit_pending`
    /// instead (see [`super::pending`]).
    fn commit_or_park(&mut self, mut rows: Vec<AuditRow>) -> Result<(), String> {
        let c = connection(&self.backend, &mut self.conn)?;
        if !self.pending_checked {
            // Rows a stopped instance left pending are moved by the first commit here.
            self.pending = pending::any(c).map_err(|e| e.to_string())?;
            self.pending_checked = true;
        }
        if rows.is_empty() && !self.pending {
            return Ok(());
        }
        let replay = self.pending;
        let committed = crate::db::transaction(c, |c| {
            let replayed = if replay {
                pending::replay(c, MAX_BATCH_ROWS)?
            } else {
                pending::Replayed::default()
            };
            if !rows.is_empty() {
                chain::append(c, &mut rows)?;
            }
            Ok::<_, diesel::result::Error>(replayed)
        });
        match committed {
            Ok(replayed) => {
                self.pending = replayed.more;
                Ok(())
            }
            Err(e) if is_lock_timeout(&e) => {
                if !rows.is_empty() {
                    crate::db::transaction(c, |c| pending::put(c, &rows))
                        .map_err(|e| e.to_string())?;
                    self.pending = true;
                }
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn clear_spool(&mut self) {
        if let Some(spool) = self.spool.as_mut() {
            if let Err(e) = spool.clear() {
                // Its rows are committed; they are skipped when the spool is next read.
                log::warn!("audit spool not emptied: {e}");
            }
        }
    }

    fn spool_rows(&mut self, rows: &[AuditRow]) -> Result<(), String> {
        if rows.is_empty() {
            return Ok(());
        }
        match self.spool.as_mut() {
            Some(spool) => spool
                .push(rows)
                .map_err(|e| format!("the audit spool could not be written: {e}")),
            None => Err("no spool".into()),
        }
    }
}
