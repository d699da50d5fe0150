//! The audit spool of a SQLite database: a file beside it holding read rows whose commit could
//! not wait for the database's single write lock (an import or a long change holding it).
//! SQLite lets reads run beside a writer, but their audit rows need that lock; rather than make
//! every reader wait out another user's import, the writer thread appends the rows here and
//! answers: the record is as durable as a commit (see [`Spool::push`]). The writer moves spooled
//! rows into the chain, ahead of newer rows, as soon as it gets the lock again, and at the next
//! start after a crash (rows already in the trail are skipped, so a crash between the commit
//! and the truncation duplicates nothing).
//!
//! PostgreSQL keeps such rows in a table instead ([`super::pending`]): there the wait is for the
//! chain's head row, not for the whole database.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use diesel::prelude::*;

use super::{chain, AuditRow};
use crate::db::schema::audit_log;
use crate::db::{DbConn, DbError};

/// Ids looked up per query when skipping rows already committed.
const LOOKUP: usize = 500;

pub(crate) struct Spool {
    path: PathBuf,
    file: Option<File>,
    /// Rows written since the last [`Spool::clear`] (by this process; a spool left by a crashed
    /// run counts as at least one until drained).
    pending: usize,
}

impl Spool {
    /// The spool of the SQLite file at `db`: `<db>-audit-spool`, like SQLite's own `-wal`.
    pub(crate) fn beside(db: &Path) -> Spool {
        let mut name = db.as_os_str().to_owned();
        name.push("-audit-spool");
        let path = PathBuf::from(name);
        let pending = std::fs::metadata(&path)
            .map(|m| usize::from(m.len() > 0))
            .unwrap_or(0);
        Spool {
            path,
            file: None,
            pending,
        }
    }

    /// Whether rows wait to be moved into the trail.
    pub(crate) fn is_empty(&self) -> bool {
        self.pending == 0
    }

    fn open(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            let mut options = OpenOptions::new();
            options.create(true).append(true).read(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                // The rows name patients: readable by the service's user only, like the database.
                options.mode(0o600);
            }
            self.file = Some(options.open(&self.path)?);
        }
        match self.file.as_mut() {
            Some(f) => Ok(f),
            None => Err(std::io::Error::other("spool not open")),
        }
    }

    /// Appends `rows` (one JSON line each). Not synced: a written line survives the process
    /// dying, as a commit of the database does; like its commits (WAL, `synchronous = NORMAL`),
    /// the last moments before a power loss may not. A sync per batch here stalled reads for
    /// the length of the import's own disk writes.
    pub(crate) fn push(&mut self, rows: &[AuditRow]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(rows.len() * 256);
        for r in rows {
            serde_json::to_writer(&mut buf, r)?;
            buf.push(b'\n');
        }
        let file = self.open()?;
        file.write_all(&buf)?;
        self.pending += rows.len();
        Ok(())
    }

    /// Appends the spooled rows not yet in the trail to the chain on `conn` (in the caller's
    /// transaction), oldest first, `chunk` rows at a time, so memory does not grow with the
    /// reads spooled during a long import. A line cut short by a crash mid-write was never
    /// acknowledged to anyone; it is skipped with a warning.
    pub(crate) fn replay(&mut self, conn: &mut DbConn, chunk: usize) -> Result<usize, DbError> {
        let path = self.path.clone();
        let io = |e: std::io::Error| DbError::Unavailable(format!("{}: {e}", path.display()));
        let file = self.open().map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut rows: Vec<AuditRow> = Vec::with_capacity(chunk);
        let mut replayed = 0;
        for (n, line) in BufReader::new(&*file).lines().enumerate() {
            let line = line.map_err(io)?;
            if line.is_empty() {
                continue;
            }
            match serde_json::from_str(&line) {
                Ok(row) => rows.push(row),
                Err(e) => log::warn!(
                    "{}: line {} skipped (not a complete audit row: {e})",
                    path.display(),
                    n + 1
                ),
            }
            if rows.len() >= chunk {
                replayed += append_new(conn, &mut rows)?;
            }
        }
        replayed += append_new(conn, &mut rows)?;
        Ok(replayed)
    }

    /// Empties the spool once its rows are committed.
    pub(crate) fn clear(&mut self) -> std::io::Result<()> {
        let file = self.open()?;
        file.set_len(0)?;
        file.sync_data()?;
        self.pending = 0;
        Ok(())
    }
}

/// Appends the rows of `rows` not already in the trail (committed before a crash cut the
/// spool's truncation short), then empties `rows`.
fn append_new(conn: &mut DbConn, rows: &mut Vec<AuditRow>) -> Result<usize, DbError> {
    let mut done: HashSet<String> = HashSet::new();
    for part in rows.chunks(LOOKUP) {
        let ids: Vec<&str> = part.iter().map(|r| r.id.as_str()).collect();
        let found: Vec<String> = audit_log::table
            .filter(audit_log::id.eq_any(ids))
            .select(audit_log::id)
            .load(conn)?;
        done.extend(found);
    }
    rows.retain(|r| !done.contains(&r.id));
    let n = rows.len();
    if n > 0 {
        chain::append(conn, rows)?;
    }
    rows.clear();
    Ok(n)
}
