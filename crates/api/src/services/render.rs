//! What the customer receives: the draft with its variables filled (values HTML-escaped), its
//! HTML sanitised, the location's signature under an email, and a plain-text alternative. The
//! preview shows it; an approval sends exactly it.

use std::collections::BTreeMap;

use inbox_domain::{
    dto::{Preview, PreviewDraft},
    problem::FieldErrors,
    review,
    variables::{self, Escape, StandardFields},
    Channel,
};

use super::{change::sanitize_html, ServiceError};
use crate::db::{
    deliveries::{text_alternative, Message},
    entities::{actions::Model, customers, locations},
    parse_json, StoreError,
};

/// Every value a draft of `action` may use.
pub fn fill_values(
    action: &Model,
    customer: &customers::Model,
    location: &locations::Model,
) -> Result<BTreeMap<String, String>, StoreError> {
    let own: BTreeMap<String, String> = parse_json(action.variables.clone())?;
    Ok(values_for(&own, customer, location))
}

/// The action's own variables with the standard ones of its customer and location.
pub fn values_for(
    own: &BTreeMap<String, String>,
    customer: &customers::Model,
    location: &locations::Model,
) -> BTreeMap<String, String> {
    variables::values(
        StandardFields {
            customer_name: &customer.full_name,
            company: customer.company.as_deref(),
            email: customer.email.as_deref(),
            phone: customer.phone.as_deref(),
            plan: customer.plan.as_deref(),
            location_name: &location.name,
        },
        own,
    )
}

/// The signature as HTML: escaped, line breaks kept.
fn signature_html(signature: &str) -> String {
    let lines: Vec<String> = signature.lines().map(variables::escape_html).collect();
    format!("<p class=\"signature\">{}</p>", lines.join("<br>"))
}

/// The stored draft of `row`, with the fields of `draft` in place of its own, as the customer
/// would receive it, with its plain-text alternative.
pub fn render(
    row: &Model,
    customer: &customers::Model,
    location: &locations::Model,
    draft: &PreviewDraft,
) -> Result<Preview, ServiceError> {
    let filled = fill(row, customer, location, draft)?;
    let body_text = filled
        .body_html
        .as_deref()
        .map(text_alternative)
        .transpose()
        .map_err(|error| {
            StoreError::Corrupt(format!("draft body cannot be read as HTML: {error}"))
        })?;
    Ok(Preview {
        subject: filled.subject,
        body_html: filled.body_html,
        body_text,
        script: filled.script,
        unknown_variables: filled.unknown_variables,
    })
}

/// A draft with its variables filled: what [`render`] shows but the plain text, which is
/// derived from the HTML wherever it is needed (an approval stores the HTML alone).
struct Filled {
    subject: Option<String>,
    body_html: Option<String>,
    script: Option<String>,
    unknown_variables: Vec<String>,
}

fn fill(
    row: &Model,
    customer: &customers::Model,
    location: &locations::Model,
    draft: &PreviewDraft,
) -> Result<Filled, ServiceError> {
    let values = fill_values(row, customer, location)?;
    let subject = draft.subject.clone().or_else(|| row.subject.clone());
    let body = draft
        .body
        .as_deref()
        .map(sanitize_html)
        .or_else(|| row.body.clone());
    let script = draft.script.clone().or_else(|| row.script.clone());
    check_filled_size(&subject, &body, &script, &values)?;
    let unknown_variables = review::unknown_variables(
        subject.as_deref(),
        body.as_deref(),
        script.as_deref(),
        &values,
    );
    let body_html = body.map(|body| {
        // Cleaned again once filled: a value can turn `href="{{link}}"` into a script URL.
        let filled = sanitize_html(&variables::render(&body, &values, Escape::Html).text);
        if row.channel == Some(Channel::Email) && !location.signature.trim().is_empty() {
            format!("{filled}{}", signature_html(&location.signature))
        } else {
            filled
        }
    });
    Ok(Filled {
        subject: subject.map(|s| variables::render(&s, &values, Escape::None).text),
        body_html,
        script: script.map(|s| variables::render(&s, &values, Escape::None).text),
        unknown_variables,
    })
}

/// Refuses a draft that its variables would fill past [`review::MAX_FILLED_BYTES`], before
/// anything is built.
fn check_filled_size(
    subject: &Option<String>,
    body: &Option<String>,
    script: &Option<String>,
    values: &BTreeMap<String, String>,
) -> Result<(), ServiceError> {
    let mut issues = FieldErrors::default();
    for (field, text, escape) in [
        ("subject", subject, Escape::None),
        ("body", body, Escape::Html),
        ("script", script, Escape::None),
    ] {
        if text.as_deref().is_some_and(|text| {
            variables::filled_len(text, values, escape) > review::MAX_FILLED_BYTES
        }) {
            issues.add(
                field,
                format!(
                    "would be larger than {} bytes once its variables are filled",
                    review::MAX_FILLED_BYTES
                ),
            );
        }
    }
    issues.finish(()).map_err(ServiceError::Invalid)
}

/// The message an approval of `row` (with `draft`'s last edits) sends, addressed for its channel.
pub fn message(
    row: &Model,
    customer: &customers::Model,
    location: &locations::Model,
    draft: &PreviewDraft,
) -> Result<Message, ServiceError> {
    let filled = fill(row, customer, location, draft)?;
    let (recipient, sender) = match row.channel {
        Some(Channel::Email) => (
            customer.email.clone(),
            Some(location.sending_address.clone()),
        ),
        Some(Channel::Voice) => (customer.phone.clone(), None),
        None => (None, None),
    };
    Ok(Message {
        recipient,
        sender,
        subject: filled.subject.map(|subject| single_line(&subject)),
        body_html: filled.body_html,
        script: filled.script,
    })
}

/// Text that goes into a header: control characters (CR, LF, …) become spaces.
fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_keeps_its_lines_and_escapes_its_text() {
        assert_eq!(
            signature_html("Ana <Front desk>\nNorthside & Co"),
            "<p class=\"signature\">Ana &lt;Front desk&gt;<br>Northside &amp; Co</p>"
        );
    }

    #[test]
    fn header_text_never_carries_a_line_break() {
        assert_eq!(
            single_line("Invoice\r\nBcc: everyone@example.com"),
            "Invoice  Bcc: everyone@example.com"
        );
    }
}
