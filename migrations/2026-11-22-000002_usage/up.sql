-- Quota accounting. Baselines (device_counters) and charges (users.quota_used_bytes,
-- usage_daily, quota_ledger) commit in one transaction, so a re-run never charges twice.

CREATE TABLE device_counters (
    router_id        INTEGER NOT NULL REFERENCES routers (id) ON DELETE CASCADE,
    mac_address      TEXT NOT NULL CHECK (mac_address ~ '^([0-9A-F]{2}:){5}[0-9A-F]{2}$'),
    host_id          TEXT NOT NULL,
    last_bytes       BIGINT NOT NULL CHECK (last_bytes >= 0),
    last_uptime_secs BIGINT NOT NULL CHECK (last_uptime_secs >= 0),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (router_id, mac_address)
);

CREATE TABLE usage_daily (
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day        DATE NOT NULL,
    bytes      BIGINT NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, day)
);

CREATE TABLE quota_ledger (
    id              BIGSERIAL PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delta_bytes     BIGINT NOT NULL CHECK (delta_bytes <> 0),
    source          TEXT NOT NULL
                    CHECK (source IN ('sync_usage', 'purchase', 'admin_adjust', 'reset', 'refund')),
    idempotency_key TEXT NOT NULL UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    details         JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX quota_ledger_user_idx ON quota_ledger (user_id, created_at DESC);

CREATE TABLE sync_runs (
    id              BIGSERIAL PRIMARY KEY,
    trigger         TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli')),
    job_id          TEXT,
    status          TEXT NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    started_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    users_count     INTEGER NOT NULL DEFAULT 0 CHECK (users_count >= 0),
    devices_count   INTEGER NOT NULL DEFAULT 0 CHECK (devices_count >= 0),
    bytes_charged   BIGINT NOT NULL DEFAULT 0 CHECK (bytes_charged >= 0),
    router_commands INTEGER NOT NULL DEFAULT 0 CHECK (router_commands >= 0),
    router_writes   INTEGER NOT NULL DEFAULT 0 CHECK (router_writes >= 0),
    error_count     INTEGER NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    errors          JSONB NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(errors) = 'array'),
    CONSTRAINT sync_runs_finished CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX sync_runs_started_idx ON sync_runs (started_at DESC);
