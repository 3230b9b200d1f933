//! The fixed sets the database keeps as text (each column has a CHECK naming the same values,
//! or, for the audit trail, a set only this code writes): typed past the edge, text only on the
//! wire and in Postgres.

use super::status::text_enum;

text_enum!(
    /// Where a quota ledger row comes from.
    LedgerSource {
        SyncUsage => "sync_usage",
        Purchase => "purchase",
        Voucher => "voucher",
        CashSale => "cash_sale",
        AdminAdjust => "admin_adjust",
        Reset => "reset",
        Refund => "refund",
        DebtLend => "debt_lend",
        DebtSettle => "debt_settle",
    }
);

text_enum!(
    /// Why an account is blocked: an admin's decision, or a debt rule's (lifted when a
    /// settlement clears every debt).
    BlockCause { Admin => "admin", Debt => "debt" }
);

text_enum!(
    /// What paying a transaction does: give its package, or pay debts.
    TxPurpose { Package => "package", Debt => "debt" }
);

impl LedgerSource {
    /// Money or a voucher paid for it (the frontend files these as purchases).
    pub fn is_sale(self) -> bool {
        matches!(self, LedgerSource::Purchase | LedgerSource::Voucher | LedgerSource::CashSale)
    }
}

text_enum!(
    /// How a session started (`login_history.method`); `router_login`: the router saw the
    /// device log in with one-time hotspot credentials.
    LoginMethod {
        Otp => "otp",
        AutoLogin => "auto_login",
        Password => "password",
        SessionToken => "session_token",
        RouterLogin => "router_login",
    }
);

text_enum!(
    /// What started a sync cycle.
    SyncTrigger { Schedule => "schedule", Manual => "manual", Cli => "cli" }
);

text_enum!(
    /// How a sync cycle ended (`running` while it runs).
    RunStatus { Running => "running", Succeeded => "succeeded", Partial => "partial", Failed => "failed" }
);

text_enum!(
    /// Where an outbound message stands; it only ever moves forward.
    MessageStatus { Queued => "queued", Sent => "sent", Delivered => "delivered", Read => "read", Failed => "failed" }
);

impl MessageStatus {
    /// The order states move in: a receipt never moves a message back (`failed` ends it).
    pub fn rank(self) -> u8 {
        match self {
            MessageStatus::Queued => 0,
            MessageStatus::Sent => 1,
            MessageStatus::Delivered => 2,
            MessageStatus::Read => 3,
            MessageStatus::Failed => 4,
        }
    }
}

text_enum!(
    /// How a sale was paid.
    SaleChannel { Midtrans => "midtrans", Cash => "cash" }
);

text_enum!(
    /// Who told us about a transaction's step.
    TxEventSource {
        Notification => "notification",
        StatusApi => "status_api",
        User => "user",
        Admin => "admin",
        Job => "job",
        System => "system",
    }
);

text_enum!(
    /// What an audit entry records.
    AuditAction {
        UserCreate => "user.create",
        UserApprove => "user.approve",
        UserReject => "user.reject",
        UserBlock => "user.block",
        UserUnblock => "user.unblock",
        UserDeactivate => "user.deactivate",
        UserReactivate => "user.reactivate",
        UserRole => "user.role",
        UserPassword => "user.password",
        UserUpdate => "user.update",
        UserQuota => "user.quota",
        UserExpiry => "user.expiry",
        UserDelete => "user.delete",
        UserResetLogin => "user.reset_login",
        SubmissionApprove => "submission.approve",
        PromoCreate => "promo.create",
        PromoUpdate => "promo.update",
        PromoDelete => "promo.delete",
        RequestProcess => "quota_request.process",
        RecipientsUpdate => "notification_recipients.update",
        AuditPurge => "audit.purge",
        BackupCreate => "backup.create",
        BackupUpload => "backup.upload",
        BackupRestore => "backup.restore",
        SubmissionReject => "submission.reject",
        UserPackage => "user.package",
        DeviceRevoke => "device.revoke",
        SyncManual => "sync.manual",
        SettingsUpdate => "settings.update",
        WhatsAppClearSession => "whatsapp.clear_session",
        WhatsAppTest => "whatsapp.test",
        WhatsAppBroadcast => "whatsapp.broadcast",
        AdminLogin => "admin.login",
        AdminLoginFailed => "admin.login_failed",
        PackageCreate => "package.create",
        PackageUpdate => "package.update",
        PackageDelete => "package.delete",
        VoucherBatchCreate => "voucher.batch_create",
        VoucherBatchRevoke => "voucher.batch_revoke",
        CashSale => "billing.cash_sale",
        TransactionReconcile => "transaction.reconcile",
        BillCreate => "billing.bill",
        DebtLend => "debt.lend",
        DebtSettle => "debt.settle",
        DebtBlock => "debt.block",
        SiteAdd => "site.add",
        SiteUpdate => "site.update",
        SiteDisable => "site.disable",
        SiteEnable => "site.enable",
        RadiusDisconnect => "radius.disconnect",
    }
);

text_enum!(
    /// What an audit entry is about.
    AuditTarget {
        User => "user",
        Device => "device",
        Sync => "sync",
        Settings => "settings",
        WhatsApp => "whatsapp",
        Transaction => "transaction",
        Package => "package",
        VoucherBatch => "voucher_batch",
        Submission => "submission",
        Promo => "promo",
        QuotaRequest => "quota_request",
        Site => "site",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_text() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + std::str::FromStr>(all: &[T], text: fn(T) -> &'static str) {
            for v in all {
                assert_eq!(text(*v).parse::<T>().ok(), Some(*v), "{v:?}");
            }
        }
        check(LedgerSource::ALL, LedgerSource::as_str);
        check(LoginMethod::ALL, LoginMethod::as_str);
        check(SyncTrigger::ALL, SyncTrigger::as_str);
        check(RunStatus::ALL, RunStatus::as_str);
        check(MessageStatus::ALL, MessageStatus::as_str);
        check(SaleChannel::ALL, SaleChannel::as_str);
        check(TxEventSource::ALL, TxEventSource::as_str);
        check(AuditAction::ALL, AuditAction::as_str);
        check(AuditTarget::ALL, AuditTarget::as_str);
        assert!("settlement".parse::<LedgerSource>().is_err());
        let ranks: Vec<u8> = MessageStatus::ALL.iter().map(|s| s.rank()).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "declared in their forward order");
    }
}
