//! Settings, from the environment (and a few command-line flags that override it). Every
//! variable is listed once, in [`VARIABLES`]: `serve --help` prints that list and a test checks
//! that the README's configuration table names each one.

use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::auth::KeyConfig;
use crate::db::{Backend, PoolOptions};
use crate::refdata::Source;

/// The default SQLite file, created in the working folder on first start.
pub const DEFAULT_DATABASE: &str = "cancer-registry.db";
/// The default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Every variable the service reads: (name, default, meaning).
pub const VARIABLES: &[(&str, &str, &str)] = &[
    ("DATABASE_URL", "cancer-registry.db", "postgres://... for PostgreSQL, or the path of a SQLite file (also --database-url)"),
    ("CANCER_REGISTRY_BIND", "127.0.0.1:8080", "listen address (also serve --bind)"),
    ("CANCER_REGISTRY_POOL_SIZE", "8 (SQLite) / 16 (PostgreSQL)", "database connections"),
    ("CANCER_REGISTRY_POOL_TIMEOUT_SECS", "10", "wait for a free connection before answering 503"),
    ("CANCER_REGISTRY_JWT_ALGORITHM", "HS256", "HS256, RS256 or ES256"),
    ("CANCER_REGISTRY_JWT_SECRET", "generated at first start", "HS256 secret, at least 32 characters; instances behind one load balancer share it"),
    ("CANCER_REGISTRY_JWT_SECRET_FILE", "<database>.jwt-secret (cancer-registry.jwt-secret for PostgreSQL)", "where the generated secret is kept (mode 0600)"),
    ("CANCER_REGISTRY_JWT_PUBLIC_KEY", "none", "PEM public key of the identity provider (RS256/ES256)"),
    ("CANCER_REGISTRY_JWT_PRIVATE_KEY", "none", "PEM private key, only for `cancer-registry token` with RS256/ES256"),
    ("CANCER_REGISTRY_JWT_ISSUER", "cancer-registry", "required iss claim"),
    ("CANCER_REGISTRY_JWT_AUDIENCE", "cancer-registry", "required aud claim"),
    ("CANCER_REGISTRY_JWT_MAX_LIFETIME", "12h", "longest token lifetime (exp - iat) accepted and minted, e.g. 8h, 30m"),
    ("CANCER_REGISTRY_MAX_BODY_BYTES", "2097152", "largest JSON request body (413 beyond)"),
    ("CANCER_REGISTRY_DATA_DIR", "<database>.files (cancer-registry-files for PostgreSQL)", "submission files and uploads"),
    ("CANCER_REGISTRY_MAX_IMPORT_BYTES", "4294967296", "largest NAACCR XML upload (413 beyond)"),
    ("CANCER_REGISTRY_MAX_IMPORT_EXPANDED_BYTES", "68719476736", "largest NAACCR XML file once decompressed, counted while it streams (the file is refused, 422 file-too-large)"),
    ("CANCER_REGISTRY_MAX_IMPORT_PATIENTS", "5000000", "most patients in one imported file (refused beyond, 422 too-many-patients at the line)"),
    ("CANCER_REGISTRY_MAX_IMPORT_TUMORS", "10000000", "most tumors in one imported file (refused beyond, 422 too-many-tumors at the line)"),
    ("CANCER_REGISTRY_MAX_JOBS", "a quarter of the pool (2 on SQLite, 4 on PostgreSQL)", "submission builds and imports running at once on this instance; one more gets 429 with Retry-After"),
    ("CANCER_REGISTRY_MAX_JOBS_PER_USER", "1", "submission builds and imports one user may run at once; one more gets 429 with Retry-After"),
    ("CANCER_REGISTRY_JOB_LEASE_SECS", "60", "how long a submission build stays this instance's without a renewal (renewed every third of it); when its instance dies, another takes the build over after this long"),
    ("CANCER_REGISTRY_SUBMISSION_FILES", "database (PostgreSQL) / folder (SQLite)", "where finished submission files are kept: database (every instance serves them) or folder (the data folder; shared by instances only if they mount one folder)"),
    ("CANCER_REGISTRY_CLIENT_TIMEOUT_SECS", "30", "a client that pauses this long while sending a request head or an upload, or does not send a whole JSON or death-record body in this time, gets 408"),
    ("CANCER_REGISTRY_CURRENT_YEAR", "the clock's year", "the year staging and edits compare diagnosis years with (set it for reproducible results)"),
    ("CANCER_REGISTRY_SUPPRESSION_THRESHOLD", "16", "research and report tables suppress counts below this"),
    ("CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES", "false", "true: imports, writes and tokens may name reporting facilities not registered at /api/v1/facilities (a first load); otherwise such a file or write is refused (422, unknown-facility) and such a token 403"),
    ("CANCER_REGISTRY_ALGORITHMS", "built in (data/algorithms)", "folder of staging algorithm ZIPs replacing the built-in eod_public 3.3, tnm 2.1, pediatric 1.3, cs 02.05.50"),
    ("CANCER_REGISTRY_REFERENCE", "built in (data/reference)", "folder replacing the built-in reference tables of the edits, lookups and site recode (same layout as data/reference)"),
    ("CANCER_REGISTRY_EDIT_SET", "coc", "edit set the stored outcomes and the completion gate use (coc, seer, npcr, state-default; see GET /api/v1/edit-sets)"),
    ("CANCER_REGISTRY_DICTIONARIES", "built in (data/dictionaries)", "folder of extra NAACCR base dictionaries and user dictionaries for imports (added to the built-in 140-260)"),
    ("CANCER_REGISTRY_GENERATOR_TABLES", "built in (data/generator-tables)", "folder replacing the synthetic-data generator's frequency tables"),
];

/// [`VARIABLES`] as the text `serve --help` ends with.
pub fn variables_help() -> String {
    let mut out = String::from("Environment variables (default in brackets):\n");
    for (name, default, meaning) in VARIABLES {
        out.push_str(&format!("  {name} [{default}]\n      {meaning}\n"));
    }
    out
}

/// A setting that could not be used, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

/// Every setting the service uses.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub pool: PoolOptions,
    pub jwt: KeyConfig,
    /// Longest accepted token lifetime.
    pub jwt_max_lifetime: Duration,
    pub max_body_bytes: usize,
    /// The edits' reference tables (also the site recode and lookups): embedded or a folder.
    pub reference: Source,
    /// Submission files and uploads.
    pub data_dir: PathBuf,
    pub max_import_bytes: u64,
    /// What one imported file may hold.
    pub import_limits: crate::submissions::import_limits::FileLimits,
    /// Submission builds and imports at once: on this instance, and per user (None: defaults).
    pub max_jobs: Option<usize>,
    pub max_jobs_per_user: Option<usize>,
    /// How long a submission build's lease lasts.
    pub job_lease: Duration,
    /// Where submission files are kept (None: by backend).
    pub submission_files: Option<crate::submissions::files::StoreKind>,
    pub client_timeout: Duration,
    /// Staging algorithm ZIPs: embedded or a folder.
    pub algorithms: Source,
    pub current_year: u16,
    pub suppression_threshold: u64,
    /// Imports, writes and tokens may name facilities that are not registered (a first load).
    pub accept_unknown_facilities: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &'static str) -> Result<Option<T>, ConfigError> {
    var(name)
        .map(|v| {
            v.trim().parse().map_err(|_| ConfigError {
                variable: name,
                message: format!("{v:?} is not a valid value"),
            })
        })
        .transpose()
}

/// `CANCER_REGISTRY_CURRENT_YEAR`, else the clock's year.
pub fn current_year() -> Result<u16, ConfigError> {
    use chrono::Datelike;
    match parse_var::<u16>("CANCER_REGISTRY_CURRENT_YEAR")? {
        Some(y) if (1900..=2200).contains(&y) => Ok(y),
        Some(y) => Err(ConfigError {
            variable: "CANCER_REGISTRY_CURRENT_YEAR",
            message: format!("{y} is not a plausible year"),
        }),
        None => Ok(u16::try_from(chrono::Utc::now().year()).unwrap_or(2026)),
    }
}

/// The variable naming a folder of algorithm ZIPs that replaces the embedded ones.
pub const ALGORITHMS_ENV: &str = "CANCER_REGISTRY_ALGORITHMS";

/// `CANCER_REGISTRY_ALGORITHMS`, else the algorithms built into the binary.
pub fn algorithms_source() -> Source {
    Source::from_env(ALGORITHMS_ENV, "algorithms")
}

/// Loads the staging algorithms of a source, or says why there are none.
pub fn load_staging(source: &Source) -> Result<crate::staging::Registry, String> {
    if !source.exists() {
        return Err(format!(
            "the algorithms folder {} does not exist",
            source.describe()
        ));
    }
    let registry = crate::staging::Registry::load_source(source).map_err(|e| e.to_string())?;
    if registry.algorithms().is_empty() {
        return Err(format!("no algorithm ZIP in {}", source.describe()));
    }
    Ok(registry)
}

impl Config {
    /// Reads the environment; `database_url` and `bind` come from the command line (which
    /// itself falls back to `DATABASE_URL` and `CANCER_REGISTRY_BIND`).
    pub fn from_env(
        database_url: Option<String>,
        bind: Option<String>,
    ) -> Result<Config, ConfigError> {
        let database_url = database_url.unwrap_or_else(|| DEFAULT_DATABASE.to_string());
        let backend = Backend::from_url(&database_url).map_err(|e| ConfigError {
            variable: "DATABASE_URL",
            message: e.to_string(),
        })?;
        let algorithm = match var("CANCER_REGISTRY_JWT_ALGORITHM").as_deref() {
            None | Some("HS256") => Algorithm::HS256,
            Some("RS256") => Algorithm::RS256,
            Some("ES256") => Algorithm::ES256,
            Some(other) => {
                return Err(ConfigError {
                    variable: "CANCER_REGISTRY_JWT_ALGORITHM",
                    message: format!("{other:?}: use HS256, RS256 or ES256"),
                })
            }
        };
        let secret_file = var("CANCER_REGISTRY_JWT_SECRET_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| match &backend {
                Backend::Sqlite(path) => {
                    let mut p = path.clone().into_os_string();
                    p.push(".jwt-secret");
                    PathBuf::from(p)
                }
                Backend::Postgres(_) => PathBuf::from("cancer-registry.jwt-secret"),
            });
        let default_pool = if backend.is_sqlite() { 8 } else { 16 };
        Ok(Config {
            database_url,
            bind: bind.unwrap_or_else(|| DEFAULT_BIND.to_string()),
            pool: PoolOptions {
                max_size: parse_var("CANCER_REGISTRY_POOL_SIZE")?.unwrap_or(default_pool),
                connection_timeout: Duration::from_secs(
                    parse_var("CANCER_REGISTRY_POOL_TIMEOUT_SECS")?.unwrap_or(10),
                ),
            },
            jwt: KeyConfig {
                algorithm,
                secret: var("CANCER_REGISTRY_JWT_SECRET"),
                secret_file,
                public_key_pem: var("CANCER_REGISTRY_JWT_PUBLIC_KEY").map(PathBuf::from),
                private_key_pem: var("CANCER_REGISTRY_JWT_PRIVATE_KEY").map(PathBuf::from),
                issuer: var("CANCER_REGISTRY_JWT_ISSUER")
                    .unwrap_or_else(|| "cancer-registry".to_string()),
                audience: var("CANCER_REGISTRY_JWT_AUDIENCE")
                    .unwrap_or_else(|| "cancer-registry".to_string()),
            },
            jwt_max_lifetime: match var("CANCER_REGISTRY_JWT_MAX_LIFETIME") {
                None => crate::auth::keys::DEFAULT_MAX_TOKEN_LIFETIME,
                Some(v) => crate::auth::keys::parse_ttl(&v).ok_or_else(|| ConfigError {
                    variable: "CANCER_REGISTRY_JWT_MAX_LIFETIME",
                    message: format!("{v:?}: use a duration such as 12h or 30m"),
                })?,
            },
            max_body_bytes: parse_var("CANCER_REGISTRY_MAX_BODY_BYTES")?.unwrap_or(2 * 1024 * 1024),
            reference: crate::edits::ReferenceTables::default_source(),
            data_dir: var("CANCER_REGISTRY_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| match &backend {
                    Backend::Sqlite(path) => {
                        let mut p = path.clone().into_os_string();
                        p.push(".files");
                        PathBuf::from(p)
                    }
                    Backend::Postgres(_) => PathBuf::from("cancer-registry-files"),
                }),
            max_import_bytes: parse_var("CANCER_REGISTRY_MAX_IMPORT_BYTES")?
                .unwrap_or(4 * 1024 * 1024 * 1024),
            import_limits: {
                let d = crate::submissions::import_limits::FileLimits::default();
                crate::submissions::import_limits::FileLimits {
                    expanded_bytes: parse_var("CANCER_REGISTRY_MAX_IMPORT_EXPANDED_BYTES")?
                        .unwrap_or(d.expanded_bytes),
                    patients: parse_var("CANCER_REGISTRY_MAX_IMPORT_PATIENTS")?
                        .unwrap_or(d.patients),
                    tumors: parse_var("CANCER_REGISTRY_MAX_IMPORT_TUMORS")?.unwrap_or(d.tumors),
                }
            },
            max_jobs: parse_var("CANCER_REGISTRY_MAX_JOBS")?,
            max_jobs_per_user: parse_var("CANCER_REGISTRY_MAX_JOBS_PER_USER")?,
            job_lease: Duration::from_secs(
                parse_var("CANCER_REGISTRY_JOB_LEASE_SECS")?
                    .unwrap_or(60)
                    .max(1),
            ),
            submission_files: match var("CANCER_REGISTRY_SUBMISSION_FILES") {
                None => None,
                Some(v) => Some(crate::submissions::files::StoreKind::parse(&v).ok_or(
                    ConfigError {
                        variable: "CANCER_REGISTRY_SUBMISSION_FILES",
                        message: format!("{v:?} is neither database nor folder"),
                    },
                )?),
            },
            client_timeout: Duration::from_secs(
                parse_var("CANCER_REGISTRY_CLIENT_TIMEOUT_SECS")?
                    .unwrap_or(30)
                    .max(1),
            ),
            algorithms: algorithms_source(),
            current_year: current_year()?,
            suppression_threshold: parse_var("CANCER_REGISTRY_SUPPRESSION_THRESHOLD")?
                .unwrap_or(crate::research::DEFAULT_THRESHOLD),
            accept_unknown_facilities: parse_var("CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES")?
                .unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's configuration table and `serve --help` come from one list; a variable
    /// added to the code without a README row fails here.
    #[test]
    fn readme_names_every_variable() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let table = &readme[readme.find("## Configuration").unwrap_or(0)..];
        for (name, _, _) in VARIABLES {
            assert!(table.contains(&format!("| `{name}` |")), "{name} missing");
        }
        let help = variables_help();
        assert!(VARIABLES.iter().all(|(name, _, _)| help.contains(name)));
    }
}
