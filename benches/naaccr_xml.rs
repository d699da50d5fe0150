//! Throughput and memory of the NAACCR XML writer and validating reader on a generated
//! v26 abstract file of 100,000 tumors (60-150 items each, values valid for their dictionary
//! definitions), writing from `Patient` maps and from `PatientRecord`s. Run:
//! `cargo bench --bench naaccr_xml` (`NAACCR_BENCH_TUMORS=n` to resize).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::xml::{
    NaaccrXmlReader, NaaccrXmlWriter, Patient, PatientRecord, ReaderOptions, Tumor, WriterOptions,
};
use cancer_registry::naaccr::{DataType, Dictionary, ItemDef, Items, Level, RecordType};

/// Small deterministic generator (xorshift), so every run measures the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: [&str; 16] = [
    "biopsy",
    "margin",
    "negative",
    "carcinoma",
    "ductal",
    "invasive",
    "node",
    "lymph",
    "positive",
    "grade",
    "tumor",
    "size",
    "cm",
    "CT",
    "scan",
    "&",
];

fn value(def: &ItemDef, rng: &mut Rng) -> String {
    let len = def.length as usize;
    match def.id.as_str() {
        "primarySite" => return format!("C{:03}", rng.below(800)),
        "histologicTypeIcdO3" => return format!("{}", 8000 + rng.below(1000)),
        "nameLast" => {
            return ["SMITH", "JOHNSON", "O'BRIEN", "GARCIA", "NGUYEN"][rng.below(5) as usize]
                .into()
        }
        "nameFirst" => {
            return ["MARY", "JAMES", "LINDA", "JOSE", "MEI"][rng.below(5) as usize].into()
        }
        "addrAtDxStreet" | "addrCurrentStreet" => {
            return format!("{} MAIN ST", 1 + rng.below(9999))
        }
        _ => {}
    }
    match def.data_type {
        DataType::Digits => (0..len)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect(),
        DataType::Alpha => (0..len)
            .map(|_| char::from(b'A' + rng.below(26) as u8))
            .collect(),
        DataType::Mixed => (0..len)
            .map(|_| {
                let r = rng.below(36) as u8;
                char::from(if r < 10 { b'0' + r } else { b'A' + r - 10 })
            })
            .collect(),
        DataType::Numeric => format!("{}", rng.below(10u64.pow(len.min(6) as u32 - 1).max(1))),
        DataType::Date => format!(
            "{}{:02}{:02}",
            1990 + rng.below(35),
            1 + rng.below(12),
            1 + rng.below(28)
        ),
        DataType::DateTime => format!(
            "{}-{:02}-{:02}",
            1990 + rng.below(35),
            1 + rng.below(12),
            1 + rng.below(28)
        ),
        DataType::Text if len >= 1000 => {
            let mut s = String::new();
            while s.len() < 150 + rng.below(250) as usize {
                s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
                s.push(' ');
            }
            s.push('.');
            s
        }
        DataType::Text => (0..len.min(1 + rng.below(8) as usize))
            .map(|_| char::from(b'A' + rng.below(26) as u8))
            .collect(),
    }
}

fn generate_pool(tumors: usize) -> Vec<Patient> {
    let dict = Dictionary::v260();
    let allowed = |d: &&ItemDef, l: Level| d.level == l && d.record_types.contains(RecordType::A);
    let patient_defs: Vec<&ItemDef> = dict
        .items()
        .iter()
        .filter(|d| allowed(d, Level::Patient))
        .collect();
    let tumor_defs: Vec<&ItemDef> = dict
        .items()
        .iter()
        .filter(|d| allowed(d, Level::Tumor))
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut pool = Vec::new();
    let mut made = 0;
    while made < tumors {
        let mut p = Patient::default();
        for d in &patient_defs {
            if rng.below(10) < 6 {
                p.items.insert(d.id.clone(), value(d, &mut rng));
            }
        }
        p.items
            .insert("patientIdNumber".into(), format!("{:08}", pool.len() + 1));
        for _ in 0..(1 + rng.below(3)).min((tumors - made) as u64) {
            let target = 60 + rng.below(91) as usize;
            let mut items = Items::new();
            while items.len() < target {
                let d = tumor_defs[rng.below(tumor_defs.len() as u64) as usize];
                items.insert(d.id.clone(), value(d, &mut rng));
            }
            p.tumors.push(Tumor { items, line: 0 });
            made += 1;
        }
        pool.push(p);
    }
    pool
}

fn status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU time of this thread in seconds: the machine is shared, so wall time alone is noisy.
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// Resets VmHWM so each phase reports its own peak (Linux `clear_refs` 5).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    // Profiling aid: read an existing file only.
    if let Some(f) = std::env::var_os("NAACCR_BENCH_READ") {
        let p = std::path::PathBuf::from(f);
        let mb = std::fs::metadata(&p).unwrap().len() as f64 / 1e6;
        let tumors = std::env::var("NAACCR_BENCH_TUMORS")
            .unwrap()
            .parse()
            .unwrap();
        read_phase(&p, tumors, mb);
        return;
    }
    let tumors: usize = std::env::var("NAACCR_BENCH_TUMORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let pool_tumors = tumors.min(2_000);
    let t0 = Instant::now();
    let pool = generate_pool(pool_tumors);
    let pool_items: usize = pool
        .iter()
        .map(|p| p.items.len() + p.tumors.iter().map(|t| t.items.len()).sum::<usize>())
        .sum();
    println!(
        "generated pool: {} patients / {} tumors / {} items in {:.2?} (cycled to {tumors} tumors)",
        pool.len(),
        pool_tumors,
        pool_items,
        t0.elapsed()
    );

    // Serialisation alone (no I/O), then the same to a temporary file.
    let options = WriterOptions {
        record_type: RecordType::A,
        ..WriterOptions::default()
    };
    let (t, c) = (Instant::now(), cpu());
    let mut w = NaaccrXmlWriter::new(std::io::sink(), &options, &Items::new()).unwrap();
    let mut written = 0usize;
    'sink: loop {
        for p in &pool {
            if written + p.tumors.len() > tumors {
                break 'sink;
            }
            w.write_patient(p).unwrap();
            written += p.tumors.len();
        }
    }
    let (_, stats) = w.finish().unwrap();
    let (st, sc) = (t.elapsed().as_secs_f64(), cpu() - c);
    println!(
        "write (to io::sink): {} tumors / {} items, {:.1} MB in {:.2} s wall ({:.2} s CPU) = {:.0} tumors/s, {:.0} items/s, {:.1} MB/s (per CPU second: {:.0} tumors/s, {:.1} MB/s)",
        stats.tumors, stats.items, stats.bytes as f64 / 1e6, st, sc,
        stats.tumors as f64 / st, stats.items as f64 / st, stats.bytes as f64 / 1e6 / st,
        stats.tumors as f64 / sc, stats.bytes as f64 / 1e6 / sc
    );

    // The same from `PatientRecord`s (what a reader hands out, and an export could keep):
    // the pool written once and read back into records.
    let mut w = NaaccrXmlWriter::new(Vec::new(), &options, &Items::new()).unwrap();
    for p in &pool {
        w.write_patient(p).unwrap();
    }
    let (xml, _) = w.finish().unwrap();
    let set = DictionarySet::builtin();
    let mut reader = NaaccrXmlReader::new(&xml[..], &set, ReaderOptions::default()).unwrap();
    let mut records = Vec::new();
    let mut rec = PatientRecord::new();
    while reader.next_patient_into(&mut rec).unwrap() {
        records.push(rec.clone());
    }
    drop(reader);
    drop(xml);
    let (t, c) = (Instant::now(), cpu());
    let mut w = NaaccrXmlWriter::new(std::io::sink(), &options, &Items::new()).unwrap();
    let mut written = 0usize;
    'records: loop {
        for r in &records {
            if written + r.tumor_count() > tumors {
                break 'records;
            }
            w.write_record(r).unwrap();
            written += r.tumor_count();
        }
    }
    let (_, stats) = w.finish().unwrap();
    let (st, sc) = (t.elapsed().as_secs_f64(), cpu() - c);
    println!(
        "write records (to io::sink): {} tumors / {} items, {:.1} MB in {:.2} s wall ({:.2} s CPU) = {:.0} tumors/s, {:.1} MB/s (per CPU second: {:.0} tumors/s, {:.1} MB/s)",
        stats.tumors, stats.items, stats.bytes as f64 / 1e6, st, sc,
        stats.tumors as f64 / st, stats.bytes as f64 / 1e6 / st,
        stats.tumors as f64 / sc, stats.bytes as f64 / 1e6 / sc
    );
    drop(records);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.xml");
    reset_peak();
    let rss_before = status("VmRSS:");
    let options = WriterOptions {
        record_type: RecordType::A,
        ..WriterOptions::default()
    };
    let t = Instant::now();
    let mut w = NaaccrXmlWriter::new(
        BufWriter::new(File::create(&path).unwrap()),
        &options,
        &Items::new(),
    )
    .unwrap();
    let mut written = 0usize;
    'outer: loop {
        for p in &pool {
            if written + p.tumors.len() > tumors {
                break 'outer;
            }
            w.write_patient(p).unwrap();
            written += p.tumors.len();
        }
    }
    let (mut out, stats) = w.finish().unwrap();
    out.flush().unwrap();
    drop(out);
    let wt = t.elapsed().as_secs_f64();
    let mb = stats.bytes as f64 / 1e6;
    println!(
        "write (to temp file): {} patients / {} tumors / {} items, {:.1} MB in {:.2} s wall = {:.0} tumors/s, {:.0} items/s, {:.1} MB/s; peak RSS {} kB (in-memory pool + writer; RSS before writing {} kB)",
        stats.patients, stats.tumors, stats.items, mb, wt,
        stats.tumors as f64 / wt, stats.items as f64 / wt, mb / wt,
        status("VmHWM:"), rss_before
    );
    if let Some(keep) = std::env::var_os("NAACCR_BENCH_KEEP") {
        std::fs::copy(&path, keep).unwrap();
    }
    drop(pool);
    // The read runs in a fresh process so its peak RSS is the reader's alone (freed pool
    // memory stays mapped in this one).
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("NAACCR_BENCH_READ", &path)
        .env("NAACCR_BENCH_TUMORS", stats.tumors.to_string())
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "read phase failed");
}

fn read_phase(path: &std::path::Path, tumors_written: u64, mb: f64) {
    let set = DictionarySet::builtin();
    reset_peak();
    let (t, c) = (Instant::now(), cpu());
    let file = BufReader::with_capacity(64 * 1024, File::open(path).unwrap());
    let mut reader = NaaccrXmlReader::new(file, &set, ReaderOptions::default()).unwrap();
    let mut errors = 0usize;
    // The fastest public path: one record refilled in place (no map, no string per item).
    let mut record = PatientRecord::new();
    while reader.next_patient_into(&mut record).unwrap() {
        errors += record.errors.len();
    }
    let (rt, rc) = (t.elapsed().as_secs_f64(), cpu() - c);
    let (p, tu, items) = reader.counts();
    println!(
        "read+validate: {p} patients / {tu} tumors / {items} items, {errors} errors, in {:.2} s wall ({:.2} s CPU) = {:.0} tumors/s, {:.0} items/s, {:.1} MB/s (per CPU second: {:.0} tumors/s, {:.1} MB/s); peak RSS {} kB",
        rt,
        rc,
        tu as f64 / rt,
        items as f64 / rt,
        mb / rt,
        tu as f64 / rc,
        mb / rc,
        status("VmHWM:")
    );
    assert_eq!(errors, 0, "generated values must be valid");
    assert_eq!(tu, tumors_written);
}
