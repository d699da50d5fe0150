//! The NAACCR data dictionary: item definitions by XML id and number, per dictionary version.
//!
//! Versions 25 and 26 are built in from the project's own table (`items.rs`). Older base
//! dictionaries and user dictionaries are loaded at run time into the same [`Dictionary`] type.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;

use super::items::{ITEMS, V250, V260};

/// Where an item lives in a NAACCR XML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Level {
    /// Items of the `NaaccrData` root element (file-level items).
    #[serde(rename = "NaaccrData")]
    Root,
    Patient,
    Tumor,
}

impl Level {
    /// The XML element name NAACCR uses for the level (`parentXmlElement`).
    pub fn xml_element(self) -> &'static str {
        match self {
            Level::Root => "NaaccrData",
            Level::Patient => "Patient",
            Level::Tumor => "Tumor",
        }
    }

    /// Parses a `parentXmlElement` value.
    pub fn from_xml_element(s: &str) -> Option<Level> {
        match s {
            "NaaccrData" => Some(Level::Root),
            "Patient" => Some(Level::Patient),
            "Tumor" => Some(Level::Tumor),
            _ => None,
        }
    }
}

/// NAACCR XML data types (dictionary `dataType` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DataType {
    Digits,
    Alpha,
    Mixed,
    Numeric,
    Date,
    DateTime,
    Text,
}

impl DataType {
    /// Parses a `dataType` attribute value; absent means `text`.
    pub fn parse(s: &str) -> Option<DataType> {
        Some(match s {
            "digits" => DataType::Digits,
            "alpha" => DataType::Alpha,
            "mixed" => DataType::Mixed,
            "numeric" => DataType::Numeric,
            "date" => DataType::Date,
            "dateTime" => DataType::DateTime,
            "text" => DataType::Text,
            _ => return None,
        })
    }

    /// The attribute spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Digits => "digits",
            DataType::Alpha => "alpha",
            DataType::Mixed => "mixed",
            DataType::Numeric => "numeric",
            DataType::Date => "date",
            DataType::DateTime => "dateTime",
            DataType::Text => "text",
        }
    }

    /// Whether a value of this type must fill the item's whole length.
    pub fn requires_full_length(self) -> bool {
        matches!(self, DataType::Digits | DataType::Alpha | DataType::Mixed)
    }
}

/// Dictionary `padding` attribute (only `leftZero` survives in spec 1.7+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Padding {
    #[serde(rename = "none")]
    NoPadding,
    LeftZero,
    RightBlank,
    LeftBlank,
}

/// A NAACCR record type: what a file (or a submission) carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum RecordType {
    /// Full abstract.
    A,
    /// Modified abstract (a correction of an earlier A).
    M,
    /// Confidential: incidence plus identifiers, no text.
    C,
    /// Incidence only: no confidential items, no text.
    I,
}

impl RecordType {
    /// Parses the one-letter code.
    pub fn parse(s: &str) -> Option<RecordType> {
        match s {
            "A" => Some(RecordType::A),
            "M" => Some(RecordType::M),
            "C" => Some(RecordType::C),
            "I" => Some(RecordType::I),
            _ => None,
        }
    }

    /// The one-letter code.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::M => "M",
            RecordType::C => "C",
            RecordType::I => "I",
        }
    }

    fn bit(self) -> u8 {
        match self {
            RecordType::A => 1,
            RecordType::M => 2,
            RecordType::C => 4,
            RecordType::I => 8,
        }
    }
}

/// The set of record types an item may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RecordTypes(u8);

impl RecordTypes {
    /// Every record type (the dictionary default).
    pub const ALL: RecordTypes = RecordTypes(15);

    /// Parses `"A,M,C,I"`; unknown letters are ignored.
    pub fn parse(s: &str) -> RecordTypes {
        RecordTypes(
            s.split(',')
                .filter_map(|t| RecordType::parse(t.trim()))
                .fold(0, |acc, t| acc | t.bit()),
        )
    }

    /// Whether the set holds `t`.
    pub fn contains(self, t: RecordType) -> bool {
        self.0 & t.bit() != 0
    }

    /// The letters in canonical order.
    pub fn to_vec(self) -> Vec<&'static str> {
        [RecordType::A, RecordType::M, RecordType::C, RecordType::I]
            .into_iter()
            .filter(|t| self.contains(*t))
            .map(RecordType::as_str)
            .collect()
    }
}

impl Serialize for RecordTypes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_vec().serialize(s)
    }
}

/// One data item of a dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDef {
    /// NAACCR XML id, e.g. `primarySite`.
    pub id: String,
    /// NAACCR item number, e.g. 400.
    pub number: u32,
    pub name: String,
    /// Maximum length (exact length for digits, alpha and mixed).
    pub length: u32,
    pub data_type: DataType,
    pub padding: Padding,
    pub level: Level,
    pub record_types: RecordTypes,
    /// The group of the NAACCR "core" items the API documents in detail, when it is one.
    pub core_group: Option<&'static str>,
}

/// A NAACCR dictionary (base or user) with lookups by id and by number.
#[derive(Debug, Clone)]
pub struct Dictionary {
    /// `dictionaryUri`, e.g. `http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml`.
    pub uri: String,
    /// `naaccrVersion`, e.g. `260`.
    pub version: String,
    items: Vec<ItemDef>,
    by_id: HashMap<String, usize>,
    by_number: HashMap<u32, usize>,
}

/// The compact form of a built-in item in `items.rs`.
pub(super) struct BuiltinItem {
    pub id: &'static str,
    pub number: u32,
    pub name: &'static str,
    pub length: u32,
    pub data_type: DataType,
    pub padding: Padding,
    pub level: Level,
    pub record_types: &'static str,
    pub versions: u8,
    pub core: Option<&'static str>,
}

static V260_DICT: LazyLock<Dictionary> = LazyLock::new(|| builtin(V260, "260"));
static V250_DICT: LazyLock<Dictionary> = LazyLock::new(|| builtin(V250, "250"));

fn builtin(version_bit: u8, version: &str) -> Dictionary {
    let items = ITEMS
        .iter()
        .filter(|b| b.versions & version_bit != 0)
        .map(|b| ItemDef {
            id: b.id.to_string(),
            number: b.number,
            name: b.name.to_string(),
            length: b.length,
            data_type: b.data_type,
            padding: b.padding,
            level: b.level,
            record_types: RecordTypes::parse(b.record_types),
            core_group: b.core,
        })
        .collect();
    Dictionary::new(base_uri(version), version.to_string(), items)
}

/// The URI NAACCR gives the base dictionary of a version (`260` -> `.../naaccr-dictionary-260.xml`).
pub fn base_uri(version: &str) -> String {
    format!("http://naaccr.org/naaccrxml/naaccr-dictionary-{version}.xml")
}

impl Dictionary {
    /// Builds a dictionary; items keep the given order (the order files are written in).
    pub fn new(uri: String, version: String, items: Vec<ItemDef>) -> Dictionary {
        let by_id = items
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        let by_number = items
            .iter()
            .enumerate()
            .map(|(i, d)| (d.number, i))
            .collect();
        Dictionary {
            uri,
            version,
            items,
            by_id,
            by_number,
        }
    }

    /// The NAACCR 26 base dictionary (the version the service stores).
    pub fn v260() -> &'static Dictionary {
        &V260_DICT
    }

    /// The NAACCR 25 base dictionary (read and exported for older recipients).
    pub fn v250() -> &'static Dictionary {
        &V250_DICT
    }

    /// A built-in base dictionary by version (`"260"`, `"250"`).
    pub fn builtin(version: &str) -> Option<&'static Dictionary> {
        match version {
            "260" => Some(Dictionary::v260()),
            "250" => Some(Dictionary::v250()),
            _ => None,
        }
    }

    /// The item with this XML id.
    pub fn item(&self, id: &str) -> Option<&ItemDef> {
        self.by_id.get(id).map(|&i| &self.items[i])
    }

    /// The item with this NAACCR number.
    pub fn by_number(&self, number: u32) -> Option<&ItemDef> {
        self.by_number.get(&number).map(|&i| &self.items[i])
    }

    /// All items, in the dictionary's order (by item number for the built-in ones).
    pub fn items(&self) -> &[ItemDef] {
        &self.items
    }

    /// The position of an item in the dictionary order, for writing items in that order.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_level_match_the_published_dictionaries() {
        let count = |d: &Dictionary, l: Level| d.items().iter().filter(|i| i.level == l).count();
        let v260 = Dictionary::v260();
        assert_eq!(v260.items().len(), 771);
        assert_eq!(
            (
                count(v260, Level::Root),
                count(v260, Level::Patient),
                count(v260, Level::Tumor)
            ),
            (5, 49, 717)
        );
        let v250 = Dictionary::v250();
        assert_eq!(v250.items().len(), 780);
        assert_eq!(
            (
                count(v250, Level::Root),
                count(v250, Level::Patient),
                count(v250, Level::Tumor)
            ),
            (5, 49, 726)
        );
    }

    #[test]
    fn sex_was_replaced_by_sex_assigned_at_birth_in_v26() {
        assert!(Dictionary::v260().item("sex").is_none());
        assert_eq!(
            Dictionary::v260()
                .item("sexAssignedAtBirth")
                .map(|i| i.number),
            Some(225)
        );
        assert_eq!(
            Dictionary::v250().by_number(220).map(|i| i.id.as_str()),
            Some("sex")
        );
    }

    #[test]
    fn record_types_parse_and_filter() {
        let rt = RecordTypes::parse("A,M,C");
        assert!(rt.contains(RecordType::C));
        assert!(!rt.contains(RecordType::I));
        assert_eq!(rt.to_vec(), vec!["A", "M", "C"]);
        let name_last = Dictionary::v260().item("nameLast").map(|i| i.record_types);
        assert_eq!(name_last.map(|r| r.contains(RecordType::I)), Some(false));
    }
}
