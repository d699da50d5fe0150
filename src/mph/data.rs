//! The rule tables: the published TSV files of `data/mph/` (embedded, parsed once at first use)
//! plus `rule_lists.tsv`, the short code and site lists the rules name.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::sets::{SiteSetId, S};

/// A table line that could not be read (file and 1-based line).
#[derive(Debug, Clone, thiserror::Error)]
#[error("data/mph/{file} line {line}: {message}")]
pub struct TableError {
    pub file: &'static str,
    pub line: usize,
    pub message: String,
}

macro_rules! embed {
    ($($name:ident = $file:literal),* $(,)?) => {
        $(const $name: (&str, &str) = ($file, include_str!(concat!("../../data/mph/", $file)));)*
    };
}

embed! {
    GROUPS = "groups.tsv",
    HISTOLOGY_SETS = "histology_sets.tsv",
    SITE_SETS = "site_sets.tsv",
    RULE_LISTS = "rule_lists.tsv",
    NOS_VS_SPECIFIC = "nos_vs_specific.tsv",
    BB2004 = "benign_brain_2004_histology_groups.tsv",
    BB2007_CHART1 = "benign_brain_2007_chart1.tsv",
    MB2007_CHART1 = "malignant_brain_2007_chart1.tsv",
    MB2007_CHART2 = "malignant_brain_2007_chart2.tsv",
    BREAST_ROWS = "breast_2018_table3_rows.tsv",
    BREAST_SUB = "breast_2018_table3_subtypes.tsv",
    COLON_ROWS = "colon_2018_table1_rows.tsv",
    KIDNEY_ROWS = "kidney_2018_table1_rows.tsv",
    KIDNEY_SUB = "kidney_2018_table1_subtypes.tsv",
    LUNG_ROWS = "lung_2018_table3_rows.tsv",
    LUNG_SUB = "lung_2018_table3_subtypes.tsv",
    URINARY_ROWS = "urinary_2018_table2_rows.tsv",
    URINARY_SUB = "urinary_2018_table2_subtypes.tsv",
    MCNS_ROWS = "malignant_cns_2018_table3_rows.tsv",
    MCNS_SUB = "malignant_cns_2018_table3_subtypes.tsv",
    NMCNS_2018_ROWS = "non_malignant_cns_2018_table6_rows.tsv",
    NMCNS_2023_ROWS = "non_malignant_cns_2023_table6_rows.tsv",
    MELANOMA_SUB = "cutaneous_melanoma_2021_table2_subtypes.tsv",
    HN_ROWS = "head_and_neck_2018_rows.tsv",
    HN_ROWS_SITES = "head_and_neck_2018_rows_site_to_table.tsv",
    HN_SUB = "head_and_neck_2018_subtypes.tsv",
    HN_SUB_SITES = "head_and_neck_2018_subtypes_site_to_table.tsv",
    OS_ROWS = "other_sites_2023_rows.tsv",
    OS_ROWS_SITES = "other_sites_2023_rows_site_to_table.tsv",
    OS_SUB = "other_sites_2023_subtypes.tsv",
    OS_SUB_SITES = "other_sites_2023_subtypes_site_to_table.tsv",
    HEME1998 = "hemato_1998_histology_pairs.tsv",
    HEME2001_GROUPS = "hemato_2001_histology_groups.tsv",
    HEME2001_PAIRS = "hemato_2001_histology_group_pairs.tsv",
    HEME2010_SAME = "hemato_2010_same_primary_pairs.tsv",
    HEME2010_TO = "hemato_2010_transform_to_pairs.tsv",
    HEME2010_FROM = "hemato_2010_transform_from_pairs.tsv",
}

/// Data rows of a TSV file (header skipped), with their 1-based line numbers.
fn rows(
    file: (&'static str, &'static str),
    columns: usize,
) -> impl Iterator<Item = Result<(usize, Vec<&'static str>), TableError>> {
    file.1
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(move |(i, l)| {
            let cells: Vec<&'static str> = l.split('\t').collect();
            if cells.len() < columns {
                return Err(TableError {
                    file: file.0,
                    line: i + 1,
                    message: format!("{} columns, expected {columns}", cells.len()),
                });
            }
            Ok((i + 1, cells))
        })
}

fn bad(file: (&'static str, &str), line: usize, message: String) -> TableError {
    TableError {
        file: file.0,
        line,
        message,
    }
}

/// A histology key: `hhhh` (any behavior) or `hhhh/b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Hist(u16),
    Icd(u32),
}

pub fn parse_hist(s: &str) -> Option<u16> {
    if s.len() == 4 && s.bytes().all(|c| c.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

pub fn parse_key(s: &str) -> Option<Key> {
    let s = s.trim();
    match s.split_once('/') {
        None => parse_hist(s).map(Key::Hist),
        Some((h, b)) => {
            let h = parse_hist(h)?;
            let b: u32 = (b.len() == 1).then(|| b.parse().ok())??;
            Some(Key::Icd(u32::from(h) * 10 + b))
        }
    }
}

/// A set of histology codes: 4-digit members match a histology, `h/b` members an icd.
#[derive(Debug, Clone, Default)]
pub struct CodeSet {
    hist: Vec<u64>,
    icd: Vec<u32>,
}

impl CodeSet {
    fn insert(&mut self, key: Key) {
        match key {
            Key::Hist(h) => {
                if self.hist.is_empty() {
                    self.hist = vec![0; 10_000 / 64 + 1];
                }
                self.hist[usize::from(h) / 64] |= 1 << (h % 64);
            }
            Key::Icd(i) => {
                if let Err(p) = self.icd.binary_search(&i) {
                    self.icd.insert(p, i);
                }
            }
        }
    }
    fn union(&mut self, other: &CodeSet) {
        if !other.hist.is_empty() {
            if self.hist.is_empty() {
                self.hist = vec![0; 10_000 / 64 + 1];
            }
            for (a, b) in self.hist.iter_mut().zip(&other.hist) {
                *a |= b;
            }
        }
        for i in &other.icd {
            self.insert(Key::Icd(*i));
        }
    }
    pub fn has_h(&self, h: u16) -> bool {
        self.hist
            .get(usize::from(h) / 64)
            .is_some_and(|w| w & (1 << (h % 64)) != 0)
    }
    pub fn has_icd(&self, icd: u32) -> bool {
        self.icd.binary_search(&icd).is_ok()
    }
}

/// Key → row/subtype/group label; `lookup` tries the 4-digit key first, then `h/b`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeMap {
    hist: Vec<(u16, &'static str)>,
    icd: Vec<(u32, &'static str)>,
}

impl CodeMap {
    fn insert(&mut self, key: Key, value: &'static str) {
        match key {
            Key::Hist(h) => self.hist.push((h, value)),
            Key::Icd(i) => self.icd.push((i, value)),
        }
    }
    fn finish(&mut self) {
        self.hist.sort_by_key(|e| e.0);
        self.icd.sort_by_key(|e| e.0);
    }
    pub fn by_h(&self, h: u16) -> Option<&'static str> {
        self.hist
            .binary_search_by_key(&h, |e| e.0)
            .ok()
            .map(|i| self.hist[i].1)
    }
    pub fn by_icd(&self, icd: u32) -> Option<&'static str> {
        self.icd
            .binary_search_by_key(&icd, |e| e.0)
            .ok()
            .map(|i| self.icd[i].1)
    }
    pub fn lookup(&self, h: u16, icd: u32) -> Option<&'static str> {
        self.by_h(h).or_else(|| self.by_icd(icd))
    }
    pub fn lookup_icd_first(&self, h: u16, icd: u32) -> Option<&'static str> {
        self.by_icd(icd).or_else(|| self.by_h(h))
    }
    fn load(file: (&'static str, &'static str), key_col: usize) -> Result<Self, TableError> {
        let mut m = CodeMap::default();
        for r in rows(file, key_col + 2) {
            let (line, c) = r?;
            let key = parse_key(c[key_col])
                .ok_or_else(|| bad(file, line, format!("bad key {:?}", c[key_col])))?;
            m.insert(key, c[key_col + 1].trim());
        }
        m.finish();
        Ok(m)
    }
}

/// Site list entries: single sites, 3-character prefixes or inclusive ranges of 3-digit numbers.
#[derive(Debug, Clone, Default)]
pub struct SiteSet {
    ranges: Vec<(u16, u16)>,
}

impl SiteSet {
    fn add(&mut self, part: &str) -> Option<()> {
        let part = part.trim();
        let num = |s: &str| -> Option<u16> {
            let d = s.strip_prefix('C')?;
            d.bytes().all(|c| c.is_ascii_digit()).then_some(())?;
            d.parse().ok()
        };
        if let Some((a, b)) = part.split_once('-') {
            self.ranges.push((num(a)?, num(b)?));
        } else if part.len() == 3 {
            let p = num(part)?;
            self.ranges.push((p * 10, p * 10 + 9));
        } else {
            let s = num(part)?;
            self.ranges.push((s, s));
        }
        Some(())
    }
    pub fn parse(list: &str) -> Option<Self> {
        let mut s = SiteSet::default();
        for part in list.split(',') {
            s.add(part)?;
        }
        Some(s)
    }
    pub fn has(&self, site: u16) -> bool {
        self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&site))
    }
}

/// A site list made of entries (e.g. the paired-site lists: both sites in the same entry).
#[derive(Debug, Clone, Default)]
pub struct SiteEntries {
    pub entries: Vec<SiteSet>,
}

impl SiteEntries {
    pub fn same_entry(&self, a: u16, b: u16) -> bool {
        self.entries.iter().any(|e| e.has(a) && e.has(b))
    }
    pub fn any_has(&self, s: u16) -> bool {
        self.entries.iter().any(|e| e.has(s))
    }
}

/// Site-keyed tables (2018+ Head and Neck, 2023+ Other Sites): table index per site.
#[derive(Debug, Clone, Default)]
pub struct SiteTables {
    pub tables: Vec<CodeMap>,
    by_site: Vec<Option<u16>>,
}

impl SiteTables {
    pub fn table_of(&self, site: u16) -> Option<usize> {
        self.by_site
            .get(usize::from(site))
            .copied()
            .flatten()
            .map(usize::from)
    }
    pub fn for_site(&self, site: u16) -> Option<&CodeMap> {
        self.table_of(site).map(|i| &self.tables[i])
    }
    fn load(
        table_file: (&'static str, &'static str),
        site_file: (&'static str, &'static str),
    ) -> Result<Self, TableError> {
        let mut names: Vec<&str> = Vec::new();
        let mut tables: Vec<CodeMap> = Vec::new();
        for r in rows(table_file, 3) {
            let (line, c) = r?;
            let key = parse_key(c[1])
                .ok_or_else(|| bad(table_file, line, format!("bad key {:?}", c[1])))?;
            let i = match names.iter().position(|n| *n == c[0]) {
                Some(i) => i,
                None => {
                    names.push(c[0]);
                    tables.push(CodeMap::default());
                    names.len() - 1
                }
            };
            tables[i].insert(key, c[2].trim());
        }
        tables.iter_mut().for_each(CodeMap::finish);
        let mut by_site = vec![None; 1000];
        for r in rows(site_file, 2) {
            let (line, c) = r?;
            let site = site_number(c[0])
                .ok_or_else(|| bad(site_file, line, format!("bad site {:?}", c[0])))?;
            let t = names
                .iter()
                .position(|n| *n == c[1])
                .ok_or_else(|| bad(site_file, line, format!("unknown table {:?}", c[1])))?;
            by_site[usize::from(site)] = u16::try_from(t).ok();
        }
        Ok(SiteTables { tables, by_site })
    }
}

/// `C509` → 509.
pub fn site_number(s: &str) -> Option<u16> {
    let d = s.strip_prefix('C')?;
    (d.len() == 3 && d.bytes().all(|c| c.is_ascii_digit()))
        .then(|| d.parse().ok())
        .flatten()
}

fn parse_range_list<T: std::str::FromStr + Copy>(s: &str) -> Option<Vec<(T, T)>> {
    if s.trim() == "null" || s.trim().is_empty() {
        return Some(Vec::new());
    }
    s.split(',')
        .map(|p| {
            let p = p.trim();
            match p.split_once('-') {
                Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
                None => {
                    let v = p.parse().ok()?;
                    Some((v, v))
                }
            }
        })
        .collect()
}

/// One rule set of `groups.tsv` with its applicability ranges.
#[derive(Debug, Clone)]
pub struct GroupDef {
    pub id: &'static str,
    pub name: &'static str,
    pub sites: Option<SiteSet>,
    pub hist_in: Vec<(u16, u16)>,
    pub hist_out: Vec<(u16, u16)>,
    pub behaviors: Vec<(u8, u8)>,
    pub years: (i64, i64),
    pub steps: Vec<&'static str>,
}

fn in_ranges<T: PartialOrd>(v: T, r: &[(T, T)]) -> bool {
    r.iter().any(|(a, b)| *a <= v && v <= *b)
}

impl GroupDef {
    /// The generic applicability test of RULES.md 2.3.
    pub fn applies(&self, site: u16, h: u16, b: u8, year: i64) -> bool {
        if !in_ranges(b, &self.behaviors) || year < self.years.0 || year > self.years.1 {
            return false;
        }
        if let Some(s) = &self.sites {
            if !s.has(site) {
                return false;
            }
        }
        if !self.hist_in.is_empty() {
            in_ranges(h, &self.hist_in)
        } else {
            !in_ranges(h, &self.hist_out)
        }
    }
}

/// A heme DB row: the paired morphology is valid between `start` and `end` (inclusive).
#[derive(Debug, Clone, Copy)]
pub struct HemePair {
    pub start: i64,
    pub end: i64,
    pub other: u32,
}

/// Heme DB pairs by morphology (icd).
#[derive(Debug, Clone, Default)]
pub struct HemePairs {
    map: HashMap<u32, Vec<HemePair>>,
}

impl HemePairs {
    /// A row of `m` pairs it with `other` at `year`.
    pub fn matches(&self, m: u32, other: u32, year: i64) -> bool {
        self.map.get(&m).is_some_and(|v| {
            v.iter()
                .any(|p| p.other == other && p.start <= year && year <= p.end)
        })
    }
    fn load(file: (&'static str, &'static str)) -> Result<Self, TableError> {
        let mut map: HashMap<u32, Vec<HemePair>> = HashMap::new();
        for r in rows(file, 6) {
            let (line, c) = r?;
            let icd = |s: &str| match parse_key(s) {
                Some(Key::Icd(i)) => Ok(i),
                _ => Err(bad(file, line, format!("bad morphology {s:?}"))),
            };
            let year = |s: &str| -> Result<Option<i64>, TableError> {
                let s = s.trim();
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse()
                        .map(Some)
                        .map_err(|_| bad(file, line, format!("bad year {s:?}")))
                }
            };
            let (vs, ve, s, e) = (year(c[1])?, year(c[2])?, year(c[3])?, year(c[4])?);
            map.entry(icd(c[0])?).or_default().push(HemePair {
                start: s.or(vs).unwrap_or(0),
                end: e.or(ve).unwrap_or(9999),
                other: icd(c[5])?,
            });
        }
        Ok(HemePairs { map })
    }
}

/// Everything the rules read.
#[derive(Debug)]
pub struct Data {
    pub groups: Vec<GroupDef>,
    sets: Vec<CodeSet>,
    site_sets: Vec<SiteEntries>,
    pub nos: HashMap<u16, CodeSet>,
    pub bb2004: CodeMap,
    pub bb2007_chart1: CodeMap,
    /// Histology → bit mask of chart branches.
    pub mb2007_chart1: HashMap<u16, u64>,
    pub mb2007_chart2: HashMap<u16, u64>,
    pub breast_rows: CodeMap,
    pub breast_sub: CodeMap,
    pub colon_rows: CodeMap,
    pub kidney_rows: CodeMap,
    pub kidney_sub: CodeMap,
    pub lung_rows: CodeMap,
    pub lung_sub: CodeMap,
    pub urinary_rows: CodeMap,
    pub urinary_sub: CodeMap,
    pub mcns_rows: CodeMap,
    pub mcns_sub: CodeMap,
    pub nmcns_2018_rows: CodeMap,
    pub nmcns_2023_rows: CodeMap,
    pub melanoma_sub: CodeMap,
    pub hn_rows: SiteTables,
    pub hn_sub: SiteTables,
    pub os_rows: SiteTables,
    pub os_sub: SiteTables,
    /// 1998 heme: (low, high, same low, same high).
    pub heme1998: Vec<(u16, u16, u16, u16)>,
    /// 2001 heme: (group, low, high) in file order.
    pub heme2001_groups: Vec<(u16, u16, u16)>,
    pub heme2001_pairs: Vec<(u16, u16)>,
    pub heme_same: HemePairs,
    pub heme_to: HemePairs,
    pub heme_from: HemePairs,
}

impl Data {
    pub fn set(&self, s: S) -> &CodeSet {
        &self.sets[s as usize]
    }
    pub fn sites(&self, s: SiteSetId) -> &SiteEntries {
        &self.site_sets[s as usize]
    }
}

fn load_groups() -> Result<Vec<GroupDef>, TableError> {
    let mut out = Vec::new();
    for r in rows(GROUPS, 9) {
        let (line, c) = r?;
        let e = |what: &str, v: &str| bad(GROUPS, line, format!("bad {what} {v:?}"));
        let sites = match c[3].trim() {
            "null" | "" => None,
            s => Some(SiteSet::parse(s).ok_or_else(|| e("site list", s))?),
        };
        let years: Vec<(i64, i64)> = parse_range_list(c[8]).ok_or_else(|| e("years", c[8]))?;
        let years = *years.first().ok_or_else(|| e("years", c[8]))?;
        out.push(GroupDef {
            id: c[1],
            name: c[2],
            sites,
            hist_in: parse_range_list(c[5]).ok_or_else(|| e("histologies", c[5]))?,
            hist_out: parse_range_list(c[6]).ok_or_else(|| e("histologies", c[6]))?,
            behaviors: parse_range_list(c[7]).ok_or_else(|| e("behaviors", c[7]))?,
            years,
            steps: c
                .get(9)
                .map(|s| s.split_whitespace().collect())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Histology sets from `histology_sets.tsv` and `rule_lists.tsv` (the latter also allows
/// ranges `8120-8124`), and site lists from `site_sets.tsv` and `rule_lists.tsv` (`site:` sets).
fn load_sets() -> Result<(Vec<CodeSet>, Vec<SiteEntries>), TableError> {
    let mut named: HashMap<&str, CodeSet> = HashMap::new();
    let mut named_sites: HashMap<&str, SiteEntries> = HashMap::new();
    for file in [HISTOLOGY_SETS, SITE_SETS, RULE_LISTS] {
        for r in rows(file, 2) {
            let (line, c) = r?;
            let value = c[1].trim();
            if file.0 == SITE_SETS.0 || value.starts_with('C') {
                let e = SiteSet::parse(value)
                    .ok_or_else(|| bad(file, line, format!("bad site list {value:?}")))?;
                named_sites.entry(c[0]).or_default().entries.push(e);
                continue;
            }
            if let Some(other) = value.strip_prefix('@') {
                let add = named
                    .get(other)
                    .cloned()
                    .ok_or_else(|| bad(file, line, format!("unknown set {other:?}")))?;
                let set = named.entry(c[0]).or_default();
                set.union(&add);
                continue;
            }
            let set = named.entry(c[0]).or_default();
            if let Some((a, b)) = value.split_once('-') {
                let (a, b) = (parse_hist(a), parse_hist(b));
                let (Some(a), Some(b)) = (a, b) else {
                    return Err(bad(file, line, format!("bad range {value:?}")));
                };
                (a..=b).for_each(|h| set.insert(Key::Hist(h)));
            } else {
                let k = parse_key(value)
                    .ok_or_else(|| bad(file, line, format!("bad code {value:?}")))?;
                set.insert(k);
            }
        }
    }
    let sets = S::ALL
        .iter()
        .map(|s| {
            named.get(s.name()).cloned().ok_or_else(|| TableError {
                file: RULE_LISTS.0,
                line: 0,
                message: format!("histology set {} is in no file", s.name()),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let site_sets = SiteSetId::ALL
        .iter()
        .map(|s| {
            named_sites
                .get(s.name())
                .cloned()
                .ok_or_else(|| TableError {
                    file: RULE_LISTS.0,
                    line: 0,
                    message: format!("site set {} is in no file", s.name()),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((sets, site_sets))
}

fn load_branches(file: (&'static str, &'static str)) -> Result<HashMap<u16, u64>, TableError> {
    let mut names: Vec<&str> = Vec::new();
    let mut out: HashMap<u16, u64> = HashMap::new();
    for r in rows(file, 2) {
        let (line, c) = r?;
        let h = parse_hist(c[0]).ok_or_else(|| bad(file, line, format!("bad code {:?}", c[0])))?;
        let i = match names.iter().position(|n| *n == c[1]) {
            Some(i) => i,
            None => {
                names.push(c[1]);
                names.len() - 1
            }
        };
        if i >= 64 {
            return Err(bad(file, line, "more than 64 branches".into()));
        }
        *out.entry(h).or_default() |= 1 << i;
    }
    Ok(out)
}

fn num<T: std::str::FromStr>(
    file: (&'static str, &'static str),
    line: usize,
    s: &str,
) -> Result<T, TableError> {
    s.trim()
        .parse()
        .map_err(|_| bad(file, line, format!("bad number {s:?}")))
}

fn load() -> Result<Data, TableError> {
    let (sets, site_sets) = load_sets()?;
    let mut nos: HashMap<u16, CodeSet> = HashMap::new();
    for r in rows(NOS_VS_SPECIFIC, 2) {
        let (line, c) = r?;
        let (Some(a), Some(b)) = (parse_hist(c[0]), parse_hist(c[1])) else {
            return Err(bad(NOS_VS_SPECIFIC, line, "bad code".into()));
        };
        nos.entry(a).or_default().insert(Key::Hist(b));
    }
    let mut heme1998 = Vec::new();
    for r in rows(HEME1998, 4) {
        let (line, c) = r?;
        heme1998.push((
            num(HEME1998, line, c[0])?,
            num(HEME1998, line, c[1])?,
            num(HEME1998, line, c[2])?,
            num(HEME1998, line, c[3])?,
        ));
    }
    let mut heme2001_groups = Vec::new();
    for r in rows(HEME2001_GROUPS, 3) {
        let (line, c) = r?;
        heme2001_groups.push((
            num(HEME2001_GROUPS, line, c[0])?,
            num(HEME2001_GROUPS, line, c[1])?,
            num(HEME2001_GROUPS, line, c[2])?,
        ));
    }
    let mut heme2001_pairs = Vec::new();
    for r in rows(HEME2001_PAIRS, 2) {
        let (line, c) = r?;
        heme2001_pairs.push((
            num(HEME2001_PAIRS, line, c[0])?,
            num(HEME2001_PAIRS, line, c[1])?,
        ));
    }
    heme2001_pairs.sort_unstable();
    Ok(Data {
        groups: load_groups()?,
        sets,
        site_sets,
        nos,
        bb2004: CodeMap::load(BB2004, 0)?,
        bb2007_chart1: CodeMap::load(BB2007_CHART1, 0)?,
        mb2007_chart1: load_branches(MB2007_CHART1)?,
        mb2007_chart2: load_branches(MB2007_CHART2)?,
        breast_rows: CodeMap::load(BREAST_ROWS, 0)?,
        breast_sub: CodeMap::load(BREAST_SUB, 0)?,
        colon_rows: CodeMap::load(COLON_ROWS, 0)?,
        kidney_rows: CodeMap::load(KIDNEY_ROWS, 0)?,
        kidney_sub: CodeMap::load(KIDNEY_SUB, 0)?,
        lung_rows: CodeMap::load(LUNG_ROWS, 0)?,
        lung_sub: CodeMap::load(LUNG_SUB, 0)?,
        urinary_rows: CodeMap::load(URINARY_ROWS, 0)?,
        urinary_sub: CodeMap::load(URINARY_SUB, 0)?,
        mcns_rows: CodeMap::load(MCNS_ROWS, 0)?,
        mcns_sub: CodeMap::load(MCNS_SUB, 0)?,
        nmcns_2018_rows: CodeMap::load(NMCNS_2018_ROWS, 0)?,
        nmcns_2023_rows: CodeMap::load(NMCNS_2023_ROWS, 0)?,
        melanoma_sub: CodeMap::load(MELANOMA_SUB, 0)?,
        hn_rows: SiteTables::load(HN_ROWS, HN_ROWS_SITES)?,
        hn_sub: SiteTables::load(HN_SUB, HN_SUB_SITES)?,
        os_rows: SiteTables::load(OS_ROWS, OS_ROWS_SITES)?,
        os_sub: SiteTables::load(OS_SUB, OS_SUB_SITES)?,
        heme1998,
        heme2001_groups,
        heme2001_pairs,
        heme_same: HemePairs::load(HEME2010_SAME)?,
        heme_to: HemePairs::load(HEME2010_TO)?,
        heme_from: HemePairs::load(HEME2010_FROM)?,
    })
}

/// The tables, parsed at first use.
pub fn data() -> Result<&'static Data, TableError> {
    static DATA: OnceLock<Result<Data, TableError>> = OnceLock::new();
    DATA.get_or_init(load).as_ref().map_err(Clone::clone)
}
