//! The edit summary of the shared NAACCR files, kept as a regression: a change to an edit or a
//! table that moves these counts must be deliberate (update the expectations with it).

use std::path::Path;

use cancer_registry::edits::cli::summarize_xml;
use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::xml::open_path;

/// Patients, tumors, failures, error-level failures, and failures per edit.
type Counts = (usize, usize, usize, usize, Vec<(String, usize)>);

fn summary(file: &str) -> Option<Counts> {
    let tables = super::tables()?;
    let shared = std::env::var_os("CANCER_REGISTRY_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("naaccr");
    let path = shared.join(file);
    if !path.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            path.display()
        );
        eprintln!("SKIPPED: {} is absent", path.display());
        return None;
    }
    let set = DictionarySet::from_dir(&shared.join("dictionaries")).unwrap();
    let mut out = Vec::new();
    let s = summarize_xml(open_path(&path).unwrap(), &set, tables, false, &mut out).unwrap();
    let by_edit = s.by_edit.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    Some((s.patients, s.tumors, s.failures, s.error_failures, by_edit))
}

fn check(file: &str, totals: (usize, usize, usize, usize), by_edit: &[(&str, usize)]) {
    let Some((p, t, f, e, got)) = summary(file) else {
        return;
    };
    assert_eq!(
        (p, t, f, e),
        totals,
        "{file}: patients, tumors, failures, error-level"
    );
    let mut expected: Vec<(String, usize)> =
        by_edit.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    expected.sort();
    assert_eq!(got, expected, "{file}: failures per edit");
}

#[test]
fn synthetic_v22_abstract() {
    check(
        "synthetic/synthetic-data_naaccr-xml-22-abstract_5-tumors.xml",
        (3, 5, 20, 16),
        &[
            ("B02", 2),
            ("B04", 2),
            ("B10", 5),
            ("IF24", 4),
            ("D05", 3),
            ("E04", 3),
            ("E16", 1),
        ],
    );
}

#[test]
fn sample_v25_abstract_100() {
    check(
        "samples/naaccr-xml-sample-v250-abstract-100.xml.gz",
        (90, 100, 376, 235),
        &[
            ("B02", 4),
            ("B10", 100),
            ("IF24", 1),
            ("IF42", 1),
            ("IF114", 1),
            ("D04", 10),
            ("D05", 91),
            ("E04", 91),
            ("E09", 18),
            ("E16", 40),
            ("F01", 4),
            ("F07", 15),
        ],
    );
}

#[test]
fn sample_v25_abstract_1000() {
    check(
        "samples/naaccr-xml-sample-v250-abstract-1000.xml.gz",
        (943, 1000, 3824, 2452),
        &[
            ("B02", 31),
            ("B10", 1000),
            ("IF25", 1),
            ("C02", 1),
            ("IF24", 8),
            ("IF42", 6),
            ("IF114", 7),
            ("IF22", 5),
            ("D04", 78),
            ("D05", 904),
            ("E04", 904),
            ("E09", 224),
            ("E16", 390),
            ("F01", 33),
            ("F07", 232),
        ],
    );
}

#[test]
fn sample_v25_incidence_100() {
    check(
        "samples/naaccr-xml-sample-v250-incidence-100.xml.gz",
        (93, 100, 383, 238),
        &[
            ("B02", 4),
            ("B10", 100),
            ("IF24", 1),
            ("IF42", 1),
            ("IF114", 1),
            ("D04", 8),
            ("D05", 90),
            ("E04", 90),
            ("E09", 21),
            ("E16", 47),
            ("F01", 1),
            ("F07", 19),
        ],
    );
}

#[test]
fn sample_v25_incidence_1000() {
    check(
        "samples/naaccr-xml-sample-v250-incidence-1000.xml.gz",
        (944, 1000, 3810, 2434),
        &[
            ("B02", 29),
            ("B10", 1000),
            ("IF25", 2),
            ("C02", 2),
            ("IF24", 5),
            ("IF42", 9),
            ("IF114", 13),
            ("IF22", 1),
            ("D04", 76),
            ("D05", 909),
            ("E04", 909),
            ("E09", 198),
            ("E16", 391),
            ("F01", 35),
            ("F07", 231),
        ],
    );
}
