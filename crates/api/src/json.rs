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
            // Nothing, or JSON's `null`: no body.
            if raw.iter().all(u8::is_ascii_whitespace) || raw.trim_ascii() == b"null" {
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
    let invalid = |field: String, message: String| {
        ApiError::invalid(
            "The body is not valid for this request.",
            vec![FieldError::new(field, message)],
        )
    };
    // One JSON value and nothing after it but whitespace: `{...}garbage` is not a body.
    let mut value: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|error| invalid("body".into(), error.to_string()))?;
    // Every body is an object (serde would build a struct from an array as well).
    if !value.is_object() {
        return Err(invalid("body".into(), "must be a JSON object".into()));
    }
    integers_written_as_floats(&mut value);
    let value = serde_path_to_error::deserialize(value).map_err(|error| {
        let field = error.path().to_string();
        let field = if field == "." {
            "body".to_owned()
        } else {
            field
        };
        invalid(field, error.inner().to_string())
    })?;
    Ok(Json { value, raw })
}

/// JSON has one number type: `2.0` is the integer 2 to JSON Schema (and to the OpenAPI
/// document), so it is read as one. Every number the bodies hold is an integer; a fraction
/// stays a float and is refused where an integer is expected.
fn integers_written_as_floats(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64()) {
                // Exactly representable integers only (|n| < 2^53).
                if float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0 {
                    *value = Value::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers_written_as_floats),
        Value::Object(fields) => fields.values_mut().for_each(integers_written_as_floats),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        version: i32,
        #[serde(default)]
        ids: Vec<i64>,
    }

    fn body(json: &str) -> Result<Body, ApiError> {
        decode::<Body>(true, Bytes::from(json.to_owned())).map(|json| json.value)
    }

    #[test]
    fn integers_may_be_written_as_floats_but_fractions_are_refused() {
        let read = body(r#"{"version": 2.0, "ids": [1e2, -3.0]}"#).expect("integers");
        assert_eq!((read.version, read.ids), (2, vec![100, -3]));
        assert!(body(r#"{"version": 2.5}"#).is_err());
        assert!(body(r#"{"version": 1e300}"#).is_err(), "out of range");
    }

    #[test]
    fn a_body_is_one_json_object() {
        for refused in [r#"[3]"#, "3", r#""text""#, r#"{"version": 1} trailing"#] {
            let error = body(refused).expect_err(refused);
            assert_eq!(
                error.status_code(),
                actix_web::http::StatusCode::BAD_REQUEST
            );
        }
    }
}
