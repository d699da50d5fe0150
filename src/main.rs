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
use cancer_registry::refdata::Source;
use cancer_registry::staging::StageOptions;
use cancer_registry::submissions::export::Selection;
use cancer_registry::submissions::files::{FileStore, StoreKind};
use cancer_registry::submissions::jobs;
use cancer_registry::submissions::leases::Lease;
use cancer_registry::submissions::runner::Builds;

mod allocator;
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
enum AuditCommand {
    /// Walk the audit hash chain; print the head, or the first row that does not fit (changed,
    /// deleted or inserted) and exit 1.
    Verify,
}

#[derive(Subcommand)]
enum Command {
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Run the HTTP service (migrations are applied at start).
    #[command(after_help = cancer_registry::config::variables_help())]
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
        /// A reporting facility id (repeatable). None or `*` means every facility, for managers
        /// only; researchers and auditors need none.
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
        /// Why the file changes complete tumors or sets over-ride flags (audited); without
        /// it those values are kept and reported.
        #[arg(long)]
        reason: Option<String>,
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
        /// Folder of algorithm ZIPs (default: CANCER_REGISTRY_ALGORITHMS, else the built-in ones).
        #[arg(long)]
        algorithms: Option<std::path::PathBuf>,
    },
    /// Write realistic synthetic abstracts as NAACCR XML:
    /// `generate --patients N --seed S [--tables DIR] --out FILE.xml`.
    Generate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Multiple primary / histology rules over tumor pairs: a CSV on stdin with the header
    /// `year1,month1,day1,site1,hist1,beh1,lat1,year2,…,lat2` (optional `histIcdO2_1,behIcdO2_1,
    /// histIcdO2_2,behIcdO2_2`; other columns are carried through); writes the columns plus
    /// `result,rule,group,reason` to stdout, one line per pair in input order.
    Mph,
    /// Run the edit catalog over a NAACCR XML file (.xml or .xml.gz) and print a summary;
    /// exits 1 when an error-level edit fails.
    Edits {
        /// The NAACCR XML file.
        file: std::path::PathBuf,
        /// Also print one JSON line per failure.
        #[arg(long)]
        details: bool,
        /// Folder of the reference tables (default: CANCER_REGISTRY_REFERENCE, else the built-in ones).
        #[arg(long)]
        reference: Option<std::path::PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = cancer_registry::logging::init(matches!(cli.command, Command::Serve { .. }));
    let outcome = run(cli);
    if let Some(logs) = logs {
        logs.flush();
    }
    outcome
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { bind } => serve(Config::from_env(cli.database_url, bind)?),
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let config = Config::from_env(cli.database_url, None)?;
            let db = Db::open(&config.database_url, &config.pool)?;
            let outcome = cancer_registry::audit::chain::verify(&mut *db.conn()?)?;
            println!("{}", serde_json::to_string(&outcome)?);
            match &outcome.defect {
                None => {
                    eprintln!(
                        "audit chain intact: {} rows, head {}",
                        outcome.head.seq, outcome.head.hash
                    );
                    Ok(())
                }
                Some(defect) => {
                    eprintln!("audit chain broken: {defect}");
                    std::process::exit(1)
                }
            }
        }
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
            if let Some(problem) = cancer_registry::auth::mint_problem(&roles, &facilities) {
                bail!(problem);
            }
            if !config.accept_unknown_facilities {
                let unknown =
                    cancer_registry::facilities::unregistered_at(&config.database_url, &facilities);
                if let Some(unknown) = unknown.filter(|u| !u.is_empty()) {
                    bail!(
                        "facility {} is not registered: a manager registers it first (POST /api/v1/facilities), or the service accepts unknown facilities (CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true)",
                        unknown.join(", ")
                    );
                }
            }
            let keys = Keys::load_existing(&config.jwt)?.with_max_lifetime(config.jwt_max_lifetime);
            let facilities = (!facilities.is_empty()).then_some(facilities);
            println!("{}", keys.sign(&sub, &roles, facilities, ttl)?);
            Ok(())
        }
        Command::Openapi => {
            print!("{}", api::openapi_json());
            Ok(())
        }
        Command::Import {
            file,
            facility,
            reason,
        } => {
            let config = Config::from_env(cli.database_url, None)?;
            let db = Db::open(&config.database_url, &config.pool)?;
            let dictionaries = DictionarySet::from_env()?;
            let tables = ReferenceTables::load_source(&config.reference).ok();
            let registered =
                cancer_registry::facilities::Registered::new(config.accept_unknown_facilities);
            // Without the staging algorithms the age is still derived; the file's staging
            // items stay as they are, and the operator is told.
            let staging = load_staging(&config.algorithms)
                .map_err(|e| {
                    eprintln!("staging not loaded ({e}): derived stage items kept from the file")
                })
                .ok()
                .map(Arc::new);
            let deriver = cancer_registry::abstracts::derive::Deriver {
                staging,
                options: StageOptions {
                    current_year: config.current_year,
                },
            };
            let report = commands::import_file(
                &db,
                &dictionaries,
                tables.as_ref(),
                &registered,
                &file,
                commands::OperatorImport {
                    facility,
                    reason,
                    deriver,
                    limits: config.import_limits,
                },
            )?;
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
                    pending: false,
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
            let source = Source::folder_or_env(
                algorithms,
                cancer_registry::config::ALGORITHMS_ENV,
                "algorithms",
            );
            let options = StageOptions {
                current_year: cancer_registry::config::current_year()?,
            };
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let summary = cancer_registry::staging::cli::run(
                &algorithm,
                &source,
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
        Command::Mph => {
            let year = i64::from(cancer_registry::config::current_year()?);
            let stdin = std::io::stdin();
            match cancer_registry::mph::cli::run(stdin.lock(), std::io::stdout().lock(), year) {
                Ok(summary) => {
                    log::debug!("{summary:?}");
                    Ok(())
                }
                Err(e) => {
                    eprintln!("mph: {e}");
                    std::process::exit(2)
                }
            }
        }
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
    let tables = match reference {
        Some(dir) => ReferenceTables::load(dir)?,
        None => ReferenceTables::load_source(&ReferenceTables::default_source())?,
    };
    let dictionaries = DictionarySet::from_env()?;
    let input = open_path(file).with_context(|| format!("cannot open {}", file.display()))?;
    let stdout = std::io::stdout();
    let summary = edits::cli::summarize_xml(input, &dictionaries, &tables, details, stdout.lock())?;
    Ok(summary.has_errors())
}

/// The database files, the token secret and the data folder hold names and SSNs: only the
/// service's user may read them (SQLite gives its WAL and shared-memory files the database
/// file's mode; files in the data folder are unreachable through its 0700).
fn restrict_to_owner(config: &Config) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |path: &std::path::Path, mode: u32| -> anyhow::Result<()> {
            match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).with_context(|| format!("cannot restrict {}", path.display()))
                }
                _ => Ok(()),
            }
        };
        set(&config.data_dir, 0o700)?;
        if let Backend::Sqlite(path) = Backend::from_url(&config.database_url)? {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                set(std::path::Path::new(&p), 0o600)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = config;
    Ok(())
}

/// The reference data the service runs on, each part either loaded or the reason it is not.
struct Loaded {
    staging: Result<Arc<cancer_registry::staging::Registry>, String>,
    edit_tables: Result<Arc<ReferenceTables>, String>,
    site_recode: Result<Arc<cancer_registry::research::SiteRecodeTable>, String>,
    dictionaries: Arc<DictionarySet>,
}

/// Loads the parts side by side (staging's four algorithms dominate start-up). A configured
/// folder that is wrong is logged and reported by readiness, not fatal: the rest still serves.
fn load_reference_data(config: &Config) -> anyhow::Result<Loaded> {
    let started = std::time::Instant::now();
    let (staging, edit_tables, site_recode, dictionaries) = std::thread::scope(|scope| {
        let staging = scope.spawn(|| load_staging(&config.algorithms).map(Arc::new));
        let edits = scope
            .spawn(|| ReferenceTables::load_lists(&config.reference).map_err(|e| e.to_string()));
        let recode = cancer_registry::research::SiteRecodeTable::load_source(&config.reference)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let dictionaries = DictionarySet::from_env();
        let staging = staging
            .join()
            .unwrap_or_else(|_| Err("loading the algorithms panicked".to_string()));
        let edits = edits
            .join()
            .unwrap_or_else(|_| Err("loading the edit tables panicked".to_string()))
            .map(|mut tables| {
                tables.attach_eod(&config.reference, staging.as_deref().ok());
                Arc::new(tables)
            });
        (staging, edits, recode, dictionaries)
    });
    log::info!(
        "reference data loaded in {} ms",
        started.elapsed().as_millis()
    );
    Ok(Loaded {
        staging,
        edit_tables,
        site_recode,
        dictionaries: Arc::new(dictionaries?),
    })
}

#[actix_web::main]
async fn serve(config: Config) -> anyhow::Result<()> {
    // Build the code lookups while the rest starts, so the first lookup is as fast as the next.
    std::thread::spawn(|| {
        cancer_registry::lookups::global();
    });
    let keys = Arc::new(Keys::load(&config.jwt)?.with_max_lifetime(config.jwt_max_lifetime));
    let db =
        Db::open(&config.database_url, &config.pool).with_context(|| "cannot open the database")?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    restrict_to_owner(&config)?;
    cancer_registry::audit::chain::log_head_daily(db.clone());
    let waiting = jobs::recover(&mut *db.conn()?, &config.data_dir)?;
    if waiting > 0 {
        log::warn!("{waiting} submission(s) whose builder stopped will be built again");
    }
    let loaded = load_reference_data(&config)?;
    allocator::return_freed_pages_at_once();
    let job_slots = cancer_registry::submissions::slots::JobSlots::for_pool(
        config.pool.max_size,
        config.max_jobs,
        config.max_jobs_per_user,
    );
    let builds = Builds {
        db: db.clone(),
        store: Arc::new(FileStore::new(
            config
                .submission_files
                .unwrap_or_else(|| StoreKind::default_for(db.backend())),
            config.data_dir.clone(),
        )),
        lease: Arc::new(Lease::for_this_instance(config.job_lease)),
        tables: loaded.edit_tables.as_ref().ok().cloned(),
    };
    log::info!(
        "submission builds leased as {} for {} s, files kept in the {}",
        builds.lease.owner(),
        config.job_lease.as_secs(),
        match builds.store.kind {
            StoreKind::Database => "database".to_string(),
            StoreKind::Folder => format!("folder {}", config.data_dir.display()),
        }
    );
    builds.clone().watch(job_slots.clone());
    let state = actix_web::web::Data::new(AppState {
        db,
        keys,
        max_body_bytes: config.max_body_bytes,
        edit_tables: loaded.edit_tables,
        dictionaries: loaded.dictionaries,
        data_dir: config.data_dir.clone(),
        max_import_bytes: config.max_import_bytes,
        import_limits: config.import_limits,
        job_slots,
        builds,
        client_timeout: config.client_timeout,
        registered_facilities: Arc::new(cancer_registry::facilities::Registered::new(
            config.accept_unknown_facilities,
        )),
        staging: loaded.staging,
        current_year: config.current_year,
        site_recode: loaded.site_recode,
        suppression_threshold: config.suppression_threshold,
    });
    for c in api::health::loaded_components(&state) {
        match (&c.reason, &c.source) {
            (Some(why), _) => log::warn!("{}: unavailable: {why}", c.name),
            (None, source) => log::info!(
                "{}: {} ({})",
                c.name,
                c.versions.join(", "),
                source.as_deref().unwrap_or("built in")
            ),
        }
    }
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
