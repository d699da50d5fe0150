//! IRMP and DUP: the cross-tumor edits that follow the multiple primary rules (issues #17, #18).

use cancer_registry::edits::{self, EditFailure};
use cancer_registry::naaccr::Items;

use super::{items, tables, PATIENT, TUMOR};

/// The clean lung tumor with some items replaced, numbered `seq`.
fn tumor(changes: &[(&str, &str)], seq: &str) -> Items {
    let mut t = items(TUMOR);
    for (k, v) in changes {
        t.insert(k.to_string(), v.to_string());
    }
    t.insert("sequenceNumberHospital".into(), seq.into());
    t.insert("sequenceNumberCentral".into(), seq.into());
    t
}

fn melanoma(date: &str, seq: &str) -> Items {
    tumor(
        &[
            ("primarySite", "C445"),
            ("histologicTypeIcdO3", "8720"),
            ("laterality", "1"),
            ("dateOfDiagnosis", date),
            ("dateOf1stContact", date),
            ("schemaId", "00470"),
        ],
        seq,
    )
}

/// The failures of `id` (over-ridden ones included) over the whole catalog.
fn failures(id: &str, tumors: &[Items]) -> Vec<EditFailure> {
    let Some(t) = tables() else { return Vec::new() };
    edits::run_catalog(&items(PATIENT), tumors, t)
        .into_iter()
        .filter(|f| f.edit_id == id)
        .collect()
}

#[test]
fn dup_uses_the_multiple_primary_timing() {
    if tables().is_none() {
        return;
    }
    // 16 days apart: one primary by the melanoma rules (M6), so a duplicate candidate.
    let dup = failures(
        "DUP",
        &[melanoma("20210615", "01"), melanoma("20210701", "02")],
    );
    assert_eq!(dup.len(), 1, "{dup:#?}");
    assert_eq!(dup[0].tumor_index, Some(1));
    assert!(dup[0].message.contains("M6"), "{}", dup[0].message);
    // 139 days apart: within the old fixed 365-day window, but melanomas more than 60 days
    // apart are separate primaries (M7), so no duplicate.
    let apart = [melanoma("20210615", "01"), melanoma("20211101", "02")];
    assert!(failures("DUP", &apart).is_empty());
    assert!(failures("IRMP", &apart).is_empty());
}

#[test]
fn irmp_fails_for_one_primary_coded_twice_until_overridden() {
    if tables().is_none() {
        return;
    }
    // Same lung, same histology, same day, different subsite: one primary (lung M7), but not
    // the same codes, so IRMP rather than DUP.
    let upper = tumor(&[], "01");
    let lower = tumor(&[("primarySite", "C343")], "02");
    let f = failures("IRMP", &[upper.clone(), lower.clone()]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].tumor_index, Some(1), "reported on the later tumor");
    assert!(!f[0].overridden);
    assert!(f[0].message.contains("M7"), "{}", f[0].message);
    assert!(f[0].message.contains("tumor 1 (C341"), "{}", f[0].message);
    assert!(failures("DUP", &[upper.clone(), lower.clone()]).is_empty());

    // Over-ride Site/Lat/SeqNo [2010] on the failing tumor suppresses it.
    let mut reviewed = lower.clone();
    reviewed.insert("overRideSiteLatSeqno".into(), "1".into());
    let f = failures("IRMP", &[upper.clone(), reviewed]);
    assert!(f.len() == 1 && f[0].overridden, "{f:#?}");

    // A single tumor, and a pair in different lungs, pass.
    assert!(failures("IRMP", std::slice::from_ref(&upper)).is_empty());
    let other_lung = tumor(&[("primarySite", "C343"), ("laterality", "2")], "02");
    assert!(failures("IRMP", &[upper, other_lung]).is_empty());
}
