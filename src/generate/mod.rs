//! Synthetic registry data: realistic NAACCR v26 abstracts (record type A) drawn from the
//! frequency tables of `shared/naaccr/generator-tables/`, for performance corpora, demos and
//! round-trip tests. Nothing generated describes a real person.
//!
//! Pure: tables in, XML out. The output is a function of the options and the tables only
//! (same seed, same bytes): each patient has its own random stream derived from the seed and
//! its index, no clock is read, and nothing iterates a hash map. Patients are generated and
//! written one at a time, so memory does not grow with the number of patients.

mod biomarkers;
mod date;
mod patient;
pub mod rng;
pub mod tables;
mod zip;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use crate::naaccr::xml::{NaaccrXmlWriter, Patient, WriterOptions};
use crate::naaccr::{Items, RecordType};

pub use patient::{FACILITIES, LAST_DAY};
pub use tables::{GeneratorTables, TABLES_ENV};

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("generator tables directory {0} does not exist; pass --tables or set CANCER_REGISTRY_GENERATOR_TABLES")]
    MissingDir(PathBuf),
    #[error("cannot read generator table {path}: {reason}")]
    Table { path: PathBuf, reason: String },
    #[error("generator table {path}, line {line}: {reason}")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("cannot create output file {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the generated file: {0}")]
    Write(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    pub patients: u64,
    pub seed: u64,
    /// Index of the first patient written: a run can be split into files (`--first 0`,
    /// `--first N`, ...) whose patients are those of the whole run, numbered apart.
    pub first: u64,
    /// `timeGenerated` of the root element: fixed so that the output is reproducible.
    pub time_generated: String,
    /// Registry ID [40] written on the root.
    pub registry_id: String,
}

impl Default for GenerateOptions {
    fn default() -> GenerateOptions {
        GenerateOptions {
            patients: 1000,
            seed: 1,
            first: 0,
            time_generated: "2026-01-01T00:00:00Z".to_string(),
            registry_id: "0000000001".to_string(),
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub patients: u64,
    pub tumors: u64,
    pub items: u64,
    pub bytes: u64,
}

/// Patient number `index` (0-based) of the run with `seed`, without writing anything: what
/// [`generate`] writes as its `index`-th patient.
pub fn generate_patient(tables: &GeneratorTables, seed: u64, index: u64) -> Patient {
    let mut rng = rng::Rng::fork(seed, index);
    patient::patient(tables, &mut rng, index)
}

/// Writes `options.patients` synthetic patients as one NAACCR XML v26 document (record type A).
pub fn generate(
    options: &GenerateOptions,
    tables: &GeneratorTables,
    out: impl Write,
) -> Result<GenerateSummary, Error> {
    let mut root = Items::new();
    root.insert("registryId".to_string(), options.registry_id.clone());
    let writer_options = WriterOptions {
        record_type: RecordType::A,
        time_generated: Some(options.time_generated.clone()),
        ..WriterOptions::default()
    };
    let mut w = NaaccrXmlWriter::new(out, &writer_options, &root)?;
    for i in options.first..options.first.saturating_add(options.patients) {
        let p = generate_patient(tables, options.seed, i);
        w.write_patient(&p)?;
    }
    let (_, stats) = w.finish()?;
    Ok(GenerateSummary {
        patients: stats.patients,
        tumors: stats.tumors,
        items: stats.items,
        bytes: stats.bytes,
    })
}

/// Usage of `cancer-registry generate`.
pub const USAGE: &str = "usage: cancer-registry generate --patients N --seed S [--tables DIR] --out FILE.xml\n\
  --patients N   number of patients (default 1000)\n\
  --seed S       random seed; the same seed gives the same bytes (default 1)\n\
  --first I      index of the first patient (default 0): splits one run into several files\n\
  --tables DIR   generator tables (default $CANCER_REGISTRY_GENERATOR_TABLES, else the tables built in)\n\
  --out FILE     output file; - for standard output";

/// The `generate` subcommand: `args` are the arguments after `generate`. Returns the summary
/// (the caller prints it and exits 0), or an error (print it, exit 2 for [`Error::Usage`],
/// 1 otherwise).
pub fn cli_run<I, S>(args: I) -> Result<GenerateSummary, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let mut options = GenerateOptions::default();
    let mut tables_dir = None;
    let mut out = None;
    let mut args = args.into_iter().map(Into::into);
    let usage = |m: String| Error::Usage(format!("{m}\n{USAGE}"));
    while let Some(a) = args.next() {
        let a = a.to_string_lossy().into_owned();
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        let mut value = || -> Result<String, Error> {
            inline
                .clone()
                .or_else(|| args.next().map(|v| v.to_string_lossy().into_owned()))
                .ok_or_else(|| usage(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--patients" => {
                let v = value()?;
                options.patients = v
                    .parse()
                    .map_err(|_| usage(format!("--patients: not a number: {v}")))?;
            }
            "--seed" => {
                let v = value()?;
                options.seed = v
                    .parse()
                    .map_err(|_| usage(format!("--seed: not a number: {v}")))?;
            }
            "--first" => {
                let v = value()?;
                options.first = v
                    .parse()
                    .map_err(|_| usage(format!("--first: not a number: {v}")))?;
            }
            "--tables" => tables_dir = Some(PathBuf::from(value()?)),
            "--out" => out = Some(value()?),
            "-h" | "--help" => return Err(Error::Usage(USAGE.to_string())),
            other => return Err(usage(format!("unknown argument {other}"))),
        }
    }
    let out = out.ok_or_else(|| usage("--out is required".to_string()))?;
    let tables = match tables_dir {
        Some(dir) => GeneratorTables::load(dir)?,
        None => GeneratorTables::load_source(&GeneratorTables::default_source())?,
    };
    if out == "-" {
        let stdout = std::io::stdout();
        generate(&options, &tables, std::io::BufWriter::new(stdout.lock()))
    } else {
        let file = std::fs::File::create(&out).map_err(|source| Error::Create {
            path: PathBuf::from(&out),
            source,
        })?;
        generate(&options, &tables, std::io::BufWriter::new(file))
    }
}
