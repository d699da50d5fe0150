//! Edits across a patient's tumors: sequence numbers (the same tumor entered twice and the
//! multiple primary edits are in `i_primaries`). They run with the tumor-level edits on every
//! change of any tumor of the patient (the store reruns the whole patient).

use std::cmp::Ordering;

use super::super::record::{Rec, F};
use super::super::{Fail, PatientCtx, PatientFailures};
use super::seq;

fn fail(detail: String, items: &[F]) -> Fail {
    Fail {
        detail: detail.into(),
        hard: false,
        items: items.iter().map(|f| f.id().to_string()).collect(),
    }
}

/// The series of a sequence number: in situ/malignant (00-59) or non-malignant (60-87).
/// Unknown numbers (99, 88) and 98 take no part in the order checks.
fn series(n: u32) -> Option<bool> {
    match n {
        0..=59 => Some(true),
        60..=87 => Some(false),
        _ => None,
    }
}

fn sequence_numbers(ctx: &PatientCtx<'_>, out: &mut PatientFailures, item: F) {
    let recs = ctx.recs;
    // one tumor cannot disagree with another (and most patients have one)
    if recs.len() < 2 {
        return;
    }
    let nums: Vec<Option<u32>> = recs.iter().map(|r| seq(r.get(item))).collect();
    let items = [item, F::DateOfDiagnosis];
    for malignant in [true, false] {
        let members: Vec<(usize, u32, &Rec<'_>)> = nums
            .iter()
            .zip(recs)
            .enumerate()
            .filter_map(|(i, (n, r))| {
                let n = (*n)?;
                (series(n) == Some(malignant)).then_some((i, n, r))
            })
            .collect();
        // 88/99 tumors of the same series also count as "another tumor" for 00/60
        let unknown_in_series = nums.iter().zip(recs).filter(|(n, r)| {
            let in_series = match r.beh {
                Some(b) => (b >= 2) == malignant,
                None => false,
            };
            in_series && matches!(n, Some(88 | 99))
        });
        let count = members.len() + unknown_in_series.count();
        let only = if malignant { 0 } else { 60 };
        for (i, n, _) in &members {
            if *n == only && count > 1 {
                out.push((
                    Some(*i),
                    fail(
                        format!(
                            "{} {only:02} means the only tumor of its series, but the patient has {count}",
                            item.id()
                        ),
                        &items,
                    ),
                ));
            }
        }
        for (k, (i, n, _)) in members.iter().enumerate() {
            if members.iter().take(k).any(|(_, m, _)| m == n) {
                out.push((
                    Some(*i),
                    fail(
                        format!(
                            "{} {n:02} is used by another tumor of the patient",
                            item.id()
                        ),
                        &items,
                    ),
                ));
            }
        }
        // numbers follow diagnosis order: a higher number is not diagnosed earlier
        for (i, n, r) in &members {
            let earlier = members.iter().find(|(_, m, o)| {
                m < n
                    && *m != only
                    && match (r.dx, o.dx) {
                        (Some(a), Some(b)) => a.compare(&b) == Some(Ordering::Less),
                        _ => false,
                    }
            });
            if let Some((_, m, _)) = earlier {
                out.push((
                    Some(*i),
                    fail(
                        format!(
                            "{} {n:02} was diagnosed before the tumor numbered {m:02}: numbers follow the order of diagnosis",
                            item.id()
                        ),
                        &items,
                    ),
                ));
            }
        }
    }
}

/// SEQC: Sequence Number--Central [380] across the patient's tumors.
pub fn sequence_central(ctx: &PatientCtx<'_>, out: &mut PatientFailures) {
    sequence_numbers(ctx, out, F::SeqCentral);
}

/// SEQH: Sequence Number--Hospital [560] across the patient's tumors.
pub fn sequence_hospital(ctx: &PatientCtx<'_>, out: &mut PatientFailures) {
    sequence_numbers(ctx, out, F::SeqHosp);
}
