//! SEER Site Recode (ICD-O-3 2023 revision): primary site, histology, behavior and year of
//! diagnosis -> the site group cancer statistics are published by.
//!
//! The table is SEER's file as published (`seer-site-recode/site-recode-data-2023.csv` of the
//! reference data: the embedded copy of `data/reference`, or the folder named by
//! `CANCER_REGISTRY_REFERENCE`), read at start, never rewritten as code. Its columns: `ID, Name, Indentation, Sites IN,
//! Hist IN, Hist OUT, Beh IN, DX Year Min, DX Year Max, Recode`. Rows without a recode are
//! headings. A case belongs to the first row (file order, as in SEER's and IMS's
//! implementations) whose site list holds the site, whose `Hist IN` (when given) holds the
//! histology, whose `Hist OUT` does not, whose `Beh IN` (when given) holds the behavior, and
//! whose year bounds hold the year of diagnosis. When the year is unknown the bounds are
//! ignored. No match -> `None` (SEER's "unknown/invalid"; e.g. a benign tumor outside the
//! brain/CNS group).

use std::path::Path;

use super::Error;
use crate::refdata::Source;

/// The table's path inside the reference folder.
pub const SITE_RECODE_FILE: &str = "seer-site-recode/site-recode-data-2023.csv";

/// A site group: SEER's two-digit recode and its name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SiteGroup {
    pub recode: String,
    pub name: String,
}

#[derive(Debug, Clone)]
struct Rule {
    group: SiteGroup,
    sites: Vec<(u16, u16)>,
    hist_in: Vec<(u16, u16)>,
    hist_out: Vec<(u16, u16)>,
    behaviors: Vec<u8>,
    year_min: Option<u16>,
    year_max: Option<u16>,
}

/// The loaded site recode table.
#[derive(Debug, Clone)]
pub struct SiteRecodeTable {
    rules: Vec<Rule>,
    /// Where the table was read from.
    source: String,
}

impl SiteRecodeTable {
    /// Reads [`SITE_RECODE_FILE`] from a reference folder; any malformed row is an error
    /// naming its line.
    pub fn load(dir: impl AsRef<Path>) -> Result<SiteRecodeTable, Error> {
        SiteRecodeTable::load_source(&Source::Folder(dir.as_ref().to_path_buf()))
    }

    /// Reads [`SITE_RECODE_FILE`] from the embedded reference data or a folder.
    pub fn load_source(src: &Source) -> Result<SiteRecodeTable, Error> {
        if !src.exists() {
            return Err(Error::MissingDir(src.path("")));
        }
        let path = src.path(SITE_RECODE_FILE);
        let text = src
            .read_to_string(SITE_RECODE_FILE)
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        let mut table = SiteRecodeTable::parse(&text, &path)?;
        table.source = src.describe();
        Ok(table)
    }

    /// Parses the CSV text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<SiteRecodeTable, Error> {
        let err = |line: usize, reason: String| Error::Parse {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let records = parse_csv(text).map_err(|(line, why)| err(line, why.to_string()))?;
        let mut records = records.into_iter();
        let Some((_, header)) = records.next() else {
            return Err(err(1, "empty file".into()));
        };
        const COLUMNS: [&str; 10] = [
            "ID",
            "Name",
            "Indentation",
            "Sites IN",
            "Hist IN",
            "Hist OUT",
            "Beh IN",
            "DX Year Min",
            "DX Year Max",
            "Recode",
        ];
        if header.iter().map(|s| s.trim()).ne(COLUMNS) {
            return Err(err(1, format!("unexpected header {header:?}")));
        }
        let mut rules = Vec::new();
        for (line, fields) in records {
            if fields.len() != COLUMNS.len() {
                return Err(err(line, format!("{} columns, expected 10", fields.len())));
            }
            let f = |i: usize| fields[i].trim();
            if f(9).is_empty() {
                continue; // a heading row
            }
            let ranges = |i: usize, prefix: &str| {
                parse_ranges(f(i), prefix)
                    .map_err(|why| err(line, format!("{}: {why}", COLUMNS[i])))
            };
            let year = |i: usize| -> Result<Option<u16>, Error> {
                match f(i) {
                    "" => Ok(None),
                    y => y
                        .parse()
                        .map(Some)
                        .map_err(|_| err(line, format!("{}: bad year {y:?}", COLUMNS[i]))),
                }
            };
            let behaviors = f(6)
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(|b| match b.as_bytes() {
                    [d @ b'0'..=b'9'] => Ok(d - b'0'),
                    _ => Err(err(line, format!("Beh IN: bad behavior {b:?}"))),
                })
                .collect::<Result<Vec<u8>, Error>>()?;
            let rule = Rule {
                group: SiteGroup {
                    recode: f(9).to_string(),
                    name: f(1).to_string(),
                },
                sites: ranges(3, "C")?,
                hist_in: ranges(4, "")?,
                hist_out: ranges(5, "")?,
                behaviors,
                year_min: year(7)?,
                year_max: year(8)?,
            };
            if rule.sites.is_empty() {
                return Err(err(line, "Sites IN is empty".into()));
            }
            rules.push(rule);
        }
        if rules.is_empty() {
            return Err(err(1, "no site groups".into()));
        }
        Ok(SiteRecodeTable {
            rules,
            source: path.display().to_string(),
        })
    }

    /// The number of matching rules (data rows with a recode).
    /// Where the table was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every group once, in file order (for labels and for listing the dimension's values).
    pub fn groups(&self) -> Vec<&SiteGroup> {
        let mut out: Vec<&SiteGroup> = Vec::new();
        for r in &self.rules {
            if !out.iter().any(|g| g.recode == r.group.recode) {
                out.push(&r.group);
            }
        }
        out
    }

    /// The group of a case: NAACCR `primarySite` (`C504`), `histologicTypeIcdO3` (`8500`),
    /// `behaviorCodeIcdO3` (`3`), year of diagnosis. Malformed codes or no match -> `None`.
    pub fn recode(
        &self,
        primary_site: &str,
        histology: &str,
        behavior: &str,
        dx_year: Option<u16>,
    ) -> Option<&SiteGroup> {
        let site = parse_code(primary_site.trim(), "C", 3)?;
        let hist = parse_code(histology.trim(), "", 4)?;
        let beh = match behavior.trim().as_bytes() {
            [d @ b'0'..=b'9'] => d - b'0',
            _ => return None,
        };
        let within = |ranges: &[(u16, u16)], v: u16| ranges.iter().any(|&(a, b)| a <= v && v <= b);
        self.rules
            .iter()
            .find(|r| {
                within(&r.sites, site)
                    && (r.hist_in.is_empty() || within(&r.hist_in, hist))
                    && !within(&r.hist_out, hist)
                    && (r.behaviors.is_empty() || r.behaviors.contains(&beh))
                    && dx_year.is_none_or(|y| {
                        r.year_min.is_none_or(|m| y >= m) && r.year_max.is_none_or(|m| y <= m)
                    })
            })
            .map(|r| &r.group)
    }
}

/// `C504` with prefix `C` and 3 digits -> 504.
fn parse_code(s: &str, prefix: &str, digits: usize) -> Option<u16> {
    let rest = s.strip_prefix(prefix)?;
    if rest.len() != digits || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// `C000-C006,C008` -> inclusive ranges. Empty items (the file has `,9728-9729`) are skipped.
fn parse_ranges(s: &str, prefix: &str) -> Result<Vec<(u16, u16)>, String> {
    let digits = if prefix.is_empty() { 4 } else { 3 };
    let code = |c: &str| parse_code(c.trim(), prefix, digits).ok_or(format!("bad code {c:?}"));
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (code(a)?, code(b)?);
                if a > b {
                    return Err(format!("empty range {p:?}"));
                }
                Ok((a, b))
            }
            None => code(p).map(|c| (c, c)),
        })
        .collect()
}

/// CSV records, each with the line it starts on.
type Records = Vec<(usize, Vec<String>)>;

/// RFC 4180 records with their starting line numbers. Quoted fields may hold commas, doubled
/// quotes and line breaks.
fn parse_csv(text: &str) -> Result<Records, (usize, &'static str)> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                at_field_start = false;
            }
            '"' => return Err((line, "quote inside an unquoted field")),
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    records.push((start, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                start = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if in_quotes {
        return Err((line, "unterminated quoted field"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\"ID\",\"Name\",\"Indentation\",\"Sites IN\",\"Hist IN\",\"Hist OUT\",\"Beh IN\",\"DX Year Min\",\"DX Year Max\",\"Recode\"\r\n\
\"1\",\"Head\",\"0\",,,,,,,\r\n\
\"44\",\"Breast\",\"1\",\"C500-C506,C508-C509\",,\"9050-9055,9140,9590-9993\",\"2,3\",,,\"39\"\r\n\
\"78\",\"Precursor\",\"1\",\"C000-C809\",\",9728-9729\",,\"2,3\",\"2010\",,\"67\"\r\n";

    #[test]
    fn parses_and_matches_a_sample() {
        let t = SiteRecodeTable::parse(SAMPLE, Path::new("sample")).unwrap();
        assert_eq!(t.len(), 2);
        let name = |s, h, b, y| t.recode(s, h, b, y).map(|g| g.name.as_str());
        assert_eq!(name("C504", "8500", "3", Some(2020)), Some("Breast"));
        assert_eq!(name("C504", "8500", "0", Some(2020)), None);
        assert_eq!(name("C504", "9680", "3", Some(2020)), None);
        assert_eq!(name("C420", "9728", "3", Some(2009)), None);
        assert_eq!(name("C420", "9728", "3", Some(2010)), Some("Precursor"));
        assert_eq!(name("C420", "9728", "3", None), Some("Precursor"));
        assert_eq!(name("504", "8500", "3", None), None);
        assert_eq!(name("C504", "85000", "3", None), None);
        assert_eq!(name("C504", "8500", "", None), None);
    }

    #[test]
    fn malformed_tables_are_errors() {
        let p = Path::new("x");
        assert!(SiteRecodeTable::parse("", p).is_err());
        assert!(SiteRecodeTable::parse("\"a\"\n", p).is_err());
        let bad = SAMPLE.replace("C500-C506", "C506-C500");
        assert!(SiteRecodeTable::parse(&bad, p).is_err());
        let bad = SAMPLE.replace("\"2,3\",,,\"39\"", "\"2,x\",,,\"39\"");
        assert!(SiteRecodeTable::parse(&bad, p).is_err());
        assert!(SiteRecodeTable::parse("\"ID\",\"unterminated\n", p).is_err());
    }
}
