//! cancer-registry: a cancer registry abstraction service. Patients and tumors are NAACCR v26
//! data items, checked against the data dictionary on every write, with a workflow, facility
//! scope, JWT authentication and an audit trail of every read and change of identifiable data.

pub mod abstracts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod db;
pub mod edits;
pub mod facilities;
pub mod followup;
pub mod generate;
pub mod json_input;
pub mod logging;
pub mod lookups;
pub mod mph;
pub mod naaccr;
pub mod refdata;
pub mod research;
pub mod staging;
pub mod submissions;
pub mod web;
