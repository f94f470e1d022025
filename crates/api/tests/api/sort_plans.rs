//! Every order the list sorts in is an index's: a page reads a segment's rows in that order and
//! stops, at any depth and however large the segment. The page statements the server sent are
//! explained on the same database, and their plans must sort nothing but the merged pages.

use inbox_domain::sort::{Sort, SortField};
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::Value;

use crate::helpers::{backends, proposal, spawn_app, Backend, Fixture, TestApp};

/// The statement the last list request read its page with: the one that merges the segments'
/// first rows (`firsts`).
fn page_statement(app: &TestApp) -> Statement {
    app.statements
        .lock()
        .expect("not poisoned")
        .iter()
        .rev()
        .find(|statement| statement.sql.contains("firsts"))
        .cloned()
        .expect("the list read a page")
}

/// What in the plan of `page` sorts rows of `actions` (not the merge of the segments' pages).
async fn sorts_in(app: &TestApp, page: Statement) -> Vec<String> {
    let values = page.values.map(|values| values.0).unwrap_or_default();
    match page.db_backend {
        DbBackend::Postgres => {
            // On a table this small a full read and a sort cost less; forbidden, the planner
            // still sorts where no index gives the order.
            let txn = app.db.begin().await.expect("began");
            txn.execute_unprepared("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
                .await
                .expect("planner set");
            let explained = txn
                .query_one(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("EXPLAIN (FORMAT JSON) {}", page.sql),
                    values,
                ))
                .await
                .expect("explained")
                .expect("a plan");
            let plan: Value = explained.try_get("", "QUERY PLAN").expect("json plan");
            let mut sorts = Vec::new();
            postgres_sorts(&plan[0]["Plan"], &mut sorts);
            sorts
        }
        _ => {
            let rows = app
                .db
                .query_all(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    format!("EXPLAIN QUERY PLAN {}", page.sql),
                    values,
                ))
                .await
                .expect("explained");
            let nodes: Vec<(i64, i64, String)> = rows
                .iter()
                .map(|row| {
                    (
                        row.try_get("", "id").expect("id"),
                        row.try_get("", "parent").expect("parent"),
                        row.try_get("", "detail").expect("detail"),
                    )
                })
                .collect();
            // At the top level, the merge of the segments' pages; below it, a segment's read.
            nodes
                .iter()
                .filter(|(_, parent, detail)| detail.contains("TEMP B-TREE FOR") && *parent != 0)
                .map(|(_, _, detail)| detail.clone())
                .collect()
        }
    }
}

/// The last statement (not a plan's) the server sent whose SQL contains `text`.
fn last_statement_with(app: &TestApp, text: &str) -> Statement {
    app.statements
        .lock()
        .expect("not poisoned")
        .iter()
        .rev()
        .find(|statement| statement.sql.contains(text) && !statement.sql.starts_with("EXPLAIN"))
        .cloned()
        .unwrap_or_else(|| panic!("no statement with {text}"))
}

/// The plan of `statement` as text, with its own values; on PostgreSQL with full reads
/// forbidden, since on a table this small one costs less than any index.
async fn plan_of(app: &TestApp, statement: Statement) -> String {
    let values = statement.values.map(|values| values.0).unwrap_or_default();
    let backend = statement.db_backend;
    let txn = app.db.begin().await.expect("began");
    let (explain, column) = match backend {
        DbBackend::Postgres => {
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .expect("planner set");
            ("EXPLAIN", "QUERY PLAN")
        }
        _ => ("EXPLAIN QUERY PLAN", "detail"),
    };
    let rows = txn
        .query_all(Statement::from_sql_and_values(
            backend,
            format!("{explain} {}", statement.sql),
            values,
        ))
        .await
        .expect("explained");
    rows.iter()
        .map(|row| row.try_get::<String>("", column).expect("a plan line"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sort nodes of a plan but the one that merges the segments' pages: above their `Append`,
/// the subquery that holds it, or a single segment's page (its `Limit`), it sorts a page's rows.
fn postgres_sorts(node: &Value, sorts: &mut Vec<String>) {
    let kind = node["Node Type"].as_str().unwrap_or_default();
    let children: Vec<&Value> = node["Plans"].as_array().into_iter().flatten().collect();
    let merges = children.iter().any(|child| {
        matches!(
            child["Node Type"].as_str(),
            Some("Append" | "Merge Append" | "Subquery Scan" | "Limit")
        )
    });
    if kind.contains("Sort") && !merges {
        sorts.push(format!("{kind} by {}", node["Sort Key"]));
    }
    for child in children {
        postgres_sorts(child, sorts);
    }
}

#[apply(backends)]
async fn every_sort_column_reads_its_segment_in_index_order(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    fixture.actions_minutes_ago(&app, [1, 2, 3]).await;
    let mut unindexed = Vec::new();
    for &field in SortField::ALL {
        for descending in [false, true] {
            let sort = Sort { field, descending };
            for status in ["pending", "approved"] {
                let first = format!("status={status}&sort={sort}&limit=1");
                let (code, page) = app.list(&first).await;
                assert_eq!(code, StatusCode::OK, "{first}: {page}");
                let mut pages = vec![(first.clone(), page_statement(&app))];
                if let Some(cursor) = page["next_cursor"].as_str() {
                    let deeper = format!("{first}&cursor={cursor}");
                    let (code, page) = app.list(&deeper).await;
                    assert_eq!(code, StatusCode::OK, "{deeper}: {page}");
                    pages.push((deeper, page_statement(&app)));
                }
                for (query, statement) in pages {
                    let sorts = sorts_in(&app, statement).await;
                    if !sorts.is_empty() {
                        unindexed.push(format!("{backend:?} {query}: {sorts:?}"));
                    }
                }
            }
        }
    }
    assert!(
        unindexed.is_empty(),
        "sorted without an index:\n{unindexed:#?}"
    );
}

/// The database ranks priorities for sorting as the cursor does.
#[apply(backends)]
async fn the_stored_priority_rank_is_the_sort_order(#[case] backend: Backend) {
    use inbox_domain::Priority;
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    for (minutes, priority) in [(1, Priority::Critical), (2, Priority::Low)] {
        fixture
            .action(
                &app,
                app.now() - chrono::Duration::minutes(minutes),
                |row| {
                    row.priority = priority;
                },
            )
            .await;
    }
    for priority in [Priority::Medium, Priority::High] {
        fixture
            .action(&app, app.now(), |row| row.priority = priority)
            .await;
    }
    let (_, page) = app.list("sort=priority").await;
    let order: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["priority"].as_str().expect("a priority"))
        .collect();
    assert_eq!(order, ["low", "medium", "high", "critical"]);
}

/// The indexes of a column most rows leave empty hold only the rows that set it (migration
/// 000024), and the reads of that column still use them: each says the column is set in a way
/// both stores take as implying the index's condition (`likelihood(…)` around it included).
#[apply(backends)]
async fn a_read_of_a_column_most_rows_leave_empty_uses_its_partial_index(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    fixture.actions_minutes_ago(&app, [1, 2, 3]).await;
    for path in ["/api/v1/metrics", "/api/v1/audit"] {
        let (code, body) = app.get_json(path).await;
        assert_eq!(code, StatusCode::OK, "{path}: {body}");
    }
    let mut body = proposal(&fixture);
    body["external_id"] = serde_json::json!("invoice-1234-reminder");
    for _ in 0..2 {
        let (code, answer) = app.propose(&body).await;
        assert!(code.is_success(), "{answer}");
    }
    let mut missed = Vec::new();
    for (read, index) in [
        ("\"approved_at\" >", "ix_actions_location_approved_at_agent"),
        (
            "\"rejected_at\" >",
            "ix_actions_location_rejected_at_agent_reason",
        ),
        (
            "\"first_reviewed_at\" >",
            "ix_actions_location_first_reviewed_at_agent_time",
        ),
        ("\"audit_state\" =", "actions_audit_state"),
        ("\"external_id\" =", "ux_actions_location_agent_external"),
    ] {
        let plan = plan_of(&app, last_statement_with(&app, read)).await;
        if !plan.contains(index) {
            missed.push(format!("{backend:?} {read}: not {index} but\n{plan}"));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n\n"));
}
