//! The one-click decision pages a notice's links open: `GET` shows the action and one button
//! and decides nothing; the button's `POST` decides. HTML for people, not part of the API.

use actix_web::{get, http::StatusCode, post, web, HttpResponse};

use crate::{
    error::ApiError,
    services::{
        decision_links::{self, LinkDecision, LinkRefusal},
        notice_text::link_page,
        ServiceError,
    },
    state::AppState,
};

fn page(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        // A link's page is the reviewer's alone: never kept by a proxy or shown to the next.
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

fn refused(refusal: &LinkRefusal, open: &str) -> HttpResponse {
    let (title, message) = refusal.explain();
    let status = match refusal {
        LinkRefusal::NotValid => StatusCode::NOT_FOUND,
        LinkRefusal::Expired => StatusCode::GONE,
        LinkRefusal::Used | LinkRefusal::Stale { .. } => StatusCode::CONFLICT,
    };
    page(
        status,
        link_page(
            title,
            Some(&message),
            None,
            None,
            Some(refusal.open().unwrap_or(open)),
        ),
    )
}

/// What the link would do, with the one button that does it.
#[get("/decide/{token}")]
pub async fn open_link(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let inbox = format!("{}/", state.public_url);
    let link = match decision_links::check(&state.db, &token, &state.public_url, now).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(refused(&refusal, &inbox)),
    };
    let form = decision_links::page_form(&state.db, &state.bus, &link, now).await?;
    let action = decision_links::page_action(&link.action, &link.location);
    let title = format!("{} this action?", form.button.replace(" & send", ""));
    Ok(page(
        StatusCode::OK,
        link_page(&title, None, Some(&action), Some(&form), Some(&inbox)),
    ))
}

/// Decides, once, as the reviewer the link was sent to.
#[post("/decide/{token}")]
pub async fn use_link(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    // `serde_html_form`: the confirmations come as one `acknowledged` field each.
    let form: Option<LinkDecision> = serde_html_form::from_bytes(&body).ok();
    let inbox = format!("{}/", state.public_url);
    let link = match decision_links::check(&state.db, &token, &state.public_url, now).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(refused(&refusal, &inbox)),
    };
    let open = format!("{}/?open={}", state.public_url, link.action.id);
    let action = decision_links::page_action(&link.action, &link.location);
    let decided = match &form {
        Some(form) => {
            decision_links::decide(&state.db, &state.bus, &link, form, now, state.undo_window).await
        }
        // Not what the page sends: asked again, like a missing reason.
        None => Err(ServiceError::invalid("form", "not what the page sends")),
    };
    match decided {
        Ok(detail) => {
            let message = match detail.status {
                inbox_domain::ActionStatus::Approved => format!(
                    "Approved. It leaves in {} seconds; until then you can undo it in AI Inbox.",
                    state.undo_window.num_seconds()
                ),
                status => format!("Done: the action is {} now.", status.label().to_lowercase()),
            };
            Ok(page(
                StatusCode::OK,
                link_page("Done", Some(&message), Some(&action), None, Some(&open)),
            ))
        }
        // Another decision got there first: the link decides nothing.
        Err(ServiceError::Conflict { status, .. }) => {
            Ok(refused(&LinkRefusal::Stale { status, open }, &inbox))
        }
        Err(ServiceError::NeedsConfirmation(_)) | Err(ServiceError::Invalid(_)) => {
            // Shown again with what is asked (a warning to confirm, a reason to pick).
            let form = decision_links::page_form(&state.db, &state.bus, &link, now).await?;
            Ok(page(
                StatusCode::UNPROCESSABLE_ENTITY,
                link_page(
                    "Nothing was decided yet",
                    Some("Confirm the warnings and fill in what is asked, then press the button again."),
                    Some(&action),
                    Some(&form),
                    Some(&open),
                ),
            ))
        }
        Err(error) => Err(error.into()),
    }
}
