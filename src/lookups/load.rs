//! Building the lookups from the published files embedded in the binary.

use std::collections::HashMap;
use std::io::Read;

use super::{Entry, ItemLookup, Lookups, SurgeryEdition, SurgeryTable};
use crate::edits::tables::parse_surgery_tables;
use crate::naaccr::Dictionary;

const NAACCR_LOOKUPS_ZIP: &[u8] =
    include_bytes!("../../data/reference/naaccr-lookups/naaccr-lookups-260.zip");
const HISTOLOGY_ALL_TERMS: &str =
    include_str!("../../data/reference/icdo3/histologicTypeIcdO3_allTerms.csv");
const PRIMARY_SITE: &str = include_str!("../../data/reference/icdo3/primarySite.csv");
const BEHAVIOR: &str = include_str!("../../data/reference/icdo3/behaviorCodeIcdO3.csv");

/// The surgery editions and the first diagnosis year of each (as `edits::tables::SURGERY`).
pub(super) const SURGERY_FILES: &[(u16, &str)] = &[
    (
        2018,
        include_str!("../../data/reference/surgery/site-specific-surgery-tables-2018.xml"),
    ),
    (
        2021,
        include_str!("../../data/reference/surgery/site-specific-surgery-tables-2021.xml"),
    ),
    (
        2022,
        include_str!("../../data/reference/surgery/site-specific-surgery-tables-2022.xml"),
    ),
    (
        2023,
        include_str!("../../data/reference/surgery/site-specific-surgery-tables-2023.xml"),
    ),
    (
        2024,
        include_str!("../../data/reference/surgery/site-specific-surgery-tables-2024.xml"),
    ),
];

const LOOKUPS_SOURCE: &str = "NAACCR v26 lookups (data/reference/naaccr-lookups)";
const ICDO3_SOURCE: &str = "ICD-O-3 lists (data/reference/icdo3)";

/// Items the ICD-O-3 lists give; the lookups ZIP has copies of these, read from `icdo3/` instead.
const FROM_ICDO3: &[&str] = &["histologicTypeIcdO3", "primarySite", "behaviorCodeIcdO3"];

/// Every lookup of the embedded files. The files are part of the binary and checked by the
/// tests, so a row that cannot be read is skipped rather than failing the service.
pub(super) fn embedded() -> Lookups {
    let surgery: Vec<SurgeryEdition> = SURGERY_FILES
        .iter()
        .map(|(year, text)| SurgeryEdition {
            year: *year,
            tables: parse_surgery_tables(text)
                .into_iter()
                .map(|t| SurgeryTable {
                    title: t.title,
                    sites: t.sites,
                    entries: t
                        .rows
                        .iter()
                        .map(|(code, label)| Entry::new(code, label, Vec::new(), None))
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let mut items = naaccr_lookups();
    items.insert("histologicTypeIcdO3".into(), histology());
    items.insert("primarySite".into(), primary_sites(surgery.last()));
    items.insert(
        "behaviorCodeIcdO3".into(),
        ItemLookup::new(
            ICDO3_SOURCE,
            csv_rows(BEHAVIOR)
                .filter_map(|r| Some(Entry::new(r.first()?, r.get(1)?, Vec::new(), None)))
                .collect(),
        ),
    );
    Lookups { items, surgery }
}

/// The item lists of the NAACCR lookups ZIP (one `<naaccrId>.csv` of code,label rows per item)
/// for the items of the v26 dictionary.
fn naaccr_lookups() -> HashMap<Box<str>, ItemLookup> {
    let mut out = HashMap::new();
    let dictionary = Dictionary::builtin("260");
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(NAACCR_LOOKUPS_ZIP)) else {
        return out;
    };
    for i in 0..zip.len() {
        let Ok(mut file) = zip.by_index(i) else {
            continue;
        };
        let Ok(name) = file.name().map(|n| n.to_string()) else {
            continue;
        };
        let Some(id) = name.rsplit('/').next().and_then(|f| f.strip_suffix(".csv")) else {
            continue;
        };
        let known = dictionary.is_some_and(|d| d.item(id).is_some());
        if !known || FROM_ICDO3.contains(&id) {
            continue;
        }
        let mut text = String::new();
        if file.read_to_string(&mut text).is_err() {
            continue;
        }
        let entries: Vec<Entry> = csv_rows(&text)
            .filter_map(|r| Some(Entry::new(r.first()?, r.get(1)?, Vec::new(), None)))
            .collect();
        if !entries.is_empty() {
            out.insert(id.into(), ItemLookup::new(LOOKUPS_SOURCE, entries));
        }
    }
    out
}

/// ICD-O-3 morphology with behavior (`8500/3`): the preferred term as label, the alternate
/// terms as synonyms.
fn histology() -> ItemLookup {
    let mut order: Vec<String> = Vec::new();
    let mut terms: HashMap<String, (Option<String>, Vec<Box<str>>)> = HashMap::new();
    for row in csv_rows(HISTOLOGY_ALL_TERMS) {
        let (Some(hist), Some(beh), Some(term), Some(kind)) =
            (row.first(), row.get(1), row.get(2), row.get(3))
        else {
            continue;
        };
        let code = format!("{hist}/{beh}");
        let slot = terms.entry(code.clone()).or_insert_with(|| {
            order.push(code);
            (None, Vec::new())
        });
        if kind == "preferred" && slot.0.is_none() {
            slot.0 = Some(term.clone());
        } else {
            slot.1.push(term.as_str().into());
        }
    }
    order.sort();
    let entries = order
        .into_iter()
        .filter_map(|code| {
            let (preferred, mut synonyms) = terms.remove(&code)?;
            let label = match preferred {
                Some(p) => p,
                None if !synonyms.is_empty() => synonyms.remove(0).into(),
                None => return None,
            };
            Some(Entry::new(&code, &label, synonyms, None))
        })
        .collect();
    ItemLookup::new(ICDO3_SOURCE, entries)
}

/// Topography codes, each under the title of the latest surgery table that covers it (so
/// `breast` finds C500 Nipple as well as the codes whose label says breast).
fn primary_sites(latest: Option<&SurgeryEdition>) -> ItemLookup {
    let entries = csv_rows(PRIMARY_SITE)
        .filter_map(|r| {
            let code = r.first()?;
            let site = super::search::parse_site(code)?;
            let group: Option<Box<str>> = latest
                .and_then(|e| super::table_for(e, site))
                .map(|t| t.title.as_str())
                .filter(|t| !t.starts_with("All Other"))
                .map(Into::into);
            Some(Entry::new(code, r.get(1)?, Vec::new(), group))
        })
        .collect();
    ItemLookup::new(ICDO3_SOURCE, entries)
}

/// Rows of a comma-separated file with double-quoted fields (`""` inside quotes is a quote).
pub(super) fn csv_rows(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .map(csv_fields)
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}
