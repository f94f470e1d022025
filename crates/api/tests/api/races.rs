//! Sixteen reviewers on the same 1,000 actions at once, approving, rejecting, snoozing and
//! editing, one at a time and in bulk, while the timer sweep and the delivery worker run: every
//! request is answered (200, or 409 for the loser of a race, never a 5xx), every success is one
//! event, no action is decided twice, and each approved message reaches the SMTP server once.

use std::collections::HashMap;

use futures_util::future::join_all;
use inbox_api::{
    db::entities::{action_events, deliveries},
    jobs::{self, deliveries::Outbound},
};
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::{
    helpers::{backends, spawn_app, Backend, Fixture, TestApp, UNDO_WINDOW},
    outside::SmtpServer,
};

const ACTIONS: i64 = 1_000;
const REVIEWERS: usize = 16;
/// Reviewers that decide in bulk (the others go one action at a time).
const BULK_REVIEWERS: usize = 4;

/// What one reviewer's successful requests did.
#[derive(Debug, Default)]
struct Tally {
    decided: usize,
    snoozed: usize,
    edited: usize,
    conflicts: usize,
}

/// Which of the four verbs reviewer `reviewer` uses on `id`, and whether it touches it at all
/// (each action is wanted by four reviewers).
fn wants(reviewer: usize, id: Uuid) -> Option<usize> {
    let spread = (id.as_u128() >> 64) as usize;
    ((spread + reviewer) % 4 == 0).then_some((spread / 7 + reviewer) % 4)
}

async fn one_at_a_time(app: &TestApp, reviewer: usize, ids: &[Uuid]) -> Tally {
    let mut tally = Tally::default();
    for id in ids {
        let Some(verb) = wants(reviewer, *id) else {
            continue;
        };
        let (status, body) = match verb {
            0 => app.review(id, "approve", json!({})).await,
            1 => {
                app.review(id, "reject", json!({"reason": "poor_timing"}))
                    .await
            }
            2 => app.review(id, "snooze", json!({"duration": "1h"})).await,
            _ => {
                let (_, seen) = app.get_action(id).await;
                app.edit(id, json!({"expected_version": seen["version"], "subject": format!("Edited by {reviewer}")}))
                    .await
            }
        };
        match status {
            StatusCode::OK => match verb {
                0 | 1 => tally.decided += 1,
                2 => tally.snoozed += 1,
                _ => tally.edited += 1,
            },
            StatusCode::CONFLICT => tally.conflicts += 1,
            other => panic!("reviewer {reviewer}: {other} for verb {verb}: {body}"),
        }
    }
    tally
}

async fn in_bulk(app: &TestApp, reviewer: usize, ids: &[Uuid]) -> Tally {
    let mut tally = Tally::default();
    let mine: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| wants(reviewer, *id).is_some())
        .collect();
    for (batch, chunk) in mine.chunks(50).enumerate() {
        let request = match (batch + reviewer) % 3 {
            0 => json!({"op": "approve", "ids": chunk}),
            1 => json!({"op": "reject", "ids": chunk, "reason": "already_resolved"}),
            _ => json!({"op": "snooze", "ids": chunk, "duration": "4h"}),
        };
        let (status, body) = app.post_json("/api/v1/actions/bulk", &request).await;
        assert_eq!(status, StatusCode::OK, "reviewer {reviewer}: {body}");
        for result in body["results"].as_array().expect("results") {
            match (result["ok"].as_bool(), result["error"]["status"].as_u64()) {
                (Some(true), _) if request["op"] == "snooze" => tally.snoozed += 1,
                (Some(true), _) => tally.decided += 1,
                (Some(false), Some(409)) => tally.conflicts += 1,
                other => panic!("reviewer {reviewer}: {other:?} in {body}"),
            }
        }
    }
    tally
}

async fn events_of(app: &TestApp, kinds: &[&str]) -> Vec<action_events::Model> {
    action_events::Entity::find()
        .filter(action_events::Column::Kind.is_in(kinds.iter().copied()))
        .all(&app.db)
        .await
        .expect("read")
}

#[apply(backends)]
async fn sixteen_reviewers_racing_over_a_thousand_actions_decide_each_once(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let outbound = Outbound::new(Some(&format!("smtp://127.0.0.1:{}", smtp.port)), None)
        .expect("an SMTP transport");
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let ids: Vec<Uuid> = fixture
        .actions_minutes_ago(&app, 1..=ACTIONS)
        .await
        .iter()
        .map(|action| action.id)
        .collect();

    let (done_sender, done) = tokio::sync::watch::channel(false);
    // The sweep and the delivery worker keep running beside the reviewers.
    let background = {
        let (db, bus, outbound) = (app.db.clone(), app.bus.clone(), outbound.clone());
        let clock = app.clock.clone();
        tokio::spawn(async move {
            use inbox_api::clock::Clock;
            let mut passes = 0;
            while !*done.borrow() {
                jobs::run_once(&db, &bus, clock.now()).await.expect("swept");
                jobs::deliveries::run_once(&db, &bus, &outbound, clock.now())
                    .await
                    .expect("delivered");
                passes += 1;
                tokio::task::yield_now().await;
            }
            passes
        })
    };
    let reviewers = (0..REVIEWERS).map(|reviewer| {
        let (app, ids) = (&app, &ids);
        async move {
            if reviewer < BULK_REVIEWERS {
                in_bulk(app, reviewer, ids).await
            } else {
                one_at_a_time(app, reviewer, ids).await
            }
        }
    });
    let tallies = join_all(reviewers).await;
    done_sender.send_replace(true);
    let passes = background.await.expect("the background ran");
    assert!(passes > 0);

    let total = |field: fn(&Tally) -> usize| tallies.iter().map(field).sum::<usize>();
    let decisions = events_of(&app, &["approved", "rejected"]).await;
    let mut decided: HashMap<Uuid, usize> = HashMap::new();
    for event in &decisions {
        *decided.entry(event.action_id).or_default() += 1;
    }
    assert!(
        decided.values().all(|count| *count == 1),
        "an action decided twice"
    );
    assert_eq!(
        decisions.len(),
        total(|t| t.decided),
        "one event per successful decision"
    );
    assert_eq!(
        events_of(&app, &["snoozed"]).await.len(),
        total(|t| t.snoozed)
    );
    assert_eq!(
        events_of(&app, &["edited"]).await.len(),
        total(|t| t.edited)
    );
    assert!(total(|t| t.conflicts) > 0, "the reviewers did race");
    // Figures for docs/reliability.md (`--nocapture`).
    println!(
        "{backend:?}: {} decisions, {} snoozes, {} edits, {} lost races (409), {passes} sweep and delivery passes beside them",
        total(|t| t.decided),
        total(|t| t.snoozed),
        total(|t| t.edited),
        total(|t| t.conflicts)
    );

    // Every approval's message leaves once the undo window has passed, and only once.
    app.clock
        .advance(UNDO_WINDOW + chrono::Duration::seconds(1));
    while jobs::deliveries::run_once(&app.db, &app.bus, &outbound, app.now())
        .await
        .expect("delivered")
        .sent
        > 0
    {}
    let approved = events_of(&app, &["approved"]).await.len() as u64;
    let outbox = deliveries::Entity::find()
        .count(&app.db)
        .await
        .expect("counted");
    assert_eq!(outbox, approved, "one delivery per approval");
    let messages = smtp.messages();
    assert_eq!(messages.len() as u64, approved, "each message arrived once");
    let mut ids_sent: Vec<&str> = messages
        .iter()
        .filter_map(|message| message.lines().find(|line| line.starts_with("Message-ID:")))
        .collect();
    ids_sent.sort_unstable();
    ids_sent.dedup();
    assert_eq!(ids_sent.len(), messages.len(), "no message twice");
    let (_, approved_page) = app.list("status=approved&limit=1").await;
    assert_eq!(
        approved_page["total"],
        json!(approved),
        "the kept counts agree: {approved_page}"
    );
}
