//! Import throughput and the memory of its duplicate checks (issue 22).
//!
//! `cargo bench --bench import` (patients from `IMPORT_BENCH_PATIENTS`, default 2,000; the
//! generator's tables from `CANCER_REGISTRY_GENERATOR_TABLES`, else the built-in ones; SQLite
//! in a temporary folder, or `IMPORT_BENCH_DATABASE_URL`, a PostgreSQL database it fills).
//! Generates one file, then imports it twice as `cancer-registry import` does (the whole file
//! checked, then applied in one transaction, derived items set): the first run creates every record, the re-send
//! finds every one unchanged, so its time is the cost of matching and the duplicate checks.
//! Prints patients/s and MB/s of each run and the peak RSS (VmHWM) after each, which must not
//! grow with the file (the checks keep keys, not records). Past a few thousand patients the
//! generator repeats an accession number within a facility now and then, which the import's
//! duplicate check refuses (the bench then says so and exits 2).

use std::time::{Duration, Instant};

use cancer_registry::audit::Actor;
use cancer_registry::auth::FacilityScope;
use cancer_registry::db::{self, Db, PoolOptions};
use cancer_registry::generate::{generate, GenerateOptions, GeneratorTables};
use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::submissions::import::{self, ImportOptions, ImportReport};

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("cannot run the bench: {what}: {e}");
    std::process::exit(2);
}

/// Derivation as the import command does it, with the built-in staging algorithms (loaded once).
fn deriver() -> cancer_registry::abstracts::derive::Deriver {
    static STAGING: std::sync::OnceLock<
        Option<std::sync::Arc<cancer_registry::staging::Registry>>,
    > = std::sync::OnceLock::new();
    let staging = STAGING.get_or_init(|| {
        let source = cancer_registry::config::algorithms_source();
        cancer_registry::config::load_staging(&source)
            .map_err(|e| eprintln!("staging not loaded ({e}): only the age is derived"))
            .ok()
            .map(std::sync::Arc::new)
    });
    cancer_registry::abstracts::derive::Deriver {
        staging: staging.clone(),
        options: cancer_registry::staging::StageOptions {
            current_year: cancer_registry::config::current_year()
                .unwrap_or_else(|e| fail("CANCER_REGISTRY_CURRENT_YEAR", e)),
        },
    }
}

/// Checks then applies the file, as the `import` command does; the report and the wall time.
fn import_once(db: &Db, dictionaries: &DictionarySet, file: &[u8]) -> (ImportReport, Duration) {
    let scope = FacilityScope::All;
    let options = ImportOptions {
        default_facility: None,
        file_name: Some("bench.xml".into()),
        reviewer: false,
        reason: None,
        deriver: Some(deriver()),
        limits: Default::default(),
    };
    let actor = Actor {
        sub: "bench".into(),
        roles: "operator".into(),
        request_id: None,
    };
    let started = Instant::now();
    let mut report = ImportReport {
        id: uuid::Uuid::now_v7().to_string(),
        file_name: options.file_name.clone(),
        ..Default::default()
    };
    let problems = import::walk(
        file,
        dictionaries,
        &scope,
        &options,
        &mut report,
        |_| Ok(()),
    )
    .unwrap_or_else(|e| fail("check", e));
    if !problems.is_empty() {
        fail(
            "check",
            format!("{} problem(s): {:?}", problems.len(), problems[0]),
        );
    }
    let mut conn = db.conn().unwrap_or_else(|e| fail("connection", e));
    let report = db::transaction(&mut conn, |conn| {
        import::apply_file(
            conn,
            file,
            dictionaries,
            &scope,
            &options,
            &report,
            None,
            &actor,
        )
    })
    .unwrap_or_else(|e| fail("apply", e));
    (report, started.elapsed())
}

fn main() {
    let patients: u64 = std::env::var("IMPORT_BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let tables = GeneratorTables::load_source(&GeneratorTables::default_source())
        .unwrap_or_else(|e| fail("generator tables", e));
    let mut file = Vec::new();
    let options = GenerateOptions {
        patients,
        seed: 22,
        ..GenerateOptions::default()
    };
    let summary = generate(&options, &tables, &mut file).unwrap_or_else(|e| fail("generate", e));
    drop(tables);
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("temporary folder", e));
    let url = std::env::var("IMPORT_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| dir.path().join("bench.db").to_string_lossy().to_string());
    let db = Db::open(
        &url,
        &PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_secs(30),
        },
    )
    .unwrap_or_else(|e| fail("database", e));
    let dictionaries = DictionarySet::from_env().unwrap_or_else(|e| fail("dictionaries", e));
    let mb = file.len() as f64 / 1e6;
    println!(
        "file: {} patients, {} tumors, {mb:.1} MB; backend {}; VmHWM before importing {} kB",
        summary.patients,
        summary.tumors,
        if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        vm_hwm_kb()
    );
    for run in ["first import", "re-send"] {
        let (report, took) = import_once(&db, &dictionaries, &file);
        let secs = took.as_secs_f64();
        println!(
            "{run}: {secs:.2} s, {:.0} patients/s, {:.2} MB/s; created {} patients, {} tumors; updated {} patients, {} tumors; unchanged {}; VmHWM {} kB",
            summary.patients as f64 / secs,
            mb / secs,
            report.patients_created,
            report.tumors_created,
            report.patients_updated,
            report.tumors_updated,
            report.unchanged,
            vm_hwm_kb()
        );
    }
}
