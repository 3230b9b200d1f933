//! The public database-update form: a resident states their name, role and room; an admin
//! decides later. Open only while the operator says so, and limited per address, so the form
//! cannot be used to fill the table or to learn who holds an account (its status answer speaks
//! of submissions only).

use super::{Captive, CaptiveError};
use crate::accounts::submissions::{self, Stated};
use crate::domain::{ClientIp, Msisdn, SubmissionStatus};

/// What the form's status check tells: nothing filed, waiting, or taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormStatus {
    None,
    Reviewing,
    Approved,
}

impl FormStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FormStatus::None => "none",
            FormStatus::Reviewing => "reviewing",
            FormStatus::Approved => "approved",
        }
    }
}

impl Captive {
    /// Files (or replaces the number's pending) submission. At most 10 per client address per
    /// hour off the hotspot, 60 on it (a venue shares one address).
    pub async fn submit_update(&self, s: Stated, client: Option<&ClientIp>) -> Result<(), CaptiveError> {
        if !self.runtime.get().update_form_open {
            return Err(CaptiveError::FeatureOff("the update form"));
        }
        self.form_limit("update-form", client, 10, 60).await?;
        self.db.run(move |conn| submissions::submit(conn, &s)).await?;
        Ok(())
    }

    /// Where the number's latest submission stands (never whether the number holds an account).
    pub async fn update_status(&self, phone: Msisdn, client: Option<&ClientIp>) -> Result<FormStatus, CaptiveError> {
        if !self.runtime.get().update_form_open {
            return Err(CaptiveError::FeatureOff("the update form"));
        }
        self.form_limit("update-status", client, 30, 300).await?;
        let latest = self.db.run(move |conn| submissions::latest_status(conn, &phone)).await?;
        Ok(match latest {
            Some(SubmissionStatus::Pending) => FormStatus::Reviewing,
            Some(SubmissionStatus::Approved) => FormStatus::Approved,
            Some(SubmissionStatus::Rejected) | None => FormStatus::None,
        })
    }

    async fn form_limit(
        &self,
        kind: &'static str,
        client: Option<&ClientIp>,
        off_hotspot: u32,
        on_hotspot: u32,
    ) -> Result<(), CaptiveError> {
        let Some(ip) = client else { return Err(CaptiveError::ClientIpUnknown) };
        let max = if self.on_hotspot(ip).await { on_hotspot } else { off_hotspot };
        self.limit(kind, &ip.as_text(), max, 3_600).await
    }
}
