//! An admin's bill: a package charged to a user through the Core API (a QRIS code, an e-wallet
//! or a virtual account, as the operator offers them), sent to the user over WhatsApp with what
//! to pay by and the payment link; paid, it is granted once like any purchase (the same
//! notification path). The bill is audited with its charge.

use uuid::Uuid;

use super::charges::{Charge, PayChoice};
use diesel::PgConnection;

use super::purchase::{Started, open_order};
use super::{Billing, BillingError};
use crate::audit::Actor;
use crate::auth::ratelimit::Verdict;
use crate::domain::{PaymentMethod, VaBank};

/// Bills one admin may send per hour (each opens a charge and a message).
const BILLS_PER_HOUR: u32 = 60;

/// A bill sent.
#[derive(Debug, Clone)]
pub struct Billed {
    pub started: Started,
    /// The payment page with its signed token.
    pub link: String,
}

/// What the user pays by, as the message says it.
fn pay_with(c: Option<&Charge>) -> String {
    let Some(c) = c else { return "Midtrans".into() };
    match (c.payment_method, c.va_bank, &c.va_number, &c.bill_key) {
        (PaymentMethod::Va, Some(VaBank::Mandiri), _, Some(key)) => {
            format!("Mandiri Bill (kode biller {}, kode bayar {key})", c.biller_code.as_deref().unwrap_or("-"))
        }
        (PaymentMethod::Va, Some(bank), Some(number), _) => format!("VA {} {number}", bank.as_str().to_uppercase()),
        (PaymentMethod::Qris, ..) => "QRIS (pindai QR di tautan)".into(),
        (PaymentMethod::Gopay, ..) => "GoPay".into(),
        (PaymentMethod::Shopeepay, ..) => "ShopeePay".into(),
        (PaymentMethod::Va, ..) => "transfer virtual account".into(),
    }
}

impl Billing {
    /// Bills `user_id` for `package_id` by the chosen method (the first offered when none).
    pub async fn bill(
        &self,
        actor: &Actor,
        user_id: Uuid,
        package_id: Uuid,
        choice: PayChoice,
    ) -> Result<Billed, BillingError> {
        let midtrans = self.midtrans()?.clone();
        let r = self.runtime.get();
        let method = choice.offered(&r.core_api_payment_methods, &r.core_api_va_banks)?;
        let who = actor.user_id.map(|u| u.to_string()).unwrap_or_else(|| actor.label.clone());
        if let Verdict::Limited(after) = self.limiter.hit("bill", &who, BILLS_PER_HOUR, 3_600).await? {
            return Err(BillingError::RateLimited(after));
        }
        let (expiry, by) = (self.settings.payments.expiry, actor.clone());
        let open = move |conn: &mut PgConnection| open_order(conn, user_id, package_id, expiry, Some(&by), None);
        let started = self.open_payment(&midtrans, open, Some(method), Some(actor)).await?;
        let t = &started.transaction;
        let link = format!(
            "{}/payment/status?order_id={}&t={}",
            self.settings().public_base_url,
            t.order_id,
            self.payment_link(&t.order_id)
        );
        let event = crate::notify::Event::Bill {
            reference: t.order_id.clone(),
            package: t.package_name.clone(),
            amount_idr: t.amount_idr,
            pay_with: pay_with(started.charge.as_ref()),
            link: link.clone(),
            due: crate::domain::days::local_time_text(t.expires_at, self.settings().timezone),
        };
        crate::notify::tell(&self.accounts.queues, user_id, event).await;
        Ok(Billed { started, link })
    }
}
