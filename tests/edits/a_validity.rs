//! Section A: single-item validity.

use super::*;

#[test]
fn a01_primary_site() {
    passes("A01", &[]);
    fails("A01", &[("primarySite", "C999")]);
    fails("A01", &[("primarySite", "C34.1")]);
    passes("A01", &[("primarySite", "")]);
}

#[test]
fn a02_histology() {
    fails("A02", &[("histologicTypeIcdO3", "8006")]);
    fails("A02", &[("histologicTypeIcdO3", "81400")]);
    passes("A02", &[("histologicTypeIcdO3", "9680")]);
}

#[test]
fn a03_behavior() {
    fails("A03", &[("behaviorCodeIcdO3", "6")]);
    passes("A03", &[("behaviorCodeIcdO3", "0")]);
    passes("A03", &[("behaviorCodeIcdO3", "")]);
}

#[test]
fn a04_laterality_and_midline_year() {
    fails("A04", &[("laterality", "7")]);
    fails(
        "A04",
        &[("laterality", "5"), ("dateOfDiagnosis", "20090101")],
    );
    passes("A04", &[("laterality", "5")]);
}

#[test]
fn a05_diagnostic_confirmation_code_3() {
    fails("A05", &[("diagnosticConfirmation", "0")]);
    fails("A05", &[("diagnosticConfirmation", "3")]);
    passes(
        "A05",
        &[
            ("diagnosticConfirmation", "3"),
            ("histologicTypeIcdO3", "9823"),
        ],
    );
    fails(
        "A05",
        &[
            ("diagnosticConfirmation", "3"),
            ("histologicTypeIcdO3", "9823"),
            ("dateOfDiagnosis", "20090101"),
        ],
    );
}

#[test]
fn a06_sex() {
    fails_on("A06", &[("sexAssignedAtBirth", "3")], TUMOR, &[]);
    passes_on("A06", &[("sexAssignedAtBirth", "9")], TUMOR, &[]);
}

#[test]
fn a07_age() {
    fails("A07", &[("ageAtDiagnosis", "121")]);
    fails("A07", &[("ageAtDiagnosis", "66")]);
    passes("A07", &[("ageAtDiagnosis", "999")]);
}

#[test]
fn a08_sequence_central() {
    fails("A08", &[("sequenceNumberCentral", "90")]);
    fails("A08", &[("sequenceNumberCentral", "98")]);
    passes(
        "A08",
        &[
            ("sequenceNumberCentral", "98"),
            ("dateOfDiagnosis", "20000101"),
        ],
    );
    passes("A08", &[("sequenceNumberCentral", "61")]);
}

#[test]
fn a09_class_of_case() {
    fails("A09", &[("classOfCase", "50")]);
    passes("A09", &[("classOfCase", "38")]);
}

#[test]
fn a10_reporting_source() {
    fails("A10", &[("typeOfReportingSource", "9")]);
    passes("A10", &[("typeOfReportingSource", "8")]);
}

#[test]
fn a11_vital_status() {
    fails_on("A11", &[("vitalStatus", "2")], TUMOR, &[]);
    passes_on("A11", &[("vitalStatus", "0")], TUMOR, &[]);
}

#[test]
fn a13_dates() {
    fails("A13", &[("dateOfDiagnosis", "20211301")]);
    fails("A13", &[("rxDateSurgery", "20990101")]);
    fails_on("A13", &[("dateOfBirth", "18450101")], TUMOR, &[]);
    passes("A13", &[("rxDateSurgery", "202107")]);
    passes("A13", &[("rxDateSurgery", "")]);
}

#[test]
fn a14_grade_pre_2018() {
    passes_on("A14", &[], TUMOR_2016, &[]);
    fails_on("A14", &[], TUMOR_2016, &[("grade", "0")]);
    fails_on("A14", &[], TUMOR_2016, &[("grade", "5")]);
    passes_on(
        "A14",
        &[],
        TUMOR_2016,
        &[
            ("grade", "5"),
            ("histologicTypeIcdO3", "9680"),
            ("behaviorCodeIcdO3", "3"),
        ],
    );
    // year gating: not run for 2018+
    passes("A14", &[("grade", "X")]);
}

#[test]
fn a15_summary_stage_2018() {
    fails("A15", &[("summaryStage2018", "5")]);
    fails("A15", &[("summaryStage2018", "8")]);
    passes("A15", &[("summaryStage2018", "8"), ("schemaId", "00721")]);
}

#[test]
fn n2816_schema_id_known() {
    fails("N2816", &[("schemaId", "12345")]);
    passes("N2816", &[("schemaId", "00480")]);
    passes("N2816", &[("schemaId", "")]);
}

#[test]
fn a17_override_flags() {
    fails("A17", &[("overRideSiteType", "2")]);
    fails("A17", &[("overRideAgeSiteMorph", "4")]);
    passes(
        "A17",
        &[("overRideHistology", "3"), ("overRideSiteType", "1")],
    );
}
