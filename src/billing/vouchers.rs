//! Vouchers: printed codes that each give a package once. A batch's codes are derived from a
//! server secret (so the batch can be printed again) and only their keyed hashes are stored
//! (so the database alone never yields a code). Redeeming is one transaction holding the
//! code's row: of two phones racing for one code, one wins and the other is told it is used.
//! Wrong guesses are limited per user and per address.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Billing, BillingError, Receipt, invalid, load_user, may_buy, packages};
use crate::admin::Actor;
use crate::admin::audit::{self, Target};
use crate::admin::grant::{self, Grant, Outcome};
use crate::admin::lifecycle::store_status;
use crate::auth::crypto::hmac_sha256;
use crate::auth::ratelimit::{Limiter, Verdict};
use crate::db::models::User;
use crate::db::schema::{packages as packages_t, voucher_batches, vouchers};
use crate::domain::ClientIp;

/// No 0/O, 1/I/L: a code read off paper is typed right.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 12 characters of 31: about 59 bits, far beyond guessing at the rate limits below.
pub const CODE_LEN: usize = 12;
pub const MAX_BATCH: i32 = 5_000;

/// Wrong codes allowed per user and per address in a window.
const FAILS_PER_USER: u32 = 5;
const FAILS_PER_ADDRESS: u32 = 20;
const FAIL_WINDOW_SECS: u64 = 900;

/// The code of voucher `seq` in `batch`, grouped `XXXX-XXXX-XXXX`.
pub fn derive_code(key: &[u8; 32], batch: Uuid, seq: i32) -> String {
    let mut chars = Vec::with_capacity(CODE_LEN);
    let mut round = 0u32;
    while chars.len() < CODE_LEN {
        let block = hmac_sha256(key, &[b"code", batch.as_bytes(), &seq.to_be_bytes(), &round.to_be_bytes()]);
        // Rejection sampling keeps every character equally likely.
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        for b in block {
            if b < limit && chars.len() < CODE_LEN {
                chars.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
        round += 1;
    }
    let s: String = chars.into_iter().collect();
    format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..])
}

/// A code as typed → its canonical form, or `None` when it cannot be one of ours.
pub fn normalize(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).map(|c| c.to_ascii_uppercase()).collect();
    (s.len() == CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

/// What is stored of a code: its keyed hash.
pub fn code_hash(key: &[u8; 32], canonical: &str) -> String {
    hex::encode(hmac_sha256(key, &[b"hash", canonical.as_bytes()]))
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = voucher_batches)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Batch {
    pub id: Uuid,
    pub package_id: Uuid,
    pub code_count: i32,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<Uuid>,
}

/// A batch as the admin list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchSummary {
    #[serde(flatten)]
    pub batch: Batch,
    pub package_name: String,
    pub redeemed: i64,
}

/// One code's state (the code itself is only in the batch's CSV).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeState {
    pub seq: i32,
    /// `available`, `redeemed` or `revoked`.
    pub state: &'static str,
    pub redeemed_at: Option<DateTime<Utc>>,
    /// The redeemer's phone, masked.
    pub redeemed_by: Option<String>,
}

/// A batch just made: its codes, shown once here and printable again from the CSV.
pub struct NewBatch {
    pub batch: Batch,
    pub codes: Vec<String>,
}

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

fn batch_target(id: Uuid) -> Target {
    Target { kind: "voucher_batch", id: id.to_string() }
}

impl Billing {
    pub async fn create_batch(
        &self,
        actor: &Actor,
        package_id: Uuid,
        count: i32,
        note: Option<String>,
    ) -> Result<NewBatch, BillingError> {
        if !(1..=MAX_BATCH).contains(&count) {
            return Err(invalid("count", format!("1 to {MAX_BATCH}")));
        }
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 500 || n.chars().any(char::is_control)) {
            return Err(invalid("note", "at most 500 printable characters"));
        }
        let key = self.voucher_key();
        let a = actor.clone();
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let p = packages::live(tx, package_id, false)?;
                    let batch: Batch = diesel::insert_into(voucher_batches::table)
                        .values((
                            voucher_batches::package_id.eq(p.id),
                            voucher_batches::code_count.eq(count),
                            voucher_batches::note.eq(&note),
                            voucher_batches::created_by.eq(a.user_id),
                        ))
                        .returning(Batch::as_returning())
                        .get_result(tx)?;
                    let codes: Vec<String> = (1..=count).map(|seq| derive_code(&key, batch.id, seq)).collect();
                    let rows: Vec<_> = codes
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let canonical = normalize(c).unwrap_or_default();
                            (
                                vouchers::batch_id.eq(batch.id),
                                vouchers::seq.eq(i as i32 + 1),
                                vouchers::code_hash.eq(code_hash(&key, &canonical)),
                            )
                        })
                        .collect();
                    for chunk in rows.chunks(1_000) {
                        diesel::insert_into(vouchers::table).values(chunk).execute(tx)?;
                    }
                    audit::record(
                        tx,
                        &a,
                        "voucher.batch_create",
                        Some(batch_target(batch.id)),
                        json!({ "package_id": p.id, "package": p.name, "count": count, "note": note }),
                    )?;
                    Ok(NewBatch { batch, codes })
                }))
            })
            .await?
    }

    pub async fn revoke_batch(&self, actor: &Actor, id: Uuid) -> Result<(Batch, bool), BillingError> {
        let a = actor.clone();
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let b: Batch = voucher_batches::table
                        .find(id)
                        .select(Batch::as_select())
                        .for_update()
                        .first(tx)
                        .optional()?
                        .ok_or(BillingError::BatchNotFound)?;
                    if b.revoked_at.is_some() {
                        return Ok((b, false));
                    }
                    let b: Batch = diesel::update(voucher_batches::table.find(id))
                        .set((
                            voucher_batches::revoked_at.eq(Some(Utc::now())),
                            voucher_batches::revoked_by.eq(a.user_id),
                        ))
                        .returning(Batch::as_returning())
                        .get_result(tx)?;
                    let unused: i64 = vouchers::table
                        .filter(vouchers::batch_id.eq(id))
                        .filter(vouchers::redeemed_at.is_null())
                        .count()
                        .get_result(tx)?;
                    audit::record(
                        tx,
                        &a,
                        "voucher.batch_revoke",
                        Some(batch_target(id)),
                        json!({ "unused_codes": unused }),
                    )?;
                    Ok((b, true))
                }))
            })
            .await?
    }

    pub async fn batches(&self, page: i64, per_page: i64) -> Result<(Vec<BatchSummary>, i64), BillingError> {
        Ok(self
            .db()
            .run(move |conn| {
                let total: i64 = voucher_batches::table.count().get_result(conn)?;
                let rows: Vec<(Batch, String)> = voucher_batches::table
                    .inner_join(packages_t::table)
                    .order(voucher_batches::created_at.desc())
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                    .select((Batch::as_select(), packages_t::name))
                    .load(conn)?;
                let ids: Vec<Uuid> = rows.iter().map(|(b, _)| b.id).collect();
                let used: Vec<(Uuid, i64)> = vouchers::table
                    .filter(vouchers::batch_id.eq_any(&ids))
                    .filter(vouchers::redeemed_at.is_not_null())
                    .group_by(vouchers::batch_id)
                    .select((vouchers::batch_id, diesel::dsl::count_star()))
                    .load(conn)?;
                let items = rows
                    .into_iter()
                    .map(|(batch, package_name)| {
                        let redeemed = used.iter().find(|(id, _)| *id == batch.id).map(|(_, n)| *n).unwrap_or(0);
                        BatchSummary { batch, package_name, redeemed }
                    })
                    .collect();
                Ok((items, total))
            })
            .await?)
    }

    /// A batch, its package and each code's state.
    pub async fn batch(&self, id: Uuid) -> Result<(BatchSummary, Vec<CodeState>), BillingError> {
        use crate::db::schema::users;
        self.db()
            .run(move |conn| {
                let Some((batch, package_name)) = voucher_batches::table
                    .inner_join(packages_t::table)
                    .filter(voucher_batches::id.eq(id))
                    .select((Batch::as_select(), packages_t::name))
                    .first::<(Batch, String)>(conn)
                    .optional()?
                else {
                    return Ok(Err(BillingError::BatchNotFound));
                };
                let rows: Vec<(i32, Option<DateTime<Utc>>, Option<crate::domain::Msisdn>)> = vouchers::table
                    .left_join(users::table.on(users::id.nullable().eq(vouchers::redeemed_by)))
                    .filter(vouchers::batch_id.eq(id))
                    .order(vouchers::seq.asc())
                    .select((vouchers::seq, vouchers::redeemed_at, users::phone_number.nullable()))
                    .load(conn)?;
                let revoked = batch.revoked_at.is_some();
                let codes: Vec<CodeState> = rows
                    .into_iter()
                    .map(|(seq, at, phone)| CodeState {
                        seq,
                        state: match (at, revoked) {
                            (Some(_), _) => "redeemed",
                            (None, true) => "revoked",
                            (None, false) => "available",
                        },
                        redeemed_at: at,
                        redeemed_by: phone.map(|p| p.masked()),
                    })
                    .collect();
                let redeemed = codes.iter().filter(|c| c.state == "redeemed").count() as i64;
                Ok(Ok((BatchSummary { batch, package_name, redeemed }, codes)))
            })
            .await?
    }

    /// The batch as CSV for printing: every code again, derived and checked against its stored
    /// hash (a changed secret would print codes that do not work: refused instead).
    pub async fn batch_csv(&self, id: Uuid) -> Result<String, BillingError> {
        let (summary, codes) = self.batch(id).await?;
        let key = self.voucher_key();
        let hashes: Vec<(i32, String)> = self
            .db()
            .run(move |conn| {
                Ok(vouchers::table
                    .filter(vouchers::batch_id.eq(id))
                    .order(vouchers::seq.asc())
                    .select((vouchers::seq, vouchers::code_hash))
                    .load(conn)?)
            })
            .await?;
        let mut out = String::from("batch,seq,code,package,state,redeemed_at\n");
        for ((seq, hash), state) in hashes.iter().zip(codes.iter()) {
            let code = derive_code(&key, id, *seq);
            if code_hash(&key, &normalize(&code).unwrap_or_default()) != *hash {
                return Err(BillingError::Conflict(
                    "these codes were made under another secret (HOTSPOT_OTP_SECRET changed); they still redeem but cannot be printed again",
                ));
            }
            let name = summary.package_name.replace('"', "\"\"");
            let at = state.redeemed_at.map(|t| t.to_rfc3339()).unwrap_or_default();
            out.push_str(&format!("{id},{seq},{code},\"{name}\",{},{at}\n", state.state));
        }
        Ok(out)
    }

    /// Redeems a code for a signed-in user: once, whoever races for it.
    pub async fn redeem(&self, user_id: Uuid, client: Option<ClientIp>, code: &str) -> Result<Redeemed, BillingError> {
        let limiter = self.admin.captive.limiter.clone();
        let (user_key, addr_key) = (user_id.to_string(), client.map(|c| c.as_text()));
        if let Verdict::Limited(after) =
            Limiter::over(&limiter, "voucher_fail_user", &user_key, FAILS_PER_USER, FAIL_WINDOW_SECS).await?
        {
            return Err(BillingError::RateLimited(after));
        }
        if let Some(a) = &addr_key
            && let Verdict::Limited(after) =
                Limiter::over(&limiter, "voucher_fail_addr", a, FAILS_PER_ADDRESS, FAIL_WINDOW_SECS).await?
        {
            return Err(BillingError::RateLimited(after));
        }
        let result = self.redeem_once(user_id, code).await;
        if matches!(result, Err(BillingError::VoucherInvalid(_))) {
            limiter.hit("voucher_fail_user", &user_key, u32::MAX, FAIL_WINDOW_SECS).await?;
            if let Some(a) = &addr_key {
                limiter.hit("voucher_fail_addr", a, u32::MAX, FAIL_WINDOW_SECS).await?;
            }
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

    async fn redeem_once(&self, user_id: Uuid, code: &str) -> Result<Redeemed, BillingError> {
        let canonical = normalize(code).ok_or(BillingError::VoucherInvalid("not a voucher code"))?;
        let hash = code_hash(&self.voucher_key(), &canonical);
        let policy = self.admin.captive.policy();
        self.db()
            .run(move |conn| {
                Ok(conn.transaction::<_, BillingError, _>(|tx| {
                    let user = load_user(tx, user_id)?;
                    may_buy(&user)?;
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
                    // Read, not locked: redemptions of one batch do not queue behind each other.
                    let (package_id, revoked_at): (Uuid, Option<DateTime<Utc>>) = voucher_batches::table
                        .find(batch_id)
                        .select((voucher_batches::package_id, voucher_batches::revoked_at))
                        .first(tx)?;
                    if redeemed_at.is_some() {
                        return Err(BillingError::VoucherUsed);
                    }
                    if revoked_at.is_some() {
                        return Err(BillingError::VoucherInvalid("the batch was revoked"));
                    }
                    let p = crate::db::schema::packages::table
                        .find(package_id)
                        .select(packages::Package::as_select())
                        .first(tx)?;
                    let g = Grant {
                        user: user_id,
                        bytes: if p.is_unlimited { 0 } else { p.quota_bytes },
                        extend_days: p.validity_days as u32,
                        unlimited: p.is_unlimited.then_some(true),
                        key: format!("voucher:{voucher_id}"),
                        source: "voucher",
                        details: json!({ "voucher_id": voucher_id, "package": p.name }),
                        by: None,
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
                    let user = store_status(tx, after, &policy)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_derived_unambiguous_and_read_back() {
        let key = [7u8; 32];
        let batch = Uuid::from_u128(42);
        let a = derive_code(&key, batch, 1);
        assert_eq!(a, derive_code(&key, batch, 1), "the same code every time");
        assert_ne!(a, derive_code(&key, batch, 2));
        assert_ne!(a, derive_code(&[8u8; 32], batch, 1));
        assert_eq!(a.len(), CODE_LEN + 2);
        let canonical = normalize(&a).unwrap();
        assert!(canonical.bytes().all(|b| ALPHABET.contains(&b)));
        for typed in [a.to_lowercase(), a.replace('-', " "), a.replace('-', "")] {
            assert_eq!(normalize(&typed).as_deref(), Some(canonical.as_str()), "{typed}");
        }
        for bad in ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "0BCD-EFGH-JKMN", "ABCD-EFGH-JKM1", "ABCDÉFGHJKMN"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
        assert_eq!(code_hash(&key, &canonical).len(), 64);
        assert_ne!(code_hash(&key, &canonical), code_hash(&[8u8; 32], &canonical), "keyed");
    }

    #[test]
    fn no_character_is_favoured() {
        let key = [1u8; 32];
        let mut counts = [0usize; 31];
        for seq in 1..=2_000 {
            for b in normalize(&derive_code(&key, Uuid::nil(), seq)).unwrap().bytes() {
                counts[ALPHABET.iter().position(|a| *a == b).unwrap()] += 1;
            }
        }
        // 24,000 characters: about 774 each; a modulo bias would skew the first few.
        assert!(counts.iter().all(|n| (650..=900).contains(n)), "{counts:?}");
    }
}
