//! Who may do what: scopes, roles, and the bodies of sign-in and API-key management.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::action::wire_enum! {
    /// A permission an API key or a session carries.
    pub enum Scope {
        /// Propose actions (agents).
        #[serde(rename = "actions:propose")]
        ActionsPropose => ("actions:propose", "Propose actions"),
        /// Read actions, customers, agents, metrics and events.
        #[serde(rename = "actions:read")]
        ActionsRead => ("actions:read", "Read actions"),
        /// Approve, edit, reject and snooze; report outcomes and responses.
        #[serde(rename = "actions:review")]
        ActionsReview => ("actions:review", "Review actions"),
        /// Configure agents and manage API keys.
        #[serde(rename = "agents:admin")]
        AgentsAdmin => ("agents:admin", "Administer agents"),
    }
}

crate::action::wire_enum! {
    /// What a signed-in person may do.
    pub enum Role {
        /// Reviews actions.
        Reviewer => ("reviewer", "Reviewer"),
        /// Reviews actions, configures agents and manages API keys.
        Admin => ("admin", "Admin"),
    }
}

impl Role {
    /// The scopes a session of this role carries.
    pub fn scopes(self) -> Vec<Scope> {
        match self {
            Role::Reviewer => vec![Scope::ActionsRead, Scope::ActionsReview],
            Role::Admin => vec![Scope::ActionsRead, Scope::ActionsReview, Scope::AgentsAdmin],
        }
    }
}

/// Sign in with email and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "reviewer@demo.example", "password": "correct horse battery staple"})))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// A location as a caller sees their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationSummary {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "demo"))]
    pub slug: String,
    #[cfg_attr(feature = "openapi", schema(example = "Northside Coworking & Gym"))]
    pub name: String,
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "reviewer@demo.example"))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(example = "Demo Reviewer"))]
    pub name: String,
    pub role: Role,
}

/// Who the caller is (`GET /api/v1/auth/me`, and the answer to signing in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub location: LocationSummary,
    /// The person, when the caller signed in.
    pub user: Option<UserView>,
    /// The API key, when the caller used one.
    pub api_key: Option<ApiKey>,
    pub scopes: Vec<Scope>,
    /// For a session: send it as `X-CSRF-Token` with every POST, PATCH and DELETE.
    pub csrf_token: Option<String>,
    /// For a session: when it ends.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Billing agent"))]
    pub name: String,
    pub scopes: Vec<Scope>,
    /// An agent's key proposes only as this agent.
    pub agent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new API key (`POST /api/v1/api-keys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "Billing agent", "scopes": ["actions:propose", "actions:read"], "agent_id": "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f58"})))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Make it an agent's key: it may then only propose as this agent.
    #[serde(default)]
    pub agent_id: Option<Uuid>,
}

/// A key just made: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// Send as `Authorization: Bearer <token>`. It is not stored and cannot be shown again.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "inbox_4rX0bJ2m9s8k3YtQvN1pL6wE7uA5cD0fG2hJ4kL6mN8")
    )]
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_travel_as_resource_colon_verb() {
        assert_eq!(
            serde_json::to_value(Scope::ActionsPropose).expect("json"),
            "actions:propose"
        );
        assert_eq!("agents:admin".parse::<Scope>(), Ok(Scope::AgentsAdmin));
    }

    #[test]
    fn only_admins_administer_and_nobody_signed_in_proposes() {
        assert!(!Role::Reviewer.scopes().contains(&Scope::AgentsAdmin));
        assert!(Role::Admin.scopes().contains(&Scope::AgentsAdmin));
        for role in Role::ALL {
            assert!(!role.scopes().contains(&Scope::ActionsPropose));
        }
    }
}
