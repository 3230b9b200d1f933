//! Reading transactions: one (the buyer's own, or any for an admin) with its events, and
//! lists newest first, filtered and paged.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::charges::Charge;
use super::orders::{Transaction, TxEvent, by_order};
use super::{Billing, BillingError};
use crate::db::models::User;
use crate::db::schema::{transaction_events, transactions};
use crate::domain::TxState;

impl Billing {
    /// One of the user's own transactions with its events; another user's is "not found".
    pub async fn transaction_of(
        &self,
        user_id: Uuid,
        order_id: &str,
    ) -> Result<(Transaction, Vec<TxEvent>, Option<Charge>), BillingError> {
        let (t, events, charge) = self.transaction(order_id).await?;
        if t.user_id != user_id {
            return Err(BillingError::TransactionNotFound);
        }
        Ok((t, events, charge))
    }

    /// A transaction with its events, oldest first, and its Core API charge.
    pub async fn transaction(
        &self,
        order_id: &str,
    ) -> Result<(Transaction, Vec<TxEvent>, Option<Charge>), BillingError> {
        if order_id.is_empty() || order_id.len() > 50 {
            return Err(BillingError::TransactionNotFound);
        }
        let order_id = order_id.to_owned();
        self.db()
            .run(move |conn| {
                let t = match by_order(conn, &order_id, false) {
                    Ok(t) => t,
                    Err(e) => return Ok(Err(e)),
                };
                let events = transaction_events::table
                    .filter(transaction_events::transaction_id.eq(t.id))
                    .order(transaction_events::id.asc())
                    .select(TxEvent::as_select())
                    .load(conn)?;
                let charge = super::charges::of_transaction(conn, t.id)?;
                Ok(Ok((t, events, charge)))
            })
            .await?
    }

    /// Transactions newest first, of one user or (for the admin) filtered.
    pub async fn transactions(&self, f: TxFilter) -> Result<(Vec<(Transaction, Option<User>)>, i64), BillingError> {
        use crate::db::schema::users;
        self.db()
            .run(move |conn| {
                let filtered = || {
                    let mut q = transactions::table.into_boxed();
                    if let Some(u) = f.user_id {
                        q = q.filter(transactions::user_id.eq(u));
                    }
                    if let Some(s) = f.state {
                        q = q.filter(transactions::state.eq(s));
                    }
                    if let Some(from) = f.from {
                        q = q.filter(transactions::created_at.ge(from));
                    }
                    if let Some(to) = f.to {
                        q = q.filter(transactions::created_at.lt(to));
                    }
                    if let Some(o) = &f.order_prefix {
                        q = q.filter(transactions::order_id.like(format!("{}%", o.replace(['%', '_', '\\'], ""))));
                    }
                    q
                };
                let total: i64 = filtered().count().get_result(conn)?;
                let rows: Vec<Transaction> = filtered()
                    .order((transactions::created_at.desc(), transactions::id.desc()))
                    .offset((f.page - 1) * f.per_page)
                    .limit(f.per_page)
                    .select(Transaction::as_select())
                    .load(conn)?;
                let ids: Vec<Uuid> = rows.iter().map(|t| t.user_id).collect();
                let owners: Vec<User> = if f.with_users {
                    users::table.filter(users::id.eq_any(&ids)).select(User::as_select()).load(conn)?
                } else {
                    Vec::new()
                };
                let items = rows
                    .into_iter()
                    .map(|t| {
                        let u = owners.iter().find(|u| u.id == t.user_id).cloned();
                        (t, u)
                    })
                    .collect();
                Ok((items, total))
            })
            .await
            .map_err(Into::into)
    }
}

#[derive(Debug, Clone)]
pub struct TxFilter {
    pub user_id: Option<Uuid>,
    pub state: Option<TxState>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub order_prefix: Option<String>,
    pub page: i64,
    pub per_page: i64,
    pub with_users: bool,
}
