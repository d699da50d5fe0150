//! Valid codes of the coded NAACCR items the service checks on every write.
//!
//! The project's own tables of the NAACCR v26 code lists (the facts behind the single-item
//! validity edits). Items without a table here are checked for length and type only; their
//! content is the job of the edits.

use super::icdo3::{HISTOLOGIES, PRIMARY_SITES};

/// A code and what it means.
pub type Code = (&'static str, &'static str);

const SEX_ASSIGNED_AT_BIRTH: &[Code] =
    &[("1", "Male"), ("2", "Female"), ("9", "Not stated/unknown")];
const SEX_V25: &[Code] = &[
    ("1", "Male"),
    ("2", "Female"),
    ("3", "Other (intersex, disorders of sexual development)"),
    ("4", "Transsexual, NOS"),
    ("5", "Transsexual, natal male"),
    ("6", "Transsexual, natal female"),
    ("9", "Not stated/unknown"),
];
const VITAL_STATUS: &[Code] = &[("0", "Dead"), ("1", "Alive")];
const LATERALITY: &[Code] = &[
    ("0", "Not a paired site"),
    ("1", "Right: origin of primary"),
    ("2", "Left: origin of primary"),
    (
        "3",
        "Only one side involved, right or left origin unspecified",
    ),
    (
        "4",
        "Bilateral involvement, lateral origin unknown; stated to be single primary",
    ),
    ("5", "Paired site: midline tumor"),
    ("9", "Paired site, but no information concerning laterality"),
];
const BEHAVIOR: &[Code] = &[
    ("0", "Benign"),
    ("1", "Uncertain whether benign or malignant"),
    ("2", "In situ"),
    ("3", "Malignant, primary site"),
];
const DIAGNOSTIC_CONFIRMATION: &[Code] = &[
    ("1", "Positive histology"),
    ("2", "Positive cytology"),
    (
        "3",
        "Positive histology plus immunophenotyping or genetic testing",
    ),
    (
        "4",
        "Positive microscopic confirmation, method not specified",
    ),
    ("5", "Positive laboratory test or marker study"),
    ("6", "Direct visualization without microscopic confirmation"),
    (
        "7",
        "Radiography and other imaging without microscopic confirmation",
    ),
    ("8", "Clinical diagnosis only"),
    ("9", "Unknown whether microscopically confirmed"),
];
const CLASS_OF_CASE: &[Code] = &[
    ("00", "Initial diagnosis at reporting facility, all treatment or a decision not to treat elsewhere"),
    ("10", "Initial diagnosis at reporting facility or in staff physician's office, part or all of first course at facility, NOS"),
    ("11", "Initial diagnosis in staff physician's office, part of first course at reporting facility"),
    ("12", "Initial diagnosis in staff physician's office, all of first course at reporting facility"),
    ("13", "Initial diagnosis at reporting facility, part of first course at reporting facility"),
    ("14", "Initial diagnosis at reporting facility, all of first course at reporting facility"),
    ("20", "Initial diagnosis elsewhere, part or all of first course at reporting facility, NOS"),
    ("21", "Initial diagnosis elsewhere, part of first course at reporting facility"),
    ("22", "Initial diagnosis elsewhere, all of first course at reporting facility"),
    ("30", "Diagnosis and all first course elsewhere; reporting facility only in diagnostic or treatment workup"),
    ("31", "Diagnosis and all first course elsewhere; reporting facility provided in-transit care"),
    ("32", "Diagnosis and all first course elsewhere; patient seen with recurrence or persistence"),
    ("33", "Diagnosis and all first course elsewhere; patient seen with disease history only"),
    ("34", "Type of case not required by CoC; initial diagnosis and part or all of first course at reporting facility"),
    ("35", "Case diagnosed before program's reference date; initial diagnosis and part or all of first course at reporting facility"),
    ("36", "Type of case not required by CoC; initial diagnosis elsewhere, part or all of first course at reporting facility"),
    ("37", "Case diagnosed before program's reference date; initial diagnosis elsewhere, part or all of first course at reporting facility"),
    ("38", "Initial diagnosis established by autopsy at the reporting facility, not suspected prior to death"),
    ("40", "Diagnosis and all first course at a staff physician's office"),
    ("41", "Diagnosis and all first course in two or more different staff physician offices"),
    ("42", "Nonstaff physician or non-CoC-accredited clinic or other facility"),
    ("43", "Pathology or other laboratory specimens only"),
    ("49", "Death certificate only"),
    ("99", "Nonanalytic case of unknown relationship to facility"),
];
const MARITAL_STATUS: &[Code] = &[
    ("1", "Single (never married)"),
    ("2", "Married (including common law)"),
    ("3", "Separated"),
    ("4", "Divorced"),
    ("5", "Widowed"),
    ("6", "Unmarried or domestic partner"),
    ("9", "Unknown"),
];
const SPANISH_HISPANIC_ORIGIN: &[Code] = &[
    ("0", "Non-Spanish; non-Hispanic"),
    ("1", "Mexican"),
    ("2", "Puerto Rican"),
    ("3", "Cuban"),
    ("4", "South or Central American (except Brazil)"),
    (
        "5",
        "Other specified Spanish/Hispanic origin (includes European)",
    ),
    ("6", "Spanish, NOS; Hispanic, NOS; Latino, NOS"),
    ("7", "Spanish surname only"),
    ("8", "Dominican Republic"),
    ("9", "Unknown whether Spanish or not"),
];
const RACE: &[Code] = &[
    ("01", "White"),
    ("02", "Black"),
    ("03", "American Indian, Aleutian, or Eskimo"),
    ("04", "Chinese"),
    ("05", "Japanese"),
    ("06", "Filipino"),
    ("07", "Hawaiian"),
    ("08", "Korean"),
    ("10", "Vietnamese"),
    ("11", "Laotian"),
    ("12", "Hmong"),
    ("13", "Kampuchean (Cambodian)"),
    ("14", "Thai"),
    ("15", "Asian Indian or Pakistani, NOS"),
    ("16", "Asian Indian"),
    ("17", "Pakistani"),
    ("20", "Micronesian, NOS"),
    ("21", "Chamorro/Chamoru"),
    ("22", "Guamanian, NOS"),
    ("25", "Polynesian, NOS"),
    ("26", "Tahitian"),
    ("27", "Samoan"),
    ("28", "Tongan"),
    ("30", "Melanesian, NOS"),
    ("31", "Fiji Islander"),
    ("32", "New Guinean"),
    ("96", "Other Asian, including Asian, NOS and Oriental, NOS"),
    ("97", "Pacific Islander, NOS"),
    ("98", "Other"),
    ("99", "Unknown"),
];
const RACE_2_TO_5: &[Code] = &[("88", "No further race documented")];
const CANCER_STATUS: &[Code] = &[
    ("1", "No evidence of this tumor"),
    ("2", "Evidence of this tumor"),
    ("9", "Unknown, indeterminate whether this tumor is present"),
];
const FOLLOW_UP_SOURCE: &[Code] = &[
    ("0", "Reported hospitalization"),
    ("1", "Readmission"),
    ("2", "Physician"),
    ("3", "Patient"),
    ("4", "Department of Motor Vehicles"),
    ("5", "Medicare/Medicaid file"),
    ("7", "Death certificate"),
    ("8", "Other"),
    ("9", "Unknown; not stated in patient record"),
];
const NEXT_FOLLOW_UP_SOURCE: &[Code] = &[
    ("0", "Chart requisition"),
    ("1", "Physician letter"),
    ("2", "Contact letter"),
    ("3", "Phone call"),
    ("4", "Other hospital contact"),
    ("5", "Other, NOS"),
    ("8", "Foreign residents (not followed)"),
    ("9", "Not followed, other"),
];
const TYPE_OF_REPORTING_SOURCE: &[Code] = &[
    (
        "1",
        "Hospital inpatient; managed health plans with comprehensive, unified medical records",
    ),
    (
        "2",
        "Radiation treatment centers or medical oncology centers",
    ),
    ("3", "Laboratory only (hospital-affiliated or independent)"),
    ("4", "Physician's office/private medical practitioner"),
    ("5", "Nursing/convalescent home/hospice"),
    ("6", "Autopsy only"),
    ("7", "Death certificate only"),
    ("8", "Other hospital outpatient units/surgery centers"),
];
const SUMMARY_STAGE_2018: &[Code] = &[
    ("0", "In situ"),
    ("1", "Localized"),
    ("2", "Regional by direct extension only"),
    ("3", "Regional lymph nodes only"),
    (
        "4",
        "Regional by both direct extension and regional lymph nodes",
    ),
    ("7", "Distant"),
    ("8", "Benign, borderline"),
    ("9", "Unknown if extension or metastasis"),
];
const RECURRENCE_TYPE: &[Code] = &[
    (
        "00",
        "Disease-free since diagnosis or treatment; no recurrence",
    ),
    ("04", "In situ recurrence of an invasive tumor"),
    ("06", "In situ recurrence of an in situ tumor"),
    ("10", "Local recurrence, no further details"),
    (
        "13",
        "Local recurrence of an in situ tumor, no further details",
    ),
    (
        "14",
        "Local recurrence of an invasive tumor, no further details",
    ),
    ("15", "Trocar recurrence"),
    (
        "16",
        "Local recurrence of an in situ tumor and trocar recurrence",
    ),
    (
        "17",
        "Local recurrence of an invasive tumor and trocar recurrence",
    ),
    ("20", "Regional recurrence, NOS"),
    (
        "21",
        "Regional recurrence in adjacent tissue or organ(s) only",
    ),
    ("22", "Regional recurrence in regional lymph nodes only"),
    (
        "25",
        "Regional recurrence in adjacent tissue and regional lymph nodes",
    ),
    ("26", "Regional recurrence of an in situ tumor, NOS"),
    ("27", "Regional recurrence of an invasive tumor, NOS"),
    (
        "30",
        "Both regional recurrence and local, trocar or in situ recurrence",
    ),
    (
        "36",
        "Both regional and local recurrence of an in situ tumor",
    ),
    ("40", "Distant recurrence, NOS"),
    ("46", "Distant recurrence of an in situ tumor"),
    ("51", "Distant recurrence to the peritoneum"),
    ("52", "Distant recurrence to the lung"),
    ("53", "Distant recurrence to the pleura"),
    ("54", "Distant recurrence to the liver"),
    ("55", "Distant recurrence to bone"),
    ("56", "Distant recurrence to the central nervous system"),
    ("57", "Distant recurrence to the skin"),
    ("58", "Distant recurrence to lymph nodes"),
    (
        "59",
        "Distant systemic recurrence (leukemia, lymphoma, myeloma)",
    ),
    ("60", "Distant recurrence to more than one site"),
    (
        "62",
        "Distant recurrence of an invasive tumor in a single distant site",
    ),
    ("70", "Never disease-free since diagnosis"),
    ("88", "Disease-free, but unknown whether it recurred"),
    (
        "99",
        "Unknown whether ever disease-free or whether it recurred",
    ),
];
const RECORD_TYPE: &[Code] = &[
    ("A", "Full case abstract"),
    ("M", "Modified record"),
    ("C", "Confidential"),
    ("I", "Incidence"),
];

/// The code table of an item, when the service has one.
pub fn codes(item_id: &str) -> Option<&'static [Code]> {
    Some(match item_id {
        "sexAssignedAtBirth" => SEX_ASSIGNED_AT_BIRTH,
        "sex" => SEX_V25,
        "vitalStatus" => VITAL_STATUS,
        "laterality" => LATERALITY,
        "behaviorCodeIcdO3" => BEHAVIOR,
        "diagnosticConfirmation" => DIAGNOSTIC_CONFIRMATION,
        "classOfCase" => CLASS_OF_CASE,
        "maritalStatusAtDx" => MARITAL_STATUS,
        "spanishHispanicOrigin" => SPANISH_HISPANIC_ORIGIN,
        "race1" => RACE,
        "cancerStatus" => CANCER_STATUS,
        "followUpSource" => FOLLOW_UP_SOURCE,
        "nextFollowUpSource" => NEXT_FOLLOW_UP_SOURCE,
        "typeOfReportingSource" => TYPE_OF_REPORTING_SOURCE,
        "summaryStage2018" | "derivedSummaryStage2018" => SUMMARY_STAGE_2018,
        "recordType" => RECORD_TYPE,
        "recurrenceType1st" => RECURRENCE_TYPE,
        _ => return None,
    })
}

/// Whether `value` is a valid code of `item_id`; `None` when the service has no list for it.
pub fn is_valid(item_id: &str, value: &str) -> Option<bool> {
    match item_id {
        "primarySite" => Some(PRIMARY_SITES.binary_search(&value).is_ok()),
        "histologicTypeIcdO3" => Some(
            value
                .parse::<u16>()
                .is_ok_and(|h| HISTOLOGIES.binary_search(&h).is_ok()),
        ),
        "race2" | "race3" | "race4" | "race5" => Some(
            RACE_2_TO_5
                .iter()
                .chain(RACE)
                .any(|(code, _)| *code == value),
        ),
        _ => codes(item_id).map(|list| list.iter().any(|(code, _)| *code == value)),
    }
}

/// Every valid code of an item as plain strings, for the machine-readable dictionary.
pub fn code_values(item_id: &str) -> Option<Vec<String>> {
    match item_id {
        "primarySite" => Some(PRIMARY_SITES.iter().map(|s| s.to_string()).collect()),
        "histologicTypeIcdO3" => Some(HISTOLOGIES.iter().map(|h| h.to_string()).collect()),
        "race2" | "race3" | "race4" | "race5" => Some(
            RACE.iter()
                .chain(RACE_2_TO_5)
                .map(|(c, _)| c.to_string())
                .collect(),
        ),
        _ => codes(item_id).map(|list| list.iter().map(|(c, _)| c.to_string()).collect()),
    }
}

/// Converts a NAACCR 25 Sex [220] code to Sex Assigned at Birth [225]: the transsexual codes
/// carry the natal sex where they state it; intersex and "transsexual, NOS" become unknown.
pub fn sex_v25_to_sex_assigned_at_birth(sex: &str) -> Option<&'static str> {
    match sex {
        "1" | "5" => Some("1"),
        "2" | "6" => Some("2"),
        "3" | "4" | "9" => Some("9"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_codes() {
        assert_eq!(is_valid("vitalStatus", "1"), Some(true));
        assert_eq!(is_valid("vitalStatus", "2"), Some(false));
        assert_eq!(is_valid("primarySite", "C504"), Some(true));
        assert_eq!(is_valid("primarySite", "C999"), Some(false));
        assert_eq!(is_valid("histologicTypeIcdO3", "8140"), Some(true));
        assert_eq!(is_valid("histologicTypeIcdO3", "8006"), Some(false));
        assert_eq!(is_valid("race2", "88"), Some(true));
        assert_eq!(is_valid("race1", "88"), Some(false));
        assert_eq!(is_valid("textRemarks", "anything"), None);
    }

    #[test]
    fn converts_sex() {
        assert_eq!(sex_v25_to_sex_assigned_at_birth("6"), Some("2"));
        assert_eq!(sex_v25_to_sex_assigned_at_birth("3"), Some("9"));
        assert_eq!(sex_v25_to_sex_assigned_at_birth("7"), None);
    }
}
