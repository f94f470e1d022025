use actix_web::{
    cookie::{time, Cookie, SameSite},
    delete, get, post, web, HttpRequest, HttpResponse,
};
use inbox_domain::auth::{ApiKey, CreateApiKey, CreatedApiKey, Me, SignIn};
use uuid::Uuid;

use crate::client_address::client_address;
use crate::{
    auth::{Admin, Authorized, Caller, SESSION_COOKIE},
    error::ApiError,
    json::Json,
    services::{
        self,
        auth::{AuthError, Principal},
    },
    state::AppState,
};

fn session_cookie(
    request: &HttpRequest,
    value: String,
    max_age: time::Duration,
) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(request.connection_info().scheme() == "https")
        .max_age(max_age)
        .finish()
}

/// Sign in with email and password. The session travels in an HttpOnly cookie; the answer says
/// who signed in and carries the CSRF token to send with every change.
#[utoipa::path(
    tag = "auth",
    request_body = SignIn,
    security(()),
    responses(
        (status = 200, description = "Signed in; the `inbox_session` cookie is set.", body = Me),
        (status = 400, description = "Malformed body."),
        (status = 401, description = "The email or password is wrong."),
        (status = 429, description = "Too many attempts; see `Retry-After`."),
    )
)]
#[post("/auth/sign-in")]
pub async fn sign_in(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<SignIn>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let email = body.value.email.trim().to_lowercase();
    // The address first, so that attempts it is no longer allowed count against no one's
    // email; then the email from that address, so that guessing from one place cannot lock its
    // owner out everywhere else (the right password from a new address still signs in).
    let address = client_address(&request, &state.trusted_proxies).map(|ip| ip.to_string());
    if let Some(address) = &address {
        state
            .sign_in_limiter
            .check(&state.db, &format!("address:{address}"), now)
            .await?;
    }
    let from = address.as_deref().unwrap_or("unknown");
    state
        .sign_in_limiter
        .check(&state.db, &format!("email:{email}@{from}"), now)
        .await?;
    let (token, authenticated) = services::auth::sign_in(
        &state.db,
        &email,
        &body.value.password,
        now,
        state.session_lifetime,
    )
    .await
    .map_err(|error| match error {
        AuthError::BadCredentials | AuthError::BadToken => {
            ApiError::Unauthorized("The email or password is wrong.".into())
        }
        AuthError::Service(error) => error.into(),
    })?;
    let me = Caller(authenticated).me()?;
    let max_age = time::Duration::seconds(state.session_lifetime.num_seconds());
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&request, token, max_age))
        .json(me))
}

/// End the session now.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared."),
        (status = 401, description = "Not signed in."),
        (status = 403, description = "A cookie without its CSRF token."),
    )
)]
#[post("/auth/sign-out")]
pub async fn sign_out(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    if let Principal::User { session, .. } = &caller.0.principal {
        services::auth::sign_out(&state.db, session.id, state.clock.now()).await?;
        state.auth_cache.forget_all();
    }
    Ok(HttpResponse::NoContent()
        .cookie(session_cookie(
            &request,
            String::new(),
            time::Duration::ZERO,
        ))
        .finish())
}

/// Who the caller is: their location, person or key, scopes and (for a session) CSRF token.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller.", body = Me),
        (status = 401, description = "Not signed in, or an unknown, revoked or expired token."),
    )
)]
#[get("/auth/me")]
pub async fn get_me(caller: Caller) -> Result<web::Json<Me>, ApiError> {
    Ok(web::Json(caller.me()?))
}

/// The location's API keys, without their secrets.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Every key, newest first.", body = Vec<ApiKey>),
        (status = 401, description = "Not authenticated."),
        (status = 403, description = "Needs `agents:admin`."),
    )
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
) -> Result<web::Json<Vec<ApiKey>>, ApiError> {
    Ok(web::Json(
        services::auth::list_api_keys(&state.db, caller.location().id).await?,
    ))
}

/// Make an API key. Its token is in this answer only: it is stored as a hash.
#[utoipa::path(
    tag = "auth",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "The key and its token.", body = CreatedApiKey),
        (status = 400, description = "Malformed body (e.g. an unknown scope)."),
        (status = 401, description = "Not authenticated."),
        (status = 403, description = "Needs `agents:admin`, and every scope given to the key."),
        (status = 422, description = "A blank name, no scopes, or an agent of another location."),
    )
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
    body: Json<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    // A key carries no more than its maker holds: `agents:admin` alone mints no reviewers.
    let beyond: Vec<String> = body
        .value
        .scopes
        .iter()
        .filter(|scope| !caller.has(**scope))
        .map(|scope| format!("`{scope}`"))
        .collect();
    if !beyond.is_empty() {
        return Err(ApiError::Forbidden(format!(
            "A key can only carry scopes you hold yourself; you do not hold {}.",
            beyond.join(", ")
        )));
    }
    let created = services::auth::create_api_key(
        &state.db,
        caller.location().id,
        &body.value.name,
        &body.value.scopes,
        body.value.agent_id,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Revoke an API key: it stops working with the next request.
#[utoipa::path(
    tag = "auth",
    params(("id" = Uuid, Path, description = "The key's id.")),
    responses(
        (status = 200, description = "The revoked key.", body = ApiKey),
        (status = 400, description = "The id is not a UUID."),
        (status = 401, description = "Not authenticated."),
        (status = 403, description = "Needs `agents:admin`."),
        (status = 404, description = "No such key in this location."),
    )
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ApiKey>, ApiError> {
    let key = services::auth::revoke_api_key(
        &state.db,
        caller.location().id,
        id.into_inner(),
        state.clock.now(),
    )
    .await?;
    state.auth_cache.forget_all();
    Ok(web::Json(key))
}
