//! The sign-in room: one-time codes, the one device sign-in (router's word on the MAC, pure
//! device plan, router entries by the one policy, one-statement record, session), sessions,
//! logout, the user's devices.
//!
//! - `codes`: who gets a code and how often; checking one.
//! - `plan`: the device plan (pure).
//! - `router`: the router side (MAC authority, entries, removals and their retries).
//! - `store`: the database side (`user_devices`, `login_history`, the sign-in statement).
//! - `signin`: the one sign-in function and the three doors into it.
//! - `session`: tokens, rotation, logout.
//! - `devices`: a user's devices, deauthorization, reset, hotspot status.
//! - `register`: a pending account from the captive page.
//! - `witness`: one-time hotspot credentials and the router's witness of the device's login.

pub mod codes;
pub mod devices;
pub mod error;
pub mod plan;
pub mod register;
pub mod router;
pub mod session;
pub mod signin;
pub mod store;
pub mod witness;

use std::sync::Arc;

pub use error::CaptiveError;
pub use router::{RouterOutcome, label};
pub use signin::{Account, SessionRequest, SignIn, SignedIn, VerifyOtp};
pub use store::{ClientInfo, LoginMethod, register_device};
pub use witness::Handover;

use crate::auth::otp::OtpStore;
use crate::auth::ratelimit::Limiter;
use crate::auth::tokens::AccessTokens;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::policy::RouterPolicy;
use crate::kv::Kv;
use crate::router::ops::Ops;
use crate::runtime::Runtime;
use crate::whatsapp::Messenger;

/// Everything the room works with; cheap to clone.
#[derive(Clone)]
pub struct Captive {
    pub db: Db,
    pub kv: Kv,
    pub router: Option<Ops>,
    pub settings: Arc<Settings>,
    /// Runtime settings and the one router policy.
    pub runtime: Runtime,
    pub messenger: Option<Messenger>,
    pub otp: OtpStore,
    pub tokens: AccessTokens,
    pub limiter: Limiter,
    /// Where router removals that failed go to be retried.
    pub queues: Option<hotspot_jobs::Queues>,
}

impl Captive {
    /// The one router policy as it stands now (its FUP threshold is a runtime setting).
    pub fn policy(&self) -> Arc<RouterPolicy> {
        self.runtime.policy()
    }

    pub fn store(&self) -> store::Store {
        store::Store { db: self.db.clone() }
    }
}
