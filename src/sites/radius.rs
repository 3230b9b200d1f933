//! A site's RADIUS settings: its mode, its shared secret (sealed with the site key, like the
//! API password; never returned), the address its packets come from and where Disconnect and
//! CoA requests go; and FreeRADIUS's clients, written from them.

use diesel::prelude::*;

use super::{SiteRow, Sites, StoreError};
use crate::crypto::SealError;
use crate::db::schema::routers;
use crate::domain::ClientIp;
use crate::domain::radius::SiteMode;

/// What a sealed RADIUS secret is bound to: it opens as nothing else.
const SECRET_CONTEXT: &[u8] = b"hotspot:radius-secret";

/// A site's RADIUS settings as saved (the secret apart: it travels sealed).
#[derive(Debug, Clone)]
pub struct RadiusSpec {
    pub mode: SiteMode,
    pub address: Option<ClientIp>,
    pub coa_port: u16,
}

/// A secret RADIUS can carry: 16 to 128 letters, digits, `.`, `_` or `-` (it goes into
/// FreeRADIUS's configuration, where `$` and quotes mean something, and into the router's CLI).
pub fn secret_ok(s: &str) -> bool {
    (16..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Writes a site's RADIUS settings in the caller's transaction (the secret sealed by
/// [`Sites::seal_radius_secret`]; `None` keeps the stored one); the row after.
pub fn write(
    conn: &mut PgConnection,
    id: i32,
    spec: &RadiusSpec,
    sealed: Option<Vec<u8>>,
) -> Result<SiteRow, StoreError> {
    let address = spec.address.map(|a| a.as_text());
    let target = routers::table.find(id);
    let common = (
        routers::mode.eq(spec.mode),
        routers::radius_address.eq(address),
        routers::radius_coa_port.eq(i32::from(spec.coa_port)),
        routers::updated_at.eq(diesel::dsl::now),
    );
    let written = match sealed {
        Some(sealed) => {
            diesel::update(target).set((common, routers::radius_secret_sealed.eq(Some(sealed)))).get_result(conn)
        }
        None => diesel::update(target).set(common).get_result(conn),
    };
    match written {
        Ok(row) => Ok(row),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::CheckViolation, _)) => {
            Err(StoreError::Invalid("radius_secret: a site in RADIUS mode needs its secret and address".into()))
        }
        Err(e) => Err(StoreError::from(e)),
    }
}

impl Sites {
    /// A RADIUS secret sealed for storage; refused unless [`secret_ok`].
    pub fn seal_radius_secret(&self, secret: &str) -> Result<Vec<u8>, StoreError> {
        if !secret_ok(secret) {
            return Err(StoreError::Invalid("radius_secret: 16 to 128 letters, digits, '.', '_' or '-'".into()));
        }
        Ok(self.key.seal(SECRET_CONTEXT, secret.as_bytes()))
    }

    /// FreeRADIUS's `clients.conf` for the enabled sites in RADIUS mode: each site a client at
    /// its address, with its secret, named by the site (the backend is told the name). A site
    /// whose secret does not open with this key is left out, named in the second list.
    pub async fn radius_clients(&self) -> Result<(String, Vec<String>), StoreError> {
        let rows = self.rows().await?;
        let mut out = String::from("# Written by `hotspot radius clients` from the sites in RADIUS mode.\n");
        let mut skipped = Vec::new();
        for r in rows.iter().filter(|r| r.is_enabled && r.mode.radius()) {
            let (Some(addr), Some(sealed)) = (&r.radius_address, &r.radius_secret_sealed) else { continue };
            match self.open_secret(sealed) {
                Ok(secret) => out.push_str(&format!(
                    "client {name} {{\n    ipaddr = {addr}\n    secret = \"{secret}\"\n    shortname = {name}\n    \
                     require_message_authenticator = yes\n    nas_type = other\n}}\n",
                    name = r.name
                )),
                Err(_) => skipped.push(r.name.clone()),
            }
        }
        Ok((out, skipped))
    }

    /// A site's RADIUS secret, unsealed (for a Disconnect-Request to its router).
    pub fn open_radius_secret(&self, sealed: &[u8]) -> Result<String, SealError> {
        self.open_secret(sealed)
    }

    fn open_secret(&self, sealed: &[u8]) -> Result<String, SealError> {
        String::from_utf8(self.key.open(SECRET_CONTEXT, sealed)?).map_err(|_| SealError)
    }
}
