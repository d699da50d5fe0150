//! Moves the rows of reads from the SQLite spool ([`super::spool`]) into the hash chain: every
//! [`CHAIN_EVERY`] while rows come, many rows per transaction, in turn with the process's other
//! writers on the write gate. Rows left by a stopped run are chained first. A listing of the
//! trail asks for a flush ([`Chainer::flush`]), so it shows every read answered before it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::spool::{self, Sealed, Spool};
use super::writer::connection;
use super::{chain, AuditRow};
use crate::db::{Backend, DbConn, DbError};

/// How long rows gather in the spool before a commit while reads come: a commit's fixed part
/// (the last page of each audit index written to the WAL, the head row, a turn of the write
/// gate) is then shared by a few hundred rows instead of a dozen.
const CHAIN_EVERY: Duration = Duration::from_millis(10);

/// Bytes of rows at most in one commit (about 2,000 rows): bounds how long the chainer holds
/// the write lock the changes also need.
const MAX_CHUNK: u64 = 1 << 20;

/// Past this size the spool file is set aside ([`Spool::seal`]) and deleted once chained, so
/// under a steady stream of reads it does not grow with the reads served.
const FULL: u64 = 4 << 20;

/// How long a listing of the trail waits for the reads before it to be chained (an import
/// holding the write lock delays them); after that it lists what is there.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

/// How long to wait after a failed commit before trying again (the rows stay in the spool).
const RETRY: Duration = Duration::from_millis(200);

enum Msg {
    /// Rows were appended while the chainer waited with nothing to do.
    Nudge,
    /// Answer once everything before this spool position is in the chain.
    Flush(u64, oneshot::Sender<()>),
}

/// Handle of the chainer thread; the thread chains what is left and ends when the last handle
/// is dropped.
#[derive(Clone)]
pub(crate) struct Chainer {
    tx: mpsc::Sender<Msg>,
    idle: Arc<AtomicBool>,
}

impl Chainer {
    /// Starts the chainer of `spool`: first the `orphans` (spool files of stopped runs) and the
    /// `recover` bytes the spool held at its opening, skipping rows already in the trail.
    pub(crate) fn start(
        backend: Backend,
        gate: Arc<tokio::sync::Mutex<()>>,
        spool: Arc<Spool>,
        recover: u64,
        orphans: Vec<PathBuf>,
    ) -> std::io::Result<Chainer> {
        let (tx, rx) = mpsc::channel();
        let idle = Arc::new(AtomicBool::new(false));
        let clock = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        let mut state = State {
            backend,
            gate,
            spool,
            clock,
            conn: None,
            chained: 0,
            waiters: Vec::new(),
            sealed: None,
        };
        let flag = idle.clone();
        std::thread::Builder::new()
            .name("audit-chainer".into())
            .spawn(move || {
                state.recover(recover, &orphans);
                state.run(&rx, &flag);
            })?;
        Ok(Chainer { tx, idle })
    }

    /// Tells an idle chainer that rows came.
    pub(crate) fn nudge(&self) {
        if self.idle.swap(false, Ordering::AcqRel) {
            let _ = self.tx.send(Msg::Nudge);
        }
    }

    /// Returns once the rows before spool position `upto` are in the chain, or after
    /// [`FLUSH_WAIT`].
    pub(crate) async fn flush(&self, upto: u64) -> Result<(), DbError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Msg::Flush(upto, done))
            .map_err(|_| DbError::Unavailable("the audit chainer stopped".into()))?;
        match actix_web::rt::time::timeout(FLUSH_WAIT, wait).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(DbError::Unavailable("the audit chainer stopped".into())),
            Err(_) => {
                log::warn!(
                    "audit rows of recent reads not chained within {FLUSH_WAIT:?} (the write lock is held); listing without them"
                );
                Ok(())
            }
        }
    }
}

struct State {
    backend: Backend,
    gate: Arc<tokio::sync::Mutex<()>>,
    spool: Arc<Spool>,
    /// Waits for the gate from this plain thread.
    clock: tokio::runtime::Runtime,
    conn: Option<DbConn>,
    /// Spool position up to which rows are in the chain.
    chained: u64,
    waiters: Vec<(u64, oneshot::Sender<()>)>,
    /// The file set aside last, until its rows are chained.
    sealed: Option<Sealed>,
}

impl State {
    fn recover(&mut self, recover: u64, orphans: &[PathBuf]) {
        for path in orphans {
            let mut commit = |rows: &mut Vec<AuditRow>| self.commit_new(rows);
            match spool::recover_file(path, MAX_CHUNK, &mut commit) {
                Ok(()) => {}
                Err(e) => log::error!("audit spool {} not recovered: {e}", path.display()),
            }
        }
        while self.chained < recover {
            let chunk = match self
                .spool
                .read(self.chained, MAX_CHUNK.min(recover - self.chained))
            {
                Ok(chunk) => chunk,
                Err(e) => {
                    log::error!("{}: not read: {e}", self.spool.path().display());
                    std::thread::sleep(RETRY);
                    continue;
                }
            };
            let mut rows = chunk.rows;
            match self.commit_new(&mut rows) {
                Ok(()) => self.chained = chunk.end,
                Err(e) => {
                    log::error!("audit rows of an earlier run not chained: {e}");
                    std::thread::sleep(RETRY);
                }
            }
        }
    }

    /// Chains `rows` but those already in the trail, in one transaction under the gate.
    fn commit_new(&mut self, rows: &mut Vec<AuditRow>) -> Result<(), String> {
        if rows.is_empty() {
            return Ok(());
        }
        let _held = self.clock.block_on(self.gate.lock());
        let conn = connection(&self.backend, &mut self.conn)?;
        let done = crate::db::transaction(conn, |c| spool::append_new(c, rows));
        done.map(|_| ()).map_err(|e| {
            self.conn = None;
            e.to_string()
        })
    }

    fn run(&mut self, rx: &mpsc::Receiver<Msg>, idle: &AtomicBool) {
        let mut last = Instant::now();
        let mut stopping = false;
        loop {
            if self.spool.total() <= self.chained {
                self.answer();
                if stopping {
                    return;
                }
                // Set before looking again, so an append after the look nudges.
                idle.store(true, Ordering::Release);
                if self.spool.total() <= self.chained {
                    match rx.recv() {
                        Ok(msg) => self.take(msg),
                        Err(_) => stopping = true,
                    }
                }
                idle.store(false, Ordering::Release);
                continue;
            }
            // Let rows gather, unless someone waits for them.
            let deadline = last + CHAIN_EVERY;
            while !stopping && self.waiters.is_empty() {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                match rx.recv_timeout(deadline - now) {
                    Ok(msg) => self.take(msg),
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => stopping = true,
                }
            }
            last = Instant::now();
            if let Err(e) = self.chain_once() {
                log::error!("audit rows of reads not chained yet (they stay in the spool): {e}");
                self.conn = None;
                std::thread::sleep(RETRY);
                if stopping {
                    return;
                }
            }
            self.answer();
        }
    }

    fn take(&mut self, msg: Msg) {
        if let Msg::Flush(upto, done) = msg {
            self.waiters.push((upto, done));
        }
    }

    /// Answers the flushes whose rows are all chained.
    fn answer(&mut self) {
        let chained = self.chained;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|(upto, _)| *upto <= chained);
        self.waiters = waiting;
        for (_, done) in ready {
            let _ = done.send(());
        }
    }

    /// Chains the next chunk of the spool in one transaction (of a file set aside first);
    /// empties the spool when that reached its end, and sets it aside when it grew past
    /// [`FULL`] instead.
    fn chain_once(&mut self) -> Result<(), String> {
        let path = self.spool.path().to_path_buf();
        let io = |e: std::io::Error| format!("{}: {e}", path.display());
        if self.sealed.is_none() && self.spool.lock().len() > FULL {
            self.sealed = Some(self.spool.seal().map_err(io)?);
        }
        let chunk = match &self.sealed {
            Some(sealed) => sealed.read(self.chained, MAX_CHUNK),
            None => self.spool.read(self.chained, MAX_CHUNK),
        }
        .map_err(io)?;
        let mut rows = chunk.rows;
        if !rows.is_empty() {
            let _held = self.clock.block_on(self.gate.lock());
            let conn = connection(&self.backend, &mut self.conn)?;
            crate::db::transaction(conn, |c| chain::append(c, &mut rows))
                .map_err(|e| e.to_string())?;
        }
        self.chained = chunk.end;
        match self.sealed.take() {
            Some(sealed) if sealed.end <= self.chained => sealed.remove(),
            Some(sealed) => self.sealed = Some(sealed),
            None => self.spool.lock().clear(&path, self.chained),
        }
        Ok(())
    }
}
