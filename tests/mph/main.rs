//! Agreement of the MP/H engine with the reference library's answers (`shared/mph`): the
//! 10,000 pairs of its public test file re-answered at the reference commit, and 160,038 further
//! pairs (random, hematopoietic, malformed and boundary inputs). Every pair must agree on the
//! decision, the rule set, the deciding rule and the kind of reason. Also the `mph` command and
//! the HTTP operations (on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../api/support/mod.rs"]
mod support;

mod api;
mod cli;
mod interrecord;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use cancer_registry::mph::{compare, TumorFields};

/// The files were produced on 2026-12-04 by a library that reads the clock: years up to 2026
/// are valid, 2031 is not.
const REFERENCE_YEAR: i64 = 2026;

/// `shared/mph`, or `None` after a loud skip notice (a failure under `CI=true`).
pub fn shared_mph() -> Option<PathBuf> {
    let base = std::env::var_os("CANCER_REGISTRY_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = base.join("mph");
    if dir.join("mph-vectors-head.tsv.gz").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared MP/H fixtures missing at {} under CI=true",
        dir.display()
    );
    eprintln!(
        "\n*** SKIP: MP/H reference answers not found under {} (set CANCER_REGISTRY_SHARED) ***\n",
        dir.display()
    );
    None
}

struct Disagreements {
    total: usize,
    by_group: BTreeMap<String, usize>,
    samples: Vec<String>,
}

/// Runs every row of a reference file; returns the row count and the disagreements.
fn check(path: &Path) -> (usize, Disagreements) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut lines = reader.lines();
    let header = lines
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("{}: no header", path.display()));
    let cols: Vec<&str> = header.split('\t').collect();
    let col = |n: &str| {
        cols.iter()
            .position(|c| *c == n)
            .unwrap_or_else(|| panic!("{}: no column {n}", path.display()))
    };
    let tumor_cols = |k: &str| {
        [
            col(&format!("year{k}")),
            col(&format!("month{k}")),
            col(&format!("day{k}")),
            col(&format!("site{k}")),
            col(&format!("histO3_{k}")),
            col(&format!("behO3_{k}")),
            col(&format!("histO2_{k}")),
            col(&format!("behO2_{k}")),
            col(&format!("lat{k}")),
        ]
    };
    let (c1, c2) = (tumor_cols("1"), tumor_cols("2"));
    let (c_result, c_group, c_step, c_kind) = (
        col("result"),
        col("group_id"),
        col("step"),
        col("message_kind"),
    );
    let mut rows = 0;
    let mut d = Disagreements {
        total: 0,
        by_group: BTreeMap::new(),
        samples: Vec::new(),
    };
    for (i, line) in lines.enumerate() {
        let line = line.unwrap_or_else(|e| panic!("{} line {}: {e}", path.display(), i + 2));
        let f: Vec<&str> = line.split('\t').collect();
        let tumor = |c: &[usize; 9]| TumorFields {
            year: f[c[0]],
            month: f[c[1]],
            day: f[c[2]],
            site: f[c[3]],
            histology: f[c[4]],
            behavior: f[c[5]],
            histology_icdo2: f[c[6]],
            behavior_icdo2: f[c[7]],
            laterality: f[c[8]],
        };
        let (t1, t2) = (tumor(&c1), tumor(&c2));
        let o = compare(&t1, &t2, REFERENCE_YEAR).unwrap_or_else(|e| panic!("tables: {e}"));
        rows += 1;
        let got = (
            o.decision.as_reference(),
            o.rule_set.map(|g| g.id).unwrap_or(""),
            o.step.unwrap_or(""),
            o.message.code(),
        );
        let want = (f[c_result], f[c_group], f[c_step], f[c_kind]);
        if got != want {
            d.total += 1;
            *d.by_group.entry(want.1.to_string()).or_default() += 1;
            if d.samples.len() < 40 {
                d.samples.push(format!(
                    "line {}: {line}\n    got {got:?}\n    want {want:?}",
                    i + 2
                ));
            }
        }
    }
    (rows, d)
}

fn assert_agrees(file: &str, expected_rows: usize) {
    let Some(dir) = shared_mph() else { return };
    let (rows, d) = check(&dir.join(file));
    eprintln!("{file}: {rows} pairs, {} disagreements", d.total);
    for (g, n) in &d.by_group {
        eprintln!(
            "  {n:6}  {}",
            if g.is_empty() { "(no rule set)" } else { g }
        );
    }
    for s in &d.samples {
        eprintln!("{s}");
    }
    assert_eq!(rows, expected_rows, "{file}: row count");
    assert_eq!(
        d.total, 0,
        "{file}: {} pairs disagree with the reference",
        d.total
    );
}

#[test]
fn agrees_with_the_reference_on_the_public_test_file() {
    assert_agrees("mph-testing-2000-2022.head-expected.tsv.gz", 10_000);
}

#[test]
fn agrees_with_the_reference_on_the_vectors() {
    assert_agrees("mph-vectors-head.tsv.gz", 160_038);
}
