//! The tamper-evident audit trail: `verify` passes on an untouched trail and names the first
//! row that does not fit after a direct SQL update, delete or insert; the head endpoint and the
//! command line agree with it.

use actix_web::http::StatusCode;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::both_backends;
use crate::support::*;
use cancer_registry::audit::chain::{self, Defect};
use cancer_registry::auth::Role;

#[derive(QueryableByName, Debug, Clone)]
struct Row {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    details: String,
}

fn row_at(app: &TestApp, seq: i64) -> Row {
    diesel::sql_query(format!(
        "SELECT id, details FROM audit_log WHERE seq = {seq}"
    ))
    .get_result(&mut *app.db.conn().unwrap())
    .unwrap()
}

fn exec(app: &TestApp, sql: &str) {
    diesel::sql_query(sql)
        .execute(&mut *app.db.conn().unwrap())
        .unwrap();
}

async fn defect(app: &TestApp) -> Option<Defect> {
    app.db.flush_audit().await.unwrap();
    chain::verify(&mut app.db.conn().unwrap()).unwrap().defect
}

async fn tampering_is_named(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let tid = tumor["id"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/api/v1/tumors/{tid}"), &t).await.status,
            StatusCode::OK
        );
        app.get(&format!("/api/v1/patients/{p}"), &t).await;
    }
    let auditor = app.token(Role::Auditor, None);
    let head = app.get("/api/v1/audit/head", &auditor).await;
    assert_eq!(head.status, StatusCode::OK, "{}", head.body);
    let rows = head.body["rows"].as_i64().unwrap();
    assert!(rows >= 8, "{}", head.body);
    assert_eq!(head.body["hash"].as_str().unwrap().len(), 64);
    // Only auditors read the head; the refused attempt is itself a (denied) row.
    assert_eq!(
        app.get("/api/v1/audit/head", &t).await.status,
        StatusCode::FORBIDDEN
    );
    let rows = rows + 1;

    app.db.flush_audit().await.unwrap();
    let untouched = chain::verify(&mut app.db.conn().unwrap()).unwrap();
    assert_eq!(untouched.defect, None);
    assert_eq!(untouched.rows, rows);
    assert_eq!(untouched.head.seq, rows);

    // A changed row is named; restoring it makes the chain whole again.
    let third = row_at(&app, 3);
    exec(
        &app,
        &format!(
            "UPDATE audit_log SET details = '{{\"tampered\":true}}' WHERE id = '{}'",
            third.id
        ),
    );
    assert_eq!(
        defect(&app).await,
        Some(Defect::Changed {
            seq: 3,
            id: third.id.clone()
        })
    );
    exec(
        &app,
        &format!(
            "UPDATE audit_log SET details = '{}' WHERE id = '{}'",
            third.details.replace('\'', "''"),
            third.id
        ),
    );
    assert_eq!(defect(&app).await, None);

    // A deleted row: the gap and the row after it are named.
    let second = row_at(&app, 2);
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE id = '{}'", second.id),
    );
    assert_eq!(
        defect(&app).await,
        Some(Defect::Missing {
            from: 2,
            to: 2,
            next_id: Some(third.id.clone())
        })
    );

    // Every row from the second on deleted: missing at the end of the trail.
    exec(&app, "DELETE FROM audit_log WHERE seq >= 2");
    assert_eq!(
        defect(&app).await,
        Some(Defect::Missing {
            from: 2,
            to: rows,
            next_id: None
        })
    );

    // A row inserted behind the service's back (no place in the chain).
    exec(&app, "DELETE FROM audit_log");
    exec(&app, "UPDATE audit_chain SET seq = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000'");
    assert_eq!(defect(&app).await, None);
    exec(
        &app,
        "INSERT INTO audit_log (id, at, actor, roles, action, entity, details) \
         VALUES ('forged', '2026-01-01 00:00:00', 'x', 'auditor', 'read', 'tumor', '{}')",
    );
    assert_eq!(
        defect(&app).await,
        Some(Defect::Unchained {
            id: "forged".into()
        })
    );
}
both_backends!(tampering_is_named, tampering_is_named);

#[test]
fn verify_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cancer-registry"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env("DATABASE_URL", &db)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["migrate"]).status.success());
    let database = cancer_registry::db::Db::open(
        db.to_str().unwrap(),
        &cancer_registry::db::PoolOptions {
            max_size: 1,
            connection_timeout: std::time::Duration::from_secs(10),
        },
    )
    .unwrap();
    let actor = cancer_registry::audit::Actor {
        sub: "cli-test".into(),
        roles: "registrar".into(),
        request_id: None,
    };
    for i in 0..3 {
        cancer_registry::audit::record(
            &mut database.conn().unwrap(),
            &actor,
            cancer_registry::audit::Event {
                action: cancer_registry::audit::Action::Read,
                entity: "tumor",
                entity_id: Some(format!("t{i}")),
                details: serde_json::json!({}),
            },
        )
        .unwrap();
    }
    let ok = run(&["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stderr).contains("3 rows"));
    diesel::sql_query("UPDATE audit_log SET entity_id = 'other' WHERE seq = 2")
        .execute(&mut *database.conn().unwrap())
        .unwrap();
    let bad = run(&["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("position 2") && err.contains("changed"),
        "{err}"
    );
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn pending_rows(app: &TestApp) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM audit_pending")
        .get_result::<Count>(&mut *app.db.conn().unwrap())
        .unwrap()
        .n
}

/// Reads are answered, each with its record, while another transaction holds the database's
/// write lock or the chain's head (an import committing): on SQLite their rows wait in the
/// spool file beside the database, on PostgreSQL in `audit_pending`, and join the chain once
/// the lock is free.
async fn reads_answer_while_a_write_holds_the_database(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let tid = tumor["id"].as_str().unwrap().to_string();
    let reads_before = app.audit_count("read", "tumor", Some(&tid)).await;

    let held = app.hold_audit_head().await;

    for _ in 0..3 {
        let read = actix_web::rt::time::timeout(
            std::time::Duration::from_secs(20),
            app.get(&format!("/api/v1/tumors/{tid}"), &t),
        )
        .await
        .expect("a read is answered while another transaction writes");
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    }
    if let cancer_registry::db::Backend::Sqlite(path) = app.db.backend() {
        let mut name = path.as_os_str().to_owned();
        name.push("-audit-spool");
        let spool = std::path::PathBuf::from(name);
        let text = std::fs::read_to_string(&spool).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains(&tid));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&spool).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    } else {
        // PostgreSQL: the rows wait in audit_pending, in the database every instance shares.
        let n = pending_rows(&app);
        assert_eq!(n, 3);
    }

    held.release().await;
    // Once the lock is free the spooled rows join the chain, ahead of the next read's, and the
    // spool is emptied.
    let read = app.get(&format!("/api/v1/tumors/{tid}"), &t).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        app.audit_count("read", "tumor", Some(&tid)).await,
        reads_before + 4
    );
    if let cancer_registry::db::Backend::Sqlite(path) = app.db.backend() {
        let mut name = path.as_os_str().to_owned();
        name.push("-audit-spool");
        assert_eq!(std::fs::metadata(name).unwrap().len(), 0);
    } else {
        let n = pending_rows(&app);
        assert_eq!(n, 0);
    }
    assert_eq!(defect(&app).await, None);
}
both_backends!(
    reads_answer_while_a_write_holds_the_database,
    reads_answer_while_a_write_holds_the_database
);

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// A SQLite database file of its own, for tests that stop and start the service on it.
fn spool_test_db() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    cancer_registry::db::PoolOptions,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let options = cancer_registry::db::PoolOptions {
        max_size: 4,
        connection_timeout: std::time::Duration::from_secs(10),
    };
    (dir, path, options)
}

/// One audited read by `reader` of tumor `tumor`.
async fn read_as_reader(db: &cancer_registry::db::Db, tumor: &str) {
    use cancer_registry::audit::{Action, Actor, Event};
    let actor = Actor {
        sub: "reader".into(),
        roles: "registrar".into(),
        request_id: None,
    };
    let tumor = tumor.to_string();
    db.read_audited(&actor, move |_, events| {
        events.push(Event {
            action: Action::Read,
            entity: "tumor",
            entity_id: Some(tumor),
            details: serde_json::json!({}),
        });
        Ok::<_, cancer_registry::db::DbError>(())
    })
    .await
    .unwrap();
}

/// The ids of `reader`'s rows in the chain, in chain order.
fn reader_ids(db: &cancer_registry::db::Db) -> Vec<String> {
    diesel::sql_query("SELECT id FROM audit_log WHERE actor = 'reader' ORDER BY seq")
        .load::<Id>(&mut *db.conn().unwrap())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// A spool line of a read by `reader`, as the service writes it.
fn spool_line(id: &str) -> String {
    serde_json::json!({
        "id": id, "at": "2026-12-07T05:00:00.123456", "actor": "reader",
        "roles": "registrar", "action": "read", "entity": "tumor", "entity_id": "t-1",
        "request_id": null, "details": "{}", "seq": null, "hash": null
    })
    .to_string()
}

/// Rows a stopped run left in a spool file are chained at the next start, once: a row already
/// in the trail (chained just before the stop) is skipped, and so is a line cut short.
#[actix_web::test]
async fn spooled_rows_of_a_stopped_run_are_chained_once() {
    use cancer_registry::db::Db;
    let (_dir, path, options) = spool_test_db();
    let url = path.to_str().unwrap().to_string();

    let db = Db::open(&url, &options).unwrap();
    read_as_reader(&db, "t-1").await;
    db.flush_audit().await.unwrap();
    let before = reader_ids(&db);
    assert_eq!(before.len(), 1);
    drop(db);

    let fresh = uuid::Uuid::now_v7().to_string();
    let mut orphan = path.as_os_str().to_owned();
    orphan.push("-audit-spool.0-stopped");
    let orphan = std::path::PathBuf::from(orphan);
    std::fs::write(
        &orphan,
        format!(
            "{}\n{}\n{{\"id\": \"cut short",
            spool_line(&before[0]),
            spool_line(&fresh)
        ),
    )
    .unwrap();

    let db = Db::open(&url, &options).unwrap();
    db.flush_audit().await.unwrap();
    assert_eq!(reader_ids(&db), vec![before[0].clone(), fresh]);
    assert!(!orphan.exists(), "the recovered spool is removed");
    let verified = chain::verify(&mut db.conn().unwrap()).unwrap();
    assert_eq!(verified.defect, None);
}

/// Under a steady stream of reads the chainer is never at the end of the spool, so it never
/// empties it: past 4 MB the file is set aside (a new file takes its name) and deleted once
/// chained. Here the write lock is held while 2,500 reads of about 2 KB of details each spool
/// up (about 5 MB).
#[actix_rt::test]
async fn a_full_spool_is_set_aside_and_chained() {
    use cancer_registry::audit::{Action, Actor, Event};
    use cancer_registry::db::DbError;
    use std::os::unix::fs::MetadataExt;
    let app = TestApp::new(crate::support::Backend::Sqlite).await.unwrap();
    let cancer_registry::db::Backend::Sqlite(db) = app.db.backend().clone() else {
        unreachable!()
    };
    let mut name = db.as_os_str().to_owned();
    name.push("-audit-spool");
    let spool = std::path::PathBuf::from(name);
    let actor = Actor {
        sub: "bulk-reader".into(),
        roles: "registrar".into(),
        request_id: None,
    };
    let filler = "x".repeat(2000);
    app.db.flush_audit().await.unwrap();
    let before = std::fs::metadata(&spool).unwrap().ino();

    let held = app.hold_audit_head().await;
    for n in 0..2500 {
        let details = serde_json::json!({ "n": n, "filler": filler });
        app.db
            .read_audited(&actor, move |_, events| {
                events.push(Event {
                    action: Action::Read,
                    entity: "tumor",
                    entity_id: Some(format!("t-{n}")),
                    details,
                });
                Ok::<_, DbError>(())
            })
            .await
            .unwrap();
    }
    assert!(std::fs::metadata(&spool).unwrap().len() > 4 << 20);
    held.release().await;

    app.db.flush_audit().await.unwrap();
    assert_eq!(app.audit_count("read", "tumor", None).await, 2500);
    assert_ne!(
        std::fs::metadata(&spool).unwrap().ino(),
        before,
        "the full file was set aside"
    );
    let dir = db.parent().unwrap();
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-audit-spool."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(defect(&app).await, None);
}

/// A spool file of the usual name that a crash left with a line cut short: its complete rows
/// are chained at the next start, the cut line is dropped, and rows appended after it are
/// whole (not glued to the cut line).
#[actix_web::test]
async fn a_spool_cut_mid_line_is_recovered_and_appended_to() {
    use cancer_registry::db::Db;
    let (_dir, path, options) = spool_test_db();
    let url = path.to_str().unwrap().to_string();
    drop(Db::open(&url, &options).unwrap());
    let fresh = uuid::Uuid::now_v7().to_string();
    let mut spool = path.as_os_str().to_owned();
    spool.push("-audit-spool");
    std::fs::write(
        &spool,
        format!("{}\n{{\"id\": \"cut short", spool_line(&fresh)),
    )
    .unwrap();

    let db = Db::open(&url, &options).unwrap();
    read_as_reader(&db, "t-2").await;
    db.flush_audit().await.unwrap();
    let rows = reader_ids(&db);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0], fresh);
    let verified = chain::verify(&mut db.conn().unwrap()).unwrap();
    assert_eq!(verified.defect, None);
}
