//! Streaming NAACCR XML reader: root attributes and root items first, then one patient (with
//! its tumors) at a time, so only one patient is ever held in memory.
//!
//! Validation follows the reference library where it is stricter than nothing and the XSD where
//! the library is lenient: structure, namespace, order, attributes, duplicates and encoding
//! problems are fatal; dictionary problems (unknown ids, wrong level, lengths, types, dates)
//! are attached to the root/patient and reading goes on. Deliberate choices:
//! * a character XML 1.0 forbids (e.g. a raw BEL) is fatal (`invalid-character`), like any
//!   conforming parser, instead of the reference library's lenient read;
//! * `<!DOCTYPE>` is fatal: NAACCR files have none and refusing it rules out entity expansion;
//! * a user dictionary the service does not have is tolerated by default (its items become
//!   unknown), as the library does; [`MissingDictionary::Refuse`] makes it fatal. A missing
//!   *base* dictionary is always fatal.

use std::io::BufRead;
use std::sync::Arc;

use super::super::dictionary::{ItemDef, Level, RecordType};
use super::super::dictionary_xml::{
    base_uri_version, spec_number, DictionarySet, LoadedDictionary,
};
use super::super::value::{check_format, format_ok_fast, Rule};
use super::super::Items;
use super::error::{rules, XmlError};
use super::input::{utf8_input, Utf8Input};
use super::scan::{decode_text, AttrNs, Ns, Scanner, Tok};
use super::{IdMap, IdTable, NAACCR_NS};

/// How namespaces are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NamespaceMode {
    /// The NAACCR namespace is required (the XSD's rule).
    #[default]
    Strict,
    /// Un-namespaced elements count as NAACCR ones (legacy producers); prefixed elements of
    /// other namespaces are still extensions.
    Relaxed,
}

/// What to do with the value of an item no dictionary of the file allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownItems {
    /// Report and drop the value (reference library default).
    #[default]
    Drop,
    /// Report and keep the value.
    Keep,
}

/// What to do when `userDictionaryUri` names a dictionary the service does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingDictionary {
    /// Read on; its items are unknown items. The URI is listed in
    /// [`RootInfo::missing_user_dictionaries`].
    #[default]
    Tolerate,
    /// Refuse the file with an error naming the dictionary.
    Refuse,
}

/// Resource limits (bounded memory whatever the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `Item` elements in one root, patient or tumor.
    pub max_items_per_element: usize,
    /// Tumors in one patient.
    pub max_tumors_per_patient: usize,
    /// Bytes of one item value.
    pub max_value_bytes: usize,
    /// Bytes of one XML event (tag or text run) as buffered by the parser.
    pub max_event_bytes: usize,
    /// Nesting depth inside extension elements.
    pub max_extension_depth: usize,
    /// Errors kept per root/patient and by [`read_all`] (later ones are dropped).
    pub max_errors: usize,
    /// Bytes of ids and values in one patient (with its tumors), or in the root items.
    pub max_patient_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_items_per_element: 2_000,
            max_tumors_per_patient: 1_000,
            max_value_bytes: 64 * 1024,
            max_event_bytes: 1 << 20,
            max_extension_depth: 64,
            max_errors: 10_000,
            max_patient_bytes: 64 << 20,
        }
    }
}

/// Reader options; the defaults are the strict import rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    pub namespaces: NamespaceMode,
    pub unknown_items: UnknownItems,
    /// Data-type, full-length and date checks (length is always checked).
    pub validate_values: bool,
    pub missing_user_dictionary: MissingDictionary,
    pub limits: Limits,
}

impl Default for ReaderOptions {
    fn default() -> ReaderOptions {
        ReaderOptions {
            namespaces: NamespaceMode::Strict,
            unknown_items: UnknownItems::Drop,
            validate_values: true,
            missing_user_dictionary: MissingDictionary::Tolerate,
            limits: Limits::default(),
        }
    }
}

/// The root element: attributes, root items and their non-fatal errors.
#[derive(Debug, Clone)]
pub struct RootInfo {
    pub base_dictionary_uri: String,
    /// NAACCR version from the base URI (`"240"`).
    pub naaccr_version: String,
    pub user_dictionary_uris: Vec<String>,
    /// User dictionaries named by the file that the service does not have.
    pub missing_user_dictionaries: Vec<String>,
    pub record_type: RecordType,
    pub specification_version: String,
    pub time_generated: Option<String>,
    /// Attributes in other namespaces, as `{namespace}local` and value.
    pub extra_attributes: Vec<(String, String)>,
    pub items: Items,
    pub errors: Vec<XmlError>,
    pub line: u64,
}

/// One tumor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tumor {
    pub items: Items,
    pub line: u64,
}

/// One patient with its tumors and the non-fatal errors found in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patient {
    pub items: Items,
    pub tumors: Vec<Tumor>,
    /// Line of the `<Patient>` tag (0 for patients built in memory).
    pub line: u64,
    pub errors: Vec<XmlError>,
}

/// Marks a record slot whose id is not in the dictionaries (kept with `UnknownItems::Keep`).
pub(super) const UNKNOWN_ID: u32 = 1 << 31;

#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    pub(super) name: u32,
    pub(super) start: usize,
    pub(super) end: usize,
}

#[derive(Debug, Clone)]
pub(super) struct TumorSlot {
    pub(super) line: u64,
    pub(super) items: std::ops::Range<usize>,
}

/// One patient as a flat record that [`NaaccrXmlReader::next_patient_into`] refills in place:
/// the fastest way to read a file, since no map is built and no string is allocated per item
/// once the record has grown to the size of a patient. [`PatientRecord::to_patient`] gives the
/// [`Patient`] form.
#[derive(Debug, Clone, Default)]
pub struct PatientRecord {
    /// Line of the `<Patient>` tag.
    pub line: u64,
    /// Non-fatal errors found in the patient and its tumors.
    pub errors: Vec<XmlError>,
    pub(super) names: Arc<[Box<str>]>,
    pub(super) unknown_names: Vec<Box<str>>,
    pub(super) slots: Vec<Slot>,
    /// Values, UTF-8 (checked or decoded by the reader).
    pub(super) text: Vec<u8>,
    pub(super) patient_items: usize,
    pub(super) tumors: Vec<TumorSlot>,
}

/// The items of a patient or tumor of a [`PatientRecord`], as `(naaccrId, value)` in document
/// order; empty items are not listed.
#[derive(Clone)]
pub struct RecordItems<'a> {
    record: &'a PatientRecord,
    slots: std::slice::Iter<'a, Slot>,
}

impl<'a> Iterator for RecordItems<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let s = self.slots.next()?;
        Some(self.record.slot(s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl ExactSizeIterator for RecordItems<'_> {}

/// A tumor of a [`PatientRecord`].
#[derive(Clone, Copy)]
pub struct TumorRecord<'a> {
    record: &'a PatientRecord,
    index: usize,
}

impl<'a> TumorRecord<'a> {
    /// Line of the `<Tumor>` tag.
    pub fn line(&self) -> u64 {
        self.record.tumors[self.index].line
    }

    pub fn items(&self) -> RecordItems<'a> {
        let r = self.record.tumors[self.index].items.clone();
        RecordItems {
            record: self.record,
            slots: self.record.slots[r].iter(),
        }
    }
}

impl PatientRecord {
    /// An empty record, to pass to [`NaaccrXmlReader::next_patient_into`].
    pub fn new() -> PatientRecord {
        PatientRecord::default()
    }

    fn clear(&mut self) {
        self.line = 0;
        self.errors.clear();
        self.unknown_names.clear();
        self.slots.clear();
        self.text.clear();
        self.patient_items = 0;
        self.tumors.clear();
    }

    fn slot(&self, s: &Slot) -> (&str, &str) {
        let name: &str = if s.name & UNKNOWN_ID != 0 {
            self.unknown_names
                .get((s.name & !UNKNOWN_ID) as usize)
                .map_or("", |n| n)
        } else {
            self.names.get(s.name as usize).map_or("", |n| n)
        };
        let value = self
            .text
            .get(s.start..s.end)
            .and_then(|v| std::str::from_utf8(v).ok())
            .unwrap_or("");
        (name, value)
    }

    /// The patient-level items.
    pub fn items(&self) -> RecordItems<'_> {
        RecordItems {
            record: self,
            slots: self.slots[..self.patient_items].iter(),
        }
    }

    /// The value of a patient-level item.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.items().find(|(n, _)| *n == id).map(|(_, v)| v)
    }

    /// Number of tumors.
    pub fn tumor_count(&self) -> usize {
        self.tumors.len()
    }

    /// The tumors, in document order.
    pub fn tumors(&self) -> impl ExactSizeIterator<Item = TumorRecord<'_>> + '_ {
        (0..self.tumors.len()).map(move |index| TumorRecord {
            record: self,
            index,
        })
    }

    fn items_map(&self, slots: &[Slot]) -> Items {
        slots
            .iter()
            .map(|s| {
                let (n, v) = self.slot(s);
                (n.to_string(), v.to_string())
            })
            .collect()
    }

    /// The record as a [`Patient`] (maps of owned strings).
    pub fn to_patient(&self) -> Patient {
        let mut p = self.patient_without_errors();
        p.errors = self.errors.clone();
        p
    }

    fn patient_without_errors(&self) -> Patient {
        Patient {
            items: self.items_map(&self.slots[..self.patient_items]),
            tumors: self
                .tumors
                .iter()
                .map(|t| Tumor {
                    items: self.items_map(&self.slots[t.items.clone()]),
                    line: t.line,
                })
                .collect(),
            line: self.line,
            errors: Vec::new(),
        }
    }

    fn take_patient(&mut self) -> Patient {
        let mut p = self.patient_without_errors();
        p.errors = std::mem::take(&mut self.errors);
        p
    }
}

struct RtItem {
    index: usize,
    def: ItemDef,
    allowed: bool,
    unlimited: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Items,
    Extensions,
    Children,
}

enum Next {
    Child {
        line: u64,
        column: u64,
        empty: bool,
        attrs_ok: Result<(), XmlError>,
    },
    End,
}

enum State {
    /// A `<Patient>` start was read while finishing the root items.
    Pending {
        line: u64,
        empty: bool,
    },
    Reading,
    Done,
    Failed,
}

/// Where an item is: its element and position, for the errors about it.
#[derive(Clone, Copy)]
struct Place {
    level: Level,
    line: u64,
    column: u64,
    patient: Option<u64>,
    tumor: Option<u32>,
}

/// The dictionary side of reading: item lookup, duplicates, limits and value checks.
struct Checker {
    ids: IdTable,
    items: Vec<RtItem>,
    names: Arc<[Box<str>]>,
    /// Duplicate detection: `stamps[item index] == generation` when the item was seen in the
    /// current element (no per-element clearing or hashing).
    stamps: Vec<u32>,
    generation: u32,
    seen_unknown: Vec<Box<[u8]>>,
    seen_count: usize,
    element_bytes: usize,
    options: ReaderOptions,
    record_type: RecordType,
    item_count: u64,
}

impl Checker {
    fn new_element(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamps.fill(0);
            self.generation = 1;
        }
        self.seen_unknown.clear();
        self.seen_count = 0;
    }

    /// Checks one item and stores it in `rec`. `plain` says the value is known to be ASCII
    /// without control characters.
    #[allow(clippy::too_many_arguments)]
    fn item(
        &mut self,
        id: &[u8],
        num: Option<u32>,
        value: &[u8],
        plain: bool,
        rec: &mut PatientRecord,
        at: Place,
    ) -> Result<(), XmlError> {
        let here = |e: XmlError| {
            let mut e = e.at(at.line, at.column).item(&String::from_utf8_lossy(id));
            e.patient = at.patient;
            e.tumor = at.tumor;
            e
        };
        let limits = &self.options.limits;
        if value.len() > limits.max_value_bytes {
            return Err(here(XmlError::fatal(
                rules::LIMIT,
                format!("item value longer than {} bytes", limits.max_value_bytes),
            )));
        }
        self.element_bytes += id.len() + value.len();
        if self.element_bytes > limits.max_patient_bytes {
            return Err(here(XmlError::fatal(
                rules::LIMIT,
                format!(
                    "more than {} bytes of item values in one patient",
                    limits.max_patient_bytes
                ),
            )));
        }
        self.seen_count += 1;
        if self.seen_count > limits.max_items_per_element {
            return Err(here(XmlError::fatal(
                rules::LIMIT,
                format!(
                    "more than {} items in one {}",
                    limits.max_items_per_element,
                    at.level.xml_element()
                ),
            )));
        }
        let max_errors = limits.max_errors;
        let rt = self.ids.get(id).and_then(|i| self.items.get(i));
        // Empty items and dropped unknown ones count for duplicates too, hence a separate
        // record instead of looking into the items.
        let duplicate = match rt {
            Some(rt) => {
                let stamp = &mut self.stamps[rt.index];
                let dup = *stamp == self.generation;
                *stamp = self.generation;
                dup
            }
            None => {
                let dup = self.seen_unknown.iter().any(|u| &**u == id);
                if !dup {
                    self.seen_unknown.push(id.into());
                }
                dup
            }
        };
        if duplicate {
            return Err(here(XmlError::fatal(
                rules::DUPLICATE_ITEM,
                format!(
                    "item {} appears twice in the same {}",
                    String::from_utf8_lossy(id),
                    at.level.xml_element()
                ),
            )));
        }
        if value.is_empty() {
            return Ok(());
        }
        if !plain {
            let s = std::str::from_utf8(value).map_err(|e| {
                here(XmlError::fatal(
                    rules::ENCODING,
                    format!("invalid text: {e}"),
                ))
            })?;
            check_chars(s).map_err(|m| here(XmlError::fatal(rules::INVALID_CHARACTER, m)))?;
        }
        let id_str = || String::from_utf8_lossy(id);
        let errors = &mut rec.errors;
        let rt = match rt {
            Some(rt) if rt.allowed => rt,
            _ => {
                push_error(
                    errors,
                    max_errors,
                    here(match rt {
                        None => XmlError::validation(
                            rules::UNKNOWN_ITEM,
                            format!("unknown NAACCR ID: {}", id_str()),
                        ),
                        Some(_) => XmlError::validation(
                            rules::RECORD_TYPE,
                            format!(
                                "item {} is not allowed in record type {} files",
                                id_str(),
                                self.record_type.as_str()
                            ),
                        ),
                    }),
                );
                if self.options.unknown_items == UnknownItems::Keep {
                    let name = match rt {
                        Some(rt) => rt.index as u32,
                        None => {
                            rec.unknown_names.push(id_str().into());
                            UNKNOWN_ID | (rec.unknown_names.len() - 1) as u32
                        }
                    };
                    self.item_count += 1;
                    store(rec, name, value);
                }
                return Ok(());
            }
        };
        let def = &rt.def;
        let mut item_errors = 0;
        if let Some(n) = num {
            if n != def.number {
                item_errors += 1;
                push_error(
                    errors,
                    max_errors,
                    here(XmlError::validation(
                        rules::WRONG_NAACCR_NUM,
                        format!(
                            "wrong NAACCR number for {}: expected {} but got {n}",
                            def.id, def.number
                        ),
                    )),
                );
            }
        }
        if def.level != at.level {
            item_errors += 1;
            push_error(
                errors,
                max_errors,
                here(XmlError::validation(
                    rules::WRONG_LEVEL,
                    format!(
                        "invalid data level for {}: expected {} but found {}",
                        def.id,
                        def.level.xml_element(),
                        at.level.xml_element()
                    ),
                )),
            );
        }
        if let Some(e) = self.check_value(rt, value) {
            item_errors += 1;
            push_error(errors, max_errors, here(e));
        }
        if item_errors == 0 {
            let b = value;
            if b.first() == Some(&b' ') {
                push_error(
                    errors,
                    max_errors,
                    here(XmlError::validation(
                        rules::LEADING_SPACE,
                        "value starts with a space",
                    )),
                );
            } else if b.last() == Some(&b' ') {
                push_error(
                    errors,
                    max_errors,
                    here(XmlError::validation(
                        rules::TRAILING_SPACE,
                        "value ends with a space",
                    )),
                );
            }
        }
        self.item_count += 1;
        store(rec, rt.index as u32, value);
        Ok(())
    }

    fn check_value(&self, rt: &RtItem, value: &[u8]) -> Option<XmlError> {
        let def = &rt.def;
        if self.options.validate_values && format_ok_fast(def, value) {
            return None;
        }
        let value = std::str::from_utf8(value).unwrap_or("");
        if self.options.validate_values {
            match check_format(def, value) {
                Ok(()) => None,
                Err(e) if e.rule == Rule::TooLong && rt.unlimited => None,
                Err(e) => Some(XmlError::validation(e.rule.slug(), e.message)),
            }
        } else {
            if value.len() <= def.length as usize {
                return None;
            }
            let len = value.chars().count();
            (len > def.length as usize && !rt.unlimited).then(|| {
                XmlError::validation(
                    Rule::TooLong.slug(),
                    format!(
                        "value too long, expected at most {} but got {len}",
                        def.length
                    ),
                )
            })
        }
    }
}

fn store(rec: &mut PatientRecord, name: u32, value: &[u8]) {
    let start = rec.text.len();
    rec.text.extend_from_slice(value);
    rec.slots.push(Slot {
        name,
        start,
        end: rec.text.len(),
    });
}

/// The streaming reader. Create with [`NaaccrXmlReader::new`], then call
/// [`NaaccrXmlReader::next_patient`] (or iterate) until `None`, or
/// [`NaaccrXmlReader::next_patient_into`] with a reused [`PatientRecord`] (faster).
pub struct NaaccrXmlReader<R: BufRead> {
    scan: Scanner<Utf8Input<R>>,
    value: String,
    id_buf: String,
    check: Checker,
    spare: PatientRecord,
    root: RootInfo,
    root_phase: Phase,
    state: State,
    patients: u64,
    tumor_count: u64,
    encoding: &'static str,
}

impl<R: BufRead> NaaccrXmlReader<R> {
    /// Reads the prolog, the root element and the root items. Fails on anything fatal up to
    /// the first patient, including a base dictionary that `dictionaries` lacks.
    pub fn new(
        input: R,
        dictionaries: &DictionarySet,
        options: ReaderOptions,
    ) -> Result<NaaccrXmlReader<R>, XmlError> {
        let (utf8, encoding) = utf8_input(input)?;
        let mut reader = NaaccrXmlReader {
            scan: Scanner::new(utf8, options.limits.max_event_bytes),
            value: String::with_capacity(256),
            id_buf: String::with_capacity(32),
            check: Checker {
                ids: IdTable::default(),
                items: Vec::new(),
                names: Arc::from(Vec::new()),
                stamps: Vec::new(),
                generation: 0,
                seen_unknown: Vec::new(),
                seen_count: 0,
                element_bytes: 0,
                options,
                record_type: RecordType::A,
                item_count: 0,
            },
            spare: PatientRecord::default(),
            root: RootInfo {
                base_dictionary_uri: String::new(),
                naaccr_version: String::new(),
                user_dictionary_uris: Vec::new(),
                missing_user_dictionaries: Vec::new(),
                record_type: RecordType::A,
                specification_version: String::new(),
                time_generated: None,
                extra_attributes: Vec::new(),
                items: Items::new(),
                errors: Vec::new(),
                line: 0,
            },
            root_phase: Phase::Items,
            state: State::Reading,
            patients: 0,
            tumor_count: 0,
            encoding,
        };
        reader.start(dictionaries)?;
        Ok(reader)
    }

    /// The root element, complete with root items.
    pub fn root(&self) -> &RootInfo {
        &self.root
    }

    /// The encoding the input was decoded from.
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    /// Patients, tumors and non-empty items (root items included) delivered so far.
    pub fn counts(&self) -> (u64, u64, u64) {
        (self.patients, self.tumor_count, self.check.item_count)
    }

    fn options(&self) -> &ReaderOptions {
        &self.check.options
    }

    /// The next patient, `None` after the end of the root element. After a fatal error every
    /// later call returns `None`.
    pub fn next_patient(&mut self) -> Result<Option<Patient>, XmlError> {
        let mut rec = std::mem::take(&mut self.spare);
        let r = self.next_patient_into(&mut rec);
        let out = match r {
            Ok(true) => Ok(Some(rec.take_patient())),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        };
        self.spare = rec;
        out
    }

    /// Reads the next patient into `record`, reusing its memory: `Ok(false)` after the end of
    /// the root element. The same checks and errors as [`NaaccrXmlReader::next_patient`].
    pub fn next_patient_into(&mut self, record: &mut PatientRecord) -> Result<bool, XmlError> {
        record.clear();
        if !Arc::ptr_eq(&record.names, &self.check.names) {
            record.names = self.check.names.clone();
        }
        match self.next_patient_inner(record) {
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
            ok => ok,
        }
    }

    fn start(&mut self, dictionaries: &DictionarySet) -> Result<(), XmlError> {
        let empty = loop {
            match self.scan.next()? {
                Tok::Misc | Tok::Text { ws: true } => {}
                Tok::Start { empty } => {
                    let (line, column) = (self.scan.tok_line, self.scan.tok_col);
                    if self.scan.local_name() != b"NaaccrData" {
                        return Err(XmlError::fatal(
                            rules::ROOT_ELEMENT,
                            format!(
                                "root element must be NaaccrData, found {}",
                                String::from_utf8_lossy(self.scan.qname())
                            ),
                        )
                        .at(line, column));
                    }
                    self.check_ns(self.scan.ns, "NaaccrData", line, column)?;
                    self.root.line = line;
                    self.root_attributes(line, column)?;
                    break empty;
                }
                Tok::Eof => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "no root element (not an XML document)",
                    )
                    .at(self.scan.tok_line, self.scan.tok_col))
                }
                _ => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "content before the root element is not XML markup",
                    )
                    .at(self.scan.tok_line, self.scan.tok_col))
                }
            }
        };
        self.resolve_dictionaries(dictionaries)?;
        if empty {
            self.finish_document()?;
            self.state = State::Done;
            return Ok(());
        }
        let mut rec = PatientRecord {
            names: self.check.names.clone(),
            ..PatientRecord::default()
        };
        let mut phase = Phase::Items;
        let next = self.read_content(Level::Root, &mut rec, &mut phase, None, None)?;
        self.root.items = rec.items_map(&rec.slots);
        self.root.errors.append(&mut rec.errors);
        self.root_phase = phase;
        match next {
            Next::Child {
                line,
                empty,
                attrs_ok,
                ..
            } => {
                attrs_ok?;
                self.state = State::Pending { line, empty };
            }
            Next::End => {
                self.finish_document()?;
                self.state = State::Done;
            }
        }
        Ok(())
    }

    fn next_patient_inner(&mut self, rec: &mut PatientRecord) -> Result<bool, XmlError> {
        let (line, empty) = match std::mem::replace(&mut self.state, State::Reading) {
            State::Done | State::Failed => {
                self.state = State::Done;
                return Ok(false);
            }
            State::Pending { line, empty } => (line, empty),
            State::Reading => {
                // Only extensions, comments and blanks may come between patients: items here
                // are an order error.
                let mut phase = self.root_phase;
                let next = self.read_content(Level::Root, rec, &mut phase, None, None)?;
                rec.clear();
                match next {
                    Next::Child {
                        line,
                        empty,
                        attrs_ok,
                        ..
                    } => {
                        attrs_ok?;
                        (line, empty)
                    }
                    Next::End => {
                        self.finish_document()?;
                        self.state = State::Done;
                        return Ok(false);
                    }
                }
            }
        };
        self.patients += 1;
        self.check.element_bytes = 0;
        let pno = self.patients;
        rec.line = line;
        if empty {
            return Ok(true);
        }
        let mut phase = Phase::Items;
        loop {
            let next = self
                .read_content(Level::Patient, rec, &mut phase, Some(pno), None)
                .map_err(|e| with_place(e, Some(pno), None))?;
            if rec.tumors.is_empty() {
                rec.patient_items = rec.slots.len();
            }
            match next {
                Next::End => break,
                Next::Child {
                    line,
                    empty,
                    attrs_ok,
                    ..
                } => {
                    attrs_ok.map_err(|e| with_place(e, Some(pno), None))?;
                    let max_tumors = self.options().limits.max_tumors_per_patient;
                    if rec.tumors.len() >= max_tumors {
                        return Err(with_place(
                            XmlError::fatal(
                                rules::LIMIT,
                                format!("more than {max_tumors} tumors in one patient"),
                            )
                            .at(line, 0),
                            Some(pno),
                            None,
                        ));
                    }
                    let tno = rec.tumors.len() as u32 + 1;
                    let first = rec.slots.len();
                    if !empty {
                        let mut tphase = Phase::Items;
                        let next = self
                            .read_content(Level::Tumor, rec, &mut tphase, Some(pno), Some(tno))
                            .map_err(|e| with_place(e, Some(pno), Some(tno)))?;
                        if let Next::Child { line, column, .. } = next {
                            return Err(XmlError::fatal(
                                rules::UNKNOWN_ELEMENT,
                                "a Tumor cannot contain a Tumor",
                            )
                            .at(line, column));
                        }
                    }
                    rec.tumors.push(TumorSlot {
                        line,
                        items: first..rec.slots.len(),
                    });
                    self.tumor_count += 1;
                }
            }
        }
        Ok(true)
    }

    /// After `</NaaccrData>`: only comments, processing instructions and blanks may follow.
    fn finish_document(&mut self) -> Result<(), XmlError> {
        loop {
            match self.scan.next()? {
                Tok::Misc | Tok::Text { ws: true } => {}
                Tok::Eof => return Ok(()),
                _ => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "content after the root element",
                    )
                    .at(self.scan.tok_line, self.scan.tok_col))
                }
            }
        }
    }

    fn check_ns(&self, ns: Ns, what: &str, line: u64, column: u64) -> Result<(), XmlError> {
        match (ns, self.options().namespaces) {
            (Ns::Naaccr, _) | (Ns::None, NamespaceMode::Relaxed) => Ok(()),
            (Ns::None, NamespaceMode::Strict) => Err(XmlError::fatal(
                rules::NAMESPACE,
                format!("NAACCR namespace must be defined: {what} is in no namespace (expected xmlns=\"{NAACCR_NS}\")"),
            )
            .at(line, column)),
            (Ns::Other, _) => Err(XmlError::fatal(
                rules::NAMESPACE,
                format!("{what} must be in the NAACCR namespace {NAACCR_NS}"),
            )
            .at(line, column)),
        }
    }

    fn root_attributes(&mut self, line: u64, column: u64) -> Result<(), XmlError> {
        let fail = |rule, m: String| XmlError::fatal(rule, m).at(line, column);
        let relaxed = self.options().namespaces == NamespaceMode::Relaxed;
        let mut base = None;
        let mut user = None;
        let mut record_type = None;
        let mut spec = None;
        let mut time = None;
        for a in &self.scan.attrs {
            let ns = self.scan.attr_ns(a);
            if matches!(ns, AttrNs::Binding) {
                continue;
            }
            let value = self.scan.attr_value(a).map_err(|e| e.at(line, column))?;
            check_chars(&value).map_err(|m| fail(rules::INVALID_CHARACTER, m))?;
            let local = String::from_utf8_lossy(self.scan.attr_local(a)).into_owned();
            match ns {
                AttrNs::Binding | AttrNs::Unbound => {}
                AttrNs::Bound(n) if n != NAACCR_NS.as_bytes() => {
                    self.root
                        .extra_attributes
                        .push((format!("{{{}}}{local}", String::from_utf8_lossy(n)), value));
                    continue;
                }
                AttrNs::Bound(_) => {
                    return Err(fail(
                        rules::BAD_ATTRIBUTE,
                        format!("attribute {local} may not be in the NAACCR namespace"),
                    ))
                }
                AttrNs::Unknown(p) => {
                    return Err(fail(
                        rules::NAMESPACE,
                        format!("undeclared namespace prefix {}", String::from_utf8_lossy(p)),
                    ))
                }
            }
            let v = value;
            match local.as_str() {
                "baseDictionaryUri" => base = Some(v.trim().to_string()),
                "userDictionaryUri" => user = Some(v),
                "recordType" => record_type = Some(v),
                "specificationVersion" => spec = Some(v.trim().to_string()),
                "timeGenerated" => time = Some(v),
                _ if relaxed => {
                    self.root.extra_attributes.push((local, v));
                }
                _ => {
                    return Err(fail(
                        rules::BAD_ATTRIBUTE,
                        format!("attribute {local} is not allowed on NaaccrData (extensions need a namespace prefix)"),
                    ))
                }
            }
        }
        let base = base.ok_or_else(|| {
            fail(
                rules::MISSING_ATTRIBUTE,
                "NaaccrData lacks the required baseDictionaryUri attribute".into(),
            )
        })?;
        let rt = record_type.ok_or_else(|| {
            fail(
                rules::MISSING_ATTRIBUTE,
                "NaaccrData lacks the required recordType attribute".into(),
            )
        })?;
        self.root.record_type = RecordType::parse(rt.trim()).ok_or_else(|| {
            fail(
                rules::BAD_ATTRIBUTE,
                format!("recordType {rt:?} is not one of A, M, C, I"),
            )
        })?;
        let spec = match spec {
            Some(s) => s,
            None if relaxed => "1.0".to_string(),
            None => {
                return Err(fail(
                    rules::MISSING_ATTRIBUTE,
                    "NaaccrData lacks the required specificationVersion attribute".into(),
                ))
            }
        };
        let spec_no = spec_number(&spec).ok_or_else(|| {
            fail(
                rules::BAD_ATTRIBUTE,
                format!("unknown specificationVersion {spec:?}"),
            )
        })?;
        let users: Vec<String> = user
            .as_deref()
            .unwrap_or("")
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect();
        if users.len() > 1 && spec_no < 12 {
            return Err(fail(
                rules::BAD_ATTRIBUTE,
                format!(
                    "several user dictionaries need specification 1.2 or later, file says {spec}"
                ),
            ));
        }
        let version = base_uri_version(&base).ok_or_else(|| {
            fail(
                rules::UNKNOWN_DICTIONARY,
                format!("baseDictionaryUri {base:?} is not a NAACCR base dictionary URI"),
            )
        })?;
        self.root.naaccr_version = version.to_string();
        if let Some(t) = &time {
            if !is_iso_date_time(t.trim()) {
                self.root.errors.push(
                    XmlError::validation(
                        rules::TIME_GENERATED,
                        format!("timeGenerated {t:?} is not an ISO-8601 date-time"),
                    )
                    .at(line, column),
                );
            }
        }
        self.root.base_dictionary_uri = base;
        self.root.user_dictionary_uris = users;
        self.root.specification_version = spec;
        self.root.time_generated = time;
        Ok(())
    }

    fn resolve_dictionaries(&mut self, set: &DictionarySet) -> Result<(), XmlError> {
        let line = self.root.line;
        let base = set
            .base_by_uri(&self.root.base_dictionary_uri)
            .ok_or_else(|| {
                XmlError::fatal(
                    rules::UNKNOWN_DICTIONARY,
                    format!(
                        "base dictionary {} is not available (this service has NAACCR versions {})",
                        self.root.base_dictionary_uri,
                        set.versions().join(", ")
                    ),
                )
                .at(line, 0)
            })?;
        let mut dicts: Vec<Arc<LoadedDictionary>> = vec![base.clone()];
        for uri in &self.root.user_dictionary_uris {
            match set.user(uri) {
                Some(d) => dicts.push(d.clone()),
                None => match self.check.options.missing_user_dictionary {
                    MissingDictionary::Tolerate => {
                        self.root.missing_user_dictionaries.push(uri.clone())
                    }
                    MissingDictionary::Refuse => {
                        return Err(XmlError::fatal(
                            rules::UNKNOWN_DICTIONARY,
                            format!("user dictionary {uri} is not available"),
                        )
                        .at(line, 0))
                    }
                },
            }
        }
        let rt = self.root.record_type;
        let mut names = Vec::new();
        let mut seen: IdMap<()> = IdMap::default();
        for d in &dicts {
            for def in d.dictionary.items() {
                // The base dictionary was inserted first and wins over a user redefinition.
                if seen.insert(def.id.clone().into_boxed_str(), ()).is_some() {
                    continue;
                }
                let index = self.check.items.len();
                names.push(def.id.clone().into_boxed_str());
                self.check.items.push(RtItem {
                    index,
                    def: def.clone(),
                    allowed: def.record_types.contains(rt),
                    unlimited: d.unlimited_text.contains(&def.id),
                });
            }
        }
        self.check.ids = IdTable::new(names.iter().map(|n| &**n));
        self.check.names = Arc::from(names);
        self.check.stamps = vec![0; self.check.items.len()];
        self.check.record_type = rt;
        Ok(())
    }

    /// Reads the content of a root/patient/tumor element up to its first child (`Patient` or
    /// `Tumor`) or its end. Items go to `rec`, with their errors.
    fn read_content(
        &mut self,
        level: Level,
        rec: &mut PatientRecord,
        phase: &mut Phase,
        patient: Option<u64>,
        tumor: Option<u32>,
    ) -> Result<Next, XmlError> {
        let child: &[u8] = match level {
            Level::Root => b"Patient",
            Level::Patient => b"Tumor",
            Level::Tumor => b"",
        };
        if *phase == Phase::Items {
            self.check.new_element();
        }
        let relaxed = self.options().namespaces == NamespaceMode::Relaxed;
        loop {
            if *phase == Phase::Items
                && (self.scan.default_ns == Ns::Naaccr
                    || (relaxed && self.scan.default_ns == Ns::None))
            {
                self.scan.skip_ws()?;
                if let Some(fi) = self.scan.fast_item()? {
                    let id = &self.scan.buf[fi.id.clone()];
                    let at = Place {
                        level,
                        line: fi.line,
                        column: fi.column,
                        patient,
                        tumor,
                    };
                    let raw = &self.scan.buf[fi.value.clone()];
                    let value: &[u8] = if fi.needs_decode {
                        self.value.clear();
                        decode_text(raw, &mut self.value, false).map_err(|(rule, m)| {
                            let mut e = XmlError::fatal(rule, m)
                                .at(at.line, at.column)
                                .item(&String::from_utf8_lossy(id));
                            e.patient = patient;
                            e.tumor = tumor;
                            e
                        })?;
                        self.value.as_bytes()
                    } else {
                        // Only ASCII without controls, as `value_end` said.
                        raw
                    };
                    self.check
                        .item(id, None, value, !fi.needs_decode, rec, at)?;
                    continue;
                }
            }
            let tok = self.scan.next()?;
            let (line, column) = (self.scan.tok_line, self.scan.tok_col);
            match tok {
                Tok::Misc => {}
                Tok::Start { empty } => {
                    let ns = self.scan.ns;
                    let naaccr = ns == Ns::Naaccr || (ns == Ns::None && relaxed);
                    if !naaccr {
                        let name = String::from_utf8_lossy(self.scan.qname()).into_owned();
                        if ns == Ns::None {
                            return Err(XmlError::fatal(
                                rules::NAMESPACE,
                                format!("element {name} is in no namespace; extensions need their own namespace"),
                            )
                            .at(line, column));
                        }
                        if *phase == Phase::Children {
                            return Err(XmlError::fatal(
                                rules::ELEMENT_ORDER,
                                format!(
                                    "extension element {name} after the {} elements",
                                    String::from_utf8_lossy(child)
                                ),
                            )
                            .at(line, column));
                        }
                        *phase = Phase::Extensions;
                        if !empty {
                            self.skip_extension()?;
                        }
                        continue;
                    }
                    let local = self.scan.local_name();
                    if local == b"Item" {
                        if *phase != Phase::Items {
                            return Err(XmlError::fatal(
                                rules::ELEMENT_ORDER,
                                "Item after an extension or child element",
                            )
                            .at(line, column));
                        }
                        let num = item_attributes(&self.scan, &mut self.id_buf)
                            .map_err(|er| er.at(line, column))?;
                        self.value.clear();
                        if !empty {
                            read_item_text(
                                &mut self.scan,
                                &mut self.value,
                                self.check.options.limits.max_value_bytes,
                            )
                            .map_err(|e| e.item(&self.id_buf))?;
                        }
                        let at = Place {
                            level,
                            line,
                            column,
                            patient,
                            tumor,
                        };
                        self.check.item(
                            self.id_buf.as_bytes(),
                            num,
                            self.value.as_bytes(),
                            false,
                            rec,
                            at,
                        )?;
                    } else if !child.is_empty() && local == child {
                        *phase = Phase::Children;
                        let attrs_ok =
                            no_attributes(&self.scan, child).map_err(|er| er.at(line, column));
                        return Ok(Next::Child {
                            line,
                            column,
                            empty,
                            attrs_ok,
                        });
                    } else {
                        return Err(XmlError::fatal(
                            rules::UNKNOWN_ELEMENT,
                            format!(
                                "unknown element {} in {}",
                                String::from_utf8_lossy(self.scan.qname()),
                                level.xml_element()
                            ),
                        )
                        .at(line, column));
                    }
                }
                Tok::End => return Ok(Next::End),
                Tok::Text { ws } => {
                    if !ws {
                        return Err(XmlError::fatal(
                            rules::UNEXPECTED_TEXT,
                            format!("text is not allowed directly in {}", level.xml_element()),
                        )
                        .at(line, column));
                    }
                }
                Tok::Eof => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        format!(
                            "unexpected end of file inside {} (unbalanced tags)",
                            level.xml_element()
                        ),
                    )
                    .at(line, column))
                }
                Tok::CData => {
                    return Err(XmlError::fatal(
                        rules::UNEXPECTED_TEXT,
                        format!(
                            "character data is not allowed directly in {}",
                            level.xml_element()
                        ),
                    )
                    .at(line, column))
                }
            }
        }
    }

    fn skip_extension(&mut self) -> Result<(), XmlError> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.scan.next()? {
                Tok::Start { empty: false } => {
                    depth += 1;
                    if depth > self.options().limits.max_extension_depth {
                        return Err(XmlError::fatal(rules::LIMIT, "extension nested too deeply")
                            .at(self.scan.tok_line, self.scan.tok_col));
                    }
                }
                Tok::End => depth -= 1,
                Tok::Eof => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "unexpected end of file inside an extension",
                    )
                    .at(self.scan.tok_line, self.scan.tok_col))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The text of an `Item` after its start tag, through its end tag.
fn read_item_text<R: std::io::Read>(
    scan: &mut Scanner<R>,
    value: &mut String,
    max: usize,
) -> Result<(), XmlError> {
    loop {
        let tok = scan.next()?;
        let (line, column) = (scan.tok_line, scan.tok_col);
        match tok {
            Tok::Misc => continue,
            Tok::Text { .. } => scan.text_into(false, value)?,
            Tok::CData => scan.text_into(true, value)?,
            Tok::End => return Ok(()),
            Tok::Eof => {
                return Err(XmlError::fatal(
                    rules::NOT_WELL_FORMED,
                    "unexpected end of file inside Item",
                )
                .at(line, column))
            }
            Tok::Start { .. } => {
                return Err(
                    XmlError::fatal(rules::UNKNOWN_ELEMENT, "Item may only contain text")
                        .at(line, column),
                )
            }
        }
        if value.len() > max {
            return Err(XmlError::fatal(
                rules::LIMIT,
                format!("item value longer than {max} bytes"),
            )
            .at(line, column));
        }
    }
}

impl<R: BufRead> Iterator for NaaccrXmlReader<R> {
    type Item = Result<Patient, XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_patient().transpose()
    }
}

/// Keeps at most `max` errors on one root/patient: a file of nothing but bad items must not
/// grow the error list without bound.
fn push_error(errors: &mut Vec<XmlError>, max: usize, e: XmlError) {
    if errors.len() < max {
        errors.push(e);
    }
}

fn with_place(mut e: XmlError, patient: Option<u64>, tumor: Option<u32>) -> XmlError {
    if e.patient.is_none() {
        e.patient = patient;
    }
    if e.tumor.is_none() {
        e.tumor = tumor;
    }
    e
}

fn item_attributes<R: std::io::Read>(
    scan: &Scanner<R>,
    id: &mut String,
) -> Result<Option<u32>, XmlError> {
    id.clear();
    let mut has_id = false;
    let mut num = None;
    for a in &scan.attrs {
        if matches!(scan.attr_ns(a), AttrNs::Binding) {
            continue;
        }
        let v = scan.attr_value(a)?;
        match &scan.buf[a.qname.clone()] {
            b"naaccrId" => {
                has_id = true;
                id.push_str(v.trim());
            }
            b"naaccrNum" => {
                num = Some(v.trim().parse::<u32>().map_err(|_| {
                    XmlError::fatal(
                        rules::BAD_NAACCR_NUM,
                        format!("naaccrNum {v:?} is not an integer"),
                    )
                })?)
            }
            other => {
                return Err(XmlError::fatal(
                    rules::BAD_ATTRIBUTE,
                    format!(
                        "attribute {} is not allowed on Item",
                        String::from_utf8_lossy(other)
                    ),
                ))
            }
        }
    }
    if !has_id || id.is_empty() {
        return Err(XmlError::fatal(
            rules::MISSING_ATTRIBUTE,
            "Item lacks the required naaccrId attribute",
        ));
    }
    Ok(num)
}

fn no_attributes<R: std::io::Read>(scan: &Scanner<R>, what: &[u8]) -> Result<(), XmlError> {
    for a in &scan.attrs {
        if !matches!(scan.attr_ns(a), AttrNs::Binding) {
            return Err(XmlError::fatal(
                rules::BAD_ATTRIBUTE,
                format!(
                    "{} takes no attributes, found {}",
                    String::from_utf8_lossy(what),
                    String::from_utf8_lossy(&scan.buf[a.qname.clone()])
                ),
            ));
        }
    }
    Ok(())
}

/// XML 1.0 `Char`: tab, LF, CR and everything from U+0020 except surrogates, U+FFFE, U+FFFF.
fn check_chars(s: &str) -> Result<(), String> {
    // U+FFFE and U+FFFF start with 0xEF: most text has no such byte at all.
    if s.bytes()
        .all(|b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'))
        && (memchr::memchr(0xEF, s.as_bytes()).is_none() || !s.contains(['\u{FFFE}', '\u{FFFF}']))
    {
        return Ok(());
    }
    let c = s
        .chars()
        .find(|c| {
            (u32::from(*c) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
                || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .unwrap_or('\u{FFFD}');
    Err(format!(
        "invalid character U+{:04X}: XML 1.0 does not allow it (control characters must be removed by the sender)",
        u32::from(c)
    ))
}

/// `timeGenerated`: an ISO date-time with optional fraction and optional zone (the library
/// accepts offset and local date-times).
fn is_iso_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 19
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(f) = rest.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &f[n..];
    }
    let zb = rest.as_bytes();
    rest.is_empty()
        || rest == "Z"
        || (zb.len() == 6
            && matches!(zb[0], b'+' | b'-')
            && zb[1..3].iter().all(u8::is_ascii_digit)
            && zb[3] == b':'
            && zb[4..6].iter().all(u8::is_ascii_digit))
}

/// The outcome of reading a whole file: counts and every error (fatal last).
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub root: Option<RootInfo>,
    pub patients: u64,
    pub tumors: u64,
    /// Non-empty items delivered (root items included).
    pub items: u64,
    /// Errors kept (at most `Limits::max_errors`, plus the fatal one).
    pub errors: Vec<XmlError>,
    /// Errors found, including those beyond the kept ones.
    pub error_count: u64,
    /// Whether a fatal error stopped the read (it is the last of `errors`).
    pub fatal: bool,
}

/// Reads a whole file, handing each patient to `each`, and collects every error so the
/// service can reject a file listing all of its problems.
pub fn read_all<R: BufRead>(
    input: R,
    dictionaries: &DictionarySet,
    options: ReaderOptions,
    mut each: impl FnMut(&Patient),
) -> FileReport {
    read_records(input, dictionaries, options, |r| {
        each(&r.patient_without_errors())
    })
}

/// [`read_all`] handing out [`PatientRecord`]s (their errors already moved to the report):
/// no per-item allocation, the fastest way to import a file.
pub fn read_records<R: BufRead>(
    input: R,
    dictionaries: &DictionarySet,
    options: ReaderOptions,
    mut each: impl FnMut(&PatientRecord),
) -> FileReport {
    let max = options.limits.max_errors;
    let mut report = FileReport::default();
    let push = |report: &mut FileReport, e: XmlError| {
        report.error_count += 1;
        // The fatal error is always kept: it is the reason the read stopped.
        if report.errors.len() < max || e.fatal {
            report.errors.push(e);
        }
    };
    let mut reader = match NaaccrXmlReader::new(input, dictionaries, options) {
        Ok(r) => r,
        Err(e) => {
            report.fatal = true;
            push(&mut report, e);
            return report;
        }
    };
    for e in reader.root().errors.clone() {
        push(&mut report, e);
    }
    report.root = Some(reader.root().clone());
    let mut record = PatientRecord::new();
    loop {
        match reader.next_patient_into(&mut record) {
            Ok(true) => {
                for e in record.errors.drain(..) {
                    push(&mut report, e);
                }
                each(&record);
            }
            Ok(false) => break,
            Err(e) => {
                report.fatal = true;
                push(&mut report, e);
                break;
            }
        }
    }
    let (p, t, i) = reader.counts();
    report.patients = p;
    report.tumors = t;
    report.items = i;
    report
}

/// [`read_all`] without a per-patient callback: validation only.
pub fn validate_file<R: BufRead>(
    input: R,
    dictionaries: &DictionarySet,
    options: ReaderOptions,
) -> FileReport {
    read_records(input, dictionaries, options, |_| {})
}
#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"A\" specificationVersion=\"1.8\">\n{body}\n</NaaccrData>"
        )
    }

    fn report(xml: &str) -> FileReport {
        validate_file(
            xml.as_bytes(),
            &DictionarySet::builtin(),
            ReaderOptions::default(),
        )
    }

    #[test]
    fn escapes_cdata_and_line_numbers() {
        let r = read_all(
            doc("<Patient>\n<Item naaccrId=\"nameLast\">A&amp;B<![CDATA[<x>]]>&#65;</Item>\n<Tumor><Item naaccrId=\"primarySite\">C504</Item></Tumor></Patient>").as_bytes(),
            &DictionarySet::builtin(),
            ReaderOptions::default(),
            |p| {
                assert_eq!(p.items["nameLast"], "A&B<x>A");
                assert_eq!(p.line, 3);
                assert_eq!(p.tumors[0].line, 5);
            },
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!((r.patients, r.tumors, r.items), (1, 1, 2));
    }

    #[test]
    fn reports_non_fatal_errors_with_position() {
        let r = report(&doc("<Patient>\n  <Item naaccrId=\"patientIdNumber\">123</Item>\n  <Item naaccrId=\"bogus\">1</Item></Patient>"));
        assert!(!r.fatal);
        let rules: Vec<_> = r
            .errors
            .iter()
            .map(|e| (e.rule, e.line, e.column, e.item_id.as_deref()))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("too-short", Some(4), Some(3), Some("patientIdNumber")),
                ("unknown-item", Some(5), Some(3), Some("bogus"))
            ]
        );
    }

    #[test]
    fn fatal_structure_errors() {
        for (body, rule) in [
            ("<Patient><Item naaccrId=\"nameLast\">A</Item><Item naaccrId=\"nameLast\">B</Item></Patient>", "duplicate-item"),
            ("<Patient><Tumor/><Item naaccrId=\"nameLast\">A</Item></Patient>", "element-order"),
            ("<Patient x=\"1\"/>", "bad-attribute"),
            ("<Patient><Item naaccrId=\"nameLast\">A\u{7}</Item></Patient>", "invalid-character"),
            ("<Patient><Item naaccrId=\"nameLast\">A&foo;</Item></Patient>", "not-well-formed"),
            ("<Patient><Item naaccrId=\"nameLast\" naaccrNum=\"x\">A</Item></Patient>", "bad-naaccr-num"),
            ("<Patient>text</Patient>", "unexpected-text"),
        ] {
            let r = report(&doc(body));
            assert!(r.fatal, "{body}");
            assert_eq!(r.errors.last().map(|e| e.rule), Some(rule), "{body}: {:?}", r.errors);
        }
        let r = report("<!DOCTYPE x [<!ENTITY a \"b\">]><NaaccrData/>");
        assert_eq!(r.errors[0].rule, "doctype");
    }

    #[test]
    fn limits_hold() {
        let big = "x".repeat(100_000);
        let r = report(&doc(&format!(
            "<Patient><Item naaccrId=\"textRemarks\">{big}</Item></Patient>"
        )));
        assert_eq!(r.errors.last().map(|e| e.rule), Some("limit"));
        let opts = ReaderOptions {
            limits: Limits {
                max_event_bytes: 1000,
                ..Limits::default()
            },
            ..ReaderOptions::default()
        };
        let r = validate_file(
            doc(&format!("<Patient>{}</Patient>", " ".repeat(5000))).as_bytes(),
            &DictionarySet::builtin(),
            opts,
        );
        assert_eq!(r.errors.last().map(|e| e.rule), Some("limit"));
        let opts = ReaderOptions {
            limits: Limits {
                max_patient_bytes: 100,
                max_errors: 2,
                ..Limits::default()
            },
            ..ReaderOptions::default()
        };
        let tumors = "<Tumor><Item naaccrId=\"primarySite\">C504</Item><Item naaccrId=\"x1\">1</Item><Item naaccrId=\"x2\">1</Item><Item naaccrId=\"x3\">1</Item></Tumor>".repeat(3);
        let r = validate_file(
            doc(&format!(
                "<Patient>{tumors}</Patient><Patient>{tumors}{tumors}</Patient>"
            ))
            .as_bytes(),
            &DictionarySet::builtin(),
            opts,
        );
        assert_eq!(r.patients, 2);
        assert_eq!(
            r.errors.iter().filter(|e| e.rule == "unknown-item").count(),
            2,
            "two kept from the first patient"
        );
        assert_eq!(r.errors.last().map(|e| e.rule), Some("limit"));
    }

    #[test]
    fn time_generated_forms() {
        assert!(is_iso_date_time("2015-03-13T12:09:19.0Z"));
        assert!(is_iso_date_time("2024-08-23T09:11:35.414-04:00"));
        assert!(is_iso_date_time("2024-08-23T09:11:35"));
        assert!(!is_iso_date_time("2024-08-23"));
        assert!(!is_iso_date_time("yesterday"));
    }

    #[test]
    fn never_panics_on_truncated_input() {
        let full = doc("<Patient><Item naaccrId=\"nameLast\">A</Item><Tumor><Item naaccrId=\"primarySite\">C504</Item></Tumor></Patient>");
        for i in 0..full.len() {
            if full.is_char_boundary(i) {
                let _ = report(&full[..i]);
            }
        }
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    fn run(xml: &str, options: ReaderOptions) -> FileReport {
        validate_file(xml.as_bytes(), &DictionarySet::builtin(), options)
    }

    const ROOT: &str = "baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"I\" specificationVersion=\"1.8\"";

    #[test]
    fn duplicates_count_empty_and_unknown_items() {
        for body in [
            "<Item naaccrId=\"nameLast\"/><Item naaccrId=\"nameLast\">X</Item>",
            "<Item naaccrId=\"zzz\">1</Item><Item naaccrId=\"zzz\">2</Item>",
        ] {
            let xml = format!("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" {ROOT}><Patient>{body}</Patient></NaaccrData>");
            let r = run(&xml, ReaderOptions::default());
            assert_eq!(
                r.errors.last().map(|e| e.rule),
                Some("duplicate-item"),
                "{body}"
            );
        }
        // The same id in two tumors is fine.
        let xml = format!("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" {ROOT}><Patient><Tumor><Item naaccrId=\"primarySite\">C500</Item></Tumor><Tumor><Item naaccrId=\"primarySite\">C501</Item></Tumor></Patient></NaaccrData>");
        let r = run(&xml, ReaderOptions::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }

    #[test]
    fn record_type_filters_items() {
        let xml = format!("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" {ROOT}><Patient><Item naaccrId=\"nameLast\">SMITH</Item></Patient></NaaccrData>");
        let r = run(&xml, ReaderOptions::default());
        assert_eq!(r.errors[0].rule, "record-type");
        assert_eq!(r.items, 0);
        let keep = ReaderOptions {
            unknown_items: UnknownItems::Keep,
            ..ReaderOptions::default()
        };
        assert_eq!(run(&xml, keep).items, 1);
    }

    #[test]
    fn namespaces_and_extensions() {
        let ok = format!("<n:NaaccrData xmlns:n=\"http://naaccr.org/naaccrxml\" xmlns:o=\"urn:o\" {ROOT} o:x=\"1\"><n:Patient><n:Item naaccrId=\"patientIdNumber\">00000001</n:Item><o:ext><o:deep a=\"b\">t</o:deep></o:ext><n:Tumor/></n:Patient></n:NaaccrData>");
        let r = run(&ok, ReaderOptions::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!((r.patients, r.tumors, r.items), (1, 1, 1));
        for (xml, rule) in [
            // Extension after the tumors.
            (format!("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" xmlns:o=\"urn:o\" {ROOT}><Patient><Tumor/><o:ext/></Patient></NaaccrData>"), "element-order"),
            // Extension without its own namespace.
            (format!("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" {ROOT}><Patient><ext/></Patient></NaaccrData>"), "unknown-element"),
            // Undeclared prefix.
            (format!("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" {ROOT}><x:ext/></NaaccrData>"), "namespace"),
            // Unprefixed extra root attribute.
            (format!("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" {ROOT} extra=\"1\"/>"), "bad-attribute"),
            // Wrong default namespace.
            (format!("<NaaccrData xmlns=\"http://example.org\" {ROOT}/>"), "namespace"),
            // Unknown specification version.
            ("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"I\" specificationVersion=\"9.9\"/>".to_string(), "bad-attribute"),
            // Record type outside A/M/C/I.
            ("<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"U\" specificationVersion=\"1.8\"/>".to_string(), "bad-attribute"),
        ] {
            let r = run(&xml, ReaderOptions::default());
            assert!(r.fatal, "{xml}");
            assert_eq!(r.errors.last().map(|e| e.rule), Some(rule), "{xml}: {:?}", r.errors);
        }
    }

    #[test]
    fn mutated_documents_never_panic() {
        let base = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\" xmlns:o=\"urn:o\" {ROOT} timeGenerated=\"2026-01-01T00:00:00Z\">\n<Item naaccrId=\"registryId\">0000000001</Item><o:e>x</o:e>\n<Patient>\n<Item naaccrId=\"patientIdNumber\" naaccrNum=\"20\">00000001</Item>\n<Tumor><Item naaccrId=\"primarySite\">C504</Item><Item naaccrId=\"dateOfDiagnosis\">20240101</Item></Tumor>\n</Patient>\n</NaaccrData>\n").into_bytes();
        let alphabet = b"<>/=\"'&;:! \n\x07\xC3\xFFaIxNP?-[]";
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut doc = base.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % doc.len();
                match next() % 3 {
                    0 => doc[at] = alphabet[(next() as usize) % alphabet.len()],
                    1 => doc.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                    _ => {
                        doc.remove(at);
                    }
                }
            }
            let r = validate_file(
                &doc[..],
                &DictionarySet::builtin(),
                ReaderOptions::default(),
            );
            if r.fatal {
                assert!(r
                    .errors
                    .last()
                    .is_some_and(|e| e.fatal && !e.message.is_empty()));
            }
        }
    }
}
