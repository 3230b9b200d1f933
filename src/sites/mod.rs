//! The sites room: the routers this backend drives (`routers`) and the record of their sync
//! cycles (`sync_runs`, the router's health as the sync saw it). The only writer of both.

pub mod runs;

use chrono::Utc;
use diesel::prelude::*;

use crate::db::DbError;
use crate::db::schema::routers;

/// The router's id, its row created on first sight (the configured router is the first site).
pub fn register(conn: &mut PgConnection, name: &str, host: &str) -> Result<i32, DbError> {
    Ok(diesel::insert_into(routers::table)
        .values((routers::name.eq(name), routers::host.eq(host), routers::username.eq("api")))
        .on_conflict(routers::name)
        .do_update()
        .set(routers::updated_at.eq(Utc::now()))
        .returning(routers::id)
        .get_result(conn)?)
}
