//! The console's fixed sets: database-update submissions (stored as the existing frontend
//! spells them, upper case).

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
