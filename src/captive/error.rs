//! The sign-in room's refusals and failures; the HTTP door maps each to its envelope.

use crate::db::DbError;
use crate::domain::AccessStatus;
use crate::kv::KvError;
use crate::router::RouterError;

#[derive(Debug, thiserror::Error)]
pub enum CaptiveError {
    #[error("router unavailable")]
    RouterUnavailable,
    #[error("router refused a change: {0}")]
    RouterRefused(String),
    #[error("the router does not see this device")]
    DeviceNotFound,
    #[error("the device address does not match the router's")]
    DeviceMismatch,
    #[error("device limit reached")]
    DeviceLimit { limit: usize },
    #[error("the device belongs to another account")]
    TakeoverRequired,
    #[error("a device action from outside the hotspot")]
    OutsideHotspot,
    #[error("the device's proof cookie is missing or wrong")]
    DeviceProofRequired,
    #[error("the one-time hotspot login is no longer pending")]
    WitnessGone,
    #[error("no such device of this user")]
    DeviceGone,
    #[error("the client IP is unknown")]
    ClientIpUnknown,
    #[error("no user with this phone number")]
    UserNotFound,
    /// With the signed status token the frontend opens its policy page with.
    #[error("the account may not sign in: {status}")]
    AccountStatus { status: AccessStatus, token: String },
    #[error("wrong or expired code")]
    OtpInvalid { remaining: u32 },
    #[error("too many wrong codes")]
    OtpLocked { retry_after: u64 },
    #[error("rate limited ({reason})")]
    RateLimited { retry_after: u64, reason: &'static str },
    #[error("no WhatsApp gateway could deliver")]
    WhatsAppUnavailable,
    #[error("not signed in")]
    AuthRequired,
    #[error("the session is invalid or was used")]
    SessionInvalid,
    #[error("wrong phone or password")]
    InvalidCredentials,
    #[error("too little of the request's time is left to finish")]
    DeadlineExceeded,
    /// A field of the request that cannot be taken as it is.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A public feature the operator has switched off.
    #[error("{0} is switched off")]
    FeatureOff(&'static str),
    #[error("internal: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Kv(#[from] KvError),
}

impl From<RouterError> for CaptiveError {
    fn from(e: RouterError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "router unavailable");
            CaptiveError::RouterUnavailable
        } else {
            tracing::error!(error = %e, "router refused a command");
            CaptiveError::RouterRefused(e.to_string())
        }
    }
}
