//! The providers' delivery receipts (the seed gateway's events, Fonnte's status callback, a
//! signed webhook) moving the message log forward, never back.

use std::time::Duration;

use crate::db::Db;
use crate::domain::MessageStatus;
use crate::whatsapp::seed_events::{Receipt, Sink};

/// The provider name the seed gateway's messages carry in `message_log`.
const SEED: &str = "seed";
/// A receipt can overtake the send's answer (the row has no provider id yet): tried again after
/// these waits.
const RETRY_AFTER: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(10)];

/// Where the seed gateway's receipts go: applied to the message log a batch at a time; those
/// that moved nothing (already further along, or the send's answer not recorded yet) are tried
/// again a little later, twice.
pub fn seed_sink(db: Db) -> Sink {
    std::sync::Arc::new(move |batch: Vec<Receipt>| {
        let db = db.clone();
        Box::pin(async move {
            let pending: Vec<(String, MessageStatus)> = batch.into_iter().map(|r| (r.message_id, r.status)).collect();
            let rest = apply_batch(&db, pending).await;
            if !rest.is_empty() {
                tokio::spawn(async move {
                    let mut rest = rest;
                    for wait in RETRY_AFTER {
                        tokio::time::sleep(wait).await;
                        rest = apply_batch(&db, rest).await;
                        if rest.is_empty() {
                            return;
                        }
                    }
                    tracing::debug!(left = rest.len(), "receipts for messages not (or no longer) behind them");
                });
            }
        })
    })
}

/// Applies receipts; returns those that moved nothing (all of them when the database failed).
async fn apply_batch(db: &Db, receipts: Vec<(String, MessageStatus)>) -> Vec<(String, MessageStatus)> {
    let all = receipts.clone();
    match db.run(move |conn| super::log::apply_deliveries(conn, SEED, receipts)).await {
        Ok(rest) => rest,
        Err(e) => {
            tracing::warn!(error = %e, count = all.len(), "delivery receipts could not be recorded; trying again");
            all
        }
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
