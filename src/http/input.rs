//! `Input<T>`: one extractor for the captive and login endpoints. It accepts JSON and
//! form-encoded bodies (the frontend posts forms), merges the query string (captive redirects
//! carry hints there), folds the client-hint aliases onto their canonical names and deserializes
//! `T`, reporting the failing field in a 422.

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ApiError;

/// Alias → canonical name, for hints that captive portals and the frontend spell differently.
const ALIASES: &[(&str, &str)] = &[
    ("clientIp", "client_ip"),
    ("ip", "client_ip"),
    ("client-ip", "client_ip"),
    ("clientMac", "client_mac"),
    ("mac", "client_mac"),
    ("mac-address", "client_mac"),
    ("client-mac", "client_mac"),
];

/// The optional client hints.
const HINTS: &[&str] = &["client_ip", "client_mac"];

/// The body limit `Input` enforces, registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

pub struct Input<T>(pub T);

impl<T> std::ops::Deref for Input<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
}

impl<T: DeserializeOwned + 'static> FromRequest for Input<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().copied().unwrap_or(BodyLimit(64 * 1024)).0;
        let declared_len =
            req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let content_type =
            req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|s| s.to_ascii_lowercase());
        let query = req.query_string().to_owned();
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|n| n > limit) {
                return Err(ApiError::payload_too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| ApiError::malformed_body("the body could not be received"))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::payload_too_large());
                }
                body.extend_from_slice(&chunk);
            }
            let mut fields = parse_form(query.as_bytes()).unwrap_or_default();
            let body_is_blank = body.iter().all(u8::is_ascii_whitespace);
            if !body_is_blank {
                let kind = body_kind(content_type.as_deref(), &body)?;
                let parsed = match kind {
                    BodyKind::Json => parse_json_object(&body)?,
                    BodyKind::Form => {
                        parse_form(&body).ok_or_else(|| ApiError::malformed_body("invalid form encoding"))?
                    }
                };
                // The body wins over the query string.
                fields.extend(parsed);
            }
            let value = Value::Object(canonicalize(fields));
            let mut track = serde_path_to_error::Track::new();
            let de = serde_path_to_error::Deserializer::new(value, &mut track);
            match T::deserialize(de) {
                Ok(t) => Ok(Input(t)),
                Err(e) => {
                    let path = track.path().to_string();
                    let field = if path == "." || path.is_empty() { missing_field(&e.to_string()) } else { path };
                    Err(ApiError::validation(&field, e.to_string()))
                }
            }
        })
    }
}

fn body_kind(content_type: Option<&str>, body: &[u8]) -> Result<BodyKind, ApiError> {
    match content_type {
        Some(ct) if ct.starts_with("application/json") || ct.contains("+json") => Ok(BodyKind::Json),
        Some(ct) if ct.starts_with("application/x-www-form-urlencoded") => Ok(BodyKind::Form),
        // Some captive pages post without a content type: sniff. text/plain is refused: it is
        // what a cross-site page can send without asking.
        None | Some("") => {
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            Ok(if first == Some(&b'{') { BodyKind::Json } else { BodyKind::Form })
        }
        Some(_) => Err(ApiError::unsupported_media_type()),
    }
}

fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::malformed_body("the JSON body must be an object")),
        Err(e) => Err(ApiError::malformed_body(format!("invalid JSON at line {} column {}", e.line(), e.column()))),
    }
}

fn parse_form(bytes: &[u8]) -> Option<Map<String, Value>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    Some(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
}

/// Folds aliases onto canonical names; an explicit canonical key wins over an alias.
fn canonicalize(mut fields: Map<String, Value>) -> Map<String, Value> {
    for (alias, canonical) in ALIASES {
        if let Some(v) = fields.remove(*alias) {
            fields.entry(canonical.to_string()).or_insert(v);
        }
    }
    // An empty hint means "not given" (captive pages send every input of their form); any other
    // empty field stays, so it is reported as empty rather than missing. Null is "not given".
    fields.retain(|k, v| {
        let blank_hint = HINTS.contains(&k.as_str()) && matches!(v, Value::String(s) if s.trim().is_empty());
        !blank_hint && !v.is_null()
    });
    fields
}

/// serde reports a missing field only in its message: "missing field `phone_number`".
fn missing_field(message: &str) -> String {
    message.split('`').nth(1).filter(|_| message.starts_with("missing field")).unwrap_or("body").to_owned()
}

/// A page request, checked: page from 1, a bounded page size.
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn new(page: Option<i64>, per_page: Option<i64>, max: i64) -> Result<Self, super::error::ApiError> {
        let page = page.unwrap_or(1);
        if !(1..=1_000_000).contains(&page) {
            return Err(super::error::ApiError::validation("page", "1 or more"));
        }
        let per_page = per_page.unwrap_or(20);
        if !(1..=max).contains(&per_page) {
            return Err(super::error::ApiError::validation("per_page", format!("1 to {max}")));
        }
        Ok(Self { page, per_page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_fold_and_canonical_wins() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("clientIp=1.2.3.4", "client_ip", Some("1.2.3.4")),
            ("ip=1.2.3.4", "client_ip", Some("1.2.3.4")),
            ("client-ip=1.2.3.4", "client_ip", Some("1.2.3.4")),
            ("clientMac=aa", "client_mac", Some("aa")),
            ("mac=aa", "client_mac", Some("aa")),
            ("mac-address=aa", "client_mac", Some("aa")),
            ("client-mac=aa", "client_mac", Some("aa")),
            ("client_ip=9.9.9.9&ip=1.2.3.4", "client_ip", Some("9.9.9.9")),
            ("client_ip=", "client_ip", None),
        ];
        for (form, key, want) in cases {
            let m = canonicalize(parse_form(form.as_bytes()).unwrap());
            assert_eq!(m.get(*key).and_then(|v| v.as_str()), *want, "{form}");
        }
    }

    #[test]
    fn body_kinds() {
        assert_eq!(body_kind(Some("application/json; charset=utf-8"), b"{}").unwrap(), BodyKind::Json);
        assert_eq!(body_kind(Some("application/x-www-form-urlencoded"), b"a=b").unwrap(), BodyKind::Form);
        assert_eq!(body_kind(None, b" {\"a\":1}").unwrap(), BodyKind::Json);
        assert_eq!(body_kind(None, b"a=b").unwrap(), BodyKind::Form);
        assert_eq!(
            body_kind(Some("multipart/form-data; boundary=x"), b"--x").unwrap_err().code,
            crate::http::error::ErrorCode::UnsupportedMediaType
        );
    }

    #[test]
    fn missing_field_names() {
        assert_eq!(missing_field("missing field `phone_number`"), "phone_number");
        assert_eq!(missing_field("invalid type: integer"), "body");
    }
}
