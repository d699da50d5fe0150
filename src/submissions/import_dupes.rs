//! Duplicates within one file and unnumbered patients across files.
//!
//! Within a file, a tumor is identified as the import matches it (`import::tumor_key`): by
//! Reporting Facility [540] + Accession Number--Hosp [550] + Sequence Number--Hospital [560]
//! (unique in a hospital registry, whatever the patient), else within its patient by Sequence
//! Number--Central [380], else by primary site, histology and date of diagnosis. Two tumors
//! with the same facility, accession and sequence numbers refuse the file, as does a tumor
//! repeated (same key) with different values; a tumor repeated identically (a patient the
//! file repeats) is one tumor. Each tumor is remembered as a 128-bit digest of its key and a
//! 64-bit digest of its items, so memory stays small (~40 bytes a tumor).
//!
//! Across files, a patient without a Patient ID Number [20] matches a patient of its facility
//! with the same date of birth and Social Security Number [2320], else the same date of birth,
//! last and first name, when exactly one does: a re-sent file does not create it again.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::import::FileProblem;
use crate::abstracts::patients::{self, Patient};
use crate::auth::FacilityScope;
use crate::db::DbConn;
use crate::naaccr::Items;

fn digest64(seed: u64, parts: &[&str]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    seed.hash(&mut h);
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

fn digest128(parts: &[&str]) -> u128 {
    (u128::from(digest64(0x9e37_79b9, parts)) << 64) | u128::from(digest64(0x85eb_ca6b, parts))
}

fn items_digest(items: &Items) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    items.hash(&mut h);
    h.finish()
}

/// The tumors seen so far in a file.
#[derive(Default)]
pub struct SeenTumors {
    seen: HashMap<u128, (u64, u64)>,
}

impl SeenTumors {
    /// Notes a tumor (its items with the facility filled in) of the patient `patient_key`
    /// (facility and Patient ID Number, or the patient's line when it has none); returns the
    /// problem when it duplicates an earlier one.
    pub fn check(&mut self, patient_key: &str, items: &Items, line: u64) -> Option<FileProblem> {
        let get = |k: &str| items.get(k).map(String::as_str).unwrap_or("");
        let (key, strict, what) = if items.contains_key("accessionNumberHosp")
            && items.contains_key("sequenceNumberHospital")
        {
            (
                digest128(&[
                    "hosp",
                    get("reportingFacility"),
                    get("accessionNumberHosp"),
                    get("sequenceNumberHospital"),
                ]),
                true,
                format!(
                    "Reporting Facility {}, Accession Number--Hosp {} and Sequence Number--Hospital {}",
                    get("reportingFacility"),
                    get("accessionNumberHosp"),
                    get("sequenceNumberHospital")
                ),
            )
        } else if items.contains_key("sequenceNumberCentral") {
            (
                digest128(&[
                    "central",
                    patient_key,
                    get("reportingFacility"),
                    get("sequenceNumberCentral"),
                ]),
                false,
                format!(
                    "patient, Reporting Facility {} and Sequence Number--Central {}",
                    get("reportingFacility"),
                    get("sequenceNumberCentral")
                ),
            )
        } else {
            (
                digest128(&[
                    "site",
                    patient_key,
                    get("reportingFacility"),
                    get("primarySite"),
                    get("histologicTypeIcdO3"),
                    get("dateOfDiagnosis"),
                ]),
                false,
                format!(
                    "patient, Reporting Facility {}, Primary Site {}, Histology {} and Date of Diagnosis {}",
                    get("reportingFacility"),
                    get("primarySite"),
                    get("histologicTypeIcdO3"),
                    get("dateOfDiagnosis")
                ),
            )
        };
        let values = items_digest(items);
        match self.seen.get(&key) {
            None => {
                self.seen.insert(key, (line, values));
                None
            }
            Some(&(first, v)) if strict || v != values => Some(FileProblem {
                line: Some(line),
                column: None,
                item: None,
                rule: "duplicate-tumor".into(),
                message: if v == values {
                    format!("the tumors at lines {first} and {line} have the same {what}: one tumor, sent twice")
                } else {
                    format!("the tumors at lines {first} and {line} have the same {what} but different values: which is right?")
                },
                patient_line: None,
            }),
            Some(_) => None,
        }
    }
}

/// How a patient without a Patient ID Number matched a stored one.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientMatch {
    /// Line of the patient in the file.
    pub line: u64,
    pub patient_id: String,
    /// `ssn-and-date-of-birth` or `name-and-date-of-birth`.
    pub on: String,
}

fn letters(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn known_ssn(s: &str) -> bool {
    s.len() == 9
        && s.bytes().all(|b| b.is_ascii_digit())
        && !s.bytes().all(|b| b == s.as_bytes()[0])
        && s != "123456789"
}

/// The stored patient of `facility` a file patient without a Patient ID Number is, if exactly
/// one matches on SSN and date of birth, else on name and date of birth.
pub fn match_unnumbered(
    conn: &mut DbConn,
    facility: &str,
    items: &Items,
) -> Result<Option<(Patient, &'static str)>, crate::abstracts::Error> {
    let Some(dob) = items.get("dateOfBirth") else {
        return Ok(None);
    };
    let scope = FacilityScope::Only(vec![facility.to_string()]);
    let candidates: Vec<Patient> = patients::born_on(conn, &scope, dob)?
        .into_iter()
        .filter(|p| p.facility_id == facility)
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    if let Some(ssn) = items.get("socialSecurityNumber").filter(|s| known_ssn(s)) {
        let by_ssn: Vec<&Patient> = candidates
            .iter()
            .filter(|p| p.items.get("socialSecurityNumber") == Some(ssn))
            .collect();
        if by_ssn.len() == 1 {
            return Ok(Some((by_ssn[0].clone(), "ssn-and-date-of-birth")));
        }
    }
    let name = |i: &Items| {
        (
            letters(i.get("nameLast").map(String::as_str).unwrap_or("")),
            letters(i.get("nameFirst").map(String::as_str).unwrap_or("")),
        )
    };
    let wanted = name(items);
    if wanted.0.is_empty() || wanted.1.is_empty() {
        return Ok(None);
    }
    let by_name: Vec<&Patient> = candidates
        .iter()
        .filter(|p| name(&p.items) == wanted)
        .collect();
    Ok((by_name.len() == 1).then(|| (by_name[0].clone(), "name-and-date-of-birth")))
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
    fn same_accession_and_sequence_refuse() {
        let mut seen = SeenTumors::default();
        let a = items(&[
            ("reportingFacility", "0000000001"),
            ("accessionNumberHosp", "202500001"),
            ("sequenceNumberHospital", "00"),
            ("primarySite", "C509"),
        ]);
        let mut b = a.clone();
        b.insert("primarySite".into(), "C180".into());
        assert!(seen.check("p1", &a, 10).is_none());
        let p = seen.check("p2", &b, 20).unwrap();
        assert!(p.message.contains("lines 10 and 20"), "{}", p.message);
        // Identical, too: two tumors cannot share the numbers.
        assert!(seen.check("p1", &a, 30).is_some());
    }

    #[test]
    fn repeated_tumor_with_other_values_refuses() {
        let mut seen = SeenTumors::default();
        let a = items(&[
            ("primarySite", "C509"),
            ("dateOfDiagnosis", "2025"),
            ("grade", "1"),
        ]);
        let mut b = a.clone();
        b.insert("grade".into(), "2".into());
        assert!(seen.check("p1", &a, 10).is_none());
        assert!(
            seen.check("p1", &a, 15).is_none(),
            "identical repeat: one tumor"
        );
        assert!(seen.check("p2", &b, 18).is_none(), "another patient");
        assert!(seen.check("p1", &b, 20).is_some());
    }
}
