//! SQLite's WAL checkpoints on a thread of their own. By default the connection whose commit
//! takes the WAL past 1,000 pages copies them into the database file and syncs it, inside that
//! commit, while every other writer waits on the one write lock (under 100 clients a COMMIT,
//! checkpoints included, was 0.5 ms of a change's 1.85 ms turn; with them here the same load
//! served about a fifth more requests). A PASSIVE checkpoint needs no write lock, so run here it overlaps
//! the writes instead of holding them up. The connections' own automatic checkpoint stays, at
//! [`FALLBACK_PAGES`], in case this thread falls behind (or a process runs without one).

use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::{Backend, DbConn};

/// How often the WAL is copied back.
const EVERY: Duration = Duration::from_millis(50);

/// WAL pages (4 KiB) after which a committing connection checkpoints itself, as SQLite does
/// at 1,000 by default.
pub(super) const FALLBACK_PAGES: u32 = 10_000;

/// Handle of the thread; the thread checkpoints once more and ends when it is dropped.
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing `backend` (SQLite; `None` on PostgreSQL or when no thread starts,
    /// and SQLite's own checkpoints then do the work).
    pub(super) fn start(backend: &Backend) -> Option<Checkpointer> {
        if !backend.is_sqlite() {
            return None;
        }
        let backend = backend.clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let started = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || run(&backend, &stopped));
        match started {
            Ok(_) => Some(Checkpointer { _stop: stop }),
            Err(e) => {
                log::warn!("no checkpoint thread ({e}); SQLite checkpoints on commit");
                None
            }
        }
    }
}

fn run(backend: &Backend, stopped: &mpsc::Receiver<()>) {
    let mut conn: Option<DbConn> = None;
    loop {
        let last = match stopped.recv_timeout(EVERY) {
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            // Every handle gone (or a stray send): one more, then end.
            _ => true,
        };
        if conn.is_none() {
            conn = backend.connect().ok();
        }
        if let Some(c) = conn.as_mut() {
            // PASSIVE copies what no reader still needs and never waits for a lock; frames a
            // reader holds are copied on a later round.
            if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                log::warn!("WAL checkpoint failed: {e}");
                conn = None;
            }
        }
        if last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use diesel::connection::SimpleConnection;

    use crate::db::{Db, PoolOptions};

    /// Pages committed to the WAL reach the database file without any commit crossing SQLite's
    /// own threshold: this thread copied them.
    #[test]
    fn committed_pages_reach_the_database_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("ckpt.db");
        let db = Db::open(
            &path.to_string_lossy(),
            &PoolOptions {
                max_size: 2,
                connection_timeout: Duration::from_secs(5),
            },
        )
        .expect("database");
        let before = std::fs::metadata(&path).expect("file").len();
        // About 300 pages: far below the fallback threshold, so only a checkpoint by this
        // thread grows the file.
        db.conn()
            .expect("connection")
            .batch_execute(
                "CREATE TABLE filler (x BLOB); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
                 INSERT INTO filler SELECT randomblob(4000) FROM n;",
            )
            .expect("rows");
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut after = before;
        while Instant::now() < deadline {
            after = std::fs::metadata(&path).expect("file").len();
            if after >= before + 300 * 4000 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            after >= before + 300 * 4000,
            "database file {before} -> {after} bytes: the WAL was not checkpointed"
        );
    }
}
