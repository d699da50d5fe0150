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
