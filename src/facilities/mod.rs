//! Reporting facilities as records: id (Reporting Facility [540], 10 digits), name, NPI and
//! state. Imports, tokens and direct writes are checked against them ([`Registered`]). Knows
//! nothing of HTTP.

mod registered;

pub use registered::{Registered, UNKNOWN_FACILITY_RULE};

pub mod profile;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::abstracts::{Error, ItemError};
use crate::db::schema::facilities;
use crate::db::DbConn;

/// A registered facility.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Facility {
    /// Reporting Facility [540]: 10 digits (CoC or NPI-based facility id).
    pub id: String,
    pub name: String,
    /// National Provider Identifier: 10 digits with its check digit.
    pub npi: Option<String>,
    /// US state or territory (postal code).
    pub state: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A facility to register.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewFacility {
    #[schema(pattern = "^[0-9]{10}$")]
    pub id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(pattern = "^[0-9]{10}$")]
    pub npi: Option<String>,
    #[schema(pattern = "^[A-Z]{2}$")]
    pub state: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = facilities)]
struct Row {
    id: String,
    name: String,
    npi: Option<String>,
    state: Option<String>,
    created_by: String,
    created_at: NaiveDateTime,
}

impl From<Row> for Facility {
    fn from(r: Row) -> Facility {
        Facility {
            id: r.id,
            name: r.name,
            npi: r.npi,
            state: r.state,
            created_by: r.created_by,
            created_at: r.created_at.and_utc(),
        }
    }
}

/// US states, DC and territories (USPS codes), as Addr at DX--State [80] codes them.
const STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW",
];

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// The NPI check digit: Luhn over the nine digits with the card-issuer prefix 80840 the NPI
/// standard (45 CFR 162.406) prescribes, i.e. Luhn of the digits plus 24.
pub fn npi_valid(npi: &str) -> bool {
    if !digits(npi, 10) {
        return false;
    }
    let d: Vec<u32> = npi.bytes().map(|b| u32::from(b - b'0')).collect();
    let mut sum = 24;
    for (i, v) in d[..9].iter().rev().enumerate() {
        sum += if i % 2 == 0 {
            let x = v * 2;
            x / 10 + x % 10
        } else {
            *v
        };
    }
    (10 - sum % 10) % 10 == d[9]
}

fn validate(new: &NewFacility) -> Result<(), Error> {
    let mut errors = Vec::new();
    if !digits(&new.id, 10) {
        errors.push(ItemError::new(
            "id",
            Some(540),
            "data-type",
            "a Reporting Facility id is 10 digits",
        ));
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(ItemError::new(
            "name",
            None,
            "required",
            "name the facility (1 to 200 characters)",
        ));
    }
    if let Some(npi) = &new.npi {
        if !npi_valid(npi) {
            errors.push(ItemError::new(
                "npi",
                None,
                "check-digit",
                "an NPI is 10 digits whose last is the Luhn check digit (prefix 80840)",
            ));
        }
    }
    if let Some(state) = &new.state {
        if !STATES.contains(&state.as_str()) {
            errors.push(ItemError::new(
                "state",
                None,
                "invalid-code",
                "a US state or territory postal code, e.g. NY",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Registers a facility; an id already registered is a conflict.
pub fn create(conn: &mut DbConn, new: &NewFacility, created_by: &str) -> Result<Facility, Error> {
    validate(new)?;
    let exists: i64 = facilities::table
        .filter(facilities::id.eq(&new.id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Err(Error::Conflict(format!(
            "facility {} is already registered",
            new.id
        )));
    }
    let row = Row {
        id: new.id.clone(),
        name: new.name.trim().to_string(),
        npi: new.npi.clone(),
        state: new.state.clone(),
        created_by: created_by.to_string(),
        created_at: Utc::now().naive_utc(),
    };
    diesel::insert_into(facilities::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.into())
}

/// A page of facilities by id, after the cursor (a facility id).
pub fn list(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Facility>, Option<String>), Error> {
    let mut q = facilities::table.into_boxed();
    if let Some(a) = after {
        q = q.filter(facilities::id.gt(a.to_string()));
    }
    let mut rows: Vec<Row> = q
        .order(facilities::id.asc())
        .limit(limit + 1)
        .select(Row::as_select())
        .load(conn)?;
    let next = if rows.len() as i64 > limit {
        rows.pop();
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok((rows.into_iter().map(Facility::from).collect(), next))
}

/// The ids of `ids` that are not registered.
pub fn unknown(conn: &mut DbConn, ids: &[String]) -> Result<Vec<String>, Error> {
    let mut known: Vec<String> = Vec::new();
    for chunk in ids.chunks(500) {
        known.extend(
            facilities::table
                .filter(facilities::id.eq_any(chunk.to_vec()))
                .select(facilities::id)
                .load::<String>(conn)?,
        );
    }
    Ok(ids.iter().filter(|i| !known.contains(i)).cloned().collect())
}

/// For `cancer-registry token`: the ids of `ids` that are not registered in the database at
/// `url`, or `None` when that database cannot be asked (a SQLite file not created yet, a
/// database not migrated or not reachable): then there is nothing to refuse with, and the
/// server still refuses the token (403) until the facility is registered. Never creates a
/// database.
pub fn unregistered_at(url: &str, ids: &[String]) -> Option<Vec<String>> {
    let backend = crate::db::Backend::from_url(url).ok()?;
    if let crate::db::Backend::Sqlite(path) = &backend {
        if !path.exists() {
            return None;
        }
    }
    let mut conn = backend.connect().ok()?;
    let named: Vec<String> = ids.iter().filter(|f| f.as_str() != "*").cloned().collect();
    unknown(&mut conn, &named).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_check_digit() {
        // The example of the NPI check-digit specification: 123456789 -> 3.
        assert!(npi_valid("1234567893"));
        assert!(!npi_valid("1234567890"));
        assert!(!npi_valid("12345"));
    }
}
