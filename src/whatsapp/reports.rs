//! The providers' words for delivery states, read as ours: a relay's signed webhook and
//! Fonnte's status callback.

use crate::domain::MessageStatus;

/// A relay's words for delivery states (the signed webhook) → ours.
pub fn relay_word(status: &str) -> Option<MessageStatus> {
    match status.to_ascii_lowercase().as_str() {
        "sent" | "server_ack" | "pending" => Some(MessageStatus::Sent),
        "delivered" | "delivery_ack" => Some(MessageStatus::Delivered),
        "read" | "played" => Some(MessageStatus::Read),
        "failed" | "error" | "invalid" | "expired" => Some(MessageStatus::Failed),
        _ => None,
    }
}

/// Fonnte's status callback (its device setting `webhookstatus`): JSON `{device, id, stateid?,
/// status?, state?}`; `state` (delivered, read) when the recipient's phone reports, `status`
/// (sent, invalid, expired, …) when Fonnte does.
#[derive(serde::Deserialize)]
pub struct FonnteStatus {
    pub id: serde_json::Value,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// Fonnte's words → ours; `None` for a word that moves nothing (pending, processing).
pub fn fonnte_word(r: &FonnteStatus) -> Option<MessageStatus> {
    let state = r.state.as_deref().map(str::to_ascii_lowercase);
    match state.as_deref() {
        Some("delivered") => return Some(MessageStatus::Delivered),
        Some("read") => return Some(MessageStatus::Read),
        _ => {}
    }
    match r.status.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("sent") => Some(MessageStatus::Sent),
        Some("invalid" | "expired" | "failed" | "url unreachable") => Some(MessageStatus::Failed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonntes_words() {
        let r = |status: Option<&str>, state: Option<&str>| FonnteStatus {
            id: serde_json::json!(1),
            status: status.map(str::to_owned),
            state: state.map(str::to_owned),
        };
        let cases = [
            (r(Some("sent"), None), Some(MessageStatus::Sent)),
            (r(Some("sent"), Some("delivered")), Some(MessageStatus::Delivered)),
            (r(None, Some("read")), Some(MessageStatus::Read)),
            (r(Some("invalid"), None), Some(MessageStatus::Failed)),
            (r(Some("expired"), None), Some(MessageStatus::Failed)),
            (r(Some("pending"), None), None),
            (r(Some("processing"), None), None),
            (r(None, None), None),
        ];
        for (report, want) in cases {
            assert_eq!(fonnte_word(&report), want, "{:?} {:?}", report.status, report.state);
        }
    }
}
