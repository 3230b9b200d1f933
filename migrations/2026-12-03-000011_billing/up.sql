-- Selling quota: packages, payment transactions (Midtrans and cash) with their provider events,
-- voucher batches and codes (only a hash of each code is kept). Every grant is a ledger row
-- whose idempotency key names its cause (order id, voucher id).

CREATE TABLE packages (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description   TEXT CHECK (char_length(description) <= 1000),
    price_idr     BIGINT NOT NULL CHECK (price_idr BETWEEN 0 AND 100000000),
    quota_bytes   BIGINT NOT NULL CHECK (quota_bytes >= 0),
    is_unlimited  BOOLEAN NOT NULL DEFAULT false,
    validity_days INTEGER NOT NULL CHECK (validity_days BETWEEN 1 AND 3650),
    is_active     BOOLEAN NOT NULL DEFAULT true,
    sort_order    INTEGER NOT NULL DEFAULT 0,
    deleted_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT packages_gives_something CHECK (is_unlimited OR quota_bytes > 0)
);
CREATE UNIQUE INDEX packages_live_name_idx ON packages (lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX packages_shop_idx ON packages (sort_order, price_idr) WHERE deleted_at IS NULL AND is_active;

CREATE TABLE transactions (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id                TEXT NOT NULL UNIQUE CHECK (order_id ~ '^[A-Za-z0-9._~-]{1,50}$'),
    user_id                 UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    package_id              UUID NOT NULL REFERENCES packages (id) ON DELETE RESTRICT,
    -- What was sold, as it was when sold (the package may change later).
    package_name            TEXT NOT NULL,
    amount_idr              BIGINT NOT NULL CHECK (amount_idr >= 0),
    quota_bytes             BIGINT NOT NULL CHECK (quota_bytes >= 0),
    is_unlimited            BOOLEAN NOT NULL,
    validity_days           INTEGER NOT NULL CHECK (validity_days BETWEEN 1 AND 3650),
    channel                 TEXT NOT NULL CHECK (channel IN ('midtrans', 'cash')),
    state                   TEXT NOT NULL CHECK (state IN ('pending', 'paid', 'failed', 'expired', 'refunded')),
    failure_reason          TEXT CHECK (char_length(failure_reason) <= 200),
    snap_token              TEXT,
    redirect_url            TEXT,
    provider_transaction_id TEXT,
    payment_type            TEXT,
    provider_status         TEXT,
    fraud_status            TEXT,
    refunded_amount_idr     BIGINT CHECK (refunded_amount_idr >= 0),
    ledger_id               BIGINT REFERENCES quota_ledger (id) ON DELETE SET NULL,
    note                    TEXT CHECK (char_length(note) <= 500),
    created_by              UUID REFERENCES users (id) ON DELETE SET NULL,
    expires_at              TIMESTAMPTZ NOT NULL,
    paid_at                 TIMESTAMPTZ,
    refunded_at             TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT transactions_paid_has_time CHECK (state NOT IN ('paid', 'refunded') OR paid_at IS NOT NULL)
);
CREATE INDEX transactions_user_idx ON transactions (user_id, created_at DESC);
CREATE INDEX transactions_created_idx ON transactions (created_at DESC);
CREATE INDEX transactions_pending_idx ON transactions (created_at) WHERE state = 'pending';
CREATE INDEX transactions_paid_idx ON transactions (paid_at) WHERE state = 'paid';

-- What the provider (or a person) said about a transaction, in order; a repeat of the same
-- word is not written again.
CREATE TABLE transaction_events (
    id             BIGSERIAL PRIMARY KEY,
    transaction_id UUID NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
    source         TEXT NOT NULL CHECK (source IN ('notification', 'status_api', 'user', 'admin', 'job', 'system')),
    event_type     TEXT NOT NULL CHECK (char_length(event_type) BETWEEN 1 AND 50),
    state_after    TEXT NOT NULL,
    payload        JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX transaction_events_tx_idx ON transaction_events (transaction_id, id);

CREATE TABLE voucher_batches (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    package_id  UUID NOT NULL REFERENCES packages (id) ON DELETE RESTRICT,
    code_count  INTEGER NOT NULL CHECK (code_count BETWEEN 1 AND 5000),
    note        TEXT CHECK (char_length(note) <= 500),
    created_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ,
    revoked_by  UUID REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX voucher_batches_created_idx ON voucher_batches (created_at DESC);

CREATE TABLE vouchers (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    batch_id    UUID NOT NULL REFERENCES voucher_batches (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    code_hash   TEXT NOT NULL UNIQUE CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    redeemed_by UUID REFERENCES users (id) ON DELETE SET NULL,
    redeemed_at TIMESTAMPTZ,
    ledger_id   BIGINT REFERENCES quota_ledger (id) ON DELETE SET NULL,
    UNIQUE (batch_id, seq),
    CONSTRAINT vouchers_redeemed_together CHECK ((redeemed_at IS NULL) = (ledger_id IS NULL))
);

ALTER TABLE quota_ledger DROP CONSTRAINT quota_ledger_source_check;
ALTER TABLE quota_ledger ADD CONSTRAINT quota_ledger_source_check
    CHECK (source IN ('sync_usage', 'purchase', 'voucher', 'cash_sale', 'admin_adjust', 'reset', 'refund'));
