//! Sending with a paper trail: every message is a `message_log` row (queued → sent | failed),
//! network errors and 5xx are retried with backoff, and a secondary provider takes over when the
//! primary cannot deliver.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use uuid::Uuid;

use super::log;
use super::templates::{TemplateError, Templates};
use crate::db::{Db, DbError};
use crate::domain::Msisdn;
use crate::whatsapp::gateway::{Gateway, GatewayError, Sent, Session};

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
    /// False when the gateway took the request and never answered: the message may or may not
    /// have gone out (its log row says so), and it is not sent again.
    pub confirmed: bool,
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

    /// A template's text in a language, for another channel (Telegram).
    pub fn render_in(&self, template: &str, lang: crate::domain::Language, vars: &[(&str, &str)]) -> Option<String> {
        self.templates.render_in(template, lang, vars).ok()
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

    /// Whether the newest `template` message to `to` since `since` ended failed (the gateway
    /// took it, then reported it undeliverable).
    pub async fn last_failed(&self, to: &Msisdn, template: &str, since: DateTime<Utc>) -> Result<bool, DbError> {
        let (to, template) = (to.clone(), template.to_owned());
        self.db.run(move |conn| log::last_failed(conn, &to, &template, since)).await
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
        let row = log::NewRow { user_id, to: to.clone(), template: template.to_owned(), provider: first.name(), key };
        let Some(log_id) = self.db.run(move |conn| log::queue(conn, &row)).await? else { return Ok(None) };
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
                    let recorded =
                        self.db.run(move |conn| log::mark_sent(conn, log_id, name, mid, total_attempts, None)).await;
                    // The message went out: a failure to note it must not turn it into an error.
                    if let Err(e) = recorded {
                        tracing::error!(log_id, error = %e, "message sent but its log row could not be updated");
                    }
                    return Ok(Some(Delivered {
                        log_id,
                        provider: g.name(),
                        message_id: sent.message_id,
                        confirmed: true,
                    }));
                }
                Err(e @ GatewayError::Unanswered(_)) => {
                    // Neither again nor through the other gateway: it may have gone out.
                    tracing::warn!(provider = g.name(), error = %e, "whatsapp send unanswered; not sent again");
                    let (name, note) = (g.name(), e.to_string());
                    let recorded = self
                        .db
                        .run(move |conn| log::mark_sent(conn, log_id, name, None, total_attempts, Some(note)))
                        .await;
                    if let Err(e) = recorded {
                        tracing::error!(log_id, error = %e, "an unanswered message's log row could not be updated");
                    }
                    return Ok(Some(Delivered { log_id, provider: g.name(), message_id: None, confirmed: false }));
                }
                Err(e) => {
                    tracing::warn!(provider = g.name(), error = %e, "whatsapp provider failed");
                    last_error = e;
                }
            }
        }
        let error_text = last_error.to_string();
        self.db.run(move |conn| log::mark_failed(conn, log_id, error_text, total_attempts)).await?;
        Err(SendError::Unavailable(last_error))
    }
}
