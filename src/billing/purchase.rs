//! Buying a package through Midtrans Snap: the transaction is written (pending, with an
//! unguessable order id) before Snap is called, so no notification can name an order we do not
//! know; Midtrans's word (a signed notification, or its status API when a notification was
//! missed) moves it through the state machine of `domain::payment`, and money in grants the
//! package once through the grant path.

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::charges::{self, Charge, CoreMethod, PayChoice};
use super::orders::{Transaction, by_order, grant_sale, insert_event, insert_sale, new_order_id, set_snap};
use super::{Billing, BillingError, Receipt, invalid, load_user, may_buy, packages};
use crate::accounts::debts::Settled;
use crate::audit::Actor;
use crate::db::models::User;
use crate::db::schema::transactions;
use crate::domain::payment::{ProviderWord, Step, believable_alone, decide};
use crate::domain::{LedgerSource, ProviderMode, Rupiah, SaleChannel, TxEventSource, TxPurpose, TxState};
use crate::midtrans::{Breaker, MidtransError, Order, ProviderStatus, signature_valid};

/// How many purchases one user may start per hour (each calls Snap).
const STARTS_PER_HOUR: u32 = 20;

/// What applying the provider's word did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub transaction: Transaction,
    pub changed: bool,
    /// Money came in now: the package granted, or the debts settled.
    pub granted: bool,
    /// The settlement a paid debt order made.
    pub settled: Option<Settled>,
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
    source: TxEventSource,
    policy: &crate::domain::policy::RouterPolicy,
) -> Result<(Applied, Option<(User, crate::domain::AccessStatus)>), BillingError> {
    conn.transaction::<_, BillingError, _>(|tx| {
        let t = by_order(tx, &s.order_id, true)?;
        if t.channel != SaleChannel::Midtrans {
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
            return Ok((Applied { transaction: t, changed: false, granted: false, settled: None }, None));
        }
        let (mut user, mut settled) = (None, None);
        let mut ledger_id = t.ledger_id;
        match (grant, t.purpose) {
            (false, _) => {}
            (true, TxPurpose::Package) => {
                let (id, u, before) = grant_sale(tx, &t, LedgerSource::Purchase, None, policy)?;
                ledger_id = Some(id);
                user = Some((u, before));
            }
            (true, TxPurpose::Debt) => {
                let (s, before) = super::orders::settle_paid(tx, &t, policy)?;
                ledger_id = s.settlement.auto_ledger_id;
                user = Some((s.user.clone(), before));
                settled = Some(s);
            }
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
        insert_event(tx, t.id, source, &s.transaction_status, to, payload(s))?;
        Ok((Applied { transaction: after, changed: to != t.state, granted: grant, settled }, user))
    })
}

/// A purchase's order, pending, before Snap is asked: the account may buy, the package is on
/// sale for money; its id unguessable.
pub(super) fn open_order(
    conn: &mut PgConnection,
    user_id: Uuid,
    package_id: Uuid,
    expiry: std::time::Duration,
    by: Option<&Actor>,
    here: Option<i32>,
) -> Result<(Transaction, User), BillingError> {
    conn.transaction(|tx| {
        let user = load_user(tx, user_id)?;
        if let Some(a) = by {
            crate::accounts::may_act_on(a, &user)?;
        }
        may_buy(&user)?;
        let p = packages::live(tx, package_id, false)?;
        if !p.is_active {
            return Err(BillingError::PackageNotFound);
        }
        if p.price_idr < 1 {
            return Err(invalid("package_id", "this package is given by voucher or by an admin only"));
        }
        if by.is_none() {
            super::offers::sold_to(tx, user.id, &p.site_ids, here)?;
        }
        let order_id = new_order_id("HS");
        let expires = Utc::now() + chrono::Duration::seconds(expiry.as_secs() as i64);
        let made_by = by.map(|a| (None, a.user_id));
        let t = insert_sale(tx, &order_id, user.id, &p, SaleChannel::Midtrans, TxState::Pending, expires, made_by)?;
        let (source, what) =
            if by.is_some() { (TxEventSource::Admin, "billed") } else { (TxEventSource::User, "created") };
        insert_event(tx, t.id, source, what, TxState::Pending, json!({ "package": p.name }))?;
        Ok((t, user))
    })
}

/// A purchase that was started: on Snap's page (its token and URL in the row), or as a Core
/// API charge.
#[derive(Debug, Clone)]
pub struct Started {
    pub transaction: Transaction,
    pub charge: Option<Charge>,
}

/// How Midtrans opened a payment.
enum Opened {
    Snap(crate::midtrans::SnapToken),
    Core(CoreMethod, Box<crate::midtrans::Charged>),
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
                Breaker::Closed => Availability { available: true, reason: None, retry_after_seconds: 0 },
                Breaker::Open { retry_after } => Availability {
                    available: false,
                    reason: Some("provider_unavailable"),
                    retry_after_seconds: retry_after,
                },
            },
        }
    }

    /// Starts a purchase: the pending transaction first, then Snap or a Core API charge as
    /// the operator set the shop (the choice checked against what is offered before anything
    /// is written). A refusal or failure of Midtrans leaves the transaction failed (nothing was
    /// paid) and answers that the provider is unavailable.
    pub async fn start_purchase(
        &self,
        user_id: Uuid,
        package_id: Uuid,
        choice: PayChoice,
        at: super::At<'_>,
    ) -> Result<Started, BillingError> {
        let (midtrans, core) = self.payment_way(user_id, choice, "purchase_start").await?;
        let expiry = self.settings().payments.expiry;
        let here = self.fleet.site_id_at(at.0, at.1).await;
        let open = move |conn: &mut PgConnection| open_order(conn, user_id, package_id, expiry, None, here);
        self.open_payment(&midtrans, open, core, None).await
    }

    /// How a payment the user starts is made: Midtrans, and the Core API method chosen among
    /// those offered when the shop uses it (checked before anything is written); counted in the
    /// user's hourly `bucket`.
    pub(super) async fn payment_way(
        &self,
        user_id: Uuid,
        choice: PayChoice,
        bucket: &str,
    ) -> Result<(std::sync::Arc<super::Midtrans>, Option<CoreMethod>), BillingError> {
        let midtrans = self.midtrans()?.clone();
        let r = self.runtime.get();
        let core = match r.payment_provider_mode {
            ProviderMode::Snap => None,
            ProviderMode::CoreApi => Some(choice.offered(&r.core_api_payment_methods, &r.core_api_va_banks)?),
        };
        if let crate::auth::ratelimit::Verdict::Limited(after) =
            self.limiter.hit(bucket, &user_id.to_string(), STARTS_PER_HOUR, 3_600).await?
        {
            return Err(BillingError::RateLimited(after));
        }
        Ok((midtrans, core))
    }

    /// The order written pending by `open` (one unit of work), then Snap or the charge; `by` an
    /// admin billing the user (the charge audited with it).
    pub(super) async fn open_payment<F>(
        &self,
        midtrans: &super::Midtrans,
        open: F,
        core: Option<CoreMethod>,
        by: Option<&Actor>,
    ) -> Result<Started, BillingError>
    where
        F: FnOnce(&mut PgConnection) -> Result<(Transaction, User), BillingError> + Send + 'static,
    {
        let expiry = self.settings().payments.expiry;
        let (t, user) = self.db().run(move |conn| Ok(open(conn))).await??;
        let base = &self.settings().public_base_url;
        let order = Order {
            order_id: &t.order_id,
            amount: Rupiah(t.amount_idr),
            item_id: t.package_id.map_or_else(|| "DEBT_SETTLEMENT".to_owned(), |p| p.to_string()),
            item_name: &t.package_name,
            customer_name: &user.full_name,
            customer_phone: user.phone_number.local(),
            expiry_minutes: expiry.as_secs() / 60,
            return_url: match core {
                None => format!("{base}/payment/finish?order_id={}&t={}", t.order_id, self.payment_link(&t.order_id)),
                Some(_) => {
                    format!("{base}/payment/status?order_id={}&t={}", t.order_id, self.payment_link(&t.order_id))
                }
            },
        };
        let opened = match core {
            None => midtrans.create_snap(&order).await.map(Opened::Snap),
            Some(m) => midtrans.charge(&order, m.method, m.bank).await.map(|c| Opened::Core(m, Box::new(c))),
        };
        match opened {
            Ok(Opened::Snap(snap)) => {
                let (id, token, url) = (t.id, snap.token, snap.redirect_url);
                let t = self.db().run(move |conn| Ok(set_snap(conn, id, token, url)?)).await?;
                Ok(Started { transaction: t, charge: None })
            }
            Ok(Opened::Core(m, charged)) => {
                let charge = Charge::of(t.id, m, *charged);
                let (stored, billed, actor) = (charge.clone(), t.clone(), by.cloned());
                self.db().run(move |conn| Ok(charges::record(conn, &stored, &billed, actor.as_ref()))).await??;
                Ok(Started { transaction: t, charge: Some(charge) })
            }
            Err(e) => {
                tracing::warn!(error = %e, "Midtrans refused or unreachable; the purchase is marked failed");
                let id = t.id;
                let reason = match &e {
                    MidtransError::Refused(_) | MidtransError::Decode(_) => "provider_refused",
                    MidtransError::Unavailable(_) | MidtransError::Paused(_) => "provider_unavailable",
                };
                // Nothing was paid: the order is closed the way any pending one is.
                self.close_pending(id, TxState::Failed, reason, TxEventSource::System).await?;
                Err(BillingError::ProviderUnavailable(e.to_string()))
            }
        }
    }

    /// A Midtrans HTTP notification: believed only through its signature; the amount must be
    /// the stored one; then the state machine. A bad signature changes nothing. A word the
    /// signature does not pin down (anything that pays or refunds, or disagrees with its signed
    /// status code) is asked of the status API, whose answer is applied instead; Midtrans
    /// unreachable then answers 503 and Midtrans sends the notification again.
    pub async fn notification(&self, s: ProviderStatus) -> Result<Applied, BillingError> {
        let midtrans = self.midtrans()?;
        let given = s.signature_key.as_deref().unwrap_or("");
        if s.order_id.is_empty()
            || given.is_empty()
            || !signature_valid(&s.order_id, &s.status_code, &s.gross_amount, midtrans.server_key(), given)
        {
            return Err(BillingError::SignatureInvalid);
        }
        if believable_alone(ProviderWord::parse(&s.transaction_status), &s.status_code) {
            return self.apply_word(s, TxEventSource::Notification).await;
        }
        let order = s.order_id.clone();
        let t = self.db().run(move |conn| Ok(by_order(conn, &order, false))).await??;
        if t.channel != SaleChannel::Midtrans {
            return Err(BillingError::TransactionNotFound);
        }
        if Rupiah::parse_provider(&s.gross_amount) != Some(Rupiah(t.amount_idr)) {
            return Err(BillingError::AmountMismatch);
        }
        // Midtrans not knowing the order (a Snap page nobody chose a method on) confirms nothing.
        Ok(self.check_with_provider(&s.order_id).await?.unwrap_or(Applied {
            transaction: t,
            changed: false,
            granted: false,
            settled: None,
        }))
    }

    pub(crate) async fn apply_word(&self, s: ProviderStatus, source: TxEventSource) -> Result<Applied, BillingError> {
        let policy = self.runtime.policy();
        let (applied, user) = self.db().run(move |conn| Ok(apply(conn, &s, source, &policy))).await??;
        match (&applied.settled, user) {
            (Some(s), _) if s.new => self.after_settlement(s).await,
            (None, Some((user, before))) if applied.granted => {
                let receipt = Receipt::of_sale(&applied.transaction);
                self.after_grant(&user, before, "purchase", receipt).await;
            }
            _ => {}
        }
        Ok(applied)
    }
}
