//! A facility's abstracting profile: the Tumor items that are the same on most of its
//! abstracts (Type of Reporting Source, Class of Case, Archive FIN, the codes of SSDIs it does
//! not collect, ...). Clients pre-fill a new abstract with them and have the registrar confirm
//! them; the service never writes them into an abstract by itself. Knows nothing of HTTP.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::abstracts::items::check_item;
use crate::abstracts::{check_version, Error, ItemError};
use crate::db::schema::{facilities, facility_profiles};
use crate::db::DbConn;
use crate::naaccr::{Items, Level};

/// Items a profile may not hold: the facility itself (always the abstract's facility) and
/// what identifies one case.
const CASE_ITEMS: &[&str] = &[
    crate::abstracts::tumors::FACILITY_ITEM,
    "primarySite",
    "histologicTypeIcdO3",
    "behaviorCodeIcdO3",
    "laterality",
    "dateOfDiagnosis",
    "accessionNumberHosp",
    "sequenceNumberHospital",
];

/// At most this many items: a profile is defaults, not an abstract.
const MAX_ITEMS: usize = 100;

/// A facility's profile. Version 0 and no items until a manager first writes it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Reporting Facility [540].
    pub facility_id: String,
    /// NAACCR Tumor items (naaccrId to code) a new abstract of this facility starts with.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub items: Items,
    /// Increases on every change; the ETag is this number in quotes.
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// The new items of a profile (replacing the old ones).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileUpdate {
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub items: Items,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = facility_profiles)]
struct Row {
    facility_id: String,
    items: String,
    version: i64,
    updated_by: String,
    updated_at: NaiveDateTime,
}

fn registered(conn: &mut DbConn, facility: &str) -> Result<(), Error> {
    let n: i64 = facilities::table
        .filter(facilities::id.eq(facility))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(Error::NotFound {
            entity: "facility",
            id: facility.to_string(),
        });
    }
    Ok(())
}

fn load(conn: &mut DbConn, facility: &str) -> Result<Option<Row>, Error> {
    Ok(facility_profiles::table
        .find(facility)
        .select(Row::as_select())
        .first(conn)
        .optional()?)
}

fn to_profile(facility: &str, row: Option<Row>) -> Result<Profile, Error> {
    Ok(match row {
        None => Profile {
            facility_id: facility.to_string(),
            items: Items::new(),
            version: 0,
            updated_by: None,
            updated_at: None,
        },
        Some(r) => Profile {
            facility_id: r.facility_id,
            // Written by `put` from a checked map; unreadable text is a stored-data fault.
            items: serde_json::from_str(&r.items).map_err(|e| {
                Error::Conflict(format!(
                    "the stored profile of facility {facility} is unreadable: {e}"
                ))
            })?,
            version: r.version,
            updated_by: Some(r.updated_by),
            updated_at: Some(r.updated_at.and_utc()),
        },
    })
}

/// The profile of a registered facility (version 0, no items, when never written).
pub fn get(conn: &mut DbConn, facility: &str) -> Result<Profile, Error> {
    registered(conn, facility)?;
    let row = load(conn, facility)?;
    to_profile(facility, row)
}

/// Every problem of a profile's items: Tumor items of the v26 dictionary with valid codes,
/// none that names the facility or one case.
pub fn check(items: &Items) -> Vec<ItemError> {
    let mut errors = Vec::new();
    if items.len() > MAX_ITEMS {
        errors.push(ItemError::new(
            "items",
            None,
            "too-many",
            format!("a profile holds at most {MAX_ITEMS} items"),
        ));
    }
    for (id, value) in items {
        if CASE_ITEMS.contains(&id.as_str()) {
            errors.push(ItemError::new(
                id,
                None,
                "not-a-default",
                "this item identifies the facility or one case; it cannot be a facility default",
            ));
        } else if let Err(e) = check_item(Level::Tumor, id, value) {
            errors.push(e);
        }
    }
    errors
}

/// Replaces the profile's items. `expected` is the If-Match version (0 for a profile never
/// written): absent is 428, stale is 412.
pub fn put(
    conn: &mut DbConn,
    facility: &str,
    expected: Option<i64>,
    items: &Items,
    by: &str,
) -> Result<(Profile, Items), Error> {
    registered(conn, facility)?;
    let old = load(conn, facility)?;
    let current = old.as_ref().map_or(0, |r| r.version);
    check_version("facility profile", expected, current)?;
    let errors = check(items);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let before = to_profile(facility, old)?.items;
    let row = Row {
        facility_id: facility.to_string(),
        items: serde_json::to_string(items).unwrap_or_else(|_| "{}".into()),
        version: current + 1,
        updated_by: by.to_string(),
        updated_at: Utc::now().naive_utc(),
    };
    if current == 0 {
        diesel::insert_into(facility_profiles::table)
            .values(&row)
            .execute(conn)?;
    } else {
        // The version in the filter makes a concurrent writer's change a stale version, not a
        // lost update.
        let n = diesel::update(
            facility_profiles::table
                .filter(facility_profiles::facility_id.eq(facility))
                .filter(facility_profiles::version.eq(current)),
        )
        .set(&row)
        .execute(conn)?;
        if n == 0 {
            return Err(Error::StaleVersion {
                entity: "facility profile",
                current,
            });
        }
    }
    Ok((to_profile(facility, Some(row))?, before))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_items_are_checked() {
        let mut items = Items::new();
        items.insert("typeOfReportingSource".into(), "1".into());
        items.insert("classOfCase".into(), "14".into());
        assert!(check(&items).is_empty(), "{:?}", check(&items));
        items.insert("primarySite".into(), "C504".into());
        items.insert("classOfCase".into(), "77".into());
        items.insert("notAnItem".into(), "1".into());
        let rules: Vec<String> = check(&items).into_iter().map(|e| e.rule).collect();
        assert_eq!(rules.len(), 3, "{rules:?}");
        assert!(rules.contains(&"not-a-default".to_string()));
    }
}
