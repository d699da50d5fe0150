//! The rule engine: a rule set is an ordered list of rules; each returns nothing, a final
//! result or a potential one (RULES.md 2.4). The shared rule kinds of RULES.md section 5 live here.

use super::data::{CodeMap, Data, SiteEntries};
use super::dates::{days_apart, later, years_apart, Gap, Later, PartialDate};
use super::sets::S;
use super::{Decision, MessageKind};

/// A valid tumor, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct T {
    /// Primary site as a number: `C509` → 509.
    pub site: u16,
    pub h: u16,
    pub b: u8,
    /// `h * 10 + b`: the `hhhh/b` code.
    pub icd: u32,
    /// The laterality character (`b'1'`), 0 when empty, `b'?'` for anything longer.
    pub lat: u8,
    pub date: PartialDate,
}

impl T {
    pub fn prefix(&self) -> u16 {
        self.site / 10
    }
    pub fn first3(&self) -> u16 {
        self.h / 10
    }
}

/// What a rule says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    Nothing,
    Final(Decision, MessageKind),
    Potential(Decision, MessageKind),
}

pub use Out::Nothing;

pub fn fin(d: Decision) -> Out {
    Out::Final(d, MessageKind::RuleReason)
}
pub fn fin_msg(d: Decision, m: MessageKind) -> Out {
    Out::Final(d, m)
}
pub fn pot(d: Decision, m: MessageKind) -> Out {
    Out::Potential(d, m)
}

pub const SINGLE: Decision = Decision::SinglePrimary;
pub const MULTIPLE: Decision = Decision::MultiplePrimaries;
pub const QUESTIONABLE: Decision = Decision::Questionable;

/// One rule: its id, the one-line statement given as the reason, and its test.
pub struct Rule {
    pub step: &'static str,
    pub text: &'static str,
    pub eval: fn(&Ctx) -> Out,
}

/// The two tumors being compared, with the tables.
pub struct Ctx<'a> {
    pub t1: T,
    pub t2: T,
    pub d: &'a Data,
    pub later: Later,
}

impl<'a> Ctx<'a> {
    pub fn new(t1: T, t2: T, d: &'a Data) -> Self {
        let later = later(&t1.date, &t2.date);
        Ctx { t1, t2, d, later }
    }
    pub fn days(&self, n: i64) -> Gap {
        days_apart(&self.t1.date, &self.t2.date, self.later, n)
    }
    pub fn years(&self, n: i64) -> Gap {
        years_apart(&self.t1.date, &self.t2.date, n)
    }
    /// The tumor diagnosed later, when known and not equal.
    pub fn later_tumor(&self) -> Option<&T> {
        match self.later {
            Later::First => Some(&self.t1),
            Later::Second => Some(&self.t2),
            _ => None,
        }
    }
    pub fn earlier_tumor(&self) -> Option<&T> {
        match self.later {
            Later::First => Some(&self.t2),
            Later::Second => Some(&self.t1),
            _ => None,
        }
    }

    // Set tests on histology (4-digit) and on the icd (`h/b`).
    pub fn h_in(&self, t: &T, s: S) -> bool {
        self.d.set(s).has_h(t.h)
    }
    pub fn icd_in(&self, t: &T, s: S) -> bool {
        self.d.set(s).has_icd(t.icd)
    }
    /// h or icd in the set.
    pub fn in_set(&self, t: &T, s: S) -> bool {
        let set = self.d.set(s);
        set.has_h(t.h) || set.has_icd(t.icd)
    }
    pub fn both_h(&self, s: S) -> bool {
        self.h_in(&self.t1, s) && self.h_in(&self.t2, s)
    }
    pub fn both_h2(&self, a: S, b: S) -> bool {
        (self.h_in(&self.t1, a) || self.h_in(&self.t1, b))
            && (self.h_in(&self.t2, a) || self.h_in(&self.t2, b))
    }
    pub fn both_icd(&self, s: S) -> bool {
        self.icd_in(&self.t1, s) && self.icd_in(&self.t2, s)
    }
    pub fn both_in(&self, s: S) -> bool {
        self.in_set(&self.t1, s) && self.in_set(&self.t2, s)
    }
    pub fn cross_h(&self, a: S, b: S) -> bool {
        (self.h_in(&self.t1, a) && self.h_in(&self.t2, b))
            || (self.h_in(&self.t2, a) && self.h_in(&self.t1, b))
    }
    pub fn cross_icd(&self, a: S, b: S) -> bool {
        (self.icd_in(&self.t1, a) && self.icd_in(&self.t2, b))
            || (self.icd_in(&self.t2, a) && self.icd_in(&self.t1, b))
    }
    pub fn cross_icd_code(&self, a: u32, b: S) -> bool {
        (self.t1.icd == a && self.icd_in(&self.t2, b))
            || (self.t2.icd == a && self.icd_in(&self.t1, b))
    }
    pub fn cross_h_code(&self, a: u16, b: S) -> bool {
        (self.t1.h == a && self.h_in(&self.t2, b)) || (self.t2.h == a && self.h_in(&self.t1, b))
    }
    pub fn cross_site(&self, a: &[u16], b: &[u16]) -> bool {
        (a.contains(&self.t1.site) && b.contains(&self.t2.site))
            || (a.contains(&self.t2.site) && b.contains(&self.t1.site))
    }

    pub fn same_code(&self) -> bool {
        self.t1.icd == self.t2.icd && self.t1.h != 8000 && self.t1.h != 8010
    }
    pub fn both_sites(&self, site: u16) -> bool {
        self.t1.site == site && self.t2.site == site
    }
    pub fn both_prefix(&self, p: u16) -> bool {
        self.t1.prefix() == p && self.t2.prefix() == p
    }
    pub fn both_b(&self, b: u8) -> bool {
        self.t1.b == b && self.t2.b == b
    }
    pub fn both_h_eq(&self, h: u16) -> bool {
        self.t1.h == h && self.t2.h == h
    }
    pub fn known_side(&self) -> bool {
        matches!(self.t1.lat, b'1' | b'2') && matches!(self.t2.lat, b'1' | b'2')
    }
    pub fn opposite(&self) -> bool {
        self.known_side() && self.t1.lat != self.t2.lat
    }
    pub fn same_side(&self) -> bool {
        self.known_side() && self.t1.lat == self.t2.lat
    }
    /// One in situ (/2) and one invasive (/3).
    pub fn insitu_and_invasive(&self) -> bool {
        (self.t1.b == 2 && self.t2.b == 3) || (self.t1.b == 3 && self.t2.b == 2)
    }
    /// The later tumor (known, not equal) has behavior `b`.
    pub fn later_has_b(&self, b: u8) -> bool {
        self.later_tumor().is_some_and(|t| t.b == b)
    }
    pub fn lookup(&self, m: &CodeMap) -> (Option<&'static str>, Option<&'static str>) {
        (
            m.lookup(self.t1.h, self.t1.icd),
            m.lookup(self.t2.h, self.t2.icd),
        )
    }
    /// NOT_IN_TABLE naming whichever look-up failed.
    pub fn not_in_table(&self, r1: Option<&str>, r2: Option<&str>) -> Out {
        fin_msg(QUESTIONABLE, not_in_table_kind(&self.t1, &self.t2, r1, r2))
    }
}

pub fn not_in_table_kind(t1: &T, t2: &T, r1: Option<&str>, r2: Option<&str>) -> MessageKind {
    match (r1, r2) {
        (None, None) => MessageKind::NotInTableBoth(t1.icd, t2.icd),
        (None, _) => MessageKind::NotInTable(t1.icd),
        _ => MessageKind::NotInTable(t2.icd),
    }
}

/// Neither string contains the other.
pub fn unrelated(a: &str, b: &str) -> bool {
    !a.contains(b) && !b.contains(a)
}

/// The result of running a rule set: decision, deciding step, message.
pub struct Run {
    pub decision: Decision,
    pub rule: usize,
    pub message: MessageKind,
}

/// Evaluates the rules in order, combining potential and final results (RULES.md 2.4).
pub fn run(rules: &[Rule], c: &Ctx) -> Run {
    let mut pending: Option<(Decision, MessageKind, usize)> = None;
    for (i, r) in rules.iter().enumerate() {
        match (r.eval)(c) {
            Out::Nothing => {}
            Out::Potential(p, m) => match pending {
                None => pending = Some((p, m, i)),
                Some((pd, _, _)) if pd == p => {}
                Some((_, pm, pi)) => {
                    return Run {
                        decision: QUESTIONABLE,
                        rule: pi,
                        message: pm,
                    }
                }
            },
            Out::Final(f, m) => {
                return match pending {
                    Some((pd, pm, pi)) if pd != f => Run {
                        decision: QUESTIONABLE,
                        rule: pi,
                        message: pm,
                    },
                    _ => Run {
                        decision: f,
                        rule: i,
                        message: m,
                    },
                }
            }
        }
    }
    // Every rule set ends with a rule that always decides; keep an answer regardless.
    match pending {
        Some((_, pm, pi)) => Run {
            decision: QUESTIONABLE,
            rule: pi,
            message: pm,
        },
        None => Run {
            decision: QUESTIONABLE,
            rule: rules.len().saturating_sub(1),
            message: MessageKind::RuleReason,
        },
    }
}

// ---- The shared rule kinds (RULES.md section 5) ----

use MessageKind::{NotEnoughDateInfo, UnknownDate, UnknownLatAndDate, UnknownLaterality};

pub fn site_23(c: &Ctx) -> Out {
    if c.t1.prefix() != c.t2.prefix() {
        fin(MULTIPLE)
    } else {
        Nothing
    }
}

pub fn site_exact(c: &Ctx) -> Out {
    if c.t1.site != c.t2.site {
        fin(MULTIPLE)
    } else {
        Nothing
    }
}

pub fn hist_3(c: &Ctx) -> Out {
    if c.t1.first3() != c.t2.first3() {
        fin(MULTIPLE)
    } else {
        Nothing
    }
}

pub fn years_apart_rule(c: &Ctx, n: i64) -> Out {
    match c.years(n) {
        Gap::Unknown => pot(MULTIPLE, UnknownDate),
        Gap::Apart => fin(MULTIPLE),
        Gap::Within => Nothing,
    }
}

pub fn laterality(c: &Ctx) -> Out {
    if !c.known_side() {
        pot(MULTIPLE, UnknownLaterality)
    } else if c.opposite() {
        fin(MULTIPLE)
    } else {
        Nothing
    }
}

pub fn laterality_paired(c: &Ctx, entries: &SiteEntries) -> Out {
    if entries.same_entry(c.t1.site, c.t2.site) {
        laterality(c)
    } else {
        Nothing
    }
}

pub fn laterality_at(c: &Ctx, site: u16) -> Out {
    if c.both_sites(site) {
        laterality(c)
    } else {
        Nothing
    }
}

pub fn insitu_after_invasive(c: &Ctx) -> Out {
    if !c.insitu_and_invasive() {
        return Nothing;
    }
    if c.later == Later::Unknown {
        pot(SINGLE, UnknownDate)
    } else if c.later_has_b(2) {
        fin(SINGLE)
    } else {
        Nothing
    }
}

pub fn insitu_after_invasive_same_side(c: &Ctx) -> Out {
    if c.opposite() || !c.insitu_and_invasive() {
        return Nothing;
    }
    if c.later_has_b(3) {
        return Nothing;
    }
    if !c.known_side() {
        let m = if c.later == Later::Unknown {
            UnknownLatAndDate
        } else {
            UnknownLaterality
        };
        return pot(SINGLE, m);
    }
    if c.later == Later::Unknown {
        pot(SINGLE, UnknownDate)
    } else if c.later_has_b(2) {
        fin(SINGLE)
    } else {
        Nothing
    }
}

/// Invasive within 60 days after in situ; `same_side` adds the laterality conditions.
pub fn invasive_after_insitu_le60(c: &Ctx, same_side: bool) -> Out {
    if !c.insitu_and_invasive() {
        return Nothing;
    }
    if same_side && c.opposite() {
        return Nothing;
    }
    let d = c.days(60);
    let later_is_insitu = c.later_has_b(2);
    if d == Gap::Apart || later_is_insitu {
        return Nothing;
    }
    if same_side && !c.known_side() {
        let m = if d == Gap::Unknown {
            UnknownDate
        } else {
            UnknownLaterality
        };
        return pot(SINGLE, m);
    }
    match d {
        Gap::Unknown => pot(SINGLE, UnknownDate),
        _ => fin(SINGLE),
    }
}

pub fn invasive_after_insitu_gt60(c: &Ctx) -> Out {
    if !c.insitu_and_invasive() || c.later == Later::Equal || c.later_has_b(2) {
        return Nothing;
    }
    match c.days(60) {
        Gap::Unknown => pot(MULTIPLE, NotEnoughDateInfo),
        Gap::Apart => fin(MULTIPLE),
        Gap::Within => Nothing,
    }
}

/// `x` following `y` (icd codes) is the same primary.
pub fn following(c: &Ctx, x: u32, y: u32) -> Out {
    let cross = (c.t1.icd == x && c.t2.icd == y) || (c.t1.icd == y && c.t2.icd == x);
    if !cross {
        return Nothing;
    }
    match c.later_tumor() {
        _ if c.later == Later::Unknown => pot(SINGLE, UnknownDate),
        Some(t) if t.icd == x => fin(SINGLE),
        _ => Nothing,
    }
}

pub fn same_row(c: &Ctx, m: &CodeMap, synchronous: bool) -> Out {
    let (r1, r2) = c.lookup(m);
    let same = c.same_code();
    if !same && (r1.is_none() || r2.is_none()) {
        return c.not_in_table(r1, r2);
    }
    if same || r1 == r2 {
        if !synchronous {
            return fin(SINGLE);
        }
        return match c.days(60) {
            Gap::Unknown => pot(SINGLE, UnknownDate),
            Gap::Within => fin(SINGLE),
            Gap::Apart => Nothing,
        };
    }
    Nothing
}

pub fn different_row(c: &Ctx, m: &CodeMap) -> Out {
    if c.same_code() {
        return Nothing;
    }
    let (r1, r2) = c.lookup(m);
    match (r1, r2) {
        (Some(a), Some(b)) if a != b => fin(MULTIPLE),
        (Some(_), Some(_)) => Nothing,
        _ => c.not_in_table(r1, r2),
    }
}

/// Both tumors in the set and at most 60 days apart: single primary.
pub fn synchronous_single(c: &Ctx) -> Out {
    match c.days(60) {
        Gap::Unknown => pot(SINGLE, UnknownDate),
        Gap::Within => fin(SINGLE),
        Gap::Apart => Nothing,
    }
}

pub fn kaposi(c: &Ctx) -> Out {
    if c.both_h_eq(9140) {
        fin(SINGLE)
    } else {
        Nothing
    }
}

pub fn retinoblastoma(c: &Ctx) -> Out {
    if c.both_h(S::RetinoBlastoma) {
        fin(SINGLE)
    } else {
        Nothing
    }
}

/// Both thyroid and both codes in `s`: single when synchronous.
pub fn thyroid_foll_pap(c: &Ctx, s: S) -> Out {
    if c.both_sites(739) && c.both_icd(s) {
        synchronous_single(c)
    } else {
        Nothing
    }
}

/// A NOS code of `nos` and a more specific code of it: single primary.
pub fn nos_vs_specific(c: &Ctx, nos: S) -> Out {
    let spec = |a: &T, b: &T| c.h_in(a, nos) && c.d.nos.get(&a.h).is_some_and(|set| set.has_h(b.h));
    if spec(&c.t1, &c.t2) || spec(&c.t2, &c.t1) {
        fin(SINGLE)
    } else {
        Nothing
    }
}

pub fn no_criteria(_: &Ctx) -> Out {
    fin(SINGLE)
}

pub fn noop(_: &Ctx) -> Out {
    Nothing
}
