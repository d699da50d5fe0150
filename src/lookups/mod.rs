//! Code lookups: an item's codes with their labels (the NAACCR v26 lookups and the ICD-O-3
//! lists), the site-specific surgery codes by primary site and diagnosis year (the SEER surgery
//! tables), and a word search over labels and synonyms. Built once from files embedded in the
//! binary, so a lookup never touches the disk or the database.

mod load;
mod search;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use search::Query;

/// One code of an item.
#[derive(Debug)]
pub struct Entry {
    pub code: Box<str>,
    /// The preferred label.
    pub label: Box<str>,
    /// Other terms for the same code (ICD-O-3 alternate terms).
    pub synonyms: Vec<Box<str>>,
    /// A wider heading the code belongs to (the surgery table title of a primary site).
    pub group: Option<Box<str>>,
    /// The code without separators, upper case (`8500/3` -> `85003`).
    code_key: Box<str>,
    /// Per label, synonym and group: its lower-case words, each preceded by a space, so "a word
    /// starts with w" is one substring search for `" " + w`; the keys are joined by newlines
    /// (one allocation). Emptied when the list's [`search::WordIndex`] holds them instead.
    word_keys: Box<str>,
}

impl Entry {
    fn new(code: &str, label: &str, synonyms: Vec<Box<str>>, group: Option<Box<str>>) -> Entry {
        let mut word_keys = search::word_key(label);
        for term in synonyms.iter().chain(&group) {
            word_keys.push('\n');
            word_keys.push_str(&search::word_key(term));
        }
        Entry {
            code: code.into(),
            label: label.into(),
            synonyms,
            group,
            code_key: search::code_key(code).into(),
            word_keys: word_keys.into(),
        }
    }
}

/// The codes of one item.
#[derive(Debug)]
pub struct ItemLookup {
    /// Where the list comes from.
    pub source: &'static str,
    pub entries: Vec<Entry>,
    /// Word index of a long list (cause of death: 93,000 codes).
    index: Option<search::WordIndex>,
}

impl ItemLookup {
    fn new(source: &'static str, mut entries: Vec<Entry>) -> ItemLookup {
        let index = (entries.len() >= search::INDEXED).then(|| {
            let index = search::WordIndex::new(&entries);
            // The index holds every entry's keys: one copy of 93,000 codes' words, not two.
            for e in &mut entries {
                e.word_keys = Box::default();
            }
            index
        });
        ItemLookup {
            source,
            entries,
            index,
        }
    }
}

/// One site-specific table of a surgery edition.
#[derive(Debug)]
pub struct SurgeryTable {
    pub title: String,
    pub sites: Vec<(u16, u16)>,
    pub entries: Vec<Entry>,
}

/// The surgery tables of one edition, applying from `year` to the next edition.
#[derive(Debug)]
pub struct SurgeryEdition {
    pub year: u16,
    pub tables: Vec<SurgeryTable>,
}

/// A surgery item and the diagnosis years it is coded for.
struct SurgeryItem {
    id: &'static str,
    from: u16,
    to: Option<u16>,
}

/// The 2-digit items cover diagnoses through 2022; the 4-character items from 2023 (NAACCR v23).
const SURGERY_ITEMS: &[SurgeryItem] = &[
    SurgeryItem {
        id: "rxSummSurgPrimSite",
        from: 2018,
        to: Some(2022),
    },
    SurgeryItem {
        id: "rxHospSurgPrimSite",
        from: 2018,
        to: Some(2022),
    },
    SurgeryItem {
        id: "rxSummSurgPrimSite2023",
        from: 2023,
        to: None,
    },
    SurgeryItem {
        id: "rxHospSurgPrimSite2023",
        from: 2023,
        to: None,
    },
];

const SURGERY_SOURCE: &str = "SEER site-specific surgery tables (data/reference/surgery)";

/// Every lookup.
#[derive(Debug)]
pub struct Lookups {
    items: HashMap<Box<str>, ItemLookup>,
    surgery: Vec<SurgeryEdition>,
}

/// Why a lookup cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("item {0} has no code lookup; GET /api/v1/lookups lists the items that have one")]
    UnknownItem(String),
    /// A query parameter is wrong: which one and why.
    #[error("{param}: {message}")]
    Invalid {
        param: &'static str,
        message: String,
    },
}

/// A code found, with what matched and the years it is valid (where the source says).
#[derive(Debug)]
pub struct Hit<'a> {
    pub entry: &'a Entry,
    /// The synonym or group the query matched, when not the code or label.
    pub matched: Option<&'a str>,
    pub valid_from: Option<u16>,
    pub valid_to: Option<u16>,
}

/// The answer to a lookup.
#[derive(Debug)]
pub struct Answer<'a> {
    pub source: &'static str,
    /// Codes that matched (before the limit).
    pub total: usize,
    /// The surgery edition and table used, for surgery items.
    pub table: Option<(u16, &'a str)>,
    pub hits: Vec<Hit<'a>>,
}

/// An item that has a lookup, with its number of codes (`None` for surgery items, whose codes
/// depend on the site and year).
pub struct Listed<'a> {
    pub id: &'a str,
    pub count: Option<usize>,
    pub source: &'static str,
}

static LOOKUPS: LazyLock<Lookups> = LazyLock::new(load::embedded);

/// The lookups built from the embedded files (built on first use, about a tenth of a second).
pub fn global() -> &'static Lookups {
    &LOOKUPS
}

impl Lookups {
    /// Items with a lookup, sorted by id.
    pub fn list(&self) -> Vec<Listed<'_>> {
        let mut out: Vec<Listed<'_>> = self
            .items
            .iter()
            .map(|(id, l)| Listed {
                id,
                count: Some(l.entries.len()),
                source: l.source,
            })
            .chain(SURGERY_ITEMS.iter().map(|s| Listed {
                id: s.id,
                count: None,
                source: SURGERY_SOURCE,
            }))
            .collect();
        out.sort_by(|a, b| a.id.cmp(b.id));
        out
    }

    /// Codes of an item matching the query, best first.
    pub fn find(&self, item: &str, query: &Query) -> Result<Answer<'_>, Error> {
        if let Some(s) = SURGERY_ITEMS.iter().find(|s| s.id == item) {
            return self.surgery(s, query);
        }
        let lookup = self
            .items
            .get(item)
            .ok_or_else(|| Error::UnknownItem(item.to_string()))?;
        if query.site.is_some() || query.year.is_some() {
            return Err(Error::Invalid {
                param: if query.site.is_some() { "site" } else { "year" },
                message: format!(
                    "site and year select surgery codes only; {item} has one list for every site and year"
                ),
            });
        }
        let (total, hits) = search::run(&lookup.entries, lookup.index.as_ref(), query);
        Ok(Answer {
            source: lookup.source,
            total,
            table: None,
            hits: hits
                .into_iter()
                .map(|(entry, matched)| Hit {
                    entry,
                    matched,
                    valid_from: None,
                    valid_to: None,
                })
                .collect(),
        })
    }

    fn surgery(&self, item: &SurgeryItem, query: &Query) -> Result<Answer<'_>, Error> {
        let site_text = query.site.ok_or_else(|| Error::Invalid {
            param: "site",
            message: format!(
                "surgery codes depend on the primary site: give site (e.g. site=C504) for {}",
                item.id
            ),
        })?;
        let site = search::parse_site(site_text).ok_or_else(|| Error::Invalid {
            param: "site",
            message: format!("{site_text:?} is not an ICD-O-3 topography code such as C504"),
        })?;
        let last_year = item.to.unwrap_or(u16::MAX);
        let year = query
            .year
            .unwrap_or_else(|| item.to.unwrap_or_else(|| self.latest_edition()));
        if year < item.from || year > last_year {
            let range = match item.to {
                Some(to) => format!("{}-{to}", item.from),
                None => format!("{} and later", item.from),
            };
            let other = if item.to.is_some() {
                "use the 2023 item (e.g. rxSummSurgPrimSite2023)"
            } else {
                "use the 03-2022 item (e.g. rxSummSurgPrimSite)"
            };
            return Err(Error::Invalid {
                param: "year",
                message: format!(
                    "{} is coded for diagnoses of {range}, not {year}: {other}",
                    item.id
                ),
            });
        }
        let index = self
            .surgery
            .iter()
            .rposition(|e| e.year <= year)
            .ok_or_else(|| Error::Invalid {
                param: "year",
                message: format!("no surgery table edition covers {year}"),
            })?;
        let edition = &self.surgery[index];
        let table = table_for(edition, site).ok_or_else(|| Error::Invalid {
            param: "site",
            message: format!(
                "no surgery table of the {} edition covers {site_text}",
                edition.year
            ),
        })?;
        let (total, hits) = search::run(&table.entries, None, query);
        // Years a code is valid: the editions of the item's years whose table for the site has it.
        let in_item = |e: &&SurgeryEdition| e.year >= item.from && e.year <= last_year;
        let hits = hits
            .into_iter()
            .map(|(entry, matched)| {
                let mut from = None;
                let mut to = None;
                for (i, e) in self.surgery.iter().enumerate().filter(|(_, e)| in_item(e)) {
                    let has = table_for(e, site)
                        .is_some_and(|t| t.entries.iter().any(|x| x.code == entry.code));
                    if has {
                        from = from.or(Some(e.year));
                        to = match self.surgery.get(i + 1) {
                            Some(next) if next.year <= last_year => Some(next.year - 1),
                            _ => item.to,
                        };
                    }
                }
                Hit {
                    entry,
                    matched,
                    valid_from: from,
                    valid_to: to,
                }
            })
            .collect();
        Ok(Answer {
            source: SURGERY_SOURCE,
            total,
            table: Some((edition.year, table.title.as_str())),
            hits,
        })
    }

    fn latest_edition(&self) -> u16 {
        self.surgery.last().map_or(0, |e| e.year)
    }
}

fn table_for(edition: &SurgeryEdition, site: u16) -> Option<&SurgeryTable> {
    edition
        .tables
        .iter()
        .find(|t| t.sites.iter().any(|(lo, hi)| *lo <= site && site <= *hi))
}

#[cfg(test)]
mod tests;
