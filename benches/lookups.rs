//! Latency of code lookups: each query of a realistic mix run many times, with p50, p99 and
//! max per query, plus the one-time build of the lookups from the embedded files.
//!
//! `cargo bench --bench lookups`. Measures the domain search and the JSON body the API sends
//! (the HTTP framing around it is the same as for every other endpoint).

#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use cancer_registry::lookups::{self, Query};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let t = Instant::now();
    let all = lookups::global();
    let build = t.elapsed();
    println!(
        "build from embedded files: {:.1} ms",
        build.as_secs_f64() * 1e3
    );

    let cases: Vec<(&str, Query)> = vec![
        (
            "histologicTypeIcdO3",
            q(Some("infiltrating duct"), None, None),
        ),
        ("histologicTypeIcdO3", q(Some("8500/3"), None, None)),
        ("histologicTypeIcdO3", q(Some("carcinoma"), None, None)),
        ("histologicTypeIcdO3", q(None, None, None)),
        ("primarySite", q(Some("breast"), None, None)),
        ("primarySite", q(Some("C504"), None, None)),
        ("primarySite", q(Some("lung"), None, None)),
        (
            "causeOfDeath",
            q(Some("malignant neoplasm breast"), None, None),
        ),
        ("causeOfDeath", q(Some("C509"), None, None)),
        ("causeOfDeath", q(Some("a"), None, None)),
        ("laterality", q(None, None, None)),
        ("rxSummSurgPrimSite2023", q(None, Some("C504"), Some(2024))),
        (
            "rxSummSurgPrimSite2023",
            q(Some("mastectomy"), Some("C504"), Some(2024)),
        ),
        ("rxSummSurgPrimSite", q(None, Some("C504"), Some(2019))),
    ];
    let rounds = 2000;
    let mut worst_p99 = Duration::ZERO;
    for (item, query) in &cases {
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let answer = all.find(item, query).expect("lookup");
            let body: Vec<serde_json::Value> = answer
                .hits
                .iter()
                .map(|h| {
                    serde_json::json!({
                        "code": &*h.entry.code, "label": &*h.entry.label,
                        "matched": h.matched, "validFrom": h.valid_from, "validTo": h.valid_to,
                    })
                })
                .collect();
            let text = serde_json::to_string(&body).expect("json");
            bytes = text.len();
            times.push(t.elapsed());
        }
        times.sort();
        let p99 = percentile(&times, 0.99);
        worst_p99 = worst_p99.max(p99);
        println!(
            "{item:>24} q={:<28} site={:<5} year={:<5} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  ({} bytes)",
            format!("{:?}", query.q.unwrap_or("")),
            query.site.unwrap_or("-"),
            query.year.map(|y| y.to_string()).unwrap_or("-".into()),
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
            bytes
        );
    }
    println!(
        "worst p99 over {} queries x {rounds}: {:.3} ms (target 5 ms)",
        cases.len(),
        worst_p99.as_secs_f64() * 1e3
    );
}

fn q<'a>(text: Option<&'a str>, site: Option<&'a str>, year: Option<u16>) -> Query<'a> {
    Query {
        q: text,
        site,
        year,
        limit: 200,
    }
}
