//! Removing abstracts: a draft nobody received is erased; what was complete or submitted is
//! withdrawn (status `deleted`, rows kept) and recorded for every recipient it was sent to, so
//! the next submission to each can report it.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::lifecycle::{self, Removal};
use super::patients::{self, Patient, WITHDRAWN};
use super::tumors::{self, Status, Tumor};
use super::{Error, ItemError};
use crate::auth::{Caller, REVIEWERS};
use crate::db::schema::{submission_items, submissions, tumor_withdrawals, tumors as tumor_table};
use crate::db::DbConn;

/// The recipients of finished submissions that carried a tumor, in order.
pub fn recipients_of(conn: &mut DbConn, tumor_id: &str) -> Result<Vec<String>, Error> {
    Ok(submission_items::table
        .inner_join(submissions::table)
        .filter(submission_items::tumor_id.eq(tumor_id))
        .filter(submissions::status.eq("done"))
        .select(submissions::recipient)
        .distinct()
        .order(submissions::recipient.asc())
        .load(conn)?)
}

/// What a removal did.
#[derive(Debug)]
pub struct Removed {
    pub tumor: Tumor,
    pub removal: Removal,
    /// The recipients the withdrawal is to be reported to.
    pub recipients: Vec<String>,
}

#[derive(Insertable)]
#[diesel(table_name = tumor_withdrawals)]
struct WithdrawalRow<'a> {
    tumor_id: &'a str,
    recipient: &'a str,
    reason: &'a str,
    withdrawn_by: &'a str,
    withdrawn_at: NaiveDateTime,
    reported_in: Option<String>,
}

/// Removes a tumor the caller sees, at the version `If-Match` named (when sent): erased or
/// withdrawn as [`lifecycle::removal`] decides.
pub fn remove_tumor(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    expected: Option<i64>,
    reason: Option<&str>,
) -> Result<Removed, Error> {
    let mut tumor = tumors::get_at(conn, &caller.facilities, id, expected)?;
    let recipients = recipients_of(conn, id)?;
    let removal = lifecycle::removal(
        tumor.status,
        lifecycle::was_complete(tumor.status, &tumor.items),
        !recipients.is_empty(),
        caller.has_any(REVIEWERS),
        reason,
    )?;
    match removal {
        Removal::Erase => tumors::erase(conn, id)?,
        Removal::Withdraw => {
            tumor.status = Status::Deleted;
            tumors::store(conn, &mut tumor)?;
            let now = Utc::now().naive_utc();
            let reason = reason.unwrap_or_default().trim();
            let rows: Vec<WithdrawalRow> = recipients
                .iter()
                .map(|r| WithdrawalRow {
                    tumor_id: id,
                    recipient: r,
                    reason,
                    withdrawn_by: &caller.sub,
                    withdrawn_at: now,
                    reported_in: None,
                })
                .collect();
            for row in &rows {
                diesel::insert_into(tumor_withdrawals::table)
                    .values(row)
                    .execute(conn)?;
            }
        }
    }
    Ok(Removed {
        tumor,
        removal,
        recipients,
    })
}

/// A withdrawal not yet reported to its recipient.
#[derive(Debug, Clone, Queryable)]
pub struct PendingWithdrawal {
    pub tumor_id: String,
    pub recipient: String,
    pub reason: String,
    pub withdrawn_by: String,
    pub withdrawn_at: NaiveDateTime,
}

/// The withdrawals a recipient has not been told of yet (for the submissions to report).
pub fn pending_withdrawals(
    conn: &mut DbConn,
    recipient: &str,
) -> Result<Vec<PendingWithdrawal>, Error> {
    Ok(tumor_withdrawals::table
        .filter(tumor_withdrawals::recipient.eq(recipient))
        .filter(tumor_withdrawals::reported_in.is_null())
        .order(tumor_withdrawals::tumor_id.asc())
        .select((
            tumor_withdrawals::tumor_id,
            tumor_withdrawals::recipient,
            tumor_withdrawals::reason,
            tumor_withdrawals::withdrawn_by,
            tumor_withdrawals::withdrawn_at,
        ))
        .load(conn)?)
}

/// Removes a patient the caller sees: one with tumors still live cannot go; one with no tumor
/// rows at all is erased; one whose tumors were all withdrawn is withdrawn too (a reviewer or
/// manager, with a reason), keeping its rows.
pub fn remove_patient(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    expected: Option<i64>,
    reason: Option<&str>,
) -> Result<(Patient, Removal), Error> {
    let mut patient = patients::get_at(conn, &caller.facilities, id, expected)?;
    if patient.status == WITHDRAWN {
        return Err(Error::Conflict(
            "the patient is already withdrawn (deleted)".into(),
        ));
    }
    let statuses: Vec<String> = tumor_table::table
        .filter(tumor_table::patient_id.eq(id))
        .select(tumor_table::status)
        .load(conn)?;
    let withdrawn = statuses
        .iter()
        .filter(|s| s.as_str() == Status::Deleted.as_str())
        .count();
    let live = statuses.len() - withdrawn;
    if live > 0 {
        return Err(Error::Conflict(format!(
            "the patient still has {live} tumor(s); delete or withdraw them first"
        )));
    }
    if withdrawn == 0 {
        patients::erase(conn, id)?;
        return Ok((patient, Removal::Erase));
    }
    if !caller.has_any(REVIEWERS) {
        return Err(Error::Forbidden(
            "the patient's tumors were withdrawn, so the patient can only be withdrawn, by a reviewer or a manager with a reason".into(),
        ));
    }
    if reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(Error::Invalid(vec![ItemError::new(
            "reason",
            None,
            "required",
            "withdrawing a patient needs a reason (DELETE ...?reason=...)",
        )]));
    }
    patient.status = WITHDRAWN.to_string();
    patients::store(conn, &mut patient)?;
    Ok((patient, Removal::Withdraw))
}
