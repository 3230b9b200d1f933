//! Which admins hear of which operator event (`notification_recipients`, written here only):
//! a new registration proven by its code, a komandan's quota request, the router or the gateway
//! going down. A super admin sets each event's set whole; an alert goes to the subscribed admins
//! who are still active, through the message queue like every other message.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Event;
use crate::audit::{self, Actor, Target};
use crate::db::schema::{notification_recipients, users};
use crate::db::{Db, DbError};
use crate::domain::{AlertEvent, AuditAction, AuditTarget, Language, Msisdn, Role};

/// An admin account and whether it hears the event.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct Recipient {
    pub id: Uuid,
    pub full_name: String,
    #[schema(value_type = String, pattern = r"^(?:(?:\+62|0062|62|0)?8[0-9]{8,11}|\+(?:[1-57-9][0-9]{7,14}|6[013-9][0-9]{6,13}))$")]
    pub phone_number: Msisdn,
    pub is_subscribed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RecipientsError {
    #[error("only a super admin chooses who is told")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RecipientsError {
    fn from(e: diesel::result::Error) -> Self {
        RecipientsError::Db(e.into())
    }
}

fn admins() -> users::BoxedQuery<'static, diesel::pg::Pg> {
    users::table.filter(users::role.eq_any([Role::Admin, Role::SuperAdmin])).into_boxed()
}

/// Who hears `event`: its subscribers; for an outage, every active super admin while nobody is
/// subscribed (an install nobody configured still hears its router or gateway is down).
pub fn hearers(conn: &mut PgConnection, event: AlertEvent) -> Result<Vec<(Uuid, Msisdn, Language)>, DbError> {
    let subscribed: Vec<(Uuid, Msisdn, Language)> = notification_recipients::table
        .inner_join(users::table.on(users::id.eq(notification_recipients::user_id)))
        .filter(notification_recipients::event.eq(event))
        .filter(users::is_active.eq(true))
        .filter(users::role.eq_any([Role::Admin, Role::SuperAdmin]))
        .select((users::id, users::phone_number, users::language))
        .load(conn)?;
    if subscribed.is_empty() && matches!(event, AlertEvent::RouterDown | AlertEvent::GatewayDown) {
        return crate::accounts::super_admins(conn);
    }
    Ok(subscribed)
}

/// Queues `alert` (an [`Event::Alert`]) to everyone who hears `event` ([`hearers`]); a database
/// or queue that fails is logged (the change it tells of is committed).
pub async fn alert(db: &Db, queues: &hotspot_jobs::Queues, event: AlertEvent, alert: Event) {
    let to = match db.run(move |c| Ok(hearers(c, event)?.into_iter().map(|(id, ..)| id).collect::<Vec<_>>())).await {
        Ok(to) => to,
        Err(e) => {
            tracing::warn!(error = %e, event = event.as_str(), "could not read who hears this alert");
            return;
        }
    };
    for admin in to {
        super::tell(queues, admin, alert.clone()).await;
    }
}

/// The console's side.
#[derive(Clone)]
pub struct Recipients {
    pub db: Db,
}

impl Recipients {
    /// Every admin account, by name, with whether it hears `event`.
    pub async fn of(&self, event: AlertEvent) -> Result<Vec<Recipient>, DbError> {
        self.db
            .run(move |c| {
                let on: Vec<Uuid> = notification_recipients::table
                    .filter(notification_recipients::event.eq(event))
                    .select(notification_recipients::user_id)
                    .load(c)?;
                let all: Vec<(Uuid, String, Msisdn)> = admins()
                    .order((users::full_name, users::id))
                    .select((users::id, users::full_name, users::phone_number))
                    .load(c)?;
                Ok(all
                    .into_iter()
                    .map(|(id, full_name, phone_number)| Recipient {
                        is_subscribed: on.contains(&id),
                        id,
                        full_name,
                        phone_number,
                    })
                    .collect())
            })
            .await
    }

    /// Replaces who hears `event` (ids that are not admin accounts are left out); audited.
    /// Returns how many hear it now.
    pub async fn set(&self, actor: &Actor, event: AlertEvent, ids: Vec<Uuid>) -> Result<usize, RecipientsError> {
        if actor.role != Role::SuperAdmin {
            return Err(RecipientsError::Forbidden);
        }
        let a = actor.clone();
        self.db
            .run(move |conn| {
                Ok(conn.transaction::<_, RecipientsError, _>(|tx| {
                    let keep: Vec<Uuid> = admins().filter(users::id.eq_any(&ids)).select(users::id).load(tx)?;
                    diesel::delete(notification_recipients::table.filter(notification_recipients::event.eq(event)))
                        .execute(tx)?;
                    let rows: Vec<_> = keep
                        .iter()
                        .map(|id| (notification_recipients::event.eq(event), notification_recipients::user_id.eq(*id)))
                        .collect();
                    diesel::insert_into(notification_recipients::table).values(&rows).execute(tx)?;
                    let target = Target::new(AuditTarget::Settings, event.as_str());
                    audit::record(tx, &a, AuditAction::RecipientsUpdate, Some(target), json!({ "recipients": keep }))?;
                    Ok(keep.len())
                }))
            })
            .await?
    }
}
