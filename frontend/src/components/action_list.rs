//! The sortable list of actions, one row each, and what it says when there is nothing to list.

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    display::{customer_line, short_duration, time_ago, time_remaining, truncate},
    dto::{ActionListItem, PENDING_FOR_CUSTOMER_CAP},
    notices::{expiring_within, EXPIRING_SOON_HOURS},
    sort::SortField,
    ActionStatus, Priority,
};
use leptos::prelude::*;

use crate::{
    components::delivery::DeliveryBadge,
    context::{Presence, Selection},
    navigation::{go, go_to},
    state::InboxView,
};

/// How many characters of a subject fit in its column.
const SUBJECT_WIDTH: usize = 40;

/// The table: a select-all box and a sort button on every column header.
#[component]
pub fn ActionTable(
    view: InboxView,
    rows: RwSignal<Vec<ActionListItem>>,
    selected: Selection,
    /// The row the keyboard cursor is on.
    cursor: RwSignal<Option<usize>>,
) -> impl IntoView {
    let all_selected = move || {
        rows.with(|rows| !rows.is_empty() && rows.iter().all(|row| selected.contains(row.id)))
    };
    let toggle_all = move |_| {
        if all_selected() {
            selected.clear();
        } else {
            selected.set(rows.with(|rows| rows.iter().map(|row| row.id).collect()));
        }
    };
    let headers = SortField::ALL
        .iter()
        .map(|field| {
            let direction = view.sort_direction(*field);
            let aria = match direction {
                Some(true) => "descending",
                Some(false) => "ascending",
                None => "none",
            };
            let arrow = match direction {
                Some(true) => " ▼",
                Some(false) => " ▲",
                None => "",
            };
            let next = view.sorted_by(*field);
            view! {
                <th scope="col" aria-sort=aria>
                    <button type="button" class="sort" on:click=move |_| go(&next)>{field.label()}{arrow}</button>
                </th>
            }
        })
        .collect_view();
    let now = Utc::now();
    view! {
        <table class="actions">
            <thead>
                <tr>
                    <th scope="col" class="check">
                        <input type="checkbox" aria-label="Select all" prop:checked=all_selected on:change=toggle_all/>
                    </th>
                    {headers}
                </tr>
            </thead>
            <tbody>
                // A delivery moves on without changing its action's version.
                <For each=move || rows.get() key=|row| (row.id, row.version, row.delivery_state) let:item>
                    <ActionRow item now selected view=view.clone() rows cursor/>
                </For>
            </tbody>
        </table>
    }
}

fn priority_class(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "badge priority-low",
        Priority::Medium => "badge priority-medium",
        Priority::High => "badge priority-high",
        Priority::Critical => "badge priority-critical",
    }
}

/// The mark of a pending action that expires within [`EXPIRING_SOON_HOURS`]: "Expires in 2h".
pub fn expiry_mark(
    status: ActionStatus,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<String> {
    let soon = Duration::hours(EXPIRING_SOON_HOURS);
    (status == ActionStatus::Pending && expiring_within(expires_at, now, soon)).then(|| {
        let left = (expires_at - now).num_seconds() as f64;
        format!("Expires in {}", short_duration(left))
    })
}

#[component]
fn ActionRow(
    item: ActionListItem,
    now: DateTime<Utc>,
    selected: Selection,
    view: InboxView,
    rows: RwSignal<Vec<ActionListItem>>,
    cursor: RwSignal<Option<usize>>,
) -> impl IntoView {
    let id = item.id;
    let subject = truncate(&item.subject, SUBJECT_WIDTH);
    let is_selected = move || selected.contains(id);
    let is_cursor = move || {
        let index = rows.with(|rows| rows.iter().position(|row| row.id == id));
        index.is_some() && index == cursor.get()
    };
    let is_open = view.open == Some(id);
    // Several actions wait for this customer: one click shows them side by side.
    let group = (item.pending_for_customer > 1).then(|| {
        let together = format!("/customers/{}/together", item.customer.id);
        let more = if item.pending_for_customer >= PENDING_FOR_CUSTOMER_CAP {
            "+"
        } else {
            ""
        };
        let label = format!(
            "{}{more} for {}",
            item.pending_for_customer, item.customer.full_name
        );
        (label, together)
    });
    let open = InboxView {
        open: Some(id),
        ..view
    };
    let presence = expect_context::<Presence>();
    let open_row = move |_| go(&open);
    let open_from_link = open_row.clone();
    view! {
        <tr class="action-row" class:open=is_open class:selected=is_selected class:cursor=is_cursor
            aria-current=move || if is_cursor() { "true" } else { "false" } data-id=id.to_string() on:click=open_row>
            <td class="check" on:click=|event| event.stop_propagation()>
                <input type="checkbox" aria-label=format!("Select {}", item.subject) prop:checked=is_selected
                    on:change=move |_| selected.toggle(id)/>
            </td>
            <td class="subject" title=item.subject.clone()>
                <button type="button" class="row-link" on:click=move |event| { event.stop_propagation(); open_from_link(event) }>{subject}</button>
                {move || presence.other_reviewer(id).map(|name| view! {
                    <span class="badge presence">{format!("{name} is reviewing")}</span>
                })}
            </td>
            <td class="customer">
                {customer_line(&item.customer)}
                {group.map(|(label, together)| view! {
                    <button type="button" class="link group-link"
                        on:click=move |event| { event.stop_propagation(); go_to(&together) }>{label}</button>
                })}
            </td>
            <td class="agent">{item.agent.name.clone()}</td>
            <td>{item.action_type.label()}</td>
            <td>{item.channel.map_or("—", |channel| channel.label())}</td>
            <td class="numeric">{item.confidence.to_string()}</td>
            <td><span class=priority_class(item.priority)>{item.priority.label()}</span></td>
            <td class="status">
                <span class=format!("badge status-{}", item.status)>{item.status.label()}</span>
                {item.delivery_state.map(|state| view! { " " <DeliveryBadge state/> })}
            </td>
            <td title=item.created_at.to_rfc3339()>{time_ago(item.created_at, now)}</td>
            <td title=item.expires_at.to_rfc3339()>
                {match expiry_mark(item.status, item.expires_at, now) {
                    Some(mark) => view! { <span class="badge expiring-soon">{mark}</span> }.into_any(),
                    None => time_remaining(item.expires_at, now).into_any(),
                }}
            </td>
        </tr>
    }
}

/// The two empty states of the product document, and a plain one for the other segments.
#[component]
pub fn EmptyState(view: InboxView) -> impl IntoView {
    if view.is_filtered() {
        let cleared = view.without_filters();
        return view! {
            <div class="empty" role="status">
                <h3>"No results found"</h3>
                <p>"No actions match your current filters. Try adjusting or clearing your filters."</p>
                <button type="button" class="secondary" on:click=move |_| go(&cleared)>"Clear filters"</button>
            </div>
        }
        .into_any();
    }
    if view.segment() == ActionStatus::Pending {
        return view! {
            <div class="empty" role="status">
                <h3>"No pending actions"</h3>
                <p>"All caught up! No actions need review right now."</p>
                <p><a href="/agents">"Configure your AI agents"</a>" to generate more activity."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="empty" role="status">
            <h3>{format!("No {} actions", view.segment().label().to_lowercase())}</h3>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_pending_row_is_marked_only_within_four_hours_of_its_expiry() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 4, 12, 0, 0)
            .single()
            .expect("a time");
        let mark = |status, hours: i64, minutes: i64| {
            expiry_mark(
                status,
                now + Duration::hours(hours) + Duration::minutes(minutes),
                now,
            )
        };
        assert_eq!(
            mark(ActionStatus::Pending, 2, 0).as_deref(),
            Some("Expires in 2h")
        );
        assert_eq!(
            mark(ActionStatus::Pending, 0, 35).as_deref(),
            Some("Expires in 35m")
        );
        assert_eq!(
            mark(ActionStatus::Pending, 4, 0).as_deref(),
            Some("Expires in 4h")
        );
        assert_eq!(mark(ActionStatus::Pending, 4, 1), None, "not yet");
        assert_eq!(mark(ActionStatus::Pending, -1, 0), None, "already passed");
        assert_eq!(mark(ActionStatus::Snoozed, 1, 0), None, "not waiting");
    }
}
