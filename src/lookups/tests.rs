#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn query(q: &str) -> Query<'_> {
    Query {
        q: Some(q),
        limit: 50,
        ..Default::default()
    }
}

fn codes(answer: &Answer) -> Vec<String> {
    answer
        .hits
        .iter()
        .map(|h| h.entry.code.to_string())
        .collect()
}

#[test]
fn infiltrating_duct_finds_8500_3_with_its_preferred_term() {
    let a = global()
        .find("histologicTypeIcdO3", &query("infiltrating duct"))
        .unwrap();
    let hit = a.hits.iter().find(|h| &*h.entry.code == "8500/3").unwrap();
    assert_eq!(
        &*hit.entry.label,
        "Invasive carcinoma of no special type (C50._) [BREAST ONLY]"
    );
    // The preferred term does not say "infiltrating duct": an alternate term matched.
    assert!(hit
        .matched
        .unwrap()
        .to_lowercase()
        .contains("infiltrating duct"));
}

#[test]
fn breast_finds_c500_to_c509_and_nothing_else() {
    let a = global().find("primarySite", &query("breast")).unwrap();
    let mut found = codes(&a);
    found.sort();
    assert_eq!(
        found,
        ["C500", "C501", "C502", "C503", "C504", "C505", "C506", "C508", "C509"]
    );
    assert_eq!(a.total, 9);
    // Nipple is found through its group (the surgery table "Breast"), after the labels.
    assert_eq!(codes(&a).last().map(String::as_str), Some("C500"));
    let nipple = a.hits.iter().find(|h| &*h.entry.code == "C500").unwrap();
    assert_eq!(nipple.matched, Some("Breast"));
}

#[test]
fn an_exact_code_comes_first_and_separators_do_not_matter() {
    let a = global().find("primarySite", &query("c50.4")).unwrap();
    assert_eq!(codes(&a), ["C504"]);
    assert_eq!(&*a.hits[0].entry.label, "Upper-outer quadrant of breast");
    let a = global()
        .find("histologicTypeIcdO3", &query("8500"))
        .unwrap();
    assert_eq!(codes(&a), ["8500/2", "8500/3"]);
    let a = global().find("laterality", &query("1")).unwrap();
    assert_eq!(codes(&a)[0], "1");
}

#[test]
fn words_match_word_starts_in_any_order() {
    let a = global()
        .find("histologicTypeIcdO3", &query("duct infiltr"))
        .unwrap();
    assert!(codes(&a).contains(&"8500/3".to_string()));
    // "uct" starts no word of any 8500/3 term.
    let a = global().find("histologicTypeIcdO3", &query("uct")).unwrap();
    assert!(!codes(&a).contains(&"8500/3".to_string()));
}

#[test]
fn surgery_codes_by_site_and_year() {
    let q = Query {
        site: Some("C504"),
        year: Some(2024),
        limit: 500,
        ..Default::default()
    };
    let a = global().find("rxSummSurgPrimSite2023", &q).unwrap();
    assert_eq!(a.table, Some((2024, "Breast")));
    let b200 = a.hits.iter().find(|h| &*h.entry.code == "B200").unwrap();
    assert!(b200.entry.label.starts_with("Partial mastectomy"));
    assert_eq!((b200.valid_from, b200.valid_to), (Some(2024), None));
    assert_eq!(codes(&a)[0], "B000");
    // The 2023 edition coded breast with A codes, valid for 2023 only.
    let q2023 = Query {
        year: Some(2023),
        ..q.clone()
    };
    let a = global().find("rxSummSurgPrimSite2023", &q2023).unwrap();
    assert_eq!(a.table, Some((2023, "Breast")));
    let a200 = a.hits.iter().find(|h| &*h.entry.code == "A200").unwrap();
    assert_eq!((a200.valid_from, a200.valid_to), (Some(2023), Some(2023)));
    // The 03-2022 item: 2-digit codes of the 2018 edition for 2019.
    let q2019 = Query {
        year: Some(2019),
        ..q.clone()
    };
    let a = global().find("rxSummSurgPrimSite", &q2019).unwrap();
    assert_eq!(a.table, Some((2018, "Breast")));
    assert!(codes(&a).contains(&"20".to_string()));
    // Searching within the table.
    let qs = Query {
        q: Some("mastectomy"),
        ..q
    };
    let a = global().find("rxSummSurgPrimSite2023", &qs).unwrap();
    assert!(a
        .hits
        .iter()
        .all(|h| h.entry.label.to_lowercase().contains("mastectomy")));
    assert!(a.total > 3);
}

#[test]
fn surgery_refuses_wrong_years_and_missing_sites() {
    let q = Query {
        site: Some("C504"),
        year: Some(2019),
        limit: 10,
        ..Default::default()
    };
    let e = global().find("rxSummSurgPrimSite2023", &q).unwrap_err();
    assert!(matches!(e, Error::Invalid { param: "year", .. }), "{e}");
    let q = Query {
        year: Some(2024),
        limit: 10,
        ..Default::default()
    };
    let e = global().find("rxSummSurgPrimSite2023", &q).unwrap_err();
    assert!(matches!(e, Error::Invalid { param: "site", .. }), "{e}");
    let q = Query {
        site: Some("X504"),
        limit: 10,
        ..Default::default()
    };
    let e = global().find("rxSummSurgPrimSite2023", &q).unwrap_err();
    assert!(matches!(e, Error::Invalid { param: "site", .. }), "{e}");
    let q = Query {
        site: Some("C504"),
        limit: 10,
        ..Default::default()
    };
    let e = global().find("laterality", &q).unwrap_err();
    assert!(matches!(e, Error::Invalid { param: "site", .. }), "{e}");
    let e = global().find("nameLast", &query("x")).unwrap_err();
    assert!(matches!(e, Error::UnknownItem(_)));
}

#[test]
fn surgery_rows_match_the_published_files() {
    let files = load::surgery_files();
    assert_eq!(global().surgery.len(), files.len());
    for (edition, (_, text)) in global().surgery.iter().zip(&files) {
        let coded = text
            .lines()
            .filter(|l| {
                let l = l.trim();
                l.starts_with("<code>") && !l.starts_with("<code></code>")
            })
            .count();
        let rows: usize = edition.tables.iter().map(|t| t.entries.len()).sum();
        assert_eq!(rows, coded, "edition {}", edition.year);
        assert_eq!(
            edition.tables.len(),
            text.matches("<site-inclusion>").count()
        );
        assert!(edition.tables.iter().all(|t| !t.title.is_empty()));
    }
}

#[test]
fn item_lists_come_from_the_lookups_zip() {
    let list = global().list();
    let ids: Vec<&str> = list.iter().map(|l| l.id).collect();
    for id in [
        "laterality",
        "classOfCase",
        "diagnosticConfirmation",
        "primarySite",
        "histologicTypeIcdO3",
        "rxSummSurgPrimSite2023",
        "causeOfDeath",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    let a = global()
        .find(
            "laterality",
            &Query {
                limit: 100,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        a.hits[3].entry.label.as_ref(),
        "Only one side, not specified"
    );
    let a = global().find("causeOfDeath", &query("C509")).unwrap();
    assert_eq!(codes(&a)[0], "C509");
    // 1,371 ICD-O-3 morphology/behavior codes, as in the preferred-terms list.
    let h = global()
        .find(
            "histologicTypeIcdO3",
            &Query {
                limit: 1,
                ..Default::default()
            },
        )
        .unwrap();
    let preferred =
        include_str!("../../data/reference/icdo3/histologicTypeIcdO3_preferredTermsOnly.csv");
    assert_eq!(h.total, preferred.lines().filter(|l| !l.is_empty()).count());
}

#[test]
fn quoted_csv_fields() {
    let rows: Vec<Vec<String>> =
        load::csv_rows("3,\"Only one side, not specified\"\n9,\"a \"\"b\"\"\"\n").collect();
    assert_eq!(rows[0], ["3", "Only one side, not specified"]);
    assert_eq!(rows[1], ["9", "a \"b\""]);
}

#[test]
fn the_word_index_finds_what_a_full_scan_finds() {
    let lookup = &global().items["causeOfDeath"];
    assert!(lookup.index.is_some());
    for q in [
        "malignant neoplasm breast",
        "cholera",
        "a",
        "vibrio chol",
        "zzzz",
    ] {
        let query = query(q);
        let (indexed, hits) = search::run(&lookup.entries, lookup.index.as_ref(), &query);
        let (scanned, all) = search::run_scanning(&lookup.entries, lookup.index.as_ref(), &query);
        assert_eq!(indexed, scanned, "{q}");
        let codes = |h: &[(&Entry, Option<&str>)]| {
            h.iter()
                .map(|(e, _)| e.code.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(&hits), codes(&all), "{q}");
    }
}
