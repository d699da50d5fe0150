//! Complete abstracts of the five commonest sites — every item CoC, SEER and NPCR require —
//! pass every edit of every set clean (issue 17: E12 failed RX Summ--Surg/Rad Seq as an SSDI
//! on four of these five). Each finding of the issue then fails the right edit with every
//! item named.

use cancer_registry::edits::{self, sets, EditFailure};
use cancer_registry::naaccr::Items;

use super::{items, tables};

const PATIENT: &[(&str, &str)] = &[
    ("dateOfBirth", "19600412"),
    ("sexAssignedAtBirth", "2"),
    ("race1", "01"),
    ("spanishHispanicOrigin", "0"),
    ("vitalStatus", "1"),
    ("dateOfLastContact", "20250301"),
    ("causeOfDeath", "0000"),
];

const MALE: &[(&str, &str)] = &[("sexAssignedAtBirth", "1")];

/// Items every case carries: case administration and the first course of treatment.
const COMMON: &[(&str, &str)] = &[
    ("reportingFacility", "0000012345"),
    ("sequenceNumberHospital", "00"),
    ("sequenceNumberCentral", "00"),
    ("classOfCase", "14"),
    ("typeOfReportingSource", "1"),
    ("diagnosticConfirmation", "1"),
    ("behaviorCodeIcdO3", "3"),
    ("ageAtDiagnosis", "063"),
    ("reasonForNoSurgery", "0"),
    ("rxSummScopeRegLnSur", "0"),
    ("rxSummSurgOthRegDis", "0"),
    ("rxSummRadiation", "0"),
    ("phase1RadiationTreatmentModality", "00"),
    ("reasonForNoRadiation", "1"),
    ("rxSummChemo", "00"),
    ("rxSummHormone", "00"),
    ("rxSummBrm", "00"),
    ("rxSummOther", "0"),
    ("rxSummTransplntEndocr", "00"),
    ("rxSummSurgRadSeq", "0"),
    ("rxSummSystemicSurSeq", "0"),
    ("neoadjuvantTherapy", "0"),
    ("neoadjuvTherapyClinicalResponse", "0"),
    ("neoadjuvTherapyTreatmentEffect", "0"),
];

const BREAST_2024: &[(&str, &str)] = &[
    ("primarySite", "C504"),
    ("histologicTypeIcdO3", "8500"),
    ("laterality", "1"),
    ("dateOfDiagnosis", "20240315"),
    ("dateOf1stContact", "20240315"),
    ("accessionNumberHosp", "202400011"),
    ("schemaId", "00480"),
    ("gradeClinical", "2"),
    ("gradePathological", "2"),
    ("eodPrimaryTumor", "100"),
    ("eodRegionalNodes", "000"),
    ("eodMets", "00"),
    ("summaryStage2018", "1"),
    ("tumorSizeClinical", "014"),
    ("tumorSizePathologic", "015"),
    ("tumorSizeSummary", "015"),
    ("regionalNodesPositive", "00"),
    ("regionalNodesExamined", "02"),
    ("rxSummSurgPrimSite2023", "B200"),
    ("rxSummScopeRegLnSur", "2"),
    ("rxDateSurgery", "20240402"),
    ("rxSummHormone", "01"),
    ("rxDateHormone", "20240510"),
    ("rxDateSystemic", "20240510"),
    ("rxSummSystemicSurSeq", "3"),
    ("lnPositiveAxillaryLevel1To2", "00"),
    ("estrogenReceptorSummary", "1"),
    ("estrogenReceptorPercntPosOrRange", "095"),
    ("progesteroneRecepSummary", "1"),
    ("progesteroneRecepPrcntPosOrRange", "R80"),
    ("her2OverallSummary", "0"),
    ("ki67", "12.0"),
    ("oncotypeDxRecurrenceScoreInvasiv", "015"),
    ("oncotypeDxRiskLevelInvasive", "0"),
    ("oncotypeDxRecurrenceScoreDcis", "XX8"),
    ("oncotypeDxRiskLevelDcis", "8"),
    ("multigeneSignatureMethod", "8"),
    ("multigeneSignatureResults", "X8"),
    ("responseToNeoadjuvantTherapy", "8"),
];

const PROSTATE_2023: &[(&str, &str)] = &[
    ("primarySite", "C619"),
    ("histologicTypeIcdO3", "8140"),
    ("laterality", "0"),
    ("dateOfDiagnosis", "20230920"),
    ("dateOf1stContact", "20230920"),
    ("ageAtDiagnosis", "063"),
    ("accessionNumberHosp", "202300042"),
    ("schemaId", "00580"),
    ("gradeClinical", "2"),
    ("gradePathological", "9"),
    ("eodPrimaryTumor", "100"),
    ("eodRegionalNodes", "000"),
    ("eodMets", "00"),
    ("summaryStage2018", "1"),
    ("tumorSizeClinical", "999"),
    ("tumorSizePathologic", "999"),
    ("tumorSizeSummary", "999"),
    ("regionalNodesPositive", "98"),
    ("regionalNodesExamined", "00"),
    ("rxSummSurgPrimSite2023", "A000"),
    ("reasonForNoSurgery", "2"),
    ("rxSummRadiation", "1"),
    ("phase1RadiationTreatmentModality", "02"),
    ("reasonForNoRadiation", "0"),
    ("rxDateRadiation", "20231101"),
    ("psaLabValue", "6.2"),
    ("numberOfCoresPositive", "03"),
    ("numberOfCoresExamined", "12"),
    ("gleasonPatternsClinical", "34"),
    ("gleasonScoreClinical", "07"),
    ("gleasonPatternsPathological", "X9"),
    ("gleasonScorePathological", "X9"),
    ("gleasonTertiaryPattern", "X8"),
];

const LUNG_2022: &[(&str, &str)] = &[
    ("primarySite", "C341"),
    ("histologicTypeIcdO3", "8140"),
    ("laterality", "1"),
    ("dateOfDiagnosis", "20220615"),
    ("dateOf1stContact", "20220615"),
    ("ageAtDiagnosis", "062"),
    ("accessionNumberHosp", "202200123"),
    ("schemaId", "00360"),
    ("gradeClinical", "2"),
    ("gradePathological", "2"),
    ("eodPrimaryTumor", "100"),
    ("eodRegionalNodes", "000"),
    ("eodMets", "00"),
    ("summaryStage2018", "1"),
    ("tumorSizeClinical", "025"),
    ("tumorSizePathologic", "022"),
    ("tumorSizeSummary", "022"),
    ("regionalNodesPositive", "00"),
    ("regionalNodesExamined", "05"),
    ("rxSummSurgPrimSite", "33"),
    ("rxSummScopeRegLnSur", "5"),
    ("rxDateSurgery", "20220701"),
    ("separateTumorNodules", "0"),
    ("visceralParietalPleuralInvasion", "0"),
    ("alkRearrangement", "0"),
    ("egfrMutationalAnalysis", "0"),
];

const COLON_2021: &[(&str, &str)] = &[
    ("primarySite", "C187"),
    ("histologicTypeIcdO3", "8140"),
    ("laterality", "0"),
    ("dateOfDiagnosis", "20210204"),
    ("dateOf1stContact", "20210204"),
    ("ageAtDiagnosis", "060"),
    ("accessionNumberHosp", "202100077"),
    ("schemaId", "00200"),
    ("gradeClinical", "2"),
    ("gradePathological", "2"),
    ("eodPrimaryTumor", "300"),
    ("eodRegionalNodes", "300"),
    ("eodMets", "00"),
    ("summaryStage2018", "3"),
    ("tumorSizeClinical", "040"),
    ("tumorSizePathologic", "045"),
    ("tumorSizeSummary", "045"),
    ("regionalNodesPositive", "02"),
    ("regionalNodesExamined", "18"),
    ("rxSummSurgPrimSite", "40"),
    ("rxSummScopeRegLnSur", "5"),
    ("rxDateSurgery", "20210220"),
    ("rxSummChemo", "03"),
    ("rxDateChemo", "20210325"),
    ("rxDateSystemic", "20210325"),
    ("rxSummSystemicSurSeq", "3"),
    ("ceaPretreatmentLabValue", "4.1"),
    ("ceaPretreatmentInterpretation", "0"),
    ("tumorDeposits", "00"),
    ("perineuralInvasion", "0"),
    ("circumferentialResectionMargin", "XX.8"),
    ("kras", "0"),
    ("microsatelliteInstability", "0"),
    ("brafMutationalAnalysis", "0"),
    ("nrasMutationalAnalysis", "0"),
];

const MELANOMA_2024: &[(&str, &str)] = &[
    ("primarySite", "C445"),
    ("histologicTypeIcdO3", "8720"),
    ("laterality", "2"),
    ("dateOfDiagnosis", "20240808"),
    ("dateOf1stContact", "20240808"),
    ("ageAtDiagnosis", "064"),
    ("accessionNumberHosp", "202400311"),
    ("schemaId", "00470"),
    ("gradeClinical", "9"),
    ("gradePathological", "9"),
    ("eodPrimaryTumor", "200"),
    ("eodRegionalNodes", "000"),
    ("eodMets", "00"),
    ("summaryStage2018", "1"),
    ("tumorSizeClinical", "999"),
    ("tumorSizePathologic", "999"),
    ("tumorSizeSummary", "999"),
    ("regionalNodesPositive", "98"),
    ("regionalNodesExamined", "00"),
    ("rxSummSurgPrimSite2023", "B300"),
    ("rxDateSurgery", "20240820"),
    ("breslowTumorThickness", "0.6"),
    ("ulceration", "0"),
    ("mitoticRateMelanoma", "01"),
    ("ldhPretreatmentLabValue", "XXXXX.8"),
    ("ldhUpperLimitsOfNormal", "XX8"),
    ("ldhPretreatmentLevel", "9"),
    ("clinicalMarginWidth", "XX.8"),
];

fn merge(parts: &[&[(&str, &str)]]) -> Items {
    let mut m = Items::new();
    for part in parts {
        for (k, v) in *part {
            m.insert(k.to_string(), v.to_string());
        }
    }
    m
}

/// (site name, patient, tumor) of the five complete cases.
fn cases() -> Vec<(&'static str, Items, Items)> {
    vec![
        ("breast", items(PATIENT), merge(&[COMMON, BREAST_2024])),
        (
            "prostate",
            merge(&[PATIENT, MALE]),
            merge(&[COMMON, PROSTATE_2023]),
        ),
        ("lung", items(PATIENT), merge(&[COMMON, LUNG_2022])),
        ("colon", items(PATIENT), merge(&[COMMON, COLON_2021])),
        ("melanoma", items(PATIENT), merge(&[COMMON, MELANOMA_2024])),
    ]
}

fn active(f: Vec<EditFailure>) -> Vec<EditFailure> {
    f.into_iter().filter(|f| !f.overridden).collect()
}

#[test]
fn five_complete_cases_pass_every_set_clean() {
    let Some(t) = tables() else { return };
    for (site, patient, tumor) in cases() {
        for set in ["coc", "seer", "npcr", "state-default"] {
            let set = sets::by_name(set).unwrap();
            let f = active(edits::run_set(
                set,
                &patient,
                std::slice::from_ref(&tumor),
                t,
            ));
            assert!(f.is_empty(), "{site} under {}: {f:#?}", set.name);
        }
        // the full catalog too, but for the Canadian required items these US cases do not
        // carry (none: CCCR requires a subset)
        let f = active(edits::run_catalog(
            &patient,
            std::slice::from_ref(&tumor),
            t,
        ));
        assert!(f.is_empty(), "{site} under the full catalog: {f:#?}");
    }
}

/// The failure of `edit` on a one-tumor patient under the full catalog.
fn failure_of(edit: &str, patient: &Items, tumor: &Items) -> Option<EditFailure> {
    let t = tables()?;
    let f = active(edits::run_catalog(patient, std::slice::from_ref(tumor), t));
    f.into_iter().find(|f| f.edit_id == edit)
}

fn breast() -> (Items, Items) {
    (items(PATIENT), merge(&[COMMON, BREAST_2024]))
}

#[test]
fn treatment_sequence_items_are_not_ssdis() {
    let Some(t) = tables() else { return };
    for id in [
        "rxSummSurgRadSeq",
        "rxSummSystemicSurSeq",
        "tumorSizeSummary",
        "neoadjuvantTherapy",
    ] {
        for i in 0..t.ssdi_items().len() {
            let (name, _) = &t.ssdi_items()[i];
            if name == id {
                assert!(!t.is_site_specific(i as u16), "{id} is not an SSDI");
            }
        }
    }
    // coded on every schema, never "must be blank"
    for (site, patient, mut tumor) in cases() {
        tumor.insert("rxSummSurgRadSeq".into(), "3".into());
        tumor.insert("rxSummSystemicSurSeq".into(), "2".into());
        assert!(failure_of("E12", &patient, &tumor).is_none(), "{site}");
    }
    // a true SSDI of another schema still fails E12, naming it
    let (p, mut tumor) = breast();
    tumor.insert("gleasonScoreClinical".into(), "07".into());
    let f = failure_of("E12", &p, &tumor).expect("E12 fails");
    assert!(
        f.items.contains(&"gleasonScoreClinical".to_string()),
        "{f:?}"
    );
}

#[test]
fn required_items_list_every_missing_item_in_one_failure() {
    let (p, mut tumor) = breast();
    for id in [
        "classOfCase",
        "dateOf1stContact",
        "accessionNumberHosp",
        "sequenceNumberHospital",
        "diagnosticConfirmation",
        "typeOfReportingSource",
        "ageAtDiagnosis",
    ] {
        tumor.remove(id);
    }
    let Some(t) = tables() else { return };
    let f = active(edits::run_set(
        sets::by_name("coc").unwrap(),
        &p,
        std::slice::from_ref(&tumor),
        t,
    ));
    let req: Vec<&EditFailure> = f.iter().filter(|f| f.edit_id == "RQCOC").collect();
    assert_eq!(req.len(), 1, "one failure per edit: {f:#?}");
    for id in [
        "classOfCase",
        "dateOf1stContact",
        "accessionNumberHosp",
        "sequenceNumberHospital",
        "diagnosticConfirmation",
        "typeOfReportingSource",
        "ageAtDiagnosis",
    ] {
        assert!(
            req[0].items.iter().any(|i| i == id),
            "{id} missing from {:?}",
            req[0].items
        );
    }
    // the SEER set names its own (sequenceNumberCentral is SEER's, not CoC's)
    let mut t2 = tumor.clone();
    t2.remove("sequenceNumberCentral");
    let f = failure_of("RQSEER", &p, &t2).expect("RQSEER fails");
    assert!(f.items.iter().any(|i| i == "sequenceNumberCentral"));
    assert!(
        !f.items.iter().any(|i| i == "accessionNumberHosp"),
        "{:?}",
        f.items
    );
}

#[test]
fn coc_requires_only_the_core_of_a_non_analytic_case() {
    let (p, mut tumor) = breast();
    tumor.insert("classOfCase".into(), "32".into());
    tumor.remove("rxSummChemo");
    tumor.remove("estrogenReceptorPercntPosOrRange");
    assert!(failure_of("RQCOC", &p, &tumor).is_none());
    tumor.remove("primarySite");
    let f = failure_of("RQCOC", &p, &tumor).expect("core item missing");
    assert_eq!(f.items, vec!["primarySite".to_string()]);
    // analytic: the treatment item and the schema's SSDI are required
    let (p, mut tumor) = breast();
    tumor.remove("rxSummChemo");
    tumor.remove("estrogenReceptorPercntPosOrRange");
    let f = failure_of("RQCOC", &p, &tumor).expect("fails");
    assert!(f.items.iter().any(|i| i == "rxSummChemo"));
    assert!(f
        .items
        .iter()
        .any(|i| i == "estrogenReceptorPercntPosOrRange"));
}

#[test]
fn surgery_item_follows_the_diagnosis_year() {
    let (p, mut tumor) = breast();
    tumor.remove("rxSummSurgPrimSite2023");
    tumor.insert("rxSummSurgPrimSite".into(), "22".into());
    let f = failure_of("F08", &p, &tumor).expect("F08 fails");
    assert!(f.items.iter().any(|i| i == "rxSummSurgPrimSite2023"));
    let f = failure_of("RQCOC", &p, &tumor).expect("RQCOC fails");
    assert!(
        f.items.iter().any(|i| i == "rxSummSurgPrimSite2023"),
        "{:?}",
        f.items
    );
    // a 2023+ code from another site's table fails F01
    let (p, mut tumor) = breast();
    tumor.insert("rxSummSurgPrimSite2023".into(), "A180".into());
    assert!(failure_of("F01", &p, &tumor).is_some());
}

#[test]
fn receptor_summary_against_percent() {
    let (p, mut tumor) = breast();
    tumor.insert("estrogenReceptorPercntPosOrRange".into(), "000".into());
    let f = failure_of("E17", &p, &tumor).expect("E17 fails");
    assert_eq!(
        f.items,
        vec![
            "estrogenReceptorSummary",
            "estrogenReceptorPercntPosOrRange"
        ]
    );
    tumor.insert("estrogenReceptorSummary".into(), "0".into());
    assert!(failure_of("E17", &p, &tumor).is_none());
    tumor.insert("estrogenReceptorPercntPosOrRange".into(), "R20".into());
    assert!(failure_of("E17", &p, &tumor).is_some());
    tumor.insert("estrogenReceptorPercntPosOrRange".into(), "XX9".into());
    assert!(failure_of("E17", &p, &tumor).is_none());
    let (p, mut tumor) = breast();
    tumor.insert("progesteroneRecepSummary".into(), "0".into());
    assert!(failure_of("E18", &p, &tumor).is_some());
}

#[test]
fn each_modality_against_its_date() {
    let (p, base) = breast();
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "F09",
            &[
                ("rxSummSurgPrimSite2023", "B000"),
                ("rxSummScopeRegLnSur", "0"),
            ],
        ),
        ("F10", &[("rxDateRadiation", "20240601")]),
        ("F10", &[("phase2RadiationTreatmentModality", "02")]),
        ("F11", &[("rxDateChemo", "20240601")]),
        ("F11", &[("rxSummChemo", "87"), ("rxDateChemo", "20240601")]),
        ("F12", &[("rxSummHormone", "00")]),
        ("F13", &[("rxDateBrm", "20240601")]),
        ("F14", &[("rxDateOther", "20240601")]),
        ("F15", &[("rxSummHormone", "00"), ("rxDateHormone", "")]),
    ];
    for (edit, mods) in cases {
        let mut t = base.clone();
        for (k, v) in *mods {
            if v.is_empty() {
                t.remove(*k);
            } else {
                t.insert(k.to_string(), v.to_string());
            }
        }
        let f = failure_of(edit, &p, &t);
        assert!(f.is_some(), "{edit} should fail on {mods:?}");
    }
}

#[test]
fn vital_status_against_cause_and_last_contact() {
    let (_, tumor) = breast();
    let dead = |cod: Option<&str>, dlc: Option<&str>| {
        let mut p = items(PATIENT);
        p.insert("vitalStatus".into(), "0".into());
        match cod {
            Some(c) => p.insert("causeOfDeath".into(), c.into()),
            None => p.remove("causeOfDeath"),
        };
        match dlc {
            Some(d) => p.insert("dateOfLastContact".into(), d.into()),
            None => p.remove("dateOfLastContact"),
        };
        p
    };
    assert!(failure_of("B06", &dead(None, Some("20250301")), &tumor).is_some());
    assert!(failure_of("B06", &dead(Some("0000"), Some("20250301")), &tumor).is_some());
    assert!(failure_of("B06", &dead(Some("C509"), Some("20250301")), &tumor).is_none());
    assert!(failure_of("B11", &dead(Some("C509"), None), &tumor).is_some());
}

#[test]
fn date_order() {
    let (p, mut tumor) = breast();
    tumor.insert("dateOf1stContact".into(), "19590101".into());
    assert!(failure_of("B12", &p, &tumor).is_some());
    let (p, mut tumor) = breast();
    tumor.insert("dateOf1stContact".into(), "20250401".into());
    assert!(failure_of("B14", &p, &tumor).is_some());
}

#[test]
fn sequence_numbers_and_duplicates_across_tumors() {
    let Some(t) = tables() else { return };
    let (p, first) = breast();
    let mut second = first.clone();
    second.insert("sequenceNumberHospital".into(), "02".into());
    second.insert("sequenceNumberCentral".into(), "02".into());
    let tumors = vec![first, second];
    let f = active(edits::run_catalog(&p, &tumors, t));
    for id in ["SEQH", "SEQC", "DUP"] {
        assert!(
            f.iter().any(|f| f.edit_id == id),
            "{id} should fail: {f:#?}"
        );
    }
    // the coc set runs the hospital numbers and the duplicate check
    let f = active(edits::run_set(
        sets::by_name("coc").unwrap(),
        &p,
        &tumors,
        t,
    ));
    assert!(f
        .iter()
        .any(|f| f.edit_id == "SEQH" && f.items.contains(&"sequenceNumberHospital".to_string())));
    assert!(f.iter().any(|f| f.edit_id == "DUP"));
    // two real primaries: numbered against the order of diagnosis they fail, in order they pass
    let (p, mut breast_2024) = breast();
    let mut lung_2022 = merge(&[COMMON, LUNG_2022]);
    let number = |t: &mut Items, n: &str| {
        t.insert("sequenceNumberHospital".into(), n.into());
        t.insert("sequenceNumberCentral".into(), n.into());
    };
    number(&mut breast_2024, "01");
    number(&mut lung_2022, "02");
    let f = active(edits::run_catalog(
        &p,
        &[breast_2024.clone(), lung_2022.clone()],
        t,
    ));
    assert!(
        f.iter()
            .any(|f| f.edit_id == "SEQC" && f.message.contains("order")),
        "{f:#?}"
    );
    number(&mut breast_2024, "02");
    number(&mut lung_2022, "01");
    let f = active(edits::run_catalog(&p, &[breast_2024, lung_2022], t));
    let cross: Vec<_> = f
        .iter()
        .filter(|f| ["SEQC", "SEQH", "DUP"].contains(&f.edit_id))
        .collect();
    assert!(cross.is_empty(), "{cross:#?}");
}

/// Every item an edit names is a NAACCR v26 item (the flat-file date flags excepted, which
/// v26 XML no longer has), every row of the required-status table carries the item's number,
/// and no required general item is treated as a site-specific data item.
#[test]
fn edit_items_agree_with_the_dictionary() {
    use cancer_registry::edits::required::REQUIRED;
    use cancer_registry::naaccr::Dictionary;
    let dict = Dictionary::v260();
    for e in edits::catalog() {
        for id in e.items.iter().chain(&e.override_items) {
            assert!(
                dict.item(id).is_some() || id.ends_with("Flag"),
                "{}: {id} is not a v26 item",
                e.id
            );
        }
    }
    for q in REQUIRED {
        let def = dict
            .item(q.item.id())
            .unwrap_or_else(|| panic!("{} not in v26", q.item.id()));
        assert_eq!(def.number, u32::from(q.number), "{}", q.item.id());
    }
    let Some(t) = tables() else { return };
    for (i, (id, n)) in t.ssdi_items().iter().enumerate() {
        if t.is_site_specific(i as u16) {
            assert!(
                !REQUIRED.iter().any(|q| q.item.id() == id),
                "{id} is a general required item, not an SSDI"
            );
            assert!(
                matches!(*n, 1068 | 1172..=1179 | 3801..=3999),
                "{id} [{n}] is outside the SSDI numbers"
            );
        }
    }
}
