//! `just bench`: how fast the API proposes, lists and decides actions, on SQLite and PostgreSQL,
//! against the real server over HTTP. It prints timings; it asserts none of them.

use std::{path::PathBuf, sync::Arc, time::Instant};

use inbox_api::{
    clock::{Clock, SystemClock},
    db, seed,
    startup::{Application, ServeSettings},
};
use inbox_domain::auth::Scope;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const PROPOSALS: usize = 1_000;
const BULK: usize = 500;
const SINGLES: usize = 200;
const LIST_PAGES: usize = 50;

struct Measured {
    what: String,
    count: usize,
    seconds: f64,
}

async fn bench(name: &str, url: &str) -> anyhow::Result<Vec<Measured>> {
    let db = db::connect(url).await?;
    db::migrate(&db).await?;
    seed::demo(&db, SystemClock.now()).await?;
    let location = inbox_api::db::locations::find_by_slug(&db, seed::DEMO_LOCATION).await?;
    let token = inbox_api::services::auth::create_api_key(
        &db,
        location.id,
        "bench",
        Scope::ALL,
        None,
        SystemClock.now(),
    )
    .await
    .map_err(|error| anyhow::anyhow!("{error}"))?
    .token;
    let settings = ServeSettings {
        bind: "127.0.0.1:0".into(),
        spa_dir: PathBuf::from("/nonexistent"),
        workers: Some(2),
        sweep_interval: None,
        outbound: Default::default(),
        undo_window: chrono::Duration::seconds(10),
        auth_cache_ttl: Some(std::time::Duration::from_secs(1)),
        read_cache_ttl: Some(std::time::Duration::from_secs(1)),
        metrics_bind: None,
        trusted_proxies: Vec::new(),
        public_url: None,
        notice_interval: std::time::Duration::from_secs(30),
        session_lifetime: chrono::Duration::hours(1),
        propose_per_minute: 1_000_000,
        sign_in_per_minute: 10,
        count_cap: 1_000,
        cors_origins: Vec::new(),
        keepalive: std::time::Duration::from_millis(100),
    };
    let app = Application::build(&settings, db, Arc::new(SystemClock)).await?;
    let base = format!("http://127.0.0.1:{}/api/v1", app.port());
    tokio::spawn(app.run_until_stopped());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;

    let agents: Value = client
        .get(format!("{base}/agents"))
        .send()
        .await?
        .json()
        .await?;
    let agent = agents[0]["id"].clone();
    let page: Value = client
        .get(format!("{base}/actions?status=approved&limit=1"))
        .send()
        .await?
        .json()
        .await?;
    let customer = page["items"][0]["customer"]["id"].clone();
    let mut results = Vec::new();

    let started = Instant::now();
    let mut ids = Vec::with_capacity(PROPOSALS);
    for n in 0..PROPOSALS {
        let body = json!({
            "customer_id": customer, "agent_id": agent, "action_type": "internal_note",
            "subject": format!("Benchmark note {n}"), "body": "<p>Check in with {{customer_name}}</p>",
            "confidence": 70, "priority": "medium", "trigger": {"summary": "Benchmark", "data": {}}
        });
        let created: Value = client
            .post(format!("{base}/actions"))
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        ids.push(created["id"].clone());
    }
    results.push(Measured {
        what: format!("{name}: propose, one request each"),
        count: PROPOSALS,
        seconds: started.elapsed().as_secs_f64(),
    });

    let started = Instant::now();
    let mut cursor: Option<String> = None;
    for _ in 0..LIST_PAGES {
        let url = match &cursor {
            Some(cursor) => format!("{base}/actions?limit=50&sort=-created_at&cursor={cursor}"),
            None => format!("{base}/actions?limit=50&sort=-created_at"),
        };
        let page: Value = client.get(url).send().await?.json().await?;
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    results.push(Measured {
        what: format!("{name}: list a page of 50 (with total)"),
        count: LIST_PAGES,
        seconds: started.elapsed().as_secs_f64(),
    });

    let started = Instant::now();
    let bulk: Value = client
        .post(format!("{base}/actions/bulk"))
        .json(&json!({"op": "approve", "ids": &ids[..BULK]}))
        .send()
        .await?
        .json()
        .await?;
    let approved = bulk["results"]
        .as_array()
        .map_or(0, |r| r.iter().filter(|r| r["ok"] == true).count());
    anyhow::ensure!(approved == BULK, "bulk approved {approved} of {BULK}");
    results.push(Measured {
        what: format!("{name}: bulk approve, one request"),
        count: BULK,
        seconds: started.elapsed().as_secs_f64(),
    });

    let started = Instant::now();
    for id in &ids[BULK..BULK + SINGLES] {
        let id = id.as_str().unwrap_or_default();
        client
            .post(format!("{base}/actions/{id}/approve"))
            .send()
            .await?
            .error_for_status()?;
    }
    results.push(Measured {
        what: format!("{name}: approve one at a time"),
        count: SINGLES,
        seconds: started.elapsed().as_secs_f64(),
    });
    Ok(results)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let mut all = bench(
            "SQLite",
            &format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
        )
        .await?;

        let admin_url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        match sea_orm::Database::connect(&admin_url).await {
            Ok(admin) => {
                let name = format!("inbox_bench_{}", uuid::Uuid::now_v7().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                let (server, _) = admin_url.rsplit_once('/').unwrap_or((&admin_url, ""));
                let result = bench("PostgreSQL", &format!("{server}/{name}")).await;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                all.extend(result?);
            }
            Err(error) => eprintln!("PostgreSQL skipped: {error}"),
        }

        println!(
            "{:<44} {:>6} {:>10} {:>12}",
            "benchmark", "n", "total ms", "per item ms"
        );
        for m in all {
            println!(
                "{:<44} {:>6} {:>10.1} {:>12.3}",
                m.what,
                m.count,
                m.seconds * 1000.0,
                m.seconds * 1000.0 / m.count as f64
            );
        }
        Ok(())
    })
}
