//! Differential test against the reference results in `shared/staging/oracle/`.

use std::collections::BTreeMap;

use cancer_registry::staging::{StageResult, StagingError};
use serde::Deserialize;

use crate::common;

#[derive(Deserialize)]
struct Case {
    id: String,
    inputs: BTreeMap<String, Option<String>>,
    expected: StageResult,
}

fn sorted(errors: &[StagingError]) -> Vec<StagingError> {
    let mut v = errors.to_vec();
    v.sort();
    v
}

/// Describes how `got` differs from `want`, or `None` if equal under the oracle's rules.
pub fn diff(got: &StageResult, want: &StageResult) -> Option<String> {
    if got.result != want.result {
        return Some(format!("result {:?} != {:?}", got.result, want.result));
    }
    if got.schema_id != want.schema_id {
        return Some(format!(
            "schema {:?} != {:?}",
            got.schema_id, want.schema_id
        ));
    }
    if got.output != want.output {
        let keys: Vec<_> = want
            .output
            .iter()
            .filter(|(k, v)| got.output.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}: got {:?} want {v:?}", got.output.get(k)))
            .chain(
                got.output
                    .keys()
                    .filter(|k| !want.output.contains_key(*k))
                    .map(|k| format!("{k}: extra")),
            )
            .collect();
        return Some(format!("output differs: {keys:?}"));
    }
    if got.path != want.path {
        return Some(format!("path {:?} != {:?}", got.path, want.path));
    }
    if sorted(&got.errors) != sorted(&want.errors) {
        return Some(format!("errors {:?} != {:?}", got.errors, want.errors));
    }
    None
}

fn check(algorithm: &str, file: &str, expected_cases: usize) {
    let Some(reg) = common::registry() else {
        return;
    };
    let Some(path) = common::require(&common::staging_dir().join("oracle").join(file)) else {
        return;
    };
    let alg = reg
        .get(algorithm)
        .unwrap_or_else(|| panic!("algorithm {algorithm} not loaded"));
    let mut total = 0;
    let mut failures = Vec::new();
    for line in common::gz_lines(&path) {
        let case: Case = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{file}: {e}"));
        let entries: Vec<(&str, Option<&str>)> = case
            .inputs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        let got = alg.stage_entries(&entries, &common::OPTIONS);
        total += 1;
        if let Some(d) = diff(&got, &case.expected) {
            failures.push(format!("{}: {d}", case.id));
        }
    }
    eprintln!(
        "oracle {algorithm}: {} / {total} cases match",
        total - failures.len()
    );
    assert_eq!(total, expected_cases, "case count of {file}");
    assert!(
        failures.is_empty(),
        "{} of {total} {algorithm} oracle cases differ; first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn oracle_eod_public() {
    check("eod_public", "eod_public-public.jsonl.gz", 1800);
}

#[test]
fn oracle_tnm() {
    check("tnm", "tnm-public.jsonl.gz", 900);
}

#[test]
fn oracle_pediatric() {
    check("pediatric", "pediatric-public.jsonl.gz", 450);
}

#[test]
fn oracle_cs() {
    check("cs", "cs-public.jsonl.gz", 900);
}
