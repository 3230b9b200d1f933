//! The `routers` rows: a site as kept, as saved, and what was last seen of it. Passwords are
//! kept sealed (`crypto::SealKey`); nothing here ever returns one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbError;
use crate::db::schema::routers;
use crate::domain::Cidr;
use crate::domain::housekeeping::Housekeeping;
use crate::domain::policy::PerStatus;
use crate::domain::radius::SiteMode;
use crate::domain::site::{ApiAddress, SiteName, SiteToken};

/// A site's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = routers)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SiteRow {
    pub id: i32,
    pub name: String,
    pub host: String,
    pub port: i32,
    pub use_tls: bool,
    pub username: String,
    pub hotspot_server: String,
    pub is_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub password_sealed: Option<Vec<u8>>,
    pub tls_fingerprint: Option<String>,
    pub client_ranges: Vec<String>,
    pub egress_addresses: Vec<String>,
    pub site_token: Option<String>,
    pub status_lists: Option<serde_json::Value>,
    pub status_profiles: Option<serde_json::Value>,
    pub comment_prefix: String,
    pub max_in_flight: i32,
    pub from_env: bool,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub ros_version: Option<String>,
    pub identity: Option<String>,
    pub housekeeping: serde_json::Value,
    pub mode: SiteMode,
    pub radius_secret_sealed: Option<Vec<u8>>,
    pub radius_address: Option<String>,
    pub radius_coa_port: i32,
}

/// What a save writes: every field an operator sets, parsed. The password travels sealed.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    pub name: SiteName,
    pub address: ApiAddress,
    pub tls: bool,
    /// The router certificate's SHA-256, lowercase hex.
    pub fingerprint: Option<String>,
    pub username: String,
    pub hotspot_server: String,
    pub client_ranges: Vec<Cidr>,
    pub egress: Vec<Cidr>,
    pub token: Option<SiteToken>,
    /// `None`: the backend's (`HOTSPOT_ROUTER_LIST_*`, `HOTSPOT_ROUTER_PROFILES`).
    pub lists: Option<PerStatus>,
    pub profiles: Option<PerStatus>,
    pub comment_prefix: String,
    pub max_in_flight: i32,
    pub enabled: bool,
    pub housekeeping: Housekeeping,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such site")]
    NotFound,
    #[error("another site has this {0}")]
    Taken(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Taken(match info.constraint_name() {
                    Some("routers_site_token_key") => "token",
                    Some("routers_radius_address_key") => "RADIUS address",
                    _ => "name",
                })
            }
            _ => StoreError::Db(e.into()),
        }
    }
}

fn texts(c: &[Cidr]) -> Vec<String> {
    c.iter().map(ToString::to_string).collect()
}

fn json(p: &Option<PerStatus>) -> Option<serde_json::Value> {
    p.as_ref().and_then(|p| serde_json::to_value(p).ok())
}

/// The columns a save writes; the password only when one is given (`None`: kept).
macro_rules! spec_columns {
    ($s:expr) => {
        (
            routers::name.eq($s.name.as_str()),
            routers::host.eq(&$s.address.host),
            routers::port.eq(i32::from($s.address.port)),
            routers::use_tls.eq($s.tls),
            routers::tls_fingerprint.eq($s.fingerprint.as_deref()),
            routers::username.eq(&$s.username),
            routers::hotspot_server.eq(&$s.hotspot_server),
            routers::client_ranges.eq(texts(&$s.client_ranges)),
            routers::egress_addresses.eq(texts(&$s.egress)),
            routers::site_token.eq($s.token.as_ref().map(SiteToken::as_str)),
            routers::status_lists.eq(json(&$s.lists)),
            routers::status_profiles.eq(json(&$s.profiles)),
            routers::comment_prefix.eq(&$s.comment_prefix),
            routers::max_in_flight.eq($s.max_in_flight),
            routers::is_enabled.eq($s.enabled),
            routers::housekeeping.eq(serde_json::to_value(&$s.housekeeping).unwrap_or_default()),
        )
    };
}

pub fn list(conn: &mut PgConnection) -> Result<Vec<SiteRow>, StoreError> {
    Ok(routers::table.order(routers::id).select(SiteRow::as_select()).load(conn)?)
}

pub fn get(conn: &mut PgConnection, id: i32) -> Result<SiteRow, StoreError> {
    Ok(routers::table.find(id).select(SiteRow::as_select()).first(conn)?)
}

/// A site's row, locked for the caller's transaction.
pub fn lock(conn: &mut PgConnection, id: i32) -> Result<SiteRow, StoreError> {
    Ok(routers::table.find(id).for_update().select(SiteRow::as_select()).first(conn)?)
}

pub fn insert(conn: &mut PgConnection, s: &SiteSpec, sealed: Option<Vec<u8>>) -> Result<SiteRow, StoreError> {
    Ok(diesel::insert_into(routers::table)
        .values((spec_columns!(s), routers::password_sealed.eq(sealed)))
        .returning(SiteRow::as_returning())
        .get_result(conn)?)
}

/// Writes a save over the row; the password too when one is given.
pub fn replace(conn: &mut PgConnection, id: i32, s: &SiteSpec, sealed: Option<Vec<u8>>) -> Result<SiteRow, StoreError> {
    let target = routers::table.find(id);
    let now = routers::updated_at.eq(Utc::now());
    let row = match sealed {
        Some(p) => diesel::update(target)
            .set((spec_columns!(s), routers::password_sealed.eq(p), now))
            .returning(SiteRow::as_returning())
            .get_result(conn)?,
        None => {
            diesel::update(target).set((spec_columns!(s), now)).returning(SiteRow::as_returning()).get_result(conn)?
        }
    };
    Ok(row)
}

/// The site the environment describes (`HOTSPOT_ROUTER_*`), written as it says at every start:
/// the row it described before, else the row of that name (a deployment from before sites), else
/// a new one; its token, enabled flag and housekeeping stay the operator's. Its id.
pub fn describe_env(conn: &mut PgConnection, s: &SiteSpec, sealed: Vec<u8>) -> Result<i32, StoreError> {
    conn.transaction(|tx| {
        let existing: Option<SiteRow> = routers::table
            .filter(routers::from_env.eq(true).or(routers::name.eq(s.name.as_str())))
            .order(routers::from_env.desc())
            .select(SiteRow::as_select())
            .for_update()
            .first(tx)
            .optional()?;
        let id = match existing {
            Some(row) => {
                let token = row.site_token.as_deref().and_then(|t| SiteToken::parse(t).ok());
                let housekeeping = Housekeeping::from_stored(&row.housekeeping);
                let kept = SiteSpec { token, enabled: row.is_enabled, housekeeping, ..s.clone() };
                replace(tx, row.id, &kept, Some(sealed))?.id
            }
            None => insert(tx, s, Some(sealed))?.id,
        };
        diesel::update(routers::table.find(id)).set(routers::from_env.eq(true)).execute(tx)?;
        Ok(id)
    })
}

/// What a contact with a site's router found.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub ros_version: Option<String>,
    pub identity: Option<String>,
    /// `None`: it answered.
    pub error: Option<String>,
}

/// Records a contact: its time when the router answered, the error when it did not.
pub fn record_contact(conn: &mut PgConnection, id: i32, c: &Contact) -> Result<(), StoreError> {
    let target = routers::table.find(id);
    match &c.error {
        None => diesel::update(target)
            .set((
                routers::last_contact_at.eq(Utc::now()),
                routers::last_error.eq(None::<String>),
                routers::ros_version.eq(c.ros_version.as_deref()),
                routers::identity.eq(c.identity.as_deref()),
            ))
            .execute(conn)?,
        Some(e) => diesel::update(target).set(routers::last_error.eq(e)).execute(conn)?,
    };
    Ok(())
}

pub fn set_enabled(conn: &mut PgConnection, id: i32, enabled: bool) -> Result<SiteRow, StoreError> {
    Ok(diesel::update(routers::table.find(id))
        .set((routers::is_enabled.eq(enabled), routers::updated_at.eq(Utc::now())))
        .returning(SiteRow::as_returning())
        .get_result(conn)?)
}

/// How a site's row shows in the audit trail: its settings, never its password.
pub fn audit_view(r: &SiteRow) -> serde_json::Value {
    serde_json::json!({
        "name": r.name, "host": r.host, "port": r.port, "use_tls": r.use_tls,
        "tls_fingerprint": r.tls_fingerprint, "username": r.username, "has_password": r.password_sealed.is_some(),
        "hotspot_server": r.hotspot_server, "client_ranges": r.client_ranges, "egress_addresses": r.egress_addresses,
        "site_token": r.site_token, "status_lists": r.status_lists, "status_profiles": r.status_profiles,
        "comment_prefix": r.comment_prefix, "max_in_flight": r.max_in_flight, "is_enabled": r.is_enabled,
        "housekeeping": r.housekeeping,
    })
}
