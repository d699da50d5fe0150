//! Building the lookups from the published reference files (the copy the edits read).

use std::collections::HashMap;
use std::io::Read;

use super::{Entry, ItemLookup, Lookups, SurgeryEdition, SurgeryTable};
use crate::edits::tables::parse_surgery_tables;
use crate::naaccr::Dictionary;
use crate::refdata::Source;

const NAACCR_LOOKUPS_ZIP: &str = "naaccr-lookups/naaccr-lookups-260.zip";
const HISTOLOGY_ALL_TERMS: &str = "icdo3/histologicTypeIcdO3_allTerms.csv";
const PRIMARY_SITE: &str = "icdo3/primarySite.csv";
const BEHAVIOR: &str = "icdo3/behaviorCodeIcdO3.csv";

/// The reference data the edits read too: the embedded copy of `data/reference`, or the folder
/// `CANCER_REGISTRY_REFERENCE` names. A file that cannot be read gives an empty list (logged).
fn source() -> Source {
    crate::edits::ReferenceTables::default_source()
}

fn bytes(src: &Source, rel: &str) -> Vec<u8> {
    src.read(rel).map(|b| b.into_owned()).unwrap_or_else(|e| {
        log::warn!("lookups: cannot read {}: {e}", src.path(rel).display());
        Vec::new()
    })
}

fn text(src: &Source, rel: &str) -> String {
    String::from_utf8(bytes(src, rel)).unwrap_or_default()
}

/// Each surgery edition (its first diagnosis year, as `edits::tables::SURGERY`) and its text.
pub(super) fn surgery_files() -> Vec<(u16, String)> {
    let src = source();
    crate::edits::tables::SURGERY
        .iter()
        .map(|(year, rel)| (*year, text(&src, rel)))
        .collect()
}

const LOOKUPS_SOURCE: &str = "NAACCR v26 lookups (data/reference/naaccr-lookups)";
const ICDO3_SOURCE: &str = "ICD-O-3 lists (data/reference/icdo3)";

/// Items the ICD-O-3 lists give; the lookups ZIP has copies of these, read from `icdo3/` instead.
const FROM_ICDO3: &[&str] = &["histologicTypeIcdO3", "primarySite", "behaviorCodeIcdO3"];

/// Every lookup of the embedded files. The files are part of the binary and checked by the
/// tests, so a row that cannot be read is skipped rather than failing the service.
pub(super) fn embedded() -> Lookups {
    let src = source();
    let surgery: Vec<SurgeryEdition> = surgery_files()
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
    let mut items = naaccr_lookups(&bytes(&src, NAACCR_LOOKUPS_ZIP));
    items.insert(
        "histologicTypeIcdO3".into(),
        histology(&text(&src, HISTOLOGY_ALL_TERMS)),
    );
    items.insert(
        "primarySite".into(),
        primary_sites(&text(&src, PRIMARY_SITE), surgery.last()),
    );
    let behavior = text(&src, BEHAVIOR);
    items.insert(
        "behaviorCodeIcdO3".into(),
        ItemLookup::new(
            ICDO3_SOURCE,
            csv_rows(&behavior)
                .filter_map(|r| Some(Entry::new(r.first()?, r.get(1)?, Vec::new(), None)))
                .collect(),
        ),
    );
    Lookups { items, surgery }
}

/// The item lists of the NAACCR lookups ZIP (one `<naaccrId>.csv` of code,label rows per item)
/// for the items of the v26 dictionary.
fn naaccr_lookups(zip: &[u8]) -> HashMap<Box<str>, ItemLookup> {
    let mut out = HashMap::new();
    let dictionary = Dictionary::builtin("260");
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(zip)) else {
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
fn histology(all_terms: &str) -> ItemLookup {
    let mut order: Vec<String> = Vec::new();
    let mut terms: HashMap<String, (Option<String>, Vec<Box<str>>)> = HashMap::new();
    for row in csv_rows(all_terms) {
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
fn primary_sites(primary_site: &str, latest: Option<&SurgeryEdition>) -> ItemLookup {
    let entries = csv_rows(primary_site)
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
