//! The integration suite: the real actix app over a fresh database, on SQLite always and on
//! PostgreSQL when `TEST_DATABASE_URL` is set (required under `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod audit;
mod audit_chain;
mod audit_denied;
mod audit_subjects;
mod auth;
mod cli;
mod dictionary;
mod due_pages;
mod edits;
mod facilities;
mod facility_guards;
mod faults;
mod followup;
mod fresh_machine;
mod intake;
mod intake_scenario;
mod job_leases;
mod job_limits;
mod json_bodies;
mod lifecycle;
mod lookups;
mod migrations;
mod openapi;
mod patient_search;
mod patients;
mod reads_off_writer;
mod recipients;
mod request_limits;
mod research;
mod staging;
mod submissions;
mod tumors;
mod web;
mod write_rules;
