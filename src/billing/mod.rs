//! The billing room: packages on sale, payments through Midtrans (`purchase`), vouchers, cash
//! sales by an admin. One writer per table: `packages`, `transactions` (+ their events),
//! `voucher_batches` and `vouchers` are written here only.
//!
//! Every sale gives its package through the one grant path (`accounts::grant`): in the
//! sale's transaction, the ledger row keyed by its cause (`order:{order_id}`,
//! `voucher:{voucher_id}`) first, then totals, expiry and the stored access status; after the
//! commit the user's router reconcile is queued and the receipt sent. A cause grants once,
//! whatever is resent, raced or retried.

pub mod bills;
pub mod charges;
pub mod debts;
pub mod doc_sends;
pub mod documents;
pub mod history;
pub mod links;
pub(crate) mod offers;
pub mod orders;
pub mod packages;
pub mod purchase;
pub mod report;
mod report_doc;
pub mod sale;
pub mod status_check;
pub mod user_docs;
pub mod vouchers;

use std::sync::Arc;

use diesel::prelude::*;
use uuid::Uuid;

use crate::accounts::{AccountError, Accounts};
use crate::auth::ratelimit::Limiter;
use crate::config::Settings;
use crate::db::models::User;
use crate::db::{Db, DbError};
use crate::domain::Bytes;
use crate::kv::KvError;
pub use crate::midtrans::Midtrans;
use crate::settings::Runtime;
use packages::Package;
use secrecy::ExposeSecret;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("no such package")]
    PackageNotFound,
    #[error("no such transaction")]
    TransactionNotFound,
    #[error("no such voucher batch")]
    BatchNotFound,
    #[error("this payment has no QR")]
    NoQr,
    /// Documents cannot be written (no readable font).
    #[error("documents are unavailable: {0}")]
    DocumentsUnavailable(String),
    /// A payment link's token that is not this order's, or has expired.
    #[error("payment link invalid or expired")]
    LinkInvalid,
    #[error("document link invalid or expired")]
    DocumentLinkInvalid,
    /// A code that is not one of ours, or whose batch was revoked.
    #[error("voucher invalid: {0}")]
    VoucherInvalid(&'static str),
    #[error("voucher already used")]
    VoucherUsed,
    #[error("notification signature invalid")]
    SignatureInvalid,
    #[error("notification amount does not match the order")]
    AmountMismatch,
    #[error("payments through Midtrans are not configured")]
    NotConfigured,
    #[error("payment provider unavailable: {0}")]
    ProviderUnavailable(String),
    /// The account may not buy (waiting, rejected, inactive, blocked).
    #[error("account may not buy: {0}")]
    AccountNotAllowed(&'static str),
    #[error("too many attempts; retry after {0} s")]
    RateLimited(u64),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Kv(#[from] KvError),
}

impl From<diesel::result::Error> for BillingError {
    fn from(e: diesel::result::Error) -> Self {
        BillingError::Db(e.into())
    }
}

pub fn invalid(field: &str, reason: impl Into<String>) -> BillingError {
    BillingError::Invalid { field: field.to_owned(), reason: reason.into() }
}

/// The room's handles and the core rooms it works with; cheap to clone.
#[derive(Clone)]
pub struct Billing {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub runtime: Runtime,
    pub accounts: Accounts,
    /// Purchases started and voucher guesses are limited per user and address.
    pub limiter: Limiter,
    /// `None`: no Midtrans account configured; vouchers and cash sales still work.
    pub midtrans: Option<Arc<Midtrans>>,
    /// The documents' fonts (`None`: documents are unavailable).
    pub fonts: Option<crate::pdf::Fonts>,
    /// The sites: which one a buyer is at (packages and vouchers may be sold at some only).
    pub fleet: crate::sites::fleet::Fleet,
}

impl Billing {
    pub fn db(&self) -> &Db {
        &self.db
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The key voucher codes are derived and hashed with: the OTP secret, domain-separated
    /// (a database alone never yields a redeemable code).
    fn voucher_key(&self) -> [u8; 32] {
        crate::crypto::hmac_sha256(self.settings.otp_secret.expose_secret().as_bytes(), &[b"hotspot voucher codes v1"])
    }

    /// After a grant committed: the router follows, the user gets the receipt and, when the
    /// grant moved their access status, hears that too.
    async fn after_grant(
        &self,
        user: &User,
        before: crate::domain::AccessStatus,
        reason: &'static str,
        receipt: Receipt,
    ) {
        self.accounts.reconcile_later(user.id, reason).await;
        let queues = &self.accounts.queues;
        let event = crate::notify::Event::Receipt {
            template: receipt.template.to_owned(),
            reference: receipt.reference.clone(),
            package: receipt.package,
            amount_idr: receipt.amount_idr,
            quota: receipt.quota,
        };
        crate::notify::tell(queues, user.id, event).await;
        if user.access_status != before && crate::notify::Event::worth_telling(user.access_status) {
            let event = crate::notify::Event::Status { to: user.access_status, cause: receipt.reference, reason: None };
            crate::notify::tell(queues, user.id, event).await;
        }
    }
}

/// What a receipt says.
struct Receipt {
    template: &'static str,
    reference: String,
    package: String,
    amount_idr: i64,
    quota: String,
}

impl Receipt {
    fn new(
        template: &'static str,
        reference: String,
        package: &str,
        amount_idr: i64,
        bytes: i64,
        unlimited: bool,
    ) -> Self {
        let quota = if unlimited { "unlimited".to_owned() } else { Bytes(bytes).to_string() };
        Self { template, reference, package: package.to_owned(), amount_idr, quota }
    }

    /// The receipt of a paid sale (online or cash), named by its order.
    fn of_sale(t: &orders::Transaction) -> Self {
        Self::new("purchase_receipt", t.order_id.clone(), &t.package_name, t.amount_idr, t.quota_bytes, t.is_unlimited)
    }
}

/// What `bytes` would cost at the best rate on sale (price per byte of the finite packages);
/// `None` when nothing finite is on sale. Rounded up to the rupiah.
pub fn estimate_rupiah(packages: &[Package], bytes: i64) -> Option<i64> {
    if bytes <= 0 {
        return Some(0);
    }
    packages
        .iter()
        .filter(|p| !p.is_unlimited && p.quota_bytes > 0 && p.price_idr > 0)
        .map(|p| {
            let (n, d) = (i128::from(p.price_idr) * i128::from(bytes), i128::from(p.quota_bytes));
            (n + d - 1) / d
        })
        .min()
        .map(|rp| i64::try_from(rp).unwrap_or(i64::MAX))
}

/// Where a buyer asks from: the request's address and the site token it names, if any.
pub type At<'a> = (Option<&'a crate::domain::ClientIp>, Option<&'a crate::domain::site::SiteToken>);

/// Whether this account may buy or redeem.
pub fn may_buy(u: &User) -> Result<(), BillingError> {
    use crate::domain::ApprovalStatus;
    match u.approval_status {
        ApprovalStatus::Approved => {}
        ApprovalStatus::Pending => return Err(BillingError::AccountNotAllowed("the account waits for approval")),
        ApprovalStatus::Rejected => return Err(BillingError::AccountNotAllowed("the registration was rejected")),
    }
    if !u.is_active {
        return Err(BillingError::AccountNotAllowed("the account is inactive"));
    }
    if u.is_blocked {
        return Err(BillingError::AccountNotAllowed("the account is blocked"));
    }
    Ok(())
}

pub(crate) fn load_user(conn: &mut PgConnection, id: Uuid) -> Result<User, BillingError> {
    crate::accounts::find(conn, id)?.ok_or(BillingError::Account(AccountError::UserNotFound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_write_rupiah_as_people_read_them() {
        let cases = [(0, "Rp0"), (500, "Rp500"), (1_000, "Rp1.000"), (15_000, "Rp15.000"), (1_250_000, "Rp1.250.000")];
        for (n, want) in cases {
            assert_eq!(crate::domain::Rupiah(n).to_string(), want);
        }
        assert_eq!(crate::domain::Rupiah(-15_000).to_string(), "-Rp15.000");
    }

    #[test]
    fn a_debt_is_priced_at_the_best_finite_rate_on_sale() {
        let pkg = |price: i64, gib: i64, unlimited: bool| Package {
            id: Uuid::nil(),
            name: String::new(),
            description: None,
            price_idr: price,
            quota_bytes: gib * crate::domain::GIB,
            is_unlimited: unlimited,
            validity_days: 30,
            is_active: true,
            sort_order: 0,
            deleted_at: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            site_ids: Vec::new(),
        };
        let shop = [pkg(15_000, 10, false), pkg(50_000, 50, false), pkg(100_000, 0, true), pkg(0, 5, false)];
        let g = crate::domain::GIB;
        let cases = [
            (&shop[..], 0, Some(0)),
            (&shop[..], g, Some(1_000)),       // 50 GiB for 50,000: Rp1,000 a GiB beats 1,500
            (&shop[..], g / 2 + 1, Some(501)), // rounded up
            (&shop[2..], g, None),             // only unlimited and free packages
            (&[][..], g, None),
        ];
        for (packages, bytes, want) in cases {
            assert_eq!(estimate_rupiah(packages, bytes), want, "{bytes}");
        }
    }
}
