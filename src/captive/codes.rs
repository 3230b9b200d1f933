//! One-time codes: the issuing policy (who may get one, how often, delivery, giving everything
//! back when the gateway fails) and the check before a sign-in.

use secrecy::ExposeSecret;

use super::{Captive, CaptiveError};
use crate::auth::otp::Check;
use crate::auth::ratelimit::Verdict;
use crate::db::models::User;
use crate::domain::{AccessStatus, ApprovalStatus, ClientIp, Msisdn};
use crate::notify::SendError;

const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// A code that matched; [`Captive::sign_in`] consumes it once everything else is ready.
#[derive(Debug, Clone)]
pub struct CheckedCode {
    pub phone: Msisdn,
    pub hash: String,
}

impl Captive {
    /// Counts a hit; a limited one is a refusal naming `kind`.
    pub(super) async fn limit(
        &self,
        kind: &'static str,
        value: &str,
        max: u32,
        window_secs: u64,
    ) -> Result<(), CaptiveError> {
        match self.limiter.hit(kind, value, max, window_secs).await? {
            Verdict::Allowed => Ok(()),
            Verdict::Limited(secs) => Err(CaptiveError::RateLimited { retry_after: secs, reason: kind }),
        }
    }

    /// The user with this phone, or a refusal.
    pub async fn user_by_phone(&self, phone: &Msisdn) -> Result<User, CaptiveError> {
        self.accounts.find_by_phone(phone).await?.ok_or(CaptiveError::UserNotFound)
    }

    /// Only approved, active, unblocked accounts may sign in.
    pub fn ensure_can_sign_in(&self, u: &User) -> Result<(), CaptiveError> {
        if u.is_blocked {
            Err(self.status_refusal(AccessStatus::Blocked))
        } else if !u.is_active || u.approval_status != ApprovalStatus::Approved {
            Err(self.status_refusal(AccessStatus::Inactive))
        } else {
            Ok(())
        }
    }

    /// The refusal for an account in `status`, with the signed token the policy page checks.
    pub fn status_refusal(&self, status: AccessStatus) -> CaptiveError {
        let token = crate::auth::status_token::issue(self.settings.jwt_secret.expose_secret().as_bytes(), status);
        CaptiveError::AccountStatus { status, token }
    }

    /// Whether `token` is a genuine, unexpired status token for `status`.
    pub fn status_token_valid(&self, status: &str, token: &str) -> bool {
        crate::auth::status_token::verify(self.settings.jwt_secret.expose_secret().as_bytes(), status, token)
    }

    /// A registration waiting for the operator (proven or not): it may sign in to a session
    /// that shows it waiting, never to the hotspot. The existing frontend shows its pending page
    /// only from a signed-in user's status: its handler of a 403 signs out first and loses the
    /// status token the page would need.
    pub fn is_waiting(u: &User) -> bool {
        u.approval_status == ApprovalStatus::Pending && u.is_active && !u.is_blocked
    }

    /// An approved account that is blocked or deactivated: its code signs it in to a session
    /// that only shows its state (no device, no purchase, no request; refresh refuses it, so it
    /// ends with its access token). The existing frontend opens its policy page only for a
    /// signed-in user: a refusal's status token it loses on the way (its 403 handler signs out
    /// and clears it).
    pub fn is_status_only(u: &User) -> bool {
        u.approval_status == ApprovalStatus::Approved && (u.is_blocked || !u.is_active)
    }

    /// An account that may hold a session: one that may sign in, one waiting for approval, or
    /// one whose session only shows its state.
    pub fn ensure_may_hold_session(&self, u: &User) -> Result<(), CaptiveError> {
        if Self::is_waiting(u) || Self::is_status_only(u) { Ok(()) } else { self.ensure_can_sign_in(u) }
    }

    /// Sends a fresh code to `phone` over WhatsApp: to an account that may sign in, or to a
    /// registration whose phone the code is to prove. Limits: per client address per hour (not
    /// from the hotspot, where a whole venue shares one address), per phone per hour, and a
    /// cooldown between codes. Numbers nobody holds and registrations nobody proved are limited
    /// per address on the hotspot too, and codes to the latter per day for the whole backend.
    /// A gateway failure leaves no code behind and gives the cooldown and the hourly allowance
    /// back.
    pub async fn request_code(&self, phone: &Msisdn, client: Option<&ClientIp>) -> Result<(), CaptiveError> {
        let a = &self.settings.auth;
        let off_hotspot = match client {
            Some(ip) => !self.on_hotspot(ip).await,
            None => false,
        };
        if let (Some(ip), true) = (client, off_hotspot) {
            self.limit("otp-ip", &ip.as_text(), a.otp_per_ip_per_hour, HOUR).await?;
        }
        let user = match self.user_by_phone(phone).await {
            Err(CaptiveError::UserNotFound) => {
                if let Some(ip) = client {
                    self.limit("otp-unknown-ip", &ip.as_text(), a.unknown_phone_per_ip_per_hour, HOUR).await?;
                }
                return Err(CaptiveError::UserNotFound);
            }
            found => found?,
        };
        // A blocked or deactivated account gets its code and a session that shows its state
        // (see `is_status_only`); nobody without the phone learns the number's state.
        self.ensure_may_hold_session(&user)?;
        if user.phone_verified_at.is_none() {
            if let Some(ip) = client {
                self.limit("otp-unproven-ip", &ip.as_text(), a.otp_unproven_per_ip_per_hour, HOUR).await?;
            }
            self.limit("otp-unproven", "all", a.otp_unproven_per_day, DAY).await?;
        }
        let Some(messenger) = self.messenger.clone() else {
            return Err(CaptiveError::WhatsAppUnavailable);
        };
        if let Err(secs) = self.otp.take_cooldown(phone).await? {
            // The last code was reported undeliverable: its cooldown is no reason to wait.
            let since = chrono::Utc::now() - chrono::Duration::from_std(self.otp.cooldown()).unwrap_or_default();
            if !messenger.last_failed(phone, "otp", since).await? {
                return Err(CaptiveError::RateLimited { retry_after: secs, reason: "cooldown" });
            }
            self.otp.release_cooldown(phone).await?;
            if let Err(secs) = self.otp.take_cooldown(phone).await? {
                return Err(CaptiveError::RateLimited { retry_after: secs, reason: "cooldown" });
            }
        }
        if let Verdict::Limited(secs) =
            self.limiter.hit("otp-phone", phone.as_e164(), a.otp_per_phone_per_hour, HOUR).await?
        {
            self.otp.release_cooldown(phone).await?;
            return Err(CaptiveError::RateLimited { retry_after: secs, reason: "otp-phone" });
        }
        let code = self.otp.issue(phone).await?;
        let minutes = (self.otp.ttl().as_secs() / 60).max(1).to_string();
        match messenger.send(Some(user.id), phone, "otp", &[("code", &code), ("minutes", &minutes)]).await {
            Ok(_) => {
                crate::metrics::with(|m| m.otp.with_label_values(&["sent"]).inc());
                Ok(())
            }
            Err(e) => {
                self.otp.withdraw(phone).await?;
                self.limiter.refund("otp-phone", phone.as_e164(), HOUR).await?;
                Err(match e {
                    SendError::Unavailable(_) => CaptiveError::WhatsAppUnavailable,
                    SendError::Db(db) => db.into(),
                    SendError::Template(t) => CaptiveError::Internal(format!("otp template: {t}")),
                    SendError::Duplicate => CaptiveError::Internal("otp message not recorded".into()),
                })
            }
        }
    }

    /// Checks a guess without consuming the code (a wrong guess is counted).
    pub async fn check_code(&self, phone: &Msisdn, code: &str) -> Result<CheckedCode, CaptiveError> {
        let refused = match self.otp.check(phone, code).await? {
            Check::Valid { hash } => return Ok(CheckedCode { phone: phone.clone(), hash }),
            Check::Invalid { remaining } => CaptiveError::OtpInvalid { remaining },
            Check::Locked { retry_after } => CaptiveError::OtpLocked { retry_after },
        };
        let today = crate::domain::days::today(self.settings.timezone);
        crate::auth::counters::count_failed_code(&self.kv, today).await;
        Err(refused)
    }

    /// Uses the code up; refused when it was consumed or replaced meanwhile.
    pub(super) async fn consume_code(&self, code: &CheckedCode) -> Result<(), CaptiveError> {
        if self.otp.consume(&code.phone, &code.hash).await? {
            crate::metrics::with(|m| m.otp.with_label_values(&["verified"]).inc());
            Ok(())
        } else {
            Err(CaptiveError::OtpInvalid { remaining: 0 })
        }
    }
}
