//! MP/H rules throughput: pairs per CPU-second over the reference test file (10,000 pairs,
//! `shared/mph/mph-testing-2000-2022.head-expected.tsv.gz`), one thread; and the time to group a
//! 20-tumor patient into primaries.
//!
//! `cargo bench --bench mph` (fixtures from `CANCER_REGISTRY_SHARED`, default `../shared`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cancer_registry::mph::{compare, primaries, TumorFields};

const YEAR: i64 = 2026;

/// CPU time of this thread (ns) from `/proc/thread-self/schedstat`; wall time where absent.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace()
        .next()?
        .parse()
        .ok()
        .map(Duration::from_nanos)
}

fn timed(f: impl FnOnce()) -> (Duration, &'static str) {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    f();
    match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => (b - a, "CPU"),
        _ => (wall.elapsed(), "wall"),
    }
}

fn load() -> Option<Vec<[String; 18]>> {
    let base = std::env::var_os("CANCER_REGISTRY_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = base.join("mph/mph-testing-2000-2022.head-expected.tsv.gz");
    let file = std::fs::File::open(&path).ok()?;
    let rows = BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .skip(1)
        .map_while(Result::ok)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            std::array::from_fn(|i| f.get(i + 1).copied().unwrap_or("").to_string())
        })
        .collect();
    Some(rows)
}

fn fields(r: &[String], o: usize) -> TumorFields<'_> {
    TumorFields {
        year: &r[o],
        month: &r[o + 1],
        day: &r[o + 2],
        site: &r[o + 3],
        histology: &r[o + 4],
        behavior: &r[o + 5],
        histology_icdo2: &r[o + 6],
        behavior_icdo2: &r[o + 7],
        laterality: &r[o + 8],
    }
}

fn main() {
    let Some(rows) = load() else {
        eprintln!("*** SKIP: shared/mph test file not found (set CANCER_REGISTRY_SHARED) ***");
        return;
    };
    let pairs: Vec<(TumorFields, TumorFields)> =
        rows.iter().map(|r| (fields(r, 0), fields(r, 9))).collect();
    // First use parses the tables; keep that out of the measurement.
    let _ = compare(&pairs[0].0, &pairs[0].1, YEAR);
    // schedstat advances at scheduler ticks: time blocks of many passes, not single passes.
    let passes = 100;
    let mut best = f64::MAX;
    let mut clock = "CPU";
    let mut decided = 0usize;
    for _ in 0..5 {
        let (d, c) = timed(|| {
            for _ in 0..passes {
                for (a, b) in &pairs {
                    if let Ok(o) = compare(a, b, YEAR) {
                        decided += usize::from(o.step.is_some());
                    }
                }
            }
        });
        clock = c;
        best = best.min(d.as_secs_f64() / f64::from(passes));
    }
    println!(
        "mph compare: {} pairs in {:.2} ms {clock} per pass (best of 5 blocks of {passes} passes) = {:.0} pairs per {clock}-second ({decided} rule decisions seen)",
        pairs.len(),
        best * 1e3,
        pairs.len() as f64 / best
    );
    let (d, c) = timed(|| {
        for _ in 0..10 {
            for (a, b) in &pairs {
                if let Ok(o) = compare(a, b, YEAR) {
                    std::hint::black_box(o.reason(a, b, YEAR));
                }
            }
        }
    });
    println!(
        "mph compare + reason text: {:.0} pairs per {c}-second",
        10.0 * pairs.len() as f64 / d.as_secs_f64()
    );

    // A 20-tumor patient: the first 20 distinct tumors of the file.
    let patient: Vec<TumorFields> = pairs.iter().take(10).flat_map(|(a, b)| [*a, *b]).collect();
    let runs = 1_000;
    let mut worst_mean = 0f64;
    let mut clock = "CPU";
    for _ in 0..5 {
        let (d, c) = timed(|| {
            for _ in 0..runs {
                std::hint::black_box(primaries::group(&patient, YEAR).ok());
            }
        });
        clock = c;
        worst_mean = worst_mean.max(d.as_secs_f64() / f64::from(runs));
    }
    println!(
        "primaries of a 20-tumor patient (190 pairs, with reasons): {:.1} µs {clock} per patient (worst of 5 blocks of {runs})",
        worst_mean * 1e6
    );
}
