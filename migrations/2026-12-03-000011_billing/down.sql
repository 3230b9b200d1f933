ALTER TABLE quota_ledger DROP CONSTRAINT quota_ledger_source_check;
DELETE FROM quota_ledger WHERE source IN ('voucher', 'cash_sale');
ALTER TABLE quota_ledger ADD CONSTRAINT quota_ledger_source_check
    CHECK (source IN ('sync_usage', 'purchase', 'admin_adjust', 'reset', 'refund'));
DROP TABLE vouchers;
DROP TABLE voucher_batches;
DROP TABLE transaction_events;
DROP TABLE transactions;
DROP TABLE packages;
