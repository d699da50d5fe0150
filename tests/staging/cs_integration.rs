//! The upstream Collaborative Stage integration data (public part, ENGINE.md §12.2–§12.4).
//!
//! Release builds run every line; debug builds run a deterministic 1-in-N sample unless `STAGING_FULL=1`.

use std::collections::HashMap;
use std::path::Path;

use cancer_registry::staging::{Algorithm, StageOptions};

use crate::common;

const INPUT_KEYS: [&str; 17] = [
    "site",
    "hist",
    "year_dx",
    "cs_input_version_original",
    "behavior",
    "grade",
    "age_dx",
    "lvi",
    "size",
    "extension",
    "extension_eval",
    "nodes",
    "nodes_eval",
    "nodes_pos",
    "nodes_exam",
    "mets",
    "mets_eval",
];
const SSF_KEYS: [&str; 25] = [
    "ssf1", "ssf2", "ssf3", "ssf4", "ssf5", "ssf6", "ssf7", "ssf8", "ssf9", "ssf10", "ssf11",
    "ssf12", "ssf13", "ssf14", "ssf15", "ssf16", "ssf17", "ssf18", "ssf19", "ssf20", "ssf21",
    "ssf22", "ssf23", "ssf24", "ssf25",
];
/// The outputs a CS integration line lists: every CS output but the schema number and version.
const OUTPUT_KEYS: &[&str] = common::CS_OUTPUTS.split_at(2).1;
/// Debug builds check every N-th line of the big files.
const DEBUG_SAMPLE: usize = 97;

/// Java `String.split(",")`: trailing empty fields are dropped.
fn java_split(line: &str) -> Vec<&str> {
    let mut v: Vec<&str> = line.split(',').collect();
    while v.last().is_some_and(|s| s.is_empty()) {
        v.pop();
    }
    v
}

/// Stages one expected-output line the way the upstream harness does; `Err` describes a mismatch.
fn check_case(alg: &Algorithm, line: &str, options: &StageOptions) -> Result<(), String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let f = java_split(line);
    if f.len() != 80 {
        return Err(format!("{} fields", f.len()));
    }
    let mut entries: Vec<(&str, Option<&str>)> = Vec::with_capacity(42);
    for (i, k) in INPUT_KEYS.iter().chain(SSF_KEYS.iter()).enumerate() {
        let v = if i == 2 && (f[i] == "2019" || f[i] == "2020") {
            "2049"
        } else {
            f[i]
        };
        entries.push((k, Some(v)));
    }
    let found = alg.lookup_schemas(Some(f[0]), Some(f[1]), &[("ssf25", Some(f[41]))]);
    let output = if found.len() == 1 {
        alg.stage_entries(&entries, options).output
    } else {
        Default::default()
    };
    for (j, key) in OUTPUT_KEYS.iter().enumerate() {
        let want = f[42 + j].trim();
        let got = output
            .get(*key)
            .and_then(|v| v.as_deref())
            .unwrap_or("")
            .trim();
        if want != got {
            return Err(format!("{key}: got '{got}' want '{want}'"));
        }
    }
    Ok(())
}

struct Tally {
    checked: usize,
    failures: Vec<String>,
}

fn run_file(alg: &Algorithm, path: &Path, sample: usize) -> Tally {
    let mut t = Tally {
        checked: 0,
        failures: Vec::new(),
    };
    for (n, line) in common::gz_lines(path).enumerate() {
        if n % sample != 0 {
            continue;
        }
        t.checked += 1;
        if let Err(e) = check_case(alg, &line, &common::OPTIONS) {
            if t.failures.len() < 20 {
                t.failures
                    .push(format!("{}:{}: {e}", path.display(), n + 1));
            } else {
                t.failures.push(String::new());
            }
        }
    }
    t
}

fn cs() -> Option<&'static Algorithm> {
    common::registry().map(|r| r.get("cs").unwrap_or_else(|| panic!("cs not loaded")))
}

fn run_files(files: Vec<std::path::PathBuf>, label: &str) {
    let Some(alg) = cs() else {
        return;
    };
    let sample = if common::full() { 1 } else { DEBUG_SAMPLE };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let chunks: Vec<Vec<std::path::PathBuf>> = (0..workers)
        .map(|w| files.iter().skip(w).step_by(workers).cloned().collect())
        .collect();
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    let mut all = Tally {
                        checked: 0,
                        failures: Vec::new(),
                    };
                    for f in chunk {
                        let t = run_file(alg, f, sample);
                        all.checked += t.checked;
                        all.failures.extend(t.failures);
                    }
                    all
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("worker panicked")))
            .collect()
    });
    let checked: usize = tallies.iter().map(|t| t.checked).sum();
    let failures: Vec<&String> = tallies.iter().flat_map(|t| &t.failures).collect();
    eprintln!(
        "CS integration {label}: {} / {checked} cases pass (sample 1/{sample})",
        checked - failures.len()
    );
    assert!(checked > 0, "no CS {label} case was checked");
    assert!(
        failures.is_empty(),
        "{} CS {label} cases fail:\n{}",
        failures.len(),
        failures
            .iter()
            .filter(|f| !f.is_empty())
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn cs_ajcc_files() {
    let dir = common::staging_dir().join("cs-integration/test-data");
    let files: Vec<_> = ["AJCC_6.V020550.10000.txt.gz", "AJCC_7.V020550.10000.txt.gz"]
        .iter()
        .filter_map(|f| common::require(&dir.join(f)))
        .collect();
    if files.len() == 2 {
        run_files(files, "AJCC 6/7 files");
    }
}

#[test]
fn cs_schema_files() {
    let dir = common::staging_dir().join("cs-integration/schemas");
    let Some(index) = common::require(&dir.join("index.txt")) else {
        return;
    };
    let text = std::fs::read_to_string(index).unwrap_or_else(|e| panic!("{e}"));
    let mut files = Vec::new();
    for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let p = dir.join(name);
        if let Some(p) = common::require(&p) {
            files.push(p);
        }
    }
    assert_eq!(
        files.len(),
        57,
        "public CS schema files listed in index.txt"
    );
    run_files(files, "schema files");
}

#[test]
fn cs_schema_selection() {
    let Some(alg) = cs() else {
        return;
    };
    let Some(path) =
        common::require(&common::staging_dir().join(
            "cs-integration/schema_selection/cs_schema_identification_unit_test.public.txt.gz",
        ))
    else {
        return;
    };
    let sample = if common::full() { 1 } else { DEBUG_SAMPLE };
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, line) in common::gz_lines(&path).enumerate() {
        let line = line.trim_end_matches('\r');
        if n % sample != 0 || line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        assert_eq!(f.len(), 4, "line {}", n + 1);
        checked += 1;
        let found = alg.lookup_schemas(Some(f[0]), Some(f[1]), &[("ssf25", Some(f[2]))]);
        let ok = if f[3].is_empty() {
            found.len() != 1
        } else {
            found.len() == 1 && found[0].id == f[3]
        };
        if !ok && failures.len() < 20 {
            let ids: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
            failures.push(format!("line {}: {line} -> {ids:?}", n + 1));
        }
    }
    eprintln!(
        "CS schema selection: {} / {checked} lookups pass (sample 1/{sample})",
        checked - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cs_valid_inputs() {
    let Some(alg) = cs() else {
        return;
    };
    let Some(path) = common::require(
        &common::staging_dir().join("cs-integration/test-data/valid_inputs.020550.public.txt.gz"),
    ) else {
        return;
    };
    let by_name: HashMap<&str, &str> = alg
        .schemas()
        .iter()
        .filter_map(|s| s.name.as_deref().map(|n| (n, s.id.as_str())))
        .collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, line) in common::gz_lines(&path).enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 3, "line {}", n + 1);
        checked += 1;
        let ok = by_name
            .get(f[0])
            .is_some_and(|id| alg.is_code_valid(id, f[1], Some(f[2]), &common::OPTIONS));
        if !ok && failures.len() < 20 {
            failures.push(format!("line {}: {line}", n + 1));
        }
    }
    eprintln!(
        "CS valid inputs: {} / {checked} pass",
        checked - failures.len()
    );
    assert_eq!(checked, 193_563, "valid-input line count");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
