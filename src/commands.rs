//! The operator commands that work on the database directly: `import` and `export`. They act
//! with every facility in scope and are audited as the operating-system user who ran them.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use cancer_registry::abstracts::derive::Deriver;
use cancer_registry::audit::{self, Action, Actor, Event};
use cancer_registry::auth::FacilityScope;
use cancer_registry::db::{self, Db};
use cancer_registry::edits::ReferenceTables;
use cancer_registry::facilities::Registered;
use cancer_registry::naaccr::dictionary_xml::DictionarySet;
use cancer_registry::naaccr::xml::{maybe_gunzip, ExportVersion};
use cancer_registry::naaccr::RecordType;
use cancer_registry::submissions::export::{export, Selection};
use cancer_registry::submissions::import::{self, ImportOptions, ImportReport};
use cancer_registry::submissions::import_facilities;
use cancer_registry::submissions::import_limits::FileLimits;

fn operator() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Actor {
        sub: format!("cli:{user}"),
        roles: "operator".into(),
        request_id: None,
    }
}

fn bar(len: Option<u64>, unit: &str) -> ProgressBar {
    // A progress bar only on a terminal: logs and pipes get the summary alone.
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let template = match len {
        Some(_) => format!("{{bar:40}} {{bytes}}/{{total_bytes}} {unit} {{elapsed}}"),
        None => format!("{{spinner}} {{pos}} {unit} {{elapsed}}"),
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// What the operator's `import` command line sets.
pub struct OperatorImport {
    /// Facility of patients whose tumors name none.
    pub facility: Option<String>,
    pub reason: Option<String>,
    pub deriver: Deriver,
    pub limits: FileLimits,
}

/// `cancer-registry import FILE`: validates the whole file (facilities included, unless the
/// configuration accepts unknown ones), then imports it in one transaction; prints the
/// report. A refused file is recorded in the import log, as an upload's is. The operator is
/// trusted as a reviewer is (SECURITY.md); a locked change still needs the reason, which the
/// audit trail keeps. Derived items are set as on every save (`deriver`).
pub fn import_file(
    db: &Db,
    dictionaries: &DictionarySet,
    tables: Option<&ReferenceTables>,
    registered: &Registered,
    path: &Path,
    options: OperatorImport,
) -> anyhow::Result<ImportReport> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let open = |bar: &ProgressBar| -> anyhow::Result<Box<dyn std::io::BufRead + Send>> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let counting = Counting {
            inner: file,
            bar: bar.clone(),
        };
        Ok(maybe_gunzip(BufReader::with_capacity(1 << 20, counting))?)
    };
    let options = ImportOptions {
        default_facility: options.facility,
        file_name: path.file_name().map(|n| n.to_string_lossy().to_string()),
        reviewer: true,
        reason: options.reason,
        deriver: Some(options.deriver),
        limits: options.limits,
    };
    let scope = FacilityScope::All;
    let mut report = ImportReport {
        id: uuid::Uuid::now_v7().to_string(),
        file_name: options.file_name.clone(),
        ..Default::default()
    };
    let check = bar(Some(size), "checked");
    let problems = import::walk(
        open(&check)?,
        dictionaries,
        &scope,
        &options,
        &mut report,
        |_| Ok(()),
    )?;
    check.finish_and_clear();
    let actor = operator();
    let mut conn = db.conn()?;
    // Unknown facilities, and a refused file recorded in the import log, as over HTTP.
    let problems = db::transaction(&mut conn, |conn| {
        import_facilities::finish_check(conn, registered, &mut report, problems, false, &actor.sub)
    })?;
    if !problems.is_empty() {
        for p in &problems {
            eprintln!(
                "line {}, column {}: {}{} [{}]",
                p.line.map(|l| l.to_string()).unwrap_or_else(|| "?".into()),
                p.column
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "?".into()),
                p.item
                    .as_ref()
                    .map(|i| format!("{i}: "))
                    .unwrap_or_default(),
                p.message,
                p.rule
            );
        }
        bail!(
            "{}: {} problem(s); nothing was imported (recorded as refused import {})",
            path.display(),
            problems.len(),
            report.id
        );
    }
    let apply = bar(Some(size), "imported");
    let report = db::transaction(&mut conn, |conn| {
        Ok::<_, anyhow::Error>(import::apply_file(
            conn,
            open(&apply)?,
            dictionaries,
            &scope,
            &options,
            &report,
            tables,
            &actor,
        )?)
    })?;
    apply.finish_and_clear();
    import::refresh_statistics(&mut conn, report.records_written())?;
    Ok(report)
}

/// What `export` writes.
pub struct ExportRequest {
    pub record_type: RecordType,
    pub version: ExportVersion,
    pub selection: Selection,
    pub out: PathBuf,
}

/// `cancer-registry export`: writes the selection to a file (through a temporary file, so a
/// failed export leaves nothing behind); audited as an export.
pub fn export_file(db: &Db, request: &ExportRequest) -> anyhow::Result<(u64, u64)> {
    let mut conn = db.conn()?;
    let part = request.out.with_extension("part");
    let out = BufWriter::with_capacity(
        1 << 20,
        File::create(&part).with_context(|| format!("cannot create {}", part.display()))?,
    );
    let progress = bar(None, "tumors");
    let result = export(
        &mut conn,
        &FacilityScope::All,
        &request.selection,
        None,
        request.record_type,
        request.version,
        out,
        |_| Ok(()),
        |c| progress.set_position(c.tumors),
    );
    progress.finish_and_clear();
    let (out, counts, _) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e.into());
        }
    };
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&part, &request.out)?;
    audit::record(
        &mut conn,
        &operator(),
        Event {
            action: Action::Export,
            entity: "file",
            entity_id: Some(request.out.display().to_string()),
            details: json!({ "recordType": request.record_type.as_str(), "selection": request.selection, "patients": counts.patients, "tumors": counts.tumors }),
        },
    )?;
    Ok((counts.patients, counts.tumors))
}
