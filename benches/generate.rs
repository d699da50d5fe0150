//! Synthetic data generator: throughput and memory.
//!
//! `cargo bench --bench generate` (tables from `CANCER_REGISTRY_GENERATOR_TABLES`, default
//! `../shared/naaccr/generator-tables`; edits reference from `CANCER_REGISTRY_REFERENCE`).
//! Prints patients/s and MB/s for 100,000 patients written to a byte-counting sink, the peak
//! RSS (VmHWM) of a fresh process generating 100,000 and 1,000,000 patients (streaming: it
//! must not grow with N), and the edit pass rate on 20,000 generated patients.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use cancer_registry::edits::{self, ReferenceTables, Severity};
use cancer_registry::generate::{generate, generate_patient, GenerateOptions, GeneratorTables};

/// Counts bytes and drops them: measures the generator and the XML writer, not the disk.
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

fn vm_hwm_kb() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn tables() -> GeneratorTables {
    match GeneratorTables::load_source(&GeneratorTables::default_source()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot run the bench: {e}");
            std::process::exit(2);
        }
    }
}

/// Child mode: generate `n` patients into a sink and report VmHWM.
fn rss_child(n: u64) {
    let t = tables();
    let before = vm_hwm_kb().unwrap_or(0);
    let options = GenerateOptions {
        patients: n,
        seed: 42,
        ..GenerateOptions::default()
    };
    let start = Instant::now();
    let mut sink = Sink(0);
    let summary = match generate(&options, &t, &mut sink) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!(
        "RSS {n} patients ({} tumors, {:.1} MB) in {:.1} s: VmHWM {} kB (after loading the tables: {before} kB)",
        summary.tumors,
        sink.0 as f64 / 1e6,
        start.elapsed().as_secs_f64(),
        vm_hwm_kb().unwrap_or(0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rss-child") {
        let n = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(1000);
        rss_child(n);
        return;
    }

    let load = Instant::now();
    let t = tables();
    println!("tables loaded in {:.2} s", load.elapsed().as_secs_f64());

    let n = 100_000;
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut bytes = 0;
    let mut tumors = 0;
    for round in 0..3 {
        let mut sink = Sink(0);
        let options = GenerateOptions {
            patients: n,
            seed: 42,
            ..GenerateOptions::default()
        };
        let start = Instant::now();
        let cpu_start = thread_cpu_ns();
        let summary = match generate(&options, &t, &mut sink) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let secs = start.elapsed().as_secs_f64();
        let cpu = match (cpu_start, thread_cpu_ns()) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1e9,
            _ => secs,
        };
        best = best.min(secs);
        best_cpu = best_cpu.min(cpu);
        bytes = sink.0;
        tumors = summary.tumors;
        println!(
            "round {round}: {n} patients, {} tumors, {:.1} MB in {secs:.2} s (cpu {cpu:.2} s): {:.0} patients/s, {:.1} MB/s",
            summary.tumors,
            sink.0 as f64 / 1e6,
            n as f64 / secs,
            sink.0 as f64 / 1e6 / secs
        );
    }
    println!(
        "best: {:.0} patients/s, {:.0} tumors/s, {:.1} MB/s wall ({:.1} MB for {n} patients); per CPU-second: {:.0} patients, {:.1} MB",
        n as f64 / best,
        tumors as f64 / best,
        bytes as f64 / 1e6 / best,
        bytes as f64 / 1e6,
        n as f64 / best_cpu,
        bytes as f64 / 1e6 / best_cpu
    );

    // peak memory of fresh processes: streaming keeps it flat from 100k to 1M patients
    if let Ok(exe) = std::env::current_exe() {
        for n in [100_000u64, 1_000_000] {
            match Command::new(&exe)
                .args(["--rss-child", &n.to_string()])
                .output()
            {
                Ok(out) => print!("{}", String::from_utf8_lossy(&out.stdout)),
                Err(e) => eprintln!("cannot run the RSS child: {e}"),
            }
        }
    }

    // edit pass rate on generated data
    let reference = match ReferenceTables::load_source(&ReferenceTables::default_source()) {
        Ok(r) => r,
        Err(e) => {
            println!("edit pass rate not measured: {e}");
            return;
        }
    };
    let (mut total, mut clean) = (0usize, 0usize);
    let mut by_edit: std::collections::BTreeMap<&str, usize> = Default::default();
    for i in 0..20_000 {
        let p = generate_patient(&t, 42, i);
        let items: Vec<_> = p.tumors.iter().map(|t| t.items.clone()).collect();
        let failures = edits::run(&p.items, &items, &reference);
        total += items.len();
        let errors: Vec<_> = failures
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        for f in &errors {
            *by_edit.entry(f.edit_id).or_insert(0) += 1;
        }
        clean += (0..items.len())
            .filter(|i| {
                !errors
                    .iter()
                    .any(|f| f.tumor_index.is_none_or(|ti| ti == *i))
            })
            .count();
    }
    let mut top: Vec<_> = by_edit.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!(
        "edit pass rate (20,000 patients, seed 42): {clean}/{total} = {:.2}% of tumors without an error-level failure; failing: {top:?}",
        clean as f64 * 100.0 / total as f64
    );
}
