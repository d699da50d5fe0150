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
pub(super) fn word_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for word in words(text) {
        out.push(' ');
        out.push_str(&word);
    }
    out
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

/// All the word keys of a long list in one text, so the rarest word of a query is found with
/// one SIMD substring scan instead of a scan per entry.
#[derive(Debug, Default)]
pub(super) struct WordIndex {
    text: String,
    /// Start of each entry's keys in `text`, in entry order.
    starts: Vec<usize>,
    /// Entries sorted by code key: a code or its start is a binary search.
    codes: Vec<u32>,
}

impl WordIndex {
    pub(super) fn new(entries: &[Entry]) -> WordIndex {
        let mut codes: Vec<u32> = (0..entries.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        codes.sort_by(|a, b| {
            let key = |i: &u32| &*entries[*i as usize].code_key;
            key(a).cmp(key(b)).then(a.cmp(b))
        });
        let mut index = WordIndex {
            codes,
            ..Default::default()
        };
        for e in entries {
            index.starts.push(index.text.len());
            index.text.push_str(&e.word_keys);
            // Keeps a needle from running from one entry's keys into the next.
            index.text.push('\n');
        }
        index
    }

    /// The keys of entry `i`, newline-joined as in [`Entry`].
    fn keys(&self, i: usize) -> &str {
        let start = self.starts.get(i).copied().unwrap_or(self.text.len());
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches('\n')
    }

    /// Entries whose keys hold the needle, in order, each once.
    fn candidates(&self, needle: &str) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for pos in memchr::memmem::find_iter(self.text.as_bytes(), needle.as_bytes()) {
            let entry = self.starts.partition_point(|s| *s <= pos) - 1;
            if out.last() != Some(&entry) {
                out.push(entry);
            }
        }
        out
    }

    /// Entries whose code starts with the key.
    fn code_candidates<'a>(
        &'a self,
        entries: &'a [Entry],
        key: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        let code = move |i: &u32| &*entries[*i as usize].code_key;
        let from = self.codes.partition_point(|i| code(i) < key);
        self.codes[from..]
            .iter()
            .take_while(move |i| code(i).starts_with(key))
            .map(|i| *i as usize)
    }
}

/// Lists at least this long get a [`WordIndex`].
pub(super) const INDEXED: usize = 2000;

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
    index: Option<&'e WordIndex>,
    query: &Query,
) -> (usize, Vec<(&'e Entry, Option<&'e str>)>) {
    run_with(entries, index, true, query)
}

/// [`run`] reading every entry, the index serving only as the keys' store: what the index's
/// narrowing must agree with.
#[cfg(test)]
pub(super) fn run_scanning<'e>(
    entries: &'e [Entry],
    index: Option<&'e WordIndex>,
    query: &Query,
) -> (usize, Vec<(&'e Entry, Option<&'e str>)>) {
    run_with(entries, index, false, query)
}

fn run_with<'e>(
    entries: &'e [Entry],
    index: Option<&'e WordIndex>,
    narrow: bool,
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
    // One character is a code start ("A" of ICD-10 chapter A), not a word worth matching in
    // every label.
    let needles: Vec<String> =
        if single && (text.chars().any(|c| c.is_ascii_digit()) || text.chars().count() < 2) {
            Vec::new()
        } else {
            words(text).map(|w| format!(" {w}")).collect()
        };
    // The words as typed, in order: a term holding them as a phrase is the better match.
    let phrase: String = needles.concat();
    let mut found: Vec<(Rank, usize, &'e Entry, Option<&'e str>)> = Vec::new();
    // With an index, only entries whose code starts with the token or whose keys hold the
    // longest word can match.
    let candidates: Option<Vec<usize>> = index.filter(|_| narrow).map(|index| {
        let mut c: Vec<usize> = if code.is_empty() {
            Vec::new()
        } else {
            index.code_candidates(entries, &code).collect()
        };
        if let Some(longest) = needles.iter().max_by_key(|n| n.len()) {
            c.extend(index.candidates(longest));
        }
        c.sort_unstable();
        c.dedup();
        c
    });
    let all: Box<dyn Iterator<Item = usize>> = match candidates {
        Some(c) => Box::new(c.into_iter()),
        None => Box::new(0..entries.len()),
    };
    for i in all {
        let entry = &entries[i];
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
        let keys = index.map_or(&*entry.word_keys, |index| index.keys(i));
        let matches = |key: &str| needles.iter().all(|n| key.contains(n.as_str()));
        let term = match keys.split('\n').position(matches) {
            Some(0) => Some(0),
            Some(first) if needles.len() > 1 => Some(
                keys.split('\n')
                    .position(|k| k.starts_with(phrase.as_str()))
                    .or_else(|| keys.split('\n').position(|k| k.contains(phrase.as_str())))
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
