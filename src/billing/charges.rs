//! A Core API payment's charge (the only writer of `transaction_charges`): the method the buyer
//! chose and what Midtrans's charge gave them to pay with, written with the order's row once
//! Midtrans answered; the choice checked against what the operator offers.

use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::BillingError;
use crate::db::schema::transaction_charges;
use crate::domain::{PaymentMethod, VaBank};
use crate::midtrans::Charged;

/// What the buyer asked for (the edge parsed the words; nothing checked yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PayChoice {
    pub method: Option<PaymentMethod>,
    pub bank: Option<VaBank>,
}

/// A Core API payment's method and bank, as the operator offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreMethod {
    pub method: PaymentMethod,
    /// Some exactly for a virtual account.
    pub bank: Option<VaBank>,
}

impl PayChoice {
    /// The method the operator offers for this choice: none named takes the first offered (a
    /// VA without a bank, the first bank offered); one not offered is refused.
    pub fn offered(self, methods: &[PaymentMethod], banks: &[VaBank]) -> Result<CoreMethod, BillingError> {
        let method = match self.method {
            None => *methods.first().ok_or_else(|| not_offered("payment_method"))?,
            Some(m) if methods.contains(&m) => m,
            Some(_) => return Err(not_offered("payment_method")),
        };
        let bank = match (method, self.bank) {
            (PaymentMethod::Va, None) => Some(*banks.first().ok_or_else(|| not_offered("va_bank"))?),
            (PaymentMethod::Va, Some(b)) if banks.contains(&b) => Some(b),
            (PaymentMethod::Va, Some(_)) => return Err(not_offered("va_bank")),
            _ => None,
        };
        Ok(CoreMethod { method, bank })
    }
}

fn not_offered(field: &'static str) -> BillingError {
    let what = if field == "va_bank" { "Bank VA tidak tersedia." } else { "Metode pembayaran tidak tersedia." };
    super::invalid(field, what)
}

/// A charge as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = transaction_charges)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Charge {
    pub transaction_id: Uuid,
    pub payment_method: PaymentMethod,
    pub va_bank: Option<VaBank>,
    pub va_number: Option<String>,
    pub bill_key: Option<String>,
    pub biller_code: Option<String>,
    pub qr_string: Option<String>,
    pub qr_url: Option<String>,
    pub deeplink_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl Charge {
    pub fn of(transaction_id: Uuid, m: CoreMethod, c: Charged) -> Self {
        Charge {
            transaction_id,
            payment_method: m.method,
            va_bank: m.bank,
            va_number: c.va_number,
            bill_key: c.bill_key,
            biller_code: c.biller_code,
            qr_string: c.qr_string,
            qr_url: c.qr_url,
            deeplink_url: c.deeplink_url,
            created_at: chrono::Utc::now(),
        }
    }

    /// The method as the frontend's pages name it: `qris`, `gopay`, `shopeepay`, `echannel`
    /// (Mandiri's bill payment) or `<bank>_va`.
    pub fn frontend_method(&self) -> String {
        match (self.payment_method, self.va_bank) {
            (PaymentMethod::Va, Some(VaBank::Mandiri)) => "echannel".into(),
            (PaymentMethod::Va, Some(b)) => format!("{}_va", b.as_str()),
            (m, _) => m.as_str().into(),
        }
    }

    /// Whether the buyer has a QR to scan (QRIS text, or Midtrans's image for GoPay).
    pub fn has_qr(&self) -> bool {
        self.qr_string.is_some() || self.qr_url.is_some()
    }
}

impl super::Billing {
    /// The QR image of one of the user's payments: drawn here from its QRIS text, or
    /// Midtrans's own image (GoPay has no QR text).
    pub async fn payment_qr(&self, user_id: Uuid, order_id: &str) -> Result<Vec<u8>, BillingError> {
        let (_, _, charge) = self.transaction_of(user_id, order_id).await?;
        self.qr_of(charge).await
    }

    pub(super) async fn qr_of(&self, charge: Option<Charge>) -> Result<Vec<u8>, BillingError> {
        let c = charge.filter(Charge::has_qr).ok_or(BillingError::NoQr)?;
        let unavailable = |e: String| BillingError::ProviderUnavailable(e);
        match (&c.qr_string, &c.qr_url) {
            (Some(text), _) => crate::whatsapp::qr::png_of(text).map_err(|e| unavailable(e.to_string())),
            (None, Some(url)) => self.midtrans()?.qr_image(url).await.map_err(|e| unavailable(e.to_string())),
            (None, None) => Err(BillingError::NoQr),
        }
    }
}

/// The charge Midtrans opened for `t`, and, when an admin billed the user, its audit row, in
/// one transaction.
pub(crate) fn record(
    conn: &mut PgConnection,
    c: &Charge,
    t: &super::orders::Transaction,
    by: Option<&crate::audit::Actor>,
) -> Result<(), BillingError> {
    conn.transaction(|tx| {
        diesel::insert_into(transaction_charges::table).values(c).execute(tx)?;
        if let Some(a) = by {
            let details = serde_json::json!({ "order_id": t.order_id, "package": t.package_name,
                "amount_idr": t.amount_idr, "payment_method": c.frontend_method() });
            let target = crate::audit::Target::user(t.user_id);
            crate::audit::record(tx, a, crate::domain::AuditAction::BillCreate, Some(target), details)?;
        }
        Ok(())
    })
}

pub(crate) fn of_transaction(conn: &mut PgConnection, id: Uuid) -> Result<Option<Charge>, diesel::result::Error> {
    transaction_charges::table.find(id).select(Charge::as_select()).first(conn).optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_takes_only_what_the_operator_offers() {
        let methods = [PaymentMethod::Qris, PaymentMethod::Va];
        let banks = [VaBank::Bri, VaBank::Mandiri];
        let pick = |method, bank| PayChoice { method, bank }.offered(&methods, &banks);
        assert_eq!(pick(None, None).unwrap(), CoreMethod { method: PaymentMethod::Qris, bank: None });
        assert_eq!(pick(Some(PaymentMethod::Qris), Some(VaBank::Bca)).unwrap().bank, None, "a bank only for a VA");
        assert_eq!(pick(Some(PaymentMethod::Va), None).unwrap().bank, Some(VaBank::Bri));
        assert_eq!(pick(Some(PaymentMethod::Va), Some(VaBank::Mandiri)).unwrap().bank, Some(VaBank::Mandiri));
        assert!(pick(Some(PaymentMethod::Va), Some(VaBank::Bca)).is_err());
        assert!(pick(Some(PaymentMethod::Gopay), None).is_err());
    }

    #[test]
    fn the_frontend_names_each_method() {
        let c = |m, b| Charge {
            transaction_id: Uuid::nil(),
            payment_method: m,
            va_bank: b,
            va_number: None,
            bill_key: None,
            biller_code: None,
            qr_string: None,
            qr_url: None,
            deeplink_url: None,
            created_at: chrono::Utc::now(),
        };
        assert_eq!(c(PaymentMethod::Va, Some(VaBank::Mandiri)).frontend_method(), "echannel");
        assert_eq!(c(PaymentMethod::Va, Some(VaBank::Bni)).frontend_method(), "bni_va");
        assert_eq!(c(PaymentMethod::Shopeepay, None).frontend_method(), "shopeepay");
    }
}
