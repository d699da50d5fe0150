//! Throughput of the full edit catalog over generated, realistic tumors.
//!
//! `cargo bench --bench edits` (reference directory from `CANCER_REGISTRY_REFERENCE`, default
//! `../shared/reference`). Prints tumors per second on one core.

use std::time::Instant;

use cancer_registry::edits::{self, ReferenceTables};
use std::collections::HashMap;

use cancer_registry::naaccr::{Dictionary, Items};

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn put(m: &mut Items, k: &str, v: impl Into<String>) {
    m.insert(k.to_string(), v.into());
}

/// Per schema, a plausible value (the default, else the first code) of every item SEER
/// requires, read from the EOD code table so generated 2018+ tumors are complete.
fn required_items(dir: &std::path::Path) -> HashMap<String, Vec<(String, String)>> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let Ok(text) =
        std::fs::read_to_string(dir.join("written/eod_public_3.3_schema_item_codes.tsv"))
    else {
        return out;
    };
    let dict = Dictionary::v260();
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() < 10 || !c[9].contains("SEER_REQUIRED") || c[5].contains('-') {
            continue;
        }
        let Some(def) = c[2].parse().ok().and_then(|n| dict.by_number(n)) else {
            continue;
        };
        let value = if c[7].is_empty() { c[5] } else { c[7] };
        let v = out.entry(c[0].to_string()).or_default();
        if !v.iter().any(|(id, _)| *id == def.id) {
            v.push((def.id.clone(), value.to_string()));
        }
    }
    out
}

/// One patient with 1-3 tumors; about 1 tumor in 20 carries a coding error.
fn patient(
    rng: &mut Rng,
    required: &HashMap<String, Vec<(String, String)>>,
) -> (Items, Vec<Items>) {
    let birth_year = 1930 + rng.below(60) as u16;
    let (bm, bd) = (1 + rng.below(12), 1 + rng.below(28));
    let sex = if rng.below(2) == 0 { "1" } else { "2" };
    let mut p = Items::new();
    put(&mut p, "dateOfBirth", format!("{birth_year}{bm:02}{bd:02}"));
    put(&mut p, "sexAssignedAtBirth", sex);
    put(&mut p, "vitalStatus", "1");
    put(&mut p, "causeOfDeath", "0000");
    put(&mut p, "dateOfLastContact", "20250301");
    put(&mut p, "nameLast", "TESTPATIENT");
    put(&mut p, "nameFirst", "ALEX");
    put(&mut p, "race1", "01");
    put(&mut p, "spanishHispanicOrigin", "0");
    put(
        &mut p,
        "patientIdNumber",
        format!("{:08}", rng.below(100_000_000)),
    );
    let n = 1 + rng.below(3) as usize;
    let mut tumors = Vec::with_capacity(n);
    for i in 0..n {
        let year = 2010 + rng.below(15) as u16;
        let (m, d) = (1 + rng.below(12), 1 + rng.below(28));
        let mut age = year - birth_year;
        if (m, d) < (bm, bd) {
            age -= 1;
        }
        let mut t = Items::new();
        let kind = match rng.below(5) {
            2 if sex == "2" => 1,
            k => k,
        };
        let (site, hist, beh, lat) = match kind {
            0 => (
                rng.pick(&["C341", "C343", "C349"]),
                rng.pick(&["8140", "8070", "8046"]),
                "3",
                rng.pick(&["1", "2"]),
            ),
            1 => (
                rng.pick(&["C504", "C502", "C508"]),
                rng.pick(&["8500", "8520", "8522"]),
                "3",
                rng.pick(&["1", "2"]),
            ),
            2 => ("C619", "8140", "3", "0"),
            3 => (
                rng.pick(&["C180", "C182", "C187"]),
                rng.pick(&["8140", "8480"]),
                "3",
                "0",
            ),
            _ => ("C421", "9823", "3", "0"),
        };
        let site = if sex == "2" && site == "C619" {
            "C569"
        } else {
            site
        };
        let lat = if site == "C569" { "2" } else { lat };
        put(&mut t, "primarySite", site);
        put(&mut t, "histologicTypeIcdO3", hist);
        put(&mut t, "behaviorCodeIcdO3", beh);
        put(&mut t, "laterality", lat);
        put(&mut t, "diagnosticConfirmation", "1");
        put(&mut t, "ageAtDiagnosis", format!("{age:03}"));
        put(
            &mut t,
            "sequenceNumberCentral",
            if n == 1 {
                "00".to_string()
            } else {
                format!("{:02}", i + 1)
            },
        );
        put(
            &mut t,
            "sequenceNumberHospital",
            if n == 1 {
                "00".to_string()
            } else {
                format!("{:02}", i + 1)
            },
        );
        put(&mut t, "classOfCase", "14");
        put(&mut t, "typeOfReportingSource", "1");
        put(&mut t, "dateOfDiagnosis", format!("{year}{m:02}{d:02}"));
        put(&mut t, "dateOf1stContact", format!("{year}{m:02}{d:02}"));
        put(
            &mut t,
            "accessionNumberHosp",
            format!("{year}{:05}", rng.below(99_999)),
        );
        put(&mut t, "regionalNodesPositive", "00");
        put(
            &mut t,
            "regionalNodesExamined",
            format!("{:02}", 1 + rng.below(20)),
        );
        put(&mut t, "rxSummChemo", "00");
        put(&mut t, "rxHospChemo", "00");
        put(&mut t, "rxSummRadiation", "0");
        put(&mut t, "tumorRecordNumber", format!("{:02}", i + 1));
        put(
            &mut t,
            "textDxProcPe",
            "Lobectomy specimen: adenocarcinoma, margins free.",
        );
        if kind == 4 {
            put(&mut t, "regionalNodesPositive", "99");
            put(&mut t, "regionalNodesExamined", "99");
        }
        if year >= 2018 {
            let schema = match kind {
                0 if year >= 2025 => "09360",
                0 => "00360",
                1 => "00480",
                2 => "00580",
                3 => "00200",
                _ => "00795",
            };
            put(&mut t, "schemaId", schema);
            let heme = kind == 4;
            put(&mut t, "gradeClinical", if heme { "8" } else { "2" });
            put(&mut t, "gradePathological", if heme { "8" } else { "2" });
            put(&mut t, "eodPrimaryTumor", if heme { "800" } else { "100" });
            put(&mut t, "eodRegionalNodes", if heme { "888" } else { "000" });
            put(&mut t, "eodMets", if heme { "88" } else { "00" });
            put(&mut t, "summaryStage2018", "1");
            put(&mut t, "derivedSummaryStage2018", "1");
            for (k, v) in required.get(schema).into_iter().flatten() {
                if !t.contains_key(k) {
                    put(&mut t, k, v.as_str());
                }
            }
        } else {
            put(&mut t, "grade", "2");
        }
        // heme tumors use the hematopoietic surgery code; the 2024 tables renumbered some
        // sites (lung B-codes), so 2024+ tumors leave the 2023 item to F01's blank skip
        match (year, kind == 4) {
            (..=2022, false) => put(&mut t, "rxSummSurgPrimSite", "00"),
            (..=2022, true) => put(&mut t, "rxSummSurgPrimSite", "98"),
            (2023, false) => put(&mut t, "rxSummSurgPrimSite2023", "A000"),
            (2023, true) => put(&mut t, "rxSummSurgPrimSite2023", "A980"),
            _ => {}
        }
        put(&mut t, "reasonForNoSurgery", "1");
        // a few realistic coding errors
        match rng.below(60) {
            0 => put(&mut t, "laterality", "0"),
            1 => put(&mut t, "ageAtDiagnosis", format!("{:03}", age + 2)),
            2 => put(&mut t, "histologicTypeIcdO3", "9440"),
            _ => {}
        }
        tumors.push(t);
    }
    (p, tumors)
}

/// CPU time this thread has run, from the Linux scheduler (`None` elsewhere): on a shared
/// machine wall time also counts waiting for a core.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let dir = ReferenceTables::default_source().folder();
    let tables = match ReferenceTables::load(&dir) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot run the bench: {e}");
            std::process::exit(2);
        }
    };
    let required = required_items(&dir);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut patients = Vec::new();
    let mut n_tumors = 0;
    while n_tumors < 100_000 {
        let p = patient(&mut rng, &required);
        n_tumors += p.1.len();
        patients.push(p);
    }
    let items_per_tumor = patients
        .iter()
        .flat_map(|p| &p.1)
        .map(|t| t.len())
        .sum::<usize>() as f64
        / n_tumors as f64;
    println!(
        "{} patients, {n_tumors} tumors, {items_per_tumor:.1} tumor items on average, {} edits",
        patients.len(),
        edits::catalog().len()
    );
    // what the generated data fails, untimed: shows the data is realistic, not empty
    let mut table = Vec::new();
    let _ = edits::cli::summarize(patients.iter().cloned(), &tables, false, &mut table);
    print!("{}", String::from_utf8_lossy(&table));
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut failures = 0;
    let mut out = Vec::new();
    for round in 0..5 {
        let start = Instant::now();
        let cpu_start = thread_cpu_ns();
        failures = 0;
        for (p, t) in &patients {
            out.clear();
            edits::run_into(p, t, &tables, false, &mut out);
            failures += out.len();
        }
        let secs = start.elapsed().as_secs_f64();
        best = best.min(secs);
        let cpu = match (cpu_start, thread_cpu_ns()) {
            (Some(a), Some(b)) => (b.saturating_sub(a)) as f64 / 1e9,
            _ => secs,
        };
        best_cpu = best_cpu.min(cpu);
        println!(
            "round {round}: wall {secs:.3} s ({:.0} tumors/s), cpu {cpu:.3} s ({:.0} tumors/s)",
            n_tumors as f64 / secs,
            n_tumors as f64 / cpu
        );
    }
    println!(
        "best: {:.0} tumors/s wall ({:.2} us/tumor), {:.0} tumors per CPU-second on one core, {failures} failures per pass",
        n_tumors as f64 / best,
        best * 1e6 / n_tumors as f64,
        n_tumors as f64 / best_cpu
    );
}
