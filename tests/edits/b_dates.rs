//! Section B: dates, age, follow-up.

use super::*;

#[test]
fn b01_dx_not_before_birth() {
    fails_on("B01", &[("dateOfBirth", "20220101")], TUMOR, &[]);
    // year-only birth date in the diagnosis year: cannot tell, passes
    passes_on(
        "B01",
        &[("dateOfBirth", "2021")],
        TUMOR,
        &[("ageAtDiagnosis", "000")],
    );
    passes_on("B01", &[("dateOfBirth", "")], TUMOR, &[]);
}

#[test]
fn b02_last_contact_not_before_dx() {
    fails_on("B02", &[("dateOfLastContact", "20200101")], TUMOR, &[]);
    passes_on("B02", &[("dateOfLastContact", "202106")], TUMOR, &[]);
}

#[test]
fn b03_last_contact_not_before_birth() {
    fails_on("B03", &[("dateOfLastContact", "19500101")], TUMOR, &[]);
    passes_on("B03", &[("dateOfLastContact", "")], TUMOR, &[]);
}

#[test]
fn b04_age_matches_dates() {
    fails("B04", &[("ageAtDiagnosis", "065")]);
    fails("B04", &[("ageAtDiagnosis", "999")]);
    // unknown birth month: either age is accepted
    passes_on(
        "B04",
        &[("dateOfBirth", "1955")],
        TUMOR,
        &[("ageAtDiagnosis", "065")],
    );
    fails_on(
        "B04",
        &[("dateOfBirth", "1955")],
        TUMOR,
        &[("ageAtDiagnosis", "067")],
    );
}

#[test]
fn b05_death_date_consistency() {
    fails_on(
        "B05",
        &[
            ("vitalStatus", "0"),
            ("dateOfLastContact", "20210601"),
            ("causeOfDeath", "C349"),
        ],
        TUMOR,
        &[],
    );
    passes_on(
        "B05",
        &[("vitalStatus", "0"), ("causeOfDeath", "C349")],
        TUMOR,
        &[],
    );
    // a tumor carrying a different vital status than its patient
    fails("B05", &[("vitalStatus", "0")]);
}

#[test]
fn b06_vital_status_cause_of_death() {
    fails_on("B06", &[("causeOfDeath", "C349")], TUMOR, &[]);
    fails_on("B06", &[("vitalStatus", "0")], TUMOR, &[]);
    passes_on(
        "B06",
        &[("vitalStatus", "0"), ("causeOfDeath", "7777")],
        TUMOR,
        &[],
    );
}

#[test]
fn b07_treatment_not_before_dx() {
    fails("B07", &[("rxDateSurgery", "20210601")]);
    passes("B07", &[("rxDateSurgery", "202106")]);
    passes(
        "B07",
        &[("dateOfDiagnosis", ""), ("rxDateSurgery", "20210601")],
    );
}

#[test]
fn b08_treatment_not_after_last_contact() {
    fails("B08", &[("rxDateChemo", "20230201")]);
    passes("B08", &[("rxDateChemo", "20230115")]);
}

#[test]
fn b09_date_flags_on_flat_records() {
    fails("B09", &[("dateOfDiagnosisFlag", "12")]);
    passes("B09", &[("dateOfDiagnosisFlag", "")]);
    passes(
        "B09",
        &[("dateOfDiagnosis", ""), ("dateOfDiagnosisFlag", "12")],
    );
    fails(
        "B09",
        &[("dateOfDiagnosis", ""), ("dateOfDiagnosisFlag", "")],
    );
}

#[test]
fn b10_items_gated_by_year() {
    fails_on("B10", &[], TUMOR_2016, &[("eodMets", "00")]);
    fails_on("B10", &[], TUMOR_2016, &[("separateTumorNodules", "0")]);
    // every 2018+ item of a pre-2018 case in one failure, naming each
    if let Some(f) = run_on(
        "B10",
        &[],
        TUMOR_2016,
        &[("eodMets", "00"), ("separateTumorNodules", "0")],
    ) {
        assert_eq!(f.len(), 1);
        assert!(f[0].items.contains(&"eodMets".to_string()));
        assert!(f[0].items.contains(&"separateTumorNodules".to_string()));
    }
    // treatment items of every year are not 2018+ items
    passes_on(
        "B10",
        &[],
        TUMOR_2016,
        &[("rxSummSurgRadSeq", "0"), ("rxSummSystemicSurSeq", "0")],
    );
    // alkRearrangement is SEER-required from 2021 for lung (the SEER required-item edit)
    fails(
        "RQSEER",
        &[("alkRearrangement", ""), ("rxSummRadiation", "0")],
    );
    passes(
        "RQSEER",
        &[
            ("alkRearrangement", ""),
            ("rxSummRadiation", "0"),
            ("dateOfDiagnosis", "20190615"),
            ("dateOf1stContact", "20190615"),
            ("ageAtDiagnosis", "064"),
        ],
    );
    fails("B10", &[("schemaId", "")]);
}
