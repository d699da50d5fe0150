//! The code tables written into `src/edits/codes.rs` agree with the published files they were
//! written from, which ship in `data/reference/` (or the folder `CANCER_REGISTRY_REFERENCE` names).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use cancer_registry::edits::codes::{self, LatRule};
use cancer_registry::edits::ReferenceTables;

fn reference_dir() -> PathBuf {
    ReferenceTables::default_source().folder()
}

fn reference_file(rel: &str) -> Option<String> {
    let path: PathBuf = reference_dir().join(rel);
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{} required under CI: {e}", path.display());
            }
            eprintln!("SKIPPED: cross-check needs {}: {e}", path.display());
            None
        }
    }
}

fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
}

fn site(s: &str) -> u16 {
    s.trim().trim_start_matches('C').parse().unwrap()
}

#[test]
fn paired_sites_match_reference() {
    let Some(text) = reference_file("written/laterality_paired_sites.tsv") else {
        return;
    };
    let mut reference = BTreeMap::new();
    for r in rows(&text) {
        let rule = match (r[2], r[4]) {
            ("paired", "") => LatRule::Paired,
            ("paired", y) => LatRule::PairedFrom(y.parse().unwrap()),
            ("paired_right_only", _) => LatRule::RightOnly,
            ("paired_or_unpaired", _) => LatRule::Either,
            ("unknown_primary", _) => LatRule::Unknown,
            other => panic!("unexpected rule {other:?}"),
        };
        reference.insert(site(r[0]), rule);
    }
    let ours: BTreeMap<u16, LatRule> = codes::PAIRED_SITES.iter().copied().collect();
    assert_eq!(ours, reference);
    // the source table must stay sorted for binary search
    assert!(codes::PAIRED_SITES.windows(2).all(|w| w[0].0 < w[1].0));
}

#[test]
fn sex_sites_match_reference() {
    let Some(text) = reference_file("written/sex_specific_sites.tsv") else {
        return;
    };
    let reference: Vec<(u16, u16, String)> = rows(&text)
        .map(|r| {
            let (lo, hi) = r[0].split_once('-').unwrap();
            (site(lo), site(hi), r[2].to_string())
        })
        .collect();
    let ours: Vec<(u16, u16, String)> = codes::SEX_SITES
        .iter()
        .map(|(lo, hi, s)| (*lo, *hi, s.to_string()))
        .collect();
    assert_eq!(ours, reference);
}

#[test]
fn if39_sites_match_reference() {
    let Some(text) = reference_file("written/insitu_review_sites_IF39.tsv") else {
        return;
    };
    let reference: Vec<(u16, u16)> = rows(&text)
        .map(|r| {
            let (lo, hi) = r[0].split_once('-').unwrap_or((r[0], r[0]));
            (site(lo), site(hi))
        })
        .collect();
    assert_eq!(codes::IF39_SITES, reference.as_slice());
}

/// `1=reviewed; 2=...; blank` -> {"1", "2"}.
fn override_codes(s: &str) -> BTreeSet<String> {
    s.split(';')
        .map(|p| p.trim().split(['=', ' ']).next().unwrap_or("").to_string())
        .filter(|c| c.chars().all(|ch| ch.is_ascii_digit()) && !c.is_empty())
        .collect()
}

#[test]
fn override_flags_match_reference() {
    let Some(text) = reference_file("written/override_flags.tsv") else {
        return;
    };
    let reference: BTreeMap<String, BTreeSet<String>> = rows(&text)
        .filter(|r| !r[1].contains(".."))
        .map(|r| (r[1].to_string(), override_codes(r[3])))
        .collect();
    let ours: BTreeMap<String, BTreeSet<String>> = codes::OVERRIDE_CODES
        .iter()
        .map(|(f, c)| {
            (
                f.id().to_string(),
                c.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect();
    // the TNM/CS over-rides of retired systems are listed there but not edited here
    for (id, codes) in &ours {
        assert_eq!(reference.get(id), Some(codes), "{id}");
    }
    let missing: Vec<_> = reference
        .keys()
        .filter(|k| !ours.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "over-ride flags without codes here: {missing:?}"
    );

    // and against SEER's lookups, when `unzip` is available
    let zip = reference_dir().join("naaccr-lookups/naaccr-lookups-260.zip");
    for (id, codes) in &ours {
        let out = Command::new("unzip")
            .arg("-p")
            .arg(&zip)
            .arg(format!("naaccr-lookups-260/{id}.csv"))
            .output();
        let Ok(out) = out else {
            eprintln!("SKIPPED: unzip not available for the lookups cross-check");
            return;
        };
        if !out.status.success() {
            continue;
        }
        let listed: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split(',').next())
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(&listed, codes, "{id} in naaccr-lookups");
    }
}

#[test]
fn grade_codes_match_lookups() {
    let zip = reference_dir().join("naaccr-lookups/naaccr-lookups-260.zip");
    if !zip.exists() {
        let _ = reference_file("naaccr-lookups/naaccr-lookups-260.zip");
        return;
    }
    let Ok(out) = Command::new("unzip")
        .arg("-p")
        .arg(&zip)
        .arg("naaccr-lookups-260/grade.csv")
        .output()
    else {
        eprintln!("SKIPPED: unzip not available");
        return;
    };
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect();
    assert_eq!(listed, codes::GRADE_440);
}

#[test]
fn ss2018_codes_and_benign_schemas_match_eod_tables() {
    let Some(text) = reference_file("written/eod_public_3.3_schema_item_codes.tsv") else {
        return;
    };
    let mut all = BTreeSet::new();
    let mut with_8 = BTreeSet::new();
    for r in rows(&text).filter(|r| r[2] == "764") {
        all.insert(r[5].to_string());
        if r[5] == "8" {
            with_8.insert(r[0].to_string());
        }
    }
    let ours: BTreeSet<String> = codes::SS2018.iter().map(|s| s.to_string()).collect();
    assert_eq!(ours, all);
    let benign: BTreeSet<String> = codes::SS2018_BENIGN_SCHEMAS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(benign, with_8);
}

#[test]
fn heme_ranges_match_reference() {
    let Some(text) = reference_file("written/hematopoietic_histologies.tsv") else {
        return;
    };
    let mut n = 0;
    for r in rows(&text) {
        let h: u16 = r[1].parse().unwrap();
        let yes = |c: &str| c == "Y";
        assert_eq!(codes::is_heme(h), yes(r[4]), "{h} heme");
        if r[2] == "3" {
            assert_eq!(codes::dxconf3_allowed(h), yes(r[5]), "{h} dxconf 3");
        }
        assert_eq!(codes::lymph_node_ok(h), yes(r[7]), "{h} lymph node");
        assert_eq!(codes::any_site_review(h), yes(r[8]), "{h} any-site review");
        match r[6] {
            g if g.starts_with("lymphoma") => assert!(codes::is_lymphoma(h), "{h}"),
            g if g.starts_with("leukemia") => assert!(codes::is_leukemia_other(h), "{h}"),
            _ => assert!(
                !codes::is_lymphoma(h) && !codes::is_leukemia_other(h),
                "{h}"
            ),
        }
        n += 1;
    }
    assert!(n > 150);
}
