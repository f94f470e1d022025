//! The JSON body extractor: type errors name the field (`trigger.summary`), and the raw bytes
//! stay available for idempotency keys.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, http::header, web::Bytes, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use inbox_domain::FieldError;

use crate::error::ApiError;

/// The largest request body accepted (a bulk request of 500 ids is about 20 KB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON request body and the bytes it was read from.
#[derive(Debug)]
pub struct Json<T> {
    pub value: T,
    pub raw: Bytes,
}

/// A JSON body that may be left out entirely (then it is `T::default()`), as for approving
/// without edits.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Json<T>);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let raw = read(body).await?;
            if raw.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(Json {
                    value: T::default(),
                    raw,
                }));
            }
            decode(is_json, raw).map(OptionalJson)
        })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime == "application/json" || mime.ends_with("+json")
        })
}

async fn read(
    body: impl Future<Output = Result<Bytes, actix_web::Error>>,
) -> Result<Bytes, ApiError> {
    body.await.map_err(|error| {
        if error.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
        {
            ApiError::PayloadTooLarge(format!("Bodies are limited to {MAX_BODY_BYTES} bytes."))
        } else {
            ApiError::invalid_field("body", error)
        }
    })
}

fn decode<T: DeserializeOwned>(is_json: bool, raw: Bytes) -> Result<Json<T>, ApiError> {
    if !is_json {
        return Err(ApiError::invalid_field(
            "content-type",
            "send the body as application/json",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(&raw);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        let field = if field == "." {
            "body".to_owned()
        } else {
            field
        };
        ApiError::invalid(
            "The body is not valid for this request.",
            vec![FieldError::new(field, error.inner())],
        )
    })?;
    // One JSON value and nothing after it but whitespace: `{...}garbage` is not a body.
    deserializer.end().map_err(|error| {
        ApiError::invalid(
            "The body is not valid for this request.",
            vec![FieldError::new("body", error)],
        )
    })?;
    Ok(Json { value, raw })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move { decode(is_json, read(body).await?) })
    }
}
