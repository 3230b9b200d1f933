//! The sign-in room: one-time codes, the one device sign-in (router's word on the MAC, pure
//! device plan, router entries by the one policy, one-statement record, session), sessions,
//! logout, the user's devices.
//!
//! - `codes`: who gets a code and how often; checking one.
//! - `plan`: the device plan (pure).
//! - `router`: the router side (MAC authority, entries, removals and their retries).
//! - `record`: what a sign-in writes (the one-statement device sign-in, the session records).
//! - `signin`: the one sign-in function and the three doors into it.
//! - `session`: tokens, rotation, logout.
//! - `devices`: a user's devices, deauthorization, reset, hotspot status.
//! - `register`: a pending account from the captive page.
//! - `witness`: one-time hotspot credentials and the router's witness of the device's login.

pub mod codes;
pub mod devices;
pub mod error;
pub mod password;
pub mod plan;
pub mod record;
pub mod register;
pub mod router;
pub mod session;
pub mod signin;
pub mod submission;
pub mod witness;

use std::sync::Arc;

pub use error::CaptiveError;
pub use record::{ClientInfo, register_device};
pub use router::{RouterOutcome, label};
pub use signin::{Account, SessionRequest, SignIn, SignedIn, VerifyOtp};
pub use witness::Handover;

use crate::accounts::Accounts;
use crate::auth::otp::OtpStore;
use crate::auth::ratelimit::Limiter;
use crate::auth::tokens::AccessTokens;
use crate::config::Settings;
use crate::db::Db;
use crate::devices::Devices;
use crate::domain::policy::RouterPolicy;
use crate::kv::Kv;
use crate::notify::Messenger;
use crate::router::ops::Ops;
use crate::settings::Runtime;

/// The room's handles and the core rooms it works with; cheap to clone.
#[derive(Clone)]
pub struct Captive {
    pub db: Db,
    pub kv: Kv,
    pub router: Option<Ops>,
    pub settings: Arc<Settings>,
    /// Runtime settings and the one router policy.
    pub runtime: Runtime,
    pub accounts: Accounts,
    pub devices: Devices,
    /// Sends the codes.
    pub messenger: Option<Messenger>,
    pub otp: OtpStore,
    pub tokens: AccessTokens,
    pub limiter: Limiter,
}

impl Captive {
    /// The one router policy as it stands now (its FUP threshold is a runtime setting).
    pub fn policy(&self) -> Arc<RouterPolicy> {
        self.runtime.policy()
    }
}
