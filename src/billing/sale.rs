//! A cash sale recorded by an admin: a paid transaction on the `cash` channel and its package
//! through the grant path, in one transaction with its audit row. An `Idempotency-Key` makes a
//! retried request record one sale.

use chrono::Utc;
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::orders::{Transaction, grant_sale, insert_event, insert_sale, new_order_id};
use super::{Billing, BillingError, Receipt, invalid, packages};
use crate::accounts::{self, AccountError, may_act_on};
use crate::audit::{self, Actor, Target, user_view};
use crate::crypto::sha256;
use crate::db::schema::transactions;
use crate::domain::{AuditAction, LedgerSource, SaleChannel, TxEventSource, TxState};

/// What a cash sale did.
#[derive(Debug, Clone)]
pub struct Sold {
    pub transaction: Transaction,
    pub user: crate::db::models::User,
    /// This key recorded the sale before; nothing new was written.
    pub replayed: bool,
    /// The user's access status before the sale.
    pub before: crate::domain::AccessStatus,
}

/// The order id of a keyed sale: the same key for the same user names the same order.
fn keyed_order_id(user: Uuid, key: &str) -> String {
    let h = hex::encode(sha256(format!("cash:{user}:{key}").as_bytes()));
    format!("CASH-{}", &h[..26].to_ascii_uppercase())
}

/// What one cash sale records.
struct CashSale {
    user_id: Uuid,
    package_id: Uuid,
    order_id: String,
    note: Option<String>,
}

/// The sale in the caller's transaction: the user's row locked and the admin's rights checked,
/// a keyed order that exists already answered as it was, else the paid row, its package through
/// the grant path, its event and its audit row.
fn record(
    tx: &mut PgConnection,
    a: &Actor,
    sale: CashSale,
    policy: &crate::domain::policy::RouterPolicy,
) -> Result<Sold, BillingError> {
    let CashSale { user_id, package_id, order_id, note } = sale;
    let before = accounts::lock(tx, user_id)?;
    may_act_on(a, &before)?;
    let existing: Option<Transaction> = transactions::table
        .filter(transactions::order_id.eq(&order_id))
        .select(Transaction::as_select())
        .first(tx)
        .optional()?;
    if let Some(t) = existing {
        if t.package_id != Some(package_id) || t.user_id != user_id {
            return Err(BillingError::Account(AccountError::IdempotencyConflict));
        }
        let status = before.access_status;
        return Ok(Sold { transaction: t, user: before, replayed: true, before: status });
    }
    let p = packages::live(tx, package_id, false)?;
    let t = insert_sale(
        tx,
        &order_id,
        user_id,
        &p,
        SaleChannel::Cash,
        TxState::Paid,
        Utc::now(),
        Some((note.as_deref(), a.user_id)),
    )?;
    let (ledger_id, after, status_before) = grant_sale(tx, &t, LedgerSource::CashSale, a.user_id, policy)?;
    let t: Transaction = diesel::update(transactions::table.find(t.id))
        .set(transactions::ledger_id.eq(Some(ledger_id)))
        .returning(Transaction::as_returning())
        .get_result(tx)?;
    insert_event(tx, t.id, TxEventSource::Admin, "cash_sale", TxState::Paid, json!({ "by": a.label, "note": note }))?;
    audit::record(
        tx,
        a,
        AuditAction::CashSale,
        Some(Target::user(user_id)),
        json!({ "order_id": t.order_id, "package": t.package_name, "amount_idr": t.amount_idr,
            "note": note, "before": user_view(&before), "after": user_view(&after) }),
    )?;
    Ok(Sold { transaction: t, user: after, replayed: false, before: status_before })
}

impl Billing {
    pub async fn cash_sale(
        &self,
        actor: &Actor,
        user_id: Uuid,
        package_id: Uuid,
        note: Option<String>,
        key: Option<String>,
    ) -> Result<Sold, BillingError> {
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 500 || n.chars().any(char::is_control)) {
            return Err(invalid("note", "at most 500 printable characters"));
        }
        let order_id = match &key {
            Some(k) if !k.is_empty() && k.len() <= 100 && k.chars().all(|c| c.is_ascii_graphic()) => {
                keyed_order_id(user_id, k)
            }
            Some(_) => return Err(invalid("Idempotency-Key", "1 to 100 visible ASCII characters")),
            None => new_order_id("CASH"),
        };
        let (a, policy) = (actor.clone(), self.runtime.policy());
        let sale = CashSale { user_id, package_id, order_id, note };
        let sold = self.db().run(move |conn| Ok(conn.transaction(|tx| record(tx, &a, sale, &policy)))).await??;
        if !sold.replayed {
            let receipt = Receipt::of_sale(&sold.transaction);
            self.after_grant(&sold.user, sold.before, "cash sale", receipt).await;
        }
        Ok(sold)
    }
}

impl Billing {
    /// A new account made by an admin with a package to start with: the account, then the
    /// package through the grant path (keyed by user and package, so a retry gives it once),
    /// audited.
    pub async fn create_user_with_package(
        &self,
        actor: &Actor,
        input: crate::accounts::CreateUser,
        package_id: Uuid,
    ) -> Result<crate::db::models::User, BillingError> {
        // The package is checked first: a typo must not leave an account without it.
        self.package(package_id).await?;
        let user = self.accounts.create(actor, input, self.runtime.policy()).await?;
        let (a, policy, id) = (actor.clone(), self.runtime.policy(), user.id);
        let after = self
            .db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let before = accounts::lock(tx, id)?;
                    let p = packages::live(tx, package_id, false)?;
                    let key = format!("package:{id}:{package_id}:initial");
                    let source = LedgerSource::AdminAdjust;
                    let g = accounts::Grant {
                        details: json!({ "package": p.name, "reason": "initial package" }),
                        by: a.user_id,
                        ..accounts::Grant::package(id, p.quota_bytes, p.validity_days, p.is_unlimited, key, source)
                    };
                    let (_, after) = accounts::grant::grant(tx, &g)?;
                    let after = accounts::status::store(tx, after, &policy)?;
                    audit::record(
                        tx,
                        &a,
                        AuditAction::UserPackage,
                        Some(Target::user(id)),
                        json!({ "package": p.name, "before": user_view(&before), "after": user_view(&after) }),
                    )?;
                    Ok(after)
                }))
            })
            .await??;
        self.accounts.reconcile_later(id, AuditAction::UserPackage.as_str()).await;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_one_order_per_user() {
        let (u, v) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(keyed_order_id(u, "k1"), keyed_order_id(u, "k1"));
        assert_ne!(keyed_order_id(u, "k1"), keyed_order_id(u, "k2"));
        assert_ne!(keyed_order_id(u, "k1"), keyed_order_id(v, "k1"));
        assert!(keyed_order_id(u, "k1").len() <= 50);
    }
}
