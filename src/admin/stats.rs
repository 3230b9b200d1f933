//! The dashboard: users per access status, registrations waiting, usage today / 7 / 30 days,
//! the top users today, devices active recently, the last sync, today's codes, the gateway.
//! The independent reads run side by side, each on its own connection.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Admin, AdminError};
use crate::db::models::SyncRun;
use crate::db::schema::{login_history, message_log, usage_daily, usage_day_totals, users};
use crate::domain::days::local_midnight as day_start;
use crate::domain::{AccessStatus, ApprovalStatus, LoginMethod, MessageStatus, Msisdn};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopUser {
    pub user_id: Uuid,
    pub full_name: String,
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    pub phone_number: Msisdn,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Usage {
    pub today: i64,
    pub last_7_days: i64,
    pub last_30_days: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Codes {
    pub sent: i64,
    pub verified: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    /// Every access status with its count (zeros included).
    pub users_by_status: BTreeMap<String, i64>,
    pub users_total: i64,
    pub registrations_waiting: i64,
    pub bytes: Usage,
    pub top_users_today: Vec<TopUser>,
    /// Our devices the router showed online at the last sync, when that was within 10 minutes.
    pub devices_active_10m: i64,
    pub last_sync: Option<SyncRun>,
    pub codes_today: Codes,
    /// `up`, `down`, `unknown` (no answer in time) or `not_configured`.
    pub whatsapp_session: &'static str,
    /// Accounts made since the start of this month (operator's timezone).
    pub registrations_this_month: i64,
    /// Users whose expiry falls within the next 7 days.
    pub expiring_within_7_days: i64,
    pub generated_at: DateTime<Utc>,
    // The existing frontend's dashboard reads these names.
    #[serde(rename = "menungguPersetujuan")]
    pub fe_waiting: i64,
    #[serde(rename = "penggunaAktif")]
    pub fe_active: i64,
    #[serde(rename = "pendaftarBaru")]
    pub fe_new: i64,
    #[serde(rename = "akanKadaluwarsa")]
    pub fe_expiring: i64,
    /// Quota requests: none in this system.
    #[serde(rename = "permintaanTertunda")]
    pub fe_requests: i64,
    /// Paid sales: revenue (rupiah) and quota sold.
    pub sales: super::sales::Sales,
    #[serde(flatten)]
    pub fe_sales: super::sales::FrontendSales,
}

/// How long one computation of the dashboard serves: the figures come from the last sync cycle
/// anyway, and every admin's polling page would otherwise recount 100k users each time.
pub const STATS_FRESH_FOR: Duration = Duration::from_secs(5);

/// The last figures and when they were made; one computation at a time (the others wait for it).
#[derive(Default)]
pub struct StatsCache(tokio::sync::Mutex<Option<(std::time::Instant, Stats)>>);

impl Admin {
    /// The dashboard, at most [`STATS_FRESH_FOR`] old (`generated_at` says when).
    pub async fn stats(&self) -> Result<Stats, AdminError> {
        let mut slot = self.stats_cache.0.lock().await;
        if let Some((at, s)) = slot.as_ref()
            && at.elapsed() < STATS_FRESH_FOR
        {
            return Ok(s.clone());
        }
        let fresh = self.compute_stats().await?;
        *slot = Some((std::time::Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// The figures, counted now.
    pub async fn compute_stats(&self) -> Result<Stats, AdminError> {
        let tz = self.settings.timezone;
        let now = Utc::now();
        let today = now.with_timezone(&tz).date_naive();
        let since_midnight = day_start(today, tz);
        let month_start = day_start(today.with_day(1).unwrap_or(today), tz);
        let db = self.db();

        let statuses = db.run(move |conn| user_counts(conn, now, month_start));
        let usage = db.run(move |conn| usage_today(conn, today));
        let activity = db.run(move |conn| activity(conn, now, since_midnight));
        let sales = db.run(move |conn| {
            let from = day_start(today - chrono::Duration::days(29), tz).min(month_start);
            let month_day = today.with_day(1).unwrap_or(today);
            Ok(super::sales::load(conn, tz, today, from, month_day)?)
        });
        let last_sync = crate::sites::runs::recent(db, 1);
        let failed = crate::auth::counters::failed_codes(&self.kv, today);
        let session = self.gateway_session();
        let (statuses, usage, activity, last_sync, failed, session, sales) =
            tokio::join!(statuses, usage, activity, last_sync, failed, session, sales);
        let (sales, fe_sales) = sales?;
        let (UserCounts { by_status, waiting, new, expiring }, (bytes, top), (active, sent, verified)) =
            (statuses?, usage?, activity?);
        let in_service: i64 = ["active", "fup", "unlimited"].iter().filter_map(|s| by_status.get(*s)).sum();
        Ok(Stats {
            fe_waiting: waiting,
            fe_active: in_service,
            fe_new: new,
            fe_expiring: expiring,
            fe_requests: 0,
            sales,
            fe_sales,
            registrations_this_month: new,
            expiring_within_7_days: expiring,
            users_total: by_status.values().sum(),
            users_by_status: by_status,
            registrations_waiting: waiting,
            bytes,
            top_users_today: top,
            devices_active_10m: active,
            last_sync: last_sync?.into_iter().next(),
            codes_today: Codes { sent, verified, failed },
            whatsapp_session: session,
            generated_at: now,
        })
    }

    /// The gateway's WhatsApp session, asked with a short deadline (the dashboard must not hang
    /// on a slow gateway).
    pub async fn gateway_session(&self) -> &'static str {
        let Some(m) = &self.messenger else { return "not_configured" };
        match tokio::time::timeout(Duration::from_secs(2), m.session_up()).await {
            Ok(Ok(true)) => "up",
            Ok(Ok(false)) => "down",
            Ok(Err(_)) | Err(_) => "unknown",
        }
    }
}

struct UserCounts {
    /// Every access status with its count (zeros included).
    by_status: BTreeMap<String, i64>,
    waiting: i64,
    /// Accounts made since `month_start`.
    new: i64,
    /// Expiring within 7 days of `now`.
    expiring: i64,
}

fn user_counts(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    month_start: DateTime<Utc>,
) -> Result<UserCounts, crate::db::DbError> {
    let rows: Vec<(AccessStatus, i64)> = users::table
        .group_by(users::access_status)
        .select((users::access_status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut by_status: BTreeMap<String, i64> = AccessStatus::ALL.iter().map(|s| (s.as_str().to_owned(), 0)).collect();
    for (s, n) in rows {
        by_status.insert(s.as_str().to_owned(), n);
    }
    let waiting: i64 =
        users::table.filter(users::approval_status.eq(ApprovalStatus::Pending)).count().get_result(conn)?;
    let new: i64 = users::table.filter(users::created_at.ge(month_start)).count().get_result(conn)?;
    let expiring: i64 = users::table
        .filter(users::quota_expiry_date.gt(now))
        .filter(users::quota_expiry_date.le(now + chrono::Duration::days(7)))
        .count()
        .get_result(conn)?;
    Ok(UserCounts { by_status, waiting, new, expiring })
}

/// Bytes today, over 7 and 30 days, from the sync's per-day totals (a few rows per day, not
/// millions of per-user rows), and today's top users.
fn usage_today(conn: &mut PgConnection, today: NaiveDate) -> Result<(Usage, Vec<TopUser>), crate::db::DbError> {
    let days: Vec<(NaiveDate, i64)> = usage_day_totals::table
        .filter(usage_day_totals::day.ge(today - chrono::Duration::days(29)))
        .select((usage_day_totals::day, usage_day_totals::bytes))
        .load(conn)?;
    let since = |d: i64| -> i64 {
        let from = today - chrono::Duration::days(d);
        days.iter().filter(|(day, _)| *day >= from).map(|(_, b)| *b).sum()
    };
    let usage = Usage { today: since(0), last_7_days: since(6), last_30_days: since(29) };
    let top: Vec<(Uuid, String, Msisdn, i64)> = usage_daily::table
        .inner_join(users::table)
        .filter(usage_daily::day.eq(today))
        .order(usage_daily::bytes.desc())
        .limit(10)
        .select((users::id, users::full_name, users::phone_number, usage_daily::bytes))
        .load(conn)?;
    let top = top
        .into_iter()
        .map(|(user_id, full_name, phone_number, bytes)| TopUser { user_id, full_name, phone_number, bytes })
        .collect();
    Ok((usage, top))
}

/// Devices online at the last cycle (when it was within 10 minutes), codes sent and codes that
/// signed someone in since local midnight.
fn activity(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    since_midnight: DateTime<Utc>,
) -> Result<(i64, i64, i64), crate::db::DbError> {
    let active = crate::sites::runs::online_since(conn, now - chrono::Duration::minutes(10))?;
    let sent: i64 = message_log::table
        .filter(message_log::template.eq("otp"))
        .filter(message_log::created_at.ge(since_midnight))
        .filter(message_log::status.ne(MessageStatus::Failed))
        .count()
        .get_result(conn)?;
    let verified: i64 = login_history::table
        .filter(login_history::method.eq(LoginMethod::Otp))
        .filter(login_history::created_at.ge(since_midnight))
        .count()
        .get_result(conn)?;
    Ok((active, sent, verified))
}
