//! Section C: site, histology, behavior, laterality and sequence.

use std::borrow::Cow;

use super::super::codes::{
    any_site_review, in_ranges, is_leukemia_other, is_lymphoma, is_paired, lat_rule, lymph_node_ok,
    LatRule, BENIGN_BRAIN_OK, BORDERLINE_1, IF38_IMPOSSIBLE, IF39_SITES, IMPLIED_GRADE,
    NOT_IN_SITU, SEX_SITES,
};
use super::super::record::{Rec, F};
use super::super::tables::ReferenceTables;
use super::super::{fail, fail_hard, fail_with, Fail, PatientCtx, Verdict};
use super::seq;

fn site_hist_beh(r: &Rec<'_>) -> Option<(u16, u16, u8, u16)> {
    Some((r.site?, r.hist?, r.beh?, r.year?))
}

pub fn site_type_seer(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let (site, hist, beh, year) = site_hist_beh(r)?;
    if t.site_type_valid(year, site, hist, beh) {
        None
    } else {
        fail()
    }
}

/// Basal and squamous cell carcinomas of skin, which the SEER list leaves out.
fn skin_carcinoma(site: u16, hist: u16) -> bool {
    (440..=449).contains(&site)
        && in_ranges(
            hist,
            &[(8000, 8005), (8010, 8046), (8050, 8084), (8090, 8110)],
        )
}

pub fn site_type_coc(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let (site, hist, beh, year) = site_hist_beh(r)?;
    if skin_carcinoma(site, hist) || t.site_type_valid(year, site, hist, beh) {
        None
    } else {
        fail()
    }
}

pub fn morph(r: &Rec<'_>, t: &ReferenceTables) -> Verdict {
    let (Some(hist), Some(beh)) = (r.hist, r.beh) else {
        return None;
    };
    let listed = t.behaviors_of(hist);
    if listed == 0 {
        return fail_hard("histology is not in ICD-O-3");
    }
    if r.year.is_some_and(|y| y < 2018) {
        let g = r.get(F::Grade);
        if matches!(g, "5" | "6" | "7" | "8") && !(9590..=9948).contains(&hist) {
            return fail_hard("grade 5-8 is only for histologies 9590-9948");
        }
        if let Some((_, implied)) = IMPLIED_GRADE.iter().find(|(h, _)| *h == hist) {
            if beh == 3 && !g.is_empty() && g != *implied {
                return fail_hard(format!("histology {hist}/3 implies grade {implied}"));
            }
        }
    }
    if beh == 2 && in_ranges(hist, NOT_IN_SITU) {
        return fail_with("histology is not accepted as in situ");
    }
    // listed only as benign or borderline, coded in situ or malignant
    if beh >= 2 && listed & 0b1100 == 0 {
        let benign_ok = r.year.is_some_and(|y| y > 2003) && in_ranges(hist, BENIGN_BRAIN_OK)
            || r.year.is_some_and(|y| y > 2000) && BORDERLINE_1.contains(&hist);
        if !benign_ok {
            return fail_with("benign histology coded in situ or malignant: please review");
        }
    }
    None
}

pub fn site_impossible(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (Some(site), Some(hist)) = (r.site, r.hist) else {
        return None;
    };
    for (hists, sites, allowed_only) in IF38_IMPOSSIBLE {
        if in_ranges(hist, hists) && in_ranges(site, sites) != *allowed_only {
            return fail_hard(format!("histology {hist} is impossible at C{site:03}"));
        }
    }
    None
}

pub fn sex_site(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let site = r.site?;
    let sex = r.get(F::Sex);
    if sex != "1" && sex != "2" {
        return None;
    }
    for (lo, hi, expected) in SEX_SITES {
        if (*lo..=*hi).contains(&site) && sex != *expected {
            return fail_hard(format!("site C{site:03} does not fit sex {sex}"));
        }
    }
    None
}

pub fn dxconf_behavior(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    if r.beh == Some(2) && !matches!(r.get(F::DxConf), "1" | "2" | "4") {
        fail()
    } else {
        None
    }
}

pub fn site_behavior(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    if r.beh == Some(2) && r.site.is_some_and(|s| in_ranges(s, IF39_SITES)) {
        fail()
    } else {
        None
    }
}

pub fn dxconf_histology(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let hist = r.hist?;
    match r.get(F::DxConf) {
        "6" | "8" if is_lymphoma(hist) => fail_with("lymphoma not microscopically confirmed"),
        "6" if is_leukemia_other(hist) => fail_with("leukemia by direct visualization"),
        _ => None,
    }
}

pub fn laterality_site(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let site = r.site?;
    let lat = r.get(F::Laterality);
    let ok = match lat_rule(site, r.year) {
        LatRule::Paired | LatRule::PairedFrom(_) => {
            matches!(lat, "1" | "2" | "3" | "4" | "9")
                || lat == "5" && r.year.is_none_or(|y| y >= 2010)
        }
        LatRule::RightOnly => lat == "1",
        LatRule::Either => matches!(lat, "0" | "1" | "2" | "3" | "4" | "5" | "9"),
        LatRule::Unknown | LatRule::NotPaired => lat == "0",
    };
    if ok {
        None
    } else {
        fail_hard(format!("laterality {lat} is not valid for C{site:03}"))
    }
}

pub fn unknown_site_laterality(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    if r.site == Some(809) && r.get(F::Laterality) != "0" {
        fail()
    } else {
        None
    }
}

pub fn laterality_insitu(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (site, hist) = (r.site?, r.hist?);
    let heme_skip = if r.year.is_some_and(|y| y < 1988) {
        hist >= 9590
    } else {
        matches!(hist, 9140 | 9700 | 9701) || (9590..=9980).contains(&hist)
    };
    if heme_skip || r.beh != Some(2) || !is_paired(site, r.year) {
        return None;
    }
    if matches!(r.get(F::Laterality), "1" | "2" | "3") {
        None
    } else {
        fail_with("in situ tumor of a paired site should have one side coded")
    }
}

pub fn behavior_sequence(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    let (beh, s) = (r.beh?, seq(r.get(F::SeqCentral))?);
    let year = r.year;
    let malignant_series = s <= 59 || s == 99;
    let benign_series = (60..=88).contains(&s);
    if malignant_series && beh < 2 {
        let old_borderline = beh == 1
            && year.is_some_and(|y| y < 2001)
            && r.hist.is_some_and(|h| BORDERLINE_1.contains(&h));
        if !old_borderline {
            return fail_with("sequence 00-59/99 needs behavior 2 or 3");
        }
    }
    if year.is_some_and(|y| y > 2000) && benign_series && beh >= 2 {
        return fail_with("sequence 60-88 is for non-malignant tumors");
    }
    None
}

fn ill_defined_sequence(r: &Rec<'_>, seq_item: F) -> Verdict {
    let (site, hist, s) = (r.site?, r.hist?, seq(r.get(seq_item))?);
    if s == 0 || (60..=88).contains(&s) || s == 98 {
        return None;
    }
    let why: Option<Cow<'static, str>> =
        if ((760..=768).contains(&site) || site == 809) && hist < 9590 {
            Some("ill-defined or unknown site with more than one primary".into())
        } else if (770..=779).contains(&site) && !lymph_node_ok(hist) {
            Some("lymph node site with a non-lymphoma histology".into())
        } else if (420..=424).contains(&site) && !(9590..=9989).contains(&hist) {
            Some("hematopoietic site with a non-hematopoietic histology".into())
        } else if any_site_review(hist) {
            Some("histology 9740-9758 with more than one primary".into())
        } else {
            None
        };
    why.map(|detail| Fail {
        detail,
        hard: false,
        items: Vec::new(),
    })
}

pub fn seq_central_site(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    ill_defined_sequence(r, F::SeqCentral)
}

pub fn seq_hosp_site(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    ill_defined_sequence(r, F::SeqHosp)
}

fn dxconf_seq(r: &Rec<'_>, seq_item: F) -> Verdict {
    let s = seq(r.get(seq_item))?;
    let dx = r.num(F::DxConf, 1)?;
    if s >= 60 || s == 0 {
        return None;
    }
    if dx > 5 {
        fail_with("more than one primary and this one not microscopically confirmed")
    } else {
        None
    }
}

pub fn dxconf_seq_central(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    dxconf_seq(r, F::SeqCentral)
}

pub fn dxconf_seq_hosp(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    if r.site.is_some_and(|s| (760..=768).contains(&s) || s == 809) {
        return None;
    }
    dxconf_seq(r, F::SeqHosp)
}

pub fn dco_sequence(r: &Rec<'_>, _: &ReferenceTables) -> Verdict {
    if r.get(F::ReportingSource) == "7"
        && r.hist.is_some_and(|h| h < 9590)
        && r.get(F::SeqCentral) != "00"
    {
        fail()
    } else {
        None
    }
}

pub fn duplicate_primary(ctx: &PatientCtx<'_>, out: &mut Vec<(Option<usize>, Fail)>) {
    let recs = ctx.recs;
    for (j, b) in recs.iter().enumerate() {
        let (Some(sb), Some(hb)) = (b.site, b.hist) else {
            continue;
        };
        let lat_b = b.get(F::Laterality);
        if !matches!(lat_b, "1" | "2") || !is_paired(sb, b.year) {
            continue;
        }
        let dup = recs.iter().take(j).any(|a| {
            a.site.is_some_and(|sa| sa / 10 == sb / 10)
                && a.hist.is_some_and(|ha| ha / 10 == hb / 10)
                && a.get(F::Laterality) == lat_b
        });
        if dup {
            out.push((
                Some(j),
                Fail {
                    detail: "same site group, laterality and histology as an earlier tumor".into(),
                    hard: false,
                    items: Vec::new(),
                },
            ));
        }
    }
}
