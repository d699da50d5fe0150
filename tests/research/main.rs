//! Research releases: de-identified extracts leak no identifier, suppressed tables hide every
//! small count from every slice total (random tables, fixed seeds), and the SEER site recode
//! read from `shared/reference` gives the known groups.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cancer_registry::naaccr::{Dictionary, Items};
use cancer_registry::research::deid::AGE_90_OR_OLDER;
use cancer_registry::research::{
    age_group, suppress, validate_request, Cell, Release, ReleaseOptions, SiteRecodeTable,
    StudyIds, SuppressedTable, DEFAULT_THRESHOLD,
};
use rand::SeedableRng;

fn items(pairs: &[(&str, &str)]) -> Items {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------- de-identification

/// Every identifying value planted in the source records; none may appear in the output.
const IDENTIFIERS: &[(&str, &str)] = &[
    ("nameLast", "Zzyzxwick"),
    ("nameFirst", "Philomena"),
    ("nameMiddle", "Quintessa"),
    ("nameBirthSurname", "Vandergrift"),
    ("nameAlias", "Snowflake"),
    ("socialSecurityNumber", "987654321"),
    ("telephone", "6035551234"),
    ("medicareBeneficiaryIdentifier", "1EG4TE5MK73"),
    ("addrCurrentNoStreet", "42 Wallaby Way"),
    ("addrCurrentSupplementl", "Apartment 7Q"),
    ("addrCurrentCity", "Berlin"),
    ("countyCurrent", "007"),
    ("patientIdNumber", "55501234"),
    ("dateOfBirth", "19300704"),
    ("dateOfLastContact", "20240911"),
];

const TUMOR_IDENTIFIERS: &[(&str, &str)] = &[
    ("medicalRecordNumber", "MRN-77-31337"),
    ("accessionNumberHosp", "202300417"),
    ("addrAtDxNoStreet", "1600 Pennsylvania Ave"),
    ("addrAtDxCity", "Gorham"),
    ("addrAtDxPostalCode", "03601"),
    ("countyAtDx", "009"),
    ("censusTract2020", "954200"),
    ("latitude", "44.3876"),
    ("followUpContactName", "Bartholomew Kinsman"),
    ("physicianManaging", "DRWHO123"),
    ("npiPhysicianManaging", "1234567893"),
    ("textRemarks", "pt Zzyzxwick lives with daughter"),
    ("dateOfDiagnosis", "20230415"),
    ("ageAtDiagnosis", "095"),
];

#[test]
fn extract_contains_no_identifier_value() {
    // The researcher asks for everything, identifiers included: all of those are refused.
    let all: Vec<String> = Dictionary::v260()
        .items()
        .iter()
        .map(|d| d.id.clone())
        .collect();
    let refused = validate_request(&all).unwrap_err();
    for (id, _) in IDENTIFIERS.iter().chain(TUMOR_IDENTIFIERS) {
        let transformed = [
            "dateOfBirth",
            "addrAtDxPostalCode",
            "dateOfDiagnosis",
            "dateOfLastContact",
            "ageAtDiagnosis",
        ];
        let is_refused = refused.iter().any(|r| r.item == *id);
        assert_eq!(is_refused, !transformed.contains(id), "{id}");
    }

    // What may be released: every item that passed, in dictionary order.
    let approved: Vec<String> = all
        .iter()
        .filter(|id| !refused.iter().any(|r| &r.item == *id))
        .cloned()
        .collect();
    let release = Release::new(
        &approved,
        ReleaseOptions {
            reference_year: 2026,
        },
    )
    .unwrap();

    let patient = items(&[IDENTIFIERS, &[("sexAssignedAtBirth", "2"), ("race1", "01")]].concat());
    let tumor1 = items(
        &[
            TUMOR_IDENTIFIERS,
            &[
                ("primarySite", "C504"),
                ("histologicTypeIcdO3", "8500"),
                ("addrAtDxState", "NH"),
            ],
        ]
        .concat(),
    );
    let tumor2 = items(&[
        ("primarySite", "C619"),
        ("addrAtDxPostalCode", "100015555"),
        ("dateOfDiagnosis", "201902"),
        ("ageAtDiagnosis", "089"),
        ("medicalRecordNumber", "MRN-77-31337"),
    ]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let ids = StudyIds::assign(["registry-patient-55501234", "other"], &mut rng);
    let study_id = ids.get("registry-patient-55501234").unwrap();
    let deid = release.deidentify(study_id, &patient, &[tumor1, tumor2]);

    let mut csv = release.csv(Vec::new()).unwrap();
    csv.write_patient(&deid).unwrap();
    let out = String::from_utf8(csv.finish().unwrap()).unwrap();

    for (id, value) in IDENTIFIERS.iter().chain(TUMOR_IDENTIFIERS) {
        if *id == "ageAtDiagnosis" {
            continue; // "095" is checked below as a column value (it is a substring of codes)
        }
        assert!(
            !out.contains(value),
            "{id} value {value:?} leaked into the extract"
        );
    }
    assert!(!out.contains("55501234"));

    // Columns: the transforms.
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "header + one row per tumor");
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(&header[..2], ["studyId", "tumorSequence"]);
    let col = |row: usize, id: &str| -> String {
        let i = header.iter().position(|h| *h == id).unwrap();
        lines[row].split(',').nth(i).unwrap().to_string()
    };
    assert_eq!(col(1, "studyId"), study_id.to_string());
    assert_eq!(col(1, "tumorSequence"), "1");
    assert_eq!(col(2, "tumorSequence"), "2");
    assert_eq!(col(1, "addrAtDxPostalCode"), "000", "restricted ZIP3 036");
    assert_eq!(col(2, "addrAtDxPostalCode"), "100");
    // The patient is 90 or older: a diagnosis year with its age at diagnosis (2019 and 089)
    // would give the birth year (1930) and so the age over 89, so no calendar year is released.
    assert_eq!(col(1, "dateOfDiagnosis"), "");
    assert_eq!(col(2, "dateOfDiagnosis"), "");
    assert_eq!(col(1, "dateOfLastContact"), "");
    assert_eq!(col(1, "ageAtDiagnosis"), AGE_90_OR_OLDER);
    assert_eq!(col(2, "ageAtDiagnosis"), "089");
    assert_eq!(
        col(1, "dateOfBirth"),
        "",
        "birth year of a 90+ patient withheld"
    );
    assert_eq!(col(1, "primarySite"), "C504");
    assert_eq!(col(1, "addrAtDxState"), "NH");
    assert_eq!(col(1, "sexAssignedAtBirth"), "2");
    // No value longer than a year survives in any date column.
    for id in header.iter().filter(|h| h.starts_with("date")) {
        for row in 1..3 {
            assert!(col(row, id).len() <= 4, "{id}");
        }
    }

    // A younger patient keeps the birth year.
    let young = items(&[("dateOfBirth", "19700101")]);
    let t = items(&[("ageAtDiagnosis", "053")]);
    let d = release.deidentify(1, &young, &[t]);
    let i = release.columns().position(|c| c == "dateOfBirth").unwrap();
    assert_eq!(d.tumors[0][i], "1970");
    let dx = release
        .columns()
        .position(|c| c == "dateOfDiagnosis")
        .unwrap();

    // 90 or older at release though diagnosed at 76: the diagnosis year (2010) minus the age
    // would give the birth year (1934) and the age over 89, so the year is withheld too.
    let old = items(&[("dateOfBirth", "19340201")]);
    let t = items(&[("ageAtDiagnosis", "076"), ("dateOfDiagnosis", "20100301")]);
    let d = release.deidentify(2, &old, &[t]);
    let age = release
        .columns()
        .position(|c| c == "ageAtDiagnosis")
        .unwrap();
    assert_eq!(d.tumors[0][i], "", "birth year");
    assert_eq!(d.tumors[0][dx], "", "diagnosis year");
    assert_eq!(d.tumors[0][age], "076");
    let young = items(&[("dateOfBirth", "19700101")]);
    let t = items(&[("ageAtDiagnosis", "053"), ("dateOfDiagnosis", "20230301")]);
    assert_eq!(release.deidentify(3, &young, &[t]).tumors[0][dx], "2023");
}

// ---------------------------------------------------------------- suppression

/// A small fixed PRNG (SplitMix64) so every run checks the same tables.
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_table(rng: &mut SplitMix) -> (Vec<String>, Vec<Cell>) {
    let d = 1 + rng.below(4) as usize;
    let sizes: Vec<u64> = (0..d).map(|_| 1 + rng.below(5)).collect();
    let dims: Vec<String> = (0..d).map(|j| format!("dim{j}")).collect();
    let total: u64 = sizes.iter().product();
    let mut cells = Vec::new();
    for mut i in 0..total {
        if rng.below(6) == 0 {
            continue; // absent combination = zero
        }
        let keys = sizes
            .iter()
            .map(|s| {
                let k = i % s;
                i /= s;
                format!("v{k}")
            })
            .collect();
        let count = match rng.below(4) {
            0 => 0,
            1 => 1 + rng.below(15),
            2 => 16 + rng.below(10),
            _ => rng.below(300),
        };
        cells.push(Cell { keys, count });
    }
    (dims, cells)
}

/// Checks the published table against the input: shown values true, no small count shown,
/// every slice equation with 0 or 2+ hidden entries, no lone hidden cell in a slice, and the
/// hidden members of a slice with a shown total summing to 0 or at least the threshold.
fn check(dims: &[String], cells: &[Cell], t: &SuppressedTable, seed: u64) {
    let d = dims.len();
    let mut truth: HashMap<Vec<Option<String>>, u64> = HashMap::new();
    truth.insert(vec![None; d], 0); // the grand total exists even for an empty table
    for c in cells {
        for mask in 0u32..(1 << d) {
            let k: Vec<Option<String>> = (0..d)
                .map(|j| (mask & (1 << j) == 0).then(|| c.keys[j].clone()))
                .collect();
            *truth.entry(k).or_default() += c.count;
        }
    }
    let rows: HashMap<&Vec<Option<String>>, _> = t
        .cells
        .iter()
        .chain(&t.totals)
        .map(|r| (&r.keys, r))
        .collect();
    assert_eq!(
        rows.len(),
        truth.len(),
        "seed {seed}: every cell and total published"
    );
    for (k, r) in &rows {
        assert_eq!(r.suppressed, r.count.is_none(), "seed {seed}");
        if let Some(c) = r.count {
            assert_eq!(
                Some(&c),
                truth.get(*k),
                "seed {seed}: shown value is the true one"
            );
            assert!(
                c == 0 || c >= DEFAULT_THRESHOLD,
                "seed {seed}: small count {c} shown at {k:?}"
            );
        }
    }
    // Every 1-D slice: a total with one None, its members the rows filling that None.
    for (tk, total) in &rows {
        for j in 0..d {
            if tk[j].is_some() {
                continue;
            }
            let members: Vec<_> = rows
                .iter()
                .filter(|(k, _)| k[j].is_some() && (0..d).all(|i| i == j || k[i] == tk[i]))
                .map(|(_, r)| *r)
                .collect();
            let hidden = members.iter().filter(|r| r.suppressed).count();
            let eq_hidden = hidden + usize::from(total.suppressed);
            // A shown total minus the shown members is the sum of the hidden ones: it must not
            // itself be a small count, or it bounds each hidden cell below the threshold.
            if !total.suppressed {
                let hidden_sum: u64 = members
                    .iter()
                    .filter(|r| r.suppressed)
                    .map(|r| truth[&r.keys])
                    .sum();
                assert!(
                    hidden_sum == 0 || hidden_sum >= DEFAULT_THRESHOLD,
                    "seed {seed}: hidden cells of slice {tk:?} along {j} sum to {hidden_sum}"
                );
            }
            assert_ne!(
                eq_hidden, 1,
                "seed {seed}: slice {tk:?} along {j} has one unknown"
            );
            if hidden == 1 {
                let others_nonzero = members
                    .iter()
                    .filter(|r| !r.suppressed)
                    .any(|r| truth[&r.keys] > 0);
                assert!(
                    !others_nonzero && total.suppressed,
                    "seed {seed}: lone hidden cell in slice {tk:?} along {j}"
                );
            }
        }
    }
}

#[test]
fn suppression_property_over_random_tables() {
    let mut suppressed_any = 0;
    for seed in 0..400u64 {
        let mut rng = SplitMix(seed);
        let (dims, cells) = random_table(&mut rng);
        let t = suppress(&dims, &cells, DEFAULT_THRESHOLD).unwrap();
        check(&dims, &cells, &t, seed);
        if t.cells.iter().any(|r| r.suppressed) {
            suppressed_any += 1;
        }
    }
    assert!(suppressed_any > 100, "the tables exercise suppression");
}

#[test]
fn realistic_five_way_table() {
    let mut rng = SplitMix(99);
    let dims: Vec<String> = ["siteRecode", "dxYear", "sex", "summaryStage", "ageGroup"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut cells = Vec::new();
    for site in ["39", "49", "30", "20", "70"] {
        for year in 2019..2024 {
            for sex in ["1", "2"] {
                for stage in ["1", "2", "3", "7", "9"] {
                    for age in ["40-44", "60-64", "85+"] {
                        let count = rng.below(40);
                        cells.push(Cell {
                            keys: vec![
                                site.into(),
                                year.to_string(),
                                sex.into(),
                                stage.into(),
                                age.into(),
                            ],
                            count,
                        });
                    }
                }
            }
        }
    }
    let t = suppress(&dims, &cells, DEFAULT_THRESHOLD).unwrap();
    check(&dims, &cells, &t, 99);
    assert_eq!(t.totals.last().unwrap().keys, vec![None; 5]);
}

// ---------------------------------------------------------------- site recode

/// The reference folder the service reads: `CANCER_REGISTRY_REFERENCE`, else the published
/// files shipped in `data/reference` (what the binary embeds).
fn reference_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("CANCER_REGISTRY_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("data/reference"));
    assert!(
        dir.join("seer-site-recode/site-recode-data-2023.csv")
            .is_file(),
        "SEER site recode table missing under {}",
        dir.display()
    );
    Some(dir)
}

#[test]
fn embedded_site_recode_is_the_shipped_file() {
    let embedded =
        SiteRecodeTable::load_source(&cancer_registry::refdata::Source::Embedded("reference"))
            .unwrap();
    let dir = reference_dir().unwrap();
    let shipped = SiteRecodeTable::load(&dir).unwrap();
    assert_eq!(embedded.len(), shipped.len());
    assert!(embedded.len() > 50, "{}", embedded.len());
}

#[test]
fn site_recode_known_groups() {
    let Some(dir) = reference_dir() else { return };
    let t = SiteRecodeTable::load(&dir).unwrap();
    let g = |s, h, b, y| {
        t.recode(s, h, b, Some(y))
            .map(|g| (g.recode.as_str(), g.name.as_str()))
    };
    assert_eq!(g("C504", "8500", "3", 2020), Some(("39", "Breast")));
    assert_eq!(g("C504", "8500", "2", 2020), Some(("39", "Breast")));
    assert_eq!(g("C619", "8140", "3", 2021), Some(("49", "Prostate")));
    assert_eq!(
        g("C349", "8140", "3", 2021),
        Some(("30", "Lung and Bronchus"))
    );
    assert_eq!(
        g("C445", "8720", "3", 2021),
        Some(("37", "Melanoma of the Skin"))
    );
    assert_eq!(g("C187", "8140", "3", 2021).map(|x| x.0), Some("20"));
    // Lymphomas belong to their group whatever the site.
    for site in ["C504", "C160", "C779", "C619"] {
        assert_eq!(
            g(site, "9680", "3", 2020),
            Some(("70", "Non-Hodgkin Lymphomas")),
            "{site}"
        );
        assert_eq!(
            g(site, "9650", "3", 2020),
            Some(("69", "Hodgkin Lymphomas")),
            "{site}"
        );
    }
    // 9727 moved from precursor lymphoid neoplasms to NHL in 2010.
    assert_eq!(g("C779", "9727", "3", 2009).map(|x| x.0), Some("67"));
    assert_eq!(g("C779", "9727", "3", 2010).map(|x| x.0), Some("70"));
    assert_eq!(g("C710", "9530", "0", 2020).map(|x| x.0), Some("81"));
    assert_eq!(
        g("C504", "8500", "0", 2020),
        None,
        "benign breast has no group"
    );
    assert_eq!(
        g("C504", "9050", "3", 2020).map(|x| x.0),
        Some("77"),
        "mesothelioma"
    );
    assert_eq!(t.recode("garbage", "", "", None), None);
}

#[test]
fn site_recode_every_row_parses() {
    let Some(dir) = reference_dir() else { return };
    let t = SiteRecodeTable::load(&dir).unwrap();
    let text =
        std::fs::read_to_string(dir.join("seer-site-recode/site-recode-data-2023.csv")).unwrap();
    // Data rows whose last field (the recode) is not empty: each became a rule.
    let with_recode = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.trim_end().ends_with(','))
        .count();
    assert_eq!(t.len(), with_recode);
    assert!(t.len() > 80);
    assert!(t.groups().iter().any(|g| g.name == "Breast"));
    // Every site/histology/behavior combination maps without panicking, most to a group.
    let mut mapped = 0;
    for site in (0..=809).step_by(7) {
        for hist in (8000..=9993).step_by(13) {
            if t.recode(&format!("C{site:03}"), &hist.to_string(), "3", Some(2022))
                .is_some()
            {
                mapped += 1;
            }
        }
    }
    assert!(mapped > 5_000, "{mapped}");
}

#[test]
fn missing_reference_dir_is_an_error() {
    let e = SiteRecodeTable::load("/nonexistent/reference").unwrap_err();
    assert!(e.to_string().contains("CANCER_REGISTRY_REFERENCE"));
}

#[test]
fn age_groups_cover_the_codes() {
    assert_eq!(age_group("000"), Some("00-04"));
    assert_eq!(age_group("047"), Some("45-49"));
    assert_eq!(age_group("095"), Some("85+"));
    assert_eq!(age_group("999"), None);
}
