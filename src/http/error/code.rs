//! The stable machine codes of the error envelope (`code`), one enum so handlers compare
//! variants, never strings.

/// Defines the enum, its text and the list of all codes.
macro_rules! error_codes {
    ($($variant:ident => $text:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text),+ }
            }
        }
    };
}

error_codes! {
    ValidationError => "VALIDATION_ERROR",
    MalformedBody => "MALFORMED_BODY",
    BadRequest => "BAD_REQUEST",
    NotFound => "NOT_FOUND",
    MethodNotAllowed => "METHOD_NOT_ALLOWED",
    NotAcceptable => "NOT_ACCEPTABLE",
    RequestTimeout => "REQUEST_TIMEOUT",
    LengthRequired => "LENGTH_REQUIRED",
    PayloadTooLarge => "PAYLOAD_TOO_LARGE",
    UriTooLong => "URI_TOO_LONG",
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
    RateLimited => "RATE_LIMITED",
    Internal => "INTERNAL",
    ServiceUnavailable => "SERVICE_UNAVAILABLE",
    ServiceDegraded => "SERVICE_DEGRADED",
    DatabaseUnavailable => "DATABASE_UNAVAILABLE",
    RedisUnavailable => "REDIS_UNAVAILABLE",
    QueueUnavailable => "QUEUE_UNAVAILABLE",
    DeadlineExceeded => "DEADLINE_EXCEEDED",
    AuthRequired => "AUTH_REQUIRED",
    AuthTokenExpired => "AUTH_TOKEN_EXPIRED",
    SessionInvalid => "SESSION_INVALID",
    InvalidCredentials => "INVALID_CREDENTIALS",
    OriginInvalid => "ORIGIN_INVALID",
    Forbidden => "FORBIDDEN",
    UserNotFound => "USER_NOT_FOUND",
    PhoneTaken => "PHONE_TAKEN",
    AccountStatus => "ACCOUNT_STATUS",
    OtpInvalid => "OTP_INVALID",
    OtpLocked => "OTP_LOCKED",
    WhatsAppUnavailable => "WHATSAPP_UNAVAILABLE",
    RouterUnavailable => "ROUTER_UNAVAILABLE",
    RouterError => "ROUTER_ERROR",
    DeviceNotFound => "DEVICE_NOT_FOUND",
    DeviceMismatch => "DEVICE_MISMATCH",
    DeviceLimit => "DEVICE_LIMIT",
    DeviceTakeoverRequired => "DEVICE_TAKEOVER_REQUIRED",
    DeviceProofRequired => "DEVICE_PROOF_REQUIRED",
    OutsideHotspot => "OUTSIDE_HOTSPOT",
    WebhookDisabled => "WEBHOOK_DISABLED",
    SignatureInvalid => "SIGNATURE_INVALID",
    InvalidState => "INVALID_STATE",
    IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
    Maintenance => "MAINTENANCE",
    RegistrationClosed => "REGISTRATION_CLOSED",
    PackageNotFound => "PACKAGE_NOT_FOUND",
    TransactionNotFound => "TRANSACTION_NOT_FOUND",
    PaymentSignatureInvalid => "PAYMENT_SIGNATURE_INVALID",
    PaymentAmountMismatch => "PAYMENT_AMOUNT_MISMATCH",
    PaymentGatewayUnavailable => "PAYMENT_GATEWAY_UNAVAILABLE",
    PurchaseNotAllowed => "PURCHASE_NOT_ALLOWED",
    VoucherInvalid => "VOUCHER_INVALID",
    VoucherUsed => "VOUCHER_USED",
    Conflict => "CONFLICT",
    FeatureDisabled => "FEATURE_DISABLED",
    DebtNotFound => "DEBT_NOT_FOUND",
    DebtAlreadyPaid => "DEBT_ALREADY_PAID",
    NoDebt => "NO_DEBT",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// Refusals that mean "sign in (again)": the caller may fall back to the refresh cookie.
    pub fn is_unauthenticated(self) -> bool {
        matches!(self, ErrorCode::AuthRequired | ErrorCode::AuthTokenExpired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_upper_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let t = c.as_str();
            assert!(seen.insert(t), "{t} twice");
            assert!(t.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{t}");
        }
    }
}
