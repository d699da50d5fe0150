//! A `pending` submission at scale (issue 16): of `tumors` stored (one per patient), all sent
//! to a recipient before and `changed`% changed since (half tumor changes, half patient
//! changes), build the pending batch: time, and peak memory of the build alone.
//!
//!   cargo bench --bench pending_batch -- [tumors=1000000] [changed=10]
//!
//! `BENCH_DATABASE_URL` picks the database (default: the SQLite file
//! `target/bench-pending.db`); a PostgreSQL database must exist and be empty or hold a previous
//! load of this bench. A load is reused; each run resets what the recipient received (every
//! tumor at its current version) and then changes `changed`% by raising versions in SQL, so the
//! batch is exactly that many tumors. Items are a realistic minimum (identifiers, site,
//! histology, behavior, diagnosis date, names), not a full abstract: the walk's cost is per
//! row and per page, its memory per page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use cancer_registry::abstracts::items::Checks;
use cancer_registry::abstracts::{patients, tumors};
use cancer_registry::auth::FacilityScope;
use cancer_registry::db::{self, Db, DbConn, PoolOptions};
use cancer_registry::naaccr::Items;
use cancer_registry::submissions::export::Selection;
use cancer_registry::submissions::jobs::{self, NewSubmission};
use cancer_registry::submissions::recipients::{self, RecipientInput};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

const BATCH: u64 = 2000;
const FACILITY: &str = "0000000001";

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn items(pairs: &[(&str, String)]) -> Items {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn load(db: &Db, n: u64) {
    let mut conn = db.conn().unwrap();
    let have: i64 = cancer_registry::db::schema::tumors::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    if have as u64 >= n {
        println!("reusing the {have} tumors already loaded");
        return;
    }
    assert_eq!(
        have, 0,
        "the database holds another load; give an empty one"
    );
    let started = Instant::now();
    let mut first = 0;
    while first < n {
        let last = (first + BATCH).min(n);
        db::transaction(&mut conn, |conn: &mut DbConn| {
            let mut ps = Vec::new();
            let mut ts = Vec::new();
            for i in first..last {
                let p = patients::prepare(
                    &FacilityScope::All,
                    Some(FACILITY.into()),
                    items(&[
                        ("patientIdNumber", format!("{i:08}")),
                        ("nameLast", format!("NAME{}", i % 9973)),
                        ("nameFirst", format!("FIRST{}", i % 997)),
                        (
                            "dateOfBirth",
                            format!("19{:02}0{}1{}", 20 + i % 70, 1 + i % 9, i % 10),
                        ),
                        ("sexAssignedAtBirth", ((i % 2) + 1).to_string()),
                        ("vitalStatus", "1".into()),
                    ]),
                    Checks::Format,
                )
                .unwrap();
                ts.push(
                    tumors::prepare(
                        &FacilityScope::All,
                        p.id(),
                        items(&[
                            ("reportingFacility", FACILITY.into()),
                            ("accessionNumberHosp", format!("{i:09}")),
                            ("sequenceNumberHospital", "00".into()),
                            ("primarySite", "C509".into()),
                            ("histologicTypeIcdO3", "8500".into()),
                            ("behaviorCodeIcdO3", "3".into()),
                            ("dateOfDiagnosis", format!("20{:02}0315", 18 + i % 7)),
                        ]),
                        tumors::Source::default(),
                        Checks::Format,
                    )
                    .unwrap(),
                );
                ps.push(p);
            }
            patients::insert_many(conn, &ps)?;
            tumors::insert_many(conn, &ts)?;
            Ok::<_, cancer_registry::abstracts::Error>(())
        })
        .unwrap();
        first = last;
        if first % 100_000 == 0 || first == n {
            println!(
                "loaded {first} tumors in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    if let DbConn::Postgres(c) = &mut *conn {
        c.batch_execute("ANALYZE patients; ANALYZE tumors").unwrap();
    } else if let DbConn::Sqlite(c) = &mut *conn {
        c.batch_execute("ANALYZE").unwrap();
    }
}

/// Peak resident memory since the last reset (Linux: VmHWM), in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let n = arg(1, 1_000_000);
    let changed = arg(2, 10);
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-pending.db").to_string()
    });
    let db = Db::open(
        &url,
        &PoolOptions {
            max_size: 2,
            connection_timeout: std::time::Duration::from_secs(30),
        },
    )
    .unwrap();
    load(&db, n);
    let mut conn = db.conn().unwrap();
    let rid = match recipients::list(&mut conn)
        .unwrap()
        .into_iter()
        .find(|r| r.name == "bench")
    {
        Some(r) => r.id,
        None => {
            recipients::create(
                &mut conn,
                &RecipientInput {
                    name: "bench".into(),
                    kind: "other".into(),
                    record_type: Some("A".into()),
                    naaccr_version: None,
                    registry_id: Some("0000003900".into()),
                    registry_type: Some("1".into()),
                    npi_registry_id: None,
                    facilities: vec![FACILITY.into()],
                    edit_set: None,
                },
                "bench",
            )
            .unwrap()
            .id
        }
    };
    // Everything received at its current version; then `changed`% change: even ones in the
    // tumor, odd ones in the patient (by the tumor's place in id order).
    let started = Instant::now();
    let every = (100 / changed.max(1)) as i64;
    let reset = format!(
        "DELETE FROM recipient_tumors WHERE recipient_id = '{rid}';
         INSERT INTO recipient_tumors (recipient_id, tumor_id, patient_id, tumor_version, patient_version, items, submission_id)
           SELECT '{rid}', t.id, t.patient_id, t.version, p.version, '{{}}', 'bench' FROM tumors t JOIN patients p ON p.id = t.patient_id;
         UPDATE tumors SET version = version + 1 WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM tumors) x WHERE k % {every} = 0 AND k % {} = 0);
         UPDATE patients SET version = version + 1 WHERE id IN (SELECT t.patient_id FROM (SELECT patient_id, row_number() OVER (ORDER BY id) AS k FROM tumors) t WHERE k % {every} = 0 AND k % {} <> 0);",
        every * 2,
        every * 2
    );
    conn.batch_execute(&reset).unwrap();
    println!(
        "reset what the recipient received and changed {changed}% in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    drop(conn);
    let dir = tempfile::tempdir().unwrap();
    // Files where the service keeps them by default on this backend.
    let store = cancer_registry::submissions::files::FileStore::new(
        cancer_registry::submissions::files::StoreKind::default_for(db.backend()),
        dir.path().to_path_buf(),
    );
    let lease =
        cancer_registry::submissions::leases::Lease::for_this_instance(Duration::from_secs(60));
    let mut conn = db.conn().unwrap();
    let sub = jobs::create(
        &mut conn,
        &FacilityScope::All,
        &NewSubmission {
            recipient: rid,
            record_type: None,
            version: None,
            selection: Selection {
                pending: true,
                ..Default::default()
            },
            include_failing: false,
        },
        "bench",
        &lease,
    )
    .unwrap();
    drop(conn);
    // Peak memory of the build alone: reset the high-water mark (Linux clear_refs 5).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_mb();
    let started = Instant::now();
    let done = jobs::build(&db, &store, &sub.id, None, &lease).unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "pending batch: {} tumors ({} changed, {} new) of {n}, {} patients, {:.1} MB file, in {secs:.1} s; peak RSS {:.0} MB (at start {before:.0} MB)",
        done.tumors,
        done.changed_tumors,
        done.new_tumors,
        done.patients,
        done.file_bytes as f64 / 1e6,
        peak_mb(),
    );
}
