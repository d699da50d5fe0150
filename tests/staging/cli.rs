//! The JSON-lines batch interface.

use cancer_registry::staging::{cli, Error};

use crate::common;

#[test]
fn cli_stages_lines_and_names_bad_lines() {
    let Some(reg) = common::registry() else {
        return;
    };
    let Some(alg) = reg.get("eod_public") else {
        panic!("eod_public not loaded");
    };
    let input = concat!(
        r#"{"id":"a","inputs":{"year_dx":"2018","site":"C250","hist":"8154","eod_primary_tumor":"500","eod_regional_nodes":"300","eod_mets":"10","nodes_pos":"03"}}"#,
        "\n\n",
        r#"{"id":7,"inputs":{"site":"C489"}}"#,
        "\n"
    );
    let mut out = Vec::new();
    let summary = cli::run_with(alg, &common::OPTIONS, input.as_bytes(), &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.cases, 2);
    let text = String::from_utf8(out).unwrap_or_default();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["result"], "STAGED");
    assert_eq!(lines[0]["schema_id"], "pancreas");
    assert_eq!(lines[0]["output"]["ss2018_derived"], "7");
    assert_eq!(lines[0]["path"].as_array().map(Vec::len), Some(5));
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["result"], "FAILED_MISSING_SITE_OR_HISTOLOGY");
    assert!(lines[1]["schema_id"].is_null());

    let bad = "{\"id\":1,\"inputs\":{}}\nnot json\n";
    match cli::run_with(alg, &common::OPTIONS, bad.as_bytes(), Vec::new()) {
        Err(Error::BadInputLine { line, .. }) => assert_eq!(line, 2),
        other => panic!("expected a bad-line error, got {other:?}"),
    }
    let wrong_shape = "{\"id\":1,\"inputs\":{\"site\":5}}\n";
    assert!(matches!(
        cli::run_with(alg, &common::OPTIONS, wrong_shape.as_bytes(), Vec::new()),
        Err(Error::BadInputLine { line: 1, .. })
    ));
}

#[test]
fn cli_run_rejects_unknown_algorithm() {
    let source = cancer_registry::refdata::Source::Embedded("algorithms");
    let r = cli::run(
        "no_such",
        &source,
        &common::OPTIONS,
        "".as_bytes(),
        Vec::new(),
    );
    assert!(matches!(r, Err(Error::UnknownAlgorithm(_))));
}
