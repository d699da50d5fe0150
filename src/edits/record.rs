//! A flat, read-only view of one tumor together with its patient, built once per tumor so that
//! the edits index an array instead of searching the item maps again and again.

use super::tables::{ReferenceTables, Slot, MAX_SSDI};
use crate::naaccr::{Items, PartialDate};

macro_rules! fields {
    ($($variant:ident => $id:literal),* $(,)?) => {
        /// The items the edits read, by NAACCR XML id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum F { $($variant),* }

        /// NAACCR XML ids, in the order of [`F`].
        pub const FIELD_IDS: &[&str] = &[$($id),*];

        pub(crate) const ALL_FIELDS: &[F] = &[$(F::$variant),*];
    };
}

fields! {
    // patient
    DateOfBirth => "dateOfBirth",
    DateOfBirthFlag => "dateOfBirthFlag",
    Sex => "sexAssignedAtBirth",
    Race1 => "race1",
    SpanishHispanic => "spanishHispanicOrigin",
    DateOfLastContact => "dateOfLastContact",
    DateOfLastContactFlag => "dateOfLastContactFlag",
    VitalStatus => "vitalStatus",
    CauseOfDeath => "causeOfDeath",
    // tumor: site, morphology, sequence
    PrimarySite => "primarySite",
    Histology => "histologicTypeIcdO3",
    Behavior => "behaviorCodeIcdO3",
    Laterality => "laterality",
    Grade => "grade",
    DxConf => "diagnosticConfirmation",
    Age => "ageAtDiagnosis",
    SeqCentral => "sequenceNumberCentral",
    SeqHosp => "sequenceNumberHospital",
    ClassOfCase => "classOfCase",
    ReportingSource => "typeOfReportingSource",
    AccessionHosp => "accessionNumberHosp",
    ReportingFacility => "reportingFacility",
    // dates
    DateOfDiagnosis => "dateOfDiagnosis",
    DateOfDiagnosisFlag => "dateOfDiagnosisFlag",
    DateOf1stContact => "dateOf1stContact",
    DateOf1stContactFlag => "dateOf1stContactFlag",
    RxDateSurgery => "rxDateSurgery",
    RxDateSurgeryFlag => "rxDateSurgeryFlag",
    RxDateRadiation => "rxDateRadiation",
    RxDateRadiationFlag => "rxDateRadiationFlag",
    RxDateChemo => "rxDateChemo",
    RxDateChemoFlag => "rxDateChemoFlag",
    RxDateHormone => "rxDateHormone",
    RxDateHormoneFlag => "rxDateHormoneFlag",
    RxDateBrm => "rxDateBrm",
    RxDateBrmFlag => "rxDateBrmFlag",
    RxDateOther => "rxDateOther",
    RxDateOtherFlag => "rxDateOtherFlag",
    RxDateSystemic => "rxDateSystemic",
    RxDateSystemicFlag => "rxDateSystemicFlag",
    Date1stCrsRxCoc => "date1stCrsRxCoc",
    Date1stCrsRxCocFlag => "date1stCrsRxCocFlag",
    // 2018+ staging and grade
    SchemaId => "schemaId",
    SchemaDisc1 => "schemaDiscriminator1",
    SchemaDisc2 => "schemaDiscriminator2",
    GradeClinical => "gradeClinical",
    GradePathological => "gradePathological",
    GradePostTherapyClin => "gradePostTherapyClin",
    GradePostTherapyPath => "gradePostTherapy",
    EodPrimaryTumor => "eodPrimaryTumor",
    EodRegionalNodes => "eodRegionalNodes",
    EodMets => "eodMets",
    Ss2018 => "summaryStage2018",
    DerivedSs2018 => "derivedSummaryStage2018",
    DerivedGrade2018 => "derivedSummaryGrade2018",
    NodesPositive => "regionalNodesPositive",
    NodesExamined => "regionalNodesExamined",
    TumorSizeClinical => "tumorSizeClinical",
    TumorSizePathologic => "tumorSizePathologic",
    TumorSizeSummary => "tumorSizeSummary",
    // treatment
    SurgPrimSite => "rxSummSurgPrimSite",
    SurgPrimSite2023 => "rxSummSurgPrimSite2023",
    ReasonNoSurgery => "reasonForNoSurgery",
    ScopeRegLnSur => "rxSummScopeRegLnSur",
    SurgOthRegDis => "rxSummSurgOthRegDis",
    ReasonNoRadiation => "reasonForNoRadiation",
    Phase1Modality => "phase1RadiationTreatmentModality",
    Phase2Modality => "phase2RadiationTreatmentModality",
    Phase3Modality => "phase3RadiationTreatmentModality",
    SummTransplntEndocr => "rxSummTransplntEndocr",
    SurgRadSeq => "rxSummSurgRadSeq",
    SystemicSurSeq => "rxSummSystemicSurSeq",
    SummRadiation => "rxSummRadiation",
    SummChemo => "rxSummChemo",
    SummHormone => "rxSummHormone",
    SummBrm => "rxSummBrm",
    SummOther => "rxSummOther",
    HospSurgPrimSite => "rxHospSurgPrimSite",
    HospSurgPrimSite2023 => "rxHospSurgPrimSite2023",
    HospRadiation => "rxHospRadiation",
    HospChemo => "rxHospChemo",
    HospHormone => "rxHospHormone",
    HospBrm => "rxHospBrm",
    HospOther => "rxHospOther",
    // over-ride flags
    OvrAcsnClassSeq => "overRideAcsnClassSeq",
    OvrAgeSiteMorph => "overRideAgeSiteMorph",
    OvrCocSiteType => "overRideCocSiteType",
    OvrHistology => "overRideHistology",
    OvrHospseqDxconf => "overRideHospseqDxconf",
    OvrHospseqSite => "overRideHospseqSite",
    OvrIllDefineSite => "overRideIllDefineSite",
    OvrLeukLymphoma => "overRideLeukLymphoma",
    OvrNameSex => "overRideNameSex",
    OvrReportSource => "overRideReportSource",
    OvrSeqnoDxconf => "overRideSeqnoDxconf",
    OvrSiteBehavior => "overRideSiteBehavior",
    OvrSiteEodDxDt => "overRideSiteEodDxDt",
    OvrSiteLatEod => "overRideSiteLatEod",
    OvrSiteLatMorph => "overRideSiteLatMorph",
    OvrSiteLatSeqno => "overRideSiteLatSeqno",
    OvrSiteTnmStggrp => "overRideSiteTnmStggrp",
    OvrSiteType => "overRideSiteType",
    OvrSsNodespos => "overRideSsNodespos",
    OvrSsTnmM => "overRideSsTnmM",
    OvrSsTnmN => "overRideSsTnmN",
    OvrSurgDxconf => "overRideSurgDxconf",
    OvrTnm3 => "overRideTnm3",
    OvrTnmStage => "overRideTnmStage",
    OvrTnmTis => "overRideTnmTis",
}

impl F {
    /// The NAACCR XML id of the item.
    pub fn id(self) -> &'static str {
        FIELD_IDS.get(self as usize).copied().unwrap_or("")
    }
}

const N_FIELDS: usize = FIELD_IDS.len();

/// One tumor with its patient's items. Values are trimmed; a missing item reads as "".
#[derive(Debug, Clone)]
pub struct Rec<'a> {
    vals: [Option<&'a str>; N_FIELDS],
    /// The tumor's non-blank site-specific data items: (dense SSDI index, value).
    pub ssdi: Vec<(u16, &'a str)>,
    ssdi_bits: [u64; MAX_SSDI / 64],
    /// Year of Date of Diagnosis when it parses.
    pub year: Option<u16>,
    /// Date of Diagnosis when it parses.
    pub dx: Option<PartialDate>,
    /// Topography as a number (C509 -> 509) when the code is well formed.
    pub site: Option<u16>,
    pub hist: Option<u16>,
    pub beh: Option<u8>,
    /// Index of the coded Schema ID in the loaded EOD tables.
    pub schema: Option<usize>,
}

impl<'a> Rec<'a> {
    /// Builds the view with one hash lookup per item; patient items are read first so a value
    /// repeated on the tumor (flat files carry patient items on every record) wins only when
    /// it is not blank.
    pub fn new(patient: &'a Items, tumor: &'a Items, tables: &ReferenceTables) -> Rec<'a> {
        let mut rec = Rec {
            vals: [None; N_FIELDS],
            ssdi: Vec::new(),
            ssdi_bits: [0; MAX_SSDI / 64],
            year: None,
            dx: None,
            site: None,
            hist: None,
            beh: None,
            schema: None,
        };
        for (k, v) in patient {
            if let Some(Slot::Field(f)) = tables.slot(k) {
                if let Some(slot) = rec.vals.get_mut(f as usize) {
                    *slot = Some(trim(v));
                }
            }
        }
        for (k, v) in tumor {
            let v = trim(v);
            match tables.slot(k) {
                Some(Slot::Field(f)) => {
                    if let Some(slot) = rec.vals.get_mut(f as usize) {
                        // a blank repeat never hides the patient's value, but marks presence
                        if !(v.is_empty() && slot.is_some()) {
                            *slot = Some(v);
                        }
                    }
                }
                Some(Slot::Ssdi(i)) if !v.is_empty() => {
                    if rec.ssdi.capacity() == 0 {
                        // one allocation per tumor that has SSDIs, not a growth series
                        rec.ssdi.reserve(32);
                    }
                    rec.ssdi.push((i, v));
                    if let Some(w) = rec.ssdi_bits.get_mut(usize::from(i) / 64) {
                        *w |= 1 << (i % 64);
                    }
                }
                _ => {}
            }
        }
        rec.dx = PartialDate::parse(rec.get(F::DateOfDiagnosis)).ok();
        rec.year = rec.dx.map(|d| d.year);
        rec.site = parse_site(rec.get(F::PrimarySite));
        rec.hist = digits(rec.get(F::Histology), 4).map(|h| h as u16);
        rec.beh = digits(rec.get(F::Behavior), 1).map(|b| b as u8);
        rec.schema = tables.schema_by_id(rec.get(F::SchemaId));
        rec
    }

    /// Whether the tumor has a non-blank value for a slot.
    pub fn filled(&self, slot: Slot) -> bool {
        match slot {
            Slot::Field(f) => !self.blank(f),
            Slot::Ssdi(i) => self
                .ssdi_bits
                .get(usize::from(i) / 64)
                .is_some_and(|w| w & (1 << (i % 64)) != 0),
        }
    }

    /// The value of a schema-table item read through an SSDI slot, "" when blank or absent.
    pub fn ssdi_value(&self, index: u16) -> &'a str {
        if !self.filled(Slot::Ssdi(index)) {
            return "";
        }
        self.ssdi
            .iter()
            .find(|(i, _)| *i == index)
            .map_or("", |(_, v)| v)
    }

    /// The value of any item the view holds, by slot.
    pub fn slot_value(&self, slot: Slot) -> &'a str {
        match slot {
            Slot::Field(f) => self.get(f),
            Slot::Ssdi(i) => self.ssdi_value(i),
        }
    }

    /// The trimmed value, "" when absent.
    #[inline]
    pub fn get(&self, f: F) -> &'a str {
        self.vals.get(f as usize).copied().flatten().unwrap_or("")
    }

    /// Whether the record carries the item at all (even blank).
    pub fn has(&self, f: F) -> bool {
        self.vals.get(f as usize).is_some_and(Option::is_some)
    }

    #[inline]
    pub fn blank(&self, f: F) -> bool {
        self.get(f).is_empty()
    }

    /// The value as a number when it is exactly `len` digits.
    #[inline]
    pub fn num(&self, f: F, len: usize) -> Option<u32> {
        digits(self.get(f), len)
    }

    pub fn date(&self, f: F) -> Option<PartialDate> {
        PartialDate::parse(self.get(f)).ok()
    }
}

/// `str::trim` with a fast path: stored codes rarely carry spaces.
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b))
            if !a.is_ascii_whitespace()
                && !b.is_ascii_whitespace()
                && a.is_ascii()
                && b.is_ascii() =>
        {
            s
        }
        _ => s.trim(),
    }
}

/// `s` as a number when it is exactly `len` ASCII digits.
#[inline]
pub fn digits(s: &str, len: usize) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() != len || len > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// `C509` -> 509.
#[inline]
pub fn parse_site(s: &str) -> Option<u16> {
    let rest = s.strip_prefix('C')?;
    digits(rest, 3).map(|n| n as u16)
}
