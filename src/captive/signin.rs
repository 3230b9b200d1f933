//! The one way a device signs in, for verify-otp, auto-login and bind-current: the router's word
//! on the MAC, the device plan, the router's entries, the code consumed (only now, when the rest
//! is ready), the one-statement record, and the session.

use chrono::Utc;

use super::codes::CheckedCode;
use super::plan::{DeviceRules, plan_devices};
use super::router::RouterOutcome;
use super::session::IssuedSession;
use super::store::{ClientInfo, LoginMethod, SessionRecord, SignInRecord};
use super::{Captive, CaptiveError};
use crate::db::models::User;
use crate::domain::{ClientIp, MacAddress};

/// Whose device this is.
#[derive(Debug, Clone)]
pub enum Account {
    /// A user already known (by their code or their session).
    User(Box<User>),
    /// The owner of the authorized device the router sees at the address (auto-login).
    DeviceOwner,
}

/// The session a sign-in ends with; none for binding a device to a signed-in user.
#[derive(Debug, Clone)]
pub struct SessionRequest {
    pub method: LoginMethod,
    /// Signed in from the captive page: the session link leads to its "connected" page.
    pub hotspot_login_context: bool,
    pub client: ClientInfo,
}

#[derive(Debug, Clone)]
pub struct SignIn {
    pub account: Account,
    /// The device's address on the hotspot.
    pub ip: ClientIp,
    /// A MAC the client claims; it must agree with the router.
    pub mac_hint: Option<MacAddress>,
    /// Move the device from another account.
    pub confirm_takeover: bool,
    /// A checked code, consumed once everything else is ready.
    pub code: Option<CheckedCode>,
    pub session: Option<SessionRequest>,
}

#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    pub device_id: i64,
    pub router: RouterOutcome,
    pub session: Option<IssuedSession>,
}

impl Captive {
    fn device_rules(&self) -> DeviceRules {
        let a = &self.settings.auth;
        let stale_before = Utc::now() - chrono::Duration::from_std(a.device_stale_after).unwrap_or_default();
        DeviceRules { limit: a.device_limit, stale_before }
    }

    /// Signs a device in. Until the code is consumed every failure (router down included) leaves
    /// it valid for a retry.
    pub async fn sign_in(&self, s: SignIn) -> Result<SignedIn, CaptiveError> {
        let mac = self.resolve_mac(&s.ip, s.mac_hint.as_ref()).await?;
        let user = match s.account {
            Account::User(u) => *u,
            Account::DeviceOwner => {
                let u = self.store().owner_of_authorized(mac).await?.ok_or(CaptiveError::DeviceNotFound)?;
                self.ensure_can_sign_in(&u)?;
                u
            }
        };
        let rows = self.store().device_rows(user.id, mac).await?;
        let plan = plan_devices(user.id, &mac, &rows, self.device_rules(), s.confirm_takeover)?;
        let router = self.apply_router(&user, &mac, &s.ip).await?;
        if let Some(code) = &s.code {
            self.consume_code(code).await?;
        }
        let refresh = s.session.as_ref().map(|_| self.mint_refresh());
        let record = SignInRecord {
            user: user.id,
            mac,
            ip: s.ip,
            evict: plan.evict.iter().map(|(id, _)| *id).collect(),
            session: s.session.as_ref().zip(refresh.clone()).map(|(req, refresh)| SessionRecord {
                method: req.method,
                refresh,
                user_agent: req.client.user_agent.clone(),
            }),
        };
        let device_id = self.store().record(record).await?;
        self.forget_later(plan.evict.iter().map(|(_, m)| *m).collect(), vec![]);
        let session = match (s.session, refresh) {
            (Some(req), Some(refresh)) => {
                Some(self.issue_session(&user, refresh, device_id, req.hotspot_login_context).await?)
            }
            _ => None,
        };
        tracing::info!(user = %user.id, status = %router.status, session = session.is_some(), "device signed in");
        Ok(SignedIn { user, device_id, router, session })
    }
}

/// verify-otp's input, parsed.
#[derive(Debug, Clone)]
pub struct VerifyOtp {
    pub phone: crate::domain::Msisdn,
    pub otp: String,
    pub ip: Option<ClientIp>,
    pub mac_hint: Option<MacAddress>,
    pub hotspot_login_context: bool,
    pub confirm_takeover: bool,
    pub client: ClientInfo,
}

/// Where a device is: the hinted address, else the request's own.
fn device_ip(hint: Option<ClientIp>, client: &ClientInfo) -> Result<ClientIp, CaptiveError> {
    hint.or(client.ip).ok_or(CaptiveError::ClientIpUnknown)
}

impl Captive {
    /// The code proves the phone; the account must be usable before the code is even checked.
    pub async fn verify_otp(&self, v: VerifyOtp) -> Result<SignedIn, CaptiveError> {
        let user = self.user_by_phone(&v.phone).await?;
        self.ensure_can_sign_in(&user)?;
        let code = self.check_code(&v.phone, &v.otp).await?;
        let ip = device_ip(v.ip, &v.client)?;
        self.sign_in(SignIn {
            account: Account::User(Box::new(user)),
            ip,
            mac_hint: v.mac_hint,
            confirm_takeover: v.confirm_takeover,
            code: Some(code),
            session: Some(SessionRequest {
                method: LoginMethod::Otp,
                hotspot_login_context: v.hotspot_login_context,
                client: v.client,
            }),
        })
        .await
    }

    /// A device already authorized to a user signs that user in again.
    pub async fn auto_login(
        &self,
        ip: Option<ClientIp>,
        mac_hint: Option<MacAddress>,
        hotspot_login_context: bool,
        client: ClientInfo,
    ) -> Result<SignedIn, CaptiveError> {
        let ip = device_ip(ip, &client)?;
        self.limit("auto-login-ip", &ip.as_text(), 30, 60).await?;
        self.sign_in(SignIn {
            account: Account::DeviceOwner,
            ip,
            mac_hint,
            confirm_takeover: false,
            code: None,
            session: Some(SessionRequest { method: LoginMethod::AutoLogin, hotspot_login_context, client }),
        })
        .await
    }

    /// Binds the device the caller is on to the signed-in user (no new session).
    pub async fn bind_current(
        &self,
        user: uuid::Uuid,
        ip: Option<ClientIp>,
        mac_hint: Option<MacAddress>,
        confirm_takeover: bool,
        client: ClientInfo,
    ) -> Result<SignedIn, CaptiveError> {
        let user = self.user_by_id(user).await?.ok_or(CaptiveError::AuthRequired)?;
        let ip = device_ip(ip, &client)?;
        self.sign_in(SignIn {
            account: Account::User(Box::new(user)),
            ip,
            mac_hint,
            confirm_takeover,
            code: None,
            session: None,
        })
        .await
    }
}
