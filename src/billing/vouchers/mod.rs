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

mod codes;
mod redeem;

pub use codes::{ALPHABET, CODE_LEN, code_hash, derive_code, normalize};
pub use redeem::Redeemed;

use super::{Billing, BillingError, invalid, packages};
use crate::audit::{self, Actor, Target};
use crate::db::schema::{packages as packages_t, voucher_batches, vouchers};
use crate::domain::{AuditAction, AuditTarget};

pub const MAX_BATCH: i32 = 5_000;

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
    /// The sites its codes are redeemed at; empty: its package's.
    pub site_ids: Vec<i32>,
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

fn batch_target(id: Uuid) -> Target {
    Target::new(AuditTarget::VoucherBatch, id)
}

impl Billing {
    pub async fn create_batch(
        &self,
        actor: &Actor,
        package_id: Uuid,
        count: i32,
        note: Option<String>,
        site_ids: Option<Vec<i32>>,
    ) -> Result<NewBatch, BillingError> {
        let site_ids = super::offers::sites(site_ids, None)?;
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
                    super::offers::check_sites(tx, &site_ids)?;
                    let batch: Batch = diesel::insert_into(voucher_batches::table)
                        .values((
                            voucher_batches::package_id.eq(p.id),
                            voucher_batches::code_count.eq(count),
                            voucher_batches::note.eq(&note),
                            voucher_batches::created_by.eq(a.user_id),
                            voucher_batches::site_ids.eq(&site_ids),
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
                        AuditAction::VoucherBatchCreate,
                        Some(batch_target(batch.id)),
                        json!({ "package_id": p.id, "package": p.name, "count": count, "note": note, "site_ids": site_ids }),
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
                        AuditAction::VoucherBatchRevoke,
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
            let at = state.redeemed_at.map(|t| t.to_rfc3339()).unwrap_or_default();
            let cells = [id.to_string(), seq.to_string(), code, summary.package_name.clone(), state.state.into(), at];
            out.push_str(&crate::domain::csv::row(&cells));
        }
        Ok(out)
    }
}
