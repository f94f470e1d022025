use chrono::Duration;
use inbox_domain::{ActionStatus, RejectionReason};
use rstest_reuse::apply;
use serde_json::json;

use crate::helpers::{backends, spawn_app, Backend, Fixture};

#[apply(backends)]
async fn metrics_are_null_where_nothing_was_reviewed(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (status, metrics) = app.get_json("/api/v1/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        metrics,
        json!({
            "pending_review": 0,
            "expiring_soon": 0,
            "approved_today": 0,
            "rejected_today": 0,
            "avg_review_time_seconds": null,
            "approval_rate": null,
            "by_agent": [{
                "agent": {"id": fixture.agent.id, "name": "Due Invoice Reminders"},
                "pending_review": 0,
                "approved_today": 0,
                "rejected_today": 0,
                "avg_review_time_seconds": null,
                "approved": 0,
                "rejected": 0,
                "approval_rate": null,
                "top_rejection_reasons": []
            }]
        })
    );
}

#[apply(backends)]
async fn metrics_follow_the_contract_definitions(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let h = Duration::hours;
    // Pending: two open, one whose expiry has passed (not pending any more), one snoozed.
    fixture.action(&app, now - h(1), |_| {}).await;
    fixture.action(&app, now - h(2), |_| {}).await;
    fixture
        .action(&app, now - h(80), |a| a.expires_at = now - h(1))
        .await;
    fixture
        .action(&app, now - h(3), |a| {
            a.status = ActionStatus::Snoozed;
            a.snoozed_until = Some(now + h(1));
            a.first_reviewed_at = Some(now - h(2));
            a.review_time_seconds = Some(3600);
        })
        .await;
    // Decisions: two approvals today, one two days ago, one rejection today, one 8 days ago.
    let (approved, rejected) = (ActionStatus::Approved, ActionStatus::Rejected);
    for (status, ago, seconds) in [
        (approved, h(1), 600),
        (approved, h(20), 1200),
        (approved, h(48), 1800),
        (rejected, h(3), 300),
        (rejected, h(24 * 8), 7200),
    ] {
        let decided_at = now - ago;
        fixture
            .action(&app, decided_at - Duration::seconds(seconds), |a| {
                a.first_reviewed_at = Some(decided_at);
                a.review_time_seconds = Some(seconds);
                a.status = status;
                if status == ActionStatus::Approved {
                    a.approved_at = Some(decided_at);
                } else {
                    a.rejected_at = Some(decided_at);
                    a.rejection_reason = Some(RejectionReason::PoorTiming);
                }
            })
            .await;
    }
    // Auto-executed actions are not reviews.
    fixture
        .action(&app, now - h(1), |a| {
            a.status = ActionStatus::AutoExecuted;
            a.auto_executed_at = Some(now - h(1));
        })
        .await;

    let (_, metrics) = app.get_json("/api/v1/metrics").await;

    assert_eq!(metrics["pending_review"], 2);
    assert_eq!(metrics["approved_today"], 2);
    assert_eq!(metrics["rejected_today"], 1);
    // First reviews in the last 7 days: 3600 (snooze), 600, 1200, 1800, 300.
    assert_eq!(metrics["avg_review_time_seconds"], json!(1500.0));
    // Decisions in the last 7 days: 3 approved, 1 rejected.
    assert_eq!(metrics["approval_rate"], json!(0.75));
    let agent = &metrics["by_agent"][0];
    assert_eq!(agent["pending_review"], 2);
    assert_eq!(agent["approved_today"], 2);
    assert_eq!(agent["rejected_today"], 1);
    assert_eq!(agent["avg_review_time_seconds"], json!(1500.0));
    assert_eq!(agent["approved"], 3);
    assert_eq!(agent["rejected"], 1);
    assert_eq!(agent["approval_rate"], json!(0.75));
    assert_eq!(
        agent["top_rejection_reasons"],
        json!([{"reason": "poor_timing", "count": 1}])
    );

    // A day later the day's counts roll off, the week's stay.
    app.clock.advance(h(24));
    let (_, metrics) = app.get_json("/api/v1/metrics").await;
    assert_eq!(metrics["approved_today"], 0);
    assert_eq!(metrics["rejected_today"], 0);
    assert_eq!(metrics["approval_rate"], json!(0.75));
}
