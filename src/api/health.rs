//! `/health`: liveness and readiness, without authentication.

use actix_web::{get, web, HttpResponse};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::db::DbError;

/// Health.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// One part the service needs, as loaded at start.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// `database`, `staging`, `edits`, `siteRecode` or `dictionaries`.
    #[schema(example = "staging")]
    pub name: String,
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    pub status: String,
    /// Where it was loaded from: `embedded data/...` (built into the binary) or a folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "embedded data/algorithms")]
    pub source: Option<String>,
    /// What is loaded: algorithm ids and versions, dictionary versions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["cs 02.05.50", "eod_public 3.3", "pediatric 1.3", "tnm 2.1"]))]
    pub versions: Vec<String>,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Readiness: every component and whether the service can do its work.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` when every component is, else `unavailable`.
    #[schema(example = "ok")]
    pub status: String,
    pub components: Vec<Component>,
}

fn component(name: &str, outcome: Result<(Option<String>, Vec<String>), String>) -> Component {
    match outcome {
        Ok((source, versions)) => Component {
            name: name.into(),
            status: "ok".into(),
            source,
            versions,
            reason: None,
        },
        Err(reason) => Component {
            name: name.into(),
            status: "unavailable".into(),
            source: None,
            versions: Vec::new(),
            reason: Some(reason),
        },
    }
}

/// What the service loaded at start, component by component (database excluded).
pub fn loaded_components(state: &AppState) -> Vec<Component> {
    let staging = state.staging.as_ref().map_err(Clone::clone).map(|r| {
        let versions = r
            .algorithms()
            .iter()
            .map(|a| format!("{} {}", a.id, a.version))
            .collect();
        (Some(r.source().to_string()), versions)
    });
    let edits = state
        .edit_tables
        .as_ref()
        .map_err(Clone::clone)
        .map(|t| (Some(t.source().to_string()), t.versions()));
    let recode = state.site_recode.as_ref().map_err(Clone::clone).map(|t| {
        (
            Some(t.source().to_string()),
            vec!["SEER site recode ICD-O-3 2023 revision".to_string()],
        )
    });
    let (bases, users) = state.dictionaries.summary();
    let dictionaries = Ok((
        None,
        bases.into_iter().chain(users).collect::<Vec<String>>(),
    ));
    vec![
        component("staging", staging),
        component("edits", edits),
        component("siteRecode", recode),
        component("dictionaries", dictionaries),
    ]
}

/// Liveness: the process answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and the staging algorithms, edit tables, site recode and
/// dictionaries are loaded. 503 (same body) names what is unavailable.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Readiness),
        (status = 503, body = Readiness, description = "a component is unavailable"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let database = state
        .db
        .read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok::<_, DbError>(())
        })
        .await
        .map(|()| {
            let kind = if state.db.backend().is_sqlite() {
                "sqlite"
            } else {
                "postgresql"
            };
            (None, vec![kind.to_string()])
        })
        .map_err(|e| {
            log::warn!("readiness check failed: {e}");
            "the database does not answer".to_string()
        });
    let mut components = vec![component("database", database)];
    components.extend(loaded_components(&state));
    let ok = components.iter().all(|c| c.status == "ok");
    let body = Readiness {
        status: if ok { "ok" } else { "unavailable" }.into(),
        components,
    };
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
