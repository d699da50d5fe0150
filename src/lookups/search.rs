//! Matching a query against codes, labels, synonyms and groups.

use super::Entry;

/// What to look for.
#[derive(Debug, Default, Clone)]
pub struct Query<'a> {
    /// A code (or its start) or words of a label; every word must start a word of one term.
    pub q: Option<&'a str>,
    /// Primary site, for surgery items.
    pub site: Option<&'a str>,
    /// Diagnosis year, for surgery items.
    pub year: Option<u16>,
    /// Most codes to return.
    pub limit: usize,
}

/// `" word word"`: the lower-case alphanumeric words of a text, each after a space.
pub(super) fn word_key(text: &str) -> Box<str> {
    let mut out = String::with_capacity(text.len() + 1);
    for word in words(text) {
        out.push(' ');
        out.push_str(&word);
    }
    out.into()
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// A code without separators, upper case: `C50.4` and `c504` -> `C504`, `8500/3` -> `85003`.
pub(super) fn code_key(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `C504` or `C50.4` -> 504.
pub(super) fn parse_site(s: &str) -> Option<u16> {
    let key = code_key(s);
    let digits = key.strip_prefix('C')?;
    if digits.len() != 3 {
        return None;
    }
    digits.parse().ok()
}

/// How well an entry matches: lower is better.
#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Rank {
    ExactCode,
    CodePrefix,
    Label,
    Other,
}

/// The matching entries, best first and then in list order, cut to the limit; with the total
/// number that matched.
pub(super) fn run<'e>(
    entries: &'e [Entry],
    query: &Query,
) -> (usize, Vec<(&'e Entry, Option<&'e str>)>) {
    let text = query.q.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        let hits = entries
            .iter()
            .take(query.limit)
            .map(|e| (e, None))
            .collect();
        return (entries.len(), hits);
    }
    // A single token may be a code; one with a digit is taken as a code only (labels mention
    // other codes: "8500" is not a search for terms that cite it).
    let single = text.split_whitespace().count() == 1;
    let code = if single {
        code_key(text)
    } else {
        String::new()
    };
    let needles: Vec<String> = if single && text.chars().any(|c| c.is_ascii_digit()) {
        Vec::new()
    } else {
        words(text).map(|w| format!(" {w}")).collect()
    };
    // The words as typed, in order: a term holding them as a phrase is the better match.
    let phrase: String = needles.concat();
    let mut found: Vec<(Rank, usize, &'e Entry, Option<&'e str>)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if !code.is_empty() && *entry.code_key == *code {
            found.push((Rank::ExactCode, i, entry, None));
            continue;
        }
        if !code.is_empty() && entry.code_key.starts_with(code.as_str()) {
            found.push((Rank::CodePrefix, i, entry, None));
            continue;
        }
        if needles.is_empty() {
            continue;
        }
        let matches = |key: &str| needles.iter().all(|n| key.contains(n.as_str()));
        let term = match entry.word_keys.iter().position(|k| matches(k)) {
            Some(0) => Some(0),
            Some(first) if needles.len() > 1 => Some(
                entry
                    .word_keys
                    .iter()
                    .position(|k| k.starts_with(phrase.as_str()))
                    .or_else(|| {
                        entry
                            .word_keys
                            .iter()
                            .position(|k| k.contains(phrase.as_str()))
                    })
                    .unwrap_or(first),
            ),
            other => other,
        };
        match term {
            Some(0) => found.push((Rank::Label, i, entry, None)),
            Some(t) => {
                let matched = entry
                    .synonyms
                    .get(t - 1)
                    .map(|s| &**s)
                    .or(entry.group.as_deref());
                found.push((Rank::Other, i, entry, matched));
            }
            None => {}
        }
    }
    found.sort_by_key(|(rank, i, _, _)| (*rank, *i));
    let total = found.len();
    let hits = found
        .into_iter()
        .take(query.limit)
        .map(|(_, _, e, m)| (e, m))
        .collect();
    (total, hits)
}
