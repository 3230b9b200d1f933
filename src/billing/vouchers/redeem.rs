//! Redeeming a code: one transaction holding the code's row, so of two phones racing for one
//! code one wins and the other is told it is used; wrong guesses limited per user and address.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::codes::{code_hash, normalize};
use crate::accounts::grant::{self, Grant, Outcome};
use crate::accounts::status;
use crate::billing::{At, Billing, BillingError, Receipt, load_user, may_buy, packages};
use crate::db::models::User;
use crate::db::schema::{voucher_batches, vouchers};
use crate::domain::LedgerSource;

/// Wrong codes allowed per user and per address in a window.
const FAILS_PER_USER: u32 = 5;
const FAILS_PER_ADDRESS: u32 = 20;
const FAIL_WINDOW_SECS: u64 = 900;

/// A redemption: what it gave.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub voucher_id: Uuid,
    pub user: User,
    /// The user's access status before the voucher.
    pub before: crate::domain::AccessStatus,
    pub package_name: String,
    pub quota_bytes: i64,
    pub is_unlimited: bool,
    pub validity_days: i32,
}

impl Billing {
    /// Redeems a code for a signed-in user: once, whoever races for it. Wrong codes are limited
    /// per user, and per address only off the hotspot: behind its egress a whole venue shares
    /// one address, and one group's guesses must not lock everyone else out. Each attempt is
    /// counted before it is evaluated and given back unless the code was wrong, so a burst
    /// cannot slip past the limit between the check and the count.
    pub async fn redeem(&self, user_id: Uuid, at: At<'_>, code: &str) -> Result<Redeemed, BillingError> {
        let limiter = self.limiter.clone();
        let user_key = user_id.to_string();
        let client = at.0.cloned();
        // At any site (the environment's networks, or another site's egress) a venue shares one
        // address: it is not limited as one person's.
        let here = self.fleet.site_id_at(at.0, at.1).await;
        let on_hotspot = here.is_some() || self.settings.hotspot.networks.on_hotspot(client.as_ref());
        let addr_key = client.filter(|_| !on_hotspot).map(|c| c.as_text());
        let mut limits = vec![("voucher_fail_user", user_key.as_str(), FAILS_PER_USER)];
        if let Some(a) = &addr_key {
            limits.push(("voucher_fail_addr", a.as_str(), FAILS_PER_ADDRESS));
        }
        let counted = match limiter.count_all(&limits, FAIL_WINDOW_SECS).await? {
            Ok(counted) => counted,
            Err(after) => return Err(BillingError::RateLimited(after)),
        };
        let result = self.redeem_once(user_id, code, here).await;
        // Only a wrong code counts against the limits.
        if !matches!(result, Err(BillingError::VoucherInvalid(_))) {
            limiter.give_back_all(&counted).await;
        }
        let r = result?;
        let receipt = Receipt::new(
            "voucher_receipt",
            format!("voucher-{}", r.voucher_id),
            &r.package_name,
            0,
            r.quota_bytes,
            r.is_unlimited,
        );
        self.after_grant(&r.user, r.before, "voucher", receipt).await;
        Ok(r)
    }

    async fn redeem_once(&self, user_id: Uuid, code: &str, here: Option<i32>) -> Result<Redeemed, BillingError> {
        let canonical = normalize(code).ok_or(BillingError::VoucherInvalid("not a voucher code"))?;
        let hash = code_hash(&self.voucher_key(), &canonical);
        let policy = self.runtime.policy();
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let user = load_user(tx, user_id)?;
                    may_buy(&user)?;
                    // An admin mints vouchers: redeeming one would be granting himself quota,
                    // which only a super admin may do for an admin account.
                    if user.role == crate::domain::Role::Admin {
                        return Err(BillingError::AccountNotAllowed(
                            "an admin account gets quota from a super admin, not from a voucher",
                        ));
                    }
                    // The code's row is held to the end: a second redeemer waits here, then
                    // sees it used.
                    let found: Option<(Uuid, Option<DateTime<Utc>>, Uuid)> = vouchers::table
                        .filter(vouchers::code_hash.eq(&hash))
                        .select((vouchers::id, vouchers::redeemed_at, vouchers::batch_id))
                        .for_update()
                        .first(tx)
                        .optional()?;
                    let Some((voucher_id, redeemed_at, batch_id)) = found else {
                        return Err(BillingError::VoucherInvalid("unknown code"));
                    };
                    if redeemed_at.is_some() {
                        return Err(BillingError::VoucherUsed);
                    }
                    let p = batch_package(tx, batch_id, user_id, here)?;
                    let key = format!("voucher:{voucher_id}");
                    let g = Grant {
                        details: json!({ "voucher_id": voucher_id, "package": p.name }),
                        ..Grant::package(
                            user_id,
                            p.quota_bytes,
                            p.validity_days,
                            p.is_unlimited,
                            key,
                            LedgerSource::Voucher,
                        )
                    };
                    let (outcome, after) = grant::grant(tx, &g)?;
                    let Outcome::Granted { ledger_id } = outcome else {
                        return Err(BillingError::VoucherUsed);
                    };
                    diesel::update(vouchers::table.find(voucher_id))
                        .set((
                            vouchers::redeemed_by.eq(Some(user_id)),
                            vouchers::redeemed_at.eq(Some(Utc::now())),
                            vouchers::ledger_id.eq(Some(ledger_id)),
                        ))
                        .execute(tx)?;
                    let before = after.access_status;
                    let user = status::store(tx, after, &policy)?;
                    Ok(Redeemed {
                        voucher_id,
                        user,
                        before,
                        package_name: p.name,
                        quota_bytes: p.quota_bytes,
                        is_unlimited: p.is_unlimited,
                        validity_days: p.validity_days,
                    })
                }))
            })
            .await?
    }
}

/// A redeemable batch's package: not revoked, and sold to this user where they are (the
/// batch's sites when it names some, else its package's). Read, not locked: redemptions of one
/// batch do not queue behind each other.
fn batch_package(
    tx: &mut PgConnection,
    batch_id: Uuid,
    user_id: Uuid,
    here: Option<i32>,
) -> Result<packages::Package, BillingError> {
    let (package_id, revoked_at, batch_sites): (Uuid, Option<DateTime<Utc>>, Vec<i32>) = voucher_batches::table
        .find(batch_id)
        .select((voucher_batches::package_id, voucher_batches::revoked_at, voucher_batches::site_ids))
        .first(tx)?;
    if revoked_at.is_some() {
        return Err(BillingError::VoucherInvalid("the batch was revoked"));
    }
    let p = crate::db::schema::packages::table.find(package_id).select(packages::Package::as_select()).first(tx)?;
    let sites = if batch_sites.is_empty() { &p.site_ids } else { &batch_sites };
    crate::billing::offers::sold_to(tx, user_id, sites, here)?;
    Ok(p)
}
