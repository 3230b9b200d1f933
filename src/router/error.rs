//! What can go wrong talking to a router.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RouterError {
    #[error("router unreachable: {0}")]
    Unreachable(String),
    #[error("router refused the API login")]
    LoginRefused,
    #[error("router did not answer within {0:?}")]
    Timeout(Duration),
    #[error("router connection lost")]
    ConnectionLost,
    #[error("router circuit open; next attempt in {0:?}")]
    CircuitOpen(Duration),
    #[error("router refused the command: {message}")]
    Trap { category: Option<u8>, message: String },
    #[error("unexpected router reply: {0}")]
    Protocol(String),
}

impl RouterError {
    /// The error's kind as a metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            RouterError::Unreachable(_) => "unreachable",
            RouterError::LoginRefused => "login_refused",
            RouterError::Timeout(_) => "timeout",
            RouterError::ConnectionLost => "connection_lost",
            RouterError::CircuitOpen(_) => "circuit_open",
            RouterError::Trap { .. } => "trap",
            RouterError::Protocol(_) => "protocol",
        }
    }

    /// Failures of the path to the router (not of a command it understood and refused): these
    /// count towards the circuit breaker and make the HTTP layer answer 503.
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, RouterError::Trap { .. } | RouterError::Protocol(_))
    }

    /// RouterOS answers an add that already exists with these messages; idempotent callers
    /// treat them as success.
    pub fn is_duplicate(&self) -> bool {
        matches!(self, RouterError::Trap { message, .. }
            if message.contains("already have such entry")
                || message.contains("already have user with this name")
                || message.contains("such client already exists"))
    }

    pub fn is_no_such_item(&self) -> bool {
        matches!(self, RouterError::Trap { message, .. } if message.starts_with("no such item"))
    }
}
