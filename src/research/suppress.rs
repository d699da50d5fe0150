//! Small-cell suppression of published cross-tabulations.
//!
//! Input: the cells of a cross-tabulation (one count per combination of group keys such as site
//! recode, year of diagnosis, sex, stage, age group). Combinations not listed are zero.
//! Duplicate combinations are added together.
//!
//! What is returned: every input cell, and every marginal total: for each non-empty set of
//! dimensions, the sums over those dimensions (`None` in the key = "all values"), down to the
//! grand total. A shown total is the true sum of the cells under it, hidden ones included, so
//! totals are consistent with the cells; a total is itself hidden when it is small or when it
//! would reveal a hidden cell.
//!
//! Rules:
//! * **Primary**: counts from 1 to `threshold - 1` are hidden (default 16: 1..15). Zero is
//!   shown: it describes nobody, and hiding zeros would not protect anyone.
//! * **Complementary**: each 1-D slice (all keys fixed but one, the free one running over its
//!   values) plus the slice's total is an equation `cell + cell + ... = total`. Until nothing
//!   changes: when exactly one member of a slice is hidden, the smallest other non-zero shown
//!   member is hidden too (ties: the earlier cell); when no such member exists, the slice total
//!   is hidden; when the slice total is hidden and no member is, the smallest non-zero member
//!   is hidden. And when a slice's total is shown, the hidden members' sum (total minus shown
//!   members, which anyone can compute) must not be a small count: while it is, the smallest
//!   non-zero shown member is hidden too (the total when none is left). Each step hides one
//!   more entry, so this ends.
//!
//! Guarantee (checked by the property test): no shown count lies in `1..threshold`; no slice
//! equation has exactly one hidden entry; no slice has exactly one hidden member unless every
//! other member is zero, in which case its total is hidden; the hidden members of a slice whose
//! total is shown sum to at least the threshold.
//!
//! Limit: this is the classical row/column rule. It stops recovery of a hidden value from a single
//! total, not every inference from several equations together (bounds from linear programming
//! over the whole table can sometimes narrow a hidden cell); tables for publication should also
//! be reviewed by the registry's disclosure policy.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;

use super::Error;

/// The usual NAACCR/CDC publication threshold: counts below 16 are hidden.
pub const DEFAULT_THRESHOLD: u64 = 16;

/// At most this many dimensions: every subset of them gets marginal totals (2^d of them).
pub const MAX_DIMENSIONS: usize = 8;

/// One cell of the input table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// One key per dimension, in the table's dimension order.
    pub keys: Vec<String>,
    pub count: u64,
}

/// One published row: a cell or a marginal total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// One key per dimension; `None` = summed over that dimension (a total).
    pub keys: Vec<Option<String>>,
    /// `None` when suppressed.
    pub count: Option<u64>,
    pub suppressed: bool,
}

/// The publishable table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedTable {
    pub dimensions: Vec<String>,
    pub threshold: u64,
    /// The input cells (duplicates merged), in order of first appearance of each key.
    pub cells: Vec<Row>,
    /// Every marginal total, the grand total (all keys `None`) last.
    pub totals: Vec<Row>,
}

const TOTAL: u32 = u32::MAX;

struct Entry {
    keys: Vec<u32>,
    count: u64,
    suppressed: bool,
    /// Equations this entry appears in (as member or as total).
    equations: Vec<usize>,
}

struct Equation {
    total: usize,
    members: Vec<usize>,
}

/// Applies primary and complementary suppression; see the module documentation.
pub fn suppress(
    dimensions: &[String],
    cells: &[Cell],
    threshold: u64,
) -> Result<SuppressedTable, Error> {
    let d = dimensions.len();
    if d == 0 || d > MAX_DIMENSIONS {
        return Err(Error::Table(format!(
            "{d} dimensions; between 1 and {MAX_DIMENSIONS} are supported"
        )));
    }

    // Interned key values per dimension, numbered in order of first appearance.
    let mut values: Vec<Vec<String>> = vec![Vec::new(); d];
    let mut lookup: Vec<HashMap<String, u32>> = vec![HashMap::new(); d];
    let mut base: BTreeMap<Vec<u32>, u64> = BTreeMap::new();
    for (n, cell) in cells.iter().enumerate() {
        if cell.keys.len() != d {
            return Err(Error::Table(format!(
                "cell {n} has {} keys for {d} dimensions",
                cell.keys.len()
            )));
        }
        let mut keys = Vec::with_capacity(d);
        for (j, k) in cell.keys.iter().enumerate() {
            let next = u32::try_from(values[j].len())
                .ok()
                .filter(|&v| v != TOTAL)
                .ok_or_else(|| Error::Table("too many distinct keys".into()))?;
            let id = *lookup[j].entry(k.clone()).or_insert_with(|| {
                values[j].push(k.clone());
                next
            });
            keys.push(id);
        }
        let slot = base.entry(keys).or_insert(0);
        *slot = slot
            .checked_add(cell.count)
            .ok_or_else(|| Error::Table("count overflow".into()))?;
    }

    // Marginal totals for every non-empty subset of dimensions.
    let mut totals: BTreeMap<Vec<u32>, u64> = BTreeMap::new();
    for (keys, &count) in &base {
        for mask in 1u32..(1 << d) {
            let t: Vec<u32> = (0..d)
                .map(|j| if mask & (1 << j) != 0 { TOTAL } else { keys[j] })
                .collect();
            let slot = totals.entry(t).or_insert(0);
            *slot = slot
                .checked_add(count)
                .ok_or_else(|| Error::Table("count overflow".into()))?;
        }
    }
    if base.is_empty() {
        totals.insert(vec![TOTAL; d], 0);
    }

    let n_cells = base.len();
    let mut entries: Vec<Entry> = base
        .into_iter()
        .chain(totals)
        .map(|(keys, count)| Entry {
            keys,
            count,
            suppressed: (1..threshold).contains(&count),
            equations: Vec::new(),
        })
        .collect();
    let index: HashMap<Vec<u32>, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.keys.clone(), i))
        .collect();

    // Equation (t, j): members differ from total t only in dimension j, where they are real.
    let mut equations: Vec<Equation> = Vec::new();
    let mut eq_of: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, entry) in entries.iter_mut().enumerate() {
        for j in 0..d {
            if entry.keys[j] == TOTAL {
                continue;
            }
            let mut t_keys = entry.keys.clone();
            t_keys[j] = TOTAL;
            let Some(&t) = index.get(&t_keys) else {
                continue;
            };
            let eq = *eq_of.entry((t, j)).or_insert_with(|| {
                equations.push(Equation {
                    total: t,
                    members: Vec::new(),
                });
                equations.len() - 1
            });
            equations[eq].members.push(i);
            entry.equations.push(eq);
        }
    }
    for (eq, e) in equations.iter().enumerate() {
        entries[e.total].equations.push(eq);
    }

    let mut queue: VecDeque<usize> = (0..equations.len()).collect();
    let mut queued = vec![true; equations.len()];
    while let Some(eq) = queue.pop_front() {
        queued[eq] = false;
        let Equation { total, members } = &equations[eq];
        let hidden_members = members.iter().filter(|&&m| entries[m].suppressed).count();
        let total_hidden = entries[*total].suppressed;
        let smallest_shown = members
            .iter()
            .copied()
            .filter(|&m| !entries[m].suppressed && entries[m].count > 0)
            .min_by_key(|&m| (entries[m].count, m));
        // What a reader learns from a shown total: the sum of its hidden members.
        let hidden_sum: u64 = members
            .iter()
            .filter(|&&m| entries[m].suppressed)
            .map(|&m| entries[m].count)
            .sum();
        let hide = match (hidden_members, total_hidden, smallest_shown) {
            (1, _, Some(m)) => Some(m),
            (1, false, None) => Some(*total),
            (0, true, Some(m)) => Some(m),
            (2.., false, next) if (1..threshold).contains(&hidden_sum) => next.or(Some(*total)),
            _ => None,
        };
        if let Some(x) = hide {
            entries[x].suppressed = true;
            for &other in &entries[x].equations {
                if !queued[other] {
                    queued[other] = true;
                    queue.push_back(other);
                }
            }
        }
    }

    let row = |e: &Entry| Row {
        keys: e
            .keys
            .iter()
            .enumerate()
            .map(|(j, &k)| (k != TOTAL).then(|| values[j][k as usize].clone()))
            .collect(),
        count: (!e.suppressed).then_some(e.count),
        suppressed: e.suppressed,
    };
    Ok(SuppressedTable {
        dimensions: dimensions.to_vec(),
        threshold,
        cells: entries[..n_cells].iter().map(row).collect(),
        totals: entries[n_cells..].iter().map(row).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[(&str, &str, u64)]) -> Vec<Cell> {
        rows.iter()
            .map(|(a, b, n)| Cell {
                keys: vec![a.to_string(), b.to_string()],
                count: *n,
            })
            .collect()
    }

    fn dims() -> Vec<String> {
        vec!["site".into(), "sex".into()]
    }

    fn count(t: &SuppressedTable, a: Option<&str>, b: Option<&str>) -> Option<u64> {
        let want = vec![a.map(String::from), b.map(String::from)];
        t.cells
            .iter()
            .chain(&t.totals)
            .find(|r| r.keys == want)
            .and_then(|r| r.count)
    }

    #[test]
    fn two_by_two_with_one_small_cell_hides_a_rectangle() {
        let t = suppress(
            &dims(),
            &cells(&[
                ("lung", "M", 5),
                ("lung", "F", 40),
                ("colon", "M", 30),
                ("colon", "F", 50),
            ]),
            DEFAULT_THRESHOLD,
        )
        .unwrap();
        assert_eq!(count(&t, Some("lung"), Some("M")), None);
        assert_eq!(count(&t, Some("lung"), Some("F")), None);
        assert_eq!(count(&t, Some("colon"), Some("M")), None);
        assert_eq!(count(&t, Some("colon"), Some("F")), None);
        assert_eq!(count(&t, Some("lung"), None), Some(45));
        assert_eq!(count(&t, None, None), Some(125));
    }

    #[test]
    fn zeros_are_shown_and_a_lone_nonzero_hides_its_total() {
        let t = suppress(
            &dims(),
            &cells(&[
                ("lung", "M", 3),
                ("lung", "F", 0),
                ("colon", "M", 100),
                ("colon", "F", 90),
            ]),
            DEFAULT_THRESHOLD,
        )
        .unwrap();
        assert_eq!(count(&t, Some("lung"), Some("F")), Some(0));
        assert_eq!(count(&t, Some("lung"), None), None);
        assert_eq!(count(&t, Some("lung"), Some("M")), None);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(suppress(&[], &[], 16).is_err());
        assert!(suppress(
            &dims(),
            &[Cell {
                keys: vec!["x".into()],
                count: 1
            }],
            16
        )
        .is_err());
        let over = cells(&[("a", "b", u64::MAX), ("a", "c", 1)]);
        assert!(suppress(&dims(), &over, 16).is_err());
        let empty = suppress(&dims(), &[], 16).unwrap();
        assert_eq!(empty.totals.len(), 1);
        assert_eq!(empty.totals[0].count, Some(0));
    }
}
