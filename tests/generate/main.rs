//! The synthetic data generator against the generator tables and the edits reference tables
//! the service ships (`data/generator-tables`, `data/reference`): determinism, realism, dictionary validity, XML round trip and the
//! edit pass rate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cancer_registry::edits::{self, ReferenceTables, Severity};
use cancer_registry::generate::{
    generate, generate_patient, GenerateOptions, GeneratorTables, FACILITIES,
};
use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::value::validate;
use cancer_registry::naaccr::xml::{read_all, Patient, ReaderOptions};
use cancer_registry::naaccr::{Dictionary, Level};

/// Patients in the shared sample most checks look at.
const SAMPLE: u64 = 2_000;
const SAMPLE_SEED: u64 = 20_260_101;

/// The published tables the service ships (`data/`): `generator-tables/` and `reference/`.
fn shared() -> Option<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    assert!(
        base.join("generator-tables/README.md").is_file(),
        "generator tables missing at {}",
        base.display()
    );
    Some(base)
}

struct Sample {
    shared: PathBuf,
    tables: GeneratorTables,
    xml: Vec<u8>,
    patients: Vec<Patient>,
}

fn sample() -> Option<&'static Sample> {
    static SAMPLE_CELL: OnceLock<Option<Sample>> = OnceLock::new();
    SAMPLE_CELL
        .get_or_init(|| {
            let shared = shared()?;
            let tables = GeneratorTables::load(shared.join("generator-tables")).unwrap();
            let options = GenerateOptions {
                patients: SAMPLE,
                seed: SAMPLE_SEED,
                ..GenerateOptions::default()
            };
            let mut xml = Vec::new();
            let summary = generate(&options, &tables, &mut xml).unwrap();
            assert_eq!(summary.patients, SAMPLE);
            let patients = (0..SAMPLE)
                .map(|i| generate_patient(&tables, SAMPLE_SEED, i))
                .collect();
            Some(Sample {
                shared,
                tables,
                xml,
                patients,
            })
        })
        .as_ref()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
        .collect()
}

fn get<'a>(items: &'a cancer_registry::naaccr::Items, id: &str) -> &'a str {
    items.get(id).map_or("", String::as_str)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let Some(s) = sample() else { return };
    let run = |seed: u64| {
        let mut out = Vec::new();
        let options = GenerateOptions {
            patients: 300,
            seed,
            ..GenerateOptions::default()
        };
        generate(&options, &s.tables, &mut out).unwrap();
        out
    };
    let a = run(7);
    assert_eq!(a, run(7), "same seed must give identical bytes");
    assert_ne!(a, run(8), "another seed must give another file");
    // tables loaded twice give the same output too (no hash-order dependence), and the copy
    // built into the binary is the folder's
    let again = GeneratorTables::load_source(&cancer_registry::refdata::Source::Embedded(
        "generator-tables",
    ))
    .unwrap();
    let mut b = Vec::new();
    let options = GenerateOptions {
        patients: 300,
        seed: 7,
        ..GenerateOptions::default()
    };
    generate(&options, &again, &mut b).unwrap();
    assert_eq!(a, b);
    // the in-memory patients are what the file holds
    let mut first = Vec::new();
    let options = GenerateOptions {
        patients: SAMPLE,
        seed: SAMPLE_SEED,
        ..GenerateOptions::default()
    };
    generate(&options, &s.tables, &mut first).unwrap();
    assert_eq!(first, s.xml);
}

/// A run split with `first` holds the patients of the whole run, in order.
#[test]
fn a_run_split_in_parts_has_the_whole_runs_patients() {
    let Some(s) = sample() else { return };
    let patients_of = |first: u64, patients: u64| {
        let mut out = Vec::new();
        let options = GenerateOptions {
            patients,
            seed: 5,
            first,
            ..GenerateOptions::default()
        };
        generate(&options, &s.tables, &mut out).unwrap();
        let mut read = Vec::new();
        let report = read_all(
            &out[..],
            &DictionarySet::builtin(),
            ReaderOptions::default(),
            |p| read.push((p.items.clone(), p.tumors.len())),
        );
        assert_eq!(report.error_count, 0);
        read
    };
    let whole = patients_of(0, 120);
    let mut parts = patients_of(0, 50);
    parts.extend(patients_of(50, 70));
    assert_eq!(whole.len(), 120);
    assert_eq!(parts, whole);
    assert_eq!(get(&parts[50].0, "patientIdNumber"), "00000051");
}

#[test]
fn every_value_is_valid_for_the_v26_dictionary() {
    let Some(s) = sample() else { return };
    let dict = Dictionary::v260();
    let mut bad = BTreeMap::new();
    let mut checked = 0u64;
    for p in &s.patients {
        let levels = std::iter::once((Level::Patient, &p.items))
            .chain(p.tumors.iter().map(|t| (Level::Tumor, &t.items)));
        for (level, items) in levels {
            for (id, v) in items {
                checked += 1;
                let Some(def) = dict.item(id) else {
                    *bad.entry(format!("{id}: not in v26")).or_insert(0) += 1;
                    continue;
                };
                if def.level != level {
                    *bad.entry(format!("{id}: wrong level")).or_insert(0) += 1;
                }
                if let Err(e) = validate(def, v) {
                    *bad.entry(format!("{id}={v:?}: {}", e.message)).or_insert(0) += 1;
                }
            }
        }
    }
    println!("{checked} values checked");
    assert!(bad.is_empty(), "invalid values: {bad:#?}");
}

#[test]
fn the_file_reads_back_with_zero_errors() {
    let Some(s) = sample() else { return };
    let mut read = Vec::new();
    let report = read_all(
        &s.xml[..],
        &DictionarySet::builtin(),
        ReaderOptions::default(),
        |p| read.push(p.clone()),
    );
    assert_eq!(report.error_count, 0, "{:#?}", report.errors);
    assert!(!report.fatal);
    assert_eq!(report.patients, SAMPLE);
    let tumors: usize = s.patients.iter().map(|p| p.tumors.len()).sum();
    assert_eq!(report.tumors, tumors as u64);
    for (a, b) in read.iter().zip(&s.patients) {
        assert_eq!(a.items, b.items);
        assert_eq!(a.tumors.len(), b.tumors.len());
        for (x, y) in a.tumors.iter().zip(&b.tumors) {
            assert_eq!(x.items, y.items);
        }
    }
}

#[test]
fn demographics_follow_the_tables() {
    let Some(s) = sample() else { return };
    let n = s.patients.len() as f64;
    let tables = s.shared.join("generator-tables");
    let share =
        |f: &dyn Fn(&Patient) -> bool| s.patients.iter().filter(|p| f(p)).count() as f64 / n;
    let table_share = |file: &str, code: &str| {
        let rows = csv_rows(&tables.join(file));
        let total: f64 = rows.iter().map(|r| r[0].parse::<f64>().unwrap()).sum();
        rows.iter()
            .filter(|r| r[1] == code)
            .map(|r| r[0].parse::<f64>().unwrap())
            .sum::<f64>()
            / total
    };
    let female = share(&|p| get(&p.items, "sexAssignedAtBirth") == "2");
    let female_t = table_share("sex.csv", "2");
    println!("female {female:.3} (table {female_t:.3})");
    assert!((female - female_t).abs() < 0.035);
    let white = share(&|p| get(&p.items, "race1") == "01");
    let white_t = table_share("race.csv", "01");
    println!("race 01 {white:.3} (table {white_t:.3})");
    assert!((white - white_t).abs() < 0.035);
    let dead = share(&|p| get(&p.items, "vitalStatus") == "0");
    let dead_t = table_share("vital_status.csv", "0");
    println!("dead {dead:.4} (table {dead_t:.4})");
    assert!(dead > 0.0 && (dead - dead_t).abs() < 0.01);
    let multi = share(&|p| p.tumors.len() > 1);
    println!("patients with several tumors {multi:.3}");
    assert!((0.025..0.09).contains(&multi));
    assert!(s.patients.iter().any(|p| p.tumors.len() == 3));

    // identifiers: SSNs never in the issued range, facilities from the pool
    for p in &s.patients {
        let ssn = get(&p.items, "socialSecurityNumber");
        assert!(ssn.len() == 9 && ssn.starts_with('9'), "{ssn}");
        for t in &p.tumors {
            let f: u64 = get(&t.items, "reportingFacility").parse().unwrap();
            assert!((1..=FACILITIES).contains(&f));
        }
        if get(&p.items, "vitalStatus") == "0" {
            assert_ne!(get(&p.items, "causeOfDeath"), "0000");
        } else {
            assert_eq!(get(&p.items, "causeOfDeath"), "0000");
        }
    }

    // ZIP codes come from the state's table, with its city
    let mut zips = BTreeSet::new();
    for e in std::fs::read_dir(tables.join("zip_codes")).unwrap() {
        for r in csv_rows(&e.unwrap().path()) {
            zips.insert((r[1].clone(), r[2].clone(), r[3].clone()));
        }
    }
    for p in &s.patients {
        let key = (
            get(&p.items, "addrCurrentPostalCode").to_string(),
            get(&p.items, "addrCurrentCity").to_string(),
            get(&p.items, "addrCurrentState").to_string(),
        );
        assert!(zips.contains(&key), "{key:?}");
    }
}

#[test]
fn sites_follow_the_tables() {
    let Some(s) = sample() else { return };
    let tables = s.shared.join("generator-tables");
    for (sex, file, prefix) in [
        ("1", "sites_sex_male.csv", "C619"),
        ("2", "sites_sex_female.csv", "C50"),
    ] {
        let rows = csv_rows(&tables.join(file));
        let total: f64 = rows.iter().map(|r| r[0].parse::<f64>().unwrap()).sum();
        let expected: f64 = rows
            .iter()
            .filter(|r| r[1].starts_with(prefix))
            .map(|r| r[0].parse::<f64>().unwrap())
            .sum::<f64>()
            / total;
        let firsts: Vec<&str> = s
            .patients
            .iter()
            .filter(|p| get(&p.items, "sexAssignedAtBirth") == sex)
            .filter_map(|p| p.tumors.first())
            .map(|t| get(&t.items, "primarySite"))
            .collect();
        let got = firsts
            .iter()
            .filter(|site| site.starts_with(prefix))
            .count() as f64
            / firsts.len() as f64;
        println!("sex {sex}: {prefix} {got:.3} (table {expected:.3})");
        assert!((got - expected).abs() < 0.04);
        let distinct: BTreeSet<&str> = firsts.iter().copied().collect();
        assert!(distinct.len() > 60, "{} distinct sites", distinct.len());
    }
}

#[test]
fn dates_are_in_order_and_spread() {
    let Some(s) = sample() else { return };
    let rx_dates = [
        "rxDateSurgery",
        "rxDateRadiation",
        "rxDateChemo",
        "rxDateHormone",
        "rxDateBrm",
        "rxDateSystemic",
        "date1stCrsRxCoc",
        "dateOf1stContact",
    ];
    let mut years = BTreeMap::new();
    let mut items_per_tumor = Vec::new();
    for p in &s.patients {
        let birth = get(&p.items, "dateOfBirth");
        let last = get(&p.items, "dateOfLastContact");
        assert!(birth < last);
        let mut seqs = BTreeSet::new();
        for t in &p.tumors {
            let dx = get(&t.items, "dateOfDiagnosis");
            assert!(birth < dx && dx <= last, "{birth} {dx} {last}");
            for d in rx_dates {
                if let Some(v) = t.items.get(d) {
                    assert!(
                        dx <= v.as_str() && v.as_str() <= last,
                        "{d} {dx} {v} {last}"
                    );
                }
            }
            *years.entry(dx[..4].to_string()).or_insert(0) += 1;
            items_per_tumor.push(t.items.len() + p.items.len());
            let seq = get(&t.items, "sequenceNumberCentral");
            assert!(
                seqs.insert(seq.to_string()),
                "duplicate sequence number {seq}"
            );
            // 00 only for a person's single in situ/malignant tumor, 60 for a single benign
            let same_kind = p
                .tumors
                .iter()
                .filter(|o| {
                    (get(&o.items, "behaviorCodeIcdO3") >= "2")
                        == (get(&t.items, "behaviorCodeIcdO3") >= "2")
                })
                .count();
            assert_eq!(seq == "00" || seq == "60", same_kind == 1, "{seq}");
        }
    }
    let total: u32 = years.values().sum();
    let eod: u32 = years
        .iter()
        .filter(|(y, _)| y.as_str() >= "2018")
        .map(|(_, n)| n)
        .sum();
    println!("diagnosis years: {years:?}");
    let eod_share = f64::from(eod) / f64::from(total);
    assert!((0.7..0.85).contains(&eod_share), "{eod_share}");
    assert!(years.keys().any(|y| y.as_str() < "2004"));
    items_per_tumor.sort_unstable();
    let avg = items_per_tumor.iter().sum::<usize>() as f64 / items_per_tumor.len() as f64;
    let (min, max) = (
        items_per_tumor[0],
        items_per_tumor[items_per_tumor.len() - 1],
    );
    println!("items per tumor (with its patient's): min {min}, avg {avg:.1}, max {max}");
    assert!(min >= 60 && max <= 150, "{min}..{max}");
}

/// Floor for the share of tumors without an error-level edit failure (measured 2026-11-27:
/// see GENERATOR.md).
const EDIT_PASS_FLOOR: f64 = 0.99;

#[test]
fn edits_mostly_pass() {
    let Some(s) = sample() else { return };
    let reference = match ReferenceTables::load(s.shared.join("reference")) {
        Ok(t) => t,
        Err(e) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{e}");
            eprintln!("\n*** SKIP: edits reference tables not loaded: {e} ***\n");
            return;
        }
    };
    let mut tumors = 0usize;
    let mut clean = 0usize;
    // tumors whose only error is B10 asking for a discriminator the selection does not use
    let mut discriminator_only = 0usize;
    let mut by_edit: BTreeMap<&str, usize> = BTreeMap::new();
    let mut warnings: BTreeMap<&str, usize> = BTreeMap::new();
    let mut examples: BTreeMap<&str, String> = BTreeMap::new();
    for p in &s.patients {
        let items: Vec<_> = p.tumors.iter().map(|t| t.items.clone()).collect();
        let failures = edits::run(&p.items, &items, &reference);
        tumors += items.len();
        let mut failed = BTreeSet::new();
        let mut other = BTreeSet::new();
        for f in &failures {
            if f.severity == Severity::Error
                && !(f.edit_id == "B10" && f.message.contains("schemaDiscriminator"))
            {
                other.insert(f.tumor_index.unwrap_or(usize::MAX));
            }
            if f.severity == Severity::Error {
                *by_edit.entry(f.edit_id).or_insert(0) += 1;
                examples
                    .entry(f.edit_id)
                    .or_insert_with(|| f.message.clone());
                failed.insert(f.tumor_index.unwrap_or(usize::MAX));
            } else {
                *warnings.entry(f.edit_id).or_insert(0) += 1;
            }
        }
        clean += (0..items.len())
            .filter(|i| !failed.contains(i) && !failed.contains(&usize::MAX))
            .count();
        discriminator_only += (0..items.len())
            .filter(|i| failed.contains(i) && !other.contains(i) && !other.contains(&usize::MAX))
            .count();
    }
    let rate = clean as f64 / tumors as f64;
    let mut top: Vec<_> = by_edit.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "edit pass rate: {clean}/{tumors} tumors = {:.2}% without an error-level failure",
        rate * 100.0
    );
    println!(
        "  of the failing tumors, {discriminator_only} fail only B10 for a schema discriminator \
         the selection does not use (pass rate without that conflict: {:.2}%)",
        (clean + discriminator_only) as f64 * 100.0 / tumors as f64
    );
    for (id, n) in top.iter().take(12) {
        println!(
            "  {id:6} {n:5}  e.g. {}",
            examples.get(*id).map_or("", String::as_str)
        );
    }
    println!("warnings: {warnings:?}");
    assert!(
        rate >= EDIT_PASS_FLOOR,
        "edit pass rate {rate:.4} below {EDIT_PASS_FLOOR}"
    );
}

#[test]
fn command_line_and_load_errors() {
    let Some(s) = sample() else { return };
    let tables = s.shared.join("generator-tables");
    let dir = std::env::temp_dir().join(format!("cr-generate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.xml");
    let summary = cancer_registry::generate::cli_run([
        "--patients",
        "25",
        "--seed=3",
        "--tables",
        tables.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    assert_eq!(summary.patients, 25);
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written.len() as u64, summary.bytes);
    assert!(written.starts_with(b"<?xml"));

    let usage = cancer_registry::generate::cli_run(["--patients", "x", "--out", "-"]);
    assert!(matches!(
        usage,
        Err(cancer_registry::generate::Error::Usage(_))
    ));
    let usage = cancer_registry::generate::cli_run(["--nope"]);
    assert!(matches!(
        usage,
        Err(cancer_registry::generate::Error::Usage(_))
    ));

    // a missing directory or file is named in the error
    let missing = GeneratorTables::load(dir.join("nowhere"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nowhere"), "{missing}");
    let partial = dir.join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::copy(
        tables.join("staging_keys.csv"),
        partial.join("staging_keys.csv"),
    )
    .unwrap();
    let e = GeneratorTables::load(&partial).unwrap_err().to_string();
    assert!(e.contains("sites"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
