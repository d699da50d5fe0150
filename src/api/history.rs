//! `/api/v1/tumors/{id}/history`: who changed a tumor's items, when, from what to what, for the
//! registrars and reviewers who may read the tumor (the full trail stays with auditors).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, ProblemDetails};
use super::extract::actor;
use super::AppState;
use crate::abstracts::tumors;
use crate::audit::{self, Action, Event, Filter, Record};
use crate::auth::{Caller, ABSTRACTORS};

/// Records read per kind of change (creates, updates): the first ones of a very busy tumor.
const MAX_CHANGES: i64 = 1000;

/// The changes of a tumor, oldest first.
#[derive(Serialize, ToSchema)]
pub struct TumorHistory {
    /// Creation, item corrections (with old and new values), status changes, staging.
    pub data: Vec<Record>,
}

/// History of a tumor's changes.
///
/// Every create and update of the tumor from the audit trail: who, when, and the items with
/// their old and new values (status changes and staging included). Reading it is audited.
#[utoipa::path(
    tag = "tumors",
    params(("id" = String, Path, description = "Tumor id")),
    responses(
        (status = 200, body = TumorHistory),
        (status = "4XX", body = ProblemDetails, content_type = "application/problem+json"),
        (status = "5XX", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["registrar", "reviewer", "manager"]))
)]
#[get("/tumors/{id}/history")]
pub async fn tumor_history(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(ABSTRACTORS)?;
    let id = id.into_inner();
    let actor = actor(&req, &caller);
    let data = state
        .db
        .read_audited(&actor, move |conn, events| {
            // Out of the caller's facilities: 404, as for the tumor itself.
            let t = tumors::get(conn, &caller.facilities, &id)?;
            let mut data = Vec::new();
            for action in [Action::Create, Action::Update] {
                let filter = Filter {
                    entity: Some("tumor".into()),
                    entity_id: Some(t.id.clone()),
                    action: Some(action.as_str().into()),
                    ..Default::default()
                };
                data.extend(audit::list(conn, &filter, None, MAX_CHANGES)?.0);
            }
            data.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
            events.push(Event {
                action: Action::Read,
                entity: "tumor-history",
                entity_id: Some(t.id.clone()),
                details: json!({ "records": data.len() }),
            });
            Ok::<_, ApiError>(data)
        })
        .await?;
    Ok(HttpResponse::Ok().json(TumorHistory { data }))
}
