//! Staging an abstract: which algorithm a tumor's diagnosis year calls for, how its NAACCR items
//! become the algorithm's inputs (each schema input names its item), and which derived items
//! the outputs write back. Pure: the caller stores the changes.
//!
//! Algorithms by Date of Diagnosis [390]: EOD 2018 (`eod_public`) from 2018, plus Pediatric
//! (`pediatric`) from 2024 for patients under 20 at diagnosis when a pediatric schema applies;
//! TNM (`tnm`) for 2016-2017; Collaborative Stage (`cs`) for 2004-2015.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Algorithm, Registry, ResultType, StageOptions, StageResult};
use crate::naaccr::{Dictionary, Items, Level, PartialDate};

/// Why a tumor cannot be staged at all (as opposed to a staging result with errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotStageable {
    #[error("the tumor has no valid Date of Diagnosis [390]: the year selects the algorithm")]
    NoDiagnosisYear,
    #[error("no staging algorithm covers diagnosis year {0} (CS from 2004, TNM 2016-2017, EOD from 2018)")]
    NoAlgorithmForYear(u16),
    #[error("the {0} algorithm is not installed")]
    NotInstalled(&'static str),
}

/// The outcome of one algorithm on a tumor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TumorStaging {
    pub algorithm: String,
    pub version: String,
    /// STAGED, or why not (FAILED_...).
    pub result: String,
    pub schema_id: Option<String>,
    #[schema(value_type = Object)]
    pub outputs: BTreeMap<String, Option<String>>,
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<super::StagingError>,
    pub path: Vec<String>,
    /// The algorithm inputs taken from the abstract.
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, String>,
}

/// The algorithms a diagnosis year (and age) calls for, main one first.
pub fn algorithms_for(
    year: u16,
    age_at_dx: Option<u16>,
) -> Result<Vec<&'static str>, NotStageable> {
    match year {
        2018.. => {
            let mut v = vec!["eod_public"];
            if year >= 2024 && age_at_dx.is_some_and(|a| a < 20) {
                v.push("pediatric");
            }
            Ok(v)
        }
        2016..=2017 => Ok(vec!["tnm"]),
        2004..=2015 => Ok(vec!["cs"]),
        _ => Err(NotStageable::NoAlgorithmForYear(year)),
    }
}

/// The value an abstract gives an item the algorithm names. Algorithms predating NAACCR v26
/// still name Sex [220]; the abstract holds Sex Assigned at Birth [225]. The year of diagnosis
/// input takes the year of the date.
fn item_value<'a>(
    patient: &'a Items,
    tumor: &'a Items,
    key: &str,
    xml_id: &str,
) -> Option<&'a str> {
    let id = if xml_id == "sex" {
        "sexAssignedAtBirth"
    } else {
        xml_id
    };
    let v = tumor.get(id).or_else(|| patient.get(id))?;
    if key == "year_dx" {
        return v.get(0..4);
    }
    Some(v.as_str())
}

fn age_at_dx(patient: &Items, tumor: &Items) -> Option<u16> {
    if let Some(a) = tumor
        .get("ageAtDiagnosis")
        .and_then(|a| a.parse::<u16>().ok())
        .filter(|a| *a < 999)
    {
        return Some(a);
    }
    let birth = PartialDate::parse(patient.get("dateOfBirth")?).ok()?;
    let dx = PartialDate::parse(tumor.get("dateOfDiagnosis")?).ok()?;
    let years = i32::from(dx.year) - i32::from(birth.year);
    let before = (dx.month.unwrap_or(1), dx.day.unwrap_or(1))
        < (birth.month.unwrap_or(1), birth.day.unwrap_or(1));
    u16::try_from(years - i32::from(before)).ok()
}

/// Stages one tumor with one algorithm: selects the schema from the abstract's site, histology
/// and discriminators, maps every input of the schema from its NAACCR item, and stages.
pub fn stage_with(
    algorithm: &Algorithm,
    patient: &Items,
    tumor: &Items,
    options: &StageOptions,
) -> TumorStaging {
    let inputs = inputs_of(algorithm, patient, tumor);
    let result: StageResult = algorithm.stage(inputs.iter(), options);
    TumorStaging {
        algorithm: algorithm.id().to_string(),
        version: algorithm.version().to_string(),
        result: serde_json::to_value(result.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        schema_id: result.schema_id,
        outputs: result.output,
        errors: result.errors,
        path: result.path,
        inputs: inputs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// The outputs [`stage_with`] gives when the tumor stages (`None` when it does not), without
/// the owned report: the edits re-derive every 2018+ tumor on each run and read one output.
pub fn stage_outputs(
    algorithm: &Algorithm,
    patient: &Items,
    tumor: &Items,
    options: &StageOptions,
) -> Option<BTreeMap<String, Option<String>>> {
    let inputs = inputs_of(algorithm, patient, tumor);
    let result: StageResult = algorithm.stage(inputs.iter(), options);
    (result.result == ResultType::Staged).then_some(result.output)
}

/// The algorithm inputs taken from the abstract, borrowed (same keys and values, same order as
/// the owned map [`TumorStaging::inputs`]).
fn inputs_of<'a>(
    algorithm: &'a Algorithm,
    patient: &'a Items,
    tumor: &'a Items,
) -> BTreeMap<&'a str, &'a str> {
    let mut inputs: BTreeMap<&'a str, &'a str> = BTreeMap::new();
    // Every input any schema may need for selection: site, histology and the discriminators.
    let discriminators: [(&str, Option<&'a str>); 3] = [
        ("discriminator_1", "schemaDiscriminator1"),
        ("discriminator_2", "schemaDiscriminator2"),
        ("discriminator_3", "schemaDiscriminator3"),
    ]
    .map(|(k, id)| (k, tumor.get(id).map(String::as_str)));
    let site = tumor.get("primarySite").map(String::as_str);
    let hist = tumor.get("histologicTypeIcdO3").map(String::as_str);
    let candidates = algorithm.lookup_schemas(site, hist, &discriminators);
    // Inputs of the schema the abstract selects (or of every candidate, so staging itself
    // reports the ambiguity exactly as the reference does).
    for schema in &candidates {
        for input in &schema.inputs {
            if let Some(xml_id) = &input.naaccr_xml_id {
                if let Some(v) = item_value(patient, tumor, &input.key, xml_id) {
                    inputs.insert(input.key.as_str(), v);
                }
            }
        }
    }
    if let Some(s) = site {
        inputs.entry("site").or_insert(s);
    }
    if let Some(h) = hist {
        inputs.entry("hist").or_insert(h);
    }
    for (k, v) in discriminators {
        if let Some(v) = v {
            inputs.entry(k).or_insert(v);
        }
    }
    inputs
}

/// The items a staged result writes back: every output that names a v26 tumor item, and for
/// EOD the algorithm version in Schema ID Version Current [2117] (Original [2118] when unset).
/// Nothing is written unless the result is STAGED.
pub fn derived_items(
    algorithm: &Algorithm,
    staging: &TumorStaging,
    tumor: &Items,
) -> BTreeMap<String, Option<String>> {
    let mut changes = BTreeMap::new();
    let staged = serde_json::to_value(ResultType::Staged)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .is_some_and(|s| s == staging.result);
    if !staged {
        return changes;
    }
    let Some(schema) = staging
        .schema_id
        .as_deref()
        .and_then(|id| algorithm.schema(id))
    else {
        return changes;
    };
    let dict = Dictionary::v260();
    for output in &schema.outputs {
        let value = staging
            .outputs
            .get(&output.key)
            .cloned()
            .flatten()
            .filter(|v| !v.trim().is_empty());
        let Some(value) = value else { continue };
        match output.naaccr_xml_id.as_deref() {
            Some(id) if dict.item(id).is_some_and(|d| d.level == Level::Tumor) => {
                changes.insert(id.to_string(), Some(value));
            }
            None if output.key == "derived_version" && algorithm.id() == "eod_public" => {
                changes.insert("schemaIdVersionCurrent".into(), Some(value.clone()));
                if !tumor.contains_key("schemaIdVersionOriginal") {
                    changes.insert("schemaIdVersionOriginal".into(), Some(value));
                }
            }
            _ => {}
        }
    }
    changes.retain(|k, v| tumor.get(k) != v.as_ref());
    changes
}

/// Items to set (or, with `None`, remove) on a tumor.
pub type ItemChanges = BTreeMap<String, Option<String>>;

/// Stages a tumor with every algorithm its year calls for; returns each outcome and the item
/// changes to store.
pub fn stage_tumor(
    registry: &Registry,
    patient: &Items,
    tumor: &Items,
    options: &StageOptions,
) -> Result<(Vec<TumorStaging>, ItemChanges), NotStageable> {
    let year = tumor
        .get("dateOfDiagnosis")
        .and_then(|d| PartialDate::parse(d).ok())
        .map(|d| d.year)
        .ok_or(NotStageable::NoDiagnosisYear)?;
    let ids = algorithms_for(year, age_at_dx(patient, tumor))?;
    let mut outcomes = Vec::new();
    let mut changes = BTreeMap::new();
    for (n, id) in ids.iter().enumerate() {
        let Some(algorithm) = registry.get(id) else {
            if n == 0 {
                return Err(NotStageable::NotInstalled(id));
            }
            continue;
        };
        let staging = stage_with(algorithm, patient, tumor, options);
        // A pediatric schema applies only to some tumors: no match is not a finding.
        if n > 0 && staging.schema_id.is_none() {
            continue;
        }
        changes.extend(derived_items(algorithm, &staging, tumor));
        outcomes.push(staging);
    }
    Ok((outcomes, changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_pick_algorithms() {
        assert_eq!(
            algorithms_for(2024, Some(10)),
            Ok(vec!["eod_public", "pediatric"])
        );
        assert_eq!(algorithms_for(2024, Some(40)), Ok(vec!["eod_public"]));
        assert_eq!(algorithms_for(2020, Some(10)), Ok(vec!["eod_public"]));
        assert_eq!(algorithms_for(2017, None), Ok(vec!["tnm"]));
        assert_eq!(algorithms_for(2010, None), Ok(vec!["cs"]));
        assert_eq!(
            algorithms_for(2003, None),
            Err(NotStageable::NoAlgorithmForYear(2003))
        );
    }

    #[test]
    fn ages_from_items() {
        let p: Items = [("dateOfBirth".to_string(), "20100601".to_string())].into();
        let t: Items = [("dateOfDiagnosis".to_string(), "20240531".to_string())].into();
        assert_eq!(age_at_dx(&p, &t), Some(13));
        let t2: Items = [("ageAtDiagnosis".to_string(), "045".to_string())].into();
        assert_eq!(age_at_dx(&p, &t2), Some(45));
    }
}
