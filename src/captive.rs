//! Device authorization: the router is the authority on which MAC holds an IP; devices are
//! registered under a per-user limit; the router gets the binding, the status list and the
//! hotspot user that match the user's status.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz, Untyped, Uuid as SqlUuid};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::models::User;
use crate::db::schema::user_devices;
use crate::db::{Db, DbError};
use crate::domain::policy::{BindingKind, UserFacts, binding_kind, bypasses_login, resolve_status};
use crate::domain::{AccessStatus, ApprovalStatus, ClientIp, MacAddress, Msisdn};
use crate::router::RouterError;
use crate::router::ops::{Ops, Upsert};
use crate::router::rows::BindingType;

#[derive(Debug, thiserror::Error)]
pub enum CaptiveError {
    #[error("router unavailable")]
    RouterUnavailable,
    #[error("the router does not see this device")]
    DeviceNotFound,
    #[error("the device address does not match the router's")]
    DeviceMismatch,
    #[error("device limit reached")]
    DeviceLimit { limit: usize },
    #[error("the device belongs to another account")]
    TakeoverRequired,
    #[error("router refused a change: {0}")]
    RouterRefused(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<RouterError> for CaptiveError {
    fn from(e: RouterError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "router unavailable");
            CaptiveError::RouterUnavailable
        } else {
            tracing::error!(error = %e, "router refused a command");
            CaptiveError::RouterRefused(e.to_string())
        }
    }
}

/// A registered device as the device policy sees it.
#[derive(Debug, Clone, Queryable)]
pub struct DeviceRow {
    pub id: i64,
    pub user_id: Uuid,
    pub mac_address: String,
    pub ip_address: Option<String>,
    pub last_seen_at: DateTime<Utc>,
}

/// What registering this device means for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePlan {
    /// Stale devices to drop to make room: (id, MAC).
    pub evict: Vec<(i64, String)>,
    /// The account the device is taken from.
    pub takeover_from: Option<Uuid>,
}

/// The device policy (pure): the limit counts the user's other devices; the least recently seen
/// stale ones make room; a device of another account moves only when the user confirms.
pub fn plan_devices(
    user: Uuid,
    mac: &MacAddress,
    rows: &[DeviceRow],
    limit: usize,
    stale_before: DateTime<Utc>,
    confirm_takeover: bool,
) -> Result<DevicePlan, CaptiveError> {
    let mac_text = mac.canonical();
    let owner = rows.iter().find(|r| r.mac_address == mac_text).map(|r| r.user_id);
    let takeover_from = owner.filter(|o| *o != user);
    if takeover_from.is_some() && !confirm_takeover {
        return Err(CaptiveError::TakeoverRequired);
    }
    let mut others: Vec<&DeviceRow> = rows.iter().filter(|r| r.user_id == user && r.mac_address != mac_text).collect();
    if others.len() < limit {
        return Ok(DevicePlan { evict: vec![], takeover_from });
    }
    let needed = others.len() + 1 - limit;
    others.sort_by_key(|r| r.last_seen_at);
    let stale: Vec<(i64, String)> = others
        .iter()
        .filter(|r| r.last_seen_at < stale_before)
        .take(needed)
        .map(|r| (r.id, r.mac_address.clone()))
        .collect();
    if stale.len() < needed {
        return Err(CaptiveError::DeviceLimit { limit });
    }
    Ok(DevicePlan { evict: stale, takeover_from })
}

pub fn facts(u: &User) -> UserFacts {
    UserFacts {
        approved: u.approval_status == ApprovalStatus::Approved.as_str(),
        is_active: u.is_active,
        is_blocked: u.is_blocked,
        is_unlimited: u.is_unlimited_user,
        purchased_bytes: u.quota_purchased_bytes,
        used_bytes: u.quota_used_bytes,
        expires_at: u.quota_expiry_date,
    }
}

/// What the router now holds for the device.
#[derive(Debug, Clone)]
pub struct RouterOutcome {
    pub status: AccessStatus,
    pub binding_active: bool,
    pub login_required: bool,
    /// Only when the hotspot login page must be passed: the credentials for its form.
    pub hotspot_username: Option<String>,
    pub hotspot_password: Option<String>,
}

#[derive(Clone)]
pub struct Captive {
    pub db: Db,
    pub router: Option<Ops>,
    pub settings: Arc<Settings>,
    /// Where router removals that failed go to be retried.
    pub queues: Option<hotspot_jobs::Queues>,
}

fn binding_type(k: BindingKind) -> BindingType {
    match k {
        BindingKind::Regular => BindingType::Regular,
        BindingKind::Bypassed => BindingType::Bypassed,
        BindingKind::Blocked => BindingType::Blocked,
    }
}

/// The comment label of a user's router entries (no phone number on the router).
pub fn label(user: Uuid) -> String {
    format!("u:{}", user.simple())
}

fn hotspot_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

impl Captive {
    fn ops(&self) -> Result<&Ops, CaptiveError> {
        self.router.as_ref().ok_or(CaptiveError::RouterUnavailable)
    }

    pub fn status_of(&self, u: &User) -> AccessStatus {
        resolve_status(&facts(u), Utc::now(), self.settings.auth.fup_threshold_bytes)
    }

    /// The MAC the router sees at `ip`; a client-supplied MAC must agree.
    pub async fn resolve_mac(&self, ip: &ClientIp, hinted: Option<&MacAddress>) -> Result<MacAddress, CaptiveError> {
        let Some((mac, _source)) = self.ops()?.mac_for_ip(ip).await? else {
            return Err(CaptiveError::DeviceNotFound);
        };
        if hinted.is_some_and(|h| *h != mac) {
            return Err(CaptiveError::DeviceMismatch);
        }
        Ok(mac)
    }

    /// The user's devices and the device holding `mac` (whoever owns it), in one query.
    pub async fn device_rows(&self, user: Uuid, mac: &MacAddress) -> Result<Vec<DeviceRow>, CaptiveError> {
        let mac = mac.canonical();
        Ok(self
            .db
            .run(move |conn| {
                Ok(user_devices::table
                    .filter(user_devices::user_id.eq(user).or(user_devices::mac_address.eq(mac)))
                    .select((
                        user_devices::id,
                        user_devices::user_id,
                        user_devices::mac_address,
                        user_devices::ip_address,
                        user_devices::last_seen_at,
                    ))
                    .load(conn)?)
            })
            .await?)
    }

    pub fn plan(
        &self,
        user: Uuid,
        mac: &MacAddress,
        rows: &[DeviceRow],
        confirm: bool,
    ) -> Result<DevicePlan, CaptiveError> {
        let a = &self.settings.auth;
        let stale_before = Utc::now() - chrono::Duration::from_std(a.device_stale_after).unwrap_or_default();
        plan_devices(user, mac, rows, a.device_limit, stale_before, confirm)
    }

    /// Writes binding, status list and hotspot user for the device, concurrently over the one
    /// router connection.
    pub async fn apply_router(
        &self,
        user: &User,
        phone: &Msisdn,
        mac: &MacAddress,
        ip: &ClientIp,
    ) -> Result<RouterOutcome, CaptiveError> {
        let ops = self.ops()?;
        let status = self.status_of(user);
        let kind = binding_kind(status);
        // Borrowed, not cloned: this runs on every login.
        let list = self.settings.router.as_ref().map(|r| {
            let l = &r.lists;
            match status {
                AccessStatus::Active | AccessStatus::Unlimited => l.active.as_str(),
                AccessStatus::Fup => l.fup.as_str(),
                AccessStatus::Habis => l.habis.as_str(),
                AccessStatus::Expired => l.expired.as_str(),
                AccessStatus::Blocked => l.blocked.as_str(),
                AccessStatus::Inactive => l.inactive.as_str(),
            }
        });
        let profile = self.settings.auth.profiles.get(status.as_str()).cloned().unwrap_or_else(|| "default".into());
        let username = phone.local();
        let password = hotspot_password();
        let lab = label(user.id);
        let (binding, placed, hotspot_user) = tokio::join!(
            ops.upsert_binding(mac, binding_type(kind), &lab),
            ops.place_in_status_list(ip, list, &lab),
            ops.upsert_hotspot_user(&username, &password, &profile, &lab),
        );
        let binding = binding?;
        placed?;
        hotspot_user?;
        let bypass = bypasses_login(status);
        // An operator's own binding for this MAC decides; ours was not written.
        let binding_active = bypass && binding != Upsert::OperatorOwned;
        let login_required = !binding_active;
        Ok(RouterOutcome {
            status,
            binding_active,
            login_required,
            hotspot_username: login_required.then(|| username.clone()),
            hotspot_password: login_required.then_some(password),
        })
    }

    /// Router entries of devices that were evicted or removed. What cannot be removed now (router
    /// down) goes on the router-retry queue; the sync repairs whatever is still left after that.
    pub async fn forget_on_router(&self, macs: &[MacAddress], ips: &[ClientIp]) {
        let Some(ops) = &self.router else { return };
        let (mut failed_macs, mut failed_ips) = (Vec::new(), Vec::new());
        for m in macs {
            if let Err(e) = ops.remove_binding(m).await {
                tracing::warn!(mac = %m, error = %e, "could not remove a binding; queued for retry");
                failed_macs.push(m.canonical());
            }
        }
        for ip in ips {
            if let Err(e) = ops.remove_from_status_lists(ip).await {
                tracing::warn!(ip = %ip, error = %e, "could not remove status-list entries; queued for retry");
                failed_ips.push(ip.as_text());
            }
        }
        if failed_macs.is_empty() && failed_ips.is_empty() {
            return;
        }
        let Some(queues) = &self.queues else { return };
        let job =
            hotspot_jobs::RouterRetry { forget_macs: failed_macs, forget_ips: failed_ips, reason: "forget".into() };
        if let Err(e) = queues.enqueue_router_retry(job).await {
            tracing::error!(error = %e, "could not queue the router retry; the next sync removes the entries");
        }
    }

    /// Replays removals queued by [`Captive::forget_on_router`]. Entries whose MAC or IP belongs to
    /// an authorized device again (the user logged back in meanwhile) are left alone. Any router
    /// error fails the whole job so the queue retries it.
    pub async fn retry_forget(
        &self,
        macs: Vec<MacAddress>,
        ips: Vec<ClientIp>,
    ) -> Result<(usize, usize), CaptiveError> {
        let ops = self.ops()?;
        let mac_text: Vec<String> = macs.iter().map(MacAddress::canonical).collect();
        let ip_text: Vec<String> = ips.iter().map(ClientIp::as_text).collect();
        let in_use: Vec<(String, Option<String>)> = self
            .db
            .run(move |conn| {
                Ok(user_devices::table
                    .filter(user_devices::is_authorized.eq(true))
                    .filter(user_devices::mac_address.eq_any(mac_text).or(user_devices::ip_address.eq_any(ip_text)))
                    .select((user_devices::mac_address, user_devices::ip_address))
                    .load(conn)?)
            })
            .await?;
        let (mut bindings, mut entries) = (0, 0);
        for m in &macs {
            if in_use.iter().any(|(mac, _)| *mac == m.canonical()) {
                continue;
            }
            bindings += ops.remove_binding(m).await?;
        }
        for ip in &ips {
            let text = ip.as_text();
            if in_use.iter().any(|(_, i)| i.as_deref() == Some(text.as_str())) {
                continue;
            }
            ops.remove_from_status_lists(ip).await?;
            entries += 1;
        }
        Ok((bindings, entries))
    }
}

/// One login's database writes as one statement: evict stale devices, upsert the device (moving
/// it on takeover), login history, the refresh token, the user's last login. Returns the
/// device id.
pub struct LoginRecord<'a> {
    pub user: Uuid,
    pub mac: &'a MacAddress,
    pub ip: &'a ClientIp,
    pub evict: Vec<i64>,
    pub method: &'a str,
    pub user_agent: Option<String>,
    pub refresh_hash: Vec<u8>,
    pub family: Uuid,
    pub refresh_expires: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct DeviceId {
    #[diesel(sql_type = BigInt)]
    device_id: i64,
}

/// [`LoginRecord`] as a statement diesel prepares once per connection. A `sql_query` is never
/// prepared, so Postgres parsed and planned this five-part statement on every login, which cost
/// about as much as running it (pgbench, 8 clients: 1,800 per second unprepared, 3,500 prepared).
struct LoginStatement {
    evict: Vec<i64>,
    user: Uuid,
    mac: String,
    ip: String,
    method: String,
    user_agent: Option<String>,
    refresh_hash: Vec<u8>,
    family: Uuid,
    refresh_expires: DateTime<Utc>,
}

impl QueryId for LoginStatement {
    type QueryId = LoginStatement;
    // The SQL text never varies, so the prepared statement is cached under this type.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for LoginStatement {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for LoginStatement {}

impl QueryFragment<Pg> for LoginStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Every parameter once, in a one-row CTE that the rest of the statement reads.
        out.push_sql("WITH p AS (SELECT ");
        column::<Array<BigInt>, _>(&mut out, "", &self.evict, "evict")?;
        column::<SqlUuid, _>(&mut out, ", ", &self.user, "user_id")?;
        column::<Text, _>(&mut out, ", ", &self.mac, "mac")?;
        column::<Text, _>(&mut out, ", ", &self.ip, "ip")?;
        column::<Text, _>(&mut out, ", ", &self.method, "method")?;
        column::<Nullable<Text>, _>(&mut out, ", ", &self.user_agent, "user_agent")?;
        column::<Bytea, _>(&mut out, ", ", &self.refresh_hash, "refresh_hash")?;
        column::<SqlUuid, _>(&mut out, ", ", &self.family, "family")?;
        column::<Timestamptz, _>(&mut out, ", ", &self.refresh_expires, "refresh_expires")?;
        out.push_sql(")");
        out.push_sql(LOGIN_SQL);
        Ok(())
    }
}

/// `{sep}$n AS {name}`: one parameter as a column of `p`.
fn column<'b, ST, U>(out: &mut AstPass<'_, 'b, Pg>, sep: &str, value: &'b U, name: &str) -> QueryResult<()>
where
    Pg: diesel::sql_types::HasSqlType<ST>,
    U: diesel::serialize::ToSql<ST, Pg>,
{
    out.push_sql(sep);
    out.push_bind_param::<ST, U>(value)?;
    out.push_sql(" AS ");
    out.push_sql(name);
    Ok(())
}

/// The body after the parameters CTE `p`.
const LOGIN_SQL: &str = r#"
, evicted AS (
    DELETE FROM user_devices d USING p WHERE d.id = ANY(p.evict) AND d.user_id = p.user_id RETURNING d.id
), dev AS (
    INSERT INTO user_devices (user_id, mac_address, ip_address, is_authorized, authorized_at, deauthorized_at, last_seen_at)
    SELECT p.user_id, p.mac, p.ip, TRUE, now(), NULL, now() FROM p
    ON CONFLICT (mac_address) DO UPDATE SET
        user_id = EXCLUDED.user_id, ip_address = EXCLUDED.ip_address, is_authorized = TRUE,
        authorized_at = now(), deauthorized_at = NULL, last_seen_at = now(), updated_at = now()
    RETURNING id
), hist AS (
    INSERT INTO login_history (user_id, device_id, method, ip_address, mac_address, user_agent)
    SELECT p.user_id, dev.id, p.method, p.ip, p.mac, p.user_agent FROM dev, p
), tok AS (
    INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, ip_address, user_agent)
    SELECT p.user_id, p.refresh_hash, p.family, p.refresh_expires, p.ip, p.user_agent FROM p
), usr AS (
    UPDATE users SET last_login_at = now(), updated_at = now() FROM p WHERE users.id = p.user_id
)
SELECT dev.id AS device_id FROM dev
"#;

pub fn record_login(conn: &mut PgConnection, r: LoginRecord<'_>) -> Result<i64, DbError> {
    let row: DeviceId = LoginStatement {
        evict: r.evict,
        user: r.user,
        mac: r.mac.canonical(),
        ip: r.ip.as_text(),
        method: r.method.to_owned(),
        user_agent: r.user_agent.map(|u| u.chars().take(512).collect()),
        refresh_hash: r.refresh_hash,
        family: r.family,
        refresh_expires: r.refresh_expires,
    }
    .get_result(conn)?;
    Ok(row.device_id)
}

/// A device bound without a login (bind-current): device upsert only, no tokens or history.
pub fn register_device(
    conn: &mut PgConnection,
    user: Uuid,
    mac: &MacAddress,
    ip: &ClientIp,
    evict: Vec<i64>,
) -> Result<i64, DbError> {
    conn.transaction(|tx| {
        if !evict.is_empty() {
            diesel::delete(
                user_devices::table.filter(user_devices::id.eq_any(evict)).filter(user_devices::user_id.eq(user)),
            )
            .execute(tx)?;
        }
        let id: i64 = diesel::insert_into(user_devices::table)
            .values((
                user_devices::user_id.eq(user),
                user_devices::mac_address.eq(mac.canonical()),
                user_devices::ip_address.eq(ip.as_text()),
                user_devices::is_authorized.eq(true),
                user_devices::authorized_at.eq(Utc::now()),
            ))
            .on_conflict(user_devices::mac_address)
            .do_update()
            .set((
                user_devices::user_id.eq(user),
                user_devices::ip_address.eq(ip.as_text()),
                user_devices::is_authorized.eq(true),
                user_devices::authorized_at.eq(Utc::now()),
                user_devices::deauthorized_at.eq(None::<DateTime<Utc>>),
                user_devices::last_seen_at.eq(Utc::now()),
                user_devices::updated_at.eq(Utc::now()),
            ))
            .returning(user_devices::id)
            .get_result(tx)?;
        Ok(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, user: Uuid, mac: &str, days_ago: i64) -> DeviceRow {
        DeviceRow {
            id,
            user_id: user,
            mac_address: mac.into(),
            ip_address: None,
            last_seen_at: Utc::now() - chrono::Duration::days(days_ago),
        }
    }

    #[test]
    fn device_policy_table() {
        let me = Uuid::new_v4();
        let other = Uuid::new_v4();
        let new_mac = MacAddress::parse("02:00:00:00:00:99").unwrap();
        let stale_before = Utc::now() - chrono::Duration::days(30);
        let a = "02:00:00:00:00:01";
        let b = "02:00:00:00:00:02";
        let c = "02:00:00:00:00:03";
        type Case = (&'static str, Vec<DeviceRow>, bool, Result<DevicePlan, &'static str>);
        let cases: Vec<Case> = vec![
            ("first device", vec![], false, Ok(DevicePlan { evict: vec![], takeover_from: None })),
            (
                "under the limit",
                vec![row(1, me, a, 1), row(2, me, b, 1)],
                false,
                Ok(DevicePlan { evict: vec![], takeover_from: None }),
            ),
            (
                "same device again at the limit",
                vec![row(1, me, a, 1), row(2, me, b, 1), row(3, me, "02:00:00:00:00:99", 1)],
                false,
                Ok(DevicePlan { evict: vec![], takeover_from: None }),
            ),
            ("full, all fresh", vec![row(1, me, a, 1), row(2, me, b, 2), row(3, me, c, 3)], false, Err("limit")),
            (
                "full, the stalest goes",
                vec![row(1, me, a, 1), row(2, me, b, 90), row(3, me, c, 40)],
                false,
                Ok(DevicePlan { evict: vec![(2, b.into())], takeover_from: None }),
            ),
            ("owned by another account", vec![row(9, other, "02:00:00:00:00:99", 1)], false, Err("takeover")),
            (
                "takeover confirmed",
                vec![row(9, other, "02:00:00:00:00:99", 1)],
                true,
                Ok(DevicePlan { evict: vec![], takeover_from: Some(other) }),
            ),
        ];
        for (name, rows, confirm, want) in cases {
            let got = plan_devices(me, &new_mac, &rows, 3, stale_before, confirm).map_err(|e| match e {
                CaptiveError::DeviceLimit { .. } => "limit",
                CaptiveError::TakeoverRequired => "takeover",
                _ => "other",
            });
            assert_eq!(got, want, "{name}");
        }
    }
}
