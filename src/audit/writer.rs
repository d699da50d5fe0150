//! Group commit of the audit rows of reads. Reads run on read connections; their rows are
//! handed to one writer thread per process, which appends everything queued while its previous
//! commit ran (a millisecond or two under load, one row when idle) in one transaction, then
//! answers each caller. A response waits for the commit holding its row, so no read is served
//! without its record, even if the process dies a moment later. The index rows of the records a
//! row names (the patients of a list page) are part of the same commit.

use std::sync::mpsc;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::{chain, AuditRow};
use crate::db::{Backend, DbConn, DbError};

/// Rows at most in one commit: bounds the statement sizes and the time one batch holds the
/// head; anything beyond waits for the next round.
const MAX_BATCH_ROWS: usize = 5000;

/// Bytes of details at most in one commit, for the same reason: a row of a list page names up to
/// 1,000 records (about 40 KB), each also written as an index row, so rows alone do not bound a
/// batch of pages. About 100 such pages (100,000 index rows) fit.
const MAX_BATCH_BYTES: usize = 4 << 20;

fn weight(rows: &[AuditRow]) -> usize {
    rows.iter().map(|r| r.details.len()).sum()
}

struct Job {
    rows: Vec<AuditRow>,
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
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job { rows, done })
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
    let mut conn: Option<DbConn> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        let mut rows_in = batch[0].rows.len();
        let mut bytes_in = weight(&batch[0].rows);
        while rows_in < MAX_BATCH_ROWS && bytes_in < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(job) => {
                    rows_in += job.rows.len();
                    bytes_in += weight(&job.rows);
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let outcome = commit_batch(&backend, &gate, &mut conn, &mut batch);
        if let Err(why) = &outcome {
            log::error!("audit batch of {rows_in} rows not written: {why}");
            // A broken connection is replaced on the next batch.
            conn = None;
        }
        for job in batch {
            let _ = job.done.send(outcome.clone());
        }
    }
}

fn commit_batch(
    backend: &Backend,
    gate: &WriteGate,
    conn: &mut Option<DbConn>,
    batch: &mut [Job],
) -> Result<(), String> {
    let rows: Vec<AuditRow> = batch
        .iter_mut()
        .flat_map(|j| std::mem::take(&mut j.rows))
        .collect();
    let _held = gate.as_ref().map(|g| g.blocking_lock());
    if conn.is_none() {
        *conn = Some(backend.connect().map_err(|e| e.to_string())?);
    }
    let Some(c) = conn.as_mut() else {
        return Err("no connection".into());
    };
    crate::db::transaction(c, |c| chain::append(c, rows).map(|_| ())).map_err(|e| e.to_string())
}
