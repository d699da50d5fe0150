//! The review queue of death clearance: death records that link to a patient only possibly
//! (name and date of birth), to several, or that conflict with what is stored. Each record is
//! queued once (a re-sent record finds its entry); a reviewer accepts it for one of its
//! patients, which applies the death as a contact, or rejects it with a reason.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::contacts::{self, NewContact, Outcome};
use super::deaths::DeathRecord;
use super::{invalid, Error};
use crate::abstracts::{self, patients};
use crate::auth::FacilityScope;
use crate::db::schema::death_reviews;
use crate::db::DbConn;
use crate::naaccr::PartialDate;

/// Status of a queued death record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReviewStatus {
    Pending,
    Accepted,
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Accepted => "accepted",
            ReviewStatus::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> ReviewStatus {
        match s {
            "accepted" => ReviewStatus::Accepted,
            "rejected" => ReviewStatus::Rejected,
            _ => ReviewStatus::Pending,
        }
    }
}

/// A queued death record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeathReview {
    pub id: String,
    pub record: DeathRecord,
    /// The patients it may be.
    pub patient_ids: Vec<String>,
    /// Why it was not applied.
    pub reason: String,
    pub status: ReviewStatus,
    /// The patient a reviewer accepted it for.
    pub decided_patient_id: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = death_reviews)]
struct Row {
    id: String,
    fingerprint: String,
    record: String,
    patient_ids: String,
    reason: String,
    status: String,
    decided_patient_id: Option<String>,
    decision_reason: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<NaiveDateTime>,
    created_by: String,
    created_at: NaiveDateTime,
}

impl From<Row> for DeathReview {
    fn from(r: Row) -> DeathReview {
        DeathReview {
            id: r.id,
            record: serde_json::from_str(&r.record).unwrap_or_default(),
            patient_ids: serde_json::from_str(&r.patient_ids).unwrap_or_default(),
            reason: r.reason,
            status: ReviewStatus::parse(&r.status),
            decided_patient_id: r.decided_patient_id,
            decision_reason: r.decision_reason,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(|t| t.and_utc()),
            created_by: r.created_by,
            created_at: r.created_at.and_utc(),
        }
    }
}

/// Identifies a death record: the same person, death date and cause give the same print.
fn fingerprint(record: &DeathRecord) -> String {
    let norm = |s: &Option<String>| s.as_deref().unwrap_or("").trim().to_ascii_uppercase();
    let text = [
        norm(&record.name_last),
        norm(&record.name_first),
        norm(&record.date_of_birth),
        norm(&record.ssn),
        norm(&record.sex),
        record.date_of_death.trim().to_string(),
        norm(&record.cause_of_death),
        norm(&record.place_of_death),
    ]
    .join("\u{1f}");
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// Queues a record for review, or finds the entry a previous batch queued. Returns the entry.
pub fn queue(
    conn: &mut DbConn,
    record: &DeathRecord,
    patient_ids: &[String],
    reason: &str,
    created_by: &str,
) -> Result<DeathReview, Error> {
    let print = fingerprint(record);
    let existing: Option<Row> = death_reviews::table
        .filter(death_reviews::fingerprint.eq(&print))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = existing {
        return Ok(row.into());
    }
    let row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        fingerprint: print,
        record: serde_json::to_string(record).unwrap_or_else(|_| "{}".into()),
        patient_ids: serde_json::to_string(patient_ids).unwrap_or_else(|_| "[]".into()),
        reason: reason.to_string(),
        status: ReviewStatus::Pending.as_str().to_string(),
        decided_patient_id: None,
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        created_by: created_by.to_string(),
        created_at: Utc::now().naive_utc(),
    };
    diesel::insert_into(death_reviews::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.into())
}

/// Whether the scope sees at least one of the entry's patients.
fn visible(conn: &mut DbConn, scope: &FacilityScope, review: &DeathReview) -> Result<bool, Error> {
    if matches!(scope, FacilityScope::All) {
        return Ok(true);
    }
    for id in &review.patient_ids {
        match patients::get(conn, scope, id) {
            Ok(_) => return Ok(true),
            Err(abstracts::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(false)
}

/// A page of queued records the scope sees (one of their patients), oldest first, after the
/// cursor (an entry id).
pub fn list(
    conn: &mut DbConn,
    scope: &FacilityScope,
    status: Option<ReviewStatus>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<DeathReview>, Option<String>), Error> {
    let mut out = Vec::new();
    let mut cursor = after.map(str::to_string);
    // Entries the scope does not see are skipped; read in chunks until the page is full.
    loop {
        let mut q = death_reviews::table.into_boxed();
        if let Some(s) = status {
            q = q.filter(death_reviews::status.eq(s.as_str()));
        }
        if let Some(c) = &cursor {
            q = q.filter(death_reviews::id.gt(c.clone()));
        }
        let rows: Vec<Row> = q
            .order(death_reviews::id.asc())
            .limit(200)
            .select(Row::as_select())
            .load(conn)?;
        let exhausted = rows.len() < 200;
        for row in rows {
            cursor = Some(row.id.clone());
            let review = DeathReview::from(row);
            if visible(conn, scope, &review)? {
                out.push(review);
                if out.len() as i64 > limit {
                    let next = out.pop().map(|_| out[out.len() - 1].id.clone());
                    return Ok((out, next));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// One entry the scope sees.
pub fn get(conn: &mut DbConn, scope: &FacilityScope, id: &str) -> Result<DeathReview, Error> {
    let row: Option<Row> = death_reviews::table
        .filter(death_reviews::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    let not_found = || {
        Error::Abstracts(abstracts::Error::NotFound {
            entity: "death record",
            id: id.to_string(),
        })
    };
    let review = DeathReview::from(row.ok_or_else(not_found)?);
    if !visible(conn, scope, &review)? {
        return Err(not_found());
    }
    Ok(review)
}

/// A reviewer's decision.
pub enum Decision {
    /// Apply the death to this patient (one of the entry's; may be omitted when it has one).
    Accept {
        patient_id: Option<String>,
    },
    Reject {
        reason: String,
    },
}

/// Decides a pending entry. Accepting applies the death as a contact (the rules of
/// `POST /contacts`: a conflict with a later contact alive is refused).
pub fn decide(
    conn: &mut DbConn,
    scope: &FacilityScope,
    id: &str,
    decision: Decision,
    decided_by: &str,
    today: &PartialDate,
) -> Result<(DeathReview, Option<Outcome>), Error> {
    let review = get(conn, scope, id)?;
    if review.status != ReviewStatus::Pending {
        return Err(Error::Conflict(format!(
            "death record {id} was already {} by {}",
            review.status.as_str(),
            review.decided_by.as_deref().unwrap_or("a reviewer")
        )));
    }
    let now = Utc::now().naive_utc();
    let (status, patient_id, reason, outcome) = match decision {
        Decision::Accept { patient_id } => {
            let patient_id = match patient_id {
                Some(p) if review.patient_ids.contains(&p) => p,
                Some(p) => {
                    return Err(invalid(
                        "patientId",
                        "not-a-candidate",
                        format!(
                            "patient {p} is not one of this record's candidates ({})",
                            review.patient_ids.join(", ")
                        ),
                    ))
                }
                None if review.patient_ids.len() == 1 => review.patient_ids[0].clone(),
                None => {
                    return Err(invalid(
                        "patientId",
                        "required",
                        format!(
                            "the record has {} candidates: name the patient",
                            review.patient_ids.len()
                        ),
                    ))
                }
            };
            let contact = NewContact {
                date: review.record.date_of_death.clone(),
                vital_status: "0".into(),
                follow_up_source: Some("7".into()),
                cause_of_death: review.record.cause_of_death.clone(),
                place_of_death: review.record.place_of_death.clone(),
                ..Default::default()
            };
            let outcome = contacts::record(conn, scope, &patient_id, contact, decided_by, today)?;
            (
                ReviewStatus::Accepted,
                Some(patient_id),
                None,
                Some(outcome),
            )
        }
        Decision::Reject { reason } => {
            if reason.trim().is_empty() {
                return Err(invalid(
                    "reason",
                    "required",
                    "say why the record is rejected",
                ));
            }
            (ReviewStatus::Rejected, None, Some(reason), None)
        }
    };
    let updated = diesel::update(
        death_reviews::table
            .filter(death_reviews::id.eq(id))
            .filter(death_reviews::status.eq(ReviewStatus::Pending.as_str())),
    )
    .set((
        death_reviews::status.eq(status.as_str()),
        death_reviews::decided_patient_id.eq(&patient_id),
        death_reviews::decision_reason.eq(&reason),
        death_reviews::decided_by.eq(decided_by),
        death_reviews::decided_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::Conflict(format!(
            "death record {id} was decided by someone else meanwhile"
        )));
    }
    let review = get(conn, &FacilityScope::All, id)?;
    Ok((review, outcome))
}
