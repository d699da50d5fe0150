//! Converts items read from older NAACCR versions to the v26 item set the service stores, and
//! v26 items back to v25 for exports to recipients still on NAACCR 25.
//!
//! Rules, in order: `sex` [220] becomes `sexAssignedAtBirth` [225] through the code mapping of
//! `codes::sex_v25_to_sex_assigned_at_birth`; an id unknown to v26 whose item *number* v26
//! still has is renamed (dictionary revisions renamed ids, e.g. `spreadThrougAirSpacesStas`);
//! items whose level moved (patient <-> tumor) are moved; anything else v26 does not have is
//! retired and dropped. Every change is counted in a [`ConversionReport`] so the import report
//! can say what happened; values that no longer fit the v26 definition are reported too.

use std::collections::BTreeMap;

use serde::Serialize;

use super::codes::sex_v25_to_sex_assigned_at_birth;
use super::dictionary::{Dictionary, Level};
use super::value::check_format;
use super::xml::Patient;
use super::Items;

/// What happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Value recoded into another item (`sex` -> `sexAssignedAtBirth`).
    Mapped,
    /// A code with no counterpart in the target item: dropped.
    Unmapped,
    /// Same item number, new id.
    Renamed,
    /// Moved between patient and tumor level.
    MovedLevel,
    /// Not in the target version: dropped.
    Retired,
    /// Kept, but the value breaks the target definition (length or type changed).
    InvalidInTarget,
}

/// One line of a conversion summary: `count` items of `from` underwent `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub from: String,
    pub to: Option<String>,
    pub count: u64,
}

/// Counts of conversion changes over a whole file (bounded: one entry per item id and kind).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversionReport {
    counts: BTreeMap<(ChangeKind, String, Option<String>), u64>,
}

impl ConversionReport {
    fn add(&mut self, kind: ChangeKind, from: &str, to: Option<&str>) {
        *self
            .counts
            .entry((kind, from.to_string(), to.map(str::to_string)))
            .or_default() += 1;
    }

    /// The changes, grouped.
    pub fn changes(&self) -> Vec<Change> {
        self.counts
            .iter()
            .map(|((kind, from, to), count)| Change {
                kind: *kind,
                from: from.clone(),
                to: to.clone(),
                count: *count,
            })
            .collect()
    }

    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// The v26 counterpart of one item of `from` (id and value), or `None` when it is retired or
/// its code has no counterpart. Level moves are handled by [`patient_to_v26`].
fn item_to_v26(
    from: &Dictionary,
    id: &str,
    value: &str,
    report: &mut ConversionReport,
) -> Option<(String, String)> {
    let v26 = Dictionary::v260();
    if id == "sex" {
        return match sex_v25_to_sex_assigned_at_birth(value) {
            Some(v) => {
                report.add(ChangeKind::Mapped, id, Some("sexAssignedAtBirth"));
                Some(("sexAssignedAtBirth".to_string(), v.to_string()))
            }
            None => {
                report.add(ChangeKind::Unmapped, id, Some("sexAssignedAtBirth"));
                None
            }
        };
    }
    if v26.item(id).is_some() {
        return Some((id.to_string(), value.to_string()));
    }
    let renamed = from
        .item(id)
        .and_then(|d| v26.by_number(d.number))
        .filter(|n| n.id != "sexAssignedAtBirth");
    match renamed {
        Some(n) => {
            report.add(ChangeKind::Renamed, id, Some(&n.id));
            Some((n.id.clone(), value.to_string()))
        }
        None => {
            report.add(ChangeKind::Retired, id, None);
            None
        }
    }
}

fn convert_items(from: &Dictionary, items: Items, report: &mut ConversionReport) -> Items {
    let mut out = Items::new();
    for (id, value) in items {
        if let Some((nid, nv)) = item_to_v26(from, &id, &value, report) {
            out.entry(nid).or_insert(nv);
        }
    }
    out
}

/// Converts a patient read with dictionary `from` (any base version) to v26 in place.
/// A no-op for v26 input.
pub fn patient_to_v26(patient: &mut Patient, from: &Dictionary, report: &mut ConversionReport) {
    if from.version == "260" {
        return;
    }
    let v26 = Dictionary::v260();
    patient.items = convert_items(from, std::mem::take(&mut patient.items), report);
    for t in &mut patient.tumors {
        t.items = convert_items(from, std::mem::take(&mut t.items), report);
    }
    // Tumor-level values that v26 keeps per patient: the first tumor's value wins, as flat
    // files did for patient items.
    let to_patient: Vec<String> = patient
        .tumors
        .iter()
        .flat_map(|t| t.items.keys())
        .filter(|id| v26.item(id).is_some_and(|d| d.level == Level::Patient))
        .cloned()
        .collect();
    for id in to_patient {
        for t in &mut patient.tumors {
            if let Some(v) = t.items.remove(&id) {
                report.add(
                    ChangeKind::MovedLevel,
                    &id,
                    Some(Level::Patient.xml_element()),
                );
                patient.items.entry(id.clone()).or_insert(v);
            }
        }
    }
    let to_tumor: Vec<String> = patient
        .items
        .keys()
        .filter(|id| v26.item(id).is_some_and(|d| d.level == Level::Tumor))
        .cloned()
        .collect();
    for id in to_tumor {
        if let Some(v) = patient.items.remove(&id) {
            report.add(
                ChangeKind::MovedLevel,
                &id,
                Some(Level::Tumor.xml_element()),
            );
            for t in &mut patient.tumors {
                t.items.entry(id.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let check = |items: &Items, report: &mut ConversionReport| {
        for (id, v) in items {
            let (Some(new), Some(old)) = (v26.item(id), from.item(id)) else {
                continue;
            };
            if (new.length, new.data_type) != (old.length, old.data_type)
                && check_format(new, v).is_err()
            {
                report.add(ChangeKind::InvalidInTarget, id, Some(id));
            }
        }
    };
    check(&patient.items, report);
    for t in &patient.tumors {
        check(&t.items, report);
    }
}

/// Sex Assigned at Birth [225] back to NAACCR 25 Sex [220]: the codes 1, 2 and 9 mean the same.
pub fn sex_assigned_at_birth_to_sex_v25(v: &str) -> Option<&'static str> {
    match v {
        "1" => Some("1"),
        "2" => Some("2"),
        "9" => Some("9"),
        _ => None,
    }
}

/// The v25 id and value for a v26 item, `None` when v25 has no such item (or code).
pub fn item_to_v250<'a>(id: &'a str, value: &'a str) -> Option<(&'a str, &'a str)> {
    if id == "sexAssignedAtBirth" {
        return sex_assigned_at_birth_to_sex_v25(value).map(|v| ("sex", v));
    }
    Dictionary::v250().item(id).map(|_| (id, value))
}

#[cfg(test)]
mod tests {
    use super::super::xml::Tumor;
    use super::*;

    #[test]
    fn sex_and_retired_items() {
        let mut p = Patient::default();
        p.items.insert("sex".into(), "5".into());
        p.items.insert("patientIdNumber".into(), "00000001".into());
        let mut t = Tumor::default();
        t.items
            .insert("comorbidComplication1".into(), "12345".into());
        t.items.insert("primarySite".into(), "C504".into());
        p.tumors.push(t);
        let mut r = ConversionReport::default();
        patient_to_v26(&mut p, Dictionary::v250(), &mut r);
        assert_eq!(
            p.items.get("sexAssignedAtBirth").map(String::as_str),
            Some("1")
        );
        assert!(!p.items.contains_key("sex"));
        assert!(!p.tumors[0].items.contains_key("comorbidComplication1"));
        let kinds: Vec<_> = r
            .changes()
            .iter()
            .map(|c| (c.kind, c.from.clone()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Mapped, "sex".into()),
                (ChangeKind::Retired, "comorbidComplication1".into())
            ]
        );
        assert_eq!(item_to_v250("sexAssignedAtBirth", "2"), Some(("sex", "2")));
        assert_eq!(item_to_v250("spreadThroughAirSpacesStas", "1"), None);
    }
}
