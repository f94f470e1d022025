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
        // `?agent_id=` would read as no filter at all: say so instead of ignoring it.
        if let Some(name) = empty_parameter(req.query_string()) {
            return ready(Err(ApiError::invalid(
                "One or more query parameters are invalid.",
                vec![FieldError::new(
                    name,
                    "must not be empty; leave it out instead",
                )],
            )));
        }
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

/// The first parameter of `query` given without a value (`name=` or a bare `name`).
fn empty_parameter(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (value.is_empty() && !name.is_empty()).then_some(name)
        })
}

/// Maps a path segment that does not parse (say, an id that is not a UUID) to a 400. A fixed
/// path asked with a method it does not answer (`GET /api/v1/actions/bulk`) reaches the
/// template beside it (`/actions/{id}`): that is a 405 naming the fixed path's methods.
pub fn path_error(error: PathError, request: &HttpRequest) -> actix_web::Error {
    let fixed = crate::openapi::methods_of(request.path());
    if !fixed.is_empty()
        && !fixed
            .iter()
            .any(|method| method == request.method().as_str())
    {
        return ApiError::MethodNotAllowed { allowed: fixed }.into();
    }
    ApiError::invalid_field("id", format!("not a valid identifier: {error}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_without_a_value_is_named() {
        assert_eq!(
            empty_parameter("status=pending&agent_id="),
            Some("agent_id")
        );
        assert_eq!(empty_parameter("limit"), Some("limit"));
        assert_eq!(empty_parameter("status=pending&&q=zo%C3%AB"), None);
        assert_eq!(empty_parameter(""), None);
    }
}
