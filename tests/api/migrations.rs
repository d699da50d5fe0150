//! The two migration trees stay in step, and every migration reverts.

use cancer_registry::db::{self, Backend as DbBackend};

use crate::support::*;

fn names(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn both_trees_hold_the_same_migrations() {
    assert_eq!(names("sqlite"), names("postgres"));
    assert!(!names("sqlite").is_empty());
}

fn run_revert_run(backend: Backend) {
    let Some(tdb) = test_db(backend) else { return };
    let b = DbBackend::from_url(&tdb.url).unwrap();
    db::migrate(&b).unwrap();
    assert_eq!(db::revert_all(&b).unwrap(), names("sqlite").len());
    db::migrate(&b).unwrap();
}

#[test]
fn migrations_revert_on_sqlite() {
    run_revert_run(Backend::Sqlite);
}

#[test]
fn migrations_revert_on_postgres() {
    run_revert_run(Backend::Postgres);
}

#[test]
fn sqlite_urls_are_parsed_explicitly() {
    assert!(DbBackend::from_url("postgres://u@h/db").is_ok_and(|b| !b.is_sqlite()));
    assert!(DbBackend::from_url("sqlite://x.db").is_ok_and(|b| b.is_sqlite()));
    assert!(DbBackend::from_url("x.db").is_ok_and(|b| b.is_sqlite()));
    assert!(DbBackend::from_url(":memory:").is_err());
    assert!(DbBackend::from_url("mysql://h/db").is_err());
}

/// Free-text recipients of submissions made before recipients were records become recipients
/// of kind `other`, and their submissions name them by id.
fn legacy_recipients_are_migrated(backend: Backend) {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let Some(tdb) = test_db(backend) else { return };
    let b = DbBackend::from_url(&tdb.url).unwrap();
    db::migrate(&b).unwrap();
    assert!(db::revert_through(&b, "2026-12-05-060001").unwrap() >= 1);
    let mut conn = b.connect().unwrap();
    conn.batch_execute(
        "INSERT INTO submissions (id, recipient, record_type, naaccr_version, selection, status, patients, tumors, file_bytes, created_by, created_at)
         VALUES ('s1', 'STATE', 'I', '260', '{}', 'done', 0, 0, 0, 'x', CURRENT_TIMESTAMP),
                ('s2', 'STATE', 'I', '260', '{}', 'done', 0, 0, 0, 'x', CURRENT_TIMESTAMP),
                ('s3', 'NCDB', 'A', '260', '{}', 'done', 0, 0, 0, 'x', CURRENT_TIMESTAMP)",
    )
    .unwrap();
    drop(conn);
    db::migrate(&b).unwrap();
    let mut conn = b.connect().unwrap();
    use cancer_registry::db::schema::{recipients, submissions};
    let rows: Vec<(String, String, String)> = recipients::table
        .order(recipients::name.asc())
        .select((recipients::name, recipients::kind, recipients::record_type))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        rows,
        [
            ("NCDB".to_string(), "other".to_string(), "A".to_string()),
            ("STATE".to_string(), "other".to_string(), "I".to_string())
        ]
    );
    let state: String = recipients::table
        .filter(recipients::name.eq("STATE"))
        .select(recipients::id)
        .first(&mut conn)
        .unwrap();
    let named: Vec<String> = submissions::table
        .filter(submissions::id.eq_any(["s1", "s2"]))
        .select(submissions::recipient)
        .load(&mut conn)
        .unwrap();
    assert_eq!(named, [state.clone(), state]);
}

#[test]
fn legacy_recipients_are_migrated_on_sqlite() {
    legacy_recipients_are_migrated(Backend::Sqlite);
}

#[test]
fn legacy_recipients_are_migrated_on_postgres() {
    legacy_recipients_are_migrated(Backend::Postgres);
}
