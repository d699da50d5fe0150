//! Loading an algorithm ZIP and compiling it into lookup structures.
//!
//! Everything that can be decided from the data alone is decided here, once: cells become typed ranges,
//! table/key names become integer ids, jump targets are resolved, large tables get a row index and the
//! schema-selection tables are indexed by primary site. Evaluation (`engine.rs`) then only follows ids.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::hash::FxMap;
use super::matcher::{whole_ref, AnyOf, Cell, KeyId, Piece, Probe};
use super::model::{
    RawInput, RawKeyMapping, RawKeyValue, RawMapping, RawMetadata, RawOutput, RawSchema, RawTable,
    RawTablePath,
};
use super::Error;

const MAX_ENTRIES: usize = 10_000;
const MAX_ENTRY_BYTES: u64 = 10 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 100_000_000;
const MAX_RATIO: u64 = 50;
/// Tables shorter than this are scanned linearly; an index costs more than it saves.
const INDEX_MIN_ROWS: usize = 4;

pub(crate) const CTX_ALG_VERSION: &str = "ctx_alg_version";
pub(crate) const CTX_YEAR_CURRENT: &str = "ctx_year_current";

/// Interned names of every key an algorithm's data can touch.
///
/// Looked up once per supplied input of every case, so the lookup avoids a general hasher: a few
/// hundred names spread over a fixed table by length and three sampled bytes rarely share a slot.
#[derive(Debug)]
pub(crate) struct Keys {
    slots: Vec<Vec<KeyId>>,
    names: Vec<Box<str>>,
}

const KEY_SLOTS: usize = 1024;

impl Default for Keys {
    fn default() -> Self {
        Keys {
            slots: vec![Vec::new(); KEY_SLOTS],
            names: Vec::new(),
        }
    }
}

#[inline]
fn key_slot(name: &str) -> usize {
    let b = name.as_bytes();
    let (first, mid, last) = match (b.first(), b.get(b.len() / 2), b.last()) {
        (Some(f), Some(m), Some(l)) => (*f as usize, *m as usize, *l as usize),
        _ => (0, 0, 0),
    };
    (b.len().wrapping_mul(0x9e37) ^ first.wrapping_mul(31) ^ mid.wrapping_mul(0x3d) ^ (last << 3))
        % KEY_SLOTS
}

impl Keys {
    pub(crate) fn intern(&mut self, name: &str) -> KeyId {
        if let Some(id) = self.get(name) {
            return id;
        }
        let id = self.names.len() as KeyId;
        self.names.push(name.into());
        if let Some(slot) = self.slots.get_mut(key_slot(name)) {
            slot.push(id);
        }
        id
    }
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<KeyId> {
        self.slots.get(key_slot(name))?.iter().copied().find(|&id| {
            self.names
                .get(id as usize)
                .is_some_and(|n| n.len() == name.len() && n.as_bytes() == name.as_bytes())
        })
    }
    pub(crate) fn name(&self, id: KeyId) -> &str {
        self.names.get(id as usize).map_or("", |s| s)
    }
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// A table reference that may point at a table the ZIP does not contain (reported at run time, as the
/// reference does, instead of refusing the whole ZIP).
#[derive(Debug, Clone)]
pub(crate) enum TableRef {
    Known(u32),
    Unknown(Box<str>),
}

/// A string that is either literal or a whole-string `{{key}}` reference.
#[derive(Debug, Clone)]
pub(crate) enum ValueSrc {
    Lit(Arc<str>),
    Ref(KeyId),
}

impl ValueSrc {
    fn parse(s: &str, keys: &mut Keys) -> ValueSrc {
        match whole_ref(s) {
            Some(k) => ValueSrc::Ref(keys.intern(k)),
            None => ValueSrc::Lit(Arc::from(s)),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum EndpointKind {
    /// `None` deletes the key (`VALUE` without a colon).
    Value(Option<ValueSrc>),
    Match,
    Jump(TableRef),
    Stop,
    Error(Option<Box<str>>),
}

#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) kind: EndpointKind,
    pub(crate) key: KeyId,
}

/// Candidate rows for one value of the indexed column, in table order.
#[derive(Debug)]
pub(crate) struct RowIndex {
    pub(crate) column: usize,
    pub(crate) by_value: FxMap<Box<str>, Box<[u32]>>,
    /// Rows whose cell in the indexed column is not a plain list of values.
    pub(crate) other: Box<[u32]>,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) id: Box<str>,
    pub(crate) inputs: Vec<KeyId>,
    pub(crate) input_needs_number: Vec<bool>,
    pub(crate) endpoint_keys: Vec<KeyId>,
    pub(crate) n_rows: usize,
    /// `n_rows * inputs.len()`, row-major.
    /// Shared: identical cell texts compile to one `Cell`, and most cells repeat.
    pub(crate) cells: Vec<Arc<Cell>>,
    /// Endpoints of each row (rows can have null cells, hence a list per row).
    pub(crate) endpoints: Vec<Box<[Endpoint]>>,
    /// Raw INPUT cell text, row-major, for listing codes.
    pub(crate) raw_inputs: Vec<Arc<str>>,
    /// First DESCRIPTION column's text per row.
    pub(crate) descriptions: Vec<Option<Box<str>>>,
    pub(crate) index: Option<RowIndex>,
    /// For tables with one INPUT column and at least one row: the union of that column's cells.
    pub(crate) any_of: Option<AnyOf>,
}

/// What an invalid input value does (`on_invalid_input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnInvalidInput {
    Continue,
    Fail,
    FailWhenUsedForStaging,
}

/// A metadata tag of an input or output, both ZIP encodings normalised.
#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<i32>,
}

/// A schema input: a key a caller may supply.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub key: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub naaccr_item: Option<i64>,
    pub naaccr_xml_id: Option<String>,
    pub default: Option<String>,
    pub default_table: Option<String>,
    /// Id of the validation table.
    pub table: Option<String>,
    pub used_for_staging: bool,
    pub metadata: Vec<Metadata>,
    #[serde(skip)]
    pub(crate) kid: KeyId,
    #[serde(skip)]
    pub(crate) default_src: Option<ValueSrc>,
    #[serde(skip)]
    pub(crate) default_table_ref: Option<TableRef>,
    #[serde(skip)]
    pub(crate) table_ref: Option<TableRef>,
}

/// A schema output: a key the staging result contains.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub key: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub naaccr_item: Option<i64>,
    pub naaccr_xml_id: Option<String>,
    pub default: Option<String>,
    pub table: Option<String>,
    pub metadata: Vec<Metadata>,
    #[serde(skip)]
    pub(crate) kid: KeyId,
    #[serde(skip)]
    pub(crate) default_src: Option<ValueSrc>,
    #[serde(skip)]
    pub(crate) table_ref: Option<TableRef>,
}

#[derive(Debug)]
pub(crate) struct TablePath {
    pub(crate) table: TableRef,
    pub(crate) input_mapping: Vec<(KeyId, KeyId)>,
    pub(crate) output_mapping: Vec<(KeyId, KeyId)>,
}

#[derive(Debug)]
pub(crate) struct Mapping {
    pub(crate) id: Box<str>,
    pub(crate) inclusion: Vec<TablePath>,
    pub(crate) exclusion: Vec<TablePath>,
    pub(crate) initial_context: Vec<(KeyId, Option<Arc<str>>)>,
    pub(crate) tables: Vec<TablePath>,
}

/// One staging schema.
#[derive(Debug)]
pub struct Schema {
    pub id: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    /// CS only: the CS schema number.
    pub schema_num: Option<i64>,
    pub selection_table: String,
    /// Keys besides site/histology the selection may need.
    pub discriminators: Vec<String>,
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    pub on_invalid_input: OnInvalidInput,
    pub(crate) selection_ref: TableRef,
    pub(crate) initial_context: Vec<(KeyId, Option<ValueSrc>)>,
    pub(crate) mappings: Vec<Mapping>,
    /// Input position by key id (`u32::MAX` = not an input); filled once all keys are known.
    pub(crate) input_pos: Vec<u32>,
    pub(crate) year_input: Option<usize>,
}

/// Summary of one loaded algorithm.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AlgorithmInfo {
    pub id: String,
    pub version: String,
    pub schema_count: usize,
    pub table_count: usize,
}

/// One valid code (or code range, as written in the table) of an input, for building forms.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CodeEntry {
    pub code: String,
    pub description: Option<String>,
}

/// Site or histology values accepted by the lookup.
#[derive(Debug, Default)]
pub(crate) struct CodeSet {
    pub(crate) values: std::collections::HashSet<Box<str>, super::hash::FxBuild>,
    /// Ranges that cannot be enumerated (non-numeric bounds); matched with range semantics.
    pub(crate) ranges: Vec<(String, String)>,
}

impl CodeSet {
    pub(crate) fn contains(&self, v: &str) -> bool {
        self.values.contains(v)
            || self
                .ranges
                .iter()
                .any(|(l, h)| super::matcher::range_contains_dynamic(l, h, v))
    }
}

/// A schema index and the ascending rows of its selection table that accept some code.
pub(crate) type SchemaRows = (u32, Box<[u32]>);

/// Schema-selection candidates by the value of one key, with the selection-table rows that can match.
#[derive(Debug)]
pub(crate) struct CodeIndex {
    /// Per code: (schema index, rows of its selection table whose cell accepts the code), by schema.
    pub(crate) by_code: FxMap<Box<str>, CodeCandidates>,
    /// Schemas whose selection table does not constrain this key in an indexable way (sorted).
    pub(crate) any: Box<[u32]>,
    /// `any` as a bit set over schema indices.
    pub(crate) any_bits: Box<[u64]>,
}

#[derive(Debug)]
pub(crate) struct CodeCandidates {
    pub(crate) list: Box<[SchemaRows]>,
    /// Every candidate schema for the code (`list` plus `any`) as a bit set, so that two indexes
    /// intersect with a few word operations.
    pub(crate) bits: Box<[u64]>,
}

pub(crate) fn bit_words(n: usize) -> usize {
    n.div_ceil(64)
}

pub(crate) fn set_bit(bits: &mut [u64], i: u32) {
    if let Some(w) = bits.get_mut(i as usize / 64) {
        *w |= 1u64 << (i % 64);
    }
}

/// Rows of one schema's selection table worth checking; `All` when an index cannot narrow them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rows<'a> {
    All,
    Only(&'a [u32]),
}

/// A loaded, compiled algorithm.
#[derive(Debug)]
pub struct Algorithm {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) keys: Keys,
    pub(crate) tables: Vec<Table>,
    pub(crate) table_ids: FxMap<Box<str>, u32>,
    pub(crate) schemas: Vec<Schema>,
    pub(crate) schema_ids: FxMap<Box<str>, u32>,
    pub(crate) sites: CodeSet,
    pub(crate) hists: CodeSet,
    pub(crate) site_key: KeyId,
    pub(crate) hist_key: KeyId,
    pub(crate) ctx_version_key: KeyId,
    pub(crate) ctx_year_key: KeyId,
    pub(crate) site_index: Option<CodeIndex>,
    pub(crate) hist_index: Option<CodeIndex>,
    /// SHA-256 of the ZIP it was read from (zero when built from entries in memory).
    pub(crate) digest: [u8; 32],
}

fn load_err(source: &str, msg: impl Into<String>) -> Error {
    Error::Load {
        source_name: source.to_string(),
        message: msg.into(),
    }
}

fn dedup_pairs(v: Option<Vec<RawKeyMapping>>) -> Vec<RawKeyMapping> {
    let mut out: Vec<RawKeyMapping> = Vec::new();
    for p in v.unwrap_or_default() {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn dedup_kv(v: Option<Vec<RawKeyValue>>) -> Vec<RawKeyValue> {
    let mut out: Vec<RawKeyValue> = Vec::new();
    for p in v.unwrap_or_default() {
        if !out.iter().any(|o| o.key == p.key && o.value == p.value) {
            out.push(p);
        }
    }
    out
}

fn metadata(v: Option<Vec<RawMetadata>>) -> Vec<Metadata> {
    v.unwrap_or_default()
        .into_iter()
        .map(|m| match m {
            RawMetadata::Name(name) => Metadata {
                name,
                start: None,
                end: None,
            },
            RawMetadata::Full { name, start, end } => Metadata { name, start, end },
        })
        .collect()
}

/// Hands every JSON entry of a ZIP to `visit`, one at a time so that only one entry's text is in
/// memory, with the reference's zip-bomb limits.
fn for_each_entry(
    src: &str,
    reader: impl Read + std::io::Seek,
    mut visit: impl FnMut(&str, &[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let src = src.to_string();
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| load_err(&src, format!("not a readable ZIP: {e}")))?;
    let mut count = 0usize;
    let mut total: u64 = 0;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| load_err(&src, format!("entry {i}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| load_err(&src, format!("entry {i}: {e}")))?
            .to_string();
        if entry.is_dir() || !name.ends_with(".json") {
            continue;
        }
        count += 1;
        if count > MAX_ENTRIES {
            return Err(load_err(&src, "too many JSON entries"));
        }
        let size = entry.size();
        let compressed = entry.compressed_size();
        if size > MAX_ENTRY_BYTES {
            return Err(load_err(&src, format!("{name}: entry too large")));
        }
        if compressed > 0 && size / compressed > MAX_RATIO {
            return Err(load_err(
                &src,
                format!("{name}: compression ratio too high"),
            ));
        }
        buf.clear();
        (&mut entry)
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| load_err(&src, format!("{name}: {e}")))?;
        if buf.len() as u64 > MAX_ENTRY_BYTES {
            return Err(load_err(&src, format!("{name}: entry too large")));
        }
        total += buf.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(load_err(&src, "ZIP content too large"));
        }
        visit(&name, &buf)?;
    }
    Ok(())
}

fn parse_endpoint(cell: &str, keys: &mut Keys, key: KeyId) -> Result<Endpoint, String> {
    let (kind, value) = match cell.split_once(':') {
        Some((k, v)) => (
            super::matcher::java_trim(k),
            Some(super::matcher::java_trim(v)),
        ),
        None => (super::matcher::java_trim(cell), None),
    };
    let kind = match kind {
        "VALUE" => EndpointKind::Value(value.map(|v| ValueSrc::parse(v, keys))),
        "MATCH" => EndpointKind::Match,
        "JUMP" => match value {
            Some(v) if !v.is_empty() => EndpointKind::Jump(TableRef::Unknown(v.into())),
            _ => return Err(format!("JUMP without a table id in '{cell}'")),
        },
        "STOP" => EndpointKind::Stop,
        "ERROR" => EndpointKind::Error(value.filter(|v| !v.is_empty()).map(Into::into)),
        other => return Err(format!("unknown endpoint type '{other}'")),
    };
    Ok(Endpoint { kind, key })
}

/// Load-time deduplication of compiled cells (and their text) across an algorithm's tables.
#[derive(Default)]
struct CellPool {
    cells: FxMap<Box<str>, (Arc<Cell>, Arc<str>)>,
    none: Option<(Arc<Cell>, Arc<str>)>,
}

impl CellPool {
    fn get(&mut self, text: Option<&str>, keys: &mut Keys) -> (Arc<Cell>, Arc<str>) {
        let Some(text) = text else {
            return self
                .none
                .get_or_insert_with(|| (Arc::new(Cell::no_condition()), Arc::from("")))
                .clone();
        };
        if let Some(hit) = self.cells.get(text) {
            return hit.clone();
        }
        let entry = (
            Arc::new(Cell::compile(text, &mut |k| keys.intern(k))),
            Arc::from(text),
        );
        self.cells.insert(text.into(), entry.clone());
        entry
    }
}

fn compile_table(
    raw: RawTable,
    keys: &mut Keys,
    pool: &mut CellPool,
    src: &str,
) -> Result<Table, Error> {
    let defs = raw.definition.unwrap_or_default();
    let rows = raw.rows.unwrap_or_default();
    let mut inputs = Vec::new();
    let mut endpoint_keys = Vec::new();
    let mut input_cols = Vec::new();
    let mut endpoint_cols = Vec::new();
    let mut desc_col = None;
    for (i, c) in defs.iter().enumerate() {
        match c.kind.as_str() {
            "INPUT" => {
                inputs.push(keys.intern(&c.key));
                input_cols.push(i);
            }
            "ENDPOINT" => {
                endpoint_keys.push(keys.intern(&c.key));
                endpoint_cols.push(i);
            }
            "DESCRIPTION" => {
                if desc_col.is_none() {
                    desc_col = Some(i);
                }
            }
            other => {
                return Err(load_err(
                    src,
                    format!("table {}: unknown column type '{other}'", raw.id),
                ))
            }
        }
    }
    let n_rows = rows.len();
    let mut cells = Vec::with_capacity(n_rows * inputs.len());
    let mut raw_inputs = Vec::with_capacity(n_rows * inputs.len());
    let mut endpoints = Vec::with_capacity(n_rows);
    let mut descriptions = Vec::with_capacity(n_rows);
    for (r, row) in rows.iter().enumerate() {
        if row.len() != defs.len() {
            return Err(load_err(
                src,
                format!(
                    "table {}: row {r} has {} cells, expected {}",
                    raw.id,
                    row.len(),
                    defs.len()
                ),
            ));
        }
        for &c in &input_cols {
            let (cell, text) = pool.get(row[c].as_deref(), keys);
            cells.push(cell);
            raw_inputs.push(text);
        }
        let mut eps = Vec::new();
        for (j, &c) in endpoint_cols.iter().enumerate() {
            if let Some(text) = row[c].as_deref() {
                let ep = parse_endpoint(text, keys, endpoint_keys[j])
                    .map_err(|m| load_err(src, format!("table {}: row {r}: {m}", raw.id)))?;
                eps.push(ep);
            }
        }
        endpoints.push(eps.into_boxed_slice());
        descriptions.push(desc_col.and_then(|c| row[c].as_deref().map(Into::into)));
    }
    let input_needs_number = (0..inputs.len())
        .map(|c| (0..n_rows).any(|r| cells[r * inputs.len() + c].needs_number()))
        .collect();
    let mut table = Table {
        id: raw.id.into(),
        inputs,
        input_needs_number,
        endpoint_keys,
        n_rows,
        cells,
        endpoints,
        raw_inputs,
        descriptions,
        index: None,
        any_of: None,
    };
    table.index = build_index(&table);
    Ok(table)
}

/// Picks the INPUT column that narrows the candidate rows most and indexes rows by its exact values.
fn build_index(t: &Table) -> Option<RowIndex> {
    let n_in = t.inputs.len();
    if t.n_rows < INDEX_MIN_ROWS || n_in == 0 {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    for c in 0..n_in {
        let mut other = 0usize;
        let mut buckets: FxMap<&str, usize> = FxMap::default();
        for r in 0..t.n_rows {
            match t.cells[r * n_in + c].only_exact() {
                Some(vals) => {
                    for v in vals {
                        *buckets.entry(v).or_default() += 1;
                    }
                }
                None => other += 1,
            }
        }
        let worst = other + buckets.values().copied().max().unwrap_or(0);
        if best.is_none_or(|(_, w)| worst < w) {
            best = Some((c, worst));
        }
    }
    let (column, worst) = best?;
    if worst * 4 > t.n_rows {
        return None;
    }
    let mut by_value: FxMap<Box<str>, Vec<u32>> = FxMap::default();
    let mut other = Vec::new();
    for r in 0..t.n_rows {
        match t.cells[r * n_in + column].only_exact() {
            Some(vals) => {
                for v in vals {
                    by_value.entry(v.into()).or_default().push(r as u32);
                }
            }
            None => other.push(r as u32),
        }
    }
    let by_value = by_value
        .into_iter()
        .map(|(k, mut rows)| {
            rows.extend_from_slice(&other);
            rows.sort_unstable();
            rows.dedup();
            (k, rows.into_boxed_slice())
        })
        .collect();
    Some(RowIndex {
        column,
        by_value,
        other: other.into_boxed_slice(),
    })
}

fn table_path(raw: RawTablePath, keys: &mut Keys) -> TablePath {
    let pairs = |v: Option<Vec<RawKeyMapping>>, keys: &mut Keys| {
        dedup_pairs(v)
            .into_iter()
            .map(|p| (keys.intern(&p.from), keys.intern(&p.to)))
            .collect()
    };
    TablePath {
        table: TableRef::Unknown(raw.id.into()),
        input_mapping: pairs(raw.input_mapping, keys),
        output_mapping: pairs(raw.output_mapping, keys),
    }
}

fn compile_mapping(raw: RawMapping, keys: &mut Keys) -> Mapping {
    let paths = |v: Option<Vec<RawTablePath>>, keys: &mut Keys| -> Vec<TablePath> {
        v.unwrap_or_default()
            .into_iter()
            .map(|p| table_path(p, keys))
            .collect()
    };
    Mapping {
        id: raw.id.into(),
        inclusion: paths(raw.inclusion_tables, keys),
        exclusion: paths(raw.exclusion_tables, keys),
        initial_context: dedup_kv(raw.initial_context)
            .into_iter()
            .map(|kv| {
                (
                    keys.intern(&kv.key),
                    kv.value.map(|v| Arc::from(v.as_str())),
                )
            })
            .collect(),
        tables: paths(raw.tables, keys),
    }
}

fn compile_input(raw: RawInput, keys: &mut Keys, schema: &str, src: &str) -> Result<Input, Error> {
    let key = raw
        .key
        .ok_or_else(|| load_err(src, format!("schema {schema}: input without key")))?;
    if raw.default.is_some() && raw.default_table.is_some() {
        return Err(load_err(
            src,
            format!("schema {schema}: input {key} has both default and default_table"),
        ));
    }
    Ok(Input {
        kid: keys.intern(&key),
        default_src: raw.default.as_deref().map(|d| ValueSrc::parse(d, keys)),
        default_table_ref: raw
            .default_table
            .as_deref()
            .map(|t| TableRef::Unknown(t.into())),
        table_ref: raw.table.as_deref().map(|t| TableRef::Unknown(t.into())),
        key,
        name: raw.name,
        description: raw.description,
        naaccr_item: raw.naaccr_item,
        naaccr_xml_id: raw.naaccr_xml_id,
        default: raw.default,
        default_table: raw.default_table,
        table: raw.table,
        used_for_staging: raw.used_for_staging.unwrap_or(false),
        metadata: metadata(raw.metadata),
    })
}

fn compile_output(
    raw: RawOutput,
    keys: &mut Keys,
    schema: &str,
    src: &str,
) -> Result<Output, Error> {
    let key = raw
        .key
        .ok_or_else(|| load_err(src, format!("schema {schema}: output without key")))?;
    Ok(Output {
        kid: keys.intern(&key),
        default_src: raw.default.as_deref().map(|d| ValueSrc::parse(d, keys)),
        table_ref: raw.table.as_deref().map(|t| TableRef::Unknown(t.into())),
        key,
        name: raw.name,
        description: raw.description,
        naaccr_item: raw.naaccr_item,
        naaccr_xml_id: raw.naaccr_xml_id,
        default: raw.default,
        table: raw.table,
        metadata: metadata(raw.metadata),
    })
}

fn compile_schema(raw: RawSchema, keys: &mut Keys, src: &str) -> Result<Schema, Error> {
    let id = raw.id;
    let selection_table = raw
        .schema_selection_table
        .ok_or_else(|| load_err(src, format!("schema {id}: missing schema_selection_table")))?;
    let inputs = raw
        .inputs
        .unwrap_or_default()
        .into_iter()
        .map(|i| compile_input(i, keys, &id, src))
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = raw
        .outputs
        .unwrap_or_default()
        .into_iter()
        .map(|o| compile_output(o, keys, &id, src))
        .collect::<Result<Vec<_>, _>>()?;
    let mappings: Vec<Mapping> = raw
        .mappings
        .unwrap_or_default()
        .into_iter()
        .map(|m| compile_mapping(m, keys))
        .collect();
    for m in &mappings {
        for (k, _) in &m.initial_context {
            if inputs.iter().any(|i| i.kid == *k) {
                return Err(load_err(
                    src,
                    format!(
                        "schema {id}: mapping {} initial context assigns input {}",
                        m.id,
                        keys.name(*k)
                    ),
                ));
            }
        }
    }
    let on_invalid_input = match raw.on_invalid_input.as_deref() {
        None | Some("CONTINUE") => OnInvalidInput::Continue,
        Some("FAIL") => OnInvalidInput::Fail,
        Some("FAIL_WHEN_USED_FOR_STAGING") => OnInvalidInput::FailWhenUsedForStaging,
        Some(other) => {
            return Err(load_err(
                src,
                format!("schema {id}: unknown on_invalid_input '{other}'"),
            ))
        }
    };
    let mut discriminators: Vec<String> = Vec::new();
    for d in raw.schema_discriminators.unwrap_or_default() {
        if !discriminators.contains(&d) {
            discriminators.push(d);
        }
    }
    let year_input = inputs.iter().position(|i| i.key == "year_dx");
    Ok(Schema {
        initial_context: dedup_kv(raw.initial_context)
            .into_iter()
            .map(|kv| {
                (
                    keys.intern(&kv.key),
                    kv.value.as_deref().map(|v| ValueSrc::parse(v, keys)),
                )
            })
            .collect(),
        selection_ref: TableRef::Unknown(selection_table.as_str().into()),
        id,
        name: raw.name,
        title: raw.title,
        subtitle: raw.subtitle,
        schema_num: raw.schema_num,
        selection_table,
        discriminators,
        inputs,
        outputs,
        on_invalid_input,
        mappings,
        input_pos: Vec::new(),
        year_input,
    })
}

fn resolve(r: &mut TableRef, ids: &FxMap<Box<str>, u32>) {
    if let TableRef::Unknown(name) = r {
        if let Some(&i) = ids.get(&**name) {
            *r = TableRef::Known(i);
        }
    }
}

/// Enumerates the single INPUT column of `primary_site` / `histology` as the reference does.
fn code_set(t: Option<&Table>) -> CodeSet {
    let mut set = CodeSet::default();
    let Some(t) = t else {
        return set;
    };
    for raw in &t.raw_inputs {
        for piece in super::matcher::parse_pieces(raw) {
            match piece {
                Piece::All => set.ranges.push((String::new(), "\u{ffff}".to_string())),
                Piece::Single(s) => {
                    set.values.insert(s.into());
                }
                Piece::Pair(l, h) if l == h => {
                    set.values.insert(l.into());
                }
                Piece::Pair(l, h) => match (l.parse::<u64>(), h.parse::<u64>()) {
                    (Ok(a), Ok(b)) if b >= a && b - a <= 1_000_000 => {
                        for n in a..=b {
                            set.values
                                .insert(format!("{n:0width$}", width = l.len()).into());
                        }
                    }
                    _ => set.ranges.push((l, h)),
                },
            }
        }
    }
    set
}

impl Algorithm {
    /// Loads one algorithm ZIP.
    pub fn load_zip(path: &Path) -> Result<Algorithm, Error> {
        let src = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            path: src.clone(),
            source: e,
        })?;
        Algorithm::load_zip_bytes(&src, &bytes)
    }

    /// Loads one algorithm ZIP held in memory (the embedded copy); `src` names it in errors.
    pub fn load_zip_bytes(src: &str, bytes: &[u8]) -> Result<Algorithm, Error> {
        let mut alg = Algorithm::build(src, |visit| {
            for_each_entry(src, std::io::Cursor::new(bytes), visit)
        })?;
        alg.digest = Algorithm::zip_digest(bytes);
        Ok(alg)
    }

    /// SHA-256 of an algorithm ZIP: two loads of the same file can share one copy.
    pub fn zip_digest(bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(bytes).into()
    }

    /// SHA-256 of the ZIP the algorithm was read from.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Builds an algorithm from ZIP-style entries (`tables/x.json`, `schemas/y.json`) held in memory;
    /// lets tests exercise engine semantics on small hand-written algorithms.
    #[cfg(test)]
    pub(crate) fn from_entries(entries: &[(&str, &str)]) -> Result<Algorithm, Error> {
        Algorithm::build("<memory>", |visit| {
            for (name, text) in entries {
                visit(name, text.as_bytes())?;
            }
            Ok(())
        })
    }

    fn build(
        src: &str,
        read: impl FnOnce(&mut dyn FnMut(&str, &[u8]) -> Result<(), Error>) -> Result<(), Error>,
    ) -> Result<Algorithm, Error> {
        let src = src.to_string();
        let mut keys = Keys::default();
        let ctx_version_key = keys.intern(CTX_ALG_VERSION);
        let ctx_year_key = keys.intern(CTX_YEAR_CURRENT);
        let site_key = keys.intern("site");
        let hist_key = keys.intern("hist");
        let mut algorithms = BTreeSet::new();
        let mut versions = BTreeSet::new();
        let mut tables = Vec::new();
        let mut schemas = Vec::new();
        let mut pool = CellPool::default();
        read(&mut |name, bytes| {
            if name.starts_with("tables") {
                let raw: RawTable = serde_json::from_slice(bytes)
                    .map_err(|e| load_err(&src, format!("{name}: {e}")))?;
                algorithms.insert(raw.algorithm.clone().unwrap_or_default());
                versions.insert(raw.version.clone().unwrap_or_default());
                tables.push(compile_table(raw, &mut keys, &mut pool, &src)?);
            } else if name.starts_with("schemas") {
                let raw: RawSchema = serde_json::from_slice(bytes)
                    .map_err(|e| load_err(&src, format!("{name}: {e}")))?;
                algorithms.insert(raw.algorithm.clone().unwrap_or_default());
                versions.insert(raw.version.clone().unwrap_or_default());
                schemas.push(compile_schema(raw, &mut keys, &src)?);
            }
            Ok(())
        })?;
        if algorithms.len() != 1 || versions.len() != 1 {
            return Err(load_err(
                &src,
                format!(
                    "expected exactly one algorithm and one version, found {algorithms:?} / {versions:?}"
                ),
            ));
        }
        let id = algorithms.pop_first().unwrap_or_default().to_lowercase();
        let version = versions.pop_first().unwrap_or_default();

        let mut table_ids = FxMap::default();
        for (i, t) in tables.iter().enumerate() {
            table_ids.insert(t.id.clone(), i as u32);
        }
        for t in &mut tables {
            for eps in &mut t.endpoints {
                for ep in eps.iter_mut() {
                    if let EndpointKind::Jump(r) = &mut ep.kind {
                        resolve(r, &table_ids);
                    }
                }
            }
        }
        let nkeys = keys.len();
        let mut schema_ids = FxMap::default();
        for (si, s) in schemas.iter_mut().enumerate() {
            schema_ids.insert(s.id.as_str().into(), si as u32);
            resolve(&mut s.selection_ref, &table_ids);
            for i in &mut s.inputs {
                if let Some(r) = &mut i.table_ref {
                    resolve(r, &table_ids);
                }
                if let Some(r) = &mut i.default_table_ref {
                    resolve(r, &table_ids);
                }
            }
            for o in &mut s.outputs {
                if let Some(r) = &mut o.table_ref {
                    resolve(r, &table_ids);
                }
            }
            for m in &mut s.mappings {
                for p in m
                    .inclusion
                    .iter_mut()
                    .chain(m.exclusion.iter_mut())
                    .chain(m.tables.iter_mut())
                {
                    resolve(&mut p.table, &table_ids);
                }
            }
            s.input_pos = vec![u32::MAX; nkeys];
            for (pos, i) in s.inputs.iter().enumerate() {
                if let Some(slot) = s.input_pos.get_mut(i.kid as usize) {
                    if *slot == u32::MAX {
                        *slot = pos as u32;
                    }
                }
            }
        }
        let lookup_table = |name: &str| table_ids.get(name).and_then(|&i| tables.get(i as usize));
        let sites = code_set(lookup_table("primary_site"));
        let hists = code_set(lookup_table("histology"));
        let mut alg = Algorithm {
            id,
            version,
            keys,
            tables,
            table_ids,
            schemas,
            schema_ids,
            sites,
            hists,
            site_key,
            hist_key,
            ctx_version_key,
            ctx_year_key,
            site_index: None,
            hist_index: None,
            digest: [0; 32],
        };
        alg.prepare_validation_tables();
        alg.site_index = alg.build_code_index(alg.site_key, &alg.sites);
        alg.hist_index = alg.build_code_index(alg.hist_key, &alg.hists);
        Ok(alg)
    }

    /// Precomputes, per valid code of `key` (site or histology), which selection tables have a row that
    /// accepts it, so a lookup only scans the tables of plausible schemas. `None` when the codes cannot
    /// be enumerated.
    fn build_code_index(&self, key: KeyId, codes: &CodeSet) -> Option<CodeIndex> {
        if !codes.ranges.is_empty() {
            return None;
        }
        let mut any = Vec::new();
        let mut by_code: FxMap<Box<str>, Vec<SchemaRows>> = FxMap::default();
        let no_ref = |_k: KeyId| "";
        let probes: Vec<(&Box<str>, Probe<'_>)> =
            codes.values.iter().map(|v| (v, Probe::new(v))).collect();
        for (si, s) in self.schemas.iter().enumerate() {
            let Some(t) = self.table_by_ref(&s.selection_ref) else {
                // Never selectable; nothing to index.
                continue;
            };
            let cols: Vec<usize> = t
                .inputs
                .iter()
                .enumerate()
                .filter(|(_, k)| **k == key)
                .map(|(c, _)| c)
                .collect();
            let n_in = t.inputs.len();
            // References in the column would make the answer depend on the context: no indexing.
            let dynamic = cols
                .first()
                .is_some_and(|&c| (0..t.n_rows).any(|r| t.cells[r * n_in + c].has_dynamic()));
            if cols.len() != 1 || t.n_rows == 0 || dynamic {
                any.push(si as u32);
                continue;
            }
            let c = cols[0];
            let mut hits: Vec<(&Box<str>, Box<[u32]>)> = Vec::new();
            for (code, p) in &probes {
                let rows: Vec<u32> = (0..t.n_rows)
                    .filter(|r| t.cells[r * n_in + c].contains(p, &no_ref))
                    .map(|r| r as u32)
                    .collect();
                if !rows.is_empty() {
                    hits.push((code, rows.into_boxed_slice()));
                }
            }
            // A schema that accepts most codes narrows nothing; listing it under every code would cost
            // more memory than scanning its rows.
            if hits.len() * 100 > probes.len() * 99 {
                any.push(si as u32);
                continue;
            }
            for (code, rows) in hits {
                by_code
                    .entry(code.clone())
                    .or_default()
                    .push((si as u32, rows));
            }
        }
        let words = bit_words(self.schemas.len());
        let mut any_bits = vec![0u64; words];
        for &a in &any {
            set_bit(&mut any_bits, a);
        }
        Some(CodeIndex {
            by_code: by_code
                .into_iter()
                .map(|(k, v)| {
                    let mut bits = any_bits.clone();
                    for (s, _) in &v {
                        set_bit(&mut bits, *s);
                    }
                    (
                        k,
                        CodeCandidates {
                            list: v.into_boxed_slice(),
                            bits: bits.into_boxed_slice(),
                        },
                    )
                })
                .collect(),
            any: any.into_boxed_slice(),
            any_bits: any_bits.into_boxed_slice(),
        })
    }

    /// Code text and descriptions are only served for input validation tables (and read for the
    /// site/histology sets); keeping them for every table would cost more memory than the matchers.
    /// Validation tables also get their merged any-row matcher here.
    fn prepare_validation_tables(&mut self) {
        let mut keep = vec![false; self.tables.len()];
        for s in &self.schemas {
            for i in &s.inputs {
                if let Some(TableRef::Known(t)) = &i.table_ref {
                    if let Some(k) = keep.get_mut(*t as usize) {
                        *k = true;
                    }
                }
            }
        }
        for (t, keep) in self.tables.iter_mut().zip(keep) {
            if !keep {
                t.raw_inputs = Vec::new();
                t.descriptions = Vec::new();
            }
        }
        // Tables whose only question is "does any row match": input, year and output validation.
        let mut validation = vec![false; self.tables.len()];
        for s in &self.schemas {
            let refs = s
                .inputs
                .iter()
                .filter_map(|i| i.table_ref.as_ref())
                .chain(s.outputs.iter().filter_map(|o| o.table_ref.as_ref()));
            for r in refs {
                if let TableRef::Known(t) = r {
                    if let Some(v) = validation.get_mut(*t as usize) {
                        *v = true;
                    }
                }
            }
        }
        for (t, is_validation) in self.tables.iter_mut().zip(validation) {
            if is_validation && t.inputs.len() == 1 && t.n_rows > 0 {
                t.any_of = Some(AnyOf::from_cells(t.cells.iter().map(|c| &**c)));
            }
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn info(&self) -> AlgorithmInfo {
        AlgorithmInfo {
            id: self.id.clone(),
            version: self.version.clone(),
            schema_count: self.schemas.len(),
            table_count: self.tables.len(),
        }
    }

    /// All schemas, in ZIP order.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    pub fn schema(&self, id: &str) -> Option<&Schema> {
        self.schema_ids
            .get(id)
            .and_then(|&i| self.schemas.get(i as usize))
    }

    pub(crate) fn table_by_ref(&self, r: &TableRef) -> Option<&Table> {
        match r {
            TableRef::Known(i) => self.tables.get(*i as usize),
            TableRef::Unknown(_) => None,
        }
    }

    pub(crate) fn table_by_id(&self, id: &str) -> Option<&Table> {
        self.table_ids
            .get(id)
            .and_then(|&i| self.tables.get(i as usize))
    }

    /// Whether `site` is in the `primary_site` table (exact, untrimmed, as the lookup compares).
    pub fn is_valid_site(&self, site: &str) -> bool {
        self.sites.contains(site)
    }

    /// Whether `hist` is in the `histology` table (exact, untrimmed).
    pub fn is_valid_histology(&self, hist: &str) -> bool {
        self.hists.contains(hist)
    }

    /// The codes (as written in the validation table, ranges included) an input accepts, with their
    /// descriptions; `None` if the schema or input is unknown, empty if the input has no table.
    pub fn valid_codes(&self, schema_id: &str, key: &str) -> Option<Vec<CodeEntry>> {
        let schema = self.schema(schema_id)?;
        let input = schema.input(key)?;
        let Some(r) = &input.table_ref else {
            return Some(Vec::new());
        };
        let t = self.table_by_ref(r)?;
        let n_in = t.inputs.len();
        let col = t.inputs.iter().position(|k| *k == input.kid)?;
        Some(
            (0..t.n_rows)
                .filter_map(|r| {
                    let code = t.raw_inputs.get(r * n_in + col)?;
                    Some(CodeEntry {
                        code: code.to_string(),
                        description: t
                            .descriptions
                            .get(r)
                            .and_then(|d| d.as_ref().map(|d| d.to_string())),
                    })
                })
                .collect(),
        )
    }
}

impl Schema {
    pub fn input(&self, key: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.key == key)
    }

    pub fn output(&self, key: &str) -> Option<&Output> {
        self.outputs.iter().find(|o| o.key == key)
    }

    pub(crate) fn input_index(&self, kid: KeyId) -> Option<usize> {
        match self.input_pos.get(kid as usize) {
            Some(&p) if p != u32::MAX => Some(p as usize),
            _ => None,
        }
    }
}
