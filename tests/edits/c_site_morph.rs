//! Section C: site, histology, behavior, laterality, sequence.

use super::*;

#[test]
fn if25_site_type_list() {
    passes("IF25", &[]);
    fails(
        "IF25",
        &[("primarySite", "C619"), ("histologicTypeIcdO3", "9500")],
    );
    overridden(
        "IF25",
        &[
            ("primarySite", "C619"),
            ("histologicTypeIcdO3", "9500"),
            ("overRideSiteType", "1"),
        ],
    );
    // superseded by the 2024 Cancer PathCHART edit
    passes(
        "IF25",
        &[
            ("primarySite", "C619"),
            ("histologicTypeIcdO3", "9500"),
            ("dateOfDiagnosis", "20240101"),
        ],
    );
    passes("IF25", &[("histologicTypeIcdO3", "")]);
}

#[test]
fn c02_site_type_coc() {
    fails(
        "C02",
        &[("primarySite", "C341"), ("histologicTypeIcdO3", "8720")],
    );
    // skin carcinoma passes without review in the CoC version, not in SEER's
    passes(
        "C02",
        &[
            ("primarySite", "C443"),
            ("histologicTypeIcdO3", "8070"),
            ("laterality", "0"),
        ],
    );
    fails(
        "IF25",
        &[
            ("primarySite", "C443"),
            ("histologicTypeIcdO3", "8070"),
            ("laterality", "0"),
        ],
    );
    overridden(
        "C02",
        &[
            ("histologicTypeIcdO3", "8720"),
            ("overRideCocSiteType", "1"),
        ],
    );
    overridden(
        "C02",
        &[("histologicTypeIcdO3", "8720"), ("overRideSiteType", "1")],
    );
}

#[test]
fn morph_histology_behavior() {
    passes("MORPH", &[]);
    fails("MORPH", &[("histologicTypeIcdO3", "8006")]);
    // not valid: an over-ride cannot help
    fails(
        "MORPH",
        &[("histologicTypeIcdO3", "8006"), ("overRideHistology", "1")],
    );
    fails(
        "MORPH",
        &[("histologicTypeIcdO3", "8800"), ("behaviorCodeIcdO3", "2")],
    );
    overridden(
        "MORPH",
        &[
            ("histologicTypeIcdO3", "8800"),
            ("behaviorCodeIcdO3", "2"),
            ("overRideHistology", "1"),
        ],
    );
    fails("MORPH", &[("histologicTypeIcdO3", "8060")]);
    overridden(
        "MORPH",
        &[("histologicTypeIcdO3", "8060"), ("overRideHistology", "3")],
    );
    passes(
        "MORPH",
        &[("histologicTypeIcdO3", "8060"), ("behaviorCodeIcdO3", "0")],
    );
    // pre-2018 grade rules
    fails_on("MORPH", &[], TUMOR_2016, &[("grade", "5")]);
    fails_on(
        "MORPH",
        &[],
        TUMOR_2016,
        &[
            ("histologicTypeIcdO3", "8020"),
            ("behaviorCodeIcdO3", "3"),
            ("grade", "2"),
        ],
    );
    passes_on(
        "MORPH",
        &[],
        TUMOR_2016,
        &[
            ("histologicTypeIcdO3", "8020"),
            ("behaviorCodeIcdO3", "3"),
            ("grade", "4"),
        ],
    );
}

#[test]
fn if38_impossible_site_histology() {
    fails("IF38", &[("histologicTypeIcdO3", "9440")]);
    passes(
        "IF38",
        &[("primarySite", "C710"), ("histologicTypeIcdO3", "9440")],
    );
    fails(
        "IF38",
        &[("primarySite", "C481"), ("histologicTypeIcdO3", "8720")],
    );
    passes(
        "IF38",
        &[
            ("histologicTypeIcdO3", "9440"),
            ("dateOfDiagnosis", "20240101"),
        ],
    );
    passes(
        "IF38",
        &[("histologicTypeIcdO3", "9440"), ("dateOfDiagnosis", "")],
    );
}

#[test]
fn if17_sex_site() {
    passes("IF17", &[("primarySite", "C619")]);
    fails_on(
        "IF17",
        &[("sexAssignedAtBirth", "2")],
        TUMOR,
        &[("primarySite", "C619")],
    );
    fails("IF17", &[("primarySite", "C530")]);
    passes_on(
        "IF17",
        &[("sexAssignedAtBirth", "9")],
        TUMOR,
        &[("primarySite", "C530")],
    );
}

#[test]
fn if31_in_situ_needs_microscopic_confirmation() {
    passes_on("IF31", &[], TUMOR_2016, &[]);
    fails_on("IF31", &[], TUMOR_2016, &[("diagnosticConfirmation", "7")]);
    overridden_on(
        "IF31",
        TUMOR_2016,
        &[("diagnosticConfirmation", "7"), ("overRideHistology", "2")],
    );
    // code 1 is the MORPH over-ride, not this one
    fails_on(
        "IF31",
        &[],
        TUMOR_2016,
        &[("diagnosticConfirmation", "7"), ("overRideHistology", "1")],
    );
    passes("IF31", &[("diagnosticConfirmation", "7")]);
}

#[test]
fn if39_in_situ_at_unspecific_site() {
    passes_on("IF39", &[], TUMOR_2016, &[]);
    fails_on("IF39", &[], TUMOR_2016, &[("primarySite", "C809")]);
    fails_on("IF39", &[], TUMOR_2016, &[("primarySite", "C764")]);
    overridden_on(
        "IF39",
        TUMOR_2016,
        &[("primarySite", "C809"), ("overRideSiteBehavior", "1")],
    );
}

#[test]
fn if48_heme_confirmation() {
    fails(
        "IF48",
        &[
            ("histologicTypeIcdO3", "9680"),
            ("diagnosticConfirmation", "8"),
        ],
    );
    passes(
        "IF48",
        &[
            ("histologicTypeIcdO3", "9680"),
            ("diagnosticConfirmation", "1"),
        ],
    );
    fails(
        "IF48",
        &[
            ("histologicTypeIcdO3", "9800"),
            ("diagnosticConfirmation", "6"),
        ],
    );
    passes(
        "IF48",
        &[
            ("histologicTypeIcdO3", "9800"),
            ("diagnosticConfirmation", "8"),
        ],
    );
    overridden(
        "IF48",
        &[
            ("histologicTypeIcdO3", "9680"),
            ("diagnosticConfirmation", "6"),
            ("overRideLeukLymphoma", "1"),
        ],
    );
}

#[test]
fn if24_laterality_site() {
    fails("IF24", &[("laterality", "0")]);
    fails("IF24", &[("primarySite", "C619"), ("laterality", "1")]);
    passes("IF24", &[("primarySite", "C619"), ("laterality", "0")]);
    fails("IF24", &[("primarySite", "C342"), ("laterality", "2")]);
    passes("IF24", &[("primarySite", "C340"), ("laterality", "0")]);
    // CNS sites are paired only from 2004
    fails("IF24", &[("primarySite", "C710"), ("laterality", "0")]);
    passes(
        "IF24",
        &[
            ("primarySite", "C710"),
            ("laterality", "0"),
            ("dateOfDiagnosis", "20030101"),
        ],
    );
    fails(
        "IF24",
        &[("laterality", "5"), ("dateOfDiagnosis", "20090101")],
    );
}

#[test]
fn if138_unknown_site_laterality() {
    fails("IF138", &[("primarySite", "C809"), ("laterality", "1")]);
    passes("IF138", &[("primarySite", "C809"), ("laterality", "0")]);
    passes("IF138", &[("primarySite", "C809"), ("laterality", "")]);
}

#[test]
fn if42_in_situ_paired_site_laterality() {
    passes_on("IF42", &[], TUMOR_2016, &[]);
    fails_on("IF42", &[], TUMOR_2016, &[("laterality", "4")]);
    overridden_on(
        "IF42",
        TUMOR_2016,
        &[("laterality", "9"), ("overRideSiteLatMorph", "1")],
    );
    passes("IF42", &[("laterality", "4")]);
}

#[test]
fn if114_behavior_sequence() {
    fails("IF114", &[("behaviorCodeIcdO3", "0")]);
    passes(
        "IF114",
        &[("behaviorCodeIcdO3", "0"), ("sequenceNumberCentral", "60")],
    );
    fails("IF114", &[("sequenceNumberCentral", "60")]);
    passes(
        "IF114",
        &[
            ("behaviorCodeIcdO3", "1"),
            ("histologicTypeIcdO3", "8442"),
            ("dateOfDiagnosis", "19990101"),
        ],
    );
}

#[test]
fn if22_ill_defined_with_multiple_primaries() {
    fails(
        "IF22",
        &[("sequenceNumberCentral", "01"), ("primarySite", "C809")],
    );
    passes("IF22", &[("primarySite", "C809")]);
    passes("IF22", &[("sequenceNumberCentral", "01")]);
    fails(
        "IF22",
        &[("sequenceNumberCentral", "02"), ("primarySite", "C770")],
    );
    passes(
        "IF22",
        &[
            ("sequenceNumberCentral", "02"),
            ("primarySite", "C770"),
            ("histologicTypeIcdO3", "9680"),
        ],
    );
    fails(
        "IF22",
        &[
            ("sequenceNumberCentral", "02"),
            ("histologicTypeIcdO3", "9740"),
        ],
    );
    overridden(
        "IF22",
        &[
            ("sequenceNumberCentral", "01"),
            ("primarySite", "C809"),
            ("overRideIllDefineSite", "1"),
        ],
    );
}

#[test]
fn c18_hospital_sequence_ill_defined() {
    fails(
        "C18",
        &[("sequenceNumberHospital", "01"), ("primarySite", "C809")],
    );
    passes("C18", &[("primarySite", "C809")]);
    overridden(
        "C18",
        &[
            ("sequenceNumberHospital", "01"),
            ("primarySite", "C809"),
            ("overRideHospseqSite", "1"),
        ],
    );
}

#[test]
fn if23_dxconf_sequence() {
    fails(
        "IF23",
        &[
            ("sequenceNumberCentral", "01"),
            ("diagnosticConfirmation", "7"),
        ],
    );
    passes("IF23", &[("diagnosticConfirmation", "7")]);
    passes(
        "IF23",
        &[
            ("sequenceNumberCentral", "60"),
            ("diagnosticConfirmation", "7"),
        ],
    );
    overridden(
        "IF23",
        &[
            ("sequenceNumberCentral", "01"),
            ("diagnosticConfirmation", "7"),
            ("overRideSeqnoDxconf", "1"),
        ],
    );
}

#[test]
fn c20_dxconf_hospital_sequence() {
    fails(
        "C20",
        &[
            ("sequenceNumberHospital", "02"),
            ("diagnosticConfirmation", "8"),
        ],
    );
    passes(
        "C20",
        &[
            ("sequenceNumberHospital", "02"),
            ("diagnosticConfirmation", "8"),
            ("primarySite", "C809"),
        ],
    );
    overridden(
        "C20",
        &[
            ("sequenceNumberHospital", "02"),
            ("diagnosticConfirmation", "8"),
            ("overRideHospseqDxconf", "1"),
        ],
    );
}

#[test]
fn if04_dco_sequence() {
    fails(
        "IF04",
        &[
            ("typeOfReportingSource", "7"),
            ("sequenceNumberCentral", "01"),
        ],
    );
    passes("IF04", &[("typeOfReportingSource", "7")]);
    passes(
        "IF04",
        &[
            ("typeOfReportingSource", "7"),
            ("sequenceNumberCentral", "01"),
            ("histologicTypeIcdO3", "9800"),
        ],
    );
    overridden(
        "IF04",
        &[
            ("typeOfReportingSource", "7"),
            ("sequenceNumberCentral", "01"),
            ("overRideReportSource", "1"),
        ],
    );
}

fn ir09(second: &[(&str, &str)]) -> Vec<EditFailure> {
    let Some(t) = tables() else { return Vec::new() };
    let first = with(TUMOR_2016, &[("sequenceNumberCentral", "01")]);
    let second = with(TUMOR_2016, second);
    edits::run_all(&items(PATIENT), &[first, second], t)
        .into_iter()
        .filter(|f| f.edit_id == "IR09")
        .collect()
}

#[test]
fn ir09_same_primary_twice() {
    if tables().is_none() {
        return;
    }
    let f = ir09(&[
        ("sequenceNumberCentral", "02"),
        ("primarySite", "C508"),
        ("histologicTypeIcdO3", "8501"),
    ]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].tumor_index, Some(1));
    assert!(!f[0].overridden);
    assert!(ir09(&[("sequenceNumberCentral", "02"), ("laterality", "1")]).is_empty());
    assert!(ir09(&[
        ("sequenceNumberCentral", "02"),
        ("histologicTypeIcdO3", "8520")
    ])
    .is_empty());
    let f = ir09(&[
        ("sequenceNumberCentral", "02"),
        ("overRideSiteLatSeqno", "1"),
    ]);
    assert!(f.len() == 1 && f[0].overridden);
}
