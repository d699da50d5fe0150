//! The database: one connection type over SQLite or PostgreSQL (chosen from the URL at run time),
//! two r2d2 pools (read connections and write connections), embedded migrations, the audit
//! writer, and the helpers handlers use to reach them off the async executor (`Db::read`,
//! `Db::read_audited`, `Db::write`).

mod checkpoint;
pub mod schema;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::audit::writer::{AuditWriter, WriteGate};
use crate::audit::{self, Actor, Event};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. Queries are written once against this type.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL: {0}")]
    Url(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("the database worker was cancelled")]
    Cancelled,
    /// The database is busy beyond the wait allowed (503 with Retry-After).
    #[error("the database is busy: {0}")]
    Unavailable(String),
}

/// Which backend a URL selects, with what to hand the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    Sqlite(PathBuf),
}

impl Backend {
    /// `postgres://` / `postgresql://` select PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a
    /// bare path select a SQLite file. Not `Connection::establish` on the enum: SQLite would
    /// accept any string, including a mistyped PostgreSQL URL.
    pub fn from_url(url: &str) -> Result<Backend, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path == ":memory:" || path.contains("://") {
            return Err(DbError::Url(format!(
                "{url:?}: use postgres://... or the path of a SQLite file (in-memory SQLite cannot be shared by a pool)"
            )));
        }
        Ok(Backend::Sqlite(PathBuf::from(path)))
    }

    /// Whether this is SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Backend::Sqlite(_))
    }

    /// One connection outside the pools (migrations, tests of migrations).
    pub fn connect(&self) -> Result<DbConn, DbError> {
        match self {
            Backend::Postgres(url) => Ok(DbConn::Postgres(PgConnection::establish(url)?)),
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // Busy timeout first: the other pragmas may already need the lock. A 32 MiB page
                // cache (default 2 MiB) keeps a large import's index pages in memory instead of
                // re-reading them from the WAL; it is a bound, not an allocation. Checkpoints are
                // [`checkpoint`]'s; the automatic one only bounds the WAL without it.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = {};",
                    checkpoint::FALLBACK_PAGES
                ))?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// r2d2 manager building the right variant from the parsed URL.
pub struct Manager {
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        self.backend.connect()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

/// The pools and the backend they talk to. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    /// Write transactions (and blocking callers: CLI commands, jobs).
    pool: r2d2::Pool<Manager>,
    /// Reads, so they never queue behind a write transaction for a connection.
    readers: r2d2::Pool<Manager>,
    backend: Backend,
    /// SQLite's single writer as a FIFO queue inside the process (see [`WriteGate`]).
    gate: WriteGate,
    wait: Duration,
    audit: Arc<OnceLock<Result<AuditWriter, String>>>,
    /// SQLite: WAL checkpoints off the writers' path while any clone lives.
    _checkpoints: Option<Arc<checkpoint::Checkpointer>>,
}

impl Db {
    /// Applies pending migrations on one dedicated connection, then opens the pools.
    pub fn open(url: &str, options: &PoolOptions) -> Result<Db, DbError> {
        let backend = Backend::from_url(url)?;
        migrate(&backend)?;
        let max_size = if backend.is_sqlite() {
            options.max_size.clamp(1, 8)
        } else {
            options.max_size.max(1)
        };
        // r2d2 runs `SELECT 1` on every checkout by default: a statement per request (a round
        // trip on PostgreSQL). A SQLite file connection does not break, so it is skipped there.
        let check = !backend.is_sqlite();
        let build = |size: u32| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .test_on_check_out(check)
                .connection_timeout(options.connection_timeout)
                .build(Manager {
                    backend: backend.clone(),
                })
        };
        let pool = build(max_size)?;
        let readers = build(max_size)?;
        audit::chain::seal_legacy(&mut *pool.get()?)?;
        let checkpoints = checkpoint::Checkpointer::start(&backend).map(Arc::new);
        let gate = backend
            .is_sqlite()
            .then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Db {
            pool,
            readers,
            backend,
            gate,
            wait: options.connection_timeout,
            audit: Arc::new(OnceLock::new()),
            _checkpoints: checkpoints,
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Runs `f` on a read connection on actix's blocking pool.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.readers.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Runs `f` in one read transaction (one snapshot) on a read connection; `f` pushes the
    /// audit events of what it read. They are committed by the audit writer (grouped with other
    /// reads' rows) before this returns, so nothing is answered without its record; a read
    /// never takes the write lock.
    pub async fn read_audited<T, E, F>(&self, actor: &Actor, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn, &mut Vec<Event>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.read_audited_on_pool(actor, true, f).await
    }

    /// [`Db::read_audited`], with `f` in a transaction of its own or not (`snapshot`).
    async fn read_audited_on_pool<T, E, F>(
        &self,
        actor: &Actor,
        snapshot: bool,
        f: F,
    ) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn, &mut Vec<Event>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let pool = self.readers.clone();
        let (value, events) = actix_web::web::block(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            let mut events = Vec::new();
            let value = if snapshot {
                conn.transaction(|c| f(c, &mut events))?
            } else {
                f(&mut conn, &mut events)?
            };
            Ok::<_, E>((value, events))
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))??;
        self.commit_audit(actor, events).await?;
        Ok(value)
    }

    /// [`Db::read_audited`] for reading one record by its key, without a transaction around
    /// it: one statement sees one state anyway, and BEGIN and COMMIT were two more round trips
    /// on PostgreSQL and, on SQLite, two statements parsed anew on each run (a tenth of an
    /// audited tumor read's CPU). On SQLite, when a read connection is free, `f` runs on the
    /// calling worker: a lookup in the page cache takes a few microseconds, less than handing
    /// the work to the blocking pool and back (two thread wake-ups). PostgreSQL's round trip,
    /// or no free connection, goes to the pool as usual. Only for bounded work: a list or a
    /// scan would hold up the worker's other requests.
    pub async fn lookup_audited<T, E, F>(&self, actor: &Actor, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn, &mut Vec<Event>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let free = match self.backend {
            Backend::Sqlite(_) => self.readers.try_get(),
            Backend::Postgres(_) => None,
        };
        let Some(mut conn) = free else {
            return self.read_audited_on_pool(actor, false, f).await;
        };
        let mut events = Vec::new();
        let value = f(&mut conn, &mut events)?;
        drop(conn);
        self.commit_audit(actor, events).await?;
        Ok(value)
    }

    /// Hands `events` to the audit writer and waits for the commit holding them.
    async fn commit_audit(&self, actor: &Actor, events: Vec<Event>) -> Result<(), DbError> {
        if events.is_empty() {
            return Ok(());
        }
        self.audit_writer()?
            .commit(audit::rows(actor, events))
            .await
    }

    /// Returns once the audit rows of every read answered so far (by this process, or spooled
    /// by an earlier run) are in the chain: listings of the trail call it first, so they show
    /// the reads before them. See [`AuditWriter::flush`].
    pub async fn flush_audit(&self) -> Result<(), DbError> {
        self.audit_writer()?.flush().await
    }

    fn audit_writer(&self) -> Result<&AuditWriter, DbError> {
        self.audit
            .get_or_init(|| {
                AuditWriter::start(self.backend.clone(), self.gate.clone())
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| DbError::Unavailable(format!("the audit writer did not start: {e}")))
    }

    /// Runs `f` in one write transaction on the blocking pool: `BEGIN IMMEDIATE` on SQLite so a
    /// read-then-write never has to upgrade its lock (which would fail at once with "database
    /// is locked" instead of waiting), a normal transaction on PostgreSQL. Any error rolls
    /// everything back. On SQLite, writers of this process queue first on the write gate.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let held = match &self.gate {
            Some(gate) => Some(
                actix_web::rt::time::timeout(self.wait, gate.clone().lock_owned())
                    .await
                    .map_err(|_| {
                        E::from(DbError::Unavailable(
                            "other writes held the database too long".into(),
                        ))
                    })?,
            ),
            None => None,
        };
        let pool = self.pool.clone();
        let (value, parked) = actix_web::web::block(move || {
            let _held = held;
            let mut conn = pool.get().map_err(DbError::from)?;
            let value = commit(&mut conn, f)?;
            Ok::<_, E>((value, audit::chain::take_parked()))
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))??;
        if parked {
            // The change and its audit rows are committed; answering waits for the rows to join
            // the chain, so the trail lists them by then. A failure leaves them parked for the
            // next chaining, not the change undone.
            if let Err(e) = self.audit_writer()?.chain_parked().await {
                log::warn!("audit rows of a write left parked: {e}");
            }
        }
        Ok(value)
    }

    /// A pooled connection for blocking callers (CLI commands, tests).
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, DbError> {
        Ok(self.pool.get()?)
    }
}

/// Runs `f` in a write transaction on `conn` (see [`Db::write`]). On PostgreSQL, the audit rows
/// it parked are chained right after the commit, on `conn` (a caller without an audit writer:
/// commands, jobs, tests).
pub fn transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let value = commit(conn, f)?;
    if audit::chain::take_parked() {
        if let Err(e) = audit::pending::chain_all(conn, PARKED_CHUNK) {
            log::warn!("audit rows of a write left parked: {e}");
        }
    }
    Ok(value)
}

/// Rows per statement when a command chains parked audit rows.
const PARKED_CHUNK: usize = 5000;

/// [`transaction`] without chaining parked rows: the caller has them chained.
fn commit<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let DbConn::Sqlite(inner) = conn else {
        return conn.transaction(|c| {
            let deferral = audit::chain::Deferral::begin(c);
            let value = f(c)?;
            deferral.finish(c)?;
            Ok(value)
        });
    };
    // diesel's `immediate_transaction` takes a closure over the SQLite connection itself, but
    // our queries need the enum; so open the transaction on the inner connection's manager (which
    // keeps nested transactions as savepoints) and finish it the same way.
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    let deferral = audit::chain::Deferral::begin(conn);
    let result = f(conn).and_then(|value| {
        deferral.finish(conn)?;
        Ok(value)
    });
    let DbConn::Sqlite(inner) = conn else {
        unreachable_backend()
    };
    match result {
        Ok(value) => {
            <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(
                inner,
            )?;
            Ok(value)
        }
        Err(e) => {
            <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(
                inner,
            )?;
            Err(e)
        }
    }
}

#[allow(clippy::panic)]
fn unreachable_backend() -> ! {
    // A closure cannot swap the variant of the connection it was lent.
    panic!("connection changed backend inside a transaction")
}

/// Applies every pending migration of the backend's embedded set. On SQLite, WAL is switched on
/// here (it is stored in the file, and switching needs a lock, so not per pooled connection),
/// foreign keys are off while migrating (table rebuilds must not cascade) and checked after.
pub fn migrate(backend: &Backend) -> Result<(), DbError> {
    let mut conn = backend.connect()?;
    let migrations = match &mut conn {
        DbConn::Sqlite(c) => {
            c.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF;")?;
            SQLITE_MIGRATIONS
        }
        DbConn::Postgres(_) => POSTGRES_MIGRATIONS,
    };
    conn.run_pending_migrations(migrations)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    if let DbConn::Sqlite(c) = &mut conn {
        let violations = diesel::sql_query("SELECT COUNT(*) AS n FROM pragma_foreign_key_check")
            .get_result::<Count>(c)?
            .n;
        if violations > 0 {
            return Err(DbError::Migration(format!(
                "{violations} foreign key violations after migrating"
            )));
        }
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn migrations_for(backend: &Backend) -> EmbeddedMigrations {
    if backend.is_sqlite() {
        SQLITE_MIGRATIONS
    } else {
        POSTGRES_MIGRATIONS
    }
}

/// Reverts every applied migration (tests use it to prove each migration reverts).
pub fn revert_all(backend: &Backend) -> Result<usize, DbError> {
    let mut conn = backend.connect()?;
    if let DbConn::Sqlite(c) = &mut conn {
        c.batch_execute("PRAGMA foreign_keys = OFF;")?;
    }
    let mut reverted = 0;
    while !conn
        .applied_migrations()
        .map_err(|e| DbError::Migration(e.to_string()))?
        .is_empty()
    {
        conn.revert_last_migration(migrations_for(backend))
            .map_err(|e| DbError::Migration(e.to_string()))?;
        reverted += 1;
    }
    Ok(reverted)
}

/// Reverts applied migrations, newest first, until the one whose version starts with
/// `version` is reverted too (tests of a data migration use it to stage older data).
pub fn revert_through(backend: &Backend, version: &str) -> Result<usize, DbError> {
    let mut conn = backend.connect()?;
    if let DbConn::Sqlite(c) = &mut conn {
        c.batch_execute("PRAGMA foreign_keys = OFF;")?;
    }
    let mut reverted = 0;
    loop {
        let applied = conn
            .applied_migrations()
            .map_err(|e| DbError::Migration(e.to_string()))?;
        if !applied.iter().any(|v| {
            v.to_string()
                .replace('-', "")
                .starts_with(&version.replace('-', ""))
        }) {
            return Ok(reverted);
        }
        conn.revert_last_migration(migrations_for(backend))
            .map_err(|e| DbError::Migration(e.to_string()))?;
        reverted += 1;
    }
}

/// Runs `$body` with `$c` bound to the concrete connection of `$conn`. Through the two-backend
/// connection diesel keys its statement cache by the SQL text, which it builds anew on each run
/// (a tenth of an audited tumor read's CPU); on the concrete connection a query whose type fixes
/// its text is looked up by that type. For the hottest reads.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut *$conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Inserts rows with multi-row INSERTs, `chunk` rows per statement. The two-backend connection
/// cannot build a multi-row INSERT, so this goes through the concrete connection; bulk writes
/// (imports; audit batches on PostgreSQL, see [`insert_batch!`]) need it, as one statement per
/// row costs a round trip each on PostgreSQL. Keep `chunk` times the columns under SQLite's 32,766 bound parameters.
#[macro_export]
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {{
        use diesel::RunQueryDsl;
        let mut inserted: usize = 0;
        let mut outcome: Result<(), diesel::result::Error> = Ok(());
        for part in $rows.chunks($chunk) {
            let done = match &mut *$conn {
                $crate::db::DbConn::Postgres(c) => {
                    diesel::insert_into($table).values(part).execute(c)
                }
                $crate::db::DbConn::Sqlite(c) => {
                    diesel::insert_into($table).values(part).execute(c)
                }
            };
            match done {
                Ok(n) => inserted += n,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        outcome.map(|()| inserted)
    }};
}

/// Inserts the rows of a small batch that commits often (the audit trail's): one statement per
/// row on SQLite, prepared once per connection and needing no statement journal, where a
/// multi-row INSERT is compiled anew for each batch size and journals every page it touches;
/// [`insert_many!`]'s multi-row INSERTs on PostgreSQL, which save its round trips.
#[macro_export]
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {{
        use diesel::RunQueryDsl;
        match &mut *$conn {
            $crate::db::DbConn::Sqlite(c) => {
                let mut inserted: usize = 0;
                let mut outcome: Result<(), diesel::result::Error> = Ok(());
                for row in $rows.iter() {
                    match diesel::insert_into($table).values(row).execute(c) {
                        Ok(n) => inserted += n,
                        Err(e) => {
                            outcome = Err(e);
                            break;
                        }
                    }
                }
                outcome.map(|()| inserted)
            }
            $crate::db::DbConn::Postgres(_) => $crate::insert_many!($conn, $table, $rows, $chunk),
        }
    }};
}

/// Makes a hand-written statement (a struct whose `QueryFragment` pushes fixed SQL text and its
/// binds) one that diesel keeps prepared on each connection, under its type: diesel marks every
/// UPDATE it builds as not to be cached (a changeset of `Option`s may leave columns out), so a
/// hot UPDATE was compiled anew on each run. On SQLite, compiling an UPDATE of `tumors` compiles
/// its triggers and index maintenance too: a tenth of a PATCH's CPU.
#[macro_export]
macro_rules! prepared_statement {
    // Cached under its type: one type, one SQL text (never a type whose text varies).
    ($name:ident) => {
        impl diesel::query_builder::QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl<Conn> diesel::RunQueryDsl<Conn> for $name<'_> {}
    };
}
