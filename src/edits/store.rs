//! Stored edit results: every write to a patient or a tumor reruns the catalog over the whole
//! patient (inter-tumor edits need every tumor) and keeps each tumor's outcome on its row.
//! The outcome is derived data, so writing it does not change the tumor's version.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Nullable, Text, Timestamp};
use serde::{Deserialize, Serialize};

use super::{run_set, sets, EditSet, ReferenceTables, Severity};
use crate::db::schema::{patients, tumors};
use crate::db::{DbConn, DbError};
use crate::naaccr::Items;

/// One failing edit as stored and returned: `{"edit": "E12", "items": [...], "message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredFailure {
    /// The edit id (rows stored before the rename carry `editId`).
    #[serde(rename = "edit", alias = "editId")]
    pub edit_id: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The items at fault (NAACCR XML ids): for a required-item edit every missing item.
    pub items: Vec<String>,
    pub message: String,
    /// True when an over-ride flag suppresses it (kept for the record, not counted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overridden: bool,
}

/// The edit outcome of a tumor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditSummary {
    /// `pass`, `warnings`, `errors`, or `not-run` (reference tables not installed).
    pub status: String,
    pub errors: usize,
    pub warnings: usize,
    /// The failing edits.
    pub failures: Vec<StoredFailure>,
    /// Edits that fail but are suppressed by an over-ride flag (kept for the record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<StoredFailure>,
    pub checked_at: Option<DateTime<Utc>>,
}

impl EditSummary {
    /// The error-level failures that are not over-ridden.
    pub fn blocking(&self) -> impl Iterator<Item = &StoredFailure> {
        self.failures
            .iter()
            .filter(|f| f.severity == "error" && !f.overridden)
    }
}

fn summarize(all: Vec<StoredFailure>, checked_at: Option<DateTime<Utc>>) -> EditSummary {
    let (overridden, failures): (Vec<StoredFailure>, Vec<StoredFailure>) =
        all.into_iter().partition(|f| f.overridden);
    let active = |sev: &str| failures.iter().filter(|f| f.severity == sev).count();
    let (errors, warnings) = (active("error"), active("warning"));
    let status = if errors > 0 {
        "errors"
    } else if warnings > 0 {
        "warnings"
    } else {
        "pass"
    };
    EditSummary {
        status: status.to_string(),
        errors,
        warnings,
        failures,
        overridden,
        checked_at,
    }
}

/// Runs the configured edit set ([`sets::configured`]) over one patient and its tumors (no
/// database): what `check` answers.
pub fn check(
    patient: &Items,
    tumors: &[Items],
    tables: &ReferenceTables,
) -> Vec<(Option<usize>, StoredFailure)> {
    check_set(sets::configured(), patient, tumors, tables)
}

/// Runs a named edit set over one patient and its tumors (no database).
pub fn check_set(
    set: &EditSet,
    patient: &Items,
    tumors: &[Items],
    tables: &ReferenceTables,
) -> Vec<(Option<usize>, StoredFailure)> {
    run_set(set, patient, tumors, tables)
        .into_iter()
        .map(|f| {
            (
                f.tumor_index,
                StoredFailure {
                    edit_id: f.edit_id.to_string(),
                    severity: match f.severity {
                        Severity::Error => "error".into(),
                        Severity::Warning => "warning".into(),
                    },
                    items: f.items,
                    message: f.message,
                    overridden: f.overridden,
                },
            )
        })
        .collect()
}

/// Reruns the edits of a patient and stores each tumor's outcome; returns them by tumor id.
/// Without reference tables every tumor is marked `not-run`.
pub fn refresh_patient(
    conn: &mut DbConn,
    patient_id: &str,
    tables: Option<&ReferenceTables>,
) -> Result<BTreeMap<String, EditSummary>, DbError> {
    let patient_json: Option<String> = patients::table
        .find(patient_id)
        .select(patients::items)
        .first(conn)
        .optional()?;
    let Some(patient_json) = patient_json else {
        return Ok(BTreeMap::new());
    };
    let patient: Items = serde_json::from_str(&patient_json).unwrap_or_default();
    let rows: Vec<(String, String, String)> = tumors::table
        .filter(tumors::patient_id.eq(patient_id))
        .order(tumors::id.asc())
        .select((tumors::id, tumors::items, tumors::status))
        .load(conn)?;
    // Withdrawn tumors are out of every cross-tumor edit (sequence numbers, duplicates,
    // multiple primaries): the patient's other tumors are checked together without them, and
    // each withdrawn one is checked on its own.
    let withdrawn = |status: &str| status == crate::abstracts::tumors::Status::Deleted.as_str();
    let (active, gone): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, _, s)| !withdrawn(s));
    let parse = |j: &str| -> Items { serde_json::from_str(j).unwrap_or_default() };
    let now = Utc::now();
    let items: Vec<Items> = active.iter().map(|(_, j, _)| parse(j)).collect();
    let mut results: Vec<(String, EditSummary)> = active
        .into_iter()
        .map(|(id, _, _)| id)
        .zip(outcomes(&patient, &items, tables, now))
        .collect();
    for (id, j, _) in gone {
        let alone = outcomes(&patient, &[parse(&j)], tables, now);
        results.extend(alone.into_iter().map(|s| (id.clone(), s)));
    }
    let mut out = BTreeMap::new();
    for (id, summary) in results {
        let (status, failures, checked_at) = columns(&summary);
        StoreOutcome {
            id: &id,
            status,
            failures,
            checked_at,
        }
        .execute(conn)?;
        out.insert(id, summary);
    }
    Ok(out)
}

/// The UPDATE of a tumor's stored outcome, kept prepared (see [`crate::prepared_statement`]).
struct StoreOutcome<'a> {
    id: &'a str,
    status: String,
    failures: String,
    checked_at: Option<NaiveDateTime>,
}

crate::prepared_statement!(StoreOutcome);

impl<DB> QueryFragment<DB> for StoreOutcome<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    String: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE tumors SET edit_status = ");
        out.push_bind_param::<Text, _>(&self.status)?;
        out.push_sql(", edit_failures = ");
        out.push_bind_param::<Text, _>(&self.failures)?;
        out.push_sql(", edits_checked_at = ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&self.checked_at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(self.id)?;
        Ok(())
    }
}

/// The outcome of each tumor of a patient, in the order given (no database). Without
/// reference tables every tumor is `not-run`.
pub fn outcomes(
    patient: &Items,
    tumors: &[Items],
    tables: Option<&ReferenceTables>,
    now: DateTime<Utc>,
) -> Vec<EditSummary> {
    let Some(tables) = tables else {
        return tumors
            .iter()
            .map(|_| EditSummary {
                status: "not-run".into(),
                errors: 0,
                warnings: 0,
                failures: Vec::new(),
                overridden: Vec::new(),
                checked_at: None,
            })
            .collect();
    };
    let mut per_tumor: Vec<Vec<StoredFailure>> = vec![Vec::new(); tumors.len()];
    for (index, failure) in check(patient, tumors, tables) {
        // A patient-level failure concerns every tumor of the patient.
        match index {
            Some(i) if i < per_tumor.len() => per_tumor[i].push(failure),
            Some(_) => {}
            None => per_tumor.iter_mut().for_each(|v| v.push(failure.clone())),
        }
    }
    per_tumor
        .into_iter()
        .map(|f| summarize(f, Some(now)))
        .collect()
}

/// The stored columns of an outcome: status, failures (over-ridden ones included, flagged) as
/// JSON, and when it was checked.
pub fn columns(summary: &EditSummary) -> (String, String, Option<NaiveDateTime>) {
    let failures = serde_json::to_string(
        &summary
            .failures
            .iter()
            .chain(&summary.overridden)
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into());
    (
        summary.status.clone(),
        failures,
        summary.checked_at.map(|t| t.naive_utc()),
    )
}

/// The stored outcome of a tumor (`None` when the tumor does not exist).
pub fn summary(conn: &mut DbConn, tumor_id: &str) -> Result<Option<EditSummary>, DbError> {
    type Stored = (Option<String>, Option<String>, Option<NaiveDateTime>);
    let row: Option<Stored> = tumors::table
        .find(tumor_id)
        .select((
            tumors::edit_status,
            tumors::edit_failures,
            tumors::edits_checked_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(from_columns))
}

/// The outcome stored in a tumor's columns: status, failures (JSON) and when checked.
pub fn from_columns(
    (status, failures, at): (Option<String>, Option<String>, Option<NaiveDateTime>),
) -> EditSummary {
    let failures: Vec<StoredFailure> = failures
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default();
    match status.as_deref() {
        None | Some("not-run") => EditSummary {
            status: "not-run".into(),
            errors: 0,
            warnings: 0,
            failures,
            overridden: Vec::new(),
            checked_at: at.map(|t| t.and_utc()),
        },
        Some(_) => summarize(failures, at.map(|t| t.and_utc())),
    }
}
