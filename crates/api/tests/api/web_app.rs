//! The web app's files as the server hands them out.

use crate::helpers::{spawn_app_with, Backend};

/// A build's code lives in a folder named by its content and never changes there, so browsers
/// keep it; `index.html` names the build and is asked after each time, so a reload finds a new
/// one. A tab left open on an earlier build that asks for one of its chunks gets a 404 (which
/// stops the app with a reload), never the app's page, nor another build's chunk.
#[tokio::test]
async fn a_builds_code_is_kept_for_good_and_the_page_that_names_it_is_asked_after_each_time() {
    let build = tempfile::tempdir().expect("a folder");
    let code = build.path().join("pkg/0123456789abcdef");
    std::fs::create_dir_all(&code).expect("the build's folder");
    std::fs::write(build.path().join("index.html"), "<title>AI Inbox</title>").expect("written");
    std::fs::write(code.join("inbox_bg.wasm"), b"\0asm\x01\0\0\0").expect("written");
    let dir = build.path().to_owned();
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.spa_dir = dir).await;
    let get = |path: &str| app.client.get(app.url(path)).send();

    let module = get("/pkg/0123456789abcdef/inbox_bg.wasm")
        .await
        .expect("sent");
    assert_eq!(module.status(), 200);
    assert_eq!(
        module.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        module.bytes().await.expect("a body").as_ref(),
        b"\0asm\x01\0\0\0"
    );

    let gone = get("/pkg/fedcba9876543210/chunk_12.wasm")
        .await
        .expect("sent");
    assert_eq!(gone.status(), 404);
    assert_eq!(
        gone.headers()["cache-control"],
        "no-cache",
        "a 404 is not kept"
    );

    for path in ["/", "/agents"] {
        let page = get(path).await.expect("sent");
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(page.headers()["cache-control"], "no-cache", "{path}");
        assert_eq!(
            page.text().await.expect("a body"),
            "<title>AI Inbox</title>"
        );
    }
}
