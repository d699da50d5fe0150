//! Staging engine tests against the shared reference material (oracle cases, upstream unit-test facts,
//! CS integration data). Data root: env `CANCER_REGISTRY_SHARED`, default `../shared`.

mod cli;
mod common;
mod cs_integration;
mod oracle;
mod unit_cases;
