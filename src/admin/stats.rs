//! The dashboard: users per access status, registrations waiting, usage today / 7 / 30 days,
//! the top users today, devices active recently, the last sync, today's codes, the gateway.
//! The independent reads run side by side, each on its own connection.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::query::status_sql;
use super::{Admin, AdminError};
use crate::db::models::SyncRun;
use crate::db::schema::{device_counters, login_history, message_log, usage_daily, user_devices, users};
use crate::domain::{AccessStatus, ApprovalStatus, Msisdn};

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
    /// Devices whose traffic the sync saw, or that signed in, in the last 10 minutes.
    pub devices_active_10m: i64,
    pub last_sync: Option<SyncRun>,
    pub codes_today: Codes,
    /// `up`, `down`, `unknown` (no answer in time) or `not_configured`.
    pub whatsapp_session: &'static str,
    pub generated_at: DateTime<Utc>,
}

/// The start of a local day, in UTC.
fn day_start(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight).earliest().map(|d| d.with_timezone(&Utc)).unwrap_or_else(Utc::now)
}

impl Admin {
    pub async fn stats(&self) -> Result<Stats, AdminError> {
        let tz = self.captive.settings.timezone;
        let now = Utc::now();
        let today = now.with_timezone(&tz).date_naive();
        let since_midnight = day_start(today, tz);
        let fup = self.runtime.get().fup_threshold_bytes;
        let db = self.db();

        let statuses = db.run(move |conn| {
            let rows: Vec<(String, i64)> = users::table
                .select((sql::<Text>(&status_sql(fup)), sql::<BigInt>("count(*)")))
                .group_by(sql::<Text>("1"))
                .load(conn)?;
            let waiting: i64 =
                users::table.filter(users::approval_status.eq(ApprovalStatus::Pending)).count().get_result(conn)?;
            Ok((rows, waiting))
        });
        let usage = db.run(move |conn| {
            // `sum(bigint)` is numeric in Postgres: cast back (bytes stay far below i64::MAX).
            let sum = |conn: &mut PgConnection, from: NaiveDate| -> QueryResult<i64> {
                usage_daily::table
                    .filter(usage_daily::day.ge(from))
                    .select(sql::<BigInt>("COALESCE(sum(usage_daily.bytes), 0)::bigint"))
                    .first(conn)
            };
            let usage = Usage {
                today: sum(conn, today)?,
                last_7_days: sum(conn, today - chrono::Duration::days(6))?,
                last_30_days: sum(conn, today - chrono::Duration::days(29))?,
            };
            let top: Vec<(Uuid, String, Msisdn, i64)> = usage_daily::table
                .inner_join(users::table)
                .filter(usage_daily::day.eq(today))
                .order(usage_daily::bytes.desc())
                .limit(10)
                .select((users::id, users::full_name, users::phone_number, usage_daily::bytes))
                .load(conn)?;
            Ok((usage, top))
        });
        let activity = db.run(move |conn| {
            let recent = now - chrono::Duration::minutes(10);
            let active: i64 = user_devices::table
                .filter(
                    user_devices::last_seen_at.ge(recent).or(user_devices::mac_address.eq_any(
                        device_counters::table
                            .filter(device_counters::updated_at.ge(recent))
                            .select(device_counters::mac_address),
                    )),
                )
                .count()
                .get_result(conn)?;
            let sent: i64 = message_log::table
                .filter(message_log::template.eq("otp"))
                .filter(message_log::created_at.ge(since_midnight))
                .filter(message_log::status.ne("failed"))
                .count()
                .get_result(conn)?;
            let verified: i64 = login_history::table
                .filter(login_history::method.eq("otp"))
                .filter(login_history::created_at.ge(since_midnight))
                .count()
                .get_result(conn)?;
            Ok((active, sent, verified))
        });
        let last_sync = crate::sync::recent_runs(db, 1);
        let failed = self.failed_codes(today);
        let session = self.gateway_session();
        let (statuses, usage, activity, last_sync, failed, session) =
            tokio::join!(statuses, usage, activity, last_sync, failed, session);
        let ((rows, waiting), (bytes, top), (active, sent, verified)) = (statuses?, usage?, activity?);
        let mut by_status: BTreeMap<String, i64> =
            AccessStatus::ALL.iter().map(|s| (s.as_str().to_owned(), 0)).collect();
        for (s, n) in rows {
            by_status.insert(s, n);
        }
        Ok(Stats {
            users_total: by_status.values().sum(),
            users_by_status: by_status,
            registrations_waiting: waiting,
            bytes,
            top_users_today: top
                .into_iter()
                .map(|(user_id, full_name, phone_number, bytes)| TopUser { user_id, full_name, phone_number, bytes })
                .collect(),
            devices_active_10m: active,
            last_sync: last_sync?.into_iter().next(),
            codes_today: Codes { sent, verified, failed },
            whatsapp_session: session,
            generated_at: now,
        })
    }

    async fn failed_codes(&self, day: NaiveDate) -> i64 {
        let kv = &self.captive.kv;
        let key = kv.key(&crate::captive::codes::failed_codes_key(day));
        kv.with_timeout(async {
            let mut c = kv.conn();
            let n: Option<i64> = redis::cmd("GET").arg(&key).query_async(&mut c).await?;
            Ok(n.unwrap_or(0))
        })
        .await
        .unwrap_or(0)
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
