//! The audit spool of a SQLite database: a file beside it (`<db>-audit-spool`) where the rows of
//! reads are committed first. A read is answered once its row is appended here; the chainer
//! ([`super::chainer`]) moves the rows into the hash chain a few milliseconds later, many per
//! transaction, and empties the file whenever it has caught up.
//!
//! Why a file first: each SQLite commit has a fixed part (the last page of every audit index
//! written to the WAL, the head row, the write lock taken in turn with the changes) that
//! outweighed a read's own work, and every reader waited for a commit. An appended line is as
//! durable as such a commit (see [`Spool::append`]), costs one `write` per batch, and does not
//! take the database's write lock, so reads neither wait for each other's commits nor for an
//! import holding the lock.
//!
//! The file is locked (`flock`) by the process that owns it. A file found at start-up holds rows
//! of a run that stopped before chaining them: they are chained first, skipping any that made it
//! into the trail before the stop. PostgreSQL keeps rows a write could not chain in a table
//! instead ([`super::pending`]).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use diesel::prelude::*;

use super::{chain, AuditRow};
use crate::db::schema::audit_log;
use crate::db::{DbConn, DbError};

/// Ids looked up per query when skipping rows already committed.
const LOOKUP: usize = 500;

pub(crate) struct Spool {
    path: PathBuf,
    tail: Mutex<Tail>,
}

/// A spool file set aside by [`Spool::seal`]: nothing is appended to it any more; the chainer
/// reads it to its end, then deletes it.
pub(crate) struct Sealed {
    path: PathBuf,
    file: File,
    /// Positions of its first byte and of its end.
    start: u64,
    pub(crate) end: u64,
}

/// The appending side, behind the lock the chainer takes to empty the file.
pub(crate) struct Tail {
    file: File,
    /// Bytes in the file now.
    len: u64,
    /// Bytes ever appended (the file's first byte is at `total - len`).
    total: u64,
}

/// A run of complete lines read from the spool.
pub(crate) struct Chunk {
    pub(crate) rows: Vec<AuditRow>,
    /// Where the next read starts (a position in [`Spool::total`]'s numbering).
    pub(crate) end: u64,
}

impl Spool {
    /// Opens (creates) the spool of the SQLite file at `db` for this process. Returns it, the
    /// bytes in it already (rows of an earlier run, chained with [`append_new`]) and other spool
    /// files of earlier runs that nobody holds.
    pub(crate) fn open(db: &Path) -> std::io::Result<(Spool, u64, Vec<PathBuf>)> {
        let mut name = db.as_os_str().to_owned();
        name.push("-audit-spool");
        let main = PathBuf::from(name);
        let (path, file) = match open_locked(&main)? {
            Some(file) => (main.clone(), file),
            // Another process on this database holds the usual name: a name of our own.
            None => {
                let mut name = main.as_os_str().to_owned();
                name.push(format!(".{}", uuid::Uuid::now_v7()));
                let path = PathBuf::from(name);
                let file = open_locked(&path)?.ok_or_else(|| {
                    std::io::Error::other(format!("{} is locked", path.display()))
                })?;
                (path, file)
            }
        };
        // Appends go after a line a crash cut short, which would spoil the next line too.
        let len = complete_len(&file, &path)?;
        file.set_len(len)?;
        let orphans = orphans(&main, &path);
        Ok((
            Spool {
                path,
                tail: Mutex::new(Tail {
                    file,
                    len,
                    total: len,
                }),
            },
            len,
            orphans,
        ))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Tail> {
        self.tail.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes ever appended: every row appended before this call lies before it.
    pub(crate) fn total(&self) -> u64 {
        self.lock().total
    }

    /// Appends `rows`, one JSON line each, in one `write`. Not synced: a written line survives
    /// the process dying, as a commit of the database does; like its commits (WAL,
    /// `synchronous = NORMAL`), the last moments before a power loss may not. On a failed write
    /// the file is cut back, so no partial line stays for the chainer.
    pub(crate) fn append(&self, rows: &[AuditRow]) -> std::io::Result<()> {
        use std::io::Write;
        let mut buf = Vec::with_capacity(rows.len() * 512);
        for r in rows {
            serde_json::to_writer(&mut buf, r)?;
            buf.push(b'\n');
        }
        let mut tail = self.lock();
        if let Err(e) = tail.file.write_all(&buf) {
            let len = tail.len;
            if let Err(cut) = tail.file.set_len(len) {
                log::error!(
                    "{}: not cut back after a failed write: {cut}",
                    self.path.display()
                );
            }
            return Err(e);
        }
        tail.len += buf.len() as u64;
        tail.total += buf.len() as u64;
        Ok(())
    }

    /// Complete lines from `from` on, up to `max` bytes (at least one line), parsed.
    pub(crate) fn read(&self, from: u64, max: u64) -> std::io::Result<Chunk> {
        let (file, start, total) = {
            let tail = self.lock();
            (tail.file.try_clone()?, tail.total - tail.len, tail.total)
        };
        read_range(&file, &self.path, from, start, total, max)
    }

    /// Sets the file aside under another name (`<spool>.<time-ordered id>`) and starts an empty
    /// one, holding the appends up only for a rename and an open: under a steady stream of
    /// reads the chainer is never at the end of the file, so it could never empty it.
    pub(crate) fn seal(&self) -> std::io::Result<Sealed> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{}", uuid::Uuid::now_v7()));
        let sealed = PathBuf::from(name);
        let mut tail = self.lock();
        std::fs::rename(&self.path, &sealed)?;
        let fresh = match open_locked(&self.path) {
            Ok(Some(file)) => file,
            failed => {
                let _ = std::fs::rename(&sealed, &self.path);
                return Err(failed
                    .err()
                    .unwrap_or_else(|| std::io::Error::other("the new spool file is locked")));
            }
        };
        let file = std::mem::replace(&mut tail.file, fresh);
        let start = tail.total - tail.len;
        tail.len = 0;
        Ok(Sealed {
            path: sealed,
            file,
            start,
            end: tail.total,
        })
    }
}

impl Sealed {
    /// Complete lines from `from` on, up to `max` bytes.
    pub(crate) fn read(&self, from: u64, max: u64) -> std::io::Result<Chunk> {
        read_range(&self.file, &self.path, from, self.start, self.end, max)
    }

    /// Deletes the file once its rows are chained.
    pub(crate) fn remove(self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            // Its rows are skipped when it is read at a later start.
            log::warn!("{}: not removed: {e}", self.path.display());
        }
    }
}

impl Tail {
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Empties the file once everything in it is in the chain (`chained` is [`Tail::total`]).
    pub(crate) fn clear(&mut self, path: &Path, chained: u64) {
        if chained != self.total || self.len == 0 {
            return;
        }
        match self.file.set_len(0) {
            Ok(()) => self.len = 0,
            // Its rows are committed; they are skipped if the file is read at a later start.
            Err(e) => log::warn!("{}: not emptied: {e}", path.display()),
        }
    }
}

fn read_range(
    file: &File,
    path: &Path,
    from: u64,
    start: u64,
    total: u64,
    max: u64,
) -> std::io::Result<Chunk> {
    use std::os::unix::fs::FileExt;
    let from = from.max(start);
    let want = (total - from).min(max);
    let mut buf = vec![0u8; usize::try_from(want).unwrap_or(usize::MAX)];
    file.read_exact_at(&mut buf, from - start)?;
    // Whole lines only; a longer first line than `max` is read whole.
    let mut cut = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if cut == 0 && from + want < total {
        let mut rest = vec![0u8; usize::try_from(total - from - want).unwrap_or(0)];
        file.read_exact_at(&mut rest, from + want - start)?;
        buf.extend_from_slice(&rest);
        cut = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    }
    buf.truncate(cut);
    Ok(Chunk {
        rows: parse(path, &buf, from - start),
        end: from + cut as u64,
    })
}

/// The rows of spool lines starting at byte `offset` of the file; a line that is not an audit
/// row is skipped with a warning naming where it starts.
fn parse(path: &Path, lines: &[u8], offset: u64) -> Vec<AuditRow> {
    let mut rows = Vec::new();
    let mut at = offset;
    for line in lines.split(|&b| b == b'\n') {
        if !line.is_empty() {
            match serde_json::from_slice(line) {
                Ok(row) => rows.push(row),
                Err(e) => log::warn!(
                    "{}: the line at byte {at} skipped (not an audit row: {e})",
                    path.display()
                ),
            }
        }
        at += line.len() as u64 + 1;
    }
    rows
}

/// Opens `path` for appending and locks it; `None` when another process (or another database
/// handle in this one) holds it.
fn open_locked(path: &Path) -> std::io::Result<Option<File>> {
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The rows name patients: readable by the service's user only, like the database.
        options.mode(0o600);
    }
    let file = options.open(path)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(file)),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Spool files of stopped runs beside `main` (`main` itself excepted, and `own`).
fn orphans(main: &Path, own: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (main.parent(), main.file_name()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut prefix = name.to_owned();
    prefix.push(".");
    let prefix = prefix.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .filter(|p| p != own && p != main)
        .collect();
    // Their names end in a time-ordered id: oldest first.
    found.sort();
    found
}

/// Chains the rows of the spool file `path` left by a stopped run (skipping rows already in
/// the trail), about `max` bytes of rows per call of `commit`, then deletes it. Skipped, and
/// left for a later start, when a live process holds it.
pub(crate) fn recover_file(
    path: &Path,
    max: u64,
    commit: &mut dyn FnMut(&mut Vec<AuditRow>) -> Result<(), String>,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let Some(file) = open_locked(path).map_err(io)? else {
        return Ok(());
    };
    let len = complete_len(&file, path).map_err(io)?;
    let mut at = 0;
    while at < len {
        let mut chunk = read_range(&file, path, at, 0, len, max).map_err(io)?;
        commit(&mut chunk.rows)?;
        at = chunk.end;
    }
    std::fs::remove_file(path).map_err(io)
}

/// The length of `file` up to its last complete line. A line cut short by a crash mid-write was
/// never acknowledged to anyone: it is skipped with a warning.
fn complete_len(file: &File, path: &Path) -> std::io::Result<u64> {
    use std::os::unix::fs::FileExt;
    const BLOCK: u64 = 64 << 10;
    let len = file.metadata()?.len();
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let mut buf = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        file.read_exact_at(&mut buf, start)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            let complete = start + i as u64 + 1;
            if complete < len {
                log::warn!(
                    "{}: {} bytes at the end skipped (not a complete audit row)",
                    path.display(),
                    len - complete
                );
            }
            return Ok(complete);
        }
        end = start;
    }
    if len > 0 {
        log::warn!(
            "{}: {len} bytes skipped (not a complete audit row)",
            path.display()
        );
    }
    Ok(0)
}

/// Appends the rows of `rows` not already in the trail (committed before a stop cut the
/// spool's emptying short), in the caller's transaction; `rows` keeps the appended ones.
pub(crate) fn append_new(conn: &mut DbConn, rows: &mut Vec<AuditRow>) -> Result<usize, DbError> {
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
    if !rows.is_empty() {
        chain::append(conn, rows)?;
    }
    Ok(rows.len())
}
