//! NAACCR dictionary XML (base and user dictionaries, specification 1.0 to 1.8) and the set of
//! dictionaries a reader resolves a file's `baseDictionaryUri` / `userDictionaryUri` against.
//!
//! Base dictionaries 250 and 260 are built in; the historical ones (140-240) and user
//! dictionaries are loaded at run time from a directory (the service passes the value of
//! `CANCER_REGISTRY_DICTIONARIES`). Attributes of retired specifications (`trim`,
//! `allowUnlimitedText`, `regexValidation`, `startColumn`, blank/right paddings,
//! `GroupedItemDefs`) are tolerated only in dictionaries of the specifications that had them;
//! anything unknown is refused, as the reference library does.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::dictionary::{base_uri, DataType, Dictionary, ItemDef, Level, Padding, RecordTypes};
use super::xml::input::{open_path, utf8_input, EventGuard};
use super::xml::NAACCR_NS;

/// Base (NAACCR-owned) or user (registry/vendor) dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DictionaryKind {
    Base,
    User,
}

/// A dictionary with the metadata of its XML file.
#[derive(Debug, Clone)]
pub struct LoadedDictionary {
    pub dictionary: Dictionary,
    pub kind: DictionaryKind,
    /// `specificationVersion` of the dictionary (`1.0` when absent, as the library assumes).
    pub specification_version: String,
    /// `naaccrVersion`; `None` for a version-independent user dictionary.
    pub naaccr_version: Option<String>,
    pub date_last_modified: Option<String>,
    pub description: Option<String>,
    /// Items declared `allowUnlimitedText="true"` (spec <= 1.5): their length is not a maximum.
    pub unlimited_text: HashSet<String>,
}

/// Why a dictionary was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictionaryError {
    pub message: String,
    /// The file (or URI) concerned, when known.
    pub source: Option<String>,
    pub line: Option<u64>,
}

impl DictionaryError {
    fn new(message: impl Into<String>) -> DictionaryError {
        DictionaryError {
            message: message.into(),
            source: None,
            line: None,
        }
    }

    fn with_source(mut self, s: &str) -> DictionaryError {
        self.source.get_or_insert_with(|| s.to_string());
        self
    }
}

impl fmt::Display for DictionaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.source {
            write!(f, "{s}: ")?;
        }
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for DictionaryError {}

const SPEC_VERSIONS: [&str; 9] = [
    "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8",
];

/// Specification version as a comparable number (`1.7` -> 17).
pub(crate) fn spec_number(v: &str) -> Option<u32> {
    SPEC_VERSIONS
        .iter()
        .position(|s| *s == v)
        .map(|i| 10 + i as u32)
}

/// The NAACCR version named by a base dictionary URI (`.../naaccr-dictionary-240.xml` -> `240`).
pub fn base_uri_version(uri: &str) -> Option<&str> {
    let v = uri
        .strip_prefix("http://naaccr.org/naaccrxml/naaccr-dictionary-")?
        .strip_suffix(".xml")?;
    (v.len() == 3 && v.bytes().all(|b| b.is_ascii_digit())).then_some(v)
}

/// Parses a dictionary XML document.
pub fn parse_dictionary<R: BufRead>(input: R) -> Result<LoadedDictionary, DictionaryError> {
    let (utf8, _) = utf8_input(input).map_err(|e| DictionaryError::new(e.message))?;
    let mut xml = NsReader::from_reader(EventGuard::new(utf8, 1 << 20));
    let mut buf = Vec::new();
    let mut line = 1u64;
    let mut meta: Option<Meta> = None;
    let mut items = Vec::new();
    let mut section: Option<Vec<u8>> = None;
    let mut depth = 0usize;
    loop {
        buf.clear();
        xml.get_mut().reset();
        let (ns, ev) = xml
            .read_resolved_event_into(&mut buf)
            .map_err(|e| DictionaryError {
                message: format!("not well-formed XML: {e}"),
                source: None,
                line: Some(line),
            })?;
        let in_naaccr = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NAACCR_NS.as_bytes());
        let err = |m: String| DictionaryError {
            message: m,
            source: None,
            line: Some(line),
        };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.local_name().as_ref().to_vec();
                if !in_naaccr {
                    return Err(err(format!(
                        "element <{}> is not in the NAACCR namespace {NAACCR_NS}",
                        String::from_utf8_lossy(e.name().as_ref())
                    )));
                }
                match (depth, name.as_slice(), section.as_deref()) {
                    (0, b"NaaccrDictionary", _) => meta = Some(root_meta(&xml, e).map_err(err)?),
                    (0, _, _) => {
                        return Err(err(format!(
                            "root element must be NaaccrDictionary, not {}",
                            String::from_utf8_lossy(&name)
                        )))
                    }
                    (1, b"ItemDefs" | b"GroupedItemDefs", _) => {
                        if name == b"GroupedItemDefs" {
                            let spec = meta.as_ref().map_or(10, |m| m.spec);
                            if !(12..=15).contains(&spec) {
                                return Err(err(
                                    "GroupedItemDefs exists only in specifications 1.2 to 1.5"
                                        .into(),
                                ));
                            }
                        }
                        section = Some(name.clone());
                    }
                    (2, b"ItemDef", Some(b"ItemDefs")) => {
                        let m = meta.as_ref().ok_or_else(|| err("no root".into()))?;
                        items.push(item_def(&xml, e, m).map_err(err)?);
                    }
                    (2, b"GroupedItemDef", Some(b"GroupedItemDefs")) => {}
                    _ => {
                        return Err(err(format!(
                            "unexpected element {}",
                            String::from_utf8_lossy(&name)
                        )))
                    }
                }
                if !empty {
                    depth += 1;
                }
                line += count_newlines(e.as_ref());
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    section = None;
                }
            }
            Event::Text(t) => {
                if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(err("unexpected text".into()));
                }
                line += count_newlines(&t);
            }
            Event::Comment(t) => line += count_newlines(&t),
            Event::DocType(_) => return Err(err("DOCTYPE is not allowed".into())),
            Event::CData(_) | Event::GeneralRef(_) => {
                return Err(err("unexpected character data".into()))
            }
            Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    let meta = meta.ok_or_else(|| DictionaryError::new("no NaaccrDictionary element"))?;
    finish(meta, items)
}

struct Meta {
    uri: String,
    version: Option<String>,
    spec: u32,
    spec_text: String,
    kind: DictionaryKind,
    date_last_modified: Option<String>,
    description: Option<String>,
}

fn attrs<R>(xml: &NsReader<R>, e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let key = a.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = xml.resolve_attribute(key);
        if !matches!(ns, ResolveResult::Unbound) {
            // Attributes in another namespace are extensions; they carry no dictionary meaning.
            continue;
        }
        let v = a
            .unescape_value()
            .map_err(|e| format!("bad attribute value: {e}"))?;
        out.push((
            String::from_utf8_lossy(local.as_ref()).into_owned(),
            v.into_owned(),
        ));
    }
    Ok(out)
}

fn root_meta<R>(xml: &NsReader<R>, e: &BytesStart<'_>) -> Result<Meta, String> {
    let mut uri = None;
    let mut version = None;
    let mut spec = None;
    let mut date_last_modified = None;
    let mut description = None;
    for (k, v) in attrs(xml, e)? {
        match k.as_str() {
            "dictionaryUri" => uri = Some(v.trim().to_string()),
            "naaccrVersion" => version = Some(v.trim().to_string()),
            "specificationVersion" => spec = Some(v.trim().to_string()),
            "dateLastModified" => date_last_modified = Some(v),
            "description" => description = Some(v),
            other => return Err(format!("unknown attribute {other:?} on NaaccrDictionary")),
        }
    }
    let uri = uri.ok_or("NaaccrDictionary lacks the required dictionaryUri")?;
    let spec_text = spec.unwrap_or_else(|| "1.0".to_string());
    let spec = spec_number(&spec_text)
        .ok_or_else(|| format!("unknown specificationVersion {spec_text:?}"))?;
    let kind = if base_uri_version(&uri).is_some() {
        DictionaryKind::Base
    } else {
        DictionaryKind::User
    };
    if let Some(v) = &version {
        if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("naaccrVersion {v:?} is not a 3-digit version"));
        }
    }
    if kind == DictionaryKind::Base && version.as_deref() != base_uri_version(&uri) {
        return Err(format!(
            "base dictionary {uri} must have naaccrVersion {}",
            base_uri_version(&uri).unwrap_or("?")
        ));
    }
    Ok(Meta {
        uri,
        version,
        spec,
        spec_text,
        kind,
        date_last_modified,
        description,
    })
}

struct ParsedItem {
    def: ItemDef,
    unlimited: bool,
}

fn item_def<R>(xml: &NsReader<R>, e: &BytesStart<'_>, m: &Meta) -> Result<ParsedItem, String> {
    let mut id = None;
    let mut number = None;
    let mut name = None;
    let mut level = None;
    let mut length = None;
    let mut data_type = DataType::Text;
    let mut padding = Padding::NoPadding;
    let mut record_types = RecordTypes::ALL;
    let mut unlimited = false;
    for (k, v) in attrs(xml, e)? {
        let what = |s: &str| format!("{s} {v:?} of item {}", id.as_deref().unwrap_or("?"));
        match k.as_str() {
            "naaccrId" => id = Some(v.trim().to_string()),
            "naaccrNum" => {
                number = Some(v.trim().parse::<u32>().map_err(|_| what("bad naaccrNum"))?)
            }
            "naaccrName" => name = Some(v),
            "parentXmlElement" => {
                level = Some(
                    Level::from_xml_element(v.trim())
                        .ok_or_else(|| what("bad parentXmlElement"))?,
                )
            }
            "length" => {
                length = Some(
                    v.trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|l| *l >= 1)
                        .ok_or_else(|| what("bad length"))?,
                )
            }
            "dataType" => {
                data_type = DataType::parse(v.trim()).ok_or_else(|| what("bad dataType"))?;
                if data_type == DataType::DateTime && m.spec < 18 {
                    return Err(what("dataType dateTime needs specification 1.8"));
                }
            }
            "padding" => {
                padding = match v.trim() {
                    "none" => Padding::NoPadding,
                    "leftZero" => Padding::LeftZero,
                    "leftBlank" if m.spec < 17 => Padding::LeftBlank,
                    "rightBlank" if m.spec < 17 => Padding::RightBlank,
                    // Right zero-fill only mattered for flat files; XML values are unpadded.
                    "rightZero" if m.spec < 17 => Padding::NoPadding,
                    _ => return Err(what("bad padding")),
                }
            }
            "recordTypes" => {
                let letters: Vec<&str> = v.split(',').map(str::trim).collect();
                if letters.iter().any(|l| !matches!(*l, "A" | "M" | "C" | "I")) {
                    return Err(what("bad recordTypes"));
                }
                record_types = RecordTypes::parse(&v);
            }
            "startColumn" => {
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| what("bad startColumn"))?;
            }
            "sourceOfStandard" => {}
            "trim" if m.spec < 17 => {
                if !matches!(v.trim(), "all" | "none") {
                    return Err(what("bad trim"));
                }
            }
            "allowUnlimitedText" if (11..16).contains(&m.spec) => unlimited = v.trim() == "true",
            "regexValidation" if m.spec < 12 => {}
            other => return Err(format!("unknown ItemDef attribute {other:?}")),
        }
    }
    let id = id.ok_or("ItemDef lacks naaccrId")?;
    let valid_id = id.len() >= 2
        && id.as_bytes()[0].is_ascii_lowercase()
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
        && (m.spec < 14 || id.len() <= 32);
    if !valid_id {
        return Err(format!("invalid naaccrId {id:?}"));
    }
    let number = number.ok_or_else(|| format!("item {id} lacks naaccrNum"))?;
    let level = level.ok_or_else(|| format!("item {id} lacks parentXmlElement"))?;
    let length = length.ok_or_else(|| format!("item {id} lacks length"))?;
    Ok(ParsedItem {
        def: ItemDef {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            number,
            length,
            data_type,
            padding,
            level,
            record_types,
            core_group: None,
        },
        unlimited,
    })
}

fn finish(m: Meta, items: Vec<ParsedItem>) -> Result<LoadedDictionary, DictionaryError> {
    let mut ids = HashSet::new();
    let mut numbers = HashSet::new();
    let mut unlimited_text = HashSet::new();
    let mut defs = Vec::with_capacity(items.len());
    for p in items {
        if !ids.insert(p.def.id.clone()) {
            return Err(
                DictionaryError::new(format!("duplicate naaccrId {}", p.def.id))
                    .with_source(&m.uri),
            );
        }
        if !numbers.insert(p.def.number) {
            return Err(
                DictionaryError::new(format!("duplicate naaccrNum {}", p.def.number))
                    .with_source(&m.uri),
            );
        }
        if p.unlimited {
            unlimited_text.insert(p.def.id.clone());
        }
        defs.push(p.def);
    }
    Ok(LoadedDictionary {
        dictionary: Dictionary::new(m.uri, m.version.clone().unwrap_or_default(), defs),
        kind: m.kind,
        specification_version: m.spec_text,
        naaccr_version: m.version,
        date_last_modified: m.date_last_modified,
        description: m.description,
        unlimited_text,
    })
}

pub(crate) fn count_newlines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// Loads a dictionary file (gzip-transparent).
pub fn load_dictionary_file(path: &Path) -> Result<LoadedDictionary, DictionaryError> {
    let name = path.display().to_string();
    let r = open_path(path)
        .map_err(|e| DictionaryError::new(format!("cannot open: {e}")).with_source(&name))?;
    parse_dictionary(r).map_err(|e| e.with_source(&name))
}

/// The dictionaries a reader can resolve: base dictionaries by NAACCR version and user
/// dictionaries by URI.
#[derive(Debug, Clone)]
pub struct DictionarySet {
    bases: BTreeMap<String, Arc<LoadedDictionary>>,
    users: BTreeMap<String, Arc<LoadedDictionary>>,
}

/// The environment variable naming the directory of extra dictionaries.
pub const DICTIONARIES_ENV: &str = "CANCER_REGISTRY_DICTIONARIES";
/// The part of the embedded data holding the older base dictionaries.
pub const EMBEDDED_PART: &str = "dictionaries";

impl DictionarySet {
    /// The built-in base dictionaries 250 and 260 only.
    pub fn builtin() -> DictionarySet {
        let mut bases = BTreeMap::new();
        for d in [Dictionary::v250(), Dictionary::v260()] {
            bases.insert(
                d.version.clone(),
                Arc::new(LoadedDictionary {
                    dictionary: d.clone(),
                    kind: DictionaryKind::Base,
                    specification_version: "1.8".to_string(),
                    naaccr_version: Some(d.version.clone()),
                    date_last_modified: None,
                    description: None,
                    unlimited_text: HashSet::new(),
                }),
            );
        }
        DictionarySet {
            bases,
            users: BTreeMap::new(),
        }
    }

    /// The built-ins plus every `*.xml` / `*.xml.gz` dictionary of a directory. Base files for
    /// 250/260 are skipped (the built-in revision wins); any invalid file fails the whole load,
    /// naming the file, because a half-configured service would silently drop items.
    pub fn from_dir(dir: &Path) -> Result<DictionarySet, DictionaryError> {
        let mut set = DictionarySet::builtin();
        set.add_dir(dir)?;
        Ok(set)
    }

    /// Adds every `*.xml` / `*.xml.gz` dictionary of a directory (see [`DictionarySet::from_dir`]).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), DictionaryError> {
        let set = self;
        let entries = std::fs::read_dir(dir).map_err(|e| {
            DictionaryError::new(format!("cannot read dictionary directory: {e}"))
                .with_source(&dir.display().to_string())
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let n = p.to_string_lossy();
                n.ends_with(".xml") || n.ends_with(".xml.gz")
            })
            .collect();
        paths.sort();
        // Bases first so user dictionaries can be checked against them.
        let mut loaded = Vec::new();
        for p in &paths {
            loaded.push((p, load_dictionary_file(p)?));
        }
        loaded.sort_by_key(|(_, d)| d.kind == DictionaryKind::User);
        for (p, d) in loaded {
            set.add(d)
                .map_err(|e| e.with_source(&p.display().to_string()))?;
        }
        Ok(())
    }

    /// The built-ins plus the older base dictionaries (140-240) shipped in `data/dictionaries`,
    /// so files of any NAACCR XML version import with nothing configured.
    pub fn with_embedded() -> Result<DictionarySet, DictionaryError> {
        let mut set = DictionarySet::builtin();
        let source = crate::refdata::Source::Embedded(EMBEDDED_PART);
        let names = source.list("", ".xml").map_err(|e| {
            DictionaryError::new(format!("cannot list the embedded dictionaries: {e}"))
        })?;
        for name in names {
            let origin = source.path(&name).display().to_string();
            let bytes = source.read(&name).map_err(|e| {
                DictionaryError::new(format!("cannot read: {e}")).with_source(&origin)
            })?;
            let d = parse_dictionary(bytes.as_ref()).map_err(|e| e.with_source(&origin))?;
            set.add(d).map_err(|e| e.with_source(&origin))?;
        }
        Ok(set)
    }

    /// The embedded dictionaries plus every dictionary of `$CANCER_REGISTRY_DICTIONARIES` (a base
    /// there replaces the embedded one of its version).
    pub fn from_env() -> Result<DictionarySet, DictionaryError> {
        let mut set = DictionarySet::with_embedded()?;
        if let Some(d) = std::env::var_os(DICTIONARIES_ENV).filter(|d| !d.is_empty()) {
            set.add_dir(Path::new(&d))?;
        }
        Ok(set)
    }

    /// What is loaded, for the start-up log and the readiness answer: base versions and user
    /// dictionary URIs.
    pub fn summary(&self) -> (Vec<String>, Vec<String>) {
        (
            self.bases.keys().cloned().collect(),
            self.users.keys().cloned().collect(),
        )
    }

    /// Adds a dictionary. A user dictionary may not reuse an id or number of the base
    /// dictionary of its version (of every loaded base when it is version-independent), nor the
    /// URI of one already loaded.
    pub fn add(&mut self, d: LoadedDictionary) -> Result<(), DictionaryError> {
        let uri = d.dictionary.uri.clone();
        match d.kind {
            DictionaryKind::Base => {
                let v = d.naaccr_version.clone().unwrap_or_default();
                if v == "250" || v == "260" {
                    return Ok(());
                }
                self.bases.insert(v, Arc::new(d));
            }
            DictionaryKind::User => {
                if self.users.contains_key(&uri) {
                    return Err(
                        DictionaryError::new("user dictionary loaded twice").with_source(&uri)
                    );
                }
                let bases: Vec<&Arc<LoadedDictionary>> = match &d.naaccr_version {
                    Some(v) => self.bases.get(v).into_iter().collect(),
                    None => self.bases.values().collect(),
                };
                for item in d.dictionary.items() {
                    for b in &bases {
                        if b.dictionary.item(&item.id).is_some() {
                            return Err(DictionaryError::new(format!(
                                "user item {} reuses an id of base dictionary {}",
                                item.id, b.dictionary.version
                            ))
                            .with_source(&uri));
                        }
                        if b.dictionary.by_number(item.number).is_some() {
                            return Err(DictionaryError::new(format!(
                                "user item {} reuses number {} of base dictionary {}",
                                item.id, item.number, b.dictionary.version
                            ))
                            .with_source(&uri));
                        }
                    }
                }
                self.users.insert(uri, Arc::new(d));
            }
        }
        Ok(())
    }

    /// Loads and adds one dictionary file.
    pub fn add_file(&mut self, path: &Path) -> Result<(), DictionaryError> {
        let d = load_dictionary_file(path)?;
        self.add(d)
            .map_err(|e| e.with_source(&path.display().to_string()))
    }

    /// The base dictionary of a NAACCR version (`"240"`).
    pub fn base(&self, version: &str) -> Option<&Arc<LoadedDictionary>> {
        self.bases.get(version)
    }

    /// The base dictionary a `baseDictionaryUri` names.
    pub fn base_by_uri(&self, uri: &str) -> Option<&Arc<LoadedDictionary>> {
        let v = base_uri_version(uri)?;
        self.bases
            .get(v)
            .filter(|d| d.dictionary.uri == base_uri(v))
    }

    /// A user dictionary by its `dictionaryUri`.
    pub fn user(&self, uri: &str) -> Option<&Arc<LoadedDictionary>> {
        self.users.get(uri)
    }

    /// The NAACCR versions with a base dictionary, ascending.
    pub fn versions(&self) -> Vec<&str> {
        self.bases.keys().map(String::as_str).collect()
    }

    /// The user dictionary URIs, sorted.
    pub fn user_uris(&self) -> Vec<&str> {
        self.users.keys().map(String::as_str).collect()
    }
}

impl Default for DictionarySet {
    fn default() -> DictionarySet {
        DictionarySet::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml" dictionaryUri="http://x/y.xml" specificationVersion="1.8""#;

    #[test]
    fn parses_defaults_and_refuses_unknown_attributes() {
        let xml = format!(
            "{HEAD}><ItemDefs><ItemDef naaccrId=\"myItem\" naaccrNum=\"20001\" length=\"3\" parentXmlElement=\"Tumor\"/></ItemDefs></NaaccrDictionary>"
        );
        let d = parse_dictionary(xml.as_bytes()).unwrap();
        assert_eq!(d.kind, DictionaryKind::User);
        let i = d.dictionary.item("myItem").unwrap();
        assert_eq!(
            (i.data_type, i.padding, i.record_types),
            (DataType::Text, Padding::NoPadding, RecordTypes::ALL)
        );
        let bad = format!("{HEAD} something=\"X\"><ItemDefs/></NaaccrDictionary>");
        assert!(parse_dictionary(bad.as_bytes())
            .unwrap_err()
            .message
            .contains("something"));
        let old_attr = format!(
            "{HEAD}><ItemDefs><ItemDef naaccrId=\"myItem\" naaccrNum=\"20001\" length=\"3\" parentXmlElement=\"Tumor\" trim=\"all\"/></ItemDefs></NaaccrDictionary>"
        );
        assert!(
            parse_dictionary(old_attr.as_bytes()).is_err(),
            "trim was removed in 1.7"
        );
        let dup = format!(
            "{HEAD}><ItemDefs><ItemDef naaccrId=\"a1\" naaccrNum=\"1\" length=\"3\" parentXmlElement=\"Tumor\"/><ItemDef naaccrId=\"a1\" naaccrNum=\"2\" length=\"3\" parentXmlElement=\"Tumor\"/></ItemDefs></NaaccrDictionary>"
        );
        assert!(parse_dictionary(dup.as_bytes()).is_err());
        assert!(parse_dictionary(&b"<!DOCTYPE x><NaaccrDictionary/>"[..]).is_err());
    }

    #[test]
    fn user_items_may_not_shadow_base_items() {
        let xml = format!(
            "{HEAD} naaccrVersion=\"260\"><ItemDefs><ItemDef naaccrId=\"primarySite\" naaccrNum=\"20001\" length=\"3\" parentXmlElement=\"Tumor\"/></ItemDefs></NaaccrDictionary>"
        );
        let d = parse_dictionary(xml.as_bytes()).unwrap();
        let mut set = DictionarySet::builtin();
        assert!(set.add(d).is_err());
    }
}
