//! What an import may not overwrite. A file is one hospital's view at the time it was written;
//! the registry may know more since: a later contact, a death found by death clearance, case
//! administration dates the service keeps, a central sequence number, an over-ride a reviewer
//! set. When a matched record is updated from a file, those stored values are kept and the
//! import report says which, and why.
//!
//! Follow-up items follow the rules of `POST /contacts` (`followup::contacts`): the file's
//! follow-up replaces the stored one only when its Date of Last Contact [1750] is later; a
//! dead patient's record stays at the death; and a file that finds a patient recorded dead
//! alive at a later date is refused for that patient (a problem in the report; the rest of
//! the file applies).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::import::FileProblem;
use crate::naaccr::{Dictionary, Items, PartialDate};

/// Patient follow-up items: they move together, by the Date of Last Contact.
pub const PATIENT_FOLLOW_UP: &[&str] = &[
    "vitalStatus",
    "dateOfLastContact",
    "causeOfDeath",
    "icdRevisionNumber",
    "placeOfDeathState",
    "placeOfDeathCountry",
    "followUpSourceCentral",
];

/// Tumor items that belong to the patient's follow-up (they move with it).
pub const TUMOR_FOLLOW_UP: &[&str] = &["followUpSource", "nextFollowUpSource"];

/// Tumor items that move together by the Date of Last Cancer (tumor) Status [1772].
pub const CANCER_STATUS: &[&str] = &["cancerStatus", "dateOfLastCancerStatus"];

/// Case administration items the service keeps (NAACCR items 2085 to 2110: Date Case
/// Initiated, Completed, Completed--CoC, Last Changed, Report Exported). The lifecycle module
/// sets them; a file never overwrites a stored one.
pub const CASE_ADMINISTRATION: std::ops::RangeInclusive<u32> = 2085..=2110;

/// Why an import kept a stored value instead of the file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KeptReason {
    /// The stored contact is later than the file's.
    OlderContact,
    /// The file's contact has the stored date: it is not newer.
    SameContact,
    /// The file's follow-up has no Date of Last Contact and a dated one is stored.
    UndatedContact,
    /// The patient is recorded dead; the record stays at the death.
    RecordedDead,
    /// The file finds a patient recorded dead alive later: refused for that patient.
    AliveAfterDeath,
    /// A case administration date (items 2085-2110) the service keeps.
    CaseAdministration,
    /// The Sequence Number--Central [380] the registry assigned.
    CentralSequence,
    /// An over-ride flag a reviewer set.
    ReviewerOverride,
    /// The tumor's stored cancer status is as recent or more recent.
    OlderCancerStatus,
    /// The tumor is complete (or, for patient items, the patient has a complete tumor): it is
    /// locked, and the import came without a reviewer or manager and a `reason`.
    CompleteLocked,
    /// An over-ride flag, which only a reviewer or a manager sets, with a `reason`; the file's
    /// value was not applied (on a new record too).
    OverrideRefused,
}

/// One stored value an import kept.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeptValue {
    /// Line of the element (Patient or Tumor) in the file.
    pub line: Option<u64>,
    pub patient_id: String,
    pub tumor_id: Option<String>,
    pub item: String,
    pub stored: Option<String>,
    pub file: Option<String>,
    pub reason: KeptReason,
}

/// The kept values and refusals of one import (bounded; the totals count them all).
#[derive(Debug, Default)]
pub struct Keeps {
    pub kept: Vec<KeptValue>,
    pub kept_total: u64,
    pub problems: Vec<FileProblem>,
    pub problems_total: u64,
}

/// At most this many kept values and problems are listed.
const MAX_LISTED: usize = 1000;

impl Keeps {
    fn keep(&mut self, v: KeptValue) {
        self.kept_total += 1;
        if self.kept.len() < MAX_LISTED {
            self.kept.push(v);
        }
    }

    fn problem(&mut self, p: FileProblem) {
        self.problems_total += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(p);
        }
    }
}

/// Applies the lifecycle rules to what an import would write to one record: without a reviewer
/// or manager and a reason (`may_override`), a locked record's changes and any over-ride flag
/// are taken out of `changes` and reported, the rest applies. `stored` is the record as stored
/// (empty for a new one).
pub fn filter_locked(
    stored: &Items,
    changes: &mut BTreeMap<String, Option<String>>,
    locked: bool,
    may_override: bool,
    at: TumorAt,
    tumor: bool,
    keeps: &mut Keeps,
) {
    if may_override {
        return;
    }
    let refused: Vec<(String, KeptReason)> = changes
        .keys()
        .filter_map(|id| {
            // Follow-up is not a change of the abstract: contacts update it on complete
            // abstracts too, and so may a file (by the follow-up rules above).
            if locked && !is_follow_up(id) {
                Some((id.clone(), KeptReason::CompleteLocked))
            } else if crate::abstracts::lifecycle::is_override(id) {
                Some((id.clone(), KeptReason::OverrideRefused))
            } else {
                None
            }
        })
        .collect();
    for (id, reason) in refused {
        if let Some(v) = changes.remove(&id) {
            keeps.keep(KeptValue {
                line: Some(at.line),
                patient_id: at.patient_id.to_string(),
                tumor_id: tumor.then(|| at.tumor_id.to_string()),
                stored: stored.get(&id).cloned(),
                item: id,
                file: v,
                reason,
            });
        }
    }
}

/// Items that record follow-up (patient and tumor), which the lock of a complete abstract
/// leaves open.
fn is_follow_up(id: &str) -> bool {
    PATIENT_FOLLOW_UP
        .iter()
        .chain(TUMOR_FOLLOW_UP)
        .chain(CANCER_STATUS)
        .any(|f| *f == id)
}

/// The over-ride flags of a new record that an import may not set (no reviewer or manager with
/// a reason): taken out of `items`, to be reported with [`refused_on_new`] once the record has
/// its id.
pub fn strip_overrides(items: &mut Items, may_override: bool) -> Vec<(String, String)> {
    if may_override {
        return Vec::new();
    }
    let flags: Vec<String> = items
        .keys()
        .filter(|id| crate::abstracts::lifecycle::is_override(id))
        .cloned()
        .collect();
    flags
        .into_iter()
        .filter_map(|id| items.remove(&id).map(|v| (id, v)))
        .collect()
}

/// Reports the over-ride flags [`strip_overrides`] took out of a new record.
pub fn refused_on_new(
    refused: Vec<(String, String)>,
    line: u64,
    patient_id: &str,
    tumor_id: Option<&str>,
    keeps: &mut Keeps,
) {
    for (item, value) in refused {
        keeps.keep(KeptValue {
            line: Some(line),
            patient_id: patient_id.to_string(),
            tumor_id: tumor_id.map(str::to_string),
            item,
            stored: None,
            file: Some(value),
            reason: KeptReason::OverrideRefused,
        });
    }
}

fn date(items: &Items, id: &str) -> Option<PartialDate> {
    items.get(id).and_then(|d| PartialDate::parse(d).ok())
}

/// The decision on a patient's follow-up from one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    Apply,
    Keep(KeptReason),
}

/// Decides whether the file's follow-up replaces the stored one (the rules of
/// `followup::contacts::record`).
pub fn follow_up_decision(stored: &Items, file: &Items) -> FollowUp {
    let stored_dead = stored.get("vitalStatus").map(String::as_str) == Some("0");
    let file_alive = file.get("vitalStatus").map(String::as_str) == Some("1");
    let order = match (
        date(file, "dateOfLastContact"),
        date(stored, "dateOfLastContact"),
    ) {
        (Some(f), Some(s)) => f.compare(&s),
        (None, Some(_)) => return FollowUp::Keep(KeptReason::UndatedContact),
        // Nothing dated stored: the file's follow-up is the better one.
        (_, None) => Some(Ordering::Greater),
    };
    if stored_dead {
        // A contact that cannot be ordered against the death counts as not older, as for
        // `POST /contacts`.
        let older = order == Some(Ordering::Less);
        return if file_alive && !older {
            FollowUp::Keep(KeptReason::AliveAfterDeath)
        } else {
            FollowUp::Keep(KeptReason::RecordedDead)
        };
    }
    match order {
        Some(Ordering::Less) => FollowUp::Keep(KeptReason::OlderContact),
        Some(Ordering::Equal) => FollowUp::Keep(KeptReason::SameContact),
        _ => FollowUp::Apply,
    }
}

/// Removes from a matched patient's `changes` the follow-up items the registry keeps, noting
/// them; returns the decision, which also governs the tumors' follow-up items.
pub fn filter_patient(
    stored: &Items,
    file: &Items,
    changes: &mut BTreeMap<String, Option<String>>,
    line: u64,
    patient_id: &str,
    keeps: &mut Keeps,
) -> FollowUp {
    if !PATIENT_FOLLOW_UP.iter().any(|id| changes.contains_key(*id)) {
        return FollowUp::Apply;
    }
    let decision = follow_up_decision(stored, file);
    let FollowUp::Keep(reason) = decision else {
        return decision;
    };
    if reason == KeptReason::AliveAfterDeath {
        keeps.problem(FileProblem {
            line: Some(line),
            column: None,
            item: Some("vitalStatus".into()),
            rule: "alive-after-death".into(),
            message: format!(
                "patient {patient_id} is recorded dead on {}; the file's contact on {} finds them alive: its follow-up is refused (correct the death first)",
                stored.get("dateOfLastContact").map(String::as_str).unwrap_or("an unknown date"),
                file.get("dateOfLastContact").map(String::as_str).unwrap_or("an unknown date"),
            ),
            patient_line: None,
        });
    }
    for id in PATIENT_FOLLOW_UP {
        if let Some(v) = changes.remove(*id) {
            keeps.keep(KeptValue {
                line: Some(line),
                patient_id: patient_id.to_string(),
                tumor_id: None,
                item: id.to_string(),
                stored: stored.get(*id).cloned(),
                file: v,
                reason,
            });
        }
    }
    decision
}

/// Why a stored tumor item is the registry's to keep, if it is.
pub fn registry_kept(id: &str) -> Option<KeptReason> {
    if id.starts_with("overRide") {
        return Some(KeptReason::ReviewerOverride);
    }
    if id == "sequenceNumberCentral" {
        return Some(KeptReason::CentralSequence);
    }
    Dictionary::v260()
        .item(id)
        .filter(|d| CASE_ADMINISTRATION.contains(&d.number))
        .map(|_| KeptReason::CaseAdministration)
}

/// Which tumor of the file and of the registry.
#[derive(Debug, Clone, Copy)]
pub struct TumorAt<'a> {
    /// Line of the tumor in the file.
    pub line: u64,
    pub patient_id: &'a str,
    pub tumor_id: &'a str,
}

/// Removes from a matched tumor's `changes` what the registry keeps, noting it.
pub fn filter_tumor(
    stored: &Items,
    file: &Items,
    changes: &mut BTreeMap<String, Option<String>>,
    follow_up: FollowUp,
    at: TumorAt,
    keeps: &mut Keeps,
) {
    let mut kept: Vec<(String, KeptReason)> = Vec::new();
    for id in changes.keys() {
        // Only a stored value is kept: an item the registry never set takes the file's.
        if stored.get(id).is_none_or(|v| v.trim().is_empty()) {
            continue;
        }
        if let Some(reason) = registry_kept(id) {
            kept.push((id.clone(), reason));
        }
    }
    if let FollowUp::Keep(reason) = follow_up {
        for id in TUMOR_FOLLOW_UP {
            if changes.contains_key(*id) {
                kept.push((id.to_string(), reason));
            }
        }
    }
    if CANCER_STATUS.iter().any(|id| changes.contains_key(*id)) {
        let newer = match (
            date(file, "dateOfLastCancerStatus"),
            date(stored, "dateOfLastCancerStatus"),
        ) {
            (Some(f), Some(s)) => matches!(f.compare(&s), Some(Ordering::Greater) | None),
            (None, Some(_)) => false,
            (_, None) => true,
        };
        if !newer {
            for id in CANCER_STATUS {
                if changes.contains_key(*id) {
                    kept.push((id.to_string(), KeptReason::OlderCancerStatus));
                }
            }
        }
    }
    for (id, reason) in kept {
        if let Some(v) = changes.remove(&id) {
            keeps.keep(KeptValue {
                line: Some(at.line),
                patient_id: at.patient_id.to_string(),
                tumor_id: Some(at.tumor_id.to_string()),
                stored: stored.get(&id).cloned(),
                item: id,
                file: v,
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(pairs: &[(&str, &str)]) -> Items {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn follow_up_moves_forward_only() {
        let dead = items(&[("vitalStatus", "0"), ("dateOfLastContact", "20251115")]);
        let alive_before = items(&[("vitalStatus", "1"), ("dateOfLastContact", "20250812")]);
        let alive_after = items(&[("vitalStatus", "1"), ("dateOfLastContact", "20260101")]);
        assert_eq!(
            follow_up_decision(&dead, &alive_before),
            FollowUp::Keep(KeptReason::RecordedDead)
        );
        assert_eq!(
            follow_up_decision(&dead, &alive_after),
            FollowUp::Keep(KeptReason::AliveAfterDeath)
        );
        assert_eq!(
            follow_up_decision(&alive_after, &alive_before),
            FollowUp::Keep(KeptReason::OlderContact)
        );
        assert_eq!(
            follow_up_decision(&alive_before, &alive_before),
            FollowUp::Keep(KeptReason::SameContact)
        );
        assert_eq!(
            follow_up_decision(&alive_before, &alive_after),
            FollowUp::Apply
        );
        assert_eq!(
            follow_up_decision(&alive_before, &items(&[("vitalStatus", "0")])),
            FollowUp::Keep(KeptReason::UndatedContact)
        );
        // A partial date that cannot be ordered is not older (as for contacts).
        let partial = items(&[("vitalStatus", "1"), ("dateOfLastContact", "2025")]);
        assert_eq!(follow_up_decision(&alive_before, &partial), FollowUp::Apply);
    }

    #[test]
    fn locked_records_keep_all_but_follow_up() {
        let at = TumorAt {
            line: 7,
            patient_id: "p",
            tumor_id: "t",
        };
        let stored = items(&[("laterality", "1")]);
        let mut changes: BTreeMap<String, Option<String>> = [
            ("laterality", "2"),
            ("cancerStatus", "1"),
            ("overRideHistology", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect();
        let mut keeps = Keeps::default();
        let mut open = changes.clone();
        filter_locked(&stored, &mut open, true, true, at, true, &mut keeps);
        assert_eq!(open.len(), 3, "a reviewer with a reason changes everything");
        filter_locked(&stored, &mut changes, true, false, at, true, &mut keeps);
        assert_eq!(changes.keys().collect::<Vec<_>>(), ["cancerStatus"]);
        assert_eq!(keeps.kept.len(), 2);
        assert!(keeps
            .kept
            .iter()
            .all(|k| k.reason == KeptReason::CompleteLocked && k.tumor_id.as_deref() == Some("t")));
        let mut draft: BTreeMap<String, Option<String>> =
            [("overRideHistology".to_string(), Some("1".to_string()))].into();
        filter_locked(&stored, &mut draft, false, false, at, true, &mut keeps);
        assert!(draft.is_empty());
        assert_eq!(keeps.kept[2].reason, KeptReason::OverrideRefused);
        let mut new = items(&[("overRideHistology", "1"), ("primarySite", "C509")]);
        assert_eq!(strip_overrides(&mut new, false).len(), 1);
        assert_eq!(new.len(), 1);
    }

    #[test]
    fn registry_kept_items() {
        assert_eq!(
            registry_kept("dateCaseCompleted"),
            Some(KeptReason::CaseAdministration)
        );
        assert_eq!(
            registry_kept("dateCaseReportExported"),
            Some(KeptReason::CaseAdministration)
        );
        assert_eq!(
            registry_kept("overRideHistology"),
            Some(KeptReason::ReviewerOverride)
        );
        assert_eq!(
            registry_kept("sequenceNumberCentral"),
            Some(KeptReason::CentralSequence)
        );
        assert_eq!(registry_kept("primarySite"), None);
    }

    #[test]
    fn tumor_filter_keeps_stored_registry_items_only() {
        let stored = items(&[("dateCaseCompleted", "20250101"), ("primarySite", "C509")]);
        let file = items(&[
            ("dateCaseCompleted", "20240101"),
            ("dateCaseInitiated", "20240101"),
            ("primarySite", "C508"),
        ]);
        let mut changes: BTreeMap<String, Option<String>> = file
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        let mut keeps = Keeps::default();
        filter_tumor(
            &stored,
            &file,
            &mut changes,
            FollowUp::Apply,
            TumorAt {
                line: 7,
                patient_id: "p",
                tumor_id: "t",
            },
            &mut keeps,
        );
        assert!(!changes.contains_key("dateCaseCompleted"));
        assert!(
            changes.contains_key("dateCaseInitiated"),
            "not stored: taken"
        );
        assert!(changes.contains_key("primarySite"));
        assert_eq!(keeps.kept.len(), 1);
        assert_eq!(keeps.kept[0].reason, KeptReason::CaseAdministration);
        assert_eq!(keeps.kept[0].line, Some(7));
    }
}
