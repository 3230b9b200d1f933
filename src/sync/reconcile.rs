//! One user's router entries brought in line with their access status now, without waiting for
//! the next cycle (an admin blocked them, a grant landed). The same pure planner as the cycle,
//! over a snapshot of just this user's entries: their devices' bindings, their devices' IPs on
//! the status lists, their hotspot user. Charging stays with the cycle (no hosts are read).

use diesel::prelude::*;
use uuid::Uuid;

use super::context::{SyncContext, SyncError};
use super::plan::{self, DeviceInput, Map, Rules, UserInput};
use crate::db::models::{DeviceRow, User};
use crate::db::schema::user_devices;
use crate::domain::{AccessStatus, ClientIp};

#[derive(Debug, Clone)]
pub struct Reconciled {
    pub status: AccessStatus,
    pub changes: usize,
}

/// What the reconcile reads of Postgres: the user, their devices, and which of their devices'
/// IPs an authorized device of someone else holds now (never touched from here).
type Loaded = (User, Vec<DeviceRow>, Vec<ClientIp>);

/// Whose devices a reconcile takes: every one of the user's (a backend without sites yet), or
/// those at one site (at the environment's site also those no site claims).
#[derive(Debug, Clone, Copy)]
pub enum DevicesAt {
    All,
    Site { id: i32, default: bool },
}

/// The sites the user's devices are at (`None`: a device no site claims).
pub async fn sites_of(db: &crate::db::Db, id: Uuid) -> Result<Vec<Option<i32>>, SyncError> {
    Ok(db
        .run(move |conn| {
            Ok(user_devices::table
                .filter(user_devices::user_id.eq(id))
                .select(user_devices::router_id)
                .distinct()
                .load(conn)?)
        })
        .await?)
}

fn load(conn: &mut PgConnection, id: Uuid, at: DevicesAt) -> Result<Option<Loaded>, crate::db::DbError> {
    let Some(user) = crate::accounts::find(conn, id)? else { return Ok(None) };
    let mut q = user_devices::table.filter(user_devices::user_id.eq(id)).select(DeviceRow::as_select()).into_boxed();
    q = match at {
        DevicesAt::All => q,
        DevicesAt::Site { id, default: true } => {
            q.filter(user_devices::router_id.eq(id).or(user_devices::router_id.is_null()))
        }
        DevicesAt::Site { id, default: false } => q.filter(user_devices::router_id.eq(id)),
    };
    let devices: Vec<DeviceRow> = q.load(conn)?;
    let ips: Vec<ClientIp> = devices.iter().filter_map(|d| d.ip_address).collect();
    let taken: Vec<Option<ClientIp>> = user_devices::table
        .filter(user_devices::ip_address.eq_any(&ips))
        .filter(user_devices::user_id.ne(id))
        .filter(user_devices::is_authorized.eq(true))
        .select(user_devices::ip_address)
        .load(conn)?;
    Ok(Some((user, devices, taken.into_iter().flatten().collect())))
}

/// Applies the one policy to the user's entries; an error (router down, a write refused) is
/// for the queue to retry. A user who no longer exists has nothing to reconcile.
pub async fn reconcile_user(ctx: &SyncContext, id: Uuid, at: DevicesAt) -> Result<Option<Reconciled>, SyncError> {
    let Some((user, devices, taken)) = ctx.db.run(move |conn| load(conn, id, at)).await? else { return Ok(None) };
    let policy = std::sync::Arc::new(ctx.site.policy(&ctx.runtime.policy()));
    let router = &ctx.router;
    let mut bindings = Vec::new();
    for d in &devices {
        bindings.extend(router.bindings_for(&d.mac_address).await?);
    }
    let mut list_entries = Vec::new();
    for ip in devices.iter().filter_map(|d| d.ip_address).filter(|ip| !taken.contains(ip)) {
        list_entries.extend(router.list_entries_for(&ip.as_text()).await?);
    }
    let name = user.phone_number.local();
    let hotspot_users = router.hotspot_users_named(&name).await?;
    let snapshot =
        plan::Snapshot { hosts: &[], bindings: &bindings, list_entries: &list_entries, users: &hotspot_users };
    let users = [UserInput { id, facts: user.facts(), hotspot_name: name }];
    let inputs: Vec<DeviceInput> = devices
        .iter()
        .map(|d| DeviceInput {
            id: d.id,
            user_id: d.user_id,
            mac: d.mac_address,
            // An IP someone else holds now is not this device's to place.
            ip: d.ip_address.filter(|ip| !taken.contains(ip)),
            authorized: d.is_authorized,
            last_seen: d.last_seen_at,
        })
        .collect();
    let rules = Rules { policy: policy.clone(), comment_prefix: ctx.comment_prefix.clone() };
    let out = plan::plan(&snapshot, &Map::default(), &users, &inputs, &rules, chrono::Utc::now());
    let status = out.statuses.get(&id).copied().unwrap_or(policy.status(&user.facts(), chrono::Utc::now()));
    let changes = out.router.len();
    let report = router.apply(out.router).await;
    if let Some((change, e)) = report.failed.into_iter().next() {
        tracing::warn!(?change, error = %e, "reconcile write failed; the job retries");
        return Err(SyncError::Router(e));
    }
    if status != user.access_status {
        ctx.db.run(move |conn| crate::accounts::status::store_all(conn, &[(id, status)])).await?;
    }
    Ok(Some(Reconciled { status, changes }))
}
