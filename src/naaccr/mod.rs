//! NAACCR data standards: the data dictionary (v26 stored, v25 read), item values and their
//! validation, partial dates and code lists. Pure: no database, no HTTP.

pub mod codes;
pub mod convert;
pub mod date;
pub mod dictionary;
pub mod dictionary_xml;
mod icdo3;
mod items;
pub mod value;
pub mod xml;

pub use date::PartialDate;
pub use dictionary::{DataType, Dictionary, ItemDef, Level, RecordType};

/// Item values keyed by NAACCR XML id, as stored and exchanged. Values are strings: codes keep
/// their leading zeros.
pub type Items = std::collections::BTreeMap<String, String>;
