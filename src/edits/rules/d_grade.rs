//! Section D: grade items (2018+) and the pre-2018 Grade.

use super::super::record::{Rec, F};
use super::super::tables::ReferenceTables;
use super::super::{fail_with, Verdict};

/// A coded item must be one of the schema's codes for it.
pub(crate) fn valid_for_schema(r: &Rec<'_>, t: &ReferenceTables, f: F, item: u16) -> Verdict {
    let schema = r.schema.and_then(|i| t.schema(i))?;
    let v = r.get(f);
    match schema.codes(item) {
        Some(codes) if codes.contains(v) => None,
        Some(_) => fail_with(format!(
            "{} {v:?} not valid for schema {}",
            f.id(),
            schema.id
        )),
        None => fail_with(format!("schema {} does not use {}", schema.id, f.id())),
    }
}

pub fn grade_clinical(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::GradeClinical, 3843)
}

pub fn grade_pathological(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::GradePathological, 3844)
}

pub fn grade_post_clin(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::GradePostTherapyClin, 1068)
}

pub fn grade_post_path(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::GradePostTherapyPath, 3845)
}

/// Both grades in the numeric 1-4 system: the pathological grade includes the clinical work-up,
/// so it cannot be lower.
pub fn path_vs_clin(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (Some(c), Some(p)) = (r.num(F::GradeClinical, 1), r.num(F::GradePathological, 1)) else {
        return None;
    };
    if (1..=4).contains(&c) && (1..=4).contains(&p) && p < c {
        fail_with(format!(
            "pathological grade {p} is lower than clinical grade {c}"
        ))
    } else {
        None
    }
}

const GRADES_2018: &[F] = &[
    F::GradeClinical,
    F::GradePathological,
    F::GradePostTherapyClin,
    F::GradePostTherapyPath,
];

pub fn grade_by_year(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let year = r.year?;
    if year < 2018 {
        GRADES_2018
            .iter()
            .find(|f| !r.blank(**f))
            .and_then(|f| fail_with(format!("{} is blank before 2018", f.id())))
    } else if !r.blank(F::Grade) {
        fail_with("grade [440] is not used from 2018; code the 2018 grade items")
    } else {
        None
    }
}
