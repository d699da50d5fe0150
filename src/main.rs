//! The `cancer-registry` command: run the service, apply migrations, mint tokens, print the
//! OpenAPI document.

use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use cancer_registry::abstracts::tumors::Status;
use cancer_registry::api::{self, AppState};
use cancer_registry::auth::{keys::parse_ttl, Keys, Role};
use cancer_registry::config::{load_staging, Config};
use cancer_registry::db::{self, Backend, Db};
use cancer_registry::edits::{self, ReferenceTables};
use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::xml::open_path;
use cancer_registry::naaccr::xml::ExportVersion;
use cancer_registry::naaccr::RecordType;
use cancer_registry::staging::StageOptions;
use cancer_registry::submissions::export::Selection;
use cancer_registry::submissions::jobs;

mod commands;

#[derive(Parser)]
#[command(
    name = "cancer-registry",
    version,
    about = "Cancer registry abstraction service"
)]
struct Cli {
    /// Database: postgres://... or the path of a SQLite file (default ./cancer-registry.db).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrations are applied at start).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CANCER_REGISTRY_BIND")]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a signed access token for the configured key.
    Token {
        /// The user (token subject).
        #[arg(long)]
        sub: String,
        /// A role: registrar, reviewer, manager, researcher, auditor (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A reporting facility id (repeatable); `*` (managers only) or none means all.
        #[arg(long = "facility")]
        facilities: Vec<String>,
        /// Lifetime, e.g. 8h, 30m, 2d.
        #[arg(long, default_value = "8h")]
        ttl: String,
    },
    /// Print the OpenAPI document (what `openapi/openapi.json` holds).
    Openapi,
    /// Import a NAACCR XML file (.xml or .xml.gz): validated whole first, then stored in one
    /// transaction; prints the report.
    Import {
        file: std::path::PathBuf,
        /// Facility of patients whose tumors name no Reporting Facility [540].
        #[arg(long)]
        facility: Option<String>,
    },
    /// Export tumors as a NAACCR XML file.
    Export {
        /// A, M, C or I.
        #[arg(long, default_value = "A")]
        record_type: String,
        /// 260 or 250.
        #[arg(long, default_value = "260")]
        naaccr_version: String,
        /// Only these reporting facilities (repeatable).
        #[arg(long = "facility")]
        facilities: Vec<String>,
        #[arg(long)]
        dx_year_from: Option<i32>,
        #[arg(long)]
        dx_year_to: Option<i32>,
        /// Only tumors in this workflow status (draft, review, complete).
        #[arg(long)]
        status: Option<String>,
        /// The file to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Stage cases: JSON lines `{"id":..., "inputs":{...}}` on stdin, one result line per case
    /// on stdout (`{"id","result","schema_id","output","errors","path"}`).
    Stage {
        /// Algorithm id: eod_public, tnm, pediatric, cs.
        #[arg(long)]
        algorithm: String,
        /// Folder of the algorithm ZIPs (default: CANCER_REGISTRY_ALGORITHMS or ./algorithms).
        #[arg(long)]
        algorithms: Option<std::path::PathBuf>,
    },
    /// Write realistic synthetic abstracts as NAACCR XML:
    /// `generate --patients N --seed S [--tables DIR] --out FILE.xml`.
    Generate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run the edit catalog over a NAACCR XML file (.xml or .xml.gz) and print a summary;
    /// exits 1 when an error-level edit fails.
    Edits {
        /// The NAACCR XML file.
        file: std::path::PathBuf,
        /// Also print one JSON line per failure.
        #[arg(long)]
        details: bool,
        /// Folder of the reference tables (default: CANCER_REGISTRY_REFERENCE or ../shared/reference).
        #[arg(long)]
        reference: Option<std::path::PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { bind } => serve(Config::from_env(cli.database_url, bind)?),
        Command::Migrate => {
            let config = Config::from_env(cli.database_url, None)?;
            db::migrate(&Backend::from_url(&config.database_url)?)?;
            println!("migrations applied");
            Ok(())
        }
        Command::Token {
            sub,
            roles,
            facilities,
            ttl,
        } => {
            let config = Config::from_env(cli.database_url, None)?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let ttl = parse_ttl(&ttl).with_context(|| format!("invalid --ttl {ttl:?}"))?;
            if facilities.is_empty() && !roles.contains(&Role::Manager) {
                bail!("name at least one --facility: only a manager may see every facility");
            }
            let keys = Keys::load(&config.jwt)?;
            let facilities = (!facilities.is_empty()).then_some(facilities);
            println!("{}", keys.sign(&sub, &roles, facilities, ttl)?);
            Ok(())
        }
        Command::Openapi => {
            print!("{}", api::openapi_json());
            Ok(())
        }
        Command::Import { file, facility } => {
            let config = Config::from_env(cli.database_url, None)?;
            let db = Db::open(&config.database_url, &config.pool)?;
            let dictionaries = DictionarySet::from_env()?;
            let tables = ReferenceTables::load(&config.reference_dir).ok();
            let report =
                commands::import_file(&db, &dictionaries, tables.as_ref(), &file, facility)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Export {
            record_type,
            naaccr_version,
            facilities,
            dx_year_from,
            dx_year_to,
            status,
            out,
        } => {
            let config = Config::from_env(cli.database_url, None)?;
            let db = Db::open(&config.database_url, &config.pool)?;
            let record_type = RecordType::parse(&record_type)
                .with_context(|| format!("--record-type {record_type}: use A, M, C or I"))?;
            let version = match naaccr_version.as_str() {
                "260" => ExportVersion::V260,
                "250" => ExportVersion::V250,
                other => bail!("--naaccr-version {other}: use 260 or 250"),
            };
            let status = status
                .map(|s| {
                    Status::parse(&s)
                        .with_context(|| format!("--status {s}: use draft, review or complete"))
                })
                .transpose()?;
            let request = commands::ExportRequest {
                record_type,
                version,
                selection: Selection {
                    facilities: (!facilities.is_empty()).then_some(facilities),
                    dx_year_from,
                    dx_year_to,
                    status,
                    changed_since_last: false,
                },
                out,
            };
            let started = std::time::Instant::now();
            let (patients, tumors) = commands::export_file(&db, &request)?;
            println!(
                "{patients} patients, {tumors} tumors written to {} in {:.1} s",
                request.out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Stage {
            algorithm,
            algorithms,
        } => {
            let dir = algorithms
                .or_else(|| std::env::var_os("CANCER_REGISTRY_ALGORITHMS").map(Into::into))
                .unwrap_or_else(|| "algorithms".into());
            let options = StageOptions {
                current_year: cancer_registry::config::current_year()?,
            };
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let summary = cancer_registry::staging::cli::run(
                &algorithm,
                &dir,
                &options,
                stdin.lock(),
                std::io::BufWriter::new(stdout.lock()),
            )?;
            log::debug!("{summary:?}");
            Ok(())
        }
        Command::Generate { args } => match cancer_registry::generate::cli_run(args) {
            Ok(summary) => {
                eprintln!("{summary:?}");
                Ok(())
            }
            Err(e @ cancer_registry::generate::Error::Usage(_)) => {
                eprintln!("{e}");
                std::process::exit(2)
            }
            Err(e) => Err(e.into()),
        },
        Command::Edits {
            file,
            details,
            reference,
        } => {
            // Exit 1 means "error-level edits fail"; a file or table that cannot be read is 2.
            match run_edits(&file, details, reference) {
                Ok(true) => std::process::exit(1),
                Ok(false) => Ok(()),
                Err(e) => {
                    eprintln!("{}: {e:#}", file.display());
                    std::process::exit(2)
                }
            }
        }
    }
}

/// Runs the edits over a file; true when an error-level edit fails.
fn run_edits(
    file: &std::path::Path,
    details: bool,
    reference: Option<std::path::PathBuf>,
) -> anyhow::Result<bool> {
    let tables = ReferenceTables::load(reference.unwrap_or_else(ReferenceTables::default_dir))?;
    let dictionaries = DictionarySet::from_env()?;
    let input = open_path(file).with_context(|| format!("cannot open {}", file.display()))?;
    let stdout = std::io::stdout();
    let summary = edits::cli::summarize_xml(input, &dictionaries, &tables, details, stdout.lock())?;
    Ok(summary.has_errors())
}

#[actix_web::main]
async fn serve(config: Config) -> anyhow::Result<()> {
    // Build the code lookups while the rest starts, so the first lookup is as fast as the next.
    std::thread::spawn(|| {
        cancer_registry::lookups::global();
    });
    let keys = Arc::new(Keys::load(&config.jwt)?);
    let db =
        Db::open(&config.database_url, &config.pool).with_context(|| "cannot open the database")?;
    let edit_tables = match ReferenceTables::load(&config.reference_dir) {
        Ok(t) => Ok(Arc::new(t)),
        Err(e) => {
            log::warn!(
                "edits are not available: {e}; abstracts are stored with edit status not-run"
            );
            Err(e.to_string())
        }
    };
    let dictionaries = Arc::new(DictionarySet::from_env()?);
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let interrupted = jobs::recover(&mut *db.conn()?, &config.data_dir)?;
    if interrupted > 0 {
        log::warn!("{interrupted} submission(s) interrupted by the last stop were marked failed");
    }
    let staging = match load_staging(&config.algorithms_dir) {
        Ok(r) => {
            let names: Vec<String> = r
                .algorithms()
                .iter()
                .map(|a| format!("{} {}", a.id, a.version))
                .collect();
            log::info!("staging algorithms: {}", names.join(", "));
            Ok(Arc::new(r))
        }
        Err(why) => {
            log::warn!(
                "staging is not available: {why}; {}",
                api::staging::INSTALL_HINT
            );
            Err(why)
        }
    };
    let state = actix_web::web::Data::new(AppState {
        db,
        keys,
        max_body_bytes: config.max_body_bytes,
        edit_tables,
        dictionaries,
        data_dir: config.data_dir.clone(),
        max_import_bytes: config.max_import_bytes,
        client_timeout: config.client_timeout,
        staging,
        current_year: config.current_year,
        site_recode: cancer_registry::research::SiteRecodeTable::load(&config.reference_dir)
            .map(Arc::new)
            .map_err(|e| {
                log::warn!("research tables are not available: {e}");
                e.to_string()
            }),
        suppression_threshold: config.suppression_threshold,
    });
    log::info!(
        "listening on http://{} (API document at /docs/)",
        config.bind
    );
    let client_timeout = config.client_timeout;
    actix_web::HttpServer::new(move || api::app(state.clone()))
        .bind(&config.bind)
        .with_context(|| format!("cannot listen on {}", config.bind))?
        .client_request_timeout(client_timeout)
        .shutdown_timeout(30)
        .run()
        .await?;
    Ok(())
}
