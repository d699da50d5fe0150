//! Named edit sets: which edits run and at which severity, per standard setter. In the
//! NAACCR metafile an edit's severity belongs to the edit set (the same edit can be an error
//! for one program and a warning for another); these sets follow that model.
//!
//! * `coc`: a CoC hospital registry (NCDB): the CoC versions of the hospital edits, CoC
//!   required items, hospital sequence numbers.
//! * `seer`, `npcr`: a central registry reporting to SEER / NPCR: the central versions,
//!   central sequence numbers, that program's required items.
//! * `state-default`: a state central registry receiving hospital abstracts: the NPCR set,
//!   plus the hospital (CoC) edits as warnings so that facility data problems are visible
//!   without blocking the central record.

use serde::Serialize;

use super::required::Setter;
use super::{Edit, Severity};

/// Environment variable naming the edit set the service stores outcomes with.
pub const EDIT_SET_ENV: &str = "CANCER_REGISTRY_EDIT_SET";
/// The set used when the variable is not set (a hospital registry).
pub const DEFAULT_EDIT_SET: &str = "coc";

/// One named edit set.
#[derive(Debug)]
pub struct EditSet {
    pub name: &'static str,
    pub description: &'static str,
    /// The setter whose required-item edit runs.
    pub setter: Setter,
    /// Edits that do not run in this set.
    exclude: &'static [&'static str],
    /// Edits that run as warnings in this set.
    warn: &'static [&'static str],
    /// Severity of each registered edit in this set, by registry position (built once: the
    /// engine looks it up for every edit of every patient).
    plan: std::sync::OnceLock<Vec<Option<Severity>>>,
}

const REQUIRED_EDITS: &[(&str, Setter)] = &[
    ("RQCOC", Setter::Coc),
    ("RQSEER", Setter::Seer),
    ("RQNPCR", Setter::Npcr),
    ("RQCCCR", Setter::Cccr),
];

/// Edits of the hospital's own items (CoC versions, hospital sequence numbers).
const HOSPITAL: &[&str] = &["C02", "C18", "C20", "F05", "F06", "SEQH"];
/// Edits of the central registry's items (SEER versions, central sequence numbers).
const CENTRAL: &[&str] = &["IF25", "IF22", "IF23", "IF04", "SEQC"];

static COC: EditSet = EditSet {
    name: "coc",
    description: "CoC-accredited hospital registry (NCDB): CoC edits and CoC required items",
    setter: Setter::Coc,
    exclude: CENTRAL,
    warn: &[],
    plan: std::sync::OnceLock::new(),
};

static SEER: EditSet = EditSet {
    name: "seer",
    description: "Central registry reporting to SEER: SEER edits and SEER required items",
    setter: Setter::Seer,
    exclude: HOSPITAL,
    warn: &[],
    plan: std::sync::OnceLock::new(),
};

static NPCR: EditSet = EditSet {
    name: "npcr",
    description: "Central registry reporting to NPCR (CDC): central edits and NPCR required items",
    setter: Setter::Npcr,
    exclude: HOSPITAL,
    warn: &[],
    plan: std::sync::OnceLock::new(),
};

static STATE_DEFAULT: EditSet = EditSet {
    name: "state-default",
    description: "State central registry receiving hospital abstracts: the NPCR set, with the hospital (CoC) edits as warnings",
    setter: Setter::Npcr,
    exclude: &[],
    warn: HOSPITAL,
    plan: std::sync::OnceLock::new(),
};

pub static SETS: &[&EditSet] = &[&COC, &SEER, &NPCR, &STATE_DEFAULT];

impl EditSet {
    /// The severity of an edit in this set; `None` when the set does not run it.
    pub fn severity(&self, edit: &Edit) -> Option<Severity> {
        if let Some((_, s)) = REQUIRED_EDITS.iter().find(|(id, _)| *id == edit.id) {
            return (*s == self.setter).then_some(edit.severity);
        }
        if self.exclude.contains(&edit.id) {
            return None;
        }
        if self.warn.contains(&edit.id) {
            return Some(Severity::Warning);
        }
        Some(edit.severity)
    }

    /// [`EditSet::severity`] of every registered edit, by registry position.
    pub(crate) fn plan(&self) -> &[Option<Severity>] {
        self.plan
            .get_or_init(|| super::edits().iter().map(|e| self.severity(e)).collect())
    }

    /// The edits of the set with their severity, in registry order.
    pub fn entries(&self) -> Vec<SetEntry> {
        super::edits()
            .iter()
            .filter_map(|e| {
                self.severity(e)
                    .map(|severity| SetEntry { id: e.id, severity })
            })
            .collect()
    }
}

/// An edit of a set.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SetEntry {
    pub id: &'static str,
    pub severity: Severity,
}

/// The set of that name.
pub fn by_name(name: &str) -> Option<&'static EditSet> {
    SETS.iter().copied().find(|s| s.name == name)
}

/// The set named by `CANCER_REGISTRY_EDIT_SET` (read once), else `coc`. An unknown name falls
/// back to `coc` with a logged error rather than running no edits at all.
pub fn configured() -> &'static EditSet {
    static SET: std::sync::OnceLock<&'static EditSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let name = std::env::var(EDIT_SET_ENV).unwrap_or_else(|_| DEFAULT_EDIT_SET.into());
        by_name(name.trim()).unwrap_or_else(|| {
            log::error!(
                "{EDIT_SET_ENV}={name:?} is not an edit set (coc, seer, npcr, state-default); using {DEFAULT_EDIT_SET}"
            );
            &COC
        })
    })
}
