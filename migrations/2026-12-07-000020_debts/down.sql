DELETE FROM quota_ledger WHERE source IN ('debt_lend', 'debt_settle');
ALTER TABLE quota_ledger DROP CONSTRAINT quota_ledger_source_check;
ALTER TABLE quota_ledger ADD CONSTRAINT quota_ledger_source_check
    CHECK (source IN ('sync_usage', 'purchase', 'voucher', 'cash_sale', 'admin_adjust', 'reset', 'refund'));
ALTER TABLE users DROP COLUMN manual_debt_items;
ALTER TABLE users DROP COLUMN manual_debt_bytes;
ALTER TABLE users DROP COLUMN block_cause;
DELETE FROM transactions WHERE purpose = 'debt';
ALTER TABLE transactions DROP CONSTRAINT transactions_debt_has_purpose;
ALTER TABLE transactions DROP CONSTRAINT transactions_package_sold;
ALTER TABLE transactions DROP CONSTRAINT transactions_validity_days_check;
ALTER TABLE transactions ADD CONSTRAINT transactions_validity_days_check CHECK (validity_days BETWEEN 1 AND 3650);
ALTER TABLE transactions ALTER COLUMN package_id SET NOT NULL;
ALTER TABLE transactions DROP COLUMN debt_auto_bytes;
ALTER TABLE transactions DROP COLUMN debt_id;
ALTER TABLE transactions DROP COLUMN purpose;
DROP TABLE quota_debts;
DROP TABLE debt_settlements;
