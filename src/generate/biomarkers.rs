//! Makes the generated biomarker and lab pairs agree the way the SSDI Manual defines them
//! (edits E19-E30): the codes of each item are drawn independently from the schema's code
//! table, so the summary, score, range or count that restates another item is derived here
//! from it. Only items the tumor already carries are changed; none is added.

use crate::edits::rules::i_biomarkers::{count, unit_for};
use crate::naaccr::Items;

fn get<'a>(m: &'a Items, id: &str) -> Option<&'a str> {
    m.get(id).map(String::as_str)
}

/// Both items of a pair, owned (the caller rewrites one of them).
fn pair(m: &Items, a: &str, b: &str) -> Option<(String, String)> {
    Some((get(m, a)?.to_string(), get(m, b)?.to_string()))
}

fn set(m: &mut Items, id: &str, v: impl Into<String>) {
    if let Some(slot) = m.get_mut(id) {
        *slot = v.into();
    }
}

/// Rewrites the dependent item of each pair the tumor carries.
pub(super) fn agree(m: &mut Items) {
    her2(m);
    for (patterns, score) in [
        ("gleasonPatternsClinical", "gleasonScoreClinical"),
        ("gleasonPatternsPathological", "gleasonScorePathological"),
    ] {
        gleason(m, patterns, score);
    }
    oncotype(
        m,
        "oncotypeDxRecurrenceScoreInvasiv",
        "oncotypeDxRiskLevelInvasive",
        17,
        30,
    );
    oncotype(
        m,
        "oncotypeDxRecurrenceScoreDcis",
        "oncotypeDxRiskLevelDcis",
        38,
        54,
    );
    for (value, range, low, high) in [
        (
            "afpPreOrchiectomyLabValue",
            "afpPreOrchiectomyRange",
            1_000.0,
            10_000.0,
        ),
        (
            "afpPostOrchiectomyLabValue",
            "afpPostOrchiectomyRange",
            1_000.0,
            10_000.0,
        ),
        (
            "hcgPreOrchiectomyLabValue",
            "hcgPreOrchiectomyRange",
            5_000.0,
            50_000.0,
        ),
        (
            "hcgPostOrchiectomyLabValue",
            "hcgPostOrchiectomyRange",
            5_000.0,
            50_000.0,
        ),
    ] {
        lab_range(m, value, range, low, high);
    }
    cores(m);
    for (examined, positive) in [
        (
            "numberOfExaminedParaAorticNodes",
            "numberOfPositiveParaAorticNodes",
        ),
        ("numberOfExaminedPelvicNodes", "numberOfPositivePelvicNodes"),
    ] {
        nodes(m, examined, positive);
    }
    for (value, unit) in [
        ("bilirubinPretxTotalLabValue", "bilirubinPretxUnitOfMeasure"),
        (
            "creatininePretreatmentLabValue",
            "creatininePretxUnitOfMeasure",
        ),
    ] {
        lab_unit(m, value, unit);
    }
}

/// Positive nodes are at most the nodes examined; none examined (00) leaves no count.
fn nodes(m: &mut Items, examined: &str, positive: &str) {
    let Some((e, p)) = pair(m, examined, positive) else {
        return;
    };
    if e == "00" && (count(&p).is_some() || p == "X2") {
        set(m, positive, "X9");
        return;
    }
    if let (Some(ne), Some(np)) = (count(&e), count(&p)) {
        if np > ne && e != "X1" {
            set(m, positive, e);
        }
    }
}

/// The unit goes with the value: 1 or 2 for a number, 7/8/9 for the value's .7/.8/.9.
fn lab_unit(m: &mut Items, value: &str, unit: &str) {
    let Some((v, u)) = pair(m, value, unit) else {
        return;
    };
    match unit_for(&v) {
        Some(code) => set(m, unit, code),
        None if !matches!(u.as_str(), "1" | "2") => set(m, unit, "1"),
        None => {}
    }
}

/// Any positive test makes the overall summary positive; negative/equivocal tests make it 0.
fn her2(m: &mut Items) {
    let (Some(ihc), Some(ish)) = (get(m, "her2IhcSummary"), get(m, "her2IshSummary")) else {
        return;
    };
    let overall = if ihc == "3" || ish == "3" {
        "1"
    } else if matches!(ihc, "0" | "1" | "2" | "4") && matches!(ish, "0" | "2") {
        "0"
    } else {
        return;
    };
    set(m, "her2OverallSummary", overall);
}

/// The score is the sum of the two patterns; X7 (procedure not done) in one is X7 in both.
fn gleason(m: &mut Items, patterns: &str, score: &str) {
    let Some(p) = get(m, patterns).map(str::to_string) else {
        return;
    };
    let b = p.as_bytes();
    if p == "X7" {
        set(m, score, "X7");
    } else if b.len() == 2 && (b'1'..=b'5').contains(&b[0]) && (b'1'..=b'5').contains(&b[1]) {
        let sum = u32::from(b[0] - b'0') + u32::from(b[1] - b'0');
        set(m, score, format!("{sum:02}"));
    } else if get(m, score) == Some("X7") {
        set(m, score, "X9");
    }
}

/// The risk level of a numeric recurrence score; in situ/invasive "not applicable" codes pair.
fn oncotype(m: &mut Items, score: &str, risk: &str, low_max: u32, mid_max: u32) {
    let Some(s) = get(m, score).map(str::to_string) else {
        return;
    };
    let level = match s.parse::<u32>() {
        Ok(n) if n <= low_max => "0",
        Ok(n) if n <= mid_max => "1",
        Ok(_) => "2",
        Err(_) if s == "XX6" => "6",
        Err(_) if s == "XX4" => "0",
        Err(_) => "9",
    };
    set(m, risk, level);
}

/// The range code of a numeric lab value (below `low`: 1 above normal, as the value is drawn
/// without a normal limit).
fn lab_range(m: &mut Items, value: &str, range: &str, low: f64, high: f64) {
    let Some(v) = get(m, value) else { return };
    let v = if v == "XXXXX.1" {
        f64::INFINITY
    } else {
        match v.parse::<f64>() {
            Ok(v) => v,
            Err(_) => return,
        }
    };
    let code = if v < low {
        if get(m, range).is_some_and(|r| r == "0" || r == "1") {
            return;
        }
        "1"
    } else if v <= high {
        "2"
    } else {
        "3"
    };
    set(m, range, code);
}

/// Positive cores are at most the cores examined; X7 (no biopsy) pairs.
fn cores(m: &mut Items) {
    let Some((e, p)) = pair(m, "numberOfCoresExamined", "numberOfCoresPositive") else {
        return;
    };
    if e == "X7" || p == "X7" {
        set(m, "numberOfCoresExamined", "X7");
        set(m, "numberOfCoresPositive", "X7");
        return;
    }
    if let (Some(ne), Some(np)) = (count(&e), count(&p)) {
        if np > ne && e != "X1" {
            set(m, "numberOfCoresPositive", e);
        }
    }
}
