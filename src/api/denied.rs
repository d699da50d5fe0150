//! Refused requests in the audit trail. Every handler's refusals (a role it does not accept, a
//! record outside the caller's facilities) pass through here as the error they answered with,
//! so one middleware records them instead of each handler: an identified caller refused with
//! 403, or answered 404 for a record, leaves a `denied` row naming the record when known, the
//! reason, the method and the route. It answers only once that row is committed, as reads do.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::{web, HttpMessage, HttpRequest, ResponseError};
use serde_json::json;

use super::error::{ApiError, Denial};
use super::AppState;
use crate::audit::{Action, Event};
use crate::auth::Caller;

/// Path segments naming a collection, with the entity its records are in the audit trail.
const COLLECTIONS: &[(&str, &str)] = &[
    ("patients", "patient"),
    ("tumors", "tumor"),
    ("possible", "death-record"),
    ("submissions", "submission"),
    ("imports", "import"),
    ("recipients", "recipient"),
    ("facilities", "facility"),
    ("research-requests", "research-request"),
    ("audit", "audit"),
];

/// Records the refusal carried by `res`, if it is one to record; then answers with it, or with
/// 503 when its row cannot be written (nothing is answered without its record).
pub async fn record<B: actix_web::body::MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(event) = denied_event(&res) else {
        return Ok(res.map_into_boxed_body());
    };
    let req = res.request();
    let (Some(state), Some(caller)) = (
        req.app_data::<web::Data<AppState>>().cloned(),
        req.extensions().get::<Caller>().cloned(),
    ) else {
        return Ok(res.map_into_boxed_body());
    };
    let actor = super::extract::actor(req, &caller);
    let written = state
        .db
        .read_audited(&actor, move |_, audit| {
            audit.push(event);
            Ok::<_, ApiError>(())
        })
        .await;
    match written {
        Ok(()) => Ok(res.map_into_boxed_body()),
        Err(e) => {
            let (req, _) = res.into_parts();
            Ok(ServiceResponse::new(req, e.error_response()))
        }
    }
}

/// The `denied` row of a response: refused by a handler (or its caller extractor) with an
/// error that is a [`Denial`], for a caller whose token was verified. A 404 is recorded only
/// when it names a record (by the error or by the route's id); a 404 for an unknown code or
/// schema is no attempt on anyone's data.
fn denied_event<B>(res: &ServiceResponse<B>) -> Option<Event> {
    let denial = res.response().error()?.as_error::<ApiError>()?.denial()?;
    let req = res.request();
    if !req.extensions().contains::<Caller>() {
        return None;
    }
    let Denial { reason, target } = denial;
    let route = req.match_pattern();
    let (entity, entity_id) = match target {
        Some((entity, id)) => (entity, Some(id)),
        None => match route.as_deref().and_then(|r| route_target(r, req)) {
            Some(t) => t,
            None if reason == "not-found" => return None,
            None => ("operation", None),
        },
    };
    let detail = res
        .response()
        .error()
        .map(|e| e.to_string())
        .unwrap_or_default();
    Some(Event {
        action: Action::Denied,
        entity,
        entity_id,
        details: json!({
            "status": res.status().as_u16(),
            "reason": reason,
            "detail": detail,
            "method": req.method().as_str(),
            "route": route,
        }),
    })
}

/// The record a route names: the collection segment before its first path parameter and that
/// parameter's value (`/api/v1/patients/{id}/tumors`: the patient), or for a route without
/// one, the last collection it names with no id (`/api/v1/tumors`: tumors).
fn route_target(route: &str, req: &HttpRequest) -> Option<(&'static str, Option<String>)> {
    let segments: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let entity_of = |segment: &str| {
        COLLECTIONS
            .iter()
            .find(|(c, _)| *c == segment)
            .map(|(_, e)| *e)
    };
    match segments.iter().position(|s| s.starts_with('{')) {
        Some(0) => None,
        Some(i) => {
            let entity = entity_of(segments[i - 1])?;
            let name = segments[i].trim_start_matches('{').trim_end_matches('}');
            Some((entity, req.match_info().get(name).map(str::to_string)))
        }
        None => segments
            .iter()
            .rev()
            .find_map(|s| entity_of(s))
            .map(|e| (e, None)),
    }
}
