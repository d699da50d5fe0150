//! The large published reference lists the edits need, loaded once at start from a data
//! directory: the SEER site/histology validation lists, the ICD-O-3 histology/behavior list, the
//! EOD 2018 schema selection and schema code tables, and the site-specific surgery tables.
//!
//! Lookups are precomputed into integer-keyed sets so that running an edit never allocates.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use super::record::{parse_site, ALL_FIELDS, F};
use super::Error;
use crate::naaccr::Dictionary;
use crate::refdata::Source;

/// Environment variable naming the reference directory.
pub const REFERENCE_ENV: &str = "CANCER_REGISTRY_REFERENCE";
/// The part of the embedded data (`data/reference`) used when no folder is configured.
pub const EMBEDDED_PART: &str = "reference";

const SITE_TYPE_2022: &str = "seer-site-histology-validation/sitetype.icdo3.d20220429.expanded.tsv";
const SITE_TYPE_2015: &str = "seer-site-histology-validation/sitetype.icdo3.d20150918.expanded.tsv";
const HIST_BEH: &str = "icdo3/histologicTypeIcdO3_preferredTermsOnly.csv";
const EOD_ZIP: &str = "staging/eod_public-3.3.zip";
const SCHEMA_SELECTION: &str = "written/eod_public_3.3_schema_selection.tsv";
const SCHEMA_CODES: &str = "written/eod_public_3.3_schema_item_codes.tsv";
/// Surgery table editions and the first diagnosis year each applies to.
pub const SURGERY: &[(u16, &str)] = &[
    (2018, "surgery/site-specific-surgery-tables-2018.xml"),
    (2021, "surgery/site-specific-surgery-tables-2021.xml"),
    (2022, "surgery/site-specific-surgery-tables-2022.xml"),
    (2023, "surgery/site-specific-surgery-tables-2023.xml"),
    (2024, "surgery/site-specific-surgery-tables-2024.xml"),
];

/// Items of the schema code table that other edits check on their own; everything else in that
/// table is treated as a site-specific data item.
const NOT_SSDI: &[u16] = &[
    225, 230, 500, 523, 764, 772, 774, 776, 820, 830, 1068, 3843, 3844, 3845, 3926, 3927,
];

/// Receptor summary and percent-positive SSDIs (E17 estrogen, E18 progesterone).
pub const RECEPTOR_PAIRS: [(&str, &str); 2] = [
    (
        "estrogenReceptorSummary",
        "estrogenReceptorPercntPosOrRange",
    ),
    (
        "progesteroneRecepSummary",
        "progesteroneRecepPrcntPosOrRange",
    ),
];

/// Most SSDI dense indices a record bitset can hold.
pub const MAX_SSDI: usize = 256;

/// A small multiplicative hash for short ASCII keys (item ids): the default SipHash costs more
/// than the rest of a lookup.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Where an item of a record goes: a named field of the view, or a site-specific data item
/// (dense index into [`ReferenceTables::ssdi_items`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Field(F),
    Ssdi(u16),
}

/// A set of codes: exact values plus ranges as published (`01-89`, `0.1-99.9`).
#[derive(Debug, Clone, Default)]
pub struct CodeSet {
    exact: Vec<Box<str>>,
    ranges: Vec<(Box<str>, Box<str>)>,
}

impl CodeSet {
    fn add(&mut self, code: &str) {
        match code.split_once('-') {
            Some((lo, hi)) if !lo.is_empty() && !hi.is_empty() => {
                self.ranges.push((lo.trim().into(), hi.trim().into()))
            }
            _ => self.exact.push(code.into()),
        }
    }

    fn finish(&mut self) {
        self.exact.sort_unstable();
        self.exact.dedup();
    }

    pub fn contains(&self, v: &str) -> bool {
        self.exact.binary_search_by(|c| (**c).cmp(v)).is_ok()
            || self.ranges.iter().any(|(lo, hi)| in_range(lo, hi, v))
    }
}

/// Same-width digit ranges compare as strings; decimal ranges need the value written with the
/// same number of decimals.
fn in_range(lo: &str, hi: &str, v: &str) -> bool {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !numeric(v) || v.bytes().filter(|b| *b == b'.').count() > 1 {
        return false;
    }
    let decimals = |s: &str| s.split_once('.').map(|(_, d)| d.len());
    if lo.contains('.') {
        if decimals(v) != decimals(lo) {
            return false;
        }
        match (v.parse::<f64>(), lo.parse::<f64>(), hi.parse::<f64>()) {
            (Ok(x), Ok(l), Ok(h)) => l <= x && x <= h,
            _ => false,
        }
    } else {
        v.len() == lo.len() && !v.contains('.') && lo <= v && v <= hi
    }
}

/// A column of the schema selection table.
#[derive(Debug, Clone)]
enum Spec {
    /// Blank column: the table does not look at this input.
    Unused,
    /// `*`: any value, blank included.
    Any,
    /// Listed values or numeric ranges; `blank` when the list has an empty element.
    List {
        ranges: Vec<(u32, u32)>,
        blank: bool,
    },
}

impl Spec {
    fn parse(s: &str) -> Spec {
        let s = s.trim();
        if s.is_empty() {
            return Spec::Unused;
        }
        if s == "*" {
            return Spec::Any;
        }
        let mut ranges = Vec::new();
        let mut blank = false;
        for part in s.split(',').map(str::trim) {
            if part.is_empty() {
                blank = true;
                continue;
            }
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            if let (Ok(lo), Ok(hi)) = (lo.trim().parse(), hi.trim().parse()) {
                ranges.push((lo, hi));
            }
        }
        Spec::List { ranges, blank }
    }

    fn matches(&self, v: &str) -> bool {
        match self {
            Spec::Unused | Spec::Any => true,
            Spec::List { ranges, blank } => {
                if v.is_empty() {
                    return *blank;
                }
                let Ok(n) = v.parse::<u32>() else {
                    return false;
                };
                v.bytes().all(|b| b.is_ascii_digit())
                    && ranges.iter().any(|(lo, hi)| *lo <= n && n <= *hi)
            }
        }
    }

    fn is_list(&self) -> bool {
        matches!(self, Spec::List { .. })
    }
}

#[derive(Debug, Clone)]
struct SelectionRow {
    schema: usize,
    hists: Vec<(u16, u16)>,
    disc1: Spec,
    disc2: Spec,
    year: Spec,
    behavior: Spec,
}

/// Inputs of the EOD schema selection.
#[derive(Debug, Clone, Copy)]
pub struct SchemaInputs<'a> {
    pub site: u16,
    pub hist: u16,
    pub year: &'a str,
    pub behavior: &'a str,
    pub disc1: &'a str,
    pub disc2: &'a str,
}

/// One EOD schema: its id and the codes of its inputs.
#[derive(Debug, Clone)]
pub struct Schema {
    pub id: String,
    pub key: String,
    /// (NAACCR item number, valid codes), sorted by item number.
    items: Vec<(u16, CodeSet)>,
    /// Items SEER requires for the schema (XML id), with the diagnosis years (inclusive).
    pub seer_required: Vec<(String, u16, u16)>,
    /// Every setter's requirement of the schema's items (`required_by` column), resolved to
    /// record slots: (slot, requirement, XML id).
    pub(crate) required_by_setter: Vec<(Slot, super::required::SchemaRequirement, String)>,
    /// The same before resolving: (XML id, requirement).
    required_flags: Vec<(String, super::required::SchemaRequirement)>,
}

impl Schema {
    /// Valid codes of an item in this schema; `None` when the schema does not use the item.
    pub fn codes(&self, item: u16) -> Option<&CodeSet> {
        self.items
            .binary_search_by_key(&item, |(n, _)| *n)
            .ok()
            .and_then(|i| self.items.get(i))
            .map(|(_, c)| c)
    }

    pub fn uses(&self, item: u16) -> bool {
        self.codes(item).is_some()
    }
}

/// Surgery codes of one site-specific table.
#[derive(Debug, Clone)]
struct SurgeryTable {
    sites: Vec<(u16, u16)>,
    codes: Vec<Box<str>>,
}

/// The reference lists, loaded once and shared by every run.
#[derive(Debug, Clone)]
pub struct ReferenceTables {
    /// Where the tables were read from (`embedded data/reference` or a folder).
    source: String,
    site_type_2022: HashSet<u32>,
    site_type_2015: HashSet<u32>,
    /// hist * 10 + behavior as listed in ICD-O-3.
    hist_beh: HashSet<u32>,
    /// Per histology, a bit per behavior listed.
    hist_behaviors: HashMap<u16, u8>,
    schemas: Vec<Schema>,
    schema_index: HashMap<String, usize>,
    /// Selection rows indexed by site number (0..=809).
    selection: Vec<Vec<SelectionRow>>,
    /// Schema-table items read through SSDI slots: (XML id, item number), sorted by XML id.
    ssdi: Vec<(String, u16)>,
    /// Per entry of `ssdi`: whether it is a true site-specific data item, which must be blank
    /// for a schema that does not define it (the others are inputs every case carries).
    site_specific: Vec<bool>,
    /// SSDI slots of (summary, percent) of the receptor pairs E17/E18 compare, resolved once.
    receptors: [Option<(u16, u16)>; 2],
    /// SSDI slots of the summary/value pairs of `rules::i_biomarkers` (by its `ITEMS` order).
    biomarkers: Vec<Option<u16>>,
    /// Item id -> record slot, for every field the edits read and every SSDI.
    slots: FxMap<Box<str>, Slot>,
    /// Surgery editions: first year, tables.
    surgery: Vec<(u16, Vec<SurgeryTable>)>,
    /// The EOD algorithm, to recompute derived items (D06, E10); absent when its ZIP is.
    eod: Option<std::sync::Arc<crate::staging::Algorithm>>,
    /// The year the EOD algorithm compares diagnosis years with (`CANCER_REGISTRY_CURRENT_YEAR`,
    /// else the clock), read once at load.
    current_year: u16,
}

impl ReferenceTables {
    /// The EOD staging algorithm, when its ZIP is installed with the tables.
    pub fn eod(&self) -> Option<&crate::staging::Algorithm> {
        self.eod.as_deref()
    }

    /// Attaches the EOD algorithm of the tables' source: `staging`'s when it was read from the
    /// same ZIP bytes (the default: one embedded file), else the tables' own copy, compiled here.
    /// One copy of about 6 MB instead of two.
    pub fn attach_eod(&mut self, src: &Source, staging: Option<&crate::staging::Registry>) {
        let Ok(bytes) = src.read(EOD_ZIP) else {
            self.eod = None;
            return;
        };
        let digest = crate::staging::Algorithm::zip_digest(&bytes);
        self.eod = staging.and_then(|s| s.by_digest(&digest)).or_else(|| {
            let name = src.path(EOD_ZIP).display().to_string();
            crate::staging::Algorithm::load_zip_bytes(&name, &bytes)
                .ok()
                .map(std::sync::Arc::new)
        });
    }

    /// Where the tables were read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The published tables behind the edits, by the release each file names.
    pub fn versions(&self) -> Vec<String> {
        let mut v = vec![
            "SEER site/histology validation list 2022-04-29 and 2015-09-18".to_string(),
            "EOD schema tables eod_public 3.3".to_string(),
        ];
        v.push(format!(
            "site-specific surgery tables {}",
            SURGERY
                .iter()
                .map(|(y, _)| y.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if self.eod.is_none() {
            v.push("EOD algorithm absent: derivation edits do not run".to_string());
        }
        v
    }

    /// The year staging compares diagnosis years with.
    pub fn current_year(&self) -> u16 {
        self.current_year
    }
}

fn read(src: &Source, rel: &str) -> Result<String, Error> {
    src.read_to_string(rel).map_err(|source| Error::Io {
        path: src.path(rel),
        source,
    })
}

fn parse_err(rel: &str, line: usize, reason: impl Into<String>) -> Error {
    Error::Parse {
        path: PathBuf::from(rel),
        line,
        reason: reason.into(),
    }
}

fn site_ranges(s: &str) -> Vec<(u16, u16)> {
    s.split(',')
        .filter_map(|p| {
            let p = p.trim();
            let (lo, hi) = p.split_once('-').unwrap_or((p, p));
            Some((parse_site(lo.trim())?, parse_site(hi.trim())?))
        })
        .collect()
}

fn num_ranges(s: &str) -> Vec<(u16, u16)> {
    s.split(',')
        .filter_map(|p| {
            let p = p.trim();
            let (lo, hi) = p.split_once('-').unwrap_or((p, p));
            Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?))
        })
        .collect()
}

fn site_type_key(site: u16, hist: u16, beh: u8) -> u32 {
    u32::from(site) * 100_000 + u32::from(hist) * 10 + u32::from(beh)
}

fn load_site_type(src: &Source, rel: &str) -> Result<HashSet<u32>, Error> {
    let text = read(src, rel)?;
    let mut set = HashSet::with_capacity(60_000);
    for (n, line) in text.lines().enumerate().skip(1) {
        let mut cols = line.split('\t');
        let (Some(site), Some(hist), Some(beh)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        match (parse_site(site), hist.parse(), beh.parse()) {
            (Some(s), Ok(h), Ok(b)) => set.insert(site_type_key(s, h, b)),
            _ => return Err(parse_err(rel, n + 1, format!("bad row {line:?}"))),
        };
    }
    if set.is_empty() {
        return Err(parse_err(rel, 0, "no rows"));
    }
    Ok(set)
}

/// One site-specific table of a SEER surgery XML: its title, the sites it covers and its coded
/// rows (code, description without markup); rows without a code (notes, headings) are left out.
#[derive(Debug, Clone)]
pub struct SurgeryTableText {
    pub title: String,
    pub sites: Vec<(u16, u16)>,
    pub rows: Vec<(String, String)>,
}

/// Reads a SEER-maintained surgery XML line by line: each `<code>` and `<description>` element
/// sits on its own line in every published edition, so no XML parser is needed.
pub fn parse_surgery_tables(text: &str) -> Vec<SurgeryTableText> {
    let mut tables: Vec<SurgeryTableText> = Vec::new();
    let mut title = String::new();
    let mut pending: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("<surgery-table title=\"") {
            title = rest.split('"').next().unwrap_or_default().to_string();
        } else if let Some(rest) = line.strip_prefix("<site-inclusion>") {
            tables.push(SurgeryTableText {
                title: std::mem::take(&mut title),
                sites: site_ranges(rest.trim_end_matches("</site-inclusion>")),
                rows: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("<code>") {
            let code = rest.trim_end_matches("</code>").trim();
            pending = (!code.is_empty()).then(|| code.to_string());
        } else if line.starts_with("<code/>") {
            pending = None;
        } else if let Some(rest) = line.strip_prefix("<description>") {
            if let (Some(code), Some(t)) = (pending.take(), tables.last_mut()) {
                let text = rest
                    .trim_end_matches("</description>")
                    .trim_start_matches("<![CDATA[")
                    .trim_end_matches("]]>");
                t.rows.push((code, strip_markup(text)));
            }
        }
    }
    tables
}

/// Text of a description without its HTML tags.
fn strip_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The site inclusions and codes of a SEER-maintained surgery XML.
fn load_surgery(src: &Source, rel: &str) -> Result<Vec<SurgeryTable>, Error> {
    let text = read(src, rel)?;
    let tables: Vec<SurgeryTable> = parse_surgery_tables(&text)
        .into_iter()
        .map(|t| SurgeryTable {
            sites: t.sites,
            codes: t.rows.into_iter().map(|(code, _)| code.into()).collect(),
        })
        .collect();
    if tables.is_empty() {
        return Err(parse_err(rel, 0, "no <site-inclusion> found"));
    }
    Ok(tables)
}

impl ReferenceTables {
    /// Loads every list from a folder; fails with the missing or malformed file named.
    pub fn load(dir: impl AsRef<Path>) -> Result<ReferenceTables, Error> {
        ReferenceTables::load_source(&Source::Folder(dir.as_ref().to_path_buf()))
    }

    /// The configured folder (`CANCER_REGISTRY_REFERENCE`), else the embedded tables.
    pub fn default_source() -> Source {
        Source::from_env(REFERENCE_ENV, EMBEDDED_PART)
    }

    /// Loads every list from the embedded copy or a folder; fails with the missing or malformed
    /// file named. The derivation edits need the EOD algorithm itself; without its ZIP they do
    /// not run.
    pub fn load_source(src: &Source) -> Result<ReferenceTables, Error> {
        let mut tables = ReferenceTables::load_lists(src)?;
        tables.attach_eod(src, None);
        Ok(tables)
    }

    /// The lists without the EOD algorithm, for a caller that attaches it with
    /// [`ReferenceTables::attach_eod`] once the staging algorithms are loaded.
    pub fn load_lists(src: &Source) -> Result<ReferenceTables, Error> {
        if !src.exists() {
            return Err(Error::MissingDir(src.path("")));
        }
        let site_type_2022 = load_site_type(src, SITE_TYPE_2022)?;
        let site_type_2015 = load_site_type(src, SITE_TYPE_2015)?;

        let mut hist_beh = HashSet::new();
        let mut hist_behaviors: HashMap<u16, u8> = HashMap::new();
        for (n, line) in read(src, HIST_BEH)?.lines().enumerate() {
            let code = line.split(',').next().unwrap_or("");
            let Some((h, b)) = code.split_once('/') else {
                return Err(parse_err(HIST_BEH, n + 1, format!("bad code {code:?}")));
            };
            let (Ok(h), Ok(b)) = (h.parse::<u16>(), b.parse::<u8>()) else {
                return Err(parse_err(HIST_BEH, n + 1, format!("bad code {code:?}")));
            };
            hist_beh.insert(u32::from(h) * 10 + u32::from(b));
            *hist_behaviors.entry(h).or_default() |= 1u8.checked_shl(u32::from(b)).unwrap_or(0);
        }

        let mut schemas: Vec<Schema> = Vec::new();
        let mut schema_index: HashMap<String, usize> = HashMap::new();
        let mut selection: Vec<Vec<SelectionRow>> = vec![Vec::new(); 810];
        for (n, line) in read(src, SCHEMA_SELECTION)?.lines().enumerate().skip(1) {
            let c: Vec<&str> = line.split('\t').collect();
            let [id, key, _name, sites, hists, d1, d2, year, beh] = c[..] else {
                return Err(parse_err(SCHEMA_SELECTION, n + 1, "expected 9 columns"));
            };
            let schema = *schema_index.entry(id.to_string()).or_insert_with(|| {
                schemas.push(Schema {
                    id: id.to_string(),
                    key: key.to_string(),
                    items: Vec::new(),
                    seer_required: Vec::new(),
                    required_by_setter: Vec::new(),
                    required_flags: Vec::new(),
                });
                schemas.len() - 1
            });
            let row = SelectionRow {
                schema,
                hists: num_ranges(hists),
                disc1: Spec::parse(d1),
                disc2: Spec::parse(d2),
                year: Spec::parse(year),
                behavior: Spec::parse(beh),
            };
            for (lo, hi) in site_ranges(sites) {
                for s in lo..=hi.min(809) {
                    if let Some(v) = selection.get_mut(usize::from(s)) {
                        v.push(row.clone());
                    }
                }
            }
        }

        let mut items: Vec<HashMap<u16, CodeSet>> = vec![HashMap::new(); schemas.len()];
        let mut ssdi_numbers: HashSet<u16> = HashSet::new();
        // the `SSDI` flag of the required_by column marks the true site-specific data items
        let mut flagged_ssdi: HashSet<u16> = HashSet::new();
        for (n, line) in read(src, SCHEMA_CODES)?.lines().enumerate().skip(1) {
            let c: Vec<&str> = line.split('\t').collect();
            if c.len() < 10 {
                return Err(parse_err(SCHEMA_CODES, n + 1, "expected 10 columns"));
            }
            let Some(&schema) = schema_index.get(c[0]) else {
                return Err(parse_err(
                    SCHEMA_CODES,
                    n + 1,
                    format!("unknown schema {}", c[0]),
                ));
            };
            let Ok(item) = c[2].parse::<u16>() else {
                return Err(parse_err(SCHEMA_CODES, n + 1, "bad item number"));
            };
            if let Some(set) = items.get_mut(schema) {
                set.entry(item).or_default().add(c[5].trim());
            }
            if !NOT_SSDI.contains(&item) {
                ssdi_numbers.insert(item);
            }
            if c[9]
                .split(';')
                .any(|f| f.trim() == "SSDI" || f.trim().starts_with("SSDI:"))
            {
                flagged_ssdi.insert(item);
            }
            if let (Some(s), Some(def)) = (
                schemas.get_mut(schema),
                Dictionary::v260().by_number(u32::from(item)),
            ) {
                // post-therapy grades are coded only after neoadjuvant therapy
                let optional = matches!(item, 1068 | 3845);
                for flag in c[9].split(';').filter(|_| !optional) {
                    if let Some(req) = super::required::parse_required_flag(flag) {
                        let dup = s.required_flags.iter().any(|(id, r)| {
                            *id == def.id
                                && r.setter == req.setter
                                && r.analytic_only == req.analytic_only
                        });
                        if !dup {
                            s.required_flags.push((def.id.clone(), req));
                        }
                    }
                }
                for flag in c[9].split(';').filter(|_| !optional) {
                    if let Some((from, to)) = seer_required_years(flag) {
                        if !s.seer_required.iter().any(|r| r.0 == def.id) {
                            s.seer_required.push((def.id.clone(), from, to));
                        }
                    }
                }
            }
        }
        for (schema, map) in schemas.iter_mut().zip(items) {
            let mut v: Vec<(u16, CodeSet)> = map.into_iter().collect();
            v.iter_mut().for_each(|(_, c)| c.finish());
            v.sort_unstable_by_key(|(n, _)| *n);
            schema.items = v;
        }
        let dict = Dictionary::v260();
        let mut ssdi: Vec<(String, u16)> = ssdi_numbers
            .into_iter()
            .filter_map(|n| Some((dict.by_number(u32::from(n))?.id.clone(), n)))
            .collect();
        ssdi.sort_unstable();
        if ssdi.len() > MAX_SSDI {
            return Err(parse_err(
                SCHEMA_CODES,
                0,
                "more site-specific items than supported",
            ));
        }
        let site_specific: Vec<bool> = ssdi.iter().map(|(_, n)| flagged_ssdi.contains(n)).collect();
        let mut slots: FxMap<Box<str>, Slot> = FxMap::default();
        for (i, (id, _)) in ssdi.iter().enumerate() {
            slots.insert(id.as_str().into(), Slot::Ssdi(i as u16));
        }
        // a field the edits read by name wins over the SSDI slot
        for f in ALL_FIELDS {
            slots.insert(f.id().into(), Slot::Field(*f));
        }
        for schema in &mut schemas {
            // Schema discriminators are required only where the schema selection reads them,
            // which E03/N3007 check; requiring them for the whole schema here would make the
            // two edits contradict each other on sites whose selection ignores them.
            schema.required_by_setter = schema
                .required_flags
                .iter()
                .filter(|(id, _)| !id.starts_with("schemaDiscriminator"))
                .filter_map(|(id, req)| Some((*slots.get(id.as_str())?, req.clone(), id.clone())))
                .collect();
        }

        let ssdi_slot = |id: &str| match slots.get(id) {
            Some(Slot::Ssdi(i)) => Some(*i),
            _ => None,
        };
        let receptors = RECEPTOR_PAIRS.map(|(s, p)| Some((ssdi_slot(s)?, ssdi_slot(p)?)));
        let biomarkers = super::rules::i_biomarkers::ITEMS
            .iter()
            .map(|id| ssdi_slot(id))
            .collect();

        let mut surgery = Vec::new();
        for (year, rel) in SURGERY {
            surgery.push((*year, load_surgery(src, rel)?));
        }

        Ok(ReferenceTables {
            source: src.describe(),
            eod: None,
            current_year: crate::config::current_year().unwrap_or(2026),
            site_type_2022,
            site_type_2015,
            hist_beh,
            hist_behaviors,
            schemas,
            schema_index,
            selection,
            ssdi,
            site_specific,
            receptors,
            biomarkers,
            slots,
            surgery,
        })
    }

    /// Whether (site, histology, behavior) is on the SEER Site/Histology Validation List in
    /// force for the diagnosis year (the 2022 list from 2022, the 2015 list before).
    pub fn site_type_valid(&self, year: u16, site: u16, hist: u16, beh: u8) -> bool {
        let set = if year >= 2022 {
            &self.site_type_2022
        } else {
            &self.site_type_2015
        };
        set.contains(&site_type_key(site, hist, beh))
    }

    /// Whether ICD-O-3 lists the histology with that behavior.
    pub fn hist_beh_listed(&self, hist: u16, beh: u8) -> bool {
        self.hist_beh
            .contains(&(u32::from(hist) * 10 + u32::from(beh)))
    }

    /// Behaviors ICD-O-3 lists for a histology, one bit each; 0 when unknown.
    pub fn behaviors_of(&self, hist: u16) -> u8 {
        self.hist_behaviors.get(&hist).copied().unwrap_or(0)
    }

    pub fn schema_by_id(&self, id: &str) -> Option<usize> {
        self.schema_index.get(id).copied()
    }

    pub fn schema(&self, index: usize) -> Option<&Schema> {
        self.schemas.get(index)
    }

    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// Site-specific data items (XML id, number), sorted by XML id.
    pub fn ssdi_items(&self) -> &[(String, u16)] {
        &self.ssdi
    }

    /// Whether the schema-table item at a dense index is a site-specific data item.
    pub fn is_site_specific(&self, index: u16) -> bool {
        self.site_specific
            .get(usize::from(index))
            .copied()
            .unwrap_or(false)
    }

    /// SSDI slots of a receptor pair of [`RECEPTOR_PAIRS`].
    pub fn receptor_slots(&self, pair: usize) -> Option<(u16, u16)> {
        self.receptors.get(pair).copied().flatten()
    }

    /// SSDI slot of the `i`-th item of `rules::i_biomarkers::ITEMS`.
    #[inline]
    pub fn biomarker_slot(&self, i: usize) -> Option<u16> {
        self.biomarkers.get(i).copied().flatten()
    }

    /// The record slot of an item id.
    #[inline]
    pub fn slot(&self, id: &str) -> Option<Slot> {
        self.slots.get(id).copied()
    }

    /// Schemas whose selection rows match the inputs, ignoring the discriminators named false.
    /// Calls `f(schema, row_uses_disc1_list, row_uses_disc2_list)` for each matching row.
    pub fn select_schema(
        &self,
        inp: &SchemaInputs<'_>,
        use_disc1: bool,
        use_disc2: bool,
        mut f: impl FnMut(usize, bool, bool),
    ) {
        let Some(rows) = self.selection.get(usize::from(inp.site)) else {
            return;
        };
        for row in rows {
            if row
                .hists
                .iter()
                .any(|(lo, hi)| *lo <= inp.hist && inp.hist <= *hi)
                && row.year.matches(inp.year)
                && row.behavior.matches(inp.behavior)
                && (!use_disc1 || row.disc1.matches(inp.disc1))
                && (!use_disc2 || row.disc2.matches(inp.disc2))
            {
                f(row.schema, row.disc1.is_list(), row.disc2.is_list());
            }
        }
    }

    /// Surgery codes valid for the site in the surgery edition of the diagnosis year; `None`
    /// when no edition covers the year or no table covers the site.
    pub fn surgery_codes(&self, year: u16, site: u16) -> Option<&[Box<str>]> {
        let (_, tables) = self.surgery.iter().rev().find(|(from, _)| *from <= year)?;
        tables
            .iter()
            .find(|t| t.sites.iter().any(|(lo, hi)| *lo <= site && site <= *hi))
            .map(|t| t.codes.as_slice())
    }
}

/// `SEER_REQUIRED`, `SEER_REQUIRED:2021-`, `SEER_REQUIRED:2018-2023` -> years (inclusive).
fn seer_required_years(flag: &str) -> Option<(u16, u16)> {
    let flag = flag.trim();
    if flag == "SEER_REQUIRED" {
        return Some((2018, 9999));
    }
    let years = flag.strip_prefix("SEER_REQUIRED:")?;
    let (from, to) = years.split_once('-')?;
    Some((from.parse().ok()?, to.parse().unwrap_or(9999)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_sets_match_exact_codes_and_ranges() {
        let mut c = CodeSet::default();
        for code in ["00", "01-89", "95", "0.1-99.9", "XX.8"] {
            c.add(code);
        }
        c.finish();
        assert!(c.contains("00") && c.contains("45") && c.contains("89") && c.contains("95"));
        assert!(!c.contains("90") && !c.contains("5") && !c.contains("045"));
        assert!(c.contains("12.5") && c.contains("XX.8"));
        assert!(!c.contains("12.55") && !c.contains("100.0") && !c.contains("1.2.3"));
        assert!(!c.contains("") && !c.contains("-1"));
    }

    #[test]
    fn selection_specs() {
        assert!(Spec::parse("").matches("anything"));
        assert!(Spec::parse("*").matches(""));
        let years = Spec::parse("2023-9998, 9999,");
        assert!(years.matches("2024") && years.matches("") && !years.matches("2022"));
        let d = Spec::parse("1,5,6,9");
        assert!(d.matches("5") && !d.matches("4") && !d.matches("") && !d.matches("x"));
    }

    #[test]
    fn seer_required_flags() {
        assert_eq!(seer_required_years("SEER_REQUIRED"), Some((2018, 9999)));
        assert_eq!(
            seer_required_years("SEER_REQUIRED:2021-"),
            Some((2021, 9999))
        );
        assert_eq!(
            seer_required_years("SEER_REQUIRED:2018-2023"),
            Some((2018, 2023))
        );
        assert_eq!(
            seer_required_years("SEER_REQUIRED_WHEN_COC_ANALYTIC:2024-"),
            None
        );
    }
}
