//! Patient search at scale (issue 15): p50 and p99 of each filter kind of
//! `GET /api/v1/patients`, run as the domain list function over a database of generated
//! patients, on SQLite or PostgreSQL.
//!
//!   cargo bench --bench patient_search -- [patients=1000000] [queries=300]
//!
//! `BENCH_DATABASE_URL` picks the database (default: the SQLite file
//! `target/bench-patient-search.db`); a PostgreSQL database must exist and be empty or hold a
//! previous load of this bench. Patients come from the generator (`generate_patient`, its
//! built-in tables or `CANCER_REGISTRY_GENERATOR_TABLES`) with all their items; their tumors are stored with the indexed items only (facility, site, histology,
//! behavior, diagnosis date) plus a Medical Record Number [2300] the bench assigns (the
//! generator writes none), which is what the search touches. A load is reused when the
//! database already holds the patients. Each query term comes from a generated patient, so
//! every search finds at least that patient; each runs as the first page (50) of the list in
//! id order, as the API runs it, for central staff (all facilities) and for a registrar of the
//! patient's facility. The audit record the API adds per search is not included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use cancer_registry::abstracts::items::Checks;
use cancer_registry::abstracts::search::{NameMatch, Terms};
use cancer_registry::abstracts::{patients, tumors};
use cancer_registry::auth::FacilityScope;
use cancer_registry::db::{self, Db, DbConn, PoolOptions};
use cancer_registry::generate::{generate_patient, GeneratorTables};
use cancer_registry::naaccr::Items;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

const SEED: u64 = 15;
const BATCH: u64 = 2000;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn mrn(index: u64) -> String {
    format!("M{index:09}")
}

fn facility_of(p: &cancer_registry::naaccr::xml::Patient) -> String {
    p.tumors
        .first()
        .and_then(|t| t.items.get("reportingFacility").cloned())
        .unwrap_or_else(|| "0000000001".into())
}

fn load(db: &Db, tables: &GeneratorTables, n: u64) {
    let mut conn = db.conn().unwrap();
    let have: i64 = cancer_registry::db::schema::patients::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    if have as u64 >= n {
        println!("reusing the {have} patients already loaded");
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
                let p = generate_patient(tables, SEED, i);
                let facility = facility_of(&p);
                let new = patients::prepare(
                    &FacilityScope::All,
                    Some(facility),
                    p.items.clone(),
                    Checks::Format,
                )
                .unwrap();
                for t in &p.tumors {
                    let mut items = Items::new();
                    for id in [
                        "reportingFacility",
                        "primarySite",
                        "histologicTypeIcdO3",
                        "behaviorCodeIcdO3",
                        "dateOfDiagnosis",
                    ] {
                        if let Some(v) = t.items.get(id) {
                            items.insert(id.into(), v.clone());
                        }
                    }
                    items.insert("medicalRecordNumber".into(), mrn(i));
                    ts.push(
                        tumors::prepare(
                            &FacilityScope::All,
                            new.id(),
                            items,
                            tumors::Source::default(),
                            Checks::Format,
                        )
                        .unwrap(),
                    );
                }
                ps.push(new);
            }
            patients::insert_many(conn, &ps)?;
            tumors::insert_many(conn, &ts)?;
            Ok::<_, cancer_registry::abstracts::Error>(())
        })
        .unwrap();
        first = last;
        if first % 100_000 == 0 || first == n {
            println!(
                "loaded {first} patients in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    // What autovacuum would do on its own before long; the planner needs it.
    if let DbConn::Postgres(c) = &mut *conn {
        c.batch_execute("ANALYZE patients; ANALYZE tumors").unwrap();
    } else if let DbConn::Sqlite(c) = &mut *conn {
        c.batch_execute("ANALYZE").unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn terms_for(kind: &str, items: &Items, index: u64, facility: &str) -> Terms {
    let get = |id: &str| items.get(id).cloned();
    let mut t = Terms::default();
    match kind {
        "patientIdNumber" => t.patient_id_number = get("patientIdNumber"),
        "nameLast exact" => t.name_last = get("nameLast"),
        "nameLast prefix (3)" => {
            t.name_last = get("nameLast").map(|n| n.chars().take(3).collect());
            t.name_match = Some(NameMatch::Prefix);
        }
        "nameLast soundex" => {
            t.name_last = get("nameLast");
            t.name_match = Some(NameMatch::Soundex);
        }
        "nameLast + nameFirst" => {
            t.name_last = get("nameLast");
            t.name_first = get("nameFirst");
        }
        "nameFirst" => t.name_first = get("nameFirst"),
        "dateOfBirth" => t.date_of_birth = get("dateOfBirth"),
        "birth year" => t.date_of_birth = get("dateOfBirth").map(|d| d[..4].to_string()),
        "ssn" => t.ssn = get("socialSecurityNumber"),
        "ssn last four" => t.ssn = get("socialSecurityNumber").map(|s| s[5..].to_string()),
        "medicalRecordNumber" => t.medical_record_number = Some(mrn(index)),
        "sex" => t.sex = get("sexAssignedAtBirth"),
        "facility" => t.facility = Some(facility.to_string()),
        other => unreachable!("{other}"),
    }
    t
}

const KINDS: [&str; 13] = [
    "patientIdNumber",
    "nameLast exact",
    "nameLast prefix (3)",
    "nameLast soundex",
    "nameLast + nameFirst",
    "nameFirst",
    "dateOfBirth",
    "birth year",
    "ssn",
    "ssn last four",
    "medicalRecordNumber",
    "sex",
    "facility",
];

fn main() {
    let n = arg(1, 1_000_000);
    let queries = arg(2, 300);
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/bench-patient-search.db"
        )
        .to_string()
    });
    let tables = GeneratorTables::load_source(&GeneratorTables::default_source())
        .unwrap_or_else(|e| panic!("generator tables: {e}"));
    let db = Db::open(
        &url,
        &PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_secs(30),
        },
    )
    .expect("database");
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    load(&db, &tables, n);
    let mut conn = db.conn().unwrap();
    println!("{backend}, {n} patients, {queries} queries per kind, first page of 50");
    println!(
        "| filter | scope | p50 ms | p99 ms | max ms | mean rows |\n|---|---|---|---|---|---|"
    );
    for kind in KINDS {
        for central in [true, false] {
            let mut times = Vec::with_capacity(queries as usize);
            let mut rows = 0usize;
            for q in 0..queries {
                // Spread over the whole load, deterministic.
                let index = (q * 7_919_993 + 17) % n;
                let p = generate_patient(&tables, SEED, index);
                let facility = facility_of(&p);
                let filter = terms_for(kind, &p.items, index, &facility)
                    .filter()
                    .expect("terms");
                let scope = if central {
                    FacilityScope::All
                } else {
                    FacilityScope::Only(vec![facility.clone()])
                };
                let t0 = Instant::now();
                let page = patients::list(&mut conn, &scope, &filter, None, Some(50)).unwrap();
                times.push(t0.elapsed());
                assert!(
                    page.data
                        .iter()
                        .any(|r| r.items.get("patientIdNumber") == p.items.get("patientIdNumber"))
                        || page.next.is_some(),
                    "{kind}: the patient searched for is on the first page or a later one"
                );
                rows += page.data.len();
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "| {kind} | {} | {:.2} | {:.2} | {:.2} | {:.1} |",
                if central { "all" } else { "one facility" },
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99)),
                ms(*times.last().unwrap()),
                rows as f64 / queries as f64
            );
        }
    }
}
