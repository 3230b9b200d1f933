//! The auth room: one-time codes and their counters, access tokens and their revocation,
//! refresh families (the only writer of `refresh_tokens` beside the sign-in statement),
//! one-time session hand-overs, status tokens, rate limits.

pub mod counters;
pub mod document_link;
pub mod handover;
pub mod otp;
pub mod payment_link;
pub mod ratelimit;
pub mod refresh;
pub mod status_token;
pub mod tokens;
