//! Cancer staging engine: a table-driven interpreter for the algorithm ZIPs that the imsweb
//! staging-client-java library loads (EOD public, TNM, Pediatric, Collaborative Stage, or any other
//! ZIP in that format).
//!
//! The engine knows nothing about any one algorithm: schema selection, input validation, defaults,
//! mappings and outputs all come from the ZIP's JSON tables. Semantics, quirks included, follow
//! `shared/staging/ENGINE.md`; results serialise in the shape of the reference's `StagingData`
//! (`result`, `schema_id`, `output`, `errors`, `path`).
//!
//! The module is pure (no I/O besides reading ZIPs and the CLI's streams) and never panics on input.

mod algorithm;
pub mod cli;
mod engine;
mod hash;
mod matcher;
mod model;
mod registry;
pub mod tumor;

pub use algorithm::{
    Algorithm, AlgorithmInfo, CodeEntry, Input, Metadata, OnInvalidInput, Output, Schema,
};
pub use engine::{ErrorType, ResultType, StageOptions, StageResult, StagingError};
pub use registry::Registry;

/// Everything that can go wrong in this module.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot load algorithm from {source_name}: {message}")]
    Load {
        source_name: String,
        message: String,
    },
    #[error("algorithm '{id}' is loaded twice ({first} and {second})")]
    DuplicateAlgorithm {
        id: String,
        first: String,
        second: String,
    },
    #[error("unknown algorithm '{0}'")]
    UnknownAlgorithm(String),
    #[error("input line {line}: {message}")]
    BadInputLine { line: usize, message: String },
    #[error("reading input: {0}")]
    ReadInput(#[source] std::io::Error),
    #[error("writing output: {0}")]
    WriteOutput(#[source] std::io::Error),
}
