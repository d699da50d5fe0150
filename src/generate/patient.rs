//! Builds one synthetic patient with its tumors.
//!
//! Order of draws: sex, number of tumors, diagnosis dates, each tumor's site/histology/behavior
//! row (from the sex's table), the age group of the first tumor's site (hence the birth date),
//! vital status and last contact, demographics, then each tumor's coding.
//! Every rule that keeps the edits passing is stated next to the draw it shapes.

use super::date::Day;
use super::rng::{Rng, Weighted};
use super::tables::{EodSchema, Field, GeneratorTables, SelectionRow, SiteRow, Spec};
use crate::edits::codes::{lat_rule, LatRule, IMPLIED_GRADE};
use crate::naaccr::xml::{Patient, Tumor};
use crate::naaccr::Items;

/// Nothing is dated after this day, so the output does not depend on when it is generated.
pub const LAST_DAY: (i32, u32, u32) = (2025, 12, 31);

/// Number of reporting facilities in the pool (`0000000001` ..).
pub const FACILITIES: u64 = 10;

fn put(items: &mut Items, id: &str, v: impl Into<String>) {
    items.insert(id.to_string(), v.into());
}

/// Picks from `(weight, value)` pairs written inline.
fn pick_w<'a>(rng: &mut Rng, choices: &[(u32, &'a str)]) -> &'a str {
    let total: u64 = choices.iter().map(|(w, _)| u64::from(*w)).sum();
    let mut x = rng.below(total);
    for (w, v) in choices {
        if x < u64::from(*w) {
            return v;
        }
        x -= u64::from(*w);
    }
    choices.last().map_or("", |(_, v)| v)
}

fn is_heme(hist: u16) -> bool {
    (9590..=9993).contains(&hist)
}

/// Sites and histologies that edits IF22/C18 question when a person has more than one
/// primary; a second tumor is redrawn rather than coded with them.
fn ill_defined(row: &SiteRow) -> bool {
    let (s, h) = (row.site_num, row.hist_num);
    (760..=768).contains(&s)
        || s == 809
        || (770..=779).contains(&s)
        || (420..=424).contains(&s)
        || (9740..=9758).contains(&h)
}

/// One tumor's drawn facts before coding.
struct Plan<'a> {
    row: &'a SiteRow,
    dx: Day,
}

/// The staging schema chosen for a 2018+ tumor.
struct Chosen<'a> {
    schema: &'a EodSchema,
    disc1: Option<String>,
    disc2: Option<String>,
}

fn matching_rows<'a>(
    t: &'a GeneratorTables,
    row: &SiteRow,
    year: u16,
    sex: &str,
) -> Vec<&'a SelectionRow> {
    let Some(rows) = t.selection.get(usize::from(row.site_num)) else {
        return Vec::new();
    };
    let sex_num: u32 = sex.parse().unwrap_or(9);
    rows.iter()
        .filter(|r| {
            r.hists
                .iter()
                .any(|(lo, hi)| *lo <= u32::from(row.hist_num) && u32::from(row.hist_num) <= *hi)
                && r.year.matches_num(u32::from(year))
                && r.behavior.matches_num(u32::from(row.behavior))
                && r.sex.matches_num(sex_num)
        })
        .collect()
}

/// Whether some EOD schema takes the tumor.
fn has_schema(t: &GeneratorTables, row: &SiteRow, year: u16, sex: &str) -> bool {
    !matching_rows(t, row, year, sex).is_empty()
}

/// Picks the EOD schema for a tumor by the archive's selection tables, preferring the schema
/// the site table names, and codes the discriminators the chosen row needs.
fn choose_schema<'a>(
    t: &'a GeneratorTables,
    rng: &mut Rng,
    row: &SiteRow,
    year: u16,
    sex: &str,
) -> Option<Chosen<'a>> {
    let matching = matching_rows(t, row, year, sex);
    let named = |r: &&&SelectionRow| {
        row.eod_schema.as_deref().is_some_and(|n| {
            t.eod
                .get(r.schema)
                .is_some_and(|s| s.name == n || s.name.starts_with(&format!("{n}_v")))
        })
    };
    let preferred: Vec<&&SelectionRow> = matching.iter().filter(named).collect();
    let pick = if preferred.is_empty() {
        rng.pick(&matching).copied()
    } else {
        rng.pick(&preferred).map(|r| **r)
    }?;
    let disc = |spec: &Spec, rng: &mut Rng| -> Option<String> {
        let codes = spec.codes();
        rng.pick(&codes).cloned()
    };
    // a discriminator is coded only where the selection looks at it, as registrars do (and
    // as E03/N3007 check). The staging archive flags some discriminators SEER-required for
    // the whole schema (lymphoma, thyroid, stomach, ...), which the edits engine's B10 turns
    // into "required" at every site: those tumors fail B10 (coding them fails E03 instead).
    let schema = t.eod.get(pick.schema)?;
    let listed =
        |f: fn(&SelectionRow) -> &Spec| matching.iter().any(|r| matches!(f(r), Spec::List { .. }));
    let from_schema = |id: &str, rng: &mut Rng| {
        schema
            .inputs
            .iter()
            .find(|i| i.field.id == id)
            .and_then(|i| i.field.draw(rng))
    };
    let disc1 = if listed(|r| &r.disc1) {
        disc(&pick.disc1, rng).or_else(|| from_schema("schemaDiscriminator1", rng))
    } else {
        None
    };
    let disc2 = if listed(|r| &r.disc2) {
        disc(&pick.disc2, rng).or_else(|| from_schema("schemaDiscriminator2", rng))
    } else {
        None
    };
    Some(Chosen {
        schema,
        disc1,
        disc2,
    })
}

/// A laterality fitting the site's rule (IF24) and, for in situ tumors of paired organs, a
/// known side (IF42).
fn laterality(rng: &mut Rng, site: u16, year: u16, behavior: u8) -> &'static str {
    match lat_rule(site, Some(year)) {
        LatRule::Paired | LatRule::PairedFrom(_) if behavior == 2 => {
            pick_w(rng, &[(50, "1"), (50, "2")])
        }
        LatRule::Paired | LatRule::PairedFrom(_) => {
            pick_w(rng, &[(47, "1"), (46, "2"), (1, "3"), (2, "4"), (4, "9")])
        }
        LatRule::RightOnly => "1",
        LatRule::Either => pick_w(rng, &[(80, "0"), (8, "1"), (8, "2"), (4, "9")]),
        LatRule::Unknown | LatRule::NotPaired => "0",
    }
}

/// Regional nodes (positive, examined) consistent with the stage (F07) and with each other
/// (E16): `positive` says whether nodes must, must not, or may be involved.
fn nodes(rng: &mut Rng, positive: Option<bool>) -> (String, String) {
    match pick_w(rng, &[(12, "unknown"), (28, "none"), (60, "examined")]) {
        "unknown" if positive != Some(true) => ("99".into(), "99".into()),
        "none" if positive != Some(true) => ("98".into(), "00".into()),
        _ => {
            let exam = rng.range(1, 30);
            let pos = match positive {
                Some(true) => rng.range(1, exam.min(12)),
                Some(false) => 0,
                None if rng.chance(0.3) => rng.range(1, exam.min(12)),
                None => 0,
            };
            (format!("{pos:02}"), format!("{exam:02}"))
        }
    }
}

/// A tumor size in millimetres as the size items write it, or an unknown code.
fn size(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=9 => "999".into(),
        10..=12 => "998".into(),
        _ => {
            // skewed towards small tumors, as most are found below 5 cm
            let u = rng.unit();
            let mm = (2.0 + 120.0 * u * u * u) as i64;
            format!("{mm:03}")
        }
    }
}

/// Codes a staging field, preferring the realistic value `want` when the field accepts it.
fn coded(field: &Field, rng: &mut Rng, want: Option<String>) -> Option<String> {
    match want {
        Some(v) if field.contains(&v) => Some(v),
        _ => field.draw(rng),
    }
}

/// Summary Stage 2018 that fits the behavior (E09) among the codes of the schema.
fn stage_2018(field: &Field, rng: &mut Rng, behavior: u8, schema_id: &str) -> Option<String> {
    let benign_schema = crate::edits::codes::SS2018_BENIGN_SCHEMAS.contains(&schema_id);
    let codes = field.exact_codes(|_| true);
    let expanded: Vec<String> = field
        .choices
        .iter()
        .flat_map(|c| match c {
            super::tables::Choice::Exact(s) => vec![s.clone()],
            super::tables::Choice::Range { lo, hi, .. } => {
                (*lo..=*hi).map(|n| n.to_string()).collect()
            }
        })
        .collect();
    let has = |c: &str| expanded.iter().any(|v| v == c) || codes.contains(&c);
    let want = match behavior {
        2 => "0",
        0 | 1 if benign_schema => "8",
        _ => pick_w(
            rng,
            &[
                (45, "1"),
                (16, "2"),
                (17, "3"),
                (16, "4"),
                (1, "7"),
                (5, "9"),
            ],
        ),
    };
    if has(want) {
        return Some(want.to_string());
    }
    let fallback: Vec<&String> = expanded
        .iter()
        .filter(|c| !matches!((behavior, c.as_str()), (3, "0" | "8") | (2, _)))
        .collect();
    rng.pick(&fallback).map(|s| (*s).clone())
}

/// Whether the stage implies involved regional nodes (`Some(true)`), uninvolved ones
/// (`Some(false)`) or says nothing.
fn stage_nodes(ss: &str) -> Option<bool> {
    match ss {
        "0" | "1" | "2" | "8" => Some(false),
        "3" => Some(true),
        _ => None,
    }
}

/// ICD-10 underlying cause for a death from the tumor: the topography code is an ICD-10
/// code for solid tumors; hematopoietic ones map to their ICD-10 group.
fn cancer_cause(row: &SiteRow) -> String {
    let h = row.hist_num;
    if (9590..=9729).contains(&h) {
        "C859".into()
    } else if (9730..=9739).contains(&h) {
        "C900".into()
    } else if (9800..=9949).contains(&h) {
        "C959".into()
    } else if is_heme(h) || (420..=424).contains(&row.site_num) {
        "C969".into()
    } else if row.behavior < 3 {
        "D489".into()
    } else {
        row.site.clone()
    }
}

/// NPI-shaped facility number: 10 digits whose last is the Luhn check digit computed with the
/// `80840` prefix, as real NPIs are, but built from the facility index so none is issued.
fn fake_npi(facility: u64) -> String {
    npi_with_check_digit(&format!("1{:08}", 99_000_000 + facility))
}

/// Appends the NPI check digit (Luhn over `80840` + the nine digits) to `base`.
fn npi_with_check_digit(base: &str) -> String {
    let digits: Vec<u32> = format!("80840{base}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                *d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

fn filler(rng: &mut Rng, words: &[&str], n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(words).copied().unwrap_or("NOS"));
    }
    s
}

const TEXT_WORDS: &[&str] = &[
    "biopsy",
    "specimen",
    "margins",
    "negative",
    "positive",
    "tumor",
    "measuring",
    "cm",
    "lymph",
    "nodes",
    "examined",
    "invasive",
    "carcinoma",
    "grade",
    "consistent",
    "with",
    "no",
    "evidence",
    "of",
    "metastatic",
    "disease",
    "imaging",
    "CT",
    "MRI",
    "PET",
    "shows",
    "mass",
    "left",
    "right",
    "lesion",
    "resection",
    "pathology",
    "report",
    "favor",
    "primary",
    "recommend",
    "follow-up",
    "oncology",
    "consult",
    "stable",
];

/// Non-cancer underlying causes of death (ICD-10): heart disease, COPD, stroke, ...
const OTHER_CAUSES: &[(u32, &str)] = &[
    (25, "I251"),
    (15, "I219"),
    (12, "J449"),
    (10, "I639"),
    (8, "G309"),
    (8, "E119"),
    (6, "J189"),
    (6, "N189"),
    (5, "A419"),
    (5, "K746"),
];

/// Builds patient number `index` (0-based) from its own random stream.
pub fn patient(t: &GeneratorTables, rng: &mut Rng, index: u64) -> Patient {
    let last_day = Day::from_ymd(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2);
    let sex = t.sex.draw(rng).cloned().unwrap_or_else(|| "2".into());
    let sites = t.site_table(&sex);

    // 1 tumor (95 %), 2 (4 %), 3 (1 %): the upstream generator's distribution
    let wanted = match rng.below(100) {
        0 => 3,
        1..=4 => 2,
        _ => 1,
    };
    // diagnosis years: mostly 2018+ (EOD staging), some 2004-2017 (CS / TNM), a few older
    let first_year = match rng.below(100) {
        0..=5 => rng.range(1995, 2003),
        6..=13 => rng.range(2004, 2015),
        14..=21 => rng.range(2016, 2017),
        _ => rng.range(2018, 2025),
    } as i32;
    let year_start = Day::from_ymd(first_year, 1, 1);
    let year_end = Day::from_ymd(first_year, 12, 31).min(last_day);
    let first_dx = year_start.plus(rng.range(0, year_end.0 - year_start.0));
    let mut plans: Vec<Plan<'_>> = Vec::with_capacity(wanted);
    for i in 0..wanted {
        let dx = if i == 0 {
            first_dx
        } else {
            let later = first_dx.plus(rng.range(90, 3000));
            if later > last_day {
                first_dx.plus(rng.range(0, (last_day.0 - first_dx.0).max(0)))
            } else {
                later
            }
        };
        let year = dx.year() as u16;
        for _ in 0..40 {
            let Some(r) = sites.draw(rng) else { break };
            // a person's primaries must differ (IR09) and be well defined (IF22/C18)
            let clash = plans.iter().any(|p| {
                p.row.site_num / 10 == r.site_num / 10 && p.row.hist_num / 10 == r.hist_num / 10
            });
            let fits =
                i == 0 || (!clash && !ill_defined(r) && !plans.iter().any(|p| ill_defined(p.row)));
            // some table rows carry histologies retired before 2018 (no EOD schema takes them)
            if fits && (year < 2018 || has_schema(t, r, year, &sex)) {
                plans.push(Plan { row: r, dx });
                break;
            }
        }
    }
    if plans.is_empty() {
        return Patient::default();
    }
    plans.sort_by_key(|p| p.dx);

    // age at the first diagnosis from the site's age table; the birth date follows from it
    let Some(first) = plans.first() else {
        return Patient::default();
    };
    let group = t
        .ages
        .get(&first.row.site)
        .and_then(|w| w.draw(rng))
        .or_else(|| t.ages_all.draw(rng))
        .copied()
        .unwrap_or(6);
    let age = if group >= 10 {
        rng.range(100, 104)
    } else {
        i64::from(group) * 10 + rng.range(0, 9)
    };
    let (fy, fm, fd) = first.dx.ymd();
    let anniversary = Day::from_ymd(fy - age as i32, fm, fd.min(28));
    // at least a day before the diagnosis, even for infants
    let birth = anniversary.plus(-rng.range(1, 364));

    let last_dx = plans.last().map_or(first.dx, |p| p.dx);
    let dead = t.vital_status.draw(rng).is_some_and(|v| v == "0");
    let span = (last_day.0 - last_dx.0).max(0);
    let last_contact = if dead {
        last_dx.plus(rng.range(span.min(30), span))
    } else {
        // living patients are followed up to recent months, except that few people reach
        // a hundred: with the table's low death share, the oldest are lost to follow-up
        // before then instead
        let recent = Day((last_day.0 - rng.range(0, 700)).max(last_dx.0));
        let (by, bm, bd) = birth.ymd();
        let limit = Day::from_ymd(by + 90 + rng.range(0, 10) as i32, bm, bd.min(28));
        if recent > limit && limit > last_dx {
            last_dx.plus(rng.range(0, limit.0 - last_dx.0))
        } else {
            recent
        }
    };

    let mut p = Items::new();
    put(
        &mut p,
        "patientIdNumber",
        format!("{:08}", (index + 1) % 100_000_000),
    );
    let race = t.race.draw(rng).cloned().unwrap_or_else(|| "99".into());
    let hispanic = t.hispanic.draw(rng).cloned().unwrap_or_else(|| "0".into());
    let surnames: &Weighted<String> = if hispanic != "0" && hispanic != "9" {
        &t.last_hispanic
    } else {
        match race.as_str() {
            "02" => &t.last_black,
            "01" | "03" | "98" | "99" => &t.last_white,
            _ => &t.last_api,
        }
    };
    let firsts = if sex == "2" {
        &t.first_female
    } else {
        &t.first_male
    };
    let upper = |s: &str| s.to_uppercase();
    put(
        &mut p,
        "nameLast",
        upper(surnames.draw(rng).map_or("DOE", String::as_str)),
    );
    put(
        &mut p,
        "nameFirst",
        upper(rng.pick(firsts).map_or("ALEX", String::as_str)),
    );
    if rng.chance(0.6) {
        put(
            &mut p,
            "nameMiddle",
            upper(rng.pick(firsts).map_or("LEE", String::as_str)),
        );
    }
    if sex == "2" && rng.chance(0.4) {
        put(
            &mut p,
            "nameBirthSurname",
            upper(t.last_white.draw(rng).map_or("DOE", String::as_str)),
        );
    }
    // 9xx-xx-xxxx numbers are never issued as SSNs
    put(
        &mut p,
        "socialSecurityNumber",
        format!("9{:08}", rng.below(100_000_000)),
    );
    put(&mut p, "dateOfBirth", birth.naaccr());
    put(&mut p, "sexAssignedAtBirth", sex.clone());
    put(&mut p, "race1", race.clone());
    for r in ["race2", "race3", "race4", "race5"] {
        put(&mut p, r, "88");
    }
    put(&mut p, "spanishHispanicOrigin", hispanic);

    let state_index = t.states.draw(rng).copied().unwrap_or(0);
    let home = t.zips.get(state_index).and_then(|z| z.draw(rng)).cloned();
    let street = |rng: &mut Rng| {
        format!(
            "{} {} {}",
            rng.range(1, 9999),
            upper(rng.pick(&t.streets).map_or("MAIN", String::as_str)),
            upper(rng.pick(&t.suffixes).map_or("STREET", String::as_str))
        )
    };
    let dx_street = street(rng);
    let (current, current_street) = if rng.chance(0.15) {
        let z = t
            .states
            .draw(rng)
            .and_then(|s| t.zips.get(*s))
            .and_then(|z| z.draw(rng))
            .cloned();
        (z.or_else(|| home.clone()), street(rng))
    } else {
        (home.clone(), dx_street.clone())
    };
    if let Some(z) = &current {
        put(&mut p, "addrCurrentNoStreet", current_street);
        put(&mut p, "addrCurrentCity", z.city.clone());
        put(&mut p, "addrCurrentState", z.state.clone());
        put(&mut p, "addrCurrentPostalCode", z.zip.clone());
        put(&mut p, "addrCurrentCountry", "USA");
    }
    if let Some(z) = &home {
        if rng.chance(0.6) {
            put(&mut p, "birthplaceState", z.state.clone());
            put(&mut p, "birthplaceCountry", "USA");
        }
    }
    // 555-01xx numbers are reserved for fiction
    put(
        &mut p,
        "telephone",
        format!("{}55501{:02}", rng.range(201, 989), rng.below(100)),
    );
    put(&mut p, "dateOfLastContact", last_contact.naaccr());
    if dead {
        put(&mut p, "vitalStatus", "0");
        let cause = if rng.chance(0.7) {
            cancer_cause(first.row)
        } else {
            pick_w(rng, OTHER_CAUSES).to_string()
        };
        put(&mut p, "causeOfDeath", cause);
        put(&mut p, "icdRevisionNumber", "1");
        if let Some(z) = &current {
            put(&mut p, "placeOfDeathState", z.state.clone());
            put(&mut p, "placeOfDeathCountry", "USA");
        }
    } else {
        put(&mut p, "vitalStatus", "1");
        put(&mut p, "causeOfDeath", "0000");
        put(&mut p, "icdRevisionNumber", "0");
    }

    // sequence numbers: in situ/malignant tumors 00 when alone, else 01, 02, ... in order
    // of diagnosis; benign/borderline ones 60 when alone, else 61, 62, ...
    let malignant = plans.iter().filter(|p| p.row.behavior >= 2).count();
    let benign = plans.len() - malignant;
    let (mut next_malignant, mut next_benign) = (1, 61);
    let multi = plans.len() > 1;
    let facility = 1 + rng.below(FACILITIES);
    // The serial follows the patient's index, so no two patients of one file of up to 100,000
    // share a facility's accession number (a random serial repeated within a facility from a
    // few thousand patients on, and imports refuse such files). The draw stays so that every
    // other value of a seed's patients is what it was.
    let _ = rng.below(100_000);
    let accession_serial = index % 100_000;

    let mut tumors = Vec::with_capacity(plans.len());
    for (i, plan) in plans.iter().enumerate() {
        let seq = if plan.row.behavior >= 2 {
            if malignant == 1 {
                "00".to_string()
            } else {
                next_malignant += 1;
                format!("{:02}", next_malignant - 1)
            }
        } else if benign == 1 {
            "60".to_string()
        } else {
            next_benign += 1;
            format!("{}", next_benign - 1)
        };
        let facility = if rng.chance(0.9) {
            facility
        } else {
            1 + rng.below(FACILITIES)
        };
        let tumor = tumor(
            t,
            rng,
            &TumorCtx {
                index: i,
                plan,
                sex: &sex,
                birth,
                last_contact,
                dead,
                seq,
                multi,
                facility,
                accession_serial,
                home: home.as_ref(),
                dx_street: &dx_street,
            },
        );
        tumors.push(Tumor {
            items: tumor,
            line: 0,
        });
    }
    Patient {
        items: p,
        tumors,
        line: 0,
        errors: Vec::new(),
    }
}

struct TumorCtx<'a> {
    index: usize,
    plan: &'a Plan<'a>,
    sex: &'a str,
    birth: Day,
    last_contact: Day,
    dead: bool,
    seq: String,
    multi: bool,
    facility: u64,
    accession_serial: u64,
    home: Option<&'a super::tables::ZipRow>,
    dx_street: &'a str,
}

fn tumor(t: &GeneratorTables, rng: &mut Rng, c: &TumorCtx<'_>) -> Items {
    let row = c.plan.row;
    let dx = c.plan.dx;
    let year = dx.year() as u16;
    let heme = is_heme(row.hist_num);
    let mut m = Items::new();
    let lc = c.last_contact;
    // a date some days after `from`, never after the last contact
    let after = |rng: &mut Rng, from: Day, lo: i64, hi: i64| from.plus(rng.range(lo, hi)).min(lc);

    put(&mut m, "tumorRecordNumber", format!("{:02}", c.index + 1));
    put(&mut m, "reportingFacility", format!("{:010}", c.facility));
    put(&mut m, "npiReportingFacility", fake_npi(c.facility));
    put(&mut m, "primarySite", row.site.clone());
    put(&mut m, "histologicTypeIcdO3", row.hist.clone());
    put(&mut m, "behaviorCodeIcdO3", row.behavior.to_string());
    put(
        &mut m,
        "laterality",
        laterality(rng, row.site_num, year, row.behavior),
    );
    put(&mut m, "dateOfDiagnosis", dx.naaccr());
    put(
        &mut m,
        "ageAtDiagnosis",
        format!("{:03}", c.birth.years_until(dx).clamp(0, 120)),
    );
    put(&mut m, "sequenceNumberCentral", c.seq.clone());
    put(&mut m, "sequenceNumberHospital", c.seq.clone());

    // diagnostic confirmation: in situ needs microscopic confirmation (IF31); a second
    // primary must be microscopically confirmed (IF23/C20); lymphomas not by imaging (IF48)
    let dxconf = if row.behavior == 2 {
        pick_w(rng, &[(90, "1"), (5, "2"), (5, "4")])
    } else if heme {
        if year >= 2010 {
            pick_w(rng, &[(85, "1"), (10, "3"), (5, "2")])
        } else {
            pick_w(rng, &[(92, "1"), (8, "2")])
        }
    } else if c.multi {
        pick_w(rng, &[(88, "1"), (5, "2"), (4, "4"), (3, "5")])
    } else {
        pick_w(
            rng,
            &[
                (84, "1"),
                (4, "2"),
                (2, "4"),
                (2, "5"),
                (2, "6"),
                (4, "7"),
                (1, "8"),
                (1, "9"),
            ],
        )
    };
    put(&mut m, "diagnosticConfirmation", dxconf);

    // class of case and first contact: accession year = year of first contact (F06)
    let class = pick_w(
        rng,
        &[
            (8, "00"),
            (6, "10"),
            (1, "11"),
            (4, "12"),
            (8, "13"),
            (45, "14"),
            (5, "20"),
            (5, "21"),
            (10, "22"),
            (3, "30"),
            (2, "32"),
            (3, "34"),
        ],
    );
    let first_contact = if class.starts_with('2') || class.starts_with('3') {
        after(rng, dx, 5, 60)
    } else {
        after(rng, dx, 0, 10)
    };
    put(&mut m, "classOfCase", class);
    put(
        &mut m,
        "typeOfReportingSource",
        pick_w(rng, &[(86, "1"), (4, "2"), (3, "3"), (5, "4"), (2, "8")]),
    );
    put(&mut m, "dateOf1stContact", first_contact.naaccr());
    put(
        &mut m,
        "accessionNumberHosp",
        format!("{}{:05}", first_contact.year(), c.accession_serial),
    );

    if let Some(z) = c.home {
        put(&mut m, "addrAtDxNoStreet", c.dx_street.to_string());
        put(&mut m, "addrAtDxCity", z.city.clone());
        put(&mut m, "addrAtDxState", z.state.clone());
        put(&mut m, "addrAtDxPostalCode", z.zip.clone());
        put(&mut m, "addrAtDxCountry", "USA");
        put(&mut m, "latitude", z.latitude.clone());
        put(&mut m, "longitude", z.longitude.clone());
    }
    let age = c.birth.years_until(dx);
    put(
        &mut m,
        "maritalStatusAtDx",
        if age < 18 {
            "1"
        } else {
            pick_w(
                rng,
                &[
                    (14, "1"),
                    (52, "2"),
                    (2, "3"),
                    (12, "4"),
                    (14, "5"),
                    (2, "6"),
                    (4, "9"),
                ],
            )
        },
    );
    put(
        &mut m,
        "primaryPayerAtDx",
        if age >= 65 {
            pick_w(
                rng,
                &[(55, "60"), (20, "61"), (10, "62"), (10, "64"), (5, "99")],
            )
        } else {
            pick_w(
                rng,
                &[
                    (6, "01"),
                    (55, "20"),
                    (15, "21"),
                    (15, "31"),
                    (4, "35"),
                    (5, "99"),
                ],
            )
        },
    );
    if year >= 2007 {
        put(
            &mut m,
            "ambiguousTerminologyDx",
            pick_w(rng, &[(95, "0"), (3, "1"), (2, "9")]),
        );
    }

    // staging by era: EOD (2018+), SEER TNM (2016-2017), Collaborative Stage (2004-2015)
    let mut ss2018 = None;
    let mut staged_nodes = false;
    let mut schema: Option<&EodSchema> = None;
    if year >= 2018 {
        if let Some(ch) = choose_schema(t, rng, row, year, c.sex) {
            schema = Some(ch.schema);
            put(&mut m, "schemaId", ch.schema.schema_id.clone());
            if let Some(d) = ch.disc1 {
                put(&mut m, "schemaDiscriminator1", d);
            }
            if let Some(d) = ch.disc2 {
                put(&mut m, "schemaDiscriminator2", d);
            }
            if let Some(f) = ch
                .schema
                .inputs
                .iter()
                .find(|i| i.field.id == "summaryStage2018")
            {
                ss2018 = stage_2018(&f.field, rng, row.behavior, &ch.schema.schema_id);
            }
            let positive = ss2018.as_deref().and_then(stage_nodes);
            let (pos, exam) = nodes(rng, positive);
            let tumor_size = size(rng);
            // most patients have no neoadjuvant therapy, and then its outcome items say so
            let neoadjuvant = rng.chance(0.12);
            let sentinel_exam = rng.range(1, 6);
            let sentinel_pos = if rng.chance(0.75) {
                0
            } else {
                rng.range(1, sentinel_exam.min(3))
            };
            for input in ch.schema.inputs.iter().filter(|i| i.applies(year)) {
                let f = &input.field;
                if m.contains_key(&f.id) || f.id.starts_with("schemaDiscriminator") {
                    continue;
                }
                let want = match f.id.as_str() {
                    "summaryStage2018" => ss2018.clone(),
                    "regionalNodesPositive" => {
                        staged_nodes = true;
                        Some(pos.clone())
                    }
                    "regionalNodesExamined" => Some(exam.clone()),
                    "eodPrimaryTumor" => {
                        // 000 is the in situ code (E09)
                        let codes = f.exact_codes(|v| (v == "000") == (row.behavior == 2));
                        rng.pick(&codes).map(|s| s.to_string())
                    }
                    "eodMets" if rng.chance(0.8) => Some("00".into()),
                    id if id.starts_with("tumorSize") => Some(tumor_size.clone()),
                    "neoadjuvantTherapy"
                    | "neoadjuvTherapyClinicalResponse"
                    | "neoadjuvTherapyTreatmentEffect"
                        if !neoadjuvant =>
                    {
                        Some("0".into())
                    }
                    // node counts are small; a uniform draw over 00-90 is not
                    "sentinelLymphNodesExamined" => f.count(sentinel_exam),
                    "sentinelLymphNodesPositive" => f.count(sentinel_pos),
                    id if id.contains("Positive") && id.contains("Nodes")
                        || id.starts_with("lnPositive") =>
                    {
                        f.count(if rng.chance(0.7) { 0 } else { rng.range(1, 3) })
                    }
                    id if id.contains("Examined") && id.contains("Nodes") => {
                        f.count(rng.range(1, 15))
                    }
                    _ => None,
                };
                if let Some(v) = coded(f, rng, want) {
                    put(&mut m, &f.id, v);
                }
            }
            // a pathological grade below the clinical one is unusual (D04): swap them
            let grade = |m: &Items, id: &str| m.get(id).and_then(|g| g.parse::<u8>().ok());
            if let (Some(c), Some(p)) = (grade(&m, "gradeClinical"), grade(&m, "gradePathological"))
            {
                let field = |id: &str| ch.schema.inputs.iter().find(|i| i.field.id == id);
                let swappable = field("gradeClinical")
                    .is_some_and(|f| f.field.contains(&p.to_string()))
                    && field("gradePathological").is_some_and(|f| f.field.contains(&c.to_string()));
                if p < c && c <= 4 && swappable {
                    put(&mut m, "gradeClinical", p.to_string());
                    put(&mut m, "gradePathological", c.to_string());
                }
            }
            // a receptor summary follows its percent positive (E17, E18): 1% or more is
            // positive, 000 negative
            for (summary, percent) in [
                (
                    "estrogenReceptorSummary",
                    "estrogenReceptorPercntPosOrRange",
                ),
                (
                    "progesteroneRecepSummary",
                    "progesteroneRecepPrcntPosOrRange",
                ),
            ] {
                let class = m.get(percent).map(|p| match p.as_str() {
                    "000" => Some("0"),
                    p if p.starts_with('R') => Some("1"),
                    p if p.parse::<u32>().is_ok_and(|n| (1..=100).contains(&n)) => Some("1"),
                    _ => None,
                });
                if let (Some(Some(v)), true) = (class, m.contains_key(summary)) {
                    put(&mut m, summary, v);
                }
            }
            // HER2, Gleason, Oncotype Dx, testis markers and biopsy cores, pelvic and para-aortic nodes and lab units agree (E19-E30)
            super::biomarkers::agree(&mut m);
            // regional nodes the schema does not stage are unknown
            if !staged_nodes {
                put(&mut m, "regionalNodesPositive", "99");
                put(&mut m, "regionalNodesExamined", "99");
                staged_nodes = true;
            }
        }
    } else {
        let (fields, version): (Option<&Vec<Field>>, Option<&str>) = if year >= 2016 {
            (row.tnm_schema.as_ref().and_then(|s| t.tnm.get(s)), None)
        } else if year >= 2004 {
            (
                row.cs_schema.as_ref().and_then(|s| t.cs.get(s)),
                Some("020550"),
            )
        } else {
            (None, None)
        };
        let ss2000 = match row.behavior {
            2 => "0",
            3 if heme => pick_w(rng, &[(80, "7"), (20, "9")]),
            3 => pick_w(
                rng,
                &[
                    (45, "1"),
                    (14, "2"),
                    (4, "3"),
                    (14, "4"),
                    (2, "5"),
                    (16, "7"),
                    (5, "9"),
                ],
            ),
            _ => "8",
        };
        if year >= 2001 {
            put(&mut m, "seerSummaryStage2000", ss2000);
        }
        let positive = match ss2000 {
            "0" | "1" | "2" | "8" => Some(false),
            "3" | "4" => Some(true),
            _ => None,
        };
        let (pos, exam) = nodes(rng, positive);
        put(&mut m, "regionalNodesPositive", pos.clone());
        put(&mut m, "regionalNodesExamined", exam.clone());
        staged_nodes = true;
        if let Some(v) = version {
            put(&mut m, "csVersionInputOriginal", v);
            put(&mut m, "csVersionInputCurrent", v);
        }
        for f in fields.into_iter().flatten() {
            if NOT_STAGED_HERE.contains(&f.id.as_str()) {
                continue;
            }
            let want = match f.id.as_str() {
                "csTumorSize" => Some(size(rng)),
                "regionalNodesPositive" | "regionalNodesExamined" => continue,
                _ => None,
            };
            if let Some(v) = coded(f, rng, want) {
                put(&mut m, &f.id, v);
            }
        }
        if year >= 2016 && !m.contains_key("tumorSizeSummary") {
            put(&mut m, "tumorSizeSummary", size(rng));
        }
        // Grade [440]: 5-8 only for lymphomas and leukemias, implied by some terms (MORPH)
        let grade = match IMPLIED_GRADE.iter().find(|(h, _)| *h == row.hist_num) {
            Some((_, g)) if row.behavior == 3 => g,
            _ if (9590..=9948).contains(&row.hist_num) => pick_w(
                rng,
                &[(20, "5"), (20, "6"), (10, "7"), (10, "8"), (40, "9")],
            ),
            _ => pick_w(rng, &[(15, "1"), (35, "2"), (25, "3"), (5, "4"), (20, "9")]),
        };
        put(&mut m, "grade", grade);
    }
    if !staged_nodes {
        put(&mut m, "regionalNodesPositive", "99");
        put(&mut m, "regionalNodesExamined", "99");
    }

    treatment(rng, &mut m, c, class, dxconf, heme, year, lc);

    // follow-up of this tumor
    put(&mut m, "dateOfLastCancerStatus", lc.naaccr());
    let status = if c.dead && rng.chance(0.6) {
        "2"
    } else {
        pick_w(rng, &[(70, "1"), (20, "2"), (10, "9")])
    };
    put(&mut m, "cancerStatus", status);
    put(
        &mut m,
        "recurrenceType1st",
        match status {
            "1" => "00",
            "2" => pick_w(rng, &[(70, "70"), (10, "10"), (10, "22"), (10, "62")]),
            _ => "99",
        },
    );
    put(
        &mut m,
        "followUpSource",
        if c.dead {
            "7"
        } else {
            pick_w(
                rng,
                &[
                    (30, "0"),
                    (15, "1"),
                    (40, "2"),
                    (5, "3"),
                    (5, "5"),
                    (5, "8"),
                ],
            )
        },
    );
    put(
        &mut m,
        "nextFollowUpSource",
        pick_w(
            rng,
            &[(40, "0"), (30, "1"), (10, "2"), (10, "3"), (10, "4")],
        ),
    );

    // text of realistic length
    put(
        &mut m,
        "textPrimarySiteTitle",
        format!("Primary site {}", row.site),
    );
    put(
        &mut m,
        "textHistologyTitle",
        format!("Histology {}/{}", row.hist, row.behavior),
    );
    let n = rng.range(10, 25) as usize;
    put(&mut m, "textDxProcPe", filler(rng, TEXT_WORDS, n));
    let n = rng.range(12, 30) as usize;
    put(&mut m, "textDxProcPath", filler(rng, TEXT_WORDS, n));
    if rng.chance(0.5) {
        let n = rng.range(5, 20) as usize;
        put(&mut m, "textRemarks", filler(rng, TEXT_WORDS, n));
    }
    // tumor size is collected from 2016 (CoC, SEER, NPCR): unknown where staging did not
    // give it
    if year >= 2016 {
        for id in [
            "tumorSizeClinical",
            "tumorSizePathologic",
            "tumorSizeSummary",
        ] {
            if !m.contains_key(id) {
                put(&mut m, id, "999");
            }
        }
    }
    // site-specific items only where the tumor's schema collects them in its year
    m.retain(|k, _| {
        !t.site_specific.contains(k)
            || schema.is_some_and(|s| s.inputs.iter().any(|i| i.field.id == *k && i.applies(year)))
    });
    m
}

/// CS/TNM fields the generator codes elsewhere.
const NOT_STAGED_HERE: &[&str] = &["rxSummSurgRadSeq", "rxSummSystemicSurSeq"];

/// First-course treatment: summary and facility items agree with the class of case (F05),
/// surgery codes exist in every site's table of the coding edition (F01), a resection needs
/// a histologic diagnosis (IF76), and dates, reasons and codes agree (F03, B07, B08).
#[allow(clippy::too_many_arguments)]
fn treatment(
    rng: &mut Rng,
    m: &mut Items,
    c: &TumorCtx<'_>,
    class: &str,
    dxconf: &str,
    heme: bool,
    year: u16,
    lc: Day,
) {
    let row = c.plan.row;
    let dx = c.plan.dx;
    let after = |rng: &mut Rng, from: Day, lo: i64, hi: i64| from.plus(rng.range(lo, hi)).min(lc);
    let site = row.site_num;
    // hematopoietic sites (not the spleen, which has its own table) and unknown primaries
    // have no surgery table: their only code is 98
    let no_surgery_table =
        matches!(site, 420 | 421 | 423 | 424) || (760..=768).contains(&site) || site == 809;
    // 2023+ codes carry the table letter: B for skin, and from 2024 for colon, pancreas,
    // lung, breast and thyroid, A otherwise
    let letter = {
        let b_2024 = [(180, 189), (250, 259), (340, 349), (500, 509), (739, 739)];
        if (440..=449).contains(&site)
            || (year >= 2024 && b_2024.iter().any(|(lo, hi)| (*lo..=*hi).contains(&site)))
        {
            'B'
        } else {
            'A'
        }
    };
    let surgery_level = if no_surgery_table {
        98
    } else if heme {
        0
    } else if matches!(dxconf, "1" | "3") && rng.chance(0.6) {
        90
    } else if rng.chance(0.05) {
        99
    } else {
        0
    };
    let code = |level: u32| {
        if year >= 2023 {
            if level == 98 {
                "A980".to_string()
            } else {
                format!("{letter}{level:02}0")
            }
        } else {
            format!("{level:02}")
        }
    };
    let surg_item = if year >= 2023 {
        "rxSummSurgPrimSite2023"
    } else {
        "rxSummSurgPrimSite"
    };
    let hosp_surg_item = if year >= 2023 {
        "rxHospSurgPrimSite2023"
    } else {
        "rxHospSurgPrimSite"
    };
    let mut dates: Vec<Day> = Vec::new();
    put(m, surg_item, code(surgery_level));
    let surgery = surgery_level == 90;
    if surgery {
        let d = after(rng, dx, 5, 60);
        put(m, "rxDateSurgery", d.naaccr());
        put(m, "rxDateMostDefinSurg", d.naaccr());
        put(m, "reasonForNoSurgery", "0");
        put(
            m,
            "rxSummSurgicalMargins",
            pick_w(rng, &[(70, "0"), (20, "1"), (5, "3"), (5, "9")]),
        );
        dates.push(d);
    } else {
        put(
            m,
            "reasonForNoSurgery",
            match surgery_level {
                99 => "9",
                _ => pick_w(
                    rng,
                    &[(60, "1"), (10, "2"), (10, "6"), (10, "7"), (10, "8")],
                ),
            },
        );
    }
    put(
        m,
        "rxSummScopeRegLnSur",
        if surgery {
            pick_w(
                rng,
                &[(40, "0"), (20, "2"), (20, "5"), (10, "6"), (10, "9")],
            )
        } else {
            "0"
        },
    );
    put(m, "rxSummSurgOthRegDis", "0");

    let radiation = rng.chance(if heme { 0.1 } else { 0.3 });
    put(m, "rxSummRadiation", if radiation { "1" } else { "0" });
    // CoC's radiation items (Phase I modality from 2018) agree with the summary (F10)
    put(
        m,
        "reasonForNoRadiation",
        if radiation {
            "0"
        } else {
            pick_w(rng, &[(85, "1"), (5, "2"), (5, "7"), (5, "8")])
        },
    );
    if year >= 2018 {
        put(
            m,
            "phase1RadiationTreatmentModality",
            if radiation {
                pick_w(rng, &[(80, "02"), (10, "04"), (10, "07")])
            } else {
                "00"
            },
        );
    }
    if radiation {
        let from = dates.first().copied().unwrap_or(dx);
        let d = after(rng, from, 20, 90);
        put(m, "rxDateRadiation", d.naaccr());
        dates.push(d);
    }
    let chemo = rng.chance(if heme { 0.7 } else { 0.35 });
    let chemo_code = if chemo {
        pick_w(rng, &[(40, "01"), (30, "02"), (30, "03")])
    } else {
        "00"
    };
    put(m, "rxSummChemo", chemo_code);
    let mut systemic = Vec::new();
    if chemo {
        let d = after(rng, dx, 14, 90);
        put(m, "rxDateChemo", d.naaccr());
        systemic.push(d);
    }
    // hormone therapy is common for breast, prostate and endometrium
    let hormonal_site = matches!(site / 10, 50 | 61 | 54);
    let hormone = !heme && rng.chance(if hormonal_site { 0.5 } else { 0.03 });
    put(m, "rxSummHormone", if hormone { "01" } else { "00" });
    if hormone {
        let d = after(rng, dx, 20, 120);
        put(m, "rxDateHormone", d.naaccr());
        systemic.push(d);
    }
    let brm = rng.chance(0.05);
    put(m, "rxSummBrm", if brm { "01" } else { "00" });
    if brm {
        let d = after(rng, dx, 20, 120);
        put(m, "rxDateBrm", d.naaccr());
        systemic.push(d);
    }
    put(m, "rxSummOther", "0");
    put(m, "rxSummTransplntEndocr", "00");
    if let Some(d) = systemic.iter().min() {
        put(m, "rxDateSystemic", d.naaccr());
        dates.push(*d);
    }
    put(
        m,
        "rxSummSurgRadSeq",
        match (surgery, radiation) {
            (true, true) => "3",
            _ => "0",
        },
    );
    put(
        m,
        "rxSummSystemicSurSeq",
        match (surgery, systemic.is_empty()) {
            (true, false) => pick_w(rng, &[(70, "3"), (20, "2"), (10, "4")]),
            _ => "0",
        },
    );
    if let Some(d) = dates.iter().min() {
        put(m, "date1stCrsRxCoc", d.naaccr());
    }

    // facility items: nothing here for class 00 and 30+, everything for 12/14/22
    let all_here = matches!(class, "12" | "14" | "22");
    let some_here = matches!(class, "10" | "11" | "13" | "20" | "21");
    let copy = |m: &mut Items, summ: &str, hosp: &str, none: &str, rng: &mut Rng| {
        let v = m.get(summ).cloned().unwrap_or_else(|| none.to_string());
        let here = if all_here || (some_here && rng.chance(0.7)) {
            v
        } else {
            none.to_string()
        };
        put(m, hosp, here);
    };
    let none_surg = if surgery_level == 98 {
        code(98)
    } else {
        code(0)
    };
    copy(m, surg_item, hosp_surg_item, &none_surg, rng);
    copy(m, "rxSummRadiation", "rxHospRadiation", "0", rng);
    copy(m, "rxSummChemo", "rxHospChemo", "00", rng);
    copy(m, "rxSummHormone", "rxHospHormone", "00", rng);
    copy(m, "rxSummBrm", "rxHospBrm", "00", rng);
    copy(m, "rxSummOther", "rxHospOther", "0", rng);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_check_digit() {
        // the worked example of the CMS NPI check-digit specification
        assert_eq!(npi_with_check_digit("123456789"), "1234567893");
        assert_eq!(fake_npi(1).len(), 10);
    }

    #[test]
    fn node_counts_agree() {
        let mut rng = Rng::new(5);
        for _ in 0..1000 {
            let (p, e) = nodes(&mut rng, Some(true));
            let (p, e): (u32, u32) = (p.parse().unwrap(), e.parse().unwrap());
            assert!((1..=e).contains(&p));
            let (p, _) = nodes(&mut rng, Some(false));
            assert!(p == "00" || p == "98" || p == "99");
        }
    }
}
