//! `user_devices`: a user's devices, the device holding a MAC, proofs and labels,
//! deauthorization and removal (some inside the caller's transaction), stale devices, and the
//! sync's "seen" stamps.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use uuid::Uuid;

use super::Devices;
use crate::db::DbError;
use crate::db::models::{Device, DeviceRow, User};
use crate::db::schema::{user_devices, users};
use crate::domain::{ClientIp, MacAddress};

/// A device's router keys: its MAC, its address and the site it is bound at (`None`: bound
/// before sites existed, the environment's site).
pub type DeviceKeys = (MacAddress, Option<ClientIp>, Option<i32>);

impl Devices {
    /// The user's devices and the device holding `mac` (whoever owns it), in one query.
    pub async fn device_rows(&self, user: Uuid, mac: MacAddress) -> Result<Vec<DeviceRow>, DbError> {
        self.db
            .run(move |conn| {
                Ok(user_devices::table
                    .filter(user_devices::user_id.eq(user).or(user_devices::mac_address.eq(mac)))
                    .select(DeviceRow::as_select())
                    .load(conn)?)
            })
            .await
    }

    /// The owner of the authorized device with this MAC, and the hash of the device's proof.
    pub async fn owner_of_authorized(&self, mac: MacAddress) -> Result<Option<(User, Option<Vec<u8>>)>, DbError> {
        self.db
            .run(move |conn| {
                Ok(user_devices::table
                    .inner_join(users::table)
                    .filter(user_devices::mac_address.eq(mac))
                    .filter(user_devices::is_authorized.eq(true))
                    .select((User::as_select(), user_devices::proof_hash))
                    .first(conn)
                    .optional()?)
            })
            .await
    }

    /// Stores the hash of a device's new proof cookie; false when the device is not the user's.
    pub async fn set_proof(&self, user: Uuid, device: i64, hash: Vec<u8>) -> Result<bool, DbError> {
        self.db
            .run(move |conn| {
                let n = diesel::update(
                    user_devices::table
                        .filter(user_devices::id.eq(device))
                        .filter(user_devices::user_id.eq(user))
                        .filter(user_devices::is_authorized.eq(true)),
                )
                .set(user_devices::proof_hash.eq(hash))
                .execute(conn)?;
                Ok(n == 1)
            })
            .await
    }

    /// Marks the user's devices (one, or all with `None`) deauthorized; returns their keys.
    pub async fn deauthorize(&self, user: Uuid, device: Option<i64>) -> Result<Vec<DeviceKeys>, DbError> {
        self.db.run(move |conn| deauthorize_in(conn, user, device)).await
    }

    /// Whether `mac` is one of the user's devices.
    pub async fn owns_device(&self, user: Uuid, mac: MacAddress) -> Result<bool, DbError> {
        self.db
            .run(move |conn| {
                Ok(diesel::select(diesel::dsl::exists(
                    user_devices::table
                        .filter(user_devices::user_id.eq(user))
                        .filter(user_devices::mac_address.eq(mac)),
                ))
                .get_result(conn)?)
            })
            .await
    }

    /// One device of the user's.
    pub async fn device_keys(&self, user: Uuid, device: i64) -> Result<Option<DeviceKeys>, DbError> {
        self.db
            .run(move |conn| {
                Ok(user_devices::table
                    .filter(user_devices::id.eq(device))
                    .filter(user_devices::user_id.eq(user))
                    .select((user_devices::mac_address, user_devices::ip_address, user_devices::router_id))
                    .first(conn)
                    .optional()?)
            })
            .await
    }

    /// Which of these MACs and IPs belong to an authorized device.
    pub async fn authorized_among(
        &self,
        macs: Vec<MacAddress>,
        ips: Vec<ClientIp>,
    ) -> Result<Vec<DeviceKeys>, DbError> {
        self.db
            .run(move |conn| {
                Ok(user_devices::table
                    .filter(user_devices::is_authorized.eq(true))
                    .filter(user_devices::mac_address.eq_any(macs).or(user_devices::ip_address.eq_any(ips)))
                    .select((user_devices::mac_address, user_devices::ip_address, user_devices::router_id))
                    .load(conn)?)
            })
            .await
    }

    pub async fn devices_of(&self, user: Uuid) -> Result<Vec<Device>, DbError> {
        self.db
            .run(move |conn| {
                Ok(user_devices::table
                    .filter(user_devices::user_id.eq(user))
                    .order(user_devices::last_seen_at.desc())
                    .select(Device::as_select())
                    .load(conn)?)
            })
            .await
    }

    pub async fn remove_device(&self, user: Uuid, id: i64) -> Result<Option<DeviceKeys>, DbError> {
        self.db.run(move |conn| remove_device_in(conn, user, id)).await
    }

    pub async fn label_device(&self, user: Uuid, id: i64, label: Option<String>) -> Result<Option<Device>, DbError> {
        self.db
            .run(move |conn| {
                Ok(diesel::update(
                    user_devices::table.filter(user_devices::id.eq(id)).filter(user_devices::user_id.eq(user)),
                )
                .set((user_devices::label.eq(label), user_devices::updated_at.eq(Utc::now())))
                .returning(Device::as_returning())
                .get_result(conn)
                .optional()?)
            })
            .await
    }

    /// Deletes devices not seen since `cutoff`; returns their keys.
    pub async fn delete_stale(&self, cutoff: DateTime<Utc>) -> Result<Vec<DeviceKeys>, DbError> {
        self.db
            .run(move |conn| {
                Ok(diesel::delete(user_devices::table.filter(user_devices::last_seen_at.lt(cutoff)))
                    .returning((user_devices::mac_address, user_devices::ip_address, user_devices::router_id))
                    .get_results(conn)?)
            })
            .await
    }

    /// Deletes devices not seen for `after` and removes their router entries; how many.
    pub async fn cleanup_stale(&self, after: std::time::Duration) -> Result<usize, DbError> {
        let cutoff = Utc::now() - chrono::Duration::from_std(after).unwrap_or_default();
        let gone = self.delete_stale(cutoff).await?;
        self.forget_keys(&gone).await;
        Ok(gone.len())
    }
}

/// Deauthorizes one device of the user's, or all with `None`, inside the caller's transaction
/// (an admin's deactivation writes its audit row in the same one); returns their router keys.
pub fn deauthorize_in(conn: &mut PgConnection, user: Uuid, device: Option<i64>) -> Result<Vec<DeviceKeys>, DbError> {
    let mut q = user_devices::table.filter(user_devices::user_id.eq(user)).into_boxed();
    if let Some(d) = device {
        q = q.filter(user_devices::id.eq(d));
    }
    let rows: Vec<(i64, MacAddress, Option<ClientIp>, Option<i32>)> = q
        .select((user_devices::id, user_devices::mac_address, user_devices::ip_address, user_devices::router_id))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    diesel::update(user_devices::table.filter(user_devices::id.eq_any(ids)))
        .set((user_devices::is_authorized.eq(false), user_devices::deauthorized_at.eq(Utc::now())))
        .execute(conn)?;
    Ok(rows.into_iter().map(|(_, m, i, s)| (m, i, s)).collect())
}

/// Deletes one device of the user's inside the caller's transaction; its router keys.
pub fn remove_device_in(conn: &mut PgConnection, user: Uuid, id: i64) -> Result<Option<DeviceKeys>, DbError> {
    Ok(diesel::delete(user_devices::table.filter(user_devices::id.eq(id)).filter(user_devices::user_id.eq(user)))
        .returning((user_devices::mac_address, user_devices::ip_address, user_devices::router_id))
        .get_result(conn)
        .optional()?)
}

/// Deletes every device of the user's inside the caller's transaction; their router keys.
pub fn remove_all_in(conn: &mut PgConnection, user: Uuid) -> Result<Vec<DeviceKeys>, DbError> {
    Ok(diesel::delete(user_devices::table.filter(user_devices::user_id.eq(user)))
        .returning((user_devices::mac_address, user_devices::ip_address, user_devices::router_id))
        .get_results(conn)?)
}

/// The owner of a device, whoever they are.
pub fn owner_of(conn: &mut PgConnection, device: i64) -> Result<Option<Uuid>, DbError> {
    Ok(user_devices::table.find(device).select(user_devices::user_id).first(conn).optional()?)
}

/// Devices the sync saw: the planner picked those whose IP moved or whose `last_seen_at` is
/// old. Inside the caller's transaction (the sync's charge of the same users).
pub fn mark_seen(conn: &mut PgConnection, ids: Vec<i64>, ips: Vec<Option<ClientIp>>) -> Result<usize, DbError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::sql_query(
        "UPDATE user_devices d SET ip_address = COALESCE(t.ip, d.ip_address), last_seen_at = now() \
         FROM unnest($1::int8[], $2::text[]) AS t(id, ip) WHERE d.id = t.id",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Array<Nullable<Text>>, _>(ips)
    .execute(conn)?)
}
