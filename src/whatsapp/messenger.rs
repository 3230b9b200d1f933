//! Sending with a paper trail: every message is a message_log row (queued → sent | failed),
//! network errors and 5xx are retried with backoff, and a secondary provider takes over when the
//! primary cannot deliver.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use super::gateway::{Gateway, GatewayError, Sent, Session};
use super::templates::{TemplateError, Templates};
use crate::db::schema::message_log;
use crate::db::{Db, DbError};
use crate::domain::Msisdn;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no WhatsApp gateway could deliver: {0}")]
    Unavailable(GatewayError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// An unkeyed message's log row could not be written (never expected).
    #[error("message not recorded")]
    Duplicate,
}

/// A keyed message's log row: new, or a failed one queued again; nothing when the key's message
/// was sent or is being sent.
const KEYED_ROW: &str = "INSERT INTO message_log (user_id, to_msisdn, template, provider, status, idempotency_key) \
    VALUES ($1, $2, $3, $4, 'queued', $5) \
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL \
    DO UPDATE SET status = 'queued', error = NULL, failed_at = NULL, updated_at = now() \
    WHERE message_log.status = 'failed' \
    RETURNING id";

#[derive(Clone)]
pub struct Messenger {
    db: Db,
    gateways: Arc<Vec<Box<dyn Gateway>>>,
    retries: u32,
    backoff: Duration,
    templates: Arc<Templates>,
}

#[derive(Debug, Clone)]
pub struct Delivered {
    pub log_id: i64,
    pub provider: &'static str,
    pub message_id: Option<String>,
}

impl Messenger {
    /// `gateways`: primary first, then failovers.
    pub fn new(db: Db, gateways: Vec<Box<dyn Gateway>>, retries: u32, templates: Templates) -> Self {
        Self {
            db,
            gateways: Arc::new(gateways),
            retries,
            backoff: Duration::from_millis(200),
            templates: Arc::new(templates),
        }
    }

    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn primary_name(&self) -> &'static str {
        self.gateways.first().map(|g| g.name()).unwrap_or("none")
    }

    /// Is any gateway's WhatsApp session up?
    pub async fn session_up(&self) -> Result<bool, GatewayError> {
        let mut last = None;
        for g in self.gateways.iter() {
            match g.session_up().await {
                Ok(true) => return Ok(true),
                Ok(false) => last = Some(Ok(false)),
                Err(e) => last = Some(Err(e)),
            }
        }
        last.unwrap_or(Ok(false))
    }

    async fn try_gateway(&self, g: &dyn Gateway, to: &Msisdn, text: &str) -> (u32, Result<Sent, GatewayError>) {
        let mut delay = self.backoff;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match g.send(to, text).await {
                Ok(s) => return (attempts, Ok(s)),
                Err(e) if e.is_retryable() && attempts <= self.retries => {
                    tracing::warn!(provider = g.name(), attempt = attempts, error = %e, "whatsapp send failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return (attempts, Err(e)),
            }
        }
    }

    /// Renders `template`, records it, sends it. The text itself is never stored (it may hold a
    /// code).
    pub async fn send(
        &self,
        user_id: Option<Uuid>,
        to: &Msisdn,
        template: &str,
        vars: &[(&str, &str)],
    ) -> Result<Delivered, SendError> {
        let text = self.templates.render(template, vars)?;
        self.deliver(user_id, to, template, text, None, None).await?.ok_or(SendError::Duplicate)
    }

    /// A message sent once per `key` in the user's language; `Ok(None)` when this key's message
    /// was sent (or is being sent) before. A key whose message failed is sent again.
    pub async fn send_once(
        &self,
        user_id: Uuid,
        to: &Msisdn,
        template: &str,
        lang: crate::domain::Language,
        vars: &[(&str, &str)],
        key: &str,
    ) -> Result<Option<Delivered>, SendError> {
        let text = self.templates.render_in(template, lang, vars)?;
        self.deliver(Some(user_id), to, template, text, Some(key.to_owned()), None).await
    }

    /// The configured providers' names, primary first.
    pub fn providers(&self) -> Vec<&'static str> {
        self.gateways.iter().map(|g| g.name()).collect()
    }

    /// Provider `i`'s WhatsApp session (0: the primary); `None` when there is no such provider.
    pub async fn session_of(&self, i: usize) -> Option<Result<Session, GatewayError>> {
        Some(self.gateways.get(i)?.session().await)
    }

    /// Logs provider `i`'s WhatsApp device out so that it can be paired again.
    pub async fn clear_session_of(&self, i: usize) -> Option<Result<(), GatewayError>> {
        Some(self.gateways.get(i)?.clear_session().await)
    }

    /// A message through provider `i` only (an alert that the other one is down); `None` when
    /// there is no such provider.
    pub async fn send_on(
        &self,
        i: usize,
        to: &Msisdn,
        template: &str,
        vars: &[(&str, &str)],
        key: &str,
    ) -> Option<Result<Option<Delivered>, SendError>> {
        self.gateways.get(i)?;
        let text = match self.templates.render(template, vars) {
            Ok(t) => t,
            Err(e) => return Some(Err(e.into())),
        };
        Some(self.deliver(None, to, template, text, Some(key.to_owned()), Some(i)).await)
    }

    async fn deliver(
        &self,
        user_id: Option<Uuid>,
        to: &Msisdn,
        template: &str,
        text: String,
        key: Option<String>,
        only: Option<usize>,
    ) -> Result<Option<Delivered>, SendError> {
        let Some(first) = self.gateways.get(only.unwrap_or(0)) else {
            return Err(SendError::Unavailable(GatewayError::Network("no gateway configured".into())));
        };
        let (to_text, template_name, provider) = (to.as_e164().to_owned(), template.to_owned(), first.name());
        let log_id: Option<i64> = self
            .db
            .run(move |conn| {
                let row = (
                    message_log::user_id.eq(user_id),
                    message_log::to_msisdn.eq(&to_text),
                    message_log::template.eq(&template_name),
                    message_log::provider.eq(provider),
                    message_log::status.eq("queued"),
                    message_log::idempotency_key.eq(&key),
                );
                if key.is_none() {
                    return Ok(Some(
                        diesel::insert_into(message_log::table)
                            .values(row)
                            .returning(message_log::id)
                            .get_result(conn)?,
                    ));
                }
                // One row per key: a new one, or a failed one sent again; anything else was sent.
                #[derive(QueryableByName)]
                struct Id {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    id: i64,
                }
                Ok(diesel::sql_query(KEYED_ROW)
                    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>, _>(user_id)
                    .bind::<diesel::sql_types::Text, _>(&to_text)
                    .bind::<diesel::sql_types::Text, _>(&template_name)
                    .bind::<diesel::sql_types::Text, _>(provider)
                    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(&key)
                    .get_result::<Id>(conn)
                    .optional()?
                    .map(|r| r.id))
            })
            .await?;
        let Some(log_id) = log_id else { return Ok(None) };

        let mut total_attempts = 0;
        let mut last_error = GatewayError::Network("not attempted".into());
        for (i, g) in self.gateways.iter().enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            let (attempts, result) = self.try_gateway(g.as_ref(), to, &text).await;
            total_attempts += attempts;
            let outcome = if result.is_ok() { "sent" } else { "failed" };
            crate::metrics::with(|m| m.whatsapp_sends.with_label_values(&[g.name(), outcome]).inc());
            match result {
                Ok(sent) => {
                    let (name, mid) = (g.name(), sent.message_id.clone());
                    let recorded = self
                        .db
                        .run(move |conn| {
                            diesel::update(message_log::table.find(log_id))
                                .set((
                                    message_log::status.eq("sent"),
                                    message_log::provider.eq(name),
                                    message_log::provider_message_id.eq(mid),
                                    message_log::attempts.eq(total_attempts as i32),
                                    message_log::sent_at.eq(Utc::now()),
                                    message_log::updated_at.eq(Utc::now()),
                                ))
                                .execute(conn)?;
                            Ok(())
                        })
                        .await;
                    // The message went out: a failure to note it must not turn it into an error.
                    if let Err(e) = recorded {
                        tracing::error!(log_id, error = %e, "message sent but its log row could not be updated");
                    }
                    return Ok(Some(Delivered { log_id, provider: g.name(), message_id: sent.message_id }));
                }
                Err(e) => {
                    tracing::warn!(provider = g.name(), error = %e, "whatsapp provider failed");
                    last_error = e;
                }
            }
        }
        let error_text = last_error.to_string();
        self.db
            .run(move |conn| {
                diesel::update(message_log::table.find(log_id))
                    .set((
                        message_log::status.eq("failed"),
                        message_log::error.eq(error_text),
                        message_log::attempts.eq(total_attempts as i32),
                        message_log::failed_at.eq(Utc::now()),
                        message_log::updated_at.eq(Utc::now()),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await?;
        Err(SendError::Unavailable(last_error))
    }
}

/// Delivery states only move forward: a late "sent" callback never undoes "read".
pub fn status_rank(s: &str) -> Option<u8> {
    match s {
        "queued" => Some(0),
        "sent" => Some(1),
        "delivered" => Some(2),
        "read" => Some(3),
        "failed" => Some(4),
        _ => None,
    }
}

/// Applies a provider's delivery report; returns whether a row changed.
pub fn apply_delivery_status(
    conn: &mut PgConnection,
    provider: &str,
    message_id: &str,
    status: &str,
) -> Result<bool, DbError> {
    let Some(rank) = status_rank(status) else { return Ok(false) };
    let now = Utc::now();
    // Allowed previous states: anything of lower rank; a failure report cannot undo a delivery.
    let lower: Vec<&str> = if status == "failed" {
        vec!["queued", "sent"]
    } else {
        ["queued", "sent", "delivered", "read"]
            .into_iter()
            .filter(|s| status_rank(s).is_some_and(|r| r < rank))
            .collect()
    };
    // Providers number their messages again after a restart: the report is about the newest one.
    let newest: Option<i64> = message_log::table
        .filter(message_log::provider.eq(provider))
        .filter(message_log::provider_message_id.eq(message_id))
        .order(message_log::id.desc())
        .select(message_log::id)
        .first(conn)
        .optional()?;
    let Some(row) = newest else { return Ok(false) };
    let target = message_log::table.find(row).filter(message_log::status.eq_any(lower));
    let n = match status {
        "delivered" => diesel::update(target)
            .set((message_log::status.eq(status), message_log::delivered_at.eq(now), message_log::updated_at.eq(now)))
            .execute(conn)?,
        "read" => diesel::update(target)
            .set((message_log::status.eq(status), message_log::read_at.eq(now), message_log::updated_at.eq(now)))
            .execute(conn)?,
        "failed" => diesel::update(target)
            .set((message_log::status.eq(status), message_log::failed_at.eq(now), message_log::updated_at.eq(now)))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((message_log::status.eq(status), message_log::updated_at.eq(now)))
            .execute(conn)?,
    };
    Ok(n > 0)
}

/// [`apply_delivery_status`] on the blocking pool.
pub async fn record_delivery(
    db: &Db,
    provider: String,
    message_id: String,
    status: &'static str,
) -> Result<bool, DbError> {
    db.run(move |conn| apply_delivery_status(conn, &provider, &message_id, status)).await
}
