//! Facts from the upstream Java unit tests (`shared/staging/eod-tnm-cases-public.tsv`, ENGINE.md §12.5).

use std::collections::BTreeSet;

use cancer_registry::staging::{Algorithm, ResultType};
use serde_json::{Map, Value};

use crate::common;

fn entries(obj: &Map<String, Value>) -> Vec<(&str, Option<&str>)> {
    obj.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn str_of<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn check_staging(
    alg: &Algorithm,
    kind: &str,
    inputs: &Map<String, Value>,
    exp: &Map<String, Value>,
) -> Result<(), String> {
    let r = alg.stage_entries(&entries(inputs), &common::OPTIONS);
    let result = serde_json::to_value(r.result).map_err(|e| e.to_string())?;
    if result.as_str() != Some(kind) {
        return Err(format!("result {result} != {kind}"));
    }
    for (k, v) in exp {
        let ok = match k.as_str() {
            "schema_id" => r.schema_id.as_deref() == v.as_str(),
            "outputs" => v.as_object().is_some_and(|o| {
                o.iter()
                    .all(|(ok, ov)| r.output.get(ok).map(|x| x.as_deref()) == Some(ov.as_str()))
            }),
            "output_size" => v.as_u64() == Some(r.output.len() as u64),
            "error_count" => v.as_u64() == Some(r.errors.len() as u64),
            "path_size" => v.as_u64() == Some(r.path.len() as u64),
            "path" => {
                let mut want: Vec<&str> = v
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut got: Vec<&str> = r.path.iter().map(String::as_str).collect();
                want.sort_unstable();
                got.sort_unstable();
                want == got
            }
            "error_types" => {
                let got: Vec<Value> = r
                    .errors
                    .iter()
                    .filter_map(|e| serde_json::to_value(e.kind).ok())
                    .collect();
                v.as_array() == Some(&got)
            }
            "error_types_all" => {
                !r.errors.is_empty()
                    && r.errors
                        .iter()
                        .all(|e| serde_json::to_value(e.kind).ok().as_ref() == Some(v))
            }
            "first_error" => r.errors.first().is_some_and(|e| {
                let fe = v.as_object();
                let field = |n: &str| fe.and_then(|o| o.get(n));
                field("table").and_then(Value::as_str) == e.table.as_deref()
                    && field("message").and_then(Value::as_str) == e.message.as_deref()
                    && field("columns").and_then(Value::as_array).map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect::<Vec<_>>()
                    }) == e.columns
            }),
            "output_keys_subset_of_cs_outputs" => r
                .output
                .keys()
                .all(|k| common::CS_OUTPUTS.contains(&k.as_str())),
            "null_output_rule" => {
                !r.output.is_empty()
                    && r.output
                        .iter()
                        .all(|(k, v)| k.contains("ajcc7") == v.is_none())
            }
            other => return Err(format!("unknown expectation '{other}'")),
        };
        if !ok {
            return Err(format!("expectation {k} = {v} failed; got {r:?}"));
        }
    }
    Ok(())
}

fn check_line(alg: &Algorithm, kind: &str, inputs: &Value, exp: &Value) -> Result<(), String> {
    let inputs = inputs.as_object().ok_or("inputs not an object")?;
    let exp = exp.as_object().ok_or("expected not an object")?;
    let want_bool = |got: bool| -> Result<(), String> {
        match exp.get("valid").and_then(Value::as_bool) {
            Some(w) if w == got => Ok(()),
            w => Err(format!("valid: got {got}, want {w:?}")),
        }
    };
    let empty = Map::new();
    match kind {
        "LOOKUP" => {
            let discriminators: Vec<(&str, Option<&str>)> = inputs
                .iter()
                .filter(|(k, _)| *k != "site" && *k != "hist")
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let found = alg.lookup_schemas(
                str_of(inputs, "site"),
                str_of(inputs, "hist"),
                &discriminators,
            );
            let ids: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
            if let Some(want) = exp.get("schema_ids").and_then(Value::as_array) {
                let want: Vec<&str> = want.iter().filter_map(Value::as_str).collect();
                if want != ids {
                    return Err(format!("schemas {ids:?} != {want:?}"));
                }
            }
            if let Some(n) = exp.get("count").and_then(Value::as_u64) {
                if n != ids.len() as u64 {
                    return Err(format!("count {} != {n} ({ids:?})", ids.len()));
                }
            }
            if let Some(want) = exp.get("discriminators_union").and_then(Value::as_array) {
                let want: BTreeSet<&str> = want.iter().filter_map(Value::as_str).collect();
                let got: BTreeSet<&str> = found
                    .iter()
                    .flat_map(|s| s.discriminators.iter().map(String::as_str))
                    .collect();
                if want != got {
                    return Err(format!("discriminators {got:?} != {want:?}"));
                }
            }
            Ok(())
        }
        "CODE_VALID" => want_bool(alg.is_code_valid(
            str_of(inputs, "schema_id").unwrap_or(""),
            str_of(inputs, "key").unwrap_or(""),
            str_of(inputs, "value"),
            &common::OPTIONS,
        )),
        "CONTEXT_VALID" => {
            let ctx = inputs
                .get("context")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            want_bool(alg.is_context_valid(
                str_of(inputs, "schema_id").unwrap_or(""),
                str_of(inputs, "key").unwrap_or(""),
                &entries(ctx),
            ))
        }
        "TABLE_ROW" => {
            let ctx = inputs
                .get("context")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let got = alg.find_table_row(
                str_of(inputs, "table_id").unwrap_or(""),
                &entries(ctx),
                &common::OPTIONS,
            );
            if exp.get("row_index_not_null").and_then(Value::as_bool) == Some(true) {
                return got.map(|_| ()).ok_or_else(|| "row is null".to_string());
            }
            let want = exp.get("row_index").and_then(Value::as_u64);
            if got.map(|g| g as u64) == want {
                Ok(())
            } else {
                Err(format!("row {got:?} != {want:?}"))
            }
        }
        "VALID_SITE" => want_bool(alg.is_valid_site(str_of(inputs, "site").unwrap_or(""))),
        "VALID_HIST" => want_bool(alg.is_valid_histology(str_of(inputs, "hist").unwrap_or(""))),
        staging => check_staging(alg, staging, inputs, exp),
    }
}

#[test]
fn java_unit_test_facts() {
    let Some(reg) = common::registry() else {
        return;
    };
    let Some(path) = common::require(&common::staging_dir().join("eod-tnm-cases-public.tsv"))
    else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut total = 0;
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 5, "line {}: {} columns", n + 1, cols.len());
        let alg = reg
            .get(cols[0])
            .unwrap_or_else(|| panic!("line {}: algorithm {} not loaded", n + 1, cols[0]));
        assert_eq!(alg.version(), cols[1], "line {}", n + 1);
        let inputs: Value = serde_json::from_str(cols[2]).unwrap_or_else(|e| panic!("{e}"));
        let exp: Value = serde_json::from_str(cols[3]).unwrap_or_else(|e| panic!("{e}"));
        total += 1;
        // ResultType round-trip guards against silently accepting an unknown result name.
        if !matches!(
            cols[4],
            "LOOKUP" | "CODE_VALID" | "CONTEXT_VALID" | "TABLE_ROW" | "VALID_SITE" | "VALID_HIST"
        ) {
            let parsed: Result<ResultType, _> =
                serde_json::from_value(Value::String(cols[4].to_string()));
            assert!(parsed.is_ok(), "line {}: unknown result {}", n + 1, cols[4]);
        }
        if let Err(e) = check_line(alg, cols[4], &inputs, &exp) {
            failures.push(format!("line {} ({} {}): {e}", n + 1, cols[0], cols[4]));
        }
    }
    eprintln!("unit-test facts: {} / {total} pass", total - failures.len());
    assert_eq!(total, 172, "public unit-test case count");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
