//! Submissions: streaming NAACCR XML exports of a selection of tumors (record types A, M, C,
//! I) tracked as jobs, with the tumor versions each carried; and transactional imports of
//! NAACCR XML files. Knows nothing of HTTP.

pub mod export;
pub mod files;
pub mod import;
pub mod import_dupes;
pub mod import_facilities;
pub mod import_keep;
pub mod import_limits;
pub mod import_log;
pub mod jobs;
pub mod leases;
pub mod recipients;
pub mod runner;
pub mod slots;

use crate::abstracts::{self, ItemError};
use crate::db::DbError;

/// Errors of submissions and imports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Abstracts(#[from] abstracts::Error),
    #[error("{} field(s) are invalid", .0.len())]
    Invalid(Vec<ItemError>),
    /// The file was refused; every problem is listed.
    #[error("the file was refused: {} problem(s)", .0.len())]
    Rejected(Vec<import::FileProblem>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Error {
        Error::Abstracts(abstracts::Error::Db(e))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        Error::Abstracts(e.into())
    }
}
