//! The console's fixed sets: database-update submissions, promotions, komandan requests and the
//! admins' alerts (stored as the existing frontend spells them, upper case).

use super::status::text_enum;

text_enum!(
    /// Where a database-update submission stands.
    SubmissionStatus { Pending => "PENDING", Approved => "APPROVED", Rejected => "REJECTED" }
);

text_enum!(
    /// Who a resident says they are on the update form: a user (with a block and room), a
    /// komandan, or tamping staff (a user with a duty, no room).
    SubmissionRole { User => "USER", Komandan => "KOMANDAN", Tamping => "TAMPING" }
);

text_enum!(
    /// What a promotion is: a registration bonus, or an announcement.
    PromoKind { Bonus => "BONUS_REGISTRATION", Announcement => "GENERAL_ANNOUNCEMENT" }
);

text_enum!(
    /// Where a promotion stands (set by the operator; it shows while `ACTIVE` and in its dates).
    PromoStatus { Draft => "DRAFT", Active => "ACTIVE", Scheduled => "SCHEDULED", Expired => "EXPIRED", Archived => "ARCHIVED" }
);

text_enum!(
    /// What a komandan asks for.
    RequestKind { Quota => "QUOTA", Unlimited => "UNLIMITED" }
);

text_enum!(
    /// Where a komandan's request stands.
    RequestStatus {
        Pending => "PENDING",
        Approved => "APPROVED",
        Rejected => "REJECTED",
        Partial => "PARTIALLY_APPROVED",
    }
);

text_enum!(
    /// The operator events admins may subscribe to.
    AlertEvent {
        NewRegistration => "NEW_USER_REGISTRATION",
        QuotaRequest => "NEW_KOMANDAN_REQUEST",
        DebtLimit => "QUOTA_DEBT_LIMIT_EXCEEDED",
        RouterDown => "ROUTER_DOWN",
        GatewayDown => "GATEWAY_DOWN",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_kinds_round_trip_in_any_case() {
        for s in SubmissionStatus::ALL {
            assert_eq!(s.as_str().to_lowercase().parse::<SubmissionStatus>().ok(), Some(*s));
        }
        for r in SubmissionRole::ALL {
            assert_eq!(r.as_str().parse::<SubmissionRole>().ok(), Some(*r));
        }
        assert!("KLIEN".parse::<SubmissionRole>().is_err());
    }
}
