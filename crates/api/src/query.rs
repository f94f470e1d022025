//! Request extractors whose failures are problem+json.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, error::PathError, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use inbox_domain::FieldError;

use crate::error::ApiError;

/// A query string, parsed so that a repeated key (`?status=pending&status=snoozed`, the
/// OpenAPI default for arrays) fills a list. Parameter structs take strings and convert them
/// with field-level errors, so this only fails on a query string that cannot be read at all.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            serde_html_form::from_str(req.query_string())
                .map(Query)
                .map_err(|error| {
                    ApiError::invalid(
                        "The query string could not be read.",
                        vec![FieldError::new("query", error)],
                    )
                }),
        )
    }
}

/// Maps a path segment that does not parse (say, an id that is not a UUID) to a 400.
pub fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::invalid_field("id", format!("not a valid identifier: {error}")).into()
}
