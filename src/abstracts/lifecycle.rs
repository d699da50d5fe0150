//! The rules of an abstract's life: who may change a complete abstract, when a change sends it
//! back to review, when a removal erases and when it withdraws, and the case administration
//! dates the service keeps (never a client).

use chrono::Utc;

use super::items::ItemError;
use super::tumors::Status;
use super::Error;
use crate::auth::{Caller, REVIEWERS};
use crate::naaccr::Items;

/// Who asks for a change, as these rules see it: a reviewer or manager or not, and the reason
/// given (blank counts as none). Every write path builds one and asks the rules below.
#[derive(Debug, Clone, Copy, Default)]
pub struct Authority<'a> {
    pub reviewer: bool,
    pub reason: Option<&'a str>,
}

impl<'a> Authority<'a> {
    pub fn of(caller: &Caller, reason: Option<&'a str>) -> Authority<'a> {
        Authority {
            reviewer: caller.has_any(REVIEWERS),
            reason: reason.filter(|r| !r.trim().is_empty()),
        }
    }

    /// A reviewer or manager who gave a reason: what a locked change and an over-ride need.
    pub fn may_override(&self) -> bool {
        self.reviewer && self.reason.is_some()
    }
}

/// Whether an item is an edit over-ride flag (`overRide...`, patient or tumor level).
pub fn is_override(item: &str) -> bool {
    item.starts_with("overRide")
}

/// Checks the over-ride flags a write sets or clears (any item id among `ids`): only a
/// reviewer or a manager (403), with a reason (422). Returns the flags, for the audit record.
pub fn check_overrides<'a>(
    ids: impl IntoIterator<Item = &'a String>,
    who: &Authority,
) -> Result<Vec<String>, Error> {
    let flags: Vec<String> = ids
        .into_iter()
        .filter(|i| is_override(i))
        .cloned()
        .collect();
    if flags.is_empty() {
        return Ok(flags);
    }
    if !who.reviewer {
        return Err(Error::Forbidden(format!(
            "only a reviewer or a manager may set or clear over-ride flags ({})",
            flags.join(", ")
        )));
    }
    if who.reason.is_none() {
        return Err(reason_required(
            "setting or clearing an over-ride flag needs a reason (it is written to the audit trail)",
        ));
    }
    Ok(flags)
}

/// Case administration items the service keeps: (XML id, item number, name).
pub const CASE_ADMIN_ITEMS: [(&str, u32, &str); 5] = [
    ("dateCaseInitiated", 2085, "Date Case Initiated"),
    ("dateCaseCompleted", 2090, "Date Case Completed"),
    ("dateCaseCompletedCoc", 2092, "Date Case Completed--CoC"),
    ("dateCaseLastChanged", 2100, "Date Case Last Changed"),
    ("dateCaseReportExported", 2110, "Date Case Report Exported"),
];

/// Refuses items a client may not set because the service keeps them: one error per item.
pub fn reject_service_items<'a>(ids: impl IntoIterator<Item = &'a String>) -> Result<(), Error> {
    let errors: Vec<ItemError> = ids
        .into_iter()
        .filter_map(|id| CASE_ADMIN_ITEMS.iter().find(|(i, _, _)| i == id))
        .map(|(id, number, name)| {
            ItemError::new(
                id,
                Some(*number),
                "read-only",
                format!("{name} [{number}] is kept by the service and cannot be set by a client"),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Today as a NAACCR date (CCYYMMDD, UTC).
pub fn today() -> String {
    Utc::now().format("%Y%m%d").to_string()
}

/// Date Case Initiated [2085] of a new abstract (an imported one keeps the date it carries).
pub fn stamp_created(items: &mut Items) {
    items
        .entry("dateCaseInitiated".into())
        .or_insert_with(today);
}

/// Date Case Last Changed [2100], on every stored change.
pub fn stamp_changed(items: &mut Items) {
    items.insert("dateCaseLastChanged".into(), today());
}

/// Date Case Completed [2090] and --CoC [2092], when the abstract first becomes complete.
pub fn stamp_completed(items: &mut Items) {
    for id in ["dateCaseCompleted", "dateCaseCompletedCoc"] {
        items.entry(id.into()).or_insert_with(today);
    }
}

/// Date Case Report Exported [2110] of every tumor a finished submission carried, set in one
/// statement. It is the service's record of the export, not a change of the abstract: the
/// version stays, so "changed since the last submission" does not resend the tumors.
pub fn stamp_exported(
    conn: &mut crate::db::DbConn,
    submission_id: &str,
    date: &str,
) -> Result<usize, Error> {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    let n = match conn {
        crate::db::DbConn::Sqlite(c) => diesel::sql_query(
            "UPDATE tumors SET items = json_set(items, '$.dateCaseReportExported', ?) \
             WHERE id IN (SELECT tumor_id FROM submission_items WHERE submission_id = ?)",
        )
        .bind::<Text, _>(date)
        .bind::<Text, _>(submission_id)
        .execute(c)?,
        crate::db::DbConn::Postgres(c) => diesel::sql_query(
            "UPDATE tumors SET items = (items::jsonb || jsonb_build_object('dateCaseReportExported', $1::text))::text \
             WHERE id IN (SELECT tumor_id FROM submission_items WHERE submission_id = $2)",
        )
        .bind::<Text, _>(date)
        .bind::<Text, _>(submission_id)
        .execute(c)?,
    };
    Ok(n)
}

/// Whether an abstract was ever complete: Date Case Completed [2090] is set only then.
pub fn was_complete(status: Status, items: &Items) -> bool {
    status == Status::Complete || items.contains_key("dateCaseCompleted")
}

fn has_reason(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| !r.trim().is_empty())
}

fn reason_required(why: &str) -> Error {
    Error::Invalid(vec![ItemError::new("reason", None, "required", why)])
}

/// Whether a change of an abstract in `status` is allowed: a complete abstract is locked to
/// registrars (409 `complete-locked`), and a reviewer's or manager's change needs a reason; a
/// withdrawn one is never changed.
pub fn check_change(status: Status, reviewer: bool, reason: Option<&str>) -> Result<(), Error> {
    match status {
        Status::Complete if !reviewer => Err(Error::Locked(
            "the tumor is complete and locked: ask a reviewer or a manager to reopen it \
             (PUT /api/v1/tumors/{id}/status to review, with a reason) or to make the change"
                .into(),
        )),
        Status::Complete if !has_reason(reason) => Err(reason_required(
            "a change to a complete tumor needs a reason (it is written to the audit trail)",
        )),
        Status::Deleted => Err(Error::Conflict(
            "the tumor was withdrawn (deleted) and cannot be changed".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether a move through the workflow is allowed: forward draft -> review -> complete, back
/// with a reason; completing is a reviewer's or manager's act, and so is reopening a complete
/// abstract (the lock: a registrar asks them).
pub fn check_move(from: Status, to: Status, who: &Authority) -> Result<(), Error> {
    let forward = matches!(
        (from, to),
        (Status::Draft, Status::Review) | (Status::Review, Status::Complete)
    );
    let back = matches!(
        (from, to),
        (Status::Review, Status::Draft) | (Status::Complete, Status::Review | Status::Draft)
    );
    if !forward && !back {
        return Err(Error::Conflict(format!(
            "a tumor in status {from} cannot move to {to}: the workflow is draft -> review -> complete, and back with a reason"
        )));
    }
    if (to == Status::Complete || from == Status::Complete) && !who.reviewer {
        return Err(Error::Forbidden(
            "only a reviewer or a manager may complete an abstract or reopen a complete one"
                .to_string(),
        ));
    }
    if back && who.reason.is_none() {
        return Err(reason_required(&format!(
            "moving a tumor back from {from} to {to} needs a reason"
        )));
    }
    Ok(())
}

/// Whether a change of patient items is allowed: once one of the patient's tumors is complete,
/// the same lock holds (a reviewer or manager, with a reason).
pub fn check_patient_change(
    has_complete_tumor: bool,
    reviewer: bool,
    reason: Option<&str>,
) -> Result<(), Error> {
    match (has_complete_tumor, reviewer, has_reason(reason)) {
        (false, _, _) => Ok(()),
        (true, false, _) => Err(Error::Locked(
            "the patient has a complete tumor, so the patient's items are locked: ask a \
             reviewer or a manager to make the change"
                .into(),
        )),
        (true, true, false) => Err(reason_required(
            "a change to a patient with a complete tumor needs a reason (it is written to the audit trail)",
        )),
        (true, true, true) => Ok(()),
    }
}

/// The status an abstract takes after a change and its edits: a complete abstract with a
/// failing error-level edit goes back to review (never "complete with errors").
pub fn status_after_edits(status: Status, blocking_errors: bool) -> Status {
    if status == Status::Complete && blocking_errors {
        Status::Review
    } else {
        status
    }
}

/// What removing an abstract does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The rows go: a draft nobody ever received.
    Erase,
    /// The rows stay with status `deleted`, and every recipient is to be told.
    Withdraw,
}

/// Decides a removal. Registrars may erase only drafts never submitted nor complete;
/// reviewers and managers may also erase a never-submitted abstract in review. What was complete
/// or submitted is withdrawn, by a reviewer or manager with a reason.
pub fn removal(
    status: Status,
    was_complete: bool,
    ever_submitted: bool,
    reviewer: bool,
    reason: Option<&str>,
) -> Result<Removal, Error> {
    if status == Status::Deleted {
        return Err(Error::Conflict(
            "the tumor is already withdrawn (deleted)".into(),
        ));
    }
    if !was_complete && !ever_submitted {
        return match (status, reviewer) {
            (Status::Draft, _) | (_, true) => Ok(Removal::Erase),
            _ => Err(Error::Forbidden(format!(
                "registrars may delete only draft tumors; this one is in {status}: move it back to draft first"
            ))),
        };
    }
    let why = if ever_submitted {
        "was submitted"
    } else {
        "was complete"
    };
    if !reviewer {
        return Err(Error::Forbidden(format!(
            "the tumor {why}, so it cannot be deleted, only withdrawn by a reviewer or a manager with a reason"
        )));
    }
    if !has_reason(reason) {
        return Err(reason_required(&format!(
            "the tumor {why}: withdrawing it needs a reason (DELETE ...?reason=...)"
        )));
    }
    Ok(Removal::Withdraw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_is_locked_to_registrars() {
        assert!(matches!(
            check_change(Status::Complete, false, Some("x")),
            Err(Error::Locked(_))
        ));
        assert!(matches!(
            check_change(Status::Complete, true, None),
            Err(Error::Invalid(_))
        ));
        assert!(check_change(Status::Complete, true, Some("fix")).is_ok());
        assert!(check_change(Status::Draft, false, None).is_ok());
        assert!(check_change(Status::Review, false, None).is_ok());
        assert!(matches!(
            check_change(Status::Deleted, true, Some("x")),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn overrides_need_a_reviewer_and_a_reason() {
        let ids = ["overRideHistology".to_string(), "laterality".to_string()];
        let registrar = Authority {
            reviewer: false,
            reason: Some("x"),
        };
        assert!(matches!(
            check_overrides(&ids, &registrar),
            Err(Error::Forbidden(_))
        ));
        let silent = Authority {
            reviewer: true,
            reason: None,
        };
        assert!(matches!(
            check_overrides(&ids, &silent),
            Err(Error::Invalid(_))
        ));
        let reviewer = Authority {
            reviewer: true,
            reason: Some("checked"),
        };
        assert_eq!(
            check_overrides(&ids, &reviewer).unwrap(),
            ["overRideHistology"]
        );
        // No flag, no condition.
        assert!(check_overrides(&ids[1..], &registrar).unwrap().is_empty());
        assert!(is_override("overRideNameSex"));
    }

    #[test]
    fn moves_follow_the_workflow() {
        let registrar = Authority {
            reviewer: false,
            reason: Some("x"),
        };
        let reviewer = Authority {
            reviewer: true,
            reason: None,
        };
        assert!(check_move(Status::Draft, Status::Review, &registrar).is_ok());
        assert!(matches!(
            check_move(Status::Review, Status::Complete, &registrar),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            check_move(Status::Complete, Status::Review, &registrar),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            check_move(Status::Complete, Status::Review, &reviewer),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            check_move(Status::Draft, Status::Complete, &reviewer),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn errors_send_complete_back_to_review() {
        assert_eq!(status_after_edits(Status::Complete, true), Status::Review);
        assert_eq!(
            status_after_edits(Status::Complete, false),
            Status::Complete
        );
        assert_eq!(status_after_edits(Status::Draft, true), Status::Draft);
    }

    #[test]
    fn removal_rules() {
        use Removal::*;
        assert_eq!(
            removal(Status::Draft, false, false, false, None).ok(),
            Some(Erase)
        );
        assert!(matches!(
            removal(Status::Review, false, false, false, None),
            Err(Error::Forbidden(_))
        ));
        assert_eq!(
            removal(Status::Review, false, false, true, None).ok(),
            Some(Erase)
        );
        // A draft that was once submitted is withdrawn, not erased.
        assert!(matches!(
            removal(Status::Draft, false, true, false, Some("dup")),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            removal(Status::Complete, true, false, true, None),
            Err(Error::Invalid(_))
        ));
        assert_eq!(
            removal(Status::Review, true, false, true, Some("duplicate")).ok(),
            Some(Withdraw)
        );
        assert!(matches!(
            removal(Status::Deleted, true, true, true, Some("x")),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn service_items_are_read_only() {
        let ids = ["laterality".to_string(), "dateCaseCompleted".to_string()];
        match reject_service_items(&ids) {
            Err(Error::Invalid(e)) => {
                assert_eq!(e.len(), 1);
                assert_eq!(e[0].item, "dateCaseCompleted");
                assert_eq!(e[0].number, Some(2090));
            }
            other => panic!("{other:?}"),
        }
    }
}
