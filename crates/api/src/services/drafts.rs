//! Drafts: saving a reviewer's edits without deciding, and previewing exactly what the customer
//! would receive.

use inbox_domain::{
    dto::{ActionDetail, EditDraft, Preview, PreviewDraft},
    review::{self, DraftChanges},
    variables::{self, Escape},
    Channel,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    change::{check_version, conflict, edit_change, fill_values, load, sanitize_html, write_one},
    Context, ServiceError,
};
use crate::db::{self, actions::lifecycle_of, entities::locations, StoreError};

/// Saves draft edits without deciding.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn edit_draft(
    ctx: &Context<'_>,
    id: Uuid,
    request: &EditDraft,
) -> Result<ActionDetail, ServiceError> {
    let now = ctx.now;
    let row = load(ctx.db, ctx.location.id, id).await?;
    check_version(&row, Some(request.expected_version), now, "edit again")?;
    let lifecycle = lifecycle_of(&row);
    let status = lifecycle.status_at(now);
    if !status.is_editable() {
        return Err(conflict(
            &row,
            now,
            format!("A {status} action's draft can no longer change."),
        ));
    }
    let mut changes = DraftChanges::from(request);
    changes.body = changes.body.map(|body| sanitize_html(&body));
    changes
        .validate(row.action_type)
        .map_err(ServiceError::Invalid)?;
    if changes.is_empty() {
        return Err(ServiceError::invalid(
            "body",
            "nothing to change: give subject, body or script",
        ));
    }
    let change = edit_change(&row, &lifecycle, &changes, &ctx.actor, now);
    write_one(ctx, &change).await
}

/// The signature as HTML: escaped, line breaks kept.
fn signature_html(signature: &str) -> String {
    let lines: Vec<String> = signature.lines().map(variables::escape_html).collect();
    format!("<p class=\"signature\">{}</p>", lines.join("<br>"))
}

/// Exactly what the customer would receive, from the stored draft or the one given.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn preview(
    db: &DatabaseConnection,
    location: &locations::Model,
    id: Uuid,
    draft: &PreviewDraft,
) -> Result<Preview, ServiceError> {
    let row = load(db, location.id, id).await?;
    let customer = db::actions::customer_of(db, &row).await?;
    let values = fill_values(&row, &customer, location)?;
    let subject = draft.subject.clone().or_else(|| row.subject.clone());
    let body = draft
        .body
        .as_deref()
        .map(sanitize_html)
        .or_else(|| row.body.clone());
    let script = draft.script.clone().or_else(|| row.script.clone());
    let unknown = review::unknown_variables(
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
    let body_text = body_html
        .as_deref()
        .map(|html| html2text::from_read(html.as_bytes(), usize::MAX))
        .transpose()
        .map_err(|error| {
            StoreError::Corrupt(format!("draft body cannot be read as HTML: {error}"))
        })?
        .map(|text| text.trim_end().to_owned());
    Ok(Preview {
        subject: subject.map(|s| variables::render(&s, &values, Escape::None).text),
        body_html,
        body_text,
        script: script.map(|s| variables::render(&s, &values, Escape::None).text),
        unknown_variables: unknown,
    })
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
}
