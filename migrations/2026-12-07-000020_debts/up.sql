-- Quota on credit. An admin lends a package now, to be paid later: the quota goes through the
-- grant path at once (its ledger row keyed by the debt's lend key), the debt stays open until a
-- settlement pays it, in cash at the counter or online. The automatic debt (use beyond the
-- purchased quota) is not stored: a settlement that pays it writes a ledger row that raises the
-- purchased total to the use.

-- A settlement: what one payment paid, kept whole for its receipt. Written in the transaction
-- that marks its debts paid; its key makes a retried or raced settlement pay once.
CREATE TABLE debt_settlements (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    receipt_no       TEXT NOT NULL UNIQUE CHECK (receipt_no ~ '^[A-Za-z0-9._~-]{1,50}$'),
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel          TEXT NOT NULL CHECK (channel IN ('midtrans', 'cash')),
    transaction_id   UUID UNIQUE REFERENCES transactions (id) ON DELETE SET NULL,
    amount_idr       BIGINT NOT NULL CHECK (amount_idr >= 0),
    auto_bytes       BIGINT NOT NULL CHECK (auto_bytes >= 0),
    manual_bytes     BIGINT NOT NULL CHECK (manual_bytes >= 0),
    manual_items     INTEGER NOT NULL CHECK (manual_items >= 0),
    auto_ledger_id   BIGINT REFERENCES quota_ledger (id) ON DELETE SET NULL,
    unblocked        BOOLEAN NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    created_by       UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX debt_settlements_user ON debt_settlements (user_id, created_at DESC);

CREATE TABLE quota_debts (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    package_id     UUID REFERENCES packages (id) ON DELETE SET NULL,
    -- What was lent, as it was when lent.
    package_name   TEXT NOT NULL CHECK (char_length(package_name) BETWEEN 1 AND 200),
    amount_bytes   BIGINT NOT NULL CHECK (amount_bytes >= 0),
    is_unlimited   BOOLEAN NOT NULL,
    validity_days  INTEGER NOT NULL CHECK (validity_days BETWEEN 0 AND 3650),
    price_idr      BIGINT NOT NULL CHECK (price_idr >= 0),
    debt_date      DATE NOT NULL,
    due_date       DATE NOT NULL,
    note           TEXT CHECK (char_length(note) <= 500),
    lend_key       TEXT NOT NULL UNIQUE CHECK (char_length(lend_key) BETWEEN 1 AND 200),
    lend_ledger_id BIGINT REFERENCES quota_ledger (id) ON DELETE SET NULL,
    settlement_id  UUID REFERENCES debt_settlements (id) ON DELETE RESTRICT,
    paid_at        TIMESTAMPTZ,
    created_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (due_date >= debt_date),
    CHECK ((paid_at IS NULL) = (settlement_id IS NULL))
);
CREATE INDEX quota_debts_open ON quota_debts (user_id, debt_date) WHERE paid_at IS NULL;
CREATE INDEX quota_debts_user ON quota_debts (user_id, created_at DESC);
CREATE INDEX quota_debts_due ON quota_debts (due_date) WHERE paid_at IS NULL;

-- A debt paid online is a transaction too (its order, Midtrans's word, the state machine): its
-- purpose says what paying it does. `debt_id` names the one debt it pays (none: every debt open
-- when it was priced, and the automatic debt up to `debt_auto_bytes`, the bytes it was priced
-- for). It sells no quota: `quota_bytes` is 0.
ALTER TABLE transactions ADD COLUMN purpose TEXT NOT NULL DEFAULT 'package'
    CHECK (purpose IN ('package', 'debt'));
ALTER TABLE transactions ADD COLUMN debt_id UUID REFERENCES quota_debts (id) ON DELETE SET NULL;
ALTER TABLE transactions ADD COLUMN debt_auto_bytes BIGINT CHECK (debt_auto_bytes >= 0);
ALTER TABLE transactions ALTER COLUMN package_id DROP NOT NULL;
ALTER TABLE transactions DROP CONSTRAINT transactions_validity_days_check;
ALTER TABLE transactions ADD CONSTRAINT transactions_validity_days_check
    CHECK (validity_days BETWEEN 0 AND 3650 AND (purpose = 'debt' OR validity_days >= 1));
ALTER TABLE transactions ADD CONSTRAINT transactions_package_sold
    CHECK (purpose = 'debt' OR package_id IS NOT NULL);
ALTER TABLE transactions ADD CONSTRAINT transactions_debt_has_purpose
    CHECK ((debt_id IS NULL AND debt_auto_bytes IS NULL) OR purpose = 'debt');

-- Why an account is blocked: by an admin, or by a debt rule (the limit, an overdue debt, the
-- month's end), which a settlement that clears every debt lifts. Only a debt rule's block says
-- so; any other block is an admin's.
ALTER TABLE users ADD COLUMN block_cause TEXT CHECK (block_cause IN ('admin', 'debt'));
-- The open debts summed, kept by the transactions that lend and settle (lists filter and show
-- them without reading every debt).
ALTER TABLE users ADD COLUMN manual_debt_bytes BIGINT NOT NULL DEFAULT 0 CHECK (manual_debt_bytes >= 0);
ALTER TABLE users ADD COLUMN manual_debt_items INTEGER NOT NULL DEFAULT 0 CHECK (manual_debt_items >= 0);

ALTER TABLE quota_ledger DROP CONSTRAINT quota_ledger_source_check;
ALTER TABLE quota_ledger ADD CONSTRAINT quota_ledger_source_check
    CHECK (source IN ('sync_usage', 'purchase', 'voucher', 'cash_sale', 'admin_adjust', 'reset', 'refund',
                      'debt_lend', 'debt_settle'));
