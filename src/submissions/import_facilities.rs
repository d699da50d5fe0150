//! The facilities a file names must be registered (`crate::facilities`), unless the service
//! accepts unknown facilities for a first load; and what becomes of a file its check refused,
//! the same for the HTTP upload and the `import` command.

use super::import::{FileProblem, ImportReport, UNKNOWN_FACILITY};
use super::{import_log, Error};
use crate::db::DbConn;
use crate::facilities::{Registered, UNKNOWN_FACILITY_RULE};

/// One problem per facility the file names that is not registered, at the first line naming
/// it. The registry's own "unknown facility" id is always accepted.
pub fn unknown_facilities(
    conn: &mut DbConn,
    registered: &Registered,
    report: &ImportReport,
) -> Result<Vec<FileProblem>, Error> {
    let named = report
        .facilities
        .iter()
        .map(String::as_str)
        .filter(|f| *f != UNKNOWN_FACILITY);
    Ok(registered
        .unknown(conn, named)?
        .into_iter()
        .map(|f| FileProblem {
            line: report.facility_lines.get(&f).copied(),
            column: None,
            item: Some("reportingFacility".into()),
            rule: UNKNOWN_FACILITY_RULE.into(),
            message: format!(
                "facility {f} is not registered: a manager registers it (POST /api/v1/facilities)"
            ),
            patient_line: None,
        })
        .collect())
}

/// Ends the check of a walked file: adds its unknown facilities to `problems`, and when there
/// are problems records the refused file in the import log (unless a dry run, which stores
/// nothing), so a refusal leaves a trace whoever sent the file. Returns every problem: none
/// means the file may be applied.
pub fn finish_check(
    conn: &mut DbConn,
    registered: &Registered,
    report: &mut ImportReport,
    mut problems: Vec<FileProblem>,
    dry_run: bool,
    by: &str,
) -> Result<Vec<FileProblem>, Error> {
    problems.extend(unknown_facilities(conn, registered, report)?);
    if !problems.is_empty() && !dry_run {
        report.problems_total = problems.len() as u64;
        report.problems = problems.clone();
        import_log::record(conn, report, import_log::REFUSED, by)?;
    }
    Ok(problems)
}
