//! A sale's records (the only writer of `transactions` and `transaction_events`): the row of
//! a sale, with the package as it was sold, and each step of its state machine as an event;
//! the grant a paid sale gives through the one grant path.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::BillingError;
use crate::accounts::debts::{self, Scope, Settle, Settled};
use crate::accounts::grant::{self, Grant, Outcome};
use crate::accounts::status;
use crate::db::models::User;
use crate::db::schema::{transaction_events, transactions};
use crate::domain::{AccessStatus, LedgerSource, SaleChannel, TxEventSource, TxPurpose, TxState};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = transactions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Transaction {
    pub id: Uuid,
    pub order_id: String,
    pub user_id: Uuid,
    /// The package sold (none when the transaction pays debts).
    pub package_id: Option<Uuid>,
    pub package_name: String,
    pub amount_idr: i64,
    pub quota_bytes: i64,
    pub is_unlimited: bool,
    pub validity_days: i32,
    /// `midtrans` or `cash`.
    #[schema(value_type = String)]
    pub channel: SaleChannel,
    pub state: TxState,
    pub failure_reason: Option<String>,
    pub snap_token: Option<String>,
    pub redirect_url: Option<String>,
    pub provider_transaction_id: Option<String>,
    pub payment_type: Option<String>,
    pub provider_status: Option<String>,
    pub fraud_status: Option<String>,
    pub refunded_amount_idr: Option<i64>,
    pub ledger_id: Option<i64>,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = String)]
    pub purpose: TxPurpose,
    /// The one debt a debt payment pays (none: every debt open when it was priced).
    pub debt_id: Option<Uuid>,
    /// The automatic debt a debt payment was priced for (it pays at most this).
    pub debt_auto_bytes: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = transaction_events)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct TxEvent {
    pub id: i64,
    #[serde(skip)]
    pub transaction_id: Uuid,
    /// `notification`, `status_api`, `user`, `admin`, `job`, `system`.
    #[schema(value_type = String)]
    pub source: TxEventSource,
    /// The provider's word (`settlement`, `expire`, …) or ours (`created`, `cancelled`).
    pub event_type: String,
    #[schema(value_type = String)]
    pub state_after: TxState,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

/// A fresh order id: `HS-` and 128 random bits in Crockford-ish base32 (Midtrans allows
/// letters, digits and `-_.~`, 50 at most).
pub fn new_order_id(prefix: &str) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let tail: String = (0..26).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{prefix}-{tail}")
}

pub(crate) fn insert_event(
    conn: &mut PgConnection,
    tx_id: Uuid,
    source: TxEventSource,
    event_type: &str,
    state_after: TxState,
    payload: Value,
) -> Result<(), BillingError> {
    let event_type: String = event_type.chars().take(50).collect();
    let event_type = if event_type.is_empty() { "unknown".to_owned() } else { event_type };
    diesel::insert_into(transaction_events::table)
        .values((
            transaction_events::transaction_id.eq(tx_id),
            transaction_events::source.eq(source),
            transaction_events::event_type.eq(event_type),
            transaction_events::state_after.eq(state_after),
            transaction_events::payload.eq(payload),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes a sale's row: the package as it is sold now, on `channel`, in `state`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_sale(
    conn: &mut PgConnection,
    order_id: &str,
    user: Uuid,
    p: &super::packages::Package,
    channel: SaleChannel,
    state: TxState,
    expires_at: DateTime<Utc>,
    cash: Option<(Option<&str>, Option<Uuid>)>,
) -> Result<Transaction, BillingError> {
    let (note, by) = cash.unwrap_or((None, None));
    let paid_at = (state == TxState::Paid).then(Utc::now);
    Ok(diesel::insert_into(transactions::table)
        .values((
            transactions::order_id.eq(order_id),
            transactions::user_id.eq(user),
            transactions::package_id.eq(p.id),
            transactions::package_name.eq(&p.name),
            transactions::amount_idr.eq(p.price_idr),
            transactions::quota_bytes.eq(p.quota_bytes),
            transactions::is_unlimited.eq(p.is_unlimited),
            transactions::validity_days.eq(p.validity_days),
            transactions::channel.eq(channel),
            transactions::state.eq(state),
            transactions::note.eq(note),
            transactions::created_by.eq(by),
            transactions::expires_at.eq(expires_at),
            transactions::paid_at.eq(paid_at),
        ))
        .returning(Transaction::as_returning())
        .get_result(conn)?)
}

/// The grant a sale gives: its package as sold, keyed by its order.
pub(crate) fn sale_grant(t: &Transaction, source: LedgerSource, by: Option<Uuid>) -> Grant {
    let key = format!("order:{}", t.order_id);
    Grant {
        details: json!({ "order_id": t.order_id, "package": t.package_name, "amount_idr": t.amount_idr }),
        by,
        ..Grant::package(t.user_id, t.quota_bytes, t.validity_days, t.is_unlimited, key, source)
    }
}

/// Grants a sale's package in the caller's transaction and stores the user's new status.
pub(crate) fn grant_sale(
    conn: &mut PgConnection,
    t: &Transaction,
    source: LedgerSource,
    by: Option<Uuid>,
    policy: &crate::domain::policy::RouterPolicy,
) -> Result<(i64, User, AccessStatus), BillingError> {
    let (outcome, user) = grant::grant(conn, &sale_grant(t, source, by))?;
    let ledger_id = match outcome {
        Outcome::Granted { ledger_id } | Outcome::Replayed { ledger_id } => ledger_id,
    };
    // The status stored before this grant, to tell the user when it moved.
    let before = user.access_status;
    Ok((ledger_id, status::store(conn, user, policy)?, before))
}

/// The Snap payment page of a pending order.
pub(crate) fn set_snap(
    conn: &mut PgConnection,
    id: Uuid,
    token: String,
    url: String,
) -> Result<Transaction, diesel::result::Error> {
    diesel::update(transactions::table.find(id))
        .set((
            transactions::snap_token.eq(Some(token)),
            transactions::redirect_url.eq(Some(url)),
            transactions::updated_at.eq(Utc::now()),
        ))
        .returning(Transaction::as_returning())
        .get_result(conn)
}

pub(crate) fn by_order(conn: &mut PgConnection, order_id: &str, lock: bool) -> Result<Transaction, BillingError> {
    let q = transactions::table.filter(transactions::order_id.eq(order_id)).select(Transaction::as_select());
    let found = if lock { q.for_update().first(conn).optional()? } else { q.first(conn).optional()? };
    found.ok_or(BillingError::TransactionNotFound)
}

/// A paid debt order settles, in the caller's transaction (the notification's): what it was
/// priced for, once per order; money that finds nothing left to pay is still recorded.
pub(super) fn settle_paid(
    conn: &mut PgConnection,
    t: &Transaction,
    policy: &crate::domain::policy::RouterPolicy,
) -> Result<(Settled, AccessStatus), BillingError> {
    let scope = match t.debt_id {
        Some(id) => Scope::One(id),
        None => Scope::All { as_of: t.created_at, auto_cap: Some(t.debt_auto_bytes.unwrap_or(0)) },
    };
    let s = Settle {
        user: t.user_id,
        scope,
        channel: SaleChannel::Midtrans,
        amount_idr: t.amount_idr,
        receipt_no: t.order_id.clone(),
        transaction_id: Some(t.id),
        key: format!("order:{}", t.order_id),
        by: None,
        paid_already: true,
    };
    let mut settled = debts::settle(conn, &s)?;
    let before = settled.user.access_status;
    settled.user = status::store(conn, settled.user, policy)?;
    Ok((settled, before))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_unguessable_and_midtrans_safe() {
        let a = new_order_id("HS");
        let b = new_order_id("HS");
        assert_ne!(a, b);
        assert_eq!(a.len(), 29);
        assert!(a.starts_with("HS-"));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
