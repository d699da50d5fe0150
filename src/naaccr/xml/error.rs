//! The error every NAACCR XML reading step reports: a stable rule slug, a message, and where.
//!
//! Fatal errors stop the read (the file cannot be trusted any further); the others are
//! attached to the root, patient or tumor and reading goes on, so an import can list every
//! problem of a file at once.

use std::fmt;

use serde::Serialize;

/// Stable rule slugs (part of the API contract, like `value::Rule::slug`).
pub mod rules {
    /// Not well-formed XML (garbage, unbalanced or duplicated markup, bad references).
    pub const NOT_WELL_FORMED: &str = "not-well-formed";
    /// Declared or detected encoding unsupported, or bytes invalid for it.
    pub const ENCODING: &str = "encoding";
    /// A character XML 1.0 forbids (raw or as a character reference), e.g. BEL.
    pub const INVALID_CHARACTER: &str = "invalid-character";
    /// `<!DOCTYPE>` is refused: no DTDs, no entity expansion.
    pub const DOCTYPE: &str = "doctype";
    /// The root element is not `NaaccrData`.
    pub const ROOT_ELEMENT: &str = "root-element";
    /// Missing or wrong NAACCR namespace, undeclared prefix.
    pub const NAMESPACE: &str = "namespace";
    /// A required attribute is absent.
    pub const MISSING_ATTRIBUTE: &str = "missing-attribute";
    /// An attribute that is not allowed there, or an attribute value that is not allowed.
    pub const BAD_ATTRIBUTE: &str = "bad-attribute";
    /// The file names a dictionary (base or user) this service does not have.
    pub const UNKNOWN_DICTIONARY: &str = "unknown-dictionary";
    /// An element in the NAACCR namespace that the format does not define.
    pub const UNKNOWN_ELEMENT: &str = "unknown-element";
    /// Items, extensions and children out of order.
    pub const ELEMENT_ORDER: &str = "element-order";
    /// Character data where only elements are allowed.
    pub const UNEXPECTED_TEXT: &str = "unexpected-text";
    /// The same `naaccrId` twice in one element.
    pub const DUPLICATE_ITEM: &str = "duplicate-item";
    /// `naaccrNum` is not an integer.
    pub const BAD_NAACCR_NUM: &str = "bad-naaccr-num";
    /// `naaccrNum` is not the number of the id (non-fatal).
    pub const WRONG_NAACCR_NUM: &str = "wrong-naaccr-num";
    /// The id is in no dictionary of the file (non-fatal; value dropped by default).
    pub const UNKNOWN_ITEM: &str = "unknown-item";
    /// The id exists but not for the file's record type (non-fatal; value dropped by default).
    pub const RECORD_TYPE: &str = "record-type";
    /// The item is under another element than its dictionary level (non-fatal; kept).
    pub const WRONG_LEVEL: &str = "wrong-level";
    /// Value starts with a space (non-fatal).
    pub const LEADING_SPACE: &str = "leading-space";
    /// Value ends with a space (non-fatal).
    pub const TRAILING_SPACE: &str = "trailing-space";
    /// `timeGenerated` is not an ISO date-time (non-fatal).
    pub const TIME_GENERATED: &str = "time-generated";
    /// A resource limit of the reader was exceeded (items per element, value or event size...).
    pub const LIMIT: &str = "limit";
    /// The underlying stream failed.
    pub const IO: &str = "io";
}

/// One problem found in a NAACCR XML file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XmlError {
    /// Stable slug, see [`rules`]; value rules reuse `value::Rule::slug`.
    pub rule: &'static str,
    pub message: String,
    /// Fatal errors end the read.
    pub fatal: bool,
    /// 1-based line of the element (or of the parser position for syntax errors).
    pub line: Option<u64>,
    /// 1-based column in bytes of the UTF-8 text, where knowable.
    pub column: Option<u32>,
    /// The `naaccrId` concerned, when the error is about an item.
    pub item_id: Option<Box<str>>,
    /// 1-based index of the patient in the file, when inside a patient.
    pub patient: Option<u64>,
    /// 1-based index of the tumor within its patient, when inside a tumor.
    pub tumor: Option<u32>,
}

impl XmlError {
    /// A fatal error.
    pub fn fatal(rule: &'static str, message: impl Into<String>) -> XmlError {
        XmlError {
            rule,
            message: message.into(),
            fatal: true,
            line: None,
            column: None,
            item_id: None,
            patient: None,
            tumor: None,
        }
    }

    /// A non-fatal (validation) error.
    pub fn validation(rule: &'static str, message: impl Into<String>) -> XmlError {
        XmlError {
            fatal: false,
            ..XmlError::fatal(rule, message)
        }
    }

    /// Sets the position.
    pub fn at(mut self, line: u64, column: u64) -> XmlError {
        self.line = Some(line);
        self.column = Some(u32::try_from(column).unwrap_or(u32::MAX));
        self
    }

    /// Sets the item id.
    pub fn item(mut self, id: &str) -> XmlError {
        self.item_id = Some(id.into());
        self
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            _ => {}
        }
        if let Some(p) = self.patient {
            write!(f, "patient #{p}: ")?;
        }
        if let Some(t) = self.tumor {
            write!(f, "tumor #{t}: ")?;
        }
        if let Some(id) = &self.item_id {
            write!(f, "item {id}: ")?;
        }
        write!(f, "{} [{}]", self.message, self.rule)
    }
}

impl std::error::Error for XmlError {}
