//! RADIUS, as FreeRADIUS's `rest` module hands it over: the request's attributes as JSON
//! (`{"User-Name": {"type": "string", "value": ["AA:…"]}, …}`), parsed into what the backend
//! decides on; and the answer a decision makes (reply attributes by name, or a reject with the
//! reason the router shows).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::ip::ClientIp;
use super::mac::MacAddress;
use super::policy::{RouterPolicy, UserFacts};
use super::status::{AccessStatus, text_enum};

text_enum!(
    /// How a site's router lets phones in: the API (bindings written by the backend), RADIUS
    /// (the router asks at login and reports usage), or both (RADIUS for sessions, the API for
    /// repair and the walled garden).
    SiteMode { Api => "api", Radius => "radius", Both => "both" }
);

impl SiteMode {
    /// Whether the router reports usage over RADIUS accounting (the sync then charges nothing
    /// from its host table: a byte is charged once, by one of the two).
    pub fn radius(self) -> bool {
        matches!(self, SiteMode::Radius | SiteMode::Both)
    }
}

/// One attribute as the rest module sends it: its dictionary type and its values.
#[derive(Debug, Clone, Deserialize)]
pub struct RestAttr {
    #[serde(default)]
    pub value: Vec<serde_json::Value>,
}

/// A request's attributes by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct RestAttrs(pub HashMap<String, RestAttr>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RadiusError {
    #[error("attribute {0} is missing")]
    Missing(&'static str),
    #[error("attribute {0} is malformed")]
    Malformed(&'static str),
    #[error("not a MAC login: the user name is not the phone's own MAC")]
    NotMacLogin,
}

impl RestAttrs {
    fn first(&self, name: &str) -> Option<&serde_json::Value> {
        self.0.get(name).and_then(|a| a.value.first())
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.first(name).and_then(|v| v.as_str())
    }

    /// A counter: a number, or its text (`raw_value` off sends named values as text).
    fn count(&self, name: &'static str) -> Result<u64, RadiusError> {
        match self.first(name) {
            None => Ok(0),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .filter(|n| *n <= u64::from(u32::MAX))
                .ok_or(RadiusError::Malformed(name)),
        }
    }

    /// The phone that reports: Calling-Station-Id is the MAC the router sees the phone with
    /// (User-Name may be anything a login typed).
    pub fn mac(&self) -> Result<MacAddress, RadiusError> {
        let raw = self.text("Calling-Station-Id").or_else(|| self.text("User-Name"));
        let raw = raw.ok_or(RadiusError::Missing("Calling-Station-Id"))?;
        MacAddress::parse(raw).map_err(|_| RadiusError::Malformed("Calling-Station-Id"))
    }

    /// The phone of a MAC login: the user name is the MAC the router sees the phone with, and
    /// no password was typed. A login page where someone types another phone's MAC (an
    /// http-chap or http-pap login) never passes as that phone.
    pub fn login_mac(&self) -> Result<MacAddress, RadiusError> {
        let seen =
            MacAddress::parse(self.text("Calling-Station-Id").ok_or(RadiusError::Missing("Calling-Station-Id"))?)
                .map_err(|_| RadiusError::Malformed("Calling-Station-Id"))?;
        let named = MacAddress::parse(self.text("User-Name").ok_or(RadiusError::Missing("User-Name"))?)
            .map_err(|_| RadiusError::Malformed("User-Name"))?;
        if named != seen || self.0.contains_key("CHAP-Password") {
            return Err(RadiusError::NotMacLogin);
        }
        Ok(seen)
    }

    pub fn framed_ip(&self) -> Result<Option<ClientIp>, RadiusError> {
        match self.text("Framed-IP-Address") {
            None => Ok(None),
            Some(s) => ClientIp::parse(s).map(Some).map_err(|_| RadiusError::Malformed("Framed-IP-Address")),
        }
    }

    pub fn session(&self) -> Result<SessionId, RadiusError> {
        let raw = self.text("Acct-Session-Id").ok_or(RadiusError::Missing("Acct-Session-Id"))?;
        SessionId::parse(raw).ok_or(RadiusError::Malformed("Acct-Session-Id"))
    }

    /// Octets with their Gigawords (bits 32 to 63) for counters past 4 GiB (Gigawords past
    /// [`MAX_SESSION_BYTES`] are refused as the report's total is).
    fn octets(&self, low: &'static str, high: &'static str) -> Result<u64, RadiusError> {
        Ok((self.count(high)? << 32) | self.count(low)?)
    }

    /// An accounting report, parsed whole or refused.
    pub fn report(&self) -> Result<Report, RadiusError> {
        let kind = match self.first("Acct-Status-Type") {
            None => return Err(RadiusError::Missing("Acct-Status-Type")),
            Some(v) => AcctKind::from_value(v).ok_or(RadiusError::Malformed("Acct-Status-Type"))?,
        };
        if matches!(kind, AcctKind::On | AcctKind::Off) {
            // The router (re)started or stops accounting: every session it had is over.
            return Ok(Report { kind, session: None, mac: None, ip: None, total: 0 });
        }
        let total = self
            .octets("Acct-Input-Octets", "Acct-Input-Gigawords")?
            .checked_add(self.octets("Acct-Output-Octets", "Acct-Output-Gigawords")?)
            .filter(|t| *t <= MAX_SESSION_BYTES)
            .ok_or(RadiusError::Malformed("Acct-Input-Gigawords"))?;
        Ok(Report { kind, session: Some(self.session()?), mac: Some(self.mac()?), ip: self.framed_ip()?, total })
    }
}

/// More than one session can move: a PiB (a 10 Gbit/s line for nine days). A report past it is
/// malformed, not charged.
pub const MAX_SESSION_BYTES: u64 = 1 << 50;

/// A router's accounting session id: printable ASCII, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an accounting report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctKind {
    Start,
    Interim,
    Stop,
    On,
    Off,
}

impl AcctKind {
    fn from_value(v: &serde_json::Value) -> Option<Self> {
        let n = v.as_u64().or_else(|| match v.as_str()? {
            "Start" => Some(1),
            "Stop" => Some(2),
            "Interim-Update" | "Alive" => Some(3),
            "Accounting-On" => Some(7),
            "Accounting-Off" => Some(8),
            _ => None,
        })?;
        Some(match n {
            1 => Self::Start,
            2 => Self::Stop,
            3 => Self::Interim,
            7 => Self::On,
            8 => Self::Off,
            _ => return None,
        })
    }
}

/// An accounting report: the session's running total (both directions, Gigawords included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: AcctKind,
    pub session: Option<SessionId>,
    pub mac: Option<MacAddress>,
    pub ip: Option<ClientIp>,
    pub total: u64,
}

/// What the backend answers a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Accept(Grant),
    Reject(RejectReason),
}

/// An Accept's reply: the hotspot user profile and address list of the user's status, the
/// seconds left to the quota's expiry, the bytes left before the status changes (the router
/// ends the session there, so the next login gets the next status's reply), how often to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub status: AccessStatus,
    pub group: String,
    pub address_list: String,
    pub session_timeout: Option<u32>,
    pub bytes_left: Option<u64>,
    pub interim_secs: u32,
}

text_enum!(
    /// Why a login is refused (the Reply-Message the router's login page shows says it).
    RejectReason {
        Unknown => "unknown_device",
        Blocked => "blocked",
        Expired => "expired",
        Habis => "habis",
        Inactive => "inactive",
    }
);

impl RejectReason {
    /// The Reply-Message, in the operators' language (the router's page shows it as is).
    pub fn message(self) -> &'static str {
        match self {
            Self::Unknown => "Perangkat belum terdaftar. Silakan masuk dengan nomor WhatsApp Anda.",
            Self::Blocked => "Akun Anda diblokir. Hubungi admin.",
            Self::Expired => "Masa aktif kuota Anda sudah habis. Silakan beli paket.",
            Self::Habis => "Kuota Anda sudah habis. Silakan beli paket.",
            Self::Inactive => "Akun Anda belum aktif atau belum disetujui.",
        }
    }
}

/// The one policy decides: the same status the API mode would put the device's binding at.
/// `None` facts: the MAC is no authorized device of any account.
pub fn decide(facts: Option<&UserFacts>, policy: &RouterPolicy, now: DateTime<Utc>, interim_secs: u32) -> Decision {
    let Some(f) = facts else { return Decision::Reject(RejectReason::Unknown) };
    let status = policy.status(f, now);
    let reason = match status {
        AccessStatus::Blocked => Some(RejectReason::Blocked),
        AccessStatus::Expired => Some(RejectReason::Expired),
        AccessStatus::Habis => Some(RejectReason::Habis),
        AccessStatus::Inactive => Some(RejectReason::Inactive),
        AccessStatus::Active | AccessStatus::Fup | AccessStatus::Unlimited => None,
    };
    if let Some(r) = reason {
        return Decision::Reject(r);
    }
    let session_timeout = f.expires_at.map(|e| u32::try_from((e - now).num_seconds().max(1)).unwrap_or(u32::MAX));
    let remaining = f.purchased_bytes.saturating_sub(f.used_bytes).max(0) as u64;
    let bytes_left = match status {
        AccessStatus::Unlimited => None,
        // Active until the fair-use line, then the rest at the slow rate.
        AccessStatus::Active if f.purchased_bytes > policy.fup_threshold => {
            // Fair use starts once less than the threshold remains.
            Some(remaining.saturating_sub(policy.fup_threshold.max(0) as u64) + 1)
        }
        _ => Some(remaining),
    };
    Decision::Accept(Grant {
        status,
        group: policy.profile(status).to_owned(),
        address_list: policy.list(status).to_owned(),
        session_timeout,
        bytes_left,
        interim_secs,
    })
}

#[cfg(test)]
mod tests;
