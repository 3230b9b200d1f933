//! Accounts made by an operator (CLI, admin, demo seed) or by a registration from the captive
//! page; registrations nobody proved, deleted after a day.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::UserError;
use super::grant::{self, Grant};
pub use super::password::MIN_PASSWORD_LEN;
use super::password::hash_password;
use crate::audit::{self, Actor, Target};
use crate::db::DbError;
use crate::db::models::{NewUser, User};
use crate::db::schema::users;
use crate::domain::policy::{DEFAULT_FUP_THRESHOLD_BYTES, UserFacts, resolve_status};
use crate::domain::{ApprovalStatus, AuditAction, LedgerSource, Msisdn, Role};

pub const MAX_NAME_LEN: usize = 100;

#[derive(Debug, Clone)]
pub struct CreateUser {
    pub phone: Msisdn,
    pub full_name: String,
    pub role: Role,
    pub approval: ApprovalStatus,
    pub password: Option<String>,
    pub quota_bytes: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub unlimited: bool,
    /// Who did it (audit); `None` for the CLI and the demo seed.
    pub created_by: Option<Uuid>,
    /// Where the quota came from, recorded in the ledger's details.
    pub origin: &'static str,
    /// Operator-defined profile attributes (e-mail, address, notes, …): a JSON object.
    pub profile: serde_json::Map<String, serde_json::Value>,
}

/// 1 PiB: far above any real plan, low enough that sums stay far from i64 overflow.
const MAX_QUOTA_BYTES: i64 = 1 << 50;

pub fn normalize_name(raw: &str) -> Result<String, UserError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(UserError::InvalidName);
    }
    Ok(name)
}

/// Optional profile attributes a registration may carry, with their length limits.
pub const PROFILE_FIELDS: &[(&str, usize)] =
    &[("email", 200), ("address", 300), ("notes", 500), ("blok", 50), ("kamar", 50), ("tamping_type", 50)];

/// Checks and collects the profile attributes given (blank ones are left out).
pub fn profile_from(
    fields: &[(&'static str, Option<&str>)],
) -> Result<serde_json::Map<String, serde_json::Value>, UserError> {
    let mut profile = serde_json::Map::new();
    for (k, v) in fields {
        let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else { continue };
        let max = PROFILE_FIELDS.iter().find(|(f, _)| f == k).map(|(_, m)| *m).unwrap_or(200);
        if v.chars().count() > max || v.chars().any(char::is_control) {
            return Err(UserError::InvalidField { field: k, reason: format!("at most {max} printable characters") });
        }
        if *k == "email" && !(v.contains('@') && v.contains('.')) {
            return Err(UserError::InvalidField { field: k, reason: "not an e-mail address".into() });
        }
        profile.insert((*k).to_owned(), json!(v));
    }
    Ok(profile)
}

/// The instant a quota bought "until YYYY-MM-DD" stops working: the start of the next day in
/// the operator's timezone.
pub fn expiry_from_date(date: NaiveDate, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let next = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&next).earliest().map(|d| d.with_timezone(&Utc))
}

/// Validates and hashes (argon2 is slow on purpose), then inserts the user and, when quota is
/// given, grants it through the one grant path, in one transaction.
pub fn create_user(conn: &mut PgConnection, input: CreateUser) -> Result<User, UserError> {
    let full_name = normalize_name(&input.full_name)?;
    if !(0..=MAX_QUOTA_BYTES).contains(&input.quota_bytes) {
        return Err(UserError::InvalidQuota);
    }
    let password_hash = match (input.role.is_admin(), &input.password) {
        (true, Some(p)) => Some(hash_password(p)?),
        (true, None) => return Err(UserError::PasswordRequired),
        (false, Some(_)) => return Err(UserError::PasswordNotAllowed),
        (false, None) => None,
    };
    let id = Uuid::new_v4();
    let now = Utc::now();
    // The default policy's word; the admin room and the next sync apply the runtime one.
    let facts = UserFacts {
        approved: input.approval == ApprovalStatus::Approved,
        is_active: true,
        is_blocked: false,
        is_unlimited: input.unlimited,
        purchased_bytes: input.quota_bytes,
        used_bytes: 0,
        expires_at: input.expires_at,
    };
    let access_status = resolve_status(&facts, now, DEFAULT_FUP_THRESHOLD_BYTES);
    conn.transaction(|tx| {
        let user: User = diesel::insert_into(users::table)
            .values(NewUser {
                id,
                phone_number: &input.phone,
                full_name: &full_name,
                role: input.role,
                approval_status: input.approval,
                is_active: true,
                is_unlimited_user: input.unlimited,
                quota_purchased_bytes: 0,
                quota_expiry_date: input.expires_at,
                password_hash: password_hash.as_deref(),
                approved_at: (input.approval == ApprovalStatus::Approved).then_some(now),
                profile: serde_json::Value::Object(input.profile),
                // Accounts made by an operator are vouched for; a registration waits for its code.
                phone_verified_at: (input.approval != ApprovalStatus::Pending).then_some(now),
                access_status,
            })
            .returning(User::as_returning())
            .get_result(tx)?;
        if input.quota_bytes == 0 {
            return Ok(user);
        }
        let g = Grant {
            user: id,
            bytes: input.quota_bytes,
            extend_days: 0,
            unlimited: None,
            key: format!("grant:{id}:initial"),
            source: LedgerSource::Purchase,
            details: json!({ "origin": input.origin, "expires_at": input.expires_at }),
            by: input.created_by,
        };
        match grant::grant(tx, &g) {
            Ok((_, user)) => Ok(user),
            Err(super::AccountError::Db(e)) => Err(UserError::Db(e)),
            Err(e) => Err(UserError::InvalidField { field: "quota_bytes", reason: e.to_string() }),
        }
    })
}

/// An unproven registration is deleted after this long (the phone's owner never came back).
pub const UNPROVEN_TTL: chrono::Duration = chrono::Duration::days(1);

/// A registration from the captive page: a pending account. A registration of the same phone
/// that no code has proven yet is replaced (a squatter cannot hold someone's number); a proven
/// or approved account is `PhoneTaken`.
pub fn register(conn: &mut PgConnection, input: CreateUser) -> Result<User, UserError> {
    let full_name = normalize_name(&input.full_name)?;
    conn.transaction(|tx| {
        let existing: Option<User> = users::table
            .filter(users::phone_number.eq(&input.phone))
            .select(User::as_select())
            .for_update()
            .first(tx)
            .optional()?;
        match existing {
            None => create_user(tx, input),
            Some(u) if u.approval_status == ApprovalStatus::Pending && u.phone_verified_at.is_none() => {
                Ok(diesel::update(users::table.find(u.id))
                    .set((
                        users::full_name.eq(&full_name),
                        users::profile.eq(serde_json::Value::Object(input.profile)),
                        users::created_at.eq(Utc::now()),
                        users::updated_at.eq(Utc::now()),
                    ))
                    .returning(User::as_returning())
                    .get_result(tx)?)
            }
            Some(_) => Err(UserError::PhoneTaken),
        }
    })
}

/// Notes that a code proved the user's phone.
pub fn mark_phone_proven(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    diesel::update(users::table.find(id).filter(users::phone_verified_at.is_null()))
        .set((users::phone_verified_at.eq(Utc::now()), users::updated_at.eq(Utc::now())))
        .execute(conn)?;
    Ok(())
}

/// Deletes registrations no code has proven within [`UNPROVEN_TTL`]; returns how many.
pub fn delete_unproven(conn: &mut PgConnection) -> Result<usize, DbError> {
    let before = Utc::now() - UNPROVEN_TTL;
    Ok(diesel::delete(
        users::table
            .filter(users::phone_verified_at.is_null())
            .filter(users::approval_status.eq(ApprovalStatus::Pending))
            .filter(users::created_at.lt(before)),
    )
    .execute(conn)?)
}

impl super::Accounts {
    /// An account made by an operator (`actor`): created, its status stored, audited, in one
    /// transaction; its router reconcile queued after. Admin accounts are the super admin's.
    pub async fn create(
        &self,
        actor: &Actor,
        input: CreateUser,
        policy: std::sync::Arc<crate::domain::policy::RouterPolicy>,
    ) -> Result<User, super::AccountError> {
        if input.role.is_admin() && actor.role != Role::SuperAdmin {
            return Err(super::AccountError::Forbidden("only a super admin creates admin accounts"));
        }
        let a = actor.clone();
        let user = self
            .db
            .run(move |conn| {
                Ok(conn.transaction::<_, super::AccountError, _>(|tx| {
                    let u = create_user(tx, CreateUser { created_by: a.user_id, ..input })?;
                    let u = super::status::store(tx, u, &policy)?;
                    let details = json!({ "after": audit::user_view(&u) });
                    audit::record(tx, &a, AuditAction::UserCreate, Some(Target::user(u.id)), details)?;
                    Ok(u)
                }))
            })
            .await??;
        self.reconcile_later(user.id, AuditAction::UserCreate.as_str()).await;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalize_name("  Budi   Santoso ").unwrap(), "Budi Santoso");
        assert!(normalize_name("   ").is_err());
        assert!(normalize_name(&"a".repeat(101)).is_err());
        assert!(normalize_name("a\u{0007}b").is_err());
    }

    #[test]
    fn expiry_is_start_of_next_local_day() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let e = expiry_from_date(d, chrono_tz::Asia::Makassar).unwrap();
        // 2027-01-01 00:00 WITA (UTC+8) = 2026-12-31 16:00 UTC.
        assert_eq!(e.to_rfc3339(), "2026-12-31T16:00:00+00:00");
    }
}
