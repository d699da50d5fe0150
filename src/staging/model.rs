//! Serde mirrors of the JSON files inside an algorithm ZIP (ENGINE.md §3).
//!
//! Lenient on unknown keys so that newer ZIPs with extra display fields still load; everything the
//! engine needs is listed explicitly.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct RawKeyValue {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub(crate) struct RawKeyMapping {
    pub from: String,
    pub to: String,
}

/// CS writes plain strings, the newer algorithms objects with a diagnosis-year window.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawMetadata {
    Name(String),
    Full {
        name: String,
        #[serde(default)]
        start: Option<i32>,
        #[serde(default)]
        end: Option<i32>,
    },
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawInput {
    pub key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub naaccr_item: Option<i64>,
    #[serde(default)]
    pub naaccr_xml_id: Option<String>,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub default_table: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub used_for_staging: Option<bool>,
    #[serde(default)]
    pub metadata: Option<Vec<RawMetadata>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawOutput {
    pub key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub naaccr_item: Option<i64>,
    #[serde(default)]
    pub naaccr_xml_id: Option<String>,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub metadata: Option<Vec<RawMetadata>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawTablePath {
    pub id: String,
    #[serde(default)]
    pub input_mapping: Option<Vec<RawKeyMapping>>,
    #[serde(default)]
    pub output_mapping: Option<Vec<RawKeyMapping>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawMapping {
    pub id: String,
    #[serde(default)]
    pub inclusion_tables: Option<Vec<RawTablePath>>,
    #[serde(default)]
    pub exclusion_tables: Option<Vec<RawTablePath>>,
    #[serde(default)]
    pub initial_context: Option<Vec<RawKeyValue>>,
    #[serde(default)]
    pub tables: Option<Vec<RawTablePath>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawSchema {
    pub id: String,
    pub algorithm: Option<String>,
    pub version: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub subtitle: Option<String>,
    #[serde(default)]
    pub schema_num: Option<i64>,
    #[serde(default)]
    pub schema_selection_table: Option<String>,
    #[serde(default)]
    pub schema_discriminators: Option<Vec<String>>,
    #[serde(default)]
    pub initial_context: Option<Vec<RawKeyValue>>,
    #[serde(default)]
    pub inputs: Option<Vec<RawInput>>,
    #[serde(default)]
    pub outputs: Option<Vec<RawOutput>>,
    #[serde(default)]
    pub mappings: Option<Vec<RawMapping>>,
    #[serde(default)]
    pub on_invalid_input: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawColumn {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawTable {
    pub id: String,
    pub algorithm: Option<String>,
    pub version: Option<String>,
    #[serde(default)]
    pub definition: Option<Vec<RawColumn>>,
    #[serde(default)]
    pub rows: Option<Vec<Vec<Option<String>>>>,
}
