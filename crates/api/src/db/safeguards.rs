//! What the location's review safeguards are judged on: its settings and how many messages its
//! customers have been sent in the contact cap's window. The rules are the domain's
//! (`inbox_domain::safeguards`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use inbox_domain::{
    safeguards::{LocationSettings, WarningNotice},
    ActionType,
};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    deliveries,
    entities::{actions, locations},
    locations::settings_of,
    StoreError,
};

/// The safeguards' facts for some customers of a location at one moment.
#[derive(Debug, Clone)]
pub struct SafeguardFacts {
    pub settings: LocationSettings,
    /// Messages sent (or approved and waiting) in the cap's window, by customer.
    sent: HashMap<Uuid, u64>,
}

impl SafeguardFacts {
    /// The facts for `customer_ids` at `now` (no query when the location has no cap).
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        location: &locations::Model,
        customer_ids: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<SafeguardFacts, StoreError> {
        let settings = settings_of(location)?;
        let sent = match settings.contact_cap {
            Some(cap) if !customer_ids.is_empty() => {
                deliveries::sent_to_customers(db, location.id, customer_ids, cap.window_start(now))
                    .await?
            }
            _ => HashMap::new(),
        };
        Ok(SafeguardFacts { settings, sent })
    }

    /// What a reviewer should know before approving `action` for `customer_name`.
    pub fn approval_warnings(
        &self,
        action: &actions::Model,
        customer_name: &str,
    ) -> Result<Vec<WarningNotice>, StoreError> {
        let confidence = super::actions::list::confidence(action.confidence)?;
        Ok(self.settings.approval_warnings(
            action.action_type.channel().is_some(),
            self.sent
                .get(&action.customer_id)
                .copied()
                .unwrap_or_default(),
            customer_name,
            confidence,
        ))
    }

    /// The cap's warning for one more `action_type` to customer `customer_id` (none for a note
    /// or a task, which reach nobody outside).
    pub fn contact_cap_warning(
        &self,
        action_type: ActionType,
        customer_id: Uuid,
        customer_name: &str,
    ) -> Option<WarningNotice> {
        let sent = self.sent.get(&customer_id).copied().unwrap_or_default();
        action_type
            .channel()
            .and_then(|_| self.settings.contact_cap_warning(sent, customer_name))
    }

    /// Counts one more message to `customer_id`: approved in the same batch.
    pub fn count_one_more(&mut self, customer_id: Uuid) {
        *self.sent.entry(customer_id).or_default() += 1;
    }
}
