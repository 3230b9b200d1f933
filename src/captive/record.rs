//! What a sign-in writes. A device sign-in is one statement (the fused write named in
//! docs/architecture.md: the device into `user_devices`, and with a session its
//! `login_history` row, its refresh token and the user's last login), because one round trip
//! per sign-in is what keeps verify-otp fast; a session without a device is one transaction
//! through the owners' functions.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz, Untyped, Uuid as SqlUuid};
use uuid::Uuid;

use crate::auth::refresh::{self, NewRefresh};
use crate::db::{Db, DbError};
use crate::domain::{ClientIp, LoginMethod, MacAddress};

/// Who is asking, as recorded with a session, and the last instant at which the request may
/// pass a point of no return (the code consumed).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<ClientIp>,
    /// The site the router's login page names (`?site=` or `X-Hotspot-Site`); it only chooses
    /// among the sites the request's address already allows.
    pub site: Option<crate::domain::site::SiteToken>,
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
    /// The site the device signed in at (`None`: no site named; the environment's).
    pub site: Option<i32>,
}

pub async fn record(db: &Db, r: SignInRecord) -> Result<i64, DbError> {
    db.run(move |conn| record_sign_in(conn, r)).await
}

/// A session without a device sign-in (password, session token): refresh family, history
/// and last login in one transaction.
pub async fn record_session(
    db: &Db,
    user: Uuid,
    device: Option<i64>,
    session: SessionRecord,
    ip: Option<ClientIp>,
) -> Result<(), DbError> {
    db.transaction(move |conn| {
        let ua = session.user_agent.as_deref();
        let ip_text = ip.map(|i| i.as_text());
        refresh::insert(conn, user, &session.refresh, device, ip_text.as_deref(), ua)?;
        crate::accounts::history::record(conn, user, device, session.method, ip, ua)?;
        crate::accounts::write::touch_login(conn, user)
    })
    .await
}

/// A device the router witnessed: the session's refresh family learns its device (so logout
/// deauthorizes it) and the binding is in the login history.
pub async fn witnessed(db: &Db, user: Uuid, device: i64, family: Uuid) -> Result<(), DbError> {
    db.transaction(move |conn| {
        refresh::attach_device(conn, user, family, device)?;
        crate::accounts::history::record(conn, user, Some(device), LoginMethod::RouterLogin, None, None)
    })
    .await
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
    method: Option<LoginMethod>,
    user_agent: Option<String>,
    refresh_hash: Option<Vec<u8>>,
    family: Option<Uuid>,
    refresh_expires: Option<DateTime<Utc>>,
    proof_hash: Option<Vec<u8>>,
    site: Option<i32>,
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
        column::<Nullable<diesel::sql_types::Integer>, _>(&mut out, ", ", &self.site, "site")?;
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
    INSERT INTO user_devices (user_id, mac_address, ip_address, is_authorized, authorized_at, deauthorized_at, last_seen_at, proof_hash, router_id)
    SELECT p.user_id, p.mac, p.ip, TRUE, now(), NULL, now(), p.proof_hash, p.site FROM p
    ON CONFLICT (mac_address) DO UPDATE SET
        user_id = EXCLUDED.user_id, ip_address = EXCLUDED.ip_address, is_authorized = TRUE,
        authorized_at = now(), deauthorized_at = NULL, last_seen_at = now(), updated_at = now(),
        proof_hash = EXCLUDED.proof_hash, router_id = COALESCE(EXCLUDED.router_id, user_devices.router_id)
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
            Some(s.method),
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
        site: r.site,
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
    record_sign_in(conn, SignInRecord { user, mac: *mac, ip: *ip, evict, proof_hash: None, session: None, site: None })
}
