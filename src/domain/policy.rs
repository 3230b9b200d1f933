//! Access policy: which status a user is in, and what each status means on the router. One
//! [`RouterPolicy`] value, built once from the settings, serves sign-in and the quota sync, so
//! the two can never disagree about a user.

use chrono::{DateTime, Utc};

use super::{AccessStatus, GIB};

/// Default FUP threshold: above 3 GiB purchased, dropping below 3 GiB remaining means FUP.
pub const DEFAULT_FUP_THRESHOLD_BYTES: i64 = 3 * GIB;

/// The user facts the policy reads.
#[derive(Debug, Clone, Copy)]
pub struct UserFacts {
    pub approved: bool,
    pub is_active: bool,
    pub is_blocked: bool,
    pub is_unlimited: bool,
    pub purchased_bytes: i64,
    pub used_bytes: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Resolution order matters: a hard block beats everything, an unusable account beats quota,
/// expiry beats an unlimited flag (unlimited is about bytes, not time).
pub fn resolve_status(u: &UserFacts, now: DateTime<Utc>, fup_threshold: i64) -> AccessStatus {
    if u.is_blocked {
        return AccessStatus::Blocked;
    }
    if !u.is_active || !u.approved {
        return AccessStatus::Inactive;
    }
    if u.expires_at.is_some_and(|e| e <= now) {
        return AccessStatus::Expired;
    }
    if u.is_unlimited {
        return AccessStatus::Unlimited;
    }
    let remaining = u.purchased_bytes.saturating_sub(u.used_bytes);
    if remaining <= 0 {
        return AccessStatus::Habis;
    }
    if u.purchased_bytes > fup_threshold && remaining < fup_threshold {
        return AccessStatus::Fup;
    }
    AccessStatus::Active
}

/// Statuses whose devices skip the hotspot login page (MAC bypassed).
pub fn bypasses_login(s: AccessStatus) -> bool {
    matches!(s, AccessStatus::Active | AccessStatus::Fup | AccessStatus::Unlimited)
}

/// The ip-binding type of a device, in RouterOS's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BindingType {
    Regular,
    Bypassed,
    Blocked,
}

impl BindingType {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingType::Regular => "regular",
            BindingType::Bypassed => "bypassed",
            BindingType::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "regular" => Some(Self::Regular),
            "bypassed" => Some(Self::Bypassed),
            "blocked" => Some(Self::Blocked),
            _ => None,
        }
    }
}

/// The binding a status gets: bypassed for the statuses that skip the login page, blocked for a
/// hard block, regular (the login page decides) otherwise.
pub fn binding_for(s: AccessStatus) -> BindingType {
    match s {
        AccessStatus::Blocked => BindingType::Blocked,
        s if bypasses_login(s) => BindingType::Bypassed,
        _ => BindingType::Regular,
    }
}

/// One name per access status (address-list or hotspot user profile).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PerStatus {
    pub active: String,
    pub fup: String,
    pub habis: String,
    pub expired: String,
    pub blocked: String,
    pub inactive: String,
    pub unlimited: String,
}

impl PerStatus {
    /// The address-lists the backend manages unless told otherwise (`hs_<status>`; unlimited
    /// users share the active list).
    pub fn standard_lists() -> Self {
        PerStatus {
            active: "hs_active".into(),
            fup: "hs_fup".into(),
            habis: "hs_habis".into(),
            expired: "hs_expired".into(),
            blocked: "hs_blocked".into(),
            inactive: "hs_inactive".into(),
            unlimited: "hs_active".into(),
        }
    }

    /// Hotspot user profiles unless told otherwise: RouterOS's own `default` for active users,
    /// a profile named after the status for the others.
    pub fn standard_profiles() -> Self {
        PerStatus {
            active: "default".into(),
            fup: "fup".into(),
            habis: "habis".into(),
            expired: "expired".into(),
            blocked: "blocked".into(),
            inactive: "inactive".into(),
            unlimited: "unlimited".into(),
        }
    }

    pub fn get_mut(&mut self, s: AccessStatus) -> &mut String {
        match s {
            AccessStatus::Active => &mut self.active,
            AccessStatus::Fup => &mut self.fup,
            AccessStatus::Habis => &mut self.habis,
            AccessStatus::Expired => &mut self.expired,
            AccessStatus::Blocked => &mut self.blocked,
            AccessStatus::Inactive => &mut self.inactive,
            AccessStatus::Unlimited => &mut self.unlimited,
        }
    }

    pub fn get(&self, s: AccessStatus) -> &str {
        match s {
            AccessStatus::Active => &self.active,
            AccessStatus::Fup => &self.fup,
            AccessStatus::Habis => &self.habis,
            AccessStatus::Expired => &self.expired,
            AccessStatus::Blocked => &self.blocked,
            AccessStatus::Inactive => &self.inactive,
            AccessStatus::Unlimited => &self.unlimited,
        }
    }
}

/// What each status means on the router: the binding type, the address-list the device's IP
/// sits on, the hotspot user profile; and the FUP threshold that decides the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterPolicy {
    pub fup_threshold: i64,
    /// Unlimited users sit on the active list.
    pub lists: PerStatus,
    pub profiles: PerStatus,
}

impl RouterPolicy {
    pub fn status(&self, facts: &UserFacts, now: DateTime<Utc>) -> AccessStatus {
        resolve_status(facts, now, self.fup_threshold)
    }

    pub fn binding(&self, s: AccessStatus) -> BindingType {
        binding_for(s)
    }

    pub fn list(&self, s: AccessStatus) -> &str {
        self.lists.get(s)
    }

    pub fn profile(&self, s: AccessStatus) -> &str {
        self.profiles.get(s)
    }

    /// Every address-list the policy places IPs on (an IP is on at most one of them).
    pub fn managed_lists(&self) -> Vec<String> {
        let mut all: Vec<String> = AccessStatus::ALL.iter().map(|s| self.list(*s).to_owned()).collect();
        all.sort();
        all.dedup();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn facts() -> UserFacts {
        UserFacts {
            approved: true,
            is_active: true,
            is_blocked: false,
            is_unlimited: false,
            purchased_bytes: 10 * GIB,
            used_bytes: 0,
            expires_at: None,
        }
    }

    #[test]
    fn status_table() {
        let now = Utc::now();
        let t = DEFAULT_FUP_THRESHOLD_BYTES;
        let cases: Vec<(&str, UserFacts, AccessStatus)> = vec![
            ("fresh", facts(), AccessStatus::Active),
            ("blocked beats all", UserFacts { is_blocked: true, is_unlimited: true, ..facts() }, AccessStatus::Blocked),
            ("not approved", UserFacts { approved: false, ..facts() }, AccessStatus::Inactive),
            ("deactivated", UserFacts { is_active: false, ..facts() }, AccessStatus::Inactive),
            ("expired", UserFacts { expires_at: Some(now - Duration::seconds(1)), ..facts() }, AccessStatus::Expired),
            ("expires exactly now", UserFacts { expires_at: Some(now), ..facts() }, AccessStatus::Expired),
            (
                "not yet expired",
                UserFacts { expires_at: Some(now + Duration::days(1)), ..facts() },
                AccessStatus::Active,
            ),
            ("unlimited", UserFacts { is_unlimited: true, used_bytes: 99 * GIB, ..facts() }, AccessStatus::Unlimited),
            (
                "unlimited but expired",
                UserFacts { is_unlimited: true, expires_at: Some(now - Duration::days(1)), ..facts() },
                AccessStatus::Expired,
            ),
            ("used up", UserFacts { used_bytes: 10 * GIB, ..facts() }, AccessStatus::Habis),
            ("over-used", UserFacts { used_bytes: 11 * GIB, ..facts() }, AccessStatus::Habis),
            ("fup: below threshold remaining", UserFacts { used_bytes: 8 * GIB, ..facts() }, AccessStatus::Fup),
            ("at threshold remaining is not fup", UserFacts { used_bytes: 7 * GIB, ..facts() }, AccessStatus::Active),
            (
                "small plan never fup",
                UserFacts { purchased_bytes: 2 * GIB, used_bytes: GIB, ..facts() },
                AccessStatus::Active,
            ),
            (
                "plan exactly at threshold never fup",
                UserFacts { purchased_bytes: 3 * GIB, used_bytes: 2 * GIB, ..facts() },
                AccessStatus::Active,
            ),
            ("no quota at all", UserFacts { purchased_bytes: 0, ..facts() }, AccessStatus::Habis),
        ];
        for (name, f, want) in cases {
            assert_eq!(resolve_status(&f, now, t), want, "{name}");
        }
    }

    fn names(prefix: &str) -> PerStatus {
        PerStatus {
            active: format!("{prefix}active"),
            fup: format!("{prefix}fup"),
            habis: format!("{prefix}habis"),
            expired: format!("{prefix}expired"),
            blocked: format!("{prefix}blocked"),
            inactive: format!("{prefix}inactive"),
            unlimited: format!("{prefix}active"),
        }
    }

    #[test]
    fn router_meaning_of_statuses() {
        use AccessStatus::*;
        let p = RouterPolicy { fup_threshold: DEFAULT_FUP_THRESHOLD_BYTES, lists: names("hs_"), profiles: names("p_") };
        let cases = [
            (Active, BindingType::Bypassed, "hs_active", "p_active"),
            (Fup, BindingType::Bypassed, "hs_fup", "p_fup"),
            (Unlimited, BindingType::Bypassed, "hs_active", "p_active"),
            (Habis, BindingType::Regular, "hs_habis", "p_habis"),
            (Expired, BindingType::Regular, "hs_expired", "p_expired"),
            (Inactive, BindingType::Regular, "hs_inactive", "p_inactive"),
            (Blocked, BindingType::Blocked, "hs_blocked", "p_blocked"),
        ];
        for (s, binding, list, profile) in cases {
            assert_eq!(p.binding(s), binding, "{s}");
            assert_eq!(p.list(s), list, "{s}");
            assert_eq!(p.profile(s), profile, "{s}");
            assert_eq!(bypasses_login(s), binding == BindingType::Bypassed, "{s}");
        }
        assert_eq!(p.managed_lists().len(), 6, "unlimited shares the active list");
        for t in [BindingType::Regular, BindingType::Bypassed, BindingType::Blocked] {
            assert_eq!(BindingType::parse(t.as_str()), Some(t));
        }
    }
}
