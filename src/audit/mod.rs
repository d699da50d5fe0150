//! The audit trail: who read or changed which identifiable data, when, and how. Append-only for
//! the service: this module inserts and lists, nothing updates or deletes a row.

pub mod chain;
mod chainer;
pub mod masking;
pub(crate) mod pending;
mod spool;
pub(crate) mod subjects;
pub mod writer;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Caller;
use crate::db::schema::{audit_log, audit_subjects};
use crate::db::{DbConn, DbError};

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    Export,
    Release,
    /// A request refused for role or facility scope (403), or naming a record the caller
    /// cannot see or that does not exist (404).
    Denied,
}

impl Action {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Export => "export",
            Action::Release => "release",
            Action::Denied => "denied",
        }
    }
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: Action,
    /// `patient`, `tumor`, ...
    pub entity: &'static str,
    pub entity_id: Option<String>,
    /// Changed items (old and new values), ids returned by a list, a reason, ...
    pub details: serde_json::Value,
}

/// Who acts and under which request id.
#[derive(Debug, Clone)]
pub struct Actor {
    pub sub: String,
    pub roles: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// The actor for a caller in a request.
    pub fn new(caller: &Caller, request_id: Option<String>) -> Actor {
        Actor {
            sub: caller.sub.clone(),
            roles: caller.roles_label(),
            request_id,
        }
    }
}

#[derive(Insertable, Queryable, Selectable, Serialize, serde::Deserialize)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub(crate) struct AuditRow {
    id: String,
    at: NaiveDateTime,
    actor: String,
    roles: String,
    action: String,
    entity: String,
    entity_id: Option<String>,
    request_id: Option<String>,
    details: String,
    seq: Option<i64>,
    hash: Option<String>,
}

/// Appends one record. Call it inside the write transaction of the change it records, so both
/// commit or neither does.
pub fn record(conn: &mut DbConn, actor: &Actor, event: Event) -> Result<(), DbError> {
    record_all(conn, actor, std::iter::once(event))
}

/// Appends several records in one statement. Inside [`crate::db::transaction`] they join the
/// hash chain when that transaction commits; elsewhere at once, in a transaction of their own
/// (a savepoint when one is open).
pub fn record_all(
    conn: &mut DbConn,
    actor: &Actor,
    events: impl IntoIterator<Item = Event>,
) -> Result<(), DbError> {
    let rows = rows(actor, events);
    if rows.is_empty() {
        return Ok(());
    }
    if let Some(mut rows) = chain::defer(conn, rows) {
        conn.transaction(|conn| chain::append(conn, &mut rows).map(|_| ()))?;
    }
    Ok(())
}

/// The stored rows of events, stamped now. The time is cut to microseconds, what both backends
/// keep, so a row's hash is computed over what is read back.
pub(crate) fn rows(actor: &Actor, events: impl IntoIterator<Item = Event>) -> Vec<AuditRow> {
    let now = Utc::now().naive_utc();
    let now = now
        .with_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now);
    events
        .into_iter()
        .map(|e| AuditRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: now,
            actor: actor.sub.clone(),
            roles: actor.roles.clone(),
            action: e.action.as_str().to_string(),
            entity: e.entity.to_string(),
            entity_id: e.entity_id,
            request_id: actor.request_id.clone(),
            details: e.details.to_string(),
            seq: None,
            hash: None,
        })
        .collect()
}

/// A stored audit record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub id: String,
    pub at: DateTime<Utc>,
    /// The token subject of the user.
    pub actor: String,
    pub roles: Vec<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    /// Changed items with old and new values, ids returned by a list, reasons.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Filters of the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub entity: Option<String>,
    /// Rows about this record: its own rows, and rows whose details name it (a list page that
    /// returned it, a read of one of a patient's tumors). `entity` still filters the rows' own
    /// entity: `entity=patient` with a patient's id leaves out reads of their tumors.
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// Lists records oldest first after the cursor (a record id), `limit` at most, plus whether
/// more follow.
pub fn list(
    conn: &mut DbConn,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Record>, bool), DbError> {
    let mut query = audit_log::table.into_boxed();
    if let Some(a) = &filter.actor {
        query = query.filter(audit_log::actor.eq(a.clone()));
    }
    if let Some(e) = &filter.entity {
        query = query.filter(audit_log::entity.eq(e.clone()));
    }
    if let Some(id) = &filter.entity_id {
        query = query.filter(
            audit_log::entity_id.eq(id.clone()).or(audit_log::id.eq_any(
                audit_subjects::table
                    .filter(audit_subjects::entity_id.eq(id.clone()))
                    .select(audit_subjects::audit_id),
            )),
        );
    }
    if let Some(a) = &filter.action {
        query = query.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(t) = filter.from {
        query = query.filter(audit_log::at.ge(t));
    }
    if let Some(t) = filter.to {
        query = query.filter(audit_log::at.lt(t));
    }
    if let Some(c) = after {
        query = query.filter(audit_log::id.gt(c.to_string()));
    }
    let mut rows: Vec<AuditRow> = query
        .order(audit_log::id.asc())
        .limit(limit + 1)
        .select(AuditRow::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((
        rows.into_iter()
            .map(|r| Record {
                id: r.id,
                at: r.at.and_utc(),
                actor: r.actor,
                roles: r.roles.split(',').map(str::to_string).collect(),
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                request_id: r.request_id,
                details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
        more,
    ))
}
