//! Research data releases: the pure core behind approved research extracts and published
//! tables. No HTTP, no database: the service fetches patients and counts, these functions decide
//! what may leave the registry and in which form.
//!
//! * [`deid`]: HIPAA Safe Harbor de-identification of record-level extracts (item
//!   classification, request validation, study ids, CSV output).
//! * [`suppress`]: small-cell and complementary suppression of cross-tabulations.
//! * [`site_recode`]: SEER Site Recode 2023 groups, read at run time from the reference folder.
//! * [`age_group`]: standard 5-year age groups.

pub mod age_group;
pub mod data;
pub mod deid;
pub mod requests;
pub mod site_recode;
pub mod suppress;

use std::path::PathBuf;

pub use age_group::{age_group, age_group_of_years, AGE_GROUPS};
pub use deid::{
    classify, validate_request, DeidPatient, ItemClass, Refusal, Release, ReleaseOptions, StudyIds,
    Transform,
};
pub use site_recode::{SiteGroup, SiteRecodeTable};
pub use suppress::{suppress, Cell, Row, SuppressedTable, DEFAULT_THRESHOLD};

/// Errors of the research module.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The approved item list breaks the de-identification rules; every offending item is named.
    #[error("research request refused: {}", refusals_text(.0))]
    Refused(Vec<Refusal>),
    #[error("reference directory {0} does not exist; set CANCER_REGISTRY_REFERENCE to the folder holding the reference tables")]
    MissingDir(PathBuf),
    #[error("cannot read reference table {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reference table {path}, line {line}: {reason}")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A cross-tabulation handed to [`suppress()`] is malformed.
    #[error("cross-tabulation: {0}")]
    Table(String),
    #[error("cannot write the extract: {0}")]
    Write(#[from] std::io::Error),
}

fn refusals_text(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(|r| format!("{}: {}", r.item, r.reason))
        .collect::<Vec<_>>()
        .join("; ")
}
