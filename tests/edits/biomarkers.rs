//! The biomarker and lab pairs beyond ER/PR (E19-E30, `src/edits/rules/i_biomarkers.rs`):
//! each passes a consistent pair and fails an inconsistent one naming both items.

use cancer_registry::edits::{self, EditFailure};
use cancer_registry::naaccr::Items;

use super::{items, tables, PATIENT};

fn tumor(schema: &str, site: &str, hist: &str, dx: &str, ssdis: &[(&str, &str)]) -> Items {
    let mut t = items(&[
        ("primarySite", site),
        ("histologicTypeIcdO3", hist),
        ("behaviorCodeIcdO3", "3"),
        ("dateOfDiagnosis", dx),
        ("schemaId", schema),
    ]);
    for (k, v) in ssdis {
        t.insert(k.to_string(), v.to_string());
    }
    t
}

fn breast(dx: &str, ssdis: &[(&str, &str)]) -> Items {
    tumor("00480", "C504", "8500", dx, ssdis)
}

fn prostate(ssdis: &[(&str, &str)]) -> Items {
    tumor("00580", "C619", "8140", "20220510", ssdis)
}

fn testis(ssdis: &[(&str, &str)]) -> Items {
    tumor("00590", "C629", "9061", "20220510", ssdis)
}

/// The failure of `edit` on the tumor, if any (whole catalog, catalog severities).
fn failure(edit: &str, t: Items) -> Option<EditFailure> {
    let tables = tables()?;
    edits::run_catalog(&items(PATIENT), &[t], tables)
        .into_iter()
        .find(|f| f.edit_id == edit && !f.overridden)
}

/// Fails `edit` naming `named`, or skips without the tables.
fn fails(edit: &str, t: Items, named: &[&str]) {
    if tables().is_none() {
        return;
    }
    let f = failure(edit, t).unwrap_or_else(|| panic!("{edit} should fail"));
    for id in named {
        assert!(f.items.iter().any(|i| i == id), "{edit}: {:?}", f.items);
    }
    assert!(!f.message.is_empty());
}

fn passes(edit: &str, t: Items) {
    if let Some(f) = failure(edit, t) {
        panic!("{edit} should pass: {f:#?}");
    }
}

#[test]
fn her2_overall_summary_follows_ihc_and_ish() {
    let ok = [
        ("her2IhcSummary", "3"),
        ("her2IshSummary", "9"),
        ("her2OverallSummary", "1"),
    ];
    passes("E19", breast("20190301", &ok));
    let ok = [
        ("her2IhcSummary", "2"),
        ("her2IshSummary", "0"),
        ("her2OverallSummary", "0"),
    ];
    passes("E19", breast("20190301", &ok));
    // IHC 2+ then ISH amplified: positive
    let bad = [
        ("her2IhcSummary", "2"),
        ("her2IshSummary", "3"),
        ("her2OverallSummary", "0"),
    ];
    fails(
        "E19",
        breast("20190301", &bad),
        &["her2OverallSummary", "her2IhcSummary", "her2IshSummary"],
    );
    // both tests negative: not positive
    let bad = [
        ("her2IhcSummary", "1"),
        ("her2IshSummary", "0"),
        ("her2OverallSummary", "1"),
    ];
    fails("E19", breast("20190301", &bad), &["her2OverallSummary"]);
    // an unknown test says nothing
    let unknown = [
        ("her2IhcSummary", "1"),
        ("her2IshSummary", "9"),
        ("her2OverallSummary", "1"),
    ];
    passes("E19", breast("20190301", &unknown));
}

#[test]
fn gleason_score_is_the_sum_of_the_patterns() {
    passes(
        "E20",
        prostate(&[
            ("gleasonPatternsClinical", "34"),
            ("gleasonScoreClinical", "07"),
        ]),
    );
    passes(
        "E20",
        prostate(&[
            ("gleasonPatternsClinical", "X6"),
            ("gleasonScoreClinical", "08"),
        ]),
    );
    fails(
        "E20",
        prostate(&[
            ("gleasonPatternsClinical", "34"),
            ("gleasonScoreClinical", "08"),
        ]),
        &["gleasonPatternsClinical", "gleasonScoreClinical"],
    );
    fails(
        "E20",
        prostate(&[
            ("gleasonPatternsClinical", "X7"),
            ("gleasonScoreClinical", "06"),
        ]),
        &["gleasonScoreClinical"],
    );
    passes(
        "E21",
        prostate(&[
            ("gleasonPatternsPathological", "X7"),
            ("gleasonScorePathological", "X7"),
        ]),
    );
    fails(
        "E21",
        prostate(&[
            ("gleasonPatternsPathological", "45"),
            ("gleasonScorePathological", "07"),
        ]),
        &["gleasonPatternsPathological", "gleasonScorePathological"],
    );
}

#[test]
fn oncotype_risk_level_follows_the_score() {
    let inv = |s: &str, k: &str| {
        breast(
            "20220301",
            &[
                ("oncotypeDxRecurrenceScoreInvasiv", s),
                ("oncotypeDxRiskLevelInvasive", k),
            ],
        )
    };
    passes("E22", inv("017", "0"));
    passes("E22", inv("018", "1"));
    passes("E22", inv("031", "2"));
    passes("E22", inv("XX4", "0"));
    passes("E22", inv("XX9", "9"));
    fails(
        "E22",
        inv("025", "0"),
        &[
            "oncotypeDxRecurrenceScoreInvasiv",
            "oncotypeDxRiskLevelInvasive",
        ],
    );
    fails("E22", inv("XX4", "2"), &["oncotypeDxRiskLevelInvasive"]);
    fails("E22", inv("XX6", "0"), &["oncotypeDxRiskLevelInvasive"]);
    let dcis = |s: &str, k: &str| {
        breast(
            "20220301",
            &[
                ("oncotypeDxRecurrenceScoreDcis", s),
                ("oncotypeDxRiskLevelDcis", k),
            ],
        )
    };
    passes("E23", dcis("038", "0"));
    passes("E23", dcis("054", "1"));
    passes("E23", dcis("XX6", "6"));
    fails(
        "E23",
        dcis("055", "1"),
        &["oncotypeDxRecurrenceScoreDcis", "oncotypeDxRiskLevelDcis"],
    );
    fails("E23", dcis("020", "6"), &["oncotypeDxRiskLevelDcis"]);
}

#[test]
fn testis_marker_ranges_follow_the_lab_values() {
    passes(
        "E24",
        testis(&[
            ("afpPreOrchiectomyLabValue", "1500.0"),
            ("afpPreOrchiectomyRange", "2"),
            ("afpPostOrchiectomyLabValue", "XXXXX.9"),
            ("afpPostOrchiectomyRange", "9"),
        ]),
    );
    fails(
        "E24",
        testis(&[
            ("afpPreOrchiectomyLabValue", "12000.0"),
            ("afpPreOrchiectomyRange", "2"),
        ]),
        &["afpPreOrchiectomyLabValue", "afpPreOrchiectomyRange"],
    );
    fails(
        "E24",
        testis(&[
            ("afpPostOrchiectomyLabValue", "XXXXX.1"),
            ("afpPostOrchiectomyRange", "1"),
        ]),
        &["afpPostOrchiectomyRange"],
    );
    passes(
        "E25",
        testis(&[
            ("hcgPreOrchiectomyLabValue", "4.0"),
            ("hcgPreOrchiectomyRange", "0"),
            ("hcgPostOrchiectomyLabValue", "60000.0"),
            ("hcgPostOrchiectomyRange", "3"),
        ]),
    );
    fails(
        "E25",
        testis(&[
            ("hcgPreOrchiectomyLabValue", "6000.0"),
            ("hcgPreOrchiectomyRange", "1"),
        ]),
        &["hcgPreOrchiectomyLabValue", "hcgPreOrchiectomyRange"],
    );
}

#[test]
fn cores_positive_not_more_than_examined() {
    let c =
        |e: &str, p: &str| prostate(&[("numberOfCoresExamined", e), ("numberOfCoresPositive", p)]);
    passes("E26", c("12", "03"));
    passes("E26", c("12", "12"));
    passes("E26", c("X1", "40"));
    passes("E26", c("X6", "X6"));
    fails(
        "E26",
        c("06", "08"),
        &["numberOfCoresExamined", "numberOfCoresPositive"],
    );
    fails("E26", c("X7", "03"), &["numberOfCoresPositive"]);
}

fn corpus(ssdis: &[(&str, &str)]) -> Items {
    tumor("00530", "C541", "8380", "20220510", ssdis)
}

fn liver(ssdis: &[(&str, &str)]) -> Items {
    tumor("00220", "C220", "8170", "20220510", ssdis)
}

#[test]
fn positive_nodes_not_more_than_examined() {
    let pa = |e: &str, p: &str| {
        corpus(&[
            ("numberOfExaminedParaAorticNodes", e),
            ("numberOfPositiveParaAorticNodes", p),
        ])
    };
    passes("E27", pa("07", "02"));
    passes("E27", pa("07", "07"));
    passes("E27", pa("X1", "40"));
    passes("E27", pa("00", "X9"));
    passes("E27", pa("X6", "X6"));
    fails(
        "E27",
        pa("03", "05"),
        &[
            "numberOfExaminedParaAorticNodes",
            "numberOfPositiveParaAorticNodes",
        ],
    );
    fails("E27", pa("00", "00"), &["numberOfPositiveParaAorticNodes"]);
    let pelvic = |e: &str, p: &str| {
        corpus(&[
            ("numberOfExaminedPelvicNodes", e),
            ("numberOfPositivePelvicNodes", p),
        ])
    };
    passes("E28", pelvic("12", "01"));
    passes("E28", pelvic("X8", "X8"));
    fails(
        "E28",
        pelvic("02", "X1"),
        &["numberOfExaminedPelvicNodes", "numberOfPositivePelvicNodes"],
    );
    fails("E28", pelvic("00", "X2"), &["numberOfPositivePelvicNodes"]);
}

#[test]
fn lab_values_have_their_unit() {
    let b = |v: &str, u: &str| {
        liver(&[
            ("bilirubinPretxTotalLabValue", v),
            ("bilirubinPretxUnitOfMeasure", u),
        ])
    };
    passes("E29", b("1.2", "1"));
    passes("E29", b("20.5", "2"));
    passes("E29", b("XXX.1", "1"));
    passes("E29", b("XXX.9", "9"));
    fails(
        "E29",
        b("1.2", "9"),
        &["bilirubinPretxTotalLabValue", "bilirubinPretxUnitOfMeasure"],
    );
    fails("E29", b("XXX.8", "1"), &["bilirubinPretxUnitOfMeasure"]);
    let c = |v: &str, u: &str| {
        liver(&[
            ("creatininePretreatmentLabValue", v),
            ("creatininePretxUnitOfMeasure", u),
        ])
    };
    passes("E30", c("0.9", "1"));
    passes("E30", c("XX.7", "7"));
    fails(
        "E30",
        c("XX.7", "2"),
        &[
            "creatininePretreatmentLabValue",
            "creatininePretxUnitOfMeasure",
        ],
    );
}

/// The catalog names the site-specific data items each pair edit compares.
#[test]
fn catalog_names_the_compared_items() {
    let cat = edits::catalog();
    let e19 = cat.iter().find(|e| e.id == "E19").unwrap();
    assert!(e19.items.contains(&"her2OverallSummary"));
    let e17 = cat.iter().find(|e| e.id == "E17").unwrap();
    assert!(e17.items.contains(&"estrogenReceptorPercntPosOrRange"));
}
