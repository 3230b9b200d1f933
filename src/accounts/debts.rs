//! Quota on credit, inside the caller's transaction (the user's row locked first, so a user's
//! lends and settlements serialize).
//!
//! - A **lend** gives a package now through the grant path (ledger row `debt:{id}`, source
//!   `debt_lend`) and keeps the debt open; its key makes a retried save lend once.
//! - The **automatic debt**, use beyond the purchased quota, is not stored.
//! - A **settlement** pays one debt or all (the automatic one by a ledger row raising purchased to
//!   used: no quota added), writes its receipt row, lifts a debt rule's block once nothing is
//!   owed; its key makes a retried or raced settlement pay once.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::grant::{self, Grant, Outcome};
use super::{AccountError, invalid, write};
use crate::db::models::User;
use crate::db::schema::{debt_settlements, quota_debts, users};
use crate::domain::{BlockCause, LedgerSource, SaleChannel};

/// A debt as kept.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = quota_debts)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Debt {
    pub id: Uuid,
    pub user_id: Uuid,
    pub package_id: Option<Uuid>,
    pub package_name: String,
    pub amount_bytes: i64,
    pub is_unlimited: bool,
    pub validity_days: i32,
    pub price_idr: i64,
    pub debt_date: NaiveDate,
    pub due_date: NaiveDate,
    pub note: Option<String>,
    #[serde(skip)]
    pub lend_key: String,
    pub lend_ledger_id: Option<i64>,
    pub settlement_id: Option<Uuid>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Debt {
    pub fn is_paid(&self) -> bool {
        self.paid_at.is_some()
    }
}

/// A settlement as kept: its receipt.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = debt_settlements)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Settlement {
    pub id: Uuid,
    pub receipt_no: String,
    pub user_id: Uuid,
    #[schema(value_type = String)]
    pub channel: SaleChannel,
    pub transaction_id: Option<Uuid>,
    pub amount_idr: i64,
    pub auto_bytes: i64,
    pub manual_bytes: i64,
    pub manual_items: i32,
    pub auto_ledger_id: Option<i64>,
    pub unblocked: bool,
    #[serde(skip)]
    pub idempotency_key: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A package lent as it is now.
#[derive(Debug, Clone)]
pub struct Lend {
    pub user: Uuid,
    pub package_id: Uuid,
    pub package_name: String,
    pub quota_bytes: i64,
    pub is_unlimited: bool,
    pub validity_days: i32,
    pub price_idr: i64,
    pub debt_date: NaiveDate,
    pub due_date: NaiveDate,
    pub note: Option<String>,
    /// The cause (an editor save's key): the same key lends once.
    pub key: String,
    pub by: Option<Uuid>,
}

/// Lends a package: the debt row, then the grant keyed by it. Returns the debt, the user after
/// and whether this call lent it (false: the key was lent before; nothing changed).
pub fn lend(conn: &mut PgConnection, l: &Lend) -> Result<(Debt, User, bool), AccountError> {
    if l.due_date < l.debt_date {
        return Err(invalid("debt_date", "the due date is before the debt's date"));
    }
    if l.note.as_deref().is_some_and(|n| n.chars().count() > 500) {
        return Err(invalid("debt_note", "at most 500 characters"));
    }
    if l.key.is_empty() || l.key.chars().count() > 200 {
        return Err(invalid("idempotency_key", "1 to 200 characters"));
    }
    let user = super::lock(conn, l.user)?;
    let bytes = if l.is_unlimited { 0 } else { l.quota_bytes };
    let inserted: Option<Debt> = diesel::insert_into(quota_debts::table)
        .values((
            quota_debts::user_id.eq(l.user),
            quota_debts::package_id.eq(Some(l.package_id)),
            quota_debts::package_name.eq(&l.package_name),
            quota_debts::amount_bytes.eq(bytes),
            quota_debts::is_unlimited.eq(l.is_unlimited),
            quota_debts::validity_days.eq(l.validity_days),
            quota_debts::price_idr.eq(l.price_idr),
            quota_debts::debt_date.eq(l.debt_date),
            quota_debts::due_date.eq(l.due_date),
            quota_debts::note.eq(&l.note),
            quota_debts::lend_key.eq(&l.key),
            quota_debts::created_by.eq(l.by),
        ))
        .on_conflict(quota_debts::lend_key)
        .do_nothing()
        .returning(Debt::as_returning())
        .get_result(conn)
        .optional()?;
    let Some(debt) = inserted else {
        let before: Debt =
            quota_debts::table.filter(quota_debts::lend_key.eq(&l.key)).select(Debt::as_select()).first(conn)?;
        if before.user_id != l.user || before.package_id != Some(l.package_id) {
            return Err(AccountError::IdempotencyConflict);
        }
        return Ok((before, user, false));
    };
    let g = Grant {
        details: json!({ "debt_id": debt.id, "package": l.package_name, "price_idr": l.price_idr }),
        by: l.by,
        ..Grant::package(
            l.user,
            l.quota_bytes,
            l.validity_days,
            l.is_unlimited,
            format!("debt:{}", debt.id),
            LedgerSource::DebtLend,
        )
    };
    let (outcome, after) = grant::grant(conn, &g)?;
    let ledger_id = match outcome {
        Outcome::Granted { ledger_id } | Outcome::Replayed { ledger_id } => ledger_id,
    };
    let debt = diesel::update(quota_debts::table.find(debt.id))
        .set(quota_debts::lend_ledger_id.eq(Some(ledger_id)))
        .returning(Debt::as_returning())
        .get_result(conn)?;
    let after = owed_by(conn, after.id, debt.amount_bytes, 1)?;
    Ok((debt, after, true))
}

/// The user's debts, newest first (`open_only`: unpaid ones), each with how it was paid.
pub fn of_user(conn: &mut PgConnection, user: Uuid, open_only: bool) -> Result<Vec<Listed>, AccountError> {
    let mut q =
        quota_debts::table.left_join(debt_settlements::table).filter(quota_debts::user_id.eq(user)).into_boxed();
    if open_only {
        q = q.filter(quota_debts::paid_at.is_null());
    }
    let rows: Vec<(Debt, Option<SaleChannel>)> = q
        .order((quota_debts::debt_date.desc(), quota_debts::created_at.desc()))
        .select((Debt::as_select(), debt_settlements::channel.nullable()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(debt, paid_by)| Listed { debt, paid_by }).collect())
}

/// A debt and how it was paid (`None`: open).
#[derive(Debug, Clone)]
pub struct Listed {
    pub debt: Debt,
    pub paid_by: Option<SaleChannel>,
}

/// What each of `users` owes on open debts: lent bytes and rupiah.
pub fn open_totals(conn: &mut PgConnection, users: &[Uuid]) -> Result<Vec<(Uuid, Owed)>, AccountError> {
    let rows: Vec<(Uuid, i64, i64)> = quota_debts::table
        .filter(quota_debts::user_id.eq_any(users))
        .filter(quota_debts::paid_at.is_null())
        .select((quota_debts::user_id, quota_debts::amount_bytes, quota_debts::price_idr))
        .load(conn)?;
    let mut out: Vec<(Uuid, Owed)> = Vec::new();
    for (id, bytes, rp) in rows {
        match out.iter_mut().find(|(u, _)| *u == id) {
            Some((_, o)) => o.add(bytes, rp),
            None => out.push((id, Owed { bytes, idr: rp, items: 1 })),
        }
    }
    Ok(out)
}

/// Open manual debts summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owed {
    pub bytes: i64,
    pub idr: i64,
    pub items: i64,
}

impl Owed {
    fn add(&mut self, bytes: i64, idr: i64) {
        self.bytes = self.bytes.saturating_add(bytes);
        self.idr = self.idr.saturating_add(idr);
        self.items += 1;
    }
}

/// What one settlement pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One debt, whole.
    One(Uuid),
    /// Every debt open at `as_of` (an online payment pays what it was priced for), and the
    /// automatic debt up to `auto_cap` bytes (none: all of it).
    All { as_of: DateTime<Utc>, auto_cap: Option<i64> },
}

#[derive(Debug, Clone)]
pub struct Settle {
    pub user: Uuid,
    pub scope: Scope,
    pub channel: SaleChannel,
    pub amount_idr: i64,
    pub receipt_no: String,
    pub transaction_id: Option<Uuid>,
    pub key: String,
    pub by: Option<Uuid>,
    /// Money already came in (an online payment): record it even when nothing is owed any more.
    pub paid_already: bool,
}

#[derive(Debug, Clone)]
pub struct Settled {
    pub settlement: Settlement,
    pub user: User,
    pub debts: Vec<Debt>,
    /// False: this key settled before; nothing changed.
    pub new: bool,
}

/// Settles in the caller's transaction. Refused when the debt is not the user's (`DebtNotFound`),
/// is paid (`DebtPaid`), or nothing is owed (`NothingOwed`) — unless the money came in already.
pub fn settle(conn: &mut PgConnection, s: &Settle) -> Result<Settled, AccountError> {
    let user = super::lock(conn, s.user)?;
    if let Some(before) = settled_before(conn, s, &user)? {
        return Ok(before);
    }
    let (debts, auto) = to_pay(conn, s, &user)?;
    if debts.is_empty() && auto == 0 && !s.paid_already {
        return Err(AccountError::NothingOwed);
    }
    let key = format!("debt-settle:{}", s.key);
    let (auto_ledger_id, mut user) = if auto > 0 {
        let g = Grant {
            details: json!({ "receipt_no": s.receipt_no, "auto_debt_bytes": auto }),
            by: s.by,
            ..Grant::package(s.user, auto, 0, false, key, LedgerSource::DebtSettle)
        };
        let (outcome, after) = grant::grant(conn, &g)?;
        let (Outcome::Granted { ledger_id } | Outcome::Replayed { ledger_id }) = outcome;
        (Some(ledger_id), after)
    } else {
        (None, user)
    };
    let manual_bytes: i64 = debts.iter().map(|d| d.amount_bytes).sum();
    let manual_items = i32::try_from(debts.len()).unwrap_or(i32::MAX);
    let settlement = record(conn, s, auto, manual_bytes, manual_items, auto_ledger_id)?;
    let now = Utc::now();
    let ids: Vec<Uuid> = debts.iter().map(|d| d.id).collect();
    let debts: Vec<Debt> = diesel::update(quota_debts::table.filter(quota_debts::id.eq_any(&ids)))
        .set((
            quota_debts::settlement_id.eq(Some(settlement.id)),
            quota_debts::paid_at.eq(Some(now)),
            quota_debts::updated_at.eq(now),
        ))
        .returning(Debt::as_returning())
        .get_results(conn)?;
    if !debts.is_empty() {
        user = owed_by(conn, user.id, -manual_bytes, -manual_items)?;
    }
    let settlement = if lift_debt_block(conn, &user)? {
        user = super::find(conn, s.user)?.ok_or(AccountError::UserNotFound)?;
        diesel::update(debt_settlements::table.find(settlement.id))
            .set(debt_settlements::unblocked.eq(true))
            .returning(Settlement::as_returning())
            .get_result(conn)?
    } else {
        settlement
    };
    Ok(Settled { settlement, user, debts, new: true })
}

/// The settlement this key made before, if any (another user's key is a conflict).
fn settled_before(conn: &mut PgConnection, s: &Settle, user: &User) -> Result<Option<Settled>, AccountError> {
    let Some(before) = debt_settlements::table
        .filter(debt_settlements::idempotency_key.eq(&s.key))
        .select(Settlement::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if before.user_id != s.user {
        return Err(AccountError::IdempotencyConflict);
    }
    let debts =
        quota_debts::table.filter(quota_debts::settlement_id.eq(before.id)).select(Debt::as_select()).load(conn)?;
    Ok(Some(Settled { settlement: before, user: user.clone(), debts, new: false }))
}

/// The debts and the used-beyond bytes this settlement pays, locked.
fn to_pay(conn: &mut PgConnection, s: &Settle, user: &User) -> Result<(Vec<Debt>, i64), AccountError> {
    Ok(match s.scope {
        Scope::One(id) => {
            let d: Debt = quota_debts::table
                .find(id)
                .filter(quota_debts::user_id.eq(s.user))
                .select(Debt::as_select())
                .for_update()
                .first(conn)
                .optional()?
                .ok_or(AccountError::DebtNotFound)?;
            match (d.is_paid(), s.paid_already) {
                (true, false) => return Err(AccountError::DebtPaid),
                (true, true) => (Vec::new(), 0),
                (false, _) => (vec![d], 0),
            }
        }
        Scope::All { as_of, auto_cap } => {
            let open: Vec<Debt> = quota_debts::table
                .filter(quota_debts::user_id.eq(s.user))
                .filter(quota_debts::paid_at.is_null())
                .filter(quota_debts::created_at.le(as_of))
                .order(quota_debts::debt_date.asc())
                .select(Debt::as_select())
                .for_update()
                .load(conn)?;
            let auto = user.quota_overage_bytes();
            (open, auto_cap.map_or(auto, |cap| auto.min(cap.max(0))))
        }
    })
}

/// The settlement's row, its receipt.
fn record(
    conn: &mut PgConnection,
    s: &Settle,
    auto: i64,
    manual_bytes: i64,
    manual_items: i32,
    auto_ledger_id: Option<i64>,
) -> Result<Settlement, AccountError> {
    Ok(diesel::insert_into(debt_settlements::table)
        .values((
            debt_settlements::receipt_no.eq(&s.receipt_no),
            debt_settlements::user_id.eq(s.user),
            debt_settlements::channel.eq(s.channel),
            debt_settlements::transaction_id.eq(s.transaction_id),
            debt_settlements::amount_idr.eq(s.amount_idr),
            debt_settlements::auto_bytes.eq(auto),
            debt_settlements::manual_bytes.eq(manual_bytes),
            debt_settlements::manual_items.eq(manual_items),
            debt_settlements::auto_ledger_id.eq(auto_ledger_id),
            debt_settlements::unblocked.eq(false),
            debt_settlements::idempotency_key.eq(&s.key),
            debt_settlements::created_by.eq(s.by),
        ))
        .returning(Settlement::as_returning())
        .get_result(conn)?)
}

/// Moves the user's open-debt totals by `bytes` and `items`; the user after.
fn owed_by(conn: &mut PgConnection, user: Uuid, bytes: i64, items: i32) -> Result<User, AccountError> {
    Ok(diesel::update(users::table.find(user))
        .set((
            users::manual_debt_bytes.eq(users::manual_debt_bytes + bytes),
            users::manual_debt_items.eq(users::manual_debt_items + items),
            users::updated_at.eq(Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(conn)?)
}

/// Lifts a debt rule's block when nothing is owed any more; true when it did.
fn lift_debt_block(conn: &mut PgConnection, user: &User) -> Result<bool, AccountError> {
    if !user.is_blocked || user.block_cause != Some(BlockCause::Debt) || user.owes() {
        return Ok(false);
    }
    write::unblock(conn, user.id)?;
    Ok(true)
}
