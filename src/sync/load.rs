//! What a cycle reads from Postgres: the router's row, every user and device, the stored
//! baselines.

use chrono::{DateTime, Utc};
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use uuid::Uuid;

use super::plan::{Baseline, DeviceInput, Map, UserInput};
use crate::db::DbError;
use crate::db::models::DeviceRow;
use crate::db::schema::{device_counters, user_devices, users};
use crate::domain::policy::RouterPolicy;
use crate::domain::policy::UserFacts;
use crate::domain::{AccessStatus, ApprovalStatus, MacAddress, Msisdn};

/// The columns of a user a cycle reads: what the policy needs and the router-side name (not the
/// whole row: at 100,000 users the names, profiles and hashes are most of the load's time and
/// memory).
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct SyncUser {
    id: Uuid,
    phone_number: Msisdn,
    approval_status: ApprovalStatus,
    is_active: bool,
    is_blocked: bool,
    is_unlimited_user: bool,
    quota_purchased_bytes: i64,
    quota_used_bytes: i64,
    quota_expiry_date: Option<DateTime<Utc>>,
    access_status: AccessStatus,
}

impl SyncUser {
    fn facts(&self) -> UserFacts {
        UserFacts {
            approved: self.approval_status == ApprovalStatus::Approved,
            is_active: self.is_active,
            is_blocked: self.is_blocked,
            is_unlimited: self.is_unlimited_user,
            purchased_bytes: self.quota_purchased_bytes,
            used_bytes: self.quota_used_bytes,
            expires_at: self.quota_expiry_date,
        }
    }
}

pub(super) struct Loaded {
    pub users: Vec<UserInput>,
    /// user id → status before this cycle (to count changes).
    pub before: Map<Uuid, AccessStatus>,
    /// user id → the status stored on the row (written again only when it changes).
    pub stored: Map<Uuid, AccessStatus>,
    pub devices: Vec<DeviceInput>,
    pub baselines: Map<MacAddress, Baseline>,
    pub errors: Vec<String>,
}

/// The site's users, devices and baselines: the devices bound at the site (at the default site
/// also those no site claims), their users (at the default site every user, so stored statuses
/// stay current for users without devices too).
pub(super) fn load(
    conn: &mut PgConnection,
    router_id: i32,
    default: bool,
    policy: &RouterPolicy,
    now: DateTime<Utc>,
) -> Result<Loaded, DbError> {
    let mut errors = Vec::new();
    // Row by row: at 250,000 devices a whole result set held by libpq beside the typed rows
    // was the largest share of the cycle's peak memory.
    let mut users_in = Vec::new();
    let mut before = Map::default();
    let mut stored = Map::default();
    let mut users_q = users::table.select(SyncUser::as_select()).into_boxed();
    let mut devices_q = user_devices::table.select(DeviceRow::as_select()).into_boxed();
    if default {
        devices_q = devices_q.filter(user_devices::router_id.eq(router_id).or(user_devices::router_id.is_null()));
    } else {
        let here = user_devices::table.filter(user_devices::router_id.eq(router_id)).select(user_devices::user_id);
        users_q = users_q.filter(users::id.eq_any(here));
        devices_q = devices_q.filter(user_devices::router_id.eq(router_id));
    }
    for u in users_q.load_iter::<SyncUser, PgRowByRowLoadingMode>(conn)? {
        let u = u?;
        stored.insert(u.id, u.access_status);
        let facts = u.facts();
        before.insert(u.id, policy.status(&facts, now));
        users_in.push(UserInput { id: u.id, facts, hotspot_name: u.phone_number.local() });
    }
    let devices = devices_q
        .load_iter::<DeviceRow, PgRowByRowLoadingMode>(conn)?
        .map(|d| {
            d.map(|d| DeviceInput {
                id: d.id,
                user_id: d.user_id,
                mac: d.mac_address,
                ip: d.ip_address,
                authorized: d.is_authorized,
                last_seen: d.last_seen_at,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let counters = device_counters::table
        .filter(device_counters::router_id.eq(router_id))
        .select((
            device_counters::mac_address,
            device_counters::host_id,
            device_counters::last_bytes,
            device_counters::last_uptime_secs,
        ))
        .load_iter::<(MacAddress, String, i64, i64), PgRowByRowLoadingMode>(conn)?;
    let mut baselines = Map::default();
    for row in counters {
        let (mac, host_id, bytes, uptime) = row?;
        match (u64::try_from(bytes), u64::try_from(uptime)) {
            (Ok(bytes), Ok(uptime_secs)) => {
                baselines.insert(mac, Baseline { host_id, bytes, uptime_secs });
            }
            // The CHECK constraints keep these non-negative; a row that is not is re-baselined.
            _ => errors.push(format!("baseline of {mac}: negative counter")),
        }
    }
    Ok(Loaded { users: users_in, before, stored, devices, baselines, errors })
}
