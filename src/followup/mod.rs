//! Follow-up: contacts and vital status, first recurrence, due and delinquent lists, death
//! clearance, and the CoC follow-up rates. Knows nothing of HTTP.

pub mod contacts;
pub mod death_reviews;
pub mod deaths;
pub mod due;
pub mod eligibility;

use crate::abstracts::{self, ItemError};
use crate::db::DbError;

/// Errors of the follow-up domain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Abstracts(#[from] abstracts::Error),
    #[error("{} field(s) are invalid", .0.len())]
    Invalid(Vec<ItemError>),
    #[error("{0}")]
    Conflict(String),
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

pub(crate) fn invalid(field: &str, rule: &str, message: impl Into<String>) -> Error {
    Error::Invalid(vec![ItemError::new(field, None, rule, message)])
}
