//! The one way a device signs in, for verify-otp, auto-login and bind-current. Where the request
//! comes from decides what a client's hint is worth (`domain::network`): off the hotspot it is a
//! plain sign-in without a device. On the hotspot the router says which MAC holds the device's
//! address; the device is bound only with a proof the binding mode accepts (the router's witness
//! of a hotspot login, or, in redirect mode, a device bound to nobody yet); the code is consumed
//! only when the rest is ready; the record is one statement; the session follows.

use chrono::Utc;

use super::codes::CheckedCode;
use super::plan::{DeviceRules, plan_devices};
use super::record::{self, ClientInfo, SessionRecord, SignInRecord};
use super::router::RouterOutcome;
use super::session::IssuedSession;
use super::{Captive, CaptiveError};
use crate::crypto::sha256;
use crate::db::models::User;
use crate::domain::network::{BindingMode, LocateError, Location};
use crate::domain::{ClientIp, LoginMethod, MacAddress};

/// Whose device this is.
#[derive(Debug, Clone)]
pub enum Account {
    /// A user already known (by their code or their session).
    User(Box<User>),
    /// The owner of the authorized device the router sees at the address, proven by the
    /// device's cookie (auto-login).
    DeviceOwner { proof: Option<String> },
}

/// The session a sign-in ends with; none for binding a device to a signed-in user.
#[derive(Debug, Clone)]
pub struct SessionRequest {
    pub method: LoginMethod,
    /// Signed in from the captive page: the session link leads to its "connected" page.
    pub hotspot_login_context: bool,
    pub client: ClientInfo,
}

/// A per-MAC allowance: at most `max` per `window_secs` for the router-confirmed MAC.
#[derive(Debug, Clone, Copy)]
pub struct MacLimit {
    pub kind: &'static str,
    pub max: u32,
    pub window_secs: u64,
}

#[derive(Debug, Clone)]
pub struct SignIn {
    pub account: Account,
    pub location: Location,
    /// A MAC the client claims; it must agree with the router.
    pub mac_hint: Option<MacAddress>,
    /// A checked code, consumed once everything else is ready.
    pub code: Option<CheckedCode>,
    pub session: Option<SessionRequest>,
    /// The refresh family of the caller's session (bind-current), for a binding the router
    /// witnesses later.
    pub family: Option<uuid::Uuid>,
    pub mac_limit: Option<MacLimit>,
    /// The last instant the code may be consumed: the rest (one statement, one Redis write) has
    /// to finish before the request's deadline, or the user is left with neither code nor session.
    pub deadline: Option<std::time::Instant>,
}

#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    /// The device bound by this sign-in, if any.
    pub device_id: Option<i64>,
    pub router: RouterOutcome,
    pub session: Option<IssuedSession>,
    /// The new proof cookie of the bound device.
    pub device_proof: Option<String>,
}

/// What the sign-in does with the device.
enum DeviceStep {
    /// No device: off the hotspot, or the device's address is unknown.
    None,
    /// Bind it now (its owner is this user or nobody, or the mode trusts the hint).
    Bind { mac: MacAddress, ip: ClientIp, evict: Vec<(i64, MacAddress)> },
    /// Hand out one-time hotspot credentials; the router's witness binds it later.
    Witness,
}

impl Captive {
    /// The runtime device rules, with the user's own limit when an admin set one.
    pub(super) fn device_rules(&self, user: &User) -> DeviceRules {
        let r = self.runtime.get();
        let stale_before = Utc::now() - chrono::Duration::days(i64::from(r.device_stale_days));
        let limit = user.device_limit_override.and_then(|n| usize::try_from(n).ok()).unwrap_or(r.device_limit);
        DeviceRules { limit, stale_before }
    }

    /// Where the request comes from; a client address naming another is refused.
    pub fn locate(&self, hint: Option<ClientIp>, client: &ClientInfo) -> Result<Location, CaptiveError> {
        self.networks().locate(client.ip, hint).map_err(|e| match e {
            LocateError::HintMismatch => CaptiveError::DeviceMismatch,
        })
    }

    /// Decides what happens to the device at `ip` for `user`.
    async fn device_step(
        &self,
        user: &User,
        mac: MacAddress,
        ip: ClientIp,
        witnessed: bool,
    ) -> Result<DeviceStep, CaptiveError> {
        let rows = self.devices.device_rows(user.id, mac).await?;
        let owner = rows.iter().find(|r| r.mac_address == mac).map(|r| r.user_id);
        let mode = self.settings.hotspot.binding_mode;
        if !witnessed {
            match (mode, owner) {
                // A device already this user's signs in again as it is.
                (_, Some(o)) if o == user.id => {}
                // Redirect mode binds a device bound to nobody from the redirect's hint.
                (BindingMode::Redirect, None) => {}
                // A device of another account never moves by a hint.
                (BindingMode::Redirect, Some(_)) => return Err(CaptiveError::TakeoverRequired),
                (BindingMode::RouterLogin, _) => return Ok(DeviceStep::Witness),
            }
        }
        let plan = plan_devices(user.id, &mac, &rows, self.device_rules(user), witnessed)?;
        Ok(DeviceStep::Bind { mac, ip, evict: plan.evict })
    }

    /// Signs a device in. Until the code is consumed every failure (router down included) leaves
    /// it valid for a retry.
    pub async fn sign_in(&self, s: SignIn) -> Result<SignedIn, CaptiveError> {
        let device_ip = match s.location {
            Location::Hotspot { device } => device,
            Location::Internet => None,
        };
        let mut resolved = None;
        if let Some(ip) = device_ip {
            let mac = self.resolve_mac(&ip, s.mac_hint.as_ref()).await?;
            if let Some(l) = s.mac_limit {
                self.limit(l.kind, &mac.canonical(), l.max, l.window_secs).await?;
            }
            resolved = Some((mac, ip));
        }
        let user = match s.account {
            Account::User(u) => *u,
            Account::DeviceOwner { proof } => {
                let (mac, _) = resolved.ok_or(CaptiveError::OutsideHotspot)?;
                self.device_owner(mac, proof.as_deref()).await?
            }
        };
        let step = match resolved {
            Some((mac, ip)) => self.device_step(&user, mac, ip, false).await?,
            None => DeviceStep::None,
        };
        let status = self.status_of(&user);
        let (router, mut witness) = match &step {
            DeviceStep::Bind { mac, ip, .. } => (self.apply_router(&user, mac, ip).await?, None),
            DeviceStep::Witness => {
                let w = self.create_witness(&user, status).await?;
                (RouterOutcome::witness(status, &w), Some(w))
            }
            DeviceStep::None => {
                let context = s.session.as_ref().is_some_and(|q| q.hotspot_login_context);
                (RouterOutcome::no_device(status, context), None)
            }
        };
        if let Some(code) = &s.code {
            if s.deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Err(CaptiveError::DeadlineExceeded);
            }
            self.consume_code(code).await?;
        }
        let refresh = s.session.as_ref().map(|_| self.mint_refresh(false));
        let session_record = s.session.as_ref().zip(refresh.clone()).map(|(req, refresh)| SessionRecord {
            method: req.method,
            refresh,
            user_agent: req.client.user_agent.clone(),
        });
        let ip = s.session.as_ref().and_then(|q| q.client.ip);
        let (device_id, device_proof) = self.record(&user, step, session_record, ip).await?;
        let family = refresh.as_ref().map(|r| r.family).or(s.family);
        if let (Some(w), Some(family)) = (witness.as_mut(), family) {
            self.watch_witness(w, user.id, family).await?;
        }
        let session = match (s.session, refresh) {
            (Some(req), Some(refresh)) => {
                Some(self.issue_session(&user, refresh, device_id, req.hotspot_login_context).await?)
            }
            _ => None,
        };
        tracing::info!(user = %user.id, status = %router.status, device = device_id.is_some(),
            witness = witness.is_some(), session = session.is_some(), "signed in");
        Ok(SignedIn { user, device_id, router, session, device_proof })
    }

    /// What the sign-in writes: a bound device with its new proof in one statement (its evicted
    /// devices' router entries removed in the background), or the session alone. The bound
    /// device's id and proof cookie.
    async fn record(
        &self,
        user: &User,
        step: DeviceStep,
        session: Option<SessionRecord>,
        ip: Option<ClientIp>,
    ) -> Result<(Option<i64>, Option<String>), CaptiveError> {
        let DeviceStep::Bind { mac, ip: device_ip, evict } = step else {
            if let Some(r) = session {
                record::record_session(&self.db, user.id, None, r, ip).await?;
            }
            return Ok((None, None));
        };
        let proof = crate::crypto::random_token(32);
        let r = SignInRecord {
            user: user.id,
            mac,
            ip: device_ip,
            evict: evict.iter().map(|(id, _)| *id).collect(),
            proof_hash: Some(sha256(proof.as_bytes()).to_vec()),
            session,
            site: self.site_id(),
        };
        let id = record::record(&self.db, r).await?;
        self.devices.forget_later(evict.iter().map(|(_, m)| *m).collect(), vec![]);
        Ok((Some(id), Some(proof)))
    }

    /// The owner of the authorized device with this MAC, when the caller holds its proof cookie.
    async fn device_owner(&self, mac: MacAddress, proof: Option<&str>) -> Result<User, CaptiveError> {
        let (user, proof_hash) = self.devices.owner_of_authorized(mac).await?.ok_or(CaptiveError::DeviceNotFound)?;
        let given = proof.map(|p| sha256(p.as_bytes()));
        let proven = match (&proof_hash, given) {
            (Some(stored), Some(given)) => crate::crypto::ct_eq(stored, &given),
            _ => false,
        };
        if !proven {
            return Err(CaptiveError::DeviceProofRequired);
        }
        self.ensure_can_sign_in(&user)?;
        Ok(user)
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
    pub client: ClientInfo,
}

impl Captive {
    /// A code proves the phone. Unknown and existing phones are answered alike until the code
    /// is right: an unknown phone has no code, so any guess is wrong.
    pub async fn verify_otp(&self, v: VerifyOtp) -> Result<SignedIn, CaptiveError> {
        self.here(&v.client).await.verify_otp_here(v).await
    }

    async fn verify_otp_here(&self, v: VerifyOtp) -> Result<SignedIn, CaptiveError> {
        let location = self.locate(v.ip, &v.client)?;
        if location == Location::Internet
            && let Some(ip) = &v.client.ip
        {
            self.limit("verify-ip", &ip.as_text(), self.settings.auth.verify_per_ip_per_hour, 3_600).await?;
        }
        let deadline = v.client.deadline;
        let code = self.check_code(&v.phone, &v.otp).await?;
        let user = match self.user_by_phone(&v.phone).await {
            Ok(u) => u,
            Err(CaptiveError::UserNotFound) => return Err(CaptiveError::OtpInvalid { remaining: 0 }),
            Err(e) => return Err(e),
        };
        if user.phone_verified_at.is_none() {
            // The code proved a registration's phone.
            let id = user.id;
            self.db.run(move |conn| crate::accounts::create::mark_phone_proven(conn, id)).await?;
            // A real person now waits for approval: the subscribed admins hear of it.
            let alert = crate::notify::Event::Alert {
                template: "alert_registration".into(),
                subject: user.full_name.clone(),
                detail: user.phone_number.local(),
                cause: format!("registration:{id}"),
            };
            let event = crate::domain::AlertEvent::NewRegistration;
            crate::notify::recipients::alert(&self.db, &self.accounts.queues, event, alert).await;
        }
        // A registration waiting for approval, or a blocked or deactivated account, gets a
        // session that shows where it stands, no device.
        let location =
            if Self::is_waiting(&user) || Self::is_status_only(&user) { Location::Internet } else { location };
        self.ensure_may_hold_session(&user)?;
        self.sign_in(SignIn {
            account: Account::User(Box::new(user)),
            location,
            mac_hint: v.mac_hint,
            code: Some(code),
            session: Some(SessionRequest {
                method: LoginMethod::Otp,
                hotspot_login_context: v.hotspot_login_context,
                client: v.client,
            }),
            family: None,
            mac_limit: Some(MacLimit { kind: "verify-mac", max: 30, window_secs: 3_600 }),
            deadline,
        })
        .await
    }

    /// Where a request that names the caller's device comes from: on the hotspot, from a device
    /// the router can vouch for; anything else is refused.
    fn locate_device(&self, ip: Option<ClientIp>, client: &ClientInfo) -> Result<Location, CaptiveError> {
        match self.locate(ip, client)? {
            Location::Internet => Err(CaptiveError::OutsideHotspot),
            // On the hotspot, but which device is not known: none the router can vouch for.
            Location::Hotspot { device: None } => Err(CaptiveError::DeviceNotFound),
            located => Ok(located),
        }
    }

    /// A device already authorized to a user signs that user in again: the router must see the
    /// device on the hotspot and the caller must hold the device's proof cookie.
    pub async fn auto_login(
        &self,
        ip: Option<ClientIp>,
        mac_hint: Option<MacAddress>,
        proof: Option<String>,
        hotspot_login_context: bool,
        client: ClientInfo,
    ) -> Result<SignedIn, CaptiveError> {
        let here = self.here(&client).await;
        let location = here.locate_device(ip, &client)?;
        here.sign_in(SignIn {
            account: Account::DeviceOwner { proof },
            location,
            mac_hint,
            code: None,
            deadline: client.deadline,
            session: Some(SessionRequest { method: LoginMethod::AutoLogin, hotspot_login_context, client }),
            family: None,
            mac_limit: Some(MacLimit { kind: "auto-login-mac", max: 30, window_secs: 60 }),
        })
        .await
    }

    /// Binds the device the caller is on to the signed-in user (no new session).
    pub async fn bind_current(
        &self,
        claims: &crate::auth::tokens::Claims,
        ip: Option<ClientIp>,
        mac_hint: Option<MacAddress>,
        client: ClientInfo,
    ) -> Result<SignedIn, CaptiveError> {
        let user = self.user_by_id(claims.sub).await?.ok_or(CaptiveError::AuthRequired)?;
        self.ensure_can_sign_in(&user)?;
        let here = self.here(&client).await;
        let location = here.locate_device(ip, &client)?;
        here.sign_in(SignIn {
            account: Account::User(Box::new(user)),
            location,
            mac_hint,
            code: None,
            session: None,
            family: claims.fam,
            mac_limit: None,
            deadline: client.deadline,
        })
        .await
    }
}
