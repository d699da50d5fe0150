//! Abstracts: patients and their tumors as NAACCR v26 items, checked against the dictionary on
//! every write, with optimistic concurrency (`version`), facility scope and the abstracting
//! workflow (draft, review, complete). Knows nothing of HTTP.

pub mod derive;
pub mod duplicates;
pub mod items;
pub mod lifecycle;
pub mod patients;
pub mod saving;
pub mod search;
pub mod tumors;
pub mod withdrawal;

use crate::db::DbError;

pub use items::{ItemChange, ItemError};

/// Errors of the abstracts domain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{} item(s) are invalid", .0.len())]
    Invalid(Vec<ItemError>),
    #[error("the {entity} has changed since it was read: its current version is {current}")]
    StaleVersion { entity: &'static str, current: i64 },
    #[error("this change needs an If-Match header with the current ETag")]
    PreconditionRequired,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    /// A complete abstract (or a patient with one) and a caller who may not change it.
    #[error("{0}")]
    Locked(String),
    #[error("facility {facility} already has a patient with Patient ID Number {number}: patient {existing}")]
    NumberTaken {
        number: String,
        facility: String,
        existing: String,
    },
    #[error("the new patient may be one already registered ({} candidate(s)); send confirmedNotDuplicate with a reason if not", .0.len())]
    PossibleDuplicate(Vec<duplicates::Candidate>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        Error::Db(DbError::Query(e))
    }
}

/// Ids per query when a function takes a list of any length: well under SQLite's 32,766 bound
/// variables (and PostgreSQL's 65,535), with room for the query's other parameters.
pub(crate) const ID_CHUNK: usize = 10_000;

/// Each id once, sorted: an id repeated in two chunks must not be answered twice, as one `IN`
/// list would not.
pub(crate) fn distinct(ids: &[String]) -> Vec<&String> {
    let mut ids: Vec<&String> = ids.iter().collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A page of results and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next: Option<String>,
}

/// Checks an `If-Match` version against the stored one: absent is 428, different is 412.
pub(crate) fn check_version(
    entity: &'static str,
    expected: Option<i64>,
    current: i64,
) -> Result<(), Error> {
    match expected {
        None => Err(Error::PreconditionRequired),
        Some(v) if v != current => Err(Error::StaleVersion { entity, current }),
        Some(_) => Ok(()),
    }
}

impl<T> Page<T> {
    /// A page from `limit + 1` rows fetched in id order: the extra row only says another page
    /// follows, whose cursor is the id of the last row kept.
    pub(crate) fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        id: impl Fn(&R) -> &str,
        into: impl Fn(R) -> T,
    ) -> Page<T> {
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit.max(0) as usize);
            rows.last().map(|r| id(r).to_string())
        } else {
            None
        };
        Page {
            data: rows.into_iter().map(into).collect(),
            next,
        }
    }

    /// [`Page::from_rows`] for rows fetched in another keyset order, whose cursor is built
    /// from the last row kept.
    pub(crate) fn from_rows_keyed<R>(
        mut rows: Vec<R>,
        limit: i64,
        cursor: impl Fn(&R) -> String,
        into: impl Fn(R) -> T,
    ) -> Page<T> {
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit.max(0) as usize);
            rows.last().map(cursor)
        } else {
            None
        };
        Page {
            data: rows.into_iter().map(into).collect(),
            next,
        }
    }
}

/// Clamps a requested page size.
pub(crate) fn page_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(50).clamp(1, 500)
}
