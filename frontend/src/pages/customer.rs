//! A customer's profile: their details, full history and proactive actions.

use chrono::Utc;
use inbox_domain::{
    display::{customer_line, time_ago},
    dto::CustomerSummary,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::error_notice::ErrorNotice,
};

/// The customer of the `:id` in the address.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|params| params.get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let customer = LocalResource::new(move || {
        let id = id();
        async move {
            match id {
                Some(id) => api::customer(id).await,
                None => Err(ApiError::not_found("There is no such customer.")),
            }
        }
    });
    view! {
        <main class="page">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the customer…"</p> }>
                {move || Suspend::new(async move {
                    match customer.await {
                        Ok(customer) => {
                            let now = Utc::now();
                            let summary = CustomerSummary {
                                id: customer.profile.id,
                                full_name: customer.profile.full_name.clone(),
                                company: customer.profile.company.clone(),
                                customer_type: customer.profile.customer_type,
                            };
                            view! {
                                <section class="customer-card">
                                    {customer.profile.photo_url.clone().map(|src| view! { <img class="avatar" src=src alt=""/> })}
                                    <div>
                                        <h2>{customer.profile.full_name.clone()}</h2>
                                        <p class="muted">{customer_line(&summary)}</p>
                                        <p>{[customer.profile.email.clone(), customer.profile.phone.clone(), customer.profile.plan.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</p>
                                    </div>
                                </section>
                                <h3>"History"</h3>
                                <ul class="history">
                                    {customer.history.into_iter().map(|e| view! { <li>{e.summary}<span class="muted">{format!(" · {}", time_ago(e.occurred_at, now))}</span></li> }).collect_view()}
                                </ul>
                                <h3>"Proactive actions"</h3>
                                <ul class="history">
                                    {customer.actions.into_iter().map(|a| view! {
                                        <li><a href=format!("/?status={}&open={}", a.status, a.id)>{a.subject}</a>
                                        <span class="muted">{format!(" · {} · {}", a.status.label(), time_ago(a.created_at, now))}</span></li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
