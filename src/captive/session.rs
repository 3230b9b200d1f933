//! Sessions: the tokens a sign-in ends with (access token, refresh family, one-time session
//! token), sessions that start without a device (password, session token), rotation, logout.

use uuid::Uuid;

use super::record::{self, ClientInfo, SessionRecord};
use super::{Captive, CaptiveError};
use crate::auth::handover::{self, SessionGrant};
use crate::auth::refresh::{self, NewRefresh, Rotation};
use crate::auth::tokens::{self, Claims};
use crate::db::models::User;
use crate::domain::{LoginMethod, Msisdn, Role};

/// Wrong admin passwords allowed per client address and phone in a window of seconds.
const ADMIN_LOGIN_FAILS: u32 = 10;
/// Wrong admin passwords allowed per client address (any phone) in the same window.
const ADMIN_LOGIN_FAILS_PER_ADDRESS: u32 = 30;
const ADMIN_LOGIN_WINDOW: u64 = 900;

/// The cookies' contents.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// A signed-in device's session: the tokens, and the one-time link that hands it to the
/// browser outside the captive window.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub tokens: Tokens,
    pub session_token: String,
    pub session_url: String,
}

impl Captive {
    /// A fresh refresh family for `user`; `elevated` only for an admin's password sign-in.
    pub(super) fn mint_refresh(&self, elevated: bool) -> NewRefresh {
        refresh::mint(Uuid::new_v4(), self.settings.auth.refresh_ttl, elevated)
    }

    fn access_token(
        &self,
        user: Uuid,
        role: Role,
        refresh: &NewRefresh,
        device: Option<i64>,
    ) -> Result<String, CaptiveError> {
        self.tokens
            .issue(user, role, Some(refresh.family), device, refresh.elevated)
            .map(|(t, _)| t)
            .map_err(|e| CaptiveError::Internal(format!("access token: {e}")))
    }

    /// The tokens of a sign-in whose refresh family was recorded with the device, and the one-time
    /// session link (`next`: the captive page's "connected" page in a hotspot login context).
    pub(super) async fn issue_session(
        &self,
        user: &User,
        refresh: NewRefresh,
        device: Option<i64>,
        hotspot_login_context: bool,
    ) -> Result<IssuedSession, CaptiveError> {
        let access = self.access_token(user.id, user.role, &refresh, device)?;
        let grant = SessionGrant { user: user.id, device };
        let token = handover::create(&self.kv, &grant, self.settings.auth.session_token_ttl).await?;
        let next = if hotspot_login_context { "/captive/terhubung" } else { "/dashboard" };
        let query = serde_urlencoded::to_string([("token", token.as_str()), ("next", next)])
            .map_err(|e| CaptiveError::Internal(e.to_string()))?;
        Ok(IssuedSession {
            tokens: Tokens { access, refresh: refresh.token },
            session_url: format!("{}/session/consume?{query}", self.settings.public_base_url),
            session_token: token,
        })
    }

    /// A session without a device sign-in: a new refresh family, history, last login.
    async fn start_session(
        &self,
        user: &User,
        device: Option<i64>,
        method: LoginMethod,
        client: ClientInfo,
    ) -> Result<Tokens, CaptiveError> {
        let refresh = self.mint_refresh(method == LoginMethod::Password);
        let access = self.access_token(user.id, user.role, &refresh, device)?;
        let token = refresh.token.clone();
        let record = SessionRecord { method, refresh, user_agent: client.user_agent };
        record::record_session(&self.db, user.id, device, record, client.ip).await?;
        Ok(Tokens { access, refresh: token })
    }

    /// Trades the one-time session token for a session in this browser.
    pub async fn consume_session_token(&self, token: &str, client: ClientInfo) -> Result<Tokens, CaptiveError> {
        let grant = handover::consume(&self.kv, token.trim()).await?.ok_or(CaptiveError::SessionInvalid)?;
        let user = self.user_by_id(grant.user).await?.ok_or(CaptiveError::SessionInvalid)?;
        self.ensure_may_hold_session(&user)?;
        self.start_session(&user, grant.device, LoginMethod::SessionToken, client).await
    }

    /// An admin's sign-in with a password. Failures are held against the client address and
    /// phone together (nobody can lock an admin out from elsewhere) and, more loosely, against
    /// the address alone (one address trying many phones). Each attempt is counted before the
    /// hash and given back unless the password was wrong, so a burst of guesses cannot all be
    /// checked before the first failure is counted; hashes run a few at a time. The hash is
    /// checked even for unknown phones so timing does not reveal accounts.
    pub async fn password_login(
        &self,
        phone: &Msisdn,
        password: String,
        client: ClientInfo,
    ) -> Result<Tokens, CaptiveError> {
        let address = client.ip.map(|i| i.as_text()).unwrap_or_default();
        let pair = format!("{address}|{}", phone.as_e164());
        let limits = [
            ("admin-login-fail", pair.as_str(), ADMIN_LOGIN_FAILS),
            ("admin-login-fail-addr", address.as_str(), ADMIN_LOGIN_FAILS_PER_ADDRESS),
        ];
        let counted = match self.limiter.count_all(&limits, ADMIN_LOGIN_WINDOW).await? {
            Ok(counted) => counted,
            Err(secs) => return Err(CaptiveError::RateLimited { retry_after: secs, reason: "admin-login" }),
        };
        let result = self.check_password(phone, password).await;
        // Only a wrong password counts; a success, or a failure on our side, is given back.
        if !matches!(result, Err(CaptiveError::InvalidCredentials)) {
            self.limiter.give_back_all(&counted).await;
        }
        let user = result?;
        self.ensure_can_sign_in(&user)?;
        let tokens = self.start_session(&user, None, LoginMethod::Password, client).await?;
        self.tell_of_admin_login(&user);
        Ok(tokens)
    }

    /// With `admin_login_notifications` on, the admin hears of each console sign-in over
    /// WhatsApp (a stolen password shows itself); sent beside the answer, never delaying it.
    fn tell_of_admin_login(&self, user: &User) {
        let (Some(messenger), true) = (self.messenger.clone(), self.runtime.get().admin_login_notifications) else {
            return;
        };
        let (id, phone, name) = (user.id, user.phone_number.clone(), user.full_name.clone());
        let time = crate::domain::days::local_time_text(chrono::Utc::now(), self.settings.timezone);
        tokio::spawn(async move {
            let vars = [("name", name.as_str()), ("time", time.as_str())];
            if let Err(e) = messenger.send(Some(id), &phone, "admin_login", &vars).await {
                tracing::warn!(error = %e, "the admin's sign-in notice was not sent");
            }
        });
    }

    async fn check_password(&self, phone: &Msisdn, password: String) -> Result<User, CaptiveError> {
        let candidate = match self.user_by_phone(phone).await {
            Ok(u) => Some(u).filter(|u| u.role.is_admin()),
            Err(CaptiveError::UserNotFound) => None,
            Err(e) => return Err(e),
        };
        let hash = candidate.as_ref().and_then(|u| u.password_hash.clone());
        let ok = match crate::accounts::password::check_bounded(password, hash).await {
            Ok(ok) => ok,
            Err(crate::accounts::password::Busy::Queue) => {
                return Err(CaptiveError::RateLimited { retry_after: 5, reason: "admin-login-busy" });
            }
            Err(crate::accounts::password::Busy::Task(e)) => return Err(CaptiveError::Internal(e)),
        };
        candidate.filter(|_| ok).ok_or(CaptiveError::InvalidCredentials)
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, CaptiveError> {
        Ok(self.accounts.find(id).await?)
    }

    /// Rotates a refresh token. `Ok(None)`: not valid (the caller clears the cookies).
    pub async fn rotate(&self, token: String, client: ClientInfo) -> Result<Option<(User, Tokens)>, CaptiveError> {
        let a = self.settings.auth.clone();
        let (ip, ua) = (client.ip.map(|i| i.as_text()), client.user_agent);
        let rotation = self
            .db
            .run(move |conn| {
                refresh::rotate(conn, &token, a.refresh_ttl, a.refresh_grace, ip.as_deref(), ua.as_deref())
            })
            .await?;
        match rotation {
            Rotation::Rotated { next, user, role, device } => {
                let Some(u) = self.user_by_id(user).await? else { return Ok(None) };
                let access = self.access_token(user, role, &next, device)?;
                Ok(Some((u, Tokens { access, refresh: next.token })))
            }
            Rotation::ReuseDetected { user, family } => {
                tracing::warn!("refresh token reuse detected; family revoked");
                // Every access token of the family ends now, not when it expires.
                self.revoke_access(user, Some(family)).await?;
                Ok(None)
            }
            Rotation::AccountDisabled { user } => {
                self.revoke_access(user, None).await?;
                Ok(None)
            }
            Rotation::Invalid => Ok(None),
        }
    }

    /// Ends every access token of the user (`family: None`) or of one session, at once.
    pub async fn revoke_access(&self, user: Uuid, family: Option<Uuid>) -> Result<(), CaptiveError> {
        Ok(tokens::revoke_before_now(&self.kv, user, family, self.settings.auth.access_ttl).await?)
    }

    /// Logout with a valid access token: its refresh family (or, with `all`, every session of
    /// the user) revoked and its access tokens ended, the session's device (or, with `all`,
    /// every device) deauthorized on the router. A session without a device deauthorizes none.
    pub async fn logout(&self, claims: &Claims, all: bool) -> Result<(), CaptiveError> {
        let c = claims.clone();
        self.db
            .run(move |conn| {
                if all {
                    refresh::revoke_all(conn, c.sub, "logout_all")?;
                } else if let Some(f) = c.fam {
                    refresh::revoke_family(conn, f, "logout")?;
                }
                Ok(())
            })
            .await?;
        self.revoke_access(claims.sub, if all { None } else { claims.fam }).await?;
        match (all, claims.did) {
            (true, _) => self.deauthorize(claims.sub, None).await,
            (false, Some(device)) => self.deauthorize(claims.sub, Some(device)).await,
            (false, None) => Ok(()),
        }
    }

    /// Logout with only the refresh cookie (the access token expired): the family, or every
    /// session of its user, revoked.
    pub async fn logout_with_refresh(&self, token: String, all: bool) -> Result<(), CaptiveError> {
        let revoked = self
            .db
            .run(move |conn| {
                let Some((family, user)) = refresh::family_of(conn, &token)? else { return Ok(None) };
                if all {
                    refresh::revoke_all(conn, user, "logout_all")?;
                } else {
                    refresh::revoke_family(conn, family, "logout")?;
                }
                Ok(Some((user, family)))
            })
            .await?;
        if let Some((user, family)) = revoked {
            self.revoke_access(user, (!all).then_some(family)).await?;
        }
        Ok(())
    }
}
