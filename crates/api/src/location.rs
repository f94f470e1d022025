//! Which location (tenant) a request acts for.

use std::{future::Future, pin::Pin};

use crate::{db::entities::locations, error::ApiError, startup::AppState, store};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

/// The caller's location. Until callers authenticate, every request acts for the server's
/// configured location (`--location`, default `demo`).
#[derive(Debug, Clone)]
pub struct CallerLocation(pub locations::Model);

impl FromRequest for CallerLocation {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no application state")))?;
            let location = store::locations::find_by_slug(&state.db, &state.location_slug).await?;
            Ok(CallerLocation(location))
        })
    }
}

/// Who is calling, for the history. Until callers authenticate, everyone is `anonymous`.
impl FromRequest for crate::services::Actor {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(crate::services::Actor("anonymous".to_owned())))
    }
}
