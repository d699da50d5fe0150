//! Hematopoietic and lymphoid rules: SEER 1998 and 2001 tables, and the 2010+ rules with the
//! Heme DB same-primary and transformation pairs.

use super::dates::{same_known_parts, Gap, Later};
use super::engine::*;
use super::sets::S;
use super::MessageKind::{self, UnknownDate};

/// Histologies of the earlier and the later tumor (tumor order when the dates are equal).
fn first_second(c: &Ctx) -> (u16, u16) {
    match c.later {
        Later::Second | Later::Equal | Later::Unknown => (c.t1.h, c.t2.h),
        Later::First => (c.t2.h, c.t1.h),
    }
}

fn heme1998(c: &Ctx) -> Out {
    let single = fin_msg(SINGLE, MessageKind::Heme1998Single);
    if c.t1.h == c.t2.h {
        return single;
    }
    if c.later == Later::Unknown {
        return fin_msg(QUESTIONABLE, UnknownDate);
    }
    let (first, second) = first_second(c);
    let pair = |a: u16, b: u16| {
        c.d.heme1998
            .iter()
            .any(|(lo, hi, slo, shi)| (*lo..=*hi).contains(&a) && (*slo..=*shi).contains(&b))
    };
    if pair(first, second) || (c.later == Later::Equal && pair(second, first)) {
        single
    } else {
        fin_msg(MULTIPLE, MessageKind::Heme1998Multiple)
    }
}

fn heme2001(c: &Ctx) -> Out {
    if c.t1.h == c.t2.h {
        return fin_msg(SINGLE, MessageKind::Heme2001Single);
    }
    let group = |h: u16| {
        c.d.heme2001_groups
            .iter()
            .find(|(_, lo, hi)| (*lo..=*hi).contains(&h))
            .map(|g| g.0)
    };
    let multiple = fin_msg(MULTIPLE, MessageKind::Heme2001Multiple);
    let (Some(g1), Some(g2)) = (group(c.t1.h), group(c.t2.h)) else {
        return multiple;
    };
    if c.later == Later::Unknown {
        return fin_msg(QUESTIONABLE, UnknownDate);
    }
    let (first, second) = if c.later == Later::First {
        (g2, g1)
    } else {
        (g1, g2)
    };
    let pair = |a: u16, b: u16| c.d.heme2001_pairs.binary_search(&(a, b)).is_ok();
    if pair(first, second) || (c.later == Later::Equal && pair(second, first)) {
        fin_msg(SINGLE, MessageKind::Heme2001Single)
    } else {
        multiple
    }
}

pub static HEME_1998: &[Rule] = &[Rule {
    step: "",
    text: "SEER 1998 multiple primary rules for hematopoietic cancer.",
    eval: heme1998,
}];

pub static HEME_2001: &[Rule] = &[Rule {
    step: "",
    text: "SEER 2001 multiple primary rules for hematopoietic cancer.",
    eval: heme2001,
}];

// ---- 2010+ ----

fn transform_to(c: &Ctx, a: u32, b: u32, y: i64) -> bool {
    c.d.heme_to.matches(a, b, y)
}

fn transform_from(c: &Ctx, a: u32, b: u32, y: i64) -> bool {
    c.d.heme_from.matches(a, b, y)
}

fn chronic_to_acute(c: &Ctx, e: &T, l: &T) -> bool {
    transform_to(c, e.icd, l.icd, e.date.year) && transform_from(c, l.icd, e.icd, l.date.year)
}

fn acute_to_chronic(c: &Ctx, e: &T, l: &T) -> bool {
    transform_from(c, e.icd, l.icd, e.date.year) && transform_to(c, l.icd, e.icd, l.date.year)
}

fn is_transformation(c: &Ctx) -> bool {
    chronic_to_acute(c, &c.t1, &c.t2) || acute_to_chronic(c, &c.t1, &c.t2)
}

fn same_primary(c: &Ctx) -> bool {
    let (a, b) = (&c.t1, &c.t2);
    if a.icd == b.icd {
        return true;
    }
    let same = &c.d.heme_same;
    let (y1, y2) = (a.date.year, b.date.year);
    if y1 == y2 {
        same.matches(a.icd, b.icd, y1) && same.matches(b.icd, a.icd, y2)
    } else if y1 > y2 {
        same.matches(a.icd, b.icd, y1)
    } else {
        same.matches(b.icd, a.icd, y2)
    }
}

fn same_location(c: &Ctx) -> bool {
    c.t1.site == c.t2.site || (c.t1.prefix() == c.t2.prefix() && c.t1.prefix() != 77)
}

/// Single when within 21 days (potential when unknown).
fn within_21(c: &Ctx) -> Out {
    match c.days(21) {
        Gap::Unknown => pot(SINGLE, UnknownDate),
        Gap::Within => fin(SINGLE),
        Gap::Apart => Nothing,
    }
}

fn transformation_review(c: &Ctx) -> Out {
    if is_transformation(c) && c.days(21) != Gap::Apart {
        fin_msg(QUESTIONABLE, MessageKind::HemeM8Review)
    } else {
        Nothing
    }
}

pub static HEME_2010: &[Rule] = &[
    Rule {
        step: "M1",
        text: "Minimal information: a single primary unless the histologies show otherwise.",
        eval: noop,
    },
    Rule {
        step: "M2",
        text: "A single histology is a single primary.",
        eval: |c| {
            if c.t1.h != c.t2.h {
                return Nothing;
            }
            let malt = c.t1.icd == 96_993
                && c.t2.icd == 96_993
                && ((c.t1.prefix() == 77) != (c.t2.prefix() == 77));
            fin(if malt { QUESTIONABLE } else { SINGLE })
        },
    },
    Rule {
        step: "M3",
        text: "A myeloid or mast cell sarcoma simultaneous with or after leukemia of the same lineage is a single primary.",
        eval: |c| {
            let cross = c.cross_h(S::MastCellSarcoma, S::MastCellLeukemia)
                || c.cross_h(S::MyeloidSarcoma, S::MyeloidLeukemia);
            if !(cross && c.both_b(3)) {
                return Nothing;
            }
            let d = c.days(21);
            if c.later == Later::Unknown && d == Gap::Unknown {
                pot(SINGLE, UnknownDate)
            } else if d == Gap::Within
                || c.later_tumor().is_some_and(|t| matches!(t.h, 9740 | 9930))
            {
                fin(SINGLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M4",
        text: "Two non-Hodgkin lymphomas in the same location within 21 days are a single primary.",
        eval: |c| {
            if c.t1.h != c.t2.h && c.both_h(S::LymphomaNosAndNonHodgkinLymphoma) && same_location(c) {
                within_21(c)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M5",
        text: "Hodgkin and non-Hodgkin lymphoma in the same location within 21 days are a single primary.",
        eval: |c| {
            if c.cross_h(S::HodgkinLymphoma, S::LymphomaNosAndNonHodgkinLymphoma) && same_location(c) {
                within_21(c)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M6",
        text: "Hodgkin and non-Hodgkin lymphoma in different locations are multiple primaries.",
        eval: |c| {
            if c.cross_h(S::HodgkinLymphoma, S::NonHodgkinLymphoma) && !same_location(c) {
                fin(MULTIPLE)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M7",
        text: "A NOS histology and a more specific one are a single primary (decided with the Heme DB).",
        eval: noop,
    },
    Rule {
        step: "M8",
        text: "A chronic and an acute neoplasm within 21 days need manual review.",
        eval: transformation_review,
    },
    Rule {
        step: "M9",
        text: "An acute and a chronic neoplasm within 21 days need manual review.",
        eval: transformation_review,
    },
    Rule {
        step: "M10",
        text: "An acute neoplasm more than 21 days after a chronic one is a separate primary.",
        eval: |c| {
            if !is_transformation(c) {
                return Nothing;
            }
            if c.cross_icd_code(97_323, S::R2010Plasmacytoma) {
                return fin_msg(QUESTIONABLE, MessageKind::HemePlasmacytoma);
            }
            let d = c.days(21);
            if d == Gap::Unknown || c.later == Later::Unknown {
                return pot(MULTIPLE, UnknownDate);
            }
            if let (Gap::Apart, Some(e), Some(l)) = (d, c.earlier_tumor(), c.later_tumor()) {
                if chronic_to_acute(c, e, l) {
                    return fin(MULTIPLE);
                }
            }
            Nothing
        },
    },
    Rule {
        step: "M11",
        text: "A chronic neoplasm within 21 days of an acute one needs manual review.",
        eval: transformation_review,
    },
    Rule {
        step: "M12",
        text: "A transformation needs manual review of treatment.",
        eval: |c| {
            if is_transformation(c) {
                fin_msg(QUESTIONABLE, MessageKind::HemeTreatmentReview)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M13",
        text: "A transformation needs manual review of treatment.",
        eval: |c| {
            if is_transformation(c) {
                fin_msg(QUESTIONABLE, MessageKind::HemeTreatmentReview)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M14",
        text: "Post-transplant lymphoproliferative disorder with a lymphoma from the same biopsy is a single primary.",
        eval: |c| {
            if c.cross_h(S::Ptld, S::R2010PtldPartners)
                && same_known_parts(&c.t1.date, &c.t2.date)
            {
                pot(SINGLE, MessageKind::HemeM14SameBiopsy)
            } else {
                Nothing
            }
        },
    },
    Rule {
        step: "M15",
        text: "Histologies the Heme DB lists as the same primary are a single primary; otherwise multiple primaries.",
        eval: |c| fin(if same_primary(c) { SINGLE } else { MULTIPLE }),
    },
];
