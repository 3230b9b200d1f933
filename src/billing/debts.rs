//! Paying quota debts: what a user owes and its price, a debt paid online (a `DEBT-` order
//! through Snap or the Core API, the same notifications, amount checks and state machine as a
//! purchase; paid, it settles instead of granting), and an admin's settlement in cash at the
//! counter (audited, with a receipt). The settlement itself is the accounts room's
//! (`accounts::debts::settle`): it pays once per key, the user's row locked, whatever races.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::charges::{self, PayChoice};
use super::orders::{Transaction, insert_event, new_order_id};
use super::purchase::Started;
use super::{Billing, BillingError, estimate_rupiah, invalid, packages::Package};
use crate::accounts::debts::{self, Listed, Owed, Scope, Settle, Settled, Settlement};
use crate::accounts::{AccountError, status};
use crate::audit::{Actor, Target};
use crate::db::models::User;
use crate::db::schema::transactions;
use crate::domain::{AccessStatus, AuditAction, SaleChannel, TxEventSource, TxPurpose, TxState};

/// What a user owes.
#[derive(Debug, Clone)]
pub struct Owing {
    pub user: User,
    /// The debts asked for (open ones, or all), newest first.
    pub debts: Vec<Listed>,
    /// Open manual debts summed.
    pub manual: Owed,
    /// Use beyond the purchased quota.
    pub auto_bytes: i64,
    /// Its price at the best finite rate on sale (`None`: nothing finite is on sale).
    pub auto_idr: Option<i64>,
}

impl Owing {
    /// Everything owed in rupiah (the automatic debt at its estimate).
    pub fn total_idr(&self) -> i64 {
        self.manual.idr.saturating_add(self.auto_idr.unwrap_or(0))
    }
}

/// A cash settlement done.
#[derive(Debug, Clone)]
pub struct CashSettled {
    pub settled: Settled,
    /// What was owed before it.
    pub auto_before: i64,
    pub manual_before: i64,
}

impl Billing {
    /// The user's debts (`open_only`: unpaid ones) and what they owe.
    pub async fn owing(&self, user_id: Uuid, open_only: bool) -> Result<Owing, BillingError> {
        let on_sale = self.packages_on_sale(None).await?;
        self.db()
            .run(
                move |conn| Ok(super::load_user(conn, user_id).and_then(|user| owing(conn, user, open_only, &on_sale))),
            )
            .await?
    }

    /// A user's whole ledger as an admin sees it (the admin's rights over the user checked).
    pub async fn owing_as(&self, actor: &Actor, user_id: Uuid) -> Result<Owing, BillingError> {
        let user = self.accounts.get(user_id).await?;
        crate::accounts::may_act_on(actor, &user)?;
        self.owing(user_id, false).await
    }

    /// Starts paying one debt (`debt`) or everything owed, the shop's way (Snap, or the Core API
    /// method chosen among those offered). A pending payment of the same debts for the same
    /// amount and way is answered again rather than opened twice.
    pub async fn start_debt_payment(
        &self,
        user_id: Uuid,
        debt: Option<Uuid>,
        choice: PayChoice,
    ) -> Result<Started, BillingError> {
        let (midtrans, core) = self.payment_way(user_id, choice, "debt_start").await?;
        let on_sale = self.packages_on_sale(None).await?;
        let priced = self.db().run(move |conn| Ok(price(conn, user_id, debt, &on_sale))).await??;
        let p = priced.clone();
        let again = self.db().run(move |conn| Ok(pending_again(conn, user_id, &p, core))).await??;
        if let Some(started) = again {
            return Ok(started);
        }
        let expiry = self.settings().payments.expiry;
        let open = move |conn: &mut PgConnection| open_debt_order(conn, user_id, &priced, expiry);
        self.open_payment(&midtrans, open, core, None).await
    }

    /// An admin's settlement in cash: one debt (`debt`) or everything owed, at its price; the
    /// receipt kept and audited beside it; a debt rule's block lifted once nothing is owed.
    /// `key` (an Idempotency-Key) makes a retried request settle once.
    pub async fn settle_in_cash(
        &self,
        actor: &Actor,
        user_id: Uuid,
        debt: Option<Uuid>,
        key: Option<String>,
    ) -> Result<CashSettled, BillingError> {
        let on_sale = self.packages_on_sale(None).await?;
        let policy = self.runtime.policy();
        let a = actor.clone();
        let done = self
            .db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let user = crate::accounts::lock(tx, user_id)?;
                    crate::accounts::may_act_on(&a, &user)?;
                    let before = owing(tx, user, true, &on_sale)?;
                    let amount = match debt {
                        Some(id) => before.debts.iter().find(|d| d.debt.id == id).map_or(0, |d| d.debt.price_idr),
                        None => before.total_idr(),
                    };
                    let receipt_no = new_order_id("DEBT-CASH");
                    let key = match &key {
                        Some(k) => format!("cash:{}:{k}", a.user_id.map(|u| u.to_string()).unwrap_or_default()),
                        None => receipt_no.clone(),
                    };
                    let s = Settle {
                        user: user_id,
                        scope: debt.map_or(Scope::All { as_of: Utc::now(), auto_cap: None }, Scope::One),
                        channel: SaleChannel::Cash,
                        amount_idr: amount,
                        receipt_no,
                        transaction_id: None,
                        key,
                        by: a.user_id,
                        paid_already: false,
                    };
                    let mut settled = debts::settle(tx, &s)?;
                    if settled.new {
                        let status_before = settled.user.access_status;
                        settled.user = status::store(tx, settled.user, &policy)?;
                        audit_settlement(tx, &a, &settled, status_before)?;
                    }
                    Ok(CashSettled { settled, auto_before: before.auto_bytes, manual_before: before.manual.bytes })
                }))
            })
            .await??;
        if done.settled.new {
            self.after_settlement(&done.settled).await;
        }
        Ok(done)
    }

    /// After a settlement committed: the router follows a lifted block, the user gets the
    /// receipt.
    pub(super) async fn after_settlement(&self, s: &Settled) {
        if s.settlement.unblocked {
            self.accounts.reconcile_later(s.user.id, "debt settled").await;
        }
        let paid = settled_text(&s.settlement);
        let template = if s.settlement.unblocked { "debt_settled_unblock" } else { "debt_settled" };
        let event = crate::notify::Event::Debt {
            template: template.to_owned(),
            reference: s.settlement.receipt_no.clone(),
            amount_idr: s.settlement.amount_idr,
            detail: paid,
            due: String::new(),
        };
        crate::notify::tell(&self.accounts.queues, s.user.id, event).await;
    }
}

/// What a settlement paid, in words for its receipt message.
pub fn settled_text(s: &Settlement) -> String {
    let mut parts = Vec::new();
    if s.manual_items > 0 {
        parts.push(format!("{} tunggakan ({})", s.manual_items, crate::domain::Bytes(s.manual_bytes)));
    }
    if s.auto_bytes > 0 {
        parts.push(format!("pemakaian lebih {}", crate::domain::Bytes(s.auto_bytes)));
    }
    if parts.is_empty() { "tidak ada tunggakan tersisa".to_owned() } else { parts.join(", ") }
}

fn audit_settlement(
    conn: &mut PgConnection,
    actor: &Actor,
    s: &Settled,
    status_before: AccessStatus,
) -> Result<(), BillingError> {
    let details = json!({
        "receipt_no": s.settlement.receipt_no,
        "channel": s.settlement.channel,
        "amount_idr": s.settlement.amount_idr,
        "auto_bytes": s.settlement.auto_bytes,
        "manual_bytes": s.settlement.manual_bytes,
        "manual_items": s.settlement.manual_items,
        "debts": s.debts.iter().map(|d| d.id).collect::<Vec<_>>(),
        "unblocked": s.settlement.unblocked,
        "status_before": status_before,
        "status_after": s.user.access_status,
    });
    crate::audit::record(conn, actor, AuditAction::DebtSettle, Some(Target::user(s.user.id)), details)?;
    Ok(())
}

/// What `user` owes, in one unit of work.
fn owing(conn: &mut PgConnection, user: User, open_only: bool, on_sale: &[Package]) -> Result<Owing, BillingError> {
    let all = debts::of_user(conn, user.id, open_only)?;
    let manual = debts::open_totals(conn, &[user.id])?.into_iter().next().map(|(_, o)| o).unwrap_or_default();
    let auto_bytes = user.quota_overage_bytes();
    let auto_idr = estimate_rupiah(on_sale, auto_bytes);
    Ok(Owing { user, debts: all, manual, auto_bytes, auto_idr })
}

/// A debt payment's price and what it pays.
#[derive(Debug, Clone)]
struct Priced {
    debt: Option<Uuid>,
    amount_idr: i64,
    auto_bytes: Option<i64>,
    name: &'static str,
}

fn price(
    conn: &mut PgConnection,
    user_id: Uuid,
    debt: Option<Uuid>,
    on_sale: &[Package],
) -> Result<Priced, BillingError> {
    let user = super::load_user(conn, user_id)?;
    may_pay(&user)?;
    let o = owing(conn, user, true, on_sale)?;
    let priced = match debt {
        Some(id) => {
            let d = match o.debts.iter().find(|d| d.debt.id == id) {
                Some(d) => &d.debt,
                None if debts::of_user(conn, user_id, false)?.iter().any(|d| d.debt.id == id) => {
                    return Err(AccountError::DebtPaid.into());
                }
                None => return Err(AccountError::DebtNotFound.into()),
            };
            Priced { debt: Some(id), amount_idr: d.price_idr, auto_bytes: None, name: "Pelunasan Hutang Manual" }
        }
        None => {
            if o.manual.items == 0 && o.auto_bytes == 0 {
                return Err(AccountError::NothingOwed.into());
            }
            if o.auto_bytes > 0 && o.auto_idr.is_none() {
                return Err(invalid("debt", "no package on sale prices the used-beyond quota; ask an admin"));
            }
            Priced {
                debt: None,
                amount_idr: o.total_idr(),
                auto_bytes: Some(o.auto_bytes),
                name: "Pelunasan Tunggakan Kuota",
            }
        }
    };
    if priced.amount_idr < 1 {
        return Err(invalid("debt", "this debt has no price to pay online; an admin settles it"));
    }
    Ok(priced)
}

/// Who may pay debts: an approved, active account — also one a debt rule blocked, since
/// paying is how it opens again.
fn may_pay(u: &User) -> Result<(), BillingError> {
    if u.is_blocked && u.block_cause == Some(crate::domain::BlockCause::Debt) {
        let open = User { is_blocked: false, ..u.clone() };
        return super::may_buy(&open);
    }
    super::may_buy(u)
}

/// A pending payment of the same debts, amount and way, still open.
fn pending_again(
    conn: &mut PgConnection,
    user_id: Uuid,
    p: &Priced,
    core: Option<charges::CoreMethod>,
) -> Result<Option<Started>, BillingError> {
    let mut q = transactions::table
        .filter(transactions::user_id.eq(user_id))
        .filter(transactions::purpose.eq(TxPurpose::Debt))
        .filter(transactions::state.eq(TxState::Pending))
        .filter(transactions::amount_idr.eq(p.amount_idr))
        .filter(transactions::expires_at.gt(Utc::now()))
        .into_boxed();
    q = match p.debt {
        Some(id) => q.filter(transactions::debt_id.eq(id)),
        None => q.filter(transactions::debt_id.is_null()),
    };
    let found: Vec<Transaction> =
        q.order(transactions::created_at.desc()).limit(5).select(Transaction::as_select()).load(conn)?;
    for t in found {
        let charge = charges::of_transaction(conn, t.id)?;
        let same = match (core, &charge) {
            (None, None) => t.snap_token.is_some(),
            (Some(m), Some(c)) => c.payment_method == m.method && c.va_bank == m.bank,
            _ => false,
        };
        if same {
            return Ok(Some(Started { transaction: t, charge }));
        }
    }
    Ok(None)
}

/// The `DEBT-` order, pending, before Midtrans is asked.
fn open_debt_order(
    conn: &mut PgConnection,
    user_id: Uuid,
    p: &Priced,
    expiry: std::time::Duration,
) -> Result<(Transaction, User), BillingError> {
    conn.transaction(|tx| {
        let user = super::load_user(tx, user_id)?;
        may_pay(&user)?;
        let expires: DateTime<Utc> = Utc::now() + chrono::Duration::seconds(expiry.as_secs() as i64);
        let t: Transaction = diesel::insert_into(transactions::table)
            .values((
                transactions::order_id.eq(new_order_id("DEBT")),
                transactions::user_id.eq(user_id),
                transactions::package_name.eq(p.name),
                transactions::amount_idr.eq(p.amount_idr),
                transactions::quota_bytes.eq(0),
                transactions::is_unlimited.eq(false),
                transactions::validity_days.eq(0),
                transactions::channel.eq(SaleChannel::Midtrans),
                transactions::state.eq(TxState::Pending),
                transactions::expires_at.eq(expires),
                transactions::purpose.eq(TxPurpose::Debt),
                transactions::debt_id.eq(p.debt),
                transactions::debt_auto_bytes.eq(p.auto_bytes),
            ))
            .returning(Transaction::as_returning())
            .get_result(tx)?;
        insert_event(tx, t.id, TxEventSource::User, "created", TxState::Pending, json!({ "debt": p.debt }))?;
        Ok((t, user))
    })
}
