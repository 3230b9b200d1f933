//! The users room: creating accounts (CLI, demo seed, registration), finding and listing them,
//! password hashing. Other rooms read users; writes to `users` go through here, except the two
//! hot-path counters (last login in the sign-in statement, quota used in the sync's charge).

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::db::DbError;
use crate::db::models::{NewLedgerEntry, NewUser, User};
use crate::db::schema::{quota_ledger, users};
use crate::domain::policy::{DEFAULT_FUP_THRESHOLD_BYTES, UserFacts, resolve_status};
use crate::domain::{ApprovalStatus, Msisdn, Role};

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_NAME_LEN: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("a user with this phone number already exists")]
    PhoneTaken,
    #[error("full name must be 1 to {MAX_NAME_LEN} characters")]
    InvalidName,
    #[error("admin roles need a password")]
    PasswordRequired,
    #[error("only admin roles sign in with a password")]
    PasswordNotAllowed,
    #[error("password must be at least {MIN_PASSWORD_LEN} characters")]
    WeakPassword,
    #[error("quota must be between 0 and 1 PiB")]
    InvalidQuota,
    #[error("password hashing failed")]
    Hash,
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for UserError {
    fn from(e: diesel::result::Error) -> Self {
        match &e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some("users_phone_number_key") =>
            {
                UserError::PhoneTaken
            }
            _ => UserError::Db(e.into()),
        }
    }
}

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

pub fn hash_password(password: &str) -> Result<String, UserError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(UserError::WeakPassword);
    }
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|_| UserError::Hash)
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    match stored.parse::<PasswordHash>() {
        Ok(hash) => Argon2::default().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// The instant a quota bought "until YYYY-MM-DD" stops working: the start of the next day in
/// the operator's timezone.
pub fn expiry_from_date(date: NaiveDate, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let next = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&next).earliest().map(|d| d.with_timezone(&Utc))
}

/// Validates and hashes outside the transaction (argon2 is slow on purpose), then inserts the
/// user and, when quota is granted, its ledger row in one transaction.
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
                quota_purchased_bytes: input.quota_bytes,
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
        if input.quota_bytes > 0 {
            let key = format!("grant:{id}:initial");
            diesel::insert_into(quota_ledger::table)
                .values(NewLedgerEntry {
                    user_id: id,
                    delta_bytes: input.quota_bytes,
                    source: "purchase",
                    idempotency_key: &key,
                    details: json!({ "origin": input.origin, "expires_at": input.expires_at }),
                    created_by: input.created_by,
                })
                .execute(tx)?;
        }
        Ok(user)
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

pub fn find_by_phone(conn: &mut PgConnection, phone: &Msisdn) -> Result<Option<User>, DbError> {
    Ok(users::table.filter(users::phone_number.eq(phone)).select(User::as_select()).first(conn).optional()?)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<User>, DbError> {
    Ok(users::table.find(id).select(User::as_select()).first(conn).optional()?)
}

/// What a user may change about themselves; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OwnProfile {
    pub full_name: Option<String>,
    pub language: Option<crate::domain::Language>,
    pub messages_opt_out: Option<bool>,
}

/// Applies the user's own profile change; the user after it (`None`: no such user).
pub fn update_own_profile(conn: &mut PgConnection, id: Uuid, p: &OwnProfile) -> Result<Option<User>, UserError> {
    let name = p.full_name.as_deref().map(normalize_name).transpose()?;
    let Some(before) = find(conn, id)? else { return Ok(None) };
    let after = (
        name.unwrap_or_else(|| before.full_name.clone()),
        p.language.unwrap_or(before.language),
        p.messages_opt_out.unwrap_or(before.messages_opt_out),
    );
    if after == (before.full_name.clone(), before.language, before.messages_opt_out) {
        return Ok(Some(before));
    }
    let user = diesel::update(users::table.find(id))
        .set((
            users::full_name.eq(after.0),
            users::language.eq(after.1),
            users::messages_opt_out.eq(after.2),
            users::updated_at.eq(chrono::Utc::now()),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .map_err(DbError::from)?;
    Ok(Some(user))
}

pub fn list_users(conn: &mut PgConnection, limit: i64) -> Result<Vec<User>, DbError> {
    Ok(users::table.order(users::created_at.desc()).limit(limit).select(User::as_select()).load(conn)?)
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
    fn password_hash_round_trip() {
        assert!(matches!(hash_password("short"), Err(UserError::WeakPassword)));
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn expiry_is_start_of_next_local_day() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let e = expiry_from_date(d, chrono_tz::Asia::Makassar).unwrap();
        // 2027-01-01 00:00 WITA (UTC+8) = 2026-12-31 16:00 UTC.
        assert_eq!(e.to_rfc3339(), "2026-12-31T16:00:00+00:00");
    }
}
