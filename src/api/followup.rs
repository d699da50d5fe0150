//! Follow-up: contacts, first recurrence, due lists, letters, death clearance and rates.

use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::edits::{blocking, refresh, refresh_tumor};
use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, etag, if_match, Json};
use super::tumors::{fallback_event, TumorResponse};
use super::AppState;
use crate::abstracts::lifecycle::Authority;
use crate::abstracts::{saving, ItemError};
use crate::audit::{self, Action, Actor, Event};
use crate::auth::{Caller, ABSTRACTORS};
use crate::followup::contacts::{self, Contact, NewContact, Outcome};
use crate::followup::deaths::{self, Clearance, DeathRecord};
use crate::followup::due::{self, DueEntry, Rates};
use crate::naaccr::PartialDate;

fn today() -> PartialDate {
    let s = Utc::now().format("%Y%m%d").to_string();
    PartialDate::parse(&s).unwrap_or(PartialDate {
        year: 2099,
        month: Some(12),
        day: Some(31),
    })
}

/// Parses `YYYY-MM-DD` (or `CCYYMMDD`) into a full date.
fn full_date(field: &str, value: Option<&str>) -> Result<PartialDate, ApiError> {
    let Some(v) = value else { return Ok(today()) };
    let compact: String = v.chars().filter(|c| *c != '-').collect();
    match PartialDate::parse(&compact) {
        Ok(d) if d.day.is_some() => Ok(d),
        Ok(_) => Err(bad(field, "a full date is required: YYYY-MM-DD")),
        Err(e) => Err(bad(field, &e.to_string())),
    }
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::Invalid(vec![ItemError::new(field, None, "date", message)])
}

/// Audit events for what a contact changed.
pub(super) fn change_events(patient_id: &str, outcome: &Outcome) -> Vec<Event> {
    let mut events = Vec::new();
    if !outcome.patient_changes.is_empty() {
        events.push(Event {
            action: Action::Update,
            entity: "patient",
            entity_id: Some(patient_id.to_string()),
            details: json!({ "changes": outcome.patient_changes, "contact": outcome.contact.id }),
        });
    }
    for (tumor, changes) in &outcome.tumor_changes {
        events.push(Event {
            action: Action::Update,
            entity: "tumor",
            entity_id: Some(tumor.clone()),
            details: json!({ "changes": changes, "contact": outcome.contact.id }),
        });
    }
    events
}

/// Contacts of a patient.
#[derive(Serialize, ToSchema)]
pub struct ContactList {
    /// Newest first.
    pub data: Vec<Contact>,
}

/// Record a follow-up contact.
///
/// Kept in the history; it updates Date of Last Contact [1750], Vital Status [1760], Cause of
/// Death [1910], Place of Death [1942/1944], and per tumor Cancer Status [1770], Date of Last
/// Cancer Status [1772], Follow-Up Source [1790] and Next Follow-Up Source [1800] only when it
/// is not older than what is stored (`applied` says whether it did). A later contact alive for
/// a patient recorded dead is refused (409).
#[utoipa::path(
    tag = "followup",
    params(("id" = String, Path, description = "Patient id")),
    request_body = NewContact,
    responses(
        (status = 201, body = Contact),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/patients/{id}/contacts")]
pub async fn create_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<NewContact>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let patient_id = id.into_inner();
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let contact = state
        .db
        .write(move |conn| {
            let outcome = contacts::record(
                conn,
                &caller.facilities,
                &patient_id,
                body.into_inner(),
                &caller.sub,
                &today(),
            )?;
            let mut events = vec![Event {
                action: Action::Create,
                entity: "contact",
                entity_id: Some(outcome.contact.id.clone()),
                details: json!({ "patientId": patient_id, "applied": outcome.contact.applied }),
            }];
            events.extend(change_events(&patient_id, &outcome));
            audit::record_all(conn, &actor, events)?;
            if outcome.contact.applied {
                refresh(conn, &tables, &patient_id)?;
            }
            Ok::<_, ApiError>(outcome.contact)
        })
        .await?;
    Ok(HttpResponse::Created().json(contact))
}

/// Read a patient's contact history.
#[utoipa::path(
    tag = "followup",
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, body = ContactList),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/patients/{id}/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let patient_id = id.into_inner();
    let actor = actor(&req, &caller);
    let data = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let list = contacts::history(conn, &caller.facilities, &patient_id)?;
            audit.push(Event {
                action: Action::Read,
                entity: "contact",
                entity_id: None,
                details: json!({ "patientId": patient_id, "count": list.len() }),
            });
            Ok::<_, ApiError>(list)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ContactList { data }))
}

/// First recurrence of a tumor.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// Type of First Recurrence [1880], e.g. `10` local, `40` distant, `00` disease-free.
    #[serde(rename = "type")]
    #[schema(pattern = "^[0-9]{2}$")]
    pub kind: String,
    /// Date of First Recurrence [1860] (CCYYMMDD, CCYYMM or CCYY); required for a
    /// recurrence, absent for 00, 70, 88 and 99; not before the diagnosis.
    pub date: Option<String>,
    /// Why: required (and audited) for a change of a complete tumor, which only a reviewer or
    /// a manager may make (a registrar gets 409 `complete-locked`).
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Set the first recurrence of a tumor.
///
/// Requires `If-Match` with the tumor's current ETag: 412 when another change came first, 428
/// when absent.
/// A complete tumor is locked: a registrar gets 409 `complete-locked`; a reviewer or a manager
/// sets it with a `reason` (422 without), and when an error-level edit fails afterwards the
/// tumor goes back to `review`.
#[utoipa::path(
    tag = "followup",
    params(("id" = String, Path, description = "Tumor id"), ("If-Match" = String, Header, description = "ETag of the version being changed", pattern = r#"^(W/)?"[0-9]+"$"#)),
    request_body = Recurrence,
    responses(
        (status = 200, body = TumorResponse, headers(("ETag" = String))),
        (status = 412, description = "The ETag is stale: another change came first", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[put("/tumors/{id}/recurrence")]
pub async fn set_recurrence(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
    body: Json<Recurrence>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let expected = if_match(&req)?;
    let tumor_id = id.into_inner();
    let body = body.into_inner();
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let tumor = state
        .db
        .write(move |conn| {
            let who = Authority::of(&caller, body.reason.as_deref());
            let (mut t, changed) = contacts::set_recurrence(
                conn,
                &caller.facilities,
                &tumor_id,
                expected,
                &body.kind,
                body.date.as_deref(),
                &who,
            )?;
            if !changed.is_empty() {
                let mut details = json!({ "changes": changed, "version": t.version });
                if let Some(r) = who.reason {
                    details["reason"] = json!(r);
                }
                audit::record(
                    conn,
                    &actor,
                    Event {
                        action: Action::Update,
                        entity: "tumor",
                        entity_id: Some(t.id.clone()),
                        details,
                    },
                )?;
            }
            let mut e = refresh_tumor(conn, &tables, &t)?;
            let blocks = e.as_ref().is_some_and(|s| !blocking(s).is_empty());
            if let Some(from) = saving::settle(conn, &mut t, blocks)? {
                audit::record(conn, &actor, fallback_event(&t, from))?;
                e = crate::edits::store::summary(conn, &t.id)?;
            }
            Ok::<_, ApiError>((t, e))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(tumor.0.version)))
        .json(TumorResponse::with_edits(tumor.0, tumor.1)))
}

/// The as-of date and due threshold.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// YYYY-MM-DD (default today).
    #[param(
        pattern = "^((18|19|20)[0-9]{2}-?((0[13578]|1[02])-?(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-?(0[1-9]|[12][0-9]|30)|02-?(0[1-9]|1[0-9]|2[0-8]))|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)-?02-?29)$"
    )]
    pub as_of: Option<String>,
    /// Months since the last contact that make a patient due (default 12).
    #[param(minimum = 1, maximum = 120)]
    pub due_months: Option<i32>,
}

/// The due list, a page of it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DueList {
    pub as_of: String,
    pub due_months: i32,
    /// Patients without a recorded contact first, then by Date of Last Contact, oldest (most
    /// overdue) first.
    pub data: Vec<DueEntry>,
    /// Cursor of the next page (pass as `cursor`), absent on the last page.
    pub next: Option<String>,
}

/// The due list's as-of date, threshold, paging and form.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueListQuery {
    /// YYYY-MM-DD (default today).
    #[param(
        pattern = "^((18|19|20)[0-9]{2}-?((0[13578]|1[02])-?(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-?(0[1-9]|[12][0-9]|30)|02-?(0[1-9]|1[0-9]|2[0-8]))|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)-?02-?29)$"
    )]
    pub as_of: Option<String>,
    /// Months since the last contact that make a patient due (default 12).
    #[param(minimum = 1, maximum = 120)]
    pub due_months: Option<i32>,
    /// Patients per page of the JSON form (default 500).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next` of the previous page.
    pub cursor: Option<String>,
    /// `json` (default, paged), or the whole list streamed as `csv` or `ndjson` (one entry
    /// per line; `limit` and `cursor` do not apply).
    pub format: Option<DueFormat>,
}

/// The forms of the due list.
#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DueFormat {
    Json,
    Csv,
    Ndjson,
}

fn due_months(months: Option<i32>) -> Result<i32, ApiError> {
    let m = months.unwrap_or(12);
    if (1..=120).contains(&m) {
        Ok(m)
    } else {
        Err(ApiError::Invalid(vec![ItemError::new(
            "dueMonths",
            None,
            "range",
            "1 to 120 months",
        )]))
    }
}

/// The audit event of a page of due patients read.
fn read_patients(ids: Vec<String>, what: &str) -> Event {
    Event {
        action: Action::Read,
        entity: "patient",
        entity_id: None,
        details: json!({ "ids": ids, "via": what }),
    }
}

/// Whose due list, as of when, from how many months.
struct DueSelection {
    scope: crate::auth::FacilityScope,
    as_of: PartialDate,
    months: i32,
}

/// Patients of one streamed page: enough to keep each audit row and each chunk small.
const STREAM_PAGE: usize = 1000;

/// Streams the whole due list page by page, each page on a read connection and sent only after
/// its audit row is committed. Memory holds one page whatever the list's length.
fn stream_pages(
    state: web::Data<AppState>,
    actor: Actor,
    list: DueSelection,
    header: String,
    via: &'static str,
    line: fn(&crate::abstracts::patients::Patient, &DueEntry) -> String,
) -> HttpResponse {
    let DueSelection {
        scope,
        as_of,
        months,
    } = list;
    use futures_util::stream;
    let start = (state, Some(None::<due::Cursor>), Some(header));
    let pages = stream::try_unfold(start, move |(state, cursor, header)| {
        let actor = actor.clone();
        let scope = scope.clone();
        async move {
            let Some(cursor) = cursor else {
                return Ok::<_, ApiError>(None);
            };
            let page = state
                .db
                .read_audited(&actor, move |conn, audit| {
                    let page = due::due_page(conn, &scope, &as_of, months, cursor, STREAM_PAGE)?;
                    let ids = page.entries.iter().map(|(p, _)| p.id.clone()).collect();
                    audit.push(read_patients(ids, via));
                    Ok::<_, ApiError>(page)
                })
                .await?;
            let mut chunk = header.unwrap_or_default();
            for (p, e) in &page.entries {
                chunk.push_str(&line(p, e));
            }
            let next = page.next.map(Some);
            Ok(Some((web::Bytes::from(chunk), (state, next, None))))
        }
    });
    HttpResponse::Ok().streaming(pages)
}

/// List patients due for follow-up.
///
/// Living patients of the caller's facilities with an eligible analytic case (CoC exclusions
/// apply: non-analytic, foreign residents, benign or borderline, in situ cervix, basal and
/// squamous skin, over 100 years old, diagnosed before 2005) whose last contact is `dueMonths`
/// or more before `asOf`; `delinquent` from 15 months. Paged JSON (`limit`, `cursor`), or with
/// `format=csv` / `format=ndjson` the whole list streamed. Each page read is audited.
#[utoipa::path(
    tag = "followup",
    params(DueListQuery),
    responses(
        (status = 200, body = DueList, content(
            (DueList = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/followup/due")]
pub async fn list_due(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<DueListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let q = query.into_inner();
    let as_of = full_date("asOf", q.as_of.as_deref())?;
    let months = due_months(q.due_months)?;
    let limit = super::extract::page_size(q.limit, 500, 1000)? as usize;
    let cursor = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(due::Cursor::decode(c).ok_or_else(|| {
            ApiError::Invalid(vec![ItemError::new(
                "cursor",
                None,
                "cursor",
                "not a cursor of this list: pass `next` of the previous page",
            )])
        })?),
    };
    let actor = actor(&req, &caller);
    let format = q.format.unwrap_or(DueFormat::Json);
    if format != DueFormat::Json {
        let (header, content_type, line): (String, &str, fn(&_, &DueEntry) -> String) = match format
        {
            DueFormat::Csv => (
                due::DUE_CSV_HEADER.to_string(),
                "text/csv; charset=utf-8",
                |_, e| due::due_csv_line(e),
            ),
            _ => (String::new(), "application/x-ndjson", |_, e| {
                let mut l = serde_json::to_string(e).unwrap_or_default();
                l.push('\n');
                l
            }),
        };
        let mut response = stream_pages(
            state,
            actor,
            DueSelection {
                scope: caller.facilities.clone(),
                as_of,
                months,
            },
            header,
            "followup-due",
            line,
        );
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(content_type),
        );
        return Ok(response);
    }
    let page = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let page = due::due_page(conn, &caller.facilities, &as_of, months, cursor, limit)?;
            let ids = page.entries.iter().map(|(p, _)| p.id.clone()).collect();
            audit.push(read_patients(ids, "followup-due"));
            Ok::<_, ApiError>(page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DueList {
        as_of: as_of.to_string(),
        due_months: months,
        data: page.entries.into_iter().map(|(_, e)| e).collect(),
        next: page.next.map(|c| c.encode()),
    }))
}

/// Mail-merge data for the due patients.
///
/// CSV (one row per due patient, in the due list's order: name, current address, last
/// contact), streamed page by page; a read of identifiable data, audited per page.
#[utoipa::path(
    tag = "followup",
    params(DueQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/followup/letters")]
pub async fn letters(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<DueQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let q = query.into_inner();
    let as_of = full_date("asOf", q.as_of.as_deref())?;
    let months = due_months(q.due_months)?;
    let actor = actor(&req, &caller);
    let mut response = stream_pages(
        state,
        actor,
        DueSelection {
            scope: caller.facilities.clone(),
            as_of,
            months,
        },
        due::letters_header(),
        "followup-letters",
        due::letter_line,
    );
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_static("attachment; filename=\"followup-letters.csv\""),
    );
    Ok(response)
}

/// The largest death-record batch: four JSON bodies (`CANCER_REGISTRY_MAX_BODY_BYTES`), as
/// SECURITY.md documents; a state's batch is larger than an abstract.
pub fn death_records_limit(state: &AppState) -> usize {
    state.max_body_bytes.saturating_mul(4)
}

/// A batch of death records.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeathRecords {
    pub records: Vec<DeathRecord>,
}

/// Clear deaths against state death records.
///
/// JSON `{"records": [...]}` or CSV (`text/csv`, header row with the same field names). Exact
/// matches (SSN and date of birth) are applied as deaths; a death the patient already carries
/// (same date and cause) is `alreadyApplied` and adds nothing, so a re-sent batch changes
/// nothing; name and date of birth matches, and deaths that conflict with what is stored, are
/// returned as `possible` and queued once for review (`GET .../death-records/possible`),
/// nothing applied; the rest as `unmatched`.
#[utoipa::path(
    tag = "followup",
    request_body(content(
        (DeathRecords = "application/json"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, body = Clearance),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[post("/followup/death-records")]
pub async fn clear_deaths(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    // Read here, not by `web::Bytes`: its own 256 KiB limit answers a text/plain 413 below the
    // documented limit.
    let body = super::extract::read_body(&req, payload, death_records_limit(&state)).await?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 text".into()))?;
    if text.contains('\0') {
        return Err(ApiError::Invalid(vec![ItemError::new(
            "body",
            None,
            "invalid-character",
            "the body holds a NUL character",
        )]));
    }
    let records = if content_type.starts_with("text/csv") {
        deaths::parse_csv(text)?
    } else if content_type.starts_with("application/json") {
        super::extract::json_body::<DeathRecords>(text)?.records
    } else {
        return Err(ApiError::BadRequest(
            "send application/json or text/csv".into(),
        ));
    };
    let actor = actor(&req, &caller);
    let tables = state.tables();
    let result = state
        .db
        .write(move |conn| {
            let clearance =
                deaths::clear(conn, &caller.facilities, &records, &caller.sub, &today())?;
            let mut events: Vec<Event> = clearance
                .applied
                .iter()
                .flat_map(|o| change_events(&o.contact.patient_id, o))
                .collect();
            let linked: Vec<&String> = clearance
                .matched
                .iter()
                .chain(&clearance.already_applied)
                .chain(&clearance.possible)
                .flat_map(|l| &l.patient_ids)
                .collect();
            events.push(Event {
                action: Action::Read,
                entity: "patient",
                entity_id: None,
                details: json!({ "ids": linked, "via": "death-clearance" }),
            });
            audit::record_all(conn, &actor, events)?;
            for o in &clearance.applied {
                refresh(conn, &tables, &o.contact.patient_id)?;
            }
            Ok::<_, ApiError>(clearance)
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// The dates of the rates.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// YYYY-MM-DD (default today).
    #[param(
        pattern = "^((18|19|20)[0-9]{2}-?((0[13578]|1[02])-?(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-?(0[1-9]|[12][0-9]|30)|02-?(0[1-9]|1[0-9]|2[0-8]))|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)-?02-?29)$"
    )]
    pub as_of: Option<String>,
    /// The registry's reference date, YYYY-MM-DD (default 2005-01-01).
    #[param(
        pattern = "^((18|19|20)[0-9]{2}-?((0[13578]|1[02])-?(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-?(0[1-9]|[12][0-9]|30)|02-?(0[1-9]|1[0-9]|2[0-8]))|((18|19|20)(0[48]|[2468][048]|[13579][26])|2000)-?02-?29)$"
    )]
    pub reference_date: Option<String>,
}

/// CoC follow-up rates.
///
/// For eligible analytic cases diagnosed since the reference date (standard 80%) and in the
/// five calendar years before the year of `asOf` (standard 90%): eligible cases, cases with
/// current follow-up (patient dead, or contacted within 15 months of `asOf`), the rate and
/// whether the standard is met; overall and by facility.
#[utoipa::path(
    tag = "reports",
    params(RatesQuery),
    responses(
        (status = 200, body = Rates),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/reports/followup-rates")]
pub async fn followup_rates(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<RatesQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let q = query.into_inner();
    let as_of = full_date("asOf", q.as_of.as_deref())?;
    let reference = full_date(
        "referenceDate",
        Some(q.reference_date.as_deref().unwrap_or("2005-01-01")),
    )?;
    let rates = state
        .db
        .read(move |conn| {
            due::rates(conn, &caller.facilities, &as_of, &reference).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rates))
}
