//! The id of the request being answered, readable anywhere on its task (the problem bodies quote
//! it). Set by [`crate::observe`].

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being answered on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `answer` as the request `id`.
pub async fn scope<F: Future>(id: String, answer: F) -> F::Output {
    REQUEST_ID.scope(id, answer).await
}
