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

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::super::dictionary::{ItemDef, Level, RecordType};
use super::super::dictionary_xml::{
    base_uri_version, count_newlines, spec_number, DictionarySet, LoadedDictionary,
};
use super::super::value::{check_format, Rule};
use super::super::Items;
use super::error::{rules, XmlError};
use super::input::{utf8_input, EventGuard, Utf8Input};
use super::{IdMap, NAACCR_NS};

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

struct RtItem {
    index: usize,
    def: ItemDef,
    allowed: bool,
    unlimited: bool,
}

/// Where a name resolved to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    Naaccr,
    Other,
    None,
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

type Input<R> = EventGuard<Utf8Input<R>>;

/// The streaming reader. Create with [`NaaccrXmlReader::new`], then call
/// [`NaaccrXmlReader::next_patient`] (or iterate) until `None`.
pub struct NaaccrXmlReader<R: BufRead> {
    xml: NsReader<Input<R>>,
    buf: Vec<u8>,
    value: String,
    id_buf: String,
    /// Duplicate detection: `stamps[item index] == generation` when the item was seen in the
    /// current element (no per-element clearing or hashing).
    stamps: Vec<u32>,
    generation: u32,
    seen_unknown: Vec<Box<str>>,
    seen_count: usize,
    element_bytes: usize,
    dict: IdMap<RtItem>,
    options: ReaderOptions,
    root: RootInfo,
    root_phase: Phase,
    state: State,
    line: u64,
    line_start: u64,
    patients: u64,
    tumor_count: u64,
    item_count: u64,
    encoding: &'static str,
}

struct Ev<'b> {
    ns: Ns,
    event: Event<'b>,
    line: u64,
    column: u64,
}

impl Ev<'_> {
    /// Comments, processing instructions and the XML declaration: meaningless here.
    fn misc(&self) -> bool {
        matches!(
            self.event,
            Event::Comment(_) | Event::PI(_) | Event::Decl(_)
        )
    }
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
        let mut xml = NsReader::from_reader(EventGuard::new(utf8, options.limits.max_event_bytes));
        let cfg = xml.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        let mut reader = NaaccrXmlReader {
            xml,
            buf: Vec::with_capacity(4096),
            value: String::with_capacity(256),
            id_buf: String::with_capacity(32),
            stamps: Vec::new(),
            generation: 0,
            seen_unknown: Vec::new(),
            seen_count: 0,
            element_bytes: 0,
            dict: IdMap::default(),
            options,
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
            line: 1,
            line_start: 0,
            patients: 0,
            tumor_count: 0,
            item_count: 0,
            encoding,
        };
        match reader.start(dictionaries) {
            Ok(()) => Ok(reader),
            Err(e) => Err(e),
        }
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
        (self.patients, self.tumor_count, self.item_count)
    }

    /// The next patient, `None` after the end of the root element. After a fatal error every
    /// later call returns `None`.
    pub fn next_patient(&mut self) -> Result<Option<Patient>, XmlError> {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.next_patient_inner(&mut buf);
        self.buf = buf;
        match r {
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
            ok => ok,
        }
    }

    fn start(&mut self, dictionaries: &DictionarySet) -> Result<(), XmlError> {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.start_inner(&mut buf, dictionaries);
        self.buf = buf;
        r
    }

    fn start_inner(
        &mut self,
        buf: &mut Vec<u8>,
        dictionaries: &DictionarySet,
    ) -> Result<(), XmlError> {
        let (empty, line, column) = loop {
            let ev = self.next_event(buf)?;
            if ev.misc() {
                continue;
            }
            match &ev.event {
                Event::Start(e) | Event::Empty(e) => {
                    let local = e.local_name();
                    if local.as_ref() != b"NaaccrData" {
                        return Err(XmlError::fatal(
                            rules::ROOT_ELEMENT,
                            format!(
                                "root element must be NaaccrData, found {}",
                                String::from_utf8_lossy(e.name().as_ref())
                            ),
                        )
                        .at(ev.line, ev.column));
                    }
                    self.check_ns(ev.ns, "NaaccrData", ev.line, ev.column)?;
                    let empty = matches!(ev.event, Event::Empty(_));
                    let (line, column) = (ev.line, ev.column);
                    let e = e.clone().into_owned();
                    self.root_attributes(&e, line, column)?;
                    break (empty, line, column);
                }
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::Eof => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "no root element (not an XML document)",
                    )
                    .at(ev.line, ev.column))
                }
                _ => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "content before the root element is not XML markup",
                    )
                    .at(ev.line, ev.column))
                }
            }
        };
        self.root.line = line;
        let _ = column;
        self.resolve_dictionaries(dictionaries)?;
        if empty {
            self.finish_document(buf)?;
            self.state = State::Done;
            return Ok(());
        }
        let mut items = Items::new();
        let mut errors = Vec::new();
        let mut phase = Phase::Items;
        let next = self.read_content(
            buf,
            Level::Root,
            &mut items,
            &mut errors,
            &mut phase,
            None,
            None,
        )?;
        self.root.items = items;
        self.root.errors.extend(errors);
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
                self.finish_document(buf)?;
                self.state = State::Done;
            }
        }
        Ok(())
    }

    fn next_patient_inner(&mut self, buf: &mut Vec<u8>) -> Result<Option<Patient>, XmlError> {
        let (line, empty) = match std::mem::replace(&mut self.state, State::Reading) {
            State::Done | State::Failed => {
                self.state = State::Done;
                return Ok(None);
            }
            State::Pending { line, empty } => (line, empty),
            State::Reading => {
                let mut items = Items::new();
                let mut errors = Vec::new();
                let mut phase = self.root_phase;
                let next = self.read_content(
                    buf,
                    Level::Root,
                    &mut items,
                    &mut errors,
                    &mut phase,
                    None,
                    None,
                )?;
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
                        self.finish_document(buf)?;
                        self.state = State::Done;
                        return Ok(None);
                    }
                }
            }
        };
        self.patients += 1;
        self.element_bytes = 0;
        let pno = self.patients;
        let mut patient = Patient {
            line,
            ..Patient::default()
        };
        if empty {
            return Ok(Some(patient));
        }
        let mut phase = Phase::Items;
        loop {
            let mut items = std::mem::take(&mut patient.items);
            let next = self.read_content(
                buf,
                Level::Patient,
                &mut items,
                &mut patient.errors,
                &mut phase,
                Some(pno),
                None,
            );
            patient.items = items;
            match next.map_err(|e| with_place(e, Some(pno), None))? {
                Next::End => break,
                Next::Child {
                    line,
                    empty,
                    attrs_ok,
                    ..
                } => {
                    attrs_ok.map_err(|e| with_place(e, Some(pno), None))?;
                    if patient.tumors.len() >= self.options.limits.max_tumors_per_patient {
                        return Err(with_place(
                            XmlError::fatal(
                                rules::LIMIT,
                                format!(
                                    "more than {} tumors in one patient",
                                    self.options.limits.max_tumors_per_patient
                                ),
                            )
                            .at(line, 0),
                            Some(pno),
                            None,
                        ));
                    }
                    let tno = patient.tumors.len() as u32 + 1;
                    let mut tumor = Tumor {
                        items: Items::new(),
                        line,
                    };
                    if !empty {
                        let mut tphase = Phase::Items;
                        let next = self
                            .read_content(
                                buf,
                                Level::Tumor,
                                &mut tumor.items,
                                &mut patient.errors,
                                &mut tphase,
                                Some(pno),
                                Some(tno),
                            )
                            .map_err(|e| with_place(e, Some(pno), Some(tno)))?;
                        if let Next::Child { line, column, .. } = next {
                            return Err(XmlError::fatal(
                                rules::UNKNOWN_ELEMENT,
                                "a Tumor cannot contain a Tumor",
                            )
                            .at(line, column));
                        }
                    }
                    self.tumor_count += 1;
                    patient.tumors.push(tumor);
                }
            }
        }
        Ok(Some(patient))
    }

    /// After `</NaaccrData>`: only comments, processing instructions and blanks may follow.
    fn finish_document(&mut self, buf: &mut Vec<u8>) -> Result<(), XmlError> {
        loop {
            let ev = self.next_event(buf)?;
            if ev.misc() {
                continue;
            }
            match &ev.event {
                Event::Eof => return Ok(()),
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                _ => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "content after the root element",
                    )
                    .at(ev.line, ev.column))
                }
            }
        }
    }

    fn check_ns(&self, ns: Ns, what: &str, line: u64, column: u64) -> Result<(), XmlError> {
        match (ns, self.options.namespaces) {
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

    fn root_attributes(
        &mut self,
        e: &BytesStart<'_>,
        line: u64,
        column: u64,
    ) -> Result<(), XmlError> {
        let fail = |rule, m: String| XmlError::fatal(rule, m).at(line, column);
        let mut base = None;
        let mut user = None;
        let mut record_type = None;
        let mut spec = None;
        let mut time = None;
        for a in e.attributes() {
            let a =
                a.map_err(|err| fail(rules::NOT_WELL_FORMED, format!("bad attribute: {err}")))?;
            if a.key.as_namespace_binding().is_some() {
                continue;
            }
            let value = a.unescape_value().map_err(|err| {
                fail(
                    rules::NOT_WELL_FORMED,
                    format!("bad attribute value: {err}"),
                )
            })?;
            check_chars(&value).map_err(|m| fail(rules::INVALID_CHARACTER, m))?;
            let (ns, local) = self.xml.resolve_attribute(a.key);
            let local = String::from_utf8_lossy(local.as_ref()).into_owned();
            match ns {
                ResolveResult::Unbound => {}
                ResolveResult::Bound(n) if n.as_ref() != NAACCR_NS.as_bytes() => {
                    self.root.extra_attributes.push((
                        format!("{{{}}}{local}", String::from_utf8_lossy(n.as_ref())),
                        value.into_owned(),
                    ));
                    continue;
                }
                ResolveResult::Bound(_) => {
                    return Err(fail(
                        rules::BAD_ATTRIBUTE,
                        format!("attribute {local} may not be in the NAACCR namespace"),
                    ))
                }
                ResolveResult::Unknown(p) => {
                    return Err(fail(
                        rules::NAMESPACE,
                        format!(
                            "undeclared namespace prefix {}",
                            String::from_utf8_lossy(&p)
                        ),
                    ))
                }
            }
            let v = value.into_owned();
            match local.as_str() {
                "baseDictionaryUri" => base = Some(v.trim().to_string()),
                "userDictionaryUri" => user = Some(v),
                "recordType" => record_type = Some(v),
                "specificationVersion" => spec = Some(v.trim().to_string()),
                "timeGenerated" => time = Some(v),
                _ if self.options.namespaces == NamespaceMode::Relaxed => {
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
            None if self.options.namespaces == NamespaceMode::Relaxed => "1.0".to_string(),
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
                None => match self.options.missing_user_dictionary {
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
        for d in &dicts {
            for def in d.dictionary.items() {
                // The base dictionary was inserted first and wins over a user redefinition.
                if self.dict.contains_key(def.id.as_str()) {
                    continue;
                }
                let index = self.dict.len();
                self.dict.insert(
                    def.id.clone().into_boxed_str(),
                    RtItem {
                        index,
                        def: def.clone(),
                        allowed: def.record_types.contains(rt),
                        unlimited: d.unlimited_text.contains(&def.id),
                    },
                );
            }
        }
        self.stamps = vec![0; self.dict.len()];
        Ok(())
    }

    /// Reads the next event, tracking the line. Callers ignore comments, PIs and the
    /// declaration (`Ev::misc`).
    fn next_event<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<Ev<'b>, XmlError> {
        {
            buf.clear();
            self.xml.get_mut().reset();
            let pos0 = self.xml.buffer_position();
            let line = self.line;
            let column = pos0.saturating_sub(self.line_start) + 1;
            let res = self.xml.read_resolved_event_into(buf);
            let (ns, event) = match res {
                Ok((ns, ev)) => {
                    let ns = match ns {
                        ResolveResult::Bound(n) if n.as_ref() == NAACCR_NS.as_bytes() => Ns::Naaccr,
                        ResolveResult::Bound(_) => Ns::Other,
                        ResolveResult::Unbound => Ns::None,
                        ResolveResult::Unknown(p) => {
                            return Err(XmlError::fatal(
                                rules::NAMESPACE,
                                format!(
                                    "undeclared namespace prefix {}",
                                    String::from_utf8_lossy(&p)
                                ),
                            )
                            .at(line, column))
                        }
                    };
                    (ns, ev)
                }
                Err(e) => {
                    let tripped = self.xml.get_mut().tripped();
                    let epos = self.xml.error_position();
                    let rule = if tripped {
                        rules::LIMIT
                    } else if matches!(e, quick_xml::Error::Io(_)) {
                        rules::IO
                    } else if matches!(e, quick_xml::Error::Encoding(_)) {
                        rules::ENCODING
                    } else {
                        rules::NOT_WELL_FORMED
                    };
                    let col = if epos >= self.line_start {
                        epos - self.line_start + 1
                    } else {
                        column
                    };
                    return Err(XmlError::fatal(rule, format!("XML error: {e}")).at(line, col));
                }
            };
            let (prefix, raw): (u64, &[u8]) =
                match &event {
                    Event::Start(e) | Event::Empty(e) => (1, e.as_ref()),
                    Event::End(e) => (2, e.as_ref()),
                    Event::Text(t) => (0, t.as_ref()),
                    Event::CData(t) => (9, t.as_ref()),
                    Event::Comment(t) => (4, t.as_ref()),
                    Event::PI(t) => (2, t.as_ref()),
                    Event::Decl(t) => (2, t.as_ref()),
                    Event::DocType(_) => return Err(XmlError::fatal(
                        rules::DOCTYPE,
                        "DOCTYPE declarations are not allowed in NAACCR XML (no DTDs or entities)",
                    )
                    .at(line, column)),
                    Event::GeneralRef(_) | Event::Eof => (0, &[]),
                };
            if let Some(last) = raw.iter().rposition(|&b| b == b'\n') {
                self.line += count_newlines(raw);
                self.line_start = pos0 + prefix + last as u64 + 1;
            }
            Ok(Ev {
                ns,
                event,
                line,
                column,
            })
        }
    }

    /// Reads the content of a root/patient/tumor element up to its first child (`Patient` or
    /// `Tumor`) or its end. `items` and `errors` receive the items of this element.
    #[allow(clippy::too_many_arguments)]
    fn read_content(
        &mut self,
        buf: &mut Vec<u8>,
        level: Level,
        items: &mut Items,
        errors: &mut Vec<XmlError>,
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
            self.generation = self.generation.wrapping_add(1);
            if self.generation == 0 {
                self.stamps.fill(0);
                self.generation = 1;
            }
            self.seen_unknown.clear();
            self.seen_count = 0;
        }
        loop {
            let ev = self.next_event(buf)?;
            if ev.misc() {
                continue;
            }
            let (line, column) = (ev.line, ev.column);
            match ev.event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev.event, Event::Empty(_));
                    let naaccr = ev.ns == Ns::Naaccr
                        || (ev.ns == Ns::None && self.options.namespaces == NamespaceMode::Relaxed);
                    if !naaccr {
                        if ev.ns == Ns::None {
                            return Err(XmlError::fatal(
                                rules::NAMESPACE,
                                format!("element {} is in no namespace; extensions need their own namespace", String::from_utf8_lossy(e.name().as_ref())),
                            )
                            .at(line, column));
                        }
                        if *phase == Phase::Children {
                            return Err(XmlError::fatal(
                                rules::ELEMENT_ORDER,
                                format!(
                                    "extension element {} after the {} elements",
                                    String::from_utf8_lossy(e.name().as_ref()),
                                    String::from_utf8_lossy(child)
                                ),
                            )
                            .at(line, column));
                        }
                        *phase = Phase::Extensions;
                        if !empty {
                            self.skip_extension(buf)?;
                        }
                        continue;
                    }
                    let local = e.local_name();
                    let local = local.as_ref();
                    if local == b"Item" {
                        if *phase != Phase::Items {
                            return Err(XmlError::fatal(
                                rules::ELEMENT_ORDER,
                                "Item after an extension or child element",
                            )
                            .at(line, column));
                        }
                        let mut id = std::mem::take(&mut self.id_buf);
                        let num = item_attributes(e, &mut id).map_err(|er| er.at(line, column));
                        let r = num.and_then(|num| {
                            self.read_item(
                                buf, level, &id, num, empty, items, errors, line, column, patient,
                                tumor,
                            )
                        });
                        self.id_buf = id;
                        r?;
                    } else if !child.is_empty() && local == child {
                        *phase = Phase::Children;
                        let attrs_ok = no_attributes(e, child).map_err(|er| er.at(line, column));
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
                                String::from_utf8_lossy(e.name().as_ref()),
                                level.xml_element()
                            ),
                        )
                        .at(line, column));
                    }
                }
                Event::End(_) => return Ok(Next::End),
                Event::Text(ref t) => {
                    if !t.iter().all(u8::is_ascii_whitespace) {
                        return Err(XmlError::fatal(
                            rules::UNEXPECTED_TEXT,
                            format!("text is not allowed directly in {}", level.xml_element()),
                        )
                        .at(line, column));
                    }
                }
                Event::Eof => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        format!(
                            "unexpected end of file inside {} (unbalanced tags)",
                            level.xml_element()
                        ),
                    )
                    .at(line, column))
                }
                _ => {
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

    fn skip_extension(&mut self, buf: &mut Vec<u8>) -> Result<(), XmlError> {
        let mut depth = 1usize;
        while depth > 0 {
            let ev = self.next_event(buf)?;
            if ev.misc() {
                continue;
            }
            match ev.event {
                Event::Start(_) => {
                    depth += 1;
                    if depth > self.options.limits.max_extension_depth {
                        return Err(XmlError::fatal(rules::LIMIT, "extension nested too deeply")
                            .at(ev.line, ev.column));
                    }
                }
                Event::End(_) => depth -= 1,
                Event::Eof => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "unexpected end of file inside an extension",
                    )
                    .at(ev.line, ev.column))
                }
                _ => {}
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn read_item(
        &mut self,
        buf: &mut Vec<u8>,
        level: Level,
        id: &str,
        num: Option<u32>,
        empty: bool,
        items: &mut Items,
        errors: &mut Vec<XmlError>,
        line: u64,
        column: u64,
        patient: Option<u64>,
        tumor: Option<u32>,
    ) -> Result<(), XmlError> {
        let mut value = std::mem::take(&mut self.value);
        value.clear();
        if !empty {
            self.read_item_text(buf, &mut value)
                .map_err(|e| e.item(id))?;
        }
        let here = |e: XmlError| {
            let mut e = e.at(line, column).item(id);
            e.patient = patient;
            e.tumor = tumor;
            e
        };
        let max_errors = self.options.limits.max_errors;
        self.element_bytes += id.len() + value.len();
        if self.element_bytes > self.options.limits.max_patient_bytes {
            return Err(here(XmlError::fatal(
                rules::LIMIT,
                format!(
                    "more than {} bytes of item values in one patient",
                    self.options.limits.max_patient_bytes
                ),
            )));
        }
        let rt = self.dict.get(id);
        self.seen_count += 1;
        if self.seen_count > self.options.limits.max_items_per_element {
            return Err(here(XmlError::fatal(
                rules::LIMIT,
                format!(
                    "more than {} items in one {}",
                    self.options.limits.max_items_per_element,
                    level.xml_element()
                ),
            )));
        }
        // Empty items and dropped unknown ones count for duplicates too, hence a separate
        // record instead of looking into `items`.
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
                    "item {id} appears twice in the same {}",
                    level.xml_element()
                ),
            )));
        }
        if value.is_empty() {
            self.value = value;
            return Ok(());
        }
        check_chars(&value).map_err(|m| here(XmlError::fatal(rules::INVALID_CHARACTER, m)))?;
        let keep_unknown = self.options.unknown_items == UnknownItems::Keep;
        let rt = match rt {
            Some(rt) if rt.allowed => rt,
            _ => {
                push_error(
                    errors,
                    max_errors,
                    here(match rt {
                        None => XmlError::validation(
                            rules::UNKNOWN_ITEM,
                            format!("unknown NAACCR ID: {id}"),
                        ),
                        Some(_) => XmlError::validation(
                            rules::RECORD_TYPE,
                            format!(
                                "item {id} is not allowed in record type {} files",
                                self.root.record_type.as_str()
                            ),
                        ),
                    }),
                );
                if keep_unknown {
                    self.item_count += 1;
                    items.insert(id.to_string(), value);
                } else {
                    self.value = value;
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
                            "wrong NAACCR number for {id}: expected {} but got {n}",
                            def.number
                        ),
                    )),
                );
            }
        }
        if def.level != level {
            item_errors += 1;
            push_error(
                errors,
                max_errors,
                here(XmlError::validation(
                    rules::WRONG_LEVEL,
                    format!(
                        "invalid data level for {id}: expected {} but found {}",
                        def.level.xml_element(),
                        level.xml_element()
                    ),
                )),
            );
        }
        if let Some(e) = self.check_value(rt, &value) {
            item_errors += 1;
            push_error(errors, max_errors, here(e));
        }
        if item_errors == 0 {
            if value.starts_with(' ') {
                push_error(
                    errors,
                    max_errors,
                    here(XmlError::validation(
                        rules::LEADING_SPACE,
                        "value starts with a space",
                    )),
                );
            } else if value.ends_with(' ') {
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
        items.insert(id.to_string(), value);
        Ok(())
    }

    fn check_value(&self, rt: &RtItem, value: &str) -> Option<XmlError> {
        let def = &rt.def;
        if self.options.validate_values {
            match check_format(&rt.def, value) {
                Ok(()) => None,
                Err(e) if e.rule == Rule::TooLong && rt.unlimited => None,
                Err(e) => Some(XmlError::validation(e.rule.slug(), e.message)),
            }
        } else {
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

    fn read_item_text(&mut self, buf: &mut Vec<u8>, value: &mut String) -> Result<(), XmlError> {
        let max = self.options.limits.max_value_bytes;
        loop {
            let ev = self.next_event(buf)?;
            if ev.misc() {
                continue;
            }
            let (line, column) = (ev.line, ev.column);
            let bad = |e: &dyn std::fmt::Display| {
                XmlError::fatal(rules::ENCODING, format!("invalid text: {e}")).at(line, column)
            };
            match ev.event {
                Event::Text(t) => value.push_str(&t.xml10_content().map_err(|e| bad(&e))?),
                Event::CData(t) => value.push_str(&t.xml10_content().map_err(|e| bad(&e))?),
                Event::GeneralRef(r) => {
                    if let Some(c) = r.resolve_char_ref().map_err(|e| {
                        XmlError::fatal(
                            rules::NOT_WELL_FORMED,
                            format!("bad character reference: {e}"),
                        )
                        .at(line, column)
                    })? {
                        value.push(c);
                    } else {
                        let name: &[u8] = &r;
                        let c = match name {
                            b"lt" => '<',
                            b"gt" => '>',
                            b"amp" => '&',
                            b"apos" => '\'',
                            b"quot" => '"',
                            other => {
                                return Err(XmlError::fatal(
                                    rules::NOT_WELL_FORMED,
                                    format!(
                                        "undefined entity &{};",
                                        String::from_utf8_lossy(other)
                                    ),
                                )
                                .at(line, column))
                            }
                        };
                        value.push(c);
                    }
                }
                Event::End(_) => return Ok(()),
                Event::Eof => {
                    return Err(XmlError::fatal(
                        rules::NOT_WELL_FORMED,
                        "unexpected end of file inside Item",
                    )
                    .at(line, column))
                }
                _ => {
                    return Err(XmlError::fatal(
                        rules::UNKNOWN_ELEMENT,
                        "Item may only contain text",
                    )
                    .at(line, column))
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

fn item_attributes(e: &BytesStart<'_>, id: &mut String) -> Result<Option<u32>, XmlError> {
    id.clear();
    // Fast path for the overwhelmingly common ` naaccrId="x"`: no escapes, nothing else.
    if let Some(rest) = e.attributes_raw().strip_prefix(b" naaccrId=\"") {
        if let Some(v) = rest.strip_suffix(b"\"") {
            if !v.is_empty() && v.iter().all(u8::is_ascii_alphanumeric) {
                // Only ASCII alphanumerics: valid UTF-8.
                id.extend(v.iter().map(|&b| char::from(b)));
                return Ok(None);
            }
        }
    }
    let mut has_id = false;
    let mut num = None;
    let mut attributes = e.attributes();
    // quick-xml's duplicate check allocates per element; two known names are checked by hand.
    attributes.with_checks(false);
    for a in attributes {
        let a = a.map_err(|err| {
            XmlError::fatal(rules::NOT_WELL_FORMED, format!("bad attribute: {err}"))
        })?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let v = a.unescape_value().map_err(|err| {
            XmlError::fatal(
                rules::NOT_WELL_FORMED,
                format!("bad attribute value: {err}"),
            )
        })?;
        let duplicated = || {
            XmlError::fatal(
                rules::NOT_WELL_FORMED,
                format!(
                    "duplicated attribute {}",
                    String::from_utf8_lossy(a.key.as_ref())
                ),
            )
        };
        match a.key.as_ref() {
            b"naaccrId" => {
                if has_id {
                    return Err(duplicated());
                }
                has_id = true;
                id.push_str(v.trim());
            }
            b"naaccrNum" => {
                if num.is_some() {
                    return Err(duplicated());
                }
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
    if id.is_empty() {
        return Err(XmlError::fatal(
            rules::MISSING_ATTRIBUTE,
            "Item lacks the required naaccrId attribute",
        ));
    }
    Ok(num)
}

fn no_attributes(e: &BytesStart<'_>, what: &[u8]) -> Result<(), XmlError> {
    if e.attributes_raw().iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    for a in e.attributes() {
        let a = a.map_err(|err| {
            XmlError::fatal(rules::NOT_WELL_FORMED, format!("bad attribute: {err}"))
        })?;
        if a.key.as_namespace_binding().is_none() {
            return Err(XmlError::fatal(
                rules::BAD_ATTRIBUTE,
                format!(
                    "{} takes no attributes, found {}",
                    String::from_utf8_lossy(what),
                    String::from_utf8_lossy(a.key.as_ref())
                ),
            ));
        }
    }
    Ok(())
}

/// XML 1.0 `Char`: tab, LF, CR and everything from U+0020 except surrogates, U+FFFE, U+FFFF.
fn check_chars(s: &str) -> Result<(), String> {
    if s.bytes()
        .all(|b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'))
        && !s.contains(['\u{FFFE}', '\u{FFFF}'])
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
    loop {
        match reader.next_patient() {
            Ok(Some(mut p)) => {
                for e in std::mem::take(&mut p.errors) {
                    push(&mut report, e);
                }
                each(&p);
            }
            Ok(None) => break,
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
    read_all(input, dictionaries, options, |_| {})
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
