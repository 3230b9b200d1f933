//! Public payment pages: whoever holds an order's signed payment link (the buyer on another
//! phone, or someone paying for them) sees its status and QR and may cancel it, without signing
//! in. The link names one order; its answers carry nothing of the account.

use secrecy::ExposeSecret;

use super::charges::Charge;
use super::orders::Transaction;
use super::{Billing, BillingError};
use crate::auth::payment_link;
use crate::auth::ratelimit::Verdict;
use crate::domain::ClientIp;

/// Public views per client address per minute (the status page polls every 8 s).
const VIEWS_PER_MINUTE: u32 = 60;

impl Billing {
    fn link_key(&self) -> [u8; 32] {
        crate::crypto::hmac_sha256(self.settings.jwt_secret.expose_secret().as_bytes(), &[b"payment links v1"])
    }

    /// The signed link token of `order_id`'s payment page.
    pub fn payment_link(&self, order_id: &str) -> String {
        payment_link::issue(&self.link_key(), order_id)
    }

    /// The order a link names, after its token and the address's allowance are checked.
    async fn linked(
        &self,
        order_id: &str,
        token: &str,
        client: Option<&ClientIp>,
    ) -> Result<(Transaction, Option<Charge>), BillingError> {
        if let Some(ip) = client
            && let Verdict::Limited(after) = self.limiter.hit("pay-link", &ip.as_text(), VIEWS_PER_MINUTE, 60).await?
        {
            return Err(BillingError::RateLimited(after));
        }
        if !payment_link::verify(&self.link_key(), order_id, token) {
            return Err(BillingError::LinkInvalid);
        }
        let (t, _, charge) = self.transaction(order_id).await?;
        Ok((t, charge))
    }

    pub async fn public_transaction(
        &self,
        order_id: &str,
        token: &str,
        client: Option<&ClientIp>,
    ) -> Result<(Transaction, Option<Charge>), BillingError> {
        self.linked(order_id, token, client).await
    }

    pub async fn public_qr(
        &self,
        order_id: &str,
        token: &str,
        client: Option<&ClientIp>,
    ) -> Result<Vec<u8>, BillingError> {
        let (_, charge) = self.linked(order_id, token, client).await?;
        self.qr_of(charge).await
    }

    pub async fn public_cancel(
        &self,
        order_id: &str,
        token: &str,
        client: Option<&ClientIp>,
    ) -> Result<Transaction, BillingError> {
        let (t, charge) = self.linked(order_id, token, client).await?;
        self.cancel_order(t, charge.is_some()).await
    }
}
