//! Authentication: one-time codes, access and refresh tokens, one-time session tokens, status
//! tokens, rate limits.

pub mod crypto;
pub mod otp;
pub mod ratelimit;
pub mod refresh;
pub mod session;
pub mod status_token;
pub mod tokens;
