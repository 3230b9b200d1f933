//! The database side of sign-in. This room writes `user_devices` and `login_history`; the
//! sign-in statement also starts the session's refresh family and stamps the user's last login,
//! in the same statement, because one round trip per sign-in is what keeps verify-otp fast.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz, Untyped, Uuid as SqlUuid};
use uuid::Uuid;

use crate::auth::refresh::{self, NewRefresh};
use crate::db::models::{Device, DeviceRow, User};
use crate::db::schema::{login_history, refresh_tokens, user_devices, users};
use crate::db::{Db, DbError};
use crate::domain::{ClientIp, MacAddress};

/// How a session started (`login_history.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    Otp,
    AutoLogin,
    Password,
    SessionToken,
    /// The router saw the device log in with one-time hotspot credentials.
    RouterLogin,
}

impl LoginMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginMethod::Otp => "otp",
            LoginMethod::AutoLogin => "auto_login",
            LoginMethod::Password => "password",
            LoginMethod::SessionToken => "session_token",
            LoginMethod::RouterLogin => "router_login",
        }
    }
}

/// Who is asking, as recorded with a session, and the last instant at which the request may
/// pass a point of no return (the code consumed).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<ClientIp>,
    pub user_agent: Option<String>,
    pub deadline: Option<std::time::Instant>,
}

/// The session part of a sign-in record: its method and the first token of its refresh family.
pub struct SessionRecord {
    pub method: LoginMethod,
    pub refresh: NewRefresh,
    pub user_agent: Option<String>,
}

/// One device sign-in's writes: stale devices evicted, the device upserted (moving it on a
/// takeover) and, with a session, login history, the refresh token and the user's last login.
pub struct SignInRecord {
    pub user: Uuid,
    pub mac: MacAddress,
    pub ip: ClientIp,
    pub evict: Vec<i64>,
    /// The SHA-256 of the device's new proof cookie (`None`: none yet).
    pub proof_hash: Option<Vec<u8>>,
    pub session: Option<SessionRecord>,
}

/// A handle on the room's tables.
#[derive(Clone)]
pub struct Store {
    pub(super) db: Db,
}

/// A device's router keys.
pub type DeviceKeys = (MacAddress, Option<ClientIp>);

impl Store {
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

    /// A device the router witnessed: the session's refresh family learns its device (so logout
    /// deauthorizes it) and the binding is in the login history.
    pub async fn witnessed(&self, user: Uuid, device: i64, family: Uuid, method: LoginMethod) -> Result<(), DbError> {
        self.db
            .transaction(move |conn| {
                diesel::update(
                    refresh_tokens::table
                        .filter(refresh_tokens::family_id.eq(family))
                        .filter(refresh_tokens::user_id.eq(user))
                        .filter(refresh_tokens::revoked_at.is_null()),
                )
                .set(refresh_tokens::device_id.eq(device))
                .execute(conn)?;
                diesel::insert_into(login_history::table)
                    .values((
                        login_history::user_id.eq(user),
                        login_history::device_id.eq(device),
                        login_history::method.eq(method.as_str()),
                    ))
                    .execute(conn)?;
                Ok(())
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

    pub async fn record(&self, r: SignInRecord) -> Result<i64, DbError> {
        self.db.run(move |conn| record_sign_in(conn, r)).await
    }

    /// A session without a device sign-in (password, session token): refresh family, history
    /// and last login in one transaction.
    pub async fn record_session(
        &self,
        user: Uuid,
        device: Option<i64>,
        session: SessionRecord,
        ip: Option<ClientIp>,
    ) -> Result<(), DbError> {
        self.db
            .transaction(move |conn| {
                let ua = session.user_agent.as_deref();
                let ip_text = ip.map(|i| i.as_text());
                refresh::insert(conn, user, &session.refresh, device, ip_text.as_deref(), ua)?;
                diesel::insert_into(login_history::table)
                    .values((
                        login_history::user_id.eq(user),
                        login_history::device_id.eq(device),
                        login_history::method.eq(session.method.as_str()),
                        login_history::ip_address.eq(ip),
                        login_history::user_agent.eq(ua),
                    ))
                    .execute(conn)?;
                diesel::update(users::table.find(user)).set(users::last_login_at.eq(Utc::now())).execute(conn)?;
                Ok(())
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
                    .select((user_devices::mac_address, user_devices::ip_address))
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
                    .select((user_devices::mac_address, user_devices::ip_address))
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
                    .returning((user_devices::mac_address, user_devices::ip_address))
                    .get_results(conn)?)
            })
            .await
    }
}

#[derive(QueryableByName)]
struct DeviceId {
    #[diesel(sql_type = BigInt)]
    device_id: i64,
}

/// [`SignInRecord`] as a statement diesel prepares once per connection. A `sql_query` is never
/// prepared, so Postgres parsed and planned this five-part statement on every login, which cost
/// about as much as running it (pgbench, 8 clients: 1,800 per second unprepared, 3,500 prepared).
struct SignInStatement {
    evict: Vec<i64>,
    user: Uuid,
    mac: MacAddress,
    ip: ClientIp,
    method: Option<&'static str>,
    user_agent: Option<String>,
    refresh_hash: Option<Vec<u8>>,
    family: Option<Uuid>,
    refresh_expires: Option<DateTime<Utc>>,
    proof_hash: Option<Vec<u8>>,
}

impl QueryId for SignInStatement {
    type QueryId = SignInStatement;
    // The SQL text never varies, so the prepared statement is cached under this type.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for SignInStatement {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for SignInStatement {}

impl QueryFragment<Pg> for SignInStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Every parameter once, in a one-row CTE that the rest of the statement reads.
        out.push_sql("WITH p AS (SELECT ");
        column::<Array<BigInt>, _>(&mut out, "", &self.evict, "evict")?;
        column::<SqlUuid, _>(&mut out, ", ", &self.user, "user_id")?;
        column::<Text, _>(&mut out, ", ", &self.mac, "mac")?;
        column::<Text, _>(&mut out, ", ", &self.ip, "ip")?;
        column::<Nullable<Text>, _>(&mut out, ", ", &self.method, "method")?;
        column::<Nullable<Text>, _>(&mut out, ", ", &self.user_agent, "user_agent")?;
        column::<Nullable<Bytea>, _>(&mut out, ", ", &self.refresh_hash, "refresh_hash")?;
        column::<Nullable<SqlUuid>, _>(&mut out, ", ", &self.family, "family")?;
        column::<Nullable<Timestamptz>, _>(&mut out, ", ", &self.refresh_expires, "refresh_expires")?;
        column::<Nullable<Bytea>, _>(&mut out, ", ", &self.proof_hash, "proof_hash")?;
        out.push_sql(ASYNC_COMMIT);
        out.push_sql(")");
        out.push_sql(SIGN_IN_SQL);
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

/// A sign-in's commit does not wait for its WAL to reach the disk (for this transaction only:
/// `set_config(…, true)`, evaluated with `p`, which the rest reads). Waiting was half of
/// Postgres's cost per sign-in here. What a crash of Postgres itself can lose is the last
/// moment's sign-ins (at most three `wal_writer_delay`s, 0.6 s by default), never a partial one:
/// those users sign in again and the sync removes router entries no device row claims. Money and
/// quota writes keep the durable commit.
const ASYNC_COMMIT: &str = ", set_config('synchronous_commit', 'off', true) AS commit_mode";

/// The body after the parameters CTE `p`. Without a session (`method` null) only the device
/// part runs.
const SIGN_IN_SQL: &str = r#"
, evicted AS (
    DELETE FROM user_devices d USING p WHERE d.id = ANY(p.evict) AND d.user_id = p.user_id RETURNING d.id
), dev AS (
    INSERT INTO user_devices (user_id, mac_address, ip_address, is_authorized, authorized_at, deauthorized_at, last_seen_at, proof_hash)
    SELECT p.user_id, p.mac, p.ip, TRUE, now(), NULL, now(), p.proof_hash FROM p
    ON CONFLICT (mac_address) DO UPDATE SET
        user_id = EXCLUDED.user_id, ip_address = EXCLUDED.ip_address, is_authorized = TRUE,
        authorized_at = now(), deauthorized_at = NULL, last_seen_at = now(), updated_at = now(),
        proof_hash = EXCLUDED.proof_hash
    RETURNING id
), hist AS (
    INSERT INTO login_history (user_id, device_id, method, ip_address, mac_address, user_agent)
    SELECT p.user_id, dev.id, p.method, p.ip, p.mac, p.user_agent FROM dev, p WHERE p.method IS NOT NULL
), tok AS (
    INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, ip_address, user_agent, device_id)
    SELECT p.user_id, p.refresh_hash, p.family, p.refresh_expires, p.ip, p.user_agent, dev.id FROM p, dev
    WHERE p.refresh_hash IS NOT NULL
), usr AS (
    UPDATE users SET last_login_at = now(), updated_at = now() FROM p
    WHERE users.id = p.user_id AND p.method IS NOT NULL
)
SELECT dev.id AS device_id FROM dev
"#;

/// One device sign-in's writes as one statement; returns the device id.
pub fn record_sign_in(conn: &mut PgConnection, r: SignInRecord) -> Result<i64, DbError> {
    let (method, user_agent, refresh_hash, family, refresh_expires) = match r.session {
        Some(s) => (
            Some(s.method.as_str()),
            s.user_agent.map(|u| u.chars().take(512).collect()),
            Some(s.refresh.hash.to_vec()),
            Some(s.refresh.family),
            Some(s.refresh.expires_at),
        ),
        None => (None, None, None, None, None),
    };
    let row: DeviceId = SignInStatement {
        evict: r.evict,
        user: r.user,
        mac: r.mac,
        ip: r.ip,
        method,
        user_agent,
        refresh_hash,
        family,
        refresh_expires,
        proof_hash: r.proof_hash,
    }
    .get_result(conn)?;
    Ok(row.device_id)
}

/// A device bound without a session (bind-current, fixtures): the device part only.
pub fn register_device(
    conn: &mut PgConnection,
    user: Uuid,
    mac: &MacAddress,
    ip: &ClientIp,
    evict: Vec<i64>,
) -> Result<i64, DbError> {
    record_sign_in(conn, SignInRecord { user, mac: *mac, ip: *ip, evict, proof_hash: None, session: None })
}

/// Deauthorizes one device of the user's, or all with `None`, inside the caller's transaction
/// (an admin's deactivation writes its audit row in the same one); returns their router keys.
pub fn deauthorize_in(conn: &mut PgConnection, user: Uuid, device: Option<i64>) -> Result<Vec<DeviceKeys>, DbError> {
    let mut q = user_devices::table.filter(user_devices::user_id.eq(user)).into_boxed();
    if let Some(d) = device {
        q = q.filter(user_devices::id.eq(d));
    }
    let rows: Vec<(i64, MacAddress, Option<ClientIp>)> =
        q.select((user_devices::id, user_devices::mac_address, user_devices::ip_address)).load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    diesel::update(user_devices::table.filter(user_devices::id.eq_any(ids)))
        .set((user_devices::is_authorized.eq(false), user_devices::deauthorized_at.eq(Utc::now())))
        .execute(conn)?;
    Ok(rows.into_iter().map(|(_, m, i)| (m, i)).collect())
}

/// Deletes one device of the user's inside the caller's transaction; its router keys.
pub fn remove_device_in(conn: &mut PgConnection, user: Uuid, id: i64) -> Result<Option<DeviceKeys>, DbError> {
    Ok(diesel::delete(user_devices::table.filter(user_devices::id.eq(id)).filter(user_devices::user_id.eq(user)))
        .returning((user_devices::mac_address, user_devices::ip_address))
        .get_result(conn)
        .optional()?)
}
