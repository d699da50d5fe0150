//! Batch staging over JSON lines, for `cancer-registry stage --algorithm ID [--algorithms DIR]`.
//!
//! Input: one JSON object per line with `id` (any JSON value, echoed) and `inputs` (string → string or
//! null); other fields are ignored, so the oracle files can be fed in directly. Output: one line per case
//! with `id`, `result`, `schema_id`, `output`, `errors`, `path`, the shape of the oracle's `expected`.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::{Algorithm, Error, Registry, ResultType, StageOptions, StagingError};

#[derive(Deserialize)]
struct CaseLine {
    #[serde(default)]
    id: serde_json::Value,
    inputs: BTreeMap<String, Option<String>>,
}

#[derive(Serialize)]
struct ResultLine<'a> {
    id: &'a serde_json::Value,
    result: ResultType,
    schema_id: &'a Option<String>,
    output: &'a BTreeMap<String, Option<String>>,
    errors: &'a [StagingError],
    path: &'a [String],
}

/// Counts of a batch run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub by_result: BTreeMap<String, usize>,
}

/// Loads the algorithms of `source` and stages every line of `input` with `algorithm_id`.
pub fn run(
    algorithm_id: &str,
    source: &crate::refdata::Source,
    options: &StageOptions,
    input: impl BufRead,
    output: impl Write,
) -> Result<Summary, Error> {
    let registry = Registry::load_source(source)?;
    let alg = registry
        .get(algorithm_id)
        .ok_or_else(|| Error::UnknownAlgorithm(algorithm_id.to_string()))?;
    run_with(alg, options, input, output)
}

/// Stages every line of `input` with an already loaded algorithm. Blank lines are skipped; a line that
/// is not a case object stops the run with an error naming its (1-based) line number.
pub fn run_with(
    alg: &Algorithm,
    options: &StageOptions,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<Summary, Error> {
    let mut summary = Summary::default();
    let mut buf = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(Error::ReadInput)?;
        if line.trim().is_empty() {
            continue;
        }
        let case: CaseLine = serde_json::from_str(&line).map_err(|e| Error::BadInputLine {
            line: n + 1,
            message: e.to_string(),
        })?;
        let entries: Vec<(&str, Option<&str>)> = case
            .inputs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        let r = alg.stage_entries(&entries, options);
        let out = ResultLine {
            id: &case.id,
            result: r.result,
            schema_id: &r.schema_id,
            output: &r.output,
            errors: &r.errors,
            path: &r.path,
        };
        buf.clear();
        serde_json::to_writer(&mut buf, &out).map_err(|e| Error::BadInputLine {
            line: n + 1,
            message: format!("cannot serialise result: {e}"),
        })?;
        buf.push(b'\n');
        output.write_all(&buf).map_err(Error::WriteOutput)?;
        summary.cases += 1;
        let name = serde_json::to_value(r.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *summary.by_result.entry(name).or_default() += 1;
    }
    output.flush().map_err(Error::WriteOutput)?;
    Ok(summary)
}
