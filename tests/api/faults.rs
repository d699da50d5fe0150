//! Faults, against the real binary: SIGKILL in the middle of an import and of a submission
//! build leaves nothing partial and the job reported failed after a restart; SIGTERM lets an
//! in-flight import finish; a client that stalls is cut off. On SQLite and PostgreSQL.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cancer_registry::auth::{Keys, Role};
use serde_json::Value;

use crate::both_backends_sync;
use crate::support::*;

/// A running `cancer-registry serve` over a test database.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(db: &TestDb, data_dir: &Path, extra: &[(&str, &str)]) -> Server {
    let port = free_port();
    let log = data_dir.join(format!("server-{port}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cancer-registry"));
    cmd.arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("CANCER_REGISTRY_BIND", format!("127.0.0.1:{port}"))
        .env("CANCER_REGISTRY_JWT_SECRET", SECRET)
        // The test files name facilities nobody registered (as the in-process harness allows).
        .env("CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES", "true")
        .env("CANCER_REGISTRY_DATA_DIR", data_dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let server = Server { child, port, log };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(port, "GET", "/health/ready", None, None, b"") {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "the server did not start: {}",
        std::fs::read_to_string(&server.log).unwrap_or_default()
    );
}

impl Server {
    fn kill9(mut self) {
        signal(&self.child, "KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} failed");
}

/// One HTTP/1.1 request on its own connection; (status, body). Chunked bodies are decoded.
pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    http_with(port, method, path, token, content_type, &[], body)
}

/// [`http`] with more request headers.
pub(crate) fn http_with(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(c) = content_type {
        head.push_str(&format!("Content-Type: {c}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no response head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
    out
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn manager() -> String {
    let keys = Keys::load(&key_config()).unwrap();
    keys.sign(
        "fault-manager",
        &[Role::Manager],
        None,
        Duration::from_secs(600),
    )
    .unwrap()
}

/// A file of `n` simple patients of facility A, one tumor each.
fn file_of(n: usize) -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0"?><NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8">"#,
    );
    for i in 1..=n {
        s.push_str(&format!(
            r#"<Patient><Item naaccrId="patientIdNumber">{i:08}</Item><Item naaccrId="dateOfBirth">19500101</Item><Item naaccrId="nameLast">FAULT</Item><Tumor><Item naaccrId="reportingFacility">{FACILITY_A}</Item><Item naaccrId="accessionNumberHosp">{i:09}</Item><Item naaccrId="sequenceNumberHospital">00</Item><Item naaccrId="primarySite">C509</Item><Item naaccrId="histologicTypeIcdO3">8500</Item><Item naaccrId="dateOfDiagnosis">20200115</Item></Tumor></Patient>"#
        ));
    }
    s.push_str("</NaaccrData>");
    s.into_bytes()
}

/// Rows in a table, read straight from the database.
fn rows(db: &TestDb, table: &str) -> i64 {
    scalar(db, &format!("SELECT COUNT(*) AS n FROM {table}"))
}

/// The one number (named `n`) a query answers, read straight from the database.
fn scalar(db: &TestDb, sql: &str) -> i64 {
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let options = cancer_registry::db::PoolOptions {
        max_size: 1,
        connection_timeout: Duration::from_secs(10),
    };
    let pool = cancer_registry::db::Db::open(&db.url, &options).unwrap();
    let mut conn = pool.conn().unwrap();
    diesel::sql_query(sql)
        .get_result::<N>(&mut *conn)
        .unwrap()
        .n
}

/// Waits until the database shows the server's write transaction open and writing: for SQLite
/// the WAL grows past `wal_floor` bytes, for PostgreSQL a backend of this test's schema holds a
/// transaction id. Panics after `limit`.
fn wait_for_open_write(db: &TestDb, wal_floor: u64, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let open = match &db.pg_schema {
            None => wal_size(db) > wal_floor,
            Some((admin, _)) => pg_writer_open(admin, &db.url),
        };
        if open {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the write transaction never opened");
}

fn pg_writer_open(admin: &str, url: &str) -> bool {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let app = url
        .split("application_name=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .unwrap_or("");
    let Ok(mut c) = diesel::pg::PgConnection::establish(admin) else {
        return false;
    };
    diesel::sql_query(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND backend_xid IS NOT NULL",
    )
    .bind::<Text, _>(app)
    .get_result::<N>(&mut c)
    .map(|r| r.n > 0)
    .unwrap_or(false)
}

/// A test database whose PostgreSQL sessions carry a name of their own, to be watched.
fn fault_db(backend: Backend) -> Option<TestDb> {
    let mut db = test_db(backend)?;
    if db.pg_schema.is_some() {
        db.url = format!(
            "{}&application_name=fault_{}",
            db.url,
            uuid::Uuid::new_v4().simple()
        );
    }
    Some(db)
}

fn wal_size(db: &TestDb) -> u64 {
    std::fs::metadata(format!("{}-wal", db.url)).map_or(0, |m| m.len())
}

const PATIENTS: usize = 20_000;

/// Starts importing a file of [`PATIENTS`] on another thread and returns once the import's
/// write transaction is open and writing.
fn import_until_writing(
    db: &TestDb,
    port: u16,
) -> std::thread::JoinHandle<std::io::Result<(u16, Vec<u8>)>> {
    let token = manager();
    let floor = wal_size(db) + (1 << 20);
    let upload = std::thread::spawn(move || {
        http(
            port,
            "POST",
            "/api/v1/imports",
            Some(&token),
            Some("application/xml"),
            &file_of(PATIENTS),
        )
    });
    wait_for_open_write(db, floor, Duration::from_secs(120));
    upload
}

/// Files left in the data folder's `uploads/`.
fn uploads_left(data: &Path) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(data.join("uploads"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default()
}

fn kill_mid_import(backend: Backend) {
    let Some(db) = fault_db(backend) else { return };
    let data = tempfile::tempdir().unwrap();
    let server = start(&db, data.path(), &[]);
    let upload = import_until_writing(&db, server.port);
    server.kill9();
    let answered = upload.join().unwrap();
    assert!(
        !matches!(answered, Ok((201, _))),
        "the import finished before the kill: the test proves nothing"
    );
    // Restarted: nothing of the file is stored, no import is recorded, the upload is gone.
    let server = start(&db, data.path(), &[]);
    assert_eq!(rows(&db, "patients"), 0);
    assert_eq!(rows(&db, "tumors"), 0);
    assert_eq!(rows(&db, "imports"), 0);
    let left = uploads_left(data.path());
    assert!(left.is_empty(), "uploads left behind: {left:?}");
    // And the same file imports whole afterwards.
    let (status, body) = http(
        server.port,
        "POST",
        "/api/v1/imports",
        Some(&manager()),
        Some("application/xml"),
        &file_of(PATIENTS),
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    assert_eq!(rows(&db, "patients"), PATIENTS as i64);
}
both_backends_sync!(kill_mid_import, kill_mid_import);

/// Builds' leases in these tests: short, so a dead instance's build is taken over quickly.
const LEASE: &[(&str, &str)] = &[("CANCER_REGISTRY_JOB_LEASE_SECS", "2")];

fn wait_until_done(port: u16, token: &str, id: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let (_, b) = http(
            port,
            "GET",
            &format!("/api/v1/submissions/{id}"),
            Some(token),
            None,
            b"",
        )
        .unwrap();
        let s = json(&b);
        if s["status"] == "done" || s["status"] == "failed" || Instant::now() > deadline {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How often a batch was claimed for building, read from the database.
fn attempts(db: &TestDb, id: &str) -> i64 {
    scalar(
        db,
        &format!("SELECT CAST(attempts AS BIGINT) AS n FROM submissions WHERE id = '{id}'"),
    )
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn kill_mid_submission(backend: Backend) {
    let Some(db) = fault_db(backend) else { return };
    let data = tempfile::tempdir().unwrap();
    let server = start(&db, data.path(), LEASE);
    let token = manager();
    let (status, body) = http(
        server.port,
        "POST",
        "/api/v1/imports",
        Some(&token),
        Some("application/xml"),
        &file_of(PATIENTS),
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let (status, body) = http(
        server.port,
        "POST",
        "/api/v1/recipients",
        Some(&token),
        Some("application/json"),
        br#"{"name":"state","kind":"other"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let recipient = json(&body)["id"].as_str().unwrap().to_string();
    let (status, body) = http(
        server.port,
        "POST",
        "/api/v1/submissions",
        Some(&token),
        Some("application/json"),
        format!(r#"{{"recordType":"A","recipient":"{recipient}"}}"#).as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let id = json(&body)["id"].as_str().unwrap().to_string();
    // Killed once the build has started writing its file.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, b) = http(
            server.port,
            "GET",
            &format!("/api/v1/submissions/{id}"),
            Some(&token),
            None,
            b"",
        )
        .unwrap();
        let s = json(&b);
        assert_ne!(s["status"], "done", "the build finished first: {s}");
        if s["status"] == "running" && s["tumors"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the build never ran: {s}");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    // Nothing of the interrupted build counts: no tumor carried, no file.
    assert_eq!(rows(&db, "submission_items"), 0);
    assert_eq!(rows(&db, "submission_files"), 0);
    // The restarted service builds the batch again once the dead instance's lease ran out.
    let server = start(&db, data.path(), LEASE);
    let s = wait_until_done(server.port, &token, &id, Duration::from_secs(180));
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(s["tumors"], PATIENTS as i64, "{s}");
    assert_eq!(rows(&db, "submission_items"), PATIENTS as i64);
    assert_eq!(attempts(&db, &id), 2);
    let (status, file) = http(
        server.port,
        "GET",
        &format!("/api/v1/submissions/{id}/file"),
        Some(&token),
        None,
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(count(&file, b"<Patient>"), PATIENTS);
    // The killed build's temporary files went with the clean-up.
    let left: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(&id) && !n.ends_with(".xml"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
both_backends_sync!(kill_mid_submission, kill_mid_submission);

/// Two instances on one PostgreSQL, each with its own data folder. The one building a
/// submission is killed at the last step of its build (held there by a table lock this test
/// takes); the other takes the build over once the lease runs out and finishes it, and the
/// file downloads from it and from a third instance that never saw the build.
#[test]
fn a_second_instance_finishes_a_dead_instances_build() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let Some(db) = fault_db(Backend::Postgres) else {
        return;
    };
    let schema = db.pg_schema.clone().unwrap().1;
    let (folder_a, folder_b, folder_c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let lease = &[("CANCER_REGISTRY_JOB_LEASE_SECS", "3")];
    let a = start(&db, folder_a.path(), lease);
    let b = start(&db, folder_b.path(), lease);
    let token = manager();
    let patients = 500;
    let (status, body) = http(
        a.port,
        "POST",
        "/api/v1/imports",
        Some(&token),
        Some("application/xml"),
        &file_of(patients),
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let (status, body) = http(
        a.port,
        "POST",
        "/api/v1/recipients",
        Some(&token),
        Some("application/json"),
        br#"{"name":"state","kind":"other"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let recipient = json(&body)["id"].as_str().unwrap().to_string();

    // The build's final transaction writes what the recipient holds: it waits on this lock.
    let mut holder = diesel::pg::PgConnection::establish(&db.url).unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE recipient_tumors IN EXCLUSIVE MODE")
        .unwrap();
    let (status, body) = http(
        a.port,
        "POST",
        "/api/v1/submissions",
        Some(&token),
        Some("application/json"),
        format!(r#"{{"recordType":"A","recipient":"{recipient}"}}"#).as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let id = json(&body)["id"].as_str().unwrap().to_string();
    let waiting = format!(
        "SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
         JOIN pg_namespace s ON s.oid = c.relnamespace \
         WHERE NOT l.granted AND c.relname = 'recipient_tumors' AND s.nspname = '{schema}'"
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while scalar(&db, &waiting) == 0 {
        assert!(
            Instant::now() < deadline,
            "the build never reached its last step"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let owner = format!(
        "SELECT COUNT(*) AS n FROM submissions WHERE id = '{id}' AND status = 'running' \
         AND lease_owner LIKE '%:{}:%'",
        a.child.id()
    );
    assert_eq!(scalar(&db, &owner), 1, "instance A holds the build");
    a.kill9();
    let killed = Instant::now();
    holder.batch_execute("ROLLBACK").unwrap();

    let s = wait_until_done(b.port, &token, &id, Duration::from_secs(60));
    assert_eq!(s["status"], "done", "{s}");
    assert_eq!(s["tumors"], patients as i64, "{s}");
    println!(
        "taken over and finished {:.1} s after the kill (lease 3 s)",
        killed.elapsed().as_secs_f64()
    );
    assert_eq!(attempts(&db, &id), 2);
    assert!(
        std::fs::read_to_string(&b.log)
            .unwrap_or_default()
            .contains("building it again"),
        "B's log says it took the build over"
    );
    // Kept in the database: any instance serves it, one with an empty data folder too.
    let c = start(&db, folder_c.path(), lease);
    let mut files = Vec::new();
    for port in [b.port, c.port] {
        let (status, file) = http(
            port,
            "GET",
            &format!("/api/v1/submissions/{id}/file"),
            Some(&token),
            None,
            b"",
        )
        .unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&file));
        assert_eq!(count(&file, b"<Patient>"), patients);
        files.push(file);
    }
    assert_eq!(files[0], files[1]);
    assert_eq!(rows(&db, "submission_items"), patients as i64);
}

fn sigterm_finishes_the_import_in_flight(backend: Backend) {
    let Some(db) = fault_db(backend) else { return };
    let data = tempfile::tempdir().unwrap();
    let mut server = start(&db, data.path(), &[]);
    let upload = import_until_writing(&db, server.port);
    signal(&server.child, "TERM");
    let (status, body) = upload.join().unwrap().unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    assert_eq!(rows(&db, "patients"), PATIENTS as i64);
    // Stopped: it no longer answers.
    assert!(http(server.port, "GET", "/health/live", None, None, b"").is_err());
}
both_backends_sync!(
    sigterm_finishes_the_import_in_flight,
    sigterm_finishes_the_import_in_flight
);

/// A client that sends half a request head and stalls is answered 408 and cut off; one that
/// stalls in the middle of an upload too, and its upload is not kept.
#[test]
fn stalled_clients_are_cut_off() {
    let Some(db) = fault_db(Backend::Sqlite) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = start(
        &db,
        data.path(),
        &[("CANCER_REGISTRY_CLIENT_TIMEOUT_SECS", "1")],
    );
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(
        String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&raw)
    );

    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /api/v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/xml\r\nContent-Length: 100000\r\n\r\n<?xml version=\"1.0\"?>",
        manager()
    );
    s.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    assert!(started.elapsed() < Duration::from_secs(8));
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("problem+json"), "{text}");
    std::thread::sleep(Duration::from_millis(200));
    let left = uploads_left(data.path());
    assert!(left.is_empty(), "upload kept: {left:?}");
}

/// A client that sends a JSON request's head and part of its body, then stalls, is answered
/// 408 (a problem) within the client timeout and cut off, and nothing is stored (issue 21: it
/// kept the connection past 330 s). One that trickles its body slower than the deadline too.
fn stalled_json_bodies_are_cut_off(backend: Backend) {
    let Some(db) = fault_db(backend) else { return };
    let data = tempfile::tempdir().unwrap();
    let server = start(
        &db,
        data.path(),
        &[("CANCER_REGISTRY_CLIENT_TIMEOUT_SECS", "1")],
    );
    let head = format!(
        "POST /api/v1/patients HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        manager()
    );
    // Stalls after 12 bytes of body.
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(b"{\"items\": {").unwrap();
    let started = Instant::now();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("problem+json"), "{text}");

    // Keeps sending a byte every 300 ms: never idle for the timeout, over the deadline.
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut raw = Vec::new();
    while started.elapsed() < Duration::from_secs(10) {
        if s.write_all(b" ").is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
        if raw.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert_eq!(rows(&db, "patients"), 0);
}
both_backends_sync!(
    stalled_json_bodies_are_cut_off,
    stalled_json_bodies_are_cut_off
);
