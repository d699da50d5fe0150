//! Staging engine benchmark: `cargo bench --bench staging`.
//!
//! Measures ZIP load time per algorithm and for all four, single-thread staging throughput on one
//! schema repeated and on the mixed oracle cases, and peak resident memory (VmHWM). Data root: env
//! `CANCER_REGISTRY_SHARED`, default `../shared`.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cancer_registry::staging::{Algorithm, Registry, StageOptions};

const OPTIONS: StageOptions = StageOptions { current_year: 2026 };
const MIN_TIME: Duration = Duration::from_secs(2);

type Case = Vec<(String, Option<String>)>;

fn staging_dir() -> PathBuf {
    match std::env::var_os("CANCER_REGISTRY_SHARED") {
        Some(p) => PathBuf::from(p).join("staging"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/staging"),
    }
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn oracle_cases(file: &Path) -> Result<Vec<(String, Case)>, String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| e.to_string())?;
        let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
        let inputs: BTreeMap<String, Option<String>> =
            serde_json::from_value(v["inputs"].clone()).map_err(|e| e.to_string())?;
        let schema = v["expected"]["schema_id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        out.push((schema, inputs.into_iter().collect()));
    }
    Ok(out)
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (ns); wall time is unreliable on a
/// shared 2-core machine and the target is stated per CPU-second.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Stages `cases` round-robin for at least `MIN_TIME`; returns cases per CPU-second (per wall-second
/// where CPU time is unavailable).
fn throughput(alg: &Algorithm, cases: &[Case]) -> f64 {
    let borrowed: Vec<Vec<(&str, Option<&str>)>> = cases
        .iter()
        .map(|c| c.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect())
        .collect();
    let start = Instant::now();
    let cpu_start = thread_cpu();
    let mut n: u64 = 0;
    let mut sink = 0usize;
    // A fixed number of rounds makes `perf stat` instruction counts comparable between builds.
    let rounds: Option<u64> = std::env::var("STAGING_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok());
    let mut round = 0u64;
    while rounds.map_or(start.elapsed() < MIN_TIME, |r| round < r) {
        round += 1;
        for c in &borrowed {
            let r = alg.stage_entries(c, &OPTIONS);
            sink = sink.wrapping_add(r.output.len() + r.path.len());
            n += 1;
        }
    }
    std::hint::black_box(sink);
    let elapsed = match (cpu_start, thread_cpu()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => start.elapsed(),
    };
    n as f64 / elapsed.as_secs_f64()
}

fn main() -> Result<(), String> {
    let dir = staging_dir();
    let alg_dir = dir.join("algorithms");
    if !alg_dir.exists() {
        eprintln!("SKIP: no algorithms at {}", alg_dir.display());
        return Ok(());
    }
    println!("# staging bench (single thread, cases per CPU-second, current_year 2026)");
    let mut zips: Vec<PathBuf> = std::fs::read_dir(&alg_dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    zips.sort();
    let t = Instant::now();
    let reg = Registry::load_dir(&alg_dir).map_err(|e| e.to_string())?;
    println!(
        "load all ({} algorithms)            {:>8.1} ms",
        reg.algorithms().len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let embedded = Registry::load_source(&cancer_registry::refdata::Source::Embedded("algorithms"))
        .map_err(|e| e.to_string())?;
    println!(
        "load all embedded ({} algorithms)   {:>8.1} ms",
        embedded.algorithms().len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "VmRSS / VmHWM after loading all     {:>8.1} / {:.1} MiB",
        status_kib("VmRSS:").unwrap_or(0) as f64 / 1024.0,
        status_kib("VmHWM:").unwrap_or(0) as f64 / 1024.0
    );

    let only = std::env::var("STAGING_BENCH_ONLY").ok();
    for z in zips.iter().filter(|_| only.is_none()) {
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let a = Algorithm::load_zip(z).map_err(|e| e.to_string())?;
            best = best.min(t.elapsed());
            std::hint::black_box(a);
        }
        println!(
            "load {:<28} {:>8.1} ms (best of 3)",
            z.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            best.as_secs_f64() * 1e3
        );
    }
    for (id, file) in [
        ("eod_public", "eod_public-public.jsonl.gz"),
        ("tnm", "tnm-public.jsonl.gz"),
        ("pediatric", "pediatric-public.jsonl.gz"),
        ("cs", "cs-public.jsonl.gz"),
    ] {
        let Some(alg) = reg.get(id) else {
            continue;
        };
        // Lets a profiler look at one algorithm alone.
        if only.as_ref().is_some_and(|only| only != id) {
            continue;
        }
        let path = dir.join("oracle").join(file);
        if !path.exists() {
            eprintln!("SKIP: {}", path.display());
            continue;
        }
        let cases = oracle_cases(&path)?;
        let mixed: Vec<Case> = cases.iter().map(|(_, c)| c.clone()).collect();
        let rate = throughput(alg, &mixed);
        println!(
            "{id:<11} mixed oracle cases ({:>4})      {:>10.0} cases/s",
            mixed.len(),
            rate
        );
        let schema = if id == "eod_public" { "breast" } else { "" };
        let one: Vec<Case> = cases
            .iter()
            .filter(|(s, _)| !s.is_empty() && (schema.is_empty() || s == schema))
            .take(1)
            .map(|(_, c)| c.clone())
            .collect();
        if let Some((s, _)) = cases
            .iter()
            .find(|(s, _)| !s.is_empty() && (schema.is_empty() || s == schema))
        {
            let rate = throughput(alg, &one);
            println!("{id:<11} one case of '{s}' repeated   {rate:>10.0} cases/s");
        }
    }
    println!(
        "VmHWM at end                        {:>8.1} MiB",
        status_kib("VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}
