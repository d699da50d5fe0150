//! The rules over a stored patient: its tumors grouped into primaries, and sequence numbers
//! proposed from them and applied on a reviewer's request.

use std::collections::BTreeMap;

use super::primaries::{fields_from_items, group, Primaries};
use super::{TableError, TumorFields};
use crate::abstracts::items::ItemError;
use crate::abstracts::tumors::{self, Tumor};
use crate::abstracts::{self, patients, ItemChange};
use crate::auth::{Caller, FacilityScope, REVIEWERS};
use crate::db::DbConn;

/// Pairs grow with the square of the tumors; no real patient comes near this.
pub const MAX_TUMORS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Abstracts(#[from] abstracts::Error),
    #[error("the MP/H rule tables cannot be read: {0}")]
    Tables(#[from] TableError),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        Error::Abstracts(e.into())
    }
}

impl From<crate::db::DbError> for Error {
    fn from(e: crate::db::DbError) -> Error {
        Error::Abstracts(e.into())
    }
}

/// A patient's tumors (those in the caller's scope, in id order) and their primaries.
pub struct PatientPrimaries {
    pub tumors: Vec<Tumor>,
    pub primaries: Primaries,
}

impl PatientPrimaries {
    /// The proposed sequence number of each tumor, in `tumors` order.
    pub fn proposed_sequence(&self) -> Vec<&str> {
        let mut out = vec![""; self.tumors.len()];
        for p in &self.primaries.primaries {
            for i in &p.tumors {
                out[*i] = &p.sequence;
            }
        }
        out
    }
}

/// Groups the tumors of a patient the scope may see into primaries.
pub fn primaries(
    conn: &mut DbConn,
    scope: &FacilityScope,
    patient_id: &str,
    current_year: i64,
) -> Result<PatientPrimaries, Error> {
    patients::get(conn, scope, patient_id)?;
    let tumors = tumors::for_patients(conn, scope, &[patient_id.to_string()])?;
    if tumors.len() > MAX_TUMORS {
        return Err(abstracts::Error::Conflict(format!(
            "patient {patient_id} has {} tumors; the rules are applied to at most {MAX_TUMORS}",
            tumors.len()
        ))
        .into());
    }
    let fields: Vec<TumorFields> = tumors.iter().map(|t| fields_from_items(&t.items)).collect();
    let primaries = group(&fields, current_year)?;
    Ok(PatientPrimaries { tumors, primaries })
}

/// Tumors a request changed, with their item changes.
pub type Changed = Vec<(Tumor, Vec<ItemChange>)>;

/// Which sequence number item to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SequenceItem {
    /// Sequence Number--Central [380].
    Central,
    /// Sequence Number--Hospital [560].
    Hospital,
}

impl SequenceItem {
    pub fn item_id(self) -> &'static str {
        match self {
            SequenceItem::Central => "sequenceNumberCentral",
            SequenceItem::Hospital => "sequenceNumberHospital",
        }
    }
}

/// Writes the proposed sequence numbers. Only reviewers and managers may; every tumor of the
/// proposal must be named in `versions` with the version it was read at (a stale one fails
/// the whole request, so nothing is written on top of a change the reviewer has not seen).
/// Returns the proposal and the tumors that changed.
pub fn apply_sequence(
    conn: &mut DbConn,
    caller: &Caller,
    patient_id: &str,
    current_year: i64,
    item: SequenceItem,
    versions: &BTreeMap<String, i64>,
) -> Result<(PatientPrimaries, Changed), Error> {
    if !caller.has_any(REVIEWERS) {
        return Err(abstracts::Error::Forbidden(
            "only a reviewer or a manager may apply sequence numbers".into(),
        )
        .into());
    }
    let mut found = primaries(conn, &caller.facilities, patient_id, current_year)?;
    let unknown: Vec<ItemError> = versions
        .keys()
        .filter(|id| !found.tumors.iter().any(|t| &&t.id == id))
        .map(|id| {
            ItemError::new(
                "versions",
                None,
                "unknown-tumor",
                format!("tumor {id} is not a tumor of patient {patient_id} in your scope"),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(abstracts::Error::Invalid(unknown).into());
    }
    if found.tumors.iter().any(|t| !versions.contains_key(&t.id)) {
        return Err(abstracts::Error::PreconditionRequired.into());
    }
    let proposed: Vec<String> = found
        .proposed_sequence()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut changed = Vec::new();
    for (t, seq) in found.tumors.iter_mut().zip(&proposed) {
        let changes = BTreeMap::from([(item.item_id().to_string(), Some(seq.clone()))]);
        let expected = versions.get(&t.id).copied();
        let (updated, c) = tumors::update(conn, &caller.facilities, &t.id, expected, &changes)?;
        *t = updated;
        if !c.is_empty() {
            changed.push((t.clone(), c));
        }
    }
    Ok((found, changed))
}

/// The rules' decision for `tumor` against each other tumor of `others` (the tumor itself is
/// skipped): what a create or change of a tumor reports. A single-primary decision against an
/// existing tumor is the registrar's warning. Items: `(other tumor id, outcome, reason)`.
pub fn against_others(
    tumor: &Tumor,
    others: &[Tumor],
    current_year: i64,
) -> Result<Vec<(String, super::Outcome, String)>, TableError> {
    let this = fields_from_items(&tumor.items);
    others
        .iter()
        .filter(|o| o.id != tumor.id)
        .map(|o| {
            let other = fields_from_items(&o.items);
            let outcome = super::compare(&this, &other, current_year)?;
            let reason = outcome.reason(&this, &other, current_year);
            Ok((o.id.clone(), outcome, reason))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abstracts::tumors::Status;

    fn tumor(id: &str, date: &str) -> Tumor {
        let items = [
            ("primarySite", "C445"),
            ("histologicTypeIcdO3", "8720"),
            ("behaviorCodeIcdO3", "3"),
            ("laterality", "1"),
            ("dateOfDiagnosis", date),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Tumor {
            id: id.into(),
            patient_id: "p".into(),
            facility_id: "f".into(),
            status: Status::Draft,
            version: 1,
            items,
            source_file: None,
            source_line: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            edit_status: None,
        }
    }

    #[test]
    fn against_others_skips_itself_and_names_the_rule() {
        let all = [
            tumor("a", "20190312"),
            tumor("b", "20240602"),
            tumor("c", "20190312"),
        ];
        let out = against_others(&all[0], &all, 2026).unwrap_or_else(|e| panic!("{e}"));
        let summary: Vec<(&str, super::super::Decision, Option<&str>)> = out
            .iter()
            .map(|(id, o, _)| (id.as_str(), o.decision, o.step))
            .collect();
        use super::super::Decision::*;
        assert_eq!(
            summary,
            vec![
                ("b", MultiplePrimaries, Some("M7")),
                ("c", SinglePrimary, Some("M8"))
            ]
        );
    }
}
