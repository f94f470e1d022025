use actix_web::{get, http::header, web, HttpResponse};
use tokio::sync::broadcast::{
    error::{RecvError, TryRecvError},
    Receiver,
};
use uuid::Uuid;

use crate::{
    auth::{Authorized, Read},
    bus::BusMessage,
    ops_metrics::OpenStream,
    services::{self, auth::Principal},
    shutdown::Stopping,
    state::AppState,
};

/// One Server-Sent Events frame.
fn frame(event: &str, data: &impl serde::Serialize) -> String {
    format!(
        "event: {event}\ndata: {}\n\n",
        serde_json::to_string(data).unwrap_or_default()
    )
}

struct Stream {
    state: web::Data<AppState>,
    location_id: Uuid,
    /// Checked again at every keepalive: a revoked key or an ended session closes the stream.
    principal: Principal,
    changes: Receiver<BusMessage>,
    keepalive: tokio::time::Interval,
    started: bool,
    /// Ends the stream when the server stops.
    stopping: Stopping,
    _counted: OpenStream,
}

impl Stream {
    async fn metrics_frame(&self) -> String {
        let state = &self.state;
        let now = state.clock.now();
        match state
            .live_metrics
            .of(&state.db, &state.bus, self.location_id, now)
            .await
        {
            Ok(metrics) => frame("metrics", &metrics),
            Err(error) => {
                tracing::warn!(?error, "metrics for the event stream failed");
                String::new()
            }
        }
    }

    /// The next chunk to send, or `None` when the server shuts down.
    async fn next(&mut self) -> Option<String> {
        if !self.started {
            self.started = true;
            return Some(self.metrics_frame().await);
        }
        loop {
            tokio::select! {
                change = self.changes.recv() => match change {
                    Ok(BusMessage::Change(change)) if change.location_id == self.location_id => {
                        // A burst (a bulk decision) becomes one chunk with one metrics frame.
                        let mut chunk = frame("action", &change.change);
                        loop {
                            match self.changes.try_recv() {
                                Ok(BusMessage::Change(more)) if more.location_id == self.location_id => {
                                    chunk += &frame("action", &more.change);
                                }
                                Ok(BusMessage::Presence(more)) if more.location_id == self.location_id => {
                                    chunk += &frame("presence", &more.presence);
                                }
                                Ok(BusMessage::Resync) => chunk += &frame("resync", &serde_json::json!({})),
                                Ok(BusMessage::Change(_) | BusMessage::Presence(_)) => {}
                                Err(TryRecvError::Lagged(_)) => chunk += &frame("resync", &serde_json::json!({})),
                                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                            }
                        }
                        return Some(chunk + &self.metrics_frame().await);
                    }
                    // Who is reviewing what changes no number: no metrics frame follows.
                    Ok(BusMessage::Presence(presence)) if presence.location_id == self.location_id => {
                        return Some(frame("presence", &presence.presence));
                    }
                    Ok(BusMessage::Change(_) | BusMessage::Presence(_)) => continue,
                    // Changes were missed (this stream fell behind, or the database connection
                    // dropped): tell the client to reload, with fresh numbers.
                    Ok(BusMessage::Resync) | Err(RecvError::Lagged(_)) => return Some(frame("resync", &serde_json::json!({})) + &self.metrics_frame().await),
                    Err(RecvError::Closed) => return None,
                },
                () = self.stopping.stopped() => return None,
                _ = self.keepalive.tick() => {
                    let valid = services::auth::still_valid(&self.state.db, &self.principal, self.state.clock.now()).await;
                    return valid.ok().filter(|valid| *valid).map(|_| ": keepalive\n\n".to_owned());
                }
            }
        }
    }
}

/// Live updates as Server-Sent Events: `metrics` at once and after every change, `action` for
/// every created or changed action (its id, status and version), `presence` when a reviewer
/// opens, keeps open or leaves an action (a PresenceChanged), and `resync` when the client
/// should reload because it missed changes.
#[utoipa::path(
    tag = "events",
    responses(
        (status = 200, description = "An endless `text/event-stream`. Each `action` event's data is an ActionChanged; each `metrics` event's data is a Metrics; each `presence` event's data is a PresenceChanged.", content_type = "text/event-stream", body = String, example = "event: action\ndata: {\"id\":\"0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57\",\"status\":\"pending\",\"version\":1}\n\n"),
        (status = 404, description = "The location does not exist."),
    )
)]
#[get("/events")]
pub async fn stream_events(state: web::Data<AppState>, caller: Authorized<Read>) -> HttpResponse {
    let mut keepalive = tokio::time::interval(state.keepalive);
    keepalive.reset();
    let stream = Stream {
        changes: state.bus.subscribe(),
        stopping: state.stopping.clone(),
        _counted: state.ops_metrics.stream_opened(),
        state,
        location_id: caller.location().id,
        principal: caller.0 .0.principal.clone(),
        keepalive,
        started: false,
    };
    let body = futures_util::stream::unfold(stream, |mut stream| async move {
        let chunk = stream.next().await?;
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), stream))
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}
