//! Group commit of the audit rows of reads. Reads run on read connections; their rows are
//! handed to one writer thread per process, which takes everything queued since its last turn
//! at once, then answers each caller. A response waits for the commit holding its row, so no
//! read is served without its record, even if the process dies a moment later.
//!
//! On SQLite that commit is an append to the audit spool beside the database
//! ([`super::spool`]), which the chainer ([`super::chainer`]) moves into the hash chain a few
//! milliseconds later, many rows per transaction. On PostgreSQL it is a transaction appending
//! the rows to the chain (everything queued while its previous commit ran, and under
//! concurrent reads what comes in a further [`LINGER`]); the index rows of the records a row
//! names (the patients of a list page) are part of the same commit.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::chainer::Chainer;
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

/// How long the writer waits for PostgreSQL's chain head before setting read rows aside
/// ([`super::pending`]): longer than an ordinary chaining holds it, far shorter than an import.
const SPOOL_AFTER: Duration = Duration::from_millis(20);

/// How long rows gather before a commit when reads come concurrently (the previous batch
/// held more than one): added to a read's answer, it buys commits of many rows instead of few.
const LINGER: Duration = Duration::from_micros(300);

/// How often an idle writer on PostgreSQL looks for rows parked by an instance that stopped
/// before chaining them.
const LOOK_FOR_PARKED: Duration = Duration::from_secs(5);

/// How often parked rows are retried when no new rows come.
const RETRY_PARKED: Duration = Duration::from_millis(200);

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
pub struct AuditWriter(Mode);

enum Mode {
    /// SQLite: the spool the rows go to, and the thread moving them into the chain.
    Spooled(Arc<Spool>, Chainer),
    /// PostgreSQL: the writer thread's queue.
    Thread(mpsc::Sender<Job>),
}

/// Serialises SQLite write transactions inside the process (FIFO), so writers queue on it
/// instead of sleeping in SQLite's busy handler. `None` on PostgreSQL, where row locks do.
pub type WriteGate = Option<Arc<tokio::sync::Mutex<()>>>;

impl AuditWriter {
    /// Starts the writer: on SQLite, on the spool beside the database (with `gate`, the
    /// process's write gate, for its chainer); on PostgreSQL, on its own connection.
    pub fn start(backend: Backend, gate: WriteGate) -> std::io::Result<AuditWriter> {
        if let (Backend::Sqlite(path), Some(gate)) = (&backend, gate) {
            let (spool, recover, orphans) = Spool::open(path)?;
            let spool = Arc::new(spool);
            let chainer = Chainer::start(backend.clone(), gate, spool.clone(), recover, orphans)?;
            return Ok(AuditWriter(Mode::Spooled(spool, chainer)));
        }
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || run(backend, rx))?;
        Ok(AuditWriter(Mode::Thread(jobs)))
    }

    /// Returns once the rows of every read answered before the call are in the chain (SQLite:
    /// moved from the spool; PostgreSQL: at once, they were chained before the answer), so a
    /// listing of the trail shows them. Waits a few seconds at most.
    pub(crate) async fn flush(&self) -> Result<(), DbError> {
        match &self.0 {
            Mode::Spooled(spool, chainer) => chainer.flush(spool.total()).await,
            Mode::Thread(_) => Ok(()),
        }
    }

    /// Appends `rows` and returns once they are committed.
    pub(crate) async fn commit(&self, rows: Vec<AuditRow>) -> Result<(), DbError> {
        if rows.is_empty() {
            return Ok(());
        }
        if let Mode::Spooled(spool, chainer) = &self.0 {
            // On the caller's thread: one `write` into the page cache takes a few microseconds,
            // less than handing the rows to another thread and being woken again. Concurrent
            // reads still share the chaining commits.
            spool.append(&rows).map_err(|e| {
                DbError::Unavailable(format!("the audit spool could not be written: {e}"))
            })?;
            chainer.nudge();
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
        // SQLite parks nothing: its writes chain their rows in their own transaction.
        let Mode::Thread(jobs) = &self.0 else {
            return Ok(());
        };
        jobs.send(Job {
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

/// PostgreSQL: commits each turn's rows to the chain.
fn run(backend: Backend, rx: mpsc::Receiver<Job>) {
    let mut out = Output {
        conn: None,
        backend,
        pending: false,
        pending_checked: false,
    };
    let mut concurrent = false;
    loop {
        // Now and then look for rows another instance parked and could not chain (it died).
        let wait = if out.pending {
            RETRY_PARKED
        } else {
            LOOK_FOR_PARKED
        };
        let first = match rx.recv_timeout(wait) {
            Ok(job) => Some(job),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                out.pending_checked = out.pending;
                None
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        // Under concurrent reads, let a moment's rows gather first: a commit's fixed part
        // outweighs a row's, so committing each trickle of 3-6 rows as it came spent a third
        // of a core on commits.
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
        let outcome = out.commit_or_park(rows);
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
}

/// Where the PostgreSQL writer thread puts rows.
struct Output {
    backend: Backend,
    conn: Option<DbConn>,
    /// Whether rows may wait in `audit_pending`, and whether that was looked up.
    pending: bool,
    pending_checked: bool,
}

/// PostgreSQL's "canceling statement due to lock timeout" (SQLSTATE 55P03), which diesel does
/// not classify.
fn is_lock_timeout(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message().contains("lock timeout"))
}

/// The connection of an audit thread (this writer's, the SQLite chainer's), opened on first
/// need.
pub(super) fn connection<'c>(
    backend: &Backend,
    conn: &'c mut Option<DbConn>,
) -> Result<&'c mut DbConn, String> {
    if conn.is_none() {
        let mut c = backend.connect().map_err(|e| e.to_string())?;
        use diesel::connection::SimpleConnection;
        if let DbConn::Postgres(inner) = &mut c {
            // The head held by another instance's chaining, or a command's, is waited for
            // briefly, then the rows are parked. For the session: this connection is the
            // writer's alone, and a statement per batch saved.
            inner
                .batch_execute(&format!(
                    "SET lock_timeout = '{}ms'",
                    SPOOL_AFTER.as_millis()
                ))
                .map_err(|e| e.to_string())?;
        }
        *conn = Some(c);
    }
    conn.as_mut().ok_or_else(|| "no connection".to_string())
}

impl Output {
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
}
