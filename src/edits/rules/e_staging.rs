//! Section E: 2018+ schema selection, EOD, Summary Stage 2018 and site-specific data items.

use super::super::codes::SS2018_BENIGN_SCHEMAS;
use super::super::record::{Rec, F};
use super::super::tables::{ReferenceTables, SchemaInputs};
use super::super::{fail_items, fail_with, Fail, PatientCtx, PatientFailures, Verdict};
use super::d_grade::valid_for_schema;

fn inputs<'a>(r: &Rec<'a>) -> Option<SchemaInputs<'a>> {
    let date = r.get(F::DateOfDiagnosis);
    Some(SchemaInputs {
        site: r.site?,
        hist: r.hist?,
        year: date.get(..4).unwrap_or(""),
        behavior: r.get(F::Behavior),
        disc1: r.get(F::SchemaDisc1),
        disc2: r.get(F::SchemaDisc2),
    })
}

pub fn schema_selection(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let coded = r.schema?;
    let inp = inputs(r)?;
    let mut found = false;
    let mut other = None;
    t.select_schema(&inp, true, true, |s, _, _| {
        if s == coded {
            found = true;
        } else if other.is_none() {
            other = Some(s);
        }
    });
    if found {
        return None;
    }
    let expected = other
        .and_then(|s| t.schema(s))
        .map_or("none".to_string(), |s| s.id.clone());
    fail_with(format!(
        "site/histology/discriminators select schema {expected}, not {}",
        r.get(F::SchemaId)
    ))
}

fn discriminator(r: &Rec<'_>, t: &ReferenceTables, first: bool) -> Verdict {
    let coded = r.schema?;
    let inp = inputs(r)?;
    let (item, value) = if first {
        (F::SchemaDisc1, inp.disc1)
    } else {
        (F::SchemaDisc2, inp.disc2)
    };
    let mut needed = false;
    t.select_schema(&inp, false, false, |_, d1, d2| {
        needed |= if first { d1 } else { d2 };
    });
    if !needed {
        if value.is_empty() {
            return None;
        }
        return fail_with(format!(
            "{} is not used for this site/histology and must be blank",
            item.id()
        ));
    }
    if !first && value.is_empty() {
        let schema = r.get(F::SchemaId);
        let site = r.get(F::PrimarySite);
        if (site == "C111" && schema == "00090")
            || (site == "C160" && schema == "00170" && inp.hist == 8020)
        {
            return None;
        }
    }
    let mut maps = false;
    t.select_schema(&inp, first, !first, |s, _, _| maps |= s == coded);
    if maps {
        None
    } else {
        fail_with(format!(
            "{} {value:?} does not select schema {}",
            item.id(),
            r.get(F::SchemaId)
        ))
    }
}

pub fn discriminator_1(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    discriminator(r, t, true)
}

pub fn discriminator_2(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    discriminator(r, t, false)
}

pub fn schema_by_year(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let year = r.year?;
    match (year >= 2018, r.blank(F::SchemaId)) {
        (true, true) => fail_with("schemaId is required from 2018"),
        (false, false) => fail_with("schemaId must be blank before 2018"),
        _ => None,
    }
}

pub fn eod_primary_tumor(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::EodPrimaryTumor, 772)
}

pub fn eod_regional_nodes(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::EodRegionalNodes, 774)
}

pub fn eod_mets(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::EodMets, 776)
}

pub fn ss2018_schema(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    valid_for_schema(r, t, F::Ss2018, 764)
}

pub fn stage_behavior(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let beh = r.beh?;
    let ss = r.get(F::Ss2018);
    let brain = SS2018_BENIGN_SCHEMAS.contains(&r.get(F::SchemaId));
    let bladder_papillary = r.site.is_some_and(|s| (670..=679).contains(&s))
        && r.hist.is_some_and(|h| matches!(h, 8130 | 8131));
    if r.get(F::EodPrimaryTumor) == "000" && beh != 2 {
        return fail_with("EOD Primary Tumor 000 (in situ) needs behavior 2");
    }
    match (beh, ss) {
        (2, s) if s != "0" && !bladder_papillary && !brain => {
            fail_with("in situ behavior needs Summary Stage 2018 0")
        }
        (3, "0" | "8") => fail_with("malignant behavior cannot have Summary Stage 2018 0 or 8"),
        (0 | 1, s) if brain && s != "8" => {
            fail_with("benign/borderline brain and CNS tumors have Summary Stage 2018 8")
        }
        _ => None,
    }
}

pub fn ss2018_vs_derived(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (ss, derived) = (r.get(F::Ss2018), r.get(F::DerivedSs2018));
    if ss == derived {
        None
    } else {
        fail_with(format!("coded {ss} but derived {derived}"))
    }
}

pub fn ssdi_valid(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let schema = r.schema.and_then(|i| t.schema(i))?;
    let items = t.ssdi_items();
    let mut bad: Vec<String> = Vec::new();
    let mut details: Vec<String> = Vec::new();
    for (i, v) in &r.ssdi {
        let Some((id, n)) = items.get(usize::from(*i)) else {
            continue;
        };
        match schema.codes(*n) {
            Some(codes) if codes.contains(v) => {}
            Some(_) => {
                details.push(format!("{id} {v:?} is not a code of the schema"));
                bad.push(id.clone());
            }
            // Only a true SSDI belongs to its schemas; a general item the schema does not
            // stage with (e.g. RX Summ--Surg/Rad Seq) is checked by its own edits.
            None if t.is_site_specific(*i) => {
                details.push(format!("{id} is not used by the schema and must be blank"));
                bad.push(id.clone());
            }
            None => {}
        }
    }
    if bad.is_empty() {
        return None;
    }
    bad.push(F::SchemaId.id().to_string());
    fail_items(format!("schema {}: {}", schema.id, details.join("; ")), bad)
}

pub fn nodes(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (Some(pos), Some(exam)) = (r.num(F::NodesPositive, 2), r.num(F::NodesExamined, 2)) else {
        return None;
    };
    if exam == 0 && pos != 98 {
        return fail_with("no nodes examined needs nodes positive 98");
    }
    if pos == 98 && exam != 0 {
        return fail_with("nodes positive 98 (none examined) needs nodes examined 00");
    }
    if (1..=90).contains(&pos) && (1..=90).contains(&exam) && pos > exam {
        return fail_with("more nodes positive than examined");
    }
    None
}

/// The outputs of the EOD algorithm for a tumor it stages.
pub(crate) type Outputs = std::collections::BTreeMap<String, Option<String>>;

/// Recomputes an EOD output for each 2018+ tumor that stores the item, and reports a tumor whose
/// stored value differs (the derivation is the algorithm's, not the registrar's). A tumor is
/// staged at most once per run whatever the number of edits that read its outputs.
fn rederive(ctx: &PatientCtx<'_>, out: &mut PatientFailures, item: &str, output: &str) {
    let Some(eod) = ctx.tables.eod() else { return };
    for (i, (t, r)) in ctx.tumors.iter().zip(ctx.recs).enumerate() {
        let stored = t.get(item).map(|v| v.trim()).unwrap_or("");
        if stored.is_empty() || r.year.is_none_or(|y| y < 2018) {
            continue;
        }
        let Some(cell) = ctx.staged.get(i) else {
            continue;
        };
        let outputs = cell.get_or_init(|| {
            let options = crate::staging::StageOptions {
                current_year: ctx.tables.current_year(),
            };
            crate::staging::tumor::stage_outputs(eod, ctx.patient, t, &options)
        });
        let Some(Some(derived)) = outputs.as_ref().and_then(|o| o.get(output)) else {
            continue;
        };
        if derived != stored {
            out.push((
                Some(i),
                Fail {
                    detail: format!("stored {stored}, the EOD algorithm derives {derived}").into(),
                    hard: false,
                    items: Vec::new(),
                },
            ));
        }
    }
}

/// D06: Derived Summary Grade 2018 [1975] equals what the schema's grade table derives.
pub fn derived_grade(ctx: &PatientCtx<'_>, out: &mut PatientFailures) {
    rederive(ctx, out, "derivedSummaryGrade2018", "derived_summary_grade");
}

/// E10: Derived Summary Stage 2018 [762] equals what the EOD algorithm derives.
pub fn derived_ss2018(ctx: &PatientCtx<'_>, out: &mut PatientFailures) {
    rederive(ctx, out, "derivedSummaryStage2018", "ss2018_derived");
}

/// What a percent-positive-or-range SSDI says: negative (000, "<1%"), positive (001-100 or a
/// stated range R10-R99), or nothing (XX7/XX8/XX9).
fn percent_class(v: &str) -> Option<bool> {
    if v == "000" {
        return Some(false);
    }
    if super::super::record::digits(v, 3).is_some_and(|n| (1..=100).contains(&n)) {
        return Some(true);
    }
    if v.len() == 3 && v.starts_with('R') && v[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Some(true);
    }
    None
}

/// A receptor summary (0 negative, 1 positive, 7/9 not known) against its percent positive or
/// range: a percent of 1% or more is positive, 000 is negative (the code definitions of the
/// EOD schema tables, e.g. ER Percent Positive 000 = "ER negative, or stated as less than 1%").
fn summary_vs_percent(r: &Rec<'_>, t: &ReferenceTables, pair: usize) -> Verdict {
    let (si, pi) = t.receptor_slots(pair)?;
    let (summary, percent) = super::super::tables::RECEPTOR_PAIRS.get(pair).copied()?;
    let (s, p) = (r.ssdi_value(si), r.ssdi_value(pi));
    if s.is_empty() || p.is_empty() {
        return None;
    }
    let positive = percent_class(p)?;
    let ok = if positive { s == "1" } else { s == "0" };
    if ok {
        return None;
    }
    let meaning = if positive {
        "positive (1% or more)"
    } else {
        "negative (less than 1%)"
    };
    fail_items(
        format!("{summary} {s} but {percent} {p} is {meaning}"),
        vec![summary.to_string(), percent.to_string()],
    )
}

/// E17: Estrogen Receptor Summary [3827] vs ER Percent Positive or Range [3826].
pub fn er_summary_percent(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    summary_vs_percent(r, t, 0)
}

/// E18: Progesterone Receptor Summary [3915] vs PR Percent Positive or Range [3914].
pub fn pr_summary_percent(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    summary_vs_percent(r, t, 1)
}
