//! What the admin pages read: users found by any local form of their number or by name,
//! filtered, sorted and paged with a total; one user in detail; devices seen recently; the
//! WhatsApp message log.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Admin, AdminError, invalid};
use crate::db::DbError;
use crate::db::like_escape;
use crate::db::models::{Device, User};
use crate::db::schema::{message_log, quota_ledger, usage_daily, user_devices, users};
use crate::domain::{AccessStatus, ApprovalStatus, LedgerSource, MessageStatus, Role};

/// What the search box holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A number from its start, in international form (`08…`, `628…`, `+62…`, `8…`).
    PhonePrefix(String),
    /// Digits found anywhere in the number.
    PhoneDigits(String),
    /// Part of a name, any case.
    Name(String),
}

/// Reads the search box: numbers in any local form, else a name.
pub fn parse_search(raw: &str) -> Option<Search> {
    let q = raw.trim();
    if q.is_empty() {
        return None;
    }
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if phone_like && digits.len() >= 3 {
        let prefix = if q.starts_with('+') {
            Some(digits.clone())
        } else if let Some(rest) = digits.strip_prefix("00") {
            Some(rest.to_owned())
        } else if let Some(rest) = digits.strip_prefix('0') {
            Some(format!("62{rest}"))
        } else if digits.starts_with("62") {
            Some(digits.clone())
        } else if digits.starts_with('8') && digits.len() >= 8 {
            Some(format!("62{digits}"))
        } else {
            None
        };
        return Some(match prefix {
            Some(p) => Search::PhonePrefix(format!("+{p}")),
            None => Search::PhoneDigits(digits),
        });
    }
    Some(Search::Name(q.chars().take(100).collect()))
}

/// A status filter in our words or the existing frontend's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Is(AccessStatus),
    /// Users who owe: use beyond the quota (not unlimited users), or an open debt.
    Debt,
}

pub fn parse_status(raw: &str) -> Result<StatusFilter, AdminError> {
    Ok(match raw {
        "aktif" => StatusFilter::Is(AccessStatus::Active),
        "inactive_quota" => StatusFilter::Is(AccessStatus::Habis),
        "debt" => StatusFilter::Debt,
        other => StatusFilter::Is(other.parse().map_err(|_| invalid("status", "an access status"))?),
    })
}

/// Sortable columns, by our names and the frontend's.
pub fn parse_sort(field: &str) -> Result<&'static str, AdminError> {
    Ok(match field {
        "created_at" => "created_at",
        "full_name" => "full_name",
        "phone_number" => "phone_number",
        "last_login_at" => "last_login_at",
        "quota_expiry_date" => "quota_expiry_date",
        "approval_status" => "approval_status",
        "role" => "role",
        "is_active" => "is_active",
        "quota_purchased_bytes" | "total_quota_purchased_mb" => "quota_purchased_bytes",
        "quota_used_bytes" | "total_quota_used_mb" => "quota_used_bytes",
        _ => {
            return Err(invalid(
                "sort",
                "one of created_at, full_name, phone_number, last_login_at, quota_expiry_date, approval_status, role, is_active, quota_purchased_bytes, quota_used_bytes",
            ));
        }
    })
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub search: Option<Search>,
    pub status: Option<StatusFilter>,
    pub role: Option<Role>,
    pub approval: Option<ApprovalStatus>,
    pub blocked: Option<bool>,
    /// Column and direction (true: descending).
    pub sort: (&'static str, bool),
    pub page: i64,
    pub per_page: i64,
}

/// A user row of the list with its device count.
pub struct Listed {
    pub user: User,
    pub device_count: i64,
}

fn list_users(conn: &mut PgConnection, f: &UserFilter) -> Result<(Vec<Listed>, i64), DbError> {
    let build = || {
        let mut q = users::table.into_boxed();
        match &f.search {
            Some(Search::PhonePrefix(p)) => q = q.filter(users::phone_number.like(format!("{}%", like_escape(p)))),
            Some(Search::PhoneDigits(d)) => q = q.filter(users::phone_number.like(format!("%{}%", like_escape(d)))),
            Some(Search::Name(n)) => q = q.filter(users::full_name.ilike(format!("%{}%", like_escape(n)))),
            None => {}
        }
        // The stored status: as of the last sync or admin change, what the router enforces.
        match f.status {
            Some(StatusFilter::Is(s)) => q = q.filter(users::access_status.eq(s)),
            Some(StatusFilter::Debt) => {
                let over =
                    users::is_unlimited_user.eq(false).and(users::quota_used_bytes.gt(users::quota_purchased_bytes));
                q = q.filter(over.or(users::manual_debt_items.gt(0)));
            }
            None => {}
        }
        if let Some(r) = f.role {
            q = q.filter(users::role.eq(r));
        }
        if let Some(a) = f.approval {
            q = q.filter(users::approval_status.eq(a));
        }
        if let Some(b) = f.blocked {
            q = q.filter(users::is_blocked.eq(b));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let (col, desc) = f.sort;
    // Empty values last either way; the NOT NULL columns take no NULLS clause, so their
    // indexes (created_at's above all) serve the order.
    let nullable = matches!(col, "last_login_at" | "quota_expiry_date");
    let dir = match (desc, nullable) {
        (true, true) => "DESC NULLS LAST",
        (false, true) => "ASC NULLS LAST",
        (true, false) => "DESC",
        (false, false) => "ASC",
    };
    // `col` comes from the whitelist in `parse_sort`, never from the request.
    let rows: Vec<User> = build()
        .order(sql::<Text>(&format!("users.{col} {dir}, users.id")))
        .offset((f.page - 1) * f.per_page)
        .limit(f.per_page)
        .select(User::as_select())
        .load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|u| u.id).collect();
    let counts: Vec<(Uuid, i64)> = user_devices::table
        .filter(user_devices::user_id.eq_any(&ids))
        .group_by(user_devices::user_id)
        .select((user_devices::user_id, diesel::dsl::count_star()))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|u| {
            let device_count = counts.iter().find(|(id, _)| *id == u.id).map(|(_, n)| *n).unwrap_or(0);
            Listed { user: u, device_count }
        })
        .collect();
    Ok((items, total))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageDay {
    pub day: NaiveDate,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = quota_ledger)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct LedgerRow {
    pub id: i64,
    pub delta_bytes: i64,
    #[schema(value_type = String)]
    pub source: LedgerSource,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub struct Detail {
    pub user: User,
    pub devices: Vec<Device>,
    /// The last 30 days in the operator's timezone, zero-filled, oldest first.
    pub usage: Vec<UsageDay>,
    pub ledger: Vec<LedgerRow>,
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = message_log)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct MessageRow {
    pub id: i64,
    pub user_id: Option<Uuid>,
    pub template: String,
    pub provider: String,
    #[schema(value_type = String)]
    pub status: MessageStatus,
    pub error: Option<String>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub status: Option<MessageStatus>,
    pub user: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Admin {
    pub async fn list_users(&self, f: UserFilter) -> Result<(Vec<Listed>, i64), AdminError> {
        Ok(self.db().run(move |conn| list_users(conn, &f)).await?)
    }

    pub async fn detail(&self, id: Uuid) -> Result<Detail, AdminError> {
        let tz = self.settings.timezone;
        let today = Utc::now().with_timezone(&tz).date_naive();
        let first = today - chrono::Duration::days(29);
        let (user, devices, days, ledger) = self
            .db()
            .run(move |conn| {
                let Some(user) = crate::accounts::find(conn, id)? else { return Ok(None) };
                let devices: Vec<Device> = user_devices::table
                    .filter(user_devices::user_id.eq(id))
                    .order(user_devices::last_seen_at.desc())
                    .select(Device::as_select())
                    .load(conn)?;
                let days: Vec<(NaiveDate, i64)> = usage_daily::table
                    .filter(usage_daily::user_id.eq(id))
                    .filter(usage_daily::day.ge(first))
                    .select((usage_daily::day, usage_daily::bytes))
                    .load(conn)?;
                let ledger: Vec<LedgerRow> = quota_ledger::table
                    .filter(quota_ledger::user_id.eq(id))
                    .order((quota_ledger::created_at.desc(), quota_ledger::id.desc()))
                    .limit(20)
                    .select(LedgerRow::as_select())
                    .load(conn)?;
                Ok(Some((user, devices, days, ledger)))
            })
            .await?
            .ok_or(AdminError::Account(crate::accounts::AccountError::UserNotFound))?;
        let usage = (0..30)
            .map(|i| {
                let day = first + chrono::Duration::days(i);
                UsageDay { day, bytes: days.iter().find(|(d, _)| *d == day).map(|(_, b)| *b).unwrap_or(0) }
            })
            .collect();
        Ok(Detail { user, devices, usage, ledger })
    }

    pub async fn devices_of(&self, id: Uuid) -> Result<Vec<Device>, AdminError> {
        self.user(id).await?;
        Ok(self.devices.devices_of(id).await?)
    }

    /// Devices seen within `secs`, newest first, with their owner's id (at most `limit`).
    pub async fn devices_seen(&self, secs: i64, limit: i64) -> Result<Vec<Device>, AdminError> {
        let since = Utc::now() - chrono::Duration::seconds(secs);
        Ok(self
            .db()
            .run(move |conn| {
                Ok(user_devices::table
                    .filter(user_devices::last_seen_at.ge(since))
                    .order(user_devices::last_seen_at.desc())
                    .limit(limit)
                    .select(Device::as_select())
                    .load(conn)?)
            })
            .await?)
    }

    pub async fn messages(
        &self,
        f: MessageFilter,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<MessageRow>, i64), AdminError> {
        Ok(self
            .db()
            .run(move |conn| {
                let build = || {
                    let mut q = message_log::table.into_boxed();
                    if let Some(s) = &f.status {
                        q = q.filter(message_log::status.eq(*s));
                    }
                    if let Some(u) = f.user {
                        q = q.filter(message_log::user_id.eq(u));
                    }
                    if let Some(from) = f.from {
                        q = q.filter(message_log::created_at.ge(from));
                    }
                    if let Some(to) = f.to {
                        q = q.filter(message_log::created_at.lt(to));
                    }
                    q
                };
                let total: i64 = build().count().get_result(conn)?;
                let items = build()
                    .order((message_log::created_at.desc(), message_log::id.desc()))
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                    .select(MessageRow::as_select())
                    .load(conn)?;
                Ok((items, total))
            })
            .await?)
    }

    /// The address values users' profiles hold (the editor's blok and kamar choices), sorted.
    pub async fn address_options(&self) -> Result<(Vec<String>, Vec<String>), AdminError> {
        Ok(self
            .db()
            .run(|conn| {
                let values = |conn: &mut PgConnection, key: &str| -> Result<Vec<String>, DbError> {
                    Ok(users::table
                        .select(sql::<Text>(&format!("DISTINCT profile->>'{key}'")))
                        .filter(sql::<diesel::sql_types::Bool>(&format!("profile ? '{key}'")))
                        .load::<String>(conn)?)
                };
                let (mut bloks, mut kamars) = (values(conn, "blok")?, values(conn, "kamar")?);
                bloks.sort();
                kamars.sort();
                Ok((bloks, kamars))
            })
            .await
            .map(|(held_bloks, held_kamars)| {
                // The operator's lists first (a fresh install offers them), then what users hold.
                let rt = self.runtime.get();
                (with_held(&rt.address_bloks, held_bloks), with_held(&rt.address_kamars, held_kamars))
            })?)
    }

    pub async fn audit(
        &self,
        f: crate::audit::AuditFilter,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<crate::audit::AuditEntry>, i64), AdminError> {
        Ok(self.db.run(move |conn| crate::audit::list(conn, &f, page, per_page)).await?)
    }
}

/// `configured`, then the `held` values not in it.
fn with_held(configured: &[String], held: Vec<String>) -> Vec<String> {
    let mut out = configured.to_vec();
    out.extend(held.into_iter().filter(|h| !configured.contains(h)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_box_reads_numbers_in_any_local_form() {
        let p = |s: &str| Some(Search::PhonePrefix(s.to_owned()));
        let cases: &[(&str, Option<Search>)] = &[
            ("081234567004", p("+6281234567004")),
            ("0812-3456-7004", p("+6281234567004")),
            ("6281234567004", p("+6281234567004")),
            ("+6281234567004", p("+6281234567004")),
            ("006281234567004", p("+6281234567004")),
            ("81234567004", p("+6281234567004")),
            ("0812", p("+62812")),
            ("7004", Some(Search::PhoneDigits("7004".into()))),
            ("12", Some(Search::Name("12".into()))),
            ("Budi", Some(Search::Name("Budi".into()))),
            ("  ", None),
        ];
        for (raw, want) in cases {
            assert_eq!(&parse_search(raw), want, "{raw}");
        }
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }

    #[test]
    fn filters_and_sorts_take_both_vocabularies() {
        assert_eq!(parse_status("aktif").unwrap(), StatusFilter::Is(AccessStatus::Active));
        assert_eq!(parse_status("fup").unwrap(), StatusFilter::Is(AccessStatus::Fup));
        assert_eq!(parse_status("debt").unwrap(), StatusFilter::Debt);
        assert!(parse_status("whatever").is_err());
        assert_eq!(parse_sort("total_quota_used_mb").unwrap(), "quota_used_bytes");
        assert!(parse_sort("password_hash").is_err());
        assert!(parse_sort("full_name; DROP TABLE users").is_err());
    }
}
