//! Table-cell parsing and value matching.
//!
//! The reference library stores every INPUT cell as a list of ranges and decides at match time whether a
//! range is compared as numbers or as strings. Here that decision is made once at load time for every
//! range whose bounds are literals, so the hot path is mostly plain string equality; only ranges whose
//! bounds are `{{key}}` references are resolved per evaluation.

use super::hash::FxBuild;
use std::collections::HashSet;

/// Index of an interned context key within one algorithm.
pub(crate) type KeyId = u32;

/// Java `String.trim()`: strips every char up to and including U+0020 from both ends.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Apache Commons `NumberUtils.isParsable`, which the reference uses to decide whether a range is numeric:
/// an optional leading `-`, then digits with at most one `.`, not ending in `.`.
pub(crate) fn is_parsable(s: &str) -> bool {
    if s.is_empty() || s.ends_with('.') {
        return false;
    }
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    let mut dots = 0;
    for b in body.bytes() {
        match b {
            b'0'..=b'9' => {}
            b'.' => {
                dots += 1;
                if dots > 1 {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// The value of a string that `is_parsable` accepted, as the 32-bit float the reference compares with.
fn parse_f32(s: &str) -> Option<f32> {
    // Codes are mostly short digit strings; below 2^24 an integer converts to f32 exactly, so this gives
    // the same float as the general parser at a fraction of the cost.
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 7 && b.iter().all(u8::is_ascii_digit) {
        let n = b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        return Some(n as f32);
    }
    if is_parsable(s) {
        s.parse::<f32>().ok()
    } else {
        None
    }
}

/// `{{key}}` as a whole string (references embedded in other text are literal in the reference).
pub(crate) fn whole_ref(s: &str) -> Option<&str> {
    if s.len() >= 4 && s.starts_with("{{") && s.ends_with("}}") {
        s.get(2..s.len() - 2)
    } else {
        None
    }
}

/// Java `String.split("-")`: a leading empty part is kept, trailing empty parts are dropped.
fn java_split_dash(piece: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = piece.split('-').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() && !piece.is_empty() {
        // Java drops *all* trailing empties, so "-" and "--" split into nothing at all.
        parts.clear();
    }
    parts
}

/// Length in UTF-16 code units, the unit Java string lengths are measured in.
pub(crate) fn u16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// Lexicographic comparison in UTF-16 code-unit order (Java `compareTo`).
fn u16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.as_bytes().cmp(b.as_bytes())
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// One bound of a range whose value is only known at evaluation time.
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    Lit(Box<str>),
    Ref(KeyId),
}

/// A precompiled range.
#[derive(Debug, Clone)]
pub(crate) enum Range {
    /// `*`
    All,
    /// Two distinct literal bounds of equal length that are not both numeric: string comparison.
    Str {
        low: Box<str>,
        high: Box<str>,
        len: usize,
    },
    /// Two distinct numeric literal bounds.
    Num { low: f32, high: f32, int_only: bool },
    /// At least one bound is a `{{key}}` reference.
    Dynamic { low: Bound, high: Bound },
}

/// A value prepared for matching against the cells of one column.
#[derive(Clone, Copy)]
pub(crate) struct Probe<'a> {
    pub(crate) s: &'a str,
    num: Option<f32>,
    has_dot: bool,
    ascii: bool,
    u16_len: usize,
}

impl<'a> Probe<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        let mut p = Probe::plain(s);
        p.num = parse_f32(s);
        p.has_dot = s.contains('.');
        p
    }
    /// Skips the numeric parse for columns that have no numeric range.
    pub(crate) fn plain(s: &'a str) -> Self {
        let ascii = s.is_ascii();
        Probe {
            s,
            num: None,
            has_dot: false,
            ascii,
            u16_len: if ascii { s.len() } else { u16_len(s) },
        }
    }
}

/// Equality for the short codes tables hold; avoids a `memcmp` call per comparison.
#[inline]
fn eq_bytes(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Full reference semantics for a range with arbitrary (already translated) bounds.
pub(crate) fn range_contains_dynamic(low: &str, high: &str, v: &str) -> bool {
    if low != high && is_parsable(low) && is_parsable(high) {
        let Some(val) = parse_f32(v) else {
            return false;
        };
        if !low.contains('.') && !high.contains('.') && v.contains('.') {
            return false;
        }
        match (low.parse::<f32>(), high.parse::<f32>()) {
            (Ok(l), Ok(h)) => l <= val && val <= h,
            _ => false,
        }
    } else {
        let n = u16_len(v);
        u16_len(low) == n
            && u16_len(high) == n
            && u16_cmp(low, v) != std::cmp::Ordering::Greater
            && u16_cmp(v, high) != std::cmp::Ordering::Greater
    }
}

impl Range {
    fn contains<'r>(&self, p: &Probe<'_>, resolve: &dyn Fn(KeyId) -> &'r str) -> bool {
        match self {
            Range::All => true,
            Range::Str { low, high, len } => {
                p.u16_len == *len
                    && if p.ascii && low.is_ascii() && high.is_ascii() {
                        low.as_bytes() <= p.s.as_bytes() && p.s.as_bytes() <= high.as_bytes()
                    } else {
                        u16_cmp(low, p.s) != std::cmp::Ordering::Greater
                            && u16_cmp(p.s, high) != std::cmp::Ordering::Greater
                    }
            }
            Range::Num {
                low,
                high,
                int_only,
            } => match p.num {
                Some(v) => !(*int_only && p.has_dot) && *low <= v && v <= *high,
                None => false,
            },
            Range::Dynamic { low, high } => {
                let low: &str = match low {
                    Bound::Lit(s) => s,
                    Bound::Ref(k) => resolve(*k),
                };
                let high: &str = match high {
                    Bound::Lit(s) => s,
                    Bound::Ref(k) => resolve(*k),
                };
                range_contains_dynamic(low, high, p.s)
            }
        }
    }

    fn needs_number(&self) -> bool {
        matches!(self, Range::Num { .. })
    }
}

/// Exact values of a cell; a hash set only pays off for long lists.
#[derive(Debug, Clone)]
enum Exact {
    None,
    One(Box<str>),
    Few(Vec<Box<str>>),
    // Boxed so that the common one-value cells stay small; there are hundreds of thousands of cells.
    #[allow(clippy::box_collection)]
    Many(Box<HashSet<Box<str>, FxBuild>>),
}

/// A parsed INPUT cell: the value matches if any of its ranges contains it.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    exact: Exact,
    ranges: Box<[Range]>,
    /// A cell without any range is no condition (only reachable for JSON null cells).
    no_condition: bool,
}

/// A piece of a cell before compilation, kept so the loader can enumerate codes (site/histology sets).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    All,
    Single(String),
    Pair(String, String),
}

/// Splits a cell into pieces exactly as the reference range parser does (§4.1 of ENGINE.md).
pub(crate) fn parse_pieces(cell: &str) -> Vec<Piece> {
    if cell == "*" {
        return vec![Piece::All];
    }
    let mut out = Vec::new();
    for piece in cell.split(',') {
        let parts = java_split_dash(piece);
        if parts.len() == 2 {
            let low = java_trim(parts[0]);
            let high = java_trim(parts[1]);
            let is_range = u16_len(low) == u16_len(high)
                || (is_parsable(low) && is_parsable(high))
                || whole_ref(low).is_some()
                || whole_ref(high).is_some();
            if is_range {
                out.push(Piece::Pair(low.to_string(), high.to_string()));
                continue;
            }
        }
        out.push(Piece::Single(java_trim(piece).to_string()));
    }
    out
}

impl Cell {
    /// Compiles a cell; `intern` maps a referenced key name to its id.
    pub(crate) fn compile(cell: &str, intern: &mut dyn FnMut(&str) -> KeyId) -> Cell {
        let mut exact: Vec<Box<str>> = Vec::new();
        let mut ranges = Vec::new();
        let pieces = parse_pieces(cell);
        let no_condition = pieces.is_empty();
        for piece in pieces {
            match piece {
                Piece::All => ranges.push(Range::All),
                Piece::Single(s) => {
                    // A whole-string reference as a single value is a range with two equal ref bounds.
                    if let Some(k) = whole_ref(&s) {
                        let id = intern(k);
                        ranges.push(Range::Dynamic {
                            low: Bound::Ref(id),
                            high: Bound::Ref(id),
                        });
                    } else {
                        exact.push(s.into_boxed_str());
                    }
                }
                Piece::Pair(low, high) => {
                    let lref = whole_ref(&low).map(&mut *intern);
                    let href = whole_ref(&high).map(&mut *intern);
                    if lref.is_some() || href.is_some() {
                        ranges.push(Range::Dynamic {
                            low: lref.map_or_else(|| Bound::Lit(low.clone().into()), Bound::Ref),
                            high: href.map_or_else(|| Bound::Lit(high.clone().into()), Bound::Ref),
                        });
                    } else if low == high {
                        exact.push(low.into_boxed_str());
                    } else if is_parsable(&low) && is_parsable(&high) {
                        match (low.parse::<f32>(), high.parse::<f32>()) {
                            (Ok(l), Ok(h)) => ranges.push(Range::Num {
                                low: l,
                                high: h,
                                int_only: !low.contains('.') && !high.contains('.'),
                            }),
                            _ => ranges.push(Range::Dynamic {
                                low: Bound::Lit(low.into()),
                                high: Bound::Lit(high.into()),
                            }),
                        }
                    } else if u16_len(&low) == u16_len(&high) {
                        let len = u16_len(&low);
                        ranges.push(Range::Str {
                            low: low.into(),
                            high: high.into(),
                            len,
                        });
                    } else {
                        // Unequal widths on the string branch never match anything.
                        ranges.push(Range::Dynamic {
                            low: Bound::Lit(low.into()),
                            high: Bound::Lit(high.into()),
                        });
                    }
                }
            }
        }
        exact.sort();
        exact.dedup();
        let exact = match exact.len() {
            0 => Exact::None,
            1 => Exact::One(exact.remove(0)),
            2..=8 => Exact::Few(exact),
            _ => Exact::Many(Box::new(exact.into_iter().collect())),
        };
        Cell {
            exact,
            ranges: ranges.into_boxed_slice(),
            no_condition,
        }
    }

    /// A JSON null cell: the reference parses it into no ranges, which constrains nothing.
    pub(crate) fn no_condition() -> Cell {
        Cell {
            exact: Exact::None,
            ranges: Box::new([]),
            no_condition: true,
        }
    }

    pub(crate) fn needs_number(&self) -> bool {
        self.ranges.iter().any(Range::needs_number)
    }

    pub(crate) fn has_dynamic(&self) -> bool {
        self.ranges
            .iter()
            .any(|r| matches!(r, Range::Dynamic { .. }))
    }

    /// The single exact value this cell accepts, if that is all it accepts (used for row indexing).
    pub(crate) fn only_exact(&self) -> Option<Vec<&str>> {
        if !self.ranges.is_empty() || self.no_condition {
            return None;
        }
        match &self.exact {
            Exact::None => None,
            Exact::One(s) => Some(vec![&**s]),
            Exact::Few(v) => Some(v.iter().map(|s| &**s).collect()),
            Exact::Many(set) => Some(set.iter().map(|s| &**s).collect()),
        }
    }

    pub(crate) fn contains<'r>(&self, p: &Probe<'_>, resolve: &dyn Fn(KeyId) -> &'r str) -> bool {
        if self.no_condition {
            return true;
        }
        let hit = match &self.exact {
            Exact::None => false,
            Exact::One(s) => eq_bytes(s, p.s),
            Exact::Few(v) => v.iter().any(|s| eq_bytes(s, p.s)),
            Exact::Many(set) => set.contains(p.s),
        };
        hit || self.ranges.iter().any(|r| r.contains(p, resolve))
    }
}

/// The union of several cells of one column: whether *some* row accepts a value, without caring which.
/// Validation and inclusion checks only ask that, and one hash probe beats scanning every row.
#[derive(Debug, Clone)]
pub(crate) struct AnyOf {
    exact: HashSet<Box<str>, FxBuild>,
    ranges: Box<[Range]>,
    always: bool,
    needs_number: bool,
}

impl AnyOf {
    pub(crate) fn from_cells<'c>(cells: impl Iterator<Item = &'c Cell>) -> AnyOf {
        let mut exact: HashSet<Box<str>, FxBuild> = HashSet::default();
        let mut ranges = Vec::new();
        let mut always = false;
        for c in cells {
            always |= c.no_condition;
            match &c.exact {
                Exact::None => {}
                Exact::One(s) => {
                    exact.insert(s.clone());
                }
                Exact::Few(v) => exact.extend(v.iter().cloned()),
                Exact::Many(set) => exact.extend(set.iter().cloned()),
            }
            for r in c.ranges.iter() {
                always |= matches!(r, Range::All);
                ranges.push(r.clone());
            }
        }
        let needs_number = ranges.iter().any(Range::needs_number);
        AnyOf {
            exact,
            ranges: ranges.into_boxed_slice(),
            always,
            needs_number,
        }
    }

    pub(crate) fn contains<'r>(&self, v: &str, resolve: &dyn Fn(KeyId) -> &'r str) -> bool {
        if self.always || self.exact.contains(v) {
            return true;
        }
        if self.ranges.is_empty() {
            return false;
        }
        let p = if self.needs_number {
            Probe::new(v)
        } else {
            Probe::plain(v)
        };
        self.ranges.iter().any(|r| r.contains(&p, resolve))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> Cell {
        let mut keys: Vec<String> = Vec::new();
        Cell::compile(s, &mut |k| {
            keys.push(k.to_string());
            (keys.len() - 1) as KeyId
        })
    }

    fn hit(c: &str, v: &str) -> bool {
        cell(c).contains(&Probe::new(v), &|_| "")
    }

    #[test]
    fn numeric_ranges_ignore_width() {
        for (v, want) in [
            ("099", false),
            ("100", true),
            ("102", true),
            ("103", true),
            ("104", false),
        ] {
            assert_eq!(hit("100-103", v), want, "{v}");
        }
        assert!(!hit("020500-999999", "1"));
        assert!(hit("99-999", "150"));
        assert!(!hit("999-99", "150"));
        assert!(hit("002-988", "2"));
        assert!(hit("002-988", "0495"));
        assert!(hit("000-120", "-0"));
    }

    #[test]
    fn decimals_only_when_a_bound_has_a_dot() {
        assert!(!hit("001-999", "10.5"));
        assert!(hit("001-999", "10"));
        assert!(hit("001.1-999", "10.5"));
        assert!(hit("001-999.99", "10.5"));
        for (v, want) in [
            ("0.0", false),
            ("100000", false),
            ("0.1", true),
            ("500.1", true),
            ("1000", true),
        ] {
            assert_eq!(hit("0.1-99999.9", v), want, "{v}");
        }
        // f32 rounding, as the reference: 99999.901 rounds onto the bound.
        assert!(hit("0.1-99999.9", "99999.901"));
        assert!(!hit("1.0-999.999", "0.1"));
        assert!(hit("1.0-999.999", "1.000001"));
        assert!(!hit("1.0-999.999", "999.9991"));
    }

    #[test]
    fn string_ranges_need_equal_length() {
        assert!(!hit("AA-AAA", "AAA"));
        assert!(hit("C180-C189", "C185"));
        assert!(!hit("C180-C189", "C18"));
        assert!(!hit("999", "0999"));
        assert!(!hit("5", "05"));
    }

    #[test]
    fn dash_heuristic_keeps_codes_literal() {
        assert_eq!(
            parse_pieces("p0I-"),
            vec![Piece::Single("p0I-".to_string())]
        );
        assert_eq!(
            parse_pieces("N0(mol-)"),
            vec![Piece::Single("N0(mol-)".to_string())]
        );
        assert!(hit("N0(i-),N0(mol-)", "N0(mol-)"));
        assert!(hit("0I-", "0I-"));
        assert_eq!(
            parse_pieces("1-2-3"),
            vec![Piece::Single("1-2-3".to_string())]
        );
    }

    #[test]
    fn blanks_and_wildcards() {
        assert!(hit("", ""));
        assert!(!hit("", "099"));
        assert!(hit("*", ""));
        assert!(hit("*", "x"));
        assert!(hit("A,", ""));
        assert!(hit(",4,7", ""));
        assert!(hit(",4,7", "7"));
        assert!(!hit(" *", "x"));
    }

    #[test]
    fn reference_bounds() {
        let c = cell("2000-{{current_year}}");
        let with = |y: &'static str| move |_k: KeyId| y;
        assert!(!c.contains(&Probe::new("2004"), &with("")));
        assert!(!c.contains(&Probe::new("2004"), &with("X")));
        assert!(c.contains(&Probe::new("2004"), &with("XXXX")));
        assert!(!c.contains(&Probe::new("2004"), &with("1990")));
        assert!(c.contains(&Probe::new("2004"), &with("2015")));
        assert!(!c.contains(&Probe::new("2020"), &with("2015")));
    }

    #[test]
    fn parsable_matches_commons_lang() {
        for s in [".5", "-.5", "007", "-1", "0"] {
            assert!(is_parsable(s), "{s}");
        }
        for s in ["+1", "1e3", "1.", "1,0", "", "-", ".", "1.2.3"] {
            assert!(!is_parsable(s), "{s}");
        }
    }

    #[test]
    fn java_split_semantics() {
        assert_eq!(java_split_dash("-5"), vec!["", "5"]);
        assert_eq!(java_split_dash("p0I-"), vec!["p0I"]);
        assert_eq!(java_split_dash("a--"), vec!["a"]);
        assert!(java_split_dash("-").is_empty());
    }
}
