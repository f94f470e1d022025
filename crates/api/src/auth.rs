//! Who is calling, and may they? Extractors in handler signatures: [`Caller`] authenticates
//! (a bearer token, or the SPA's session cookie with its CSRF token), [`Authorized`] also
//! checks one scope. Everything a caller reads or changes is in their own location.

use std::{future::Future, marker::PhantomData, ops::Deref, pin::Pin};

use actix_web::{
    body::MessageBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web, FromRequest, HttpMessage, HttpRequest,
};
use inbox_domain::auth::{Me, Scope, UserView};

use crate::{
    db::entities::locations,
    error::ApiError,
    services::{
        self,
        auth::{AuthError, Authenticated, Principal},
        Actor, Context,
    },
    state::AppState,
};

/// The cookie that carries the SPA's session token.
pub const SESSION_COOKIE: &str = "inbox_session";
/// The header that must repeat the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Authenticated);

impl Caller {
    /// What a use case needs to act for this caller now.
    pub fn context<'a>(&'a self, state: &'a AppState) -> Context<'a> {
        Context {
            db: &state.db,
            bus: &state.bus,
            location: self.location(),
            actor: self.actor(),
            agent_key: self.agent_id(),
            now: state.clock.now(),
            undo_window: state.undo_window,
            claim: None,
        }
    }

    /// The caller's location: the only one they can see.
    pub fn location(&self) -> &locations::Model {
        &self.0.location
    }

    /// How the caller is recorded in an action's history.
    pub fn actor(&self) -> Actor {
        match &self.0.principal {
            Principal::User { user, .. } => Actor(format!("user:{}", user.id)),
            Principal::Key(key) => Actor(format!("key:{}", key.id)),
        }
    }

    /// The caller's name as other reviewers see it: the person's, or the API key's.
    pub fn display_name(&self) -> &str {
        match &self.0.principal {
            Principal::User { user, .. } => &user.name,
            Principal::Key(key) => &key.name,
        }
    }

    /// The signed-in reviewer, if the caller is one (not an API key).
    pub fn user_id(&self) -> Option<uuid::Uuid> {
        match &self.0.principal {
            Principal::User { user, .. } => Some(user.id),
            Principal::Key(_) => None,
        }
    }

    /// The agent an agent's key proposes as.
    pub fn agent_id(&self) -> Option<uuid::Uuid> {
        match &self.0.principal {
            Principal::Key(key) => key.agent_id,
            Principal::User { .. } => None,
        }
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.0.scopes.contains(&scope)
    }

    /// The caller as `GET /api/v1/auth/me` shows them.
    pub fn me(&self) -> Result<Me, ApiError> {
        let location = inbox_domain::auth::LocationSummary {
            id: self.0.location.id,
            slug: self.0.location.slug.clone(),
            name: self.0.location.name.clone(),
        };
        let (user, api_key, csrf_token, expires_at) = match &self.0.principal {
            Principal::User { user, session } => (
                Some(UserView {
                    id: user.id,
                    email: user.email.clone(),
                    name: user.name.clone(),
                    role: user.role,
                }),
                None,
                Some(session.csrf_token.clone()),
                Some(session.expires_at),
            ),
            Principal::Key(key) => (None, Some(services::auth::key_view(key)?), None, None),
        };
        Ok(Me {
            location,
            user,
            api_key,
            scopes: self.0.scopes.clone(),
            csrf_token,
            expires_at,
        })
    }
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::Unauthorized(detail.to_owned())
}

/// What [`authenticate_first`] found out about a request's caller, for [`Caller`] to take.
struct Authentication(Result<Caller, ApiError>);

/// Authenticates every API request before any handler's extractors run, so that a caller who
/// may not make a request is told so (401, 403) before anything checks what they sent: actix
/// extracts a handler's arguments side by side, and a malformed id or body is known at once
/// while the caller's token is still being looked up. [`Caller`] then takes the answer.
pub async fn authenticate_first(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if request.path().starts_with("/api/") {
        let authentication = authenticate(request.request()).await;
        request
            .extensions_mut()
            .insert(Authentication(authentication));
    }
    next.call(request).await
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Taken in a statement of its own: reading the cookie borrows the extensions again.
        let done = req.extensions_mut().remove::<Authentication>();
        match done {
            Some(Authentication(done)) => Box::pin(std::future::ready(done)),
            None => authenticate(req),
        }
    }
}

/// The caller of `req`, from its bearer token or its session cookie (with the CSRF token the
/// session expects on a request that changes something).
fn authenticate(req: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let authorization = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let cookie = req
        .cookie(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned());
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let csrf = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    Box::pin(async move {
        let state =
            state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no application state")))?;
        let (token, from_cookie) = match (authorization, cookie) {
            (Some(header), _) => match header.strip_prefix("Bearer ") {
                Some(token) => (token.trim().to_owned(), false),
                None => {
                    return Err(unauthorized(
                        "Send the token as `Authorization: Bearer <token>`.",
                    ))
                }
            },
            (None, Some(cookie)) => (cookie, true),
            (None, None) => {
                return Err(unauthorized(
                    "Sign in, or send an API key as `Authorization: Bearer <token>`.",
                ))
            }
        };
        let now = state.clock.now();
        let hash = services::auth::token_hash(&token);
        let authenticated = match state.auth_cache.get(&hash, now) {
            Some(authenticated) => authenticated,
            None => {
                let authenticated = services::auth::authenticate(&state.db, &token, now)
                    .await
                    .map_err(|error| match error {
                        AuthError::BadToken | AuthError::BadCredentials => {
                            unauthorized("The token is unknown, revoked or expired; sign in again.")
                        }
                        AuthError::Service(error) => error.into(),
                    })?;
                state.auth_cache.put(hash, &authenticated);
                authenticated
            }
        };
        // A cookie rides along with any request the browser makes, even one another site
        // triggers; only the SPA knows the CSRF token to repeat.
        if from_cookie && changes_state {
            let expected = match &authenticated.principal {
                Principal::User { session, .. } => Some(session.csrf_token.as_str()),
                Principal::Key(_) => None,
            };
            if expected.is_none() || csrf.as_deref() != expected {
                return Err(ApiError::Forbidden(format!(
                    "Send the session's CSRF token in `{CSRF_HEADER}` (see GET /api/v1/auth/me)."
                )));
            }
        }
        Ok(Caller(authenticated))
    })
}

/// A scope a handler needs.
pub trait NeedsScope {
    const SCOPE: Scope;
}

/// Reading actions, customers, agents, metrics and events.
pub struct Read;
/// Proposing actions and reporting what followed them.
pub struct Propose;
/// Deciding actions and editing drafts.
pub struct Review;
/// Configuring agents and API keys.
pub struct Admin;

impl NeedsScope for Read {
    const SCOPE: Scope = Scope::ActionsRead;
}
impl NeedsScope for Propose {
    const SCOPE: Scope = Scope::ActionsPropose;
}
impl NeedsScope for Review {
    const SCOPE: Scope = Scope::ActionsReview;
}
impl NeedsScope for Admin {
    const SCOPE: Scope = Scope::AgentsAdmin;
}

/// A caller holding the scope `S`.
pub struct Authorized<S>(pub Caller, PhantomData<S>);

impl<S> Deref for Authorized<S> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<S: NeedsScope + 'static> FromRequest for Authorized<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            if !caller.has(S::SCOPE) {
                return Err(ApiError::Forbidden(format!(
                    "This needs the `{}` scope.",
                    S::SCOPE
                )));
            }
            Ok(Authorized(caller, PhantomData))
        })
    }
}
