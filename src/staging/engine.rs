//! Schema selection and the staging procedure (ENGINE.md §5–§8), run on a compiled [`Algorithm`].
//!
//! The context is a dense vector indexed by interned key id; a key can be absent, present with a null
//! value (CS mappings seed nulls, and null is observable in the result), or hold a string. Every string
//! a context can hold is borrowed, either from the caller's inputs or from the algorithm's tables, so
//! a whole evaluation allocates almost nothing until the result is built.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::algorithm::{
    bit_words, Algorithm, CodeIndex, EndpointKind, OnInvalidInput, Rows, Schema, SchemaRows, Table,
    TablePath, TableRef, ValueSrc,
};
use super::matcher::{java_trim, KeyId, Probe};

/// Options that the reference takes from its environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageOptions {
    /// Becomes `ctx_year_current`; the reference reads the wall clock, which makes results time-dependent.
    pub current_year: u16,
}

/// Outcome of `stage`, spelled as the reference spells it (including its `MULITPLE` typo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResultType {
    #[serde(rename = "STAGED")]
    Staged,
    #[serde(rename = "FAILED_MISSING_SITE_OR_HISTOLOGY")]
    FailedMissingSiteOrHistology,
    #[serde(rename = "FAILED_NO_MATCHING_SCHEMA")]
    FailedNoMatchingSchema,
    #[serde(rename = "FAILED_MULITPLE_MATCHING_SCHEMAS")]
    FailedMultipleMatchingSchemas,
    #[serde(rename = "FAILED_INVALID_YEAR_DX")]
    FailedInvalidYearDx,
    #[serde(rename = "FAILED_INVALID_INPUT")]
    FailedInvalidInput,
}

/// Kind of a staging error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorType {
    UnknownInput,
    InvalidRequiredInput,
    InvalidNonRequiredInput,
    UnknownInputMapping,
    StagingError,
    MatchNotFound,
    UnknownTable,
    InfiniteLoop,
    InvalidOutput,
}

/// One error reported by staging (these are data findings, not failures of the engine).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StagingError {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub table: Option<String>,
    pub columns: Option<Vec<String>>,
    pub key: Option<String>,
    pub message: Option<String>,
}

/// Result of staging one case. `output` values are `None` where the algorithm set a key to null
/// (Collaborative Stage does so for outputs of an edition that does not apply); they serialise as JSON
/// `null`, as in the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    pub result: ResultType,
    pub schema_id: Option<String>,
    pub output: BTreeMap<String, Option<String>>,
    pub errors: Vec<StagingError>,
    pub path: Vec<String>,
}

impl StageResult {
    fn failed(result: ResultType, schema_id: Option<String>, errors: Vec<StagingError>) -> Self {
        StageResult {
            result,
            schema_id,
            output: BTreeMap::new(),
            errors,
            path: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    Absent,
    Null,
    Str(&'a str),
}

impl<'a> Val<'a> {
    #[inline]
    fn as_str(self) -> &'a str {
        match self {
            Val::Str(s) => s,
            _ => "",
        }
    }
    #[inline]
    fn is_absent(self) -> bool {
        matches!(self, Val::Absent)
    }
}

/// Shared by lookup and engine: the first row of `t` whose INPUT cells accept the values `get` returns.
/// `get` returning `None` excludes that column from the comparison (lookups only compare the keys given).
fn find_row<'v, 'r>(
    t: &Table,
    get: impl Fn(KeyId) -> Option<&'v str>,
    resolve: &dyn Fn(KeyId) -> &'r str,
) -> Option<usize> {
    find_row_in(t, None, get, resolve)
}

/// `find_row` restricted to `subset` (ascending row numbers) when given.
fn find_row_in<'v, 'r>(
    t: &Table,
    subset: Option<&[u32]>,
    get: impl Fn(KeyId) -> Option<&'v str>,
    resolve: &dyn Fn(KeyId) -> &'r str,
) -> Option<usize> {
    const INLINE: usize = 12;
    let n_in = t.inputs.len();
    let probe = |c: usize, k: KeyId| {
        get(k).map(|v| {
            if t.input_needs_number.get(c).copied().unwrap_or(true) {
                Probe::new(v)
            } else {
                Probe::plain(v)
            }
        })
    };
    if n_in <= INLINE {
        let mut probes: [Option<Probe<'v>>; INLINE] = [None; INLINE];
        for (c, &k) in t.inputs.iter().enumerate() {
            probes[c] = probe(c, k);
        }
        scan_rows(t, subset, &probes[..n_in], resolve)
    } else {
        let probes: Vec<Option<Probe<'v>>> = t
            .inputs
            .iter()
            .enumerate()
            .map(|(c, &k)| probe(c, k))
            .collect();
        scan_rows(t, subset, &probes, resolve)
    }
}

fn scan_rows<'r>(
    t: &Table,
    subset: Option<&[u32]>,
    probes: &[Option<Probe<'_>>],
    resolve: &dyn Fn(KeyId) -> &'r str,
) -> Option<usize> {
    let n_in = probes.len();
    let row_ok = |r: usize| {
        let Some(cells) = t.cells.get(r * n_in..(r + 1) * n_in) else {
            return false;
        };
        cells
            .iter()
            .zip(probes)
            .all(|(cell, p)| p.as_ref().is_none_or(|p| cell.contains(p, resolve)))
    };
    if let Some(rows) = subset {
        return rows.iter().map(|&r| r as usize).find(|&r| row_ok(r));
    }
    if let Some(ix) = &t.index {
        if let Some(Some(p)) = probes.get(ix.column) {
            let rows = ix.by_value.get(p.s).unwrap_or(&ix.other);
            return rows.iter().map(|&r| r as usize).find(|&r| row_ok(r));
        }
    }
    (0..t.n_rows).find(|&r| row_ok(r))
}

/// Formats a year without allocating (years are at most 5 digits as `u16`).
fn year_text(year: u16, buf: &mut [u8; 5]) -> &str {
    let mut n = year;
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("")
}

fn blank_or(s: &str) -> &str {
    if s.is_empty() {
        "<blank>"
    } else {
        s
    }
}

/// The part of a [`CodeIndex`] that applies to one code.
struct Narrow<'a> {
    list: &'a [SchemaRows],
    any: &'a [u32],
    bits: &'a [u64],
}

impl<'a> Narrow<'a> {
    /// The rows of `schema` that may accept the code; `None` when the schema cannot.
    fn rows(&self, schema: u32) -> Option<Rows<'a>> {
        if self.any.binary_search(&schema).is_ok() {
            return Some(Rows::All);
        }
        let i = self.list.binary_search_by_key(&schema, |(s, _)| *s).ok()?;
        self.list.get(i).map(|(_, rows)| Rows::Only(&rows[..]))
    }
}

thread_local! {
    /// A context vector per thread, reused between cases: allocating and freeing a few kilobytes per
    /// case was a measurable share of staging time.
    static CONTEXT_BUFFER: std::cell::RefCell<Vec<Val<'static>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Empties `v` and changes the lifetime of its (now absent) elements. The standard library collects a
/// `Vec` into a `Vec` of a same-sized type in place, so the allocation is kept.
fn recycle<'x, 'y>(mut v: Vec<Val<'x>>) -> Vec<Val<'y>> {
    v.clear();
    v.into_iter().map(|_| Val::Absent).collect()
}

impl Drop for Run<'_> {
    fn drop(&mut self) {
        let ctx = recycle(std::mem::take(&mut self.ctx));
        // A failed borrow (re-entrant use) just drops the buffer.
        let _ = CONTEXT_BUFFER.try_with(|b| {
            if let Ok(mut b) = b.try_borrow_mut() {
                *b = ctx;
            }
        });
    }
}

/// One `stage` evaluation's mutable state.
struct Run<'a> {
    alg: &'a Algorithm,
    ctx: Vec<Val<'a>>,
    errors: Vec<StagingError>,
    /// (mapping index, table index) pairs, formatted only at the end.
    path: Vec<(u32, u32)>,
    stack: Vec<u32>,
}

impl<'a> Run<'a> {
    fn new(alg: &'a Algorithm) -> Self {
        let buffer = CONTEXT_BUFFER
            .with(|b| b.try_borrow_mut().map(|mut b| std::mem::take(&mut *b)))
            .unwrap_or_default();
        let mut ctx = recycle(buffer);
        ctx.resize(alg.keys.len(), Val::Absent);
        Run {
            alg,
            ctx,
            errors: Vec::new(),
            path: Vec::with_capacity(8),
            stack: Vec::new(),
        }
    }

    #[inline]
    fn get(&self, k: KeyId) -> Val<'a> {
        self.ctx.get(k as usize).copied().unwrap_or(Val::Absent)
    }

    #[inline]
    fn set(&mut self, k: KeyId, v: Val<'a>) {
        if let Some(slot) = self.ctx.get_mut(k as usize) {
            *slot = v;
        }
    }

    fn translate(&self, src: &'a ValueSrc) -> Val<'a> {
        match src {
            ValueSrc::Lit(s) => Val::Str(s),
            ValueSrc::Ref(k) => match self.get(*k) {
                Val::Absent => Val::Str(""),
                v => v,
            },
        }
    }

    /// Whether some row of `t` matches (validation, inclusion and exclusion only need that).
    fn accepts(&self, t: &Table) -> bool {
        match (&t.any_of, t.inputs.first()) {
            (Some(any), Some(&k)) => any.contains(self.get(k).as_str(), &|k| self.get(k).as_str()),
            _ => self.match_full(t).is_some(),
        }
    }

    fn match_full(&self, t: &Table) -> Option<usize> {
        find_row(t, |k| Some(self.get(k).as_str()), &|k| self.get(k).as_str())
    }

    fn input_values_text(&self, t: &Table) -> String {
        let mut s = String::new();
        for (i, &k) in t.inputs.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(blank_or(java_trim(self.get(k).as_str())));
        }
        s
    }

    fn error(
        &mut self,
        kind: ErrorType,
        table: Option<&str>,
        columns: Option<Vec<String>>,
        key: Option<&str>,
        message: String,
    ) {
        self.errors.push(StagingError {
            kind,
            table: table.map(str::to_string),
            columns,
            key: key.map(str::to_string),
            message: Some(message),
        });
    }

    fn unknown_table(&mut self, r: &TableRef) {
        let name = match r {
            TableRef::Unknown(n) => n.to_string(),
            TableRef::Known(i) => self
                .alg
                .tables
                .get(*i as usize)
                .map_or_else(String::new, |t| t.id.to_string()),
        };
        self.error(
            ErrorType::UnknownTable,
            Some(&name),
            None,
            None,
            format!("Unable to find table '{name}'"),
        );
    }

    /// Evaluates one table and its jumps; returns false when a STOP ended the current mapping.
    fn eval_table(
        &mut self,
        mapping: u32,
        r: &TableRef,
        output_mapping: &[(KeyId, KeyId)],
    ) -> bool {
        let alg = self.alg;
        let TableRef::Known(ti) = r else {
            self.unknown_table(r);
            return true;
        };
        let Some(t) = alg.tables.get(*ti as usize) else {
            self.unknown_table(r);
            return true;
        };
        if self.stack.contains(ti) {
            self.error(
                ErrorType::InfiniteLoop,
                Some(&t.id),
                None,
                None,
                format!("Infinite loop detected in table '{}'", t.id),
            );
            return true;
        }
        self.path.push((mapping, *ti));
        self.stack.push(*ti);
        let mut cont = true;
        match self.match_full(t) {
            None => {
                let columns = t
                    .endpoint_keys
                    .iter()
                    .map(|&k| alg.keys.name(k).to_string())
                    .collect();
                let msg = format!(
                    "Match not found in table '{}' ({})",
                    t.id,
                    self.input_values_text(t)
                );
                self.error(
                    ErrorType::MatchNotFound,
                    Some(&t.id),
                    Some(columns),
                    None,
                    msg,
                );
            }
            Some(row) => {
                let eps = t.endpoints.get(row).map_or(&[][..], |e| &e[..]);
                for ep in eps {
                    match &ep.kind {
                        EndpointKind::Value(src) => {
                            let v = match src {
                                Some(s) => self.translate(s),
                                None => Val::Absent,
                            };
                            let mut mapped = false;
                            for &(from, to) in output_mapping {
                                if from == ep.key {
                                    mapped = true;
                                    self.set(to, v);
                                }
                            }
                            if !mapped {
                                self.set(ep.key, v);
                            }
                        }
                        EndpointKind::Match => {}
                        EndpointKind::Jump(target) => {
                            cont = self.eval_table(mapping, target, output_mapping);
                        }
                        EndpointKind::Stop => cont = false,
                        EndpointKind::Error(msg) => {
                            let col = alg.keys.name(ep.key).to_string();
                            let message = match msg {
                                Some(m) => m.to_string(),
                                None => format!(
                                    "Matching resulted in an error in table '{}' for column '{}' ({})",
                                    t.id,
                                    col,
                                    self.input_values_text(t)
                                ),
                            };
                            self.error(
                                ErrorType::StagingError,
                                Some(&t.id),
                                Some(vec![col]),
                                None,
                                message,
                            );
                        }
                    }
                }
            }
        }
        self.stack.pop();
        cont
    }

    /// Inclusion/exclusion check on a view of the context with the path's input mapping applied.
    fn path_matches(&mut self, p: &TablePath) -> bool {
        let alg = self.alg;
        let Some(t) = alg.table_by_ref(&p.table) else {
            self.unknown_table(&p.table);
            return false;
        };
        let mut overlay: Vec<(KeyId, Val<'a>)> = Vec::new();
        for &(from, to) in &p.input_mapping {
            let v = overlay
                .iter()
                .rev()
                .find(|(k, _)| *k == from)
                .map(|(_, v)| *v)
                .unwrap_or_else(|| self.get(from));
            if !v.is_absent() {
                overlay.push((to, v));
            }
        }
        let view = |k: KeyId| -> &'a str {
            match overlay.iter().rev().find(|(o, _)| *o == k) {
                Some((_, v)) => v.as_str(),
                None => self.get(k).as_str(),
            }
        };
        find_row(t, |k| Some(view(k)), &view).is_some()
    }

    fn run_mappings(&mut self, schema: &'a Schema) {
        for (mi, m) in schema.mappings.iter().enumerate() {
            let mi = mi as u32;
            let mut involved = true;
            for p in &m.inclusion {
                if !self.path_matches(p) {
                    involved = false;
                    break;
                }
            }
            if involved {
                for p in &m.exclusion {
                    if self.path_matches(p) {
                        involved = false;
                        break;
                    }
                }
            }
            if !involved {
                continue;
            }
            for p in m.inclusion.iter().chain(&m.exclusion) {
                if let TableRef::Known(t) = p.table {
                    self.path.push((mi, t));
                }
            }
            for (k, v) in &m.initial_context {
                let val = match v {
                    Some(s) => Val::Str(s),
                    None => Val::Null,
                };
                self.set(*k, val);
            }
            for p in &m.tables {
                for &(from, to) in &p.input_mapping {
                    let v = self.get(from);
                    if v.is_absent() {
                        let table = match &p.table {
                            TableRef::Known(i) => self
                                .alg
                                .tables
                                .get(*i as usize)
                                .map_or_else(String::new, |t| t.id.to_string()),
                            TableRef::Unknown(n) => n.to_string(),
                        };
                        let key = self.alg.keys.name(from).to_string();
                        self.error(
                            ErrorType::UnknownInputMapping,
                            Some(&table),
                            None,
                            Some(&key),
                            format!("Input mapping '{key}' does not exist for table '{table}'"),
                        );
                    } else {
                        self.set(to, v);
                    }
                }
                self.stack.clear();
                let cont = self.eval_table(mi, &p.table, &p.output_mapping);
                for &(_, to) in &p.input_mapping {
                    self.set(to, Val::Absent);
                }
                if !cont {
                    break;
                }
            }
        }
    }

    fn path_strings(&self, schema: &Schema) -> Vec<String> {
        self.path
            .iter()
            .map(|&(m, t)| {
                let mid = schema.mappings.get(m as usize).map_or("", |m| &m.id);
                let tid = self.alg.tables.get(t as usize).map_or("", |t| &t.id);
                let mut s = String::with_capacity(mid.len() + tid.len() + 1);
                s.push_str(mid);
                s.push('.');
                s.push_str(tid);
                s
            })
            .collect()
    }
}

impl Algorithm {
    /// Raw lookup (ENGINE.md §5.2): every entry is a lookup key, `None` values are present-but-null.
    /// Returns schema indices sorted by schema id.
    fn lookup_indices<'s>(
        &'s self,
        entries: &[(&str, Option<&str>)],
        ids: &[Option<KeyId>],
    ) -> Vec<u32> {
        let find = |key: KeyId| {
            ids.iter()
                .zip(entries)
                .find(|(id, _)| **id == Some(key))
                .map(|(_, (_, v))| *v)
        };
        let site = find(self.site_key);
        let hist = find(self.hist_key);
        if let Some(Some(s)) = site {
            if !self.sites.contains(s) {
                return Vec::new();
            }
        }
        if let Some(Some(h)) = hist {
            if !self.hists.contains(h) {
                return Vec::new();
            }
        }
        let filled = |v: Option<Option<&str>>| matches!(v, Some(Some(s)) if !s.is_empty());
        let has_discriminator = ids.iter().zip(entries).any(|(id, (_, v))| {
            *id != Some(self.site_key)
                && *id != Some(self.hist_key)
                && matches!(v, Some(s) if !s.is_empty())
        });
        if has_discriminator && (!filled(site) || !filled(hist)) {
            return Vec::new();
        }
        if site.flatten().is_none() && hist.flatten().is_none() {
            return Vec::new();
        }
        let lk: Vec<(KeyId, &str)> = ids
            .iter()
            .zip(entries)
            .filter_map(|(id, (_, v))| id.map(|id| (id, v.unwrap_or(""))))
            .collect();
        let get = |k: KeyId| lk.iter().find(|(id, _)| *id == k).map(|(_, v)| *v);
        let resolve = |k: KeyId| -> &str { get(k).unwrap_or("") };
        // Each index narrows the candidates to schemas (and selection rows) that accept the code; the
        // code is hashed once per index, then candidate lists are joined by schema number.
        let narrowed = |code: Option<Option<&str>>, ix: &'s Option<CodeIndex>| match (code, ix) {
            (Some(Some(c)), Some(ix)) => Some(match ix.by_code.get(c) {
                Some(e) => Narrow {
                    list: &e.list,
                    any: &ix.any,
                    bits: &e.bits,
                },
                None => Narrow {
                    list: &[],
                    any: &ix.any,
                    bits: &ix.any_bits,
                },
            }),
            _ => None,
        };
        let by_site = narrowed(site, &self.site_index);
        let by_hist = narrowed(hist, &self.hist_index);
        // Candidate schemas: the intersection of the two indexes' bit sets.
        let n = self.schemas.len();
        let mut pairs: Vec<(u32, Rows<'s>, Rows<'s>)> = Vec::with_capacity(8);
        for w in 0..bit_words(n) {
            let word = |nw: &Option<Narrow<'s>>| match nw {
                Some(nw) => nw.bits.get(w).copied().unwrap_or(0),
                None => u64::MAX,
            };
            let mut m = word(&by_site) & word(&by_hist);
            while m != 0 {
                let si = (w * 64) as u32 + m.trailing_zeros();
                m &= m - 1;
                if si as usize >= n {
                    break;
                }
                let rows_of = |nw: &Option<Narrow<'s>>| match nw {
                    Some(nw) => nw.rows(si),
                    None => Some(Rows::All),
                };
                let (Some(ra), Some(rb)) = (rows_of(&by_site), rows_of(&by_hist)) else {
                    continue;
                };
                pairs.push((si, ra, rb));
            }
        }
        let mut scratch: Vec<u32> = Vec::new();
        let mut candidates: Vec<u32> = Vec::with_capacity(4);
        for (si, ra, rb) in pairs {
            let Some(t) = self
                .schemas
                .get(si as usize)
                .and_then(|s| self.table_by_ref(&s.selection_ref))
            else {
                continue;
            };
            let subset = match (ra, rb) {
                (Rows::All, Rows::All) => None,
                (Rows::Only(r), Rows::All) | (Rows::All, Rows::Only(r)) => Some(r),
                (Rows::Only(a), Rows::Only(b)) => {
                    scratch.clear();
                    scratch.extend(a.iter().filter(|r| b.binary_search(r).is_ok()));
                    Some(&scratch[..])
                }
            };
            // Rows an index listed are known to accept that key's value: no need to compare it again.
            let skip_site = matches!(ra, Rows::Only(_));
            let skip_hist = matches!(rb, Rows::Only(_));
            let narrowed_get = |k: KeyId| {
                if (skip_site && k == self.site_key) || (skip_hist && k == self.hist_key) {
                    None
                } else {
                    get(k)
                }
            };
            if find_row_in(t, subset, narrowed_get, &resolve).is_some() {
                candidates.push(si);
            }
        }
        candidates.sort_by(|a, b| {
            let name = |i: &u32| self.schemas.get(*i as usize).map(|s| s.id.as_str());
            name(a).cmp(&name(b))
        });
        candidates.dedup();
        candidates
    }

    /// Schema selection with explicit site/histology and discriminators, as the reference's lookup
    /// helpers build it: a missing or empty site/histology is left out of the lookup, discriminators are
    /// passed as given (`None` = present but null, which compares as blank). Sorted by schema id.
    pub fn lookup_schemas(
        &self,
        site: Option<&str>,
        hist: Option<&str>,
        discriminators: &[(&str, Option<&str>)],
    ) -> Vec<&Schema> {
        let mut entries: Vec<(&str, Option<&str>)> = Vec::with_capacity(discriminators.len() + 2);
        if let Some(s) = site.filter(|s| !s.is_empty()) {
            entries.push(("site", Some(s)));
        }
        if let Some(h) = hist.filter(|h| !h.is_empty()) {
            entries.push(("hist", Some(h)));
        }
        entries.extend(
            discriminators
                .iter()
                .filter(|(k, _)| *k != "site" && *k != "hist"),
        );
        self.lookup_entries(&entries)
    }

    /// Schema selection on a raw key map (every entry is a lookup key).
    pub fn lookup_entries(&self, entries: &[(&str, Option<&str>)]) -> Vec<&Schema> {
        let ids: Vec<Option<KeyId>> = entries.iter().map(|(k, _)| self.keys.get(k)).collect();
        self.lookup_indices(entries, &ids)
            .into_iter()
            .filter_map(|i| self.schemas.get(i as usize))
            .collect()
    }

    /// Stages one case. Keys absent from `inputs` get the schema defaults; a key given as `""` does not.
    pub fn stage<I, K, V>(&self, inputs: I, options: &StageOptions) -> StageResult
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let owned: Vec<(K, V)> = inputs.into_iter().collect();
        let entries: Vec<(&str, Option<&str>)> = owned
            .iter()
            .map(|(k, v)| (k.as_ref(), Some(v.as_ref())))
            .collect();
        self.stage_entries(&entries, options)
    }

    /// Stages one case given as key/value pairs where a value may be null (present but null: it is
    /// defaulted like an absent key but still takes part in schema selection).
    pub fn stage_entries(
        &self,
        entries: &[(&str, Option<&str>)],
        options: &StageOptions,
    ) -> StageResult {
        let ids: Vec<Option<KeyId>> = entries.iter().map(|(k, _)| self.keys.get(k)).collect();
        let present = |key: KeyId| {
            ids.iter()
                .zip(entries)
                .any(|(id, (_, v))| *id == Some(key) && v.is_some())
        };
        if !present(self.site_key) || !present(self.hist_key) {
            return StageResult::failed(ResultType::FailedMissingSiteOrHistology, None, Vec::new());
        }
        let found = self.lookup_indices(entries, &ids);
        let schema = match found.as_slice() {
            [] => return StageResult::failed(ResultType::FailedNoMatchingSchema, None, Vec::new()),
            [one] => match self.schemas.get(*one as usize) {
                Some(s) => s,
                None => {
                    return StageResult::failed(
                        ResultType::FailedNoMatchingSchema,
                        None,
                        Vec::new(),
                    )
                }
            },
            _ => {
                return StageResult::failed(
                    ResultType::FailedMultipleMatchingSchemas,
                    None,
                    Vec::new(),
                )
            }
        };
        self.stage_schema(schema, entries, &ids, options)
    }

    /// Stages with an already selected schema (steps 5–10 of ENGINE.md §6).
    fn stage_schema<'a>(
        &'a self,
        schema: &'a Schema,
        entries: &[(&'a str, Option<&'a str>)],
        ids: &[Option<KeyId>],
        options: &StageOptions,
    ) -> StageResult {
        let schema_id = Some(schema.id.clone());
        let mut unknown = Vec::new();
        for ((k, _), id) in entries.iter().zip(ids) {
            let known = id.and_then(|id| schema.input_index(id)).is_some();
            if !known {
                unknown.push(StagingError {
                    kind: ErrorType::UnknownInput,
                    table: None,
                    columns: None,
                    key: Some(k.to_string()),
                    message: Some(format!("Unknown input key supplied: {k}")),
                });
            }
        }
        if !unknown.is_empty() {
            return StageResult::failed(ResultType::FailedInvalidInput, schema_id, unknown);
        }
        let mut year_buf = [0u8; 5];
        let year = year_text(options.current_year, &mut year_buf);
        let mut run = Run::new(self);
        // Every schema input is interned, so every entry has an id here.
        for ((_, v), id) in entries.iter().zip(ids) {
            if let Some(id) = *id {
                let val = match v {
                    Some(s) => Val::Str(java_trim(s)),
                    None => Val::Null,
                };
                run.set(id, val);
            }
        }
        run.set(self.ctx_version_key, Val::Str(&self.version));
        run.set(self.ctx_year_key, Val::Str(year));

        let year_ok = schema
            .year_input
            .and_then(|i| schema.inputs.get(i))
            .is_some_and(|input| match &input.table_ref {
                None => true,
                Some(r) => self.table_by_ref(r).is_some_and(|t| run.accepts(t)),
            });
        if !year_ok {
            return StageResult::failed(ResultType::FailedInvalidYearDx, schema_id, Vec::new());
        }

        // Inputs: remember what was supplied, apply defaults, then validate supplied non-blank values.
        let supplied: Vec<bool> = schema
            .inputs
            .iter()
            .map(|i| matches!(run.get(i.kid), Val::Str(_)))
            .collect();
        for input in &schema.inputs {
            if matches!(run.get(input.kid), Val::Absent | Val::Null) {
                let v = if let Some(src) = &input.default_src {
                    run.translate(src)
                } else if let Some(r) = &input.default_table_ref {
                    self.default_from_table(&run, r, input.kid)
                } else {
                    Val::Str("")
                };
                run.set(input.kid, v);
            }
        }
        let mut stop = false;
        for (input, &was_supplied) in schema.inputs.iter().zip(&supplied) {
            if !was_supplied {
                continue;
            }
            let Some(r) = &input.table_ref else {
                continue;
            };
            let value = match run.get(input.kid) {
                Val::Str(s) if !s.is_empty() => s,
                _ => continue,
            };
            let Some(t) = self.table_by_ref(r) else {
                run.unknown_table(r);
                continue;
            };
            if !run.accepts(t) {
                let kind = if input.used_for_staging {
                    ErrorType::InvalidRequiredInput
                } else {
                    ErrorType::InvalidNonRequiredInput
                };
                run.error(
                    kind,
                    Some(&t.id),
                    None,
                    Some(&input.key),
                    format!("Invalid '{}' value ({})", input.key, value),
                );
                match schema.on_invalid_input {
                    OnInvalidInput::Fail => stop = true,
                    OnInvalidInput::FailWhenUsedForStaging if input.used_for_staging => stop = true,
                    _ => {}
                }
            }
        }
        if stop {
            return StageResult::failed(
                ResultType::FailedInvalidInput,
                schema_id,
                std::mem::take(&mut run.errors),
            );
        }

        for o in &schema.outputs {
            let v = match &o.default_src {
                Some(src) => run.translate(src),
                None => Val::Str(""),
            };
            run.set(o.kid, v);
        }
        for (k, v) in &schema.initial_context {
            let val = match v {
                Some(src) => run.translate(src),
                None => Val::Null,
            };
            run.set(*k, val);
        }

        run.run_mappings(schema);

        let mut output = BTreeMap::new();
        for o in &schema.outputs {
            let v = run.get(o.kid);
            if v.is_absent() {
                continue;
            }
            if let Some(r) = &o.table_ref {
                match self.table_by_ref(r) {
                    None => run.unknown_table(r),
                    Some(t) => {
                        if !run.accepts(t) {
                            let msg =
                                format!("Invalid '{}' value ({})", o.key, blank_or(v.as_str()));
                            run.error(
                                ErrorType::InvalidOutput,
                                Some(&t.id),
                                None,
                                Some(&o.key),
                                msg,
                            );
                        }
                    }
                }
            }
            let value = match v {
                Val::Str(s) => Some(s.to_string()),
                _ => None,
            };
            output.insert(o.key.clone(), value);
        }
        let path = run.path_strings(schema);
        StageResult {
            result: ResultType::Staged,
            schema_id,
            output,
            errors: std::mem::take(&mut run.errors),
            path,
        }
    }

    fn default_from_table<'a>(&'a self, run: &Run<'a>, r: &TableRef, key: KeyId) -> Val<'a> {
        let Some(t) = self.table_by_ref(r) else {
            return Val::Str("");
        };
        let Some(row) = run.match_full(t) else {
            return Val::Str("");
        };
        for ep in t.endpoints.get(row).map_or(&[][..], |e| &e[..]) {
            if let (EndpointKind::Value(Some(src)), true) = (&ep.kind, ep.key == key) {
                return run.translate(src);
            }
        }
        Val::Str("")
    }

    fn ctx_entries<'s>(&'s self, year: &'s str) -> [(KeyId, &'s str); 2] {
        [
            (self.ctx_version_key, self.version.as_str()),
            (self.ctx_year_key, year),
        ]
    }

    /// `isContextValid`: whether `key` of `schema_id` is valid in `context`, which is used as given (no
    /// `ctx_*` keys are added; `None` values are null).
    pub fn is_context_valid(
        &self,
        schema_id: &str,
        key: &str,
        context: &[(&str, Option<&str>)],
    ) -> bool {
        self.context_valid_inner(schema_id, key, context, None)
    }

    fn context_valid_inner(
        &self,
        schema_id: &str,
        key: &str,
        context: &[(&str, Option<&str>)],
        year: Option<&str>,
    ) -> bool {
        let Some(schema) = self.schema(schema_id) else {
            return false;
        };
        let Some(input) = schema.input(key) else {
            return false;
        };
        if context.is_empty() {
            return false;
        }
        let Some(r) = &input.table_ref else {
            return true;
        };
        let Some(t) = self.table_by_ref(r) else {
            return false;
        };
        let ctx_keys = year.map(|y| self.ctx_entries(y));
        let get = |k: KeyId| -> Option<&str> {
            if let Some(extra) = &ctx_keys {
                if let Some((_, v)) = extra.iter().find(|(id, _)| *id == k) {
                    return Some(v);
                }
            }
            let name = self.keys.name(k);
            Some(
                context
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, v)| v.map(java_trim))
                    .unwrap_or(""),
            )
        };
        let resolve = |k: KeyId| -> &str { get(k).unwrap_or("") };
        find_row(t, get, &resolve).is_some()
    }

    /// `isCodeValid`: whether `value` is a valid code of input `key` in `schema_id` (the value is
    /// trimmed; `None` is null, which is valid only where the table has a blank row).
    pub fn is_code_valid(
        &self,
        schema_id: &str,
        key: &str,
        value: Option<&str>,
        options: &StageOptions,
    ) -> bool {
        let year = options.current_year.to_string();
        self.context_valid_inner(schema_id, key, &[(key, value)], Some(&year))
    }

    /// `findMatchingTableRow`: 0-based index of the first row of `table_id` matching `context` (with the
    /// `ctx_*` keys added), or `None`.
    pub fn find_table_row(
        &self,
        table_id: &str,
        context: &[(&str, Option<&str>)],
        options: &StageOptions,
    ) -> Option<usize> {
        let t = self.table_by_id(table_id)?;
        let year = options.current_year.to_string();
        let extra = self.ctx_entries(&year);
        let get = |k: KeyId| -> Option<&str> {
            if let Some((_, v)) = extra.iter().find(|(id, _)| *id == k) {
                return Some(v);
            }
            let name = self.keys.name(k);
            Some(
                context
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, v)| *v)
                    .unwrap_or(""),
            )
        };
        let resolve = |k: KeyId| -> &str { get(k).unwrap_or("") };
        find_row(t, get, &resolve)
    }
}

#[cfg(test)]
mod tests {
    //! Engine semantics on a small hand-written algorithm (ENGINE.md §5–§7 quirks).

    use super::*;

    fn table(id: &str, cols: &[(&str, &str)], rows: &[&[&str]]) -> String {
        serde_json::json!({
            "id": id, "algorithm": "toy", "version": "1.0",
            "definition": cols.iter().map(|(k, t)| serde_json::json!({"key": k, "type": t})).collect::<Vec<_>>(),
            "rows": rows,
        })
        .to_string()
    }

    fn toy() -> Algorithm {
        let i = "INPUT";
        let e = "ENDPOINT";
        let tables = [
            table("primary_site", &[("site", i)], &[&["C000"], &["C001"]]),
            table("histology", &[("hist", i)], &[&["8000"], &["8001"]]),
            table(
                "sel_a",
                &[("site", i), ("hist", i), ("disc", i), ("result", e)],
                &[&["C000", "8000", "1", "MATCH"]],
            ),
            table(
                "sel_b",
                &[("site", i), ("hist", i), ("disc", i), ("result", e)],
                &[&["C000", "8000", "2,", "MATCH"]],
            ),
            table(
                "year_validation",
                &[("year_dx", i)],
                &[&["2018-{{ctx_year_current}}"], &["9999"], &[""]],
            ),
            table("val_x", &[("x", i)], &[&["1"], &["2"]]),
            table(
                "t_first",
                &[("x", i), ("out1", e), ("tmp", e)],
                &[&["1", "VALUE:one", "VALUE:t"], &["2", "STOP", "MATCH"]],
            ),
            table(
                "t_after_stop",
                &[("x", i), ("out2", e)],
                &[&["*", "VALUE:{{out1}}"]],
            ),
            table(
                "t_map",
                &[("v", i), ("r", e), ("j", e)],
                &[&["*", "VALUE:{{v}}", "JUMP:t_jump"]],
            ),
            table(
                "t_jump",
                &[("v", i), ("r", e)],
                &[&["2", "VALUE:two"], &["1", "ERROR"]],
            ),
            table("t_missing_from", &[("w", i), ("res", e)], &[&["", "MATCH"]]),
        ];
        let input = |k: &str, table: Option<&str>, default: Option<&str>| {
            let mut v = serde_json::json!({"key": k, "used_for_staging": true});
            if let Some(t) = table {
                v["table"] = t.into();
            }
            if let Some(d) = default {
                v["default"] = d.into();
            }
            v
        };
        let base_inputs = vec![
            input("site", Some("primary_site"), None),
            input("hist", Some("histology"), None),
            input("year_dx", Some("year_validation"), None),
            input("disc", None, None),
        ];
        let schema_a = serde_json::json!({
            "id": "a", "algorithm": "toy", "version": "1.0", "schema_selection_table": "sel_a",
            "inputs": base_inputs, "outputs": [{"key": "out1", "default": "{{ctx_alg_version}}"}],
        });
        let mut b_inputs = base_inputs.clone();
        b_inputs.push(input("x", Some("val_x"), Some("1")));
        let schema_b = serde_json::json!({
            "id": "b", "algorithm": "toy", "version": "1.0", "schema_selection_table": "sel_b",
            "on_invalid_input": "FAIL_WHEN_USED_FOR_STAGING",
            "inputs": b_inputs,
            "outputs": [{"key": "out1", "default": "d1"}, {"key": "out2", "default": ""},
                        {"key": "out3"}, {"key": "nul"}],
            "mappings": [
                {"id": "m1", "initial_context": [{"key": "nul"}],
                 "tables": [{"id": "t_first"}, {"id": "t_after_stop"}]},
                {"id": "m2", "tables": [
                    {"id": "t_map", "input_mapping": [{"from": "x", "to": "v"}],
                     "output_mapping": [{"from": "r", "to": "out3"}]},
                    {"id": "t_missing_from", "input_mapping": [{"from": "nosuch", "to": "w"}]}]}
            ],
        });
        let mut entries: Vec<(String, String)> = tables
            .iter()
            .enumerate()
            .map(|(n, t)| (format!("tables/t{n}.json"), t.clone()))
            .collect();
        entries.push(("schemas/a.json".into(), schema_a.to_string()));
        entries.push(("schemas/b.json".into(), schema_b.to_string()));
        let borrowed: Vec<(&str, &str)> = entries
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        match Algorithm::from_entries(&borrowed) {
            Ok(a) => a,
            Err(e) => panic!("toy algorithm: {e}"),
        }
    }

    const OPT: StageOptions = StageOptions { current_year: 2026 };

    fn stage(alg: &Algorithm, pairs: &[(&str, &str)]) -> StageResult {
        alg.stage(pairs.iter().copied(), &OPT)
    }

    fn base(x: Option<&str>) -> Vec<(&str, &str)> {
        let mut v = vec![
            ("site", "C000"),
            ("hist", "8000"),
            ("year_dx", "2020"),
            ("disc", ""),
        ];
        if let Some(x) = x {
            v.push(("x", x));
        }
        v
    }

    fn out<'r>(r: &'r StageResult, k: &str) -> Option<Option<&'r str>> {
        r.output.get(k).map(|v| v.as_deref())
    }

    #[test]
    fn blank_and_absent_discriminators_select_differently() {
        let alg = toy();
        let ids = |d: &[(&str, Option<&str>)]| -> Vec<String> {
            alg.lookup_schemas(Some("C000"), Some("8000"), d)
                .iter()
                .map(|s| s.id.clone())
                .collect()
        };
        assert_eq!(ids(&[]), vec!["a", "b"]);
        assert_eq!(ids(&[("disc", Some(""))]), vec!["b"]);
        assert_eq!(ids(&[("disc", None)]), vec!["b"]);
        assert_eq!(ids(&[("disc", Some("1"))]), vec!["a"]);
        assert!(ids(&[("disc", Some("3"))]).is_empty());
        // Lookup compares site untrimmed.
        assert!(alg
            .lookup_schemas(Some("C000 "), Some("8000"), &[])
            .is_empty());
        let r = stage(&alg, &[("site", "C000"), ("hist", "8000")]);
        assert_eq!(r.result, ResultType::FailedMultipleMatchingSchemas);
        let r = stage(&alg, &[("site", "C000")]);
        assert_eq!(r.result, ResultType::FailedMissingSiteOrHistology);
    }

    #[test]
    fn mappings_outputs_and_path() {
        let alg = toy();
        for r in [stage(&alg, &base(Some("1"))), stage(&alg, &base(None))] {
            assert_eq!(r.result, ResultType::Staged, "{r:?}");
            assert_eq!(r.schema_id.as_deref(), Some("b"));
            assert_eq!(out(&r, "out1"), Some(Some("one")));
            // A VALUE reference sees the earlier write of the same mapping.
            assert_eq!(out(&r, "out2"), Some(Some("one")));
            // Output mapping sends column r to out3.
            assert_eq!(out(&r, "out3"), Some(Some("1")));
            // Mapping initial context without value sets null, which survives into the result.
            assert_eq!(out(&r, "nul"), Some(None));
            assert_eq!(r.output.len(), 4, "temporaries and inputs are not outputs");
            assert_eq!(
                r.path,
                vec![
                    "m1.t_first",
                    "m1.t_after_stop",
                    "m2.t_map",
                    "m2.t_jump",
                    "m2.t_missing_from"
                ]
            );
            let kinds: Vec<ErrorType> = r.errors.iter().map(|e| e.kind).collect();
            assert_eq!(
                kinds,
                vec![ErrorType::StagingError, ErrorType::UnknownInputMapping]
            );
            assert_eq!(
                r.errors[0].message.as_deref(),
                Some("Matching resulted in an error in table 't_jump' for column 'r' (1)")
            );
            assert_eq!(r.errors[0].columns, Some(vec!["r".to_string()]));
            assert_eq!(
                r.errors[1].message.as_deref(),
                Some("Input mapping 'nosuch' does not exist for table 't_missing_from'")
            );
        }
    }

    #[test]
    fn stop_ends_only_the_current_mapping() {
        let alg = toy();
        let r = stage(&alg, &base(Some("2")));
        assert_eq!(r.result, ResultType::Staged);
        assert_eq!(
            r.path,
            vec!["m1.t_first", "m2.t_map", "m2.t_jump", "m2.t_missing_from"]
        );
        assert_eq!(out(&r, "out1"), Some(Some("d1")));
        assert_eq!(out(&r, "out2"), Some(Some("")));
        // The jump's VALUE goes through the same output mapping and overwrites the first write.
        assert_eq!(out(&r, "out3"), Some(Some("two")));
    }

    #[test]
    fn blank_input_is_neither_defaulted_nor_validated() {
        let alg = toy();
        let r = stage(&alg, &base(Some("   ")));
        assert_eq!(r.result, ResultType::Staged);
        let nf: Vec<&str> = r
            .errors
            .iter()
            .filter(|e| e.kind == ErrorType::MatchNotFound)
            .filter_map(|e| e.message.as_deref())
            .collect();
        assert_eq!(
            nf,
            vec![
                "Match not found in table 't_first' (<blank>)",
                "Match not found in table 't_jump' (<blank>)"
            ]
        );
        assert_eq!(out(&r, "out2"), Some(Some("d1")));
        assert_eq!(out(&r, "out3"), Some(Some("")));
    }

    #[test]
    fn invalid_required_input_fails_when_used_for_staging() {
        let alg = toy();
        let r = stage(&alg, &base(Some(" 3 ")));
        assert_eq!(r.result, ResultType::FailedInvalidInput);
        assert!(r.output.is_empty() && r.path.is_empty());
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].kind, ErrorType::InvalidRequiredInput);
        assert_eq!(
            r.errors[0].message.as_deref(),
            Some("Invalid 'x' value (3)")
        );
        assert_eq!(r.errors[0].table.as_deref(), Some("val_x"));
    }

    #[test]
    fn unknown_keys_and_years() {
        let alg = toy();
        let mut v = base(Some("1"));
        v.push(("zzz", "1"));
        let r = stage(&alg, &v);
        assert_eq!(r.result, ResultType::FailedInvalidInput);
        assert_eq!(r.schema_id.as_deref(), Some("b"));
        assert_eq!(r.errors[0].kind, ErrorType::UnknownInput);
        assert_eq!(
            r.errors[0].message.as_deref(),
            Some("Unknown input key supplied: zzz")
        );

        let mut v = base(Some("1"));
        v[2] = ("year_dx", "2027");
        assert_eq!(stage(&alg, &v).result, ResultType::FailedInvalidYearDx);
        let later = StageOptions { current_year: 2030 };
        assert_eq!(
            alg.stage(v.iter().copied(), &later).result,
            ResultType::Staged
        );
        v[2] = ("year_dx", "");
        assert_eq!(stage(&alg, &v).result, ResultType::Staged);
        assert!(alg.is_code_valid("b", "year_dx", Some("2026"), &OPT));
        assert!(!alg.is_code_valid(
            "b",
            "year_dx",
            Some("2026"),
            &StageOptions { current_year: 2025 }
        ));
        assert!(!alg.is_code_valid("b", "nosuch", Some("1"), &OPT));
        assert!(!alg.is_code_valid("nosuch", "x", Some("1"), &OPT));
    }

    #[test]
    fn valid_codes_lists_the_validation_table() {
        let alg = toy();
        let codes: Option<Vec<String>> = alg
            .valid_codes("b", "x")
            .map(|v| v.into_iter().map(|c| c.code).collect());
        assert_eq!(codes, Some(vec!["1".to_string(), "2".to_string()]));
        assert_eq!(alg.valid_codes("b", "disc").map(|v| v.len()), Some(0));
        assert!(alg.valid_codes("b", "nosuch").is_none());
    }

    #[test]
    fn year_text_formats_without_allocating() {
        let mut buf = [0u8; 5];
        assert_eq!(year_text(2026, &mut buf), "2026");
        assert_eq!(year_text(0, &mut buf), "0");
        assert_eq!(year_text(u16::MAX, &mut buf), "65535");
    }
}
