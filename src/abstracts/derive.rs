//! Derived items the service keeps current on every save: Age at Diagnosis [230] from the
//! birth and diagnosis dates, and for diagnoses from 2018 what staging derives (Schema ID
//! [3800], Derived Summary Stage 2018 [762], Derived Summary Grade 2018 [1975], Schema ID
//! Version [2116/2117]), exactly as `POST /tumors/{id}/stage` writes them.

use std::sync::Arc;

use crate::naaccr::{Items, PartialDate};
use crate::staging::tumor::stage_tumor;
use crate::staging::{Registry, StageOptions};

/// The first diagnosis year whose derived stage comes from EOD.
const EOD_FROM: u16 = 2018;

/// What derivation needs: the installed staging algorithms (none: staging items are left as
/// they are) and the year staging compares with.
#[derive(Clone)]
pub struct Deriver {
    pub staging: Option<Arc<Registry>>,
    pub options: StageOptions,
}

/// Age at Diagnosis [230]: completed years from Date of Birth [240] to Date of Diagnosis
/// [390], `999` when either is unknown or the dates cannot give an age. When a month or day is
/// missing the birthday is taken as passed only if the known parts say so.
pub fn age_at_diagnosis(patient: &Items, tumor: &Items) -> String {
    let parse = |items: &Items, id: &str| items.get(id).and_then(|d| PartialDate::parse(d).ok());
    let (Some(birth), Some(dx)) = (
        parse(patient, "dateOfBirth"),
        parse(tumor, "dateOfDiagnosis"),
    ) else {
        return "999".into();
    };
    let mut years = i32::from(dx.year) - i32::from(birth.year);
    match (dx.month, birth.month) {
        (Some(dm), Some(bm)) if dm < bm => years -= 1,
        (Some(dm), Some(bm)) if dm == bm => {
            if let (Some(dd), Some(bd)) = (dx.day, birth.day) {
                if dd < bd {
                    years -= 1;
                }
            }
        }
        _ => {}
    }
    if (0..=120).contains(&years) {
        format!("{years:03}")
    } else {
        "999".into()
    }
}

impl std::fmt::Debug for Deriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deriver")
            .field("staging", &self.staging.is_some())
            .field("options", &self.options)
            .finish()
    }
}

impl Deriver {
    /// The derived items of a tumor a file brings (`incoming`, over what is `stored` of it,
    /// nothing for a new one): the file's values of derived items are replaced by the
    /// service's, so a re-send of unchanged inputs compares equal to what is stored. Returns
    /// the derived items the service blanks (absent from `incoming` now).
    pub fn derive_incoming(
        &self,
        patient: &Items,
        stored: &Items,
        incoming: &mut Items,
    ) -> Vec<String> {
        let mut view = stored.clone();
        view.extend(incoming.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut blanked = Vec::new();
        for id in self.derive(patient, &mut view) {
            match view.remove(&id) {
                Some(v) => {
                    incoming.insert(id, v);
                }
                None => {
                    incoming.remove(&id);
                    blanked.push(id);
                }
            }
        }
        blanked
    }

    /// Sets the derived items of `tumor` (of a patient with `patient` items); returns the ids
    /// of the items whose value the service set or replaced.
    pub fn derive(&self, patient: &Items, tumor: &mut Items) -> Vec<String> {
        let mut set = Vec::new();
        let age = age_at_diagnosis(patient, tumor);
        if tumor.get("ageAtDiagnosis") != Some(&age) {
            tumor.insert("ageAtDiagnosis".into(), age);
            set.push("ageAtDiagnosis".to_string());
        }
        let year = tumor
            .get("dateOfDiagnosis")
            .and_then(|d| PartialDate::parse(d).ok())
            .map(|d| d.year);
        if let (Some(registry), Some(year)) = (&self.staging, year) {
            if year >= EOD_FROM {
                // Not stageable (no algorithm installed) leaves the items as they are; a
                // staging result other than STAGED writes nothing, as /stage does.
                if let Ok((_, changes)) = stage_tumor(registry, patient, tumor, &self.options) {
                    for (id, value) in changes {
                        match value {
                            Some(v) => tumor.insert(id.clone(), v),
                            None => tumor.remove(&id),
                        };
                        set.push(id);
                    }
                }
            }
        }
        set
    }
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
    fn ages() {
        let p = items(&[("dateOfBirth", "19550314")]);
        let t = |dx: &str| items(&[("dateOfDiagnosis", dx)]);
        assert_eq!(age_at_diagnosis(&p, &t("20240315")), "069");
        assert_eq!(age_at_diagnosis(&p, &t("20240314")), "069");
        assert_eq!(age_at_diagnosis(&p, &t("20240313")), "068");
        assert_eq!(age_at_diagnosis(&p, &t("20240201")), "068");
        assert_eq!(age_at_diagnosis(&p, &t("2024")), "069");
        assert_eq!(age_at_diagnosis(&p, &t("19540101")), "999");
        assert_eq!(age_at_diagnosis(&items(&[]), &t("20240315")), "999");
        assert_eq!(age_at_diagnosis(&p, &items(&[])), "999");
    }
}
