//! Rule sets for tumors whose later diagnosis year is 2006 or earlier.

use super::dates::Gap;
use super::engine::*;
use super::sets::{SiteSetId as Z, S};
use super::MessageKind::{UnknownDate, UnknownLatAndDate, UnknownLaterality};

// ---- 2006 and earlier Benign Brain ----

fn bb_same_hist(c: &Ctx) -> bool {
    let (g1, g2) = c.lookup(&c.d.bb2004);
    match (g1, g2) {
        (Some(a), Some(b)) => a == b,
        _ => c.t1.first3() == c.t2.first3(),
    }
}

fn bb_same_site(c: &Ctx) -> bool {
    c.t1.prefix() == c.t2.prefix()
}

pub static BENIGN_BRAIN_2004: &[Rule] = &[
    Rule {
        step: "M1",
        text: "The same histology recurring in the same site and on the same side is a single primary.",
        eval: |c| {
            if bb_same_site(c) && bb_same_hist(c) && c.known_side() && c.t1.lat == c.t2.lat {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M2",
        text: "The same histology in the same site with the side unknown is a single primary.",
        eval: |c| {
            if bb_same_site(c) && bb_same_hist(c) && !c.known_side() {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M3",
        text: "The same histology in different CNS sites is multiple primaries.",
        eval: |c| {
            if !bb_same_site(c) && bb_same_hist(c) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text: "The same histology on both sides is multiple primaries.",
        eval: |c| {
            if bb_same_hist(c) && c.opposite() {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M5",
        text: "Different histologies are multiple primaries; otherwise a single primary.",
        eval: |c| fin(if bb_same_hist(c) { SINGLE } else { MULTIPLE }),
    },
];

// ---- 2006 and earlier Solid Malignant ----

fn same_site(c: &Ctx) -> bool {
    let (s1, s2) = (c.t1.site, c.t2.site);
    if s1 == s2 {
        return true;
    }
    if c.t1.prefix() == c.t2.prefix() && !c.d.sites(Z::ExactMatchSites).any_has(s1) {
        return true;
    }
    Z::SAME_SITE_2004.iter().any(|z| {
        let e = c.d.sites(*z);
        e.any_has(s1) && e.any_has(s2)
    })
}

fn same_hist(c: &Ctx) -> bool {
    c.t1.first3() == c.t2.first3() && !c.cross_h(S::SmallCellCarcinoma, S::NonSmallCellCarcinoma)
}

fn paired(c: &Ctx) -> bool {
    let p = c.d.sites(Z::AllPairedSites);
    p.any_has(c.t1.site) && p.any_has(c.t2.site)
}

fn exception_single(c: &Ctx) -> bool {
    c.cross_h(S::CarcinomaNos, S::CarcinomaSpecific)
        || c.cross_h(S::AdenocarcinomaNos, S::AdenocarcinomaSpecific)
        || c.cross_h(S::MelanomaNos, S::MelanomaSpecific)
        || c.cross_h(S::SarcomaNos, S::SarcomaSpecific)
        || ((c.t1.prefix() == 18 || c.t1.site == 209)
            && (c.t2.prefix() == 18 || c.t2.site == 209)
            && c.both_h_eq(8220))
        || (c.both_sites(739) && c.both_icd(S::R2004ThyroidFollicularPapillary))
        || (c.both_prefix(67) && c.both_h(S::R2004Bladder))
        || (c.both_prefix(50)
            && (c.both_h(S::R2004BreastDuctLobular) || c.both_h(S::R2004BreastPagetDuct)))
}

fn exception_m4(c: &Ctx) -> bool {
    c.both_sites(569) || c.both_h(S::RetinoBlastoma) || c.both_h_eq(8960)
}

fn lat_message(d: Gap) -> super::MessageKind {
    if d == Gap::Unknown {
        UnknownLatAndDate
    } else {
        UnknownLaterality
    }
}

/// Synchronous lesions in one site (M3 and M6): `r` when within 60 days.
fn synchronous_same_site(c: &Ctx, d: Gap, r: super::Decision) -> Out {
    if paired(c) {
        if c.opposite() {
            return Nothing;
        }
        if !c.known_side() {
            return pot(r, lat_message(d));
        }
    }
    match d {
        Gap::Unknown => pot(r, UnknownDate),
        Gap::Within => fin(r),
        Gap::Apart => Nothing,
    }
}

pub static SOLID_MALIGNANT_2004: &[Rule] = &[
    Rule {
        step: "M1",
        text: "A single lesion with one histology is a single primary.",
        eval: noop,
    },
    Rule {
        step: "M2",
        text: "A single lesion with several histologies is a single primary.",
        eval: noop,
    },
    Rule {
        step: "M3",
        text: "Synchronous lesions of the same histology in one site are a single primary.",
        eval: |c| {
            let d = c.days(60);
            if same_site(c) && same_hist(c) && d != Gap::Apart {
                synchronous_same_site(c, d, SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text: "Synchronous lesions of the same histology on both sides of a paired organ are multiple primaries (ovary, retinoblastoma and Wilms tumor excepted).",
        eval: |c| {
            let d = c.days(60);
            if !(same_site(c) && same_hist(c) && paired(c) && d != Gap::Apart) {
                return Nothing;
            }
            let r = if exception_m4(c) { SINGLE } else { MULTIPLE };
            if !c.known_side() {
                return pot(r, lat_message(d));
            }
            if c.opposite() {
                return match d {
                    Gap::Unknown => pot(r, UnknownDate),
                    _ => fin(r),
                };
            }
            Nothing
        },
    },
    Rule {
        step: "M5",
        text: "Metachronous lesions of the same histology in one site are multiple primaries (prostate, bladder and Kaposi sarcoma excepted).",
        eval: |c| {
            if c.both_sites(619) && c.both_b(3) && c.both_h2(S::AdenocarcinomaSpecific, S::AdenocarcinomaNos) {
                return fin(SINGLE);
            }
            if c.both_prefix(67) && c.both_b(3) && c.both_h(S::R2004BladderInvasive) {
                return fin(SINGLE);
            }
            if c.both_h_eq(9140) {
                return fin(SINGLE);
            }
            if same_site(c) && same_hist(c) {
                return match c.days(60) {
                    Gap::Unknown => pot(MULTIPLE, UnknownDate),
                    Gap::Apart => fin(MULTIPLE),
                    Gap::Within => Nothing,
                };
            }
            Nothing
        },
    },
    Rule {
        step: "M6",
        text: "Synchronous lesions of different histologies in one site are multiple primaries unless one is NOS and the other specific or a recognised mixed histology.",
        eval: |c| {
            let d = c.days(60);
            if same_site(c) && !same_hist(c) && d != Gap::Apart {
                let r = if exception_single(c) { SINGLE } else { MULTIPLE };
                synchronous_same_site(c, d, r)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M7",
        text: "Different histologies on the two sides of a paired organ are multiple primaries.",
        eval: |c| {
            let d = c.days(60);
            if !(same_site(c) && !same_hist(c) && d != Gap::Apart && paired(c)) {
                return Nothing;
            }
            if !c.known_side() {
                pot(MULTIPLE, lat_message(d))
            } else if d == Gap::Unknown {
                pot(MULTIPLE, UnknownDate)
            } else if c.opposite() {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M8",
        text: "Metachronous lesions of different histologies in one site are multiple primaries.",
        eval: |c| {
            if !same_site(c) || same_hist(c) {
                return Nothing;
            }
            match c.days(60) {
                Gap::Unknown => pot(MULTIPLE, UnknownDate),
                Gap::Apart => fin(MULTIPLE),
                Gap::Within => Nothing,
            }
        },
    },
    Rule {
        step: "M9",
        text: "Different histologies in different sites are multiple primaries.",
        eval: |c| {
            if !same_site(c) && !same_hist(c) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M10",
        text: "The same histology in different sites is multiple primaries; otherwise a single primary.",
        eval: |c| {
            fin(if !same_site(c) && same_hist(c) {
                MULTIPLE
            } else {
                SINGLE
            })
        },
    },
];
