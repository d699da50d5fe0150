//! Authentication and authorization: JWT verification and signing, roles, facility scope, and
//! the [`Caller`] every request acts as. Knows nothing of HTTP (the extractor is in `api`).

pub mod keys;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use keys::{KeyConfig, Keys};

/// What a user may do. A token carries one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Abstracts patients and tumors of their facilities, runs staging and edits, records
    /// follow-up, builds submissions.
    Registrar,
    /// A registrar who may also complete abstracts and override edits.
    Reviewer,
    /// Administers the registry: all facilities, research approvals, reports.
    Manager,
    /// Sees only approved research extracts and suppressed tables.
    Researcher,
    /// Reads the audit trail only.
    Auditor,
}

impl Role {
    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "registrar" => Some(Role::Registrar),
            "reviewer" => Some(Role::Reviewer),
            "manager" => Some(Role::Manager),
            "researcher" => Some(Role::Researcher),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    /// The claim spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Registrar => "registrar",
            Role::Reviewer => "reviewer",
            Role::Manager => "manager",
            Role::Researcher => "researcher",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Role sets used by the operations: who may abstract (read and write patients and tumors).
pub const ABSTRACTORS: &[Role] = &[Role::Registrar, Role::Reviewer, Role::Manager];
/// Who may move an abstract to `complete` and override edits.
pub const REVIEWERS: &[Role] = &[Role::Reviewer, Role::Manager];
/// Who may read the audit trail.
pub const AUDITORS: &[Role] = &[Role::Auditor];
/// Who may read the data dictionary and other non-identifying reference data.
pub const ANY_ROLE: &[Role] = &[
    Role::Registrar,
    Role::Reviewer,
    Role::Manager,
    Role::Researcher,
    Role::Auditor,
];

/// The facility scope a token's roles and `facilities` claim give. Scope "all" (no claim, or
/// `*`) is for central-registry managers only; for anyone else it is nothing rather than
/// everything. The server and `cancer-registry token` both use this rule.
pub fn scope_of(roles: &[Role], facilities: Option<Vec<String>>) -> FacilityScope {
    let all = facilities
        .as_ref()
        .is_none_or(|list| list.iter().any(|f| f == "*"));
    match (all, roles.contains(&Role::Manager)) {
        (true, true) => FacilityScope::All,
        (true, false) => FacilityScope::Only(Vec::new()),
        (false, _) => FacilityScope::Only(facilities.unwrap_or_default()),
    }
}

/// Why a token with these roles and facilities would be useless, if it would: a registrar or
/// reviewer needs at least one facility (researchers and auditors are not facility-scoped).
pub fn mint_problem(roles: &[Role], facilities: &[String]) -> Option<String> {
    let scoped = roles
        .iter()
        .any(|r| matches!(r, Role::Registrar | Role::Reviewer));
    match scope_of(roles, (!facilities.is_empty()).then(|| facilities.to_vec())) {
        FacilityScope::Only(list) if list.is_empty() && scoped => Some(
            "name at least one --facility: registrars and reviewers see only their facilities, \
             and only a manager may see every facility (no --facility, or *)"
                .to_string(),
        ),
        _ => None,
    }
}

/// Which reporting facilities a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacilityScope {
    /// Central-registry staff: every facility.
    All,
    /// Only these reporting facility ids (Reporting Facility [540]).
    Only(Vec<String>),
}

impl FacilityScope {
    /// Whether a facility is in scope.
    pub fn allows(&self, facility: &str) -> bool {
        match self {
            FacilityScope::All => true,
            FacilityScope::Only(list) => list.iter().any(|f| f == facility),
        }
    }

    /// The one facility a write defaults to when the caller names none.
    pub fn single(&self) -> Option<&str> {
        match self {
            FacilityScope::Only(list) if list.len() == 1 => Some(&list[0]),
            _ => None,
        }
    }
}

/// The authenticated user a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's subject.
    pub sub: String,
    pub roles: Vec<Role>,
    pub facilities: FacilityScope,
}

impl Caller {
    /// Whether the caller holds any of `roles`.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }

    /// Checks the caller holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AuthError> {
        if self.has_any(roles) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(format!(
                "this operation needs one of the roles {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }

    /// The role names, comma separated, for the audit trail.
    pub fn roles_label(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The claims of our tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<String>,
    /// Reporting facility ids; absent or `["*"]` means every facility (managers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<Vec<String>>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    pub iat: u64,
    pub iss: String,
    pub aud: String,
}

/// Why a request is not authenticated or not allowed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No usable credentials: 401.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed: 403.
    #[error("{0}")]
    Forbidden(String),
    /// The token names a reporting facility that is not registered: 403.
    #[error("{0}")]
    UnknownFacility(String),
    /// Key material could not be loaded or used.
    #[error("{0}")]
    Keys(String),
}

impl Claims {
    /// Turns verified claims into a caller, refusing incoherent tokens: unknown roles, no role,
    /// and an all-facility scope for anyone but a manager.
    pub fn into_caller(self) -> Result<Caller, AuthError> {
        let mut roles = Vec::with_capacity(self.roles.len());
        for name in &self.roles {
            let role = Role::parse(name).ok_or_else(|| {
                AuthError::Unauthenticated(format!("the token names an unknown role {name:?}"))
            })?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            return Err(AuthError::Unauthenticated(
                "the token carries no role".to_string(),
            ));
        }
        if self.sub.trim().is_empty() {
            return Err(AuthError::Unauthenticated(
                "the token has an empty subject".to_string(),
            ));
        }
        // The subject is written to the audit trail and logs as the actor: a line break or other
        // control character there could forge entries.
        if self.sub.chars().any(char::is_control) || self.sub.len() > 256 {
            return Err(AuthError::Unauthenticated(
                "the token subject has control characters or is longer than 256 bytes".to_string(),
            ));
        }
        let facilities = scope_of(&roles, self.facilities);
        Ok(Caller {
            sub: self.sub,
            roles,
            facilities,
        })
    }
}
