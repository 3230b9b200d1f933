//! Ids in the path, parsed once by the extractor: a handler takes `PathId<UserPath>` and gets a
//! `Uuid`, never a string to parse. A malformed id is refused in the envelope as its kind says
//! (422 naming the field, or 404 where the id names a thing to find). Ids in a body or a query
//! go through [`uuid_field`].

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::error::ApiError;

/// What an id in the path is and how a malformed one is refused.
pub trait IdKind: 'static {
    type Value;
    fn parse(raw: &str) -> Result<Self::Value, ApiError>;
}

/// The path's one parameter, parsed as `K` says.
pub struct PathId<K: IdKind>(pub K::Value);

impl<K: IdKind> PathId<K> {
    pub fn into_inner(self) -> K::Value {
        self.0
    }
}

impl<K: IdKind> FromRequest for PathId<K> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let raw = web::Path::<String>::from_request(req, payload);
        Box::pin(async move {
            let raw = raw.await.map_err(|_| ApiError::not_found())?;
            K::parse(raw.as_str()).map(PathId)
        })
    }
}

fn uuid(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw.trim()).ok()
}

/// An id in a body or a query: 422 naming `field` and what it should be when malformed.
pub fn uuid_field(field: &str, raw: &str, what: &str) -> Result<Uuid, ApiError> {
    uuid(raw).ok_or_else(|| ApiError::validation(field, what))
}

/// A user's id: 422 `id` when malformed.
pub enum UserPath {}

impl IdKind for UserPath {
    type Value = Uuid;
    fn parse(raw: &str) -> Result<Uuid, ApiError> {
        uuid(raw).ok_or_else(|| ApiError::validation("id", "a user id"))
    }
}

/// A package's id: 422 `id` when malformed.
pub enum PackagePath {}

impl IdKind for PackagePath {
    type Value = Uuid;
    fn parse(raw: &str) -> Result<Uuid, ApiError> {
        uuid(raw).ok_or_else(|| ApiError::validation("id", "a package id"))
    }
}

/// A voucher batch's id: 404 when malformed (no such batch).
pub enum BatchPath {}

impl IdKind for BatchPath {
    type Value = Uuid;
    fn parse(raw: &str) -> Result<Uuid, ApiError> {
        uuid(raw).ok_or_else(ApiError::not_found)
    }
}

/// A record of the console's own (a submission, a request, a promo): 404 when malformed.
pub enum RecordPath {}

impl IdKind for RecordPath {
    type Value = Uuid;
    fn parse(raw: &str) -> Result<Uuid, ApiError> {
        uuid(raw).ok_or_else(ApiError::not_found)
    }
}

/// A device's id in the admin's console: a positive integer, 422 `id` otherwise.
pub enum DevicePath {}

impl IdKind for DevicePath {
    type Value = i64;
    fn parse(raw: &str) -> Result<i64, ApiError> {
        raw.parse().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::validation("id", "a device id"))
    }
}

/// A site's id: a positive integer; anything else names no site (404).
pub enum SitePath {}

impl IdKind for SitePath {
    type Value = i32;
    fn parse(raw: &str) -> Result<i32, ApiError> {
        raw.parse().ok().filter(|n| *n > 0).ok_or_else(ApiError::not_found)
    }
}

/// One of the caller's own devices: 404 when malformed (no such device of theirs).
pub enum OwnDevicePath {}

impl IdKind for OwnDevicePath {
    type Value = i64;
    fn parse(raw: &str) -> Result<i64, ApiError> {
        raw.parse().ok().ok_or_else(ApiError::not_found)
    }
}

/// An order id: at most 50 letters, digits or `-_.~` (what Midtrans allows); anything else
/// names no transaction (404), whatever bytes it carries.
pub enum OrderPath {}

impl IdKind for OrderPath {
    type Value = String;
    fn parse(raw: &str) -> Result<String, ApiError> {
        let ok = !raw.is_empty()
            && raw.len() <= 50
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        if ok { Ok(raw.to_owned()) } else { Err(crate::billing::BillingError::TransactionNotFound.into()) }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;

    use super::*;

    #[test]
    fn each_kind_refuses_as_it_says() {
        let id = "8c6bd6a2-4f6c-4a86-9a1b-2f0c8e4e7a11";
        assert_eq!(UserPath::parse(id).ok(), Uuid::parse_str(id).ok());
        assert_eq!(UserPath::parse("nope").err().map(|e| e.status), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(PackagePath::parse("1").err().map(|e| e.status), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(BatchPath::parse("x.csv").err().map(|e| e.status), Some(StatusCode::NOT_FOUND));
        assert_eq!(DevicePath::parse("7").ok(), Some(7));
        for bad in ["0", "-3", "x", "99999999999999999999"] {
            assert_eq!(DevicePath::parse(bad).err().map(|e| e.status), Some(StatusCode::UNPROCESSABLE_ENTITY), "{bad}");
        }
        assert_eq!(OwnDevicePath::parse("x").err().map(|e| e.status), Some(StatusCode::NOT_FOUND));
        assert_eq!(OrderPath::parse("HS-0A1B_2.c~").ok().as_deref(), Some("HS-0A1B_2.c~"));
        for bad in ["", "HS-\0X", "HS 1", "HS/1", &"A".repeat(51), "HS-é"] {
            assert_eq!(OrderPath::parse(bad).err().map(|e| e.status), Some(StatusCode::NOT_FOUND), "{bad:?}");
        }
        assert_eq!(
            uuid_field("actor", " nope ", "a user id").err().map(|e| e.status),
            Some(StatusCode::UNPROCESSABLE_ENTITY)
        );
    }
}
