//! Required items per standard setter: which items CoC, SEER, NPCR and CCCR require to be
//! coded, by diagnosis year and class of case.
//!
//! Two sources, both facts of the published standards:
//! * [`REQUIRED`], the project's own table of the general items, from the "Required Status"
//!   of NAACCR Standards Volume II (Data Standards and Data Dictionary), Chapter VIII
//!   "Required Status Table", as shown per item on apps.naaccr.org (`data-item-view`):
//!   `R` (required) in the NPCR / CoC / SEER / CCCR "Collect" columns. Items the standard
//!   requires only when they apply (treatment dates, post-therapy grades, flags of flat files)
//!   are not in the table: the treatment-versus-date edits check them instead.
//! * the `required_by` column of the EOD 2018 schema item table
//!   (`written/eod_public_3.3_schema_item_codes.tsv`): `COC_REQUIRED`, `SEER_REQUIRED`,
//!   `NPCR_REQUIRED`, `CCCR_REQUIRED`, `SEER_REQUIRED_WHEN_COC_ANALYTIC`, each with optional
//!   diagnosis years, for the site-specific data items and staging inputs of each schema.
//!
//! How the status applies (NAACCR Vol. II and the CoC STORE manual): CoC requires its items
//! for analytic cases (Class of Case 00-22); for a non-analytic case a hospital registry keeps
//! only the identifying core (rows marked `core`). Central registries (SEER, NPCR, CCCR)
//! require their items for every reportable case.

use serde::Serialize;

use super::record::{Rec, F};
use super::tables::{ReferenceTables, Slot};
use super::{fail_items, Verdict};

/// A standard setter whose required status the edits apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Setter {
    Coc,
    Seer,
    Npcr,
    Cccr,
}

impl Setter {
    pub const ALL: [Setter; 4] = [Setter::Coc, Setter::Seer, Setter::Npcr, Setter::Cccr];

    pub fn name(self) -> &'static str {
        match self {
            Setter::Coc => "CoC",
            Setter::Seer => "SEER",
            Setter::Npcr => "NPCR",
            Setter::Cccr => "CCCR",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Setter::Coc => COC,
            Setter::Seer => SEER,
            Setter::Npcr => NPCR,
            Setter::Cccr => CCCR,
        }
    }
}

const COC: u8 = 1;
const SEER: u8 = 2;
const NPCR: u8 = 4;
const CCCR: u8 = 8;
const US: u8 = COC | SEER | NPCR;
const ALL: u8 = US | CCCR;

/// One row of the required status table.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    pub item: F,
    pub number: u16,
    /// Setters whose "Collect" column says `R`, one bit each.
    setters: u8,
    /// First and last diagnosis years the requirement applies to (inclusive).
    pub from: u16,
    pub to: u16,
    /// Still required by CoC for a non-analytic case (the identifying core).
    pub core: bool,
    /// Where the row was checked against a published table ([`SOURCES`]); `None` when it is
    /// still to be cross-checked against the NAACCR v26 Required Status Table.
    pub confirmed: Option<Confirmed>,
}

/// A published table a row of [`REQUIRED`] was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The item's page of the NAACCR Data Standards and Data Dictionary (apps.naaccr.org
    /// `data-item-view`), version given: all four "Collect" columns.
    ItemPage(u8),
    /// CDC NPCR-CSS "Data Items by Diagnosis Year 1995-2020" (NPCR-CSS 2021 Data Submission,
    /// June 2021): the NPCR column only ("Yes" = required).
    NpcrItems2021,
}

impl Confirmed {
    pub fn describe(self) -> String {
        match self {
            Confirmed::ItemPage(v) => format!(
                "NAACCR Data Dictionary v{v} item page (apps.naaccr.org data-item-view): NPCR, CoC, SEER and CCCR Collect"
            ),
            Confirmed::NpcrItems2021 => "CDC NPCR-CSS Data Items by Diagnosis Year 1995-2020 (June 2021): NPCR column".to_string(),
        }
    }
}

impl Requirement {
    pub fn required_by(&self, s: Setter) -> bool {
        self.setters & s.bit() != 0
    }
}

const fn req(item: F, number: u16, setters: u8, from: u16, to: u16, core: bool) -> Requirement {
    Requirement {
        item,
        number,
        setters,
        from,
        to,
        core,
        confirmed: None,
    }
}

/// A row checked against a published table.
const fn src(r: Requirement, confirmed: Confirmed) -> Requirement {
    Requirement {
        confirmed: Some(confirmed),
        ..r
    }
}

const PAGE24: Confirmed = Confirmed::ItemPage(24);
const PAGE25: Confirmed = Confirmed::ItemPage(25);
const NPCR21: Confirmed = Confirmed::NpcrItems2021;

const ANY: u16 = 0;
const OPEN: u16 = 9999;

/// The general required items (NAACCR Vol. II Required Status Table, v26 items).
pub const REQUIRED: &[Requirement] = &[
    // patient
    src(req(F::DateOfBirth, 240, ALL, ANY, OPEN, true), NPCR21),
    src(req(F::Sex, 225, ALL, ANY, OPEN, true), NPCR21),
    src(req(F::Race1, 160, US, ANY, OPEN, false), NPCR21),
    src(req(F::SpanishHispanic, 190, US, ANY, OPEN, false), NPCR21),
    req(F::DateOfLastContact, 1750, ALL, ANY, OPEN, false),
    req(F::VitalStatus, 1760, ALL, ANY, OPEN, false),
    req(F::CauseOfDeath, 1910, SEER | NPCR, ANY, OPEN, false),
    // cancer identification and case administration
    src(req(F::Age, 230, ALL, ANY, OPEN, true), NPCR21),
    src(
        req(F::SeqCentral, 380, SEER | NPCR | CCCR, ANY, OPEN, false),
        NPCR21,
    ),
    src(req(F::DateOfDiagnosis, 390, ALL, ANY, OPEN, true), PAGE24),
    src(req(F::PrimarySite, 400, ALL, ANY, OPEN, true), NPCR21),
    src(req(F::Laterality, 410, ALL, ANY, OPEN, true), NPCR21),
    src(req(F::Grade, 440, ALL, ANY, 2017, false), NPCR21),
    src(req(F::DxConf, 490, ALL, ANY, OPEN, true), NPCR21),
    src(req(F::ReportingSource, 500, ALL, ANY, OPEN, true), NPCR21),
    src(req(F::Histology, 522, ALL, ANY, OPEN, true), NPCR21),
    src(req(F::Behavior, 523, ALL, ANY, OPEN, true), NPCR21),
    req(F::ReportingFacility, 540, COC | NPCR, ANY, OPEN, true),
    req(F::AccessionHosp, 550, COC, ANY, OPEN, true),
    req(F::SeqHosp, 560, COC, ANY, OPEN, true),
    req(F::DateOf1stContact, 580, COC | NPCR, ANY, OPEN, true),
    src(
        req(F::ClassOfCase, 610, COC | SEER | NPCR, ANY, OPEN, true),
        PAGE24,
    ),
    // stage (2018+ schema-based items; SSDIs and grades come from the schema table)
    req(F::SchemaId, 3800, US, 2018, OPEN, false),
    req(F::Ss2018, 764, US, 2018, OPEN, false),
    req(F::EodPrimaryTumor, 772, US, 2018, OPEN, false),
    req(F::EodRegionalNodes, 774, US, 2018, OPEN, false),
    req(F::EodMets, 776, US, 2018, OPEN, false),
    req(F::TumorSizeClinical, 752, COC, 2016, OPEN, false),
    req(F::TumorSizePathologic, 754, COC, 2016, OPEN, false),
    req(
        F::TumorSizeSummary,
        756,
        SEER | NPCR | COC,
        2016,
        OPEN,
        false,
    ),
    req(F::NodesPositive, 820, US, 2004, OPEN, false),
    req(F::NodesExamined, 830, US, 2004, OPEN, false),
    // first course of treatment
    req(F::SurgPrimSite, 1290, US, 2003, 2022, false),
    req(F::SurgPrimSite2023, 1291, US, 2023, OPEN, false),
    req(F::ScopeRegLnSur, 1292, US, 2003, OPEN, false),
    req(F::SurgOthRegDis, 1294, US, 2003, OPEN, false),
    req(F::ReasonNoSurgery, 1340, US, ANY, OPEN, false),
    req(F::SummRadiation, 1360, SEER | NPCR, ANY, OPEN, false),
    src(req(F::SurgRadSeq, 1380, US, ANY, OPEN, false), PAGE25),
    req(F::SummChemo, 1390, US, ANY, OPEN, false),
    req(F::SummHormone, 1400, US, ANY, OPEN, false),
    req(F::SummBrm, 1410, US, ANY, OPEN, false),
    req(F::SummOther, 1420, US, ANY, OPEN, false),
    req(F::ReasonNoRadiation, 1430, COC, ANY, OPEN, false),
    req(F::Phase1Modality, 1506, COC, 2018, OPEN, false),
    req(F::SystemicSurSeq, 1639, US, 2006, OPEN, false),
    req(F::SummTransplntEndocr, 3250, US, 2003, OPEN, false),
];

/// The items of [`REQUIRED`] as edit items.
pub const REQUIRED_FIELDS: &[F] = &[
    F::DateOfBirth,
    F::Sex,
    F::Race1,
    F::SpanishHispanic,
    F::DateOfLastContact,
    F::VitalStatus,
    F::CauseOfDeath,
    F::Age,
    F::SeqCentral,
    F::DateOfDiagnosis,
    F::PrimarySite,
    F::Laterality,
    F::Grade,
    F::DxConf,
    F::ReportingSource,
    F::Histology,
    F::Behavior,
    F::ReportingFacility,
    F::AccessionHosp,
    F::SeqHosp,
    F::DateOf1stContact,
    F::ClassOfCase,
    F::SchemaId,
    F::Ss2018,
    F::EodPrimaryTumor,
    F::EodRegionalNodes,
    F::EodMets,
    F::TumorSizeClinical,
    F::TumorSizePathologic,
    F::TumorSizeSummary,
    F::NodesPositive,
    F::NodesExamined,
    F::SurgPrimSite,
    F::SurgPrimSite2023,
    F::ScopeRegLnSur,
    F::SurgOthRegDis,
    F::ReasonNoSurgery,
    F::SummRadiation,
    F::SurgRadSeq,
    F::SummChemo,
    F::SummHormone,
    F::SummBrm,
    F::SummOther,
    F::ReasonNoRadiation,
    F::Phase1Modality,
    F::SystemicSurSeq,
    F::SummTransplntEndocr,
];

/// A schema-specific requirement from the EOD table's `required_by` column.
#[derive(Debug, Clone)]
pub struct SchemaRequirement {
    pub setter: Setter,
    pub from: u16,
    pub to: u16,
    /// SEER_REQUIRED_WHEN_COC_ANALYTIC: only for analytic cases (Class of Case 00-22).
    pub analytic_only: bool,
}

/// `COC_REQUIRED`, `SEER_REQUIRED:2021-`, `SEER_REQUIRED_WHEN_COC_ANALYTIC:2018-2023`, ...
pub fn parse_required_flag(flag: &str) -> Option<SchemaRequirement> {
    let flag = flag.trim();
    let (name, years) = flag.split_once(':').unwrap_or((flag, ""));
    let (setter, analytic_only) = match name {
        "COC_REQUIRED" => (Setter::Coc, false),
        "SEER_REQUIRED" => (Setter::Seer, false),
        "NPCR_REQUIRED" => (Setter::Npcr, false),
        "CCCR_REQUIRED" => (Setter::Cccr, false),
        "SEER_REQUIRED_WHEN_COC_ANALYTIC" => (Setter::Seer, true),
        _ => return None,
    };
    let (from, to) = if years.is_empty() {
        (2018, OPEN)
    } else {
        let (f, t) = years.split_once('-')?;
        (f.parse().ok()?, t.parse().unwrap_or(OPEN))
    };
    Some(SchemaRequirement {
        setter,
        from,
        to,
        analytic_only,
    })
}

/// Class of Case 00-22: the facility diagnosed and/or gave first-course treatment. A blank
/// class counts as analytic (the strictest reading) so that nothing escapes the check.
pub fn analytic(r: &Rec<'_>) -> bool {
    match r.num(F::ClassOfCase, 2) {
        Some(c) => c <= 22,
        None => true,
    }
}

/// Every item the setter requires that the tumor leaves blank, in table order.
pub fn missing(r: &Rec<'_>, t: &ReferenceTables, setter: Setter) -> Vec<String> {
    let mut out = Vec::new();
    let year = r.year;
    let in_years = |from: u16, to: u16| match year {
        Some(y) => (from..=to).contains(&y),
        // without a diagnosis year only the rows for every year apply
        None => from == ANY && to == OPEN,
    };
    let hospital_core_only = setter == Setter::Coc && !analytic(r);
    for q in REQUIRED {
        if !q.required_by(setter) || !in_years(q.from, q.to) {
            continue;
        }
        if hospital_core_only && !q.core {
            continue;
        }
        if r.blank(q.item) {
            out.push(q.item.id().to_string());
        }
    }
    if hospital_core_only {
        return out;
    }
    let Some(schema) = r.schema.and_then(|i| t.schema(i)) else {
        return out;
    };
    let is_analytic = analytic(r);
    for (slot, req, id) in &schema.required_by_setter {
        if req.setter != setter || !in_years(req.from, req.to) {
            continue;
        }
        if req.analytic_only && !is_analytic {
            continue;
        }
        let blank = match slot {
            Slot::Field(f) => r.blank(*f),
            Slot::Ssdi(_) => !r.filled(*slot),
        };
        if blank && !out.iter().any(|o| o == id) {
            out.push(id.clone());
        }
    }
    out
}

fn check(r: &Rec<'_>, t: &ReferenceTables, setter: Setter) -> Verdict {
    let items = missing(r, t, setter);
    if items.is_empty() {
        return None;
    }
    fail_items(
        format!(
            "{} item(s) required by {} are blank: {}",
            items.len(),
            setter.name(),
            items.join(", ")
        ),
        items,
    )
}

pub fn coc(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    check(r, t, Setter::Coc)
}

pub fn seer(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    check(r, t, Setter::Seer)
}

pub fn npcr(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    check(r, t, Setter::Npcr)
}

pub fn cccr(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    check(r, t, Setter::Cccr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_with_years() {
        let r = parse_required_flag("SEER_REQUIRED_WHEN_COC_ANALYTIC:2018-2023").unwrap();
        assert_eq!(
            (r.setter, r.from, r.to, r.analytic_only),
            (Setter::Seer, 2018, 2023, true)
        );
        let r = parse_required_flag("COC_REQUIRED:2021-").unwrap();
        assert_eq!((r.setter, r.from, r.to), (Setter::Coc, 2021, OPEN));
        let r = parse_required_flag("NPCR_REQUIRED").unwrap();
        assert_eq!((r.setter, r.from, r.to), (Setter::Npcr, 2018, OPEN));
        assert!(parse_required_flag("SSDI:2021-").is_none());
    }

    /// The rows marked confirmed say what the named table says: the NPCR list marks each of
    /// its rows required by NPCR; the item pages give all four columns (390: R R R R;
    /// 610: R R R and "." for CCCR; 1380: R for NPCR, CoC and SEER).
    #[test]
    fn confirmed_rows_match_their_source() {
        let row = |n: u16| REQUIRED.iter().find(|q| q.number == n).unwrap();
        let setters = |n: u16| {
            Setter::ALL
                .iter()
                .filter(|s| row(n).required_by(**s))
                .copied()
                .collect::<Vec<_>>()
        };
        for q in REQUIRED {
            if q.confirmed == Some(Confirmed::NpcrItems2021) {
                assert!(q.required_by(Setter::Npcr), "{}", q.number);
            }
        }
        assert_eq!(setters(390), Setter::ALL.to_vec());
        assert_eq!(setters(610), vec![Setter::Coc, Setter::Seer, Setter::Npcr]);
        assert!(setters(1380).starts_with(&[Setter::Coc, Setter::Seer, Setter::Npcr]));
        let confirmed = REQUIRED.iter().filter(|q| q.confirmed.is_some()).count();
        assert_eq!(confirmed, 16);
    }

    #[test]
    fn table_and_field_list_agree() {
        assert_eq!(REQUIRED.len(), REQUIRED_FIELDS.len());
        for (q, f) in REQUIRED.iter().zip(REQUIRED_FIELDS) {
            assert_eq!(q.item, *f);
        }
    }
}
