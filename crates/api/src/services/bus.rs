//! In-process fan-out of action changes to the live event streams.

use inbox_domain::dto::ActionChanged;
use tokio::sync::broadcast;
use uuid::Uuid;

/// An action changed in a location.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationChange {
    pub location_id: Uuid,
    pub change: ActionChanged,
}

/// Publishes every committed action change to whoever listens (the SSE streams).
#[derive(Debug, Clone)]
pub struct EventBus(broadcast::Sender<LocationChange>);

impl Default for EventBus {
    fn default() -> Self {
        // A slow listener skips ahead rather than holding writers back; it then reloads.
        EventBus(broadcast::channel(1024).0)
    }
}

impl EventBus {
    pub fn publish(&self, change: LocationChange) {
        // No listener is not an error.
        let _ = self.0.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LocationChange> {
        self.0.subscribe()
    }
}
