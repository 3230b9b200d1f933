//! Where packages and vouchers are sold: a package (or a voucher batch) may name some sites;
//! a user buys it at one of them, or anywhere once a device of theirs is bound at one of them
//! (one account works at every site, so a buyer away from the hotspot is still known by their
//! devices). Admins' own sales and bills are not limited: the admin chose.

use diesel::prelude::*;
use uuid::Uuid;

use super::{BillingError, invalid};

/// A site list as given (sorted, each once), or the stored one.
pub(crate) fn sites(given: Option<Vec<i32>>, base: Option<Vec<i32>>) -> Result<Vec<i32>, BillingError> {
    let Some(mut ids) = given else { return Ok(base.unwrap_or_default()) };
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 64 || ids.iter().any(|id| *id < 1) {
        return Err(invalid("site_ids", "at most 64 site ids"));
    }
    Ok(ids)
}

/// Every id names a site (checked where it is written).
pub(crate) fn check_sites(conn: &mut PgConnection, ids: &[i32]) -> Result<(), BillingError> {
    if ids.is_empty() {
        return Ok(());
    }
    use crate::db::schema::routers;
    let found: i64 = routers::table.filter(routers::id.eq_any(ids)).count().get_result(conn)?;
    if found != ids.len() as i64 {
        return Err(invalid("site_ids", "no such site"));
    }
    Ok(())
}

/// Whether a user may buy what is sold at `site_ids` (empty: everywhere), asking from `here`.
pub(crate) fn sold_to(
    conn: &mut PgConnection,
    user_id: Uuid,
    site_ids: &[i32],
    here: Option<i32>,
) -> Result<(), BillingError> {
    if site_ids.is_empty() || here.is_some_and(|h| site_ids.contains(&h)) {
        return Ok(());
    }
    use crate::db::schema::{routers, user_devices};
    // Devices bound before sites existed are the environment's site's.
    let env: Option<i32> =
        routers::table.filter(routers::from_env.eq(true)).select(routers::id).first(conn).optional()?;
    let mut q = user_devices::table
        .filter(user_devices::user_id.eq(user_id))
        .filter(user_devices::is_authorized.eq(true))
        .into_boxed();
    q = match env.filter(|e| site_ids.contains(e)) {
        Some(_) => q.filter(user_devices::router_id.eq_any(site_ids).or(user_devices::router_id.is_null())),
        None => q.filter(user_devices::router_id.eq_any(site_ids)),
    };
    let bound: i64 = q.count().get_result(conn)?;
    if bound == 0 {
        return Err(BillingError::AccountNotAllowed("sold only at other sites"));
    }
    Ok(())
}
