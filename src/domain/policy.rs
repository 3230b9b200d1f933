//! Access policy: which status a user is in, and what each status means on the router.

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

/// The ip-binding type a status gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Regular,
    Bypassed,
    Blocked,
}

pub fn binding_kind(s: AccessStatus) -> BindingKind {
    match s {
        AccessStatus::Blocked => BindingKind::Blocked,
        s if bypasses_login(s) => BindingKind::Bypassed,
        _ => BindingKind::Regular,
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

    #[test]
    fn router_meaning_of_statuses() {
        use AccessStatus::*;
        let cases = [
            (Active, BindingKind::Bypassed),
            (Fup, BindingKind::Bypassed),
            (Unlimited, BindingKind::Bypassed),
            (Habis, BindingKind::Regular),
            (Expired, BindingKind::Regular),
            (Inactive, BindingKind::Regular),
            (Blocked, BindingKind::Blocked),
        ];
        for (s, k) in cases {
            assert_eq!(binding_kind(s), k, "{s}");
        }
    }
}
