//! Buying a package through Midtrans Snap: the transaction is written (pending, with an
//! unguessable order id) before Snap is called, so no notification can name an order we do not
//! know; Midtrans's word (a signed notification, or its status API when a notification was
//! missed) moves it through the state machine of `domain::payment`, and money in grants the
//! package once through the grant path.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::midtrans::{MidtransError, ProviderStatus, SnapOrder, signature_valid};
use super::{Billing, BillingError, Receipt, invalid, load_user, may_buy, packages};
use crate::admin::grant::{self, Grant, Outcome};
use crate::admin::lifecycle::store_status;
use crate::db::models::User;
use crate::db::schema::{transaction_events, transactions};
use crate::domain::payment::{ProviderWord, Step, decide};
use crate::domain::{Rupiah, TxState};

/// How many purchases one user may start per hour (each calls Snap).
const STARTS_PER_HOUR: u32 = 20;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = transactions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Transaction {
    pub id: Uuid,
    pub order_id: String,
    pub user_id: Uuid,
    pub package_id: Uuid,
    pub package_name: String,
    pub amount_idr: i64,
    pub quota_bytes: i64,
    pub is_unlimited: bool,
    pub validity_days: i32,
    /// `midtrans` or `cash`.
    pub channel: String,
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
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = transaction_events)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct TxEvent {
    pub id: i64,
    #[serde(skip)]
    pub transaction_id: Uuid,
    /// `notification`, `status_api`, `user`, `admin`, `job`, `system`.
    pub source: String,
    /// The provider's word (`settlement`, `expire`, …) or ours (`created`, `cancelled`).
    pub event_type: String,
    pub state_after: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

/// Who told us about a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Notification,
    StatusApi,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Notification => "notification",
            Source::StatusApi => "status_api",
        }
    }
}

/// What applying the provider's word did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub transaction: Transaction,
    pub changed: bool,
    pub granted: bool,
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
    source: &str,
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
            transaction_events::state_after.eq(state_after.as_str()),
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
    channel: &str,
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
pub(crate) fn sale_grant(t: &Transaction, source: &'static str, by: Option<Uuid>) -> Grant {
    Grant {
        user: t.user_id,
        bytes: if t.is_unlimited { 0 } else { t.quota_bytes },
        extend_days: t.validity_days as u32,
        unlimited: t.is_unlimited.then_some(true),
        key: format!("order:{}", t.order_id),
        source,
        details: json!({ "order_id": t.order_id, "package": t.package_name, "amount_idr": t.amount_idr }),
        by,
    }
}

/// Grants a sale's package in the caller's transaction and stores the user's new status.
pub(crate) fn grant_sale(
    conn: &mut PgConnection,
    t: &Transaction,
    source: &'static str,
    by: Option<Uuid>,
    policy: &crate::domain::policy::RouterPolicy,
) -> Result<(i64, User, crate::domain::AccessStatus), BillingError> {
    let (outcome, user) = grant::grant(conn, &sale_grant(t, source, by))?;
    let ledger_id = match outcome {
        Outcome::Granted { ledger_id } | Outcome::Replayed { ledger_id } => ledger_id,
    };
    // The status stored before this grant, to tell the user when it moved.
    let before = user.access_status;
    Ok((ledger_id, store_status(conn, user, policy)?, before))
}

pub(crate) fn by_order(conn: &mut PgConnection, order_id: &str, lock: bool) -> Result<Transaction, BillingError> {
    let q = transactions::table.filter(transactions::order_id.eq(order_id)).select(Transaction::as_select());
    let found = if lock { q.for_update().first(conn).optional()? } else { q.first(conn).optional()? };
    found.ok_or(BillingError::TransactionNotFound)
}

/// The provider's word without its signature (kept on the event).
fn payload(s: &ProviderStatus) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("signature_key");
    }
    v
}

/// Applies Midtrans's word to one transaction, in one database transaction holding its row:
/// the amount checked, the state machine's step, the grant when money came in, the event.
fn apply(
    conn: &mut PgConnection,
    s: &ProviderStatus,
    source: Source,
    policy: &crate::domain::policy::RouterPolicy,
) -> Result<(Applied, Option<(User, crate::domain::AccessStatus)>), BillingError> {
    conn.transaction::<_, BillingError, _>(|tx| {
        let t = by_order(tx, &s.order_id, true)?;
        if t.channel != "midtrans" {
            return Err(BillingError::TransactionNotFound);
        }
        if Rupiah::parse_provider(&s.gross_amount) != Some(Rupiah(t.amount_idr)) {
            return Err(BillingError::AmountMismatch);
        }
        let word = ProviderWord::parse(&s.transaction_status);
        let fraud = s.fraud_status.as_deref().filter(|f| !f.is_empty());
        let Step { to, grant } = decide(t.state, word, fraud);
        let said_before =
            t.provider_status.as_deref() == Some(s.transaction_status.as_str()) && t.fraud_status.as_deref() == fraud;
        if to == t.state && said_before {
            // A repeat: nothing to write.
            return Ok((Applied { transaction: t, changed: false, granted: false }, None));
        }
        let mut user = None;
        let mut ledger_id = t.ledger_id;
        if grant {
            let (id, u, before) = grant_sale(tx, &t, "purchase", None, policy)?;
            ledger_id = Some(id);
            user = Some((u, before));
        }
        let now = Utc::now();
        let paid_at = if grant { Some(now) } else { t.paid_at };
        let refunded = to == TxState::Refunded && t.state != TxState::Refunded;
        let refund_amount = s.refund_amount.as_deref().and_then(Rupiah::parse_provider).map(|r| r.0);
        let failure = match to {
            TxState::Failed | TxState::Expired if to != t.state => Some(s.transaction_status.clone()),
            _ => t.failure_reason.clone(),
        };
        let after: Transaction = diesel::update(transactions::table.find(t.id))
            .set((
                transactions::state.eq(to),
                transactions::provider_status.eq(Some(&s.transaction_status)),
                transactions::fraud_status.eq(fraud),
                transactions::provider_transaction_id
                    .eq(s.transaction_id.clone().or(t.provider_transaction_id.clone())),
                transactions::payment_type.eq(s.payment_type.clone().or(t.payment_type.clone())),
                transactions::paid_at.eq(paid_at),
                transactions::ledger_id.eq(ledger_id),
                transactions::failure_reason.eq(failure),
                transactions::refunded_at.eq(if refunded { Some(now) } else { t.refunded_at }),
                transactions::refunded_amount_idr.eq(if refunded {
                    refund_amount.or(Some(t.amount_idr))
                } else {
                    t.refunded_amount_idr
                }),
                transactions::updated_at.eq(now),
            ))
            .returning(Transaction::as_returning())
            .get_result(tx)?;
        insert_event(tx, t.id, source.as_str(), &s.transaction_status, to, payload(s))?;
        Ok((Applied { transaction: after, changed: to != t.state, granted: grant }, user))
    })
}

/// A purchase that was started.
#[derive(Debug, Clone)]
pub struct Started {
    pub transaction: Transaction,
    pub snap_token: String,
    pub redirect_url: String,
}

/// The shop's state for the frontend.
#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    pub available: bool,
    pub reason: Option<&'static str>,
    pub retry_after_seconds: u64,
}

impl Billing {
    pub(crate) fn midtrans(&self) -> Result<&std::sync::Arc<super::Midtrans>, BillingError> {
        self.midtrans.as_ref().ok_or(BillingError::NotConfigured)
    }

    pub fn availability(&self) -> Availability {
        match &self.midtrans {
            None => Availability { available: false, reason: Some("not_configured"), retry_after_seconds: 0 },
            Some(m) => match m.breaker() {
                super::midtrans::Breaker::Closed => {
                    Availability { available: true, reason: None, retry_after_seconds: 0 }
                }
                super::midtrans::Breaker::Open { retry_after } => Availability {
                    available: false,
                    reason: Some("provider_unavailable"),
                    retry_after_seconds: retry_after,
                },
            },
        }
    }

    /// Starts a purchase: the pending transaction first, then Snap. A Snap failure leaves the
    /// transaction failed (nothing was paid) and answers that the provider is unavailable.
    pub async fn start_purchase(&self, user_id: Uuid, package_id: Uuid) -> Result<Started, BillingError> {
        let midtrans = self.midtrans()?.clone();
        let limiter = &self.admin.captive.limiter;
        if let crate::auth::ratelimit::Verdict::Limited(after) =
            limiter.hit("purchase_start", &user_id.to_string(), STARTS_PER_HOUR, 3_600).await?
        {
            return Err(BillingError::RateLimited(after));
        }
        let expiry = self.settings().payments.expiry;
        let (t, user) = self
            .db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let user = load_user(tx, user_id)?;
                    may_buy(&user)?;
                    let p = packages::live(tx, package_id, false)?;
                    if !p.is_active {
                        return Err(BillingError::PackageNotFound);
                    }
                    if p.price_idr < 1 {
                        return Err(invalid("package_id", "this package is given by voucher or by an admin only"));
                    }
                    let order_id = new_order_id("HS");
                    let expires = Utc::now() + chrono::Duration::seconds(expiry.as_secs() as i64);
                    let t = insert_sale(tx, &order_id, user.id, &p, "midtrans", TxState::Pending, expires, None)?;
                    insert_event(tx, t.id, "user", "created", TxState::Pending, json!({ "package": p.name }))?;
                    Ok((t, user))
                }))
            })
            .await??;
        let order = SnapOrder {
            order_id: &t.order_id,
            amount: Rupiah(t.amount_idr),
            item_id: t.package_id.to_string(),
            item_name: &t.package_name,
            customer_name: &user.full_name,
            customer_phone: user.phone_number.local(),
            expiry_minutes: expiry.as_secs() / 60,
            finish_url: format!("{}/payment/finish?order_id={}", self.settings().public_base_url, t.order_id),
        };
        match midtrans.create_snap(&order).await {
            Ok(snap) => {
                let (id, token, url) = (t.id, snap.token.clone(), snap.redirect_url.clone());
                let t = self
                    .db()
                    .run(move |conn| {
                        Ok(diesel::update(transactions::table.find(id))
                            .set((
                                transactions::snap_token.eq(Some(token)),
                                transactions::redirect_url.eq(Some(url)),
                                transactions::updated_at.eq(Utc::now()),
                            ))
                            .returning(Transaction::as_returning())
                            .get_result(conn)?)
                    })
                    .await?;
                Ok(Started { transaction: t, snap_token: snap.token, redirect_url: snap.redirect_url })
            }
            Err(e) => {
                tracing::warn!(error = %e, "Snap refused or unreachable; the purchase is marked failed");
                let id = t.id;
                let reason = match &e {
                    MidtransError::Refused(_) | MidtransError::Decode(_) => "provider_refused",
                    MidtransError::Unavailable(_) | MidtransError::Paused(_) => "provider_unavailable",
                };
                // Nothing was paid: the order is closed the way any pending one is.
                self.close_pending(id, TxState::Failed, reason, "system").await?;
                Err(BillingError::ProviderUnavailable(e.to_string()))
            }
        }
    }

    /// A Midtrans HTTP notification: believed only through its signature; the amount must be
    /// the stored one; then the state machine. A bad signature changes nothing.
    pub async fn notification(&self, s: ProviderStatus) -> Result<Applied, BillingError> {
        let midtrans = self.midtrans()?;
        let given = s.signature_key.as_deref().unwrap_or("");
        if s.order_id.is_empty()
            || given.is_empty()
            || !signature_valid(&s.order_id, &s.status_code, &s.gross_amount, midtrans.server_key(), given)
        {
            return Err(BillingError::SignatureInvalid);
        }
        self.apply_word(s, Source::Notification).await
    }

    pub(crate) async fn apply_word(&self, s: ProviderStatus, source: Source) -> Result<Applied, BillingError> {
        let policy = self.admin.captive.policy();
        let (applied, user) = self.db().run(move |conn| Ok(apply(conn, &s, source, &policy))).await??;
        if let (true, Some((user, before))) = (applied.granted, user) {
            let receipt = Receipt::of_sale(&applied.transaction);
            self.after_grant(&user, before, "purchase", receipt).await;
        }
        Ok(applied)
    }
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
