//! The rules over a stored patient: its tumors grouped into primaries, and sequence numbers
//! proposed from them and applied on a reviewer's request.

use std::collections::BTreeMap;

use super::primaries::{fields_from_items, group, Primaries, Primary};
use super::{compare, Decision, Outcome, TableError, TumorFields};
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

/// What a create or change of a tumor reports about the patient's other tumors.
#[derive(Debug, Clone)]
pub struct AgainstOthers {
    /// The decision against each other tumor, in id order: (other tumor id, outcome, reason).
    pub pairs: Vec<(String, Outcome, String)>,
    /// One line per single-primary verdict against an existing tumor: the registrar's warning
    /// (the abstract is stored; edit IRMP or DUP fails until the tumors are merged, one is
    /// withdrawn, or a reviewer over-rides it).
    pub warnings: Vec<String>,
    /// When the rules make the tumor one primary with others: that primary (tumor ids in
    /// diagnosis order) with its proposed Mult Tum Rpt as One Prim [444], Date of Mult Tumors
    /// [445] and Multiplicity Counter [446]. Proposed, never written.
    pub primary: Option<(Vec<String>, Primary)>,
}

/// The rules' decision for `tumor` against each other tumor of `others` (the tumor itself is
/// skipped), and the primary it forms with them.
pub fn decide(
    tumor: &Tumor,
    others: &[Tumor],
    current_year: i64,
) -> Result<AgainstOthers, TableError> {
    let others: Vec<&Tumor> = others.iter().filter(|o| o.id != tumor.id).collect();
    let this = fields_from_items(&tumor.items);
    let mut pairs = Vec::with_capacity(others.len());
    let mut warnings = Vec::new();
    for o in &others {
        let other = fields_from_items(&o.items);
        let outcome = compare(&this, &other, current_year)?;
        let reason = outcome.reason(&this, &other, current_year);
        if outcome.decision == Decision::SinglePrimary {
            let rule = match (outcome.step, outcome.rule_set) {
                (Some(step), Some(set)) if !step.is_empty() => {
                    format!("rule {step} of {}", set.name)
                }
                _ => "the multiple primary rules".to_string(),
            };
            warnings.push(format!(
                "{rule} makes this tumor one primary with tumor {}: merge the two, withdraw one, \
                 or have a reviewer set Over-ride Site/Lat/SeqNo [2010] with a reason",
                o.id
            ));
        }
        pairs.push((o.id.clone(), outcome, reason));
    }
    // The proposal groups every tumor (n² pairs): only for the patients the primaries
    // endpoint also takes, and only when some pair is one primary.
    let primary = if !warnings.is_empty() && others.len() < MAX_TUMORS {
        let all: Vec<&Tumor> = std::iter::once(tumor)
            .chain(others.iter().copied())
            .collect();
        let fields: Vec<TumorFields> = all.iter().map(|t| fields_from_items(&t.items)).collect();
        group(&fields, current_year)?
            .primaries
            .into_iter()
            .find(|p| p.tumors.len() > 1 && p.tumors.contains(&0))
            .map(|p| (p.tumors.iter().map(|i| all[*i].id.clone()).collect(), p))
    } else {
        None
    };
    Ok(AgainstOthers {
        pairs,
        warnings,
        primary,
    })
}

/// [`decide`] for a tumor just created or changed, against the other tumors of its patient
/// that the scope sees (withdrawn tumors are left out). `None` when there are none.
pub fn against_others(
    conn: &mut DbConn,
    scope: &FacilityScope,
    tumor: &Tumor,
    current_year: i64,
) -> Result<Option<AgainstOthers>, Error> {
    let all = tumors::for_patients(conn, scope, std::slice::from_ref(&tumor.patient_id))?;
    if all.iter().all(|t| t.id == tumor.id) {
        return Ok(None);
    }
    Ok(Some(decide(tumor, &all, current_year)?))
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
        let out = decide(&all[0], &all, 2026).unwrap_or_else(|e| panic!("{e}"));
        let summary: Vec<(&str, super::super::Decision, Option<&str>)> = out
            .pairs
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
        // The single-primary pair is the registrar's warning, and a, c form one primary with
        // its multiple-tumor items proposed.
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].contains("tumor c"), "{:?}", out.warnings);
        let (ids, p) = out.primary.unwrap_or_else(|| panic!("no proposal"));
        assert_eq!(ids, vec!["a".to_string(), "c".to_string()]);
        assert_eq!(p.multiplicity_counter, "02");
        assert_eq!(p.mult_tum_rpt_as_one_prim, "40");
        assert_eq!(p.date_of_mult_tumors.as_deref(), Some("20190312"));
    }
}
