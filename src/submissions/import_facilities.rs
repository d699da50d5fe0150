//! The facilities a file names must be registered (`crate::facilities`), unless the service
//! accepts unknown facilities for a first load.

use super::import::{FileProblem, ImportReport, UNKNOWN_FACILITY};
use super::Error;
use crate::db::DbConn;
use crate::facilities;

/// One problem per facility the file names that is not registered, at the first line naming
/// it. The registry's own "unknown facility" id is always accepted.
pub fn unknown_facilities(
    conn: &mut DbConn,
    report: &ImportReport,
) -> Result<Vec<FileProblem>, Error> {
    let named: Vec<String> = report
        .facilities
        .iter()
        .filter(|f| f.as_str() != UNKNOWN_FACILITY)
        .cloned()
        .collect();
    Ok(facilities::unknown(conn, &named)?
        .into_iter()
        .map(|f| FileProblem {
            line: report.facility_lines.get(&f).copied(),
            column: None,
            item: Some("reportingFacility".into()),
            rule: "unknown-facility".into(),
            message: format!(
                "facility {f} is not registered: a manager registers it (POST /api/v1/facilities)"
            ),
            patient_line: None,
        })
        .collect())
}
