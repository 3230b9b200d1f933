-- The admin side: per-user overrides, rejection reason, deactivation time; search indexes;
-- audit rows that name their actor and client; runtime settings.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE users ADD COLUMN device_limit_override INTEGER
    CHECK (device_limit_override BETWEEN 1 AND 100);
ALTER TABLE users ADD COLUMN rejected_reason TEXT CHECK (char_length(rejected_reason) <= 500);
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ;

-- Search by any part of a name or number (the admin's search box), at 100k users.
CREATE INDEX users_full_name_trgm_idx ON users USING gin (full_name gin_trgm_ops);
CREATE INDEX users_phone_trgm_idx ON users USING gin (phone_number gin_trgm_ops);
CREATE INDEX users_created_idx ON users (created_at DESC, id);
CREATE INDEX users_waiting_idx ON users (created_at) WHERE approval_status = 'PENDING_APPROVAL';

ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT 'system'
    CHECK (char_length(actor) BETWEEN 1 AND 100);
ALTER TABLE audit_log ADD COLUMN client_ip TEXT;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, created_at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at DESC);

-- Operator policy changed at run time; a missing key means the start-up default.
CREATE TABLE runtime_settings (
    key        TEXT PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
    value      JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by UUID REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX usage_daily_day_idx ON usage_daily (day, bytes DESC);

-- Every grant has its ledger row, one that only adds time too (0 bytes); usage rows stay non-zero.
ALTER TABLE quota_ledger DROP CONSTRAINT quota_ledger_delta_bytes_check;
ALTER TABLE quota_ledger ADD CONSTRAINT quota_ledger_delta_bytes_check
    CHECK (delta_bytes <> 0 OR source <> 'sync_usage');
