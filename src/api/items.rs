//! How item maps appear in the contract: named schemas listing the NAACCR core items of each
//! level (id, number, name, length, pattern, codes) while accepting every other v26 item; and
//! the conversion of request item maps into domain values with per-item errors.

use std::borrow::Cow;
use std::collections::BTreeMap;

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use super::error::ApiError;
use crate::abstracts::items::check_items;
use crate::abstracts::ItemError;
use crate::naaccr::{codes, DataType, Dictionary, ItemDef, Items, Level};

/// Item values as a request sends them (checked one by one, so a number where a string
/// belongs is reported on its item).
pub type RawItems = BTreeMap<String, serde_json::Value>;

/// Item values that must all be strings. When some are not, the others are checked at `level`
/// too, so the answer lists every failing item at once.
pub fn into_items(raw: RawItems, level: Level) -> Result<Items, ApiError> {
    let mut items = Items::new();
    let mut errors = Vec::new();
    for (id, value) in raw {
        match value {
            serde_json::Value::String(s) => {
                items.insert(id, s);
            }
            other => errors.push(not_a_string(&id, &other, false)),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        errors.extend(check_items(level, &items));
        errors.sort_by(|a, b| a.item.cmp(&b.item));
        Err(ApiError::Invalid(errors))
    }
}

/// Item values that must all be strings and valid at `level` (what a write would accept).
pub fn checked_items(raw: RawItems, level: Level) -> Result<Items, ApiError> {
    let items = into_items(raw, level)?;
    let errors = check_items(level, &items);
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// A change set: a string sets an item, `null` removes it.
pub fn into_changes(raw: RawItems) -> Result<BTreeMap<String, Option<String>>, ApiError> {
    let mut changes = BTreeMap::new();
    let mut errors = Vec::new();
    for (id, value) in raw {
        match value {
            serde_json::Value::String(s) => {
                changes.insert(id, Some(s));
            }
            serde_json::Value::Null => {
                changes.insert(id, None);
            }
            other => errors.push(not_a_string(&id, &other, true)),
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

fn not_a_string(id: &str, value: &serde_json::Value, null_ok: bool) -> ItemError {
    let number = Dictionary::v260().item(id).map(|d| d.number);
    let kind = match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
        serde_json::Value::String(_) => "a string",
    };
    let expected = if null_ok {
        "a string (or null to remove the item)"
    } else {
        "a string (codes keep their leading zeros, e.g. \"01\")"
    };
    ItemError::new(
        id,
        number,
        "data-type",
        format!("the value is {kind}; NAACCR values are {expected}"),
    )
}

/// The regular expression a value of this item must match, where its type gives one.
pub fn pattern(def: &ItemDef) -> Option<String> {
    let n = def.length;
    match def.data_type {
        DataType::Digits => Some(format!("^[0-9]{{{n}}}$")),
        DataType::Alpha => Some(format!("^[A-Z]{{{n}}}$")),
        DataType::Mixed => Some(format!("^[A-Z0-9]{{{n}}}$")),
        DataType::Numeric => Some("^[0-9]+(\\.[0-9]+)?$".to_string()),
        DataType::Date => Some(DATE_PATTERN.to_string()),
        // Text: at least one visible character, no control characters but tab and line ends.
        DataType::DateTime => Some(DATE_TIME_PATTERN.to_string()),
        DataType::Text => Some(TEXT_PATTERN.to_string()),
    }
}

/// A NAACCR date (YYYY, YYYYMM or YYYYMMDD, years 1800-2099) that exists on the calendar:
/// day counts per month and February 29 only in leap years (2000, not 1800 or 1900), so that
/// what the contract calls valid is what the service accepts.
pub const DATE_PATTERN: &str = "^((18|19|20)[0-9]{2}((0[1-9]|1[0-2])|(0[13578]|1[02])(0[1-9]|[12][0-9]|3[01])|(0[469]|11)(0[1-9]|[12][0-9]|30)|02(0[1-9]|1[0-9]|2[0-8]))?|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)0229)$";

/// A NAACCR dateTime: CCYY, CCYY-MM or CCYY-MM-DD (on the calendar), the last optionally with
/// Thh:mm:ss and a zone (Z or +hh:mm).
pub const DATE_TIME_PATTERN: &str = "^((18|19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?|((18|19|20)[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)-02-29)(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](Z|[+-][0-9]{2}:[0-9]{2}))?)$";

const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";

fn item_schema(def: &ItemDef, nullable: bool) -> Schema {
    let ty = if nullable {
        utoipa::openapi::schema::SchemaType::Array(vec![Type::String, Type::Null])
    } else {
        utoipa::openapi::schema::SchemaType::Type(Type::String)
    };
    let mut b = ObjectBuilder::new()
        .schema_type(ty)
        .description(Some(format!(
            "{} [{}]: {}, {} up to {} characters",
            def.name,
            def.number,
            def.level.xml_element(),
            def.data_type.as_str(),
            def.length
        )))
        .max_length(Some(def.length as usize))
        .pattern(pattern(def));
    let min = if def.data_type.requires_full_length() {
        def.length as usize
    } else {
        1
    };
    b = b.min_length(Some(min));
    // Every code the service checks, ICD-O-3 sites and histologies included, so that what the
    // contract calls valid is what a write accepts.
    if let Some(list) = codes::code_values(&def.id) {
        let mut values: Vec<serde_json::Value> =
            list.into_iter().map(serde_json::Value::from).collect();
        if nullable {
            values.push(serde_json::Value::Null);
        }
        b = b.enum_values(Some(values));
    }
    Schema::Object(b.build())
}

fn level_schema(level: Level, nullable: bool) -> Schema {
    let dict = Dictionary::v260();
    let mut b = ObjectBuilder::new().schema_type(Type::Object).description(Some(format!(
        "{} data items keyed by NAACCR XML id: every {} item of the v26 dictionary, with its number, \
         name, length, pattern and codes (also at GET /api/v1/dictionary/items).{}",
        level.xml_element(),
        level.xml_element(),
        if nullable { " A null value removes the item." } else { "" }
    )));
    for def in dict.items().iter().filter(|d| d.level == level) {
        b = b.property(def.id.clone(), item_schema(def, nullable));
    }
    b = b.additional_properties(Some(AdditionalProperties::FreeForm(false)));
    b = b.examples([example(level, nullable)]);
    Schema::Object(b.build())
}

/// A realistic first request for the documentation's "Try it out": a patient with plausible
/// demographics, a breast case with real codes (it passes the edits), and small corrections.
/// A test posts them to the service.
pub fn example(level: Level, changes: bool) -> serde_json::Value {
    match (level, changes) {
        (Level::Patient, false) => serde_json::json!({
            "patientIdNumber": "00000001",
            "nameLast": "HARTMAN",
            "nameFirst": "JANE",
            "dateOfBirth": "19600512",
            "sexAssignedAtBirth": "2",
            "race1": "01",
            "spanishHispanicOrigin": "0",
            "socialSecurityNumber": "123456789",
            "vitalStatus": "1",
            "dateOfLastContact": "20250110"
        }),
        (Level::Patient, true) => serde_json::json!({
            "nameLast": "HARTMAN-LEE",
            "nameAlias": null
        }),
        (_, false) => serde_json::json!({
            "primarySite": "C504",
            "histologicTypeIcdO3": "8500",
            "behaviorCodeIcdO3": "3",
            "laterality": "1",
            "dateOfDiagnosis": "20240315",
            "diagnosticConfirmation": "1",
            "classOfCase": "14",
            "sequenceNumberHospital": "00",
            "accessionNumberHosp": "202400001",
            "schemaId": "00480",
            "gradeClinical": "2",
            "gradePathological": "2",
            "eodPrimaryTumor": "100",
            "eodRegionalNodes": "000",
            "eodMets": "00",
            "summaryStage2018": "1",
            "tumorSizeSummary": "015",
            "regionalNodesPositive": "00",
            "regionalNodesExamined": "02",
            "estrogenReceptorSummary": "1",
            "progesteroneRecepSummary": "1",
            "her2OverallSummary": "0",
            "lnPositiveAxillaryLevel1To2": "00",
            "oncotypeDxRecurrenceScoreInvasiv": "XX9",
            "neoadjuvantTherapy": "0",
            "neoadjuvTherapyClinicalResponse": "0",
            "neoadjuvTherapyTreatmentEffect": "0"
        }),
        (_, true) => serde_json::json!({
            "laterality": "2",
            "textRemarks": null
        }),
    }
}

macro_rules! item_map_schema {
    ($name:ident, $level:expr, $nullable:expr, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                RefOr::T(level_schema($level, $nullable))
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

item_map_schema!(
    PatientItems,
    Level::Patient,
    false,
    "Patient-level item values."
);
item_map_schema!(TumorItems, Level::Tumor, false, "Tumor-level item values.");
item_map_schema!(
    PatientItemChanges,
    Level::Patient,
    true,
    "Patient item changes (null removes)."
);
item_map_schema!(
    TumorItemChanges,
    Level::Tumor,
    true,
    "Tumor item changes (null removes)."
);
