//! What a user is told, as pure rules: the events, the key each is sent once under, whether it
//! is transactional (always sent, at once) or a reminder (opt-out, quiet hours, daily cap),
//! quota thresholds crossed, expiry warnings due, the end of the quiet hours.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::AccessStatus;

/// Days before expiry a warning goes out.
pub const EXPIRY_WARNING_DAYS: [i64; 3] = [7, 3, 1];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The user's access status changed; `cause` names the change (a sync run, an admin's
    /// action, an order) so each change is told once.
    Status {
        to: AccessStatus,
        cause: String,
        reason: Option<String>,
    },
    /// Remaining quota fell to `percent` % or below in the quota period `purchased` names.
    QuotaLow {
        percent: u8,
        purchased: i64,
    },
    /// The package ends in `days` days.
    ExpirySoon {
        days: u32,
        expires_at: DateTime<Utc>,
    },
    Approved,
    Rejected {
        reason: String,
        cause: String,
    },
    /// A sale's receipt (`purchase_receipt` or `voucher_receipt`).
    Receipt {
        template: String,
        reference: String,
        package: String,
        amount_idr: i64,
        quota: String,
    },
    /// An admin's bill: a package to pay by the payment shown (a VA number, a bill key, or the
    /// QR on the payment page the link opens).
    Bill {
        reference: String,
        package: String,
        amount_idr: i64,
        pay_with: String,
        link: String,
        due: String,
    },
    /// An operator event told to a subscribed admin (`alert_registration`,
    /// `alert_quota_request`): who it is about and what.
    Alert {
        template: String,
        subject: String,
        detail: String,
        cause: String,
    },
    /// An operator's broadcast (a reminder: quiet hours, the daily cap and opt-outs apply).
    Broadcast {
        broadcast: Uuid,
        message: String,
    },
    /// Quota on credit: a package lent (`debt_lent`), a settlement received (`debt_settled`,
    /// `debt_settled_unblock`), a due date near (`debt_due`, a reminder). `reference` names
    /// what it is about once (a debt, a receipt, a debt and its days left).
    Debt {
        template: String,
        reference: String,
        amount_idr: i64,
        detail: String,
        due: String,
    },
    /// A document sent by an admin: its title and the signed link that opens it.
    Document {
        title: String,
        link: String,
        reference: Uuid,
    },
    /// A komandan's request decided (`request_approved`, `request_partial`, `request_rejected`).
    RequestDecided {
        template: String,
        detail: String,
        reason: String,
        request: Uuid,
    },
}

impl Event {
    /// The (user, event, period) this message is sent once for.
    pub fn key(&self, user: Uuid) -> String {
        match self {
            Event::Status { to, cause, .. } => format!("status:{user}:{to}:{cause}"),
            Event::QuotaLow { percent, purchased } => format!("quota_low:{user}:{percent}:{purchased}"),
            Event::ExpirySoon { days, expires_at } => format!("expiry:{user}:{days}:{}", expires_at.timestamp()),
            Event::Approved => format!("approved:{user}"),
            Event::Rejected { cause, .. } => format!("rejected:{user}:{cause}"),
            Event::Receipt { reference, .. } => format!("receipt:{reference}"),
            Event::Bill { reference, .. } => format!("bill:{reference}"),
            Event::Alert { cause, .. } => format!("alert:{user}:{cause}"),
            Event::RequestDecided { request, .. } => format!("request:{request}"),
            Event::Debt { template, reference, .. } if template == "debt_due" => format!("debt_due:{user}:{reference}"),
            Event::Debt { reference, .. } => format!("debt:{user}:{reference}"),
            Event::Document { reference, .. } => format!("document:{user}:{reference}"),
            Event::Broadcast { broadcast, .. } => format!("broadcast:{broadcast}:{user}"),
        }
    }

    pub fn template(&self) -> &str {
        match self {
            Event::Status { to, .. } => match to {
                AccessStatus::Fup => "status_fup",
                AccessStatus::Habis => "status_habis",
                AccessStatus::Expired => "status_expired",
                AccessStatus::Blocked => "status_blocked",
                _ => "status_active",
            },
            Event::QuotaLow { .. } => "quota_low",
            Event::ExpirySoon { .. } => "expiry_soon",
            Event::Approved => "approved",
            Event::Rejected { .. } => "rejected",
            Event::Broadcast { .. } => "broadcast",
            Event::Bill { .. } => "bill",
            Event::Document { .. } => "document_link",
            Event::Receipt { template, .. }
            | Event::Alert { template, .. }
            | Event::Debt { template, .. }
            | Event::RequestDecided { template, .. } => template,
        }
    }

    /// Transactional: the answer to something the user or an admin did (approval, rejection,
    /// a receipt, a block, any status change an admin or a payment caused). Sent at once,
    /// whatever the hour, cap or opt-out. What the sync finds (quota low, used up, fair use,
    /// expired) and expiry warnings are reminders.
    pub fn transactional(&self) -> bool {
        match self {
            Event::Approved
            | Event::Rejected { .. }
            | Event::Receipt { .. }
            | Event::Bill { .. }
            | Event::Document { .. }
            | Event::Alert { .. }
            | Event::RequestDecided { .. } => true,
            Event::Status { to, cause, .. } => *to == AccessStatus::Blocked || !cause.starts_with(SYNC_CAUSE),
            Event::Debt { template, .. } => template != "debt_due",
            Event::QuotaLow { .. } | Event::ExpirySoon { .. } | Event::Broadcast { .. } => false,
        }
    }

    /// Whether a user with this status is told about it (inactive and the like are not news to
    /// anyone; unlimited and active both read as "active again").
    pub fn worth_telling(to: AccessStatus) -> bool {
        !matches!(to, AccessStatus::Inactive)
    }
}

/// How a status change the sync found names its cause (`run-{id}`).
pub const SYNC_CAUSE: &str = "run-";

/// Whether a sent message's key is a reminder's (the daily cap counts these).
pub fn is_reminder_key(key: &str) -> bool {
    key.starts_with("quota_low:")
        || key.starts_with("expiry:")
        || key.starts_with("broadcast:")
        || key.starts_with("debt_due:")
        || (key.starts_with("status:") && key.contains(&format!(":{SYNC_CAUSE}")) && !key.contains(":blocked:"))
}

/// The lowest threshold the remaining quota fell to in this charge: remaining before above
/// `p` %, remaining after at or below it. Integer arithmetic; none for nothing purchased.
pub fn threshold_crossed(purchased: i64, used_before: i64, used_after: i64, thresholds: &[u8]) -> Option<u8> {
    if purchased <= 0 || used_after <= used_before {
        return None;
    }
    let remaining = |used: i64| (purchased - used).max(0) as i128;
    let at_or_below = |used: i64, p: u8| remaining(used) * 100 <= i128::from(p) * purchased as i128;
    thresholds.iter().copied().filter(|p| !at_or_below(used_before, *p) && at_or_below(used_after, *p)).min()
}

/// Days left if an expiry warning is due today (local days), else none.
pub fn expiry_warning_due(expires_local: NaiveDate, today: NaiveDate) -> Option<u32> {
    let days = (expires_local - today).num_days();
    EXPIRY_WARNING_DAYS.contains(&days).then_some(days as u32)
}

/// Quiet hours `[start, end)` in local hours (may wrap midnight: 21–7). When `now` falls in
/// them, the local time they end; none otherwise (or when start == end: no quiet hours).
pub fn quiet_until(now: NaiveDateTime, start: u32, end: u32) -> Option<NaiveDateTime> {
    let h = now.hour();
    let quiet = if start < end {
        h >= start && h < end
    } else if start > end {
        h >= start || h < end
    } else {
        false
    };
    if !quiet {
        return None;
    }
    let day = if h >= end && start > end { now.date() + chrono::Duration::days(1) } else { now.date() };
    day.and_hms_opt(end, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_crossed_once_and_the_lowest_wins() {
        let g = 1_000;
        let cases = [
            // purchased, used before, after, crossed
            (g, 0, 700, None),
            (g, 700, 800, Some(20)), // 30% → 20%
            (g, 800, 850, None),     // 20% → 15%: already below 20
            (g, 850, 950, Some(5)),  // 15% → 5%
            (g, 950, 1_200, None),   // already at 5%
            (g, 700, 990, Some(5)),  // both in one charge: the lowest
            (g, 790, 790, None),     // no charge
            (0, 0, 10, None),        // nothing purchased
            (g, 799, 800, Some(20)), // exactly 20% counts
        ];
        for (p, b, a, want) in cases {
            assert_eq!(threshold_crossed(p, b, a, &[20, 5]), want, "{p} {b}→{a}");
        }
        assert_eq!(threshold_crossed(g, 0, 1_000, &[]), None);
    }

    #[test]
    fn expiry_warnings_fall_on_the_local_day() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let d = |n: i64| today + chrono::Duration::days(n);
        let got: Vec<Option<u32>> =
            [8, 7, 6, 3, 2, 1, 0, -1].iter().map(|n| expiry_warning_due(d(*n), today)).collect();
        assert_eq!(got, [None, Some(7), None, Some(3), None, Some(1), None, None]);
        // An expiry at 23:30 UTC on Jan 6 is Jan 7 in Makassar (UTC+8): 7 days from Dec 31 there.
        let utc = chrono::TimeZone::with_ymd_and_hms(&Utc, 2027, 1, 6, 23, 30, 0).unwrap();
        let local = utc.with_timezone(&chrono_tz::Asia::Makassar).date_naive();
        assert_eq!(expiry_warning_due(local, today), Some(7));
        assert_eq!(expiry_warning_due(utc.date_naive(), today), None, "the UTC day would be wrong");
    }

    #[test]
    fn quiet_hours_wait_until_morning() {
        let at = |d: u32, h: u32, m: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap().and_hms_opt(h, m, 0).unwrap();
        assert_eq!(quiet_until(at(3, 22, 15), 21, 7), Some(at(4, 7, 0)));
        assert_eq!(quiet_until(at(4, 3, 0), 21, 7), Some(at(4, 7, 0)));
        assert_eq!(quiet_until(at(4, 7, 0), 21, 7), None);
        assert_eq!(quiet_until(at(4, 20, 59), 21, 7), None);
        assert_eq!(quiet_until(at(4, 13, 0), 12, 14), Some(at(4, 14, 0)));
        assert_eq!(quiet_until(at(4, 3, 0), 0, 0), None, "no quiet hours");
    }

    #[test]
    fn keys_name_the_user_the_event_and_its_period() {
        let u = Uuid::nil();
        assert_eq!(Event::QuotaLow { percent: 20, purchased: 5 }.key(u), format!("quota_low:{u}:20:5"));
        assert_ne!(
            Event::QuotaLow { percent: 20, purchased: 5 }.key(u),
            Event::QuotaLow { percent: 20, purchased: 10 }.key(u),
            "a new purchase is a new period"
        );
        assert!(Event::Approved.transactional());
        assert!(!Event::QuotaLow { percent: 5, purchased: 1 }.transactional());
        let blocked = Event::Status { to: AccessStatus::Blocked, cause: "x".into(), reason: None };
        assert!(blocked.transactional());
        let found = Event::Status { to: AccessStatus::Habis, cause: "run-7".into(), reason: None };
        let bought = Event::Status { to: AccessStatus::Active, cause: "HS-1".into(), reason: None };
        assert!(!found.transactional() && bought.transactional());
        assert!(is_reminder_key(&found.key(u)) && !is_reminder_key(&bought.key(u)));
        assert!(is_reminder_key(&Event::QuotaLow { percent: 5, purchased: 1 }.key(u)));
        assert!(!is_reminder_key(&Event::Approved.key(u)));
        assert_eq!(blocked.template(), "status_blocked");
        let json = serde_json::to_value(&blocked).unwrap();
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), blocked);
    }
}
