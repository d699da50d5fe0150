//! Settings, from the environment (and a few command-line flags that override it).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` (`--database-url`) | `cancer-registry.db` in the working folder | `postgres://...` for PostgreSQL, or the path of a SQLite file (`sqlite://PATH` also accepted) |
//! | `CANCER_REGISTRY_BIND` (`--bind`) | `127.0.0.1:8080` | address the server listens on |
//! | `CANCER_REGISTRY_POOL_SIZE` | 8 (SQLite, at most 8) / 16 (PostgreSQL) | database connections |
//! | `CANCER_REGISTRY_POOL_TIMEOUT_SECS` | 10 | wait for a free connection before answering 503 |
//! | `CANCER_REGISTRY_JWT_ALGORITHM` | `HS256` | `HS256`, `RS256` or `ES256` |
//! | `CANCER_REGISTRY_JWT_SECRET` | (generated) | HS256 secret, at least 32 characters |
//! | `CANCER_REGISTRY_JWT_SECRET_FILE` | `<database file>.jwt-secret`, or `cancer-registry.jwt-secret` for PostgreSQL | where the generated HS256 secret is kept (mode 0600) |
//! | `CANCER_REGISTRY_JWT_PUBLIC_KEY` | none | PEM public key file for RS256/ES256 |
//! | `CANCER_REGISTRY_JWT_PRIVATE_KEY` | none | PEM private key file, only for `cancer-registry token` with RS256/ES256 |
//! | `CANCER_REGISTRY_JWT_ISSUER` | `cancer-registry` | required `iss` claim |
//! | `CANCER_REGISTRY_JWT_AUDIENCE` | `cancer-registry` | required `aud` claim |
//! | `CANCER_REGISTRY_MAX_BODY_BYTES` | 2097152 | largest JSON request body |
//! | `CANCER_REGISTRY_DATA_DIR` | `<database file>.files`, or `cancer-registry-files` for PostgreSQL | where submission files and uploads are kept |
//! | `CANCER_REGISTRY_DICTIONARIES` | none | folder of older base dictionaries (140-240) and user dictionaries for imports |
//! | `CANCER_REGISTRY_MAX_IMPORT_BYTES` | 4294967296 | largest NAACCR XML upload |
//! | `CANCER_REGISTRY_CLIENT_TIMEOUT_SECS` | 30 | a client that pauses this long while sending a request head or an upload gets 408 |
//! | `CANCER_REGISTRY_ALGORITHMS` | `./algorithms` | folder of the staging algorithm ZIPs (eod_public, tnm, pediatric, cs) |
//! | `CANCER_REGISTRY_CURRENT_YEAR` | the clock's year | the year staging compares diagnosis years with (set it for reproducible results) |
//! | `CANCER_REGISTRY_SUPPRESSION_THRESHOLD` | 16 | research and report tables suppress counts below this |
//! | `CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES` | false | imports may name facilities not registered at `/api/v1/facilities` (a first load) |
//! | `CANCER_REGISTRY_REFERENCE` | `../shared/reference` | folder of the edits' reference tables (site/histology lists, ...) |

use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::auth::KeyConfig;
use crate::db::{Backend, PoolOptions};

/// The default SQLite file, created in the working folder on first start.
pub const DEFAULT_DATABASE: &str = "cancer-registry.db";
/// The default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

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
    pub max_body_bytes: usize,
    /// Folder of the edits' reference tables.
    pub reference_dir: PathBuf,
    /// Submission files and uploads.
    pub data_dir: PathBuf,
    pub max_import_bytes: u64,
    pub client_timeout: Duration,
    /// Staging algorithm ZIPs.
    pub algorithms_dir: PathBuf,
    pub current_year: u16,
    pub suppression_threshold: u64,
    /// Imports may name facilities that are not registered (a first load).
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

/// Loads the staging algorithms of a folder, or says why there are none.
pub fn load_staging(dir: &std::path::Path) -> Result<crate::staging::Registry, String> {
    if !dir.is_dir() {
        return Err(format!(
            "the algorithms folder {} does not exist",
            dir.display()
        ));
    }
    let registry = crate::staging::Registry::load_dir(dir).map_err(|e| e.to_string())?;
    if registry.algorithms().is_empty() {
        return Err(format!("no algorithm ZIP in {}", dir.display()));
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
            max_body_bytes: parse_var("CANCER_REGISTRY_MAX_BODY_BYTES")?.unwrap_or(2 * 1024 * 1024),
            reference_dir: crate::edits::ReferenceTables::default_dir(),
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
            client_timeout: Duration::from_secs(
                parse_var("CANCER_REGISTRY_CLIENT_TIMEOUT_SECS")?
                    .unwrap_or(30)
                    .max(1),
            ),
            algorithms_dir: var("CANCER_REGISTRY_ALGORITHMS")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("algorithms")),
            current_year: current_year()?,
            suppression_threshold: parse_var("CANCER_REGISTRY_SUPPRESSION_THRESHOLD")?
                .unwrap_or(crate::research::DEFAULT_THRESHOLD),
            accept_unknown_facilities: parse_var("CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES")?
                .unwrap_or(false),
        })
    }
}
