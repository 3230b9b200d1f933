//! Asking Midtrans instead of waiting for it: the worker's reconciliation of payments still
//! pending after a while (a missed notification is found through the status API; one Midtrans
//! does not know past its window is expired), the admin's "check with Midtrans" on one order,
//! and the buyer's cancel of a pending order.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::orders::{Transaction, insert_event};
use super::purchase::Applied;
use super::{Billing, BillingError};
use crate::audit::{self, Actor, Target};
use crate::db::schema::transactions;
use crate::domain::{AuditAction, AuditTarget, SaleChannel, TxEventSource, TxState};

impl Billing {
    /// Asks Midtrans about one order and applies its answer; `None` when Midtrans has no such
    /// transaction.
    pub async fn check_with_provider(&self, order_id: &str) -> Result<Option<Applied>, BillingError> {
        let midtrans = self.midtrans()?.clone();
        match midtrans.status(order_id).await {
            Ok(Some(s)) if s.order_id == order_id => Ok(Some(self.apply_word(s, TxEventSource::StatusApi).await?)),
            Ok(Some(_)) => Err(BillingError::ProviderUnavailable("status answer for another order".into())),
            Ok(None) => Ok(None),
            Err(e) => Err(BillingError::ProviderUnavailable(e.to_string())),
        }
    }

    /// Closes a pending payment that will not be paid: `expired` past its window, or `failed`
    /// when the buyer cancelled. Paid ones are never touched (the row is locked and re-read).
    pub(super) async fn close_pending(
        &self,
        id: Uuid,
        to: TxState,
        why: &'static str,
        source: TxEventSource,
    ) -> Result<bool, BillingError> {
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let t: Transaction =
                        transactions::table.find(id).select(Transaction::as_select()).for_update().first(tx)?;
                    if t.state != TxState::Pending {
                        return Ok(false);
                    }
                    diesel::update(transactions::table.find(id))
                        .set((
                            transactions::state.eq(to),
                            transactions::failure_reason.eq(why),
                            transactions::updated_at.eq(Utc::now()),
                        ))
                        .execute(tx)?;
                    insert_event(tx, id, source, why, to, json!({}))?;
                    Ok(true)
                }))
            })
            .await?
    }

    /// The buyer closed the payment page: their pending order is cancelled here (a payment
    /// that still arrives for it is honoured).
    /// A Core API charge is cancelled at Midtrans first, so its QR or virtual account stops
    /// taking money; one Midtrans will not cancel (paid meanwhile) is asked about instead.
    pub async fn cancel(&self, user_id: Uuid, order_id: &str) -> Result<Transaction, BillingError> {
        let (t, _, charge) = self.transaction_of(user_id, order_id).await?;
        self.cancel_order(t, charge.is_some()).await
    }

    pub(super) async fn cancel_order(&self, t: Transaction, charged: bool) -> Result<Transaction, BillingError> {
        let order_id = t.order_id.as_str();
        if t.state == TxState::Pending {
            let refused = match (charged, &self.midtrans) {
                (true, Some(m)) => match m.cancel(order_id).await {
                    Ok(cancelled) => !cancelled,
                    Err(e) => {
                        tracing::warn!(error = %e, "Midtrans did not take the cancel; the order is closed here");
                        false
                    }
                },
                _ => false,
            };
            if refused {
                self.check_with_provider(order_id).await?;
            } else {
                self.close_pending(t.id, TxState::Failed, "cancelled", TxEventSource::User).await?;
            }
        }
        Ok(self.transaction(order_id).await?.0)
    }

    /// The worker's reconciliation: every payment pending for longer than the configured delay
    /// is asked about (a missed notification); one Midtrans does not know past its window is
    /// expired. Returns (checked, moved, expired, errors).
    pub async fn reconcile_pending(&self, older_than: std::time::Duration) -> Result<ReconcileReport, BillingError> {
        if self.midtrans.is_none() {
            return Ok(ReconcileReport::default());
        }
        let cutoff = Utc::now() - chrono::Duration::seconds(older_than.as_secs() as i64);
        let pending: Vec<(Uuid, String, DateTime<Utc>)> = self
            .db()
            .run(move |conn| {
                Ok(transactions::table
                    .filter(transactions::state.eq(TxState::Pending))
                    .filter(transactions::channel.eq(SaleChannel::Midtrans))
                    .filter(transactions::created_at.lt(cutoff))
                    .order(transactions::created_at.asc())
                    .limit(200)
                    .select((transactions::id, transactions::order_id, transactions::expires_at))
                    .load(conn)?)
            })
            .await?;
        let mut report = ReconcileReport::default();
        for (id, order_id, expires_at) in pending {
            report.checked += 1;
            match self.check_with_provider(&order_id).await {
                Ok(Some(a)) => {
                    if a.changed {
                        report.moved += 1;
                    }
                }
                Ok(None) if expires_at < Utc::now() => {
                    if self.close_pending(id, TxState::Expired, "expired_unpaid", TxEventSource::Job).await? {
                        report.expired += 1;
                    }
                }
                Ok(None) => {}
                Err(e @ (BillingError::ProviderUnavailable(_) | BillingError::AmountMismatch)) => {
                    tracing::warn!(error = %e, "payment reconciliation could not settle one order");
                    report.errors += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// An admin's "check with Midtrans" on one order: its answer applied like a notification,
    /// the check audited.
    pub async fn admin_reconcile(&self, actor: &Actor, order_id: &str) -> Result<AdminChecked, BillingError> {
        let (t, ..) = self.transaction(order_id).await?;
        let checked = if t.channel != SaleChannel::Midtrans {
            AdminChecked { provider_status: t.channel.to_string(), transaction: t, granted: false }
        } else {
            match self.check_with_provider(order_id).await? {
                Some(a) => AdminChecked {
                    provider_status: a.transaction.provider_status.clone().unwrap_or_default(),
                    transaction: a.transaction,
                    granted: a.granted,
                },
                None => AdminChecked { provider_status: "not_found".into(), transaction: t, granted: false },
            }
        };
        let (a, details) = (
            actor.clone(),
            json!({ "state": checked.transaction.state, "provider_status": checked.provider_status, "granted": checked.granted }),
        );
        let target = Target::new(AuditTarget::Transaction, &checked.transaction.order_id);
        self.db()
            .run(move |conn| audit::record(conn, &a, AuditAction::TransactionReconcile, Some(target), details))
            .await?;
        Ok(checked)
    }
}

#[derive(Debug, Clone)]
pub struct AdminChecked {
    pub transaction: Transaction,
    /// Midtrans's `transaction_status`, `not_found`, or the channel of a sale that is not theirs.
    pub provider_status: String,
    pub granted: bool,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ReconcileReport {
    pub checked: usize,
    pub moved: usize,
    pub expired: usize,
    pub errors: usize,
}
