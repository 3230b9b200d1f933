//! Ending a user's RADIUS sessions at their routers: a Disconnect-Request per open session, sent
//! again on silence, the outcome in the audit trail. The router then reports the session's Stop
//! (its last bytes are charged as any report), and a phone on MAC login is asked for again at
//! once, so the next Accept carries the status the user has now.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::Radius;
use crate::audit::{self, Actor, Target};
use crate::db::DbError;
use crate::db::schema::{radius_sessions, routers};
use crate::domain::{AuditAction, AuditTarget};
use crate::router::coa::{CoaOutcome, Disconnect, disconnect};

/// How often a Disconnect-Request is sent before the router counts as not answering, and how
/// long each wait is: three tries within about two seconds.
const TRIES: u32 = 3;
const WAIT: Duration = Duration::from_millis(600);

/// One open session and where its router takes Disconnects.
#[derive(Queryable)]
struct Open {
    site: i32,
    session: String,
    mac: String,
    ip: Option<String>,
    address: Option<String>,
    port: i32,
    sealed: Option<Vec<u8>>,
}

/// How one session's ending went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub site: i32,
    pub session: String,
    pub outcome: String,
}

fn open_sessions(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Open>, DbError> {
    Ok(radius_sessions::table
        .inner_join(routers::table.on(routers::id.eq(radius_sessions::router_id)))
        .filter(radius_sessions::user_id.eq(user))
        .filter(radius_sessions::stopped_at.is_null())
        .select((
            radius_sessions::router_id,
            radius_sessions::session_id,
            radius_sessions::mac_address,
            radius_sessions::framed_ip,
            routers::radius_address,
            routers::radius_coa_port,
            routers::radius_secret_sealed,
        ))
        .load(conn)?)
}

fn describe(o: &Result<CoaOutcome, String>) -> String {
    match o {
        Ok(CoaOutcome::Ack) => "ack".into(),
        Ok(CoaOutcome::Nak(Some(c))) => format!("nak: error-cause {c}"),
        Ok(CoaOutcome::Nak(None)) => "nak".into(),
        Ok(CoaOutcome::NoAnswer) => "no answer".into(),
        Err(e) => format!("not sent: {e}"),
    }
}

impl Radius {
    /// Ends every open session of the user (`why` goes in the trail); each outcome.
    pub async fn end_sessions(&self, user: Uuid, why: &str) -> Result<Vec<Ended>, DbError> {
        let open = self.db.run(move |c| open_sessions(c, user)).await?;
        let mut ended = Vec::with_capacity(open.len());
        for o in open {
            let outcome = self.send(&o).await;
            let gone = matches!(outcome, Ok(CoaOutcome::Ack | CoaOutcome::Nak(Some(503))));
            let text = describe(&outcome);
            let (site, session) = (o.site, o.session.clone());
            let details = json!({ "site": site, "session": session, "outcome": text, "why": why });
            self.db
                .run(move |c| {
                    c.transaction(|tx| {
                        if gone {
                            super::sessions::close(tx, site, &session)?;
                        }
                        let actor = Actor::job("radius");
                        let target = Some(Target::new(AuditTarget::User, user));
                        audit::record(tx, &actor, AuditAction::RadiusDisconnect, target, details)
                    })
                })
                .await?;
            if !gone {
                tracing::warn!(site, outcome = %text, "a RADIUS session could not be ended at its router");
            }
            ended.push(Ended { site, session: o.session, outcome: text });
        }
        Ok(ended)
    }

    async fn send(&self, o: &Open) -> Result<CoaOutcome, String> {
        let addr: IpAddr = o.address.as_deref().and_then(|a| a.parse().ok()).ok_or("the site has no RADIUS address")?;
        let port = u16::try_from(o.port).map_err(|_| "bad CoA port")?;
        let sealed = o.sealed.as_deref().ok_or("the site has no RADIUS secret")?;
        let secret =
            self.sites.open_radius_secret(sealed).map_err(|_| "the secret does not open with HOTSPOT_SITE_KEY")?;
        let d = Disconnect {
            user_name: o.mac.clone(),
            session_id: o.session.clone(),
            framed_ip: o.ip.as_deref().and_then(|i| i.parse().ok()),
        };
        disconnect(SocketAddr::new(addr, port), secret.as_bytes(), &d, TRIES, WAIT).await.map_err(|e| e.to_string())
    }
}
