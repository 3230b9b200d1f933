//! Quota on credit's rules, as the operator sets them (runtime settings) and the worker applies
//! them: use beyond the quota past the limit, an open debt past its due date, or the month's last
//! evening with a debt due block the account (a debt rule's block, `block_cause = debt`); the
//! block is lifted as soon as no rule holds. Each block and lift is one audited change of the
//! user, decided again under the user's row lock (a payment racing the rule wins). Open debts are
//! reminded before they fall due.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::lifecycle::Step;
use super::{Actor, Admin, AdminError};
use crate::accounts::write;
use crate::config::RuntimeSettings;
use crate::db::models::User;
use crate::db::schema::{quota_debts, users};
use crate::domain::{AlertEvent, ApprovalStatus, AuditAction, BlockCause, MIB, Role};
use crate::notify::Event;

/// Days before its due date an open debt is reminded.
pub const DUE_REMINDER_DAYS: [i64; 2] = [3, 1];

/// The rules in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Use beyond the quota that blocks (none: no limit).
    pub limit_bytes: Option<i64>,
    pub overdue: bool,
    /// From this local hour on a month's last day (none: never).
    pub month_end_hour: Option<u32>,
}

impl Rules {
    pub fn of(r: &RuntimeSettings) -> Self {
        Rules {
            limit_bytes: (r.debt_limit_mb > 0).then(|| r.debt_limit_mb.saturating_mul(MIB)),
            overdue: r.overdue_debt_block,
            month_end_hour: (r.debt_eom_block_hour < 24).then_some(r.debt_eom_block_hour),
        }
    }
}

/// Which rule blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Limit,
    Overdue,
    MonthEnd,
}

impl Rule {
    /// The block's reason, as the user reads it.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::Limit => "Tunggakan kuota melewati batas",
            Rule::Overdue => "Tunggakan kuota lewat jatuh tempo",
            Rule::MonthEnd => "Tunggakan kuota belum lunas di akhir bulan",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Rule::Limit => "limit",
            Rule::Overdue => "overdue",
            Rule::MonthEnd => "month_end",
        }
    }
}

/// The first rule that holds for a user who has used `overage` bytes beyond their quota and
/// whose oldest open debt falls due on `due`, at local time `now`.
pub fn holds(rules: &Rules, overage: i64, due: Option<NaiveDate>, now: NaiveDateTime) -> Option<Rule> {
    let today = now.date();
    if rules.limit_bytes.is_some_and(|l| overage > 0 && overage >= l) {
        return Some(Rule::Limit);
    }
    if rules.overdue && due.is_some_and(|d| d < today) {
        return Some(Rule::Overdue);
    }
    let last_day = today.succ_opt().is_some_and(|t| t.day() == 1);
    let evening = rules.month_end_hour.is_some_and(|h| now.hour() >= h);
    if last_day && evening && due.is_some_and(|d| d <= today) {
        return Some(Rule::MonthEnd);
    }
    None
}

/// What one application of the rules did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesRun {
    pub blocked: usize,
    pub lifted: usize,
    pub reminded: usize,
}

/// The oldest due date among a user's open debts.
fn oldest_due(conn: &mut PgConnection, user: Uuid) -> Result<Option<NaiveDate>, diesel::result::Error> {
    quota_debts::table
        .filter(quota_debts::user_id.eq(user))
        .filter(quota_debts::paid_at.is_null())
        .select(diesel::dsl::min(quota_debts::due_date))
        .first(conn)
}

impl Admin {
    /// Applies the rules at `now`: blocks where a rule holds, lifts a debt rule's block where
    /// none does, reminds debts falling due.
    pub async fn apply_debt_rules(&self, now: DateTime<Utc>) -> Result<RulesRun, AdminError> {
        let rules = Rules::of(&self.runtime.get());
        let local = now.with_timezone(&self.settings.timezone).naive_local();
        let limit = rules.limit_bytes.unwrap_or(i64::MAX);
        // Who might owe or be held: users owing past the limit or with open debts, and those a
        // debt rule blocked. Each is decided again under its lock.
        let candidates: Vec<Uuid> = self
            .db
            .run(move |c| {
                let over = users::is_unlimited_user
                    .eq(false)
                    .and((users::quota_used_bytes - users::quota_purchased_bytes).ge(limit));
                let free = users::is_blocked.eq(false).and(over.or(users::manual_debt_items.gt(0)));
                Ok(users::table
                    .filter(users::role.eq(Role::User))
                    .filter(users::approval_status.eq(ApprovalStatus::Approved))
                    .filter(free.or(users::block_cause.eq(BlockCause::Debt).and(users::is_blocked.eq(true))))
                    .select(users::id)
                    .load(c)?)
            })
            .await?;
        let actor = Actor::job("debt-rules");
        let mut run = RulesRun::default();
        for id in candidates {
            let step = self.rule_step(rules, local);
            let c = Self::done(self.change(&actor, id, AuditAction::DebtBlock, true, step).await?);
            match (c.changed, c.user.is_blocked) {
                (false, _) => {}
                (true, true) => {
                    run.blocked += 1;
                    if holds(&rules, c.user.quota_overage_bytes(), None, local) == Some(Rule::Limit) {
                        self.limit_alert(&c.user).await;
                    }
                }
                (true, false) => run.lifted += 1,
            }
        }
        run.reminded = self.remind_due(local.date()).await?;
        Ok(run)
    }

    /// The locked decision for one user: block, lift, or nothing.
    fn rule_step(&self, rules: Rules, local: NaiveDateTime) -> Step {
        Box::new(move |tx, u: &User| {
            let rule = holds(&rules, u.quota_overage_bytes(), oldest_due(tx, u.id)?, local);
            let held = u.is_blocked && u.block_cause == Some(BlockCause::Debt);
            match rule {
                Some(r) if !u.is_blocked => Ok(Some((
                    write::block_for(tx, u.id, r.reason(), BlockCause::Debt)?,
                    json!({ "rule": r.name(), "overage_bytes": u.quota_overage_bytes(), "open_debts": u.manual_debt_items }),
                ))),
                None if held => Ok(Some((write::unblock(tx, u.id)?, json!({ "lifted": true })))),
                _ => Ok(None),
            }
        })
    }

    /// The admins chosen for `QUOTA_DEBT_LIMIT_EXCEEDED` hear of a limit block.
    async fn limit_alert(&self, u: &User) {
        let alert = Event::Alert {
            template: "alert_debt_limit".into(),
            subject: u.full_name.clone(),
            detail: crate::domain::Bytes(u.quota_overage_bytes()).to_string(),
            cause: format!("debt-limit:{}:{}", u.id, u.blocked_at.map_or(0, |t| t.timestamp())),
        };
        crate::notify::recipients::alert(&self.db, &self.accounts.queues, AlertEvent::DebtLimit, alert).await;
    }

    /// Open debts of accounts not blocked, falling due in 3 days or tomorrow, reminded once per
    /// debt and day count.
    async fn remind_due(&self, today: NaiveDate) -> Result<usize, AdminError> {
        let days: Vec<NaiveDate> = DUE_REMINDER_DAYS.iter().map(|d| today + chrono::Duration::days(*d)).collect();
        let due: Vec<(Uuid, Uuid, NaiveDate, String, i64)> = self
            .db
            .run(move |c| {
                Ok(quota_debts::table
                    .inner_join(users::table)
                    .filter(quota_debts::paid_at.is_null())
                    .filter(quota_debts::due_date.eq_any(days))
                    .filter(users::is_blocked.eq(false))
                    .select((
                        quota_debts::user_id,
                        quota_debts::id,
                        quota_debts::due_date,
                        quota_debts::package_name,
                        quota_debts::price_idr,
                    ))
                    .load(c)?)
            })
            .await?;
        for (user, debt, date, package, price) in &due {
            let event = Event::Debt {
                template: "debt_due".into(),
                reference: format!("{debt}:{}", (*date - today).num_days()),
                amount_idr: *price,
                detail: package.clone(),
                due: date.format("%d-%m-%Y").to_string(),
            };
            self.tell(*user, event).await;
        }
        Ok(due.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rule_that_holds_blocks() {
        let at = |d: &str, h: u32| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap().and_hms_opt(h, 0, 0).unwrap();
        let day = |d: &str| Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
        let all = Rules { limit_bytes: Some(1_000), overdue: true, month_end_hour: Some(23) };
        let none = Rules { limit_bytes: None, overdue: false, month_end_hour: None };
        let cases = [
            (all, 1_000, None, at("2026-12-07", 10), Some(Rule::Limit)),
            (all, 999, None, at("2026-12-07", 10), None),
            (all, 0, day("2026-12-06"), at("2026-12-07", 10), Some(Rule::Overdue)),
            (all, 0, day("2026-12-07"), at("2026-12-07", 23), None), // not the month's last day
            (all, 0, day("2026-12-31"), at("2026-12-31", 22), None),
            (all, 0, day("2026-12-31"), at("2026-12-31", 23), Some(Rule::MonthEnd)),
            (all, 0, day("2027-01-31"), at("2026-12-31", 23), None), // due next month
            (all, 0, day("2026-02-28"), at("2026-02-28", 23), Some(Rule::MonthEnd)),
            (none, 5_000, day("2026-11-30"), at("2026-12-31", 23), None),
        ];
        for (rules, overage, due, now, want) in cases {
            assert_eq!(holds(&rules, overage, due, now), want, "{rules:?} {overage} {due:?} {now}");
        }
    }
}
