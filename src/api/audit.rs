//! `/api/v1/audit`: the audit trail, for auditors.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemDetails};
use super::extract::{actor, page_size};
use super::AppState;
use crate::audit::{self, Action, Event, Record};
use crate::auth::{Caller, AUDITORS};

/// Filters and paging of the audit trail.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Token subject of the user.
    pub actor: Option<String>,
    /// `patient`, `tumor`, `audit`, ... (the entity a row is about).
    pub entity: Option<String>,
    /// A record's id: rows about it, and rows naming it in their details (the pages of a list
    /// that returned the patient, reads of the patient's tumors).
    pub entity_id: Option<String>,
    /// `denied`: requests refused for role or facility scope (403), or naming a record the
    /// caller cannot see or that does not exist (404).
    // Inline: the enum is no schema of its own in the document (its reference dangled).
    #[param(inline)]
    pub action: Option<Action>,
    /// From this instant (inclusive), RFC 3339.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant, RFC 3339.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

/// A page of audit records, oldest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub data: Vec<Record>,
    pub next: Option<String>,
}

/// Read the audit trail.
///
/// Who read or changed which data, when, with old and new values of changed items and the
/// request id, and which requests were refused (`denied`). Values that identify the person
/// (names, addresses, numbers, free text, birth date, ZIP code) read `[masked]`. Append-only: no operation changes or
/// deletes it.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["auditor"]))
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(AUDITORS)?;
    let q = query.into_inner();
    let limit = page_size(q.limit, 100, 1000)?;
    let actor = actor(&req, &caller);
    // Reads answered a moment ago may still be on their way into the chain.
    state.db.flush_audit().await?;
    let (data, more) = state
        .db
        .read_audited(&actor, move |conn, audit| {
            let filter = audit::Filter {
                actor: q.actor,
                entity: q.entity,
                entity_id: q.entity_id,
                action: q.action.map(|a| a.as_str().to_string()),
                from: q.from.map(|t| t.naive_utc()),
                to: q.to.map(|t| t.naive_utc()),
            };
            let page = audit::list(conn, &filter, q.cursor.as_deref(), limit)?;
            // The trail holds old and new values of identifiable items: reading it is recorded too.
            audit.push(Event {
                action: Action::Read,
                entity: "audit",
                entity_id: None,
                details: json!({ "count": page.0.len() }),
            });
            Ok::<_, ApiError>(page)
        })
        .await?;
    let next = if more {
        data.last().map(|r| r.id.clone())
    } else {
        None
    };
    let mut data = data;
    for record in &mut data {
        audit::masking::for_auditor(&mut record.details);
    }
    Ok(HttpResponse::Ok().json(AuditPage { data, next }))
}

/// The head of the tamper-evident audit chain.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditHead {
    /// Rows in the chain (the position of the last row).
    pub rows: i64,
    /// SHA-256 (hex) of the last row, over its content and the previous row's hash; 64 zeros
    /// when the trail is empty.
    pub hash: String,
    /// When the head was read.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The head of the audit chain.
///
/// Row count and hash of the last audit row. Keep them elsewhere (they are also logged daily):
/// `cancer-registry audit verify` then shows whether any row up to that point was changed,
/// deleted or inserted, and a later head that does not extend a kept one shows a rewrite.
#[utoipa::path(
    tag = "audit",
    responses(
        (status = 200, body = AuditHead),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["auditor"]))
)]
#[get("/audit/head")]
pub async fn audit_head(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(AUDITORS)?;
    state.db.flush_audit().await?;
    let head = state
        .db
        .read(|conn| Ok::<_, ApiError>(audit::chain::head(conn)?))
        .await?;
    Ok(HttpResponse::Ok().json(AuditHead {
        rows: head.seq,
        hash: head.hash,
        at: chrono::Utc::now(),
    }))
}
