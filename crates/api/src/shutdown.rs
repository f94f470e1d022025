//! Stopping gracefully: on SIGTERM (or Ctrl-C) the server stops accepting connections, lets the
//! requests in flight finish, ends the live event streams, and lets the background work finish
//! what it holds without taking anything new.

use tokio::sync::watch;

/// Whether the server is stopping; cheap to clone into every stream and job.
#[derive(Debug, Clone)]
pub struct Stopping(watch::Receiver<bool>);

/// Tells every [`Stopping`] made from it that the server stops.
#[derive(Debug)]
pub struct StopSignal(watch::Sender<bool>);

impl StopSignal {
    pub fn new() -> (StopSignal, Stopping) {
        let (sender, receiver) = watch::channel(false);
        (StopSignal(sender), Stopping(receiver))
    }

    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Stopping {
    /// Never stops (tests that drive the jobs by hand).
    pub fn never() -> Stopping {
        StopSignal::new().1
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the server stops; never, if nothing can stop it any more.
    pub async fn stopped(&mut self) {
        if self.0.wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves on SIGTERM (what `docker stop` and Kubernetes send) or SIGINT (Ctrl-C).
pub async fn signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
