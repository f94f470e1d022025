//! The body of every error response (RFC 9457 `application/problem+json`) and its field errors:
//! the server writes them, the SPA reads them.

use serde::{Deserialize, Serialize};

use crate::ActionStatus;

/// One invalid field of a request, named as the request names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field, as named in the request (`status`, `cursor`, `id`, ...).
    #[cfg_attr(feature = "openapi", schema(example = "status"))]
    pub field: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "`archived` is not a valid ActionStatus; expected one of: pending, approved, rejected, snoozed, deferred, expired, auto_executed"
        )
    )]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        FieldError {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// Collects field errors so a request hears about every problem at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl ToString) {
        self.0.push(FieldError::new(field, message));
    }

    /// Adds the errors of a check that failed.
    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    /// Keeps a check's value, or its errors.
    pub fn check<T>(&mut self, result: Result<T, Vec<FieldError>>) -> Option<T> {
        result.map_err(|errors| self.0.extend(errors)).ok()
    }

    pub fn check_len(&mut self, field: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|v| v.chars().count() > max) {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// Text that becomes one line somewhere else (an email's `Subject:` header, a list row): no
    /// control characters (NUL, line breaks, tabs...) and none of the invisible marks that
    /// reverse how the rest reads (U+202A–U+202E, U+2066–U+2069).
    pub fn check_one_line(&mut self, field: &str, value: Option<&str>) {
        let hidden = |c: char| {
            c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        };
        if let Some(found) = value.and_then(|v| v.chars().find(|c| hidden(*c))) {
            self.add(
                field,
                format!(
                    "must be one line of visible text (found U+{:04X})",
                    u32::from(found)
                ),
            );
        }
    }

    /// Free-form JSON no larger than `max_bytes` when written out.
    pub fn check_json_size(&mut self, field: &str, value: &serde_json::Value, max_bytes: usize) {
        if serde_json::to_string(value).map_or(0, |json| json.len()) > max_bytes {
            self.add(field, format!("must be at most {max_bytes} bytes of JSON"));
        }
    }

    /// An `http://` or `https://` URL with a host, at most `max_chars` as sent (spaces around
    /// it included) and none inside it; trimmed, when it is one.
    pub fn check_http_url(&mut self, field: &str, value: &str, max_chars: usize) -> Option<String> {
        let url = value.trim();
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        if host.is_none_or(str::is_empty) {
            self.add(field, "must be an http:// or https:// URL with a host");
            None
        } else if value.chars().count() > max_chars
            || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            self.add(
                field,
                format!("must be at most {max_chars} characters, without spaces"),
            );
            None
        } else {
            Some(url.to_owned())
        }
    }

    pub fn check_not_blank(&mut self, field: &str, value: Option<&str>, why: &str) {
        if value.is_none_or(|v| v.trim().is_empty()) {
            self.add(field, why);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when nothing was wrong, else every error found.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

/// An RFC 9457 problem: the body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "urn:ai-inbox:problem:invalid-request",
    "title": "The request is invalid",
    "status": 400,
    "detail": "One or more query parameters are invalid.",
    "errors": [{"field": "status", "message": "`archived` is not a valid ActionStatus"}]
})))]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The invalid fields (validation problems only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The action's status now (conflicts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_status: Option<ActionStatus>,
    /// The action's version now (conflicts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    /// What the decision needs confirmed (a confirmation problem only): send it again with
    /// these in `acknowledged` to go ahead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<crate::safeguards::WarningNotice>>,
    /// The request's id, as in its `X-Request-Id` header and the server's log line: quote it
    /// when reporting the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    /// The problem in one sentence for a person: title, detail and every field error.
    pub fn message(&self) -> String {
        let mut message = if self.detail.is_empty() {
            self.title.clone()
        } else {
            format!("{}: {}", self.title, self.detail)
        };
        let fields: Vec<String> = self
            .errors
            .iter()
            .flatten()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        if !fields.is_empty() {
            message = format!("{message} ({})", fields.join("; "));
        }
        // A failure of the server is for its operators to find: say which request it was.
        if let Some(id) = self.request_id.as_deref().filter(|_| self.status >= 500) {
            message = format!("{message} (request {id})");
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_as_one_sentence_with_its_fields() {
        let problem = Problem {
            problem_type: "urn:ai-inbox:problem:validation".to_owned(),
            title: "The request breaks a rule".to_owned(),
            status: 422,
            detail: "Several fields break a rule.".to_owned(),
            errors: Some(vec![
                FieldError::new("subject", "must not be blank"),
                FieldError::new("body", "must be at most 10 characters"),
            ]),
            current_status: None,
            current_version: None,
            warnings: None,
            request_id: Some("0193a5b2".to_owned()),
        };
        assert_eq!(
            problem.message(),
            "The request breaks a rule: Several fields break a rule. (subject: must not be blank; body: must be at most 10 characters)"
        );
    }

    #[test]
    fn collected_errors_come_back_together() {
        let mut errors = FieldErrors::default();
        errors.check_not_blank("subject", Some("  "), "must not be blank");
        errors.check_len("note", Some("abc"), 2);
        assert_eq!(
            errors.finish(()),
            Err(vec![
                FieldError::new("subject", "must not be blank"),
                FieldError::new("note", "must be at most 2 characters"),
            ])
        );
        assert_eq!(FieldErrors::default().finish(7), Ok(7));
    }
}
