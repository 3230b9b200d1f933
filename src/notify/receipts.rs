//! The providers' delivery receipts (the seed gateway's events, Fonnte's status callback, a
//! signed webhook) moving the message log forward, never back.

use std::time::Duration;

use crate::db::Db;
use crate::domain::MessageStatus;
use crate::whatsapp::seed_events::{Receipt, Sink};

/// The provider name the seed gateway's messages carry in `message_log`.
const SEED: &str = "seed";
/// A receipt can overtake the send's answer (the row has no provider id yet): tried again once.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Where the seed gateway's receipts go: applied to the message log; one that moved nothing
/// (already further along, or the send not recorded yet) is tried once more a little later.
pub fn seed_sink(db: Db) -> Sink {
    std::sync::Arc::new(move |r: Receipt| {
        let db = db.clone();
        Box::pin(async move { apply_with_retry(db, SEED, r.message_id, r.status).await })
    })
}

async fn apply_with_retry(db: Db, provider: &'static str, message_id: String, status: MessageStatus) {
    match super::log::record_delivery(&db, provider.into(), message_id.clone(), status).await {
        Ok(true) => {}
        Ok(false) => {
            tokio::spawn(async move {
                tokio::time::sleep(RETRY_AFTER).await;
                if let Err(e) = super::log::record_delivery(&db, provider.into(), message_id, status).await {
                    tracing::warn!(error = %e, "a delivery receipt could not be recorded");
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "a delivery receipt could not be recorded"),
    }
}

impl super::Notify {
    /// A provider's delivery report from its webhook; whether the message moved.
    pub async fn receipt(
        &self,
        provider: &str,
        message_id: String,
        status: MessageStatus,
    ) -> Result<bool, crate::db::DbError> {
        super::log::record_delivery(&self.db, provider.to_owned(), message_id, status).await
    }
}
