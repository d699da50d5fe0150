//! `/api/v1/submissions` and `/api/v1/imports`: NAACCR XML exports built as jobs, their files,
//! and transactional imports.

use std::io::Write;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, page_size, Json};
use super::AppState;
use crate::abstracts::ItemError;
use crate::audit::{self, Action, Event};
use crate::auth::{Caller, Role, ABSTRACTORS, REVIEWERS};
use crate::followup::due::csv_field;
use crate::naaccr::xml::{maybe_gunzip, ExportVersion};
use crate::naaccr::RecordType;
use crate::submissions::export::Selection;
use crate::submissions::import::{self, ImportOptions, ImportReport};
use crate::submissions::import_facilities;
use crate::submissions::jobs::{self, NewSubmission, Submission};

/// A submission to build.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSubmission {
    /// The recipient's id (`GET /api/v1/recipients`); an unknown one is 422.
    #[schema(min_length = 1, max_length = 100)]
    pub recipient: String,
    /// A (full abstract), M (modified), C (confidential) or I (incidence); default: the
    /// recipient's. The file is of this type whatever the selection (new and changed tumors
    /// alike; a `pending` batch of I stays I): it never carries an item the type excludes.
    #[schema(pattern = "^[AMCI]$")]
    pub record_type: Option<String>,
    /// NAACCR version of the file: `260` or `250`; default: the recipient's.
    #[schema(pattern = "^(250|260)$")]
    pub naaccr_version: Option<String>,
    /// Which tumors; an empty object (or none) means every tumor you may see of the
    /// recipient's facilities (complete ones only for a `state` recipient unless a status is
    /// named).
    #[schema(value_type = Option<Selection>)]
    pub selection: Option<serde_json::Value>,
    /// Send tumors failing the recipient's edit gate too (managers; audited).
    #[serde(default)]
    pub include_failing: bool,
}

/// Submissions.
#[derive(Serialize, ToSchema)]
pub struct SubmissionList {
    pub data: Vec<Submission>,
}

/// Build a submission.
///
/// Records the batch and builds its NAACCR XML file in the background (202); poll
/// `GET /api/v1/submissions/{id}` for status and counts. An empty selection carries every
/// tumor the caller may see. Each batch records the tumor versions it carried, so a later batch
/// with `changedSinceLast` sends exactly the tumors changed since, in the record type asked
/// for (M only when asked). One submission per recipient is queued or running at a time: a
/// second is 409 naming the one in the way.
#[utoipa::path(
    tag = "submissions",
    request_body = CreateSubmission,
    responses(
        (status = 202, body = Submission, headers(("Location" = String))),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/submissions")]
pub async fn create_submission(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: Json<CreateSubmission>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let body = body.into_inner();
    let mut errors = Vec::new();
    if body.recipient.trim().is_empty() || body.recipient.len() > 100 {
        errors.push(ItemError::new(
            "recipient",
            None,
            "required",
            "name the recipient (1 to 100 characters)",
        ));
    }
    let record_type = match body.record_type.as_deref() {
        None => Some(None),
        Some(rt) => RecordType::parse(rt).map(Some),
    };
    if record_type.is_none() {
        errors.push(ItemError::new(
            "recordType",
            None,
            "invalid-code",
            "A, M, C or I",
        ));
    }
    let version = match body.naaccr_version.as_deref() {
        None => Some(None),
        Some("260") => Some(Some(ExportVersion::V260)),
        Some("250") => Some(Some(ExportVersion::V250)),
        Some(_) => None,
    };
    if version.is_none() {
        errors.push(ItemError::new(
            "naaccrVersion",
            None,
            "invalid-code",
            "260 or 250",
        ));
    }
    // Read through a JSON value: serde would also take a struct from an array.
    let selection = match body.selection {
        None | Some(serde_json::Value::Null) => Some(Selection::default()),
        Some(v @ serde_json::Value::Object(_)) => match serde_json::from_value::<Selection>(v) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(ItemError::new("selection", None, "invalid", e.to_string()));
                None
            }
        },
        Some(_) => {
            errors.push(ItemError::new("selection", None, "data-type", "an object"));
            None
        }
    };
    let (Some(record_type), Some(version), Some(selection), true) =
        (record_type, version, selection, errors.is_empty())
    else {
        return Err(ApiError::Invalid(errors));
    };
    if body.include_failing {
        caller.require(&[Role::Manager])?;
    }
    let new = NewSubmission {
        recipient: body.recipient.trim().to_string(),
        record_type,
        version,
        selection,
        include_failing: body.include_failing,
    };
    // Taken before the submission is recorded: a refused request leaves nothing queued.
    let slot = state.job_slots.take(&caller.sub)?;
    let actor = actor(&req, &caller);
    let lease = state.builds.lease.clone();
    let submission = state
        .db
        .write(move |conn| {
            let s = jobs::create(conn, &caller.facilities, &new, &caller.sub, &lease)?;
            audit::record(conn, &actor, Event {
                action: Action::Export,
                entity: "submission",
                entity_id: Some(s.id.clone()),
                details: json!({ "recipient": s.recipient, "recordType": s.record_type, "selection": s.selection, "includeFailing": s.include_failing, "stage": "requested" }),
            })?;
            Ok::<_, ApiError>(s)
        })
        .await?;
    state.builds.spawn(submission.id.clone(), slot);
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/submissions/{}", submission.id),
        ))
        .json(submission))
}

/// Paging of the submission list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubmissionQuery {
    /// At most this many, newest first (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// List submissions.
#[utoipa::path(
    tag = "submissions",
    params(SubmissionQuery),
    responses(
        (status = 200, body = SubmissionList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/submissions")]
pub async fn list_submissions(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<SubmissionQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let limit = page_size(query.limit, 50, 200)?;
    let data = state
        .db
        .read(move |conn| jobs::list(conn, &caller.facilities, limit).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(SubmissionList { data }))
}

/// Read a submission: status (queued, running, done, failed), counts and progress.
#[utoipa::path(
    tag = "submissions",
    params(("id" = String, Path, description = "Submission id")),
    responses(
        (status = 200, body = Submission),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/submissions/{id}")]
pub async fn get_submission(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let s = state
        .db
        .read(move |conn| jobs::get(conn, &caller.facilities, &id).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Download a submission's NAACCR XML file.
///
/// Only for a batch that is `done`; gzip-compressed when the request accepts it
/// (`Accept-Encoding: gzip`). An export of identifiable data, audited.
#[utoipa::path(
    tag = "submissions",
    params(("id" = String, Path, description = "Submission id")),
    responses(
        (status = 200, content_type = "application/xml", body = String),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/submissions/{id}/file")]
pub async fn submission_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let s = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let s = jobs::get(conn, &caller.facilities, &id)?;
            if s.status != "done" {
                return Err(ApiError::Conflict(format!(
                    "submission {} is {}; its file is served once it is done",
                    s.id, s.status
                )));
            }
            audit.push(Event {
                action: Action::Export,
                entity: "submission",
                entity_id: Some(s.id.clone()),
                details: json!({ "recipient": s.recipient, "tumors": s.tumors, "stage": "downloaded" }),
            });
            Ok(s)
        })
        .await?;
    let (builds, id) = (state.builds.clone(), s.id.clone());
    let file = actix_web::web::block(move || builds.store.open(&builds.db, &id))
        .await
        .map_err(|_| ApiError::Internal("the file could not be opened".into()))?
        .map_err(|e| ApiError::Internal(format!("submission {}: {e}", s.id)))?;
    let gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/xml; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"submission-{}.xml\"", s.id),
        ));
    if gzip {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
    }
    Ok(response.streaming(stream_file(file, gzip)))
}

/// A submission's withdrawals as CSV: tumors the recipient received and that were deleted
/// before this submission, with the identifiers as sent, the date and the reason. Each
/// withdrawal is reported by one submission only (the first to the recipient after it).
#[utoipa::path(
    tag = "submissions",
    params(("id" = String, Path, description = "Submission id")),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/submissions/{id}/withdrawals")]
pub async fn submission_withdrawals(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let s = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let s = jobs::get(conn, &caller.facilities, &id)?;
            audit.push(Event {
                action: Action::Export,
                entity: "submission",
                entity_id: Some(s.id.clone()),
                details: json!({ "recipient": s.recipient, "withdrawals": s.withdrawals.len(), "stage": "withdrawals" }),
            });
            Ok::<_, ApiError>(s)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"withdrawals-{}.csv\"", s.id),
        ))
        .body(withdrawals_csv(&s.withdrawals)))
}

/// The withdrawals as RFC 4180 CSV; a cell a spreadsheet would run as a formula (a leading
/// `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with `'` so it shows as text.
fn withdrawals_csv(withdrawals: &[jobs::Withdrawal]) -> String {
    let mut csv = String::from(
        "tumorId,patientIdNumber,reportingFacility,accessionNumberHosp,sequenceNumberHospital,withdrawnAt,reason\r\n",
    );
    for w in withdrawals {
        let fields = [
            w.tumor_id.clone(),
            w.patient_id_number.clone().unwrap_or_default(),
            w.reporting_facility.clone().unwrap_or_default(),
            w.accession_number_hosp.clone().unwrap_or_default(),
            w.sequence_number_hospital.clone().unwrap_or_default(),
            w.withdrawn_at.format("%Y-%m-%d").to_string(),
            w.reason.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// A tumor's submissions.
#[derive(Serialize, ToSchema)]
pub struct TumorSubmissionList {
    pub data: Vec<jobs::TumorSubmission>,
}

/// Which recipients received a tumor, when, as new or changed, at which version.
#[utoipa::path(
    tag = "submissions",
    params(("id" = String, Path, description = "Tumor id")),
    responses(
        (status = 200, body = TumorSubmissionList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/tumors/{id}/submissions")]
pub async fn tumor_submissions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let data = state
        .db
        .read(move |conn| {
            jobs::tumor_history(conn, &caller.facilities, &id).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TumorSubmissionList { data }))
}

/// Streams a file from a reader thread, optionally gzip-compressed, with bounded buffering.
pub(crate) fn stream_file(
    mut file: impl std::io::Read + Send + 'static,
    gzip: bool,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    std::thread::spawn(move || {
        struct Sink(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0
                    .blocking_send(Ok(Bytes::copy_from_slice(buf)))
                    .map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone")
                    })?;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = std::io::BufWriter::with_capacity(256 * 1024, Sink(tx.clone()));
        let result = if gzip {
            let mut enc = flate2::write::GzEncoder::new(sink, flate2::Compression::fast());
            std::io::copy(&mut file, &mut enc).and_then(|_| enc.finish()?.flush())
        } else {
            let mut sink = sink;
            std::io::copy(&mut file, &mut sink).and_then(|_| sink.flush())
        };
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) })
}

/// Options of an import.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Facility of patients whose tumors name none (default: your only facility).
    pub facility: Option<String>,
    /// The file's name, kept as the source of the imported tumors.
    pub file_name: Option<String>,
    /// Validate and report (what would be created, updated, kept) without storing anything;
    /// answers 200.
    pub dry_run: Option<bool>,
    /// Why the file changes complete tumors (or patients with one) or sets over-ride flags:
    /// with it, a reviewer's or manager's import applies those changes (audited); without it,
    /// or from a registrar, those values are kept and reported (`complete-locked`,
    /// `override-refused`) and the rest of the file applies.
    #[param(max_length = 1000)]
    pub reason: Option<String>,
}

/// Import a NAACCR XML file.
///
/// The body is the file (`application/xml`, or gzip-compressed). Any dictionary version the
/// service has (260 and 250 built in, older ones and user dictionaries from its dictionary
/// folder); older items are converted to v26 and the report says how. The whole file is
/// validated first: any problem refuses it with every problem listed (line, column, item, rule)
/// and nothing stored. Patients match on facility + Patient ID Number [20], tumors on
/// Reporting Facility [540] + accession and sequence numbers (see the README).
#[utoipa::path(
    tag = "submissions",
    params(ImportQuery),
    request_body(content(
        (String = "application/xml"),
        (String = "application/gzip"),
    )),
    responses(
        (status = 201, body = ImportReport),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/imports")]
pub async fn create_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<ImportQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let query = query.into_inner();
    // The upload goes to a temporary file: a file is validated completely before anything is
    // stored, which needs two passes, and memory must not grow with its size.
    let dir = state.data_dir.join("uploads");
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApiError::Internal(format!("{}: {e}", dir.display())))?;
    let mut upload = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| ApiError::Internal(format!("{}: {e}", dir.display())))?;
    let mut size: u64 = 0;
    loop {
        // A client that stalls mid-upload would otherwise hold a connection and a file forever.
        let next = actix_web::rt::time::timeout(state.client_timeout, payload.next())
            .await
            .map_err(|_| {
                ApiError::Timeout(format!(
                    "the upload stalled for {} s after {size} bytes; nothing was stored",
                    state.client_timeout.as_secs()
                ))
            })?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("upload interrupted: {e}")))?;
        size += chunk.len() as u64;
        if size > state.max_import_bytes {
            return Err(ApiError::PayloadTooLarge(state.max_import_bytes as usize));
        }
        upload
            .write_all(&chunk)
            .map_err(|e| ApiError::Internal(format!("cannot store the upload: {e}")))?;
    }
    if size == 0 {
        return Err(ApiError::BadRequest(
            "the body is empty: send the NAACCR XML file".into(),
        ));
    }
    let path = upload.into_temp_path();
    // After the upload: a slow client holds no slot, and the file is checked and written
    // while the slot is held.
    let slot = state.job_slots.take(&caller.sub)?;
    let options = ImportOptions {
        default_facility: query.facility,
        file_name: query.file_name,
        reviewer: caller.has_any(REVIEWERS),
        reason: query.reason,
        deriver: Some(crate::api::tumors::deriver(&state)),
        limits: state.import_limits,
    };
    let dictionaries = state.dictionaries.clone();
    let tables = state.tables();
    let actor = actor(&req, &caller);
    let open = move |path: &std::path::Path| -> Result<Box<dyn std::io::BufRead + Send>, ApiError> {
        let file = std::fs::File::open(path).map_err(|e| ApiError::Internal(e.to_string()))?;
        maybe_gunzip(std::io::BufReader::with_capacity(1 << 20, file))
            .map_err(|e| ApiError::BadRequest(format!("cannot read the upload: {e}")))
    };
    let dry_run = query.dry_run.unwrap_or(false);
    let registered = state.registered_facilities.clone();
    // The validating pass reads only the file: it runs before the write transaction, so a
    // long or refused file holds no lock while it is checked.
    let scope = caller.facilities.clone();
    let (report, problems, options, path, dictionaries, slot) = actix_web::web::block(move || {
        let mut report = ImportReport {
            id: uuid::Uuid::now_v7().to_string(),
            file_name: options.file_name.clone(),
            dry_run,
            ..Default::default()
        };
        let problems = import::walk(
            open(&path)?,
            &dictionaries,
            &scope,
            &options,
            &mut report,
            |_| Ok(()),
        )?;
        Ok::<_, ApiError>((report, problems, options, path, dictionaries, slot))
    })
    .await
    .map_err(|_| ApiError::Internal("the import's check was cancelled".into()))??;
    let outcome = state
        .db
        .write(move |conn| {
            // Held until the write ends, even when the client has gone.
            let _slot = slot;
            let scope = caller.facilities.clone();
            let mut report = report;
            // A refused file is recorded too (a dry run stores nothing).
            let problems = import_facilities::finish_check(
                conn,
                &registered,
                &mut report,
                problems,
                dry_run,
                &caller.sub,
            )?;
            if !problems.is_empty() {
                return Ok(ImportOutcome::Refused(problems));
            }
            // Runs inside this write transaction: the whole file or nothing.
            let applied_report = import::apply_file(
                conn,
                open(&path)?,
                &dictionaries,
                &scope,
                &options,
                &report,
                tables.as_deref(),
                &actor,
            )?;
            if dry_run {
                return Err(ImportError::DryRun(Box::new(applied_report)));
            }
            Ok::<_, ImportError>(ImportOutcome::Applied(Box::new(applied_report)))
        })
        .await;
    match outcome {
        Ok(ImportOutcome::Applied(report)) => {
            let (db, id, records) = (
                state.db.clone(),
                report.id.clone(),
                report.records_written(),
            );
            // Not waited for: the import is committed, and its answer does not depend on it.
            actix_web::rt::spawn(async move {
                let refreshed = db
                    .read(move |conn| import::refresh_statistics(conn, records))
                    .await;
                if let Err(e) = refreshed {
                    log::warn!("statistics not refreshed after import {id}: {e}");
                }
            });
            Ok(HttpResponse::Created().json(report))
        }
        Ok(ImportOutcome::Refused(problems)) => Err(ApiError::Rejected(problems)),
        Err(ImportError::DryRun(report)) => Ok(HttpResponse::Ok().json(report)),
        Err(ImportError::Api(e)) => Err(e),
    }
}

/// How an import ended.
enum ImportOutcome {
    Applied(Box<ImportReport>),
    Refused(Vec<import::FileProblem>),
}

/// An import's error, or a dry run's report (an error, so that its transaction rolls back).
enum ImportError {
    Api(ApiError),
    DryRun(Box<ImportReport>),
}

impl From<ApiError> for ImportError {
    fn from(e: ApiError) -> ImportError {
        ImportError::Api(e)
    }
}

impl From<crate::submissions::Error> for ImportError {
    fn from(e: crate::submissions::Error) -> ImportError {
        ImportError::Api(e.into())
    }
}

impl From<crate::db::DbError> for ImportError {
    fn from(e: crate::db::DbError) -> ImportError {
        ImportError::Api(e.into())
    }
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> ImportError {
        ImportError::Api(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn withdrawal(reason: &str, facility: &str) -> jobs::Withdrawal {
        jobs::Withdrawal {
            tumor_id: "t1".into(),
            patient_id_number: Some("00000042".into()),
            reporting_facility: Some(facility.into()),
            accession_number_hosp: None,
            sequence_number_hospital: Some("00".into()),
            withdrawn_at: chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
            reason: reason.into(),
        }
    }

    #[test]
    fn withdrawal_cells_a_spreadsheet_would_run_are_defused() {
        let csv = withdrawals_csv(&[
            withdrawal("\t=HYPERLINK(\"x\")", "=1+1"),
            withdrawal("\r@SUM(A1)", "-2"),
            withdrawal("duplicate, merged", "0001234567"),
        ]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("tumorId,patientIdNumber,"));
        assert_eq!(
            lines[1],
            "t1,00000042,'=1+1,,00,2026-01-01,\"'\t=HYPERLINK(\"\"x\"\")\""
        );
        // A leading carriage return is defused and, being a line break, quoted.
        assert!(csv.contains("t1,00000042,'-2,,00,2026-01-01,\"'\r@SUM(A1)\"\r\n"));
        assert!(csv.contains("t1,00000042,0001234567,,00,2026-01-01,\"duplicate, merged\"\r\n"));
    }
}
