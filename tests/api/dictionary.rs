//! The built-in dictionary and code tables against the published NAACCR files, and the
//! dictionary endpoint.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;

use crate::both_backends;
use crate::support::*;
use cancer_registry::naaccr::{codes, Dictionary, Level};

/// `ItemDef` attributes of a dictionary XML, by naaccrId.
fn published_items(xml: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for chunk in xml.split("<ItemDef ").skip(1) {
        let end = chunk.find("/>").unwrap();
        let mut attrs = BTreeMap::new();
        let mut rest = &chunk[..end];
        while let Some(eq) = rest.find("=\"") {
            let name = rest[..eq].trim().to_string();
            let after = &rest[eq + 2..];
            let close = after.find('"').unwrap();
            attrs.insert(name, after[..close].replace("&amp;", "&"));
            rest = &after[close + 1..];
        }
        out.insert(attrs["naaccrId"].clone(), attrs);
    }
    out
}

fn cross_check(dict: &Dictionary, file: &str) {
    let Some(path) = shared_file(&format!("naaccr/dictionaries/{file}")) else {
        return;
    };
    let published = published_items(&std::fs::read_to_string(path).unwrap());
    assert_eq!(published.len(), dict.items().len(), "{file}: item count");
    for (id, attrs) in &published {
        let item = dict
            .item(id)
            .unwrap_or_else(|| panic!("{file}: {id} missing"));
        assert_eq!(item.number.to_string(), attrs["naaccrNum"], "{id} number");
        assert_eq!(item.length.to_string(), attrs["length"], "{id} length");
        let data_type = attrs.get("dataType").map(String::as_str).unwrap_or("text");
        assert_eq!(item.data_type.as_str(), data_type, "{id} type");
        assert_eq!(
            item.level.xml_element(),
            attrs["parentXmlElement"],
            "{id} level"
        );
        let rt = attrs
            .get("recordTypes")
            .map(String::as_str)
            .unwrap_or("A,M,C,I");
        let mut expected: Vec<&str> = rt.split(',').collect();
        expected.sort();
        let mut ours = item.record_types.to_vec();
        ours.sort();
        assert_eq!(ours, expected, "{id} record types");
        if file.contains("260") {
            assert_eq!(item.name, attrs["naaccrName"], "{id} name");
        }
    }
}

#[test]
fn v260_matches_the_published_dictionary() {
    cross_check(Dictionary::v260(), "naaccr-dictionary-260.xml");
}

#[test]
fn v250_matches_the_published_dictionary() {
    cross_check(Dictionary::v250(), "naaccr-dictionary-250.xml");
}

fn csv_first_column(path: std::path::PathBuf) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').next().unwrap().trim_matches('"').to_string())
        .collect()
}

#[test]
fn icdo3_tables_match_the_published_lists() {
    if let Some(path) = shared_file("reference/icdo3/primarySite.csv") {
        let sites = csv_first_column(path);
        assert_eq!(sites.len(), 330);
        for s in &sites {
            assert_eq!(codes::is_valid("primarySite", s), Some(true), "{s}");
        }
        assert_eq!(
            codes::code_values("primarySite").unwrap().len(),
            sites.len()
        );
    }
    if let Some(path) = shared_file("reference/icdo3/histologicTypeIcdO3_preferredTermsOnly.csv") {
        let mut hists: Vec<String> = csv_first_column(path)
            .into_iter()
            .map(|c| c.split('/').next().unwrap().to_string())
            .collect();
        hists.sort();
        hists.dedup();
        for h in &hists {
            assert_eq!(codes::is_valid("histologicTypeIcdO3", h), Some(true), "{h}");
        }
        assert_eq!(
            codes::code_values("histologicTypeIcdO3").unwrap().len(),
            hists.len()
        );
    }
    if let Some(path) = shared_file("reference/icdo3/behaviorCodeIcdO3.csv") {
        // Registries report behaviors 0 to 3; the list also has 6 (metastatic), never reported.
        for b in csv_first_column(path) {
            assert_eq!(
                codes::is_valid("behaviorCodeIcdO3", &b),
                Some(b != "6"),
                "{b}"
            );
        }
    }
}

async fn dictionary_endpoint(app: TestApp) {
    let t = app.registrar();
    let r = app.get("/api/v1/dictionary/items", &t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], "260");
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 771);
    let site = items.iter().find(|i| i["id"] == "primarySite").unwrap();
    assert_eq!(site["number"], 400);
    assert_eq!(site["level"], "Tumor");
    assert_eq!(site["length"], 4);
    assert!(site["codes"].as_array().unwrap().len() > 300);
    let sex = items
        .iter()
        .find(|i| i["id"] == "sexAssignedAtBirth")
        .unwrap();
    assert_eq!(sex["codes"], serde_json::json!(["1", "2", "9"]));
    assert_eq!(sex["pattern"], "^[0-9]{1}$");
    let name = items.iter().find(|i| i["id"] == "nameLast").unwrap();
    assert_eq!(name["recordTypes"], serde_json::json!(["A", "M", "C"]));
    let r = app.get("/api/v1/dictionary/items?version=250", &t).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 780);
    assert!(r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == "sex"));
    let r = app.get("/api/v1/dictionary/items?version=180", &t).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(Dictionary::v260()
        .items()
        .iter()
        .all(|i| i.level != Level::Root || i.number < 100));
}
both_backends!(dictionary_endpoint, dictionary_endpoint);

/// The code tables written into the source agree with the NAACCR v26 lookups
/// (`reference/naaccr-lookups/naaccr-lookups-260.zip`), but for deliberate differences: behavior
/// 6 (metastatic) is never reported to registries, Race 1 cannot be 88 ("no further race",
/// which only Race 2-5 take), and the record types L and U of the lookup are not NAACCR XML
/// record types.
#[test]
fn code_tables_match_the_naaccr_lookups() {
    let Some(zip) = shared_file("reference/naaccr-lookups/naaccr-lookups-260.zip") else {
        return;
    };
    let deliberate: &[(&str, &str)] = &[
        ("behaviorCodeIcdO3", "6"),
        ("race1", "88"),
        ("recordType", "L"),
        ("recordType", "U"),
    ];
    let mut compared = 0;
    for item in [
        "sexAssignedAtBirth",
        "vitalStatus",
        "laterality",
        "behaviorCodeIcdO3",
        "diagnosticConfirmation",
        "classOfCase",
        "maritalStatusAtDx",
        "spanishHispanicOrigin",
        "race1",
        "race2",
        "race3",
        "race4",
        "race5",
        "cancerStatus",
        "followUpSource",
        "nextFollowUpSource",
        "typeOfReportingSource",
        "recurrenceType1st",
        "recordType",
    ] {
        let out = match std::process::Command::new("unzip")
            .arg("-p")
            .arg(&zip)
            .arg(format!("naaccr-lookups-260/{item}.csv"))
            .output()
        {
            Ok(o) if o.status.success() => o.stdout,
            Ok(o) => panic!(
                "{item}: not in the lookups: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(_) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "unzip is needed in CI"
                );
                eprintln!("SKIP: unzip is not installed");
                return;
            }
        };
        let mut published: Vec<String> = String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| l.split(',').next())
            .map(|c| c.trim_matches('"').to_string())
            .filter(|c| !c.is_empty() && !deliberate.contains(&(item, c.as_str())))
            .collect();
        published.sort();
        let mut ours = codes::code_values(item).unwrap_or_else(|| panic!("{item}: no table"));
        ours.sort();
        assert_eq!(ours, published, "{item}");
        compared += 1;
    }
    assert_eq!(compared, 19);
}
