//! Every order the list sorts in is an index's: a page reads a segment's rows in that order and
//! stops, at any depth and however large the segment. The page statements the server sent are
//! explained on the same database, and their plans must sort nothing but the merged pages.

use inbox_domain::sort::{Sort, SortField};
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::Value;

use crate::helpers::{backends, spawn_app, Backend, Fixture, TestApp};

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
