//! The billing room's refusals in the envelope.

use actix_web::http::StatusCode;
use serde_json::json;

use super::refuse::rate_limited;
use super::{ApiError, ErrorCode};
use crate::billing::BillingError as B;

impl From<B> for ApiError {
    fn from(e: B) -> Self {
        match e {
            B::PackageNotFound | B::TransactionNotFound | B::BatchNotFound | B::NoQr => missing(e),
            B::VoucherInvalid(_) | B::VoucherUsed | B::Conflict(_) | B::Invalid { .. } => refused(e),
            B::RateLimited(after) => rate_limited(after, "too many attempts"),
            B::Account(a) => a.into(),
            B::Db(d) => d.into(),
            B::Kv(k) => k.into(),
            e => payment(e),
        }
    }
}

/// What is not there.
fn missing(e: B) -> ApiError {
    match e {
        B::PackageNotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::PackageNotFound,
            "Paket tidak ditemukan atau tidak dijual.",
            "No such package on sale.",
        ),
        B::TransactionNotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::TransactionNotFound,
            "Transaksi tidak ditemukan.",
            "No such transaction.",
        ),
        B::NoQr => ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "Pembayaran ini tidak memiliki kode QR.",
            "This payment has no QR code.",
        ),
        _ => ApiError::not_found(),
    }
}

/// Input refused: a voucher, a conflict, a field.
fn refused(e: B) -> ApiError {
    match e {
        B::VoucherInvalid(why) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::VoucherInvalid,
            "Kode voucher tidak valid.",
            "The voucher code is not valid.",
        )
        .with_details(json!({ "field": "code", "reason": why })),
        B::VoucherUsed => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::VoucherUsed,
            "Voucher ini sudah dipakai.",
            "This voucher has already been used.",
        ),
        B::Conflict(why) => ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "Permintaan ini bertentangan dengan data yang ada.",
            "This request conflicts with existing data.",
        )
        .with_details(json!({ "reason": why })),
        B::Invalid { field, reason } => ApiError::validation(&field, reason),
        e => {
            tracing::error!(error = %e, "a billing refusal without its answer");
            ApiError::internal()
        }
    }
}

/// Payments: the provider's word refused, payments off or unavailable, an account that may not
/// buy.
fn payment(e: B) -> ApiError {
    match e {
        B::SignatureInvalid => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::PaymentSignatureInvalid,
            "Tanda tangan notifikasi pembayaran tidak valid.",
            "The payment notification's signature is not valid.",
        ),
        B::AmountMismatch => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PaymentAmountMismatch,
            "Jumlah pembayaran tidak sesuai dengan pesanan.",
            "The payment amount does not match the order.",
        ),
        B::NotConfigured => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::PaymentGatewayUnavailable,
            "Pembayaran online belum diaktifkan; gunakan voucher atau bayar tunai ke admin.",
            "Online payment is not enabled; use a voucher or pay an admin in cash.",
        )
        .with_details(json!({ "reason": "not_configured" })),
        B::ProviderUnavailable(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::PaymentGatewayUnavailable,
            "Layanan pembayaran sedang tidak tersedia; coba lagi sebentar lagi.",
            "The payment service is unavailable; try again shortly.",
        )
        .with_retry_after(30),
        B::LinkInvalid => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Tautan pembayaran tidak valid atau sudah kedaluwarsa.",
            "The payment link is not valid or has expired.",
        ),
        B::DocumentsUnavailable(why) => {
            tracing::error!(reason = %why, "a document was asked for and cannot be written");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                "Dokumen belum dapat dibuat; hubungi admin.",
                "Documents cannot be made right now; tell an admin.",
            )
        }
        B::DocumentLinkInvalid => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "Tautan dokumen tidak valid atau sudah kedaluwarsa.",
            "The document link is not valid or has expired.",
        ),
        B::AccountNotAllowed(why) => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PurchaseNotAllowed,
            "Akun Anda belum dapat membeli paket.",
            "Your account cannot buy packages yet.",
        )
        .with_details(json!({ "reason": why })),
        e => {
            tracing::error!(error = %e, "a billing refusal without its answer");
            ApiError::internal()
        }
    }
}
